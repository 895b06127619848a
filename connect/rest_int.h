/*
 * rest_int.h - what the REST service's files share: a request as the
 * routes see it (method, URL-decoded path segments, query, body), the
 * answer they fill in, and the helpers that shape answers and errors as
 * Kafka Connect's ({"error_code":..,"message":..}). rest.c receives
 * requests and routes them; rest_connectors.c answers /connectors/...;
 * rest_plugins.c answers GET / and /connector-plugins/....
 */
#ifndef SL_CONNECT_REST_INT_H
#define SL_CONNECT_REST_INT_H

#include <jansson.h>

#include "connect_int.h"

/* Path segments a route may have (/connectors/{name}/tasks/{id}/status). */
#define REST_MAX_SEGS 6

/* One request. Everything is borrowed from rest.c for the call. */
typedef struct rest_req {
    sl_connect_worker_t *worker;
    const char *method;
    const char *seg[REST_MAX_SEGS];  /* decoded; NUL-free */
    size_t nseg;
    int task;                        /* the {id} segment, when the route has one */
    const char *body;                /* NUL-terminated; NULL: none */
    size_t len;
    void *conn;                      /* rest.c's connection, for rest_query */
} rest_req_t;

/* The answer: status and body (owned; NULL: no body, as 202 and 204). */
typedef struct rest_reply {
    unsigned status;
    json_t *body;
    char allow[64];                  /* 405: the path's methods (Allow) */
    char *location;                  /* 201: the new resource's path
                                      * (malloc'ed; Location) */
} rest_reply_t;

/* The decoded value of query parameter key (the first when repeated) in a
 * malloc'ed copy the caller frees, or NULL when absent (or out of memory). */
char *rest_query(const rest_req_t *rq, const char *key);
/* true when key=value is one of the query's parameters (compared after
 * decoding; key may repeat, as expand=status&expand=info). */
bool rest_query_has(const rest_req_t *rq, const char *key, const char *value);
/* A boolean query parameter as JAX-RS reads one: "true" in any case is
 * true, anything else (or absent) false. */
bool rest_query_bool(const rest_req_t *rq, const char *key);

/* ---- answers (rest.c) ----------------------------------------------------- */

/* status with body (taken); a NULL body for a status that wants one means
 * building it ran out of memory: 500. */
void rest_ok(rest_reply_t *out, unsigned status, json_t *body);
/* Sets out->location to /connectors/<name, URL-encoded> (left unset when
 * out of memory: the header is a courtesy). */
void rest_set_location(rest_reply_t *out, const char *name);
/* status with Kafka's error body; the message is printf-formatted. */
void rest_fail(rest_reply_t *out, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A failed worker call about connector name, as Kafka answers it:
 * SL_ERR_NOENT 404 "Connector <name> not found", SL_ERR_EXISTS 409
 * "Connector <name> already exists", SL_ERR_CONFIG and SL_ERR_INVAL 400,
 * SL_ERR_TIMEOUT 500 "Request timed out", SL_ERR_REBALANCE_IN_PROGRESS 409
 * (a distributed worker between assignments), others 500; err (the worker's
 * sentence, may be empty) is the message where Kafka has none of its own. */
void rest_fail_worker(rest_reply_t *out, sl_err_t rc, const char *name, const char *err);

/* The body as a JSON object (new reference), or NULL after answering 400
 * (empty, not JSON, not an object). */
json_t *rest_body_object(const rest_req_t *rq, rest_reply_t *out);
/* A JSON object of a connector config (Kafka's Map<String,String>:
 * strings, and numbers and booleans as their text) into a new sl_props_t,
 * or NULL after answering 400 (another kind of value) or 500. what names
 * the object in the message ("config"). */
sl_props_t *rest_json_props(const json_t *obj, const char *what, rest_reply_t *out);
/* s as a JSON string (new reference; null for NULL; NULL when out of
 * memory), its bytes that are not UTF-8 turned into '?': what plugins and
 * files say reaches clients as valid JSON. */
json_t *rest_text(const char *s);
/* props as a JSON object (new reference; NULL when out of memory). */
json_t *rest_props_json(const sl_props_t *props);
/* keys[i] = values[i] for i < n as a JSON object (new reference). */
json_t *rest_pairs_json(const char *const *keys, const char *const *values, size_t n);

/* ---- the routes ------------------------------------------------------------
 * Each answers one method on one path shape; seg[1] is {name} or {plugin},
 * rq->task the {id}. rest_connectors.c: */
void rest_connectors_list(const rest_req_t *rq, rest_reply_t *out);
void rest_connectors_create(const rest_req_t *rq, rest_reply_t *out);
void rest_connector_info(const rest_req_t *rq, rest_reply_t *out);
void rest_connector_delete(const rest_req_t *rq, rest_reply_t *out);
void rest_connector_config_get(const rest_req_t *rq, rest_reply_t *out);
void rest_connector_config_put(const rest_req_t *rq, rest_reply_t *out);
void rest_connector_status(const rest_req_t *rq, rest_reply_t *out);
void rest_connector_tasks(const rest_req_t *rq, rest_reply_t *out);
void rest_connector_restart(const rest_req_t *rq, rest_reply_t *out);
void rest_connector_pause(const rest_req_t *rq, rest_reply_t *out);
void rest_connector_resume(const rest_req_t *rq, rest_reply_t *out);
void rest_task_status(const rest_req_t *rq, rest_reply_t *out);
void rest_task_restart(const rest_req_t *rq, rest_reply_t *out);
/* rest_plugins.c: */
void rest_root(const rest_req_t *rq, rest_reply_t *out);
void rest_plugins_list(const rest_req_t *rq, rest_reply_t *out);
void rest_plugin_config(const rest_req_t *rq, rest_reply_t *out);
void rest_plugin_validate(const rest_req_t *rq, rest_reply_t *out);

#endif /* SL_CONNECT_REST_INT_H */
