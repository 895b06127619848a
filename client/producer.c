/*
 * producer.c - the producer's public calls (client.h): creation over the
 * core, send (partition choice and append on the calling thread, under the
 * accumulator's lock, waiting for a topic's first metadata and for
 * buffer.memory up to max.block.ms), poll and flush (delivery reports run
 * on the calling thread), and free (everything not delivered is reported
 * with SL_ERR_CLOSED from inside it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "producer_int.h"

sl_err_t sl_producer_new(const sl_conf_t *conf, sl_delivery_fn *dr, void *dr_arg, sl_producer_t **out,
                         char *errbuf, size_t errlen)
{
    if (!conf || !out)
        return SL_ERR_INVAL;
    *out = NULL;
    sl_producer_t *p = calloc(1, sizeof(*p));
    if (!p)
        return SL_ERR_NOMEM;
    sl_err_t err = sl_cl_new(conf, "sl-producer", &p->cl, errbuf, errlen);
    if (err != SL_OK) {
        free(p);
        return err;
    }
    p->conf = sl_cl_conf(p->cl);
    p->dr = dr;
    p->dr_arg = dr_arg;
    p->idempotent = p->conf->idempotence || p->conf->transactional_id != NULL;
    p->pid = -1;
    p->epoch = -1;
    p->timer_at = INT64_MAX;
    sl_list_init(&p->closed);
    atomic_init(&p->outq, 0);
    atomic_init(&p->reported, 0);
    atomic_init(&p->wake_pending, false);
    atomic_init(&p->fatal, 0);
    atomic_init(&p->closing, false);
    atomic_init(&p->txn_state, SL_PROD_TXN_UNINIT);
    atomic_init(&p->txn_err, 0);
    pthread_mutex_init(&p->txn_mu, NULL);
    pthread_cond_init(&p->txn_cond, NULL);
    sl_prod_accum_conf_t ac = {
        .batch_size = p->conf->batch_size,
        .linger_ms = p->conf->linger_ms,
        .buffer_memory = p->conf->buffer_memory,
        .max_request_size = p->conf->max_request_size,
        .max_inflight = p->conf->max_in_flight > 0 ? p->conf->max_in_flight : 1,
        .compression = (sl_compression_t)p->conf->compression,
        .transactional = p->conf->transactional_id != NULL,
    };
    if (p->idempotent && ac.max_inflight > 5)
        ac.max_inflight = 5;
    err = sl_prod_accum_init(&p->accum, &ac);
    if (err != SL_OK) {
        sl_cl_free(p->cl);
        free(p);
        return err;
    }
    sl_partitioner_init(&p->parter, p->conf->partitioner_ignore_keys, 0);
    sl_cl_set_owner(p->cl, p);
    err = sl_cl_call(p->cl, sl_prod_sender_start, p);
    if (err != SL_OK || !p->listening) {
        sl_producer_free(p);
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "producer: could not start its I/O thread");
        return err != SL_OK ? err : SL_ERR_NOMEM;
    }
    *out = p;
    return SL_OK;
}

/* Waits on the accumulator's condition until deadline (mono ms). locked. */
static void wait_until(sl_producer_t *p, int64_t deadline)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t wait = deadline - sl_time_mono_ms();
    if (wait <= 0)
        return;
    if (wait > 100)
        wait = 100; /* look again now and then (closing, fatal) */
    ts.tv_sec += wait / 1000;
    ts.tv_nsec += (long)(wait % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&p->accum.cond, &p->accum.mu, &ts);
}

/* Reports one record that never reached a queue (unknown topic, partition
 * out of range) through the delivery callback. */
static sl_err_t fail_record(sl_producer_t *p, const sl_produce_rec_t *rec, const sl_prod_rec_t *r, sl_err_t err)
{
    sl_prod_batch_t *b;
    sl_err_t e = sl_prod_batch_single(&p->accum, r, &b);
    if (e != SL_OK)
        return e;
    atomic_fetch_add(&p->outq, 1);
    b->err = err;
    if (!p->dr) {
        atomic_fetch_sub(&p->outq, 1);
        sl_prod_batch_free(b);
        return SL_OK;
    }
    /* A report event with the topic and partition the record asked for. */
    sl_prod_part_t *fake = calloc(1, sizeof(*fake) + sizeof(sl_prod_topic_t));
    if (!fake) {
        atomic_fetch_sub(&p->outq, 1);
        sl_prod_batch_free(b);
        return SL_ERR_NOMEM;
    }
    sl_prod_topic_t *ft = (sl_prod_topic_t *)(fake + 1);
    ft->name = (char *)rec->topic; /* copied by sl_prod_complete */
    fake->topic = ft;
    fake->id = rec->partition;
    sl_list_init(&fake->queue);
    b->part = fake;
    /* complete() copies the topic name; the fake partition goes with it. */
    sl_prod_complete(p, b, err, false);
    free(fake);
    return SL_OK;
}

sl_err_t sl_producer_send(sl_producer_t *p, const sl_produce_rec_t *rec)
{
    if (!p || !rec || !rec->topic || !rec->topic[0] || (rec->key && rec->key_len < 0) ||
        (rec->value && rec->value_len < 0) || (rec->header_count > 0 && !rec->headers) ||
        rec->partition < SL_PARTITION_ANY)
        return SL_ERR_INVAL;
    if (atomic_load(&p->closing))
        return SL_ERR_CLOSED;
    if (atomic_load(&p->fatal) != 0 || !sl_prod_txn_send_allowed(p))
        return SL_ERR_STATE;
    sl_header_t hstack[16];
    sl_header_t *hdrs = rec->header_count <= 16 ? hstack : calloc(rec->header_count, sizeof(*hdrs));
    if (!hdrs)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < rec->header_count; i++) {
        const sl_msg_header_t *h = &rec->headers[i];
        if (!h->key || (h->value && h->value_len < 0) || h->value_len < -1) {
            if (hdrs != hstack)
                free(hdrs);
            return SL_ERR_INVAL;
        }
        hdrs[i].key = (const uint8_t *)h->key;
        hdrs[i].key_len = strlen(h->key);
        hdrs[i].value = h->value;
        hdrs[i].value_len = h->value ? h->value_len : -1;
    }
    sl_prod_rec_t r = {
        .timestamp = rec->timestamp ? rec->timestamp : sl_time_wall_ms(),
        .key = rec->key,
        .key_len = rec->key ? rec->key_len : -1,
        .value = rec->value,
        .value_len = rec->value ? rec->value_len : -1,
        .headers = hdrs,
        .header_count = rec->header_count,
        .opaque = rec->opaque,
    };
    sl_err_t err = SL_OK;
    if (sl_prod_rec_size(&r) + SL_BATCH_HEADER_SIZE > (size_t)p->conf->max_request_size) {
        err = SL_ERR_MESSAGE_TOO_LARGE;
        goto out;
    }
    int64_t now = sl_time_mono_ms();   /* one read per record: it is a cost at millions a second */
    int64_t deadline = now + p->conf->max_block_ms;
    bool wake = false;
    sl_prod_accum_lock(&p->accum);
    sl_prod_topic_t *t = sl_prod_accum_topic(&p->accum, rec->topic, true);
    if (!t) {
        sl_prod_accum_unlock(&p->accum);
        err = SL_ERR_NOMEM;
        goto out;
    }
    if (t->count < 0) {
        sl_prod_ask_topic(p, rec->topic);
        while (t->count < 0 && !p->accum.closing && atomic_load(&p->fatal) == 0 &&
               sl_time_mono_ms() < deadline)
            wait_until(p, deadline);
        now = sl_time_mono_ms();
    }
    if (p->accum.closing) {
        sl_prod_accum_unlock(&p->accum);
        err = SL_ERR_CLOSED;
        goto out;
    }
    if (t->count < 0 || rec->partition >= t->count) {
        sl_err_t why = t->count < 0 && t->err != SL_OK ? t->err : SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        sl_prod_accum_unlock(&p->accum);
        err = fail_record(p, rec, &r, why);
        goto out;
    }
    bool sticky = rec->partition == SL_PARTITION_ANY && (!rec->key || p->conf->partitioner_ignore_keys);
    int32_t pid = rec->partition != SL_PARTITION_ANY
                      ? rec->partition
                      : sl_partitioner_partition(&p->parter, t->name, rec->key, r.key_len, t->count, t->available);
    sl_prod_part_t *part = pid >= 0 ? sl_prod_accum_part(&p->accum, t, pid) : NULL;
    sl_prod_append_res_t res = SL_PROD_APPENDED;
    if (!part)
        err = SL_ERR_NOMEM;
    else
        err = sl_prod_accum_append(&p->accum, part, &r, sticky, now, deadline, &res);
    if (err == SL_OK && res == SL_PROD_NEEDS_BATCH) {
        pid = sl_partitioner_new_batch(&p->parter, t->name, pid, t->count, t->available);
        part = sl_prod_accum_part(&p->accum, t, pid);
        err = part ? sl_prod_accum_append(&p->accum, part, &r, false, now, deadline, &res)
                   : SL_ERR_NOMEM;
    }
    if (err == SL_OK) {
        atomic_fetch_add(&p->outq, 1);
        sl_prod_batch_t *last = sl_container_of(part->queue.prev, sl_prod_batch_t, link);
        wake = res == SL_PROD_NEW_BATCH || last->full;
    }
    sl_prod_accum_unlock(&p->accum);
    if (wake)
        sl_prod_wake(p);
out:
    if (hdrs != hstack)
        free(hdrs);
    return err;
}

int sl_producer_poll(sl_producer_t *p, int timeout_ms)
{
    if (!p)
        return 0;
    /* Events carry a batch each; the count is of callbacks. */
    size_t before = atomic_load(&p->reported);
    sl_cl_events_serve(p->cl, timeout_ms, 0, p);
    size_t ran = atomic_load(&p->reported) - before;
    return ran > INT32_MAX ? INT32_MAX : (int)ran;
}

sl_err_t sl_producer_flush(sl_producer_t *p, int timeout_ms)
{
    if (!p)
        return SL_ERR_INVAL;
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : sl_time_mono_ms() + timeout_ms;
    sl_prod_accum_lock(&p->accum);
    p->accum.flushing++;
    sl_prod_accum_unlock(&p->accum);
    sl_prod_wake(p);
    sl_err_t err = SL_OK;
    while (atomic_load(&p->outq) > 0) {
        int64_t left = deadline - sl_time_mono_ms();
        if (left <= 0) {
            err = SL_ERR_TIMEOUT;
            break;
        }
        /* Bounded slices: another thread may run the reports we wait for. */
        sl_cl_events_serve(p->cl, (int)SL_MIN(left, 100), 0, p);
    }
    sl_prod_accum_lock(&p->accum);
    p->accum.flushing--;
    sl_prod_accum_unlock(&p->accum);
    return err;
}

size_t sl_producer_outq_len(sl_producer_t *p)
{
    return p ? atomic_load(&p->outq) : 0;
}

sl_err_t sl_producer_fatal_error(sl_producer_t *p)
{
    return p ? (sl_err_t)atomic_load(&p->fatal) : SL_OK;
}

void sl_producer_free(sl_producer_t *p)
{
    if (!p)
        return;
    /* Reports already queued run first, then the queued batches are
     * completed CLOSED on the I/O thread, then stopping the core answers
     * what is in flight CLOSED; those reports run here at the end. */
    sl_cl_events_serve(p->cl, 0, 0, p);
    atomic_store(&p->closing, true);
    (void)sl_cl_call(p->cl, sl_prod_sender_close, p);
    sl_cl_events_serve(p->cl, 0, 0, p);
    sl_cl_free(p->cl);
    sl_prod_report_closed(p);
    sl_partitioner_fini(&p->parter);
    sl_prod_accum_fini(&p->accum);
    pthread_cond_destroy(&p->txn_cond);
    pthread_mutex_destroy(&p->txn_mu);
    free(p);
}
