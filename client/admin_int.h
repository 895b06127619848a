/*
 * admin_int.h - how the admin calls of client.h are run: each call is a job
 * handed to the core's I/O thread, where it sends its requests (through
 * sl_cl_send, to the right broker or coordinator), retries retriable errors
 * after retry.backoff.ms until the call's deadline, and writes its results
 * into the caller's arena. The application thread waits for the job with the
 * call's timeout (plus a short grace for the I/O thread to give its own
 * timeout answer).
 *
 * Safety across threads: every I/O-thread step of a job (its start, each
 * response, each coordinator answer, each backoff timer) runs with the job's
 * mutex held and is skipped once the waiting thread gave up ("abandoned"):
 * the caller's arguments and arena are touched only while the caller is
 * still waiting for them. A job is freed by whichever side lets go of it
 * last.
 */
#ifndef SL_ADMIN_INT_H
#define SL_ADMIN_INT_H

#include <pthread.h>

#include "client_int.h"

typedef struct sl_adm_job sl_adm_job_t;

/* io, job mutex held: issues the job's requests (sl_adm_send,
 * sl_adm_coord). Runs again for a retry when a handler set job->retry. */
typedef void sl_adm_start_fn(sl_adm_job_t *job);

/* io, job mutex held, not abandoned: one answer. resp is valid during the
 * call only (copy what is kept into job->arena, the caller's). */
typedef void sl_adm_resp_fn(sl_adm_job_t *job, sl_err_t err, int16_t version, const void *resp,
                            void *arg);

/* io, job mutex held, not abandoned: a coordinator found (err 0) or not. */
typedef void sl_adm_coord_fn(sl_adm_job_t *job, sl_err_t err, int32_t node_id, void *arg);

struct sl_admin {
    sl_cl_t *cl;
    pthread_mutex_t call_mu;    /* one call at a time (client.h's threading model) */
    pthread_mutex_t mu;         /* guards jobs */
    sl_list_t jobs;             /* every job not yet freed (see sl_admin_free) */
    char last_error[512];       /* why the last call failed; under call_mu */
};

struct sl_adm_job {
    sl_admin_t *a;
    sl_cl_t *cl;
    sl_list_t link;             /* in a->jobs */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int refs;                   /* the waiting caller + each I/O step in flight */
    int io_out;                 /* I/O steps in flight (requests, lookups, timers) */
    bool done, abandoned;
    sl_err_t err;               /* the call's result */
    bool retry;                 /* set by handlers: run start again after backoff */
    sl_err_t retry_err;         /* the retriable error that asked for it */
    char message[512];          /* what failed, for sl_admin_last_error */
    int64_t deadline;           /* sl_time_mono_ms() */
    sl_adm_start_fn *start;
    void *op;                   /* the call's own state (on the caller's stack) */
    sl_arena_t *arena;          /* the caller's arena: results */
    sl_arena_t scratch;         /* request bodies; the job's own */
};

/* Runs a job: start on the I/O thread, waits up to timeout_ms (-1:
 * request.timeout.ms) for it to end, returns its err (SL_ERR_TIMEOUT when
 * the deadline passed first; the reason lands in a->last_error). op and
 * arena are borrowed for the call. app. */
sl_err_t sl_adm_run(sl_admin_t *a, int timeout_ms, sl_adm_start_fn *start, void *op,
                    sl_arena_t *arena);

/* Sends body (a generated request struct, in job->scratch or otherwise
 * alive until the answer) to node and calls fn with the answer. api_key and
 * versions as sl_cl_req_t; the request's timeout is what is left of the
 * call's. io, from a job step. Errors (no callback): SL_ERR_NOMEM. */
sl_err_t sl_adm_send(sl_adm_job_t *job, int16_t api_key, int16_t min_version, const void *body,
                     int32_t node_id, sl_adm_resp_fn *fn, void *arg);
/* As sl_adm_send, with a hook that fits body to the version chosen (see
 * sl_cl_req_t.prepare). */
sl_err_t sl_adm_send_v(sl_adm_job_t *job, int16_t api_key, int16_t min_version, const void *body,
                       int32_t node_id, void (*prepare)(void *body, int16_t version, void *arg),
                       sl_adm_resp_fn *fn, void *arg);
/* Sends a Metadata request (v1+) to any broker: every topic when all, else
 * names[0..n) (n 0: none, for brokers and controller only); no automatic
 * topic creation. io. */
sl_err_t sl_adm_metadata(sl_adm_job_t *job, bool all, const char *const *names, size_t n,
                         sl_adm_resp_fn *fn, void *arg);
/* Finds the group coordinator of group (copied) and calls fn. io. */
sl_err_t sl_adm_coord(sl_adm_job_t *job, const char *group, sl_adm_coord_fn *fn, void *arg);

/* Notes a failure of the call: retriable errors (as sl_cl_err_retriable,
 * plus network errors and timeouts of single requests while time is left)
 * ask for a retry; others end the call with err. what says what was tried
 * ("Metadata", "DescribeGroups of g1"). io. Returns true when retried. */
bool sl_adm_fail(sl_adm_job_t *job, sl_err_t err, const char *what);
/* Records err (first one wins) without a retry. io. */
void sl_adm_set_err(sl_adm_job_t *job, sl_err_t err, const char *what);
/* The opening of a response handler: when the request failed (err set),
 * notes it as sl_adm_fail does and returns true, and the handler returns;
 * false when err is SL_OK. io. */
bool sl_adm_resp_failed(sl_adm_job_t *job, sl_err_t err, const char *what);
/* Milliseconds left until the call's deadline, at least 1 (for a request's
 * timeout field). */
int32_t sl_adm_time_left_ms(const sl_adm_job_t *job);

/* Helpers for result conversion. */
/* A NUL-terminated copy of s in the job's result arena ("" for null when
 * empty_for_null, else NULL); sets SL_ERR_NOMEM on the job when out of
 * memory (and returns ""). */
const char *sl_adm_str(sl_adm_job_t *job, sl_kstr_t s, bool empty_for_null);
/* An array of n elements of size sz from scratch (zeroed), or NULL with
 * SL_ERR_NOMEM set on the job. n 0 gives a valid pointer. */
void *sl_adm_scratch(sl_adm_job_t *job, size_t n, size_t sz);
/* The same from the result arena. */
void *sl_adm_result(sl_adm_job_t *job, size_t n, size_t sz);

/* Groups parts[0..n) by topic in first-seen order: *topics gets the
 * distinct topic names (in scratch), *topic_of[i] each part's topic index.
 * SL_ERR_NOMEM. */
sl_err_t sl_adm_group_topics(sl_adm_job_t *job, const sl_tp_offset_t *parts, size_t n,
                             const char ***topics, size_t *ntopics, size_t **topic_of);

/* Decodes a consumer-protocol assignment (version int16 + body, with
 * assignor.h's decoder) into a list of (topic, partition) in arena. Empty or
 * null bytes give n 0. SL_ERR_PARSE, SL_ERR_TRUNCATED, SL_ERR_NOMEM. any
 * (pure). */
sl_err_t sl_adm_decode_assignment(const uint8_t *p, int32_t len, sl_arena_t *arena, sl_tp_offset_t **out,
                                  size_t *n);

#endif /* SL_ADMIN_INT_H */
