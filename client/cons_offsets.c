/*
 * cons_offsets.c - OffsetCommit and OffsetFetch at the group's coordinator
 * (found with sl_cl_coord_find, key type 0) as "ops" that run on the I/O
 * thread from start to end: coordinator errors forget the coordinator and
 * retry after retry.backoff.ms until the op's deadline. An op ends in one of
 * three ways: the OffsetFetch of SL_OFFSET_STORED positions sets them; an
 * asynchronous or automatic commit hands its result to the commit callback
 * as an event; a synchronous call is woken.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "consumer_int.h"

cons_op_t *sl_cons_op_new(sl_consumer_t *c, cons_op_kind_t kind, const sl_tp_offset_t *parts, size_t n)
{
    cons_op_t *op = calloc(1, sizeof(*op));
    if (!op)
        return NULL;
    op->kind = kind;
    op->c = c;
    op->timeout_ms = -1;
    sl_arena_init(&op->arena, 0, 0);
    op->parts = sl_arena_calloc(&op->arena, n ? n : 1, sizeof(*op->parts));
    if (!op->parts)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        op->parts[i] = parts[i];
        op->parts[i].topic = sl_arena_strndup(&op->arena, parts[i].topic, strlen(parts[i].topic));
        if (!op->parts[i].topic)
            goto fail;
        if (parts[i].metadata) {
            op->parts[i].metadata = sl_arena_strndup(&op->arena, parts[i].metadata, strlen(parts[i].metadata));
            if (!op->parts[i].metadata)
                goto fail;
        }
        op->parts[i].err = SL_OK;
        if (kind == CONS_OP_FETCH) {
            op->parts[i].offset = SL_OFFSET_INVALID;
            op->parts[i].leader_epoch = -1;
        }
    }
    op->n = n;
    return op;
fail:
    sl_cons_op_free(op);
    return NULL;
}

void sl_cons_op_free(cons_op_t *op)
{
    if (!op)
        return;
    sl_arena_fini(&op->arena);
    free(op->epochs);
    free(op->member_id);
    free(op->instance_id);
    free(op);
}

/* ---- ending an op ------------------------------------------------------------ */

typedef struct commit_ev {
    sl_cl_event_t ev;
    cons_op_t *op;
} commit_ev_t;

static void commit_ev_run(sl_cl_event_t *ev, void *arg)
{
    (void)arg;
    cons_op_t *op = ((commit_ev_t *)ev)->op;
    sl_consumer_t *c = op->c;
    pthread_mutex_lock(&c->lock);
    sl_commit_fn *fn = c->commit_cb;
    void *fn_arg = c->commit_arg;
    pthread_mutex_unlock(&c->lock);
    if (fn)
        fn(c, op->err, op->parts, op->n, fn_arg);
}

static void commit_ev_free(sl_cl_event_t *ev)
{
    sl_cons_op_free(((commit_ev_t *)ev)->op);
    free(ev);
}

/* The committed offsets of an internal OffsetFetch become positions. */
static void stored_apply(sl_consumer_t *c, cons_op_t *op)
{
    int64_t now = sl_cl_now_ms(c->cl);
    for (cons_tp_t *tp = c->tps; tp; tp = tp->next) {
        if (tp->op_owner != op)
            continue;
        tp->op_owner = NULL;
        size_t i = 0;
        while (i < op->n && !(op->parts[i].partition == tp->partition && strcmp(op->parts[i].topic, tp->topic) == 0))
            i++;
        if (i == op->n || op->epochs[i] != tp->epoch || tp->state != CONS_TP_STORED)
            continue;
        sl_err_t err = op->err ? op->err : op->parts[i].err;
        if (err == SL_ERR_CLOSED)
            continue;
        if (err) {
            SL_WARN(SL_CONS_LOG, "%s [%d]: committed offset of group %s: %s; retrying", tp->topic,
                    (int)tp->partition, c->conf->group_id, sl_err_name(err));
            tp->retry_at = now + c->conf->retry_backoff_ms;
        } else if (op->parts[i].offset >= 0) {
            sl_cons_tp_set_pos(c, tp, op->parts[i].offset, op->parts[i].leader_epoch);
            tp->committed = op->parts[i].offset;
        } else if (c->conf->auto_offset_reset) {
            sl_cons_tp_reset(c, tp, c->conf->auto_offset_reset);
        } else {
            sl_cons_error_event(c, tp->topic, tp->partition, SL_OFFSET_INVALID, SL_ERR_OFFSET_OUT_OF_RANGE);
            tp->state = CONS_TP_HALTED;
        }
    }
    sl_cons_fetch_kick(c);
}

static void op_finish(sl_consumer_t *c, cons_op_t *op, sl_err_t err)
{
    op->err = err;
    if (op->kind == CONS_OP_COMMIT && !err) {
        for (size_t i = 0; i < op->n; i++) {
            cons_tp_t *tp = sl_cons_tp_find(c, op->parts[i].topic, op->parts[i].partition);
            if (tp && !op->parts[i].err)
                tp->committed = op->parts[i].offset;
        }
    }
    if (op->internal) {
        stored_apply(c, op);
        sl_cons_op_free(op);
        return;
    }
    if (op->async) {
        commit_ev_t *ev = calloc(1, sizeof(*ev));
        if (!ev) {
            sl_cons_op_free(op);
            return;
        }
        ev->ev.run = commit_ev_run;
        ev->ev.free = commit_ev_free;
        ev->op = op;
        sl_cons_event_push(c, &ev->ev);
        return;
    }
    pthread_mutex_lock(&c->lock);
    bool abandoned = op->abandoned;
    op->done = true;
    c->wakes++;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
    if (abandoned)
        sl_cons_op_free(op);
}

/* ---- requests -------------------------------------------------------------- */

static void op_send(sl_consumer_t *c, cons_op_t *op, int32_t node);

static void coord_cb(sl_cl_t *cl, sl_err_t err, int32_t node, void *arg)
{
    (void)cl;
    cons_op_t *op = arg;
    if (err)
        op_finish(op->c, op, err);
    else
        op_send(op->c, op, node);
}

static void op_lookup(sl_consumer_t *c, cons_op_t *op)
{
    sl_err_t err = sl_cl_coord_find(c->cl, 0, c->conf->group_id, op->deadline, coord_cb, op);
    if (err)
        op_finish(c, op, err);
}

static void retry_cb(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    (void)loop;
    (void)id;
    cons_op_t *op = arg;
    op_lookup(op->c, op);
}

static bool coordinator_error(sl_err_t err)
{
    return err == SL_ERR_NOT_COORDINATOR || err == SL_ERR_COORDINATOR_NOT_AVAILABLE ||
           err == SL_ERR_COORDINATOR_LOAD_IN_PROGRESS || err == SL_ERR_REQUEST_TIMED_OUT ||
           err == SL_ERR_NETWORK_EXCEPTION || err == SL_ERR_TIMEOUT || err == SL_ERR_UNSTABLE_OFFSET_COMMIT;
}

/* A coordinator error: rediscover it and try again, unless the deadline
 * passes first. */
static void op_retry(sl_consumer_t *c, cons_op_t *op, sl_err_t err)
{
    int64_t now = sl_cl_now_ms(c->cl);
    if (err != SL_ERR_UNSTABLE_OFFSET_COMMIT)
        sl_cl_coord_forget(c->cl, 0, c->conf->group_id);
    if (c->stopping && op->internal) {
        op_finish(c, op, SL_ERR_CLOSED);
        return;
    }
    if (now + c->conf->retry_backoff_ms >= op->deadline ||
        sl_loop_timer_add(sl_cl_loop(c->cl), c->conf->retry_backoff_ms, false, retry_cb, op, NULL) != SL_OK)
        op_finish(c, op, err == SL_ERR_NETWORK_EXCEPTION ? SL_ERR_TIMEOUT : err);
}

static void commit_cb(sl_cl_t *cl, sl_err_t err, int16_t version, const void *resp, void *arg)
{
    (void)cl;
    (void)version;
    cons_op_t *op = arg;
    sl_consumer_t *c = op->c;
    if (err) {
        if (err == SL_ERR_CLOSED || err == SL_ERR_UNSUPPORTED || err == SL_ERR_PARSE)
            op_finish(c, op, err);
        else
            op_retry(c, op, err);
        return;
    }
    const sl_OffsetCommitResponse_t *res = resp;
    sl_err_t first = SL_OK;
    for (int32_t t = 0; t < res->Topics.count; t++) {
        const sl_OffsetCommitResponse_OffsetCommitResponseTopic_t *tr = &res->Topics.items[t];
        for (int32_t i = 0; i < tr->Partitions.count; i++) {
            const sl_OffsetCommitResponse_OffsetCommitResponsePartition_t *pr = &tr->Partitions.items[i];
            sl_err_t perr = (sl_err_t)pr->ErrorCode;
            if (perr && coordinator_error(perr)) {
                op_retry(c, op, perr);
                return;
            }
            for (size_t k = 0; k < op->n; k++)
                if (op->parts[k].partition == pr->PartitionIndex && sl_kstr_eq(tr->Name, op->parts[k].topic))
                    op->parts[k].err = perr;
            if (perr && !first)
                first = perr;
        }
    }
    if (first == SL_ERR_ILLEGAL_GENERATION || first == SL_ERR_UNKNOWN_MEMBER_ID ||
        first == SL_ERR_REBALANCE_IN_PROGRESS || first == SL_ERR_FENCED_INSTANCE_ID)
        sl_cons_group_on_error(c, first);
    op_finish(c, op, first);
}

static void fetch_cb(sl_cl_t *cl, sl_err_t err, int16_t version, const void *resp, void *arg)
{
    (void)cl;
    (void)version;
    cons_op_t *op = arg;
    sl_consumer_t *c = op->c;
    const sl_OffsetFetchResponse_t *res = resp;
    if (!err && res->ErrorCode)
        err = (sl_err_t)res->ErrorCode;
    if (err) {
        if (coordinator_error(err))
            op_retry(c, op, err);
        else
            op_finish(c, op, err);
        return;
    }
    for (int32_t t = 0; t < res->Topics.count; t++) {
        const sl_OffsetFetchResponse_OffsetFetchResponseTopic_t *tr = &res->Topics.items[t];
        for (int32_t i = 0; i < tr->Partitions.count; i++) {
            const sl_OffsetFetchResponse_OffsetFetchResponsePartition_t *pr = &tr->Partitions.items[i];
            sl_err_t perr = (sl_err_t)pr->ErrorCode;
            if (perr && coordinator_error(perr)) {
                op_retry(c, op, perr);
                return;
            }
            for (size_t k = 0; k < op->n; k++) {
                sl_tp_offset_t *p = &op->parts[k];
                if (p->partition != pr->PartitionIndex || !sl_kstr_eq(tr->Name, p->topic))
                    continue;
                p->err = perr;
                p->offset = pr->CommittedOffset >= 0 ? pr->CommittedOffset : SL_OFFSET_INVALID;
                p->leader_epoch = pr->CommittedLeaderEpoch;
            }
        }
    }
    op_finish(c, op, SL_OK);
}

/* Index of the topic of parts[i] among the first i parts (its first use). */
static size_t first_of_topic(const cons_op_t *op, size_t i)
{
    for (size_t k = 0; k < i; k++)
        if (strcmp(op->parts[k].topic, op->parts[i].topic) == 0)
            return k;
    return i;
}

static sl_err_t build_commit(sl_consumer_t *c, cons_op_t *op, sl_OffsetCommitRequest_t *req)
{
    int32_t gen;
    const char *member, *instance;
    sl_cons_group_commit_identity(c, &gen, &member, &instance);
    sl_OffsetCommitRequest_init(req);
    req->GroupId = sl_kstr(c->conf->group_id);
    req->GenerationId = gen;
    req->MemberId = sl_kstr(sl_arena_strndup(&op->arena, member, strlen(member)));
    req->GroupInstanceId = instance ? sl_kstr(sl_arena_strndup(&op->arena, instance, strlen(instance)))
                                    : sl_kstr_null();
    req->Topics.items = sl_arena_calloc(&op->arena, op->n, sizeof(*req->Topics.items));
    int32_t *slot = sl_arena_calloc(&op->arena, op->n, sizeof(*slot));
    if (!req->Topics.items || !slot || !req->MemberId.ptr || (instance && !req->GroupInstanceId.ptr))
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < op->n; i++) {
        size_t f = first_of_topic(op, i);
        sl_OffsetCommitRequest_OffsetCommitRequestTopic_t *t;
        if (f == i) {
            slot[i] = req->Topics.count++;
            t = &req->Topics.items[slot[i]];
            sl_OffsetCommitRequest_OffsetCommitRequestTopic_init(t);
            t->Name = sl_kstr(op->parts[i].topic);
            t->Partitions.items = sl_arena_calloc(&op->arena, op->n, sizeof(*t->Partitions.items));
            if (!t->Partitions.items)
                return SL_ERR_NOMEM;
        } else {
            slot[i] = slot[f];
            t = &req->Topics.items[slot[i]];
        }
        sl_OffsetCommitRequest_OffsetCommitRequestPartition_t *p = &t->Partitions.items[t->Partitions.count++];
        sl_OffsetCommitRequest_OffsetCommitRequestPartition_init(p);
        p->PartitionIndex = op->parts[i].partition;
        p->CommittedOffset = op->parts[i].offset;
        p->CommittedLeaderEpoch = op->parts[i].leader_epoch;
        p->CommittedMetadata = sl_kstr(op->parts[i].metadata ? op->parts[i].metadata : "");
    }
    return SL_OK;
}

static sl_err_t build_fetch(sl_consumer_t *c, cons_op_t *op, sl_OffsetFetchRequest_t *req)
{
    sl_OffsetFetchRequest_init(req);
    req->GroupId = sl_kstr(c->conf->group_id);
    req->RequireStable = c->conf->read_committed;
    req->Topics.items = sl_arena_calloc(&op->arena, op->n, sizeof(*req->Topics.items));
    int32_t *slot = sl_arena_calloc(&op->arena, op->n, sizeof(*slot));
    if (!req->Topics.items || !slot)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < op->n; i++) {
        size_t f = first_of_topic(op, i);
        sl_OffsetFetchRequest_OffsetFetchRequestTopic_t *t;
        if (f == i) {
            slot[i] = req->Topics.count++;
            t = &req->Topics.items[slot[i]];
            sl_OffsetFetchRequest_OffsetFetchRequestTopic_init(t);
            t->Name = sl_kstr(op->parts[i].topic);
            t->PartitionIndexes.items = sl_arena_calloc(&op->arena, op->n, sizeof(int32_t));
            t->PartitionIndexes.count = 0;
            if (!t->PartitionIndexes.items)
                return SL_ERR_NOMEM;
        } else {
            slot[i] = slot[f];
            t = &req->Topics.items[slot[i]];
        }
        t->PartitionIndexes.items[t->PartitionIndexes.count++] = op->parts[i].partition;
    }
    return SL_OK;
}

static void op_send(sl_consumer_t *c, cons_op_t *op, int32_t node)
{
    sl_cl_req_t req = {.node_id = node, .max_version = -1};
    void *body;
    sl_err_t err;
    sl_cl_resp_fn *fn;
    if (op->kind == CONS_OP_COMMIT) {
        sl_OffsetCommitRequest_t *b = sl_arena_alloc(&op->arena, sizeof(*b));
        err = b ? build_commit(c, op, b) : SL_ERR_NOMEM;
        body = b;
        req.api_key = 8;
        req.min_version = 2;
        fn = commit_cb;
    } else {
        sl_OffsetFetchRequest_t *b = sl_arena_alloc(&op->arena, sizeof(*b));
        err = b ? build_fetch(c, op, b) : SL_ERR_NOMEM;
        body = b;
        req.api_key = 9;
        req.min_version = 1;
        req.max_version = 7;   /* v8 batches groups in another layout */
        fn = fetch_cb;
    }
    if (!err) {
        req.body = body;
        err = sl_cl_send(c->cl, &req, fn, op);
    }
    if (err)
        op_finish(c, op, err);
}

void sl_cons_op_start(sl_consumer_t *c, cons_op_t *op)
{
    int64_t now = sl_cl_now_ms(c->cl);
    op->deadline = now + (op->timeout_ms >= 0 ? op->timeout_ms : c->conf->request_timeout_ms);
    if (!c->conf->group_id) {
        op_finish(c, op, SL_ERR_STATE);
        return;
    }
    op_lookup(c, op);
}

void sl_cons_op_start_cl(sl_cl_t *cl, void *arg)
{
    cons_op_t *op = arg;
    (void)cl;
    sl_cons_op_start(op->c, op);
}

sl_err_t sl_cons_op_run_sync(sl_consumer_t *c, cons_op_t *op, sl_tp_offset_t *results)
{
    sl_err_t err = sl_cons_closed(c) ? SL_ERR_STATE : sl_cl_post(c->cl, sl_cons_op_start_cl, op);
    if (err) {
        sl_cons_op_free(op);
        return err;
    }
    /* The I/O thread ends the op by its deadline, but a request in flight
     * then still has up to request.timeout.ms: without a timeout of its own
     * the caller waits for that too; one that gave a timeout (close does)
     * gets the answer only if it comes by then, and the op is abandoned. */
    int64_t wait = op->timeout_ms >= 0 ? op->timeout_ms : 2 * (int64_t)c->conf->request_timeout_ms + 1000;
    int64_t end = sl_time_mono_ms() + wait;
    pthread_mutex_lock(&c->lock);
    while (!op->done) {
        int64_t left = end - sl_time_mono_ms();
        if (left <= 0) {
            op->abandoned = true;
            pthread_mutex_unlock(&c->lock);
            return SL_ERR_TIMEOUT;
        }
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += left / 1000;
        ts.tv_nsec += (left % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&c->cond, &c->lock, &ts);
    }
    pthread_mutex_unlock(&c->lock);
    err = op->err;
    if (!err && op->kind == CONS_OP_COMMIT)
        for (size_t i = 0; i < op->n && !err; i++)
            err = op->parts[i].err;
    if (results)
        for (size_t i = 0; i < op->n; i++) {
            results[i].offset = op->parts[i].offset;
            results[i].leader_epoch = op->parts[i].leader_epoch;
            results[i].err = op->parts[i].err;
        }
    sl_cons_op_free(op);
    return err;
}

cons_op_t *sl_cons_positions_op(sl_consumer_t *c, bool only_changed)
{
    size_t n = 0;
    for (cons_tp_t *tp = c->tps; tp; tp = tp->next) {
        int64_t pos = sl_cons_tp_position(c, tp);
        if (pos >= 0 && (!only_changed || pos != tp->committed))
            n++;
    }
    if (n == 0)
        return NULL;
    sl_tp_offset_t *parts = calloc(n, sizeof(*parts));
    if (!parts)
        return NULL;
    size_t i = 0;
    for (cons_tp_t *tp = c->tps; tp && i < n; tp = tp->next) {
        int64_t pos = sl_cons_tp_position(c, tp);
        if (pos < 0 || (only_changed && pos == tp->committed))
            continue;
        parts[i].topic = tp->topic;
        parts[i].partition = tp->partition;
        parts[i].offset = pos;
        pthread_mutex_lock(&c->lock);
        parts[i].leader_epoch = tp->app_leader_epoch;
        pthread_mutex_unlock(&c->lock);
        i++;
    }
    cons_op_t *op = sl_cons_op_new(c, CONS_OP_COMMIT, parts, i);
    free(parts);
    return op;
}

void sl_cons_auto_commit(sl_consumer_t *c)
{
    cons_op_t *op = sl_cons_positions_op(c, true);
    if (!op)
        return;
    op->async = true;
    sl_cons_op_start(c, op);
}
