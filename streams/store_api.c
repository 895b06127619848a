/*
 * store_api.c - the typed store calls of streams.h (sl_kv_*, sl_win_*,
 * sl_session_*) over the byte-level stores: keys and values go through the
 * store's serdes (auto when the definition gives none).
 *
 * Where values read live: in the record's memory when the store has a
 * context (a task's store: valid until the record is done, so a value read
 * may be kept across later writes), else in the store's scratch arena,
 * released at the next write to the store. Iterations hand out values
 * valid for the callback only (a per-call arena reset between entries),
 * so a scan of a large store needs memory for one entry; the _into
 * variants (streams_int.h) deserialize into the caller's arena instead,
 * for operators that gather entries and use them after the scan: a user
 * serde's objects (SL_V_PTR) cannot be copied out of a dying arena, and
 * the bytes they are read from are copied there first, as a serde may
 * point into them and the store's own bytes change at its next write.
 * Changelog records of a write carry the current record's timestamp.
 */
#include "store_int.h"

static const sl_serde_t *kserde(const sl_store_t *s)
{
    return s->def.ks ? s->def.ks : &sl_serde_auto;
}

static const sl_serde_t *vserde(const sl_store_t *s)
{
    return s->def.vs ? s->def.vs : &sl_serde_auto;
}

static sl_arena_t *read_arena(sl_store_t *s)
{
    return s->ctx ? sl_ctx_arena(s->ctx) : &s->scratch;
}

static int64_t now(const sl_store_t *s)
{
    return s->ctx ? sl_ctx_timestamp(s->ctx) : -1;
}

/* After a write: values read into the scratch arena are no longer valid. */
static sl_err_t wrote(sl_store_t *s, sl_err_t err)
{
    if (!s->ctx) {
        sl_serde_release(&s->scratch);
        sl_arena_reset(&s->scratch);
    }
    return err;
}

/* Serializes a key (never null in a store) into buf. */
static sl_err_t ser_key(const sl_store_t *s, const sl_val_t *key, sl_buf_t *buf)
{
    sl_buf_reset(buf);
    if (sl_val_is_null(key))
        return SL_ERR_INVAL;
    int rc = sl_serde_write(kserde(s), key, buf);
    return rc == 1 ? SL_ERR_INVAL : (sl_err_t)rc;
}

/* Serializes a value into s->serv: *vlen -1 for a null (a delete). */
static sl_err_t ser_value(sl_store_t *s, const sl_val_t *v, int32_t *vlen)
{
    sl_buf_reset(&s->serv);
    int rc = sl_serde_write(vserde(s), v, &s->serv);
    if (rc == 1) {
        *vlen = -1;
        return SL_OK;
    }
    if (rc)
        return (sl_err_t)rc;
    if (s->serv.len > INT32_MAX)
        return SL_ERR_TOO_LARGE;
    *vlen = (int32_t)s->serv.len;
    return SL_OK;
}

static const uint8_t *value_ptr(const sl_store_t *s, int32_t vlen)
{
    return vlen < 0 ? NULL : s->serv.data ? s->serv.data : (const uint8_t *)"";
}

static sl_err_t de(const sl_serde_t *sd, const uint8_t *p, size_t n, sl_arena_t *arena, sl_val_t *out)
{
    sl_err_t err = sd->de(p, n, arena, out, sd->arg);
    if (err)
        *out = sl_val_null();
    return err;
}

/* A value read by a get: deserialized from bytes already in arena. */
static sl_err_t got(sl_store_t *s, sl_err_t err, const uint8_t *p, size_t n, sl_arena_t *arena, sl_val_t *out)
{
    if (err) {
        *out = sl_val_null();
        return err;
    }
    err = de(vserde(s), p, n, arena, out);
    if (err)
        SL_WARN(SL_STORE_LOG, "store %s: a value of %zu bytes the serde %s cannot read", s->name, n,
                vserde(s)->name);
    return err;
}

static sl_err_t need_kind(const sl_store_t *s, sl_store_kind_t kind)
{
    return s && s->def.kind == kind ? SL_OK : SL_ERR_INVAL;
}

/* --- key-value ------------------------------------------------------------ */

sl_err_t sl_kv_get(sl_store_t *st, const sl_val_t *key, sl_val_t *out)
{
    return sl_kv_get_into(st, key, st != NULL ? read_arena(st) : NULL, out);
}

sl_err_t sl_kv_get_into(sl_store_t *st, const sl_val_t *key, sl_arena_t *arena, sl_val_t *out)
{
    *out = sl_val_null();
    sl_err_t err = need_kind(st, SL_STORE_KV);
    if (!err)
        err = ser_key(st, key, &st->serk);
    if (err)
        return err;
    const uint8_t *p;
    size_t n;
    err = sl_kvs_get(st, st->serk.data, st->serk.len, arena, &p, &n);
    return got(st, err, p, n, arena, out);
}

sl_err_t sl_kv_put(sl_store_t *st, const sl_val_t *key, const sl_val_t *value)
{
    int32_t vlen;
    sl_err_t err = need_kind(st, SL_STORE_KV);
    if (!err)
        err = ser_key(st, key, &st->serk);
    if (!err)
        err = ser_value(st, value, &vlen);
    if (err)
        return err;
    err = sl_kvs_put(st, st->serk.data, st->serk.len, value_ptr(st, vlen), vlen, now(st));
    return wrote(st, err);
}

sl_err_t sl_kv_delete(sl_store_t *st, const sl_val_t *key)
{
    sl_val_t null = sl_val_null();
    return sl_kv_put(st, key, &null);
}

/* One iteration's state: the user's callback, the arena its values live
 * in (reset between entries, or keep: the caller's, never reset), the
 * first error. */
typedef struct iter {
    sl_store_t *s;
    sl_kv_iter_fn *kv;
    sl_win_iter_fn *win;
    sl_session_iter_fn *ses;
    void *arg;
    sl_arena_t arena;
    sl_arena_t *keep;
    sl_err_t err;
} iter_t;

static void iter_init(iter_t *it, sl_store_t *s, sl_arena_t *keep, void *arg)
{
    *it = (iter_t){.s = s, .keep = keep, .arg = arg};
    sl_arena_init(&it->arena, 0, 0);
}

static sl_err_t iter_end(iter_t *it, sl_err_t err)
{
    sl_serde_release(&it->arena);
    sl_arena_fini(&it->arena);
    return err ? err : it->err;
}

/* Deserializes one entry's key and value; false (and it->err) if it
 * cannot. */
static bool iter_de(iter_t *it, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen, sl_val_t *key,
                    sl_val_t *val)
{
    sl_arena_t *arena = it->keep;
    if (arena == NULL) {
        arena = &it->arena;
        sl_serde_release(arena);
        sl_arena_reset(arena);
    } else {
        /* A serde may point its values into the bytes it reads, and the
         * store's bytes change at its next write: entries kept past the
         * scan read from copies in the caller's arena. */
        k = klen ? sl_arena_memdup(arena, k, klen) : k;
        v = vlen ? sl_arena_memdup(arena, v, vlen) : v;
        if ((klen && k == NULL) || (vlen && v == NULL)) {
            it->err = SL_ERR_NOMEM;
            return false;
        }
    }
    if (de(kserde(it->s), k, klen, arena, key) || de(vserde(it->s), v, vlen, arena, val)) {
        SL_ERROR(SL_STORE_LOG, "store %s: an entry its serdes cannot read stops the iteration", it->s->name);
        it->err = SL_ERR_PARSE;
        return false;
    }
    return true;
}

static bool kv_each(void *arg, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
    iter_t *it = arg;
    sl_val_t key, val;
    return iter_de(it, k, klen, v, vlen, &key, &val) && it->kv(&key, &val, it->arg);
}

sl_err_t sl_kv_range(sl_store_t *st, const sl_val_t *from, const sl_val_t *to, sl_kv_iter_fn *fn, void *arg)
{
    sl_err_t err = need_kind(st, SL_STORE_KV);
    if (err)
        return err;
    /* the bounds stay in serk/serk2 during the scan: a callback's own
     * writes use serk, so they are copied */
    sl_buf_t lo = SL_BUF_INIT, hi = SL_BUF_INIT;
    if (!sl_val_is_null(from))
        err = ser_key(st, from, &lo);
    if (!err && !sl_val_is_null(to))
        err = ser_key(st, to, &hi);
    iter_t it;
    iter_init(&it, st, NULL, arg);
    it.kv = fn;
    if (!err)
        err = sl_kvs_range(st, sl_val_is_null(from) ? NULL : lo.data ? lo.data : (const uint8_t *)"", lo.len,
                           sl_val_is_null(to) ? NULL : hi.data ? hi.data : (const uint8_t *)"", hi.len, kv_each,
                           &it);
    sl_buf_free(&lo);
    sl_buf_free(&hi);
    return iter_end(&it, err);
}

sl_err_t sl_kv_all(sl_store_t *st, sl_kv_iter_fn *fn, void *arg)
{
    return sl_kv_range(st, NULL, NULL, fn, arg);
}

int64_t sl_kv_approx_count(sl_store_t *st)
{
    return sl_store_approx_count(st);
}

/* --- windows -------------------------------------------------------------- */

sl_err_t sl_win_put(sl_store_t *st, const sl_val_t *key, int64_t window_start, const sl_val_t *value)
{
    int32_t vlen;
    sl_err_t err = need_kind(st, SL_STORE_WINDOW);
    if (!err)
        err = ser_key(st, key, &st->serk);
    if (!err)
        err = ser_value(st, value, &vlen);
    if (err)
        return err;
    err = sl_wins_put(st, st->serk.data, st->serk.len, window_start, value_ptr(st, vlen), vlen, now(st));
    return wrote(st, err);
}

sl_err_t sl_win_get(sl_store_t *st, const sl_val_t *key, int64_t window_start, sl_val_t *out)
{
    *out = sl_val_null();
    sl_err_t err = need_kind(st, SL_STORE_WINDOW);
    if (!err)
        err = ser_key(st, key, &st->serk);
    if (err)
        return err;
    const uint8_t *p;
    size_t n;
    sl_arena_t *arena = read_arena(st);
    err = sl_wins_get(st, st->serk.data, st->serk.len, window_start, arena, &p, &n);
    return got(st, err, p, n, arena, out);
}

static bool win_each(void *arg, const uint8_t *k, size_t klen, int64_t start, const uint8_t *v, size_t vlen)
{
    iter_t *it = arg;
    sl_val_t key, val;
    return iter_de(it, k, klen, v, vlen, &key, &val) && it->win(&key, start, &val, it->arg);
}

sl_err_t sl_win_fetch(sl_store_t *st, const sl_val_t *key, int64_t from, int64_t to, sl_win_iter_fn *fn,
                      void *arg)
{
    return sl_win_fetch_into(st, key, from, to, NULL, fn, arg);
}

sl_err_t sl_win_fetch_into(sl_store_t *st, const sl_val_t *key, int64_t from, int64_t to, sl_arena_t *arena,
                           sl_win_iter_fn *fn, void *arg)
{
    sl_err_t err = need_kind(st, SL_STORE_WINDOW);
    sl_buf_t kb = SL_BUF_INIT;
    if (!err)
        err = ser_key(st, key, &kb);
    iter_t it;
    iter_init(&it, st, arena, arg);
    it.win = fn;
    if (!err)
        err = sl_wins_fetch(st, kb.data, kb.len, from, to, win_each, &it);
    sl_buf_free(&kb);
    return iter_end(&it, err);
}

sl_err_t sl_win_fetch_range(sl_store_t *st, const sl_val_t *kfrom, const sl_val_t *kto, int64_t from, int64_t to,
                            sl_win_iter_fn *fn, void *arg)
{
    sl_err_t err = need_kind(st, SL_STORE_WINDOW);
    sl_buf_t lo = SL_BUF_INIT, hi = SL_BUF_INIT;
    if (!err && !sl_val_is_null(kfrom))
        err = ser_key(st, kfrom, &lo);
    if (!err && !sl_val_is_null(kto))
        err = ser_key(st, kto, &hi);
    iter_t it;
    iter_init(&it, st, NULL, arg);
    it.win = fn;
    if (!err)
        err = sl_wins_fetch_range(st, sl_val_is_null(kfrom) ? NULL : lo.data ? lo.data : (const uint8_t *)"",
                                  lo.len, sl_val_is_null(kto) ? NULL : hi.data ? hi.data : (const uint8_t *)"",
                                  hi.len, from, to, win_each, &it);
    sl_buf_free(&lo);
    sl_buf_free(&hi);
    return iter_end(&it, err);
}

sl_err_t sl_win_fetch_all(sl_store_t *st, int64_t from, int64_t to, sl_win_iter_fn *fn, void *arg)
{
    return sl_win_fetch_range(st, NULL, NULL, from, to, fn, arg);
}

/* --- sessions ------------------------------------------------------------- */

sl_err_t sl_session_put(sl_store_t *st, const sl_val_t *key, int64_t start, int64_t end, const sl_val_t *value)
{
    int32_t vlen;
    sl_err_t err = need_kind(st, SL_STORE_SESSION);
    if (!err)
        err = ser_key(st, key, &st->serk);
    if (!err)
        err = ser_value(st, value, &vlen);
    if (err)
        return err;
    err = sl_sess_put(st, st->serk.data, st->serk.len, start, end, value_ptr(st, vlen), vlen, now(st));
    return wrote(st, err);
}

static bool ses_each(void *arg, const uint8_t *k, size_t klen, int64_t start, int64_t end, const uint8_t *v,
                     size_t vlen)
{
    iter_t *it = arg;
    sl_val_t key, val;
    return iter_de(it, k, klen, v, vlen, &key, &val) && it->ses(&key, start, end, &val, it->arg);
}

sl_err_t sl_session_find(sl_store_t *st, const sl_val_t *key, int64_t earliest_end, int64_t latest_start,
                         sl_session_iter_fn *fn, void *arg)
{
    return sl_session_find_into(st, key, earliest_end, latest_start, NULL, fn, arg);
}

sl_err_t sl_session_find_into(sl_store_t *st, const sl_val_t *key, int64_t earliest_end, int64_t latest_start,
                              sl_arena_t *arena, sl_session_iter_fn *fn, void *arg)
{
    sl_err_t err = need_kind(st, SL_STORE_SESSION);
    sl_buf_t kb = SL_BUF_INIT;
    if (!err)
        err = ser_key(st, key, &kb);
    iter_t it;
    iter_init(&it, st, arena, arg);
    it.ses = fn;
    if (!err)
        err = sl_sess_find(st, kb.data, kb.len, earliest_end, latest_start, ses_each, &it);
    sl_buf_free(&kb);
    return iter_end(&it, err);
}

sl_err_t sl_session_fetch(sl_store_t *st, const sl_val_t *key, sl_session_iter_fn *fn, void *arg)
{
    return sl_session_find(st, key, 0, INT64_MAX, fn, arg);
}

sl_err_t sl_session_fetch_all(sl_store_t *st, sl_session_iter_fn *fn, void *arg)
{
    sl_err_t err = need_kind(st, SL_STORE_SESSION);
    iter_t it;
    iter_init(&it, st, NULL, arg);
    it.ses = fn;
    if (!err)
        err = sl_sess_fetch_all(st, ses_each, &it);
    return iter_end(&it, err);
}
