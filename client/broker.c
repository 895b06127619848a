/*
 * broker.c - connections to brokers and the requests that travel on them.
 *
 * One connection per broker: brokers from metadata by node id, and, until
 * metadata names some, the bootstrap addresses. A connection is opened when
 * a request is queued for it; its first request is ApiVersions (v3, falling
 * back to the version the broker names, else v0, when it answers
 * UNSUPPORTED_VERSION), and each later request goes out in the highest
 * version in [wanted] x [broker's range] x [proto's table]. Answers come in
 * request order and are matched by correlation id, decoded into an arena that
 * lives for the callback. A request that outlives its timeout closes its
 * connection, as Kafka clients do; a lost connection fails everything queued
 * or in flight on it with NETWORK_EXCEPTION and the next connect waits
 * reconnect.backoff.ms, doubling (with jitter) up to reconnect.backoff.max.ms.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_int.h"

#define API_SLOTS 128                 /* api keys we keep broker ranges for */
#define BOOT_NODE_BASE (-1000)        /* bootstrap entry i is node -1000 - i */
#define CLIENT_SOFTWARE_NAME "sluice"
#define CLIENT_SOFTWARE_VERSION "1.0"

typedef enum bstate {
    B_DOWN,        /* no connection */
    B_CONNECTING,  /* TCP connect under way */
    B_HANDSHAKE,   /* ApiVersions in flight */
    B_UP,          /* ready for requests */
    B_CLOSING,     /* closed by us, close callback pending */
} bstate_t;

typedef struct broker broker_t;

typedef struct rq {
    sl_list_t link;           /* broker's queue or in-flight list */
    broker_t *b;
    sl_cl_req_t req;
    sl_cl_resp_fn *fn;
    void *arg;
    int16_t version;
    int32_t corr;
    int32_t timeout_ms;
    sl_timer_id_t timer;
    bool inflight;
    bool handshake;           /* the connection's ApiVersions */
    sl_ApiVersionsRequest_t av; /* body of a handshake */
} rq_t;

struct broker {
    sl_list_t link;
    sl_cl_t *cl;
    int32_t node_id;          /* >= 0, or a bootstrap entry's BOOT_NODE_BASE - i */
    bool has_addr;
    char host[SL_CL_HOST_MAX];
    uint16_t port;
    sl_conn_t *conn;
    bstate_t state;
    sl_vrange_t api[API_SLOTS];
    int16_t av_version;       /* ApiVersions version to ask with */
    sl_list_t queue;          /* not written yet */
    sl_list_t inflight;       /* written, answer awaited, in order */
    int inflight_produce;
    int failures;             /* connects failed in a row */
    int64_t next_connect_ms;
    sl_timer_id_t pump_timer, connect_timer;
    char why[500];            /* our own reason for closing, for the close callback */
};

struct sl_cl_brokers {
    sl_list_t list;
    sl_cl_addr_t *boot;
    size_t nboot, boot_next, any_next;
    bool known;
    int32_t next_corr;
    uint64_t rng;
    sl_buf_t out;
};

static void broker_pump(broker_t *b);
static void broker_kick(broker_t *b);

/* ---- helpers -------------------------------------------------------------- */

static const char *api_name(int16_t key)
{
    const sl_api_t *api = sl_api_get(key);
    return api ? api->name : "?";
}

/* "host:port (node n)", IPv6 addresses in brackets. */
static void broker_label(const broker_t *b, char *buf, size_t len)
{
    bool v6 = strchr(b->host, ':') != NULL;
    int n = snprintf(buf, len, "%s%s%s:%u", v6 ? "[" : "", b->host, v6 ? "]" : "", (unsigned)b->port);
    if (b->node_id >= 0 && n >= 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, " (node %d)", (int)b->node_id);
}

static uint64_t rng_next(sl_cl_brokers_t *bs)
{
    bs->rng ^= bs->rng << 13;
    bs->rng ^= bs->rng >> 7;
    bs->rng ^= bs->rng << 17;
    return bs->rng;
}

/* Java's exponential reconnect backoff: base * 2^(failures-1), capped, with
 * +-20% jitter. */
static int64_t backoff_ms(sl_cl_t *cl, int failures)
{
    const sl_cl_conf_t *c = &cl->conf;
    double ms = c->reconnect_backoff_ms;
    for (int i = 1; i < failures && ms < c->reconnect_backoff_max_ms; i++)
        ms *= 2;
    if (ms > c->reconnect_backoff_max_ms)
        ms = c->reconnect_backoff_max_ms;
    double jitter = 0.8 + 0.4 * (double)(rng_next(cl->brokers) % 1000) / 1000.0;
    return (int64_t)(ms * jitter);
}

static broker_t *broker_find(sl_cl_t *cl, int32_t node_id)
{
    sl_list_t *pos, *tmp;
    sl_list_foreach_safe(pos, tmp, &cl->brokers->list)
    {
        broker_t *b = sl_container_of(pos, broker_t, link);
        if (b->node_id == node_id)
            return b;
    }
    return NULL;
}

static broker_t *broker_new(sl_cl_t *cl, int32_t node_id)
{
    broker_t *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->cl = cl;
    b->node_id = node_id;
    b->state = B_DOWN;
    b->av_version = sl_api_get(18)->max_version;
    sl_list_init(&b->queue);
    sl_list_init(&b->inflight);
    sl_list_insert_tail(&cl->brokers->list, &b->link);
    return b;
}

/* ---- completing requests --------------------------------------------------- */

static void rq_free(rq_t *r)
{
    free(r);
}

/* Unlinks r, stops its timer and runs its callback once. */
static void rq_finish(rq_t *r, sl_err_t err, const void *resp)
{
    broker_t *b = r->b;
    sl_list_remove(&r->link);
    if (r->inflight && r->req.api_key == 0 && !r->req.no_response)
        b->inflight_produce--;
    r->inflight = false;
    if (r->timer)
        sl_loop_timer_cancel(b->cl->loop, r->timer);
    r->timer = 0;
    if (r->fn)
        r->fn(b->cl, err, r->version, resp, r->arg);
    rq_free(r);
}

/* Fails every request of list with err. Callbacks may queue new requests to
 * b (they go to b->queue, never into list). */
static void fail_list(sl_list_t *list, sl_err_t err)
{
    while (!sl_list_empty(list)) {
        rq_t *r = sl_container_of(list->next, rq_t, link);
        rq_finish(r, err, NULL);
    }
}

/* Moves everything waiting on b aside and fails it: the in-flight ones and
 * the queue. Requests queued from inside those callbacks stay for the next
 * connection. */
static void fail_all(broker_t *b, sl_err_t err)
{
    sl_list_t dead;
    sl_list_init(&dead);
    while (!sl_list_empty(&b->inflight)) {
        sl_list_t *n = b->inflight.next;
        sl_list_remove(n);
        sl_list_insert_tail(&dead, n);
    }
    while (!sl_list_empty(&b->queue)) {
        sl_list_t *n = b->queue.next;
        sl_list_remove(n);
        sl_list_insert_tail(&dead, n);
    }
    b->inflight_produce = 0;
    sl_list_t *pos, *tmp;
    sl_list_foreach_safe(pos, tmp, &dead)
    {
        rq_t *r = sl_container_of(pos, rq_t, link);
        r->inflight = false;
        if (r->handshake) {
            sl_list_remove(&r->link);
            if (r->timer)
                sl_loop_timer_cancel(b->cl->loop, r->timer);
            rq_free(r);
        }
    }
    fail_list(&dead, err);
}

/* Closes b's connection now (our side); the close callback fails what is
 * waiting. why is the sentence for sl_cl_last_error. */
static void broker_close(broker_t *b, const char *why)
{
    if (!b->conn || b->state == B_CLOSING)
        return;
    snprintf(b->why, sizeof b->why, "%s", why);
    sl_cl_set_last_error(b->cl, "%s", why);
    SL_WARN(SL_CL_MODULE, "%s", why);
    b->state = B_CLOSING;
    sl_conn_close(b->conn, false);
}

/* ---- timers ------------------------------------------------------------------ */

static void rq_on_timeout(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    SL_UNUSED(loop);
    SL_UNUSED(id);
    rq_t *r = arg;
    broker_t *b = r->b;
    r->timer = 0;
    if (!r->inflight) {
        rq_finish(r, SL_ERR_TIMEOUT, NULL);
        return;
    }
    char label[300], why[400];
    broker_label(b, label, sizeof label);
    snprintf(why, sizeof why, "%s request to %s timed out after %d ms; closing the connection",
             r->handshake ? "ApiVersions" : api_name(r->req.api_key), label, (int)r->timeout_ms);
    if (r->handshake) {
        broker_close(b, why);
        return;
    }
    rq_finish(r, SL_ERR_TIMEOUT, NULL);
    broker_close(b, why);
}

static void on_pump_timer(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    SL_UNUSED(loop);
    SL_UNUSED(id);
    broker_t *b = arg;
    b->pump_timer = 0;
    broker_pump(b);
}

static void on_connect_timer(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    SL_UNUSED(loop);
    SL_UNUSED(id);
    broker_t *b = arg;
    b->connect_timer = 0;
    broker_pump(b);
}

/* Runs broker_pump from the loop soon (never inside the caller's call). */
static void broker_kick(broker_t *b)
{
    if (b->pump_timer || b->cl->closing)
        return;
    if (sl_loop_timer_add(b->cl->loop, 0, false, on_pump_timer, b, &b->pump_timer) != SL_OK)
        b->pump_timer = 0;
}

/* ---- the handshake ------------------------------------------------------------ */

static void handshake_send(broker_t *b);

static void handshake_fail(broker_t *b, const char *what)
{
    char label[300], why[400];
    broker_label(b, label, sizeof label);
    snprintf(why, sizeof why, "ApiVersions with %s failed: %s", label, what);
    broker_close(b, why);
}

/* The ApiVersions answer: a frame already matched to r. A broker that does
 * not know our version answers UNSUPPORTED_VERSION in a v0 body (KIP-511);
 * some (librdkafka's mock) answer in the version asked for instead, so the
 * v0 reading is preferred only when it decodes. */
static void handshake_done(broker_t *b, rq_t *r, const uint8_t *frame, size_t len)
{
    sl_arena_t arena, arena0;
    sl_arena_init(&arena, 0, 64 * (size_t)len + 65536);
    sl_arena_init(&arena0, 0, 64 * (size_t)len + 65536);
    int32_t corr;
    void *body = NULL, *body0 = NULL;
    sl_err_t err = sl_response_decode(frame, len, 18, r->version, &arena, &corr, &body);
    const sl_ApiVersionsResponse_t *resp = body;
    if (r->version > 0 && (err != SL_OK || resp->ErrorCode == SL_ERR_UNSUPPORTED_VERSION)) {
        sl_err_t err0 = sl_response_decode(frame, len, 18, 0, &arena0, &corr, &body0);
        if (err0 == SL_OK || err != SL_OK) {
            err = err0;
            resp = body0;
        }
    }
    int16_t tried = r->version;
    sl_list_remove(&r->link);
    if (r->timer)
        sl_loop_timer_cancel(b->cl->loop, r->timer);
    rq_free(r);
    if (err != SL_OK) {
        handshake_fail(b, sl_err_str(err));
        goto out;
    }
    if (resp->ErrorCode == SL_ERR_UNSUPPORTED_VERSION && tried > 0) {
        int16_t next = 0;
        for (int32_t i = 0; i < resp->ApiKeys.count; i++)
            if (resp->ApiKeys.items[i].ApiKey == 18)
                next = resp->ApiKeys.items[i].MaxVersion;
        if (next >= tried || next < 0)
            next = 0;
        SL_DEBUG(SL_CL_MODULE, "ApiVersions v%d unsupported by %s:%u; trying v%d", (int)tried,
                 b->host, (unsigned)b->port, (int)next);
        b->av_version = next;
        handshake_send(b);
        goto out;
    }
    if (resp->ErrorCode != 0) {
        handshake_fail(b, sl_err_name((sl_err_t)resp->ErrorCode));
        goto out;
    }
    for (size_t i = 0; i < API_SLOTS; i++)
        b->api[i] = (sl_vrange_t){1, 0};
    for (int32_t i = 0; i < resp->ApiKeys.count; i++) {
        const sl_ApiVersionsResponse_ApiVersion_t *k = &resp->ApiKeys.items[i];
        if (k->ApiKey >= 0 && k->ApiKey < API_SLOTS && k->MinVersion <= k->MaxVersion)
            b->api[k->ApiKey] = (sl_vrange_t){k->MinVersion, k->MaxVersion};
    }
    b->state = B_UP;
    b->failures = 0;
    SL_DEBUG(SL_CL_MODULE, "connected to %s:%u (node %d), ApiVersions v%d", b->host,
             (unsigned)b->port, (int)b->node_id, (int)tried);
    broker_kick(b);
out:
    sl_arena_fini(&arena);
    sl_arena_fini(&arena0);
}

static void handshake_send(broker_t *b)
{
    sl_cl_t *cl = b->cl;
    rq_t *r = calloc(1, sizeof *r);
    if (!r) {
        handshake_fail(b, "out of memory");
        return;
    }
    r->b = b;
    r->handshake = true;
    r->version = b->av_version;
    r->timeout_ms = cl->conf.request_timeout_ms;
    sl_ApiVersionsRequest_init(&r->av);
    if (r->version >= 3) {
        r->av.ClientSoftwareName = sl_kstr(CLIENT_SOFTWARE_NAME);
        r->av.ClientSoftwareVersion = sl_kstr(CLIENT_SOFTWARE_VERSION);
    }
    r->req.api_key = 18;
    r->corr = cl->brokers->next_corr++;
    if (cl->brokers->next_corr < 0)
        cl->brokers->next_corr = 0;
    sl_req_hdr_t h = {18, r->version, r->corr, sl_kstr(cl->conf.client_id), 0};
    sl_buf_t *out = &cl->brokers->out;
    sl_buf_reset(out);
    sl_err_t err = sl_request_encode(out, &h, &r->av);
    if (err == SL_OK)
        err = sl_buf_err(out);
    if (err != SL_OK) {
        free(r);
        handshake_fail(b, sl_err_str(err));
        return;
    }
    r->inflight = true;
    sl_list_insert_tail(&b->inflight, &r->link);
    sl_loop_timer_add(cl->loop, r->timeout_ms, false, rq_on_timeout, r, &r->timer);
    sl_conn_send(b->conn, out->data, out->len); /* a failure closes: on_close cleans up */
}

/* ---- connection callbacks ------------------------------------------------------ */

static void on_connect(sl_conn_t *conn, void *user, sl_err_t err)
{
    SL_UNUSED(conn);
    broker_t *b = user;
    if (err != SL_OK || b->state != B_CONNECTING)
        return; /* on_close follows */
    b->state = B_HANDSHAKE;
    handshake_send(b);
}

static void on_close(sl_conn_t *conn, void *user, sl_err_t reason)
{
    broker_t *b = user;
    sl_cl_t *cl = b->cl;
    bstate_t was = b->state;
    b->conn = NULL;
    b->state = B_DOWN;
    if (cl->closing) {
        fail_all(b, SL_ERR_CLOSED);
        return;
    }
    char label[300];
    broker_label(b, label, sizeof label);
    if (reason != SL_OK || !b->why[0]) {
        char why[400];
        int e = sl_conn_errno(conn);
        if (was == B_CONNECTING && reason == SL_ERR_IO)
            snprintf(why, sizeof why, "connect to %s: %s", label, strerror(e ? e : EIO));
        else if (was == B_CONNECTING && reason == SL_ERR_TIMEOUT)
            snprintf(why, sizeof why, "connect to %s: timed out after %d ms", label,
                     (int)cl->conf.connect_timeout_ms);
        else if (reason == SL_ERR_IO)
            snprintf(why, sizeof why, "connection to %s failed: %s", label, strerror(e ? e : EIO));
        else if (reason == SL_ERR_CLOSED)
            snprintf(why, sizeof why, "connection to %s closed by the broker", label);
        else if (reason == SL_ERR_TOO_LARGE)
            snprintf(why, sizeof why,
                     "connection to %s: the broker announced a frame above receive.message.max.bytes",
                     label);
        else
            snprintf(why, sizeof why, "connection to %s lost: %s", label, sl_err_str(reason));
        sl_cl_set_last_error(cl, "%s", why);
        SL_INFO(SL_CL_MODULE, "%s", why);
    }
    b->why[0] = '\0';
    /* A connection that never got through its handshake counts as a failed
     * connect; a working one that dropped waits the base backoff. */
    b->failures = was == B_UP ? 1 : b->failures + 1;
    b->next_connect_ms = sl_cl_now_ms(cl) + backoff_ms(cl, b->failures);
    fail_all(b, SL_ERR_NETWORK_EXCEPTION);
    if (b->node_id >= 0)
        sl_cl_metadata_refresh(cl);
    if (!sl_list_empty(&b->queue))
        broker_kick(b);
}

/* An answer: the oldest request in flight is the one it belongs to. */
static void on_frame(sl_conn_t *conn, void *user, const uint8_t *frame, size_t len)
{
    SL_UNUSED(conn);
    broker_t *b = user;
    char label[300], why[500];
    if (b->state == B_CLOSING)
        return;
    broker_label(b, label, sizeof label);
    if (sl_list_empty(&b->inflight)) {
        snprintf(why, sizeof why, "%s sent a frame no request waits for; closing", label);
        broker_close(b, why);
        return;
    }
    rq_t *r = sl_container_of(b->inflight.next, rq_t, link);
    sl_rd_t rd;
    sl_rd_init(&rd, frame, len);
    int32_t corr = sl_rd_i32(&rd);
    if (!sl_rd_ok(&rd) || corr != r->corr) {
        snprintf(why, sizeof why, "%s answered correlation id %d where %d was due; closing", label,
                 (int)corr, (int)r->corr);
        if (r->handshake)
            broker_close(b, why);
        else {
            rq_finish(r, SL_ERR_PARSE, NULL);
            broker_close(b, why);
        }
        return;
    }
    if (r->handshake) {
        handshake_done(b, r, frame, len);
        return;
    }
    sl_arena_t arena;
    sl_arena_init(&arena, 0, 64 * (size_t)len + 65536);
    void *body = NULL;
    sl_err_t err = sl_response_decode(frame, len, r->req.api_key, r->version, &arena, &corr, &body);
    if (err != SL_OK) {
        snprintf(why, sizeof why, "undecodable %s v%d answer from %s (%s); closing",
                 api_name(r->req.api_key), (int)r->version, label, sl_err_str(err));
        rq_finish(r, SL_ERR_PARSE, NULL);
        broker_close(b, why);
    } else {
        rq_finish(r, SL_OK, body);
        if (!sl_list_empty(&b->queue))
            broker_kick(b);
    }
    sl_arena_fini(&arena);
}

/* ---- sending ---------------------------------------------------------------------- */

static int16_t pick_version(const broker_t *b, int16_t key, int16_t lo, int16_t hi)
{
    const sl_api_t *api = sl_api_get(key);
    if (!api || key < 0 || key >= API_SLOTS)
        return -1;
    if (hi < 0 || hi > api->max_version)
        hi = api->max_version;
    if (lo < api->min_version)
        lo = api->min_version;
    sl_vrange_t r = b->api[key];
    if (r.lo > r.hi)
        return -1;
    hi = SL_MIN(hi, r.hi);
    lo = SL_MAX(lo, r.lo);
    return hi >= lo ? hi : -1;
}

static void broker_connect(broker_t *b)
{
    sl_cl_t *cl = b->cl;
    sl_conn_opts_t o;
    memset(&o, 0, sizeof o);
    o.max_frame = (size_t)cl->conf.receive_max_bytes;
    o.connect_timeout_ms = cl->conf.connect_timeout_ms;
    o.on_frame = on_frame;
    o.on_close = on_close;
    o.on_connect = on_connect;
    b->av_version = sl_api_get(18)->max_version;
    b->why[0] = '\0';
    sl_err_t err = sl_conn_connect(cl->loop, b->host, b->port, &o, b, &b->conn);
    if (err != SL_OK) {
        char label[300];
        broker_label(b, label, sizeof label);
        b->conn = NULL;
        sl_cl_set_last_error(cl, "connect to %s: %s", label,
                             err == SL_ERR_INVAL ? "the address does not resolve" : sl_err_str(err));
        b->failures++;
        b->next_connect_ms = sl_cl_now_ms(cl) + backoff_ms(cl, b->failures);
        fail_all(b, SL_ERR_NETWORK_EXCEPTION);
        return;
    }
    b->state = B_CONNECTING;
}

/* Writes what can go now; completions collected in done run afterwards so
 * the queue is not changed under the walk. */
static void broker_send_queued(broker_t *b)
{
    sl_cl_t *cl = b->cl;
    sl_list_t done;
    sl_list_init(&done);
    sl_list_t *pos, *tmp;
    sl_list_foreach_safe(pos, tmp, &b->queue)
    {
        rq_t *r = sl_container_of(pos, rq_t, link);
        bool produce = r->req.api_key == 0 && !r->req.no_response;
        if (produce && b->inflight_produce >= cl->conf.max_in_flight)
            continue;
        int16_t v = pick_version(b, r->req.api_key, r->req.min_version, r->req.max_version);
        sl_list_remove(&r->link);
        if (v < 0) {
            r->corr = (int32_t)SL_ERR_UNSUPPORTED; /* the result, until done runs */
            sl_list_insert_tail(&done, &r->link);
            continue;
        }
        r->version = v;
        if (r->req.prepare)
            r->req.prepare((void *)r->req.body, v, r->arg);
        r->corr = cl->brokers->next_corr++;
        if (cl->brokers->next_corr < 0)
            cl->brokers->next_corr = 0;
        sl_req_hdr_t h = {r->req.api_key, v, r->corr, sl_kstr(cl->conf.client_id), 0};
        sl_buf_t *out = &cl->brokers->out;
        sl_buf_reset(out);
        sl_err_t err = sl_request_encode(out, &h, r->req.body);
        if (err == SL_OK)
            err = sl_buf_err(out);
        if (err != SL_OK) {
            SL_WARN(SL_CL_MODULE, "cannot encode %s v%d: %s", api_name(r->req.api_key), (int)v,
                    sl_err_str(err));
            r->corr = (int32_t)err;
            sl_list_insert_tail(&done, &r->link);
            continue;
        }
        if (r->req.no_response) {
            r->corr = SL_OK;
            sl_list_insert_tail(&done, &r->link);
        } else {
            r->inflight = true;
            if (produce)
                b->inflight_produce++;
            sl_list_insert_tail(&b->inflight, &r->link);
        }
        if (sl_conn_send(b->conn, out->data, out->len) != SL_OK)
            break; /* closed: on_close fails the rest */
    }
    while (!sl_list_empty(&done)) {
        rq_t *r = sl_container_of(done.next, rq_t, link);
        rq_finish(r, (sl_err_t)r->corr, NULL);
    }
}

static void broker_pump(broker_t *b)
{
    sl_cl_t *cl = b->cl;
    if (cl->closing)
        return;
    switch (b->state) {
    case B_DOWN:
        if (sl_list_empty(&b->queue))
            return;
        if (!b->has_addr) {
            sl_cl_metadata_refresh(cl); /* requests wait for the address or their timeout */
            return;
        }
        if (sl_cl_now_ms(cl) < b->next_connect_ms) {
            if (!b->connect_timer)
                sl_loop_timer_add(cl->loop, b->next_connect_ms - sl_cl_now_ms(cl), false,
                                  on_connect_timer, b, &b->connect_timer);
            return;
        }
        broker_connect(b);
        return;
    case B_UP:
        broker_send_queued(b);
        return;
    default:
        return;
    }
}

/* ---- choosing a broker for SL_CL_NODE_ANY ------------------------------------------ */

static broker_t *boot_broker(sl_cl_t *cl, size_t i)
{
    int32_t id = BOOT_NODE_BASE - (int32_t)i;
    broker_t *b = broker_find(cl, id);
    if (!b && (b = broker_new(cl, id))) {
        snprintf(b->host, sizeof b->host, "%s", cl->brokers->boot[i].host);
        b->port = cl->brokers->boot[i].port;
        b->has_addr = true;
    }
    return b;
}

/* As Java's leastLoadedNode: a ready broker with the fewest requests in
 * flight, else one connecting, else the next one (metadata's brokers, or
 * bootstrap addresses while none are known) not waiting for its backoff,
 * else the one whose backoff ends first. */
static broker_t *pick_any(sl_cl_t *cl)
{
    sl_cl_brokers_t *bs = cl->brokers;
    broker_t *best = NULL, *connecting = NULL;
    size_t best_load = SIZE_MAX;
    sl_list_t *pos, *tmp;
    sl_list_foreach_safe(pos, tmp, &bs->list)
    {
        broker_t *b = sl_container_of(pos, broker_t, link);
        if (b->state == B_UP) {
            size_t load = 0;
            sl_list_t *p2;
            for (p2 = b->inflight.next; p2 != &b->inflight; p2 = p2->next)
                load++;
            for (p2 = b->queue.next; p2 != &b->queue; p2 = p2->next)
                load++;
            if (load < best_load) {
                best = b;
                best_load = load;
            }
        } else if ((b->state == B_CONNECTING || b->state == B_HANDSHAKE) && !connecting) {
            connecting = b;
        }
    }
    if (best)
        return best;
    if (connecting)
        return connecting;
    int64_t now = sl_cl_now_ms(cl);
    broker_t *soonest = NULL;
    if (bs->known) {
        size_t n = 0;
        sl_list_foreach_safe(pos, tmp, &bs->list)
        {
            broker_t *b = sl_container_of(pos, broker_t, link);
            if (b->node_id >= 0 && b->has_addr)
                n++;
        }
        for (size_t k = 0; k < n; k++) {
            size_t want = (bs->any_next + k) % n, i = 0;
            sl_list_foreach_safe(pos, tmp, &bs->list)
            {
                broker_t *b = sl_container_of(pos, broker_t, link);
                if (b->node_id < 0 || !b->has_addr)
                    continue;
                if (i++ != want)
                    continue;
                if (b->state == B_DOWN && b->next_connect_ms <= now) {
                    bs->any_next = want + 1;
                    return b;
                }
                if (!soonest || b->next_connect_ms < soonest->next_connect_ms)
                    soonest = b;
            }
        }
        if (soonest)
            return soonest;
    }
    for (size_t k = 0; k < bs->nboot; k++) {
        size_t i = (bs->boot_next + k) % bs->nboot;
        broker_t *b = boot_broker(cl, i);
        if (!b)
            return NULL;
        if (b->state == B_DOWN && b->next_connect_ms <= now) {
            bs->boot_next = i + 1;
            return b;
        }
        if (!soonest || b->next_connect_ms < soonest->next_connect_ms)
            soonest = b;
    }
    return soonest;
}

/* ---- the calls of client_int.h -------------------------------------------------------- */

sl_err_t sl_cl_send(sl_cl_t *cl, const sl_cl_req_t *req, sl_cl_resp_fn *fn, void *arg)
{
    if (!req || !req->body)
        return SL_ERR_INVAL;
    const sl_api_t *api = sl_api_get(req->api_key);
    if (!api || (req->node_id < 0 && req->node_id != SL_CL_NODE_ANY))
        return SL_ERR_INVAL;
    if (req->max_version >= 0 && req->max_version < req->min_version)
        return SL_ERR_INVAL;
    if (cl->closing)
        return SL_ERR_CLOSED;
    broker_t *b = req->node_id == SL_CL_NODE_ANY ? pick_any(cl) : broker_find(cl, req->node_id);
    if (!b && req->node_id >= 0)
        b = broker_new(cl, req->node_id);
    if (!b)
        return SL_ERR_NOMEM;
    rq_t *r = calloc(1, sizeof *r);
    if (!r)
        return SL_ERR_NOMEM;
    r->b = b;
    r->req = *req;
    r->fn = fn;
    r->arg = arg;
    r->version = -1;
    r->timeout_ms = req->timeout_ms > 0 ? req->timeout_ms : cl->conf.request_timeout_ms;
    if (sl_loop_timer_add(cl->loop, r->timeout_ms, false, rq_on_timeout, r, &r->timer) != SL_OK) {
        free(r);
        return SL_ERR_NOMEM;
    }
    sl_list_insert_tail(&b->queue, &r->link);
    broker_kick(b);
    return SL_OK;
}

int16_t sl_cl_api_version(sl_cl_t *cl, int32_t node_id, int16_t api_key)
{
    sl_list_t *pos, *tmp;
    sl_list_foreach_safe(pos, tmp, &cl->brokers->list)
    {
        broker_t *b = sl_container_of(pos, broker_t, link);
        if (b->state != B_UP || (node_id != SL_CL_NODE_ANY && b->node_id != node_id))
            continue;
        return pick_version(b, api_key, 0, -1);
    }
    return -1;
}

sl_err_t sl_cl_broker_learn(sl_cl_t *cl, int32_t node_id, const char *host, int32_t port)
{
    if (node_id < 0 || !host || !*host || port <= 0 || port > 65535 ||
        strlen(host) >= SL_CL_HOST_MAX)
        return SL_ERR_INVAL;
    cl->brokers->known = true;
    broker_t *b = broker_find(cl, node_id);
    if (!b && !(b = broker_new(cl, node_id)))
        return SL_ERR_NOMEM;
    if (b->has_addr && strcmp(b->host, host) == 0 && b->port == (uint16_t)port)
        return SL_OK;
    if (b->has_addr)
        SL_INFO(SL_CL_MODULE, "node %d moved from %s:%u to %s:%d", (int)node_id, b->host,
                (unsigned)b->port, host, (int)port);
    snprintf(b->host, sizeof b->host, "%s", host);
    b->port = (uint16_t)port;
    b->has_addr = true;
    if (!sl_list_empty(&b->queue))
        broker_kick(b);
    return SL_OK;
}

bool sl_cl_brokers_known(sl_cl_t *cl)
{
    return cl->brokers->known;
}

/* ---- life cycle ---------------------------------------------------------------------- */

sl_err_t sl_cl_brokers_init(sl_cl_t *cl)
{
    sl_cl_brokers_t *bs = calloc(1, sizeof *bs);
    if (!bs)
        return SL_ERR_NOMEM;
    sl_list_init(&bs->list);
    sl_buf_init(&bs->out);
    bs->rng = (uint64_t)sl_time_mono_ns() | 1;
    cl->brokers = bs;
    return sl_cl_bootstrap_parse(cl->conf.bootstrap, &bs->boot, &bs->nboot, NULL, 0);
}

void sl_cl_brokers_shutdown(sl_cl_t *cl)
{
    sl_cl_brokers_t *bs = cl->brokers;
    if (!bs)
        return;
    sl_list_t *pos, *tmp;
    sl_list_foreach_safe(pos, tmp, &bs->list)
    {
        broker_t *b = sl_container_of(pos, broker_t, link);
        if (b->pump_timer)
            sl_loop_timer_cancel(cl->loop, b->pump_timer);
        if (b->connect_timer)
            sl_loop_timer_cancel(cl->loop, b->connect_timer);
        b->pump_timer = b->connect_timer = 0;
        fail_all(b, SL_ERR_CLOSED);
        if (b->conn) {
            b->state = B_CLOSING;
            sl_conn_close(b->conn, false);
        }
    }
}

void sl_cl_brokers_fini(sl_cl_t *cl)
{
    sl_cl_brokers_t *bs = cl->brokers;
    if (!bs)
        return;
    while (!sl_list_empty(&bs->list)) {
        broker_t *b = sl_container_of(bs->list.next, broker_t, link);
        sl_list_remove(&b->link);
        /* The loop is gone: whatever is still listed can only be freed. */
        while (!sl_list_empty(&b->queue)) {
            rq_t *r = sl_container_of(b->queue.next, rq_t, link);
            sl_list_remove(&r->link);
            free(r);
        }
        while (!sl_list_empty(&b->inflight)) {
            rq_t *r = sl_container_of(b->inflight.next, rq_t, link);
            sl_list_remove(&r->link);
            free(r);
        }
        free(b);
    }
    free(bs->boot);
    sl_buf_free(&bs->out);
    free(bs);
    cl->brokers = NULL;
}
