/*
 * msgfmt.c - how `sluice consume` prints a record: a --format template
 * with {key} {value} {topic} {partition} {offset} {timestamp} {headers}
 * and the escapes \n \t \\, or one JSON object per record. Pure: writes to
 * the FILE it is given.
 */
#include <stdlib.h>
#include <string.h>

#include "sluice.h"

static void put_bytes(FILE *f, const void *p, int32_t len)
{
    if (p && len > 0)
        fwrite(p, 1, (size_t)len, f);
}

static void put_headers(FILE *f, const sl_message_t *m)
{
    for (size_t i = 0; i < m->header_count; i++) {
        const sl_msg_header_t *h = &m->headers[i];
        fprintf(f, "%s%s=", i ? "," : "", h->key);
        put_bytes(f, h->value, h->value_len);
    }
}

bool sluice_format_check(const char *fmt, char *err, size_t errlen)
{
    static const char *const fields[] = {"key", "value", "topic", "partition", "offset", "timestamp", "headers"};
    for (const char *p = fmt; *p; p++) {
        if (*p != '{')
            continue;
        const char *end = strchr(p, '}');
        if (!end) {
            snprintf(err, errlen, "unclosed '{' in --format");
            return false;
        }
        size_t len = (size_t)(end - p - 1);
        bool known = false;
        for (size_t i = 0; i < SL_ARRAY_LEN(fields) && !known; i++)
            known = strlen(fields[i]) == len && strncmp(fields[i], p + 1, len) == 0;
        if (!known) {
            snprintf(err, errlen, "unknown field {%.*s} in --format (fields: key, value, topic, partition, offset, "
                                  "timestamp, headers)",
                     (int)len, p + 1);
            return false;
        }
        p = end;
    }
    return true;
}

void sluice_format_message(FILE *f, const char *fmt, const sl_message_t *m)
{
    for (const char *p = fmt; *p; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            fputc(*p == 'n' ? '\n' : *p == 't' ? '\t' : *p, f);
            continue;
        }
        const char *end = *p == '{' ? strchr(p, '}') : NULL;
        if (!end) {
            fputc(*p, f);
            continue;
        }
        size_t len = (size_t)(end - p - 1);
        const char *name = p + 1;
#define IS(s) (len == sizeof(s) - 1 && strncmp(name, s, len) == 0)
        if (IS("key"))
            put_bytes(f, m->key, m->key_len);
        else if (IS("value"))
            put_bytes(f, m->value, m->value_len);
        else if (IS("topic"))
            fputs(m->topic ? m->topic : "", f);
        else if (IS("partition"))
            fprintf(f, "%d", (int)m->partition);
        else if (IS("offset"))
            fprintf(f, "%lld", (long long)m->offset);
        else if (IS("timestamp"))
            fprintf(f, "%lld", (long long)m->timestamp);
        else if (IS("headers"))
            put_headers(f, m);
        else
            fwrite(p, 1, len + 2, f);
#undef IS
        p = end;
    }
}

/* Bytes as a JSON string, or null; bytes that are not UTF-8 as
 * {"base64": "..."}. */
static json_t *json_bytes(const void *p, int32_t len)
{
    if (!p || len < 0)
        return json_null();
    json_t *s = json_stringn(p, (size_t)len);
    if (s)
        return s;
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const uint8_t *b = p;
    size_t n = (size_t)len, out = 4 * ((n + 2) / 3);
    char *enc = malloc(out + 1);
    if (!enc)
        return json_null();
    size_t k = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)b[i] << 16 | (i + 1 < n ? (uint32_t)b[i + 1] << 8 : 0) | (i + 2 < n ? b[i + 2] : 0);
        enc[k++] = tab[v >> 18 & 63];
        enc[k++] = tab[v >> 12 & 63];
        enc[k++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
        enc[k++] = i + 2 < n ? tab[v & 63] : '=';
    }
    enc[k] = '\0';
    json_t *j = json_pack("{s:s}", "base64", enc);
    free(enc);
    return j;
}

json_t *sluice_message_json(const sl_message_t *m)
{
    json_t *headers = json_object();
    for (size_t i = 0; i < m->header_count; i++)
        json_object_set_new(headers, m->headers[i].key, json_bytes(m->headers[i].value, m->headers[i].value_len));
    return json_pack("{s:s, s:i, s:I, s:I, s:o, s:o, s:o}", "topic", m->topic ? m->topic : "", "partition",
                     m->partition, "offset", (json_int_t)m->offset, "timestamp", (json_int_t)m->timestamp, "key",
                     json_bytes(m->key, m->key_len), "value", json_bytes(m->value, m->value_len), "headers",
                     headers);
}
