/*
 * broker_int.h - the internal manual of sluiced, the single-node broker: the
 * broker object, the topic/partition registry and its locking rules, the
 * request handlers (signature, replying now or later), the dispatch table,
 * and the threads that run it all. Everything in broker/ except the log
 * (broker/log/log.h) and the configuration (broker/config.h) is described
 * here; handler files (produce.c, fetch.c, admin_*.c...) include only this.
 *
 * ======================================================================
 * Threads
 * ======================================================================
 *
 *   main thread     parses the configuration, opens the broker (topics,
 *                   logs), starts the network threads, then runs the
 *                   maintenance loop (its own sl_loop_t): signals (signalfd),
 *                   retention every log.retention.check.interval.ms, segment
 *                   roll by time and flush.ms checks. On SIGTERM/SIGINT it
 *                   stops the network threads, joins them and closes the
 *                   broker (every log flushed and closed, then the
 *                   clean-shutdown marker written).
 *
 *   network threads num.network.threads of them (default: online CPUs). Each
 *                   runs one sl_broker_worker_t: its own sl_loop_t and its
 *                   own listener on the same host:port (SO_REUSEPORT, so the
 *                   kernel spreads new connections). A connection, its
 *                   requests, its timers and its replies live on the one
 *                   worker that accepted it; nothing of a connection is
 *                   touched by another thread. Handlers run on the network
 *                   thread and do the disk work themselves (appends go to
 *                   the page cache; fsyncs are grouped, see below).
 *
 * Who owns what
 *   sl_broker_t           shared by all threads. Fields marked "const" are set
 *                         before the threads start and never change.
 *   topic registry        broker->reg_lock (rwlock): the name and id maps and,
 *                         in every topic, parts/nparts/overrides/cfg.
 *   sl_topic_t            reference-counted (atomic): a topic found in the
 *                         registry stays allocated, with its partitions, until
 *                         the last reference is dropped, even if it is deleted
 *                         meanwhile. name and id are const.
 *   sl_partition_t        part->mu (mutex): the log (NULL once the topic is
 *                         deleted), the partition's copy of the topic config,
 *                         the fetch waiters. Every call on the log happens
 *                         under part->mu (appends, reads, flush, retention,
 *                         roll, DeleteRecords).
 *   admin changes         broker->admin_mu (mutex) serialises topic creation,
 *                         deletion, partition additions and config changes,
 *                         including their disk work; the data path never
 *                         takes it.
 *   sl_broker_worker_t    its network thread, except wake_mu/woken, which any
 *                         thread may use to wake a deferred request
 *                         (sl_broker_worker_wake).
 *
 * Lock order (take left before right, never the other way):
 *     admin_mu  ->  reg_lock  ->  part->mu  ->  worker->wake_mu
 * Nothing waits for the network or calls a handler's callback while holding
 * any of them. reg_lock is held for map lookups and pointer swaps only: disk
 * work (opening and deleting logs, writing topic metadata) is done under
 * admin_mu with reg_lock released. part->mu is held across a log call, which
 * may mean a write(2), pread(2) or fsync(2) on that partition's files.
 *
 * ======================================================================
 * Requests
 * ======================================================================
 *
 * A connection handles one request at a time, in order (Kafka answers in
 * request order per connection). When a frame arrives the worker copies it
 * into a new sl_broker_req_t (the request owns its bytes, so a handler may
 * keep pointers into the decoded request, and Produce may modify its record
 * batches in place), decodes it with an arena bounded by
 * SL_BROKER_REQ_ARENA_LIMIT, and calls the handler from the dispatch table.
 *
 * A handler finishes its request with exactly one of
 *     sl_broker_req_reply(req, &resp)     encode and queue the response
 *     sl_broker_req_finish(req)           no response (Produce with acks=0)
 *     sl_broker_req_close(req, fmt, ...)  log a line and close the connection
 * either before it returns (answered now), or later, on the same network
 * thread, after calling sl_broker_req_defer() (answered later: long-poll
 * Fetch, a Produce waiting for its fsync). While a request is deferred its
 * connection is not read (sl_conn_pause_read); reading resumes when it
 * finishes. If the connection goes away or the worker stops first, the
 * cancel function given to sl_broker_req_defer runs instead: it releases what
 * the handler holds (timers, waiters, references) and must not reply; the
 * request is freed after it returns. After any of the finishing calls, or
 * after cancel, the request and its arena are gone.
 *
 * Errors a handler cannot put in its response (the arena ran out, an encode
 * failed) close the connection: a Kafka client reconnects and retries.
 *
 * ======================================================================
 * Group commit (fsync before the ack)
 * ======================================================================
 *
 * A produce to a partition whose unflushed message count reaches the topic's
 * flush.messages (e.g. flush.messages=1) must not be acknowledged before an
 * fsync. The handler appends, marks the partition dirty on its worker
 * (sl_broker_worker_mark_dirty), defers the request and puts it on the
 * worker's flush list (sl_broker_worker_flush_wait). The worker's
 * before-sleep hook, which runs once per loop iteration, fsyncs every dirty
 * partition once (sl_log_flush under part->mu) and then replies to every
 * request on the flush list: one fsync per partition per iteration covers
 * all the produces that iteration handled.
 */
#ifndef SL_BROKER_INT_H
#define SL_BROKER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "base.h"
#include "config.h"
#include "log/log.h"
#include "net.h"
#include "proto.h"

#define SL_BROKER_LOG "broker" /* module tag of the broker's log lines */

/* Upper bound on the memory one request may take from its arena (decoded
 * arrays and the response built from them). A request that needs more is
 * refused: the connection is closed with a log line. Record bytes are not
 * counted: they stay in the frame. */
#define SL_BROKER_REQ_ARENA_LIMIT ((size_t)64 << 20)

/* Largest Fetch response we build whatever the client asks: Kafka's
 * fetch.max.bytes default (55 MiB). */
#define SL_BROKER_FETCH_MAX_BYTES (55 * 1024 * 1024)

/* A network thread keeps its reusable buffers (response encoding, fetched
 * records, decompression) up to this capacity between requests, so big
 * responses do not pay for fresh pages each time. */
#define SL_BROKER_KEEP_BUF_MAX ((size_t)64 << 20)

/* Fetch: record slices at least this large are sent from their segment
 * file with sendfile (zero-copy) rather than copied, for at most this many
 * partitions per response (each holds a descriptor until sent). */
#define SL_BROKER_SENDFILE_MIN (16 * 1024)
#define SL_BROKER_FETCH_MAX_FILES 32

/* Longest long-poll we hold a Fetch (a client's MaxWaitMs above it is cut). */
#define SL_BROKER_FETCH_MAX_WAIT_MS 30000

typedef struct sl_broker sl_broker_t;
typedef struct sl_broker_worker sl_broker_worker_t;
typedef struct sl_broker_conn sl_broker_conn_t;
typedef struct sl_broker_req sl_broker_req_t;
typedef struct sl_topic sl_topic_t;
typedef struct sl_partition sl_partition_t;

/* Kafka api keys the broker names in code. */
enum {
    SL_APIKEY_PRODUCE = 0,
    SL_APIKEY_FETCH = 1,
    SL_APIKEY_LIST_OFFSETS = 2,
    SL_APIKEY_METADATA = 3,
    SL_APIKEY_OFFSET_COMMIT = 8,
    SL_APIKEY_OFFSET_FETCH = 9,
    SL_APIKEY_FIND_COORDINATOR = 10,
    SL_APIKEY_JOIN_GROUP = 11,
    SL_APIKEY_HEARTBEAT = 12,
    SL_APIKEY_LEAVE_GROUP = 13,
    SL_APIKEY_SYNC_GROUP = 14,
    SL_APIKEY_DESCRIBE_GROUPS = 15,
    SL_APIKEY_LIST_GROUPS = 16,
    SL_APIKEY_API_VERSIONS = 18,
    SL_APIKEY_CREATE_TOPICS = 19,
    SL_APIKEY_DELETE_TOPICS = 20,
    SL_APIKEY_DELETE_RECORDS = 21,
    SL_APIKEY_INIT_PRODUCER_ID = 22,
    SL_APIKEY_OFFSET_FOR_LEADER_EPOCH = 23,
    SL_APIKEY_ADD_PARTITIONS_TO_TXN = 24,
    SL_APIKEY_ADD_OFFSETS_TO_TXN = 25,
    SL_APIKEY_END_TXN = 26,
    SL_APIKEY_TXN_OFFSET_COMMIT = 28,
    SL_APIKEY_DESCRIBE_CONFIGS = 32,
    SL_APIKEY_ALTER_CONFIGS = 33,
    SL_APIKEY_CREATE_PARTITIONS = 37,
    SL_APIKEY_DELETE_GROUPS = 42,
    SL_APIKEY_INCREMENTAL_ALTER_CONFIGS = 44,
    SL_APIKEY_OFFSET_DELETE = 47,
    SL_APIKEY_DESCRIBE_CLUSTER = 60,
    SL_APIKEY_DESCRIBE_TRANSACTIONS = 65,
    SL_APIKEY_LIST_TRANSACTIONS = 66,
};

/* ======================================================================
 * The broker
 * ====================================================================== */

struct sl_broker {
    const sl_broker_config_t *cfg;   /* const; owned by main */
    char cluster_id[32];             /* const: meta.properties cluster.id (22 chars) */
    int32_t node_id;                 /* const: cfg->node_id */
    char adv_host[256];              /* const: advertised host for Metadata */
    uint16_t adv_port;               /* const: advertised port (the bound port when
                                      * the configured one was 0) */
    uint16_t port;                   /* const once started: the bound port */

    pthread_rwlock_t reg_lock;       /* the registry; see the top of this file */
    sl_map_t topics;                 /* name -> sl_topic_t (one reference) */
    sl_map_t topic_ids;              /* 16-byte id -> sl_topic_t (no reference) */

    pthread_mutex_t admin_mu;        /* serialises topic changes */
    int *dir_load;                   /* under admin_mu: partitions per log dir */

    int lock_fds[SL_CONFIG_MAX_LOG_DIRS]; /* broker.c: <log dir>/.lock, flock'ed */
    int fresh_dirs;                  /* broker.c: log dirs without meta.properties */
    sl_broker_worker_t **workers;    /* const once started */
    int nworkers;
    atomic_bool stopping;            /* set at shutdown: refuse new long polls */
};

/* Opens the broker: checks and creates each log dir, reads or writes
 * meta.properties (version=0, node.id, broker.id, cluster.id; a new cluster id
 * at first start; a node.id that differs from the one on disk is an error, as
 * Kafka's), reads and removes the clean-shutdown markers (all present:
 * clean start), loads every saved topic and opens its partition logs.
 * cfg is kept (must outlive the broker). Logs what it found (topics,
 * partitions, clean or recovered). *out gets the broker.
 * SL_OK; SL_ERR_CONFIG or SL_ERR_IO with errbuf saying why; SL_ERR_NOMEM.
 * Thread: main, before the network threads start. */
sl_err_t sl_broker_open(const sl_broker_config_t *cfg, sl_broker_t **out, char *errbuf, size_t errlen);

/* Closes every log (sl_log_close flushes), then writes the clean-shutdown
 * marker in each log dir if every log closed cleanly, and frees the broker.
 * Accepts NULL. Returns the first error met (the broker is freed anyway).
 * Thread: main, after the network threads have been joined. */
sl_err_t sl_broker_close(sl_broker_t *broker);

/* Starts n network threads listening on host:port (SO_REUSEPORT; port 0 picks
 * one port for all). The bound port becomes broker->adv_port when the
 * advertised port is 0. SL_OK, SL_ERR_IO (bind failed; logged), SL_ERR_NOMEM.
 * Thread: main. */
sl_err_t sl_broker_start(sl_broker_t *broker, const char *host, uint16_t port, int n);
/* Stops accepting, finishes what is in flight (replies already queued are
 * sent, deferred requests are cancelled), closes every connection and joins
 * the network threads. Thread: main. */
void sl_broker_stop(sl_broker_t *broker);

/* Arms the housekeeping timers on the main thread's loop: retention every
 * log.retention.check.interval.ms, segment roll by time and flush.ms checks
 * at least every second (maint.c). SL_OK or SL_ERR_NOMEM. Thread: main. */
sl_err_t sl_broker_maint_start(sl_broker_t *broker, sl_loop_t *loop);

/* ======================================================================
 * Topic registry
 *
 * Topics and partitions are found by name or id and come back holding a
 * reference; drop it with sl_topic_unref / sl_partition_unref. Every lookup
 * and iteration takes reg_lock for reading and releases it before returning.
 * Changes take admin_mu for their whole run and reg_lock for writing only to
 * publish.
 * ====================================================================== */

struct sl_topic {
    char name[250];                  /* const */
    sl_uuid_t id;                    /* const */
    atomic_int refs;                 /* one held by the registry while listed */
    /* under broker->reg_lock */
    sl_partition_t **parts;          /* [nparts]; pointers stable while referenced */
    int32_t nparts;
    sl_props_t *overrides;           /* topic config overrides (owned) */
    sl_topic_config_t cfg;           /* effective config */
    bool listed;                     /* in the maps (false once deleted) */
};

struct sl_partition {
    sl_topic_t *topic;               /* const: back pointer (not a reference) */
    int32_t index;                   /* const */
    int dir_idx;                     /* const: index in cfg->log_dirs */
    pthread_mutex_t mu;
    /* under mu */
    sl_log_t *log;                   /* NULL once deleted, or when offline */
    bool offline;                    /* its log failed to open at start-up:
                                      * requests get KAFKA_STORAGE_ERROR */
    sl_topic_config_t cfg;           /* copy of the topic's effective config */
    sl_list_t waiters;               /* sl_broker_waiter_t of long-poll Fetches */
};

/* Looks up a listed topic by name (len bytes, not NUL-terminated) or by id.
 * Returns it with a reference, or NULL. Thread: any; takes reg_lock (read). */
sl_topic_t *sl_broker_topic_get(sl_broker_t *broker, const char *name, size_t len);
sl_topic_t *sl_broker_topic_get_by_id(sl_broker_t *broker, const sl_uuid_t *id);
void sl_topic_ref(sl_topic_t *topic);
/* Drops a reference; the last one frees the topic and its partitions (their
 * logs were closed or deleted before). Accepts NULL. Thread: any, no lock. */
void sl_topic_unref(sl_topic_t *topic);

/* The partition count now (it only grows). Thread: any; takes reg_lock (read). */
int32_t sl_topic_partition_count(sl_broker_t *broker, sl_topic_t *topic);
/* Partition index of a referenced topic, or NULL when out of range. The
 * pointer stays valid while the caller holds its topic reference (no
 * separate reference is taken). Thread: any; takes reg_lock (read). */
sl_partition_t *sl_topic_partition(sl_broker_t *broker, sl_topic_t *topic, int32_t index);

/* Shortcut: the partition of the named topic with a reference on its topic
 * (drop it with sl_partition_unref). SL_OK, SL_ERR_UNKNOWN_TOPIC_OR_PARTITION.
 * Thread: any; takes reg_lock (read). */
sl_err_t sl_broker_partition_get(sl_broker_t *broker, const char *name, size_t len, int32_t index,
                                 sl_partition_t **out);
static inline void sl_partition_unref(sl_partition_t *part)
{
    if (part)
        sl_topic_unref(part->topic);
}

/* Every listed topic, each with a reference, sorted by name: *out (malloc'ed
 * array; free with sl_broker_topics_release), *n. SL_OK or SL_ERR_NOMEM.
 * Thread: any; takes reg_lock (read). */
sl_err_t sl_broker_topics_list(sl_broker_t *broker, sl_topic_t ***out, size_t *n);
void sl_broker_topics_release(sl_topic_t **topics, size_t n);

/* The effective config of a topic, and a copy of its overrides (free with
 * sl_props_free; NULL only on no memory). Thread: any; takes reg_lock (read). */
void sl_topic_config_get(sl_broker_t *broker, sl_topic_t *topic, sl_topic_config_t *out);
sl_props_t *sl_topic_overrides_dup(sl_broker_t *broker, sl_topic_t *topic);

/* Creates a topic: checks the name (sl_topic_name_check), the partition
 * count (1 .. 1000000; <= 0 is INVALID_PARTITIONS) and every override
 * (sl_topic_config_check), then, unless validate_only, creates and opens
 * each partition's log (in the log dir holding the fewest partitions),
 * persists the metadata (sl_topic_meta_save) and lists the topic.
 * overrides is borrowed (copied; NULL: none). *out (if out is not NULL)
 * gets the new topic with a reference (NULL with validate_only).
 * SL_OK; SL_ERR_INVALID_TOPIC_EXCEPTION, SL_ERR_TOPIC_ALREADY_EXISTS,
 * SL_ERR_INVALID_PARTITIONS, SL_ERR_INVALID_CONFIG (errbuf says why);
 * SL_ERR_KAFKA_STORAGE_ERROR (a log or the metadata could not be written:
 * nothing is left behind); SL_ERR_NOMEM.
 * Thread: any (blocks on admin_mu and disk I/O). */
sl_err_t sl_broker_topic_create(sl_broker_t *broker, const char *name, size_t len, int32_t partitions,
                                const sl_props_t *overrides, bool validate_only, sl_topic_t **out,
                                char *errbuf, size_t errlen);

/* Deletes a topic: unlists it (lookups stop finding it at once), deletes each
 * partition's log (sl_log_delete under part->mu; requests holding a
 * reference then see part->log == NULL and answer UNKNOWN_TOPIC_OR_PARTITION),
 * wakes its fetch waiters and removes the metadata (sl_topic_meta_remove).
 * SL_OK, SL_ERR_UNKNOWN_TOPIC_OR_PARTITION, SL_ERR_TOPIC_DELETION_DISABLED
 * (delete.topic.enable=false), SL_ERR_KAFKA_STORAGE_ERROR (logged; the
 * topic is gone from the registry anyway).
 * Thread: any (blocks on admin_mu and disk I/O). */
sl_err_t sl_broker_topic_delete(sl_broker_t *broker, const char *name, size_t len);
sl_err_t sl_broker_topic_delete_by_id(sl_broker_t *broker, const sl_uuid_t *id);

/* Grows a topic to total partitions (CreatePartitions). total below the
 * current count: SL_ERR_INVALID_PARTITIONS ("Topic currently has N
 * partitions, which is higher than the requested M."); equal: also
 * INVALID_PARTITIONS, as Kafka. validate_only checks without changing.
 * SL_OK, SL_ERR_UNKNOWN_TOPIC_OR_PARTITION, SL_ERR_INVALID_PARTITIONS,
 * SL_ERR_KAFKA_STORAGE_ERROR, SL_ERR_NOMEM; errbuf says why.
 * Thread: any (blocks on admin_mu and disk I/O). */
sl_err_t sl_broker_topic_add_partitions(sl_broker_t *broker, const char *name, size_t len, int32_t total,
                                        bool validate_only, char *errbuf, size_t errlen);

/* Replaces a topic's config overrides with overrides (borrowed, copied;
 * every value must have passed sl_topic_config_check), persists them,
 * re-resolves the effective config and hands it to every partition
 * (sl_log_set_config). SL_OK, SL_ERR_UNKNOWN_TOPIC_OR_PARTITION,
 * SL_ERR_INVALID_CONFIG, SL_ERR_KAFKA_STORAGE_ERROR, SL_ERR_NOMEM.
 * Thread: any (blocks on admin_mu and disk I/O). */
sl_err_t sl_broker_topic_set_config(sl_broker_t *broker, const char *name, size_t len,
                                    const sl_props_t *overrides, char *errbuf, size_t errlen);

/* The log settings of a topic's effective config. Thread: any, pure. */
void sl_broker_log_config(const sl_topic_config_t *tcfg, sl_log_config_t *out);

/* A random version-4 uuid (topic ids, the cluster id). Thread: any. */
void sl_broker_random_uuid(sl_uuid_t *id);

/* Start-up: loads every saved topic (sl_topic_meta_load_all) and opens its
 * partitions with clean_shutdown = clean. A partition whose log cannot be
 * opened is kept offline; a topic file that cannot be used is skipped; both
 * are logged and counted in *failed. SL_OK or SL_ERR_IO (metadata directory
 * unreadable). Thread: main, before the network threads start. */
sl_err_t sl_broker_registry_load(sl_broker_t *broker, bool clean, size_t *topics, size_t *partitions,
                                 size_t *failed);
/* Shutdown: closes every log (flushing it) and empties the registry.
 * Returns the first close error. Thread: main, after the network threads. */
sl_err_t sl_broker_registry_close(sl_broker_t *broker);

/* Partition mutex, for handlers outside produce/fetch (DeleteRecords,
 * OffsetForLeaderEpoch...). Check part->log != NULL after locking. */
static inline void sl_partition_lock(sl_partition_t *part) { pthread_mutex_lock(&part->mu); }
static inline void sl_partition_unlock(sl_partition_t *part) { pthread_mutex_unlock(&part->mu); }

/* A long-poll Fetch waiting on a partition: linked in part->waiters (under
 * part->mu) by the fetch handler, unlinked by an append (which wakes it) or
 * by the fetch when it finishes. */
typedef struct sl_broker_waiter {
    sl_list_t node;                  /* in part->waiters */
    sl_broker_worker_t *worker;      /* the worker to wake */
    uint64_t req_id;                 /* the deferred request, by id */
} sl_broker_waiter_t;

/* After an append: unlinks every waiter of part and wakes its request.
 * Thread: any; part->mu held. */
void sl_partition_wake_waiters_locked(sl_partition_t *part);

/* ======================================================================
 * Handlers and the dispatch table
 * ====================================================================== */

typedef void sl_broker_handler_fn(sl_broker_req_t *req);
/* Releases a deferred request's holdings without replying (see above). */
typedef void sl_broker_cancel_fn(sl_broker_req_t *req);
/* Called on the request's worker thread after sl_broker_worker_wake(req id). */
typedef void sl_broker_wake_fn(sl_broker_req_t *req);
/* Called on the request's worker thread once its partitions are fsynced. */
typedef void sl_broker_flushed_fn(sl_broker_req_t *req);

struct sl_broker_req {
    sl_broker_t *broker;
    sl_broker_worker_t *worker;      /* the network thread it runs on */
    sl_broker_conn_t *bc;            /* its connection */
    uint64_t id;                     /* unique in the process: for wake-ups */
    sl_req_hdr_t hdr;                /* client_id borrows frame */
    const sl_api_t *api;             /* proto's entry for hdr.api_key */
    void *body;                      /* the decoded sl_<Api>Request_t (arena) */
    sl_arena_t arena;                /* decoded request + response pieces */
    uint8_t *frame;                  /* the frame, in the connection's input buffer
                                      * (net.h: valid while the request runs, since a
                                      * deferred request pauses its connection);
                                      * writable: Produce patches batches in place */
    size_t frame_len;
    int64_t received_ms;             /* loop clock when the frame arrived */
    /* deferred requests */
    bool deferred;
    bool finished;
    sl_broker_cancel_fn *cancel;
    sl_broker_wake_fn *wake;         /* may be NULL */
    void *ctx;                       /* the handler's state while deferred */
    sl_broker_flushed_fn *flushed;   /* on the worker's flush list: called after
                                      * the fsync */
    sl_list_t node;                  /* the worker's flush list; self-linked
                                      * when on none */
};

/* Encodes resp (the sl_<Api>Response_t of req's api, borrowed) in the
 * request's version with its correlation id, queues it on the connection and
 * finishes the request. Encode errors are logged and close the connection.
 * Thread: req's worker. */
void sl_broker_req_reply(sl_broker_req_t *req, const void *resp);
/* A file range spliced into a response frame (zero-copy Fetch). */
typedef struct sl_broker_file_part {
    size_t at;                       /* where in the frame's bytes it goes */
    int fd;                          /* taken: closed once sent */
    int64_t pos;                     /* file offset */
    size_t len;
} sl_broker_file_part_t;

/* Queues a whole response frame already encoded by the handler:
 * bytes[0..len) (borrowed, copied or sent at once) with files[0..nfiles)
 * spliced in at their positions (ascending), sent with sendfile, and
 * finishes the request. Takes every descriptor, also when the connection
 * is gone. Thread: req's worker. */
void sl_broker_req_reply_frame(sl_broker_req_t *req, const uint8_t *bytes, size_t len,
                               const sl_broker_file_part_t *files, size_t nfiles);
/* Finishes without a response. Thread: req's worker. */
void sl_broker_req_finish(sl_broker_req_t *req);
/* The client's address as Kafka reports a member's host: "/127.0.0.1"
 * (the peer without its port), into buf. Thread: req's worker. */
void sl_broker_req_client_host(const sl_broker_req_t *req, char *buf, size_t len);
/* Logs "closing connection ID from PEER: <why>" (warning) and closes the
 * connection at once; the request is finished. Thread: req's worker. */
void sl_broker_req_close(sl_broker_req_t *req, const char *fmt, ...) SL_PRINTF(2, 3);
/* The handler will finish later; until then the connection is not read.
 * cancel (required) runs instead if the connection closes or the worker
 * stops first; wake (optional) runs on sl_broker_worker_wake(req->id).
 * ctx is kept in req->ctx. Thread: req's worker, inside the handler. */
void sl_broker_req_defer(sl_broker_req_t *req, sl_broker_cancel_fn *cancel, sl_broker_wake_fn *wake,
                         void *ctx);

/* One entry of the dispatch table. */
typedef struct sl_broker_api {
    int16_t api_key;
    int16_t min_version, max_version; /* within proto's range for the key */
    sl_broker_handler_fn *handler;    /* NULL: not implemented (not advertised) */
} sl_broker_api_t;

#define SL_BROKER_API_SLOTS 68 /* api keys 0..67 (Kafka 3.4) */

/* The dispatch table (dispatch.c), indexed by api key. ApiVersions answers
 * from it, so only what has a handler is advertised. */
extern const sl_broker_api_t sl_broker_apis[SL_BROKER_API_SLOTS];
/* The entry for api_key if it has a handler, else NULL. Thread: any. */
const sl_broker_api_t *sl_broker_api_find(int16_t api_key);
/* Fills resp with the advertised api list from the table (arrays from
 * arena) and error. SL_OK or SL_ERR_NOMEM. Thread: any. */
sl_err_t sl_broker_api_versions_fill(sl_ApiVersionsResponse_t *resp, sl_arena_t *arena, int16_t error);

/* Handlers (one file each). */
void sl_broker_handle_api_versions(sl_broker_req_t *req);     /* dispatch.c */
void sl_broker_handle_metadata(sl_broker_req_t *req);         /* metadata.c */
void sl_broker_handle_produce(sl_broker_req_t *req);          /* produce.c */
void sl_broker_handle_fetch(sl_broker_req_t *req);            /* fetch.c */
void sl_broker_handle_list_offsets(sl_broker_req_t *req);     /* list_offsets.c */
void sl_broker_handle_find_coordinator(sl_broker_req_t *req); /* find_coordinator.c */
/* The group coordinator (group/group_api.c; its threads and locks are
 * described there). */
void sl_broker_handle_join_group(sl_broker_req_t *req);
void sl_broker_handle_sync_group(sl_broker_req_t *req);
void sl_broker_handle_heartbeat(sl_broker_req_t *req);
void sl_broker_handle_leave_group(sl_broker_req_t *req);
void sl_broker_handle_offset_commit(sl_broker_req_t *req);
void sl_broker_handle_offset_fetch(sl_broker_req_t *req);
void sl_broker_handle_describe_groups(sl_broker_req_t *req); /* group/group_admin.c */
void sl_broker_handle_list_groups(sl_broker_req_t *req);     /* group/group_admin.c */
void sl_broker_handle_delete_groups(sl_broker_req_t *req);   /* group/group_admin.c */
void sl_broker_handle_offset_delete(sl_broker_req_t *req);   /* group/group_admin.c */
/* The coordinator's life (group/coord.c; one broker per process at a
 * time). sl_coord_open creates __consumer_offsets when missing and starts
 * the thread that loads the groups from it (group requests answer
 * COORDINATOR_LOAD_IN_PROGRESS until their partition is loaded); SL_OK or
 * SL_ERR_NOMEM (a topic that cannot be created is logged and groups answer
 * COORDINATOR_NOT_AVAILABLE). Thread: main, in sl_broker_start before the
 * network threads start. sl_coord_start arms offset expiry on the main loop
 * (every offsets.retention.check.interval.ms); SL_OK or SL_ERR_NOMEM.
 * sl_coord_close stops the loader and frees the groups; thread: main, in
 * sl_broker_close once the network threads are gone.
 * Test-only environment variables (never for production):
 * SLUICE_TEST_OFFSETS_LOAD_DELAY_MS holds the loader back that long, so
 * tests see COORDINATOR_LOAD_IN_PROGRESS; SLUICE_TEST_OFFSETS_RETENTION_MS
 * replaces offsets.retention.minutes, so tests expire offsets in seconds. */
sl_err_t sl_coord_open(sl_broker_t *broker);
sl_err_t sl_coord_start(sl_broker_t *broker, sl_loop_t *loop);
void sl_coord_close(sl_broker_t *broker);
void sl_broker_handle_init_producer_id(sl_broker_req_t *req); /* producer_init.c */
/* The transaction coordinator (txn/txn_api.c; txn/txn_coord.c describes
 * its threads and locks). */
void sl_broker_handle_add_partitions_to_txn(sl_broker_req_t *req);
void sl_broker_handle_add_offsets_to_txn(sl_broker_req_t *req);
void sl_broker_handle_end_txn(sl_broker_req_t *req);
void sl_broker_handle_describe_transactions(sl_broker_req_t *req);
void sl_broker_handle_list_transactions(sl_broker_req_t *req);
/* Its life (txn/txn_coord.c), as the group coordinator's: sl_txn_coord_open
 * creates __transaction_state when missing and starts the thread that loads
 * the transactional ids (their requests answer COORDINATOR_LOAD_IN_PROGRESS
 * until their partition is loaded; prepared transactions found are
 * completed); SL_OK or SL_ERR_NOMEM (a topic that cannot be created is
 * logged and transactions answer COORDINATOR_NOT_AVAILABLE). Thread: main,
 * in sl_broker_start after sl_coord_open. sl_txn_coord_start arms the
 * abort of timed-out transactions (transaction.abort.timed.out.transaction.
 * cleanup.interval.ms) and the expiry of idle ids
 * (transaction.remove.expired.transaction.cleanup.interval.ms); SL_OK or
 * SL_ERR_NOMEM. sl_txn_coord_close stops the loader and frees the ids;
 * thread: main, in sl_broker_close once the network threads are gone,
 * before sl_coord_close.
 * Test-only environment variables (never for production):
 * SLUICE_TEST_TXN_LOAD_DELAY_MS holds the loader back that long;
 * SLUICE_TEST_TXN_CHECK_MS runs both timers that often;
 * SLUICE_TEST_TXN_ID_EXPIRATION_MS replaces transactional.id.expiration.ms. */
sl_err_t sl_txn_coord_open(sl_broker_t *broker);
sl_err_t sl_txn_coord_start(sl_broker_t *broker, sl_loop_t *loop);
void sl_txn_coord_close(sl_broker_t *broker);
/* Admin handlers (admin_*.c) are declared here and entered in dispatch.c's
 * table by the admin code, one line each. */
void sl_broker_handle_create_topics(sl_broker_req_t *req);            /* admin_topics.c */
void sl_broker_handle_delete_topics(sl_broker_req_t *req);            /* admin_topics.c */
void sl_broker_handle_create_partitions(sl_broker_req_t *req);        /* admin_topics.c */
void sl_broker_handle_describe_configs(sl_broker_req_t *req);         /* admin_configs.c */
void sl_broker_handle_alter_configs(sl_broker_req_t *req);            /* admin_configs.c */
void sl_broker_handle_incremental_alter_configs(sl_broker_req_t *req); /* admin_configs.c */
void sl_broker_handle_delete_records(sl_broker_req_t *req);           /* admin_records.c */
void sl_broker_handle_offset_for_leader_epoch(sl_broker_req_t *req);  /* admin_records.c */
void sl_broker_handle_describe_cluster(sl_broker_req_t *req);         /* admin_cluster.c */

/* ======================================================================
 * Internal topics (internal_topic.c): the coordinators' logs,
 * __consumer_offsets (group/offsets_log.c) and __transaction_state
 * (txn/txn_log.c), created, appended to and read back the same way.
 * ====================================================================== */

/* How a coordinator creates its topic. Strings are static. */
typedef struct sl_internal_topic {
    const char *name;          /* SL_TOPIC_CONSUMER_OFFSETS, ... */
    const char *log_mod;       /* logging module ("group", "txn") */
    const char *count_key;     /* the setting of the partition count, for messages */
    const char *served;        /* what is not served without the topic ("groups") */
    int32_t partitions;
    int32_t segment_bytes;
    const char *compression;   /* compression.type ("producer", "uncompressed") */
} sl_internal_topic_t;

/* Start-up: creates the topic when it is missing (cleanup.policy=compact,
 * segment.bytes and compression.type as described). An existing topic keeps
 * its partition count (a different configured count is logged). Returns the
 * partition count, or -1 when the topic cannot be created (logged). Thread:
 * any, before the coordinator serves. */
int32_t sl_internal_topic_ensure(sl_broker_t *broker, const sl_internal_topic_t *it);

/* Called under part->mu around an internal append (both may be NULL):
 * check before anything is written (returns SL_OK, or an error that stops
 * the append; *refused may be set to a Kafka code that stops it too),
 * appended after the batch went in. */
typedef struct sl_internal_append_hooks {
    sl_err_t (*check)(sl_partition_t *part, void *arg, int16_t *refused);
    void (*appended)(sl_partition_t *part, const sl_log_append_info_t *info, int64_t now, void *arg);
} sl_internal_append_hooks_t;

/* Appends the batch data[0..len) (modified: offsets assigned) to partition
 * of the topic named name under its mutex, through what a produce does
 * after its checks: fetch waiters woken, an fsync at once when the topic's
 * flush.messages asks for it (coordinator writes are small). *base_offset
 * (may be NULL) gets the batch's first offset. Returns SL_OK; *refused
 * (when the check hook set it; nothing written);
 * SL_ERR_UNKNOWN_TOPIC_OR_PARTITION; SL_ERR_TOO_LARGE (above segment.bytes);
 * SL_ERR_KAFKA_STORAGE_ERROR (offline, or the append or fsync failed:
 * logged); the check hook's error. Callers map these to what their clients
 * are answered. Thread: any; takes part->mu (the caller may hold its own
 * coordinator locks). */
sl_err_t sl_internal_topic_append(sl_broker_t *broker, const char *name, const char *log_mod, int32_t partition,
                                  uint8_t *data, size_t len, const sl_internal_append_hooks_t *hooks, void *arg,
                                  int16_t *refused, int64_t *base_offset);

/* What a scan tells of the batch a record (or marker) comes from. */
typedef struct sl_internal_batch_info {
    int64_t base_offset;
    int64_t producer_id;               /* -1: none */
    int16_t producer_epoch;
    bool transactional;
} sl_internal_batch_info_t;

/* record gets each keyed record (key[0..klen), value[0..vlen), vlen -1: a
 * tombstone, value NULL; borrowed for the call) with its batch; marker (may
 * be NULL) each transaction marker (a control batch whose record is a
 * commit or an abort; other control records are skipped). */
typedef struct sl_internal_scan_ops {
    void (*record)(void *arg, const sl_internal_batch_info_t *bi, const uint8_t *key, size_t klen,
                   const uint8_t *value, int32_t vlen, int64_t offset);
    void (*marker)(void *arg, const sl_internal_batch_info_t *bi, bool commit, int64_t offset);
} sl_internal_scan_ops_t;

/* Reads partition of the topic named name from its start to the end offset
 * it had when the call began, in order (a batch that cannot be read or
 * decompressed is skipped with a warning, so is a keyless record). Stops
 * early when *stop is set. SL_OK, SL_ERR_UNKNOWN_TOPIC_OR_PARTITION,
 * SL_ERR_KAFKA_STORAGE_ERROR (offline), SL_ERR_IO, SL_ERR_NOMEM. Thread:
 * any; takes part->mu for each read, never while a callback runs. */
sl_err_t sl_internal_topic_scan(sl_broker_t *broker, const char *name, const char *log_mod, int32_t partition,
                                const atomic_bool *stop, const sl_internal_scan_ops_t *ops, void *arg);
/* The scan for callers that need neither batches nor markers: fn gets each
 * keyed record as ops->record would. */
typedef void sl_internal_scan_fn(void *arg, const uint8_t *key, size_t klen, const uint8_t *value, int32_t vlen,
                                 int64_t offset);
sl_err_t sl_internal_topic_scan_records(sl_broker_t *broker, const char *name, const char *log_mod,
                                        int32_t partition, const atomic_bool *stop, sl_internal_scan_fn *fn,
                                        void *arg);

/* A coordinator's loader: a thread that reads the internal topic back at
 * start-up, partition by partition, while requests for partitions not
 * loaded yet answer COORDINATOR_LOAD_IN_PROGRESS. */
typedef struct sl_internal_loader {
    int32_t nparts;            /* const while started: the topic's count; -1 none */
    atomic_bool *loaded;       /* [nparts]: set by load (under the caller's lock if it needs one) */
    atomic_bool all_loaded;    /* every partition loaded */
    atomic_bool stop;          /* set by sl_internal_loader_stop; scans stop early */
    pthread_t thread;
    bool started;
    const char *delay_env;
    void (*load)(int32_t p, void *arg);
    void (*done)(int64_t ms, void *arg);
    void *arg;
} sl_internal_loader_t;

/* Fills l for a topic of nparts partitions (nparts <= 0: nothing to load,
 * SL_OK with no thread) and starts the thread, which first waits the
 * milliseconds the environment variable delay_env (test-only; may be NULL)
 * says, then calls load(p, arg) for each partition in order (it reads p
 * and ends with l->loaded[p] set; not called for the rest once stop is
 * set), then done(ms taken, arg) (may be NULL; not when stopped).
 * SL_ERR_NOMEM (then nparts is -1). Thread: the coordinator's open. */
sl_err_t sl_internal_loader_start(sl_internal_loader_t *l, int32_t nparts, const char *delay_env,
                                  void (*load)(int32_t p, void *arg), void (*done)(int64_t ms, void *arg),
                                  void *arg);
/* Stops and joins the thread and frees loaded (nparts becomes -1). Thread:
 * the coordinator's close; safe when never started. */
void sl_internal_loader_stop(sl_internal_loader_t *l);

/* ======================================================================
 * Decisions of the data path, without sockets or locks (unit-tested)
 * ====================================================================== */

/* Produce: may the Records of one partition (records[0..len), len -1 for
 * null) be appended to a topic with tcfg, for a request of this version?
 * Returns 0 or the Kafka error code for the partition, and a sentence in
 * msg: UNSUPPORTED_FOR_MESSAGE_FORMAT (v0-v2), INVALID_RECORD (not exactly
 * one batch, magic 0/1 in v3+, bad offsets or counts, a control batch, a
 * keyless record on a compacted topic), CORRUPT_MESSAGE (CRC, structure,
 * a truncated batch, bad compressed data), UNSUPPORTED_COMPRESSION_TYPE
 * (zstd before v7, unknown codec), TRANSACTIONAL_ID_AUTHORIZATION_FAILED (a
 * transactional batch), MESSAGE_TOO_LARGE (batch above max.message.bytes, or
 * decompressing past max(64 MiB, 2 x max.message.bytes)),
 * RECORD_LIST_TOO_LARGE (above segment.bytes). scratch is the
 * decompression buffer (reused). *nrecords gets the batch's record count.
 * Thread: any. */
int16_t sl_broker_produce_check(int16_t version, const uint8_t *records, int32_t len, const sl_topic_config_t *tcfg,
                                sl_buf_t *scratch, int32_t *nrecords, char *msg, size_t msglen);

/* Fetch byte budget (Kafka's ReplicaManager.readFromLocalLog, KIP-74): the
 * response holds at most MaxBytes (capped at SL_BROKER_FETCH_MAX_BYTES),
 * each partition at most its PartitionMaxBytes, except that the first
 * partition that has data returns at least one whole batch even if that is
 * larger than both. */
typedef struct sl_fetch_budget {
    int32_t left;                    /* bytes the response may still take */
    bool min_one;                    /* no partition has returned data yet */
} sl_fetch_budget_t;
void sl_fetch_budget_init(sl_fetch_budget_t *budget, int32_t max_bytes);
/* The max_bytes to read the next partition with, and its min_one flag. */
int32_t sl_fetch_budget_part(const sl_fetch_budget_t *budget, int32_t partition_max_bytes, bool *min_one);
/* Accounts for got bytes returned by that partition. */
void sl_fetch_budget_take(sl_fetch_budget_t *budget, int32_t got);

/* ======================================================================
 * Network threads (worker.c)
 * ====================================================================== */

/* Group commit. A produce handler that must not ack before an fsync calls
 * sl_broker_worker_mark_dirty for each partition it appended to (takes a
 * reference on the topic until the flush), defers its request, then calls
 * sl_broker_worker_flush_wait: the worker's before-sleep hook fsyncs every
 * dirty partition once (sl_log_flush under part->mu) and then calls
 * flushed(req) for every request on its flush list; inside flushed,
 * sl_broker_worker_flush_error(worker, part) gives the result of that
 * partition's fsync. A cancelled request is taken off the list by the worker.
 * SL_OK or SL_ERR_NOMEM. Thread: the worker's. */
sl_err_t sl_broker_worker_mark_dirty(sl_broker_worker_t *worker, sl_partition_t *part);
void sl_broker_worker_flush_wait(sl_broker_worker_t *worker, sl_broker_req_t *req, sl_broker_flushed_fn *flushed);
sl_err_t sl_broker_worker_flush_error(sl_broker_worker_t *worker, const sl_partition_t *part);

/* Wakes the deferred request req_id of worker: its wake function runs soon
 * on the worker's thread (never inside this call); unknown or finished ids
 * are ignored. Thread: any; may hold part->mu (takes worker->wake_mu). */
void sl_broker_worker_wake(sl_broker_worker_t *worker, uint64_t req_id);

/* The loop of a worker. Thread: any (the pointer is const). */
sl_loop_t *sl_broker_worker_loop(sl_broker_worker_t *worker);
/* The worker's decompression buffer for validating batches, and its buffer
 * for the records of the Fetch being answered (both reused across requests;
 * a handler frees them when they grew past SL_BROKER_KEEP_BUF_MAX). Thread:
 * the worker's. */
sl_buf_t *sl_broker_worker_scratch(sl_broker_worker_t *worker);
sl_buf_t *sl_broker_worker_records(sl_broker_worker_t *worker);
/* The worker's buffer for encoding a response frame by hand (reused). */
sl_buf_t *sl_broker_worker_frame(sl_broker_worker_t *worker);

/* Fetch response frame v4-v12 (fetch_wire.c): appends the size prefix,
 * response header and body of resp to out, byte for byte as the generated
 * encoder would, except that a partition whose Records has ptr NULL and
 * len > 0 is a hole: its bytes are counted in the size but not written, and
 * its position (from the frame's first byte) goes to holes[(*nholes)++]
 * (room for one per such partition). SL_OK, SL_ERR_UNSUPPORTED_VERSION,
 * SL_ERR_UNSUPPORTED (a field the version lacks is set), SL_ERR_INVAL,
 * SL_ERR_TOO_LARGE, SL_ERR_NOMEM. Thread: any. */
sl_err_t sl_broker_fetch_encode(sl_buf_t *out, int16_t version, int32_t correlation_id, const sl_FetchResponse_t *resp,
                                size_t *holes, size_t *nholes);

#endif /* SL_BROKER_INT_H */
