/*
 * admin_util.c - helpers shared by the admin API files: error messages
 * formatted into the request's arena, quoting untrusted names for messages,
 * broker resource names, and the handlers' common tail (reply, or close the
 * connection when the arena ran out).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "admin_int.h"

sl_kstr_t sl_admin_msg(sl_arena_t *arena, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return sl_kstr_null();
    if ((size_t)n >= sizeof tmp)
        n = (int)sizeof tmp - 1;
    char *s = sl_arena_strndup(arena, tmp, (size_t)n);
    return s ? sl_kstr_n(s, n) : sl_kstr_null();
}

sl_kstr_t sl_admin_str(sl_arena_t *arena, const char *s)
{
    if (!s)
        return sl_kstr_null();
    size_t n = strlen(s);
    char *c = sl_arena_strndup(arena, s, n);
    return c ? sl_kstr_n(c, (int32_t)n) : sl_kstr_null();
}

const char *sl_admin_quote(char *buf, size_t n, sl_kstr_t s, size_t max)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    if (n == 0)
        return buf;
    size_t len = s.len > 0 ? (size_t)s.len : 0;
    for (size_t i = 0; i < len && i < max; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c >= 0x20 && c < 0x7f) {
            if (o + 1 >= n)
                break;
            buf[o++] = (char)c;
        } else {
            if (o + 4 >= n)
                break;
            buf[o++] = '\\';
            buf[o++] = 'x';
            buf[o++] = hex[c >> 4];
            buf[o++] = hex[c & 15];
        }
    }
    if (len > max && o + 3 < n) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

bool sl_admin_uuid_is_zero(const sl_uuid_t *id)
{
    for (size_t i = 0; i < sizeof id->b; i++)
        if (id->b[i])
            return false;
    return true;
}

bool sl_admin_broker_name_ok(const sl_broker_t *broker, sl_kstr_t name, bool *is_default, char *msg, size_t n)
{
    char q[160];
    *is_default = false;
    if (name.len <= 0) {
        *is_default = true;
        return true;
    }
    /* Java's Integer.parseInt: optional sign, decimal digits, int32 range. */
    int64_t v = 0;
    int32_t i = 0;
    bool neg = false, ok = true;
    if (name.ptr[0] == '-' || name.ptr[0] == '+') {
        neg = name.ptr[0] == '-';
        i = 1;
    }
    if (i >= name.len)
        ok = false;
    for (; ok && i < name.len; i++) {
        char c = name.ptr[i];
        if (c < '0' || c > '9' || v > 2147483648LL) {
            ok = false;
            break;
        }
        v = v * 10 + (c - '0');
    }
    if (neg)
        v = -v;
    if (!ok || v > INT32_MAX || v < INT32_MIN) {
        snprintf(msg, n, "Broker id must be an integer, but it is: %s", sl_admin_quote(q, sizeof q, name, 100));
        return false;
    }
    if ((int32_t)v != broker->node_id) {
        snprintf(msg, n, "Unexpected broker id, expected %d or empty string, but received %s",
                 (int)broker->node_id, sl_admin_quote(q, sizeof q, name, 100));
        return false;
    }
    return true;
}

void sl_admin_finish(sl_broker_req_t *req, sl_err_t err, const void *resp)
{
    if (err != SL_OK) {
        sl_broker_req_close(req, "cannot build the %s v%d response: %s", req->api ? req->api->name : "admin",
                            req->hdr.api_version, sl_err_name(err));
        return;
    }
    sl_broker_req_reply(req, resp);
}

const char *sl_admin_why(sl_err_t err, const char *msg)
{
    return msg && msg[0] ? msg : sl_err_str(err);
}
