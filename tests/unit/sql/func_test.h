/*
 * func_test.h - calling built-in functions with literal arguments through
 * the expression API (sl_sql_expr_call + sl_sql_eval), for the
 * func_*_test.c programs. Everything lives in one arena reset per test.
 */
#ifndef SL_FUNC_TEST_H
#define SL_FUNC_TEST_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "func_int.h"

static sl_arena_t fn_arena;
static char fn_error[256];
static sl_sql_row_t *fn_row; /* the record's value row columns read */

static inline int fn_setup(void **state)
{
    (void)state;
    sl_arena_init(&fn_arena, 0, 0);
    fn_error[0] = '\0';
    fn_row = NULL;
    return 0;
}

static inline int fn_teardown(void **state)
{
    (void)state;
    sl_arena_fini(&fn_arena);
    return 0;
}

static inline sl_sql_expr_t *fn_const(sl_sql_tkind_t kind, sl_sql_datum_t v)
{
    sl_sql_expr_t *e = sl_sql_expr_const(&fn_arena, sl_sql_type_of(kind), &v, "lit");
    assert_non_null(e);
    return e;
}

static inline sl_sql_expr_t *fn_str(const char *s)
{
    return fn_const(SL_SQL_T_STRING, sl_sql_string(s, (uint32_t)strlen(s)));
}

static inline sl_sql_expr_t *fn_int(int32_t v)
{
    return fn_const(SL_SQL_T_INT, sl_sql_int(v));
}

static inline sl_sql_expr_t *fn_bigint(int64_t v)
{
    return fn_const(SL_SQL_T_BIGINT, sl_sql_bigint(v));
}

static inline sl_sql_expr_t *fn_double(double v)
{
    return fn_const(SL_SQL_T_DOUBLE, sl_sql_double(v));
}

static inline sl_sql_expr_t *fn_timestamp(int64_t ms)
{
    sl_sql_datum_t d = sl_sql_bigint(ms);
    d.kind = SL_SQL_T_TIMESTAMP;
    return fn_const(SL_SQL_T_TIMESTAMP, d);
}

/* Sets the value row of the record calls are evaluated against. */
static inline void fn_set_row(uint32_t n, ...)
{
    fn_row = sl_sql_row_new(&fn_arena, n);
    assert_non_null(fn_row);
    va_list ap;
    va_start(ap, n);
    for (uint32_t i = 0; i < n; i++)
        fn_row->cols[i] = va_arg(ap, sl_sql_datum_t);
    va_end(ap);
}

/* Column i of the value row (not a literal: nothing is prepared for it). */
static inline sl_sql_expr_t *fn_col(uint32_t i, sl_sql_tkind_t kind)
{
    sl_sql_expr_t *e = sl_sql_expr_column(&fn_arena, SL_SQL_COL_VALUE, i, sl_sql_type_of(kind), "COL");
    assert_non_null(e);
    return e;
}

/* A typed NULL (a column's NULL rather than a bare NULL literal). */
static inline sl_sql_expr_t *fn_null_of(const sl_sql_type_t *t)
{
    sl_sql_datum_t d = sl_sql_null();
    sl_sql_expr_t *e = sl_sql_expr_const(&fn_arena, t, &d, "NULL");
    assert_non_null(e);
    return e;
}

static inline sl_sql_expr_t *fn_null_str(void) { return fn_null_of(sl_sql_type_of(SL_SQL_T_STRING)); }
static inline sl_sql_expr_t *fn_null_int(void) { return fn_null_of(sl_sql_type_of(SL_SQL_T_INT)); }
static inline sl_sql_expr_t *fn_null_bigint(void) { return fn_null_of(sl_sql_type_of(SL_SQL_T_BIGINT)); }
static inline sl_sql_expr_t *fn_null_double(void) { return fn_null_of(sl_sql_type_of(SL_SQL_T_DOUBLE)); }
static inline sl_sql_expr_t *fn_null_timestamp(void) { return fn_null_of(sl_sql_type_of(SL_SQL_T_TIMESTAMP)); }

/* DECIMAL(precision, scale) with unscaled value v. */
static inline sl_sql_expr_t *fn_decimal(int precision, int scale, int64_t v)
{
    sl_sql_datum_t d = {0};
    d.kind = SL_SQL_T_DECIMAL;
    d.scale = (uint8_t)scale;
    d.u.dec = v;
    sl_sql_expr_t *e = sl_sql_expr_const(&fn_arena, sl_sql_type_decimal(&fn_arena, precision, scale), &d, "dec");
    assert_non_null(e);
    return e;
}

/* A constant array of the items' type (n >= 1; items all of one type). */
static inline sl_sql_expr_t *fn_array(uint32_t n, ...)
{
    sl_sql_expr_t **items = sl_arena_calloc(&fn_arena, n, sizeof *items);
    va_list ap;
    va_start(ap, n);
    for (uint32_t i = 0; i < n; i++)
        items[i] = va_arg(ap, sl_sql_expr_t *);
    va_end(ap);
    char err[256];
    sl_sql_expr_t *e = sl_sql_expr_array(&fn_arena, items, n, err, sizeof err);
    if (!e)
        fail_msg("array: %s", err);
    return e;
}

/* MAP(k0 := v0, ...) from n_pairs key/value expressions. */
static inline sl_sql_expr_t *fn_map(uint32_t n_pairs, ...)
{
    sl_sql_expr_t **kv = sl_arena_calloc(&fn_arena, 2 * n_pairs, sizeof *kv);
    va_list ap;
    va_start(ap, n_pairs);
    for (uint32_t i = 0; i < 2 * n_pairs; i++)
        kv[i] = va_arg(ap, sl_sql_expr_t *);
    va_end(ap);
    char err[256];
    sl_sql_expr_t *e = sl_sql_expr_map(&fn_arena, kv, n_pairs, err, sizeof err);
    if (!e)
        fail_msg("map: %s", err);
    return e;
}

/* Binds name(args) (NULL and the error in fn_error when refused). */
static inline sl_sql_expr_t *fn_bind_v(const char *name, uint32_t n, va_list ap)
{
    sl_sql_expr_t **args = sl_arena_calloc(&fn_arena, n ? n : 1, sizeof *args);
    for (uint32_t i = 0; i < n; i++)
        args[i] = va_arg(ap, sl_sql_expr_t *);
    fn_error[0] = '\0';
    return sl_sql_expr_call(&fn_arena, name, args, n, fn_error, sizeof fn_error);
}

static inline sl_sql_datum_t fn_eval(const sl_sql_expr_t *e)
{
    sl_sql_eval_t cx;
    sl_sql_eval_init(&cx, &fn_arena, NULL, fn_row);
    sl_sql_datum_t out;
    sl_sql_eval(e, &cx, &out);
    snprintf(fn_error, sizeof fn_error, "%s", cx.error);
    return out;
}

static inline sl_sql_datum_t fn_call_v(const char *name, uint32_t n, va_list ap)
{
    sl_sql_expr_t *e = fn_bind_v(name, n, ap);
    if (!e)
        fail_msg("%s: %s", name, fn_error);
    return fn_eval(e);
}

/* The value of name(args...) (args are n sl_sql_expr_t *). */
static inline sl_sql_datum_t fn_call(const char *name, uint32_t n, ...)
{
    va_list ap;
    va_start(ap, n);
    sl_sql_datum_t d = fn_call_v(name, n, ap);
    va_end(ap);
    return d;
}

/* The last runtime (or bind) error sentence. */
static inline const char *fn_last_error(void)
{
    return fn_error;
}

static inline void fn_expect_str(const char *name, const char *want, uint32_t n, ...)
{
    va_list ap;
    va_start(ap, n);
    sl_sql_datum_t d = fn_call_v(name, n, ap);
    va_end(ap);
    if (d.kind != SL_SQL_T_STRING)
        fail_msg("%s: kind %d, want the string '%s' (error: %s)", name, d.kind, want, fn_error);
    if (d.u.s.len != strlen(want) || memcmp(d.u.s.ptr, want, d.u.s.len) != 0)
        fail_msg("%s: got '%.*s', want '%s'", name, (int)d.u.s.len, d.u.s.ptr, want);
}

/* INT, BIGINT or TIMESTAMP results. */
static inline void fn_expect_i64(const char *name, int64_t want, uint32_t n, ...)
{
    va_list ap;
    va_start(ap, n);
    sl_sql_datum_t d = fn_call_v(name, n, ap);
    va_end(ap);
    int64_t got;
    if (d.kind == SL_SQL_T_INT)
        got = d.u.i32;
    else if (d.kind == SL_SQL_T_BIGINT || d.kind == SL_SQL_T_TIMESTAMP)
        got = d.u.i64;
    else
        fail_msg("%s: kind %d, want the integer %lld (error: %s)", name, d.kind, (long long)want, fn_error);
    if (got != want)
        fail_msg("%s: got %lld, want %lld", name, (long long)got, (long long)want);
}

static inline void fn_expect_double(const char *name, double want, uint32_t n, ...)
{
    va_list ap;
    va_start(ap, n);
    sl_sql_datum_t d = fn_call_v(name, n, ap);
    va_end(ap);
    if (d.kind != SL_SQL_T_DOUBLE)
        fail_msg("%s: kind %d, want the double %.17g (error: %s)", name, d.kind, want, fn_error);
    if (d.u.f64 != want)
        fail_msg("%s: got %.17g, want %.17g", name, d.u.f64, want);
}

static inline void fn_expect_bool(const char *name, bool want, uint32_t n, ...)
{
    va_list ap;
    va_start(ap, n);
    sl_sql_datum_t d = fn_call_v(name, n, ap);
    va_end(ap);
    if (d.kind != SL_SQL_T_BOOLEAN || d.u.b != want)
        fail_msg("%s: kind %d value %d, want %d", name, d.kind, d.u.b, want);
}

static inline void fn_expect_null(const char *name, uint32_t n, ...)
{
    va_list ap;
    va_start(ap, n);
    sl_sql_datum_t d = fn_call_v(name, n, ap);
    va_end(ap);
    if (d.kind != SL_SQL_T_NULL)
        fail_msg("%s: kind %d, want NULL", name, d.kind);
}

/* A DECIMAL result: its unscaled value and scale. */
static inline void fn_expect_decimal(const char *name, int64_t unscaled, int scale, uint32_t n, ...)
{
    va_list ap;
    va_start(ap, n);
    sl_sql_datum_t d = fn_call_v(name, n, ap);
    va_end(ap);
    if (d.kind != SL_SQL_T_DECIMAL)
        fail_msg("%s: kind %d, want a DECIMAL (error: %s)", name, d.kind, fn_error);
    if (d.u.dec != unscaled || d.scale != scale)
        fail_msg("%s: got %lld scale %d, want %lld scale %d", name, (long long)d.u.dec, d.scale,
                 (long long)unscaled, scale);
}

/* name(args) must be refused at bind time with an error containing want. */
static inline void fn_expect_bind_error(const char *name, const char *want, uint32_t n, ...)
{
    va_list ap;
    va_start(ap, n);
    sl_sql_expr_t *e = fn_bind_v(name, n, ap);
    va_end(ap);
    if (e)
        fail_msg("%s: bound, want the error '%s'", name, want);
    if (!strstr(fn_error, want))
        fail_msg("%s: error '%s', want '%s'", name, fn_error, want);
}

/* The result type of name(args), as ksqlDB spells it. */
static inline const char *fn_type_of(const char *name, uint32_t n, ...)
{
    va_list ap;
    va_start(ap, n);
    sl_sql_expr_t *e = fn_bind_v(name, n, ap);
    va_end(ap);
    if (!e)
        fail_msg("%s: %s", name, fn_error);
    static char buf[128];
    return sl_sql_type_str(e->type, buf, sizeof buf);
}

/* Checks an ARRAY<STRING> result against want[0..n). */
static inline void fn_check_str_array(const char *what, sl_sql_datum_t d, uint32_t n, const char *const *want)
{
    if (d.kind != SL_SQL_T_ARRAY)
        fail_msg("%s: kind %d, want an array (error: %s)", what, d.kind, fn_error);
    if (d.u.a.n != n)
        fail_msg("%s: %u elements, want %u", what, d.u.a.n, n);
    for (uint32_t i = 0; i < n; i++) {
        const sl_sql_datum_t *it = &d.u.a.items[i];
        if (it->kind != SL_SQL_T_STRING || it->u.s.len != strlen(want[i]) ||
            memcmp(it->u.s.ptr, want[i], it->u.s.len) != 0)
            fail_msg("%s: element %u is '%.*s', want '%s'", what, i, (int)it->u.s.len, it->u.s.ptr, want[i]);
    }
}

#endif
