/*
 * row.c - rows: n datums in an arena, made empty (all NULL) or as deep
 * copies when a row must outlive the record it came from (stores, caches,
 * query results).
 */
#include "value_int.h"

sl_sql_row_t *sl_sql_row_new(sl_arena_t *arena, uint32_t n)
{
    sl_sql_row_t *r = sl_arena_alloc(arena, sizeof *r);
    if (!r)
        return NULL;
    r->n = n;
    r->cols = n ? sl_arena_calloc(arena, n, sizeof *r->cols) : NULL; /* zero: every kind NULL */
    if (n && !r->cols)
        return NULL;
    return r;
}

sl_sql_row_t *sl_sql_row_copy(sl_arena_t *arena, const sl_sql_row_t *row, const sl_sql_type_t *const *types)
{
    (void)types; /* datums carry their kind: the copy needs no types */
    sl_sql_row_t *r = sl_sql_row_new(arena, row->n);
    if (!r)
        return NULL;
    for (uint32_t i = 0; i < row->n; i++)
        if (sl_sql_datum_copy(arena, &row->cols[i], &r->cols[i]) != SL_OK)
            return NULL;
    return r;
}
