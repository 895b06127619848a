/*
 * func_registry.c - every built-in function by name: the groups each
 * func_*.c file defines (an array ended by a NULL name) are listed in
 * `groups` below. Lookups happen at bind time only, so a scan is enough.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "expr_int.h"

static const sl_sql_func_t *const groups[] = {
    /* one line per group */
    sl_sql_funcs_math, sl_sql_funcs_string, sl_sql_funcs_time,  sl_sql_funcs_json,
    sl_sql_funcs_collection, sl_sql_funcs_misc, sl_sql_funcs_lambda, sl_sql_funcs_url,
    sl_sql_funcs_table, sl_sql_funcs_agg,
};

#define N_GROUPS (sizeof groups / sizeof groups[0])

const sl_sql_func_t *sl_sql_func_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t g = 0; g < N_GROUPS; g++)
        for (const sl_sql_func_t *f = groups[g]; f && f->name; f++)
            if (strcasecmp(f->name, name) == 0)
                return f;
    return NULL;
}

static int by_name(const void *a, const void *b)
{
    const sl_sql_func_t *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

/* Every function, sorted by name, in a malloc'd array (*n of them); NULL
 * when there are none or memory runs out. */
static const sl_sql_func_t **sorted(size_t *n)
{
    size_t count = 0;
    for (size_t g = 0; g < N_GROUPS; g++)
        for (const sl_sql_func_t *f = groups[g]; f && f->name; f++)
            count++;
    *n = 0;
    if (!count)
        return NULL;
    const sl_sql_func_t **v = malloc(count * sizeof *v);
    if (!v)
        return NULL;
    for (size_t g = 0; g < N_GROUPS; g++)
        for (const sl_sql_func_t *f = groups[g]; f && f->name; f++)
            v[(*n)++] = f;
    qsort(v, *n, sizeof *v, by_name);
    return v;
}

void sl_sql_func_each(bool (*fn)(const sl_sql_func_t *f, void *arg), void *arg)
{
    size_t n;
    const sl_sql_func_t **v = sorted(&n);
    for (size_t i = 0; i < n; i++)
        if (!fn(v[i], arg))
            break;
    free(v);
}

/* Levenshtein distance ignoring case, giving up (returning limit + 1)
 * past limit; names are short, so one row of at most 64 cells. */
static size_t edit_distance(const char *a, const char *b, size_t limit)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return limit + 1;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0], best = row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t sub = diag + ((a[i - 1] | 0x20) != (b[j - 1] | 0x20));
            size_t v = up + 1 < row[j - 1] + 1 ? up + 1 : row[j - 1] + 1;
            row[j] = v < sub ? v : sub;
            diag = up;
            if (row[j] < best)
                best = row[j];
        }
        if (best > limit)
            return limit + 1;
    }
    return row[lb];
}

size_t sl_sql_func_similar(const char *name, const char **out, size_t max)
{
    if (!name || !max)
        return 0;
    size_t limit = strlen(name) / 3 + 1; /* a typo or two, more for long names */
    if (limit > 3)
        limit = 3;
    size_t n, k = 0;
    const sl_sql_func_t **v = sorted(&n);
    for (size_t d = 0; d <= limit && k < max; d++)
        for (size_t i = 0; i < n && k < max; i++)
            if (edit_distance(name, v[i]->name, limit) == d)
                out[k++] = v[i]->name;
    free(v);
    return k;
}
