/*
 * func_agg_bind.c - sl_sql_agg_bind: one aggregate call of a query, checked
 * and typed.
 *
 * The binder may hand the literal parameters (TOPK's k, the N and
 * ignoreNulls of *_BY_OFFSET) either as consts or as trailing constant
 * arguments: every argument after the first that reads no column is
 * evaluated once here and becomes a const. An aggregate given no argument
 * (`AVG(*)`, `AVG()`) aggregates ROWTIME, as ksqlDB does; COUNT(*) keeps no
 * argument and counts every record.
 */
#include <stdio.h>
#include <string.h>

#include "func_agg_int.h"

/* The value of a constant expression (memory from arena). */
static sl_sql_datum_t const_value(sl_arena_t *arena, const sl_sql_expr_t *e)
{
    sl_sql_eval_t cx;
    sl_sql_datum_t v;
    if (e->kind == SL_SQL_E_CONST)
        return e->value;
    sl_sql_eval_init(&cx, arena, NULL, NULL);
    sl_sql_eval(e, &cx, &v);
    return v;
}

sl_err_t sl_sql_agg_bind(sl_arena_t *arena, const sl_sql_func_t *func, sl_sql_expr_t **args, uint32_t n_args,
                         const sl_sql_datum_t *consts, uint32_t n_consts, const char *text,
                         sl_sql_agg_call_t **out, char *err, size_t errlen)
{
    sl_sql_agg_call_t *call;
    uint32_t n_col = n_args;

    *out = NULL;
    if (!func || func->kind != SL_SQL_F_AGGREGATE || !func->agg) {
        snprintf(err, errlen, "Function '%s' is not an aggregate function.", func ? func->name : "?");
        return SL_ERR_INVAL;
    }
    if (n_consts == 0) {
        while (n_col > 1 && sl_sql_expr_is_constant(args[n_col - 1]))
            n_col--;
    }
    call = sl_arena_zalloc(arena, sizeof *call);
    if (!call)
        goto nomem;
    call->func = func;
    call->n_args = n_col;
    call->n_consts = n_consts ? n_consts : n_args - n_col;
    if (n_col == 0 && strcmp(func->name, "COUNT") != 0) {
        sl_sql_expr_t *rowtime = sl_sql_expr_column(arena, SL_SQL_COL_PSEUDO, SL_SQL_PSEUDO_ROWTIME,
                                                    sl_sql_type_of(SL_SQL_T_BIGINT), "ROWTIME");
        if (!rowtime)
            goto nomem;
        call->n_args = 1;
        call->args = sl_arena_alloc(arena, sizeof *call->args);
        if (!call->args)
            goto nomem;
        call->args[0] = rowtime;
    } else if (n_col) {
        call->args = sl_arena_memdup(arena, args, (size_t)n_col * sizeof *args);
        if (!call->args)
            goto nomem;
    }
    if (call->n_args) {
        call->arg_types = sl_arena_calloc(arena, call->n_args, sizeof *call->arg_types);
        if (!call->arg_types)
            goto nomem;
        for (uint32_t i = 0; i < call->n_args; i++)
            call->arg_types[i] = call->args[i]->type;
    }
    if (call->n_consts) {
        call->consts = sl_arena_calloc(arena, call->n_consts, sizeof *call->consts);
        if (!call->consts)
            goto nomem;
        for (uint32_t i = 0; i < call->n_consts; i++) {
            sl_sql_datum_t v = n_consts ? consts[i] : const_value(arena, args[n_col + i]);
            if (sl_sql_datum_copy(arena, &v, &call->consts[i]) != SL_OK)
                goto nomem;
        }
    }
    call->text = sl_arena_strndup(arena, text ? text : func->name, strlen(text ? text : func->name));
    if (!call->text)
        goto nomem;
    sl_err_t rc = func->agg->resolve(arena, call->arg_types, call->n_args, call->consts, call->n_consts,
                                     &call->state_type, &call->result_type, err, errlen);
    if (rc != SL_OK)
        return rc;
    *out = call;
    return SL_OK;
nomem:
    return sl_sql_agg_nomem(err, errlen);
}
