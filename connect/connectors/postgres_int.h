/*
 * postgres_int.h - the internal contract between PostgresSink's files: the
 * parts that need no server (postgres_sql.c: growable text, identifier
 * quoting, type mapping, the SQL statements; postgres_shape.c: options and
 * how a record's key and value schemas become a table's columns;
 * postgres_rows.c: records encoded as statement parameters, and upsert's
 * last-row-per-key rule) and the plugin that talks to PostgreSQL through
 * libpq (postgres_sink.c). The pure parts are unit-tested without a server
 * (tests/unit/connect/postgres_test.c).
 *
 * Errors: calls that can fail return 0 or an SL_CONNECT_E* code and write a
 * sentence for users into err[errlen] (always NUL-terminated).
 */
#ifndef SL_CONNECT_POSTGRES_INT_H
#define SL_CONNECT_POSTGRES_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "connector.h"

/* ---- postgres_sql.c: growable text ---------------------------------------
 * A malloc'ed byte string with a sticky failure: after an allocation fails
 * every append is a no-op and failed stays set, so a builder checks once at
 * the end. p is NUL-terminated whenever len > 0 and !failed. Zero-initialise;
 * pg_buf_free releases it (and leaves it zeroed, ready for reuse). */
typedef struct pg_buf {
    char *p;
    size_t len, cap;
    bool failed;
} pg_buf_t;

void pg_buf_add(pg_buf_t *b, const void *p, size_t n);
void pg_buf_str(pg_buf_t *b, const char *s);
void pg_buf_fmt(pg_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends name as a quoted SQL identifier: in double quotes, each '"'
 * doubled (what libpq's PQescapeIdentifier produces; done here so that
 * statements are built, and tested, without a connection). */
void pg_buf_ident(pg_buf_t *b, const char *name);
/* len = 0, keeping the memory (and clearing failed). */
void pg_buf_clear(pg_buf_t *b);
void pg_buf_free(pg_buf_t *b);

/* ---- postgres_shape.c: options --------------------------------------------
 * The JDBC sink's insert.mode, pk.mode, pk.fields and delete.enabled,
 * checked together. */
typedef enum pg_insert_mode { PG_INSERT, PG_UPSERT } pg_insert_mode_t;
typedef enum pg_pk_mode {
    PG_PK_NONE,
    PG_PK_KAFKA,          /* the record's topic, partition, offset */
    PG_PK_RECORD_KEY,     /* the key (a primitive, or fields of a struct) */
    PG_PK_RECORD_VALUE,   /* fields of the value struct */
} pg_pk_mode_t;

typedef struct pg_opts {
    pg_insert_mode_t insert_mode;
    pg_pk_mode_t pk_mode;
    char **pk_fields;     /* malloc'ed, each malloc'ed; pk_count of them */
    size_t pk_count;
    bool delete_enabled;
    bool auto_evolve;     /* add the columns a table lacks (optional ones) */
} pg_opts_t;

/* Parses the option texts (pk_fields comma-separated, items trimmed, may be
 * empty) into o (zeroed first; pg_opts_free releases it). SL_CONNECT_ECONFIG
 * for an unknown mode, upsert or delete.enabled without a usable key, kafka
 * mode with other than 0 or 3 names; SL_CONNECT_ENOMEM. */
int pg_opts_parse(pg_opts_t *o, const char *insert_mode, const char *pk_mode,
                  const char *pk_fields, bool delete_enabled, bool auto_evolve, char *err,
                  size_t errlen);
void pg_opts_free(pg_opts_t *o);

/* ---- postgres_sql.c: types --------------------------------------------------
 * Kafka Connect's logical types carried by a primitive's schema name. */
typedef enum pg_logical {
    PG_LOGICAL_NONE,
    PG_LOGICAL_TIMESTAMP, /* int64 ms since the epoch -> TIMESTAMP (UTC) */
    PG_LOGICAL_DATE,      /* int32 days since the epoch -> DATE */
    PG_LOGICAL_TIME,      /* int32 ms since midnight -> TIME */
    PG_LOGICAL_DECIMAL,   /* bytes; its scale is a schema parameter the ABI
                           * does not carry: refused */
} pg_logical_t;

/* The logical type a schema name denotes for a value of type (NONE for other
 * names, which are kept as the primitive). */
pg_logical_t pg_logical_of(sl_ctype_t type, const char *schema_name);
/* The PostgreSQL column type of a Connect type (SMALLINT for int8 and int16,
 * INTEGER, BIGINT, REAL, DOUBLE PRECISION, BOOLEAN, TEXT, BYTEA, TIMESTAMP,
 * DATE, TIME), or NULL for a type a column cannot hold (struct, array, map,
 * decimal). */
const char *pg_type_sql(sl_ctype_t type, pg_logical_t logical);

/* ---- postgres_shape.c: shapes -----------------------------------------------
 * A shape: the table one run of records goes to and the columns their key,
 * value and coordinates fill, built from the first record's schemas and
 * reused while the following records' schemas match it. */
typedef enum pg_src {
    PG_SRC_VALUE,         /* field `index` of the value struct */
    PG_SRC_KEY_FIELD,     /* field `index` of the key struct */
    PG_SRC_KEY,           /* the key itself (a primitive) */
    PG_SRC_TOPIC,
    PG_SRC_PARTITION,
    PG_SRC_OFFSET,
} pg_src_t;

typedef struct pg_col {
    char *name;           /* malloc'ed */
    pg_src_t src;
    size_t index;
    sl_ctype_t type;
    pg_logical_t logical;
    bool optional;
    bool pk;
} pg_col_t;

/* A struct schema's fields as they were: name, type, optional, schema name. */
typedef struct pg_sig {
    char *name;           /* malloc'ed */
    char *schema_name;    /* malloc'ed or NULL */
    sl_ctype_t type;
    bool optional;
} pg_sig_t;

typedef struct pg_shape {
    char *table;          /* malloc'ed */
    bool del;             /* a delete run: the columns are the key's only */
    pg_col_t *cols;       /* the table's columns in order */
    size_t ncols, npk;
    /* What it was built from (pg_shape_fits compares against these). */
    sl_ctype_t key_type;  /* SL_CT_NULL: the key is not used */
    pg_sig_t *key_sig;    /* the key struct's fields (key_type STRUCT) */
    size_t key_nsig;
    pg_sig_t *val_sig;    /* the value struct's fields (not for del) */
    size_t val_nsig;
    bool ensured;         /* auto.create / auto.evolve done and committed
                           * (a delete shape: the table was found) */
} pg_shape_t;

/* Builds the shape of rec going to table: del for a tombstone (delete by
 * key). SL_CONNECT_EINVAL with a sentence naming the record for data the
 * sink cannot write (no or schemaless value, a value that is not a struct,
 * a nested or decimal field, a key unusable for pk.mode, a pk field
 * missing); SL_CONNECT_ENOMEM. *out is the caller's (pg_shape_free). */
int pg_shape_build(const pg_opts_t *o, const char *table, const sl_connect_record_t *rec,
                   bool del, pg_shape_t **out, char *err, size_t errlen);
/* Whether rec (a tombstone when del) goes to table with exactly the schemas
 * shape s was built from. */
bool pg_shape_fits(const pg_shape_t *s, const char *table, const sl_connect_record_t *rec,
                   bool del);
void pg_shape_free(pg_shape_t *s);

/* ---- postgres_sql.c: statements ----------------------------------------------
 * What an INSERT does on a primary-key conflict: nothing special (an error),
 * keep the old row (insert mode with pk.mode=kafka: a replayed record), or
 * update the non-key columns (upsert; DO NOTHING when every column is key). */
typedef enum pg_conflict {
    PG_CONFLICT_ERROR,
    PG_CONFLICT_NOTHING,
    PG_CONFLICT_UPDATE,
} pg_conflict_t;

pg_conflict_t pg_conflict_of(const pg_opts_t *o, const pg_shape_t *s);
/* CREATE TABLE IF NOT EXISTS with the shape's columns (NOT NULL unless
 * optional) and its PRIMARY KEY. */
void pg_sql_create(pg_buf_t *b, const pg_shape_t *s);
/* INSERT INTO table (cols) VALUES ($1,..),(..) for nrows rows, then the
 * conflict clause. Parameters row-major: row r's column c is $(r*ncols+c+1). */
void pg_sql_insert(pg_buf_t *b, const pg_shape_t *s, pg_conflict_t conflict, size_t nrows);
/* DELETE FROM table WHERE (key cols) IN ((..),..) for nrows keys (a del
 * shape: every column is key). */
void pg_sql_delete(pg_buf_t *b, const pg_shape_t *s, size_t nrows);
/* auto.evolve: ALTER TABLE table ADD COLUMN for column c of s (nullable:
 * only optional columns are added). */
void pg_sql_add_column(pg_buf_t *b, const pg_shape_t *s, const pg_col_t *c);
/* Rows one statement carries: batch_size, capped so that the parameters
 * stay within PostgreSQL's 65535 per statement (at least 1). */
size_t pg_rows_per_statement(size_t ncols, size_t batch_size);

/* table.name.format with every ${topic} replaced by topic, into b (cleared
 * first). SL_CONNECT_EINVAL when the result is empty. */
int pg_table_name(pg_buf_t *b, const char *format, const char *topic);
/* connection.url as a libpq connection string or URI, into b (cleared
 * first): jdbc:postgresql://... loses its "jdbc:" (libpq reads the rest as
 * a URI); a libpq URI or key=value string is kept. SL_CONNECT_ECONFIG for
 * another JDBC driver's URL or an empty one. */
int pg_conninfo(pg_buf_t *b, const char *url, char *err, size_t errlen);

/* ---- postgres_rows.c: rows as parameters ---------------------------------------
 * Buffered rows, each ncols parameters of its shape: text (NUL-terminated
 * in data) or binary (bytea), or NULL. Offsets, not pointers, so data may
 * grow. */
typedef struct pg_param {
    size_t off;           /* into data.p */
    int len;              /* bytes; -1: SQL NULL */
    bool binary;
} pg_param_t;

typedef struct pg_rows {
    pg_buf_t data;
    pg_param_t *params;
    size_t count, cap;    /* parameters */
} pg_rows_t;

/* Appends rec's row for shape s (s->ncols parameters). SL_CONNECT_EINVAL
 * with a sentence for a value PostgreSQL cannot take (a string with a NUL
 * byte, a date out of range, a missing key, a null pk column);
 * SL_CONNECT_ENOMEM. On failure rows is as before the call. */
int pg_rows_add(pg_rows_t *rows, const pg_shape_t *s, const sl_connect_record_t *rec,
                char *err, size_t errlen);
/* Drops parameters from index count on (and the data they used). */
void pg_rows_truncate(pg_rows_t *rows, size_t count);
/* Drops the first count parameters (and their data): the others move to
 * the front, parameter i + count becoming i. */
void pg_rows_drop_front(pg_rows_t *rows, size_t count);
void pg_rows_clear(pg_rows_t *rows);
void pg_rows_free(pg_rows_t *rows);

/* Upsert: of nrows rows of shape s starting at parameter first_param, sets
 * keep[i] = false for every row that a later row with the same key
 * columns supersedes (one INSERT .. ON CONFLICT DO UPDATE may not touch a
 * row twice), true for the others; returns how many are kept. scratch is
 * the caller's array of nslots = pg_rows_slots(nrows) entries (any
 * content). */
size_t pg_rows_last_per_key(const pg_rows_t *rows, size_t first_param, size_t nrows,
                            const pg_shape_t *s, bool *keep, size_t *scratch, size_t nslots);
/* Slots pg_rows_last_per_key wants for nrows rows. */
size_t pg_rows_slots(size_t nrows);

/* Text forms (UTC) PostgreSQL reads for TIMESTAMP, DATE and TIME, into
 * out[outlen] (32 is enough). SL_CONNECT_EINVAL when out of PostgreSQL's
 * range. */
int pg_format_timestamp(int64_t ms, char *out, size_t outlen);
int pg_format_date(int64_t days, char *out, size_t outlen);
int pg_format_time(int64_t ms, char *out, size_t outlen);

#endif /* SL_CONNECT_POSTGRES_INT_H */
