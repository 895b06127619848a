/*
 * ast_int.h - the syntax tree: what the parser (lexer.re, parse.y, ast.c)
 * gives the binder and the statement executor (internal).
 *
 * Everything here lives in the compile's arena: sl_sql_parse() allocates the
 * tree from the arena it is given, and freeing that arena frees the tree
 * (there is no per-node clean-up). Identifiers are normalised as ksqlDB
 * does: unquoted ones upper-cased, `back-quoted` or "double-quoted" ones
 * kept as written; either way a NUL-terminated copy in the arena. String
 * literals are unescaped copies ('' -> '). Numeric literals keep their text
 * (the binder types them: INT if it fits, else BIGINT; with a point
 * DECIMAL; with an exponent DOUBLE); a minus written before a number is
 * part of its text ("-5", "-0.25", "-1E3"), so -2147483648 is an INT.
 *
 * Positions are 1-based line and column of the first character, for error
 * messages.
 */
#ifndef SL_SQL_AST_INT_H
#define SL_SQL_AST_INT_H

#include "value_int.h"

typedef struct sl_sql_pos {
    uint32_t line;
    uint32_t col;
} sl_sql_pos_t;

/* An arena-grown list of pointers (items[0..n)). */
typedef struct sl_sql_list {
    void **items;
    uint32_t n;
    uint32_t cap;
} sl_sql_list_t;

/* Appends p (returns l, or a new list when l is NULL); NULL when out of
 * memory. */
sl_sql_list_t *sl_sql_list_add(sl_arena_t *arena, sl_sql_list_t *l, void *p);

typedef struct sl_sql_ident {
    const char *name;           /* normalised, NUL-terminated */
    sl_sql_pos_t pos;
    bool quoted;
} sl_sql_ident_t;

/* --- Expressions ---------------------------------------------------------- */

typedef enum sl_sql_ast_ekind {
    SL_SQL_A_NULL,          /* NULL */
    SL_SQL_A_BOOL,          /* TRUE / FALSE: bval */
    SL_SQL_A_INT,           /* 123: text */
    SL_SQL_A_DECIMAL,       /* 1.5: text */
    SL_SQL_A_DOUBLE,        /* 1.5E3: text */
    SL_SQL_A_STRING,        /* 'abc': text (unescaped), len */
    SL_SQL_A_COLUMN,        /* [qual.]name; qual.name may also be a struct
                             * deref written with a dot: the binder decides */
    SL_SQL_A_STAR,          /* * or qual.* (select items, COUNT(*)) */
    SL_SQL_A_UNARY,         /* op: '-', '+', SL_SQL_OP_NOT; a */
    SL_SQL_A_BINARY,        /* op (sl_sql_op_t); a, b */
    SL_SQL_A_IS_NULL,       /* a IS [NOT] NULL: negated */
    SL_SQL_A_LIKE,          /* a [NOT] LIKE b [ESCAPE c] */
    SL_SQL_A_BETWEEN,       /* a [NOT] BETWEEN b AND c */
    SL_SQL_A_IN,            /* a [NOT] IN (args) */
    SL_SQL_A_CASE,          /* CASE [a] WHEN args[2i] THEN args[2i+1] ... [ELSE b] END */
    SL_SQL_A_CAST,          /* CAST(a AS type) */
    SL_SQL_A_CALL,          /* name(args) / name(DISTINCT args) / name(*) (star) */
    SL_SQL_A_DEREF,         /* a->name */
    SL_SQL_A_SUBSCRIPT,     /* a[b] */
    SL_SQL_A_ARRAY,         /* ARRAY[args] */
    SL_SQL_A_MAP,           /* MAP(args[2i] := args[2i+1], ...) */
    SL_SQL_A_STRUCT,        /* STRUCT(names[i] := args[i], ...) */
    SL_SQL_A_INTERVAL,      /* a time literal in WINDOW / WITHIN: ms in ival */
    SL_SQL_A_LAMBDA         /* names (sl_sql_ident_t*, the parameters) => a */
} sl_sql_ast_ekind_t;

typedef enum sl_sql_op {
    SL_SQL_OP_ADD = 1, SL_SQL_OP_SUB, SL_SQL_OP_MUL, SL_SQL_OP_DIV, SL_SQL_OP_MOD,
    SL_SQL_OP_CONCAT,   /* || */
    SL_SQL_OP_EQ, SL_SQL_OP_NE, SL_SQL_OP_LT, SL_SQL_OP_LE, SL_SQL_OP_GT, SL_SQL_OP_GE,
    SL_SQL_OP_AND, SL_SQL_OP_OR, SL_SQL_OP_NOT,
    SL_SQL_OP_NEG,      /* unary minus */
    SL_SQL_OP_PLUS,     /* unary plus */
    SL_SQL_OP_DISTINCT,     /* a IS DISTINCT FROM b (NULL-safe <>) */
    SL_SQL_OP_NOT_DISTINCT  /* a IS NOT DISTINCT FROM b (NULL-safe =) */
} sl_sql_op_t;

typedef struct sl_sql_ast_expr sl_sql_ast_expr_t;
struct sl_sql_ast_expr {
    sl_sql_ast_ekind_t kind;
    sl_sql_pos_t pos;
    sl_sql_op_t op;
    bool bval;                  /* BOOL */
    bool negated;               /* IS NOT NULL, NOT LIKE, NOT BETWEEN, NOT IN */
    bool distinct;              /* CALL: f(DISTINCT x) */
    bool star;                  /* CALL: f(*) */
    const char *text;           /* literals: text; STRING: unescaped */
    uint32_t len;               /* STRING: bytes in text */
    int64_t ival;               /* INTERVAL: milliseconds */
    sl_sql_ident_t qual;        /* COLUMN, STAR: qualifier (name NULL if none) */
    sl_sql_ident_t name;        /* COLUMN: column; CALL: function; DEREF: field */
    sl_sql_ast_expr_t *a, *b, *c;
    sl_sql_list_t *args;        /* CALL, IN, CASE, ARRAY, MAP, STRUCT: sl_sql_ast_expr_t* */
    sl_sql_list_t *names;       /* STRUCT: sl_sql_ident_t* per field; LAMBDA: per parameter */
    const sl_sql_type_t *type;  /* CAST */
    uint32_t depth;             /* 1 + the deepest operand's (the parser's
                                 * limit, SL_SQL_MAX_DEPTH) */
};

/* --- Queries -------------------------------------------------------------- */

typedef struct sl_sql_ast_item {    /* one SELECT item */
    sl_sql_ast_expr_t *expr;        /* SL_SQL_A_STAR for * and qual.* */
    sl_sql_ident_t alias;           /* name NULL if none */
} sl_sql_ast_item_t;

typedef enum sl_sql_join_type { SL_SQL_JOIN_INNER, SL_SQL_JOIN_LEFT, SL_SQL_JOIN_RIGHT, SL_SQL_JOIN_FULL } sl_sql_join_type_t;

typedef struct sl_sql_ast_from sl_sql_ast_from_t;
struct sl_sql_ast_from {
    bool is_join;
    /* a relation */
    sl_sql_ident_t name;
    sl_sql_ident_t alias;           /* name NULL if none */
    /* a join: left JOIN right ON on [WITHIN ...] */
    sl_sql_join_type_t join;
    sl_sql_ast_from_t *left, *right;
    sl_sql_ast_expr_t *on;
    bool has_within;
    int64_t within_before_ms;       /* WITHIN n: both n; WITHIN (a, b): a, b */
    int64_t within_after_ms;
    int64_t within_grace_ms;        /* GRACE PERIOD; -1 if not given */
    sl_sql_pos_t pos;
};

typedef enum sl_sql_window_kind { SL_SQL_WIN_NONE, SL_SQL_WIN_TUMBLING, SL_SQL_WIN_HOPPING, SL_SQL_WIN_SESSION } sl_sql_window_kind_t;

typedef struct sl_sql_ast_window {
    sl_sql_window_kind_t kind;
    int64_t size_ms;                /* TUMBLING/HOPPING SIZE; SESSION gap */
    int64_t advance_ms;             /* HOPPING ADVANCE BY */
    int64_t retention_ms;           /* -1 if not given */
    int64_t grace_ms;               /* -1 if not given */
    sl_sql_pos_t pos;
} sl_sql_ast_window_t;

typedef enum sl_sql_emit { SL_SQL_EMIT_NONE, SL_SQL_EMIT_CHANGES, SL_SQL_EMIT_FINAL } sl_sql_emit_t;

typedef struct sl_sql_ast_select {
    sl_sql_list_t *items;           /* sl_sql_ast_item_t* */
    sl_sql_ast_from_t *from;
    sl_sql_ast_window_t *window;    /* NULL if none */
    sl_sql_ast_expr_t *where;
    sl_sql_list_t *group_by;        /* sl_sql_ast_expr_t*; NULL if none */
    sl_sql_list_t *partition_by;    /* sl_sql_ast_expr_t*; NULL if none */
    sl_sql_ast_expr_t *having;
    sl_sql_emit_t emit;
    int64_t limit;                  /* -1 if none */
    sl_sql_pos_t pos;
} sl_sql_ast_select_t;

/* --- Statements ----------------------------------------------------------- */

typedef enum sl_sql_stmt_kind {
    SL_SQL_S_CREATE_STREAM,     /* create */
    SL_SQL_S_CREATE_TABLE,      /* create */
    SL_SQL_S_CREATE_STREAM_AS,  /* create + select */
    SL_SQL_S_CREATE_TABLE_AS,   /* create + select */
    SL_SQL_S_INSERT_INTO,       /* target + select */
    SL_SQL_S_INSERT_VALUES,     /* target, columns (may be NULL), values */
    SL_SQL_S_SELECT,            /* select: push (EMIT) or pull (none) */
    SL_SQL_S_SHOW,              /* show, extended */
    SL_SQL_S_DESCRIBE,          /* target, extended */
    SL_SQL_S_DESCRIBE_FUNCTION, /* target (the function's name) */
    SL_SQL_S_EXPLAIN,           /* target (a query id) or inner */
    SL_SQL_S_DROP,              /* target, is_table, if_exists, delete_topic */
    SL_SQL_S_TERMINATE,         /* target (query id) or all */
    SL_SQL_S_SET,               /* prop, value */
    SL_SQL_S_UNSET,             /* prop */
    SL_SQL_S_PRINT,             /* target (topic), from_beginning, limit, interval */
    SL_SQL_S_RUN_SCRIPT         /* value (the path) */
} sl_sql_stmt_kind_t;

typedef enum sl_sql_show_what {
    SL_SQL_SHOW_STREAMS, SL_SQL_SHOW_TABLES, SL_SQL_SHOW_TOPICS, SL_SQL_SHOW_QUERIES,
    SL_SQL_SHOW_PROPERTIES, SL_SQL_SHOW_FUNCTIONS
} sl_sql_show_what_t;

typedef struct sl_sql_ast_column {  /* a column in CREATE STREAM/TABLE (...) */
    sl_sql_ident_t name;
    const sl_sql_type_t *type;
    bool key;                       /* KEY (streams) or PRIMARY KEY (tables) */
    bool primary;                   /* PRIMARY KEY was written */
    bool headers;                   /* HEADERS / HEADER('k'): not supported yet */
} sl_sql_ast_column_t;

typedef struct sl_sql_ast_prop {    /* key = literal, in WITH (...) */
    sl_sql_ident_t key;             /* normalised to upper case */
    sl_sql_ast_expr_t *value;       /* a literal (STRING, INT, ...) */
} sl_sql_ast_prop_t;

typedef struct sl_sql_stmt sl_sql_stmt_t;
struct sl_sql_stmt {
    sl_sql_stmt_kind_t kind;
    sl_sql_pos_t pos;
    const char *text;               /* the statement's text, up to and with
                                     * its ';' (NUL-terminated copy) */
    bool or_replace;                /* CREATE OR REPLACE */
    bool source;                    /* CREATE SOURCE STREAM/TABLE (read-only) */
    bool if_not_exists;             /* CREATE ... IF NOT EXISTS */
    bool if_exists;                 /* DROP ... IF EXISTS */
    bool is_table;                  /* DROP TABLE */
    bool delete_topic;              /* DROP ... DELETE TOPIC */
    bool extended;                  /* SHOW ... EXTENDED, DESCRIBE EXTENDED */
    bool all;                       /* TERMINATE ALL */
    bool from_beginning;            /* PRINT ... FROM BEGINNING */
    sl_sql_show_what_t show;
    sl_sql_ident_t target;          /* the stream/table/query/topic/function */
    sl_sql_list_t *columns;         /* CREATE: sl_sql_ast_column_t*;
                                     * INSERT VALUES: sl_sql_ident_t* or NULL */
    sl_sql_list_t *props;           /* WITH: sl_sql_ast_prop_t* or NULL */
    sl_sql_list_t *values;          /* INSERT VALUES: sl_sql_ast_expr_t* */
    sl_sql_ast_select_t *select;    /* *_AS, INSERT INTO, SELECT */
    sl_sql_stmt_t *inner;           /* EXPLAIN <statement> */
    const char *prop;               /* SET/UNSET: the property (unquoted) */
    const char *value;              /* SET: the value; RUN SCRIPT: the path */
    int64_t limit;                  /* PRINT: -1 if none */
    int64_t interval;               /* PRINT: -1 if none */
};

/* --- The parser (lexer.re, parse.y, ast.c) --------------------------------- */

typedef struct sl_sql_error sl_sql_error_t; /* sql.h */

/* Parses text[0..len) (one or more statements, each ended by ';'; the last
 * ';' may be missing) into *out, a list of sl_sql_stmt_t* allocated from
 * arena. Comments (-- to end of line, / * ... * /) are skipped. Errors:
 * SL_ERR_PARSE with err set: line and column of the offending token, and a
 * message "line 1:15: mismatched input 'FORM' expecting one of: FROM, ','
 * ..." naming the token and what the grammar expected there (or
 * "unterminated string", "unknown character '#'"); SL_ERR_NOMEM. A
 * statement of over 1 MiB or nesting deeper than 200 gives SL_ERR_PARSE,
 * never a stack overflow. */
sl_err_t sl_sql_parse(sl_arena_t *arena, const char *text, size_t len, sl_sql_list_t **out, sl_sql_error_t *err);

/* Splits text into statements the way the parser would (on ';' outside
 * strings, quoted identifiers and comments), for the CLI's multi-line
 * input: returns the offset just past the first complete statement's ';',
 * or 0 when text holds no complete statement yet. */
size_t sl_sql_statement_end(const char *text, size_t len);

#endif
