/* group_log_test.c - the coordinator's side of __consumer_offsets
 * (broker/group/offsets_log.c) on a broker in a temporary directory:
 * creating the topic (compacted, configured count, an existing count
 * kept), appending coordinator batches (errors mapped as Kafka's
 * coordinator maps them), reading a partition back record by record with
 * a compressed batch, a keyless record and a tombstone among them, and the
 * admin refusals of DeleteTopics and CreatePartitions for it. */
#include "admin_fixture.h"

#include "group/group_int.h"

#define OFFSETS SL_TOPIC_CONSUMER_OFFSETS

static const char *const small[] = {"offsets.topic.num.partitions=2", "offsets.topic.segment.bytes=2048"};

typedef struct seen {
    int n;
    int tombstones;
    char groups[16][32];
    int64_t offsets[16];
} seen_t;

static void collect(void *arg, const uint8_t *key, size_t klen, const uint8_t *value, int32_t vlen, int64_t offset)
{
    seen_t *s = arg;
    (void)offset;
    sl_coord_key_t k;
    assert_int_equal(sl_coord_key_read(key, klen, &k), SL_OK);
    assert_true(s->n < 16);
    snprintf(s->groups[s->n], sizeof s->groups[0], "%.*s", (int)k.group.len, k.group.ptr);
    s->offsets[s->n] = -1;
    if (vlen < 0) {
        s->tombstones++;
    } else if (k.version <= 1) {
        sl_offset_t o;
        sl_kstr_t meta;
        assert_int_equal(sl_coord_offset_value_read(value, (size_t)vlen, &o, &meta), SL_OK);
        s->offsets[s->n] = o.offset;
    }
    s->n++;
}

/* Appends raw batch bytes to __consumer_offsets-p as a client would. */
static void append_raw(fx_t *fx, int32_t p, sl_buf_t *buf)
{
    sl_partition_t *part = NULL;
    assert_int_equal(sl_broker_partition_get(fx->broker, OFFSETS, strlen(OFFSETS), p, &part), SL_OK);
    sl_partition_lock(part);
    assert_int_equal(sl_log_append(part->log, buf->data, buf->len, 0, 1700000000000LL, NULL), SL_OK);
    sl_partition_unlock(part);
    sl_partition_unref(part);
}

static void group_log_creates_topic_appends_and_reads_back(void **state)
{
    (void)state;
    fx_t *fx = fx_open(small, 2);
    assert_int_equal(sl_coord_topic_ensure(fx->broker), 2);
    assert_string_equal(fx_override(fx, OFFSETS, "cleanup.policy"), "compact");
    assert_string_equal(fx_override(fx, OFFSETS, "segment.bytes"), "2048");
    assert_int_equal(sl_coord_topic_ensure(fx->broker), 2); /* exists: kept */

    sl_coord_batch_t cb;
    sl_coord_batch_init(&cb);
    sl_offset_t o = {.offset = 11, .leader_epoch = -1, .metadata = NULL, .commit_ts = 5};
    sl_coord_batch_offset(&cb, sl_kstr("g1"), sl_kstr("t"), 0, &o);
    o.offset = 12;
    sl_coord_batch_offset(&cb, sl_kstr("g1"), sl_kstr("t"), 1, &o);
    sl_group_record_t g = {.protocol_type = sl_kstr("consumer"), .generation = 3, .protocol = sl_kstr("range"),
                           .leader = sl_kstr_null(), .state_ts = 7};
    sl_coord_batch_group(&cb, sl_kstr("g1"), &g);
    assert_int_equal(sl_coord_batch_append(fx->broker, 1, &cb), 0);
    assert_int_equal(sl_coord_batch_append(fx->broker, 1, &cb), 0); /* empty: nothing */
    sl_coord_batch_offset(&cb, sl_kstr("g1"), sl_kstr("t"), 1, NULL);
    assert_int_equal(sl_coord_batch_append(fx->broker, 1, &cb), 0);

    /* a gzip batch another writer might leave, and a keyless record */
    sl_buf_t raw = SL_BUF_INIT, key = SL_BUF_INIT, val = SL_BUF_INIT;
    sl_coord_offset_key_write(&key, sl_kstr("g2"), sl_kstr("t"), 0);
    o.offset = 99;
    sl_coord_offset_value_write(&val, &o);
    sl_batch_opts_t opts;
    sl_batch_opts_init(&opts);
    opts.compression = SL_COMPRESSION_GZIP;
    sl_batch_builder_t b;
    assert_int_equal(sl_batch_builder_begin(&b, &raw, &opts), SL_OK);
    assert_int_equal(sl_batch_builder_add(&b, 1, NULL, -1, "x", 1, NULL, 0), SL_OK);
    assert_int_equal(sl_batch_builder_add(&b, 1, key.data, (int32_t)key.len, val.data, (int32_t)val.len, NULL, 0),
                     SL_OK);
    assert_int_equal(sl_batch_builder_finish(&b), SL_OK);
    append_raw(fx, 1, &raw);

    seen_t s;
    memset(&s, 0, sizeof s);
    atomic_bool stop;
    atomic_init(&stop, false);
    assert_int_equal(sl_coord_topic_scan(fx->broker, 1, &stop, collect, &s), SL_OK);
    assert_int_equal(s.n, 5); /* the keyless record is skipped */
    assert_string_equal(s.groups[0], "g1");
    assert_int_equal(s.offsets[0], 11);
    assert_int_equal(s.offsets[1], 12);
    assert_int_equal(s.offsets[2], -1); /* the group record */
    assert_int_equal(s.tombstones, 1);
    assert_string_equal(s.groups[4], "g2");
    assert_int_equal(s.offsets[4], 99);

    /* a stop request ends the scan at once */
    memset(&s, 0, sizeof s);
    atomic_store(&stop, true);
    assert_int_equal(sl_coord_topic_scan(fx->broker, 1, &stop, collect, &s), SL_OK);
    assert_int_equal(s.n, 0);

    /* errors for a commit: no such partition, a batch above segment.bytes */
    o.offset = 1;
    sl_coord_batch_offset(&cb, sl_kstr("g1"), sl_kstr("t"), 0, &o);
    assert_int_equal(sl_coord_batch_append(fx->broker, 7, &cb), SL_ERR_COORDINATOR_NOT_AVAILABLE);
    char meta[3000];
    memset(meta, 'm', sizeof meta - 1);
    meta[sizeof meta - 1] = '\0';
    o.metadata = meta;
    sl_coord_batch_offset(&cb, sl_kstr("g1"), sl_kstr("t"), 0, &o);
    assert_int_equal(sl_coord_batch_append(fx->broker, 0, &cb), SL_ERR_INVALID_COMMIT_OFFSET_SIZE);
    assert_int_equal(sl_coord_topic_scan(fx->broker, 5, &stop, collect, &s), SL_ERR_UNKNOWN_TOPIC_OR_PARTITION);

    sl_coord_batch_free(&cb);
    sl_buf_free(&raw);
    sl_buf_free(&key);
    sl_buf_free(&val);
    fx_close(fx);
}

static void group_log_count_of_an_existing_topic_is_kept(void **state)
{
    (void)state;
    fx_t *fx = fx_open(small, 2);
    assert_int_equal(sl_coord_topic_ensure(fx->broker), 2);
    fx_close(fx);
    static const char *const more[] = {"offsets.topic.num.partitions=7"};
    fx = fx_open(more, 1);
    fx_topic(fx, OFFSETS, 2, NULL, 0);
    assert_int_equal(sl_coord_topic_ensure(fx->broker), 2);
    fx_close(fx);
}

static void group_log_internal_topic_refusals(void **state)
{
    (void)state;
    fx_t *fx = fx_open(small, 2);
    assert_int_equal(sl_coord_topic_ensure(fx->broker), 2);

    sl_DeleteTopicsRequest_t dreq;
    sl_DeleteTopicsRequest_init(&dreq);
    sl_kstr_t name = sl_kstr(OFFSETS);
    dreq.TopicNames.count = 1;
    dreq.TopicNames.items = &name;
    sl_DeleteTopicsResponse_t dresp;
    assert_int_equal(sl_broker_admin_delete_topics(fx->broker, 1, &dreq, &fx->arena, &dresp), SL_OK);
    assert_int_equal(dresp.Responses.count, 1);
    assert_int_equal(dresp.Responses.items[0].ErrorCode, SL_ERR_INVALID_TOPIC_EXCEPTION);
    fx_encodes(SL_APIKEY_DELETE_TOPICS, 1, &dresp);

    sl_CreatePartitionsRequest_t preq;
    sl_CreatePartitionsRequest_init(&preq);
    sl_CreatePartitionsRequest_CreatePartitionsTopic_t pt;
    sl_CreatePartitionsRequest_CreatePartitionsTopic_init(&pt);
    pt.Name = name;
    pt.Count = 4;
    pt.Assignments.count = -1;
    preq.Topics.count = 1;
    preq.Topics.items = &pt;
    sl_CreatePartitionsResponse_t presp;
    assert_int_equal(sl_broker_admin_create_partitions(fx->broker, 1, &preq, &fx->arena, &presp), SL_OK);
    assert_int_equal(presp.Results.items[0].ErrorCode, SL_ERR_INVALID_TOPIC_EXCEPTION);
    assert_true(fx_str_has(presp.Results.items[0].ErrorMessage, "internal topic"));
    fx_encodes(SL_APIKEY_CREATE_PARTITIONS, 1, &presp);
    assert_int_equal(sl_coord_topic_ensure(fx->broker), 2); /* still there, still 2 */
    fx_close(fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(group_log_creates_topic_appends_and_reads_back),
        cmocka_unit_test(group_log_count_of_an_existing_topic_is_kept),
        cmocka_unit_test(group_log_internal_topic_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
