/*
 * exec_show.c - statements that describe what the engine holds: SHOW
 * STREAMS/TABLES/TOPICS/QUERIES/PROPERTIES/FUNCTIONS, DESCRIBE [EXTENDED],
 * DESCRIBE FUNCTION and EXPLAIN, each answered with ksqlDB's REST entity
 * ("streams", "tables", "kafka_topics", "queries", "properties",
 * "function_names", "sourceDescription", "describe_function",
 * "queryDescription") so clients written for ksqlDB read them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

static json_t *entity(sl_sql_exec_t *x, const char *type)
{
    return json_pack("{s:s, s:s, s:[]}", "@type", type, "statementText", x->stmt->text ? x->stmt->text : "",
                     "warnings");
}

static sl_err_t nomem(sl_sql_exec_t *x)
{
    return sl_sql_error_set(x->err, SL_ERR_NOMEM, x->stmt->pos, "out of memory");
}

/* Answers with an entity of type holding body (taken, may be NULL when it
 * could not be built) under the key named like the type. */
static sl_err_t entity_with(sl_sql_exec_t *x, const char *type, json_t *body)
{
    json_t *j = entity(x, type);
    if (!body || !j) {
        json_decref(body);
        json_decref(j);
        return nomem(x);
    }
    json_object_set_new(j, type, body);
    return sl_sql_exec_entity(x, j);
}

static const char *window_name(sl_sql_window_kind_t k)
{
    switch (k) {
    case SL_SQL_WIN_TUMBLING:
        return "TUMBLING";
    case SL_SQL_WIN_HOPPING:
        return "HOPPING";
    case SL_SQL_WIN_SESSION:
        return "SESSION";
    default:
        return NULL;
    }
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* ---------------------------------------------------------------------------
 * Schemas and queries as ksqlDB shows them
 * ------------------------------------------------------------------------- */

static const char *schema_type_name(const sl_sql_type_t *t)
{
    switch (t->kind) {
    case SL_SQL_T_BOOLEAN:
        return "BOOLEAN";
    case SL_SQL_T_INT:
        return "INTEGER";
    case SL_SQL_T_BIGINT:
        return "BIGINT";
    case SL_SQL_T_DOUBLE:
        return "DOUBLE";
    case SL_SQL_T_DECIMAL:
        return "DECIMAL";
    case SL_SQL_T_STRING:
        return "STRING";
    case SL_SQL_T_BYTES:
        return "BYTES";
    case SL_SQL_T_TIMESTAMP:
        return "TIMESTAMP";
    case SL_SQL_T_DATE:
        return "DATE";
    case SL_SQL_T_TIME:
        return "TIME";
    case SL_SQL_T_ARRAY:
        return "ARRAY";
    case SL_SQL_T_MAP:
        return "MAP";
    case SL_SQL_T_STRUCT:
        return "STRUCT";
    default:
        return "NULL";
    }
}

json_t *sl_sql_schema_json(const sl_sql_type_t *t)
{
    json_t *j = json_pack("{s:s, s:n, s:n}", "type", schema_type_name(t), "fields", "memberSchema");
    if (!j)
        return NULL;
    if (t->kind == SL_SQL_T_ARRAY || t->kind == SL_SQL_T_MAP) {
        json_object_set_new(j, "memberSchema", sl_sql_schema_json(t->elem));
    } else if (t->kind == SL_SQL_T_STRUCT) {
        json_t *fields = json_array();
        for (uint32_t i = 0; fields && i < t->n_fields; i++)
            json_array_append_new(fields, json_pack("{s:s, s:o}", "name", t->fields[i].name, "schema",
                                                    sl_sql_schema_json(t->fields[i].type)));
        json_object_set_new(j, "fields", fields ? fields : json_null());
    } else if (t->kind == SL_SQL_T_DECIMAL) {
        json_object_set_new(j, "parameters",
                            json_pack("{s:i, s:i}", "precision", (int)t->precision, "scale", (int)t->scale));
    }
    return j;
}

static json_t *fields_json(const sl_sql_schema_t *s)
{
    json_t *arr = json_array();
    for (uint32_t i = 0; arr && i < s->n_key; i++)
        json_array_append_new(arr, json_pack("{s:s, s:o, s:s}", "name", s->key[i].name, "schema",
                                             sl_sql_schema_json(s->key[i].type), "type", "KEY"));
    for (uint32_t i = 0; arr && i < s->n_value; i++)
        json_array_append_new(arr, json_pack("{s:s, s:o}", "name", s->value[i].name, "schema",
                                             sl_sql_schema_json(s->value[i].type)));
    return arr;
}

json_t *sl_sql_running_query_json(sl_sql_engine_t *e, const sl_sql_pquery_t *q)
{
    const char *state = q->rq ? e->rt->ops->query_state(e->rt, q->rq) : "UNKNOWN";
    if (!state)
        state = "UNKNOWN";
    return json_pack("{s:s, s:[s], s:[s], s:s, s:{s:i}, s:s, s:s}", "queryString", q->statement, "sinks",
                     q->sink ? q->sink : "", "sinkKafkaTopics", q->sink_topic ? q->sink_topic : "", "id", q->id,
                     "statusCount", state, 1, "queryType", "PERSISTENT", "state", state);
}

/* ---------------------------------------------------------------------------
 * SHOW
 * ------------------------------------------------------------------------- */

struct list_sources {
    json_t *arr;
    bool tables;
    sl_sql_engine_t *e;     /* EXTENDED: full descriptions */
};

static json_t *source_description(sl_sql_engine_t *e, const sl_sql_source_t *src, bool extended);

static bool list_source_fn(const sl_sql_source_t *src, void *arg)
{
    struct list_sources *ls = arg;
    if (src->is_table != ls->tables)
        return true;
    if (ls->e) {
        json_array_append_new(ls->arr, source_description(ls->e, src, true));
        return true;
    }
    json_array_append_new(ls->arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "type", src->is_table ? "TABLE" : "STREAM",
                                             "name", src->name, "topic", src->topic ? src->topic : "", "keyFormat",
                                             sl_sql_fmt_name(src->key_fmt.kind), "valueFormat",
                                             sl_sql_fmt_name(src->value_fmt.kind), "isWindowed",
                                             src->window.kind != SL_SQL_WIN_NONE));
    return true;
}

static bool list_topic_fn(const sl_sql_topic_info_t *info, void *arg)
{
    json_t *arr = arg;
    if (!info->name || info->name[0] == '_')
        return true; /* internal topics (the command topic, query state) */
    json_t *replicas = json_array();
    for (int32_t i = 0; replicas && i < info->partitions; i++)
        json_array_append_new(replicas, json_integer(info->replicas > 0 ? info->replicas : 1));
    json_array_append_new(arr, json_pack("{s:s, s:o}", "name", info->name, "replicaInfo",
                                         replicas ? replicas : json_array()));
    return true;
}

static const char *fkind_name(sl_sql_fkind_t k)
{
    return k == SL_SQL_F_AGGREGATE ? "AGGREGATE" : k == SL_SQL_F_TABLE ? "TABLE" : "SCALAR";
}

static bool list_func_fn(const sl_sql_func_t *f, void *arg)
{
    json_array_append_new(arg, json_pack("{s:s, s:s, s:s}", "name", f->name, "category",
                                         f->category ? f->category : "OTHER", "type", fkind_name(f->kind)));
    return true;
}

static void props_json(const sl_props_t *p, json_t *arr, json_t *overwritten, const sl_props_t *session)
{
    for (size_t i = 0; p && i < sl_props_count(p); i++) {
        const char *k, *v;
        sl_props_at(p, i, &k, &v, NULL);
        if (session && p != session && sl_props_get(session, k))
            continue; /* shown with the session's value */
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "name", k, "scope", "KSQL", "value", v));
        if (overwritten)
            json_array_append_new(overwritten, json_string(k));
    }
}

static json_t *persistent_description(sl_sql_exec_t *x, const sl_sql_pquery_t *q);

sl_err_t sl_sql_exec_show(sl_sql_exec_t *x)
{
    sl_sql_engine_t *e = x->e;
    json_t *j = NULL, *arr = json_array();
    if (!arr)
        return nomem(x);
    switch (x->stmt->show) {
    case SL_SQL_SHOW_STREAMS:
    case SL_SQL_SHOW_TABLES: {
        bool tables = x->stmt->show == SL_SQL_SHOW_TABLES;
        struct list_sources ls = {arr, tables, x->stmt->extended ? e : NULL};
        sl_sql_catalog_each(e->catalog, list_source_fn, &ls);
        if (x->stmt->extended) {
            if ((j = entity(x, "source_descriptions")))
                json_object_set(j, "sourceDescriptions", arr);
        } else if ((j = entity(x, tables ? "tables" : "streams"))) {
            json_object_set(j, tables ? "tables" : "streams", arr);
        }
        break;
    }
    case SL_SQL_SHOW_TOPICS: {
        sl_err_t r = e->rt->ops->topic_list(e->rt, list_topic_fn, arr);
        if (r) {
            json_decref(arr);
            return sl_sql_error_set(x->err, r, x->stmt->pos, "Could not list the topics: %s", sl_err_str(r));
        }
        if ((j = entity(x, "kafka_topics")))
            json_object_set(j, "topics", arr);
        break;
    }
    case SL_SQL_SHOW_QUERIES: {
        sl_list_t *pos, *tmp;
        sl_list_foreach_safe(pos, tmp, &e->queries) {
            sl_sql_pquery_t *q = sl_container_of(pos, sl_sql_pquery_t, link);
            json_array_append_new(arr, x->stmt->extended ? persistent_description(x, q)
                                                         : sl_sql_running_query_json(e, q));
        }
        if (x->stmt->extended) {
            if ((j = entity(x, "query_descriptions")))
                json_object_set(j, "queryDescriptions", arr);
            break;
        }
        sl_sql_open_queries_json(e, arr);
        if ((j = entity(x, "queries")))
            json_object_set(j, "queries", arr);
        break;
    }
    case SL_SQL_SHOW_PROPERTIES: {
        json_t *over = json_array();
        props_json(e->config, arr, NULL, e->session);
        props_json(e->session, arr, over, NULL);
        /* the service id is always shown, set or not */
        bool has = false;
        for (size_t i = 0; i < json_array_size(arr); i++) {
            const char *n = json_string_value(json_object_get(json_array_get(arr, i), "name"));
            if (n && (strcmp(n, "sql.service.id") == 0 || strcmp(n, "ksql.service.id") == 0))
                has = true;
        }
        if (!has)
            json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "name", "ksql.service.id", "scope", "KSQL",
                                                 "value", e->service_id));
        if ((j = entity(x, "properties"))) {
            json_object_set(j, "properties", arr);
            json_object_set_new(j, "overwrittenProperties", over ? over : json_array());
            json_object_set_new(j, "defaultProperties", json_array());
        } else {
            json_decref(over);
        }
        break;
    }
    case SL_SQL_SHOW_FUNCTIONS:
        sl_sql_func_each(list_func_fn, arr);
        if ((j = entity(x, "function_names")))
            json_object_set(j, "functions", arr);
        break;
    }
    json_decref(arr);
    if (!j)
        return nomem(x);
    return sl_sql_exec_entity(x, j);
}

/* ---------------------------------------------------------------------------
 * DESCRIBE
 * ------------------------------------------------------------------------- */

static json_t *queries_of(sl_sql_engine_t *e, const char *name, bool writers)
{
    json_t *arr = json_array();
    sl_list_t *pos, *tmp;
    sl_list_foreach_safe(pos, tmp, &e->queries) {
        sl_sql_pquery_t *q = sl_container_of(pos, sl_sql_pquery_t, link);
        bool hit = false;
        if (writers)
            hit = q->sink && strcmp(q->sink, name) == 0;
        for (uint32_t i = 0; !writers && i < q->n_sources; i++)
            hit = hit || strcmp(q->sources[i], name) == 0;
        if (hit && arr)
            json_array_append_new(arr, sl_sql_running_query_json(e, q));
    }
    return arr;
}

/* ksqlDB's SourceDescription of src. */
static json_t *source_description(sl_sql_engine_t *e, const sl_sql_source_t *src, bool extended)
{
    const char *win = window_name(src->window.kind);
    char stats[256] = "";
    if (extended)
        snprintf(stats, sizeof stats, "processing-errors: %lld", (long long)sl_sql_processing_errors(e));
    return json_pack(
        "{s:s, s:o, s:o, s:o, s:o, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:i, s:i, s:s, s:[], s:[], s:[], s:[]}",
        "name", src->name, "windowType", str_or_null(win), "readQueries", queries_of(e, src->name, false),
        "writeQueries", queries_of(e, src->name, true), "fields", fields_json(&src->schema), "type",
        src->is_table ? "TABLE" : "STREAM", "timestamp", src->timestamp_col ? src->timestamp_col : "",
        "statistics", stats, "errorStats", "", "extended", extended, "keyFormat",
        sl_sql_fmt_name(src->key_fmt.kind), "valueFormat", sl_sql_fmt_name(src->value_fmt.kind), "topic",
        src->topic ? src->topic : "", "partitions", (int)(extended ? src->partitions : 0),
        "replication", (int)(extended ? src->replicas : 0), "statement",
        src->statement ? src->statement : "", "queryOffsetSummaries", "sourceConstraints", "clusterStatistics",
        "clusterErrorStats");
}

sl_err_t sl_sql_exec_describe(sl_sql_exec_t *x)
{
    sl_sql_engine_t *e = x->e;
    const char *name = x->stmt->target.name;
    const sl_sql_source_t *src = sl_sql_catalog_find(e->catalog, name);
    if (!src)
        return sl_sql_error_set(x->err, SL_ERR_NOENT, x->stmt->target.pos,
                                "Could not find STREAM/TABLE '%s' in the Metastore", name);
    return entity_with(x, "sourceDescription", source_description(e, src, x->stmt->extended));
}

/* ---------------------------------------------------------------------------
 * DESCRIBE FUNCTION
 * ------------------------------------------------------------------------- */

/* Splits "NAME(a T1, b MAP<K, V>)" into its arguments ([{"name", "type",
 * "description", "isVariadic"}]). */
static json_t *signature_args(const char *sig, json_t *types)
{
    json_t *args = json_array();
    const char *open = strchr(sig, '(');
    const char *close = strrchr(sig, ')');
    if (!args || !open || !close || close < open)
        return args;
    const char *p = open + 1;
    while (p < close) {
        while (p < close && *p == ' ')
            p++;
        const char *start = p;
        int depth = 0;
        while (p < close && (depth > 0 || *p != ',')) {
            if (*p == '<' || *p == '(')
                depth++;
            else if (*p == '>' || *p == ')')
                depth--;
            p++;
        }
        size_t len = (size_t)(p - start);
        if (len > 0) {
            char buf[256];
            snprintf(buf, sizeof buf, "%.*s", (int)len, start);
            bool variadic = strstr(buf, "...") != NULL;
            char *sp = strchr(buf, ' ');
            const char *aname = buf, *atype = "";
            if (sp) {
                *sp = 0;
                atype = sp + 1;
            } else {
                atype = buf;
                aname = "";
            }
            json_array_append_new(args, json_pack("{s:s, s:s, s:s, s:b}", "name", aname, "type", atype,
                                                  "description", "", "isVariadic", variadic));
            if (types)
                json_array_append_new(types, json_string(atype));
        }
        if (p < close)
            p++;
    }
    return args;
}

static json_t *variant_json(const char *sig, const char *ret, const char *desc)
{
    json_t *types = json_array();
    json_t *args = signature_args(sig, types);
    return json_pack("{s:o, s:s, s:s, s:o}", "arguments", args ? args : json_array(), "returnType", ret ? ret : "",
                     "description", desc ? desc : "", "argumentTypes", types ? types : json_array());
}

sl_err_t sl_sql_exec_describe_function(sl_sql_exec_t *x)
{
    char upper[256];
    snprintf(upper, sizeof upper, "%s", x->stmt->target.name);
    for (char *p = upper; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    const sl_sql_func_t *f = sl_sql_func_find(upper);
    if (!f)
        return sl_sql_error_set(x->err, SL_ERR_NOENT, x->stmt->target.pos,
                                "Can't find any functions with the name '%s'", upper);
    json_t *variants = json_array();
    if (f->kind == SL_SQL_F_SCALAR) {
        for (uint32_t i = 0; variants && i < f->n_overloads; i++) {
            const sl_sql_overload_t *o = &f->overloads[i];
            const sl_sql_type_t *rt = o->result != SL_SQL_T_NULL ? sl_sql_type_of(o->result) : NULL;
            char buf[128];
            json_array_append_new(variants, variant_json(o->signature ? o->signature : f->name,
                                                         rt ? sl_sql_type_str(rt, buf, sizeof buf) : "ANY",
                                                         o->description ? o->description : f->description));
        }
    } else if (f->agg_signatures) {
        /* "SUM(col1 INT), SUM(col1 BIGINT)": one variant per signature */
        const char *p = f->agg_signatures;
        while (variants && *p) {
            while (*p == ' ' || *p == ',')
                p++;
            const char *start = p;
            int depth = 0;
            while (*p && (depth > 0 || *p != ',')) {
                if (*p == '(' || *p == '<')
                    depth++;
                else if (*p == ')' || *p == '>')
                    depth--;
                p++;
            }
            if (p > start) {
                char sig[512];
                snprintf(sig, sizeof sig, "%.*s", (int)(p - start), start);
                json_array_append_new(variants, variant_json(sig, "", f->description));
            }
        }
    }
    json_t *j = entity(x, "describe_function");
    if (!j || !variants) {
        json_decref(j);
        json_decref(variants);
        return nomem(x);
    }
    json_object_set_new(j, "name", json_string(f->name));
    json_object_set_new(j, "description", json_string(f->description ? f->description : ""));
    json_object_set_new(j, "author", json_string("Confluent"));
    json_object_set_new(j, "version", json_string(""));
    json_object_set_new(j, "path", json_string("internal"));
    json_object_set_new(j, "functions", variants);
    json_object_set_new(j, "type", json_string(fkind_name(f->kind)));
    return sl_sql_exec_entity(x, j);
}

/* ---------------------------------------------------------------------------
 * EXPLAIN
 * ------------------------------------------------------------------------- */

static json_t *plan_text(const sl_sql_plan_t *root)
{
    sl_buf_t b;
    sl_buf_init(&b);
    sl_sql_plan_format(root, &b);
    sl_buf_put(&b, "", 1);
    json_t *s = json_string(sl_buf_err(&b) || !b.data ? "" : (const char *)b.data);
    sl_buf_free(&b);
    return s;
}

static json_t *topology_text(const sl_topology_t *t)
{
    char *d = t ? sl_topology_describe(t) : NULL;
    json_t *s = json_string(d ? d : "");
    free(d);
    return s;
}

static json_t *names_json(char *const *names, uint32_t n)
{
    json_t *arr = json_array();
    for (uint32_t i = 0; arr && i < n; i++)
        json_array_append_new(arr, json_string(names[i]));
    return arr;
}

static json_t *query_description(sl_sql_exec_t *x, const char *id, const char *text, const sl_sql_plan_t *root,
                                 const sl_topology_t *topo, json_t *sources, json_t *sinks, const char *type,
                                 const char *state)
{
    const char *win = root ? window_name(root->window.kind) : NULL;
    (void)x;
    return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:{}, s:{}, s:s, s:[], s:[], s:o}", "id", id,
                     "statementText", text, "windowType", str_or_null(win), "fields",
                     root ? fields_json(&root->out) : json_array(), "sources", sources, "sinks", sinks, "topology",
                     topology_text(topo), "executionPlan", root ? plan_text(root) : json_string(""),
                     "overriddenProperties", "ksqlHostQueryStatus", "queryType", type, "queryErrors",
                     "tasksMetadata", "state", str_or_null(state));
}

static void noop_emit(const sl_sql_row_t *key, const sl_sql_row_t *value, int64_t rowtime, int64_t wstart,
                      int64_t wend, void *arg)
{
    (void)key, (void)value, (void)rowtime, (void)wstart, (void)wend, (void)arg;
}

/* EXPLAIN <statement>: binds and lowers it without running anything. */
static sl_err_t explain_statement(sl_sql_exec_t *x, const sl_sql_stmt_t *inner)
{
    if (inner->kind != SL_SQL_S_SELECT && inner->kind != SL_SQL_S_CREATE_STREAM_AS &&
        inner->kind != SL_SQL_S_CREATE_TABLE_AS && inner->kind != SL_SQL_S_INSERT_INTO)
        return sl_sql_error_set(x->err, SL_ERR_INVAL, inner->pos,
                                "The provided statement does not run a ksql query");
    sl_arena_t arena;
    sl_arena_init(&arena, 16384, 0);
    sl_sql_bind_env_t env;
    sl_sql_exec_bind_env(x, &arena, "EXPLAIN", &env);
    sl_sql_bound_query_t bq;
    memset(&bq, 0, sizeof bq);
    sl_err_t r = sl_sql_bind_query(&env, inner, &bq, x->err);
    sl_topology_t *topo = NULL;
    if (!r && !bq.is_pull && bq.root) {
        sl_sql_plan_optimize(&arena, bq.root);
        sl_builder_t *b = sl_builder_new();
        sl_sql_lower_env_t lenv;
        sl_sql_engine_lower_env(x->e, &arena, &lenv);
        if (!bq.root->topic)
            lenv.emit_row = noop_emit;
        sl_sql_error_t lerr;
        char errbuf[256];
        if (b && sl_sql_lower(b, bq.root, &lenv, &lerr) == SL_OK)
            sl_topology_build(b, &topo, errbuf, sizeof errbuf);
        sl_builder_free(b);
    }
    if (!r) {
        json_t *sinks = json_array();
        if (sinks && bq.sink)
            json_array_append_new(sinks, json_string(bq.sink->name));
        else if (sinks && inner->kind == SL_SQL_S_INSERT_INTO)
            json_array_append_new(sinks, json_string(inner->target.name));
        json_t *sources = json_array();
        for (uint32_t i = 0; sources && i < bq.n_sources; i++)
            json_array_append_new(sources, json_string(bq.source_names[i]));
        json_t *qd = query_description(x, "", inner->text ? inner->text : "", bq.is_pull ? NULL : bq.root, topo,
                                       sources ? sources : json_array(), sinks ? sinks : json_array(),
                                       bq.root && bq.root->topic ? "PERSISTENT" : "PUSH", NULL);
        r = entity_with(x, "queryDescription", qd);
    }
    sl_topology_free(topo);
    if (bq.sink)
        sl_sql_source_free(bq.sink);
    sl_arena_fini(&arena);
    return r;
}

static json_t *persistent_description(sl_sql_exec_t *x, const sl_sql_pquery_t *q)
{
    char *sinks[1] = {q->sink};
    const char *state = q->rq ? x->e->rt->ops->query_state(x->e->rt, q->rq) : NULL;
    return query_description(x, q->id, q->statement, q->plan, q->topo, names_json(q->sources, q->n_sources),
                             names_json(sinks, q->sink ? 1 : 0), "PERSISTENT", state);
}

sl_err_t sl_sql_exec_explain(sl_sql_exec_t *x)
{
    const sl_sql_stmt_t *s = x->stmt;
    if (s->inner)
        return explain_statement(x, s->inner);
    sl_sql_pquery_t *q = sl_sql_pquery_find(x->e, s->target.name);
    if (!q)
        return sl_sql_error_set(x->err, SL_ERR_NOENT, s->target.pos, "Query with id:%s does not exist, "
                                "use SHOW QUERIES to view the full set of running queries.",
                                s->target.name);
    return entity_with(x, "queryDescription", persistent_description(x, q));
}
