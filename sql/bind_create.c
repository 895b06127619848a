/*
 * bind_create.c - CREATE STREAM/TABLE (without AS): the columns, the key
 * rules (KEY for streams, PRIMARY KEY for tables, a table needs one), the
 * WITH properties (shared with CREATE ... AS SELECT: formats with ksqlDB's
 * default key format KAFKA, the topic, partitions, TIMESTAMP, delimiters,
 * windowed sources) and the codecs they make, with ksqlDB's sentences for
 * what is wrong.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bind_int.h"

enum { W_CREATE = 1, W_AS = 2 };

static const struct {
    const char *name;
    int where;
} known_props[] = {
    { "FORMAT", W_CREATE | W_AS },         { "KAFKA_TOPIC", W_CREATE | W_AS },
    { "KEY_FORMAT", W_CREATE | W_AS },     { "PARTITIONS", W_CREATE | W_AS },
    { "REPLICAS", W_CREATE | W_AS },       { "TIMESTAMP", W_CREATE | W_AS },
    { "TIMESTAMP_FORMAT", W_CREATE | W_AS }, { "VALUE_DELIMITER", W_CREATE | W_AS },
    { "VALUE_FORMAT", W_CREATE | W_AS },   { "WINDOW_SIZE", W_CREATE },
    { "WINDOW_TYPE", W_CREATE },           { "WRAP_SINGLE_VALUE", W_CREATE | W_AS },
};

#define N_PROPS (sizeof known_props / sizeof known_props[0])

static void valid_list(int where, char *out, size_t len)
{
    size_t used = 0;
    out[0] = 0;
    for (size_t i = 0; i < N_PROPS; i++) {
        if (!(known_props[i].where & where))
            continue;
        int w = snprintf(out + used, len - used, "%s%s", used ? ", " : "", known_props[i].name);
        if (w < 0 || (size_t)w >= len - used)
            break;
        used += (size_t)w;
    }
}

static const char *lit_string(sl_sql_binder_t *b, const sl_sql_ast_prop_t *p)
{
    const sl_sql_ast_expr_t *v = p->value;
    if (!v)
        return NULL;
    if (v->kind == SL_SQL_A_STRING)
        return sl_arena_strndup(b->arena, v->text, v->len);
    if (v->kind == SL_SQL_A_INT || v->kind == SL_SQL_A_DECIMAL || v->kind == SL_SQL_A_DOUBLE)
        return v->text;
    if (v->kind == SL_SQL_A_BOOL)
        return v->bval ? "true" : "false";
    if (v->kind == SL_SQL_A_COLUMN && !v->qual.name)
        return v->name.name;
    return NULL;
}

static bool parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    if (!s || !*s)
        return false;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* "10 SECONDS", "1 HOUR", "500 MILLISECONDS" -> ms. */
static bool parse_duration(const char *s, int64_t *ms)
{
    char *end;
    long long n = strtoll(s, &end, 10);
    if (end == s || n < 0)
        return false;
    while (*end == ' ')
        end++;
    static const struct {
        const char *unit;
        int64_t ms;
    } units[] = {
        { "MILLISECOND", 1 },       { "MILLISECONDS", 1 }, { "SECOND", 1000 }, { "SECONDS", 1000 },
        { "MINUTE", 60000 },        { "MINUTES", 60000 },  { "HOUR", 3600000 }, { "HOURS", 3600000 },
        { "DAY", 86400000 },        { "DAYS", 86400000 },
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcasecmp(end, units[i].unit) == 0) {
            if (n > INT64_MAX / units[i].ms)
                return false;
            *ms = n * units[i].ms;
            return true;
        }
    }
    return false;
}

sl_err_t sl_sql_with_parse(sl_sql_binder_t *b, const sl_sql_list_t *props, bool for_create, sl_sql_with_t *out)
{
    memset(out, 0, sizeof *out);
    out->partitions = -1;
    out->replicas = -1;
    out->wrap_single = -1;
    out->window_size_ms = -1;
    int where = for_create ? W_CREATE : W_AS;
    for (uint32_t i = 0; props && i < props->n; i++) {
        const sl_sql_ast_prop_t *p = props->items[i];
        const char *k = p->key.name;
        bool known = false;
        for (size_t j = 0; j < N_PROPS; j++)
            if (strcasecmp(known_props[j].name, k) == 0 && (known_props[j].where & where))
                known = true;
        if (!known) {
            char valid[512];
            valid_list(where, valid, sizeof valid);
            return sl_sql_bind_fail(b, p->key.pos,
                                    "Invalid config variable(s) in the WITH clause: %s. Valid properties are: %s",
                                    k, valid);
        }
        const char *v = lit_string(b, p);
        if (!v)
            return sl_sql_bind_fail(b, p->key.pos, "Invalid value for property %s: a literal is expected.", k);
        int64_t n;
        if (!strcasecmp(k, "KAFKA_TOPIC")) {
            if (!*v)
                return sl_sql_bind_fail(b, p->key.pos, "Invalid value for property KAFKA_TOPIC: the topic name is empty.");
            out->kafka_topic = v;
        } else if (!strcasecmp(k, "KEY_FORMAT"))
            out->key_format = v;
        else if (!strcasecmp(k, "VALUE_FORMAT"))
            out->value_format = v;
        else if (!strcasecmp(k, "FORMAT"))
            out->format = v;
        else if (!strcasecmp(k, "PARTITIONS")) {
            if (!parse_int(v, 1, INT32_MAX, &n))
                return sl_sql_bind_fail(b, p->key.pos, "Invalid number of partitions in WITH clause: %s", v);
            out->partitions = (int32_t)n;
        } else if (!strcasecmp(k, "REPLICAS")) {
            if (!parse_int(v, 1, INT16_MAX, &n))
                return sl_sql_bind_fail(b, p->key.pos, "Invalid number of replicas in WITH clause: %s", v);
            out->replicas = (int16_t)n;
        } else if (!strcasecmp(k, "TIMESTAMP")) {
            /* A quoted name is upper-cased unless back-quoted inside, as ksqlDB. */
            size_t len = strlen(v);
            char *t = sl_arena_strndup(b->arena, v, len);
            if (!t)
                return SL_ERR_NOMEM;
            if (len >= 2 && t[0] == '`' && t[len - 1] == '`') {
                t[len - 1] = 0;
                t++;
            } else {
                for (char *c = t; *c; c++)
                    *c = (char)toupper((unsigned char)*c);
            }
            out->timestamp = t;
        } else if (!strcasecmp(k, "TIMESTAMP_FORMAT"))
            out->timestamp_format = v;
        else if (!strcasecmp(k, "VALUE_DELIMITER"))
            out->value_delimiter = v;
        else if (!strcasecmp(k, "WRAP_SINGLE_VALUE")) {
            if (!strcasecmp(v, "true"))
                out->wrap_single = 1;
            else if (!strcasecmp(v, "false"))
                out->wrap_single = 0;
            else
                return sl_sql_bind_fail(b, p->key.pos, "Property 'WRAP_SINGLE_VALUE' must be true or false, got: %s",
                                        v);
        } else if (!strcasecmp(k, "WINDOW_TYPE")) {
            if (strcasecmp(v, "TUMBLING") && strcasecmp(v, "HOPPING") && strcasecmp(v, "SESSION"))
                return sl_sql_bind_fail(b, p->key.pos,
                                        "Invalid value for property WINDOW_TYPE: %s. Valid values are: SESSION, "
                                        "HOPPING, TUMBLING",
                                        v);
            out->window_type = v;
        } else if (!strcasecmp(k, "WINDOW_SIZE")) {
            if (!parse_duration(v, &out->window_size_ms))
                return sl_sql_bind_fail(b, p->key.pos,
                                        "Invalid value for property WINDOW_SIZE: '%s'. Expected a duration such as "
                                        "'10 SECONDS'.",
                                        v);
        }
    }
    return 0;
}

static sl_err_t parse_fmt(sl_sql_binder_t *b, const char *name, sl_sql_fmt_t *out)
{
    char err[256] = "";
    sl_sql_fmt_t f = { 0 };
    if (sl_sql_fmt_parse(name, &f, err, sizeof err))
        return sl_sql_bind_fail(b, (sl_sql_pos_t){ 0, 0 }, "%s", err[0] ? err : "Unknown format");
    f.wrap_single = -1;
    if (f.kind == SL_SQL_FMT_DELIMITED && !f.delimiter)
        f.delimiter = ',';
    *out = f;
    return 0;
}

sl_err_t sl_sql_with_formats(sl_sql_binder_t *b, const sl_sql_with_t *w, sl_sql_fmt_t *key, sl_sql_fmt_t *value,
                             bool *key_explicit, bool *value_explicit)
{
    sl_sql_pos_t nopos = { 0, 0 };
    if (w->format && w->key_format)
        return sl_sql_bind_fail(b, nopos,
                                "Cannot supply both 'KEY_FORMAT' and 'FORMAT' properties, as 'FORMAT' sets both key "
                                "and value formats. Either use just 'FORMAT', or use 'KEY_FORMAT' and "
                                "'VALUE_FORMAT'.");
    if (w->format && w->value_format)
        return sl_sql_bind_fail(b, nopos,
                                "Cannot supply both 'VALUE_FORMAT' and 'FORMAT' properties, as 'FORMAT' sets both "
                                "key and value formats. Either use just 'FORMAT', or use 'KEY_FORMAT' and "
                                "'VALUE_FORMAT'.");
    const char *kn = w->format ? w->format : w->key_format;
    const char *vn = w->format ? w->format : w->value_format;
    *key_explicit = kn != NULL;
    *value_explicit = vn != NULL;
    bool delim_inherited = !vn && value->kind == SL_SQL_FMT_DELIMITED;
    if (kn && parse_fmt(b, kn, key))
        return SL_ERR_INVAL;
    if (vn) {
        sl_sql_fmt_t old = *value;
        if (parse_fmt(b, vn, value))
            return SL_ERR_INVAL;
        /* Inheritable properties stay when the format is the same. */
        if (old.kind == value->kind && old.kind == SL_SQL_FMT_DELIMITED && old.delimiter)
            value->delimiter = old.delimiter;
    }
    if (w->value_delimiter) {
        if (value->kind != SL_SQL_FMT_DELIMITED && !delim_inherited)
            return sl_sql_bind_fail(b, nopos, "%s does not support the following configs: [delimiter]",
                                    sl_sql_fmt_name(value->kind));
        const char *d = w->value_delimiter;
        bool blank = true;
        for (const char *c = d; *c; c++)
            if (!isspace((unsigned char)*c))
                blank = false;
        if (blank)
            return sl_sql_bind_fail(b, nopos,
                                    "Failed to prepare statement: Configuration VALUE_DELIMITER is invalid: Delimiter "
                                    "cannot be empty, if you meant to have a tab or space for delimiter, please use the "
                                    "special values 'TAB' or 'SPACE'\nExample valid value: ';'");
        if (!strcasecmp(d, "TAB"))
            value->delimiter = '\t';
        else if (!strcasecmp(d, "SPACE"))
            value->delimiter = ' ';
        else if (strlen(d) == 1)
            value->delimiter = d[0];
        else
            return sl_sql_bind_fail(b, nopos,
                                    "Failed to prepare statement: Configuration VALUE_DELIMITER is invalid: Invalid "
                                    "delimiter value: '%s'. Delimiter must be a single character or TAB,SPACE\n"
                                    "Example valid value: ';'",
                                    d);
    }
    if (w->wrap_single >= 0) {
        value->wrap_single = w->wrap_single; /* the codec refuses what its format cannot do */
    } else {
        value->wrap_single = -1; /* not inherited: see sl_sql_with_session_wrap */
    }
    return 0;
}

void sl_sql_with_session_wrap(sl_sql_binder_t *b, const sl_sql_with_t *w, sl_sql_fmt_t *value, uint32_t n_value)
{
    if (w->wrap_single >= 0 || n_value != 1 || value->kind != SL_SQL_FMT_JSON)
        return;
    const char *d = b->env->prop ? b->env->prop("ksql.persistence.wrap.single.values", b->env->prop_arg) : NULL;
    if (d && !strcasecmp(d, "false"))
        value->wrap_single = 0;
    else if (d && !strcasecmp(d, "true"))
        value->wrap_single = 1;
}

sl_err_t sl_sql_with_timestamp(sl_sql_binder_t *b, const sl_sql_with_t *w, const sl_sql_schema_t *schema)
{
    if (!w->timestamp)
        return 0;
    const sl_sql_type_t *t = NULL;
    int i = sl_sql_schema_value_index(schema, w->timestamp);
    if (i >= 0)
        t = schema->value[i].type;
    else if ((i = sl_sql_schema_key_index(schema, w->timestamp)) >= 0)
        t = schema->key[i].type;
    sl_sql_pos_t nopos = { 0, 0 };
    if (!t)
        return sl_sql_bind_fail(b, nopos, "The TIMESTAMP column set in the WITH clause does not exist in the schema: '%s'",
                                w->timestamp);
    bool ok = t->kind == SL_SQL_T_BIGINT || t->kind == SL_SQL_T_TIMESTAMP ||
              (t->kind == SL_SQL_T_STRING && w->timestamp_format);
    if (!ok)
        return sl_sql_bind_fail(b, nopos,
                                "Timestamp column, `%s`, should be LONG(INT64), TIMESTAMP, or a String with a "
                                "timestamp_format specified.",
                                w->timestamp);
    return 0;
}

sl_err_t sl_sql_check_name_free(sl_sql_binder_t *b, const char *name, bool is_table, bool replace, sl_sql_pos_t pos)
{
    const sl_sql_source_t *old = b->env->catalog ? sl_sql_catalog_find(b->env->catalog, name) : NULL;
    if (!old)
        return 0;
    if (replace && old->is_table == is_table)
        return 0;
    sl_sql_bind_fail(b, pos, "Cannot add %s '%s': A %s with the same name already exists", is_table ? "table" : "stream",
                     name, old->is_table ? "table" : "stream");
    if (b->err)
        b->err->code = SL_ERR_EXISTS;
    return SL_ERR_EXISTS;
}

static const char *const key_rule =
    "Tables have PRIMARY KEYs, which are unique and NON NULL.\n"
    "Streams have KEYs, which have no uniqueness or NON NULL constraints.";

static sl_err_t build_schema(sl_sql_binder_t *b, const sl_sql_stmt_t *stmt, bool is_table, sl_sql_schema_t *out)
{
    sl_sql_schema_builder_t sb = { 0 };
    uint32_t n = stmt->columns ? stmt->columns->n : 0;
    if (n == 0)
        return sl_sql_bind_fail(b, stmt->pos, "The statement does not define any columns.");
    for (uint32_t i = 0; i < n; i++) {
        const sl_sql_ast_column_t *c = stmt->columns->items[i];
        const char *name = c->name.name;
        if (sl_sql_pseudo_by_name(name) >= 0)
            return sl_sql_bind_fail(b, c->name.pos, "'%s' is a reserved column name.", name);
        for (uint32_t j = 0; j < i; j++) {
            const sl_sql_ast_column_t *d = stmt->columns->items[j];
            if (strcmp(d->name.name, name) == 0)
                return sl_sql_bind_fail(b, c->name.pos, "Duplicate column names: %s", name);
        }
        if (c->headers)
            return sl_sql_bind_fail(b, c->name.pos, "HEADERS columns are not supported: %s", name);
        if (c->key && c->primary && !is_table)
            return sl_sql_bind_fail(b, c->name.pos,
                                    "Column `%s` is a 'PRIMARY KEY' column: please use 'KEY' for streams.\n%s", name,
                                    key_rule);
        if (c->key && !c->primary && is_table)
            return sl_sql_bind_fail(b, c->name.pos, "Column `%s` is a 'KEY' column: please use 'PRIMARY KEY' for tables.\n%s",
                                    name, key_rule);
        sl_err_t e = c->key ? sl_sql_sb_key(b->arena, &sb, name, c->type) : sl_sql_sb_value(b->arena, &sb, name, c->type);
        if (e)
            return e;
    }
    if (is_table && sb.s.n_key == 0)
        return sl_sql_bind_fail(b, stmt->pos, "Tables require a PRIMARY KEY. Please define the PRIMARY KEY.");
    *out = sb.s;
    return 0;
}

static sl_err_t window_of(sl_sql_binder_t *b, const sl_sql_with_t *w, sl_sql_window_t *out)
{
    sl_sql_pos_t nopos = { 0, 0 };
    out->kind = SL_SQL_WIN_NONE;
    out->size_ms = 0;
    out->advance_ms = 0;
    out->retention_ms = -1;
    out->grace_ms = -1;
    if (!w->window_type) {
        if (w->window_size_ms >= 0)
            return sl_sql_bind_fail(b, nopos, "'WINDOW_SIZE' should not be set without 'WINDOW_TYPE'.");
        return 0;
    }
    if (!strcasecmp(w->window_type, "SESSION")) {
        if (w->window_size_ms >= 0)
            return sl_sql_bind_fail(b, nopos, "'WINDOW_SIZE' should not be set for SESSION windows.");
        out->kind = SL_SQL_WIN_SESSION;
        return 0;
    }
    if (w->window_size_ms < 0)
        return sl_sql_bind_fail(b, nopos, "Tumbling and Hopping window types should set WINDOW_SIZE in the WITH clause.");
    out->kind = !strcasecmp(w->window_type, "TUMBLING") ? SL_SQL_WIN_TUMBLING : SL_SQL_WIN_HOPPING;
    out->size_ms = w->window_size_ms;
    out->advance_ms = w->window_size_ms;
    return 0;
}

static sl_err_t copy_str(sl_arena_t *arena, const char *s, const char **out)
{
    *out = NULL;
    if (!s)
        return 0;
    *out = sl_arena_strndup(arena, s, strlen(s));
    return *out ? 0 : SL_ERR_NOMEM;
}

sl_err_t sl_sql_bind_create(const sl_sql_bind_env_t *env, const sl_sql_stmt_t *stmt, sl_sql_source_t **out,
                            sl_sql_error_t *err)
{
    sl_sql_binder_t b;
    sl_sql_binder_init(&b, env, err);
    *out = NULL;
    bool is_table = stmt->kind == SL_SQL_S_CREATE_TABLE;
    if (stmt->kind != SL_SQL_S_CREATE_STREAM && stmt->kind != SL_SQL_S_CREATE_TABLE)
        return sl_sql_bind_fail(&b, stmt->pos, "not a CREATE STREAM or CREATE TABLE statement");
    const char *name = stmt->target.name;
    sl_err_t e = sl_sql_check_name_free(&b, name, is_table, stmt->or_replace, stmt->target.pos);
    if (e)
        return e;

    sl_sql_with_t w;
    if ((e = sl_sql_with_parse(&b, stmt->props, true, &w)))
        return e;
    sl_sql_schema_t schema;
    if ((e = build_schema(&b, stmt, is_table, &schema)))
        return e;

    sl_sql_pos_t nopos = { 0, 0 };
    if (!w.kafka_topic && w.partitions < 0)
        return sl_sql_bind_fail(&b, stmt->pos, "Missing required property \"KAFKA_TOPIC\" which has no default value.");
    /* The session's defaults for what WITH leaves out (ksqlDB's
     * ksql.persistence.default.format.key, KAFKA unless set, and .value). */
    const char *dkey = env->prop ? env->prop("ksql.persistence.default.format.key", env->prop_arg) : NULL;
    const char *dvalue = env->prop ? env->prop("ksql.persistence.default.format.value", env->prop_arg) : NULL;
    if (!w.value_format && !w.format && !(dvalue && *dvalue))
        return sl_sql_bind_fail(&b, nopos,
                                "Statement is missing the 'VALUE_FORMAT' property from the WITH clause. Either "
                                "provide one or set a default via the 'ksql.persistence.default.format.value' "
                                "config.");
    sl_sql_fmt_t key = { SL_SQL_FMT_KAFKA, 0, -1 }, value = { SL_SQL_FMT_JSON, 0, -1 };
    if (dkey && *dkey && (e = parse_fmt(&b, dkey, &key)))
        return e;
    if (!w.value_format && !w.format && (e = parse_fmt(&b, dvalue, &value)))
        return e;
    bool key_explicit, value_explicit;
    if ((e = sl_sql_with_formats(&b, &w, &key, &value, &key_explicit, &value_explicit)))
        return e;
    if (schema.n_key == 0 && !key_explicit)
        key.kind = SL_SQL_FMT_NONE;
    sl_sql_with_session_wrap(&b, &w, &value, schema.n_value);
    if ((e = sl_sql_with_timestamp(&b, &w, &schema)))
        return e;
    sl_sql_window_t window;
    if ((e = window_of(&b, &w, &window)))
        return e;

    /* The formats must carry the columns: make the codecs once to check. */
    char cerr[1024] = "";
    const sl_sql_codec_t *kc, *vc;
    if (sl_sql_schema_codec(env->arena, &key, &schema, true, &kc, cerr, sizeof cerr) ||
        sl_sql_schema_codec(env->arena, &value, &schema, false, &vc, cerr, sizeof cerr))
        return sl_sql_bind_fail(&b, nopos, "%s", cerr[0] ? cerr : "The format cannot carry these columns.");

    sl_sql_source_t *src = sl_sql_source_new();
    if (!src)
        return sl_sql_error_set(err, SL_ERR_NOMEM, nopos, "out of memory");
    sl_arena_t *a = src->arena;
    src->is_table = is_table;
    src->is_source = stmt->source;
    src->key_fmt = key;
    src->value_fmt = value;
    src->window = window;
    src->partitions = w.partitions;
    src->replicas = w.replicas;
    e = copy_str(a, name, &src->name);
    if (!e)
        e = copy_str(a, w.kafka_topic ? w.kafka_topic : name, &src->topic);
    if (!e)
        e = sl_sql_schema_copy(a, &schema, &src->schema);
    if (!e)
        e = copy_str(a, w.timestamp, &src->timestamp_col);
    if (!e)
        e = copy_str(a, w.timestamp_format, &src->timestamp_fmt);
    if (!e)
        e = copy_str(a, stmt->text ? stmt->text : "", &src->statement);
    if (e) {
        sl_sql_source_free(src);
        return sl_sql_error_set(err, SL_ERR_NOMEM, nopos, "out of memory");
    }
    *out = src;
    return 0;
}
