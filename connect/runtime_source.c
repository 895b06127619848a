/*
 * runtime_source.c - a source task's thread. It polls the plugin, sends
 * each record through the pipeline (transforms, converters) to the
 * producer and, once the broker acknowledged a whole poll's records,
 * records their source offsets in the offset store, which is flushed every
 * offset.flush.interval.ms and on stop (at least once: what was
 * acknowledged but not yet flushed is polled again after a crash).
 *
 * Exactly-once (a transactional.id was set up by runtime.c): each poll's
 * records and the last offset of each of its source partitions go out in
 * one transaction (the offsets through the store's send_in_txn). A
 * transaction that cannot commit is aborted and the same records are sent
 * again in a new one, up to three times; a fatal producer error (fenced:
 * another worker runs this task now) fails the task. The offsets are set
 * in the store once the transaction committed; a store that shows what
 * send_in_txn sent at once gets the earlier offsets back when the poll's
 * transaction never commits, so a restarted task resumes before it.
 *
 * Paused: no polling; the task waits for resume or stop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime_int.h"

#define POLL_MAX_RECORDS 1000
#define TXN_ATTEMPTS 3

typedef struct src_acks {
    size_t failed;
    sl_err_t first_err;
} src_acks_t;

static void src_delivery(sl_producer_t *p, const sl_message_t *msg, void *arg)
{
    (void)p;
    src_acks_t *acks = arg;
    if (msg->err && !acks->failed++)
        acks->first_err = msg->err;
}

/* Sends pr, waiting for room while the producer's buffer is full. */
static sl_err_t send_one(rt_task_t *t, sl_producer_t *p, const sl_produce_rec_t *pr)
{
    for (int tries = 0;; tries++) {
        sl_err_t err = sl_producer_send(p, pr);
        if (err != SL_ERR_AGAIN || atomic_load(&t->stop) || tries > 1000)
            return err;
        sl_producer_poll(p, 100);
    }
}

/* Every record of the batch through the pipeline to the producer (records
 * a transform dropped or a tolerated error skipped send nothing; their
 * offsets count all the same). *what names the failing stage. */
static sl_err_t send_batch(rt_task_t *t, sl_producer_t *p, sl_connect_batch_t *b,
                           const char **what)
{
    for (size_t i = 0; i < b->count; i++) {
        sl_produce_rec_t pr;
        bool skip = false;
        sl_err_t err = sl_connect_pipeline_source(t->pipe, &b->recs[i], b->mem, &pr, &skip,
                                                  t->ctx->err, sizeof(t->ctx->err));
        if (err) {
            *what = "processing a record";
            return err;
        }
        if (skip)
            continue;
        if ((err = send_one(t, p, &pr))) {
            *what = "producing";
            return err;
        }
    }
    return SL_OK;
}

/* Whether record i is the batch's last of its source partition. */
static bool last_of_partition(const sl_connect_batch_t *b, size_t i)
{
    for (size_t j = i + 1; j < b->count; j++)
        if (strcmp(b->recs[j].source_partition, b->recs[i].source_partition) == 0)
            return false;
    return true;
}

/* At least once: send, wait for every acknowledgement, then set the
 * offsets. */
static sl_err_t plain_batch(rt_task_t *t, sl_producer_t *p, src_acks_t *acks,
                            sl_connect_batch_t *b, const char **what)
{
    sl_err_t err = send_batch(t, p, b, what);
    if (err)
        return err;
    /* Waits in slices so that a stop is not held up by a slow broker (the
     * poll's offsets are then not stored). */
    *what = "producing";
    while ((err = sl_producer_flush(p, 200)) == SL_ERR_TIMEOUT && !atomic_load(&t->stop))
        ;
    if (err == SL_ERR_TIMEOUT)
        return SL_ERR_CLOSED;
    if (!err && acks->failed)
        err = acks->first_err;
    if (err)
        return err;
    sl_connect_offset_store_t *os = t->rt->offsets;
    for (size_t i = 0; i < b->count; i++)
        if (last_of_partition(b, i) &&
            (err = os->ops->set(os, t->connector, b->recs[i].source_partition,
                                b->recs[i].source_offset))) {
            *what = "storing offsets";
            return err;
        }
    return SL_OK;
}

/* One transaction: the records and the last offset of each partition. */
static sl_err_t txn_once(rt_task_t *t, sl_producer_t *p, src_acks_t *acks,
                         sl_connect_batch_t *b, const char **what)
{
    *what = "beginning a transaction";
    sl_err_t err = sl_producer_begin_transaction(p);
    if (err)
        return err;
    acks->failed = 0;
    if ((err = send_batch(t, p, b, what)))
        return err;
    sl_connect_offset_store_t *os = t->rt->offsets;
    *what = "sending offsets in the transaction";
    for (size_t i = 0; i < b->count && !err; i++)
        if (last_of_partition(b, i))
            err = os->ops->send_in_txn(os, p, t->connector, b->recs[i].source_partition,
                                       b->recs[i].source_offset);
    if (err)
        return err;
    *what = "committing the transaction";
    err = sl_producer_commit_transaction(p, -1);
    if (!err && acks->failed)
        err = acks->first_err;
    return err;
}

/* Sets each partition's offset (offs[i] for the batch's last record i of
 * a partition; NULL entries are skipped). */
static sl_err_t set_offsets(rt_task_t *t, const sl_connect_batch_t *b, char *const *offs)
{
    sl_connect_offset_store_t *os = t->rt->offsets;
    sl_err_t err = SL_OK;
    for (size_t i = 0; i < b->count && !err; i++)
        if (offs[i])
            err = os->ops->set(os, t->connector, b->recs[i].source_partition, offs[i]);
    return err;
}

static sl_err_t txn_batch(rt_task_t *t, sl_producer_t *p, src_acks_t *acks,
                          sl_connect_batch_t *b, const char **what)
{
    /* The offsets before the transaction: a store may show what
     * send_in_txn sent at once, and a transaction that never commits must
     * not move what a restarted task resumes from. */
    sl_connect_offset_store_t *os = t->rt->offsets;
    char **prev = calloc(b->count, sizeof(*prev));
    char **next = calloc(b->count, sizeof(*next));
    sl_err_t err = prev && next ? SL_OK : SL_ERR_NOMEM;
    for (size_t i = 0; !err && i < b->count; i++)
        if (last_of_partition(b, i)) {
            prev[i] = os->ops->get(os, t->connector, b->recs[i].source_partition);
            next[i] = (char *)b->recs[i].source_offset;
        }
    bool committed = false;
    for (int attempt = 1; prev && next && attempt <= TXN_ATTEMPTS && !atomic_load(&t->stop);
         attempt++) {
        if (!(err = txn_once(t, p, acks, b, what))) {
            committed = true;
            break;
        }
        sl_err_t fatal = sl_producer_fatal_error(p);
        if (fatal || err == SL_ERR_NOMEM) {
            err = fatal ? fatal : err;
            break;
        }
        SL_WARN("connect", "task %s: %s failed (%s); the transaction is aborted%s (attempt %d "
                "of %d)", t->ctx->name, *what, sl_err_name(err),
                attempt < TXN_ATTEMPTS ? " and the poll's records sent again" : "", attempt,
                TXN_ATTEMPTS);
        sl_err_t aerr = sl_producer_abort_transaction(p, -1);
        if (aerr) {
            *what = "aborting the transaction";
            err = aerr;
            break;
        }
        t->ctx->err[0] = '\0';
    }
    if (!committed && atomic_load(&t->stop) && err != SL_ERR_NOMEM)
        err = SL_ERR_CLOSED;    /* stopped between attempts */
    if (committed && (err = set_offsets(t, b, next)))
        *what = "storing offsets";
    else if (!committed && prev)
        set_offsets(t, b, prev);
    for (size_t i = 0; prev && i < b->count; i++)
        free(prev[i]);
    free(prev);
    free(next);
    return err;
}

/* Flushes the offset store and tells the plugin its offsets are stored. */
static void flush_offsets(rt_task_t *t)
{
    sl_connect_offset_store_t *os = t->rt->offsets;
    if (os->ops->flush(os) == SL_OK && t->plugin->source->commit && t->ptask)
        t->plugin->source->commit(t->ptask);
}

/* Waits while paused (reporting it); false when stopped meanwhile. */
static bool wait_resumed(rt_task_t *t)
{
    if (!atomic_load(&t->paused))
        return true;
    sl_connect_rt_report(t, "PAUSED", NULL);
    flush_offsets(t);
    while (atomic_load(&t->paused) && !atomic_load(&t->stop))
        sl_connect_rt_nap(t, 500);
    if (atomic_load(&t->stop))
        return false;
    sl_connect_rt_report(t, "RUNNING", NULL);
    return true;
}

void *sl_connect_rt_source_main(void *arg)
{
    rt_task_t *t = arg;
    const sl_connect_source_task_t *vt = t->plugin->source;
    src_acks_t acks = {0, SL_OK};
    sl_producer_t *p = NULL;
    sl_connect_batch_t batch = {0};
    char ebuf[256];
    int rc = vt->start(t->ctx, &t->ptask);
    if (rc) {
        t->ptask = NULL;
        sl_connect_rt_fail(t, "start", rc);
        return NULL;
    }
    sl_err_t err = sl_producer_new(t->producer_conf, src_delivery, &acks, &p, ebuf, sizeof(ebuf));
    if (err || !(batch.mem = sl_connect_mem_new())) {
        snprintf(t->ctx->err, sizeof(t->ctx->err), "%s", err ? ebuf : "out of memory");
        sl_connect_rt_fail(t, "creating the producer", err ? err : SL_ERR_NOMEM);
        goto out;
    }
    if (t->txn_id && (err = sl_producer_init_transactions(p, -1))) {
        snprintf(t->ctx->err, sizeof(t->ctx->err), "transactional.id %s", t->txn_id);
        sl_connect_rt_fail(t, "initializing transactions", err);
        goto out;
    }
    if (!atomic_load(&t->paused))
        sl_connect_rt_report(t, "RUNNING", NULL);
    int64_t last_flush = sl_time_mono_ms();
    while (!atomic_load(&t->stop)) {
        if (!wait_resumed(t))
            break;
        sl_connect_mem_reset(batch.mem);
        batch.count = 0;
        t->ctx->err[0] = '\0';
        rc = vt->poll(t->ptask, &batch, POLL_MAX_RECORDS, 100);
        if (rc == SL_CONNECT_EAGAIN)
            continue;
        if (rc) {
            sl_connect_rt_fail(t, "poll", rc);
            break;
        }
        if (batch.count) {
            const char *what = "producing";
            err = t->txn_id ? txn_batch(t, p, &acks, &batch, &what)
                            : plain_batch(t, p, &acks, &batch, &what);
            if (err && atomic_load(&t->stop) && (err == SL_ERR_AGAIN || err == SL_ERR_CLOSED)) {
                /* Stopped mid-send: the poll's offsets are not stored. */
                if (t->txn_id)
                    sl_producer_abort_transaction(p, 5000);
                break;
            }
            if (err) {
                if (!*t->ctx->err)
                    snprintf(t->ctx->err, sizeof(t->ctx->err), "%s", sl_err_str(err));
                sl_connect_rt_fail(t, what, err);
                break;
            }
        }
        int64_t now = sl_time_mono_ms();
        if (now - last_flush >= t->rt->flush_interval_ms) {
            last_flush = now;
            flush_offsets(t);
        }
    }
out:
    /* Every offset set was acknowledged: flush them before leaving. */
    flush_offsets(t);
    if (t->ptask)
        vt->stop(t->ptask);
    sl_producer_free(p);
    sl_connect_mem_free(batch.mem);
    free(batch.recs);
    return NULL;
}
