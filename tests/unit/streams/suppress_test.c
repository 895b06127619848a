/*
 * suppress_test.c - suppression through the test driver: final results of
 * time and session windows emitted once, only after stream time reaches
 * window end + grace (tombstones of merged sessions never emitted), and
 * suppression by time limit (timer from the first update, not restarted)
 * and by record count.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agg_util.h"
#include "streams_int.h"

static sl_windowed_serde_t w10, sess;

static int setup(void **state)
{
    (void)state;
    sl_serde_windowed_init(&w10, SL_STRING, 10, false);
    sl_serde_windowed_init(&sess, SL_STRING, 0, true);
    return 0;
}

static SL_TOPOLOGY(final_topo)
{
    SL_STREAM(in, "in", SL_STRING, SL_STRING);
    SL_GROUP_BY_KEY(g, in);
    SL_WINDOWED_BY(w, g, SL_TUMBLING(10, 5));
    SL_WINDOWED_COUNT(counts, w, "counts");
    SL_SUPPRESS_FINAL(final, counts);
    SL_TO_STREAM(final, "out", &w10.serde, SL_I64);
}

static void test_final_time_windows(void **state)
{
    au_t a = au_new(final_topo, NULL);

    (void)state;
    au_pipe(&a, "in", "a", "x", 1);
    au_pipe(&a, "in", "a", "x", 2);
    au_pipe(&a, "in", "b", "x", 3);
    au_pipe(&a, "in", "a", "x", 12);
    au_pipe(&a, "in", "a", "x", 14);  /* end 10 + grace 5 not reached */
    AU_NONE(&a, "out");
    au_pipe(&a, "in", "a", "x", 15);
    AU_EXPECT(&a, "out", &w10.serde, SL_I64, "[a@0/10]:2@2", "[b@0/10]:1@3");
    au_pipe(&a, "in", "a", "x", 4);   /* late: dropped, nothing changes */
    au_pipe(&a, "in", "b", "x", 24);
    AU_NONE(&a, "out");
    au_pipe(&a, "in", "b", "x", 26);
    AU_EXPECT(&a, "out", &w10.serde, SL_I64, "[a@10/20]:3@15");
    /* The buffer is a store of its own. */
    assert_non_null(sl_driver_store(a.d, "final-store"));
    au_free(&a);
}

/* The buffer lives in the task's state: an instance stopped with results
 * waiting emits them after a restart, once stream time passes their close. */
static void test_final_survives_restart(void **state)
{
    char dir[] = "/tmp/sl-suppress-XXXXXX", props[128];
    au_t a;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(props, sizeof(props), "state.dir=%s\napplication.id=suppress-restart\n", dir);
    a = au_new(final_topo, props);
    au_pipe(&a, "in", "a", "x", 1);
    au_pipe(&a, "in", "a", "x", 2);
    au_pipe(&a, "in", "a", "x", 12);
    AU_NONE(&a, "out");
    au_free(&a);
    a = au_new(final_topo, props);
    au_pipe(&a, "in", "b", "x", 15);
    AU_EXPECT(&a, "out", &w10.serde, SL_I64, "[a@0/10]:2@2");
    au_free(&a);
    assert_int_equal(sl_state_wipe(dir), SL_OK);
}

static SL_TOPOLOGY(final_session_topo)
{
    SL_STREAM(in, "in", SL_STRING, SL_STRING);
    SL_GROUP_BY_KEY(g, in);
    SL_WINDOWED_BY(w, g, SL_SESSION(5, 0));
    SL_WINDOWED_COUNT(counts, w, "sessions");
    SL_SUPPRESS_FINAL(final, counts);
    SL_TO_STREAM(final, "out", &sess.serde, SL_I64);
}

/* A session may still grow until end + gap (+ grace): suppress waits that
 * long; the merged-away sessions' deletes are never emitted. */
static void test_final_sessions(void **state)
{
    au_t a = au_new(final_session_topo, NULL);

    (void)state;
    au_pipe(&a, "in", "a", "x", 0);
    au_pipe(&a, "in", "a", "x", 3);
    au_pipe(&a, "in", "a", "x", 7);
    AU_NONE(&a, "out");
    au_pipe(&a, "in", "a", "x", 13);  /* [0,7] closes at 12 */
    AU_EXPECT(&a, "out", &sess.serde, SL_I64, "[a@0/7]:3@7");
    au_pipe(&a, "in", "a", "x", 30);
    AU_EXPECT(&a, "out", &sess.serde, SL_I64, "[a@13/13]:1@13");
    au_free(&a);
}

static SL_TOPOLOGY(time_limit_topo)
{
    SL_STREAM(in, "in", SL_STRING, SL_STRING);
    SL_GROUP_BY_KEY(g, in);
    SL_COUNT(counts, g, "counts");
    sl_table_t *limited = sl_table_suppress_time(counts, "limited", 10, 0);
    SL_TO_STREAM(limited, "out", SL_STRING, SL_I64);
}

static void test_time_limit(void **state)
{
    au_t a = au_new(time_limit_topo, NULL);

    (void)state;
    au_pipe(&a, "in", "a", "x", 0);
    au_pipe(&a, "in", "a", "x", 5);
    au_pipe(&a, "in", "b", "x", 6);
    AU_NONE(&a, "out");
    /* a's first update was at 0: due at 10 although it changed at 5. */
    au_pipe(&a, "in", "a", "x", 10);
    AU_EXPECT(&a, "out", SL_STRING, SL_I64, "a:3@10");
    au_pipe(&a, "in", "b", "x", 16);
    AU_EXPECT(&a, "out", SL_STRING, SL_I64, "b:2@16");
    au_free(&a);
}

static SL_TOPOLOGY(max_records_topo)
{
    SL_STREAM(in, "in", SL_STRING, SL_STRING);
    SL_GROUP_BY_KEY(g, in);
    SL_COUNT(counts, g, "counts");
    sl_table_t *limited = sl_table_suppress_time(counts, "limited", 1000, 1);
    SL_TO_STREAM(limited, "out", SL_STRING, SL_I64);
}

static void test_max_records(void **state)
{
    au_t a = au_new(max_records_topo, NULL);

    (void)state;
    au_pipe(&a, "in", "a", "x", 0);
    AU_NONE(&a, "out");
    au_pipe(&a, "in", "b", "x", 1);   /* two waiting: the oldest goes early */
    AU_EXPECT(&a, "out", SL_STRING, SL_I64, "a:1@0");
    au_pipe(&a, "in", "b", "x", 2);   /* still one waiting */
    AU_NONE(&a, "out");
    au_pipe(&a, "in", "a", "x", 3);
    AU_EXPECT(&a, "out", SL_STRING, SL_I64, "b:2@2");
    au_free(&a);
}

static SL_TOPOLOGY(bad_final_topo)
{
    SL_STREAM(in, "in", SL_STRING, SL_STRING);
    SL_GROUP_BY_KEY(g, in);
    SL_COUNT(counts, g, "counts");
    SL_SUPPRESS_FINAL(final, counts);
    (void)final;
}

static void test_final_needs_windows(void **state)
{
    sl_topology_t *t = NULL;
    char err[256];

    (void)state;
    assert_int_equal(sl_topology_from(bad_final_topo, &t, err, sizeof(err)), SL_ERR_INVAL);
    assert_non_null(strstr(err, "windowed"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_final_time_windows),
        cmocka_unit_test(test_final_survives_restart),
        cmocka_unit_test(test_final_sessions),
        cmocka_unit_test(test_time_limit),
        cmocka_unit_test(test_max_records),
        cmocka_unit_test(test_final_needs_windows),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
