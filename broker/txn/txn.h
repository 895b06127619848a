/*
 * txn.h - the transaction coordinator's internals (broker/txn/): one
 * transactional id's metadata and its pure state transitions (txn_state.c,
 * Kafka 3.4's TransactionMetadata and TransactionCoordinator rules, driven
 * with an explicit clock so unit tests need no network), its records in
 * __transaction_state (txn_records.c), and the coordinator that keeps them
 * durable and writes the markers (txn_coord.c, declared in broker_int.h and
 * below for the handlers of txn_api.c and producer_init.c).
 *
 * Every change follows one pattern: a transition computes the next
 * metadata into a separate sl_txn_t from the current one (never touching
 * it), the coordinator writes that to __transaction_state, and only once
 * the write succeeded does the next metadata replace the current one. A
 * failed write leaves the current metadata as it was: nothing is ever
 * half-visible.
 */
#ifndef SL_BROKER_TXN_H
#define SL_BROKER_TXN_H

#include <stdbool.h>
#include <stdint.h>

#include "base.h"
#include "proto.h"

/* Kafka's TransactionState ids, as stored in TransactionStatus. */
typedef enum sl_txn_state {
    SL_TXN_EMPTY = 0,
    SL_TXN_ONGOING = 1,
    SL_TXN_PREPARE_COMMIT = 2,
    SL_TXN_PREPARE_ABORT = 3,
    SL_TXN_COMPLETE_COMMIT = 4,
    SL_TXN_COMPLETE_ABORT = 5,
    SL_TXN_DEAD = 6,
    SL_TXN_PREPARE_EPOCH_FENCE = 7,
} sl_txn_state_t;

/* Kafka's name of a state ("Empty", "Ongoing", ...; DescribeTransactions
 * and ListTransactions use them), or "Unknown". */
const char *sl_txn_state_name(sl_txn_state_t st);
/* The state named name[0..len) (exact, case-sensitive), or -1. */
int sl_txn_state_parse(const char *name, size_t len);

/* One partition of a transaction. */
typedef struct sl_txn_tp {
    char *topic;                       /* owned */
    int32_t partition;
} sl_txn_tp_t;

/* A transactional id's metadata. Timestamps are wall-clock ms. */
typedef struct sl_txn {
    int64_t producer_id;
    int16_t producer_epoch;            /* -1: none yet */
    int64_t last_producer_id;          /* memory only: v0 records lack it; -1 */
    int16_t last_producer_epoch;       /* memory only; -1 */
    int32_t timeout_ms;
    sl_txn_state_t state;
    sl_txn_tp_t *parts;                /* owned, each topic owned */
    int32_t nparts, cap;
    int64_t start_ts;                  /* -1 when no transaction started */
    int64_t update_ts;
} sl_txn_t;

/* A fresh metadata: no producer (-1), Empty, no partitions. */
void sl_txn_init(sl_txn_t *t);
void sl_txn_free(sl_txn_t *t);
/* Deep copy of src into dst (dst's own memory is freed first); SL_OK or
 * SL_ERR_NOMEM (dst then unchanged). */
sl_err_t sl_txn_copy(sl_txn_t *dst, const sl_txn_t *src);
/* Moves src into dst (dst's memory freed); src is left initialised. */
void sl_txn_move(sl_txn_t *dst, sl_txn_t *src);
/* Is topic/partition in t? */
bool sl_txn_has_part(const sl_txn_t *t, sl_kstr_t topic, int32_t partition);
/* Adds topic/partition unless there. SL_OK or SL_ERR_NOMEM. */
sl_err_t sl_txn_add_part(sl_txn_t *t, sl_kstr_t topic, int32_t partition);

/* ======================================================================
 * Records (txn_records.c): TransactionLogKey v0 and TransactionLogValue v0
 * ====================================================================== */

/* Key: int16 version 0, string transactional id. */
void sl_txn_key_write(sl_buf_t *out, sl_kstr_t id);
/* Value v0: producer id, epoch, timeout, status, the partitions grouped by
 * topic (a null array for Empty, as Kafka writes), last update and start
 * timestamps. */
void sl_txn_value_write(sl_buf_t *out, const sl_txn_t *t);
/* *id borrows p. SL_OK; SL_ERR_UNSUPPORTED (another version);
 * SL_ERR_PARSE (truncated, bad length, bytes left over). */
sl_err_t sl_txn_key_read(const void *p, size_t n, sl_kstr_t *id);
/* Fills *t (initialised by the call; free it with sl_txn_free, also after
 * an error). SL_OK; SL_ERR_UNSUPPORTED (a version other than 0);
 * SL_ERR_PARSE (truncated, bad lengths or counts, an unknown status,
 * bytes left over); SL_ERR_NOMEM. Counts are checked against the bytes
 * left before anything is allocated. */
sl_err_t sl_txn_value_read(const void *p, size_t n, sl_txn_t *t);

/* ======================================================================
 * Transitions (txn_state.c). Each reads cur (never changed), and on
 * success fills next (initialised by the call; the caller frees it) with
 * the metadata to persist. They return 0 or a Kafka error code; the
 * coordinator maps PRODUCER_FENCED for old request versions.
 * ====================================================================== */

/* Kafka's exhausted epoch: Short.MaxValue - 1 or above. */
bool sl_txn_epoch_exhausted(int16_t epoch);

/* A new producer id (allocation may fail: SL_ERR_* other than SL_OK). */
typedef sl_err_t sl_txn_pid_fn(void *arg, int64_t *out);

/* InitProducerId on an existing (or freshly initialised: producer_epoch
 * -1) metadata. exp_pid/exp_epoch: the producer id and epoch a v3+
 * request carries (-1/-1: none). Results:
 *   0 and *fence false: next is the Empty metadata with the bumped epoch
 *     (or a new producer id at epoch 0 when the epoch is exhausted) to
 *     persist and answer;
 *   0 and *fence true: the metadata was Ongoing: next is PrepareAbort at
 *     the bumped epoch (the old producer is fenced); the coordinator
 *     completes that abort and answers CONCURRENT_TRANSACTIONS, so the
 *     client retries and gets the epoch bumped once more;
 *   CONCURRENT_TRANSACTIONS (PrepareCommit/PrepareAbort: markers being
 *   written), PRODUCER_FENCED (exp does not match), INVALID_TXN_STATE
 *   (Dead, PrepareEpochFence), UNKNOWN_SERVER_ERROR (no memory, no new
 *   producer id). */
int16_t sl_txn_prepare_init(const sl_txn_t *cur, int32_t timeout_ms, int64_t exp_pid, int16_t exp_epoch,
                            sl_txn_pid_fn *pid_fn, void *pid_arg, int64_t now, sl_txn_t *next, bool *fence);

/* AddPartitionsToTxn / AddOffsetsToTxn: tps[0..n) joins the transaction
 * (Ongoing from now if it was not). *noop: every partition is already in
 * the Ongoing transaction (nothing to persist; next is left empty).
 * INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED, CONCURRENT_TRANSACTIONS
 * (PrepareCommit/PrepareAbort), INVALID_TXN_STATE (Dead, fence),
 * UNKNOWN_SERVER_ERROR (no memory). */
int16_t sl_txn_prepare_add(const sl_txn_t *cur, int64_t pid, int16_t epoch, const sl_txn_tp_t *tps, int32_t n,
                           int64_t now, sl_txn_t *next, bool *noop);

/* EndTxn from the client: Ongoing -> PrepareCommit/PrepareAbort. *noop:
 * a retry of an EndTxn that already completed (CompleteCommit with commit,
 * CompleteAbort with abort): answer 0 with nothing to do.
 * INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED, CONCURRENT_TRANSACTIONS
 * (the same end still writing its markers), INVALID_TXN_STATE (Empty, the
 * other end, Dead), UNKNOWN_SERVER_ERROR. */
int16_t sl_txn_prepare_end(const sl_txn_t *cur, int64_t pid, int16_t epoch, bool commit, int64_t now,
                           sl_txn_t *next, bool *noop);

/* After every marker of a PrepareCommit/PrepareAbort was written: the
 * CompleteCommit/CompleteAbort metadata, without partitions. Returns 0,
 * INVALID_TXN_STATE (cur is not prepared) or UNKNOWN_SERVER_ERROR. */
int16_t sl_txn_prepare_complete(const sl_txn_t *cur, int64_t now, sl_txn_t *next);

/* The timeout rule: true when cur is Ongoing and started more than its
 * timeout before now; next is then PrepareAbort at the bumped epoch (the
 * same epoch when exhausted), so the zombie producer is fenced. */
bool sl_txn_prepare_timeout(const sl_txn_t *cur, int64_t now, sl_txn_t *next);

/* The expiry rule: no transaction in flight (Empty, CompleteCommit,
 * CompleteAbort) and last updated expiration_ms or more before now. */
bool sl_txn_expired(const sl_txn_t *cur, int64_t now, int64_t expiration_ms);

/* ======================================================================
 * The coordinator (txn_coord.c) for the handlers
 * ====================================================================== */

struct sl_broker;

/* The coordinator's answer to one InitProducerId with a transactional id
 * (non-empty; timeout already validated by the caller). 0 with *pid and
 * *epoch, or CONCURRENT_TRANSACTIONS (also after an Ongoing transaction
 * was aborted on the way), PRODUCER_FENCED, COORDINATOR_LOAD_IN_PROGRESS,
 * COORDINATOR_NOT_AVAILABLE (no __transaction_state, or its write failed
 * for a reason the client should retry elsewhere), NOT_COORDINATOR,
 * INVALID_TXN_STATE, UNKNOWN_SERVER_ERROR. Thread: any. */
int16_t sl_txn_coord_init_pid(struct sl_broker *broker, sl_kstr_t id, int32_t timeout_ms, int64_t exp_pid,
                              int16_t exp_epoch, int64_t *pid, int16_t *epoch);

/* Adds tps[0..n) (already checked to exist) to id's transaction; 0 or an
 * error as sl_txn_prepare_add's, plus the load and write errors above.
 * Thread: any. */
int16_t sl_txn_coord_add(struct sl_broker *broker, sl_kstr_t id, int64_t pid, int16_t epoch, const sl_txn_tp_t *tps,
                         int32_t n);

/* EndTxn: Prepare persisted, markers written (on this thread), Complete
 * persisted, then 0; errors as sl_txn_prepare_end's plus load and write
 * errors (a marker that could not be written leaves the transaction
 * prepared; the abort timer retries it and the answer is still 0, as
 * Kafka answers once the prepare is durable). Thread: any. */
int16_t sl_txn_coord_end(struct sl_broker *broker, sl_kstr_t id, int64_t pid, int16_t epoch, bool commit);

/* The metadata of id copied into *out (initialised by the call; free it):
 * 0, TRANSACTIONAL_ID_NOT_FOUND, COORDINATOR_LOAD_IN_PROGRESS,
 * COORDINATOR_NOT_AVAILABLE. Thread: any. */
int16_t sl_txn_coord_describe(struct sl_broker *broker, sl_kstr_t id, sl_txn_t *out);

/* One listed transactional id. */
typedef struct sl_txn_listed {
    char *id;                          /* malloc'ed */
    int64_t producer_id;
    sl_txn_state_t state;
} sl_txn_listed_t;
/* Every live transactional id of the loaded partitions into a malloc'ed
 * array (*out; free each id and the array); the count, or -1 on no
 * memory. *err: COORDINATOR_LOAD_IN_PROGRESS while partitions are still
 * loading, COORDINATOR_NOT_AVAILABLE, else 0. Thread: any. */
int32_t sl_txn_coord_list(struct sl_broker *broker, sl_txn_listed_t **out, int16_t *err);

/* err as answered to a request of version: PRODUCER_FENCED becomes
 * INVALID_PRODUCER_EPOCH below first_fenced_version (KIP-588). */
int16_t sl_txn_fenced_for(int16_t err, int16_t version, int16_t first_fenced_version);

/* Does this node serve transactions (the coordinator is open with its
 * topic)? Thread: any. */
bool sl_txn_coord_available(void);

/* __transaction_state's partition count while open, else -1. */
int32_t sl_txn_coord_partitions(void);

#endif /* SL_BROKER_TXN_H */
