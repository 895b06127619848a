/*
 * murmur2.c - the 32-bit MurmurHash2 variant of Kafka's Java client
 * (Utils.murmur2): fixed seed, little-endian 4-byte blocks, and the keyed
 * default partitioner built on it. Producers in every language use this to
 * agree on which partition a key lands in, so the arithmetic must match Java's
 * int overflow exactly; it is done in uint32_t.
 */
#include "base.h"

int32_t sl_murmur2(const void *key, size_t len)
{
    const uint8_t *d = key;
    const uint32_t m = 0x5bd1e995u;
    const int r = 24;
    /* Java's length is an int; keys never come near 2 GiB. */
    uint32_t h = 0x9747b28cu ^ (uint32_t)len;
    size_t blocks = len / 4;
    for (size_t i = 0; i < blocks; i++) {
        const uint8_t *b = d + 4 * i;
        uint32_t k = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        k *= m;
        k ^= k >> r;
        k *= m;
        h *= m;
        h ^= k;
    }
    const uint8_t *tail = len ? d + 4 * blocks : d; /* no arithmetic on NULL */
    switch (len & 3) {
    case 3: h ^= (uint32_t)tail[2] << 16; __attribute__((fallthrough));
    case 2: h ^= (uint32_t)tail[1] << 8; __attribute__((fallthrough));
    case 1:
        h ^= tail[0];
        h *= m;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return (int32_t)h;
}

int32_t sl_murmur2_partition(const void *key, size_t len, int32_t num_partitions)
{
    if (num_partitions <= 0)
        return 0;
    return (int32_t)(((uint32_t)sl_murmur2(key, len) & 0x7fffffffu) % (uint32_t)num_partitions);
}
