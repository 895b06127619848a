/*
 * format_text.c - a record's key or value as the JSON text the local engine
 * and the data-driven tests speak, and back: JSON topics carry the JSON
 * itself, DELIMITED a JSON string holding the line, KAFKA a JSON number or
 * string (BYTES in base64), NONE nothing; a JSON null is a null record
 * part either way.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format_int.h"

sl_err_t sl_sql_codec_from_text(const sl_sql_codec_t *c, const char *json_text, sl_arena_t *arena, sl_buf_t *out,
                                bool *is_null, char *err, size_t errlen)
{
    json_error_t jerr;
    *is_null = false;
    json_t *j = json_loads(json_text, JSON_DECODE_ANY, &jerr);
    if (!j) {
        snprintf(err, errlen, "Invalid JSON: %s", jerr.text);
        return SL_ERR_INVAL;
    }
    sl_err_t rc = SL_OK;
    if (json_is_null(j) || c->fmt.kind == SL_SQL_FMT_NONE) {
        *is_null = true;
        goto done;
    }
    switch (c->fmt.kind) {
    case SL_SQL_FMT_JSON: {
        /* the text as given (compact forms would hide what a test wrote) */
        const char *s = json_text;
        size_t n = strlen(s);
        while (n && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) {
            s++;
            n--;
        }
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
            n--;
        sl_buf_put(out, s, n);
        break;
    }
    case SL_SQL_FMT_DELIMITED:
        if (json_is_string(j)) {
            sl_buf_put(out, json_string_value(j), json_string_length(j));
        } else if (json_is_number(j) || json_is_boolean(j)) {
            char *s = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
            if (s)
                sl_buf_put(out, s, strlen(s));
            free(s);
        } else {
            snprintf(err, errlen, "a DELIMITED record is given as a JSON string holding the line");
            rc = SL_ERR_INVAL;
        }
        break;
    case SL_SQL_FMT_KAFKA: {
        if (c->n == 0)
            break;
        sl_sql_datum_t d;
        rc = sl_sql_datum_from_json(j, c->types[0], arena, &d, err, errlen);
        if (rc)
            break;
        sl_sql_row_t row = {1, &d};
        rc = sl_sql_codec_encode(c, &row, out);
        if (rc)
            snprintf(err, errlen, "cannot write the value in the KAFKA format");
        break;
    }
    case SL_SQL_FMT_NONE:
        break;
    }
    if (!rc && sl_buf_err(out)) {
        rc = sl_buf_err(out);
        snprintf(err, errlen, "out of memory");
    }
done:
    json_decref(j);
    return rc;
}

static char *json_text_of(json_t *j)
{
    char *s = j ? json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    json_decref(j);
    return s;
}

char *sl_sql_codec_to_text(const sl_sql_codec_t *c, const uint8_t *p, size_t len, bool is_null, sl_arena_t *arena)
{
    if (is_null || c->fmt.kind == SL_SQL_FMT_NONE)
        return strdup("null");
    switch (c->fmt.kind) {
    case SL_SQL_FMT_JSON: {
        char *s = malloc(len + 1);
        if (s) {
            if (len)
                memcpy(s, p, len);
            s[len] = '\0';
        }
        return s;
    }
    case SL_SQL_FMT_DELIMITED: {
        json_t *j = json_stringn((const char *)p, len);
        return json_text_of(j ? j : json_stringn_nocheck((const char *)p, len));
    }
    case SL_SQL_FMT_KAFKA: {
        char err[256];
        sl_sql_row_t *row;
        if (c->n == 0)
            return strdup("null");
        if (sl_sql_codec_decode(c, p, len, arena, &row, err, sizeof err)) {
            char msg[300];
            snprintf(msg, sizeof msg, "<unreadable: %s>", err);
            return json_text_of(json_string(msg));
        }
        if (c->types[0]->kind == SL_SQL_T_STRING)
            return json_text_of(json_stringn_nocheck(row->cols[0].u.s.ptr, row->cols[0].u.s.len));
        return json_text_of(sl_sql_datum_to_json(&row->cols[0], c->types[0]));
    }
    case SL_SQL_FMT_NONE:
        break;
    }
    return strdup("null");
}
