/*
 * ptr_values_test.c - values a user serde reads into SL_V_PTR objects (as
 * the SQL engine's rows are) handed to user functions by the operators
 * that gather store entries before they call them: session merges (with
 * and without the record cache), sliding windows and stream-stream joins.
 * streams.h promises those values live until the input record is
 * completely processed; an object read from a store iteration must not
 * die with the iteration (under ASan a use-after-free fails these tests;
 * without it, a tally's magic number).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agg_util.h"

/* A user object: a sum of records and how many there were. */
#define TALLY_MAGIC 0x7a11e5u

typedef struct tally {
    uint32_t magic;
    int64_t sum, n;
} tally_t;

static sl_err_t tally_ser(const sl_val_t *v, sl_buf_t *out, void *arg)
{
    const tally_t *t = v->u.ptr;

    (void)arg;
    if (v->type != SL_V_PTR || t == NULL || t->magic != TALLY_MAGIC)
        return SL_ERR_INVAL;
    sl_buf_put_i64(out, t->sum);
    sl_buf_put_i64(out, t->n);
    return sl_buf_err(out);
}

static sl_err_t tally_de(const uint8_t *p, size_t n, sl_arena_t *arena, sl_val_t *out, void *arg)
{
    tally_t *t;
    sl_rd_t rd;

    (void)arg;
    sl_rd_init(&rd, p, n);
    t = sl_arena_alloc(arena, sizeof(*t));
    if (t == NULL)
        return SL_ERR_NOMEM;
    t->magic = TALLY_MAGIC;
    t->sum = sl_rd_i64(&rd);
    t->n = sl_rd_i64(&rd);
    if (!sl_rd_ok(&rd) || sl_rd_left(&rd) != 0)
        return SL_ERR_PARSE;
    *out = sl_val_ptr(t);
    return SL_OK;
}

static const sl_serde_t tally_serde = {"Tally", SL_V_PTR, tally_ser, tally_de, NULL};

/* The tally a value points at; a stale one fails the test. */
static const tally_t *tally_of(const sl_val_t *v)
{
    const tally_t *t;

    assert_non_null(v);
    assert_int_equal(v->type, SL_V_PTR);
    t = v->u.ptr;
    assert_non_null(t);
    assert_int_equal(t->magic, TALLY_MAGIC);
    return t;
}

static sl_val_t tally_make(sl_ctx_t *ctx, int64_t sum, int64_t n)
{
    tally_t *t = sl_ctx_alloc(ctx, sizeof(*t));

    assert_non_null(t);
    *t = (tally_t){TALLY_MAGIC, sum, n};
    return sl_val_ptr(t);
}

static int64_t num(const sl_val_t *v)
{
    char buf[32];

    assert_int_equal(v->type, SL_V_STRING);
    assert_true(v->u.bytes.len < sizeof(buf));
    memcpy(buf, v->u.bytes.ptr, v->u.bytes.len);
    buf[v->u.bytes.len] = '\0';
    return strtoll(buf, NULL, 10);
}

static sl_val_t tally_zero(sl_ctx_t *ctx, void *arg)
{
    (void)arg;
    return tally_make(ctx, 0, 0);
}

static sl_val_t tally_add(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, const sl_val_t *agg, void *arg)
{
    const tally_t *a = tally_of(agg);

    (void)key;
    (void)arg;
    return tally_make(ctx, a->sum + num(value), a->n + 1);
}

static sl_val_t tally_merge(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *a, const sl_val_t *b, void *arg)
{
    const tally_t *x = tally_of(a), *y = tally_of(b);

    (void)key;
    (void)arg;
    return tally_make(ctx, x->sum + y->sum, x->n + y->n);
}

/* "sum/n" of a tally ("~" stays for a removed window). */
static sl_val_t tally_text(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    const tally_t *t;

    (void)key;
    (void)arg;
    if (sl_val_is_null(value))
        return sl_val_null();
    t = tally_of(value);
    return sl_val_printf(ctx, "%lld/%lld", (long long)t->sum, (long long)t->n);
}

static sl_windowed_serde_t sess_keys, slide_keys;

/* --- session merges -------------------------------------------------------- */

static SL_TOPOLOGY(session_topo)
{
    SL_STREAM(in, "in", SL_STRING, SL_STRING);
    SL_GROUP_BY_KEY(g, in);
    SL_WINDOWED_BY(w, g, SL_SESSION(10, 100));
    SL_WINDOWED_AGGREGATE(tallies, w, tally_zero, tally_add, tally_merge, &tally_serde, "tallies");
    SL_TABLE_TO_STREAM(changes, tallies);
    SL_MAP_VALUES(texts, changes, tally_text);
    sl_serde_windowed_init(&sess_keys, SL_STRING, 0, true);
    SL_TO(texts, "out", &sess_keys.serde, SL_STRING);
}

/* A record bridging two sessions: the merger gets both stored tallies, and
 * the merged sessions leave the table with their old tallies forwarded. */
static void test_session_merge(void **state)
{
    au_t a = au_new(session_topo, "cache.max.bytes.buffering=0\n");

    (void)state;
    au_pipe(&a, "in", "k", "1", 100);
    au_pipe(&a, "in", "k", "2", 120);
    au_pipe(&a, "in", "k", "4", 110);
    AU_EXPECT(&a, "out", &sess_keys.serde, SL_STRING, "[k@100/100]:1/1@100", "[k@120/120]:2/1@120",
              "[k@100/100]:~@110", "[k@120/120]:~@110", "[k@100/120]:7/3@110");
    /* Three sessions, then one record joining them all. */
    au_pipe(&a, "in", "m", "1", 200);
    au_pipe(&a, "in", "m", "10", 220);
    au_pipe(&a, "in", "m", "100", 240);
    au_pipe(&a, "in", "m", "1000", 230);
    au_pipe(&a, "in", "m", "5", 210);
    AU_EXPECT(&a, "out", &sess_keys.serde, SL_STRING, "[m@200/200]:1/1@200", "[m@220/220]:10/1@220",
              "[m@240/240]:100/1@240", "[m@220/220]:~@230", "[m@240/240]:~@230", "[m@220/240]:1110/3@230",
              "[m@200/200]:~@210", "[m@220/240]:~@210", "[m@200/240]:1116/5@210");
    au_free(&a);
}

/* The same through the record cache: the sessions a record merges come
 * from the cache, and the cache sends the changes when it writes through. */
static void test_session_merge_cached(void **state)
{
    au_t a = au_new(session_topo, NULL);

    (void)state;
    au_pipe(&a, "in", "k", "1", 100);
    au_pipe(&a, "in", "k", "2", 120);
    au_pipe(&a, "in", "k", "4", 110);
    AU_EXPECT(&a, "out", &sess_keys.serde, SL_STRING, "[k@100/100]:1/1@100", "[k@120/120]:2/1@120",
              "[k@100/100]:~@110", "[k@120/120]:~@110", "[k@100/120]:7/3@110");
    au_free(&a);
}

/* --- sliding windows -------------------------------------------------------- */

static SL_TOPOLOGY(sliding_topo)
{
    SL_STREAM(in, "in", SL_STRING, SL_STRING);
    SL_GROUP_BY_KEY(g, in);
    SL_WINDOWED_BY(w, g, SL_SLIDING(10, 100));
    SL_WINDOWED_AGGREGATE(tallies, w, tally_zero, tally_add, NULL, &tally_serde, "slides");
    SL_TABLE_TO_STREAM(changes, tallies);
    SL_MAP_VALUES(texts, changes, tally_text);
    sl_serde_windowed_init(&slide_keys, SL_STRING, 10, false);
    SL_TO(texts, "out", &slide_keys.serde, SL_STRING);
}

/* A record inside an existing window: the window's stored tally is the base
 * of its new aggregate and of the record's right window. */
static void test_sliding(void **state)
{
    au_t a = au_new(sliding_topo, "cache.max.bytes.buffering=0\n");

    (void)state;
    au_pipe(&a, "in", "k", "1", 100);
    au_pipe(&a, "in", "k", "2", 105);
    AU_EXPECT(&a, "out", &slide_keys.serde, SL_STRING, "[k@90/100]:1/1@100", "[k@101/111]:2/1@105",
              "[k@95/105]:3/2@105");
    au_free(&a);
}

/* --- stream-stream joins ------------------------------------------------------- */

static sl_val_t to_tally(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)key;
    (void)arg;
    return tally_make(ctx, num(value), 1);
}

static sl_val_t tally_join(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *left, const sl_val_t *right,
                           void *arg)
{
    (void)key;
    (void)arg;
    return sl_val_printf(ctx, "%lld+%lld", sl_val_is_null(left) ? -1LL : (long long)tally_of(left)->sum,
                         sl_val_is_null(right) ? -1LL : (long long)tally_of(right)->sum);
}

static void join_topo(sl_builder_t *b)
{
    sl_stream_t *l = sl_stream_map_values(sl_builder_stream(b, "left", "left", SL_STRING, SL_STRING), "lt",
                                          to_tally, NULL);
    sl_stream_t *r = sl_stream_map_values(sl_builder_stream(b, "right", "right", SL_STRING, SL_STRING), "rt",
                                          to_tally, NULL);
    sl_stream_t *j = sl_stream_join(l, r, "joined", SL_JOIN_OUTER, tally_join, NULL, 10, 10, 0, &tally_serde,
                                    &tally_serde);

    sl_stream_to(j, NULL, "out", SL_STRING, SL_STRING, NULL, NULL);
}

/* Each side's buffered tallies reach the joiner when the other side's
 * records match them; the unmatched ones when their window closes. */
static void test_join(void **state)
{
    au_t a = au_new(join_topo, NULL);

    (void)state;
    au_pipe(&a, "left", "k", "1", 100);
    au_pipe(&a, "left", "k", "2", 102);
    au_pipe(&a, "right", "k", "10", 105);
    au_pipe(&a, "right", "k", "20", 107);
    au_pipe(&a, "left", "k", "3", 109);
    AU_EXPECT(&a, "out", SL_STRING, SL_STRING, "k:1+10@105", "k:2+10@105", "k:1+20@107", "k:2+20@107",
              "k:3+10@109", "k:3+20@109");
    au_pipe(&a, "left", "z", "7", 200); /* closes the window of nothing left unmatched */
    au_pipe(&a, "right", "u", "8", 300); /* z's window closed: emitted unmatched */
    AU_EXPECT(&a, "out", SL_STRING, SL_STRING, "z:7+-1@200");
    au_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_session_merge),
        cmocka_unit_test(test_session_merge_cached),
        cmocka_unit_test(test_sliding),
        cmocka_unit_test(test_join),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
