/*
 * rest.c - the SQL service's REST API, shaped as ksqlDB's: POST /ksql runs
 * statements, POST /query-stream and POST /query stream the rows of a push
 * or pull query, POST /close-query cancels one, GET /info and GET
 * /healthcheck describe the server. libmicrohttpd runs one thread per
 * connection, so a streamed response may wait for the next row inside its
 * reader callback; the connection count is capped, request bodies are
 * capped at 1 MiB, and a query whose client went away is noticed within
 * half a second and closed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <jansson.h>
#include <microhttpd.h>

#include "sql.h"

#define REST_MAX_BODY (1024 * 1024)
/* A body announced beyond this is refused before it is read; a smaller one
 * over REST_MAX_BODY is read and dropped first, so a client that sends its
 * whole body before reading sees the 413 rather than a reset. */
#define REST_MAX_DRAIN (16 * 1024 * 1024)
#define REST_MAX_LISTENERS 8
#define REST_MAX_CONNECTIONS 64
#define REST_WAIT_MS 500

struct sl_sql_rest {
    sl_sql_engine_t *engine;
    struct MHD_Daemon *daemons[REST_MAX_LISTENERS];
    uint16_t ports[REST_MAX_LISTENERS];
    int n;
    char version[64];
    char cluster_id[128];
    char service_id[128];
};

/* One request being received: its body so far. */
typedef struct req {
    char *body;
    size_t len;
    size_t cap;
    size_t drained;     /* bytes of a too large body dropped so far */
    bool too_big;
} req_t;

/* ---- answers ------------------------------------------------------------ */

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *type, char *text)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* Sends v (taken) as the JSON body. */
static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, json_t *v)
{
    char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    if (!text)
        return MHD_NO;
    return send_text(c, status, "application/json", text);
}

/* ksqlDB's error bodies: generic_error (40000, bad request shape; 50000,
 * server trouble), statement_error (40001, the statement failed). */
static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, int code, const char *message)
{
    return send_json(c, status, json_pack("{s:s, s:i, s:s}", "@type", "generic_error", "error_code", code,
                                          "message", message ? message : ""));
}

static enum MHD_Result send_statement_error(struct MHD_Connection *c, const sl_sql_error_t *err,
                                            const char *text)
{
    /* The service's own trouble is not the statement's fault. */
    if (err->code == SL_ERR_NOMEM || err->code == SL_ERR_IO)
        return send_error(c, 500, 50000, err->message[0] ? err->message : sl_err_str(err->code));
    const char *stmt = err->statement[0] ? err->statement : text;
    json_t *v = json_pack("{s:s, s:i, s:s, s:s, s:[]}", "@type", "statement_error", "error_code", 40001,
                          "message", err->message[0] ? err->message : sl_err_str(err->code), "statementText",
                          stmt ? stmt : "", "entities");
    return send_json(c, 400, v);
}

/* Parses the body as a JSON object with a string member key (and an
 * optional object member props_key). Answers 400 itself and returns NULL
 * when the body does not fit. */
static json_t *parse_body(struct MHD_Connection *c, const req_t *rq, const char *key, const char *props_key,
                          enum MHD_Result *ret)
{
    json_error_t je;
    json_t *body = rq->len ? json_loadb(rq->body, rq->len, 0, &je) : NULL;
    char msg[512];
    if (!body) {
        snprintf(msg, sizeof msg, "Invalid JSON in request: %s", rq->len ? je.text : "empty body");
        *ret = send_error(c, 400, 40000, msg);
        return NULL;
    }
    const json_t *s = json_is_object(body) ? json_object_get(body, key) : NULL;
    const json_t *p = json_is_object(body) ? json_object_get(body, props_key) : NULL;
    if (!json_is_string(s)) {
        snprintf(msg, sizeof msg, "Invalid request: the body must be a JSON object with a string field \"%s\"",
                 key);
    } else if (p && !json_is_null(p) && !json_is_object(p)) {
        snprintf(msg, sizeof msg, "Invalid request: \"%s\" must be a JSON object", props_key);
    } else {
        return body;
    }
    json_decref(body);
    *ret = send_error(c, 400, 40000, msg);
    return NULL;
}

static const json_t *props_of(const json_t *body, const char *props_key)
{
    const json_t *p = json_object_get(body, props_key);
    return json_is_object(p) ? p : NULL;
}

/* ---- POST /ksql ----------------------------------------------------------- */

static enum MHD_Result do_ksql(sl_sql_rest_t *rs, struct MHD_Connection *c, const req_t *rq)
{
    enum MHD_Result ret = MHD_NO;
    json_t *body = parse_body(c, rq, "ksql", "streamsProperties", &ret);
    if (!body)
        return ret;
    const char *text = json_string_value(json_object_get(body, "ksql"));
    json_t *out = NULL;
    sl_sql_error_t err;
    memset(&err, 0, sizeof err);
    sl_err_t e = sl_sql_execute(rs->engine, text, props_of(body, "streamsProperties"), &out, &err);
    if (e != SL_OK)
        ret = send_statement_error(c, &err, text);
    else
        ret = send_json(c, 200, out);
    json_decref(body);
    return ret;
}

/* ---- POST /query-stream and POST /query: streamed rows ------------------ */

typedef enum stream_shape {
    SHAPE_DELIMITED, /* /query-stream: the header, then one array per line */
    SHAPE_ARRAY,     /* /query-stream with Accept: application/json */
    SHAPE_LEGACY,    /* /query: [{"header":...},{"row":{"columns":...}},...] */
} stream_shape_t;

typedef struct stream {
    sl_sql_query_t *q;
    stream_shape_t shape;
    int fd;             /* the client's socket, to notice it closing */
    json_t *first;      /* the header line, sent before any row */
    char *pending;      /* text not yet handed to MHD */
    size_t plen, poff;
    bool rows_sent;
    bool ended;         /* the closing text is pending or sent */
} stream_t;

/* The client has closed its side (or the socket failed). */
static bool client_gone(int fd)
{
    if (fd < 0)
        return false;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 0) <= 0)
        return false;
    if (p.revents & (POLLERR | POLLHUP | POLLNVAL))
        return true;
    char b;
    ssize_t n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

static void set_pending(stream_t *st, char *text)
{
    free(st->pending);
    st->pending = text;
    st->plen = text ? strlen(text) : 0;
    st->poff = 0;
}

/* ksqlDB's older /query header: {"header":{"queryId","schema":"`A` INT, ..."}}. */
static json_t *legacy_header(const json_t *h)
{
    const json_t *names = json_object_get(h, "columnNames");
    const json_t *types = json_object_get(h, "columnTypes");
    char *schema = NULL;
    size_t slen = 0;
    FILE *f = open_memstream(&schema, &slen);
    if (!f)
        return NULL;
    for (size_t i = 0; i < json_array_size(names); i++) {
        const char *t = json_string_value(json_array_get(types, i));
        fprintf(f, "%s`%s` %s", i ? ", " : "", json_string_value(json_array_get(names, i)), t ? t : "");
    }
    fclose(f);
    const char *id = json_string_value(json_object_get(h, "queryId"));
    json_t *v = json_pack("{s:{s:s, s:s}}", "header", "queryId", id ? id : "", "schema", schema ? schema : "");
    free(schema);
    return v;
}

/* The text for row (taken) in the stream's shape. */
static char *row_text(stream_t *st, json_t *row)
{
    json_t *v = row;
    if (st->shape == SHAPE_LEGACY)
        v = json_pack("{s:{s:o}}", "row", "columns", row);
    char *js = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(v);
    if (!js)
        return NULL;
    const char *pre = st->shape == SHAPE_DELIMITED ? "" : ",\n";
    const char *post = st->shape == SHAPE_DELIMITED ? "\n" : "";
    size_t n = strlen(pre) + strlen(js) + strlen(post) + 1;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%s%s%s", pre, js, post);
    free(js);
    return out;
}

/* The closing text once the query is done: nothing for the delimited
 * shape, "]" for the arrays (with ksqlDB's final message for /query, or
 * an error entry when the query failed). */
static char *end_text(stream_t *st)
{
    if (st->shape == SHAPE_DELIMITED) {
        sl_sql_error_t err;
        memset(&err, 0, sizeof err);
        if (sl_sql_query_error(st->q, &err) == SL_OK)
            return NULL;
        json_t *v = json_pack("{s:s, s:i, s:s}", "@type", "generic_error", "error_code", 50000, "message",
                              err.message[0] ? err.message : sl_err_str(err.code));
        char *js = v ? json_dumps(v, JSON_COMPACT) : NULL;
        json_decref(v);
        if (!js)
            return NULL;
        size_t n = strlen(js) + 2;
        char *out = malloc(n);
        if (out)
            snprintf(out, n, "%s\n", js);
        free(js);
        return out;
    }
    if (st->shape == SHAPE_ARRAY)
        return strdup("]\n");
    sl_sql_error_t err;
    memset(&err, 0, sizeof err);
    json_t *v;
    if (sl_sql_query_error(st->q, &err) == SL_OK)
        v = json_pack("{s:s}", "finalMessage", "Query Completed");
    else
        v = json_pack("{s:s}", "errorMessage", err.message[0] ? err.message : sl_err_str(err.code));
    char *js = v ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    if (!js)
        return strdup("]\n");
    size_t n = strlen(js) + 8;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, ",\n%s]\n", js);
    free(js);
    return out;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    stream_t *st = cls;
    for (;;) {
        if (st->poff < st->plen) {
            size_t n = st->plen - st->poff;
            if (n > max)
                n = max;
            memcpy(buf, st->pending + st->poff, n);
            st->poff += n;
            return (ssize_t)n;
        }
        if (st->first) {
            char *js = json_dumps(st->first, JSON_COMPACT);
            json_decref(st->first);
            st->first = NULL;
            if (!js)
                return MHD_CONTENT_READER_END_WITH_ERROR;
            size_t n = strlen(js) + 3;
            char *t = malloc(n);
            if (t)
                snprintf(t, n, "%s%s%s", st->shape == SHAPE_DELIMITED ? "" : "[", js,
                         st->shape == SHAPE_DELIMITED ? "\n" : "");
            free(js);
            if (!t)
                return MHD_CONTENT_READER_END_WITH_ERROR;
            set_pending(st, t);
            continue;
        }
        if (st->ended)
            return MHD_CONTENT_READER_END_OF_STREAM;
        json_t *row = NULL;
        sl_err_t e = sl_sql_query_next(st->q, REST_WAIT_MS, &row);
        if (e == SL_OK) {
            char *t = row_text(st, row);
            if (!t)
                return MHD_CONTENT_READER_END_WITH_ERROR;
            set_pending(st, t);
            st->rows_sent = true;
        } else if (e == SL_ERR_TIMEOUT) {
            if (client_gone(st->fd))
                return MHD_CONTENT_READER_END_WITH_ERROR;
        } else {
            /* Closed before the client sees the end, so once it has, the
             * query is gone (a second /close-query finds nothing). */
            st->ended = true;
            set_pending(st, end_text(st));
            sl_sql_query_close(st->q);
            st->q = NULL;
        }
    }
}

static void stream_free(void *cls)
{
    stream_t *st = cls;
    if (!st)
        return;
    sl_sql_query_close(st->q);
    json_decref(st->first);
    free(st->pending);
    free(st);
}

static bool accepts_json(struct MHD_Connection *c)
{
    const char *acc = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");
    return acc && strstr(acc, "application/json") && !strstr(acc, "application/vnd.ksqlapi.delimited");
}

static enum MHD_Result do_query(sl_sql_rest_t *rs, struct MHD_Connection *c, const req_t *rq, bool legacy)
{
    enum MHD_Result ret = MHD_NO;
    const char *key = legacy ? "ksql" : "sql";
    const char *pkey = legacy ? "streamsProperties" : "properties";
    json_t *body = parse_body(c, rq, key, pkey, &ret);
    if (!body)
        return ret;
    const char *text = json_string_value(json_object_get(body, key));
    sl_sql_query_t *q = NULL;
    sl_sql_error_t err;
    memset(&err, 0, sizeof err);
    sl_err_t e = sl_sql_query_open(rs->engine, text, props_of(body, pkey), &q, &err);
    if (e != SL_OK) {
        ret = send_statement_error(c, &err, text);
        json_decref(body);
        return ret;
    }
    json_decref(body);
    stream_t *st = calloc(1, sizeof *st);
    if (!st) {
        sl_sql_query_close(q);
        return send_error(c, 500, 50000, "out of memory");
    }
    st->q = q;
    st->shape = legacy ? SHAPE_LEGACY : accepts_json(c) ? SHAPE_ARRAY : SHAPE_DELIMITED;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    st->fd = ci ? ci->connect_fd : -1;
    const json_t *h = sl_sql_query_header(q);
    st->first = legacy ? legacy_header(h) : json_deep_copy(h);
    if (!st->first) {
        stream_free(st);
        return send_error(c, 500, 50000, "out of memory");
    }
    struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, st, stream_free);
    if (!r) {
        stream_free(st);
        return MHD_NO;
    }
    const char *type = st->shape == SHAPE_DELIMITED ? "application/vnd.ksqlapi.delimited.v1" : "application/json";
    MHD_add_response_header(r, "Content-Type", type);
    /* A quiet push query may wait longer than the idle timeout between
     * rows, inside the reader; libmicrohttpd would count that as idleness.
     * The reader notices a client that left by itself. */
    MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned)0);
    ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

/* ---- POST /close-query, GET /info, GET /healthcheck ---------------------- */

static enum MHD_Result do_close(sl_sql_rest_t *rs, struct MHD_Connection *c, const req_t *rq)
{
    enum MHD_Result ret = MHD_NO;
    json_t *body = parse_body(c, rq, "queryId", "properties", &ret);
    if (!body)
        return ret;
    const char *id = json_string_value(json_object_get(body, "queryId"));
    if (sl_sql_query_cancel_id(rs->engine, id) != SL_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "No query with id %.400s", id);
        ret = send_error(c, 400, 40000, msg);
    } else {
        ret = send_text(c, 200, "application/json", strdup("{}"));
    }
    json_decref(body);
    return ret;
}

static enum MHD_Result do_info(sl_sql_rest_t *rs, struct MHD_Connection *c)
{
    return send_json(c, 200,
                     json_pack("{s:{s:s, s:s, s:s, s:s}}", "KsqlServerInfo", "version", rs->version,
                               "kafkaClusterId", rs->cluster_id, "ksqlServiceId", rs->service_id,
                               "serverStatus", "RUNNING"));
}

static enum MHD_Result do_health(struct MHD_Connection *c)
{
    return send_json(c, 200,
                     json_pack("{s:b, s:{s:{s:b}, s:{s:b}, s:{s:b}}}", "isHealthy", 1, "details", "metastore",
                               "isHealthy", 1, "kafka", "isHealthy", 1, "commandRunner", "isHealthy", 1));
}

/* ---- dispatch --------------------------------------------------------------- */

typedef enum route { R_NONE, R_KSQL, R_QUERY_STREAM, R_QUERY, R_CLOSE, R_INFO, R_HEALTH } route_t;

static route_t route_of(const char *url, bool *post)
{
    static const struct { const char *path; route_t r; bool post; } routes[] = {
        {"/ksql", R_KSQL, true},        {"/query-stream", R_QUERY_STREAM, true}, {"/query", R_QUERY, true},
        {"/close-query", R_CLOSE, true}, {"/info", R_INFO, false},               {"/healthcheck", R_HEALTH, false},
    };
    size_t n = strcspn(url, "?");
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (strlen(routes[i].path) == n && memcmp(routes[i].path, url, n) == 0) {
            *post = routes[i].post;
            return routes[i].r;
        }
    }
    return R_NONE;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    sl_sql_rest_t *rs = cls;
    req_t *rq = *con_cls;
    if (!rq) {
        rq = calloc(1, sizeof *rq);
        if (!rq)
            return MHD_NO;
        *con_cls = rq;
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        unsigned long long announced = cl ? strtoull(cl, NULL, 10) : 0;
        rq->too_big = announced > REST_MAX_BODY;
        if (announced <= REST_MAX_DRAIN)
            return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (rq->too_big || rq->len + n > REST_MAX_BODY) {
            rq->too_big = true;
            rq->drained += n;
            if (rq->drained > REST_MAX_DRAIN)
                return send_error(c, 413, 41300, "The request body is larger than 1048576 bytes");
            return MHD_YES;
        }
        if (rq->len + n + 1 > rq->cap) {
            size_t cap = rq->cap ? rq->cap : 4096;
            while (cap < rq->len + n + 1)
                cap *= 2;
            char *b = realloc(rq->body, cap);
            if (!b)
                return MHD_NO;
            rq->body = b;
            rq->cap = cap;
        }
        memcpy(rq->body + rq->len, upload, n);
        rq->len += n;
        rq->body[rq->len] = '\0';
        return MHD_YES;
    }
    if (rq->too_big)
        return send_error(c, 413, 41300, "The request body is larger than 1048576 bytes");
    bool want_post = false;
    route_t r = route_of(url, &want_post);
    if (r == R_NONE)
        return send_error(c, 404, 40400, "Not found");
    bool is_post = strcmp(method, "POST") == 0;
    bool is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    if ((want_post && !is_post) || (!want_post && !is_get)) {
        struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        if (!resp)
            return MHD_NO;
        MHD_add_response_header(resp, "Allow", want_post ? "POST" : "GET");
        enum MHD_Result ret = MHD_queue_response(c, 405, resp);
        MHD_destroy_response(resp);
        return ret;
    }
    switch (r) {
    case R_KSQL:
        return do_ksql(rs, c, rq);
    case R_QUERY_STREAM:
        return do_query(rs, c, rq, false);
    case R_QUERY:
        return do_query(rs, c, rq, true);
    case R_CLOSE:
        return do_close(rs, c, rq);
    case R_INFO:
        return do_info(rs, c);
    case R_HEALTH:
        return do_health(c);
    case R_NONE:
        break;
    }
    return MHD_NO;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    req_t *rq = *con_cls;
    if (rq) {
        free(rq->body);
        free(rq);
        *con_cls = NULL;
    }
}

/* ---- start and stop --------------------------------------------------------- */

/* libmicrohttpd's own messages (a malformed request, a client gone) go to
 * the debug log: each is one client's trouble, answered already. */
static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    SL_DEBUG("rest", "%s", line);
}

/* "http://HOST:PORT" (scheme optional) into host and port. */
static bool parse_listener(const char *s, size_t len, char *host, size_t hostlen, uint16_t *port, char *why,
                           size_t whylen)
{
    if (len >= 7 && strncmp(s, "http://", 7) == 0) {
        s += 7;
        len -= 7;
    } else if (memchr(s, ':', len) && strstr(s, "://") && (size_t)(strstr(s, "://") - s) < len) {
        snprintf(why, whylen, "only http:// listeners are supported");
        return false;
    }
    while (len && s[len - 1] == '/')
        len--;
    const char *colon = NULL;
    for (size_t i = len; i > 0; i--) {
        if (s[i - 1] == ':') {
            colon = s + i - 1;
            break;
        }
    }
    if (!colon) {
        snprintf(why, whylen, "expected http://HOST:PORT");
        return false;
    }
    size_t hl = (size_t)(colon - s);
    if (hl >= hostlen) {
        snprintf(why, whylen, "the host name is too long");
        return false;
    }
    memcpy(host, s, hl);
    host[hl] = '\0';
    const char *p = colon + 1;
    size_t pl = len - hl - 1;
    unsigned long v = 0;
    if (pl == 0 || pl > 5) {
        snprintf(why, whylen, "the port must be a number from 0 to 65535");
        return false;
    }
    for (size_t i = 0; i < pl; i++) {
        if (p[i] < '0' || p[i] > '9') {
            snprintf(why, whylen, "the port must be a number from 0 to 65535");
            return false;
        }
        v = v * 10 + (unsigned long)(p[i] - '0');
    }
    if (v > 65535) {
        snprintf(why, whylen, "the port must be a number from 0 to 65535");
        return false;
    }
    *port = (uint16_t)v;
    return true;
}

sl_err_t sl_sql_rest_check_listeners(const char *listeners, char *errbuf, size_t errlen)
{
    if (errbuf && errlen)
        errbuf[0] = '\0';
    if (!listeners || !*listeners) {
        snprintf(errbuf, errlen, "no listener given");
        return SL_ERR_CONFIG;
    }
    int n = 0;
    for (const char *p = listeners; *p;) {
        size_t len = strcspn(p, ",");
        while (len && (*p == ' ' || *p == '\t')) {
            p++;
            len--;
        }
        size_t tl = len;
        while (tl && (p[tl - 1] == ' ' || p[tl - 1] == '\t'))
            tl--;
        char host[256], why[128];
        uint16_t port;
        if (!parse_listener(p, tl, host, sizeof host, &port, why, sizeof why)) {
            snprintf(errbuf, errlen, "'%.*s': %s", (int)(tl > 200 ? 200 : tl), p, why);
            return SL_ERR_CONFIG;
        }
        if (++n > REST_MAX_LISTENERS) {
            snprintf(errbuf, errlen, "more than %d listeners", REST_MAX_LISTENERS);
            return SL_ERR_CONFIG;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return SL_OK;
}

static sl_err_t start_one(sl_sql_rest_t *rs, const char *host, uint16_t port, char *errbuf, size_t errlen)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    if (host[0] == '\0' || strcmp(host, "0.0.0.0") == 0) {
        sa.sin_addr.s_addr = htonl(INADDR_ANY);
    } else if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        struct addrinfo hints, *ai = NULL;
        memset(&hints, 0, sizeof hints);
        hints.ai_family = AF_INET;
        hints.ai_socktype = SOCK_STREAM;
        int g = getaddrinfo(host, NULL, &hints, &ai);
        if (g != 0 || !ai) {
            snprintf(errbuf, errlen, "http://%s:%u: cannot resolve '%s': %s", host, port, host, gai_strerror(g));
            return SL_ERR_CONFIG;
        }
        sa.sin_addr = ((struct sockaddr_in *)ai->ai_addr)->sin_addr;
        freeaddrinfo(ai);
    }
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, port, NULL, NULL,
        on_request, rs, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)REST_MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, rs, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, rs, MHD_OPTION_END);
    if (!d) {
        snprintf(errbuf, errlen, "cannot listen on http://%s:%u (%s)", host, port,
                 errno ? strerror(errno) : "libmicrohttpd refused");
        return SL_ERR_IO;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    rs->ports[rs->n] = di ? di->port : port;
    rs->daemons[rs->n++] = d;
    return SL_OK;
}

sl_err_t sl_sql_rest_start(sl_sql_engine_t *e, const char *listeners, const sl_sql_rest_info_t *info,
                           sl_sql_rest_t **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    sl_err_t err = sl_sql_rest_check_listeners(listeners, errbuf, errlen);
    if (err)
        return err;
    sl_sql_rest_t *rs = calloc(1, sizeof *rs);
    if (!rs)
        return SL_ERR_NOMEM;
    rs->engine = e;
    snprintf(rs->version, sizeof rs->version, "%s", info && info->version ? info->version : "0.0.0");
    snprintf(rs->cluster_id, sizeof rs->cluster_id, "%s", info && info->kafka_cluster_id ? info->kafka_cluster_id : "");
    snprintf(rs->service_id, sizeof rs->service_id, "%s", info && info->service_id ? info->service_id : "default_");
    for (const char *p = listeners; *p && !err;) {
        size_t len = strcspn(p, ",");
        const char *s = p;
        size_t tl = len;
        while (tl && (*s == ' ' || *s == '\t')) {
            s++;
            tl--;
        }
        while (tl && (s[tl - 1] == ' ' || s[tl - 1] == '\t'))
            tl--;
        char host[256], why[128];
        uint16_t port = 0;
        if (parse_listener(s, tl, host, sizeof host, &port, why, sizeof why))
            err = start_one(rs, host, port, errbuf, errlen);
        p += len;
        if (*p == ',')
            p++;
    }
    if (err) {
        sl_sql_rest_stop(rs);
        return err;
    }
    *out = rs;
    return SL_OK;
}

uint16_t sl_sql_rest_port(const sl_sql_rest_t *rs, int i)
{
    return rs && i >= 0 && i < rs->n ? rs->ports[i] : 0;
}

void sl_sql_rest_stop(sl_sql_rest_t *rs)
{
    if (!rs)
        return;
    for (int i = 0; i < rs->n; i++)
        MHD_stop_daemon(rs->daemons[i]);
    free(rs);
}
