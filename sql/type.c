/*
 * type.c - SQL types: the primitive singletons, composite types made in an
 * arena, structural equality, ksqlDB's spelling of a type (DESCRIBE, error
 * sentences) and lookup of a primitive type by its SQL name.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "value_int.h"

static const sl_sql_type_t prim[SL_SQL_T_COUNT_] = {
    [SL_SQL_T_NULL] = {.kind = SL_SQL_T_NULL},
    [SL_SQL_T_BOOLEAN] = {.kind = SL_SQL_T_BOOLEAN},
    [SL_SQL_T_INT] = {.kind = SL_SQL_T_INT},
    [SL_SQL_T_BIGINT] = {.kind = SL_SQL_T_BIGINT},
    [SL_SQL_T_DOUBLE] = {.kind = SL_SQL_T_DOUBLE},
    [SL_SQL_T_STRING] = {.kind = SL_SQL_T_STRING},
    [SL_SQL_T_BYTES] = {.kind = SL_SQL_T_BYTES},
    [SL_SQL_T_TIMESTAMP] = {.kind = SL_SQL_T_TIMESTAMP},
    [SL_SQL_T_DATE] = {.kind = SL_SQL_T_DATE},
    [SL_SQL_T_TIME] = {.kind = SL_SQL_T_TIME},
};

static bool is_primitive(sl_sql_tkind_t k)
{
    return k != SL_SQL_T_DECIMAL && k != SL_SQL_T_ARRAY && k != SL_SQL_T_MAP && k != SL_SQL_T_STRUCT &&
           k < SL_SQL_T_COUNT_;
}

const sl_sql_type_t *sl_sql_type_of(sl_sql_tkind_t kind)
{
    if ((unsigned)kind >= SL_SQL_T_COUNT_ || !is_primitive(kind))
        return NULL;
    return &prim[kind];
}

const sl_sql_type_t *sl_sql_type_decimal(sl_arena_t *arena, int precision, int scale)
{
    if (precision < 1 || precision > 38 || scale < 0 || scale > precision)
        return NULL;
    sl_sql_type_t *t = sl_arena_zalloc(arena, sizeof *t);
    if (!t)
        return NULL;
    t->kind = SL_SQL_T_DECIMAL;
    t->precision = (uint8_t)precision;
    t->scale = (uint8_t)scale;
    return t;
}

const sl_sql_type_t *sl_sql_type_array(sl_arena_t *arena, const sl_sql_type_t *elem)
{
    if (!elem)
        return NULL;
    sl_sql_type_t *t = sl_arena_zalloc(arena, sizeof *t);
    if (!t)
        return NULL;
    t->kind = SL_SQL_T_ARRAY;
    t->elem = elem;
    return t;
}

const sl_sql_type_t *sl_sql_type_map(sl_arena_t *arena, const sl_sql_type_t *key, const sl_sql_type_t *value)
{
    if (!key || !value)
        return NULL;
    sl_sql_type_t *t = sl_arena_zalloc(arena, sizeof *t);
    if (!t)
        return NULL;
    t->kind = SL_SQL_T_MAP;
    t->key = key;
    t->elem = value;
    return t;
}

const sl_sql_type_t *sl_sql_type_struct(sl_arena_t *arena, const sl_sql_field_t *fields, uint32_t n)
{
    sl_sql_type_t *t = sl_arena_zalloc(arena, sizeof *t);
    if (!t)
        return NULL;
    t->kind = SL_SQL_T_STRUCT;
    t->n_fields = n;
    if (n) {
        sl_sql_field_t *f = sl_arena_calloc(arena, n, sizeof *f);
        if (!f)
            return NULL;
        memcpy(f, fields, n * sizeof *f);
        t->fields = f;
    }
    return t;
}

const sl_sql_type_t *sl_sql_type_copy(sl_arena_t *arena, const sl_sql_type_t *t)
{
    if (!t || is_primitive(t->kind))
        return t;
    switch (t->kind) {
    case SL_SQL_T_DECIMAL:
        return sl_sql_type_decimal(arena, t->precision, t->scale);
    case SL_SQL_T_ARRAY:
        return sl_sql_type_array(arena, sl_sql_type_copy(arena, t->elem));
    case SL_SQL_T_MAP:
        return sl_sql_type_map(arena, sl_sql_type_copy(arena, t->key), sl_sql_type_copy(arena, t->elem));
    case SL_SQL_T_STRUCT: {
        sl_sql_field_t *f = t->n_fields ? sl_arena_calloc(arena, t->n_fields, sizeof *f) : NULL;
        if (t->n_fields && !f)
            return NULL;
        for (uint32_t i = 0; i < t->n_fields; i++) {
            f[i].name = sl_arena_strndup(arena, t->fields[i].name, strlen(t->fields[i].name));
            f[i].type = sl_sql_type_copy(arena, t->fields[i].type);
            if (!f[i].name || !f[i].type)
                return NULL;
        }
        return sl_sql_type_struct(arena, f, t->n_fields);
    }
    default:
        return t;
    }
}

bool sl_sql_type_equal(const sl_sql_type_t *a, const sl_sql_type_t *b)
{
    if (a == b)
        return true;
    if (!a || !b || a->kind != b->kind)
        return false;
    switch (a->kind) {
    case SL_SQL_T_DECIMAL:
        return a->precision == b->precision && a->scale == b->scale;
    case SL_SQL_T_ARRAY:
        return sl_sql_type_equal(a->elem, b->elem);
    case SL_SQL_T_MAP:
        return sl_sql_type_equal(a->key, b->key) && sl_sql_type_equal(a->elem, b->elem);
    case SL_SQL_T_STRUCT:
        if (a->n_fields != b->n_fields)
            return false;
        for (uint32_t i = 0; i < a->n_fields; i++)
            if (strcmp(a->fields[i].name, b->fields[i].name) != 0 ||
                !sl_sql_type_equal(a->fields[i].type, b->fields[i].type))
                return false;
        return true;
    default:
        return true;
    }
}

static const char *const prim_names[SL_SQL_T_COUNT_] = {
    [SL_SQL_T_NULL] = "NULL",         [SL_SQL_T_BOOLEAN] = "BOOLEAN",     [SL_SQL_T_INT] = "INTEGER",
    [SL_SQL_T_BIGINT] = "BIGINT",     [SL_SQL_T_DOUBLE] = "DOUBLE",       [SL_SQL_T_DECIMAL] = "DECIMAL",
    [SL_SQL_T_STRING] = "STRING",     [SL_SQL_T_BYTES] = "BYTES",         [SL_SQL_T_TIMESTAMP] = "TIMESTAMP",
    [SL_SQL_T_DATE] = "DATE",         [SL_SQL_T_TIME] = "TIME",           [SL_SQL_T_ARRAY] = "ARRAY",
    [SL_SQL_T_MAP] = "MAP",           [SL_SQL_T_STRUCT] = "STRUCT",
};

static void put_str(sl_buf_t *out, const char *s)
{
    sl_buf_put(out, s, strlen(s));
}

void sl_sql_type_format(const sl_sql_type_t *t, sl_buf_t *out)
{
    if (!t) {
        put_str(out, "NULL");
        return;
    }
    switch (t->kind) {
    case SL_SQL_T_DECIMAL: {
        char tmp[32];
        int n = snprintf(tmp, sizeof tmp, "DECIMAL(%u, %u)", t->precision, t->scale);
        sl_buf_put(out, tmp, (size_t)n);
        return;
    }
    case SL_SQL_T_ARRAY:
        put_str(out, "ARRAY<");
        sl_sql_type_format(t->elem, out);
        put_str(out, ">");
        return;
    case SL_SQL_T_MAP:
        put_str(out, "MAP<");
        sl_sql_type_format(t->key, out);
        put_str(out, ", ");
        sl_sql_type_format(t->elem, out);
        put_str(out, ">");
        return;
    case SL_SQL_T_STRUCT:
        put_str(out, "STRUCT<");
        for (uint32_t i = 0; i < t->n_fields; i++) {
            if (i)
                put_str(out, ", ");
            put_str(out, "`");
            put_str(out, t->fields[i].name);
            put_str(out, "` ");
            sl_sql_type_format(t->fields[i].type, out);
        }
        put_str(out, ">");
        return;
    default:
        if ((unsigned)t->kind < SL_SQL_T_COUNT_)
            put_str(out, prim_names[t->kind]);
        return;
    }
}

const char *sl_sql_type_str(const sl_sql_type_t *t, char *buf, size_t len)
{
    if (!len)
        return buf;
    sl_buf_t b = SL_BUF_INIT;
    sl_sql_type_format(t, &b);
    size_t n = b.len < len - 1 ? b.len : len - 1;
    if (n)
        memcpy(buf, b.data, n);
    buf[n] = '\0';
    sl_buf_free(&b);
    return buf;
}

static const struct {
    const char *name;
    sl_sql_tkind_t kind;
} by_names[] = {
    {"BOOLEAN", SL_SQL_T_BOOLEAN}, {"INT", SL_SQL_T_INT},         {"INTEGER", SL_SQL_T_INT},
    {"BIGINT", SL_SQL_T_BIGINT},   {"DOUBLE", SL_SQL_T_DOUBLE},   {"STRING", SL_SQL_T_STRING},
    {"VARCHAR", SL_SQL_T_STRING},  {"BYTES", SL_SQL_T_BYTES},     {"TIMESTAMP", SL_SQL_T_TIMESTAMP},
    {"DATE", SL_SQL_T_DATE},       {"TIME", SL_SQL_T_TIME},
};

const sl_sql_type_t *sl_sql_type_by_name(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof by_names / sizeof by_names[0]; i++)
        if (strlen(by_names[i].name) == len && strncasecmp(by_names[i].name, name, len) == 0)
            return &prim[by_names[i].kind];
    return NULL;
}

int sl_sql_numeric_rank(const sl_sql_type_t *t)
{
    switch (t ? t->kind : SL_SQL_T_NULL) {
    case SL_SQL_T_INT:
        return 1;
    case SL_SQL_T_BIGINT:
        return 2;
    case SL_SQL_T_DECIMAL:
        return 3;
    case SL_SQL_T_DOUBLE:
        return 4;
    default:
        return 0;
    }
}

bool sl_sql_type_is_numeric(const sl_sql_type_t *t)
{
    if (!t)
        return false;
    switch (t->kind) {
    case SL_SQL_T_INT:
    case SL_SQL_T_BIGINT:
    case SL_SQL_T_DOUBLE:
    case SL_SQL_T_DECIMAL:
        return true;
    default:
        return false;
    }
}

int sl_sql_type_field(const sl_sql_type_t *t, const char *name)
{
    if (!t || t->kind != SL_SQL_T_STRUCT || !name)
        return -1;
    for (uint32_t i = 0; i < t->n_fields; i++)
        if (strcmp(t->fields[i].name, name) == 0)
            return (int)i;
    return -1;
}
