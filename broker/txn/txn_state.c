/*
 * txn_state.c - one transactional id's metadata and its transitions, as
 * Kafka 3.4's TransactionCoordinator and TransactionMetadata decide them
 * (handleInitProducerId with KIP-360's producer id/epoch checks and
 * PrepareEpochFence, handleAddPartitionsToTransaction, endTransaction,
 * the timed-out abort and the transactional id expiry). Pure functions of
 * the current metadata and a clock: the coordinator persists what they
 * compute, and only then makes it current.
 */
#include <stdlib.h>
#include <string.h>

#include "txn.h"

static const char *const state_names[] = {
    "Empty", "Ongoing", "PrepareCommit", "PrepareAbort", "CompleteCommit", "CompleteAbort", "Dead",
    "PrepareEpochFence",
};

const char *sl_txn_state_name(sl_txn_state_t st)
{
    return (unsigned)st < SL_ARRAY_LEN(state_names) ? state_names[st] : "Unknown";
}

int sl_txn_state_parse(const char *name, size_t len)
{
    for (size_t i = 0; i < SL_ARRAY_LEN(state_names); i++)
        if (strlen(state_names[i]) == len && memcmp(state_names[i], name, len) == 0)
            return (int)i;
    return -1;
}

/* ---- metadata ---- */

void sl_txn_init(sl_txn_t *t)
{
    memset(t, 0, sizeof *t);
    t->producer_id = -1;
    t->producer_epoch = -1;
    t->last_producer_id = -1;
    t->last_producer_epoch = -1;
    t->state = SL_TXN_EMPTY;
    t->start_ts = -1;
    t->update_ts = -1;
}

static void parts_clear(sl_txn_t *t)
{
    for (int32_t i = 0; i < t->nparts; i++)
        free(t->parts[i].topic);
    t->nparts = 0;
}

void sl_txn_free(sl_txn_t *t)
{
    parts_clear(t);
    free(t->parts);
    sl_txn_init(t);
}

void sl_txn_move(sl_txn_t *dst, sl_txn_t *src)
{
    sl_txn_free(dst);
    *dst = *src;
    sl_txn_init(src);
}

bool sl_txn_has_part(const sl_txn_t *t, sl_kstr_t topic, int32_t partition)
{
    for (int32_t i = 0; i < t->nparts; i++)
        if (t->parts[i].partition == partition && strlen(t->parts[i].topic) == (size_t)SL_MAX(topic.len, 0) &&
            (topic.len <= 0 || memcmp(t->parts[i].topic, topic.ptr, (size_t)topic.len) == 0))
            return true;
    return false;
}

sl_err_t sl_txn_add_part(sl_txn_t *t, sl_kstr_t topic, int32_t partition)
{
    if (sl_txn_has_part(t, topic, partition))
        return SL_OK;
    if (t->nparts == t->cap) {
        int32_t cap = t->cap ? t->cap * 2 : 8;
        sl_txn_tp_t *p = realloc(t->parts, (size_t)cap * sizeof *p);
        if (!p)
            return SL_ERR_NOMEM;
        t->parts = p;
        t->cap = cap;
    }
    char *name = strndup(topic.ptr ? topic.ptr : "", (size_t)SL_MAX(topic.len, 0));
    if (!name)
        return SL_ERR_NOMEM;
    t->parts[t->nparts].topic = name;
    t->parts[t->nparts].partition = partition;
    t->nparts++;
    return SL_OK;
}

sl_err_t sl_txn_copy(sl_txn_t *dst, const sl_txn_t *src)
{
    sl_txn_t c = *src;
    c.parts = NULL;
    c.nparts = c.cap = 0;
    for (int32_t i = 0; i < src->nparts; i++) {
        if (sl_txn_add_part(&c, sl_kstr(src->parts[i].topic), src->parts[i].partition) != SL_OK) {
            sl_txn_free(&c);
            return SL_ERR_NOMEM;
        }
    }
    sl_txn_free(dst);
    *dst = c;
    return SL_OK;
}

/* ---- transitions ---- */

bool sl_txn_epoch_exhausted(int16_t epoch) { return epoch >= INT16_MAX - 1; }

/* next = a copy of cur, or UNKNOWN_SERVER_ERROR. */
static int16_t start(const sl_txn_t *cur, sl_txn_t *next)
{
    sl_txn_init(next);
    return sl_txn_copy(next, cur) == SL_OK ? 0 : SL_ERR_UNKNOWN_SERVER_ERROR;
}

/* The producer's metadata without a transaction: Empty at pid/epoch. */
static void to_empty(sl_txn_t *next, int64_t pid, int16_t epoch, int16_t last_epoch, int32_t timeout_ms,
                     int64_t now)
{
    if (pid != next->producer_id)
        next->last_producer_id = next->producer_id;
    next->producer_id = pid;
    next->producer_epoch = epoch;
    next->last_producer_epoch = last_epoch;
    next->timeout_ms = timeout_ms;
    next->state = SL_TXN_EMPTY;
    parts_clear(next);
    next->start_ts = -1;
    next->update_ts = now;
}

int16_t sl_txn_prepare_init(const sl_txn_t *cur, int32_t timeout_ms, int64_t exp_pid, int16_t exp_epoch,
                            sl_txn_pid_fn *pid_fn, void *pid_arg, int64_t now, sl_txn_t *next, bool *fence)
{
    *fence = false;
    sl_txn_init(next);
    bool exp = exp_pid >= 0;
    /* KIP-360: a producer that names its id is fenced unless the metadata
     * was just created, the id is the current one (its epoch is checked
     * below), or it is the previous id at an exhausted epoch (a retry of a
     * rotation whose answer was lost) */
    if (exp && !(cur->producer_epoch < 0 || exp_pid == cur->producer_id ||
                 (exp_pid == cur->last_producer_id && sl_txn_epoch_exhausted(exp_epoch))))
        return SL_ERR_PRODUCER_FENCED;
    switch (cur->state) {
    case SL_TXN_PREPARE_COMMIT:
    case SL_TXN_PREPARE_ABORT:
        return SL_ERR_CONCURRENT_TRANSACTIONS;
    case SL_TXN_ONGOING: {
        /* abort first, at a bumped epoch that fences the current producer;
         * the client is told to retry, and its retry bumps once more */
        int16_t err = start(cur, next);
        if (err)
            return err;
        if (!sl_txn_epoch_exhausted(cur->producer_epoch))
            next->producer_epoch = (int16_t)(cur->producer_epoch + 1);
        next->last_producer_epoch = -1;
        next->state = SL_TXN_PREPARE_ABORT;
        next->update_ts = now;
        *fence = true;
        return 0;
    }
    case SL_TXN_EMPTY:
    case SL_TXN_COMPLETE_COMMIT:
    case SL_TXN_COMPLETE_ABORT:
        break;
    default:
        return SL_ERR_INVALID_TXN_STATE;
    }
    int16_t err = start(cur, next);
    if (err)
        return err;
    if (sl_txn_epoch_exhausted(cur->producer_epoch) && (!exp || exp_epoch == cur->producer_epoch)) {
        int64_t pid;
        if (pid_fn(pid_arg, &pid) != SL_OK) {
            sl_txn_free(next);
            return SL_ERR_UNKNOWN_SERVER_ERROR;
        }
        to_empty(next, pid, 0, exp ? cur->producer_epoch : -1, timeout_ms, now);
        return 0;
    }
    if (sl_txn_epoch_exhausted(cur->producer_epoch)) {
        sl_txn_free(next);
        return SL_ERR_PRODUCER_FENCED; /* an exhausted epoch the producer does not hold */
    }
    int16_t bumped = (int16_t)(cur->producer_epoch + 1);
    if (!exp) {
        to_empty(next, cur->producer_id, bumped, -1, timeout_ms, now);
    } else if (cur->producer_epoch < 0 || exp_epoch == cur->producer_epoch) {
        to_empty(next, cur->producer_id, bumped, cur->producer_epoch, timeout_ms, now);
    } else if (exp_epoch == cur->last_producer_epoch) {
        /* a retry of a bump whose answer was lost: the same epoch again */
        to_empty(next, cur->producer_id, cur->producer_epoch, cur->last_producer_epoch, timeout_ms, now);
    } else {
        sl_txn_free(next);
        return SL_ERR_PRODUCER_FENCED;
    }
    return 0;
}

/* The producer id and epoch checks every client call makes. */
static int16_t check_producer(const sl_txn_t *cur, int64_t pid, int16_t epoch)
{
    if (cur->state == SL_TXN_DEAD || cur->producer_id != pid)
        return SL_ERR_INVALID_PRODUCER_ID_MAPPING;
    if (cur->producer_epoch != epoch)
        return SL_ERR_PRODUCER_FENCED;
    return 0;
}

int16_t sl_txn_prepare_add(const sl_txn_t *cur, int64_t pid, int16_t epoch, const sl_txn_tp_t *tps, int32_t n,
                           int64_t now, sl_txn_t *next, bool *noop)
{
    *noop = false;
    sl_txn_init(next);
    int16_t err = check_producer(cur, pid, epoch);
    if (err)
        return err;
    if (cur->state == SL_TXN_PREPARE_COMMIT || cur->state == SL_TXN_PREPARE_ABORT)
        return SL_ERR_CONCURRENT_TRANSACTIONS;
    if (cur->state == SL_TXN_PREPARE_EPOCH_FENCE)
        return SL_ERR_INVALID_TXN_STATE;
    if (cur->state == SL_TXN_ONGOING) {
        bool all = true;
        for (int32_t i = 0; i < n && all; i++)
            all = sl_txn_has_part(cur, sl_kstr(tps[i].topic), tps[i].partition);
        if (all) {
            *noop = true;
            return 0;
        }
    }
    if ((err = start(cur, next)) != 0)
        return err;
    if (cur->state != SL_TXN_ONGOING) {
        parts_clear(next);
        next->start_ts = now;
    }
    for (int32_t i = 0; i < n; i++) {
        if (sl_txn_add_part(next, sl_kstr(tps[i].topic), tps[i].partition) != SL_OK) {
            sl_txn_free(next);
            return SL_ERR_UNKNOWN_SERVER_ERROR;
        }
    }
    next->state = SL_TXN_ONGOING;
    next->update_ts = now;
    return 0;
}

int16_t sl_txn_prepare_end(const sl_txn_t *cur, int64_t pid, int16_t epoch, bool commit, int64_t now,
                           sl_txn_t *next, bool *noop)
{
    *noop = false;
    sl_txn_init(next);
    int16_t err = check_producer(cur, pid, epoch);
    if (err)
        return err;
    switch (cur->state) {
    case SL_TXN_ONGOING:
        if ((err = start(cur, next)) != 0)
            return err;
        next->state = commit ? SL_TXN_PREPARE_COMMIT : SL_TXN_PREPARE_ABORT;
        next->update_ts = now;
        return 0;
    case SL_TXN_COMPLETE_COMMIT:
    case SL_TXN_COMPLETE_ABORT:
        if (commit != (cur->state == SL_TXN_COMPLETE_COMMIT))
            return SL_ERR_INVALID_TXN_STATE;
        *noop = true; /* a retry of the end that completed */
        return 0;
    case SL_TXN_PREPARE_COMMIT:
    case SL_TXN_PREPARE_ABORT:
        return commit == (cur->state == SL_TXN_PREPARE_COMMIT) ? SL_ERR_CONCURRENT_TRANSACTIONS
                                                               : SL_ERR_INVALID_TXN_STATE;
    default:
        return SL_ERR_INVALID_TXN_STATE;
    }
}

int16_t sl_txn_prepare_complete(const sl_txn_t *cur, int64_t now, sl_txn_t *next)
{
    sl_txn_init(next);
    if (cur->state != SL_TXN_PREPARE_COMMIT && cur->state != SL_TXN_PREPARE_ABORT)
        return SL_ERR_INVALID_TXN_STATE;
    int16_t err = start(cur, next);
    if (err)
        return err;
    next->state = cur->state == SL_TXN_PREPARE_COMMIT ? SL_TXN_COMPLETE_COMMIT : SL_TXN_COMPLETE_ABORT;
    parts_clear(next);
    next->update_ts = now;
    return 0;
}

bool sl_txn_prepare_timeout(const sl_txn_t *cur, int64_t now, sl_txn_t *next)
{
    sl_txn_init(next);
    if (cur->state != SL_TXN_ONGOING || cur->start_ts < 0 || cur->start_ts + cur->timeout_ms >= now)
        return false;
    if (start(cur, next) != 0)
        return false; /* no memory: the next check tries again */
    if (!sl_txn_epoch_exhausted(cur->producer_epoch))
        next->producer_epoch = (int16_t)(cur->producer_epoch + 1);
    next->last_producer_epoch = -1;
    next->state = SL_TXN_PREPARE_ABORT;
    next->update_ts = now;
    return true;
}

bool sl_txn_expired(const sl_txn_t *cur, int64_t now, int64_t expiration_ms)
{
    bool idle = cur->state == SL_TXN_EMPTY || cur->state == SL_TXN_COMPLETE_COMMIT ||
                cur->state == SL_TXN_COMPLETE_ABORT;
    return idle && cur->producer_id >= 0 && cur->update_ts + expiration_ms <= now;
}
