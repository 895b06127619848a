/*
 * func_agg_offset.c - EARLIEST_BY_OFFSET and LATEST_BY_OFFSET, in the four
 * forms ksqlDB has: (col), (col, ignoreNulls), (col, n), (col, n,
 * ignoreNulls); ignoreNulls defaults to true.
 *
 * "By offset" means by the order records reach the aggregation: within one
 * group that is its input partition's offset order. As in ksqlDB, each value
 * kept is stamped with a sequence number taken from one process-wide
 * counter, and only merging two states (session windows) compares stamps:
 * the sequence needs no record metadata. The counter starts at the wall
 * clock in microseconds so that stamps kept in a state store by an earlier
 * run stay older than new ones (as long as that run stamped fewer values
 * than it lived microseconds, i.e. under a million a second on average).
 *
 * States: STRUCT<SEQ BIGINT, VAL t> (SEQ NULL: nothing kept yet) for the
 * single forms, whose result is VAL; ARRAY<STRUCT<SEQ BIGINT, VAL t>> in
 * ascending SEQ order (at most n entries) for the N forms, whose result is
 * the ARRAY<t> of the VALs. Neither can undo (stream only in ksqlDB).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "func_agg_int.h"

static _Atomic int64_t seq_next;

static int64_t next_seq(void)
{
    if (atomic_load_explicit(&seq_next, memory_order_relaxed) == 0) {
        int64_t zero = 0;
        atomic_compare_exchange_strong(&seq_next, &zero, sl_time_wall_ms() * 1000);
    }
    return atomic_fetch_add_explicit(&seq_next, 1, memory_order_relaxed);
}

typedef struct offset_opts {
    uint32_t n;         /* 0: the single-value form */
    bool ignore_nulls;
} offset_opts_t;

/* Reads the literal parameters; false if they are not one of the forms. */
static bool parse_opts(const sl_sql_datum_t *consts, uint32_t n_consts, offset_opts_t *o)
{
    int64_t n;
    uint32_t at = 0;
    o->n = 0;
    o->ignore_nulls = true;
    if (at < n_consts && sl_sql_agg_const_int(&consts[at], &n)) {
        if (n < 1 || n > SL_SQL_AGG_MAX_K)
            return false;
        o->n = (uint32_t)n;
        at++;
    }
    if (at < n_consts && consts[at].kind == SL_SQL_T_BOOLEAN) {
        o->ignore_nulls = consts[at].u.b;
        at++;
    }
    return at == n_consts;
}

static offset_opts_t call_opts(const sl_sql_agg_call_t *call)
{
    offset_opts_t o;
    parse_opts(call->consts, call->n_consts, &o);
    return o;
}

static sl_err_t offset_resolve(const char *name, const char *n_name, sl_arena_t *arena,
                               const sl_sql_type_t *const *arg_types, uint32_t n_args, const sl_sql_datum_t *consts,
                               uint32_t n_consts, const sl_sql_type_t **state_type,
                               const sl_sql_type_t **result_type, char *err, size_t errlen)
{
    offset_opts_t o;
    int64_t n;
    if (n_args != 1 || arg_types[0]->kind == SL_SQL_T_NULL)
        return sl_sql_agg_refuse(name, arg_types, n_args, consts, n_consts, err, errlen);
    if (n_consts && sl_sql_agg_const_int(&consts[0], &n) && (n < 1 || n > SL_SQL_AGG_MAX_K)) {
        snprintf(err, errlen, "%s must be between 1 and %d", n_name, SL_SQL_AGG_MAX_K);
        return SL_ERR_INVAL;
    }
    if (!parse_opts(consts, n_consts, &o))
        return sl_sql_agg_refuse(name, arg_types, n_args, consts, n_consts, err, errlen);
    const sl_sql_type_t *entry = sl_sql_agg_pair_type(arena, "SEQ", sl_sql_type_of(SL_SQL_T_BIGINT), "VAL",
                                                      arg_types[0]);
    if (!entry)
        goto nomem;
    if (o.n == 0) {
        *state_type = entry;
        *result_type = arg_types[0];
        return SL_OK;
    }
    *state_type = sl_sql_type_array(arena, entry);
    *result_type = sl_sql_type_array(arena, arg_types[0]);
    if (*state_type && *result_type)
        return SL_OK;
nomem:
    return sl_sql_agg_nomem(err, errlen);
}

static sl_err_t earliest_resolve(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n_args,
                                 const sl_sql_datum_t *consts, uint32_t n_consts, const sl_sql_type_t **state_type,
                                 const sl_sql_type_t **result_type, char *err, size_t errlen)
{
    return offset_resolve("EARLIEST_BY_OFFSET", "earliestN", arena, arg_types, n_args, consts, n_consts,
                          state_type, result_type, err, errlen);
}

static sl_err_t latest_resolve(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n_args,
                               const sl_sql_datum_t *consts, uint32_t n_consts, const sl_sql_type_t **state_type,
                               const sl_sql_type_t **result_type, char *err, size_t errlen)
{
    return offset_resolve("LATEST_BY_OFFSET", "latestN", arena, arg_types, n_args, consts, n_consts, state_type,
                          result_type, err, errlen);
}

/* A STRUCT<SEQ, VAL> entry; false when out of memory. */
static bool make_entry(sl_arena_t *arena, sl_sql_datum_t seq, const sl_sql_datum_t *val, sl_sql_datum_t *out)
{
    if (!sl_sql_agg_array(arena, NULL, 0, 2, out))
        return false;
    out->kind = SL_SQL_T_STRUCT;
    out->u.a.items[0] = seq;
    out->u.a.items[1] = *val;
    return true;
}

/* An entry's parts; a NULL or malformed one has neither. */
static bool entry_kept(const sl_sql_datum_t *e)
{
    return e->kind == SL_SQL_T_STRUCT && e->u.a.n == 2 && !sl_sql_datum_is_null(&e->u.a.items[0]);
}

static void offset_init(const sl_sql_agg_call_t *call, sl_arena_t *arena, sl_sql_datum_t *state)
{
    sl_sql_datum_t nul = sl_sql_null();
    if (call_opts(call).n) {
        sl_sql_agg_array(arena, NULL, 0, 0, state);
        return;
    }
    if (!make_entry(arena, nul, &nul, state))
        *state = sl_sql_null();
}

static uint32_t list_n(const sl_sql_datum_t *state)
{
    return state->kind == SL_SQL_T_ARRAY ? state->u.a.n : 0;
}

/* Appends a stamped v to the N form's list; latest drops the oldest past n,
 * earliest keeps the list once full. */
static void list_add(sl_arena_t *arena, const offset_opts_t *o, bool latest, const sl_sql_datum_t *v,
                     sl_sql_datum_t *state)
{
    uint32_t n = list_n(state), drop = 0;
    sl_sql_datum_t entry, next;
    if (n >= o->n) {
        if (!latest)
            return;
        drop = n - o->n + 1;
    }
    if (!make_entry(arena, sl_sql_bigint(next_seq()), v, &entry) ||
        !sl_sql_agg_array(arena, n > drop ? state->u.a.items + drop : NULL, n - drop, n - drop + 1, &next))
        return;
    next.u.a.items[n - drop] = entry;
    *state = next;
}

static void offset_add(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *args,
                       sl_sql_datum_t *state, bool latest)
{
    offset_opts_t o = call_opts(call);
    if (o.ignore_nulls && sl_sql_datum_is_null(&args[0]))
        return;
    if (o.n) {
        list_add(arena, &o, latest, &args[0], state);
        return;
    }
    if (!latest && entry_kept(state))
        return;
    make_entry(arena, sl_sql_bigint(next_seq()), &args[0], state);
}

static void earliest_add(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *args,
                         sl_sql_datum_t *state)
{
    offset_add(call, arena, args, state, false);
}

static void latest_add(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *args,
                       sl_sql_datum_t *state)
{
    offset_add(call, arena, args, state, true);
}

/* Whether a single-form merge keeps b over a: a kept entry beats none;
 * with ignoreNulls a non-NULL value beats a NULL one; otherwise the larger
 * stamp (latest) or the smaller one (earliest), a on a tie. */
static bool keep_b(const sl_sql_datum_t *a, const sl_sql_datum_t *b, bool ignore_nulls, bool latest)
{
    bool ka = entry_kept(a), kb = entry_kept(b);
    if (!ka || !kb)
        return kb && !ka;
    if (ignore_nulls) {
        bool na = sl_sql_datum_is_null(&a->u.a.items[1]), nb = sl_sql_datum_is_null(&b->u.a.items[1]);
        if (na != nb)
            return na;
    }
    int64_t sa = a->u.a.items[0].u.i64, sb = b->u.a.items[0].u.i64;
    return latest ? sb > sa : sb < sa;
}

static int64_t entry_seq(const sl_sql_datum_t *e)
{
    return entry_kept(e) ? e->u.a.items[0].u.i64 : INT64_MIN;
}

/* The N form: both lists merged by stamp, cut to the first (earliest) or
 * last (latest) n. */
static void list_merge(sl_arena_t *arena, const offset_opts_t *o, bool latest, const sl_sql_datum_t *other,
                       sl_sql_datum_t *state)
{
    uint32_t na = list_n(state), nb = list_n(other), i = 0, j = 0, k = 0;
    sl_sql_datum_t all, next;
    if (!sl_sql_agg_array(arena, NULL, 0, na + nb, &all))
        return;
    while (i < na || j < nb) {
        bool take_a = j >= nb || (i < na && entry_seq(&state->u.a.items[i]) <= entry_seq(&other->u.a.items[j]));
        all.u.a.items[k++] = take_a ? state->u.a.items[i++] : other->u.a.items[j++];
    }
    uint32_t keep = k < o->n ? k : o->n;
    uint32_t from = latest ? k - keep : 0;
    if (!sl_sql_agg_array(arena, keep ? all.u.a.items + from : NULL, keep, keep, &next))
        return;
    *state = next;
}

static void offset_merge(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *other,
                         sl_sql_datum_t *state, bool latest)
{
    offset_opts_t o = call_opts(call);
    if (o.n) {
        list_merge(arena, &o, latest, other, state);
        return;
    }
    if (keep_b(state, other, o.ignore_nulls, latest))
        *state = *other;
}

static void earliest_merge(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *other,
                           sl_sql_datum_t *state)
{
    offset_merge(call, arena, other, state, false);
}

static void latest_merge(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *other,
                         sl_sql_datum_t *state)
{
    offset_merge(call, arena, other, state, true);
}

static void offset_result(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *state,
                          sl_sql_datum_t *out)
{
    if (!call_opts(call).n) {
        *out = entry_kept(state) ? state->u.a.items[1] : sl_sql_null();
        return;
    }
    uint32_t n = list_n(state);
    if (!sl_sql_agg_array(arena, NULL, 0, n, out)) {
        *out = sl_sql_null();
        return;
    }
    for (uint32_t i = 0; i < n; i++) {
        const sl_sql_datum_t *e = &state->u.a.items[i];
        out->u.a.items[i] = e->kind == SL_SQL_T_STRUCT && e->u.a.n == 2 ? e->u.a.items[1] : sl_sql_null();
    }
}

const sl_sql_agg_t sl_sql_agg_earliest = {earliest_resolve, offset_init,    earliest_add, NULL,
                                          earliest_merge,   offset_result};
const sl_sql_agg_t sl_sql_agg_latest = {latest_resolve, offset_init, latest_add, NULL, latest_merge, offset_result};
