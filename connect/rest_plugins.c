/*
 * rest_plugins.c - the REST service's GET / (ServerInfo: version, commit,
 * kafka_cluster_id) and /connector-plugins routes: the plugins loaded
 * (PluginInfo {"class","type","version"}; with connectorsOnly=false also
 * the converters, transforms and predicates built into the worker), the
 * config definitions of a plugin, transform or predicate (ConfigKeyInfo),
 * and validation shaped as Kafka's ConfigInfos {"name","error_count",
 * "groups","configs":[{"definition":{..},"value":{"name","value",
 * "recommended_values","errors","visible"}}]}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rest_int.h"
#include "xform_int.h"

#ifndef SLUICE_VERSION
#define SLUICE_VERSION "0.0.0"
#endif
#ifndef SLUICE_COMMIT
#define SLUICE_COMMIT "unknown"
#endif

#define REST_ARENA_LIMIT (64u * 1024 * 1024)

void rest_root(const rest_req_t *rq, rest_reply_t *out)
{
    /* null while no broker has answered the worker. */
    const char *cid = sl_connect_worker_kafka_cluster_id(rq->worker);
    rest_ok(out, 200, json_pack("{s:s, s:s, s:s?}", "version", SLUICE_VERSION, "commit", SLUICE_COMMIT,
                                "kafka_cluster_id", cid));
}

/* ---- GET /connector-plugins -------------------------------------------------- */

/* The converters built into the worker (convert.c), by Kafka's class names. */
static const char *const converters[] = {
    "org.apache.kafka.connect.converters.ByteArrayConverter",
    "org.apache.kafka.connect.json.JsonConverter",
    "org.apache.kafka.connect.storage.StringConverter",
};

static int by_class(const void *a, const void *b)
{
    const sl_connect_plugin_t *x = *(const sl_connect_plugin_t *const *)a;
    const sl_connect_plugin_t *y = *(const sl_connect_plugin_t *const *)b;
    return strcmp(x->class_name, y->class_name);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Appends {"class","type","version"} for each of names[0..n), sorted. */
static bool append_sorted(json_t *arr, const char **names, size_t n, const char *type)
{
    qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n; i++)
        if (json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "class", names[i], "type", type, "version",
                                                 SLUICE_VERSION)))
            return false;
    return true;
}

/* The built-in transformations, predicates and converters, in Kafka's
 * order (each kind sorted by class name). */
static bool append_builtins(json_t *arr)
{
    const char *names[128];
    for (int predicates = 0; predicates < 2; predicates++) {
        size_t n = 0;
        const sl_xform_def_t *d;
        for (size_t i = 0; (d = sl_xform_at(i)) != NULL && n < SL_ARRAY_LEN(names); i++)
            if (d->predicate == (predicates == 1))
                names[n++] = d->kafka_class;
        if (!append_sorted(arr, names, n, predicates ? "predicate" : "transformation"))
            return false;
    }
    size_t n = SL_ARRAY_LEN(converters);
    memcpy(names, converters, sizeof converters);
    return append_sorted(arr, names, n, "converter");
}

void rest_plugins_list(const rest_req_t *rq, rest_reply_t *out)
{
    const sl_connect_plugins_t *ps = sl_connect_worker_plugins(rq->worker);
    size_t n = sl_connect_plugins_count(ps);
    const sl_connect_plugin_t **sorted = calloc(n ? n : 1, sizeof *sorted);
    json_t *arr = json_array();
    if (!sorted || !arr)
        goto nomem;
    for (size_t i = 0; i < n; i++)
        sorted[i] = sl_connect_plugins_at(ps, i, NULL);
    qsort(sorted, n, sizeof *sorted, by_class);
    /* Kafka's order: sinks, then sources, each by class name. */
    for (int pass = 0; pass < 2; pass++) {
        sl_connect_kind_t kind = pass == 0 ? SL_CONNECT_SINK : SL_CONNECT_SOURCE;
        for (size_t i = 0; i < n; i++) {
            if (sorted[i]->kind != kind)
                continue;
            json_t *p = json_pack("{s:o, s:s, s:o}", "class", rest_text(sorted[i]->class_name), "type",
                                  kind == SL_CONNECT_SINK ? "sink" : "source", "version",
                                  rest_text(sorted[i]->version ? sorted[i]->version : SLUICE_VERSION));
            if (json_array_append_new(arr, p))
                goto nomem;
        }
    }
    /* connectorsOnly defaults to true; JAX-RS reads anything but "true"
     * as false. */
    char *only = rest_query(rq, "connectorsOnly");
    bool all = only && !rest_query_bool(rq, "connectorsOnly");
    free(only);
    if (all && !append_builtins(arr))
        goto nomem;
    free(sorted);
    rest_ok(out, 200, arr);
    return;
nomem:
    free(sorted);
    json_decref(arr);
    rest_fail(out, 500, "out of memory");
}

/* ---- definitions ---------------------------------------------------------------- */

/* Kafka's ConfigKeyInfo. */
static json_t *definition_json(const char *name, const char *type, bool required, const char *def,
                               const char *importance, const char *doc, const char *group, int order)
{
    return json_pack("{s:o, s:s, s:b, s:o, s:s, s:o, s:o, s:i, s:s, s:o, s:[]}", "name", rest_text(name), "type",
                     type, "required", required, "default_value", rest_text(def), "importance", importance,
                     "documentation", rest_text(doc ? doc : ""), "group", rest_text(group), "order", order, "width",
                     "NONE", "display_name", rest_text(name), "dependents");
}

static const char *cfgtype_name(sl_connect_cfgtype_t t)
{
    switch (t) {
    case SL_CFG_STRING:
        return "STRING";
    case SL_CFG_INT:
        return "INT";
    case SL_CFG_LONG:
        return "LONG";
    case SL_CFG_DOUBLE:
        return "DOUBLE";
    case SL_CFG_BOOLEAN:
        return "BOOLEAN";
    case SL_CFG_LIST:
        return "LIST";
    case SL_CFG_PASSWORD:
        return "PASSWORD";
    }
    return "STRING";
}

static const char *importance_name(sl_connect_importance_t i)
{
    return i == SL_IMPORTANCE_HIGH ? "HIGH" : i == SL_IMPORTANCE_MEDIUM ? "MEDIUM" : "LOW";
}

/* The sentence of an unknown connector plugin, as Kafka's. */
static void fail_unknown(const rest_req_t *rq, rest_reply_t *out)
{
    const sl_connect_plugins_t *ps = sl_connect_worker_plugins(rq->worker);
    char *avail = NULL;
    size_t alen = 0;
    FILE *f = open_memstream(&avail, &alen);
    for (size_t i = 0; f && i < sl_connect_plugins_count(ps); i++)
        fprintf(f, "%s%s", i ? ", " : "", sl_connect_plugins_at(ps, i, NULL)->class_name);
    if (f)
        fclose(f);
    rest_fail(out, 404,
              "Failed to find any class that implements Connector and which name matches %s, "
              "available connectors are: %s",
              rq->seg[1], avail ? avail : "");
    free(avail);
}

/* The built-in transform or predicate named (Kafka's class or short name). */
static const sl_xform_def_t *find_xform(const char *name)
{
    const sl_xform_def_t *d;
    for (size_t i = 0; (d = sl_xform_at(i)) != NULL; i++)
        if (strcmp(d->kafka_class, name) == 0 || strcmp(d->name, name) == 0)
            return d;
    return NULL;
}

/* GET /connector-plugins/{plugin}/config: the definitions of a connector
 * plugin, a transform or a predicate (Kafka 3.5's). */
void rest_plugin_config(const rest_req_t *rq, rest_reply_t *out)
{
    const sl_connect_plugin_t *pl = sl_connect_plugins_find(sl_connect_worker_plugins(rq->worker), rq->seg[1]);
    const sl_xform_def_t *xf = pl ? NULL : find_xform(rq->seg[1]);
    if (!pl && !xf) {
        fail_unknown(rq, out);
        return;
    }
    size_t n = pl ? pl->config_def_count : xf->key_count;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        json_t *j;
        if (pl) {
            const sl_connect_configdef_t *d = &pl->config_defs[i];
            j = definition_json(d->name, cfgtype_name(d->type), d->default_value == NULL, d->default_value,
                                importance_name(d->importance), d->doc, NULL, -1);
        } else {
            const sl_xform_key_t *k = &xf->keys[i];
            j = definition_json(k->name, cfgtype_name(k->type), k->required, k->default_value,
                                importance_name(k->importance), k->doc, NULL, -1);
        }
        if (json_array_append_new(arr, j)) {
            json_decref(arr);
            arr = NULL;
        }
    }
    rest_ok(out, 200, arr);
}

/* ---- PUT /connector-plugins/{plugin}/config/validate --------------------------- */

/* Kafka compares the two names with a trailing "Connector" dropped, the
 * given class ending in the path's. */
static bool same_plugin(const char *given, const char *path)
{
    size_t gl = strlen(given), pl = strlen(path);
    if (gl > 9 && strcmp(given + gl - 9, "Connector") == 0)
        gl -= 9;
    if (pl > 9 && strcmp(path + pl - 9, "Connector") == 0)
        pl -= 9;
    return gl >= pl && memcmp(given + gl - pl, path, pl) == 0;
}

static json_t *validation_json(const sl_connect_validation_t *v)
{
    json_t *groups = json_array();
    json_t *configs = json_array();
    json_t *res = json_pack("{s:o, s:i, s:o, s:o}", "name", rest_text(v->class_name ? v->class_name : ""),
                            "error_count", (int)v->error_count, "groups", groups, "configs", configs);
    if (!res)
        return NULL;
    for (size_t i = 0; i < v->count; i++) {
        const sl_connect_config_result_t *c = &v->configs[i];
        const char *group = c->group ? c->group : "Common";
        /* order: the entry's place within its group, from 1. */
        int order = 1;
        for (size_t k = 0; k < i; k++)
            order += strcmp(v->configs[k].group ? v->configs[k].group : "Common", group) == 0;
        bool seen = false;
        for (size_t k = 0; k < json_array_size(groups) && !seen; k++)
            seen = strcmp(json_string_value(json_array_get(groups, k)), group) == 0;
        json_t *errs = json_array();
        for (size_t k = 0; errs && k < c->error_count; k++)
            if (json_array_append_new(errs, rest_text(c->errors[k]))) {
                json_decref(errs);
                errs = NULL;
            }
        json_t *one = json_pack("{s:o, s:{s:o, s:o, s:[], s:o, s:b}}", "definition",
                                definition_json(c->name, c->type ? c->type : "STRING", c->required,
                                                c->default_value, c->importance ? c->importance : "LOW", c->doc,
                                                group, order),
                                "value", "name", rest_text(c->name), "value", rest_text(c->value),
                                "recommended_values", "errors", errs,
                                "visible", 1);
        if ((!seen && json_array_append_new(groups, rest_text(group))) || json_array_append_new(configs, one)) {
            json_decref(res);
            return NULL;
        }
    }
    return res;
}

void rest_plugin_validate(const rest_req_t *rq, rest_reply_t *out)
{
    const char *plugin = rq->seg[1];
    json_t *body = rest_body_object(rq, out);
    if (!body)
        return;
    sl_props_t *config = rest_json_props(body, "config", out);
    json_decref(body);
    if (!config)
        return;
    const char *given = sl_props_get(config, "connector.class");
    if (given && !same_plugin(given, plugin)) {
        rest_fail(out, 400, "Included connector type %s does not match request type %s", given, plugin);
        sl_props_free(config);
        return;
    }
    if (!sl_connect_plugins_find(sl_connect_worker_plugins(rq->worker), plugin)) {
        fail_unknown(rq, out);
        sl_props_free(config);
        return;
    }
    /* Kafka wants connector.class in the body; the path names it already. */
    if (!given && sl_props_set(config, "connector.class", plugin, 0) != SL_OK) {
        rest_fail(out, 500, "out of memory");
        sl_props_free(config);
        return;
    }
    sl_arena_t a;
    sl_arena_init(&a, 0, REST_ARENA_LIMIT);
    sl_connect_validation_t v;
    memset(&v, 0, sizeof v);
    sl_err_t rc = sl_connect_worker_validate(rq->worker, plugin, config, &a, &v);
    if (rc)
        rest_fail_worker(out, rc, plugin, "");
    else
        rest_ok(out, 200, validation_json(&v));
    sl_arena_fini(&a);
    sl_props_free(config);
}
