/*
 * core.c - a client handle's core: its configuration, the I/O thread that
 * runs its loop, work handed to that thread from application threads
 * (sl_cl_post, sl_cl_call), and the orderly stop that answers everything
 * still pending with SL_ERR_CLOSED before the thread ends.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_int.h"

struct sl_cl_post_item {
    sl_cl_post_item_t *next;
    sl_cl_fn *fn;
    void *arg;
};

/* Takes the whole post queue (under mu) and runs it in order; returns
 * whether anything ran. */
static bool posts_run(sl_cl_t *cl)
{
    pthread_mutex_lock(&cl->mu);
    sl_cl_post_item_t *it = cl->posts_head;
    cl->posts_head = cl->posts_tail = NULL;
    pthread_mutex_unlock(&cl->mu);
    bool ran = it != NULL;
    while (it) {
        sl_cl_post_item_t *next = it->next;
        it->fn(cl, it->arg);
        free(it);
        it = next;
    }
    return ran;
}

static void on_wake(sl_loop_t *loop, void *arg)
{
    SL_UNUSED(loop);
    posts_run(arg);
}

static void *io_main(void *arg)
{
    sl_cl_t *cl = arg;
    sl_err_t err = sl_loop_run(cl->loop);
    if (err != SL_OK)
        SL_ERROR(SL_CL_MODULE, "%s: the I/O loop failed (%s); the client stops", cl->name,
                 sl_err_str(err));
    /* Work accepted before the stop still runs (sl_cl_call waiters count on
     * it); nothing new can be queued once stopping is set (also when the
     * loop ended by itself). The loop is freed by sl_cl_free after the
     * join, so a late wake-up never touches freed memory. */
    pthread_mutex_lock(&cl->mu);
    cl->stopping = true;
    pthread_mutex_unlock(&cl->mu);
    while (posts_run(cl))
        ;
    cl->closing = true;
    sl_cl_coords_shutdown(cl);
    sl_cl_meta_shutdown(cl);
    sl_cl_brokers_shutdown(cl);
    while (posts_run(cl))
        ;
    return NULL;
}

sl_err_t sl_cl_new(const sl_conf_t *conf, const char *name, sl_cl_t **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    sl_conf_t *defaults = NULL;
    if (!conf && !(conf = defaults = sl_conf_new()))
        return SL_ERR_NOMEM;
    sl_cl_t *cl = calloc(1, sizeof *cl);
    if (!cl) {
        sl_conf_free(defaults);
        return SL_ERR_NOMEM;
    }
    sl_err_t err = sl_cl_conf_parse(conf, &cl->conf, errbuf, errlen);
    sl_conf_free(defaults);
    if (err != SL_OK) {
        free(cl);
        return err;
    }
    snprintf(cl->name, sizeof cl->name, "%s", name ? name : "sl-client");
    pthread_mutex_init(&cl->mu, NULL);
    pthread_cond_init(&cl->cond, NULL);
    sl_cl_events_init(&cl->events);
    if ((err = sl_loop_new(&cl->loop)) != SL_OK)
        goto fail;
    sl_loop_set_wake(cl->loop, on_wake, cl);
    if ((err = sl_cl_brokers_init(cl)) != SL_OK || (err = sl_cl_meta_init(cl)) != SL_OK ||
        (err = sl_cl_coords_init(cl)) != SL_OK)
        goto fail;
    if (pthread_create(&cl->thread, NULL, io_main, cl) != 0) {
        err = SL_ERR_NOMEM;
        goto fail;
    }
    cl->thread_started = true;
    pthread_setname_np(cl->thread, cl->name);
    *out = cl;
    return SL_OK;
fail:
    sl_cl_free(cl);
    return err;
}

void sl_cl_free(sl_cl_t *cl)
{
    if (!cl)
        return;
    pthread_mutex_lock(&cl->mu);
    cl->stopping = true;
    pthread_mutex_unlock(&cl->mu);
    if (cl->thread_started) {
        sl_loop_stop(cl->loop);
        pthread_join(cl->thread, NULL);
    } else if (cl->loop) {
        /* Never started: nothing was sent, but modules may hold timers. */
        cl->closing = true;
        sl_cl_coords_shutdown(cl);
        sl_cl_meta_shutdown(cl);
        sl_cl_brokers_shutdown(cl);
    }
    /* Connections closed by the shutdown get their close callbacks here
     * (closing is set: they only let go of their handles). */
    sl_loop_free(cl->loop);
    cl->loop = NULL;
    sl_cl_coords_fini(cl);
    sl_cl_meta_fini(cl);
    sl_cl_brokers_fini(cl);
    sl_cl_post_item_t *it = cl->posts_head;
    while (it) {
        sl_cl_post_item_t *next = it->next;
        free(it);
        it = next;
    }
    sl_cl_events_fini(&cl->events);
    pthread_cond_destroy(&cl->cond);
    pthread_mutex_destroy(&cl->mu);
    sl_cl_conf_fini(&cl->conf);
    free(cl);
}

const sl_cl_conf_t *sl_cl_conf(const sl_cl_t *cl)
{
    return &cl->conf;
}

sl_loop_t *sl_cl_loop(sl_cl_t *cl)
{
    return cl->loop;
}

int64_t sl_cl_now_ms(sl_cl_t *cl)
{
    return sl_loop_now_ms(cl->loop);
}

void sl_cl_set_owner(sl_cl_t *cl, void *owner)
{
    cl->owner = owner;
}

void *sl_cl_owner(const sl_cl_t *cl)
{
    return cl->owner;
}

sl_err_t sl_cl_post(sl_cl_t *cl, sl_cl_fn *fn, void *arg)
{
    if (!fn)
        return SL_ERR_INVAL;
    sl_cl_post_item_t *it = malloc(sizeof *it);
    if (!it)
        return SL_ERR_NOMEM;
    it->next = NULL;
    it->fn = fn;
    it->arg = arg;
    pthread_mutex_lock(&cl->mu);
    if (cl->stopping) {
        pthread_mutex_unlock(&cl->mu);
        free(it);
        return SL_ERR_CLOSED;
    }
    if (cl->posts_tail)
        cl->posts_tail->next = it;
    else
        cl->posts_head = it;
    cl->posts_tail = it;
    pthread_mutex_unlock(&cl->mu);
    sl_loop_wake(cl->loop);
    return SL_OK;
}

typedef struct call_ctx {
    sl_cl_fn *fn;
    void *arg;
    bool done;
} call_ctx_t;

static void call_run(sl_cl_t *cl, void *arg)
{
    call_ctx_t *c = arg;
    c->fn(cl, c->arg);
    pthread_mutex_lock(&cl->mu);
    c->done = true;
    pthread_cond_broadcast(&cl->cond);
    pthread_mutex_unlock(&cl->mu);
}

sl_err_t sl_cl_call(sl_cl_t *cl, sl_cl_fn *fn, void *arg)
{
    if (!fn)
        return SL_ERR_INVAL;
    if (cl->thread_started && pthread_equal(pthread_self(), cl->thread))
        return SL_ERR_STATE;
    call_ctx_t c = {fn, arg, false};
    sl_err_t err = sl_cl_post(cl, call_run, &c);
    if (err != SL_OK)
        return err;
    /* An accepted post always runs, also during the stop (io_main drains the
     * queue), so this wait ends. */
    pthread_mutex_lock(&cl->mu);
    while (!c.done)
        pthread_cond_wait(&cl->cond, &cl->mu);
    pthread_mutex_unlock(&cl->mu);
    return SL_OK;
}

void sl_cl_set_last_error(sl_cl_t *cl, const char *fmt, ...)
{
    char tmp[sizeof cl->last_error];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&cl->mu);
    memcpy(cl->last_error, tmp, sizeof tmp);
    pthread_mutex_unlock(&cl->mu);
}

void sl_cl_last_error(sl_cl_t *cl, char *buf, size_t len)
{
    if (!buf || len == 0)
        return;
    pthread_mutex_lock(&cl->mu);
    snprintf(buf, len, "%s", cl->last_error);
    pthread_mutex_unlock(&cl->mu);
}
