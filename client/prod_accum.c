/*
 * prod_accum.c - the producer's accumulator: records are appended to the
 * open batch of their partition (a records.h batch builder, compressed with
 * compression.type when closed), a batch is cut at batch.size (a single
 * larger record gets a batch of its own), and it becomes ready to send when
 * full, when linger.ms passed since its first record, or when a flush,
 * blocked senders or closing ask for everything. buffer.memory bounds the
 * bytes of records not yet completed: an append waits for room until its
 * deadline. The sender takes ready batches per leader within
 * max.request.size. No I/O; time comes in as arguments.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "producer_int.h"

sl_err_t sl_prod_accum_init(sl_prod_accum_t *a, const sl_prod_accum_conf_t *conf)
{
    memset(a, 0, sizeof(*a));
    a->conf = *conf;
    if (a->conf.max_inflight < 1)
        a->conf.max_inflight = 1;
    sl_map_init(&a->topics);
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0)
        return SL_ERR_NOMEM;
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&a->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (rc != 0)
        return SL_ERR_NOMEM;
    if (pthread_mutex_init(&a->mu, NULL) != 0) {
        pthread_cond_destroy(&a->cond);
        return SL_ERR_NOMEM;
    }
    return SL_OK;
}

static void topic_free(void *v)
{
    sl_prod_topic_t *t = v;
    for (int32_t i = 0; i < t->parts_cap; i++) {
        sl_prod_part_t *p = t->parts[i];
        if (!p)
            continue;
        sl_list_t *pos, *tmp;
        sl_list_foreach_safe(pos, tmp, &p->queue) {
            sl_prod_batch_t *b = sl_container_of(pos, sl_prod_batch_t, link);
            sl_list_remove(&b->link);
            sl_prod_batch_free(b);
        }
        free(p);
    }
    free(t->parts);
    free(t->available);
    free(t->name);
    free(t);
}

void sl_prod_accum_fini(sl_prod_accum_t *a)
{
    sl_map_fini(&a->topics, topic_free);
    pthread_cond_destroy(&a->cond);
    pthread_mutex_destroy(&a->mu);
}

sl_prod_topic_t *sl_prod_accum_topic(sl_prod_accum_t *a, const char *name, bool create)
{
    sl_prod_topic_t *t = sl_map_gets(&a->topics, name);
    if (t || !create)
        return t;
    t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->name = strdup(name);
    t->count = -1;
    if (!t->name || sl_map_put(&a->topics, name, strlen(name), t, NULL) != SL_OK) {
        free(t->name);
        free(t);
        return NULL;
    }
    return t;
}

sl_err_t sl_prod_accum_set_partitions(sl_prod_accum_t *a, sl_prod_topic_t *t, int32_t count,
                                      const bool *available, sl_err_t err)
{
    if (count < 0) {
        if (t->count < 0)
            t->err = err;
        pthread_cond_broadcast(&a->cond);
        return SL_OK;
    }
    if (count < t->count)
        count = t->count;
    if (count > t->parts_cap) {
        sl_prod_part_t **np = realloc(t->parts, (size_t)count * sizeof(*np));
        if (!np)
            return SL_ERR_NOMEM;
        memset(np + t->parts_cap, 0, (size_t)(count - t->parts_cap) * sizeof(*np));
        t->parts = np;
        bool *na = realloc(t->available, (size_t)count * sizeof(*na));
        if (!na)
            return SL_ERR_NOMEM;
        t->available = na;
        t->parts_cap = count;
    }
    for (int32_t i = 0; i < count; i++)
        t->available[i] = available ? available[i] : true;
    t->count = count;
    t->err = SL_OK;
    pthread_cond_broadcast(&a->cond);
    return SL_OK;
}

sl_prod_part_t *sl_prod_accum_part(sl_prod_accum_t *a, sl_prod_topic_t *t, int32_t id)
{
    SL_UNUSED(a);
    if (id < 0 || id >= t->count)
        return NULL;
    sl_prod_part_t *p = t->parts[id];
    if (p)
        return p;
    p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->topic = t;
    p->id = id;
    sl_list_init(&p->queue);
    t->parts[id] = p;
    return p;
}

size_t sl_prod_rec_size(const sl_prod_rec_t *r)
{
    /* A record's framing is at most 5 + 1 + 10 + 5 + 5 + 5 + 5 bytes; each
     * header adds two lengths of at most 5. */
    size_t n = 36;
    if (r->key && r->key_len > 0)
        n += (size_t)r->key_len;
    if (r->value && r->value_len > 0)
        n += (size_t)r->value_len;
    for (size_t i = 0; i < r->header_count; i++) {
        n += 10 + r->headers[i].key_len;
        if (r->headers[i].value_len > 0)
            n += (size_t)r->headers[i].value_len;
    }
    return n;
}

static sl_err_t batch_add(sl_prod_batch_t *b, const sl_prod_rec_t *r, size_t rsize);

static sl_prod_batch_t *batch_new(const sl_prod_accum_t *a, sl_prod_part_t *part, int64_t now_ms)
{
    sl_prod_batch_t *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    sl_buf_init(&b->buf);
    sl_batch_opts_t opts;
    sl_batch_opts_init(&opts);
    opts.compression = a->conf.compression;
    opts.transactional = a->conf.transactional;
    if (sl_batch_builder_begin(&b->bld, &b->buf, &opts) != SL_OK) {
        free(b);
        return NULL;
    }
    b->building = true;
    b->part = part;
    b->created_ms = now_ms;
    b->pid = SL_NO_PRODUCER_ID;
    b->epoch = SL_NO_PRODUCER_EPOCH;
    b->base_seq = SL_NO_SEQUENCE;
    b->node = -1;
    b->base_offset = -1;
    b->log_append_ms = -1;
    b->mem = SL_BATCH_HEADER_SIZE;
    return b;
}

sl_err_t sl_prod_batch_single(const sl_prod_accum_t *a, const sl_prod_rec_t *r, sl_prod_batch_t **out)
{
    sl_prod_batch_t *b = batch_new(a, NULL, 0);
    if (!b)
        return SL_ERR_NOMEM;
    sl_err_t err = batch_add(b, r, sl_prod_rec_size(r));
    if (err == SL_OK)
        err = sl_prod_batch_close(b);
    b->mem = 0; /* never charged */
    if (err != SL_OK) {
        sl_prod_batch_free(b);
        return err;
    }
    *out = b;
    return SL_OK;
}

void sl_prod_batch_free(sl_prod_batch_t *b)
{
    if (!b)
        return;
    if (b->building)
        sl_batch_builder_abort(&b->bld);
    sl_buf_free(&b->buf);
    free(b->opaques);
    free(b);
}

/* The open batch of part: the last one queued, if it takes records. */
static sl_prod_batch_t *open_batch(sl_prod_part_t *part)
{
    if (sl_list_empty(&part->queue))
        return NULL;
    sl_prod_batch_t *b = sl_container_of(part->queue.prev, sl_prod_batch_t, link);
    return b->building && !b->full ? b : NULL;
}

static bool fits(const sl_prod_accum_t *a, const sl_prod_batch_t *b, size_t rsize)
{
    return sl_batch_builder_size(&b->bld) + rsize <= (size_t)a->conf.batch_size;
}

/* Waits until need more bytes fit in buffer.memory or the deadline. */
static sl_err_t wait_memory(sl_prod_accum_t *a, size_t need, int64_t deadline_ms)
{
    if ((int64_t)need > a->conf.buffer_memory)
        return SL_ERR_MESSAGE_TOO_LARGE;
    while (a->mem_used + (int64_t)need > a->conf.buffer_memory) {
        if (a->closing)
            return SL_ERR_CLOSED;
        int64_t now = sl_time_mono_ms();
        if (now >= deadline_ms)
            return SL_ERR_AGAIN;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t wait = deadline_ms - now;
        ts.tv_sec += wait / 1000;
        ts.tv_nsec += (long)(wait % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        a->mem_waiters++;
        pthread_cond_timedwait(&a->cond, &a->mu, &ts);
        a->mem_waiters--;
    }
    return SL_OK;
}

static sl_err_t batch_add(sl_prod_batch_t *b, const sl_prod_rec_t *r, size_t rsize)
{
    if (b->count == b->opaques_cap) {
        int32_t ncap = b->opaques_cap ? b->opaques_cap * 2 : 16;
        void **no = realloc(b->opaques, (size_t)ncap * sizeof(*no));
        if (!no)
            return SL_ERR_NOMEM;
        b->opaques = no;
        b->opaques_cap = ncap;
    }
    sl_err_t err = sl_batch_builder_add(&b->bld, r->timestamp, r->key, r->key ? r->key_len : -1, r->value,
                                        r->value ? r->value_len : -1, r->headers, r->header_count);
    if (err != SL_OK)
        return err;
    b->opaques[b->count++] = r->opaque;
    b->mem += rsize;
    return SL_OK;
}

sl_err_t sl_prod_accum_append(sl_prod_accum_t *a, sl_prod_part_t *part, const sl_prod_rec_t *r,
                              bool ask_first, int64_t now_ms, int64_t deadline_ms,
                              sl_prod_append_res_t *res)
{
    size_t rsize = sl_prod_rec_size(r);
    for (;;) {
        if (a->closing)
            return SL_ERR_CLOSED;
        sl_prod_batch_t *b = open_batch(part);
        if (b && !fits(a, b, rsize) && b->count > 0) {
            b->full = true;
            b = NULL;
        }
        size_t need = rsize + (b ? 0 : SL_BATCH_HEADER_SIZE);
        if (a->mem_used + (int64_t)need > a->conf.buffer_memory) {
            /* Waiting releases the lock: the queue may change meanwhile. */
            sl_err_t err = wait_memory(a, need, deadline_ms);
            if (err != SL_OK)
                return err;
            continue;
        }
        if (!b) {
            if (ask_first) {
                *res = SL_PROD_NEEDS_BATCH;
                return SL_OK;
            }
            b = batch_new(a, part, now_ms);
            if (!b)
                return SL_ERR_NOMEM;
            sl_err_t err = batch_add(b, r, rsize);
            if (err != SL_OK) {
                sl_prod_batch_free(b);
                return err;
            }
            sl_list_insert_tail(&part->queue, &b->link);
            a->mem_used += (int64_t)b->mem;
            *res = SL_PROD_NEW_BATCH;
        } else {
            sl_err_t err = batch_add(b, r, rsize);
            if (err != SL_OK)
                return err;
            a->mem_used += (int64_t)rsize;
            *res = SL_PROD_APPENDED;
        }
        if (!fits(a, b, 0))
            b->full = true;
        return SL_OK;
    }
}

void sl_prod_accum_release(sl_prod_accum_t *a, sl_prod_batch_t *b)
{
    a->mem_used -= (int64_t)b->mem;
    b->mem = 0;
    if (a->mem_waiters > 0)
        pthread_cond_broadcast(&a->cond);
}

bool sl_prod_accum_head_ready(const sl_prod_accum_t *a, const sl_prod_part_t *part, int64_t now_ms,
                              int64_t *next_ms)
{
    if (sl_list_empty(&part->queue))
        return false;
    const sl_prod_batch_t *b = sl_container_of(part->queue.next, sl_prod_batch_t, link);
    int64_t at;
    if (b->retry_at_ms > 0)
        at = b->retry_at_ms;
    else if (b->full || !b->building || part->queue.next != part->queue.prev || a->flushing > 0 ||
             a->mem_waiters > 0 || a->closing)
        at = 0;
    else
        at = b->created_ms + a->conf.linger_ms;
    if (at <= now_ms)
        return true;
    if (next_ms && at < *next_ms)
        *next_ms = at;
    return false;
}

/* Bytes a batch adds to a request: its size so far (before compression,
 * so an upper bound) plus the partition's framing. */
static size_t take_size(const sl_prod_batch_t *b)
{
    size_t n = b->building ? sl_batch_builder_size(&b->bld) : b->buf.len;
    return n + 16;
}

typedef struct node_budget {
    int32_t node;
    size_t used;
} node_budget_t;

size_t sl_prod_accum_drain(sl_prod_accum_t *a, int64_t now_ms, const sl_prod_drain_ops_t *ops,
                           sl_prod_take_t *out, size_t cap, int64_t *next_ms)
{
    node_budget_t budgets[64];
    size_t nb = 0, n = 0;
    size_t it = 0;
    sl_prod_topic_t *t;
    while (n < cap && (t = sl_prod_accum_next_topic(a, &it)) != NULL) {
        for (int32_t i = 0; i < t->parts_cap && n < cap; i++) {
            sl_prod_part_t *p = t->parts[i];
            if (!p || sl_list_empty(&p->queue))
                continue;
            /* One batch per partition per request, as Kafka expects. */
            int32_t limit = p->hold ? 1 : a->conf.max_inflight;
            if (p->inflight >= limit)
                continue;
            if (!sl_prod_accum_head_ready(a, p, now_ms, next_ms))
                continue;
            int32_t node = ops->leader(p, ops->arg);
            if (node < 0 || (ops->node_ok && !ops->node_ok(node, ops->arg)))
                continue;
            sl_prod_batch_t *b = sl_container_of(p->queue.next, sl_prod_batch_t, link);
            size_t sz = take_size(b);
            size_t j;
            for (j = 0; j < nb && budgets[j].node != node; j++)
                ;
            if (j == nb) {
                if (nb == SL_ARRAY_LEN(budgets))
                    continue;
                budgets[nb].node = node;
                budgets[nb].used = 0;
                nb++;
            }
            if (budgets[j].used > 0 && budgets[j].used + sz > (size_t)a->conf.max_request_size) {
                /* This node's request is full; the rest goes in the next one. */
                if (next_ms && now_ms < *next_ms)
                    *next_ms = now_ms;
                continue;
            }
            budgets[j].used += sz;
            sl_list_remove(&b->link);
            b->full = true;
            b->retry_at_ms = 0;
            p->inflight++;
            out[n].node = node;
            out[n].batch = b;
            n++;
        }
    }
    return n;
}

void sl_prod_accum_requeue(sl_prod_accum_t *a, sl_prod_batch_t *b)
{
    SL_UNUSED(a);
    sl_prod_part_t *p = b->part;
    p->inflight--;
    p->hold = true;
    /* Before the first batch that has a higher sequence or was never sent. */
    sl_list_t *pos;
    for (pos = p->queue.next; pos != &p->queue; pos = pos->next) {
        sl_prod_batch_t *o = sl_container_of(pos, sl_prod_batch_t, link);
        if (o->attempts == 0 || (b->base_seq >= 0 && o->base_seq > b->base_seq))
            break;
    }
    /* Insert before pos. */
    b->link.next = pos;
    b->link.prev = pos->prev;
    pos->prev->next = &b->link;
    pos->prev = &b->link;
}

sl_prod_topic_t *sl_prod_accum_next_topic(sl_prod_accum_t *a, size_t *it)
{
    const void *k;
    size_t kl;
    void *v;
    return sl_map_next(&a->topics, it, &k, &kl, &v) ? v : NULL;
}

void sl_prod_accum_each_part(sl_prod_accum_t *a, void (*fn)(sl_prod_part_t *part, void *arg), void *arg)
{
    size_t it = 0;
    sl_prod_topic_t *t;
    while ((t = sl_prod_accum_next_topic(a, &it)) != NULL)
        for (int32_t i = 0; i < t->parts_cap; i++)
            if (t->parts[i])
                fn(t->parts[i], arg);
}

typedef struct batch_fn {
    void (*fn)(sl_prod_batch_t *b, void *arg);
    void *arg;
} batch_fn_t;

static void part_batches(sl_prod_part_t *p, void *arg)
{
    const batch_fn_t *f = arg;
    sl_list_t *pos, *tmp;
    sl_list_foreach_safe(pos, tmp, &p->queue) {
        f->fn(sl_container_of(pos, sl_prod_batch_t, link), f->arg);
    }
}

void sl_prod_accum_foreach(sl_prod_accum_t *a, void (*fn)(sl_prod_batch_t *b, void *arg), void *arg)
{
    batch_fn_t f = {fn, arg};
    sl_prod_accum_each_part(a, part_batches, &f);
}

sl_err_t sl_prod_batch_close(sl_prod_batch_t *b)
{
    if (!b->building)
        return SL_OK;
    b->building = false;
    b->full = true;
    return sl_batch_builder_finish(&b->bld);
}

static void put_be(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

void sl_prod_batch_set_producer(sl_prod_batch_t *b, int64_t pid, int16_t epoch, int32_t base_seq)
{
    b->pid = pid;
    b->epoch = epoch;
    b->base_seq = base_seq;
    if (b->buf.len < SL_BATCH_HEADER_SIZE)
        return;
    uint8_t *d = b->buf.data;
    put_be(d + 43, (uint64_t)pid, 8);
    put_be(d + 51, (uint64_t)(uint16_t)epoch, 2);
    put_be(d + 53, (uint64_t)(uint32_t)base_seq, 4);
    uint32_t crc = sl_crc32c(0, d + SL_BATCH_OFF_ATTRIBUTES, b->buf.len - SL_BATCH_OFF_ATTRIBUTES);
    put_be(d + SL_BATCH_OFF_CRC, crc, 4);
}
