/*
 * eval.c - evaluating a bound expression against one record.
 *
 * NULL handling follows ksqlDB: arithmetic, CONCAT, CAST, DEREF, subscripts
 * and LIKE give NULL for a NULL operand; a comparison (and so BETWEEN and
 * IN) with a NULL operand is FALSE, not NULL, as ksqlDB's comparisons are
 * (IS [NOT] DISTINCT FROM compares NULLs as equal values);
 * NOT, AND and OR are three-valued (FALSE AND NULL is FALSE, TRUE OR NULL
 * is TRUE, NOT NULL is NULL). Integer arithmetic wraps as Java's does;
 * integer division or remainder by zero, DECIMAL overflow and failed casts
 * give NULL and the record's first error sentence in cx->error (for the
 * processing log). DOUBLE division by zero is Infinity or NaN, as in Java.
 *
 * Scalars never allocate; composite values and strings built here come
 * from cx->arena.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "expr_int.h"

/* The rarer cases live in their own functions so that sl_sql_eval, which
 * recurses per node, keeps a small frame. */
#define SL_SQL_NOINLINE __attribute__((noinline))

static void rt_fail(sl_sql_eval_t *cx, const sl_sql_expr_t *e, sl_sql_datum_t *out, const char *fmt, ...)
    SL_PRINTF(4, 5);
static void rt_fail(sl_sql_eval_t *cx, const sl_sql_expr_t *e, sl_sql_datum_t *out, const char *fmt, ...)
{
    *out = sl_sql_null();
    if (cx->error[0])
        return;
    char why[192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    snprintf(cx->error, sizeof cx->error, "Error computing expression %s: %s", e->text ? e->text : "", why);
}

void sl_sql_eval_init(sl_sql_eval_t *cx, sl_arena_t *arena, const sl_sql_row_t *key, const sl_sql_row_t *value)
{
    cx->key = key;
    cx->value = value;
    for (int i = 0; i < SL_SQL_PSEUDO_COUNT_; i++)
        cx->pseudo[i].kind = SL_SQL_T_NULL; /* a NULL is its kind alone */
    cx->arena = arena;
    cx->vars = NULL;
    cx->lambda_fault = false;
    cx->error[0] = 0;
}

/* --- LIKE --------------------------------------------------------------------- */

static size_t utf8_step(const char *s, size_t n)
{
    unsigned char c = (unsigned char)s[0];
    size_t k = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return k < n ? k : n;
}

/* s matches pattern p: % any run, _ one character, esc makes the next
 * pattern character literal (esc < 0: none). Greedy with one backtrack
 * point, so linear in practice and never recursive. */
static bool like_match(const char *s, size_t sn, const char *p, size_t pn, int esc)
{
    size_t si = 0, pi = 0, star_p = (size_t)-1, star_s = 0;
    while (si < sn) {
        if (pi < pn) {
            char c = p[pi];
            bool escaped = esc >= 0 && (unsigned char)c == esc && pi + 1 < pn;
            if (!escaped && c == '%') {
                star_p = ++pi;
                star_s = si;
                continue;
            }
            if (!escaped && c == '_') {
                si += utf8_step(s + si, sn - si);
                pi++;
                continue;
            }
            char lit = escaped ? p[pi + 1] : c;
            if (s[si] == lit) {
                si++;
                pi += escaped ? 2 : 1;
                continue;
            }
        }
        if (star_p == (size_t)-1)
            return false;
        star_s += utf8_step(s + star_s, sn - star_s);
        si = star_s;
        pi = star_p;
    }
    while (pi < pn && p[pi] == '%')
        pi++;
    return pi == pn;
}

static const sl_sql_datum_t *column(const sl_sql_expr_t *e, const sl_sql_eval_t *cx)
{
    static const sl_sql_datum_t null_datum;
    const sl_sql_row_t *r;
    switch (e->src) {
    case SL_SQL_COL_KEY:
        r = cx->key;
        break;
    case SL_SQL_COL_VALUE:
        r = cx->value;
        break;
    case SL_SQL_COL_LAMBDA:
        return cx->vars && e->index < SL_SQL_LAMBDA_VARS ? &cx->vars[e->index] : &null_datum;
    default:
        return e->index < SL_SQL_PSEUDO_COUNT_ ? &cx->pseudo[e->index] : &null_datum;
    }
    return r && e->index < r->n ? &r->cols[e->index] : &null_datum;
}


/* An operand's value without copying leaves: a column or constant is read
 * where it is; anything else is evaluated into *tmp. */
static inline const sl_sql_datum_t *eval_ref(const sl_sql_expr_t *e, sl_sql_eval_t *cx, sl_sql_datum_t *tmp)
{
    if (e->kind == SL_SQL_E_COLUMN)
        return column(e, cx);
    if (e->kind == SL_SQL_E_CONST)
        return &e->value;
    sl_sql_eval(e, cx, tmp);
    return tmp;
}

/* --- Arithmetic ------------------------------------------------------------------ */

static void arith_int(const sl_sql_expr_t *e, int64_t a, int64_t b, bool big, sl_sql_eval_t *cx,
                      sl_sql_datum_t *out)
{
    uint64_t ua = (uint64_t)a, ub = (uint64_t)b, r;
    int64_t min = big ? INT64_MIN : INT32_MIN;
    switch (e->op) {
    case SL_SQL_OP_ADD:
        r = ua + ub;
        break;
    case SL_SQL_OP_SUB:
        r = ua - ub;
        break;
    case SL_SQL_OP_MUL:
        r = ua * ub;
        break;
    case SL_SQL_OP_DIV:
        if (b == 0) {
            rt_fail(cx, e, out, "/ by zero");
            return;
        }
        r = (a == min && b == -1) ? (uint64_t)min : (uint64_t)(a / b);
        break;
    case SL_SQL_OP_MOD:
        if (b == 0) {
            rt_fail(cx, e, out, "/ by zero");
            return;
        }
        r = b == -1 ? 0 : (uint64_t)(a % b);
        break;
    default:
        *out = sl_sql_null();
        return;
    }
    *out = big ? sl_sql_bigint((int64_t)r) : sl_sql_int((int32_t)(uint32_t)r);
}

static void arith_double(const sl_sql_expr_t *e, double a, double b, sl_sql_datum_t *out)
{
    double r;
    switch (e->op) {
    case SL_SQL_OP_ADD:
        r = a + b;
        break;
    case SL_SQL_OP_SUB:
        r = a - b;
        break;
    case SL_SQL_OP_MUL:
        r = a * b;
        break;
    case SL_SQL_OP_DIV:
        r = a / b;
        break;
    default:
        r = fmod(a, b);
        break;
    }
    *out = sl_sql_double(r);
}

/* a / b at `digits` more decimal places, HALF_UP; false on overflow. */
static bool dec_div(sl_sql_i128_t a, sl_sql_i128_t b, int digits, sl_sql_i128_t *out)
{
    bool neg = (a < 0) != (b < 0);
    unsigned __int128 x = a < 0 ? -(unsigned __int128)a : (unsigned __int128)a;
    unsigned __int128 y = b < 0 ? -(unsigned __int128)b : (unsigned __int128)b;
    unsigned __int128 q = x / y, r = x % y;
    for (int i = 0; i < digits; i++) {
        unsigned __int128 r10;
        if (__builtin_mul_overflow(q, 10, &q) || __builtin_mul_overflow(r, 10, &r10))
            return false;
        q += r10 / y;
        r = r10 % y;
    }
    if (r >= y - r)
        q++;
    if (q > (((unsigned __int128)1 << 127) - 1))
        return false;
    *out = neg ? -(sl_sql_i128_t)q : (sl_sql_i128_t)q;
    return true;
}

SL_SQL_NOINLINE static void arith_decimal(const sl_sql_expr_t *e, const sl_sql_datum_t *a, const sl_sql_datum_t *b,
                          sl_sql_eval_t *cx, sl_sql_datum_t *out)
{
    const sl_sql_type_t *t = e->type;
    int sa = a->scale, sb = b->scale, s = sa > sb ? sa : sb, rs;
    sl_sql_i128_t x = a->u.dec, y = b->u.dec, r;
    bool ok = true;
    switch (e->op) {
    case SL_SQL_OP_ADD:
    case SL_SQL_OP_SUB:
    case SL_SQL_OP_MOD:
        ok = sl_sql_dec_rescale(x, sa, s, 0, &x) == SL_OK && sl_sql_dec_rescale(y, sb, s, 0, &y) == SL_OK;
        rs = s;
        if (!ok)
            break;
        if (e->op == SL_SQL_OP_MOD) {
            if (y == 0) {
                rt_fail(cx, e, out, "Division by zero");
                return;
            }
            r = x % y;
        } else if (e->op == SL_SQL_OP_ADD) {
            ok = !__builtin_add_overflow(x, y, &r);
        } else {
            ok = !__builtin_sub_overflow(x, y, &r);
        }
        break;
    case SL_SQL_OP_MUL:
        rs = sa + sb;
        if (x >= INT64_MIN && x <= INT64_MAX && y >= INT64_MIN && y <= INT64_MAX)
            r = x * y; /* below 2^126: cannot overflow */
        else
            ok = !__builtin_mul_overflow(x, y, &r);
        break;
    default: { /* DIV */
        if (y == 0) {
            rt_fail(cx, e, out, x == 0 ? "Division undefined" : "Division by zero");
            return;
        }
        int k = t->scale - sa + sb;
        if (k < 0)
            k = 0;
        rs = sa - sb + k;
        ok = dec_div(x, y, k, &r);
        break;
    }
    }
    sl_sql_datum_t d = {0};
    d.kind = SL_SQL_T_DECIMAL;
    d.scale = t->scale;
    if (!ok || sl_sql_dec_rescale(r, rs, t->scale, t->precision, &d.u.dec) != SL_OK) {
        rt_fail(cx, e, out, "Numeric field overflow: the result does not fit DECIMAL(%d, %d)", t->precision,
                t->scale);
        return;
    }
    *out = d;
}

static void eval_arith(const sl_sql_expr_t *e, sl_sql_eval_t *cx, sl_sql_datum_t *out)
{
    sl_sql_datum_t ta, tb;
    const sl_sql_datum_t *a = eval_ref(e->args[0], cx, &ta);
    if (a->kind == SL_SQL_T_NULL) {
        cx->lambda_fault = cx->lambda_fault || cx->vars != NULL;
        *out = sl_sql_null();
        return;
    }
    sl_sql_tkind_t k = e->type->kind;
    if (e->op == SL_SQL_OP_NEG) {
        switch (k) {
        case SL_SQL_T_INT:
            *out = sl_sql_int((int32_t)(0u - (uint32_t)a->u.i32));
            return;
        case SL_SQL_T_BIGINT:
            *out = sl_sql_bigint((int64_t)(0u - (uint64_t)a->u.i64));
            return;
        case SL_SQL_T_DOUBLE:
            *out = sl_sql_double(-a->u.f64);
            return;
        default:
            *out = *a;
            out->u.dec = -a->u.dec;
            return;
        }
    }
    const sl_sql_datum_t *b = eval_ref(e->args[1], cx, &tb);
    if (b->kind == SL_SQL_T_NULL) {
        cx->lambda_fault = cx->lambda_fault || cx->vars != NULL;
        *out = sl_sql_null();
        return;
    }
    switch (k) {
    case SL_SQL_T_INT:
        arith_int(e, a->u.i32, b->u.i32, false, cx, out);
        return;
    case SL_SQL_T_BIGINT:
        arith_int(e, a->u.i64, b->u.i64, true, cx, out);
        return;
    case SL_SQL_T_DOUBLE:
        arith_double(e, a->u.f64, b->u.f64, out);
        return;
    case SL_SQL_T_DECIMAL:
        arith_decimal(e, a, b, cx, out);
        return;
    default:
        *out = sl_sql_null();
        return;
    }
}

/* --- The rest ------------------------------------------------------------------ */

/* sl_sql_datum_cmp for two non-NULL datums, inline for the scalar kinds
 * filters compare most. */
static inline int cmp_values(const sl_sql_datum_t *a, const sl_sql_datum_t *b, const sl_sql_type_t *t)
{
    switch (t->kind) {
    case SL_SQL_T_INT:
    case SL_SQL_T_DATE:
        return (a->u.i32 > b->u.i32) - (a->u.i32 < b->u.i32);
    case SL_SQL_T_BIGINT:
    case SL_SQL_T_TIMESTAMP:
    case SL_SQL_T_TIME:
        return (a->u.i64 > b->u.i64) - (a->u.i64 < b->u.i64);
    default:
        return sl_sql_datum_cmp(a, b, t);
    }
}

static bool cmp_holds(sl_sql_op_t op, int c)
{
    switch (op) {
    case SL_SQL_OP_EQ:
        return c == 0;
    case SL_SQL_OP_NE:
        return c != 0;
    case SL_SQL_OP_LT:
        return c < 0;
    case SL_SQL_OP_LE:
        return c <= 0;
    case SL_SQL_OP_GT:
        return c > 0;
    default:
        return c >= 0;
    }
}

SL_SQL_NOINLINE static void cast_slow(const sl_sql_expr_t *e, const sl_sql_datum_t *a, sl_sql_eval_t *cx,
                                      sl_sql_datum_t *out)
{
    char why[192];
    if (sl_sql_datum_cast(cx->arena, a, e->args[0]->type, e->type, out, why, sizeof why) != SL_OK)
        rt_fail(cx, e, out, "%s", why);
}

static void eval_cast(const sl_sql_expr_t *e, sl_sql_eval_t *cx, sl_sql_datum_t *out)
{
    sl_sql_datum_t tmp;
    const sl_sql_datum_t *ap = eval_ref(e->args[0], cx, &tmp);
    if (ap->kind == SL_SQL_T_NULL) {
        *out = sl_sql_null();
        return;
    }
    sl_sql_datum_t a = *ap;
    const sl_sql_type_t *t = e->type;
    /* the implicit widenings, without the general path */
    switch (t->kind) {
    case SL_SQL_T_BIGINT:
        if (a.kind == SL_SQL_T_INT) {
            *out = sl_sql_bigint(a.u.i32);
            return;
        }
        break;
    case SL_SQL_T_DOUBLE:
        if (a.kind == SL_SQL_T_INT || a.kind == SL_SQL_T_BIGINT) {
            *out = sl_sql_double(a.kind == SL_SQL_T_INT ? (double)a.u.i32 : (double)a.u.i64);
            return;
        }
        if (a.kind == SL_SQL_T_DECIMAL) {
            *out = sl_sql_double(sl_sql_dec_to_double(a.u.dec, a.scale));
            return;
        }
        break;
    case SL_SQL_T_DECIMAL:
        if (a.kind == SL_SQL_T_INT || a.kind == SL_SQL_T_BIGINT) {
            sl_sql_i128_t v = a.kind == SL_SQL_T_INT ? a.u.i32 : a.u.i64;
            if (t->scale == 0 && t->precision >= (a.kind == SL_SQL_T_INT ? 10 : 19)) { /* always fits */
                out->kind = SL_SQL_T_DECIMAL;
                out->scale = 0;
                out->u.dec = v;
                return;
            }
        }
        break;
    default:
        break;
    }
    cast_slow(e, &a, cx, out);
}

SL_SQL_NOINLINE static void eval_call(const sl_sql_expr_t *e, sl_sql_eval_t *cx, sl_sql_datum_t *out)
{
    sl_sql_datum_t local[8], *args = local;
    if (e->n_args > 8 && !(args = sl_arena_alloc(cx->arena, e->n_args * sizeof *args))) {
        rt_fail(cx, e, out, "out of memory");
        return;
    }
    for (uint32_t i = 0; i < e->n_args; i++)
        sl_sql_eval(e->args[i], cx, &args[i]);
    e->func->overloads[e->index].eval(e, args, e->n_args, cx, out);
}

SL_SQL_NOINLINE static void eval_subscript(const sl_sql_expr_t *e, sl_sql_eval_t *cx, sl_sql_datum_t *out)
{
    sl_sql_datum_t c, i;
    sl_sql_eval(e->args[0], cx, &c);
    sl_sql_eval(e->args[1], cx, &i);
    *out = sl_sql_null();
    if (c.kind == SL_SQL_T_NULL || i.kind == SL_SQL_T_NULL)
        return;
    if (c.kind == SL_SQL_T_ARRAY) {
        int64_t k = i.u.i32, n = c.u.a.n;
        k = k >= 0 ? k - 1 : n + k; /* 1-based; negative from the end */
        if (k >= 0 && k < n)
            *out = c.u.a.items[k];
        return;
    }
    const sl_sql_type_t *kt = e->args[0]->type->key;
    for (uint32_t j = 0; j < c.u.a.n; j++) {
        if (sl_sql_datum_eq(&c.u.a.items[2 * j], &i, kt)) {
            *out = c.u.a.items[2 * j + 1];
            return;
        }
    }
}

SL_SQL_NOINLINE static void eval_build(const sl_sql_expr_t *e, sl_sql_eval_t *cx, sl_sql_datum_t *out)
{
    uint32_t n = e->n_args;
    sl_sql_datum_t *items = n ? sl_arena_alloc(cx->arena, n * sizeof *items) : NULL;
    if (n && !items) {
        rt_fail(cx, e, out, "out of memory");
        return;
    }
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; i++) {
        sl_sql_eval(e->args[i], cx, &items[m]);
        if (e->kind == SL_SQL_E_MAP && i % 2 == 1) {
            /* a repeated key: the later value wins, as in a Java map */
            for (uint32_t j = 0; j + 2 < m; j += 2) {
                if (sl_sql_datum_eq(&items[j], &items[m - 1], e->type->key)) {
                    items[j + 1] = items[m];
                    m -= 2;
                    break;
                }
            }
        }
        m++;
    }
    out->kind = (uint8_t)e->type->kind;
    out->scale = 0;
    out->u.a.items = items;
    out->u.a.n = e->kind == SL_SQL_E_MAP ? m / 2 : m;
}

SL_SQL_NOINLINE static void eval_concat(const sl_sql_expr_t *e, sl_sql_eval_t *cx, sl_sql_datum_t *out)
{
    sl_sql_datum_t a, b;
    sl_sql_eval(e->args[0], cx, &a);
    sl_sql_eval(e->args[1], cx, &b);
    if (a.kind == SL_SQL_T_NULL || b.kind == SL_SQL_T_NULL) {
        *out = sl_sql_null();
        return;
    }
    uint32_t n = a.u.s.len + b.u.s.len;
    char *p = sl_arena_alloc(cx->arena, n ? n : 1);
    if (!p) {
        rt_fail(cx, e, out, "out of memory");
        return;
    }
    if (a.u.s.len)
        memcpy(p, a.u.s.ptr, a.u.s.len);
    if (b.u.s.len)
        memcpy(p + a.u.s.len, b.u.s.ptr, b.u.s.len);
    *out = sl_sql_string(p, n);
}

SL_SQL_NOINLINE static void eval_like(const sl_sql_expr_t *e, sl_sql_eval_t *cx, sl_sql_datum_t *out)
{
    sl_sql_datum_t a, p;
    sl_sql_eval(e->args[0], cx, &a);
    sl_sql_eval(e->args[1], cx, &p);
    if (a.kind == SL_SQL_T_NULL || p.kind == SL_SQL_T_NULL) {
        *out = sl_sql_null();
        return;
    }
    int esc = e->n_args > 2 ? (unsigned char)e->args[2]->value.u.s.ptr[0] : -1;
    bool m = like_match(a.u.s.ptr, a.u.s.len, p.u.s.ptr, p.u.s.len, esc);
    *out = sl_sql_bool(m != e->negated);
}

void sl_sql_eval(const sl_sql_expr_t *e, sl_sql_eval_t *cx, sl_sql_datum_t *out)
{
    sl_sql_datum_t a, b;
    const sl_sql_datum_t *pa, *pb;
    switch (e->kind) {
    case SL_SQL_E_CONST:
        *out = e->value;
        return;
    case SL_SQL_E_COLUMN:
        *out = *column(e, cx);
        return;
    case SL_SQL_E_NOT:
        pa = eval_ref(e->args[0], cx, &a);
        *out = pa->kind == SL_SQL_T_NULL ? sl_sql_null() : sl_sql_bool(!pa->u.b);
        return;
    case SL_SQL_E_AND:
    case SL_SQL_E_OR: {
        bool is_and = e->kind == SL_SQL_E_AND, saw_null = false;
        for (uint32_t i = 0; i < e->n_args; i++) {
            pa = eval_ref(e->args[i], cx, &a);
            if (pa->kind == SL_SQL_T_NULL)
                saw_null = true;
            else if (pa->u.b != is_and) { /* FALSE decides AND, TRUE decides OR */
                *out = sl_sql_bool(!is_and);
                return;
            }
        }
        *out = saw_null ? sl_sql_null() : sl_sql_bool(is_and);
        return;
    }
    case SL_SQL_E_CMP:
        pa = eval_ref(e->args[0], cx, &a);
        pb = eval_ref(e->args[1], cx, &b);
        if (e->op == SL_SQL_OP_DISTINCT || e->op == SL_SQL_OP_NOT_DISTINCT) /* NULL-safe */
            *out = sl_sql_bool(sl_sql_datum_eq(pa, pb, e->args[0]->type) == (e->op == SL_SQL_OP_NOT_DISTINCT));
        else if (pa->kind == SL_SQL_T_NULL || pb->kind == SL_SQL_T_NULL)
            *out = sl_sql_bool(false);
        else
            *out = sl_sql_bool(cmp_holds(e->op, cmp_values(pa, pb, e->args[0]->type)));
        return;
    case SL_SQL_E_ARITH:
        eval_arith(e, cx, out);
        return;
    case SL_SQL_E_CONCAT:
        eval_concat(e, cx, out);
        return;
    case SL_SQL_E_IS_NULL:
        pa = eval_ref(e->args[0], cx, &a);
        *out = sl_sql_bool((pa->kind == SL_SQL_T_NULL) != e->negated);
        return;
    case SL_SQL_E_LIKE:
        eval_like(e, cx, out);
        return;
    case SL_SQL_E_BETWEEN: {
        sl_sql_datum_t c;
        pa = eval_ref(e->args[0], cx, &a);
        pb = eval_ref(e->args[1], cx, &b);
        const sl_sql_datum_t *pc = eval_ref(e->args[2], cx, &c);
        const sl_sql_type_t *t = e->args[0]->type;
        bool in = pa->kind != SL_SQL_T_NULL && pb->kind != SL_SQL_T_NULL && pc->kind != SL_SQL_T_NULL &&
                  cmp_values(pa, pb, t) >= 0 && cmp_values(pa, pc, t) <= 0;
        *out = sl_sql_bool(in != e->negated);
        return;
    }
    case SL_SQL_E_IN: {
        bool found = false;
        pa = eval_ref(e->args[0], cx, &a);
        if (pa->kind != SL_SQL_T_NULL) {
            for (uint32_t i = 1; i < e->n_args && !found; i++) {
                pb = eval_ref(e->args[i], cx, &b);
                found = pb->kind != SL_SQL_T_NULL && cmp_values(pa, pb, e->args[0]->type) == 0;
            }
        }
        *out = sl_sql_bool(found != e->negated);
        return;
    }
    case SL_SQL_E_CASE: {
        uint32_t n = e->n_args / 2;
        for (uint32_t i = 0; i < n; i++) {
            if (sl_sql_eval_pred(e->args[2 * i], cx)) {
                sl_sql_eval(e->args[2 * i + 1], cx, out);
                return;
            }
        }
        sl_sql_eval(e->args[2 * n], cx, out);
        return;
    }
    case SL_SQL_E_CAST:
        eval_cast(e, cx, out);
        return;
    case SL_SQL_E_CALL:
        eval_call(e, cx, out);
        return;
    case SL_SQL_E_DEREF:
        pa = eval_ref(e->args[0], cx, &a);
        *out = pa->kind == SL_SQL_T_STRUCT && e->index < pa->u.a.n ? pa->u.a.items[e->index] : sl_sql_null();
        return;
    case SL_SQL_E_SUBSCRIPT:
        eval_subscript(e, cx, out);
        return;
    case SL_SQL_E_ARRAY:
    case SL_SQL_E_MAP:
    case SL_SQL_E_STRUCT:
        eval_build(e, cx, out);
        return;
    case SL_SQL_E_LAMBDA:
        break; /* applied by its function (sl_sql_eval_lambda) */
    }
    *out = sl_sql_null();
}

bool sl_sql_eval_lambda(const sl_sql_expr_t *lambda, sl_sql_eval_t *cx, const sl_sql_datum_t *vals,
                        sl_sql_datum_t *out)
{
    if (!lambda || lambda->kind != SL_SQL_E_LAMBDA || lambda->index + lambda->n_vars > SL_SQL_LAMBDA_VARS) {
        *out = sl_sql_null();
        return false;
    }
    /* The outer lambdas' parameters stay visible below this one's. */
    sl_sql_datum_t vars[SL_SQL_LAMBDA_VARS];
    const sl_sql_datum_t *outer = cx->vars;
    if (outer && lambda->index > 0)
        memcpy(vars, outer, lambda->index * sizeof *vars);
    else
        for (uint32_t i = 0; i < lambda->index; i++)
            vars[i] = sl_sql_null();
    memcpy(vars + lambda->index, vals, lambda->n_vars * sizeof *vars);
    bool outer_fault = cx->lambda_fault;
    cx->lambda_fault = false;
    cx->vars = vars;
    sl_sql_eval(lambda->args[0], cx, out);
    cx->vars = outer;
    bool ok = !cx->lambda_fault;
    cx->lambda_fault = outer_fault || !ok; /* an enclosing lambda fails too */
    return ok;
}

bool sl_sql_eval_pred(const sl_sql_expr_t *e, sl_sql_eval_t *cx)
{
    sl_sql_datum_t d;
    const sl_sql_datum_t *p = eval_ref(e, cx, &d);
    return p->kind == SL_SQL_T_BOOLEAN && p->u.b;
}
