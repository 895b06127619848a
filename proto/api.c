/*
 * api.c - lookups over the generated api and message tables
 * (gen/api_table.c): by key for the request path, by index and name for
 * tools and tests; the C size of each value kind.
 */
#include <string.h>

#include "prim_int.h"

const sl_api_t *sl_api_get(int16_t api_key)
{
    if (api_key < 0 || api_key > sl_gen_api_key_max)
        return NULL;
    return sl_gen_api_by_key[api_key];
}

size_t sl_api_count(void)
{
    return sl_gen_api_count;
}

const sl_api_t *sl_api_at(size_t i)
{
    return i < sl_gen_api_count ? &sl_gen_apis[i] : NULL;
}

bool sl_api_version_ok(int16_t api_key, int16_t version)
{
    const sl_api_t *api = sl_api_get(api_key);
    return api && version >= api->min_version && version <= api->max_version;
}

bool sl_api_is_flexible(int16_t api_key, int16_t version)
{
    const sl_api_t *api = sl_api_get(api_key);
    return api && api->flex_version >= 0 && version >= api->flex_version;
}

size_t sl_msg_count(void)
{
    return sl_gen_msg_count;
}

const sl_msg_desc_t *sl_msg_at(size_t i)
{
    return i < sl_gen_msg_count ? sl_gen_msgs[i] : NULL;
}

const sl_msg_desc_t *sl_msg_find(const char *name)
{
    /* The table is sorted by name. */
    size_t lo = 0, hi = sl_gen_msg_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, sl_gen_msgs[mid]->name);
        if (c == 0)
            return sl_gen_msgs[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

size_t sl_kind_size(sl_kind_t k)
{
    switch (k) {
    case SL_K_BOOL: return sizeof(bool);
    case SL_K_INT8: return sizeof(int8_t);
    case SL_K_INT16: return sizeof(int16_t);
    case SL_K_UINT16: return sizeof(uint16_t);
    case SL_K_INT32: return sizeof(int32_t);
    case SL_K_UINT32: return sizeof(uint32_t);
    case SL_K_INT64: return sizeof(int64_t);
    case SL_K_FLOAT64: return sizeof(double);
    case SL_K_UUID: return sizeof(sl_uuid_t);
    case SL_K_STRING: return sizeof(sl_kstr_t);
    case SL_K_BYTES:
    case SL_K_RECORDS: return sizeof(sl_kbytes_t);
    case SL_K_STRUCT: return 0;
    }
    return 0;
}
