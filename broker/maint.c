/*
 * maint.c - the broker's housekeeping, on the main thread's loop: the
 * retention pass every log.retention.check.interval.ms (sl_log_retain on
 * every partition), and a frequent tick that rolls segments older than
 * segment.ms (so idle partitions roll too), flushes partitions whose
 * flush.ms has passed and fsyncs the segments rolls left behind. Each partition is handled under its mutex, one at a
 * time, so the network threads are held up by at most one partition's work.
 * The log cleaner (log.cleaner.enable) runs every log.cleaner.backoff.ms
 * on the partitions of compacted topics (cleanup.policy contains compact),
 * one log at a time, with the whole log.cleaner.dedupe.buffer.size (one
 * cleaner thread), holding the partition's mutex only to plan and to swap
 * segments in; topics whose policy lacks delete get no retention pass
 * (Kafka's rule).
 * The idempotent producers' state (producer_int.h) is snapshotted when due,
 * checked every SL_PRODUCER_SNAPSHOT_CHECK_MS, and its idle producers
 * expired every producer.id.expiration.check.interval.ms.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "broker_int.h"
#include "producer_int.h"
#include "txn_int.h"

#define TICK_MAX_MS 1000 /* roll and flush.ms checks at least this often */
#define TICK_MIN_MS 10
/* The cleaner's timer runs at most this often (log.cleaner.backoff.ms=0
 * would otherwise spin the main loop). */
#define CLEANER_MIN_BACKOFF_MS 10

typedef void part_fn(sl_partition_t *part, int64_t now, void *arg);

/* fn on every partition with a log, under the partition's mutex (locked
 * false: fn takes it itself, as often as it needs). */
static void each_partition_do(sl_broker_t *broker, part_fn *fn, void *arg, bool locked)
{
    sl_topic_t **topics;
    size_t n;
    if (sl_broker_topics_list(broker, &topics, &n) != SL_OK)
        return;
    for (size_t i = 0; i < n; i++) {
        int32_t np = sl_topic_partition_count(broker, topics[i]);
        for (int32_t p = 0; p < np; p++) {
            sl_partition_t *part = sl_topic_partition(broker, topics[i], p);
            if (!part)
                continue;
            if (!locked) {
                fn(part, sl_time_wall_ms(), arg);
                continue;
            }
            sl_partition_lock(part);
            if (part->log)
                fn(part, sl_time_wall_ms(), arg);
            sl_partition_unlock(part);
        }
    }
    sl_broker_topics_release(topics, n);
}

static void each_partition(sl_broker_t *broker, part_fn *fn, void *arg)
{
    each_partition_do(broker, fn, arg, true);
}

static void retain_one(sl_partition_t *part, int64_t now, void *arg)
{
    int *total = arg;
    int deleted = 0;
    if (part->cfg.compact && !part->cfg.delete)
        return;
    if (sl_log_retain(part->log, now, &deleted) != SL_OK)
        SL_ERROR(SL_BROKER_LOG, "retention on %s-%d failed: %s", part->topic->name, part->index,
                 sl_log_errmsg(part->log));
    if (deleted > 0)
        SL_INFO(SL_BROKER_LOG, "retention deleted %d segments of %s-%d; log start offset now %" PRId64, deleted,
                part->topic->name, part->index, sl_log_start_offset(part->log));
    *total += deleted;
}

static void retention_tick(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    sl_broker_t *broker = arg;
    SL_UNUSED(loop);
    SL_UNUSED(id);
    int total = 0;
    each_partition(broker, retain_one, &total);
}

static void tick_one(sl_partition_t *part, int64_t now, void *arg)
{
    int64_t *next = arg;
    if (sl_log_roll_if_due(part->log, now) != SL_OK)
        SL_ERROR(SL_BROKER_LOG, "segment roll of %s-%d failed: %s", part->topic->name, part->index,
                 sl_log_errmsg(part->log));
    int64_t flush_ms = part->cfg.flush_ms;
    if (flush_ms <= 0 || flush_ms == INT64_MAX)
        return;
    if (sl_log_unflushed_messages(part->log) > 0 && now - sl_log_last_flush_ms(part->log) >= flush_ms &&
        sl_log_flush(part->log, now) != SL_OK)
        SL_ERROR(SL_BROKER_LOG, "flush of %s-%d failed: %s", part->topic->name, part->index,
                 sl_log_errmsg(part->log));
    if (flush_ms < *next)
        *next = flush_ms;
}

/* Rolled segments reach the disk here, not in the roll: the fsync runs
 * without the partition's mutex (a segment's writeback can take a second),
 * so produce and fetch go on meanwhile. */
static void sync_rolled_one(sl_partition_t *part, int64_t now, void *arg)
{
    SL_UNUSED(now);
    SL_UNUSED(arg);
    sl_log_sync_job_t *job = NULL;
    sl_partition_lock(part);
    sl_log_t *log = part->log;
    sl_err_t err = log ? sl_log_sync_prepare(log, &job) : SL_OK;
    if (err)
        SL_ERROR(SL_BROKER_LOG, "sync of %s-%d failed: %s", part->topic->name, part->index, sl_log_errmsg(log));
    sl_partition_unlock(part);
    if (!job)
        return;
    err = sl_log_sync_run(job);
    if (err)
        SL_ERROR(SL_BROKER_LOG, "sync of %s-%d failed: %s", part->topic->name, part->index, sl_log_sync_errmsg(job));
    sl_partition_lock(part);
    if (!err && part->log == log && sl_log_sync_finish(log, job) != SL_OK)
        SL_ERROR(SL_BROKER_LOG, "sync of %s-%d failed: %s", part->topic->name, part->index, sl_log_errmsg(log));
    sl_partition_unlock(part);
    sl_log_sync_job_free(job);
}

static void housekeeping_tick(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    sl_broker_t *broker = arg;
    SL_UNUSED(id);
    int64_t next = TICK_MAX_MS;
    each_partition(broker, tick_one, &next);
    each_partition_do(broker, sync_rolled_one, NULL, false);
    sl_loop_timer_add(loop, SL_MAX(TICK_MIN_MS, SL_MIN(next, TICK_MAX_MS)), false, housekeeping_tick, broker, NULL);
}

static void producer_snapshot_one(sl_partition_t *part, int64_t now, void *arg)
{
    SL_UNUSED(arg);
    sl_producer_part_snapshot_if_due(part, part->log, now);
}

static void producer_snapshot_tick(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    SL_UNUSED(loop);
    SL_UNUSED(id);
    each_partition(arg, producer_snapshot_one, NULL);
}

static void producer_expire_one(sl_partition_t *part, int64_t now, void *arg)
{
    SL_UNUSED(arg);
    sl_producer_part_expire(part, now);
}

static void producer_expire_tick(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    SL_UNUSED(loop);
    SL_UNUSED(id);
    each_partition(arg, producer_expire_one, NULL);
}

/* The topic's value of key, else the server's value of srv_key, else
 * nothing (the default stays). */
static const char *clean_key(const sl_props_t *ov, const sl_props_t *srv, const char *key, const char *srv_key)
{
    const char *v = ov ? sl_props_get(ov, key) : NULL;
    if (!v && srv)
        v = sl_props_get(srv, srv_key);
    return v;
}

static void clean_i64(const sl_props_t *ov, const sl_props_t *srv, const char *key, const char *srv_key,
                      int64_t *out)
{
    const char *v = clean_key(ov, srv, key, srv_key);
    if (!v)
        return;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno == 0 && end != v && *end == '\0' && x >= 0)
        *out = x;
}

static void clean_opts(sl_broker_t *broker, sl_topic_t *topic, sl_log_clean_opts_t *o)
{
    sl_log_clean_opts_defaults(o);
    sl_props_t *ov = sl_topic_overrides_dup(broker, topic);
    const sl_props_t *srv = broker->cfg->given;
    clean_i64(ov, srv, "delete.retention.ms", "log.cleaner.delete.retention.ms", &o->delete_retention_ms);
    clean_i64(ov, srv, "min.compaction.lag.ms", "log.cleaner.min.compaction.lag.ms", &o->min_compaction_lag_ms);
    clean_i64(ov, srv, "max.compaction.lag.ms", "log.cleaner.max.compaction.lag.ms", &o->max_compaction_lag_ms);
    o->dedupe_buffer_bytes = broker->cfg->log_cleaner_dedupe_buffer_size;
    const char *v = clean_key(ov, srv, "min.cleanable.dirty.ratio", "log.cleaner.min.cleanable.ratio");
    if (v) {
        char *end;
        double d = strtod(v, &end);
        if (end != v && *end == '\0' && d >= 0 && d <= 1)
            o->min_cleanable_dirty_ratio = d;
    }
    sl_props_free(ov);
}

/* The partition's mutex is held to plan and to swap segments in, not while
 * segments are read and rewritten: produce and fetch go on meanwhile. The
 * log cannot be closed under us while the mutex is released except by
 * DeleteTopics (part->log becomes NULL), checked before installing. */
static void clean_partition(sl_partition_t *part, const sl_log_clean_opts_t *opts)
{
    sl_log_clean_job_t *job = NULL;
    sl_log_t *log;
    sl_err_t err = SL_OK;
    sl_log_clean_opts_t o = *opts;
    sl_partition_lock(part);
    log = part->log;
    if (log && part->cfg.compact) {
        o.first_unstable = sl_txn_partition_lso_locked(part);
        err = sl_log_clean_prepare(log, &o, sl_time_wall_ms(), &job);
    }
    if (err)
        SL_ERROR(SL_BROKER_LOG, "cleaning %s-%d failed: %s", part->topic->name, part->index, sl_log_errmsg(log));
    sl_partition_unlock(part);
    if (!job)
        return;
    err = sl_log_clean_build(job);
    if (err != SL_OK)
        SL_ERROR(SL_BROKER_LOG, "cleaning %s-%d failed: %s", part->topic->name, part->index, sl_err_str(err));
    sl_partition_lock(part);
    if (err == SL_OK && part->log == log && sl_log_clean_install(log, job, NULL) != SL_OK)
        SL_ERROR(SL_BROKER_LOG, "cleaning %s-%d failed: %s", part->topic->name, part->index, sl_log_errmsg(log));
    sl_partition_unlock(part);
    /* Only .swap files not installed are removed (none exist once the
     * directory is gone). */
    sl_log_clean_job_free(job);
}

/* Config values are read before any partition mutex is taken (reg_lock
 * comes first in the lock order). */
static void cleaner_tick(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    sl_broker_t *broker = arg;
    SL_UNUSED(loop);
    SL_UNUSED(id);
    sl_topic_t **topics;
    size_t n;
    if (sl_broker_topics_list(broker, &topics, &n) != SL_OK)
        return;
    for (size_t i = 0; i < n; i++) {
        sl_topic_config_t tcfg;
        sl_topic_config_get(broker, topics[i], &tcfg);
        if (!tcfg.compact)
            continue;
        sl_log_clean_opts_t opts;
        clean_opts(broker, topics[i], &opts);
        int32_t np = sl_topic_partition_count(broker, topics[i]);
        for (int32_t p = 0; p < np; p++) {
            sl_partition_t *part = sl_topic_partition(broker, topics[i], p);
            if (!part)
                continue;
            clean_partition(part, &opts);
        }
    }
    sl_broker_topics_release(topics, n);
}

sl_err_t sl_broker_maint_start(sl_broker_t *broker, sl_loop_t *loop)
{
    int64_t every = broker->cfg->log_retention_check_interval_ms;
    sl_err_t err = sl_loop_timer_add(loop, every > 0 ? every : 300000, true, retention_tick, broker, NULL);
    if (err == SL_OK)
        err = sl_loop_timer_add(loop, TICK_MAX_MS, false, housekeeping_tick, broker, NULL);
    if (err == SL_OK && broker->cfg->log_cleaner_enable)
        err = sl_loop_timer_add(loop, SL_MAX(broker->cfg->log_cleaner_backoff_ms, CLEANER_MIN_BACKOFF_MS), true,
                                cleaner_tick, broker, NULL);
    if (err == SL_OK)
        err = sl_loop_timer_add(loop, SL_PRODUCER_SNAPSHOT_CHECK_MS, true, producer_snapshot_tick, broker, NULL);
    int64_t expire_every = broker->cfg->producer_id_expiration_check_interval_ms;
    if (err == SL_OK)
        err = sl_loop_timer_add(loop, expire_every > 0 ? expire_every : 600000, true, producer_expire_tick, broker,
                                NULL);
    return err;
}
