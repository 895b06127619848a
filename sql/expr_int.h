/*
 * expr_int.h - bound expressions and functions (internal).
 *
 *   expressions  expr.c makes typed expression nodes: each constructor
 *                checks its operands' types, inserts the implicit casts
 *                ksqlDB inserts (INT -> BIGINT -> DECIMAL -> DOUBLE) and
 *                gives the result type, or an error sentence. The binder
 *                resolves names to columns and calls these constructors;
 *                it never types anything itself. eval.c evaluates a node
 *                against one record.
 *   functions    func_registry.c holds every built-in function by
 *                upper-case name: scalar (func_math.c, func_string.c,
 *                func_time.c, func_json.c, func_collection.c,
 *                func_misc.c, func_lambda.c, func_url.c), aggregate (func_agg*.c) and table
 *                (func_table.c) functions, each group an array the registry
 *                lists.
 *
 * Runtime errors (a bad cast, a division by zero, a bad regular
 * expression) never fail a record: the value is NULL, as in ksqlDB, and the
 * first such error of a record is noted in the eval context for the
 * processing log.
 *
 * Thread rule: nodes are read-only after binding and shared by every task
 * thread; per-call scratch goes in the eval context's arena.
 */
#ifndef SL_SQL_EXPR_INT_H
#define SL_SQL_EXPR_INT_H

#include "ast_int.h"

typedef struct sl_sql_func sl_sql_func_t;
typedef struct sl_sql_expr sl_sql_expr_t;

/* Where a column reference reads from: the record's key row, its value row,
 * or a pseudo column. */
typedef enum sl_sql_colsrc {
    SL_SQL_COL_KEY,
    SL_SQL_COL_VALUE,
    SL_SQL_COL_PSEUDO,
    SL_SQL_COL_LAMBDA       /* a lambda's parameter: slot index of cx->vars */
} sl_sql_colsrc_t;

/* Lambda parameters in scope at once (nested lambdas add theirs). */
#define SL_SQL_LAMBDA_VARS 16

typedef enum sl_sql_pseudo {
    SL_SQL_PSEUDO_ROWTIME,      /* BIGINT (ksqlDB 0.29: BIGINT ms) */
    SL_SQL_PSEUDO_ROWPARTITION, /* INT */
    SL_SQL_PSEUDO_ROWOFFSET,    /* BIGINT */
    SL_SQL_PSEUDO_WINDOWSTART,  /* BIGINT; NULL unless the key is windowed */
    SL_SQL_PSEUDO_WINDOWEND,    /* BIGINT */
    SL_SQL_PSEUDO_COUNT_
} sl_sql_pseudo_t;

typedef enum sl_sql_ekind {
    SL_SQL_E_CONST,         /* value */
    SL_SQL_E_COLUMN,        /* src, index */
    SL_SQL_E_NOT,           /* args[0] (three-valued) */
    SL_SQL_E_AND,           /* args[0..n) (three-valued) */
    SL_SQL_E_OR,
    SL_SQL_E_CMP,           /* op (EQ..GE), args[0], args[1] (same type after casts) */
    SL_SQL_E_ARITH,         /* op (ADD SUB MUL DIV MOD, NEG), args */
    SL_SQL_E_CONCAT,        /* args[0] || args[1] (STRING) */
    SL_SQL_E_IS_NULL,       /* args[0]; negated */
    SL_SQL_E_LIKE,          /* args[0] LIKE args[1] [ESCAPE args[2]]; negated */
    SL_SQL_E_BETWEEN,       /* args[0] BETWEEN args[1] AND args[2]; negated */
    SL_SQL_E_IN,            /* args[0] IN (args[1..n)); negated */
    SL_SQL_E_CASE,          /* args: when0, then0, when1, then1, ..., else (last, NULL const if none) */
    SL_SQL_E_CAST,          /* args[0] to type */
    SL_SQL_E_CALL,          /* func (a scalar), args */
    SL_SQL_E_DEREF,         /* args[0] (STRUCT) -> field index */
    SL_SQL_E_SUBSCRIPT,     /* args[0][args[1]]: ARRAY (1-based; negative from the end) or MAP */
    SL_SQL_E_ARRAY,         /* ARRAY[args] */
    SL_SQL_E_MAP,           /* MAP(args[2i] := args[2i+1]) */
    SL_SQL_E_STRUCT,        /* STRUCT(type's fields := args) */
    SL_SQL_E_LAMBDA         /* args[0] (the body) over parameters in slots
                             * index .. index + n_vars - 1; only as a
                             * function's argument, which the function
                             * applies with sl_sql_eval_lambda (evaluated
                             * as an argument it is NULL) */
} sl_sql_ekind_t;

struct sl_sql_expr {
    sl_sql_ekind_t kind;
    const sl_sql_type_t *type;  /* the result type (SL_SQL_T_NULL only for a bare NULL) */
    sl_sql_op_t op;             /* CMP, ARITH */
    bool negated;               /* IS NULL, LIKE, BETWEEN, IN */
    sl_sql_colsrc_t src;        /* COLUMN */
    uint32_t index;             /* COLUMN: column or sl_sql_pseudo_t; DEREF: field */
    sl_sql_datum_t value;       /* CONST (in the arena the node lives in) */
    const sl_sql_func_t *func;  /* CALL */
    void *state;                /* CALL: what the function prepared at bind
                                 * time from constant arguments (a compiled
                                 * regular expression, a date format), or NULL */
    sl_sql_expr_t **args;
    uint32_t n_args;
    uint32_t n_vars;            /* LAMBDA: its parameters */
    const char *text;           /* how it reads in SQL, for names and EXPLAIN
                                 * ("(A + 1)", "UCASE(NAME)") */
};

/* What an expression sees of one record. */
typedef struct sl_sql_eval {
    const sl_sql_row_t *key;        /* may be NULL (a keyless stream) */
    const sl_sql_row_t *value;      /* may be NULL (a tombstone) */
    sl_sql_datum_t pseudo[SL_SQL_PSEUDO_COUNT_];
    sl_arena_t *arena;              /* for results (the record's memory) */
    const sl_sql_datum_t *vars;     /* the lambda parameters in scope (NULL
                                     * outside lambdas) */
    bool lambda_fault;              /* inside a lambda, arithmetic met a NULL
                                     * (ksqlDB's Java fails there) */
    char error[256];                /* the first runtime error, "" if none */
} sl_sql_eval_t;

/* --- Constructors (expr.c) ---------------------------------------------------
 * Nodes are allocated from arena (the query's: they live as long as it).
 * On a type error each returns NULL with a sentence in err, e.g.
 * "Unsupported arithmetic types. STRING INTEGER" (ksqlDB's words where it
 * has them; the binder adds where it happened, "Error in WHERE expression:
 * "); NULL and "out of memory" when memory runs out. text is copied.
 * Constant sub-trees are folded into SL_SQL_E_CONST nodes (their text kept);
 * a CALL node keeps its overload's index in `index`. */

sl_sql_expr_t *sl_sql_expr_const(sl_arena_t *arena, const sl_sql_type_t *type, const sl_sql_datum_t *value,
                                 const char *text);
sl_sql_expr_t *sl_sql_expr_column(sl_arena_t *arena, sl_sql_colsrc_t src, uint32_t index,
                                  const sl_sql_type_t *type, const char *text);
/* NOT, AND, OR, CMP, ARITH (op NEG is unary: b NULL), CONCAT. */
sl_sql_expr_t *sl_sql_expr_unary(sl_arena_t *arena, sl_sql_op_t op, sl_sql_expr_t *a, char *err, size_t errlen);
sl_sql_expr_t *sl_sql_expr_binary(sl_arena_t *arena, sl_sql_op_t op, sl_sql_expr_t *a, sl_sql_expr_t *b, char *err,
                                  size_t errlen);
sl_sql_expr_t *sl_sql_expr_is_null(sl_arena_t *arena, sl_sql_expr_t *a, bool negated, char *err, size_t errlen);
sl_sql_expr_t *sl_sql_expr_like(sl_arena_t *arena, sl_sql_expr_t *a, sl_sql_expr_t *pattern, sl_sql_expr_t *escape,
                                bool negated, char *err, size_t errlen);
sl_sql_expr_t *sl_sql_expr_between(sl_arena_t *arena, sl_sql_expr_t *a, sl_sql_expr_t *lo, sl_sql_expr_t *hi,
                                   bool negated, char *err, size_t errlen);
sl_sql_expr_t *sl_sql_expr_in(sl_arena_t *arena, sl_sql_expr_t *a, sl_sql_expr_t **list, uint32_t n, bool negated,
                              char *err, size_t errlen);
/* A searched CASE (operand NULL) or a simple one (operand compared with
 * each when). else_ may be NULL. */
sl_sql_expr_t *sl_sql_expr_case(sl_arena_t *arena, sl_sql_expr_t *operand, sl_sql_expr_t **whens,
                                sl_sql_expr_t **thens, uint32_t n, sl_sql_expr_t *else_, char *err, size_t errlen);
sl_sql_expr_t *sl_sql_expr_cast(sl_arena_t *arena, sl_sql_expr_t *a, const sl_sql_type_t *to, char *err,
                                size_t errlen);
/* A scalar function call by upper-case name: picks the overload, casts the
 * arguments, lets the function prepare constant arguments. Errors name the
 * function and, when no overload fits, list its signatures; an unknown
 * name gives "Can't find any functions with the name 'FOO'" (the binder
 * adds candidates). Aggregate and table functions are refused here. */
sl_sql_expr_t *sl_sql_expr_call(sl_arena_t *arena, const char *name, sl_sql_expr_t **args, uint32_t n, char *err,
                                size_t errlen);
sl_sql_expr_t *sl_sql_expr_deref(sl_arena_t *arena, sl_sql_expr_t *a, const char *field, char *err, size_t errlen);
sl_sql_expr_t *sl_sql_expr_subscript(sl_arena_t *arena, sl_sql_expr_t *a, sl_sql_expr_t *idx, char *err,
                                     size_t errlen);
sl_sql_expr_t *sl_sql_expr_array(sl_arena_t *arena, sl_sql_expr_t **items, uint32_t n, char *err, size_t errlen);
sl_sql_expr_t *sl_sql_expr_map(sl_arena_t *arena, sl_sql_expr_t **kv, uint32_t n_pairs, char *err, size_t errlen);
sl_sql_expr_t *sl_sql_expr_struct(sl_arena_t *arena, const char *const *names, sl_sql_expr_t **values, uint32_t n,
                                  char *err, size_t errlen);
/* A lambda: body over n_vars parameters read from slots first.. (the
 * binder numbers them, nested lambdas after their outer ones; first +
 * n_vars <= SL_SQL_LAMBDA_VARS). Its type is the body's. */
sl_sql_expr_t *sl_sql_expr_lambda(sl_arena_t *arena, sl_sql_expr_t *body, uint32_t first, uint32_t n_vars,
                                  const char *text, char *err, size_t errlen);
/* The node a literal's text gives (SL_SQL_A_INT/DECIMAL/DOUBLE/STRING/
 * BOOL/NULL), e.g. for WITH values and INSERT VALUES. */
sl_sql_expr_t *sl_sql_expr_literal(sl_arena_t *arena, const sl_sql_ast_expr_t *lit, char *err, size_t errlen);
/* Whether e reads no column (so it can be folded once). */
bool sl_sql_expr_is_constant(const sl_sql_expr_t *e);
/* Appends e's SQL text (as EXPLAIN shows it). */
void sl_sql_expr_format(const sl_sql_expr_t *e, sl_buf_t *out);

/* --- Evaluation (eval.c) ---------------------------------------------------- */

/* Evaluates e for the record cx describes into *out (memory from
 * cx->arena). Never fails: a runtime error gives NULL and, if cx->error is
 * still empty, a sentence there. */
void sl_sql_eval(const sl_sql_expr_t *e, sl_sql_eval_t *cx, sl_sql_datum_t *out);
/* A predicate's outcome: true only for a non-NULL TRUE. */
bool sl_sql_eval_pred(const sl_sql_expr_t *e, sl_sql_eval_t *cx);
/* Applies lambda (an SL_SQL_E_LAMBDA node) to its parameters' values
 * vals[0..lambda->n_vars) in cx: the body's value into *out. false when
 * the body failed as ksqlDB's compiled lambda would (arithmetic on a NULL,
 * or a lambda inside it failing): the function then gives NULL. */
bool sl_sql_eval_lambda(const sl_sql_expr_t *lambda, sl_sql_eval_t *cx, const sl_sql_datum_t *vals,
                        sl_sql_datum_t *out);
/* Resets cx for one record. */
void sl_sql_eval_init(sl_sql_eval_t *cx, sl_arena_t *arena, const sl_sql_row_t *key, const sl_sql_row_t *value);

/* --- Functions (func_registry.c) ------------------------------------------ */

typedef enum sl_sql_fkind { SL_SQL_F_SCALAR, SL_SQL_F_AGGREGATE, SL_SQL_F_TABLE } sl_sql_fkind_t;

/* A scalar implementation: args[0..n) already cast to the overload's
 * parameter types; writes *out (memory from cx->arena). NULL handling is the
 * function's (most return NULL for a NULL argument). */
typedef void sl_sql_scalar_fn(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                              sl_sql_datum_t *out);

/* An aggregate's behaviour. The state is a datum of state_type (so the
 * internal row serde can keep it in a state store); init/add/undo/merge/
 * result allocate from arena (the record's memory). args are the values of
 * the call's column arguments; call->consts are its literal parameters
 * (TOPK's k, ...). undo is NULL when the aggregate cannot retract (then a
 * table aggregation with it is refused); merge is needed by session
 * windows. */
typedef struct sl_sql_agg_call sl_sql_agg_call_t;
typedef struct sl_sql_agg {
    /* Checks the argument types and literal parameters and gives the state
     * and result types (from arena). Error: a sentence in err, return
     * non-zero. */
    sl_err_t (*resolve)(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n_args,
                        const sl_sql_datum_t *consts, uint32_t n_consts, const sl_sql_type_t **state_type,
                        const sl_sql_type_t **result_type, char *err, size_t errlen);
    void (*init)(const sl_sql_agg_call_t *call, sl_arena_t *arena, sl_sql_datum_t *state);
    void (*add)(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *args, sl_sql_datum_t *state);
    void (*undo)(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *args, sl_sql_datum_t *state);
    void (*merge)(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *other,
                  sl_sql_datum_t *state);
    void (*result)(const sl_sql_agg_call_t *call, sl_arena_t *arena, const sl_sql_datum_t *state,
                   sl_sql_datum_t *out);
} sl_sql_agg_t;

/* One aggregate call in a query (made by the binder with sl_sql_agg_bind). */
struct sl_sql_agg_call {
    const sl_sql_func_t *func;
    sl_sql_expr_t **args;           /* the column arguments (evaluated per record) */
    uint32_t n_args;
    const sl_sql_type_t **arg_types;
    sl_sql_datum_t *consts;         /* the literal parameters after them */
    uint32_t n_consts;
    const sl_sql_type_t *state_type;
    const sl_sql_type_t *result_type;
    const char *text;               /* "COUNT(*)", "SUM(X)" */
};

/* A table function: calls emit once per output value (EXPLODE: once per
 * element; NULL or empty input: no call). */
typedef void sl_sql_table_emit_fn(const sl_sql_datum_t *value, void *arg);
typedef struct sl_sql_tablefn {
    /* The output type for the argument types; NULL and err if they do not fit. */
    const sl_sql_type_t *(*resolve)(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n,
                                    char *err, size_t errlen);
    void (*apply)(const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx, sl_sql_table_emit_fn *emit, void *arg);
} sl_sql_tablefn_t;

/* A scalar overload: a parameter list (NULL entries and SL_SQL_T_NULL mean
 * "any type"; variadic: the last parameter repeats) or, when resolve is
 * set, a resolver that computes the result type itself. */
typedef struct sl_sql_overload {
    const sl_sql_tkind_t *params;   /* n_params kinds */
    uint32_t n_params;
    bool variadic;
    sl_sql_tkind_t result;          /* SL_SQL_T_NULL: resolve decides */
    const sl_sql_type_t *(*resolve)(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n,
                                    char *err, size_t errlen);
    sl_sql_scalar_fn *eval;
    /* Optional: prepares state from constant arguments at bind time
     * (non-constant ones are NULL). Non-zero + err refuses the call. */
    sl_err_t (*prepare)(sl_arena_t *arena, sl_sql_expr_t *const *args, uint32_t n, void **state, char *err,
                        size_t errlen);
    const char *signature;          /* for DESCRIBE FUNCTION: "SUBSTRING(str VARCHAR, pos INT, len INT)" */
    const char *description;        /* one line: what it returns */
} sl_sql_overload_t;

struct sl_sql_func {
    const char *name;               /* upper case */
    sl_sql_fkind_t kind;
    const char *category;           /* "MATHEMATICAL", "STRING", "DATE / TIME", "JSON",
                                     * "ARRAYS", "MAPS", "CONDITIONAL", "OTHER", "AGGREGATE", "TABLE" */
    const char *description;        /* one sentence (DESCRIBE FUNCTION) */
    const sl_sql_overload_t *overloads; /* SCALAR */
    uint32_t n_overloads;
    const sl_sql_agg_t *agg;        /* AGGREGATE */
    const sl_sql_tablefn_t *table;  /* TABLE */
    const char *agg_signatures;     /* AGGREGATE/TABLE: "SUM(col1 INT), SUM(col1 BIGINT), ..." */
    /* Functions taking lambdas (TRANSFORM, FILTER, REDUCE): the types of the
     * n_params parameters of the lambda written as argument at, from the
     * types of the arguments before it (arg_types[0..at), bound first).
     * Non-zero and a sentence in err when the call cannot take such a
     * lambda there. NULL: the function takes no lambda. */
    sl_err_t (*lambda_params)(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t at,
                              uint32_t n_params, const sl_sql_type_t **params, char *err, size_t errlen);
    /* The first argument is a time unit written as a bare word (DAYS,
     * HOURS, ... as TIMESTAMPADD takes it): the binder passes a name
     * sl_sql_time_unit_ms knows as a STRING literal (any other name is a
     * column, as in ksqlDB). */
    bool unit_first;
};

/* The milliseconds of a time unit's name (DAY, HOUR, MINUTE, SECOND,
 * MILLISECOND or the plural, any case); 0 when it is none (func_time.c). */
int64_t sl_sql_time_unit_ms(const char *p, uint32_t n);

/* The groups the registry lists; each is an array ended by an entry whose
 * name is NULL. */
extern const sl_sql_func_t sl_sql_funcs_math[];
extern const sl_sql_func_t sl_sql_funcs_string[];
extern const sl_sql_func_t sl_sql_funcs_time[];
extern const sl_sql_func_t sl_sql_funcs_json[];
extern const sl_sql_func_t sl_sql_funcs_collection[];
extern const sl_sql_func_t sl_sql_funcs_misc[];
extern const sl_sql_func_t sl_sql_funcs_lambda[];
extern const sl_sql_func_t sl_sql_funcs_url[];
extern const sl_sql_func_t sl_sql_funcs_agg[];
extern const sl_sql_func_t sl_sql_funcs_table[];

/* A function by upper-case name, any kind; NULL if none. */
const sl_sql_func_t *sl_sql_func_find(const char *name);
/* Calls fn for every function in name order (SHOW FUNCTIONS); stops when
 * fn returns false. */
void sl_sql_func_each(bool (*fn)(const sl_sql_func_t *f, void *arg), void *arg);
/* Up to max names of functions closest to name (edit distance), for
 * "did you mean" in errors; returns how many. */
size_t sl_sql_func_similar(const char *name, const char **out, size_t max);

/* Binds one aggregate call: func must be an aggregate; args are the
 * column arguments, consts the literal parameters. Fills *out (from arena)
 * or gives an error sentence. */
sl_err_t sl_sql_agg_bind(sl_arena_t *arena, const sl_sql_func_t *func, sl_sql_expr_t **args, uint32_t n_args,
                         const sl_sql_datum_t *consts, uint32_t n_consts, const char *text,
                         sl_sql_agg_call_t **out, char *err, size_t errlen);

#endif
