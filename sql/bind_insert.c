/*
 * bind_insert.c - INSERT INTO t [(columns)] VALUES (...): the target, the
 * values matched to columns by name or in schema order (key columns first,
 * as ksqlDB lists them), each value a constant expression cast to its
 * column's type, ROWTIME taken as the record's timestamp, and the key and
 * value rows built from them. A table needs every primary key column.
 */
#include <stdio.h>
#include <string.h>

#include "bind_int.h"

/* Whether a value of type from may go into a column of type to: numbers
 * widen (and literals narrow when they fit: the cast decides), strings give
 * the time types, composites element by element. */
static bool coercible(const sl_sql_type_t *from, const sl_sql_type_t *to, int depth)
{
    if (depth > 32)
        return false;
    if (from->kind == SL_SQL_T_NULL || sl_sql_type_equal(from, to))
        return true;
    if (sl_sql_numeric_rank(from) && sl_sql_numeric_rank(to))
        return true;
    if (from->kind == SL_SQL_T_STRING)
        return to->kind != SL_SQL_T_ARRAY && to->kind != SL_SQL_T_MAP && to->kind != SL_SQL_T_STRUCT &&
               to->kind != SL_SQL_T_BOOLEAN;
    if (from->kind != to->kind)
        return false;
    switch (from->kind) {
    case SL_SQL_T_ARRAY:
        return coercible(from->elem, to->elem, depth + 1);
    case SL_SQL_T_MAP:
        return coercible(from->key, to->key, depth + 1) && coercible(from->elem, to->elem, depth + 1);
    case SL_SQL_T_STRUCT:
        for (uint32_t i = 0; i < from->n_fields; i++) {
            int j = sl_sql_type_field(to, from->fields[i].name);
            if (j < 0 || !coercible(from->fields[i].type, to->fields[j].type, depth + 1))
                return false;
        }
        return true;
    default:
        return false;
    }
}

sl_err_t sl_sql_bind_insert_values(const sl_sql_bind_env_t *env, const sl_sql_stmt_t *stmt,
                                   const sl_sql_source_t **target, sl_sql_row_t **key, sl_sql_row_t **value,
                                   int64_t *timestamp, sl_sql_error_t *err)
{
    sl_sql_binder_t b;
    sl_sql_binder_init(&b, env, err);
    *timestamp = -1;
    const char *name = stmt->target.name;
    const sl_sql_source_t *t = env->catalog ? sl_sql_catalog_find(env->catalog, name) : NULL;
    if (!t) {
        sl_sql_bind_fail(&b, stmt->target.pos, "Cannot insert values into an unknown stream/table: %s", name);
        if (err)
            err->code = SL_ERR_NOENT;
        return SL_ERR_NOENT;
    }
    if (t->window.kind != SL_SQL_WIN_NONE)
        return sl_sql_bind_fail(&b, stmt->target.pos, "Cannot insert values into windowed stream/table!");
    if (t->is_source)
        return sl_sql_bind_fail(&b, stmt->target.pos, "Cannot insert values into read-only %s: %s",
                                t->is_table ? "table" : "stream", t->name);
    const sl_sql_schema_t *s = &t->schema;
    uint32_t n_cols = stmt->columns ? stmt->columns->n : s->n_key + s->n_value;
    uint32_t n_vals = stmt->values ? stmt->values->n : 0;
    const char **names = sl_arena_calloc(env->arena, n_cols ? n_cols : 1, sizeof *names);
    if (!names)
        return sl_sql_error_set(err, SL_ERR_NOMEM, stmt->pos, "out of memory");
    for (uint32_t i = 0; i < n_cols; i++) {
        if (stmt->columns) {
            const sl_sql_ident_t *id = stmt->columns->items[i];
            names[i] = id->name;
        } else
            names[i] = i < s->n_key ? s->key[i].name : s->value[i - s->n_key].name;
    }
    if (n_vals == 0)
        return sl_sql_bind_fail(&b, stmt->pos, "Expected some values for INSERT INTO statement.");
    if (n_cols != n_vals && stmt->columns)
        return sl_sql_bind_fail(&b, stmt->pos, "Expected number columns and values to match: %u, %u", n_cols, n_vals);
    if (n_cols != n_vals) {
        char cl[512] = "", vl[512] = "";
        size_t used = 0;
        for (uint32_t i = 0; i < n_cols; i++) {
            int w = snprintf(cl + used, sizeof cl - used, "%s%s", i ? ", " : "", names[i]);
            if (w < 0 || (size_t)w >= sizeof cl - used)
                break;
            used += (size_t)w;
        }
        used = 0;
        for (uint32_t i = 0; i < n_vals; i++) {
            const char *text = sl_sql_ast_text(env->arena, stmt->values->items[i], NULL);
            int w = snprintf(vl + used, sizeof vl - used, "%s%s", i ? ", " : "", text ? text : "?");
            if (w < 0 || (size_t)w >= sizeof vl - used)
                break;
            used += (size_t)w;
        }
        return sl_sql_bind_fail(&b, stmt->pos,
                                "Failed to insert values into '%s'. Expected a value for each column. Expected "
                                "Columns: [%s]. Got [%s]",
                                name, cl, vl);
    }
    sl_sql_row_t *k = sl_sql_row_new(env->arena, s->n_key);
    sl_sql_row_t *v = sl_sql_row_new(env->arena, s->n_value);
    if (!k || !v)
        return sl_sql_error_set(err, SL_ERR_NOMEM, stmt->pos, "out of memory");
    bool *key_set = sl_arena_calloc(env->arena, s->n_key + 1, sizeof *key_set);
    if (!key_set)
        return sl_sql_error_set(err, SL_ERR_NOMEM, stmt->pos, "out of memory");
    sl_sql_scope_t none = { 0 };
    b.clause = "VALUES";
    for (uint32_t i = 0; i < n_cols; i++) {
        const char *cn = names[i];
        const sl_sql_ast_expr_t *a = stmt->values->items[i];
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(names[j], cn) == 0)
                return sl_sql_bind_fail(&b, a->pos, "Failed to insert values into '%s'. Duplicate column name: %s", name, cn);
        const sl_sql_type_t *to;
        sl_sql_datum_t *slot = NULL;
        int ki = sl_sql_schema_key_index(s, cn), vi = sl_sql_schema_value_index(s, cn);
        bool rowtime = strcmp(cn, "ROWTIME") == 0;
        if (ki >= 0) {
            to = s->key[ki].type;
            slot = &k->cols[ki];
            key_set[ki] = true;
        } else if (vi >= 0) {
            to = s->value[vi].type;
            slot = &v->cols[vi];
        } else if (rowtime)
            to = sl_sql_type_of(SL_SQL_T_BIGINT);
        else
            return sl_sql_bind_fail(&b, a->pos, "Failed to insert values into '%s'. Column name %s does not exist.", name, cn);
        sl_sql_expr_t *e = sl_sql_bind_expr(&b, &none, a);
        if (!e)
            return SL_ERR_INVAL;
        if (!sl_sql_expr_is_constant(e))
            return sl_sql_bind_fail(&b, a->pos, "Failed to insert values into '%s'. Only constant values can be inserted.",
                                    name);
        sl_sql_eval_t cx;
        sl_sql_eval_init(&cx, env->arena, NULL, NULL);
        sl_sql_datum_t d;
        sl_sql_eval(e, &cx, &d);
        if (cx.error[0])
            return sl_sql_bind_fail(&b, a->pos, "Failed to insert values into '%s'. %s", name, cx.error);
        if (rowtime && d.kind != SL_SQL_T_NULL) {
            /* ROWTIME: ms as a number, a TIMESTAMP, or its ISO text. */
            char cerr[256] = "";
            sl_sql_datum_t c;
            const sl_sql_type_t *ts = sl_sql_type_of(SL_SQL_T_TIMESTAMP);
            if (e->type->kind == SL_SQL_T_TIMESTAMP)
                *timestamp = d.u.i64;
            else if (e->type->kind == SL_SQL_T_STRING && !sl_sql_datum_cast(env->arena, &d, e->type, ts, &c, cerr, sizeof cerr))
                *timestamp = c.u.i64;
            else if (e->type->kind == SL_SQL_T_INT)
                *timestamp = d.u.i32;
            else if (e->type->kind == SL_SQL_T_BIGINT)
                *timestamp = d.u.i64;
            else
                return sl_sql_bind_fail(&b, a->pos, "Failed to insert values into '%s'. Expected type BIGINT for field ROWTIME but got %s",
                                        name, sl_sql_ast_text(env->arena, a, NULL));
            continue;
        }
        if (d.kind != SL_SQL_T_NULL && e->type->kind != SL_SQL_T_NULL && !sl_sql_type_equal(e->type, to)) {
            char cerr[256] = "", tn[64];
            sl_sql_datum_t c;
            if (!coercible(e->type, to, 0) || sl_sql_datum_cast(env->arena, &d, e->type, to, &c, cerr, sizeof cerr)) {
                char fn[64];
                return sl_sql_bind_fail(&b, a->pos,
                                        "Failed to insert values into '%s'. Expected type %s for field %s but got %s(%s)",
                                        name, sl_sql_type_str(to, tn, sizeof tn), cn, sl_sql_ast_text(env->arena, a, NULL),
                                        sl_sql_type_str(e->type, fn, sizeof fn));
            }
            d = c;
        }
        if (rowtime) {
            if (d.kind != SL_SQL_T_NULL)
                *timestamp = d.u.i64;
            continue;
        }
        *slot = d;
    }
    if (t->is_table) {
        for (uint32_t i = 0; i < s->n_key; i++)
            if (!key_set[i] || k->cols[i].kind == SL_SQL_T_NULL)
                return sl_sql_bind_fail(&b, stmt->pos,
                                        "Failed to insert values into '%s'. Value for primary key column(s) %s is "
                                        "required for tables",
                                        name, s->key[i].name);
    }
    *target = t;
    *key = k;
    *value = v;
    return 0;
}
