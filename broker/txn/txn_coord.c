/*
 * txn_coord.c - the transaction coordinator (Kafka 3.4's design on one
 * node): the map of transactional ids, each change persisted in
 * __transaction_state before it becomes current and before the client is
 * answered, the markers written when a transaction ends, the loader that
 * rebuilds the ids at start-up (ids of a partition not loaded yet answer
 * COORDINATOR_LOAD_IN_PROGRESS; transactions found prepared are completed,
 * Ongoing ones are left to their timeout), and the timers that abort
 * timed-out transactions and remove expired ids.
 *
 * Markers are written synchronously on the thread that ended the
 * transaction (a request's, the timer's or the loader's) while the id's
 * mutex is held: Prepare persisted -> a marker in every partition
 * (sl_txn_marker_write; for __consumer_offsets partitions also
 * sl_coord_txn_complete) -> Complete persisted. Other requests for that id
 * wait for the mutex and then see the completed transaction. A marker that
 * cannot be written (storage error) leaves the transaction prepared:
 * requests get CONCURRENT_TRANSACTIONS and the abort timer retries it.
 *
 * Locks: coord.mu (the map) is never held while an id's mutex is taken by
 * a caller that waits; an id's mutex is taken before part->mu (the log
 * append and the markers take it themselves). Entries are never freed
 * while the coordinator is open (an expired id is emptied), so a pointer
 * from the map stays valid.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "broker_int.h"
#include "group/group_int.h"
#include "producer_int.h"
#include "txn.h"
#include "txn_int.h"
#include "txn_log.h"

#define TXN_LOG "txn"

typedef struct entry {
    pthread_mutex_t mu;                /* guards t */
    char *id;                          /* const, owned */
    int32_t idlen;
    int32_t partition;                 /* const: its __transaction_state partition */
    sl_txn_t t;                        /* producer_id -1: no such id */
} entry_t;

static struct {
    pthread_mutex_t mu;                /* the map */
    sl_map_t ids;                      /* transactional id -> entry_t */
    bool open;
    sl_broker_t *broker;               /* const while open */
    sl_internal_loader_t ld;           /* ld.nparts: __transaction_state's count; -1 none */
    int64_t expiration_ms;             /* const while open */
} coord = {.mu = PTHREAD_MUTEX_INITIALIZER, .ld.nparts = -1};

static void entry_free(void *v)
{
    entry_t *e = v;
    sl_txn_free(&e->t);
    pthread_mutex_destroy(&e->mu);
    free(e->id);
    free(e);
}

static sl_kstr_t entry_id(const entry_t *e) { return sl_kstr_n(e->id, e->idlen); }

static bool live(const sl_txn_t *t) { return t->producer_id >= 0 && t->state != SL_TXN_DEAD; }

static int32_t partition_of(sl_kstr_t id)
{
    return sl_coord_partition_for(id.ptr ? id.ptr : "", (size_t)SL_MAX(id.len, 0), coord.ld.nparts);
}

/* The entry of id (created when create), or NULL with *err: 0 (not there,
 * or no memory), COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS,
 * INVALID_REQUEST (an id longer than a record key holds).
 * The loader passes ignore_load. */
static entry_t *entry_get(sl_kstr_t id, bool create, bool ignore_load, int16_t *err)
{
    *err = 0;
    if (!coord.open || coord.ld.nparts <= 0) {
        *err = SL_ERR_COORDINATOR_NOT_AVAILABLE;
        return NULL;
    }
    if (id.len > INT16_MAX) {
        *err = SL_ERR_INVALID_REQUEST; /* the record key could not hold it */
        return NULL;
    }
    int32_t p = partition_of(id);
    if (!ignore_load && !atomic_load(&coord.ld.loaded[p])) {
        *err = SL_ERR_COORDINATOR_LOAD_IN_PROGRESS;
        return NULL;
    }
    size_t len = (size_t)SL_MAX(id.len, 0);
    const char *key = id.ptr ? id.ptr : "";
    pthread_mutex_lock(&coord.mu);
    entry_t *e = sl_map_get(&coord.ids, key, len);
    if (!e && create && (e = calloc(1, sizeof *e)) != NULL) {
        e->id = malloc(len + 1);
        if (e->id) {
            memcpy(e->id, key, len);
            e->id[len] = '\0';
        }
        e->idlen = (int32_t)len;
        e->partition = p;
        sl_txn_init(&e->t);
        pthread_mutex_init(&e->mu, NULL);
        if (!e->id || sl_map_put(&coord.ids, e->id, len, e, NULL) != SL_OK) {
            entry_free(e);
            e = NULL;
        }
    }
    pthread_mutex_unlock(&coord.mu);
    return e;
}

/* A snapshot of every entry; *n the count; NULL on no memory. */
static void **entries_snapshot(size_t *n)
{
    pthread_mutex_lock(&coord.mu);
    void **all = sl_map_values(&coord.ids, n);
    pthread_mutex_unlock(&coord.mu);
    return all;
}

/* Persists next (NULL: the tombstone) for e; on success next becomes
 * current. e->mu held. */
static int16_t commit_locked(entry_t *e, sl_txn_t *next)
{
    int16_t err = sl_txn_log_append(coord.broker, e->partition, entry_id(e), next);
    if (err) {
        SL_WARN(TXN_LOG, "transactional id %s: its state could not be written (%s)", e->id, sl_err_name(err));
        return err;
    }
    if (next) {
        sl_txn_move(&e->t, next);
    } else {
        sl_txn_free(&e->t);
    }
    return 0;
}

/* Writes the markers of e's prepared transaction: true when every
 * partition has its marker (a partition that no longer exists has nothing
 * to mark, as in Kafka). e->mu held. */
static bool markers_locked(entry_t *e)
{
    const sl_txn_t *t = &e->t;
    bool commit = t->state == SL_TXN_PREPARE_COMMIT;
    bool ok = true;
    for (int32_t i = 0; i < t->nparts; i++) {
        const sl_txn_tp_t *tp = &t->parts[i];
        sl_partition_t *part = NULL;
        sl_err_t err = sl_broker_partition_get(coord.broker, tp->topic, strlen(tp->topic), tp->partition, &part);
        if (err == SL_OK) {
            err = sl_txn_marker_write(coord.broker, part, t->producer_id, t->producer_epoch, commit, 0);
            sl_partition_unref(part);
        }
        if (err == SL_OK && strcmp(tp->topic, SL_TOPIC_CONSUMER_OFFSETS) == 0)
            sl_coord_txn_complete(coord.broker, tp->partition, t->producer_id, commit);
        if (err != SL_OK && err != SL_ERR_UNKNOWN_TOPIC_OR_PARTITION) {
            SL_WARN(TXN_LOG, "transactional id %s: marker for %s-%d not written (%s); will retry", e->id, tp->topic,
                    tp->partition, sl_err_name(err));
            ok = false;
        }
    }
    return ok;
}

/* Completes e's prepared transaction: markers, then Complete persisted.
 * Nothing happens unless it is prepared. 0 or the error that stopped it.
 * e->mu held. */
static int16_t finish_locked(entry_t *e)
{
    if (e->t.state != SL_TXN_PREPARE_COMMIT && e->t.state != SL_TXN_PREPARE_ABORT)
        return 0;
    if (!markers_locked(e))
        return SL_ERR_KAFKA_STORAGE_ERROR;
    sl_txn_t next;
    int16_t err = sl_txn_prepare_complete(&e->t, sl_time_wall_ms(), &next);
    if (!err)
        err = commit_locked(e, &next);
    sl_txn_free(&next);
    return err;
}

/* ======================================================================
 * Requests
 * ====================================================================== */

static sl_err_t next_pid(void *arg, int64_t *out)
{
    SL_UNUSED(arg);
    return sl_producer_id_next(coord.broker->cfg->log_dirs[0], out);
}

int16_t sl_txn_coord_init_pid(sl_broker_t *broker, sl_kstr_t id, int32_t timeout_ms, int64_t exp_pid,
                              int16_t exp_epoch, int64_t *pid, int16_t *epoch)
{
    SL_UNUSED(broker);
    int16_t err;
    entry_t *e = entry_get(id, true, false, &err);
    if (!e)
        return err ? err : SL_ERR_UNKNOWN_SERVER_ERROR;
    pthread_mutex_lock(&e->mu);
    sl_txn_t cur, next;
    sl_txn_init(&cur);
    sl_txn_init(&next);
    if (live(&e->t)) {
        err = sl_txn_copy(&cur, &e->t) == SL_OK ? 0 : SL_ERR_UNKNOWN_SERVER_ERROR;
    } else {
        /* a new id: a new producer id whose epoch the transition makes 0 */
        err = next_pid(NULL, &cur.producer_id) == SL_OK ? 0 : SL_ERR_UNKNOWN_SERVER_ERROR;
        cur.timeout_ms = timeout_ms;
    }
    bool fence = false;
    if (!err)
        err = sl_txn_prepare_init(&cur, timeout_ms, exp_pid, exp_epoch, next_pid, NULL, sl_time_wall_ms(), &next,
                                  &fence);
    if (!err)
        err = commit_locked(e, &next);
    if (!err && fence) {
        SL_INFO(TXN_LOG, "transactional id %s: ongoing transaction aborted for a new producer", e->id);
        finish_locked(e);
        err = SL_ERR_CONCURRENT_TRANSACTIONS; /* the client retries and gets its epoch */
    }
    if (!err) {
        *pid = e->t.producer_id;
        *epoch = e->t.producer_epoch;
    }
    pthread_mutex_unlock(&e->mu);
    sl_txn_free(&cur);
    sl_txn_free(&next);
    return err;
}

/* The live entry of id, locked, or NULL with *err (INVALID_PRODUCER_ID_MAPPING
 * for an unknown id, as Kafka answers). */
static entry_t *entry_lock_live(sl_kstr_t id, int16_t *err)
{
    entry_t *e = entry_get(id, false, false, err);
    if (!e) {
        *err = *err ? *err : SL_ERR_INVALID_PRODUCER_ID_MAPPING;
        return NULL;
    }
    pthread_mutex_lock(&e->mu);
    if (!live(&e->t)) {
        pthread_mutex_unlock(&e->mu);
        *err = SL_ERR_INVALID_PRODUCER_ID_MAPPING;
        return NULL;
    }
    return e;
}

int16_t sl_txn_coord_add(sl_broker_t *broker, sl_kstr_t id, int64_t pid, int16_t epoch, const sl_txn_tp_t *tps,
                         int32_t n)
{
    SL_UNUSED(broker);
    int16_t err;
    entry_t *e = entry_lock_live(id, &err);
    if (!e)
        return err;
    sl_txn_t next;
    bool noop;
    err = sl_txn_prepare_add(&e->t, pid, epoch, tps, n, sl_time_wall_ms(), &next, &noop);
    if (!err && !noop)
        err = commit_locked(e, &next);
    pthread_mutex_unlock(&e->mu);
    sl_txn_free(&next);
    return err;
}

int16_t sl_txn_coord_end(sl_broker_t *broker, sl_kstr_t id, int64_t pid, int16_t epoch, bool commit)
{
    SL_UNUSED(broker);
    int16_t err;
    entry_t *e = entry_lock_live(id, &err);
    if (!e)
        return err;
    sl_txn_t next;
    bool noop;
    err = sl_txn_prepare_end(&e->t, pid, epoch, commit, sl_time_wall_ms(), &next, &noop);
    if (!err && !noop)
        err = commit_locked(e, &next);
    if (!err && !noop)
        finish_locked(e); /* a failure is retried by the timer; the prepare is durable */
    pthread_mutex_unlock(&e->mu);
    sl_txn_free(&next);
    return err;
}

int16_t sl_txn_coord_describe(sl_broker_t *broker, sl_kstr_t id, sl_txn_t *out)
{
    SL_UNUSED(broker);
    sl_txn_init(out);
    int16_t err;
    entry_t *e = entry_get(id, false, false, &err);
    if (!e)
        return err ? err : SL_ERR_TRANSACTIONAL_ID_NOT_FOUND;
    pthread_mutex_lock(&e->mu);
    if (!live(&e->t))
        err = SL_ERR_TRANSACTIONAL_ID_NOT_FOUND;
    else if (sl_txn_copy(out, &e->t) != SL_OK)
        err = SL_ERR_UNKNOWN_SERVER_ERROR;
    pthread_mutex_unlock(&e->mu);
    return err;
}

int32_t sl_txn_coord_list(sl_broker_t *broker, sl_txn_listed_t **out, int16_t *err)
{
    SL_UNUSED(broker);
    *out = NULL;
    *err = !coord.open || coord.ld.nparts <= 0  ? SL_ERR_COORDINATOR_NOT_AVAILABLE
           : !atomic_load(&coord.ld.all_loaded) ? SL_ERR_COORDINATOR_LOAD_IN_PROGRESS
                                             : 0;
    size_t k = 0;
    void **all = coord.open ? entries_snapshot(&k) : calloc(1, sizeof *all);
    sl_txn_listed_t *ls = calloc(k + 1, sizeof *ls);
    if (!all || !ls) {
        free(all);
        free(ls);
        return -1;
    }
    int32_t m = 0;
    for (size_t i = 0; i < k; i++) {
        entry_t *e = all[i];
        if (!atomic_load(&coord.ld.loaded[e->partition]))
            continue;
        pthread_mutex_lock(&e->mu);
        if (live(&e->t) && (ls[m].id = strdup(e->id)) != NULL) {
            ls[m].producer_id = e->t.producer_id;
            ls[m].state = e->t.state;
            m++;
        }
        pthread_mutex_unlock(&e->mu);
    }
    free(all);
    *out = ls;
    return m;
}

bool sl_txn_coord_available(void) { return coord.open && coord.ld.nparts > 0; }

int32_t sl_txn_coord_partitions(void) { return coord.open ? coord.ld.nparts : -1; }

/* ======================================================================
 * Timers (main loop)
 * ====================================================================== */

/* Aborts the transactions Ongoing past their timeout (at a bumped epoch:
 * the zombie producer is fenced) and retries the completion of prepared
 * ones whose markers failed. */
static void abort_tick(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    SL_UNUSED(loop);
    SL_UNUSED(id);
    SL_UNUSED(arg);
    size_t n = 0;
    void **all = entries_snapshot(&n);
    for (size_t i = 0; all && i < n; i++) {
        entry_t *e = all[i];
        if (!atomic_load(&coord.ld.loaded[e->partition]))
            continue;
        pthread_mutex_lock(&e->mu);
        sl_txn_t next;
        if (live(&e->t) && sl_txn_prepare_timeout(&e->t, sl_time_wall_ms(), &next)) {
            SL_INFO(TXN_LOG, "transactional id %s: transaction timed out after %d ms: aborting", e->id,
                    e->t.timeout_ms);
            commit_locked(e, &next);
        }
        sl_txn_free(&next);
        finish_locked(e);
        pthread_mutex_unlock(&e->mu);
    }
    free(all);
}

/* Removes the ids idle past transactional.id.expiration.ms (tombstone). */
static void expire_tick(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    SL_UNUSED(loop);
    SL_UNUSED(id);
    SL_UNUSED(arg);
    size_t n = 0, removed = 0;
    void **all = entries_snapshot(&n);
    for (size_t i = 0; all && i < n; i++) {
        entry_t *e = all[i];
        if (!atomic_load(&coord.ld.loaded[e->partition]))
            continue;
        pthread_mutex_lock(&e->mu);
        if (live(&e->t) && sl_txn_expired(&e->t, sl_time_wall_ms(), coord.expiration_ms) &&
            commit_locked(e, NULL) == 0)
            removed++;
        pthread_mutex_unlock(&e->mu);
    }
    free(all);
    if (removed)
        SL_INFO(TXN_LOG, "removed %zu expired transactional ids", removed);
}

sl_err_t sl_txn_coord_start(sl_broker_t *broker, sl_loop_t *loop)
{
    if (!coord.open || coord.ld.nparts <= 0)
        return SL_OK;
    int64_t abort_every = SL_MAX(broker->cfg->transaction_abort_check_interval_ms, 1);
    int64_t expire_every = SL_MAX(broker->cfg->transaction_expire_check_interval_ms, 1);
    /* Test-only: SLUICE_TEST_TXN_CHECK_MS runs both checks that often. */
    const char *t = getenv("SLUICE_TEST_TXN_CHECK_MS");
    if (t && atoll(t) > 0)
        abort_every = expire_every = atoll(t);
    if (sl_loop_timer_add(loop, abort_every, true, abort_tick, NULL, NULL) != SL_OK ||
        sl_loop_timer_add(loop, expire_every, true, expire_tick, NULL, NULL) != SL_OK)
        return SL_ERR_NOMEM;
    return SL_OK;
}

/* ======================================================================
 * Loading
 * ====================================================================== */

typedef struct load_ctx {
    int32_t partition;
    size_t records, skipped;
} load_ctx_t;

static void load_record(void *arg, const uint8_t *key, size_t klen, const uint8_t *value, int32_t vlen,
                        int64_t offset)
{
    load_ctx_t *ctx = arg;
    ctx->records++;
    sl_kstr_t id;
    sl_txn_t t;
    sl_err_t err = sl_txn_key_read(key, klen, &id);
    if (err == SL_OK && vlen >= 0)
        err = sl_txn_value_read(value, (size_t)vlen, &t);
    else
        sl_txn_init(&t);
    if (err != SL_OK || id.len <= 0 || partition_of(id) != ctx->partition) {
        if (err != SL_OK)
            SL_WARN(TXN_LOG, "%s-%d: record at offset %lld cannot be read (%s): skipped",
                    SL_TOPIC_TRANSACTION_STATE, ctx->partition, (long long)offset, sl_err_name(err));
        ctx->skipped++;
        sl_txn_free(&t);
        return;
    }
    int16_t e_err;
    entry_t *e = entry_get(id, vlen >= 0, true, &e_err);
    if (e) {
        pthread_mutex_lock(&e->mu);
        sl_txn_move(&e->t, &t); /* a tombstone leaves it empty */
        pthread_mutex_unlock(&e->mu);
    }
    sl_txn_free(&t);
}

/* After partition p was read: its prepared transactions are completed. */
static void complete_prepared(int32_t p)
{
    size_t n = 0;
    void **all = entries_snapshot(&n);
    for (size_t i = 0; all && i < n && !atomic_load(&coord.ld.stop); i++) {
        entry_t *e = all[i];
        if (e->partition != p)
            continue;
        pthread_mutex_lock(&e->mu);
        if (live(&e->t) && (e->t.state == SL_TXN_PREPARE_COMMIT || e->t.state == SL_TXN_PREPARE_ABORT)) {
            SL_INFO(TXN_LOG, "transactional id %s: completing its %s found at load", e->id,
                    sl_txn_state_name(e->t.state));
            finish_locked(e);
        }
        pthread_mutex_unlock(&e->mu);
    }
    free(all);
}

typedef struct load_totals {
    size_t records, skipped;
} load_totals_t;

static load_totals_t load_totals; /* the loader thread's, until it ends */

static void load_partition(int32_t p, void *arg)
{
    load_totals_t *tot = arg;
    load_ctx_t ctx = {.partition = p};
    sl_err_t err = sl_txn_log_scan(coord.broker, p, &coord.ld.stop, load_record, &ctx);
    if (err != SL_OK)
        SL_ERROR(TXN_LOG, "%s-%d: cannot be read (%s): its transactional ids start anew",
                 SL_TOPIC_TRANSACTION_STATE, p, sl_err_name(err));
    tot->records += ctx.records;
    tot->skipped += ctx.skipped;
    complete_prepared(p);
    atomic_store(&coord.ld.loaded[p], true);
}

static void load_done(int64_t ms, void *arg)
{
    const load_totals_t *tot = arg;
    SL_INFO(TXN_LOG, "loaded %zu transactional ids from %zu records of %s (%zu skipped) in %lld ms",
            sl_map_count(&coord.ids), tot->records, SL_TOPIC_TRANSACTION_STATE, tot->skipped, (long long)ms);
}

/* ======================================================================
 * Life cycle
 * ====================================================================== */

sl_err_t sl_txn_coord_open(sl_broker_t *broker)
{
    sl_map_init(&coord.ids);
    coord.broker = broker;
    coord.expiration_ms = broker->cfg->transactional_id_expiration_ms;
    /* Test-only: SLUICE_TEST_TXN_ID_EXPIRATION_MS replaces
     * transactional.id.expiration.ms. */
    const char *x = getenv("SLUICE_TEST_TXN_ID_EXPIRATION_MS");
    if (x && atoll(x) > 0)
        coord.expiration_ms = atoll(x);
    int32_t nparts = sl_txn_topic_ensure(broker);
    coord.open = true;
    memset(&load_totals, 0, sizeof load_totals);
    /* nparts <= 0 (logged): transactions answer COORDINATOR_NOT_AVAILABLE.
     * Test-only: SLUICE_TEST_TXN_LOAD_DELAY_MS holds the load back so tests
     * can see COORDINATOR_LOAD_IN_PROGRESS. */
    return sl_internal_loader_start(&coord.ld, nparts, "SLUICE_TEST_TXN_LOAD_DELAY_MS", load_partition, load_done,
                                    &load_totals);
}

void sl_txn_coord_close(sl_broker_t *broker)
{
    SL_UNUSED(broker);
    if (!coord.open)
        return;
    sl_internal_loader_stop(&coord.ld);
    pthread_mutex_lock(&coord.mu);
    coord.open = false;
    sl_map_fini(&coord.ids, entry_free);
    coord.broker = NULL;
    pthread_mutex_unlock(&coord.mu);
}
