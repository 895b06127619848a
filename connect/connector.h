/*
 * connector.h - the plugin ABI of Sluice Connect, and the manual for
 * connector authors. A connector is a shared object that includes only this
 * header (no other Sluice header, no Sluice library linked): everything it
 * needs from the worker comes through the host function table.
 *
 * Loading. The worker dlopen()s every *.so in `connect.plugin.path` with
 * RTLD_NOW | RTLD_LOCAL, looks up one symbol, SL_CONNECT_ENTRY_SYMBOL, of type
 * sl_connect_entry_fn, and calls it once with the host table. The descriptor
 * it returns must say abi_version == SL_CONNECT_ABI_VERSION; then the
 * optional init() runs once. A plugin whose symbol is missing, whose
 * descriptor is NULL or of another ABI version, or whose init() fails is
 * refused with an error naming the file and the reason; the worker runs the
 * other plugins all the same. The descriptor and everything it points to
 * (class name, config definitions, vtables) must stay valid and unchanged
 * until the plugin is unloaded (static data is the usual choice).
 *
 * Shape (Kafka Connect's). A connector class (a descriptor) is either a
 * source (reads an external system, produces records into topics) or a sink
 * (consumes topics, writes an external system). For each configured
 * connector the worker calls connector_start() with the validated config,
 * then task_configs(max_tasks) to split the work into at most max_tasks task
 * configs, then starts one task per config, each on its own thread. On
 * stop: the tasks' stop(), then connector_stop().
 *
 *   source task:  start -> poll -> poll ... (commit after offsets are
 *                 stored) -> stop
 *   sink task:    start -> put -> put ... flush(offsets) -> put ... -> stop
 *
 * Threads. connector_start, task_configs and connector_stop run on the
 * thread that adds or removes the connector (the worker's); one task's
 * calls all run on that task's own thread, never two at once. Different
 * tasks of one class run concurrently: shared state in a plugin needs its
 * own lock. The host functions may be
 * called from any of those threads, with the ctx or batch of that call.
 *
 * Memory. Strings given to the plugin are borrowed for the duration of the
 * call unless said otherwise; the plugin copies what it keeps. Values and
 * schemas (the data model below) are built with host functions inside an
 * sl_connect_mem_t that the host owns and frees; a plugin never frees them.
 *
 * Errors. Calls return 0 (SL_CONNECT_OK) or one of the negative
 * SL_CONNECT_E* codes below (they equal libsluice-base's sl_err_t codes of
 * the same name), and may say why with host->set_error(ctx, ...) before
 * returning: the worker logs that sentence with the connector's name and
 * reports the task as failed. SL_CONNECT_EAGAIN from put() or poll() means
 * "retriable, call me again with the same data later".
 *
 * Delivery. At least once: a source offset is stored only after every
 * record polled before it was acknowledged by the broker, so after a crash
 * a source task resumes from a stored offset and may poll some records a
 * second time. A sink's committed offset moves only after flush() returned
 * 0 for it, so after a crash put() may see records it has seen before.
 */
#ifndef SL_CONNECTOR_H
#define SL_CONNECTOR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI version this header describes. Bumped on any incompatible change
 * of a struct or a call below; the worker refuses other versions. */
#define SL_CONNECT_ABI_VERSION 2u
/* The one symbol every plugin exports (its name and signature stay; the
 * descriptor's abi_version tells the layout). */
#define SL_CONNECT_ENTRY_SYMBOL "sl_connect_plugin_v1"

/* Return codes (libsluice-base's values). */
#define SL_CONNECT_OK 0
#define SL_CONNECT_ENOMEM (-100)   /* out of memory */
#define SL_CONNECT_EINVAL (-101)   /* a bad argument */
#define SL_CONNECT_EPARSE (-103)   /* malformed input (e.g. a stored offset) */
#define SL_CONNECT_ECONFIG (-106)  /* a bad configuration value */
#define SL_CONNECT_EIO (-107)      /* the external system failed */
#define SL_CONNECT_EAGAIN (-113)   /* retriable: call again later */
#define SL_CONNECT_ESTATE (-115)   /* not valid now */

/* Log levels for host->log (libsluice-base's). */
#define SL_CONNECT_LOG_DEBUG 0
#define SL_CONNECT_LOG_INFO 1
#define SL_CONNECT_LOG_WARN 2
#define SL_CONNECT_LOG_ERROR 3

/* ======================================================================
 * Data model: Kafka Connect's Schema and Struct, small.
 *
 * A value has a type; a schema (optional: schemaless data has none)
 * describes it. Both are plain structs the plugin may read directly; they
 * are built only with the host's constructors, inside an sl_connect_mem_t,
 * and live as long as that memory (a poll batch, a put call).
 * ====================================================================== */

typedef enum sl_ctype {
    SL_CT_NULL = 0,     /* no value (a null) */
    SL_CT_BOOLEAN,
    SL_CT_INT8,
    SL_CT_INT16,
    SL_CT_INT32,
    SL_CT_INT64,
    SL_CT_FLOAT32,
    SL_CT_FLOAT64,
    SL_CT_STRING,       /* UTF-8 bytes, not necessarily NUL-free */
    SL_CT_BYTES,
    SL_CT_ARRAY,
    SL_CT_MAP,
    SL_CT_STRUCT,
} sl_ctype_t;

typedef struct sl_cschema sl_cschema_t;
typedef struct sl_cvalue sl_cvalue_t;

typedef struct sl_cfield {
    const char *name;            /* NUL-terminated */
    const sl_cschema_t *schema;
} sl_cfield_t;

struct sl_cschema {
    sl_ctype_t type;             /* never SL_CT_NULL */
    int optional;                /* 1: the value may be null */
    const char *name;            /* a name (e.g. "org.example.User", a logical
                                  * type); NULL: none */
    int32_t version;             /* 0: none */
    const sl_cfield_t *fields;   /* STRUCT: fields in order */
    size_t field_count;
    const sl_cschema_t *keys;    /* MAP: key schema */
    const sl_cschema_t *items;   /* ARRAY: element schema; MAP: value schema */
};

typedef struct sl_cpair {
    const sl_cvalue_t *key;      /* MAP: the key; STRUCT: a STRING value, the field name */
    const sl_cvalue_t *value;
} sl_cpair_t;

struct sl_cvalue {
    sl_ctype_t type;
    union {
        int boolean;             /* BOOLEAN: 0 or 1 */
        int64_t i;               /* INT8..INT64 */
        double f;                /* FLOAT32, FLOAT64 */
        struct {
            const char *ptr;     /* STRING: also NUL-terminated at ptr[len] */
            size_t len;
        } bytes;                 /* STRING, BYTES */
        struct {
            const sl_cvalue_t *const *items;
            size_t count;
        } array;                 /* ARRAY */
        struct {
            const sl_cpair_t *pairs;
            size_t count;
        } map;                   /* MAP and STRUCT (fields in schema order) */
    } u;
};

/* ======================================================================
 * Records
 * ====================================================================== */

/* A record header (Kafka's): a key and raw bytes. value NULL: a null
 * value. */
typedef struct sl_connect_header {
    const char *key;                  /* NUL-terminated */
    const void *value;
    size_t value_len;
} sl_connect_header_t;

/* A record between a connector and the worker. In a source's batch_add()
 * every pointer is borrowed for the call (the host copies; values built in
 * the batch's memory are taken as they are). In a sink's put() everything
 * is borrowed until put() returns. */
typedef struct sl_connect_record {
    const char *topic;                /* source: required; sink: where it came from */
    int32_t partition;                /* -1: let the producer choose */
    const sl_cschema_t *key_schema;   /* NULL: schemaless */
    const sl_cvalue_t *key;           /* NULL: null key */
    const sl_cschema_t *value_schema;
    const sl_cvalue_t *value;         /* NULL: null value */
    int64_t timestamp;                /* ms since the epoch; 0: now (source) */
    /* Source only: where the record came from and how to resume after it,
     * each a JSON object as text (Kafka's sourcePartition and sourceOffset
     * maps), e.g. {"filename":"/var/log/app"} and {"position":1234}. The
     * partition text is a key: the same partition must give the same bytes. */
    const char *source_partition;
    const char *source_offset;
    /* Sink only: the record's offset in topic/partition. */
    int64_t kafka_offset;
    /* Headers in order (ABI 2). Source: copied by batch_add; sink:
     * borrowed until put() returns. */
    const sl_connect_header_t *headers;
    size_t header_count;
} sl_connect_record_t;

/* A topic partition and the next offset to consume (sink flush). */
typedef struct sl_connect_tpo {
    const char *topic;
    int32_t partition;
    int64_t offset;
} sl_connect_tpo_t;

/* ======================================================================
 * The host function table
 * ====================================================================== */

/* Opaque handles owned by the host. */
typedef struct sl_connect_ctx sl_connect_ctx_t;       /* one per connector or task */
typedef struct sl_connect_mem sl_connect_mem_t;       /* memory values live in */
typedef struct sl_connect_batch sl_connect_batch_t;   /* records a source poll returns */
typedef struct sl_connect_taskcfgs sl_connect_taskcfgs_t; /* task_configs() output */

typedef struct sl_connect_host {
    uint32_t abi_version;        /* SL_CONNECT_ABI_VERSION of the worker */

    /* Writes one log line at level (SL_CONNECT_LOG_*), prefixed with the
     * connector or task name. ctx may be NULL (plugin-wide, e.g. in init). */
    void (*log)(sl_connect_ctx_t *ctx, int level, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
    /* Records why the call about to return failed (copied; the last one
     * wins). The worker reports it with the task's failure. */
    void (*set_error)(sl_connect_ctx_t *ctx, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

    /* The value of key in this connector's or task's config (validated,
     * defaults filled in), or NULL when unset with no default. Borrowed
     * from ctx: valid until the connector or task is stopped. */
    const char *(*config_get)(sl_connect_ctx_t *ctx, const char *key);
    /* Integer and boolean views of config_get (the definitions made sure
     * the text parses): def when unset. */
    int64_t (*config_int)(sl_connect_ctx_t *ctx, const char *key, int64_t def);

    /* Source tasks: the last stored offset (JSON text) of source_partition
     * (JSON text, compared byte for byte), or NULL when none is stored.
     * Borrowed: valid until the next offset_get on the same ctx. */
    const char *(*offset_get)(sl_connect_ctx_t *ctx, const char *source_partition);

    /* task_configs(): adds key=value (both copied) to the config of task
     * `task` (0-based; tasks must be filled in order: task n is created by
     * its first key). SL_CONNECT_EINVAL (task out of order or >= max_tasks),
     * SL_CONNECT_ENOMEM. */
    int (*taskcfg_put)(sl_connect_taskcfgs_t *out, int task, const char *key, const char *value);

    /* Source poll(): the memory that values for this batch are built in, and
     * the call adding one record (copied, see sl_connect_record_t).
     * SL_CONNECT_EINVAL (no topic, no source_partition/source_offset),
     * SL_CONNECT_ENOMEM. */
    sl_connect_mem_t *(*batch_mem)(sl_connect_batch_t *batch);
    int (*batch_add)(sl_connect_batch_t *batch, const sl_connect_record_t *rec);

    /* Value constructors. All return NULL only when out of memory; what
     * they return lives in mem. string/bytes copy their input. Collections
     * are filled with the *_put calls before being handed on: a value must
     * not change after batch_add(). */
    sl_cvalue_t *(*val_null)(sl_connect_mem_t *mem);
    sl_cvalue_t *(*val_bool)(sl_connect_mem_t *mem, int b);
    sl_cvalue_t *(*val_int)(sl_connect_mem_t *mem, sl_ctype_t type, int64_t i); /* INT8..INT64 */
    sl_cvalue_t *(*val_float)(sl_connect_mem_t *mem, sl_ctype_t type, double f); /* FLOAT32/64 */
    sl_cvalue_t *(*val_string)(sl_connect_mem_t *mem, const char *s, size_t len);
    sl_cvalue_t *(*val_bytes)(sl_connect_mem_t *mem, const void *p, size_t len);
    sl_cvalue_t *(*val_new)(sl_connect_mem_t *mem, sl_ctype_t type); /* ARRAY, MAP, STRUCT: empty */
    /* Appends to an ARRAY (key NULL), a MAP (key any value) or a STRUCT (key
     * a STRING value naming the field). Takes item and key as they are (they
     * must live in the same mem). SL_CONNECT_EINVAL, SL_CONNECT_ENOMEM. */
    int (*val_put)(sl_connect_mem_t *mem, sl_cvalue_t *coll, const sl_cvalue_t *key,
                   const sl_cvalue_t *item);
    /* A STRUCT's field by name, or NULL. */
    const sl_cvalue_t *(*struct_get)(const sl_cvalue_t *st, const char *name);

    /* Schema constructors (same memory rules). schema_new: a schema of type
     * with name (copied; NULL: none). schema_add_field appends a field to a
     * STRUCT schema; schema_set_items sets an ARRAY's element schema or a
     * MAP's key and value schemas (keys NULL for an ARRAY). */
    sl_cschema_t *(*schema_new)(sl_connect_mem_t *mem, sl_ctype_t type, int optional,
                                const char *name);
    int (*schema_add_field)(sl_connect_mem_t *mem, sl_cschema_t *st, const char *name,
                            const sl_cschema_t *field);
    int (*schema_set_items)(sl_cschema_t *coll, const sl_cschema_t *keys,
                            const sl_cschema_t *items);
} sl_connect_host_t;

/* ======================================================================
 * Config definitions (Kafka's ConfigDef)
 * ====================================================================== */

typedef enum sl_connect_cfgtype {
    SL_CFG_STRING = 1,
    SL_CFG_INT,          /* 32-bit */
    SL_CFG_LONG,         /* 64-bit */
    SL_CFG_DOUBLE,
    SL_CFG_BOOLEAN,      /* true / false */
    SL_CFG_LIST,         /* comma-separated, items trimmed */
    SL_CFG_PASSWORD,     /* a string never logged */
} sl_connect_cfgtype_t;

typedef enum sl_connect_importance {
    SL_IMPORTANCE_HIGH = 1,
    SL_IMPORTANCE_MEDIUM,
    SL_IMPORTANCE_LOW,
} sl_connect_importance_t;

typedef struct sl_connect_configdef {
    const char *name;
    sl_connect_cfgtype_t type;
    const char *default_value;   /* as text; NULL: required (no default) */
    sl_connect_importance_t importance;
    const char *doc;             /* one or two sentences for users */
} sl_connect_configdef_t;

/* ======================================================================
 * Tasks and the descriptor
 * ====================================================================== */

typedef enum sl_connect_kind {
    SL_CONNECT_SOURCE = 1,
    SL_CONNECT_SINK = 2,
} sl_connect_kind_t;

typedef struct sl_connect_source_task {
    /* Creates a task from its config (read through ctx, which stays valid
     * until stop) and resumes from host->offset_get(). *task is the plugin's
     * own state, handed to the other calls. */
    int (*start)(sl_connect_ctx_t *ctx, void **task);
    /* Adds the next records to batch with host->batch_add (up to about
     * max_records), waiting up to timeout_ms when there are none; returning
     * 0 with none added is fine. */
    int (*poll)(void *task, sl_connect_batch_t *batch, size_t max_records, int timeout_ms);
    /* Offsets of everything polled so far were acknowledged and stored
     * (Kafka's SourceTask.commit). Optional (NULL). */
    int (*commit)(void *task);
    /* Releases the task. Called once, also after a failed poll. */
    void (*stop)(void *task);
} sl_connect_source_task_t;

typedef struct sl_connect_sink_task {
    int (*start)(sl_connect_ctx_t *ctx, void **task);
    /* Writes (or buffers) recs[0..n), borrowed until return. */
    int (*put)(void *task, const sl_connect_record_t *recs, size_t n);
    /* Makes everything put so far durable. offsets[0..n): the next offset
     * per partition that the worker will commit when this returns 0. */
    int (*flush)(void *task, const sl_connect_tpo_t *offsets, size_t n);
    void (*stop)(void *task);
} sl_connect_sink_task_t;

typedef struct sl_connect_plugin {
    uint32_t abi_version;          /* SL_CONNECT_ABI_VERSION */
    const char *class_name;        /* "FileStreamSource": what connector.class names */
    const char *version;           /* the plugin's own version, for listings */
    sl_connect_kind_t kind;
    const sl_connect_configdef_t *config_defs; /* validated before start */
    size_t config_def_count;
    /* Once after loading; a non-zero return (with errbuf filled) refuses the
     * plugin. Optional (NULL). */
    int (*init)(char *errbuf, size_t errlen);
    /* Optional: called before unloading. */
    void (*fini)(void);
    /* The connector: start (config through ctx, valid until stop), split the
     * work into at most max_tasks task configs (returns how many, >= 1, or a
     * negative code), stop. connector_start and connector_stop are optional;
     * without task_configs each task gets the connector's config. */
    int (*connector_start)(sl_connect_ctx_t *ctx, void **state);
    int (*task_configs)(void *state, sl_connect_ctx_t *ctx, int max_tasks,
                        sl_connect_taskcfgs_t *out);
    void (*connector_stop)(void *state);
    const sl_connect_source_task_t *source;  /* kind SOURCE */
    const sl_connect_sink_task_t *sink;      /* kind SINK */
    /* Sources (ABI 2): 1 when the task's source offsets fully describe its
     * position, so that the worker may write each poll's records and
     * offsets in one transaction (exactly.once.source.support=enabled) and
     * a task restarted from the last committed offset produces nothing
     * twice; 0 otherwise (exactly.once.support=required is then refused). */
    int exactly_once;
} sl_connect_plugin_t;

/* The entry point: returns the plugin's descriptor (static; NULL refuses
 * the load). host is valid until the plugin is unloaded: keep the pointer. */
typedef const sl_connect_plugin_t *sl_connect_entry_fn(const sl_connect_host_t *host);

/* What a plugin defines (exported even when it builds with
 * -fvisibility=hidden); the worker itself never defines it. */
#define SL_CONNECT_EXPORT __attribute__((visibility("default")))
SL_CONNECT_EXPORT const sl_connect_plugin_t *sl_connect_plugin_v1(const sl_connect_host_t *host);

#ifdef __cplusplus
}
#endif

#endif /* SL_CONNECTOR_H */
