/*
 * bench_base.c - base/ hot paths against same-run peers:
 *   CRC-32C (SSE4.2 and software) against zlib's crc32, the checksum Kafka's
 *   older message formats used, on the same buffers;
 *   murmur2 partitioning against librdkafka's murmur2 partitioner, the same
 *   function in the reference C client, on the same keys.
 */
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <zlib.h>

#include "bench_util.h"

int main(void)
{
    static const size_t sizes[] = {64, 1024, 65536, 1 << 20};
    uint8_t *buf = malloc(1 << 20);
    if (!buf)
        return 1;
    for (size_t i = 0; i < (1u << 20); i++)
        buf[i] = (uint8_t)(i * 2654435761u >> 13);

    printf("crc32c (hardware path %s)\n", sl_crc32c_hw() ? "in use" : "NOT available");
    printf("  %-8s %12s %12s %12s %10s\n", "bytes", "sl hw MB/s", "sl sw MB/s", "zlib MB/s", "hw/zlib");
    for (size_t s = 0; s < SL_ARRAY_LEN(sizes); s++) {
        size_t n = sizes[s];
        double ops, hw, sw, zl;
        uint64_t acc = 0;
        BENCH_RUN(&ops, &hw, n, acc += sl_crc32c(0, buf, n));
        BENCH_RUN(&ops, &sw, n, acc += sl_crc32c_sw(0, buf, n));
        BENCH_RUN(&ops, &zl, n, acc += crc32(0, buf, (uInt)n));
        bench_keep(acc);
        printf("  %-8zu %12.0f %12.0f %12.0f %9.2fx\n", n, hw, sw, zl, hw / zl);
    }

    enum { NKEYS = 4096 };
    static char keys[NKEYS][24];
    static size_t lens[NKEYS];
    for (int i = 0; i < NKEYS; i++)
        lens[i] = (size_t)snprintf(keys[i], sizeof keys[i], "user-%d-%x", i, i * 7919);
    double sl_ops, rd_ops, mb;
    uint64_t acc = 0;
    int k = 0;
    BENCH_RUN(&sl_ops, &mb, 1, {
        acc += (uint64_t)sl_murmur2_partition(keys[k], lens[k], 12);
        k = (k + 1) & (NKEYS - 1);
    });
    BENCH_RUN(&rd_ops, &mb, 1, {
        acc += (uint64_t)rd_kafka_msg_partitioner_murmur2(NULL, keys[k], lens[k], 12, NULL, NULL);
        k = (k + 1) & (NKEYS - 1);
    });
    bench_keep(acc);
    printf("murmur2 partitioner (keys of 10-20 bytes, 12 partitions)\n");
    printf("  sluice %.1f M keys/s, librdkafka %.1f M keys/s, ratio %.2fx\n", sl_ops / 1e6, rd_ops / 1e6,
           sl_ops / rd_ops);
    free(buf);
    return 0;
}
