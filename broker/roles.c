/*
 * roles.c - sluiced's roles (roles.h): the role keys (declared, checked and
 * documented as the broker's keys are), and the start and stop of the sql
 * and connect roles. The SQL engine and the Connect worker are clients of
 * this process's own broker: they get the broker's listener as
 * bootstrap.servers and talk Kafka's protocol to it, so the same engine or
 * worker could run in a process of its own.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "roles.h"
#include "roles_connect.h"
#include "sql.h"

#define MOD "roles"

typedef struct role_key {
    const char *name;
    const char *def;
    const char *doc;
} role_key_t;

static const role_key_t role_keys[] = {
    {"sluice.roles", "broker,sql,connect",
     "Comma list of the services this process runs: broker, sql (the SQL engine and its REST API), "
     "connect (a distributed Connect worker and its REST API). sql and connect need broker."},
    {"sql.listeners", "http://127.0.0.1:8088",
     "Comma list of http://HOST:PORT the SQL REST API (ksqlDB's) listens on."},
    {"sql.service.id", "default_",
     "The SQL service id: names the command topic (_confluent-ksql-<id>_command_topic) and the "
     "queries' consumer groups; engines with the same id share their queries."},
    {"sql.state.dir", "(<first log dir>/.sluice/sql)",
     "Directory of the SQL queries' local state stores."},
    {"connect.listeners", "http://127.0.0.1:8083",
     "Where the Connect REST API (Kafka Connect's) listens: http://HOST:PORT (the first of a comma "
     "list); its HOST:PORT is the worker id."},
    {"connect.plugin.path", "(the connect-plugins folder beside sluiced's bin folder)",
     "Comma list of folders (or .so files) holding the connector plugins."},
    {"connect.group.id", "sluice-connect",
     "The Connect workers' group: workers with the same group.id share connectors and tasks."},
    {"connect.config.storage.topic", "connect-configs",
     "The compacted topic of connector configs, task configs and target states."},
    {"connect.offset.storage.topic", "connect-offsets", "The compacted topic of source offsets."},
    {"connect.status.storage.topic", "connect-status",
     "The compacted topic of connector and task statuses."},
};

/* Indexes of role_keys with a default used below. */
enum { K_ROLES = 0, K_SQL_LISTENERS = 1, K_SQL_SERVICE_ID = 2, K_CONNECT_LISTENERS = 4,
       K_CONNECT_GROUP = 6 };

bool sl_roles_is_key(const char *key)
{
    for (size_t i = 0; i < SL_ARRAY_LEN(role_keys); i++)
        if (strcmp(key, role_keys[i].name) == 0)
            return true;
    return strncmp(key, "sql.streams.", 12) == 0 || strncmp(key, "ksql.streams.", 13) == 0 ||
           strncmp(key, "connect.", 8) == 0;
}

void sl_roles_help(FILE *out)
{
    fprintf(out, "\n# Roles, the SQL service and the Connect worker (Sluice's keys; sql.streams.* and\n"
                 "# ksql.streams.* keys are passed to the SQL queries' streams applications, any other\n"
                 "# connect.X key to the Connect worker as X, e.g. connect.offset.flush.interval.ms)\n");
    for (size_t i = 0; i < SL_ARRAY_LEN(role_keys); i++)
        fprintf(out, "  %s=%s\n      %s\n", role_keys[i].name, role_keys[i].def, role_keys[i].doc);
}

/* "<origin>:<line>: key=value: why" as the broker's loader says it. */
static sl_err_t bad(const sl_broker_config_t *cfg, const char *key, const char *value, const char *why,
                    char *errbuf, size_t errlen)
{
    int line = 0;
    for (size_t i = 0; i < sl_props_count(cfg->given); i++) {
        const char *k;
        const char *ign;
        sl_props_at(cfg->given, i, &k, &ign, &line);
        if (strcmp(k, key) == 0)
            break;
    }
    const char *origin = sl_props_origin(cfg->given);
    if (line < 0 || !origin || !origin[0])
        snprintf(errbuf, errlen, "--override:%d: %s=%.200s: %s", line < 0 ? -line : line, key, value, why);
    else
        snprintf(errbuf, errlen, "%s:%d: %s=%.200s: %s", origin, line, key, value, why);
    return SL_ERR_CONFIG;
}

static sl_err_t parse_roles(const sl_broker_config_t *cfg, const char *v, sl_roles_t *r, char *errbuf,
                            size_t errlen)
{
    r->broker = r->sql = r->run_connect = false;
    for (const char *p = v; *p;) {
        size_t len = strcspn(p, ",");
        const char *s = p;
        size_t n = len;
        while (n && (*s == ' ' || *s == '\t')) {
            s++;
            n--;
        }
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
            n--;
        char why[200];
        if (n == 6 && strncmp(s, "broker", 6) == 0) {
            r->broker = true;
        } else if (n == 3 && strncmp(s, "sql", 3) == 0) {
            r->sql = true;
        } else if (n == 7 && strncmp(s, "connect", 7) == 0) {
            r->run_connect = true;
        } else {
            snprintf(why, sizeof why, "unknown role '%.*s' (roles: broker, sql, connect)", (int)(n > 60 ? 60 : n),
                     s);
            return bad(cfg, "sluice.roles", v, why, errbuf, errlen);
        }
        p += len;
        if (*p == ',')
            p++;
    }
    if (!r->broker)
        return bad(cfg, "sluice.roles", v,
                   r->sql       ? "the sql role needs the broker role in the same process for now"
                   : r->run_connect ? "the connect role needs the broker role in the same process for now"
                                : "no role given (roles: broker, sql, connect)",
                   errbuf, errlen);
    return SL_OK;
}

/* Service ids name topics and consumer groups: Kafka's topic characters. */
static bool id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 100)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* The connect-plugins folder beside the folder sluiced runs from
 * (build/bin/sluiced: build/connect-plugins), into buf. */
static bool default_plugin_path(char *buf, size_t len)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return false;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return false;
    *slash = '\0';          /* the bin folder */
    slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';      /* its parent */
    return snprintf(buf, len, "%s/connect-plugins", slash ? exe : ".") < (int)len;
}

/* The Connect worker's settings: the defaults, then every connect.X given
 * as X. bootstrap.servers is added at start (the broker's port). */
static sl_err_t connect_props(const sl_broker_config_t *cfg, sl_roles_t *r, char *errbuf, size_t errlen)
{
    const char *listeners = cfg->given ? sl_props_get(cfg->given, "connect.listeners") : NULL;
    if (listeners && strncmp(listeners, "http://", 7) != 0)
        return bad(cfg, "connect.listeners", listeners, "must be http://HOST:PORT", errbuf, errlen);
    char plugins[PATH_MAX + 32];
    if (!default_plugin_path(plugins, sizeof plugins))
        snprintf(plugins, sizeof plugins, "connect-plugins");
    sl_props_t *p = sl_props_new();
    if (!p || sl_props_set(p, "listeners", role_keys[K_CONNECT_LISTENERS].def, 0) != SL_OK ||
        sl_props_set(p, "plugin.path", plugins, 0) != SL_OK ||
        sl_props_set(p, "group.id", role_keys[K_CONNECT_GROUP].def, 0) != SL_OK) {
        sl_props_free(p);
        snprintf(errbuf, errlen, "connect role: out of memory");
        return SL_ERR_NOMEM;
    }
    r->connect_props = p;
    for (size_t i = 0; cfg->given && i < sl_props_count(cfg->given); i++) {
        const char *k, *v;
        sl_props_at(cfg->given, i, &k, &v, NULL);
        if (strncmp(k, "connect.", 8) != 0)
            continue;
        if (!k[8])
            return bad(cfg, k, v, "names no worker setting", errbuf, errlen);
        if (sl_props_set(p, k + 8, v, 0) != SL_OK) {
            snprintf(errbuf, errlen, "connect role: out of memory");
            return SL_ERR_NOMEM;
        }
    }
    return SL_OK;
}

sl_err_t sl_roles_load(const sl_broker_config_t *cfg, sl_roles_t *out, char *errbuf, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const char *v = cfg->given ? sl_props_get(cfg->given, "sluice.roles") : NULL;
    sl_err_t err = parse_roles(cfg, v ? v : role_keys[K_ROLES].def, out, errbuf, errlen);
    if (err)
        return err;
    v = cfg->given ? sl_props_get(cfg->given, "sql.listeners") : NULL;
    if (v) {
        char why[512];
        if (sl_sql_rest_check_listeners(v, why, sizeof why) != SL_OK)
            return bad(cfg, "sql.listeners", v, why, errbuf, errlen);
    }
    snprintf(out->sql_listeners, sizeof out->sql_listeners, "%s", v ? v : role_keys[K_SQL_LISTENERS].def);
    v = cfg->given ? sl_props_get(cfg->given, "sql.service.id") : NULL;
    if (v && !id_ok(v))
        return bad(cfg, "sql.service.id", v,
                   "must be 1 to 100 ASCII letters, digits, '.', '_' or '-' (it names topics)", errbuf, errlen);
    snprintf(out->sql_service_id, sizeof out->sql_service_id, "%s", v ? v : role_keys[K_SQL_SERVICE_ID].def);
    v = cfg->given ? sl_props_get(cfg->given, "sql.state.dir") : NULL;
    if (v && (!v[0] || strlen(v) >= sizeof out->sql_state_dir - 1))
        return bad(cfg, "sql.state.dir", v, "must be a directory path (at most 4094 bytes)", errbuf, errlen);
    if (v)
        snprintf(out->sql_state_dir, sizeof out->sql_state_dir, "%s", v);
    else if (snprintf(out->sql_state_dir, sizeof out->sql_state_dir, "%s/.sluice/sql", cfg->log_dirs[0]) >=
             (int)sizeof out->sql_state_dir)
        return bad(cfg, "log.dirs", cfg->log_dirs[0], "too long to hold the SQL state directory", errbuf,
                   errlen);
    if (!out->run_connect)
        return SL_OK;
    err = connect_props(cfg, out, errbuf, errlen);
    if (err) {
        sl_props_free(out->connect_props);
        out->connect_props = NULL;
    }
    return err;
}

/* The broker's own listener as a client reaches it. */
static void own_bootstrap(const sl_broker_t *b, const sl_broker_config_t *cfg, char *buf, size_t len)
{
    const char *host = cfg->listener_host;
    if (!host[0] || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0)
        host = "127.0.0.1";
    bool v6 = strchr(host, ':') != NULL;
    snprintf(buf, len, "%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "", b->port);
}

/* The engine's properties: the broker's own listener, the role keys, and
 * the streams keys given to sluiced. */
static char *engine_props(const sl_roles_t *r, const sl_broker_t *b, const sl_broker_config_t *cfg)
{
    char bootstrap[300];
    own_bootstrap(b, cfg, bootstrap, sizeof bootstrap);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    fprintf(f, "bootstrap.servers=%s\nsql.service.id=%s\nstate.dir=%s\n", bootstrap, r->sql_service_id,
            r->sql_state_dir);
    for (size_t i = 0; cfg->given && i < sl_props_count(cfg->given); i++) {
        const char *k, *v;
        sl_props_at(cfg->given, i, &k, &v, NULL);
        if (strncmp(k, "sql.streams.", 12) == 0 || strncmp(k, "ksql.streams.", 13) == 0)
            fprintf(f, "%s=%s\n", k, v);
    }
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* Starts the connect role: its settings with this broker's listener. */
static sl_err_t connect_start(sl_roles_t *r, const sl_broker_t *b, const sl_broker_config_t *cfg, char *errbuf,
                              size_t errlen)
{
    char bootstrap[300];
    own_bootstrap(b, cfg, bootstrap, sizeof bootstrap);
    if (sl_props_set(r->connect_props, "bootstrap.servers", bootstrap, 0) != SL_OK) {
        snprintf(errbuf, errlen, "connect role: out of memory");
        return SL_ERR_NOMEM;
    }
    sl_props_t *props = r->connect_props;
    r->connect_props = NULL;
    return sl_role_connect_start(props, &r->connect, errbuf, errlen);
}

static sl_err_t sql_start(sl_roles_t *r, const sl_broker_t *b, const sl_broker_config_t *cfg, char *errbuf,
                          size_t errlen)
{
    char *props = engine_props(r, b, cfg);
    if (!props) {
        snprintf(errbuf, errlen, "sql role: out of memory");
        return SL_ERR_NOMEM;
    }
    sl_sql_error_t serr;
    memset(&serr, 0, sizeof serr);
    sl_err_t err = sl_sql_engine_new(props, &r->engine, &serr);
    free(props);
    if (err) {
        snprintf(errbuf, errlen, "sql role: cannot start the SQL engine: %s",
                 serr.message[0] ? serr.message : sl_err_str(err));
        r->engine = NULL;
        return err;
    }
    char version[32];
    snprintf(version, sizeof version, "%s", SLUICE_VERSION);
    sl_sql_rest_info_t info = {.version = version, .kafka_cluster_id = b->cluster_id,
                               .service_id = r->sql_service_id};
    char why[1024];
    err = sl_sql_rest_start(r->engine, r->sql_listeners, &info, &r->rest, why, sizeof why);
    if (err) {
        snprintf(errbuf, errlen, "sql role: sql.listeners=%s: %s", r->sql_listeners, why);
        sl_roles_stop(r);
        return err;
    }
    SL_INFO(MOD, "sql role started: service id %s, REST API on %s (first port %u), state in %s",
            r->sql_service_id, r->sql_listeners, sl_sql_rest_port(r->rest, 0), r->sql_state_dir);
    return SL_OK;
}

sl_err_t sl_roles_start(sl_roles_t *r, const sl_broker_t *b, const sl_broker_config_t *cfg, char *errbuf,
                        size_t errlen)
{
    sl_err_t err = r->sql ? sql_start(r, b, cfg, errbuf, errlen) : SL_OK;
    if (!err && r->run_connect)
        err = connect_start(r, b, cfg, errbuf, errlen);
    return err;
}

bool sl_roles_failed(const sl_roles_t *r)
{
    return sl_role_connect_failed(r->connect);
}

void sl_roles_stop(sl_roles_t *r)
{
    sl_role_connect_stop(r->connect);
    r->connect = NULL;
    sl_props_free(r->connect_props);
    r->connect_props = NULL;
    sl_sql_rest_stop(r->rest);
    r->rest = NULL;
    sl_sql_engine_free(r->engine);
    r->engine = NULL;
}
