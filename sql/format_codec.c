/*
 * format_codec.c - the codec of one (format, columns, key or value) pair:
 * the format names of WITH clauses, the checks ksqlDB makes before it
 * accepts a schema for a format (with its sentences), the dispatch of
 * decode/encode to format_json.c, format_delimited.c and format_kafka.c,
 * and the streams serde wrapping a codec.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "format_int.h"
#include "streams.h"

static sl_err_t codec_ser(const sl_val_t *v, sl_buf_t *out, void *arg);
static sl_err_t codec_de(const uint8_t *p, size_t n, sl_arena_t *arena, sl_val_t *out, void *arg);

static const char *const fmt_names[] = {"JSON", "DELIMITED", "KAFKA", "NONE"};

const char *sl_sql_fmt_name(sl_sql_fmt_kind_t kind)
{
    if ((unsigned)kind >= sizeof fmt_names / sizeof fmt_names[0])
        return "?";
    return fmt_names[kind];
}

sl_err_t sl_sql_fmt_parse(const char *name, sl_sql_fmt_t *out, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof fmt_names / sizeof fmt_names[0]; i++) {
        if (strcasecmp(name, fmt_names[i]) == 0) {
            out->kind = (sl_sql_fmt_kind_t)i;
            out->delimiter = ',';
            out->wrap_single = -1;
            return SL_OK;
        }
    }
    char up[64];
    size_t n = 0;
    for (; name[n] && n + 1 < sizeof up; n++)
        up[n] = (char)(name[n] >= 'a' && name[n] <= 'z' ? name[n] - 32 : name[n]);
    up[n] = '\0';
    snprintf(err, errlen, "Unknown format: %s", up);
    return SL_ERR_INVAL;
}

const char *sl_sql_base_type_name(sl_sql_tkind_t kind)
{
    static const char *const names[SL_SQL_T_COUNT_] = {
        [SL_SQL_T_NULL] = "NULL",          [SL_SQL_T_BOOLEAN] = "BOOLEAN", [SL_SQL_T_INT] = "INTEGER",
        [SL_SQL_T_BIGINT] = "BIGINT",      [SL_SQL_T_DOUBLE] = "DOUBLE",   [SL_SQL_T_DECIMAL] = "DECIMAL",
        [SL_SQL_T_STRING] = "STRING",      [SL_SQL_T_BYTES] = "BYTES",     [SL_SQL_T_TIMESTAMP] = "TIMESTAMP",
        [SL_SQL_T_DATE] = "DATE",          [SL_SQL_T_TIME] = "TIME",       [SL_SQL_T_ARRAY] = "ARRAY",
        [SL_SQL_T_MAP] = "MAP",            [SL_SQL_T_STRUCT] = "STRUCT",
    };
    if ((unsigned)kind >= SL_SQL_T_COUNT_)
        return "?";
    return names[kind];
}

/* "[`A` INTEGER, `B` STRING]" (keys: "`K` STRING KEY"), as ksqlDB lists a
 * schema's columns in its messages. */
static void columns_format(const char *const *names, const sl_sql_type_t *const *types, uint32_t n, bool is_key,
                           sl_buf_t *out)
{
    sl_buf_put_u8(out, '[');
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            sl_buf_put(out, ", ", 2);
        sl_buf_put_u8(out, '`');
        sl_buf_put(out, names[i], strlen(names[i]));
        sl_buf_put(out, "` ", 2);
        sl_sql_type_format(types[i], out);
        if (is_key)
            sl_buf_put(out, " KEY", 4);
    }
    sl_buf_put_u8(out, ']');
}

enum { WHY_NONE_COLUMNS, WHY_KAFKA_FIELDS, WHY_TYPE, WHY_COLUMN_TYPE };

/* ksqlDB's sentence for a schema a format cannot carry: which side, the
 * format, the schema, then the reason; type_what is the type WHY_TYPE and
 * WHY_COLUMN_TYPE name, col the column WHY_COLUMN_TYPE names. */
static sl_err_t unsupported(const sl_sql_fmt_t *fmt, const char *const *names, const sl_sql_type_t *const *types,
                            uint32_t n, bool is_key, bool unwrapped, char *err, size_t errlen, int why_kind,
                            const char *type_what, const char *col)
{
    sl_buf_t cols = SL_BUF_INIT;
    columns_format(names, types, n, is_key, &cols);
    sl_buf_put_u8(&cols, '\0');
    const char *c = sl_buf_err(&cols) ? "[]" : (const char *)cols.data;
    const char *f = sl_sql_fmt_name(fmt->kind);
    char why[512];
    if (why_kind == WHY_NONE_COLUMNS)
        snprintf(why, sizeof why, "The '%s' format can only be used when no columns are defined. Got: %s", f, c);
    else if (why_kind == WHY_KAFKA_FIELDS)
        snprintf(why, sizeof why, "The '%s' format only supports a single field. Got: %s", f, c);
    else if (why_kind == WHY_TYPE)
        snprintf(why, sizeof why, "The '%s' format does not support type '%s'", f, type_what);
    else
        snprintf(why, sizeof why, "The '%s' format does not support type '%s', column: `%s`", f, type_what, col);
    snprintf(err, errlen,
             "%s format does not support schema.\nformat: %s\nschema: Persistence{columns=%s, features=%s}\n"
             "reason: %s",
             is_key ? "Key" : "Value", f, c, unwrapped ? "[UNWRAP_SINGLES]" : "[]", why);

    sl_buf_free(&cols);
    return SL_ERR_INVAL;
}

static bool kafka_supports(sl_sql_tkind_t k)
{
    return k == SL_SQL_T_INT || k == SL_SQL_T_BIGINT || k == SL_SQL_T_DOUBLE || k == SL_SQL_T_STRING ||
           k == SL_SQL_T_BYTES;
}

/* Whether t is or holds a MAP (any_key) or a MAP whose keys are not
 * STRING (!any_key). */
static bool has_map(const sl_sql_type_t *t, bool any_key, int depth)
{
    if (!t || depth > 64)
        return false;
    switch (t->kind) {
    case SL_SQL_T_MAP:
        if (any_key || (t->key && t->key->kind != SL_SQL_T_STRING))
            return true;
        return has_map(t->key, any_key, depth + 1) || has_map(t->elem, any_key, depth + 1);
    case SL_SQL_T_ARRAY:
        return has_map(t->elem, any_key, depth + 1);
    case SL_SQL_T_STRUCT:
        for (uint32_t i = 0; i < t->n_fields; i++)
            if (has_map(t->fields[i].type, any_key, depth + 1))
                return true;
        return false;
    default:
        return false;
    }
}

sl_err_t sl_sql_codec_new(sl_arena_t *arena, const sl_sql_fmt_t *fmt, const char *const *names,
                          const sl_sql_type_t *const *types, uint32_t n, bool is_key, sl_sql_codec_t **out,
                          char *err, size_t errlen)
{
    if (!is_key && fmt->wrap_single >= 0) {
        /* JSON wraps or not; DELIMITED is never wrapped (false is allowed);
         * KAFKA and NONE take neither */
        bool ok = fmt->kind == SL_SQL_FMT_JSON || (fmt->wrap_single == 0 && fmt->kind == SL_SQL_FMT_DELIMITED);
        if (!ok) {
            snprintf(err, errlen, "Format '%s' does not support 'WRAP_SINGLE_VALUE' set to '%s'.",
                     sl_sql_fmt_name(fmt->kind), fmt->wrap_single ? "true" : "false");
            return SL_ERR_INVAL;
        }
        if (n != 1) {
            snprintf(err, errlen, "'WRAP_SINGLE_VALUE' is only valid for single-field value schemas");
            return SL_ERR_INVAL;
        }
    }
    /* maps serialize in no fixed order: equal keys could differ in bytes */
    for (uint32_t i = 0; is_key && i < n; i++) {
        if (has_map(types[i], true, 0)) {
            char tb[256];
            snprintf(err, errlen,
                     "Map keys, including types that contain maps, are not supported as they may lead to unexpected "
                     "behavior due to inconsistent serialization. Key column name: `%s`. Column type: %s. See "
                     "https://github.com/confluentinc/ksql/issues/6621 for more.",
                     names[i], sl_sql_type_str(types[i], tb, sizeof tb));
            return SL_ERR_INVAL;
        }
    }
    for (uint32_t i = 0; fmt->kind == SL_SQL_FMT_JSON && i < n; i++) {
        if (has_map(types[i], false, 0)) {
            snprintf(err, errlen, "JSON only supports MAP types with STRING keys");
            return SL_ERR_INVAL;
        }
    }
    bool unwrapped = n == 1 && (is_key || fmt->kind != SL_SQL_FMT_JSON || fmt->wrap_single == 0);
    /* what ksqlDB lists as the schema's features: unwrapping only where the
     * format has it as an option (JSON keys and bare values, DELIMITED told so) */
    bool feat_unwrap = n == 1 && ((fmt->kind == SL_SQL_FMT_JSON && unwrapped) ||
                                  (fmt->kind == SL_SQL_FMT_DELIMITED && !is_key && fmt->wrap_single == 0));
    switch (fmt->kind) {
    case SL_SQL_FMT_NONE:
        if (n > 0)
            return unsupported(fmt, names, types, n, is_key, feat_unwrap, err, errlen,
                               WHY_NONE_COLUMNS, NULL, NULL);
        break;
    case SL_SQL_FMT_KAFKA:
        if (n > 1)
            return unsupported(fmt, names, types, n, is_key, feat_unwrap, err, errlen,
                               WHY_KAFKA_FIELDS, NULL, NULL);
        if (n == 1 && !kafka_supports(types[0]->kind))
            return unsupported(fmt, names, types, n, is_key, feat_unwrap, err, errlen,
                               WHY_TYPE, sl_sql_base_type_name(types[0]->kind), NULL);
        break;
    case SL_SQL_FMT_DELIMITED:
        for (uint32_t i = 0; i < n; i++) {
            sl_sql_tkind_t k = types[i]->kind;
            if (k == SL_SQL_T_ARRAY || k == SL_SQL_T_MAP || k == SL_SQL_T_STRUCT)
                return unsupported(fmt, names, types, n, is_key, feat_unwrap, err, errlen, WHY_COLUMN_TYPE,
                                   sl_sql_base_type_name(k), names[i]);
        }
        break;
    case SL_SQL_FMT_JSON:
        break;
    default:
        snprintf(err, errlen, "Unknown format");
        return SL_ERR_INVAL;
    }
    sl_sql_codec_t *c = sl_arena_zalloc(arena, sizeof *c);
    uint32_t *lens = sl_arena_calloc(arena, n ? n : 1, sizeof *lens);
    sl_serde_t *serde = sl_arena_zalloc(arena, sizeof *serde);
    if (!c || !lens || !serde) {
        snprintf(err, errlen, "out of memory");
        return SL_ERR_NOMEM;
    }
    for (uint32_t i = 0; i < n; i++)
        lens[i] = (uint32_t)strlen(names[i]);
    c->fmt = *fmt;
    if (c->fmt.kind == SL_SQL_FMT_DELIMITED && !c->fmt.delimiter)
        c->fmt.delimiter = ',';
    c->is_key = is_key;
    c->unwrapped = unwrapped;
    c->n = n;
    c->names = names;
    c->types = types;
    c->name_lens = lens;
    serde->name = sl_sql_fmt_name(c->fmt.kind);
    serde->type = SL_V_PTR;
    serde->ser = codec_ser;
    serde->de = codec_de;
    serde->arg = c;
    c->serde = serde;
    if (c->fmt.kind == SL_SQL_FMT_JSON && sl_sql_json_prepare(c, arena)) {
        snprintf(err, errlen, "out of memory");
        return SL_ERR_NOMEM;
    }
    *out = c;
    return SL_OK;
}

sl_err_t sl_sql_codec_decode(const sl_sql_codec_t *c, const uint8_t *p, size_t len, sl_arena_t *arena,
                             sl_sql_row_t **out, char *err, size_t errlen)
{
    sl_sql_row_t *row = sl_arena_alloc(arena, sizeof *row);
    sl_sql_datum_t *cols = sl_arena_zalloc(arena, (c->n ? c->n : 1) * sizeof *cols);
    if (!row || !cols) {
        snprintf(err, errlen, "out of memory");
        return SL_ERR_NOMEM;
    }
    row->n = c->n;
    row->cols = cols;
    sl_err_t rc = SL_OK;
    switch (c->fmt.kind) {
    case SL_SQL_FMT_JSON:
        rc = sl_sql_json_decode(c, p, len, arena, row, err, errlen);
        break;
    case SL_SQL_FMT_DELIMITED:
        rc = sl_sql_delimited_decode(c, p, len, arena, row, err, errlen);
        break;
    case SL_SQL_FMT_KAFKA:
        rc = sl_sql_kafka_decode(c, p, len, arena, row, err, errlen);
        break;
    case SL_SQL_FMT_NONE:
        break;
    }
    if (rc)
        return rc;
    *out = row;
    return SL_OK;
}

sl_err_t sl_sql_codec_encode(const sl_sql_codec_t *c, const sl_sql_row_t *row, sl_buf_t *out)
{
    if (c->fmt.kind != SL_SQL_FMT_NONE && row->n != c->n)
        return SL_ERR_INVAL;
    switch (c->fmt.kind) {
    case SL_SQL_FMT_JSON:
        return sl_sql_json_encode(c, row, out);
    case SL_SQL_FMT_DELIMITED:
        return sl_sql_delimited_encode(c, row, out);
    case SL_SQL_FMT_KAFKA:
        return sl_sql_kafka_encode(c, row, out);
    case SL_SQL_FMT_NONE:
        return sl_buf_err(out);
    }
    return SL_ERR_INVAL;
}

bool sl_sql_codec_is_null(const sl_sql_codec_t *c, const sl_sql_row_t *row)
{
    if (!row || c->n == 0 || c->fmt.kind == SL_SQL_FMT_NONE)
        return true;
    return c->unwrapped && c->fmt.kind != SL_SQL_FMT_DELIMITED && row->n > 0 &&
           row->cols[0].kind == SL_SQL_T_NULL;
}

static sl_err_t codec_ser(const sl_val_t *v, sl_buf_t *out, void *arg)
{
    if (v->type != SL_V_PTR || !v->u.ptr)
        return SL_ERR_INVAL;
    return sl_sql_codec_encode(arg, v->u.ptr, out);
}

static sl_err_t codec_de(const uint8_t *p, size_t n, sl_arena_t *arena, sl_val_t *out, void *arg)
{
    char err[256];
    sl_sql_row_t *row;
    sl_err_t rc = sl_sql_codec_decode(arg, p, n, arena, &row, err, sizeof err);
    if (rc)
        return rc == SL_ERR_NOMEM ? rc : SL_ERR_PARSE;
    *out = sl_val_ptr(row);
    return SL_OK;
}

const struct sl_serde *sl_sql_codec_serde(sl_sql_codec_t *c)
{
    return c->serde; /* made with the codec: reading it needs no write */
}
