/*
 * producer_state.c - one partition's producer state (epoch, last append
 * time and last 5 batches per producer id), Kafka's sequence rules for a
 * client's batch, expiry, the load from a snapshot and the log's batch
 * headers, and the process-wide table that holds every partition's state
 * with its directory (producer_int.h says why and how).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "producer_int.h"

void sl_producer_state_init(sl_producer_state_t *st)
{
    sl_map_init(&st->producers);
    st->open_txns = 0;
    st->loaded = false;
    st->changed = false;
    st->snap_offset = -1;
    st->snap_ms = 0;
    st->snap_size = 0;
}

void sl_producer_state_fini(sl_producer_state_t *st)
{
    if (st)
        sl_map_fini(&st->producers, free);
}

const sl_producer_entry_t *sl_producer_state_find(const sl_producer_state_t *st, int64_t producer_id)
{
    return sl_map_get(&st->producers, &producer_id, sizeof producer_id);
}

int32_t sl_producer_seq_add(int32_t seq, int32_t delta)
{
    if (seq > INT32_MAX - delta)
        return delta - (INT32_MAX - seq) - 1;
    return seq + delta;
}

int16_t sl_producer_state_check(const sl_producer_state_t *st, int64_t producer_id, int16_t epoch,
                                int32_t first_seq, int32_t last_offset_delta, bool *dup,
                                sl_producer_batch_t *dup_out, char *msg, size_t msglen)
{
    if (dup)
        *dup = false;
    if (msglen)
        msg[0] = '\0';
    const sl_producer_entry_t *e = sl_producer_state_find(st, producer_id);
    if (!e)
        return 0; /* unknown producer: any sequence (KIP-360) */
    int32_t last_seq = sl_producer_seq_add(first_seq, last_offset_delta < 0 ? 0 : last_offset_delta);
    if (epoch == e->epoch) {
        for (int i = 0; i < e->nbatches; i++) {
            if (e->batches[i].first_seq == first_seq && e->batches[i].last_seq == last_seq) {
                if (dup)
                    *dup = true;
                if (dup_out)
                    *dup_out = e->batches[i];
                return 0;
            }
        }
    }
    if (epoch < e->epoch) {
        snprintf(msg, msglen, "Epoch of producer %lld is %d, which is smaller than the last seen epoch %d",
                 (long long)producer_id, epoch, e->epoch);
        return SL_ERR_INVALID_PRODUCER_EPOCH;
    }
    if (epoch > e->epoch) {
        if (first_seq != 0) {
            snprintf(msg, msglen, "Invalid sequence number for new epoch of producer %lld: %d (request epoch), "
                                  "%d (seq. number), %d (current producer epoch)",
                     (long long)producer_id, epoch, first_seq, e->epoch);
            return SL_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
        }
        return 0;
    }
    if (e->nbatches == 0)
        return 0;
    int32_t cur = e->batches[e->nbatches - 1].last_seq;
    bool in_seq = (cur < INT32_MAX && first_seq == cur + 1) || (cur == INT32_MAX && first_seq == 0);
    if (!in_seq) {
        snprintf(msg, msglen, "Out of order sequence number for producer %lld at offset %lld: %d (incoming seq. "
                              "number), %d (current end sequence number)",
                 (long long)producer_id, (long long)e->batches[e->nbatches - 1].last_offset, first_seq, cur);
        return SL_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
    }
    return 0;
}

sl_err_t sl_producer_state_update(sl_producer_state_t *st, int64_t producer_id, int16_t epoch, int32_t first_seq,
                                  int32_t last_offset_delta, int64_t first_offset, int64_t last_offset)
{
    return sl_producer_state_update_at(st, producer_id, epoch, first_seq, last_offset_delta, first_offset,
                                       last_offset, sl_time_wall_ms());
}

sl_err_t sl_producer_state_update_at(sl_producer_state_t *st, int64_t producer_id, int16_t epoch, int32_t first_seq,
                                     int32_t last_offset_delta, int64_t first_offset, int64_t last_offset,
                                     int64_t ts_ms)
{
    sl_producer_entry_t *e = sl_map_get(&st->producers, &producer_id, sizeof producer_id);
    if (!e) {
        e = calloc(1, sizeof *e);
        if (!e)
            return SL_ERR_NOMEM;
        e->producer_id = producer_id;
        e->epoch = epoch;
        e->txn_first_offset = -1;
        e->coordinator_epoch = -1;
        if (sl_map_put(&st->producers, &e->producer_id, sizeof e->producer_id, e, NULL) != SL_OK) {
            free(e);
            return SL_ERR_NOMEM;
        }
    }
    if (epoch < e->epoch)
        return SL_OK;
    st->changed = true;
    e->last_ts = ts_ms;
    if (epoch > e->epoch) {
        e->epoch = epoch;
        e->nbatches = 0;
    }
    if (e->nbatches == SL_PRODUCER_MAX_BATCHES) {
        memmove(&e->batches[0], &e->batches[1], (SL_PRODUCER_MAX_BATCHES - 1) * sizeof e->batches[0]);
        e->nbatches--;
    }
    sl_producer_batch_t *b = &e->batches[e->nbatches++];
    b->first_seq = first_seq;
    b->last_seq = sl_producer_seq_add(first_seq, last_offset_delta < 0 ? 0 : last_offset_delta);
    b->first_offset = first_offset;
    b->last_offset = last_offset;
    return SL_OK;
}

void sl_producer_state_txn_begin(sl_producer_state_t *st, int64_t producer_id, int64_t first_offset)
{
    sl_producer_entry_t *e = sl_map_get(&st->producers, &producer_id, sizeof producer_id);
    if (!e || e->txn_first_offset >= 0)
        return;
    e->txn_first_offset = first_offset;
    st->open_txns++;
    st->changed = true;
}

sl_err_t sl_producer_state_txn_end(sl_producer_state_t *st, int64_t producer_id, int16_t epoch,
                                   int32_t coordinator_epoch, int64_t marker_offset, int64_t ts_ms,
                                   sl_producer_txn_t *done)
{
    sl_producer_entry_t *e = sl_map_get(&st->producers, &producer_id, sizeof producer_id);
    if (!e) {
        e = calloc(1, sizeof *e);
        if (!e)
            return SL_ERR_NOMEM;
        e->producer_id = producer_id;
        e->epoch = epoch;
        e->txn_first_offset = -1;
        if (sl_map_put(&st->producers, &e->producer_id, sizeof e->producer_id, e, NULL) != SL_OK) {
            free(e);
            return SL_ERR_NOMEM;
        }
    }
    if (done) {
        done->producer_id = producer_id;
        done->first_offset = e->txn_first_offset;
        done->last_offset = marker_offset;
    }
    if (e->txn_first_offset >= 0)
        st->open_txns--;
    e->txn_first_offset = -1;
    e->coordinator_epoch = coordinator_epoch;
    if (epoch > e->epoch) {
        e->epoch = epoch;
        e->nbatches = 0;
    }
    e->last_ts = ts_ms;
    st->changed = true;
    return SL_OK;
}

int64_t sl_producer_state_first_open(const sl_producer_state_t *st)
{
    if (st->open_txns <= 0)
        return -1;
    int64_t first = -1;
    size_t it = 0;
    const void *key;
    size_t klen;
    void *val;
    while (sl_map_next(&st->producers, &it, &key, &klen, &val)) {
        const sl_producer_entry_t *e = val;
        if (e->txn_first_offset >= 0 && (first < 0 || e->txn_first_offset < first))
            first = e->txn_first_offset;
    }
    return first;
}

/* A control batch as the load sees it: true when it holds a commit or
 * abort marker (*coordinator_epoch filled); other control records are
 * skipped, as Kafka skips control records of unknown types. */
static bool marker_of(const sl_batch_t *b, int32_t *coordinator_epoch)
{
    sl_buf_t scratch;
    sl_buf_init(&scratch);
    sl_record_iter_t rit;
    sl_record_t rec;
    int16_t type = -1;
    bool ok = sl_record_iter_init(&rit, b, &scratch, (size_t)1 << 20) == SL_OK &&
              sl_record_iter_next(&rit, &rec) == SL_OK && sl_control_record_type(&rec, &type) == SL_OK &&
              (type == SL_CONTROL_ABORT || type == SL_CONTROL_COMMIT);
    if (ok && sl_control_record_marker(&rec, coordinator_epoch) != SL_OK)
        *coordinator_epoch = -1;
    sl_buf_free(&scratch);
    return ok;
}

/* Applies one batch of the log: a marker closes its producer's
 * transaction, any other batch with a producer id is recorded (and opens
 * a transaction when transactional). b->data is read for control batches
 * only. */
static sl_err_t apply(sl_producer_state_t *st, const sl_batch_t *b)
{
    if (b->producer_id < 0)
        return SL_OK;
    if (sl_batch_is_control(b)) {
        int32_t cepoch;
        if (!b->data || !marker_of(b, &cepoch))
            return SL_OK;
        return sl_producer_state_txn_end(st, b->producer_id, b->producer_epoch, cepoch, b->base_offset,
                                         b->max_timestamp, NULL);
    }
    sl_err_t err = sl_producer_state_update_at(st, b->producer_id, b->producer_epoch, b->base_sequence,
                                               b->last_offset_delta, b->base_offset, sl_batch_last_offset(b),
                                               b->max_timestamp);
    if (err == SL_OK && sl_batch_is_transactional(b))
        sl_producer_state_txn_begin(st, b->producer_id, b->base_offset);
    return err;
}

sl_err_t sl_producer_state_load_blob(sl_producer_state_t *st, const uint8_t *blob, size_t len, int64_t from_offset,
                                     int64_t *next)
{
    *next = from_offset;
    sl_batch_iter_t it;
    sl_batch_t b;
    sl_err_t err;
    sl_batch_iter_init(&it, blob, len);
    while ((err = sl_batch_iter_next(&it, &b)) == SL_OK) {
        int64_t last = sl_batch_last_offset(&b);
        if (last < from_offset)
            continue;
        if (last + 1 > *next)
            *next = last + 1;
        err = apply(st, &b);
        if (err != SL_OK)
            return err;
    }
    if (err == SL_ERR_NOENT || err == SL_ERR_TRUNCATED)
        return SL_OK;
    return err == SL_ERR_NOMEM ? SL_ERR_NOMEM : SL_ERR_CORRUPT_MESSAGE;
}

size_t sl_producer_state_expire(sl_producer_state_t *st, int64_t now_ms, int64_t expiration_ms)
{
    size_t gone = 0, it = 0;
    const void *key;
    size_t klen;
    void *val;
    while (sl_map_next(&st->producers, &it, &key, &klen, &val)) {
        sl_producer_entry_t *e = val;
        if (now_ms - e->last_ts < expiration_ms || e->txn_first_offset >= 0)
            continue;
        sl_map_del(&st->producers, key, klen, NULL);
        free(e);
        gone++;
    }
    if (gone)
        st->changed = true;
    return gone;
}

/* One batch of the replay: its header fields (the records are not read),
 * or the whole batch for a control batch (sl_log_scan_batches). */
static sl_err_t replay_batch(void *ctx, const uint8_t *p, size_t len)
{
    sl_batch_t b;
    memset(&b, 0, sizeof b);
    if (len > SL_BATCH_HEADER_SIZE) {
        if (sl_batch_peek(p, len, &b, NULL, 0) != SL_OK)
            return SL_OK; /* a damaged marker: skipped, as a read skips it */
    } else {
        sl_rd_t rd;
        sl_rd_init(&rd, p, len);
        b.base_offset = sl_rd_i64(&rd);
        sl_rd_skip(&rd, SL_BATCH_OFF_ATTRIBUTES - 8);
        b.attributes = sl_rd_i16(&rd);
        b.last_offset_delta = sl_rd_i32(&rd);
        b.base_timestamp = sl_rd_i64(&rd);
        b.max_timestamp = sl_rd_i64(&rd);
        b.producer_id = sl_rd_i64(&rd);
        b.producer_epoch = sl_rd_i16(&rd);
        b.base_sequence = sl_rd_i32(&rd);
        if (rd.err != SL_OK)
            return SL_OK;
    }
    return apply(ctx, &b);
}

/* Applies the batches of log from off to its end, from their headers. */
static sl_err_t replay(sl_producer_state_t *st, sl_log_t *log, int64_t off)
{
    sl_err_t err = sl_log_scan_batches(log, off, replay_batch, st);
    return err == SL_ERR_OFFSET_OUT_OF_RANGE ? SL_OK : err;
}

sl_err_t sl_producer_state_load(sl_producer_state_t *st, sl_log_t *log, const char *dir, int64_t expiration_ms,
                                int64_t now_ms)
{
    int64_t start = sl_log_start_offset(log);
    int64_t end = sl_log_end_offset(log);
    int64_t snap = -1;
    sl_err_t err = SL_OK;
    if (dir)
        err = sl_producer_snapshot_read_newest(dir, st, start, end, &snap);
    if (err == SL_ERR_IO)
        err = SL_OK; /* logged: the log alone still tells */
    st->changed = false;
    st->snap_offset = snap;
    st->snap_ms = now_ms;
    st->snap_size = sl_log_size(log);
    if (err == SL_OK)
        err = replay(st, log, snap >= 0 ? snap : start);
    if (err == SL_OK && expiration_ms > 0)
        sl_producer_state_expire(st, now_ms, expiration_ms);
    if (err != SL_OK) {
        sl_producer_state_fini(st);
        sl_producer_state_init(st);
        return err;
    }
    st->loaded = true;
    if (dir)
        SL_INFO(SL_BROKER_LOG, "%s: producer state loaded: %zu producers, %s %" PRId64 " to %" PRId64, dir,
                sl_map_count(&st->producers), snap >= 0 ? "snapshot at" : "no snapshot, log from",
                snap >= 0 ? snap : start, end);
    return SL_OK;
}

/* ---- the process-wide table ---- */

/* A partition's entry: its state and where its snapshots live. */
typedef struct home {
    sl_producer_state_t st;
    char *dir;               /* NULL until attached */
    int64_t expiration_ms;   /* 0 until attached: no expiry */
} home_t;

static pthread_mutex_t table_mu = PTHREAD_MUTEX_INITIALIZER;
static sl_map_t table;    /* 20-byte key (topic id, index) -> home_t */
static sl_map_t by_state; /* address of a home's st -> home_t (no ownership) */
static bool table_ready;

typedef struct table_key {
    uint8_t topic_id[16];
    int32_t index;
} table_key_t;

static table_key_t key_of(const sl_partition_t *part)
{
    table_key_t key;
    memset(&key, 0, sizeof key);
    memcpy(key.topic_id, &part->topic->id, sizeof key.topic_id);
    key.index = part->index;
    return key;
}

static void home_free(home_t *h)
{
    if (!h)
        return;
    sl_producer_state_fini(&h->st);
    free(h->dir);
    free(h);
}

/* The entry of key, created when create is set. Under table_mu. */
static home_t *home_get(const table_key_t *key, bool create)
{
    if (!table_ready) {
        sl_map_init(&table);
        sl_map_init(&by_state);
        table_ready = true;
    }
    home_t *h = sl_map_get(&table, key, sizeof *key);
    if (h || !create)
        return h;
    h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    sl_producer_state_init(&h->st);
    const sl_producer_state_t *stp = &h->st;
    if (sl_map_put(&table, key, sizeof *key, h, NULL) != SL_OK) {
        free(h);
        return NULL;
    }
    if (sl_map_put(&by_state, &stp, sizeof stp, h, NULL) != SL_OK) {
        sl_map_del(&table, key, sizeof *key, NULL);
        free(h);
        return NULL;
    }
    return h;
}

/* Unlists and frees the entry of key. Under table_mu. */
static void home_remove(const table_key_t *key)
{
    home_t *h = table_ready ? sl_map_get(&table, key, sizeof *key) : NULL;
    if (!h)
        return;
    const sl_producer_state_t *stp = &h->st;
    sl_map_del(&by_state, &stp, sizeof stp, NULL);
    sl_map_del(&table, key, sizeof *key, NULL);
    home_free(h);
}

sl_producer_state_t *sl_producer_state_of(const sl_partition_t *part)
{
    table_key_t key = key_of(part);
    pthread_mutex_lock(&table_mu);
    home_t *h = home_get(&key, true);
    pthread_mutex_unlock(&table_mu);
    return h ? &h->st : NULL;
}

/* The home of a part's state; NULL when it has none. The caller holds
 * part->mu, under which homes are removed, so the pointer stays good. */
static home_t *home_of_part(const sl_partition_t *part)
{
    table_key_t key = key_of(part);
    pthread_mutex_lock(&table_mu);
    home_t *h = home_get(&key, false);
    pthread_mutex_unlock(&table_mu);
    return h;
}

sl_err_t sl_producer_state_rebuild(sl_producer_state_t *st, sl_log_t *log)
{
    const sl_producer_state_t *stp = st;
    pthread_mutex_lock(&table_mu);
    const home_t *h = table_ready ? sl_map_get(&by_state, &stp, sizeof stp) : NULL;
    pthread_mutex_unlock(&table_mu);
    return sl_producer_state_load(st, log, h ? h->dir : NULL, h ? h->expiration_ms : 0, sl_time_wall_ms());
}

sl_err_t sl_producer_state_ensure(sl_partition_t *part, sl_producer_state_t **out)
{
    sl_producer_state_t *st = sl_producer_state_of(part);
    *out = st;
    if (!st)
        return SL_ERR_NOMEM;
    if (st->loaded)
        return SL_OK;
    sl_producer_state_fini(st);
    sl_producer_state_init(st);
    sl_err_t err = sl_producer_state_rebuild(st, part->log);
    if (err != SL_OK) {
        SL_ERROR(SL_BROKER_LOG, "%s-%d: producer state rebuild failed: %s", part->topic->name, part->index,
                 err == SL_ERR_NOMEM ? "no memory" : sl_log_errmsg(part->log));
        return err == SL_ERR_NOMEM ? SL_ERR_NOMEM : SL_ERR_IO;
    }
    SL_DEBUG(SL_BROKER_LOG, "%s-%d: producer state rebuilt: %zu producers", part->topic->name, part->index,
             sl_map_count(&st->producers));
    return SL_OK;
}

sl_err_t sl_producer_part_attach(const sl_partition_t *part, const char *dir, sl_log_t *log, bool fresh,
                                 int64_t expiration_ms)
{
    /* Before anything can be appended at the offsets they describe. */
    if (sl_producer_snapshot_prune(dir, fresh ? -1 : sl_log_end_offset(log)) != SL_OK)
        SL_WARN(SL_BROKER_LOG, "%s: producer snapshots not checked", dir);
    char *copy = strdup(dir);
    table_key_t key = key_of(part);
    pthread_mutex_lock(&table_mu);
    home_t *h = copy ? home_get(&key, true) : NULL;
    if (h) {
        /* A stale entry of the same partition (a broker reopened in this
         * process) starts over. */
        sl_producer_state_fini(&h->st);
        sl_producer_state_init(&h->st);
        free(h->dir);
        h->dir = copy;
        h->expiration_ms = expiration_ms;
        copy = NULL;
    }
    pthread_mutex_unlock(&table_mu);
    free(copy);
    return h ? SL_OK : SL_ERR_NOMEM;
}

/* Writes st's snapshot at the log end. */
static void snapshot_now(home_t *h, sl_log_t *log, int64_t now_ms)
{
    int64_t end = sl_log_end_offset(log);
    if (sl_producer_snapshot_write(h->dir, &h->st, end) != SL_OK)
        return; /* logged; tried again later */
    h->st.changed = false;
    h->st.snap_offset = end;
    h->st.snap_ms = now_ms;
    h->st.snap_size = sl_log_size(log);
    SL_DEBUG(SL_BROKER_LOG, "%s: producer snapshot at %" PRId64 " (%zu producers)", h->dir, end,
             sl_map_count(&h->st.producers));
}

void sl_producer_part_close(const sl_partition_t *part, sl_log_t *log)
{
    home_t *h = home_of_part(part);
    if (h && h->dir && h->st.loaded && log && (h->st.changed || h->st.snap_offset < sl_log_end_offset(log)))
        snapshot_now(h, log, sl_time_wall_ms());
    sl_producer_part_drop(part);
}

void sl_producer_part_drop(const sl_partition_t *part)
{
    table_key_t key = key_of(part);
    pthread_mutex_lock(&table_mu);
    home_remove(&key);
    pthread_mutex_unlock(&table_mu);
}

void sl_producer_part_snapshot_if_due(const sl_partition_t *part, sl_log_t *log, int64_t now_ms)
{
    home_t *h = home_of_part(part);
    if (!h || !h->dir || !h->st.loaded)
        return;
    const sl_producer_state_t *st = &h->st;
    bool due = st->changed && (now_ms - st->snap_ms >= SL_PRODUCER_SNAPSHOT_INTERVAL_MS ||
                               sl_log_size(log) - st->snap_size >= part->cfg.segment_bytes);
    /* Retention or DeleteRecords passed the newest snapshot: after a crash
     * it could not be used, and producers would be forgotten. */
    bool behind = st->snap_offset < sl_log_start_offset(log) && sl_map_count(&st->producers) > 0;
    if (due || behind)
        snapshot_now(h, log, now_ms);
}

size_t sl_producer_part_expire(const sl_partition_t *part, int64_t now_ms)
{
    home_t *h = home_of_part(part);
    if (!h || !h->st.loaded || h->expiration_ms <= 0)
        return 0;
    size_t gone = sl_producer_state_expire(&h->st, now_ms, h->expiration_ms);
    if (gone)
        SL_INFO(SL_BROKER_LOG, "%s-%d: %zu idle producer ids expired (producer.id.expiration.ms=%" PRId64 ")",
                part->topic->name, part->index, gone, h->expiration_ms);
    return gone;
}
