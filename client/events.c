/*
 * events.c - the queue of callbacks the I/O thread hands to the
 * application thread: a mutex and condition variable around a singly linked
 * list. Serving takes one event at a time off the queue and runs it with no
 * lock held, so a callback may call back into its handle.
 */
#include <errno.h>
#include <time.h>

#include "core_int.h"

void sl_cl_events_init(sl_cl_events_t *q)
{
    pthread_mutex_init(&q->mu, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&q->cond, &attr);
    pthread_condattr_destroy(&attr);
    q->head = q->tail = NULL;
    q->wakes = 0;
}

void sl_cl_events_fini(sl_cl_events_t *q)
{
    sl_cl_event_t *ev = q->head;
    while (ev) {
        sl_cl_event_t *next = ev->next;
        if (ev->free)
            ev->free(ev);
        ev = next;
    }
    q->head = q->tail = NULL;
    pthread_cond_destroy(&q->cond);
    pthread_mutex_destroy(&q->mu);
}

void sl_cl_event_push(sl_cl_t *cl, sl_cl_event_t *ev)
{
    sl_cl_events_t *q = &cl->events;
    ev->next = NULL;
    pthread_mutex_lock(&q->mu);
    if (q->tail)
        q->tail->next = ev;
    else
        q->head = ev;
    q->tail = ev;
    pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->mu);
}

void sl_cl_events_wake(sl_cl_t *cl)
{
    sl_cl_events_t *q = &cl->events;
    pthread_mutex_lock(&q->mu);
    q->wakes++;
    pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->mu);
}

static sl_cl_event_t *pop_locked(sl_cl_events_t *q)
{
    sl_cl_event_t *ev = q->head;
    if (ev) {
        q->head = ev->next;
        if (!q->head)
            q->tail = NULL;
        ev->next = NULL;
    }
    return ev;
}

int sl_cl_events_serve(sl_cl_t *cl, int timeout_ms, int max, void *arg)
{
    sl_cl_events_t *q = &cl->events;
    struct timespec until;
    if (timeout_ms > 0) {
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += timeout_ms / 1000;
        until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
    }
    pthread_mutex_lock(&q->mu);
    uint64_t wakes = q->wakes;
    while (!q->head && timeout_ms != 0 && q->wakes == wakes) {
        if (timeout_ms < 0) {
            pthread_cond_wait(&q->cond, &q->mu);
        } else if (pthread_cond_timedwait(&q->cond, &q->mu, &until) == ETIMEDOUT) {
            break;
        }
    }
    /* "All" means those queued now: an event that queues another must not
     * keep this call going for ever. */
    if (max <= 0) {
        max = 0;
        for (sl_cl_event_t *e = q->head; e; e = e->next)
            max++;
    }
    int ran = 0;
    sl_cl_event_t *ev;
    while (ran < max && (ev = pop_locked(q)) != NULL) {
        pthread_mutex_unlock(&q->mu);
        if (ev->run)
            ev->run(ev, arg);
        if (ev->free)
            ev->free(ev);
        ran++;
        pthread_mutex_lock(&q->mu);
    }
    pthread_mutex_unlock(&q->mu);
    return ran;
}
