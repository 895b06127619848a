/*
 * func_lambda.c - the functions that take lambdas, as ksqlDB's:
 *   TRANSFORM(array, x => e)                 each element mapped
 *   TRANSFORM(map, (k, v) => ke, (k, v) => ve)  each entry's key and value
 *   FILTER(array, x => p), FILTER(map, (k, v) => p)  what p keeps
 *   REDUCE(array, s0, (s, x) => e), REDUCE(map, s0, (s, k, v) => e)
 *                                            the state through every
 *                                            element or entry
 * The binder types each lambda's parameters with lambda_params (from the
 * collection's and the initial state's types) before it binds the body;
 * the functions apply the lambda nodes themselves (sl_sql_eval_lambda).
 *
 * NULL handling as ksqlDB: a NULL collection gives NULL (REDUCE: the
 * initial state), a NULL initial state gives NULL. Where ksqlDB's Java
 * fails (arithmetic on a NULL inside the lambda, which its compiled
 * lambdas unbox; a NULL predicate in FILTER; a TRANSFORM of a map giving
 * a NULL value or two entries one key) the result is NULL and the reason
 * goes to the processing log, as ksqlDB logs the function's exception. REDUCE's
 * state keeps the initial state's type: each step's value is converted to
 * it as CAST would.
 */
#include <stdio.h>
#include <string.h>

#include "func_int.h"

static bool is_kind(const sl_sql_type_t *t, sl_sql_tkind_t k)
{
    return t && t->kind == k;
}

static bool is_lambda(const sl_sql_expr_t *e)
{
    return e && e->kind == SL_SQL_E_LAMBDA;
}

/* --- typing -------------------------------------------------------------------- */

/* Where each function takes its lambdas (argument first on, map_lambdas
 * of them over a map, one over an array), and their parameters: the
 * collection's element (array) or key and value (map), after REDUCE's
 * state. */
static sl_err_t params_of(const char *fname, const sl_sql_type_t *const *arg_types, uint32_t at, uint32_t first,
                          uint32_t map_lambdas, bool state, uint32_t n_params, const sl_sql_type_t **params,
                          char *err, size_t errlen)
{
    const sl_sql_type_t *coll = at > 0 ? arg_types[0] : NULL;
    bool map = is_kind(coll, SL_SQL_T_MAP);
    uint32_t last = first + (map ? map_lambdas : 1) - 1;
    if (at < first || at > last) {
        if (n_params == 0)
            return SL_OK; /* not a lambda where none is expected */
        snprintf(err, errlen, "%s does not take a lambda as argument %u", fname, at + 1);
        return SL_ERR_INVAL;
    }
    if (n_params == 0) {
        snprintf(err, errlen, "%s takes a lambda as argument %u", fname, at + 1);
        return SL_ERR_INVAL;
    }
    if (!is_kind(coll, SL_SQL_T_ARRAY) && !map) {
        snprintf(err, errlen, "%s applies a lambda to an ARRAY or a MAP, not to its first argument's type", fname);
        return SL_ERR_INVAL;
    }
    uint32_t want = (state ? 1u : 0u) + (map ? 2u : 1u);
    if (n_params != want) {
        snprintf(err, errlen, "%s's lambda over %s takes %u parameter%s, not %u", fname, map ? "a MAP" : "an ARRAY",
                 want, want == 1 ? "" : "s", n_params);
        return SL_ERR_INVAL;
    }
    uint32_t i = 0;
    if (state)
        params[i++] = arg_types[1];
    if (map) {
        params[i++] = coll->key;
        params[i] = coll->elem;
    } else {
        params[i] = coll->elem;
    }
    return SL_OK;
}

static sl_err_t transform_params(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t at,
                                 uint32_t n_params, const sl_sql_type_t **params, char *err, size_t errlen)
{
    SL_UNUSED(arena);
    return params_of("TRANSFORM", arg_types, at, 1, 2, false, n_params, params, err, errlen);
}

static sl_err_t filter_params(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t at,
                              uint32_t n_params, const sl_sql_type_t **params, char *err, size_t errlen)
{
    SL_UNUSED(arena);
    return params_of("FILTER", arg_types, at, 1, 1, false, n_params, params, err, errlen);
}

static sl_err_t reduce_params(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t at,
                              uint32_t n_params, const sl_sql_type_t **params, char *err, size_t errlen)
{
    SL_UNUSED(arena);
    return params_of("REDUCE", arg_types, at, 2, 1, true, n_params, params, err, errlen);
}

static const sl_sql_type_t *resolve_transform(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n,
                                              char *err, size_t errlen)
{
    const sl_sql_type_t *r = NULL;
    if (n == 2 && is_kind(arg_types[0], SL_SQL_T_ARRAY))
        r = sl_sql_type_array(arena, arg_types[1]);
    else if (n == 3 && is_kind(arg_types[0], SL_SQL_T_MAP))
        r = sl_sql_type_map(arena, arg_types[1], arg_types[2]);
    else
        return sl_sql_fn_refuse("TRANSFORM", arg_types, n, err, errlen);
    if (!r)
        snprintf(err, errlen, "out of memory");
    return r;
}

static const sl_sql_type_t *resolve_filter(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n,
                                           char *err, size_t errlen)
{
    SL_UNUSED(arena);
    if (n != 2 || (!is_kind(arg_types[0], SL_SQL_T_ARRAY) && !is_kind(arg_types[0], SL_SQL_T_MAP)))
        return sl_sql_fn_refuse("FILTER", arg_types, n, err, errlen);
    if (!is_kind(arg_types[1], SL_SQL_T_BOOLEAN)) {
        snprintf(err, errlen, "FILTER's lambda must give a BOOLEAN");
        return NULL;
    }
    return arg_types[0];
}

static const sl_sql_type_t *resolve_reduce(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n,
                                           char *err, size_t errlen)
{
    if (n != 3 || (!is_kind(arg_types[0], SL_SQL_T_ARRAY) && !is_kind(arg_types[0], SL_SQL_T_MAP)))
        return sl_sql_fn_refuse("REDUCE", arg_types, n, err, errlen);
    if (!arg_types[1] || arg_types[1]->kind == SL_SQL_T_NULL) {
        snprintf(err, errlen, "REDUCE's initial state must have a type (CAST a NULL to one)");
        return NULL;
    }
    /* Each step's value must convert to the state's type. */
    const sl_sql_type_t *pair[2] = {arg_types[1], arg_types[2]};
    if (!sl_sql_type_equal(arg_types[1], arg_types[2]) &&
        !sl_sql_fn_common_type(arena, pair, 2, "REDUCE", err, errlen))
        return NULL;
    return arg_types[1];
}

/* --- evaluation ------------------------------------------------------------------ */

static sl_sql_datum_t *items_alloc(sl_sql_eval_t *cx, uint32_t n, sl_sql_datum_t *out)
{
    sl_sql_datum_t *items = sl_arena_calloc(cx->arena, n ? n : 1, sizeof *items);
    if (!items)
        sl_sql_fn_fail(cx, out, "out of memory");
    return items;
}

/* One application of a lambda; false (and *out NULL with the reason
 * noted) when it failed. */
static bool apply(const sl_sql_expr_t *call, const sl_sql_expr_t *lambda, sl_sql_eval_t *cx,
                  const sl_sql_datum_t *vals, sl_sql_datum_t *v, sl_sql_datum_t *out)
{
    if (sl_sql_eval_lambda(lambda, cx, vals, v))
        return true;
    sl_sql_fn_fail(cx, out, "%s: the lambda's arithmetic met a NULL", call->func->name);
    return false;
}

static void set_items(sl_sql_datum_t *out, sl_sql_tkind_t kind, sl_sql_datum_t *items, uint32_t n)
{
    *out = sl_sql_null();
    out->kind = (uint8_t)kind;
    out->u.a.items = items;
    out->u.a.n = n;
}

static void eval_transform(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                           sl_sql_datum_t *out)
{
    const sl_sql_datum_t *c = &args[0];
    *out = sl_sql_null();
    if (c->kind == SL_SQL_T_NULL || !is_lambda(call->args[1]) || (n == 3 && !is_lambda(call->args[2])))
        return;
    bool map = c->kind == SL_SQL_T_MAP;
    uint32_t per = map ? 2 : 1;
    sl_sql_datum_t *items = items_alloc(cx, c->u.a.n * per, out);
    if (!items)
        return;
    uint32_t m = 0;
    for (uint32_t i = 0; i < c->u.a.n; i++) {
        const sl_sql_datum_t *in = &c->u.a.items[i * per];
        if (!map) {
            if (!apply(call, call->args[1], cx, in, &items[m++], out))
                return;
            continue;
        }
        sl_sql_datum_t k, v;
        if (!apply(call, call->args[1], cx, in, &k, out) || !apply(call, call->args[2], cx, in, &v, out))
            return;
        if (v.kind == SL_SQL_T_NULL) {
            sl_sql_fn_fail(cx, out, "TRANSFORM: a map's value may not be NULL");
            cx->lambda_fault = cx->lambda_fault || cx->vars != NULL; /* an enclosing lambda fails too */
            return;
        }
        for (uint32_t j = 0; j < m; j += 2)
            if (sl_sql_datum_eq(&items[j], &k, call->type->key)) {
                sl_sql_fn_fail(cx, out, "TRANSFORM: two entries of the map got the same key");
                cx->lambda_fault = cx->lambda_fault || cx->vars != NULL; /* an enclosing lambda fails too */
                return;
            }
        items[m++] = k;
        items[m++] = v;
    }
    set_items(out, map ? SL_SQL_T_MAP : SL_SQL_T_ARRAY, items, map ? m / 2 : m);
}

static void eval_filter(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                        sl_sql_datum_t *out)
{
    SL_UNUSED(n);
    const sl_sql_datum_t *c = &args[0];
    *out = sl_sql_null();
    if (c->kind == SL_SQL_T_NULL || !is_lambda(call->args[1]))
        return;
    uint32_t per = c->kind == SL_SQL_T_MAP ? 2 : 1;
    sl_sql_datum_t *items = items_alloc(cx, c->u.a.n * per, out);
    if (!items)
        return;
    uint32_t m = 0;
    for (uint32_t i = 0; i < c->u.a.n; i++) {
        const sl_sql_datum_t *in = &c->u.a.items[i * per];
        sl_sql_datum_t keep;
        if (!apply(call, call->args[1], cx, in, &keep, out))
            return;
        if (keep.kind == SL_SQL_T_NULL) {
            sl_sql_fn_fail(cx, out, "FILTER: the lambda gave NULL, not TRUE or FALSE");
            cx->lambda_fault = cx->lambda_fault || cx->vars != NULL; /* an enclosing lambda fails too */
            return;
        }
        if (keep.u.b) {
            memcpy(&items[m * per], in, per * sizeof *in);
            m++;
        }
    }
    set_items(out, (sl_sql_tkind_t)c->kind, items, m);
}

static void eval_reduce(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                        sl_sql_datum_t *out)
{
    SL_UNUSED(n);
    const sl_sql_datum_t *c = &args[0];
    const sl_sql_expr_t *f = call->args[2];
    *out = args[1];
    if (args[1].kind == SL_SQL_T_NULL || c->kind == SL_SQL_T_NULL || !is_lambda(f))
        return;
    uint32_t per = c->kind == SL_SQL_T_MAP ? 2 : 1;
    const sl_sql_type_t *st = call->type;
    bool same = sl_sql_type_equal(f->type, st);
    for (uint32_t i = 0; i < c->u.a.n; i++) {
        sl_sql_datum_t vals[3], next;
        vals[0] = *out;
        memcpy(&vals[1], &c->u.a.items[i * per], per * sizeof *vals);
        if (!apply(call, f, cx, vals, &next, out))
            return;
        if (same || next.kind == SL_SQL_T_NULL)
            *out = next;
        else if (!sl_sql_fn_coerce(cx, &next, f->type, st, out))
            return;
    }
}

/* --- registry -------------------------------------------------------------------- */

static const sl_sql_tkind_t P_ARRAY_ANY[] = {SL_SQL_T_ARRAY, SL_SQL_T_NULL};
static const sl_sql_tkind_t P_MAP_ANY[] = {SL_SQL_T_MAP, SL_SQL_T_NULL};
static const sl_sql_tkind_t P_MAP_ANY2[] = {SL_SQL_T_MAP, SL_SQL_T_NULL, SL_SQL_T_NULL};
static const sl_sql_tkind_t P_ARRAY_ANY2[] = {SL_SQL_T_ARRAY, SL_SQL_T_NULL, SL_SQL_T_NULL};

#define LAMBDA_OV(params, resolve, fn, sig, desc) \
    {params, SL_ARRAY_LEN(params), false, SL_SQL_T_NULL, resolve, fn, NULL, sig, desc}

static const sl_sql_overload_t TRANSFORM_O[] = {
    LAMBDA_OV(P_ARRAY_ANY, resolve_transform, eval_transform, "TRANSFORM(array ARRAY<T>, x => R)",
              "each element mapped by the lambda"),
    LAMBDA_OV(P_MAP_ANY2, resolve_transform, eval_transform, "TRANSFORM(map MAP<K, V>, (k, v) => K2, (k, v) => V2)",
              "each entry's key and value mapped by the two lambdas"),
};
static const sl_sql_overload_t FILTER_O[] = {
    LAMBDA_OV(P_ARRAY_ANY, resolve_filter, eval_filter, "FILTER(array ARRAY<T>, x => BOOLEAN)",
              "the elements the lambda keeps"),
    LAMBDA_OV(P_MAP_ANY, resolve_filter, eval_filter, "FILTER(map MAP<K, V>, (k, v) => BOOLEAN)",
              "the entries the lambda keeps"),
};
static const sl_sql_overload_t REDUCE_O[] = {
    LAMBDA_OV(P_ARRAY_ANY2, resolve_reduce, eval_reduce, "REDUCE(array ARRAY<T>, initial S, (s, x) => S)",
              "the state after the lambda saw every element"),
    LAMBDA_OV(P_MAP_ANY2, resolve_reduce, eval_reduce, "REDUCE(map MAP<K, V>, initial S, (s, k, v) => S)",
              "the state after the lambda saw every entry"),
};

#define LAMBDA_FN(name, desc, ov, params) \
    {name, SL_SQL_F_SCALAR, "LAMBDA", desc, ov, SL_ARRAY_LEN(ov), NULL, NULL, NULL, params, false}

const sl_sql_func_t sl_sql_funcs_lambda[] = {
    LAMBDA_FN("FILTER", "Keeps the elements of an array or the entries of a map a lambda accepts.", FILTER_O,
              filter_params),
    LAMBDA_FN("REDUCE", "Folds an array or a map into one value with a lambda, from an initial state.", REDUCE_O,
              reduce_params),
    LAMBDA_FN("TRANSFORM", "Maps the elements of an array, or the keys and values of a map, with lambdas.",
              TRANSFORM_O, transform_params),
    SL_SQL_FN_END,
};
