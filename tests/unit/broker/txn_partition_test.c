/* txn_partition_test.c - each partition's transactions (broker/txn_int.h,
 * txn_partition.c) on a broker in a temporary directory: transactional
 * batches of several producers open transactions, the last stable offset
 * stays at the oldest open one, markers (sl_txn_marker_write) close them,
 * aborts are listed with Kafka's fields and kept in the segment's
 * .txnindex across a reopen, which also finds an open transaction open
 * again; read_committed reads stop at the LSO (sl_log_read_upto). */
#include <sys/stat.h>
#include <unistd.h>

#include "admin_fixture.h"

#include "producer_int.h"
#include "txn_int.h"

#define TOPIC "tx"

/* Appends one transactional batch of n records of producer pid straight
 * to the log (as a produce would, without the producer state). */
static int64_t append_txn(sl_partition_t *part, int64_t pid, int32_t seq, int n)
{
    sl_batch_opts_t opts;
    sl_batch_opts_init(&opts);
    opts.producer_id = pid;
    opts.producer_epoch = 0;
    opts.base_sequence = seq;
    opts.transactional = true;
    sl_buf_t buf;
    sl_buf_init(&buf);
    sl_batch_builder_t b;
    assert_int_equal(sl_batch_builder_begin(&b, &buf, &opts), SL_OK);
    for (int i = 0; i < n; i++)
        assert_int_equal(sl_batch_builder_add(&b, sl_time_wall_ms(), "k", 1, "v", 1, NULL, 0), SL_OK);
    assert_int_equal(sl_batch_builder_finish(&b), SL_OK);
    sl_log_append_info_t info;
    sl_partition_lock(part);
    assert_int_equal(sl_log_append(part->log, buf.data, buf.len, 0, sl_time_wall_ms(), &info), SL_OK);
    sl_partition_unlock(part);
    sl_buf_free(&buf);
    return info.base_offset;
}

static sl_partition_t *part_of(fx_t *fx)
{
    sl_partition_t *part = NULL;
    assert_int_equal(sl_broker_partition_get(fx->broker, TOPIC, strlen(TOPIC), 0, &part), SL_OK);
    return part;
}

static int64_t lso(sl_partition_t *part)
{
    sl_partition_lock(part);
    int64_t v = sl_txn_partition_lso_locked(part);
    sl_partition_unlock(part);
    return v;
}

static int64_t end_of(sl_partition_t *part)
{
    sl_partition_lock(part);
    int64_t v = sl_log_end_offset(part->log);
    sl_partition_unlock(part);
    return v;
}

static size_t aborted(sl_partition_t *part, int64_t from, int64_t upto, sl_log_txn_aborted_t *out, size_t max)
{
    size_t n;
    sl_partition_lock(part);
    assert_false(sl_log_txn_aborted(part->log, from, upto, out, max, &n));
    sl_partition_unlock(part);
    return n;
}

/* The producer state forgets what it knew: the next use reloads it. */
static void forget_state(sl_partition_t *part)
{
    sl_partition_lock(part);
    sl_producer_state_of(part)->loaded = false;
    sl_partition_unlock(part);
}

static void markers_move_the_lso_and_list_aborts(void **state)
{
    (void)state;
    fx_t *fx = fx_open(NULL, 0);
    fx_topic(fx, TOPIC, 1, NULL, 0);
    sl_partition_t *part = part_of(fx);
    assert_int_equal(lso(part), 0);
    assert_int_equal(append_txn(part, 7, 0, 2), 0);  /* 0-1 */
    assert_int_equal(append_txn(part, 8, 0, 3), 2);  /* 2-4 */
    assert_int_equal(append_txn(part, 7, 2, 1), 5);  /* 5 */
    forget_state(part);
    assert_int_equal(lso(part), 0);

    /* read_committed stops before the first open transaction */
    sl_log_slice_t sl;
    sl_partition_lock(part);
    assert_int_equal(sl_log_read_upto(part->log, 0, 1 << 20, true, 0, &sl), SL_OK);
    assert_int_equal(sl.len, 0);
    sl_log_slice_release(&sl);
    assert_int_equal(sl_log_read_upto(part->log, 0, 1 << 20, true, 2, &sl), SL_OK);
    int32_t first_batch = sl.len;
    assert_true(first_batch > 0);
    sl_log_slice_release(&sl);
    assert_int_equal(sl_log_read_upto(part->log, 0, 1 << 20, true, INT64_MAX, &sl), SL_OK);
    assert_true(sl.len > first_batch);
    sl_log_slice_release(&sl);
    sl_partition_unlock(part);

    /* commit of 7: 8's transaction (from 2) is now the oldest */
    assert_int_equal(sl_txn_marker_write(fx->broker, part, 7, 0, true, 3), SL_OK); /* 6 */
    assert_int_equal(lso(part), 2);
    sl_log_txn_aborted_t a[4];
    assert_int_equal(aborted(part, 0, 100, a, 4), 0);
    /* abort of 8: nothing open */
    assert_int_equal(sl_txn_marker_write(fx->broker, part, 8, 0, false, 3), SL_OK); /* 7 */
    assert_int_equal(lso(part), 8);
    assert_int_equal(end_of(part), 8);
    assert_int_equal(aborted(part, 0, 100, a, 4), 1);
    assert_int_equal(a[0].producer_id, 8);
    assert_int_equal(a[0].first_offset, 2);
    assert_int_equal(a[0].last_offset, 7);
    assert_int_equal(a[0].last_stable_offset, 8);
    assert_int_equal(aborted(part, 8, 100, a, 4), 0);
    assert_int_equal(aborted(part, 0, 2, a, 4), 0);
    /* a marker for a producer with nothing open is written, listing nothing */
    assert_int_equal(sl_txn_marker_write(fx->broker, part, 9, 0, false, 3), SL_OK); /* 8 */
    assert_int_equal(aborted(part, 0, 100, a, 4), 1);

    /* 7 opens again at 9, then 8 at 10; an abort of 7 while 8 is open
     * records 8's first offset as the LSO of the time */
    assert_int_equal(append_txn(part, 7, 3, 1), 9);
    assert_int_equal(append_txn(part, 8, 3, 1), 10);
    forget_state(part);
    assert_int_equal(lso(part), 9);
    assert_int_equal(sl_txn_marker_write(fx->broker, part, 7, 0, false, 3), SL_OK); /* 11 */
    assert_int_equal(lso(part), 10);
    assert_int_equal(aborted(part, 0, 100, a, 4), 2);
    assert_int_equal(a[1].first_offset, 9);
    assert_int_equal(a[1].last_offset, 11);
    assert_int_equal(a[1].last_stable_offset, 10);
    /* the search stops at an entry whose LSO reaches the bound */
    assert_int_equal(aborted(part, 0, 8, a, 4), 1);
    sl_partition_unref(part);

    /* reopen (clean): 8's transaction is open again, the aborts are read
     * back from the .txnindex */
    fx_reopen(fx);
    part = part_of(fx);
    assert_int_equal(lso(part), 10);
    assert_int_equal(aborted(part, 0, 100, a, 4), 2);
    assert_int_equal(a[0].last_offset, 7);
    assert_int_equal(a[1].last_offset, 11);
    char path[512];
    snprintf(path, sizeof path, "%s/" TOPIC "-0/00000000000000000000.txnindex", fx->dir);
    struct stat stt;
    assert_int_equal(stat(path, &stt), 0);
    assert_int_equal(stt.st_size, 2 * 34);
    sl_partition_unref(part);

    /* a torn .txnindex is rebuilt from the log at the next open */
    assert_int_equal(truncate(path, 34 + 10), 0);
    fx_reopen(fx);
    part = part_of(fx);
    assert_int_equal(aborted(part, 0, 100, a, 4), 2);
    assert_int_equal(a[0].first_offset, 2);
    assert_int_equal(a[0].last_stable_offset, 8);
    assert_int_equal(a[1].first_offset, 9);
    assert_int_equal(a[1].last_stable_offset, 10);
    assert_int_equal(stat(path, &stt), 0);
    assert_int_equal(stt.st_size, 2 * 34);
    sl_partition_unref(part);
    fx_close(fx);
}

static void marker_to_deleted_partition_is_refused(void **state)
{
    (void)state;
    fx_t *fx = fx_open(NULL, 0);
    fx_topic(fx, TOPIC, 1, NULL, 0);
    sl_partition_t *part = part_of(fx);
    assert_int_equal(sl_broker_topic_delete(fx->broker, TOPIC, strlen(TOPIC)), SL_OK);
    assert_int_equal(sl_txn_marker_write(fx->broker, part, 7, 0, true, 0), SL_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    sl_partition_unref(part);
    fx_close(fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(markers_move_the_lso_and_list_aborts),
        cmocka_unit_test(marker_to_deleted_partition_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
