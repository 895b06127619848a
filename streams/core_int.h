/*
 * core_int.h - what the core files of libsluice-streams (ctx.c, task.c,
 * driver.c, ops_stateless.c, topology.c, describe.c) share among
 * themselves: the context and task structs and the node behaviours the task
 * gives sources and sinks. Other parts use streams_int.h only.
 */
#ifndef SL_CORE_INT_H
#define SL_CORE_INT_H

#include "streams_int.h"

/* A punctuator scheduled by a node's init; owned by the task (freed with
 * it), so a cancelled handle stays valid until the task is freed. */
struct sl_punct {
    struct sl_punct *next_p;       /* the task's list, in scheduling order */
    sl_pnode_t *pn;                /* the node that scheduled it */
    sl_punct_type_t type;
    int64_t interval;
    int64_t next;                  /* due when the clock reaches it */
    sl_punctuator_fn *fn;
    void *arg;
    bool cancelled;
};

struct sl_ctx {
    sl_task_t *task;
    sl_pnode_t *cur;               /* the node being called; NULL outside */
    sl_arena_t arena;              /* the record's memory */
    /* the input record (or the punctuation) */
    const char *topic;
    int32_t partition;
    int64_t offset;
    int64_t ts;
    const sl_header_t *headers;
    size_t n_headers;
    const sl_val_t *emit_key;      /* flat_map_values: the input key */
    sl_err_t err;                  /* the record's first failure */
    char errmsg[256];
    bool commit;                   /* sl_ctx_commit asked */
    bool in_init;                  /* sl_ctx_schedule allowed */
};

/* Sets up / tears down a task's context. */
void sl_ctx_init(sl_ctx_t *ctx, sl_task_t *task, int32_t partition);
void sl_ctx_fini(sl_ctx_t *ctx);
/* Ends a record or punctuation: releases its memory and clears its error. */
void sl_ctx_end_record(sl_ctx_t *ctx);

/* builder.c: the repartition step (a null-key filter first when
 * drop_null_keys, as grouping does); sl_builder_take hands the builder's
 * memory, nodes and stores to a topology (the builder is spent after);
 * sl_builder_peek shows the nodes so far. */
sl_node_t *sl_core_repartition(sl_builder_t *b, sl_node_t *parent, const char *name, const sl_serde_t *ks,
                               const sl_serde_t *vs, int32_t partitions, bool drop_null_keys);
void sl_builder_take(sl_builder_t *b, sl_arena_t *mem, sl_node_t ***nodes, size_t *n_nodes,
                     sl_store_def_t **stores, size_t *n_stores);
void sl_builder_peek(const sl_builder_t *b, sl_node_t *const **nodes, size_t *n_nodes);
extern const sl_node_ops_t sl_null_key_filter_ops;

/* topology.c: true when source src reads topic (internal: the name
 * without the "<app>-" prefix). */
bool sl_topology_source_reads(const sl_topology_t *t, const sl_node_t *src, const char *topic, bool internal);

/* topology.c: the error path of the calls that report in an errbuf:
 * formats the message into errbuf (when errbuf is not NULL and errlen > 0)
 * and returns err. */
sl_err_t sl_core_fail(char *errbuf, size_t errlen, sl_err_t err, const char *fmt, ...) SL_PRINTF(4, 5);

/* The name of a value type ("String", "Long", ...), for messages. */
const char *sl_vtype_name(sl_vtype_t t);

/* Sources and sinks: the behaviour the task gives their instances. */
extern const sl_node_ops_t sl_source_ops;
extern const sl_node_ops_t sl_sink_ops;

/* sl_task_flush without the commit of the stores' transaction: caches
 * written through (stores, changelogs, listeners). The driver commits
 * every few hundred records instead of after each: nothing outside the
 * process sees the difference, and a commit per record costs more than
 * the record. */
sl_err_t sl_task_flush_caches(sl_task_t *task);

/* The task's stream time and wall clock (ctx.c reads them). */
int64_t sl_task_stream_time(const sl_task_t *task);
int64_t sl_task_wall_clock(const sl_task_t *task);
const char *sl_task_app_id(const sl_task_t *task);
/* Adds a punctuator for pn (ctx.c's sl_ctx_schedule). */
sl_punct_t *sl_task_schedule(sl_task_t *task, sl_pnode_t *pn, int64_t interval, sl_punct_type_t type,
                             sl_punctuator_fn *fn, void *arg);
/* The store name as pn may use it (its own, else a global one), or NULL. */
sl_store_t *sl_task_store_for(sl_task_t *task, const sl_pnode_t *pn, const char *name);
/* The task's collector and a scratch buffer pair for serializing. */
sl_collector_t *sl_task_collector(sl_task_t *task);
sl_buf_t *sl_task_scratch(sl_task_t *task, int which);

#endif /* SL_CORE_INT_H */
