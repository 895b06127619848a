/*
 * streams.h - the manual of libsluice-streams: stream processing in C on
 * Kafka topics, as Kafka Streams does it in Java. A topology is written with
 * the DSL macros at the end of this file (or the builder calls they expand
 * to), built once, and then run: in-process by the test driver (no broker),
 * or by an application instance (sl_app_t) against any Kafka-compatible
 * broker, as many instances and threads as wanted, sharing the input
 * partitions through a consumer group.
 *
 *   values      sl_val_t: what flows through a topology (null, bytes,
 *               string, int32, int64, double, JSON, a user pointer, a
 *               windowed key), and serdes turning them into topic bytes
 *   context     sl_ctx_t: what every user function gets - the record's
 *               topic, partition, offset, timestamp and headers, memory for
 *               results, forward/emit, state stores, punctuators
 *   builder     sources, stateless operators, repartitioning, grouping,
 *               aggregation into tables, windows, suppression, joins, sinks,
 *               the Processor API; errors are sticky on the builder
 *   topology    the built, immutable graph: sub-topologies, describe()
 *   stores      key-value, window and session stores (LMDB, a record cache,
 *               a changelog topic each), read and written by processors and
 *               read by interactive queries
 *   test driver pipe records into input topics, read output topics and
 *               stores, advance wall-clock time - no broker
 *   app         one application instance: stream threads, tasks, the
 *               consumer group, at_least_once / exactly_once_v2, state
 *               restore, interactive queries
 *
 * Memory. "Borrows" means nothing is kept after the call; "takes" means the
 * callee frees. Values handed to a user function (key, value, aggregate,
 * join sides) are borrowed and stay valid until the input record that
 * caused the call is completely processed, so a result may point into them.
 * Results a function makes are allocated from the record's memory
 * (sl_ctx_alloc() and the sl_val_* constructors taking a ctx), which is
 * released when the input record is completely processed: nothing a user
 * function returns is ever freed by the user.
 *
 * Threads. A built sl_topology_t is immutable and may be shared by any
 * number of drivers and apps on any threads. A task (one partition of one
 * sub-topology) runs on one stream thread at a time; every user function of
 * a task is called on that thread, never concurrently with another call for
 * the same task, so processor state needs no locks. Different tasks run in
 * parallel on different threads: functions shared by tasks must not keep
 * unsynchronised global state. A test driver is used from one thread.
 *
 * Errors: one sl_err_t (base.h); 0 is ok, Kafka's codes positive, ours
 * negative:
 *   SL_ERR_INVAL      a bad argument or a topology that cannot be built
 *                     (the builder's message says which node and why)
 *   SL_ERR_CONFIG     a bad setting (errbuf: key, value, why)
 *   SL_ERR_PARSE      bytes a serde could not read (the record is skipped
 *                     and logged, as Kafka's LogAndContinue handler does,
 *                     unless default.deserialization.exception.handler is
 *                     logAndFail)
 *   SL_ERR_NOENT  no such store, topic or key
 *   SL_ERR_STATE      not valid now (e.g. a query on a store still restoring)
 *   SL_ERR_IO         the state directory or LMDB failed (message logged)
 *   SL_ERR_NOMEM      out of memory
 */
#ifndef SL_STREAMS_H
#define SL_STREAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

struct json_t; /* jansson's */

/* ======================================================================
 * Values
 * ====================================================================== */

typedef enum sl_vtype {
    SL_V_NULL = 0,   /* no value: a null key, a tombstone, a missing join side */
    SL_V_BYTES,      /* bytes.ptr[0..bytes.len) */
    SL_V_STRING,     /* bytes.ptr[0..bytes.len), UTF-8; also NUL-terminated */
    SL_V_I32,
    SL_V_I64,
    SL_V_F64,
    SL_V_JSON,       /* json: a jansson value (see sl_val_json) */
    SL_V_PTR,        /* ptr: a user object (user serdes make and read it) */
    SL_V_WINDOWED    /* win: a key with its window [start, end) in ms */
} sl_vtype_t;

typedef struct sl_val sl_val_t;

typedef struct sl_windowed {
    const sl_val_t *key;     /* the grouping key */
    int64_t start;           /* window start, ms, inclusive */
    int64_t end;             /* window end, ms, exclusive (session: last
                              * record's timestamp, inclusive, as Kafka;
                              * sliding: start + the time difference,
                              * inclusive) */
} sl_windowed_t;

struct sl_val {
    sl_vtype_t type;
    union {
        struct {
            const uint8_t *ptr;
            size_t len;
        } bytes;              /* SL_V_BYTES, SL_V_STRING */
        int32_t i32;
        int64_t i64;
        double f64;
        struct json_t *json;
        void *ptr;
        sl_windowed_t win;
    } u;
};

typedef struct sl_ctx sl_ctx_t;

/* Constructors. Those without a ctx make no copy and allocate nothing (the
 * pointer must outlive the use, e.g. a string literal or a part of an input
 * value). Those with a ctx copy into the record's memory; they return a
 * null value if memory runs out (and the record fails with SL_ERR_NOMEM).
 * sl_val_json takes one reference to json (it is released with the record's
 * memory); sl_val_windowed copies key into the record's memory. */
static inline sl_val_t sl_val_null(void) { sl_val_t v = {SL_V_NULL, {{0, 0}}}; return v; }
static inline sl_val_t sl_val_i32(int32_t x) { sl_val_t v = {SL_V_I32, {{0, 0}}}; v.u.i32 = x; return v; }
static inline sl_val_t sl_val_i64(int64_t x) { sl_val_t v = {SL_V_I64, {{0, 0}}}; v.u.i64 = x; return v; }
static inline sl_val_t sl_val_f64(double x) { sl_val_t v = {SL_V_F64, {{0, 0}}}; v.u.f64 = x; return v; }
static inline sl_val_t sl_val_ptr(void *p) { sl_val_t v = {SL_V_PTR, {{0, 0}}}; v.u.ptr = p; return v; }
/* s must be NUL-terminated at s[len] (a literal, or sl_val_strn's copy). */
static inline sl_val_t sl_val_str_ref(const char *s, size_t len)
{
    sl_val_t v = {SL_V_STRING, {{(const uint8_t *)s, len}}};
    return v;
}
static inline sl_val_t sl_val_bytes_ref(const void *p, size_t len)
{
    sl_val_t v = {SL_V_BYTES, {{(const uint8_t *)p, len}}};
    return v;
}
sl_val_t sl_val_str(sl_ctx_t *ctx, const char *s);                /* copies */
sl_val_t sl_val_strn(sl_ctx_t *ctx, const char *s, size_t len);   /* copies, adds NUL */
sl_val_t sl_val_bytes(sl_ctx_t *ctx, const void *p, size_t len);  /* copies */
sl_val_t sl_val_json(sl_ctx_t *ctx, struct json_t *json);         /* takes a reference */
sl_val_t sl_val_windowed(sl_ctx_t *ctx, const sl_val_t *key, int64_t start, int64_t end);
/* Formatted string (printf), in the record's memory. */
sl_val_t sl_val_printf(sl_ctx_t *ctx, const char *fmt, ...) SL_PRINTF(2, 3);

static inline bool sl_val_is_null(const sl_val_t *v) { return v == NULL || v->type == SL_V_NULL; }
/* Equality of two values of the same type by content (bytes, numbers,
 * JSON by jansson's json_equal, windowed by key and window); values of
 * different types are not equal; two nulls are. */
bool sl_val_equal(const sl_val_t *a, const sl_val_t *b);
/* Writes a readable form (strings as is, numbers in decimal, JSON compact,
 * bytes in hex, windowed as "[key@start/end]", null as "null") into buf,
 * always NUL-terminated; returns buf. */
const char *sl_val_format(const sl_val_t *v, char *buf, size_t len);

/* ======================================================================
 * Serdes: values <-> topic and store bytes
 *
 * The built-in serdes write what Kafka's do, so topics are shared with Java
 * applications: string = UTF-8 bytes, bytes = as is, int32/int64 = 4/8 bytes
 * big-endian, double = 8 bytes IEEE 754 big-endian, JSON = compact UTF-8
 * JSON text. A null value is never given to a serde: it is a null key or
 * value (tombstone) on the wire. A windowed key on the wire is the inner
 * key's bytes followed by the window start as 8 bytes big-endian (time
 * windows), or by the end then the start (session windows), as Kafka's
 * windowed serdes and window/session key schemas write them.
 *
 * Wherever a serde is optional (NULL), the operator uses the serde the
 * stream already has (from its source or an earlier operator), else the
 * "auto" serde: a one-byte type tag followed by the value, which round-trips
 * every sl_val_t but SL_V_PTR (internal topics and stores only; a sink
 * needs a real serde or a known one).
 * ====================================================================== */

typedef struct sl_serde {
    const char *name;   /* as describe() and errors show it ("String", "Long") */
    sl_vtype_t type;    /* what de() makes and ser() accepts; SL_V_NULL: any */
    /* Appends v's bytes to out (v is never null). Errors: SL_ERR_INVAL (a
     * value of another type); a sticky out error is returned as is. */
    sl_err_t (*ser)(const sl_val_t *v, sl_buf_t *out, void *arg);
    /* Reads p[0..n) (never a null) into *out; may point into p (which lives
     * as long as the record) or allocate from arena. SL_ERR_PARSE on bytes
     * it cannot read. */
    sl_err_t (*de)(const uint8_t *p, size_t n, sl_arena_t *arena, sl_val_t *out, void *arg);
    void *arg;
} sl_serde_t;

extern const sl_serde_t sl_serde_string;
extern const sl_serde_t sl_serde_bytes;
extern const sl_serde_t sl_serde_i32;
extern const sl_serde_t sl_serde_i64;
extern const sl_serde_t sl_serde_f64;
extern const sl_serde_t sl_serde_json;
extern const sl_serde_t sl_serde_auto;

#define SL_STRING (&sl_serde_string)
#define SL_BYTES (&sl_serde_bytes)
#define SL_I32 (&sl_serde_i32)
#define SL_I64 (&sl_serde_i64)
#define SL_F64 (&sl_serde_f64)
#define SL_JSON (&sl_serde_json)
#define SL_AUTO (&sl_serde_auto)

/* A serde of windowed keys over inner, as Kafka's TimeWindowedSerde
 * (key bytes then the start; reading makes end = start + size_ms) or
 * SessionWindowedSerde (key bytes, end, start). Fill one with
 * sl_serde_windowed_init (it must outlive its use) and pass &w->serde. */
typedef struct sl_windowed_serde {
    sl_serde_t serde;
    const sl_serde_t *inner;
    int64_t size_ms;
    bool session;
} sl_windowed_serde_t;
const sl_serde_t *sl_serde_windowed_init(sl_windowed_serde_t *w, const sl_serde_t *inner, int64_t size_ms,
                                         bool session);

/* Serializes v (which may be windowed) with s; a null v appends nothing and
 * returns 1 (the caller writes a null). Returns 0 or the serde's error. */
int sl_serde_write(const sl_serde_t *s, const sl_val_t *v, sl_buf_t *out);

/* ======================================================================
 * The context every user function gets
 *
 * Valid during the call only. Record metadata is that of the input record
 * being processed (for punctuators: topic NULL, partition the task's,
 * offset -1, timestamp the punctuation time).
 * ====================================================================== */

typedef struct sl_header {
    const char *key;         /* NUL-terminated */
    const void *value;       /* NULL with value_len -1: null */
    int32_t value_len;
} sl_header_t;

const char *sl_ctx_topic(const sl_ctx_t *ctx);
int32_t sl_ctx_partition(const sl_ctx_t *ctx);
int64_t sl_ctx_offset(const sl_ctx_t *ctx);
int64_t sl_ctx_timestamp(const sl_ctx_t *ctx);
const sl_header_t *sl_ctx_headers(const sl_ctx_t *ctx, size_t *n);
/* The task ("<subtopology>_<partition>", e.g. "0_3"), application id, the
 * task's stream time (largest timestamp seen; -1 before any) and the wall
 * clock (the driver's mock time under the test driver). */
const char *sl_ctx_task_id(const sl_ctx_t *ctx);
const char *sl_ctx_application_id(const sl_ctx_t *ctx);
int64_t sl_ctx_stream_time(const sl_ctx_t *ctx);
int64_t sl_ctx_wall_clock(const sl_ctx_t *ctx);

/* Memory released when the input record is completely processed (for
 * punctuators: when the punctuation ends). NULL when out of memory. */
void *sl_ctx_alloc(sl_ctx_t *ctx, size_t n);
sl_arena_t *sl_ctx_arena(sl_ctx_t *ctx);

/* Sends key/value to every child of the current node (to the named child
 * only with _to), depth first: it returns when the children are done. The
 * timestamp is the current record's unless _ts is used. Headers are
 * the current record's. Borrowed. Errors: SL_ERR_NOENT (no child of
 * that name); failures further down are the record's, not the caller's. */
void sl_ctx_forward(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value);
void sl_ctx_forward_ts(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, int64_t timestamp);
sl_err_t sl_ctx_forward_to(sl_ctx_t *ctx, const char *child, const sl_val_t *key, const sl_val_t *value);

/* For flat_map / flat_map_values functions: emits one output (key kept
 * from the input with _value). May be called any number of times. */
void sl_ctx_emit(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value);
void sl_ctx_emit_value(sl_ctx_t *ctx, const sl_val_t *value);

/* Punctuators: fn(ctx, timestamp, arg) every interval_ms of stream time
 * (when a record moves stream time past the next multiple) or of wall-clock
 * time (checked between records and when idle). Only from a processor's
 * init. Returns a handle for sl_ctx_cancel() (valid until the processor's
 * close), NULL on a bad argument. */
typedef enum sl_punct_type { SL_PUNCT_STREAM_TIME, SL_PUNCT_WALL_CLOCK } sl_punct_type_t;
typedef void sl_punctuator_fn(sl_ctx_t *ctx, int64_t timestamp, void *arg);
typedef struct sl_punct sl_punct_t;
sl_punct_t *sl_ctx_schedule(sl_ctx_t *ctx, int64_t interval_ms, sl_punct_type_t type, sl_punctuator_fn *fn,
                            void *arg);
void sl_ctx_cancel(sl_ctx_t *ctx, sl_punct_t *punct);

/* Asks the task to commit (flush stores, commit offsets) after this record. */
void sl_ctx_commit(sl_ctx_t *ctx);

/* ======================================================================
 * State stores (see "Stores" under the builder for declaring them)
 *
 * A store belongs to one task. Processors reach their stores by name with
 * sl_ctx_store() (only the stores connected to them); interactive queries
 * reach them through sl_app_store() / the test driver. Keys and values are
 * given and returned as sl_val_t, kept as bytes by the store's serdes.
 * Values read are valid until the next write to the store or the end of
 * the record/punctuation, whichever is first (interactive queries: until
 * the query's arena is reset).
 *
 * Writes go through the record cache (if the store has one) to LMDB and to
 * the changelog topic (if logging is on). Read-only callers (interactive
 * queries) get SL_ERR_STATE from writes.
 * ====================================================================== */

typedef struct sl_store sl_store_t;

typedef enum sl_store_kind { SL_STORE_KV, SL_STORE_WINDOW, SL_STORE_SESSION } sl_store_kind_t;

/* The store named name connected to the current processor; NULL if none. */
sl_store_t *sl_ctx_store(sl_ctx_t *ctx, const char *name);
sl_store_kind_t sl_store_kind(const sl_store_t *st);
const char *sl_store_name(const sl_store_t *st);

/* Iteration callback: return false to stop. Borrowed for the call. */
typedef bool sl_kv_iter_fn(const sl_val_t *key, const sl_val_t *value, void *arg);
typedef bool sl_win_iter_fn(const sl_val_t *key, int64_t window_start, const sl_val_t *value, void *arg);
typedef bool sl_session_iter_fn(const sl_val_t *key, int64_t start, int64_t end, const sl_val_t *value,
                                void *arg);

/* Key-value. get: SL_ERR_NOENT when absent (out set null). put with a
 * null value deletes. range: keys in [from, to] in the order of their
 * serialized bytes (NULL bound: open); all: every key. */
sl_err_t sl_kv_get(sl_store_t *st, const sl_val_t *key, sl_val_t *out);
sl_err_t sl_kv_put(sl_store_t *st, const sl_val_t *key, const sl_val_t *value);
sl_err_t sl_kv_delete(sl_store_t *st, const sl_val_t *key);
sl_err_t sl_kv_range(sl_store_t *st, const sl_val_t *from, const sl_val_t *to, sl_kv_iter_fn *fn, void *arg);
sl_err_t sl_kv_all(sl_store_t *st, sl_kv_iter_fn *fn, void *arg);
/* Approximate number of keys. */
int64_t sl_kv_approx_count(sl_store_t *st);

/* Window store: values per (key, window start). put with a null value
 * deletes. fetch: one key's windows with start in [from, to], by start;
 * fetch_range: keys in [kfrom, kto] (NULL: open) likewise; fetch_all: every
 * key, windows with start in [from, to]. Windows older than the store's
 * retention (stream time - retention) are dropped and never returned. */
sl_err_t sl_win_put(sl_store_t *st, const sl_val_t *key, int64_t window_start, const sl_val_t *value);
sl_err_t sl_win_get(sl_store_t *st, const sl_val_t *key, int64_t window_start, sl_val_t *out);
sl_err_t sl_win_fetch(sl_store_t *st, const sl_val_t *key, int64_t from, int64_t to, sl_win_iter_fn *fn,
                      void *arg);
sl_err_t sl_win_fetch_range(sl_store_t *st, const sl_val_t *kfrom, const sl_val_t *kto, int64_t from, int64_t to,
                            sl_win_iter_fn *fn, void *arg);
sl_err_t sl_win_fetch_all(sl_store_t *st, int64_t from, int64_t to, sl_win_iter_fn *fn, void *arg);

/* Session store: values per (key, session [start, end]). put with a null
 * value removes the session. find: the key's sessions that end at or after
 * earliest_end and start at or before latest_start (what merging a new
 * record needs); fetch: every session of a key; fetch_all: every session
 * of every key (by the end's segment, then key, end, start). */
sl_err_t sl_session_put(sl_store_t *st, const sl_val_t *key, int64_t start, int64_t end, const sl_val_t *value);
sl_err_t sl_session_find(sl_store_t *st, const sl_val_t *key, int64_t earliest_end, int64_t latest_start,
                         sl_session_iter_fn *fn, void *arg);
sl_err_t sl_session_fetch(sl_store_t *st, const sl_val_t *key, sl_session_iter_fn *fn, void *arg);
sl_err_t sl_session_fetch_all(sl_store_t *st, sl_session_iter_fn *fn, void *arg);

/* ======================================================================
 * Builder
 *
 * A builder collects a topology. Every call returns a handle owned by the
 * builder (valid until sl_builder_free) or NULL on an error; an error is
 * sticky: later calls given a NULL handle or made after an error do
 * nothing and return NULL, and sl_topology_build() reports the first error
 * with the node and the reason. So a topology is written without checks
 * in between (the DSL macros rely on this).
 *
 * Names: every call takes a name for its node (the DSL uses the variable
 * name). NULL generates Kafka Streams' name ("KSTREAM-FILTER-0000000003").
 * Names must be unique in the topology. Strings given are copied.
 * ====================================================================== */

typedef struct sl_builder sl_builder_t;
typedef struct sl_stream sl_stream_t;     /* KStream */
typedef struct sl_table sl_table_t;       /* KTable (also windowed: keys SL_V_WINDOWED) */
typedef struct sl_grouped sl_grouped_t;   /* KGroupedStream / KGroupedTable */
typedef struct sl_windowed_grouped sl_windowed_grouped_t; /* TimeWindowed/SessionWindowed KStream */
typedef struct sl_global_table sl_global_table_t;

sl_builder_t *sl_builder_new(void); /* NULL when out of memory */
void sl_builder_free(sl_builder_t *b); /* NULL ok; the built topology lives on */
/* The first error so far (0 if none) and its message. */
sl_err_t sl_builder_error(const sl_builder_t *b, char *buf, size_t len);

/* User functions. Every one gets the context and the arg given with it. */
typedef bool sl_predicate_fn(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg);
/* map_values, select_key, group_by's key selector: the new value / key. */
typedef sl_val_t sl_value_mapper_fn(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg);
/* map: sets both. */
typedef void sl_kv_mapper_fn(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, sl_val_t *out_key,
                             sl_val_t *out_value, void *arg);
/* flat_map / flat_map_values: calls sl_ctx_emit / sl_ctx_emit_value. */
typedef void sl_flat_mapper_fn(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg);
/* peek, foreach. */
typedef void sl_foreach_fn(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg);
/* Aggregations: the first aggregate, fold one value in, (tables) take one
 * out, merge two sessions. */
typedef sl_val_t sl_initializer_fn(sl_ctx_t *ctx, void *arg);
typedef sl_val_t sl_aggregator_fn(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, const sl_val_t *agg,
                                  void *arg);
typedef sl_val_t sl_reducer_fn(sl_ctx_t *ctx, const sl_val_t *agg, const sl_val_t *value, void *arg);
typedef sl_val_t sl_merger_fn(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *agg1, const sl_val_t *agg2,
                              void *arg);
/* Joins: the joined value; a missing side is a null value. */
typedef sl_val_t sl_joiner_fn(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *left, const sl_val_t *right,
                              void *arg);
/* Sinks: the partition for a record (0..partitions-1), or -1 for the
 * default (murmur2 of the serialized key as the Java client; null keys
 * spread). */
typedef int32_t sl_partitioner_fn(const char *topic, const sl_val_t *key, const sl_val_t *value,
                                  int32_t partitions, void *arg);
/* Sources: the record's timestamp from the record (the default uses the
 * record's own timestamp). A negative result drops the record (logged),
 * as Kafka's default handling of invalid timestamps does. */
typedef int64_t sl_timestamp_fn(const char *topic, int32_t partition, const sl_val_t *key, const sl_val_t *value,
                                int64_t record_ts, int64_t partition_time, void *arg);

/* --- sources ---------------------------------------------------------- */

/* A stream from one or more topics (comma-separated; all must have the same
 * partition count, else the app fails to start with a clear error). ks/vs:
 * serdes of the topic (required). */
sl_stream_t *sl_builder_stream(sl_builder_t *b, const char *name, const char *topics, const sl_serde_t *ks,
                               const sl_serde_t *vs);
/* A stream from every topic matching a POSIX extended regex (whole name). */
sl_stream_t *sl_builder_stream_pattern(sl_builder_t *b, const char *name, const char *regex, const sl_serde_t *ks,
                                       const sl_serde_t *vs);
/* Sets a timestamp extractor on a source stream (the stream returned by
 * sl_builder_stream*, before other operators). */
sl_stream_t *sl_stream_with_timestamps(sl_stream_t *s, sl_timestamp_fn *fn, void *arg);
/* A table from a topic: the latest value per key, materialized in store
 * (NULL: a generated name), a cached key-value store logged to its own
 * changelog "<app>-<store>-changelog" (Kafka may reuse the source topic
 * instead). Records with a null key are skipped; a null value deletes. */
sl_table_t *sl_builder_table(sl_builder_t *b, const char *name, const char *topic, const sl_serde_t *ks,
                             const sl_serde_t *vs, const char *store);
/* A global table: every partition of topic on every instance (joins with it
 * need no co-partitioning). */
sl_global_table_t *sl_builder_global_table(sl_builder_t *b, const char *name, const char *topic,
                                           const sl_serde_t *ks, const sl_serde_t *vs, const char *store);

/* --- stateless stream operators ------------------------------------------ */

sl_stream_t *sl_stream_filter(sl_stream_t *s, const char *name, sl_predicate_fn *fn, void *arg);
sl_stream_t *sl_stream_filter_not(sl_stream_t *s, const char *name, sl_predicate_fn *fn, void *arg);
sl_stream_t *sl_stream_map(sl_stream_t *s, const char *name, sl_kv_mapper_fn *fn, void *arg);
sl_stream_t *sl_stream_map_values(sl_stream_t *s, const char *name, sl_value_mapper_fn *fn, void *arg);
sl_stream_t *sl_stream_flat_map(sl_stream_t *s, const char *name, sl_flat_mapper_fn *fn, void *arg);
sl_stream_t *sl_stream_flat_map_values(sl_stream_t *s, const char *name, sl_flat_mapper_fn *fn, void *arg);
sl_stream_t *sl_stream_select_key(sl_stream_t *s, const char *name, sl_value_mapper_fn *fn, void *arg);
sl_stream_t *sl_stream_peek(sl_stream_t *s, const char *name, sl_foreach_fn *fn, void *arg);
/* A terminal operator: returns s's builder error state (0 or the error). */
sl_err_t sl_stream_foreach(sl_stream_t *s, const char *name, sl_foreach_fn *fn, void *arg);
/* split/branch: each record goes to the first branch whose predicate holds
 * (a NULL predicate: every record left, only as the last). Fills out[0..n). */
sl_err_t sl_stream_branch(sl_stream_t *s, const char *name, size_t n, sl_predicate_fn *const *preds,
                          void *const *args, sl_stream_t **out);
sl_stream_t *sl_stream_merge(sl_stream_t *a, sl_stream_t *b, const char *name);
/* Declares serdes for a stream whose types an operator changed (used by
 * later stateful operators, repartitioning and sinks). */
sl_stream_t *sl_stream_with_serdes(sl_stream_t *s, const sl_serde_t *ks, const sl_serde_t *vs);
/* Repartitions through "<application.id>-<name>-repartition" (created by the
 * app with partitions, or the source's count when 0; purged with
 * DeleteRecords once committed). Done automatically before grouping or
 * joining a stream whose key an operator may have changed. */
sl_stream_t *sl_stream_repartition(sl_stream_t *s, const char *name, int32_t partitions);

/* --- sinks ------------------------------------------------------------ */

/* Writes to topic with ks/vs (NULL: the stream's known serdes; an unknown
 * serde is a build error); fn NULL: the default partitioner. */
sl_err_t sl_stream_to(sl_stream_t *s, const char *name, const char *topic, const sl_serde_t *ks,
                      const sl_serde_t *vs, sl_partitioner_fn *fn, void *arg);

/* --- grouping and aggregation --------------------------------------------- */

/* group_by_key keeps the key; group_by sets a new key (and so repartitions
 * through "<app>-<name>-repartition"). ks/vs: serdes for the repartition
 * topic and the stores (NULL: known or auto). */
sl_grouped_t *sl_stream_group_by_key(sl_stream_t *s, const char *name, const sl_serde_t *ks, const sl_serde_t *vs);
sl_grouped_t *sl_stream_group_by(sl_stream_t *s, const char *name, sl_value_mapper_fn *fn, void *arg,
                                 const sl_serde_t *ks, const sl_serde_t *vs);
/* Table group_by: fn's key and value (map); the aggregate later gets
 * adds and subtracts as table rows change. Always repartitioned through
 * "<app>-<name>-repartition": a changed row is sent as two records, the old
 * row (subtracted) then the new one (added), each the value's bytes and a
 * flag byte (1 new, 0 old), as Kafka 3.4. Rows mapped to a null key or
 * value are left out. */
sl_grouped_t *sl_table_group_by(sl_table_t *t, const char *name, sl_kv_mapper_fn *fn, void *arg,
                                const sl_serde_t *ks, const sl_serde_t *vs);

/* Aggregations into a table materialized in store (NULL: generated name).
 * count's values are SL_V_I64 (serde int64). vs: the aggregate's serde
 * (NULL: known or auto). Tables from grouped tables need the subtractor
 * (reduce: sub, aggregate: sub) and ignore it for grouped streams. A null
 * value in a grouped stream is skipped, as Kafka does. The stores are
 * cached: results go downstream when the cache writes through (folded per
 * key; the test driver flushes after every record), without a cache
 * (cache.max.bytes.buffering 0) at every update. A result's timestamp is
 * that of the record that made it (Kafka keeps the largest seen so far). */
sl_table_t *sl_grouped_count(sl_grouped_t *g, const char *name, const char *store);
sl_table_t *sl_grouped_reduce(sl_grouped_t *g, const char *name, sl_reducer_fn *add, sl_reducer_fn *sub, void *arg,
                              const char *store);
sl_table_t *sl_grouped_aggregate(sl_grouped_t *g, const char *name, sl_initializer_fn *init, sl_aggregator_fn *add,
                                 sl_aggregator_fn *sub, void *arg, const sl_serde_t *vs, const char *store);

/* --- windows ------------------------------------------------------------ */

typedef enum sl_window_kind {
    SL_WIN_TUMBLING,   /* [k*size, (k+1)*size) */
    SL_WIN_HOPPING,    /* size, advancing by advance (< size) */
    SL_WIN_SLIDING,    /* windows of size ending at each record (Kafka's SlidingWindows) */
    SL_WIN_SESSION     /* records closer than gap in one session */
} sl_window_kind_t;

typedef struct sl_window_spec {
    sl_window_kind_t kind;
    int64_t size_ms;      /* tumbling, hopping; sliding: the time difference */
    int64_t advance_ms;   /* hopping (tumbling: = size) */
    int64_t gap_ms;       /* session: inactivity gap */
    int64_t grace_ms;     /* records later than window end + grace are dropped */
    int64_t retention_ms; /* the store's; 0: size + grace (the minimum) */
} sl_window_spec_t;

#define SL_TUMBLING(size, grace) ((sl_window_spec_t){SL_WIN_TUMBLING, (size), (size), 0, (grace), 0})
#define SL_HOPPING(size, adv, grace) ((sl_window_spec_t){SL_WIN_HOPPING, (size), (adv), 0, (grace), 0})
#define SL_SLIDING(diff, grace) ((sl_window_spec_t){SL_WIN_SLIDING, (diff), 0, 0, (grace), 0})
#define SL_SESSION(gap, grace) ((sl_window_spec_t){SL_WIN_SESSION, 0, 0, (gap), (grace), 0})

sl_windowed_grouped_t *sl_grouped_windowed_by(sl_grouped_t *g, const char *name, sl_window_spec_t spec);
/* Windowed aggregations: tables keyed by SL_V_WINDOWED keys, in window or
 * session stores. Sessions aggregate with add and merge with merge; when
 * a record joins sessions, the old ones are deleted downstream (null
 * values) before the merged one. Records for closed windows are dropped
 * and logged. A sliding window's store holds its aggregate with its
 * records' largest timestamp (SL_V_PTR values to that pair for direct
 * readers); its results carry that timestamp, as Kafka's. */
sl_table_t *sl_windowed_count(sl_windowed_grouped_t *w, const char *name, const char *store);
sl_table_t *sl_windowed_reduce(sl_windowed_grouped_t *w, const char *name, sl_reducer_fn *add, void *arg,
                               const char *store);
sl_table_t *sl_windowed_aggregate(sl_windowed_grouped_t *w, const char *name, sl_initializer_fn *init,
                                  sl_aggregator_fn *add, sl_merger_fn *merge, void *arg, const sl_serde_t *vs,
                                  const char *store);

/* --- tables --------------------------------------------------------------- */

sl_table_t *sl_table_filter(sl_table_t *t, const char *name, sl_predicate_fn *fn, void *arg);
sl_table_t *sl_table_filter_not(sl_table_t *t, const char *name, sl_predicate_fn *fn, void *arg);
sl_table_t *sl_table_map_values(sl_table_t *t, const char *name, sl_value_mapper_fn *fn, void *arg);
/* The table's changes as a stream (deletes as null values). */
sl_stream_t *sl_table_to_stream(sl_table_t *t, const char *name);
/* Suppression of a windowed table: emits each window's final result once,
 * when stream time passes window end + grace (Suppressed.untilWindowCloses),
 * from a buffer kept in a store with a changelog. */
sl_table_t *sl_table_suppress_final(sl_table_t *t, const char *name);
/* Suppression by time: emits a key's latest value limit_ms of stream time
 * after its first buffered update (Suppressed.untilTimeLimit: later updates
 * replace the value but do not restart the timer), bounded by max_records
 * (0: unbounded; over it the oldest is emitted early). */
sl_table_t *sl_table_suppress_time(sl_table_t *t, const char *name, int64_t limit_ms, int64_t max_records);

/* --- joins ---------------------------------------------------------------- */

typedef enum sl_join_kind { SL_JOIN_INNER, SL_JOIN_LEFT, SL_JOIN_OUTER } sl_join_kind_t;

/* Stream-stream: records of a and b with keys equal and timestamps within
 * [ta - before_ms, ta + after_ms] (JoinWindows.ofTimeDifferenceAndGrace is
 * before = after); left/outer emit a record with a null side once its
 * window has closed (after grace) without a match. Both sides are buffered
 * in window stores "<name>-this-join-store" / "-other-join-store". vs_a/vs_b:
 * the sides' value serdes for the stores (NULL: known or auto). */
sl_stream_t *sl_stream_join(sl_stream_t *a, sl_stream_t *b, const char *name, sl_join_kind_t kind,
                            sl_joiner_fn *fn, void *arg, int64_t before_ms, int64_t after_ms, int64_t grace_ms,
                            const sl_serde_t *vs_a, const sl_serde_t *vs_b);
/* Stream-table: each stream record looks up the table's current value
 * (inner: skipped when absent; left: joined with null). Outer is invalid. */
sl_stream_t *sl_stream_join_table(sl_stream_t *s, sl_table_t *t, const char *name, sl_join_kind_t kind,
                                  sl_joiner_fn *fn, void *arg);
/* Stream-global-table: the lookup key is key_fn(key, value) (NULL: the key). */
sl_stream_t *sl_stream_join_global(sl_stream_t *s, sl_global_table_t *g, const char *name, sl_join_kind_t kind,
                                   sl_value_mapper_fn *key_fn, sl_joiner_fn *fn, void *arg);
/* Table-table (same key): a result row for every change on either side;
 * a row leaving the join yields a delete (null value). */
sl_table_t *sl_table_join(sl_table_t *a, sl_table_t *b, const char *name, sl_join_kind_t kind, sl_joiner_fn *fn,
                          void *arg, const char *store);

/* --- Processor API and stores --------------------------------------------- */

typedef struct sl_processor_def {
    /* Makes the processor's per-task state (may be NULL); may call
     * sl_ctx_store() and sl_ctx_schedule(). A non-zero return fails the task. */
    sl_err_t (*init)(sl_ctx_t *ctx, void **state, void *arg);
    /* One record; forwards with sl_ctx_forward*. */
    void (*process)(sl_ctx_t *ctx, void *state, const sl_val_t *key, const sl_val_t *value);
    /* Frees the state (called once for every successful init). */
    void (*close)(void *state, void *arg);
} sl_processor_def_t;

typedef struct sl_store_def {
    const char *name;
    sl_store_kind_t kind;
    const sl_serde_t *ks;      /* NULL: auto */
    const sl_serde_t *vs;      /* NULL: auto */
    bool logging;              /* a changelog topic "<app>-<name>-changelog" */
    bool caching;              /* through the record cache */
    int64_t retention_ms;      /* window/session stores */
    int64_t window_size_ms;    /* window stores: for the changelog's retention */
    bool retain_duplicates;    /* window stores: keep every put (joins) */
} sl_store_def_t;

/* Adds a store (copied) that processors may connect to by name. */
sl_err_t sl_builder_add_store(sl_builder_t *b, const sl_store_def_t *def);
/* A processor on s, connected to stores[0..n_stores) (names copied); its
 * forwards form the returned stream (serdes unknown). def and arg are
 * borrowed for the topology's life. */
sl_stream_t *sl_stream_process(sl_stream_t *s, const char *name, const sl_processor_def_t *def, void *arg,
                               const char *const *stores, size_t n_stores);

/* ======================================================================
 * Topology
 * ====================================================================== */

typedef struct sl_topology sl_topology_t;

/* Builds the topology: checks it, names what is unnamed, inserts the
 * repartition steps, splits it into sub-topologies. On success *out is a new
 * topology (free with sl_topology_free; independent of b). Errors:
 * SL_ERR_INVAL with errbuf naming the node and the reason (the builder's
 * first error, a name used twice, a store no processor declares, a sink
 * without a serde). */
sl_err_t sl_topology_build(sl_builder_t *b, sl_topology_t **out, char *errbuf, size_t errlen);
void sl_topology_free(sl_topology_t *t);
/* Writes Kafka Streams' TopologyDescription text ("Topologies:\n
 * Sub-topology: 0\n    Source: ... (topics: [...])\n      --> ...") into a
 * new malloc'd string (the caller frees); NULL when out of memory. */
char *sl_topology_describe(const sl_topology_t *t);

/* ======================================================================
 * Test driver (Kafka's TopologyTestDriver): runs a topology in-process on
 * one partition per topic, no broker. Every piped record is processed
 * completely and its caches are written through (to the stores, the
 * changelogs and downstream) before the call returns, so outputs are seen
 * per record; the stores' LMDB transaction is committed every 256 pipes
 * and at sl_driver_free (a commit per record would cost more than the
 * record), which readers of the stores never notice. Wall-clock time is the driver's own mock
 * time, moved only by sl_driver_advance_wall_clock. Stores live in a
 * private temporary directory removed by sl_driver_free.
 *
 * Config keys (conf may be NULL): application.id (default
 * "test-driver"), cache.max.bytes.buffering (10485760),
 * state.dir (a temporary directory).
 * ====================================================================== */

typedef struct sl_driver sl_driver_t;

/* A record read from an output topic; valid until the driver's next call
 * except sl_driver_read (which frees the previous one). */
typedef struct sl_out_record {
    const char *topic;
    sl_val_t key;
    sl_val_t value;
    int64_t timestamp;
    const sl_header_t *headers;
    size_t header_count;
} sl_out_record_t;

/* props: "key=value" lines or NULL. Errors: SL_ERR_CONFIG, SL_ERR_IO. */
sl_err_t sl_driver_new(const sl_topology_t *t, const char *props, int64_t start_wall_ms, sl_driver_t **out,
                       char *errbuf, size_t errlen);
void sl_driver_free(sl_driver_t *d);
/* Pipes one record into topic (serialized with ks/vs, then read by the
 * topology's source serdes, as a broker round trip would). The record is
 * processed through every sub-topology it reaches (repartition topics are
 * fed back in). Errors: SL_ERR_NOENT (no source reads topic), a
 * serde's or processor's error. */
sl_err_t sl_driver_pipe(sl_driver_t *d, const char *topic, const sl_val_t *key, const sl_val_t *value,
                        int64_t timestamp, const sl_serde_t *ks, const sl_serde_t *vs);
/* As sl_driver_pipe, with headers (borrowed) the processors see. */
sl_err_t sl_driver_pipe_headers(sl_driver_t *d, const char *topic, const sl_val_t *key, const sl_val_t *value,
                                int64_t timestamp, const sl_serde_t *ks, const sl_serde_t *vs,
                                const sl_header_t *headers, size_t n_headers);
/* Moves the mock wall clock forward and runs wall-clock punctuators. */
sl_err_t sl_driver_advance_wall_clock(sl_driver_t *d, int64_t ms);
/* Reads the next record written to topic, deserialized with ks/vs.
 * Returns SL_ERR_NOENT when there is none. */
sl_err_t sl_driver_read(sl_driver_t *d, const char *topic, const sl_serde_t *ks, const sl_serde_t *vs,
                        sl_out_record_t *out);
/* Records waiting on topic. */
size_t sl_driver_queue_size(sl_driver_t *d, const char *topic);
/* A store by name (read and write, as the processors see it); NULL if none. */
sl_store_t *sl_driver_store(sl_driver_t *d, const char *store);

/* ======================================================================
 * Application instance (KafkaStreams)
 *
 * Config keys (Kafka Streams' names and defaults): application.id
 * (required), bootstrap.servers (localhost:9092), num.stream.threads (1),
 * processing.guarantee (at_least_once; exactly_once_v2), commit.interval.ms
 * (30000; 100 under exactly_once_v2), cache.max.bytes.buffering (10485760),
 * state.dir (/tmp/sluice-streams), num.standby.replicas (0),
 * replication.factor (-1: the broker's default), application.server
 * (host:port for interactive queries routing, optional),
 * default.deserialization.exception.handler (logAndContinue; logAndFail),
 * repartition.purge.interval.ms (30000);
 * keys starting "consumer.", "producer." or "admin." go to that client.
 * ====================================================================== */

typedef struct sl_app sl_app_t;

typedef enum sl_app_state {
    SL_APP_CREATED,
    SL_APP_REBALANCING,
    SL_APP_RUNNING,
    SL_APP_PENDING_SHUTDOWN,
    SL_APP_NOT_RUNNING,
    SL_APP_ERROR
} sl_app_state_t;

/* Called on a stream thread whenever the state changes. */
typedef void sl_app_state_fn(sl_app_t *app, sl_app_state_t old_state, sl_app_state_t new_state, void *arg);

/* t is borrowed and must outlive the app. props: "key=value" lines. Errors:
 * SL_ERR_CONFIG (errbuf: key, value, why), SL_ERR_IO (state.dir). */
sl_err_t sl_app_new(const sl_topology_t *t, const char *props, sl_app_t **out, char *errbuf, size_t errlen);
void sl_app_set_state_cb(sl_app_t *app, sl_app_state_fn *fn, void *arg);
/* Creates internal topics (repartition, changelog) as needed and starts
 * the stream threads; returns at once. Errors: SL_ERR_STATE (started), a
 * topic problem (errbuf: which topic and why, e.g. co-partitioned topics
 * with different partition counts). */
sl_err_t sl_app_start(sl_app_t *app, char *errbuf, size_t errlen);
sl_app_state_t sl_app_state(const sl_app_t *app);
const char *sl_app_state_name(sl_app_state_t s);
/* Graceful shutdown: finishes the records in hand, flushes stores, commits,
 * leaves the group, stops the threads; waits at most timeout_ms
 * (SL_ERR_TIMEOUT then, the threads are left to finish). */
sl_err_t sl_app_close(sl_app_t *app, int timeout_ms);
void sl_app_free(sl_app_t *app); /* closes first if needed; NULL ok */
/* Removes the app's local state directory (only when not running). */
sl_err_t sl_app_cleanup(sl_app_t *app);

/* Interactive queries: a read-only view of the local store instances of
 * store (every task this instance runs that has it). Reads go to each
 * task's store; keys are routed by the default partitioner. Values are
 * allocated from arena. Errors: SL_ERR_NOENT (no such store),
 * SL_ERR_STATE (not RUNNING, or the store is restoring). */
sl_err_t sl_app_kv_get(sl_app_t *app, const char *store, const sl_val_t *key, sl_arena_t *arena, sl_val_t *out);
sl_err_t sl_app_kv_range(sl_app_t *app, const char *store, const sl_val_t *from, const sl_val_t *to,
                         sl_kv_iter_fn *fn, void *arg);
sl_err_t sl_app_win_fetch(sl_app_t *app, const char *store, const sl_val_t *key, int64_t from, int64_t to,
                          sl_win_iter_fn *fn, void *arg);
/* Window stores: every key's windows with start in [from, to]; session
 * stores: one key's sessions (key given) or every key's (key NULL). */
sl_err_t sl_app_win_fetch_all(sl_app_t *app, const char *store, int64_t from, int64_t to, sl_win_iter_fn *fn,
                              void *arg);
sl_err_t sl_app_session_fetch(sl_app_t *app, const char *store, const sl_val_t *key, sl_session_iter_fn *fn,
                              void *arg);
/* Releases what query results in arena hold besides its memory (a JSON
 * value's reference): call it before resetting or finishing an arena given
 * to sl_app_kv_get. Callbacks of kv_range and the fetches run while the
 * task's store is locked against its stream thread: they must not call
 * into the app. */
void sl_app_query_release(sl_arena_t *arena);

/* ======================================================================
 * The DSL
 *
 *   SL_TOPOLOGY(word_count) {
 *       SL_STREAM(lines, "text-input", SL_STRING, SL_STRING);
 *       SL_FLAT_MAP_VALUES(words, lines, split_into_words);
 *       SL_GROUP_BY(by_word, words, word_as_key);
 *       SL_COUNT(counts, by_word, "counts-store");
 *       SL_TO_STREAM(counts, "word-counts", SL_STRING, SL_I64);
 *   }
 *
 * SL_TOPOLOGY(fn) defines `void fn(sl_builder_t *sl_b)`; every other macro
 * declares a variable named by its first argument, holding the handle of a
 * node of that name, made from the handles named after it. Functions are
 * passed with a NULL arg; use the builder calls for an arg.
 * ====================================================================== */

#define SL_TOPOLOGY(fn) void fn(sl_builder_t *sl_b)

#define SL_STREAM(v, topics, ks, vs) sl_stream_t *v = sl_builder_stream(sl_b, #v, (topics), (ks), (vs))
#define SL_STREAM_PATTERN(v, re, ks, vs) sl_stream_t *v = sl_builder_stream_pattern(sl_b, #v, (re), (ks), (vs))
#define SL_TABLE(v, topic, ks, vs, store) sl_table_t *v = sl_builder_table(sl_b, #v, (topic), (ks), (vs), (store))
#define SL_GLOBAL_TABLE(v, topic, ks, vs, store)                                                                   \
    sl_global_table_t *v = sl_builder_global_table(sl_b, #v, (topic), (ks), (vs), (store))

#define SL_FILTER(v, s, fn) sl_stream_t *v = sl_stream_filter((s), #v, (fn), NULL)
#define SL_FILTER_NOT(v, s, fn) sl_stream_t *v = sl_stream_filter_not((s), #v, (fn), NULL)
#define SL_MAP(v, s, fn) sl_stream_t *v = sl_stream_map((s), #v, (fn), NULL)
#define SL_MAP_VALUES(v, s, fn) sl_stream_t *v = sl_stream_map_values((s), #v, (fn), NULL)
#define SL_FLAT_MAP(v, s, fn) sl_stream_t *v = sl_stream_flat_map((s), #v, (fn), NULL)
#define SL_FLAT_MAP_VALUES(v, s, fn) sl_stream_t *v = sl_stream_flat_map_values((s), #v, (fn), NULL)
#define SL_SELECT_KEY(v, s, fn) sl_stream_t *v = sl_stream_select_key((s), #v, (fn), NULL)
#define SL_PEEK(v, s, fn) sl_stream_t *v = sl_stream_peek((s), #v, (fn), NULL)
#define SL_FOREACH(s, fn) sl_stream_foreach((s), NULL, (fn), NULL)
#define SL_MERGE(v, a, b) sl_stream_t *v = sl_stream_merge((a), (b), #v)
#define SL_REPARTITION(v, s, n) sl_stream_t *v = sl_stream_repartition((s), #v, (n))
#define SL_PROCESS(v, s, def, ...)                                                                                 \
    sl_stream_t *v = sl_stream_process((s), #v, (def), NULL, (const char *const[]){NULL, __VA_ARGS__} + 1,        \
                                       sizeof((const char *const[]){NULL, __VA_ARGS__}) / sizeof(char *) - 1)
#define SL_TO(s, topic, ks, vs) sl_stream_to((s), NULL, (topic), (ks), (vs), NULL, NULL)

#define SL_GROUP_BY_KEY(v, s) sl_grouped_t *v = sl_stream_group_by_key((s), #v, NULL, NULL)
#define SL_GROUP_BY(v, s, fn) sl_grouped_t *v = sl_stream_group_by((s), #v, (fn), NULL, NULL, NULL)
#define SL_COUNT(v, g, store) sl_table_t *v = sl_grouped_count((g), #v, (store))
#define SL_REDUCE(v, g, fn, store) sl_table_t *v = sl_grouped_reduce((g), #v, (fn), NULL, NULL, (store))
#define SL_AGGREGATE(v, g, init, add, vs, store)                                                                   \
    sl_table_t *v = sl_grouped_aggregate((g), #v, (init), (add), NULL, NULL, (vs), (store))

#define SL_WINDOWED_BY(v, g, spec) sl_windowed_grouped_t *v = sl_grouped_windowed_by((g), #v, (spec))
#define SL_WINDOWED_COUNT(v, w, store) sl_table_t *v = sl_windowed_count((w), #v, (store))
#define SL_WINDOWED_AGGREGATE(v, w, init, add, merge, vs, store)                                                   \
    sl_table_t *v = sl_windowed_aggregate((w), #v, (init), (add), (merge), NULL, (vs), (store))
#define SL_SUPPRESS_FINAL(v, t) sl_table_t *v = sl_table_suppress_final((t), #v)

#define SL_TABLE_FILTER(v, t, fn) sl_table_t *v = sl_table_filter((t), #v, (fn), NULL)
#define SL_TABLE_MAP_VALUES(v, t, fn) sl_table_t *v = sl_table_map_values((t), #v, (fn), NULL)
#define SL_TABLE_TO_STREAM(v, t) sl_stream_t *v = sl_table_to_stream((t), #v)
/* A table's changes straight to a topic. */
#define SL_TO_STREAM(t, topic, ks, vs) sl_stream_to(sl_table_to_stream((t), NULL), NULL, (topic), (ks), (vs), NULL, NULL)

#define SL_JOIN(v, a, b, kind, fn, window_ms, grace_ms)                                                            \
    sl_stream_t *v = sl_stream_join((a), (b), #v, (kind), (fn), NULL, (window_ms), (window_ms), (grace_ms), NULL, NULL)
#define SL_JOIN_TABLE(v, s, t, kind, fn) sl_stream_t *v = sl_stream_join_table((s), (t), #v, (kind), (fn), NULL)
#define SL_JOIN_GLOBAL(v, s, g, kind, key_fn, fn)                                                                  \
    sl_stream_t *v = sl_stream_join_global((s), (g), #v, (kind), (key_fn), (fn), NULL)
#define SL_TABLE_JOIN(v, a, b, kind, fn, store) sl_table_t *v = sl_table_join((a), (b), #v, (kind), (fn), NULL, (store))

/* Builds the topology fn describes: a new topology in *out, or the error. */
sl_err_t sl_topology_from(void (*fn)(sl_builder_t *), sl_topology_t **out, char *errbuf, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* SL_STREAMS_H */
