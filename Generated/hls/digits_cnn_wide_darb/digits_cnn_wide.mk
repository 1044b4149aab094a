# digits_cnn_wide.mk - adds the generated model 'digits_cnn_wide' to a Makefile build (written by gen; do not edit).
#
#   include path/to/digits_cnn_wide/digits_cnn_wide.mk
#   CFLAGS += $(DIGITS_CNN_WIDE_CFLAGS)
#   app: main.o $(DIGITS_CNN_WIDE_OBJECTS)
#   	$(CC) $(LDFLAGS) -o $@ $^ $(DIGITS_CNN_WIDE_LDLIBS)
#
DIGITS_CNN_WIDE_DIR := $(dir $(lastword $(MAKEFILE_LIST)))
DIGITS_CNN_WIDE_SOURCES := $(DIGITS_CNN_WIDE_DIR)digits_cnn_wide.c
DIGITS_CNN_WIDE_OBJECTS := $(DIGITS_CNN_WIDE_SOURCES:.c=.o)
DIGITS_CNN_WIDE_CFLAGS := -I$(DIGITS_CNN_WIDE_DIR) -std=c99
DIGITS_CNN_WIDE_LDLIBS := -lm
