/*
 * serde.c - the built-in serdes (Kafka's byte formats: UTF-8 strings, raw
 * bytes, big-endian int32/int64/double, compact JSON), the "auto" serde of
 * internal topics and stores (a type tag then the value), windowed key
 * serdes (time and session windows as Kafka writes them), sl_serde_write,
 * and the per-arena registry of JSON references (sl_serde_hold/release).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core_int.h"

/* --- JSON references held per arena -------------------------------------- */

/* Per thread: records are deserialized and released on their task's
 * thread, and a thread holds values for very few arenas at a time, so a
 * short array scanned on release is enough; freed when it empties so an
 * exiting thread leaves nothing behind. */
typedef struct held_ref {
    sl_arena_t *arena;
    json_t *json;
} held_ref_t;

static __thread held_ref_t *g_held;
static __thread size_t g_n_held, g_cap_held;

sl_err_t sl_serde_hold(sl_arena_t *arena, struct json_t *json)
{
    if (g_n_held == g_cap_held) {
        size_t cap = g_cap_held ? g_cap_held * 2 : 16;
        held_ref_t *p = realloc(g_held, cap * sizeof(*p));
        if (p == NULL) {
            json_decref(json);
            return SL_ERR_NOMEM;
        }
        g_held = p;
        g_cap_held = cap;
    }
    g_held[g_n_held].arena = arena;
    g_held[g_n_held].json = json;
    g_n_held++;
    return SL_OK;
}

void sl_serde_release(sl_arena_t *arena)
{
    if (SL_LIKELY(g_n_held == 0))
        return;
    size_t keep = 0;
    for (size_t i = 0; i < g_n_held; i++) {
        if (g_held[i].arena == arena)
            json_decref(g_held[i].json);
        else
            g_held[keep++] = g_held[i];
    }
    g_n_held = keep;
    if (keep == 0) {
        free(g_held);
        g_held = NULL;
        g_cap_held = 0;
    }
}

/* --- helpers ---------------------------------------------------------------- */

static void put_be64(sl_buf_t *out, uint64_t x)
{
    sl_buf_put_i64(out, (int64_t)x);
}

static uint64_t get_be64(const uint8_t *p)
{
    uint64_t x = 0;
    for (int i = 0; i < 8; i++)
        x = (x << 8) | p[i];
    return x;
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A NUL-terminated copy, as SL_V_STRING promises. */
static sl_err_t de_string_copy(const uint8_t *p, size_t n, sl_arena_t *arena, sl_val_t *out)
{
    char *s = sl_arena_strndup(arena, (const char *)p, n);
    if (s == NULL)
        return SL_ERR_NOMEM;
    *out = sl_val_str_ref(s, n);
    return SL_OK;
}

static sl_err_t de_json_text(const uint8_t *p, size_t n, sl_arena_t *arena, sl_val_t *out)
{
    json_error_t jerr;
    json_t *j = json_loadb((const char *)p, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (j == NULL)
        return SL_ERR_PARSE;
    sl_err_t err = sl_serde_hold(arena, j);
    if (err != SL_OK)
        return err;
    out->type = SL_V_JSON;
    out->u.json = j;
    return SL_OK;
}

static sl_err_t ser_json_text(const json_t *j, sl_buf_t *out)
{
    size_t flags = JSON_COMPACT | JSON_ENCODE_ANY;
    size_t n = json_dumpb(j, NULL, 0, flags);
    if (n == 0)
        return SL_ERR_INVAL;
    uint8_t *p = sl_buf_put_space(out, n);
    if (p == NULL)
        return sl_buf_err(out) != SL_OK ? sl_buf_err(out) : SL_ERR_NOMEM;
    json_dumpb(j, (char *)p, n, flags);
    return SL_OK;
}

/* --- string, bytes --------------------------------------------------------- */

static sl_err_t ser_raw(const sl_val_t *v, sl_buf_t *out, void *arg)
{
    SL_UNUSED(arg);
    if (v->type != SL_V_STRING && v->type != SL_V_BYTES)
        return SL_ERR_INVAL;
    sl_buf_put(out, v->u.bytes.ptr, v->u.bytes.len);
    return sl_buf_err(out);
}

static sl_err_t de_string(const uint8_t *p, size_t n, sl_arena_t *arena, sl_val_t *out, void *arg)
{
    SL_UNUSED(arg);
    return de_string_copy(p, n, arena, out);
}

static sl_err_t de_bytes(const uint8_t *p, size_t n, sl_arena_t *arena, sl_val_t *out, void *arg)
{
    SL_UNUSED(arena);
    SL_UNUSED(arg);
    *out = sl_val_bytes_ref(p, n);
    return SL_OK;
}

const sl_serde_t sl_serde_string = {"String", SL_V_STRING, ser_raw, de_string, NULL};
const sl_serde_t sl_serde_bytes = {"ByteArray", SL_V_BYTES, ser_raw, de_bytes, NULL};

/* --- numbers ---------------------------------------------------------------- */

static sl_err_t ser_i32(const sl_val_t *v, sl_buf_t *out, void *arg)
{
    SL_UNUSED(arg);
    if (v->type != SL_V_I32)
        return SL_ERR_INVAL;
    sl_buf_put_i32(out, v->u.i32);
    return sl_buf_err(out);
}

static sl_err_t de_i32(const uint8_t *p, size_t n, sl_arena_t *arena, sl_val_t *out, void *arg)
{
    SL_UNUSED(arena);
    SL_UNUSED(arg);
    if (n != 4)
        return SL_ERR_PARSE;
    *out = sl_val_i32((int32_t)get_be32(p));
    return SL_OK;
}

static sl_err_t ser_i64(const sl_val_t *v, sl_buf_t *out, void *arg)
{
    SL_UNUSED(arg);
    if (v->type != SL_V_I64)
        return SL_ERR_INVAL;
    sl_buf_put_i64(out, v->u.i64);
    return sl_buf_err(out);
}

static sl_err_t de_i64(const uint8_t *p, size_t n, sl_arena_t *arena, sl_val_t *out, void *arg)
{
    SL_UNUSED(arena);
    SL_UNUSED(arg);
    if (n != 8)
        return SL_ERR_PARSE;
    *out = sl_val_i64((int64_t)get_be64(p));
    return SL_OK;
}

static sl_err_t ser_f64(const sl_val_t *v, sl_buf_t *out, void *arg)
{
    SL_UNUSED(arg);
    if (v->type != SL_V_F64)
        return SL_ERR_INVAL;
    sl_buf_put_f64(out, v->u.f64);
    return sl_buf_err(out);
}

static sl_err_t de_f64(const uint8_t *p, size_t n, sl_arena_t *arena, sl_val_t *out, void *arg)
{
    SL_UNUSED(arena);
    SL_UNUSED(arg);
    if (n != 8)
        return SL_ERR_PARSE;
    uint64_t bits = get_be64(p);
    double d;
    memcpy(&d, &bits, sizeof(d));
    *out = sl_val_f64(d);
    return SL_OK;
}

const sl_serde_t sl_serde_i32 = {"Integer", SL_V_I32, ser_i32, de_i32, NULL};
const sl_serde_t sl_serde_i64 = {"Long", SL_V_I64, ser_i64, de_i64, NULL};
const sl_serde_t sl_serde_f64 = {"Double", SL_V_F64, ser_f64, de_f64, NULL};

/* --- JSON ------------------------------------------------------------------- */

static sl_err_t ser_json(const sl_val_t *v, sl_buf_t *out, void *arg)
{
    SL_UNUSED(arg);
    if (v->type != SL_V_JSON)
        return SL_ERR_INVAL;
    return ser_json_text(v->u.json, out);
}

static sl_err_t de_json(const uint8_t *p, size_t n, sl_arena_t *arena, sl_val_t *out, void *arg)
{
    SL_UNUSED(arg);
    return de_json_text(p, n, arena, out);
}

const sl_serde_t sl_serde_json = {"Json", SL_V_JSON, ser_json, de_json, NULL};

/* --- auto: a type tag, then the value --------------------------------------- */

static sl_err_t ser_auto(const sl_val_t *v, sl_buf_t *out, void *arg)
{
    SL_UNUSED(arg);
    sl_buf_put_u8(out, (uint8_t)v->type);
    switch (v->type) {
    case SL_V_NULL:
        break;
    case SL_V_BYTES:
    case SL_V_STRING:
        sl_buf_put(out, v->u.bytes.ptr, v->u.bytes.len);
        break;
    case SL_V_I32:
        sl_buf_put_i32(out, v->u.i32);
        break;
    case SL_V_I64:
        sl_buf_put_i64(out, v->u.i64);
        break;
    case SL_V_F64:
        sl_buf_put_f64(out, v->u.f64);
        break;
    case SL_V_JSON:
        return ser_json_text(v->u.json, out);
    case SL_V_WINDOWED: {
        put_be64(out, (uint64_t)v->u.win.start);
        put_be64(out, (uint64_t)v->u.win.end);
        sl_val_t nul = sl_val_null();
        return ser_auto(v->u.win.key != NULL ? v->u.win.key : &nul, out, NULL);
    }
    case SL_V_PTR:
    default:
        return SL_ERR_INVAL;
    }
    return sl_buf_err(out);
}

static sl_err_t de_auto(const uint8_t *p, size_t n, sl_arena_t *arena, sl_val_t *out, void *arg)
{
    SL_UNUSED(arg);
    if (n < 1)
        return SL_ERR_PARSE;
    const uint8_t *b = p + 1;
    size_t bn = n - 1;
    switch ((sl_vtype_t)p[0]) {
    case SL_V_NULL:
        if (bn != 0)
            return SL_ERR_PARSE;
        *out = sl_val_null();
        return SL_OK;
    case SL_V_BYTES:
        *out = sl_val_bytes_ref(b, bn);
        return SL_OK;
    case SL_V_STRING:
        return de_string_copy(b, bn, arena, out);
    case SL_V_I32:
        return de_i32(b, bn, arena, out, NULL);
    case SL_V_I64:
        return de_i64(b, bn, arena, out, NULL);
    case SL_V_F64:
        return de_f64(b, bn, arena, out, NULL);
    case SL_V_JSON:
        return de_json_text(b, bn, arena, out);
    case SL_V_WINDOWED: {
        if (bn < 17)
            return SL_ERR_PARSE;
        sl_val_t *key = sl_arena_alloc(arena, sizeof(*key));
        if (key == NULL)
            return SL_ERR_NOMEM;
        /* The inner key is never windowed itself: this bounds the depth. */
        if (b[16] == SL_V_WINDOWED)
            return SL_ERR_PARSE;
        sl_err_t err = de_auto(b + 16, bn - 16, arena, key, NULL);
        if (err != SL_OK)
            return err;
        out->type = SL_V_WINDOWED;
        out->u.win.start = (int64_t)get_be64(b);
        out->u.win.end = (int64_t)get_be64(b + 8);
        out->u.win.key = key;
        return SL_OK;
    }
    case SL_V_PTR:
    default:
        return SL_ERR_PARSE;
    }
}

const sl_serde_t sl_serde_auto = {"Auto", SL_V_NULL, ser_auto, de_auto, NULL};

/* --- windowed keys ----------------------------------------------------------- */

static sl_err_t ser_windowed(const sl_val_t *v, sl_buf_t *out, void *arg)
{
    const sl_windowed_serde_t *w = arg;
    if (v->type != SL_V_WINDOWED || sl_val_is_null(v->u.win.key))
        return SL_ERR_INVAL;
    sl_err_t err = w->inner->ser(v->u.win.key, out, w->inner->arg);
    if (err != SL_OK)
        return err;
    if (w->session)
        put_be64(out, (uint64_t)v->u.win.end);
    put_be64(out, (uint64_t)v->u.win.start);
    return sl_buf_err(out);
}

static sl_err_t de_windowed(const uint8_t *p, size_t n, sl_arena_t *arena, sl_val_t *out, void *arg)
{
    const sl_windowed_serde_t *w = arg;
    size_t tail = w->session ? 16 : 8;
    if (n < tail)
        return SL_ERR_PARSE;
    sl_val_t *key = sl_arena_alloc(arena, sizeof(*key));
    if (key == NULL)
        return SL_ERR_NOMEM;
    sl_err_t err = w->inner->de(p, n - tail, arena, key, w->inner->arg);
    if (err != SL_OK)
        return err;
    const uint8_t *t = p + n - tail;
    out->type = SL_V_WINDOWED;
    out->u.win.key = key;
    if (w->session) {
        out->u.win.end = (int64_t)get_be64(t);
        out->u.win.start = (int64_t)get_be64(t + 8);
    } else {
        out->u.win.start = (int64_t)get_be64(t);
        out->u.win.end = out->u.win.start + w->size_ms;
    }
    return SL_OK;
}

const sl_serde_t *sl_serde_windowed_init(sl_windowed_serde_t *w, const sl_serde_t *inner, int64_t size_ms,
                                         bool session)
{
    w->inner = inner;
    w->size_ms = size_ms;
    w->session = session;
    w->serde.name = session ? "SessionWindowed" : "TimeWindowed";
    w->serde.type = SL_V_WINDOWED;
    w->serde.ser = ser_windowed;
    w->serde.de = de_windowed;
    w->serde.arg = w;
    return &w->serde;
}

/* --- writing a value -------------------------------------------------------- */

int sl_serde_write(const sl_serde_t *s, const sl_val_t *v, sl_buf_t *out)
{
    if (sl_val_is_null(v))
        return 1;
    sl_err_t err;
    if (v->type == SL_V_WINDOWED && s->type != SL_V_WINDOWED && s->type != SL_V_NULL) {
        /* A plain key serde given a windowed key: the time-window format. */
        if (sl_val_is_null(v->u.win.key))
            return SL_ERR_INVAL;
        err = s->ser(v->u.win.key, out, s->arg);
        if (err == SL_OK) {
            put_be64(out, (uint64_t)v->u.win.start);
            err = sl_buf_err(out);
        }
    } else {
        err = s->ser(v, out, s->arg);
    }
    if (err == SL_OK)
        err = sl_buf_err(out);
    return err;
}
