/*
 * wake.c - the calls other threads may make: wake, post, stop. All three
 * write the loop's eventfd; the loop drains it, runs posted work in order,
 * then the wake callback if a wake was asked for.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "net_int.h"

static void kick(sl_loop_t *loop)
{
    uint64_t one = 1;
    /* EAGAIN means the counter is full, i.e. a wake is already owed. */
    while (write(loop->evfd, &one, sizeof(one)) < 0 && errno == EINTR) {
    }
}

static void on_eventfd(sl_loop_t *loop, int fd, unsigned events, void *arg)
{
    SL_UNUSED(events);
    SL_UNUSED(arg);
    uint64_t v;
    while (read(fd, &v, sizeof(v)) < 0 && errno == EINTR) {
    }

    pthread_mutex_lock(&loop->post_mu);
    net_post_t *p = loop->post_head;
    loop->post_head = loop->post_tail = NULL;
    pthread_mutex_unlock(&loop->post_mu);
    while (p) {
        net_post_t *next = p->next;
        sl_loop_fn *fn = p->fn;
        void *parg = p->arg;
        free(p);
        fn(loop, parg);
        p = next;
    }

    if (atomic_exchange(&loop->wake_requested, false) && loop->wake_fn)
        loop->wake_fn(loop, loop->wake_arg);
}

sl_err_t net_wake_init(sl_loop_t *loop)
{
    if (pthread_mutex_init(&loop->post_mu, NULL) != 0)
        return SL_ERR_NOMEM;
    loop->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (loop->evfd < 0) {
        SL_ERROR(NET_LOG, "eventfd: %s", strerror(errno));
        pthread_mutex_destroy(&loop->post_mu);
        return SL_ERR_IO;
    }
    sl_err_t err = sl_loop_fd_add(loop, loop->evfd, SL_EV_READ, on_eventfd, NULL);
    if (err) {
        close(loop->evfd);
        loop->evfd = -1;
        pthread_mutex_destroy(&loop->post_mu);
    }
    return err;
}

void net_wake_fini(sl_loop_t *loop)
{
    net_post_t *p = loop->post_head;
    while (p) {
        net_post_t *next = p->next;
        free(p);
        p = next;
    }
    loop->post_head = loop->post_tail = NULL;
    if (loop->evfd >= 0) {
        sl_loop_fd_del(loop, loop->evfd);
        close(loop->evfd);
        loop->evfd = -1;
    }
    pthread_mutex_destroy(&loop->post_mu);
}

void sl_loop_set_wake(sl_loop_t *loop, sl_loop_fn *fn, void *arg)
{
    loop->wake_fn = fn;
    loop->wake_arg = arg;
}

void sl_loop_wake(sl_loop_t *loop)
{
    atomic_store(&loop->wake_requested, true);
    kick(loop);
}

sl_err_t sl_loop_post(sl_loop_t *loop, sl_loop_fn *fn, void *arg)
{
    if (!fn)
        return SL_ERR_INVAL;
    net_post_t *p = malloc(sizeof(*p));
    if (!p)
        return SL_ERR_NOMEM;
    p->next = NULL;
    p->fn = fn;
    p->arg = arg;
    pthread_mutex_lock(&loop->post_mu);
    if (loop->post_tail)
        loop->post_tail->next = p;
    else
        loop->post_head = p;
    loop->post_tail = p;
    pthread_mutex_unlock(&loop->post_mu);
    kick(loop);
    return SL_OK;
}

void sl_loop_stop(sl_loop_t *loop)
{
    atomic_store(&loop->stop, true);
    kick(loop);
}
