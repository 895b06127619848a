/*
 * fuzz_request.c - libFuzzer target: any bytes as a request frame (header and
 * body, for any api key and version the header names).
 *
 * Decoding must never crash, read out of bounds or allocate past the arena's
 * limit. A frame that decodes must re-encode, and the re-encoded frame must
 * decode again to the same bytes: the codec may not accept what it cannot
 * write.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ARENA_LIMIT (8u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_arena_t arena;
    sl_request_t req;
    sl_arena_init(&arena, 0, FUZZ_ARENA_LIMIT);
    sl_err_t err = sl_request_decode(data, size, &arena, &req);
    if (err == SL_OK) {
        sl_buf_t once = SL_BUF_INIT, twice = SL_BUF_INIT;
        if (sl_request_encode(&once, &req.hdr, req.body) != SL_OK)
            abort();
        sl_arena_t arena2;
        sl_request_t req2;
        sl_arena_init(&arena2, 0, FUZZ_ARENA_LIMIT);
        if (sl_request_decode(once.data + 4, once.len - 4, &arena2, &req2) != SL_OK)
            abort();
        if (sl_request_encode(&twice, &req2.hdr, req2.body) != SL_OK)
            abort();
        if (once.len != twice.len || memcmp(once.data, twice.data, once.len) != 0)
            abort();
        sl_arena_fini(&arena2);
        sl_buf_free(&once);
        sl_buf_free(&twice);
    }
    sl_arena_fini(&arena);
    return 0;
}
