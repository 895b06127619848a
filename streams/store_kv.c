/*
 * store_kv.c - the key-value store on bytes: the store key is the record
 * key as its serde writes it, so ranges follow the serialized bytes' order
 * (as Kafka's RocksDB stores).
 */
#include "store_int.h"

sl_err_t sl_kvs_put(sl_store_t *s, const uint8_t *k, size_t klen, const uint8_t *v, int32_t vlen, int64_t ts)
{
    return sl_store_put_raw(s, k, klen, v, vlen, ts);
}

sl_err_t sl_kvs_get(sl_store_t *s, const uint8_t *k, size_t klen, sl_arena_t *arena, const uint8_t **v,
                    size_t *vlen)
{
    return sl_store_get_raw(s, k, klen, arena, v, vlen);
}

sl_err_t sl_kvs_range(sl_store_t *s, const uint8_t *from, size_t flen, const uint8_t *to, size_t tlen,
                      sl_kvs_iter_fn *fn, void *arg)
{
    return sl_store_scan(s, 0, 0, from, flen, to, tlen, fn, arg);
}
