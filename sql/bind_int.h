/*
 * bind_int.h - what the binder's files share (internal to bind*.c and
 * plan*.c; the binder's contract with the rest of the library is
 * plan_int.h).
 *
 *   scope     the columns an expression may name at one point of a plan:
 *             each with the alias of the source it came from, its name
 *             and where it is read (key row, value row, pseudo column)
 *   binder    one statement's binding state: the environment, the error,
 *             the clause being bound (for ksqlDB's "WHERE column 'X'
 *             cannot be resolved."), and while binding the expressions
 *             above a GROUP BY, the grouping expressions and the
 *             aggregate calls found so far
 *   helpers   plan nodes, schemas built column by column, codecs for a
 *             schema, the SQL text of syntax-tree expressions (names and
 *             error sentences), generated column names (KSQL_COL_n)
 *
 * Everything is allocated from the binder's arena (env->arena): it lives
 * as long as the query.
 */
#ifndef SL_SQL_BIND_INT_H
#define SL_SQL_BIND_INT_H

#include "plan_int.h"
#include "sql.h"

/* --- Scopes ------------------------------------------------------------------ */

typedef struct sl_sql_bcol {
    const char *qual;           /* alias of the source it belongs to; NULL: any */
    const char *name;           /* as queries name it */
    sl_sql_colsrc_t src;
    uint32_t index;             /* column index or sl_sql_pseudo_t */
    const sl_sql_type_t *type;
    uint8_t role;               /* SL_SQL_BCOL_*: what a join's prefixed copy holds */
} sl_sql_bcol_t;

enum { SL_SQL_BCOL_COLUMN = 0, SL_SQL_BCOL_KEY_COPY = 1, SL_SQL_BCOL_PSEUDO_COPY = 2 };

typedef struct sl_sql_scope {
    sl_sql_bcol_t *cols;
    uint32_t n, cap;
    const char *quals[8];       /* the aliases in scope (joins: one per side) */
    const char *qual_src[8];    /* the source name of each alias */
    uint32_t n_quals;
} sl_sql_scope_t;

sl_err_t sl_sql_scope_add(sl_arena_t *arena, sl_sql_scope_t *s, const char *qual, const char *name,
                          sl_sql_colsrc_t src, uint32_t index, const sl_sql_type_t *type);
/* Adds a copy of c reading column index instead (role kept). */
sl_err_t sl_sql_scope_add_col(sl_arena_t *arena, sl_sql_scope_t *s, const sl_sql_bcol_t *c, uint32_t index);
/* The scope of a node's output: key columns, value columns and the pseudo
 * columns (WINDOWSTART/WINDOWEND only when windowed), all under qual. */
sl_err_t sl_sql_scope_of_schema(sl_arena_t *arena, sl_sql_scope_t *s, const char *qual, const char *qual_src,
                                const sl_sql_schema_t *schema, bool windowed);
sl_err_t sl_sql_scope_add_pseudo(sl_arena_t *arena, sl_sql_scope_t *s, const char *qual, bool windowed);
/* The type of a pseudo column. */
const sl_sql_type_t *sl_sql_pseudo_type(sl_sql_pseudo_t p);
const char *sl_sql_pseudo_name(sl_sql_pseudo_t p);
/* ROWTIME, ROWPARTITION, ROWOFFSET, WINDOWSTART, WINDOWEND: -1 if not one. */
int sl_sql_pseudo_by_name(const char *name);

/* --- The binder -------------------------------------------------------------- */

typedef struct sl_sql_binder {
    const sl_sql_bind_env_t *env;
    sl_arena_t *arena;
    sl_sql_error_t *err;
    const char *clause;             /* "SELECT", "WHERE", "GROUP BY", ... */
    bool quiet;                     /* errors are not written to err */
    bool failed;                    /* set with every error, quiet or not */

    /* Aggregation: set while binding SELECT items and HAVING above a GROUP
     * BY. An expression equal to group[i] (bound over agg_in) reads key
     * column i; an aggregate call becomes value column n_aggs. */
    bool agg_mode;
    const sl_sql_scope_t *agg_in;
    sl_sql_expr_t **group;
    uint32_t n_group;
    bool agg_windowed;
    sl_sql_agg_call_t **aggs;
    uint32_t n_aggs, cap_aggs;
    bool saw_agg;                   /* an aggregate call was bound */
    /* Table functions (SELECT items only, allow_tablefn): each call becomes
     * a slot of the FLATMAP below the projection, read as value column
     * tf_base + slot; the call's arguments read the FLATMAP's input. */
    bool allow_tablefn;
    bool tf_over_table;             /* the input is a table: refused */
    const char *tf_outer;           /* the table function being bound (nesting) */
    const sl_sql_ast_expr_t *in_case; /* the CASE being bound */
    uint32_t tf_base;
    struct sl_sql_tf_slot {
        const sl_sql_func_t *func;
        sl_sql_expr_t **args;
        uint32_t n_args;
        const sl_sql_type_t *type;
    } *tf;
    uint32_t n_tf, cap_tf;
    bool in_ctas;                   /* binding CREATE TABLE AS SELECT (messages) */
    bool saw_tablefn;
    /* The parameters of the lambdas being bound, outermost first: a name
     * here is read from lambda slot i (it hides a column of that name). */
    const char *lvar_name[SL_SQL_LAMBDA_VARS];
    const sl_sql_type_t *lvar_type[SL_SQL_LAMBDA_VARS];
    uint32_t n_lvars;
} sl_sql_binder_t;

void sl_sql_binder_init(sl_sql_binder_t *b, const sl_sql_bind_env_t *env, sl_sql_error_t *err);
/* Sets the error (unless quiet) and b->failed; returns SL_ERR_INVAL. */
sl_err_t sl_sql_bind_fail(sl_sql_binder_t *b, sl_sql_pos_t pos, const char *fmt, ...) SL_PRINTF(3, 4);
/* Binds a against s: a typed expression in b->arena, or NULL with the error
 * set. Table function calls are refused here (bind_query handles the ones
 * at the top of a SELECT item). */
sl_sql_expr_t *sl_sql_bind_expr(sl_sql_binder_t *b, const sl_sql_scope_t *s, const sl_sql_ast_expr_t *a);
/* Whether two bound expressions compute the same thing. */
bool sl_sql_expr_same(const sl_sql_expr_t *a, const sl_sql_expr_t *b);
/* The conjuncts of pred, AND flattened, into out[0..max): their count (at
 * most max; the rest are left out). Borrows pred; out points into it. */
uint32_t sl_sql_expr_conjuncts(sl_sql_expr_t *pred, sl_sql_expr_t **out, uint32_t max);
/* Whether a contains an aggregate call (by name in the registry). */
bool sl_sql_ast_has_agg(const sl_sql_ast_expr_t *a);

/* The SQL text of a as ksqlDB prints it in messages: column references
 * qualified by their source (the alias written, or qual when none was
 * written and qual is not NULL), e.g. "ABS(INPUT.ID)". */
void sl_sql_ast_format(const sl_sql_ast_expr_t *a, const char *qual, sl_buf_t *out);
const char *sl_sql_ast_text(sl_arena_t *arena, const sl_sql_ast_expr_t *a, const char *qual);

/* --- Plan helpers ------------------------------------------------------------ */

sl_sql_plan_t *sl_sql_plan_new(sl_arena_t *arena, sl_sql_pkind_t kind, sl_sql_plan_t *input);
/* A schema built column by column (arrays grow in arena). */
typedef struct sl_sql_schema_builder {
    sl_sql_schema_t s;
    uint32_t cap_key, cap_value;
} sl_sql_schema_builder_t;
sl_err_t sl_sql_sb_key(sl_arena_t *arena, sl_sql_schema_builder_t *sb, const char *name, const sl_sql_type_t *t);
sl_err_t sl_sql_sb_value(sl_arena_t *arena, sl_sql_schema_builder_t *sb, const char *name,
                         const sl_sql_type_t *t);
/* A codec for schema's key (is_key) or value columns. */
sl_err_t sl_sql_schema_codec(sl_arena_t *arena, const sl_sql_fmt_t *fmt, const sl_sql_schema_t *schema, bool is_key,
                             const sl_sql_codec_t **out, char *err, size_t errlen);
/* "`ID` INTEGER KEY, `NAME` STRING" as ksqlDB prints schemas (quote: with
 * back-quotes). */
void sl_sql_schema_format(const sl_sql_schema_t *s, bool quote, sl_buf_t *out);
/* A KSQL_COL_<n> name not used by any name in used[0..n_used) (n counts
 * up from *next). */
const char *sl_sql_gen_name(sl_arena_t *arena, const char *const *used, uint32_t n_used, uint32_t *next);
/* Case-sensitive membership. */
bool sl_sql_name_in(const char *name, const char *const *names, uint32_t n);
/* Appends "Did you mean X, Y?"-style candidates of name among the catalog's
 * sources ("" when none). */
void sl_sql_similar_sources(const sl_sql_catalog_t *c, const char *name, char *out, size_t len);

/* --- Queries (bind_query.c, bind_join.c) ------------------------------------- */

/* One SELECT being bound: its FROM (sources, the plan so far and the scope
 * its expressions read), the result's key (the expressions equal to each
 * key column, for matching SELECT items) and the SELECT items. */
#define SL_SQL_MAX_KEYS 16
#define SL_SQL_MAX_CAND 8
#define SL_SQL_MAX_RELS 8

typedef struct sl_sql_qitem {
    const char *name;
    sl_sql_expr_t *expr;        /* over q->scope (the frame below FLATMAP) */
    const sl_sql_ast_expr_t *ast;
    int key;                    /* the key column it is (-1: a value; -2: a value
                                 * never matched to the key) */
    bool from_star;
    bool aliased;
} sl_sql_qitem_t;

typedef struct sl_sql_qrel {
    const sl_sql_source_t *src;
    const char *alias;
} sl_sql_qrel_t;

typedef struct sl_sql_qctx {
    sl_sql_binder_t b;
    const sl_sql_bind_env_t *env;
    sl_arena_t *arena;
    const sl_sql_stmt_t *stmt;
    const sl_sql_ast_select_t *sel;
    bool persistent;
    const char *sink_name;

    sl_sql_qrel_t rels[SL_SQL_MAX_RELS];
    uint32_t n_rels;
    bool is_join;
    const char *qual;               /* single source: its alias (message texts) */

    sl_sql_plan_t *cur;
    sl_sql_scope_t scope;           /* what SELECT items read */
    const sl_sql_schema_t *names_of; /* names of scope's KEY/VALUE columns for default item names */

    /* The result's key: candidates for each key column (expressions over
     * scope equal to it), its default name and type. */
    uint32_t n_keys;
    sl_sql_expr_t *cand[SL_SQL_MAX_KEYS][SL_SQL_MAX_CAND];
    uint32_t n_cand[SL_SQL_MAX_KEYS];
    const char *key_name[SL_SQL_MAX_KEYS];
    const char *key_text[SL_SQL_MAX_KEYS][SL_SQL_MAX_CAND];
    const sl_sql_type_t *key_type[SL_SQL_MAX_KEYS];
    const char *key_what;           /* "key column", "partitioning expression", ... */
    bool synthetic_key;

    bool aggregated;
    bool windowed;
    sl_sql_qitem_t *items;
    uint32_t n_items, cap_items;
    const char **used;              /* names for KSQL_COL_n to avoid */
    uint32_t n_used, cap_used;
    uint32_t gen_next;
} sl_sql_qctx_t;

sl_err_t sl_sql_q_nomem(sl_sql_qctx_t *q);
/* The catalog's source named name, or NULL with "X does not exist." set. */
const sl_sql_source_t *sl_sql_q_find_source(sl_sql_qctx_t *q, const sl_sql_ident_t *name);
/* A SOURCE node reading src (its schema copied, its codecs made). */
sl_err_t sl_sql_q_source_node(sl_sql_qctx_t *q, const sl_sql_source_t *src, const char *id, const char *store,
                              sl_sql_plan_t **out);
/* A PROJECT keeping input's key and computing exprs as value columns named
 * names; NULL when out of memory. */
sl_sql_plan_t *sl_sql_q_project_node(sl_sql_qctx_t *q, sl_sql_plan_t *input, sl_sql_expr_t **exprs,
                                     const char **names, uint32_t n, const char *id);
/* FROM with joins (bind_join.c): the joined plan in q->cur, its scope, and
 * the join key's candidates. */
sl_err_t sl_sql_q_bind_join(sl_sql_qctx_t *q, const sl_sql_ast_from_t *f);

/* --- WITH properties (bind_create.c) ---------------------------------------- */

typedef struct sl_sql_with {
    const char *kafka_topic;
    const char *key_format, *value_format, *format;
    int32_t partitions;             /* -1: not given */
    int16_t replicas;               /* -1: not given */
    const char *timestamp;          /* the column, normalised */
    const char *timestamp_format;
    const char *value_delimiter;
    int wrap_single;                /* -1: not given */
    const char *window_type;
    int64_t window_size_ms;         /* -1: not given */
} sl_sql_with_t;

/* Reads WITH (...) (props: sl_sql_ast_prop_t*, may be NULL). for_create:
 * CREATE STREAM/TABLE's properties (else CREATE ... AS SELECT's, without
 * the WINDOW_* ones). Unknown properties and values of the wrong kind are
 * errors naming the valid properties. */
sl_err_t sl_sql_with_parse(sl_sql_binder_t *b, const sl_sql_list_t *props, bool for_create, sl_sql_with_t *out);
/* The key and value formats WITH gives: explicit ones win; otherwise the
 * inherited ones (*key / *value as passed in). Checks FORMAT against
 * KEY_FORMAT/VALUE_FORMAT, VALUE_DELIMITER (DELIMITED only, one character
 * or TAB/SPACE), WRAP_SINGLE_VALUE. *key_explicit tells whether a key
 * format was written. */
sl_err_t sl_sql_with_formats(sl_sql_binder_t *b, const sl_sql_with_t *w, sl_sql_fmt_t *key, sl_sql_fmt_t *value,
                             bool *key_explicit, bool *value_explicit);
/* ksql.persistence.wrap.single.values (the session's) for a one-column
 * JSON value when WITH does not say WRAP_SINGLE_VALUE. */
void sl_sql_with_session_wrap(sl_sql_binder_t *b, const sl_sql_with_t *w, sl_sql_fmt_t *value, uint32_t n_value);
/* Checks the TIMESTAMP column of schema (a value or key column of BIGINT or
 * TIMESTAMP type, or STRING with a TIMESTAMP_FORMAT). */
sl_err_t sl_sql_with_timestamp(sl_sql_binder_t *b, const sl_sql_with_t *w, const sl_sql_schema_t *schema);
/* "Cannot add stream 'S': A table with the same name already exists" when
 * name is taken (SL_ERR_EXISTS), unless replace and the kinds agree. */
sl_err_t sl_sql_check_name_free(sl_sql_binder_t *b, const char *name, bool is_table, bool replace,
                                sl_sql_pos_t pos);

/* --- Pull queries (bind_pull.c) --------------------------------------------- */

/* Binds a SELECT without EMIT on a table into out's pull_* fields. */
sl_err_t sl_sql_bind_pull(sl_sql_binder_t *b, const sl_sql_ast_select_t *sel, const sl_sql_source_t *table,
                          sl_sql_bound_query_t *out);

#endif
