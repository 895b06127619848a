/*
 * offsets.c - committed offsets in memory: a group's map of (topic,
 * partition) to offset. Their durable form is records_internal.c's.
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
