/*
 * front_int.h - what the three files of the SQL front end share among
 * themselves (lexer.re, parse.y, ast.c): tokens, the parse context the
 * grammar's actions build into, the constructors the actions call, and the
 * generated parser's entry points. Nothing outside the front end includes
 * it; the binder and the engine see ast_int.h only.
 */
#ifndef SL_SQL_FRONT_INT_H
#define SL_SQL_FRONT_INT_H

#include <stdio.h>

#include "ast_int.h"
#include "sql.h"

/* The parser's limits: a statement's length, and nesting of brackets and
 * of expressions (beyond that a statement is refused, so no recursion over
 * the tree can overflow the C stack). */
#define SL_SQL_MAX_STATEMENT (1u << 20)
#define SL_SQL_MAX_DEPTH 200

/* One token: a borrowed slice of the text being parsed (quotes included
 * for strings and quoted identifiers), with its 1-based position. stmt is
 * set on ';' tokens only: where the statement it ends begins. */
typedef struct sl_sql_token {
    const char *ptr;
    uint32_t len;
    uint32_t line;
    uint32_t col;
    int code;                   /* TK_* of parse.h; 0 at the end */
    bool quoted;                /* a quoted identifier */
    const char *stmt;
} sl_sql_token_t;

/* The lexer's state over a NUL-terminated copy of the text (the NUL is
 * the sentinel re2c stops at). */
typedef struct sl_sql_lexer {
    const char *end;            /* the NUL */
    const char *cur;
    uint32_t line;
    const char *line_start;
    const char *col_at;         /* where col was last counted to */
    uint32_t col;
} sl_sql_lexer_t;

/* Reads the next token into *tok (code 0 at the end of the text). On a bad
 * character or an unterminated string or comment, returns -1 with the
 * token's position set and a sentence in msg. */
int sl_sql_lex(sl_sql_lexer_t *lx, sl_sql_token_t *tok, char *msg, size_t msglen);
/* How a terminal is shown in "expecting ...": ';', IDENTIFIER, or a
 * keyword's name (*keyword set: shown quoted, 'FROM'). */
const char *sl_sql_token_name(int code, bool *keyword);

/* The parse's state: the grammar's %extra_context. Errors are sticky: the
 * first one wins and the driver stops feeding tokens. */
typedef struct sl_sql_pctx {
    sl_arena_t *arena;
    sl_sql_error_t *err;
    sl_err_t rc;
    sl_sql_list_t *stmts;
    sl_sql_token_t cur;             /* the token being fed */
    sl_sql_token_t next;            /* the one after it (if next_ok) */
    bool next_ok;
} sl_sql_pctx_t;

/* --- Constructors the grammar's actions call (ast.c) ------------------- */

/* Sets the context's error (first one wins): "line L:C: " + the sentence. */
void sl_sql_pfail(sl_sql_pctx_t *c, sl_err_t code, sl_sql_pos_t pos, const char *fmt, ...) SL_PRINTF(4, 5);
void sl_sql_pfail_nomem(sl_sql_pctx_t *c);
/* The syntax error at tok with the terminals the grammar expected there,
 * expected[0..n); extraneous: the token after tok would have fitted (ANTLR's
 * "extraneous input", else "mismatched input"). */
void sl_sql_psyntax(sl_sql_pctx_t *c, const sl_sql_token_t *tok, const int *expected, int n, bool extraneous);

/* Flags the grammar collects for statements and columns. */
enum {
    SL_SQL_PF_OR_REPLACE = 1u << 0,
    SL_SQL_PF_SOURCE = 1u << 1,
    SL_SQL_PF_IF_NOT_EXISTS = 1u << 2,
    SL_SQL_PF_TABLE = 1u << 3,
    SL_SQL_PF_IF_EXISTS = 1u << 4,
    SL_SQL_PF_DELETE_TOPIC = 1u << 5,
    SL_SQL_PF_EXTENDED = 1u << 6,
    SL_SQL_PF_ALL = 1u << 7,
    SL_SQL_PF_FROM_BEGINNING = 1u << 8,
    SL_SQL_PF_KEY = 1u << 9,
    SL_SQL_PF_PRIMARY = 1u << 10,
    SL_SQL_PF_HEADERS = 1u << 11
};

sl_sql_pos_t sl_sql_tpos(sl_sql_token_t t);
sl_sql_list_t *sl_sql_plist(sl_sql_pctx_t *c, sl_sql_list_t *l, void *p);
sl_sql_ident_t sl_sql_ident(sl_sql_pctx_t *c, sl_sql_token_t t);
sl_sql_ident_t *sl_sql_ident_new(sl_sql_pctx_t *c, sl_sql_token_t t);
/* A non-negative integer literal's value (time sizes, LIMIT, DECIMAL(p,s));
 * an error when it does not fit. neg: it was written with a '-'. */
int64_t sl_sql_pint(sl_sql_pctx_t *c, sl_sql_token_t t, bool neg);
/* n UNIT in milliseconds. */
int64_t sl_sql_pduration(sl_sql_pctx_t *c, sl_sql_token_t n, sl_sql_token_t unit);

/* Expressions. */
sl_sql_ast_expr_t *sl_sql_e_lit(sl_sql_pctx_t *c, sl_sql_ast_ekind_t kind, sl_sql_token_t t);
sl_sql_ast_expr_t *sl_sql_e_bool(sl_sql_pctx_t *c, sl_sql_token_t t, bool v);
sl_sql_ast_expr_t *sl_sql_e_column(sl_sql_pctx_t *c, const sl_sql_token_t *qual, sl_sql_token_t name);
sl_sql_ast_expr_t *sl_sql_e_star(sl_sql_pctx_t *c, const sl_sql_token_t *qual, sl_sql_token_t star);
sl_sql_ast_expr_t *sl_sql_e_unary(sl_sql_pctx_t *c, sl_sql_token_t op, sl_sql_op_t o, sl_sql_ast_expr_t *a);
sl_sql_ast_expr_t *sl_sql_e_binary(sl_sql_pctx_t *c, sl_sql_op_t op, sl_sql_ast_expr_t *a, sl_sql_ast_expr_t *b);
sl_sql_ast_expr_t *sl_sql_e_is_null(sl_sql_pctx_t *c, sl_sql_ast_expr_t *a, bool negated);
sl_sql_ast_expr_t *sl_sql_e_like(sl_sql_pctx_t *c, sl_sql_ast_expr_t *a, bool negated, sl_sql_ast_expr_t *pat,
                                 sl_sql_ast_expr_t *esc);
sl_sql_ast_expr_t *sl_sql_e_between(sl_sql_pctx_t *c, sl_sql_ast_expr_t *a, bool negated, sl_sql_ast_expr_t *lo,
                                    sl_sql_ast_expr_t *hi);
sl_sql_ast_expr_t *sl_sql_e_in(sl_sql_pctx_t *c, sl_sql_ast_expr_t *a, bool negated, sl_sql_list_t *list);
sl_sql_ast_expr_t *sl_sql_e_case(sl_sql_pctx_t *c, sl_sql_token_t t, sl_sql_ast_expr_t *operand, sl_sql_list_t *whens,
                                 sl_sql_ast_expr_t *els);
sl_sql_ast_expr_t *sl_sql_e_cast(sl_sql_pctx_t *c, sl_sql_token_t t, sl_sql_ast_expr_t *a, const sl_sql_type_t *type);
sl_sql_ast_expr_t *sl_sql_e_call(sl_sql_pctx_t *c, sl_sql_token_t name, sl_sql_list_t *args, bool distinct, bool star);
sl_sql_ast_expr_t *sl_sql_e_deref(sl_sql_pctx_t *c, sl_sql_ast_expr_t *a, sl_sql_token_t field);
sl_sql_ast_expr_t *sl_sql_e_subscript(sl_sql_pctx_t *c, sl_sql_ast_expr_t *a, sl_sql_ast_expr_t *index);
/* params => body: params are the expressions the grammar read before the
 * arrow; each must be a plain unqualified name (else a parse error). */
sl_sql_ast_expr_t *sl_sql_e_lambda(sl_sql_pctx_t *c, sl_sql_list_t *params, sl_sql_ast_expr_t *body);
/* ARRAY[...], MAP(...), STRUCT(...): kind and args (MAP: k, v, k, v...;
 * STRUCT: names beside args). */
sl_sql_ast_expr_t *sl_sql_e_ctor(sl_sql_pctx_t *c, sl_sql_token_t t, sl_sql_ast_ekind_t kind, sl_sql_list_t *args,
                                 sl_sql_list_t *names);
/* STRUCT(name := value, ...) as the grammar collects it. */
typedef struct sl_sql_pstruct {
    sl_sql_list_t *names;
    sl_sql_list_t *args;
} sl_sql_pstruct_t;
sl_sql_pstruct_t sl_sql_pstruct(sl_sql_pctx_t *c, const sl_sql_pstruct_t *l, sl_sql_token_t name,
                                sl_sql_ast_expr_t *value);

/* Types. name(...) for DECIMAL(p, s); the others by name. */
const sl_sql_type_t *sl_sql_t_named(sl_sql_pctx_t *c, sl_sql_token_t name);
const sl_sql_type_t *sl_sql_t_decimal(sl_sql_pctx_t *c, sl_sql_token_t name, sl_sql_token_t p, sl_sql_token_t s);
const sl_sql_type_t *sl_sql_t_array(sl_sql_pctx_t *c, const sl_sql_type_t *elem);
const sl_sql_type_t *sl_sql_t_map(sl_sql_pctx_t *c, const sl_sql_type_t *k, const sl_sql_type_t *v);
/* fields: sl_sql_ast_column_t* (name, type) as the grammar collects them. */
const sl_sql_type_t *sl_sql_t_struct(sl_sql_pctx_t *c, sl_sql_list_t *fields);

/* Queries. */
sl_sql_ast_item_t *sl_sql_q_item(sl_sql_pctx_t *c, sl_sql_ast_expr_t *e, const sl_sql_token_t *alias);
sl_sql_ast_from_t *sl_sql_q_rel(sl_sql_pctx_t *c, sl_sql_token_t name, const sl_sql_token_t *alias);
/* A join's WITHIN (before, after ms; has: it was given) and GRACE (-1). */
typedef struct sl_sql_pwithin {
    bool has;
    int64_t before, after, grace;
} sl_sql_pwithin_t;
sl_sql_pwithin_t sl_sql_pwithin(bool has, int64_t before, int64_t after, int64_t grace);
sl_sql_ast_from_t *sl_sql_q_join(sl_sql_pctx_t *c, sl_sql_ast_from_t *left, sl_sql_join_type_t type,
                                 sl_sql_ast_from_t *right, sl_sql_pwithin_t within, sl_sql_ast_expr_t *on);
/* A window's optional parts collected by the grammar. */
typedef struct sl_sql_pwinopt {
    int64_t retention, grace;   /* -1 if not given */
} sl_sql_pwinopt_t;
sl_sql_ast_window_t *sl_sql_q_window(sl_sql_pctx_t *c, sl_sql_token_t t, sl_sql_window_kind_t kind, int64_t size,
                                     int64_t advance, sl_sql_pwinopt_t opt);
sl_sql_ast_select_t *sl_sql_q_select(sl_sql_pctx_t *c, sl_sql_token_t t, sl_sql_list_t *items,
                                     sl_sql_ast_from_t *from, sl_sql_ast_window_t *window, sl_sql_ast_expr_t *where,
                                     sl_sql_list_t *group_by, sl_sql_list_t *partition_by,
                                     sl_sql_ast_expr_t *having, sl_sql_emit_t emit, int64_t limit);

/* Statements. name: an identifier or a 'string' (kept as written, quoted
 * set); flags: SL_SQL_PF_*. */
sl_sql_stmt_t *sl_sql_s_named(sl_sql_pctx_t *c, sl_sql_stmt_kind_t kind, sl_sql_token_t t, const sl_sql_token_t *name,
                              unsigned flags);
sl_sql_ast_column_t *sl_sql_s_column(sl_sql_pctx_t *c, sl_sql_token_t name, const sl_sql_type_t *type, unsigned flags);
sl_sql_ast_prop_t *sl_sql_s_prop(sl_sql_pctx_t *c, sl_sql_token_t key, sl_sql_ast_expr_t *value);
/* CREATE's parts once all are known: checks what ksqlDB refuses here and
 * turns the statement into CREATE ... AS SELECT when q is given. */
void sl_sql_s_create(sl_sql_pctx_t *c, sl_sql_stmt_t *s, sl_sql_list_t *cols, sl_sql_list_t *props,
                     sl_sql_ast_select_t *q);
/* INSERT INTO name [WITH (props)] q, or INSERT INTO name [(cols)] VALUES (values). */
sl_sql_stmt_t *sl_sql_s_insert(sl_sql_pctx_t *c, sl_sql_token_t t, sl_sql_token_t name, sl_sql_list_t *props,
                               sl_sql_ast_select_t *q, sl_sql_list_t *cols, sl_sql_list_t *values);
sl_sql_stmt_t *sl_sql_s_select(sl_sql_pctx_t *c, sl_sql_ast_select_t *q);
sl_sql_stmt_t *sl_sql_s_show(sl_sql_pctx_t *c, sl_sql_token_t t, sl_sql_show_what_t what, unsigned flags);
sl_sql_stmt_t *sl_sql_s_explain(sl_sql_pctx_t *c, sl_sql_token_t t, sl_sql_stmt_t *inner);
/* SET 'prop' = 'value', UNSET 'prop', RUN SCRIPT 'path' (value). */
sl_sql_stmt_t *sl_sql_s_set(sl_sql_pctx_t *c, sl_sql_stmt_kind_t kind, sl_sql_token_t t, const sl_sql_token_t *prop,
                            const sl_sql_token_t *value);
sl_sql_stmt_t *sl_sql_s_print(sl_sql_pctx_t *c, sl_sql_token_t t, sl_sql_token_t topic, unsigned flags,
                              int64_t interval, int64_t limit);
/* Ends a statement at its ';' (copies its text) and adds it. */
void sl_sql_s_done(sl_sql_pctx_t *c, sl_sql_stmt_t *s, sl_sql_token_t semi);

/* --- The generated parser (parse.y) ----------------------------------- */

void *sl_sql_ParseAlloc(void *(*malloc_fn)(size_t), sl_sql_pctx_t *c);
void sl_sql_ParseFree(void *p, void (*free_fn)(void *));
void sl_sql_Parse(void *p, int major, sl_sql_token_t minor);
void sl_sql_ParseInit(void *p, sl_sql_pctx_t *c);
void sl_sql_ParseFinalize(void *p);
int sl_sql_ParseFallback(int token);
#ifndef NDEBUG
void sl_sql_ParseTrace(FILE *f, char *prompt);
#endif

#endif
