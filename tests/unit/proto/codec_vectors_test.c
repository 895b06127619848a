/* codec_vectors_test.c - byte vectors assembled by hand from the protocol
 * rules (classic int16/int32 lengths, compact uvarint N+1 lengths, tagged
 * sections), compared byte for byte with the encoder and decoded back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"

static void assert_bytes(const sl_buf_t *buf, const uint8_t *want, size_t n)
{
    assert_int_equal(sl_buf_err(buf), SL_OK);
    assert_int_equal(buf->len, n);
    assert_memory_equal(buf->data, want, n);
}

/* ApiVersionsRequest v3 as librdkafka sends it: request header v2 (ClientId
 * still an int16 string), compact strings in the body. */
static const uint8_t api_versions_v3_frame[] = {
    0, 0, 0, 36,                    /* size */
    0, 18,                          /* ApiKey: ApiVersions */
    0, 3,                           /* ApiVersion */
    0, 0, 0, 1,                     /* CorrelationId */
    0, 7, 'r', 'd', 'k', 'a', 'f', 'k', 'a', /* ClientId: int16 length */
    0x00,                           /* header tagged fields: none */
    0x0b, 'l', 'i', 'b', 'r', 'd', 'k', 'a', 'f', 'k', 'a', /* ClientSoftwareName: 10 + 1 */
    0x06, '2', '.', '0', '.', '2',  /* ClientSoftwareVersion: 5 + 1 */
    0x00,                           /* body tagged fields: none */
};

static void api_versions_request_v3_matches_hand_bytes(void **state)
{
    (void)state;
    sl_ApiVersionsRequest_t m;
    sl_buf_t buf = SL_BUF_INIT;
    sl_ApiVersionsRequest_init(&m);
    m.ClientSoftwareName = sl_kstr("librdkafka");
    m.ClientSoftwareVersion = sl_kstr("2.0.2");
    sl_req_hdr_t h = {.api_key = 18, .api_version = 3, .correlation_id = 1, .client_id = sl_kstr("rdkafka")};
    assert_int_equal(sl_request_encode(&buf, &h, &m), SL_OK);
    assert_bytes(&buf, api_versions_v3_frame, sizeof(api_versions_v3_frame));

    sl_arena_t arena;
    sl_request_t req;
    sl_arena_init(&arena, 0, 0);
    assert_int_equal(sl_request_decode(api_versions_v3_frame + 4, sizeof(api_versions_v3_frame) - 4, &arena, &req),
                     SL_OK);
    assert_int_equal(req.hdr.hdr_version, 2);
    assert_true(sl_kstr_eq(req.hdr.client_id, "rdkafka"));
    const sl_ApiVersionsRequest_t *d = req.body;
    assert_true(sl_kstr_eq(d->ClientSoftwareName, "librdkafka"));
    assert_true(sl_kstr_eq(d->ClientSoftwareVersion, "2.0.2"));
    sl_arena_fini(&arena);
    sl_buf_free(&buf);
}

static void api_versions_request_v2_has_no_body_fields(void **state)
{
    (void)state;
    /* The software name/version fields (v3+) are ignorable: dropped in v2. */
    sl_ApiVersionsRequest_t m;
    sl_buf_t buf = SL_BUF_INIT;
    sl_ApiVersionsRequest_init(&m);
    m.ClientSoftwareName = sl_kstr("x");
    sl_req_hdr_t h = {.api_key = 18, .api_version = 2, .correlation_id = 2, .client_id = sl_kstr("c")};
    assert_int_equal(sl_request_encode(&buf, &h, &m), SL_OK);
    const uint8_t want[] = {0, 0, 0, 11, 0, 18, 0, 2, 0, 0, 0, 2, 0, 1, 'c'};
    assert_bytes(&buf, want, sizeof(want));
    sl_buf_free(&buf);
}

/* MetadataRequest v1: header v1, Topics as an int32-counted array of
 * int16-length strings. */
static const uint8_t metadata_v1_frame[] = {
    0, 0, 0, 24,        /* size */
    0, 3, 0, 1,         /* ApiKey Metadata, ApiVersion 1 */
    0, 0, 0, 5,         /* CorrelationId */
    0, 1, 'c',          /* ClientId */
    0, 0, 0, 2,         /* Topics: 2 */
    0, 3, 'f', 'o', 'o',
    0, 2, 'b', 'a',
};

static void metadata_request_v1_matches_hand_bytes(void **state)
{
    (void)state;
    sl_MetadataRequest_t m;
    sl_MetadataRequest_MetadataRequestTopic_t t[2];
    sl_buf_t buf = SL_BUF_INIT;
    sl_MetadataRequest_init(&m);
    sl_MetadataRequest_MetadataRequestTopic_init(&t[0]);
    sl_MetadataRequest_MetadataRequestTopic_init(&t[1]);
    t[0].Name = sl_kstr("foo");
    t[1].Name = sl_kstr("ba");
    m.Topics.count = 2;
    m.Topics.items = t;
    sl_req_hdr_t h = {.api_key = 3, .api_version = 1, .correlation_id = 5, .client_id = sl_kstr("c")};
    assert_int_equal(sl_request_encode(&buf, &h, &m), SL_OK);
    assert_bytes(&buf, metadata_v1_frame, sizeof(metadata_v1_frame));

    /* Null topics ("all topics" in v1) is an int32 -1. */
    sl_buf_reset(&buf);
    m.Topics.count = -1;
    m.Topics.items = NULL;
    assert_int_equal(sl_MetadataRequest_encode(&buf, 1, &m), SL_OK);
    const uint8_t null_topics[] = {0xff, 0xff, 0xff, 0xff};
    assert_bytes(&buf, null_topics, sizeof(null_topics));

    sl_arena_t arena;
    sl_request_t req;
    sl_arena_init(&arena, 0, 0);
    assert_int_equal(sl_request_decode(metadata_v1_frame + 4, sizeof(metadata_v1_frame) - 4, &arena, &req), SL_OK);
    const sl_MetadataRequest_t *d = req.body;
    assert_int_equal(d->Topics.count, 2);
    assert_true(sl_kstr_eq(d->Topics.items[0].Name, "foo"));
    assert_true(sl_kstr_eq(d->Topics.items[1].Name, "ba"));
    assert_true(d->AllowAutoTopicCreation); /* v4+ field: its default */
    sl_arena_fini(&arena);
    sl_buf_free(&buf);
}

/* ProduceRequest v9 body: compact nullable string, compact arrays, compact
 * records, a tagged section closing every struct. */
static void produce_request_v9_body_matches_hand_bytes(void **state)
{
    (void)state;
    static const uint8_t records[] = {0xaa, 0xbb, 0xcc};
    sl_ProduceRequest_t m;
    sl_ProduceRequest_TopicProduceData_t td;
    sl_ProduceRequest_PartitionProduceData_t pd;
    sl_buf_t buf = SL_BUF_INIT;
    sl_ProduceRequest_init(&m);
    sl_ProduceRequest_TopicProduceData_init(&td);
    sl_ProduceRequest_PartitionProduceData_init(&pd);
    m.Acks = -1;
    m.TimeoutMs = 30000;
    td.Name = sl_kstr("t");
    pd.Index = 7;
    pd.Records.ptr = records;
    pd.Records.len = 3;
    td.PartitionData.count = 1;
    td.PartitionData.items = &pd;
    m.TopicData.count = 1;
    m.TopicData.items = &td;
    assert_int_equal(sl_ProduceRequest_encode(&buf, 9, &m), SL_OK);
    const uint8_t want[] = {
        0x00,                   /* TransactionalId: null */
        0xff, 0xff,             /* Acks -1 */
        0, 0, 0x75, 0x30,       /* TimeoutMs 30000 */
        0x02,                   /* TopicData: 1 */
        0x02, 't',              /* Name */
        0x02,                   /* PartitionData: 1 */
        0, 0, 0, 7,             /* Index */
        0x04, 0xaa, 0xbb, 0xcc, /* Records: 3 bytes */
        0x00,                   /* partition tags */
        0x00,                   /* topic tags */
        0x00,                   /* body tags */
    };
    assert_bytes(&buf, want, sizeof(want));

    /* Same message in v8: int16 string lengths, int32 counts and lengths. */
    sl_buf_reset(&buf);
    assert_int_equal(sl_ProduceRequest_encode(&buf, 8, &m), SL_OK);
    const uint8_t want_v8[] = {
        0xff, 0xff, 0xff, 0xff, 0, 0, 0x75, 0x30, 0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 1, 0, 0, 0, 7,
        0, 0, 0, 3, 0xaa, 0xbb, 0xcc,
    };
    assert_bytes(&buf, want_v8, sizeof(want_v8));

    /* Decoding is zero-copy: Records points into the input. */
    sl_arena_t arena;
    sl_rd_t rd;
    sl_ProduceRequest_t d;
    sl_arena_init(&arena, 0, 0);
    sl_rd_init(&rd, want, sizeof(want));
    assert_int_equal(sl_ProduceRequest_decode(&rd, 9, &arena, &d), SL_OK);
    assert_ptr_equal(d.TopicData.items[0].PartitionData.items[0].Records.ptr, want + 16);
    assert_int_equal(d.TopicData.items[0].PartitionData.items[0].Records.len, 3);
    sl_arena_fini(&arena);
    sl_buf_free(&buf);
}

/* FetchResponse v12: a tagged struct field (DivergingEpoch, tag 0) is
 * written only when it differs from its default, as a sized value holding
 * the struct with its own tagged section. */
static void fetch_response_v12_tagged_struct_matches_hand_bytes(void **state)
{
    (void)state;
    sl_FetchResponse_t m;
    sl_FetchResponse_FetchableTopicResponse_t t;
    sl_FetchResponse_PartitionData_t p;
    sl_buf_t buf = SL_BUF_INIT;
    sl_FetchResponse_init(&m);
    sl_FetchResponse_FetchableTopicResponse_init(&t);
    sl_FetchResponse_PartitionData_init(&p);
    assert_int_equal(p.DivergingEpoch.Epoch, -1);
    assert_int_equal(p.CurrentLeader.LeaderId, -1);
    t.Topic = sl_kstr("x");
    p.PartitionIndex = 1;
    p.HighWatermark = 2;
    p.LastStableOffset = 3;
    p.LogStartOffset = 0;
    p.Records.len = -1;
    p.DivergingEpoch.Epoch = 4;
    p.DivergingEpoch.EndOffset = 5;
    t.Partitions.count = 1;
    t.Partitions.items = &p;
    m.Responses.count = 1;
    m.Responses.items = &t;
    assert_int_equal(sl_FetchResponse_encode(&buf, 12, &m), SL_OK);
    const uint8_t want[] = {
        0, 0, 0, 0,                 /* ThrottleTimeMs */
        0, 0,                       /* ErrorCode */
        0, 0, 0, 0,                 /* SessionId */
        0x02,                       /* Responses: 1 */
        0x02, 'x',                  /* Topic */
        0x02,                       /* Partitions: 1 */
        0, 0, 0, 1,                 /* PartitionIndex */
        0, 0,                       /* ErrorCode */
        0, 0, 0, 0, 0, 0, 0, 2,     /* HighWatermark */
        0, 0, 0, 0, 0, 0, 0, 3,     /* LastStableOffset */
        0, 0, 0, 0, 0, 0, 0, 0,     /* LogStartOffset */
        0x01,                       /* AbortedTransactions: empty */
        0xff, 0xff, 0xff, 0xff,     /* PreferredReadReplica -1 */
        0x00,                       /* Records: null */
        0x01,                       /* tagged fields: 1 */
        0x00, 0x0d,                 /* tag 0, 13 bytes */
        0, 0, 0, 4,                 /*   Epoch */
        0, 0, 0, 0, 0, 0, 0, 5,     /*   EndOffset */
        0x00,                       /*   its tagged fields */
        0x00,                       /* topic tags */
        0x00,                       /* body tags */
    };
    assert_bytes(&buf, want, sizeof(want));

    sl_arena_t arena;
    sl_rd_t rd;
    sl_FetchResponse_t d;
    sl_arena_init(&arena, 0, 0);
    sl_rd_init(&rd, want, sizeof(want));
    assert_int_equal(sl_FetchResponse_decode(&rd, 12, &arena, &d), SL_OK);
    const sl_FetchResponse_PartitionData_t *dp = &d.Responses.items[0].Partitions.items[0];
    assert_int_equal(dp->DivergingEpoch.Epoch, 4);
    assert_int_equal(dp->DivergingEpoch.EndOffset, 5);
    assert_int_equal(dp->CurrentLeader.LeaderId, -1); /* absent tag: default */
    assert_int_equal(dp->SnapshotId.EndOffset, -1);
    assert_int_equal(dp->Records.len, -1);
    sl_arena_fini(&arena);
    sl_buf_free(&buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(api_versions_request_v3_matches_hand_bytes),
        cmocka_unit_test(api_versions_request_v2_has_no_body_fields),
        cmocka_unit_test(metadata_request_v1_matches_hand_bytes),
        cmocka_unit_test(produce_request_v9_body_matches_hand_bytes),
        cmocka_unit_test(fetch_response_v12_tagged_struct_matches_hand_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
