/* agg_test.c - the aggregate functions: resolve (types, refusals),
 * init/add/undo/merge/result of each, their bounds, and sl_sql_agg_bind. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "format_int.h"
#include "func_agg_int.h"
#include "streams.h"

static sl_arena_t A;

static int setup(void **state)
{
    (void)state;
    sl_arena_init(&A, 0, 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sl_arena_fini(&A);
    return 0;
}

static const sl_sql_func_t *agg_named(const char *name)
{
    for (const sl_sql_func_t *f = sl_sql_funcs_agg; f->name; f++) {
        if (strcmp(f->name, name) == 0)
            return f;
    }
    fail_msg("no aggregate %s", name);
    return NULL;
}

static const char *fmt(const sl_sql_type_t *t)
{
    static char buf[256];
    return sl_sql_type_str(t, buf, sizeof buf);
}

/* A call of name over one argument of type t (NULL: none) with consts;
 * resolve must accept it. */
static sl_sql_agg_call_t *mk(const char *name, const sl_sql_type_t *t, const sl_sql_datum_t *consts, uint32_t nc)
{
    sl_sql_agg_call_t *c = sl_arena_zalloc(&A, sizeof *c);
    char err[256] = "";
    c->func = agg_named(name);
    c->n_args = t ? 1 : 0;
    c->arg_types = sl_arena_calloc(&A, 1, sizeof *c->arg_types);
    c->arg_types[0] = t;
    c->consts = (sl_sql_datum_t *)consts;
    c->n_consts = nc;
    c->text = name;
    sl_err_t rc = c->func->agg->resolve(&A, c->arg_types, c->n_args, consts, nc, &c->state_type, &c->result_type,
                                        err, sizeof err);
    if (rc != SL_OK)
        fail_msg("%s refused: %s", name, err);
    return c;
}

/* resolve's refusal sentence for one argument of type t and consts. */
static const char *refusal(const char *name, const sl_sql_type_t *t, const sl_sql_datum_t *consts, uint32_t nc)
{
    static char err[256];
    const sl_sql_type_t *st, *rt;
    const sl_sql_type_t *args[1] = {t};
    err[0] = '\0';
    sl_err_t rc = agg_named(name)->agg->resolve(&A, args, t ? 1 : 0, consts, nc, &st, &rt, err, sizeof err);
    assert_int_not_equal(rc, SL_OK);
    return err;
}

static const sl_sql_type_t *T(sl_sql_tkind_t k)
{
    return sl_sql_type_of(k);
}

static void add(const sl_sql_agg_call_t *c, sl_sql_datum_t v, sl_sql_datum_t *st)
{
    c->func->agg->add(c, &A, &v, st);
}

static void undo(const sl_sql_agg_call_t *c, sl_sql_datum_t v, sl_sql_datum_t *st)
{
    c->func->agg->undo(c, &A, &v, st);
}

static sl_sql_datum_t result(const sl_sql_agg_call_t *c, const sl_sql_datum_t *st)
{
    sl_sql_datum_t out;
    c->func->agg->result(c, &A, st, &out);
    return out;
}

static sl_sql_datum_t init(const sl_sql_agg_call_t *c)
{
    sl_sql_datum_t st;
    c->func->agg->init(c, &A, &st);
    return st;
}

/* The result formatted as CAST(... AS STRING) gives it. */
static const char *res_text(const sl_sql_agg_call_t *c, const sl_sql_datum_t *st)
{
    static char buf[4096];
    sl_buf_t b;
    sl_sql_datum_t r = result(c, st);
    sl_buf_init(&b);
    sl_sql_datum_format(&r, c->result_type, &b);
    snprintf(buf, sizeof buf, "%.*s", (int)b.len, (const char *)b.data);
    sl_buf_free(&b);
    return buf;
}

/* |a - b| <= eps, or both NaN. */
static void near(double a, double b, double eps)
{
    if (!(isnan(a) && isnan(b)) && !(fabs(a - b) <= eps))
        fail_msg("%.17g is not %.17g", a, b);
}

static sl_sql_datum_t S(const char *s)
{
    return sl_sql_string(s, (uint32_t)strlen(s));
}

static sl_sql_datum_t dec(long long unscaled, int scale)
{
    sl_sql_datum_t d = sl_sql_null();
    d.kind = SL_SQL_T_DECIMAL;
    d.scale = (uint8_t)scale;
    d.u.dec = unscaled;
    return d;
}

/* --- the group ------------------------------------------------------------ */

static void group_lists_every_aggregate(void **state)
{
    (void)state;
    const char *want[] = {"AVG",         "COLLECT_LIST",  "COLLECT_SET", "CORRELATION",      "COUNT",
                          "COUNT_DISTINCT", "EARLIEST_BY_OFFSET", "HISTOGRAM", "LATEST_BY_OFFSET", "MAX",
                          "MIN",         "STDDEV_SAMP",   "STDDEV_SAMPLE", "SUM",             "TOPK",
                          "TOPKDISTINCT"};
    size_t n = 0;
    for (const sl_sql_func_t *f = sl_sql_funcs_agg; f->name; f++, n++) {
        assert_int_equal(f->kind, SL_SQL_F_AGGREGATE);
        assert_string_equal(f->category, "AGGREGATE");
        assert_non_null(f->agg);
        assert_non_null(f->agg->resolve);
        assert_non_null(f->agg->init);
        assert_non_null(f->agg->add);
        assert_non_null(f->agg->merge);
        assert_non_null(f->agg->result);
        assert_non_null(f->description);
        assert_non_null(strstr(f->agg_signatures, f->name));
        assert_true(n < sizeof want / sizeof want[0]);
        assert_string_equal(f->name, want[n]);
    }
    assert_int_equal(n, sizeof want / sizeof want[0]);
    /* ksqlDB's table aggregations: these can retract, the others cannot */
    assert_non_null(agg_named("COUNT")->agg->undo);
    assert_non_null(agg_named("SUM")->agg->undo);
    assert_non_null(agg_named("AVG")->agg->undo);
    assert_non_null(agg_named("COLLECT_LIST")->agg->undo);
    assert_non_null(agg_named("HISTOGRAM")->agg->undo);
    assert_non_null(agg_named("STDDEV_SAMP")->agg->undo);
    assert_non_null(agg_named("CORRELATION")->agg->undo);
    assert_null(agg_named("MIN")->agg->undo);
    assert_null(agg_named("MAX")->agg->undo);
    assert_null(agg_named("COLLECT_SET")->agg->undo);
    assert_null(agg_named("TOPK")->agg->undo);
    assert_null(agg_named("COUNT_DISTINCT")->agg->undo);
    assert_null(agg_named("LATEST_BY_OFFSET")->agg->undo);
}

/* --- COUNT ---------------------------------------------------------------- */

static void count_star_and_column(void **state)
{
    (void)state;
    sl_sql_agg_call_t *star = mk("COUNT", NULL, NULL, 0);
    assert_string_equal(fmt(star->result_type), "BIGINT");
    sl_sql_datum_t st = init(star);
    sl_sql_datum_t none[1] = {sl_sql_null()};
    star->func->agg->add(star, &A, none, &st);
    star->func->agg->add(star, &A, none, &st);
    assert_int_equal(result(star, &st).u.i64, 2);

    sl_sql_agg_call_t *c = mk("COUNT", T(SL_SQL_T_STRING), NULL, 0);
    st = init(c);
    add(c, S("a"), &st);
    add(c, sl_sql_null(), &st);
    add(c, S("b"), &st);
    assert_int_equal(result(c, &st).u.i64, 2);
    undo(c, S("a"), &st);
    undo(c, sl_sql_null(), &st);
    assert_int_equal(result(c, &st).u.i64, 1);
    sl_sql_datum_t other = sl_sql_bigint(5);
    c->func->agg->merge(c, &A, &other, &st);
    assert_int_equal(result(c, &st).u.i64, 6);
    assert_non_null(strstr(refusal("COUNT", T(SL_SQL_T_INT), (sl_sql_datum_t[]){sl_sql_int(1)}, 1),
                           "Function 'COUNT' does not accept parameters (INTEGER, INTEGER)"));
}

/* --- SUM ------------------------------------------------------------------ */

static void sum_keeps_the_argument_type(void **state)
{
    (void)state;
    sl_sql_agg_call_t *c = mk("SUM", T(SL_SQL_T_INT), NULL, 0);
    assert_string_equal(fmt(c->state_type), "INTEGER");
    assert_string_equal(fmt(c->result_type), "INTEGER");
    sl_sql_datum_t st = init(c);
    assert_int_equal(result(c, &st).u.i32, 0);
    add(c, sl_sql_int(5), &st);
    add(c, sl_sql_null(), &st);
    add(c, sl_sql_int(7), &st);
    assert_int_equal(result(c, &st).kind, SL_SQL_T_INT);
    assert_int_equal(result(c, &st).u.i32, 12);
    undo(c, sl_sql_int(5), &st);
    assert_int_equal(result(c, &st).u.i32, 7);
    /* INT wraps as Java's int does */
    add(c, sl_sql_int(INT32_MAX), &st);
    assert_int_equal(result(c, &st).u.i32, INT32_MIN + 6);

    c = mk("SUM", T(SL_SQL_T_BIGINT), NULL, 0);
    assert_string_equal(fmt(c->result_type), "BIGINT");
    st = init(c);
    add(c, sl_sql_bigint(2147483648LL), &st);
    add(c, sl_sql_bigint(1), &st);
    sl_sql_datum_t other = sl_sql_bigint(10);
    c->func->agg->merge(c, &A, &other, &st);
    assert_int_equal(result(c, &st).u.i64, 2147483659LL);

    c = mk("SUM", T(SL_SQL_T_DOUBLE), NULL, 0);
    st = init(c);
    add(c, sl_sql_double(1.5), &st);
    add(c, sl_sql_double(2.25), &st);
    assert_true(result(c, &st).u.f64 == 3.75);

    const sl_sql_type_t *d = sl_sql_type_decimal(&A, 4, 2);
    c = mk("SUM", d, NULL, 0);
    assert_string_equal(fmt(c->result_type), "DECIMAL(4, 2)");
    st = init(c);
    add(c, dec(1050, 2), &st);
    add(c, dec(-25, 2), &st);
    assert_true(result(c, &st).u.dec == 1025);
    assert_int_equal(result(c, &st).scale, 2);
    /* 10.25 + 95.00 overflows DECIMAL(4, 2): the record is not summed */
    add(c, dec(9500, 2), &st);
    assert_true(result(c, &st).u.dec == 1025);

    assert_string_equal(refusal("SUM", T(SL_SQL_T_STRING), NULL, 0),
                        "Function 'SUM' does not accept parameters (STRING).\nValid alternatives are:\n"
                        "SUM(val INT)\nSUM(val BIGINT)\nSUM(val DOUBLE)\nSUM(val DECIMAL)\n"
                        "For detailed information on a function run: DESCRIBE FUNCTION <Function-Name>;");
    refusal("SUM", NULL, NULL, 0);
}

/* --- AVG ------------------------------------------------------------------ */

static void avg_sums_and_counts(void **state)
{
    (void)state;
    sl_sql_agg_call_t *c = mk("AVG", T(SL_SQL_T_INT), NULL, 0);
    assert_string_equal(fmt(c->state_type), "STRUCT<`SUM` INTEGER, `COUNT` BIGINT>");
    assert_string_equal(fmt(c->result_type), "DOUBLE");
    sl_sql_datum_t st = init(c);
    assert_true(result(c, &st).u.f64 == 0.0); /* no values: 0.0, as ksqlDB */
    add(c, sl_sql_int(1), &st);
    add(c, sl_sql_null(), &st);
    add(c, sl_sql_int(2), &st);
    assert_true(result(c, &st).u.f64 == 1.5);
    undo(c, sl_sql_int(1), &st);
    assert_true(result(c, &st).u.f64 == 2.0);
    sl_sql_datum_t st0 = init(c), other = init(c);
    add(c, sl_sql_int(10), &other);
    c->func->agg->merge(c, &A, &other, &st);
    assert_true(result(c, &st).u.f64 == 6.0);
    /* the state init gave is not changed by adds to its copies */
    assert_true(result(c, &st0).u.f64 == 0.0);

    c = mk("AVG", sl_sql_type_decimal(&A, 10, 2), NULL, 0);
    assert_string_equal(fmt(c->state_type), "STRUCT<`SUM` DOUBLE, `COUNT` BIGINT>");
    st = init(c);
    add(c, dec(150, 2), &st);
    add(c, dec(250, 2), &st);
    assert_true(result(c, &st).u.f64 == 2.0);
    refusal("AVG", T(SL_SQL_T_BOOLEAN), NULL, 0);
}

/* --- MIN and MAX ---------------------------------------------------------- */

static void min_max_ignore_nulls(void **state)
{
    (void)state;
    sl_sql_agg_call_t *mn = mk("MIN", T(SL_SQL_T_BIGINT), NULL, 0);
    sl_sql_agg_call_t *mx = mk("MAX", T(SL_SQL_T_BIGINT), NULL, 0);
    sl_sql_datum_t a = init(mn), b = init(mx);
    assert_true(sl_sql_datum_is_null(&a));
    int64_t vals[] = {5, -3, 12, 7};
    for (size_t i = 0; i < 4; i++) {
        add(mn, sl_sql_bigint(vals[i]), &a);
        add(mx, sl_sql_bigint(vals[i]), &b);
        add(mn, sl_sql_null(), &a);
        add(mx, sl_sql_null(), &b);
    }
    assert_int_equal(result(mn, &a).u.i64, -3);
    assert_int_equal(result(mx, &b).u.i64, 12);
    sl_sql_datum_t other = sl_sql_bigint(-10);
    mn->func->agg->merge(mn, &A, &other, &a);
    mx->func->agg->merge(mx, &A, &other, &b);
    assert_int_equal(result(mn, &a).u.i64, -10);
    assert_int_equal(result(mx, &b).u.i64, 12);

    mx = mk("MAX", T(SL_SQL_T_STRING), NULL, 0);
    b = init(mx);
    add(mx, S("pear"), &b);
    add(mx, S("zebra"), &b);
    add(mx, S("apple"), &b);
    assert_string_equal(res_text(mx, &b), "zebra");
    mn = mk("MIN", T(SL_SQL_T_TIMESTAMP), NULL, 0);
    assert_string_equal(fmt(mn->result_type), "TIMESTAMP");
    refusal("MIN", T(SL_SQL_T_BOOLEAN), NULL, 0);
    refusal("MAX", sl_sql_type_array(&A, T(SL_SQL_T_INT)), NULL, 0);
}

/* --- COLLECT_LIST / COLLECT_SET ------------------------------------------- */

static void collect_list_keeps_order_nulls_and_limit(void **state)
{
    (void)state;
    sl_sql_agg_call_t *c = mk("COLLECT_LIST", T(SL_SQL_T_STRING), NULL, 0);
    assert_string_equal(fmt(c->state_type), "ARRAY<STRING>");
    sl_sql_datum_t st = init(c);
    assert_string_equal(res_text(c, &st), "[]");
    add(c, S("baz"), &st);
    add(c, S("baz"), &st);
    add(c, sl_sql_null(), &st);
    add(c, S("foo"), &st);
    assert_string_equal(res_text(c, &st), "[baz, baz, null, foo]");
    undo(c, S("baz"), &st);
    assert_string_equal(res_text(c, &st), "[baz, null, foo]");
    undo(c, S("nope"), &st);
    assert_int_equal(st.u.a.n, 3);
    sl_sql_datum_t other = init(c);
    add(c, S("x"), &other);
    c->func->agg->merge(c, &A, &other, &st);
    assert_string_equal(res_text(c, &st), "[baz, null, foo, x]");

    c = mk("COLLECT_LIST", T(SL_SQL_T_INT), NULL, 0);
    st = init(c);
    for (int i = 0; i < 1200; i++)
        add(c, sl_sql_int(i), &st);
    assert_int_equal(st.u.a.n, SL_SQL_AGG_COLLECT_LIMIT);
    assert_int_equal(st.u.a.items[999].u.i32, 999);
    c->func->agg->merge(c, &A, &st, &st);
    assert_int_equal(st.u.a.n, SL_SQL_AGG_COLLECT_LIMIT);
}

static void collect_set_is_distinct(void **state)
{
    (void)state;
    sl_sql_agg_call_t *c = mk("COLLECT_SET", T(SL_SQL_T_INT), NULL, 0);
    sl_sql_datum_t st = init(c), other = init(c);
    add(c, sl_sql_int(3), &st);
    add(c, sl_sql_int(1), &st);
    add(c, sl_sql_int(3), &st);
    add(c, sl_sql_null(), &st);
    add(c, sl_sql_null(), &st);
    assert_string_equal(res_text(c, &st), "[3, 1, null]");
    add(c, sl_sql_int(1), &other);
    add(c, sl_sql_int(9), &other);
    c->func->agg->merge(c, &A, &other, &st);
    assert_string_equal(res_text(c, &st), "[3, 1, null, 9]");
}

/* --- HISTOGRAM ------------------------------------------------------------ */

static void histogram_counts_and_retracts(void **state)
{
    (void)state;
    sl_sql_agg_call_t *c = mk("HISTOGRAM", T(SL_SQL_T_STRING), NULL, 0);
    assert_string_equal(fmt(c->result_type), "MAP<STRING, BIGINT>");
    sl_sql_datum_t st = init(c);
    add(c, S("a"), &st);
    add(c, S("b"), &st);
    add(c, S("a"), &st);
    add(c, sl_sql_null(), &st);
    assert_string_equal(res_text(c, &st), "{a=2, b=1}");
    undo(c, S("b"), &st);
    assert_string_equal(res_text(c, &st), "{a=2}");
    undo(c, S("a"), &st);
    assert_string_equal(res_text(c, &st), "{a=1}");
    sl_sql_datum_t other = init(c);
    add(c, S("a"), &other);
    add(c, S("c"), &other);
    c->func->agg->merge(c, &A, &other, &st);
    assert_string_equal(res_text(c, &st), "{a=2, c=1}");
    refusal("HISTOGRAM", T(SL_SQL_T_INT), NULL, 0);

    /* at most 1000 keys; known keys still count */
    st = init(c);
    char keys[1100][16];
    for (int i = 0; i < 1100; i++) {
        snprintf(keys[i], sizeof keys[i], "k%d", i);
        add(c, S(keys[i]), &st);
    }
    add(c, S("k0"), &st);
    assert_int_equal(st.u.a.n, SL_SQL_AGG_COLLECT_LIMIT);
    assert_int_equal(st.u.a.items[1].u.i64, 2);
}

/* --- TOPK / TOPKDISTINCT --------------------------------------------------- */

static void topk_keeps_the_largest(void **state)
{
    (void)state;
    sl_sql_datum_t k3[1] = {sl_sql_int(3)};
    sl_sql_agg_call_t *c = mk("TOPK", T(SL_SQL_T_INT), k3, 1);
    assert_string_equal(fmt(c->result_type), "ARRAY<INTEGER>");
    sl_sql_datum_t st = init(c);
    int vals[] = {5, 1, 9, 5, 7, 2};
    for (size_t i = 0; i < 6; i++)
        add(c, sl_sql_int(vals[i]), &st);
    add(c, sl_sql_null(), &st);
    assert_string_equal(res_text(c, &st), "[9, 7, 5]");
    sl_sql_datum_t other = init(c);
    add(c, sl_sql_int(8), &other);
    add(c, sl_sql_int(8), &other);
    c->func->agg->merge(c, &A, &other, &st);
    assert_string_equal(res_text(c, &st), "[9, 8, 8]");

    sl_sql_agg_call_t *d = mk("TOPKDISTINCT", T(SL_SQL_T_STRING), k3, 1);
    st = init(d);
    const char *w[] = {"b", "d", "a", "d", "c", "b"};
    for (size_t i = 0; i < 6; i++)
        add(d, S(w[i]), &st);
    assert_string_equal(res_text(d, &st), "[d, c, b]");
    other = init(d);
    add(d, S("e"), &other);
    add(d, S("d"), &other);
    d->func->agg->merge(d, &A, &other, &st);
    assert_string_equal(res_text(d, &st), "[e, d, c]");

    sl_sql_datum_t k0[1] = {sl_sql_int(0)};
    assert_non_null(strstr(refusal("TOPK", T(SL_SQL_T_INT), k0, 1), "k must be between 1 and 1000"));
    refusal("TOPK", T(SL_SQL_T_INT), NULL, 0);
    refusal("TOPK", T(SL_SQL_T_BOOLEAN), k3, 1);
}

/* --- EARLIEST_BY_OFFSET / LATEST_BY_OFFSET ---------------------------------- */

static void by_offset_single_forms(void **state)
{
    (void)state;
    sl_sql_agg_call_t *e = mk("EARLIEST_BY_OFFSET", T(SL_SQL_T_STRING), NULL, 0);
    sl_sql_agg_call_t *l = mk("LATEST_BY_OFFSET", T(SL_SQL_T_STRING), NULL, 0);
    assert_string_equal(fmt(e->state_type), "STRUCT<`SEQ` BIGINT, `VAL` STRING>");
    assert_string_equal(fmt(l->result_type), "STRING");
    sl_sql_datum_t se = init(e), sl = init(l);
    sl_sql_datum_t r0 = result(e, &se);
    assert_true(sl_sql_datum_is_null(&r0));
    const sl_sql_datum_t vals[] = {sl_sql_null(), S("a"), S("b"), sl_sql_null()};
    for (size_t i = 0; i < 4; i++) {
        add(e, vals[i], &se);
        add(l, vals[i], &sl);
    }
    assert_string_equal(res_text(e, &se), "a");
    assert_string_equal(res_text(l, &sl), "b");

    /* ignoreNulls = false: NULLs count */
    sl_sql_datum_t f[1] = {sl_sql_bool(false)};
    e = mk("EARLIEST_BY_OFFSET", T(SL_SQL_T_STRING), f, 1);
    l = mk("LATEST_BY_OFFSET", T(SL_SQL_T_STRING), f, 1);
    se = init(e), sl = init(l);
    for (size_t i = 0; i < 4; i++) {
        add(e, vals[i], &se);
        add(l, vals[i], &sl);
    }
    assert_string_equal(res_text(e, &se), "null");
    assert_string_equal(res_text(l, &sl), "null");

    /* merge: the earlier stamp for EARLIEST, the later for LATEST, whichever
     * side it is on */
    e = mk("EARLIEST_BY_OFFSET", T(SL_SQL_T_INT), NULL, 0);
    l = mk("LATEST_BY_OFFSET", T(SL_SQL_T_INT), NULL, 0);
    sl_sql_datum_t e1 = init(e), e2 = init(e), l1 = init(l), l2 = init(l), empty = init(l);
    add(e, sl_sql_int(1), &e1);
    add(l, sl_sql_int(1), &l1);
    add(e, sl_sql_int(2), &e2);
    add(l, sl_sql_int(2), &l2);
    sl_sql_datum_t m = e2;
    e->func->agg->merge(e, &A, &e1, &m);
    assert_int_equal(result(e, &m).u.i32, 1);
    m = l2;
    l->func->agg->merge(l, &A, &l1, &m);
    assert_int_equal(result(l, &m).u.i32, 2);
    m = l1;
    l->func->agg->merge(l, &A, &l2, &m);
    assert_int_equal(result(l, &m).u.i32, 2);
    m = empty;
    l->func->agg->merge(l, &A, &l1, &m);
    assert_int_equal(result(l, &m).u.i32, 1);
    refusal("LATEST_BY_OFFSET", T(SL_SQL_T_INT), (sl_sql_datum_t[]){S("x")}, 1);
}

static void by_offset_n_forms(void **state)
{
    (void)state;
    sl_sql_datum_t two[1] = {sl_sql_int(2)};
    sl_sql_agg_call_t *e = mk("EARLIEST_BY_OFFSET", T(SL_SQL_T_BIGINT), two, 1);
    sl_sql_agg_call_t *l = mk("LATEST_BY_OFFSET", T(SL_SQL_T_BIGINT), two, 1);
    assert_string_equal(fmt(e->state_type), "ARRAY<STRUCT<`SEQ` BIGINT, `VAL` BIGINT>>");
    assert_string_equal(fmt(l->result_type), "ARRAY<BIGINT>");
    sl_sql_datum_t se = init(e), sl = init(l);
    for (int i = 1; i <= 4; i++) {
        add(e, sl_sql_bigint(i), &se);
        add(l, sl_sql_bigint(i), &sl);
        add(l, sl_sql_null(), &sl);
    }
    assert_string_equal(res_text(e, &se), "[1, 2]");
    assert_string_equal(res_text(l, &sl), "[3, 4]");
    sl_sql_datum_t later = init(l);
    add(l, sl_sql_bigint(5), &later);
    l->func->agg->merge(l, &A, &later, &sl);
    assert_string_equal(res_text(l, &sl), "[4, 5]");
    sl_sql_datum_t e_later = init(e);
    add(e, sl_sql_bigint(0), &e_later);
    sl_sql_datum_t m = e_later;
    e->func->agg->merge(e, &A, &se, &m);
    assert_string_equal(res_text(e, &m), "[1, 2]");

    sl_sql_datum_t nf[2] = {sl_sql_int(3), sl_sql_bool(false)};
    l = mk("LATEST_BY_OFFSET", T(SL_SQL_T_BIGINT), nf, 2);
    sl = init(l);
    add(l, sl_sql_bigint(1), &sl);
    add(l, sl_sql_null(), &sl);
    assert_string_equal(res_text(l, &sl), "[1, null]");
    sl_sql_datum_t zero[1] = {sl_sql_int(0)};
    assert_non_null(strstr(refusal("EARLIEST_BY_OFFSET", T(SL_SQL_T_INT), zero, 1), "earliestN"));
}

/* --- COUNT_DISTINCT ------------------------------------------------------------ */

static void count_distinct_exact_then_estimated(void **state)
{
    (void)state;
    sl_sql_agg_call_t *c = mk("COUNT_DISTINCT", T(SL_SQL_T_STRING), NULL, 0);
    assert_string_equal(fmt(c->state_type), "STRUCT<`HASHES` ARRAY<BIGINT>, `REGISTERS` BYTES>");
    assert_string_equal(fmt(c->result_type), "BIGINT");
    sl_sql_datum_t st = init(c);
    assert_int_equal(result(c, &st).u.i64, 0);
    add(c, S("a"), &st);
    add(c, S("b"), &st);
    add(c, S("a"), &st);
    add(c, sl_sql_null(), &st);
    assert_int_equal(result(c, &st).u.i64, 2);
    sl_sql_datum_t other = init(c);
    add(c, S("c"), &other);
    add(c, S("b"), &other);
    c->func->agg->merge(c, &A, &other, &st);
    assert_int_equal(result(c, &st).u.i64, 3);

    sl_sql_agg_call_t *n = mk("COUNT_DISTINCT", T(SL_SQL_T_BIGINT), NULL, 0);
    sl_sql_datum_t big = init(n), half = init(n);
    sl_arena_t scratch;
    sl_arena_init(&scratch, 0, 0);
    for (int64_t i = 0; i < 1000; i++)
        n->func->agg->add(n, &A, &(sl_sql_datum_t[1]){sl_sql_bigint(i)}[0], &big);
    assert_int_equal(result(n, &big).u.i64, 1000);
    for (int64_t i = 0; i < 6000; i++)
        n->func->agg->add(n, &scratch, &(sl_sql_datum_t[1]){sl_sql_bigint(i % 3000)}[0], &big);
    for (int64_t i = 10000; i < 12000; i++)
        n->func->agg->add(n, &scratch, &(sl_sql_datum_t[1]){sl_sql_bigint(i)}[0], &half);
    int64_t est = result(n, &big).u.i64;
    assert_true(est > 2940 && est < 3060);
    n->func->agg->merge(n, &scratch, &half, &big);
    est = result(n, &big).u.i64;
    assert_true(est > 4900 && est < 5100);
    sl_arena_fini(&scratch);
}

/* --- STDDEV_SAMP / STDDEV_SAMPLE / CORRELATION ---------------------------------- */

static void stddev_as_ksqldb(void **state)
{
    (void)state;
    sl_sql_agg_call_t *samp = mk("STDDEV_SAMP", T(SL_SQL_T_INT), NULL, 0);
    sl_sql_agg_call_t *sample = mk("STDDEV_SAMPLE", T(SL_SQL_T_INT), NULL, 0);
    assert_string_equal(fmt(samp->state_type), "STRUCT<`SUM` INTEGER, `COUNT` INTEGER, `M2` DOUBLE>");
    assert_string_equal(fmt(samp->result_type), "DOUBLE");
    sl_sql_datum_t a = init(samp), b = init(sample);
    /* ksqlDB's "stddev_samp int" / "stddev_sample int": 0, 10, 7, null, 6 */
    const double want_var[] = {0.0, 50.0, 26.333333333333332, 26.333333333333332, 17.583333333333332};
    const sl_sql_datum_t in[] = {sl_sql_int(0), sl_sql_int(10), sl_sql_int(7), sl_sql_null(), sl_sql_int(6)};
    for (size_t i = 0; i < 5; i++) {
        add(samp, in[i], &a);
        add(sample, in[i], &b);
        near(result(samp, &a).u.f64, want_var[i], 1e-12);
        near(result(sample, &b).u.f64, sqrt(want_var[i]), 1e-12);
    }
    /* undo of the last value gives the previous figure back */
    undo(samp, sl_sql_int(6), &a);
    near(result(samp, &a).u.f64, 26.333333333333332, 1e-9);
    /* merging {0, 10} and {7}: the same as adding them all */
    sl_sql_datum_t x = init(samp), y = init(samp);
    add(samp, sl_sql_int(0), &x);
    add(samp, sl_sql_int(10), &x);
    add(samp, sl_sql_int(7), &y);
    samp->func->agg->merge(samp, &A, &y, &x);
    near(result(samp, &x).u.f64, 26.333333333333332, 1e-9);

    sl_sql_agg_call_t *d = mk("STDDEV_SAMP", T(SL_SQL_T_DOUBLE), NULL, 0);
    sl_sql_datum_t s = init(d);
    add(d, sl_sql_double(-1.8), &s);
    add(d, sl_sql_double(2.3), &s);
    near(result(d, &s).u.f64, 8.405, 1e-12);
    add(d, sl_sql_double(100.2), &s);
    near(result(d, &s).u.f64, 3334.2033333333347, 1e-9);
    refusal("STDDEV_SAMP", T(SL_SQL_T_STRING), NULL, 0);
}

static void correlation_as_ksqldb(void **state)
{
    (void)state;
    const sl_sql_type_t *dd[2] = {T(SL_SQL_T_DOUBLE), T(SL_SQL_T_DOUBLE)};
    sl_sql_agg_call_t *c = sl_arena_zalloc(&A, sizeof *c);
    char err[256];
    c->func = agg_named("CORRELATION");
    c->n_args = 2;
    c->arg_types = dd;
    assert_int_equal(c->func->agg->resolve(&A, dd, 2, NULL, 0, &c->state_type, &c->result_type, err, sizeof err),
                     SL_OK);
    sl_sql_datum_t st = init(c);
    sl_sql_datum_t p1[2] = {sl_sql_double(1.5), sl_sql_double(8.0)};
    sl_sql_datum_t p2[2] = {sl_sql_double(-1.0), sl_sql_double(-2.0)};
    sl_sql_datum_t p3[2] = {sl_sql_double(-4.5), sl_sql_double(-1.0)};
    sl_sql_datum_t pn[2] = {sl_sql_null(), sl_sql_double(-6.0)};
    c->func->agg->add(c, &A, p1, &st);
    assert_true(isnan(result(c, &st).u.f64));
    c->func->agg->add(c, &A, p2, &st);
    near(result(c, &st).u.f64, 1.0, 1e-12);
    c->func->agg->add(c, &A, p3, &st);
    c->func->agg->add(c, &A, pn, &st);
    near(result(c, &st).u.f64, 0.7580764521133173, 1e-12);
    c->func->agg->undo(c, &A, p3, &st);
    near(result(c, &st).u.f64, 1.0, 1e-9);
    const sl_sql_type_t *bad[2] = {T(SL_SQL_T_DOUBLE), T(SL_SQL_T_STRING)};
    const sl_sql_type_t *st_t, *rt;
    assert_int_equal(c->func->agg->resolve(&A, bad, 2, NULL, 0, &st_t, &rt, err, sizeof err), SL_ERR_INVAL);
    assert_int_equal(c->func->agg->resolve(&A, dd, 1, NULL, 0, &st_t, &rt, err, sizeof err), SL_ERR_INVAL);
}

/* --- sl_sql_agg_bind ------------------------------------------------------------- */

static void bind_splits_literals_and_reads_rowtime(void **state)
{
    (void)state;
    char err[256] = "";
    sl_sql_agg_call_t *call = NULL;
    sl_sql_expr_t *col = sl_sql_expr_column(&A, SL_SQL_COL_VALUE, 0, T(SL_SQL_T_INT), "V");
    sl_sql_datum_t three = sl_sql_int(3);
    sl_sql_expr_t *k = sl_sql_expr_const(&A, T(SL_SQL_T_INT), &three, "3");
    assert_non_null(col);
    assert_non_null(k);

    /* TOPK(V, 3): the constant argument becomes the literal parameter */
    sl_sql_expr_t *args[2] = {col, k};
    assert_int_equal(sl_sql_agg_bind(&A, agg_named("TOPK"), args, 2, NULL, 0, "TOPK(V, 3)", &call, err, sizeof err),
                     SL_OK);
    assert_int_equal(call->n_args, 1);
    assert_int_equal(call->n_consts, 1);
    assert_int_equal(call->consts[0].u.i32, 3);
    assert_string_equal(fmt(call->result_type), "ARRAY<INTEGER>");
    assert_string_equal(call->text, "TOPK(V, 3)");

    /* the same given already split */
    assert_int_equal(sl_sql_agg_bind(&A, agg_named("TOPK"), args, 1, &three, 1, NULL, &call, err, sizeof err),
                     SL_OK);
    assert_int_equal(call->n_consts, 1);
    assert_string_equal(call->text, "TOPK");

    /* COUNT(*) keeps no argument; AVG(*) averages ROWTIME */
    assert_int_equal(sl_sql_agg_bind(&A, agg_named("COUNT"), NULL, 0, NULL, 0, "COUNT(*)", &call, err, sizeof err),
                     SL_OK);
    assert_int_equal(call->n_args, 0);
    assert_int_equal(sl_sql_agg_bind(&A, agg_named("AVG"), NULL, 0, NULL, 0, "AVG(*)", &call, err, sizeof err),
                     SL_OK);
    assert_int_equal(call->n_args, 1);
    assert_int_equal(call->args[0]->kind, SL_SQL_E_COLUMN);
    assert_int_equal(call->args[0]->src, SL_SQL_COL_PSEUDO);
    assert_int_equal(call->args[0]->index, SL_SQL_PSEUDO_ROWTIME);
    assert_string_equal(fmt(call->arg_types[0]), "BIGINT");

    /* refusals */
    sl_sql_expr_t *s = sl_sql_expr_column(&A, SL_SQL_COL_VALUE, 1, T(SL_SQL_T_STRING), "NAME");
    assert_int_equal(sl_sql_agg_bind(&A, agg_named("SUM"), &s, 1, NULL, 0, "SUM(NAME)", &call, err, sizeof err),
                     SL_ERR_INVAL);
    assert_non_null(strstr(err, "Function 'SUM' does not accept parameters (STRING).\nValid alternatives are:\n"));
    assert_null(call);
    static const sl_sql_func_t scalar = {.name = "UCASE", .kind = SL_SQL_F_SCALAR};
    assert_int_equal(sl_sql_agg_bind(&A, &scalar, &s, 1, NULL, 0, "UCASE(NAME)", &call, err, sizeof err),
                     SL_ERR_INVAL);
    assert_string_equal(err, "Function 'UCASE' is not an aggregate function.");
}

/* --- states in a store ------------------------------------------------------------ */

/* Every aggregate's state (after some adds) written with the internal serde
 * and read back in another arena gives the same state and result. */
static void states_round_trip_through_the_internal_serde(void **state)
{
    (void)state;
    sl_sql_datum_t k2[1] = {sl_sql_int(2)};
    sl_sql_datum_t n2f[2] = {sl_sql_int(2), sl_sql_bool(false)};
    sl_sql_agg_call_t *calls[] = {
        mk("COUNT", T(SL_SQL_T_STRING), NULL, 0),        mk("SUM", sl_sql_type_decimal(&A, 8, 3), NULL, 0),
        mk("AVG", T(SL_SQL_T_DOUBLE), NULL, 0),
        mk("MIN", T(SL_SQL_T_STRING), NULL, 0),          mk("MAX", T(SL_SQL_T_DOUBLE), NULL, 0),
        mk("COLLECT_LIST", T(SL_SQL_T_STRING), NULL, 0), mk("COLLECT_SET", T(SL_SQL_T_DOUBLE), NULL, 0),
        mk("HISTOGRAM", T(SL_SQL_T_STRING), NULL, 0),    mk("TOPK", T(SL_SQL_T_STRING), k2, 1),
        mk("TOPKDISTINCT", T(SL_SQL_T_DOUBLE), k2, 1),   mk("EARLIEST_BY_OFFSET", T(SL_SQL_T_STRING), NULL, 0),
        mk("LATEST_BY_OFFSET", T(SL_SQL_T_DOUBLE), n2f, 2), mk("COUNT_DISTINCT", T(SL_SQL_T_STRING), NULL, 0),
    };
    enum { N = sizeof calls / sizeof calls[0] };
    const sl_sql_type_t *types[N];
    sl_sql_row_t *row = sl_sql_row_new(&A, N);
    const char *words[] = {"pear", "fig", "pear", "kiwi"};
    for (size_t i = 0; i < N; i++) {
        types[i] = calls[i]->state_type;
        row->cols[i] = init(calls[i]);
        for (size_t w = 0; w < 4; w++) {
            sl_sql_datum_t v;
            switch (calls[i]->arg_types[0]->kind) {
            case SL_SQL_T_DOUBLE:
                v = sl_sql_double((double)w * 1.25);
                break;
            case SL_SQL_T_DECIMAL:
                v = dec((long long)w * 1001, 3);
                break;
            default:
                v = S(words[w]);
                break;
            }
            add(calls[i], v, &row->cols[i]);
        }
    }
    /* a COUNT_DISTINCT past its exact range keeps registers */
    sl_sql_datum_t regs = init(calls[N - 1]);
    for (int64_t i = 0; i < 1100; i++) {
        char t[16];
        int len = snprintf(t, sizeof t, "v%lld", (long long)i);
        sl_sql_datum_t v = sl_sql_string(sl_arena_strndup(&A, t, (size_t)len), (uint32_t)len);
        add(calls[N - 1], v, &regs);
    }

    const sl_serde_t *serde = sl_sql_internal_serde(&A, types, N);
    assert_non_null(serde);
    sl_buf_t b;
    sl_buf_init(&b);
    sl_val_t v = sl_val_ptr(row);
    assert_int_equal(serde->ser(&v, &b, serde->arg), SL_OK);
    sl_arena_t other;
    sl_arena_init(&other, 0, 0);
    sl_val_t back;
    assert_int_equal(serde->de(b.data, b.len, &other, &back, serde->arg), SL_OK);
    const sl_sql_row_t *got = back.u.ptr;
    assert_int_equal(got->n, N);
    for (size_t i = 0; i < N; i++) {
        assert_true(sl_sql_datum_eq(&row->cols[i], &got->cols[i], types[i]));
        sl_sql_datum_t r1 = result(calls[i], &row->cols[i]), r2 = result(calls[i], &got->cols[i]);
        assert_true(sl_sql_datum_eq(&r1, &r2, calls[i]->result_type));
    }
    sl_buf_free(&b);

    const sl_sql_type_t *cd_type[1] = {calls[N - 1]->state_type};
    const sl_serde_t *cd = sl_sql_internal_serde(&A, cd_type, 1);
    sl_sql_row_t *one = sl_sql_row_new(&A, 1);
    one->cols[0] = regs;
    v = sl_val_ptr(one);
    sl_buf_init(&b);
    assert_int_equal(cd->ser(&v, &b, cd->arg), SL_OK);
    assert_int_equal(cd->de(b.data, b.len, &other, &back, cd->arg), SL_OK);
    got = back.u.ptr;
    assert_int_equal(result(calls[N - 1], &got->cols[0]).u.i64, result(calls[N - 1], &regs).u.i64);
    sl_buf_free(&b);
    sl_arena_fini(&other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(group_lists_every_aggregate, setup, teardown),
        cmocka_unit_test_setup_teardown(count_star_and_column, setup, teardown),
        cmocka_unit_test_setup_teardown(sum_keeps_the_argument_type, setup, teardown),
        cmocka_unit_test_setup_teardown(avg_sums_and_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(min_max_ignore_nulls, setup, teardown),
        cmocka_unit_test_setup_teardown(collect_list_keeps_order_nulls_and_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(collect_set_is_distinct, setup, teardown),
        cmocka_unit_test_setup_teardown(histogram_counts_and_retracts, setup, teardown),
        cmocka_unit_test_setup_teardown(topk_keeps_the_largest, setup, teardown),
        cmocka_unit_test_setup_teardown(by_offset_single_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(by_offset_n_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(count_distinct_exact_then_estimated, setup, teardown),
        cmocka_unit_test_setup_teardown(states_round_trip_through_the_internal_serde, setup, teardown),
        cmocka_unit_test_setup_teardown(bind_splits_literals_and_reads_rowtime, setup, teardown),
        cmocka_unit_test_setup_teardown(stddev_as_ksqldb, setup, teardown),
        cmocka_unit_test_setup_teardown(correlation_as_ksqldb, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
