/*
 * cmd_connect.c - `sluice connect`: a client of a Connect worker's REST API
 * (Kafka Connect's): list, create, update, config, status, tasks, pause,
 * resume, restart, delete, plugins, validate. --server names the worker (else
 * $SLUICE_CONNECT_SERVER, else http://localhost:8083); --output table (the
 * default) prints for people, --output json (or --json) what the worker
 * answered. A refusal prints the worker's message and exits 1. Connector
 * configs come from -f FILE (.properties, or JSON: a flat object of
 * settings or {"name":..,"config":{..}} as Kafka's tools take) or --config
 * JSON.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "sluice.h"

/* Kafka's REST request timeout: a distributed worker may answer only after
 * its config topic did. */
#define CONNECT_TIMEOUT_MS 90000

typedef struct connect_cli {
    sluice_ctx_t *ctx;
    const char *server;
    bool json;
    int timeout_ms;
} connect_cli_t;

/* ---- requests ----------------------------------------------------------------- */

/* prefix + name URL-encoded + suffix, malloc'ed. */
static char *path_for(const char *prefix, const char *name, const char *suffix)
{
    size_t n = strlen(prefix) + 3 * strlen(name) + strlen(suffix) + 1;
    char *p = malloc(n);
    if (!p)
        return NULL;
    size_t w = (size_t)snprintf(p, n, "%s", prefix);
    for (const unsigned char *s = (const unsigned char *)name; *s; s++) {
        if (isalnum(*s) || strchr("-._~", *s))
            p[w++] = (char)*s;
        else
            w += (size_t)snprintf(p + w, n - w, "%%%02X", *s);
    }
    snprintf(p + w, n - w, "%s", suffix);
    return p;
}

/* Sends method path with body (NULL: none). On a 2xx answer returns
 * SLUICE_OK with *out the parsed body (NULL when empty; out may be NULL)
 * and *status the code; otherwise prints the worker's message (or why it
 * could not be reached) and returns SLUICE_FAILED. */
static int call(connect_cli_t *cli, const char *method, const char *path, const char *body, json_t **out,
                int *status)
{
    if (out)
        *out = NULL;
    if (!path) {
        sluice_err("out of memory");
        return SLUICE_FAILED;
    }
    sluice_http_t h = {.interrupted = NULL};
    char *resp = NULL;
    if (sluice_http_request(&h, method, cli->server, path, "application/json", body, cli->timeout_ms))
        resp = sluice_http_body(&h, cli->timeout_ms);
    int rc = SLUICE_OK;
    if (!resp) {
        sluice_err("%s: %s", cli->server, h.error);
        rc = SLUICE_FAILED;
    } else {
        json_error_t je;
        json_t *j = *resp ? json_loads(resp, JSON_DECODE_ANY, &je) : NULL;
        if (h.status < 200 || h.status > 299) {
            const char *m = json_string_value(json_object_get(j, "message"));
            if (m)
                sluice_err("%s", m);
            else
                sluice_err("the worker answered HTTP %d: %.300s", h.status, resp);
            rc = SLUICE_FAILED;
        } else if (*resp && !j) {
            sluice_err("the worker's answer is not JSON: %s", je.text);
            rc = SLUICE_FAILED;
        } else if (status) {
            *status = h.status;
        }
        if (rc == SLUICE_OK && out)
            *out = j;
        else
            json_decref(j);
    }
    free(resp);
    sluice_http_close(&h);
    return rc;
}

/* The server, output and timeout settings, and the positional count. */
static int setup(sluice_ctx_t *ctx, connect_cli_t *cli, size_t min_pos, size_t max_pos)
{
    cli->ctx = ctx;
    cli->server = sluice_arg(ctx->args, "server");
    if (!cli->server || !*cli->server)
        cli->server = getenv("SLUICE_CONNECT_SERVER");
    if (!cli->server || !*cli->server)
        cli->server = "http://localhost:8083";
    char host[256], port[16], why[128];
    if (!sluice_http_parse_url(cli->server, host, sizeof host, port, sizeof port, why, sizeof why))
        return sluice_usage(ctx, "--server %s: %s", cli->server, why);
    const char *o = sluice_arg(ctx->args, "output");
    if (o && strcmp(o, "json") != 0 && strcmp(o, "table") != 0)
        return sluice_usage(ctx, "--output wants table or json, not '%s'", o);
    cli->json = ctx->json || (o && strcmp(o, "json") == 0);
    cli->timeout_ms = sluice_arg(ctx->args, "timeout") ? ctx->timeout_ms : CONNECT_TIMEOUT_MS;
    if (ctx->args->npos < min_pos)
        return sluice_usage(ctx, "the connector's name is missing");
    if (ctx->args->npos > max_pos)
        return sluice_usage(ctx, "unexpected argument '%s'", ctx->args->pos[max_pos]);
    return SLUICE_OK;
}

/* ---- configs from the command line --------------------------------------------- */

static json_t *props_object(const sl_props_t *p)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < sl_props_count(p); i++) {
        const char *k, *v;
        sl_props_at(p, i, &k, &v, NULL);
        json_object_set_new(o, k, json_string(v));
    }
    return o;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* The connector config of -f FILE or --config JSON as a flat JSON object
 * (new reference), and the name given beside it (borrowed from *holder,
 * which the caller drops), or NULL after saying why. */
static json_t *read_config(connect_cli_t *cli, json_t **holder, const char **name, int *rc)
{
    const char *file = sluice_arg(cli->ctx->args, "file");
    const char *text = sluice_arg(cli->ctx->args, "config");
    *holder = NULL;
    *name = NULL;
    if ((file != NULL) == (text != NULL)) {
        *rc = sluice_usage(cli->ctx, "give the config with -f FILE or --config JSON (one of them)");
        return NULL;
    }
    json_t *top = NULL;
    *rc = SLUICE_FAILED;
    if (file && ends_with(file, ".properties")) {
        char err[512];
        sl_props_t *p = NULL;
        if (sl_props_load(file, &p, err, sizeof err) != SL_OK) {
            sluice_err("%s", err);
            return NULL;
        }
        top = props_object(p);
        sl_props_free(p);
    } else {
        json_error_t je;
        top = file ? json_load_file(file, 0, &je) : json_loads(text, 0, &je);
        if (!top) {
            if (file)
                sluice_err("%s:%d:%d: %s", file, je.line, je.column, je.text);
            else
                sluice_err("--config: not JSON: %s (column %d)", je.text, je.column);
            return NULL;
        }
    }
    if (!json_is_object(top)) {
        sluice_err("%s: expected a JSON object of settings or {\"name\": ..., \"config\": {...}}",
                   file ? file : "--config");
        json_decref(top);
        return NULL;
    }
    *holder = top;
    json_t *config = json_object_get(top, "config");
    if (json_is_object(config)) {
        *name = json_string_value(json_object_get(top, "name"));
    } else {
        config = top;
    }
    if (!*name)
        *name = json_string_value(json_object_get(config, "name"));
    *rc = SLUICE_OK;
    return json_incref(config);
}

static int print_json(const json_t *j)
{
    return j ? sluice_json_print(json_incref((json_t *)j)) : SLUICE_OK;
}

/* ---- printing ---------------------------------------------------------------- */

/* A trace's first line. */
static const char *first_line(const char *s, char *buf, size_t len)
{
    if (!s)
        return "";
    snprintf(buf, len, "%.*s", (int)strcspn(s, "\n"), s);
    return buf;
}

static void print_status(const json_t *st)
{
    const json_t *c = json_object_get(st, "connector");
    const char *trace = json_string_value(json_object_get(c, "trace"));
    char line[512];
    printf("Connector %s (%s): %s on %s%s%s\n", json_string_value(json_object_get(st, "name")),
           json_string_value(json_object_get(st, "type")), json_string_value(json_object_get(c, "state")),
           json_string_value(json_object_get(c, "worker_id")), trace ? ": " : "",
           first_line(trace, line, sizeof line));
    static const char *const heads[] = {"TASK", "STATE", "WORKER", "TRACE"};
    sluice_table_t t;
    sluice_table_init(&t, 4, heads);
    size_t i;
    const json_t *task;
    json_array_foreach(json_object_get(st, "tasks"), i, task) {
        sluice_table_cell(&t, "%lld", (long long)json_integer_value(json_object_get(task, "id")));
        sluice_table_cell(&t, "%s", json_string_value(json_object_get(task, "state")));
        sluice_table_cell(&t, "%s", json_string_value(json_object_get(task, "worker_id")));
        sluice_table_cell(&t, "%s", first_line(json_string_value(json_object_get(task, "trace")), line, sizeof line));
    }
    sluice_table_print(&t, stdout);
    sluice_table_free(&t);
}

/* ---- the commands -------------------------------------------------------------- */

static int do_list(sluice_ctx_t *ctx)
{
    connect_cli_t cli;
    int rc = setup(ctx, &cli, 0, 0);
    json_t *j = NULL;
    if (rc == SLUICE_OK)
        rc = call(&cli, "GET", "/connectors?expand=status&expand=info", NULL, &j, NULL);
    if (rc != SLUICE_OK || cli.json) {
        if (rc == SLUICE_OK)
            print_json(j);
        json_decref(j);
        return rc;
    }
    static const char *const heads[] = {"NAME", "TYPE", "STATE", "TASKS", "CLASS"};
    sluice_table_t t;
    sluice_table_init(&t, 5, heads);
    const char *name;
    const json_t *one;
    json_object_foreach(j, name, one) {
        const json_t *st = json_object_get(one, "status");
        const json_t *info = json_object_get(one, "info");
        char tasks[256] = "";
        size_t off = 0, i;
        const json_t *task;
        json_array_foreach(json_object_get(st, "tasks"), i, task) {
            if (off < sizeof tasks)
                off += (size_t)snprintf(tasks + off, sizeof tasks - off, "%s%s", i ? "," : "",
                                        json_string_value(json_object_get(task, "state")));
        }
        sluice_table_cell(&t, "%s", name);
        sluice_table_cell(&t, "%s", json_string_value(json_object_get(info, "type")));
        sluice_table_cell(&t, "%s", json_string_value(json_object_get(json_object_get(st, "connector"), "state")));
        sluice_table_cell(&t, "%s", tasks);
        sluice_table_cell(&t, "%s",
                          json_string_value(json_object_get(json_object_get(info, "config"), "connector.class")));
    }
    sluice_table_print(&t, stdout);
    sluice_table_free(&t);
    json_decref(j);
    return SLUICE_OK;
}

/* create: POST /connectors {"name","config"}; update: PUT
 * /connectors/NAME/config with the config (creating it when missing). */
static int send_config(sluice_ctx_t *ctx, bool create)
{
    connect_cli_t cli;
    int rc = setup(ctx, &cli, 0, 1);
    if (rc != SLUICE_OK)
        return rc;
    json_t *holder;
    const char *name;
    json_t *config = read_config(&cli, &holder, &name, &rc);
    if (!config)
        return rc;
    if (ctx->args->npos)
        name = ctx->args->pos[0];
    json_t *j = NULL;
    int status = 0;
    if (!name) {
        rc = sluice_usage(ctx, "the connector needs a name: a \"name\" setting or NAME on the command line");
    } else {
        json_t *req = create ? json_pack("{s:s, s:O}", "name", name, "config", config) : json_incref(config);
        char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
        json_decref(req);
        char *path = create ? strdup("/connectors") : path_for("/connectors/", name, "/config");
        rc = body ? call(&cli, create ? "POST" : "PUT", path, body, &j, &status) : SLUICE_FAILED;
        free(path);
        free(body);
    }
    size_t tasks = json_array_size(json_object_get(j, "tasks"));
    if (rc == SLUICE_OK && cli.json)
        print_json(j);
    else if (rc == SLUICE_OK)
        printf("%s connector %s (%s, %zu task%s)\n", status == 201 ? "Created" : "Updated",
               json_string_value(json_object_get(j, "name")), json_string_value(json_object_get(j, "type")), tasks,
               tasks == 1 ? "" : "s");
    json_decref(j);
    json_decref(config);
    json_decref(holder);
    return rc;
}

static int do_create(sluice_ctx_t *ctx)
{
    return send_config(ctx, true);
}

static int do_update(sluice_ctx_t *ctx)
{
    return send_config(ctx, false);
}

/* GET /connectors/NAME<suffix> into *j. */
static int get_named(sluice_ctx_t *ctx, connect_cli_t *cli, const char *suffix, json_t **j)
{
    int rc = setup(ctx, cli, 1, 1);
    if (rc != SLUICE_OK)
        return rc;
    char *path = path_for("/connectors/", ctx->args->pos[0], suffix);
    rc = call(cli, "GET", path, NULL, j, NULL);
    free(path);
    return rc;
}

static int do_config(sluice_ctx_t *ctx)
{
    connect_cli_t cli;
    json_t *j = NULL;
    int rc = get_named(ctx, &cli, "/config", &j);
    if (rc == SLUICE_OK && cli.json) {
        print_json(j);
    } else if (rc == SLUICE_OK) {
        static const char *const heads[] = {"KEY", "VALUE"};
        sluice_table_t t;
        sluice_table_init(&t, 2, heads);
        const char *k;
        const json_t *v;
        json_object_foreach(j, k, v) {
            sluice_table_cell(&t, "%s", k);
            sluice_table_cell(&t, "%s", json_string_value(v) ? json_string_value(v) : "");
        }
        sluice_table_print(&t, stdout);
        sluice_table_free(&t);
    }
    json_decref(j);
    return rc;
}

static int do_status(sluice_ctx_t *ctx)
{
    connect_cli_t cli;
    json_t *j = NULL;
    int rc = get_named(ctx, &cli, "/status", &j);
    if (rc == SLUICE_OK && cli.json)
        print_json(j);
    else if (rc == SLUICE_OK)
        print_status(j);
    json_decref(j);
    return rc;
}

static int do_tasks(sluice_ctx_t *ctx)
{
    connect_cli_t cli;
    json_t *j = NULL;
    int rc = get_named(ctx, &cli, "/tasks", &j);
    if (rc == SLUICE_OK && cli.json) {
        print_json(j);
    } else if (rc == SLUICE_OK) {
        static const char *const heads[] = {"TASK", "KEY", "VALUE"};
        sluice_table_t t;
        sluice_table_init(&t, 3, heads);
        size_t i;
        const json_t *task;
        json_array_foreach(j, i, task) {
            long long id = (long long)json_integer_value(json_object_get(json_object_get(task, "id"), "task"));
            const char *k;
            const json_t *v;
            json_object_foreach(json_object_get(task, "config"), k, v) {
                sluice_table_cell(&t, "%lld", id);
                sluice_table_cell(&t, "%s", k);
                sluice_table_cell(&t, "%s", json_string_value(v) ? json_string_value(v) : "");
            }
        }
        sluice_table_print(&t, stdout);
        sluice_table_free(&t);
    }
    json_decref(j);
    return rc;
}

/* PUT pause/resume, DELETE: no answer body; a sentence for people. */
static int bodyless(sluice_ctx_t *ctx, const char *method, const char *suffix, const char *done)
{
    connect_cli_t cli;
    int rc = setup(ctx, &cli, 1, 1);
    if (rc != SLUICE_OK)
        return rc;
    char *path = path_for("/connectors/", ctx->args->pos[0], suffix);
    rc = call(&cli, method, path, NULL, NULL, NULL);
    free(path);
    if (rc == SLUICE_OK && !cli.json)
        printf("%s connector %s\n", done, ctx->args->pos[0]);
    return rc;
}

static int do_pause(sluice_ctx_t *ctx)
{
    return bodyless(ctx, "PUT", "/pause", "Paused");
}

static int do_resume(sluice_ctx_t *ctx)
{
    return bodyless(ctx, "PUT", "/resume", "Resumed");
}

static int do_delete(sluice_ctx_t *ctx)
{
    return bodyless(ctx, "DELETE", "", "Deleted");
}

static int do_restart(sluice_ctx_t *ctx)
{
    connect_cli_t cli;
    int rc = setup(ctx, &cli, 1, 1);
    if (rc != SLUICE_OK)
        return rc;
    const char *name = ctx->args->pos[0];
    const char *task = sluice_arg(ctx->args, "task");
    bool include = sluice_flag(ctx->args, "include-tasks");
    bool failed = sluice_flag(ctx->args, "only-failed");
    int64_t id = 0;
    char suffix[128];
    if (task) {
        if (include || failed)
            return sluice_usage(ctx, "--task restarts one task: --include-tasks and --only-failed do not apply");
        if (!sluice_parse_i64(task, 0, INT32_MAX, &id))
            return sluice_usage(ctx, "--task wants a task number, not '%s'", task);
        snprintf(suffix, sizeof suffix, "/tasks/%lld/restart", (long long)id);
    } else {
        snprintf(suffix, sizeof suffix, "/restart?includeTasks=%s&onlyFailed=%s", include ? "true" : "false",
                 failed ? "true" : "false");
    }
    char *path = path_for("/connectors/", name, suffix);
    json_t *j = NULL;
    rc = call(&cli, "POST", path, NULL, &j, NULL);
    free(path);
    if (rc == SLUICE_OK && cli.json)
        print_json(j);
    else if (rc == SLUICE_OK && j)
        print_status(j);
    else if (rc == SLUICE_OK && task)
        printf("Restarted task %lld of connector %s\n", (long long)id, name);
    else if (rc == SLUICE_OK)
        printf("Restarted connector %s\n", name);
    json_decref(j);
    return rc;
}

static int do_plugins(sluice_ctx_t *ctx)
{
    connect_cli_t cli;
    int rc = setup(ctx, &cli, 0, 0);
    json_t *j = NULL;
    if (rc == SLUICE_OK)
        rc = call(&cli, "GET", sluice_flag(ctx->args, "all") ? "/connector-plugins?connectorsOnly=false"
                                                            : "/connector-plugins",
                  NULL, &j, NULL);
    if (rc == SLUICE_OK && cli.json) {
        print_json(j);
    } else if (rc == SLUICE_OK) {
        static const char *const heads[] = {"CLASS", "TYPE", "VERSION"};
        sluice_table_t t;
        sluice_table_init(&t, 3, heads);
        size_t i;
        const json_t *p;
        json_array_foreach(j, i, p) {
            sluice_table_cell(&t, "%s", json_string_value(json_object_get(p, "class")));
            sluice_table_cell(&t, "%s", json_string_value(json_object_get(p, "type")));
            sluice_table_cell(&t, "%s", json_string_value(json_object_get(p, "version")));
        }
        sluice_table_print(&t, stdout);
        sluice_table_free(&t);
    }
    json_decref(j);
    return rc;
}

static int do_validate(sluice_ctx_t *ctx)
{
    connect_cli_t cli;
    int rc = setup(ctx, &cli, 0, 1);
    if (rc != SLUICE_OK)
        return rc;
    json_t *holder;
    const char *name;
    json_t *config = read_config(&cli, &holder, &name, &rc);
    if (!config)
        return rc;
    const char *plugin = ctx->args->npos ? ctx->args->pos[0]
                                         : json_string_value(json_object_get(config, "connector.class"));
    json_t *j = NULL;
    if (!plugin) {
        rc = sluice_usage(ctx, "name the plugin: a \"connector.class\" setting or PLUGIN on the command line");
    } else {
        char *body = json_dumps(config, JSON_COMPACT);
        char *path = path_for("/connector-plugins/", plugin, "/config/validate");
        rc = body ? call(&cli, "PUT", path, body, &j, NULL) : SLUICE_FAILED;
        free(path);
        free(body);
    }
    json_int_t errors = json_integer_value(json_object_get(j, "error_count"));
    if (rc == SLUICE_OK && cli.json) {
        print_json(j);
    } else if (rc == SLUICE_OK) {
        static const char *const heads[] = {"KEY", "VALUE", "ERROR"};
        sluice_table_t t;
        sluice_table_init(&t, 3, heads);
        size_t i, k;
        const json_t *c, *e;
        json_array_foreach(json_object_get(j, "configs"), i, c) {
            const json_t *v = json_object_get(c, "value");
            json_array_foreach(json_object_get(v, "errors"), k, e) {
                const char *val = json_string_value(json_object_get(v, "value"));
                sluice_table_cell(&t, "%s", json_string_value(json_object_get(v, "name")));
                sluice_table_cell(&t, "%s", val ? val : "");
                sluice_table_cell(&t, "%s", json_string_value(e));
            }
        }
        if (errors)
            sluice_table_print(&t, stdout);
        sluice_table_free(&t);
        printf("%s: %lld error%s\n", json_string_value(json_object_get(j, "name")), (long long)errors,
               errors == 1 ? "" : "s");
    }
    /* A config with errors fails the command, so scripts can check it. */
    if (rc == SLUICE_OK && errors)
        rc = SLUICE_FAILED;
    json_decref(j);
    json_decref(config);
    json_decref(holder);
    return rc;
}

/* ---- the table main.c reads ---------------------------------------------------- */

#define CONNECT_COMMON_OPTS                                                                              \
    {"server", 0, true, "URL: the Connect worker (else $SLUICE_CONNECT_SERVER, else http://localhost:8083)"}, \
    {"output", 0, true, "FORMAT: table (default) or json (what the worker answers)"}

static const sluice_opt_t plain_opts[] = {CONNECT_COMMON_OPTS};
static const sluice_opt_t config_opts[] = {
    CONNECT_COMMON_OPTS,
    {"file", 'f', true, "FILE: the connector config (.properties, or JSON: settings or {\"name\",\"config\"})"},
    {"config", 0, true, "JSON: the connector config inline"},
};
static const sluice_opt_t restart_opts[] = {
    CONNECT_COMMON_OPTS,
    {"include-tasks", 0, false, "restart the connector's tasks too"},
    {"only-failed", 0, false, "restart only what has FAILED"},
    {"task", 0, true, "N: restart task N alone"},
};
static const sluice_opt_t plugins_opts[] = {
    CONNECT_COMMON_OPTS,
    {"all", 0, false, "list converters, transforms and predicates too"},
};

#define OPTS(a) a, sizeof a / sizeof a[0]

const sluice_cmd_t sluice_connect_cmds[] = {
    {"connect", "list", "[--server URL]", "list the Connect worker's connectors with their states",
     OPTS(plain_opts), do_list},
    {"connect", "create", "[NAME] (-f FILE | --config JSON)", "create a connector", OPTS(config_opts), do_create},
    {"connect", "update", "[NAME] (-f FILE | --config JSON)", "replace a connector's config (or create it)",
     OPTS(config_opts), do_update},
    {"connect", "config", "NAME", "show a connector's config", OPTS(plain_opts), do_config},
    {"connect", "status", "NAME", "show a connector's and its tasks' states", OPTS(plain_opts), do_status},
    {"connect", "tasks", "NAME", "show a connector's task configs", OPTS(plain_opts), do_tasks},
    {"connect", "pause", "NAME", "pause a connector and its tasks", OPTS(plain_opts), do_pause},
    {"connect", "resume", "NAME", "resume a paused connector", OPTS(plain_opts), do_resume},
    {"connect", "restart", "NAME [--include-tasks] [--only-failed] [--task N]", "restart a connector or a task",
     OPTS(restart_opts), do_restart},
    {"connect", "delete", "NAME", "stop and delete a connector", OPTS(plain_opts), do_delete},
    {"connect", "plugins", "[--all]", "list the worker's connector plugins", OPTS(plugins_opts), do_plugins},
    {"connect", "validate", "[PLUGIN] (-f FILE | --config JSON)",
     "check a connector config against its plugin (exit 1 when it has errors)", OPTS(config_opts), do_validate},
};
const size_t sluice_connect_ncmds = sizeof sluice_connect_cmds / sizeof sluice_connect_cmds[0];
