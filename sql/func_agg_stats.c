/*
 * func_agg_stats.c - STDDEV_SAMP, STDDEV_SAMPLE and CORRELATION, ksqlDB's
 * statistical aggregates.
 *
 * STDDEV_SAMP and STDDEV_SAMPLE keep STRUCT<SUM t, COUNT INTEGER, M2
 * DOUBLE> (t the argument's type: INT, BIGINT or DOUBLE; DOUBLE for a
 * DECIMAL) updated with the Youngs-Cramer steps ksqlDB uses, integer
 * arithmetic wrapping where Java's does. STDDEV_SAMPLE's result is the
 * sample standard deviation; STDDEV_SAMP's is, as in ksqlDB (whose tests
 * record the bug), its square, the sample variance. Both give 0.0 below
 * two values.
 *
 * CORRELATION(x, y) keeps STRUCT<X_SUM, Y_SUM, X_SQUARED_SUM,
 * Y_SQUARED_SUM, XY_SUM DOUBLE, COUNT BIGINT> and gives Pearson's
 * coefficient (NaN while it is undefined, as ksqlDB); a row with either
 * value NULL is ignored. All three can undo (table aggregations) and merge.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "func_agg_int.h"

static const sl_sql_tkind_t num_kinds[] = {SL_SQL_T_INT, SL_SQL_T_BIGINT, SL_SQL_T_DOUBLE, SL_SQL_T_DECIMAL};

static double as_double(const sl_sql_datum_t *d)
{
    switch (d->kind) {
    case SL_SQL_T_INT:
        return d->u.i32;
    case SL_SQL_T_BIGINT:
        return (double)d->u.i64;
    case SL_SQL_T_DOUBLE:
        return d->u.f64;
    case SL_SQL_T_DECIMAL:
        return (double)d->u.dec / pow(10.0, d->scale);
    default:
        return 0.0;
    }
}

/* A STRUCT state of n fields from vals; false when out of memory. */
static bool make_struct(sl_arena_t *arena, const sl_sql_datum_t *vals, uint32_t n, sl_sql_datum_t *state)
{
    sl_sql_datum_t st;
    if (!sl_sql_agg_array(arena, vals, n, n, &st))
        return false;
    st.kind = SL_SQL_T_STRUCT;
    *state = st;
    return true;
}

/* --- STDDEV_SAMP / STDDEV_SAMPLE ------------------------------------------- */

/* The state's parts: the sum (in its kind: INT, BIGINT or DOUBLE), the
 * count and M2. */
typedef struct sd_parts {
    sl_sql_tkind_t kind;
    int64_t isum;
    double dsum;
    int32_t count;
    double m2;
} sd_parts_t;

static sl_sql_tkind_t sd_sum_kind(const sl_sql_type_t *arg)
{
    return arg->kind == SL_SQL_T_INT || arg->kind == SL_SQL_T_BIGINT ? arg->kind : SL_SQL_T_DOUBLE;
}

static sl_err_t sd_resolve_named(const char *name, sl_arena_t *arena, const sl_sql_type_t *const *arg_types,
                                 uint32_t n_args, const sl_sql_datum_t *consts, uint32_t n_consts,
                                 const sl_sql_type_t **state_type, const sl_sql_type_t **result_type, char *err,
                                 size_t errlen)
{
    if (n_args != 1 || n_consts || !sl_sql_agg_kind_in(arg_types[0], num_kinds, 4))
        return sl_sql_agg_refuse(name, arg_types, n_args, consts, n_consts, err, errlen);
    sl_sql_field_t f[3] = {{"SUM", sl_sql_type_of(sd_sum_kind(arg_types[0]))},
                           {"COUNT", sl_sql_type_of(SL_SQL_T_INT)},
                           {"M2", sl_sql_type_of(SL_SQL_T_DOUBLE)}};
    *state_type = sl_sql_type_struct(arena, f, 3);
    *result_type = sl_sql_type_of(SL_SQL_T_DOUBLE);
    return *state_type ? SL_OK : sl_sql_agg_nomem(err, errlen);
}

static sl_err_t sd_samp_resolve(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n_args,
                                const sl_sql_datum_t *consts, uint32_t n_consts, const sl_sql_type_t **state_type,
                                const sl_sql_type_t **result_type, char *err, size_t errlen)
{
    return sd_resolve_named("STDDEV_SAMP", arena, arg_types, n_args, consts, n_consts, state_type, result_type,
                            err, errlen);
}

static sl_err_t sd_sample_resolve(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n_args,
                                  const sl_sql_datum_t *consts, uint32_t n_consts, const sl_sql_type_t **state_type,
                                  const sl_sql_type_t **result_type, char *err, size_t errlen)
{
    return sd_resolve_named("STDDEV_SAMPLE", arena, arg_types, n_args, consts, n_consts, state_type, result_type,
                            err, errlen);
}

static sd_parts_t sd_read(const sl_sql_agg_call_t *call, const sl_sql_datum_t *state)
{
    sd_parts_t p = {sd_sum_kind(call->arg_types[0]), 0, 0.0, 0, 0.0};
    if (state->kind != SL_SQL_T_STRUCT || state->u.a.n != 3)
        return p;
    const sl_sql_datum_t *s = state->u.a.items;
    if (s[0].kind == SL_SQL_T_INT)
        p.isum = s[0].u.i32;
    else if (s[0].kind == SL_SQL_T_BIGINT)
        p.isum = s[0].u.i64;
    else if (s[0].kind == SL_SQL_T_DOUBLE)
        p.dsum = s[0].u.f64;
    p.count = s[1].kind == SL_SQL_T_INT ? s[1].u.i32 : 0;
    p.m2 = s[2].kind == SL_SQL_T_DOUBLE ? s[2].u.f64 : 0.0;
    return p;
}

static void sd_write(sl_arena_t *arena, const sd_parts_t *p, sl_sql_datum_t *state)
{
    sl_sql_datum_t v[3];
    if (p->kind == SL_SQL_T_INT)
        v[0] = sl_sql_int((int32_t)p->isum);
    else if (p->kind == SL_SQL_T_BIGINT)
        v[0] = sl_sql_bigint(p->isum);
    else
        v[0] = sl_sql_double(p->dsum);
    v[1] = sl_sql_int(p->count);
    v[2] = sl_sql_double(p->m2);
    make_struct(arena, v, 3, state);
}

/* Java's int and long arithmetic (wrapping) in the sum's kind. */
static int64_t wrap(sl_sql_tkind_t kind, uint64_t x)
{
    return kind == SL_SQL_T_INT ? (int64_t)(int32_t)(uint32_t)x : (int64_t)x;
}

static int32_t imul(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a * (uint32_t)b);
}

/* ksqlDB's delta: v * (count + 1) - (sum + v), in the sum's arithmetic. */
static double sd_delta(const sd_parts_t *p, const sl_sql_datum_t *v)
{
    if (p->kind == SL_SQL_T_DOUBLE)
        return v->u.f64 * (p->count + 1) - (p->dsum + v->u.f64);
    int64_t x = p->kind == SL_SQL_T_INT ? v->u.i32 : v->u.i64;
    uint64_t c1 = (uint64_t)(int64_t)(p->count + 1);
    int64_t a = wrap(p->kind, (uint64_t)x * c1);
    int64_t b = wrap(p->kind, (uint64_t)p->isum + (uint64_t)x);
    return (double)wrap(p->kind, (uint64_t)a - (uint64_t)b);
}

/* The argument in the sum's kind (a DECIMAL as a DOUBLE). */
static sl_sql_datum_t sd_arg(const sd_parts_t *p, const sl_sql_datum_t *a)
{
    return p->kind == SL_SQL_T_DOUBLE && a->kind != SL_SQL_T_DOUBLE ? sl_sql_double(as_double(a)) : *a;
}

static void sd_init(const sl_sql_agg_call_t *call, sl_arena_t *arena, sl_sql_datum_t *state)
{
    sd_parts_t p = {sd_sum_kind(call->arg_types[0]), 0, 0.0, 0, 0.0};
    sd_write(arena, &p, state);
}

static void sd_add(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *args,
                   sl_sql_datum_t *state)
{
    if (sl_sql_datum_is_null(&args[0]))
        return;
    sd_parts_t p = sd_read(call, state);
    sl_sql_datum_t v = sd_arg(&p, &args[0]);
    int32_t n = p.count + 1;
    double m2 = 0.0;
    if (n - 1 > 0) {
        double d = sd_delta(&p, &v);
        m2 = d * d / (double)imul(n, n - 1);
    }
    if (p.kind == SL_SQL_T_DOUBLE)
        p.dsum += v.u.f64;
    else
        p.isum = wrap(p.kind, (uint64_t)p.isum + (uint64_t)(p.kind == SL_SQL_T_INT ? v.u.i32 : v.u.i64));
    p.count = n;
    p.m2 += m2;
    sd_write(arena, &p, state);
}

static void sd_undo(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *args,
                    sl_sql_datum_t *state)
{
    if (sl_sql_datum_is_null(&args[0]))
        return;
    sd_parts_t p = sd_read(call, state);
    sl_sql_datum_t v = sd_arg(&p, &args[0]);
    int32_t n = p.count - 1;
    double m2 = 0.0;
    if (n > 0) {
        double d = sd_delta(&p, &v);
        m2 = d * d / (double)imul(n, n + 1);
    }
    if (p.kind == SL_SQL_T_DOUBLE)
        p.dsum -= v.u.f64;
    else
        p.isum = wrap(p.kind, (uint64_t)p.isum - (uint64_t)(p.kind == SL_SQL_T_INT ? v.u.i32 : v.u.i64));
    p.count = n;
    p.m2 -= m2;
    sd_write(arena, &p, state);
}

static void sd_merge(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *other,
                     sl_sql_datum_t *state)
{
    sd_parts_t a = sd_read(call, state), b = sd_read(call, other);
    int32_t n = a.count + b.count;
    double m2 = a.m2 + b.m2;
    if (a.count != 0 && b.count != 0) {
        /* ksqlDB divides the integer sums by the counts in integer arithmetic */
        double inner = a.kind == SL_SQL_T_DOUBLE ? a.dsum / a.count - b.dsum / b.count
                                                 : (double)(a.isum / a.count - b.isum / b.count);
        m2 += (double)imul(a.count, b.count) * inner * inner / n;
    }
    if (a.kind == SL_SQL_T_DOUBLE)
        a.dsum += b.dsum;
    else
        a.isum = wrap(a.kind, (uint64_t)a.isum + (uint64_t)b.isum);
    a.count = n;
    a.m2 = m2;
    sd_write(arena, &a, state);
}

static double sd_variance(const sl_sql_agg_call_t *call, const sl_sql_datum_t *state)
{
    sd_parts_t p = sd_read(call, state);
    return p.count < 2 ? 0.0 : p.m2 / (double)(p.count - 1);
}

static void sd_samp_result(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *state,
                           sl_sql_datum_t *out)
{
    (void)arena;
    *out = sl_sql_double(sd_variance(call, state));
}

static void sd_sample_result(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *state,
                             sl_sql_datum_t *out)
{
    (void)arena;
    *out = sl_sql_double(sqrt(sd_variance(call, state)));
}

const sl_sql_agg_t sl_sql_agg_stddev_samp = {sd_samp_resolve, sd_init, sd_add, sd_undo, sd_merge, sd_samp_result};
const sl_sql_agg_t sl_sql_agg_stddev_sample = {sd_sample_resolve, sd_init,  sd_add,
                                               sd_undo,           sd_merge, sd_sample_result};

/* --- CORRELATION -------------------------------------------------------------- */

enum { CO_X, CO_Y, CO_XX, CO_YY, CO_XY, CO_N_SUMS };

static sl_err_t co_resolve(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n_args,
                           const sl_sql_datum_t *consts, uint32_t n_consts, const sl_sql_type_t **state_type,
                           const sl_sql_type_t **result_type, char *err, size_t errlen)
{
    if (n_args != 2 || n_consts || !sl_sql_agg_kind_in(arg_types[0], num_kinds, 4) ||
        !sl_sql_agg_kind_in(arg_types[1], num_kinds, 4))
        return sl_sql_agg_refuse("CORRELATION", arg_types, n_args, consts, n_consts, err, errlen);
    const sl_sql_type_t *d = sl_sql_type_of(SL_SQL_T_DOUBLE);
    sl_sql_field_t f[6] = {{"X_SUM", d},         {"Y_SUM", d},  {"X_SQUARED_SUM", d},
                           {"Y_SQUARED_SUM", d}, {"XY_SUM", d}, {"COUNT", sl_sql_type_of(SL_SQL_T_BIGINT)}};
    *state_type = sl_sql_type_struct(arena, f, 6);
    *result_type = d;
    return *state_type ? SL_OK : sl_sql_agg_nomem(err, errlen);
}

/* The five sums and the count of a state (zeros for a malformed one). */
static void co_read(const sl_sql_datum_t *state, double *sums, int64_t *count)
{
    bool ok = state->kind == SL_SQL_T_STRUCT && state->u.a.n == CO_N_SUMS + 1;
    for (int i = 0; i < CO_N_SUMS; i++)
        sums[i] = ok && state->u.a.items[i].kind == SL_SQL_T_DOUBLE ? state->u.a.items[i].u.f64 : 0.0;
    *count = ok && state->u.a.items[CO_N_SUMS].kind == SL_SQL_T_BIGINT ? state->u.a.items[CO_N_SUMS].u.i64 : 0;
}

static void co_write(sl_arena_t *arena, const double *sums, int64_t count, sl_sql_datum_t *state)
{
    sl_sql_datum_t v[CO_N_SUMS + 1];
    for (int i = 0; i < CO_N_SUMS; i++)
        v[i] = sl_sql_double(sums[i]);
    v[CO_N_SUMS] = sl_sql_bigint(count);
    make_struct(arena, v, CO_N_SUMS + 1, state);
}

static void co_init(const sl_sql_agg_call_t *call, sl_arena_t *arena, sl_sql_datum_t *state)
{
    (void)call;
    double z[CO_N_SUMS] = {0};
    co_write(arena, z, 0, state);
}

static void co_step(sl_arena_t *arena, const sl_sql_datum_t *args, double sign, sl_sql_datum_t *state)
{
    if (sl_sql_datum_is_null(&args[0]) || sl_sql_datum_is_null(&args[1]))
        return;
    double s[CO_N_SUMS], x = as_double(&args[0]), y = as_double(&args[1]);
    int64_t n;
    co_read(state, s, &n);
    s[CO_X] += sign * x;
    s[CO_Y] += sign * y;
    s[CO_XX] += sign * x * x;
    s[CO_YY] += sign * y * y;
    s[CO_XY] += sign * x * y;
    co_write(arena, s, n + (int64_t)sign, state);
}

static void co_add(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *args,
                   sl_sql_datum_t *state)
{
    (void)call;
    co_step(arena, args, 1.0, state);
}

static void co_undo(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *args,
                    sl_sql_datum_t *state)
{
    (void)call;
    co_step(arena, args, -1.0, state);
}

static void co_merge(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *other,
                     sl_sql_datum_t *state)
{
    (void)call;
    double a[CO_N_SUMS], b[CO_N_SUMS];
    int64_t na, nb;
    co_read(state, a, &na);
    co_read(other, b, &nb);
    for (int i = 0; i < CO_N_SUMS; i++)
        a[i] += b[i];
    co_write(arena, a, na + nb, state);
}

static void co_result(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *state,
                      sl_sql_datum_t *out)
{
    (void)call, (void)arena;
    double s[CO_N_SUMS];
    int64_t n;
    co_read(state, s, &n);
    double c = (double)n;
    double num = c * s[CO_XY] - s[CO_X] * s[CO_Y];
    double dx = c * s[CO_XX] - s[CO_X] * s[CO_X];
    double dy = c * s[CO_YY] - s[CO_Y] * s[CO_Y];
    *out = sl_sql_double(num / sqrt(dx * dy));
}

const sl_sql_agg_t sl_sql_agg_correlation = {co_resolve, co_init, co_add, co_undo, co_merge, co_result};
