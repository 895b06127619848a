/*
 * txn_log.c - the coordinator's side of __transaction_state: creating the
 * topic at start-up (compacted, uncompressed, as Kafka's
 * TransactionStateManager creates it), appending one metadata record per
 * change through the path a produce takes (partition mutex, fetch waiters
 * woken, flush.messages honoured), and reading a partition back record by
 * record for the loader, all three through internal_topic.c as the group
 * coordinator's offsets_log.c does.
 */
#include <stdio.h>
#include <string.h>

#include "broker_int.h"
#include "txn_log.h"

#define TXN_LOG "txn"

int32_t sl_txn_topic_ensure(sl_broker_t *broker)
{
    const sl_internal_topic_t it = {
        .name = SL_TOPIC_TRANSACTION_STATE,
        .log_mod = TXN_LOG,
        .count_key = "transaction.state.log.num.partitions",
        .served = "transactions",
        .partitions = broker->cfg->transaction_state_log_num_partitions,
        .segment_bytes = broker->cfg->transaction_state_log_segment_bytes,
        .compression = "uncompressed",
    };
    return sl_internal_topic_ensure(broker, &it);
}

/* Kafka's TransactionStateManager maps an append error so. */
static int16_t append_error(sl_err_t err)
{
    switch (err) {
    case SL_ERR_UNKNOWN_TOPIC_OR_PARTITION:
        return SL_ERR_COORDINATOR_NOT_AVAILABLE;
    case SL_ERR_KAFKA_STORAGE_ERROR:
        return SL_ERR_NOT_COORDINATOR;
    default:
        return SL_ERR_UNKNOWN_SERVER_ERROR;
    }
}

int16_t sl_txn_log_append(sl_broker_t *broker, int32_t partition, sl_kstr_t id, const sl_txn_t *t)
{
    sl_buf_t key, value, out;
    sl_buf_init(&key);
    sl_buf_init(&value);
    sl_buf_init(&out);
    sl_txn_key_write(&key, id);
    if (t)
        sl_txn_value_write(&value, t);
    sl_err_t err = sl_buf_err(&key) != SL_OK || sl_buf_err(&value) != SL_OK ? SL_ERR_NOMEM : SL_OK;
    sl_batch_builder_t b;
    sl_batch_opts_t opts;
    sl_batch_opts_init(&opts); /* producer id -1, uncompressed, as Kafka's coordinator */
    int64_t now = sl_time_wall_ms();
    if (err == SL_OK && (err = sl_batch_builder_begin(&b, &out, &opts)) == SL_OK) {
        err = sl_batch_builder_add(&b, now, key.data, (int32_t)key.len, t ? value.data : NULL,
                                   t ? (int32_t)value.len : -1, NULL, 0);
        if (err == SL_OK)
            err = sl_batch_builder_finish(&b);
        else
            sl_batch_builder_abort(&b);
    }
    sl_buf_free(&key);
    sl_buf_free(&value);
    int16_t refused;
    if (err == SL_OK)
        err = sl_internal_topic_append(broker, SL_TOPIC_TRANSACTION_STATE, TXN_LOG, partition, out.data, out.len,
                                       NULL, NULL, &refused, NULL);
    sl_buf_free(&out);
    return err == SL_OK ? 0 : append_error(err);
}

/* ---- reading ---- */

sl_err_t sl_txn_log_scan(sl_broker_t *broker, int32_t partition, const atomic_bool *stop, sl_txn_scan_fn *fn,
                         void *arg)
{
    return sl_internal_topic_scan_records(broker, SL_TOPIC_TRANSACTION_STATE, TXN_LOG, partition, stop, fn, arg);
}
