/*
 * func_collection.c - the array and map functions: ARRAY_LENGTH,
 * ARRAY_CONTAINS, ARRAY_MAX, ARRAY_MIN, ARRAY_JOIN, ARRAY_SORT, SLICE,
 * ARRAY_DISTINCT, ARRAY_REMOVE, ARRAY_CONCAT, ARRAY_UNION, ARRAY_INTERSECT,
 * ARRAY_EXCEPT, GENERATE_SERIES, AS_MAP, ENTRIES, MAP_KEYS, MAP_VALUES,
 * MAP_UNION.
 * The set functions compare elements pairwise (quadratic in the array's
 * length: arrays in records are short).
 *
 * NULL handling as ksqlDB: a NULL array gives NULL, except ARRAY_CONTAINS
 * which gives false. ARRAY_MAX and ARRAY_MIN skip NULL elements (NULL for
 * an empty array). MAP_KEYS and MAP_VALUES list the entries in key order
 * (ksqlDB's hash order is unspecified; sorting makes ours deterministic and
 * the two functions agree with each other).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "func_int.h"

static bool is_array(const sl_sql_type_t *t)
{
    return t && t->kind == SL_SQL_T_ARRAY;
}


/* --- ARRAY_LENGTH, ARRAY_CONTAINS ------------------------------------------------ */

static void eval_array_length(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n,
                              sl_sql_eval_t *cx, sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    SL_UNUSED(cx);
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    *out = sl_sql_int((int32_t)args[0].u.a.n);
}

static const sl_sql_type_t *resolve_array_contains(sl_arena_t *arena, const sl_sql_type_t *const *arg_types,
                                                   uint32_t n, char *err, size_t errlen)
{
    if (n != 2 || !is_array(arg_types[0]))
        return sl_sql_fn_refuse("ARRAY_CONTAINS", arg_types, n, err, errlen);
    const sl_sql_type_t *pair[2] = {arg_types[0]->elem, arg_types[1]};
    if (!sl_sql_fn_common_type(arena, pair, 2, "ARRAY_CONTAINS", err, errlen))
        return sl_sql_fn_refuse("ARRAY_CONTAINS", arg_types, n, err, errlen);
    return sl_sql_type_of(SL_SQL_T_BOOLEAN);
}

static void eval_array_contains(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n,
                                sl_sql_eval_t *cx, sl_sql_datum_t *out)
{
    SL_UNUSED(n);
    *out = sl_sql_bool(false);
    if (sl_sql_datum_is_null(&args[0]))
        return;
    const sl_sql_type_t *elem = call->args[0]->type->elem;
    const sl_sql_type_t *pair[2] = {elem, call->args[1]->type};
    char err[160];
    const sl_sql_type_t *common = sl_sql_fn_common_type(cx->arena, pair, 2, "ARRAY_CONTAINS", err, sizeof err);
    sl_sql_datum_t v;
    if (!common || !sl_sql_fn_coerce(cx, &args[1], pair[1], common, &v))
        return;
    for (uint32_t i = 0; i < args[0].u.a.n; i++) {
        sl_sql_datum_t item;
        if (!sl_sql_fn_coerce(cx, &args[0].u.a.items[i], elem, common, &item))
            return;
        if (sl_sql_datum_eq(&item, &v, common)) {
            *out = sl_sql_bool(true);
            return;
        }
    }
}

/* --- ARRAY_MAX, ARRAY_MIN ------------------------------------------------------ */

static const sl_sql_type_t *resolve_elem(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n,
                                         char *err, size_t errlen)
{
    SL_UNUSED(arena);
    if (n != 1 || !is_array(arg_types[0]))
        return sl_sql_fn_refuse("ARRAY_MAX", arg_types, n, err, errlen);
    return arg_types[0]->elem;
}

static void array_extreme(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_datum_t *out,
                          int sign)
{
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    const sl_sql_type_t *elem = call->args[0]->type->elem;
    *out = sl_sql_null();
    for (uint32_t i = 0; i < args[0].u.a.n; i++) {
        const sl_sql_datum_t *v = &args[0].u.a.items[i];
        if (sl_sql_datum_is_null(v))
            continue;
        if (sl_sql_datum_is_null(out) || sign * sl_sql_datum_cmp(v, out, elem) > 0)
            *out = *v;
    }
}

static void eval_array_max(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                           sl_sql_datum_t *out)
{
    SL_UNUSED(cx);
    array_extreme(call, args, n, out, 1);
}

static void eval_array_min(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                           sl_sql_datum_t *out)
{
    SL_UNUSED(cx);
    array_extreme(call, args, n, out, -1);
}

/* --- MAP_KEYS, MAP_VALUES -------------------------------------------------------- */

static const sl_sql_type_t *resolve_map_part(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n,
                                             char *err, size_t errlen, bool keys)
{
    if (n != 1 || !arg_types[0] || arg_types[0]->kind != SL_SQL_T_MAP)
        return sl_sql_fn_refuse(keys ? "MAP_KEYS" : "MAP_VALUES", arg_types, n, err, errlen);
    const sl_sql_type_t *t = sl_sql_type_array(arena, keys ? arg_types[0]->key : arg_types[0]->elem);
    if (!t)
        snprintf(err, errlen, "out of memory");
    return t;
}

static const sl_sql_type_t *resolve_map_keys(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n,
                                             char *err, size_t errlen)
{
    return resolve_map_part(arena, arg_types, n, err, errlen, true);
}

static const sl_sql_type_t *resolve_map_values(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n,
                                               char *err, size_t errlen)
{
    return resolve_map_part(arena, arg_types, n, err, errlen, false);
}

/* Sorting entry indexes by key: qsort has no context argument, so the
 * keys and their type travel with each index. */
typedef struct key_ref {
    const sl_sql_datum_t *key;
    const sl_sql_type_t *type;
    uint32_t entry;
} key_ref_t;

static int key_ref_cmp(const void *a, const void *b)
{
    const key_ref_t *x = a, *y = b;
    int c = sl_sql_datum_cmp(x->key, y->key, x->type);
    return c ? c : (x->entry > y->entry) - (x->entry < y->entry);
}

static void map_part(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                     sl_sql_datum_t *out, bool keys)
{
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    uint32_t entries = args[0].u.a.n;
    const sl_sql_datum_t *kv = args[0].u.a.items;
    key_ref_t *refs = sl_arena_calloc(cx->arena, entries ? entries : 1, sizeof *refs);
    sl_sql_datum_t *items = sl_arena_calloc(cx->arena, entries ? entries : 1, sizeof *items);
    if (!refs || !items) {
        sl_sql_fn_fail(cx, out, "out of memory");
        return;
    }
    for (uint32_t i = 0; i < entries; i++)
        refs[i] = (key_ref_t){&kv[2 * i], call->args[0]->type->key, i};
    qsort(refs, entries, sizeof *refs, key_ref_cmp);
    for (uint32_t i = 0; i < entries; i++)
        items[i] = kv[2 * refs[i].entry + (keys ? 0 : 1)];
    out->kind = SL_SQL_T_ARRAY;
    out->scale = 0;
    out->u.a.items = items;
    out->u.a.n = entries;
}

static void eval_map_keys(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                          sl_sql_datum_t *out)
{
    map_part(call, args, n, cx, out, true);
}

static void eval_map_values(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                            sl_sql_datum_t *out)
{
    map_part(call, args, n, cx, out, false);
}

/* --- ARRAY_JOIN, ARRAY_SORT, SLICE, ARRAY_DISTINCT, ARRAY_REMOVE --------------- */

static void set_array(sl_sql_datum_t *out, sl_sql_datum_t *items, uint32_t n)
{
    *out = sl_sql_null();
    out->kind = SL_SQL_T_ARRAY;
    out->u.a.items = items;
    out->u.a.n = n;
}

static sl_sql_datum_t *items_alloc(sl_sql_eval_t *cx, uint32_t n, sl_sql_datum_t *out)
{
    sl_sql_datum_t *items = sl_arena_calloc(cx->arena, n ? n : 1, sizeof *items);
    if (!items)
        sl_sql_fn_fail(cx, out, "out of memory");
    return items;
}

static bool is_primitive(const sl_sql_type_t *t)
{
    return t && t->kind != SL_SQL_T_ARRAY && t->kind != SL_SQL_T_MAP && t->kind != SL_SQL_T_STRUCT;
}

static const sl_sql_type_t *resolve_join(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n,
                                         char *err, size_t errlen)
{
    SL_UNUSED(arena);
    if (!is_array(arg_types[0]) || !is_primitive(arg_types[0]->elem))
        return sl_sql_fn_refuse("ARRAY_JOIN", arg_types, n, err, errlen);
    return sl_sql_type_of(SL_SQL_T_STRING);
}

/* Elements as CAST(x AS STRING) spells them, NULL as "null"; a NULL
 * delimiter joins with nothing. */
static void eval_array_join(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                            sl_sql_datum_t *out)
{
    if (sl_sql_fn_null_arg(args, 1, out))
        return;
    const char *d = ",";
    uint32_t dn = 1;
    if (n > 1) {
        d = sl_sql_datum_is_null(&args[1]) ? "" : args[1].u.s.ptr;
        dn = sl_sql_datum_is_null(&args[1]) ? 0 : args[1].u.s.len;
    }
    const sl_sql_type_t *elem = call->args[0]->type->elem;
    sl_buf_t b;
    sl_buf_init(&b);
    for (uint32_t i = 0; i < args[0].u.a.n; i++) {
        if (i)
            sl_buf_put(&b, d, dn);
        sl_sql_datum_format(&args[0].u.a.items[i], elem, &b);
    }
    if (sl_buf_err(&b) != SL_OK || b.len > SL_SQL_SB_MAX) {
        sl_buf_free(&b);
        sl_sql_fn_fail(cx, out, "ARRAY_JOIN: the result is too long");
        return;
    }
    char *p = sl_sql_fn_string(cx, (uint32_t)b.len, out);
    if (p && b.len)
        memcpy(p, b.data, b.len);
    sl_buf_free(&b);
}

/* The first argument's array type (SORT, SLICE, DISTINCT: their
 * parameters already say it is an array). */
static const sl_sql_type_t *resolve_same_array(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n,
                                               char *err, size_t errlen)
{
    SL_UNUSED(arena);
    if (!is_array(arg_types[0]))
        return sl_sql_fn_refuse("array function", arg_types, n, err, errlen);
    return arg_types[0];
}

/* Merge sort of items (stable, as Java's List.sort) with NULLs last. */
typedef struct sort_ctx {
    const sl_sql_type_t *elem;
    int sign;
} sort_ctx_t;

static int sort_cmp(const sl_sql_datum_t *a, const sl_sql_datum_t *b, const sort_ctx_t *sc)
{
    bool an = sl_sql_datum_is_null(a), bn = sl_sql_datum_is_null(b);
    if (an || bn)
        return an - bn;
    return sc->sign * sl_sql_datum_cmp(a, b, sc->elem);
}

static void merge_sort(sl_sql_datum_t *v, sl_sql_datum_t *tmp, uint32_t n, const sort_ctx_t *sc)
{
    if (n < 2)
        return;
    uint32_t h = n / 2;
    merge_sort(v, tmp, h, sc);
    merge_sort(v + h, tmp, n - h, sc);
    uint32_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = sort_cmp(&v[j], &v[i], sc) < 0 ? v[j++] : v[i++];
    while (i < h)
        tmp[k++] = v[i++];
    while (j < n)
        tmp[k++] = v[j++];
    memcpy(v, tmp, n * sizeof *v);
}

static void eval_array_sort(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                            sl_sql_datum_t *out)
{
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    sort_ctx_t sc = {call->args[0]->type->elem, 1};
    *out = sl_sql_null();
    if (n > 1) {
        const char *d = args[1].u.s.ptr;
        uint32_t dn = args[1].u.s.len;
        if ((dn == 4 && strncasecmp(d, "DESC", 4) == 0) || (dn == 10 && strncasecmp(d, "DESCENDING", 10) == 0))
            sc.sign = -1;
        else if (!((dn == 3 && strncasecmp(d, "ASC", 3) == 0) || (dn == 9 && strncasecmp(d, "ASCENDING", 9) == 0)))
            return; /* NULL, as ksqlDB, for any other direction */
    }
    uint32_t len = args[0].u.a.n;
    sl_sql_datum_t *items = items_alloc(cx, len, out), *tmp = items_alloc(cx, len, out);
    if (!items || !tmp)
        return;
    memcpy(items, args[0].u.a.items, len * sizeof *items);
    merge_sort(items, tmp, len, &sc);
    set_array(out, items, len);
}

/* SLICE(array, from, to): the 1-based elements from..to inclusive; a NULL
 * bound is the array's end; bounds outside the array give NULL. */
static void eval_slice(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                       sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    SL_UNUSED(n);
    SL_UNUSED(cx);
    if (sl_sql_fn_null_arg(args, 1, out))
        return;
    int64_t size = args[0].u.a.n;
    int64_t start = sl_sql_datum_is_null(&args[1]) ? 0 : (int64_t)args[1].u.i32 - 1;
    int64_t end = sl_sql_datum_is_null(&args[2]) ? size : args[2].u.i32;
    *out = sl_sql_null();
    if (start < 0 || end > size || start > end)
        return;
    set_array(out, args[0].u.a.items + start, (uint32_t)(end - start));
}

/* Whether v is among items[0..n). */
static bool holds(const sl_sql_datum_t *items, uint32_t n, const sl_sql_datum_t *v, const sl_sql_type_t *t)
{
    for (uint32_t i = 0; i < n; i++) {
        if (sl_sql_datum_eq(&items[i], v, t))
            return true;
    }
    return false;
}

/* Appends to items[*k] the elements of a not yet there (and, with
 * filter, only those in (keep) or not in (!keep) filter). */
static void add_distinct(sl_sql_datum_t *items, uint32_t *k, const sl_sql_datum_t *a, const sl_sql_datum_t *filter,
                         bool keep, const sl_sql_type_t *t)
{
    for (uint32_t i = 0; i < a->u.a.n; i++) {
        const sl_sql_datum_t *v = &a->u.a.items[i];
        if (filter && holds(filter->u.a.items, filter->u.a.n, v, t) != keep)
            continue;
        if (!holds(items, *k, v, t))
            items[(*k)++] = *v;
    }
}

static void eval_array_distinct(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n,
                                sl_sql_eval_t *cx, sl_sql_datum_t *out)
{
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    sl_sql_datum_t *items = items_alloc(cx, args[0].u.a.n, out);
    if (!items)
        return;
    uint32_t k = 0;
    add_distinct(items, &k, &args[0], NULL, false, call->args[0]->type->elem);
    set_array(out, items, k);
}

static const sl_sql_type_t *resolve_array_remove(sl_arena_t *arena, const sl_sql_type_t *const *arg_types,
                                                 uint32_t n, char *err, size_t errlen)
{
    if (n != 2 || !is_array(arg_types[0]))
        return sl_sql_fn_refuse("ARRAY_REMOVE", arg_types, n, err, errlen);
    const sl_sql_type_t *pair[2] = {arg_types[0]->elem, arg_types[1]};
    if (!sl_sql_fn_common_type(arena, pair, 2, "ARRAY_REMOVE", err, errlen))
        return sl_sql_fn_refuse("ARRAY_REMOVE", arg_types, n, err, errlen);
    return arg_types[0];
}

/* Every element equal to victim goes (a NULL victim removes the NULLs). */
static void eval_array_remove(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                              sl_sql_datum_t *out)
{
    SL_UNUSED(n);
    if (sl_sql_fn_null_arg(args, 1, out))
        return;
    const sl_sql_type_t *elem = call->args[0]->type->elem;
    sl_sql_datum_t victim;
    if (!sl_sql_fn_coerce(cx, &args[1], call->args[1]->type, elem, &victim))
        return;
    sl_sql_datum_t *items = items_alloc(cx, args[0].u.a.n, out);
    if (!items)
        return;
    uint32_t k = 0;
    for (uint32_t i = 0; i < args[0].u.a.n; i++) {
        if (!sl_sql_datum_eq(&args[0].u.a.items[i], &victim, elem))
            items[k++] = args[0].u.a.items[i];
    }
    set_array(out, items, k);
}

/* --- ARRAY_CONCAT, ARRAY_UNION, ARRAY_INTERSECT, ARRAY_EXCEPT -------------------- */

/* Two arrays of one type (a bare NULL takes the other's). */
static const sl_sql_type_t *two_arrays(const sl_sql_type_t *const *arg_types, uint32_t n, const char *fname,
                                       char *err, size_t errlen)
{
    const sl_sql_type_t *a = arg_types[0], *b = arg_types[1];
    bool an = a->kind == SL_SQL_T_NULL, bn = b->kind == SL_SQL_T_NULL;
    if ((!an && !is_array(a)) || (!bn && !is_array(b)) || (!an && !bn && !sl_sql_type_equal(a, b)) || (an && bn))
        return sl_sql_fn_refuse(fname, arg_types, n, err, errlen);
    return an ? b : a;
}

#define TWO_ARRAYS(fn, NAME)                                                                                   \
    static const sl_sql_type_t *fn(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n,       \
                                   char *err, size_t errlen)                                                  \
    {                                                                                                         \
        SL_UNUSED(arena);                                                                                     \
        return two_arrays(arg_types, n, NAME, err, errlen);                                                   \
    }
TWO_ARRAYS(resolve_concat, "ARRAY_CONCAT")
TWO_ARRAYS(resolve_union, "ARRAY_UNION")
TWO_ARRAYS(resolve_intersect, "ARRAY_INTERSECT")
TWO_ARRAYS(resolve_except, "ARRAY_EXCEPT")

static void eval_array_concat(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                              sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    SL_UNUSED(n);
    bool an = sl_sql_datum_is_null(&args[0]), bn = sl_sql_datum_is_null(&args[1]);
    if (an || bn) {
        *out = an ? args[1] : args[0]; /* NULL when both are */
        return;
    }
    uint32_t na = args[0].u.a.n, nb = args[1].u.a.n;
    sl_sql_datum_t *items = items_alloc(cx, na + nb, out);
    if (!items)
        return;
    memcpy(items, args[0].u.a.items, na * sizeof *items);
    memcpy(items + na, args[1].u.a.items, nb * sizeof *items);
    set_array(out, items, na + nb);
}

/* op: 'U' union, 'I' intersect, 'E' except; each gives distinct elements
 * in first-seen order; a NULL array gives NULL. */
static void array_set_op(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                         sl_sql_datum_t *out, char op)
{
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    const sl_sql_type_t *elem = call->type->elem;
    sl_sql_datum_t *items = items_alloc(cx, args[0].u.a.n + args[1].u.a.n, out);
    if (!items)
        return;
    uint32_t k = 0;
    if (op == 'U') {
        add_distinct(items, &k, &args[0], NULL, false, elem);
        add_distinct(items, &k, &args[1], NULL, false, elem);
    } else {
        add_distinct(items, &k, &args[0], &args[1], op == 'I', elem);
    }
    set_array(out, items, k);
}

#define SET_OP(fn, op)                                                                                    \
    static void fn(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx, \
                   sl_sql_datum_t *out)                                                                  \
    {                                                                                                    \
        array_set_op(call, args, n, cx, out, op);                                                        \
    }
SET_OP(eval_array_union, 'U')
SET_OP(eval_array_intersect, 'I')
SET_OP(eval_array_except, 'E')

/* --- GENERATE_SERIES, AS_MAP, MAP_UNION ---------------------------------------- */

/* At most this many elements: a series is built in the record's memory. */
#define SERIES_MAX (SL_SQL_SB_MAX / sizeof(sl_sql_datum_t))

/* start..end inclusive by step (default 1 or -1): INT or BIGINT as the
 * call's element type. A zero step or one of the wrong sign is an error. */
static void eval_generate_series(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n,
                                 sl_sql_eval_t *cx, sl_sql_datum_t *out)
{
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    bool big = call->type->elem->kind == SL_SQL_T_BIGINT;
    int64_t start = big ? args[0].u.i64 : args[0].u.i32, end = big ? args[1].u.i64 : args[1].u.i32;
    int64_t step = n > 2 ? args[2].u.i32 : end - start > 0 ? 1 : -1;
    if (step == 0) {
        sl_sql_fn_fail(cx, out, "GENERATE_SERIES step cannot be zero");
        return;
    }
    __int128 diff = (__int128)end - start;
    if ((diff > 0 && step < 0) || (diff < 0 && step > 0)) {
        sl_sql_fn_fail(cx, out, "GENERATE_SERIES step has wrong sign");
        return;
    }
    __int128 size = 1 + diff / step;
    if (size > (__int128)SERIES_MAX) {
        sl_sql_fn_fail(cx, out, "GENERATE_SERIES would have more than %zu elements", (size_t)SERIES_MAX);
        return;
    }
    sl_sql_datum_t *items = items_alloc(cx, (uint32_t)size, out);
    if (!items)
        return;
    for (uint32_t i = 0; i < (uint32_t)size; i++) {
        int64_t v = (int64_t)(start + (__int128)i * step);
        items[i] = big ? sl_sql_bigint(v) : sl_sql_int((int32_t)v);
    }
    set_array(out, items, (uint32_t)size);
}

static const sl_sql_type_t *resolve_series(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n,
                                           char *err, size_t errlen)
{
    SL_UNUSED(n);
    const sl_sql_type_t *t = sl_sql_type_array(arena, arg_types[0]);
    if (!t)
        snprintf(err, errlen, "out of memory");
    return t;
}

/* AS_MAP(keys, values): key i maps to value i (NULL past the values' end);
 * a repeated key keeps its last value. */
static void eval_as_map(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                        sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    uint32_t nk = args[0].u.a.n, k = 0;
    sl_sql_datum_t *kv = items_alloc(cx, 2 * nk, out);
    if (!kv)
        return;
    const sl_sql_type_t *st = sl_sql_type_of(SL_SQL_T_STRING);
    for (uint32_t i = 0; i < nk; i++) {
        const sl_sql_datum_t *key = &args[0].u.a.items[i];
        sl_sql_datum_t v = i < args[1].u.a.n ? args[1].u.a.items[i] : sl_sql_null();
        uint32_t j = 0;
        while (j < k && !sl_sql_datum_eq(&kv[2 * j], key, st))
            j++;
        if (j == k)
            kv[2 * k++] = *key;
        kv[2 * j + 1] = v;
    }
    set_array(out, kv, k);
    out->kind = SL_SQL_T_MAP;
}

static const sl_sql_type_t *resolve_as_map(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n,
                                           char *err, size_t errlen)
{
    if (!is_array(arg_types[0]) || arg_types[0]->elem->kind != SL_SQL_T_STRING || !is_array(arg_types[1]))
        return sl_sql_fn_refuse("AS_MAP", arg_types, n, err, errlen);
    const sl_sql_type_t *t = sl_sql_type_map(arena, arg_types[0]->elem, arg_types[1]->elem);
    if (!t)
        snprintf(err, errlen, "out of memory");
    return t;
}

/* MAP_UNION(a, b): a's entries then b's, b winning on a shared key; a NULL
 * map counts as empty, both NULL give NULL. */
static void eval_map_union(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                           sl_sql_datum_t *out)
{
    SL_UNUSED(n);
    bool an = sl_sql_datum_is_null(&args[0]), bn = sl_sql_datum_is_null(&args[1]);
    if (an || bn) {
        *out = an ? args[1] : args[0];
        return;
    }
    const sl_sql_type_t *kt = call->type->key;
    uint32_t na = args[0].u.a.n, nb = args[1].u.a.n, k = 0;
    sl_sql_datum_t *kv = items_alloc(cx, 2 * (na + nb), out);
    if (!kv)
        return;
    for (int m = 0; m < 2; m++) {
        for (uint32_t i = 0; i < args[m].u.a.n; i++) {
            const sl_sql_datum_t *e = &args[m].u.a.items[2 * i];
            uint32_t j = 0;
            while (j < k && !sl_sql_datum_eq(&kv[2 * j], e, kt))
                j++;
            if (j == k)
                kv[2 * k++] = e[0];
            kv[2 * j + 1] = e[1];
        }
    }
    set_array(out, kv, k);
    out->kind = SL_SQL_T_MAP;
}

static const sl_sql_type_t *resolve_map_union(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n,
                                              char *err, size_t errlen)
{
    SL_UNUSED(arena);
    const sl_sql_type_t *a = arg_types[0], *b = arg_types[1];
    bool an = a->kind == SL_SQL_T_NULL, bn = b->kind == SL_SQL_T_NULL;
    if ((!an && a->kind != SL_SQL_T_MAP) || (!bn && b->kind != SL_SQL_T_MAP) || (an && bn) ||
        (!an && !bn && !sl_sql_type_equal(a, b)))
        return sl_sql_fn_refuse("MAP_UNION", arg_types, n, err, errlen);
    return an ? b : a;
}

/* --- ENTRIES ------------------------------------------------------------------ */

static const sl_sql_type_t *resolve_entries(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n,
                                            char *err, size_t errlen)
{
    if (!arg_types[0] || arg_types[0]->kind != SL_SQL_T_MAP || arg_types[0]->key->kind != SL_SQL_T_STRING)
        return sl_sql_fn_refuse("ENTRIES", arg_types, n, err, errlen);
    sl_sql_field_t fields[2] = {{"K", arg_types[0]->key}, {"V", arg_types[0]->elem}};
    const sl_sql_type_t *st = sl_sql_type_struct(arena, fields, 2);
    const sl_sql_type_t *t = st ? sl_sql_type_array(arena, st) : NULL;
    if (!t)
        snprintf(err, errlen, "out of memory");
    return t;
}

/* ENTRIES(map, sorted): the entries as STRUCT<K, V>s, by key when sorted,
 * else in the map's order. */
static void eval_entries(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                         sl_sql_datum_t *out)
{
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    uint32_t count = args[0].u.a.n;
    const sl_sql_datum_t *kv = args[0].u.a.items;
    sl_sql_datum_t *items = items_alloc(cx, count, out), *pairs = items_alloc(cx, 2 * count, out);
    key_ref_t *refs = sl_arena_calloc(cx->arena, count ? count : 1, sizeof *refs);
    if (!items || !pairs || !refs) {
        sl_sql_fn_fail(cx, out, "out of memory");
        return;
    }
    for (uint32_t i = 0; i < count; i++)
        refs[i] = (key_ref_t){&kv[2 * i], call->args[0]->type->key, i};
    if (args[1].u.b)
        qsort(refs, count, sizeof *refs, key_ref_cmp);
    for (uint32_t i = 0; i < count; i++) {
        pairs[2 * i] = kv[2 * refs[i].entry];
        pairs[2 * i + 1] = kv[2 * refs[i].entry + 1];
        items[i] = sl_sql_null();
        items[i].kind = SL_SQL_T_STRUCT;
        items[i].u.a.items = &pairs[2 * i];
        items[i].u.a.n = 2;
    }
    set_array(out, items, count);
}

/* --- The group ---------------------------------------------------------------------- */

static const sl_sql_tkind_t P_ARRAY[] = {SL_SQL_T_ARRAY};
static const sl_sql_tkind_t P_ARRAY_ANY[] = {SL_SQL_T_ARRAY, SL_SQL_T_NULL};
static const sl_sql_tkind_t P_MAP[] = {SL_SQL_T_MAP};

static const sl_sql_tkind_t P_ARRAY_STR[] = {SL_SQL_T_ARRAY, SL_SQL_T_STRING};
static const sl_sql_tkind_t P_ARRAY_INT2[] = {SL_SQL_T_ARRAY, SL_SQL_T_INT, SL_SQL_T_INT};
static const sl_sql_tkind_t P_ANY_ANY[] = {SL_SQL_T_NULL, SL_SQL_T_NULL};

#define ARRAY_OV(params, resolve, fn, sig, desc) \
    {params, SL_ARRAY_LEN(params), false, SL_SQL_T_NULL, resolve, fn, NULL, sig, desc}

static const sl_sql_overload_t ARRAY_JOIN_O[] = {
    ARRAY_OV(P_ARRAY, resolve_join, eval_array_join, "ARRAY_JOIN(array ARRAY<T>)", "the elements joined with ','"),
    ARRAY_OV(P_ARRAY_STR, resolve_join, eval_array_join, "ARRAY_JOIN(array ARRAY<T>, delimiter VARCHAR)",
             "the elements joined with delimiter"),
};
static const sl_sql_overload_t ARRAY_SORT_O[] = {
    ARRAY_OV(P_ARRAY, resolve_same_array, eval_array_sort, "ARRAY_SORT(array ARRAY<T>)",
             "the elements in ascending order, NULLs last"),
    ARRAY_OV(P_ARRAY_STR, resolve_same_array, eval_array_sort, "ARRAY_SORT(array ARRAY<T>, direction VARCHAR)",
             "the elements in 'ASC' or 'DESC' order, NULLs last"),
};
static const sl_sql_overload_t SLICE_O[] = {
    ARRAY_OV(P_ARRAY_INT2, resolve_same_array, eval_slice, "SLICE(array ARRAY<T>, from INT, to INT)",
             "the elements from..to (1-based, inclusive)"),
};
static const sl_sql_overload_t ARRAY_DISTINCT_O[] = {
    ARRAY_OV(P_ARRAY, resolve_same_array, eval_array_distinct, "ARRAY_DISTINCT(array ARRAY<T>)",
             "the elements without repeats, in first-seen order"),
};
static const sl_sql_overload_t ARRAY_REMOVE_O[] = {
    ARRAY_OV(P_ARRAY_ANY, resolve_array_remove, eval_array_remove, "ARRAY_REMOVE(array ARRAY<T>, victim T)",
             "the elements not equal to victim"),
};
static const sl_sql_overload_t ARRAY_CONCAT_O[] = {
    ARRAY_OV(P_ANY_ANY, resolve_concat, eval_array_concat, "ARRAY_CONCAT(left ARRAY<T>, right ARRAY<T>)",
             "the elements of both"),
};
static const sl_sql_overload_t ARRAY_UNION_O[] = {
    ARRAY_OV(P_ANY_ANY, resolve_union, eval_array_union, "ARRAY_UNION(left ARRAY<T>, right ARRAY<T>)",
             "the distinct elements of either"),
};
static const sl_sql_overload_t ARRAY_INTERSECT_O[] = {
    ARRAY_OV(P_ANY_ANY, resolve_intersect, eval_array_intersect,
             "ARRAY_INTERSECT(left ARRAY<T>, right ARRAY<T>)", "the distinct elements of left also in right"),
};
static const sl_sql_overload_t ARRAY_EXCEPT_O[] = {
    ARRAY_OV(P_ANY_ANY, resolve_except, eval_array_except, "ARRAY_EXCEPT(left ARRAY<T>, right ARRAY<T>)",
             "the distinct elements of left not in right"),
};
static const sl_sql_tkind_t P_INT2[] = {SL_SQL_T_INT, SL_SQL_T_INT};
static const sl_sql_tkind_t P_INT3[] = {SL_SQL_T_INT, SL_SQL_T_INT, SL_SQL_T_INT};
static const sl_sql_tkind_t P_BIGINT2[] = {SL_SQL_T_BIGINT, SL_SQL_T_BIGINT};
static const sl_sql_tkind_t P_BIGINT2_INT[] = {SL_SQL_T_BIGINT, SL_SQL_T_BIGINT, SL_SQL_T_INT};
static const sl_sql_tkind_t P_ARRAY2[] = {SL_SQL_T_ARRAY, SL_SQL_T_ARRAY};

static const sl_sql_overload_t GENERATE_SERIES_O[] = {
    ARRAY_OV(P_INT2, resolve_series, eval_generate_series, "GENERATE_SERIES(start INT, end INT)",
             "the INTs from start to end inclusive"),
    ARRAY_OV(P_INT3, resolve_series, eval_generate_series, "GENERATE_SERIES(start INT, end INT, step INT)",
             "the INTs from start to end inclusive by step"),
    ARRAY_OV(P_BIGINT2, resolve_series, eval_generate_series, "GENERATE_SERIES(start BIGINT, end BIGINT)",
             "the BIGINTs from start to end inclusive"),
    ARRAY_OV(P_BIGINT2_INT, resolve_series, eval_generate_series,
             "GENERATE_SERIES(start BIGINT, end BIGINT, step INT)", "the BIGINTs from start to end inclusive by step"),
};
static const sl_sql_overload_t AS_MAP_O[] = {
    ARRAY_OV(P_ARRAY2, resolve_as_map, eval_as_map, "AS_MAP(keys ARRAY<VARCHAR>, values ARRAY<T>)",
             "a map of each key to the value at its position"),
};
static const sl_sql_overload_t MAP_UNION_O[] = {
    ARRAY_OV(P_ANY_ANY, resolve_map_union, eval_map_union, "MAP_UNION(map1 MAP<K, V>, map2 MAP<K, V>)",
             "the entries of both, map2's winning"),
};
static const sl_sql_tkind_t P_MAP_BOOL[] = {SL_SQL_T_MAP, SL_SQL_T_BOOLEAN};

static const sl_sql_overload_t ENTRIES_O[] = {
    ARRAY_OV(P_MAP_BOOL, resolve_entries, eval_entries, "ENTRIES(map MAP<VARCHAR, T>, sorted BOOLEAN)",
             "the entries as an array of STRUCT<K, V>, by key when sorted"),
};
static const sl_sql_overload_t ARRAY_LENGTH_O[] = {
    SL_SQL_OV(P_ARRAY, SL_SQL_T_INT, eval_array_length, "ARRAY_LENGTH(array ARRAY<T>)",
              "the number of elements, NULL for a NULL array"),
};
static const sl_sql_overload_t ARRAY_CONTAINS_O[] = {
    {P_ARRAY_ANY, 2, false, SL_SQL_T_NULL, resolve_array_contains, eval_array_contains, NULL,
     "ARRAY_CONTAINS(array ARRAY<T>, val T)", "whether array holds val (false for a NULL array)"},
};
static const sl_sql_overload_t ARRAY_MAX_O[] = {
    {P_ARRAY, 1, false, SL_SQL_T_NULL, resolve_elem, eval_array_max, NULL, "ARRAY_MAX(array ARRAY<T>)",
     "the largest non-NULL element"},
};
static const sl_sql_overload_t ARRAY_MIN_O[] = {
    {P_ARRAY, 1, false, SL_SQL_T_NULL, resolve_elem, eval_array_min, NULL, "ARRAY_MIN(array ARRAY<T>)",
     "the smallest non-NULL element"},
};
static const sl_sql_overload_t MAP_KEYS_O[] = {
    {P_MAP, 1, false, SL_SQL_T_NULL, resolve_map_keys, eval_map_keys, NULL, "MAP_KEYS(map MAP<K, V>)",
     "the keys as an array, in key order"},
};
static const sl_sql_overload_t MAP_VALUES_O[] = {
    {P_MAP, 1, false, SL_SQL_T_NULL, resolve_map_values, eval_map_values, NULL, "MAP_VALUES(map MAP<K, V>)",
     "the values as an array, in key order"},
};

const sl_sql_func_t sl_sql_funcs_collection[] = {
    SL_SQL_FN("ARRAY_CONCAT", "ARRAYS", "Concatenates two arrays.", ARRAY_CONCAT_O),
    SL_SQL_FN("ARRAY_CONTAINS", "ARRAYS", "Tells whether an array holds a value.", ARRAY_CONTAINS_O),
    SL_SQL_FN("ARRAY_DISTINCT", "ARRAYS", "Returns an array without repeated elements.", ARRAY_DISTINCT_O),
    SL_SQL_FN("ARRAY_EXCEPT", "ARRAYS", "Returns the distinct elements of an array not in another.",
              ARRAY_EXCEPT_O),
    SL_SQL_FN("ARRAY_INTERSECT", "ARRAYS", "Returns the distinct elements two arrays share.", ARRAY_INTERSECT_O),
    SL_SQL_FN("ARRAY_JOIN", "ARRAYS", "Joins the elements of an array into a string.", ARRAY_JOIN_O),
    SL_SQL_FN("ARRAY_LENGTH", "ARRAYS", "Returns the number of elements of an array.", ARRAY_LENGTH_O),
    SL_SQL_FN("ARRAY_MAX", "ARRAYS", "Returns the largest non-NULL element of an array.", ARRAY_MAX_O),
    SL_SQL_FN("ARRAY_MIN", "ARRAYS", "Returns the smallest non-NULL element of an array.", ARRAY_MIN_O),
    SL_SQL_FN("ARRAY_REMOVE", "ARRAYS", "Removes every element equal to a value.", ARRAY_REMOVE_O),
    SL_SQL_FN("ARRAY_SORT", "ARRAYS", "Sorts an array, NULLs last.", ARRAY_SORT_O),
    SL_SQL_FN("ARRAY_UNION", "ARRAYS", "Returns the distinct elements of two arrays.", ARRAY_UNION_O),
    SL_SQL_FN("AS_MAP", "MAPS", "Builds a map from an array of keys and an array of values.", AS_MAP_O),
    SL_SQL_FN("ENTRIES", "MAPS", "Returns the entries of a map as an array of structs.", ENTRIES_O),
    SL_SQL_FN("GENERATE_SERIES", "ARRAYS", "Returns the integers of a range as an array.", GENERATE_SERIES_O),
    SL_SQL_FN("MAP_KEYS", "MAPS", "Returns the keys of a map as an array.", MAP_KEYS_O),
    SL_SQL_FN("MAP_UNION", "MAPS", "Merges two maps, the second winning on shared keys.", MAP_UNION_O),
    SL_SQL_FN("MAP_VALUES", "MAPS", "Returns the values of a map as an array.", MAP_VALUES_O),
    SL_SQL_FN("SLICE", "ARRAYS", "Returns the elements of an array between two positions.", SLICE_O),
    SL_SQL_FN_END,
};
