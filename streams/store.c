/*
 * store.c - what the key-value, window and session stores share: opening a
 * store's database in the task's environment, the write path (record cache
 * or straight through to LMDB and the changelog, the flush listener),
 * reads, ordered scans merging the cache over LMDB, retention by segments,
 * changelog restore. The key layouts are in store_int.h; the kinds' own
 * calls in store_kv.c, store_window.c and store_session.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/* serde.c (the core part) frees what JSON values read into the scratch
 * arena hold; a program using only the byte-level stores links without it. */
#pragma weak sl_serde_release

/* Kafka's segment interval: half the retention, at least a minute. */
#define SEGMENT_MIN_MS 60000
#define META_LEN 20

sl_err_t sl_store_bound_make(sl_store_bound_t *b, const uint8_t *key, size_t klen, const uint8_t *tail,
                             size_t tlen)
{
    b->len = klen + tlen;
    b->p = b->len <= sizeof(b->inl) ? b->inl : malloc(b->len);
    if (!b->p)
        return SL_ERR_NOMEM;
    if (klen)
        memcpy(b->p, key, klen);
    if (tlen)
        memcpy(b->p + klen, tail, tlen);
    return SL_OK;
}

void sl_store_bound_free(sl_store_bound_t *b)
{
    if (b->p != b->inl)
        free(b->p);
    b->p = NULL;
}

static bool segmented(const sl_store_t *s)
{
    return s->def.kind != SL_STORE_KV;
}

static int64_t time_of(const sl_store_t *s, const uint8_t *ck, size_t cklen)
{
    return (int64_t)sl_store_rd64(ck + cklen - s->time_at);
}

uint64_t sl_store_segment(const sl_store_t *s, int64_t t)
{
    return t <= 0 ? 0 : (uint64_t)(t / s->seg_interval);
}

bool sl_store_expired(const sl_store_t *s, int64_t t)
{
    return s->retention > 0 && s->observed >= 0 && t <= s->observed - s->retention;
}

int64_t sl_store_live_from(const sl_store_t *s, int64_t from)
{
    if (s->retention > 0 && s->observed >= 0 && from <= s->observed - s->retention)
        return s->observed - s->retention + 1;
    return from;
}

bool sl_store_live_segments(const sl_store_t *s, int64_t from, int64_t to, uint64_t *lo, uint64_t *hi)
{
    if (s->observed < 0)
        return false;
    from = sl_store_live_from(s, from);
    if (to > s->observed)
        to = s->observed;
    if (to < from)
        return false;
    *lo = sl_store_segment(s, from);
    *hi = sl_store_segment(s, to);
    if (*lo < s->min_live_seg)
        *lo = s->min_live_seg;
    return *lo <= *hi;
}

/* Writes prefix || ck into s->kbuf. */
static sl_err_t db_key(sl_store_t *s, const uint8_t *ck, size_t cklen)
{
    size_t max = (size_t)mdb_env_get_maxkeysize(s->st->env);
    if (cklen < s->suffix)
        return SL_ERR_PARSE;
    if (s->prefix + cklen > max) {
        SL_ERROR(SL_STORE_LOG, "store %s: a key of %zu bytes is larger than LMDB's limit of %zu", s->name,
                 cklen - s->suffix, max - s->prefix - s->suffix);
        return SL_ERR_TOO_LARGE;
    }
    sl_buf_reset(&s->kbuf);
    uint8_t *p = sl_buf_put_space(&s->kbuf, s->prefix);
    if (p) {
        if (segmented(s))
            sl_store_be64(p, sl_store_segment(s, time_of(s, ck, cklen)));
        else
            p[0] = 0;
    }
    sl_buf_put(&s->kbuf, ck, cklen);
    return sl_buf_err(&s->kbuf);
}

static sl_err_t load_meta(sl_store_t *s, MDB_txn *txn)
{
    MDB_val k = {strlen(s->dbname), s->dbname}, v;
    int rc = mdb_get(txn, s->st->meta, &k, &v);
    if (rc == MDB_NOTFOUND)
        return SL_OK;
    if (rc != 0)
        return sl_state_fail(s->st, rc, "read meta", s->name);
    if (v.mv_size != META_LEN) {
        SL_WARN(SL_STORE_LOG, "store %s: meta of %zu bytes ignored", s->name, v.mv_size);
        return SL_OK;
    }
    const uint8_t *p = v.mv_data;
    s->observed = (int64_t)sl_store_rd64(p);
    s->min_live_seg = sl_store_rd64(p + 8);
    s->seq = sl_store_rd32(p + 16);
    return SL_OK;
}

sl_err_t sl_store_save_meta(sl_store_t *s, MDB_txn *txn)
{
    if (!s->meta_dirty)
        return SL_OK;
    uint8_t buf[META_LEN];
    sl_store_be64(buf, (uint64_t)s->observed);
    sl_store_be64(buf + 8, s->min_live_seg);
    sl_store_be32(buf + 16, s->seq);
    MDB_val k = {strlen(s->dbname), s->dbname}, v = {sizeof(buf), buf};
    int rc = mdb_put(txn, s->st->meta, &k, &v, 0);
    if (rc != 0)
        return sl_state_fail(s->st, rc, "write meta", s->name);
    s->meta_dirty = false;
    return SL_OK;
}

sl_err_t sl_store_open(sl_state_t *st, const sl_store_def_t *def, const sl_store_env_t *env, sl_store_t **out)
{
    static const char *const kinds[] = {"kv:", "win:", "ses:"};
    *out = NULL;
    if (!def || !def->name || (unsigned)def->kind > SL_STORE_SESSION)
        return SL_ERR_INVAL;
    sl_store_t *s = calloc(1, sizeof(*s));
    if (!s)
        return SL_ERR_NOMEM;
    sl_list_init(&s->link);
    s->st = st;
    s->def = *def;
    s->name = strdup(def->name);
    size_t n = strlen(kinds[def->kind]) + strlen(def->name) + 1;
    s->dbname = malloc(n);
    if (!s->name || !s->dbname)
        goto nomem;
    snprintf(s->dbname, n, "%s%s", kinds[def->kind], def->name);
    s->def.name = s->name;
    if (env && env->changelog && env->collector && env->collector->send) {
        s->changelog = strdup(env->changelog);
        if (!s->changelog)
            goto nomem;
        s->collector = env->collector;
        s->partition = env->partition;
        sl_coll_topic_init(&s->changelog_out, s->collector, s->changelog);
    }
    s->ctx = env ? env->ctx : NULL;
    s->prefix = def->kind == SL_STORE_KV ? 1 : 8;
    s->suffix = def->kind == SL_STORE_WINDOW ? 12 : def->kind == SL_STORE_SESSION ? 16 : 0;
    s->time_at = def->kind == SL_STORE_WINDOW ? 12 : 16;
    s->retention = def->kind == SL_STORE_KV ? 0 : def->retention_ms;
    s->seg_interval = s->retention > 0 ? SL_MAX(s->retention / 2, SEGMENT_MIN_MS) : INT64_MAX;
    s->observed = -1;
    sl_arena_init(&s->scratch, 0, 0);
    /* Duplicates never fold (every put has its own sequence number), so a
     * cache would only delay them: Kafka does not cache such stores either. */
    bool dups = def->kind == SL_STORE_WINDOW && def->retain_duplicates;
    if (def->caching && env && env->cache_bytes > 0 && !dups) {
        s->cache = sl_cache_new((size_t)env->cache_bytes);
        if (!s->cache)
            goto nomem;
    }
    MDB_txn *txn;
    sl_err_t err = sl_state_txn(st, &txn);
    if (err)
        goto fail;
    int rc = mdb_dbi_open(txn, s->dbname, MDB_CREATE, &s->dbi);
    if (rc != 0) {
        err = sl_state_fail(st, rc, "open database", s->name);
        goto fail;
    }
    if ((err = load_meta(s, txn)) != SL_OK)
        goto fail;
    if (s->retention > 0 && s->observed >= 0 && s->observed - s->retention + 1 > 0) {
        uint64_t live = sl_store_segment(s, s->observed - s->retention + 1);
        if (live > s->min_live_seg)
            s->min_live_seg = live; /* dropped by the next put */
    }
    /* A database handle opened in a transaction lives on only if that
     * transaction commits. */
    if ((err = sl_state_commit(st)) != SL_OK)
        goto fail;
    sl_list_insert_tail(&st->stores, &s->link);
    *out = s;
    return SL_OK;
nomem:
    err = SL_ERR_NOMEM;
fail:
    sl_store_close(s);
    return err;
}

void sl_store_close(sl_store_t *s)
{
    if (!s)
        return;
    MDB_txn *txn;
    /* the stream time and sequence number go with the next commit */
    if (s->meta_dirty && !s->st->broken && sl_state_txn(s->st, &txn) == SL_OK)
        (void)sl_store_save_meta(s, txn);
    sl_list_remove(&s->link);
    sl_cache_free(s->cache);
    sl_buf_free(&s->kbuf);
    sl_buf_free(&s->ckbuf);
    sl_buf_free(&s->oldbuf);
    sl_buf_free(&s->flushk);
    sl_buf_free(&s->flushv);
    sl_buf_free(&s->serk);
    sl_buf_free(&s->serv);
    sl_buf_free(&s->serk2);
    if (sl_serde_release != NULL)
        sl_serde_release(&s->scratch); /* JSON values store_api.c read */
    sl_arena_fini(&s->scratch);
    free(s->changelog);
    free(s->dbname);
    free(s->name);
    free(s);
}

const sl_store_def_t *sl_store_def(const sl_store_t *s)
{
    return &s->def;
}

sl_store_kind_t sl_store_kind(const sl_store_t *s)
{
    return s->def.kind;
}

const char *sl_store_name(const sl_store_t *s)
{
    return s->name;
}

bool sl_store_set_flush_listener(sl_store_t *s, sl_flush_fn *fn, void *arg)
{
    if (!s->cache)
        return false;
    s->listener = fn;
    s->listener_arg = arg;
    return true;
}

/* Deletes every entry of the segments below seg: a range at the front. */
static sl_err_t drop_segments(sl_store_t *s, uint64_t seg)
{
    MDB_txn *txn;
    sl_err_t err = sl_state_txn(s->st, &txn);
    if (err)
        return err;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->dbi, &cur);
    if (rc != 0)
        return sl_state_fail(s->st, rc, "drop segments", s->name);
    uint64_t dropped = 0;
    MDB_val k, v;
    /* Re-seeking the first entry after each delete keeps the loop
     * independent of where LMDB leaves a cursor after a delete. */
    while ((rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST)) == 0) {
        if (k.mv_size < 8 || sl_store_rd64(k.mv_data) >= seg)
            break;
        if ((rc = mdb_cursor_del(cur, 0)) != 0)
            break;
        dropped++;
    }
    mdb_cursor_close(cur);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return sl_state_fail(s->st, rc, "drop segments", s->name);
    if (dropped)
        SL_DEBUG(SL_STORE_LOG, "store %s: %llu expired entries dropped", s->name, (unsigned long long)dropped);
    return SL_OK;
}

/* Stream time of the store moves to t (a window's start, a session's end):
 * segments wholly older than the retention go. */
static sl_err_t advance(sl_store_t *s, int64_t t)
{
    if (t <= s->observed)
        return SL_OK;
    s->observed = t;
    s->meta_dirty = true;
    if (s->retention <= 0 || t - s->retention + 1 <= 0)
        return SL_OK;
    uint64_t live = sl_store_segment(s, t - s->retention + 1);
    if (live <= s->min_live_seg)
        return SL_OK;
    s->min_live_seg = live;
    return drop_segments(s, live);
}

/* One write reaching LMDB: the database, the changelog (unless restoring),
 * the flush listener with the value LMDB held before. An expired window
 * or session is not stored or logged, but the listener still hears of it
 * (a final aggregate reaches downstream, as Kafka's caching stores do). */
static sl_err_t write_through(sl_store_t *s, const uint8_t *dbk, size_t dbklen, const uint8_t *val, int32_t vlen,
                              int64_t ts, bool restoring)
{
    const uint8_t *ck = dbk + s->prefix;
    size_t cklen = dbklen - s->prefix;
    bool expired = segmented(s) && sl_store_expired(s, time_of(s, ck, cklen));
    sl_err_t err = sl_state_reserve(s->st, dbklen + (vlen > 0 ? (size_t)vlen : 0));
    MDB_txn *txn;
    if (err || (err = sl_state_txn(s->st, &txn)) != SL_OK)
        return err;
    MDB_val k = {dbklen, (void *)dbk};
    const uint8_t *old = NULL;
    int32_t olen = -1;
    bool listen = s->listener && !restoring;
    int rc;
    if (listen) {
        MDB_val ov;
        rc = mdb_get(txn, s->dbi, &k, &ov);
        if (rc == 0) {
            sl_buf_reset(&s->oldbuf);
            sl_buf_put(&s->oldbuf, ov.mv_data, ov.mv_size);
            if ((err = sl_buf_err(&s->oldbuf)) != SL_OK)
                return err;
            old = s->oldbuf.data ? s->oldbuf.data : (const uint8_t *)"";
            olen = (int32_t)ov.mv_size;
        } else if (rc != MDB_NOTFOUND) {
            return sl_state_fail(s->st, rc, "read", s->name);
        }
    }
    if (!expired) {
        if (val) {
            MDB_val v = {(size_t)vlen, (void *)val};
            rc = mdb_put(txn, s->dbi, &k, &v, 0);
        } else {
            rc = mdb_del(txn, s->dbi, &k, NULL);
            if (rc == MDB_NOTFOUND)
                rc = 0;
        }
        if (rc != 0)
            return sl_state_fail(s->st, rc, val ? "write" : "delete", s->name);
        if (s->changelog && !restoring) {
            err = sl_coll_send(s->collector, &s->changelog_out, s->partition, ck, (int32_t)cklen, val,
                               val ? vlen : -1, ts, NULL, 0);
            if (err)
                return err;
        }
    }
    if (listen)
        s->listener(s->listener_arg, ck, (int32_t)cklen, val, val ? vlen : -1, old, olen, ts);
    return SL_OK;
}

/* Writes least recently used entries through until the cache fits. Not
 * while a scan walks the cache (its entries must stay). */
static sl_err_t evict(sl_store_t *s)
{
    while (!s->iterating && sl_cache_over(s->cache)) {
        sl_cache_entry_t *e = sl_cache_lru(s->cache);
        if (!e)
            break;
        bool dirty = e->dirty;
        sl_cache_detach(s->cache, e);
        sl_err_t err = dirty ? write_through(s, e->key, e->klen, e->val, e->vlen, e->ts, false) : SL_OK;
        sl_cache_entry_free(e);
        if (err)
            return err;
    }
    return SL_OK;
}

sl_err_t sl_store_put_raw(sl_store_t *s, const uint8_t *ck, size_t cklen, const uint8_t *val, int32_t vlen,
                          int64_t ts)
{
    if (!val)
        vlen = -1;
    else if (vlen < 0)
        return SL_ERR_INVAL;
    sl_err_t err = db_key(s, ck, cklen);
    if (err)
        return err;
    if (segmented(s)) {
        int64_t t = time_of(s, ck, cklen);
        if ((err = advance(s, t)) != SL_OK)
            return err;
        if (sl_store_expired(s, t)) {
            SL_DEBUG(SL_STORE_LOG, "store %s: write of an expired window or session (time %lld) dropped", s->name,
                     (long long)t);
            return SL_OK;
        }
    }
    if (!s->cache)
        return write_through(s, s->kbuf.data, s->kbuf.len, val, vlen, ts, false);
    if ((err = sl_cache_put(s->cache, s->kbuf.data, s->kbuf.len, val, vlen, ts, true)) != SL_OK)
        return err;
    return evict(s);
}

sl_err_t sl_store_get_raw(sl_store_t *s, const uint8_t *ck, size_t cklen, sl_arena_t *arena, const uint8_t **val,
                          size_t *vlen)
{
    *val = NULL;
    *vlen = 0;
    sl_err_t err = db_key(s, ck, cklen);
    if (err)
        return err == SL_ERR_TOO_LARGE ? SL_ERR_NOENT : err;
    if (segmented(s) && sl_store_expired(s, time_of(s, ck, cklen)))
        return SL_ERR_NOENT;
    const uint8_t *p;
    size_t n;
    sl_cache_entry_t *e = s->cache ? sl_cache_get(s->cache, s->kbuf.data, s->kbuf.len) : NULL;
    if (e) {
        if (e->vlen < 0)
            return SL_ERR_NOENT;
        p = e->val;
        n = (size_t)e->vlen;
    }
    MDB_txn *txn = NULL;
    bool temp = false;
    if (!e) {
        if ((err = sl_state_read_txn(s->st, &txn, &temp)) != SL_OK)
            return err;
        MDB_val k = {s->kbuf.len, s->kbuf.data}, v;
        int rc = mdb_get(txn, s->dbi, &k, &v);
        if (rc != 0) {
            sl_state_read_end(txn, temp);
            return rc == MDB_NOTFOUND ? SL_ERR_NOENT : sl_state_fail(s->st, rc, "read", s->name);
        }
        p = v.mv_data;
        n = v.mv_size;
    }
    uint8_t *copy = sl_arena_memdup(arena, p, n);
    if (txn)
        sl_state_read_end(txn, temp);
    if (!copy)
        return SL_ERR_NOMEM;
    *val = copy;
    *vlen = n;
    if (!e && s->cache) {
        /* Reads are cached too (clean), as Kafka's caching stores do: the
         * read-modify-write of an aggregation then hits the cache. */
        if ((err = sl_cache_put(s->cache, s->kbuf.data, s->kbuf.len, copy, (int32_t)n, -1, false)) != SL_OK)
            return err;
        return evict(s);
    }
    return SL_OK;
}

/* True when a database key dbk is in segment seg (key-value: the one
 * prefix) and its ck is at most hi. */
static bool in_range(const sl_store_t *s, uint64_t seg, const uint8_t *dbk, size_t len, const uint8_t *hi,
                     size_t hilen)
{
    if (len < s->prefix)
        return false;
    if (segmented(s) ? sl_store_rd64(dbk) != seg : dbk[0] != 0)
        return false;
    return !hi || sl_store_cmp(dbk + s->prefix, len - s->prefix, hi, hilen) <= 0;
}

/* Merges one segment's LMDB entries and cache entries in [lo, hi]; *stop
 * when fn asked to stop. txn: the write transaction the cursor is in (a
 * failed write in fn ends it), NULL for a read-only one. */
static sl_err_t scan_segment(sl_store_t *s, MDB_txn *txn, MDB_cursor *cur, uint64_t seg, const uint8_t *lo,
                             size_t lolen, const uint8_t *hi, size_t hilen, sl_store_scan_fn *fn, void *arg,
                             bool *stop)
{
    uint8_t prefix[8] = {0};
    if (segmented(s))
        sl_store_be64(prefix, seg);
    sl_buf_reset(&s->kbuf);
    sl_buf_put(&s->kbuf, prefix, s->prefix);
    if (lo)
        sl_buf_put(&s->kbuf, lo, lolen);
    if (sl_buf_err(&s->kbuf))
        return SL_ERR_NOMEM;
    MDB_val k = {s->kbuf.len, s->kbuf.data}, v;
    int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    sl_cache_entry_t *e = s->cache ? sl_cache_seek(s->cache, s->kbuf.data, s->kbuf.len) : NULL;
    for (;;) {
        if (rc != 0 && rc != MDB_NOTFOUND)
            return sl_state_fail(s->st, rc, "scan", s->name);
        bool db_ok = rc == 0 && in_range(s, seg, k.mv_data, k.mv_size, hi, hilen);
        bool c_ok = e && in_range(s, seg, e->key, e->klen, hi, hilen);
        if (!db_ok && !c_ok)
            return SL_OK;
        int c = db_ok && c_ok ? sl_store_cmp(k.mv_data, k.mv_size, e->key, e->klen) : db_ok ? -1 : 1;
        bool more = true;
        if (c >= 0) {
            if (e->vlen >= 0)
                more = fn(arg, e->key + s->prefix, e->klen - s->prefix, e->val, (size_t)e->vlen);
            e = sl_cache_next(e);
        } else {
            more = fn(arg, (const uint8_t *)k.mv_data + s->prefix, k.mv_size - s->prefix, v.mv_data, v.mv_size);
        }
        if (txn && s->st->txn != txn) {
            SL_ERROR(SL_STORE_LOG, "store %s: the transaction failed during a scan", s->name);
            return SL_ERR_IO;
        }
        if (!more) {
            *stop = true;
            return SL_OK;
        }
        if (c <= 0)
            rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
}

sl_err_t sl_store_scan(sl_store_t *s, uint64_t seg_lo, uint64_t seg_hi, const uint8_t *lo, size_t lolen,
                       const uint8_t *hi, size_t hilen, sl_store_scan_fn *fn, void *arg)
{
    MDB_txn *txn;
    bool temp;
    sl_err_t err = sl_state_read_txn(s->st, &txn, &temp);
    if (err)
        return err;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->dbi, &cur);
    if (rc != 0) {
        sl_state_read_end(txn, temp);
        return sl_state_fail(s->st, rc, "scan", s->name);
    }
    if (!segmented(s))
        seg_lo = seg_hi = 0;
    s->iterating++;
    s->st->iterating++;
    bool stop = false;
    for (uint64_t seg = seg_lo; !err && !stop && seg <= seg_hi; seg++) {
        err = scan_segment(s, temp ? NULL : txn, cur, seg, lo, lolen, hi, hilen, fn, arg, &stop);
        if (seg == UINT64_MAX)
            break;
    }
    s->iterating--;
    s->st->iterating--;
    if (temp || s->st->txn == txn)
        mdb_cursor_close(cur);
    sl_state_read_end(txn, temp);
    if (!err && s->cache)
        err = evict(s);
    return err;
}

sl_err_t sl_store_flush(sl_store_t *s)
{
    if (!s->cache)
        return SL_OK;
    /* Entries dirtied again by a listener's writes wait for the next flush,
     * so a flush always ends. */
    for (size_t n = sl_cache_dirty_count(s->cache); n > 0; n--) {
        sl_cache_entry_t *e = sl_cache_pop_dirty(s->cache);
        if (!e)
            break;
        /* Copies: the listener may write to this store and change e. */
        sl_buf_reset(&s->flushk);
        sl_buf_reset(&s->flushv);
        sl_buf_put(&s->flushk, e->key, e->klen);
        if (e->vlen > 0)
            sl_buf_put(&s->flushv, e->val, (size_t)e->vlen);
        if (sl_buf_err(&s->flushk) || sl_buf_err(&s->flushv))
            return SL_ERR_NOMEM;
        const uint8_t *v = e->vlen < 0 ? NULL : s->flushv.data ? s->flushv.data : (const uint8_t *)"";
        sl_err_t err = write_through(s, s->flushk.data, s->flushk.len, v, e->vlen, e->ts, false);
        if (err)
            return err;
    }
    return evict(s);
}

sl_err_t sl_store_restore(sl_store_t *s, const void *key, int32_t klen, const void *value, int32_t vlen)
{
    if (!key || klen < 0 || (size_t)klen < s->suffix) {
        SL_ERROR(SL_STORE_LOG, "store %s: changelog record with a key of %d bytes skipped", s->name, (int)klen);
        return SL_ERR_PARSE;
    }
    if (value && vlen < 0)
        return SL_ERR_INVAL;
    const uint8_t *ck = key;
    sl_err_t err = db_key(s, ck, (size_t)klen);
    if (err)
        return err;
    if (segmented(s)) {
        int64_t t = time_of(s, ck, (size_t)klen);
        if ((err = advance(s, t)) != SL_OK)
            return err;
        if (sl_store_expired(s, t))
            return SL_OK;
        if (s->def.kind == SL_STORE_WINDOW && s->def.retain_duplicates) {
            uint32_t seq = sl_store_rd32(ck + klen - 4);
            if (seq > s->seq) {
                s->seq = seq;
                s->meta_dirty = true;
            }
        }
    }
    if (s->cache) {
        sl_cache_entry_t *e = sl_cache_get(s->cache, s->kbuf.data, s->kbuf.len);
        if (e) {
            sl_cache_detach(s->cache, e);
            sl_cache_entry_free(e);
        }
    }
    return write_through(s, s->kbuf.data, s->kbuf.len, (const uint8_t *)value, value ? vlen : -1, -1, true);
}

int64_t sl_store_approx_count(sl_store_t *s)
{
    MDB_txn *txn;
    MDB_stat stat;
    bool temp;
    if (sl_state_read_txn(s->st, &txn, &temp) != SL_OK)
        return 0;
    int rc = mdb_stat(txn, s->dbi, &stat);
    sl_state_read_end(txn, temp);
    if (rc != 0)
        return 0;
    return (int64_t)stat.ms_entries + (s->cache ? (int64_t)sl_cache_dirty_count(s->cache) : 0);
}
