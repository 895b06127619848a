/*
 * window_math_test.c - the window arithmetic of ops_window.c as pure
 * functions: which time windows hold a timestamp, when windows close,
 * retention minimums, spec checks, session spans and the sliding-window
 * plan (Kafka's SlidingWindows algorithm, its documented example).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "streams_int.h"

/* The starts of the windows of w holding ts, written to out. */
static size_t starts_of(const sl_window_spec_t *w, int64_t ts, int64_t *out, size_t max)
{
    size_t n = 0;
    int64_t adv = w->kind == SL_WIN_TUMBLING ? w->size_ms : w->advance_ms;

    for (int64_t s = sl_window_first_start(w, ts); s <= ts && n < max; s += adv)
        out[n++] = s;
    return n;
}

static void test_tumbling_windows(void **state)
{
    sl_window_spec_t w = SL_TUMBLING(10, 0);
    int64_t s[4];

    (void)state;
    assert_int_equal(starts_of(&w, 0, s, 4), 1);
    assert_int_equal(s[0], 0);
    assert_int_equal(starts_of(&w, 9, s, 4), 1);
    assert_int_equal(s[0], 0);
    assert_int_equal(starts_of(&w, 10, s, 4), 1);
    assert_int_equal(s[0], 10);
    assert_int_equal(starts_of(&w, 1234, s, 4), 1);
    assert_int_equal(s[0], 1230);
}

static void test_hopping_windows(void **state)
{
    sl_window_spec_t w = SL_HOPPING(10, 5, 0);
    int64_t s[4];

    (void)state;
    /* Near 0 only the windows starting at 0 or later exist. */
    assert_int_equal(starts_of(&w, 3, s, 4), 1);
    assert_int_equal(s[0], 0);
    assert_int_equal(starts_of(&w, 7, s, 4), 2);
    assert_int_equal(s[0], 0);
    assert_int_equal(s[1], 5);
    assert_int_equal(starts_of(&w, 12, s, 4), 2);
    assert_int_equal(s[0], 5);
    assert_int_equal(s[1], 10);
    /* size 10, advance 3: windows [3,13) [6,16) [9,19) [12,22) hold 12. */
    w = (sl_window_spec_t)SL_HOPPING(10, 3, 0);
    assert_int_equal(starts_of(&w, 12, s, 4), 4);
    assert_int_equal(s[0], 3);
    assert_int_equal(s[3], 12);
}

static void test_close_times(void **state)
{
    sl_window_spec_t t = SL_TUMBLING(10, 5), s = SL_SESSION(3, 5), sl = SL_SLIDING(10, 5);

    (void)state;
    /* Time windows: closed once stream time reaches end + grace. */
    assert_false(sl_window_closed(&t, 10, 14));
    assert_true(sl_window_closed(&t, 10, 15));
    /* Sessions and sliding windows end inclusive: closed after it. */
    assert_false(sl_window_closed(&s, 10, 15));
    assert_true(sl_window_closed(&s, 10, 16));
    assert_false(sl_window_closed(&sl, 10, 15));
    assert_true(sl_window_closed(&sl, 10, 16));
    assert_int_equal(sl_window_suppress_wait(&t), 5);
    assert_int_equal(sl_window_suppress_wait(&s), 8);
}

static void test_retention_and_checks(void **state)
{
    sl_window_spec_t w = SL_TUMBLING(10, 5);
    char why[128];

    (void)state;
    assert_int_equal(sl_window_retention(&w), 15);
    w.retention_ms = 100;
    assert_int_equal(sl_window_retention(&w), 100);
    assert_int_equal(sl_window_check(&w, why, sizeof(why)), SL_OK);
    w.retention_ms = 14;
    assert_int_equal(sl_window_check(&w, why, sizeof(why)), SL_ERR_INVAL);
    w = (sl_window_spec_t)SL_SLIDING(10, 5);
    assert_int_equal(sl_window_retention(&w), 36);
    w = (sl_window_spec_t)SL_SESSION(7, 5);
    assert_int_equal(sl_window_retention(&w), 19);
    w = (sl_window_spec_t)SL_HOPPING(10, 11, 0);
    assert_int_equal(sl_window_check(&w, why, sizeof(why)), SL_ERR_INVAL);
    w = (sl_window_spec_t)SL_HOPPING(10, 0, 0);
    assert_int_equal(sl_window_check(&w, why, sizeof(why)), SL_ERR_INVAL);
    w = (sl_window_spec_t)SL_TUMBLING(10, -1);
    assert_int_equal(sl_window_check(&w, why, sizeof(why)), SL_ERR_INVAL);
    w = (sl_window_spec_t)SL_SESSION(0, 0);
    assert_int_equal(sl_window_check(&w, why, sizeof(why)), SL_ERR_INVAL);
    w = (sl_window_spec_t)SL_SLIDING(0, 0);
    assert_int_equal(sl_window_check(&w, why, sizeof(why)), SL_ERR_INVAL);
}

static void test_session_span(void **state)
{
    int64_t starts[] = {10, 20}, ends[] = {12, 25}, s, e;

    (void)state;
    sl_session_span(15, NULL, NULL, 0, &s, &e);
    assert_int_equal(s, 15);
    assert_int_equal(e, 15);
    /* A record between two sessions bridges them. */
    sl_session_span(16, starts, ends, 2, &s, &e);
    assert_int_equal(s, 10);
    assert_int_equal(e, 25);
    /* A record before the only session extends it backwards. */
    sl_session_span(5, starts + 1, ends + 1, 1, &s, &e);
    assert_int_equal(s, 5);
    assert_int_equal(e, 25);
}

/* A toy window store for the plan: windows with a sum each, updated as the
 * steps say; checks each window's sum against the records it covers. */
typedef struct toy {
    sl_slide_win_t w[64];
    int64_t sum[64];
    size_t n;
    int64_t rec_ts[16], rec_v[16];
    size_t nrec;
    int64_t stream;
} toy_t;

static size_t toy_find(const toy_t *t, int64_t start)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->w[i].start == start)
            return i;
    return t->n;
}

/* One record through the plan; returns the number of windows dropped. */
static size_t toy_add(toy_t *t, int64_t size, int64_t grace, int64_t ts, int64_t v)
{
    sl_slide_win_t have[64];
    int64_t sums[64];
    sl_slide_step_t steps[67];
    size_t n = 0, dropped, ns;
    int64_t lo = ts - 2 * size > 0 ? ts - 2 * size : 0;

    if (ts > t->stream)
        t->stream = ts;
    /* The store's fetch: by start, within [lo, ts + 1]. */
    for (int64_t s = lo; s <= ts + 1; s++) {
        size_t i = toy_find(t, s);
        if (i < t->n) {
            have[n] = t->w[i];
            sums[n++] = t->sum[i];
        }
    }
    ns = sl_slide_plan(size, ts, t->stream - grace, have, n, steps, &dropped);
    for (size_t k = 0; k < ns; k++) {
        const sl_slide_step_t *st = &steps[k];
        size_t i = toy_find(t, st->start);
        int64_t base = st->base >= 0 ? sums[st->base] : 0;
        int64_t mts = st->base >= 0 && st->existing ? have[st->base].max_ts : ts;

        assert_true(st->existing == (i < t->n));
        if (i == t->n) {
            t->w[t->n].start = st->start;
            t->n++;
        }
        if (st->add) {
            t->sum[i] = base + v;
            t->w[i].max_ts = mts > ts ? mts : ts;
        } else {
            t->sum[i] = base;
            t->w[i].max_ts = have[st->base].max_ts;
        }
    }
    if (ns > 0 || dropped == 0) {
        t->rec_ts[t->nrec] = ts;
        t->rec_v[t->nrec++] = v;
    }
    return dropped;
}

/* Every window holds the sum of the records in [start, start + size]. */
static void toy_check(const toy_t *t, int64_t size)
{
    for (size_t i = 0; i < t->n; i++) {
        int64_t want = 0, mx = -1;

        for (size_t r = 0; r < t->nrec; r++) {
            if (t->rec_ts[r] >= t->w[i].start && t->rec_ts[r] <= t->w[i].start + size) {
                want += t->rec_v[r];
                if (t->rec_ts[r] > mx)
                    mx = t->rec_ts[r];
            }
        }
        if (t->sum[i] != want || t->w[i].max_ts != mx)
            fail_msg("window [%lld,%lld]: sum %lld max %lld, want %lld max %lld", (long long)t->w[i].start,
                     (long long)(t->w[i].start + size), (long long)t->sum[i], (long long)t->w[i].max_ts,
                     (long long)want, (long long)mx);
    }
}

static int64_t toy_sum(const toy_t *t, int64_t start)
{
    size_t i = toy_find(t, start);

    if (i == t->n)
        fail_msg("no window starting at %lld", (long long)start);
    return t->sum[i];
}

/* Kafka's SlidingWindows documentation: time difference 5000, records 1 at
 * 8000, 2 at 9200, 3 at 12400 make five windows. */
static void test_sliding_documented_example(void **state)
{
    static toy_t t;

    (void)state;
    memset(&t, 0, sizeof(t));
    toy_add(&t, 5000, 100000, 8000, 1);
    toy_add(&t, 5000, 100000, 9200, 2);
    toy_add(&t, 5000, 100000, 12400, 3);
    assert_int_equal(t.n, 5);
    assert_int_equal(toy_sum(&t, 3000), 1);
    assert_int_equal(toy_sum(&t, 4200), 3);
    assert_int_equal(toy_sum(&t, 7400), 6);
    assert_int_equal(toy_sum(&t, 8001), 5);
    assert_int_equal(toy_sum(&t, 9201), 3);
    toy_check(&t, 5000);
}

/* Out-of-order records (inside grace) keep every window exact. */
static void test_sliding_out_of_order(void **state)
{
    static toy_t t;
    static const int64_t ts[] = {8000, 9200, 12400, 10000, 3000, 12400, 7000, 15000, 11000};

    (void)state;
    memset(&t, 0, sizeof(t));
    for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
        assert_int_equal(toy_add(&t, 5000, 100000, ts[i], (int64_t)i + 1), 0);
        toy_check(&t, 5000);
    }
    /* The out-of-order record at 10000 made the right window [10001, 15001]
     * from what was already there. */
    assert_true(toy_find(&t, 10001) < t.n);
}

/* Records before the time difference share the window [0, size]. */
static void test_sliding_early(void **state)
{
    static toy_t t;
    static const int64_t ts[] = {3, 1, 8, 12, 2};

    (void)state;
    memset(&t, 0, sizeof(t));
    for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++)
        toy_add(&t, 10, 1000, ts[i], 1);
    toy_check(&t, 10);
    assert_int_equal(toy_sum(&t, 0), 4); /* 12 is not in [0, 10] */
}

/* Late records: the whole record when even its right window is closed,
 * else the windows that closed. */
static void test_sliding_grace(void **state)
{
    static toy_t t;

    (void)state;
    memset(&t, 0, sizeof(t));
    toy_add(&t, 10, 0, 100, 1);
    /* stream 100, grace 0: a record at 89 (89 + 1 + 10 = 100) is dropped. */
    assert_int_equal(toy_add(&t, 10, 0, 89, 1), 1);
    assert_int_equal(t.n, 1);
    /* A record at 95: its left window [85, 95] closed (95 < 100); the
     * window [90, 100] of the record at 100 still takes it. */
    assert_true(toy_add(&t, 10, 0, 95, 1) >= 1);
    assert_int_equal(toy_sum(&t, 90), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tumbling_windows),
        cmocka_unit_test(test_hopping_windows),
        cmocka_unit_test(test_close_times),
        cmocka_unit_test(test_retention_and_checks),
        cmocka_unit_test(test_session_span),
        cmocka_unit_test(test_sliding_documented_example),
        cmocka_unit_test(test_sliding_out_of_order),
        cmocka_unit_test(test_sliding_early),
        cmocka_unit_test(test_sliding_grace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
