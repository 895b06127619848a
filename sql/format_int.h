/*
 * format_int.h - rows <-> bytes (internal).
 *
 *   codec        format_codec.c: one codec per (format, columns, key or
 *                value) pair, made when a query is planned; it dispatches
 *                to format_json.c (JSON parsed straight into rows),
 *                format_delimited.c (DELIMITED: CSV with a chosen
 *                delimiter), format_kafka.c (KAFKA: Kafka's primitive
 *                serdes, one column) and NONE (no columns; bytes ignored). Its encode/decode are what source
 *                and sink processors call; sl_sql_codec_serde() wraps it as
 *                a streams serde for sinks and stores.
 *   internal     format_internal.c: a compact binary encoding of rows of any
 *                types, for state stores, repartition topics and changelogs
 *                (never for user topics).
 *   json values  format_json.c also converts single datums to and from
 *                jansson values (REST rows, INSERT VALUES, the local
 *                engine's JSON text).
 *
 * Decoding follows ksqlDB: JSON object fields match columns
 * case-insensitively; missing fields are NULL; a value of the wrong JSON
 * type is coerced where ksqlDB coerces (a number for a STRING column gives
 * its text, "123" for an INT column gives 123) and otherwise fails the
 * record; with WRAP_SINGLE_VALUE=false a one-column value is the bare JSON
 * value, and a single key column always is. Encoding writes column names
 * as declared. format_num.c holds the scalar text every codec shares.
 *
 * Thread rule: a codec is read-only after it is made and shared by every
 * task thread; decode allocates from the arena it is given.
 */
#ifndef SL_SQL_FORMAT_INT_H
#define SL_SQL_FORMAT_INT_H

#include "expr_int.h"

struct json_t;
struct sl_serde; /* streams.h */

typedef enum sl_sql_fmt_kind { SL_SQL_FMT_JSON, SL_SQL_FMT_DELIMITED, SL_SQL_FMT_KAFKA, SL_SQL_FMT_NONE } sl_sql_fmt_kind_t;

typedef struct sl_sql_fmt {
    sl_sql_fmt_kind_t kind;
    char delimiter;         /* DELIMITED: VALUE_DELIMITER (',' by default;
                             * 'TAB' and 'SPACE' spelled out in WITH) */
    int wrap_single;        /* WRAP_SINGLE_VALUE: -1 not given (wrap), 0, 1 */
} sl_sql_fmt_t;

/* The format named in WITH (KEY_FORMAT / VALUE_FORMAT / FORMAT), case-
 * insensitive; SL_ERR_INVAL for an unknown name ("Unknown format: AVRO"
 * also for AVRO/PROTOBUF, which this build does not have). */
sl_err_t sl_sql_fmt_parse(const char *name, sl_sql_fmt_t *out, char *err, size_t errlen);
const char *sl_sql_fmt_name(sl_sql_fmt_kind_t kind);  /* "JSON", "DELIMITED", "KAFKA", "NONE" */

typedef struct sl_sql_codec sl_sql_codec_t;

/* Makes a codec (from arena, which must outlive it) for rows of the n
 * columns (names and types borrowed: they must outlive it too). Checks, in
 * ksqlDB's order, that the format can carry them: WRAP_SINGLE_VALUE (values
 * only) is JSON's, or false for DELIMITED, and needs one value column; no
 * key column is or holds a MAP; JSON maps have STRING keys; KAFKA one
 * column of INT, BIGINT, DOUBLE, STRING or BYTES (or none); DELIMITED no
 * ARRAY/MAP/STRUCT; NONE no columns. Errors: SL_ERR_INVAL with ksqlDB's
 * sentence in err (e.g. "Value format does not support schema.\nformat:
 * KAFKA\nschema: Persistence{...}\nreason: The 'KAFKA' format only
 * supports a single field. Got: [`A` INTEGER, `B` STRING]"); SL_ERR_NOMEM. */
sl_err_t sl_sql_codec_new(sl_arena_t *arena, const sl_sql_fmt_t *fmt, const char *const *names,
                          const sl_sql_type_t *const *types, uint32_t n, bool is_key, sl_sql_codec_t **out,
                          char *err, size_t errlen);
/* Reads p[0..len) into *out (a row of the codec's n columns in arena;
 * strings may point into p; every STRING is valid UTF-8). JSON: empty
 * bytes or a JSON null give a row of NULLs; DELIMITED: an empty record
 * fails. Errors: SL_ERR_PARSE with ksqlDB's reason in err ("Can't convert
 * type. sourceType: TextNode, requiredType: INTEGER, path: $.ID"); the
 * caller, which knows the topic, prefixes it for the processing log as
 * ksqlDB does: "Failed to deserialize value from topic: t. <reason>".
 * SL_ERR_NOMEM when the arena refuses (its limit bounds what bad input
 * can take). */
sl_err_t sl_sql_codec_decode(const sl_sql_codec_t *c, const uint8_t *p, size_t len, sl_arena_t *arena,
                             sl_sql_row_t **out, char *err, size_t errlen);
/* Appends row's bytes. A NONE codec appends nothing. Errors: SL_ERR_INVAL
 * (a row of another column count, a datum of a kind the format cannot
 * write: never for rows of the codec's types), the buffer's sticky error. */
sl_err_t sl_sql_codec_encode(const sl_sql_codec_t *c, const sl_sql_row_t *row, sl_buf_t *out);
/* Whether row goes to the topic as a Kafka null (no bytes) instead of being
 * encoded, as ksqlDB's serializers return null: a codec of no columns or
 * NONE, or one bare column (KAFKA, unwrapped JSON) holding NULL. Sinks
 * write a null key or a tombstone then. A NULL row: true. */
bool sl_sql_codec_is_null(const sl_sql_codec_t *c, const sl_sql_row_t *row);
/* A streams serde (SL_V_PTR to sl_sql_row_t both ways) over the codec; it
 * lives as long as the codec. Its ser cannot write a null: check
 * sl_sql_codec_is_null before giving it a row. */
const struct sl_serde *sl_sql_codec_serde(sl_sql_codec_t *c);

/* The internal encoding's serde for rows of the n types (borrowed; from
 * arena). Round-trips every datum exactly. */
const struct sl_serde *sl_sql_internal_serde(sl_arena_t *arena, const sl_sql_type_t *const *types, uint32_t n);

/* --- JSON values (format_json.c) -------------------------------------------- */

/* d as a JSON value for REST rows and JSON topics (BIGINT/INT as integers,
 * DECIMAL as a number with its scale, TIMESTAMP as ms, DATE days, TIME ms,
 * BYTES base64, STRUCT an object with the field names). New reference;
 * NULL only when out of memory (SQL NULL gives json_null()). */
struct json_t *sl_sql_datum_to_json(const sl_sql_datum_t *d, const sl_sql_type_t *t);
/* A JSON value read as type t with ksqlDB's coercions (memory from arena).
 * Errors: SL_ERR_INVAL with a sentence. */
sl_err_t sl_sql_datum_from_json(const struct json_t *j, const sl_sql_type_t *t, sl_arena_t *arena,
                                sl_sql_datum_t *out, char *err, size_t errlen);

/* --- Private to format_*.c ---------------------------------------------------- */

struct sl_sql_codec {
    sl_sql_fmt_t fmt;
    bool is_key;
    bool unwrapped;                 /* one column written bare (no object) */
    uint32_t n;
    const char *const *names;
    const sl_sql_type_t *const *types;
    uint32_t *name_lens;
    bool names_ci_unique;           /* no two names equal ignoring case */
    char **name_lower;              /* JSON: a name in lower case where that
                                     * upper-cased is the name (most keys
                                     * arrive so: one memcmp), else NULL */
    char **name_json;               /* JSON: "NAME": per column, escaped */
    uint32_t *name_json_lens;
    struct sl_serde *serde;         /* sl_sql_codec_serde's, in the arena */
};

/* Each format's half of decode/encode: row has the codec's n columns, all
 * NULL on entry to decode. Errors as sl_sql_codec_decode/encode. */
sl_err_t sl_sql_json_decode(const sl_sql_codec_t *c, const uint8_t *p, size_t len, sl_arena_t *arena,
                            sl_sql_row_t *row, char *err, size_t errlen);
sl_err_t sl_sql_json_encode(const sl_sql_codec_t *c, const sl_sql_row_t *row, sl_buf_t *out);
/* Fills the JSON parts of a new codec (name_json, names_ci_unique) from
 * arena. SL_ERR_NOMEM. */
sl_err_t sl_sql_json_prepare(sl_sql_codec_t *c, sl_arena_t *arena);
sl_err_t sl_sql_delimited_decode(const sl_sql_codec_t *c, const uint8_t *p, size_t len, sl_arena_t *arena,
                                 sl_sql_row_t *row, char *err, size_t errlen);
sl_err_t sl_sql_delimited_encode(const sl_sql_codec_t *c, const sl_sql_row_t *row, sl_buf_t *out);
sl_err_t sl_sql_kafka_decode(const sl_sql_codec_t *c, const uint8_t *p, size_t len, sl_arena_t *arena,
                             sl_sql_row_t *row, char *err, size_t errlen);
sl_err_t sl_sql_kafka_encode(const sl_sql_codec_t *c, const sl_sql_row_t *row, sl_buf_t *out);
/* ksqlDB's name of a type's base kind ("INTEGER", "ARRAY", ...). */
const char *sl_sql_base_type_name(sl_sql_tkind_t kind);

/* --- Scalar text shared by the codecs (format_num.c) ---------------------------
 * The spellings ksqlDB's serializers use, over value_int.h's number text
 * (sl_sql_double_format, sl_sql_dec_format, sl_sql_dec_read), so every
 * codec writes and reads values one way. */

/* sl_sql_dec_read with ksqlDB's sentence in err when the text is not a
 * number or does not fit ("Numeric field overflow: ..."): SL_ERR_INVAL. */
sl_err_t sl_sql_dec_parse(const char *p, size_t n, int precision, int scale, sl_sql_i128_t *out, char *err,
                          size_t errlen);
/* Java's Integer.parseInt / Long.parseLong over p[0..n) (optional sign,
 * digits only) within [min, max]; false when not such a number. */
bool sl_sql_int_parse(const char *p, size_t n, int64_t min, int64_t max, int64_t *out);
/* Java's Double.parseDouble (decimal or exponent notation, "NaN",
 * "Infinity", leading/trailing blanks allowed); false when not a number. */
bool sl_sql_double_parse(const char *p, size_t n, double *out);
/* Standard base64 (with padding) of p[0..n), appended. */
void sl_sql_base64_write(const uint8_t *p, size_t n, sl_buf_t *out);
/* Decodes base64 text (padding optional) into arena memory; false when the
 * text is not base64 or memory runs out. */
bool sl_sql_base64_read(const char *p, size_t n, sl_arena_t *arena, const uint8_t **out, uint32_t *outlen);
/* The length of the UTF-8 sequence at p (shortest form, no surrogates,
 * at most U+10FFFF), or 0 when p starts none. p < end. */
int sl_sql_utf8_len(const unsigned char *p, const unsigned char *end);
/* p[0..n) as valid UTF-8 text, as Java's decoders read bytes: *out is p
 * itself when it is valid, else a copy in arena with each byte that starts
 * no valid sequence replaced by U+FFFD. false when memory runs out. */
bool sl_sql_utf8_text(const char *p, size_t n, sl_arena_t *arena, const char **out, uint32_t *outlen);
/* A primitive datum d of type t as the text DELIMITED fields and JSON map
 * keys carry: BOOLEAN "true"/"false", numbers as above, STRING as is, BYTES
 * base64, TIMESTAMP/TIME ms and DATE days as integers. NULL appends nothing.
 * Composites are not primitive: SL_ERR_INVAL. */
sl_err_t sl_sql_scalar_write(const sl_sql_datum_t *d, const sl_sql_type_t *t, sl_buf_t *out);

/* --- Test text (the local engine's JSON text <-> topic bytes) ---------------- */

/* The bytes a record's key or value has on a topic of this codec, given as
 * JSON text the way sql.h's local-engine calls describe (a JSON null gives
 * *is_null). Errors: SL_ERR_INVAL with a sentence. */
sl_err_t sl_sql_codec_from_text(const sl_sql_codec_t *c, const char *json_text, sl_arena_t *arena, sl_buf_t *out,
                                bool *is_null, char *err, size_t errlen);
/* The reverse: bytes (NULL: a null) as JSON text (malloc'd). */
char *sl_sql_codec_to_text(const sl_sql_codec_t *c, const uint8_t *p, size_t len, bool is_null, sl_arena_t *arena);

#endif
