/*
 * app_int.h - the contract between the files of the application runtime
 * (internal to libsluice-streams): app.c (sl_app_t: config, lifecycle,
 * state), thread.c (a stream thread: its consumer, producer and loop),
 * task_manager.c (assignment -> tasks, restore, standbys, checkpoints),
 * assignor_streams.c (the task assignor, pure), eos.c (the transactional
 * producer of a thread), topics.c (internal topics, co-partitioning,
 * repartition purge) and iq.c (interactive queries).
 *
 * Threads: "app" = the thread that calls sl_app_*, "stream" = one stream
 * thread (owns its consumer, producer, tasks), "io" = a client I/O thread
 * (only the assignor callbacks run there), "any" = under the lock named.
 */
#ifndef SL_STREAMS_APP_INT_H
#define SL_STREAMS_APP_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "client.h"
#include "streams_int.h"

#define SL_APP_LOG "streams"

/* ======================================================================
 * Task ids and the assignor's wire formats (assignor_streams.c)
 * ====================================================================== */

/* A task: partition of sub-topology sub ("<sub>_<partition>"). */
typedef struct sl_taskid {
    int32_t sub;
    int32_t partition;
} sl_taskid_t;

/* The user-data format this library writes, and the oldest it reads. A
 * newer version from another member is read as this one (versions only
 * append fields). */
#define SL_SA_VERSION 1

/* A member's subscription user data: which instance (process) it runs in,
 * the tasks it ran before the rebalance and those it has state for
 * (standbys and task directories on disk). */
typedef struct sl_sa_sub_info {
    int32_t version;
    uint8_t process[16];
    const sl_taskid_t *active;
    size_t n_active;
    const sl_taskid_t *standby;
    size_t n_standby;
} sl_sa_sub_info_t;

/* Assignment errors every member is told about (the app goes to ERROR). */
#define SL_SA_ERR_NONE 0
#define SL_SA_ERR_MISSING_TOPIC 1   /* a source topic does not exist */
#define SL_SA_ERR_COPARTITION 2     /* co-partitioned topics differ in count */
#define SL_SA_ERR_CHANGED 3         /* a source topic's count changed since start */

/* The leader's user data for one member: its active and standby tasks, or
 * an error with a message naming the topics. */
typedef struct sl_sa_asg_info {
    int32_t version;
    int32_t error;                 /* SL_SA_ERR_* */
    const char *message;           /* error: why; NULL when none */
    const sl_taskid_t *active;
    size_t n_active;
    const sl_taskid_t *standby;
    size_t n_standby;
} sl_sa_asg_info_t;

/* Encoders append to buf (sticky errors: check buf->err). Decoders read
 * p[0..n) (untrusted) into arena: SL_ERR_PARSE (bad version, negative
 * ids), SL_ERR_TRUNCATED, SL_ERR_NOMEM; counts are checked against the
 * bytes left before anything is allocated. */
void sl_sa_sub_info_encode(sl_buf_t *buf, const sl_sa_sub_info_t *in);
sl_err_t sl_sa_sub_info_decode(const void *p, size_t n, sl_arena_t *arena, sl_sa_sub_info_t *out);
void sl_sa_asg_info_encode(sl_buf_t *buf, const sl_sa_asg_info_t *in);
sl_err_t sl_sa_asg_info_decode(const void *p, size_t n, sl_arena_t *arena, sl_sa_asg_info_t *out);

/* A sub-topology as the assignor sees it: its (co-partitioned) source
 * topics by full name. */
typedef struct sl_sa_sub {
    int32_t id;
    const char *const *topics;
    size_t n_topics;
    int32_t partitions;            /* the task count the app started with,
                                    * for a sub-topology with changelogs
                                    * (they have as many partitions); 0: any */
} sl_sa_sub_t;

typedef struct sl_sa_conf {
    const sl_sa_sub_t *subs;       /* the non-global sub-topologies */
    size_t n_subs;
    int32_t num_standby;           /* num.standby.replicas */
} sl_sa_conf_t;

/* The streams task assignor (an sl_assignor_def_t assign with arg = an
 * sl_sa_conf_t *, borrowed). Tasks are (sub-topology, partition) for every
 * partition of the sub-topology's topics. Members are grouped into
 * instances by their process id; active tasks are spread over instances in
 * proportion to their threads, then over each instance's threads, staying
 * where they ran before (or where their state is) as far as balance
 * allows; num_standby standbys of each task go to other instances,
 * preferring those with its state. Each member gets the source partitions
 * of its active tasks and user data naming its tasks. A missing source
 * topic or co-partitioned topics of different counts give every member no
 * partitions and the error (SL_OK is returned: the group is told). A
 * member whose user data does not decode is a fresh instance of its own.
 * Errors: SL_ERR_NOMEM. Pure: no I/O, no global state. */
sl_err_t sl_sa_assign(const sl_assignor_member_t *members, size_t n_members, const sl_assignor_topic_t *topics,
                      size_t n_topics, sl_arena_t *arena, sl_assignor_result_t *out, void *arg);


/* ======================================================================
 * The application instance (app.c)
 * ====================================================================== */

/* A (non-global) sub-topology as the app runs it. */
typedef struct sl_app_sub {
    const sl_subtopo_t *sub;
    char **topics;                 /* its source topics, full names */
    size_t n_topics;
    int32_t partitions;            /* its task count (topics.c, at start) */
} sl_app_sub_t;

typedef struct sl_sthread sl_sthread_t;

struct sl_app {
    const sl_topology_t *t;
    sl_props_t *props;             /* every key given */
    /* config (strings point into props or are owned below) */
    const char *app_id;
    const char *bootstrap;
    char *app_dir;                 /* <state.dir>/<application.id> */
    const char *state_dir;
    int num_threads;
    bool eos;
    int64_t commit_interval_ms;
    int64_t purge_interval_ms;     /* repartition.purge.interval.ms */
    int64_t cache_bytes;
    int32_t num_standby;
    int16_t replication;
    bool log_and_fail;
    uint8_t process[16];           /* this instance (kept in app_dir) */
    char process_hex[33];
    /* the topology as run */
    sl_app_sub_t *subs;
    size_t n_subs;
    sl_sa_sub_t *sa_subs;
    sl_sa_conf_t sa;
    const char **sub_topics;       /* every source topic (subscription) */
    size_t n_sub_topics;
    const sl_subtopo_t *global_sub;/* or NULL */
    sl_task_t *global_task;        /* run by the global updater (app.c) */
    pthread_rwlock_t global_lock;  /* write: updating global stores; read:
                                    * a stream thread processing */
    sl_consumer_t *global_consumer;
    pthread_t global_tid;
    bool global_started;
    sl_admin_t *admin;             /* thread-safe (client.h) */
    sl_sthread_t **threads;
    /* lock */
    pthread_mutex_t lock;
    pthread_cond_t cond;           /* a thread ended */
    sl_app_state_t state;
    sl_app_state_fn *state_cb;
    void *state_arg;
    sl_map_t dir_owner;            /* task name -> sl_sthread_t * holding its
                                    * directory (one LMDB env per process) */
    int live_threads;
    bool started;
    atomic_bool stopping;
};

/* A client config: bootstrap.servers, defaults (a NULL-terminated list
 * of keys and values), every unprefixed client key given, every
 * "<prefix>key" given (prefix "consumer.", "producer.", "admin."), then
 * forced (like defaults), which win. NULL with errbuf set on a bad key. */
sl_conf_t *sl_app_client_conf(sl_app_t *app, const char *prefix, const char *const *defaults,
                              const char *const *forced, char *errbuf, size_t errlen);
/* A thread's state changed: recomputes the app's (calls the callback). */
void sl_app_refresh_state(sl_app_t *app);
/* Task directory locks across the instance's threads. acquire: true when
 * th holds it now (or did). any. */
bool sl_app_dir_acquire(sl_app_t *app, const char *task, sl_sthread_t *th);
void sl_app_dir_release(sl_app_t *app, const char *task, sl_sthread_t *th);
/* The sub-topology (index into app->subs) reading full topic name, or -1. */
int sl_app_sub_of(const sl_app_t *app, const char *topic);
/* thread.c: a stream thread ended (the last thing it does). */
void sl_app_thread_ended(sl_app_t *app);
/* The global tables (thread.c): start bootstraps the global task from
 * every partition of the global topics to their end (before any stream
 * thread starts), then keeps it updated on a thread of its own; stop ends
 * that thread and frees the task. */
sl_err_t sl_app_global_start(sl_app_t *app, char *errbuf, size_t errlen);
void sl_app_global_stop(sl_app_t *app);

/* ======================================================================
 * Stream threads (thread.c), their tasks (task_manager.c), EOS (eos.c)
 * ====================================================================== */

typedef enum sl_sthread_state {
    SL_ST_STARTING,
    SL_ST_REBALANCING,             /* between a revocation and running tasks */
    SL_ST_RUNNING,
    SL_ST_DEAD,                    /* stopped cleanly */
    SL_ST_ERROR                    /* stopped by a fatal error */
} sl_sthread_state_t;

/* One task a thread runs (active) or keeps up to date (standby). */
typedef struct sl_tm_task {
    sl_taskid_t id;
    char name[32];                 /* "<sub>_<partition>" */
    sl_app_sub_t *asub;
    char *dir;                     /* <app_dir>/<name> */
    sl_task_t *task;               /* NULL until its directory is ours */
    bool standby;
    bool suspended;                /* revoked, kept open for a while */
    bool restored;                 /* changelogs caught up once */
    bool paused;                   /* its partitions are paused */
    bool processed;                /* records since the last commit */
    int64_t *next_offset;          /* [asub->n_topics]: to commit; -1 none */
    int64_t *cl_next;              /* per store: the next changelog offset
                                    * the store has (restore, standby) */
    pthread_mutex_t lock;          /* held by the stream thread while the
                                    * task runs; by interactive queries */
} sl_tm_task_t;

struct sl_sthread {
    sl_app_t *app;
    int index;
    char name[200];                /* "<app>-StreamThread-<n>" */
    pthread_t tid;
    bool started;
    sl_consumer_t *consumer;
    sl_consumer_t *restore;        /* no group: changelogs, by assign() */
    sl_producer_t *producer;
    char *txn_id;                  /* exactly_once_v2 */
    bool txn_open;
    sl_err_t dr_err;               /* the first failed delivery */
    sl_map_t cl_offsets;           /* "topic\0partition" -> int64_t *: the
                                    * next offset of our changelog writes */
    sl_map_t part_counts;          /* topic -> int32_t * (collector) */
    int64_t last_commit;           /* mono ms */
    int64_t last_purge;            /* mono ms: repartition topics purged */
    int64_t last_standby;          /* mono ms: standbys caught up */
    bool commit_now;
    bool assigned;                 /* an assignment came since the last
                                    * revocation */
    sl_message_t **batch;          /* polled, not processed yet (processed
                                    * in sl_pg_order's order) */
    size_t n_batch;
    sl_err_t fatal;
    /* lock: the task list (the stream thread changes it; interactive
     * queries and the assignor's user data read it) */
    pthread_mutex_t lock;
    sl_tm_task_t **tasks;
    size_t n_tasks, cap_tasks;
    atomic_int state;              /* sl_sthread_state_t */
    atomic_bool stop;
};

/* app: creates the thread's clients (consumer with the streams assignor,
 * producer, restore consumer). SL_ERR_CONFIG (errbuf), SL_ERR_NOMEM. */
sl_err_t sl_sthread_new(sl_app_t *app, int index, sl_sthread_t **out, char *errbuf, size_t errlen);
sl_err_t sl_sthread_start(sl_sthread_t *th);
/* app: joins (after stop and the thread's end) and frees; NULL ok. */
void sl_sthread_free(sl_sthread_t *th);
void sl_sthread_set_state(sl_sthread_t *th, sl_sthread_state_t s);
/* stream: flushes every active task, then commits (offsets with the
 * consumer, or the transaction), writes checkpoints (at_least_once) and
 * purges repartition topics. Errors: the first failure (the thread then
 * stops with it). */
sl_err_t sl_sthread_commit(sl_sthread_t *th);
/* stream: the next changelog offset our producer wrote to topic/partition
 * (delivery reports), or -1. */
int64_t sl_sthread_cl_offset(sl_sthread_t *th, const char *topic, int32_t partition);
/* The collector tasks of th write through. */
void sl_sthread_collector(sl_sthread_t *th, sl_collector_t *out);

/* partition_group.c: the order to process a batch of n polled records in
 * (pure). part[i] names record i's partition (equal ids: one partition,
 * records in offset order), ts[i] its timestamp. order (n entries, the
 * caller's) gets a permutation of 0..n-1: each partition's records in
 * their order, and at each step the partition whose next record has the
 * smallest timestamp (a tie: the one polled first), as Kafka Streams'
 * PartitionGroup with the records buffered. Errors: SL_ERR_NOMEM. */
sl_err_t sl_pg_order(const int32_t *part, const int64_t *ts, size_t n, size_t *order);

/* Task manager (stream thread only, except user_data). */
/* The new assignment's user data from the leader (or an error). */
void sl_tm_on_assignment(sl_sthread_t *th, const sl_sa_asg_info_t *info);
/* Everything is being revoked (eager): commit, suspend. LOST: close dirty. */
void sl_tm_on_revoked(sl_sthread_t *th);
void sl_tm_on_lost(sl_sthread_t *th);
/* The running active task reading topic/partition, or NULL. */
sl_tm_task_t *sl_tm_find(sl_sthread_t *th, const char *topic, int32_t partition, int *topic_index);
/* Opens tasks waiting for their directory, restores, resumes partitions,
 * feeds standbys. */
void sl_tm_maintain(sl_sthread_t *th);
/* The offsets to commit (next offset per source partition of every active
 * task), from arena. */
sl_err_t sl_tm_offsets(sl_sthread_t *th, sl_arena_t *arena, sl_tp_offset_t **out, size_t *n);
/* Writes every active task's checkpoint (after a commit). */
void sl_tm_checkpoint(sl_sthread_t *th);
/* Closes every task (clean: flushed, checkpointed). */
void sl_tm_close_all(sl_sthread_t *th, bool clean);
/* io: the subscription user data (process, tasks held, task dirs). */
sl_err_t sl_tm_user_data(sl_buf_t *out, const sl_assignor_tp_t *owned, size_t n, int32_t generation, void *arg);
/* Frees a task (its stores closed as clean says). */
void sl_tm_task_free(sl_sthread_t *th, sl_tm_task_t *t, bool clean);

/* exactly_once_v2 (eos.c): the thread's transactional producer. */
sl_err_t sl_eos_init(sl_sthread_t *th);
/* Begins a transaction unless one is open. */
sl_err_t sl_eos_begin(sl_sthread_t *th);
/* Adds the offsets with the group's metadata and commits. */
sl_err_t sl_eos_commit(sl_sthread_t *th, const sl_tp_offset_t *offsets, size_t n);
void sl_eos_abort(sl_sthread_t *th);

/* ======================================================================
 * Internal topics (topics.c)
 * ====================================================================== */

/* app: resolves source patterns, creates repartition and changelog topics
 * (or checks those that exist), checks co-partitioning and sets every
 * app->subs[i].partitions. SL_ERR_NOENT (a source topic is missing),
 * SL_ERR_INVAL (co-partitioning, a changelog with a wrong count), admin
 * errors; errbuf names the topic and why. */
sl_err_t sl_topics_prepare(sl_app_t *app, char *errbuf, size_t errlen);
/* The changelog topic of store ("<app>-<store>-changelog") into buf. */
const char *sl_topics_changelog(const sl_app_t *app, const char *store, char *buf, size_t len);
/* stream: deletes records of repartition topics below the committed
 * offsets (parts[i].offset); errors are logged only. */
void sl_topics_purge(sl_app_t *app, const sl_tp_offset_t *parts, size_t n);

#endif /* SL_STREAMS_APP_INT_H */
