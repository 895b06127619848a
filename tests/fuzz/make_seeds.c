/*
 * make_seeds.c - writes one request frame per api key and version (every
 * request Kafka 3.4 defines, fields at their defaults) into a directory, as
 * seeds for fuzz_request. `make test` replays them through the fuzz target;
 * `make fuzz` starts the fuzzer from them.
 * Usage: make_seeds OUTDIR
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "proto.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_seeds OUTDIR\n");
        return 2;
    }
    if (mkdir(argv[1], 0755) != 0 && errno != EEXIST) {
        perror(argv[1]);
        return 1;
    }
    int written = 0;
    for (size_t i = 0; i < sl_api_count(); i++) {
        const sl_api_t *api = sl_api_at(i);
        for (int v = api->min_version; v <= api->max_version; v++) {
            void *body = calloc(1, api->request->size);
            sl_buf_t buf = SL_BUF_INIT;
            sl_req_hdr_t hdr = {.api_key = api->key, .api_version = (int16_t)v, .correlation_id = v,
                                .client_id = sl_kstr("seed")};
            api->request->init(body);
            sl_err_t err = sl_request_encode(&buf, &hdr, body);
            free(body);
            if (err != SL_OK) {
                fprintf(stderr, "%s v%d: %s\n", api->name, v, sl_err_name(err));
                return 1;
            }
            char path[4096];
            snprintf(path, sizeof path, "%s/%s-v%d", argv[1], api->name, v);
            FILE *f = fopen(path, "wb");
            /* without the size prefix: the fuzz target takes a frame body */
            if (!f || fwrite(buf.data + 4, 1, buf.len - 4, f) != buf.len - 4) {
                perror(path);
                return 1;
            }
            fclose(f);
            sl_buf_free(&buf);
            written++;
        }
    }
    printf("wrote %d seeds\n", written);
    return written > 0 ? 0 : 1;
}
