/*
 * bind_util.c - what the binder asks of expressions without binding them:
 * their SQL text as ksqlDB prints it in messages ("ABS(INPUT.ID)"), the
 * KSQL_COL_n names it generates, whether a syntax tree holds an aggregate
 * call, and whether two bound expressions compute the same thing (how
 * GROUP BY, PARTITION BY and join expressions are recognised in SELECT),
 * and the conjuncts of a bound predicate.
 */
#include <stdio.h>
#include <string.h>

#include "bind_int.h"

/* --- Text --------------------------------------------------------------------- */

static const char *op_text(sl_sql_op_t op)
{
    switch (op) {
    case SL_SQL_OP_ADD: return "+";
    case SL_SQL_OP_SUB: return "-";
    case SL_SQL_OP_MUL: return "*";
    case SL_SQL_OP_DIV: return "/";
    case SL_SQL_OP_MOD: return "%";
    case SL_SQL_OP_CONCAT: return "||";
    case SL_SQL_OP_EQ: return "=";
    case SL_SQL_OP_NE: return "<>";
    case SL_SQL_OP_LT: return "<";
    case SL_SQL_OP_LE: return "<=";
    case SL_SQL_OP_GT: return ">";
    case SL_SQL_OP_GE: return ">=";
    case SL_SQL_OP_AND: return "AND";
    case SL_SQL_OP_OR: return "OR";
    default: return "?";
    }
}

static void put_str(sl_buf_t *out, const char *s)
{
    sl_buf_put(out, s, strlen(s));
}

static void format_list(const sl_sql_list_t *l, uint32_t from, const char *qual, sl_buf_t *out)
{
    for (uint32_t i = from; l && i < l->n; i++) {
        if (i > from)
            put_str(out, ", ");
        sl_sql_ast_format(l->items[i], qual, out);
    }
}

void sl_sql_ast_format(const sl_sql_ast_expr_t *a, const char *qual, sl_buf_t *out)
{
    if (!a) {
        put_str(out, "NULL");
        return;
    }
    switch (a->kind) {
    case SL_SQL_A_NULL:
        put_str(out, "null");
        break;
    case SL_SQL_A_BOOL:
        put_str(out, a->bval ? "true" : "false");
        break;
    case SL_SQL_A_INT:
    case SL_SQL_A_DECIMAL:
    case SL_SQL_A_DOUBLE:
        put_str(out, a->text ? a->text : "");
        break;
    case SL_SQL_A_STRING:
        sl_buf_put_u8(out, '\'');
        for (uint32_t i = 0; i < a->len; i++) {
            if (a->text[i] == '\'')
                sl_buf_put_u8(out, '\'');
            sl_buf_put_u8(out, (uint8_t)a->text[i]);
        }
        sl_buf_put_u8(out, '\'');
        break;
    case SL_SQL_A_COLUMN:
        if (a->qual.name) {
            put_str(out, a->qual.name);
            sl_buf_put_u8(out, '.');
        } else if (qual && sl_sql_pseudo_by_name(a->name.name) < 0) {
            put_str(out, qual);
            sl_buf_put_u8(out, '.');
        }
        put_str(out, a->name.name);
        break;
    case SL_SQL_A_STAR:
        if (a->qual.name) {
            put_str(out, a->qual.name);
            sl_buf_put_u8(out, '.');
        }
        sl_buf_put_u8(out, '*');
        break;
    case SL_SQL_A_UNARY:
        if (a->op == SL_SQL_OP_NOT) {
            put_str(out, "(NOT ");
            sl_sql_ast_format(a->a, qual, out);
            sl_buf_put_u8(out, ')');
        } else {
            sl_buf_put_u8(out, (a->op == SL_SQL_OP_PLUS || a->op == '+') ? '+' : '-');
            sl_sql_ast_format(a->a, qual, out);
        }
        break;
    case SL_SQL_A_BINARY:
        sl_buf_put_u8(out, '(');
        sl_sql_ast_format(a->a, qual, out);
        sl_buf_put_u8(out, ' ');
        put_str(out, op_text(a->op));
        sl_buf_put_u8(out, ' ');
        sl_sql_ast_format(a->b, qual, out);
        sl_buf_put_u8(out, ')');
        break;
    case SL_SQL_A_IS_NULL:
        sl_buf_put_u8(out, '(');
        sl_sql_ast_format(a->a, qual, out);
        put_str(out, a->negated ? " IS NOT NULL)" : " IS NULL)");
        break;
    case SL_SQL_A_LIKE:
        sl_buf_put_u8(out, '(');
        sl_sql_ast_format(a->a, qual, out);
        put_str(out, a->negated ? " NOT LIKE " : " LIKE ");
        sl_sql_ast_format(a->b, qual, out);
        if (a->c) {
            put_str(out, " ESCAPE ");
            sl_sql_ast_format(a->c, qual, out);
        }
        sl_buf_put_u8(out, ')');
        break;
    case SL_SQL_A_BETWEEN:
        sl_buf_put_u8(out, '(');
        sl_sql_ast_format(a->a, qual, out);
        put_str(out, a->negated ? " NOT BETWEEN " : " BETWEEN ");
        sl_sql_ast_format(a->b, qual, out);
        put_str(out, " AND ");
        sl_sql_ast_format(a->c, qual, out);
        sl_buf_put_u8(out, ')');
        break;
    case SL_SQL_A_IN:
        sl_buf_put_u8(out, '(');
        sl_sql_ast_format(a->a, qual, out);
        put_str(out, a->negated ? " NOT IN (" : " IN (");
        format_list(a->args, 0, qual, out);
        put_str(out, "))");
        break;
    case SL_SQL_A_CASE:
        put_str(out, "(CASE");
        if (a->a) {
            sl_buf_put_u8(out, ' ');
            sl_sql_ast_format(a->a, qual, out);
        }
        for (uint32_t i = 0; a->args && i + 1 < a->args->n; i += 2) {
            put_str(out, " WHEN ");
            sl_sql_ast_format(a->args->items[i], qual, out);
            put_str(out, " THEN ");
            sl_sql_ast_format(a->args->items[i + 1], qual, out);
        }
        if (a->b) {
            put_str(out, " ELSE ");
            sl_sql_ast_format(a->b, qual, out);
        }
        put_str(out, " END)");
        break;
    case SL_SQL_A_CAST:
        put_str(out, "CAST(");
        sl_sql_ast_format(a->a, qual, out);
        put_str(out, " AS ");
        sl_sql_type_format(a->type, out);
        sl_buf_put_u8(out, ')');
        break;
    case SL_SQL_A_CALL:
        put_str(out, a->name.name);
        sl_buf_put_u8(out, '(');
        if (a->star)
            sl_buf_put_u8(out, '*');
        else {
            if (a->distinct)
                put_str(out, "DISTINCT ");
            format_list(a->args, 0, qual, out);
        }
        sl_buf_put_u8(out, ')');
        break;
    case SL_SQL_A_DEREF:
        sl_sql_ast_format(a->a, qual, out);
        put_str(out, "->");
        put_str(out, a->name.name);
        break;
    case SL_SQL_A_SUBSCRIPT:
        sl_sql_ast_format(a->a, qual, out);
        sl_buf_put_u8(out, '[');
        sl_sql_ast_format(a->b, qual, out);
        sl_buf_put_u8(out, ']');
        break;
    case SL_SQL_A_ARRAY:
        put_str(out, "ARRAY[");
        format_list(a->args, 0, qual, out);
        sl_buf_put_u8(out, ']');
        break;
    case SL_SQL_A_MAP:
        put_str(out, "MAP(");
        for (uint32_t i = 0; a->args && i + 1 < a->args->n; i += 2) {
            if (i)
                put_str(out, ", ");
            sl_sql_ast_format(a->args->items[i], qual, out);
            put_str(out, ":=");
            sl_sql_ast_format(a->args->items[i + 1], qual, out);
        }
        sl_buf_put_u8(out, ')');
        break;
    case SL_SQL_A_STRUCT:
        put_str(out, "STRUCT(");
        for (uint32_t i = 0; a->args && i < a->args->n; i++) {
            if (i)
                put_str(out, ", ");
            const sl_sql_ident_t *id = a->names && i < a->names->n ? a->names->items[i] : NULL;
            put_str(out, id && id->name ? id->name : "?");
            put_str(out, ":=");
            sl_sql_ast_format(a->args->items[i], qual, out);
        }
        sl_buf_put_u8(out, ')');
        break;
    case SL_SQL_A_LAMBDA:
        sl_buf_put_u8(out, '(');
        for (uint32_t i = 0; a->names && i < a->names->n; i++) {
            const sl_sql_ident_t *id = a->names->items[i];
            if (i)
                put_str(out, ", ");
            put_str(out, id->name);
        }
        put_str(out, ") => ");
        sl_sql_ast_format(a->a, NULL, out);
        break;
    case SL_SQL_A_INTERVAL: {
        char tmp[32];
        snprintf(tmp, sizeof tmp, "%lld MILLISECONDS", (long long)a->ival);
        put_str(out, tmp);
        break;
    }
    }
}

const char *sl_sql_ast_text(sl_arena_t *arena, const sl_sql_ast_expr_t *a, const char *qual)
{
    sl_buf_t buf;
    sl_buf_init(&buf);
    sl_sql_ast_format(a, qual, &buf);
    const char *r = NULL;
    if (!sl_buf_err(&buf))
        r = sl_arena_strndup(arena, buf.data ? (const char *)buf.data : "", buf.len);
    sl_buf_free(&buf);
    return r;
}

bool sl_sql_name_in(const char *name, const char *const *names, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (names[i] && strcmp(names[i], name) == 0)
            return true;
    return false;
}

const char *sl_sql_gen_name(sl_arena_t *arena, const char *const *used, uint32_t n_used, uint32_t *next)
{
    char tmp[32];
    for (;;) {
        snprintf(tmp, sizeof tmp, "KSQL_COL_%u", (*next)++);
        if (!sl_sql_name_in(tmp, used, n_used))
            return sl_arena_strndup(arena, tmp, strlen(tmp));
    }
}

/* --- Aggregates and table functions in syntax trees ----------------------------- */

static bool is_agg_call(const sl_sql_ast_expr_t *a)
{
    if (!a || a->kind != SL_SQL_A_CALL)
        return false;
    const sl_sql_func_t *f = sl_sql_func_find(a->name.name);
    return f && f->kind == SL_SQL_F_AGGREGATE;
}

bool sl_sql_ast_has_agg(const sl_sql_ast_expr_t *a)
{
    if (!a)
        return false;
    if (is_agg_call(a))
        return true;
    if (sl_sql_ast_has_agg(a->a) || sl_sql_ast_has_agg(a->b) || sl_sql_ast_has_agg(a->c))
        return true;
    for (uint32_t i = 0; a->args && i < a->args->n; i++)
        if (sl_sql_ast_has_agg(a->args->items[i]))
            return true;
    return false;
}

/* --- Equality of bound expressions ---------------------------------------------- */

bool sl_sql_expr_same(const sl_sql_expr_t *a, const sl_sql_expr_t *b)
{
    if (a == b)
        return true;
    if (!a || !b)
        return false;
    if (a->kind != b->kind || a->op != b->op || a->negated != b->negated || a->n_args != b->n_args)
        return false;
    if (!sl_sql_type_equal(a->type, b->type))
        return false;
    switch (a->kind) {
    case SL_SQL_E_CONST:
        if (a->value.kind != b->value.kind)
            return false;
        if (a->value.kind != SL_SQL_T_NULL && !sl_sql_datum_eq(&a->value, &b->value, a->type))
            return false;
        break;
    case SL_SQL_E_COLUMN:
        if (a->src != b->src || a->index != b->index)
            return false;
        break;
    case SL_SQL_E_CALL:
        if (a->func != b->func)
            return false;
        break;
    case SL_SQL_E_DEREF:
        if (a->index != b->index)
            return false;
        break;
    case SL_SQL_E_LAMBDA:
        if (a->index != b->index || a->n_vars != b->n_vars)
            return false;
        break;
    default:
        break;
    }
    for (uint32_t i = 0; i < a->n_args; i++)
        if (!sl_sql_expr_same(a->args[i], b->args[i]))
            return false;
    return true;
}

uint32_t sl_sql_expr_conjuncts(sl_sql_expr_t *pred, sl_sql_expr_t **out, uint32_t max)
{
    if (pred->kind == SL_SQL_E_AND) {
        uint32_t n = 0;
        for (uint32_t i = 0; i < pred->n_args && n < max; i++)
            n += sl_sql_expr_conjuncts(pred->args[i], out + n, max - n);
        return n;
    }
    if (max == 0)
        return 0;
    out[0] = pred;
    return 1;
}

