/*
 * rest.c - the Connect worker's REST service (Kafka Connect's REST API) on
 * libmicrohttpd: receives a request (body capped at 1 MiB), decodes its
 * path into segments itself (so that %2F inside a connector's name stays
 * part of the name), finds its route, checks the method and the body's
 * media type, and sends what the route answered. Unknown paths get 404,
 * known paths with another method 405, both with Kafka's error body.
 * libmicrohttpd runs a thread per connection (a distributed worker's call
 * may wait on the config topic); the connection count is capped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "rest_int.h"

#define REST_MAX_BODY (1024 * 1024)
/* A body announced beyond this is refused before it is read; a smaller one
 * over REST_MAX_BODY is read and dropped first, so a client that sends its
 * whole body before reading sees the 413 rather than a reset. */
#define REST_MAX_DRAIN (16 * 1024 * 1024)
#define REST_MAX_CONNECTIONS 64
#define REST_IDLE_TIMEOUT_S 60

struct sl_connect_rest {
    sl_connect_worker_t *worker;
    struct MHD_Daemon *daemon;
    uint16_t port;
};

/* One request being received: its body so far. */
typedef struct body {
    char *data;
    size_t len, cap;
    size_t drained;     /* bytes of a too large body dropped so far */
    bool too_big;
} body_t;

/* ---- answers ------------------------------------------------------------- */

void rest_ok(rest_reply_t *out, unsigned status, json_t *body)
{
    json_decref(out->body);
    out->status = status;
    out->body = body;
    if (!body && status != 202 && status != 204)
        rest_fail(out, 500, "out of memory");
}

void rest_set_location(rest_reply_t *out, const char *name)
{
    static const char prefix[] = "/connectors/";
    size_t n = sizeof prefix + 3 * strlen(name);
    char *p = malloc(n);
    if (!p)
        return;
    size_t w = (size_t)snprintf(p, n, "%s", prefix);
    for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
        if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
            strchr("-._~", *c))
            p[w++] = (char)*c;
        else
            w += (size_t)snprintf(p + w, n - w, "%%%02X", *c);
    }
    p[w] = '\0';
    free(out->location);
    out->location = p;
}

void rest_fail(rest_reply_t *out, unsigned status, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_decref(out->body);
    out->status = status;
    out->body = json_pack("{s:i, s:s}", "error_code", (int)status, "message", msg);
}

void rest_fail_worker(rest_reply_t *out, sl_err_t rc, const char *name, const char *err)
{
    const char *why = err && *err ? err : sl_err_str(rc);
    switch (rc) {
    case SL_ERR_NOENT:
        rest_fail(out, 404, "Connector %s not found", name);
        break;
    case SL_ERR_EXISTS:
        rest_fail(out, 409, "Connector %s already exists", name);
        break;
    case SL_ERR_CONFIG:
    case SL_ERR_INVAL:
        rest_fail(out, 400, "%s", why);
        break;
    case SL_ERR_TIMEOUT:
        rest_fail(out, 500, "Request timed out");
        break;
    case SL_ERR_REBALANCE_IN_PROGRESS:
        /* A distributed worker between assignments: Kafka's 409. */
        rest_fail(out, 409, "%s",
                  err && *err ? err
                              : "Cannot complete request momentarily due to stale configuration (typically caused by "
                                "a concurrent config change)");
        break;
    default:
        rest_fail(out, 500, "%s", why);
        break;
    }
}

/* ---- text ------------------------------------------------------------------- */

/* The length of the well-formed UTF-8 sequence at s, 0 when there is none
 * (a stray byte, an overlong form, a surrogate, past U+10FFFF, the end). */
static size_t utf8_seq(const unsigned char *s)
{
    if (s[0] < 0x80)
        return s[0] ? 1 : 0;
    size_t n = s[0] >= 0xC2 && s[0] <= 0xDF ? 2 : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
             : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if ((n == 3 && s[0] == 0xE0 && s[1] < 0xA0) || (n == 3 && s[0] == 0xED && s[1] >= 0xA0) ||
        (n == 4 && s[0] == 0xF0 && s[1] < 0x90) || (n == 4 && s[0] == 0xF4 && s[1] >= 0x90))
        return 0;
    return n;
}

static bool utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n;
    while (*p && (n = utf8_seq(p)) != 0)
        p += n;
    return *p == '\0';
}

json_t *rest_text(const char *s)
{
    if (!s)
        return json_null();
    if (utf8_valid(s))
        return json_string(s);
    char *copy = strdup(s);
    if (!copy)
        return NULL;
    for (unsigned char *p = (unsigned char *)copy; *p;) {
        size_t n = utf8_seq(p);
        if (n == 0)
            *p++ = '?';
        else
            p += n;
    }
    json_t *j = json_string(copy);
    free(copy);
    return j;
}

/* ---- bodies and configs ---------------------------------------------------- */

json_t *rest_body_object(const rest_req_t *rq, rest_reply_t *out)
{
    if (!rq->body || rq->len == 0) {
        rest_fail(out, 400, "The request body is empty: a JSON object is expected");
        return NULL;
    }
    json_error_t je;
    json_t *v = json_loadb(rq->body, rq->len, JSON_REJECT_DUPLICATES, &je);
    if (!v) {
        rest_fail(out, 400, "The request body is not valid JSON: %s (line %d, column %d)", je.text,
                  je.line, je.column);
        return NULL;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        rest_fail(out, 400, "The request body must be a JSON object");
        return NULL;
    }
    return v;
}

sl_props_t *rest_json_props(const json_t *obj, const char *what, rest_reply_t *out)
{
    if (!json_is_object(obj)) {
        rest_fail(out, 400, "\"%s\" must be a JSON object of strings", what);
        return NULL;
    }
    sl_props_t *p = sl_props_new();
    if (!p) {
        rest_fail(out, 500, "out of memory");
        return NULL;
    }
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        char num[64];
        const char *text = num;
        if (json_is_string(v))
            text = json_string_value(v);
        else if (json_is_boolean(v))
            text = json_is_true(v) ? "true" : "false";
        else if (json_is_integer(v))
            snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        else if (json_is_real(v))
            snprintf(num, sizeof num, "%.17g", json_real_value(v));
        else
            text = NULL;
        if (!text) {
            rest_fail(out, 400, "The value of \"%.200s\" in \"%s\" must be a string, a number or a boolean",
                      key, what);
            sl_props_free(p);
            return NULL;
        }
        if (sl_props_set(p, key, text, 0) != SL_OK) {
            rest_fail(out, 500, "out of memory");
            sl_props_free(p);
            return NULL;
        }
    }
    return p;
}

/* o[k] = v, both as rest_text makes them. -1 when out of memory. */
static int set_text(json_t *o, const char *k, const char *v)
{
    json_t *key = rest_text(k);
    int rc = key ? json_object_set_new(o, json_string_value(key), rest_text(v ? v : "")) : -1;
    json_decref(key);
    return rc;
}

json_t *rest_pairs_json(const char *const *keys, const char *const *values, size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < n; i++) {
        if (set_text(o, keys[i], values[i])) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

json_t *rest_props_json(const sl_props_t *props)
{
    json_t *o = json_object();
    size_t n = props ? sl_props_count(props) : 0;
    for (size_t i = 0; o && i < n; i++) {
        const char *k, *v;
        sl_props_at(props, i, &k, &v, NULL);
        if (set_text(o, k, v)) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

/* ---- URL decoding ----------------------------------------------------------- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes s[0..n) (%XX; '+' as a space when plus) into a malloc'ed string.
 * NULL for a malformed escape or a %00 (*bad set), or out of memory. */
static char *url_decode(const char *s, size_t n, bool plus, bool *bad)
{
    char *d = malloc(n + 1);
    if (!d)
        return NULL;
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
            int lo = hi >= 0 ? hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                free(d);
                *bad = true;
                return NULL;
            }
            d[w++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            d[w++] = plus && s[i] == '+' ? ' ' : s[i];
        }
    }
    d[w] = '\0';
    return d;
}

/* libmicrohttpd would decode the path before it is split; rest.c splits
 * first and decodes each segment, so the escapes are left alone here. */
static size_t keep_escapes(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return strlen(s);
}

typedef struct query_find {
    const char *key;
    const char *value;      /* NULL: the first value of key */
    char *found;            /* decoded copy */
    bool hit;
} query_find_t;

static enum MHD_Result query_iter(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    query_find_t *q = cls;
    bool bad = false;
    char *k = key ? url_decode(key, strlen(key), true, &bad) : NULL;
    bool same = k && strcmp(k, q->key) == 0;
    free(k);
    if (!same)
        return MHD_YES;
    char *v = url_decode(value ? value : "", value ? strlen(value) : 0, true, &bad);
    if (!v)
        return MHD_YES;
    if (!q->value || strcmp(v, q->value) == 0) {
        q->found = v;
        q->hit = true;
        return MHD_NO;
    }
    free(v);
    return MHD_YES;
}

char *rest_query(const rest_req_t *rq, const char *key)
{
    query_find_t q = {.key = key};
    MHD_get_connection_values(rq->conn, MHD_GET_ARGUMENT_KIND, query_iter, &q);
    return q.found;
}

bool rest_query_has(const rest_req_t *rq, const char *key, const char *value)
{
    query_find_t q = {.key = key, .value = value};
    MHD_get_connection_values(rq->conn, MHD_GET_ARGUMENT_KIND, query_iter, &q);
    free(q.found);
    return q.hit;
}

bool rest_query_bool(const rest_req_t *rq, const char *key)
{
    char *v = rest_query(rq, key);
    bool b = v && strcasecmp(v, "true") == 0;
    free(v);
    return b;
}

/* ---- routes ------------------------------------------------------------------- */

typedef void route_fn(const rest_req_t *rq, rest_reply_t *out);

/* A path shape: literal segments, "{}" for a name, "{id}" for a task id. */
typedef struct route {
    const char *method;
    const char *path[REST_MAX_SEGS];
    size_t nseg;
    bool has_body;
    route_fn *fn;
} route_t;

static const route_t routes[] = {
    {"GET", {0}, 0, false, rest_root},
    {"GET", {"connectors"}, 1, false, rest_connectors_list},
    {"POST", {"connectors"}, 1, true, rest_connectors_create},
    {"GET", {"connectors", "{}"}, 2, false, rest_connector_info},
    {"DELETE", {"connectors", "{}"}, 2, false, rest_connector_delete},
    {"GET", {"connectors", "{}", "config"}, 3, false, rest_connector_config_get},
    {"PUT", {"connectors", "{}", "config"}, 3, true, rest_connector_config_put},
    {"GET", {"connectors", "{}", "status"}, 3, false, rest_connector_status},
    {"GET", {"connectors", "{}", "tasks"}, 3, false, rest_connector_tasks},
    {"POST", {"connectors", "{}", "restart"}, 3, false, rest_connector_restart},
    {"PUT", {"connectors", "{}", "pause"}, 3, false, rest_connector_pause},
    {"PUT", {"connectors", "{}", "resume"}, 3, false, rest_connector_resume},
    {"GET", {"connectors", "{}", "tasks", "{id}", "status"}, 5, false, rest_task_status},
    {"POST", {"connectors", "{}", "tasks", "{id}", "restart"}, 5, false, rest_task_restart},
    {"GET", {"connector-plugins"}, 1, false, rest_plugins_list},
    {"GET", {"connector-plugins", "{}", "config"}, 3, false, rest_plugin_config},
    {"PUT", {"connector-plugins", "{}", "config", "validate"}, 4, true, rest_plugin_validate},
};

/* A task id as JAX-RS reads an Integer path parameter: an optional sign
 * and decimal digits within 32 bits. */
static bool parse_task(const char *s, int *out)
{
    const char *p = s + (*s == '-' || *s == '+');
    if (!*p || strspn(p, "0123456789") != strlen(p) || strlen(p) > 10)
        return false;
    long long v = strtoll(s, NULL, 10);
    if (v < INT32_MIN || v > INT32_MAX)
        return false;
    *out = (int)v;
    return true;
}

static bool route_matches(const route_t *r, const rest_req_t *rq, int *task)
{
    if (r->nseg != rq->nseg)
        return false;
    for (size_t i = 0; i < r->nseg; i++) {
        if (strcmp(r->path[i], "{id}") == 0) {
            if (!parse_task(rq->seg[i], task))
                return false;
        } else if (strcmp(r->path[i], "{}") != 0 && strcmp(r->path[i], rq->seg[i]) != 0) {
            return false;
        }
    }
    return true;
}

/* A body route takes JSON: a Content-Type, when given, must say so. */
static bool json_media(struct MHD_Connection *c)
{
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!ct || !*ct)
        return true;
    size_t n = strcspn(ct, ";");
    while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
        n--;
    return (n == 16 && strncasecmp(ct, "application/json", 16) == 0) ||
           (n > 5 && strncasecmp(ct + n - 5, "+json", 5) == 0) || (n == 3 && strncmp(ct, "*/*", 3) == 0);
}

/* Splits and decodes url's path into rq->seg (the copies go to segs, freed
 * by the caller). A trailing '/' is ignored. false after answering. */
static bool split_path(const char *url, rest_req_t *rq, char **segs, rest_reply_t *out)
{
    size_t plen = strcspn(url, "?");
    const char *p = url;
    const char *end = url + plen;
    if (p < end && *p == '/')
        p++;
    while (end > p && end[-1] == '/')
        end--;
    rq->nseg = 0;
    while (p < end) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        size_t n = (size_t)((slash ? slash : end) - p);
        if (rq->nseg == REST_MAX_SEGS || n == 0) {
            rest_fail(out, 404, "HTTP 404 Not Found");
            return false;
        }
        bool bad = false;
        char *s = url_decode(p, n, false, &bad);
        if (!s) {
            if (bad)
                rest_fail(out, 400, "The URL path holds a malformed %%-escape");
            else
                rest_fail(out, 500, "out of memory");
            return false;
        }
        segs[rq->nseg] = s;
        rq->seg[rq->nseg++] = s;
        if (!utf8_valid(s)) {
            rest_fail(out, 400, "The URL path is not UTF-8 once decoded");
            return false;
        }
        p += n;
        if (p < end)
            p++;
    }
    return true;
}

/* Finds the route and runs it. */
static void dispatch(sl_connect_rest_t *r, struct MHD_Connection *c, const char *url, const char *method,
                     const body_t *b, rest_reply_t *out)
{
    rest_req_t rq = {.worker = r->worker, .method = method, .body = b->data, .len = b->len, .conn = c};
    char *segs[REST_MAX_SEGS] = {0};
    if (split_path(url, &rq, segs, out)) {
        const route_t *hit = NULL;
        bool path_known = false;
        for (size_t i = 0; i < SL_ARRAY_LEN(routes) && !hit; i++) {
            int task = 0;
            if (!route_matches(&routes[i], &rq, &task))
                continue;
            path_known = true;
            size_t al = strlen(out->allow);
            snprintf(out->allow + al, sizeof out->allow - al, "%s%s", al ? ", " : "", routes[i].method);
            /* HEAD is GET without the body (libmicrohttpd drops it). */
            if (strcmp(routes[i].method, method) == 0 ||
                (strcmp(method, "HEAD") == 0 && strcmp(routes[i].method, "GET") == 0)) {
                hit = &routes[i];
                rq.task = task;
            }
        }
        if (!hit && path_known)
            rest_fail(out, 405, "HTTP 405 Method Not Allowed");
        else if (!hit)
            rest_fail(out, 404, "HTTP 404 Not Found");
        else if (hit->has_body && !json_media(c))
            rest_fail(out, 415, "HTTP 415 Unsupported Media Type");
        else
            hit->fn(&rq, out);
    }
    for (size_t i = 0; i < REST_MAX_SEGS; i++)
        free(segs[i]);
}

static enum MHD_Result send_reply(struct MHD_Connection *c, rest_reply_t *rp)
{
    char *text = rp->body ? json_dumps(rp->body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(rp->body);
    rp->body = NULL;
    if (rp->status != 202 && rp->status != 204 && !text) {
        static const char oom[] = "{\"error_code\":500,\"message\":\"out of memory\"}";
        rp->status = 500;
        text = strdup(oom);
        if (!text)
            return MHD_NO;
    }
    struct MHD_Response *resp =
        text ? MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE)
             : MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        free(text);
        return MHD_NO;
    }
    if (text)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    if (rp->status == 405 && rp->allow[0])
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, rp->allow);
    if (rp->status == 201 && rp->location) {
        /* Absolute, as Jersey makes it, when the client named the host. */
        const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
        size_t n = host ? strlen(host) + strlen(rp->location) + 8 : 0;
        char *abs = host && *host && strlen(host) < 256 && !strpbrk(host, "/\\") ? malloc(n) : NULL;
        if (abs)
            snprintf(abs, n, "http://%s%s", host, rp->location);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, abs ? abs : rp->location);
        free(abs);
    }
    enum MHD_Result ret = MHD_queue_response(c, rp->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    sl_connect_rest_t *r = cls;
    body_t *b = *con_cls;
    rest_reply_t rp = {0};
    if (!b) {
        b = calloc(1, sizeof *b);
        if (!b)
            return MHD_NO;
        *con_cls = b;
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        unsigned long long announced = cl ? strtoull(cl, NULL, 10) : 0;
        b->too_big = announced > REST_MAX_BODY;
        if (announced <= REST_MAX_DRAIN)
            return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (b->too_big || b->len + n > REST_MAX_BODY) {
            b->too_big = true;
            b->drained += n;
            if (b->drained <= REST_MAX_DRAIN)
                return MHD_YES;
        } else {
            if (b->len + n + 1 > b->cap) {
                size_t cap = b->cap ? b->cap : 4096;
                while (cap < b->len + n + 1)
                    cap *= 2;
                char *d = realloc(b->data, cap);
                if (!d)
                    return MHD_NO;
                b->data = d;
                b->cap = cap;
            }
            memcpy(b->data + b->len, upload, n);
            b->len += n;
            b->data[b->len] = '\0';
            return MHD_YES;
        }
    }
    if (b->too_big)
        rest_fail(&rp, 413, "The request body is larger than %d bytes", REST_MAX_BODY);
    else
        dispatch(r, c, url, method, b, &rp);
    enum MHD_Result ret = send_reply(c, &rp);
    free(rp.location);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    body_t *b = *con_cls;
    if (b) {
        free(b->data);
        free(b);
        *con_cls = NULL;
    }
}

/* libmicrohttpd's own messages (a malformed request, a client gone) go to
 * the debug log: each is one client's trouble, answered already. */
static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    SL_DEBUG("connect-rest", "%s", line);
}

/* ---- start and stop ------------------------------------------------------------ */

/* "http://HOST:PORT" (the scheme may be left out) into an IPv4 address. */
static sl_err_t parse_listener(const char *l, struct sockaddr_in *sa, char *errbuf, size_t errlen)
{
    const char *p = l;
    if (strncasecmp(p, "http://", 7) == 0) {
        p += 7;
    } else if (strstr(p, "://")) {
        snprintf(errbuf, errlen, "listener '%.200s': only http:// is supported", l);
        return SL_ERR_CONFIG;
    }
    size_t n = strlen(p);
    while (n && p[n - 1] == '/')
        n--;
    const char *colon = NULL;
    for (size_t i = n; i > 0 && !colon; i--)
        if (p[i - 1] == ':')
            colon = p + i - 1;
    char host[64];
    size_t hl = colon ? (size_t)(colon - p) : 0;
    const char *port = colon ? colon + 1 : NULL;
    size_t pl = colon ? n - hl - 1 : 0;
    if (!colon || hl == 0 || hl >= sizeof host || pl == 0 || pl > 5 || strspn(port, "0123456789") < pl ||
        memchr(p, ',', n)) {
        snprintf(errbuf, errlen, "listener '%.200s': expected one http://HOST:PORT", l);
        return SL_ERR_CONFIG;
    }
    memcpy(host, p, hl);
    host[hl] = '\0';
    unsigned long v = strtoul(port, NULL, 10);
    if (v > 65535) {
        snprintf(errbuf, errlen, "listener '%.200s': the port must be from 0 to 65535", l);
        return SL_ERR_CONFIG;
    }
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)v);
    if (strcasecmp(host, "localhost") == 0)
        snprintf(host, sizeof host, "127.0.0.1");
    if (inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
        snprintf(errbuf, errlen, "listener '%.200s': the host must be an IPv4 address or localhost", l);
        return SL_ERR_CONFIG;
    }
    return SL_OK;
}

sl_err_t sl_connect_rest_start(sl_connect_worker_t *w, const char *listener, sl_connect_rest_t **out,
                               char *errbuf, size_t errlen)
{
    char scratch[8];
    if (!errbuf) {
        errbuf = scratch;
        errlen = sizeof scratch;
    }
    *out = NULL;
    struct sockaddr_in sa;
    sl_err_t rc = parse_listener(listener ? listener : "", &sa, errbuf, errlen);
    if (rc)
        return rc;
    sl_connect_rest_t *r = calloc(1, sizeof *r);
    if (!r)
        return SL_ERR_NOMEM;
    r->worker = w;
    errno = 0;
    r->daemon = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, ntohs(sa.sin_port),
        NULL, NULL, on_request, r, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)REST_MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)REST_IDLE_TIMEOUT_S,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, r, MHD_OPTION_UNESCAPE_CALLBACK, keep_escapes, r,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, r, MHD_OPTION_END);
    if (!r->daemon) {
        snprintf(errbuf, errlen, "cannot listen on %.200s (%s)", listener,
                 errno ? strerror(errno) : "libmicrohttpd refused");
        free(r);
        return SL_ERR_IO;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(r->daemon, MHD_DAEMON_INFO_BIND_PORT);
    r->port = di && di->port ? di->port : ntohs(sa.sin_port);
    char addr[INET_ADDRSTRLEN] = "";
    inet_ntop(AF_INET, &sa.sin_addr, addr, sizeof addr);
    SL_INFO("connect-rest", "REST service listening on http://%s:%u", addr, r->port);
    *out = r;
    return SL_OK;
}

uint16_t sl_connect_rest_port(const sl_connect_rest_t *r)
{
    return r ? r->port : 0;
}

void sl_connect_rest_stop(sl_connect_rest_t *r)
{
    if (!r)
        return;
    MHD_stop_daemon(r->daemon);
    free(r);
}
