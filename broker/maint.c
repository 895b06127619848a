/*
 * maint.c - the broker's housekeeping, on the main thread's loop: the
 * retention pass every log.retention.check.interval.ms (sl_log_retain on
 * every partition), and a frequent tick that rolls segments older than
 * segment.ms (so idle partitions roll too) and flushes partitions whose
 * flush.ms has passed. Each partition is handled under its mutex, one at a
 * time, so the network threads are held up by at most one partition's work.
 */
#include <inttypes.h>

#include "broker_int.h"

#define TICK_MAX_MS 1000 /* roll and flush.ms checks at least this often */
#define TICK_MIN_MS 10

typedef void part_fn(sl_partition_t *part, int64_t now, void *arg);

static void each_partition(sl_broker_t *broker, part_fn *fn, void *arg)
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
            sl_partition_lock(part);
            if (part->log)
                fn(part, sl_time_wall_ms(), arg);
            sl_partition_unlock(part);
        }
    }
    sl_broker_topics_release(topics, n);
}

static void retain_one(sl_partition_t *part, int64_t now, void *arg)
{
    int *total = arg;
    int deleted = 0;
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

static void housekeeping_tick(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    sl_broker_t *broker = arg;
    SL_UNUSED(id);
    int64_t next = TICK_MAX_MS;
    each_partition(broker, tick_one, &next);
    sl_loop_timer_add(loop, SL_MAX(TICK_MIN_MS, SL_MIN(next, TICK_MAX_MS)), false, housekeeping_tick, broker, NULL);
}

sl_err_t sl_broker_maint_start(sl_broker_t *broker, sl_loop_t *loop)
{
    int64_t every = broker->cfg->log_retention_check_interval_ms;
    sl_err_t err = sl_loop_timer_add(loop, every > 0 ? every : 300000, true, retention_tick, broker, NULL);
    if (err == SL_OK)
        err = sl_loop_timer_add(loop, TICK_MAX_MS, false, housekeeping_tick, broker, NULL);
    return err;
}
