/*
 * fake_broker.c - the scripted Kafka broker of fake_broker.h: a thread with
 * one loop, one listener per node, built-in ApiVersions and Metadata
 * answers from a cluster description under a mutex, and a test handler for
 * everything else.
 */
#include "fake_broker.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net.h"

#define FB_MAX_NODES 8
#define FB_MAX_TOPICS 64
#define FB_MAX_PARTS 64
#define FB_API_SLOTS 128

typedef struct fb_topic {
    char name[128];
    int nparts;
    int32_t leader[FB_MAX_PARTS];
    int32_t epoch[FB_MAX_PARTS];
    int16_t err;
} fb_topic_t;

typedef struct fb_conn {
    sl_list_t link;
    sl_fb_t *fb;
    int node;
    sl_conn_t *conn;
    sl_buf_t delayed;          /* an answer waiting for its timer */
    sl_timer_id_t timer;
} fb_conn_t;

struct sl_fb {
    int nodes;
    sl_loop_t *loop;
    pthread_t thread;
    sl_listener_t *lst[FB_MAX_NODES];
    uint16_t port[FB_MAX_NODES];
    char bootstrap[FB_MAX_NODES * 24];
    sl_list_t conns;

    pthread_mutex_t mu;        /* everything below */
    pthread_cond_t cond;
    sl_fb_handler_fn *handler;
    void *handler_arg;
    sl_vrange_t api[FB_API_SLOTS];
    int16_t av_max;
    bool auto_create;
    fb_topic_t topics[FB_MAX_TOPICS];
    int ntopics;
    int counts[FB_API_SLOTS];
    int total, connections;
    int cmd_done;
};

/* ---- cluster description ---------------------------------------------------- */

static fb_topic_t *topic_find(sl_fb_t *fb, const char *name, size_t len)
{
    for (int i = 0; i < fb->ntopics; i++)
        if (strlen(fb->topics[i].name) == len && memcmp(fb->topics[i].name, name, len) == 0)
            return &fb->topics[i];
    return NULL;
}

static fb_topic_t *topic_put(sl_fb_t *fb, const char *name, size_t len, int partitions)
{
    fb_topic_t *t = topic_find(fb, name, len);
    if (!t) {
        if (fb->ntopics == FB_MAX_TOPICS || len >= sizeof t->name)
            return NULL;
        t = &fb->topics[fb->ntopics++];
        memset(t, 0, sizeof *t);
        memcpy(t->name, name, len);
        t->name[len] = '\0';
    }
    t->nparts = SL_MIN(partitions, FB_MAX_PARTS);
    for (int p = 0; p < t->nparts; p++) {
        t->leader[p] = p % fb->nodes;
        t->epoch[p] = 0;
    }
    return t;
}

void sl_fb_topic_set(sl_fb_t *fb, const char *topic, int partitions)
{
    pthread_mutex_lock(&fb->mu);
    topic_put(fb, topic, strlen(topic), partitions);
    pthread_mutex_unlock(&fb->mu);
}

void sl_fb_topic_leader(sl_fb_t *fb, const char *topic, int partition, int32_t leader, int32_t epoch)
{
    pthread_mutex_lock(&fb->mu);
    fb_topic_t *t = topic_find(fb, topic, strlen(topic));
    if (t && partition >= 0 && partition < t->nparts) {
        t->leader[partition] = leader;
        t->epoch[partition] = epoch;
    }
    pthread_mutex_unlock(&fb->mu);
}

void sl_fb_topic_error(sl_fb_t *fb, const char *topic, int16_t err)
{
    pthread_mutex_lock(&fb->mu);
    fb_topic_t *t = topic_find(fb, topic, strlen(topic));
    if (t)
        t->err = err;
    pthread_mutex_unlock(&fb->mu);
}

void sl_fb_set_auto_create(sl_fb_t *fb, bool on)
{
    pthread_mutex_lock(&fb->mu);
    fb->auto_create = on;
    pthread_mutex_unlock(&fb->mu);
}

void sl_fb_set_handler(sl_fb_t *fb, sl_fb_handler_fn *fn, void *arg)
{
    pthread_mutex_lock(&fb->mu);
    fb->handler = fn;
    fb->handler_arg = arg;
    pthread_mutex_unlock(&fb->mu);
}

void sl_fb_set_api(sl_fb_t *fb, int16_t api_key, int16_t min, int16_t max)
{
    if (api_key < 0 || api_key >= FB_API_SLOTS)
        return;
    pthread_mutex_lock(&fb->mu);
    fb->api[api_key] = (sl_vrange_t){min, max};
    pthread_mutex_unlock(&fb->mu);
}

void sl_fb_set_apiversions_max(sl_fb_t *fb, int16_t max)
{
    pthread_mutex_lock(&fb->mu);
    fb->av_max = max;
    fb->api[18].hi = max; /* what it advertises for ApiVersions itself (KIP-511) */
    pthread_mutex_unlock(&fb->mu);
}

int sl_fb_count(sl_fb_t *fb, int16_t api_key)
{
    pthread_mutex_lock(&fb->mu);
    int n = api_key < 0 ? fb->total : api_key < FB_API_SLOTS ? fb->counts[api_key] : 0;
    pthread_mutex_unlock(&fb->mu);
    return n;
}

int sl_fb_connections(sl_fb_t *fb)
{
    pthread_mutex_lock(&fb->mu);
    int n = fb->connections;
    pthread_mutex_unlock(&fb->mu);
    return n;
}

uint16_t sl_fb_port(sl_fb_t *fb, int node)
{
    return node >= 0 && node < fb->nodes ? fb->port[node] : 0;
}

const char *sl_fb_bootstrap(sl_fb_t *fb)
{
    return fb->bootstrap;
}

/* ---- built-in answers (under mu) --------------------------------------------- */

static const void *answer_api_versions(sl_fb_t *fb, const sl_fb_req_t *req, int16_t *version)
{
    sl_ApiVersionsResponse_t *r = sl_arena_zalloc(req->arena, sizeof *r);
    sl_ApiVersionsResponse_ApiVersion_t *items =
        sl_arena_calloc(req->arena, FB_API_SLOTS, sizeof *items);
    if (!r || !items)
        return NULL;
    sl_ApiVersionsResponse_init(r);
    int n = 0;
    for (int k = 0; k < FB_API_SLOTS; k++) {
        if (fb->api[k].lo > fb->api[k].hi)
            continue;
        items[n].ApiKey = (int16_t)k;
        items[n].MinVersion = fb->api[k].lo;
        items[n].MaxVersion = fb->api[k].hi;
        n++;
    }
    r->ApiKeys.count = n;
    r->ApiKeys.items = items;
    if (req->api_version > fb->av_max) {
        r->ErrorCode = SL_ERR_UNSUPPORTED_VERSION;
        *version = 0;
    }
    return r;
}

static void fill_partitions(sl_arena_t *a, sl_MetadataResponse_MetadataResponseTopic_t *rt,
                            const fb_topic_t *t)
{
    rt->ErrorCode = t->err;
    if (t->err)
        return;
    rt->Partitions.count = t->nparts;
    rt->Partitions.items = sl_arena_calloc(a, (size_t)t->nparts + 1, sizeof *rt->Partitions.items);
    for (int p = 0; rt->Partitions.items && p < t->nparts; p++) {
        sl_MetadataResponse_MetadataResponsePartition_t *rp = &rt->Partitions.items[p];
        sl_MetadataResponse_MetadataResponsePartition_init(rp);
        rp->PartitionIndex = p;
        rp->LeaderId = t->leader[p];
        rp->LeaderEpoch = t->epoch[p];
        rp->ErrorCode = t->leader[p] < 0 ? SL_ERR_LEADER_NOT_AVAILABLE : 0;
        int32_t *reps = sl_arena_calloc(a, 1, sizeof *reps);
        if (reps && t->leader[p] >= 0) {
            reps[0] = t->leader[p];
            rp->ReplicaNodes.count = rp->IsrNodes.count = 1;
            rp->ReplicaNodes.items = rp->IsrNodes.items = reps;
        }
    }
}

static const void *answer_metadata(sl_fb_t *fb, const sl_fb_req_t *req)
{
    const sl_MetadataRequest_t *q = req->body;
    sl_arena_t *a = req->arena;
    sl_MetadataResponse_t *r = sl_arena_zalloc(a, sizeof *r);
    if (!r)
        return NULL;
    sl_MetadataResponse_init(r);
    r->Brokers.items = sl_arena_calloc(a, (size_t)fb->nodes, sizeof *r->Brokers.items);
    if (!r->Brokers.items)
        return NULL;
    r->Brokers.count = fb->nodes;
    for (int i = 0; i < fb->nodes; i++) {
        sl_MetadataResponse_MetadataResponseBroker_init(&r->Brokers.items[i]);
        r->Brokers.items[i].NodeId = i;
        r->Brokers.items[i].Host = sl_kstr("127.0.0.1");
        r->Brokers.items[i].Port = fb->port[i];
    }
    r->ControllerId = 0;
    r->ClusterId = sl_kstr("fake-cluster");
    bool all = q->Topics.count < 0 || (req->api_version == 0 && q->Topics.count == 0);
    int32_t n = all ? fb->ntopics : q->Topics.count;
    r->Topics.items = sl_arena_calloc(a, (size_t)n + 1, sizeof *r->Topics.items);
    if (!r->Topics.items)
        return NULL;
    r->Topics.count = n;
    for (int32_t i = 0; i < n; i++) {
        sl_MetadataResponse_MetadataResponseTopic_t *rt = &r->Topics.items[i];
        sl_MetadataResponse_MetadataResponseTopic_init(rt);
        if (all) {
            rt->Name = sl_kstr(sl_arena_strndup(a, fb->topics[i].name, strlen(fb->topics[i].name)));
            fill_partitions(a, rt, &fb->topics[i]);
            continue;
        }
        sl_kstr_t name = q->Topics.items[i].Name;
        rt->Name = name;
        if (name.len <= 0) {
            rt->ErrorCode = SL_ERR_INVALID_TOPIC_EXCEPTION;
            continue;
        }
        const fb_topic_t *t = topic_find(fb, name.ptr, (size_t)name.len);
        bool allow = req->api_version < 4 || q->AllowAutoTopicCreation;
        if (!t && fb->auto_create && allow) {
            fb_topic_t *nt = topic_put(fb, name.ptr, (size_t)name.len, 1);
            if (nt)
                nt->leader[0] = 0;
            t = nt;
        }
        if (!t)
            rt->ErrorCode = SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        else
            fill_partitions(a, rt, t);
    }
    return r;
}

/* ---- connections ---------------------------------------------------------------- */

static void conn_on_delay(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    SL_UNUSED(loop);
    SL_UNUSED(id);
    fb_conn_t *c = arg;
    c->timer = 0;
    if (c->conn) {
        sl_conn_send(c->conn, c->delayed.data, c->delayed.len);
        sl_buf_reset(&c->delayed);
        sl_conn_resume_read(c->conn);
    }
}

static void conn_on_frame(sl_conn_t *conn, void *user, const uint8_t *frame, size_t len)
{
    fb_conn_t *c = user;
    sl_fb_t *fb = c->fb;
    sl_arena_t arena;
    sl_arena_init(&arena, 0, 64u << 20);
    sl_request_t rq;
    sl_err_t err = sl_request_decode(frame, len, &arena, &rq);
    if (err != SL_OK) {
        SL_WARN("fakebroker", "node %d: undecodable request (%s); closing", c->node, sl_err_name(err));
        sl_conn_close(conn, false);
        sl_arena_fini(&arena);
        return;
    }
    sl_fb_req_t req = {c->node, rq.hdr.api_key, rq.hdr.api_version, rq.hdr.correlation_id, rq.body,
                       &arena};
    pthread_mutex_lock(&fb->mu);
    if (req.api_key >= 0 && req.api_key < FB_API_SLOTS)
        fb->counts[req.api_key]++;
    fb->total++;
    sl_fb_handler_fn *h = fb->handler;
    void *harg = fb->handler_arg;
    pthread_mutex_unlock(&fb->mu);

    sl_fb_reply_t rep = {SL_FB_DEFAULT, NULL, 0};
    if (h)
        rep = h(fb, &req, harg);
    int16_t version = req.api_version;
    const void *body = rep.body;
    if (rep.action == SL_FB_DEFAULT) {
        pthread_mutex_lock(&fb->mu);
        if (req.api_key == 18)
            body = answer_api_versions(fb, &req, &version);
        else if (req.api_key == 3)
            body = answer_metadata(fb, &req);
        pthread_mutex_unlock(&fb->mu);
        if (!body) {
            SL_INFO("fakebroker", "node %d: no answer scripted for api %d; closing", c->node,
                    (int)req.api_key);
            sl_conn_close(conn, false);
            sl_arena_fini(&arena);
            return;
        }
        rep.action = SL_FB_REPLY;
    }
    sl_buf_t out = SL_BUF_INIT;
    switch (rep.action) {
    case SL_FB_REPLY:
        err = sl_response_encode(&out, req.api_key, version, req.correlation_id, body);
        if (err != SL_OK) {
            SL_WARN("fakebroker", "cannot encode the answer to api %d v%d: %s", (int)req.api_key,
                    (int)version, sl_err_name(err));
            sl_conn_close(conn, false);
            break;
        }
        if (rep.delay_ms > 0) {
            sl_buf_put(&c->delayed, out.data, out.len);
            sl_conn_pause_read(conn);
            sl_loop_timer_add(fb->loop, rep.delay_ms, false, conn_on_delay, c, &c->timer);
        } else {
            sl_conn_send(conn, out.data, out.len);
        }
        break;
    case SL_FB_GARBAGE: {
        /* The right correlation id, then a body cut short. */
        uint8_t g[] = {0, 0, 0, 6, 0, 0, 0, 0, 0xff, 0xff};
        g[4] = (uint8_t)(req.correlation_id >> 24);
        g[5] = (uint8_t)(req.correlation_id >> 16);
        g[6] = (uint8_t)(req.correlation_id >> 8);
        g[7] = (uint8_t)req.correlation_id;
        sl_conn_send(conn, g, sizeof g);
        break;
    }
    case SL_FB_RAW: {
        const sl_fb_raw_t *raw = rep.body;
        size_t n = raw ? raw->len : 0;
        sl_buf_put_i32(&out, (int32_t)(4 + n));
        sl_buf_put_i32(&out, req.correlation_id);
        if (n)
            sl_buf_put(&out, raw->bytes, n);
        if (sl_buf_err(&out) == SL_OK)
            sl_conn_send(conn, out.data, out.len);
        break;
    }
    case SL_FB_DROP:
        sl_conn_close(conn, false);
        break;
    default:
        break;
    }
    sl_buf_free(&out);
    sl_arena_fini(&arena);
}

static void conn_on_close(sl_conn_t *conn, void *user, sl_err_t reason)
{
    SL_UNUSED(conn);
    SL_UNUSED(reason);
    fb_conn_t *c = user;
    if (c->timer)
        sl_loop_timer_cancel(c->fb->loop, c->timer);
    sl_list_remove(&c->link);
    sl_buf_free(&c->delayed);
    free(c);
}

static void on_accept(sl_listener_t *lst, sl_conn_t *conn, void *arg)
{
    SL_UNUSED(lst);
    sl_fb_t *fb = arg;
    int node = -1;
    for (int i = 0; i < fb->nodes; i++)
        if (fb->lst[i] == lst)
            node = i;
    fb_conn_t *c = calloc(1, sizeof *c);
    if (!c) {
        sl_conn_close(conn, false);
        return;
    }
    c->fb = fb;
    c->node = node;
    c->conn = conn;
    sl_buf_init(&c->delayed);
    sl_list_insert_tail(&fb->conns, &c->link);
    sl_conn_set_user(conn, c);
    pthread_mutex_lock(&fb->mu);
    fb->connections++;
    pthread_mutex_unlock(&fb->mu);
}

static sl_err_t node_listen(sl_fb_t *fb, int node)
{
    sl_listener_opts_t o;
    memset(&o, 0, sizeof o);
    o.conn.on_frame = conn_on_frame;
    o.conn.on_close = conn_on_close;
    o.on_accept = on_accept;
    o.arg = fb;
    sl_err_t err = sl_listener_open(fb->loop, "127.0.0.1", fb->port[node], &o, &fb->lst[node]);
    if (err == SL_OK)
        fb->port[node] = sl_listener_port(fb->lst[node]);
    return err;
}

/* ---- commands run on the fake broker's thread -------------------------------------- */

typedef struct fb_cmd {
    sl_fb_t *fb;
    int node;
    bool up;
    sl_err_t result;
} fb_cmd_t;

static void cmd_run(sl_loop_t *loop, void *arg)
{
    SL_UNUSED(loop);
    fb_cmd_t *cmd = arg;
    sl_fb_t *fb = cmd->fb;
    if (cmd->up) {
        cmd->result = fb->lst[cmd->node] ? SL_OK : node_listen(fb, cmd->node);
    } else {
        sl_listener_close(fb->lst[cmd->node]);
        fb->lst[cmd->node] = NULL;
        sl_list_t *pos, *tmp;
        sl_list_foreach_safe(pos, tmp, &fb->conns)
        {
            fb_conn_t *c = sl_container_of(pos, fb_conn_t, link);
            if (c->node == cmd->node)
                sl_conn_close(c->conn, false);
        }
        cmd->result = SL_OK;
    }
    pthread_mutex_lock(&fb->mu);
    fb->cmd_done++;
    pthread_cond_broadcast(&fb->cond);
    pthread_mutex_unlock(&fb->mu);
}

static sl_err_t cmd_call(sl_fb_t *fb, int node, bool up)
{
    fb_cmd_t cmd = {fb, node, up, SL_ERR_TIMEOUT};
    pthread_mutex_lock(&fb->mu);
    int before = fb->cmd_done;
    pthread_mutex_unlock(&fb->mu);
    if (sl_loop_post(fb->loop, cmd_run, &cmd) != SL_OK)
        return SL_ERR_NOMEM;
    /* The loop thread never blocks, so this is quick; a fake broker stuck
     * for 10 s is a broken test: stop it loudly rather than hang. */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    pthread_mutex_lock(&fb->mu);
    while (fb->cmd_done == before) {
        if (pthread_cond_timedwait(&fb->cond, &fb->mu, &until) == ETIMEDOUT) {
            fprintf(stderr, "fake broker: node %d %s not done within 10 s\n", node, up ? "up" : "down");
            abort();
        }
    }
    pthread_mutex_unlock(&fb->mu);
    return cmd.result;
}

void sl_fb_node_down(sl_fb_t *fb, int node)
{
    if (node >= 0 && node < fb->nodes)
        cmd_call(fb, node, false);
}

bool sl_fb_node_up(sl_fb_t *fb, int node)
{
    return node >= 0 && node < fb->nodes && cmd_call(fb, node, true) == SL_OK;
}

/* ---- life cycle ---------------------------------------------------------------------- */

static void *fb_main(void *arg)
{
    sl_fb_t *fb = arg;
    sl_loop_run(fb->loop);
    return NULL;
}

sl_fb_t *sl_fb_new(int nodes)
{
    if (nodes < 1 || nodes > FB_MAX_NODES)
        return NULL;
    sl_fb_t *fb = calloc(1, sizeof *fb);
    if (!fb)
        return NULL;
    fb->nodes = nodes;
    sl_list_init(&fb->conns);
    pthread_mutex_init(&fb->mu, NULL);
    pthread_cond_init(&fb->cond, NULL);
    for (int k = 0; k < FB_API_SLOTS; k++) {
        const sl_api_t *api = sl_api_get((int16_t)k);
        fb->api[k] = api ? (sl_vrange_t){api->min_version, api->max_version} : (sl_vrange_t){1, 0};
    }
    fb->av_max = sl_api_get(18)->max_version;
    if (sl_loop_new(&fb->loop) != SL_OK) {
        free(fb);
        return NULL;
    }
    size_t off = 0;
    for (int i = 0; i < nodes; i++) {
        if (node_listen(fb, i) != SL_OK) {
            for (int j = 0; j < i; j++)
                sl_listener_close(fb->lst[j]);
            sl_loop_free(fb->loop);
            free(fb);
            return NULL;
        }
        off += (size_t)snprintf(fb->bootstrap + off, sizeof fb->bootstrap - off, "%s127.0.0.1:%u",
                                i ? "," : "", (unsigned)fb->port[i]);
    }
    if (pthread_create(&fb->thread, NULL, fb_main, fb) != 0) {
        for (int j = 0; j < nodes; j++)
            sl_listener_close(fb->lst[j]);
        sl_loop_free(fb->loop);
        free(fb);
        return NULL;
    }
    return fb;
}

void sl_fb_free(sl_fb_t *fb)
{
    if (!fb)
        return;
    sl_loop_stop(fb->loop);
    pthread_join(fb->thread, NULL);
    for (int i = 0; i < fb->nodes; i++)
        sl_listener_close(fb->lst[i]);
    sl_loop_free(fb->loop);
    pthread_cond_destroy(&fb->cond);
    pthread_mutex_destroy(&fb->mu);
    free(fb);
}
