/*
 * producer_txn.c - transactions (client.h's sl_producer_*_transaction*),
 * the Java client's calls and rules:
 *
 *   init      FindCoordinator (transaction key) and InitProducerId with the
 *             transactional.id: the producer id and epoch every batch
 *             carries, fencing older instances
 *   begin     local only
 *   send      a partition's first batch in a transaction waits until the
 *             sender added the partition (AddPartitionsToTxn)
 *   offsets   AddOffsetsToTxn to the transaction coordinator, then
 *             TxnOffsetCommit to the group's coordinator
 *   commit    flush, then EndTxn(commit); a batch that failed in the
 *             transaction makes it abortable instead
 *   abort     queued records reported SL_ERR_STATE, in-flight ones waited
 *             for, then EndTxn(abort)
 *
 * Each call runs one operation on the I/O thread (find the coordinator,
 * send, retry with retry.backoff.ms on retriable errors until the call's
 * deadline) and waits for it. PRODUCER_FENCED, INVALID_PRODUCER_EPOCH and
 * authorization failures are fatal: the producer only reports them after.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "producer_int.h"

/* ---- one operation with a coordinator ----------------------------------- */

typedef enum txn_kind {
    TXN_OP_INIT,
    TXN_OP_ADD_PARTS,
    TXN_OP_ADD_OFFSETS,
    TXN_OP_COMMIT_OFFSETS,
    TXN_OP_END,
} txn_kind_t;

typedef struct txn_op txn_op_t;
struct txn_op {
    sl_producer_t *p;
    txn_kind_t kind;
    int32_t timeout_ms;
    int64_t deadline;          /* io clock (sl_cl_now_ms); 0: not started */
    sl_arena_t arena;          /* the request of the current attempt */
    const void *body;
    /* arguments (borrowed from the waiting caller) */
    bool commit;
    const sl_tp_offset_t *offsets;
    size_t n;
    const sl_group_meta_t *meta;
    /* ADD_PARTS: the partitions asked for (io) */
    sl_prod_part_t **parts;
    size_t nparts;
    /* outcome */
    bool done;
    sl_err_t err;
    void (*on_done)(txn_op_t *op); /* io; NULL: a caller waits */
    sl_timer_id_t retry_timer;     /* io: while in p->txn_backing_off */
    txn_op_t *next_backing_off;
};

static void op_start(sl_cl_t *cl, void *arg);

static bool err_fatal(sl_err_t err)
{
    return err == SL_ERR_PRODUCER_FENCED || err == SL_ERR_INVALID_PRODUCER_EPOCH ||
           err == SL_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED || err == SL_ERR_CLUSTER_AUTHORIZATION_FAILED ||
           err == SL_ERR_INVALID_PRODUCER_ID_MAPPING || err == SL_ERR_UNSUPPORTED_VERSION ||
           err == SL_ERR_UNSUPPORTED || err == SL_ERR_INVALID_TRANSACTION_TIMEOUT;
}

static bool err_coord_moved(sl_err_t err)
{
    return err == SL_ERR_NOT_COORDINATOR || err == SL_ERR_COORDINATOR_NOT_AVAILABLE;
}

static bool err_retry(sl_err_t err)
{
    return err_coord_moved(err) || err == SL_ERR_COORDINATOR_LOAD_IN_PROGRESS ||
           err == SL_ERR_CONCURRENT_TRANSACTIONS || err == SL_ERR_REQUEST_TIMED_OUT ||
           err == SL_ERR_TIMEOUT || err == SL_ERR_NETWORK_EXCEPTION || err == SL_ERR_UNKNOWN_TOPIC_OR_PARTITION ||
           (sl_cl_err_retriable(err) && !err_fatal(err));
}

static void op_finish(txn_op_t *op, sl_err_t err)
{
    sl_producer_t *p = op->p;
    if (err_fatal(err))
        sl_prod_set_fatal(p, err, "the transaction coordinator refused the producer");
    sl_arena_fini(&op->arena);
    if (op->on_done) {
        op->err = err;
        op->done = true;
        op->on_done(op);
        return;
    }
    pthread_mutex_lock(&p->txn_mu);
    op->err = err;
    op->done = true;
    pthread_cond_broadcast(&p->txn_cond);
    pthread_mutex_unlock(&p->txn_mu);
}

/* Takes op off the list of operations backing off. */
static void backing_off_remove(txn_op_t *op)
{
    for (txn_op_t **pp = &op->p->txn_backing_off; *pp; pp = &(*pp)->next_backing_off)
        if (*pp == op) {
            *pp = op->next_backing_off;
            break;
        }
    op->next_backing_off = NULL;
}

static void op_retry_timer(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    SL_UNUSED(loop);
    SL_UNUSED(id);
    txn_op_t *op = arg;
    backing_off_remove(op);
    op_start(op->p->cl, op);
}

void sl_prod_txn_close(sl_producer_t *p)
{
    while (p->txn_backing_off) {
        txn_op_t *op = p->txn_backing_off;
        backing_off_remove(op);
        sl_loop_timer_cancel(sl_cl_loop(p->cl), op->retry_timer);
        op_finish(op, SL_ERR_CLOSED);
    }
}

/* A retriable answer: again after retry.backoff.ms, unless the deadline
 * passed (then the last error, or TIMEOUT for transport errors). */
static void op_again(txn_op_t *op, sl_err_t err)
{
    sl_cl_t *cl = op->p->cl;
    if (err_coord_moved(err))
        sl_cl_coord_forget(cl, op->kind == TXN_OP_COMMIT_OFFSETS ? 0 : 1,
                           op->kind == TXN_OP_COMMIT_OFFSETS ? op->meta->group_id : op->p->conf->transactional_id);
    int64_t backoff = op->p->conf->retry_backoff_ms;
    if (sl_cl_now_ms(cl) + backoff >= op->deadline) {
        op_finish(op, err == SL_ERR_NETWORK_EXCEPTION || err == SL_ERR_REQUEST_TIMED_OUT ? SL_ERR_TIMEOUT : err);
        return;
    }
    if (sl_loop_timer_add(sl_cl_loop(cl), backoff, false, op_retry_timer, op, &op->retry_timer) != SL_OK) {
        op_finish(op, SL_ERR_NOMEM);
        return;
    }
    op->next_backing_off = op->p->txn_backing_off;
    op->p->txn_backing_off = op;
}

static sl_kstr_t kstr(const char *s)
{
    sl_kstr_t k = {s, s ? (int32_t)strlen(s) : -1};
    return k;
}

/* The error of an answer, by kind (the first failing partition for the
 * per-partition answers; ADD_PARTS handles its partitions itself). */
static sl_err_t answer_err(txn_op_t *op, const void *resp)
{
    sl_producer_t *p = op->p;
    switch (op->kind) {
    case TXN_OP_INIT: {
        const sl_InitProducerIdResponse_t *r = resp;
        if (r->ErrorCode == 0) {
            p->pid = r->ProducerId;
            p->epoch = r->ProducerEpoch;
        }
        return (sl_err_t)r->ErrorCode;
    }
    case TXN_OP_ADD_OFFSETS:
        return (sl_err_t)((const sl_AddOffsetsToTxnResponse_t *)resp)->ErrorCode;
    case TXN_OP_END:
        return (sl_err_t)((const sl_EndTxnResponse_t *)resp)->ErrorCode;
    case TXN_OP_COMMIT_OFFSETS: {
        const sl_TxnOffsetCommitResponse_t *r = resp;
        for (int32_t i = 0; i < r->Topics.count; i++)
            for (int32_t j = 0; j < r->Topics.items[i].Partitions.count; j++)
                if (r->Topics.items[i].Partitions.items[j].ErrorCode != 0)
                    return (sl_err_t)r->Topics.items[i].Partitions.items[j].ErrorCode;
        return SL_OK;
    }
    case TXN_OP_ADD_PARTS: {
        const sl_AddPartitionsToTxnResponse_t *r = resp;
        sl_err_t first = SL_OK;
        for (int32_t i = 0; i < r->Results.count; i++)
            for (int32_t j = 0; j < r->Results.items[i].Results.count; j++) {
                sl_err_t e = (sl_err_t)r->Results.items[i].Results.items[j].ErrorCode;
                /* OPERATION_NOT_ATTEMPTED: another partition's error stopped it. */
                if (e != SL_OK && (first == SL_OK || first == SL_ERR_OPERATION_NOT_ATTEMPTED))
                    first = e;
            }
        return first;
    }
    }
    return SL_ERR_INVAL;
}

static void on_answer(sl_cl_t *cl, sl_err_t err, int16_t version, const void *resp, void *arg)
{
    SL_UNUSED(cl);
    SL_UNUSED(version);
    txn_op_t *op = arg;
    if (err == SL_ERR_CLOSED) {
        op_finish(op, err);
        return;
    }
    if (err == SL_OK)
        err = answer_err(op, resp);
    if (err != SL_OK && err_retry(err)) {
        op_again(op, err);
        return;
    }
    op_finish(op, err);
}

/* A request body of desc's message in op->arena, initialised, as op's
 * body with its api key in *key; NULL when out of memory. */
static void *new_body(txn_op_t *op, const sl_msg_desc_t *desc, int16_t *key)
{
    void *body = sl_arena_zalloc(&op->arena, desc->size);
    if (!body)
        return NULL;
    desc->init(body);
    op->body = body;
    *key = desc->api_key;
    return body;
}

/* The transactional id, producer id and epoch that every request after
 * InitProducerId carries (the generated structs name them alike). */
#define SET_TXN_IDS(r, tid, p)                                                                     \
    do {                                                                                           \
        (r)->TransactionalId = (tid);                                                              \
        (r)->ProducerId = (p)->pid;                                                                \
        (r)->ProducerEpoch = (p)->epoch;                                                           \
    } while (0)

/* Builds the request of op in op->arena; its api key in *key. */
static sl_err_t build(txn_op_t *op, int16_t *key)
{
    sl_producer_t *p = op->p;
    sl_arena_t *a = &op->arena;
    sl_kstr_t tid = kstr(p->conf->transactional_id);
    switch (op->kind) {
    case TXN_OP_INIT: {
        sl_InitProducerIdRequest_t *r = new_body(op, &sl_InitProducerIdRequest_desc, key);
        if (!r)
            return SL_ERR_NOMEM;
        r->TransactionalId = tid;
        r->TransactionTimeoutMs = p->conf->transaction_timeout_ms;
        return SL_OK;
    }
    case TXN_OP_ADD_OFFSETS: {
        sl_AddOffsetsToTxnRequest_t *r = new_body(op, &sl_AddOffsetsToTxnRequest_desc, key);
        if (!r)
            return SL_ERR_NOMEM;
        SET_TXN_IDS(r, tid, p);
        r->GroupId = kstr(op->meta->group_id);
        return SL_OK;
    }
    case TXN_OP_END: {
        sl_EndTxnRequest_t *r = new_body(op, &sl_EndTxnRequest_desc, key);
        if (!r)
            return SL_ERR_NOMEM;
        SET_TXN_IDS(r, tid, p);
        r->Committed = op->commit;
        return SL_OK;
    }
    case TXN_OP_COMMIT_OFFSETS: {
        sl_TxnOffsetCommitRequest_t *r = new_body(op, &sl_TxnOffsetCommitRequest_desc, key);
        sl_TxnOffsetCommitRequest_TxnOffsetCommitRequestTopic_t *ts = sl_arena_calloc(a, op->n, sizeof(*ts));
        sl_TxnOffsetCommitRequest_TxnOffsetCommitRequestPartition_t *ps = sl_arena_calloc(a, op->n, sizeof(*ps));
        if (!r || (op->n && (!ts || !ps)))
            return SL_ERR_NOMEM;
        SET_TXN_IDS(r, tid, p);
        r->GroupId = kstr(op->meta->group_id);
        r->GenerationId = op->meta->generation_id;
        r->MemberId = kstr(op->meta->member_id ? op->meta->member_id : "");
        r->GroupInstanceId = kstr(op->meta->group_instance_id);
        int32_t nt = 0;
        for (size_t i = 0; i < op->n; i++) {
            const sl_tp_offset_t *o = &op->offsets[i];
            int32_t t;
            for (t = 0; t < nt && strcmp(ts[t].Name.ptr, o->topic) != 0; t++)
                ;
            if (t == nt) {
                sl_TxnOffsetCommitRequest_TxnOffsetCommitRequestTopic_init(&ts[nt]);
                ts[nt].Name = kstr(o->topic);
                /* Partitions of one topic are gathered in order below. */
                nt++;
            }
        }
        size_t k = 0;
        for (int32_t t = 0; t < nt; t++) {
            ts[t].Partitions.items = &ps[k];
            for (size_t i = 0; i < op->n; i++) {
                const sl_tp_offset_t *o = &op->offsets[i];
                if (strcmp(o->topic, ts[t].Name.ptr) != 0)
                    continue;
                sl_TxnOffsetCommitRequest_TxnOffsetCommitRequestPartition_init(&ps[k]);
                ps[k].PartitionIndex = o->partition;
                ps[k].CommittedOffset = o->offset;
                ps[k].CommittedLeaderEpoch = o->leader_epoch;
                ps[k].CommittedMetadata = kstr(o->metadata ? o->metadata : "");
                ts[t].Partitions.count++;
                k++;
            }
        }
        r->Topics.count = nt;
        r->Topics.items = ts;
        return SL_OK;
    }
    case TXN_OP_ADD_PARTS: {
        sl_AddPartitionsToTxnRequest_t *r = new_body(op, &sl_AddPartitionsToTxnRequest_desc, key);
        sl_AddPartitionsToTxnRequest_AddPartitionsToTxnTopic_t *ts = sl_arena_calloc(a, op->nparts, sizeof(*ts));
        int32_t *ids = sl_arena_calloc(a, op->nparts, sizeof(*ids));
        if (!r || !ts || !ids)
            return SL_ERR_NOMEM;
        SET_TXN_IDS(r, tid, p);
        int32_t nt = 0;
        size_t k = 0;
        /* parts are gathered topic by topic (see add_parts_start). */
        for (size_t i = 0; i < op->nparts; i++) {
            sl_prod_part_t *part = op->parts[i];
            if (nt == 0 || ts[nt - 1].Name.ptr != part->topic->name) {
                sl_AddPartitionsToTxnRequest_AddPartitionsToTxnTopic_init(&ts[nt]);
                ts[nt].Name = kstr(part->topic->name);
                ts[nt].Partitions.items = &ids[k];
                nt++;
            }
            ids[k++] = part->id;
            ts[nt - 1].Partitions.count++;
        }
        r->Topics.count = nt;
        r->Topics.items = ts;
        return SL_OK;
    }
    }
    return SL_ERR_INVAL;
}

static void on_coord(sl_cl_t *cl, sl_err_t err, int32_t node, void *arg)
{
    txn_op_t *op = arg;
    if (err != SL_OK) {
        if (err_retry(err) && sl_cl_now_ms(cl) < op->deadline)
            op_again(op, err);
        else
            op_finish(op, err == SL_ERR_NETWORK_EXCEPTION ? SL_ERR_TIMEOUT : err);
        return;
    }
    sl_arena_reset(&op->arena);
    int16_t key = 0;
    err = build(op, &key);
    if (err != SL_OK) {
        op_finish(op, err);
        return;
    }
    sl_cl_req_t req = {.api_key = key, .min_version = 0, .max_version = -1, .body = op->body, .node_id = node};
    if (sl_cl_send(cl, &req, on_answer, op) != SL_OK)
        op_finish(op, SL_ERR_NOMEM);
}

static void op_start(sl_cl_t *cl, void *arg)
{
    txn_op_t *op = arg;
    if (op->deadline == 0) {
        op->deadline = sl_cl_now_ms(cl) + op->timeout_ms;
        sl_arena_init(&op->arena, 0, 0);
    }
    if (atomic_load(&op->p->fatal) != 0 && op->kind != TXN_OP_INIT) {
        op_finish(op, (sl_err_t)atomic_load(&op->p->fatal));
        return;
    }
    bool group = op->kind == TXN_OP_COMMIT_OFFSETS;
    sl_err_t err = sl_cl_coord_find(cl, group ? 0 : 1, group ? op->meta->group_id : op->p->conf->transactional_id,
                                    op->deadline, on_coord, op);
    if (err != SL_OK)
        op_finish(op, err);
}

/* Runs op on the I/O thread and waits for its end. app. */
static sl_err_t op_run(sl_producer_t *p, txn_op_t *op)
{
    op->p = p;
    sl_err_t err = sl_cl_post(p->cl, op_start, op);
    if (err != SL_OK)
        return err;
    pthread_mutex_lock(&p->txn_mu);
    while (!op->done)
        pthread_cond_wait(&p->txn_cond, &p->txn_mu);
    pthread_mutex_unlock(&p->txn_mu);
    return op->err;
}

/* ---- adding partitions (the sender's, on the I/O thread) ---------------- */

static void fail_part_batches(sl_producer_t *p, sl_prod_part_t *part, sl_err_t err)
{
    sl_prod_accum_lock(&p->accum);
    sl_list_t pending;
    sl_list_init(&pending);
    sl_list_t *pos, *tmp;
    sl_list_foreach_safe(pos, tmp, &part->queue) {
        sl_list_remove(pos);
        sl_list_insert_tail(&pending, pos);
    }
    sl_prod_accum_unlock(&p->accum);
    sl_list_foreach_safe(pos, tmp, &pending) {
        sl_list_remove(pos);
        sl_prod_complete(p, sl_container_of(pos, sl_prod_batch_t, link), err, false);
    }
}

static void add_parts_done(txn_op_t *op)
{
    sl_producer_t *p = op->p;
    sl_err_t err = op->err;
    if (err == SL_OK) {
        sl_prod_accum_lock(&p->accum);
        for (size_t i = 0; i < op->nparts; i++)
            op->parts[i]->in_txn = true;
        sl_prod_accum_unlock(&p->accum);
        p->txn_started = true;
    } else if (err != SL_ERR_CLOSED) {
        /* The transaction cannot commit now: what waits for these partitions fails. */
        sl_prod_txn_abortable(p, err);
        for (size_t i = 0; i < op->nparts; i++)
            fail_part_batches(p, op->parts[i], err);
    }
    free(op->parts);
    free(op);
    p->adding = false;
    if (err != SL_ERR_CLOSED)
        sl_prod_wake(p);
}

static int cmp_part(const void *x, const void *y)
{
    const sl_prod_part_t *a = *(sl_prod_part_t *const *)x, *b = *(sl_prod_part_t *const *)y;
    int c = strcmp(a->topic->name, b->topic->name);
    return c ? c : (a->id > b->id) - (a->id < b->id);
}

void sl_prod_txn_add_partitions(sl_producer_t *p)
{
    if (p->adding || p->pid_state != SL_PROD_PID_OK)
        return;
    txn_op_t *op = calloc(1, sizeof(*op));
    if (!op)
        return;
    size_t cap = 0;
    sl_prod_accum_lock(&p->accum);
    size_t it = 0;
    sl_prod_topic_t *t;
    while ((t = sl_prod_accum_next_topic(&p->accum, &it)) != NULL) {
        for (int32_t i = 0; i < t->parts_cap; i++) {
            sl_prod_part_t *part = t->parts[i];
            if (!part || part->in_txn || sl_list_empty(&part->queue))
                continue;
            if (op->nparts == cap) {
                size_t ncap = cap ? cap * 2 : 8;
                sl_prod_part_t **np = realloc(op->parts, ncap * sizeof(*np));
                if (!np)
                    break;
                op->parts = np;
                cap = ncap;
            }
            op->parts[op->nparts++] = part;
        }
    }
    sl_prod_accum_unlock(&p->accum);
    p->txn_need_add = false;
    if (op->nparts == 0) {
        free(op->parts);
        free(op);
        return;
    }
    qsort(op->parts, op->nparts, sizeof(*op->parts), cmp_part);
    op->kind = TXN_OP_ADD_PARTS;
    op->p = p;
    op->timeout_ms = p->conf->delivery_timeout_ms;
    op->on_done = add_parts_done;
    p->adding = true;
    op_start(p->cl, op);
}

void sl_prod_txn_abortable(sl_producer_t *p, sl_err_t err)
{
    int expected = 0;
    atomic_compare_exchange_strong(&p->txn_err, &expected, (int)err);
}

bool sl_prod_txn_send_allowed(sl_producer_t *p)
{
    return p->conf->transactional_id == NULL || atomic_load(&p->txn_state) == SL_PROD_TXN_IN;
}

/* ---- the calls ---------------------------------------------------------- */

static int32_t call_timeout(sl_producer_t *p, int timeout_ms)
{
    return timeout_ms < 0 ? p->conf->transaction_timeout_ms : timeout_ms;
}

/* The state check every call starts with. */
static sl_err_t txn_check(sl_producer_t *p)
{
    if (!p)
        return SL_ERR_INVAL;
    if (!p->conf->transactional_id)
        return SL_ERR_STATE;
    sl_err_t fatal = (sl_err_t)atomic_load(&p->fatal);
    return fatal != SL_OK ? fatal : SL_OK;
}

/* txn_check, then SL_ERR_STATE unless the transaction state is state. */
static sl_err_t txn_check_state(sl_producer_t *p, int state)
{
    sl_err_t err = txn_check(p);
    if (err != SL_OK)
        return err;
    return atomic_load(&p->txn_state) != state ? SL_ERR_STATE : SL_OK;
}

/* The end of a call that leaves the producer ready for a transaction:
 * done on the I/O thread, then the state. */
static sl_err_t txn_ready(sl_producer_t *p, sl_cl_fn *done)
{
    sl_err_t err = sl_cl_call(p->cl, done, p);
    if (err != SL_OK)
        return err;
    atomic_store(&p->txn_state, SL_PROD_TXN_READY);
    return SL_OK;
}

static void init_done_io(sl_cl_t *cl, void *arg)
{
    SL_UNUSED(cl);
    sl_producer_t *p = arg;
    p->pid_state = SL_PROD_PID_OK;
    p->bump = false;
    sl_prod_reset_sequences(p);
}

sl_err_t sl_producer_init_transactions(sl_producer_t *p, int timeout_ms)
{
    sl_err_t err = txn_check_state(p, SL_PROD_TXN_UNINIT);
    if (err != SL_OK)
        return err;
    txn_op_t op = {.kind = TXN_OP_INIT, .timeout_ms = call_timeout(p, timeout_ms)};
    err = op_run(p, &op);
    if (err != SL_OK)
        return err;
    return txn_ready(p, init_done_io);
}

sl_err_t sl_producer_begin_transaction(sl_producer_t *p)
{
    sl_err_t err = txn_check(p);
    if (err != SL_OK)
        return err;
    int want = SL_PROD_TXN_READY;
    if (!atomic_compare_exchange_strong(&p->txn_state, &want, SL_PROD_TXN_IN))
        return SL_ERR_STATE;
    atomic_store(&p->txn_err, 0);
    return SL_OK;
}

static void mark_started(sl_cl_t *cl, void *arg)
{
    SL_UNUSED(cl);
    sl_producer_t *p = arg;
    p->txn_started = true;
}

sl_err_t sl_producer_send_offsets_to_transaction(sl_producer_t *p, const sl_tp_offset_t *offsets, size_t n,
                                                 const sl_group_meta_t *meta, int timeout_ms)
{
    sl_err_t err = txn_check(p);
    if (err != SL_OK)
        return err;
    if (!meta || !meta->group_id || (n > 0 && !offsets))
        return SL_ERR_INVAL;
    for (size_t i = 0; i < n; i++)
        if (!offsets[i].topic)
            return SL_ERR_INVAL;
    if (atomic_load(&p->txn_state) != SL_PROD_TXN_IN)
        return SL_ERR_STATE;
    int32_t tmo = call_timeout(p, timeout_ms);
    txn_op_t add = {.kind = TXN_OP_ADD_OFFSETS, .timeout_ms = tmo, .meta = meta};
    err = op_run(p, &add);
    if (err == SL_OK)
        (void)sl_cl_call(p->cl, mark_started, p);
    if (err == SL_OK && n > 0) {
        txn_op_t commit = {.kind = TXN_OP_COMMIT_OFFSETS, .timeout_ms = tmo, .meta = meta, .offsets = offsets,
                           .n = n};
        err = op_run(p, &commit);
    }
    if (err != SL_OK && err != SL_ERR_TIMEOUT && atomic_load(&p->fatal) == 0)
        sl_prod_txn_abortable(p, err);
    return err;
}

static void end_prepare_io(sl_cl_t *cl, void *arg)
{
    SL_UNUSED(cl);
    sl_producer_t *p = arg;
    p->txn_end_needed = p->txn_started;
    p->txn_adding_seen = p->adding;
}

static void part_leave_txn(sl_prod_part_t *part, void *arg)
{
    SL_UNUSED(arg);
    part->in_txn = false;
}

static void end_done_io(sl_cl_t *cl, void *arg)
{
    SL_UNUSED(cl);
    sl_producer_t *p = arg;
    p->txn_started = false;
    sl_prod_accum_lock(&p->accum);
    sl_prod_accum_each_part(&p->accum, part_leave_txn, NULL);
    sl_prod_accum_unlock(&p->accum);
}

/* EndTxn when the coordinator knows of the transaction, then the local
 * end. */
static sl_err_t end_txn(sl_producer_t *p, bool commit, int32_t tmo)
{
    /* An AddPartitionsToTxn still on its way decides whether the
     * coordinator has a transaction to end: wait for its answer. */
    int64_t deadline = sl_time_mono_ms() + tmo;
    sl_err_t err;
    for (;;) {
        if ((err = sl_cl_call(p->cl, end_prepare_io, p)) != SL_OK)
            return err;
        if (!p->txn_adding_seen)
            break;
        if (sl_time_mono_ms() >= deadline)
            return SL_ERR_TIMEOUT;
        struct timespec ts = {0, 5 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (p->txn_end_needed) {
        txn_op_t op = {.kind = TXN_OP_END, .timeout_ms = tmo, .commit = commit};
        err = op_run(p, &op);
        if (err != SL_OK)
            return err;
    }
    return txn_ready(p, end_done_io);
}

sl_err_t sl_producer_commit_transaction(sl_producer_t *p, int timeout_ms)
{
    sl_err_t err = txn_check_state(p, SL_PROD_TXN_IN);
    if (err != SL_OK)
        return err;
    int32_t tmo = call_timeout(p, timeout_ms);
    err = sl_producer_flush(p, tmo);
    if (err != SL_OK)
        return err;
    if ((err = (sl_err_t)atomic_load(&p->fatal)) != SL_OK)
        return err;
    sl_err_t abortable = (sl_err_t)atomic_load(&p->txn_err);
    if (abortable != SL_OK)
        return abortable; /* the transaction must be aborted */
    return end_txn(p, true, tmo);
}

typedef struct bump_ask {
    sl_producer_t *p;
    bool bump;
} bump_ask_t;

static void bump_needed_io(sl_cl_t *cl, void *arg)
{
    SL_UNUSED(cl);
    bump_ask_t *a = arg;
    a->bump = a->p->bump;
}

static void drop_queued_io(sl_cl_t *cl, void *arg)
{
    SL_UNUSED(cl);
    sl_prod_fail_queued(arg, SL_ERR_STATE);
}

sl_err_t sl_producer_abort_transaction(sl_producer_t *p, int timeout_ms)
{
    sl_err_t err = txn_check_state(p, SL_PROD_TXN_IN);
    if (err != SL_OK)
        return err;
    int32_t tmo = call_timeout(p, timeout_ms);
    err = sl_cl_call(p->cl, drop_queued_io, p);
    if (err != SL_OK)
        return err;
    err = sl_producer_flush(p, tmo); /* what is in flight */
    if (err != SL_OK)
        return err;
    err = end_txn(p, false, tmo);
    if (err != SL_OK)
        return err;
    /* A failed batch left a gap in its partition's sequences: a new epoch
     * (InitProducerId again) starts them over, as the Java client does. */
    bump_ask_t ask = {p, false};
    if ((err = sl_cl_call(p->cl, bump_needed_io, &ask)) != SL_OK || !ask.bump)
        return err;
    txn_op_t op = {.kind = TXN_OP_INIT, .timeout_ms = tmo};
    if ((err = op_run(p, &op)) != SL_OK)
        return err;
    return sl_cl_call(p->cl, init_done_io, p);
}
