/*
 * config_value.c - checking one configuration value against its key's type
 * and validator, the way Kafka's ConfigDef does (values are trimmed first;
 * numbers are plain decimal; lists are comma separated with blanks around
 * items ignored), and producing the canonical text DescribeConfigs shows.
 * Also the listener list syntax, shared by listeners and advertised.listeners.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_int.h"

static bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

/* [*b, *e) becomes s without surrounding blanks. */
static void trim(const char *s, size_t len, const char **b, const char **e)
{
    const char *p = s, *q = s + len;
    while (p < q && is_blank(*p))
        p++;
    while (q > p && is_blank(q[-1]))
        q--;
    *b = p;
    *e = q;
}

static bool parse_i64_range(const char *p, const char *e, int64_t *out)
{
    bool neg = false;
    if (p < e && (*p == '+' || *p == '-')) {
        neg = *p == '-';
        p++;
    }
    if (p == e)
        return false;
    uint64_t v = 0;
    uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; p < e; p++) {
        if (*p < '0' || *p > '9')
            return false;
        unsigned d = (unsigned)(*p - '0');
        if (v > (lim - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

bool cfg_parse_i64(const char *s, int64_t *out)
{
    const char *b, *e;
    trim(s, strlen(s), &b, &e);
    return parse_i64_range(b, e, out);
}

bool cfg_parse_bool(const char *s, bool *out)
{
    const char *b, *e;
    trim(s, strlen(s), &b, &e);
    size_t n = (size_t)(e - b);
    if (n == 4 && strncasecmp(b, "true", 4) == 0) {
        *out = true;
        return true;
    }
    if (n == 5 && strncasecmp(b, "false", 5) == 0) {
        *out = false;
        return true;
    }
    return false;
}

void cfg_quote(char *buf, size_t n, const char *s, size_t len, size_t max)
{
    size_t o = 0;
    if (n == 0)
        return;
    for (size_t i = 0; i < len && o + 8 < n; i++) {
        if (i == max) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f)
            buf[o++] = (char)c;
        else
            o += (size_t)snprintf(buf + o, n - o, "\\x%02x", c);
    }
    buf[o] = '\0';
}

/* Is [p, e) one of the '|'-separated words of choices? */
static bool in_choices(const char *choices, const char *p, const char *e)
{
    size_t n = (size_t)(e - p);
    const char *c = choices;
    while (*c) {
        const char *bar = strchr(c, '|');
        size_t cl = bar ? (size_t)(bar - c) : strlen(c);
        if (cl == n && memcmp(c, p, n) == 0)
            return true;
        if (!bar)
            break;
        c = bar + 1;
    }
    return false;
}

static void choices_text(const char *choices, char *buf, size_t n)
{
    size_t o = 0;
    for (const char *c = choices; *c && o + 3 < n; c++) {
        if (*c == '|') {
            buf[o++] = ',';
            buf[o++] = ' ';
        } else {
            buf[o++] = *c;
        }
    }
    buf[o] = '\0';
}

static const char *type_bits(sl_cfg_type_t t)
{
    return t == SL_CFG_INT ? "32-bit" : t == SL_CFG_SHORT ? "16-bit" : "64-bit";
}

static bool check_number(const cfg_spec_t *sp, const char *b, const char *e, sl_buf_t *out,
                         char *why, size_t whylen)
{
    int64_t v;
    if (!parse_i64_range(b, e, &v)) {
        /* Tell "too big" apart from "not a number" (the first is a common
         * slip: a byte count in a 32-bit key). */
        const char *p = b;
        if (p < e && (*p == '+' || *p == '-'))
            p++;
        bool digits = p < e;
        for (; p < e; p++)
            digits = digits && *p >= '0' && *p <= '9';
        if (digits)
            snprintf(why, whylen, "out of range for a %s integer", type_bits(sp->type));
        else
            snprintf(why, whylen, "not a whole number");
        return false;
    }
    int64_t tmin = INT64_MIN, tmax = INT64_MAX;
    if (sp->type == SL_CFG_INT) {
        tmin = INT32_MIN;
        tmax = INT32_MAX;
    } else if (sp->type == SL_CFG_SHORT) {
        tmin = INT16_MIN;
        tmax = INT16_MAX;
    }
    if (v < tmin || v > tmax) {
        snprintf(why, whylen, "out of range for a %s integer", type_bits(sp->type));
        return false;
    }
    if (sp->check == CK_RANGE && (v < sp->min || v > sp->max)) {
        bool has_min = sp->min > tmin, has_max = sp->max < tmax;
        if (has_min && has_max)
            snprintf(why, whylen, "must be between %lld and %lld", (long long)sp->min, (long long)sp->max);
        else if (v < sp->min)
            snprintf(why, whylen, "must be at least %lld", (long long)sp->min);
        else
            snprintf(why, whylen, "must be at most %lld", (long long)sp->max);
        return false;
    }
    if (out) {
        char num[32];
        snprintf(num, sizeof num, "%lld", (long long)v);
        sl_buf_put(out, num, strlen(num));
    }
    return true;
}

static bool check_double(const cfg_spec_t *sp, const char *b, const char *e, sl_buf_t *out,
                         char *why, size_t whylen)
{
    char tmp[64];
    size_t n = (size_t)(e - b);
    if (n == 0 || n >= sizeof tmp) {
        snprintf(why, whylen, "not a number");
        return false;
    }
    memcpy(tmp, b, n);
    tmp[n] = '\0';
    char *end;
    errno = 0;
    double d = strtod(tmp, &end);
    /* strtod also reads hex floats, "inf" and "nan"; Java's parseDouble
     * takes inf/nan spelled differently; refuse all non-finite values. */
    if (end != tmp + n || !isfinite(d) || errno == ERANGE) {
        snprintf(why, whylen, "not a number");
        return false;
    }
    if (sp->check == CK_RATIO && (d < 0.0 || d > 1.0)) {
        snprintf(why, whylen, "must be between 0 and 1");
        return false;
    }
    if (out)
        sl_buf_put(out, tmp, n);
    return true;
}

/* Host part of a listener: a name, an IPv4 address, or [IPv6]. */
static bool host_ok(const char *h, size_t n, bool bracketed)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)h[i];
        if (isalnum(c) || c == '.' || c == '-' || c == '_')
            continue;
        if (bracketed && (c == ':' || c == '%'))
            continue;
        return false;
    }
    return true;
}

bool cfg_parse_listeners(const char *s, cfg_listener_t *out, int max, int *n, char *why, size_t whylen)
{
    *n = 0;
    const char *p = s;
    for (;;) {
        const char *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        const char *b, *e;
        trim(p, (size_t)(end - p), &b, &e);
        if (b == e) {
            snprintf(why, whylen, "empty listener; expected NAME://HOST:PORT");
            return false;
        }
        cfg_listener_t l;
        memset(&l, 0, sizeof l);
        const char *sep = NULL;
        for (const char *q = b; q + 3 <= e; q++) {
            if (q[0] == ':' && q[1] == '/' && q[2] == '/') {
                sep = q;
                break;
            }
        }
        if (!sep || sep == b) {
            snprintf(why, whylen, "expected NAME://HOST:PORT, such as PLAINTEXT://127.0.0.1:9092");
            return false;
        }
        size_t nl = (size_t)(sep - b);
        if (nl >= sizeof l.name) {
            snprintf(why, whylen, "listener name longer than %zu characters", sizeof l.name - 1);
            return false;
        }
        for (size_t i = 0; i < nl; i++) {
            unsigned char c = (unsigned char)b[i];
            if (!isalnum(c) && c != '_' && c != '-') {
                snprintf(why, whylen, "listener name may hold only letters, digits, '_' and '-'");
                return false;
            }
            l.name[i] = (char)toupper(c);
        }
        const char *h = sep + 3, *hend, *colon;
        bool bracketed = h < e && *h == '[';
        if (bracketed) {
            const char *rb = memchr(h, ']', (size_t)(e - h));
            if (!rb || rb + 1 >= e || rb[1] != ':') {
                snprintf(why, whylen, "IPv6 host must be written [ADDRESS]:PORT");
                return false;
            }
            hend = rb;
            colon = rb + 1;
            h++;
        } else {
            colon = NULL;
            for (const char *q = e; q > h; q--) {
                if (q[-1] == ':') {
                    colon = q - 1;
                    break;
                }
            }
            if (!colon) {
                snprintf(why, whylen, "missing :PORT after the host");
                return false;
            }
            hend = colon;
        }
        size_t hl = (size_t)(hend - h);
        if (hl >= sizeof l.host) {
            snprintf(why, whylen, "host longer than %zu characters", sizeof l.host - 1);
            return false;
        }
        if (!host_ok(h, hl, bracketed) || (bracketed && hl == 0)) {
            snprintf(why, whylen, "host is not a valid name or address");
            return false;
        }
        memcpy(l.host, h, hl);
        int64_t port;
        if (!parse_i64_range(colon + 1, e, &port) || colon[1] == '+' || colon[1] == '-' ||
            port < 0 || port > 65535) {
            snprintf(why, whylen, "port must be a number from 0 to 65535");
            return false;
        }
        l.port = (uint16_t)port;
        for (int i = 0; i < *n; i++) {
            if (strcmp(out[i].name, l.name) == 0) {
                snprintf(why, whylen, "listener name %s appears twice", l.name);
                return false;
            }
        }
        if (*n >= max) {
            snprintf(why, whylen, "more than %d listeners", max);
            return false;
        }
        out[(*n)++] = l;
        if (!comma)
            return true;
        p = comma + 1;
    }
}

/* Splits a list and hands each trimmed item to fn; empty input is an empty
 * list (Kafka's ConfigDef: "" parses to []); empty items are refused. */
typedef bool item_fn(const cfg_spec_t *sp, const char *b, const char *e, char *why, size_t whylen);

static bool check_list(const cfg_spec_t *sp, const char *b, const char *e, item_fn *fn, bool allow_empty,
                       sl_buf_t *out, char *why, size_t whylen)
{
    if (b == e) {
        if (!allow_empty) {
            snprintf(why, whylen, "must not be empty");
            return false;
        }
        return true;
    }
    const char *p = b;
    bool first = true;
    for (;;) {
        const char *comma = memchr(p, ',', (size_t)(e - p));
        const char *end = comma ? comma : e;
        const char *ib, *ie;
        trim(p, (size_t)(end - p), &ib, &ie);
        if (ib == ie) {
            snprintf(why, whylen, "empty item in the list");
            return false;
        }
        if (fn && !fn(sp, ib, ie, why, whylen))
            return false;
        if (out) {
            if (!first)
                sl_buf_put_u8(out, ',');
            sl_buf_put(out, ib, (size_t)(ie - ib));
        }
        first = false;
        if (!comma)
            return true;
        p = comma + 1;
    }
}

static bool item_enum(const cfg_spec_t *sp, const char *b, const char *e, char *why, size_t whylen)
{
    if (in_choices(sp->choices, b, e))
        return true;
    char ch[128], q[64];
    choices_text(sp->choices, ch, sizeof ch);
    cfg_quote(q, sizeof q, b, (size_t)(e - b), 32);
    snprintf(why, whylen, "'%s' is not one of: %s", q, ch);
    return false;
}

static bool item_proto_map(const cfg_spec_t *sp, const char *b, const char *e, char *why, size_t whylen)
{
    SL_UNUSED(sp);
    const char *c = memchr(b, ':', (size_t)(e - b));
    if (!c || c == b || c + 1 == e) {
        snprintf(why, whylen, "expected LISTENER_NAME:PROTOCOL items");
        return false;
    }
    static const cfg_spec_t protos = {.choices = "PLAINTEXT|SSL|SASL_PLAINTEXT|SASL_SSL"};
    const char *pb = c + 1;
    while (pb < e && is_blank(*pb))
        pb++;
    return item_enum(&protos, pb, e, why, whylen);
}

static bool item_name(const cfg_spec_t *sp, const char *b, const char *e, char *why, size_t whylen)
{
    SL_UNUSED(sp);
    for (const char *p = b; p < e; p++) {
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-') {
            snprintf(why, whylen, "listener names may hold only letters, digits, '_' and '-'");
            return false;
        }
    }
    return true;
}

static bool item_path(const cfg_spec_t *sp, const char *b, const char *e, char *why, size_t whylen)
{
    SL_UNUSED(sp);
    if ((size_t)(e - b) >= 4096 - 64) {
        snprintf(why, whylen, "directory path longer than %d bytes", 4096 - 64);
        return false;
    }
    return true;
}

static bool item_throttled(const cfg_spec_t *sp, const char *b, const char *e, char *why, size_t whylen)
{
    SL_UNUSED(sp);
    const char *c = memchr(b, ':', (size_t)(e - b));
    int64_t a, bk;
    if ((e - b == 1 && *b == '*') ||
        (c && parse_i64_range(b, c, &a) && parse_i64_range(c + 1, e, &bk) && a >= 0 && bk >= 0 &&
         *b != '+' && c[1] != '+'))
        return true;
    snprintf(why, whylen, "expected '*' or PARTITION:BROKER items, such as 0:1,1:1");
    return false;
}

/* Kafka release names as message.format.version takes them: 0.8.0 .. 3.x,
 * optionally with an -IVn suffix. Checked by shape, not against a list. */
static bool check_format_version(const char *b, const char *e)
{
    const char *p = b;
    int parts = 0;
    for (;;) {
        const char *d = p;
        while (p < e && *p >= '0' && *p <= '9')
            p++;
        if (p == d || p - d > 3)
            return false;
        parts++;
        if (p < e && *p == '.' && parts < 4) {
            p++;
            continue;
        }
        break;
    }
    if (parts < 2 || b[0] > '3' || b[1] != '.')
        return false;
    if (p == e)
        return true;
    if (e - p < 4 || memcmp(p, "-IV", 3) != 0)
        return false;
    for (p += 3; p < e; p++)
        if (*p < '0' || *p > '9')
            return false;
    return true;
}

bool cfg_value_check(const cfg_spec_t *sp, const char *raw, sl_buf_t *out, char *why, size_t whylen)
{
    const char *b, *e;
    trim(raw, strlen(raw), &b, &e);
    /* Comma lists are checked by their validator whatever their declared
     * type (Kafka declares log.dirs and controller.listener.names STRING). */
    switch (sp->check) {
    case CK_LIST_ENUM: return check_list(sp, b, e, item_enum, true, out, why, whylen);
    case CK_PROTOCOL_MAP: return check_list(sp, b, e, item_proto_map, false, out, why, whylen);
    case CK_NAME_LIST: return check_list(sp, b, e, item_name, true, out, why, whylen);
    case CK_PATHS: return check_list(sp, b, e, item_path, false, out, why, whylen);
    case CK_THROTTLED: return check_list(sp, b, e, item_throttled, true, out, why, whylen);
    case CK_LISTENERS: {
        cfg_listener_t ls[16];
        int n;
        if (!cfg_parse_listeners(raw, ls, 16, &n, why, whylen))
            return false;
        return check_list(sp, b, e, NULL, false, out, why, whylen);
    }
    default:
        break;
    }
    switch (sp->type) {
    case SL_CFG_INT:
    case SL_CFG_SHORT:
    case SL_CFG_LONG:
        return check_number(sp, b, e, out, why, whylen);
    case SL_CFG_DOUBLE:
        return check_double(sp, b, e, out, why, whylen);
    case SL_CFG_BOOLEAN: {
        bool v;
        if (!cfg_parse_bool(raw, &v)) {
            snprintf(why, whylen, "must be true or false");
            return false;
        }
        if (out)
            sl_buf_put(out, v ? "true" : "false", v ? 4 : 5);
        return true;
    }
    case SL_CFG_LIST:
        return check_list(sp, b, e, NULL, true, out, why, whylen);
    case SL_CFG_STRING:
    case SL_CFG_CLASS:
    case SL_CFG_PASSWORD:
        if (sp->check == CK_ENUM && !item_enum(sp, b, e, why, whylen))
            return false;
        if (sp->check == CK_FORMAT_VERSION && !check_format_version(b, e)) {
            snprintf(why, whylen, "not a Kafka release such as 2.8 or 3.0-IV1");
            return false;
        }
        if (out)
            sl_buf_put(out, b, (size_t)(e - b));
        return true;
    }
    snprintf(why, whylen, "unknown type");
    return false;
}
