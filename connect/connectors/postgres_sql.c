/*
 * postgres_sql.c - PostgresSink's SQL text: a growable buffer, quoted
 * identifiers, Connect types as PostgreSQL column types, and the CREATE
 * TABLE / ALTER TABLE ADD COLUMN / INSERT (.. ON CONFLICT) / DELETE
 * statements for a shape, with every value a $n parameter. Also
 * table.name.format and connection.url.
 * No libpq here: everything is unit-tested without a server.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "postgres_int.h"

/* PostgreSQL's wire protocol counts a statement's parameters in 16 bits. */
#define PG_MAX_PARAMS 65535u

static bool buf_room(pg_buf_t *b, size_t n)
{
    if (b->failed)
        return false;
    if (n > SIZE_MAX / 2 - b->len) {
        b->failed = true;
        return false;
    }
    size_t need = b->len + n + 1;
    if (need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->failed = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void pg_buf_add(pg_buf_t *b, const void *p, size_t n)
{
    if (!buf_room(b, n))
        return;
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void pg_buf_str(pg_buf_t *b, const char *s)
{
    pg_buf_add(b, s, strlen(s));
}

void pg_buf_fmt(pg_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !buf_room(b, (size_t)n)) {
        b->failed = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void pg_buf_ident(pg_buf_t *b, const char *name)
{
    pg_buf_add(b, "\"", 1);
    for (const char *q; (q = strchr(name, '"')); name = q + 1) {
        pg_buf_add(b, name, (size_t)(q - name) + 1);
        pg_buf_add(b, "\"", 1);
    }
    pg_buf_str(b, name);
    pg_buf_add(b, "\"", 1);
}

void pg_buf_clear(pg_buf_t *b)
{
    b->len = 0;
    b->failed = false;
    if (b->p)
        b->p[0] = '\0';
}

void pg_buf_free(pg_buf_t *b)
{
    free(b->p);
    *b = (pg_buf_t){0};
}

/* ---- types -------------------------------------------------------------------- */

pg_logical_t pg_logical_of(sl_ctype_t type, const char *schema_name)
{
    static const struct {
        const char *name;
        sl_ctype_t type;
        pg_logical_t logical;
    } names[] = {
        {"org.apache.kafka.connect.data.Timestamp", SL_CT_INT64, PG_LOGICAL_TIMESTAMP},
        {"org.apache.kafka.connect.data.Date", SL_CT_INT32, PG_LOGICAL_DATE},
        {"org.apache.kafka.connect.data.Time", SL_CT_INT32, PG_LOGICAL_TIME},
        {"org.apache.kafka.connect.data.Decimal", SL_CT_BYTES, PG_LOGICAL_DECIMAL},
    };
    if (!schema_name)
        return PG_LOGICAL_NONE;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].type == type && strcmp(names[i].name, schema_name) == 0)
            return names[i].logical;
    return PG_LOGICAL_NONE;
}

const char *pg_type_sql(sl_ctype_t type, pg_logical_t logical)
{
    switch (logical) {
    case PG_LOGICAL_TIMESTAMP:
        return "TIMESTAMP";
    case PG_LOGICAL_DATE:
        return "DATE";
    case PG_LOGICAL_TIME:
        return "TIME";
    case PG_LOGICAL_DECIMAL:
        return NULL;
    case PG_LOGICAL_NONE:
        break;
    }
    switch (type) {
    case SL_CT_INT8:
    case SL_CT_INT16:
        return "SMALLINT";
    case SL_CT_INT32:
        return "INTEGER";
    case SL_CT_INT64:
        return "BIGINT";
    case SL_CT_FLOAT32:
        return "REAL";
    case SL_CT_FLOAT64:
        return "DOUBLE PRECISION";
    case SL_CT_BOOLEAN:
        return "BOOLEAN";
    case SL_CT_STRING:
        return "TEXT";
    case SL_CT_BYTES:
        return "BYTEA";
    default:
        return NULL;
    }
}

/* ---- statements ------------------------------------------------------------------ */

pg_conflict_t pg_conflict_of(const pg_opts_t *o, const pg_shape_t *s)
{
    if (!s->npk)
        return PG_CONFLICT_ERROR;
    if (o->insert_mode == PG_UPSERT)
        return s->npk < s->ncols ? PG_CONFLICT_UPDATE : PG_CONFLICT_NOTHING;
    return o->pk_mode == PG_PK_KAFKA ? PG_CONFLICT_NOTHING : PG_CONFLICT_ERROR;
}

/* "a", "b", ... of the columns (only the key ones when pk_only). */
static void col_list(pg_buf_t *b, const pg_shape_t *s, bool pk_only)
{
    bool first = true;
    for (size_t i = 0; i < s->ncols; i++) {
        if (pk_only && !s->cols[i].pk)
            continue;
        if (!first)
            pg_buf_str(b, ", ");
        pg_buf_ident(b, s->cols[i].name);
        first = false;
    }
}

void pg_sql_create(pg_buf_t *b, const pg_shape_t *s)
{
    pg_buf_str(b, "CREATE TABLE IF NOT EXISTS ");
    pg_buf_ident(b, s->table);
    pg_buf_str(b, " (");
    for (size_t i = 0; i < s->ncols; i++) {
        const pg_col_t *c = &s->cols[i];
        if (i)
            pg_buf_str(b, ", ");
        pg_buf_ident(b, c->name);
        pg_buf_fmt(b, " %s%s", pg_type_sql(c->type, c->logical),
                   c->optional && !c->pk ? "" : " NOT NULL");
    }
    if (s->npk) {
        pg_buf_str(b, ", PRIMARY KEY (");
        col_list(b, s, true);
        pg_buf_str(b, ")");
    }
    pg_buf_str(b, ")");
}

/* ($1, $2), ($3, $4) ... for nrows rows of ncols parameters. */
static void param_rows(pg_buf_t *b, size_t ncols, size_t nrows)
{
    size_t n = 1;
    for (size_t r = 0; r < nrows; r++) {
        pg_buf_str(b, r ? ", (" : "(");
        for (size_t c = 0; c < ncols; c++)
            pg_buf_fmt(b, c ? ", $%zu" : "$%zu", n++);
        pg_buf_str(b, ")");
    }
}

void pg_sql_insert(pg_buf_t *b, const pg_shape_t *s, pg_conflict_t conflict, size_t nrows)
{
    pg_buf_str(b, "INSERT INTO ");
    pg_buf_ident(b, s->table);
    pg_buf_str(b, " (");
    col_list(b, s, false);
    pg_buf_str(b, ") VALUES ");
    param_rows(b, s->ncols, nrows);
    if (conflict == PG_CONFLICT_ERROR)
        return;
    pg_buf_str(b, " ON CONFLICT (");
    col_list(b, s, true);
    if (conflict == PG_CONFLICT_NOTHING) {
        pg_buf_str(b, ") DO NOTHING");
        return;
    }
    pg_buf_str(b, ") DO UPDATE SET ");
    bool first = true;
    for (size_t i = 0; i < s->ncols; i++) {
        if (s->cols[i].pk)
            continue;
        if (!first)
            pg_buf_str(b, ", ");
        pg_buf_ident(b, s->cols[i].name);
        pg_buf_str(b, " = EXCLUDED.");
        pg_buf_ident(b, s->cols[i].name);
        first = false;
    }
}

void pg_sql_delete(pg_buf_t *b, const pg_shape_t *s, size_t nrows)
{
    pg_buf_str(b, "DELETE FROM ");
    pg_buf_ident(b, s->table);
    pg_buf_str(b, " WHERE (");
    col_list(b, s, false);
    pg_buf_str(b, ") IN (");
    param_rows(b, s->ncols, nrows);
    pg_buf_str(b, ")");
}

void pg_sql_add_column(pg_buf_t *b, const pg_shape_t *s, const pg_col_t *c)
{
    pg_buf_str(b, "ALTER TABLE ");
    pg_buf_ident(b, s->table);
    pg_buf_str(b, " ADD COLUMN ");
    pg_buf_ident(b, c->name);
    pg_buf_fmt(b, " %s", pg_type_sql(c->type, c->logical));
}

size_t pg_rows_per_statement(size_t ncols, size_t batch_size)
{
    size_t cap = ncols ? PG_MAX_PARAMS / ncols : PG_MAX_PARAMS;
    size_t n = batch_size < cap ? batch_size : cap;
    return n ? n : 1;
}

/* ---- names ------------------------------------------------------------------------ */

int pg_table_name(pg_buf_t *b, const char *format, const char *topic)
{
    static const char var[] = "${topic}";
    pg_buf_clear(b);
    for (const char *q; (q = strstr(format, var)); format = q + sizeof(var) - 1) {
        pg_buf_add(b, format, (size_t)(q - format));
        pg_buf_str(b, topic);
    }
    pg_buf_str(b, format);
    if (b->failed)
        return SL_CONNECT_ENOMEM;
    return b->len ? SL_CONNECT_OK : SL_CONNECT_EINVAL;
}

int pg_conninfo(pg_buf_t *b, const char *url, char *err, size_t errlen)
{
    static const char jdbc[] = "jdbc:";
    pg_buf_clear(b);
    if (!url || !*url) {
        snprintf(err, errlen, "connection.url is empty");
        return SL_CONNECT_ECONFIG;
    }
    if (strncmp(url, jdbc, sizeof(jdbc) - 1) == 0) {
        url += sizeof(jdbc) - 1;
        if (strncmp(url, "postgresql:", 11) != 0) {
            snprintf(err, errlen, "connection.url %s%s is not a PostgreSQL URL "
                     "(jdbc:postgresql://host:port/database, or a libpq connection string)",
                     jdbc, url);
            return SL_CONNECT_ECONFIG;
        }
    }
    pg_buf_str(b, url);
    return b->failed ? SL_CONNECT_ENOMEM : SL_CONNECT_OK;
}
