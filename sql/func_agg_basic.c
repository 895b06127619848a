/*
 * func_agg_basic.c - COUNT, SUM, AVG, MIN and MAX.
 *
 * States: COUNT a BIGINT; SUM the argument's type (INT, BIGINT, DOUBLE,
 * DECIMAL(p,s): ksqlDB sums in the argument's type, INT and BIGINT wrapping
 * as Java's do); AVG STRUCT<SUM t, COUNT BIGINT> (t the argument's type,
 * DOUBLE for a DECIMAL) whose result is SUM / COUNT as a DOUBLE, 0.0 for no
 * values (as ksqlDB); MIN and MAX the argument's type, NULL until the
 * first non-null value. NULL arguments are ignored by all of them.
 * COUNT, SUM and AVG can undo (table aggregations); MIN and MAX cannot
 * (ksqlDB applies them to streams only).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "func_agg_int.h"

static const sl_sql_tkind_t sum_kinds[] = {SL_SQL_T_INT, SL_SQL_T_BIGINT, SL_SQL_T_DOUBLE, SL_SQL_T_DECIMAL};

/* --- Numeric steps shared by SUM and AVG ------------------------------------ */

static sl_sql_datum_t zero_of(const sl_sql_type_t *t)
{
    sl_sql_datum_t d = sl_sql_null();
    d.kind = (uint8_t)t->kind;
    if (t->kind == SL_SQL_T_DECIMAL)
        d.scale = t->scale;
    return d;
}

static sl_sql_i128_t pow10_i128(unsigned n)
{
    sl_sql_i128_t p = 1;
    while (n--)
        p *= 10;
    return p;
}

/* acc + sign * v in acc's type; false (acc unchanged) on a DECIMAL overflow
 * of the type's precision, which ksqlDB reports as a failed record. */
static bool num_step(const sl_sql_type_t *t, sl_sql_datum_t *acc, const sl_sql_datum_t *v, int sign)
{
    switch (t->kind) {
    case SL_SQL_T_INT: {
        uint32_t a = (uint32_t)acc->u.i32, b = (uint32_t)v->u.i32;
        acc->u.i32 = (int32_t)(sign > 0 ? a + b : a - b);
        return true;
    }
    case SL_SQL_T_BIGINT: {
        uint64_t a = (uint64_t)acc->u.i64, b = (uint64_t)v->u.i64;
        acc->u.i64 = (int64_t)(sign > 0 ? a + b : a - b);
        return true;
    }
    case SL_SQL_T_DOUBLE:
        acc->u.f64 = sign > 0 ? acc->u.f64 + v->u.f64 : acc->u.f64 - v->u.f64;
        return true;
    case SL_SQL_T_DECIMAL: {
        sl_sql_i128_t r;
        bool ovf = sign > 0 ? __builtin_add_overflow(acc->u.dec, v->u.dec, &r)
                            : __builtin_sub_overflow(acc->u.dec, v->u.dec, &r);
        sl_sql_i128_t lim = pow10_i128(t->precision);
        if (ovf || r >= lim || r <= -lim)
            return false;
        acc->u.dec = r;
        acc->scale = t->scale;
        return true;
    }
    default:
        return false;
    }
}

static double dec_to_double(const sl_sql_datum_t *d)
{
    return (double)d->u.dec / pow(10.0, d->scale);
}

static double num_to_double(const sl_sql_datum_t *d)
{
    switch (d->kind) {
    case SL_SQL_T_INT:
        return d->u.i32;
    case SL_SQL_T_BIGINT:
        return (double)d->u.i64;
    case SL_SQL_T_DOUBLE:
        return d->u.f64;
    case SL_SQL_T_DECIMAL:
        return dec_to_double(d);
    default:
        return 0.0;
    }
}

/* --- COUNT ---------------------------------------------------------------- */

static sl_err_t count_resolve(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n_args,
                              const sl_sql_datum_t *consts, uint32_t n_consts, const sl_sql_type_t **state_type,
                              const sl_sql_type_t **result_type, char *err, size_t errlen)
{
    (void)arena;
    if (n_args > 1 || n_consts)
        return sl_sql_agg_refuse("COUNT", arg_types, n_args, consts, n_consts, err, errlen);
    *state_type = *result_type = sl_sql_type_of(SL_SQL_T_BIGINT);
    return SL_OK;
}

static void count_init(const sl_sql_agg_call_t *call, sl_arena_t *arena, sl_sql_datum_t *state)
{
    (void)call, (void)arena;
    *state = sl_sql_bigint(0);
}

/* COUNT(*) (no argument) counts every record; COUNT(x) the non-null x. */
static bool count_counts(const sl_sql_agg_call_t *call, const sl_sql_datum_t *args)
{
    return call->n_args == 0 || !sl_sql_datum_is_null(&args[0]);
}

static void count_add(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *args,
                      sl_sql_datum_t *state)
{
    (void)arena;
    if (count_counts(call, args))
        *state = sl_sql_bigint(state->u.i64 + 1);
}

static void count_undo(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *args,
                       sl_sql_datum_t *state)
{
    (void)arena;
    if (count_counts(call, args))
        *state = sl_sql_bigint(state->u.i64 - 1);
}

static void count_merge(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *other,
                        sl_sql_datum_t *state)
{
    (void)call, (void)arena;
    *state = sl_sql_bigint(state->u.i64 + other->u.i64);
}

static void identity_result(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *state,
                            sl_sql_datum_t *out)
{
    (void)call, (void)arena;
    *out = *state;
}

const sl_sql_agg_t sl_sql_agg_count = {count_resolve, count_init, count_add, count_undo, count_merge,
                                       identity_result};

/* --- SUM ------------------------------------------------------------------ */

static sl_err_t sum_resolve(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n_args,
                            const sl_sql_datum_t *consts, uint32_t n_consts, const sl_sql_type_t **state_type,
                            const sl_sql_type_t **result_type, char *err, size_t errlen)
{
    (void)arena;
    if (n_args != 1 || n_consts || !sl_sql_agg_kind_in(arg_types[0], sum_kinds, 4))
        return sl_sql_agg_refuse("SUM", arg_types, n_args, consts, n_consts, err, errlen);
    *state_type = *result_type = arg_types[0];
    return SL_OK;
}

static void sum_init(const sl_sql_agg_call_t *call, sl_arena_t *arena, sl_sql_datum_t *state)
{
    (void)arena;
    *state = zero_of(call->arg_types[0]);
}

static void sum_add(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *args,
                    sl_sql_datum_t *state)
{
    (void)arena;
    if (!sl_sql_datum_is_null(&args[0]))
        num_step(call->arg_types[0], state, &args[0], 1);
}

static void sum_undo(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *args,
                     sl_sql_datum_t *state)
{
    (void)arena;
    if (!sl_sql_datum_is_null(&args[0]))
        num_step(call->arg_types[0], state, &args[0], -1);
}

static void sum_merge(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *other,
                      sl_sql_datum_t *state)
{
    (void)arena;
    num_step(call->arg_types[0], state, other, 1);
}

const sl_sql_agg_t sl_sql_agg_sum = {sum_resolve, sum_init, sum_add, sum_undo, sum_merge, identity_result};

/* --- AVG ------------------------------------------------------------------ */

/* The type AVG sums in: the argument's, DOUBLE for a DECIMAL. */
static const sl_sql_type_t *avg_sum_type(const sl_sql_type_t *arg)
{
    return arg->kind == SL_SQL_T_DECIMAL ? sl_sql_type_of(SL_SQL_T_DOUBLE) : arg;
}

static sl_err_t avg_resolve(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n_args,
                            const sl_sql_datum_t *consts, uint32_t n_consts, const sl_sql_type_t **state_type,
                            const sl_sql_type_t **result_type, char *err, size_t errlen)
{
    if (n_args != 1 || n_consts || !sl_sql_agg_kind_in(arg_types[0], sum_kinds, 4))
        return sl_sql_agg_refuse("AVG", arg_types, n_args, consts, n_consts, err, errlen);
    *state_type = sl_sql_agg_pair_type(arena, "SUM", avg_sum_type(arg_types[0]), "COUNT",
                                       sl_sql_type_of(SL_SQL_T_BIGINT));
    *result_type = sl_sql_type_of(SL_SQL_T_DOUBLE);
    return *state_type ? SL_OK : sl_sql_agg_nomem(err, errlen);
}

/* A new STRUCT<SUM, COUNT> state of these values; false when out of memory. */
static bool avg_make(sl_arena_t *arena, sl_sql_datum_t sum, int64_t count, sl_sql_datum_t *state)
{
    sl_sql_datum_t st;
    if (!sl_sql_agg_array(arena, NULL, 0, 2, &st))
        return false;
    st.kind = SL_SQL_T_STRUCT;
    st.u.a.items[0] = sum;
    st.u.a.items[1] = sl_sql_bigint(count);
    *state = st;
    return true;
}

static void avg_init(const sl_sql_agg_call_t *call, sl_arena_t *arena, sl_sql_datum_t *state)
{
    if (!avg_make(arena, zero_of(avg_sum_type(call->arg_types[0])), 0, state))
        *state = sl_sql_null();
}

/* A NULL state (init ran out of memory) reads as zero. */
static void avg_parts(const sl_sql_agg_call_t *call, const sl_sql_datum_t *state, sl_sql_datum_t *sum,
                      int64_t *count)
{
    if (state->kind != SL_SQL_T_STRUCT || state->u.a.n != 2) {
        *sum = zero_of(avg_sum_type(call->arg_types[0]));
        *count = 0;
        return;
    }
    *sum = state->u.a.items[0];
    *count = state->u.a.items[1].u.i64;
    if (sl_sql_datum_is_null(sum))
        *sum = zero_of(avg_sum_type(call->arg_types[0]));
}

static void avg_step(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *arg, int sign,
                     sl_sql_datum_t *state)
{
    if (sl_sql_datum_is_null(arg))
        return;
    const sl_sql_type_t *st = avg_sum_type(call->arg_types[0]);
    sl_sql_datum_t sum, v = *arg;
    int64_t count;
    avg_parts(call, state, &sum, &count);
    if (arg->kind == SL_SQL_T_DECIMAL)
        v = sl_sql_double(dec_to_double(arg));
    num_step(st, &sum, &v, sign);
    avg_make(arena, sum, count + sign, state);
}

static void avg_add(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *args,
                    sl_sql_datum_t *state)
{
    avg_step(call, arena, &args[0], 1, state);
}

static void avg_undo(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *args,
                     sl_sql_datum_t *state)
{
    avg_step(call, arena, &args[0], -1, state);
}

static void avg_merge(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *other,
                      sl_sql_datum_t *state)
{
    sl_sql_datum_t s1, s2;
    int64_t c1, c2;
    avg_parts(call, state, &s1, &c1);
    avg_parts(call, other, &s2, &c2);
    num_step(avg_sum_type(call->arg_types[0]), &s1, &s2, 1);
    avg_make(arena, s1, c1 + c2, state);
}

static void avg_result(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *state,
                       sl_sql_datum_t *out)
{
    (void)arena;
    sl_sql_datum_t sum;
    int64_t count;
    avg_parts(call, state, &sum, &count);
    *out = sl_sql_double(count == 0 ? 0.0 : num_to_double(&sum) / (double)count);
}

const sl_sql_agg_t sl_sql_agg_avg = {avg_resolve, avg_init, avg_add, avg_undo, avg_merge, avg_result};

/* --- MIN and MAX ---------------------------------------------------------- */

static const sl_sql_tkind_t minmax_kinds[] = {SL_SQL_T_INT,  SL_SQL_T_BIGINT, SL_SQL_T_DOUBLE,
                                              SL_SQL_T_DECIMAL, SL_SQL_T_DATE, SL_SQL_T_TIME,
                                              SL_SQL_T_TIMESTAMP, SL_SQL_T_STRING, SL_SQL_T_BYTES};

static sl_err_t minmax_resolve(const char *name, const sl_sql_type_t *const *arg_types, uint32_t n_args,
                               const sl_sql_datum_t *consts, uint32_t n_consts, const sl_sql_type_t **state_type,
                               const sl_sql_type_t **result_type, char *err, size_t errlen)
{
    if (n_args != 1 || n_consts ||
        !sl_sql_agg_kind_in(arg_types[0], minmax_kinds, sizeof minmax_kinds / sizeof minmax_kinds[0]))
        return sl_sql_agg_refuse(name, arg_types, n_args, consts, n_consts, err, errlen);
    *state_type = *result_type = arg_types[0];
    return SL_OK;
}

static sl_err_t min_resolve(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n_args,
                            const sl_sql_datum_t *consts, uint32_t n_consts, const sl_sql_type_t **state_type,
                            const sl_sql_type_t **result_type, char *err, size_t errlen)
{
    (void)arena;
    return minmax_resolve("MIN", arg_types, n_args, consts, n_consts, state_type, result_type, err, errlen);
}

static sl_err_t max_resolve(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n_args,
                            const sl_sql_datum_t *consts, uint32_t n_consts, const sl_sql_type_t **state_type,
                            const sl_sql_type_t **result_type, char *err, size_t errlen)
{
    (void)arena;
    return minmax_resolve("MAX", arg_types, n_args, consts, n_consts, state_type, result_type, err, errlen);
}

static void null_init(const sl_sql_agg_call_t *call, sl_arena_t *arena, sl_sql_datum_t *state)
{
    (void)call, (void)arena;
    *state = sl_sql_null();
}

/* Keeps v in *state when state is NULL or v compares to it with the sign
 * wanted (-1 for MIN, 1 for MAX). */
static void keep_extreme(const sl_sql_agg_call_t *call, const sl_sql_datum_t *v, int want, sl_sql_datum_t *state)
{
    if (sl_sql_datum_is_null(v))
        return;
    if (sl_sql_datum_is_null(state) || sl_sql_datum_cmp(v, state, call->arg_types[0]) == want)
        *state = *v;
}

static void min_add(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *args,
                    sl_sql_datum_t *state)
{
    (void)arena;
    keep_extreme(call, &args[0], -1, state);
}

static void min_merge(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *other,
                      sl_sql_datum_t *state)
{
    (void)arena;
    keep_extreme(call, other, -1, state);
}

static void max_add(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *args,
                    sl_sql_datum_t *state)
{
    (void)arena;
    keep_extreme(call, &args[0], 1, state);
}

static void max_merge(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *other,
                      sl_sql_datum_t *state)
{
    (void)arena;
    keep_extreme(call, other, 1, state);
}

const sl_sql_agg_t sl_sql_agg_min = {min_resolve, null_init, min_add, NULL, min_merge, identity_result};
const sl_sql_agg_t sl_sql_agg_max = {max_resolve, null_init, max_add, NULL, max_merge, identity_result};
