/*
 * runtime_sink.c - a sink task's thread. It consumes its topics with the
 * group "connect-<name>", sends each message through the pipeline
 * (converters, transforms, error tolerance) and put()s the batch; every
 * offset.flush.interval.ms, before its partitions are revoked and on stop
 * it flush()es, waits for its dead letter queue records, and then commits
 * the offsets it flushed (at least once: a crash replays what was put
 * since the last commit).
 *
 * Paused: the consumer's partitions are paused (new ones too, as they are
 * assigned) and the task keeps polling, so the group keeps it; resume
 * resumes them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime_int.h"

#define SINK_BATCH 500

typedef struct sink {
    rt_task_t *t;
    sl_consumer_t *consumer;
    bool paused;                   /* the consumer's partitions are paused */
    /* offsets put since the last commit (next offset per partition) */
    sl_connect_tpo_t *pending;
    size_t pending_count, pending_cap;
} sink_t;

static sl_err_t pending_note(sink_t *s, const char *topic, int32_t partition, int64_t next)
{
    for (size_t i = 0; i < s->pending_count; i++)
        if (s->pending[i].partition == partition && strcmp(s->pending[i].topic, topic) == 0) {
            s->pending[i].offset = next;
            return SL_OK;
        }
    sl_connect_tpo_t *n = sl_connect_array_grow(s->pending, s->pending_count, &s->pending_cap,
                                                sizeof(*n), 8);
    if (!n)
        return SL_ERR_NOMEM;
    s->pending = n;
    char *tc = strdup(topic);
    if (!tc)
        return SL_ERR_NOMEM;
    s->pending[s->pending_count++] = (sl_connect_tpo_t){tc, partition, next};
    return SL_OK;
}

static void pending_clear(sink_t *s)
{
    for (size_t i = 0; i < s->pending_count; i++)
        free((char *)s->pending[i].topic);
    s->pending_count = 0;
}

/* flush() what was put, then commit it. Nothing is committed when the
 * flush fails (the task fails: the records come again after a restart). */
static void flush_commit(sink_t *s)
{
    rt_task_t *t = s->t;
    if (!s->pending_count || t->failed)
        return;
    t->ctx->err[0] = '\0';
    int rc = t->plugin->sink->flush(t->ptask, s->pending, s->pending_count);
    if (rc) {
        sl_connect_rt_fail(t, "flush", rc);
        return;
    }
    /* Records sent to the dead letter queue are acknowledged before the
     * offsets past them are committed (at least once for them too). */
    t->ctx->err[0] = '\0';
    sl_err_t derr = sl_connect_pipeline_flush(t->pipe, 30000, t->ctx->err, sizeof(t->ctx->err));
    if (derr) {
        sl_connect_rt_fail(t, "flushing the dead letter queue", derr);
        return;
    }
    sl_tp_offset_t *parts = calloc(s->pending_count, sizeof(*parts));
    if (!parts)
        return;
    for (size_t i = 0; i < s->pending_count; i++)
        parts[i] = (sl_tp_offset_t){.topic = s->pending[i].topic,
                                    .partition = s->pending[i].partition,
                                    .offset = s->pending[i].offset, .leader_epoch = -1};
    sl_err_t err = sl_consumer_commit(s->consumer, parts, s->pending_count, false);
    free(parts);
    if (err)
        SL_WARN("connect", "task %s: commit failed (%s); the records since the last commit "
                "will be delivered again", t->ctx->name, sl_err_name(err));
    pending_clear(s);
}

static void on_rebalance(sl_consumer_t *cons, sl_rebalance_kind_t kind,
                         const sl_tp_offset_t *parts, size_t n, void *arg)
{
    sink_t *s = arg;
    if (kind == SL_REBALANCE_REVOKED)
        flush_commit(s);
    else if (kind == SL_REBALANCE_LOST)
        pending_clear(s);
    else if (kind == SL_REBALANCE_ASSIGNED && s->paused && n)
        sl_consumer_pause(cons, parts, n);
}

/* Pauses or resumes the whole assignment to match the task's flag. */
static void follow_pause(sink_t *s)
{
    bool want = atomic_load(&s->t->paused);
    if (want == s->paused)
        return;
    sl_arena_t arena;
    sl_arena_init(&arena, 4096, 0);
    sl_tp_offset_t *parts = NULL;
    size_t n = 0;
    if (sl_consumer_assignment(s->consumer, &arena, &parts, &n) == SL_OK && n) {
        if (want)
            sl_consumer_pause(s->consumer, parts, n);
        else
            sl_consumer_resume(s->consumer, parts, n);
    }
    sl_arena_fini(&arena);
    s->paused = want;
    if (want)
        flush_commit(s);
    sl_connect_rt_report(s->t, want ? "PAUSED" : "RUNNING", NULL);
}

/* msgs[0..n) through the pipeline into recs (values in mem), then put(). */
static sl_err_t put_batch(sink_t *s, sl_message_t **msgs, size_t n, sl_connect_record_t *recs,
                          sl_connect_mem_t *mem)
{
    rt_task_t *t = s->t;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const sl_message_t *m = msgs[i];
        bool skip = false;
        t->ctx->err[0] = '\0';
        sl_err_t err = sl_connect_pipeline_sink(t->pipe, m, mem, &recs[k], &skip, t->ctx->err,
                                                sizeof(t->ctx->err));
        if (err) {
            /* The pipeline's sentence names the stage and the record. */
            sl_connect_rt_fail(t, "processing a record", err);
            return err;
        }
        if (!skip)
            k++;
    }
    int rc = SL_CONNECT_OK;
    for (int tries = 0; k; tries++) {
        t->ctx->err[0] = '\0';
        rc = t->plugin->sink->put(t->ptask, recs, k);
        if (rc != SL_CONNECT_EAGAIN || atomic_load(&t->stop) || tries > 600)
            break;
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (rc) {
        sl_connect_rt_fail(t, "put", rc);
        return rc;
    }
    for (size_t i = 0; i < n; i++)
        if (pending_note(s, msgs[i]->topic, msgs[i]->partition, msgs[i]->offset + 1)) {
            sl_connect_rt_fail(t, "noting offsets", SL_ERR_NOMEM);
            return SL_ERR_NOMEM;
        }
    return SL_OK;
}

void *sl_connect_rt_sink_main(void *arg)
{
    rt_task_t *t = arg;
    const sl_connect_sink_task_t *vt = t->plugin->sink;
    sink_t s = {.t = t};
    sl_message_t *msgs[SINK_BATCH];
    sl_connect_record_t *recs = calloc(SINK_BATCH, sizeof(*recs));
    sl_connect_mem_t *mem = sl_connect_mem_new();
    char ebuf[256];
    int rc = (!recs || !mem) ? SL_ERR_NOMEM : vt->start(t->ctx, &t->ptask);
    if (rc) {
        t->ptask = NULL;
        sl_connect_rt_fail(t, "start", rc);
        free(recs);
        sl_connect_mem_free(mem);
        return NULL;
    }
    sl_err_t err = sl_consumer_new(t->consumer_conf, on_rebalance, &s, &s.consumer, ebuf,
                                   sizeof(ebuf));
    if (!err)
        err = sl_consumer_subscribe(s.consumer, (const char *const *)t->topics, t->topic_count);
    if (err) {
        snprintf(t->ctx->err, sizeof(t->ctx->err), "%s", ebuf);
        sl_connect_rt_fail(t, "creating the consumer", err);
        goto out;
    }
    if (!atomic_load(&t->paused))
        sl_connect_rt_report(t, "RUNNING", NULL);
    int64_t last_flush = sl_time_mono_ms();
    while (!atomic_load(&t->stop) && !t->failed) {
        follow_pause(&s);
        size_t n = 0;
        while (n < SINK_BATCH) {
            sl_message_t *m = NULL;
            err = sl_consumer_poll(s.consumer, n ? 0 : 100, &m);
            if (err || !m)
                break;
            if (m->err) {
                SL_WARN("connect", "task %s: consumer: %s", t->ctx->name, sl_err_name(m->err));
                sl_message_free(m);
                continue;
            }
            msgs[n++] = m;
        }
        if (n)
            put_batch(&s, msgs, n, recs, mem);
        for (size_t i = 0; i < n; i++)
            sl_message_free(msgs[i]);
        sl_connect_mem_reset(mem);
        int64_t now = sl_time_mono_ms();
        if (now - last_flush >= t->rt->flush_interval_ms) {
            last_flush = now;
            flush_commit(&s);
        }
    }
    flush_commit(&s);
out:
    if (s.consumer)
        sl_consumer_close(s.consumer);
    vt->stop(t->ptask);
    sl_consumer_free(s.consumer);
    pending_clear(&s);
    free(s.pending);
    free(recs);
    sl_connect_mem_free(mem);
    return NULL;
}
