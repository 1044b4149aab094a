/* Tools/mcu-bench/bench_main.c - the harness Scripts/bench_mcu.py builds around a generated model,
 * for Cortex-M under QEMU and for the host.
 *
 * bench_inputs.h (written by the script) names the model and holds int8 input vectors. Each call
 * of <name>_infer runs between bench_start() and bench_stop(); the QEMU plugin in Tools/qemu-insn
 * counts the instructions between the two, and a final empty region measures the markers' own cost.
 * The outputs are printed so that the script can compare Cortex-M with the host, value for value. */
#include <stdio.h>

#include "bench_inputs.h"

/* noipa: GCC must neither merge the two empty functions nor inline them away. */
__attribute__((noipa)) void bench_start(void);
__attribute__((noipa)) void bench_stop(void);

__attribute__((noipa)) void bench_start(void)
{
    __asm__ volatile("");
}

__attribute__((noipa)) void bench_stop(void)
{
    __asm__ volatile("");
}

int main(void)
{
    static bench_output_t output[BENCH_OUTPUT_SIZE];
    int vector;
    int i;
    for (vector = 0; vector < BENCH_VECTORS; ++vector) {
        bench_start();
        BENCH_INFER(bench_inputs[vector], output);
        bench_stop();
        printf("out %d:", vector);
        for (i = 0; i < BENCH_OUTPUT_SIZE; ++i) {
            printf(" %d", (int)output[i]);
        }
        printf("\n");
    }
    bench_start();
    bench_stop();
    return 0;
}
