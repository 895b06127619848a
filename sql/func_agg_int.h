/*
 * func_agg_int.h - what the aggregate functions' files share (internal to
 * func_agg*.c): each file's behaviours, the helpers they have in common,
 * and the rules every behaviour follows.
 *
 * Rules of the sl_sql_agg_t behaviours defined here:
 *   - A state is never changed in place: add/undo/merge write a new datum
 *     to *state whose memory (new arrays, copied items) comes from the
 *     arena given; items of the old state may be shared by the new one.
 *     So a caller may keep the datum init() gave and hand copies of it to
 *     many groups.
 *   - merge(call, arena, other, state) makes *state = *state followed by
 *     other: for session windows, state is the earlier session.
 *   - Every state is bounded: collections stop at SL_SQL_AGG_COLLECT_LIMIT
 *     entries (COLLECT_LIST, COLLECT_SET, HISTOGRAM, as ksqlDB's defaults),
 *     TOPK/TOPKDISTINCT and the N forms of *_BY_OFFSET at their literal k
 *     (at most SL_SQL_AGG_MAX_K), COUNT_DISTINCT at a fixed register set.
 *   - Memory exhaustion while adding leaves the state as it was (the record
 *     is then not counted); it never crashes.
 */
#ifndef SL_SQL_FUNC_AGG_INT_H
#define SL_SQL_FUNC_AGG_INT_H

#include "expr_int.h"

#define SL_SQL_AGG_COLLECT_LIMIT 1000u
#define SL_SQL_AGG_MAX_K 1000

/* The behaviours (func_agg_basic.c). */
extern const sl_sql_agg_t sl_sql_agg_count;
extern const sl_sql_agg_t sl_sql_agg_sum;
extern const sl_sql_agg_t sl_sql_agg_avg;
extern const sl_sql_agg_t sl_sql_agg_min;
extern const sl_sql_agg_t sl_sql_agg_max;
/* func_agg_collect.c */
extern const sl_sql_agg_t sl_sql_agg_collect_list;
extern const sl_sql_agg_t sl_sql_agg_collect_set;
extern const sl_sql_agg_t sl_sql_agg_histogram;
extern const sl_sql_agg_t sl_sql_agg_topk;
extern const sl_sql_agg_t sl_sql_agg_topk_distinct;
/* func_agg_offset.c */
extern const sl_sql_agg_t sl_sql_agg_earliest;
extern const sl_sql_agg_t sl_sql_agg_latest;
/* func_agg_distinct.c */
extern const sl_sql_agg_t sl_sql_agg_count_distinct;
/* func_agg_stats.c */
extern const sl_sql_agg_t sl_sql_agg_stddev_samp;
extern const sl_sql_agg_t sl_sql_agg_stddev_sample;
extern const sl_sql_agg_t sl_sql_agg_correlation;

/* --- Helpers (func_agg.c) --------------------------------------------------- */

/* err = ksqlDB's "Function 'NAME' does not accept parameters (T1, T2).
 * Valid alternatives are: ..." naming the argument types (and the literal
 * parameters' types after them) and NAME's signatures, one a line. Returns
 * SL_ERR_INVAL. */
sl_err_t sl_sql_agg_refuse(const char *name, const sl_sql_type_t *const *arg_types, uint32_t n_args,
                           const sl_sql_datum_t *consts, uint32_t n_consts, char *err, size_t errlen);
/* err = "out of memory"; returns SL_ERR_NOMEM (a resolve whose type could
 * not be made). */
sl_err_t sl_sql_agg_nomem(char *err, size_t errlen);
/* Whether t is one of kinds[0..n). */
bool sl_sql_agg_kind_in(const sl_sql_type_t *t, const sl_sql_tkind_t *kinds, size_t n);
/* A literal parameter as an integer (INT or BIGINT datum); false otherwise. */
bool sl_sql_agg_const_int(const sl_sql_datum_t *d, int64_t *out);
/* A new array datum of n items (from arena) with the first n_copy taken
 * from src; false when out of memory. The rest are NULL. */
bool sl_sql_agg_array(sl_arena_t *arena, const sl_sql_datum_t *src, uint32_t n_copy, uint32_t n,
                      sl_sql_datum_t *out);
/* The struct type STRUCT<`A` a, `B` b> (from arena); NULL when out of memory. */
const sl_sql_type_t *sl_sql_agg_pair_type(sl_arena_t *arena, const char *a_name, const sl_sql_type_t *a,
                                          const char *b_name, const sl_sql_type_t *b);

#endif
