/*
 * lower_int.h - what the lowering files (lower.c, lower_source.c,
 * lower_stateless.c, lower_aggregate.c, lower_join.c, lower_sink.c) share:
 * the lowering context, the handle a lowered plan node becomes, and the
 * helpers every operator uses (node names, internal serdes, the per-record
 * evaluation context, the processing log).
 *
 * Values between the operators of a lowered query: keys are SL_V_PTR rows
 * (SL_V_WINDOWED around one when windowed, SL_V_NULL for a keyless
 * stream), values SL_V_PTR rows (SL_V_NULL: a table's tombstone). Every
 * stream carries the internal serdes of its schema, so the repartitions
 * the streams builder inserts (grouping, joining after a key change) can
 * write the rows.
 */
#ifndef SL_SQL_LOWER_INT_H
#define SL_SQL_LOWER_INT_H

#include "plan_int.h"
#include "streams.h"

/* One lowered plan node: a stream or a table (exactly one is set). */
typedef struct sl_lw {
    sl_stream_t *s;
    sl_table_t *t;
    const sl_sql_plan_t *p;         /* the node whose output this is */
} sl_lw_t;

typedef struct sl_lower_ctx {
    sl_builder_t *b;
    const sl_sql_lower_env_t *env;
    sl_arena_t *arena;              /* env->arena */
    sl_sql_error_t *err;
    bool failed;
    sl_err_t code;                  /* the failure's code */
    /* node names handed out (to keep them unique) */
    const char **names;
    uint32_t n_names, cap_names;
    /* source plans lowered so far (a source read twice, e.g. a self join,
     * is decoded once) */
    sl_lw_t *sources;
    uint32_t n_sources, cap_sources;
    /* a SUPPRESS above: the aggregate below it suppresses its own table */
    bool suppress_pending;
    /* an aggregate whose rows only a projection reads (through filters):
     * the states need not be trimmed off its rows */
    const sl_sql_plan_t *untrimmed;
} sl_lower_ctx_t;

/* What a logging record processor knows of its query. */
typedef struct sl_lower_log {
    const sl_lower_ctx_t *lc;       /* valid while lowering only: see env */
    const sl_sql_lower_env_t *env;
    const char *node;               /* the plan node's id, for the logger name */
    bool branch;                    /* log records go to a sink branch */
} sl_lower_log_t;

/* --- lower.c ---------------------------------------------------------------- */

/* Lowers p (recursively). On failure returns a handle with neither set and
 * lc->failed with lc->err filled. */
sl_lw_t sl_lower_node(sl_lower_ctx_t *lc, const sl_sql_plan_t *p);
/* Fails the lowering (first error wins); returns an empty handle. */
sl_lw_t sl_lower_fail(sl_lower_ctx_t *lc, sl_err_t code, const char *fmt, ...) SL_PRINTF(3, 4);
/* A unique node name "<base>" or "<base>-<n>" (arena memory). */
const char *sl_lower_name(sl_lower_ctx_t *lc, const char *base, const char *suffix);
/* Arena memory (zeroed); NULL fails the lowering with SL_ERR_NOMEM. */
void *sl_lower_alloc(sl_lower_ctx_t *lc, size_t n);
/* The internal serde of the key / value columns of a schema (NULL for no
 * columns: keys of keyless streams are null). */
const sl_serde_t *sl_lower_key_serde(sl_lower_ctx_t *lc, const sl_sql_schema_t *s);
const sl_serde_t *sl_lower_value_serde(sl_lower_ctx_t *lc, const sl_sql_schema_t *s);
/* p's key serde: the internal one, windowed when p's key is. */
const sl_serde_t *sl_lower_plan_key_serde(sl_lower_ctx_t *lc, const sl_sql_plan_t *p);
/* The internal serde of n columns' types. */
const sl_serde_t *sl_lower_cols_serde(sl_lower_ctx_t *lc, const sl_sql_column_t *cols, uint32_t n);
/* Declares p's internal serdes on s (so repartitions can write it). */
sl_stream_t *sl_lower_with_serdes(sl_lower_ctx_t *lc, sl_stream_t *s, const sl_sql_plan_t *p);
/* A logging description for a processor of node p. */
sl_lower_log_t *sl_lower_log_new(sl_lower_ctx_t *lc, const sl_sql_plan_t *p);
/* Whether evaluating one of exprs[0..n) can meet a runtime error (a cast,
 * a function, arithmetic...): nodes whose expressions cannot fail need no
 * branch to the log topic. */
bool sl_lower_may_fail(sl_sql_expr_t *const *exprs, uint32_t n);
/* Adds the processing-log branch after a logging stream node when the
 * query has a log topic: log records (null key, a JSON string value) go to
 * the topic, the rest is returned. Without a log topic returns s. */
sl_stream_t *sl_lower_log_branch(sl_lower_ctx_t *lc, sl_stream_t *s, sl_lower_log_t *log, const char *name);
/* A stream node running fn (a flat mapper) over s, followed by its log
 * branch and p's serdes; rekey: the node changes the key (a repartition
 * follows before grouping or joining). */
sl_stream_t *sl_lower_stream_node(sl_lower_ctx_t *lc, sl_stream_t *s, const sl_sql_plan_t *p, const char *name,
                                  sl_flat_mapper_fn *fn, void *arg, sl_lower_log_t *log, bool rekey);

/* The marker row a table's tombstone travels as into a materialization
 * (grouped aggregations skip null values). */
extern sl_sql_row_t sl_lower_tombstone;
/* The time of a source's record when WITH (TIMESTAMP=...) names value
 * column col of schema: the column, or STRINGTOTIMESTAMP(column, fmt) for
 * a STRING one. NULL with a sentence in err when it cannot be built (no
 * such column, a STRING without fmt). Nodes from arena. Pull queries on
 * streams use it too. */
sl_sql_expr_t *sl_lower_source_time(sl_arena_t *arena, const sl_sql_schema_t *schema, int col, const char *fmt,
                                    char *err, size_t errlen);
/* A table of s's records (rows of p's schema, or the tombstone marker;
 * mark: null values are tombstones to mark first) materialized in store:
 * the latest row per key, as ksqlDB materializes tables (s's key is kept:
 * no repartition). NULL on failure (the builder's error). */
sl_table_t *sl_lower_materialize(sl_lower_ctx_t *lc, sl_stream_t *s, const sl_sql_plan_t *p, const char *store,
                                 const char *base, bool mark);
/* The header the local runtime gives each record it pipes into a query:
 * the record's partition (4 bytes) and offset (8 bytes) big-endian in its
 * topic, which the query's test driver does not know (it numbers its own
 * single partition). ROWPARTITION and ROWOFFSET read it when present. */
#define SL_LOWER_POS_HEADER "__sluice.sql.position"

/* Whether one of exprs[0..n) reads a pseudo column (ROWTIME, ...). */
bool sl_lower_uses_pseudo(sl_sql_expr_t *const *exprs, uint32_t n);
/* Fills cx for one record: rows from key and value and, when pseudo, the
 * pseudo columns from ctx and the key's window (else they are left
 * unset: only for expressions that read none). */
void sl_lower_eval_init(sl_sql_eval_t *cx, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, bool pseudo);
/* The row a value holds (NULL for a null value). */
static inline const sl_sql_row_t *sl_lower_row(const sl_val_t *v)
{
    if (v == NULL)
        return NULL;
    if (v->type == SL_V_WINDOWED)
        v = v->u.win.key;
    return v != NULL && v->type == SL_V_PTR ? (const sl_sql_row_t *)v->u.ptr : NULL;
}
/* A record failed in a way the processing log hears of: counts it and, when
 * the node has a log branch, forwards the log record (type 0: a
 * deserialization error with the raw bytes; 1: a processing error). */
void sl_lower_log_error(sl_ctx_t *ctx, const sl_lower_log_t *log, int type, const char *msg, const uint8_t *raw,
                        size_t raw_len, bool is_key);
/* A row of n columns in the record's memory (NULL when out of memory). */
sl_sql_row_t *sl_lower_row_new(sl_ctx_t *ctx, uint32_t n);
/* Evaluates exprs[0..n) into a new row (NULL when out of memory); an error
 * of one is logged through log. */
sl_sql_row_t *sl_lower_eval_row(sl_ctx_t *ctx, sl_sql_eval_t *cx, sl_sql_expr_t *const *exprs, uint32_t n,
                                const sl_lower_log_t *log);
/* Wraps row as the key the input key was (windowed keys keep their
 * window). */
sl_val_t sl_lower_rewrap_key(sl_ctx_t *ctx, const sl_val_t *in_key, sl_sql_row_t *row);

/* --- the operators ------------------------------------------------------------ */

sl_lw_t sl_lower_source(sl_lower_ctx_t *lc, const sl_sql_plan_t *p);
sl_lw_t sl_lower_filter(sl_lower_ctx_t *lc, const sl_sql_plan_t *p, sl_lw_t in);
sl_lw_t sl_lower_project(sl_lower_ctx_t *lc, const sl_sql_plan_t *p, sl_lw_t in);
sl_lw_t sl_lower_flatmap(sl_lower_ctx_t *lc, const sl_sql_plan_t *p, sl_lw_t in);
sl_lw_t sl_lower_rekey(sl_lower_ctx_t *lc, const sl_sql_plan_t *p, sl_lw_t in);
sl_lw_t sl_lower_aggregate(sl_lower_ctx_t *lc, const sl_sql_plan_t *p, sl_lw_t in);
sl_lw_t sl_lower_join(sl_lower_ctx_t *lc, const sl_sql_plan_t *p, sl_lw_t left, sl_lw_t right);
sl_lw_t sl_lower_sink(sl_lower_ctx_t *lc, const sl_sql_plan_t *p, sl_lw_t in);

#endif
