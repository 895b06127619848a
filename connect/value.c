/*
 * value.c - the Connect data model's memory and constructors: values and
 * schemas built in an arena (sl_connect_mem_t), collections grown by
 * doubling inside the same arena. These are the host table's constructors.
 * Also the one doubling of the library's malloc'ed arrays (source batches,
 * loaded plugins, pending sink offsets).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "connect_int.h"

/* Collections keep their capacity just before their items: a grown array
 * is copied into a fresh arena block (the old one is left to the arena). */
typedef struct coll_cap {
    size_t cap;
} coll_cap_t;

sl_connect_mem_t *sl_connect_mem_new(void)
{
    sl_connect_mem_t *mem = calloc(1, sizeof(*mem));
    if (mem)
        sl_arena_init(&mem->arena, 16384, 0);
    return mem;
}

void sl_connect_mem_reset(sl_connect_mem_t *mem)
{
    if (mem)
        sl_arena_reset(&mem->arena);
}

void sl_connect_mem_free(sl_connect_mem_t *mem)
{
    if (!mem)
        return;
    sl_arena_fini(&mem->arena);
    free(mem);
}

void *sl_connect_array_grow(void *arr, size_t count, size_t *cap, size_t size, size_t first)
{
    if (count < *cap)
        return arr;
    size_t ncap = *cap ? *cap * 2 : first;
    if (ncap <= *cap || ncap > SIZE_MAX / size)
        return NULL;
    void *n = realloc(arr, ncap * size);
    if (n)
        *cap = ncap;
    return n;
}

static sl_cvalue_t *val_alloc(sl_connect_mem_t *mem, sl_ctype_t type)
{
    sl_cvalue_t *v = sl_arena_zalloc(&mem->arena, sizeof(*v));
    if (v)
        v->type = type;
    return v;
}

sl_cvalue_t *sl_connect_val_null(sl_connect_mem_t *mem)
{
    return val_alloc(mem, SL_CT_NULL);
}

sl_cvalue_t *sl_connect_val_bool(sl_connect_mem_t *mem, int b)
{
    sl_cvalue_t *v = val_alloc(mem, SL_CT_BOOLEAN);
    if (v)
        v->u.boolean = b ? 1 : 0;
    return v;
}

sl_cvalue_t *sl_connect_val_int(sl_connect_mem_t *mem, sl_ctype_t type, int64_t i)
{
    if (type < SL_CT_INT8 || type > SL_CT_INT64)
        return NULL;
    sl_cvalue_t *v = val_alloc(mem, type);
    if (v)
        v->u.i = i;
    return v;
}

sl_cvalue_t *sl_connect_val_float(sl_connect_mem_t *mem, sl_ctype_t type, double f)
{
    if (type != SL_CT_FLOAT32 && type != SL_CT_FLOAT64)
        return NULL;
    sl_cvalue_t *v = val_alloc(mem, type);
    if (v)
        v->u.f = f;
    return v;
}

static sl_cvalue_t *val_blob(sl_connect_mem_t *mem, sl_ctype_t type, const void *p, size_t len)
{
    sl_cvalue_t *v = val_alloc(mem, type);
    if (!v)
        return NULL;
    char *copy = sl_arena_strndup(&mem->arena, len ? p : "", len);
    if (!copy)
        return NULL;
    v->u.bytes.ptr = copy;
    v->u.bytes.len = len;
    return v;
}

sl_cvalue_t *sl_connect_val_string(sl_connect_mem_t *mem, const char *s, size_t len)
{
    return val_blob(mem, SL_CT_STRING, s, len);
}

sl_cvalue_t *sl_connect_val_bytes(sl_connect_mem_t *mem, const void *p, size_t len)
{
    return val_blob(mem, SL_CT_BYTES, p, len);
}

sl_cvalue_t *sl_connect_val_new(sl_connect_mem_t *mem, sl_ctype_t type)
{
    if (type != SL_CT_ARRAY && type != SL_CT_MAP && type != SL_CT_STRUCT)
        return NULL;
    return val_alloc(mem, type);
}

/* Makes room for one more element of size sz in *items (count used):
 * doubles into a new arena block. */
static int grow(sl_connect_mem_t *mem, const void **items, size_t count, size_t sz)
{
    coll_cap_t *cap = *items ? (coll_cap_t *)((char *)*items - sizeof(coll_cap_t)) : NULL;
    if (cap && count < cap->cap)
        return SL_CONNECT_OK;
    size_t ncap = cap ? cap->cap * 2 : 4;
    coll_cap_t *blk = sl_arena_alloc(&mem->arena, sizeof(coll_cap_t) + ncap * sz);
    if (!blk)
        return SL_CONNECT_ENOMEM;
    blk->cap = ncap;
    if (count)
        memcpy(blk + 1, *items, count * sz);
    *items = blk + 1;
    return SL_CONNECT_OK;
}

int sl_connect_val_put(sl_connect_mem_t *mem, sl_cvalue_t *coll, const sl_cvalue_t *key,
                       const sl_cvalue_t *item)
{
    if (!coll || !item)
        return SL_CONNECT_EINVAL;
    if (coll->type == SL_CT_ARRAY) {
        if (key)
            return SL_CONNECT_EINVAL;
        const void *items = coll->u.array.items;
        if (grow(mem, &items, coll->u.array.count, sizeof(sl_cvalue_t *)))
            return SL_CONNECT_ENOMEM;
        ((const sl_cvalue_t **)items)[coll->u.array.count++] = item;
        coll->u.array.items = items;
        return SL_CONNECT_OK;
    }
    if (coll->type != SL_CT_MAP && coll->type != SL_CT_STRUCT)
        return SL_CONNECT_EINVAL;
    if (!key || (coll->type == SL_CT_STRUCT && key->type != SL_CT_STRING))
        return SL_CONNECT_EINVAL;
    const void *pairs = coll->u.map.pairs;
    if (grow(mem, &pairs, coll->u.map.count, sizeof(sl_cpair_t)))
        return SL_CONNECT_ENOMEM;
    sl_cpair_t *p = &((sl_cpair_t *)pairs)[coll->u.map.count++];
    p->key = key;
    p->value = item;
    coll->u.map.pairs = pairs;
    return SL_CONNECT_OK;
}

const sl_cvalue_t *sl_connect_struct_get(const sl_cvalue_t *st, const char *name)
{
    if (!st || st->type != SL_CT_STRUCT || !name)
        return NULL;
    size_t len = strlen(name);
    for (size_t i = 0; i < st->u.map.count; i++) {
        const sl_cvalue_t *k = st->u.map.pairs[i].key;
        if (k->u.bytes.len == len && memcmp(k->u.bytes.ptr, name, len) == 0)
            return st->u.map.pairs[i].value;
    }
    return NULL;
}

sl_cschema_t *sl_connect_schema_new(sl_connect_mem_t *mem, sl_ctype_t type, int optional,
                                    const char *name)
{
    if (type <= SL_CT_NULL || type > SL_CT_STRUCT)
        return NULL;
    sl_cschema_t *s = sl_arena_zalloc(&mem->arena, sizeof(*s));
    if (!s)
        return NULL;
    s->type = type;
    s->optional = optional ? 1 : 0;
    if (name && !(s->name = sl_arena_strndup(&mem->arena, name, strlen(name))))
        return NULL;
    return s;
}

int sl_connect_schema_add_field(sl_connect_mem_t *mem, sl_cschema_t *st, const char *name,
                                const sl_cschema_t *field)
{
    if (!st || st->type != SL_CT_STRUCT || !name || !field)
        return SL_CONNECT_EINVAL;
    const void *fields = st->fields;
    if (grow(mem, &fields, st->field_count, sizeof(sl_cfield_t)))
        return SL_CONNECT_ENOMEM;
    sl_cfield_t *f = &((sl_cfield_t *)fields)[st->field_count];
    if (!(f->name = sl_arena_strndup(&mem->arena, name, strlen(name))))
        return SL_CONNECT_ENOMEM;
    f->schema = field;
    st->fields = fields;
    st->field_count++;
    return SL_CONNECT_OK;
}

int sl_connect_schema_set_items(sl_cschema_t *coll, const sl_cschema_t *keys,
                                const sl_cschema_t *items)
{
    if (!coll || !items || (coll->type == SL_CT_ARRAY) == (keys != NULL) ||
        (coll->type != SL_CT_ARRAY && coll->type != SL_CT_MAP))
        return SL_CONNECT_EINVAL;
    coll->keys = keys;
    coll->items = items;
    return SL_CONNECT_OK;
}

static const char *const type_names[] = {
    [SL_CT_NULL] = "null",     [SL_CT_BOOLEAN] = "boolean", [SL_CT_INT8] = "int8",
    [SL_CT_INT16] = "int16",   [SL_CT_INT32] = "int32",     [SL_CT_INT64] = "int64",
    [SL_CT_FLOAT32] = "float", [SL_CT_FLOAT64] = "double",  [SL_CT_STRING] = "string",
    [SL_CT_BYTES] = "bytes",   [SL_CT_ARRAY] = "array",     [SL_CT_MAP] = "map",
    [SL_CT_STRUCT] = "struct",
};

const char *sl_connect_type_name(sl_ctype_t type)
{
    if ((unsigned)type >= sizeof(type_names) / sizeof(type_names[0]))
        return "?";
    return type_names[type];
}

int sl_connect_type_parse(const char *name)
{
    for (size_t i = 1; i < sizeof(type_names) / sizeof(type_names[0]); i++)
        if (strcmp(type_names[i], name) == 0)
            return (int)i;
    return -1;
}
