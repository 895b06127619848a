/*
 * prod_sender.c - the producer's I/O-thread half: takes ready batches from
 * the accumulator, one Produce request per leader (v3+, record batch v2),
 * and turns the answers into delivery reports. Retriable errors put a batch
 * back in its queue, in sequence order, after retry.backoff.ms and a
 * metadata refresh; nothing is dropped before delivery.timeout.ms. With
 * idempotence the producer id comes from InitProducerId before anything is
 * sent, each batch gets its partition's next sequence when first sent and
 * keeps it on retries, DUPLICATE_SEQUENCE_NUMBER counts as delivered, and a
 * sequence that cannot be recovered (a batch failed or expired after it got
 * one, OUT_OF_ORDER_SEQUENCE_NUMBER not explained by an earlier retry, or
 * UNKNOWN_PRODUCER_ID: the broker forgot the producer, and the batch is
 * retried) bumps the epoch as the Java client does: wait until nothing is
 * in flight, InitProducerId with the current id and epoch, and start every
 * partition's sequences again at 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "producer_int.h"

#define TAKE_MAX 512

static void sender_run(sl_producer_t *p);

/* ---- delivery reports --------------------------------------------------- */

typedef struct dr_event {
    sl_cl_event_t ev;
    sl_list_t link;          /* in p->closed while closing */
    sl_prod_batch_t *b;
    char *topic;
    int32_t partition;
} dr_event_t;

static void dr_run(sl_cl_event_t *ev, void *arg)
{
    dr_event_t *e = (dr_event_t *)ev;
    sl_prod_report(arg, e->b, e->topic, e->partition);
    e->b = NULL;
}

static void dr_free(sl_cl_event_t *ev)
{
    dr_event_t *e = (dr_event_t *)ev;
    sl_prod_batch_free(e->b);
    free(e->topic);
    free(e);
}

/* Fills the messages of one record for the report; headers converted into
 * hdrs (grown as needed) with NUL-terminated keys in keys. */
static void report_record(sl_producer_t *p, sl_message_t *m, const sl_record_t *rec,
                          sl_msg_header_t **hdrs, size_t *hcap, sl_buf_t *keys)
{
    m->key = rec->key;
    m->key_len = rec->key_len;
    m->value = rec->value;
    m->value_len = rec->value_len;
    m->headers = NULL;
    m->header_count = 0;
    size_t nh = rec->header_count > 0 ? (size_t)rec->header_count : 0;
    if (nh == 0)
        return;
    if (nh > *hcap) {
        sl_msg_header_t *nhdr = realloc(*hdrs, nh * sizeof(*nhdr));
        if (!nhdr)
            return;
        *hdrs = nhdr;
        *hcap = nh;
    }
    sl_buf_reset(keys);
    sl_header_iter_t hi;
    sl_header_t h;
    size_t i = 0;
    sl_header_iter_init(&hi, rec);
    while (i < nh && sl_header_iter_next(&hi, &h)) {
        /* The key's offset in keys for now: keys may still move. */
        (*hdrs)[i].key = (const char *)(uintptr_t)keys->len;
        sl_buf_put(keys, h.key, h.key_len);
        sl_buf_put_u8(keys, 0);
        (*hdrs)[i].value = h.value;
        (*hdrs)[i].value_len = h.value_len;
        i++;
    }
    if (sl_buf_err(keys) != SL_OK)
        return;
    for (size_t j = 0; j < i; j++)
        (*hdrs)[j].key = (const char *)keys->data + (uintptr_t)(*hdrs)[j].key;
    m->headers = *hdrs;
    m->header_count = i;
    SL_UNUSED(p);
}

void sl_prod_report(sl_producer_t *p, sl_prod_batch_t *b, const char *topic, int32_t partition)
{
    int32_t count = b->count;
    if (p->dr) {
        sl_message_t m;
        memset(&m, 0, sizeof(m));
        m.topic = topic;
        m.partition = partition;
        m.leader_epoch = -1;
        m.err = b->err;
        sl_batch_t hdr;
        sl_record_iter_t it;
        sl_buf_t scratch = SL_BUF_INIT, keys = SL_BUF_INIT;
        sl_msg_header_t *hdrs = NULL;
        size_t hcap = 0;
        bool readable = sl_batch_peek(b->buf.data, b->buf.len, &hdr, NULL, 0) == SL_OK &&
                        sl_record_iter_init(&it, &hdr, &scratch, 0) == SL_OK;
        for (int32_t i = 0; i < count; i++) {
            sl_record_t rec;
            m.offset = b->err == SL_OK && b->base_offset >= 0 ? b->base_offset + i : -1;
            if (readable && sl_record_iter_next(&it, &rec) == SL_OK) {
                report_record(p, &m, &rec, &hdrs, &hcap, &keys);
                m.timestamp = rec.timestamp;
            } else {
                readable = false;
                m.key = m.value = NULL;
                m.key_len = m.value_len = -1;
                m.headers = NULL;
                m.header_count = 0;
                m.timestamp = -1;
            }
            m.timestamp_type = 0;
            if (b->log_append_ms >= 0) {
                m.timestamp = b->log_append_ms;
                m.timestamp_type = 1;
            }
            m.opaque = b->opaques[i];
            p->dr(p, &m, p->dr_arg);
            atomic_fetch_add(&p->reported, 1);
        }
        free(hdrs);
        sl_buf_free(&keys);
        sl_buf_free(&scratch);
    }
    atomic_fetch_sub(&p->outq, (size_t)count);
    sl_prod_batch_free(b);
}

void sl_prod_complete(sl_producer_t *p, sl_prod_batch_t *b, sl_err_t err, bool in_flight)
{
    b->err = err;
    if (err != SL_OK && p->conf->transactional_id)
        sl_prod_txn_abortable(p, err);
    if (b->building)
        (void)sl_prod_batch_close(b);
    sl_prod_accum_lock(&p->accum);
    if (b->part) {
        if (in_flight)
            b->part->inflight--;
        if (err == SL_OK && b->part->hold && b->part->inflight == 0) {
            sl_prod_batch_t *head = sl_list_empty(&b->part->queue)
                                        ? NULL
                                        : sl_container_of(b->part->queue.next, sl_prod_batch_t, link);
            if (!head || head->attempts == 0)
                b->part->hold = false;
        }
    }
    sl_prod_accum_release(&p->accum, b);
    sl_prod_accum_unlock(&p->accum);
    if (!p->dr) {
        atomic_fetch_sub(&p->outq, (size_t)b->count);
        sl_prod_batch_free(b);
        return;
    }
    dr_event_t *e = calloc(1, sizeof(*e));
    const char *topic = b->part ? b->part->topic->name : "";
    if (e)
        e->topic = strdup(topic);
    if (!e || !e->topic) {
        /* No memory for the report: it is lost, but the count stays right. */
        SL_ERROR(SL_PROD_MODULE, "producer: no memory for a delivery report of %d records", b->count);
        atomic_fetch_sub(&p->outq, (size_t)b->count);
        sl_prod_batch_free(b);
        free(e);
        return;
    }
    e->ev.run = dr_run;
    e->ev.free = dr_free;
    e->b = b;
    e->partition = b->part ? b->part->id : -1;
    if (atomic_load(&p->closing)) {
        sl_prod_accum_lock(&p->accum);
        sl_list_insert_tail(&p->closed, &e->link);
        sl_prod_accum_unlock(&p->accum);
    } else {
        sl_cl_event_push(p->cl, &e->ev);
    }
}

void sl_prod_report_closed(sl_producer_t *p)
{
    for (;;) {
        sl_prod_accum_lock(&p->accum);
        dr_event_t *e = NULL;
        if (!sl_list_empty(&p->closed)) {
            e = sl_container_of(p->closed.next, dr_event_t, link);
            sl_list_remove(&e->link);
        }
        sl_prod_accum_unlock(&p->accum);
        if (!e)
            return;
        dr_run(&e->ev, p);
        dr_free(&e->ev);
    }
}

/* ---- metadata ----------------------------------------------------------- */

/* Copies the core's view of every topic the producer uses into the
 * accumulator (partition counts and availability for the partitioner). */
static void on_metadata(sl_cl_t *cl, void *arg)
{
    sl_producer_t *p = arg;
    sl_prod_accum_lock(&p->accum);
    size_t it = 0;
    sl_prod_topic_t *t;
    while ((t = sl_prod_accum_next_topic(&p->accum, &it)) != NULL) {
        const sl_cl_topic_t *mt = sl_cl_topic(cl, t->name);
        if (!mt) {
            p->need_meta = true;
            continue;
        }
        if (mt->err != SL_OK || mt->partition_count <= 0) {
            p->need_meta = true; /* keep asking until max.block.ms ends the wait */
            sl_prod_accum_set_partitions(&p->accum, t, -1, NULL,
                                         mt->err != SL_OK ? mt->err : SL_ERR_UNKNOWN_TOPIC_OR_PARTITION);
            continue;
        }
        bool stack[256];
        bool *avail = mt->partition_count <= 256 ? stack : malloc((size_t)mt->partition_count);
        if (!avail)
            continue;
        for (int32_t i = 0; i < mt->partition_count; i++)
            avail[i] = mt->parts[i].leader >= 0;
        sl_prod_accum_set_partitions(&p->accum, t, mt->partition_count, avail, SL_OK);
        if (avail != stack)
            free(avail);
    }
    sl_prod_accum_unlock(&p->accum);
    sender_run(p);
}

/* A topic a sender waits for: ask the core (which refreshes). io. */
typedef struct topic_ask {
    sl_producer_t *p;
    char name[];
} topic_ask_t;

static void ask_topic(sl_cl_t *cl, void *arg)
{
    topic_ask_t *a = arg;
    (void)sl_cl_topic(cl, a->name);
    a->p->need_meta = true;
    on_metadata(cl, a->p);
    free(a);
}

void sl_prod_ask_topic(sl_producer_t *p, const char *name)
{
    size_t n = strlen(name);
    topic_ask_t *a = malloc(sizeof(*a) + n + 1);
    if (!a)
        return;
    a->p = p;
    memcpy(a->name, name, n + 1);
    if (sl_cl_post(p->cl, ask_topic, a) != SL_OK)
        free(a);
}

void sl_prod_sender_start(sl_cl_t *cl, void *arg)
{
    sl_producer_t *p = arg;
    /* As the Java producer: a topic it sends to may be created by asking. */
    sl_cl_metadata_set_auto_create(cl, true);
    if (sl_cl_metadata_listen(cl, on_metadata, p) == SL_OK)
        p->listening = true;
}

/* ---- waking ------------------------------------------------------------- */

static void posted_run(sl_cl_t *cl, void *arg)
{
    SL_UNUSED(cl);
    sl_producer_t *p = arg;
    atomic_store(&p->wake_pending, false);
    sender_run(p);
}

void sl_prod_wake(sl_producer_t *p)
{
    if (atomic_exchange(&p->wake_pending, true))
        return;
    if (sl_cl_post(p->cl, posted_run, p) != SL_OK)
        atomic_store(&p->wake_pending, false);
}

static void on_timer(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    SL_UNUSED(loop);
    sl_producer_t *p = arg;
    if (p->timer == id) {
        p->timer = 0;
        p->timer_at = INT64_MAX;
    }
    sender_run(p);
}

static void arm_timer(sl_producer_t *p, int64_t at, int64_t now)
{
    if (at == INT64_MAX || (p->timer && p->timer_at <= at))
        return;
    if (p->timer)
        sl_loop_timer_cancel(sl_cl_loop(p->cl), p->timer);
    p->timer = 0;
    if (sl_loop_timer_add(sl_cl_loop(p->cl), at > now ? at - now : 0, false, on_timer, p, &p->timer) == SL_OK)
        p->timer_at = at;
}

/* ---- failures that stop everything -------------------------------------- */

typedef struct collect {
    sl_prod_batch_t **v;
    size_t n, cap;
    int64_t before;          /* expiry: created before this; INT64_MAX: all */
} collect_t;

static void collect_batch(sl_prod_batch_t *b, void *arg)
{
    collect_t *c = arg;
    if (b->created_ms >= c->before)
        return;
    if (c->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 16;
        sl_prod_batch_t **nv = realloc(c->v, ncap * sizeof(*nv));
        if (!nv)
            return;
        c->v = nv;
        c->cap = ncap;
    }
    sl_list_remove(&b->link);
    c->v[c->n++] = b;
}

/* Takes every queued batch created before `before` out of its queue.
 * Batches that had a sequence of the current epoch leave a gap: bump. */
static void fail_queued(sl_producer_t *p, int64_t before, sl_err_t err)
{
    collect_t c = {NULL, 0, 0, before};
    sl_prod_accum_lock(&p->accum);
    sl_prod_accum_foreach(&p->accum, collect_batch, &c);
    sl_prod_accum_unlock(&p->accum);
    for (size_t i = 0; i < c.n; i++) {
        sl_prod_batch_t *b = c.v[i];
        if (p->idempotent && b->base_seq >= 0 && b->epoch == p->epoch && b->pid == p->pid) {
            p->bump = true;
            b->part->disrupt++;
        }
        sl_prod_complete(p, b, err, false);
    }
    free(c.v);
}

void sl_prod_fail_queued(sl_producer_t *p, sl_err_t err)
{
    fail_queued(p, INT64_MAX, err);
}

void sl_prod_set_fatal(sl_producer_t *p, sl_err_t err, const char *why)
{
    int expected = 0;
    if (atomic_compare_exchange_strong(&p->fatal, &expected, (int)err))
        SL_ERROR(SL_PROD_MODULE, "producer: fatal error %s: %s", sl_err_name(err), why);
    fail_queued(p, INT64_MAX, err);
}

void sl_prod_sender_close(sl_cl_t *cl, void *arg)
{
    SL_UNUSED(cl);
    sl_producer_t *p = arg;
    sl_prod_accum_lock(&p->accum);
    p->accum.closing = true;
    pthread_cond_broadcast(&p->accum.cond);
    sl_prod_accum_unlock(&p->accum);
    fail_queued(p, INT64_MAX, SL_ERR_CLOSED);
    if (p->timer)
        sl_loop_timer_cancel(sl_cl_loop(p->cl), p->timer);
    p->timer = 0;
    sl_prod_txn_close(p);
}

/* ---- InitProducerId ----------------------------------------------------- */

typedef struct pid_req {
    sl_producer_t *p;
    sl_InitProducerIdRequest_t body;
} pid_req_t;

static void pid_prepare(void *body, int16_t version, void *arg)
{
    SL_UNUSED(arg);
    sl_InitProducerIdRequest_t *r = body;
    if (version < 3) {
        /* Before v3 there is no bump: a new id comes instead. */
        r->ProducerId = -1;
        r->ProducerEpoch = -1;
    }
}

/* No usable answer (lost connection, timeout, an answer that does not
 * decode): the broker may or may not have the records, so they go again
 * (idempotence drops the duplicates). */
static bool err_is_transport(sl_err_t err)
{
    return err == SL_ERR_TIMEOUT || err == SL_ERR_NETWORK_EXCEPTION || err == SL_ERR_REQUEST_TIMED_OUT ||
           err == SL_ERR_PARSE;
}

static void on_pid(sl_cl_t *cl, sl_err_t err, int16_t version, const void *resp, void *arg)
{
    SL_UNUSED(cl);
    SL_UNUSED(version);
    pid_req_t *r = arg;
    sl_producer_t *p = r->p;
    free(r);
    if (err == SL_ERR_CLOSED)
        return;
    const sl_InitProducerIdResponse_t *res = resp;
    if (err == SL_OK && res->ErrorCode != 0)
        err = (sl_err_t)res->ErrorCode;
    if (err == SL_OK) {
        p->pid = res->ProducerId;
        p->epoch = res->ProducerEpoch;
        p->pid_state = SL_PROD_PID_OK;
        p->bump = false;
        SL_DEBUG(SL_PROD_MODULE, "producer: id %lld epoch %d", (long long)p->pid, p->epoch);
        sl_prod_reset_sequences(p);
        sender_run(p);
        return;
    }
    p->pid_state = SL_PROD_PID_NONE;
    if (err_is_transport(err) || sl_cl_err_retriable(err) || err == SL_ERR_COORDINATOR_NOT_AVAILABLE ||
        err == SL_ERR_NOT_COORDINATOR || err == SL_ERR_COORDINATOR_LOAD_IN_PROGRESS) {
        SL_DEBUG(SL_PROD_MODULE, "producer: InitProducerId: %s, retrying", sl_err_name(err));
        p->pid_retry_at = sl_time_mono_ms() + p->conf->retry_backoff_ms;
        arm_timer(p, p->pid_retry_at, sl_time_mono_ms());
        return;
    }
    char why[160];
    if (err == SL_ERR_UNSUPPORTED)
        snprintf(why, sizeof(why), "the broker does not support InitProducerId (idempotence needs "
                                   "Kafka 0.11 or later; set enable.idempotence=false)");
    else
        snprintf(why, sizeof(why), "InitProducerId failed: %s", sl_err_str(err));
    sl_prod_set_fatal(p, err == SL_ERR_UNSUPPORTED ? SL_ERR_UNSUPPORTED_VERSION : err, why);
}

static void part_reset_seq(sl_prod_part_t *part, void *arg)
{
    SL_UNUSED(arg);
    part->next_seq = 0;
}

void sl_prod_reset_sequences(sl_producer_t *p)
{
    sl_prod_accum_lock(&p->accum);
    sl_prod_accum_each_part(&p->accum, part_reset_seq, NULL);
    sl_prod_accum_unlock(&p->accum);
}

static void ask_pid(sl_producer_t *p)
{
    pid_req_t *r = calloc(1, sizeof(*r));
    if (!r)
        return;
    r->p = p;
    sl_InitProducerIdRequest_init(&r->body);
    r->body.TransactionalId.ptr = NULL;
    r->body.TransactionalId.len = -1;
    r->body.TransactionTimeoutMs = p->conf->transaction_timeout_ms;
    if (p->bump && p->pid >= 0) {
        r->body.ProducerId = p->pid;
        r->body.ProducerEpoch = p->epoch;
    }
    sl_cl_req_t req = {.api_key = 22, .min_version = 0, .max_version = -1, .body = &r->body,
                       .node_id = SL_CL_NODE_ANY, .prepare = pid_prepare};
    p->pid_state = SL_PROD_PID_ASKING;
    if (sl_cl_send(p->cl, &req, on_pid, r) != SL_OK) {
        free(r);
        p->pid_state = SL_PROD_PID_NONE;
        p->pid_retry_at = sl_time_mono_ms() + p->conf->retry_backoff_ms;
        arm_timer(p, p->pid_retry_at, sl_time_mono_ms());
    }
}

/* ---- Produce ------------------------------------------------------------ */

typedef struct prod_req {
    sl_producer_t *p;
    int32_t node;
    sl_ProduceRequest_t body;
    sl_ProduceRequest_TopicProduceData_t *topics;
    sl_ProduceRequest_PartitionProduceData_t *parts;
    sl_prod_batch_t **batches;
    size_t n;
} prod_req_t;

static void prod_req_free(prod_req_t *r)
{
    free(r->topics);
    free(r->parts);
    free(r->batches);
    free(r);
}

static bool err_needs_metadata(sl_err_t err)
{
    return err == SL_ERR_NOT_LEADER_OR_FOLLOWER || err == SL_ERR_LEADER_NOT_AVAILABLE ||
           err == SL_ERR_UNKNOWN_TOPIC_OR_PARTITION || err == SL_ERR_FENCED_LEADER_EPOCH ||
           err == SL_ERR_UNKNOWN_LEADER_EPOCH || err == SL_ERR_KAFKA_STORAGE_ERROR ||
           err == SL_ERR_NOT_ENOUGH_REPLICAS || err_is_transport(err);
}

/* The outcome of one batch of an answered (or failed) request. */
static void batch_done(sl_producer_t *p, sl_prod_batch_t *b, sl_err_t err, int64_t now)
{
    sl_prod_part_t *part = b->part;
    if (err == SL_OK || err == SL_ERR_DUPLICATE_SEQUENCE_NUMBER) {
        if (err != SL_OK)
            b->base_offset = -1;
        sl_prod_complete(p, b, SL_OK, true);
        return;
    }
    bool seq_ok = p->idempotent && b->base_seq >= 0;
    /* An earlier batch of this partition failed or went back after this one
     * was sent: the broker saw a gap, which the retry closes. */
    bool gap_explained = seq_ok && b->disrupt != part->disrupt &&
                         (err == SL_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER || err == SL_ERR_UNKNOWN_PRODUCER_ID ||
                          err == SL_ERR_INVALID_PRODUCER_EPOCH);
    bool retriable = err_is_transport(err) || sl_cl_err_retriable(err) || gap_explained;
    if (seq_ok && !gap_explained && err == SL_ERR_UNKNOWN_PRODUCER_ID && !p->conf->transactional_id) {
        /* The broker forgot this producer (its records all expired): a new
         * epoch starts the sequences over and the batch goes again, as the
         * Java client does. */
        p->bump = true;
        retriable = true;
    }
    if (err == SL_ERR_UNSUPPORTED) {
        SL_ERROR(SL_PROD_MODULE, "producer: broker %d does not support Produce v3 or later (record "
                 "batch v2, Kafka 0.11+)", b->node);
        err = SL_ERR_UNSUPPORTED_VERSION;
        retriable = false;
    }
    if (err == SL_ERR_CLOSED)
        retriable = false;
    if (err_needs_metadata(err))
        sl_cl_metadata_refresh(p->cl);
    if (retriable && now < b->created_ms + p->conf->delivery_timeout_ms &&
        b->attempts <= p->conf->retries) {
        SL_DEBUG(SL_PROD_MODULE, "producer: %s [%d]: %s, retrying (attempt %d)", part->topic->name, part->id,
                 sl_err_name(err), b->attempts + 1);
        b->retry_at_ms = now + p->conf->retry_backoff_ms;
        b->err = err;
        sl_prod_accum_lock(&p->accum);
        part->disrupt++;
        sl_prod_accum_requeue(&p->accum, b);
        sl_prod_accum_unlock(&p->accum);
        return;
    }
    if (retriable && b->err != SL_OK && err_is_transport(err))
        err = b->err; /* the broker's last word says more than a timeout */
    if (err_is_transport(err) || gap_explained)
        err = SL_ERR_TIMEOUT;
    if (err == SL_ERR_PRODUCER_FENCED || err == SL_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED ||
        err == SL_ERR_CLUSTER_AUTHORIZATION_FAILED) {
        sl_prod_complete(p, b, err, true);
        sl_prod_set_fatal(p, err, "the broker refused the producer");
        return;
    }
    if (seq_ok && err != SL_ERR_CLOSED) {
        /* The sequence has a hole now: start again with a new epoch. */
        sl_prod_accum_lock(&p->accum);
        part->disrupt++;
        sl_prod_accum_unlock(&p->accum);
        p->bump = true;
    }
    SL_DEBUG(SL_PROD_MODULE, "producer: %s [%d]: %d records failed: %s", part->topic->name, part->id, b->count,
             sl_err_name(err));
    sl_prod_complete(p, b, err, true);
}

static const sl_ProduceResponse_PartitionProduceResponse_t *
find_part(const sl_ProduceResponse_t *res, const char *topic, int32_t id)
{
    size_t tl = strlen(topic);
    for (int32_t i = 0; i < res->Responses.count; i++) {
        const sl_ProduceResponse_TopicProduceResponse_t *t = &res->Responses.items[i];
        if (t->Name.len != (int32_t)tl || memcmp(t->Name.ptr, topic, tl) != 0)
            continue;
        for (int32_t j = 0; j < t->PartitionResponses.count; j++)
            if (t->PartitionResponses.items[j].Index == id)
                return &t->PartitionResponses.items[j];
    }
    return NULL;
}

static void on_produce(sl_cl_t *cl, sl_err_t err, int16_t version, const void *resp, void *arg)
{
    SL_UNUSED(cl);
    SL_UNUSED(version);
    prod_req_t *r = arg;
    sl_producer_t *p = r->p;
    const sl_ProduceResponse_t *res = resp;
    int64_t now = sl_time_mono_ms();
    p->inflight_reqs--;
    for (size_t i = 0; i < r->n; i++) {
        sl_prod_batch_t *b = r->batches[i];
        sl_err_t berr = err;
        if (err == SL_OK && res) {
            const sl_ProduceResponse_PartitionProduceResponse_t *pr =
                find_part(res, b->part->topic->name, b->part->id);
            if (!pr) {
                berr = SL_ERR_NETWORK_EXCEPTION; /* an answer without our partition */
            } else {
                berr = (sl_err_t)pr->ErrorCode;
                b->base_offset = pr->BaseOffset;
                b->log_append_ms = pr->LogAppendTimeMs;
            }
        } else if (err == SL_OK) {
            b->base_offset = -1; /* acks=0 */
        }
        batch_done(p, b, berr, now);
    }
    prod_req_free(r);
    if (err != SL_ERR_CLOSED)
        sender_run(p);
}

static int32_t leader_of(sl_prod_part_t *part, void *arg)
{
    sl_producer_t *p = arg;
    if (p->conf->transactional_id && !part->in_txn) {
        /* Its first batch of the transaction waits for AddPartitionsToTxn. */
        p->txn_need_add = true;
        return -1;
    }
    const sl_cl_topic_t *t = sl_cl_topic(p->cl, part->topic->name);
    if (!t || t->err != SL_OK || part->id >= t->partition_count || t->parts[part->id].leader < 0) {
        p->need_meta = true;
        return -1;
    }
    return t->parts[part->id].leader;
}

/* Sends takes[0..n) (all for node) as one Produce request. */
static void send_request(sl_producer_t *p, int32_t node, sl_prod_take_t *takes, size_t n)
{
    prod_req_t *r = calloc(1, sizeof(*r));
    if (r) {
        r->topics = calloc(n, sizeof(*r->topics));
        r->parts = calloc(n, sizeof(*r->parts));
        r->batches = calloc(n, sizeof(*r->batches));
    }
    if (!r || !r->topics || !r->parts || !r->batches) {
        if (r)
            prod_req_free(r);
        for (size_t i = 0; i < n; i++)
            batch_done(p, takes[i].batch, SL_ERR_NOMEM, sl_time_mono_ms());
        return;
    }
    r->p = p;
    r->node = node;
    r->n = n;
    sl_ProduceRequest_init(&r->body);
    r->body.TransactionalId.ptr = p->conf->transactional_id;
    r->body.TransactionalId.len = p->conf->transactional_id ? (int32_t)strlen(p->conf->transactional_id) : -1;
    r->body.Acks = p->conf->acks;
    r->body.TimeoutMs = p->conf->request_timeout_ms;
    int32_t nt = 0;
    const sl_prod_topic_t *cur = NULL;
    for (size_t i = 0; i < n; i++) {
        sl_prod_batch_t *b = takes[i].batch;
        b->node = node;
        r->batches[i] = b;
        if (b->part->topic != cur) {
            /* Batches of one topic come together (drain walks topic by topic). */
            cur = b->part->topic;
            sl_ProduceRequest_TopicProduceData_init(&r->topics[nt]);
            r->topics[nt].Name.ptr = cur->name;
            r->topics[nt].Name.len = (int32_t)strlen(cur->name);
            r->topics[nt].PartitionData.items = &r->parts[i];
            nt++;
        }
        sl_ProduceRequest_PartitionProduceData_init(&r->parts[i]);
        r->parts[i].Index = b->part->id;
        r->parts[i].Records.ptr = b->buf.data;
        r->parts[i].Records.len = (int32_t)b->buf.len;
        r->topics[nt - 1].PartitionData.count++;
    }
    r->body.TopicData.count = nt;
    r->body.TopicData.items = r->topics;
    sl_cl_req_t req = {.api_key = 0, .min_version = 3, .max_version = -1, .body = &r->body,
                       .node_id = node, .no_response = p->conf->acks == 0};
    p->inflight_reqs++;
    if (sl_cl_send(p->cl, &req, on_produce, r) != SL_OK) {
        p->inflight_reqs--;
        r->n = 0;
        prod_req_free(r);
        for (size_t i = 0; i < n; i++)
            batch_done(p, takes[i].batch, SL_ERR_NETWORK_EXCEPTION, sl_time_mono_ms());
    }
}

/* Closes a taken batch and stamps the producer state on it; false (with
 * b->err) when its bytes could not be finished. */
static bool prepare_batch(sl_producer_t *p, sl_prod_batch_t *b)
{
    sl_err_t err = sl_prod_batch_close(b);
    if (err != SL_OK) {
        b->err = err;
        return false;
    }
    b->attempts++;
    b->disrupt = b->part->disrupt;
    if (!p->idempotent)
        return true;
    if (b->base_seq < 0 || b->pid != p->pid || b->epoch != p->epoch) {
        int32_t seq = b->part->next_seq;
        b->part->next_seq = (int32_t)(((uint32_t)seq + (uint32_t)b->count) & 0x7fffffff);
        sl_prod_batch_set_producer(b, p->pid, p->epoch, seq);
    }
    return true;
}

/* By node, then topic (so one topic's partitions sit together in a request). */
static int cmp_take(const void *x, const void *y)
{
    const sl_prod_take_t *a = x, *b = y;
    if (a->node != b->node)
        return (a->node > b->node) - (a->node < b->node);
    uintptr_t ta = (uintptr_t)a->batch->part->topic, tb = (uintptr_t)b->batch->part->topic;
    if (ta != tb)
        return (ta > tb) - (ta < tb);
    return (a->batch->part->id > b->batch->part->id) - (a->batch->part->id < b->batch->part->id);
}

static void sender_run(sl_producer_t *p)
{
    if (atomic_load(&p->closing))
        return;
    int64_t now = sl_time_mono_ms();
    int64_t next = INT64_MAX;
    sl_err_t fatal = (sl_err_t)atomic_load(&p->fatal);
    if (fatal != SL_OK) {
        fail_queued(p, INT64_MAX, fatal);
        return;
    }
    /* delivery.timeout.ms for what is still queued (a walk over every
     * queued batch: not more often than every 50 ms). */
    if (now - p->last_expiry_ms >= 50) {
        p->last_expiry_ms = now;
        fail_queued(p, now - p->conf->delivery_timeout_ms + 1, SL_ERR_TIMEOUT);
    }

    if (p->need_meta && now - p->last_refresh_ms >= p->conf->retry_backoff_ms) {
        p->need_meta = false;
        p->last_refresh_ms = now;
        sl_cl_metadata_refresh(p->cl);
    }
    bool can_send = true;
    if (p->conf->transactional_id) {
        /* The id comes from init_transactions; a gap in the sequences is
         * mended when the transaction is aborted. */
        can_send = p->pid_state == SL_PROD_PID_OK;
    } else if (p->idempotent && (p->pid_state != SL_PROD_PID_OK || p->bump)) {
        can_send = false;
        if (p->pid_state != SL_PROD_PID_ASKING && p->inflight_reqs == 0) {
            if (now >= p->pid_retry_at)
                ask_pid(p);
            else
                next = p->pid_retry_at;
        }
    }
    sl_prod_take_t tk[TAKE_MAX];
    sl_prod_drain_ops_t ops = {leader_of, NULL, p};
    for (int round = 0; can_send; round++) {
        if (round == 16) {
            /* More is ready than one run sends: go on after other work. */
            sl_prod_wake(p);
            break;
        }
        sl_prod_accum_lock(&p->accum);
        size_t n = sl_prod_accum_drain(&p->accum, now, &ops, tk, TAKE_MAX, &next);
        sl_prod_accum_unlock(&p->accum);
        if (n == 0)
            break;
        size_t kept = 0;
        for (size_t i = 0; i < n; i++) {
            if (prepare_batch(p, tk[i].batch))
                tk[kept++] = tk[i];
            else
                batch_done(p, tk[i].batch, tk[i].batch->err, now);
        }
        n = kept;
        qsort(tk, n, sizeof(*tk), cmp_take);
        size_t i = 0;
        while (i < n) {
            size_t j = i;
            while (j < n && tk[j].node == tk[i].node)
                j++;
            send_request(p, tk[i].node, tk + i, j - i);
            i = j;
        }
    }
    if (p->txn_need_add)
        sl_prod_txn_add_partitions(p);
    if (p->need_meta) {
        int64_t at = p->last_refresh_ms + p->conf->retry_backoff_ms;
        if (at < next)
            next = at;
    }
    /* The oldest queued batch's delivery timeout. */
    arm_timer(p, next, now);
}
