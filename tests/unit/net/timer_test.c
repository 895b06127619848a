/* timer_test.c - loop timers: order, repeat, cancel (also from callbacks), 0 ms
 * timers do not hold the loop, thousands of timers through the heap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "net.h"

static void stop_cb(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    SL_UNUSED(id);
    if (arg)
        *(bool *)arg = true;
    sl_loop_stop(loop);
}

/* Every test runs the loop under this: if the test's own stop never comes,
 * the loop still returns and the test fails on the flag. */
static sl_timer_id_t safety_net(sl_loop_t *loop, bool *fired)
{
    sl_timer_id_t id;
    *fired = false;
    assert_int_equal(sl_loop_timer_add(loop, 10000, false, stop_cb, fired, &id), SL_OK);
    return id;
}

typedef struct order_rec {
    int got[16];
    int n;
    int stop_after;
} order_rec_t;

static order_rec_t *g_rec;

static void record_cb(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    SL_UNUSED(id);
    order_rec_t *r = g_rec;
    if (r->n < (int)SL_ARRAY_LEN(r->got))
        r->got[r->n++] = (int)(intptr_t)arg;
    if (r->n == r->stop_after)
        sl_loop_stop(loop);
}

static void timer_fires_in_deadline_order_ties_in_add_order(void **state)
{
    (void)state;
    sl_loop_t *loop;
    assert_int_equal(sl_loop_new(&loop), SL_OK);
    order_rec_t rec = {.stop_after = 5};
    g_rec = &rec;
    bool late;
    safety_net(loop, &late);
    assert_int_equal(sl_loop_timer_add(loop, 60, false, record_cb, (void *)5, NULL), SL_OK);
    assert_int_equal(sl_loop_timer_add(loop, 20, false, record_cb, (void *)2, NULL), SL_OK);
    assert_int_equal(sl_loop_timer_add(loop, 40, false, record_cb, (void *)4, NULL), SL_OK);
    assert_int_equal(sl_loop_timer_add(loop, 20, false, record_cb, (void *)3, NULL), SL_OK);
    assert_int_equal(sl_loop_timer_add(loop, 0, false, record_cb, (void *)1, NULL), SL_OK);
    assert_int_equal(sl_loop_run(loop), SL_OK);
    assert_false(late);
    assert_int_equal(rec.n, 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(rec.got[i], i + 1);
    sl_loop_free(loop);
}

static void timer_same_deadline_fires_in_add_order_when_due_together(void **state)
{
    (void)state;
    sl_loop_t *loop;
    assert_int_equal(sl_loop_new(&loop), SL_OK);
    order_rec_t rec = {.stop_after = 8};
    g_rec = &rec;
    for (int i = 1; i <= 8; i++)
        assert_int_equal(sl_loop_timer_add(loop, 0, false, record_cb, (void *)(intptr_t)i, NULL),
                         SL_OK);
    /* All are due at the first iteration. */
    assert_int_equal(sl_loop_run_once(loop, 0), SL_OK);
    assert_int_equal(rec.n, 8);
    for (int i = 0; i < 8; i++)
        assert_int_equal(rec.got[i], i + 1);
    sl_loop_free(loop);
}

typedef struct repeat_rec {
    int fired;
    int limit;
    sl_timer_id_t id;
    bool cancel_result;
} repeat_rec_t;

static void repeat_cb(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    repeat_rec_t *r = arg;
    assert_int_equal(id, r->id);
    if (++r->fired == r->limit) {
        r->cancel_result = sl_loop_timer_cancel(loop, id);
        sl_loop_stop(loop);
    }
}

static void timer_repeats_until_cancelled_in_its_callback(void **state)
{
    (void)state;
    sl_loop_t *loop;
    assert_int_equal(sl_loop_new(&loop), SL_OK);
    repeat_rec_t r = {.limit = 5};
    bool late;
    safety_net(loop, &late);
    assert_int_equal(sl_loop_timer_add(loop, 2, true, repeat_cb, &r, &r.id), SL_OK);
    assert_true(r.id != 0);
    assert_int_equal(sl_loop_run(loop), SL_OK);
    assert_false(late);
    assert_int_equal(r.fired, 5);
    assert_true(r.cancel_result);
    /* Cancelled: more iterations do not fire it. */
    for (int i = 0; i < 5; i++)
        assert_int_equal(sl_loop_run_once(loop, 3), SL_OK);
    assert_int_equal(r.fired, 5);
    assert_false(sl_loop_timer_cancel(loop, r.id));
    sl_loop_free(loop);
}

static void oneshot_cb(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    repeat_rec_t *r = arg;
    r->fired++;
    /* A one-shot timer is no longer pending in its own callback. */
    r->cancel_result = sl_loop_timer_cancel(loop, id);
}

static void timer_oneshot_fires_once_and_is_gone(void **state)
{
    (void)state;
    sl_loop_t *loop;
    assert_int_equal(sl_loop_new(&loop), SL_OK);
    repeat_rec_t r = {0};
    r.cancel_result = true;
    assert_int_equal(sl_loop_timer_add(loop, 0, false, oneshot_cb, &r, &r.id), SL_OK);
    for (int i = 0; i < 5; i++)
        assert_int_equal(sl_loop_run_once(loop, 0), SL_OK);
    assert_int_equal(r.fired, 1);
    assert_false(r.cancel_result);
    assert_false(sl_loop_timer_cancel(loop, r.id));
    sl_loop_free(loop);
}

static void count_cb(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    SL_UNUSED(loop);
    SL_UNUSED(id);
    (*(int *)arg)++;
}

static void timer_cancelled_before_due_never_fires(void **state)
{
    (void)state;
    sl_loop_t *loop;
    assert_int_equal(sl_loop_new(&loop), SL_OK);
    int count = 0;
    sl_timer_id_t a, b;
    assert_int_equal(sl_loop_timer_add(loop, 0, false, count_cb, &count, &a), SL_OK);
    assert_int_equal(sl_loop_timer_add(loop, 0, true, count_cb, &count, &b), SL_OK);
    assert_true(sl_loop_timer_cancel(loop, a));
    assert_true(sl_loop_timer_cancel(loop, b));
    assert_false(sl_loop_timer_cancel(loop, a));
    for (int i = 0; i < 3; i++)
        assert_int_equal(sl_loop_run_once(loop, 0), SL_OK);
    assert_int_equal(count, 0);
    sl_loop_free(loop);
}

static void timer_zero_ms_repeat_fires_once_per_iteration(void **state)
{
    (void)state;
    sl_loop_t *loop;
    assert_int_equal(sl_loop_new(&loop), SL_OK);
    int count = 0;
    assert_int_equal(sl_loop_timer_add(loop, 0, true, count_cb, &count, NULL), SL_OK);
    for (int i = 0; i < 7; i++)
        assert_int_equal(sl_loop_run_once(loop, 0), SL_OK);
    assert_int_equal(count, 7);
    sl_loop_free(loop);
}

static void timer_rejects_bad_arguments_and_ids(void **state)
{
    (void)state;
    sl_loop_t *loop;
    assert_int_equal(sl_loop_new(&loop), SL_OK);
    int count = 0;
    sl_timer_id_t id = 99;
    assert_int_equal(sl_loop_timer_add(loop, -1, false, count_cb, &count, &id), SL_ERR_INVAL);
    assert_int_equal(id, 0);
    assert_int_equal(sl_loop_timer_add(loop, 1, false, NULL, &count, &id), SL_ERR_INVAL);
    assert_false(sl_loop_timer_cancel(loop, 0));
    assert_false(sl_loop_timer_cancel(loop, 12345));
    assert_false(sl_loop_timer_cancel(loop, UINT64_MAX));
    /* A freed slot reused by a new timer: the old id must not cancel it. */
    sl_timer_id_t old, fresh;
    assert_int_equal(sl_loop_timer_add(loop, 1000, false, count_cb, &count, &old), SL_OK);
    assert_true(sl_loop_timer_cancel(loop, old));
    assert_int_equal(sl_loop_timer_add(loop, 1000, false, count_cb, &count, &fresh), SL_OK);
    assert_true(old != fresh);
    assert_false(sl_loop_timer_cancel(loop, old));
    assert_true(sl_loop_timer_cancel(loop, fresh));
    sl_loop_free(loop);
}

/* Thousands of timers: each fires exactly once unless cancelled, never
 * before its deadline, and in an order consistent with the deadlines. */
#define MANY 3000

typedef struct many_rec {
    int64_t added_lo[MANY], added_hi[MANY];
    int ms[MANY];
    bool cancelled[MANY];
    int fired_count[MANY];
    int order[MANY];
    int nfired;
    int expect;
    bool early;
} many_rec_t;

static many_rec_t *g_many;

static void many_cb(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    SL_UNUSED(id);
    many_rec_t *m = g_many;
    int i = (int)(intptr_t)arg;
    if (sl_time_mono_ms() < m->added_lo[i] + m->ms[i])
        m->early = true;
    m->fired_count[i]++;
    m->order[m->nfired++] = i;
    if (m->nfired == m->expect)
        sl_loop_stop(loop);
}

static void timer_thousands_fire_once_in_deadline_order(void **state)
{
    (void)state;
    sl_loop_t *loop;
    assert_int_equal(sl_loop_new(&loop), SL_OK);
    many_rec_t *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    g_many = m;
    static sl_timer_id_t ids[MANY];
    srand(7);
    for (int i = 0; i < MANY; i++) {
        m->ms[i] = rand() % 60;
        m->added_lo[i] = sl_time_mono_ms();
        assert_int_equal(sl_loop_timer_add(loop, m->ms[i], false, many_cb, (void *)(intptr_t)i,
                                           &ids[i]), SL_OK);
        m->added_hi[i] = sl_time_mono_ms();
    }
    m->expect = MANY;
    for (int i = 0; i < MANY; i += 3) {
        assert_true(sl_loop_timer_cancel(loop, ids[i]));
        m->cancelled[i] = true;
        m->expect--;
    }
    bool late;
    safety_net(loop, &late);
    assert_int_equal(sl_loop_run(loop), SL_OK);
    assert_false(late);
    assert_false(m->early);
    assert_int_equal(m->nfired, m->expect);
    for (int i = 0; i < MANY; i++)
        assert_int_equal(m->fired_count[i], m->cancelled[i] ? 0 : 1);
    /* Fired a before b: a's earliest possible deadline is not after b's
     * latest possible one. */
    for (int k = 1; k < m->nfired; k++) {
        int a = m->order[k - 1], b = m->order[k];
        assert_true(m->added_lo[a] + m->ms[a] <= m->added_hi[b] + m->ms[b]);
    }
    free(m);
    sl_loop_free(loop);
}

typedef struct chain_rec {
    sl_timer_id_t victim;
    bool victim_cancelled;
    int added_fired;
} chain_rec_t;

static void added_cb(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    SL_UNUSED(id);
    chain_rec_t *c = arg;
    c->added_fired++;
    sl_loop_stop(loop);
}

static void first_cb(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    SL_UNUSED(id);
    chain_rec_t *c = arg;
    /* From a callback: cancel a timer due in the same iteration, add one. */
    c->victim_cancelled = sl_loop_timer_cancel(loop, c->victim);
    assert_int_equal(sl_loop_timer_add(loop, 1, false, added_cb, c, NULL), SL_OK);
}

static void victim_cb(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    SL_UNUSED(loop);
    SL_UNUSED(id);
    SL_UNUSED(arg);
    fail_msg("a timer cancelled by an earlier callback fired");
}

static void timer_callbacks_may_cancel_and_add_timers(void **state)
{
    (void)state;
    sl_loop_t *loop;
    assert_int_equal(sl_loop_new(&loop), SL_OK);
    chain_rec_t c = {0};
    assert_int_equal(sl_loop_timer_add(loop, 0, false, first_cb, &c, NULL), SL_OK);
    assert_int_equal(sl_loop_timer_add(loop, 0, false, victim_cb, NULL, &c.victim), SL_OK);
    bool late;
    safety_net(loop, &late);
    assert_int_equal(sl_loop_run(loop), SL_OK);
    assert_false(late);
    assert_true(c.victim_cancelled);
    assert_int_equal(c.added_fired, 1);
    sl_loop_free(loop);
}

static void timer_pending_at_free_never_fires(void **state)
{
    (void)state;
    sl_loop_t *loop;
    assert_int_equal(sl_loop_new(&loop), SL_OK);
    int count = 0;
    assert_int_equal(sl_loop_timer_add(loop, 100000, false, count_cb, &count, NULL), SL_OK);
    assert_int_equal(sl_loop_timer_add(loop, 100000, true, count_cb, &count, NULL), SL_OK);
    sl_loop_free(loop); /* ASan: nothing leaks */
    assert_int_equal(count, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(timer_fires_in_deadline_order_ties_in_add_order),
        cmocka_unit_test(timer_same_deadline_fires_in_add_order_when_due_together),
        cmocka_unit_test(timer_repeats_until_cancelled_in_its_callback),
        cmocka_unit_test(timer_oneshot_fires_once_and_is_gone),
        cmocka_unit_test(timer_cancelled_before_due_never_fires),
        cmocka_unit_test(timer_zero_ms_repeat_fires_once_per_iteration),
        cmocka_unit_test(timer_rejects_bad_arguments_and_ids),
        cmocka_unit_test(timer_thousands_fire_once_in_deadline_order),
        cmocka_unit_test(timer_callbacks_may_cancel_and_add_timers),
        cmocka_unit_test(timer_pending_at_free_never_fires),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
