/*
 * func_agg_distinct.c - COUNT_DISTINCT: how many distinct non-null values
 * a group has.
 *
 * ksqlDB estimates with HyperLogLog (2^14 registers). Here the state is
 * STRUCT<HASHES ARRAY<BIGINT>, REGISTERS BYTES>: while a group has at most
 * SL_SQL_AGG_COLLECT_LIMIT distinct values it keeps their 64-bit hashes,
 * sorted, and counts exactly (small groups, which tests look at, get the
 * true count); past that it switches to 2^14 HyperLogLog registers (HASHES
 * NULL), a bounded state with a typical error under 1%. No undo (stream
 * only in ksqlDB).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "func_agg_int.h"

#define HLL_P 14
#define HLL_M (1u << HLL_P)

static sl_err_t cd_resolve(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n_args,
                           const sl_sql_datum_t *consts, uint32_t n_consts, const sl_sql_type_t **state_type,
                           const sl_sql_type_t **result_type, char *err, size_t errlen)
{
    if (n_args != 1 || n_consts || arg_types[0]->kind == SL_SQL_T_NULL)
        return sl_sql_agg_refuse("COUNT_DISTINCT", arg_types, n_args, consts, n_consts, err, errlen);
    const sl_sql_type_t *hashes = sl_sql_type_array(arena, sl_sql_type_of(SL_SQL_T_BIGINT));
    *state_type = hashes ? sl_sql_agg_pair_type(arena, "HASHES", hashes, "REGISTERS",
                                                sl_sql_type_of(SL_SQL_T_BYTES))
                         : NULL;
    *result_type = sl_sql_type_of(SL_SQL_T_BIGINT);
    return *state_type ? SL_OK : sl_sql_agg_nomem(err, errlen);
}

/* A well-mixed 64-bit hash (the datum hash need only be consistent with
 * equality; HyperLogLog needs its bits spread). */
static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

typedef struct cd_view {
    const sl_sql_datum_t *hashes;   /* exact mode: n sorted BIGINTs */
    uint32_t n;
    const uint8_t *regs;            /* estimate mode: HLL_M registers */
} cd_view_t;

static cd_view_t cd_read(const sl_sql_datum_t *state)
{
    cd_view_t v = {NULL, 0, NULL};
    if (state->kind != SL_SQL_T_STRUCT || state->u.a.n != 2)
        return v;
    const sl_sql_datum_t *h = &state->u.a.items[0], *r = &state->u.a.items[1];
    if (r->kind == SL_SQL_T_BYTES && r->u.s.len == HLL_M) {
        v.regs = (const uint8_t *)r->u.s.ptr;
        return v;
    }
    if (h->kind == SL_SQL_T_ARRAY) {
        v.hashes = h->u.a.items;
        v.n = h->u.a.n;
    }
    return v;
}

/* A new state of the hashes array (exact mode) or of registers. */
static bool cd_make(sl_arena_t *arena, const sl_sql_datum_t *hashes, const uint8_t *regs, sl_sql_datum_t *state)
{
    sl_sql_datum_t st;
    if (!sl_sql_agg_array(arena, NULL, 0, 2, &st))
        return false;
    st.kind = SL_SQL_T_STRUCT;
    if (regs) {
        st.u.a.items[1].kind = SL_SQL_T_BYTES;
        st.u.a.items[1].u.s.ptr = (const char *)regs;
        st.u.a.items[1].u.s.len = HLL_M;
    } else if (hashes) {
        st.u.a.items[0] = *hashes;
    } else if (!sl_sql_agg_array(arena, NULL, 0, 0, &st.u.a.items[0])) {
        return false;
    }
    *state = st;
    return true;
}

/* The register a hash goes to (its top bits) and the rank it offers (the
 * position of the first 1 in the rest; a stop bit bounds it). */
static uint32_t hll_index(uint64_t h)
{
    return (uint32_t)(h >> (64 - HLL_P));
}

static uint8_t hll_rank(uint64_t h)
{
    return (uint8_t)(__builtin_clzll((h << HLL_P) | (1ull << (HLL_P - 1))) + 1);
}

static void hll_offer(uint8_t *regs, uint64_t h)
{
    uint8_t rank = hll_rank(h);
    if (rank > regs[hll_index(h)])
        regs[hll_index(h)] = rank;
}

/* Registers holding v's registers (or, in exact mode, its hashes). */
static uint8_t *cd_regs(sl_arena_t *arena, const cd_view_t *v)
{
    uint8_t *regs = sl_arena_zalloc(arena, HLL_M);
    if (!regs)
        return NULL;
    if (v->regs)
        memcpy(regs, v->regs, HLL_M);
    for (uint32_t i = 0; i < v->n; i++)
        hll_offer(regs, (uint64_t)v->hashes[i].u.i64);
    return regs;
}

static void cd_init(const sl_sql_agg_call_t *call, sl_arena_t *arena, sl_sql_datum_t *state)
{
    (void)call;
    if (!cd_make(arena, NULL, NULL, state))
        *state = sl_sql_null();
}

/* state with hash h added. */
static void cd_offer(sl_arena_t *arena, uint64_t h, sl_sql_datum_t *state)
{
    cd_view_t v = cd_read(state);
    if (!v.regs) {
        uint32_t lo = 0, hi = v.n;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if ((uint64_t)v.hashes[mid].u.i64 < h)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < v.n && (uint64_t)v.hashes[lo].u.i64 == h)
            return;
        if (v.n < SL_SQL_AGG_COLLECT_LIMIT) {
            sl_sql_datum_t grown, next;
            if (!sl_sql_agg_array(arena, v.hashes, lo, v.n + 1, &grown))
                return;
            grown.u.a.items[lo] = sl_sql_bigint((int64_t)h);
            if (v.n > lo)
                memcpy(grown.u.a.items + lo + 1, v.hashes + lo, (size_t)(v.n - lo) * sizeof(sl_sql_datum_t));
            if (cd_make(arena, &grown, NULL, &next))
                *state = next;
            return;
        }
    }
    if (v.regs) {
        /* most values of a large group change no register: keep the state */
        if (hll_rank(h) <= v.regs[hll_index(h)])
            return;
    }
    uint8_t *regs = cd_regs(arena, &v);
    sl_sql_datum_t next;
    if (!regs)
        return;
    hll_offer(regs, h);
    if (cd_make(arena, NULL, regs, &next))
        *state = next;
}

static void cd_add(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *args,
                   sl_sql_datum_t *state)
{
    if (!sl_sql_datum_is_null(&args[0]))
        cd_offer(arena, mix(sl_sql_datum_hash(&args[0], call->arg_types[0])), state);
}

static void cd_merge(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *other,
                     sl_sql_datum_t *state)
{
    (void)call;
    cd_view_t a = cd_read(state), b = cd_read(other);
    if (!a.regs && !b.regs) {
        for (uint32_t i = 0; i < b.n; i++)
            cd_offer(arena, (uint64_t)b.hashes[i].u.i64, state);
        return;
    }
    uint8_t *ra = cd_regs(arena, &a), *rb = cd_regs(arena, &b);
    sl_sql_datum_t next;
    if (!ra || !rb)
        return;
    for (uint32_t i = 0; i < HLL_M; i++) {
        if (rb[i] > ra[i])
            ra[i] = rb[i];
    }
    if (cd_make(arena, NULL, ra, &next))
        *state = next;
}

static int64_t hll_estimate(const uint8_t *regs)
{
    double m = HLL_M, sum = 0.0;
    uint32_t zeros = 0;
    for (uint32_t i = 0; i < HLL_M; i++) {
        sum += ldexp(1.0, -(int)regs[i]);
        zeros += regs[i] == 0;
    }
    double e = 0.7213 / (1.0 + 1.079 / m) * m * m / sum;
    if (e <= 2.5 * m && zeros)
        e = m * log(m / zeros);
    return (int64_t)llround(e);
}

static void cd_result(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *state,
                      sl_sql_datum_t *out)
{
    (void)call, (void)arena;
    cd_view_t v = cd_read(state);
    *out = sl_sql_bigint(v.regs ? hll_estimate(v.regs) : v.n);
}

const sl_sql_agg_t sl_sql_agg_count_distinct = {cd_resolve, cd_init, cd_add, NULL, cd_merge, cd_result};
