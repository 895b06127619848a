/*
 * catalog.c - the streams and tables an engine knows, by normalised name,
 * each entry owning the arena that holds it; schema copies and lookups; the
 * "did you mean" candidates of an unknown name (edit distance, ignoring
 * case).
 *
 * Entries are kept in a sorted array: catalogs hold tens of entries, name
 * order is what SHOW lists, and lookups are a binary search.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bind_int.h"

struct sl_sql_catalog {
    sl_sql_source_t **items;
    size_t n, cap;
};

/* --- Schemas ------------------------------------------------------------------ */

static sl_err_t copy_cols(sl_arena_t *arena, const sl_sql_column_t *in, uint32_t n, sl_sql_column_t **out)
{
    *out = NULL;
    if (n == 0)
        return 0;
    sl_sql_column_t *c = sl_arena_calloc(arena, n, sizeof *c);
    if (!c)
        return SL_ERR_NOMEM;
    for (uint32_t i = 0; i < n; i++) {
        c[i].name = sl_arena_strndup(arena, in[i].name, strlen(in[i].name));
        c[i].type = sl_sql_type_copy(arena, in[i].type);
        if (!c[i].name || !c[i].type)
            return SL_ERR_NOMEM;
    }
    *out = c;
    return 0;
}

sl_err_t sl_sql_schema_copy(sl_arena_t *arena, const sl_sql_schema_t *s, sl_sql_schema_t *out)
{
    sl_sql_schema_t r = {0};
    sl_err_t e = copy_cols(arena, s->key, s->n_key, &r.key);
    if (!e)
        e = copy_cols(arena, s->value, s->n_value, &r.value);
    if (e)
        return e;
    r.n_key = s->n_key;
    r.n_value = s->n_value;
    *out = r;
    return 0;
}

static int col_index(const sl_sql_column_t *c, uint32_t n, const char *name)
{
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(c[i].name, name) == 0)
            return (int)i;
    return -1;
}

int sl_sql_schema_value_index(const sl_sql_schema_t *s, const char *name)
{
    return col_index(s->value, s->n_value, name);
}

int sl_sql_schema_key_index(const sl_sql_schema_t *s, const char *name)
{
    return col_index(s->key, s->n_key, name);
}

/* --- Sources ------------------------------------------------------------------ */

sl_sql_source_t *sl_sql_source_new(void)
{
    sl_sql_source_t *src = calloc(1, sizeof *src);
    if (!src)
        return NULL;
    src->arena = malloc(sizeof *src->arena);
    if (!src->arena) {
        free(src);
        return NULL;
    }
    sl_arena_init(src->arena, 0, 0);
    src->timestamp_col = NULL;
    src->window.retention_ms = -1;
    src->window.grace_ms = -1;
    return src;
}

void sl_sql_source_free(sl_sql_source_t *src)
{
    if (!src)
        return;
    sl_arena_fini(src->arena);
    free(src->arena);
    free(src);
}

/* --- The catalog ---------------------------------------------------------------- */

sl_sql_catalog_t *sl_sql_catalog_new(void)
{
    return calloc(1, sizeof(sl_sql_catalog_t));
}

void sl_sql_catalog_free(sl_sql_catalog_t *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        sl_sql_source_free(c->items[i]);
    free(c->items);
    free(c);
}

/* The index of name, or of where it would go (*found false). */
static size_t find_pos(const sl_sql_catalog_t *c, const char *name, bool *found)
{
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = strcmp(c->items[mid]->name, name);
        if (r == 0) {
            *found = true;
            return mid;
        }
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

sl_err_t sl_sql_catalog_add(sl_sql_catalog_t *c, sl_sql_source_t *src, bool replace)
{
    bool found;
    size_t pos = find_pos(c, src->name, &found);
    if (found) {
        if (!replace)
            return SL_ERR_EXISTS;
        sl_sql_source_free(c->items[pos]);
        c->items[pos] = src;
        return 0;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        sl_sql_source_t **items = realloc(c->items, cap * sizeof *items);
        if (!items)
            return SL_ERR_NOMEM;
        c->items = items;
        c->cap = cap;
    }
    memmove(c->items + pos + 1, c->items + pos, (c->n - pos) * sizeof *c->items);
    c->items[pos] = src;
    c->n++;
    return 0;
}

const sl_sql_source_t *sl_sql_catalog_find(const sl_sql_catalog_t *c, const char *name)
{
    bool found;
    size_t pos = find_pos(c, name, &found);
    return found ? c->items[pos] : NULL;
}

sl_err_t sl_sql_catalog_remove(sl_sql_catalog_t *c, const char *name)
{
    bool found;
    size_t pos = find_pos(c, name, &found);
    if (!found)
        return SL_ERR_NOENT;
    sl_sql_source_free(c->items[pos]);
    memmove(c->items + pos, c->items + pos + 1, (c->n - pos - 1) * sizeof *c->items);
    c->n--;
    return 0;
}

void sl_sql_catalog_each(const sl_sql_catalog_t *c, bool (*fn)(const sl_sql_source_t *src, void *arg), void *arg)
{
    for (size_t i = 0; i < c->n; i++)
        if (!fn(c->items[i], arg))
            return;
}

/* Edit distance ignoring case, capped at 64 characters per name (longer
 * names are compared on their first 64). */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64)
        la = 64;
    if (lb > 64)
        lb = 64;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = toupper((unsigned char)a[i - 1]) == toupper((unsigned char)b[j - 1]) ? 0 : 1;
            size_t best = diag + cost;
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

size_t sl_sql_catalog_similar(const sl_sql_catalog_t *c, const char *name, const char **out, size_t max)
{
    /* Close enough: at most a third of the name's length differs (at least
     * 2 edits allowed), best first. */
    size_t limit = strlen(name) / 3;
    if (limit < 2)
        limit = 2;
    size_t n = 0;
    size_t dist[16];
    if (max > 16)
        max = 16;
    for (size_t i = 0; i < c->n; i++) {
        size_t d = distance(name, c->items[i]->name);
        if (d > limit)
            continue;
        size_t pos = n;
        while (pos > 0 && dist[pos - 1] > d)
            pos--;
        if (pos >= max)
            continue;
        size_t last = n < max ? n : max - 1;
        for (size_t k = last; k > pos; k--) {
            out[k] = out[k - 1];
            dist[k] = dist[k - 1];
        }
        out[pos] = c->items[i]->name;
        dist[pos] = d;
        if (n < max)
            n++;
    }
    return n;
}

void sl_sql_similar_sources(const sl_sql_catalog_t *c, const char *name, char *out, size_t len)
{
    const char *names[3];
    size_t n = c ? sl_sql_catalog_similar(c, name, names, 3) : 0;
    out[0] = 0;
    if (n == 0)
        return;
    size_t used = 0;
    int w = snprintf(out, len, " Did you mean ");
    used = w > 0 ? (size_t)w : 0;
    for (size_t i = 0; i < n && used < len; i++) {
        w = snprintf(out + used, len - used, "%s%s", i ? (i + 1 == n ? " or " : ", ") : "", names[i]);
        used += w > 0 ? (size_t)w : 0;
    }
    if (used < len)
        snprintf(out + used, len - used, "?");
}
