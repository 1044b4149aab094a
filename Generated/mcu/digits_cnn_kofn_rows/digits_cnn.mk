# digits_cnn.mk - adds the generated model 'digits_cnn' to a Makefile build (written by gen; do not edit).
#
#   include path/to/digits_cnn/digits_cnn.mk
#   CFLAGS += $(DIGITS_CNN_CFLAGS)
#   app: main.o $(DIGITS_CNN_OBJECTS)
#   	$(CC) $(LDFLAGS) -o $@ $^ $(DIGITS_CNN_LDLIBS)
#
DIGITS_CNN_DIR := $(dir $(lastword $(MAKEFILE_LIST)))
DIGITS_CNN_SOURCES := $(DIGITS_CNN_DIR)digits_cnn.c
DIGITS_CNN_OBJECTS := $(DIGITS_CNN_SOURCES:.c=.o)
DIGITS_CNN_CFLAGS := -I$(DIGITS_CNN_DIR) -std=c99
DIGITS_CNN_LDLIBS := -lm
