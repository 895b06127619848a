/* producer_state_test.c - the idempotent producer's per-partition rules
 * (producer_int.h): in-sequence batches, duplicates of each of the last 5
 * batches, gaps, old and new epochs, unknown producers, the sequence wrap at
 * INT32_MAX; the state rebuilt from a real log's batch headers; loaded
 * from a snapshot plus the batches after it (the same state as a full
 * rebuild), with snapshots outside [log start, log end] unused and expired
 * producers dropped; a partition's life in the process-wide table (attach
 * prunes snapshots above the log end, the rebuild uses its directory,
 * close writes a snapshot, housekeeping snapshots and expires, drop frees);
 * producer ids persisted in blocks and never handed out twice; open
 * transactions (the oldest one's first offset, markers closing them, no
 * expiry while open) and their replay from transactional and control
 * batches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "producer_int.h"

#define PID 4242

static char msg[200];

static int16_t check(const sl_producer_state_t *st, int16_t epoch, int32_t seq, int32_t delta, bool *dup,
                     sl_producer_batch_t *orig)
{
    return sl_producer_state_check(st, PID, epoch, seq, delta, dup, orig, msg, sizeof msg);
}

/* Appends n batches of 10 records (sequences 0.., offsets from 100). */
static void fill(sl_producer_state_t *st, int16_t epoch, int n)
{
    for (int i = 0; i < n; i++)
        assert_int_equal(sl_producer_state_update(st, PID, epoch, i * 10, 9, 100 + i * 10, 109 + i * 10), SL_OK);
}

static void unknown_producer_accepts_any_sequence(void **state)
{
    SL_UNUSED(state);
    sl_producer_state_t st;
    sl_producer_state_init(&st);
    bool dup = true;
    assert_int_equal(check(&st, 0, 0, 4, &dup, NULL), 0);
    assert_false(dup);
    assert_int_equal(check(&st, 3, 777, 4, &dup, NULL), 0);
    assert_false(dup);
    sl_producer_state_fini(&st);
}

static void next_sequence_is_accepted_and_gap_refused(void **state)
{
    SL_UNUSED(state);
    sl_producer_state_t st;
    sl_producer_state_init(&st);
    fill(&st, 0, 2); /* sequences 0..19 */
    bool dup = true;
    assert_int_equal(check(&st, 0, 20, 0, &dup, NULL), 0);
    assert_false(dup);
    assert_int_equal(check(&st, 0, 21, 0, &dup, NULL), SL_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert_non_null(strstr(msg, "Out of order sequence"));
    assert_int_equal(check(&st, 0, 5, 3, &dup, NULL), SL_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    sl_producer_state_fini(&st);
}

static void duplicate_of_each_of_last_five_gets_original_offsets(void **state)
{
    SL_UNUSED(state);
    sl_producer_state_t st;
    sl_producer_state_init(&st);
    fill(&st, 0, 7); /* batches 0..6; the last 5 are 2..6 */
    for (int i = 2; i < 7; i++) {
        bool dup = false;
        sl_producer_batch_t orig;
        memset(&orig, 0, sizeof orig);
        assert_int_equal(check(&st, 0, i * 10, 9, &dup, &orig), 0);
        assert_true(dup);
        assert_int_equal(orig.first_offset, 100 + i * 10);
        assert_int_equal(orig.last_offset, 109 + i * 10);
        assert_int_equal(orig.first_seq, i * 10);
        assert_int_equal(orig.last_seq, i * 10 + 9);
    }
    /* Older than the last 5: not recognised, so out of order. */
    bool dup = true;
    assert_int_equal(check(&st, 0, 10, 9, &dup, NULL), SL_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert_false(dup);
    /* Same first sequence, other range: not a duplicate. */
    assert_int_equal(check(&st, 0, 60, 3, &dup, NULL), SL_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert_false(dup);
    sl_producer_state_fini(&st);
}

static void old_epoch_is_refused_even_for_a_known_range(void **state)
{
    SL_UNUSED(state);
    sl_producer_state_t st;
    sl_producer_state_init(&st);
    fill(&st, 3, 1);
    bool dup = true;
    assert_int_equal(check(&st, 2, 0, 9, &dup, NULL), SL_ERR_INVALID_PRODUCER_EPOCH);
    assert_false(dup);
    assert_int_equal(check(&st, 2, 10, 0, &dup, NULL), SL_ERR_INVALID_PRODUCER_EPOCH);
    sl_producer_state_fini(&st);
}

static void new_epoch_must_start_at_sequence_zero(void **state)
{
    SL_UNUSED(state);
    sl_producer_state_t st;
    sl_producer_state_init(&st);
    fill(&st, 0, 3);
    bool dup = true;
    assert_int_equal(check(&st, 1, 30, 0, &dup, NULL), SL_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert_int_equal(check(&st, 1, 0, 9, &dup, NULL), 0);
    assert_false(dup); /* same range as batch 0 of epoch 0, but a new epoch */
    assert_int_equal(sl_producer_state_update(&st, PID, 1, 0, 9, 500, 509), SL_OK);
    const sl_producer_entry_t *e = sl_producer_state_find(&st, PID);
    assert_non_null(e);
    assert_int_equal(e->epoch, 1);
    assert_int_equal(e->nbatches, 1);
    assert_int_equal(check(&st, 0, 30, 0, &dup, NULL), SL_ERR_INVALID_PRODUCER_EPOCH);
    assert_int_equal(check(&st, 1, 10, 0, &dup, NULL), 0);
    sl_producer_state_fini(&st);
}

static void sequence_wraps_at_int32_max(void **state)
{
    SL_UNUSED(state);
    assert_int_equal(sl_producer_seq_add(INT32_MAX, 1), 0);
    assert_int_equal(sl_producer_seq_add(INT32_MAX - 2, 4), 1);
    assert_int_equal(sl_producer_seq_add(5, 4), 9);
    sl_producer_state_t st;
    sl_producer_state_init(&st);
    /* A batch of 5 from INT32_MAX-2 ends at 1 after the wrap. */
    assert_int_equal(sl_producer_state_update(&st, PID, 0, INT32_MAX - 2, 4, 0, 4), SL_OK);
    bool dup = false;
    assert_int_equal(check(&st, 0, INT32_MAX - 2, 4, &dup, NULL), 0);
    assert_true(dup);
    assert_int_equal(check(&st, 0, 2, 0, &dup, NULL), 0);
    assert_false(dup);
    sl_producer_state_fini(&st);
    /* Ending exactly at INT32_MAX: 0 follows. */
    sl_producer_state_init(&st);
    assert_int_equal(sl_producer_state_update(&st, PID, 0, INT32_MAX - 1, 1, 0, 1), SL_OK);
    assert_int_equal(check(&st, 0, 0, 0, &dup, NULL), 0);
    assert_false(dup);
    assert_int_equal(check(&st, 0, 1, 0, &dup, NULL), SL_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    sl_producer_state_fini(&st);
}

static int64_t batch_ts = 1000; /* first record's timestamp */

/* One batch of n records for producer pid (epoch, base sequence). */
static void build(sl_buf_t *out, int64_t pid, int16_t epoch, int32_t seq, int n)
{
    sl_batch_opts_t o;
    sl_batch_opts_init(&o);
    o.producer_id = pid;
    o.producer_epoch = epoch;
    o.base_sequence = seq;
    sl_batch_builder_t b;
    assert_int_equal(sl_batch_builder_begin(&b, out, &o), SL_OK);
    for (int i = 0; i < n; i++)
        assert_int_equal(sl_batch_builder_add(&b, batch_ts + i, NULL, -1, "v", 1, NULL, 0), SL_OK);
    assert_int_equal(sl_batch_builder_finish(&b), SL_OK);
}

static void append_batch(sl_log_t *log, int64_t pid, int16_t epoch, int32_t seq, int n)
{
    sl_buf_t buf;
    sl_buf_init(&buf);
    build(&buf, pid, epoch, seq, n);
    assert_int_equal(sl_log_append(log, buf.data, buf.len, 0, 5000, NULL), SL_OK);
    sl_buf_free(&buf);
}

static void state_is_rebuilt_from_the_log(void **state)
{
    SL_UNUSED(state);
    char dir[] = "/tmp/sl-producer-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    sl_log_config_t cfg;
    sl_log_config_defaults(&cfg);
    cfg.segment_bytes = 300; /* several segments */
    sl_log_t *log = NULL;
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    append_batch(log, 7, 0, 0, 3);       /* offsets 0-2 */
    append_batch(log, -1, -1, -1, 2);    /* 3-4, not idempotent */
    for (int i = 0; i < 6; i++)
        append_batch(log, 7, 0, 3 + i * 2, 2); /* 5-16, seq 3..14 */
    append_batch(log, 8, 2, 100, 1);     /* 17 */
    append_batch(log, 8, 3, 0, 4);       /* 18-21: epoch bump */
    assert_true(sl_log_segment_count(log) > 1);
    assert_int_equal(sl_log_close(log), SL_OK);

    assert_int_equal(sl_log_open(dir, &cfg, false, &log), SL_OK);
    sl_producer_state_t st;
    sl_producer_state_init(&st);
    assert_int_equal(sl_producer_state_rebuild(&st, log), SL_OK);
    assert_true(st.loaded);
    assert_int_equal(sl_map_count(&st.producers), 2);
    const sl_producer_entry_t *e = sl_producer_state_find(&st, 7);
    assert_non_null(e);
    assert_int_equal(e->epoch, 0);
    assert_int_equal(e->nbatches, 5);
    assert_int_equal(e->batches[4].first_seq, 13);
    assert_int_equal(e->batches[4].last_seq, 14);
    assert_int_equal(e->batches[4].first_offset, 15);
    assert_int_equal(e->batches[4].last_offset, 16);
    assert_int_equal(e->batches[0].first_offset, 7);
    bool dup = false;
    sl_producer_batch_t orig;
    assert_int_equal(sl_producer_state_check(&st, 7, 0, 5, 1, &dup, &orig, msg, sizeof msg), 0);
    assert_true(dup);
    assert_int_equal(orig.first_offset, 7);
    assert_int_equal(sl_producer_state_check(&st, 7, 0, 15, 0, &dup, NULL, msg, sizeof msg), 0);
    assert_false(dup);
    e = sl_producer_state_find(&st, 8);
    assert_non_null(e);
    assert_int_equal(e->epoch, 3);
    assert_int_equal(e->nbatches, 1);
    assert_int_equal(e->batches[0].first_offset, 18);
    assert_int_equal(sl_producer_state_check(&st, 8, 2, 101, 0, &dup, NULL, msg, sizeof msg),
                     SL_ERR_INVALID_PRODUCER_EPOCH);
    sl_producer_state_fini(&st);
    assert_int_equal(sl_log_delete(log), SL_OK);
}

static void load_blob_stops_at_truncated_tail_and_rejects_garbage(void **state)
{
    SL_UNUSED(state);
    sl_buf_t buf;
    sl_buf_init(&buf);
    build(&buf, 9, 1, 0, 2);
    size_t one = buf.len;
    build(&buf, 9, 1, 2, 2);
    assert_int_equal(sl_batch_assign_offsets(buf.data + one, buf.len - one, 2, 0), SL_OK);
    sl_producer_state_t st;
    sl_producer_state_init(&st);
    int64_t next = -1;
    assert_int_equal(sl_producer_state_load_blob(&st, buf.data, buf.len - 5, 0, &next), SL_OK);
    assert_int_equal(next, 2);
    assert_int_equal(sl_producer_state_find(&st, 9)->nbatches, 1);
    memset(buf.data + one + 16, 0x7f, 8); /* magic and CRC of the second batch */
    assert_int_equal(sl_producer_state_load_blob(&st, buf.data, buf.len, 0, &next), SL_ERR_CORRUPT_MESSAGE);
    sl_producer_state_fini(&st);
    sl_buf_free(&buf);
}

/* A transactional batch of pid at base offset base, or its marker. */
static void txn_blob(sl_buf_t *out, int64_t pid, int32_t seq, int64_t base)
{
    size_t at = out->len;
    sl_batch_opts_t o;
    sl_batch_opts_init(&o);
    o.producer_id = pid;
    o.producer_epoch = 0;
    o.base_sequence = seq;
    o.transactional = true;
    sl_batch_builder_t b;
    assert_int_equal(sl_batch_builder_begin(&b, out, &o), SL_OK);
    assert_int_equal(sl_batch_builder_add(&b, batch_ts, NULL, -1, "v", 1, NULL, 0), SL_OK);
    assert_int_equal(sl_batch_builder_finish(&b), SL_OK);
    assert_int_equal(sl_batch_assign_offsets(out->data + at, out->len - at, base, 0), SL_OK);
}

static void marker_blob(sl_buf_t *out, int64_t pid, int16_t epoch, bool commit, int64_t base)
{
    sl_batch_opts_t o;
    sl_batch_opts_init(&o);
    o.producer_id = pid;
    o.producer_epoch = epoch;
    o.base_offset = base;
    assert_int_equal(sl_batch_write_control(out, &o, commit, 4, batch_ts), SL_OK);
}

static void transactions_open_close_and_set_the_first_open_offset(void **state)
{
    SL_UNUSED(state);
    sl_producer_state_t st;
    sl_producer_state_init(&st);
    assert_int_equal(sl_producer_state_first_open(&st), -1);
    /* batches as produce records them: update, then begin */
    assert_int_equal(sl_producer_state_update_at(&st, 1, 0, 0, 0, 10, 10, 100), SL_OK);
    sl_producer_state_txn_begin(&st, 1, 10);
    assert_int_equal(sl_producer_state_update_at(&st, 2, 0, 0, 0, 11, 11, 100), SL_OK);
    sl_producer_state_txn_begin(&st, 2, 11);
    assert_int_equal(sl_producer_state_update_at(&st, 1, 0, 1, 0, 12, 12, 100), SL_OK);
    sl_producer_state_txn_begin(&st, 1, 12); /* already open: stays at 10 */
    assert_int_equal(st.open_txns, 2);
    assert_int_equal(sl_producer_state_first_open(&st), 10);
    /* an idle producer with an open transaction is not expired (Kafka) */
    assert_int_equal(sl_producer_state_expire(&st, 1000000, 10), 0);
    sl_producer_txn_t done;
    assert_int_equal(sl_producer_state_txn_end(&st, 1, 0, 5, 13, 200, &done), SL_OK);
    assert_int_equal(done.producer_id, 1);
    assert_int_equal(done.first_offset, 10);
    assert_int_equal(done.last_offset, 13);
    assert_int_equal(sl_producer_state_first_open(&st), 11);
    assert_int_equal(sl_producer_state_find(&st, 1)->coordinator_epoch, 5);
    /* a marker for nothing open, and for an unknown producer (at a new epoch) */
    assert_int_equal(sl_producer_state_txn_end(&st, 1, 0, 5, 14, 200, &done), SL_OK);
    assert_int_equal(done.first_offset, -1);
    assert_int_equal(sl_producer_state_txn_end(&st, 3, 2, 5, 15, 200, &done), SL_OK);
    assert_int_equal(done.first_offset, -1);
    assert_int_equal(sl_producer_state_find(&st, 3)->epoch, 2);
    assert_int_equal(sl_producer_state_txn_end(&st, 2, 1, 6, 16, 200, NULL), SL_OK);
    assert_int_equal(sl_producer_state_find(&st, 2)->epoch, 1); /* a bumped epoch from the marker */
    assert_int_equal(sl_producer_state_find(&st, 2)->nbatches, 0);
    assert_int_equal(st.open_txns, 0);
    assert_int_equal(sl_producer_state_first_open(&st), -1);
    assert_int_equal(sl_producer_state_expire(&st, 1000000, 10), 3);
    sl_producer_state_fini(&st);
}

static void load_blob_replays_transactions_and_markers(void **state)
{
    SL_UNUSED(state);
    sl_buf_t buf;
    sl_buf_init(&buf);
    txn_blob(&buf, 1, 0, 0);             /* 1 opens at 0 */
    txn_blob(&buf, 2, 0, 1);             /* 2 opens at 1 */
    marker_blob(&buf, 1, 0, false, 2);   /* 1 aborted */
    txn_blob(&buf, 1, 1, 3);             /* 1 opens again at 3 */
    marker_blob(&buf, 2, 0, true, 4);    /* 2 committed */
    sl_producer_state_t st;
    sl_producer_state_init(&st);
    int64_t next = -1;
    assert_int_equal(sl_producer_state_load_blob(&st, buf.data, buf.len, 0, &next), SL_OK);
    assert_int_equal(next, 5);
    assert_int_equal(st.open_txns, 1);
    assert_int_equal(sl_producer_state_first_open(&st), 3);
    assert_int_equal(sl_producer_state_find(&st, 1)->txn_first_offset, 3);
    assert_int_equal(sl_producer_state_find(&st, 2)->txn_first_offset, -1);
    assert_int_equal(sl_producer_state_find(&st, 2)->coordinator_epoch, 4);
    /* from offset 3 only: 2's transaction was never seen open, its marker
     * is taken all the same */
    sl_producer_state_t late;
    sl_producer_state_init(&late);
    assert_int_equal(sl_producer_state_load_blob(&late, buf.data, buf.len, 3, &next), SL_OK);
    assert_int_equal(sl_producer_state_first_open(&late), 3);
    assert_int_equal(late.open_txns, 1);
    sl_producer_state_fini(&late);
    sl_producer_state_fini(&st);
    sl_buf_free(&buf);
}

static void assert_same_state(const sl_producer_state_t *a, const sl_producer_state_t *b)
{
    assert_int_equal(sl_map_count(&a->producers), sl_map_count(&b->producers));
    size_t it = 0;
    const void *key;
    size_t klen;
    void *val;
    while (sl_map_next(&a->producers, &it, &key, &klen, &val)) {
        const sl_producer_entry_t *x = val;
        const sl_producer_entry_t *y = sl_producer_state_find(b, x->producer_id);
        assert_non_null(y);
        assert_int_equal(x->epoch, y->epoch);
        assert_int_equal(x->nbatches, y->nbatches);
        assert_memory_equal(x->batches, y->batches, (size_t)x->nbatches * sizeof x->batches[0]);
    }
}

static bool snap_exists(const char *dir, int64_t off)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%020lld.snapshot", dir, (long long)off);
    return access(path, F_OK) == 0;
}

static void rm_dir(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* A log in a new temp dir (dir gets its path) with small segments. */
static sl_log_t *log_new(char *dir, sl_log_config_t *cfg)
{
    assert_non_null(mkdtemp(dir));
    sl_log_config_defaults(cfg);
    cfg->segment_bytes = 300;
    sl_log_t *log = NULL;
    assert_int_equal(sl_log_open(dir, cfg, true, &log), SL_OK);
    return log;
}

static void load_from_snapshot_then_the_batches_after_it(void **state)
{
    SL_UNUSED(state);
    char dir[] = "/tmp/sl-producer-load-XXXXXX";
    sl_log_config_t cfg;
    sl_log_t *log = log_new(dir, &cfg);
    append_batch(log, 7, 0, 0, 3);        /* 0-2 */
    append_batch(log, 8, 1, 0, 2);        /* 3-4 */
    sl_producer_state_t st;
    sl_producer_state_init(&st);
    assert_int_equal(sl_producer_state_load(&st, log, dir, 0, 0), SL_OK);
    assert_int_equal(st.snap_offset, -1);
    assert_true(st.changed);
    assert_int_equal(sl_producer_snapshot_write(dir, &st, sl_log_end_offset(log)), SL_OK); /* at 5 */
    sl_producer_state_fini(&st);
    for (int i = 0; i < 4; i++)
        append_batch(log, 7, 0, 3 + i, 1); /* 5-8 */
    append_batch(log, 9, 0, 40, 2);         /* 9-10 */

    /* From the snapshot at 5 plus 5..10: the same as every batch read. */
    sl_producer_state_t full, snap;
    sl_producer_state_init(&full);
    assert_int_equal(sl_producer_state_load(&full, log, NULL, 0, 0), SL_OK);
    sl_producer_state_init(&snap);
    assert_int_equal(sl_producer_state_load(&snap, log, dir, 0, 0), SL_OK);
    assert_true(snap.loaded);
    assert_int_equal(snap.snap_offset, 5);
    assert_true(snap.changed);
    assert_same_state(&full, &snap);
    assert_int_equal(sl_producer_state_find(&snap, 7)->nbatches, 5);
    assert_int_equal(sl_producer_state_find(&snap, 7)->batches[0].first_offset, 0);
    sl_producer_state_fini(&snap);

    /* The snapshot really is used: one that says something else wins over
     * the log below it. */
    sl_producer_state_t fake;
    sl_producer_state_init(&fake);
    assert_int_equal(sl_producer_state_update_at(&fake, 99, 4, 10, 0, 1, 1, 5), SL_OK);
    assert_int_equal(sl_producer_snapshot_write(dir, &fake, 9), SL_OK);
    sl_producer_state_fini(&fake);
    sl_producer_state_init(&snap);
    assert_int_equal(sl_producer_state_load(&snap, log, dir, 0, 0), SL_OK);
    assert_int_equal(snap.snap_offset, 9);
    assert_non_null(sl_producer_state_find(&snap, 99));
    assert_null(sl_producer_state_find(&snap, 7));
    assert_non_null(sl_producer_state_find(&snap, 9)); /* replayed from 9 */
    sl_producer_state_fini(&snap);

    /* Above the log end (a snapshot of batches since cut off): unused. */
    sl_producer_state_init(&fake);
    assert_int_equal(sl_producer_state_update_at(&fake, 98, 0, 0, 0, 20, 20, 5), SL_OK);
    assert_int_equal(sl_producer_snapshot_write(dir, &fake, 50), SL_OK);
    sl_producer_state_fini(&fake);
    sl_producer_state_init(&snap);
    assert_int_equal(sl_producer_state_load(&snap, log, dir, 0, 0), SL_OK);
    assert_int_equal(snap.snap_offset, 9); /* 50 describes offsets the log does not have */
    assert_non_null(sl_producer_state_find(&snap, 99));
    assert_null(sl_producer_state_find(&snap, 98));
    sl_producer_state_fini(&snap);
    sl_producer_state_fini(&full);
    assert_int_equal(sl_log_close(log), SL_OK);
    rm_dir(dir);
}

static void snapshot_below_the_log_start_is_unused_and_expiry_applies(void **state)
{
    SL_UNUSED(state);
    char dir[] = "/tmp/sl-producer-start-XXXXXX";
    sl_log_config_t cfg;
    sl_log_t *log = log_new(dir, &cfg);
    append_batch(log, 7, 0, 0, 3); /* 0-2 */
    sl_producer_state_t st;
    sl_producer_state_init(&st);
    assert_int_equal(sl_producer_state_update_at(&st, 7, 0, 0, 2, 0, 2, 1000), SL_OK);
    assert_int_equal(sl_producer_state_update_at(&st, 70, 0, 0, 0, 1, 1, 1000), SL_OK);
    assert_int_equal(sl_producer_snapshot_write(dir, &st, 3), SL_OK);
    sl_producer_state_fini(&st);
    append_batch(log, 8, 0, 0, 3); /* 3-5 */

    /* Expiry at load: producer 7 and 70 (snapshot, time 1000) are old at
     * 100000 with 50000 ms; 8 (the batch's max timestamp, about 1000 as
     * the builder stamps it) too; with a longer expiration all stay. */
    sl_producer_state_init(&st);
    assert_int_equal(sl_producer_state_load(&st, log, dir, 1000000, 100000), SL_OK);
    assert_int_equal(sl_map_count(&st.producers), 3);
    assert_int_equal(st.snap_offset, 3);
    sl_producer_state_fini(&st);
    sl_producer_state_init(&st);
    assert_int_equal(sl_producer_state_load(&st, log, dir, 50000, 100000), SL_OK);
    assert_int_equal(sl_map_count(&st.producers), 0);
    assert_true(st.loaded);
    sl_producer_state_fini(&st);

    /* DeleteRecords past the snapshot: it is not used (its producers'
     * later batches are unknown), the log from its start is. */
    append_batch(log, -1, -1, -1, 1); /* 6 */
    assert_int_equal(sl_log_delete_records(log, 4), SL_OK);
    sl_producer_state_init(&st);
    assert_int_equal(sl_producer_state_load(&st, log, dir, 0, 0), SL_OK);
    assert_int_equal(st.snap_offset, -1);
    assert_null(sl_producer_state_find(&st, 70));
    assert_non_null(sl_producer_state_find(&st, 8)); /* its batch 3-5 holds offset 4 */
    sl_producer_state_fini(&st);
    assert_int_equal(sl_log_close(log), SL_OK);
    rm_dir(dir);
}

static void a_partition_in_the_table_snapshots_expires_and_is_freed(void **state)
{
    SL_UNUSED(state);
    char dir[] = "/tmp/sl-producer-part-XXXXXX";
    sl_log_config_t cfg;
    sl_log_t *log = log_new(dir, &cfg);
    batch_ts = sl_time_wall_ms(); /* replayed batches are recent */
    append_batch(log, 7, 0, 0, 3); /* 0-2 */
    sl_topic_t topic;
    memset(&topic, 0, sizeof topic);
    snprintf(topic.name, sizeof topic.name, "t");
    topic.id.b[0] = 0x42;
    sl_partition_t part;
    memset(&part, 0, sizeof part);
    part.topic = &topic;
    part.index = 3;
    part.cfg.segment_bytes = 1 << 30;

    /* A snapshot above the log end (the log lost its tail) goes at attach. */
    sl_producer_state_t other;
    sl_producer_state_init(&other);
    assert_int_equal(sl_producer_state_update_at(&other, 5, 0, 0, 0, 10, 10, 1), SL_OK);
    assert_int_equal(sl_producer_snapshot_write(dir, &other, 11), SL_OK);
    sl_producer_state_fini(&other);
    assert_int_equal(sl_producer_part_attach(&part, dir, log, false, 3600000), SL_OK);
    assert_false(snap_exists(dir, 11));

    sl_producer_state_t *st = sl_producer_state_of(&part);
    assert_non_null(st);
    assert_false(st->loaded);
    assert_int_equal(sl_producer_state_rebuild(st, log), SL_OK); /* as produce.c does */
    assert_true(st->loaded);
    assert_non_null(sl_producer_state_find(st, 7));
    /* Housekeeping: no snapshot yet, producers: one is written at once. */
    int64_t now = sl_time_wall_ms();
    sl_producer_part_snapshot_if_due(&part, log, now);
    assert_true(snap_exists(dir, 3));
    assert_false(st->changed);
    /* A change waits for the interval (or a segment's growth). */
    append_batch(log, 7, 0, 3, 1); /* 3 */
    assert_int_equal(sl_producer_state_update(st, 7, 0, 3, 0, 3, 3), SL_OK);
    sl_producer_part_snapshot_if_due(&part, log, now + 1);
    assert_false(snap_exists(dir, 4));
    sl_producer_part_snapshot_if_due(&part, log, now + SL_PRODUCER_SNAPSHOT_INTERVAL_MS);
    assert_true(snap_exists(dir, 4));
    /* Expiry with the attached setting (an hour). */
    assert_int_equal(sl_producer_part_expire(&part, now + 1000), 0);
    assert_int_equal(sl_producer_part_expire(&part, now + 3600000 + 1000), 1);
    assert_int_equal(sl_map_count(&st->producers), 0);
    assert_true(st->changed);
    /* Close: a snapshot at the log end with the state as it is. */
    append_batch(log, 8, 0, 0, 1); /* 4 */
    assert_int_equal(sl_producer_state_update(st, 8, 0, 0, 0, 4, 4), SL_OK);
    sl_producer_part_close(&part, log);
    assert_true(snap_exists(dir, 5));
    assert_true(snap_exists(dir, 4));
    assert_false(snap_exists(dir, 3)); /* two kept */
    /* The entry is gone: a fresh one comes back empty; the reload finds 8
     * from the snapshot, and 7 stays expired. */
    st = sl_producer_state_of(&part);
    assert_false(st->loaded);
    assert_int_equal(sl_producer_part_attach(&part, dir, log, false, 3600000), SL_OK);
    st = sl_producer_state_of(&part);
    assert_int_equal(sl_producer_state_rebuild(st, log), SL_OK);
    assert_int_equal(st->snap_offset, 5);
    assert_null(sl_producer_state_find(st, 7));
    assert_non_null(sl_producer_state_find(st, 8));
    sl_producer_part_drop(&part);
    /* A fresh partition in that directory: every snapshot goes. */
    assert_int_equal(sl_producer_part_attach(&part, dir, log, true, 3600000), SL_OK);
    assert_false(snap_exists(dir, 5));
    assert_false(snap_exists(dir, 4));
    sl_producer_part_drop(&part);
    assert_int_equal(sl_log_close(log), SL_OK);
    rm_dir(dir);
    batch_ts = 1000;
}

static void producer_ids_are_never_reused_across_restarts(void **state)
{
    SL_UNUSED(state);
    char dir[] = "/tmp/sl-producer-ids-XXXXXX";
    char other[] = "/tmp/sl-producer-ids2-XXXXXX";
    assert_non_null(mkdtemp(dir));
    assert_non_null(mkdtemp(other));
    int64_t id = -1;
    assert_int_equal(sl_producer_id_next(dir, &id), SL_OK);
    assert_int_equal(id, 0);
    assert_int_equal(sl_producer_id_next(dir, &id), SL_OK);
    assert_int_equal(id, 1);
    char path[256];
    snprintf(path, sizeof path, "%s/.sluice/producer_ids", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    long long v = -1;
    assert_int_equal(fscanf(f, "%lld", &v), 1);
    fclose(f);
    assert_int_equal(v, SL_PRODUCER_ID_BLOCK);
    /* Another dir, then back: as after a restart, the next block is used. */
    assert_int_equal(sl_producer_id_next(other, &id), SL_OK);
    assert_int_equal(id, 0);
    assert_int_equal(sl_producer_id_next(dir, &id), SL_OK);
    assert_int_equal(id, SL_PRODUCER_ID_BLOCK);
    /* Used up block: a new one is persisted. */
    for (int i = 1; i < SL_PRODUCER_ID_BLOCK; i++)
        assert_int_equal(sl_producer_id_next(dir, &id), SL_OK);
    assert_int_equal(id, 2 * SL_PRODUCER_ID_BLOCK - 1);
    assert_int_equal(sl_producer_id_next(dir, &id), SL_OK);
    assert_int_equal(id, 2 * SL_PRODUCER_ID_BLOCK);
    /* A damaged file is an error, not id 0. */
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("garbage\n", f);
    fclose(f);
    assert_int_equal(sl_producer_id_next(other, &id), SL_OK);
    assert_int_equal(sl_producer_id_next(dir, &id), SL_ERR_CORRUPT_MESSAGE);
    unlink(path);
    char d2[256];
    snprintf(d2, sizeof d2, "%s/.sluice", dir);
    rmdir(d2);
    rmdir(dir);
    snprintf(path, sizeof path, "%s/.sluice/producer_ids", other);
    unlink(path);
    snprintf(d2, sizeof d2, "%s/.sluice", other);
    rmdir(d2);
    rmdir(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unknown_producer_accepts_any_sequence),
        cmocka_unit_test(next_sequence_is_accepted_and_gap_refused),
        cmocka_unit_test(duplicate_of_each_of_last_five_gets_original_offsets),
        cmocka_unit_test(old_epoch_is_refused_even_for_a_known_range),
        cmocka_unit_test(new_epoch_must_start_at_sequence_zero),
        cmocka_unit_test(sequence_wraps_at_int32_max),
        cmocka_unit_test(state_is_rebuilt_from_the_log),
        cmocka_unit_test(load_blob_stops_at_truncated_tail_and_rejects_garbage),
        cmocka_unit_test(transactions_open_close_and_set_the_first_open_offset),
        cmocka_unit_test(load_blob_replays_transactions_and_markers),
        cmocka_unit_test(load_from_snapshot_then_the_batches_after_it),
        cmocka_unit_test(snapshot_below_the_log_start_is_unused_and_expiry_applies),
        cmocka_unit_test(a_partition_in_the_table_snapshots_expires_and_is_freed),
        cmocka_unit_test(producer_ids_are_never_reused_across_restarts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
