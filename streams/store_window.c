/*
 * store_window.c - the window store on bytes: values per (key, window
 * start), keyed as Kafka's WindowKeySchema (key || start || seq, 8 and 4
 * bytes big-endian) in the changelog and, after the segment, in LMDB. With
 * retain_duplicates every put gets the next sequence number (stream-stream
 * join buffers), else the sequence number is 0 and a put replaces.
 */
#include <string.h>

#include "store_int.h"

#define WIN_SUFFIX 12

/* key || start || seq into s->ckbuf. */
static sl_err_t win_key(sl_store_t *s, const uint8_t *k, size_t klen, int64_t start, uint32_t seq)
{
    sl_buf_reset(&s->ckbuf);
    sl_buf_put(&s->ckbuf, k, klen);
    uint8_t *p = sl_buf_put_space(&s->ckbuf, WIN_SUFFIX);
    if (p) {
        sl_store_be64(p, (uint64_t)start);
        sl_store_be32(p + 8, seq);
    }
    return sl_buf_err(&s->ckbuf);
}

sl_err_t sl_wins_put(sl_store_t *s, const uint8_t *k, size_t klen, int64_t start, const uint8_t *v, int32_t vlen,
                     int64_t ts)
{
    if (start < 0)
        return SL_ERR_INVAL;
    uint32_t seq = 0;
    if (s->def.retain_duplicates) {
        if (!v)
            return SL_OK; /* Kafka ignores deletes of duplicates too */
        s->seq = (s->seq + 1) & 0x7fffffffu;
        s->meta_dirty = true;
        seq = s->seq;
    }
    sl_err_t err = win_key(s, k, klen, start, seq);
    return err ? err : sl_store_put_raw(s, s->ckbuf.data, s->ckbuf.len, v, vlen, ts);
}

sl_err_t sl_wins_get(sl_store_t *s, const uint8_t *k, size_t klen, int64_t start, sl_arena_t *arena,
                     const uint8_t **v, size_t *vlen)
{
    if (start < 0)
        return SL_ERR_NOENT;
    sl_err_t err = win_key(s, k, klen, start, 0);
    return err ? err : sl_store_get_raw(s, s->ckbuf.data, s->ckbuf.len, arena, v, vlen);
}

typedef struct win_iter {
    const uint8_t *k, *kfrom, *kto; /* one key k, or a range */
    size_t klen, kflen, ktlen;
    int64_t from, to;
    sl_wins_iter_fn *fn;
    void *arg;
} win_iter_t;

static bool win_each(void *arg, const uint8_t *ck, size_t cklen, const uint8_t *v, size_t vlen)
{
    win_iter_t *it = arg;
    if (cklen < WIN_SUFFIX)
        return true;
    size_t klen = cklen - WIN_SUFFIX;
    int64_t start = (int64_t)sl_store_rd64(ck + klen);
    if (it->k) {
        /* Entries of longer keys starting with k sort among k's windows. */
        if (klen != it->klen || memcmp(ck, it->k, klen) != 0)
            return true;
    } else if ((it->kfrom && sl_store_cmp(ck, klen, it->kfrom, it->kflen) < 0) ||
               (it->kto && sl_store_cmp(ck, klen, it->kto, it->ktlen) > 0)) {
        return true;
    }
    if (start < it->from || start > it->to)
        return true;
    return it->fn(it->arg, ck, klen, start, v, vlen);
}

/* Scans the live segments for windows in [it->from, it->to] from
 * lo || from to hi || 0xff.. (NULL: open). */
static sl_err_t win_scan(sl_store_t *s, win_iter_t *it, const uint8_t *lo, size_t lolen, const uint8_t *hi,
                         size_t hilen)
{
    uint64_t seg_lo, seg_hi;
    it->from = sl_store_live_from(s, it->from < 0 ? 0 : it->from);
    if (it->to < it->from || !sl_store_live_segments(s, it->from, it->to, &seg_lo, &seg_hi))
        return SL_OK;
    uint8_t tail[WIN_SUFFIX];
    sl_store_be64(tail, (uint64_t)it->from);
    sl_store_bound_t lb, hb;
    sl_err_t err = sl_store_bound_make(&lb, lo, lolen, tail, lo && it->k ? 8 : 0);
    memset(tail, 0xff, sizeof(tail));
    if (!err)
        err = sl_store_bound_make(&hb, hi, hilen, tail, sizeof(tail));
    else
        hb.p = NULL;
    if (!err)
        err = sl_store_scan(s, seg_lo, seg_hi, lo ? lb.p : NULL, lb.len, hi ? hb.p : NULL, hb.len, win_each, it);
    sl_store_bound_free(&lb);
    if (hb.p)
        sl_store_bound_free(&hb);
    return err;
}

sl_err_t sl_wins_fetch(sl_store_t *s, const uint8_t *k, size_t klen, int64_t from, int64_t to,
                       sl_wins_iter_fn *fn, void *arg)
{
    win_iter_t it = {.k = k ? k : (const uint8_t *)"", .klen = klen, .from = from, .to = to, .fn = fn, .arg = arg};
    return win_scan(s, &it, it.k, klen, it.k, klen);
}

sl_err_t sl_wins_fetch_range(sl_store_t *s, const uint8_t *kfrom, size_t kflen, const uint8_t *kto, size_t ktlen,
                             int64_t from, int64_t to, sl_wins_iter_fn *fn, void *arg)
{
    win_iter_t it = {.kfrom = kfrom, .kflen = kflen, .kto = kto, .ktlen = ktlen, .from = from, .to = to,
                     .fn = fn, .arg = arg};
    return win_scan(s, &it, kfrom, kflen, kto, ktlen);
}
