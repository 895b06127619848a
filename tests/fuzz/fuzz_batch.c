/*
 * fuzz_batch.c - libFuzzer target: any bytes as a `records` blob. Every batch
 * is walked, validated and read record by record and header by header,
 * decompressing under a small bound, as a broker does with a Produce and a
 * consumer with a Fetch. Must never crash, read out of bounds or exceed the
 * decompression bound.
 */
#include <stdint.h>
#include <stdlib.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_DECOMPRESSED (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_batch_iter_t it;
    sl_batch_t batch;
    sl_buf_t scratch = SL_BUF_INIT;
    sl_batch_iter_init(&it, data, size);
    while (sl_batch_iter_next(&it, &batch) == SL_OK) {
        sl_batch_validate(&batch, SL_BATCH_VALIDATE_STRICT, &scratch, FUZZ_MAX_DECOMPRESSED, NULL, 0);
        sl_record_iter_t rit;
        sl_record_t rec;
        if (sl_record_iter_init(&rit, &batch, &scratch, FUZZ_MAX_DECOMPRESSED) != SL_OK)
            continue;
        if (scratch.len > FUZZ_MAX_DECOMPRESSED)
            abort();
        while (sl_record_iter_next(&rit, &rec) == SL_OK) {
            sl_header_iter_t hit;
            sl_header_t h;
            sl_header_iter_init(&hit, &rec);
            while (sl_header_iter_next(&hit, &h))
                ;
            if (sl_batch_is_control(&batch)) {
                int16_t type;
                int32_t epoch;
                if (sl_control_record_type(&rec, &type) == SL_OK)
                    sl_control_record_marker(&rec, &epoch);
            }
        }
    }
    sl_buf_free(&scratch);
    return 0;
}
