/*
 * func_int.h - what the built-in scalar and table functions share
 * (internal to the func_*.c files and timefmt.c; the registry contract is
 * expr_int.h).
 *
 *   helpers   NULL results with a runtime error, string results in the
 *             eval arena, constant arguments at bind time (func_misc.c)
 *   utf8      character counts and offsets: ksqlDB counts characters,
 *             strings here are UTF-8 bytes (func_misc.c)
 *   regex     Java-style patterns translated to POSIX extended ones and
 *             compiled by <regex.h>; bind-time ones are kept in a
 *             process-wide table (func_string.c)
 *   zones     UTC, fixed offsets and TZif zones of the system database
 *             (timefmt.c)
 *   timefmt   java.time.format.DateTimeFormatter patterns (timefmt.c)
 *   jsonpath  the JSONPath subset EXTRACTJSONFIELD reads (func_json.c)
 *
 * Thread rule: everything prepared at bind time (compiled patterns, zones,
 * formats) is read-only afterwards and shared by every task thread;
 * per-call scratch comes from the eval context's arena.
 */
#ifndef SL_SQL_FUNC_INT_H
#define SL_SQL_FUNC_INT_H

#include <regex.h>

#include "expr_int.h"

/* --- Helpers (func_misc.c) ------------------------------------------------ */

/* Sets *out to NULL and notes the sentence in cx->error if it is still
 * empty (the processing log's first error of the record). */
void sl_sql_fn_fail(sl_sql_eval_t *cx, sl_sql_datum_t *out, const char *fmt, ...) SL_PRINTF(3, 4);
/* true (and *out NULL) when any of args[0..n) is NULL. */
bool sl_sql_fn_null_arg(const sl_sql_datum_t *args, uint32_t n, sl_sql_datum_t *out);
/* Makes *out a STRING of len bytes in cx->arena and returns its bytes to
 * fill; on out of memory NULL with *out NULL and an error noted. */
char *sl_sql_fn_string(sl_sql_eval_t *cx, uint32_t len, sl_sql_datum_t *out);
/* A NUL-terminated copy of a STRING datum's bytes in arena (NULL when out
 * of memory). */
char *sl_sql_fn_cstr(sl_arena_t *arena, const sl_sql_datum_t *d);
/* The value of argument i when it is a literal (bind time), else NULL. */
const sl_sql_datum_t *sl_sql_fn_const_arg(sl_sql_expr_t *const *args, uint32_t n, uint32_t i);
/* Converts v (of type from) to type to with CAST's rules when they differ
 * (the common type of COALESCE, GREATEST, ...). false (and an error noted
 * in cx) when it cannot. */
bool sl_sql_fn_coerce(sl_sql_eval_t *cx, const sl_sql_datum_t *v, const sl_sql_type_t *from,
                      const sl_sql_type_t *to, sl_sql_datum_t *out);
/* The common type of types[0..n) for COALESCE-like functions: NULL types
 * are skipped; numeric ones widen INT < BIGINT < DECIMAL < DOUBLE; others
 * must be equal. NULL with a sentence in err when they do not agree. */
const sl_sql_type_t *sl_sql_fn_common_type(sl_arena_t *arena, const sl_sql_type_t *const *types, uint32_t n,
                                           const char *fname, char *err, size_t errlen);

/* "INTEGER, null, STRING": argument types as ksqlDB's sentences list them
 * (a bare NULL is "null"), into buf (truncated, NUL-terminated). */
void sl_sql_fn_types_text(const sl_sql_type_t *const *types, uint32_t n, char *buf, size_t len);
/* "Function 'fname' does not accept parameters (...)." into err; NULL, for
 * resolvers to return. */
const sl_sql_type_t *sl_sql_fn_refuse(const char *fname, const sl_sql_type_t *const *types, uint32_t n, char *err,
                                      size_t errlen);

/* Resolvers many overloads share: the first argument's type (ABS of a
 * DECIMAL, AS_VALUE), and MAP<STRING, STRING> (SPLIT_TO_MAP, JSON_RECORDS). */
const sl_sql_type_t *sl_sql_fn_resolve_first(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n,
                                             char *err, size_t errlen);
const sl_sql_type_t *sl_sql_fn_resolve_string_map(sl_arena_t *arena, const sl_sql_type_t *const *arg_types,
                                                  uint32_t n, char *err, size_t errlen);

/* A string growing in an arena (no malloc per record): put bytes, then
 * sl_sql_sb_done makes the STRING datum. Out of memory and going past
 * SL_SQL_SB_MAX bytes (LPAD(x, 2000000000, 'y') must not take the process
 * down) are sticky. */
#define SL_SQL_SB_MAX (16u << 20)
typedef struct sl_sql_sb {
    sl_arena_t *arena;
    char *p;
    uint32_t len;
    uint32_t cap;
    bool oom;       /* nothing more is written */
    bool too_long;  /* ... because of SL_SQL_SB_MAX */
} sl_sql_sb_t;

void sl_sql_sb_init(sl_sql_sb_t *sb, sl_arena_t *arena, uint32_t hint);
void sl_sql_sb_put(sl_sql_sb_t *sb, const void *p, size_t n);
void sl_sql_sb_puts(sl_sql_sb_t *sb, const char *s);
void sl_sql_sb_printf(sl_sql_sb_t *sb, const char *fmt, ...) SL_PRINTF(2, 3);
/* *out = the string (or NULL with "out of memory" noted); false on error. */
bool sl_sql_sb_done(sl_sql_sb_t *sb, sl_sql_eval_t *cx, sl_sql_datum_t *out);

/* Registry entries: a scalar function from its overload array, the end
 * of a group, and a plain overload of fixed parameters. */
#define SL_SQL_FN(name, cat, desc, ov) \
    {name, SL_SQL_F_SCALAR, cat, desc, ov, SL_ARRAY_LEN(ov), NULL, NULL, NULL, NULL, false}
#define SL_SQL_FN_END {NULL, SL_SQL_F_SCALAR, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, false}
#define SL_SQL_OV(params, result, fn, sig, desc) \
    {params, SL_ARRAY_LEN(params), false, result, NULL, fn, NULL, sig, desc}

/* Parameter lists many overloads share. */
static const sl_sql_tkind_t SL_SQL_P_INT[] = {SL_SQL_T_INT};
static const sl_sql_tkind_t SL_SQL_P_BIGINT[] = {SL_SQL_T_BIGINT};
static const sl_sql_tkind_t SL_SQL_P_DOUBLE[] = {SL_SQL_T_DOUBLE};
static const sl_sql_tkind_t SL_SQL_P_DECIMAL[] = {SL_SQL_T_DECIMAL};
static const sl_sql_tkind_t SL_SQL_P_STRING[] = {SL_SQL_T_STRING};
static const sl_sql_tkind_t SL_SQL_P_STRING2[] = {SL_SQL_T_STRING, SL_SQL_T_STRING};
static const sl_sql_tkind_t SL_SQL_P_STRING3[] = {SL_SQL_T_STRING, SL_SQL_T_STRING, SL_SQL_T_STRING};
static const sl_sql_tkind_t SL_SQL_P_ANY[] = {SL_SQL_T_NULL};
static const sl_sql_tkind_t SL_SQL_P_ANY2[] = {SL_SQL_T_NULL, SL_SQL_T_NULL};

/* --- UTF-8 (func_misc.c) -------------------------------------------------- */

/* Characters (code points) in p[0..n); a byte of a broken sequence counts
 * as one. */
uint32_t sl_sql_utf8_count(const char *p, uint32_t n);
/* The byte offset of character index chars (clamped to n). */
uint32_t sl_sql_utf8_offset(const char *p, uint32_t n, uint32_t chars);
/* The byte length of the character starting at p[0] (1..4, never past n). */
uint32_t sl_sql_utf8_step(const char *p, uint32_t n);
/* The code point at p[0] (a broken sequence gives its first byte) and its
 * byte length in *step. */
uint32_t sl_sql_utf8_decode(const char *p, uint32_t n, uint32_t *step);
/* Appends code point cp as UTF-8. */
void sl_sql_utf8_put(sl_sql_sb_t *sb, uint32_t cp);

/* --- Regular expressions (func_string.c) ---------------------------------- */

/* A Java-style pattern translated to POSIX ERE. Supported: literals,
 * . [] [^] * + ? {m,n} | () ^ $, \d \D \w \W \s \S \b \B, escaped
 * metacharacters, \t \n \r \f, \Q...\E, back references \1..\9,
 * (?:...) (non-capturing: group numbers stay Java's), a leading (?i).
 * Refused (an error, never a silent difference): lazy and possessive
 * quantifiers, look-around, named groups and other (?...) constructs,
 * \p{...} and other letter escapes, nested classes. '.' stops at \n and
 * \r as Java's does. Differences that remain: '.' and classes match
 * bytes, not characters; alternatives match leftmost-longest (POSIX) where
 * Java takes the first that matches. */
typedef struct sl_sql_regex {
    regex_t re;
    uint32_t n_groups;          /* Java capturing groups */
    uint16_t group_map[32];     /* Java group i (1-based) -> POSIX group */
} sl_sql_regex_t;

/* Compiles pattern p[0..n) into *re (regfree(&re->re) when done). Error:
 * non-zero and a sentence in err. */
sl_err_t sl_sql_regex_compile(const char *p, uint32_t n, sl_sql_regex_t *re, char *err, size_t errlen);

/* --- Time zones (timefmt.c) ----------------------------------------------- */

typedef struct sl_sql_tz sl_sql_tz_t;

/* The zone named name[0..n): "UTC", "GMT", "Z", a fixed offset ("+02:00",
 * "-0530", "UTC+2", "GMT-03:00") or a region of the system tz database
 * ("Europe/Berlin", "America/Los_Angeles", read from /usr/share/zoneinfo
 * once per process and kept). NULL and a sentence in err when unknown. */
const sl_sql_tz_t *sl_sql_tz_find(const char *name, uint32_t n, char *err, size_t errlen);
/* The zone's offset from UTC in seconds at instant utc_s. */
int32_t sl_sql_tz_offset_at(const sl_sql_tz_t *tz, int64_t utc_s);
/* The offset that applies to local time local_s (the earlier of two in an
 * overlap, the one before a gap, as java.time does). */
int32_t sl_sql_tz_offset_local(const sl_sql_tz_t *tz, int64_t local_s);
/* The zone's id as given ("UTC", "+02:00", "Europe/Berlin"). */
const char *sl_sql_tz_name(const sl_sql_tz_t *tz);

/* --- Date/time formats (timefmt.c) ---------------------------------------- */

/* A compiled DateTimeFormatter pattern: letters y u M L d D E G H h k K m
 * s S n a X x Z z V and 'quoted' text ('' is a quote); [ ] optional
 * sections. Text is English; 'zzzz' gives the zone id, not Java's long
 * name. */
typedef struct sl_sql_tfmt sl_sql_tfmt_t;

/* Compiles pat[0..n) from arena. NULL and a sentence in err when the
 * pattern is not valid (unknown letter, unterminated quote, too many
 * letters). */
sl_sql_tfmt_t *sl_sql_tfmt_compile(sl_arena_t *arena, const char *pat, uint32_t n, char *err, size_t errlen);
/* Formats ms since the epoch in zone tz onto out. */
void sl_sql_tfmt_format(const sl_sql_tfmt_t *f, int64_t ms, const sl_sql_tz_t *tz, sl_sql_sb_t *out);
/* Parses s[0..n) into ms since the epoch: fields missing from the pattern
 * default as ksqlDB's parser does (year 1970, month and day 1, time
 * midnight); an offset or zone in the text wins over tz (zone names such
 * as PST stand for their regions, as in java.time). Case-insensitive.
 * SL_ERR_INVAL and a sentence in err when s does not match or the instant
 * does not fit. */
sl_err_t sl_sql_tfmt_parse(const sl_sql_tfmt_t *f, const char *s, uint32_t n, const sl_sql_tz_t *tz, int64_t *ms,
                           char *err, size_t errlen);

/* The local date-time s gives, as milliseconds since the epoch as if it
 * were UTC (a zone or offset in the text is read and ignored): what
 * LocalDate/LocalTime.parse give PARSE_DATE and PARSE_TIME. */
sl_err_t sl_sql_tfmt_parse_local(const sl_sql_tfmt_t *f, const char *s, uint32_t n, int64_t *ms, char *err,
                                 size_t errlen);

/* Field classes of a pattern's letters. */
#define SL_SQL_TF_DATE 1u /* y u M L d D E G */
#define SL_SQL_TF_TIME 2u /* H h k K m s S n a */
#define SL_SQL_TF_ZONE 4u /* X x Z z V */
/* The java.time name of the first field of f outside the classes allowed
 * ("HourOfDay" for a DATE formatted with HH), or NULL when there is none. */
const char *sl_sql_tfmt_unsupported(const sl_sql_tfmt_t *f, unsigned allowed);

/* --- JSONPath (func_json.c) ----------------------------------------------- */

/* A path as its tokens: "$.a.b[0]['c d']" is a, b, 0, c d. As in ksqlDB a
 * token is a field name on an object and an index (when it is a number) on
 * an array. */
typedef struct sl_sql_jpath {
    const char **tokens;        /* NUL-terminated, in the arena */
    uint32_t n;
} sl_sql_jpath_t;

/* Parses "$.a.b[0]['c d']" from arena. NULL and a sentence in err when it
 * is not a path of that subset. */
sl_sql_jpath_t *sl_sql_jpath_parse(sl_arena_t *arena, const char *p, uint32_t n, char *err, size_t errlen);

#endif
