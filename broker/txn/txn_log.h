/*
 * txn_log.h - the transaction coordinator's side of __transaction_state
 * (txn_log.c): the topic, one record appended per metadata change, and the
 * loader's read-back.
 */
#ifndef SL_BROKER_TXN_LOG_H
#define SL_BROKER_TXN_LOG_H

#include <stdatomic.h>

#include "txn.h"

struct sl_broker;

/* Start-up: creates __transaction_state when missing
 * (transaction.state.log.num.partitions partitions, cleanup.policy=compact,
 * segment.bytes=transaction.state.log.segment.bytes, uncompressed). An
 * existing topic keeps its count (a different configured one is logged).
 * Returns the partition count, or -1 (logged) when it cannot be created.
 * Thread: any, before transactions are served. */
int32_t sl_txn_topic_ensure(struct sl_broker *broker);

/* Appends id's metadata t (NULL: its tombstone) to partition of
 * __transaction_state in one uncompressed batch, fsync'ed at once when
 * flush.messages asks. 0, or the error to answer with, as Kafka maps it:
 * COORDINATOR_NOT_AVAILABLE (no such partition), NOT_COORDINATOR (storage
 * error, logged), UNKNOWN_SERVER_ERROR (too large, no memory). Thread:
 * any; takes part->mu (the caller may hold a transactional id's mutex). */
int16_t sl_txn_log_append(struct sl_broker *broker, int32_t partition, sl_kstr_t id, const sl_txn_t *t);

/* Called for each keyed record read back (vlen -1: tombstone, value NULL);
 * everything borrowed for the call only. */
typedef void sl_txn_scan_fn(void *arg, const uint8_t *key, size_t klen, const uint8_t *value, int32_t vlen,
                            int64_t offset);
/* Reads partition of __transaction_state from its start to the end offset
 * it had when the call began (control batches and keyless records
 * skipped; unreadable batches skipped with a warning); stops early when
 * *stop is set. SL_OK, SL_ERR_UNKNOWN_TOPIC_OR_PARTITION,
 * SL_ERR_KAFKA_STORAGE_ERROR, SL_ERR_IO, SL_ERR_NOMEM. Thread: any; takes
 * part->mu for each read, never while fn runs. */
sl_err_t sl_txn_log_scan(struct sl_broker *broker, int32_t partition, const atomic_bool *stop, sl_txn_scan_fn *fn,
                         void *arg);

#endif /* SL_BROKER_TXN_LOG_H */
