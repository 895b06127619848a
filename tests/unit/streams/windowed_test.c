/*
 * windowed_test.c - windowed aggregation through the test driver: tumbling,
 * hopping, sliding and session windows with records in order, out of order
 * within the grace period, and late (dropped); sessions merging, including
 * a record bridging two sessions (the merged sessions deleted downstream);
 * windowed keys on the output topics as Kafka's windowed serdes write them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "agg_util.h"

static sl_windowed_serde_t w10, w5000, sess;

static int setup(void **state)
{
    (void)state;
    sl_serde_windowed_init(&w10, SL_STRING, 10, false);
    sl_serde_windowed_init(&w5000, SL_STRING, 5000, false);
    sl_serde_windowed_init(&sess, SL_STRING, 0, true);
    return 0;
}

static SL_TOPOLOGY(tumbling_topo)
{
    SL_STREAM(in, "in", SL_STRING, SL_STRING);
    SL_GROUP_BY_KEY(g, in);
    SL_WINDOWED_BY(w, g, SL_TUMBLING(10, 5));
    SL_WINDOWED_COUNT(counts, w, "counts");
    SL_TO_STREAM(counts, "out", &w10.serde, SL_I64);
}

static void test_tumbling(void **state)
{
    au_t a = au_new(tumbling_topo, NULL);

    (void)state;
    au_pipe(&a, "in", "a", "x", 1);
    au_pipe(&a, "in", "a", "x", 5);
    au_pipe(&a, "in", "b", "x", 6);
    au_pipe(&a, "in", "a", "x", 12);
    au_pipe(&a, "in", "a", "x", 3);   /* out of order, window [0,10) open until 15 */
    au_pipe(&a, "in", "a", "x", 16);  /* stream time 16: [0,10) closed */
    au_pipe(&a, "in", "a", "x", 4);   /* late: dropped */
    au_pipe(&a, "in", "b", "x", 9);   /* late: dropped */
    AU_EXPECT(&a, "out", &w10.serde, SL_I64, "[a@0/10]:1@1", "[a@0/10]:2@5", "[b@0/10]:1@6", "[a@10/20]:1@12",
              "[a@0/10]:3@3", "[a@10/20]:2@16");
    au_free(&a);
}

static SL_TOPOLOGY(hopping_topo)
{
    SL_STREAM(in, "in", SL_STRING, SL_STRING);
    SL_GROUP_BY_KEY(g, in);
    SL_WINDOWED_BY(w, g, SL_HOPPING(10, 5, 0));
    SL_WINDOWED_AGGREGATE(sums, w, au_zero, au_sum, NULL, SL_I64, "sums");
    SL_TO_STREAM(sums, "out", &w10.serde, SL_I64);
}

static void test_hopping(void **state)
{
    au_t a = au_new(hopping_topo, "cache.max.bytes.buffering=0\n");

    (void)state;
    au_pipe(&a, "in", "a", "1", 7);
    au_pipe(&a, "in", "a", "2", 12);
    /* Stream time 12, no grace: [0,10) is closed, [5,15) still open. */
    au_pipe(&a, "in", "a", "4", 6);
    AU_EXPECT(&a, "out", &w10.serde, SL_I64, "[a@0/10]:1@7", "[a@5/15]:1@7", "[a@5/15]:3@12", "[a@10/20]:2@12",
              "[a@5/15]:7@6");
    au_free(&a);
}

static SL_TOPOLOGY(sliding_topo)
{
    SL_STREAM(in, "in", SL_STRING, SL_STRING);
    SL_GROUP_BY_KEY(g, in);
    SL_WINDOWED_BY(w, g, SL_SLIDING(5000, 1000));
    SL_WINDOWED_AGGREGATE(sums, w, au_zero, au_sum, NULL, SL_I64, "sums");
    SL_TO_STREAM(sums, "out", &w5000.serde, SL_I64);
}

/* Kafka's documented example: time difference 5000, A=1 at 8000, A=2 at
 * 9200, A=3 at 12400; then an out-of-order record and a late one. */
static void test_sliding(void **state)
{
    au_t a = au_new(sliding_topo, "cache.max.bytes.buffering=0\n");

    (void)state;
    au_pipe(&a, "in", "A", "1", 8000);
    AU_EXPECT(&a, "out", &w5000.serde, SL_I64, "[A@3000/8000]:1@8000");
    au_pipe(&a, "in", "A", "2", 9200);
    AU_EXPECT(&a, "out", &w5000.serde, SL_I64, "[A@8001/13001]:2@9200", "[A@4200/9200]:3@9200");
    au_pipe(&a, "in", "A", "3", 12400);
    AU_EXPECT(&a, "out", &w5000.serde, SL_I64, "[A@8001/13001]:5@12400", "[A@9201/14201]:3@12400",
              "[A@7400/12400]:6@12400");
    /* Out of order (grace 1000): 4 at 12000 joins every window holding
     * 12000 and gets its own left window; its right window [12001, 17001]
     * holds what came later (3). */
    au_pipe(&a, "in", "A", "4", 12000);
    AU_EXPECT(&a, "out", &w5000.serde, SL_I64, "[A@7400/12400]:10@12400", "[A@8001/13001]:9@12400",
              "[A@9201/14201]:7@12400", "[A@7000/12000]:7@12000", "[A@12001/17001]:3@12400");
    /* Late: 6000 + 1 + 5000 <= 12400 - 1000. */
    au_pipe(&a, "in", "A", "9", 6000);
    AU_NONE(&a, "out");
    au_free(&a);
}

static SL_TOPOLOGY(sliding_count_topo)
{
    SL_STREAM(in, "in", SL_STRING, SL_STRING);
    SL_GROUP_BY_KEY(g, in);
    SL_WINDOWED_BY(w, g, SL_SLIDING(10, 0));
    SL_WINDOWED_COUNT(counts, w, "counts");
    SL_TO_STREAM(counts, "out", &w10.serde, SL_I64);
}

/* Stream time (and the store's newest window, B's [100, 110]) moved on by
 * another key: A's record at 95 still belongs to the right window of its
 * record at 90, found through A's older window [80, 90], which the store
 * must still keep; its own left window has closed. */
static void test_sliding_keeps_what_it_needs(void **state)
{
    au_t a = au_new(sliding_count_topo, "cache.max.bytes.buffering=0\n");

    (void)state;
    au_pipe(&a, "in", "A", "x", 90);
    au_pipe(&a, "in", "B", "x", 100);
    au_pipe(&a, "in", "B", "x", 99);
    au_pipe(&a, "in", "A", "x", 95);
    AU_EXPECT(&a, "out", &w10.serde, SL_I64, "[A@80/90]:1@90", "[B@90/100]:1@100", "[B@90/100]:2@100",
              "[B@100/110]:1@100", "[A@91/101]:1@95");
    au_free(&a);
}

static SL_TOPOLOGY(session_topo)
{
    SL_STREAM(in, "in", SL_STRING, SL_STRING);
    SL_GROUP_BY_KEY(g, in);
    SL_WINDOWED_BY(w, g, SL_SESSION(5, 20));
    SL_WINDOWED_COUNT(counts, w, "sessions");
    SL_TO_STREAM(counts, "out", &sess.serde, SL_I64);
}

static void test_session(void **state)
{
    au_t a = au_new(session_topo, NULL);

    (void)state;
    au_pipe(&a, "in", "a", "x", 0);
    AU_EXPECT(&a, "out", &sess.serde, SL_I64, "[a@0/0]:1@0");
    au_pipe(&a, "in", "a", "x", 3);   /* within the gap: the session grows */
    AU_EXPECT(&a, "out", &sess.serde, SL_I64, "[a@0/0]:~@3", "[a@0/3]:2@3");
    au_pipe(&a, "in", "a", "x", 20);  /* a new session */
    au_pipe(&a, "in", "a", "x", 12);  /* out of order: another new one */
    AU_EXPECT(&a, "out", &sess.serde, SL_I64, "[a@20/20]:1@20", "[a@12/12]:1@12");
    /* 16 is within 5 of both 12 and 20: the two merge into [12, 20]. */
    au_pipe(&a, "in", "a", "x", 16);
    AU_EXPECT(&a, "out", &sess.serde, SL_I64, "[a@12/12]:~@16", "[a@20/20]:~@16", "[a@12/20]:3@16");
    /* Stream time 100: sessions ending before 80 are closed. */
    au_pipe(&a, "in", "a", "x", 100);
    au_pipe(&a, "in", "a", "x", 50);  /* late: dropped */
    au_pipe(&a, "in", "a", "x", 81);  /* 81 >= 80: still open */
    AU_EXPECT(&a, "out", &sess.serde, SL_I64, "[a@100/100]:1@100", "[a@81/81]:1@81");
    au_free(&a);
}

static SL_TOPOLOGY(session_sum_topo)
{
    SL_STREAM(in, "in", SL_STRING, SL_STRING);
    SL_GROUP_BY_KEY(g, in);
    SL_WINDOWED_BY(w, g, SL_SESSION(10, 5));
    SL_WINDOWED_AGGREGATE(sums, w, au_zero, au_sum, au_merge_sum, SL_I64, "sums");
    SL_TO_STREAM(sums, "out", &sess.serde, SL_I64);
}

static SL_TOPOLOGY(session_no_merger_topo)
{
    SL_STREAM(in, "in", SL_STRING, SL_STRING);
    SL_GROUP_BY_KEY(g, in);
    SL_WINDOWED_BY(w, g, SL_SESSION(10, 0));
    SL_WINDOWED_AGGREGATE(sums, w, au_zero, au_sum, NULL, SL_I64, "sums");
    (void)sums;
}

static void test_session_aggregate_merges(void **state)
{
    au_t a = au_new(session_sum_topo, "cache.max.bytes.buffering=0\n");
    sl_topology_t *t = NULL;
    char err[256];

    (void)state;
    au_pipe(&a, "in", "k", "1", 100);
    au_pipe(&a, "in", "k", "2", 120);
    au_pipe(&a, "in", "k", "4", 110);
    AU_EXPECT(&a, "out", &sess.serde, SL_I64, "[k@100/100]:1@100", "[k@120/120]:2@120", "[k@100/100]:~@110",
              "[k@120/120]:~@110", "[k@100/120]:7@110");
    /* 95 merges into the open session [100, 120]; 50 would make a
     * session ending before stream time - grace: dropped. */
    au_pipe(&a, "in", "k", "8", 95);
    AU_EXPECT(&a, "out", &sess.serde, SL_I64, "[k@100/120]:~@95", "[k@95/120]:15@95");
    au_pipe(&a, "in", "k", "8", 50);
    AU_NONE(&a, "out");
    au_free(&a);
    assert_int_equal(sl_topology_from(session_no_merger_topo, &t, err, sizeof(err)), SL_ERR_INVAL);
}

static SL_TOPOLOGY(windowed_reduce_topo)
{
    SL_STREAM(in, "in", SL_STRING, SL_STRING);
    SL_GROUP_BY_KEY(g, in);
    SL_WINDOWED_BY(w, g, SL_TUMBLING(10, 0));
    sl_table_t *r = sl_windowed_reduce(w, "r", au_concat, NULL, "r-store");
    SL_TO_STREAM(r, "out", &w10.serde, SL_STRING);
}

static void test_windowed_reduce_and_store(void **state)
{
    au_t a = au_new(windowed_reduce_topo, NULL);
    sl_store_t *st;
    sl_val_t k = sl_val_str_ref("k", 1), v;

    (void)state;
    au_pipe(&a, "in", "k", "a", 1);
    au_pipe(&a, "in", "k", "b", 2);
    st = sl_driver_store(a.d, "r-store");
    assert_non_null(st);
    assert_int_equal(sl_win_get(st, &k, 0, &v), SL_OK);
    assert_int_equal(v.type, SL_V_STRING);
    assert_memory_equal(v.u.bytes.ptr, "a+b", 3);
    au_pipe(&a, "in", "k", "c", 11);
    AU_EXPECT(&a, "out", &w10.serde, SL_STRING, "[k@0/10]:a@1", "[k@0/10]:a+b@2", "[k@10/20]:c@11");
    assert_int_equal(sl_win_get(st, &k, 10, &v), SL_OK);
    assert_memory_equal(v.u.bytes.ptr, "c", 1);
    au_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tumbling),
        cmocka_unit_test(test_hopping),
        cmocka_unit_test(test_sliding),
        cmocka_unit_test(test_sliding_keeps_what_it_needs),
        cmocka_unit_test(test_session),
        cmocka_unit_test(test_session_aggregate_merges),
        cmocka_unit_test(test_windowed_reduce_and_store),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
