/*
 * store_int.h - the store part's own contract (state.c, store.c, cache.c,
 * store_kv.c, store_window.c, store_session.c, store_api.c): the LMDB
 * environment of a task, the byte-level stores under the typed calls of
 * streams.h, and the record cache. Other parts use streams_int.h only.
 *
 * Layout. One LMDB environment per task directory (<dir>/state.mdb, no
 * sub-directory so the task directory also holds .checkpoint and .lock),
 * one named database per store ("kv:<name>", "win:<name>", "ses:<name>")
 * and one "meta" database (per-store stream time and sequence number).
 * A database key is a prefix followed by the store key as the changelog
 * carries it (the "changelog key", ck below):
 *   key-value   0x00 || key                       (LMDB refuses empty keys;
 *                                                  the byte keeps "" valid)
 *   window      segment(8 BE) || key || start(8 BE) || seq(4 BE)
 *   session     segment(8 BE) || key || end(8 BE) || start(8 BE)
 * The segment is time / segment interval (window start, session end), as
 * Kafka's segmented stores: retention drops whole segments, a contiguous
 * range at the front of the database, so it never scans what is live.
 *
 * Thread rule: a state and its stores are used by one thread at a time
 * (the task's).
 */
#ifndef SL_STORE_INT_H
#define SL_STORE_INT_H

#include <lmdb.h>
#include <string.h>

#include "streams_int.h"

#define SL_STORE_LOG "streams.store"

/* ======================================================================
 * state.c
 * ====================================================================== */

struct sl_state {
    MDB_env *env;
    MDB_txn *txn;                  /* the open write transaction, or NULL */
    MDB_txn *rtxn;                 /* a read-only one kept for reads while
                                    * no write transaction is open (renewed
                                    * rather than begun: no reader-table
                                    * lock per read), or NULL */
    bool rtxn_live;                /* rtxn renewed, not reset since */
    uint64_t commits;              /* commits so far */
    uint64_t rtxn_gen;             /* commits when rtxn was renewed */
    MDB_dbi meta;
    char *dir;
    int lock_fd;                   /* flock'ed <dir>/.lock */
    size_t mapsize;
    size_t used_at_begin;          /* bytes the last committed txn used */
    size_t txn_bytes;              /* estimate of what the open txn wrote */
    int iterating;                 /* open cursors: no intermediate commit */
    bool broken;                   /* a failed transaction lost writes */
    bool opened;                   /* opened completely (checksum at close) */
    sl_list_t stores;              /* sl_store_t.link */
};

/* The map size a new environment starts with (1 GiB; tests lower it to
 * see the map grow). */
extern size_t sl_state_map_initial;

/* The open write transaction, begun if needed. Errors: SL_ERR_IO. */
sl_err_t sl_state_txn(sl_state_t *st, MDB_txn **out);
/* A transaction to read in: the open write transaction (reads see its
 * writes), else the state's read-only one (renewed to the last commit;
 * *temp: it is reset at the next write or commit, so cursors on it must be
 * closed before the caller writes; end with sl_state_read_end). Errors:
 * SL_ERR_IO. */
sl_err_t sl_state_read_txn(sl_state_t *st, MDB_txn **out, bool *temp);
void sl_state_read_end(MDB_txn *txn, bool temp);
/* Called before writing about n bytes: may commit the open transaction and
 * grow the map so the write cannot hit MDB_MAP_FULL (never while a cursor
 * is open). Errors: SL_ERR_IO. */
sl_err_t sl_state_reserve(sl_state_t *st, size_t n);
/* Maps an LMDB failure rc of what (on store name, may be NULL) to
 * SL_ERR_IO, logging mdb_strerror. A failed write leaves LMDB's
 * transaction unusable: it is aborted and the state marked broken (every
 * later call fails: the task must be closed and its state restored). */
sl_err_t sl_state_fail(sl_state_t *st, int rc, const char *what, const char *name);

/* ======================================================================
 * cache.c: the record cache of one store
 *
 * Entries keyed by database key (so their order is the database's), with
 * a hash for point lookups, a skip list for ordered scans, an LRU list for
 * eviction and a dirty list (order of first becoming dirty) for flushes.
 * ====================================================================== */

typedef struct sl_cache sl_cache_t;

typedef struct sl_cache_entry {
    uint8_t *key;                  /* database key */
    size_t klen;
    uint8_t *val;                  /* NULL with vlen -1: a cached delete */
    int32_t vlen;
    int64_t ts;                    /* of the last update */
    bool dirty;
    /* private */
    struct sl_cache_entry *hnext;
    uint64_t hash;
    sl_list_t lru;
    sl_list_t dlink;
    size_t vcap;
    int level;
    struct sl_cache_entry *next[]; /* skip list links [level] */
} sl_cache_entry_t;

/* A cache of at most budget bytes (keys, values and per-entry overhead).
 * NULL when out of memory. */
sl_cache_t *sl_cache_new(size_t budget);
void sl_cache_free(sl_cache_t *c);
/* The entry of key (moved to the LRU's young end), or NULL. */
sl_cache_entry_t *sl_cache_get(sl_cache_t *c, const uint8_t *key, size_t klen);
/* Inserts or replaces key's value (copied; NULL with vlen -1: a delete),
 * with its timestamp. dirty: an update to write through later (else a
 * clean copy of what the database holds). SL_ERR_NOMEM. */
sl_err_t sl_cache_put(sl_cache_t *c, const uint8_t *key, size_t klen, const uint8_t *val, int32_t vlen,
                      int64_t ts, bool dirty);
/* True while the cache holds more than its budget. */
bool sl_cache_over(const sl_cache_t *c);
/* The least recently used entry, or NULL. */
sl_cache_entry_t *sl_cache_lru(sl_cache_t *c);
/* Takes e out of the cache; the caller frees it with sl_cache_entry_free. */
void sl_cache_detach(sl_cache_t *c, sl_cache_entry_t *e);
void sl_cache_entry_free(sl_cache_entry_t *e);
/* The oldest dirty entry, marked clean (it stays cached), or NULL. */
sl_cache_entry_t *sl_cache_pop_dirty(sl_cache_t *c);
size_t sl_cache_dirty_count(const sl_cache_t *c);
size_t sl_cache_count(const sl_cache_t *c);
size_t sl_cache_bytes(const sl_cache_t *c);
/* The first entry with a key >= key (NULL key: the first), or NULL; then
 * sl_cache_next. Valid while the cache is not changed. */
sl_cache_entry_t *sl_cache_seek(sl_cache_t *c, const uint8_t *key, size_t klen);
sl_cache_entry_t *sl_cache_next(sl_cache_entry_t *e);

/* ======================================================================
 * store.c: what every kind of store shares
 * ====================================================================== */

struct sl_store {
    sl_state_t *st;
    sl_store_def_t def;            /* name: ours (name below) */
    char *name;
    char *dbname;                  /* "kv:<name>" ... */
    MDB_dbi dbi;
    /* the environment, strings copied */
    char *changelog;               /* NULL: not logged */
    sl_coll_topic_t changelog_out; /* the collector's handle for it */
    int32_t partition;
    sl_collector_t *collector;
    sl_ctx_t *ctx;
    /* layout */
    size_t prefix;                 /* 1 (key-value) or 8 (segment) */
    size_t suffix;                 /* bytes after the key: 0, 12 or 16 */
    size_t time_at;                /* the time's offset from the end of ck */
    /* retention (window and session stores) */
    int64_t retention;             /* <= 0: forever */
    int64_t seg_interval;
    int64_t observed;              /* stream time seen by the store; -1 */
    uint64_t min_live_seg;         /* segments below are dropped */
    uint32_t seq;                  /* last duplicate sequence number */
    bool meta_dirty;
    /* cache */
    sl_cache_t *cache;
    sl_flush_fn *listener;
    void *listener_arg;
    int iterating;
    /* scratch */
    sl_buf_t kbuf;                 /* database key being written or read */
    sl_buf_t ckbuf;                /* a window or session key being made */
    sl_buf_t oldbuf;               /* old value for the listener */
    sl_buf_t flushk, flushv;       /* an entry being written through */
    sl_buf_t serk, serv, serk2;    /* store_api.c: serialized arguments */
    sl_arena_t scratch;            /* values read; reset at the next write */
    sl_list_t link;                /* in st->stores */
};

/* Called by sl_state_commit before committing: writes the store's stream
 * time and sequence number into the meta database if they changed. */
sl_err_t sl_store_save_meta(sl_store_t *s, MDB_txn *txn);

/* Writes ck (changelog key; NULL value with vlen -1: delete) at ts:
 * through the cache or to LMDB and the changelog; expired windows and
 * sessions are dropped. Values read earlier from s become invalid.
 * Errors: SL_ERR_IO, SL_ERR_NOMEM, SL_ERR_TOO_LARGE (a key LMDB cannot
 * hold), the collector's. */
sl_err_t sl_store_put_raw(sl_store_t *s, const uint8_t *ck, size_t cklen, const uint8_t *val, int32_t vlen,
                          int64_t ts);
/* The value of ck (cache first), copied into arena. SL_ERR_NOENT when
 * absent or expired; SL_ERR_NOMEM. */
sl_err_t sl_store_get_raw(sl_store_t *s, const uint8_t *ck, size_t cklen, sl_arena_t *arena, const uint8_t **val,
                          size_t *vlen);

/* Scan callback: ck and the value, borrowed for the call; false stops. */
typedef bool sl_store_scan_fn(void *arg, const uint8_t *ck, size_t cklen, const uint8_t *val, size_t vlen);
/* Every live entry with lo <= ck <= hi (NULL: open), in segments seg_lo to
 * seg_hi (key-value stores: ignored), in database order, the cache's
 * updates merged over LMDB's. Errors: SL_ERR_IO. */
sl_err_t sl_store_scan(sl_store_t *s, uint64_t seg_lo, uint64_t seg_hi, const uint8_t *lo, size_t lolen,
                       const uint8_t *hi, size_t hilen, sl_store_scan_fn *fn, void *arg);
/* The segment of a time, and the live segments that can hold times in
 * [from, to] (false when none). */
uint64_t sl_store_segment(const sl_store_t *s, int64_t t);
bool sl_store_live_segments(const sl_store_t *s, int64_t from, int64_t to, uint64_t *lo, uint64_t *hi);
/* from, or the oldest time still live if from is older. */
int64_t sl_store_live_from(const sl_store_t *s, int64_t from);
/* True when a window starting (session ending) at t has expired. */
bool sl_store_expired(const sl_store_t *s, int64_t t);
/* Number of entries in LMDB plus dirty cached ones (an estimate). */
int64_t sl_store_approx_count(sl_store_t *s);

/* Byte strings in LMDB's order (memcmp, then shorter first). */
static inline int sl_store_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c)
        return c;
    return alen < blen ? -1 : alen > blen;
}

/* A scan bound: key || tail, on the stack when small. */
typedef struct sl_store_bound {
    uint8_t *p;
    size_t len;
    uint8_t inl[128];
} sl_store_bound_t;
/* SL_ERR_NOMEM; free with sl_store_bound_free either way. */
sl_err_t sl_store_bound_make(sl_store_bound_t *b, const uint8_t *key, size_t klen, const uint8_t *tail,
                             size_t tlen);
void sl_store_bound_free(sl_store_bound_t *b);

/* Big-endian helpers for the key layouts. */
static inline void sl_store_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}
static inline uint64_t sl_store_rd64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}
static inline void sl_store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline uint32_t sl_store_rd32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* ======================================================================
 * The byte-level stores (store_kv.c, store_window.c, store_session.c)
 * ====================================================================== */

/* Key-value: value NULL with vlen -1 deletes. */
sl_err_t sl_kvs_put(sl_store_t *s, const uint8_t *k, size_t klen, const uint8_t *v, int32_t vlen, int64_t ts);
/* The value, copied into arena; SL_ERR_NOENT. */
sl_err_t sl_kvs_get(sl_store_t *s, const uint8_t *k, size_t klen, sl_arena_t *arena, const uint8_t **v,
                    size_t *vlen);
/* Keys in [from, to] (NULL: open) in byte order. */
typedef bool sl_kvs_iter_fn(void *arg, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen);
sl_err_t sl_kvs_range(sl_store_t *s, const uint8_t *from, size_t flen, const uint8_t *to, size_t tlen,
                      sl_kvs_iter_fn *fn, void *arg);

/* Window: one value per (key, start), or every put with retain_duplicates. */
sl_err_t sl_wins_put(sl_store_t *s, const uint8_t *k, size_t klen, int64_t start, const uint8_t *v, int32_t vlen,
                     int64_t ts);
sl_err_t sl_wins_get(sl_store_t *s, const uint8_t *k, size_t klen, int64_t start, sl_arena_t *arena,
                     const uint8_t **v, size_t *vlen);
typedef bool sl_wins_iter_fn(void *arg, const uint8_t *k, size_t klen, int64_t start, const uint8_t *v,
                             size_t vlen);
/* Windows with start in [from, to] of key k (by start), or of keys in
 * [kfrom, kto] (NULL: open; by segment, key, start, as Kafka's segmented
 * stores). */
sl_err_t sl_wins_fetch(sl_store_t *s, const uint8_t *k, size_t klen, int64_t from, int64_t to,
                       sl_wins_iter_fn *fn, void *arg);
sl_err_t sl_wins_fetch_range(sl_store_t *s, const uint8_t *kfrom, size_t kflen, const uint8_t *kto, size_t ktlen,
                             int64_t from, int64_t to, sl_wins_iter_fn *fn, void *arg);

/* Session: one value per (key, start, end). */
sl_err_t sl_sess_put(sl_store_t *s, const uint8_t *k, size_t klen, int64_t start, int64_t end, const uint8_t *v,
                     int32_t vlen, int64_t ts);
typedef bool sl_sess_iter_fn(void *arg, const uint8_t *k, size_t klen, int64_t start, int64_t end,
                             const uint8_t *v, size_t vlen);
/* The key's sessions with end >= earliest_end and start <= latest_start,
 * by end then start. */
sl_err_t sl_sess_find(sl_store_t *s, const uint8_t *k, size_t klen, int64_t earliest_end, int64_t latest_start,
                      sl_sess_iter_fn *fn, void *arg);
/* Every live session of every key, by segment (of the end), key, end,
 * start. */
sl_err_t sl_sess_fetch_all(sl_store_t *s, sl_sess_iter_fn *fn, void *arg);

#endif /* SL_STORE_INT_H */
