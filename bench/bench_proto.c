/*
 * bench_proto.c - the codec on the broker's hot paths:
 *   record batches: build and read back 1000 records of 100 bytes, per codec;
 *   requests: decode a Produce v9 (one 100 KB batch) and a Fetch v12 (10
 *   topics x 10 partitions) frame, as the broker does for every request;
 *   responses: encode a Metadata v12 response (100 topics x 10 partitions).
 */
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "proto.h"

enum { NREC = 1000, VALUE_SIZE = 100 };

static void build_batch(sl_buf_t *out, sl_compression_t codec, const uint8_t *value)
{
    sl_batch_opts_t opts;
    sl_batch_builder_t b;
    sl_batch_opts_init(&opts);
    opts.compression = codec;
    sl_batch_builder_begin(&b, out, &opts);
    for (int i = 0; i < NREC; i++) {
        char key[16];
        int kl = snprintf(key, sizeof key, "key-%d", i);
        sl_batch_builder_add(&b, 1700000000000 + i, key, kl, value, VALUE_SIZE, NULL, 0);
    }
    if (sl_batch_builder_finish(&b) != SL_OK)
        abort();
}

static uint64_t read_batch(const sl_buf_t *blob, sl_buf_t *scratch)
{
    sl_batch_iter_t it;
    sl_batch_t batch;
    sl_record_iter_t rit;
    sl_record_t rec;
    uint64_t sum = 0;
    sl_batch_iter_init(&it, blob->data, blob->len);
    while (sl_batch_iter_next(&it, &batch) == SL_OK) {
        if (sl_record_iter_init(&rit, &batch, scratch, 0) != SL_OK)
            abort();
        while (sl_record_iter_next(&rit, &rec) == SL_OK)
            sum += (uint64_t)rec.value_len;
    }
    return sum;
}

static void bench_batches(void)
{
    uint8_t value[VALUE_SIZE];
    for (int i = 0; i < VALUE_SIZE; i++)
        value[i] = (uint8_t)("sluice streams records "[i % 23]);
    printf("record batches: %d records of %d bytes\n", NREC, VALUE_SIZE);
    printf("  %-7s %10s %14s %14s %14s\n", "codec", "bytes", "build rec/s", "read rec/s", "read MB/s");
    for (int c = SL_COMPRESSION_NONE; c <= SL_COMPRESSION_ZSTD; c++) {
        sl_buf_t out = SL_BUF_INIT, scratch = SL_BUF_INIT;
        double bops, rops, mb;
        uint64_t acc = 0;
        BENCH_RUN(&bops, &mb, NREC * VALUE_SIZE, {
            sl_buf_reset(&out);
            build_batch(&out, (sl_compression_t)c, value);
        });
        BENCH_RUN(&rops, &mb, NREC * VALUE_SIZE, acc += read_batch(&out, &scratch));
        bench_keep(acc);
        printf("  %-7s %10zu %13.2fM %13.2fM %14.0f\n", sl_compression_name((sl_compression_t)c), out.len,
               bops * NREC / 1e6, rops * NREC / 1e6, mb);
        sl_buf_free(&out);
        sl_buf_free(&scratch);
    }
}

static void bench_requests(void)
{
    uint8_t value[VALUE_SIZE] = {0};
    sl_buf_t batch = SL_BUF_INIT, frame = SL_BUF_INIT;
    build_batch(&batch, SL_COMPRESSION_NONE, value);

    /* Produce v9: one topic, one partition, one batch. */
    sl_ProduceRequest_t produce;
    sl_ProduceRequest_TopicProduceData_t td;
    sl_ProduceRequest_PartitionProduceData_t pd;
    sl_ProduceRequest_init(&produce);
    sl_ProduceRequest_TopicProduceData_init(&td);
    sl_ProduceRequest_PartitionProduceData_init(&pd);
    produce.Acks = -1;
    produce.TimeoutMs = 30000;
    td.Name = sl_kstr("bench-topic");
    pd.Records.ptr = batch.data;
    pd.Records.len = (int32_t)batch.len;
    td.PartitionData.count = 1;
    td.PartitionData.items = &pd;
    produce.TopicData.count = 1;
    produce.TopicData.items = &td;
    sl_req_hdr_t hdr = {.api_key = 0, .api_version = 9, .correlation_id = 1, .client_id = sl_kstr("bench")};
    if (sl_request_encode(&frame, &hdr, &produce) != SL_OK)
        abort();

    sl_arena_t arena;
    sl_request_t req;
    sl_arena_init(&arena, 0, 0);
    double ops, mb;
    BENCH_RUN(&ops, &mb, frame.len, {
        sl_arena_reset(&arena);
        if (sl_request_decode(frame.data + 4, frame.len - 4, &arena, &req) != SL_OK)
            abort();
    });
    printf("request decode\n  Produce v9 (%zu bytes, records zero-copy): %.2f M requests/s\n", frame.len, ops / 1e6);

    /* Fetch v12: 10 topics x 10 partitions. */
    sl_FetchRequest_t fetch;
    sl_FetchRequest_FetchTopic_t topics[10];
    sl_FetchRequest_FetchPartition_t parts[10][10];
    char names[10][16];
    sl_FetchRequest_init(&fetch);
    for (int t = 0; t < 10; t++) {
        sl_FetchRequest_FetchTopic_init(&topics[t]);
        snprintf(names[t], sizeof names[t], "topic-%d", t);
        topics[t].Topic = sl_kstr(names[t]);
        for (int p = 0; p < 10; p++) {
            sl_FetchRequest_FetchPartition_init(&parts[t][p]);
            parts[t][p].Partition = p;
            parts[t][p].FetchOffset = 1000 * p;
            parts[t][p].PartitionMaxBytes = 1 << 20;
        }
        topics[t].Partitions.count = 10;
        topics[t].Partitions.items = parts[t];
    }
    fetch.Topics.count = 10;
    fetch.Topics.items = topics;
    sl_buf_reset(&frame);
    hdr.api_key = 1;
    hdr.api_version = 12;
    if (sl_request_encode(&frame, &hdr, &fetch) != SL_OK)
        abort();
    BENCH_RUN(&ops, &mb, frame.len, {
        sl_arena_reset(&arena);
        if (sl_request_decode(frame.data + 4, frame.len - 4, &arena, &req) != SL_OK)
            abort();
    });
    printf("  Fetch v12 (%zu bytes, 100 partitions): %.2f M requests/s\n", frame.len, ops / 1e6);

    /* Metadata v12 response: 100 topics x 10 partitions. */
    sl_MetadataResponse_t md;
    sl_MetadataResponse_init(&md);
    sl_MetadataResponse_MetadataResponseTopic_t *mt = calloc(100, sizeof *mt);
    sl_MetadataResponse_MetadataResponsePartition_t *mp = calloc(1000, sizeof *mp);
    char (*mnames)[16] = calloc(100, 16);
    int32_t node = 0;
    for (int t = 0; t < 100; t++) {
        sl_MetadataResponse_MetadataResponseTopic_init(&mt[t]);
        snprintf(mnames[t], 16, "topic-%d", t);
        mt[t].Name = sl_kstr(mnames[t]);
        for (int p = 0; p < 10; p++) {
            sl_MetadataResponse_MetadataResponsePartition_t *pp = &mp[t * 10 + p];
            sl_MetadataResponse_MetadataResponsePartition_init(pp);
            pp->PartitionIndex = p;
            pp->ReplicaNodes.count = pp->IsrNodes.count = 1;
            pp->ReplicaNodes.items = pp->IsrNodes.items = &node;
        }
        mt[t].Partitions.count = 10;
        mt[t].Partitions.items = &mp[t * 10];
    }
    md.Topics.count = 100;
    md.Topics.items = mt;
    BENCH_RUN(&ops, &mb, 1, {
        sl_buf_reset(&frame);
        if (sl_response_encode(&frame, 3, 12, 1, &md) != SL_OK)
            abort();
    });
    printf("response encode\n  Metadata v12 (%zu bytes, 1000 partitions): %.0f responses/s\n", frame.len, ops);
    free(mt);
    free(mp);
    free(mnames);
    sl_arena_fini(&arena);
    sl_buf_free(&batch);
    sl_buf_free(&frame);
}

int main(void)
{
    bench_batches();
    bench_requests();
    return 0;
}
