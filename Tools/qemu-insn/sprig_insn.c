/* sprig_insn.c - QEMU TCG plugin (plugin API v1, QEMU 7.2) that counts the guest instructions
 * executed between calls of two marker functions, for Sprig's Cortex-M benchmark.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 * It includes QEMU's qemu-plugin.h (GPL-2.0-or-later), so it is a separate tool: it is never
 * linked into gen or into generated code. Scripts/setup-bench.sh fetches the header from
 * Debian's qemu source package and builds this file.
 *
 * Usage:  qemu-system-arm ... -icount shift=0 -d plugin -D counts.log \
 *           -plugin libsprig_insn.so[,start=bench_start][,stop=bench_stop]
 * Prints one line per start..stop region ("sprig_insn region N: C") and a total at exit.
 * With symbols=on it also prints, at exit, the instructions executed inside each function symbol
 * ("sprig_insn symbol NAME: C", callees not included), for calibrating per-layer costs.
 * A region includes the marker calls' own few instructions (bl + bx lr of the markers): the
 * benchmark measures an empty region and subtracts it.
 * Boards used here have one vCPU, so plain counters are enough. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu-plugin.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

static uint64_t executed;
static uint64_t region_begin;
static uint64_t regions;
static int inside;
static char *start_symbol;
static char *stop_symbol;
static int per_symbol;

/* Per-symbol counters: a small open-addressing table keyed by the symbol name's address (QEMU
 * returns the same string for every instruction of one symbol). */
#define SYMBOL_SLOTS 4096
static struct {
    const char *name;
    uint64_t count;
} symbol_counts[SYMBOL_SLOTS];

static uint64_t *symbol_counter(const char *name)
{
    size_t slot = ((uintptr_t)name >> 3) % SYMBOL_SLOTS;
    size_t probes;
    for (probes = 0; probes < SYMBOL_SLOTS; ++probes, slot = (slot + 1) % SYMBOL_SLOTS) {
        if (symbol_counts[slot].name == name || symbol_counts[slot].name == NULL) {
            symbol_counts[slot].name = name;
            return &symbol_counts[slot].count;
        }
    }
    return NULL;
}

static void region_started(unsigned int vcpu, void *data)
{
    (void)vcpu;
    (void)data;
    region_begin = executed;
    inside = 1;
}

static void region_stopped(unsigned int vcpu, void *data)
{
    char line[96];
    (void)vcpu;
    (void)data;
    if (!inside) {
        return;
    }
    inside = 0;
    regions += 1;
    snprintf(line, sizeof line, "sprig_insn region %" PRIu64 ": %" PRIu64 "\n", regions, executed - region_begin);
    qemu_plugin_outs(line);
}

/* A call enters a marker at the first instruction of a translation block. */
static int starts_function(struct qemu_plugin_insn *insn, size_t position, const char *name)
{
    const char *symbol = qemu_plugin_insn_symbol(insn);
    return position == 0 && symbol != NULL && strcmp(symbol, name) == 0;
}

static void block_translated(qemu_plugin_id_t id, struct qemu_plugin_tb *block)
{
    size_t count = qemu_plugin_tb_n_insns(block);
    size_t position;
    (void)id;
    for (position = 0; position < count; ++position) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(block, position);
        qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &executed, 1);
        if (starts_function(insn, position, start_symbol)) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, region_started, QEMU_PLUGIN_CB_NO_REGS, NULL);
        }
        if (starts_function(insn, position, stop_symbol)) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, region_stopped, QEMU_PLUGIN_CB_NO_REGS, NULL);
        }
        if (per_symbol) {
            const char *symbol = qemu_plugin_insn_symbol(insn);
            uint64_t *counter = symbol != NULL ? symbol_counter(symbol) : NULL;
            if (counter != NULL) {
                qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, counter, 1);
            }
        }
    }
}

static void exiting(qemu_plugin_id_t id, void *data)
{
    char line[96];
    (void)id;
    (void)data;
    size_t slot;
    snprintf(line, sizeof line, "sprig_insn total: %" PRIu64 "\n", executed);
    qemu_plugin_outs(line);
    for (slot = 0; slot < SYMBOL_SLOTS; ++slot) {
        if (symbol_counts[slot].name != NULL && symbol_counts[slot].count > 0) {
            char entry[256];
            snprintf(entry, sizeof entry, "sprig_insn symbol %.200s: %" PRIu64 "\n", symbol_counts[slot].name,
                symbol_counts[slot].count);
            qemu_plugin_outs(entry);
        }
    }
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
    int i;
    (void)info;
    start_symbol = strdup("bench_start");
    stop_symbol = strdup("bench_stop");
    for (i = 0; i < argc; ++i) {
        const char *value = strchr(argv[i], '=');
        if (value != NULL && strncmp(argv[i], "start=", 6) == 0) {
            free(start_symbol);
            start_symbol = strdup(value + 1);
        } else if (value != NULL && strncmp(argv[i], "stop=", 5) == 0) {
            free(stop_symbol);
            stop_symbol = strdup(value + 1);
        } else if (strcmp(argv[i], "symbols=on") == 0) {
            per_symbol = 1;
        } else {
            fprintf(stderr, "sprig_insn: unknown argument '%s' (expected start=SYMBOL, stop=SYMBOL or symbols=on)\n", argv[i]);
            return -1;
        }
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, block_translated);
    qemu_plugin_register_atexit_cb(id, exiting, NULL);
    return 0;
}
