/*
 * worker.c - a network thread: its event loop, its SO_REUSEPORT listener,
 * the connections it accepted and the requests on them. Here a frame becomes
 * a request (decoded in place, dispatched), a handler's answer goes out in
 * request order, deferred requests wait (and are woken or cancelled), idle
 * connections are closed, and the before-sleep hook does the group commit
 * (one fsync per dirty partition, then every reply waiting for it).
 *
 * Everything in a worker belongs to its thread, except wake_mu/woken, which
 * other threads use through sl_broker_worker_wake.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "worker_int.h"

static atomic_uint_fast64_t next_req_id = 1;

/* ---- requests ---------------------------------------------------------- */

static void req_free(sl_broker_req_t *req)
{
    sl_arena_fini(&req->arena);
    free(req);
}

/* The common end of every request: a deferred one is freed here and its
 * connection read again; one finished inside its handler is freed by
 * conn_on_frame when the handler returns. */
static void req_done(sl_broker_req_t *req)
{
    req->finished = true;
    if (!req->deferred)
        return;
    sl_broker_worker_t *worker = req->worker;
    sl_broker_conn_t *bc = req->bc;
    sl_list_remove(&req->node);
    sl_map_del(&worker->deferred, &req->id, sizeof req->id, NULL);
    bc->pending = NULL;
    bc->last_active_ms = sl_loop_now_ms(worker->loop);
    if (!bc->closing)
        sl_conn_resume_read(bc->conn);
    req_free(req);
}

void sl_broker_req_reply(sl_broker_req_t *req, const void *resp)
{
    sl_broker_worker_t *worker = req->worker;
    sl_broker_conn_t *bc = req->bc;
    if (req->finished)
        return;
    if (!bc->closing) {
        sl_buf_reset(&worker->out);
        sl_err_t err = sl_response_encode(&worker->out, req->hdr.api_key, req->hdr.api_version,
                                          req->hdr.correlation_id, resp);
        if (err != SL_OK) {
            sl_broker_req_close(req, "cannot encode the %s v%d response: %s", req->api->name,
                                req->hdr.api_version, sl_err_name(err));
            return;
        }
        sl_conn_send(bc->conn, worker->out.data, worker->out.len);
        if (worker->out.cap > SL_BROKER_KEEP_BUF_MAX)
            sl_buf_free(&worker->out);
    }
    req_done(req);
}

void sl_broker_req_reply_frame(sl_broker_req_t *req, const uint8_t *bytes, size_t len,
                               const sl_broker_file_part_t *files, size_t nfiles)
{
    sl_broker_conn_t *bc = req->bc;
    size_t k = 0;
    if (!req->finished && !bc->closing) {
        size_t done = 0;
        sl_err_t err = SL_OK;
        for (; k < nfiles && err == SL_OK; k++) {
            if (files[k].at > done)
                err = sl_conn_send(bc->conn, bytes + done, files[k].at - done);
            done = files[k].at;
            if (err == SL_OK)
                err = sl_conn_send_file(bc->conn, files[k].fd, files[k].pos, files[k].len);
            else
                close(files[k].fd);
        }
        if (err == SL_OK && len > done)
            sl_conn_send(bc->conn, bytes + done, len - done);
    }
    for (; k < nfiles; k++) /* not handed to the connection */
        close(files[k].fd);
    if (!req->finished)
        req_done(req);
}

void sl_broker_req_finish(sl_broker_req_t *req)
{
    if (!req->finished)
        req_done(req);
}

void sl_broker_req_client_host(const sl_broker_req_t *req, char *buf, size_t len)
{
    const char *peer = req->bc && req->bc->conn ? sl_conn_peer(req->bc->conn) : "";
    const char *colon = strrchr(peer, ':');
    size_t n = colon ? (size_t)(colon - peer) : strlen(peer);
    if (n >= 2 && peer[0] == '[' && peer[n - 1] == ']') { /* "[::1]:port" */
        peer++;
        n -= 2;
    }
    snprintf(buf, len, "/%.*s", (int)n, peer);
}

static void conn_close_for(sl_broker_conn_t *bc, const char *why)
{
    if (bc->closing)
        return;
    SL_WARN(SL_BROKER_LOG, "closing connection %" PRIu64 " from %s: %s", sl_conn_id(bc->conn),
            sl_conn_peer(bc->conn), why);
    bc->closing = true;
    sl_conn_close(bc->conn, false);
}

void sl_broker_req_close(sl_broker_req_t *req, const char *fmt, ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    conn_close_for(req->bc, why);
    if (!req->finished)
        req_done(req);
}

void sl_broker_req_defer(sl_broker_req_t *req, sl_broker_cancel_fn *cancel, sl_broker_wake_fn *wake, void *ctx)
{
    req->deferred = true;
    req->cancel = cancel;
    req->wake = wake;
    req->ctx = ctx;
}

/* The connection or the worker goes away under a deferred request. */
static void req_cancel(sl_broker_req_t *req)
{
    sl_broker_worker_t *worker = req->worker;
    sl_list_remove(&req->node);
    sl_map_del(&worker->deferred, &req->id, sizeof req->id, NULL);
    req->bc->pending = NULL;
    req->finished = true;
    if (req->cancel)
        req->cancel(req);
    req_free(req);
}

/* ---- dispatch ---------------------------------------------------------- */

static void dispatch(sl_broker_req_t *req)
{
    sl_request_t r;
    sl_err_t err = sl_request_decode(req->frame, req->frame_len, &req->arena, &r);
    req->hdr = r.hdr;
    req->api = r.api;
    req->body = r.body;
    if (!r.hdr_ok) {
        sl_broker_req_close(req, "cannot read the request header (%s)", sl_err_name(err));
        return;
    }
    const char *name = r.api ? r.api->name : "unknown api";
    /* One line per request at debug level: which client uses which API
     * version (docs/COMPATIBILITY.md's "seen using" column comes from it). */
    SL_DEBUG("request", "%s v%d client_id=%.*s", name, r.hdr.api_version,
             r.hdr.client_id.len > 0 ? (int)SL_MIN(r.hdr.client_id.len, 128) : 0,
             r.hdr.client_id.len > 0 ? r.hdr.client_id.ptr : "");
    if (r.hdr.api_key == SL_APIKEY_API_VERSIONS && err == SL_ERR_UNSUPPORTED_VERSION) {
        /* KIP-511: a newer client gets a v0 answer it can read. */
        req->hdr.api_version = 0;
        req->body = NULL;
        sl_broker_handle_api_versions(req);
        return;
    }
    const sl_broker_api_t *entry = sl_broker_api_find(r.hdr.api_key);
    if (!entry || r.hdr.api_version < entry->min_version || r.hdr.api_version > entry->max_version) {
        sl_broker_req_close(req, "%s (key %d) v%d is not served", name, r.hdr.api_key, r.hdr.api_version);
        return;
    }
    if (err != SL_OK) {
        sl_broker_req_close(req, "cannot decode %s v%d (correlation id %" PRId32 "): %s", name,
                            r.hdr.api_version, r.hdr.correlation_id, sl_err_name(err));
        return;
    }
    entry->handler(req);
}

static void conn_on_frame(sl_conn_t *conn, void *user, const uint8_t *frame, size_t len)
{
    sl_broker_conn_t *bc = user;
    sl_broker_worker_t *worker = bc->worker;
    if (bc->closing)
        return;
    if (bc->pending) { /* cannot happen: reads are paused while one waits */
        conn_close_for(bc, "a request arrived while another was pending");
        return;
    }
    bc->last_active_ms = sl_loop_now_ms(worker->loop);
    sl_broker_req_t *req = calloc(1, sizeof *req);
    if (!req) {
        conn_close_for(bc, "no memory for a request");
        return;
    }
    req->broker = worker->broker;
    req->worker = worker;
    req->bc = bc;
    req->id = atomic_fetch_add(&next_req_id, 1);
    /* Borrowed from the connection (net.h): a request that is deferred
     * pauses reading below, which keeps the frame in place until it ends. */
    req->frame = (uint8_t *)frame;
    req->frame_len = len;
    req->received_ms = bc->last_active_ms;
    sl_list_init(&req->node);
    sl_arena_init(&req->arena, 0, SL_BROKER_REQ_ARENA_LIMIT);
    SL_UNUSED(conn);

    dispatch(req);

    if (req->finished) {
        req_free(req);
    } else if (req->deferred) {
        if (sl_map_put(&worker->deferred, &req->id, sizeof req->id, req, NULL) != SL_OK) {
            req->deferred = false;
            req_cancel(req);
            conn_close_for(bc, "no memory to hold a request");
            return;
        }
        bc->pending = req;
        sl_conn_pause_read(bc->conn);
    } else {
        SL_ERROR(SL_BROKER_LOG, "%s v%d handler returned without answering", req->api ? req->api->name : "?",
                 req->hdr.api_version);
        conn_close_for(bc, "internal error");
        req_free(req);
    }
}

static void conn_on_close(sl_conn_t *conn, void *user, sl_err_t reason)
{
    sl_broker_conn_t *bc = user;
    SL_UNUSED(conn);
    SL_UNUSED(reason);
    if (!bc)
        return;
    sl_broker_worker_t *worker = bc->worker;
    if (bc->pending)
        req_cancel(bc->pending);
    sl_list_remove(&bc->node);
    worker->nconns--;
    free(bc);
    if (worker->stopping && worker->nconns == 0)
        sl_loop_stop(worker->loop);
}

static void on_accept(sl_listener_t *lst, sl_conn_t *conn, void *arg)
{
    sl_broker_worker_t *worker = arg;
    SL_UNUSED(lst);
    sl_broker_conn_t *bc = calloc(1, sizeof *bc);
    if (!bc) {
        SL_WARN(SL_BROKER_LOG, "no memory for connection %" PRIu64 " from %s; closing it", sl_conn_id(conn),
                sl_conn_peer(conn));
        sl_conn_set_user(conn, NULL);
        sl_conn_close(conn, false);
        return;
    }
    bc->worker = worker;
    bc->conn = conn;
    bc->last_active_ms = sl_loop_now_ms(worker->loop);
    sl_list_insert_tail(&worker->conns, &bc->node);
    worker->nconns++;
    sl_conn_set_user(conn, bc);
}

/* ---- idle connections -------------------------------------------------- */

static void idle_check(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    sl_broker_worker_t *worker = arg;
    SL_UNUSED(id);
    int64_t now = sl_loop_now_ms(loop);
    int64_t max_idle = worker->broker->cfg->connections_max_idle_ms;
    sl_list_t *pos, *tmp;
    sl_list_foreach_safe(pos, tmp, &worker->conns) {
        sl_broker_conn_t *bc = sl_container_of(pos, sl_broker_conn_t, node);
        if (!bc->pending && !bc->closing && now - bc->last_active_ms > max_idle) {
            char why[96];
            snprintf(why, sizeof why, "idle for more than connections.max.idle.ms (%" PRId64 " ms)", max_idle);
            conn_close_for(bc, why);
        }
    }
}

/* ---- group commit ------------------------------------------------------ */

sl_err_t sl_broker_worker_mark_dirty(sl_broker_worker_t *worker, sl_partition_t *part)
{
    for (size_t i = 0; i < worker->ndirty; i++)
        if (worker->dirty[i].part == part)
            return SL_OK;
    if (worker->ndirty == worker->capdirty) {
        size_t cap = worker->capdirty ? worker->capdirty * 2 : 16;
        void *p = realloc(worker->dirty, cap * sizeof *worker->dirty);
        if (!p)
            return SL_ERR_NOMEM;
        worker->dirty = p;
        worker->capdirty = cap;
    }
    sl_topic_ref(part->topic);
    worker->dirty[worker->ndirty].part = part;
    worker->dirty[worker->ndirty].err = SL_OK;
    worker->ndirty++;
    return SL_OK;
}

void sl_broker_worker_flush_wait(sl_broker_worker_t *worker, sl_broker_req_t *req, sl_broker_flushed_fn *flushed)
{
    req->flushed = flushed;
    sl_list_remove(&req->node);
    sl_list_insert_tail(&worker->flush_list, &req->node);
}

sl_err_t sl_broker_worker_flush_error(sl_broker_worker_t *worker, const sl_partition_t *part)
{
    for (size_t i = 0; i < worker->ndirty; i++)
        if (worker->dirty[i].part == part)
            return worker->dirty[i].err;
    return SL_OK;
}

/* Before-sleep hook: one fsync per dirty partition, then every reply that
 * waited for one. */
static void group_commit(sl_loop_t *loop, void *arg)
{
    sl_broker_worker_t *worker = arg;
    SL_UNUSED(loop);
    if (worker->ndirty == 0 && sl_list_empty(&worker->flush_list))
        return;
    int64_t now = sl_time_wall_ms();
    for (size_t i = 0; i < worker->ndirty; i++) {
        sl_partition_t *part = worker->dirty[i].part;
        sl_partition_lock(part);
        if (part->log) {
            sl_err_t err = sl_log_flush(part->log, now);
            if (err != SL_OK) {
                SL_ERROR(SL_BROKER_LOG, "flush of %s-%d failed: %s", part->topic->name, part->index,
                         sl_log_errmsg(part->log));
                worker->dirty[i].err = err;
            }
        }
        sl_partition_unlock(part);
    }
    sl_list_t waiting;
    sl_list_init(&waiting);
    if (!sl_list_empty(&worker->flush_list)) {
        waiting = worker->flush_list;
        waiting.next->prev = &waiting;
        waiting.prev->next = &waiting;
        sl_list_init(&worker->flush_list);
    }
    while (!sl_list_empty(&waiting)) {
        sl_broker_req_t *req = sl_container_of(waiting.next, sl_broker_req_t, node);
        sl_list_remove(&req->node);
        req->flushed(req);
    }
    for (size_t i = 0; i < worker->ndirty; i++)
        sl_topic_unref(worker->dirty[i].part->topic);
    worker->ndirty = 0;
}

/* ---- wake-ups from other threads ---------------------------------------- */

void sl_broker_worker_wake(sl_broker_worker_t *worker, uint64_t req_id)
{
    pthread_mutex_lock(&worker->wake_mu);
    bool queued = false;
    if (worker->nwoken == worker->capwoken) {
        size_t cap = worker->capwoken ? worker->capwoken * 2 : 64;
        uint64_t *p = realloc(worker->woken, cap * sizeof *p);
        if (p) {
            worker->woken = p;
            worker->capwoken = cap;
        }
    }
    if (worker->nwoken < worker->capwoken) {
        worker->woken[worker->nwoken++] = req_id;
        queued = true;
    }
    pthread_mutex_unlock(&worker->wake_mu);
    /* Without memory the request is answered by its own timer instead. */
    if (queued)
        sl_loop_wake(worker->loop);
}

static void on_wake(sl_loop_t *loop, void *arg)
{
    sl_broker_worker_t *worker = arg;
    SL_UNUSED(loop);
    /* Take the queue, so wakers never wait for the requests to run. */
    pthread_mutex_lock(&worker->wake_mu);
    uint64_t *ids = worker->woken;
    size_t n = worker->nwoken, cap = worker->capwoken;
    worker->woken = NULL;
    worker->nwoken = worker->capwoken = 0;
    pthread_mutex_unlock(&worker->wake_mu);
    for (size_t i = 0; i < n; i++) {
        sl_broker_req_t *req = sl_map_get(&worker->deferred, &ids[i], sizeof ids[i]);
        if (req && !req->finished && req->wake)
            req->wake(req);
    }
    /* Give the array back for reuse unless a waker made a new one meanwhile. */
    pthread_mutex_lock(&worker->wake_mu);
    if (!worker->woken) {
        worker->woken = ids;
        worker->capwoken = cap;
        ids = NULL;
    }
    pthread_mutex_unlock(&worker->wake_mu);
    free(ids);
}

sl_loop_t *sl_broker_worker_loop(sl_broker_worker_t *worker)
{
    return worker->loop;
}

sl_buf_t *sl_broker_worker_scratch(sl_broker_worker_t *worker)
{
    return &worker->scratch;
}

sl_buf_t *sl_broker_worker_records(sl_broker_worker_t *worker)
{
    return &worker->records;
}

sl_buf_t *sl_broker_worker_frame(sl_broker_worker_t *worker)
{
    return &worker->frame;
}

/* ---- life cycle -------------------------------------------------------- */

sl_err_t sl_broker_worker_new(sl_broker_t *broker, int index, const char *host, uint16_t port,
                              sl_broker_worker_t **out)
{
    *out = NULL;
    sl_broker_worker_t *worker = calloc(1, sizeof *worker);
    if (!worker)
        return SL_ERR_NOMEM;
    worker->broker = broker;
    worker->index = index;
    sl_list_init(&worker->conns);
    sl_list_init(&worker->flush_list);
    sl_map_init(&worker->deferred);
    pthread_mutex_init(&worker->wake_mu, NULL);
    sl_err_t err = sl_loop_new(&worker->loop);
    if (err != SL_OK) {
        sl_broker_worker_free(worker);
        return err;
    }
    sl_listener_opts_t lopts = {.reuseport = true, .on_accept = on_accept, .arg = worker};
    lopts.conn.max_frame = (size_t)broker->cfg->socket_request_max_bytes;
    lopts.conn.on_frame = conn_on_frame;
    lopts.conn.on_close = conn_on_close;
    err = sl_listener_open(worker->loop, host, port, &lopts, &worker->lst);
    if (err != SL_OK) {
        sl_broker_worker_free(worker);
        return err;
    }
    sl_loop_set_before_sleep(worker->loop, group_commit, worker);
    sl_loop_set_wake(worker->loop, on_wake, worker);
    int64_t max_idle = broker->cfg->connections_max_idle_ms;
    if (max_idle > 0) {
        int64_t every = SL_MAX(10, SL_MIN(max_idle / 10, 10000));
        sl_loop_timer_add(worker->loop, every, true, idle_check, worker, NULL);
    }
    *out = worker;
    return SL_OK;
}

uint16_t sl_broker_worker_port(const sl_broker_worker_t *worker)
{
    return worker->lst ? sl_listener_port(worker->lst) : 0;
}

static void *worker_main(void *arg)
{
    sl_broker_worker_t *worker = arg;
    sl_err_t err = sl_loop_run(worker->loop);
    if (err != SL_OK)
        SL_ERROR(SL_BROKER_LOG, "network thread %d: loop failed: %s", worker->index, sl_err_name(err));
    return NULL;
}

sl_err_t sl_broker_worker_start(sl_broker_worker_t *worker)
{
    int rc = pthread_create(&worker->thread, NULL, worker_main, worker);
    if (rc != 0) {
        SL_ERROR(SL_BROKER_LOG, "cannot start network thread %d: %s", worker->index, strerror(rc));
        return SL_ERR_IO;
    }
    worker->started = true;
    return SL_OK;
}

static void stop_timeout(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    sl_broker_worker_t *worker = arg;
    SL_UNUSED(id);
    if (worker->nconns > 0)
        SL_WARN(SL_BROKER_LOG, "network thread %d: %zu connections still flushing at shutdown; dropping them",
                worker->index, worker->nconns);
    sl_loop_stop(loop);
}

/* Runs on the worker's thread: stop accepting, answer what waits for an
 * fsync, cancel long polls, close every connection once its replies are out. */
static void stop_on_loop(sl_loop_t *loop, void *arg)
{
    sl_broker_worker_t *worker = arg;
    worker->stopping = true;
    sl_listener_close(worker->lst);
    worker->lst = NULL;
    group_commit(loop, worker);
    sl_list_t *pos, *tmp;
    sl_list_foreach_safe(pos, tmp, &worker->conns) {
        sl_broker_conn_t *bc = sl_container_of(pos, sl_broker_conn_t, node);
        if (bc->pending)
            req_cancel(bc->pending);
        bc->closing = true;
        sl_conn_close(bc->conn, true);
    }
    if (worker->nconns == 0)
        sl_loop_stop(loop);
    else
        sl_loop_timer_add(loop, 2000, false, stop_timeout, worker, NULL);
}

void sl_broker_worker_begin_stop(sl_broker_worker_t *worker)
{
    if (worker->started && sl_loop_post(worker->loop, stop_on_loop, worker) != SL_OK)
        sl_loop_stop(worker->loop); /* no memory: stop without the niceties */
}

void sl_broker_worker_join(sl_broker_worker_t *worker)
{
    if (!worker->started)
        return;
    pthread_join(worker->thread, NULL);
    worker->started = false;
}

void sl_broker_worker_free(sl_broker_worker_t *worker)
{
    if (!worker)
        return;
    if (worker->started) {
        sl_broker_worker_begin_stop(worker);
        sl_broker_worker_join(worker);
    }
    /* Connections still open are closed by sl_loop_free; their close
     * callbacks cancel what is pending. */
    worker->stopping = false;
    sl_loop_free(worker->loop);
    for (size_t i = 0; i < worker->ndirty; i++)
        sl_topic_unref(worker->dirty[i].part->topic);
    free(worker->dirty);
    free(worker->woken);
    sl_map_fini(&worker->deferred, NULL);
    sl_buf_free(&worker->out);
    sl_buf_free(&worker->scratch);
    sl_buf_free(&worker->records);
    sl_buf_free(&worker->frame);
    pthread_mutex_destroy(&worker->wake_mu);
    free(worker);
}
