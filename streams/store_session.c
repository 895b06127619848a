/*
 * store_session.c - the session store on bytes: values per (key, session
 * [start, end]), keyed as Kafka's SessionKeySchema (key || end || start, 8
 * bytes big-endian each) in the changelog and, after the segment of the
 * end, in LMDB. Sessions of a key sort by end, so the sessions a new record
 * may merge with (ending at or after its time minus the gap) are one range.
 * Every key's sessions (interactive queries) are a scan of the live
 * segments, each entry's key being all but its last 16 bytes.
 */
#include <string.h>

#include "store_int.h"

#define SES_SUFFIX 16

sl_err_t sl_sess_put(sl_store_t *s, const uint8_t *k, size_t klen, int64_t start, int64_t end, const uint8_t *v,
                     int32_t vlen, int64_t ts)
{
    if (start < 0 || end < start)
        return SL_ERR_INVAL;
    sl_buf_reset(&s->ckbuf);
    sl_buf_put(&s->ckbuf, k, klen);
    uint8_t *p = sl_buf_put_space(&s->ckbuf, SES_SUFFIX);
    if (p) {
        sl_store_be64(p, (uint64_t)end);
        sl_store_be64(p + 8, (uint64_t)start);
    }
    sl_err_t err = sl_buf_err(&s->ckbuf);
    return err ? err : sl_store_put_raw(s, s->ckbuf.data, s->ckbuf.len, v, vlen, ts);
}

typedef struct ses_iter {
    const uint8_t *k;
    size_t klen;
    int64_t earliest_end, latest_start;
    sl_sess_iter_fn *fn;
    void *arg;
} ses_iter_t;

static bool ses_each(void *arg, const uint8_t *ck, size_t cklen, const uint8_t *v, size_t vlen)
{
    ses_iter_t *it = arg;
    /* Entries of longer keys starting with k sort among k's sessions. */
    if (cklen != it->klen + SES_SUFFIX || memcmp(ck, it->k, it->klen) != 0)
        return true;
    int64_t end = (int64_t)sl_store_rd64(ck + it->klen);
    int64_t start = (int64_t)sl_store_rd64(ck + it->klen + 8);
    if (end < it->earliest_end || start > it->latest_start)
        return true;
    return it->fn(it->arg, ck, it->klen, start, end, v, vlen);
}

sl_err_t sl_sess_find(sl_store_t *s, const uint8_t *k, size_t klen, int64_t earliest_end, int64_t latest_start,
                      sl_sess_iter_fn *fn, void *arg)
{
    ses_iter_t it = {k ? k : (const uint8_t *)"", klen, sl_store_live_from(s, earliest_end < 0 ? 0 : earliest_end),
                     latest_start, fn, arg};
    uint64_t seg_lo, seg_hi;
    if (latest_start < 0 || !sl_store_live_segments(s, it.earliest_end, INT64_MAX, &seg_lo, &seg_hi))
        return SL_OK;
    uint8_t tail[SES_SUFFIX];
    sl_store_be64(tail, (uint64_t)it.earliest_end);
    sl_store_bound_t lb, hb;
    sl_err_t err = sl_store_bound_make(&lb, it.k, klen, tail, 8);
    memset(tail, 0xff, sizeof(tail));
    sl_err_t err2 = sl_store_bound_make(&hb, it.k, klen, tail, sizeof(tail));
    if (!err && !err2)
        err = sl_store_scan(s, seg_lo, seg_hi, lb.p, lb.len, hb.p, hb.len, ses_each, &it);
    sl_store_bound_free(&lb);
    sl_store_bound_free(&hb);
    return err ? err : err2;
}

typedef struct ses_all {
    sl_sess_iter_fn *fn;
    void *arg;
} ses_all_t;

static bool ses_all_each(void *arg, const uint8_t *ck, size_t cklen, const uint8_t *v, size_t vlen)
{
    ses_all_t *it = arg;
    if (cklen < SES_SUFFIX)
        return true; /* not written by sl_sess_put */
    size_t klen = cklen - SES_SUFFIX;
    int64_t end = (int64_t)sl_store_rd64(ck + klen);
    int64_t start = (int64_t)sl_store_rd64(ck + klen + 8);
    return it->fn(it->arg, ck, klen, start, end, v, vlen);
}

sl_err_t sl_sess_fetch_all(sl_store_t *s, sl_sess_iter_fn *fn, void *arg)
{
    ses_all_t it = {fn, arg};
    uint64_t seg_lo, seg_hi;
    if (!sl_store_live_segments(s, sl_store_live_from(s, 0), INT64_MAX, &seg_lo, &seg_hi))
        return SL_OK;
    return sl_store_scan(s, seg_lo, seg_hi, NULL, 0, NULL, 0, ses_all_each, &it);
}
