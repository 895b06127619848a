/*
 * plan_int.h - the catalog and the logical plan (internal).
 *
 *   catalog   catalog.c: the streams and tables the engine knows, by name
 *             (upper case unless quoted). Each entry owns an arena holding
 *             everything it points at.
 *   binder    bind*.c: AST statement -> checked, typed plan against the
 *             catalog (names resolved to columns, functions and aggregates
 *             bound, key columns and windows worked out, ksqlDB's rules
 *             enforced), then plan.c pushes predicates and projections
 *             down. Errors name the unknown stream, column or function and
 *             the candidates.
 *   lowering  lower*.c turns a plan into a streams topology (sources,
 *             processors, LMDB stores, sinks) through the streams builder
 *             API; see sl_sql_lower().
 *
 * The row model: a plan node's output is records whose key is a row of
 * out.key columns (SL_V_PTR sl_sql_row_t, or SL_V_WINDOWED around one when
 * the node's output is windowed, or SL_V_NULL) and whose value is a row of
 * out.value columns (SL_V_PTR, SL_V_NULL for a table tombstone). Pseudo
 * columns (ROWTIME, ROWPARTITION, ROWOFFSET, WINDOWSTART, WINDOWEND) come
 * from the record's metadata, never from the rows. Every expression in a
 * node reads its input's rows (for JOIN: left columns then right columns
 * in one value row, see SL_SQL_P_JOIN).
 */
#ifndef SL_SQL_PLAN_INT_H
#define SL_SQL_PLAN_INT_H

#include "format_int.h"

/* --- Schemas ----------------------------------------------------------------- */

typedef struct sl_sql_column {
    const char *name;
    const sl_sql_type_t *type;
} sl_sql_column_t;

typedef struct sl_sql_schema {
    sl_sql_column_t *key;       /* key columns, in order */
    uint32_t n_key;
    sl_sql_column_t *value;     /* value columns, in order */
    uint32_t n_value;
} sl_sql_schema_t;

/* A deep copy of s into arena (names and types too); SL_ERR_NOMEM. */
sl_err_t sl_sql_schema_copy(sl_arena_t *arena, const sl_sql_schema_t *s, sl_sql_schema_t *out);
/* The value column named name, or -1; likewise for key columns. */
int sl_sql_schema_value_index(const sl_sql_schema_t *s, const char *name);
int sl_sql_schema_key_index(const sl_sql_schema_t *s, const char *name);

typedef struct sl_sql_window {
    sl_sql_window_kind_t kind;  /* NONE if the key is not windowed */
    int64_t size_ms;            /* TUMBLING/HOPPING size; SESSION gap */
    int64_t advance_ms;         /* HOPPING */
    int64_t retention_ms;       /* -1: the streams default */
    int64_t grace_ms;           /* -1: ksqlDB's default (24 h before 0.29; we use 24 h) */
} sl_sql_window_t;

/* --- The catalog (catalog.c) -------------------------------------------------- */

typedef struct sl_sql_source {
    const char *name;           /* normalised */
    bool is_table;
    const char *topic;
    sl_sql_schema_t schema;
    sl_sql_fmt_t key_fmt;
    sl_sql_fmt_t value_fmt;
    sl_sql_window_t window;     /* a windowed table (CTAS with WINDOW) or a
                                 * WINDOW_TYPE given in WITH */
    int32_t partitions;
    int16_t replicas;
    const char *timestamp_col;  /* WITH TIMESTAMP: a value column, or NULL */
    const char *timestamp_fmt;  /* TIMESTAMP_FORMAT, or NULL */
    const char *statement;      /* the CREATE statement's text */
    const char *writer_query;   /* the id of the persistent query that writes
                                 * it (CSAS/CTAS), or NULL */
    bool is_source;             /* CREATE SOURCE ... (read-only) */
    sl_arena_t *arena;          /* owns everything above */
} sl_sql_source_t;

typedef struct sl_sql_catalog sl_sql_catalog_t;

sl_sql_catalog_t *sl_sql_catalog_new(void);   /* NULL when out of memory */
void sl_sql_catalog_free(sl_sql_catalog_t *c); /* frees every source; NULL ok */
/* Adds src (the catalog takes ownership of it and its arena; allocate both
 * with sl_sql_source_new). replace: an existing entry of that name is freed
 * first. Errors: SL_ERR_EXISTS (name taken and !replace). */
sl_err_t sl_sql_catalog_add(sl_sql_catalog_t *c, sl_sql_source_t *src, bool replace);
/* NULL if none. The pointer is valid until the entry is removed. */
const sl_sql_source_t *sl_sql_catalog_find(const sl_sql_catalog_t *c, const char *name);
/* Removes and frees the entry; SL_ERR_NOENT. */
sl_err_t sl_sql_catalog_remove(sl_sql_catalog_t *c, const char *name);
/* Every entry in name order; stop when fn returns false. */
void sl_sql_catalog_each(const sl_sql_catalog_t *c, bool (*fn)(const sl_sql_source_t *src, void *arg), void *arg);
/* Up to max names closest to name, for "did you mean". */
size_t sl_sql_catalog_similar(const sl_sql_catalog_t *c, const char *name, const char **out, size_t max);
/* A new empty source with its own arena; NULL when out of memory. Free one
 * not given to the catalog with sl_sql_source_free. */
sl_sql_source_t *sl_sql_source_new(void);
void sl_sql_source_free(sl_sql_source_t *src);

/* --- The logical plan ----------------------------------------------------------- */

typedef enum sl_sql_pkind {
    SL_SQL_P_SOURCE,     /* source: read a stream or a table's topic */
    SL_SQL_P_FILTER,     /* pred on input */
    SL_SQL_P_PROJECT,    /* exprs[i] -> out.value[i]; key unchanged */
    SL_SQL_P_FLATMAP,    /* table functions: one output per element (EXPLODE) */
    SL_SQL_P_REKEY,      /* PARTITION BY / implicit repartition: key_exprs -> out.key */
    SL_SQL_P_AGGREGATE,  /* GROUP BY: group_exprs -> key, aggs -> value (a table) */
    SL_SQL_P_JOIN,       /* input JOIN right */
    SL_SQL_P_SUPPRESS,   /* EMIT FINAL: one result per window once it closes */
    SL_SQL_P_SINK        /* to a topic (persistent) or to the caller (transient) */
} sl_sql_pkind_t;

typedef struct sl_sql_plan sl_sql_plan_t;

struct sl_sql_plan {
    sl_sql_pkind_t kind;
    sl_sql_plan_t *input;           /* every kind but SOURCE */
    sl_sql_schema_t out;            /* what this node produces */
    bool is_table;                  /* a changelog (table) or a stream */
    sl_sql_window_t window;         /* the output key's window, if windowed */
    const char *id;                 /* a stable name for topology nodes and
                                     * EXPLAIN: "KsqlTopic/Source", "Project", ... */

    /* SOURCE */
    const sl_sql_source_t *source;  /* borrowed from the catalog (the query
                                     * keeps its own copy alive) */
    const sl_sql_codec_t *key_codec, *value_codec;
    int32_t timestamp_col;          /* value column index for ROWTIME, -1: record time
                                     * (SINK: the column WITH TIMESTAMP named for
                                     * the sink's rows, -1: none) */

    /* FILTER (also HAVING, on an aggregate's output) */
    sl_sql_expr_t *pred;

    /* PROJECT, FLATMAP: one expression per out.value column. FLATMAP:
     * tablefn_args[i] != NULL marks output column i as produced by the
     * table function funcs[i] over tablefn_args[i]; several table functions
     * are zipped (the longest decides, others NULL-padded), as ksqlDB. */
    sl_sql_expr_t **exprs;
    uint32_t n_exprs;
    const sl_sql_func_t **funcs;
    sl_sql_expr_t ***tablefn_args;
    uint32_t *tablefn_n_args;
    /* PROJECT: which output columns are key columns: out.key[i] comes from
     * key_exprs[i] (the projection must carry every key column, possibly
     * renamed). The binder's final projection always has plain KEY column
     * refs there; a transient query's final projection has no key at all
     * (n_key_exprs 0, out.n_key 0: every SELECT item is a value column, in
     * SELECT order). */
    sl_sql_expr_t **key_exprs;
    uint32_t n_key_exprs;

    /* REKEY: out.key[i] = key_exprs[i] (above); the value is unchanged (a
     * copy of the input value row). */

    /* AGGREGATE: group_exprs over the input -> out.key (one column per
     * expression; several become ksqlDB's multi-column key). Output value
     * columns: first the grouping columns that the projection needs
     * (n_group_values of them, copied from the key), then one per agg
     * (aggs[i]'s result); a later PROJECT picks and orders them. The
     * binder makes n_group_values 0 (the nodes above read grouping columns
     * as KEY refs). store is also set on table SOURCE nodes ("KsqlTopic-
     * Reduce", join sides "KafkaTopic_Left-Reduce"...) and on table-table
     * JOIN nodes ("Join-Materialize"): the node nearest a query's root with
     * a store is the one pull queries read. */
    sl_sql_expr_t **group_exprs;
    uint32_t n_group;
    sl_sql_agg_call_t **aggs;
    uint32_t n_aggs;
    uint32_t n_group_values;
    const char *store;              /* the state store's name (pull queries read it).
                                     * Its values are rows whose first
                                     * out.n_value columns are this node's
                                     * value row (the aggregates' states
                                     * follow them: readers ignore the
                                     * rest); keys are out.key rows (window
                                     * stores / session stores when
                                     * windowed); both in the internal
                                     * encoding (sl_sql_internal_serde),
                                     * for every window kind. An
                                     * AGGREGATE's rows end with the row's
                                     * time (BIGINT, the latest record's),
                                     * column SL_SQL_AGG_ROWTIME_COL */

    /* JOIN: input is the left side, right the right side. The output value
     * row is the left value columns then the right value columns (then,
     * for n_join_keys > 0, nothing else: the key is the join key). */
    sl_sql_plan_t *right;
    sl_sql_join_type_t join;        /* INNER, LEFT, FULL (RIGHT is rewritten to LEFT with sides swapped) */
    sl_sql_expr_t *left_key;        /* over the left input */
    sl_sql_expr_t *right_key;       /* over the right input */
    int64_t within_before_ms;       /* stream-stream */
    int64_t within_after_ms;
    int64_t within_grace_ms;        /* -1: none given */
    /* A side whose key is not left_key/right_key is rekeyed by the binder
     * (a REKEY node below the JOIN), so lowering joins on the keys. */

    /* SINK */
    const char *topic;              /* NULL: transient (push query) */
    const sl_sql_codec_t *sink_key_codec, *sink_value_codec;
    int64_t limit;                  /* transient: -1 none */
};

/* --- Binding (bind*.c, plan.c) ------------------------------------------------ */

/* What a bound statement needs from its surroundings. */
typedef struct sl_sql_bind_env {
    const sl_sql_catalog_t *catalog;
    sl_arena_t *arena;              /* where the plan and everything it
                                     * points at go (the query's arena) */
    const char *query_id;           /* names stores and internal topics */
    /* session/request properties that change planning, e.g.
     * "ksql.output.topic.name.prefix", "auto.offset.reset" (NULL if unset) */
    const char *(*prop)(const char *key, void *arg);
    void *prop_arg;
    int32_t default_partitions;     /* for created sink topics (ksqlDB: the
                                     * source's partition count) */
} sl_sql_bind_env_t;

/* What a CREATE ... AS / INSERT INTO / SELECT binds to. */
typedef struct sl_sql_bound_query {
    sl_sql_plan_t *root;            /* a SINK node */
    sl_sql_source_t *sink;          /* CSAS/CTAS: the new catalog entry (not
                                     * yet added; the caller adds it); NULL
                                     * otherwise */
    bool is_pull;                   /* SELECT without EMIT on a table */
    bool sink_topic_exists_needed;  /* INSERT INTO: the target's topic */
    const char **source_names;      /* the catalog entries it reads */
    uint32_t n_sources;
    /* pull queries: */
    const sl_sql_source_t *pull_table;
    sl_sql_expr_t *pull_where;      /* over the table's key and value rows */
    sl_sql_datum_t *pull_key;       /* an equality on every key column: the key
                                     * row's datums (else NULL: range or scan) */
    int64_t pull_wstart_lo, pull_wstart_hi; /* windowed tables: WINDOWSTART bounds */
    sl_sql_expr_t **pull_exprs;     /* the projection over key+value rows */
    sl_sql_schema_t pull_out;       /* its columns (all value columns) */
    int64_t pull_limit;             /* LIMIT, -1 if none */
} sl_sql_bound_query_t;

/* Binds CREATE STREAM/TABLE (no AS): a new source for the catalog (not
 * added). Checks: key columns (KEY for streams, PRIMARY KEY for tables, at
 * most one for KAFKA keys), types, formats, WITH
 * properties (unknown ones are an error naming the valid ones),
 * kafka_topic required unless PARTITIONS given, TIMESTAMP column exists and
 * is BIGINT/TIMESTAMP (or STRING with TIMESTAMP_FORMAT). */
sl_err_t sl_sql_bind_create(const sl_sql_bind_env_t *env, const sl_sql_stmt_t *stmt, sl_sql_source_t **out,
                            sl_sql_error_t *err);
/* Binds CREATE STREAM/TABLE AS SELECT, INSERT INTO ... SELECT, and SELECT. */
sl_err_t sl_sql_bind_query(const sl_sql_bind_env_t *env, const sl_sql_stmt_t *stmt, sl_sql_bound_query_t *out,
                           sl_sql_error_t *err);
/* Binds INSERT INTO t [(cols)] VALUES (...): the target and the key and
 * value rows (datums in env->arena); ROWTIME, if given, in *timestamp (else
 * -1). */
sl_err_t sl_sql_bind_insert_values(const sl_sql_bind_env_t *env, const sl_sql_stmt_t *stmt,
                                   const sl_sql_source_t **target, sl_sql_row_t **key, sl_sql_row_t **value,
                                   int64_t *timestamp, sl_sql_error_t *err);
/* Pushes filters below projections and into joins' sides where they only
 * read one side, and drops unused columns early (plan.c). */
void sl_sql_plan_optimize(sl_arena_t *arena, sl_sql_plan_t *root);
/* EXPLAIN's text of a plan: one line per node, indented, with its schema
 * ("> [ SINK ] | Schema: ID INTEGER KEY, N STRING | Logger: ..."). */
void sl_sql_plan_format(const sl_sql_plan_t *root, sl_buf_t *out);

/* --- Lowering (lower*.c) ------------------------------------------------------ */

struct sl_builder;  /* streams.h */
struct sl_ctx;

/* What lowering needs from the engine at run time. */
typedef struct sl_sql_lower_env {
    /* Where a record a source cannot decode or a row a processor fails on
     * goes: the processing-log topic (NULL: none) and a counter the engine
     * reads (shared by every task thread: updated atomically). */
    const char *processing_log_topic;
    int64_t *processing_errors;
    /* Transient queries: called for each result row (key and value rows
     * in the record's memory; value NULL for a table tombstone; wstart and
     * wend -1 unless the key is windowed) from the task's thread. The
     * callee copies what it keeps. */
    void (*emit_row)(const sl_sql_row_t *key, const sl_sql_row_t *value, int64_t rowtime, int64_t wstart,
                     int64_t wend, void *arg);
    void *emit_arg;
    /* The topology runs with one partition per topic (the local runtime's
     * test drivers): a key change needs no repartition there, so none is
     * made (false: repartitions as Kafka Streams needs them). */
    bool single_partition;
    /* Memory for what lowering makes besides the plan (callback arguments,
     * serdes, expressions it derives): it must outlive the topology, like
     * the plan's arena (the query's arena is the natural one). Required. */
    sl_arena_t *arena;
} sl_sql_lower_env_t;

/* Adds root's nodes to b (sources named after the query, stores named as
 * the plan says, a sink to root->topic or a foreach calling env->emit_row
 * for a transient root). Everything the topology's callbacks point at is
 * in the plan's arena, which must outlive the topology. Errors: the
 * builder's error (SL_ERR_INVAL with a sentence), SL_ERR_UNSUPPORTED for a
 * plan shape lowering does not know (err says which). */
sl_err_t sl_sql_lower(struct sl_builder *b, const sl_sql_plan_t *root, const sl_sql_lower_env_t *env,
                      sl_sql_error_t *err);

/* Sets *err (if not NULL): code, position, printf-style message. Returns code. */
sl_err_t sl_sql_error_set(sl_sql_error_t *err, sl_err_t code, sl_sql_pos_t pos, const char *fmt, ...)
    SL_PRINTF(4, 5);

/* The column of an AGGREGATE node's stored rows holding the row's time. */
#define SL_SQL_AGG_ROWTIME_COL(p) ((p)->out.n_value + (p)->n_aggs)

#endif
