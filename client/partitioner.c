/*
 * partitioner.c - the producer's choice of partition, as the Java client
 * (Kafka 3.4) makes it for records without an explicit partition: keyed
 * records go to toPositive(murmur2(key)) % partitions (base's
 * sl_murmur2_partition), so keys land where Java producers and Kafka
 * Streams put them; null keys (or every key with partitioner.ignore.keys)
 * stick to one partition per topic until a batch for it is done, then move
 * to another available partition at random (KIP-480).
 */
#include <stdint.h>
#include <string.h>

#include "producer_int.h"

void sl_partitioner_init(sl_partitioner_t *pt, bool ignore_keys, uint64_t seed)
{
    sl_map_init(&pt->sticky);
    if (seed == 0)
        seed = (uint64_t)sl_time_mono_ns() ^ ((uint64_t)sl_time_wall_ms() << 20) ^ (uint64_t)(uintptr_t)pt;
    pt->rng = seed ? seed : 0x9e3779b97f4a7c15ULL;
    pt->ignore_keys = ignore_keys;
}

void sl_partitioner_fini(sl_partitioner_t *pt)
{
    sl_map_fini(&pt->sticky, NULL);
}

static uint32_t rng_next(sl_partitioner_t *pt)
{
    uint64_t x = pt->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    pt->rng = x;
    return (uint32_t)(x >> 32);
}

/* A random partition among the available ones (all when none is), another
 * than avoid when there is a choice. */
static int32_t pick_random(sl_partitioner_t *pt, int32_t count, const bool *available, int32_t avoid)
{
    int32_t navail = 0;
    for (int32_t i = 0; i < count; i++)
        if (!available || available[i])
            navail++;
    if (navail == 0)
        return (int32_t)(rng_next(pt) % (uint32_t)count);
    bool can_avoid = avoid >= 0 && avoid < count && (!available || available[avoid]) && navail > 1;
    int32_t choices = can_avoid ? navail - 1 : navail;
    int32_t k = (int32_t)(rng_next(pt) % (uint32_t)choices);
    for (int32_t i = 0; i < count; i++) {
        if ((available && !available[i]) || (can_avoid && i == avoid))
            continue;
        if (k-- == 0)
            return i;
    }
    return 0; /* not reached */
}

static int32_t sticky_get(const sl_partitioner_t *pt, const char *topic)
{
    void *v = sl_map_gets(&pt->sticky, topic);
    return v ? (int32_t)((intptr_t)v - 1) : -1;
}

static bool sticky_set(sl_partitioner_t *pt, const char *topic, int32_t part)
{
    return sl_map_put(&pt->sticky, topic, strlen(topic), (void *)(intptr_t)(part + 1), NULL) == SL_OK;
}

int32_t sl_partitioner_partition(sl_partitioner_t *pt, const char *topic, const void *key,
                                 int32_t key_len, int32_t count, const bool *available)
{
    if (key && key_len >= 0 && !pt->ignore_keys)
        return sl_murmur2_partition(key, (size_t)key_len, count);
    int32_t part = sticky_get(pt, topic);
    if (part >= 0 && part < count)
        return part;
    part = pick_random(pt, count, available, -1);
    return sticky_set(pt, topic, part) ? part : -1;
}

int32_t sl_partitioner_new_batch(sl_partitioner_t *pt, const char *topic, int32_t prev, int32_t count,
                                 const bool *available)
{
    int32_t cur = sticky_get(pt, topic);
    if (cur >= 0 && cur < count && cur != prev)
        return cur;
    int32_t part = pick_random(pt, count, available, prev);
    return sticky_set(pt, topic, part) ? part : (cur >= 0 ? cur : part);
}
