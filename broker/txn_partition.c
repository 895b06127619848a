/*
 * txn_partition.c - each partition's side of transactions (txn_int.h):
 * transaction markers written by the coordinator's EndTxn, and the last
 * stable offset that read_committed fetches and ListOffsets stop at.
 *
 * The open transactions live in the partition's producer state
 * (producer_int.h: a transactional batch opens its producer's transaction,
 * a marker closes it), so they are rebuilt with it from the snapshot and
 * the log after a restart. Aborted transactions go to the segment's
 * .txnindex through the log (log.h, "Transactions").
 */
#include "producer_int.h"
#include "txn_int.h"

/* Loads the producer state when nothing did yet; NULL when it cannot be
 * read (logged). part->mu held, part->log set. */
static sl_producer_state_t *state_of(sl_partition_t *part)
{
    sl_producer_state_t *st;
    return sl_producer_state_ensure(part, &st) == SL_OK ? st : NULL;
}

int64_t sl_txn_partition_lso_locked(sl_partition_t *part)
{
    if (!part->log)
        return -1;
    int64_t end = sl_log_end_offset(part->log);
    sl_producer_state_t *st = state_of(part);
    int64_t first = st ? sl_producer_state_first_open(st) : -1;
    if (first < 0 || first >= end)
        return end;
    /* Retention or DeleteRecords may have removed its first batches. */
    return SL_MAX(first, sl_log_start_offset(part->log));
}

/* Appends the marker batch in buf, closes the producer's transaction,
 * indexes an abort, wakes waiting fetches and fsyncs when flush.messages
 * asks for it. part->mu held, part->log set. */
static sl_err_t marker_append_locked(sl_partition_t *part, sl_buf_t *buf, int64_t producer_id, int16_t producer_epoch,
                                     bool commit, int32_t coordinator_epoch, int64_t now)
{
    sl_producer_state_t *st = state_of(part);
    if (!st)
        return SL_ERR_KAFKA_STORAGE_ERROR;
    sl_log_append_info_t info;
    sl_err_t err = sl_log_append(part->log, buf->data, buf->len, 0, now, &info);
    if (err != SL_OK) {
        SL_ERROR(SL_BROKER_LOG, "marker append to %s-%d failed: %s", part->topic->name, part->index,
                 sl_log_errmsg(part->log));
        return SL_ERR_KAFKA_STORAGE_ERROR;
    }
    sl_producer_txn_t done;
    if (sl_producer_state_txn_end(st, producer_id, producer_epoch, coordinator_epoch, info.base_offset, now,
                                  &done) != SL_OK) {
        st->loaded = false; /* no memory: rebuilt from the log (which has the marker) next time */
        done.first_offset = -1;
    }
    if (!commit && done.first_offset >= 0) {
        int64_t open = sl_producer_state_first_open(st);
        sl_log_txn_aborted_t a = {
            .producer_id = producer_id,
            .first_offset = done.first_offset,
            .last_offset = done.last_offset,
            .last_stable_offset = open >= 0 ? open : info.last_offset + 1,
        };
        if (sl_log_txn_abort_add(part->log, &a) != SL_OK) {
            /* Still kept in memory for fetches (a torn file is rebuilt at
             * the next open); the coordinator hears of the failure. */
            SL_ERROR(SL_BROKER_LOG, "%s-%d: aborted transaction not indexed: %s", part->topic->name, part->index,
                     sl_log_errmsg(part->log));
            err = SL_ERR_KAFKA_STORAGE_ERROR;
        }
    }
    SL_DEBUG(SL_BROKER_LOG, "%s-%d: %s marker of producer %lld (epoch %d) at offset %lld", part->topic->name,
             part->index, commit ? "commit" : "abort", (long long)producer_id, producer_epoch,
             (long long)info.base_offset);
    sl_partition_wake_waiters_locked(part);
    if (sl_log_unflushed_messages(part->log) >= part->cfg.flush_messages && sl_log_flush(part->log, now) != SL_OK)
        err = SL_ERR_KAFKA_STORAGE_ERROR;
    return err;
}

sl_err_t sl_txn_marker_write(sl_broker_t *broker, sl_partition_t *part, int64_t producer_id, int16_t producer_epoch,
                             bool commit, int32_t coordinator_epoch)
{
    SL_UNUSED(broker);
    sl_batch_opts_t opts;
    sl_batch_opts_init(&opts);
    opts.producer_id = producer_id;
    opts.producer_epoch = producer_epoch;
    sl_buf_t buf;
    sl_buf_init(&buf);
    int64_t now = sl_time_wall_ms();
    sl_err_t err = sl_batch_write_control(&buf, &opts, commit, coordinator_epoch, now);
    if (err != SL_OK) {
        sl_buf_free(&buf);
        return SL_ERR_KAFKA_STORAGE_ERROR;
    }
    sl_partition_lock(part);
    if (!part->log)
        err = SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    else
        err = marker_append_locked(part, &buf, producer_id, producer_epoch, commit, coordinator_epoch, now);
    sl_partition_unlock(part);
    sl_buf_free(&buf);
    return err;
}
