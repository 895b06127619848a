/*
 * internal_topic.c - what the two coordinators' topics (__consumer_offsets,
 * __transaction_state) have in common: created compacted at start-up as
 * Kafka creates them, appended to through the steps a produce takes after
 * its checks, and read back batch by batch by the coordinators' loader
 * threads, which start and stop the same way.
 * The record layouts and what an append error means to a client stay with
 * each coordinator.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "broker_int.h"

int32_t sl_internal_topic_ensure(sl_broker_t *broker, const sl_internal_topic_t *it)
{
    size_t len = strlen(it->name);
    sl_topic_t *topic = sl_broker_topic_get(broker, it->name, len);
    if (!topic) {
        sl_props_t *ov = sl_props_new();
        char seg[32];
        snprintf(seg, sizeof seg, "%d", it->segment_bytes);
        char errbuf[256] = "";
        sl_err_t err = SL_ERR_NOMEM;
        if (ov && sl_props_set(ov, "cleanup.policy", "compact", 0) == SL_OK &&
            sl_props_set(ov, "segment.bytes", seg, 0) == SL_OK &&
            sl_props_set(ov, "compression.type", it->compression, 0) == SL_OK)
            err = sl_broker_topic_create(broker, it->name, len, it->partitions, ov, false, &topic, errbuf,
                                         sizeof errbuf);
        sl_props_free(ov);
        if (err != SL_OK) {
            SL_ERROR(it->log_mod, "cannot create %s: %s%s%s: %s are not served", it->name, sl_err_name(err),
                     errbuf[0] ? ": " : "", errbuf, it->served);
            return -1;
        }
        SL_INFO(it->log_mod, "created %s with %d partitions", it->name, it->partitions);
    }
    int32_t n = sl_topic_partition_count(broker, topic);
    if (n != it->partitions)
        SL_WARN(it->log_mod, "%s has %d partitions, %s says %d: keeping %d", it->name, n, it->count_key,
                it->partitions, n);
    sl_topic_unref(topic);
    return n;
}

sl_err_t sl_internal_topic_append(sl_broker_t *broker, const char *name, const char *log_mod, int32_t partition,
                                  uint8_t *data, size_t len, const sl_internal_append_hooks_t *hooks, void *arg,
                                  int16_t *refused, int64_t *base_offset)
{
    *refused = 0;
    sl_partition_t *part = NULL;
    sl_err_t err = sl_broker_partition_get(broker, name, strlen(name), partition, &part);
    if (err != SL_OK)
        return err;
    sl_partition_lock(part);
    if (!part->log) {
        err = part->offline ? SL_ERR_KAFKA_STORAGE_ERROR : SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    } else if ((int64_t)len > part->cfg.segment_bytes) {
        err = SL_ERR_TOO_LARGE; /* Kafka: RECORD_LIST_TOO_LARGE */
    } else if (hooks && hooks->check && ((err = hooks->check(part, arg, refused)) != SL_OK || *refused)) {
        /* refused before anything was written */
    } else {
        int64_t now = sl_time_wall_ms();
        sl_log_append_info_t info;
        err = sl_log_append(part->log, data, len, 0, now, &info);
        if (err == SL_OK) {
            if (base_offset)
                *base_offset = info.base_offset;
            if (hooks && hooks->appended)
                hooks->appended(part, &info, now, arg);
            sl_partition_wake_waiters_locked(part);
            if (sl_log_unflushed_messages(part->log) >= part->cfg.flush_messages &&
                sl_log_flush(part->log, now) != SL_OK)
                err = SL_ERR_KAFKA_STORAGE_ERROR;
        } else {
            SL_ERROR(log_mod, "append to %s-%d failed: %s", name, partition, sl_log_errmsg(part->log));
            err = SL_ERR_KAFKA_STORAGE_ERROR;
        }
    }
    sl_partition_unlock(part);
    sl_partition_unref(part);
    return err;
}

/* ---- reading ---- */

#define READ_CHUNK (1 << 20)

/* Applies every record of one batch (a control batch: its marker, if
 * wanted); false when it cannot be read. */
static bool scan_batch(const sl_batch_t *batch, sl_buf_t *scratch, const char *name, const char *log_mod,
                       const sl_internal_scan_ops_t *ops, void *arg)
{
    if (sl_batch_is_control(batch) && !ops->marker)
        return true;
    sl_internal_batch_info_t bi = {
        .base_offset = batch->base_offset,
        .producer_id = batch->producer_id,
        .producer_epoch = batch->producer_epoch,
        .transactional = sl_batch_is_transactional(batch),
    };
    sl_record_iter_t it;
    if (sl_record_iter_init(&it, batch, scratch, 0) != SL_OK)
        return false;
    sl_record_t rec;
    sl_err_t err;
    while ((err = sl_record_iter_next(&it, &rec)) == SL_OK) {
        if (sl_batch_is_control(batch)) {
            int16_t type;
            if (sl_control_record_type(&rec, &type) != SL_OK)
                return false;
            if (type == SL_CONTROL_COMMIT || type == SL_CONTROL_ABORT)
                ops->marker(arg, &bi, type == SL_CONTROL_COMMIT, rec.offset);
            continue;
        }
        if (rec.key_len < 0) {
            SL_WARN(log_mod, "%s: record at offset %lld has no key: skipped", name, (long long)rec.offset);
            continue;
        }
        ops->record(arg, &bi, rec.key, (size_t)rec.key_len, rec.value, rec.value_len, rec.offset);
    }
    return err == SL_ERR_NOENT;
}

sl_err_t sl_internal_topic_scan(sl_broker_t *broker, const char *name, const char *log_mod, int32_t partition,
                                const atomic_bool *stop, const sl_internal_scan_ops_t *ops, void *arg)
{
    sl_partition_t *part = NULL;
    sl_err_t err = sl_broker_partition_get(broker, name, strlen(name), partition, &part);
    if (err != SL_OK)
        return err;
    sl_buf_t data, scratch;
    sl_buf_init(&data);
    sl_buf_init(&scratch);
    int64_t next = -1, end = 0;
    sl_partition_lock(part);
    if (part->log) {
        next = sl_log_start_offset(part->log);
        end = sl_log_end_offset(part->log); /* what was there at start-up */
    }
    sl_partition_unlock(part);
    if (next < 0)
        err = SL_ERR_KAFKA_STORAGE_ERROR;
    while (err == SL_OK && next < end && !atomic_load(stop)) {
        sl_log_slice_t slice = {.fd = -1};
        sl_partition_lock(part);
        err = part->log ? sl_log_read(part->log, next, READ_CHUNK, true, &slice) : SL_ERR_KAFKA_STORAGE_ERROR;
        if (err == SL_ERR_OFFSET_OUT_OF_RANGE) {
            /* retention or the cleaner moved the start meanwhile */
            int64_t start = part->log ? sl_log_start_offset(part->log) : end;
            err = start > next ? SL_OK : err;
            next = start;
            sl_partition_unlock(part);
            continue;
        }
        sl_partition_unlock(part);
        data.len = 0;
        if (err == SL_OK)
            err = sl_log_slice_read(&slice, &data);
        sl_log_slice_release(&slice);
        if (err != SL_OK || data.len == 0)
            break;
        sl_batch_iter_t bi;
        sl_batch_iter_init(&bi, data.data, data.len);
        sl_batch_t batch;
        int64_t before = next;
        while (sl_batch_iter_next(&bi, &batch) == SL_OK) {
            if (sl_batch_last_offset(&batch) < next)
                continue; /* the slice may start before next */
            if (!scan_batch(&batch, &scratch, name, log_mod, ops, arg))
                SL_WARN(log_mod, "%s-%d: batch at offset %lld cannot be read: skipped", name, partition,
                        (long long)batch.base_offset);
            next = sl_batch_last_offset(&batch) + 1;
        }
        if (next == before) {
            SL_WARN(log_mod, "%s-%d: nothing readable at offset %lld: the rest is skipped", name, partition,
                    (long long)next);
            break;
        }
        if (data.cap > SL_BROKER_KEEP_BUF_MAX)
            sl_buf_free(&data);
    }
    sl_buf_free(&data);
    sl_buf_free(&scratch);
    sl_partition_unref(part);
    return err;
}

typedef struct plain_scan {
    sl_internal_scan_fn *fn;
    void *arg;
} plain_scan_t;

static void plain_record(void *arg, const sl_internal_batch_info_t *bi, const uint8_t *key, size_t klen,
                         const uint8_t *value, int32_t vlen, int64_t offset)
{
    const plain_scan_t *ps = arg;
    SL_UNUSED(bi);
    ps->fn(ps->arg, key, klen, value, vlen, offset);
}

sl_err_t sl_internal_topic_scan_records(sl_broker_t *broker, const char *name, const char *log_mod,
                                        int32_t partition, const atomic_bool *stop, sl_internal_scan_fn *fn,
                                        void *arg)
{
    plain_scan_t ps = {fn, arg};
    const sl_internal_scan_ops_t ops = {.record = plain_record, .marker = NULL};
    return sl_internal_topic_scan(broker, name, log_mod, partition, stop, &ops, &ps);
}

/* ---- the loader thread ---- */

static void *loader_main(void *arg)
{
    sl_internal_loader_t *l = arg;
    int64_t t0 = sl_time_mono_ms();
    const char *delay = l->delay_env ? getenv(l->delay_env) : NULL;
    int64_t until = t0 + (delay ? atoll(delay) : 0);
    while (sl_time_mono_ms() < until && !atomic_load(&l->stop)) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    for (int32_t p = 0; p < l->nparts && !atomic_load(&l->stop); p++)
        l->load(p, l->arg);
    if (atomic_load(&l->stop))
        return NULL;
    atomic_store(&l->all_loaded, true);
    if (l->done)
        l->done(sl_time_mono_ms() - t0, l->arg);
    return NULL;
}

sl_err_t sl_internal_loader_start(sl_internal_loader_t *l, int32_t nparts, const char *delay_env,
                                  void (*load)(int32_t p, void *arg), void (*done)(int64_t ms, void *arg),
                                  void *arg)
{
    l->delay_env = delay_env;
    l->load = load;
    l->done = done;
    l->arg = arg;
    atomic_store(&l->stop, false);
    atomic_store(&l->all_loaded, false);
    l->started = false;
    l->loaded = NULL;
    l->nparts = nparts;
    if (nparts <= 0)
        return SL_OK;
    l->loaded = calloc((size_t)nparts, sizeof *l->loaded);
    if (!l->loaded) {
        l->nparts = -1;
        return SL_ERR_NOMEM;
    }
    for (int32_t p = 0; p < nparts; p++)
        atomic_init(&l->loaded[p], false);
    if (pthread_create(&l->thread, NULL, loader_main, l) != 0) {
        free(l->loaded);
        l->loaded = NULL;
        l->nparts = -1;
        return SL_ERR_NOMEM;
    }
    l->started = true;
    return SL_OK;
}

void sl_internal_loader_stop(sl_internal_loader_t *l)
{
    atomic_store(&l->stop, true);
    if (l->started)
        pthread_join(l->thread, NULL);
    l->started = false;
    free(l->loaded);
    l->loaded = NULL;
    l->nparts = -1;
}
