# digits_mlp.mk - adds the generated model 'digits_mlp' to a Makefile build (written by gen; do not edit).
#
#   include path/to/digits_mlp/digits_mlp.mk
#   CFLAGS += $(DIGITS_MLP_CFLAGS)
#   app: main.o $(DIGITS_MLP_OBJECTS)
#   	$(CC) $(LDFLAGS) -o $@ $^ $(DIGITS_MLP_LDLIBS)
#
DIGITS_MLP_DIR := $(dir $(lastword $(MAKEFILE_LIST)))
DIGITS_MLP_SOURCES := $(DIGITS_MLP_DIR)digits_mlp.c
DIGITS_MLP_OBJECTS := $(DIGITS_MLP_SOURCES:.c=.o)
DIGITS_MLP_CFLAGS := -I$(DIGITS_MLP_DIR) -std=c99
DIGITS_MLP_LDLIBS := -lm
