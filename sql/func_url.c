/*
 * func_url.c - the URL functions, as ksqlDB's (java.net.URI and
 * URLEncoder/URLDecoder underneath): URL_ENCODE_PARAM, URL_DECODE_PARAM,
 * URL_EXTRACT_PROTOCOL, URL_EXTRACT_HOST, URL_EXTRACT_PORT,
 * URL_EXTRACT_PATH, URL_EXTRACT_QUERY, URL_EXTRACT_FRAGMENT,
 * URL_EXTRACT_PARAMETER.
 *
 * A URL is split as RFC 3986 reads it: scheme ':', '//' authority
 * (user '@', host, ':' port), path, '?' query, '#' fragment. Text that
 * java.net.URI refuses (white space, '"', '<', '>', '\', '^', '`', '{',
 * '|', '}', a '%' not followed by two hex digits, a port that is not a
 * number) gives NULL with the reason in the processing log. A part that
 * is not there is NULL (URL_EXTRACT_PATH of "http://h?q" is "": the path
 * is there and empty, as URI's). Path, query, fragment and the parameters
 * are returned with their %XX escapes decoded as UTF-8; '+' stays.
 */
#include <stdio.h>
#include <string.h>

#include "format_int.h"
#include "func_int.h"

typedef struct url {
    const char *scheme, *host, *path, *query, *fragment;
    uint32_t scheme_len, host_len, path_len, query_len, fragment_len;
    int32_t port;                   /* -1: none */
} url_t;

static bool illegal(unsigned char c)
{
    return c <= ' ' || c == 0x7f || strchr("\"<>\\^`{|}", c) != NULL;
}

/* Splits p[0..n) into u; false (and a sentence in err) when URI would
 * refuse it. */
static bool url_parse(const char *p, uint32_t n, url_t *u, char *err, size_t errlen)
{
    memset(u, 0, sizeof *u);
    u->port = -1;
    for (uint32_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (illegal(c) || (c == '%' && (i + 2 >= n || sl_hex_value(p[i + 1]) < 0 || sl_hex_value(p[i + 2]) < 0))) {
            snprintf(err, errlen, "URL input has invalid syntax: %.*s", (int)SL_MIN(n, 100u), p);
            return false;
        }
    }
    const char *end = p + n, *q = p;
    /* scheme: a letter, then letters, digits, '+', '-', '.', up to ':' */
    if (q < end && ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z'))) {
        const char *s = q + 1;
        while (s < end && ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
                           *s == '+' || *s == '-' || *s == '.'))
            s++;
        if (s < end && *s == ':') {
            u->scheme = q;
            u->scheme_len = (uint32_t)(s - q);
            q = s + 1;
        }
    }
    /* A scheme followed by anything but '/' makes the URI opaque: no path
     * or query, only a fragment. */
    bool opaque = u->scheme && (q >= end || *q != '/');
    const char *hash = memchr(q, '#', (size_t)(end - q));
    if (hash) {
        u->fragment = hash + 1;
        u->fragment_len = (uint32_t)(end - hash - 1);
        end = hash;
    }
    const char *qm = opaque ? NULL : memchr(q, '?', (size_t)(end - q));
    if (qm) {
        u->query = qm + 1;
        u->query_len = (uint32_t)(end - qm - 1);
        end = qm;
    }
    if (!opaque && end - q >= 2 && q[0] == '/' && q[1] == '/') {
        const char *a = q + 2, *slash = memchr(a, '/', (size_t)(end - a));
        const char *aend = slash ? slash : end;
        const char *at = NULL;
        for (const char *x = a; x < aend; x++)
            if (*x == '@')
                at = x;
        const char *h = at ? at + 1 : a, *hend = aend;
        const char *colon = NULL;
        if (h < hend && *h == '[') {
            const char *close = memchr(h, ']', (size_t)(hend - h));
            if (close && close + 1 < hend && close[1] == ':')
                colon = close + 1;
        } else {
            colon = memchr(h, ':', (size_t)(hend - h));
        }
        if (colon) {
            int64_t port = 0;
            for (const char *x = colon + 1; x < hend; x++) {
                if (*x < '0' || *x > '9' || port > 65535) {
                    snprintf(err, errlen, "URL input has invalid syntax: %.*s", (int)SL_MIN(n, 100u), p);
                    return false;
                }
                port = port * 10 + (*x - '0');
            }
            if (colon + 1 < hend)
                u->port = (int32_t)port;
            hend = colon;
        }
        if (hend > h) {
            u->host = h;
            u->host_len = (uint32_t)(hend - h);
        }
        q = aend;
    }
    if (!opaque) {
        u->path = q;
        u->path_len = (uint32_t)(end - q);
    }
    return true;
}

/* %XX escapes decoded (as UTF-8: bytes that are no character become
 * U+FFFD); plus: '+' is a space (URLDecoder). false when a '%' is not
 * followed by two hex digits. */
static bool unescape(const char *p, uint32_t n, bool plus, sl_sql_eval_t *cx, sl_sql_datum_t *out)
{
    char *raw = sl_arena_alloc(cx->arena, n + 1u);
    uint32_t k = 0;
    if (!raw) {
        sl_sql_fn_fail(cx, out, "out of memory");
        return false;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (p[i] == '%') {
            int hi = i + 2 < n ? sl_hex_value(p[i + 1]) : -1, lo = i + 2 < n ? sl_hex_value(p[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                sl_sql_fn_fail(cx, out, "URLDecoder: Illegal hex characters in escape (%%) pattern");
                return false;
            }
            raw[k++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            raw[k++] = plus && p[i] == '+' ? ' ' : p[i];
        }
    }
    const char *text;
    uint32_t tlen;
    if (!sl_sql_utf8_text(raw, k, cx->arena, &text, &tlen)) {
        sl_sql_fn_fail(cx, out, "out of memory");
        return false;
    }
    *out = sl_sql_string(text, tlen);
    return true;
}

static void eval_encode_param(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                              sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    static const char hex[] = "0123456789ABCDEF";
    sl_sql_sb_t sb;
    sl_sql_sb_init(&sb, cx->arena, args[0].u.s.len * 3);
    for (uint32_t i = 0; i < args[0].u.s.len; i++) {
        unsigned char c = (unsigned char)args[0].u.s.ptr[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
            c == '*' || c == '_') {
            sl_sql_sb_put(&sb, &c, 1);
        } else if (c == ' ') {
            sl_sql_sb_put(&sb, "+", 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            sl_sql_sb_put(&sb, e, 3);
        }
    }
    sl_sql_sb_done(&sb, cx, out);
}

static void eval_decode_param(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                              sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    if (!sl_sql_fn_null_arg(args, n, out))
        unescape(args[0].u.s.ptr, args[0].u.s.len, true, cx, out);
}

/* The URL of args[0]; false (and *out NULL) when it is NULL or invalid. */
static bool url_arg(const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx, sl_sql_datum_t *out, url_t *u)
{
    if (sl_sql_fn_null_arg(args, n, out))
        return false;
    char err[200];
    if (!url_parse(args[0].u.s.ptr, args[0].u.s.len, u, err, sizeof err)) {
        sl_sql_fn_fail(cx, out, "%s", err);
        return false;
    }
    return true;
}

enum { PART_PROTOCOL, PART_HOST, PART_PATH, PART_QUERY, PART_FRAGMENT };

static void extract_part(const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx, sl_sql_datum_t *out, int part)
{
    url_t u;
    if (!url_arg(args, n, cx, out, &u))
        return;
    const char *p[] = {u.scheme, u.host, u.path, u.query, u.fragment};
    const uint32_t len[] = {u.scheme_len, u.host_len, u.path_len, u.query_len, u.fragment_len};
    *out = sl_sql_null();
    if (!p[part])
        return;
    if (part == PART_PROTOCOL || part == PART_HOST)
        *out = sl_sql_string(p[part], len[part]);
    else
        unescape(p[part], len[part], false, cx, out);
}

#define PART_FN(fn, part)                                                                                        \
    static void fn(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,       \
                   sl_sql_datum_t *out)                                                                         \
    {                                                                                                           \
        SL_UNUSED(call);                                                                                        \
        extract_part(args, n, cx, out, part);                                                                   \
    }
PART_FN(eval_protocol, PART_PROTOCOL)
PART_FN(eval_host, PART_HOST)
PART_FN(eval_path, PART_PATH)
PART_FN(eval_query, PART_QUERY)
PART_FN(eval_fragment, PART_FRAGMENT)

static void eval_port(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                      sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    url_t u;
    if (url_arg(args, n, cx, out, &u))
        *out = u.port >= 0 ? sl_sql_int(u.port) : sl_sql_null();
}

/* The (decoded) query split on '&', each on its first '='; a name alone
 * gives "". */
static void eval_parameter(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                           sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    url_t u;
    sl_sql_datum_t q;
    if (!url_arg(args, n, cx, out, &u))
        return;
    *out = sl_sql_null();
    if (!u.query || !unescape(u.query, u.query_len, false, cx, &q))
        return;
    const char *s = q.u.s.ptr, *end = s + q.u.s.len;
    const char *want = args[1].u.s.ptr;
    uint32_t wl = args[1].u.s.len;
    while (s <= end) {
        const char *amp = memchr(s, '&', (size_t)(end - s));
        const char *pe = amp ? amp : end;
        const char *eq = memchr(s, '=', (size_t)(pe - s));
        const char *ne = eq ? eq : pe;
        if ((uint32_t)(ne - s) == wl && memcmp(s, want, wl) == 0) {
            *out = eq ? sl_sql_string(eq + 1, (uint32_t)(pe - eq - 1)) : sl_sql_string("", 0);
            return;
        }
        if (!amp)
            break;
        s = amp + 1;
    }
}

static const sl_sql_overload_t ENCODE_PARAM_O[] = {
    SL_SQL_OV(SL_SQL_P_STRING, SL_SQL_T_STRING, eval_encode_param, "URL_ENCODE_PARAM(input VARCHAR)",
              "input escaped as an application/x-www-form-urlencoded value"),
};
static const sl_sql_overload_t DECODE_PARAM_O[] = {
    SL_SQL_OV(SL_SQL_P_STRING, SL_SQL_T_STRING, eval_decode_param, "URL_DECODE_PARAM(input VARCHAR)",
              "an application/x-www-form-urlencoded value unescaped"),
};
static const sl_sql_overload_t PROTOCOL_O[] = {
    SL_SQL_OV(SL_SQL_P_STRING, SL_SQL_T_STRING, eval_protocol, "URL_EXTRACT_PROTOCOL(input VARCHAR)",
              "the URL's scheme"),
};
static const sl_sql_overload_t HOST_O[] = {
    SL_SQL_OV(SL_SQL_P_STRING, SL_SQL_T_STRING, eval_host, "URL_EXTRACT_HOST(input VARCHAR)", "the URL's host"),
};
static const sl_sql_overload_t PORT_O[] = {
    SL_SQL_OV(SL_SQL_P_STRING, SL_SQL_T_INT, eval_port, "URL_EXTRACT_PORT(input VARCHAR)", "the URL's port"),
};
static const sl_sql_overload_t PATH_O[] = {
    SL_SQL_OV(SL_SQL_P_STRING, SL_SQL_T_STRING, eval_path, "URL_EXTRACT_PATH(input VARCHAR)",
              "the URL's path, unescaped"),
};
static const sl_sql_overload_t QUERY_O[] = {
    SL_SQL_OV(SL_SQL_P_STRING, SL_SQL_T_STRING, eval_query, "URL_EXTRACT_QUERY(input VARCHAR)",
              "the URL's query, unescaped"),
};
static const sl_sql_overload_t FRAGMENT_O[] = {
    SL_SQL_OV(SL_SQL_P_STRING, SL_SQL_T_STRING, eval_fragment, "URL_EXTRACT_FRAGMENT(input VARCHAR)",
              "the URL's fragment, unescaped"),
};
static const sl_sql_overload_t PARAMETER_O[] = {
    SL_SQL_OV(SL_SQL_P_STRING2, SL_SQL_T_STRING, eval_parameter,
              "URL_EXTRACT_PARAMETER(input VARCHAR, paramToFind VARCHAR)",
              "the value of a parameter of the URL's query ('' when it has none)"),
};

const sl_sql_func_t sl_sql_funcs_url[] = {
    SL_SQL_FN("URL_DECODE_PARAM", "URL", "Unescapes an application/x-www-form-urlencoded value.", DECODE_PARAM_O),
    SL_SQL_FN("URL_ENCODE_PARAM", "URL", "Escapes a value as application/x-www-form-urlencoded.", ENCODE_PARAM_O),
    SL_SQL_FN("URL_EXTRACT_FRAGMENT", "URL", "Returns the fragment of a URL.", FRAGMENT_O),
    SL_SQL_FN("URL_EXTRACT_HOST", "URL", "Returns the host of a URL.", HOST_O),
    SL_SQL_FN("URL_EXTRACT_PARAMETER", "URL", "Returns the value of a query parameter of a URL.", PARAMETER_O),
    SL_SQL_FN("URL_EXTRACT_PATH", "URL", "Returns the path of a URL.", PATH_O),
    SL_SQL_FN("URL_EXTRACT_PORT", "URL", "Returns the port of a URL.", PORT_O),
    SL_SQL_FN("URL_EXTRACT_PROTOCOL", "URL", "Returns the scheme of a URL.", PROTOCOL_O),
    SL_SQL_FN("URL_EXTRACT_QUERY", "URL", "Returns the query of a URL.", QUERY_O),
    SL_SQL_FN_END,
};
