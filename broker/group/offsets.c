/*
 * offsets.c - committed offsets in memory: a group's map of (topic,
 * partition) to offset, and the pending transactional offsets of each
 * producer until its transaction marker commits or aborts them. Their
 * durable form is records_internal.c's.
 */
#include <stdlib.h>
#include <string.h>

#include "group_int.h"

#define GROUP_LOG "group"

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
size_t sl_offsets_key(uint8_t *key, size_t cap, sl_kstr_t topic, int32_t partition)
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
    size_t klen = sl_offsets_key(key, sizeof key, topic, partition);
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
    size_t klen = sl_offsets_key(key, sizeof key, topic, partition);
    return sl_map_get(map, key, klen);
}

bool sl_offsets_del(sl_map_t *map, sl_kstr_t topic, int32_t partition)
{
    uint8_t key[512];
    size_t klen = sl_offsets_key(key, sizeof key, topic, partition);
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

/* ---- pending transactional offsets ---- */

static void pending_free(void *v)
{
    sl_map_t *m = v;
    if (m)
        sl_offsets_fini(m);
    free(m);
}

void sl_offsets_pending_init(sl_map_t *pending) { sl_map_init(pending); }
void sl_offsets_pending_fini(sl_map_t *pending) { sl_map_fini(pending, pending_free); }

sl_err_t sl_offsets_pending_put(sl_map_t *pending, int64_t producer_id, sl_kstr_t topic, int32_t partition,
                                const sl_offset_t *o)
{
    sl_map_t *m = sl_map_get(pending, &producer_id, sizeof producer_id);
    if (!m) {
        m = malloc(sizeof *m);
        if (!m)
            return SL_ERR_NOMEM;
        sl_offsets_init(m);
        if (sl_map_put(pending, &producer_id, sizeof producer_id, m, NULL) != SL_OK) {
            pending_free(m);
            return SL_ERR_NOMEM;
        }
    }
    return sl_offsets_put(m, topic, partition, o);
}

bool sl_offsets_pending_del(sl_map_t *pending, int64_t producer_id, sl_kstr_t topic, int32_t partition)
{
    sl_map_t *m = sl_map_get(pending, &producer_id, sizeof producer_id);
    return m && sl_offsets_del(m, topic, partition);
}

bool sl_offsets_pending_has(const sl_map_t *pending, sl_kstr_t topic, int32_t partition)
{
    size_t it = 0;
    const void *k;
    size_t kl;
    void *v;
    while (sl_map_next(pending, &it, &k, &kl, &v))
        if (sl_offsets_get(v, topic, partition))
            return true;
    return false;
}

size_t sl_offsets_pending_count(const sl_map_t *pending)
{
    size_t n = 0, it = 0;
    const void *k;
    size_t kl;
    void *v;
    while (sl_map_next(pending, &it, &k, &kl, &v))
        n += sl_map_count(v);
    return n;
}

size_t sl_offsets_pending_complete(sl_map_t *pending, sl_map_t *offsets, int64_t producer_id, bool commit)
{
    void *v = NULL;
    if (!sl_map_del(pending, &producer_id, sizeof producer_id, &v))
        return 0;
    sl_map_t *m = v;
    size_t n = sl_map_count(m), it = 0;
    const void *k;
    size_t kl;
    while (commit && sl_map_next(m, &it, &k, &kl, &v)) {
        const sl_offset_t *o = v, *cur = sl_map_get(offsets, k, kl);
        if (cur && cur->log_offset > o->log_offset)
            continue; /* a plain commit written after the transaction's batch wins */
        sl_kstr_t topic;
        int32_t partition;
        sl_offsets_key_split(k, kl, &topic, &partition);
        if (sl_offsets_put(offsets, topic, partition, o) != SL_OK)
            SL_ERROR(GROUP_LOG, "no memory: a committed transactional offset of producer %lld is lost",
                     (long long)producer_id);
    }
    pending_free(m);
    return n;
}
