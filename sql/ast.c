/*
 * ast.c - the syntax tree's constructors (called from parse.y's actions),
 * the parse driver (sl_sql_parse: lexer -> lemon parser, limits, error
 * messages as ksqlDB words them) and the statement splitter the CLI uses.
 * Every node lives in the caller's arena; a failed allocation sets the
 * parse's sticky error and the constructor returns NULL, which the grammar
 * passes along until the driver stops.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "front_int.h"
#include "parse.h"
#include "plan_int.h"

/* --- Lists and errors --------------------------------------------------- */

sl_sql_list_t *sl_sql_list_add(sl_arena_t *arena, sl_sql_list_t *l, void *p)
{
    if (!l) {
        l = sl_arena_zalloc(arena, sizeof *l);
        if (!l)
            return NULL;
    }
    if (l->n == l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : 4;
        void **items = sl_arena_alloc(arena, sizeof *items * cap);
        if (!items)
            return NULL;
        if (l->n)
            memcpy(items, l->items, sizeof *items * l->n);
        l->items = items;
        l->cap = cap;
    }
    l->items[l->n++] = p;
    return l;
}

void sl_sql_pfail(sl_sql_pctx_t *c, sl_err_t code, sl_sql_pos_t pos, const char *fmt, ...)
{
    if (c->rc)
        return;
    c->rc = code;
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sl_sql_error_set(c->err, code, pos, "line %u:%u: %s", pos.line, pos.col, msg);
}

void sl_sql_pfail_nomem(sl_sql_pctx_t *c)
{
    if (c->rc)
        return;
    c->rc = SL_ERR_NOMEM;
    sl_sql_pos_t none = {0, 0};
    sl_sql_error_set(c->err, SL_ERR_NOMEM, none, "out of memory while parsing");
}

static void *palloc(sl_sql_pctx_t *c, size_t n)
{
    void *p = sl_arena_zalloc(c->arena, n);
    if (!p)
        sl_sql_pfail_nomem(c);
    return p;
}

sl_sql_pos_t sl_sql_tpos(sl_sql_token_t t)
{
    sl_sql_pos_t p = {t.line, t.col};
    return p;
}

/* The token as an error shows it: its text (shortened), '<EOF>' at the end. */
static void token_text(const sl_sql_token_t *t, char *buf, size_t len)
{
    if (t->code == 0 || t->len == 0) {
        snprintf(buf, len, "<EOF>");
        return;
    }
    int n = t->len > 60 ? 60 : (int)t->len;
    snprintf(buf, len, "%.*s%s", n, t->ptr, t->len > 60 ? "..." : "");
}

/* A keyword ksqlDB reserves (the others fall back to identifiers). */
static bool is_reserved_word(const sl_sql_token_t *t)
{
    return t->code != TK_ID && t->code != 0 && t->len > 0 && ((t->ptr[0] | 0x20) >= 'a' && (t->ptr[0] | 0x20) <= 'z')
           && sl_sql_ParseFallback(t->code) != TK_ID;
}

void sl_sql_psyntax(sl_sql_pctx_t *c, const sl_sql_token_t *tok, const int *expected, int n, bool extraneous)
{
    char text[80];
    token_text(tok, text, sizeof text);
    char exp[600];
    size_t off = 0;
    const int max_listed = 24;
    exp[0] = '\0';
    if (n > 1)
        off += (size_t)snprintf(exp + off, sizeof exp - off, "{");
    for (int i = 0; i < n && i < max_listed && off < sizeof exp; i++) {
        bool kw;
        const char *name = sl_sql_token_name(expected[i], &kw);
        off += (size_t)snprintf(exp + off, sizeof exp - off, "%s%s%s%s", i ? ", " : "", kw ? "'" : "", name,
                                kw ? "'" : "");
    }
    if (n > 1 && off < sizeof exp)
        snprintf(exp + off, sizeof exp - off, "%s}", n > max_listed ? ", ..." : "");
    sl_sql_pos_t pos = sl_sql_tpos(*tok);
    /* As ksqlDB: a reserved word where it reads as a stray token was
     * most likely meant as a name. */
    if (extraneous && is_reserved_word(tok))
        sl_sql_pfail(c, SL_ERR_PARSE, pos,
                     "\"%s\" is a reserved keyword and it can't be used as an identifier. You can use it as an "
                     "identifier by escaping it as `%s`",
                     text, text);
    else if (n)
        sl_sql_pfail(c, SL_ERR_PARSE, pos, "%s input '%s' expecting %s", extraneous ? "extraneous" : "mismatched",
                     text, exp);
    else
        sl_sql_pfail(c, SL_ERR_PARSE, pos, "Syntax error at or near '%s'", text);
}

sl_sql_list_t *sl_sql_plist(sl_sql_pctx_t *c, sl_sql_list_t *l, void *p)
{
    if (!p) {
        /* An empty list asked for, or an item that failed (error set). */
        if (l || c->rc)
            return l;
        l = sl_arena_zalloc(c->arena, sizeof *l);
        if (!l)
            sl_sql_pfail_nomem(c);
        return l;
    }
    sl_sql_list_t *r = sl_sql_list_add(c->arena, l, p);
    if (!r)
        sl_sql_pfail_nomem(c);
    return r;
}

/* --- Identifiers, strings, numbers ------------------------------------- */

/* A quoted token's text without its quotes, doubled quotes made single. */
static char *unquote(sl_sql_pctx_t *c, sl_sql_token_t t, uint32_t *len)
{
    char q = t.ptr[0];
    uint32_t n = t.len >= 2 ? t.len - 2 : 0;
    char *s = sl_arena_alloc(c->arena, (size_t)n + 1);
    if (!s) {
        sl_sql_pfail_nomem(c);
        return NULL;
    }
    uint32_t o = 0;
    for (uint32_t i = 1; i <= n; i++) {
        s[o++] = t.ptr[i];
        if (t.ptr[i] == q && i + 1 <= n && t.ptr[i + 1] == q)
            i++;
    }
    s[o] = '\0';
    if (len)
        *len = o;
    return s;
}

sl_sql_ident_t sl_sql_ident(sl_sql_pctx_t *c, sl_sql_token_t t)
{
    sl_sql_ident_t id = {0};
    id.pos = sl_sql_tpos(t);
    if (t.quoted || t.code == TK_STRING) {
        id.quoted = true;
        id.name = unquote(c, t, NULL);
        return id;
    }
    char *s = sl_arena_strndup(c->arena, t.ptr, t.len);
    if (!s) {
        sl_sql_pfail_nomem(c);
        return id;
    }
    for (char *p = s; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    id.name = s;
    return id;
}

sl_sql_ident_t *sl_sql_ident_new(sl_sql_pctx_t *c, sl_sql_token_t t)
{
    sl_sql_ident_t *id = palloc(c, sizeof *id);
    if (id)
        *id = sl_sql_ident(c, t);
    return id;
}

int64_t sl_sql_pint(sl_sql_pctx_t *c, sl_sql_token_t t, bool neg)
{
    int64_t v = 0;
    for (uint32_t i = 0; i < t.len; i++) {
        int d = t.ptr[i] - '0';
        if (d < 0 || d > 9 || v > (INT64_MAX - d) / 10) {
            sl_sql_pfail(c, SL_ERR_PARSE, sl_sql_tpos(t), "number out of range: %s%.*s", neg ? "-" : "",
                         (int)(t.len > 40 ? 40 : t.len), t.ptr);
            return 0;
        }
        v = v * 10 + d;
    }
    return neg ? -v : v;
}

typedef struct unit {
    const char *name;
    int64_t ms;
} unit_t;

static const unit_t units[] = {
    {"MILLISECOND", 1},        {"MILLISECONDS", 1},      {"SECOND", 1000},        {"SECONDS", 1000},
    {"MINUTE", 60000},         {"MINUTES", 60000},       {"HOUR", 3600000},       {"HOURS", 3600000},
    {"DAY", 86400000},         {"DAYS", 86400000},
};

int64_t sl_sql_pduration(sl_sql_pctx_t *c, sl_sql_token_t n, sl_sql_token_t unit)
{
    int64_t v = sl_sql_pint(c, n, false);
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (!unit.quoted && strlen(units[i].name) == unit.len && strncasecmp(units[i].name, unit.ptr, unit.len) == 0) {
            if (v > INT64_MAX / units[i].ms) {
                sl_sql_pfail(c, SL_ERR_PARSE, sl_sql_tpos(n), "time value out of range: %.*s %s",
                             (int)(n.len > 40 ? 40 : n.len), n.ptr, units[i].name);
                return 0;
            }
            return v * units[i].ms;
        }
    char text[80];
    token_text(&unit, text, sizeof text);
    sl_sql_pfail(c, SL_ERR_PARSE, sl_sql_tpos(unit),
                 "mismatched input '%s' expecting {'DAY', 'HOUR', 'MINUTE', 'SECOND', 'MILLISECOND', 'DAYS', "
                 "'HOURS', 'MINUTES', 'SECONDS', 'MILLISECONDS'}",
                 text);
    return 0;
}

/* --- Expressions -------------------------------------------------------- */

static sl_sql_ast_expr_t *enew(sl_sql_pctx_t *c, sl_sql_ast_ekind_t kind, sl_sql_pos_t pos)
{
    if (c->rc)
        return NULL;
    sl_sql_ast_expr_t *e = palloc(c, sizeof *e);
    if (e) {
        e->kind = kind;
        e->pos = pos;
        e->depth = 1;
    }
    return e;
}

/* Counts an operand into e's depth; refuses trees deeper than the limit
 * (so no recursion over them can run out of stack). */
static void edepth(sl_sql_pctx_t *c, sl_sql_ast_expr_t *e, const sl_sql_ast_expr_t *sub)
{
    if (!e || !sub || sub->depth + 1 <= e->depth)
        return;
    e->depth = sub->depth + 1;
    if (e->depth > SL_SQL_MAX_DEPTH)
        sl_sql_pfail(c, SL_ERR_PARSE, e->pos, "expression nested too deeply (more than %d levels)",
                     SL_SQL_MAX_DEPTH);
}

static void edepth_list(sl_sql_pctx_t *c, sl_sql_ast_expr_t *e, const sl_sql_list_t *l)
{
    for (uint32_t i = 0; l && i < l->n; i++)
        edepth(c, e, l->items[i]);
}

sl_sql_ast_expr_t *sl_sql_e_lit(sl_sql_pctx_t *c, sl_sql_ast_ekind_t kind, sl_sql_token_t t)
{
    sl_sql_ast_expr_t *e = enew(c, kind, sl_sql_tpos(t));
    if (!e)
        return NULL;
    if (kind == SL_SQL_A_STRING) {
        e->text = unquote(c, t, &e->len);
    } else if (kind != SL_SQL_A_NULL) {
        e->text = sl_arena_strndup(c->arena, t.ptr, t.len);
        e->len = t.len;
        if (!e->text)
            sl_sql_pfail_nomem(c);
    }
    return e;
}

sl_sql_ast_expr_t *sl_sql_e_bool(sl_sql_pctx_t *c, sl_sql_token_t t, bool v)
{
    sl_sql_ast_expr_t *e = enew(c, SL_SQL_A_BOOL, sl_sql_tpos(t));
    if (e)
        e->bval = v;
    return e;
}

sl_sql_ast_expr_t *sl_sql_e_column(sl_sql_pctx_t *c, const sl_sql_token_t *qual, sl_sql_token_t name)
{
    sl_sql_ast_expr_t *e = enew(c, SL_SQL_A_COLUMN, sl_sql_tpos(qual ? *qual : name));
    if (!e)
        return NULL;
    if (qual)
        e->qual = sl_sql_ident(c, *qual);
    e->name = sl_sql_ident(c, name);
    return e;
}

sl_sql_ast_expr_t *sl_sql_e_star(sl_sql_pctx_t *c, const sl_sql_token_t *qual, sl_sql_token_t star)
{
    sl_sql_ast_expr_t *e = enew(c, SL_SQL_A_STAR, sl_sql_tpos(qual ? *qual : star));
    if (e && qual)
        e->qual = sl_sql_ident(c, *qual);
    return e;
}

static bool is_number(const sl_sql_ast_expr_t *e)
{
    return e->kind == SL_SQL_A_INT || e->kind == SL_SQL_A_DECIMAL || e->kind == SL_SQL_A_DOUBLE;
}

sl_sql_ast_expr_t *sl_sql_e_unary(sl_sql_pctx_t *c, sl_sql_token_t op, sl_sql_op_t o, sl_sql_ast_expr_t *a)
{
    if (!a || c->rc)
        return NULL;
    if (o == SL_SQL_OP_NEG && is_number(a) && a->text[0] != '-') {
        /* A negative literal stays a literal (-2147483648 is an INT). */
        char *t = sl_arena_alloc(c->arena, (size_t)a->len + 2);
        if (!t) {
            sl_sql_pfail_nomem(c);
            return NULL;
        }
        t[0] = '-';
        memcpy(t + 1, a->text, a->len + 1);
        a->text = t;
        a->len++;
        a->pos = sl_sql_tpos(op);
        return a;
    }
    sl_sql_ast_expr_t *e = enew(c, SL_SQL_A_UNARY, sl_sql_tpos(op));
    if (e) {
        e->op = o;
        e->a = a;
        edepth(c, e, a);
    }
    return e;
}

sl_sql_ast_expr_t *sl_sql_e_binary(sl_sql_pctx_t *c, sl_sql_op_t op, sl_sql_ast_expr_t *a, sl_sql_ast_expr_t *b)
{
    if (!a || !b)
        return NULL;
    sl_sql_ast_expr_t *e = enew(c, SL_SQL_A_BINARY, a->pos);
    if (e) {
        e->op = op;
        e->a = a;
        e->b = b;
        edepth(c, e, a);
        edepth(c, e, b);
    }
    return e;
}

sl_sql_ast_expr_t *sl_sql_e_is_null(sl_sql_pctx_t *c, sl_sql_ast_expr_t *a, bool negated)
{
    if (!a)
        return NULL;
    sl_sql_ast_expr_t *e = enew(c, SL_SQL_A_IS_NULL, a->pos);
    if (e) {
        e->a = a;
        e->negated = negated;
        edepth(c, e, a);
    }
    return e;
}

sl_sql_ast_expr_t *sl_sql_e_like(sl_sql_pctx_t *c, sl_sql_ast_expr_t *a, bool negated, sl_sql_ast_expr_t *pat,
                                 sl_sql_ast_expr_t *esc)
{
    if (!a || !pat)
        return NULL;
    sl_sql_ast_expr_t *e = enew(c, SL_SQL_A_LIKE, a->pos);
    if (e) {
        e->a = a;
        e->b = pat;
        e->c = esc;
        e->negated = negated;
        edepth(c, e, a);
        edepth(c, e, pat);
    }
    return e;
}

sl_sql_ast_expr_t *sl_sql_e_between(sl_sql_pctx_t *c, sl_sql_ast_expr_t *a, bool negated, sl_sql_ast_expr_t *lo,
                                    sl_sql_ast_expr_t *hi)
{
    if (!a || !lo || !hi)
        return NULL;
    sl_sql_ast_expr_t *e = enew(c, SL_SQL_A_BETWEEN, a->pos);
    if (e) {
        e->a = a;
        e->b = lo;
        e->c = hi;
        e->negated = negated;
        edepth(c, e, a);
        edepth(c, e, lo);
        edepth(c, e, hi);
    }
    return e;
}

sl_sql_ast_expr_t *sl_sql_e_in(sl_sql_pctx_t *c, sl_sql_ast_expr_t *a, bool negated, sl_sql_list_t *list)
{
    if (!a || !list)
        return NULL;
    sl_sql_ast_expr_t *e = enew(c, SL_SQL_A_IN, a->pos);
    if (e) {
        e->a = a;
        e->args = list;
        e->negated = negated;
        edepth(c, e, a);
        edepth_list(c, e, list);
    }
    return e;
}

sl_sql_ast_expr_t *sl_sql_e_case(sl_sql_pctx_t *c, sl_sql_token_t t, sl_sql_ast_expr_t *operand, sl_sql_list_t *whens,
                                 sl_sql_ast_expr_t *els)
{
    if (!whens)
        return NULL;
    sl_sql_ast_expr_t *e = enew(c, SL_SQL_A_CASE, sl_sql_tpos(t));
    if (e) {
        e->a = operand;
        e->args = whens;
        e->b = els;
        edepth(c, e, operand);
        edepth(c, e, els);
        edepth_list(c, e, whens);
    }
    return e;
}

sl_sql_ast_expr_t *sl_sql_e_cast(sl_sql_pctx_t *c, sl_sql_token_t t, sl_sql_ast_expr_t *a, const sl_sql_type_t *type)
{
    if (!a || !type)
        return NULL;
    sl_sql_ast_expr_t *e = enew(c, SL_SQL_A_CAST, sl_sql_tpos(t));
    if (e) {
        e->a = a;
        e->type = type;
        edepth(c, e, a);
    }
    return e;
}

sl_sql_ast_expr_t *sl_sql_e_call(sl_sql_pctx_t *c, sl_sql_token_t name, sl_sql_list_t *args, bool distinct, bool star)
{
    sl_sql_ast_expr_t *e = enew(c, SL_SQL_A_CALL, sl_sql_tpos(name));
    if (!e)
        return NULL;
    e->name = sl_sql_ident(c, name);
    e->args = args ? args : sl_sql_plist(c, NULL, NULL);
    e->distinct = distinct;
    e->star = star;
    edepth_list(c, e, args);
    return e;
}

sl_sql_ast_expr_t *sl_sql_e_deref(sl_sql_pctx_t *c, sl_sql_ast_expr_t *a, sl_sql_token_t field)
{
    if (!a)
        return NULL;
    sl_sql_ast_expr_t *e = enew(c, SL_SQL_A_DEREF, a->pos);
    if (e) {
        e->a = a;
        e->name = sl_sql_ident(c, field);
        edepth(c, e, a);
    }
    return e;
}

sl_sql_ast_expr_t *sl_sql_e_subscript(sl_sql_pctx_t *c, sl_sql_ast_expr_t *a, sl_sql_ast_expr_t *index)
{
    if (!a || !index)
        return NULL;
    sl_sql_ast_expr_t *e = enew(c, SL_SQL_A_SUBSCRIPT, a->pos);
    if (e) {
        e->a = a;
        e->b = index;
        edepth(c, e, a);
        edepth(c, e, index);
    }
    return e;
}

sl_sql_ast_expr_t *sl_sql_e_lambda(sl_sql_pctx_t *c, sl_sql_list_t *params, sl_sql_ast_expr_t *body)
{
    if (!params || !body || c->rc)
        return NULL;
    const sl_sql_ast_expr_t *p0 = params->items[0];
    sl_sql_ast_expr_t *e = enew(c, SL_SQL_A_LAMBDA, p0 ? p0->pos : body->pos);
    if (!e)
        return NULL;
    sl_sql_list_t *names = NULL;
    for (uint32_t i = 0; i < params->n; i++) {
        const sl_sql_ast_expr_t *p = params->items[i];
        if (!p || p->kind != SL_SQL_A_COLUMN || p->qual.name) {
            sl_sql_pfail(c, SL_ERR_PARSE, p ? p->pos : e->pos, "a lambda's parameters must be plain names");
            return NULL;
        }
        for (uint32_t j = 0; j < i; j++)
            if (!strcmp(((const sl_sql_ast_expr_t *)params->items[j])->name.name, p->name.name)) {
                sl_sql_pfail(c, SL_ERR_PARSE, p->pos, "a lambda's parameters must have different names: %s",
                             p->name.name);
                return NULL;
            }
        sl_sql_ident_t *id = palloc(c, sizeof *id);
        if (!id)
            return NULL;
        *id = p->name;
        names = sl_sql_plist(c, names, id);
    }
    e->names = names;
    e->a = body;
    edepth(c, e, body);
    return e;
}

sl_sql_ast_expr_t *sl_sql_e_ctor(sl_sql_pctx_t *c, sl_sql_token_t t, sl_sql_ast_ekind_t kind, sl_sql_list_t *args,
                                 sl_sql_list_t *names)
{
    sl_sql_ast_expr_t *e = enew(c, kind, sl_sql_tpos(t));
    if (!e)
        return NULL;
    e->args = args ? args : sl_sql_plist(c, NULL, NULL);
    if (kind == SL_SQL_A_STRUCT)
        e->names = names ? names : sl_sql_plist(c, NULL, NULL);
    edepth_list(c, e, args);
    return e;
}

sl_sql_pstruct_t sl_sql_pstruct(sl_sql_pctx_t *c, const sl_sql_pstruct_t *l, sl_sql_token_t name,
                                sl_sql_ast_expr_t *value)
{
    sl_sql_pstruct_t r = {0};
    if (l)
        r = *l;
    r.names = sl_sql_plist(c, r.names, sl_sql_ident_new(c, name));
    r.args = sl_sql_plist(c, r.args, value);
    return r;
}

/* --- Types -------------------------------------------------------------- */

const sl_sql_type_t *sl_sql_t_named(sl_sql_pctx_t *c, sl_sql_token_t name)
{
    if (c->rc)
        return NULL;
    const sl_sql_type_t *t = name.quoted ? NULL : sl_sql_type_by_name(name.ptr, name.len);
    if (!t) {
        char text[80];
        token_text(&name, text, sizeof text);
        sl_sql_pfail(c, SL_ERR_PARSE, sl_sql_tpos(name), "Unknown type: %s", text);
    }
    return t;
}

const sl_sql_type_t *sl_sql_t_decimal(sl_sql_pctx_t *c, sl_sql_token_t name, sl_sql_token_t p, sl_sql_token_t s)
{
    if (c->rc)
        return NULL;
    if (name.quoted || name.len != 7 || strncasecmp(name.ptr, "DECIMAL", 7) != 0) {
        char text[80];
        token_text(&name, text, sizeof text);
        sl_sql_pfail(c, SL_ERR_PARSE, sl_sql_tpos(name), "Unknown type: %s", text);
        return NULL;
    }
    int64_t pv = sl_sql_pint(c, p, false), sv = sl_sql_pint(c, s, false);
    if (c->rc)
        return NULL;
    if (pv < 1 || pv > 38) {
        sl_sql_pfail(c, SL_ERR_PARSE, sl_sql_tpos(p), "DECIMAL precision must be between 1 and 38: %lld",
                     (long long)pv);
        return NULL;
    }
    if (sv > pv) {
        sl_sql_pfail(c, SL_ERR_PARSE, sl_sql_tpos(s), "DECIMAL scale must be <= precision: DECIMAL(%lld, %lld)",
                     (long long)pv, (long long)sv);
        return NULL;
    }
    const sl_sql_type_t *t = sl_sql_type_decimal(c->arena, (int)pv, (int)sv);
    if (!t)
        sl_sql_pfail_nomem(c);
    return t;
}

const sl_sql_type_t *sl_sql_t_array(sl_sql_pctx_t *c, const sl_sql_type_t *elem)
{
    if (!elem || c->rc)
        return NULL;
    const sl_sql_type_t *t = sl_sql_type_array(c->arena, elem);
    if (!t)
        sl_sql_pfail_nomem(c);
    return t;
}

const sl_sql_type_t *sl_sql_t_map(sl_sql_pctx_t *c, const sl_sql_type_t *k, const sl_sql_type_t *v)
{
    if (!k || !v || c->rc)
        return NULL;
    const sl_sql_type_t *t = sl_sql_type_map(c->arena, k, v);
    if (!t)
        sl_sql_pfail_nomem(c);
    return t;
}

const sl_sql_type_t *sl_sql_t_struct(sl_sql_pctx_t *c, sl_sql_list_t *fields)
{
    if (c->rc)
        return NULL;
    uint32_t n = fields ? fields->n : 0;
    sl_sql_field_t *f = palloc(c, sizeof *f * (n ? n : 1));
    if (!f)
        return NULL;
    for (uint32_t i = 0; i < n; i++) {
        const sl_sql_ast_column_t *col = fields->items[i];
        f[i].name = col->name.name;
        f[i].type = col->type;
    }
    const sl_sql_type_t *t = sl_sql_type_struct(c->arena, f, n);
    if (!t)
        sl_sql_pfail_nomem(c);
    return t;
}

/* --- Queries ------------------------------------------------------------ */

sl_sql_ast_item_t *sl_sql_q_item(sl_sql_pctx_t *c, sl_sql_ast_expr_t *e, const sl_sql_token_t *alias)
{
    if (!e)
        return NULL;
    sl_sql_ast_item_t *it = palloc(c, sizeof *it);
    if (it) {
        it->expr = e;
        if (alias)
            it->alias = sl_sql_ident(c, *alias);
    }
    return it;
}

sl_sql_ast_from_t *sl_sql_q_rel(sl_sql_pctx_t *c, sl_sql_token_t name, const sl_sql_token_t *alias)
{
    if (c->rc)
        return NULL;
    sl_sql_ast_from_t *f = palloc(c, sizeof *f);
    if (f) {
        f->pos = sl_sql_tpos(name);
        f->name = sl_sql_ident(c, name);
        if (alias)
            f->alias = sl_sql_ident(c, *alias);
        f->within_grace_ms = -1;
    }
    return f;
}

sl_sql_pwithin_t sl_sql_pwithin(bool has, int64_t before, int64_t after, int64_t grace)
{
    sl_sql_pwithin_t w = {has, before, after, grace};
    return w;
}

sl_sql_ast_from_t *sl_sql_q_join(sl_sql_pctx_t *c, sl_sql_ast_from_t *left, sl_sql_join_type_t type,
                                 sl_sql_ast_from_t *right, sl_sql_pwithin_t within, sl_sql_ast_expr_t *on)
{
    if (!left || !right || !on)
        return NULL;
    sl_sql_ast_from_t *f = palloc(c, sizeof *f);
    if (f) {
        f->is_join = true;
        f->pos = right->pos;
        f->join = type;
        f->left = left;
        f->right = right;
        f->on = on;
        f->has_within = within.has;
        f->within_before_ms = within.before;
        f->within_after_ms = within.after;
        f->within_grace_ms = within.grace;
    }
    return f;
}

sl_sql_ast_window_t *sl_sql_q_window(sl_sql_pctx_t *c, sl_sql_token_t t, sl_sql_window_kind_t kind, int64_t size,
                                     int64_t advance, sl_sql_pwinopt_t opt)
{
    if (c->rc)
        return NULL;
    sl_sql_ast_window_t *w = palloc(c, sizeof *w);
    if (w) {
        w->kind = kind;
        w->pos = sl_sql_tpos(t);
        w->size_ms = size;
        w->advance_ms = kind == SL_SQL_WIN_SESSION ? 0 : advance;
        w->retention_ms = opt.retention;
        w->grace_ms = opt.grace;
    }
    return w;
}

sl_sql_ast_select_t *sl_sql_q_select(sl_sql_pctx_t *c, sl_sql_token_t t, sl_sql_list_t *items,
                                     sl_sql_ast_from_t *from, sl_sql_ast_window_t *window, sl_sql_ast_expr_t *where,
                                     sl_sql_list_t *group_by, sl_sql_list_t *partition_by,
                                     sl_sql_ast_expr_t *having, sl_sql_emit_t emit, int64_t limit)
{
    if (c->rc || !items || !from)
        return NULL;
    sl_sql_ast_select_t *q = palloc(c, sizeof *q);
    if (q) {
        q->pos = sl_sql_tpos(t);
        q->items = items;
        q->from = from;
        q->window = window;
        q->where = where;
        q->group_by = group_by;
        q->partition_by = partition_by;
        q->having = having;
        q->emit = emit;
        q->limit = limit;
    }
    return q;
}

/* --- Statements --------------------------------------------------------- */

static sl_sql_stmt_t *snew(sl_sql_pctx_t *c, sl_sql_stmt_kind_t kind, sl_sql_pos_t pos)
{
    if (c->rc)
        return NULL;
    sl_sql_stmt_t *s = palloc(c, sizeof *s);
    if (s) {
        s->kind = kind;
        s->pos = pos;
        s->limit = -1;
        s->interval = -1;
    }
    return s;
}

static void sflags(sl_sql_stmt_t *s, unsigned f)
{
    s->or_replace = f & SL_SQL_PF_OR_REPLACE;
    s->source = f & SL_SQL_PF_SOURCE;
    s->if_not_exists = f & SL_SQL_PF_IF_NOT_EXISTS;
    s->is_table = f & SL_SQL_PF_TABLE;
    s->if_exists = f & SL_SQL_PF_IF_EXISTS;
    s->delete_topic = f & SL_SQL_PF_DELETE_TOPIC;
    s->extended = f & SL_SQL_PF_EXTENDED;
    s->all = f & SL_SQL_PF_ALL;
    s->from_beginning = f & SL_SQL_PF_FROM_BEGINNING;
}

sl_sql_stmt_t *sl_sql_s_named(sl_sql_pctx_t *c, sl_sql_stmt_kind_t kind, sl_sql_token_t t, const sl_sql_token_t *name,
                              unsigned flags)
{
    sl_sql_stmt_t *s = snew(c, kind, sl_sql_tpos(t));
    if (!s)
        return NULL;
    sflags(s, flags);
    if (name)
        s->target = sl_sql_ident(c, *name);
    return s;
}

sl_sql_ast_column_t *sl_sql_s_column(sl_sql_pctx_t *c, sl_sql_token_t name, const sl_sql_type_t *type, unsigned flags)
{
    if (!type || c->rc)
        return NULL;
    sl_sql_ast_column_t *col = palloc(c, sizeof *col);
    if (col) {
        col->name = sl_sql_ident(c, name);
        col->type = type;
        col->key = flags & SL_SQL_PF_KEY;
        col->primary = flags & SL_SQL_PF_PRIMARY;
        col->headers = flags & SL_SQL_PF_HEADERS;
    }
    return col;
}

sl_sql_ast_prop_t *sl_sql_s_prop(sl_sql_pctx_t *c, sl_sql_token_t key, sl_sql_ast_expr_t *value)
{
    if (!value || c->rc)
        return NULL;
    sl_sql_ast_prop_t *p = palloc(c, sizeof *p);
    if (!p)
        return NULL;
    p->key = sl_sql_ident(c, key);
    p->value = value;
    for (char *q = (char *)p->key.name; q && *q; q++)
        if (*q >= 'a' && *q <= 'z')
            *q = (char)(*q - 'a' + 'A');
    return p;
}

void sl_sql_s_create(sl_sql_pctx_t *c, sl_sql_stmt_t *s, sl_sql_list_t *cols, sl_sql_list_t *props,
                     sl_sql_ast_select_t *q)
{
    if (!s || c->rc)
        return;
    s->columns = cols;
    s->props = props;
    if (!q)
        return;
    if (s->source) {
        sl_sql_pfail(c, SL_ERR_PARSE, s->pos, "CREATE SOURCE %s cannot be used with AS SELECT",
                     s->is_table ? "TABLE" : "STREAM");
        return;
    }
    if (cols) {
        sl_sql_pfail(c, SL_ERR_PARSE, s->pos,
                     "CREATE %s AS SELECT takes its columns from the query: remove the column list",
                     s->is_table ? "TABLE" : "STREAM");
        return;
    }
    s->kind = s->is_table ? SL_SQL_S_CREATE_TABLE_AS : SL_SQL_S_CREATE_STREAM_AS;
    s->select = q;
}

sl_sql_stmt_t *sl_sql_s_insert(sl_sql_pctx_t *c, sl_sql_token_t t, sl_sql_token_t name, sl_sql_list_t *props,
                               sl_sql_ast_select_t *q, sl_sql_list_t *cols, sl_sql_list_t *values)
{
    if (c->rc || (!q && !values))
        return NULL;
    sl_sql_stmt_t *s = snew(c, q ? SL_SQL_S_INSERT_INTO : SL_SQL_S_INSERT_VALUES, sl_sql_tpos(t));
    if (s) {
        s->target = sl_sql_ident(c, name);
        s->props = props;
        s->select = q;
        s->columns = cols;
        s->values = values;
    }
    return s;
}

sl_sql_stmt_t *sl_sql_s_select(sl_sql_pctx_t *c, sl_sql_ast_select_t *q)
{
    if (!q)
        return NULL;
    sl_sql_stmt_t *s = snew(c, SL_SQL_S_SELECT, q->pos);
    if (s)
        s->select = q;
    return s;
}

sl_sql_stmt_t *sl_sql_s_show(sl_sql_pctx_t *c, sl_sql_token_t t, sl_sql_show_what_t what, unsigned flags)
{
    sl_sql_stmt_t *s = snew(c, SL_SQL_S_SHOW, sl_sql_tpos(t));
    if (s) {
        s->show = what;
        sflags(s, flags);
    }
    return s;
}

sl_sql_stmt_t *sl_sql_s_explain(sl_sql_pctx_t *c, sl_sql_token_t t, sl_sql_stmt_t *inner)
{
    if (!inner)
        return NULL;
    sl_sql_stmt_t *s = snew(c, SL_SQL_S_EXPLAIN, sl_sql_tpos(t));
    if (s)
        s->inner = inner;
    return s;
}

sl_sql_stmt_t *sl_sql_s_set(sl_sql_pctx_t *c, sl_sql_stmt_kind_t kind, sl_sql_token_t t, const sl_sql_token_t *prop,
                            const sl_sql_token_t *value)
{
    sl_sql_stmt_t *s = snew(c, kind, sl_sql_tpos(t));
    if (!s)
        return NULL;
    if (prop)
        s->prop = unquote(c, *prop, NULL);
    if (value)
        s->value = unquote(c, *value, NULL);
    return s;
}

sl_sql_stmt_t *sl_sql_s_print(sl_sql_pctx_t *c, sl_sql_token_t t, sl_sql_token_t topic, unsigned flags,
                              int64_t interval, int64_t limit)
{
    sl_sql_stmt_t *s = snew(c, SL_SQL_S_PRINT, sl_sql_tpos(t));
    if (s) {
        sflags(s, flags);
        s->target = sl_sql_ident(c, topic);
        s->interval = interval;
        s->limit = limit;
    }
    return s;
}

void sl_sql_s_done(sl_sql_pctx_t *c, sl_sql_stmt_t *s, sl_sql_token_t semi)
{
    if (!s || c->rc)
        return;
    const char *start = semi.stmt ? semi.stmt : semi.ptr;
    size_t len = (size_t)(semi.ptr + semi.len - start);
    char *text = sl_arena_strndup(c->arena, start, len);
    if (!text) {
        sl_sql_pfail_nomem(c);
        return;
    }
    /* EXPLAIN <statement>: the inner one's text follows the keyword. */
    for (sl_sql_stmt_t *x = s; x; x = x->inner) {
        x->text = text;
        if (x->inner) {
            text += strlen("EXPLAIN");
            while (*text == ' ' || *text == '\t' || *text == '\r' || *text == '\n')
                text++;
        }
    }
    c->stmts = sl_sql_plist(c, c->stmts, s);
}

/* --- The driver --------------------------------------------------------- */

/* err->statement: the failing statement's text, from start to its ';'. */
static void error_statement(sl_sql_error_t *err, const char *start, const char *end)
{
    if (!err || !start)
        return;
    size_t len = (size_t)(end - start);
    size_t stop = sl_sql_statement_end(start, len);
    if (stop)
        len = stop;
    if (len >= sizeof err->statement)
        len = sizeof err->statement - 1;
    memcpy(err->statement, start, len);
    err->statement[len] = '\0';
}

sl_err_t sl_sql_parse(sl_arena_t *arena, const char *text, size_t len, sl_sql_list_t **out, sl_sql_error_t *err)
{
    *out = NULL;
    if (err) {
        err->statement[0] = '\0';
        err->message[0] = '\0';
    }
    if (!text)
        len = 0;
    char *buf = malloc(len + 1);
    if (!buf)
        return sl_sql_error_set(err, SL_ERR_NOMEM, (sl_sql_pos_t){0, 0}, "out of memory while parsing");
    if (len)
        memcpy(buf, text, len);
    buf[len] = '\0';

    sl_sql_pctx_t ctx = {0};
    ctx.arena = arena;
    ctx.err = err;
    void *parser = sl_sql_ParseAlloc(malloc, &ctx);
    if (!parser) {
        free(buf);
        return sl_sql_error_set(err, SL_ERR_NOMEM, (sl_sql_pos_t){0, 0}, "out of memory while parsing");
    }
    sl_sql_lexer_t lx = {buf + len, buf, 1, buf, buf, 1};
    char msg[128];
    sl_sql_token_t cur = {0}, next;
    int next_rc = sl_sql_lex(&lx, &next, msg, sizeof msg);
    const char *stmt_start = NULL;  /* NULL: between statements */
    int depth = 0;
    while (!ctx.rc) {
        if (next_rc < 0) {
            cur = next;
            sl_sql_pfail(&ctx, SL_ERR_PARSE, sl_sql_tpos(next), "%s", msg);
            break;
        }
        cur = next;
        if (cur.code == 0 && stmt_start) {
            /* The last statement's ';' may be missing. */
            memset(&next, 0, sizeof next);
            next.ptr = lx.end;
            next.line = cur.line;
            next.col = cur.col;
            cur.code = TK_SEMI;
        } else if (cur.code != 0) {
            next_rc = sl_sql_lex(&lx, &next, msg, sizeof msg);
        }
        if (!stmt_start && cur.code != TK_SEMI)
            stmt_start = cur.ptr;
        if (stmt_start && (size_t)(cur.ptr + cur.len - stmt_start) > SL_SQL_MAX_STATEMENT) {
            sl_sql_pfail(&ctx, SL_ERR_PARSE, sl_sql_tpos(cur), "statement longer than %u bytes",
                         SL_SQL_MAX_STATEMENT);
            break;
        }
        if (cur.code == TK_LP || cur.code == TK_LBRACKET) {
            if (++depth > SL_SQL_MAX_DEPTH) {
                sl_sql_pfail(&ctx, SL_ERR_PARSE, sl_sql_tpos(cur), "statement nested deeper than %d levels",
                             SL_SQL_MAX_DEPTH);
                break;
            }
        } else if ((cur.code == TK_RP || cur.code == TK_RBRACKET) && depth > 0) {
            depth--;
        }
        if (cur.code == TK_SEMI) {
            cur.stmt = stmt_start;
            depth = 0;
        }
        ctx.cur = cur;
        ctx.next = next;
        ctx.next_ok = next_rc >= 0;
        sl_sql_Parse(parser, cur.code, cur);
        if (ctx.rc)
            break;
        if (cur.code == TK_SEMI)
            stmt_start = NULL;
        if (cur.code == 0)
            break;
    }
    sl_sql_ParseFree(parser, free);
    if (ctx.rc) {
        if (ctx.rc != SL_ERR_NOMEM && err)
            error_statement(err, stmt_start ? stmt_start : cur.ptr, buf + len);
        free(buf);
        return ctx.rc;
    }
    free(buf);
    *out = ctx.stmts ? ctx.stmts : sl_sql_plist(&ctx, NULL, NULL);
    if (!*out)
        return ctx.rc;
    return SL_OK;
}

size_t sl_sql_statement_end(const char *text, size_t len)
{
    enum { NORMAL, SQUOTE, BQUOTE, DQUOTE, LINE_COMMENT, BLOCK_COMMENT } st = NORMAL;
    for (size_t i = 0; i < len; i++) {
        char ch = text[i];
        char nx = i + 1 < len ? text[i + 1] : '\0';
        switch (st) {
        case NORMAL:
            if (ch == ';')
                return i + 1;
            if (ch == '\'')
                st = SQUOTE;
            else if (ch == '`')
                st = BQUOTE;
            else if (ch == '"')
                st = DQUOTE;
            else if (ch == '-' && nx == '-')
                st = LINE_COMMENT, i++;
            else if (ch == '/' && nx == '*')
                st = BLOCK_COMMENT, i++;
            break;
        case SQUOTE: /* '' inside a string leaves and re-enters: same result */
            if (ch == '\'')
                st = NORMAL;
            break;
        case BQUOTE:
            if (ch == '`')
                st = NORMAL;
            break;
        case DQUOTE:
            if (ch == '"')
                st = NORMAL;
            break;
        case LINE_COMMENT:
            if (ch == '\n')
                st = NORMAL;
            break;
        case BLOCK_COMMENT:
            if (ch == '*' && nx == '/')
                st = NORMAL, i++;
            break;
        }
    }
    return 0;
}
