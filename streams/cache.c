/*
 * cache.c - the record cache of one store (Kafka's cache.max.bytes.buffering
 * share): updates to a key fold into one dirty entry until the cache is
 * flushed (commit) or the entry is evicted, so a busy key reaches LMDB, the
 * changelog and downstream once per commit instead of once per record.
 *
 * Each store of a task has its own cache, bounded by the budget the task
 * gives the store (sl_store_env_t.cache_bytes). An entry sits in four
 * structures: a chained hash table (point lookups), a skip list ordered by
 * key (range scans merge it with LMDB in database order, as Kafka's
 * merged cache iterators over its sorted NamedCache), an LRU list (eviction
 * takes the oldest) and a dirty list (flush writes through in the order
 * entries first became dirty, as Kafka's dirty-key set). The skip list is
 * built at the first ordered walk and kept from then on: a store that is
 * only read and written by key (most aggregations) never pays for it.
 */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define CACHE_MAX_LEVEL 16

struct sl_cache {
    size_t budget;
    size_t bytes;
    size_t count;
    size_t ndirty;
    sl_cache_entry_t **buckets;
    size_t nbuckets;               /* power of two */
    sl_cache_entry_t *head[CACHE_MAX_LEVEL];
    uint64_t rng;
    bool ordered;                  /* the skip list is kept (see seek) */
    sl_list_t lru;                 /* oldest first */
    sl_list_t dirty;               /* first dirtied first */
};

static size_t entry_bytes(const sl_cache_entry_t *e)
{
    return sizeof(*e) + (size_t)e->level * sizeof(e->next[0]) + e->klen + e->vcap + sizeof(void *);
}

static int key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c)
        return c;
    return alen < blen ? -1 : alen > blen;
}

sl_cache_t *sl_cache_new(size_t budget)
{
    sl_cache_t *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->nbuckets = 64;
    c->buckets = calloc(c->nbuckets, sizeof(*c->buckets));
    if (!c->buckets) {
        free(c);
        return NULL;
    }
    c->budget = budget;
    c->rng = 0x9e3779b97f4a7c15ull;
    sl_list_init(&c->lru);
    sl_list_init(&c->dirty);
    return c;
}

void sl_cache_entry_free(sl_cache_entry_t *e)
{
    if (!e)
        return;
    free(e->key);
    free(e->val);
    free(e);
}

void sl_cache_free(sl_cache_t *c)
{
    if (!c)
        return;
    sl_list_t *pos, *tmp;
    sl_list_foreach_safe(pos, tmp, &c->lru) {
        sl_cache_entry_free(sl_container_of(pos, sl_cache_entry_t, lru));
    }
    free(c->buckets);
    free(c);
}

static sl_cache_entry_t **bucket_of(sl_cache_t *c, uint64_t hash)
{
    return &c->buckets[hash & (c->nbuckets - 1)];
}

sl_cache_entry_t *sl_cache_get(sl_cache_t *c, const uint8_t *key, size_t klen)
{
    uint64_t h = sl_hash_bytes(key, klen);
    for (sl_cache_entry_t *e = *bucket_of(c, h); e; e = e->hnext) {
        if (e->hash == h && e->klen == klen && memcmp(e->key, key, klen) == 0) {
            sl_list_remove(&e->lru);
            sl_list_insert_tail(&c->lru, &e->lru);
            return e;
        }
    }
    return NULL;
}

static void grow_buckets(sl_cache_t *c)
{
    size_t n = c->nbuckets * 2;
    sl_cache_entry_t **b = calloc(n, sizeof(*b));
    if (!b)
        return; /* longer chains, still correct */
    for (size_t i = 0; i < c->nbuckets; i++) {
        sl_cache_entry_t *e = c->buckets[i];
        while (e) {
            sl_cache_entry_t *next = e->hnext;
            sl_cache_entry_t **slot = &b[e->hash & (n - 1)];
            e->hnext = *slot;
            *slot = e;
            e = next;
        }
    }
    free(c->buckets);
    c->buckets = b;
    c->nbuckets = n;
}

static int random_level(sl_cache_t *c)
{
    /* xorshift64: a level per entry, each one a quarter as likely */
    c->rng ^= c->rng << 13;
    c->rng ^= c->rng >> 7;
    c->rng ^= c->rng << 17;
    uint64_t r = c->rng;
    int level = 1;
    while (level < CACHE_MAX_LEVEL && (r & 3) == 0) {
        level++;
        r >>= 2;
    }
    return level;
}

/* Fills prev[] with, per level, the link after which key belongs. */
static void skip_find(sl_cache_t *c, const uint8_t *key, size_t klen, sl_cache_entry_t ***prev)
{
    sl_cache_entry_t **links = c->head;
    for (int l = CACHE_MAX_LEVEL - 1; l >= 0; l--) {
        while (links[l] && key_cmp(links[l]->key, links[l]->klen, key, klen) < 0)
            links = links[l]->next;
        prev[l] = &links[l];
    }
}

static void skip_insert(sl_cache_t *c, sl_cache_entry_t *e)
{
    sl_cache_entry_t **prev[CACHE_MAX_LEVEL];
    skip_find(c, e->key, e->klen, prev);
    for (int l = 0; l < e->level; l++) {
        e->next[l] = *prev[l];
        *prev[l] = e;
    }
}

static sl_err_t set_value(sl_cache_t *c, sl_cache_entry_t *e, const uint8_t *val, int32_t vlen)
{
    size_t need = vlen > 0 ? (size_t)vlen : 0;
    if (need > e->vcap || (e->vcap > 64 && need < e->vcap / 4)) {
        uint8_t *p = malloc(need ? need : 1);
        if (!p)
            return SL_ERR_NOMEM;
        free(e->val);
        c->bytes -= e->vcap;
        e->val = p;
        e->vcap = need ? need : 1;
        c->bytes += e->vcap;
    }
    if (vlen > 0)
        memcpy(e->val, val, (size_t)vlen);
    e->vlen = val ? vlen : -1;
    return SL_OK;
}

static void mark_dirty(sl_cache_t *c, sl_cache_entry_t *e, bool dirty)
{
    if (dirty && !e->dirty) {
        sl_list_insert_tail(&c->dirty, &e->dlink);
        c->ndirty++;
    } else if (!dirty && e->dirty) {
        sl_list_remove(&e->dlink);
        c->ndirty--;
    }
    e->dirty = dirty;
}

sl_err_t sl_cache_put(sl_cache_t *c, const uint8_t *key, size_t klen, const uint8_t *val, int32_t vlen,
                      int64_t ts, bool dirty)
{
    sl_cache_entry_t *e = sl_cache_get(c, key, klen);
    if (e) {
        sl_err_t err = set_value(c, e, val, vlen);
        if (err)
            return err;
        e->ts = ts;
        mark_dirty(c, e, dirty || e->dirty);
        return SL_OK;
    }
    int level = random_level(c);
    e = calloc(1, sizeof(*e) + (size_t)level * sizeof(e->next[0]));
    if (!e)
        return SL_ERR_NOMEM;
    e->level = level;
    e->key = malloc(klen ? klen : 1);
    if (!e->key || set_value(c, e, val, vlen) != SL_OK) {
        c->bytes -= e->vcap;
        sl_cache_entry_free(e);
        return SL_ERR_NOMEM;
    }
    memcpy(e->key, key, klen);
    e->klen = klen;
    e->ts = ts;
    e->hash = sl_hash_bytes(key, klen);
    sl_cache_entry_t **slot = bucket_of(c, e->hash);
    e->hnext = *slot;
    *slot = e;
    if (c->ordered)
        skip_insert(c, e);
    sl_list_init(&e->dlink);
    sl_list_insert_tail(&c->lru, &e->lru);
    mark_dirty(c, e, dirty);
    c->count++;
    c->bytes += entry_bytes(e) - e->vcap; /* vcap counted by set_value */
    if (c->count > c->nbuckets)
        grow_buckets(c);
    return SL_OK;
}

bool sl_cache_over(const sl_cache_t *c)
{
    return c->bytes > c->budget;
}

sl_cache_entry_t *sl_cache_lru(sl_cache_t *c)
{
    return sl_list_empty(&c->lru) ? NULL : sl_container_of(c->lru.next, sl_cache_entry_t, lru);
}

void sl_cache_detach(sl_cache_t *c, sl_cache_entry_t *e)
{
    sl_cache_entry_t **slot = bucket_of(c, e->hash);
    while (*slot != e)
        slot = &(*slot)->hnext;
    *slot = e->hnext;
    if (c->ordered) {
        sl_cache_entry_t **prev[CACHE_MAX_LEVEL];
        skip_find(c, e->key, e->klen, prev);
        for (int l = 0; l < e->level; l++) {
            if (*prev[l] == e)
                *prev[l] = e->next[l];
        }
    }
    sl_list_remove(&e->lru);
    mark_dirty(c, e, false);
    c->count--;
    c->bytes -= entry_bytes(e);
}

sl_cache_entry_t *sl_cache_pop_dirty(sl_cache_t *c)
{
    if (sl_list_empty(&c->dirty))
        return NULL;
    sl_cache_entry_t *e = sl_container_of(c->dirty.next, sl_cache_entry_t, dlink);
    mark_dirty(c, e, false);
    return e;
}

size_t sl_cache_dirty_count(const sl_cache_t *c)
{
    return c->ndirty;
}

size_t sl_cache_count(const sl_cache_t *c)
{
    return c->count;
}

size_t sl_cache_bytes(const sl_cache_t *c)
{
    return c->bytes;
}

sl_cache_entry_t *sl_cache_seek(sl_cache_t *c, const uint8_t *key, size_t klen)
{
    if (!c->ordered) {
        sl_list_t *pos, *tmp;
        sl_list_foreach_safe(pos, tmp, &c->lru) {
            skip_insert(c, sl_container_of(pos, sl_cache_entry_t, lru));
        }
        c->ordered = true;
    }
    if (!key)
        return c->head[0];
    sl_cache_entry_t **prev[CACHE_MAX_LEVEL];
    skip_find(c, key, klen, prev);
    return *prev[0];
}

sl_cache_entry_t *sl_cache_next(sl_cache_entry_t *e)
{
    return e->next[0];
}
