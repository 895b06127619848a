/*
 * func_misc.c - the conditional functions (IFNULL, COALESCE, NULLIF), UUID,
 * AS_VALUE, and the helpers every func_*.c file shares: NULL results with
 * an error, string results, constant arguments, common types, UTF-8
 * (func_int.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "func_int.h"

/* --- Helpers -------------------------------------------------------------- */

void sl_sql_fn_fail(sl_sql_eval_t *cx, sl_sql_datum_t *out, const char *fmt, ...)
{
    *out = sl_sql_null();
    if (cx->error[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cx->error, sizeof cx->error, fmt, ap);
    va_end(ap);
}

bool sl_sql_fn_null_arg(const sl_sql_datum_t *args, uint32_t n, sl_sql_datum_t *out)
{
    for (uint32_t i = 0; i < n; i++) {
        if (sl_sql_datum_is_null(&args[i])) {
            *out = sl_sql_null();
            return true;
        }
    }
    return false;
}

char *sl_sql_fn_string(sl_sql_eval_t *cx, uint32_t len, sl_sql_datum_t *out)
{
    char *p = sl_arena_alloc(cx->arena, len ? len : 1);
    if (!p) {
        sl_sql_fn_fail(cx, out, "out of memory");
        return NULL;
    }
    *out = sl_sql_string(p, len);
    return p;
}

char *sl_sql_fn_cstr(sl_arena_t *arena, const sl_sql_datum_t *d)
{
    return sl_arena_strndup(arena, d->u.s.ptr ? d->u.s.ptr : "", d->u.s.len);
}

const sl_sql_datum_t *sl_sql_fn_const_arg(sl_sql_expr_t *const *args, uint32_t n, uint32_t i)
{
    if (i >= n || !args[i] || args[i]->kind != SL_SQL_E_CONST)
        return NULL;
    return &args[i]->value;
}

bool sl_sql_fn_coerce(sl_sql_eval_t *cx, const sl_sql_datum_t *v, const sl_sql_type_t *from,
                      const sl_sql_type_t *to, sl_sql_datum_t *out)
{
    if (sl_sql_datum_is_null(v) || !from || from->kind == SL_SQL_T_NULL || sl_sql_type_equal(from, to)) {
        *out = *v;
        return true;
    }
    char err[200];
    if (sl_sql_datum_cast(cx->arena, v, from, to, out, err, sizeof err) != SL_OK) {
        sl_sql_fn_fail(cx, out, "%s", err);
        return false;
    }
    return true;
}

/* An integer kind as the DECIMAL that holds every value of it. */
static void decimal_digits(const sl_sql_type_t *t, int *whole, int *scale)
{
    if (t->kind == SL_SQL_T_DECIMAL) {
        *whole = t->precision - t->scale;
        *scale = t->scale;
    } else {
        *whole = t->kind == SL_SQL_T_INT ? 10 : 19;
        *scale = 0;
    }
}

void sl_sql_fn_types_text(const sl_sql_type_t *const *types, uint32_t n, char *buf, size_t len)
{
    size_t off = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < n && off + 1 < len; i++) {
        char t[96];
        const char *name =
            !types[i] || types[i]->kind == SL_SQL_T_NULL ? "null" : sl_sql_type_str(types[i], t, sizeof t);
        int w = snprintf(buf + off, len - off, "%s%s", i ? ", " : "", name);
        if (w < 0)
            break;
        off += (size_t)w;
    }
}

const sl_sql_type_t *sl_sql_fn_refuse(const char *fname, const sl_sql_type_t *const *types, uint32_t n, char *err,
                                      size_t errlen)
{
    char list[400];
    sl_sql_fn_types_text(types, n, list, sizeof list);
    snprintf(err, errlen, "Function '%s' does not accept parameters (%s).", fname, list);
    return NULL;
}

const sl_sql_type_t *sl_sql_fn_common_type(sl_arena_t *arena, const sl_sql_type_t *const *types, uint32_t n,
                                           const char *fname, char *err, size_t errlen)
{
    const sl_sql_type_t *common = NULL;
    for (uint32_t i = 0; i < n; i++) {
        const sl_sql_type_t *t = types[i];
        if (!t || t->kind == SL_SQL_T_NULL)
            continue;
        if (!common || sl_sql_type_equal(common, t)) {
            common = t;
            continue;
        }
        int ra = sl_sql_numeric_rank(common), rb = sl_sql_numeric_rank(t);
        if (!ra || !rb)
            goto mismatch;
        if (ra == 4 || rb == 4) {
            common = sl_sql_type_of(SL_SQL_T_DOUBLE);
        } else if (ra == 3 || rb == 3) {
            int wa, sa, wb, sb;
            decimal_digits(common, &wa, &sa);
            decimal_digits(t, &wb, &sb);
            int scale = SL_MAX(sa, sb);
            int prec = SL_MIN(SL_MAX(wa, wb) + scale, 38);
            common = sl_sql_type_decimal(arena, prec, SL_MIN(scale, prec));
            if (!common) {
                snprintf(err, errlen, "out of memory");
                return NULL;
            }
        } else {
            common = ra > rb ? common : t;
        }
    }
    return common ? common : sl_sql_type_of(SL_SQL_T_NULL);
mismatch:
    return sl_sql_fn_refuse(fname, types, n, err, errlen);
}

const sl_sql_type_t *sl_sql_fn_resolve_first(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n,
                                             char *err, size_t errlen)
{
    SL_UNUSED(arena);
    SL_UNUSED(err);
    SL_UNUSED(errlen);
    return n ? arg_types[0] : sl_sql_type_of(SL_SQL_T_NULL);
}

const sl_sql_type_t *sl_sql_fn_resolve_string_map(sl_arena_t *arena, const sl_sql_type_t *const *arg_types,
                                                  uint32_t n, char *err, size_t errlen)
{
    SL_UNUSED(arg_types);
    SL_UNUSED(n);
    const sl_sql_type_t *st = sl_sql_type_of(SL_SQL_T_STRING);
    const sl_sql_type_t *t = sl_sql_type_map(arena, st, st);
    if (!t)
        snprintf(err, errlen, "out of memory");
    return t;
}

void sl_sql_sb_init(sl_sql_sb_t *sb, sl_arena_t *arena, uint32_t hint)
{
    sb->arena = arena;
    sb->len = 0;
    sb->oom = false;
    sb->too_long = false;
    sb->cap = hint < 16 ? 16 : hint > SL_SQL_SB_MAX ? SL_SQL_SB_MAX : hint;
    sb->p = sl_arena_alloc(arena, sb->cap);
    if (!sb->p) {
        sb->cap = 0;
        sb->oom = true;
    }
}

void sl_sql_sb_put(sl_sql_sb_t *sb, const void *p, size_t n)
{
    if (sb->oom || !n)
        return;
    if ((uint64_t)sb->len + n > SL_SQL_SB_MAX) {
        sb->oom = sb->too_long = true;
        return;
    }
    if (sb->len + n > sb->cap) {
        uint32_t cap = sb->cap * 2;
        while (cap < sb->len + n)
            cap *= 2;
        char *np = sl_arena_alloc(sb->arena, cap);
        if (!np) {
            sb->oom = true;
            return;
        }
        memcpy(np, sb->p, sb->len);
        sb->p = np;
        sb->cap = cap;
    }
    memcpy(sb->p + sb->len, p, n);
    sb->len += (uint32_t)n;
}

void sl_sql_sb_puts(sl_sql_sb_t *sb, const char *s)
{
    sl_sql_sb_put(sb, s, strlen(s));
}

void sl_sql_sb_printf(sl_sql_sb_t *sb, const char *fmt, ...)
{
    char buf[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof buf) {
        sb->oom = true;
        return;
    }
    sl_sql_sb_put(sb, buf, (size_t)n);
}

bool sl_sql_sb_done(sl_sql_sb_t *sb, sl_sql_eval_t *cx, sl_sql_datum_t *out)
{
    if (sb->oom) {
        if (sb->too_long)
            sl_sql_fn_fail(cx, out, "the result would be longer than %u bytes", SL_SQL_SB_MAX);
        else
            sl_sql_fn_fail(cx, out, "out of memory");
        return false;
    }
    *out = sl_sql_string(sb->p, sb->len);
    return true;
}

/* --- UTF-8 ---------------------------------------------------------------- */

uint32_t sl_sql_utf8_step(const char *p, uint32_t n)
{
    if (!n)
        return 0;
    unsigned char c = (unsigned char)p[0];
    uint32_t want = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
    if (want > n)
        return 1;
    for (uint32_t i = 1; i < want; i++) {
        if (((unsigned char)p[i] & 0xC0) != 0x80)
            return 1;
    }
    return want;
}

uint32_t sl_sql_utf8_count(const char *p, uint32_t n)
{
    uint32_t count = 0;
    for (uint32_t i = 0; i < n; count++)
        i += sl_sql_utf8_step(p + i, n - i);
    return count;
}

uint32_t sl_sql_utf8_offset(const char *p, uint32_t n, uint32_t chars)
{
    uint32_t i = 0;
    while (chars > 0 && i < n) {
        i += sl_sql_utf8_step(p + i, n - i);
        chars--;
    }
    return i;
}

void sl_sql_utf8_put(sl_sql_sb_t *sb, uint32_t cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (char)(0xF0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    sl_sql_sb_put(sb, b, n);
}

uint32_t sl_sql_utf8_decode(const char *p, uint32_t n, uint32_t *step)
{
    uint32_t k = sl_sql_utf8_step(p, n);
    *step = k;
    const unsigned char *u = (const unsigned char *)p;
    switch (k) {
    case 2:
        return (uint32_t)(u[0] & 0x1F) << 6 | (u[1] & 0x3F);
    case 3:
        return (uint32_t)(u[0] & 0x0F) << 12 | (uint32_t)(u[1] & 0x3F) << 6 | (u[2] & 0x3F);
    case 4:
        return (uint32_t)(u[0] & 0x07) << 18 | (uint32_t)(u[1] & 0x3F) << 12 | (uint32_t)(u[2] & 0x3F) << 6 |
               (u[3] & 0x3F);
    default:
        return n ? u[0] : 0;
    }
}

/* --- IFNULL, COALESCE, NULLIF ----------------------------------------------- */

static const sl_sql_type_t *resolve_common(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n,
                                           const char *fname, char *err, size_t errlen)
{
    return sl_sql_fn_common_type(arena, arg_types, n, fname, err, errlen);
}

static const sl_sql_type_t *resolve_ifnull(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n,
                                           char *err, size_t errlen)
{
    return resolve_common(arena, arg_types, n, "IFNULL", err, errlen);
}

static const sl_sql_type_t *resolve_coalesce(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n,
                                             char *err, size_t errlen)
{
    if (n == 0) {
        snprintf(err, errlen, "Function 'COALESCE' does not accept parameters ().");
        return NULL;
    }
    return resolve_common(arena, arg_types, n, "COALESCE", err, errlen);
}

static const sl_sql_type_t *resolve_nullif(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n,
                                           char *err, size_t errlen)
{
    if (!resolve_common(arena, arg_types, n, "NULLIF", err, errlen))
        return NULL;
    return arg_types[0];
}

/* The first non-NULL argument, converted to the call's type. */
static void eval_first_non_null(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n,
                                sl_sql_eval_t *cx, sl_sql_datum_t *out)
{
    for (uint32_t i = 0; i < n; i++) {
        if (!sl_sql_datum_is_null(&args[i])) {
            sl_sql_fn_coerce(cx, &args[i], call->args[i]->type, call->type, out);
            return;
        }
    }
    *out = sl_sql_null();
}

static void eval_nullif(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                        sl_sql_datum_t *out)
{
    SL_UNUSED(n);
    *out = args[0];
    if (sl_sql_datum_is_null(&args[0]) || sl_sql_datum_is_null(&args[1]))
        return;
    const sl_sql_type_t *types[2] = {call->args[0]->type, call->args[1]->type};
    char err[160];
    const sl_sql_type_t *common = sl_sql_fn_common_type(cx->arena, types, 2, "NULLIF", err, sizeof err);
    sl_sql_datum_t a, b;
    if (!common || !sl_sql_fn_coerce(cx, &args[0], types[0], common, &a) ||
        !sl_sql_fn_coerce(cx, &args[1], types[1], common, &b))
        return;
    if (sl_sql_datum_eq(&a, &b, common))
        *out = sl_sql_null();
}

/* --- AS_VALUE ---------------------------------------------------------------- */

/* AS_VALUE(x) is x: ksqlDB's way of copying a key column into the value. */
static void eval_as_value(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                          sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    SL_UNUSED(n);
    SL_UNUSED(cx);
    *out = args[0];
}

/* --- UUID ------------------------------------------------------------------- */

static void eval_uuid(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                      sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    SL_UNUSED(args);
    SL_UNUSED(n);
    uint8_t b[16];
    size_t got = 0;
    while (got < sizeof b) {
        ssize_t r = getrandom(b + got, sizeof b - got, 0);
        if (r <= 0) {
            sl_sql_fn_fail(cx, out, "UUID: no random bytes available");
            return;
        }
        got += (size_t)r;
    }
    b[6] = (uint8_t)((b[6] & 0x0F) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3F) | 0x80); /* RFC 4122 variant */
    char *p = sl_sql_fn_string(cx, 36, out);
    if (!p)
        return;
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            p[o++] = '-';
        p[o++] = hex[b[i] >> 4];
        p[o++] = hex[b[i] & 15];
    }
}

/* --- The group ---------------------------------------------------------------- */

static const sl_sql_overload_t IFNULL_O[] = {
    {SL_SQL_P_ANY2, 2, false, SL_SQL_T_NULL, resolve_ifnull, eval_first_non_null, NULL,
     "IFNULL(expression T, altValue T)",
     "expression when it is not NULL, else altValue"},
};
static const sl_sql_overload_t COALESCE_O[] = {
    {SL_SQL_P_ANY, 1, true, SL_SQL_T_NULL, resolve_coalesce, eval_first_non_null, NULL,
     "COALESCE(first T, others T...)", "the first argument that is not NULL, or NULL if all are"},
};
static const sl_sql_overload_t NULLIF_O[] = {
    {SL_SQL_P_ANY2, 2, false, SL_SQL_T_NULL, resolve_nullif, eval_nullif, NULL, "NULLIF(expression1 T, expression2 T)",
     "NULL when the two are equal, else expression1"},
};
static const sl_sql_overload_t AS_VALUE_O[] = {
    {SL_SQL_P_ANY, 1, false, SL_SQL_T_NULL, sl_sql_fn_resolve_first, eval_as_value, NULL, "AS_VALUE(val T)",
     "val itself"},
};
static const sl_sql_overload_t UUID_O[] = {
    {NULL, 0, false, SL_SQL_T_STRING, NULL, eval_uuid, NULL, "UUID()",
     "a random (version 4) UUID as 36 characters"},
};

const sl_sql_func_t sl_sql_funcs_misc[] = {
    SL_SQL_FN("AS_VALUE", "OTHER", "Returns its argument: copies a key column into the value.", AS_VALUE_O),
    SL_SQL_FN("COALESCE", "CONDITIONAL", "Returns the first of its arguments that is not NULL.", COALESCE_O),
    SL_SQL_FN("IFNULL", "CONDITIONAL", "Returns its first argument unless it is NULL, else the second.", IFNULL_O),
    SL_SQL_FN("NULLIF", "CONDITIONAL", "Returns NULL when its two arguments are equal, else the first.", NULLIF_O),
    SL_SQL_FN("UUID", "OTHER", "Returns a new random UUID string on every call.", UUID_O),
    SL_SQL_FN_END,
};
