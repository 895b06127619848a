/*
 * value_int.h - SQL types, values (datums) and rows: what every part of
 * libsluice-sql shares (internal; users include sql.h only).
 *
 * Types are immutable once made. The primitive ones are static singletons
 * (sl_sql_type_of); composite ones (DECIMAL(p,s), ARRAY, MAP, STRUCT) are
 * made in an arena and live as long as it does: a compile's arena while
 * compiling, the query's or the catalog entry's arena afterwards.
 *
 * A datum is one SQL value of a type known statically (the expression or
 * column it belongs to); kind says which union member is set, and
 * SL_SQL_T_NULL means SQL NULL whatever the static type. Strings and bytes
 * are borrowed slices (of a record's bytes or of an arena); composite
 * datums point at arrays of datums in an arena. Nothing in a datum is
 * freed by itself: the arena that holds it is.
 *
 * A row is n datums; rows travel between streams operators as sl_val_t
 * SL_V_PTR values pointing at a sl_sql_row_t in the record's memory
 * (sl_ctx_alloc), keys as well as values.
 *
 * Thread rule: types are read-only and shared by every thread; datums and
 * rows belong to the thread whose arena holds them.
 */
#ifndef SL_SQL_VALUE_INT_H
#define SL_SQL_VALUE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base.h"

struct json_t;

typedef enum sl_sql_tkind {
    SL_SQL_T_NULL = 0,  /* the type of a bare NULL literal; as a datum kind: SQL NULL */
    SL_SQL_T_BOOLEAN,
    SL_SQL_T_INT,       /* 32-bit */
    SL_SQL_T_BIGINT,    /* 64-bit */
    SL_SQL_T_DOUBLE,
    SL_SQL_T_DECIMAL,   /* precision 1..38, scale 0..precision */
    SL_SQL_T_STRING,
    SL_SQL_T_BYTES,
    SL_SQL_T_TIMESTAMP, /* ms since the epoch, UTC */
    SL_SQL_T_DATE,      /* days since the epoch */
    SL_SQL_T_TIME,      /* ms since midnight */
    SL_SQL_T_ARRAY,
    SL_SQL_T_MAP,
    SL_SQL_T_STRUCT,
    SL_SQL_T_COUNT_
} sl_sql_tkind_t;

typedef struct sl_sql_type sl_sql_type_t;

typedef struct sl_sql_field {
    const char *name;           /* as declared (case kept when quoted) */
    const sl_sql_type_t *type;
} sl_sql_field_t;

struct sl_sql_type {
    sl_sql_tkind_t kind;
    uint8_t precision;          /* DECIMAL */
    uint8_t scale;              /* DECIMAL */
    const sl_sql_type_t *elem;  /* ARRAY: element; MAP: value */
    const sl_sql_type_t *key;   /* MAP: key (STRING unless declared otherwise) */
    uint32_t n_fields;          /* STRUCT */
    const sl_sql_field_t *fields; /* STRUCT, in declaration order */
};

typedef __int128 sl_sql_i128_t;

typedef struct sl_sql_datum sl_sql_datum_t;
struct sl_sql_datum {
    uint8_t kind;               /* sl_sql_tkind_t; SL_SQL_T_NULL: SQL NULL */
    uint8_t scale;              /* DECIMAL: the scale of dec */
    union {
        bool b;                 /* BOOLEAN */
        int32_t i32;            /* INT, DATE (days) */
        int64_t i64;            /* BIGINT, TIMESTAMP (ms), TIME (ms of day) */
        double f64;             /* DOUBLE */
        sl_sql_i128_t dec;      /* DECIMAL: unscaled value */
        struct {
            const char *ptr;    /* STRING (UTF-8, not NUL-terminated), BYTES */
            uint32_t len;
        } s;
        struct {
            sl_sql_datum_t *items; /* ARRAY: n elements; STRUCT: one per field,
                                    * in type order; MAP: n entries as 2n
                                    * datums key0, value0, key1, value1, ... */
            uint32_t n;
        } a;
    } u;
};

typedef struct sl_sql_row {
    uint32_t n;
    sl_sql_datum_t *cols;
} sl_sql_row_t;

/* --- Types (type.c) ------------------------------------------------------- */

/* The static singleton of a primitive kind (NULL, BOOLEAN, INT, BIGINT,
 * DOUBLE, STRING, BYTES, TIMESTAMP, DATE, TIME); NULL for the others. */
const sl_sql_type_t *sl_sql_type_of(sl_sql_tkind_t kind);
/* Composite types, allocated from arena; NULL when out of memory or (for
 * DECIMAL) when precision is not 1..38 or scale not 0..precision. fields is
 * copied (the names and types it points at are not). */
const sl_sql_type_t *sl_sql_type_decimal(sl_arena_t *arena, int precision, int scale);
const sl_sql_type_t *sl_sql_type_array(sl_arena_t *arena, const sl_sql_type_t *elem);
const sl_sql_type_t *sl_sql_type_map(sl_arena_t *arena, const sl_sql_type_t *key, const sl_sql_type_t *value);
const sl_sql_type_t *sl_sql_type_struct(sl_arena_t *arena, const sl_sql_field_t *fields, uint32_t n);
/* A deep copy into arena (to move a type from a compile's arena into a
 * longer-lived one); primitives are returned as they are. */
const sl_sql_type_t *sl_sql_type_copy(sl_arena_t *arena, const sl_sql_type_t *t);
bool sl_sql_type_equal(const sl_sql_type_t *a, const sl_sql_type_t *b);
/* ksqlDB's spelling: "INTEGER", "BIGINT", "DECIMAL(10, 2)", "ARRAY<STRING>",
 * "MAP<STRING, INTEGER>", "STRUCT<`A` INTEGER, `B` STRING>". Appends to out
 * (sticky buffer error). */
void sl_sql_type_format(const sl_sql_type_t *t, sl_buf_t *out);
/* The same into buf (truncated, always NUL-terminated); returns buf. */
const char *sl_sql_type_str(const sl_sql_type_t *t, char *buf, size_t len);
/* A primitive type by its SQL name, case-insensitive, with ksqlDB's aliases
 * (INT/INTEGER, VARCHAR/STRING); NULL if unknown. */
const sl_sql_type_t *sl_sql_type_by_name(const char *name, size_t len);
bool sl_sql_type_is_numeric(const sl_sql_type_t *t); /* INT BIGINT DOUBLE DECIMAL */
/* The rank of a numeric type in ksqlDB's widening order: INT 1, BIGINT 2,
 * DECIMAL 3, DOUBLE 4; 0 for any other type and for NULL. */
int sl_sql_numeric_rank(const sl_sql_type_t *t);
/* The index of the struct field named name (case-sensitive: names are kept
 * normalised), or -1. */
int sl_sql_type_field(const sl_sql_type_t *t, const char *name);

/* --- Datums (datum.c) ----------------------------------------------------- */

static inline bool sl_sql_datum_is_null(const sl_sql_datum_t *d) { return d->kind == SL_SQL_T_NULL; }
static inline sl_sql_datum_t sl_sql_null(void) { sl_sql_datum_t d = {0}; return d; }

/* Total order of two datums of the same type (NULL sorts first; DOUBLE NaN
 * last; strings by bytes; composites element-wise). -1, 0 or 1. */
int sl_sql_datum_cmp(const sl_sql_datum_t *a, const sl_sql_datum_t *b, const sl_sql_type_t *t);
/* SQL-independent equality (NULL equals NULL) and a hash consistent with it:
 * for grouping, DISTINCT, IN lists and sets. */
bool sl_sql_datum_eq(const sl_sql_datum_t *a, const sl_sql_datum_t *b, const sl_sql_type_t *t);
uint64_t sl_sql_datum_hash(const sl_sql_datum_t *d, const sl_sql_type_t *t);
/* A deep copy of d (strings, bytes, composites) into arena. SL_ERR_NOMEM. */
sl_err_t sl_sql_datum_copy(sl_arena_t *arena, const sl_sql_datum_t *d, sl_sql_datum_t *out);
/* CAST(d AS to) with ksqlDB's rules (numeric widening and narrowing,
 * STRING <-> everything primitive, DECIMAL rounding HALF_UP, TIMESTAMP/DATE/
 * TIME <-> STRING in ISO-8601, ARRAY/MAP/STRUCT element-wise). Memory from
 * arena. A value that cannot be cast (e.g. 'abc' to INT) gives SL_ERR_INVAL
 * with a sentence in err (the caller turns it into NULL and a processing-log
 * entry); a NULL casts to NULL. */
sl_err_t sl_sql_datum_cast(sl_arena_t *arena, const sl_sql_datum_t *d, const sl_sql_type_t *from,
                           const sl_sql_type_t *to, sl_sql_datum_t *out, char *err, size_t errlen);
/* Whether CAST(x AS to) is allowed for x of type from (ksqlDB's table:
 * numbers among themselves, anything primitive to and from STRING except
 * BYTES, TIMESTAMP -> DATE/TIME, DATE -> TIMESTAMP, ARRAY/MAP/STRUCT
 * element-wise; a bare NULL to anything). */
bool sl_sql_type_castable(const sl_sql_type_t *from, const sl_sql_type_t *to);
/* The text ksqlDB's CAST(x AS STRING) gives (no quotes; DOUBLE as Java's
 * Double.toString, DECIMAL with its scale, TIMESTAMP as
 * "2024-01-02T03:04:05.006", ARRAY "[1, 2]", MAP "{a=1}", STRUCT
 * "Struct{A=1,B=x}"; NULL as "null"). Appends to out. */
void sl_sql_datum_format(const sl_sql_datum_t *d, const sl_sql_type_t *t, sl_buf_t *out);

/* Constructors for the common cases (no memory needed). */
static inline sl_sql_datum_t sl_sql_bool(bool b)
{
    sl_sql_datum_t d = {0};
    d.kind = SL_SQL_T_BOOLEAN;
    d.u.b = b;
    return d;
}
static inline sl_sql_datum_t sl_sql_int(int32_t x)
{
    sl_sql_datum_t d = {0};
    d.kind = SL_SQL_T_INT;
    d.u.i32 = x;
    return d;
}
static inline sl_sql_datum_t sl_sql_bigint(int64_t x)
{
    sl_sql_datum_t d = {0};
    d.kind = SL_SQL_T_BIGINT;
    d.u.i64 = x;
    return d;
}
static inline sl_sql_datum_t sl_sql_double(double x)
{
    sl_sql_datum_t d = {0};
    d.kind = SL_SQL_T_DOUBLE;
    d.u.f64 = x;
    return d;
}
/* Borrows p[0..n). */
static inline sl_sql_datum_t sl_sql_string(const char *p, uint32_t n)
{
    sl_sql_datum_t d = {0};
    d.kind = SL_SQL_T_STRING;
    d.u.s.ptr = p;
    d.u.s.len = n;
    return d;
}

/* --- Numbers, decimals and time as text (datum.c, datum_cast.c) ----------- *
 * Shared by CAST, the codecs and the functions so that every part spells a
 * value the same way. */

/* Java's Double.toString(d): "1.0", "0.001", "1.5E10", "1.0E-4", "NaN",
 * "Infinity", "-0.0" (the shortest digits that read back as d). */
void sl_sql_double_format(double d, sl_buf_t *out);

/* 10^n for n in 0..38 (0 otherwise). */
sl_sql_i128_t sl_sql_dec_pow10(int n);
/* Changes v's scale from `from` to `to` rounding HALF_UP (away from zero on
 * a tie); SL_ERR_INVAL when the result does not fit precision digits
 * (precision 0: no check beyond 38 digits). */
sl_err_t sl_sql_dec_rescale(sl_sql_i128_t v, int from, int to, int precision, sl_sql_i128_t *out);
/* The plain text of unscaled v at scale ("123.45", "-0.05", "7"). */
void sl_sql_dec_format(sl_sql_i128_t v, int scale, sl_buf_t *out);
/* Reads s[0..n) (optional sign, digits, optional point and digits,
 * optional exponent, white space around it ignored) as a DECIMAL(precision,
 * scale), rounding HALF_UP. SL_ERR_INVAL when it is not a number or does
 * not fit. */
sl_err_t sl_sql_dec_read(const char *s, size_t n, int precision, int scale, sl_sql_i128_t *out);
double sl_sql_dec_to_double(sl_sql_i128_t v, int scale);
/* d as DECIMAL(precision, scale) as ksqlDB does it (round to precision
 * significant digits, then to scale, HALF_UP). SL_ERR_INVAL for NaN,
 * infinities and values that do not fit. */
sl_err_t sl_sql_dec_from_double(double d, int precision, int scale, sl_sql_i128_t *out);

/* A boolean as ksqlDB reads one from text: in any case, a prefix of
 * "true" or "yes" is 1, of "false" or "no" 0; -1 for anything else. */
int sl_sql_bool_parse(const char *p, size_t n);

/* Days since the epoch of a proleptic Gregorian date and back. */
int64_t sl_sql_days_from_civil(int64_t y, unsigned m, unsigned d);
void sl_sql_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
/* ksqlDB's text of a TIMESTAMP "2024-01-02T03:04:05.006" (UTC), DATE
 * "2024-01-02" and TIME "03:04:05" ("03:04" when the seconds are 0:
 * java.time.LocalTime's text at second precision). */
void sl_sql_ts_format(int64_t ms, sl_buf_t *out);
void sl_sql_date_format(int32_t days, sl_buf_t *out);
void sl_sql_time_format(int64_t ms, sl_buf_t *out);
/* The reverse, with ksqlDB's partial forms: a timestamp "yyyy[-MM[-dd
 * [THH[:mm[:ss[.S...]]]]]]" with an optional zone (Z, +hh, +hh:mm, +hhmm);
 * a date "yyyy[-MM[-dd]]"; a time "HH:mm[:ss[.S...]]". SL_ERR_INVAL when s
 * does not read. */
sl_err_t sl_sql_ts_parse(const char *s, size_t n, int64_t *ms);
sl_err_t sl_sql_date_parse(const char *s, size_t n, int32_t *days);
sl_err_t sl_sql_time_parse(const char *s, size_t n, int64_t *ms);

/* --- Rows ----------------------------------------------------------------- */

/* A row of n NULL columns in arena (NULL when out of memory). */
sl_sql_row_t *sl_sql_row_new(sl_arena_t *arena, uint32_t n);
/* A deep copy of row (columns typed by types[0..row->n)) into arena. */
sl_sql_row_t *sl_sql_row_copy(sl_arena_t *arena, const sl_sql_row_t *row, const sl_sql_type_t *const *types);

#endif
