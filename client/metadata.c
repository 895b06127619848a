/*
 * metadata.c - the metadata cache: brokers, controller, cluster id and the
 * topics some part of the handle asked about, refreshed with Metadata
 * requests to any broker. A refresh runs on demand (coalesced with the one
 * in flight), every metadata.max.age.ms, and sooner while a wanted topic is
 * unknown or has a partition without a leader (retry.backoff.ms, doubling to
 * a second). Each answer replaces the whole cache (one arena per answer),
 * then the listeners run.
 */
#include <stdlib.h>
#include <string.h>

#include "core_int.h"

#define QUICK_MAX_MS 1000

typedef struct listener {
    sl_cl_fn *fn;
    void *arg;
} listener_t;

typedef struct broker_info {
    int32_t id;
    const char *host;
    int32_t port;
    const char *rack;
} broker_info_t;

struct sl_cl_meta {
    sl_map_t wanted;             /* topic name -> NULL */
    /* the cache, all in arena */
    sl_arena_t arena;
    sl_map_t topics;             /* name -> sl_cl_topic_t * */
    broker_info_t *brokers;
    size_t nbrokers;
    int32_t controller;
    const char *cluster_id;
    bool have;
    /* the refresh */
    bool inflight, again, closing;
    int64_t last_ms;             /* when the last request was sent */
    int quick;                   /* consecutive answers that left a wanted topic incomplete */
    sl_timer_id_t timer;
    int64_t timer_at;
    bool auto_create;
    sl_arena_t req_arena;        /* the request in flight */
    sl_MetadataRequest_t req;
    listener_t *listeners;
    size_t nlisteners;
};

static void meta_send(sl_cl_t *cl);

static void on_timer(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    SL_UNUSED(loop);
    SL_UNUSED(id);
    sl_cl_t *cl = arg;
    cl->meta->timer = 0;
    meta_send(cl);
}

/* Makes a refresh run in ms (or sooner if one is already due sooner). */
static void meta_schedule(sl_cl_t *cl, int64_t ms)
{
    sl_cl_meta_t *m = cl->meta;
    if (m->closing || cl->closing)
        return;
    int64_t at = sl_cl_now_ms(cl) + ms;
    if (m->timer) {
        if (m->timer_at <= at)
            return;
        sl_loop_timer_cancel(cl->loop, m->timer);
        m->timer = 0;
    }
    if (sl_loop_timer_add(cl->loop, ms < 0 ? 0 : ms, false, on_timer, cl, &m->timer) == SL_OK)
        m->timer_at = at;
    else
        m->timer = 0;
}

void sl_cl_metadata_refresh(sl_cl_t *cl)
{
    sl_cl_meta_t *m = cl->meta;
    if (!m || m->closing || cl->closing)
        return;
    if (m->inflight) {
        m->again = true;
        return;
    }
    int64_t wait = m->last_ms ? m->last_ms + cl->conf.retry_backoff_ms - sl_cl_now_ms(cl) : 0;
    meta_schedule(cl, wait > 0 ? wait : 0);
}

static int64_t quick_delay(sl_cl_t *cl)
{
    sl_cl_meta_t *m = cl->meta;
    int64_t ms = cl->conf.retry_backoff_ms;
    for (int i = 1; i < m->quick && ms < QUICK_MAX_MS; i++)
        ms *= 2;
    return SL_MIN(ms, SL_MAX((int64_t)QUICK_MAX_MS, (int64_t)cl->conf.retry_backoff_ms));
}

static char *dup_kstr(sl_arena_t *a, sl_kstr_t s)
{
    return s.len < 0 ? NULL : sl_arena_strndup(a, s.ptr ? s.ptr : "", (size_t)s.len);
}

/* Replaces the cache with resp. Returns true when every wanted topic is
 * known with a leader for every partition. */
static bool meta_store(sl_cl_t *cl, const sl_MetadataResponse_t *resp)
{
    sl_cl_meta_t *m = cl->meta;
    sl_map_fini(&m->topics, NULL);
    sl_map_init(&m->topics);
    sl_arena_reset(&m->arena);
    m->brokers = NULL;
    m->nbrokers = 0;
    m->have = true;
    m->controller = resp->ControllerId;
    m->cluster_id = dup_kstr(&m->arena, resp->ClusterId);
    bool complete = true;
    int32_t nb = resp->Brokers.count > 0 ? resp->Brokers.count : 0;
    m->brokers = sl_arena_calloc(&m->arena, (size_t)nb + 1, sizeof *m->brokers);
    for (int32_t i = 0; m->brokers && i < nb; i++) {
        const sl_MetadataResponse_MetadataResponseBroker_t *rb = &resp->Brokers.items[i];
        broker_info_t *bi = &m->brokers[m->nbrokers];
        bi->id = rb->NodeId;
        bi->host = dup_kstr(&m->arena, rb->Host);
        bi->port = rb->Port;
        bi->rack = dup_kstr(&m->arena, rb->Rack);
        if (!bi->host)
            continue;
        m->nbrokers++;
        if (sl_cl_broker_learn(cl, bi->id, bi->host, bi->port) == SL_ERR_INVAL)
            SL_WARN(SL_CL_MODULE, "metadata names broker %d at %s:%d: ignored", (int)bi->id,
                    bi->host, (int)bi->port);
    }
    for (int32_t i = 0; i < resp->Topics.count; i++) {
        const sl_MetadataResponse_MetadataResponseTopic_t *rt = &resp->Topics.items[i];
        if (rt->Name.len <= 0)
            continue;
        sl_cl_topic_t *t = sl_arena_zalloc(&m->arena, sizeof *t);
        char *name = dup_kstr(&m->arena, rt->Name);
        if (!t || !name)
            break;
        t->name = name;
        t->err = (sl_err_t)rt->ErrorCode;
        t->internal = rt->IsInternal;
        int32_t n = rt->Partitions.count > 0 ? rt->Partitions.count : 0;
        t->parts = sl_arena_calloc(&m->arena, (size_t)n + 1, sizeof *t->parts);
        if (!t->parts)
            break;
        t->partition_count = n;
        for (int32_t p = 0; p < n; p++) {
            t->parts[p].id = p;
            t->parts[p].leader = -1;
            t->parts[p].leader_epoch = -1;
            t->parts[p].err = SL_ERR_LEADER_NOT_AVAILABLE;
        }
        for (int32_t p = 0; p < n; p++) {
            const sl_MetadataResponse_MetadataResponsePartition_t *rp = &rt->Partitions.items[p];
            if (rp->PartitionIndex < 0 || rp->PartitionIndex >= n)
                continue;
            sl_cl_part_t *cp = &t->parts[rp->PartitionIndex];
            cp->leader = rp->LeaderId;
            cp->leader_epoch = rp->LeaderEpoch;
            cp->err = (sl_err_t)rp->ErrorCode;
        }
        if (sl_map_has(&m->wanted, name, strlen(name))) {
            if (t->err != SL_OK || n == 0)
                complete = false;
            for (int32_t p = 0; p < n; p++)
                if (t->parts[p].leader < 0)
                    complete = false;
        }
        sl_map_put(&m->topics, name, strlen(name), t, NULL);
    }
    /* A wanted topic the answer left out is unknown too. */
    size_t it = 0;
    const void *k;
    size_t kl;
    void *v;
    while (sl_map_next(&m->wanted, &it, &k, &kl, &v))
        if (!sl_map_has(&m->topics, k, kl))
            complete = false;
    return complete;
}

static void meta_on_resp(sl_cl_t *cl, sl_err_t err, int16_t version, const void *resp, void *arg)
{
    SL_UNUSED(version);
    SL_UNUSED(arg);
    sl_cl_meta_t *m = cl->meta;
    m->inflight = false;
    sl_arena_reset(&m->req_arena);
    if (m->closing || cl->closing || err == SL_ERR_CLOSED)
        return;
    if (err != SL_OK) {
        SL_DEBUG(SL_CL_MODULE, "metadata request failed: %s", sl_err_name(err));
        m->quick++;
        meta_schedule(cl, quick_delay(cl));
        return;
    }
    bool complete = meta_store(cl, resp);
    m->quick = complete ? 0 : m->quick + 1;
    /* Listeners may ask for topics (and so for a refresh); copy the list
     * first, since one may also add a listener. */
    size_t n = m->nlisteners;
    listener_t *ls = n ? malloc(n * sizeof *ls) : NULL;
    if (ls) {
        memcpy(ls, m->listeners, n * sizeof *ls);
        for (size_t i = 0; i < n; i++)
            ls[i].fn(cl, ls[i].arg);
        free(ls);
    }
    if (m->again) {
        m->again = false;
        sl_cl_metadata_refresh(cl);
    }
    meta_schedule(cl, complete ? cl->conf.metadata_max_age_ms : quick_delay(cl));
}

/* Below v4 the request cannot say "do not create" (the broker's own
 * setting decides), so the field keeps its default there. */
static void meta_prepare(void *body, int16_t version, void *arg)
{
    sl_cl_t *cl = arg;
    sl_MetadataRequest_t *r = body;
    r->AllowAutoTopicCreation =
        version < 4 || __atomic_load_n(&cl->meta->auto_create, __ATOMIC_RELAXED);
}

static void meta_send(sl_cl_t *cl)
{
    sl_cl_meta_t *m = cl->meta;
    if (m->inflight || m->closing || cl->closing)
        return;
    sl_arena_reset(&m->req_arena);
    sl_MetadataRequest_init(&m->req);
    size_t n = sl_map_count(&m->wanted);
    sl_MetadataRequest_MetadataRequestTopic_t *items =
        sl_arena_calloc(&m->req_arena, n + 1, sizeof *items);
    if (!items) {
        meta_schedule(cl, cl->conf.retry_backoff_ms);
        return;
    }
    size_t it = 0, i = 0;
    const void *k;
    size_t kl;
    void *v;
    while (i < n && sl_map_next(&m->wanted, &it, &k, &kl, &v)) {
        sl_MetadataRequest_MetadataRequestTopic_init(&items[i]);
        char *name = sl_arena_strndup(&m->req_arena, k, kl);
        if (!name)
            break;
        items[i++].Name = sl_kstr_n(name, (int32_t)kl);
    }
    m->req.Topics.count = (int32_t)i;
    m->req.Topics.items = items;
    /* v0 reads an empty list as "every topic"; v1 is the floor. */
    sl_cl_req_t req = {.api_key = 3, .min_version = 1, .max_version = -1, .body = &m->req,
                       .node_id = SL_CL_NODE_ANY, .prepare = meta_prepare};
    m->last_ms = sl_cl_now_ms(cl);
    if (m->timer) {
        sl_loop_timer_cancel(cl->loop, m->timer);
        m->timer = 0;
    }
    if (sl_cl_send(cl, &req, meta_on_resp, cl) != SL_OK) {
        meta_schedule(cl, cl->conf.retry_backoff_ms);
        return;
    }
    m->inflight = true;
}

const sl_cl_topic_t *sl_cl_topic(sl_cl_t *cl, const char *name)
{
    sl_cl_meta_t *m = cl->meta;
    size_t len = strlen(name);
    if (len == 0)
        return NULL;
    if (!sl_map_has(&m->wanted, name, len)) {
        if (sl_map_put(&m->wanted, name, len, NULL, NULL) == SL_OK) {
            m->quick = 0;
            sl_cl_metadata_refresh(cl);
        }
    }
    return sl_map_get(&m->topics, name, len);
}

void sl_cl_topic_forget(sl_cl_t *cl, const char *name)
{
    sl_map_del(&cl->meta->wanted, name, strlen(name), NULL);
}

sl_err_t sl_cl_metadata_listen(sl_cl_t *cl, sl_cl_fn *fn, void *arg)
{
    sl_cl_meta_t *m = cl->meta;
    listener_t *ls = realloc(m->listeners, (m->nlisteners + 1) * sizeof *ls);
    if (!ls)
        return SL_ERR_NOMEM;
    m->listeners = ls;
    ls[m->nlisteners++] = (listener_t){fn, arg};
    return SL_OK;
}

const char *sl_cl_broker_host(sl_cl_t *cl, int32_t node_id, int32_t *port)
{
    sl_cl_meta_t *m = cl->meta;
    for (size_t i = 0; i < m->nbrokers; i++)
        if (m->brokers[i].id == node_id) {
            if (port)
                *port = m->brokers[i].port;
            return m->brokers[i].host;
        }
    return NULL;
}

void sl_cl_metadata_set_auto_create(sl_cl_t *cl, bool on)
{
    __atomic_store_n(&cl->meta->auto_create, on, __ATOMIC_RELAXED);
}

int32_t sl_cl_controller(sl_cl_t *cl)
{
    return cl->meta->have ? cl->meta->controller : -1;
}

const char *sl_cl_cluster_id(sl_cl_t *cl)
{
    return cl->meta->cluster_id;
}

sl_err_t sl_cl_meta_init(sl_cl_t *cl)
{
    sl_cl_meta_t *m = calloc(1, sizeof *m);
    if (!m)
        return SL_ERR_NOMEM;
    sl_map_init(&m->wanted);
    sl_map_init(&m->topics);
    sl_arena_init(&m->arena, 0, 0);
    sl_arena_init(&m->req_arena, 0, 0);
    m->controller = -1;
    cl->meta = m;
    return SL_OK;
}

void sl_cl_meta_shutdown(sl_cl_t *cl)
{
    sl_cl_meta_t *m = cl->meta;
    if (!m)
        return;
    m->closing = true;
    if (m->timer)
        sl_loop_timer_cancel(cl->loop, m->timer);
    m->timer = 0;
}

void sl_cl_meta_fini(sl_cl_t *cl)
{
    sl_cl_meta_t *m = cl->meta;
    if (!m)
        return;
    sl_map_fini(&m->wanted, NULL);
    sl_map_fini(&m->topics, NULL);
    sl_arena_fini(&m->arena);
    sl_arena_fini(&m->req_arena);
    free(m->listeners);
    free(m);
    cl->meta = NULL;
}
