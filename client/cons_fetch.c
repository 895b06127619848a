/*
 * cons_fetch.c - the consumer's fetcher on the I/O thread: one Fetch at a
 * time per partition leader (for every assigned, unpaused partition whose
 * prefetch queue is below max.partition.fetch.bytes, none while one of the
 * leader's partitions has a full queue), ListOffsets for
 * partitions whose position is to be reset (SL_OFFSET_BEGINNING/END,
 * auto.offset.reset), and the OffsetFetch of SL_OFFSET_STORED positions.
 * Leadership errors refresh the metadata and retry after retry.backoff.ms;
 * every answer is checked against the partition's epoch so a seek in
 * between drops it.
 */
#include <stdlib.h>
#include <string.h>

#include "consumer_int.h"

/* One partition of a request: found again by name on the answer. */
typedef struct req_part {
    cons_tp_t *tp;            /* only compared, never dereferenced unchecked */
    uint64_t epoch;
} req_part_t;

typedef struct fetch_req {
    sl_consumer_t *c;
    int32_t node;
    sl_arena_t arena;
    sl_FetchRequest_t fetch;
    sl_ListOffsetsRequest_t list;
    req_part_t *parts;
    size_t n;
} fetch_req_t;

static bool node_busy(sl_consumer_t *c, int32_t node)
{
    for (size_t i = 0; i < c->fetch_node_count; i++)
        if (c->fetch_nodes[i] == node)
            return true;
    return false;
}

static bool node_add(sl_consumer_t *c, int32_t node)
{
    if (c->fetch_node_count == c->fetch_node_cap) {
        size_t cap = c->fetch_node_cap ? c->fetch_node_cap * 2 : 8;
        int32_t *n = realloc(c->fetch_nodes, cap * sizeof(*n));
        if (!n)
            return false;
        c->fetch_nodes = n;
        c->fetch_node_cap = cap;
    }
    c->fetch_nodes[c->fetch_node_count++] = node;
    return true;
}

static void node_del(sl_consumer_t *c, int32_t node)
{
    for (size_t i = 0; i < c->fetch_node_count; i++)
        if (c->fetch_nodes[i] == node) {
            c->fetch_nodes[i] = c->fetch_nodes[--c->fetch_node_count];
            return;
        }
}

void sl_cons_fetch_fini(sl_consumer_t *c)
{
    free(c->fetch_nodes);
    c->fetch_nodes = NULL;
    c->fetch_node_count = c->fetch_node_cap = 0;
}

/* The leader of tp from the metadata cache, or -1 (a refresh is asked for
 * when the partition has no leader). A partition the metadata says does
 * not exist is reported once as an error event; it is fetched if it
 * appears later. */
static int32_t tp_leader(sl_consumer_t *c, cons_tp_t *tp)
{
    const sl_cl_topic_t *t = sl_cl_topic(c->cl, tp->topic);
    if (!t)
        return -1;
    bool missing = t->err == SL_ERR_UNKNOWN_TOPIC_OR_PARTITION || (!t->err && tp->partition >= t->partition_count);
    if (missing) {
        if (!tp->reported_missing) {
            tp->reported_missing = true;
            SL_WARN(SL_CONS_LOG, "%s [%d]: no such topic or partition", tp->topic, (int)tp->partition);
            sl_cons_error_event(c, tp->topic, tp->partition, -1, SL_ERR_UNKNOWN_TOPIC_OR_PARTITION);
        }
        return -1;
    }
    tp->reported_missing = false;
    if (t->err || t->parts[tp->partition].leader < 0) {
        sl_cl_metadata_refresh(c->cl);
        return -1;
    }
    return t->parts[tp->partition].leader;
}

static void req_free(fetch_req_t *r)
{
    sl_arena_fini(&r->arena);
    free(r);
}

static fetch_req_t *req_new(sl_consumer_t *c, int32_t node, size_t n)
{
    fetch_req_t *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->c = c;
    r->node = node;
    sl_arena_init(&r->arena, 0, 0);
    r->parts = sl_arena_calloc(&r->arena, n, sizeof(*r->parts));
    if (!r->parts) {
        req_free(r);
        return NULL;
    }
    return r;
}

/* The index of the topic named name among the first count of items (an
 * array of structs starting with an sl_kstr_t name, each size bytes). */
static int32_t topic_slot(void *items, int32_t count, size_t size, const char *name)
{
    for (int32_t i = 0; i < count; i++) {
        const sl_kstr_t *k = (const sl_kstr_t *)((char *)items + (size_t)i * size);
        if (sl_kstr_eq(*k, name))
            return i;
    }
    return -1;
}

/* Which partitions a request takes (fetchable, resettable). */
typedef bool tp_pred_fn(sl_consumer_t *c, cons_tp_t *tp, int64_t now);

/* Whether a request to node takes tp: pred accepts it and node leads it. */
static bool req_takes(sl_consumer_t *c, cons_tp_t *tp, int64_t now, tp_pred_fn *pred, int32_t node)
{
    return pred(c, tp, now) && tp_leader(c, tp) == node;
}

/* A request to node with room for every partition it takes; NULL when
 * there is none (or no memory). */
static fetch_req_t *req_for(sl_consumer_t *c, int32_t node, int64_t now, tp_pred_fn *pred, size_t *n)
{
    *n = 0;
    for (cons_tp_t *tp = c->tps; tp; tp = tp->next)
        if (req_takes(c, tp, now, pred, node))
            (*n)++;
    return *n ? req_new(c, node, *n) : NULL;
}

/* A topic name for r's request, copied: tp may go before the request is
 * written. A null ptr when out of memory. */
static sl_kstr_t req_topic(fetch_req_t *r, const char *topic)
{
    return sl_kstr(sl_arena_strndup(&r->arena, topic, strlen(topic)));
}

/* Notes tp (and its epoch, to know a stale answer) as part of r. */
static void req_add(fetch_req_t *r, cons_tp_t *tp)
{
    r->parts[r->n].tp = tp;
    r->parts[r->n].epoch = tp->epoch;
    r->n++;
}

/* Marks every partition of r as answered (the ones still assigned). */
static void req_release(sl_consumer_t *c, fetch_req_t *r, bool fetch, int64_t retry_at)
{
    for (size_t i = 0; i < r->n; i++)
        for (cons_tp_t *tp = c->tps; tp; tp = tp->next) {
            if (tp != r->parts[i].tp)
                continue;
            if (fetch && tp->fetch_owner == r)
                tp->fetch_owner = NULL;
            if (!fetch && tp->op_owner == r)
                tp->op_owner = NULL;
            if (retry_at && tp->retry_at < retry_at)
                tp->retry_at = retry_at;
        }
}

/* The request part for topic/partition of an answer whose partition is
 * still assigned at the same epoch, or NULL. */
static cons_tp_t *req_match(sl_consumer_t *c, fetch_req_t *r, sl_kstr_t topic, int32_t partition)
{
    cons_tp_t *tp = sl_cons_tp_findk(c, topic.ptr, topic.len, partition);
    if (!tp)
        return NULL;
    for (size_t i = 0; i < r->n; i++)
        if (r->parts[i].tp == tp && r->parts[i].epoch == tp->epoch)
            return tp;
    return NULL;
}

static bool leadership_error(sl_err_t err)
{
    switch (err) {
    case SL_ERR_NOT_LEADER_OR_FOLLOWER:
    case SL_ERR_LEADER_NOT_AVAILABLE:
    case SL_ERR_FENCED_LEADER_EPOCH:
    case SL_ERR_UNKNOWN_LEADER_EPOCH:
    case SL_ERR_UNKNOWN_TOPIC_OR_PARTITION:
    case SL_ERR_KAFKA_STORAGE_ERROR:
    case SL_ERR_REPLICA_NOT_AVAILABLE:
    case SL_ERR_OFFSET_NOT_AVAILABLE:
        return true;
    default:
        return false;
    }
}

/* A partition error other than OFFSET_OUT_OF_RANGE: retried later; those
 * that are not about leadership are reported once per occurrence. */
static void partition_error(sl_consumer_t *c, cons_tp_t *tp, sl_err_t err, int64_t offset)
{
    int64_t now = sl_cl_now_ms(c->cl);
    if (leadership_error(err) || sl_cl_err_retriable(err)) {
        SL_DEBUG(SL_CONS_LOG, "%s [%d]: %s: metadata refresh", tp->topic, (int)tp->partition, sl_err_name(err));
        sl_cl_metadata_refresh(c->cl);
        tp->retry_at = now + c->conf->retry_backoff_ms;
        return;
    }
    SL_WARN(SL_CONS_LOG, "%s [%d] at offset %lld: %s", tp->topic, (int)tp->partition, (long long)offset,
            sl_err_name(err));
    sl_cons_error_event(c, tp->topic, tp->partition, offset, err);
    tp->retry_at = now + 10 * (int64_t)c->conf->retry_backoff_ms;
}

/* The position is out of the log: reset by auto.offset.reset, or report
 * and stop the partition until a seek. */
static void out_of_range(sl_consumer_t *c, cons_tp_t *tp, int64_t offset)
{
    if (c->conf->auto_offset_reset) {
        SL_INFO(SL_CONS_LOG, "%s [%d]: offset %lld out of range: reset to %s", tp->topic, (int)tp->partition,
                (long long)offset, c->conf->auto_offset_reset == SL_OFFSET_BEGINNING ? "earliest" : "latest");
        sl_cons_tp_reset(c, tp, c->conf->auto_offset_reset);
    } else {
        sl_cons_error_event(c, tp->topic, tp->partition, offset, SL_ERR_OFFSET_OUT_OF_RANGE);
        tp->state = CONS_TP_HALTED;
    }
}

/* ---- Fetch ----------------------------------------------------------------- */

static void fetch_partition(sl_consumer_t *c, cons_tp_t *tp, const sl_FetchResponse_PartitionData_t *pd)
{
    sl_err_t err = (sl_err_t)pd->ErrorCode;
    if (err == SL_ERR_OFFSET_OUT_OF_RANGE) {
        out_of_range(c, tp, tp->fetch_pos);
        return;
    }
    if (err) {
        partition_error(c, tp, err, tp->fetch_pos);
        return;
    }
    cons_parse_t p = {
        .topic = tp->topic,
        .partition = tp->partition,
        .fetch_offset = tp->fetch_pos,
        .read_committed = c->conf->read_committed,
        .aborted = pd->AbortedTransactions.count > 0 ? pd->AbortedTransactions.items : NULL,
        .aborted_count = pd->AbortedTransactions.count > 0 ? pd->AbortedTransactions.count : 0,
        .scratch = &c->scratch,
    };
    p.tail = &p.head;
    size_t len = pd->Records.len > 0 ? (size_t)pd->Records.len : 0;
    err = sl_cons_parse_records(&p, pd->Records.ptr, len);
    tp->fetch_pos = p.next_offset;
    sl_cons_enqueue(c, tp, p.head, p.count, p.bytes, p.next_offset);
    if (err) {
        SL_WARN(SL_CONS_LOG, "%s", p.errmsg);
        sl_cons_error_event(c, tp->topic, tp->partition, p.next_offset, err);
        tp->state = CONS_TP_HALTED;
    }
    /* The scratch buffer grows with the largest batch; keep it bounded. */
    if (c->scratch.cap > ((size_t)8 << 20))
        sl_buf_free(&c->scratch);
}

static void fetch_cb(sl_cl_t *cl, sl_err_t err, int16_t version, const void *resp, void *arg)
{
    (void)version;
    fetch_req_t *r = arg;
    sl_consumer_t *c = r->c;
    node_del(c, r->node);
    const sl_FetchResponse_t *res = resp;
    if (!err && res->ErrorCode)
        err = (sl_err_t)res->ErrorCode;
    if (err) {
        if (err != SL_ERR_CLOSED) {
            SL_DEBUG(SL_CONS_LOG, "fetch from broker %d: %s", (int)r->node, sl_err_name(err));
            sl_cl_metadata_refresh(cl);
        }
        req_release(c, r, true, sl_cl_now_ms(cl) + c->conf->retry_backoff_ms);
        req_free(r);
        return;
    }
    for (int32_t t = 0; t < res->Responses.count; t++) {
        const sl_FetchResponse_FetchableTopicResponse_t *tr = &res->Responses.items[t];
        for (int32_t i = 0; i < tr->Partitions.count; i++) {
            const sl_FetchResponse_PartitionData_t *pd = &tr->Partitions.items[i];
            cons_tp_t *tp = req_match(c, r, tr->Topic, pd->PartitionIndex);
            if (tp && tp->fetch_owner == r && tp->state == CONS_TP_FETCH)
                fetch_partition(c, tp, pd);
        }
    }
    req_release(c, r, true, 0);
    req_free(r);
    if (!c->stopping)
        sl_cons_fetch_kick(c);
}

static bool fetchable(sl_consumer_t *c, cons_tp_t *tp, int64_t now)
{
    if (tp->state != CONS_TP_FETCH || tp->paused || tp->fetch_owner || tp->retry_at > now)
        return false;
    pthread_mutex_lock(&c->lock);
    bool room = tp->queued_bytes <= (size_t)c->conf->max_partition_fetch_bytes;
    pthread_mutex_unlock(&c->lock);
    return room;
}

/* A partition that would be fetched but for its full prefetch queue. */
static bool queue_full(sl_consumer_t *c, cons_tp_t *tp, int64_t now)
{
    if (tp->state != CONS_TP_FETCH || tp->paused || tp->fetch_owner || tp->retry_at > now)
        return false;
    return !fetchable(c, tp, now);
}

/* One Fetch to node with every fetchable partition it leads. Deferred while
 * one of them has a full queue: a request without it would hold only the
 * caught-up partitions and wait fetch.max.wait.ms at the broker, and with
 * one Fetch per node the drained partition could not be fetched again
 * before that wait ends (the application starves). The drain kicks. */
static void fetch_send(sl_consumer_t *c, int32_t node, int64_t now)
{
    size_t n;
    for (cons_tp_t *tp = c->tps; tp; tp = tp->next)
        if (req_takes(c, tp, now, queue_full, node))
            return;
    fetch_req_t *r = req_for(c, node, now, fetchable, &n);
    if (!r)
        return;
    sl_FetchRequest_t *f = &r->fetch;
    sl_FetchRequest_init(f);
    f->ReplicaId = -1;
    f->MaxWaitMs = c->conf->fetch_max_wait_ms;
    f->MinBytes = c->conf->fetch_min_bytes;
    f->MaxBytes = c->conf->fetch_max_bytes;
    f->IsolationLevel = c->conf->read_committed ? 1 : 0;
    f->SessionId = 0;
    f->SessionEpoch = -1;   /* a full fetch: no fetch session */
    f->Topics.items = sl_arena_calloc(&r->arena, n, sizeof(*f->Topics.items));
    if (!f->Topics.items) {
        req_free(r);
        return;
    }
    for (cons_tp_t *tp = c->tps; tp; tp = tp->next) {
        if (!req_takes(c, tp, now, fetchable, node))
            continue;
        int32_t ti = topic_slot(f->Topics.items, f->Topics.count, sizeof(*f->Topics.items), tp->topic);
        if (ti < 0) {
            ti = f->Topics.count++;
            sl_FetchRequest_FetchTopic_t *ft = &f->Topics.items[ti];
            sl_FetchRequest_FetchTopic_init(ft);
            ft->Topic = req_topic(r, tp->topic);
            ft->Partitions.items = sl_arena_calloc(&r->arena, n, sizeof(*ft->Partitions.items));
            if (!ft->Partitions.items || !ft->Topic.ptr) {
                req_free(r);
                return;
            }
        }
        sl_FetchRequest_FetchTopic_t *ft = &f->Topics.items[ti];
        sl_FetchRequest_FetchPartition_t *fp = &ft->Partitions.items[ft->Partitions.count++];
        sl_FetchRequest_FetchPartition_init(fp);
        fp->Partition = tp->partition;
        fp->FetchOffset = tp->fetch_pos;
        fp->PartitionMaxBytes = c->conf->max_partition_fetch_bytes;
        req_add(r, tp);
    }
    sl_cl_req_t req = {
        .api_key = 1,
        .min_version = 4,    /* isolation level and aborted transactions */
        .max_version = 12,   /* 13 names topics by id */
        .body = f,
        .node_id = node,
        /* The broker may hold the answer for fetch.max.wait.ms. */
        .timeout_ms = c->conf->request_timeout_ms + c->conf->fetch_max_wait_ms,
    };
    if (!node_add(c, node)) {
        req_free(r);
        return;
    }
    if (sl_cl_send(c->cl, &req, fetch_cb, r) != SL_OK) {
        node_del(c, node);
        req_free(r);
        return;
    }
    for (size_t i = 0; i < r->n; i++)
        r->parts[i].tp->fetch_owner = r;
}

/* ---- ListOffsets ------------------------------------------------------------ */

static void list_cb(sl_cl_t *cl, sl_err_t err, int16_t version, const void *resp, void *arg)
{
    (void)version;
    fetch_req_t *r = arg;
    sl_consumer_t *c = r->c;
    int64_t now = sl_cl_now_ms(cl);
    if (err) {
        if (err != SL_ERR_CLOSED)
            sl_cl_metadata_refresh(cl);
        req_release(c, r, false, now + c->conf->retry_backoff_ms);
        req_free(r);
        return;
    }
    const sl_ListOffsetsResponse_t *res = resp;
    for (int32_t t = 0; t < res->Topics.count; t++) {
        const sl_ListOffsetsResponse_ListOffsetsTopicResponse_t *tr = &res->Topics.items[t];
        for (int32_t i = 0; i < tr->Partitions.count; i++) {
            const sl_ListOffsetsResponse_ListOffsetsPartitionResponse_t *pr = &tr->Partitions.items[i];
            cons_tp_t *tp = req_match(c, r, tr->Name, pr->PartitionIndex);
            if (!tp || tp->op_owner != r || tp->state != CONS_TP_RESET)
                continue;
            sl_err_t perr = (sl_err_t)pr->ErrorCode;
            if (!perr && pr->Offset < 0)
                perr = SL_ERR_OFFSET_NOT_AVAILABLE;
            if (perr)
                partition_error(c, tp, perr, tp->reset_to);
            else
                sl_cons_tp_set_pos(c, tp, pr->Offset, pr->LeaderEpoch);
        }
    }
    req_release(c, r, false, 0);
    req_free(r);
    if (!c->stopping)
        sl_cons_fetch_kick(c);
}

static bool resettable(sl_consumer_t *c, cons_tp_t *tp, int64_t now)
{
    SL_UNUSED(c);
    return tp->state == CONS_TP_RESET && !tp->op_owner && tp->retry_at <= now;
}

static void list_send(sl_consumer_t *c, int32_t node, int64_t now)
{
    size_t n;
    fetch_req_t *r = req_for(c, node, now, resettable, &n);
    if (!r)
        return;
    sl_ListOffsetsRequest_t *l = &r->list;
    sl_ListOffsetsRequest_init(l);
    l->ReplicaId = -1;
    l->IsolationLevel = c->conf->read_committed ? 1 : 0;
    l->Topics.items = sl_arena_calloc(&r->arena, n, sizeof(*l->Topics.items));
    if (!l->Topics.items) {
        req_free(r);
        return;
    }
    for (cons_tp_t *tp = c->tps; tp; tp = tp->next) {
        if (!req_takes(c, tp, now, resettable, node))
            continue;
        int32_t ti = topic_slot(l->Topics.items, l->Topics.count, sizeof(*l->Topics.items), tp->topic);
        if (ti < 0) {
            ti = l->Topics.count++;
            sl_ListOffsetsRequest_ListOffsetsTopic_t *lt = &l->Topics.items[ti];
            sl_ListOffsetsRequest_ListOffsetsTopic_init(lt);
            lt->Name = req_topic(r, tp->topic);
            lt->Partitions.items = sl_arena_calloc(&r->arena, n, sizeof(*lt->Partitions.items));
            if (!lt->Partitions.items || !lt->Name.ptr) {
                req_free(r);
                return;
            }
        }
        sl_ListOffsetsRequest_ListOffsetsTopic_t *lt = &l->Topics.items[ti];
        sl_ListOffsetsRequest_ListOffsetsPartition_t *lp = &lt->Partitions.items[lt->Partitions.count++];
        sl_ListOffsetsRequest_ListOffsetsPartition_init(lp);
        lp->PartitionIndex = tp->partition;
        lp->Timestamp = tp->reset_to;   /* -2 earliest, -1 latest */
        req_add(r, tp);
    }
    sl_cl_req_t req = {
        .api_key = 2,
        .min_version = 1,    /* v0 answers with an offsets array */
        .max_version = -1,
        .body = l,
        .node_id = node,
    };
    if (sl_cl_send(c->cl, &req, list_cb, r) != SL_OK) {
        req_free(r);
        return;
    }
    for (size_t i = 0; i < r->n; i++)
        r->parts[i].tp->op_owner = r;
}

/* ---- the kick ---------------------------------------------------------------- */

/* The distinct leaders of the partitions pred accepts, each once. */
static size_t leaders(sl_consumer_t *c, int64_t now, tp_pred_fn *pred, int32_t *out, size_t cap)
{
    size_t n = 0;
    for (cons_tp_t *tp = c->tps; tp && n < cap; tp = tp->next) {
        if (!pred(c, tp, now))
            continue;
        int32_t node = tp_leader(c, tp);
        if (node < 0)
            continue;
        bool seen = false;
        for (size_t i = 0; i < n && !seen; i++)
            seen = out[i] == node;
        if (!seen)
            out[n++] = node;
    }
    return n;
}

/* Partitions waiting for their committed offset: one OffsetFetch. */
static void stored_send(sl_consumer_t *c, int64_t now)
{
    size_t n = 0;
    for (cons_tp_t *tp = c->tps; tp; tp = tp->next)
        if (tp->state == CONS_TP_STORED && !tp->op_owner && tp->retry_at <= now)
            n++;
    if (n == 0)
        return;
    sl_tp_offset_t *parts = calloc(n, sizeof(*parts));
    uint64_t *epochs = calloc(n, sizeof(*epochs));
    cons_op_t *op = NULL;
    if (parts && epochs) {
        size_t i = 0;
        for (cons_tp_t *tp = c->tps; tp; tp = tp->next)
            if (tp->state == CONS_TP_STORED && !tp->op_owner && tp->retry_at <= now) {
                parts[i].topic = tp->topic;
                parts[i].partition = tp->partition;
                epochs[i++] = tp->epoch;
            }
        op = sl_cons_op_new(c, CONS_OP_FETCH, parts, n);
    }
    free(parts);
    if (!op) {
        free(epochs);
        return;
    }
    op->internal = true;
    op->epochs = epochs;
    for (cons_tp_t *tp = c->tps; tp; tp = tp->next)
        if (tp->state == CONS_TP_STORED && !tp->op_owner && tp->retry_at <= now)
            tp->op_owner = op;
    sl_cons_op_start(c, op);
}

void sl_cons_fetch_kick(sl_consumer_t *c)
{
    if (c->stopping || !c->tps)
        return;
    int64_t now = sl_cl_now_ms(c->cl);
    int32_t nodes[64];
    stored_send(c, now);
    size_t n = leaders(c, now, resettable, nodes, 64);
    for (size_t i = 0; i < n; i++)
        list_send(c, nodes[i], now);
    n = leaders(c, now, fetchable, nodes, 64);
    for (size_t i = 0; i < n; i++)
        if (!node_busy(c, nodes[i]))
            fetch_send(c, nodes[i], now);
}
