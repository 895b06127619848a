/*
 * offsets.c - committed offsets: a group's map of (topic, partition) to
 * offset, and the durable record of one commit in the layout of Kafka's
 * __consumer_offsets (OffsetCommitKey v1, OffsetCommitValue v3), framed
 * with a size and a CRC-32C for the coordinator's offsets file.
 */
#include <stdlib.h>
#include <string.h>

#include "group_int.h"

static void offset_free(void *v)
{
    sl_offset_t *o = v;
    if (o)
        free(o->metadata);
    free(o);
}

void sl_offsets_init(sl_map_t *map) { sl_map_init(map); }
void sl_offsets_fini(sl_map_t *map) { sl_map_fini(map, offset_free); }

/* Topic names are at most 249 bytes (Kafka's limit, checked at creation). */
static size_t make_key(uint8_t *key, size_t cap, sl_kstr_t topic, int32_t partition)
{
    size_t tl = (size_t)SL_MAX(topic.len, 0);
    if (tl + 4 > cap)
        tl = cap - 4;
    if (tl)
        memcpy(key, topic.ptr, tl);
    uint32_t p = (uint32_t)partition;
    key[tl] = (uint8_t)(p >> 24);
    key[tl + 1] = (uint8_t)(p >> 16);
    key[tl + 2] = (uint8_t)(p >> 8);
    key[tl + 3] = (uint8_t)p;
    return tl + 4;
}

sl_err_t sl_offsets_put(sl_map_t *map, sl_kstr_t topic, int32_t partition, const sl_offset_t *o)
{
    uint8_t key[512];
    size_t klen = make_key(key, sizeof key, topic, partition);
    sl_offset_t *c = malloc(sizeof *c);
    if (!c)
        return SL_ERR_NOMEM;
    *c = *o;
    c->metadata = NULL;
    if (o->metadata && !(c->metadata = strdup(o->metadata))) {
        free(c);
        return SL_ERR_NOMEM;
    }
    void *old = NULL;
    if (sl_map_put(map, key, klen, c, &old) != SL_OK) {
        offset_free(c);
        return SL_ERR_NOMEM;
    }
    offset_free(old);
    return SL_OK;
}

const sl_offset_t *sl_offsets_get(const sl_map_t *map, sl_kstr_t topic, int32_t partition)
{
    uint8_t key[512];
    size_t klen = make_key(key, sizeof key, topic, partition);
    return sl_map_get(map, key, klen);
}

bool sl_offsets_del(sl_map_t *map, sl_kstr_t topic, int32_t partition)
{
    uint8_t key[512];
    size_t klen = make_key(key, sizeof key, topic, partition);
    void *old = NULL;
    if (!sl_map_del(map, key, klen, &old))
        return false;
    offset_free(old);
    return true;
}

void sl_offsets_key_split(const void *key, size_t klen, sl_kstr_t *topic, int32_t *partition)
{
    const uint8_t *k = key;
    *topic = sl_kstr_n((const char *)k, (int32_t)(klen - 4));
    k += klen - 4;
    *partition = (int32_t)((uint32_t)k[0] << 24 | (uint32_t)k[1] << 16 | (uint32_t)k[2] << 8 | k[3]);
}

static void put_str(sl_buf_t *out, sl_kstr_t s)
{
    sl_buf_put_i16(out, (int16_t)(s.len < 0 ? -1 : SL_MIN(s.len, INT16_MAX)));
    if (s.len > 0)
        sl_buf_put(out, s.ptr, (size_t)SL_MIN(s.len, INT16_MAX));
}

void sl_offsets_record_append(sl_buf_t *out, sl_kstr_t group, sl_kstr_t topic, int32_t partition,
                              const sl_offset_t *o)
{
    size_t start = out->len;
    sl_buf_put_i32(out, 0); /* size, patched */
    sl_buf_put_u32(out, 0); /* crc, patched */
    size_t ksize = out->len;
    sl_buf_put_i32(out, 0);
    sl_buf_put_i16(out, 1);
    put_str(out, group);
    put_str(out, topic);
    sl_buf_put_i32(out, partition);
    size_t vsize = out->len;
    sl_buf_put_i32(out, o ? 0 : -1);
    if (o) {
        sl_buf_put_i16(out, 3);
        sl_buf_put_i64(out, o->offset);
        sl_buf_put_i32(out, o->leader_epoch);
        put_str(out, sl_kstr(o->metadata));
        sl_buf_put_i64(out, o->commit_ts);
    }
    if (sl_buf_err(out) != SL_OK)
        return;
    sl_buf_set_i32(out, ksize, (int32_t)(vsize - ksize - 4));
    if (o)
        sl_buf_set_i32(out, vsize, (int32_t)(out->len - vsize - 4));
    sl_buf_set_i32(out, start, (int32_t)(out->len - start - 4));
    sl_buf_set_u32(out, start + 4, sl_crc32c(0, out->data + start + 8, out->len - start - 8));
}

static sl_kstr_t rd_str(sl_rd_t *rd)
{
    int16_t len = sl_rd_i16(rd);
    if (len < 0) {
        if (len != -1)
            sl_rd_fail(rd, SL_ERR_PARSE);
        return sl_kstr_null();
    }
    const uint8_t *p = sl_rd_take(rd, (size_t)len);
    return sl_kstr_n(p ? (const char *)p : "", p ? len : 0);
}

sl_err_t sl_offsets_record_read(sl_rd_t *rd, sl_kstr_t *group, sl_kstr_t *topic, int32_t *partition, sl_offset_t *o,
                                sl_kstr_t *metadata, bool *deleted)
{
    *deleted = false;
    if (sl_rd_left(rd) < 8)
        return SL_ERR_TRUNCATED;
    int32_t size = sl_rd_i32(rd);
    uint32_t crc = sl_rd_u32(rd);
    if (size < 4)
        return SL_ERR_PARSE;
    if (sl_rd_left(rd) < (size_t)size - 4)
        return SL_ERR_TRUNCATED;
    const uint8_t *body = sl_rd_take(rd, (size_t)size - 4);
    if (sl_crc32c(0, body, (size_t)size - 4) != crc)
        return SL_ERR_CRC;
    sl_rd_t r;
    sl_rd_init(&r, body, (size_t)size - 4);
    int32_t klen = sl_rd_i32(&r);
    if (klen < 0 || (size_t)klen > sl_rd_left(&r))
        return SL_ERR_PARSE;
    sl_rd_t k = sl_rd_sub(&r, (size_t)klen);
    int32_t vlen = sl_rd_i32(&r);
    if (vlen < -1 || (vlen >= 0 && (size_t)vlen > sl_rd_left(&r)))
        return SL_ERR_PARSE;
    int16_t kv = sl_rd_i16(&k);
    if (kv != 1)
        return sl_rd_ok(&k) ? SL_ERR_UNSUPPORTED : SL_ERR_PARSE;
    *group = rd_str(&k);
    *topic = rd_str(&k);
    *partition = sl_rd_i32(&k);
    if (vlen < 0) {
        *deleted = true;
        *metadata = sl_kstr_null();
        return sl_rd_ok(&k) && group->len >= 0 && topic->len >= 0 ? SL_OK : SL_ERR_PARSE;
    }
    sl_rd_t v = sl_rd_sub(&r, (size_t)vlen);
    if (sl_rd_i16(&v) != 3)
        return sl_rd_ok(&v) ? SL_ERR_UNSUPPORTED : SL_ERR_PARSE;
    o->offset = sl_rd_i64(&v);
    o->leader_epoch = sl_rd_i32(&v);
    *metadata = rd_str(&v);
    o->commit_ts = sl_rd_i64(&v);
    o->metadata = NULL;
    if (!sl_rd_ok(&k) || !sl_rd_ok(&v) || group->len < 0 || topic->len < 0)
        return SL_ERR_PARSE;
    return SL_OK;
}
