/*
 * coord.c - coordinator lookup: FindCoordinator for a group or a
 * transactional id, cached per (key type, key), one lookup in flight per
 * key however many callers wait, retried with retry.backoff.ms on retriable
 * errors until each caller's deadline. Keys of one type that need a lookup
 * in the same loop iteration go in one v4 request (CoordinatorKeys); a
 * broker below v4 gets one request per key (Key), as the Java client falls
 * back to unbatched lookups.
 */
#include <stdlib.h>
#include <string.h>

#include "core_int.h"

typedef struct centry centry_t;

typedef struct waiter {
    sl_list_t link;
    centry_t *e;
    sl_cl_coord_fn *fn;
    void *arg;
    int64_t deadline_ms;
    sl_timer_id_t timer;
} waiter_t;

struct centry {
    sl_list_t link;
    sl_cl_t *cl;
    int8_t type;
    char *key;
    int32_t node;                /* -1: unknown */
    sl_list_t waiters;
    bool queued;                 /* waits for the next batch */
    bool inflight;
    sl_timer_id_t retry_timer, deliver_timer;
};

/* One FindCoordinator request and the entries it asks for. */
typedef struct batch {
    sl_cl_t *cl;
    int8_t type;
    size_t n;
    centry_t **entries;
    sl_kstr_t *keys;
    sl_FindCoordinatorRequest_t req;
} batch_t;

struct sl_cl_coords {
    sl_list_t entries;
    sl_timer_id_t flush_timer;
};

static void lookup_request(centry_t *e);

static centry_t *entry_find(sl_cl_t *cl, int8_t type, const char *key)
{
    sl_list_t *pos, *tmp;
    sl_list_foreach_safe(pos, tmp, &cl->coords->entries)
    {
        centry_t *e = sl_container_of(pos, centry_t, link);
        if (e->type == type && strcmp(e->key, key) == 0)
            return e;
    }
    return NULL;
}

static void waiter_done(waiter_t *w, sl_err_t err, int32_t node)
{
    sl_cl_t *cl = w->e->cl;
    sl_list_remove(&w->link);
    if (w->timer)
        sl_loop_timer_cancel(cl->loop, w->timer);
    sl_cl_coord_fn *fn = w->fn;
    void *arg = w->arg;
    free(w);
    fn(cl, err, node, arg);
}

/* Answers everyone waiting on e now (callbacks may add new waiters: they
 * wait for the next answer). */
static void entry_complete(centry_t *e, sl_err_t err, int32_t node)
{
    sl_list_t now;
    sl_list_init(&now);
    while (!sl_list_empty(&e->waiters)) {
        sl_list_t *n = e->waiters.next;
        sl_list_remove(n);
        sl_list_insert_tail(&now, n);
    }
    while (!sl_list_empty(&now)) {
        waiter_t *w = sl_container_of(now.next, waiter_t, link);
        waiter_done(w, err, node);
    }
}

static void on_deliver(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    SL_UNUSED(loop);
    SL_UNUSED(id);
    centry_t *e = arg;
    e->deliver_timer = 0;
    if (e->node >= 0)
        entry_complete(e, SL_OK, e->node);
    else if (!e->retry_timer)
        lookup_request(e);
}

static void on_retry(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    SL_UNUSED(loop);
    SL_UNUSED(id);
    centry_t *e = arg;
    e->retry_timer = 0;
    lookup_request(e);
}

static void on_deadline(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    SL_UNUSED(loop);
    SL_UNUSED(id);
    waiter_t *w = arg;
    w->timer = 0;
    waiter_done(w, SL_ERR_TIMEOUT, -1);
}

static void retry_later(centry_t *e)
{
    sl_cl_t *cl = e->cl;
    if (e->retry_timer || sl_list_empty(&e->waiters) || cl->closing)
        return;
    if (sl_loop_timer_add(cl->loop, cl->conf.retry_backoff_ms, false, on_retry, e, &e->retry_timer) !=
        SL_OK)
        entry_complete(e, SL_ERR_NOMEM, -1);
}

/* One key's answer: the code, and where the coordinator is. */
static void entry_result(centry_t *e, int16_t code, int32_t node, sl_kstr_t host, int32_t port)
{
    if (code != 0) {
        if (sl_cl_err_retriable((sl_err_t)code)) {
            SL_DEBUG(SL_CL_MODULE, "FindCoordinator %s: %s; retrying", e->key,
                     sl_err_name((sl_err_t)code));
            retry_later(e);
        } else {
            entry_complete(e, (sl_err_t)code, -1);
        }
        return;
    }
    char hbuf[SL_CL_HOST_MAX];
    if (node < 0 || host.len <= 0 || (size_t)host.len >= sizeof hbuf) {
        SL_WARN(SL_CL_MODULE, "FindCoordinator %s: unusable answer (node %d)", e->key, (int)node);
        retry_later(e);
        return;
    }
    memcpy(hbuf, host.ptr, (size_t)host.len);
    hbuf[host.len] = '\0';
    sl_err_t lerr = sl_cl_broker_learn(e->cl, node, hbuf, port);
    if (lerr == SL_ERR_NOMEM) {
        entry_complete(e, lerr, -1);
        return;
    }
    if (lerr != SL_OK) {
        SL_WARN(SL_CL_MODULE, "FindCoordinator %s: bad address %s:%d", e->key, hbuf, (int)port);
        retry_later(e);
        return;
    }
    e->node = node;
    entry_complete(e, SL_OK, node);
}

/* ---- batches -------------------------------------------------------------- */

static void batch_free(batch_t *b)
{
    if (!b)
        return;
    free(b->entries);
    free(b->keys);
    free(b);
}

/* The body as the chosen version wants it: every key from v4, else the
 * first one (the others are asked again afterwards). */
static void batch_prepare(void *body, int16_t version, void *arg)
{
    batch_t *b = arg;
    sl_FindCoordinatorRequest_t *r = body;
    sl_FindCoordinatorRequest_init(r);
    r->KeyType = b->type;
    if (version >= 4) {
        r->CoordinatorKeys.count = (int32_t)b->n;
        r->CoordinatorKeys.items = b->keys;
    } else {
        r->Key = b->keys[0];
    }
}

static void batch_on_resp(sl_cl_t *cl, sl_err_t err, int16_t version, const void *resp, void *arg)
{
    batch_t *b = arg;
    for (size_t i = 0; i < b->n; i++)
        b->entries[i]->inflight = false;
    for (size_t i = 0; i < b->n; i++) {
        centry_t *e = b->entries[i];
        if (err == SL_ERR_CLOSED || cl->closing) {
            entry_complete(e, SL_ERR_CLOSED, -1);
        } else if (err == SL_ERR_UNSUPPORTED) {
            entry_complete(e, err, -1);
        } else if (err != SL_OK) {
            SL_DEBUG(SL_CL_MODULE, "FindCoordinator %s: %s; retrying", e->key, sl_err_name(err));
            retry_later(e);
        } else if (version < 4) {
            const sl_FindCoordinatorResponse_t *r = resp;
            if (i == 0)
                entry_result(e, r->ErrorCode, r->NodeId, r->Host, r->Port);
            else
                lookup_request(e);
        } else {
            const sl_FindCoordinatorResponse_t *r = resp;
            const sl_FindCoordinatorResponse_Coordinator_t *c = NULL;
            for (int32_t k = 0; k < r->Coordinators.count; k++)
                if (sl_kstr_eq(r->Coordinators.items[k].Key, e->key))
                    c = &r->Coordinators.items[k];
            if (c) {
                entry_result(e, c->ErrorCode, c->NodeId, c->Host, c->Port);
            } else {
                SL_WARN(SL_CL_MODULE, "FindCoordinator answer names no coordinator for %s", e->key);
                retry_later(e);
            }
        }
    }
    batch_free(b);
}

/* Sends entries[0..n) (all of one type) in one request. */
static void batch_send(sl_cl_t *cl, int8_t type, centry_t **entries, size_t n)
{
    batch_t *b = calloc(1, sizeof *b);
    if (b) {
        b->entries = malloc(n * sizeof *b->entries);
        b->keys = malloc(n * sizeof *b->keys);
    }
    sl_err_t err = SL_ERR_NOMEM;
    if (b && b->entries && b->keys) {
        b->cl = cl;
        b->type = type;
        b->n = n;
        int64_t latest = 0;
        for (size_t i = 0; i < n; i++) {
            b->entries[i] = entries[i];
            b->keys[i] = sl_kstr(entries[i]->key);
            sl_list_t *pos, *tmp;
            sl_list_foreach_safe(pos, tmp, &entries[i]->waiters)
            {
                waiter_t *w = sl_container_of(pos, waiter_t, link);
                latest = SL_MAX(latest, w->deadline_ms);
            }
        }
        int64_t left = latest - sl_cl_now_ms(cl);
        int32_t timeout = cl->conf.request_timeout_ms;
        if (left > 0 && left < timeout)
            timeout = (int32_t)left;
        if (timeout < 1)
            timeout = 1;
        sl_FindCoordinatorRequest_init(&b->req);
        sl_cl_req_t req = {.api_key = 10, .min_version = type != 0 ? 1 : 0, .max_version = -1,
                           .body = &b->req, .node_id = SL_CL_NODE_ANY, .timeout_ms = timeout,
                           .prepare = batch_prepare};
        err = sl_cl_send(cl, &req, batch_on_resp, b);
        if (err == SL_OK) {
            for (size_t i = 0; i < n; i++)
                entries[i]->inflight = true;
            return;
        }
    }
    batch_free(b);
    for (size_t i = 0; i < n; i++)
        entry_complete(entries[i], err, -1);
}

/* Sends what is queued: per key type one batch, or one request per key when
 * the brokers are known to be below v4. */
static void on_flush(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    SL_UNUSED(loop);
    SL_UNUSED(id);
    sl_cl_t *cl = arg;
    sl_cl_coords_t *cs = cl->coords;
    cs->flush_timer = 0;
    int16_t v = sl_cl_api_version(cl, SL_CL_NODE_ANY, 10);
    bool batched = v < 0 || v >= 4;
    for (int8_t type = 0; type <= 1; type++) {
        size_t n = 0, cap = 0;
        centry_t **list = NULL;
        sl_list_t *pos, *tmp;
        sl_list_foreach_safe(pos, tmp, &cs->entries)
        {
            centry_t *e = sl_container_of(pos, centry_t, link);
            if (!e->queued || e->type != type)
                continue;
            e->queued = false;
            if (sl_list_empty(&e->waiters))
                continue;
            if (n == cap) {
                size_t ncap = cap ? cap * 2 : 8;
                centry_t **nl = realloc(list, ncap * sizeof *nl);
                if (!nl) {
                    entry_complete(e, SL_ERR_NOMEM, -1);
                    continue;
                }
                list = nl;
                cap = ncap;
            }
            list[n++] = e;
        }
        if (batched && n > 0)
            batch_send(cl, type, list, n);
        else
            for (size_t i = 0; i < n; i++)
                batch_send(cl, type, &list[i], 1);
        free(list);
    }
}

/* Queues e for the next batch (sent from the loop, this iteration). */
static void lookup_request(centry_t *e)
{
    sl_cl_t *cl = e->cl;
    if (e->inflight || e->queued || cl->closing || sl_list_empty(&e->waiters))
        return;
    e->queued = true;
    if (!cl->coords->flush_timer &&
        sl_loop_timer_add(cl->loop, 0, false, on_flush, cl, &cl->coords->flush_timer) != SL_OK) {
        e->queued = false;
        entry_complete(e, SL_ERR_NOMEM, -1);
    }
}

sl_err_t sl_cl_coord_find(sl_cl_t *cl, int8_t key_type, const char *key, int64_t deadline_ms,
                          sl_cl_coord_fn *fn, void *arg)
{
    if (!key || !fn || (key_type != 0 && key_type != 1))
        return SL_ERR_INVAL;
    if (cl->closing)
        return SL_ERR_CLOSED;
    centry_t *e = entry_find(cl, key_type, key);
    if (!e) {
        if (!(e = calloc(1, sizeof *e)) || !(e->key = strdup(key))) {
            free(e);
            return SL_ERR_NOMEM;
        }
        e->cl = cl;
        e->type = key_type;
        e->node = -1;
        sl_list_init(&e->waiters);
        sl_list_insert_tail(&cl->coords->entries, &e->link);
    }
    waiter_t *w = calloc(1, sizeof *w);
    if (!w)
        return SL_ERR_NOMEM;
    w->e = e;
    w->fn = fn;
    w->arg = arg;
    w->deadline_ms = deadline_ms;
    int64_t left = deadline_ms - sl_cl_now_ms(cl);
    if (sl_loop_timer_add(cl->loop, left > 0 ? left : 0, false, on_deadline, w, &w->timer) != SL_OK) {
        free(w);
        return SL_ERR_NOMEM;
    }
    sl_list_insert_tail(&e->waiters, &w->link);
    /* The answer (cached or not) always comes from the loop, never from
     * inside this call. */
    if (!e->deliver_timer && !e->inflight && !e->queued && !e->retry_timer)
        sl_loop_timer_add(cl->loop, 0, false, on_deliver, e, &e->deliver_timer);
    return SL_OK;
}

void sl_cl_coord_forget(sl_cl_t *cl, int8_t key_type, const char *key)
{
    centry_t *e = key ? entry_find(cl, key_type, key) : NULL;
    if (e)
        e->node = -1;
}

sl_err_t sl_cl_coords_init(sl_cl_t *cl)
{
    sl_cl_coords_t *cs = calloc(1, sizeof *cs);
    if (!cs)
        return SL_ERR_NOMEM;
    sl_list_init(&cs->entries);
    cl->coords = cs;
    return SL_OK;
}

void sl_cl_coords_shutdown(sl_cl_t *cl)
{
    if (!cl->coords)
        return;
    if (cl->coords->flush_timer)
        sl_loop_timer_cancel(cl->loop, cl->coords->flush_timer);
    cl->coords->flush_timer = 0;
    sl_list_t *pos, *tmp;
    sl_list_foreach_safe(pos, tmp, &cl->coords->entries)
    {
        centry_t *e = sl_container_of(pos, centry_t, link);
        if (e->retry_timer)
            sl_loop_timer_cancel(cl->loop, e->retry_timer);
        if (e->deliver_timer)
            sl_loop_timer_cancel(cl->loop, e->deliver_timer);
        e->retry_timer = e->deliver_timer = 0;
        entry_complete(e, SL_ERR_CLOSED, -1);
    }
}

void sl_cl_coords_fini(sl_cl_t *cl)
{
    sl_cl_coords_t *cs = cl->coords;
    if (!cs)
        return;
    while (!sl_list_empty(&cs->entries)) {
        centry_t *e = sl_container_of(cs->entries.next, centry_t, link);
        sl_list_remove(&e->link);
        while (!sl_list_empty(&e->waiters)) {
            waiter_t *w = sl_container_of(e->waiters.next, waiter_t, link);
            sl_list_remove(&w->link);
            free(w);
        }
        free(e->key);
        free(e);
    }
    free(cs);
    cl->coords = NULL;
}
