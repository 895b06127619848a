/*
 * engine_int.h - the engine behind sql.h: its state and the contract
 * between its files (internal).
 *
 *   engine.c     engines, the statement lock, properties, the query
 *                registry, sl_sql_execute's dispatch
 *   engine_local.c  the local engine's calls (produce, next, topics, clock)
 *   exec_ddl.c   CREATE, CREATE ... AS SELECT, INSERT INTO, INSERT VALUES,
 *                DROP, TERMINATE
 *   exec_show.c  SHOW, DESCRIBE, DESCRIBE FUNCTION, EXPLAIN (ksqlDB's REST
 *                entities)
 *   exec_misc.c  SET, UNSET, PRINT, RUN SCRIPT
 *   query.c      push and pull queries (sl_sql_query_*)
 *   cmdlog.c     the command topic: recording statements, replaying them
 *   rt_cluster.c the runtime over brokers (rt_int.h)
 *
 * Every exec_* call runs under the engine's statement lock with a compile
 * arena that lives until the statement's entity is made; what outlives the
 * statement goes into a catalog entry's or a query's own arena.
 */
#ifndef SL_SQL_ENGINE_INT_H
#define SL_SQL_ENGINE_INT_H

#include <pthread.h>

#include <jansson.h>

#include "plan_int.h"
#include "rt_int.h"
#include "sql.h"

/* One persistent query (CSAS, CTAS, INSERT INTO ... SELECT). */
typedef struct sl_sql_pquery {
    sl_list_t link;
    char *id;
    char *statement;            /* the statement's text */
    char *sink;                 /* the catalog entry it writes */
    char *sink_topic;
    bool insert;                /* INSERT INTO (the sink is not its own) */
    bool source_table;          /* CREATE SOURCE TABLE's materialization:
                                 * its store holds the table's rows as they
                                 * are (pull queries read them directly) */
    char **sources;             /* the catalog entries it reads */
    uint32_t n_sources;
    sl_arena_t arena;           /* the plan and everything it points at */
    sl_sql_plan_t *plan;
    sl_topology_t *topo;
    sl_sql_rt_query_t *rq;
} sl_sql_pquery_t;

/* Where sl_sql_local_next stands on one topic: the next offset per
 * partition. */
typedef struct sl_sql_cursor {
    int32_t n;
    int64_t next[];
} sl_sql_cursor_t;

/* The codecs the local engine reads and writes a topic's records with
 * (those of the first catalog entry declared on it), kept while the
 * catalog does not change. */
typedef struct sl_sql_topic_codecs {
    uint64_t gen;
    const sl_sql_source_t *src; /* NULL: nothing declared on the topic */
    const sl_sql_codec_t *kc, *vc;
    bool exists;                /* the topic is known to exist */
    sl_arena_t arena;
} sl_sql_topic_codecs_t;

struct sl_sql_engine {
    pthread_mutex_t lock;       /* statements, the registry, the catalog */
    bool local;
    sl_sql_rt_t *rt;
    sl_sql_catalog_t *catalog;
    sl_props_t *config;         /* the engine's properties */
    sl_props_t *session;        /* SET */
    const char *service_id;     /* in config's memory or static */
    char plog_topic[256];
    char cmd_topic[256];
    int64_t seq;                /* the statement counter (query ids) */
    int64_t processing_errors;  /* updated atomically by task threads */
    int64_t clock_ms;           /* local: the mock wall clock */
    sl_list_t queries;          /* sl_sql_pquery_t */
    sl_list_t open;             /* open push/pull queries (query.c) */
    sl_map_t cursors;           /* local: topic -> sl_sql_cursor_t* */
    sl_map_t topic_codecs;      /* local: topic -> sl_sql_topic_codecs_t* */
    uint64_t catalog_gen;       /* changes whenever a statement may have
                                 * changed the catalog or the topics */
    sl_arena_t scratch;         /* local produce: per record */
    sl_buf_t kbuf, vbuf;
    /* The command topic (cluster engines). */
    char instance[40];          /* this engine's mark on the commands it wrote */
    int64_t cmd_next;           /* the next offset to apply */
    pthread_t cmd_thread;
    bool cmd_thread_on;
    pthread_mutex_t cmd_mu;
    pthread_cond_t cmd_cv;
    bool stopping;
};

/* One statement being executed. */
typedef struct sl_sql_exec {
    sl_sql_engine_t *e;
    const sl_sql_stmt_t *stmt;
    const json_t *req_props;    /* per-request properties (may be NULL) */
    sl_arena_t *arena;          /* the compile's arena */
    const char *query_id;       /* replay: the recorded query id, else NULL */
    const char *made_query_id;  /* what the statement made (for the log) */
    bool replay;                /* from the command topic: not recorded again */
    bool record;                /* the statement goes to the command topic */
    int run_depth;              /* RUN SCRIPT nesting */
    json_t *out;                /* the entities so far (RUN SCRIPT appends) */
    sl_sql_error_t *err;
} sl_sql_exec_t;

/* --- engine.c ---------------------------------------------------------------- */

/* Executes one parsed statement, appending its entity (or entities) to
 * x->out. */
sl_err_t sl_sql_exec_stmt(sl_sql_exec_t *x);
/* Parses text and executes each statement with x's settings (RUN SCRIPT,
 * the command topic's replay). */
sl_err_t sl_sql_exec_text(sl_sql_exec_t *x, const char *text, size_t len);
/* A property as the statement sees it: the request's, then the session's,
 * then the engine's; "ksql.streams.<key>" and "sql.streams.<key>" are
 * looked up too. NULL if unset. Strings live in x->arena or the props. */
const char *sl_sql_exec_prop(sl_sql_exec_t *x, const char *key);
/* The bind_env prop callback over sl_sql_exec_prop (arg: the exec). */
const char *sl_sql_exec_prop_cb(const char *key, void *arg);
/* A bind environment for x (query_id may be NULL, arena: where the result
 * goes). */
void sl_sql_exec_bind_env(sl_sql_exec_t *x, sl_arena_t *arena, const char *query_id, sl_sql_bind_env_t *env);
/* Adds an entity to x->out (takes the reference); SL_ERR_NOMEM. */
sl_err_t sl_sql_exec_entity(sl_sql_exec_t *x, json_t *entity);
/* ksqlDB's currentStatus entity. query_id may be NULL. */
json_t *sl_sql_status_entity(const char *text, const char *command_id, const char *message, const char *query_id,
                             int64_t seq);

/* Codecs of a catalog entry's key and value (from arena, which must live
 * as long as they are used). */
sl_err_t sl_sql_source_codecs(sl_arena_t *arena, const sl_sql_source_t *src, const sl_sql_codec_t **key,
                              const sl_sql_codec_t **value, char *errbuf, size_t errlen);
/* The first catalog entry declared on topic, or NULL. */
const sl_sql_source_t *sl_sql_engine_source_on_topic(sl_sql_engine_t *e, const char *topic);

/* The registry. */
sl_sql_pquery_t *sl_sql_pquery_find(sl_sql_engine_t *e, const char *id);
/* The query writing name as its own sink (CSAS/CTAS), or NULL. */
sl_sql_pquery_t *sl_sql_pquery_writer(sl_sql_engine_t *e, const char *name);
/* Stops (cleanup: its state and internal topics go too), unlinks and frees. */
void sl_sql_pquery_stop(sl_sql_engine_t *e, sl_sql_pquery_t *q, bool cleanup);
/* Processing-log topic and the counter lowering updates. */
void sl_sql_engine_lower_env(sl_sql_engine_t *e, sl_arena_t *arena, sl_sql_lower_env_t *env);
/* The application id of a persistent query. */
void sl_sql_engine_app_id(const sl_sql_engine_t *e, const char *query_id, char *buf, size_t len);
/* "key=value" lines for a query's streams application: the ksql.streams.*
 * and sql.streams.* properties without their prefix, auto.offset.reset
 * (NULL-free malloc'd text; the caller frees). */
char *sl_sql_exec_streams_props(sl_sql_exec_t *x);

/* --- engine_local.c ------------------------------------------------------------ */

/* Frees a sl_sql_topic_codecs_t (the topic_codecs map's values). */
void sl_sql_topic_codecs_free(void *p);

/* --- exec_ddl.c --------------------------------------------------------------- */

sl_err_t sl_sql_exec_create(sl_sql_exec_t *x);
sl_err_t sl_sql_exec_create_as(sl_sql_exec_t *x);      /* CSAS, CTAS, INSERT INTO ... SELECT */
sl_err_t sl_sql_exec_insert_values(sl_sql_exec_t *x);
sl_err_t sl_sql_exec_drop(sl_sql_exec_t *x);
sl_err_t sl_sql_exec_terminate(sl_sql_exec_t *x);

/* --- exec_show.c ------------------------------------------------------------------ */

sl_err_t sl_sql_exec_show(sl_sql_exec_t *x);
sl_err_t sl_sql_exec_describe(sl_sql_exec_t *x);
sl_err_t sl_sql_exec_describe_function(sl_sql_exec_t *x);
sl_err_t sl_sql_exec_explain(sl_sql_exec_t *x);
/* ksqlDB's SchemaInfo of a type: {"type", "fields", "memberSchema"}. */
json_t *sl_sql_schema_json(const sl_sql_type_t *t);
/* A RunningQuery entity of q. */
json_t *sl_sql_running_query_json(sl_sql_engine_t *e, const sl_sql_pquery_t *q);

/* --- exec_misc.c -------------------------------------------------------------- */

sl_err_t sl_sql_exec_set(sl_sql_exec_t *x);
sl_err_t sl_sql_exec_unset(sl_sql_exec_t *x);
sl_err_t sl_sql_exec_print(sl_sql_exec_t *x);
sl_err_t sl_sql_exec_run_script(sl_sql_exec_t *x);

/* --- query.c ---------------------------------------------------------------- */

/* Cancels the open query with id (TERMINATE of a transient id; ids
 * compared case-insensitively, as unquoted ones come upper-cased):
 * SL_ERR_NOENT if none. Under the statement lock. */
sl_err_t sl_sql_query_cancel_locked(sl_sql_engine_t *e, const char *id);
/* Appends a RunningQuery entity (queryType PUSH) per open push query
 * (SHOW QUERIES). Under the statement lock. */
void sl_sql_open_queries_json(sl_sql_engine_t *e, json_t *arr);
/* Stops the open push queries that read name (it is being dropped or
 * replaced): their next gives SL_ERR_CLOSED with the reason. */
void sl_sql_open_queries_stop_reading(sl_sql_engine_t *e, const char *name);

/* --- cmdlog.c ----------------------------------------------------------------- */

/* Makes sure the command topic exists and applies every command in it. */
sl_err_t sl_sql_cmdlog_open(sl_sql_engine_t *e, sl_sql_error_t *err);
/* Applies commands other engines added since the last call. */
void sl_sql_cmdlog_poll(sl_sql_engine_t *e);
/* Appends a successful statement (text, its query id or NULL, the
 * request's properties) to the command topic. */
sl_err_t sl_sql_cmdlog_record(sl_sql_exec_t *x, const char *text, const char *query_id);
/* Starts / stops the background thread that polls the command topic. */
sl_err_t sl_sql_cmdlog_start(sl_sql_engine_t *e);
void sl_sql_cmdlog_stop(sl_sql_engine_t *e);

#endif
