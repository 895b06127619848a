/*
 * admin.c - the admin handle and the job machinery every admin call runs on
 * (see admin_int.h): posting a job to the I/O thread, waiting for it with a
 * deadline, per-step locking, retries after retry.backoff.ms, and the
 * sentence that says why a call failed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin_int.h"

/* How long the caller waits past the deadline for the I/O thread's own
 * timeout answer before giving up on the job. */
#define SL_ADM_GRACE_MS 2000

sl_err_t sl_admin_new(const sl_conf_t *conf, sl_admin_t **out, char *errbuf, size_t errlen)
{
    if (!conf || !out)
        return SL_ERR_INVAL;
    *out = NULL;
    sl_admin_t *a = calloc(1, sizeof *a);
    if (!a)
        return SL_ERR_NOMEM;
    sl_err_t err = sl_cl_new(conf, "sl-admin", &a->cl, errbuf, errlen);
    if (err) {
        free(a);
        return err;
    }
    pthread_mutex_init(&a->call_mu, NULL);
    pthread_mutex_init(&a->mu, NULL);
    sl_list_init(&a->jobs);
    sl_cl_set_owner(a->cl, a);
    *out = a;
    return SL_OK;
}

static void job_free(sl_adm_job_t *job)
{
    sl_admin_t *a = job->a;
    pthread_mutex_lock(&a->mu);
    sl_list_remove(&job->link);
    pthread_mutex_unlock(&a->mu);
    sl_arena_fini(&job->scratch);
    pthread_cond_destroy(&job->cv);
    pthread_mutex_destroy(&job->mu);
    free(job);
}

void sl_admin_free(sl_admin_t *a)
{
    if (!a)
        return;
    /* Once the I/O thread is gone, jobs a caller gave up on and whose
     * backoff timer or posted start never ran are referenced by nobody. */
    sl_cl_free(a->cl);
    sl_list_t *pos, *tmp;
    sl_list_foreach_safe(pos, tmp, &a->jobs) job_free(sl_container_of(pos, sl_adm_job_t, link));
    pthread_mutex_destroy(&a->mu);
    pthread_mutex_destroy(&a->call_mu);
    free(a);
}

void sl_admin_last_error(sl_admin_t *a, char *buf, size_t len)
{
    if (!buf || !len)
        return;
    if (!a) {
        buf[0] = '\0';
        return;
    }
    pthread_mutex_lock(&a->call_mu);
    snprintf(buf, len, "%s", a->last_error);
    pthread_mutex_unlock(&a->call_mu);
}

/* ---- job steps ----------------------------------------------------------- */

static void job_settle(sl_adm_job_t *job);

/* Ends one I/O step: called with job->mu held, releases it. */
static void step_end(sl_adm_job_t *job)
{
    job->io_out--;
    job->refs--;
    if (job->io_out == 0 && !job->done)
        job_settle(job);
    bool last = job->refs == 0;
    pthread_mutex_unlock(&job->mu);
    if (last)
        job_free(job);
}

static void run_start(sl_adm_job_t *job)
{
    if (!job->abandoned && !job->done)
        job->start(job);
}

static void on_retry_timer(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    SL_UNUSED(loop);
    SL_UNUSED(id);
    sl_adm_job_t *job = arg;
    pthread_mutex_lock(&job->mu);
    run_start(job);
    step_end(job);
}

static void on_posted(sl_cl_t *cl, void *arg)
{
    SL_UNUSED(cl);
    sl_adm_job_t *job = arg;
    pthread_mutex_lock(&job->mu);
    run_start(job);
    step_end(job);
}

/* Every step is over: retry after the backoff if a handler asked and time
 * is left, else the call is done. job->mu held. */
static void job_settle(sl_adm_job_t *job)
{
    if (job->retry && !job->abandoned && !job->err) {
        job->retry = false;
        int64_t backoff = sl_cl_conf(job->cl)->retry_backoff_ms;
        if (sl_time_mono_ms() + backoff < job->deadline) {
            job->io_out++;
            job->refs++;
            if (sl_loop_timer_add(sl_cl_loop(job->cl), backoff, false, on_retry_timer, job, NULL) == SL_OK)
                return;
            job->io_out--;
            job->refs--;
            job->err = SL_ERR_NOMEM;
        } else {
            job->err = SL_ERR_TIMEOUT;
        }
    }
    job->done = true;
    pthread_cond_signal(&job->cv);
}

static sl_err_t adm_run(sl_admin_t *a, int timeout_ms, sl_adm_start_fn *start, void *op, sl_arena_t *arena)
{
    if (timeout_ms < 0)
        timeout_ms = sl_cl_conf(a->cl)->request_timeout_ms;
    sl_adm_job_t *job = calloc(1, sizeof *job);
    if (!job)
        return SL_ERR_NOMEM;
    job->a = a;
    job->cl = a->cl;
    job->start = start;
    job->op = op;
    job->arena = arena;
    job->deadline = sl_time_mono_ms() + timeout_ms;
    sl_arena_init(&job->scratch, 0, 0);
    pthread_mutex_init(&job->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&job->cv, &ca);
    pthread_condattr_destroy(&ca);
    job->refs = 2;   /* the caller and the posted start */
    job->io_out = 1;
    pthread_mutex_lock(&a->mu);
    sl_list_insert_tail(&a->jobs, &job->link);
    pthread_mutex_unlock(&a->mu);
    a->last_error[0] = '\0';

    sl_err_t err = sl_cl_post(a->cl, on_posted, job);
    if (err) {
        job_free(job);
        return err;
    }
    int64_t until = job->deadline + SL_ADM_GRACE_MS;
    struct timespec ts = {(time_t)(until / 1000), (long)(until % 1000) * 1000000L};
    pthread_mutex_lock(&job->mu);
    while (!job->done) {
        if (pthread_cond_timedwait(&job->cv, &job->mu, &ts) == ETIMEDOUT && !job->done) {
            job->abandoned = true;
            job->err = SL_ERR_TIMEOUT;
            break;
        }
    }
    err = job->err;
    if (err == SL_ERR_TIMEOUT)
        snprintf(a->last_error, sizeof a->last_error, "no answer within %d ms%s%.400s", timeout_ms,
                 job->message[0] ? "; last attempt: " : "", job->message);
    else if (err)
        snprintf(a->last_error, sizeof a->last_error, "%.500s", job->message[0] ? job->message : sl_err_str(err));
    job->refs--;
    bool last = job->refs == 0;
    pthread_mutex_unlock(&job->mu);
    if (last)
        job_free(job);
    return err;
}

sl_err_t sl_adm_run(sl_admin_t *a, int timeout_ms, sl_adm_start_fn *start, void *op, sl_arena_t *arena)
{
    if (!a)
        return SL_ERR_INVAL;
    pthread_mutex_lock(&a->call_mu);
    sl_err_t err = adm_run(a, timeout_ms, start, op, arena);
    pthread_mutex_unlock(&a->call_mu);
    return err;
}

/* ---- requests ------------------------------------------------------------ */

typedef struct adm_req {
    sl_adm_job_t *job;
    sl_adm_resp_fn *fn;
    void *arg;
} adm_req_t;

static void on_resp(sl_cl_t *cl, sl_err_t err, int16_t version, const void *resp, void *arg)
{
    SL_UNUSED(cl);
    adm_req_t *r = arg;
    sl_adm_job_t *job = r->job;
    pthread_mutex_lock(&job->mu);
    if (!job->abandoned && !job->done)
        r->fn(job, err, version, resp, r->arg);
    step_end(job);
}

int32_t sl_adm_time_left_ms(const sl_adm_job_t *job)
{
    int64_t left = job->deadline - sl_time_mono_ms();
    return left < 1 ? 1 : (int32_t)SL_MIN(left, INT32_MAX);
}

sl_err_t sl_adm_send_v(sl_adm_job_t *job, int16_t api_key, int16_t min_version, const void *body,
                       int32_t node_id, void (*prepare)(void *body, int16_t version, void *arg),
                       sl_adm_resp_fn *fn, void *arg)
{
    adm_req_t *r = sl_arena_alloc(&job->scratch, sizeof *r);
    if (!r) {
        sl_adm_set_err(job, SL_ERR_NOMEM, "request");
        return SL_ERR_NOMEM;
    }
    r->job = job;
    r->fn = fn;
    r->arg = arg;
    sl_cl_req_t req = {
        .api_key = api_key,
        .min_version = min_version,
        .max_version = -1,
        .body = body,
        .node_id = node_id,
        .timeout_ms = sl_adm_time_left_ms(job),
        .prepare = prepare,
    };
    job->io_out++;
    job->refs++;
    sl_err_t err = sl_cl_send(job->cl, &req, on_resp, r);
    if (err) {
        job->io_out--;
        job->refs--;
        sl_adm_set_err(job, err, "request");
    }
    return err;
}

sl_err_t sl_adm_send(sl_adm_job_t *job, int16_t api_key, int16_t min_version, const void *body,
                     int32_t node_id, sl_adm_resp_fn *fn, void *arg)
{
    return sl_adm_send_v(job, api_key, min_version, body, node_id, NULL, fn, arg);
}

typedef struct adm_coord {
    sl_adm_job_t *job;
    sl_adm_coord_fn *fn;
    void *arg;
} adm_coord_t;

static void on_coord(sl_cl_t *cl, sl_err_t err, int32_t node_id, void *arg)
{
    SL_UNUSED(cl);
    adm_coord_t *c = arg;
    sl_adm_job_t *job = c->job;
    pthread_mutex_lock(&job->mu);
    if (!job->abandoned && !job->done)
        c->fn(job, err, node_id, c->arg);
    step_end(job);
}

sl_err_t sl_adm_coord(sl_adm_job_t *job, const char *group, sl_adm_coord_fn *fn, void *arg)
{
    adm_coord_t *c = sl_arena_alloc(&job->scratch, sizeof *c);
    if (!c) {
        sl_adm_set_err(job, SL_ERR_NOMEM, "FindCoordinator");
        return SL_ERR_NOMEM;
    }
    c->job = job;
    c->fn = fn;
    c->arg = arg;
    /* The core's deadline is on the loop's clock. */
    int64_t deadline = sl_cl_now_ms(job->cl) + (job->deadline - sl_time_mono_ms());
    job->io_out++;
    job->refs++;
    sl_err_t err = sl_cl_coord_find(job->cl, 0, group, deadline, on_coord, c);
    if (err) {
        job->io_out--;
        job->refs--;
        sl_adm_set_err(job, err, "FindCoordinator");
    }
    return err;
}

/* ---- errors --------------------------------------------------------------- */

static void note(sl_adm_job_t *job, sl_err_t err, const char *what)
{
    char conn[200] = "";
    if (err == SL_ERR_NETWORK_EXCEPTION || err == SL_ERR_TIMEOUT)
        sl_cl_last_error(job->cl, conn, sizeof conn);
    if (conn[0])
        snprintf(job->message, sizeof job->message, "%s: %s (%s)", what, sl_err_name(err), conn);
    else
        snprintf(job->message, sizeof job->message, "%s: %s", what, sl_err_name(err));
}

void sl_adm_set_err(sl_adm_job_t *job, sl_err_t err, const char *what)
{
    if (job->err)
        return;
    job->err = err;
    note(job, err, what);
}

bool sl_adm_fail(sl_adm_job_t *job, sl_err_t err, const char *what)
{
    bool retriable = sl_cl_err_retriable(err) || err == SL_ERR_NETWORK_EXCEPTION || err == SL_ERR_TIMEOUT;
    if (!retriable) {
        sl_adm_set_err(job, err, what);
        return false;
    }
    job->retry = true;
    job->retry_err = err;
    if (!job->err)
        note(job, err, what);
    return true;
}

bool sl_adm_resp_failed(sl_adm_job_t *job, sl_err_t err, const char *what)
{
    if (!err)
        return false;
    sl_adm_fail(job, err, what);
    return true;
}

/* ---- helpers -------------------------------------------------------------- */

const char *sl_adm_str(sl_adm_job_t *job, sl_kstr_t s, bool empty_for_null)
{
    if (sl_kstr_is_null(s))
        return empty_for_null ? "" : NULL;
    char *c = sl_arena_strndup(job->arena, s.ptr, (size_t)s.len);
    if (!c) {
        sl_adm_set_err(job, SL_ERR_NOMEM, "result");
        return "";
    }
    return c;
}

void *sl_adm_scratch(sl_adm_job_t *job, size_t n, size_t sz)
{
    void *p = sl_arena_calloc(&job->scratch, n ? n : 1, sz);
    if (!p)
        sl_adm_set_err(job, SL_ERR_NOMEM, "request");
    return p;
}

void *sl_adm_result(sl_adm_job_t *job, size_t n, size_t sz)
{
    void *p = sl_arena_calloc(job->arena, n ? n : 1, sz);
    if (!p)
        sl_adm_set_err(job, SL_ERR_NOMEM, "result");
    return p;
}

sl_err_t sl_adm_group_topics(sl_adm_job_t *job, const sl_tp_offset_t *parts, size_t n, const char ***topics,
                             size_t *ntopics, size_t **topic_of)
{
    const char **names = sl_adm_scratch(job, n, sizeof *names);
    size_t *of = sl_adm_scratch(job, n, sizeof *of);
    if (!names || !of)
        return SL_ERR_NOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        size_t t = 0;
        while (t < k && strcmp(names[t], parts[i].topic) != 0)
            t++;
        if (t == k)
            names[k++] = parts[i].topic;
        of[i] = t;
    }
    *topics = names;
    *ntopics = k;
    *topic_of = of;
    return SL_OK;
}
