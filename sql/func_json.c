/*
 * func_json.c - EXTRACTJSONFIELD(json, path): the value at a JSONPath in a
 * JSON text, and the path parser (func_int.h); IS_JSON_STRING,
 * JSON_ARRAY_LENGTH, JSON_KEYS, JSON_RECORDS, JSON_ITEMS,
 * JSON_ARRAY_CONTAINS, JSON_CONCAT; TO_JSON_STRING.
 *
 * The text is not built into a tree: one pass checks it is valid JSON,
 * then the path's tokens are followed over the text (a token names a
 * field of an object, the last one when a name repeats, or indexes an
 * array). Text after the first JSON value is ignored, as ksqlDB's Jackson
 * reader does. A string found is returned unescaped; anything else as compact
 * JSON text (numbers as written, white space outside strings removed); a
 * JSON null as the text "null", as ksqlDB's Jackson node prints it. A
 * missing step, invalid JSON (noted as a runtime error) or a NULL argument
 * give NULL. Nothing is allocated but the result.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format_int.h"
#include "func_int.h"

/* --- The path ---------------------------------------------------------------- */

sl_sql_jpath_t *sl_sql_jpath_parse(sl_arena_t *arena, const char *p, uint32_t n, char *err, size_t errlen)
{
    sl_sql_jpath_t *jp = sl_arena_zalloc(arena, sizeof *jp);
    const char **tokens = sl_arena_calloc(arena, (size_t)n + 1, sizeof *tokens);
    if (!jp || !tokens) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    uint32_t i = 0;
    if (n == 0 || p[0] != '$') {
        snprintf(err, errlen, "Invalid JsonPath: '%.*s' must start with '$'", (int)SL_MIN(n, 100u), p);
        return NULL;
    }
    i = 1;
    while (i < n) {
        const char *tok;
        uint32_t len;
        if (p[i] == '.') {
            uint32_t s = ++i;
            while (i < n && p[i] != '.' && p[i] != '[')
                i++;
            tok = p + s;
            len = i - s;
            if (!len)
                goto bad;
        } else if (p[i] == '[') {
            i++;
            if (i < n && (p[i] == '\'' || p[i] == '"')) {
                char q = p[i++];
                uint32_t s = i;
                while (i < n && p[i] != q)
                    i++;
                if (i + 1 >= n || p[i + 1] != ']')
                    goto bad;
                tok = p + s;
                len = i - s;
                i += 2;
            } else {
                uint32_t s = i;
                if (i < n && p[i] == '-') /* accepted; matches nothing */
                    i++;
                uint32_t digits = i;
                while (i < n && p[i] >= '0' && p[i] <= '9')
                    i++;
                if (i == digits || i >= n || p[i] != ']')
                    goto bad;
                tok = p + s;
                len = i - s;
                i++;
            }
        } else {
            goto bad;
        }
        tokens[jp->n] = sl_arena_strndup(arena, tok, len);
        if (!tokens[jp->n]) {
            snprintf(err, errlen, "out of memory");
            return NULL;
        }
        jp->n++;
    }
    jp->tokens = tokens;
    return jp;
bad:
    snprintf(err, errlen, "Invalid JsonPath: '%.*s' at index %u", (int)SL_MIN(n, 100u), p, i);
    return NULL;
}

/* --- Scanning JSON text --------------------------------------------------------- */

typedef struct js {
    const char *p, *end;
} js_t;

static void js_ws(js_t *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static bool js_string(js_t *s)
{
    if (s->p >= s->end || *s->p != '"')
        return false;
    s->p++;
    while (s->p < s->end) {
        unsigned char c = (unsigned char)*s->p++;
        if (c == '"')
            return true;
        if (c < 0x20)
            return false;
        if (c == '\\') {
            if (s->p >= s->end)
                return false;
            char e = *s->p++;
            if (e == 'u') {
                for (int k = 0; k < 4; k++) {
                    if (s->p >= s->end || sl_hex_value(*s->p++) < 0)
                        return false;
                }
            } else if (!strchr("\"\\/bfnrt", e)) {
                return false;
            }
        }
    }
    return false;
}

static bool js_digits(js_t *s)
{
    const char *start = s->p;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
        s->p++;
    return s->p > start;
}

static bool js_number(js_t *s)
{
    if (s->p < s->end && *s->p == '-')
        s->p++;
    if (!js_digits(s))
        return false;
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        if (!js_digits(s))
            return false;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
            s->p++;
        if (!js_digits(s))
            return false;
    }
    return true;
}

static bool js_word(js_t *s, const char *w)
{
    size_t l = strlen(w);
    if ((size_t)(s->end - s->p) < l || memcmp(s->p, w, l) != 0)
        return false;
    s->p += l;
    return true;
}

/* Skips one value (white space around it too); false when invalid. */
static bool js_value(js_t *s, int depth)
{
    js_ws(s);
    if (s->p >= s->end || depth > 256)
        return false;
    char c = *s->p;
    bool ok;
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        s->p++;
        js_ws(s);
        if (s->p < s->end && *s->p == close) {
            s->p++;
            ok = true;
        } else {
            for (;;) {
                if (c == '{') {
                    js_ws(s);
                    if (!js_string(s))
                        return false;
                    js_ws(s);
                    if (s->p >= s->end || *s->p++ != ':')
                        return false;
                }
                if (!js_value(s, depth + 1))
                    return false;
                if (s->p >= s->end)
                    return false;
                if (*s->p == ',') {
                    s->p++;
                    continue;
                }
                if (*s->p++ != close)
                    return false;
                break;
            }
            ok = true;
        }
    } else if (c == '"') {
        ok = js_string(s);
    } else if (c == 't') {
        ok = js_word(s, "true");
    } else if (c == 'f') {
        ok = js_word(s, "false");
    } else if (c == 'n') {
        ok = js_word(s, "null");
    } else {
        ok = js_number(s);
    }
    js_ws(s);
    return ok;
}

static uint32_t hex4(const char *p)
{
    uint32_t v = 0;
    for (int k = 0; k < 4; k++)
        v = v << 4 | (uint32_t)sl_hex_value(p[k]);
    return v;
}

/* Unescapes the (valid) string literal p[0..n) including its quotes. */
static void unescape(const char *p, size_t n, sl_sql_sb_t *sb)
{
    const char *end = p + n - 1;
    for (p++; p < end;) {
        if (*p != '\\') {
            const char *q = p;
            while (q < end && *q != '\\')
                q++;
            sl_sql_sb_put(sb, p, (size_t)(q - p));
            p = q;
            continue;
        }
        char e = p[1];
        p += 2;
        switch (e) {
        case 'b': sl_sql_sb_put(sb, "\b", 1); break;
        case 'f': sl_sql_sb_put(sb, "\f", 1); break;
        case 'n': sl_sql_sb_put(sb, "\n", 1); break;
        case 'r': sl_sql_sb_put(sb, "\r", 1); break;
        case 't': sl_sql_sb_put(sb, "\t", 1); break;
        case 'u': {
            uint32_t cp = hex4(p);
            p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
                uint32_t lo = hex4(p + 2);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                }
            }
            sl_sql_utf8_put(sb, cp);
            break;
        }
        default: sl_sql_sb_put(sb, &e, 1); break;
        }
    }
}

/* Copies the (valid) value p[0..n) without white space outside strings. */
static void minify(const char *p, size_t n, sl_sql_sb_t *sb)
{
    bool in_str = false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (in_str) {
            if (c == '\\') {
                sl_sql_sb_put(sb, p + i, 2);
                i++;
                continue;
            }
            if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            continue;
        }
        sl_sql_sb_put(sb, &c, 1);
    }
}

/* Whether the string literal at p (valid, with quotes) unescapes to tok. */
static bool key_equals(sl_arena_t *arena, const char *p, size_t n, const char *tok)
{
    size_t tl = strlen(tok);
    if (!memchr(p, '\\', n))
        return n == tl + 2 && memcmp(p + 1, tok, tl) == 0;
    sl_sql_sb_t sb;
    sl_sql_sb_init(&sb, arena, (uint32_t)n);
    unescape(p, n, &sb);
    return !sb.oom && sb.len == tl && memcmp(sb.p, tok, tl) == 0;
}

/* Moves s onto the member tok of the object or array value at s (white
 * space skipped); false when there is none. */
static bool js_step(js_t *s, const char *tok, sl_arena_t *arena)
{
    js_ws(s);
    if (s->p >= s->end)
        return false;
    if (*s->p == '[') {
        char *endp;
        long long idx = strtoll(tok, &endp, 10);
        if (!*tok || *endp || idx < 0)
            return false;
        s->p++;
        js_ws(s);
        if (s->p < s->end && *s->p == ']')
            return false;
        for (long long k = 0;; k++) {
            js_ws(s);
            if (k == idx)
                return true;
            js_value(s, 0);
            if (s->p >= s->end || *s->p++ != ',')
                return false;
        }
    }
    if (*s->p != '{')
        return false;
    s->p++;
    js_ws(s);
    const char *found = NULL;
    while (s->p < s->end && *s->p != '}') {
        js_ws(s);
        const char *k = s->p;
        js_string(s);
        bool match = key_equals(arena, k, (size_t)(s->p - k), tok);
        js_ws(s);
        s->p++; /* ':' */
        js_ws(s);
        if (match)
            found = s->p; /* the last of repeated names wins, as in Jackson */
        js_value(s, 0);
        if (s->p < s->end && *s->p == ',')
            s->p++;
    }
    if (!found)
        return false;
    s->p = found;
    return true;
}

/* --- EXTRACTJSONFIELD -------------------------------------------------------------- */

static sl_err_t prepare_extract(sl_arena_t *arena, sl_sql_expr_t *const *args, uint32_t n, void **state, char *err,
                                size_t errlen)
{
    const sl_sql_datum_t *path = sl_sql_fn_const_arg(args, n, 1);
    if (!path || sl_sql_datum_is_null(path))
        return SL_OK;
    sl_sql_jpath_t *jp = sl_sql_jpath_parse(arena, path->u.s.ptr, path->u.s.len, err, errlen);
    if (!jp)
        return SL_ERR_INVAL;
    *state = jp;
    return SL_OK;
}

/* Reads the JSON document in d: 1 with s on its first value (s->end just
 * after it: text after a valid value is ignored, as Jackson's readTree
 * does); 0 for empty text (Jackson's missing node); -1 for invalid JSON,
 * with *out NULL and ksqlDB's sentence noted. */
static int js_doc(const sl_sql_datum_t *d, js_t *s, sl_sql_eval_t *cx, sl_sql_datum_t *out)
{
    *s = (js_t){d->u.s.ptr, d->u.s.ptr + d->u.s.len};
    js_ws(s);
    if (!s->p || s->p == s->end)
        return 0;
    const char *start = s->p;
    if (!js_value(s, 0)) {
        sl_sql_fn_fail(cx, out, "Invalid JSON format:%.*s", (int)SL_MIN(d->u.s.len, 100u), d->u.s.ptr);
        return -1;
    }
    s->end = s->p;
    s->p = start;
    return 1;
}

/* The span of the value at s (white space around it skipped); s moves
 * past it. */
static void js_span(js_t *s, const char **v, size_t *vl)
{
    js_ws(s);
    const char *start = s->p;
    js_value(s, 0);
    const char *e = s->p;
    while (e > start && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        e--;
    *v = start;
    *vl = (size_t)(e - start);
}

/* Members of the (valid) object or array at it->s, one per call: the key
 * literal (objects; NULL for arrays) and the value's span. */
typedef struct js_iter {
    js_t s;
    bool object;
    bool started;
} js_iter_t;

static bool js_next(js_iter_t *it, const char **k, size_t *kl, const char **v, size_t *vl)
{
    js_t *s = &it->s;
    js_ws(s);
    if (!it->started) {
        it->object = *s->p == '{';
        s->p++;
        it->started = true;
    } else if (s->p < s->end && *s->p == ',') {
        s->p++;
    }
    js_ws(s);
    if (s->p >= s->end || *s->p == '}' || *s->p == ']')
        return false;
    *k = NULL;
    *kl = 0;
    if (it->object) {
        *k = s->p;
        js_string(s);
        *kl = (size_t)(s->p - *k);
        js_ws(s);
        s->p++; /* ':' */
    }
    js_span(s, v, vl);
    return true;
}

static void eval_extract(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                         sl_sql_datum_t *out)
{
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    const sl_sql_jpath_t *jp = call->state;
    if (!jp) {
        char why[160];
        jp = sl_sql_jpath_parse(cx->arena, args[1].u.s.ptr, args[1].u.s.len, why, sizeof why);
        if (!jp) {
            sl_sql_fn_fail(cx, out, "%s", why);
            return;
        }
    }
    js_t s;
    int doc = js_doc(&args[0], &s, cx, out);
    if (doc <= 0) {
        if (doc == 0)
            *out = sl_sql_null();
        return;
    }
    for (uint32_t i = 0; i < jp->n; i++) {
        if (!js_step(&s, jp->tokens[i], cx->arena)) {
            *out = sl_sql_null();
            return;
        }
    }
    const char *v;
    size_t vl;
    js_span(&s, &v, &vl);
    sl_sql_sb_t sb;
    sl_sql_sb_init(&sb, cx->arena, (uint32_t)vl);
    if (*v == '"')
        unescape(v, vl, &sb);
    else
        minify(v, vl, &sb);
    sl_sql_sb_done(&sb, cx, out);
}

/* --- IS_JSON_STRING, JSON_ARRAY_LENGTH, JSON_KEYS, JSON_RECORDS -------------------- */

static void eval_is_json(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                         sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    SL_UNUSED(n);
    js_t s;
    bool had_error = cx->error[0] != '\0';
    bool ok = !sl_sql_datum_is_null(&args[0]) && js_doc(&args[0], &s, cx, out) > 0;
    if (!ok && !had_error)
        cx->error[0] = '\0'; /* not JSON is an answer here, not an error */
    *out = sl_sql_bool(ok);
}

/* The document's top value when it is an object ('{') or array ('['),
 * else false with *out NULL. */
static bool json_container(const sl_sql_datum_t *args, char open, sl_sql_eval_t *cx, sl_sql_datum_t *out, js_t *s)
{
    if (sl_sql_fn_null_arg(args, 1, out))
        return false;
    int doc = js_doc(&args[0], s, cx, out);
    if (doc <= 0 || *s->p != open) {
        *out = sl_sql_null();
        return false;
    }
    return true;
}

static void eval_json_array_length(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n,
                                   sl_sql_eval_t *cx, sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    SL_UNUSED(n);
    js_t s;
    if (!json_container(args, '[', cx, out, &s))
        return;
    js_iter_t it = {.s = s};
    const char *k, *v;
    size_t kl, vl;
    int32_t count = 0;
    while (js_next(&it, &k, &kl, &v, &vl))
        count++;
    *out = sl_sql_int(count);
}

/* The object's members with repeated names merged (the first position,
 * the last value, as Jackson's object node): keys unescaped, values as
 * compact JSON text, into an arena list of 2n datums. */
static bool json_members(const js_t *s, sl_sql_eval_t *cx, sl_sql_datum_t **kv, uint32_t *n_out)
{
    js_iter_t it = {.s = *s};
    const char *k, *v;
    size_t kl, vl;
    uint32_t cap = 8, n = 0;
    sl_sql_datum_t *items = sl_arena_calloc(cx->arena, 2 * cap, sizeof *items);
    while (items && js_next(&it, &k, &kl, &v, &vl)) {
        sl_sql_sb_t ks, vs;
        sl_sql_sb_init(&ks, cx->arena, (uint32_t)kl);
        unescape(k, kl, &ks);
        sl_sql_sb_init(&vs, cx->arena, (uint32_t)vl);
        minify(v, vl, &vs);
        if (ks.oom || vs.oom)
            return false;
        uint32_t j = 0;
        while (j < n && !(items[2 * j].u.s.len == ks.len && memcmp(items[2 * j].u.s.ptr, ks.p, ks.len) == 0))
            j++;
        if (j == n) {
            if (n == cap) {
                sl_sql_datum_t *more = sl_arena_calloc(cx->arena, 4 * cap, sizeof *more);
                if (!more)
                    return false;
                memcpy(more, items, 2 * cap * sizeof *more);
                items = more;
                cap *= 2;
            }
            items[2 * n] = sl_sql_string(ks.p, ks.len);
            n++;
        }
        items[2 * j + 1] = sl_sql_string(vs.p, vs.len);
    }
    *kv = items;
    *n_out = n;
    return items != NULL;
}

static void json_keys_or_records(const sl_sql_datum_t *args, sl_sql_eval_t *cx, sl_sql_datum_t *out, bool keys)
{
    js_t s;
    if (!json_container(args, '{', cx, out, &s))
        return;
    sl_sql_datum_t *kv;
    uint32_t n;
    if (!json_members(&s, cx, &kv, &n)) {
        sl_sql_fn_fail(cx, out, "out of memory");
        return;
    }
    *out = sl_sql_null();
    out->u.a.items = kv;
    out->u.a.n = n;
    out->kind = SL_SQL_T_MAP;
    if (keys) {
        for (uint32_t i = 0; i < n; i++)
            kv[i] = kv[2 * i]; /* the keys, in place */
        out->kind = SL_SQL_T_ARRAY;
    }
}

static void eval_json_keys(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                           sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    SL_UNUSED(n);
    json_keys_or_records(args, cx, out, true);
}

static void eval_json_records(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                              sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    SL_UNUSED(n);
    json_keys_or_records(args, cx, out, false);
}

/* --- JSON_ITEMS, JSON_ARRAY_CONTAINS, JSON_CONCAT -------------------------------- */

/* Compact JSON text of the value span v[0..vl) as a STRING datum. */
static bool compact(const char *v, size_t vl, sl_sql_eval_t *cx, sl_sql_datum_t *out)
{
    sl_sql_sb_t sb;
    sl_sql_sb_init(&sb, cx->arena, (uint32_t)vl);
    minify(v, vl, &sb);
    return sl_sql_sb_done(&sb, cx, out);
}

/* The objects of a JSON array as compact texts; NULL when the text is no
 * array or an element is not an object (as ksqlDB). */
static void eval_json_items(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                            sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    SL_UNUSED(n);
    js_t s;
    if (!json_container(args, '[', cx, out, &s))
        return;
    js_iter_t it = {.s = s};
    const char *k, *v;
    size_t kl, vl;
    uint32_t count = 0;
    while (js_next(&it, &k, &kl, &v, &vl)) {
        if (*v != '{') {
            *out = sl_sql_null();
            return;
        }
        count++;
    }
    sl_sql_datum_t *items = sl_arena_calloc(cx->arena, count ? count : 1, sizeof *items);
    if (!items) {
        sl_sql_fn_fail(cx, out, "out of memory");
        return;
    }
    it = (js_iter_t){.s = s};
    for (uint32_t i = 0; i < count && js_next(&it, &k, &kl, &v, &vl); i++)
        if (!compact(v, vl, cx, &items[i]))
            return;
    *out = sl_sql_null();
    out->kind = SL_SQL_T_ARRAY;
    out->u.a.items = items;
    out->u.a.n = count;
}

/* Whether a JSON array holds val, compared as ksqlDB's Jackson tokens:
 * integers only with INT and BIGINT values, numbers with a fraction or
 * exponent only with DOUBLE ones, strings with STRING, true and false
 * with BOOLEAN. Not an array, invalid JSON or a NULL text: false. */
static void eval_json_array_contains(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n,
                                     sl_sql_eval_t *cx, sl_sql_datum_t *out)
{
    SL_UNUSED(n);
    *out = sl_sql_bool(false);
    if (args[0].kind == SL_SQL_T_NULL)
        return;
    bool had_error = cx->error[0] != '\0';
    js_t s;
    sl_sql_datum_t ignored;
    int doc = js_doc(&args[0], &s, cx, &ignored);
    if (!had_error && doc < 0)
        cx->error[0] = '\0'; /* not JSON is an answer here, not an error */
    if (doc <= 0 || *s.p != '[')
        return;
    const sl_sql_datum_t *val = &args[1];
    sl_sql_tkind_t want = call->args[1]->type ? call->args[1]->type->kind : SL_SQL_T_NULL;
    js_iter_t it = {.s = s};
    const char *k, *v;
    size_t kl, vl;
    while (js_next(&it, &k, &kl, &v, &vl)) {
        bool hit = false;
        if (*v == 'n') {
            hit = val->kind == SL_SQL_T_NULL;
        } else if (val->kind == SL_SQL_T_NULL) {
            hit = false;
        } else if (*v == 't' || *v == 'f') {
            hit = want == SL_SQL_T_BOOLEAN && val->u.b == (*v == 't');
        } else if (*v == '"') {
            if (want == SL_SQL_T_STRING) {
                sl_sql_sb_t sb;
                sl_sql_sb_init(&sb, cx->arena, (uint32_t)vl);
                unescape(v, vl, &sb);
                hit = !sb.oom && sb.len == val->u.s.len && memcmp(sb.p, val->u.s.ptr, sb.len) == 0;
            }
        } else if (*v == '-' || (*v >= '0' && *v <= '9')) {
            bool is_float = memchr(v, '.', vl) || memchr(v, 'e', vl) || memchr(v, 'E', vl);
            char num[64];
            if (vl >= sizeof num)
                continue;
            memcpy(num, v, vl);
            num[vl] = '\0';
            if (!is_float && (want == SL_SQL_T_INT || want == SL_SQL_T_BIGINT)) {
                char *end;
                errno = 0;
                long long x = strtoll(num, &end, 10);
                int64_t w = want == SL_SQL_T_INT ? val->u.i32 : val->u.i64;
                hit = errno == 0 && *end == '\0' && x == w;
            } else if (is_float && want == SL_SQL_T_DOUBLE) {
                hit = strtod(num, NULL) == val->u.f64;
            }
        }
        if (hit) {
            *out = sl_sql_bool(true);
            return;
        }
    }
}

/* PostgreSQL's jsonb ||, as ksqlDB: objects merged (a later key's value
 * wins, in the first key's place), else every value as an array (a
 * non-array one wrapped) concatenated. A NULL or invalid text: NULL. */
static void eval_json_concat(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                             sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    if (n == 0 || sl_sql_fn_null_arg(args, n, out))
        return;
    js_t *docs = sl_arena_calloc(cx->arena, n, sizeof *docs);
    if (!docs) {
        sl_sql_fn_fail(cx, out, "out of memory");
        return;
    }
    bool objects = true;
    for (uint32_t i = 0; i < n; i++) {
        int doc = js_doc(&args[i], &docs[i], cx, out);
        if (doc <= 0) {
            *out = sl_sql_null();
            return;
        }
        objects = objects && *docs[i].p == '{';
    }
    sl_sql_sb_t sb;
    sl_sql_sb_init(&sb, cx->arena, 64);
    const char *k, *v;
    size_t kl, vl;
    if (objects) {
        /* Each key once, at its first place, with its last value: the
         * members in order, a map from key text to the member's slot. */
        typedef struct member {
            const char *k, *v;
            size_t kl, vl;
        } member_t;
        size_t cap = 16, m = 0;
        member_t *mem = sl_arena_alloc(cx->arena, cap * sizeof *mem);
        sl_map_t seen;
        sl_map_init(&seen);
        bool ok = mem != NULL;
        for (uint32_t i = 0; i < n && ok; i++) {
            js_iter_t it = {.s = docs[i]};
            while (ok && js_next(&it, &k, &kl, &v, &vl)) {
                uintptr_t slot = (uintptr_t)sl_map_get(&seen, k, kl);
                if (slot) {
                    mem[slot - 1].v = v;
                    mem[slot - 1].vl = vl;
                    continue;
                }
                if (m == cap) {
                    member_t *more = sl_arena_alloc(cx->arena, 2 * cap * sizeof *more);
                    if (!(ok = more != NULL))
                        break;
                    memcpy(more, mem, m * sizeof *mem);
                    mem = more;
                    cap *= 2;
                }
                mem[m] = (member_t){k, v, kl, vl};
                ok = sl_map_put(&seen, k, kl, (void *)(uintptr_t)(++m), NULL) == SL_OK;
            }
        }
        sl_map_fini(&seen, NULL);
        if (!ok) {
            sl_sql_fn_fail(cx, out, "out of memory");
            return;
        }
        sl_sql_sb_put(&sb, "{", 1);
        for (size_t i = 0; i < m; i++) {
            if (i)
                sl_sql_sb_put(&sb, ",", 1);
            sl_sql_sb_put(&sb, mem[i].k, mem[i].kl);
            sl_sql_sb_put(&sb, ":", 1);
            minify(mem[i].v, mem[i].vl, &sb);
        }
        sl_sql_sb_put(&sb, "}", 1);
    } else {
        sl_sql_sb_put(&sb, "[", 1);
        bool first = true;
        for (uint32_t i = 0; i < n; i++) {
            if (*docs[i].p != '[') {
                if (!first)
                    sl_sql_sb_put(&sb, ",", 1);
                first = false;
                minify(docs[i].p, (size_t)(docs[i].end - docs[i].p), &sb);
                continue;
            }
            js_iter_t it = {.s = docs[i]};
            while (js_next(&it, &k, &kl, &v, &vl)) {
                if (!first)
                    sl_sql_sb_put(&sb, ",", 1);
                first = false;
                minify(v, vl, &sb);
            }
        }
        sl_sql_sb_put(&sb, "]", 1);
    }
    sl_sql_sb_done(&sb, cx, out);
}

static const sl_sql_type_t *resolve_keys(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n,
                                         char *err, size_t errlen)
{
    SL_UNUSED(arg_types);
    SL_UNUSED(n);
    const sl_sql_type_t *t = sl_sql_type_array(arena, sl_sql_type_of(SL_SQL_T_STRING));
    if (!t)
        snprintf(err, errlen, "out of memory");
    return t;
}

static const sl_sql_overload_t EXTRACTJSONFIELD_O[] = {
    {SL_SQL_P_STRING2, 2, false, SL_SQL_T_STRING, NULL, eval_extract, prepare_extract,
     "EXTRACTJSONFIELD(input VARCHAR, path VARCHAR)",
     "the value at the JSONPath in input: a string unquoted, anything else as JSON text"},
};

/* --- TO_JSON_STRING ------------------------------------------------------------ */

static void json_quote(const char *p, size_t n, sl_buf_t *b)
{
    sl_buf_put_u8(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        const char *esc = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n" : c == '\r' ? "\\r"
                        : c == '\t' ? "\\t" : c == '\b' ? "\\b" : c == '\f' ? "\\f" : NULL;
        if (esc) {
            sl_buf_put(b, esc, 2);
        } else if (c < 0x20) {
            char u[8];
            snprintf(u, sizeof u, "\\u%04X", c);
            sl_buf_put(b, u, 6);
        } else {
            sl_buf_put_u8(b, c);
        }
    }
    sl_buf_put_u8(b, '"');
}

/* Sorting a MAP's entries or a STRUCT's fields by their names' text. */
typedef struct named {
    const char *name;
    size_t len;
    uint32_t index;
} named_t;

static int named_cmp(const void *a, const void *b)
{
    const named_t *x = a, *y = b;
    int c = memcmp(x->name, y->name, SL_MIN(x->len, y->len));
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* d as ksqlDB's TO_JSON_STRING writes it: TIMESTAMP/DATE/TIME as their ISO
 * text, BYTES base64, DECIMAL plain with its scale, DOUBLE as Java prints
 * it (NaN and infinities quoted), MAP and STRUCT members in name order. */
static bool to_json_text(const sl_sql_datum_t *d, const sl_sql_type_t *t, sl_arena_t *arena, sl_buf_t *b)
{
    if (sl_sql_datum_is_null(d) || !t) {
        sl_buf_put(b, "null", 4);
        return true;
    }
    switch (t->kind) {
    case SL_SQL_T_DOUBLE:
        if (!isfinite(d->u.f64)) {
            sl_buf_put_u8(b, '"');
            sl_sql_double_format(d->u.f64, b);
            sl_buf_put_u8(b, '"');
        } else {
            sl_sql_double_format(d->u.f64, b);
        }
        return true;
    case SL_SQL_T_DECIMAL:
        sl_sql_dec_format(d->u.dec, d->scale, b);
        return true;
    case SL_SQL_T_STRING:
        json_quote(d->u.s.ptr, d->u.s.len, b);
        return true;
    case SL_SQL_T_BYTES:
    case SL_SQL_T_TIMESTAMP:
    case SL_SQL_T_DATE:
    case SL_SQL_T_TIME: {
        sl_buf_t text;
        sl_buf_init(&text);
        if (t->kind == SL_SQL_T_BYTES)
            sl_sql_base64_write((const uint8_t *)d->u.s.ptr, d->u.s.len, &text);
        else
            sl_sql_datum_format(d, t, &text);
        json_quote(text.data ? (const char *)text.data : "", text.len, b);
        bool ok = sl_buf_err(&text) == SL_OK;
        sl_buf_free(&text);
        return ok;
    }
    case SL_SQL_T_ARRAY:
        sl_buf_put_u8(b, '[');
        for (uint32_t i = 0; i < d->u.a.n; i++) {
            if (i)
                sl_buf_put_u8(b, ',');
            if (!to_json_text(&d->u.a.items[i], t->elem, arena, b))
                return false;
        }
        sl_buf_put_u8(b, ']');
        return true;
    case SL_SQL_T_MAP:
    case SL_SQL_T_STRUCT: {
        bool map = t->kind == SL_SQL_T_MAP;
        uint32_t n = map ? d->u.a.n : SL_MIN(d->u.a.n, t->n_fields);
        named_t *names = sl_arena_calloc(arena, n ? n : 1, sizeof *names);
        if (!names)
            return false;
        for (uint32_t i = 0; i < n; i++) {
            names[i].index = i;
            if (!map) {
                names[i].name = t->fields[i].name;
                names[i].len = strlen(t->fields[i].name);
                continue;
            }
            sl_buf_t k;
            sl_buf_init(&k);
            sl_sql_datum_format(&d->u.a.items[2 * i], t->key, &k);
            names[i].name = sl_arena_memdup(arena, k.data ? (const void *)k.data : "", k.len + 1);
            names[i].len = k.len;
            sl_buf_free(&k);
            if (!names[i].name)
                return false;
        }
        qsort(names, n, sizeof *names, named_cmp);
        sl_buf_put_u8(b, '{');
        for (uint32_t i = 0; i < n; i++) {
            if (i)
                sl_buf_put_u8(b, ',');
            json_quote(names[i].name, names[i].len, b);
            sl_buf_put_u8(b, ':');
            uint32_t j = names[i].index;
            const sl_sql_datum_t *v = map ? &d->u.a.items[2 * j + 1] : &d->u.a.items[j];
            if (!to_json_text(v, map ? t->elem : t->fields[j].type, arena, b))
                return false;
        }
        sl_buf_put_u8(b, '}');
        return true;
    }
    default: /* BOOLEAN, INT, BIGINT: as CAST to STRING spells them */
        sl_sql_datum_format(d, t, b);
        return true;
    }
}

static void eval_to_json_string(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n,
                                sl_sql_eval_t *cx, sl_sql_datum_t *out)
{
    SL_UNUSED(n);
    sl_buf_t b;
    sl_buf_init(&b);
    bool ok = to_json_text(&args[0], call->args[0]->type, cx->arena, &b) && sl_buf_err(&b) == SL_OK &&
              b.len <= SL_SQL_SB_MAX;
    char *p = ok ? sl_sql_fn_string(cx, (uint32_t)b.len, out) : NULL;
    if (p && b.len)
        memcpy(p, b.data, b.len);
    else if (!ok)
        sl_sql_fn_fail(cx, out, "TO_JSON_STRING: out of memory");
    sl_buf_free(&b);
}

static const sl_sql_overload_t TO_JSON_STRING_O[] = {
    SL_SQL_OV(SL_SQL_P_ANY, SL_SQL_T_STRING, eval_to_json_string, "TO_JSON_STRING(input T)",
              "the value as JSON text (NULL gives 'null')"),
};
static const sl_sql_overload_t IS_JSON_STRING_O[] = {
    SL_SQL_OV(SL_SQL_P_STRING, SL_SQL_T_BOOLEAN, eval_is_json, "IS_JSON_STRING(json VARCHAR)",
              "whether the text is JSON (false for NULL)"),
};
static const sl_sql_overload_t JSON_ARRAY_LENGTH_O[] = {
    SL_SQL_OV(SL_SQL_P_STRING, SL_SQL_T_INT, eval_json_array_length, "JSON_ARRAY_LENGTH(json VARCHAR)",
              "the number of elements of a JSON array, NULL for anything else"),
};
static const sl_sql_overload_t JSON_KEYS_O[] = {
    {SL_SQL_P_STRING, 1, false, SL_SQL_T_NULL, resolve_keys, eval_json_keys, NULL, "JSON_KEYS(json VARCHAR)",
     "the names of a JSON object's members, NULL for anything else"},
};
static const sl_sql_overload_t JSON_ITEMS_O[] = {
    {SL_SQL_P_STRING, 1, false, SL_SQL_T_NULL, resolve_keys, eval_json_items, NULL, "JSON_ITEMS(json VARCHAR)",
     "the objects of a JSON array as JSON texts, NULL if an element is no object"},
};
static const sl_sql_tkind_t P_JSON_BOOL[] = {SL_SQL_T_STRING, SL_SQL_T_BOOLEAN};
static const sl_sql_tkind_t P_JSON_INT[] = {SL_SQL_T_STRING, SL_SQL_T_INT};
static const sl_sql_tkind_t P_JSON_BIGINT[] = {SL_SQL_T_STRING, SL_SQL_T_BIGINT};
static const sl_sql_tkind_t P_JSON_DOUBLE[] = {SL_SQL_T_STRING, SL_SQL_T_DOUBLE};
static const sl_sql_overload_t JSON_ARRAY_CONTAINS_O[] = {
    SL_SQL_OV(P_JSON_BOOL, SL_SQL_T_BOOLEAN, eval_json_array_contains,
              "JSON_ARRAY_CONTAINS(jsonArray VARCHAR, val BOOLEAN)", "whether the JSON array holds val"),
    SL_SQL_OV(P_JSON_INT, SL_SQL_T_BOOLEAN, eval_json_array_contains,
              "JSON_ARRAY_CONTAINS(jsonArray VARCHAR, val INT)", "whether the JSON array holds val"),
    SL_SQL_OV(P_JSON_BIGINT, SL_SQL_T_BOOLEAN, eval_json_array_contains,
              "JSON_ARRAY_CONTAINS(jsonArray VARCHAR, val BIGINT)", "whether the JSON array holds val"),
    SL_SQL_OV(P_JSON_DOUBLE, SL_SQL_T_BOOLEAN, eval_json_array_contains,
              "JSON_ARRAY_CONTAINS(jsonArray VARCHAR, val DOUBLE)", "whether the JSON array holds val"),
    SL_SQL_OV(SL_SQL_P_STRING2, SL_SQL_T_BOOLEAN, eval_json_array_contains,
              "JSON_ARRAY_CONTAINS(jsonArray VARCHAR, val VARCHAR)", "whether the JSON array holds val"),
};
static const sl_sql_overload_t JSON_CONCAT_O[] = {
    {SL_SQL_P_STRING, 1, true, SL_SQL_T_STRING, NULL, eval_json_concat, NULL, "JSON_CONCAT(json VARCHAR...)",
     "the JSON texts concatenated as PostgreSQL's jsonb ||"},
};
static const sl_sql_overload_t JSON_RECORDS_O[] = {
    {SL_SQL_P_STRING, 1, false, SL_SQL_T_NULL, sl_sql_fn_resolve_string_map, eval_json_records, NULL,
     "JSON_RECORDS(json VARCHAR)",
     "a JSON object's members as a MAP of names to JSON text"},
};

const sl_sql_func_t sl_sql_funcs_json[] = {
    SL_SQL_FN("EXTRACTJSONFIELD", "JSON",
              "Extracts the value at a JSONPath ($.a.b[0]) from a JSON string, NULL if there is none.",
              EXTRACTJSONFIELD_O),
    SL_SQL_FN("IS_JSON_STRING", "JSON", "Tells whether a string is valid JSON.", IS_JSON_STRING_O),
    SL_SQL_FN("JSON_ARRAY_CONTAINS", "JSON", "Tells whether a JSON array holds a value.", JSON_ARRAY_CONTAINS_O),
    SL_SQL_FN("JSON_ARRAY_LENGTH", "JSON", "Returns the number of elements of a JSON array.", JSON_ARRAY_LENGTH_O),
    SL_SQL_FN("JSON_CONCAT", "JSON", "Concatenates JSON texts as PostgreSQL's jsonb || does.", JSON_CONCAT_O),
    SL_SQL_FN("JSON_ITEMS", "JSON", "Returns the objects of a JSON array as JSON texts.", JSON_ITEMS_O),
    SL_SQL_FN("JSON_KEYS", "JSON", "Returns the member names of a JSON object.", JSON_KEYS_O),
    SL_SQL_FN("JSON_RECORDS", "JSON", "Returns the members of a JSON object as a map of JSON texts.",
              JSON_RECORDS_O),
    SL_SQL_FN("TO_JSON_STRING", "JSON", "Returns any value as its JSON text.", TO_JSON_STRING_O),
    SL_SQL_FN_END,
};
