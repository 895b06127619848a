/*
 * postgres_shape.c - PostgresSink's options (insert.mode, pk.mode,
 * pk.fields, delete.enabled, auto.evolve, checked together as the JDBC
 * sink does) and
 * shapes: which columns a record's key, value and Kafka coordinates fill,
 * in the JDBC sink's order (coordinates or key columns first, then the
 * value's fields), with which of them form the primary key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "postgres_int.h"

/* The JDBC sink's default column names. */
static const char *const kafka_names[3] = {"__connect_topic", "__connect_partition",
                                           "__connect_offset"};
static const char key_name[] = "__connect_key";

/* ---- options ---------------------------------------------------------------------- */

static int add_field(pg_opts_t *o, const char *s, size_t n)
{
    char **f = realloc(o->pk_fields, (o->pk_count + 1) * sizeof(*f));
    if (!f)
        return SL_CONNECT_ENOMEM;
    o->pk_fields = f;
    if (!(f[o->pk_count] = strndup(s, n)))
        return SL_CONNECT_ENOMEM;
    o->pk_count++;
    return SL_CONNECT_OK;
}

static int split_fields(pg_opts_t *o, const char *list, char *err, size_t errlen)
{
    if (!list)
        return SL_CONNECT_OK;
    while (*list) {
        const char *end = strchr(list, ',');
        size_t n = end ? (size_t)(end - list) : strlen(list);
        const char *s = list;
        while (n && (*s == ' ' || *s == '\t')) {
            s++;
            n--;
        }
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
            n--;
        if (!n && (end || o->pk_count)) {
            snprintf(err, errlen, "pk.fields has an empty name");
            return SL_CONNECT_ECONFIG;
        }
        if (n && add_field(o, s, n))
            return SL_CONNECT_ENOMEM;
        list += end ? (size_t)(end - list) + 1 : strlen(list);
    }
    return SL_CONNECT_OK;
}

int pg_opts_parse(pg_opts_t *o, const char *insert_mode, const char *pk_mode,
                  const char *pk_fields, bool delete_enabled, bool auto_evolve, char *err,
                  size_t errlen)
{
    static const char *const pk_modes[] = {"none", "kafka", "record_key", "record_value"};
    *o = (pg_opts_t){0};
    err[0] = '\0';
    if (!insert_mode || strcmp(insert_mode, "insert") == 0)
        o->insert_mode = PG_INSERT;
    else if (strcmp(insert_mode, "upsert") == 0)
        o->insert_mode = PG_UPSERT;
    else {
        snprintf(err, errlen, "insert.mode must be insert or upsert, not \"%s\"%s", insert_mode,
                 strcmp(insert_mode, "update") == 0 ? " (update is not supported)" : "");
        return SL_CONNECT_ECONFIG;
    }
    int mode = pk_mode ? -1 : PG_PK_NONE;
    for (size_t i = 0; pk_mode && i < sizeof(pk_modes) / sizeof(pk_modes[0]); i++)
        if (strcmp(pk_mode, pk_modes[i]) == 0)
            mode = (int)i;
    if (mode < 0) {
        snprintf(err, errlen, "pk.mode must be none, kafka, record_key or record_value, "
                 "not \"%s\"", pk_mode);
        return SL_CONNECT_ECONFIG;
    }
    o->pk_mode = (pg_pk_mode_t)mode;
    o->delete_enabled = delete_enabled;
    o->auto_evolve = auto_evolve;
    int rc = split_fields(o, pk_fields, err, errlen);
    if (rc == SL_CONNECT_ENOMEM)
        snprintf(err, errlen, "out of memory");
    else if (rc)
        ;
    else if (o->insert_mode == PG_UPSERT && o->pk_mode == PG_PK_NONE) {
        snprintf(err, errlen, "insert.mode=upsert needs a primary key: set pk.mode to "
                 "record_key, record_value or kafka");
        rc = SL_CONNECT_ECONFIG;
    } else if (delete_enabled && o->pk_mode != PG_PK_RECORD_KEY) {
        snprintf(err, errlen, "delete.enabled=true needs pk.mode=record_key (a tombstone "
                 "names its row by its key)");
        rc = SL_CONNECT_ECONFIG;
    } else if (o->pk_mode == PG_PK_KAFKA && o->pk_count && o->pk_count != 3) {
        snprintf(err, errlen, "pk.mode=kafka takes three pk.fields (the topic, partition and "
                 "offset columns) or none for __connect_topic,__connect_partition,"
                 "__connect_offset; got %zu", o->pk_count);
        rc = SL_CONNECT_ECONFIG;
    }
    if (rc)
        pg_opts_free(o);
    return rc;
}

void pg_opts_free(pg_opts_t *o)
{
    for (size_t i = 0; i < o->pk_count; i++)
        free(o->pk_fields[i]);
    free(o->pk_fields);
    *o = (pg_opts_t){0};
}

/* ---- shapes --------------------------------------------------------------------------- */

static bool is_pk_field(const pg_opts_t *o, const char *name)
{
    if (!o->pk_count)
        return true;   /* none listed: every field of the key (or value) */
    for (size_t i = 0; i < o->pk_count; i++)
        if (strcmp(o->pk_fields[i], name) == 0)
            return true;
    return false;
}

static bool has_col(const pg_shape_t *s, const char *name)
{
    for (size_t i = 0; i < s->ncols; i++)
        if (strcmp(s->cols[i].name, name) == 0)
            return true;
    return false;
}

/* Record coordinates for messages: "topic-partition@offset". */
#define REC_FMT "%s-%d@%lld"
#define REC_ARGS(r) (r)->topic ? (r)->topic : "?", (int)(r)->partition, (long long)(r)->kafka_offset

static int add_col(pg_shape_t *s, const char *name, pg_src_t src, size_t index,
                   const sl_cschema_t *schema, bool pk, const sl_connect_record_t *rec,
                   char *err, size_t errlen)
{
    pg_logical_t logical = pg_logical_of(schema->type, schema->name);
    if (!pg_type_sql(schema->type, logical)) {
        if (logical == PG_LOGICAL_DECIMAL)
            snprintf(err, errlen, "record " REC_FMT ": field \"%s\" is a Decimal, which "
                     "PostgresSink does not write (its scale is not available)", REC_ARGS(rec),
                     name);
        else
            snprintf(err, errlen, "record " REC_FMT ": field \"%s\" is a %s; PostgresSink "
                     "writes primitive fields only (flatten it first)", REC_ARGS(rec), name,
                     schema->type == SL_CT_STRUCT ? "struct" : schema->type == SL_CT_ARRAY
                     ? "array" : schema->type == SL_CT_MAP ? "map" : "value of no type");
        return SL_CONNECT_EINVAL;
    }
    pg_col_t *c = &s->cols[s->ncols];
    *c = (pg_col_t){.src = src, .index = index, .type = schema->type, .logical = logical,
                    .optional = schema->optional != 0, .pk = pk};
    if (!(c->name = strdup(name)))
        return SL_CONNECT_ENOMEM;
    s->ncols++;
    s->npk += pk;
    return SL_CONNECT_OK;
}

static int make_sig(const sl_cschema_t *st, pg_sig_t **out, size_t *n)
{
    *out = calloc(st->field_count ? st->field_count : 1, sizeof(**out));
    if (!*out)
        return SL_CONNECT_ENOMEM;
    *n = st->field_count;   /* zeroed entries free as well as filled ones */
    for (size_t i = 0; i < st->field_count; i++) {
        const sl_cschema_t *f = st->fields[i].schema;
        pg_sig_t *g = &(*out)[i];
        g->type = f->type;
        g->optional = f->optional != 0;
        if (!(g->name = strdup(st->fields[i].name)) ||
            (f->name && !(g->schema_name = strdup(f->name))))
            return SL_CONNECT_ENOMEM;
    }
    return SL_CONNECT_OK;
}

static bool sig_fits(const pg_sig_t *sig, size_t n, const sl_cschema_t *st)
{
    if (!st || st->type != SL_CT_STRUCT || st->field_count != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        const sl_cschema_t *f = st->fields[i].schema;
        if (f->type != sig[i].type || (f->optional != 0) != sig[i].optional ||
            strcmp(st->fields[i].name, sig[i].name) != 0)
            return false;
        if (f->name ? !sig[i].schema_name || strcmp(f->name, sig[i].schema_name) != 0
                    : sig[i].schema_name != NULL)
            return false;
    }
    return true;
}

/* The key's columns (pk.mode=record_key). */
static int key_cols(const pg_opts_t *o, pg_shape_t *s, const sl_connect_record_t *rec,
                    char *err, size_t errlen)
{
    const sl_cschema_t *ks = rec->key_schema;
    if (!ks || !rec->key || rec->key->type == SL_CT_NULL) {
        snprintf(err, errlen, "record " REC_FMT ": pk.mode=record_key needs a key with a "
                 "schema (this one is %s)", REC_ARGS(rec), !rec->key ||
                 rec->key->type == SL_CT_NULL ? "null" : "schemaless");
        return SL_CONNECT_EINVAL;
    }
    s->key_type = ks->type;
    if (ks->type != SL_CT_STRUCT) {
        if (o->pk_count > 1) {
            snprintf(err, errlen, "record " REC_FMT ": a primitive key fills one column, but "
                     "pk.fields names %zu", REC_ARGS(rec), o->pk_count);
            return SL_CONNECT_EINVAL;
        }
        return add_col(s, o->pk_count ? o->pk_fields[0] : key_name, PG_SRC_KEY, 0, ks, true,
                       rec, err, errlen);
    }
    int rc = make_sig(ks, &s->key_sig, &s->key_nsig);
    for (size_t i = 0; !rc && i < ks->field_count; i++)
        if (is_pk_field(o, ks->fields[i].name))
            rc = add_col(s, ks->fields[i].name, PG_SRC_KEY_FIELD, i, ks->fields[i].schema, true,
                         rec, err, errlen);
    return rc;
}

/* Every pk.fields name must have become a key column. */
static int check_pk_found(const pg_opts_t *o, const pg_shape_t *s, const char *where,
                          const sl_connect_record_t *rec, char *err, size_t errlen)
{
    for (size_t i = 0; i < o->pk_count; i++) {
        bool found = false;
        for (size_t c = 0; c < s->ncols; c++)
            found |= s->cols[c].pk && strcmp(s->cols[c].name, o->pk_fields[i]) == 0;
        if (!found) {
            snprintf(err, errlen, "record " REC_FMT ": pk.fields names \"%s\", which the %s "
                     "does not have", REC_ARGS(rec), o->pk_fields[i], where);
            return SL_CONNECT_EINVAL;
        }
    }
    if (!s->npk && o->pk_mode != PG_PK_NONE) {
        snprintf(err, errlen, "record " REC_FMT ": the %s has no fields to form the primary "
                 "key", REC_ARGS(rec), where);
        return SL_CONNECT_EINVAL;
    }
    return SL_CONNECT_OK;
}

static int build(const pg_opts_t *o, pg_shape_t *s, const sl_connect_record_t *rec, bool del,
                 char *err, size_t errlen)
{
    const sl_cschema_t *vs = rec->value_schema;
    if (!del && (!vs || vs->type != SL_CT_STRUCT)) {
        snprintf(err, errlen, "record " REC_FMT ": PostgresSink needs a struct value with a "
                 "schema, not %s (use value.converter=json with schemas.enable=true, Kafka's "
                 "{\"schema\",\"payload\"} envelope)", REC_ARGS(rec),
                 !vs ? "a schemaless value" : "a primitive");
        return SL_CONNECT_EINVAL;
    }
    size_t room = 3 + (vs && !del ? vs->field_count : 0) +
                  (rec->key_schema && rec->key_schema->type == SL_CT_STRUCT
                   ? rec->key_schema->field_count : 1);
    if (!(s->cols = calloc(room, sizeof(*s->cols))))
        return SL_CONNECT_ENOMEM;
    int rc = SL_CONNECT_OK;
    static const sl_cschema_t text = {.type = SL_CT_STRING};
    static const sl_cschema_t int32 = {.type = SL_CT_INT32};
    static const sl_cschema_t int64 = {.type = SL_CT_INT64};
    static const sl_cschema_t *const kafka_types[3] = {&text, &int32, &int64};
    switch (o->pk_mode) {
    case PG_PK_KAFKA:
        for (int i = 0; !rc && i < 3; i++)
            rc = add_col(s, o->pk_count ? o->pk_fields[i] : kafka_names[i],
                         (pg_src_t)(PG_SRC_TOPIC + i), 0, kafka_types[i], true, rec, err, errlen);
        break;
    case PG_PK_RECORD_KEY:
        rc = key_cols(o, s, rec, err, errlen);
        if (!rc)
            rc = check_pk_found(o, s, "key", rec, err, errlen);
        break;
    default:
        break;
    }
    if (rc || del)
        return rc;
    rc = make_sig(vs, &s->val_sig, &s->val_nsig);
    for (size_t i = 0; !rc && i < vs->field_count; i++) {
        const char *name = vs->fields[i].name;
        if (has_col(s, name))
            continue;   /* the key's (or the coordinates') column wins */
        bool pk = o->pk_mode == PG_PK_RECORD_VALUE && is_pk_field(o, name);
        rc = add_col(s, name, PG_SRC_VALUE, i, vs->fields[i].schema, pk, rec, err, errlen);
    }
    if (!rc && o->pk_mode == PG_PK_RECORD_VALUE)
        rc = check_pk_found(o, s, "value", rec, err, errlen);
    if (!rc && !s->ncols) {
        snprintf(err, errlen, "record " REC_FMT ": the value struct has no fields",
                 REC_ARGS(rec));
        rc = SL_CONNECT_EINVAL;
    }
    return rc;
}

int pg_shape_build(const pg_opts_t *o, const char *table, const sl_connect_record_t *rec,
                   bool del, pg_shape_t **out, char *err, size_t errlen)
{
    *out = NULL;
    err[0] = '\0';
    pg_shape_t *s = calloc(1, sizeof(*s));
    if (!s || !(s->table = strdup(table))) {
        free(s);
        snprintf(err, errlen, "out of memory");
        return SL_CONNECT_ENOMEM;
    }
    s->del = del;
    s->key_type = SL_CT_NULL;
    int rc = build(o, s, rec, del, err, errlen);
    if (rc) {
        if (rc == SL_CONNECT_ENOMEM)
            snprintf(err, errlen, "out of memory");
        pg_shape_free(s);
        return rc;
    }
    *out = s;
    return SL_CONNECT_OK;
}

bool pg_shape_fits(const pg_shape_t *s, const char *table, const sl_connect_record_t *rec,
                   bool del)
{
    if (s->del != del || strcmp(s->table, table) != 0)
        return false;
    if (s->key_type != SL_CT_NULL) {
        const sl_cschema_t *ks = rec->key_schema;
        if (!ks || ks->type != s->key_type)
            return false;
        if (ks->type == SL_CT_STRUCT ? !sig_fits(s->key_sig, s->key_nsig, ks)
                                     : (ks->optional != 0) != s->cols[0].optional ||
                                       pg_logical_of(ks->type, ks->name) != s->cols[0].logical)
            return false;
    }
    return del || sig_fits(s->val_sig, s->val_nsig, rec->value_schema);
}

static void free_sig(pg_sig_t *sig, size_t n)
{
    for (size_t i = 0; sig && i < n; i++) {
        free(sig[i].name);
        free(sig[i].schema_name);
    }
    free(sig);
}

void pg_shape_free(pg_shape_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->ncols; i++)
        free(s->cols[i].name);
    free(s->cols);
    free_sig(s->key_sig, s->key_nsig);
    free_sig(s->val_sig, s->val_nsig);
    free(s->table);
    free(s);
}
