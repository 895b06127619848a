/*
 * func_collection.c - the array and map functions: ARRAY_LENGTH,
 * ARRAY_CONTAINS, ARRAY_MAX, ARRAY_MIN, MAP_KEYS, MAP_VALUES.
 *
 * NULL handling as ksqlDB: a NULL array gives NULL, except ARRAY_CONTAINS
 * which gives false. ARRAY_MAX and ARRAY_MIN skip NULL elements (NULL for
 * an empty array). MAP_KEYS and MAP_VALUES list the entries in key order
 * (ksqlDB's hash order is unspecified; sorting makes ours deterministic and
 * the two functions agree with each other).
 */
#include <stdio.h>
#include <stdlib.h>

#include "func_int.h"

static bool is_array(const sl_sql_type_t *t)
{
    return t && t->kind == SL_SQL_T_ARRAY;
}

static const sl_sql_type_t *refuse(const char *fname, const sl_sql_type_t *const *arg_types, uint32_t n, char *err,
                                   size_t errlen)
{
    char buf[300];
    size_t off = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < n && off + 1 < sizeof buf; i++) {
        char t[96];
        int w = snprintf(buf + off, sizeof buf - off, "%s%s", i ? ", " : "",
                         sl_sql_type_str(arg_types[i], t, sizeof t));
        if (w < 0)
            break;
        off += (size_t)w;
    }
    snprintf(err, errlen, "Function '%s' does not accept parameters (%s).", fname, buf);
    return NULL;
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
        return refuse("ARRAY_CONTAINS", arg_types, n, err, errlen);
    const sl_sql_type_t *pair[2] = {arg_types[0]->elem, arg_types[1]};
    if (!sl_sql_fn_common_type(arena, pair, 2, "ARRAY_CONTAINS", err, errlen))
        return refuse("ARRAY_CONTAINS", arg_types, n, err, errlen);
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
        return refuse("ARRAY_MAX", arg_types, n, err, errlen);
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
        return refuse(keys ? "MAP_KEYS" : "MAP_VALUES", arg_types, n, err, errlen);
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

/* --- The group ---------------------------------------------------------------------- */

static const sl_sql_tkind_t P_ARRAY[] = {SL_SQL_T_ARRAY};
static const sl_sql_tkind_t P_ARRAY_ANY[] = {SL_SQL_T_ARRAY, SL_SQL_T_NULL};
static const sl_sql_tkind_t P_MAP[] = {SL_SQL_T_MAP};

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
    SL_SQL_FN("ARRAY_CONTAINS", "ARRAYS", "Tells whether an array holds a value.", ARRAY_CONTAINS_O),
    SL_SQL_FN("ARRAY_LENGTH", "ARRAYS", "Returns the number of elements of an array.", ARRAY_LENGTH_O),
    SL_SQL_FN("ARRAY_MAX", "ARRAYS", "Returns the largest non-NULL element of an array.", ARRAY_MAX_O),
    SL_SQL_FN("ARRAY_MIN", "ARRAYS", "Returns the smallest non-NULL element of an array.", ARRAY_MIN_O),
    SL_SQL_FN("MAP_KEYS", "MAPS", "Returns the keys of a map as an array.", MAP_KEYS_O),
    SL_SQL_FN("MAP_VALUES", "MAPS", "Returns the values of a map as an array.", MAP_VALUES_O),
    SL_SQL_FN_END,
};
