/*
 * client_util.c - see client_util.h.
 */
#include "client_util.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <time.h>

#include <cmocka.h>

static pthread_mutex_t cu_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cu_cond = PTHREAD_COND_INITIALIZER;

void cu_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void cu_on_resp(sl_cl_t *cl, sl_err_t err, int16_t version, const void *resp, void *arg)
{
    cu_req_t *r = arg;
    if (err == SL_OK && r->inspect)
        r->inspect(cl, resp, version, r->inspect_arg);
    pthread_mutex_lock(&cu_mu);
    r->err = err;
    r->version = version;
    r->done = true;
    pthread_cond_broadcast(&cu_cond);
    pthread_mutex_unlock(&cu_mu);
}

static void cu_do_send(sl_cl_t *cl, void *arg)
{
    cu_req_t *r = arg;
    sl_err_t err = sl_cl_send(cl, &r->req, cu_on_resp, r);
    if (err != SL_OK) {
        pthread_mutex_lock(&cu_mu);
        r->err = err;
        r->done = true;
        pthread_mutex_unlock(&cu_mu);
    }
}

sl_err_t cu_send(sl_cl_t *cl, cu_req_t *r, int wait_ms)
{
    r->done = false;
    assert_int_equal(sl_cl_call(cl, cu_do_send, r), SL_OK);
    int64_t until = sl_time_mono_ms() + wait_ms;
    pthread_mutex_lock(&cu_mu);
    while (!r->done && sl_time_mono_ms() < until) {
        pthread_mutex_unlock(&cu_mu);
        cu_sleep_ms(5);
        pthread_mutex_lock(&cu_mu);
    }
    bool done = r->done;
    sl_err_t err = r->err;
    pthread_mutex_unlock(&cu_mu);
    if (!done)
        fail_msg("request (api %d) not answered within %d ms", (int)r->req.api_key, wait_ms);
    return err;
}

typedef struct cu_pred_call {
    cu_pred_fn *pred;
    void *arg;
    bool result;
} cu_pred_call_t;

static void cu_do_pred(sl_cl_t *cl, void *arg)
{
    cu_pred_call_t *c = arg;
    c->result = c->pred(cl, c->arg);
}

bool cu_wait_io(sl_cl_t *cl, cu_pred_fn *pred, void *arg, int wait_ms)
{
    int64_t until = sl_time_mono_ms() + wait_ms;
    for (int i = 0; i < 100000; i++) {
        cu_pred_call_t c = {pred, arg, false};
        if (sl_cl_call(cl, cu_do_pred, &c) != SL_OK)
            return false;
        if (c.result)
            return true;
        if (sl_time_mono_ms() >= until)
            return false;
        cu_sleep_ms(10);
    }
    return false;
}

sl_cl_t *cu_core(const char *bootstrap, const char *const *extra)
{
    sl_conf_t *conf = sl_conf_new();
    char err[256];
    assert_non_null(conf);
    assert_int_equal(sl_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof err), SL_OK);
    assert_int_equal(sl_conf_set(conf, "reconnect.backoff.ms", "20", err, sizeof err), SL_OK);
    assert_int_equal(sl_conf_set(conf, "reconnect.backoff.max.ms", "100", err, sizeof err), SL_OK);
    assert_int_equal(sl_conf_set(conf, "retry.backoff.ms", "20", err, sizeof err), SL_OK);
    assert_int_equal(sl_conf_set(conf, "request.timeout.ms", "5000", err, sizeof err), SL_OK);
    for (size_t i = 0; extra && extra[i]; i += 2)
        assert_int_equal(sl_conf_set(conf, extra[i], extra[i + 1], err, sizeof err), SL_OK);
    sl_cl_t *cl = NULL;
    assert_int_equal(sl_cl_new(conf, "sl-test", &cl, err, sizeof err), SL_OK);
    sl_conf_free(conf);
    return cl;
}
