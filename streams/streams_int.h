/*
 * streams_int.h - the contract between the parts of libsluice-streams
 * (internal; users include streams.h only).
 *
 *   builder      builder.c owns sl_builder_t and the node graph; every DSL
 *                operator file adds nodes through sl_bnode_add() with its own
 *                sl_node_ops_t and config, and wraps them in the handle
 *                structs below
 *   topology     topology.c turns the graph into sub-topologies (nodes
 *                joined by parent links or by a shared store), describe.c
 *                prints it
 *   task         task.c instantiates one sub-topology for one partition:
 *                one sl_pnode_t per node, the task's stores, the context;
 *                it processes input records and punctuators and flushes
 *   context      ctx.c: sl_ctx_t, forwarding (depth first), record memory
 *   stores       store_*.c: LMDB (one environment per task directory, one
 *                named database per store), the record cache, changelog
 *                writes through the task's collector, restore, checkpoints
 *   driver/app   driver.c (test driver) and app*.c (stream threads, group,
 *                transactions) own tasks and give them a collector
 *
 * Thread rule for everything here: a task and all it owns (pnodes, stores,
 * ctx) are used by the one thread running the task at a time.
 */
#ifndef SL_STREAMS_INT_H
#define SL_STREAMS_INT_H

#include "streams.h"

/* ======================================================================
 * The node graph (builder and built topology share it)
 * ====================================================================== */

typedef struct sl_node sl_node_t;
typedef struct sl_pnode sl_pnode_t;
typedef struct sl_task sl_task_t;

typedef enum sl_node_kind { SL_NODE_SOURCE, SL_NODE_PROCESSOR, SL_NODE_SINK } sl_node_kind_t;

/* An operator's behaviour; one static const table per operator kind. Every
 * member may be NULL except process (for processors). */
typedef struct sl_node_ops {
    /* Per-task set-up: may set pn->state, look up stores with
     * sl_ctx_store(), schedule punctuators. Non-zero fails the task. */
    sl_err_t (*init)(sl_pnode_t *pn, sl_ctx_t *ctx);
    /* One record. old is the previous value for table changes (NULL when
     * this is a stream record or the old value is not known/sent). */
    void (*process)(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, const sl_val_t *old);
    void (*close)(sl_pnode_t *pn);
    /* Tables: the current value for key as the table at this node sees it
     * (a materialized store, or the parent's value through this node's
     * filter/mapper). SL_ERR_NOENT when absent. Values are in the record's
     * memory. */
    sl_err_t (*get)(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, sl_val_t *out);
} sl_node_ops_t;

struct sl_node {
    char *name;
    sl_node_kind_t kind;
    const sl_node_ops_t *ops;      /* processors; sources and sinks: NULL */
    void *conf;                    /* the operator's config, builder memory */
    sl_node_t **parents;
    size_t n_parents;
    sl_node_t **children;
    size_t n_children;
    char **stores;                 /* names of the stores it uses */
    size_t n_stores;
    sl_node_t *getter_of;          /* nodes whose ops->get this node calls
                                    * (joins, table views): forces them into
                                    * one sub-topology; see sl_bnode_use() */
    sl_node_t **uses;              /* every node given to sl_bnode_use(n, ..)
                                    * (getter_of is the first of them) */
    size_t n_uses;
    int index;                     /* creation order (generated names) */
    int subtopology;               /* set by sl_topology_build */
    /* sources */
    char **topics;                 /* [n_topics]; internal topics without the
                                    * "<app>-" prefix, see internal */
    size_t n_topics;
    char *pattern;                 /* regex source, else NULL */
    bool internal;                 /* topics are "<app>-<topic>" (repartition) */
    bool global;                   /* a global table's source */
    sl_timestamp_fn *ts_fn;
    void *ts_arg;
    /* sources and sinks */
    const sl_serde_t *ks, *vs;
    /* sinks */
    char *topic;                   /* internal: without the "<app>-" prefix */
    sl_partitioner_fn *part_fn;
    void *part_arg;
    int32_t repartition_count;     /* internal sink: partitions (0: inherit) */
};

/* What a stream/table handle carries besides its node. */
struct sl_stream {
    sl_builder_t *b;
    sl_node_t *node;
    const sl_serde_t *ks, *vs;     /* known serdes; NULL: unknown */
    bool key_changed;              /* repartition before grouping/joining */
};

struct sl_table {
    sl_builder_t *b;
    sl_node_t *node;               /* forwards (key, new, old) changes */
    const sl_serde_t *ks, *vs;
    const char *store;             /* materialized in this store, or NULL */
    bool windowed;                 /* keys are SL_V_WINDOWED */
    sl_window_spec_t window;       /* when windowed */
};

struct sl_grouped {
    sl_builder_t *b;
    sl_node_t *node;               /* after the repartition, if any */
    const sl_serde_t *ks, *vs;
    bool from_table;               /* KGroupedTable: (new, old) pairs */
};

struct sl_windowed_grouped {
    sl_grouped_t *g;
    sl_window_spec_t spec;
    char *name;
};

struct sl_global_table {
    sl_builder_t *b;
    sl_node_t *node;               /* the global source's store node */
    const sl_serde_t *ks, *vs;
    const char *store;
};

/* --- builder internals (builder.c) --------------------------------------- */

/* Memory living as long as the builder and the topology built from it. */
void *sl_builder_alloc(sl_builder_t *b, size_t n);
char *sl_builder_strdup(sl_builder_t *b, const char *s);
/* True if b has failed (then callers return NULL). */
bool sl_builder_failed(const sl_builder_t *b);
/* Records the first error (later ones are ignored). */
void sl_builder_fail(sl_builder_t *b, sl_err_t err, const char *fmt, ...) SL_PRINTF(3, 4);

/* Adds a processor node named name (NULL: "<prefix>-<10-digit index>") with
 * ops and conf (conf: builder memory or static), children of parents[0..n).
 * NULL on failure (recorded on b). */
sl_node_t *sl_bnode_add(sl_builder_t *b, const char *name, const char *prefix, const sl_node_ops_t *ops,
                        void *conf, sl_node_t *const *parents, size_t n_parents);
/* Adds a source node reading topics (comma-separated) or pattern. */
sl_node_t *sl_bnode_source(sl_builder_t *b, const char *name, const char *topics, const char *pattern,
                           bool internal, const sl_serde_t *ks, const sl_serde_t *vs);
/* Adds a sink node writing to topic (internal: "<app>-" prefixed). */
sl_node_t *sl_bnode_sink(sl_builder_t *b, const char *name, const char *topic, bool internal,
                         const sl_serde_t *ks, const sl_serde_t *vs, sl_partitioner_fn *fn, void *arg,
                         sl_node_t *parent);
/* n uses the store named store (declared with sl_builder_add_store). */
void sl_bnode_connect_store(sl_node_t *n, sl_builder_t *b, const char *store);
/* n calls other's ops->get (other must be in n's sub-topology). */
void sl_bnode_use(sl_node_t *n, sl_builder_t *b, sl_node_t *other);
/* A generated name "<prefix>-<10-digit next index>" in builder memory. */
char *sl_builder_gen_name(sl_builder_t *b, const char *prefix);
/* The repartition step for a stream whose key may have changed: a sink to
 * and a source from "<name>-repartition" (internal), with ks/vs. Returns the
 * source node (the new parent), or NULL on failure. */
sl_node_t *sl_builder_repartition(sl_builder_t *b, sl_node_t *parent, const char *name, const sl_serde_t *ks,
                                  const sl_serde_t *vs, int32_t partitions);
/* Handle constructors (builder memory). */
sl_stream_t *sl_stream_wrap(sl_builder_t *b, sl_node_t *node, const sl_serde_t *ks, const sl_serde_t *vs,
                            bool key_changed);
sl_table_t *sl_table_wrap(sl_builder_t *b, sl_node_t *node, const sl_serde_t *ks, const sl_serde_t *vs,
                          const char *store);
/* The store definition named name, or NULL. */
const sl_store_def_t *sl_builder_store_def(const sl_builder_t *b, const char *name);

/* ======================================================================
 * Built topology (topology.c)
 * ====================================================================== */

typedef struct sl_subtopo {
    int id;
    sl_node_t **nodes;             /* sources first, then by creation order */
    size_t n_nodes;
    sl_node_t **sources;           /* source nodes (their topics are this
                                    * sub-topology's input, co-partitioned) */
    size_t n_sources;
    const sl_store_def_t **stores; /* stores its nodes use */
    size_t n_stores;
    bool global;                   /* the global tables' sub-topology */
} sl_subtopo_t;

struct sl_topology {
    sl_arena_t arena;
    sl_node_t **nodes;
    size_t n_nodes;
    sl_subtopo_t *subs;
    size_t n_subs;
    sl_store_def_t *stores;
    size_t n_stores;
    void *priv;                    /* topology.c's (compiled patterns) */
};

/* The sub-topology whose source reads topic (internal names without the
 * app prefix), or NULL. */
const sl_subtopo_t *sl_topology_sub_for_topic(const sl_topology_t *t, const char *topic, bool internal);
const sl_node_t *sl_topology_node(const sl_topology_t *t, const char *name);

/* ======================================================================
 * Tasks (task.c) and the context (ctx.c)
 * ====================================================================== */

/* Where a task's output goes: sinks and changelogs. The driver keeps it in
 * memory, the app hands it to its producer. topic is the full name. */
typedef struct sl_collector {
    /* partition -1: the default partitioner's choice by the caller is
     * already made, so partition is always >= 0 here except when the topic's
     * partition count is unknown. Borrows everything. */
    sl_err_t (*send)(void *arg, const char *topic, int32_t partition, const void *key, int32_t klen,
                     const void *value, int32_t vlen, int64_t timestamp, const sl_header_t *headers,
                     size_t n_headers);
    /* The topic's partition count (for partitioners), -1 if unknown. */
    int32_t (*partitions)(void *arg, const char *topic);
    /* Optional, both or neither: resolve turns a topic name into the
     * collector's handle for it once, when a task sets up its sinks and
     * changelogs (NULL: out of memory; the name is then used), and
     * send_ref sends as send does to that handle, so no record pays for a
     * lookup by name. A handle lives as long as the collector. */
    void *(*resolve)(void *arg, const char *topic);
    sl_err_t (*send_ref)(void *arg, void *ref, int32_t partition, const void *key, int32_t klen, const void *value,
                         int32_t vlen, int64_t timestamp, const sl_header_t *headers, size_t n_headers);
    void *arg;
} sl_collector_t;

/* A topic a task writes to (a sink's, a changelog): its full name and the
 * collector's handle for it, if the collector makes handles. */
typedef struct sl_coll_topic {
    const char *name;              /* borrowed: lives as long as the user */
    void *ref;                     /* NULL: sent by name */
} sl_coll_topic_t;

/* Resolves name (borrowed, kept) for c once. */
static inline void sl_coll_topic_init(sl_coll_topic_t *t, const sl_collector_t *c, const char *name)
{
    t->name = name;
    t->ref = c->resolve != NULL && c->send_ref != NULL ? c->resolve(c->arg, name) : NULL;
}

/* One record to t through c (the collector's errors). */
static inline sl_err_t sl_coll_send(const sl_collector_t *c, const sl_coll_topic_t *t, int32_t partition,
                                    const void *key, int32_t klen, const void *value, int32_t vlen, int64_t timestamp,
                                    const sl_header_t *headers, size_t n_headers)
{
    if (t->ref != NULL)
        return c->send_ref(c->arg, t->ref, partition, key, klen, value, vlen, timestamp, headers, n_headers);
    return c->send(c->arg, t->name, partition, key, klen, value, vlen, timestamp, headers, n_headers);
}

typedef struct sl_task_env {
    const char *application_id;
    const char *state_dir;         /* the task's directory is
                                    * <state_dir>/<application_id>/<task_id> */
    sl_collector_t collector;
    int64_t cache_bytes;           /* this task's share of the record cache */
    bool eos;                      /* exactly-once (wipe state after unclean stop) */
    bool logging;                  /* changelogs on (off in tests of stores alone) */
    bool log_and_fail;             /* deserialization errors fail the task */
    int64_t (*wall_clock)(void *arg);
    void *clock_arg;
    /* The instance's global task (the one made for the global
     * sub-topology, fed every partition of the global topics by its owner),
     * or NULL. sl_ctx_store() answers a name this task has no store of with
     * that task's store of the name, so global stores are reached by name
     * from any task; the owner keeps it alive longer than this task and
     * must not run it concurrently with this task's thread reading it. */
    sl_task_t *globals;
} sl_task_env_t;

/* One input record, as consumed (raw bytes). */
typedef struct sl_in_record {
    const char *topic;             /* full name */
    int32_t partition;
    int64_t offset;
    int64_t timestamp;
    const void *key;               /* NULL with klen -1: null */
    int32_t klen;
    const void *value;
    int32_t vlen;
    const sl_header_t *headers;
    size_t n_headers;
} sl_in_record_t;

/*
 * Task life (task.c owns the states; the app moves them):
 *
 *   CREATED --open stores--> RESTORING --changelogs caught up--> RUNNING
 *                                ^                               |   ^
 *                                |                        suspend|   |resume
 *                                |                               v   |
 *                                +---------(revoked)---------- SUSPENDED
 *   any state --close--> CLOSED
 */
typedef enum sl_task_state {
    SL_TASK_CREATED,
    SL_TASK_RESTORING,
    SL_TASK_RUNNING,
    SL_TASK_SUSPENDED,
    SL_TASK_CLOSED
} sl_task_state_t;

/* Makes the task for partition of sub-topology sub: opens its state
 * directory and stores, inits every processor. env is copied (strings
 * borrowed for the task's life). */
sl_err_t sl_task_new(const sl_topology_t *t, const sl_subtopo_t *sub, int32_t partition, const sl_task_env_t *env,
                     sl_task_t **out, char *errbuf, size_t errlen);
/* Processes one input record completely (deserialize at the source,
 * timestamp, forward through the nodes, stream-time punctuators). */
sl_err_t sl_task_process(sl_task_t *task, const sl_in_record_t *rec);
/* Runs due wall-clock punctuators. */
sl_err_t sl_task_punctuate_wall(sl_task_t *task, int64_t now_ms);
/* Flushes caches into the stores and changelogs (forwarding cached table
 * results downstream) and commits the stores' LMDB transaction. */
sl_err_t sl_task_flush(sl_task_t *task);
/* Closes processors and stores. The checkpoint of a clean close is the
 * owner's to write (sl_checkpoint_write after sl_task_flush): only it knows
 * the changelog offsets its producer got; clean is kept for the owner's
 * bookkeeping and changes nothing here. */
void sl_task_free(sl_task_t *task, bool clean);
const char *sl_task_id(const sl_task_t *task);
int32_t sl_task_partition(const sl_task_t *task);
sl_task_state_t sl_task_state(const sl_task_t *task);
void sl_task_set_state(sl_task_t *task, sl_task_state_t s);
/* Records skipped so far (undeserializable under logAndContinue, or a
 * negative timestamp from the extractor). */
uint64_t sl_task_skipped(const sl_task_t *task);
/* True once if a processor called sl_ctx_commit() since the last call. */
bool sl_task_commit_requested(sl_task_t *task);
/* The task's store named name, or NULL. */
sl_store_t *sl_task_store(sl_task_t *task, const char *name);
size_t sl_task_store_count(const sl_task_t *task);
sl_store_t *sl_task_store_at(sl_task_t *task, size_t i);

/* A node's per-task instance. */
struct sl_pnode {
    const sl_node_t *node;
    sl_task_t *task;
    void *state;                   /* the operator's */
    sl_pnode_t **children;
    size_t n_children;
    const sl_node_ops_t *ops;      /* node->ops; for sources and sinks the
                                    * task's own */
};

/* The task's instance of node (for getters), or NULL. */
sl_pnode_t *sl_task_pnode(sl_task_t *task, const sl_node_t *node);

/* Forwards to pn's children (ctx's current node is restored after). */
void sl_pnode_forward(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value,
                      const sl_val_t *old);
/* Calls ops->get of node's instance in ctx's task. */
sl_err_t sl_pnode_get(sl_ctx_t *ctx, const sl_node_t *node, const sl_val_t *key, sl_val_t *out);

/* The current timestamp can be changed for what a node forwards next
 * (window results carry the window's time, as Kafka). */
void sl_ctx_set_timestamp(sl_ctx_t *ctx, int64_t ts);
sl_pnode_t *sl_ctx_pnode(sl_ctx_t *ctx);
/* Fails the current record (first error kept; the task logs it). */
void sl_ctx_fail(sl_ctx_t *ctx, sl_err_t err, const char *fmt, ...) SL_PRINTF(3, 4);

/* JSON values read into an arena (by sl_serde_json, the auto serde) hold
 * a jansson reference that is released with the arena: sl_serde_hold
 * registers it (on the calling thread), sl_serde_release drops every
 * reference registered for arena. Whoever resets or finishes an arena given
 * to a serde calls sl_serde_release first (the ctx does at the end of each
 * record; interactive queries for their arena). hold: SL_ERR_NOMEM (the
 * reference is dropped at once). */
sl_err_t sl_serde_hold(sl_arena_t *arena, struct json_t *json);
void sl_serde_release(sl_arena_t *arena);

/* ======================================================================
 * Stores (store_*.c)
 * ====================================================================== */

/* One LMDB environment per task directory. */
typedef struct sl_state sl_state_t;

/* Called when the cache writes an entry through (eviction or flush) for a
 * table whose operator forwards on flush: key, new and old values as
 * bytes (NULL with len -1: null), the timestamp of the last update.
 * The key is the store key as the changelog carries it: key-value stores
 * the key's bytes, window stores key || start (8 bytes big-endian) || seq
 * (4), session stores key || end (8) || start (8). The old value is what
 * LMDB held before this write. A window or session that expired while
 * cached is not stored, but its listener is still called. */
typedef void sl_flush_fn(void *arg, const uint8_t *key, int32_t klen, const uint8_t *newv, int32_t nlen,
                         const uint8_t *oldv, int32_t olen, int64_t ts);

typedef struct sl_store_env {
    const char *changelog;         /* full topic name; NULL: not logged */
    int32_t partition;
    sl_collector_t *collector;
    sl_ctx_t *ctx;                 /* stream time, record memory */
    int64_t cache_bytes;           /* 0: no cache */
} sl_store_env_t;

/* Opens (creating) the environment in dir. Errors: SL_ERR_IO. */
sl_err_t sl_state_open(const char *dir, sl_state_t **out);
/* Commits the open write transaction (called at flush/commit). */
sl_err_t sl_state_commit(sl_state_t *st);
/* Forces committed data to disk (the environment does not fsync at
 * commit: the changelog is the durable copy). Before writing a checkpoint
 * that must not claim more than the file holds after an OS crash.
 * SL_ERR_IO. */
sl_err_t sl_state_sync(sl_state_t *st);
/* Closes the environment; writes not committed are dropped (under
 * exactly-once that is what an aborted transaction needs). Close the
 * stores first. NULL ok. */
void sl_state_close(sl_state_t *st);
/* Removes dir and everything in it. */
sl_err_t sl_state_wipe(const char *dir);

/* Opens (creating) def's store in st; def and env are copied. The cache
 * (when def->caching and env->cache_bytes > 0; never for a window store
 * retaining duplicates) is the store's own, of env->cache_bytes. Window
 * and session stores keep def->retention_ms behind the largest window
 * start / session end they have seen (as Kafka's segmented stores); <= 0
 * keeps everything. Errors: SL_ERR_IO, SL_ERR_NOMEM, SL_ERR_INVAL. */
sl_err_t sl_store_open(sl_state_t *st, const sl_store_def_t *def, const sl_store_env_t *env, sl_store_t **out);
/* Dirty cache entries are dropped: flush first. NULL ok. */
void sl_store_close(sl_store_t *s);
/* A cached store calls fn on write-through instead of the operator
 * forwarding itself; returns false when the store has no cache (then the
 * operator forwards each change at once). */
bool sl_store_set_flush_listener(sl_store_t *s, sl_flush_fn *fn, void *arg);
/* Writes dirty cache entries through (store, changelog, listener). */
sl_err_t sl_store_flush(sl_store_t *s);
/* Applies one changelog record (raw key/value; NULL value: delete) without
 * logging it again. Errors: SL_ERR_PARSE (a null key or one too short for
 * the store's key schema: skip the record), SL_ERR_TOO_LARGE (a key LMDB
 * cannot hold), SL_ERR_IO. */
sl_err_t sl_store_restore(sl_store_t *s, const void *key, int32_t klen, const void *value, int32_t vlen);
const sl_store_def_t *sl_store_def(const sl_store_t *s);

/* Checkpoint file of a task: "<changelog topic> <partition> <offset>"
 * lines. read: SL_ERR_NOENT when there is none. */
sl_err_t sl_checkpoint_write(const char *dir, const char *const *topics, const int32_t *parts,
                             const int64_t *offsets, size_t n);
/* write: written atomically (<dir>/.checkpoint.tmp, fsync, rename), so a
 * reader sees the old file or the new one. Errors: SL_ERR_INVAL (a topic
 * with characters Kafka does not allow, a negative partition, an offset
 * below -1), SL_ERR_IO. Write it after sl_state_commit (and sl_state_sync
 * if it must not get ahead of the store across an OS crash). */
typedef struct sl_checkpoint_entry {
    const char *topic;
    int32_t partition;
    int64_t offset;
} sl_checkpoint_entry_t;
/* Reads dir's checkpoint: *out an array of *n entries, everything
 * allocated from arena (the caller's). Errors: SL_ERR_NOENT (no file),
 * SL_ERR_PARSE (a malformed line or a file over 1 MiB: logged; restore
 * from the beginning), SL_ERR_IO, SL_ERR_NOMEM. */
sl_err_t sl_checkpoint_read(const char *dir, sl_arena_t *arena, sl_checkpoint_entry_t **out, size_t *n);
/* Removes dir's checkpoint (none is fine), e.g. when processing starts
 * under exactly-once so an unclean stop leaves no checkpoint. SL_ERR_IO. */
sl_err_t sl_checkpoint_delete(const char *dir);

/* ======================================================================
 * Aggregations, windows, suppression (ops_table.c, ops_group.c,
 * ops_aggregate.c, ops_window.c, ops_suppress.c)
 * ====================================================================== */

/* What an aggregation folds with (ops_aggregate.c). Reduce has no initial
 * aggregate: its first value is the aggregate. */
typedef enum sl_agg_kind { SL_AGG_COUNT, SL_AGG_REDUCE, SL_AGG_AGGREGATE } sl_agg_kind_t;

typedef struct sl_agg_fns {
    sl_agg_kind_t kind;
    sl_initializer_fn *init;       /* aggregate */
    sl_aggregator_fn *add, *sub;   /* aggregate (sub: grouped tables) */
    sl_reducer_fn *radd, *rsub;    /* reduce (rsub: grouped tables) */
    sl_merger_fn *merge;           /* aggregate over session windows */
    void *arg;
} sl_agg_fns_t;

/* The aggregate before any value: count 0, aggregate init(), reduce null. */
sl_val_t sl_agg_initial(const sl_agg_fns_t *f, sl_ctx_t *ctx);
/* agg with value folded in; agg NULL or null: the first value (reduce
 * returns value itself). Results are in the record's memory. */
sl_val_t sl_agg_add(const sl_agg_fns_t *f, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value,
                    const sl_val_t *agg);
/* agg with value taken out (grouped tables); agg is not null. */
sl_val_t sl_agg_sub(const sl_agg_fns_t *f, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value,
                    const sl_val_t *agg);
/* Two session aggregates as one (either may be null: the other). */
sl_val_t sl_agg_merge(const sl_agg_fns_t *f, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *a,
                      const sl_val_t *b);
/* A deep copy of v in the record's memory: values read from a store live
 * only until the store's next write. A user object (SL_V_PTR) cannot be
 * copied (the pointer is): read it with the _into calls below instead. */
sl_val_t sl_agg_copy(sl_ctx_t *ctx, const sl_val_t *v);

/* sl_win_fetch and sl_session_find (store_api.c) handing fn keys and
 * values deserialized into arena (the record's memory, sl_ctx_arena)
 * instead of memory reset between entries and freed with the iteration:
 * they stay valid until the record is completely processed, across later
 * writes to the store. For operators that gather entries first and then
 * write and call user functions with them (session merges, sliding
 * windows, stream-stream joins), as streams.h promises the values given to
 * those functions live. Same errors as the plain calls. */
sl_err_t sl_win_fetch_into(sl_store_t *st, const sl_val_t *key, int64_t from, int64_t to, sl_arena_t *arena,
                           sl_win_iter_fn *fn, void *arg);
sl_err_t sl_session_find_into(sl_store_t *st, const sl_val_t *key, int64_t earliest_end, int64_t latest_start,
                              sl_arena_t *arena, sl_session_iter_fn *fn, void *arg);
/* sl_kv_get reading into arena (the caller's record memory) rather than
 * the memory of the store's own task: a stream task looking a key up in
 * the global task's store must not fill the global task's record memory,
 * which lives until the global task's next record. */
sl_err_t sl_kv_get_into(sl_store_t *st, const sl_val_t *key, sl_arena_t *arena, sl_val_t *out);

/* How a materialized table sends its changes on (ops_aggregate.c): through
 * the store's cache flush listener when the store is cached (folded per
 * key, sent when the cache writes through), else at once. Keys of window
 * and session stores are sent as SL_V_WINDOWED. */
typedef struct sl_table_fwd {
    sl_pnode_t *pn;
    sl_ctx_t *ctx;                 /* the task's context (flush time) */
    sl_store_t *store;
    const sl_window_spec_t *spec;  /* window stores: the windows' size */
    bool cached;
    bool stamped;                  /* values are sl_stamped_t (sliding) */
} sl_table_fwd_t;

/* Looks up store for pn and sets the listener. spec: NULL for kv and
 * session stores (borrowed: node config). Errors: SL_ERR_NOENT (no store). */
sl_err_t sl_table_fwd_init(sl_table_fwd_t *f, sl_pnode_t *pn, sl_ctx_t *ctx, const char *store,
                           const sl_window_spec_t *spec, bool stamped);
/* One change of key (windowed for window/session stores) stamped ts:
 * forwarded now unless cached (then the cache sends it). */
void sl_table_fwd_change(sl_table_fwd_t *f, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *newv,
                         const sl_val_t *oldv, int64_t ts);
/* A table getter on a materialized store: key (windowed for window and
 * session stores) -> a copy in the record's memory; SL_ERR_NOENT if absent. */
sl_err_t sl_table_store_get(sl_ctx_t *ctx, sl_store_t *st, const sl_val_t *key, bool stamped, sl_val_t *out);

/* A grouped table's row change on its repartition topic (ops_group.c):
 * Kafka 3.4 sends the old row and the new row as two records, each the
 * value followed by one flag byte (1: new, 0: old). Values are SL_V_PTR to
 * this struct. */
typedef struct sl_change {
    sl_val_t value;
    bool is_new;
} sl_change_t;
/* The change serde over inner (builder memory; NULL on failure). */
const sl_serde_t *sl_serde_change(sl_builder_t *b, const sl_serde_t *inner);

/* A sliding window's aggregate with the largest timestamp of its records
 * (what Kafka's timestamped window store keeps and the sliding algorithm
 * needs); stored as 8 bytes big-endian then the aggregate's bytes. Values
 * are SL_V_PTR to this struct. */
typedef struct sl_stamped {
    sl_val_t value;
    int64_t ts;
} sl_stamped_t;
const sl_serde_t *sl_serde_stamped(sl_builder_t *b, const sl_serde_t *inner);

/* Window arithmetic (ops_window.c), pure. */
/* Checks a spec (sizes, advance, grace, retention); SL_ERR_INVAL with why. */
sl_err_t sl_window_check(const sl_window_spec_t *w, char *why, size_t len);
/* Tumbling/hopping: the smallest start of the windows containing ts (the
 * others follow every advance_ms while start <= ts); never below 0. */
int64_t sl_window_first_start(const sl_window_spec_t *w, int64_t ts);
/* True when a window ending at end (as its key shows it) takes no more
 * records at stream_time: tumbling/hopping windows when end + grace <=
 * stream time; sliding windows and sessions (ends inclusive) when end +
 * grace < stream time. */
bool sl_window_closed(const sl_window_spec_t *w, int64_t end, int64_t stream_time);
/* The store retention: retention_ms, or the minimum (time windows size +
 * grace; sliding 3 * size + grace + 1: a record within grace reads windows
 * starting up to 2 * size before it; sessions 2 * gap + grace: a record may
 * merge with a session that ended a gap before it). */
int64_t sl_window_retention(const sl_window_spec_t *w);
/* How long after a window's end suppress_final waits: grace (sessions:
 * grace + gap, as Kafka). */
int64_t sl_window_suppress_wait(const sl_window_spec_t *w);

/* Sliding windows (Kafka's SlidingWindows): what one record at ts does to
 * its key's windows. have[0..n): the key's existing windows with start in
 * [max(0, ts - 2 * size), ts + 1], by start. Writes the steps, in order,
 * to steps (room for n + 3) and returns their count; *dropped counts the
 * windows closed at close_time (stream time - grace) that the record would
 * have gone to. */
typedef struct sl_slide_win {
    int64_t start;
    int64_t max_ts;                /* the largest record timestamp in it */
} sl_slide_win_t;
typedef struct sl_slide_step {
    int64_t start;                 /* the window [start, start + size] */
    int base;                      /* the aggregate it starts from: -1 the
                                    * initial one, else have[base]'s */
    bool add;                      /* fold the record in (else a copy of
                                    * base: the record's right window) */
    bool existing;                 /* window have[base] itself */
} sl_slide_step_t;
size_t sl_slide_plan(int64_t size, int64_t ts, int64_t close_time, const sl_slide_win_t *have, size_t n,
                     sl_slide_step_t *steps, size_t *dropped);
/* A session of ts merged with the sessions [starts[i], ends[i]] it touches. */
void sl_session_span(int64_t ts, const int64_t *starts, const int64_t *ends, size_t n, int64_t *start,
                     int64_t *end);

/* ======================================================================
 * Joins (ops_join_stream.c, ops_join_table.c, ops_global.c)
 * ====================================================================== */

/* name followed by suffix, in builder memory; when name is NULL a generated
 * "<prefix>-<index>" (NULL when prefix is NULL too). NULL when out of
 * memory (recorded on b). */
char *sl_join_name(sl_builder_t *b, const char *name, const char *suffix, const char *prefix);
/* The lookup join node behind stream-table and stream-global-table joins
 * (ops_join_table.c): for each record of s with a value, the row of
 * key_fn(key, value) (NULL: the key; a null lookup key drops the record)
 * read through table's getter (the node joins table's sub-topology, and s
 * is repartitioned first if its key changed), or else from the global
 * store global_store; joined by fn (inner: only when the row exists;
 * left: a missing row is null). kind outer is invalid. Returns the joined
 * stream (s's key and key serde), or NULL with the error on s's builder. */
sl_stream_t *sl_join_lookup_add(sl_stream_t *s, const char *name, sl_join_kind_t kind, sl_value_mapper_fn *key_fn,
                                sl_joiner_fn *fn, void *arg, const sl_node_t *table, const char *global_store);

#endif /* SL_STREAMS_INT_H */
