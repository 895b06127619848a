/*
 * runtime_int.h - what the runtime's files share: a task running in this
 * process (runtime.c starts and stops it; runtime_source.c and
 * runtime_sink.c hold its thread's loop) and the runtime itself.
 */
#ifndef SL_CONNECT_RUNTIME_INT_H
#define SL_CONNECT_RUNTIME_INT_H

#include <stdatomic.h>

#include "connect_int.h"

typedef struct rt_task rt_task_t;
typedef struct rt_conn rt_conn_t;

struct sl_connect_runtime {
    const sl_props_t *wprops;           /* borrowed */
    const sl_connect_plugins_t *plugins;/* borrowed */
    sl_connect_offset_store_t *offsets; /* borrowed */
    char *worker_id;
    sl_connect_status_fn *status;
    void *status_arg;
    int64_t flush_interval_ms;          /* offset.flush.interval.ms */
    bool eos_enabled;                   /* exactly.once.source.support=enabled */
    rt_conn_t *conns;                   /* the herder's thread only */
    rt_task_t *tasks;                   /* the herder's thread only */
};

/* A task running here. Everything but the atomics and the pause condition
 * is written before its thread starts or after it was joined. */
struct rt_task {
    sl_connect_runtime_t *rt;
    char *connector;
    int index;
    const sl_connect_plugin_t *plugin;
    sl_connect_ctx_t *ctx;              /* the task's resolved config */
    sl_connect_pipeline_t *pipe;
    sl_conf_t *producer_conf;           /* sources' producer, sinks' DLQ */
    sl_conf_t *consumer_conf;           /* sinks */
    char **topics;                      /* sinks: the subscription */
    size_t topic_count;
    char *txn_id;                       /* exactly-once sources; NULL: none */
    pthread_t thread;
    bool started;
    atomic_bool stop;
    atomic_bool paused;
    pthread_mutex_t lock;               /* with wake: a paused source waits */
    pthread_cond_t wake;
    bool failed;                        /* the task's thread only */
    void *ptask;                        /* the plugin's task state */
    rt_task_t *next;
};

/* The thread bodies (arg: the rt_task_t). */
void *sl_connect_rt_source_main(void *arg);
void *sl_connect_rt_sink_main(void *arg);

/* Reports the task's state through the runtime's status callback. */
void sl_connect_rt_report(rt_task_t *t, const char *state, const char *trace);
/* Fails the task: "<what> failed (<code>): <plugin's sentence>", logged
 * and reported FAILED. */
void sl_connect_rt_fail(rt_task_t *t, const char *what, int rc);
/* Waits up to ms or until the task is stopped or resumed. */
void sl_connect_rt_nap(rt_task_t *t, int ms);

#endif /* SL_CONNECT_RUNTIME_INT_H */
