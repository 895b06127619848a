/*
 * cleaner_map.c - the cleaner's key map (log_int.h, "Cleaner key map"): a
 * fixed-size open-addressing table of (128-bit key hash, latest offset),
 * 24 bytes an entry as Kafka's SkimpyOffsetMap, allocated once per pass
 * within log.cleaner.dedupe.buffer.size and never grown.
 *
 * The hash is SipHash-2-4 with its 128-bit output, keyed with 16 random
 * bytes drawn for each pass. A collision between two keys of one pass
 * would make the cleaner drop the live record of one of them, so the hash
 * must be both wide and out of the producers' control: with a secret key
 * nobody can choose colliding record keys (an unkeyed hash such as MD5 or
 * MurmurHash3 lets a producer craft them), and for n distinct keys in a
 * pass the chance of any collision is about n^2 / 2^129: for the 5.6
 * million entries of a 128 MiB buffer, under 2^-83.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "log_int.h"

#define ROTL64(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static inline uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

typedef struct sip {
    uint64_t v0, v1, v2, v3;
} sip_t;

static inline void sip_rounds(sip_t *s, int n)
{
    for (int i = 0; i < n; i++) {
        s->v0 += s->v1;
        s->v1 = ROTL64(s->v1, 13);
        s->v1 ^= s->v0;
        s->v0 = ROTL64(s->v0, 32);
        s->v2 += s->v3;
        s->v3 = ROTL64(s->v3, 16);
        s->v3 ^= s->v2;
        s->v0 += s->v3;
        s->v3 = ROTL64(s->v3, 21);
        s->v3 ^= s->v0;
        s->v2 += s->v1;
        s->v1 = ROTL64(s->v1, 17);
        s->v1 ^= s->v2;
        s->v2 = ROTL64(s->v2, 32);
    }
}

void clean_siphash128(const uint64_t key[2], const void *data, size_t len, uint64_t out[2])
{
    const uint8_t *p = data;
    sip_t s = {
        .v0 = 0x736f6d6570736575ULL ^ key[0],
        .v1 = 0x646f72616e646f6dULL ^ key[1] ^ 0xee,
        .v2 = 0x6c7967656e657261ULL ^ key[0],
        .v3 = 0x7465646279746573ULL ^ key[1],
    };
    size_t whole = len - len % 8;
    for (size_t i = 0; i < whole; i += 8) {
        uint64_t m = le64(p + i);
        s.v3 ^= m;
        sip_rounds(&s, 2);
        s.v0 ^= m;
    }
    uint64_t b = (uint64_t)len << 56;
    for (size_t i = 0; i < len % 8; i++)
        b |= (uint64_t)p[whole + i] << (8 * i);
    s.v3 ^= b;
    sip_rounds(&s, 2);
    s.v0 ^= b;
    s.v2 ^= 0xee;
    sip_rounds(&s, 4);
    out[0] = s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
    s.v1 ^= 0xdd;
    sip_rounds(&s, 4);
    out[1] = s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

/* An entry: both hash halves and offset + 1 (0: free slot). */
typedef struct clean_ent {
    uint64_t h0, h1;
    int64_t off1;
} clean_ent_t;

_Static_assert(sizeof(clean_ent_t) == CLEAN_MAP_ENTRY_BYTES, "24-byte entries");

sl_err_t clean_map_init(clean_map_t *m, int64_t budget_bytes, int64_t max_keys)
{
    memset(m, 0, sizeof(*m));
    m->latest = -1;
    /* As many slots as the budget allows, but no more than the keys that
     * can come (each record has at most one) at the load factor. */
    int64_t slots = SL_MAX(budget_bytes, 0) / CLEAN_MAP_ENTRY_BYTES;
    int64_t want = max_keys < INT64_MAX / 10 ? max_keys * 10 / 9 + 2 : INT64_MAX;
    slots = SL_MIN(slots, want);
    slots = SL_MAX(slots, 2);
    if ((uint64_t)slots > SIZE_MAX / sizeof(clean_ent_t))
        return SL_ERR_NOMEM;
    m->slots = calloc((size_t)slots, sizeof(clean_ent_t));
    if (!m->slots)
        return SL_ERR_NOMEM;
    m->nslots = (size_t)slots;
    m->max_used = SL_MAX((size_t)1, m->nslots * CLEAN_MAP_LOAD_PERCENT / 100);
    /* Without the random source (very old kernels), pid and clock still
     * vary the key between runs; collisions then stay as unlikely for
     * keys nobody chose to collide. */
    if (getrandom(m->key, sizeof(m->key), 0) != (ssize_t)sizeof(m->key)) {
        m->key[0] = (uint64_t)sl_time_mono_ns() ^ 0x9e3779b97f4a7c15ULL;
        m->key[1] = (uint64_t)getpid() * 0xff51afd7ed558ccdULL ^ (uint64_t)sl_time_wall_ms();
    }
    return SL_OK;
}

void clean_map_fini(clean_map_t *m)
{
    free(m->slots);
    memset(m, 0, sizeof(*m));
}

/* The slot holding the key's hash, or the free slot where it would go. */
static clean_ent_t *map_slot(const clean_map_t *m, const uint64_t h[2])
{
    clean_ent_t *t = m->slots;
    size_t i = (size_t)(((unsigned __int128)h[0] * m->nslots) >> 64);
    for (;;) {
        clean_ent_t *e = &t[i];
        if (e->off1 == 0 || (e->h0 == h[0] && e->h1 == h[1]))
            return e;
        if (++i == m->nslots)
            i = 0;
    }
}

bool clean_map_put(clean_map_t *m, const void *key, size_t len, int64_t offset)
{
    uint64_t h[2];
    clean_siphash128(m->key, key, len, h);
    clean_ent_t *e = map_slot(m, h);
    if (e->off1 == 0) {
        if (m->used >= m->max_used)
            return false;
        m->used++;
        e->h0 = h[0];
        e->h1 = h[1];
    }
    /* Offsets arrive in increasing order; max keeps it right anyway. */
    if (offset + 1 > e->off1)
        e->off1 = offset + 1;
    if (offset > m->latest)
        m->latest = offset;
    return true;
}

int64_t clean_map_get(const clean_map_t *m, const void *key, size_t len)
{
    if (!m->slots)
        return -1;
    uint64_t h[2];
    clean_siphash128(m->key, key, len, h);
    return map_slot(m, h)->off1 - 1;
}
