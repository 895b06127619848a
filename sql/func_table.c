/*
 * func_table.c - the table functions: EXPLODE(array) gives one output row
 * per element (the element, NULL elements included); a NULL or empty
 * array gives none.
 */
#include <stdio.h>

#include "func_int.h"

static const sl_sql_type_t *explode_resolve(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n,
                                            char *err, size_t errlen)
{
    SL_UNUSED(arena);
    if (n == 1 && arg_types[0] && arg_types[0]->kind == SL_SQL_T_ARRAY)
        return arg_types[0]->elem;
    char t[96] = "";
    if (n >= 1 && arg_types[0])
        sl_sql_type_str(arg_types[0], t, sizeof t);
    /* ksqlDB's sentence, with the function's lower-case registered name */
    snprintf(err, errlen,
             "Function 'explode' does not accept parameters (%s).\nValid alternatives are:\n"
             "explode(ARRAY<DECIMAL> input)\nexplode(ARRAY<T> list)",
             t);
    return NULL;
}

static void explode_apply(const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx, sl_sql_table_emit_fn *emit,
                          void *arg)
{
    SL_UNUSED(cx);
    if (n < 1 || sl_sql_datum_is_null(&args[0]))
        return;
    for (uint32_t i = 0; i < args[0].u.a.n; i++)
        emit(&args[0].u.a.items[i], arg);
}

static const sl_sql_tablefn_t EXPLODE_FN = {explode_resolve, explode_apply};

const sl_sql_func_t sl_sql_funcs_table[] = {
    {"EXPLODE", SL_SQL_F_TABLE, "TABLE", "Outputs one row per element of an array.", NULL, 0, NULL, &EXPLODE_FN,
     "EXPLODE(list ARRAY<T>)"},
    SL_SQL_FN_END,
};
