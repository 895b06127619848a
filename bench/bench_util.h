/*
 * bench_util.h - timing helpers shared by the benchmark programs: run a body
 * repeatedly for a minimum time and report operations and bytes per second.
 */
#ifndef SL_BENCH_UTIL_H
#define SL_BENCH_UTIL_H

#include <inttypes.h>
#include <stdio.h>

#include "base.h"

#define BENCH_MIN_NS 400000000LL /* each figure runs at least 0.4 s */

/* Runs `body` (one operation of `bytes` bytes) in batches until BENCH_MIN_NS
 * have passed; *ops_per_s and *mb_per_s receive the rates. */
#define BENCH_RUN(ops_per_s, mb_per_s, bytes, body)                                  \
    do {                                                                              \
        int64_t bench_t0 = sl_time_mono_ns(), bench_dt;                               \
        uint64_t bench_n = 0;                                                         \
        do {                                                                          \
            for (int bench_i = 0; bench_i < 64; bench_i++) {                          \
                body;                                                                 \
            }                                                                         \
            bench_n += 64;                                                            \
            bench_dt = sl_time_mono_ns() - bench_t0;                                  \
        } while (bench_dt < BENCH_MIN_NS);                                            \
        *(ops_per_s) = (double)bench_n * 1e9 / (double)bench_dt;                      \
        *(mb_per_s) = (double)bench_n * (double)(bytes) * 1e3 / (double)bench_dt;    \
    } while (0)

/* Keeps the compiler from dropping a computed value. */
static inline void bench_keep(uint64_t v)
{
    __asm__ volatile("" : : "r"(v) : "memory");
}

#endif
