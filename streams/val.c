/*
 * val.c - sl_val_t: the constructors that copy into a record's memory,
 * equality and the readable form (streams.h, "Values").
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core_int.h"

/* A failed allocation fails the record and yields a null value. */
static void *val_alloc(sl_ctx_t *ctx, size_t n)
{
    void *p = sl_arena_alloc(&ctx->arena, n);
    if (p == NULL)
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of record memory (%zu bytes)", n);
    return p;
}

sl_val_t sl_val_strn(sl_ctx_t *ctx, const char *s, size_t len)
{
    char *p = val_alloc(ctx, len + 1);
    if (p == NULL)
        return sl_val_null();
    memcpy(p, s, len);
    p[len] = '\0';
    return sl_val_str_ref(p, len);
}

sl_val_t sl_val_str(sl_ctx_t *ctx, const char *s)
{
    return sl_val_strn(ctx, s, strlen(s));
}

sl_val_t sl_val_bytes(sl_ctx_t *ctx, const void *p, size_t len)
{
    void *q = val_alloc(ctx, len);
    if (q == NULL)
        return sl_val_null();
    if (len > 0)
        memcpy(q, p, len);
    return sl_val_bytes_ref(q, len);
}

sl_val_t sl_val_json(sl_ctx_t *ctx, struct json_t *json)
{
    sl_val_t v = sl_val_null();
    if (json == NULL)
        return v;
    if (sl_serde_hold(&ctx->arena, json) != SL_OK) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory holding a JSON value");
        return v;
    }
    v.type = SL_V_JSON;
    v.u.json = json;
    return v;
}

sl_val_t sl_val_windowed(sl_ctx_t *ctx, const sl_val_t *key, int64_t start, int64_t end)
{
    sl_val_t v = sl_val_null();
    sl_val_t *k = val_alloc(ctx, sizeof(*k));
    if (k == NULL)
        return v;
    *k = key != NULL ? *key : sl_val_null();
    v.type = SL_V_WINDOWED;
    v.u.win.key = k;
    v.u.win.start = start;
    v.u.win.end = end;
    return v;
}

sl_val_t sl_val_printf(sl_ctx_t *ctx, const char *fmt, ...)
{
    va_list ap;
    char small[128];
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        sl_ctx_fail(ctx, SL_ERR_INVAL, "sl_val_printf: bad format");
        return sl_val_null();
    }
    if ((size_t)n < sizeof(small))
        return sl_val_strn(ctx, small, (size_t)n);
    char *p = val_alloc(ctx, (size_t)n + 1);
    if (p == NULL)
        return sl_val_null();
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return sl_val_str_ref(p, (size_t)n);
}

bool sl_val_equal(const sl_val_t *a, const sl_val_t *b)
{
    bool an = sl_val_is_null(a), bn = sl_val_is_null(b);
    if (an || bn)
        return an && bn;
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case SL_V_BYTES:
    case SL_V_STRING:
        return a->u.bytes.len == b->u.bytes.len &&
               (a->u.bytes.len == 0 || memcmp(a->u.bytes.ptr, b->u.bytes.ptr, a->u.bytes.len) == 0);
    case SL_V_I32:
        return a->u.i32 == b->u.i32;
    case SL_V_I64:
        return a->u.i64 == b->u.i64;
    case SL_V_F64:
        return a->u.f64 == b->u.f64;
    case SL_V_JSON:
        return json_equal(a->u.json, b->u.json) != 0;
    case SL_V_PTR:
        return a->u.ptr == b->u.ptr;
    case SL_V_WINDOWED:
        return a->u.win.start == b->u.win.start && a->u.win.end == b->u.win.end &&
               sl_val_equal(a->u.win.key, b->u.win.key);
    case SL_V_NULL:
        break;
    }
    return true;
}

/* The shortest %g form that reads back as the same double. */
static void format_f64(double x, char *buf, size_t len)
{
    snprintf(buf, len, "%.15g", x);
    if (strtod(buf, NULL) != x)
        snprintf(buf, len, "%.17g", x);
}

const char *sl_val_format(const sl_val_t *v, char *buf, size_t len)
{
    if (buf == NULL || len == 0)
        return buf;
    buf[0] = '\0';
    if (sl_val_is_null(v)) {
        snprintf(buf, len, "null");
        return buf;
    }
    switch (v->type) {
    case SL_V_STRING:
        snprintf(buf, len, "%.*s", (int)SL_MIN(v->u.bytes.len, (size_t)INT32_MAX), (const char *)v->u.bytes.ptr);
        break;
    case SL_V_BYTES: {
        static const char hex[] = "0123456789abcdef";
        size_t o = 0;
        for (size_t i = 0; i < v->u.bytes.len && o + 2 < len; i++) {
            buf[o++] = hex[v->u.bytes.ptr[i] >> 4];
            buf[o++] = hex[v->u.bytes.ptr[i] & 15];
        }
        buf[o] = '\0';
        break;
    }
    case SL_V_I32:
        snprintf(buf, len, "%" PRId32, v->u.i32);
        break;
    case SL_V_I64:
        snprintf(buf, len, "%" PRId64, v->u.i64);
        break;
    case SL_V_F64:
        format_f64(v->u.f64, buf, len);
        break;
    case SL_V_JSON: {
        size_t flags = JSON_COMPACT | JSON_ENCODE_ANY;
        size_t n = json_dumpb(v->u.json, buf, len - 1, flags);
        if (n < len) {
            buf[n] = '\0';
        } else { /* json_dumpb leaves a short buffer undefined */
            char *s = json_dumps(v->u.json, flags);
            snprintf(buf, len, "%s", s != NULL ? s : "");
            free(s);
        }
        break;
    }
    case SL_V_PTR:
        snprintf(buf, len, "%p", v->u.ptr);
        break;
    case SL_V_WINDOWED: {
        char key[256];
        snprintf(buf, len, "[%s@%" PRId64 "/%" PRId64 "]", sl_val_format(v->u.win.key, key, sizeof(key)),
                 v->u.win.start, v->u.win.end);
        break;
    }
    case SL_V_NULL:
        break;
    }
    return buf;
}

const char *sl_vtype_name(sl_vtype_t t)
{
    static const char *const names[] = {"null", "bytes", "string", "int32", "int64", "double", "JSON",
                                        "pointer", "windowed"};
    return (size_t)t < SL_ARRAY_LEN(names) ? names[t] : "unknown";
}
