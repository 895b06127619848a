/*
 * admin_records_test.c - DeleteRecords (the log start offset moves, -1 is the
 * high watermark, out-of-range offsets and compacted topics are refused,
 * the new start survives a restart) and OffsetForLeaderEpoch (epoch 0 ends
 * at the log end, other epochs as Kafka's epoch cache answers them, current
 * leader epoch checks) on a broker opened on a temporary directory.
 */
#include "admin_fixture.h"

/* ---- DeleteRecords ---- */

typedef struct dr {
    int32_t partition;
    int64_t offset;
} dr_t;

static sl_DeleteRecordsResponse_t *delete_records(fx_t *fx, int16_t version, const char *topic, const dr_t *ps,
                                                  int n)
{
    sl_DeleteRecordsRequest_t *req = fx_calloc(fx, 1, sizeof *req);
    sl_DeleteRecordsRequest_init(req);
    req->Topics.items = fx_calloc(fx, 1, sizeof *req->Topics.items);
    req->Topics.count = 1;
    sl_DeleteRecordsRequest_DeleteRecordsTopic_t *t = &req->Topics.items[0];
    sl_DeleteRecordsRequest_DeleteRecordsTopic_init(t);
    t->Name = sl_kstr(topic);
    t->Partitions.items = fx_calloc(fx, (size_t)n, sizeof *t->Partitions.items);
    t->Partitions.count = n;
    for (int i = 0; i < n; i++) {
        t->Partitions.items[i].PartitionIndex = ps[i].partition;
        t->Partitions.items[i].Offset = ps[i].offset;
    }
    sl_DeleteRecordsResponse_t *resp = fx_calloc(fx, 1, sizeof *resp);
    assert_int_equal(sl_broker_admin_delete_records(fx->broker, version, req, &fx->arena, resp), SL_OK);
    assert_int_equal(resp->Topics.count, 1);
    assert_true(fx_str_eq(resp->Topics.items[0].Name, topic));
    assert_int_equal(resp->Topics.items[0].Partitions.count, n);
    fx_encodes(SL_APIKEY_DELETE_RECORDS, version, resp);
    return resp;
}

static int64_t start_offset(fx_t *fx, const char *topic, int32_t p)
{
    sl_partition_t *part;
    assert_int_equal(sl_broker_partition_get(fx->broker, topic, strlen(topic), p, &part), SL_OK);
    sl_partition_lock(part);
    int64_t v = sl_log_start_offset(part->log);
    sl_partition_unlock(part);
    sl_partition_unref(part);
    return v;
}

static void delete_records_moves_the_low_watermark(void **state)
{
    fx_t *fx = *state;
    fx_topic(fx, "trim", 2, NULL, 0);
    fx_append(fx, "trim", 0, 10);
    fx_append(fx, "trim", 1, 5);
    static const dr_t ps[] = {{0, 4}, {1, -1}};
    sl_DeleteRecordsResponse_t *resp = delete_records(fx, 2, "trim", ps, 2);
    const sl_DeleteRecordsResponse_DeleteRecordsPartitionResult_t *r = resp->Topics.items[0].Partitions.items;
    assert_int_equal(r[0].PartitionIndex, 0);
    assert_int_equal(r[0].ErrorCode, 0);
    assert_int_equal(r[0].LowWatermark, 4);
    assert_int_equal(r[1].ErrorCode, 0);
    assert_int_equal(r[1].LowWatermark, 5); /* -1: the high watermark */
    assert_int_equal(start_offset(fx, "trim", 0), 4);

    /* below the start: nothing moves, the start is the answer */
    static const dr_t back[] = {{0, 2}};
    resp = delete_records(fx, 0, "trim", back, 1);
    assert_int_equal(resp->Topics.items[0].Partitions.items[0].ErrorCode, 0);
    assert_int_equal(resp->Topics.items[0].Partitions.items[0].LowWatermark, 4);
    fx_reopen(fx);
    assert_int_equal(start_offset(fx, "trim", 0), 4);
}

static void delete_records_refuses_out_of_range_and_unknown(void **state)
{
    fx_t *fx = *state;
    fx_topic(fx, "edge", 1, NULL, 0);
    fx_append(fx, "edge", 0, 3);
    static const dr_t ps[] = {{0, 4}, {0, -2}, {1, 0}, {-1, 0}};
    sl_DeleteRecordsResponse_t *resp = delete_records(fx, 1, "edge", ps, 4);
    const sl_DeleteRecordsResponse_DeleteRecordsPartitionResult_t *r = resp->Topics.items[0].Partitions.items;
    assert_int_equal(r[0].ErrorCode, SL_ERR_OFFSET_OUT_OF_RANGE);
    assert_int_equal(r[0].LowWatermark, -1);
    assert_int_equal(r[1].ErrorCode, SL_ERR_OFFSET_OUT_OF_RANGE);
    assert_int_equal(r[2].ErrorCode, SL_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    assert_int_equal(r[3].ErrorCode, SL_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    assert_int_equal(start_offset(fx, "edge", 0), 0);
    static const dr_t one[] = {{0, 1}};
    resp = delete_records(fx, 1, "no-topic", one, 1);
    assert_int_equal(resp->Topics.items[0].Partitions.items[0].ErrorCode, SL_ERR_UNKNOWN_TOPIC_OR_PARTITION);
}

static void delete_records_refuses_compacted_topics(void **state)
{
    fx_t *fx = *state;
    static const char *const kv[] = {"cleanup.policy", "compact"};
    fx_topic(fx, "compacted", 1, kv, 2);
    static const dr_t ps[] = {{0, 0}};
    sl_DeleteRecordsResponse_t *resp = delete_records(fx, 2, "compacted", ps, 1);
    assert_int_equal(resp->Topics.items[0].Partitions.items[0].ErrorCode, SL_ERR_POLICY_VIOLATION);
}

/* ---- OffsetForLeaderEpoch ---- */

typedef struct ep {
    int32_t partition, current, epoch;
} ep_t;

static const sl_OffsetForLeaderEpochResponse_EpochEndOffset_t *
epochs(fx_t *fx, int16_t version, const char *topic, const ep_t *ps, int n)
{
    sl_OffsetForLeaderEpochRequest_t *req = fx_calloc(fx, 1, sizeof *req);
    sl_OffsetForLeaderEpochRequest_init(req);
    req->ReplicaId = version >= 3 ? -1 : req->ReplicaId;
    req->Topics.items = fx_calloc(fx, 1, sizeof *req->Topics.items);
    req->Topics.count = 1;
    sl_OffsetForLeaderEpochRequest_OffsetForLeaderTopic_t *t = &req->Topics.items[0];
    sl_OffsetForLeaderEpochRequest_OffsetForLeaderTopic_init(t);
    t->Topic = sl_kstr(topic);
    t->Partitions.items = fx_calloc(fx, (size_t)n, sizeof *t->Partitions.items);
    t->Partitions.count = n;
    for (int i = 0; i < n; i++) {
        sl_OffsetForLeaderEpochRequest_OffsetForLeaderPartition_init(&t->Partitions.items[i]);
        t->Partitions.items[i].Partition = ps[i].partition;
        t->Partitions.items[i].CurrentLeaderEpoch = ps[i].current;
        t->Partitions.items[i].LeaderEpoch = ps[i].epoch;
    }
    sl_OffsetForLeaderEpochResponse_t *resp = fx_calloc(fx, 1, sizeof *resp);
    assert_int_equal(sl_admin_offset_for_leader_epoch(fx->broker, version, req, &fx->arena, resp), SL_OK);
    assert_int_equal(resp->Topics.count, 1);
    assert_true(fx_str_eq(resp->Topics.items[0].Topic, topic));
    assert_int_equal(resp->Topics.items[0].Partitions.count, n);
    fx_encodes(SL_APIKEY_OFFSET_FOR_LEADER_EPOCH, version, resp);
    return resp->Topics.items[0].Partitions.items;
}

static void offset_for_leader_epoch_zero_ends_at_the_log_end(void **state)
{
    fx_t *fx = *state;
    fx_topic(fx, "epochs", 2, NULL, 0);
    fx_append(fx, "epochs", 0, 7);
    for (int16_t v = 0; v <= 4; v++) {
        static const ep_t ps[] = {{0, -1, 0}, {1, -1, 0}};
        const sl_OffsetForLeaderEpochResponse_EpochEndOffset_t *r = epochs(fx, v, "epochs", ps, 2);
        assert_int_equal(r[0].ErrorCode, 0);
        assert_int_equal(r[0].EndOffset, 7);
        if (v >= 1)
            assert_int_equal(r[0].LeaderEpoch, 0);
        assert_int_equal(r[1].ErrorCode, 0);
        assert_int_equal(r[1].EndOffset, 0);
    }
}

static void offset_for_leader_epoch_unknown_epochs_and_partitions(void **state)
{
    fx_t *fx = *state;
    fx_topic(fx, "epochs", 1, NULL, 0);
    fx_append(fx, "epochs", 0, 3);
    static const ep_t ps[] = {
        {0, -1, 5},  /* a later epoch: undefined */
        {0, -1, -1}, /* undefined asked: undefined */
        {0, 1, 0},   /* the client believes in a newer leader */
        {0, -5, 0},  /* and an older one */
        {0, 0, 0},   /* current epoch given and right */
        {3, -1, 0},  /* no such partition */
    };
    const sl_OffsetForLeaderEpochResponse_EpochEndOffset_t *r = epochs(fx, 4, "epochs", ps, 6);
    assert_int_equal(r[0].ErrorCode, 0);
    assert_int_equal(r[0].LeaderEpoch, -1);
    assert_int_equal(r[0].EndOffset, -1);
    assert_int_equal(r[1].ErrorCode, 0);
    assert_int_equal(r[1].EndOffset, -1);
    assert_int_equal(r[2].ErrorCode, SL_ERR_UNKNOWN_LEADER_EPOCH);
    assert_int_equal(r[2].EndOffset, -1);
    assert_int_equal(r[3].ErrorCode, SL_ERR_FENCED_LEADER_EPOCH);
    assert_int_equal(r[4].ErrorCode, 0);
    assert_int_equal(r[4].EndOffset, 3);
    assert_int_equal(r[5].ErrorCode, SL_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    assert_int_equal(r[5].LeaderEpoch, -1);
    /* before v2 there is no current leader epoch to check */
    r = epochs(fx, 1, "epochs", &ps[2], 1);
    assert_int_equal(r[0].ErrorCode, 0);
    assert_int_equal(r[0].EndOffset, 3);
    r = epochs(fx, 3, "missing", ps, 1);
    assert_int_equal(r[0].ErrorCode, SL_ERR_UNKNOWN_TOPIC_OR_PARTITION);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(delete_records_moves_the_low_watermark, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(delete_records_refuses_out_of_range_and_unknown, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(delete_records_refuses_compacted_topics, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(offset_for_leader_epoch_zero_ends_at_the_log_end, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(offset_for_leader_epoch_unknown_epochs_and_partitions, fx_setup,
                                        fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
