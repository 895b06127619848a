/*
 * parse.y - the grammar of ksqlDB's statements (lemon). Each action is one
 * call to a constructor of ast.c; the parse state (arena, error, the
 * statements so far) is the %extra_context, and its error is sticky: after
 * the first one the driver (sl_sql_parse in ast.c) stops feeding tokens.
 * Keywords ksqlDB does not reserve fall back to identifiers where the
 * grammar has no use for them as keywords; this needs the uncompressed
 * action table (lemon -c): with default reductions a keyword the state
 * expects (EMIT after FROM s) would be taken for an identifier (an alias).
 */

%name sl_sql_Parse
%token_prefix TK_
%token_type {sl_sql_token_t}
%extra_context {sl_sql_pctx_t *ctx}
%stack_size 1000
%start_symbol input

%include {
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "front_int.h"

/* One syntax error stops the parse: no recovery, no second message. */
#define YYNOERRORRECOVERY 1

static void syntax_error(void *parser, sl_sql_pctx_t *c, const sl_sql_token_t *tok, int major);
}

%syntax_error { syntax_error(yypParser, ctx, &yyminor, yymajor); }
%stack_overflow {
    sl_sql_pfail(ctx, SL_ERR_PARSE, sl_sql_tpos(ctx->cur), "statement nested too deeply");
}

/* The order of terminals: punctuation and literals first. */
%token SEMI COMMA DOT LP RP LBRACKET RBRACKET ASSIGN ID STRING INTEGER_VALUE DECIMAL_VALUE
       FLOATING_POINT_VALUE.

%fallback ID
    ADVANCE ARRAY BEGINNING CHANGES DELETE DESCRIBE EMIT ESCAPE EXISTS EXPLAIN EXTENDED FINAL FUNCTION
    FUNCTIONS GRACE HEADER HEADERS HOPPING IF INTERVAL KEY LIST MAP PERIOD PRIMARY PRINT PROPERTIES QUERIES
    REPLACE RETENTION RUN SAMPLE SCRIPT SESSION SET SHOW SIZE SOURCE STREAMS STRUCT TABLES TERMINATE TOPIC
    TOPICS TUMBLING UNSET.

%right LAMBDA.
%left OR.
%left AND.
%right NOT.
%left IS LIKE BETWEEN IN NE EQ GT LE LT GE.
%right ESCAPE.
%left PLUS MINUS CONCAT.
%left STAR SLASH REM.
%right UNARY.
%left LBRACKET ARROW.

input ::= cmdlist.
cmdlist ::= cmdlist ecmd.
cmdlist ::= .
ecmd ::= SEMI.
ecmd ::= cmd(S) SEMI(E).                    { sl_sql_s_done(ctx, S, E); }

%type ident {sl_sql_token_t}
ident(A) ::= ID(A).

/* --- CREATE ------------------------------------------------------------ */

%type cmd {sl_sql_stmt_t *}
%type create_head {sl_sql_stmt_t *}
%type flag {unsigned}
%type colspec {sl_sql_list_t *}
%type coldefs {sl_sql_list_t *}
%type coldef {sl_sql_ast_column_t *}
%type colcons {unsigned}
%type with_opt {sl_sql_list_t *}
%type props {sl_sql_list_t *}
%type prop {sl_sql_ast_prop_t *}
%type literal {sl_sql_ast_expr_t *}

cmd(A) ::= create_head(A) colspec(C) with_opt(W).           { sl_sql_s_create(ctx, A, C, W, NULL); }
cmd(A) ::= create_head(A) colspec(C) with_opt(W) AS select(Q). { sl_sql_s_create(ctx, A, C, W, Q); }

create_head(A) ::= CREATE(T) orrep(R) src(S) STREAM ifne(I) ident(N).
    { A = sl_sql_s_named(ctx, SL_SQL_S_CREATE_STREAM, T, &N, R | S | I); }
create_head(A) ::= CREATE(T) orrep(R) src(S) TABLE ifne(I) ident(N).
    { A = sl_sql_s_named(ctx, SL_SQL_S_CREATE_TABLE, T, &N, R | S | I | SL_SQL_PF_TABLE); }

%type orrep {unsigned}
%type src {unsigned}
%type ifne {unsigned}
orrep(A) ::= .                              { A = 0; }
orrep(A) ::= OR REPLACE.                    { A = SL_SQL_PF_OR_REPLACE; }
src(A) ::= .                                { A = 0; }
src(A) ::= SOURCE.                          { A = SL_SQL_PF_SOURCE; }
ifne(A) ::= .                               { A = 0; }
ifne(A) ::= IF NOT EXISTS.                  { A = SL_SQL_PF_IF_NOT_EXISTS; }

colspec(A) ::= .                            { A = NULL; }
colspec(A) ::= LP coldefs(L) RP.              { A = L; }
coldefs(A) ::= coldef(C).                   { A = sl_sql_plist(ctx, NULL, C); }
coldefs(A) ::= coldefs(A) COMMA coldef(C).  { A = sl_sql_plist(ctx, A, C); }
coldef(A) ::= ident(N) type(T) colcons(K).  { A = sl_sql_s_column(ctx, N, T, K); }
colcons(A) ::= .                            { A = 0; }
colcons(A) ::= KEY.                         { A = SL_SQL_PF_KEY; }
colcons(A) ::= PRIMARY KEY.                 { A = SL_SQL_PF_KEY | SL_SQL_PF_PRIMARY; }
colcons(A) ::= HEADERS.                     { A = SL_SQL_PF_HEADERS; }
colcons(A) ::= HEADER LP STRING RP.         { A = SL_SQL_PF_HEADERS; }

with_opt(A) ::= .                           { A = NULL; }
with_opt(A) ::= WITH LP props(L) RP.        { A = L; }
props(A) ::= prop(P).                       { A = sl_sql_plist(ctx, NULL, P); }
props(A) ::= props(A) COMMA prop(P).        { A = sl_sql_plist(ctx, A, P); }
prop(A) ::= ident(K) EQ propval(V).         { A = sl_sql_s_prop(ctx, K, V); }
prop(A) ::= STRING(K) EQ propval(V).        { A = sl_sql_s_prop(ctx, K, V); }
%type propval {sl_sql_ast_expr_t *}
propval(A) ::= literal(A).
propval(A) ::= MINUS(T) number(N).          { A = sl_sql_e_unary(ctx, T, SL_SQL_OP_NEG, N); }

literal(A) ::= STRING(T).                   { A = sl_sql_e_lit(ctx, SL_SQL_A_STRING, T); }
literal(A) ::= number(A).
literal(A) ::= TRUE(T).                     { A = sl_sql_e_bool(ctx, T, true); }
literal(A) ::= FALSE(T).                    { A = sl_sql_e_bool(ctx, T, false); }
literal(A) ::= NULL(T).                     { A = sl_sql_e_lit(ctx, SL_SQL_A_NULL, T); }
%type number {sl_sql_ast_expr_t *}
number(A) ::= INTEGER_VALUE(T).             { A = sl_sql_e_lit(ctx, SL_SQL_A_INT, T); }
number(A) ::= DECIMAL_VALUE(T).             { A = sl_sql_e_lit(ctx, SL_SQL_A_DECIMAL, T); }
number(A) ::= FLOATING_POINT_VALUE(T).      { A = sl_sql_e_lit(ctx, SL_SQL_A_DOUBLE, T); }

/* --- Types ------------------------------------------------------------- */

%type type {const sl_sql_type_t *}
%type fields {sl_sql_list_t *}
%type field {sl_sql_ast_column_t *}
type(A) ::= ident(N).                       { A = sl_sql_t_named(ctx, N); }
type(A) ::= ident(N) LP INTEGER_VALUE(P) COMMA INTEGER_VALUE(S) RP. { A = sl_sql_t_decimal(ctx, N, P, S); }
type(A) ::= ARRAY LT type(E) GT.            { A = sl_sql_t_array(ctx, E); }
type(A) ::= MAP LT type(K) COMMA type(V) GT. { A = sl_sql_t_map(ctx, K, V); }
type(A) ::= STRUCT LT GT.                   { A = sl_sql_t_struct(ctx, NULL); }
type(A) ::= STRUCT NE.                      { A = sl_sql_t_struct(ctx, NULL); }
type(A) ::= STRUCT LT fields(F) GT.         { A = sl_sql_t_struct(ctx, F); }
fields(A) ::= field(F).                     { A = sl_sql_plist(ctx, NULL, F); }
fields(A) ::= fields(A) COMMA field(F).     { A = sl_sql_plist(ctx, A, F); }
field(A) ::= ident(N) type(T).              { A = sl_sql_s_column(ctx, N, T, 0); }

/* --- INSERT ------------------------------------------------------------ */

%type idlist {sl_sql_list_t *}
%type exprlist_opt {sl_sql_list_t *}
cmd(A) ::= INSERT(T) INTO ident(N) with_opt(W) select(Q).
    { A = sl_sql_s_insert(ctx, T, N, W, Q, NULL, NULL); }
cmd(A) ::= INSERT(T) INTO ident(N) VALUES LP exprlist_opt(V) RP.
    { A = sl_sql_s_insert(ctx, T, N, NULL, NULL, NULL, V); }
cmd(A) ::= INSERT(T) INTO ident(N) LP idlist(C) RP VALUES LP exprlist_opt(V) RP.
    { A = sl_sql_s_insert(ctx, T, N, NULL, NULL, C, V); }
idlist(A) ::= ident(N).                     { A = sl_sql_plist(ctx, NULL, sl_sql_ident_new(ctx, N)); }
idlist(A) ::= idlist(A) COMMA ident(N).     { A = sl_sql_plist(ctx, A, sl_sql_ident_new(ctx, N)); }
exprlist_opt(A) ::= .                       { A = sl_sql_plist(ctx, NULL, NULL); }
exprlist_opt(A) ::= exprlist(A).

/* --- SELECT ------------------------------------------------------------ */

%type select {sl_sql_ast_select_t *}
%type items {sl_sql_list_t *}
%type item {sl_sql_ast_item_t *}
%type from {sl_sql_ast_from_t *}
%type rel {sl_sql_ast_from_t *}
%type alias {sl_sql_token_t}
%type jointype {sl_sql_join_type_t}
%type within {sl_sql_pwithin_t}
%type grace {int64_t}
%type dur {int64_t}
%type window_opt {sl_sql_ast_window_t *}
%type window {sl_sql_ast_window_t *}
%type winopts {sl_sql_pwinopt_t}
%type where_opt {sl_sql_ast_expr_t *}
%type groupby_opt {sl_sql_list_t *}
%type partby_opt {sl_sql_list_t *}
%type having_opt {sl_sql_ast_expr_t *}
%type emit_opt {sl_sql_emit_t}
%type limit_opt {int64_t}

cmd(A) ::= select(Q).                       { A = sl_sql_s_select(ctx, Q); }

select(A) ::= SELECT(T) items(I) FROM from(F) window_opt(W) where_opt(WH) groupby_opt(G) partby_opt(P)
              having_opt(H) emit_opt(E) limit_opt(L).
    { A = sl_sql_q_select(ctx, T, I, F, W, WH, G, P, H, E, L); }

items(A) ::= item(I).                       { A = sl_sql_plist(ctx, NULL, I); }
items(A) ::= items(A) COMMA item(I).        { A = sl_sql_plist(ctx, A, I); }
item(A) ::= STAR(T).                        { A = sl_sql_q_item(ctx, sl_sql_e_star(ctx, NULL, T), NULL); }
item(A) ::= ident(Q) DOT STAR(T).           { A = sl_sql_q_item(ctx, sl_sql_e_star(ctx, &Q, T), NULL); }
item(A) ::= expr(E).                        { A = sl_sql_q_item(ctx, E, NULL); }
item(A) ::= expr(E) ident(N).               { A = sl_sql_q_item(ctx, E, &N); }
item(A) ::= expr(E) AS ident(N).            { A = sl_sql_q_item(ctx, E, &N); }

from(A) ::= rel(A).
from(A) ::= from(L) jointype(J) JOIN rel(R) within(W) ON expr(E). { A = sl_sql_q_join(ctx, L, J, R, W, E); }
rel(A) ::= ident(N).                        { A = sl_sql_q_rel(ctx, N, NULL); }
rel(A) ::= ident(N) ident(S).               { A = sl_sql_q_rel(ctx, N, &S); }
rel(A) ::= ident(N) AS ident(S).            { A = sl_sql_q_rel(ctx, N, &S); }
jointype(A) ::= .                           { A = SL_SQL_JOIN_INNER; }
jointype(A) ::= INNER.                      { A = SL_SQL_JOIN_INNER; }
jointype(A) ::= LEFT.                       { A = SL_SQL_JOIN_LEFT; }
jointype(A) ::= LEFT OUTER.                 { A = SL_SQL_JOIN_LEFT; }
jointype(A) ::= RIGHT.                      { A = SL_SQL_JOIN_RIGHT; }
jointype(A) ::= RIGHT OUTER.                { A = SL_SQL_JOIN_RIGHT; }
jointype(A) ::= FULL.                       { A = SL_SQL_JOIN_FULL; }
jointype(A) ::= FULL OUTER.                 { A = SL_SQL_JOIN_FULL; }
within(A) ::= .                             { A = sl_sql_pwithin(false, 0, 0, -1); }
within(A) ::= WITHIN dur(D) grace(G).       { A = sl_sql_pwithin(true, D, D, G); }
within(A) ::= WITHIN LP dur(B) COMMA dur(F) RP grace(G). { A = sl_sql_pwithin(true, B, F, G); }
grace(A) ::= .                              { A = -1; }
grace(A) ::= GRACE PERIOD dur(D).           { A = D; }
dur(A) ::= INTEGER_VALUE(N) ident(U).       { A = sl_sql_pduration(ctx, N, U); }

window_opt(A) ::= .                         { A = NULL; }
window_opt(A) ::= WINDOW window(W).         { A = W; }
window(A) ::= TUMBLING(T) LP SIZE dur(S) winopts(O) RP.
    { A = sl_sql_q_window(ctx, T, SL_SQL_WIN_TUMBLING, S, S, O); }
window(A) ::= HOPPING(T) LP SIZE dur(S) COMMA ADVANCE BY dur(V) winopts(O) RP.
    { A = sl_sql_q_window(ctx, T, SL_SQL_WIN_HOPPING, S, V, O); }
window(A) ::= SESSION(T) LP dur(S) winopts(O) RP.
    { A = sl_sql_q_window(ctx, T, SL_SQL_WIN_SESSION, S, 0, O); }
winopts(A) ::= .                            { A.retention = -1; A.grace = -1; }
winopts(A) ::= winopts(A) COMMA RETENTION dur(D). { A.retention = D; }
winopts(A) ::= winopts(A) COMMA GRACE PERIOD dur(D). { A.grace = D; }

where_opt(A) ::= .                          { A = NULL; }
where_opt(A) ::= WHERE expr(E).             { A = E; }
groupby_opt(A) ::= .                        { A = NULL; }
groupby_opt(A) ::= GROUP BY exprlist(L).    { A = L; }
groupby_opt(A) ::= GROUP BY LP exprlist2(L) RP. { A = L; }
partby_opt(A) ::= .                         { A = NULL; }
partby_opt(A) ::= PARTITION BY exprlist(L). { A = L; }
partby_opt(A) ::= PARTITION BY LP exprlist2(L) RP. { A = L; }
having_opt(A) ::= .                         { A = NULL; }
having_opt(A) ::= HAVING expr(E).           { A = E; }
emit_opt(A) ::= .                           { A = SL_SQL_EMIT_NONE; }
emit_opt(A) ::= EMIT CHANGES.               { A = SL_SQL_EMIT_CHANGES; }
emit_opt(A) ::= EMIT FINAL.                 { A = SL_SQL_EMIT_FINAL; }
limit_opt(A) ::= .                          { A = -1; }
limit_opt(A) ::= LIMIT INTEGER_VALUE(N).    { A = sl_sql_pint(ctx, N, false); }

/* --- The other statements ---------------------------------------------- */

%type showkw {sl_sql_token_t}
%type ext {unsigned}
%type ifex {unsigned}
%type deltopic {unsigned}
%type resource {sl_sql_token_t}
%type frombeg {unsigned}
%type interval_opt {int64_t}

showkw(A) ::= SHOW(A).
showkw(A) ::= LIST(A).
ext(A) ::= .                                { A = 0; }
ext(A) ::= EXTENDED.                        { A = SL_SQL_PF_EXTENDED; }
cmd(A) ::= showkw(T) STREAMS ext(E).        { A = sl_sql_s_show(ctx, T, SL_SQL_SHOW_STREAMS, E); }
cmd(A) ::= showkw(T) TABLES ext(E).         { A = sl_sql_s_show(ctx, T, SL_SQL_SHOW_TABLES, E); }
cmd(A) ::= showkw(T) TOPICS ext(E).         { A = sl_sql_s_show(ctx, T, SL_SQL_SHOW_TOPICS, E); }
cmd(A) ::= showkw(T) ALL TOPICS ext(E).     { A = sl_sql_s_show(ctx, T, SL_SQL_SHOW_TOPICS, E); }
cmd(A) ::= showkw(T) QUERIES ext(E).        { A = sl_sql_s_show(ctx, T, SL_SQL_SHOW_QUERIES, E); }
cmd(A) ::= showkw(T) PROPERTIES.            { A = sl_sql_s_show(ctx, T, SL_SQL_SHOW_PROPERTIES, 0); }
cmd(A) ::= showkw(T) FUNCTIONS.             { A = sl_sql_s_show(ctx, T, SL_SQL_SHOW_FUNCTIONS, 0); }

cmd(A) ::= DESCRIBE(T) ident(N) ext(E).     { A = sl_sql_s_named(ctx, SL_SQL_S_DESCRIBE, T, &N, E); }
cmd(A) ::= DESCRIBE(T) EXTENDED ident(N).   { A = sl_sql_s_named(ctx, SL_SQL_S_DESCRIBE, T, &N, SL_SQL_PF_EXTENDED); }
cmd(A) ::= DESCRIBE(T) FUNCTION ident(N).   { A = sl_sql_s_named(ctx, SL_SQL_S_DESCRIBE_FUNCTION, T, &N, 0); }
cmd(A) ::= DESCRIBE(T) STREAMS ext(E).      { A = sl_sql_s_show(ctx, T, SL_SQL_SHOW_STREAMS, E); }
cmd(A) ::= DESCRIBE(T) TABLES ext(E).       { A = sl_sql_s_show(ctx, T, SL_SQL_SHOW_TABLES, E); }

cmd(A) ::= EXPLAIN(T) ident(N).             { A = sl_sql_s_named(ctx, SL_SQL_S_EXPLAIN, T, &N, 0); }
cmd(A) ::= EXPLAIN(T) STRING(N).            { A = sl_sql_s_named(ctx, SL_SQL_S_EXPLAIN, T, &N, 0); }
cmd(A) ::= EXPLAIN(T) cmd(S).               { A = sl_sql_s_explain(ctx, T, S); }

ifex(A) ::= .                               { A = 0; }
ifex(A) ::= IF EXISTS.                      { A = SL_SQL_PF_IF_EXISTS; }
deltopic(A) ::= .                           { A = 0; }
deltopic(A) ::= DELETE TOPIC.               { A = SL_SQL_PF_DELETE_TOPIC; }
cmd(A) ::= DROP(T) STREAM ifex(I) ident(N) deltopic(D). { A = sl_sql_s_named(ctx, SL_SQL_S_DROP, T, &N, I | D); }
cmd(A) ::= DROP(T) TABLE ifex(I) ident(N) deltopic(D).
    { A = sl_sql_s_named(ctx, SL_SQL_S_DROP, T, &N, I | D | SL_SQL_PF_TABLE); }

cmd(A) ::= TERMINATE(T) ident(N).           { A = sl_sql_s_named(ctx, SL_SQL_S_TERMINATE, T, &N, 0); }
cmd(A) ::= TERMINATE(T) STRING(N).          { A = sl_sql_s_named(ctx, SL_SQL_S_TERMINATE, T, &N, 0); }
cmd(A) ::= TERMINATE(T) ALL.                { A = sl_sql_s_named(ctx, SL_SQL_S_TERMINATE, T, NULL, SL_SQL_PF_ALL); }

cmd(A) ::= SET(T) STRING(K) EQ STRING(V).   { A = sl_sql_s_set(ctx, SL_SQL_S_SET, T, &K, &V); }
cmd(A) ::= UNSET(T) STRING(K).              { A = sl_sql_s_set(ctx, SL_SQL_S_UNSET, T, &K, NULL); }
cmd(A) ::= RUN(T) SCRIPT STRING(V).         { A = sl_sql_s_set(ctx, SL_SQL_S_RUN_SCRIPT, T, NULL, &V); }

resource(A) ::= ident(A).
resource(A) ::= STRING(A).
frombeg(A) ::= .                            { A = 0; }
frombeg(A) ::= FROM BEGINNING.              { A = SL_SQL_PF_FROM_BEGINNING; }
interval_opt(A) ::= .                       { A = -1; }
interval_opt(A) ::= INTERVAL INTEGER_VALUE(N). { A = sl_sql_pint(ctx, N, false); }
interval_opt(A) ::= SAMPLE INTEGER_VALUE(N). { A = sl_sql_pint(ctx, N, false); }
cmd(A) ::= PRINT(T) resource(N) frombeg(F) interval_opt(I) limit_opt(L).
    { A = sl_sql_s_print(ctx, T, N, F, I, L); }

/* --- Expressions ------------------------------------------------------- */

%type expr {sl_sql_ast_expr_t *}
%type exprlist {sl_sql_list_t *}
%type exprlist2 {sl_sql_list_t *}
%type case_operand {sl_sql_ast_expr_t *}
%type case_whens {sl_sql_list_t *}
%type case_else {sl_sql_ast_expr_t *}
%type maplist {sl_sql_list_t *}
%type structlist {sl_sql_pstruct_t}
%type likeop {unsigned}
%type betweenop {unsigned}
%type inop {unsigned}

exprlist(A) ::= expr(E).                    { A = sl_sql_plist(ctx, NULL, E); }
exprlist(A) ::= exprlist(A) COMMA expr(E).  { A = sl_sql_plist(ctx, A, E); }
/* Two or more, for GROUP BY (a, b): one in parentheses is an expression. */
exprlist2(A) ::= expr(X) COMMA expr(Y).     { A = sl_sql_plist(ctx, sl_sql_plist(ctx, NULL, X), Y); }
exprlist2(A) ::= exprlist2(A) COMMA expr(E). { A = sl_sql_plist(ctx, A, E); }

expr(A) ::= LP expr(E) RP.                  { A = E; }
expr(A) ::= literal(A).
expr(A) ::= ident(N).                       { A = sl_sql_e_column(ctx, NULL, N); }
expr(A) ::= ident(Q) DOT ident(N).          { A = sl_sql_e_column(ctx, &Q, N); }
expr(A) ::= expr(E) ARROW ident(F).         { A = sl_sql_e_deref(ctx, E, F); }
expr(A) ::= expr(E) LBRACKET expr(I) RBRACKET. { A = sl_sql_e_subscript(ctx, E, I); }

expr(A) ::= ident(F) LP RP.                 { A = sl_sql_e_call(ctx, F, NULL, false, false); }
expr(A) ::= ident(F) LP STAR RP.            { A = sl_sql_e_call(ctx, F, NULL, false, true); }
expr(A) ::= ident(F) LP exprlist(L) RP.     { A = sl_sql_e_call(ctx, F, L, false, false); }
expr(A) ::= ident(F) LP DISTINCT exprlist(L) RP. { A = sl_sql_e_call(ctx, F, L, true, false); }

/* Lambdas (arguments of TRANSFORM, FILTER, REDUCE): x => body,
 * (x) => body, (k, v) => body; the body reaches as far as it can. */
expr(A) ::= ident(P) LAMBDA expr(B).        { A = sl_sql_e_lambda(ctx, sl_sql_plist(ctx, NULL, sl_sql_e_column(ctx, NULL, P)), B); }
expr(A) ::= LP expr(P) RP LAMBDA expr(B).   { A = sl_sql_e_lambda(ctx, sl_sql_plist(ctx, NULL, P), B); }
expr(A) ::= LP exprlist2(L) RP LAMBDA expr(B). { A = sl_sql_e_lambda(ctx, L, B); }

expr(A) ::= CASE(T) case_operand(O) case_whens(W) case_else(E) END. { A = sl_sql_e_case(ctx, T, O, W, E); }
case_operand(A) ::= .                       { A = NULL; }
case_operand(A) ::= expr(A).
case_whens(A) ::= WHEN expr(C) THEN expr(R). { A = sl_sql_plist(ctx, sl_sql_plist(ctx, NULL, C), R); }
case_whens(A) ::= case_whens(A) WHEN expr(C) THEN expr(R). { A = sl_sql_plist(ctx, sl_sql_plist(ctx, A, C), R); }
case_else(A) ::= .                          { A = NULL; }
case_else(A) ::= ELSE expr(E).              { A = E; }

expr(A) ::= CAST(T) LP expr(E) AS type(Y) RP. { A = sl_sql_e_cast(ctx, T, E, Y); }
expr(A) ::= ARRAY(T) LBRACKET exprlist_opt(L) RBRACKET. { A = sl_sql_e_ctor(ctx, T, SL_SQL_A_ARRAY, L, NULL); }
expr(A) ::= MAP(T) LP RP.                   { A = sl_sql_e_ctor(ctx, T, SL_SQL_A_MAP, NULL, NULL); }
expr(A) ::= MAP(T) LP maplist(L) RP.        { A = sl_sql_e_ctor(ctx, T, SL_SQL_A_MAP, L, NULL); }
maplist(A) ::= expr(K) ASSIGN expr(V).      { A = sl_sql_plist(ctx, sl_sql_plist(ctx, NULL, K), V); }
maplist(A) ::= maplist(A) COMMA expr(K) ASSIGN expr(V). { A = sl_sql_plist(ctx, sl_sql_plist(ctx, A, K), V); }
expr(A) ::= STRUCT(T) LP RP.                { A = sl_sql_e_ctor(ctx, T, SL_SQL_A_STRUCT, NULL, NULL); }
expr(A) ::= STRUCT(T) LP structlist(L) RP.  { A = sl_sql_e_ctor(ctx, T, SL_SQL_A_STRUCT, L.args, L.names); }
structlist(A) ::= ident(N) ASSIGN expr(V).  { A = sl_sql_pstruct(ctx, NULL, N, V); }
structlist(A) ::= structlist(L) COMMA ident(N) ASSIGN expr(V). { A = sl_sql_pstruct(ctx, &L, N, V); }

expr(A) ::= MINUS(T) expr(E). [UNARY]       { A = sl_sql_e_unary(ctx, T, SL_SQL_OP_NEG, E); }
expr(A) ::= PLUS(T) expr(E). [UNARY]        { A = sl_sql_e_unary(ctx, T, SL_SQL_OP_PLUS, E); }
expr(A) ::= NOT(T) expr(E).                 { A = sl_sql_e_unary(ctx, T, SL_SQL_OP_NOT, E); }
expr(A) ::= expr(X) OR expr(Y).             { A = sl_sql_e_binary(ctx, SL_SQL_OP_OR, X, Y); }
expr(A) ::= expr(X) AND expr(Y).            { A = sl_sql_e_binary(ctx, SL_SQL_OP_AND, X, Y); }
expr(A) ::= expr(X) EQ expr(Y).             { A = sl_sql_e_binary(ctx, SL_SQL_OP_EQ, X, Y); }
expr(A) ::= expr(X) NE expr(Y).             { A = sl_sql_e_binary(ctx, SL_SQL_OP_NE, X, Y); }
expr(A) ::= expr(X) LT expr(Y).             { A = sl_sql_e_binary(ctx, SL_SQL_OP_LT, X, Y); }
expr(A) ::= expr(X) LE expr(Y).             { A = sl_sql_e_binary(ctx, SL_SQL_OP_LE, X, Y); }
expr(A) ::= expr(X) GT expr(Y).             { A = sl_sql_e_binary(ctx, SL_SQL_OP_GT, X, Y); }
expr(A) ::= expr(X) GE expr(Y).             { A = sl_sql_e_binary(ctx, SL_SQL_OP_GE, X, Y); }
expr(A) ::= expr(X) PLUS expr(Y).           { A = sl_sql_e_binary(ctx, SL_SQL_OP_ADD, X, Y); }
expr(A) ::= expr(X) MINUS expr(Y).          { A = sl_sql_e_binary(ctx, SL_SQL_OP_SUB, X, Y); }
expr(A) ::= expr(X) CONCAT expr(Y).         { A = sl_sql_e_binary(ctx, SL_SQL_OP_CONCAT, X, Y); }
expr(A) ::= expr(X) STAR expr(Y).           { A = sl_sql_e_binary(ctx, SL_SQL_OP_MUL, X, Y); }
expr(A) ::= expr(X) SLASH expr(Y).          { A = sl_sql_e_binary(ctx, SL_SQL_OP_DIV, X, Y); }
expr(A) ::= expr(X) REM expr(Y).            { A = sl_sql_e_binary(ctx, SL_SQL_OP_MOD, X, Y); }

expr(A) ::= expr(X) IS NULL.                { A = sl_sql_e_is_null(ctx, X, false); }
expr(A) ::= expr(X) IS NOT NULL.            { A = sl_sql_e_is_null(ctx, X, true); }
expr(A) ::= expr(X) IS DISTINCT FROM expr(Y). [IS] { A = sl_sql_e_binary(ctx, SL_SQL_OP_DISTINCT, X, Y); }
expr(A) ::= expr(X) IS NOT DISTINCT FROM expr(Y). [IS] { A = sl_sql_e_binary(ctx, SL_SQL_OP_NOT_DISTINCT, X, Y); }
likeop(A) ::= LIKE.                         { A = 0; }
likeop(A) ::= NOT LIKE.                     { A = 1; }
expr(A) ::= expr(X) likeop(N) expr(Y). [LIKE] { A = sl_sql_e_like(ctx, X, N, Y, NULL); }
expr(A) ::= expr(X) likeop(N) expr(Y) ESCAPE STRING(E). [LIKE]
    { A = sl_sql_e_like(ctx, X, N, Y, sl_sql_e_lit(ctx, SL_SQL_A_STRING, E)); }
betweenop(A) ::= BETWEEN.                   { A = 0; }
betweenop(A) ::= NOT BETWEEN.               { A = 1; }
expr(A) ::= expr(X) betweenop(N) expr(L) AND expr(H). [BETWEEN] { A = sl_sql_e_between(ctx, X, N, L, H); }
inop(A) ::= IN.                             { A = 0; }
inop(A) ::= NOT IN.                         { A = 1; }
expr(A) ::= expr(X) inop(N) LP exprlist(L) RP. [IN] { A = sl_sql_e_in(ctx, X, N, L); }

%code {
/* The terminals the parser could shift in its current state, found by
 * running its reductions on a copy of the state stack for each terminal
 * (lemon's default reductions mean the top state alone may not say). A
 * keyword that would only be accepted as an identifier is not listed
 * beside IDENTIFIER. */
static YYACTIONTYPE action_no_fallback(YYCODETYPE t, YYACTIONTYPE state)
{
    if (state > YY_MAX_SHIFT)
        return state;
    int i = yy_shift_ofst[state] + t;
    return yy_lookahead[i] == t ? yy_action[i] : yy_default[state];
}

static bool can_shift(YYCODETYPE t, YYACTIONTYPE *stack, int n)
{
    int top = n - 1;
    for (int steps = 0; steps < 10000; steps++) {
        YYACTIONTYPE act = action_no_fallback(t, stack[top]);
        if (act <= YY_MAX_SHIFTREDUCE || act == YY_ACCEPT_ACTION)
            return true;
        if (act < YY_MIN_REDUCE || act > YY_MAX_REDUCE)
            return false;
        unsigned rule = act - YY_MIN_REDUCE;
        top += yyRuleInfoNRhs[rule];
        if (top < 0)
            return false;
        YYACTIONTYPE go = yy_find_reduce_action(stack[top], yyRuleInfoLhs[rule]);
        if (go > YY_MAX_SHIFT && go <= YY_MAX_SHIFTREDUCE)
            go = (YYACTIONTYPE)(go + YY_MIN_REDUCE - YY_MIN_SHIFTREDUCE);
        if (top + 1 > YYSTACKDEPTH)
            return false;
        stack[++top] = go;
    }
    return false;
}

static void syntax_error(void *parser, sl_sql_pctx_t *c, const sl_sql_token_t *tok, int major)
{
    const yyParser *p = parser;
    int n = (int)(p->yytos - p->yystack) + 1;
    YYACTIONTYPE *copy = malloc(sizeof *copy * (YYSTACKDEPTH + 2));
    int expected[YYNTOKEN];
    int ne = 0;
    if (copy) {
        for (int t = 1; t < YYNTOKEN; t++) {
            for (int i = 0; i < n; i++)
                copy[i] = p->yystack[i].stateno;
            if (can_shift((YYCODETYPE)t, copy, n))
                expected[ne++] = t;
        }
    }
    /* ANTLR's "extraneous input": the token after this one would fit. */
    bool extraneous = false;
    if (copy && c->next_ok && c->next.code != 0) {
        for (int i = 0; i < n; i++)
            copy[i] = p->yystack[i].stateno;
        extraneous = can_shift((YYCODETYPE)c->next.code, copy, n);
    }
    free(copy);
    (void)major;
    sl_sql_psyntax(c, tok, expected, ne, extraneous);
}
}
