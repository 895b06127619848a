/*
 * herder_dist_int.h - the parts of the distributed herder (herder_dist*.c)
 * and their contracts: the worker's topics and its clients
 * (herder_dist_topics.c), the topic offset store (herder_dist_offsets.c),
 * the config and status topics' records turned into state
 * (herder_dist_state.c), and the group of workers (herder_dist_group.c).
 * herder_dist.c puts them together behind sl_connect_herder_dist_new.
 *
 * Record formats are Kafka Connect's (docs/ARCHITECTURE.md "connect",
 * "distributed"), plus Sluice's own `restart-task-<name>-<n>` record.
 */
#ifndef SL_CONNECT_HERDER_DIST_INT_H
#define SL_CONNECT_HERDER_DIST_INT_H

#include "connect_int.h"

/* ---- herder_dist_topics.c: clients, topics, synchronous writes ---------- */

/* The worker's three topics and their settings. */
typedef struct sl_dist_topics {
    const char *config;   /* config.storage.topic (connect-configs) */
    const char *offset;   /* offset.storage.topic (connect-offsets) */
    const char *status;   /* status.storage.topic (connect-status) */
    int32_t offset_partitions, status_partitions;
    int16_t config_rf, offset_rf, status_rf;
} sl_dist_topics_t;

/* Reads the topic settings of worker props wp (strings borrowed from wp).
 * SL_ERR_CONFIG with errbuf naming a bad number. */
sl_err_t sl_dist_topics_read(const sl_props_t *wp, sl_dist_topics_t *out, char *errbuf,
                             size_t errlen);

/* A client configuration from the worker props: bootstrap.servers and the
 * keys under prefix ("consumer.", "producer.", "admin."; prefix removed),
 * then extra (NULL-terminated key, value pairs; may be NULL) over them.
 * SL_ERR_CONFIG (errbuf names the key), SL_ERR_NOMEM; free with
 * sl_conf_free. */
sl_err_t sl_dist_client_conf(const sl_props_t *wp, const char *prefix, const char *const *extra,
                             sl_conf_t **out, char *errbuf, size_t errlen);

/* Creates the topics that do not exist yet, compacted (cleanup.policy=
 * compact), the config topic with one partition, and refuses topics that
 * existed but are not compacted or, for the config topic, have more than
 * one partition. SL_ERR_CONFIG with errbuf saying which topic and why
 * (e.g. no broker answered). */
sl_err_t sl_dist_topics_create(sl_admin_t *a, const sl_dist_topics_t *t, char *errbuf,
                               size_t errlen);

/* The partition count of topic (0 when unknown). */
int32_t sl_dist_partitions(sl_admin_t *a, const char *topic, int timeout_ms);

/* A consumer (no group) reading every partition of topics[0..n) from the
 * beginning, read_committed. SL_ERR_CONFIG, SL_ERR_TIMEOUT (a topic's
 * partitions not known), SL_ERR_NOMEM. */
sl_err_t sl_dist_reader_new(const sl_props_t *wp, sl_admin_t *a, const char *const *topics,
                            size_t n, sl_consumer_t **out, char *errbuf, size_t errlen);

/* Polls c, handing each record to fn, until every partition of the reader
 * has reached the end offsets (last stable offsets) that ListOffsets gave
 * at the call, or timeout_ms passed (SL_ERR_TIMEOUT). */
typedef void sl_dist_record_fn(void *arg, const sl_message_t *m);
sl_err_t sl_dist_read_to_end(sl_consumer_t *c, sl_admin_t *a, sl_dist_record_fn *fn, void *arg,
                             int timeout_ms);

/* A producer writing records one at a time and waiting for each (the
 * config topic's writes). Thread-safe. */
typedef struct sl_dist_writer sl_dist_writer_t;
sl_err_t sl_dist_writer_new(const sl_props_t *wp, sl_dist_writer_t **out, char *errbuf,
                            size_t errlen);
/* Sends key/value (value NULL: a tombstone) to topic and waits up to
 * timeout_ms for the broker's acknowledgement; *offset (may be NULL) is
 * where it landed. The broker's error, SL_ERR_TIMEOUT. */
sl_err_t sl_dist_writer_send(sl_dist_writer_t *w, const char *topic, const char *key,
                             const char *value, int64_t *offset, int timeout_ms);
/* Sends without waiting (status records); errors are logged. */
void sl_dist_writer_send_async(sl_dist_writer_t *w, const char *topic, const char *key,
                               const char *value);
/* Runs the delivery reports of async sends (the herder's loop). */
void sl_dist_writer_poll(sl_dist_writer_t *w);
void sl_dist_writer_free(sl_dist_writer_t *w);

/* ---- herder_dist_offsets.c: the offset topic store ------------------------
 * Source offsets in the compacted offset topic: key ["<connector>",
 * <partition JSON>], value the offset JSON (NULL: none). get reads the
 * topic to its last stable offset first, so a task moved from another
 * worker resumes from what that worker committed. */
sl_err_t sl_connect_offset_store_topic(const sl_props_t *wp, const char *topic,
                                       sl_connect_offset_store_t **out, char *errbuf,
                                       size_t errlen);
/* The offset topic's record key of connector and partition, malloc'ed
 * (NULL: out of memory). */
char *sl_dist_offset_key(const char *connector, const char *partition);

/* ---- herder_dist_state.c: the config and status topics as state ---------- */

typedef struct sl_dist_conn {
    char *name;
    sl_props_t *config;          /* connector-<name>'s properties */
    bool paused;                 /* target-state-<name> */
    int task_count;              /* commit-<name>: tasks[0..task_count) */
    sl_props_t **tasks;
    sl_props_t **staged;         /* task-<name>-<n> read since the last commit */
    int staged_cap;
} sl_dist_conn_t;

/* A status record's content. */
typedef struct sl_dist_status {
    char *state, *trace, *worker_id;
    int32_t generation;
} sl_dist_status_t;

typedef enum sl_dist_event_kind {
    SL_DIST_EV_NONE = 0,
    SL_DIST_EV_CHANGED,          /* connectors, task configs or target states changed */
    SL_DIST_EV_RESTART,          /* restart-connector-<name> */
    SL_DIST_EV_RESTART_TASK,     /* restart-task-<name>-<n> */
} sl_dist_event_kind_t;

typedef struct sl_dist_event {
    sl_dist_event_kind_t kind;
    char name[256];
    int task;
    bool include_tasks, only_failed;
} sl_dist_event_t;

typedef struct sl_dist_state sl_dist_state_t;
sl_dist_state_t *sl_dist_state_new(void);
void sl_dist_state_free(sl_dist_state_t *s);
/* Applies one config topic record (key and value borrowed; value NULL: a
 * tombstone) and says what it meant in *ev. Malformed records are logged
 * and ignored (SL_OK, kind NONE); SL_ERR_NOMEM. */
sl_err_t sl_dist_state_apply_config(sl_dist_state_t *s, const char *key, size_t klen,
                                    const char *value, size_t vlen, sl_dist_event_t *ev);
/* Applies one status topic record: a newer record replaces the one kept,
 * except an UNASSIGNED one from another worker than the one the kept
 * record names (the unit moved on: the old owner's stop is stale). */
sl_err_t sl_dist_state_apply_status(sl_dist_state_t *s, const char *key, size_t klen,
                                    const char *value, size_t vlen);
/* The connectors, sorted by name; the array and the entries are the
 * state's (valid until the next apply). */
sl_dist_conn_t *const *sl_dist_state_conns(const sl_dist_state_t *s, size_t *n);
sl_dist_conn_t *sl_dist_state_conn(const sl_dist_state_t *s, const char *name);
/* The status kept for connector name's task (-1: the connector), or NULL. */
const sl_dist_status_t *sl_dist_state_status(const sl_dist_state_t *s, const char *name, int task);

/* Record keys and values (malloc'ed; NULL: out of memory). */
char *sl_dist_key(const char *kind, const char *name, int task);
char *sl_dist_props_json(const sl_props_t *p);
char *sl_dist_status_json(const char *state, const char *trace, const char *worker_id,
                          int32_t generation);
/* key=value lines of p sorted by key (the identity of a config),
 * malloc'ed. */
char *sl_dist_props_text(const sl_props_t *p);
/* A copy of p (NULL: out of memory). */
sl_props_t *sl_dist_props_dup(const sl_props_t *p);

/* ---- herder_dist_group.c: the workers' group ------------------------------
 * Workers join group.id with protocol type "connect" (one assignor,
 * "sessions"), each sending its worker id as user data. The leader sorts
 * the members by member id and hands every member the same list of worker
 * ids and its own index in it. Each worker then runs the units (connectors
 * and tasks) sl_dist_owner gives its index, from the config topic's state:
 * a config change moves units without a rebalance, a member joining or
 * leaving changes the list. */
typedef struct sl_dist_members {
    int32_t generation;
    int index;                  /* this worker's; -1: not in a generation */
    int count;
    char **workers;             /* worker ids in member order */
} sl_dist_members_t;

/* The member index that runs connector name (task -1) or its task `task`
 * among count members: the connector at hash(name) % count, its tasks
 * round-robin after it. */
int sl_dist_owner(const char *name, int task, int count);

/* Installs the assignor on c (group.id set, not subscribed): user data
 * worker_id (copied), assignments handed to on_members (called inside
 * sl_consumer_poll with the members, borrowed for the call). */
typedef void sl_dist_members_fn(void *arg, const sl_dist_members_t *m);
typedef struct sl_dist_group sl_dist_group_t;
sl_err_t sl_dist_group_new(sl_consumer_t *c, const char *worker_id, sl_dist_members_fn *fn,
                           void *arg, sl_dist_group_t **out);
void sl_dist_group_free(sl_dist_group_t *g);
/* The leader's assignment user data for member index of members[0..n)
 * (worker ids in order), in arena; NULL when out of memory. */
uint8_t *sl_dist_group_encode(const char *const *workers, int n, int index, sl_arena_t *arena,
                              int32_t *len);
/* Parses what sl_dist_group_encode wrote (untrusted bytes) into out
 * (workers malloc'ed; free with sl_dist_members_fini). SL_ERR_PARSE. */
sl_err_t sl_dist_group_decode(const uint8_t *data, int32_t len, int32_t generation,
                              sl_dist_members_t *out);
void sl_dist_members_fini(sl_dist_members_t *m);

#endif /* SL_CONNECT_HERDER_DIST_INT_H */
