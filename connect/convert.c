/*
 * convert.c - converters between the Connect data model and record bytes,
 * as Kafka's StringConverter, ByteArrayConverter and JsonConverter (with
 * schemas.enable: the {"schema":...,"payload":...} envelope, Kafka's schema
 * JSON: type, optional, name, version, fields/field, items, keys/values;
 * bytes as base64). JSON through jansson.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "connect_int.h"

#define MAX_DEPTH 64

typedef enum conv_kind { CONV_STRING, CONV_BYTES, CONV_JSON } conv_kind_t;

struct sl_connect_converter {
    conv_kind_t kind;
    bool schemas;            /* json: the envelope */
};

static const sl_cschema_t optional_string = {.type = SL_CT_STRING, .optional = 1};
static const sl_cschema_t optional_bytes = {.type = SL_CT_BYTES, .optional = 1};

static const struct {
    const char *name;
    conv_kind_t kind;
} conv_names[] = {
    {"string", CONV_STRING},
    {"org.apache.kafka.connect.storage.StringConverter", CONV_STRING},
    {"bytes", CONV_BYTES},
    {"org.apache.kafka.connect.converters.ByteArrayConverter", CONV_BYTES},
    {"json", CONV_JSON},
    {"org.apache.kafka.connect.json.JsonConverter", CONV_JSON},
};

sl_err_t sl_connect_converter_new(const char *name, const sl_props_t *props, const char *prefix,
                                  sl_connect_converter_t **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    int kind = -1;
    for (size_t i = 0; name && i < sizeof(conv_names) / sizeof(conv_names[0]); i++)
        if (strcmp(conv_names[i].name, name) == 0)
            kind = (int)conv_names[i].kind;
    if (kind < 0) {
        if (errbuf)
            snprintf(errbuf, errlen, "%sunknown converter \"%s\" (string, bytes or json)",
                     prefix ? prefix : "", name ? name : "");
        return SL_ERR_CONFIG;
    }
    bool schemas = true;
    char key[256];
    snprintf(key, sizeof(key), "%sschemas.enable", prefix ? prefix : "");
    const char *v = props ? sl_props_get(props, key) : NULL;
    if (v) {
        if (strcasecmp(v, "true") == 0) {
            schemas = true;
        } else if (strcasecmp(v, "false") == 0) {
            schemas = false;
        } else {
            if (errbuf)
                snprintf(errbuf, errlen, "Invalid value %s for configuration %s: must be true "
                         "or false", v, key);
            return SL_ERR_CONFIG;
        }
    }
    sl_connect_converter_t *conv = calloc(1, sizeof(*conv));
    if (!conv)
        return SL_ERR_NOMEM;
    conv->kind = (conv_kind_t)kind;
    conv->schemas = schemas;
    *out = conv;
    return SL_OK;
}

void sl_connect_converter_free(sl_connect_converter_t *conv)
{
    free(conv);
}

/* ---- base64 (JSON's representation of bytes) ---------------------------- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *b64_encode(const uint8_t *p, size_t n)
{
    char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        *o++ = b64[v >> 18];
        *o++ = b64[(v >> 12) & 63];
        *o++ = i + 1 < n ? b64[(v >> 6) & 63] : '=';
        *o++ = i + 2 < n ? b64[v & 63] : '=';
    }
    *o = '\0';
    return out;
}

static int b64_val(char c)
{
    const char *p = c ? strchr(b64, c) : NULL;
    return p ? (int)(p - b64) : -1;
}

/* Decodes s (len a multiple of 4, '=' padding only at the end) into mem. */
static sl_cvalue_t *b64_decode(sl_connect_mem_t *mem, const char *s, size_t len)
{
    if (len % 4)
        return NULL;
    uint8_t *buf = malloc(len / 4 * 3 + 1);
    if (!buf)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < len; i += 4) {
        int a = b64_val(s[i]), b = b64_val(s[i + 1]);
        bool last = i + 4 == len;
        int c = (last && s[i + 2] == '=') ? -2 : b64_val(s[i + 2]);
        int d = (last && s[i + 3] == '=') ? -2 : b64_val(s[i + 3]);
        if (a < 0 || b < 0 || c == -1 || d == -1 || (c == -2 && d != -2)) {
            free(buf);
            return NULL;
        }
        uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)(c < 0 ? 0 : c) << 6 |
                     (uint32_t)(d < 0 ? 0 : d);
        buf[n++] = (uint8_t)(v >> 16);
        if (c >= 0)
            buf[n++] = (uint8_t)(v >> 8);
        if (d >= 0)
            buf[n++] = (uint8_t)v;
    }
    sl_cvalue_t *v = sl_connect_val_bytes(mem, buf, n);
    free(buf);
    return v;
}

/* ---- data model -> JSON ---------------------------------------------------- */

typedef struct jerr {
    char *buf;
    size_t len;
} jerr_t;

#define JFAIL(e, ...) do { if ((e)->buf) snprintf((e)->buf, (e)->len, __VA_ARGS__); } while (0)

static json_t *schema_to_json(const sl_cschema_t *s, int depth, jerr_t *e)
{
    if (depth > MAX_DEPTH) {
        JFAIL(e, "schema nested deeper than %d levels", MAX_DEPTH);
        return NULL;
    }
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "type", json_string(sl_connect_type_name(s->type)));
    if (s->type == SL_CT_STRUCT) {
        json_t *fields = json_array();
        for (size_t i = 0; i < s->field_count; i++) {
            json_t *f = schema_to_json(s->fields[i].schema, depth + 1, e);
            if (!f) {
                json_decref(fields);
                json_decref(o);
                return NULL;
            }
            json_object_set_new(f, "field", json_string(s->fields[i].name));
            json_array_append_new(fields, f);
        }
        json_object_set_new(o, "fields", fields);
    } else if (s->type == SL_CT_ARRAY || s->type == SL_CT_MAP) {
        if (!s->items || (s->type == SL_CT_MAP && !s->keys)) {
            JFAIL(e, "%s schema without its element schemas", sl_connect_type_name(s->type));
            json_decref(o);
            return NULL;
        }
        if (s->type == SL_CT_MAP) {
            json_t *k = schema_to_json(s->keys, depth + 1, e);
            if (!k) {
                json_decref(o);
                return NULL;
            }
            json_object_set_new(o, "keys", k);
        }
        json_t *it = schema_to_json(s->items, depth + 1, e);
        if (!it) {
            json_decref(o);
            return NULL;
        }
        json_object_set_new(o, s->type == SL_CT_MAP ? "values" : "items", it);
    }
    json_object_set_new(o, "optional", json_boolean(s->optional));
    if (s->name)
        json_object_set_new(o, "name", json_string(s->name));
    if (s->version)
        json_object_set_new(o, "version", json_integer(s->version));
    return o;
}

/* Whether value v may stand where schema s is expected (types only). */
static bool fits(const sl_cschema_t *s, const sl_cvalue_t *v)
{
    if (!s)
        return true;
    if (!v || v->type == SL_CT_NULL)
        return s->optional;
    return s->type == v->type;
}

static json_t *value_to_json(const sl_cschema_t *s, const sl_cvalue_t *v, int depth, jerr_t *e)
{
    if (depth > MAX_DEPTH) {
        JFAIL(e, "value nested deeper than %d levels", MAX_DEPTH);
        return NULL;
    }
    if (!fits(s, v)) {
        JFAIL(e, "a %s value where the schema says %s%s", v ? sl_connect_type_name(v->type) : "null",
              sl_connect_type_name(s->type), s->optional ? "" : " (not optional)");
        return NULL;
    }
    if (!v || v->type == SL_CT_NULL)
        return json_null();
    switch (v->type) {
    case SL_CT_BOOLEAN: return json_boolean(v->u.boolean);
    case SL_CT_INT8: case SL_CT_INT16: case SL_CT_INT32: case SL_CT_INT64:
        return json_integer((json_int_t)v->u.i);
    case SL_CT_FLOAT32: case SL_CT_FLOAT64:
        if (!isfinite(v->u.f)) {
            JFAIL(e, "a %s value that is not finite", sl_connect_type_name(v->type));
            return NULL;
        }
        return json_real(v->u.f);
    case SL_CT_STRING: return json_stringn(v->u.bytes.ptr, v->u.bytes.len);
    case SL_CT_BYTES: {
        char *t = b64_encode((const uint8_t *)v->u.bytes.ptr, v->u.bytes.len);
        json_t *j = t ? json_string(t) : NULL;
        free(t);
        return j;
    }
    case SL_CT_ARRAY: {
        json_t *a = json_array();
        for (size_t i = 0; a && i < v->u.array.count; i++) {
            json_t *it = value_to_json(s ? s->items : NULL, v->u.array.items[i], depth + 1, e);
            if (!it) {
                json_decref(a);
                return NULL;
            }
            json_array_append_new(a, it);
        }
        return a;
    }
    case SL_CT_STRUCT: {
        if (s && s->field_count != v->u.map.count) {
            JFAIL(e, "a struct with %zu fields where the schema has %zu", v->u.map.count,
                  s->field_count);
            return NULL;
        }
        json_t *o = json_object();
        for (size_t i = 0; o && i < v->u.map.count; i++) {
            const sl_cpair_t *p = &v->u.map.pairs[i];
            json_t *it = value_to_json(s ? s->fields[i].schema : NULL, p->value, depth + 1, e);
            if (!it) {
                json_decref(o);
                return NULL;
            }
            json_object_setn_new(o, p->key->u.bytes.ptr, p->key->u.bytes.len, it);
        }
        return o;
    }
    case SL_CT_MAP: {
        /* String keys make an object; other keys an array of [key, value]. */
        bool obj = s ? s->keys->type == SL_CT_STRING : true;
        for (size_t i = 0; !s && i < v->u.map.count; i++)
            if (v->u.map.pairs[i].key->type != SL_CT_STRING)
                obj = false;
        json_t *out = obj ? json_object() : json_array();
        for (size_t i = 0; out && i < v->u.map.count; i++) {
            const sl_cpair_t *p = &v->u.map.pairs[i];
            json_t *jv = value_to_json(s ? s->items : NULL, p->value, depth + 1, e);
            json_t *jk = obj ? NULL : value_to_json(s ? s->keys : NULL, p->key, depth + 1, e);
            if (!jv || (!obj && !jk) || (obj && p->key->type != SL_CT_STRING)) {
                json_decref(jv);
                json_decref(jk);
                json_decref(out);
                return NULL;
            }
            if (obj) {
                json_object_setn_new(out, p->key->u.bytes.ptr, p->key->u.bytes.len, jv);
            } else {
                json_t *pair = json_array();
                json_array_append_new(pair, jk);
                json_array_append_new(pair, jv);
                json_array_append_new(out, pair);
            }
        }
        return out;
    }
    default:
        JFAIL(e, "unknown value type %d", (int)v->type);
        return NULL;
    }
}

/* Appends the text of a scalar for the string converter. */
static sl_err_t scalar_text(const sl_cvalue_t *v, sl_buf_t *out, jerr_t *e)
{
    char tmp[64];
    int n;
    switch (v->type) {
    case SL_CT_STRING: case SL_CT_BYTES:
        sl_buf_put(out, v->u.bytes.ptr, v->u.bytes.len);
        return sl_buf_err(out);
    case SL_CT_BOOLEAN: n = snprintf(tmp, sizeof(tmp), "%s", v->u.boolean ? "true" : "false"); break;
    case SL_CT_INT8: case SL_CT_INT16: case SL_CT_INT32: case SL_CT_INT64:
        n = snprintf(tmp, sizeof(tmp), "%" PRId64, v->u.i);
        break;
    case SL_CT_FLOAT32: case SL_CT_FLOAT64: n = snprintf(tmp, sizeof(tmp), "%.17g", v->u.f); break;
    default:
        JFAIL(e, "the string converter takes scalars, not a %s", sl_connect_type_name(v->type));
        return SL_ERR_INVAL;
    }
    sl_buf_put(out, tmp, (size_t)n);
    return sl_buf_err(out);
}

sl_err_t sl_connect_converter_from_value(const sl_connect_converter_t *conv,
                                         const sl_cschema_t *schema, const sl_cvalue_t *value,
                                         sl_buf_t *out, bool *is_null, char *errbuf,
                                         size_t errlen)
{
    jerr_t e = {errbuf, errlen};
    if (errbuf && errlen)
        *errbuf = '\0';
    bool null = !value || value->type == SL_CT_NULL;
    *is_null = false;
    if (conv->kind != CONV_JSON || (null && !(conv->schemas && schema))) {
        if (null) {
            *is_null = true;
            return SL_OK;
        }
        if (conv->kind == CONV_BYTES && value->type != SL_CT_BYTES) {
            JFAIL(&e, "the bytes converter takes bytes, not a %s", sl_connect_type_name(value->type));
            return SL_ERR_INVAL;
        }
        if (conv->kind != CONV_JSON)
            return scalar_text(value, out, &e);
    }
    json_t *payload = value_to_json(conv->schemas ? schema : NULL, value, 0, &e);
    if (!payload)
        return errbuf && *errbuf ? SL_ERR_INVAL : SL_ERR_NOMEM;
    json_t *doc = payload;
    if (conv->schemas) {
        json_t *js = schema ? schema_to_json(schema, 0, &e) : json_null();
        doc = json_object();
        if (!js || !doc) {
            json_decref(js);
            json_decref(doc);
            json_decref(payload);
            return errbuf && *errbuf ? SL_ERR_INVAL : SL_ERR_NOMEM;
        }
        json_object_set_new(doc, "schema", js);
        json_object_set_new(doc, "payload", payload);
    }
    char *text = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
    json_decref(doc);
    if (!text)
        return SL_ERR_NOMEM;
    sl_buf_put(out, text, strlen(text));
    free(text);
    return sl_buf_err(out);
}

/* ---- JSON -> data model ------------------------------------------------------ */

static sl_cschema_t *schema_from_json(json_t *j, sl_connect_mem_t *mem, int depth, jerr_t *e)
{
    if (depth > MAX_DEPTH) {
        JFAIL(e, "schema nested deeper than %d levels", MAX_DEPTH);
        return NULL;
    }
    const char *tn = json_string_value(json_object_get(j, "type"));
    int type = tn ? sl_connect_type_parse(tn) : -1;
    if (type <= SL_CT_NULL) {
        JFAIL(e, "schema without a known \"type\" (%s)", tn ? tn : "none");
        return NULL;
    }
    json_t *opt = json_object_get(j, "optional");
    json_t *name = json_object_get(j, "name");
    sl_cschema_t *s = sl_connect_schema_new(mem, (sl_ctype_t)type, opt && json_is_true(opt),
                                            json_string_value(name));
    if (!s)
        return NULL;
    json_t *ver = json_object_get(j, "version");
    if (json_is_integer(ver))
        s->version = (int32_t)json_integer_value(ver);
    if (type == SL_CT_STRUCT) {
        json_t *fields = json_object_get(j, "fields");
        if (!json_is_array(fields)) {
            JFAIL(e, "struct schema without a \"fields\" array");
            return NULL;
        }
        size_t i;
        json_t *f;
        json_array_foreach(fields, i, f) {
            const char *fname = json_string_value(json_object_get(f, "field"));
            if (!fname) {
                JFAIL(e, "struct field %zu without a \"field\" name", i);
                return NULL;
            }
            sl_cschema_t *fs = schema_from_json(f, mem, depth + 1, e);
            if (!fs || sl_connect_schema_add_field(mem, s, fname, fs))
                return NULL;
        }
    } else if (type == SL_CT_ARRAY || type == SL_CT_MAP) {
        json_t *ji = json_object_get(j, type == SL_CT_MAP ? "values" : "items");
        json_t *jk = type == SL_CT_MAP ? json_object_get(j, "keys") : NULL;
        if (!json_is_object(ji) || (type == SL_CT_MAP && !json_is_object(jk))) {
            JFAIL(e, "%s schema without %s", tn, type == SL_CT_MAP ? "\"keys\" and \"values\"" : "\"items\"");
            return NULL;
        }
        sl_cschema_t *is = schema_from_json(ji, mem, depth + 1, e);
        sl_cschema_t *ks = jk ? schema_from_json(jk, mem, depth + 1, e) : NULL;
        if (!is || (jk && !ks) || sl_connect_schema_set_items(s, ks, is))
            return NULL;
    }
    return s;
}

static const sl_cvalue_t *value_from_json(json_t *j, const sl_cschema_t *s,
                                          sl_connect_mem_t *mem, int depth, jerr_t *e);

static sl_cvalue_t *key_string(sl_connect_mem_t *mem, const char *k)
{
    return sl_connect_val_string(mem, k, strlen(k));
}

/* A value with a schema: the JSON type must match it. */
static const sl_cvalue_t *typed_from_json(json_t *j, const sl_cschema_t *s, sl_connect_mem_t *mem,
                                          int depth, jerr_t *e)
{
    const char *want = sl_connect_type_name(s->type);
    switch (s->type) {
    case SL_CT_BOOLEAN:
        if (!json_is_boolean(j))
            break;
        return sl_connect_val_bool(mem, json_is_true(j));
    case SL_CT_INT8: case SL_CT_INT16: case SL_CT_INT32: case SL_CT_INT64: {
        if (!json_is_integer(j))
            break;
        json_int_t i = json_integer_value(j);
        int bits = s->type == SL_CT_INT8 ? 8 : s->type == SL_CT_INT16 ? 16 : s->type == SL_CT_INT32 ? 32 : 64;
        if (bits < 64 && (i < -(1LL << (bits - 1)) || i >= (1LL << (bits - 1)))) {
            JFAIL(e, "%lld does not fit %s", (long long)i, want);
            return NULL;
        }
        return sl_connect_val_int(mem, s->type, i);
    }
    case SL_CT_FLOAT32: case SL_CT_FLOAT64:
        if (!json_is_number(j))
            break;
        return sl_connect_val_float(mem, s->type, json_number_value(j));
    case SL_CT_STRING:
        if (!json_is_string(j))
            break;
        return sl_connect_val_string(mem, json_string_value(j), json_string_length(j));
    case SL_CT_BYTES: {
        if (!json_is_string(j))
            break;
        sl_cvalue_t *v = b64_decode(mem, json_string_value(j), json_string_length(j));
        if (!v)
            JFAIL(e, "bytes payload is not valid base64");
        return v;
    }
    case SL_CT_ARRAY: {
        if (!json_is_array(j))
            break;
        sl_cvalue_t *a = sl_connect_val_new(mem, SL_CT_ARRAY);
        size_t i;
        json_t *it;
        json_array_foreach(j, i, it) {
            const sl_cvalue_t *v = value_from_json(it, s->items, mem, depth + 1, e);
            if (!v || !a || sl_connect_val_put(mem, a, NULL, v))
                return NULL;
        }
        return a;
    }
    case SL_CT_MAP: {
        sl_cvalue_t *m = sl_connect_val_new(mem, SL_CT_MAP);
        if (!m)
            return NULL;
        if (s->keys->type == SL_CT_STRING && json_is_object(j)) {
            const char *k;
            json_t *it;
            json_object_foreach(j, k, it) {
                const sl_cvalue_t *v = value_from_json(it, s->items, mem, depth + 1, e);
                sl_cvalue_t *kv = key_string(mem, k);
                if (!v || !kv || sl_connect_val_put(mem, m, kv, v))
                    return NULL;
            }
            return m;
        }
        if (!json_is_array(j))
            break;
        size_t i;
        json_t *pair;
        json_array_foreach(j, i, pair) {
            if (!json_is_array(pair) || json_array_size(pair) != 2) {
                JFAIL(e, "map entry %zu is not a [key, value] pair", i);
                return NULL;
            }
            const sl_cvalue_t *k = value_from_json(json_array_get(pair, 0), s->keys, mem, depth + 1, e);
            const sl_cvalue_t *v = value_from_json(json_array_get(pair, 1), s->items, mem, depth + 1, e);
            if (!k || !v || sl_connect_val_put(mem, m, k, v))
                return NULL;
        }
        return m;
    }
    case SL_CT_STRUCT: {
        if (!json_is_object(j))
            break;
        sl_cvalue_t *st = sl_connect_val_new(mem, SL_CT_STRUCT);
        if (!st)
            return NULL;
        for (size_t i = 0; i < s->field_count; i++) {
            json_t *fj = json_object_get(j, s->fields[i].name);
            const sl_cvalue_t *v = value_from_json(fj ? fj : json_null(), s->fields[i].schema, mem,
                                                   depth + 1, e);
            sl_cvalue_t *kv = key_string(mem, s->fields[i].name);
            if (!v || !kv || sl_connect_val_put(mem, st, kv, v))
                return NULL;
        }
        return st;
    }
    default:
        break;
    }
    JFAIL(e, "a JSON %s where the schema says %s",
          json_is_object(j) ? "object" : json_is_array(j) ? "array" : json_is_string(j) ? "string"
          : json_is_number(j) ? "number" : json_is_boolean(j) ? "boolean" : "null", want);
    return NULL;
}

/* s NULL: schemaless (numbers int64 or float64, objects string-keyed maps). */
static const sl_cvalue_t *value_from_json(json_t *j, const sl_cschema_t *s,
                                          sl_connect_mem_t *mem, int depth, jerr_t *e)
{
    if (depth > MAX_DEPTH) {
        JFAIL(e, "value nested deeper than %d levels", MAX_DEPTH);
        return NULL;
    }
    if (json_is_null(j)) {
        if (s && !s->optional) {
            JFAIL(e, "null where the schema says a %s that is not optional",
                  sl_connect_type_name(s->type));
            return NULL;
        }
        return sl_connect_val_null(mem);
    }
    if (s)
        return typed_from_json(j, s, mem, depth, e);
    if (json_is_boolean(j))
        return sl_connect_val_bool(mem, json_is_true(j));
    if (json_is_integer(j))
        return sl_connect_val_int(mem, SL_CT_INT64, json_integer_value(j));
    if (json_is_real(j))
        return sl_connect_val_float(mem, SL_CT_FLOAT64, json_real_value(j));
    if (json_is_string(j))
        return sl_connect_val_string(mem, json_string_value(j), json_string_length(j));
    bool arr = json_is_array(j);
    sl_cvalue_t *c = sl_connect_val_new(mem, arr ? SL_CT_ARRAY : SL_CT_MAP);
    if (!c)
        return NULL;
    if (arr) {
        size_t i;
        json_t *it;
        json_array_foreach(j, i, it) {
            const sl_cvalue_t *v = value_from_json(it, NULL, mem, depth + 1, e);
            if (!v || sl_connect_val_put(mem, c, NULL, v))
                return NULL;
        }
    } else {
        const char *k;
        json_t *it;
        json_object_foreach(j, k, it) {
            const sl_cvalue_t *v = value_from_json(it, NULL, mem, depth + 1, e);
            sl_cvalue_t *kv = key_string(mem, k);
            if (!v || !kv || sl_connect_val_put(mem, c, kv, v))
                return NULL;
        }
    }
    return c;
}

sl_err_t sl_connect_converter_to_value(const sl_connect_converter_t *conv, const void *data,
                                       size_t len, sl_connect_mem_t *mem,
                                       const sl_cschema_t **schema, const sl_cvalue_t **value,
                                       char *errbuf, size_t errlen)
{
    jerr_t e = {errbuf, errlen};
    *schema = NULL;
    *value = NULL;
    if (errbuf && errlen)
        *errbuf = '\0';
    if (conv->kind != CONV_JSON) {
        *schema = conv->kind == CONV_STRING ? &optional_string : &optional_bytes;
        if (!data)
            return SL_OK;
        *value = conv->kind == CONV_STRING ? sl_connect_val_string(mem, data, len)
                                           : sl_connect_val_bytes(mem, data, len);
        return *value ? SL_OK : SL_ERR_NOMEM;
    }
    if (!data)
        return SL_OK;
    json_error_t jerr;
    json_t *doc = json_loadb(data, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!doc) {
        JFAIL(&e, "not JSON: %s at line %d column %d", jerr.text, jerr.line, jerr.column);
        return SL_ERR_PARSE;
    }
    json_t *payload = doc;
    const sl_cschema_t *s = NULL;
    if (conv->schemas) {
        json_t *js = json_object_get(doc, "schema");
        payload = json_object_get(doc, "payload");
        if (!json_is_object(doc) || !js || !payload || json_object_size(doc) != 2) {
            JFAIL(&e, "JsonConverter with schemas.enable requires \"schema\" and \"payload\" "
                  "fields and may not contain additional fields");
            json_decref(doc);
            return SL_ERR_PARSE;
        }
        if (!json_is_null(js) && !(s = schema_from_json(js, mem, 0, &e))) {
            json_decref(doc);
            return errbuf && *errbuf ? SL_ERR_PARSE : SL_ERR_NOMEM;
        }
    }
    const sl_cvalue_t *v = value_from_json(payload, s, mem, 0, &e);
    json_decref(doc);
    if (!v)
        return errbuf && *errbuf ? SL_ERR_PARSE : SL_ERR_NOMEM;
    *schema = s;
    *value = v->type == SL_CT_NULL ? NULL : v;
    return SL_OK;
}
