/*
 * func_table.c - the table functions: EXPLODE(array) gives one output row
 * per element (the element, NULL elements included); CUBE_EXPLODE(array)
 * one per combination of the elements with some replaced by NULL. A NULL
 * array gives no row; an empty one none from EXPLODE and one empty array
 * from CUBE_EXPLODE.
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

/* CUBE_EXPLODE(array) gives arrays of the same type. */
static const sl_sql_type_t *cube_resolve(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n,
                                         char *err, size_t errlen)
{
    SL_UNUSED(arena);
    if (n == 1 && arg_types[0] && arg_types[0]->kind == SL_SQL_T_ARRAY)
        return arg_types[0];
    char t[96] = "";
    if (n >= 1 && arg_types[0])
        sl_sql_type_str(arg_types[0], t, sizeof t);
    snprintf(err, errlen, "Function 'cube_explode' does not accept parameters (%s).", t);
    return NULL;
}

/* Every combination of the elements with some of them NULL (2^n rows for n
 * elements, fewer when elements are NULL already: no row twice), in
 * ksqlDB's order: the all-NULL row first, the last element varying
 * fastest. More than 20 elements is an error (2^20 rows already). */
#define CUBE_MAX 20

static void cube_apply(const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx, sl_sql_table_emit_fn *emit,
                       void *arg)
{
    if (n < 1 || sl_sql_datum_is_null(&args[0]))
        return;
    uint32_t cols = args[0].u.a.n;
    const sl_sql_datum_t *v = args[0].u.a.items;
    sl_sql_datum_t ignored;
    if (cols > CUBE_MAX) {
        sl_sql_fn_fail(cx, &ignored,
                       "CUBE_EXPLODE input size (%u) exceeds the maximum of %d columns. The output cardinality is "
                       "2^N rows and would exhaust server memory.",
                       cols, CUBE_MAX);
        return;
    }
    uint32_t present = 0; /* bit (cols - 1 - j) set when element j is not NULL */
    for (uint32_t j = 0; j < cols; j++) {
        if (!sl_sql_datum_is_null(&v[j]))
            present |= 1u << (cols - 1 - j);
    }
    for (uint32_t mask = 0; mask < (1u << cols); mask++) {
        if ((mask & present) != mask)
            continue;
        sl_sql_datum_t *items = sl_arena_calloc(cx->arena, cols ? cols : 1, sizeof *items);
        if (!items) {
            sl_sql_fn_fail(cx, &ignored, "out of memory");
            return;
        }
        for (uint32_t j = 0; j < cols; j++)
            items[j] = mask & (1u << (cols - 1 - j)) ? v[j] : sl_sql_null();
        sl_sql_datum_t row = sl_sql_null();
        row.kind = SL_SQL_T_ARRAY;
        row.u.a.items = items;
        row.u.a.n = cols;
        emit(&row, arg);
    }
}

static const sl_sql_tablefn_t CUBE_FN = {cube_resolve, cube_apply};

const sl_sql_func_t sl_sql_funcs_table[] = {
    {"EXPLODE", SL_SQL_F_TABLE, "TABLE", "Outputs one row per element of an array.", NULL, 0, NULL, &EXPLODE_FN,
     "EXPLODE(list ARRAY<T>)", NULL, false},
    {"CUBE_EXPLODE", SL_SQL_F_TABLE, "TABLE", "Outputs every combination of an array's elements with some NULL.",
     NULL, 0, NULL, &CUBE_FN, "CUBE_EXPLODE(list ARRAY<T>)", NULL, false},
    SL_SQL_FN_END,
};
