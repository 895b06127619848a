/*
 * map.c - hash map from byte strings to void *, open addressing with linear
 * probing. Each slot caches the key's hash so probes compare bytes only on a
 * full hash match. Deletion leaves a tombstone so probe chains stay intact
 * (and an iterator's position stays valid); tombstones count toward the load
 * and are dropped when the table is rebuilt.
 */
#include <stdlib.h>
#include <string.h>

#include "base.h"

#define MAP_MIN_CAP 8

enum { SLOT_EMPTY = 0, SLOT_LIVE = 1, SLOT_DEAD = 2 };

struct sl_map_slot {
    uint64_t hash;
    uint8_t *key; /* malloc'ed copy; at least one byte even for an empty key */
    size_t klen;
    void *val;
    int state;
};

uint64_t sl_hash_bytes(const void *p, size_t n)
{
    /* FNV-1a over the bytes, then a 64-bit finalizer (from MurmurHash3) so the
     * low bits the table masks with depend on every input bit. */
    const uint8_t *b = p;
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= UINT64_C(0x100000001b3);
    }
    h ^= (uint64_t)n;
    h ^= h >> 33;
    h *= UINT64_C(0xff51afd7ed558ccd);
    h ^= h >> 33;
    h *= UINT64_C(0xc4ceb9fe1a85ec53);
    h ^= h >> 33;
    return h;
}

void sl_map_init(sl_map_t *map)
{
    map->slots = NULL;
    map->cap = 0;
    map->count = 0;
    map->used = 0;
}

void sl_map_fini(sl_map_t *map, void (*free_val)(void *val))
{
    if (!map)
        return;
    for (size_t i = 0; i < map->cap; i++) {
        sl_map_slot_t *s = &map->slots[i];
        if (s->state != SLOT_LIVE)
            continue;
        if (free_val)
            free_val(s->val);
        free(s->key);
    }
    free(map->slots);
    sl_map_init(map);
}

static bool slot_matches(const sl_map_slot_t *s, uint64_t h, const void *key, size_t klen)
{
    return s->state == SLOT_LIVE && s->hash == h && s->klen == klen &&
           (klen == 0 || memcmp(s->key, key, klen) == 0);
}

/* The live slot holding key, or NULL. */
static sl_map_slot_t *map_find(const sl_map_t *map, uint64_t h, const void *key, size_t klen)
{
    if (map->cap == 0)
        return NULL;
    size_t mask = map->cap - 1;
    /* The load limit guarantees at least one empty slot, so this ends. */
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        sl_map_slot_t *s = &map->slots[i];
        if (s->state == SLOT_EMPTY)
            return NULL;
        if (slot_matches(s, h, key, klen))
            return s;
    }
}

/* Rebuilds into new_cap slots (a power of two > count), dropping tombstones. */
static sl_err_t map_rehash(sl_map_t *map, size_t new_cap)
{
    sl_map_slot_t *ns = calloc(new_cap, sizeof(*ns));
    if (!ns)
        return SL_ERR_NOMEM;
    size_t mask = new_cap - 1;
    for (size_t i = 0; i < map->cap; i++) {
        sl_map_slot_t *s = &map->slots[i];
        if (s->state != SLOT_LIVE)
            continue;
        size_t j = (size_t)s->hash & mask;
        while (ns[j].state != SLOT_EMPTY)
            j = (j + 1) & mask;
        ns[j] = *s;
    }
    free(map->slots);
    map->slots = ns;
    map->cap = new_cap;
    map->used = map->count;
    return SL_OK;
}

/* Makes room for one more entry, keeping live + tombstones <= 3/4 of cap. */
static sl_err_t map_make_room(sl_map_t *map)
{
    if (map->cap && (map->used + 1) * 4 <= map->cap * 3)
        return SL_OK;
    size_t cap = map->cap ? map->cap : MAP_MIN_CAP;
    /* Double only when live entries fill more than half; otherwise the load
     * is mostly tombstones and a same-size rebuild clears them. */
    if (map->cap && (map->count + 1) * 2 > map->cap) {
        if (cap > SIZE_MAX / 2 / sizeof(sl_map_slot_t))
            return SL_ERR_NOMEM;
        cap *= 2;
    }
    return map_rehash(map, cap);
}

void *sl_map_get(const sl_map_t *map, const void *key, size_t klen)
{
    sl_map_slot_t *s = map_find(map, sl_hash_bytes(key, klen), key, klen);
    return s ? s->val : NULL;
}

bool sl_map_has(const sl_map_t *map, const void *key, size_t klen)
{
    return map_find(map, sl_hash_bytes(key, klen), key, klen) != NULL;
}

sl_err_t sl_map_put(sl_map_t *map, const void *key, size_t klen, void *val, void **old)
{
    uint64_t h = sl_hash_bytes(key, klen);
    sl_map_slot_t *s = map_find(map, h, key, klen);
    if (s) {
        if (old)
            *old = s->val;
        s->val = val;
        return SL_OK;
    }
    uint8_t *kcopy = malloc(klen ? klen : 1);
    if (!kcopy)
        return SL_ERR_NOMEM;
    if (klen)
        memcpy(kcopy, key, klen);
    if (map_make_room(map) != SL_OK) {
        free(kcopy);
        return SL_ERR_NOMEM;
    }
    /* Reuse the first tombstone on the probe path, else the empty slot. */
    size_t mask = map->cap - 1;
    size_t i = (size_t)h & mask;
    while (map->slots[i].state == SLOT_LIVE)
        i = (i + 1) & mask;
    s = &map->slots[i];
    if (s->state == SLOT_EMPTY)
        map->used++;
    s->hash = h;
    s->key = kcopy;
    s->klen = klen;
    s->val = val;
    s->state = SLOT_LIVE;
    map->count++;
    if (old)
        *old = NULL;
    return SL_OK;
}

bool sl_map_del(sl_map_t *map, const void *key, size_t klen, void **val)
{
    sl_map_slot_t *s = map_find(map, sl_hash_bytes(key, klen), key, klen);
    if (!s)
        return false;
    if (val)
        *val = s->val;
    free(s->key);
    s->key = NULL;
    s->val = NULL;
    s->state = SLOT_DEAD;
    map->count--;
    return true;
}

void **sl_map_values(const sl_map_t *map, size_t *n)
{
    void **all = calloc(map->count + 1, sizeof *all);
    size_t k = 0;
    for (size_t i = 0; all && i < map->cap; i++)
        if (map->slots[i].state == SLOT_LIVE)
            all[k++] = map->slots[i].val;
    *n = all ? k : 0;
    return all;
}

bool sl_map_next(const sl_map_t *map, size_t *it, const void **key, size_t *klen, void **val)
{
    for (size_t i = *it; i < map->cap; i++) {
        const sl_map_slot_t *s = &map->slots[i];
        if (s->state != SLOT_LIVE)
            continue;
        *it = i + 1;
        if (key)
            *key = s->key;
        if (klen)
            *klen = s->klen;
        if (val)
            *val = s->val;
        return true;
    }
    *it = map->cap;
    return false;
}
