/*
 * connect.h - the manual of libsluice-connect: the Connect worker's side
 * (Kafka Connect's analog). It loads connector plugins (connector.h is
 * their ABI), validates connector configs against the plugins' definitions,
 * converts between the Connect data model and record bytes (string, bytes,
 * JSON with and without an embedded schema), and runs connectors in a
 * standalone worker: source tasks produce through libsluice-client's
 * producer with their source offsets kept in a local file, sink tasks
 * consume with a consumer group "connect-<name>" and commit after flush.
 * Stands on libsluice-client and libsluice-base only.
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
 * The standalone worker
 *
 * Worker settings (sl_props_t, Kafka's connect-standalone.properties keys):
 *   bootstrap.servers (localhost:9092), connect.plugin.path (or
 *   plugin.path; required), offset.storage.file.filename (required),
 *   offset.flush.interval.ms (60000), key.converter and value.converter
 *   (json), key.converter.schemas.enable / value.converter.schemas.enable
 *   (true), producer.* and consumer.* (passed to the client, prefix
 *   removed).
 * Connector settings: name, connector.class, tasks.max (1), the plugin's
 *   own keys; key.converter / value.converter (and their schemas.enable)
 *   override the worker's; sinks: topics (comma-separated).
 *
 * Threads: one thread per task, started by sl_connect_worker_add; the
 * worker's functions are called from one application thread.
 * ====================================================================== */

typedef struct sl_connect_worker sl_connect_worker_t;

/* Creates a worker from props (borrowed, copied) and loads the plugins of
 * its plugin path (refusals are logged and kept; see
 * sl_connect_worker_plugins). Reads the offsets file when it exists.
 * SL_ERR_CONFIG (a missing or bad setting, an unreadable offsets file:
 * errbuf says which), SL_ERR_NOENT (no plugin directory), SL_ERR_NOMEM. */
sl_err_t sl_connect_worker_new(const sl_props_t *props, sl_connect_worker_t **out, char *errbuf,
                               size_t errlen);
/* The worker's plugins (borrowed, valid until sl_connect_worker_free). */
const sl_connect_plugins_t *sl_connect_worker_plugins(const sl_connect_worker_t *w);

/* Validates config (borrowed, copied) and starts the connector and its
 * tasks. SL_ERR_CONFIG (no name, unknown connector.class, a config the
 * plugin's definitions refuse, a sink without topics), SL_ERR_EXISTS (a
 * connector of that name runs), a connector_start or task_configs failure
 * (its code; errbuf holds the plugin's sentence), SL_ERR_NOMEM. A task that
 * fails later is logged and marked failed; the others go on. */
sl_err_t sl_connect_worker_add(sl_connect_worker_t *w, const sl_props_t *config, char *errbuf,
                               size_t errlen);

/* The state of a connector's task i: "RUNNING", "FAILED" (errbuf gets the
 * reason), "STOPPED"; NULL when there is no such connector or task. */
const char *sl_connect_worker_task_state(sl_connect_worker_t *w, const char *name, int task,
                                         char *errbuf, size_t errlen);

/* Stops every task (sources: last acknowledged offsets stored; sinks:
 * flushed and committed), every connector, unloads the plugins and frees.
 * Accepts NULL. */
void sl_connect_worker_free(sl_connect_worker_t *w);

#ifdef __cplusplus
}
#endif

#endif /* SL_CONNECT_H */
