/*
 * join_stream_test.c - stream-stream windowed joins (sl_stream_join)
 * through the test driver: inner, left and outer; matches and misses,
 * asymmetric windows, out-of-order and late records, duplicates, nulls,
 * unmatched left/outer results only once the window has closed, an
 * unreadable outer store entry, a self-join, the repartition of a side
 * whose key changed, and Kafka's names in describe().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "join_util.h"

/* The join the topology below builds (set by each test before ju_new). */
static sl_join_kind_t g_kind;
static int64_t g_before, g_after, g_grace;
static bool g_rekey; /* the left side's key is set from its value first */

static sl_val_t key_from_value(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)key;
    (void)arg;
    /* "K:rest" -> "K" */
    const char *p = (const char *)value->u.bytes.ptr;
    const char *colon = memchr(p, ':', value->u.bytes.len);
    return sl_val_strn(ctx, p, colon ? (size_t)(colon - p) : value->u.bytes.len);
}

static void topo_join(sl_builder_t *b)
{
    sl_stream_t *l = sl_builder_stream(b, "left", "left", SL_STRING, SL_STRING);
    sl_stream_t *r = sl_builder_stream(b, "right", "right", SL_STRING, SL_STRING);
    if (g_rekey)
        l = sl_stream_select_key(l, "rekey", key_from_value, NULL);
    sl_stream_t *j = sl_stream_join(l, r, "joined", g_kind, ju_joiner, NULL, g_before, g_after, g_grace, NULL, NULL);
    sl_stream_to(j, NULL, "out", SL_STRING, SL_STRING, NULL, NULL);
}

static ju_t setup(sl_join_kind_t kind, int64_t before, int64_t after, int64_t grace)
{
    g_kind = kind;
    g_before = before;
    g_after = after;
    g_grace = grace;
    g_rekey = false;
    return ju_new(topo_join);
}

static void test_inner(void **state)
{
    (void)state;
    ju_t j = setup(SL_JOIN_INNER, 10, 10, 0);
    sl_driver_t *d = j.d;

    assert_non_null(sl_driver_store(d, "joined-this-join-store"));
    assert_non_null(sl_driver_store(d, "joined-other-join-store"));
    assert_null(sl_driver_store(d, "joined-outer-shared-join-store"));

    ju_pipe(d, "left", "A", "a0", 0);
    JU_NONE(d, "out");
    ju_pipe(d, "right", "A", "b0", 5);
    JU_EXPECT(d, "out", "A:a0+b0@5");
    ju_pipe(d, "right", "B", "c0", 6); /* no B on the left */
    JU_NONE(d, "out");
    ju_pipe(d, "left", "A", "a1", 12); /* [2, 22] */
    JU_EXPECT(d, "out", "A:a1+b0@12");
    ju_pipe(d, "right", "A", "b1", 20); /* left [10, 30]: a1, not a0 */
    JU_EXPECT(d, "out", "A:a1+b1@20");
    /* Out of order within the window: joins both, at the later time. */
    ju_pipe(d, "left", "A", "a2", 15);
    JU_EXPECT(d, "out", "A:a2+b0@15", "A:a2+b1@20");
    /* Late: the window of a record at 9 closed at 19 < stream time 20,
     * although b0@5 is within it. Both sides. */
    ju_pipe(d, "left", "A", "a3", 9);
    ju_pipe(d, "right", "A", "b2", 8);
    JU_NONE(d, "out");
    /* Nulls never join. */
    ju_pipe(d, "left", NULL, "v", 20);
    ju_pipe(d, "left", "A", NULL, 20);
    ju_pipe(d, "right", NULL, "v", 20);
    ju_pipe(d, "right", "A", NULL, 20);
    JU_NONE(d, "out");
    /* Duplicates (same key, same time) are all kept and all joined. */
    ju_pipe(d, "right", "A", "b3", 20);
    JU_EXPECT(d, "out", "A:a1+b3@20", "A:a2+b3@20");
    ju_pipe(d, "left", "A", "a4", 25); /* [15, 35] */
    JU_EXPECT(d, "out", "A:a4+b1@25", "A:a4+b3@25");
    ju_free(&j);
}

/* before 0, after 10: a left record at t joins right records in [t, t+10]. */
static void test_inner_asymmetric(void **state)
{
    (void)state;
    ju_t j = setup(SL_JOIN_INNER, 0, 10, 100);
    sl_driver_t *d = j.d;

    ju_pipe(d, "left", "A", "a", 10);
    ju_pipe(d, "right", "A", "b1", 5); /* before the left record */
    JU_NONE(d, "out");
    ju_pipe(d, "right", "A", "b2", 15);
    JU_EXPECT(d, "out", "A:a+b2@15");
    ju_pipe(d, "right", "A", "b3", 21); /* more than 10 after */
    JU_NONE(d, "out");
    ju_pipe(d, "left", "A", "a2", 20);
    JU_EXPECT(d, "out", "A:a2+b3@21");
    ju_free(&j);
}

static void test_left(void **state)
{
    (void)state;
    /* A record's window closes at t + 10 + grace 5. */
    ju_t j = setup(SL_JOIN_LEFT, 10, 10, 5);
    sl_driver_t *d = j.d;

    assert_non_null(sl_driver_store(d, "joined-outer-shared-join-store"));
    ju_pipe(d, "left", "A", "a0", 0);
    JU_NONE(d, "out"); /* no left+null at once: a match may come */
    ju_pipe(d, "right", "A", "b0", 5);
    JU_EXPECT(d, "out", "A:a0+b0@5");
    ju_pipe(d, "left", "C", "c0", 1);
    ju_pipe(d, "right", "X", "x", 6); /* an unmatched right record: never emitted */
    ju_pipe(d, "left", "D", "d", 16);
    JU_NONE(d, "out"); /* c0's window closes at 16: not passed yet */
    ju_pipe(d, "left", "D", "d2", 17);
    JU_EXPECT(d, "out", "C:c0+null@1");
    ju_pipe(d, "left", "E", "e", 20);
    ju_pipe(d, "right", "E", "f", 28); /* within e's window: a match, e no longer waits */
    JU_EXPECT(d, "out", "E:e+f@28");
    ju_pipe(d, "right", "Z", "z", 40);
    JU_EXPECT(d, "out", "D:d+null@16", "D:d2+null@17");
    /* Duplicates wait together and are emitted together, once. */
    ju_pipe(d, "left", "G", "g1", 50);
    ju_pipe(d, "left", "G", "g2", 50);
    JU_NONE(d, "out");
    ju_pipe(d, "left", "H", "h", 70);
    JU_EXPECT(d, "out", "G:g1+null@50", "G:g2+null@50");
    ju_pipe(d, "left", "H", "h2", 71);
    JU_NONE(d, "out");
    /* A late left record is dropped, not emitted with null. */
    ju_pipe(d, "left", "Q", "q", 40);
    ju_pipe(d, "left", "K", "k", 200);
    JU_EXPECT(d, "out", "H:h+null@70", "H:h2+null@71");
    ju_free(&j);
}

static void test_outer(void **state)
{
    (void)state;
    ju_t j = setup(SL_JOIN_OUTER, 10, 10, 0);
    sl_driver_t *d = j.d;

    ju_pipe(d, "left", "A", "a", 0);
    ju_pipe(d, "right", "B", "b", 2);
    JU_NONE(d, "out");
    ju_pipe(d, "right", "A", "a2", 5);
    JU_EXPECT(d, "out", "A:a+a2@5");
    ju_pipe(d, "left", "B", "bb", 30); /* b's window closed at 12 */
    JU_EXPECT(d, "out", "B:null+b@2");
    ju_pipe(d, "right", "C", "c", 41);
    JU_EXPECT(d, "out", "B:bb+null@30");
    ju_pipe(d, "left", "C", "c2", 45); /* a match for the waiting right record */
    JU_EXPECT(d, "out", "C:c2+c@45");
    ju_pipe(d, "left", "Z", "z", 100);
    JU_NONE(d, "out"); /* c was matched: nothing waits but z */
    ju_pipe(d, "right", "Y", "y", 111);
    JU_EXPECT(d, "out", "Z:z+null@100");
    ju_free(&j);
}

/* An entry of the outer store that its serdes cannot read (as a changelog
 * from elsewhere could hold) is dropped with a warning; the others are
 * still emitted. */
static void test_outer_store_garbage(void **state)
{
    (void)state;
    ju_t j = setup(SL_JOIN_LEFT, 10, 10, 0);
    sl_driver_t *d = j.d;
    /* time 1 (sign bit flipped), left side, key "A"; a value announcing
     * 100 bytes and holding 1 */
    static const uint8_t key[] = {0x80, 0, 0, 0, 0, 0, 0, 1, 0, 'A'};
    static const uint8_t bad[] = {0, 0, 0, 100, 'x'};
    sl_val_t k = sl_val_bytes_ref(key, sizeof(key)), v = sl_val_bytes_ref(bad, sizeof(bad));

    assert_int_equal(sl_kv_put(sl_driver_store(d, "joined-outer-shared-join-store"), &k, &v), SL_OK);
    ju_pipe(d, "left", "B", "b", 2);
    JU_NONE(d, "out");
    ju_pipe(d, "left", "Z", "z", 50);
    JU_EXPECT(d, "out", "B:b+null@2");
    ju_free(&j);
}

/* A stream joined with itself: each side buffers before it looks up, so
 * a record meets itself once, and every pair of records both ways. */
static void topo_self(sl_builder_t *b)
{
    sl_stream_t *s = sl_builder_stream(b, "s", "in", SL_STRING, SL_STRING);
    sl_stream_to(sl_stream_join(s, s, "self", SL_JOIN_INNER, ju_joiner, NULL, 10, 10, 0, NULL, NULL), NULL, "out",
                 SL_STRING, SL_STRING, NULL, NULL);
}

/* The same after a key change: one repartition feeds both sides. */
static void topo_self_rekeyed(sl_builder_t *b)
{
    sl_stream_t *s = sl_stream_select_key(sl_builder_stream(b, NULL, "in", SL_STRING, SL_STRING), NULL,
                                          key_from_value, NULL);
    sl_stream_to(sl_stream_join(s, s, NULL, SL_JOIN_INNER, ju_joiner, NULL, 10, 10, 0, NULL, NULL), NULL, "out",
                 SL_STRING, SL_STRING, NULL, NULL);
}

static void test_self_join(void **state)
{
    (void)state;
    ju_t j = ju_new(topo_self);
    sl_driver_t *d = j.d;

    ju_pipe(d, "in", "A", "a1", 0);
    JU_EXPECT(d, "out", "A:a1+a1@0");
    ju_pipe(d, "in", "A", "a2", 5);
    JU_EXPECT(d, "out", "A:a2+a1@5", "A:a1+a2@5", "A:a2+a2@5");
    ju_free(&j);

    j = ju_new(topo_self_rekeyed);
    d = j.d;
    ju_pipe(d, "in", "x", "A:1", 0);
    JU_EXPECT(d, "out", "A:A:1+A:1@0");
    ju_free(&j);
}

/* A left side whose key an operator set is repartitioned before the join. */
static void test_repartition(void **state)
{
    (void)state;
    g_kind = SL_JOIN_INNER;
    g_before = g_after = 10;
    g_grace = 0;
    g_rekey = true;
    ju_t j = ju_new(topo_join);
    sl_driver_t *d = j.d;

    ju_pipe(d, "right", "A", "b", 1);
    ju_pipe(d, "left", "k1", "A:x", 2);
    ju_pipe(d, "left", "k2", "B:y", 3);
    JU_EXPECT(d, "out", "A:A:x+b@2");
    ju_free(&j);
}

/* Typed sides: int32 keys, int64 values on the left, strings on the
 * right; unmatched values wait in the outer store as their serdes' bytes. */
static void topo_typed(sl_builder_t *b)
{
    sl_stream_t *l = sl_builder_stream(b, "left", "left", SL_I32, SL_I64);
    sl_stream_t *r = sl_builder_stream(b, "right", "right", SL_I32, SL_STRING);
    sl_stream_t *j = sl_stream_join(l, r, NULL, SL_JOIN_OUTER, ju_joiner, NULL, 5, 5, 0, NULL, NULL);
    sl_stream_to(j, NULL, "out", SL_I32, SL_STRING, NULL, NULL);
}

static void pipe_typed(sl_driver_t *d, const char *topic, int32_t key, const sl_val_t *value, int64_t ts)
{
    sl_val_t k = sl_val_i32(key);
    assert_int_equal(sl_driver_pipe(d, topic, &k, value, ts, SL_I32, value->type == SL_V_I64 ? SL_I64 : SL_STRING),
                     SL_OK);
}

static void expect_typed(sl_driver_t *d, int32_t key, const char *value, int64_t ts)
{
    sl_out_record_t r;
    char buf[64];

    assert_int_equal(sl_driver_read(d, "out", SL_I32, SL_STRING, &r), SL_OK);
    assert_int_equal(r.key.type, SL_V_I32);
    assert_int_equal(r.key.u.i32, key);
    assert_string_equal(sl_val_format(&r.value, buf, sizeof(buf)), value);
    assert_int_equal(r.timestamp, ts);
}

static void test_outer_typed(void **state)
{
    (void)state;
    ju_t j = ju_new(topo_typed);
    sl_driver_t *d = j.d;
    sl_val_t big = sl_val_i64(-9000000000LL), one = sl_val_i64(1), s = sl_val_str_ref("s", 1);

    pipe_typed(d, "left", 7, &big, 10);
    pipe_typed(d, "left", 7, &one, 10);
    pipe_typed(d, "right", -3, &s, 11);
    pipe_typed(d, "left", -3, &one, 30);
    expect_typed(d, 7, "-9000000000+null", 10);
    expect_typed(d, 7, "1+null", 10);
    expect_typed(d, -3, "null+s", 11);
    assert_int_equal(sl_driver_queue_size(d, "out"), 0);
    ju_free(&j);
}

/* Kafka's nodes, names and stores for an unnamed join, all in one
 * sub-topology. */
static void topo_unnamed(sl_builder_t *b)
{
    sl_stream_t *l = sl_builder_stream(b, NULL, "left", SL_STRING, SL_STRING);
    sl_stream_t *r = sl_builder_stream(b, NULL, "right", SL_STRING, SL_STRING);
    sl_stream_to(sl_stream_join(l, r, NULL, SL_JOIN_LEFT, ju_joiner, NULL, 10, 10, 0, NULL, NULL), NULL, "out",
                 SL_STRING, SL_STRING, NULL, NULL);
}

/* Asserts that text has a line starting with start (after indentation)
 * that contains each of has[0..n). */
static void assert_line(const char *text, const char *start, const char *const *has, size_t n)
{
    const char *p = strstr(text, start);
    if (!p)
        fail_msg("describe lacks \"%s\" in:\n%s", start, text);
    const char *end = strchr(p, '\n');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    for (size_t i = 0; i < n; i++) {
        const char *q = strstr(p, has[i]);
        if (!q || q > p + len)
            fail_msg("describe's line \"%.*s\" lacks %s", (int)len, p, has[i]);
    }
}

static void test_describe(void **state)
{
    (void)state;
    static const char *const plain[] = {
        "Source: KSTREAM-SOURCE-0000000000 (topics: [left])\n      --> KSTREAM-WINDOWED-0000000002\n",
        "Source: KSTREAM-SOURCE-0000000001 (topics: [right])\n      --> KSTREAM-WINDOWED-0000000003\n",
        "Processor: KSTREAM-WINDOWED-0000000002 (stores: [KSTREAM-JOINTHIS-0000000004-store])\n"
        "      --> KSTREAM-JOINTHIS-0000000004\n",
        "Processor: KSTREAM-WINDOWED-0000000003 (stores: [KSTREAM-OUTEROTHER-0000000005-store])\n"
        "      --> KSTREAM-OUTEROTHER-0000000005\n",
        "--> KSTREAM-MERGE-0000000007\n      <-- KSTREAM-WINDOWED-0000000002\n",
        "--> KSTREAM-MERGE-0000000007\n      <-- KSTREAM-WINDOWED-0000000003\n",
        "Sink: KSTREAM-SINK-0000000008 (topic: out)\n      <-- KSTREAM-MERGE-0000000007\n",
    };
    static const char *const this_stores[] = {"KSTREAM-OUTEROTHER-0000000005-store",
                                              "KSTREAM-OUTERSHARED-0000000006-store"};
    static const char *const other_stores[] = {"KSTREAM-JOINTHIS-0000000004-store",
                                               "KSTREAM-OUTERSHARED-0000000006-store"};
    sl_topology_t *t = NULL;
    char err[256] = "";

    assert_int_equal(sl_topology_from(topo_unnamed, &t, err, sizeof(err)), SL_OK);
    char *text = sl_topology_describe(t);
    assert_non_null(text);
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
        assert_line(text, plain[i], NULL, 0);
    assert_line(text, "Processor: KSTREAM-JOINTHIS-0000000004 (stores: [", this_stores, 2);
    assert_line(text, "Processor: KSTREAM-OUTEROTHER-0000000005 (stores: [", other_stores, 2);
    assert_null(strstr(text, "Sub-topology: 1"));
    free(text);
    sl_topology_free(t);
}

static void topo_bad_window(sl_builder_t *b)
{
    sl_stream_t *l = sl_builder_stream(b, "left", "left", SL_STRING, SL_STRING);
    sl_stream_t *r = sl_builder_stream(b, "right", "right", SL_STRING, SL_STRING);
    sl_stream_to(sl_stream_join(l, r, "joined", SL_JOIN_INNER, ju_joiner, NULL, 10, 10, -1, NULL, NULL), NULL,
                 "out", SL_STRING, SL_STRING, NULL, NULL);
}

static void test_bad_window(void **state)
{
    (void)state;
    sl_topology_t *t = NULL;
    char err[256] = "";

    assert_int_equal(sl_topology_from(topo_bad_window, &t, err, sizeof(err)), SL_ERR_INVAL);
    assert_non_null(strstr(err, "grace"));
    assert_null(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inner),
        cmocka_unit_test(test_inner_asymmetric),
        cmocka_unit_test(test_left),
        cmocka_unit_test(test_outer),
        cmocka_unit_test(test_outer_typed),
        cmocka_unit_test(test_outer_store_garbage),
        cmocka_unit_test(test_self_join),
        cmocka_unit_test(test_repartition),
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_bad_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
