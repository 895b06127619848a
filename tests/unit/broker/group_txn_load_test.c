/* group_txn_load_test.c - transactional offsets in __consumer_offsets
 * (broker/group/coord.c, offsets_log.c) on a broker in a temporary
 * directory: TxnOffsetCommit's transactional batches, the loader keeping
 * their offsets pending until the producer's marker (commit: visible,
 * unless a plain commit came later in the log; abort: dropped; no marker:
 * still pending), sl_coord_txn_complete at run time and while the
 * partition is still loading, a fenced producer epoch refused, and a
 * partition compacted by the cleaner loading the same offsets (markers
 * kept, superseded transactional records gone). */
#include <stdlib.h>
#include <time.h>

#include "admin_fixture.h"

#include "group/group_int.h"
#include "producer_int.h"
#include "txn_int.h"

#define OFFSETS SL_TOPIC_CONSUMER_OFFSETS

static const char *const one_part[] = {"offsets.topic.num.partitions=1"};
static const char *const small_segs[] = {"offsets.topic.num.partitions=1", "offsets.topic.segment.bytes=2048"};

/* Waits (at most 10 s) until group's partition is loaded; returns the group. */
static sl_coord_group_t *loaded_group(fx_t *fx, const char *group)
{
    int16_t err = 0;
    for (int i = 0; i < 1000; i++) {
        sl_coord_group_t *cg = sl_coord_get(fx->broker, sl_kstr(group), true, &err);
        if (cg)
            return cg;
        assert_int_equal(err, SL_ERR_COORDINATOR_LOAD_IN_PROGRESS);
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    fail_msg("group %s not loaded", group);
    return NULL;
}

static void commit(fx_t *fx, int64_t pid, int16_t epoch, const char *group, int32_t partition, int64_t offset,
                   int16_t want)
{
    sl_coord_batch_t cb;
    sl_coord_batch_init(&cb);
    cb.producer_id = pid;
    cb.producer_epoch = epoch;
    sl_offset_t o = {.offset = offset, .leader_epoch = -1, .commit_ts = 1, .log_offset = -1};
    sl_coord_batch_offset(&cb, sl_kstr(group), sl_kstr("t"), partition, &o);
    assert_int_equal(sl_coord_batch_append(fx->broker, 0, &cb), want);
    sl_coord_batch_free(&cb);
}

static void marker(fx_t *fx, int64_t pid, bool commit_it)
{
    sl_buf_t raw = SL_BUF_INIT;
    sl_batch_opts_t opts;
    sl_batch_opts_init(&opts);
    opts.producer_id = pid;
    opts.producer_epoch = 0;
    assert_int_equal(sl_batch_write_control(&raw, &opts, commit_it, 0, 1700000000000LL), SL_OK);
    sl_partition_t *part = NULL;
    assert_int_equal(sl_broker_partition_get(fx->broker, OFFSETS, strlen(OFFSETS), 0, &part), SL_OK);
    sl_partition_lock(part);
    assert_int_equal(sl_log_append(part->log, raw.data, raw.len, 0, 1700000000000LL, NULL), SL_OK);
    sl_partition_unlock(part);
    sl_partition_unref(part);
    sl_buf_free(&raw);
}

/* The committed offset of group's t-partition (-1: none) and its pending count. */
static int64_t committed(fx_t *fx, const char *group, int32_t partition, size_t *npending)
{
    sl_coord_group_t *cg = loaded_group(fx, group);
    pthread_mutex_lock(&cg->mu);
    const sl_offset_t *o = sl_offsets_get(&cg->offsets, sl_kstr("t"), partition);
    int64_t v = o ? o->offset : -1;
    if (npending)
        *npending = sl_offsets_pending_count(&cg->pending);
    pthread_mutex_unlock(&cg->mu);
    return v;
}

static void group_txn_load_pending_until_marker(void **state)
{
    (void)state;
    fx_t *fx = fx_open(one_part, 1);
    assert_int_equal(sl_coord_open(fx->broker), SL_OK);
    loaded_group(fx, "g1");

    sl_coord_batch_t cb;
    sl_coord_batch_init(&cb);
    sl_offset_t o = {.offset = 5, .leader_epoch = -1, .commit_ts = 1, .log_offset = -1};
    sl_coord_batch_offset(&cb, sl_kstr("g1"), sl_kstr("t"), 0, &o);
    assert_int_equal(sl_coord_batch_append(fx->broker, 0, &cb), 0);
    assert_int_equal(cb.base_offset, 0);
    commit(fx, 7, 0, "g1", 0, 7, 0);
    commit(fx, 7, 0, "g1", 1, 8, 0);
    commit(fx, 7, 0, "g2", 0, 9, 0);
    o.offset = 40; /* a plain commit after the transaction's batch: it stays */
    sl_coord_batch_offset(&cb, sl_kstr("g1"), sl_kstr("t"), 1, &o);
    assert_int_equal(sl_coord_batch_append(fx->broker, 0, &cb), 0);
    marker(fx, 7, true);
    commit(fx, 8, 0, "g1", 2, 50, 0);
    marker(fx, 8, false);
    commit(fx, 9, 0, "g1", 0, 99, 0); /* no marker yet */
    sl_coord_batch_free(&cb);

    sl_coord_close(fx->broker);
    assert_int_equal(sl_coord_open(fx->broker), SL_OK);
    size_t pending = 0;
    assert_int_equal(committed(fx, "g1", 0, &pending), 7);
    assert_int_equal(pending, 1);
    assert_int_equal(committed(fx, "g1", 1, NULL), 40);
    assert_int_equal(committed(fx, "g1", 2, NULL), -1); /* aborted */
    assert_int_equal(committed(fx, "g2", 0, &pending), 9);
    assert_int_equal(pending, 0);

    /* the transaction coordinator ends producer 9's transaction */
    sl_coord_txn_complete(fx->broker, 0, 9, true);
    assert_int_equal(committed(fx, "g1", 0, &pending), 99);
    assert_int_equal(pending, 0);
    sl_coord_txn_complete(fx->broker, 0, 9, true); /* again: nothing */
    sl_coord_txn_complete(fx->broker, 5, 9, true); /* no such partition: ignored */
    assert_int_equal(committed(fx, "g1", 0, NULL), 99);

    /* after a restart producer 9's offsets are pending again (no marker in
     * the log); an abort that comes while the partition loads is applied
     * when the load is done, before any request sees the group */
    sl_coord_close(fx->broker);
    setenv("SLUICE_TEST_OFFSETS_LOAD_DELAY_MS", "300", 1);
    assert_int_equal(sl_coord_open(fx->broker), SL_OK);
    unsetenv("SLUICE_TEST_OFFSETS_LOAD_DELAY_MS");
    int16_t err = 0;
    assert_null(sl_coord_get(fx->broker, sl_kstr("g1"), false, &err));
    assert_int_equal(err, SL_ERR_COORDINATOR_LOAD_IN_PROGRESS);
    sl_coord_txn_complete(fx->broker, 0, 9, false);
    assert_int_equal(committed(fx, "g1", 0, &pending), 7);
    assert_int_equal(pending, 0);
    sl_coord_close(fx->broker);
    fx_close(fx);
}

static void group_txn_load_fenced_epoch_refused(void **state)
{
    (void)state;
    fx_t *fx = fx_open(one_part, 1);
    assert_int_equal(sl_coord_open(fx->broker), SL_OK);
    loaded_group(fx, "g");
    sl_partition_t *part = NULL;
    assert_int_equal(sl_broker_partition_get(fx->broker, OFFSETS, strlen(OFFSETS), 0, &part), SL_OK);
    commit(fx, 11, 2, "g", 0, 1, 0);
    sl_partition_lock(part);
    const sl_producer_entry_t *e = sl_producer_state_find(sl_producer_state_of(part), 11);
    assert_non_null(e);
    assert_int_equal(e->epoch, 2);
    int64_t end = sl_log_end_offset(part->log);
    sl_partition_unlock(part);
    commit(fx, 11, 1, "g", 0, 2, SL_ERR_INVALID_PRODUCER_EPOCH);
    commit(fx, 11, 3, "g", 0, 3, 0);
    sl_partition_lock(part);
    assert_int_equal(sl_log_end_offset(part->log), end + 1); /* the fenced batch was not written */
    /* the producer's transaction is open on the partition from its first batch */
    assert_true(sl_txn_partition_lso_locked(part) < end + 1);
    sl_partition_unlock(part);
    sl_partition_unref(part);
    sl_coord_close(fx->broker);
    fx_close(fx);
}

static void plain(fx_t *fx, const char *group, int32_t partition, int64_t offset)
{
    sl_coord_batch_t cb;
    sl_coord_batch_init(&cb);
    sl_offset_t o = {.offset = offset, .leader_epoch = -1, .commit_ts = 1, .log_offset = -1};
    sl_coord_batch_offset(&cb, sl_kstr(group), sl_kstr("t"), partition, &o);
    assert_int_equal(sl_coord_batch_append(fx->broker, 0, &cb), 0);
    sl_coord_batch_free(&cb);
}

/* Counts the records of group "g" per partition of t (0..2). */
static void count_g(void *arg, const uint8_t *key, size_t klen, const uint8_t *value, int32_t vlen, int64_t offset)
{
    int *n = arg;
    (void)value;
    (void)vlen;
    (void)offset;
    sl_coord_key_t k;
    if (sl_coord_key_read(key, klen, &k) == SL_OK && k.version <= 1 && sl_kstr_eq(k.group, "g") &&
        k.partition >= 0 && k.partition < 3)
        n[k.partition]++;
}

static void group_txn_load_after_cleaning(void **state)
{
    (void)state;
    fx_t *fx = fx_open(small_segs, 2);
    assert_int_equal(sl_coord_open(fx->broker), SL_OK);
    loaded_group(fx, "g");
    plain(fx, "g", 0, 5);
    commit(fx, 7, 0, "g", 0, 7, 0); /* committed: supersedes the 5 */
    commit(fx, 7, 0, "g", 1, 8, 0); /* committed, superseded by the 40 below */
    marker(fx, 7, true);
    plain(fx, "g", 1, 40);
    commit(fx, 8, 0, "g", 2, 50, 0); /* aborted: the marker hides it */
    marker(fx, 8, false);
    for (int i = 0; i < 60; i++) /* roll segments: the ones above become cleanable */
        plain(fx, "filler", 0, i);

    sl_partition_t *part = NULL;
    assert_int_equal(sl_broker_partition_get(fx->broker, OFFSETS, strlen(OFFSETS), 0, &part), SL_OK);
    sl_log_clean_opts_t opts;
    sl_log_clean_opts_defaults(&opts);
    opts.min_cleanable_dirty_ratio = 0.0;
    sl_log_clean_info_t info;
    sl_partition_lock(part);
    assert_int_equal(sl_log_clean(part->log, &opts, sl_time_wall_ms(), &info), SL_OK);
    sl_partition_unlock(part);
    sl_partition_unref(part);
    assert_true(info.ran);
    int n[3] = {0, 0, 0};
    atomic_bool stop;
    atomic_init(&stop, false);
    assert_int_equal(sl_coord_topic_scan(fx->broker, 0, &stop, count_g, n), SL_OK);
    assert_int_equal(n[0], 1); /* the 5 went, the transaction's 7 stays */
    assert_int_equal(n[1], 1); /* the transaction's 8 went */

    sl_coord_close(fx->broker);
    assert_int_equal(sl_coord_open(fx->broker), SL_OK);
    size_t pending = 9;
    assert_int_equal(committed(fx, "g", 0, &pending), 7);
    assert_int_equal(pending, 0);
    assert_int_equal(committed(fx, "g", 1, NULL), 40);
    assert_int_equal(committed(fx, "g", 2, NULL), -1);
    sl_coord_close(fx->broker);
    fx_close(fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(group_txn_load_pending_until_marker),
        cmocka_unit_test(group_txn_load_fenced_epoch_refused),
        cmocka_unit_test(group_txn_load_after_cleaning),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
