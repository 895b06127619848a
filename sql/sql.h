/*
 * sql.h - libsluice-sql: streaming SQL (ksqlDB's dialect) compiled to
 * streams topologies. This header is the library's manual.
 *
 * An engine holds a catalog of streams and tables, the persistent queries
 * that maintain some of them, the session properties (SET/UNSET) and the
 * open push and pull queries. Statements go in as text; what they did comes
 * out as ksqlDB's REST entities (jansson values shaped like the bodies of
 * ksqlDB's POST /ksql answers), so the REST service and the CLI print what
 * the engine says.
 *
 * Two kinds of engine:
 *   cluster  sl_sql_engine_new(): talks to Kafka-compatible brokers over the
 *            wire (client/), runs each persistent query as a streams
 *            application (sl_app_t), and keeps every DDL/DML statement in a
 *            single-partition command topic, replayed at start-up, so
 *            persistent queries survive restarts and several engines with
 *            the same sql.service.id share each query's work.
 *   local    sl_sql_engine_new_local(): no broker; topics are in memory and
 *            every query runs in a streams test driver (sl_driver_t).
 *            Records are produced with sl_sql_local_produce() and whatever
 *            a query writes reaches the queries that read its topic before
 *            the call returns. The data-driven tests (tests/sql/) and the
 *            in-process benchmarks use it.
 *
 * Errors: every call that can fail returns sl_err_t (0 ok) and, when given
 * one, fills a sl_sql_error_t: SL_ERR_PARSE (syntax: line, column, the
 * offending token and what was expected), SL_ERR_INVAL (semantics: the
 * unknown stream, column or function and the candidates; a bad property),
 * SL_ERR_NOENT (no such stream, table, query or topic), SL_ERR_EXISTS (a
 * stream or table of that name exists), SL_ERR_STATE (a source still used
 * by a query, a query already terminated), SL_ERR_TIMEOUT, SL_ERR_NOMEM, and
 * Kafka's codes when a broker refused something.
 *
 * Thread rule: an engine may be used by several threads at once (the REST
 * service calls it from libmicrohttpd's threads); it serialises statements
 * internally. A push/pull query handle is used by one thread at a time.
 */
#ifndef SL_SQL_H
#define SL_SQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

struct json_t; /* jansson's */

typedef struct sl_sql_engine sl_sql_engine_t;

/* What went wrong, for people: message is one or more sentences, already
 * prefixed with "line L:C: " for syntax errors. code is the sl_err_t;
 * line/col are 0 when the error has no position. statement is the text of
 * the statement that failed (a copy, NUL-terminated; empty if none). */
typedef struct sl_sql_error {
    sl_err_t code;
    uint32_t line;
    uint32_t col;
    char message[1024];
    char statement[1024];
} sl_sql_error_t;

/* ======================================================================
 * Engines
 *
 * props: "key=value" lines (may be NULL). Keys (ksqlDB's names where it has
 * them): bootstrap.servers (localhost:9092), sql.service.id ("default_"),
 * state.dir (/tmp/sluice-sql), sql.streams.num.stream.threads (1),
 * auto.offset.reset ("latest", for queries started without a SET),
 * sql.internal.topic.replicas (1), processing.log.topic
 * ("<service id>ksql_processing_log"). Any "ksql.streams.*" or
 * "sql.streams.*" key is passed (without its prefix) to the streams
 * applications of queries. A local engine ignores the broker keys.
 * ====================================================================== */

/* Makes a cluster engine: connects, makes sure the command topic exists
 * (one partition, compaction off, infinite retention) and replays it,
 * starting every persistent query it holds. Errors: SL_ERR_CONFIG (a bad
 * property), a broker's error, SL_ERR_TIMEOUT (no broker within
 * request.timeout.ms). */
sl_err_t sl_sql_engine_new(const char *props, sl_sql_engine_t **out, sl_sql_error_t *err);
/* Makes a local engine (see above); start_ms is the drivers' mock wall
 * clock at start. Errors: SL_ERR_CONFIG, SL_ERR_IO (state directory). */
sl_err_t sl_sql_engine_new_local(const char *props, int64_t start_ms, sl_sql_engine_t **out, sl_sql_error_t *err);
/* Stops every query (their state stays on disk for the next start) and
 * frees the engine. NULL ok. Open query handles must be closed first. */
void sl_sql_engine_free(sl_sql_engine_t *e);

/* ======================================================================
 * Statements
 * ====================================================================== */

/* Runs every statement in text, in order, as POST /ksql does. props
 * (borrowed, may be NULL) is a JSON object of per-request properties (the
 * REST body's "streamsProperties"), applied on top of the session's.
 * On success *out is a new JSON array (the caller owns it: json_decref)
 * with one entity per statement (none for INSERT ... VALUES, as ksqlDB's
 * answer has none; RUN SCRIPT gives those of its statements), as ksqlDB's:
 * {"@type":"currentStatus", "statementText", "commandId",
 * "commandStatus":{"status":"SUCCESS", "message"}}, "streams", "tables",
 * "kafka_topics", "queries", "properties", "function_names",
 * "describe_function", "sourceDescription", "source_descriptions",
 * "queryDescription", "query_descriptions", and for PRINT (which ksqlDB
 * streams instead) {"@type":"print", "statementText", "topic", "keyFormat",
 * "valueFormat", "records":["rowtime: 2024/01/02 03:04:05.006 Z, key: 1,
 * value: {...}, partition: 0", ...]} holding what the topic had (FROM
 * BEGINNING) or what came within a second, at most LIMIT (else 10000).
 * SELECT statements are refused here (SL_ERR_INVAL: use
 * sl_sql_query_open). On the first failing statement the call stops and
 * returns its error; what ran before it stays done (*out is then NULL). */
sl_err_t sl_sql_execute(sl_sql_engine_t *e, const char *text, const struct json_t *props, struct json_t **out,
                        sl_sql_error_t *err);

/* ======================================================================
 * Queries: push (SELECT ... EMIT CHANGES / EMIT FINAL) and pull (SELECT on a
 * materialized table or a stream, no EMIT)
 * ====================================================================== */

typedef struct sl_sql_query sl_sql_query_t;

/* Opens one SELECT (text holds exactly one statement). A push query starts
 * a transient streams topology whose rows are queued for
 * sl_sql_query_next (at most 10000 waiting: beyond that the query waits);
 * a pull query reads the table's state store now (on a stream: its topic,
 * up to the end it has as the query starts; a cluster engine waits at
 * most 10 s for each partition). props as for
 * sl_sql_execute (auto.offset.reset=earliest makes a push query start at
 * the beginning of its sources). Errors as for sl_sql_execute. */
sl_err_t sl_sql_query_open(sl_sql_engine_t *e, const char *text, const struct json_t *props,
                           sl_sql_query_t **out, sl_sql_error_t *err);
/* The header row ksqlDB's /query-stream sends first: {"queryId",
 * "columnNames":[...], "columnTypes":[...]} (borrowed, lives as long as q). */
const struct json_t *sl_sql_query_header(const sl_sql_query_t *q);
/* The next row as a new JSON array of column values (the caller owns it),
 * waiting at most timeout_ms (0: do not wait). Returns SL_ERR_TIMEOUT when
 * no row came in time, SL_ERR_CLOSED when the query is done (a pull query's
 * last row was given, a LIMIT was reached, the query failed or was
 * closed: sl_sql_query_error says which). */
sl_err_t sl_sql_query_next(sl_sql_query_t *q, int timeout_ms, struct json_t **row);
/* Why a finished query stopped: 0 when it completed, else the error (and
 * err filled if given). */
sl_err_t sl_sql_query_error(const sl_sql_query_t *q, sl_sql_error_t *err);
/* The query's id ("transient_..." for push queries). */
const char *sl_sql_query_id(const sl_sql_query_t *q);
/* Stops a push query (its transient topology and local state go away) and
 * frees q. May be called from another thread while one waits in
 * sl_sql_query_next only through sl_sql_query_cancel first. NULL ok. */
void sl_sql_query_close(sl_sql_query_t *q);
/* Makes a sl_sql_query_next waiting in another thread return SL_ERR_CLOSED
 * soon (POST /close-query); thread-safe. */
void sl_sql_query_cancel(sl_sql_query_t *q);
/* Cancels the open query with this id; SL_ERR_NOENT if none. */
sl_err_t sl_sql_query_cancel_id(sl_sql_engine_t *e, const char *query_id);

/* ======================================================================
 * Local engines: producing into and reading from the in-memory topics
 *
 * Keys and values are given and returned as JSON text and converted with
 * the formats of the stream or table declared on the topic (JSON: the JSON
 * itself; DELIMITED: a JSON string holding the line; KAFKA: a JSON number or
 * string; a JSON null: a null key or a tombstone). Windowed keys of a
 * windowed table's topic come with their window.
 * ====================================================================== */

typedef struct sl_sql_local_record {
    char *key;          /* JSON text (malloc'd; the caller frees) */
    char *value;        /* JSON text (malloc'd; the caller frees) */
    int64_t timestamp;
    int32_t partition;
    bool windowed;
    int64_t window_start;
    int64_t window_end;
} sl_sql_local_record_t;

/* Creates topic with partitions (>= 1) partitions, as a broker would have
 * it before any statement. Errors: SL_ERR_EXISTS, SL_ERR_INVAL (partitions
 * < 1), SL_ERR_STATE (not a local engine). */
sl_err_t sl_sql_local_topic(sl_sql_engine_t *e, const char *topic, int32_t partitions, sl_sql_error_t *err);
/* Appends one record to topic (created with one partition if it does not
 * exist) and runs every query it reaches. Errors: SL_ERR_INVAL (JSON that
 * is not valid or does not fit the topic's format: err says why),
 * SL_ERR_STATE (not a local engine). A record a query cannot read is not an
 * error here: it goes to the processing log. */
sl_err_t sl_sql_local_produce(sl_sql_engine_t *e, const char *topic, const char *key_json, const char *value_json,
                              int64_t timestamp, sl_sql_error_t *err);
/* The next record written to topic since the last call for that topic
 * (records produced with sl_sql_local_produce included). SL_ERR_NOENT
 * when there is none; SL_ERR_INVAL when the topic has no declared format
 * to read it with. Free with sl_sql_local_record_clear. */
sl_err_t sl_sql_local_next(sl_sql_engine_t *e, const char *topic, sl_sql_local_record_t *out,
                           sl_sql_error_t *err);
void sl_sql_local_record_clear(sl_sql_local_record_t *r);
/* Moves every driver's mock wall clock forward by ms. */
sl_err_t sl_sql_local_advance(sl_sql_engine_t *e, int64_t ms);

/* Records no query could read or process since the engine started (each
 * also written to the processing-log topic). */
int64_t sl_sql_processing_errors(const sl_sql_engine_t *e);


/* ======================================================================
 * The REST service (ksqlDB's REST API over an engine; libmicrohttpd)
 *
 * POST /ksql {"ksql": text, "streamsProperties": {...}}: sl_sql_execute's
 *   array; a failed statement answers 400 {"@type":"statement_error",
 *   "error_code":40001, "message", "statementText", "entities":[]}.
 * POST /query-stream {"sql": text, "properties": {...}}: the query's header
 *   object, then one JSON array per row, each on its own line
 *   (application/vnd.ksqlapi.delimited.v1), or all of them in one JSON array
 *   when the request says Accept: application/json. A push query streams
 *   until its LIMIT, POST /close-query or the client going away.
 * POST /query {"ksql": text, "streamsProperties": {...}}: the same rows in
 *   ksqlDB's older shape: [{"header":{"queryId","schema"}}, {"row":
 *   {"columns":[...]}}, ..., {"finalMessage":"Query Completed"}].
 * POST /close-query {"queryId"}: sl_sql_query_cancel_id; 400 if unknown.
 * GET /info: {"KsqlServerInfo":{"version","kafkaClusterId","ksqlServiceId",
 *   "serverStatus":"RUNNING"}}.   GET /healthcheck: {"isHealthy":true,
 *   "details":{...}}.
 * Request problems answer ksqlDB's {"@type":"generic_error","error_code",
 * "message"}: 400 (40000) for a body that is not the expected JSON, 413
 * for a body over 1 MiB, 404 for an unknown path, 405 for a wrong method.
 * Each connection has its own thread (at most 64 connections).
 * ====================================================================== */

typedef struct sl_sql_rest sl_sql_rest_t;

/* What GET /info tells (borrowed during sl_sql_rest_start, copied). */
typedef struct sl_sql_rest_info {
    const char *version;          /* Sluice's version */
    const char *kafka_cluster_id; /* the broker's cluster id */
    const char *service_id;       /* sql.service.id */
} sl_sql_rest_info_t;

/* Checks a listeners list: comma-separated "http://HOST:PORT" (the scheme
 * may be left out; HOST an IPv4 address or a name, empty or 0.0.0.0 for
 * every address; PORT 0..65535, 0 for any free port), at most 8.
 * SL_ERR_CONFIG with errbuf saying which item and why. */
sl_err_t sl_sql_rest_check_listeners(const char *listeners, char *errbuf, size_t errlen);
/* Serves e (borrowed: it must outlive the service) on every listener.
 * info may be NULL. On success *out is the running service (free it with
 * sl_sql_rest_stop). Errors: SL_ERR_CONFIG (a bad listener, a name that
 * does not resolve), SL_ERR_IO (cannot listen: errbuf names the address
 * and the reason), SL_ERR_NOMEM. */
sl_err_t sl_sql_rest_start(sl_sql_engine_t *e, const char *listeners, const sl_sql_rest_info_t *info,
                           sl_sql_rest_t **out, char *errbuf, size_t errlen);
/* The port listener i (in the order given) is bound to; 0 if none. */
uint16_t sl_sql_rest_port(const sl_sql_rest_t *rs, int i);
/* Stops listening, ends every open connection (streaming queries are
 * closed) and frees rs. Call before sl_sql_engine_free. NULL ok. */
void sl_sql_rest_stop(sl_sql_rest_t *rs);

#ifdef __cplusplus
}
#endif

#endif
