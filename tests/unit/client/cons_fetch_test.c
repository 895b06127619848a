/*
 * cons_fetch_test.c - the consumer's fetcher against the scripted fake
 * broker (fake_broker.h), which serves a small log per partition: messages
 * from both leaders in offset order; NOT_LEADER_OR_FOLLOWER followed to the
 * new leader after a metadata refresh; OFFSET_OUT_OF_RANGE reset by
 * auto.offset.reset (ListOffsets earliest) or reported as an error event
 * with none; SL_OFFSET_END; a batch cut at the end of a response fetched
 * again; dropped connections and garbage answers retried; the prefetch
 * queue bounded while the application does not poll; seek dropping what
 * was prefetched.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cons_fake.h"

static void test_basic(void **state)
{
    (void)state;
    cf_world_init(20, 0, 0);
    sl_fb_t *fb = cf_fb_start(NULL);
    sl_consumer_t *c = cf_consumer(fb, NULL, NULL, NULL);
    cf_assign(c, SL_OFFSET_BEGINNING, 5);
    int64_t next[NPART] = {0, 5};
    assert_int_equal(cf_poll_n(c, 35, next, NULL, NULL), 35);
    assert_int_equal(cf_position(c, 0), 20);
    assert_int_equal(cf_position(c, 1), 20);
    sl_message_t *m = (sl_message_t *)1;
    assert_int_equal(sl_consumer_poll(c, 50, &m), SL_ERR_TIMEOUT);
    assert_null(m);
    /* Commits need a group. */
    assert_int_equal(sl_consumer_commit(c, NULL, 0, false), SL_ERR_STATE);
    /* New records are picked up. */
    pthread_mutex_lock(&W.mu);
    cf_log_append(&W.log[1], 1, 0);
    pthread_mutex_unlock(&W.mu);
    assert_int_equal(cf_poll_n(c, 1, next, NULL, NULL), 1);
    assert_int_equal(sl_consumer_close(c), SL_OK);
    assert_int_equal(sl_consumer_poll(c, 0, &m), SL_ERR_STATE);
    assert_int_equal(sl_consumer_close(c), SL_ERR_STATE);
    sl_consumer_free(c);
    sl_fb_free(fb);
    cf_world_fini();
}

static void test_not_leader(void **state)
{
    (void)state;
    cf_world_init(10, 0, 0);
    sl_fb_t *fb = cf_fb_start(NULL);
    W.not_leader = 1;   /* p0 moves from node 0 to node 1 */
    sl_consumer_t *c = cf_consumer(fb, NULL, NULL, NULL);
    cf_assign(c, 0, 0);
    int64_t next[NPART] = {0, 0};
    assert_int_equal(cf_poll_n(c, 20, next, NULL, NULL), 20);
    /* p0's records came from node 1 (node 0 refuses p0 after the move), so
     * the consumer learnt the new leader from a Metadata answer given after
     * the error, and lost nothing on the way. */
    pthread_mutex_lock(&W.mu);
    assert_int_equal(W.not_leader, 0);
    assert_true(W.p0_moved);
    pthread_mutex_unlock(&W.mu);
    sl_consumer_free(c);
    sl_fb_free(fb);
    cf_world_fini();
}

static void test_out_of_range(void **state)
{
    (void)state;
    cf_world_init(10, 4, 0);   /* the log starts at 4 */
    sl_fb_t *fb = cf_fb_start(NULL);
    const char *earliest[] = {"auto.offset.reset", "earliest", NULL};
    sl_consumer_t *c = cf_consumer(fb, earliest, NULL, NULL);
    cf_assign(c, 1, SL_OFFSET_INVALID);
    int64_t next[NPART] = {4, 0};
    int errs = 0;
    assert_int_equal(cf_poll_n(c, 6, next, &errs, NULL), 6);
    assert_int_equal(errs, 0);
    assert_true(sl_fb_count(fb, 2) >= 1);
    sl_consumer_free(c);

    const char *none[] = {"auto.offset.reset", "none", NULL};
    c = cf_consumer(fb, none, NULL, NULL);
    cf_assign(c, 1, SL_OFFSET_INVALID);
    /* Until the error event (bounded), then a while longer: no message
     * and no second event. */
    int64_t until = sl_time_mono_ms() + 20000;
    int64_t quiet_until = INT64_MAX;
    sl_err_t last = SL_OK;
    while (sl_time_mono_ms() < until && sl_time_mono_ms() < quiet_until) {
        sl_message_t *m = NULL;
        if (sl_consumer_poll(c, 50, &m) != SL_OK)
            continue;
        assert_int_not_equal(m->err, SL_OK);
        errs++;
        last = m->err;
        sl_message_free(m);
        if (quiet_until == INT64_MAX)
            quiet_until = sl_time_mono_ms() + 500;
    }
    assert_int_equal(errs, 1);
    assert_int_equal(last, SL_ERR_OFFSET_OUT_OF_RANGE);
    /* A seek gets it going again. */
    assert_int_equal(sl_consumer_seek(c, "t", 0, 8), SL_OK);
    next[0] = 8;
    assert_int_equal(cf_poll_n(c, 2, next, NULL, NULL), 2);
    assert_int_equal(sl_consumer_seek(c, "t", 1, 0), SL_ERR_STATE);   /* not assigned */
    sl_consumer_free(c);
    sl_fb_free(fb);
    cf_world_fini();
}

static void test_end_and_seek(void **state)
{
    (void)state;
    cf_world_init(10, 0, 0);
    sl_fb_t *fb = cf_fb_start(NULL);
    sl_consumer_t *c = cf_consumer(fb, NULL, NULL, NULL);
    cf_assign(c, SL_OFFSET_END, SL_OFFSET_END);
    int64_t until = sl_time_mono_ms() + 20000;
    while (cf_position(c, 0) != 10 && sl_time_mono_ms() < until)
        cu_sleep_ms(10);
    assert_int_equal(cf_position(c, 0), 10);
    pthread_mutex_lock(&W.mu);
    cf_log_append(&W.log[0], 0, 0);
    pthread_mutex_unlock(&W.mu);
    int64_t next[NPART] = {10, 10};
    assert_int_equal(cf_poll_n(c, 1, next, NULL, NULL), 1);
    /* Seek back: prefetched messages of the old position never come out. */
    assert_int_equal(sl_consumer_seek(c, "t", 0, SL_OFFSET_BEGINNING), SL_OK);
    assert_int_equal(sl_consumer_seek(c, "t", 1, 7), SL_OK);
    next[0] = 0;
    next[1] = 7;
    assert_int_equal(cf_poll_n(c, 14, next, NULL, NULL), 14);
    sl_consumer_free(c);
    sl_fb_free(fb);
    cf_world_fini();
}

static void test_cut_drop_garbage(void **state)
{
    (void)state;
    cf_world_init(30, 0, 0);
    sl_fb_t *fb = cf_fb_start(NULL);
    W.cut = true;
    W.drop = 1;
    W.garbage = 1;
    sl_consumer_t *c = cf_consumer(fb, NULL, NULL, NULL);
    cf_assign(c, 0, 0);
    int64_t next[NPART] = {0, 0};
    assert_int_equal(cf_poll_n(c, 60, next, NULL, NULL), 60);
    sl_consumer_free(c);
    sl_fb_free(fb);
    cf_world_fini();
}

/* With max.partition.fetch.bytes at 1 KiB and 1 KiB records, a consumer
 * that does not poll stops fetching after its queue passes the bound. */
static void test_prefetch_bound(void **state)
{
    (void)state;
    cf_world_init(60, 0, 1000);
    sl_fb_t *fb = cf_fb_start(NULL);
    const char *small[] = {"max.partition.fetch.bytes", "1024", NULL};
    sl_consumer_t *c = cf_consumer(fb, small, NULL, NULL);
    cf_assign(c, 0, SL_OFFSET_INVALID);
    /* The first fetch may take long on a loaded machine: wait for it, then
     * give the fetcher time to (wrongly) go on before counting. */
    int64_t until = sl_time_mono_ms() + 10000;
    while (sl_fb_count(fb, 1) < 1 && sl_time_mono_ms() < until)
        cu_sleep_ms(10);
    assert_true(sl_fb_count(fb, 1) >= 1);
    cu_sleep_ms(600);
    int fetches = sl_fb_count(fb, 1);
    assert_true(fetches <= 3);
    int64_t next[NPART] = {0, 0};
    assert_int_equal(cf_poll_n(c, 60, next, NULL, NULL), 60);
    assert_true(sl_fb_count(fb, 1) >= 30);
    sl_consumer_free(c);
    sl_fb_free(fb);
    cf_world_fini();
}

static void test_pause_resume(void **state)
{
    (void)state;
    cf_world_init(10, 0, 0);
    sl_fb_t *fb = cf_fb_start(NULL);
    sl_consumer_t *c = cf_consumer(fb, NULL, NULL, NULL);
    cf_assign(c, 0, 0);
    sl_tp_offset_t p1 = {.topic = "t", .partition = 1};
    assert_int_equal(sl_consumer_pause(c, &p1, 1), SL_OK);
    int64_t next[NPART] = {0, 0};
    int got = 0;
    /* Until p0's ten arrived (bounded), then a while longer: nothing of the
     * paused p1 may come out. */
    int64_t until = sl_time_mono_ms() + 10000;
    int64_t quiet_until = INT64_MAX;
    while (sl_time_mono_ms() < until && sl_time_mono_ms() < quiet_until) {
        if (got == 10 && quiet_until == INT64_MAX)
            quiet_until = sl_time_mono_ms() + 500;
        sl_message_t *m = NULL;
        if (sl_consumer_poll(c, 50, &m) == SL_OK) {
            assert_int_equal(m->partition, 0);
            assert_int_equal(m->offset, next[0]++);
            got++;
            sl_message_free(m);
        }
    }
    assert_int_equal(got, 10);
    assert_int_equal(cf_position(c, 1), 0);
    assert_int_equal(sl_consumer_resume(c, &p1, 1), SL_OK);
    assert_int_equal(cf_poll_n(c, 10, next, NULL, NULL), 10);
    sl_tp_offset_t other = {.topic = "x", .partition = 0};
    assert_int_equal(sl_consumer_pause(c, &other, 1), SL_ERR_STATE);
    sl_consumer_free(c);
    sl_fb_free(fb);
    cf_world_fini();
}

/* Partitions that do not exist are reported once each, then waited for. */
static void test_unknown_partition(void **state)
{
    (void)state;
    cf_world_init(1, 0, 0);
    sl_fb_t *fb = cf_fb_start(NULL);
    sl_consumer_t *c = cf_consumer(fb, NULL, NULL, NULL);
    sl_tp_offset_t parts[2] = {{.topic = "t", .partition = 5, .offset = 0, .leader_epoch = -1},
                               {.topic = "nope", .partition = 0, .offset = 0, .leader_epoch = -1}};
    assert_int_equal(sl_consumer_assign(c, parts, 2), SL_OK);
    int seen_t = 0, seen_nope = 0;
    /* Until both were reported (bounded), then a while longer: neither may
     * be reported again. */
    int64_t until = sl_time_mono_ms() + 10000;
    int64_t quiet_until = INT64_MAX;
    while (sl_time_mono_ms() < until && sl_time_mono_ms() < quiet_until) {
        if (seen_t && seen_nope && quiet_until == INT64_MAX)
            quiet_until = sl_time_mono_ms() + 1000;
        sl_message_t *m = NULL;
        if (sl_consumer_poll(c, 50, &m) != SL_OK)
            continue;
        assert_int_equal(m->err, SL_ERR_UNKNOWN_TOPIC_OR_PARTITION);
        if (strcmp(m->topic, "t") == 0 && m->partition == 5)
            seen_t++;
        else if (strcmp(m->topic, "nope") == 0 && m->partition == 0)
            seen_nope++;
        else
            fail_msg("unexpected event for %s [%d]", m->topic, (int)m->partition);
        sl_message_free(m);
    }
    assert_int_equal(seen_t, 1);
    assert_int_equal(seen_nope, 1);
    assert_int_equal(sl_fb_count(fb, 1), 0);
    sl_consumer_free(c);
    sl_fb_free(fb);
    cf_world_fini();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),           cmocka_unit_test(test_not_leader),
        cmocka_unit_test(test_out_of_range),    cmocka_unit_test(test_end_and_seek),
        cmocka_unit_test(test_cut_drop_garbage), cmocka_unit_test(test_prefetch_bound),
        cmocka_unit_test(test_pause_resume),    cmocka_unit_test(test_unknown_partition),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
