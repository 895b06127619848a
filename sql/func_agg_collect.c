/*
 * func_agg_collect.c - the aggregates whose state is a collection:
 * COLLECT_LIST, COLLECT_SET, HISTOGRAM, TOPK and TOPKDISTINCT.
 *
 * States: COLLECT_LIST and COLLECT_SET an ARRAY of the argument's type (the
 * result as it is), in arrival order, at most SL_SQL_AGG_COLLECT_LIMIT
 * entries (ksqlDB's ksql.functions.collect_*.limit default here: later
 * values are ignored); COLLECT_LIST keeps NULLs, as ksqlDB does. HISTOGRAM
 * a MAP<STRING, BIGINT> of at most that many keys (NULL strings ignored).
 * TOPK and TOPKDISTINCT an ARRAY of at most k values, largest first (NULLs
 * ignored). COLLECT_LIST undoes by removing the last equal entry and
 * HISTOGRAM by decrementing (dropping a key at 0), as ksqlDB; the others
 * cannot undo (stream only in ksqlDB).
 */
#include <stdio.h>
#include <string.h>

#include "func_agg_int.h"

/* The items of an ARRAY (or MAP: 2n datums) state; none for a NULL one. */
static uint32_t coll_n(const sl_sql_datum_t *state)
{
    return (state->kind == SL_SQL_T_ARRAY || state->kind == SL_SQL_T_MAP) ? state->u.a.n : 0;
}

static void empty_array(const sl_sql_agg_call_t *call, sl_arena_t *arena, sl_sql_datum_t *state)
{
    (void)call;
    sl_sql_agg_array(arena, NULL, 0, 0, state);
}

static void identity_result(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *state,
                            sl_sql_datum_t *out)
{
    (void)call, (void)arena;
    *out = *state;
    if (sl_sql_datum_is_null(out))
        sl_sql_agg_array(arena, NULL, 0, 0, out);
}

/* state + v appended (when under the limit). */
static void append(sl_arena_t *arena, const sl_sql_datum_t *v, sl_sql_datum_t *state)
{
    uint32_t n = coll_n(state);
    sl_sql_datum_t next;
    if (n >= SL_SQL_AGG_COLLECT_LIMIT || !sl_sql_agg_array(arena, n ? state->u.a.items : NULL, n, n + 1, &next))
        return;
    next.u.a.items[n] = *v;
    *state = next;
}

static int64_t find(const sl_sql_datum_t *items, uint32_t n, uint32_t stride, const sl_sql_datum_t *v,
                    const sl_sql_type_t *t, bool last)
{
    for (uint32_t k = 0; k < n; k++) {
        uint32_t i = last ? n - 1 - k : k;
        if (sl_sql_datum_eq(&items[(size_t)i * stride], v, t))
            return i;
    }
    return -1;
}

/* state without its entry i (a MAP entry is two datums). */
static void remove_at(sl_arena_t *arena, uint32_t i, sl_sql_datum_t *state)
{
    uint32_t n = state->u.a.n, per = state->kind == SL_SQL_T_MAP ? 2 : 1;
    uint32_t total = n * per;
    sl_sql_datum_t next;
    uint8_t kind = state->kind;
    if (!sl_sql_agg_array(arena, state->u.a.items, i * per, total - per, &next))
        return;
    if (total > (i + 1) * per)
        memcpy(next.u.a.items + (size_t)i * per, state->u.a.items + (size_t)(i + 1) * per,
               (size_t)(total - (i + 1) * per) * sizeof(sl_sql_datum_t));
    next.kind = kind;
    next.u.a.n = n - 1;
    *state = next;
}

/* --- COLLECT_LIST and COLLECT_SET --------------------------------------------- */

static sl_err_t collect_resolve(const char *name, sl_arena_t *arena, const sl_sql_type_t *const *arg_types,
                                uint32_t n_args, const sl_sql_datum_t *consts, uint32_t n_consts,
                                const sl_sql_type_t **state_type, const sl_sql_type_t **result_type, char *err,
                                size_t errlen)
{
    if (n_args != 1 || n_consts || arg_types[0]->kind == SL_SQL_T_NULL)
        return sl_sql_agg_refuse(name, arg_types, n_args, consts, n_consts, err, errlen);
    *state_type = *result_type = sl_sql_type_array(arena, arg_types[0]);
    return *state_type ? SL_OK : sl_sql_agg_nomem(err, errlen);
}

static sl_err_t list_resolve(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n_args,
                             const sl_sql_datum_t *consts, uint32_t n_consts, const sl_sql_type_t **state_type,
                             const sl_sql_type_t **result_type, char *err, size_t errlen)
{
    return collect_resolve("COLLECT_LIST", arena, arg_types, n_args, consts, n_consts, state_type, result_type,
                           err, errlen);
}

static sl_err_t set_resolve(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n_args,
                            const sl_sql_datum_t *consts, uint32_t n_consts, const sl_sql_type_t **state_type,
                            const sl_sql_type_t **result_type, char *err, size_t errlen)
{
    return collect_resolve("COLLECT_SET", arena, arg_types, n_args, consts, n_consts, state_type, result_type,
                           err, errlen);
}

static void list_add(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *args,
                     sl_sql_datum_t *state)
{
    (void)call;
    append(arena, &args[0], state);
}

static void list_undo(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *args,
                      sl_sql_datum_t *state)
{
    uint32_t n = coll_n(state);
    int64_t i = n ? find(state->u.a.items, n, 1, &args[0], call->arg_types[0], true) : -1;
    /* not found: it came past the limit and was never kept */
    if (i >= 0)
        remove_at(arena, (uint32_t)i, state);
}

static void list_merge(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *other,
                       sl_sql_datum_t *state)
{
    (void)call;
    uint32_t n = coll_n(state), m = coll_n(other);
    uint32_t take = m;
    sl_sql_datum_t next;
    if (n + take > SL_SQL_AGG_COLLECT_LIMIT)
        take = n >= SL_SQL_AGG_COLLECT_LIMIT ? 0 : SL_SQL_AGG_COLLECT_LIMIT - n;
    if (!take || !sl_sql_agg_array(arena, n ? state->u.a.items : NULL, n, n + take, &next))
        return;
    memcpy(next.u.a.items + n, other->u.a.items, (size_t)take * sizeof(sl_sql_datum_t));
    *state = next;
}

static void set_add(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *args,
                    sl_sql_datum_t *state)
{
    uint32_t n = coll_n(state);
    if (!n || find(state->u.a.items, n, 1, &args[0], call->arg_types[0], false) < 0)
        append(arena, &args[0], state);
}

static void set_merge(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *other,
                      sl_sql_datum_t *state)
{
    for (uint32_t i = 0; i < coll_n(other); i++)
        set_add(call, arena, &other->u.a.items[i], state);
}

const sl_sql_agg_t sl_sql_agg_collect_list = {list_resolve, empty_array, list_add, list_undo, list_merge,
                                              identity_result};
const sl_sql_agg_t sl_sql_agg_collect_set = {set_resolve, empty_array, set_add, NULL, set_merge, identity_result};

/* --- HISTOGRAM ---------------------------------------------------------------- */

static sl_err_t hist_resolve(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n_args,
                             const sl_sql_datum_t *consts, uint32_t n_consts, const sl_sql_type_t **state_type,
                             const sl_sql_type_t **result_type, char *err, size_t errlen)
{
    if (n_args != 1 || n_consts || arg_types[0]->kind != SL_SQL_T_STRING)
        return sl_sql_agg_refuse("HISTOGRAM", arg_types, n_args, consts, n_consts, err, errlen);
    *state_type = *result_type =
        sl_sql_type_map(arena, sl_sql_type_of(SL_SQL_T_STRING), sl_sql_type_of(SL_SQL_T_BIGINT));
    return *state_type ? SL_OK : sl_sql_agg_nomem(err, errlen);
}

static void empty_map(const sl_sql_agg_call_t *call, sl_arena_t *arena, sl_sql_datum_t *state)
{
    (void)call;
    if (sl_sql_agg_array(arena, NULL, 0, 0, state))
        state->kind = SL_SQL_T_MAP;
}

/* state with key's count changed by delta: a new key (delta > 0, under the
 * limit) is appended, a count reaching 0 drops its key. */
static void hist_change(sl_arena_t *arena, const sl_sql_datum_t *key, int64_t delta, sl_sql_datum_t *state)
{
    const sl_sql_type_t *st = sl_sql_type_of(SL_SQL_T_STRING);
    uint32_t n = coll_n(state);
    int64_t i = n ? find(state->u.a.items, n, 2, key, st, false) : -1;
    sl_sql_datum_t next;
    if (i < 0) {
        if (delta <= 0 || n >= SL_SQL_AGG_COLLECT_LIMIT ||
            !sl_sql_agg_array(arena, n ? state->u.a.items : NULL, 2 * n, 2 * n + 2, &next))
            return;
        next.kind = SL_SQL_T_MAP;
        next.u.a.n = n + 1;
        next.u.a.items[2 * n] = *key;
        next.u.a.items[2 * n + 1] = sl_sql_bigint(delta);
        *state = next;
        return;
    }
    int64_t c = state->u.a.items[2 * i + 1].u.i64 + delta;
    if (c < 1) {
        remove_at(arena, (uint32_t)i, state);
        return;
    }
    if (!sl_sql_agg_array(arena, state->u.a.items, 2 * n, 2 * n, &next))
        return;
    next.kind = SL_SQL_T_MAP;
    next.u.a.n = n;
    next.u.a.items[2 * i + 1] = sl_sql_bigint(c);
    *state = next;
}

static void hist_add(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *args,
                     sl_sql_datum_t *state)
{
    (void)call;
    if (!sl_sql_datum_is_null(&args[0]))
        hist_change(arena, &args[0], 1, state);
}

static void hist_undo(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *args,
                      sl_sql_datum_t *state)
{
    (void)call;
    if (!sl_sql_datum_is_null(&args[0]))
        hist_change(arena, &args[0], -1, state);
}

static void hist_merge(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *other,
                       sl_sql_datum_t *state)
{
    (void)call;
    for (uint32_t i = 0; i < coll_n(other); i++)
        hist_change(arena, &other->u.a.items[2 * i], other->u.a.items[2 * i + 1].u.i64, state);
}

static void hist_result(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *state,
                        sl_sql_datum_t *out)
{
    *out = *state;
    if (sl_sql_datum_is_null(out))
        empty_map(call, arena, out);
}

const sl_sql_agg_t sl_sql_agg_histogram = {hist_resolve, empty_map, hist_add, hist_undo, hist_merge, hist_result};

/* --- TOPK and TOPKDISTINCT ------------------------------------------------------ */

static const sl_sql_tkind_t topk_kinds[] = {SL_SQL_T_INT, SL_SQL_T_BIGINT, SL_SQL_T_DOUBLE, SL_SQL_T_STRING};

static sl_err_t topk_resolve_named(const char *name, sl_arena_t *arena, const sl_sql_type_t *const *arg_types,
                                   uint32_t n_args, const sl_sql_datum_t *consts, uint32_t n_consts,
                                   const sl_sql_type_t **state_type, const sl_sql_type_t **result_type, char *err,
                                   size_t errlen)
{
    int64_t k;
    if (n_args != 1 || n_consts != 1 || !sl_sql_agg_kind_in(arg_types[0], topk_kinds, 4) ||
        !sl_sql_agg_const_int(&consts[0], &k))
        return sl_sql_agg_refuse(name, arg_types, n_args, consts, n_consts, err, errlen);
    if (k < 1 || k > SL_SQL_AGG_MAX_K) {
        snprintf(err, errlen, "Function '%s': k must be between 1 and %d, got %lld.", name, SL_SQL_AGG_MAX_K,
                 (long long)k);
        return SL_ERR_INVAL;
    }
    *state_type = *result_type = sl_sql_type_array(arena, arg_types[0]);
    return *state_type ? SL_OK : sl_sql_agg_nomem(err, errlen);
}

static sl_err_t topk_resolve(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n_args,
                             const sl_sql_datum_t *consts, uint32_t n_consts, const sl_sql_type_t **state_type,
                             const sl_sql_type_t **result_type, char *err, size_t errlen)
{
    return topk_resolve_named("TOPK", arena, arg_types, n_args, consts, n_consts, state_type, result_type, err,
                              errlen);
}

static sl_err_t topkd_resolve(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n_args,
                              const sl_sql_datum_t *consts, uint32_t n_consts, const sl_sql_type_t **state_type,
                              const sl_sql_type_t **result_type, char *err, size_t errlen)
{
    return topk_resolve_named("TOPKDISTINCT", arena, arg_types, n_args, consts, n_consts, state_type,
                              result_type, err, errlen);
}

static uint32_t topk_k(const sl_sql_agg_call_t *call)
{
    int64_t k = 1;
    sl_sql_agg_const_int(&call->consts[0], &k);
    return (uint32_t)k;
}

/* v inserted into the descending list *state (after equal values), the
 * list cut at k; distinct: nothing when an equal value is there. */
static void topk_insert(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *v, bool distinct,
                        sl_sql_datum_t *state)
{
    const sl_sql_type_t *t = call->arg_types[0];
    uint32_t n = coll_n(state), k = topk_k(call), at = 0;
    if (sl_sql_datum_is_null(v))
        return;
    while (at < n) {
        int c = sl_sql_datum_cmp(v, &state->u.a.items[at], t);
        if (c == 0 && distinct)
            return;
        if (c > 0)
            break;
        at++;
    }
    if (at >= k)
        return;
    uint32_t m = n < k ? n + 1 : k;
    sl_sql_datum_t next;
    if (!sl_sql_agg_array(arena, n ? state->u.a.items : NULL, at, m, &next))
        return;
    next.u.a.items[at] = *v;
    if (m > at + 1)
        memcpy(next.u.a.items + at + 1, state->u.a.items + at, (size_t)(m - at - 1) * sizeof(sl_sql_datum_t));
    *state = next;
}

static void topk_add(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *args,
                     sl_sql_datum_t *state)
{
    topk_insert(call, arena, &args[0], false, state);
}

static void topkd_add(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *args,
                      sl_sql_datum_t *state)
{
    topk_insert(call, arena, &args[0], true, state);
}

static void topk_merge(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *other,
                       sl_sql_datum_t *state)
{
    for (uint32_t i = 0; i < coll_n(other); i++)
        topk_insert(call, arena, &other->u.a.items[i], false, state);
}

static void topkd_merge(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *other,
                        sl_sql_datum_t *state)
{
    for (uint32_t i = 0; i < coll_n(other); i++)
        topk_insert(call, arena, &other->u.a.items[i], true, state);
}

const sl_sql_agg_t sl_sql_agg_topk = {topk_resolve, empty_array, topk_add, NULL, topk_merge, identity_result};
const sl_sql_agg_t sl_sql_agg_topk_distinct = {topkd_resolve, empty_array, topkd_add, NULL, topkd_merge,
                                               identity_result};
