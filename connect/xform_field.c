/*
 * xform_field.c - the transforms that rewrite fields of a record's key or
 * value, as Kafka's InsertField, ReplaceField and MaskField ($Key and
 * $Value each): schemaless values must be maps (Kafka's Map), values with
 * a schema must be structs, and the sentences for anything else are
 * Kafka's. A new struct gets a new schema (the old one's name, version and
 * optionality, the fields changed); a schemaless map keeps its entries'
 * order, new keys going last.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xform_int.h"

#define SOURCE_RECORD_CLASS "org.apache.kafka.connect.source.SourceRecord"
#define TIMESTAMP_LOGICAL "org.apache.kafka.connect.data.Timestamp"

/* ---- shared -------------------------------------------------------------------- */

/* Kafka's requireMap / requireStruct: the side's value as the container
 * the mode needs, or SL_ERR_INVAL with Kafka's sentence. */
static sl_err_t require(const sl_cschema_t *schema, const sl_cvalue_t *value, const char *purpose,
                        char *reason, size_t rlen)
{
    if (!schema && (!value || value->type != SL_CT_MAP)) {
        snprintf(reason, rlen, "Only Map objects supported in absence of schema for [%s], "
                 "found: %s", purpose, sl_xform_java_class(value));
        return SL_ERR_INVAL;
    }
    if (schema && (!value || value->type != SL_CT_STRUCT || schema->type != SL_CT_STRUCT)) {
        snprintf(reason, rlen, "Only Struct objects supported for [%s], found: %s", purpose,
                 sl_xform_java_class(value));
        return SL_ERR_INVAL;
    }
    /* The transforms walk a struct's fields and its schema's side by side. */
    if (schema && value->u.map.count != schema->field_count) {
        snprintf(reason, rlen, "a struct with %zu fields where its schema has %zu",
                 value->u.map.count, schema->field_count);
        return SL_ERR_INVAL;
    }
    return SL_OK;
}

static sl_cvalue_t *key_str(sl_connect_mem_t *mem, const char *s, size_t len)
{
    return sl_connect_val_string(mem, s, len);
}

/* HashMap.put on a map built here: replaces the value of an equal string
 * key, else appends. */
static sl_err_t map_put(sl_connect_mem_t *mem, sl_cvalue_t *m, const char *name, size_t len,
                        const sl_cvalue_t *v)
{
    for (size_t i = 0; i < m->u.map.count; i++)
        if (sl_xform_key_is(m->u.map.pairs[i].key, name, len)) {
            ((sl_cpair_t *)m->u.map.pairs)[i].value = v;
            return SL_OK;
        }
    sl_cvalue_t *k = key_str(mem, name, len);
    return k && !sl_connect_val_put(mem, m, k, v) ? SL_OK : SL_ERR_NOMEM;
}

/* A new STRUCT schema with s's basics (name, version, optional), no
 * fields yet. */
static sl_cschema_t *struct_like(sl_connect_mem_t *mem, const sl_cschema_t *s)
{
    sl_cschema_t *n = sl_connect_schema_new(mem, SL_CT_STRUCT, s->optional, s->name);
    if (n)
        n->version = s->version;
    return n;
}

/* SchemaBuilder.field: refuses a second field of the same name. */
static sl_err_t add_field(sl_connect_mem_t *mem, sl_cschema_t *s, const char *name, size_t len,
                          const sl_cschema_t *fs, char *reason, size_t rlen)
{
    for (size_t i = 0; i < s->field_count; i++)
        if (strlen(s->fields[i].name) == len && memcmp(s->fields[i].name, name, len) == 0) {
            snprintf(reason, rlen, "Cannot create field because of field name duplication %.*s",
                     (int)len, name);
            return SL_ERR_INVAL;
        }
    /* name[0..len) may be a key's bytes: the schema keeps a copy anyway. */
    const char *nm = name[len] == '\0' ? name : sl_arena_strndup(&mem->arena, name, len);
    if (!nm)
        return SL_ERR_NOMEM;
    return sl_connect_schema_add_field(mem, s, nm, fs) ? SL_ERR_NOMEM : SL_OK;
}

/* ======================================================================
 * InsertField
 * ====================================================================== */

typedef struct ins_spec {
    char *name;                    /* NULL: not inserted */
    bool optional;                 /* "name!" makes it required */
} ins_spec_t;

enum { INS_TOPIC, INS_PARTITION, INS_OFFSET, INS_TIMESTAMP, INS_STATIC, INS_COUNT };

typedef struct insert_state {
    sl_xform_side_t side;
    ins_spec_t spec[INS_COUNT];
    char *static_value;
} insert_state_t;

static const char *const ins_keys[INS_COUNT] = {"topic.field", "partition.field", "offset.field",
                                                "timestamp.field", "static.field"};

#define OPT_DOC "Suffix with '!' to make this a required field, or '?' to keep it optional (the default)."
static const sl_xform_key_t insert_keys[] = {
    {"topic.field", SL_CFG_STRING, NULL, false, SL_IMPORTANCE_MEDIUM,
     "Field name for Kafka topic. " OPT_DOC},
    {"partition.field", SL_CFG_STRING, NULL, false, SL_IMPORTANCE_MEDIUM,
     "Field name for Kafka partition. " OPT_DOC},
    {"offset.field", SL_CFG_STRING, NULL, false, SL_IMPORTANCE_MEDIUM,
     "Field name for Kafka offset - only applicable to sink connectors. " OPT_DOC},
    {"timestamp.field", SL_CFG_STRING, NULL, false, SL_IMPORTANCE_MEDIUM,
     "Field name for record timestamp. " OPT_DOC},
    {"static.field", SL_CFG_STRING, NULL, false, SL_IMPORTANCE_MEDIUM,
     "Field name for static data field. " OPT_DOC},
    {"static.value", SL_CFG_STRING, NULL, false, SL_IMPORTANCE_MEDIUM,
     "Static field value, if field name configured."},
};

static void insert_free(void *p)
{
    insert_state_t *s = p;
    for (int i = 0; i < INS_COUNT; i++)
        free(s->spec[i].name);
    free(s->static_value);
    free(s);
}

static sl_err_t insert_make(const sl_xform_cfg_t *cfg, void **out, char *errbuf, size_t errlen)
{
    insert_state_t *s = calloc(1, sizeof(*s));
    if (!s)
        return SL_ERR_NOMEM;
    s->side = cfg->def->side;
    for (int i = 0; i < INS_COUNT; i++) {
        const char *v = sl_xform_get(cfg, ins_keys[i]);
        if (!v)
            continue;
        size_t len = strlen(v);
        bool suffix = len && (v[len - 1] == '?' || v[len - 1] == '!');
        s->spec[i].optional = !(suffix && v[len - 1] == '!');
        if (!(s->spec[i].name = strndup(v, suffix ? len - 1 : len))) {
            insert_free(s);
            return SL_ERR_NOMEM;
        }
    }
    const char *sv = sl_xform_get(cfg, "static.value");
    if (s->spec[INS_STATIC].name && !sv) {
        sl_err_t err = sl_xform_bad(cfg, "static.value", NULL, errbuf, errlen,
                                    "No value specified for static field: %s",
                                    s->spec[INS_STATIC].name);
        insert_free(s);
        return err;
    }
    if (sv && !(s->static_value = strdup(sv))) {
        insert_free(s);
        return SL_ERR_NOMEM;
    }
    *out = s;
    return SL_OK;
}

static const sl_cschema_t str_opt = {.type = SL_CT_STRING, .optional = 1};
static const sl_cschema_t str_req = {.type = SL_CT_STRING};
static const sl_cschema_t i32_opt = {.type = SL_CT_INT32, .optional = 1};
static const sl_cschema_t i32_req = {.type = SL_CT_INT32};
static const sl_cschema_t i64_opt = {.type = SL_CT_INT64, .optional = 1};
static const sl_cschema_t i64_req = {.type = SL_CT_INT64};
static const sl_cschema_t ts_opt = {.type = SL_CT_INT64, .optional = 1, .name = TIMESTAMP_LOGICAL,
                                    .version = 1};
static const sl_cschema_t ts_req = {.type = SL_CT_INT64, .name = TIMESTAMP_LOGICAL, .version = 1};

/* The value inserted for spec i (NULL: the record has none, e.g. no
 * partition yet), and its schema. */
static sl_err_t insert_value(const insert_state_t *s, int i, const sl_connect_record_t *rec,
                             bool sink, sl_connect_mem_t *mem, const sl_cvalue_t **v,
                             const sl_cschema_t **schema, char *reason, size_t rlen)
{
    bool opt = s->spec[i].optional;
    *v = NULL;
    switch (i) {
    case INS_TOPIC:
        *schema = opt ? &str_opt : &str_req;
        *v = rec->topic ? key_str(mem, rec->topic, strlen(rec->topic)) : NULL;
        if (rec->topic && !*v)
            return SL_ERR_NOMEM;
        return SL_OK;
    case INS_PARTITION:
        *schema = opt ? &i32_opt : &i32_req;
        if (rec->partition >= 0 && !(*v = sl_connect_val_int(mem, SL_CT_INT32, rec->partition)))
            return SL_ERR_NOMEM;
        return SL_OK;
    case INS_OFFSET:
        *schema = opt ? &i64_opt : &i64_req;
        if (!sink) {
            snprintf(reason, rlen, "Only SinkRecord supported for [field insertion], found: %s",
                     SOURCE_RECORD_CLASS);
            return SL_ERR_INVAL;
        }
        return (*v = sl_connect_val_int(mem, SL_CT_INT64, rec->kafka_offset)) ? SL_OK
                                                                               : SL_ERR_NOMEM;
    case INS_TIMESTAMP: {
        *schema = opt ? &ts_opt : &ts_req;
        /* A source's 0 and a consumed record's -1 are Kafka's null timestamp. */
        bool has = sink ? rec->timestamp >= 0 : rec->timestamp != 0;
        if (has && !(*v = sl_connect_val_int(mem, SL_CT_INT64, rec->timestamp)))
            return SL_ERR_NOMEM;
        return SL_OK;
    }
    default:
        *schema = opt ? &str_opt : &str_req;
        if (s->static_value &&
            !(*v = key_str(mem, s->static_value, strlen(s->static_value))))
            return SL_ERR_NOMEM;
        return SL_OK;
    }
}

static sl_err_t insert_apply(void *p, sl_connect_record_t *rec, bool sink, sl_connect_mem_t *mem,
                             bool *drop, char *reason, size_t rlen)
{
    (void)drop;
    const insert_state_t *s = p;
    const sl_cschema_t *schema;
    const sl_cvalue_t *value;
    sl_xform_side_get(rec, s->side, &schema, &value);
    bool any = false;
    for (int i = 0; i < INS_COUNT; i++)
        any |= s->spec[i].name != NULL && (i != INS_STATIC || s->static_value);
    if (!value || !any)
        return SL_OK;             /* tombstones pass, as Kafka's */
    sl_err_t err = require(schema, value, "field insertion", reason, rlen);
    if (err)
        return err;
    sl_cvalue_t *out = sl_connect_val_new(mem, schema ? SL_CT_STRUCT : SL_CT_MAP);
    sl_cschema_t *ns = schema ? struct_like(mem, schema) : NULL;
    if (!out || (schema && !ns))
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < value->u.map.count; i++) {
        const sl_cpair_t *pr = &value->u.map.pairs[i];
        if (sl_connect_val_put(mem, out, pr->key, pr->value) ||
            (ns && sl_connect_schema_add_field(mem, ns, schema->fields[i].name,
                                               schema->fields[i].schema)))
            return SL_ERR_NOMEM;
    }
    for (int i = 0; i < INS_COUNT; i++) {
        const char *name = s->spec[i].name;
        if (!name)
            continue;
        const sl_cvalue_t *v;
        const sl_cschema_t *fs;
        if ((err = insert_value(s, i, rec, sink, mem, &v, &fs, reason, rlen)))
            return err;
        size_t len = strlen(name);
        if (!ns) {
            /* Schemaless: absent metadata is not inserted at all. */
            if (v && (err = map_put(mem, out, name, len, v)))
                return err;
            continue;
        }
        if ((err = add_field(mem, ns, name, len, fs, reason, rlen)))
            return err;
        sl_cvalue_t *k = key_str(mem, name, len);
        const sl_cvalue_t *fv = v ? v : sl_connect_val_null(mem);
        if (!k || !fv || sl_connect_val_put(mem, out, k, fv))
            return SL_ERR_NOMEM;
    }
    sl_xform_side_set(rec, s->side, ns, out);
    return SL_OK;
}

#define FIELD_DEF(var, short_name, side_, keys_, make_, free_, apply_)                  \
    const sl_xform_def_t var = {                                                         \
        .name = short_name, .kafka_class = SL_XFORM_PKG short_name, .predicate = false,  \
        .side = side_, .keys = keys_, .key_count = sizeof(keys_) / sizeof(keys_[0]),     \
        .make = make_, .free = free_, .apply = apply_,                                   \
    }

FIELD_DEF(sl_xform_insert_key, "InsertField$Key", SL_XFORM_KEY, insert_keys, insert_make,
          insert_free, insert_apply);
FIELD_DEF(sl_xform_insert_value, "InsertField$Value", SL_XFORM_VALUE, insert_keys, insert_make,
          insert_free, insert_apply);

/* ======================================================================
 * ReplaceField
 * ====================================================================== */

typedef struct replace_state {
    sl_xform_side_t side;
    sl_xform_list_t exclude, include, renames;
    /* renames split: from[i] -> to[i], pointing into a copy */
    char **from, **to;
    size_t rename_count;
} replace_state_t;

static const sl_xform_key_t replace_keys[] = {
    {"exclude", SL_CFG_LIST, "", false, SL_IMPORTANCE_MEDIUM,
     "Fields to exclude. This takes precedence over the fields to include."},
    {"blacklist", SL_CFG_LIST, NULL, false, SL_IMPORTANCE_LOW, "Deprecated. Use exclude instead."},
    {"include", SL_CFG_LIST, "", false, SL_IMPORTANCE_MEDIUM,
     "Fields to include. If specified, only these fields will be used."},
    {"whitelist", SL_CFG_LIST, NULL, false, SL_IMPORTANCE_LOW, "Deprecated. Use include instead."},
    {"renames", SL_CFG_LIST, "", false, SL_IMPORTANCE_MEDIUM,
     "Field rename mappings (a list of colon-delimited pairs, e.g. foo:bar,abc:xyz)."},
};

static void replace_free(void *p)
{
    replace_state_t *s = p;
    sl_xform_list_free(&s->exclude);
    sl_xform_list_free(&s->include);
    sl_xform_list_free(&s->renames);
    free(s->from);
    free(s);
}

/* Java's List.toString of a list: "[a, b]" (for Kafka's sentence). */
static void list_text(const sl_xform_list_t *l, char *buf, size_t len)
{
    size_t at = 0;
    at += (size_t)snprintf(buf, len, "[");
    for (size_t i = 0; i < l->count && at < len; i++)
        at += (size_t)snprintf(buf + at, len - at, "%s%s", i ? ", " : "", l->items[i]);
    if (at < len)
        snprintf(buf + at, len - at, "]");
}

/* The list of key, else of its deprecated alias (Kafka translates the old
 * names; the new one wins when both are set). */
static sl_err_t list_or_alias(const sl_xform_cfg_t *cfg, const char *key, const char *alias,
                              sl_xform_list_t *out)
{
    char full[400];
    snprintf(full, sizeof(full), "%s%s", cfg->prefix, key);
    const char *v = sl_props_get(cfg->props, full);
    if (!v)
        v = sl_xform_get(cfg, alias);
    return sl_xform_list_parse(v, out);
}

/* Kafka's mapping.split(":") must give two parts (Java drops trailing
 * empty parts, so "a:b:" is a:b and "a:" is refused). Cuts item in two
 * only when it is a mapping. */
static bool split_rename(char *item, char **from, char **to)
{
    char *colon = strchr(item, ':');
    if (!colon)
        return false;
    char *rest = colon + 1;
    size_t rest_len = strcspn(rest, ":");
    if (!rest_len || rest[rest_len + strspn(rest + rest_len, ":")] != '\0')
        return false;
    rest[rest_len] = '\0';
    *colon = '\0';
    *from = item;
    *to = rest;
    return true;
}

static sl_err_t replace_make(const sl_xform_cfg_t *cfg, void **out, char *errbuf, size_t errlen)
{
    replace_state_t *s = calloc(1, sizeof(*s));
    if (!s)
        return SL_ERR_NOMEM;
    s->side = cfg->def->side;
    sl_err_t err = list_or_alias(cfg, "exclude", "blacklist", &s->exclude);
    if (!err)
        err = list_or_alias(cfg, "include", "whitelist", &s->include);
    if (!err)
        err = sl_xform_list_parse(sl_xform_get(cfg, "renames"), &s->renames);
    if (!err && s->renames.count) {
        s->from = calloc(2 * s->renames.count, sizeof(char *));
        s->to = s->from ? s->from + s->renames.count : NULL;
        if (!s->from)
            err = SL_ERR_NOMEM;
    }
    for (size_t i = 0; !err && i < s->renames.count; i++) {
        char shown[400];
        if (split_rename(s->renames.items[i], &s->from[i], &s->to[i])) {
            s->rename_count++;
            continue;
        }
        /* The earlier items are cut already: show the configured text. */
        sl_xform_list_t whole;
        if (sl_xform_list_parse(sl_xform_get(cfg, "renames"), &whole)) {
            err = SL_ERR_NOMEM;
            break;
        }
        list_text(&whole, shown, sizeof(shown));
        sl_xform_list_free(&whole);
        err = sl_xform_bad(cfg, "renames", shown, errbuf, errlen, "Invalid rename mapping: %s",
                           s->renames.items[i]);
    }
    if (err) {
        replace_free(s);
        return err;
    }
    *out = s;
    return SL_OK;
}

static bool replace_keeps(const replace_state_t *s, const char *name, size_t len)
{
    return !sl_xform_list_has(&s->exclude, name, len) &&
           (!s->include.count || sl_xform_list_has(&s->include, name, len));
}

static const char *replace_renamed(const replace_state_t *s, const char *name, size_t *len)
{
    /* The last mapping of a name wins (a HashMap filled in order). */
    for (size_t i = s->rename_count; i-- > 0;)
        if (strlen(s->from[i]) == *len && memcmp(s->from[i], name, *len) == 0) {
            *len = strlen(s->to[i]);
            return s->to[i];
        }
    return name;
}

static sl_err_t replace_apply(void *p, sl_connect_record_t *rec, bool sink, sl_connect_mem_t *mem,
                              bool *drop, char *reason, size_t rlen)
{
    (void)sink;
    (void)drop;
    const replace_state_t *s = p;
    const sl_cschema_t *schema;
    const sl_cvalue_t *value;
    sl_xform_side_get(rec, s->side, &schema, &value);
    if (!value)
        return SL_OK;
    sl_err_t err = require(schema, value, "field replacement", reason, rlen);
    if (err)
        return err;
    sl_cvalue_t *out = sl_connect_val_new(mem, schema ? SL_CT_STRUCT : SL_CT_MAP);
    sl_cschema_t *ns = schema ? struct_like(mem, schema) : NULL;
    if (!out || (schema && !ns))
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < value->u.map.count; i++) {
        const sl_cpair_t *pr = &value->u.map.pairs[i];
        if (pr->key->type != SL_CT_STRING) {
            /* A map key that is no name: kept as it is. */
            if (sl_connect_val_put(mem, out, pr->key, pr->value))
                return SL_ERR_NOMEM;
            continue;
        }
        size_t len = pr->key->u.bytes.len;
        if (!replace_keeps(s, pr->key->u.bytes.ptr, len))
            continue;
        const char *name = replace_renamed(s, pr->key->u.bytes.ptr, &len);
        if (!ns) {
            if ((err = map_put(mem, out, name, len, pr->value)))
                return err;
            continue;
        }
        if ((err = add_field(mem, ns, name, len, schema->fields[i].schema, reason, rlen)))
            return err;
        sl_cvalue_t *k = key_str(mem, name, len);
        if (!k || sl_connect_val_put(mem, out, k, pr->value))
            return SL_ERR_NOMEM;
    }
    sl_xform_side_set(rec, s->side, ns, out);
    return SL_OK;
}

FIELD_DEF(sl_xform_replace_key, "ReplaceField$Key", SL_XFORM_KEY, replace_keys, replace_make,
          replace_free, replace_apply);
FIELD_DEF(sl_xform_replace_value, "ReplaceField$Value", SL_XFORM_VALUE, replace_keys,
          replace_make, replace_free, replace_apply);

/* ======================================================================
 * MaskField
 * ====================================================================== */

typedef struct mask_state {
    sl_xform_side_t side;
    sl_xform_list_t fields;
    char *replacement;             /* NULL: the type's "zero" */
} mask_state_t;

static const sl_xform_key_t mask_keys[] = {
    {"fields", SL_CFG_LIST, NULL, true, SL_IMPORTANCE_HIGH, "Names of fields to mask."},
    {"replacement", SL_CFG_STRING, NULL, false, SL_IMPORTANCE_LOW,
     "Custom value replacement, that will be applied to all 'fields' values (numeric or "
     "non-empty string values only)."},
};

static void mask_free(void *p)
{
    mask_state_t *s = p;
    sl_xform_list_free(&s->fields);
    free(s->replacement);
    free(s);
}

static sl_err_t mask_make(const sl_xform_cfg_t *cfg, void **out, char *errbuf, size_t errlen)
{
    mask_state_t *s = calloc(1, sizeof(*s));
    if (!s)
        return SL_ERR_NOMEM;
    s->side = cfg->def->side;
    const char *r = sl_xform_get(cfg, "replacement");
    sl_err_t err = sl_xform_list_parse(sl_xform_get(cfg, "fields"), &s->fields);
    if (!err && !s->fields.count)
        err = sl_xform_bad(cfg, "fields", "[]", errbuf, errlen, "Empty list");
    if (!err && r && !*r)
        err = sl_xform_bad(cfg, "replacement", "", errbuf, errlen, "String must be non-empty");
    if (!err && r && !(s->replacement = strdup(r)))
        err = SL_ERR_NOMEM;
    if (err) {
        mask_free(s);
        return err;
    }
    *out = s;
    return SL_OK;
}

/* The replacement text as a number of v's type. */
static sl_err_t mask_number(const char *text, const sl_cvalue_t *v, sl_connect_mem_t *mem,
                            const sl_cvalue_t **out, char *reason, size_t rlen)
{
    char *end;
    errno = 0;
    if (v->type == SL_CT_FLOAT32 || v->type == SL_CT_FLOAT64) {
        double d = strtod(text, &end);
        if (*text && !*end && errno == 0 && isfinite(d))
            return (*out = sl_connect_val_float(mem, v->type, d)) ? SL_OK : SL_ERR_NOMEM;
    } else {
        long long i = strtoll(text, &end, 10);
        int bits = v->type == SL_CT_INT8 ? 8 : v->type == SL_CT_INT16 ? 16
                 : v->type == SL_CT_INT32 ? 32 : 64;
        bool fits = bits == 64 || (i >= -(1LL << (bits - 1)) && i < (1LL << (bits - 1)));
        if (*text && !*end && errno == 0 && fits)
            return (*out = sl_connect_val_int(mem, v->type, i)) ? SL_OK : SL_ERR_NOMEM;
    }
    snprintf(reason, rlen, "Unable to convert %s (class java.lang.String) to number", text);
    return SL_ERR_INVAL;
}

/* Kafka's masked(): null stays null; else the replacement converted to the
 * value's type, or the type's empty value. */
static sl_err_t mask_value(const mask_state_t *s, const sl_cvalue_t *v, sl_connect_mem_t *mem,
                           const sl_cvalue_t **out, char *reason, size_t rlen)
{
    *out = v;
    if (!v || v->type == SL_CT_NULL)
        return SL_OK;
    if (s->replacement) {
        switch (v->type) {
        case SL_CT_STRING:
            *out = key_str(mem, s->replacement, strlen(s->replacement));
            return *out ? SL_OK : SL_ERR_NOMEM;
        case SL_CT_INT8: case SL_CT_INT16: case SL_CT_INT32: case SL_CT_INT64:
        case SL_CT_FLOAT32: case SL_CT_FLOAT64:
            return mask_number(s->replacement, v, mem, out, reason, rlen);
        default:
            snprintf(reason, rlen, "Cannot mask value of type class %s with custom replacement.",
                     sl_xform_java_class(v));
            return SL_ERR_INVAL;
        }
    }
    switch (v->type) {
    case SL_CT_BOOLEAN: *out = sl_connect_val_bool(mem, 0); break;
    case SL_CT_INT8: case SL_CT_INT16: case SL_CT_INT32: case SL_CT_INT64:
        *out = sl_connect_val_int(mem, v->type, 0);
        break;
    case SL_CT_FLOAT32: case SL_CT_FLOAT64: *out = sl_connect_val_float(mem, v->type, 0); break;
    case SL_CT_STRING: *out = key_str(mem, "", 0); break;
    case SL_CT_ARRAY: case SL_CT_MAP: *out = sl_connect_val_new(mem, v->type); break;
    default:
        snprintf(reason, rlen, "Cannot mask value of type: class %s", sl_xform_java_class(v));
        return SL_ERR_INVAL;
    }
    return *out ? SL_OK : SL_ERR_NOMEM;
}

static sl_err_t mask_apply(void *p, sl_connect_record_t *rec, bool sink, sl_connect_mem_t *mem,
                           bool *drop, char *reason, size_t rlen)
{
    (void)sink;
    (void)drop;
    const mask_state_t *s = p;
    const sl_cschema_t *schema;
    const sl_cvalue_t *value;
    sl_xform_side_get(rec, s->side, &schema, &value);
    sl_err_t err = require(schema, value, "mask fields", reason, rlen);
    if (err)
        return err;
    sl_cvalue_t *out = sl_connect_val_new(mem, schema ? SL_CT_STRUCT : SL_CT_MAP);
    if (!out)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < value->u.map.count; i++) {
        const sl_cpair_t *pr = &value->u.map.pairs[i];
        const sl_cvalue_t *v = pr->value;
        if (schema && sl_xform_list_has(&s->fields, pr->key->u.bytes.ptr, pr->key->u.bytes.len) &&
            (err = mask_value(s, v, mem, &v, reason, rlen)))
            return err;
        if (sl_connect_val_put(mem, out, pr->key, v))
            return SL_ERR_NOMEM;
    }
    /* Schemaless: every listed field is put, an absent one as null (a
     * HashMap put of get()'s null, as Kafka does). */
    for (size_t i = 0; !schema && i < s->fields.count; i++) {
        const char *name = s->fields.items[i];
        size_t len = strlen(name);
        const sl_cvalue_t *v = NULL;
        for (size_t j = 0; j < value->u.map.count && !v; j++)
            if (sl_xform_key_is(value->u.map.pairs[j].key, name, len))
                v = value->u.map.pairs[j].value;
        if ((err = mask_value(s, v, mem, &v, reason, rlen)))
            return err;
        if (!v && !(v = sl_connect_val_null(mem)))
            return SL_ERR_NOMEM;
        if ((err = map_put(mem, out, name, len, v)))
            return err;
    }
    sl_xform_side_set(rec, s->side, schema, out);
    return SL_OK;
}

FIELD_DEF(sl_xform_mask_key, "MaskField$Key", SL_XFORM_KEY, mask_keys, mask_make, mask_free,
          mask_apply);
FIELD_DEF(sl_xform_mask_value, "MaskField$Value", SL_XFORM_VALUE, mask_keys, mask_make,
          mask_free, mask_apply);
