/*
 * txn_int.h - the contract between the three parts of transactions in
 * sluiced (Kafka 3.4's design, one node):
 *
 *   broker/txn/          the transaction coordinator: transactional ids,
 *                        their producer id and epoch, the partitions of the
 *                        transaction in flight, state kept in the compacted
 *                        internal topic __transaction_state; EndTxn writes
 *                        a marker into every partition of the transaction
 *                        (sl_txn_marker_write) and, for the partitions of
 *                        __consumer_offsets it holds, tells the group
 *                        coordinator (sl_coord_txn_complete).
 *   broker/txn_partition.c  each partition's transactions: a transactional
 *                        batch opens the producer's transaction on the
 *                        partition, a marker (control batch) closes it; the
 *                        last stable offset (LSO: the first offset of the
 *                        oldest open transaction, else the log end) and
 *                        the aborted transactions (per segment .txnindex)
 *                        that Fetch with read_committed needs.
 *   broker/group/        TxnOffsetCommit: offsets written to
 *                        __consumer_offsets in a transactional batch, held
 *                        pending per producer id until the marker says
 *                        commit (then visible to OffsetFetch) or abort.
 *
 * Lock order (broker_int.h's, extended): a coordinator's own mutexes are
 * taken before part->mu; sl_txn_marker_write takes part->mu itself, so it
 * is called with no partition mutex held.
 */
#ifndef SL_BROKER_TXN_INT_H
#define SL_BROKER_TXN_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "broker_int.h"

/* Writes a transaction marker into part (borrowed; the caller holds a
 * reference): a control batch of producer_id/producer_epoch whose one
 * record is Kafka's EndTxnMarker (key: int16 version 0, int16 type, 0 abort
 * or 1 commit; value: int16 version 0, int32 coordinator_epoch), appended
 * under part->mu. It ends the producer's open transaction on the
 * partition (the LSO moves on); an abort also records the aborted
 * transaction (producer id, first offset, last offset) for read_committed
 * fetches and in the segment's .txnindex. Waiting fetches are woken; the
 * partition's flush settings apply as for a produce (an fsync before
 * returning when flush.messages asks for one). A marker for a producer
 * with no open transaction on the partition is written all the same
 * (Kafka does). SL_OK; SL_ERR_UNKNOWN_TOPIC_OR_PARTITION (the partition
 * is offline or being deleted); SL_ERR_KAFKA_STORAGE_ERROR (the append or
 * its fsync failed). Thread: any, no partition mutex held. */
sl_err_t sl_txn_marker_write(sl_broker_t *broker, sl_partition_t *part, int64_t producer_id, int16_t producer_epoch,
                             bool commit, int32_t coordinator_epoch);

/* The last stable offset of part: the first offset of its oldest open
 * transaction, else its log end offset. part->mu held. */
int64_t sl_txn_partition_lso_locked(sl_partition_t *part);

/* After the marker of producer_id's transaction was written to partition
 * offsets_partition of __consumer_offsets: the transactional offsets that
 * producer committed (TxnOffsetCommit) for groups of that partition become
 * the groups' committed offsets (commit) or are dropped (abort), as in
 * Kafka's GroupCoordinator.scheduleHandleTxnCompletion. Offsets the
 * producer committed with another epoch are handled the same way (the
 * marker ends the producer id's transaction). Thread: any, no partition
 * mutex held. */
void sl_coord_txn_complete(sl_broker_t *broker, int32_t offsets_partition, int64_t producer_id, bool commit);

#endif /* SL_BROKER_TXN_INT_H */
