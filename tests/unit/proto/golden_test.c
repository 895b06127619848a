/*
 * golden_test.c - request frames captured from real clients decode to what
 * the clients sent, re-encode to the same bytes, and the record batches
 * librdkafka and kafka-python wrote (every codec) decode record by record.
 *
 * The frames in data/ were recorded by sluice-wiretap while kcat (librdkafka
 * 2.0.2) and kafka-python 2.0.2 talked to it; tests/tools/capture.sh
 * recaptures them. Each frame is the request without its 4-byte size prefix.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"

typedef struct golden {
    uint8_t *frame;
    size_t len;
    sl_arena_t arena;
    sl_request_t req;
} golden_t;

/* Loads data/<name>, decodes it and checks that it re-encodes to the same
 * bytes. */
static void golden_load(golden_t *g, const char *name, int16_t api_key, int16_t version)
{
    char path[256];
    snprintf(path, sizeof path, "data/%s", name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    g->frame = malloc(1 << 16);
    assert_non_null(g->frame);
    g->len = fread(g->frame, 1, 1 << 16, f);
    fclose(f);
    assert_true(g->len > 8);

    sl_arena_init(&g->arena, 0, 1 << 20);
    assert_int_equal(sl_request_decode(g->frame, g->len, &g->arena, &g->req), SL_OK);
    assert_true(g->req.hdr_ok);
    assert_int_equal(g->req.hdr.api_key, api_key);
    assert_int_equal(g->req.hdr.api_version, version);

    sl_buf_t out = SL_BUF_INIT;
    assert_int_equal(sl_request_encode(&out, &g->req.hdr, g->req.body), SL_OK);
    assert_int_equal(out.len, g->len + 4);
    assert_memory_equal(out.data + 4, g->frame, g->len);
    sl_buf_free(&out);
}

static void golden_free(golden_t *g)
{
    sl_arena_fini(&g->arena);
    free(g->frame);
}

static void assert_kstr(sl_kstr_t s, const char *want)
{
    if (!sl_kstr_eq(s, want))
        fail_msg("expected \"%s\", got \"%.*s\" (len %d)", want, s.len > 0 ? (int)s.len : 0,
                 s.ptr ? s.ptr : "", (int)s.len);
}

static void assert_bytes(const uint8_t *p, int32_t len, const char *want)
{
    assert_int_equal(len, (int32_t)strlen(want));
    assert_memory_equal(p, want, (size_t)len);
}

static void golden_kcat_api_versions_v3(void **state)
{
    (void)state;
    golden_t g;
    golden_load(&g, "kcat_ApiVersions_v3.bin", 18, 3);
    assert_int_equal(g.req.hdr.hdr_version, 2);
    assert_kstr(g.req.hdr.client_id, "rdkafka");
    sl_ApiVersionsRequest_t *r = g.req.body;
    assert_kstr(r->ClientSoftwareName, "librdkafka");
    assert_kstr(r->ClientSoftwareVersion, "2.0.2");
    golden_free(&g);
}

static void golden_kcat_metadata_v4_all_topics(void **state)
{
    (void)state;
    golden_t g;
    golden_load(&g, "kcat_Metadata_v4.bin", 3, 4);
    sl_MetadataRequest_t *r = g.req.body;
    assert_int_equal(r->Topics.count, -1); /* null: every topic */
    assert_true(r->AllowAutoTopicCreation);
    golden_free(&g);
}

/* kcat -P -K: -H h1=v1 -z CODEC of "k1:hello-CODEC ...(16 times)" and "k2:world-CODEC ...". */
static void check_kcat_produce(const char *codec_name, sl_compression_t codec)
{
    char file[64];
    snprintf(file, sizeof file, "kcat_Produce_v7_%s.bin", codec_name);
    golden_t g;
    golden_load(&g, file, 0, 7);
    sl_ProduceRequest_t *r = g.req.body;
    assert_int_equal(r->Acks, -1);
    assert_int_equal(r->TimeoutMs, 30000);
    assert_int_equal(r->TransactionalId.len, -1);
    assert_int_equal(r->TopicData.count, 1);
    assert_kstr(r->TopicData.items[0].Name, "golden");
    assert_int_equal(r->TopicData.items[0].PartitionData.count, 1);
    sl_ProduceRequest_PartitionProduceData_t *pd = &r->TopicData.items[0].PartitionData.items[0];
    assert_int_equal(pd->Index, 0);

    sl_batch_iter_t it;
    sl_batch_t batch;
    sl_batch_iter_init(&it, pd->Records.ptr, (size_t)pd->Records.len);
    assert_int_equal(sl_batch_iter_next(&it, &batch), SL_OK);
    assert_int_equal(sl_batch_compression(&batch), codec);
    assert_int_equal(batch.record_count, 2);
    assert_int_equal(batch.producer_id, -1);
    assert_false(sl_batch_is_transactional(&batch));
    sl_buf_t scratch = SL_BUF_INIT;
    assert_int_equal(sl_batch_validate(&batch, SL_BATCH_VALIDATE_STRICT, &scratch, 0, NULL, 0), SL_OK);

    sl_record_iter_t rit;
    sl_record_t rec;
    assert_int_equal(sl_record_iter_init(&rit, &batch, &scratch, 0), SL_OK);
    const char *keys[2] = {"k1", "k2"};
    const char *words[2] = {"hello", "world"};
    for (int i = 0; i < 2; i++) {
        char value[256] = "";
        for (int rep = 0; rep < 16; rep++) /* "hello-gzip hello-gzip ... " */
            snprintf(value + strlen(value), sizeof value - strlen(value), "%s-%s ", words[i], codec_name);
        assert_int_equal(sl_record_iter_next(&rit, &rec), SL_OK);
        assert_int_equal(rec.offset_delta, i);
        assert_bytes(rec.key, rec.key_len, keys[i]);
        assert_bytes(rec.value, rec.value_len, value);
        assert_int_equal(rec.header_count, 1);
        sl_header_iter_t hit;
        sl_header_t h;
        sl_header_iter_init(&hit, &rec);
        assert_true(sl_header_iter_next(&hit, &h));
        assert_bytes(h.key, (int32_t)h.key_len, "h1");
        assert_bytes(h.value, h.value_len, "v1");
        assert_false(sl_header_iter_next(&hit, &h));
    }
    assert_int_equal(sl_record_iter_next(&rit, &rec), SL_ERR_NOENT);
    assert_int_equal(sl_batch_iter_next(&it, &batch), SL_ERR_NOENT);
    sl_buf_free(&scratch);
    golden_free(&g);
}

static void golden_kcat_produce_v7_none(void **state)
{
    (void)state;
    check_kcat_produce("none", SL_COMPRESSION_NONE);
}
static void golden_kcat_produce_v7_gzip(void **state)
{
    (void)state;
    check_kcat_produce("gzip", SL_COMPRESSION_GZIP);
}
static void golden_kcat_produce_v7_snappy(void **state)
{
    (void)state;
    check_kcat_produce("snappy", SL_COMPRESSION_SNAPPY);
}
static void golden_kcat_produce_v7_lz4(void **state)
{
    (void)state;
    check_kcat_produce("lz4", SL_COMPRESSION_LZ4);
}
static void golden_kcat_produce_v7_zstd(void **state)
{
    (void)state;
    check_kcat_produce("zstd", SL_COMPRESSION_ZSTD);
}

static void golden_kcat_list_offsets_v2_earliest(void **state)
{
    (void)state;
    golden_t g;
    golden_load(&g, "kcat_ListOffsets_v2.bin", 2, 2);
    sl_ListOffsetsRequest_t *r = g.req.body;
    assert_int_equal(r->ReplicaId, -1);
    assert_int_equal(r->Topics.count, 1);
    assert_kstr(r->Topics.items[0].Name, "golden");
    assert_int_equal(r->Topics.items[0].Partitions.count, 1);
    assert_int_equal(r->Topics.items[0].Partitions.items[0].Timestamp, -2);
    golden_free(&g);
}

static void golden_kcat_fetch_v11(void **state)
{
    (void)state;
    golden_t g;
    golden_load(&g, "kcat_Fetch_v11.bin", 1, 11);
    sl_FetchRequest_t *r = g.req.body;
    assert_int_equal(r->ReplicaId, -1);
    assert_int_equal(r->MaxWaitMs, 500);
    assert_int_equal(r->IsolationLevel, 1); /* librdkafka defaults to read_committed */
    assert_int_equal(r->Topics.count, 1);
    assert_kstr(r->Topics.items[0].Topic, "golden");
    assert_int_equal(r->Topics.items[0].Partitions.count, 1);
    assert_int_equal(r->Topics.items[0].Partitions.items[0].Partition, 0);
    assert_true(r->Topics.items[0].Partitions.items[0].FetchOffset >= 0);
    assert_kstr(r->RackId, "");
    golden_free(&g);
}

static void golden_kafkapython_api_versions_v0(void **state)
{
    (void)state;
    golden_t g;
    golden_load(&g, "kafkapython_ApiVersions.bin", 18, 0);
    assert_int_equal(g.req.hdr.hdr_version, 1);
    golden_free(&g);
}

static void golden_kafkapython_metadata_v1(void **state)
{
    (void)state;
    golden_t g;
    golden_load(&g, "kafkapython_Metadata.bin", 3, 1);
    sl_MetadataRequest_t *r = g.req.body;
    assert_int_equal(r->Topics.count, 1);
    assert_kstr(r->Topics.items[0].Name, "golden-py");
    golden_free(&g);
}

static void golden_kafkapython_fetch_v4(void **state)
{
    (void)state;
    golden_t g;
    golden_load(&g, "kafkapython_Fetch.bin", 1, 4);
    sl_FetchRequest_t *r = g.req.body;
    assert_int_equal(r->IsolationLevel, 0);
    assert_kstr(r->Topics.items[0].Topic, "golden-py");
    golden_free(&g);
}

/* kafka-python's own (pure Python) batch writer, gzip. */
static void golden_kafkapython_produce_gzip(void **state)
{
    (void)state;
    golden_t g;
    golden_load(&g, "kafkapython_Produce.bin", 0, 7);
    sl_ProduceRequest_t *r = g.req.body;
    assert_int_equal(r->Acks, 1);
    assert_kstr(r->TopicData.items[0].Name, "golden-py");
    sl_kbytes_t records = r->TopicData.items[0].PartitionData.items[0].Records;

    sl_batch_iter_t it;
    sl_batch_t batch;
    sl_batch_iter_init(&it, records.ptr, (size_t)records.len);
    assert_int_equal(sl_batch_iter_next(&it, &batch), SL_OK);
    assert_int_equal(sl_batch_compression(&batch), SL_COMPRESSION_GZIP);
    assert_int_equal(batch.record_count, 2);

    sl_buf_t scratch = SL_BUF_INIT;
    sl_record_iter_t rit;
    sl_record_t rec;
    char want[128] = "";
    assert_int_equal(sl_record_iter_init(&rit, &batch, &scratch, 0), SL_OK);
    assert_int_equal(sl_record_iter_next(&rit, &rec), SL_OK);
    assert_bytes(rec.key, rec.key_len, "k1");
    for (int i = 0; i < 8; i++)
        strcat(want, "hello-python ");
    assert_bytes(rec.value, rec.value_len, want);
    assert_int_equal(rec.header_count, 1);
    assert_int_equal(sl_record_iter_next(&rit, &rec), SL_OK);
    assert_null(rec.key);
    assert_int_equal(rec.key_len, -1);
    want[0] = '\0';
    for (int i = 0; i < 8; i++)
        strcat(want, "no-key ");
    assert_bytes(rec.value, rec.value_len, want);
    assert_int_equal(sl_record_iter_next(&rit, &rec), SL_ERR_NOENT);
    sl_buf_free(&scratch);
    golden_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(golden_kcat_api_versions_v3),
        cmocka_unit_test(golden_kcat_metadata_v4_all_topics),
        cmocka_unit_test(golden_kcat_produce_v7_none),
        cmocka_unit_test(golden_kcat_produce_v7_gzip),
        cmocka_unit_test(golden_kcat_produce_v7_snappy),
        cmocka_unit_test(golden_kcat_produce_v7_lz4),
        cmocka_unit_test(golden_kcat_produce_v7_zstd),
        cmocka_unit_test(golden_kcat_list_offsets_v2_earliest),
        cmocka_unit_test(golden_kcat_fetch_v11),
        cmocka_unit_test(golden_kafkapython_api_versions_v0),
        cmocka_unit_test(golden_kafkapython_metadata_v1),
        cmocka_unit_test(golden_kafkapython_fetch_v4),
        cmocka_unit_test(golden_kafkapython_produce_gzip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
