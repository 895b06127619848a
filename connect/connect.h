/*
 * connect.h - the manual of libsluice-connect: the Connect worker's side
 * (Kafka Connect's analog). It loads connector plugins (connector.h is
 * their ABI), validates connector configs against the plugins' definitions,
 * converts between the Connect data model and record bytes (string, bytes,
 * JSON with and without an embedded schema), transforms records, and runs
 * connectors in a standalone or distributed worker with a REST service:
 * source tasks produce through libsluice-client's producer with their
 * source offsets stored after the broker acknowledged them, sink tasks
 * consume with a consumer group "connect-<name>" and commit after flush.
 * Stands on libsluice-client and libsluice-base only (plus jansson and
 * libmicrohttpd).
 *
 * Memory: arguments are borrowed (copied when kept) unless a call says
 * "takes". Errors: sl_err_t (base.h); a call that can fail for a reason a
 * user must read fills errbuf (may be NULL) with a sentence naming the
 * file, key or connector.
 */
#ifndef SL_CONNECT_H
#define SL_CONNECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base.h"
#include "connector.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================
 * Values: memory and the host function table
 * ====================================================================== */

/* Memory for values and schemas (an arena). NULL when out of memory.
 * Everything built in it is freed at once by sl_connect_mem_free (accepts
 * NULL) or sl_connect_mem_reset. */
sl_connect_mem_t *sl_connect_mem_new(void);
void sl_connect_mem_reset(sl_connect_mem_t *mem);
void sl_connect_mem_free(sl_connect_mem_t *mem);

/* The host table handed to plugins (static, valid for the process). Its
 * value and schema constructors are the ones the library uses itself. */
const sl_connect_host_t *sl_connect_host(void);

/* ======================================================================
 * Plugins
 * ====================================================================== */

typedef struct sl_connect_plugins sl_connect_plugins_t;

/* Loads every *.so in the directories (or files) of path, a list separated
 * by ',' or ':' (Kafka's plugin.path), with RTLD_NOW | RTLD_LOCAL, in name
 * order. A plugin that cannot be loaded (dlopen fails, no
 * SL_CONNECT_ENTRY_SYMBOL, a NULL descriptor, another ABI version, a
 * missing class name or vtable, init() failing, a class name loaded
 * already) is refused: its reason is kept (sl_connect_plugins_error_*) and
 * logged, and loading goes on. Returns SL_OK with *out set even when some or
 * all were refused; SL_ERR_NOENT when a directory of path does not exist
 * (errbuf names it), SL_ERR_NOMEM. Free with sl_connect_plugins_free, which
 * calls every plugin's fini() and unloads it: nothing a plugin gave out may
 * be used afterwards. */
sl_err_t sl_connect_plugins_load(const char *path, sl_connect_plugins_t **out, char *errbuf,
                                 size_t errlen);
void sl_connect_plugins_free(sl_connect_plugins_t *ps);

/* The loaded plugins, in load order; file borrowed from ps. */
size_t sl_connect_plugins_count(const sl_connect_plugins_t *ps);
const sl_connect_plugin_t *sl_connect_plugins_at(const sl_connect_plugins_t *ps, size_t i,
                                                 const char **file);
/* The plugin of a connector.class: its class name, the class name with
 * "Connector" appended, or any dotted name ending in one of those (Kafka's
 * "org.apache.kafka.connect.file.FileStreamSourceConnector"). NULL: none. */
const sl_connect_plugin_t *sl_connect_plugins_find(const sl_connect_plugins_t *ps,
                                                   const char *class_name);
/* The refusals: one sentence each ("<file>: <reason>"), borrowed from ps. */
size_t sl_connect_plugins_error_count(const sl_connect_plugins_t *ps);
const char *sl_connect_plugins_error_at(const sl_connect_plugins_t *ps, size_t i);

/* ======================================================================
 * Config validation (Kafka's ConfigDef.parse)
 * ====================================================================== */

/* Checks config (borrowed) against defs[0..n): every key without a default
 * must be set and non-empty, every set value must parse as its type (INT
 * within 32 bits, LONG, DOUBLE, BOOLEAN true/false in any case, LIST
 * without empty items). Keys not in defs pass through untouched (the
 * worker's own keys, converters). On success *resolved (may be NULL: check
 * only) is a new sl_props_t holding config plus the defaults of unset keys;
 * the caller frees it with sl_props_free. SL_ERR_CONFIG with errbuf naming
 * the first bad key, its value and why; SL_ERR_NOMEM. */
sl_err_t sl_connect_config_validate(const sl_connect_configdef_t *defs, size_t n,
                                    const sl_props_t *config, sl_props_t **resolved,
                                    char *errbuf, size_t errlen);

/* ======================================================================
 * Converters (Kafka's Converter: data model <-> record bytes)
 * ====================================================================== */

typedef struct sl_connect_converter sl_connect_converter_t;

/* A converter by name: "string", "bytes", "json", or Kafka's class names
 * (org.apache.kafka.connect.storage.StringConverter,
 * org.apache.kafka.connect.converters.ByteArrayConverter,
 * org.apache.kafka.connect.json.JsonConverter). Its settings are read from
 * props (borrowed, may be NULL) under prefix ("value.converter."):
 * schemas.enable (json; default true: the {"schema":..,"payload":..}
 * envelope). SL_ERR_CONFIG (unknown name, bad setting), SL_ERR_NOMEM. Free
 * with sl_connect_converter_free (accepts NULL). */
sl_err_t sl_connect_converter_new(const char *name, const sl_props_t *props, const char *prefix,
                                  sl_connect_converter_t **out, char *errbuf, size_t errlen);
void sl_connect_converter_free(sl_connect_converter_t *conv);

/* Serialises value (NULL or SL_CT_NULL: null) described by schema (NULL:
 * schemaless) and appends the bytes to out. *is_null says the key or value
 * must be a null on the wire instead: a null value, except for json with
 * schemas.enable and a schema, which writes the envelope with
 * "payload":null (as Kafka's JsonConverter). string writes strings and
 * bytes as they are and other scalars as text; bytes takes BYTES only.
 * SL_ERR_INVAL when the value does not fit the converter or its schema
 * (errbuf says why), SL_ERR_NOMEM. */
sl_err_t sl_connect_converter_from_value(const sl_connect_converter_t *conv,
                                         const sl_cschema_t *schema, const sl_cvalue_t *value,
                                         sl_buf_t *out, bool *is_null, char *errbuf,
                                         size_t errlen);
/* Parses data[0..len) (NULL: a null on the wire) into a value and schema
 * built in mem (*schema NULL when schemaless; *value NULL for null).
 * SL_ERR_PARSE for bytes that are not what the converter expects (bad
 * JSON, an envelope without "payload", a payload not matching its schema),
 * with errbuf saying where; SL_ERR_NOMEM. Nesting deeper than 64 levels is
 * refused (SL_ERR_PARSE). */
sl_err_t sl_connect_converter_to_value(const sl_connect_converter_t *conv, const void *data,
                                       size_t len, sl_connect_mem_t *mem,
                                       const sl_cschema_t **schema, const sl_cvalue_t **value,
                                       char *errbuf, size_t errlen);

/* ======================================================================
 * The worker (Kafka Connect's Worker and Herder in one object)
 *
 * Two modes, chosen by the settings as Kafka's two scripts do:
 * - standalone (no group.id): connector configs come from files or REST and
 *   live in memory; source offsets are kept in offset.storage.file.filename.
 * - distributed (group.id set): connector configs, task configs, target
 *   states (paused/started) and restart requests are records in the
 *   compacted config topic, source offsets in the offset topic, statuses in
 *   the status topic (Kafka's record keys and JSON values, see
 *   docs/ARCHITECTURE.md "connect"); the workers of one group.id join one
 *   consumer group of protocol type "connect", whose leader spreads
 *   connectors and tasks over the members round-robin; a member leaving or
 *   joining moves them.
 *
 * Worker settings (sl_props_t, Kafka's worker keys):
 *   bootstrap.servers (localhost:9092), connect.plugin.path or plugin.path
 *   (required), key.converter and value.converter (json) with
 *   .schemas.enable (true), offset.flush.interval.ms (60000), producer.*,
 *   consumer.* and admin.* (passed to the client, prefix removed),
 *   listeners (http://127.0.0.1:8083: the REST listener; its host:port,
 *   or rest.advertised.host.name/port, is the worker id).
 *   Standalone: offset.storage.file.filename (required).
 *   Distributed: group.id, config.storage.topic (connect-configs),
 *   offset.storage.topic (connect-offsets), status.storage.topic
 *   (connect-status), config/offset/status.storage.replication.factor (-1:
 *   the broker's default), offset.storage.partitions (25),
 *   status.storage.partitions (5), session.timeout.ms (10000),
 *   heartbeat.interval.ms (3000), exactly.once.source.support (disabled;
 *   enabled: sources of plugins that declare exactly_once run in
 *   transactions, see connector.h).
 * Connector settings: name, connector.class, tasks.max (1), the plugin's
 *   own keys; key.converter / value.converter (and their schemas.enable)
 *   override the worker's; sinks: topics (comma-separated); transforms and
 *   predicates (InsertField, ReplaceField, MaskField, RegexRouter,
 *   TimestampRouter, Filter; Kafka's keys); errors.tolerance (none | all),
 *   errors.log.enable, errors.log.include.messages,
 *   errors.deadletterqueue.topic.name,
 *   errors.deadletterqueue.topic.replication.factor,
 *   errors.deadletterqueue.context.headers.enable; sources:
 *   exactly.once.support (requested | required), transaction.boundary
 *   (poll).
 *
 * States (Kafka's names): "UNASSIGNED", "RUNNING", "PAUSED", "FAILED",
 * "RESTARTING".
 *
 * Threads: every sl_connect_worker_* call is thread-safe (the REST service
 * calls them from its own threads); task threads are the worker's own.
 * ====================================================================== */

typedef struct sl_connect_worker sl_connect_worker_t;

/* Creates a worker from props (borrowed, copied) and loads the plugins of
 * its plugin path (refusals are logged and kept; see
 * sl_connect_worker_plugins). Standalone: reads the offsets file when it
 * exists. Distributed: creates the three topics when missing (compacted),
 * reads the config topic to its end, joins the group and starts what it is
 * given; returns once the first assignment is running or after
 * session.timeout.ms (it goes on joining in the background).
 * SL_ERR_CONFIG (a missing or bad setting, an unreadable offsets file, a
 * topic that cannot be created: errbuf says which), SL_ERR_NOENT (no plugin
 * directory), SL_ERR_NOMEM. */
sl_err_t sl_connect_worker_new(const sl_props_t *props, sl_connect_worker_t **out, char *errbuf,
                               size_t errlen);
/* The worker's plugins (borrowed, valid until sl_connect_worker_free). */
const sl_connect_plugins_t *sl_connect_worker_plugins(const sl_connect_worker_t *w);
/* The worker id ("127.0.0.1:8083"), borrowed; true when distributed. */
const char *sl_connect_worker_id(const sl_connect_worker_t *w);
bool sl_connect_worker_is_distributed(const sl_connect_worker_t *w);
/* The Kafka cluster id of bootstrap.servers (asked once through an admin
 * client with the worker's admin.* settings, then kept), borrowed until
 * sl_connect_worker_free; NULL while no broker answered (a call asks again
 * at most every 10 s, waiting up to 2 s). Thread-safe. */
const char *sl_connect_worker_kafka_cluster_id(sl_connect_worker_t *w);

/* Creates connector config["name"] (config borrowed, copied): validates it
 * (as sl_connect_worker_validate; the first error goes to errbuf) and
 * starts it, here (standalone) or wherever the group puts it (distributed:
 * returns once the config record is written and read back).
 * SL_ERR_CONFIG (no name, unknown connector.class, a refused config),
 * SL_ERR_EXISTS (a connector of that name exists), a connector_start or
 * task_configs failure of a standalone worker (its code; errbuf holds the
 * plugin's sentence), SL_ERR_TIMEOUT (distributed: the config topic did not
 * answer), SL_ERR_NOMEM. A task that fails later is logged and reported
 * FAILED by sl_connect_worker_status; the others go on. */
sl_err_t sl_connect_worker_add(sl_connect_worker_t *w, const sl_props_t *config, char *errbuf,
                               size_t errlen);
/* Creates or replaces connector name with config (borrowed; its "name", when
 * set, must equal name: SL_ERR_CONFIG otherwise). A replaced connector is
 * stopped and started again with the new config, its offsets kept.
 * *created (may be NULL) says which. Errors as sl_connect_worker_add. */
sl_err_t sl_connect_worker_put(sl_connect_worker_t *w, const char *name, const sl_props_t *config,
                               bool *created, char *errbuf, size_t errlen);
/* Stops and forgets connector name (its offsets are kept, as Kafka does).
 * SL_ERR_NOENT (no such connector), SL_ERR_TIMEOUT (distributed). */
sl_err_t sl_connect_worker_delete(sl_connect_worker_t *w, const char *name, char *errbuf,
                                  size_t errlen);
/* Pause: the connector's tasks stop polling or consuming (state PAUSED)
 * until resumed; nothing is lost. Idempotent. SL_ERR_NOENT, SL_ERR_TIMEOUT. */
sl_err_t sl_connect_worker_pause(sl_connect_worker_t *w, const char *name, char *errbuf,
                                 size_t errlen);
sl_err_t sl_connect_worker_resume(sl_connect_worker_t *w, const char *name, char *errbuf,
                                  size_t errlen);
/* Restarts the connector (and, with include_tasks, its tasks; with
 * only_failed, only those FAILED), Kafka's POST
 * /connectors/{name}/restart. SL_ERR_NOENT, SL_ERR_TIMEOUT. */
sl_err_t sl_connect_worker_restart(sl_connect_worker_t *w, const char *name, bool include_tasks,
                                   bool only_failed, char *errbuf, size_t errlen);
/* Restarts task `task` of connector name. SL_ERR_NOENT (no such connector
 * or task), SL_ERR_TIMEOUT. */
sl_err_t sl_connect_worker_restart_task(sl_connect_worker_t *w, const char *name, int task,
                                        char *errbuf, size_t errlen);

/* The connectors' names, sorted, in arena memory. SL_ERR_NOMEM. */
sl_err_t sl_connect_worker_list(sl_connect_worker_t *w, sl_arena_t *arena, const char ***names,
                                size_t *n);
/* A copy of connector name's config as given (not resolved); the caller
 * frees it with sl_props_free. SL_ERR_NOENT, SL_ERR_NOMEM. */
sl_err_t sl_connect_worker_config(sl_connect_worker_t *w, const char *name, sl_props_t **out);

/* The task configs of connector name (Kafka's GET /connectors/{name}/tasks):
 * tasks[i] is task i; everything in arena memory. SL_ERR_NOENT,
 * SL_ERR_NOMEM. */
typedef struct sl_connect_task_config {
    int task;
    const char *const *keys;
    const char *const *values;
    size_t count;
} sl_connect_task_config_t;
sl_err_t sl_connect_worker_tasks(sl_connect_worker_t *w, const char *name, sl_arena_t *arena,
                                 sl_connect_task_config_t **tasks, size_t *n);

/* A state as GET /connectors/{name}/status shows it. */
typedef struct sl_connect_state {
    const char *state;       /* one of the states above */
    const char *worker_id;   /* where it runs; "" while UNASSIGNED */
    const char *trace;       /* FAILED: why; else NULL */
} sl_connect_state_t;
typedef struct sl_connect_status {
    const char *name;
    const char *type;        /* "source" or "sink" */
    sl_connect_state_t connector;
    sl_connect_state_t *tasks;  /* tasks[i]: task i */
    size_t task_count;
} sl_connect_status_t;
/* Fills *out (in arena memory) with connector name's status.
 * SL_ERR_NOENT, SL_ERR_NOMEM. */
sl_err_t sl_connect_worker_status(sl_connect_worker_t *w, const char *name, sl_arena_t *arena,
                                  sl_connect_status_t *out);
/* The state name of a connector's task i (NULL: no such connector or task),
 * with the failure's reason in errbuf when "FAILED". */
const char *sl_connect_worker_task_state(sl_connect_worker_t *w, const char *name, int task,
                                         char *errbuf, size_t errlen);

/* Validation as Kafka's PUT /connector-plugins/{plugin}/config/validate:
 * one entry per definition (the worker's common connector keys first, then
 * the plugin's, then each configured transform's and predicate's), each with
 * the value given and the errors found. Everything in arena memory. */
typedef struct sl_connect_config_result {
    const char *name;
    const char *type;          /* "STRING", "INT", "LONG", "DOUBLE", "BOOLEAN",
                                * "LIST", "PASSWORD", "CLASS" */
    bool required;
    const char *default_value; /* NULL: none */
    const char *importance;    /* "HIGH", "MEDIUM", "LOW" */
    const char *doc;
    const char *group;         /* "Common", "Transforms", "Error Handling",
                                * the plugin's class name, ... */
    const char *value;         /* the value given or the default; NULL */
    const char *const *errors; /* sentences */
    size_t error_count;
} sl_connect_config_result_t;
typedef struct sl_connect_validation {
    const char *class_name;
    size_t error_count;        /* sum over configs */
    sl_connect_config_result_t *configs;
    size_t count;
} sl_connect_validation_t;
/* Validates config (borrowed) for plugin class `plugin` (any name
 * sl_connect_plugins_find accepts). SL_OK also when the config has errors
 * (out->error_count says); SL_ERR_NOENT (no such plugin), SL_ERR_NOMEM. */
sl_err_t sl_connect_worker_validate(sl_connect_worker_t *w, const char *plugin,
                                    const sl_props_t *config, sl_arena_t *arena,
                                    sl_connect_validation_t *out);

/* Stops every task (sources: last acknowledged offsets stored; sinks:
 * flushed and committed), every connector, leaves the group (distributed:
 * the others take over), unloads the plugins and frees. Accepts NULL. */
void sl_connect_worker_free(sl_connect_worker_t *w);

/* ======================================================================
 * The REST service (Kafka Connect's REST API, on libmicrohttpd)
 *
 * GET / (version), GET /connectors (?expand=status|info),
 * POST /connectors {"name":..,"config":{..}}, GET/PUT
 * /connectors/{name}/config, GET /connectors/{name},
 * GET /connectors/{name}/status, GET /connectors/{name}/tasks,
 * GET /connectors/{name}/tasks/{id}/status, POST
 * /connectors/{name}/restart (?includeTasks=&onlyFailed=), POST
 * /connectors/{name}/tasks/{id}/restart, PUT /connectors/{name}/pause,
 * PUT /connectors/{name}/resume, DELETE /connectors/{name},
 * GET /connector-plugins, PUT /connector-plugins/{plugin}/config/validate.
 * Answers and errors ({"error_code":..,"message":..}) are shaped as Kafka
 * Connect's; bodies over 1 MiB are refused (413).
 * ====================================================================== */

typedef struct sl_connect_rest sl_connect_rest_t;

/* Serves w (borrowed: it must outlive the service) on listener, one
 * "http://HOST:PORT" (port 0: any free port; HOST must be an IPv4 address
 * or localhost). SL_ERR_CONFIG (a bad listener), SL_ERR_IO (cannot bind:
 * errbuf says why), SL_ERR_NOMEM. */
sl_err_t sl_connect_rest_start(sl_connect_worker_t *w, const char *listener,
                               sl_connect_rest_t **out, char *errbuf, size_t errlen);
/* The port it listens on. */
uint16_t sl_connect_rest_port(const sl_connect_rest_t *r);
/* Stops serving (waits for requests in flight) and frees. Accepts NULL. */
void sl_connect_rest_stop(sl_connect_rest_t *r);

#ifdef __cplusplus
}
#endif

#endif /* SL_CONNECT_H */
