/*
 * store_fixture.h - shared set-up of the store tests: a temporary task
 * directory with an open state, a collector that keeps what the stores
 * send to their changelogs, and byte-level helpers.
 */
#ifndef SL_STORE_FIXTURE_H
#define SL_STORE_FIXTURE_H

#include "store_int.h"

#define SF_MAX_RECS 4096

typedef struct sf_rec {
    uint8_t key[128];
    int32_t klen;
    uint8_t val[128];
    int32_t vlen;                  /* -1: null */
    int64_t ts;
    int32_t partition;
    char topic[64];
} sf_rec_t;

typedef struct sf {
    char dir[128];
    sl_state_t *st;
    sl_collector_t coll;
    sf_rec_t recs[SF_MAX_RECS];
    size_t n_recs;
} sf_t;

/* A fresh directory and state (asserts on failure). */
sf_t *sf_new(void);
/* Closes the state, removes the directory, frees f. */
void sf_free(sf_t *f);
/* Commits, closes and reopens the state in the same directory. */
void sf_reopen(sf_t *f);
/* A store of kind with the given settings, logging to "<name>-changelog"
 * partition 3 through f's collector when logged. */
sl_store_t *sf_store(sf_t *f, const char *name, sl_store_kind_t kind, bool logged, int64_t cache_bytes,
                     int64_t retention_ms, bool dups);

/* NUL-terminated helpers */
sl_err_t sf_put(sl_store_t *s, const char *k, const char *v);
/* The value of k as a string in a static buffer, or NULL when absent. */
const char *sf_get(sl_store_t *s, const char *k);

/* What a scan visited, as text in a static buffer (valid until the next
 * call): "key=value;" per key-value entry (range: keys in [from, to],
 * NULL open, at most stop_after entries when > 0), "key@start=value;" per
 * window (fetch: one key; fetch_range: keys in [kf, kt]),
 * "key[start,end]=value;" per session (find). */
const char *sf_range(sl_store_t *s, const char *from, const char *to, int stop_after);
const char *sf_fetch(sl_store_t *s, const char *k, int64_t from, int64_t to);
const char *sf_fetch_range(sl_store_t *s, const char *kf, const char *kt, int64_t from, int64_t to);
const char *sf_find(sl_store_t *s, const char *k, int64_t earliest_end, int64_t latest_start);

#endif
