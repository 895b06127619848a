/*
 * expr.c - typed expression nodes: each constructor checks its operands'
 * types with ksqlDB's rules, wraps operands in the implicit casts ksqlDB
 * inserts (INT -> BIGINT -> DECIMAL -> DOUBLE, a string compared with a
 * TIMESTAMP/DATE/TIME read as one), gives the result type and the node's
 * SQL text, or fails with ksqlDB's sentence.
 *
 * A node whose operands are all constants is evaluated once here and
 * becomes a constant (its text stays what was written) unless that
 * evaluation fails: then the failure is left to happen per record, where
 * it gives NULL and a processing-log entry as in ksqlDB. Calls of RANDOM,
 * UUID and the argument-less clock functions are never folded.
 *
 * A CALL node keeps the index of the chosen overload in `index`.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "expr_int.h"

#define TN 160 /* room for a type's name in a sentence */

static void *fail(char *err, size_t errlen, const char *fmt, ...) SL_PRINTF(3, 4);
static void *fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return NULL;
}

static void *oom(char *err, size_t errlen)
{
    return fail(err, errlen, "out of memory");
}

/* A NUL-terminated string from fmt in arena. */
static char *astr(sl_arena_t *arena, const char *fmt, ...) SL_PRINTF(2, 3);
static char *astr(sl_arena_t *arena, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = sl_arena_alloc(arena, (size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

static const char *tname(const sl_sql_type_t *t, char *buf)
{
    if (!t || t->kind == SL_SQL_T_NULL)
        return "null";
    return sl_sql_type_str(t, buf, TN);
}

static const sl_sql_type_t *prim(sl_sql_tkind_t k)
{
    return sl_sql_type_of(k);
}

static bool is_null_type(const sl_sql_type_t *t)
{
    return !t || t->kind == SL_SQL_T_NULL;
}

static sl_sql_expr_t *node(sl_arena_t *arena, sl_sql_ekind_t kind, const sl_sql_type_t *type, uint32_t n_args)
{
    sl_sql_expr_t *e = sl_arena_zalloc(arena, sizeof *e);
    if (!e)
        return NULL;
    e->kind = kind;
    e->type = type;
    e->n_args = n_args;
    if (n_args) {
        e->args = sl_arena_calloc(arena, n_args, sizeof *e->args);
        if (!e->args)
            return NULL;
    }
    return e;
}

/* --- Constant folding ------------------------------------------------------- */

static bool volatile_call(const sl_sql_expr_t *e)
{
    static const char *const names[] = {"RANDOM", "UUID", "UNIX_TIMESTAMP", "UNIX_DATE", "NOW"};
    if (e->kind != SL_SQL_E_CALL || !e->func)
        return false;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(e->func->name, names[i]) == 0)
            return true;
    return false;
}

bool sl_sql_expr_is_constant(const sl_sql_expr_t *e)
{
    if (e->kind == SL_SQL_E_CONST)
        return true;
    /* A lambda is applied by its function, never folded on its own (nor
     * the call: its body reads the parameters). */
    if (e->kind == SL_SQL_E_COLUMN || e->kind == SL_SQL_E_LAMBDA || volatile_call(e))
        return false;
    for (uint32_t i = 0; i < e->n_args; i++)
        if (!sl_sql_expr_is_constant(e->args[i]))
            return false;
    return true;
}

static sl_sql_expr_t *fold(sl_arena_t *arena, sl_sql_expr_t *e)
{
    if (!e || e->kind == SL_SQL_E_CONST || e->kind == SL_SQL_E_COLUMN || e->kind == SL_SQL_E_LAMBDA ||
        volatile_call(e))
        return e;
    for (uint32_t i = 0; i < e->n_args; i++)
        if (e->args[i]->kind != SL_SQL_E_CONST)
            return e;
    sl_sql_eval_t cx;
    sl_sql_eval_init(&cx, arena, NULL, NULL);
    sl_sql_datum_t v;
    sl_sql_eval(e, &cx, &v);
    if (cx.error[0])
        return e; /* fails per record, as ksqlDB does */
    e->kind = SL_SQL_E_CONST;
    e->value = v;
    e->args = NULL;
    e->n_args = 0;
    e->func = NULL;
    e->state = NULL;
    return e;
}

/* --- Leaves ----------------------------------------------------------------- */

sl_sql_expr_t *sl_sql_expr_const(sl_arena_t *arena, const sl_sql_type_t *type, const sl_sql_datum_t *value,
                                 const char *text)
{
    sl_sql_expr_t *e = node(arena, SL_SQL_E_CONST, type ? type : prim(SL_SQL_T_NULL), 0);
    if (!e || sl_sql_datum_copy(arena, value, &e->value) != SL_OK)
        return NULL;
    e->text = sl_arena_strndup(arena, text ? text : "", text ? strlen(text) : 0);
    return e->text ? e : NULL;
}

sl_sql_expr_t *sl_sql_expr_column(sl_arena_t *arena, sl_sql_colsrc_t src, uint32_t index,
                                  const sl_sql_type_t *type, const char *text)
{
    sl_sql_expr_t *e = node(arena, SL_SQL_E_COLUMN, type, 0);
    if (!e)
        return NULL;
    e->src = src;
    e->index = index;
    e->text = sl_arena_strndup(arena, text ? text : "", text ? strlen(text) : 0);
    return e->text ? e : NULL;
}

sl_sql_expr_t *sl_sql_expr_lambda(sl_arena_t *arena, sl_sql_expr_t *body, uint32_t first, uint32_t n_vars,
                                  const char *text, char *err, size_t errlen)
{
    if (!body || n_vars == 0 || first > SL_SQL_LAMBDA_VARS || n_vars > SL_SQL_LAMBDA_VARS - first)
        return fail(err, errlen, "a lambda needs 1 to %d parameters in all, nested ones included",
                    SL_SQL_LAMBDA_VARS);
    sl_sql_expr_t *e = node(arena, SL_SQL_E_LAMBDA, body->type, 1);
    if (!e)
        return oom(err, errlen);
    e->args[0] = body;
    e->index = first;
    e->n_vars = n_vars;
    e->text = sl_arena_strndup(arena, text ? text : "", text ? strlen(text) : 0);
    return e->text ? e : oom(err, errlen);
}

/* The literal's SQL text: strings quoted with '' doubled. */
static char *quote(sl_arena_t *arena, const char *s, size_t n)
{
    size_t q = 0;
    for (size_t i = 0; i < n; i++)
        q += s[i] == '\'';
    char *p = sl_arena_alloc(arena, n + q + 3);
    if (!p)
        return NULL;
    size_t j = 0;
    p[j++] = '\'';
    for (size_t i = 0; i < n; i++) {
        p[j++] = s[i];
        if (s[i] == '\'')
            p[j++] = '\'';
    }
    p[j++] = '\'';
    p[j] = 0;
    return p;
}

/* d's text in arena (numbers as ksqlDB prints them). */
static char *datum_text(sl_arena_t *arena, const sl_sql_datum_t *d, const sl_sql_type_t *t)
{
    sl_buf_t b = SL_BUF_INIT;
    sl_sql_datum_format(d, t, &b);
    char *p = b.err ? NULL : sl_arena_strndup(arena, b.data ? (const char *)b.data : "", b.len);
    sl_buf_free(&b);
    return p;
}

sl_sql_expr_t *sl_sql_expr_literal(sl_arena_t *arena, const sl_sql_ast_expr_t *lit, char *err, size_t errlen)
{
    sl_sql_datum_t d = sl_sql_null();
    const sl_sql_type_t *t = NULL;
    const char *s = lit->text ? lit->text : "";
    size_t n = lit->kind == SL_SQL_A_STRING ? lit->len : strlen(s);
    switch (lit->kind) {
    case SL_SQL_A_NULL:
        t = prim(SL_SQL_T_NULL);
        break;
    case SL_SQL_A_BOOL:
        t = prim(SL_SQL_T_BOOLEAN);
        d = sl_sql_bool(lit->bval);
        break;
    case SL_SQL_A_STRING: {
        t = prim(SL_SQL_T_STRING);
        char *p = sl_arena_memdup(arena, s, n ? n : 1);
        if (!p)
            return oom(err, errlen);
        d = sl_sql_string(p, (uint32_t)n);
        sl_sql_expr_t *e = node(arena, SL_SQL_E_CONST, t, 0);
        if (!e || !(e->text = quote(arena, s, n)))
            return oom(err, errlen);
        e->value = d;
        return e;
    }
    case SL_SQL_A_INT: {
        sl_sql_i128_t v;
        if (sl_sql_dec_read(s, n, 38, 0, &v) != SL_OK)
            return fail(err, errlen, "Invalid numeric literal: %s", s);
        if (v >= INT32_MIN && v <= INT32_MAX) {
            t = prim(SL_SQL_T_INT);
            d = sl_sql_int((int32_t)v);
        } else if (v >= INT64_MIN && v <= INT64_MAX) {
            t = prim(SL_SQL_T_BIGINT);
            d = sl_sql_bigint((int64_t)v);
        } else {
            int digits = 0;
            for (sl_sql_i128_t x = v; x; x /= 10)
                digits++;
            t = sl_sql_type_decimal(arena, digits, 0);
            d.kind = SL_SQL_T_DECIMAL;
            d.u.dec = v;
        }
        break;
    }
    case SL_SQL_A_DECIMAL: {
        /* DECIMAL(precision, scale) of the literal as written: scale is the
         * digits after the point, precision the significant digits (at
         * least the scale, as BigDecimal's for "0.05" is 1). */
        int scale = 0, sig = 0;
        bool point = false, lead = true;
        size_t i0 = n && (s[0] == '-' || s[0] == '+') ? 1 : 0; /* the parser folds a minus in */
        for (size_t i = i0; i < n; i++) {
            char c = s[i];
            if (c == '.') {
                point = true;
                continue;
            }
            if (c < '0' || c > '9')
                break;
            if (point)
                scale++;
            if (c != '0' || !lead) {
                lead = false;
                sig++;
            }
        }
        int precision = sig > scale ? sig : scale;
        if (precision == scale && sig == 0)
            precision = scale + 1; /* zero: one digit before the point */
        if (precision < 1)
            precision = 1;
        if (precision > 38)
            return fail(err, errlen, "DECIMAL precision must be between 1 and 38: %s", s);
        t = sl_sql_type_decimal(arena, precision, scale);
        d.kind = SL_SQL_T_DECIMAL;
        d.scale = (uint8_t)scale;
        if (!t || sl_sql_dec_read(s, n, precision, scale, &d.u.dec) != SL_OK)
            return fail(err, errlen, "Invalid decimal literal: %s", s);
        break;
    }
    case SL_SQL_A_DOUBLE: {
        char *end;
        double x = strtod(s, &end);
        if (end == s)
            return fail(err, errlen, "Invalid numeric literal: %s", s);
        t = prim(SL_SQL_T_DOUBLE);
        d = sl_sql_double(x);
        break;
    }
    default:
        return fail(err, errlen, "Not a literal");
    }
    sl_sql_expr_t *e = node(arena, SL_SQL_E_CONST, t, 0);
    if (!e)
        return oom(err, errlen);
    e->value = d;
    e->text = lit->kind == SL_SQL_A_NULL ? "null" : datum_text(arena, &d, t);
    return e->text ? e : oom(err, errlen);
}

/* --- Implicit casts and common types ---------------------------------------- */

/* e as type to: itself when it already is; a NULL constant retyped; else a
 * CAST node that reads as e does. */
static sl_sql_expr_t *coerce(sl_arena_t *arena, sl_sql_expr_t *e, const sl_sql_type_t *to)
{
    if (!e || sl_sql_type_equal(e->type, to))
        return e;
    if (e->kind == SL_SQL_E_CONST && e->value.kind == SL_SQL_T_NULL) {
        sl_sql_expr_t *c = node(arena, SL_SQL_E_CONST, to, 0);
        if (!c)
            return NULL;
        c->text = e->text;
        return c;
    }
    sl_sql_expr_t *c = node(arena, SL_SQL_E_CAST, to, 1);
    if (!c)
        return NULL;
    c->args[0] = e;
    c->text = e->text;
    return fold(arena, c);
}

/* INT and BIGINT as the DECIMAL that holds them (ksqlDB's upcasts). */
static const sl_sql_type_t *as_decimal(sl_arena_t *arena, const sl_sql_type_t *t)
{
    switch (t->kind) {
    case SL_SQL_T_INT:
        return sl_sql_type_decimal(arena, 10, 0);
    case SL_SQL_T_BIGINT:
        return sl_sql_type_decimal(arena, 19, 0);
    default:
        return t;
    }
}

static const sl_sql_type_t *decimal_capped(sl_arena_t *arena, int p, int s)
{
    if (p > 38) { /* keep the integer digits, give up scale (not below 6) */
        int keep = 38 - (p - s), min_s = s < 6 ? s : 6;
        s = keep > min_s ? keep : min_s;
        p = 38;
    }
    if (s > p)
        s = p;
    if (s < 0)
        s = 0;
    return sl_sql_type_decimal(arena, p, s);
}

/* The numeric type both a and b widen to. */
static const sl_sql_type_t *num_common(sl_arena_t *arena, const sl_sql_type_t *a, const sl_sql_type_t *b)
{
    int ra = sl_sql_numeric_rank(a), rb = sl_sql_numeric_rank(b);
    if (ra == 4 || rb == 4)
        return prim(SL_SQL_T_DOUBLE);
    if (ra == 3 || rb == 3) {
        const sl_sql_type_t *x = as_decimal(arena, a), *y = as_decimal(arena, b);
        if (!x || !y)
            return NULL;
        int whole = x->precision - x->scale > y->precision - y->scale ? x->precision - x->scale
                                                                      : y->precision - y->scale;
        int scale = x->scale > y->scale ? x->scale : y->scale;
        return decimal_capped(arena, whole + scale, scale);
    }
    return ra >= rb ? a : b;
}

/* The type values of a and b can both take (CASE branches, ARRAY items,
 * IN lists); NULL when none. A NULL type gives way to the other. */
static const sl_sql_type_t *common_type(sl_arena_t *arena, const sl_sql_type_t *a, const sl_sql_type_t *b)
{
    if (is_null_type(a))
        return b;
    if (is_null_type(b))
        return a;
    if (sl_sql_numeric_rank(a) && sl_sql_numeric_rank(b))
        return num_common(arena, a, b);
    if (sl_sql_type_equal(a, b))
        return a;
    if (a->kind == SL_SQL_T_ARRAY && b->kind == SL_SQL_T_ARRAY) {
        const sl_sql_type_t *e = common_type(arena, a->elem, b->elem);
        return e ? sl_sql_type_array(arena, e) : NULL;
    }
    if (a->kind == SL_SQL_T_MAP && b->kind == SL_SQL_T_MAP) {
        const sl_sql_type_t *k = common_type(arena, a->key, b->key), *v = common_type(arena, a->elem, b->elem);
        return k && v ? sl_sql_type_map(arena, k, v) : NULL;
    }
    return NULL;
}

static bool is_time(const sl_sql_type_t *t)
{
    return t->kind == SL_SQL_T_TIMESTAMP || t->kind == SL_SQL_T_DATE || t->kind == SL_SQL_T_TIME;
}

static bool is_equality(sl_sql_op_t op)
{
    return op == SL_SQL_OP_EQ || op == SL_SQL_OP_NE || op == SL_SQL_OP_DISTINCT || op == SL_SQL_OP_NOT_DISTINCT;
}

/* The type a and b are compared as (ksqlDB's ComparisonUtil), or NULL. */
static const sl_sql_type_t *cmp_type(sl_arena_t *arena, sl_sql_op_t op, const sl_sql_type_t *a,
                                     const sl_sql_type_t *b)
{
    if (sl_sql_numeric_rank(a) && sl_sql_numeric_rank(b))
        return num_common(arena, a, b);
    switch (a->kind) {
    case SL_SQL_T_STRING:
        if (b->kind == SL_SQL_T_STRING)
            return a;
        return is_time(b) ? b : NULL;
    case SL_SQL_T_BOOLEAN:
        return b->kind == SL_SQL_T_BOOLEAN && is_equality(op) ? a : NULL;
    case SL_SQL_T_ARRAY:
    case SL_SQL_T_MAP:
    case SL_SQL_T_STRUCT:
        return is_equality(op) && a->kind == b->kind ? common_type(arena, a, b) : NULL;
    case SL_SQL_T_TIME:
        return b->kind == SL_SQL_T_TIME || b->kind == SL_SQL_T_STRING ? a : NULL;
    case SL_SQL_T_DATE:
    case SL_SQL_T_TIMESTAMP:
        if (b->kind == SL_SQL_T_STRING || b->kind == a->kind)
            return a;
        if (b->kind == SL_SQL_T_DATE || b->kind == SL_SQL_T_TIMESTAMP)
            return prim(SL_SQL_T_TIMESTAMP);
        return NULL;
    case SL_SQL_T_BYTES:
        return b->kind == SL_SQL_T_BYTES ? a : NULL;
    default:
        return NULL;
    }
}

static const char *op_symbol(sl_sql_op_t op)
{
    switch (op) {
    case SL_SQL_OP_ADD:
        return "+";
    case SL_SQL_OP_SUB:
        return "-";
    case SL_SQL_OP_MUL:
        return "*";
    case SL_SQL_OP_DIV:
        return "/";
    case SL_SQL_OP_MOD:
        return "%";
    case SL_SQL_OP_CONCAT:
        return "||";
    case SL_SQL_OP_EQ:
        return "=";
    case SL_SQL_OP_NE:
        return "<>";
    case SL_SQL_OP_LT:
        return "<";
    case SL_SQL_OP_LE:
        return "<=";
    case SL_SQL_OP_GT:
        return ">";
    case SL_SQL_OP_GE:
        return ">=";
    case SL_SQL_OP_AND:
        return "AND";
    case SL_SQL_OP_OR:
        return "OR";
    case SL_SQL_OP_DISTINCT:
        return "IS DISTINCT FROM";
    case SL_SQL_OP_NOT_DISTINCT:
        return "IS NOT DISTINCT FROM";
    default:
        return "?";
    }
}

/* ksqlDB's names of the comparison operators in its sentences. */
static const char *op_name(sl_sql_op_t op)
{
    switch (op) {
    case SL_SQL_OP_EQ:
        return "EQUAL";
    case SL_SQL_OP_NE:
        return "NOT_EQUAL";
    case SL_SQL_OP_LT:
        return "LESS_THAN";
    case SL_SQL_OP_LE:
        return "LESS_THAN_OR_EQUAL";
    case SL_SQL_OP_GT:
        return "GREATER_THAN";
    case SL_SQL_OP_GE:
        return "GREATER_THAN_OR_EQUAL";
    case SL_SQL_OP_DISTINCT:
        return "IS_DISTINCT_FROM";
    case SL_SQL_OP_NOT_DISTINCT:
        return "IS_NOT_DISTINCT_FROM";
    default:
        return "?";
    }
}

/* The base type's name as ksqlDB's SqlBaseType spells it. */
static const char *base_name(const sl_sql_type_t *t)
{
    static const char *const names[SL_SQL_T_COUNT_] = {
        "NULL", "BOOLEAN", "INTEGER", "BIGINT", "DOUBLE", "DECIMAL", "STRING",
        "BYTES", "TIMESTAMP", "DATE", "TIME", "ARRAY", "MAP", "STRUCT",
    };
    return t && (unsigned)t->kind < SL_SQL_T_COUNT_ ? names[t->kind] : "NULL";
}

/* --- Operators ---------------------------------------------------------------- */

static bool time_pseudo(const sl_sql_expr_t *e)
{
    return e->kind == SL_SQL_E_COLUMN && e->src == SL_SQL_COL_PSEUDO &&
           (e->index == SL_SQL_PSEUDO_ROWTIME || e->index == SL_SQL_PSEUDO_WINDOWSTART ||
            e->index == SL_SQL_PSEUDO_WINDOWEND);
}

/* ksqlDB reads a string literal compared with ROWTIME, WINDOWSTART or
 * WINDOWEND (BIGINT ms) as a timestamp: lit becomes that BIGINT constant.
 * lit is returned unchanged when the rule does not apply; NULL with err
 * when the string is not a timestamp. */
static sl_sql_expr_t *pseudo_time_literal(sl_arena_t *arena, const sl_sql_expr_t *col, sl_sql_expr_t *lit,
                                          char *err, size_t errlen)
{
    if (!time_pseudo(col) || lit->kind != SL_SQL_E_CONST || lit->value.kind != SL_SQL_T_STRING)
        return lit;
    int64_t ms;
    if (sl_sql_ts_parse(lit->value.u.s.ptr, lit->value.u.s.len, &ms) != SL_OK)
        return fail(err, errlen, "Failed to parse timestamp %s. Required format is: \"yyyy-MM-dd'T'HH:mm:ss.SSS\"",
                    lit->text);
    sl_sql_datum_t v = sl_sql_bigint(ms);
    return sl_sql_expr_const(arena, prim(SL_SQL_T_BIGINT), &v, lit->text);
}

static sl_sql_expr_t *comparison(sl_arena_t *arena, sl_sql_op_t op, sl_sql_expr_t *a, sl_sql_expr_t *b, char *err,
                                 size_t errlen)
{
    char t1[TN], t2[TN];
    if (!(b = pseudo_time_literal(arena, a, b, err, errlen)) || !(a = pseudo_time_literal(arena, b, a, err, errlen)))
        return NULL;
    if (is_null_type(a->type) || is_null_type(b->type))
        return fail(err, errlen, "Comparison with NULL not supported: %s %s %s\nUse 'IS NULL' or 'IS NOT NULL' instead.",
                    base_name(a->type), op_symbol(op), base_name(b->type));
    const sl_sql_type_t *t = cmp_type(arena, op, a->type, b->type);
    if (!t)
        return fail(err, errlen, "Cannot compare %s (%s) to %s (%s) with %s.", a->text, tname(a->type, t1), b->text,
                    tname(b->type, t2), op_name(op));
    sl_sql_expr_t *e = node(arena, SL_SQL_E_CMP, prim(SL_SQL_T_BOOLEAN), 2);
    if (!e || !(e->args[0] = coerce(arena, a, t)) || !(e->args[1] = coerce(arena, b, t)) ||
        !(e->text = astr(arena, "(%s %s %s)", a->text, op_symbol(op), b->text)))
        return oom(err, errlen);
    e->op = op;
    return fold(arena, e);
}

/* ksqlDB's result types of + - * / % on two DECIMALs. */
static const sl_sql_type_t *decimal_op(sl_arena_t *arena, sl_sql_op_t op, const sl_sql_type_t *l,
                                       const sl_sql_type_t *r)
{
    int lp = l->precision, ls = l->scale, rp = r->precision, rs = r->scale, p, s;
    int lw = lp - ls, rw = rp - rs;
    switch (op) {
    case SL_SQL_OP_ADD:
    case SL_SQL_OP_SUB:
        s = ls > rs ? ls : rs;
        p = s + (lw > rw ? lw : rw) + 1;
        break;
    case SL_SQL_OP_MUL:
        p = lp + rp + 1;
        s = ls + rs;
        break;
    case SL_SQL_OP_DIV:
        s = ls + rp + 1 > 6 ? ls + rp + 1 : 6;
        p = lp - ls + rs + s;
        break;
    default: /* MOD */
        s = ls > rs ? ls : rs;
        p = (lw < rw ? lw : rw) + s;
        break;
    }
    if (p < 1)
        p = 1;
    return decimal_capped(arena, p, s);
}

static sl_sql_expr_t *concat(sl_arena_t *arena, sl_sql_op_t op, sl_sql_expr_t *a, sl_sql_expr_t *b, char *err,
                             size_t errlen)
{
    const sl_sql_type_t *S = prim(SL_SQL_T_STRING);
    sl_sql_expr_t *e = node(arena, SL_SQL_E_CONCAT, S, 2);
    if (!e || !(e->args[0] = coerce(arena, a, S)) || !(e->args[1] = coerce(arena, b, S)) ||
        !(e->text = astr(arena, "(%s %s %s)", a->text, op_symbol(op), b->text)))
        return oom(err, errlen);
    e->op = op;
    return fold(arena, e);
}

static sl_sql_expr_t *arithmetic(sl_arena_t *arena, sl_sql_op_t op, sl_sql_expr_t *a, sl_sql_expr_t *b, char *err,
                                 size_t errlen)
{
    char t1[TN], t2[TN];
    if (is_null_type(a->type) || is_null_type(b->type))
        return fail(err, errlen, "Arithmetic on types %s and %s are not supported.", tname(a->type, t1),
                    tname(b->type, t2));
    if (op == SL_SQL_OP_ADD && a->type->kind == SL_SQL_T_STRING && b->type->kind == SL_SQL_T_STRING)
        return concat(arena, op, a, b, err, errlen);
    if (!sl_sql_numeric_rank(a->type) || !sl_sql_numeric_rank(b->type))
        return fail(err, errlen, "Unsupported arithmetic types. %s %s", base_name(a->type), base_name(b->type));
    const sl_sql_type_t *t = num_common(arena, a->type, b->type);
    sl_sql_expr_t *x = a, *y = b;
    if (t && t->kind == SL_SQL_T_DECIMAL) {
        /* each side as its own DECIMAL; the result type by ksqlDB's rules */
        const sl_sql_type_t *da = as_decimal(arena, a->type), *db = as_decimal(arena, b->type);
        if (!da || !db)
            return oom(err, errlen);
        t = decimal_op(arena, op, da, db);
        x = coerce(arena, a, da);
        y = coerce(arena, b, db);
    } else if (t) {
        x = coerce(arena, a, t);
        y = coerce(arena, b, t);
    }
    sl_sql_expr_t *e = t ? node(arena, SL_SQL_E_ARITH, t, 2) : NULL;
    if (!e || !x || !y || !(e->text = astr(arena, "(%s %s %s)", a->text, op_symbol(op), b->text)))
        return oom(err, errlen);
    e->op = op;
    e->args[0] = x;
    e->args[1] = y;
    return fold(arena, e);
}

static sl_sql_expr_t *logical(sl_arena_t *arena, sl_sql_op_t op, sl_sql_expr_t *a, sl_sql_expr_t *b, char *err,
                              size_t errlen)
{
    char t1[TN], t2[TN];
    const sl_sql_type_t *B = prim(SL_SQL_T_BOOLEAN);
    if ((!is_null_type(a->type) && a->type->kind != SL_SQL_T_BOOLEAN) ||
        (!is_null_type(b->type) && b->type->kind != SL_SQL_T_BOOLEAN))
        return fail(err, errlen, "Logical binary expects two boolean values.  Actual %s and %s",
                    tname(a->type, t1), tname(b->type, t2));
    sl_sql_expr_t *e = node(arena, op == SL_SQL_OP_AND ? SL_SQL_E_AND : SL_SQL_E_OR, B, 2);
    if (!e || !(e->args[0] = coerce(arena, a, B)) || !(e->args[1] = coerce(arena, b, B)) ||
        !(e->text = astr(arena, "(%s %s %s)", a->text, op_symbol(op), b->text)))
        return oom(err, errlen);
    e->op = op;
    return fold(arena, e);
}

sl_sql_expr_t *sl_sql_expr_binary(sl_arena_t *arena, sl_sql_op_t op, sl_sql_expr_t *a, sl_sql_expr_t *b, char *err,
                                  size_t errlen)
{
    if (!a || !b)
        return fail(err, errlen, "missing operand");
    switch (op) {
    case SL_SQL_OP_ADD:
    case SL_SQL_OP_SUB:
    case SL_SQL_OP_MUL:
    case SL_SQL_OP_DIV:
    case SL_SQL_OP_MOD:
        return arithmetic(arena, op, a, b, err, errlen);
    case SL_SQL_OP_CONCAT: {
        char t1[TN], t2[TN];
        if ((!is_null_type(a->type) && a->type->kind != SL_SQL_T_STRING) ||
            (!is_null_type(b->type) && b->type->kind != SL_SQL_T_STRING))
            return fail(err, errlen, "|| expects two STRING values.  Actual %s and %s", tname(a->type, t1),
                        tname(b->type, t2));
        return concat(arena, op, a, b, err, errlen);
    }
    case SL_SQL_OP_EQ:
    case SL_SQL_OP_NE:
    case SL_SQL_OP_LT:
    case SL_SQL_OP_LE:
    case SL_SQL_OP_GT:
    case SL_SQL_OP_GE:
    case SL_SQL_OP_DISTINCT:
    case SL_SQL_OP_NOT_DISTINCT:
        return comparison(arena, op, a, b, err, errlen);
    case SL_SQL_OP_AND:
    case SL_SQL_OP_OR:
        return logical(arena, op, a, b, err, errlen);
    default:
        return fail(err, errlen, "Unsupported binary operator");
    }
}

sl_sql_expr_t *sl_sql_expr_unary(sl_arena_t *arena, sl_sql_op_t op, sl_sql_expr_t *a, char *err, size_t errlen)
{
    char t1[TN];
    if (!a)
        return fail(err, errlen, "missing operand");
    if (op == SL_SQL_OP_PLUS)
        return a;
    if (op == SL_SQL_OP_NOT) {
        const sl_sql_type_t *B = prim(SL_SQL_T_BOOLEAN);
        if (!is_null_type(a->type) && a->type->kind != SL_SQL_T_BOOLEAN)
            return fail(err, errlen, "Not expression expects a boolean value.  Actual %s", tname(a->type, t1));
        sl_sql_expr_t *e = node(arena, SL_SQL_E_NOT, B, 1);
        if (!e || !(e->args[0] = coerce(arena, a, B)) || !(e->text = astr(arena, "(NOT %s)", a->text)))
            return oom(err, errlen);
        return fold(arena, e);
    }
    if (op == SL_SQL_OP_NEG) {
        if (!sl_sql_numeric_rank(a->type))
            return fail(err, errlen, "Unsupported arithmetic types. %s", base_name(a->type));
        sl_sql_expr_t *e = node(arena, SL_SQL_E_ARITH, a->type, 1);
        if (!e || !(e->text = astr(arena, "-%s", a->text)))
            return oom(err, errlen);
        e->op = SL_SQL_OP_NEG;
        e->args[0] = a;
        return fold(arena, e);
    }
    return sl_sql_expr_binary(arena, op, a, NULL, err, errlen);
}

sl_sql_expr_t *sl_sql_expr_is_null(sl_arena_t *arena, sl_sql_expr_t *a, bool negated, char *err, size_t errlen)
{
    if (!a)
        return fail(err, errlen, "missing operand");
    sl_sql_expr_t *e = node(arena, SL_SQL_E_IS_NULL, prim(SL_SQL_T_BOOLEAN), 1);
    if (!e || !(e->text = astr(arena, negated ? "(%s IS NOT NULL)" : "(%s IS NULL)", a->text)))
        return oom(err, errlen);
    e->args[0] = a;
    e->negated = negated;
    return fold(arena, e);
}

sl_sql_expr_t *sl_sql_expr_like(sl_arena_t *arena, sl_sql_expr_t *a, sl_sql_expr_t *pattern, sl_sql_expr_t *escape,
                                bool negated, char *err, size_t errlen)
{
    char t1[TN], t2[TN];
    const sl_sql_type_t *S = prim(SL_SQL_T_STRING);
    if (!a || !pattern)
        return fail(err, errlen, "missing operand");
    if ((!is_null_type(a->type) && a->type->kind != SL_SQL_T_STRING) ||
        (!is_null_type(pattern->type) && pattern->type->kind != SL_SQL_T_STRING))
        return fail(err, errlen, "LIKE can only be used with STRING values. Got %s LIKE %s.", tname(a->type, t1),
                    tname(pattern->type, t2));
    if (escape && (escape->kind != SL_SQL_E_CONST || escape->value.kind != SL_SQL_T_STRING ||
                   escape->value.u.s.len != 1))
        return fail(err, errlen, "The ESCAPE of LIKE must be a single character: %s", escape->text);
    sl_sql_expr_t *e = node(arena, SL_SQL_E_LIKE, prim(SL_SQL_T_BOOLEAN), escape ? 3 : 2);
    if (!e || !(e->args[0] = coerce(arena, a, S)) || !(e->args[1] = coerce(arena, pattern, S)))
        return oom(err, errlen);
    if (escape)
        e->args[2] = escape;
    e->text = escape ? astr(arena, "(%s %sLIKE %s ESCAPE %s)", a->text, negated ? "NOT " : "", pattern->text,
                            escape->text)
                     : astr(arena, "(%s %sLIKE %s)", a->text, negated ? "NOT " : "", pattern->text);
    if (!e->text)
        return oom(err, errlen);
    e->negated = negated;
    return fold(arena, e);
}

sl_sql_expr_t *sl_sql_expr_between(sl_arena_t *arena, sl_sql_expr_t *a, sl_sql_expr_t *lo, sl_sql_expr_t *hi,
                                   bool negated, char *err, size_t errlen)
{
    char t1[TN], t2[TN];
    if (!a || !lo || !hi)
        return fail(err, errlen, "missing operand");
    if (!(lo = pseudo_time_literal(arena, a, lo, err, errlen)) || !(hi = pseudo_time_literal(arena, a, hi, err, errlen)))
        return NULL;
    const sl_sql_type_t *t = a->type;
    sl_sql_expr_t *bounds[2] = {lo, hi};
    for (int i = 0; i < 2; i++) {
        sl_sql_expr_t *x = bounds[i];
        if (is_null_type(t) || is_null_type(x->type))
            return fail(err, errlen,
                        "Comparison with NULL not supported: %s %s %s\nUse 'IS NULL' or 'IS NOT NULL' instead.",
                        base_name(a->type), i ? "<=" : ">=", base_name(x->type));
        const sl_sql_type_t *c = cmp_type(arena, i ? SL_SQL_OP_LE : SL_SQL_OP_GE, t, x->type);
        if (!c)
            return fail(err, errlen, "Cannot compare %s (%s) to %s (%s) with %s.", a->text, tname(a->type, t1),
                        x->text, tname(x->type, t2), i ? "LESS_THAN_OR_EQUAL" : "GREATER_THAN_OR_EQUAL");
        t = c;
    }
    sl_sql_expr_t *e = node(arena, SL_SQL_E_BETWEEN, prim(SL_SQL_T_BOOLEAN), 3);
    if (!e || !(e->args[0] = coerce(arena, a, t)) || !(e->args[1] = coerce(arena, lo, t)) ||
        !(e->args[2] = coerce(arena, hi, t)) ||
        !(e->text = astr(arena, "(%s %sBETWEEN %s AND %s)", a->text, negated ? "NOT " : "", lo->text, hi->text)))
        return oom(err, errlen);
    e->negated = negated;
    return fold(arena, e);
}

static bool is_string_literal(const sl_sql_expr_t *e)
{
    return e->kind == SL_SQL_E_CONST && e->value.kind == SL_SQL_T_STRING;
}

/* --- Lists: IN, ARRAY and MAP constructors ------------------------------------ *
 * ksqlDB coerces the items of such a list to one type: numbers widen, a
 * string literal reads as the number, boolean or time it spells (when the
 * others are such), a number or boolean literal reads as its text among
 * strings, constructors of the wrong element types are converted element by
 * element; anything else is refused. */

/* The number a string literal spells, typed as ksqlDB types that literal
 * ('10' INTEGER, '4.000' DECIMAL(4, 3), '1e3' DOUBLE); NULL if none. */
static sl_sql_expr_t *number_from_text(sl_arena_t *arena, const sl_sql_expr_t *lit)
{
    const char *p = lit->value.u.s.ptr;
    uint32_t n = lit->value.u.s.len;
    if (!n || n > 100)
        return NULL;
    char *t = sl_arena_strndup(arena, p, n);
    if (!t)
        return NULL;
    sl_sql_ast_expr_t a = {0};
    a.kind = strpbrk(t, "eE") ? SL_SQL_A_DOUBLE : strchr(t, '.') ? SL_SQL_A_DECIMAL : SL_SQL_A_INT;
    a.text = t;
    if (a.kind == SL_SQL_A_DOUBLE) {
        char *end;
        strtod(t, &end);
        if (*end)
            return NULL;
    }
    char why[128];
    sl_sql_expr_t *e = sl_sql_expr_literal(arena, &a, why, sizeof why);
    if (e)
        e->text = lit->text;
    return e;
}

static void *no_operator(const sl_sql_type_t *t, const sl_sql_expr_t *x, char *err, size_t errlen)
{
    char t1[TN], t2[TN];
    return fail(err, errlen, "operator does not exist: %s = %s (%s)\nHint: You might need to add explicit type casts.",
                tname(t, t1), tname(x->type, t2), x->text);
}

static void *bad_input(const sl_sql_type_t *t, const sl_sql_expr_t *lit, char *err, size_t errlen)
{
    return fail(err, errlen, "invalid input syntax for type %s: \"%.*s\".", base_name(t), (int)lit->value.u.s.len,
                lit->value.u.s.ptr);
}

/* The type t and item x widen to in a list, or NULL (no sentence). */
static const sl_sql_type_t *list_widen(sl_arena_t *arena, const sl_sql_type_t *t, const sl_sql_expr_t *x)
{
    if (is_null_type(t))
        return x->type;
    if (sl_sql_numeric_rank(t) && sl_sql_numeric_rank(x->type))
        return num_common(arena, t, x->type);
    if (t->kind == SL_SQL_T_STRING && x->kind == SL_SQL_E_CONST &&
        (sl_sql_numeric_rank(x->type) || x->type->kind == SL_SQL_T_BOOLEAN))
        return t; /* a literal among strings: its text */
    if (t->kind == SL_SQL_T_STRUCT && x->type->kind == SL_SQL_T_STRUCT)
        return t; /* converted field by field */
    const sl_sql_type_t *c = common_type(arena, t, x->type);
    if (!c && t->kind == x->type->kind && (t->kind == SL_SQL_T_ARRAY || t->kind == SL_SQL_T_MAP) &&
        sl_sql_type_castable(x->type, t))
        c = t; /* a constructor of other element types */
    if (!c && is_time(t) && is_time(x->type))
        c = cmp_type(arena, SL_SQL_OP_EQ, t, x->type); /* DATE among TIMESTAMPs */
    return c;
}

/* The type a list's items (v[first], v[first + step], ...) take, starting
 * from t (the IN value's type, or NULL). String literals among numbers or
 * booleans are replaced in v by what they spell. NULL and err when the
 * items do not agree; NULL with err empty when every item is a NULL. */
static const sl_sql_type_t *list_type(sl_arena_t *arena, const sl_sql_type_t *t, sl_sql_expr_t **v, uint32_t n,
                                      uint32_t first, uint32_t step, char *err, size_t errlen)
{
    err[0] = 0;
    bool lits = false;
    for (uint32_t i = first; i < n; i += step) {
        if (is_null_type(v[i]->type))
            continue;
        if (is_string_literal(v[i])) {
            lits = true;
            continue;
        }
        const sl_sql_type_t *c = list_widen(arena, t, v[i]);
        if (!c)
            return no_operator(t, v[i], err, errlen);
        t = c;
    }
    if (!lits)
        return t;
    if (is_null_type(t))
        return prim(SL_SQL_T_STRING);
    for (uint32_t i = first; i < n; i += step) {
        if (!is_string_literal(v[i]))
            continue;
        if (sl_sql_numeric_rank(t)) {
            sl_sql_expr_t *num = number_from_text(arena, v[i]);
            if (!num)
                return bad_input(t, v[i], err, errlen);
            v[i] = num;
            t = num_common(arena, t, num->type);
        } else if (t->kind == SL_SQL_T_BOOLEAN) {
            int b = sl_sql_bool_parse(v[i]->value.u.s.ptr, v[i]->value.u.s.len);
            if (b < 0)
                return bad_input(t, v[i], err, errlen);
            sl_sql_datum_t d = sl_sql_bool(b);
            sl_sql_expr_t *c = sl_sql_expr_const(arena, t, &d, v[i]->text);
            if (!c)
                return oom(err, errlen);
            v[i] = c;
        } else if (t->kind != SL_SQL_T_STRING && !is_time(t)) {
            return no_operator(t, v[i], err, errlen);
        }
    }
    return t;
}

/* Item x as type t of its list (after list_type). For IN, a struct with a
 * field the value's type lacks can never be equal: a NULL that never
 * matches stands for it. */
static sl_sql_expr_t *list_item(sl_arena_t *arena, sl_sql_expr_t *x, const sl_sql_type_t *t, bool in, char *err,
                                size_t errlen)
{
    if (sl_sql_type_equal(x->type, t) || is_null_type(x->type) || (sl_sql_numeric_rank(x->type) && sl_sql_numeric_rank(t))) {
        sl_sql_expr_t *c = coerce(arena, x, t);
        return c ? c : oom(err, errlen);
    }
    if (t->kind == SL_SQL_T_STRING && x->kind == SL_SQL_E_CONST && x->value.kind != SL_SQL_T_STRING) {
        char *txt = datum_text(arena, &x->value, x->type); /* a literal among strings */
        if (!txt)
            return oom(err, errlen);
        sl_sql_datum_t d = sl_sql_string(txt, (uint32_t)strlen(txt));
        return sl_sql_expr_const(arena, t, &d, x->text);
    }
    if (in && t->kind == SL_SQL_T_STRUCT && x->type->kind == SL_SQL_T_STRUCT) {
        for (uint32_t i = 0; i < x->type->n_fields; i++) {
            if (sl_sql_type_field(t, x->type->fields[i].name) < 0) {
                sl_sql_datum_t nul = sl_sql_null();
                return sl_sql_expr_const(arena, t, &nul, x->text);
            }
        }
    }
    if (!sl_sql_type_castable(x->type, t))
        return no_operator(t, x, err, errlen);
    if (x->kind == SL_SQL_E_CONST) { /* literals convert now, or fail now */
        sl_sql_datum_t d;
        char why[192];
        if (sl_sql_datum_cast(arena, &x->value, x->type, t, &d, why, sizeof why) != SL_OK)
            return fail(err, errlen, "%s", why);
        sl_sql_expr_t *c = node(arena, SL_SQL_E_CONST, t, 0);
        if (!c)
            return oom(err, errlen);
        c->value = d;
        c->text = x->text;
        return c;
    }
    sl_sql_expr_t *c = coerce(arena, x, t);
    return c ? c : oom(err, errlen);
}

/* "a, b, c" of the nodes' texts, in arena. */
static char *join_texts(sl_arena_t *arena, sl_sql_expr_t *const *v, uint32_t n, const char *sep)
{
    size_t len = 1, sl = strlen(sep);
    for (uint32_t i = 0; i < n; i++)
        len += strlen(v[i]->text) + sl;
    char *p = sl_arena_alloc(arena, len);
    if (!p)
        return NULL;
    size_t j = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (i) {
            memcpy(p + j, sep, sl);
            j += sl;
        }
        size_t k = strlen(v[i]->text);
        memcpy(p + j, v[i]->text, k);
        j += k;
    }
    p[j] = 0;
    return p;
}

sl_sql_expr_t *sl_sql_expr_in(sl_arena_t *arena, sl_sql_expr_t *a, sl_sql_expr_t **list, uint32_t n, bool negated,
                              char *err, size_t errlen)
{
    if (!a || !n)
        return fail(err, errlen, "IN requires a value and a non-empty list");
    sl_sql_expr_t **v = sl_arena_calloc(arena, n, sizeof *v);
    if (!v)
        return oom(err, errlen);
    memcpy(v, list, n * sizeof *v);
    const sl_sql_type_t *t = list_type(arena, is_null_type(a->type) ? NULL : a->type, v, n, 0, 1, err, errlen);
    if (!t && err[0])
        return NULL;
    if (!t)
        t = prim(SL_SQL_T_NULL); /* NULL IN (NULL): never true */
    sl_sql_expr_t *e = node(arena, SL_SQL_E_IN, prim(SL_SQL_T_BOOLEAN), n + 1);
    if (!e || !(e->args[0] = coerce(arena, a, t)))
        return oom(err, errlen);
    for (uint32_t i = 0; i < n; i++)
        if (!(e->args[i + 1] = list_item(arena, v[i], t, true, err, errlen)))
            return NULL;
    char *items = join_texts(arena, list, n, ", ");
    if (!items || !(e->text = astr(arena, "(%s %sIN (%s))", a->text, negated ? "NOT " : "", items)))
        return oom(err, errlen);
    e->negated = negated;
    return fold(arena, e);
}

sl_sql_expr_t *sl_sql_expr_case(sl_arena_t *arena, sl_sql_expr_t *operand, sl_sql_expr_t **whens,
                                sl_sql_expr_t **thens, uint32_t n, sl_sql_expr_t *else_, char *err, size_t errlen)
{
    char t1[TN], t2[TN];
    if (!n)
        return fail(err, errlen, "CASE needs at least one WHEN");
    sl_sql_expr_t **conds = sl_arena_calloc(arena, n, sizeof *conds);
    if (!conds)
        return oom(err, errlen);
    const sl_sql_type_t *t = NULL;
    for (uint32_t i = 0; i < n; i++) {
        if (operand) {
            conds[i] = comparison(arena, SL_SQL_OP_EQ, operand, whens[i], err, errlen);
            if (!conds[i])
                return NULL;
        } else {
            conds[i] = whens[i];
            if (!is_null_type(whens[i]->type) && whens[i]->type->kind != SL_SQL_T_BOOLEAN)
                return fail(err, errlen, "WHEN operand type should be boolean.\nType for '%s' is %s", whens[i]->text,
                            tname(whens[i]->type, t1));
        }
        const sl_sql_type_t *c = common_type(arena, t, thens[i]->type);
        if (!c)
            return fail(err, errlen,
                        "Invalid Case expression. Type for all 'THEN' clauses should be the same.\nTHEN expression "
                        "'WHEN %s THEN %s' has type: %s.\nPrevious THEN expression(s) type: %s.",
                        whens[i]->text, thens[i]->text, tname(thens[i]->type, t1), tname(t, t2));
        t = c;
    }
    if (else_) {
        const sl_sql_type_t *c = common_type(arena, t, else_->type);
        if (!c)
            return fail(err, errlen,
                        "Invalid Case expression. Type for the default clause should be the same as for 'THEN' "
                        "clauses.\nTHEN type: %s.\nDEFAULT type: %s.",
                        tname(t, t1), tname(else_->type, t2));
        t = c;
    }
    if (is_null_type(t))
        return fail(err, errlen, "Invalid Case expression. All case branches have NULL type");
    sl_sql_expr_t *e = node(arena, SL_SQL_E_CASE, t, 2 * n + 1);
    if (!e)
        return oom(err, errlen);
    sl_buf_t b = SL_BUF_INIT;
    sl_buf_put(&b, "(CASE", 5);
    if (operand) {
        sl_buf_put_u8(&b, ' ');
        sl_buf_put(&b, operand->text, strlen(operand->text));
    }
    for (uint32_t i = 0; i < n; i++) {
        const sl_sql_type_t *B = prim(SL_SQL_T_BOOLEAN);
        e->args[2 * i] = coerce(arena, conds[i], B);
        e->args[2 * i + 1] = coerce(arena, thens[i], t);
        sl_buf_put(&b, " WHEN ", 6);
        sl_buf_put(&b, whens[i]->text, strlen(whens[i]->text));
        sl_buf_put(&b, " THEN ", 6);
        sl_buf_put(&b, thens[i]->text, strlen(thens[i]->text));
    }
    if (else_) {
        e->args[2 * n] = coerce(arena, else_, t);
        sl_buf_put(&b, " ELSE ", 6);
        sl_buf_put(&b, else_->text, strlen(else_->text));
    } else {
        sl_sql_datum_t nul = sl_sql_null();
        e->args[2 * n] = sl_sql_expr_const(arena, t, &nul, "null");
    }
    sl_buf_put(&b, " END)", 5);
    e->text = b.err ? NULL : sl_arena_strndup(arena, (const char *)b.data, b.len);
    sl_buf_free(&b);
    if (!e->text)
        return oom(err, errlen);
    for (uint32_t i = 0; i < 2 * n + 1; i++)
        if (!e->args[i])
            return oom(err, errlen);
    return fold(arena, e);
}

sl_sql_expr_t *sl_sql_expr_cast(sl_arena_t *arena, sl_sql_expr_t *a, const sl_sql_type_t *to, char *err,
                                size_t errlen)
{
    char t1[TN], t2[TN];
    if (!a || !to)
        return fail(err, errlen, "missing operand");
    if (!sl_sql_type_castable(a->type, to))
        return fail(err, errlen, "Cast of %s to %s is not supported", tname(a->type, t1), tname(to, t2));
    sl_sql_expr_t *e = node(arena, SL_SQL_E_CAST, to, 1);
    if (!e || !(e->text = astr(arena, "CAST(%s AS %s)", a->text, tname(to, t2))))
        return oom(err, errlen);
    e->args[0] = a;
    return fold(arena, e);
}

/* --- Structured values ---------------------------------------------------------- */

sl_sql_expr_t *sl_sql_expr_deref(sl_arena_t *arena, sl_sql_expr_t *a, const char *field, char *err, size_t errlen)
{
    char t1[TN];
    if (!a || !field)
        return fail(err, errlen, "missing operand");
    if (!a->type || a->type->kind != SL_SQL_T_STRUCT)
        return fail(err, errlen, "Can only dereference Struct type, instead got %s", tname(a->type, t1));
    int i = sl_sql_type_field(a->type, field);
    if (i < 0) { /* an unquoted name against a quoted field: one match ignoring case */
        for (uint32_t j = 0; j < a->type->n_fields; j++) {
            if (strcasecmp(a->type->fields[j].name, field) == 0) {
                if (i >= 0) {
                    i = -1;
                    break;
                }
                i = (int)j;
            }
        }
    }
    if (i < 0)
        return fail(err, errlen, "Could not find field '%s' in '%s'.", field, a->text);
    sl_sql_expr_t *e = node(arena, SL_SQL_E_DEREF, a->type->fields[i].type, 1);
    if (!e || !(e->text = astr(arena, "%s->%s", a->text, a->type->fields[i].name)))
        return oom(err, errlen);
    e->args[0] = a;
    e->index = (uint32_t)i;
    return fold(arena, e);
}

sl_sql_expr_t *sl_sql_expr_subscript(sl_arena_t *arena, sl_sql_expr_t *a, sl_sql_expr_t *idx, char *err,
                                     size_t errlen)
{
    char t1[TN], t2[TN];
    if (!a || !idx)
        return fail(err, errlen, "missing operand");
    const sl_sql_type_t *t = a->type, *want;
    if (t && t->kind == SL_SQL_T_ARRAY) {
        want = prim(SL_SQL_T_INT);
        if (!is_null_type(idx->type) && idx->type->kind != SL_SQL_T_INT && idx->type->kind != SL_SQL_T_BIGINT)
            return fail(err, errlen, "Array index must be an INTEGER: %s[%s] has an index of type %s", a->text,
                        idx->text, tname(idx->type, t1));
    } else if (t && t->kind == SL_SQL_T_MAP) {
        want = t->key;
        if (!sl_sql_type_equal(idx->type, want) && !is_null_type(idx->type) &&
            !(sl_sql_numeric_rank(idx->type) && sl_sql_numeric_rank(want)))
            return fail(err, errlen, "Map key of type %s cannot be looked up with %s (%s)", tname(want, t1),
                        idx->text, tname(idx->type, t2));
    } else if (t && t->kind == SL_SQL_T_STRUCT) {
        return fail(err, errlen,
                    "Subscript expression (%s[%s]) do not apply to %s. Use the dereference operator for STRUCTS: "
                    "%s->%s",
                    a->text, idx->text, tname(t, t1), a->text, idx->text);
    } else {
        return fail(err, errlen, "Subscript expression (%s[%s]) do not apply to %s.", a->text, idx->text,
                    tname(t, t1));
    }
    sl_sql_expr_t *e = node(arena, SL_SQL_E_SUBSCRIPT, t->elem, 2);
    if (!e || !(e->text = astr(arena, "%s[%s]", a->text, idx->text)) || !(e->args[1] = coerce(arena, idx, want)))
        return oom(err, errlen);
    e->args[0] = a;
    return fold(arena, e);
}

/* The common type of a constructor's items v[first], v[first + step], ...
 * (string literals in v may be replaced by what they spell); NULL with the
 * sentence in err. */
static const sl_sql_type_t *items_type(sl_arena_t *arena, sl_sql_expr_t **v, uint32_t n, uint32_t first,
                                       uint32_t step, const char *what, char *err, size_t errlen)
{
    const sl_sql_type_t *t = list_type(arena, NULL, v, n, first, step, err, errlen);
    if (err[0])
        return NULL;
    if (is_null_type(t))
        return fail(err, errlen,
                    "Cannot construct %s with all NULL %s (see https://github.com/confluentinc/ksql/issues/4239). As "
                    "a workaround, you may cast a NULL %s to the desired type.",
                    strcmp(what, "elements") == 0 ? "an array" : "a map", what,
                    strcmp(what, "keys") == 0 ? "key" : "value");
    return t;
}

sl_sql_expr_t *sl_sql_expr_array(sl_arena_t *arena, sl_sql_expr_t **items, uint32_t n, char *err, size_t errlen)
{
    if (!n)
        return fail(err, errlen,
                    "Array constructor cannot be empty. Please supply at least one element (see "
                    "https://github.com/confluentinc/ksql/issues/4239).");
    sl_sql_expr_t **v = sl_arena_calloc(arena, n, sizeof *v);
    if (!v)
        return oom(err, errlen);
    memcpy(v, items, n * sizeof *v);
    const sl_sql_type_t *et = items_type(arena, v, n, 0, 1, "elements", err, errlen);
    if (!et)
        return NULL;
    const sl_sql_type_t *t = sl_sql_type_array(arena, et);
    sl_sql_expr_t *e = t ? node(arena, SL_SQL_E_ARRAY, t, n) : NULL;
    char *txt = join_texts(arena, items, n, ", ");
    if (!e || !txt || !(e->text = astr(arena, "ARRAY[%s]", txt)))
        return oom(err, errlen);
    for (uint32_t i = 0; i < n; i++)
        if (!(e->args[i] = list_item(arena, v[i], et, false, err, errlen)))
            return NULL;
    return fold(arena, e);
}

sl_sql_expr_t *sl_sql_expr_map(sl_arena_t *arena, sl_sql_expr_t **kv, uint32_t n_pairs, char *err, size_t errlen)
{
    if (!n_pairs)
        return fail(err, errlen,
                    "Map constructor cannot be empty. Please supply at least one key value pair (see "
                    "https://github.com/confluentinc/ksql/issues/4239).");
    uint32_t n = 2 * n_pairs;
    sl_sql_expr_t **v = sl_arena_calloc(arena, n, sizeof *v);
    if (!v)
        return oom(err, errlen);
    memcpy(v, kv, n * sizeof *v);
    const sl_sql_type_t *kt = items_type(arena, v, n, 0, 2, "keys", err, errlen);
    if (!kt)
        return NULL;
    const sl_sql_type_t *vt = items_type(arena, v, n, 1, 2, "values", err, errlen);
    if (!vt)
        return NULL;
    const sl_sql_type_t *t = sl_sql_type_map(arena, kt, vt);
    sl_sql_expr_t *e = t ? node(arena, SL_SQL_E_MAP, t, n) : NULL;
    if (!e)
        return oom(err, errlen);
    sl_buf_t b = SL_BUF_INIT;
    sl_buf_put(&b, "MAP(", 4);
    for (uint32_t i = 0; i < n; i++) {
        if (!(e->args[i] = list_item(arena, v[i], i % 2 ? vt : kt, false, err, errlen))) {
            sl_buf_free(&b);
            return NULL;
        }
        if (i % 2)
            sl_buf_put(&b, ":=", 2);
        else if (i)
            sl_buf_put(&b, ", ", 2);
        sl_buf_put(&b, kv[i]->text, strlen(kv[i]->text));
    }
    sl_buf_put_u8(&b, ')');
    e->text = b.err ? NULL : sl_arena_strndup(arena, (const char *)b.data, b.len);
    sl_buf_free(&b);
    return e->text ? fold(arena, e) : oom(err, errlen);
}

sl_sql_expr_t *sl_sql_expr_struct(sl_arena_t *arena, const char *const *names, sl_sql_expr_t **values, uint32_t n,
                                  char *err, size_t errlen)
{
    sl_sql_field_t *f = n ? sl_arena_calloc(arena, n, sizeof *f) : NULL;
    if (n && !f)
        return oom(err, errlen);
    for (uint32_t i = 0; i < n; i++) {
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(names[i], names[j]) == 0)
                return fail(err, errlen, "Duplicate field names found in STRUCT: '%s'", names[i]);
        f[i].name = sl_arena_strndup(arena, names[i], strlen(names[i]));
        f[i].type = values[i]->type ? values[i]->type : prim(SL_SQL_T_NULL);
        if (!f[i].name)
            return oom(err, errlen);
    }
    const sl_sql_type_t *t = sl_sql_type_struct(arena, f, n);
    sl_sql_expr_t *e = t ? node(arena, SL_SQL_E_STRUCT, t, n) : NULL;
    if (!e)
        return oom(err, errlen);
    sl_buf_t b = SL_BUF_INIT;
    sl_buf_put(&b, "STRUCT(", 7);
    for (uint32_t i = 0; i < n; i++) {
        e->args[i] = values[i];
        if (i)
            sl_buf_put(&b, ", ", 2);
        sl_buf_put(&b, names[i], strlen(names[i]));
        sl_buf_put(&b, ":=", 2);
        sl_buf_put(&b, values[i]->text, strlen(values[i]->text));
    }
    sl_buf_put_u8(&b, ')');
    e->text = b.err ? NULL : sl_arena_strndup(arena, (const char *)b.data, b.len);
    sl_buf_free(&b);
    return e->text ? fold(arena, e) : oom(err, errlen);
}

/* --- Function calls ------------------------------------------------------------- */

/* How well argument type t fits parameter kind k: 0 exactly (or any), 1
 * after an implicit widening, -1 not at all. */
static int param_fit(sl_sql_tkind_t k, const sl_sql_type_t *t)
{
    if (k == SL_SQL_T_NULL || is_null_type(t) || t->kind == k)
        return 0;
    int rt = sl_sql_numeric_rank(t), rk = 0;
    switch (k) {
    case SL_SQL_T_BIGINT:
        rk = 2;
        break;
    case SL_SQL_T_DECIMAL:
        rk = 3;
        break;
    case SL_SQL_T_DOUBLE:
        rk = 4;
        break;
    default:
        return -1;
    }
    return rt && rt < rk ? 1 : -1;
}

/* The parameter kind argument i meets in overload o. */
static sl_sql_tkind_t param_kind(const sl_sql_overload_t *o, uint32_t i)
{
    if (o->n_params == 0)
        return SL_SQL_T_NULL;
    return i < o->n_params ? o->params[i] : o->params[o->n_params - 1];
}

/* The cost of calling o with these arguments (casts needed), or -1. */
static int overload_cost(const sl_sql_overload_t *o, sl_sql_expr_t **args, uint32_t n)
{
    if (o->variadic ? n + 1 < o->n_params : n != o->n_params)
        return -1;
    int cost = o->variadic ? 1000 : 0; /* a fixed signature wins over a variadic one */
    for (uint32_t i = 0; i < n; i++) {
        int f = param_fit(param_kind(o, i), args[i]->type);
        if (f < 0)
            return -1;
        cost += f;
    }
    return cost;
}

static void put_params(sl_buf_t *b, sl_sql_expr_t **args, uint32_t n)
{
    char t1[TN];
    sl_buf_put_u8(b, '(');
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            sl_buf_put(b, ", ", 2);
        const char *s = tname(args[i]->type, t1);
        sl_buf_put(b, s, strlen(s));
    }
    sl_buf_put_u8(b, ')');
}

static void *refuse_args(const sl_sql_func_t *f, sl_sql_expr_t **args, uint32_t n, char *err, size_t errlen)
{
    sl_buf_t b = SL_BUF_INIT;
    put_params(&b, args, n);
    sl_buf_put(&b, ".\nValid alternatives are:", 25);
    for (uint32_t i = 0; i < f->n_overloads; i++) {
        const char *sig = f->overloads[i].signature ? f->overloads[i].signature : f->name;
        sl_buf_put_u8(&b, '\n');
        sl_buf_put(&b, sig, strlen(sig));
    }
    static const char tail[] = "\nFor detailed information on a function run: DESCRIBE FUNCTION <Function-Name>;";
    sl_buf_put(&b, tail, sizeof tail - 1);
    fail(err, errlen, "Function '%s' does not accept parameters %.*s", f->name, b.err ? 0 : (int)b.len,
         b.data ? (const char *)b.data : "");
    sl_buf_free(&b);
    return NULL;
}

sl_sql_expr_t *sl_sql_expr_call(sl_arena_t *arena, const char *name, sl_sql_expr_t **args, uint32_t n, char *err,
                                size_t errlen)
{
    const sl_sql_func_t *f = sl_sql_func_find(name);
    if (!f)
        return fail(err, errlen, "Can't find any functions with the name '%s'", name);
    if (f->kind == SL_SQL_F_AGGREGATE)
        return fail(err, errlen, "Aggregate function '%s' cannot be used here: aggregates are only allowed in the "
                                 "SELECT list and HAVING of an aggregating query.",
                    f->name);
    if (f->kind == SL_SQL_F_TABLE)
        return fail(err, errlen, "Table function '%s' can only be used in the SELECT list, not nested in another "
                                 "expression.",
                    f->name);
    int best = -1, best_cost = 0;
    for (uint32_t i = 0; i < f->n_overloads; i++) {
        int c = overload_cost(&f->overloads[i], args, n);
        if (c >= 0 && (best < 0 || c < best_cost)) {
            best = (int)i;
            best_cost = c;
        }
    }
    if (best < 0)
        return refuse_args(f, args, n, err, errlen);
    const sl_sql_overload_t *o = &f->overloads[best];

    sl_sql_expr_t *e = node(arena, SL_SQL_E_CALL, NULL, n);
    const sl_sql_type_t **types = sl_arena_calloc(arena, n ? n : 1, sizeof *types);
    if (!e || !types)
        return oom(err, errlen);
    for (uint32_t i = 0; i < n; i++) {
        sl_sql_tkind_t k = param_kind(o, i);
        sl_sql_expr_t *a = args[i];
        if (k != SL_SQL_T_NULL && !is_null_type(a->type) && a->type->kind != k) {
            const sl_sql_type_t *to = k == SL_SQL_T_DECIMAL ? as_decimal(arena, a->type) : prim(k);
            a = to ? coerce(arena, a, to) : NULL;
            if (!a)
                return oom(err, errlen);
        }
        e->args[i] = a;
        types[i] = a->type;
    }
    const sl_sql_type_t *rt;
    if (o->resolve) {
        char why[512] = "";
        rt = o->resolve(arena, types, n, why, sizeof why);
        if (!rt)
            return why[0] ? fail(err, errlen, "%s", why) : refuse_args(f, args, n, err, errlen);
    } else {
        rt = prim(o->result);
        if (!rt)
            return fail(err, errlen, "Function '%s' has no result type for %s", f->name, o->signature);
    }
    e->type = rt;
    e->func = f;
    e->index = (uint32_t)best;
    char *txt = join_texts(arena, args, n, ", ");
    if (!txt || !(e->text = astr(arena, "%s(%s)", f->name, txt)))
        return oom(err, errlen);
    if (o->prepare) { /* sees the constant arguments only */
        char why[512] = "";
        sl_sql_expr_t **consts = sl_arena_calloc(arena, n ? n : 1, sizeof *consts);
        if (!consts)
            return oom(err, errlen);
        for (uint32_t i = 0; i < n; i++)
            consts[i] = e->args[i]->kind == SL_SQL_E_CONST ? e->args[i] : NULL;
        if (o->prepare(arena, consts, n, &e->state, why, sizeof why) != SL_OK)
            return fail(err, errlen, "%s", why[0] ? why : "invalid arguments");
    }
    return fold(arena, e);
}

void sl_sql_expr_format(const sl_sql_expr_t *e, sl_buf_t *out)
{
    const char *t = e && e->text ? e->text : "";
    sl_buf_put(out, t, strlen(t));
}
