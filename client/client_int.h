/*
 * client_int.h - the core every client handle stands on: the I/O thread and
 * its loop, broker connections with ApiVersions negotiation, requests with
 * correlation ids and timeouts, the metadata cache, coordinator lookup, and
 * the queue of callbacks handed to the application thread. The producer,
 * consumer and admin are built on these calls only.
 *
 * Threads: "io" = the handle's I/O thread (inside a loop callback, a
 * response callback or a function run by sl_cl_post/sl_cl_call); "app" =
 * any application thread; "any" = either.
 */
#ifndef SL_CLIENT_INT_H
#define SL_CLIENT_INT_H

#include "client.h"
#include "net.h"
#include "proto.h"

/* ---- configuration (conf.c) --------------------------------------------
 * The parsed view of a sl_conf_t, read by every part. Strings are owned by
 * the struct (sl_cl_conf_fini frees them). */
typedef struct sl_cl_conf {
    char *bootstrap;            /* "h1:p1,h2:p2" */
    char *client_id;
    int32_t request_timeout_ms, retry_backoff_ms, reconnect_backoff_ms, reconnect_backoff_max_ms;
    int32_t connect_timeout_ms, metadata_max_age_ms, receive_max_bytes;
    /* producer */
    int16_t acks;               /* 0, 1, -1 */
    int32_t linger_ms, batch_size, max_block_ms, max_in_flight, retries, delivery_timeout_ms;
    int32_t max_request_size, transaction_timeout_ms;
    int64_t buffer_memory;
    int compression;            /* sl_compression_t */
    bool idempotence, partitioner_ignore_keys;
    char *transactional_id;     /* NULL: none */
    /* consumer */
    char *group_id, *group_instance_id; /* NULL: none */
    int auto_offset_reset;      /* SL_OFFSET_BEGINNING, SL_OFFSET_END, or 0 for none */
    bool auto_commit, read_committed, check_crcs;
    int32_t auto_commit_interval_ms, session_timeout_ms, heartbeat_interval_ms, max_poll_interval_ms;
    char *assignors;            /* "range,cooperative-sticky" */
    int32_t fetch_min_bytes, fetch_max_wait_ms, fetch_max_bytes, max_partition_fetch_bytes;
} sl_cl_conf_t;

/* Parses conf (borrowed) into out; the caller finalises out with
 * sl_cl_conf_fini. Strings are trimmed, blank ones are NULL; assignors is
 * lower case without blanks. The rules of the Java clients that look at
 * several keys (SL_ERR_CONFIG with errbuf naming the key otherwise):
 *   - idempotence is on by default but turned off silently when acks is not
 *     all, max.in.flight.requests.per.connection is above 5 or retries is
 *     0, unless enable.idempotence=true or transactional.id was set: then
 *     those values are an error; transactional.id needs idempotence;
 *   - delivery.timeout.ms below linger.ms + request.timeout.ms is an error
 *     when set, and raised to that sum otherwise;
 *   - with group.id, heartbeat.interval.ms must be below session.timeout.ms;
 *   - reconnect.backoff.max.ms below reconnect.backoff.ms is raised to it. */
sl_err_t sl_cl_conf_parse(const sl_conf_t *conf, sl_cl_conf_t *out, char *errbuf, size_t errlen);
void sl_cl_conf_fini(sl_cl_conf_t *c);

/* ---- the core (core.c) -------------------------------------------------- */

typedef struct sl_cl sl_cl_t;

/* Creates the core from conf (borrowed, copied/parsed; NULL: the defaults)
 * and starts its I/O thread (named name, e.g. "sl-producer"). Nothing is
 * connected yet. SL_ERR_CONFIG (bootstrap.servers empty or malformed, or a
 * rule of sl_cl_conf_parse; errbuf says which), SL_ERR_NOMEM. app. */
sl_err_t sl_cl_new(const sl_conf_t *conf, const char *name, sl_cl_t **out, char *errbuf, size_t errlen);
/* Stops the I/O thread (its pending requests are answered with
 * SL_ERR_CLOSED, on the I/O thread, before it ends), closes connections,
 * frees. app, never io. Accepts NULL. */
void sl_cl_free(sl_cl_t *cl);

const sl_cl_conf_t *sl_cl_conf(const sl_cl_t *cl);   /* any; immutable */
sl_loop_t *sl_cl_loop(sl_cl_t *cl);                  /* io */
int64_t sl_cl_now_ms(sl_cl_t *cl);                   /* io: loop's monotonic ms */

/* Runs fn(cl, arg) on the I/O thread soon. any. SL_ERR_CLOSED when the core
 * is stopping (fn does not run), SL_ERR_NOMEM. */
typedef void sl_cl_fn(sl_cl_t *cl, void *arg);
sl_err_t sl_cl_post(sl_cl_t *cl, sl_cl_fn *fn, void *arg);
/* Runs fn(cl, arg) on the I/O thread and waits until it returned. app only
 * (from io it would deadlock: SL_ERR_STATE). SL_ERR_CLOSED as above. */
sl_err_t sl_cl_call(sl_cl_t *cl, sl_cl_fn *fn, void *arg);

/* The part that owns the core (producer, consumer or admin) may hang its
 * own state here. any. */
void sl_cl_set_owner(sl_cl_t *cl, void *owner);
void *sl_cl_owner(const sl_cl_t *cl);

/* ---- requests (broker.c) ------------------------------------------------ */

#define SL_CL_NODE_ANY (-1)   /* any broker: a connected one, else a bootstrap */

/* Called once per request on the I/O thread. err: SL_OK (resp is the
 * decoded body, version the version used; valid during the call only),
 * SL_ERR_TIMEOUT (no answer within the timeout: if the request was on the
 * wire, the connection is closed as Kafka clients do, failing the others
 * on it), SL_ERR_NETWORK_EXCEPTION (connection lost or could not be made,
 * also for requests still queued on it; sl_cl_last_error() says to where
 * and why), SL_ERR_UNSUPPORTED (no version in both ranges, or the body has
 * a field the chosen version cannot carry), SL_ERR_INVAL (the body does not
 * encode), SL_ERR_PARSE (an undecodable answer: the connection is closed
 * too), SL_ERR_CLOSED (the core is stopping). With
 * no_response set (acks=0 Produce), it runs with SL_OK and resp NULL once
 * the request was written. */
typedef void sl_cl_resp_fn(sl_cl_t *cl, sl_err_t err, int16_t version, const void *resp, void *arg);

typedef struct sl_cl_req {
    int16_t api_key;
    int16_t min_version;     /* lowest acceptable version */
    int16_t max_version;     /* highest wanted; -1: the newest proto/ knows */
    const void *body;        /* generated request struct; borrowed until the
                              * callback runs (encoded when the connection is
                              * ready, with the version chosen then) */
    int32_t node_id;         /* broker id or SL_CL_NODE_ANY */
    int32_t timeout_ms;      /* 0: request.timeout.ms */
    bool no_response;
    /* Optional hook to adjust body to the chosen version before encoding
     * (e.g. fields that moved); arg is sl_cl_send's arg. NULL: none. */
    void (*prepare)(void *body, int16_t version, void *arg);
} sl_cl_req_t;

/* Queues req to its broker, connecting first if needed (ApiVersions is
 * the first request on each connection; the version is the highest in
 * [min, max] the broker also supports). Requests to one broker go in
 * order on one connection, at most max.in.flight.requests.per.connection
 * unanswered at a time for Produce (others unlimited; they may pass a
 * Produce held back by that limit). The callback never runs from inside
 * this call. A request to a node id whose address is not known yet waits
 * for metadata (a refresh is started) until its timeout. The timeout counts
 * from this call. io. Returns SL_OK (the callback will run exactly once),
 * or, with no callback: SL_ERR_INVAL (unknown api key, bad node id, max <
 * min, no body), SL_ERR_NOMEM, SL_ERR_CLOSED (the core is stopping). */
sl_err_t sl_cl_send(sl_cl_t *cl, const sl_cl_req_t *req, sl_cl_resp_fn *fn, void *arg);

/* The version the broker and we agree on for api_key, or -1 when the broker
 * is not connected yet or has no common version. io. */
int16_t sl_cl_api_version(sl_cl_t *cl, int32_t node_id, int16_t api_key);

/* A sentence about the last connection failure ("connect to 127.0.0.1:9092:
 * Connection refused"), for error messages. Copied into buf. any. */
void sl_cl_last_error(sl_cl_t *cl, char *buf, size_t len);

/* ---- metadata (metadata.c) -------------------------------------------- */

typedef struct sl_cl_part {
    int32_t id;
    int32_t leader;          /* -1: none */
    int32_t leader_epoch;
    sl_err_t err;
} sl_cl_part_t;

typedef struct sl_cl_topic {
    const char *name;
    sl_err_t err;            /* e.g. UNKNOWN_TOPIC_OR_PARTITION */
    bool internal;
    int32_t partition_count;
    sl_cl_part_t *parts;     /* [partition_count], by id */
} sl_cl_topic_t;

/* The cached metadata of topic, or NULL when none is known yet. Valid until
 * the next metadata update (i.e. during the current I/O-thread callback).
 * Asking for a topic adds it to the topics the core keeps fresh; if it is
 * unknown a refresh is started. io. */
const sl_cl_topic_t *sl_cl_topic(sl_cl_t *cl, const char *name);

/* Stops keeping topic fresh (e.g. after an unsubscribe); its cached entry
 * goes with the next update. io. */
void sl_cl_topic_forget(sl_cl_t *cl, const char *name);

/* Starts a metadata refresh now (coalesced with one in flight), e.g. after
 * NOT_LEADER_OR_FOLLOWER. Refreshes also run every metadata.max.age.ms. io. */
void sl_cl_metadata_refresh(sl_cl_t *cl);

/* fn(cl, arg) runs after every metadata update (new leaders, new topics).
 * io. SL_ERR_NOMEM. */
sl_err_t sl_cl_metadata_listen(sl_cl_t *cl, sl_cl_fn *fn, void *arg);

/* A broker's host and port from the last metadata (NULL: unknown). io. */
const char *sl_cl_broker_host(sl_cl_t *cl, int32_t node_id, int32_t *port);

/* The controller's node id and the cluster id from the last metadata (-1 /
 * NULL: not known yet). io. */
int32_t sl_cl_controller(sl_cl_t *cl);
const char *sl_cl_cluster_id(sl_cl_t *cl);

/* Whether the core's Metadata requests let the broker create the topics
 * they name (AllowAutoTopicCreation, v4+; below v4 the broker's own setting
 * decides). Off by default; a producer turns it on, as the Java producer
 * does. any. */
void sl_cl_metadata_set_auto_create(sl_cl_t *cl, bool on);

/* ---- coordinators (coord.c) -------------------------------------------- */

/* Finds the coordinator of key (type 0 group, 1 transaction) with
 * FindCoordinator (cached; retried with retry.backoff.ms on retriable errors
 * such as COORDINATOR_NOT_AVAILABLE and COORDINATOR_LOAD_IN_PROGRESS, and on
 * network errors, until deadline_ms, a sl_cl_now_ms time) and calls
 * fn(cl, err, node_id, arg) on the I/O thread, never from inside this call.
 * err: SL_OK (node_id's address is known to the core: send to it),
 * SL_ERR_TIMEOUT (deadline passed), a non-retriable broker error (e.g.
 * GROUP_AUTHORIZATION_FAILED), SL_ERR_UNSUPPORTED, SL_ERR_CLOSED. io.
 * Returns SL_OK (fn runs once) or, with no callback, SL_ERR_INVAL,
 * SL_ERR_NOMEM, SL_ERR_CLOSED. */
typedef void sl_cl_coord_fn(sl_cl_t *cl, sl_err_t err, int32_t node_id, void *arg);
sl_err_t sl_cl_coord_find(sl_cl_t *cl, int8_t key_type, const char *key, int64_t deadline_ms,
                          sl_cl_coord_fn *fn, void *arg);
/* Forgets the cached coordinator (after NOT_COORDINATOR and friends). io. */
void sl_cl_coord_forget(sl_cl_t *cl, int8_t key_type, const char *key);

/* ---- errors ------------------------------------------------------------- */

/* True for broker errors the Java client retries (RetriableException). */
bool sl_cl_err_retriable(sl_err_t err);

/* ---- events for the application thread (events.c) ----------------------
 * Callbacks the application must run are queued as events by the I/O
 * thread and served by the application thread, with no library lock held. */
typedef struct sl_cl_event sl_cl_event_t;
struct sl_cl_event {
    sl_cl_event_t *next;                       /* the queue's */
    void (*run)(sl_cl_event_t *ev, void *arg); /* app thread; then free is called */
    void (*free)(sl_cl_event_t *ev);           /* frees ev (also for never-run events) */
};
/* Appends ev (taken). any. */
void sl_cl_event_push(sl_cl_t *cl, sl_cl_event_t *ev);
/* Runs queued events on the calling thread (run(ev, arg) then free(ev)),
 * waiting up to timeout_ms (0 none, -1 forever) for the first one;
 * stops after max (0: all queued). Returns how many ran. app. */
int sl_cl_events_serve(sl_cl_t *cl, int timeout_ms, int max, void *arg);
/* Wakes a thread blocked in sl_cl_events_serve without an event (e.g.
 * flush's condition changed). any. */
void sl_cl_events_wake(sl_cl_t *cl);

#endif /* SL_CLIENT_INT_H */
