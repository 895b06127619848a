/*
 * connect_int.h - the internal contracts of libsluice-connect: the value
 * memory, the value and schema constructors the host table exposes, the
 * contexts plugins are called with, and the offsets store. Everything here
 * is called by the library's own files only.
 */
#ifndef SL_CONNECT_INT_H
#define SL_CONNECT_INT_H

#include <pthread.h>

#include "client.h"
#include "connect.h"

/* Memory values and schemas live in: an arena (see sl_connect_mem_new). */
struct sl_connect_mem {
    sl_arena_t arena;
};

/* ---- value.c: malloc'ed arrays ------------------------------------------
 * Room for one more item in arr, a malloc'ed array (or NULL) of count items
 * of size bytes each with room for *cap: arr itself when count < *cap, else
 * arr realloc'ed to twice *cap (first items when *cap is 0) and *cap raised.
 * NULL when out of memory or the size would overflow: arr is then untouched
 * and still the caller's. The caller stores the answer back and frees it. */
void *sl_connect_array_grow(void *arr, size_t count, size_t *cap, size_t size, size_t first);

/* ---- value.c: constructors (NULL only when out of memory) ---------------
 * The host table points at these; the converters use them too. */
sl_cvalue_t *sl_connect_val_null(sl_connect_mem_t *mem);
sl_cvalue_t *sl_connect_val_bool(sl_connect_mem_t *mem, int b);
sl_cvalue_t *sl_connect_val_int(sl_connect_mem_t *mem, sl_ctype_t type, int64_t i);
sl_cvalue_t *sl_connect_val_float(sl_connect_mem_t *mem, sl_ctype_t type, double f);
sl_cvalue_t *sl_connect_val_string(sl_connect_mem_t *mem, const char *s, size_t len);
sl_cvalue_t *sl_connect_val_bytes(sl_connect_mem_t *mem, const void *p, size_t len);
sl_cvalue_t *sl_connect_val_new(sl_connect_mem_t *mem, sl_ctype_t type);
int sl_connect_val_put(sl_connect_mem_t *mem, sl_cvalue_t *coll, const sl_cvalue_t *key,
                       const sl_cvalue_t *item);
const sl_cvalue_t *sl_connect_struct_get(const sl_cvalue_t *st, const char *name);
sl_cschema_t *sl_connect_schema_new(sl_connect_mem_t *mem, sl_ctype_t type, int optional,
                                    const char *name);
int sl_connect_schema_add_field(sl_connect_mem_t *mem, sl_cschema_t *st, const char *name,
                                const sl_cschema_t *field);
int sl_connect_schema_set_items(sl_cschema_t *coll, const sl_cschema_t *keys,
                                const sl_cschema_t *items);
/* The Kafka Connect type name ("int32", "struct", ...) of type, and back
 * (-1: unknown name). */
const char *sl_connect_type_name(sl_ctype_t type);
int sl_connect_type_parse(const char *name);

/* ---- offsets.c: the standalone offsets file ------------------------------
 * A JSON object {"<connector>": {"<source partition>": "<source offset>"}}
 * rewritten whole (temp file, fsync, rename) by save. Thread-safe: a mutex
 * guards the map; tasks set and get, the worker saves. */
typedef struct sl_connect_offsets sl_connect_offsets_t;
/* Reads file when it exists (a missing file is an empty store).
 * SL_ERR_CONFIG for an unreadable or malformed file (errbuf says where). */
sl_err_t sl_connect_offsets_open(const char *file, sl_connect_offsets_t **out, char *errbuf,
                                 size_t errlen);
/* The stored offset, copied into a malloc'ed string the caller frees, or
 * NULL when none (or out of memory). */
char *sl_connect_offsets_get(sl_connect_offsets_t *os, const char *connector,
                             const char *partition);
sl_err_t sl_connect_offsets_set(sl_connect_offsets_t *os, const char *connector,
                                const char *partition, const char *offset);
/* Writes the file when something changed since the last save. SL_ERR_IO. */
sl_err_t sl_connect_offsets_save(sl_connect_offsets_t *os);
void sl_connect_offsets_free(sl_connect_offsets_t *os);

/* ---- worker.c / host.c: what plugins are called with ---------------------- */

/* One per connector or task: its name, its config and its last error. */
struct sl_connect_ctx {
    char *name;                   /* "file-source" or "file-source-0" */
    char *connector;              /* the connector's name (offsets key) */
    sl_props_t *config;           /* resolved config, owned */
    struct sl_connect_offset_store *offsets; /* borrowed from the runtime; NULL: none */
    char *offset_last;            /* offset_get's answer, owned */
    char err[512];                /* set_error's sentence */
};

/* task_configs() output: up to max task configs. */
struct sl_connect_taskcfgs {
    sl_props_t **cfgs;
    int count;
    int max;
};

/* One source poll: records copied into mem. */
struct sl_connect_batch {
    sl_connect_mem_t *mem;        /* owned */
    sl_connect_record_t *recs;    /* malloc'ed array; strings in mem */
    size_t count, cap;
};

/* A ctx for name/connector with config (taken) and offsets (borrowed; the
 * source's offset_get reads it). NULL when out of memory (config is freed
 * then). */
sl_connect_ctx_t *sl_connect_ctx_new(const char *name, const char *connector, sl_props_t *config,
                                     struct sl_connect_offset_store *offsets);

/* ---- config.c: one definition at a time (validation answers) -------------
 * Whether value (NULL: unset) is acceptable for def, as
 * sl_connect_config_validate judges it: true, or false with the sentence in
 * errbuf. */
bool sl_connect_config_check(const sl_connect_configdef_t *def, const char *value, char *errbuf,
                             size_t errlen);
/* The type name validation answers show ("STRING", "INT", ...) and the
 * importance's ("HIGH", ...). */
const char *sl_connect_cfgtype_name(sl_connect_cfgtype_t type);
const char *sl_connect_importance_name(sl_connect_importance_t imp);
/* Appends to *out (an array in arena memory with *n entries and room for
 * *cap; grown by copying into arena memory) the validation entry of def in
 * group (borrowed: static text) with config's value (or the default) and
 * the error sl_connect_config_check finds. SL_ERR_NOMEM. */
sl_err_t sl_connect_config_result_add(const sl_connect_configdef_t *def, const char *group,
                                      const sl_props_t *config, sl_arena_t *arena,
                                      sl_connect_config_result_t **out, size_t *n, size_t *cap);
/* The error of the common connector setting key (tasks.max, topics,
 * header.converter, exactly.once.support, transaction.boundary) in config
 * for plugin, beyond what its type says, or NULL when it is fine (also for
 * other keys and for keys of the other kind of connector): tasks.max
 * 1..256; a sink's topics not empty; a header.converter Sluice can honour
 * (header values pass as bytes); exactly.once.support requested or
 * required, required only with a plugin declaring exactly_once, the worker's
 * exactly.once.source.support enabled (eos_enabled) and an offset store
 * that takes part in transactions (txn_store); transaction.boundary poll.
 * The sentence is written to why. Shared by the runtime's check and the
 * worker's validation answers. */
const char *sl_connect_common_error(const char *key, const sl_props_t *config,
                                    const sl_connect_plugin_t *plugin, bool eos_enabled,
                                    bool txn_store, char *why, size_t len);
/* Appends an error sentence (copied into arena) to entry r. SL_ERR_NOMEM. */
sl_err_t sl_connect_config_result_error(sl_connect_config_result_t *r, sl_arena_t *arena,
                                        const char *sentence);
/* The integer setting key of props (def when unset) into *out when it
 * parses and lies within [min, max]; SL_ERR_CONFIG with errbuf naming the
 * key, the value and the range otherwise. */
sl_err_t sl_connect_props_int(const sl_props_t *props, const char *key, int64_t def, int64_t min,
                              int64_t max, int64_t *out, char *errbuf, size_t errlen);
void sl_connect_ctx_free(sl_connect_ctx_t *ctx);

/* ======================================================================
 * The parts of the worker and their contracts (docs/ARCHITECTURE.md
 * "connect"):
 *   worker.c          the public sl_connect_worker_* calls: settings, the
 *                     mode, validation; dispatches to a herder
 *   herder_local.c    standalone: configs in memory, everything runs here
 *   herder_dist*.c    distributed: config/offset/status topics, the group
 *   runtime*.c        connectors and tasks running in this process
 *   pipeline.c        one record's way between a plugin and the wire:
 *                     transforms, converters, error tolerance, DLQ
 *   xform*.c          the transforms and predicates
 *   rest*.c           the REST service
 * ====================================================================== */

/* ---- offset stores (offsets.c: file; herder_dist: topic) ----------------
 * Source offsets keyed by connector and source partition (both JSON text,
 * compared byte for byte). Every op is thread-safe (task threads get and
 * set, the worker flushes). */
typedef struct sl_connect_offset_store sl_connect_offset_store_t;
typedef struct sl_connect_offset_store_ops {
    /* The stored (or set, not yet flushed) offset: a malloc'ed string the
     * caller frees, or NULL when none (or out of memory). */
    char *(*get)(sl_connect_offset_store_t *s, const char *connector, const char *partition);
    /* Records an offset, visible to get at once, persisted by flush.
     * SL_ERR_NOMEM. */
    sl_err_t (*set)(sl_connect_offset_store_t *s, const char *connector, const char *partition,
                    const char *offset);
    /* Persists what was set since the last flush (file: rewritten whole;
     * topic: produced and acknowledged). SL_ERR_IO, SL_ERR_TIMEOUT. */
    sl_err_t (*flush)(sl_connect_offset_store_t *s);
    /* Exactly-once sources: sends the offset record through p, a
     * transactional producer inside a transaction, so that it commits with
     * the records (the offset is also set as by set). NULL: this store
     * cannot take part in transactions (the file store). */
    sl_err_t (*send_in_txn)(sl_connect_offset_store_t *s, sl_producer_t *p,
                            const char *connector, const char *partition, const char *offset);
    void (*free)(sl_connect_offset_store_t *s);
} sl_connect_offset_store_ops_t;
struct sl_connect_offset_store {
    const sl_connect_offset_store_ops_t *ops;
};
/* The file store over sl_connect_offsets_t (offsets.c). SL_ERR_CONFIG for
 * an unreadable or malformed file, SL_ERR_NOMEM. */
sl_err_t sl_connect_offset_store_file(const char *file, sl_connect_offset_store_t **out,
                                      char *errbuf, size_t errlen);

/* ---- runtime*.c: connectors and tasks running in this process ------------
 * Kafka's Worker. Knows nothing of where configs come from; reports every
 * state change through the status callback. Calls are made by one herder
 * thread at a time (the herder serialises them), except the status
 * callback, which task threads call. */
typedef struct sl_connect_runtime sl_connect_runtime_t;

/* task -1: the connector itself. state: "RUNNING", "PAUSED", "FAILED"
 * (trace says why), "UNASSIGNED" (stopped here). Called from any thread,
 * must be quick and must not call the runtime. */
typedef void sl_connect_status_fn(void *arg, const char *connector, int task, const char *state,
                                  const char *trace);

/* worker_props, plugins and offsets are borrowed and must outlive the
 * runtime. SL_ERR_CONFIG (a bad worker setting the runtime reads:
 * converters, offset.flush.interval.ms, client settings), SL_ERR_NOMEM. */
sl_err_t sl_connect_runtime_new(const sl_props_t *worker_props, const sl_connect_plugins_t *plugins,
                                sl_connect_offset_store_t *offsets, const char *worker_id,
                                sl_connect_status_fn *status, void *status_arg,
                                sl_connect_runtime_t **out, char *errbuf, size_t errlen);
/* Stops everything running here (as stop_task and stop_connector) and
 * frees. Accepts NULL. */
void sl_connect_runtime_free(sl_connect_runtime_t *rt);

/* Checks a connector config (borrowed) without starting anything: name,
 * connector.class (*plugin set), tasks.max 1..256, the plugin's
 * definitions (*resolved: config plus defaults; may be NULL), converters,
 * transforms/predicates (pipeline), errors.*, sinks' topics,
 * exactly.once.support=required against the plugin and the worker.
 * SL_ERR_CONFIG with the first problem in errbuf, SL_ERR_NOMEM. */
sl_err_t sl_connect_runtime_check(const sl_connect_runtime_t *rt, const sl_props_t *config,
                                  const sl_connect_plugin_t **plugin, sl_props_t **resolved,
                                  char *errbuf, size_t errlen);

/* Starts connector name with config (borrowed; checked here again) on this
 * worker: connector_start, state RUNNING (or PAUSED when paused).
 * SL_ERR_EXISTS (runs here), SL_ERR_CONFIG, the plugin's code (errbuf holds
 * its sentence; state FAILED), SL_ERR_NOMEM. */
sl_err_t sl_connect_runtime_start_connector(sl_connect_runtime_t *rt, const char *name,
                                            const sl_props_t *config, bool paused, char *errbuf,
                                            size_t errlen);
/* The task configs of connector name (running here): task_configs(max)
 * with tasks.max, each a new sl_props_t holding only what the plugin gave
 * (the connector's config when it has no task_configs). *cfgs is a
 * malloc'ed array the caller frees with each item (sl_props_free).
 * SL_ERR_NOENT (not running here), the plugin's code, SL_ERR_NOMEM. */
sl_err_t sl_connect_runtime_task_configs(sl_connect_runtime_t *rt, const char *name,
                                         sl_props_t ***cfgs, int *n, char *errbuf, size_t errlen);
/* Stops connector name here (connector_stop; state UNASSIGNED). Its tasks
 * are stopped separately. No-op when it does not run here. */
void sl_connect_runtime_stop_connector(sl_connect_runtime_t *rt, const char *name);

/* Starts task `task` of connector name here, on its own thread, with the
 * connector's config overlaid by the task's (both borrowed). A source whose
 * connector config asks for exactly-once (and the worker allows it, and
 * the offset store has send_in_txn) runs each poll in one transaction with
 * transactional.id "<group.id or connector>-<name>-<task>". SL_ERR_EXISTS,
 * SL_ERR_CONFIG, SL_ERR_NOMEM; a failure after the thread started is
 * reported as FAILED through the status callback. */
sl_err_t sl_connect_runtime_start_task(sl_connect_runtime_t *rt, const char *name, int task,
                                       const sl_props_t *connector_config,
                                       const sl_props_t *task_config, bool paused, char *errbuf,
                                       size_t errlen);
/* Stops a task here and waits for its thread (sources: acknowledged
 * offsets stored and flushed; sinks: flushed and committed; state
 * UNASSIGNED). No-op when it does not run here. */
void sl_connect_runtime_stop_task(sl_connect_runtime_t *rt, const char *name, int task);
/* Pauses or resumes connector name and its tasks running here. */
void sl_connect_runtime_set_paused(sl_connect_runtime_t *rt, const char *name, bool paused);
/* Flushes the offset store now (the runtime also flushes it every
 * offset.flush.interval.ms on its own). */
sl_err_t sl_connect_runtime_flush_offsets(sl_connect_runtime_t *rt);

/* ---- herders: where configs live and where things run ---------------------
 * worker.c calls these with the worker's lock held; answers in arena
 * memory. Errors as the public calls of the same names. */
typedef struct sl_connect_herder_ops {
    sl_err_t (*put)(void *h, const char *name, const sl_props_t *config, bool create_only,
                    bool *created, char *errbuf, size_t errlen);
    sl_err_t (*remove)(void *h, const char *name, char *errbuf, size_t errlen);
    sl_err_t (*set_paused)(void *h, const char *name, bool paused, char *errbuf, size_t errlen);
    sl_err_t (*restart)(void *h, const char *name, bool include_tasks, bool only_failed,
                        char *errbuf, size_t errlen);
    sl_err_t (*restart_task)(void *h, const char *name, int task, char *errbuf, size_t errlen);
    sl_err_t (*list)(void *h, sl_arena_t *arena, const char ***names, size_t *n);
    sl_err_t (*config)(void *h, const char *name, sl_props_t **out);
    sl_err_t (*tasks)(void *h, const char *name, sl_arena_t *arena,
                      sl_connect_task_config_t **tasks, size_t *n);
    sl_err_t (*status)(void *h, const char *name, sl_arena_t *arena, sl_connect_status_t *out);
    void (*free)(void *h);
} sl_connect_herder_ops_t;

/* The standalone herder (herder_local.c) and the distributed one
 * (herder_dist.c). Both take worker_props and plugins borrowed (the worker
 * outlives them) and create their own runtime and offset store.
 * SL_ERR_CONFIG, SL_ERR_NOMEM (and for the distributed one SL_ERR_TIMEOUT
 * or the client's error when the topics cannot be created or read). */
sl_err_t sl_connect_herder_local_new(const sl_props_t *worker_props,
                                     const sl_connect_plugins_t *plugins, const char *worker_id,
                                     const sl_connect_herder_ops_t **ops, void **h, char *errbuf,
                                     size_t errlen);
sl_err_t sl_connect_herder_dist_new(const sl_props_t *worker_props,
                                    const sl_connect_plugins_t *plugins, const char *worker_id,
                                    const sl_connect_herder_ops_t **ops, void **h, char *errbuf,
                                    size_t errlen);

/* ---- pipeline.c: one record between a plugin and the wire -----------------
 * One per task: the connector's converters, its transform chain and its
 * error handling (errors.tolerance, errors.log.*, the dead letter queue
 * with errors.deadletterqueue.* and the __connect.errors.* headers). Used
 * by one task thread. */
typedef struct sl_connect_pipeline sl_connect_pipeline_t;

/* config: the connector's resolved config; worker_props for the default
 * converters; producer_conf: the client settings the DLQ producer starts
 * from (all borrowed, copied when kept). SL_ERR_CONFIG (a bad converter,
 * transform, predicate or errors.* setting: errbuf names it), SL_ERR_NOMEM. */
sl_err_t sl_connect_pipeline_new(const sl_props_t *worker_props, const sl_props_t *config,
                                 sl_connect_kind_t kind, const char *connector, int task,
                                 const sl_conf_t *producer_conf, sl_connect_pipeline_t **out,
                                 char *errbuf, size_t errlen);
/* Checks the transforms, predicates, converters and errors.* keys of
 * config without building anything (for sl_connect_runtime_check).
 * SL_ERR_CONFIG, SL_ERR_NOMEM. */
sl_err_t sl_connect_pipeline_check(const sl_props_t *worker_props, const sl_props_t *config,
                                   sl_connect_kind_t kind, char *errbuf, size_t errlen);
/* Flushes the DLQ producer and frees. Accepts NULL. */
void sl_connect_pipeline_free(sl_connect_pipeline_t *p);

/* Source: rec (borrowed) through the transforms and converters into *out,
 * whose pointers (topic, key, value, headers) live in mem. *skip: nothing
 * to send (a transform dropped it, or it failed and errors.tolerance=all;
 * logged and counted). SL_ERR_INVAL or SL_ERR_PARSE with errbuf when it
 * failed and the tolerance is none (the task fails), SL_ERR_NOMEM. */
sl_err_t sl_connect_pipeline_source(sl_connect_pipeline_t *p, const sl_connect_record_t *rec,
                                    sl_connect_mem_t *mem, sl_produce_rec_t *out, bool *skip,
                                    char *errbuf, size_t errlen);
/* Sink: msg (borrowed) through the converters and transforms into *out
 * (values in mem; topic, headers and the rest pointing into msg or mem).
 * *skip: not to put (dropped by a transform, or failed with
 * errors.tolerance=all: logged, counted and sent to the DLQ when one is
 * configured). Errors as for sources. */
sl_err_t sl_connect_pipeline_sink(sl_connect_pipeline_t *p, const sl_message_t *msg,
                                  sl_connect_mem_t *mem, sl_connect_record_t *out, bool *skip,
                                  char *errbuf, size_t errlen);
/* Records that failed and were skipped, and how many reached the DLQ. */
void sl_connect_pipeline_counts(const sl_connect_pipeline_t *p, uint64_t *skipped,
                                uint64_t *dead_lettered);
/* Sinks: waits up to timeout_ms (-1: no limit) until every record sent to
 * the dead letter queue so far was acknowledged; call it before committing
 * the consumed offsets (at least once for DLQ records too). SL_OK at once
 * without a DLQ (and for NULL); SL_ERR_TIMEOUT, or the first delivery
 * error with errbuf saying how many were lost: do not commit then. */
sl_err_t sl_connect_pipeline_flush(sl_connect_pipeline_t *p, int timeout_ms, char *errbuf,
                                   size_t errlen);
/* The common connector definitions the pipeline reads (transforms,
 * predicates, errors.*), and those of each transform and predicate named in
 * config, appended to out as validation entries in arena memory (see
 * sl_connect_worker_validate), with errors for bad values. SL_ERR_NOMEM. */
sl_err_t sl_connect_pipeline_validate(const sl_props_t *config, sl_connect_kind_t kind,
                                      sl_arena_t *arena, sl_connect_config_result_t **out,
                                      size_t *n, size_t *cap);

#endif /* SL_CONNECT_INT_H */
