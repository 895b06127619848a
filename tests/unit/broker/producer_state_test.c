/* producer_state_test.c - the idempotent producer's per-partition rules
 * (producer_int.h): in-sequence batches, duplicates of each of the last 5
 * batches, gaps, old and new epochs, unknown producers, the sequence wrap at
 * INT32_MAX; the state rebuilt from a real log's batch headers; producer
 * ids persisted in blocks and never handed out twice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
        assert_int_equal(sl_batch_builder_add(&b, 1000 + i, NULL, -1, "v", 1, NULL, 0), SL_OK);
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
        cmocka_unit_test(producer_ids_are_never_reused_across_restarts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
