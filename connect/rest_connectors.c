/*
 * rest_connectors.c - the /connectors routes of the REST service over the
 * public sl_connect_worker_* calls, with Kafka Connect's JSON shapes:
 * ConnectorInfo {"name","config","tasks":[{"connector","task"}],"type"},
 * ConnectorStateInfo {"name","connector":{"state","worker_id"},"tasks":
 * [{"id","state","worker_id"}],"type"} ("trace" when FAILED), TaskInfo
 * {"id":{"connector","task"},"config"}, and its status codes (201 created,
 * 202 accepted, 204 no content, 400 with Kafka's "Connector configuration
 * is invalid ..." sentence, 404, 409).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rest_int.h"

#define REST_ARENA_LIMIT (64u * 1024 * 1024)

/* ---- shapes -------------------------------------------------------------- */

static json_t *state_json(const sl_connect_state_t *s, int task)
{
    json_t *o = task >= 0 ? json_pack("{s:i}", "id", task) : json_object();
    if (!o)
        return NULL;
    if (json_object_set_new(o, "state", json_string(s->state ? s->state : "UNASSIGNED")) ||
        json_object_set_new(o, "worker_id", json_string(s->worker_id ? s->worker_id : "")) ||
        (s->trace && json_object_set_new(o, "trace", rest_text(s->trace)))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *status_json(const sl_connect_status_t *st)
{
    json_t *tasks = json_array();
    for (size_t i = 0; tasks && i < st->task_count; i++) {
        if (json_array_append_new(tasks, state_json(&st->tasks[i], (int)i)) != 0) {
            json_decref(tasks);
            tasks = NULL;
        }
    }
    return json_pack("{s:s, s:o, s:o, s:s}", "name", st->name, "connector", state_json(&st->connector, -1),
                     "tasks", tasks, "type", st->type ? st->type : "unknown");
}

/* "source", "sink" or Kafka's "unknown" for a connector's config. */
static const char *type_of(sl_connect_worker_t *w, const sl_props_t *config)
{
    const char *cls = config ? sl_props_get(config, "connector.class") : NULL;
    const sl_connect_plugin_t *pl = cls ? sl_connect_plugins_find(sl_connect_worker_plugins(w), cls) : NULL;
    if (!pl)
        return "unknown";
    return pl->kind == SL_CONNECT_SOURCE ? "source" : "sink";
}

/* ConnectorInfo of connector name. NULL with *rc set (SL_ERR_NOENT: gone). */
static json_t *info_json(sl_connect_worker_t *w, const char *name, sl_err_t *rc)
{
    sl_props_t *config = NULL;
    *rc = sl_connect_worker_config(w, name, &config);
    if (*rc)
        return NULL;
    sl_arena_t a;
    sl_arena_init(&a, 0, REST_ARENA_LIMIT);
    sl_connect_task_config_t *tasks = NULL;
    size_t n = 0;
    /* Tasks not created yet (or a connector that failed to split) list
     * none, as Kafka's ConnectorInfo does. */
    if (sl_connect_worker_tasks(w, name, &a, &tasks, &n) != SL_OK)
        n = 0;
    json_t *ids = json_array();
    for (size_t i = 0; ids && i < n; i++) {
        if (json_array_append_new(ids, json_pack("{s:s, s:i}", "connector", name, "task", tasks[i].task))) {
            json_decref(ids);
            ids = NULL;
        }
    }
    json_t *info = json_pack("{s:s, s:o, s:o, s:s}", "name", name, "config", rest_props_json(config), "tasks",
                             ids, "type", type_of(w, config));
    sl_arena_fini(&a);
    sl_props_free(config);
    if (!info)
        *rc = SL_ERR_NOMEM;
    return info;
}

/* ---- failures --------------------------------------------------------------- */

/* A refused config, as Kafka words it: every problem validation finds, one
 * a line; the worker's own sentence when validation finds none (an
 * unknown connector.class, a name that does not match). */
static void fail_config(const rest_req_t *rq, const sl_props_t *config, const char *err, rest_reply_t *out)
{
    const char *cls = sl_props_get(config, "connector.class");
    sl_arena_t a;
    sl_arena_init(&a, 0, REST_ARENA_LIMIT);
    sl_connect_validation_t v;
    memset(&v, 0, sizeof v);
    char *msg = NULL;
    size_t mlen = 0;
    if (cls && sl_connect_worker_validate(rq->worker, cls, config, &a, &v) == SL_OK && v.error_count > 0) {
        FILE *f = open_memstream(&msg, &mlen);
        if (f) {
            fprintf(f, "Connector configuration is invalid and contains the following %zu error(s):",
                    v.error_count);
            for (size_t i = 0; i < v.count; i++)
                for (size_t k = 0; k < v.configs[i].error_count; k++)
                    fprintf(f, "\n%s", v.configs[i].errors[k]);
            fprintf(f, "\nYou can also find the above list of errors at the endpoint "
                       "`/connector-plugins/{connectorType}/config/validate`");
            fclose(f);
        }
    }
    if (msg)
        rest_fail(out, 400, "%s", msg);
    else
        rest_fail_worker(out, SL_ERR_CONFIG, "", err);
    free(msg);
    sl_arena_fini(&a);
}

/* Kafka's check of the name inside a config against the one in the URL;
 * puts name in when the config has none. false after answering. */
static bool check_name(const char *name, sl_props_t *config, rest_reply_t *out)
{
    const char *inner = sl_props_get(config, "name");
    if (inner && strcmp(inner, name) != 0) {
        rest_fail(out, 400, "Connector name configuration (%s) doesn't match connector name in the URL (%s)", inner,
                  name);
        return false;
    }
    if (!inner && sl_props_set(config, "name", name, 0) != SL_OK) {
        rest_fail(out, 500, "out of memory");
        return false;
    }
    return true;
}

/* Answers a put or add: code (201 or 200) with the ConnectorInfo, or the
 * failure. */
static void answer_put(const rest_req_t *rq, const char *name, const sl_props_t *config, sl_err_t rc,
                       const char *err, unsigned code, rest_reply_t *out)
{
    if (rc == SL_ERR_CONFIG) {
        fail_config(rq, config, err, out);
        return;
    }
    if (rc) {
        rest_fail_worker(out, rc, name, err);
        return;
    }
    json_t *info = info_json(rq->worker, name, &rc);
    if (!info) {
        rest_fail_worker(out, rc, name, "");
        return;
    }
    rest_ok(out, code, info);
    if (code == 201)
        rest_set_location(out, name);
}

/* ---- GET and POST /connectors ------------------------------------------------ */

void rest_connectors_list(const rest_req_t *rq, rest_reply_t *out)
{
    sl_arena_t a;
    sl_arena_init(&a, 0, REST_ARENA_LIMIT);
    const char **names = NULL;
    size_t n = 0;
    sl_err_t rc = sl_connect_worker_list(rq->worker, &a, &names, &n);
    if (rc) {
        rest_fail_worker(out, rc, "", "");
        sl_arena_fini(&a);
        return;
    }
    bool status = rest_query_has(rq, "expand", "status");
    bool info = rest_query_has(rq, "expand", "info");
    char *expand = rest_query(rq, "expand");
    json_t *res = expand ? json_object() : json_array();
    free(expand);
    rc = res ? SL_OK : SL_ERR_NOMEM;
    for (size_t i = 0; rc == SL_OK && i < n; i++) {
        if (json_is_array(res)) {
            rc = json_array_append_new(res, json_string(names[i])) ? SL_ERR_NOMEM : SL_OK;
            continue;
        }
        /* Kafka answers an object per connector, holding the expansions
         * asked for (unknown ones ignored); a connector deleted meanwhile
         * is left out. */
        json_t *one = json_object();
        if (!one || json_object_set_new(res, names[i], one)) {
            rc = SL_ERR_NOMEM;
            break;
        }
        if (status) {
            sl_connect_status_t st;
            rc = sl_connect_worker_status(rq->worker, names[i], &a, &st);
            if (rc == SL_OK && json_object_set_new(one, "status", status_json(&st)))
                rc = SL_ERR_NOMEM;
        }
        if (info && rc == SL_OK) {
            json_t *ij = info_json(rq->worker, names[i], &rc);
            if (ij && json_object_set_new(one, "info", ij))
                rc = SL_ERR_NOMEM;
        }
        if (rc == SL_ERR_NOENT) {
            json_object_del(res, names[i]);
            rc = SL_OK;
        } else if (rc) {
            rest_fail_worker(out, rc, names[i], "");
        }
    }
    sl_arena_fini(&a);
    if (rc == SL_OK)
        rest_ok(out, 200, res);
    else
        json_decref(res);
    if (rc == SL_ERR_NOMEM)
        rest_fail(out, 500, "out of memory");
}

void rest_connectors_create(const rest_req_t *rq, rest_reply_t *out)
{
    json_t *body = rest_body_object(rq, out);
    if (!body)
        return;
    const json_t *jname = json_object_get(body, "name");
    const json_t *jconfig = json_object_get(body, "config");
    const json_t *jstate = json_object_get(body, "initial_state");
    sl_props_t *config = NULL;
    if (jname && !json_is_string(jname) && !json_is_null(jname)) {
        rest_fail(out, 400, "\"name\" must be a string");
    } else if (jstate && !json_is_null(jstate) &&
               (!json_is_string(jstate) || strcasecmp(json_string_value(jstate), "RUNNING") != 0)) {
        /* KIP-980's PAUSED and STOPPED would need the worker to create a
         * connector without starting it. */
        const char *st = json_string_value(jstate);
        if (st && (strcasecmp(st, "PAUSED") == 0 || strcasecmp(st, "STOPPED") == 0))
            rest_fail(out, 400, "initial_state %s is not supported: connectors are created RUNNING", st);
        else
            rest_fail(out, 400, "Invalid initial_state: expected RUNNING, PAUSED or STOPPED");
    } else if (!jconfig || json_is_null(jconfig)) {
        rest_fail(out, 400, "The request has no \"config\": expected {\"name\": ..., \"config\": {...}}");
    } else if ((config = rest_json_props(jconfig, "config", out)) != NULL) {
        /* Kafka trims the name given beside the config. */
        const char *raw = json_is_string(jname) ? json_string_value(jname) : "";
        raw += strspn(raw, " \t\r\n");
        size_t len = strlen(raw);
        while (len && strchr(" \t\r\n", raw[len - 1]))
            len--;
        char *name = strndup(raw, len);
        if (!name) {
            rest_fail(out, 500, "out of memory");
        } else if (check_name(name, config, out)) {
            char err[1024] = "";
            sl_err_t rc = sl_connect_worker_add(rq->worker, config, err, sizeof err);
            answer_put(rq, name, config, rc, err, 201, out);
        }
        free(name);
    }
    sl_props_free(config);
    json_decref(body);
}

/* ---- /connectors/{name} ------------------------------------------------------- */

void rest_connector_info(const rest_req_t *rq, rest_reply_t *out)
{
    sl_err_t rc;
    json_t *info = info_json(rq->worker, rq->seg[1], &rc);
    if (!info)
        rest_fail_worker(out, rc, rq->seg[1], "");
    else
        rest_ok(out, 200, info);
}

void rest_connector_delete(const rest_req_t *rq, rest_reply_t *out)
{
    char err[1024] = "";
    sl_err_t rc = sl_connect_worker_delete(rq->worker, rq->seg[1], err, sizeof err);
    if (rc)
        rest_fail_worker(out, rc, rq->seg[1], err);
    else
        rest_ok(out, 204, NULL);
}

void rest_connector_config_get(const rest_req_t *rq, rest_reply_t *out)
{
    sl_props_t *config = NULL;
    sl_err_t rc = sl_connect_worker_config(rq->worker, rq->seg[1], &config);
    if (rc)
        rest_fail_worker(out, rc, rq->seg[1], "");
    else
        rest_ok(out, 200, rest_props_json(config));
    sl_props_free(config);
}

void rest_connector_config_put(const rest_req_t *rq, rest_reply_t *out)
{
    const char *name = rq->seg[1];
    json_t *body = rest_body_object(rq, out);
    if (!body)
        return;
    sl_props_t *config = rest_json_props(body, "config", out);
    if (config && check_name(name, config, out)) {
        char err[1024] = "";
        bool created = false;
        sl_err_t rc = sl_connect_worker_put(rq->worker, name, config, &created, err, sizeof err);
        answer_put(rq, name, config, rc, err, created ? 201 : 200, out);
    }
    sl_props_free(config);
    json_decref(body);
}

void rest_connector_status(const rest_req_t *rq, rest_reply_t *out)
{
    sl_arena_t a;
    sl_arena_init(&a, 0, REST_ARENA_LIMIT);
    sl_connect_status_t st;
    sl_err_t rc = sl_connect_worker_status(rq->worker, rq->seg[1], &a, &st);
    if (rc)
        rest_fail_worker(out, rc, rq->seg[1], "");
    else
        rest_ok(out, 200, status_json(&st));
    sl_arena_fini(&a);
}

void rest_connector_tasks(const rest_req_t *rq, rest_reply_t *out)
{
    const char *name = rq->seg[1];
    sl_arena_t a;
    sl_arena_init(&a, 0, REST_ARENA_LIMIT);
    sl_connect_task_config_t *tasks = NULL;
    size_t n = 0;
    sl_err_t rc = sl_connect_worker_tasks(rq->worker, name, &a, &tasks, &n);
    if (rc) {
        rest_fail_worker(out, rc, name, "");
        sl_arena_fini(&a);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        json_t *t = json_pack("{s:{s:s, s:i}, s:o}", "id", "connector", name, "task", tasks[i].task, "config",
                              rest_pairs_json(tasks[i].keys, tasks[i].values, tasks[i].count));
        if (json_array_append_new(arr, t)) {
            json_decref(arr);
            arr = NULL;
        }
    }
    rest_ok(out, 200, arr);
    sl_arena_fini(&a);
}

void rest_connector_restart(const rest_req_t *rq, rest_reply_t *out)
{
    const char *name = rq->seg[1];
    bool include_tasks = rest_query_bool(rq, "includeTasks");
    bool only_failed = rest_query_bool(rq, "onlyFailed");
    char err[1024] = "";
    sl_err_t rc = sl_connect_worker_restart(rq->worker, name, include_tasks, only_failed, err, sizeof err);
    if (rc) {
        rest_fail_worker(out, rc, name, err);
        return;
    }
    /* Kafka: the connector alone answers 204 without a body (as before
     * KIP-745); with includeTasks or onlyFailed, 202 and the status. */
    if (!include_tasks && !only_failed) {
        rest_ok(out, 204, NULL);
        return;
    }
    rest_connector_status(rq, out);
    if (out->status == 200)
        out->status = 202;
}

static void set_paused(const rest_req_t *rq, bool paused, rest_reply_t *out)
{
    char err[1024] = "";
    sl_err_t rc = paused ? sl_connect_worker_pause(rq->worker, rq->seg[1], err, sizeof err)
                         : sl_connect_worker_resume(rq->worker, rq->seg[1], err, sizeof err);
    if (rc)
        rest_fail_worker(out, rc, rq->seg[1], err);
    else
        rest_ok(out, 202, NULL);
}

void rest_connector_pause(const rest_req_t *rq, rest_reply_t *out)
{
    set_paused(rq, true, out);
}

void rest_connector_resume(const rest_req_t *rq, rest_reply_t *out)
{
    set_paused(rq, false, out);
}

/* ---- /connectors/{name}/tasks/{id} ------------------------------------------- */

void rest_task_status(const rest_req_t *rq, rest_reply_t *out)
{
    sl_arena_t a;
    sl_arena_init(&a, 0, REST_ARENA_LIMIT);
    sl_connect_status_t st;
    sl_err_t rc = sl_connect_worker_status(rq->worker, rq->seg[1], &a, &st);
    if (rc == SL_ERR_NOENT || (rc == SL_OK && (rq->task < 0 || (size_t)rq->task >= st.task_count)))
        rest_fail(out, 404, "No status found for task %s-%d", rq->seg[1], rq->task);
    else if (rc)
        rest_fail_worker(out, rc, rq->seg[1], "");
    else
        rest_ok(out, 200, state_json(&st.tasks[rq->task], rq->task));
    sl_arena_fini(&a);
}

void rest_task_restart(const rest_req_t *rq, rest_reply_t *out)
{
    const char *name = rq->seg[1];
    char err[1024] = "";
    sl_err_t rc = sl_connect_worker_restart_task(rq->worker, name, rq->task, err, sizeof err);
    if (rc == SL_ERR_NOENT) {
        sl_props_t *config = NULL;
        if (sl_connect_worker_config(rq->worker, name, &config) == SL_OK)
            rest_fail(out, 404, "Task %s-%d not found", name, rq->task);
        else
            rest_fail_worker(out, rc, name, err);
        sl_props_free(config);
    } else if (rc) {
        rest_fail_worker(out, rc, name, err);
    } else {
        rest_ok(out, 204, NULL);
    }
}
