/* codec_test.c - the generated decoders against hostile and broken input
 * (huge counts and lengths, negative lengths, nulls where not allowed,
 * truncation at every byte, tagged-field framing) and the encoder's version
 * rules (non-ignorable fields, nulls, version range). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"

/* Decodes n bytes (copied into an exactly-sized heap block, so ASan sees any
 * read past the end) as message md at version v, into an arena with the
 * given limit. Returns the error and the arena's bytes used. */
static sl_err_t decode_bytes(const sl_msg_desc_t *md, int16_t v, const uint8_t *bytes, size_t n, size_t limit,
                             size_t *used)
{
    sl_arena_t arena;
    sl_rd_t rd;
    uint8_t *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    if (n)
        memcpy(copy, bytes, n);
    sl_arena_init(&arena, 256, limit);
    void *m = malloc(md->size);
    assert_non_null(m);
    sl_rd_init(&rd, copy, n);
    sl_err_t err = md->decode(&rd, v, &arena, m);
    if (used)
        *used = sl_arena_used(&arena);
    sl_arena_fini(&arena);
    free(m);
    free(copy);
    return err;
}

/* ---- hostile counts and lengths ---------------------------------------- */

static void decode_huge_array_count_fails_before_allocating(void **state)
{
    (void)state;
    size_t used;
    /* MetadataRequest v1: Topics count 2^31-1, then 16 bytes of "elements". */
    uint8_t classic[20] = {0x7f, 0xff, 0xff, 0xff, 0, 1, 'a', 0, 1, 'b', 0, 1, 'c', 0, 1, 'd', 0, 1, 'e', 0};
    assert_int_equal(decode_bytes(&sl_MetadataRequest_desc, 1, classic, sizeof(classic), 64, &used),
                     SL_ERR_TRUNCATED);
    assert_int_equal(used, 0);
    /* MetadataRequest v12 (compact): count uvarint 0xfffffffe - 1, 15 bytes left. */
    uint8_t compact[20] = {0xfe, 0xff, 0xff, 0xff, 0x0f};
    sl_err_t err = decode_bytes(&sl_MetadataRequest_desc, 12, compact, sizeof(compact), 64, &used);
    assert_true(err == SL_ERR_TRUNCATED || err == SL_ERR_PARSE);
    assert_int_equal(used, 0);
    /* A count just under 2^31 in compact form. */
    uint8_t compact2[20] = {0x80, 0x80, 0x80, 0x80, 0x08};
    err = decode_bytes(&sl_MetadataRequest_desc, 12, compact2, sizeof(compact2), 64, &used);
    assert_true(err == SL_ERR_TRUNCATED || err == SL_ERR_PARSE);
    assert_int_equal(used, 0);
    /* Primitive array: FetchRequest v7 ForgottenTopicsData[0].Partitions with
     * a count of 1000 int32s but only 12 bytes behind it. */
    uint8_t fetch[] = {
        0xff, 0xff, 0xff, 0xff, /* ReplicaId */
        0, 0, 0, 100,           /* MaxWaitMs */
        0, 0, 0, 1,             /* MinBytes */
        0, 0, 0, 1,             /* MaxBytes */
        0,                      /* IsolationLevel */
        0, 0, 0, 0,             /* SessionId */
        0, 0, 0, 0,             /* SessionEpoch */
        0, 0, 0, 0,             /* Topics: 0 */
        0, 0, 0, 1,             /* ForgottenTopicsData: 1 */
        0, 1, 't',              /* Topic */
        0, 0, 0x03, 0xe8,       /* Partitions count 1000 */
        0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3,
    };
    assert_int_equal(decode_bytes(&sl_FetchRequest_desc, 7, fetch, sizeof(fetch), 1 << 20, &used), SL_ERR_TRUNCATED);
    /* Only the ForgottenTopicsData element was allocated, not the int32s. */
    assert_true(used < 1000 * sizeof(int32_t));
}

static void decode_array_within_bytes_but_past_arena_limit_is_nomem(void **state)
{
    (void)state;
    /* 64 empty-string topics (2 bytes each on the wire) need more arena than
     * a 256-byte limit: the count check passes, the allocation fails. */
    uint8_t b[4 + 64 * 2] = {0, 0, 0, 64};
    assert_int_equal(decode_bytes(&sl_MetadataRequest_desc, 1, b, sizeof(b), 256, NULL), SL_ERR_NOMEM);
    assert_int_equal(decode_bytes(&sl_MetadataRequest_desc, 1, b, sizeof(b), 0, NULL), SL_OK);
}

static void decode_huge_string_length_fails(void **state)
{
    (void)state;
    /* FindCoordinatorRequest v0: Key with length 32767, 3 bytes present. */
    uint8_t classic[] = {0x7f, 0xff, 'a', 'b', 'c'};
    assert_int_equal(decode_bytes(&sl_FindCoordinatorRequest_desc, 0, classic, sizeof(classic), 64, NULL),
                     SL_ERR_TRUNCATED);
    /* v3 (compact): length uvarint 2^32-1 (-> 2^32-2 bytes). */
    uint8_t compact[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 'a', 'b'};
    sl_err_t err = decode_bytes(&sl_FindCoordinatorRequest_desc, 3, compact, sizeof(compact), 64, NULL);
    assert_true(err == SL_ERR_TRUNCATED || err == SL_ERR_PARSE);
    /* A varint longer than 5 bytes is malformed. */
    uint8_t overlong[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0};
    assert_int_equal(decode_bytes(&sl_FindCoordinatorRequest_desc, 3, overlong, sizeof(overlong), 64, NULL),
                     SL_ERR_PARSE);
    /* Bytes: SaslAuthenticateRequest v0 AuthBytes length 2^31-1. */
    uint8_t bytes[] = {0x7f, 0xff, 0xff, 0xff, 1, 2, 3};
    assert_int_equal(decode_bytes(&sl_SaslAuthenticateRequest_desc, 0, bytes, sizeof(bytes), 64, NULL),
                     SL_ERR_TRUNCATED);
}

static void decode_negative_lengths_are_parse_errors(void **state)
{
    (void)state;
    uint8_t str[] = {0xff, 0xfe, 0, 0}; /* Key length -2 */
    assert_int_equal(decode_bytes(&sl_FindCoordinatorRequest_desc, 0, str, sizeof(str), 0, NULL), SL_ERR_PARSE);
    uint8_t arr[] = {0xff, 0xff, 0xff, 0xfe}; /* Topics count -2 */
    assert_int_equal(decode_bytes(&sl_MetadataRequest_desc, 1, arr, sizeof(arr), 0, NULL), SL_ERR_PARSE);
    uint8_t arr_min[] = {0x80, 0, 0, 0}; /* Topics count INT32_MIN */
    assert_int_equal(decode_bytes(&sl_MetadataRequest_desc, 1, arr_min, sizeof(arr_min), 0, NULL), SL_ERR_PARSE);
    uint8_t bytes[] = {0xff, 0xff, 0xff, 0xfb, 0}; /* AuthBytes length -5 */
    assert_int_equal(decode_bytes(&sl_SaslAuthenticateRequest_desc, 0, bytes, sizeof(bytes), 0, NULL), SL_ERR_PARSE);
}

static void decode_null_only_where_nullable(void **state)
{
    (void)state;
    uint8_t null_arr[] = {0xff, 0xff, 0xff, 0xff};
    /* MetadataRequest Topics: nullable from v1, not in v0. */
    assert_int_equal(decode_bytes(&sl_MetadataRequest_desc, 0, null_arr, sizeof(null_arr), 0, NULL), SL_ERR_PARSE);
    uint8_t v1[] = {0xff, 0xff, 0xff, 0xff};
    assert_int_equal(decode_bytes(&sl_MetadataRequest_desc, 1, v1, sizeof(v1), 0, NULL), SL_OK);
    /* FindCoordinatorRequest Key is never nullable. */
    uint8_t null_str[] = {0xff, 0xff};
    assert_int_equal(decode_bytes(&sl_FindCoordinatorRequest_desc, 0, null_str, sizeof(null_str), 0, NULL),
                     SL_ERR_PARSE);
    /* Compact null (0) for the same field in v3. */
    uint8_t null_compact[] = {0x00, 0x00, 0x00};
    assert_int_equal(decode_bytes(&sl_FindCoordinatorRequest_desc, 3, null_compact, sizeof(null_compact), 0, NULL),
                     SL_ERR_PARSE);
    /* ProduceRequest v3 TransactionalId may be null; Acks, Timeout, no topics. */
    uint8_t produce[] = {0xff, 0xff, 0, 1, 0, 0, 0x75, 0x30, 0, 0, 0, 0};
    assert_int_equal(decode_bytes(&sl_ProduceRequest_desc, 3, produce, sizeof(produce), 0, NULL), SL_OK);
}

static void decode_version_outside_range_is_unsupported_version(void **state)
{
    (void)state;
    uint8_t b[8] = {0};
    assert_int_equal(decode_bytes(&sl_MetadataRequest_desc, 13, b, sizeof(b), 0, NULL), SL_ERR_UNSUPPORTED_VERSION);
    assert_int_equal(decode_bytes(&sl_MetadataRequest_desc, -1, b, sizeof(b), 0, NULL), SL_ERR_UNSUPPORTED_VERSION);
    sl_MetadataRequest_t m;
    sl_buf_t buf = SL_BUF_INIT;
    sl_MetadataRequest_init(&m);
    assert_int_equal(sl_MetadataRequest_encode(&buf, 13, &m), SL_ERR_UNSUPPORTED_VERSION);
    assert_int_equal(buf.len, 0);
    sl_buf_free(&buf);
}

/* ---- truncation at every byte ------------------------------------------ */

static void assert_every_prefix_fails(const sl_msg_desc_t *md, int16_t v, const void *m)
{
    sl_buf_t buf = SL_BUF_INIT;
    assert_int_equal(md->encode(&buf, v, m), SL_OK);
    assert_true(buf.len > 8);
    assert_int_equal(decode_bytes(md, v, buf.data, buf.len, 0, NULL), SL_OK);
    for (size_t n = 0; n < buf.len; n++) {
        sl_err_t err = decode_bytes(md, v, buf.data, n, 0, NULL);
        if (err == SL_OK)
            fail_msg("%s v%d: a %zu-byte prefix of %zu decoded", md->name, v, n, buf.len);
        assert_true(err == SL_ERR_TRUNCATED || err == SL_ERR_PARSE);
    }
    sl_buf_free(&buf);
}

static void decode_truncated_at_every_byte_fails(void **state)
{
    (void)state;
    static const uint8_t batch[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

    sl_MetadataRequest_t md;
    sl_MetadataRequest_MetadataRequestTopic_t mt[2];
    sl_MetadataRequest_init(&md);
    for (int i = 0; i < 2; i++)
        sl_MetadataRequest_MetadataRequestTopic_init(&mt[i]);
    mt[0].Name = sl_kstr("orders");
    mt[1].TopicId.b[3] = 7;
    mt[1].Name = sl_kstr_null();
    md.Topics.count = 2;
    md.Topics.items = mt;
    md.IncludeTopicAuthorizedOperations = true;
    assert_every_prefix_fails(&sl_MetadataRequest_desc, 12, &md);

    sl_ProduceRequest_t pr;
    sl_ProduceRequest_TopicProduceData_t td;
    sl_ProduceRequest_PartitionProduceData_t pd[2];
    sl_ProduceRequest_init(&pr);
    sl_ProduceRequest_TopicProduceData_init(&td);
    pr.TransactionalId = sl_kstr("txn-1");
    pr.Acks = -1;
    pr.TimeoutMs = 30000;
    td.Name = sl_kstr("events");
    for (int i = 0; i < 2; i++) {
        sl_ProduceRequest_PartitionProduceData_init(&pd[i]);
        pd[i].Index = i;
        pd[i].Records.ptr = batch;
        pd[i].Records.len = (int32_t)sizeof(batch);
    }
    td.PartitionData.count = 2;
    td.PartitionData.items = pd;
    pr.TopicData.count = 1;
    pr.TopicData.items = &td;
    assert_every_prefix_fails(&sl_ProduceRequest_desc, 9, &pr);
    assert_every_prefix_fails(&sl_ProduceRequest_desc, 3, &pr);

    sl_FetchRequest_t fr;
    sl_FetchRequest_FetchTopic_t ft;
    sl_FetchRequest_FetchPartition_t fp;
    sl_FetchRequest_ForgottenTopic_t fg;
    int32_t forgotten[] = {4, 5};
    sl_FetchRequest_init(&fr);
    sl_FetchRequest_FetchTopic_init(&ft);
    sl_FetchRequest_FetchPartition_init(&fp);
    sl_FetchRequest_ForgottenTopic_init(&fg);
    fr.ClusterId = sl_kstr("cluster-a"); /* tagged field */
    fr.ReplicaId = -1;
    fr.MaxWaitMs = 500;
    fr.MinBytes = 1;
    fr.SessionEpoch = 3;
    fr.RackId = sl_kstr("rack");
    ft.TopicId.b[0] = 0xab;
    fp.Partition = 2;
    fp.FetchOffset = 1234567;
    fp.LastFetchedEpoch = 4;
    fp.PartitionMaxBytes = 1 << 20;
    ft.Partitions.count = 1;
    ft.Partitions.items = &fp;
    fr.Topics.count = 1;
    fr.Topics.items = &ft;
    fg.TopicId.b[15] = 1;
    fg.Partitions.count = 2;
    fg.Partitions.items = forgotten;
    fr.ForgottenTopicsData.count = 1;
    fr.ForgottenTopicsData.items = &fg;
    assert_every_prefix_fails(&sl_FetchRequest_desc, 13, &fr);
}

/* ---- tagged fields ------------------------------------------------------- */

static void decode_skips_unknown_tagged_fields(void **state)
{
    (void)state;
    /* ApiVersionsRequest v3: two compact strings, then 2 tagged fields: an
     * unknown tag 99 of 3 bytes and an unknown tag 1 of 0 bytes. */
    const uint8_t b[] = {0x04, 'l', 'i', 'b', 0x02, '1', 0x02, 99, 3, 0xde, 0xad, 0xbe, 0x01, 0x00};
    sl_arena_t arena;
    sl_rd_t rd;
    sl_ApiVersionsRequest_t m;
    sl_arena_init(&arena, 0, 0);
    sl_rd_init(&rd, b, sizeof(b));
    assert_int_equal(sl_ApiVersionsRequest_decode(&rd, 3, &arena, &m), SL_OK);
    assert_int_equal(sl_rd_left(&rd), 0);
    assert_true(sl_kstr_eq(m.ClientSoftwareName, "lib"));
    assert_true(sl_kstr_eq(m.ClientSoftwareVersion, "1"));
    /* Re-encoding drops the unknown tags. */
    sl_buf_t buf = SL_BUF_INIT;
    assert_int_equal(sl_ApiVersionsRequest_encode(&buf, 3, &m), SL_OK);
    const uint8_t want[] = {0x04, 'l', 'i', 'b', 0x02, '1', 0x00};
    assert_int_equal(buf.len, sizeof(want));
    assert_memory_equal(buf.data, want, sizeof(want));
    sl_buf_free(&buf);
    sl_arena_fini(&arena);
}

static void decode_known_tag_reads_within_its_size(void **state)
{
    (void)state;
    sl_arena_t arena;
    sl_rd_t rd;
    sl_ApiVersionsResponse_t m;
    sl_arena_init(&arena, 0, 0);
    /* ApiVersionsResponse v3: ErrorCode 0, ApiKeys empty, ThrottleTimeMs 0,
     * tag 1 (FinalizedFeaturesEpoch int64) given 10 bytes: the value is the
     * first 8, the rest is skipped with the field. */
    const uint8_t ok[] = {0, 0, 0x01, 0, 0, 0, 0, 0x01, 1, 10, 0, 0, 0, 0, 0, 0, 0, 42, 0xee, 0xee};
    sl_rd_init(&rd, ok, sizeof(ok));
    assert_int_equal(sl_ApiVersionsResponse_decode(&rd, 3, &arena, &m), SL_OK);
    assert_int_equal(m.FinalizedFeaturesEpoch, 42);
    assert_int_equal(sl_rd_left(&rd), 0);
    /* The same tag given 4 bytes: the int64 cannot be read from them, even
     * though more bytes follow in the frame. */
    const uint8_t short_tag[] = {0, 0, 0x01, 0, 0, 0, 0, 0x01, 1, 4, 0, 0, 0, 0, 0, 0, 0, 42};
    sl_rd_init(&rd, short_tag, sizeof(short_tag));
    assert_int_equal(sl_ApiVersionsResponse_decode(&rd, 3, &arena, &m), SL_ERR_TRUNCATED);
    /* A tag whose size runs past the end of the frame. */
    const uint8_t past_end[] = {0, 0, 0x01, 0, 0, 0, 0, 0x01, 7, 50, 1, 2};
    sl_rd_init(&rd, past_end, sizeof(past_end));
    assert_int_equal(sl_ApiVersionsResponse_decode(&rd, 3, &arena, &m), SL_ERR_TRUNCATED);
    /* A tag count far larger than the bytes left ends with the input. */
    const uint8_t many[] = {0, 0, 0x01, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f, 9, 0};
    sl_rd_init(&rd, many, sizeof(many));
    assert_int_equal(sl_ApiVersionsResponse_decode(&rd, 3, &arena, &m), SL_ERR_TRUNCATED);
    sl_arena_fini(&arena);
}

static void encode_writes_tagged_fields_only_when_not_default(void **state)
{
    (void)state;
    sl_ApiVersionsResponse_t m;
    sl_buf_t buf = SL_BUF_INIT;
    sl_ApiVersionsResponse_init(&m);
    assert_int_equal(m.FinalizedFeaturesEpoch, -1);
    assert_int_equal(sl_ApiVersionsResponse_encode(&buf, 3, &m), SL_OK);
    const uint8_t plain[] = {0, 0, 0x01, 0, 0, 0, 0, 0x00};
    assert_int_equal(buf.len, sizeof(plain));
    assert_memory_equal(buf.data, plain, sizeof(plain));
    sl_buf_reset(&buf);
    m.FinalizedFeaturesEpoch = 5;
    m.ZkMigrationReady = true;
    assert_int_equal(sl_ApiVersionsResponse_encode(&buf, 3, &m), SL_OK);
    const uint8_t tagged[] = {0, 0, 0x01, 0, 0, 0, 0, 0x02, 1, 8, 0, 0, 0, 0, 0, 0, 0, 5, 3, 1, 1};
    assert_int_equal(buf.len, sizeof(tagged));
    assert_memory_equal(buf.data, tagged, sizeof(tagged));
    sl_buf_free(&buf);
}

/* ---- encoder version rules ---------------------------------------------- */

static void encode_non_ignorable_field_in_old_version_is_unsupported(void **state)
{
    (void)state;
    sl_buf_t buf = SL_BUF_INIT;
    sl_CreateTopicsRequest_t ct;
    sl_CreateTopicsRequest_init(&ct);
    assert_int_equal(ct.timeoutMs, 60000);
    sl_buf_put(&buf, "xy", 2);
    /* validateOnly exists from v1 and is not ignorable. */
    ct.validateOnly = true;
    assert_int_equal(sl_CreateTopicsRequest_encode(&buf, 0, &ct), SL_ERR_UNSUPPORTED);
    assert_int_equal(buf.len, 2); /* cut back to where it started */
    assert_int_equal(sl_CreateTopicsRequest_encode(&buf, 1, &ct), SL_OK);
    ct.validateOnly = false;
    assert_int_equal(sl_CreateTopicsRequest_encode(&buf, 0, &ct), SL_OK);

    /* FetchRequest: LastFetchedEpoch (v12+) is not ignorable, MaxBytes (v3+) is. */
    sl_FetchRequest_t fr;
    sl_FetchRequest_FetchTopic_t ft;
    sl_FetchRequest_FetchPartition_t fp;
    sl_FetchRequest_init(&fr);
    sl_FetchRequest_FetchTopic_init(&ft);
    sl_FetchRequest_FetchPartition_init(&fp);
    ft.Topic = sl_kstr("t");
    ft.Partitions.count = 1;
    ft.Partitions.items = &fp;
    fr.Topics.count = 1;
    fr.Topics.items = &ft;
    fr.MaxBytes = 100;
    assert_int_equal(sl_FetchRequest_encode(&buf, 2, &fr), SL_OK);
    fp.LastFetchedEpoch = 9;
    assert_int_equal(sl_FetchRequest_encode(&buf, 11, &fr), SL_ERR_UNSUPPORTED);
    assert_int_equal(sl_FetchRequest_encode(&buf, 12, &fr), SL_OK);
    /* A non-ignorable array (ForgottenTopicsData, v7+) that is not empty. */
    fp.LastFetchedEpoch = -1;
    sl_FetchRequest_ForgottenTopic_t fg;
    sl_FetchRequest_ForgottenTopic_init(&fg);
    fr.ForgottenTopicsData.count = 1;
    fr.ForgottenTopicsData.items = &fg;
    assert_int_equal(sl_FetchRequest_encode(&buf, 6, &fr), SL_ERR_UNSUPPORTED);
    assert_int_equal(sl_FetchRequest_encode(&buf, 7, &fr), SL_OK);
    sl_buf_free(&buf);
}

static void encode_null_where_not_nullable_is_inval(void **state)
{
    (void)state;
    sl_buf_t buf = SL_BUF_INIT;
    sl_FindCoordinatorRequest_t fc;
    sl_FindCoordinatorRequest_init(&fc);
    fc.Key = sl_kstr_null();
    assert_int_equal(sl_FindCoordinatorRequest_encode(&buf, 0, &fc), SL_ERR_INVAL);
    assert_int_equal(buf.len, 0);
    sl_MetadataRequest_t md;
    sl_MetadataRequest_init(&md);
    md.Topics.count = -1;
    assert_int_equal(sl_MetadataRequest_encode(&buf, 0, &md), SL_ERR_INVAL);
    assert_int_equal(sl_MetadataRequest_encode(&buf, 1, &md), SL_OK);
    const uint8_t want[] = {0xff, 0xff, 0xff, 0xff};
    assert_int_equal(buf.len, sizeof(want));
    assert_memory_equal(buf.data, want, sizeof(want));
    /* An array with elements but no items, and a classic string too long. */
    sl_buf_reset(&buf);
    md.Topics.count = 2;
    md.Topics.items = NULL;
    assert_int_equal(sl_MetadataRequest_encode(&buf, 1, &md), SL_ERR_INVAL);
    static char big[40000];
    memset(big, 'x', sizeof(big));
    fc.Key = sl_kstr_n(big, (int32_t)sizeof(big));
    assert_int_equal(sl_FindCoordinatorRequest_encode(&buf, 0, &fc), SL_ERR_INVAL);
    assert_int_equal(sl_FindCoordinatorRequest_encode(&buf, 3, &fc), SL_OK); /* compact: fine */
    sl_buf_free(&buf);
}

static void decode_gives_defaults_for_fields_the_version_lacks(void **state)
{
    (void)state;
    sl_arena_t arena;
    sl_rd_t rd;
    sl_FetchRequest_t m;
    sl_arena_init(&arena, 0, 0);
    /* FetchRequest v0: ReplicaId, MaxWaitMs, MinBytes, no topics. */
    const uint8_t b[] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0};
    memset(&m, 0x5a, sizeof(m));
    sl_rd_init(&rd, b, sizeof(b));
    assert_int_equal(sl_FetchRequest_decode(&rd, 0, &arena, &m), SL_OK);
    assert_int_equal(m.ReplicaId, -1);
    assert_int_equal(m.MaxBytes, 0x7fffffff);
    assert_int_equal(m.IsolationLevel, 0);
    assert_int_equal(m.SessionEpoch, -1);
    assert_int_equal(m.ForgottenTopicsData.count, 0);
    assert_true(sl_kstr_is_null(m.ClusterId));
    assert_true(sl_kstr_eq(m.RackId, ""));
    assert_int_equal(m.Topics.count, 0);
    sl_arena_fini(&arena);
}

static void decode_borrows_strings_from_the_input(void **state)
{
    (void)state;
    sl_arena_t arena;
    sl_rd_t rd;
    sl_FindCoordinatorRequest_t m;
    const uint8_t b[] = {0, 5, 'g', 'r', 'o', 'u', 'p', 0};
    sl_arena_init(&arena, 0, 0);
    sl_rd_init(&rd, b, sizeof(b));
    assert_int_equal(sl_FindCoordinatorRequest_decode(&rd, 1, &arena, &m), SL_OK);
    assert_ptr_equal(m.Key.ptr, (const char *)b + 2);
    assert_int_equal(m.Key.len, 5);
    assert_int_equal(sl_arena_used(&arena), 0);
    char *dup = sl_kstr_dup(&arena, m.Key);
    assert_string_equal(dup, "group");
    assert_null(sl_kstr_dup(&arena, sl_kstr_null()));
    sl_arena_fini(&arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decode_huge_array_count_fails_before_allocating),
        cmocka_unit_test(decode_array_within_bytes_but_past_arena_limit_is_nomem),
        cmocka_unit_test(decode_huge_string_length_fails),
        cmocka_unit_test(decode_negative_lengths_are_parse_errors),
        cmocka_unit_test(decode_null_only_where_nullable),
        cmocka_unit_test(decode_version_outside_range_is_unsupported_version),
        cmocka_unit_test(decode_truncated_at_every_byte_fails),
        cmocka_unit_test(decode_skips_unknown_tagged_fields),
        cmocka_unit_test(decode_known_tag_reads_within_its_size),
        cmocka_unit_test(encode_writes_tagged_fields_only_when_not_default),
        cmocka_unit_test(encode_non_ignorable_field_in_old_version_is_unsupported),
        cmocka_unit_test(encode_null_where_not_nullable_is_inval),
        cmocka_unit_test(decode_gives_defaults_for_fields_the_version_lacks),
        cmocka_unit_test(decode_borrows_strings_from_the_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
