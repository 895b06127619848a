/*
 * cons_subscribe.c - the application side of group membership:
 * subscribe() and unsubscribe() handed to the I/O thread, and close() for
 * a subscribed consumer (the final revoke callback on the calling thread,
 * the commit when enable.auto.commit, then LeaveGroup, the two waited for
 * within request.timeout.ms together). The protocol itself is cons_group.c.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "consumer_int.h"

typedef struct sub_arg {
    sl_consumer_t *c;
    char **topics;
    size_t n;
    sl_err_t err;
    bool sent;
    sl_tp_offset_t *parts;
    size_t nparts;
    sl_arena_t *arena;
} sub_arg_t;

static void subscribe_fn(sl_cl_t *cl, void *arg)
{
    (void)cl;
    sub_arg_t *a = arg;
    sl_consumer_t *c = a->c;
    if (!c->subscribed && c->tps) {
        a->err = SL_ERR_STATE;
        return;
    }
    a->err = sl_cons_group_subscribe(c, a->topics, a->n);
    if (!a->err) {
        c->subscribed = true;
        a->topics = NULL;
    }
}

sl_err_t sl_consumer_subscribe(sl_consumer_t *c, const char *const *topics, size_t n)
{
    if (!c || !topics || n == 0 || !c->conf->group_id)
        return SL_ERR_INVAL;
    char **copy = calloc(n, sizeof(*copy));
    if (!copy)
        return SL_ERR_NOMEM;
    sl_err_t err = SL_OK;
    for (size_t i = 0; i < n && !err; i++) {
        if (!topics[i] || !topics[i][0])
            err = SL_ERR_INVAL;
        else if (!(copy[i] = strdup(topics[i])))
            err = SL_ERR_NOMEM;
    }
    sub_arg_t a = {.c = c, .topics = copy, .n = n};
    if (!err) {
        err = sl_cons_closed(c) ? SL_ERR_STATE : sl_cl_call(c->cl, subscribe_fn, &a);
        if (!err)
            err = a.err;
    }
    if (a.topics) {
        for (size_t i = 0; i < n; i++)
            free(a.topics[i]);
        free(a.topics);
    }
    return err;
}

static void unsubscribe_fn(sl_cl_t *cl, void *arg)
{
    (void)cl;
    sub_arg_t *a = arg;
    sl_consumer_t *c = a->c;
    if (!c->subscribed)
        return;
    sl_cons_group_leave(c);
    c->subscribed = false;
}

sl_err_t sl_consumer_unsubscribe(sl_consumer_t *c)
{
    if (!c)
        return SL_ERR_INVAL;
    if (sl_cons_closed(c))
        return SL_ERR_STATE;
    sub_arg_t a = {.c = c};
    return sl_cl_call(c->cl, unsubscribe_fn, &a);
}

static void owned_fn(sl_cl_t *cl, void *arg)
{
    (void)cl;
    sub_arg_t *a = arg;
    sl_consumer_t *c = a->c;
    /* Out of memory: those copied are revoked, the others are not. */
    sl_cons_tps_copy(c, a->arena, &a->parts, &a->nparts);
    sl_cons_group_closing(c);
}

static void leave_fn(sl_cl_t *cl, void *arg)
{
    (void)cl;
    sub_arg_t *a = arg;
    a->sent = sl_cons_group_leave_now(a->c);
}

sl_err_t sl_cons_group_close(sl_consumer_t *c)
{
    sl_arena_t arena;
    sl_arena_init(&arena, 0, 0);
    sub_arg_t a = {.c = c, .arena = &arena};
    sl_err_t err = sl_cl_call(c->cl, owned_fn, &a);
    if (!err && a.nparts && c->rebalance_cb)
        c->rebalance_cb(c, SL_REBALANCE_REVOKED, a.parts, a.nparts, c->rebalance_arg);
    sl_arena_fini(&arena);
    /* The commit and the leave share one bound (client.h): request.timeout.ms
     * from here, after the application's callback. */
    int64_t end = sl_time_mono_ms() + c->conf->request_timeout_ms;
    if (!err && c->conf->auto_commit) {
        cons_op_t *op = sl_cons_positions_op_app(c, true, &err);
        if (op) {
            op->timeout_ms = (int)SL_MAX(end - sl_time_mono_ms(), (int64_t)0);
            err = sl_cons_op_run_sync(c, op, NULL);
        }
    }
    sub_arg_t l = {.c = c};
    if (sl_cl_call(c->cl, leave_fn, &l) == SL_OK && l.sent) {
        /* Wait (bounded) for the coordinator to take the leave. */
        pthread_mutex_lock(&c->lock);
        while (!sl_cons_group_left(c) && sl_time_mono_ms() < end) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_nsec += 50 * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&c->cond, &c->lock, &ts);
        }
        pthread_mutex_unlock(&c->lock);
    }
    return err == SL_ERR_STATE ? SL_OK : err;
}
