/*
 * engine.c - the engine of sql.h: making and freeing engines, the
 * statement lock, properties as a statement sees them, the registry of
 * persistent queries and sl_sql_execute's dispatch per statement kind
 * (the local engine's own calls are in engine_local.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bind_int.h"
#include "engine_int.h"

#define ENGINE_STATE_DIR "/tmp/sluice-sql"

/* ---------------------------------------------------------------------------
 * Making engines
 * ------------------------------------------------------------------------- */

/* The engine's own keys with a value that cannot work are refused at once
 * (SL_ERR_CONFIG naming the key). */
static sl_err_t check_config(const sl_props_t *p, char *errbuf, size_t errlen)
{
    static const char *const resets[] = {"auto.offset.reset", "ksql.streams.auto.offset.reset",
                                         "sql.streams.auto.offset.reset"};
    for (size_t i = 0; i < sizeof resets / sizeof resets[0]; i++) {
        const char *v = sl_props_get(p, resets[i]);
        if (v && strcmp(v, "earliest") != 0 && strcmp(v, "latest") != 0 && strcmp(v, "none") != 0) {
            snprintf(errbuf, errlen, "%s=%s: must be one of latest, earliest, none", resets[i], v);
            return SL_ERR_CONFIG;
        }
    }
    static const char *const counts[] = {"sql.streams.num.stream.threads", "ksql.streams.num.stream.threads",
                                         "sql.internal.topic.replicas", "request.timeout.ms"};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        const char *v = sl_props_get(p, counts[i]);
        char *end = NULL;
        long n = v ? strtol(v, &end, 10) : 1;
        if (v && (end == v || *end || n < 1 || n > 1000000000L)) {
            snprintf(errbuf, errlen, "%s=%s: not a positive integer", counts[i], v);
            return SL_ERR_CONFIG;
        }
    }
    const char *svc = sl_props_get(p, "sql.service.id");
    for (const char *c = svc; c && *c; c++) {
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_' ||
              *c == '-' || *c == '.')) {
            snprintf(errbuf, errlen, "sql.service.id=%s: only letters, digits, '.', '_' and '-' (it names topics)",
                     svc);
            return SL_ERR_CONFIG;
        }
    }
    return SL_OK;
}

static sl_err_t engine_alloc(const char *props, bool local, sl_sql_engine_t **out, sl_sql_error_t *err)
{
    sl_sql_pos_t nopos = {0, 0};
    char errbuf[512] = "";
    sl_sql_engine_t *e = calloc(1, sizeof *e);
    if (!e)
        return sl_sql_error_set(err, SL_ERR_NOMEM, nopos, "out of memory");
    e->local = local;
    pthread_mutex_init(&e->lock, NULL);
    pthread_mutex_init(&e->cmd_mu, NULL);
    pthread_cond_init(&e->cmd_cv, NULL);
    sl_list_init(&e->queries);
    sl_list_init(&e->open);
    sl_map_init(&e->cursors);
    sl_map_init(&e->topic_codecs);
    sl_arena_init(&e->scratch, 16384, 0);
    sl_buf_init(&e->kbuf);
    sl_buf_init(&e->vbuf);
    sl_err_t r = SL_OK;
    if (props && *props)
        r = sl_props_parse(props, strlen(props), "engine properties", &e->config, errbuf, sizeof errbuf);
    else if (!(e->config = sl_props_new()))
        r = SL_ERR_NOMEM;
    e->session = sl_props_new();
    e->catalog = sl_sql_catalog_new();
    if (!r && (!e->session || !e->catalog))
        r = SL_ERR_NOMEM;
    if (r) {
        *out = e;
        return sl_sql_error_set(err, r, nopos, "%s", *errbuf ? errbuf : "out of memory");
    }
    if ((r = check_config(e->config, errbuf, sizeof errbuf))) {
        *out = e;
        return sl_sql_error_set(err, r, nopos, "%s", errbuf);
    }
    e->service_id = sl_props_get(e->config, "sql.service.id");
    if (!e->service_id)
        e->service_id = sl_props_get(e->config, "ksql.service.id");
    if (!e->service_id || !*e->service_id)
        e->service_id = "default_";
    const char *plog = sl_props_get(e->config, "processing.log.topic");
    if (plog && *plog)
        snprintf(e->plog_topic, sizeof e->plog_topic, "%s", plog);
    else
        snprintf(e->plog_topic, sizeof e->plog_topic, "%sksql_processing_log", e->service_id);
    snprintf(e->cmd_topic, sizeof e->cmd_topic, "_confluent-ksql-%s_command_topic", e->service_id);
    *out = e;
    return SL_OK;
}

sl_err_t sl_sql_engine_new_local(const char *props, int64_t start_ms, sl_sql_engine_t **out, sl_sql_error_t *err)
{
    sl_sql_pos_t nopos = {0, 0};
    char errbuf[512] = "";
    sl_sql_engine_t *e = NULL;
    *out = NULL;
    sl_err_t r = engine_alloc(props, true, &e, err);
    if (!r) {
        e->clock_ms = start_ms;
        r = sl_sql_rt_local_new(props, start_ms, &e->rt, errbuf, sizeof errbuf);
        if (r)
            sl_sql_error_set(err, r, nopos, "%s", errbuf);
    }
    if (r) {
        sl_sql_engine_free(e);
        return r;
    }
    *out = e;
    return SL_OK;
}

sl_err_t sl_sql_engine_new(const char *props, sl_sql_engine_t **out, sl_sql_error_t *err)
{
    sl_sql_pos_t nopos = {0, 0};
    char errbuf[512] = "";
    sl_sql_engine_t *e = NULL;
    *out = NULL;
    sl_err_t r = engine_alloc(props, false, &e, err);
    if (!r) {
        r = sl_sql_rt_cluster_new(props, &e->rt, errbuf, sizeof errbuf);
        if (r)
            sl_sql_error_set(err, r, nopos, "%s", errbuf);
    }
    if (!r) {
        /* The processing log exists before any query may write to it. */
        sl_err_t c = e->rt->ops->topic_create(e->rt, e->plog_topic, 1, -1, NULL);
        if (c && c != SL_ERR_EXISTS && c != SL_ERR_TOPIC_ALREADY_EXISTS)
            SL_WARN("sql", "processing log topic %s: %s", e->plog_topic, sl_err_name(c));
        pthread_mutex_lock(&e->lock);
        r = sl_sql_cmdlog_open(e, err);
        pthread_mutex_unlock(&e->lock);
    }
    if (!r)
        r = sl_sql_cmdlog_start(e);
    if (r) {
        sl_sql_engine_free(e);
        return r;
    }
    *out = e;
    return SL_OK;
}

void sl_sql_engine_free(sl_sql_engine_t *e)
{
    if (!e)
        return;
    sl_sql_cmdlog_stop(e);
    sl_list_t *pos, *tmp;
    sl_list_foreach_safe(pos, tmp, &e->queries) {
        sl_sql_pquery_stop(e, sl_container_of(pos, sl_sql_pquery_t, link), false);
    }
    if (e->rt)
        e->rt->ops->free(e->rt);
    sl_sql_catalog_free(e->catalog);
    sl_props_free(e->config);
    sl_props_free(e->session);
    sl_map_fini(&e->cursors, free);
    sl_map_fini(&e->topic_codecs, sl_sql_topic_codecs_free);
    sl_arena_fini(&e->scratch);
    sl_buf_free(&e->kbuf);
    sl_buf_free(&e->vbuf);
    pthread_cond_destroy(&e->cmd_cv);
    pthread_mutex_destroy(&e->cmd_mu);
    pthread_mutex_destroy(&e->lock);
    free(e);
}

/* ---------------------------------------------------------------------------
 * The registry of persistent queries
 * ------------------------------------------------------------------------- */

sl_sql_pquery_t *sl_sql_pquery_find(sl_sql_engine_t *e, const char *id)
{
    sl_list_t *pos, *tmp;
    sl_list_foreach_safe(pos, tmp, &e->queries) {
        sl_sql_pquery_t *q = sl_container_of(pos, sl_sql_pquery_t, link);
        if (strcasecmp(q->id, id) == 0)
            return q;
    }
    return NULL;
}

sl_sql_pquery_t *sl_sql_pquery_writer(sl_sql_engine_t *e, const char *name)
{
    sl_list_t *pos, *tmp;
    sl_list_foreach_safe(pos, tmp, &e->queries) {
        sl_sql_pquery_t *q = sl_container_of(pos, sl_sql_pquery_t, link);
        if (!q->insert && q->sink && strcmp(q->sink, name) == 0)
            return q;
    }
    return NULL;
}

void sl_sql_pquery_stop(sl_sql_engine_t *e, sl_sql_pquery_t *q, bool cleanup)
{
    if (q->rq)
        e->rt->ops->query_stop(e->rt, q->rq, cleanup);
    if (q->link.next)
        sl_list_remove(&q->link);
    sl_topology_free(q->topo);
    sl_arena_fini(&q->arena);
    free(q);
}

void sl_sql_engine_lower_env(sl_sql_engine_t *e, sl_arena_t *arena, sl_sql_lower_env_t *env)
{
    memset(env, 0, sizeof *env);
    env->arena = arena;
    /* a local engine's queries run in test drivers, one partition per
     * topic: no repartition is needed after a key change */
    env->single_partition = e->local;
    env->processing_log_topic = e->plog_topic;
    env->processing_errors = &e->processing_errors;
}

void sl_sql_engine_app_id(const sl_sql_engine_t *e, const char *query_id, char *buf, size_t len)
{
    snprintf(buf, len, "_confluent-ksql-%squery_%s", e->service_id, query_id);
}

struct topic_find {
    const char *topic;
    const sl_sql_source_t *found;
};

static bool topic_find_fn(const sl_sql_source_t *src, void *arg)
{
    struct topic_find *f = arg;
    if (src->topic && strcmp(src->topic, f->topic) == 0) {
        f->found = src;
        return false;
    }
    return true;
}

const sl_sql_source_t *sl_sql_engine_source_on_topic(sl_sql_engine_t *e, const char *topic)
{
    struct topic_find f = {topic, NULL};
    sl_sql_catalog_each(e->catalog, topic_find_fn, &f);
    return f.found;
}

sl_err_t sl_sql_source_codecs(sl_arena_t *arena, const sl_sql_source_t *src, const sl_sql_codec_t **key,
                              const sl_sql_codec_t **value, char *errbuf, size_t errlen)
{
    sl_err_t r = sl_sql_schema_codec(arena, &src->key_fmt, &src->schema, true, key, errbuf, errlen);
    if (r)
        return r;
    return sl_sql_schema_codec(arena, &src->value_fmt, &src->schema, false, value, errbuf, errlen);
}

/* ---------------------------------------------------------------------------
 * Properties
 * ------------------------------------------------------------------------- */

static const char *json_prop(sl_sql_exec_t *x, const char *key)
{
    if (!x->req_props || !json_is_object(x->req_props))
        return NULL;
    json_t *v = json_object_get(x->req_props, key);
    if (!v)
        return NULL;
    char buf[64];
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v))
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, sizeof buf, "%.17g", json_real_value(v));
    else if (json_is_boolean(v))
        snprintf(buf, sizeof buf, "%s", json_is_true(v) ? "true" : "false");
    else
        return NULL;
    return sl_arena_strndup(x->arena, buf, strlen(buf));
}

static const char *prop_once(sl_sql_exec_t *x, const char *key)
{
    const char *v = json_prop(x, key);
    if (!v)
        v = sl_props_get(x->e->session, key);
    if (!v)
        v = sl_props_get(x->e->config, key);
    return v;
}

const char *sl_sql_exec_prop(sl_sql_exec_t *x, const char *key)
{
    static const char *const prefixes[] = {"", "ksql.streams.", "sql.streams.", "ksql."};
    char buf[256];
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        snprintf(buf, sizeof buf, "%s%s", prefixes[i], key);
        const char *v = prop_once(x, buf);
        if (v)
            return v;
    }
    return NULL;
}

const char *sl_sql_exec_prop_cb(const char *key, void *arg)
{
    return sl_sql_exec_prop(arg, key);
}

void sl_sql_exec_bind_env(sl_sql_exec_t *x, sl_arena_t *arena, const char *query_id, sl_sql_bind_env_t *env)
{
    memset(env, 0, sizeof *env);
    env->catalog = x->e->catalog;
    env->arena = arena;
    env->query_id = query_id;
    env->prop = sl_sql_exec_prop_cb;
    env->prop_arg = x;
    env->default_partitions = 1;
}

static void streams_props_from(sl_buf_t *b, const sl_props_t *p)
{
    static const char *const prefixes[] = {"ksql.streams.", "sql.streams."};
    for (size_t i = 0; p && i < sl_props_count(p); i++) {
        const char *k, *v;
        sl_props_at(p, i, &k, &v, NULL);
        for (size_t j = 0; j < 2; j++) {
            size_t n = strlen(prefixes[j]);
            if (strncmp(k, prefixes[j], n) == 0 && k[n]) {
                sl_buf_put(b, k + n, strlen(k + n));
                sl_buf_put(b, "=", 1);
                sl_buf_put(b, v, strlen(v));
                sl_buf_put(b, "\n", 1);
            }
        }
    }
}

char *sl_sql_exec_streams_props(sl_sql_exec_t *x)
{
    sl_buf_t b;
    sl_buf_init(&b);
    streams_props_from(&b, x->e->config);
    streams_props_from(&b, x->e->session);
    if (x->req_props && json_is_object(x->req_props)) {
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)x->req_props, k, v) {
            if (strncmp(k, "ksql.streams.", 13) != 0 && strncmp(k, "sql.streams.", 12) != 0)
                continue;
            const char *s = json_prop(x, k);
            const char *bare = k[0] == 'k' ? k + 13 : k + 12;
            if (s && *bare) {
                sl_buf_put(&b, bare, strlen(bare));
                sl_buf_put(&b, "=", 1);
                sl_buf_put(&b, s, strlen(s));
                sl_buf_put(&b, "\n", 1);
            }
        }
    }
    const char *reset = sl_sql_exec_prop(x, "auto.offset.reset");
    if (reset) {
        sl_buf_put(&b, "auto.offset.reset=", 18);
        sl_buf_put(&b, reset, strlen(reset));
        sl_buf_put(&b, "\n", 1);
    }
    sl_buf_put(&b, "", 1);
    if (sl_buf_err(&b)) {
        sl_buf_free(&b);
        return NULL;
    }
    size_t len;
    return (char *)sl_buf_detach(&b, &len);
}

/* ---------------------------------------------------------------------------
 * Entities
 * ------------------------------------------------------------------------- */

json_t *sl_sql_status_entity(const char *text, const char *command_id, const char *message, const char *query_id,
                             int64_t seq)
{
    return json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:o}, s:I, s:[]}", "@type", "currentStatus", "statementText",
                     text ? text : "", "commandId", command_id ? command_id : "", "commandStatus", "status",
                     "SUCCESS", "message", message ? message : "", "queryId",
                     query_id ? json_string(query_id) : json_null(), "commandSequenceNumber", (json_int_t)seq,
                     "warnings");
}

sl_err_t sl_sql_exec_entity(sl_sql_exec_t *x, json_t *entity)
{
    sl_sql_pos_t nopos = {0, 0};
    if (!entity || json_array_append_new(x->out, entity) != 0)
        return sl_sql_error_set(x->err, SL_ERR_NOMEM, nopos, "out of memory");
    return SL_OK;
}

/* ---------------------------------------------------------------------------
 * Executing statements
 * ------------------------------------------------------------------------- */

static bool recorded_kind(sl_sql_stmt_kind_t k)
{
    switch (k) {
    case SL_SQL_S_CREATE_STREAM:
    case SL_SQL_S_CREATE_TABLE:
    case SL_SQL_S_CREATE_STREAM_AS:
    case SL_SQL_S_CREATE_TABLE_AS:
    case SL_SQL_S_INSERT_INTO:
    case SL_SQL_S_DROP:
    case SL_SQL_S_TERMINATE:
        return true;
    default:
        return false;
    }
}

sl_err_t sl_sql_exec_stmt(sl_sql_exec_t *x)
{
    const sl_sql_stmt_t *s = x->stmt;
    sl_err_t r;
    x->record = false;
    x->made_query_id = NULL;
    x->e->catalog_gen++;
    switch (s->kind) {
    case SL_SQL_S_CREATE_STREAM:
    case SL_SQL_S_CREATE_TABLE:
        r = sl_sql_exec_create(x);
        break;
    case SL_SQL_S_CREATE_STREAM_AS:
    case SL_SQL_S_CREATE_TABLE_AS:
    case SL_SQL_S_INSERT_INTO:
        r = sl_sql_exec_create_as(x);
        break;
    case SL_SQL_S_INSERT_VALUES:
        r = sl_sql_exec_insert_values(x);
        break;
    case SL_SQL_S_SELECT:
        r = sl_sql_error_set(x->err, SL_ERR_INVAL, s->pos,
                             "SELECT statements are queries: run them through the query endpoint "
                             "(/query-stream), not as statements");
        break;
    case SL_SQL_S_SHOW:
        r = sl_sql_exec_show(x);
        break;
    case SL_SQL_S_DESCRIBE:
        r = sl_sql_exec_describe(x);
        break;
    case SL_SQL_S_DESCRIBE_FUNCTION:
        r = sl_sql_exec_describe_function(x);
        break;
    case SL_SQL_S_EXPLAIN:
        r = sl_sql_exec_explain(x);
        break;
    case SL_SQL_S_DROP:
        r = sl_sql_exec_drop(x);
        break;
    case SL_SQL_S_TERMINATE:
        r = sl_sql_exec_terminate(x);
        break;
    case SL_SQL_S_SET:
        r = sl_sql_exec_set(x);
        break;
    case SL_SQL_S_UNSET:
        r = sl_sql_exec_unset(x);
        break;
    case SL_SQL_S_PRINT:
        r = sl_sql_exec_print(x);
        break;
    case SL_SQL_S_RUN_SCRIPT:
        r = sl_sql_exec_run_script(x);
        break;
    default:
        r = sl_sql_error_set(x->err, SL_ERR_UNSUPPORTED, s->pos, "statement not supported");
        break;
    }
    if (r)
        return r;
    if (recorded_kind(s->kind) && x->record) {
        x->e->seq++;
        if (!x->e->local && !x->replay) {
            r = sl_sql_cmdlog_record(x, s->text, x->made_query_id);
            if (r)
                return r;
        }
    }
    return SL_OK;
}

sl_err_t sl_sql_exec_text(sl_sql_exec_t *x, const char *text, size_t len)
{
    sl_arena_t arena;
    sl_arena_init(&arena, 16384, 0);
    const sl_sql_stmt_t *saved_stmt = x->stmt;
    sl_arena_t *saved_arena = x->arena;
    sl_sql_list_t *stmts = NULL;
    sl_err_t r = sl_sql_parse(&arena, text, len, &stmts, x->err);
    for (uint32_t i = 0; !r && stmts && i < stmts->n; i++) {
        x->stmt = stmts->items[i];
        x->arena = &arena;
        r = sl_sql_exec_stmt(x);
        if (r && x->err && !x->err->statement[0] && x->stmt->text)
            snprintf(x->err->statement, sizeof x->err->statement, "%s", x->stmt->text);
    }
    x->stmt = saved_stmt;
    x->arena = saved_arena;
    sl_arena_fini(&arena);
    return r;
}

sl_err_t sl_sql_execute(sl_sql_engine_t *e, const char *text, const struct json_t *props, struct json_t **out,
                        sl_sql_error_t *err)
{
    sl_sql_pos_t nopos = {0, 0};
    *out = NULL;
    if (err)
        memset(err, 0, sizeof *err);
    if (!text)
        return sl_sql_error_set(err, SL_ERR_INVAL, nopos, "no statement");
    json_t *arr = json_array();
    if (!arr)
        return sl_sql_error_set(err, SL_ERR_NOMEM, nopos, "out of memory");
    pthread_mutex_lock(&e->lock);
    if (!e->local)
        sl_sql_cmdlog_poll(e);
    sl_sql_exec_t x = {0};
    x.e = e;
    x.req_props = props;
    x.out = arr;
    x.err = err;
    sl_err_t r = sl_sql_exec_text(&x, text, strlen(text));
    pthread_mutex_unlock(&e->lock);
    if (r) {
        json_decref(arr);
        return r;
    }
    *out = arr;
    return SL_OK;
}

int64_t sl_sql_processing_errors(const sl_sql_engine_t *e)
{
    return __atomic_load_n(&e->processing_errors, __ATOMIC_RELAXED);
}
