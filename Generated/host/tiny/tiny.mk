# tiny.mk - adds the generated model 'tiny' to a Makefile build (written by gen; do not edit).
#
#   include path/to/tiny/tiny.mk
#   CFLAGS += $(TINY_CFLAGS)
#   app: main.o $(TINY_OBJECTS)
#   	$(CC) $(LDFLAGS) -o $@ $^ $(TINY_LDLIBS)
#
TINY_DIR := $(dir $(lastword $(MAKEFILE_LIST)))
TINY_SOURCES := $(TINY_DIR)tiny.c
TINY_OBJECTS := $(TINY_SOURCES:.c=.o)
TINY_CFLAGS := -I$(TINY_DIR) -std=c99
TINY_LDLIBS := 
