/*
 * format_json.c - the JSON format, as ksqlDB's JSON serde reads and writes
 * it, and single datums <-> jansson values.
 *
 * Decoding parses the record's bytes straight into the row (no tree):
 * object fields go to the columns (or struct fields) whose name they match,
 * exactly or once upper-cased (an exact match wins); unknown fields are
 * checked for syntax and skipped; each value is coerced to its column's
 * type with ksqlDB's rules (numbers and numeric strings both ways, anything
 * to STRING, DECIMAL exact from the number's text). Strings without escapes
 * point into the record's bytes; everything else lives in the arena.
 * Nesting is bounded (JP_MAX_DEPTH); every loop advances through the input.
 *
 * Conversion errors read as ksqlDB's ("Can't convert type. sourceType:
 * TextNode, requiredType: INTEGER, path: $.ID"); the jansson path
 * (sl_sql_datum_from_json) shares the scalar coercions and the sentences.
 *
 * Encoding writes compact JSON into the buffer directly: column names as
 * declared, DOUBLE as Java prints it, DECIMAL in plain notation with its
 * scale, TIMESTAMP/TIME ms and DATE days as integers, BYTES base64.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "format_int.h"

#define JP_MAX_DEPTH 64

/* ======================================================================
 * Parser state, paths and errors
 * ====================================================================== */

enum { SEG_FIELD, SEG_INDEX, SEG_MAPVAL };

typedef struct jseg {
    int kind;
    const char *name;
    uint32_t len;
    uint32_t idx;
} jseg_t;

typedef struct jp {
    const char *p, *end;
    sl_arena_t *arena;
    char *err;
    size_t errlen;
    int depth;
    jseg_t path[JP_MAX_DEPTH + 2];
} jp_t;

static sl_err_t jp_syntax(jp_t *jp, const char *what)
{
    if (jp->p >= jp->end)
        snprintf(jp->err, jp->errlen, "Invalid JSON: unexpected end-of-input (%s)", what);
    else
        snprintf(jp->err, jp->errlen, "Invalid JSON: unexpected character (code %d): %s",
                 (int)(unsigned char)*jp->p, what);
    return SL_ERR_PARSE;
}

static sl_err_t jp_nomem(jp_t *jp)
{
    snprintf(jp->err, jp->errlen, "out of memory");
    return SL_ERR_NOMEM;
}

/* A conversion error at the current path: msg, then ", path: $..." */
static sl_err_t jp_conv(jp_t *jp, const char *msg)
{
    size_t o = (size_t)snprintf(jp->err, jp->errlen, "%s, path: $", msg);
    for (int i = 0; i < jp->depth && o < jp->errlen; i++) {
        const jseg_t *s = &jp->path[i];
        int w;
        if (s->kind == SEG_INDEX)
            w = snprintf(jp->err + o, jp->errlen - o, "[%u]", s->idx);
        else
            w = snprintf(jp->err + o, jp->errlen - o, ".%.*s%s", (int)(s->len > 200 ? 200 : s->len), s->name,
                         s->kind == SEG_MAPVAL ? ".value" : "");
        if (w < 0)
            break;
        o += (size_t)w;
    }
    return SL_ERR_PARSE;
}

static bool jp_push(jp_t *jp, int kind, const char *name, uint32_t len, uint32_t idx)
{
    if (jp->depth >= JP_MAX_DEPTH)
        return false;
    jp->path[jp->depth++] = (jseg_t){kind, name, len, idx};
    return true;
}

static void jp_ws(jp_t *jp)
{
    while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\n' || *jp->p == '\r' || *jp->p == '\t'))
        jp->p++;
}

/* Past the '{' or '[' at jp->p: false when close follows at once (the
 * container is empty, close consumed), true when items follow. */
static bool jp_open(jp_t *jp, char close)
{
    jp->p++;
    jp_ws(jp);
    if (jp->p < jp->end && *jp->p == close) {
        jp->p++;
        return false;
    }
    return true;
}

/* After an item of a container closed by close: *more true past a ',',
 * false past close; anything else is a syntax error. */
static sl_err_t jp_after(jp_t *jp, char close, bool *more)
{
    jp_ws(jp);
    if (jp->p < jp->end && (*jp->p == ',' || *jp->p == close)) {
        *more = *jp->p++ == ',';
        return SL_OK;
    }
    return jp_syntax(jp, close == '}' ? "',' or '}' expected" : "',' or ']' expected");
}

/* ======================================================================
 * Tokens and the scalar coercions (shared with the jansson path)
 * ====================================================================== */

typedef enum { JT_NULL, JT_BOOL, JT_NUM, JT_STR, JT_OBJ, JT_ARR } jtk_t;

typedef struct jtok {
    jtk_t k;
    bool b;         /* JT_BOOL */
    bool is_int;    /* JT_NUM without fraction or exponent */
    bool transient; /* p is not in the record's bytes or the arena: copy it to keep it */
    bool has_i64;   /* JT_NUM: an integer of at most 18 digits, its value in i64 */
    const char *p;  /* JT_NUM: its text; JT_STR: the decoded string */
    size_t n;
    int64_t i64;
} jtok_t;

/* Jackson's node class of t, for "sourceType" in ksqlDB's sentence. */
static const char *node_name(const jtok_t *t)
{
    int64_t v;
    switch (t->k) {
    case JT_NULL:
        return "NullNode";
    case JT_BOOL:
        return "BooleanNode";
    case JT_STR:
        return "TextNode";
    case JT_OBJ:
        return "ObjectNode";
    case JT_ARR:
        return "ArrayNode";
    case JT_NUM:
        if (!t->is_int)
            return "DecimalNode";
        if (sl_sql_int_parse(t->p, t->n, INT32_MIN, INT32_MAX, &v))
            return "IntNode";
        if (sl_sql_int_parse(t->p, t->n, INT64_MIN, INT64_MAX, &v))
            return "LongNode";
        return "BigIntegerNode";
    }
    return "JsonNode";
}

static void required_name(const sl_sql_type_t *t, char *buf, size_t len)
{
    if (t->kind <= SL_SQL_T_TIME && t->kind != SL_SQL_T_DECIMAL)
        snprintf(buf, len, "%s", sl_sql_base_type_name(t->kind));
    else
        sl_sql_type_str(t, buf, len);
}

static sl_err_t conv_error(const jtok_t *tok, const sl_sql_type_t *t, char *msg, size_t msglen)
{
    char req[256];
    required_name(t, req, sizeof req);
    snprintf(msg, msglen, "Can't convert type. sourceType: %s, requiredType: %s", node_name(tok), req);
    return SL_ERR_PARSE;
}

static sl_err_t coerce_error(const sl_sql_type_t *t, char *msg, size_t msglen)
{
    snprintf(msg, msglen, "Can't coerce string to type. targetType: %s", sl_sql_base_type_name(t->kind));
    return SL_ERR_PARSE;
}

/* A JSON number as a 64-bit integer, as Jackson's asLong()/intValue() give
 * it: integers exactly (wrapping beyond 64 bits is not modelled: they
 * saturate), fractions truncated toward zero. */
static bool num_to_i64(const jtok_t *tok, int64_t *out)
{
    if (tok->is_int && sl_sql_int_parse(tok->p, tok->n, INT64_MIN, INT64_MAX, out))
        return true;
    double x;
    if (!sl_sql_double_parse(tok->p, tok->n, &x))
        return false;
    if (x != x)
        *out = 0;
    else if (x >= 9.2233720368547758e18)
        *out = INT64_MAX;
    else if (x <= -9.2233720368547758e18)
        *out = INT64_MIN;
    else
        *out = (int64_t)x;
    return true;
}

static const char *keep(const jtok_t *tok, sl_arena_t *arena)
{
    if (!tok->transient)
        return tok->p;
    return sl_arena_memdup(arena, tok->p, tok->n ? tok->n : 1);
}

/* tok (not an object or array) as a datum of primitive type t; msg holds
 * the raw sentence (no path) on SL_ERR_PARSE. */
static sl_err_t coerce(const jtok_t *tok, const sl_sql_type_t *t, sl_arena_t *arena, sl_sql_datum_t *out,
                       char *msg, size_t msglen)
{
    int64_t v;
    if (tok->k == JT_NULL) {
        *out = sl_sql_null();
        return SL_OK;
    }
    switch (t->kind) {
    case SL_SQL_T_BOOLEAN:
        if (tok->k != JT_BOOL)
            return conv_error(tok, t, msg, msglen);
        *out = sl_sql_bool(tok->b);
        return SL_OK;
    case SL_SQL_T_INT:
    case SL_SQL_T_DATE:
    case SL_SQL_T_BIGINT:
    case SL_SQL_T_TIMESTAMP:
    case SL_SQL_T_TIME: {
        bool narrow = t->kind == SL_SQL_T_INT || t->kind == SL_SQL_T_DATE;
        if (tok->k == JT_NUM && tok->has_i64) {
            v = tok->i64;
        } else if (tok->k == JT_NUM) {
            if (!num_to_i64(tok, &v))
                return conv_error(tok, t, msg, msglen);
        } else if (tok->k == JT_STR) {
            if (!sl_sql_int_parse(tok->p, tok->n, narrow ? INT32_MIN : INT64_MIN, narrow ? INT32_MAX : INT64_MAX,
                                  &v))
                return coerce_error(t, msg, msglen);
        } else {
            return conv_error(tok, t, msg, msglen);
        }
        out->kind = (uint8_t)t->kind;
        out->scale = 0;
        if (narrow)
            out->u.i32 = (int32_t)(uint32_t)(uint64_t)v; /* Java's int cast keeps the low 32 bits */
        else
            out->u.i64 = v;
        return SL_OK;
    }
    case SL_SQL_T_DOUBLE: {
        double x;
        if (tok->k != JT_NUM && tok->k != JT_STR)
            return conv_error(tok, t, msg, msglen);
        if (!sl_sql_double_parse(tok->p, tok->n, &x))
            return tok->k == JT_STR ? coerce_error(t, msg, msglen) : conv_error(tok, t, msg, msglen);
        *out = sl_sql_double(x);
        return SL_OK;
    }
    case SL_SQL_T_DECIMAL: {
        sl_sql_i128_t u;
        if (tok->k != JT_NUM && tok->k != JT_STR)
            return conv_error(tok, t, msg, msglen);
        if (sl_sql_dec_parse(tok->p, tok->n, t->precision, t->scale, &u, msg, msglen))
            return SL_ERR_PARSE;
        sl_sql_datum_t d = {0};
        d.kind = SL_SQL_T_DECIMAL;
        d.scale = t->scale;
        d.u.dec = u;
        *out = d;
        return SL_OK;
    }
    case SL_SQL_T_STRING: {
        const char *s;
        size_t n;
        if (tok->k == JT_BOOL) {
            s = tok->b ? "true" : "false";
            n = tok->b ? 4 : 5;
        } else if (tok->k == JT_STR || tok->k == JT_NUM) {
            s = keep(tok, arena);
            n = tok->n;
            if (!s) {
                snprintf(msg, msglen, "out of memory");
                return SL_ERR_NOMEM;
            }
        } else {
            return conv_error(tok, t, msg, msglen);
        }
        if (n > UINT32_MAX)
            return conv_error(tok, t, msg, msglen);
        out->kind = SL_SQL_T_STRING;
        out->scale = 0;
        out->u.s.ptr = s;
        out->u.s.len = (uint32_t)n;
        return SL_OK;
    }
    case SL_SQL_T_BYTES: {
        const uint8_t *b;
        uint32_t bl;
        if (tok->k != JT_STR)
            return conv_error(tok, t, msg, msglen);
        if (!sl_sql_base64_read(tok->p, tok->n, arena, &b, &bl)) {
            snprintf(msg, msglen, "Value is not a valid Base64 encoded string: %.*s", (int)(tok->n > 64 ? 64 : tok->n),
                     tok->p);
            return SL_ERR_PARSE;
        }
        sl_sql_datum_t d = {0};
        d.kind = SL_SQL_T_BYTES;
        d.u.s.ptr = (const char *)b;
        d.u.s.len = bl;
        *out = d;
        return SL_OK;
    }
    default:
        return conv_error(tok, t, msg, msglen);
    }
}

/* ======================================================================
 * Small arena helpers
 * ====================================================================== */

typedef struct dvec {
    sl_sql_datum_t *items;
    uint32_t n, cap;
} dvec_t;

static sl_sql_datum_t *dvec_push(dvec_t *v, sl_arena_t *arena)
{
    if (v->n == v->cap) {
        uint32_t cap = v->cap ? v->cap * 2 : 8;
        if (cap < v->cap)
            return NULL;
        sl_sql_datum_t *items = sl_arena_alloc(arena, (size_t)cap * sizeof *items);
        if (!items)
            return NULL;
        if (v->n)
            memcpy(items, v->items, (size_t)v->n * sizeof *items);
        v->items = items;
        v->cap = cap;
    }
    sl_sql_datum_t *d = &v->items[v->n++];
    *d = sl_sql_null();
    return d;
}

/* Which of n names key matches: *exact the index matching byte for byte
 * (or -1), *upper the other index matching the key upper-cased (or -1). */
typedef struct fieldset {
    uint32_t n;
    const sl_sql_field_t *fields;       /* a STRUCT's, or NULL: */
    const char *const *names;           /* a row's columns */
    const uint32_t *lens;
    const sl_sql_type_t *const *types;
    const char *const *lower;           /* the names in lower case, or NULL (see sl_sql_codec_t) */
    bool unique;                        /* no two names equal ignoring case */
    uint32_t hint;                      /* where the next key likely matches */
} fieldset_t;

static inline const char *fs_name(const fieldset_t *fs, uint32_t i, size_t *len)
{
    if (fs->fields) {
        *len = strlen(fs->fields[i].name);
        return fs->fields[i].name;
    }
    *len = fs->lens[i];
    return fs->names[i];
}

static inline const sl_sql_type_t *fs_type(const fieldset_t *fs, uint32_t i)
{
    return fs->fields ? fs->fields[i].type : fs->types[i];
}

enum { MATCH_UPPER = 1, MATCH_EXACT = 2 };

/* How key matches name: MATCH_EXACT byte for byte, MATCH_UPPER once the
 * key is upper-cased (ASCII), both, or 0. */
static int name_match(const char *key, size_t klen, const char *nm, size_t nl)
{
    if (nl != klen)
        return 0;
    bool exact = true, upper = true;
    for (size_t j = 0; j < klen; j++) {
        char c = key[j], u = c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
        exact = exact && c == nm[j];
        upper = upper && u == nm[j];
        if (!exact && !upper)
            return 0;
    }
    return (exact ? MATCH_EXACT : 0) | (upper ? MATCH_UPPER : 0);
}

static inline bool upper_eq(const char *key, const char *nm, size_t n)
{
    for (size_t j = 0; j < n; j++) {
        unsigned char c = (unsigned char)key[j];
        if ((unsigned)(c - 'a') < 26u)
            c = (unsigned char)(c - 32);
        if (c != (unsigned char)nm[j])
            return false;
    }
    return true;
}

/* Which names key matches: *exact the index matching byte for byte (or
 * -1), *upper another index matching the key upper-cased (or -1). With
 * names unique ignoring case one match is all there can be, so the search
 * starts where the last one ended (fields usually come in order). */
static void fs_match(fieldset_t *fs, const char *key, size_t klen, int *exact, int *upper)
{
    *exact = *upper = -1;
    if (fs->unique) {
        for (uint32_t k = 0; k < fs->n; k++) {
            uint32_t i = fs->hint + k < fs->n ? fs->hint + k : fs->hint + k - fs->n;
            size_t nl;
            const char *nm = fs_name(fs, i, &nl);
            if (nl != klen)
                continue;
            bool ex = memcmp(key, nm, klen) == 0;
            if (ex || (fs->lower && fs->lower[i] && memcmp(key, fs->lower[i], klen) == 0) ||
                upper_eq(key, nm, klen)) {
                if (ex)
                    *exact = (int)i;
                else
                    *upper = (int)i;
                fs->hint = i + 1 < fs->n ? i + 1 : 0;
                return;
            }
        }
        return;
    }
    for (uint32_t i = 0; i < fs->n; i++) {
        size_t nl;
        const char *nm = fs_name(fs, i, &nl);
        int m = name_match(key, klen, nm, nl);
        if ((m & MATCH_EXACT) && *exact < 0)
            *exact = (int)i;
        else if (m & MATCH_UPPER)
            *upper = (int)i;
    }
}

/* Writes items[i] from a key's value with Jackson's precedence: a field
 * set by an exact match is not overwritten by an upper-cased one. */
static void fs_assign(sl_sql_datum_t *items, uint8_t *how, int exact, int upper, const sl_sql_datum_t *v)
{
    if (exact >= 0) {
        items[exact] = *v;
        how[exact] = 2;
    }
    if (upper >= 0 && how[upper] != 2) {
        items[upper] = *v;
        how[upper] = 1;
    }
}

/* ======================================================================
 * The raw parser
 * ====================================================================== */

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int h = sl_hex_value((unsigned char)p[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Bytes a string can hold as they are (JSON's unescaped ASCII) and bytes
 * a writer can copy as they are: eight at a time where the machine is
 * little-endian (the lowest flagged byte is a true one: borrows only run
 * upwards). */
static inline bool plain_in(unsigned char c)
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

static inline bool plain_out(unsigned char c)
{
    return c >= 0x20 && c != '"' && c != '\\';
}

#define SWAR_ONES 0x0101010101010101ULL
#define SWAR_HIGHS 0x8080808080808080ULL

/* The flags of the bytes of v that are below 0x20, a quote or a backslash,
 * and (high) those at or above 0x80. */
static inline uint64_t swar_special(uint64_t v, bool high)
{
    uint64_t xq = v ^ (SWAR_ONES * '"'), xb = v ^ (SWAR_ONES * '\\');
    uint64_t hit = ((v - SWAR_ONES * 0x20) & ~v) | ((xq - SWAR_ONES) & ~xq) | ((xb - SWAR_ONES) & ~xb);
    if (high)
        hit |= v;
    return hit & SWAR_HIGHS;
}

/* The first byte at or after q that is not plain (in: plain_in; out:
 * plain_out), or end. */
static inline const char *plain_run(const char *q, const char *end, bool in)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (end - q >= 8) {
        uint64_t v;
        memcpy(&v, q, 8);
        uint64_t m = swar_special(v, in);
        if (!in && m) {
            /* bytes >= 0x80 may have set flags of their own: look closer */
            uint64_t hi = v & SWAR_HIGHS;
            if (hi) {
                m = 0;
                for (int i = 0; i < 8 && !m; i++)
                    if (!plain_out((unsigned char)q[i]))
                        m = 0x80ULL << (8 * i);
            }
        }
        if (m)
            return q + (__builtin_ctzll(m) >> 3);
        q += 8;
    }
#endif
    while (q < end && (in ? plain_in((unsigned char)*q) : plain_out((unsigned char)*q)))
        q++;
    return q;
}

/* A string at jp->p (the opening quote): its decoded bytes, pointing into
 * the input when it has no escapes. */
static sl_err_t jp_string(jp_t *jp, const char **out, size_t *outlen)
{
    const char *start = ++jp->p, *q = start;
    bool esc = false;
    for (;;) {
        q = plain_run(q, jp->end, true);
        if (q >= jp->end) {
            jp->p = q;
            return jp_syntax(jp, "unterminated string");
        }
        unsigned char c = (unsigned char)*q;
        if (c == '"')
            break;
        if (c < 0x20) {
            jp->p = q;
            return jp_syntax(jp, "control character in a string");
        }
        if (c == '\\') {
            esc = true;
            q += 2;
            continue;
        }
        if (c >= 0x80) {
            int n = sl_sql_utf8_len((const unsigned char *)q, (const unsigned char *)jp->end);
            if (!n) {
                jp->p = q;
                return jp_syntax(jp, "invalid UTF-8");
            }
            q += n;
            continue;
        }
        q++;
    }
    jp->p = q + 1;
    if (!esc) {
        *out = start;
        *outlen = (size_t)(q - start);
        return SL_OK;
    }
    char *o = sl_arena_alloc(jp->arena, (size_t)(q - start));
    if (!o)
        return jp_nomem(jp);
    size_t k = 0;
    for (const char *s = start; s < q;) {
        if (*s != '\\') {
            o[k++] = *s++;
            continue;
        }
        s++;
        char e = *s++;
        switch (e) {
        case '"':
        case '\\':
        case '/':
            o[k++] = e;
            break;
        case 'b':
            o[k++] = '\b';
            break;
        case 'f':
            o[k++] = '\f';
            break;
        case 'n':
            o[k++] = '\n';
            break;
        case 'r':
            o[k++] = '\r';
            break;
        case 't':
            o[k++] = '\t';
            break;
        case 'u': {
            int cp = q - s >= 4 ? hex4(s) : -1;
            if (cp < 0) {
                jp->p = s;
                return jp_syntax(jp, "bad \\u escape");
            }
            s += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF && q - s >= 6 && s[0] == '\\' && s[1] == 'u') {
                int lo = hex4(s + 2);
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    s += 6;
                }
            }
            if (cp >= 0xD800 && cp <= 0xDFFF)
                cp = 0xFFFD; /* a lone surrogate */
            /* 6 escaped bytes always give at most 4 */
            k += put_utf8(o + k, (unsigned)cp);
            break;
        }
        default:
            jp->p = s - 1;
            return jp_syntax(jp, "bad escape");
        }
    }
    *out = o;
    *outlen = k;
    return SL_OK;
}

/* A field name and its ':' inside an object: the name into key/klen. */
static sl_err_t jp_key(jp_t *jp, const char **key, size_t *klen)
{
    jp_ws(jp);
    if (jp->p >= jp->end || *jp->p != '"')
        return jp_syntax(jp, "a field name expected");
    sl_err_t rc = jp_string(jp, key, klen);
    if (rc)
        return rc;
    jp_ws(jp);
    if (jp->p >= jp->end || *jp->p != ':')
        return jp_syntax(jp, "':' expected");
    jp->p++;
    return SL_OK;
}

static sl_err_t jp_number(jp_t *jp, jtok_t *tok)
{
    const char *s = jp->p, *q = s, *e = jp->end;
    bool is_int = true, neg = false;
    uint64_t v = 0;
    if (q < e && *q == '-') {
        neg = true;
        q++;
    }
    const char *digits = q;
    if (q < e && *q == '0') {
        q++;
    } else if (q < e && *q >= '1' && *q <= '9') {
        while (q < e && *q >= '0' && *q <= '9')
            v = v * 10 + (uint64_t)(*q++ - '0'); /* meaningful up to 18 digits */
    } else {
        jp->p = q;
        return jp_syntax(jp, "bad number");
    }
    size_t ndigits = (size_t)(q - digits);
    if (q < e && *q == '.') {
        is_int = false;
        q++;
        if (q >= e || *q < '0' || *q > '9') {
            jp->p = q;
            return jp_syntax(jp, "bad number");
        }
        while (q < e && *q >= '0' && *q <= '9')
            q++;
    }
    if (q < e && (*q == 'e' || *q == 'E')) {
        is_int = false;
        q++;
        if (q < e && (*q == '+' || *q == '-'))
            q++;
        if (q >= e || *q < '0' || *q > '9') {
            jp->p = q;
            return jp_syntax(jp, "bad number");
        }
        while (q < e && *q >= '0' && *q <= '9')
            q++;
    }
    jp->p = q;
    *tok = (jtok_t){JT_NUM, false, is_int, false, false, s, (size_t)(q - s), 0};
    if (is_int && ndigits <= 18) {
        tok->has_i64 = true;
        tok->i64 = neg ? -(int64_t)v : (int64_t)v;
    }
    return SL_OK;
}

static sl_err_t jp_literal(jp_t *jp, const char *word, size_t n)
{
    if ((size_t)(jp->end - jp->p) < n || memcmp(jp->p, word, n) != 0)
        return jp_syntax(jp, "unrecognised token");
    jp->p += n;
    return SL_OK;
}

/* Checks the syntax of one value and moves past it. */
static sl_err_t jp_skip(jp_t *jp)
{
    jp_ws(jp);
    if (jp->p >= jp->end)
        return jp_syntax(jp, "a value expected");
    const char *s;
    size_t n;
    jtok_t tok;
    switch (*jp->p) {
    case '"':
        return jp_string(jp, &s, &n);
    case 't':
        return jp_literal(jp, "true", 4);
    case 'f':
        return jp_literal(jp, "false", 5);
    case 'n':
        return jp_literal(jp, "null", 4);
    case '{':
    case '[': {
        char close = *jp->p == '{' ? '}' : ']';
        bool obj = close == '}';
        if (jp->depth >= JP_MAX_DEPTH)
            return jp_syntax(jp, "nested too deeply");
        jp->depth++;
        bool more = jp_open(jp, close);
        while (more) {
            sl_err_t rc;
            if (obj && (rc = jp_key(jp, &s, &n)))
                return rc;
            if ((rc = jp_skip(jp)) || (rc = jp_after(jp, close, &more)))
                return rc;
        }
        jp->depth--;
        return SL_OK;
    }
    default:
        if (*jp->p == '-' || (*jp->p >= '0' && *jp->p <= '9'))
            return jp_number(jp, &tok);
        return jp_syntax(jp, "a value expected");
    }
}

static sl_err_t jp_value(jp_t *jp, const sl_sql_type_t *t, sl_sql_datum_t *out);

/* The object at jp->p into items[0..fs->n) by field names. */
static sl_err_t jp_fields(jp_t *jp, fieldset_t *fs, sl_sql_datum_t *items)
{
    uint8_t how_small[64];
    uint8_t *how = how_small;
    if (fs->n > sizeof how_small) {
        how = sl_arena_zalloc(jp->arena, fs->n);
        if (!how)
            return jp_nomem(jp);
    } else {
        memset(how_small, 0, fs->n);
    }
    bool more = jp_open(jp, '}');
    while (more) {
        const char *key;
        size_t klen;
        sl_err_t rc = jp_key(jp, &key, &klen);
        if (rc)
            return rc;
        int exact, upper;
        fs_match(fs, key, klen, &exact, &upper);
        if (exact < 0 && upper < 0) {
            if ((rc = jp_skip(jp)))
                return rc;
        } else {
            int i = exact >= 0 ? exact : upper;
            size_t nl;
            const char *nm = fs_name(fs, (uint32_t)i, &nl);
            sl_sql_datum_t v;
            /* one target that takes the value: read straight into it */
            bool direct = (exact >= 0 && upper < 0) || (exact < 0 && how[upper] != 2);
            if (!jp_push(jp, SEG_FIELD, nm, (uint32_t)nl, 0))
                return jp_syntax(jp, "nested too deeply");
            rc = jp_value(jp, fs_type(fs, (uint32_t)i), direct ? &items[i] : &v);
            jp->depth--;
            if (rc)
                return rc;
            if (direct)
                how[i] = exact >= 0 ? 2 : 1;
            else
                fs_assign(items, how, exact, upper, &v);
        }
        if ((rc = jp_after(jp, '}', &more)))
            return rc;
    }
    return SL_OK;
}

/* The elements of the array at jp->p, each read as elem; as_string: each
 * element read as STRING (for an ARRAY given to a STRING column). */
static sl_err_t jp_items(jp_t *jp, const sl_sql_type_t *elem, dvec_t *v)
{
    bool more = jp_open(jp, ']');
    while (more) {
        sl_sql_datum_t *d = dvec_push(v, jp->arena);
        if (!d)
            return jp_nomem(jp);
        if (!jp_push(jp, SEG_INDEX, NULL, 0, v->n - 1))
            return jp_syntax(jp, "nested too deeply");
        sl_err_t rc = jp_value(jp, elem, d);
        jp->depth--;
        if (rc || (rc = jp_after(jp, ']', &more)))
            return rc;
    }
    return SL_OK;
}

static sl_err_t jp_map(jp_t *jp, const sl_sql_type_t *t, sl_sql_datum_t *out)
{
    dvec_t v = {0};
    bool more = jp_open(jp, '}');
    while (more) {
        const char *key;
        size_t klen;
        sl_err_t rc = jp_key(jp, &key, &klen);
        if (rc)
            return rc;
        sl_sql_datum_t *kd = dvec_push(&v, jp->arena);
        sl_sql_datum_t *vd = kd ? dvec_push(&v, jp->arena) : NULL;
        if (!vd)
            return jp_nomem(jp);
        kd = vd - 1; /* the push may have moved the items */
        if (!jp_push(jp, SEG_MAPVAL, key, (uint32_t)(klen > UINT32_MAX ? UINT32_MAX : klen), 0))
            return jp_syntax(jp, "nested too deeply");
        char msg[256];
        jtok_t kt = {JT_STR, false, false, false, false, key, klen, 0};
        rc = coerce(&kt, t->key ? t->key : sl_sql_type_of(SL_SQL_T_STRING), jp->arena, kd, msg, sizeof msg);
        if (rc) {
            jp->depth--;
            return rc == SL_ERR_NOMEM ? jp_nomem(jp) : jp_conv(jp, msg);
        }
        rc = jp_value(jp, t->elem, vd);
        jp->depth--;
        if (rc || (rc = jp_after(jp, '}', &more)))
            return rc;
    }
    sl_sql_datum_t d = {0};
    d.kind = SL_SQL_T_MAP;
    d.u.a.items = v.items;
    d.u.a.n = v.n / 2;
    *out = d;
    return SL_OK;
}

/* An object given to a STRING column: its compact text (as ksqlDB writes
 * the object back out). */
static sl_err_t jp_object_text(jp_t *jp, sl_sql_datum_t *out)
{
    const char *start = jp->p;
    sl_err_t rc = jp_skip(jp);
    if (rc)
        return rc;
    size_t n = (size_t)(jp->p - start);
    char *o = sl_arena_alloc(jp->arena, n ? n : 1);
    if (!o)
        return jp_nomem(jp);
    size_t k = 0;
    bool in_str = false;
    for (size_t i = 0; i < n; i++) {
        char c = start[i];
        if (in_str) {
            o[k++] = c;
            if (c == '\\' && i + 1 < n)
                o[k++] = start[++i];
            else if (c == '"')
                in_str = false;
            continue;
        }
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        if (c == '"')
            in_str = true;
        o[k++] = c;
    }
    *out = sl_sql_string(o, (uint32_t)k);
    return SL_OK;
}

/* Elements read as STRING joined as Java's List.toString: "[a, b]". */
static sl_err_t join_strings(sl_arena_t *arena, const dvec_t *v, sl_sql_datum_t *out)
{
    size_t total = 2;
    for (uint32_t i = 0; i < v->n; i++)
        total += (i ? 2 : 0) + (v->items[i].kind == SL_SQL_T_NULL ? 4 : v->items[i].u.s.len);
    if (total > UINT32_MAX)
        return SL_ERR_NOMEM;
    char *o = sl_arena_alloc(arena, total);
    if (!o)
        return SL_ERR_NOMEM;
    size_t k = 0;
    o[k++] = '[';
    for (uint32_t i = 0; i < v->n; i++) {
        if (i) {
            o[k++] = ',';
            o[k++] = ' ';
        }
        if (v->items[i].kind == SL_SQL_T_NULL) {
            memcpy(o + k, "null", 4);
            k += 4;
        } else {
            memcpy(o + k, v->items[i].u.s.ptr, v->items[i].u.s.len);
            k += v->items[i].u.s.len;
        }
    }
    o[k++] = ']';
    *out = sl_sql_string(o, (uint32_t)k);
    return SL_OK;
}

static sl_err_t jp_convert_tok(jp_t *jp, const jtok_t *tok, const sl_sql_type_t *t, sl_sql_datum_t *out)
{
    char msg[384];
    sl_err_t rc = coerce(tok, t, jp->arena, out, msg, sizeof msg);
    if (rc == SL_ERR_NOMEM)
        return jp_nomem(jp);
    return rc ? jp_conv(jp, msg) : SL_OK;
}

/* One value at jp->p read as type t. */
static sl_err_t jp_value(jp_t *jp, const sl_sql_type_t *t, sl_sql_datum_t *out)
{
    jp_ws(jp);
    if (jp->p >= jp->end)
        return jp_syntax(jp, "a value expected");
    jtok_t tok = {0};
    sl_err_t rc;
    char c = *jp->p;
    switch (c) {
    case '{':
        if (t->kind == SL_SQL_T_STRUCT) {
            sl_sql_datum_t *items = sl_arena_zalloc(jp->arena, (t->n_fields ? t->n_fields : 1) * sizeof *items);
            if (!items)
                return jp_nomem(jp);
            fieldset_t fs = {t->n_fields, t->fields, NULL, NULL, NULL, NULL, false, 0};
            if ((rc = jp_fields(jp, &fs, items)))
                return rc;
            sl_sql_datum_t d = {0};
            d.kind = SL_SQL_T_STRUCT;
            d.u.a.items = items;
            d.u.a.n = t->n_fields;
            *out = d;
            return SL_OK;
        }
        if (t->kind == SL_SQL_T_MAP)
            return jp_map(jp, t, out);
        if (t->kind == SL_SQL_T_STRING)
            return jp_object_text(jp, out);
        tok.k = JT_OBJ;
        return jp_convert_tok(jp, &tok, t, out);
    case '[':
        if (t->kind == SL_SQL_T_ARRAY || t->kind == SL_SQL_T_STRING) {
            dvec_t v = {0};
            bool as_string = t->kind == SL_SQL_T_STRING;
            if ((rc = jp_items(jp, as_string ? t : t->elem, &v)))
                return rc;
            if (as_string)
                return join_strings(jp->arena, &v, out) ? jp_nomem(jp) : SL_OK;
            sl_sql_datum_t d = {0};
            d.kind = SL_SQL_T_ARRAY;
            d.u.a.items = v.items;
            d.u.a.n = v.n;
            *out = d;
            return SL_OK;
        }
        tok.k = JT_ARR;
        return jp_convert_tok(jp, &tok, t, out);
    case '"':
        tok.k = JT_STR;
        if ((rc = jp_string(jp, &tok.p, &tok.n)))
            return rc;
        break;
    case 't':
    case 'f':
        tok.k = JT_BOOL;
        tok.b = c == 't';
        if ((rc = jp_literal(jp, tok.b ? "true" : "false", tok.b ? 4 : 5)))
            return rc;
        break;
    case 'n':
        if ((rc = jp_literal(jp, "null", 4)))
            return rc;
        *out = sl_sql_null();
        return SL_OK;
    default:
        if (c != '-' && (c < '0' || c > '9'))
            return jp_syntax(jp, "a value expected");
        if ((rc = jp_number(jp, &tok)))
            return rc;
        break;
    }
    return jp_convert_tok(jp, &tok, t, out);
}

static void columns_type_text(const sl_sql_codec_t *c, char *buf, size_t len)
{
    size_t o = (size_t)snprintf(buf, len, "STRUCT<");
    for (uint32_t i = 0; i < c->n && o < len; i++) {
        char tb[128];
        int w = snprintf(buf + o, len - o, "%s`%s` %s", i ? ", " : "", c->names[i],
                         sl_sql_type_str(c->types[i], tb, sizeof tb));
        if (w < 0)
            return;
        o += (size_t)w;
    }
    if (o < len)
        snprintf(buf + o, len - o, ">");
}

sl_err_t sl_sql_json_decode(const sl_sql_codec_t *c, const uint8_t *p, size_t len, sl_arena_t *arena,
                            sl_sql_row_t *row, char *err, size_t errlen)
{
    jp_t jp;
    jp.p = (const char *)p;
    jp.end = jp.p + len;
    jp.arena = arena;
    jp.err = err;
    jp.errlen = errlen;
    jp.depth = 0;
    jp_ws(&jp);
    if (jp.p >= jp.end)
        return SL_OK; /* no value: every column NULL */
    if (c->unwrapped)
        return jp_value(&jp, c->types[0], &row->cols[0]);
    if (c->n == 0)
        return jp_skip(&jp);
    if (*jp.p == '{') {
        fieldset_t fs = {c->n, NULL, c->names, c->name_lens, c->types, (const char *const *)c->name_lower,
                          c->names_ci_unique, 0};
        return jp_fields(&jp, &fs, row->cols);
    }
    if (*jp.p == 'n' && jp_literal(&jp, "null", 4) == SL_OK)
        return SL_OK;
    /* not an object: bad JSON says so first, as a tree parser would */
    const char *start = jp.p;
    sl_err_t rc = jp_skip(&jp);
    if (rc)
        return rc;
    jp.p = start;
    jtok_t tok = {0};
    tok.k = *jp.p == '[' ? JT_ARR : *jp.p == '"' ? JT_STR : (*jp.p == 't' || *jp.p == 'f') ? JT_BOOL : JT_NUM;
    if (tok.k == JT_NUM && (rc = jp_number(&jp, &tok)))
        return rc;
    char req[512], msg[768];
    columns_type_text(c, req, sizeof req);
    snprintf(msg, sizeof msg, "Can't convert type. sourceType: %s, requiredType: %s", node_name(&tok), req);
    return jp_conv(&jp, msg);
}

/* ======================================================================
 * Writing
 * ====================================================================== */

static void jw_string(sl_buf_t *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    sl_buf_put_u8(out, '"');
    const char *p = s, *end = s + n;
    for (;;) {
        const char *q = plain_run(p, end, false);
        sl_buf_put(out, p, (size_t)(q - p));
        if (q >= end)
            break;
        unsigned char c = (unsigned char)*q;
        char e[6] = {'\\', 0, '0', '0', 0, 0};
        size_t el = 2;
        switch (c) {
        case '"':
            e[1] = '"';
            break;
        case '\\':
            e[1] = '\\';
            break;
        case '\n':
            e[1] = 'n';
            break;
        case '\r':
            e[1] = 'r';
            break;
        case '\t':
            e[1] = 't';
            break;
        case '\b':
            e[1] = 'b';
            break;
        case '\f':
            e[1] = 'f';
            break;
        default:
            e[1] = 'u';
            e[4] = hex[c >> 4];
            e[5] = hex[c & 15];
            el = 6;
            break;
        }
        sl_buf_put(out, e, el);
        p = q + 1;
    }
    sl_buf_put_u8(out, '"');
}

static sl_err_t jw_datum(sl_buf_t *out, const sl_sql_datum_t *d, const sl_sql_type_t *t, int depth)
{
    if (depth > JP_MAX_DEPTH)
        return SL_ERR_INVAL;
    switch ((sl_sql_tkind_t)d->kind) {
    case SL_SQL_T_NULL:
        sl_buf_put(out, "null", 4);
        break;
    case SL_SQL_T_DOUBLE:
        if (d->u.f64 != d->u.f64 || d->u.f64 - d->u.f64 != 0) {
            /* NaN and the infinities as Jackson writes them: strings */
            sl_buf_put_u8(out, '"');
            sl_sql_double_format(d->u.f64, out);
            sl_buf_put_u8(out, '"');
        } else {
            sl_sql_double_format(d->u.f64, out);
        }
        break;
    case SL_SQL_T_STRING:
        jw_string(out, d->u.s.ptr, d->u.s.len);
        break;
    case SL_SQL_T_BYTES:
        sl_buf_put_u8(out, '"');
        sl_sql_base64_write((const uint8_t *)d->u.s.ptr, d->u.s.len, out);
        sl_buf_put_u8(out, '"');
        break;
    case SL_SQL_T_ARRAY:
        sl_buf_put_u8(out, '[');
        for (uint32_t i = 0; i < d->u.a.n; i++) {
            if (i)
                sl_buf_put_u8(out, ',');
            sl_err_t rc = jw_datum(out, &d->u.a.items[i], t->elem, depth + 1);
            if (rc)
                return rc;
        }
        sl_buf_put_u8(out, ']');
        break;
    case SL_SQL_T_MAP:
        sl_buf_put_u8(out, '{');
        for (uint32_t i = 0; i < d->u.a.n; i++) {
            const sl_sql_datum_t *k = &d->u.a.items[2 * i];
            if (i)
                sl_buf_put_u8(out, ',');
            if (k->kind == SL_SQL_T_STRING) {
                jw_string(out, k->u.s.ptr, k->u.s.len);
            } else {
                sl_buf_t kb = SL_BUF_INIT;
                if (k->kind == SL_SQL_T_NULL)
                    sl_buf_put(&kb, "null", 4);
                else
                    sl_sql_scalar_write(k, t->key, &kb);
                jw_string(out, (const char *)kb.data, kb.len);
                sl_err_t kerr = sl_buf_err(&kb);
                sl_buf_free(&kb);
                if (kerr)
                    return kerr;
            }
            sl_buf_put_u8(out, ':');
            sl_err_t rc = jw_datum(out, &d->u.a.items[2 * i + 1], t->elem, depth + 1);
            if (rc)
                return rc;
        }
        sl_buf_put_u8(out, '}');
        break;
    case SL_SQL_T_STRUCT:
        sl_buf_put_u8(out, '{');
        for (uint32_t i = 0; i < d->u.a.n && i < t->n_fields; i++) {
            if (i)
                sl_buf_put_u8(out, ',');
            jw_string(out, t->fields[i].name, strlen(t->fields[i].name));
            sl_buf_put_u8(out, ':');
            sl_err_t rc = jw_datum(out, &d->u.a.items[i], t->fields[i].type, depth + 1);
            if (rc)
                return rc;
        }
        sl_buf_put_u8(out, '}');
        break;
    default:
        return sl_sql_scalar_write(d, t, out);
    }
    return sl_buf_err(out);
}

sl_err_t sl_sql_json_encode(const sl_sql_codec_t *c, const sl_sql_row_t *row, sl_buf_t *out)
{
    if (c->unwrapped)
        return jw_datum(out, &row->cols[0], c->types[0], 0);
    if (c->n == 0)
        sl_buf_put_u8(out, '{');
    for (uint32_t i = 0; i < c->n; i++) {
        /* '{' or ',' and the escaped name with its ':', made once */
        sl_buf_put(out, c->name_json[i], c->name_json_lens[i]);
        sl_err_t rc = jw_datum(out, &row->cols[i], c->types[i], 1);
        if (rc)
            return rc;
    }
    sl_buf_put_u8(out, '}');
    return sl_buf_err(out);
}

sl_err_t sl_sql_json_prepare(sl_sql_codec_t *c, sl_arena_t *arena)
{
    uint32_t n = c->n ? c->n : 1;
    c->name_json = sl_arena_calloc(arena, n, sizeof *c->name_json);
    c->name_json_lens = sl_arena_calloc(arena, n, sizeof *c->name_json_lens);
    c->name_lower = sl_arena_calloc(arena, n, sizeof *c->name_lower);
    if (!c->name_json || !c->name_json_lens || !c->name_lower)
        return SL_ERR_NOMEM;
    for (uint32_t i = 0; i < c->n; i++) {
        char *lo = sl_arena_strndup(arena, c->names[i], c->name_lens[i]);
        if (!lo)
            return SL_ERR_NOMEM;
        bool upper = true; /* the name is its own upper case */
        for (uint32_t k = 0; k < c->name_lens[i] && upper; k++) {
            unsigned char ch = (unsigned char)lo[k];
            upper = !(ch >= 'a' && ch <= 'z');
            if (ch >= 'A' && ch <= 'Z')
                lo[k] = (char)(ch + 32);
        }
        c->name_lower[i] = upper ? lo : NULL;
    }
    sl_buf_t b = SL_BUF_INIT;
    for (uint32_t i = 0; i < c->n; i++) {
        sl_buf_reset(&b);
        sl_buf_put_u8(&b, i ? ',' : '{');
        jw_string(&b, c->names[i], c->name_lens[i]);
        sl_buf_put_u8(&b, ':');
        c->name_json[i] = sl_buf_err(&b) ? NULL : sl_arena_memdup(arena, b.data, b.len);
        c->name_json_lens[i] = (uint32_t)b.len;
        if (!c->name_json[i]) {
            sl_buf_free(&b);
            return SL_ERR_NOMEM;
        }
    }
    sl_buf_free(&b);
    c->names_ci_unique = true;
    for (uint32_t i = 0; i < c->n && c->names_ci_unique; i++)
        for (uint32_t j = i + 1; j < c->n && c->names_ci_unique; j++)
            c->names_ci_unique = strcasecmp(c->names[i], c->names[j]) != 0;
    return SL_OK;
}

/* ======================================================================
 * Datums <-> jansson values
 * ====================================================================== */

static json_t *text_json(const char *s, size_t n)
{
    json_t *j = json_stringn(s, n);
    return j ? j : json_stringn_nocheck(s, n);
}

static json_t *to_json(const sl_sql_datum_t *d, const sl_sql_type_t *t, int depth)
{
    if (depth > JP_MAX_DEPTH)
        return json_null();
    switch ((sl_sql_tkind_t)d->kind) {
    case SL_SQL_T_NULL:
        return json_null();
    case SL_SQL_T_BOOLEAN:
        return json_boolean(d->u.b);
    case SL_SQL_T_INT:
    case SL_SQL_T_DATE:
        return json_integer(d->u.i32);
    case SL_SQL_T_BIGINT:
    case SL_SQL_T_TIMESTAMP:
    case SL_SQL_T_TIME:
        return json_integer(d->u.i64);
    case SL_SQL_T_DOUBLE:
        if (d->u.f64 != d->u.f64 || d->u.f64 - d->u.f64 != 0) {
            sl_buf_t b = SL_BUF_INIT;
            sl_sql_double_format(d->u.f64, &b);
            json_t *j = b.err ? NULL : json_stringn((const char *)b.data, b.len);
            sl_buf_free(&b);
            return j;
        }
        return json_real(d->u.f64);
    case SL_SQL_T_DECIMAL: {
        if (d->scale == 0 && d->u.dec >= INT64_MIN && d->u.dec <= INT64_MAX)
            return json_integer((json_int_t)d->u.dec);
        sl_buf_t b = SL_BUF_INIT;
        sl_sql_dec_format(d->u.dec, d->scale, &b);
        sl_buf_put_u8(&b, '\0');
        json_t *j = b.err ? NULL : json_real(strtod((const char *)b.data, NULL));
        sl_buf_free(&b);
        return j;
    }
    case SL_SQL_T_STRING:
        return text_json(d->u.s.ptr, d->u.s.len);
    case SL_SQL_T_BYTES: {
        sl_buf_t b = SL_BUF_INIT;
        sl_sql_base64_write((const uint8_t *)d->u.s.ptr, d->u.s.len, &b);
        json_t *j = b.err ? NULL : json_stringn(b.len ? (const char *)b.data : "", b.len);
        sl_buf_free(&b);
        return j;
    }
    case SL_SQL_T_ARRAY: {
        json_t *a = json_array();
        for (uint32_t i = 0; a && i < d->u.a.n; i++) {
            json_t *e = to_json(&d->u.a.items[i], t ? t->elem : NULL, depth + 1);
            if (!e || json_array_append_new(a, e)) {
                json_decref(a);
                return NULL;
            }
        }
        return a;
    }
    case SL_SQL_T_MAP:
    case SL_SQL_T_STRUCT: {
        json_t *o = json_object();
        bool map = d->kind == SL_SQL_T_MAP;
        for (uint32_t i = 0; o && i < d->u.a.n; i++) {
            const sl_sql_datum_t *v;
            const sl_sql_type_t *vt;
            sl_buf_t kb = SL_BUF_INIT;
            if (map) {
                const sl_sql_datum_t *k = &d->u.a.items[2 * i];
                if (k->kind == SL_SQL_T_NULL)
                    sl_buf_put(&kb, "null", 4);
                else
                    sl_sql_scalar_write(k, t ? t->key : NULL, &kb);
                v = &d->u.a.items[2 * i + 1];
                vt = t ? t->elem : NULL;
            } else {
                if (!t || i >= t->n_fields)
                    break;
                sl_buf_put(&kb, t->fields[i].name, strlen(t->fields[i].name));
                v = &d->u.a.items[i];
                vt = t->fields[i].type;
            }
            json_t *e = to_json(v, vt, depth + 1);
            int bad = !e || kb.err ||
                      json_object_setn_new_nocheck(o, kb.len ? (const char *)kb.data : "", kb.len, e);
            if (bad && e && kb.err)
                json_decref(e);
            sl_buf_free(&kb);
            if (bad) {
                json_decref(o);
                return NULL;
            }
        }
        return o;
    }
    default:
        return json_null();
    }
}

json_t *sl_sql_datum_to_json(const sl_sql_datum_t *d, const sl_sql_type_t *t)
{
    return to_json(d, t, 0);
}

/* A jansson value read as t: the raw parser's rules over a tree. jp holds
 * the path and the error; jp->p is unused. */
static sl_err_t from_json(jp_t *jp, const json_t *j, const sl_sql_type_t *t, sl_sql_datum_t *out)
{
    jtok_t tok = {0};
    char num[64];
    sl_err_t rc;
    switch (json_typeof(j)) {
    case JSON_NULL:
        *out = sl_sql_null();
        return SL_OK;
    case JSON_TRUE:
    case JSON_FALSE:
        tok.k = JT_BOOL;
        tok.b = json_is_true(j);
        break;
    case JSON_INTEGER: {
        int n = snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
        tok = (jtok_t){JT_NUM, false, true, true, false, num, (size_t)n, 0};
        break;
    }
    case JSON_REAL: {
        sl_buf_t b = SL_BUF_INIT;
        sl_sql_double_format(json_real_value(j), &b);
        size_t n = b.len < sizeof num ? b.len : sizeof num - 1;
        if (n)
            memcpy(num, b.data, n);
        sl_buf_free(&b);
        tok = (jtok_t){JT_NUM, false, false, true, false, num, n, 0};
        break;
    }
    case JSON_STRING:
        tok = (jtok_t){JT_STR, false, false, true, false, json_string_value(j), json_string_length(j), 0};
        break;
    case JSON_OBJECT:
        if (t->kind == SL_SQL_T_STRUCT) {
            sl_sql_datum_t *items = sl_arena_zalloc(jp->arena, (t->n_fields ? t->n_fields : 1) * sizeof *items);
            uint8_t *how = sl_arena_zalloc(jp->arena, t->n_fields ? t->n_fields : 1);
            if (!items || !how)
                return jp_nomem(jp);
            fieldset_t fs = {t->n_fields, t->fields, NULL, NULL, NULL, NULL, false, 0};
            const char *key;
            size_t klen;
            json_t *v;
            json_object_keylen_foreach((json_t *)j, key, klen, v)
            {
                int exact, upper;
                fs_match(&fs, key, klen, &exact, &upper);
                if (exact < 0 && upper < 0)
                    continue;
                int i = exact >= 0 ? exact : upper;
                sl_sql_datum_t d;
                if (!jp_push(jp, SEG_FIELD, t->fields[i].name, (uint32_t)strlen(t->fields[i].name), 0))
                    return jp_syntax(jp, "nested too deeply");
                rc = from_json(jp, v, t->fields[i].type, &d);
                jp->depth--;
                if (rc)
                    return rc;
                fs_assign(items, how, exact, upper, &d);
            }
            sl_sql_datum_t d = {0};
            d.kind = SL_SQL_T_STRUCT;
            d.u.a.items = items;
            d.u.a.n = t->n_fields;
            *out = d;
            return SL_OK;
        }
        if (t->kind == SL_SQL_T_MAP) {
            size_t n = json_object_size(j);
            sl_sql_datum_t *items = sl_arena_calloc(jp->arena, n ? 2 * n : 1, sizeof *items);
            if (!items || n > UINT32_MAX / 2)
                return jp_nomem(jp);
            const char *key;
            size_t klen;
            json_t *v;
            uint32_t k = 0;
            json_object_keylen_foreach((json_t *)j, key, klen, v)
            {
                char msg[256];
                if (!jp_push(jp, SEG_MAPVAL, key, (uint32_t)klen, 0))
                    return jp_syntax(jp, "nested too deeply");
                jtok_t kt = {JT_STR, false, false, true, false, key, klen, 0};
                rc = coerce(&kt, t->key ? t->key : sl_sql_type_of(SL_SQL_T_STRING), jp->arena, &items[2 * k], msg,
                            sizeof msg);
                if (rc) {
                    rc = rc == SL_ERR_NOMEM ? jp_nomem(jp) : jp_conv(jp, msg);
                    jp->depth--;
                    return rc;
                }
                rc = from_json(jp, v, t->elem, &items[2 * k + 1]);
                jp->depth--;
                if (rc)
                    return rc;
                k++;
            }
            sl_sql_datum_t d = {0};
            d.kind = SL_SQL_T_MAP;
            d.u.a.items = items;
            d.u.a.n = k;
            *out = d;
            return SL_OK;
        }
        if (t->kind == SL_SQL_T_STRING) {
            char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
            if (!s)
                return jp_nomem(jp);
            size_t n = strlen(s);
            char *c = sl_arena_memdup(jp->arena, s, n ? n : 1);
            free(s);
            if (!c)
                return jp_nomem(jp);
            *out = sl_sql_string(c, (uint32_t)n);
            return SL_OK;
        }
        tok.k = JT_OBJ;
        break;
    case JSON_ARRAY:
        if (t->kind == SL_SQL_T_ARRAY || t->kind == SL_SQL_T_STRING) {
            bool as_string = t->kind == SL_SQL_T_STRING;
            size_t n = json_array_size(j);
            dvec_t v = {0};
            v.items = sl_arena_calloc(jp->arena, n ? n : 1, sizeof *v.items);
            if (!v.items || n > UINT32_MAX)
                return jp_nomem(jp);
            for (size_t i = 0; i < n; i++) {
                if (!jp_push(jp, SEG_INDEX, NULL, 0, (uint32_t)i))
                    return jp_syntax(jp, "nested too deeply");
                rc = from_json(jp, json_array_get(j, i), as_string ? t : t->elem, &v.items[i]);
                jp->depth--;
                if (rc)
                    return rc;
            }
            v.n = (uint32_t)n;
            if (as_string)
                return join_strings(jp->arena, &v, out) ? jp_nomem(jp) : SL_OK;
            sl_sql_datum_t d = {0};
            d.kind = SL_SQL_T_ARRAY;
            d.u.a.items = v.items;
            d.u.a.n = v.n;
            *out = d;
            return SL_OK;
        }
        tok.k = JT_ARR;
        break;
    }
    return jp_convert_tok(jp, &tok, t, out);
}

sl_err_t sl_sql_datum_from_json(const json_t *j, const sl_sql_type_t *t, sl_arena_t *arena, sl_sql_datum_t *out,
                                char *err, size_t errlen)
{
    jp_t jp;
    memset(&jp, 0, sizeof jp);
    jp.arena = arena;
    jp.err = err;
    jp.errlen = errlen;
    if (!j) {
        *out = sl_sql_null();
        return SL_OK;
    }
    sl_err_t rc = from_json(&jp, j, t, out);
    return rc == SL_ERR_PARSE ? SL_ERR_INVAL : rc;
}
