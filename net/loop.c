/*
 * loop.c - the event loop proper: the epoll set and the table of watched
 * descriptors, one iteration (deferred connection work, before-sleep hook,
 * epoll_wait, file events, timers), run, and teardown.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "net_int.h"

#define MAX_EVENTS 256

sl_err_t sl_loop_new(sl_loop_t **out)
{
    *out = NULL;
    sl_loop_t *loop = calloc(1, sizeof(*loop));
    if (!loop)
        return SL_ERR_NOMEM;
    loop->evfd = -1;
    loop->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (loop->epfd < 0) {
        SL_ERROR(NET_LOG, "epoll_create1: %s", strerror(errno));
        free(loop);
        return SL_ERR_IO;
    }
    net_timers_init(&loop->timers);
    sl_list_init(&loop->handles);
    sl_list_init(&loop->tasks);
    atomic_init(&loop->stop, false);
    atomic_init(&loop->wake_requested, false);
    loop->now_ms = sl_time_mono_ms();
    sl_err_t err = net_wake_init(loop);
    if (err) {
        close(loop->epfd);
        net_timers_fini(&loop->timers);
        free(loop->fds);
        free(loop);
        return err;
    }
    *out = loop;
    return SL_OK;
}

void sl_loop_free(sl_loop_t *loop)
{
    if (!loop)
        return;
    /* Closing only marks a connection; its close callback runs from a task
     * and may close (or, unwisely, open) others: go round until nothing is
     * left. */
    while (!sl_list_empty(&loop->handles) || !sl_list_empty(&loop->tasks)) {
        sl_list_t *pos, *tmp;
        sl_list_foreach_safe(pos, tmp, &loop->handles) {
            net_handle_t *h = sl_container_of(pos, net_handle_t, node);
            h->close(h);
        }
        net_tasks_run(loop);
    }
    net_wake_fini(loop);
    net_timers_fini(&loop->timers);
    close(loop->epfd);
    free(loop->fds);
    free(loop);
}

int64_t sl_loop_now_ms(const sl_loop_t *loop)
{
    return loop->now_ms;
}

void sl_loop_set_before_sleep(sl_loop_t *loop, sl_loop_fn *fn, void *arg)
{
    loop->before_sleep = fn;
    loop->before_sleep_arg = arg;
}

/* ---- descriptor table ---- */

static uint32_t ev_to_epoll(unsigned mask)
{
    return ((mask & SL_EV_READ) ? EPOLLIN : 0u) | ((mask & SL_EV_WRITE) ? EPOLLOUT : 0u);
}

static sl_err_t fd_apply(sl_loop_t *loop, int fd, unsigned mask)
{
    net_fd_t *s = &loop->fds[fd];
    int op;
    if (mask == 0) {
        if (s->in_epoll)
            epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL); /* fails only if fd is gone */
        s->in_epoll = false;
        s->mask = 0;
        return SL_OK;
    }
    op = s->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    struct epoll_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.events = ev_to_epoll(mask);
    ev.data.u64 = ((uint64_t)s->gen << 32) | (uint32_t)fd;
    if (epoll_ctl(loop->epfd, op, fd, &ev) < 0) {
        SL_ERROR(NET_LOG, "epoll_ctl(fd %d): %s", fd, strerror(errno));
        return SL_ERR_IO;
    }
    s->in_epoll = true;
    s->mask = mask;
    return SL_OK;
}

sl_err_t sl_loop_fd_add(sl_loop_t *loop, int fd, unsigned mask, sl_fd_fn *fn, void *arg)
{
    if (fd < 0 || !fn || (mask & ~(SL_EV_READ | SL_EV_WRITE)))
        return SL_ERR_INVAL;
    if ((size_t)fd >= loop->nfds) {
        size_t n = loop->nfds ? loop->nfds : 64;
        while (n <= (size_t)fd)
            n *= 2;
        net_fd_t *fds = realloc(loop->fds, n * sizeof(*fds));
        if (!fds)
            return SL_ERR_NOMEM;
        memset(fds + loop->nfds, 0, (n - loop->nfds) * sizeof(*fds));
        loop->fds = fds;
        loop->nfds = n;
    }
    net_fd_t *s = &loop->fds[fd];
    if (s->used)
        return SL_ERR_INVAL;
    memset(s, 0, sizeof(*s));
    s->fn = fn;
    s->arg = arg;
    s->gen = ++loop->fd_gen;
    s->used = true;
    sl_err_t err = fd_apply(loop, fd, mask);
    if (err)
        s->used = false;
    return err;
}

sl_err_t sl_loop_fd_set(sl_loop_t *loop, int fd, unsigned mask)
{
    if (fd < 0 || (size_t)fd >= loop->nfds || !loop->fds[fd].used ||
        (mask & ~(SL_EV_READ | SL_EV_WRITE)))
        return SL_ERR_INVAL;
    if (loop->fds[fd].mask == mask && (mask != 0) == loop->fds[fd].in_epoll)
        return SL_OK;
    return fd_apply(loop, fd, mask);
}

void sl_loop_fd_del(sl_loop_t *loop, int fd)
{
    if (fd < 0 || (size_t)fd >= loop->nfds || !loop->fds[fd].used)
        return;
    fd_apply(loop, fd, 0);
    loop->fds[fd].used = false;
}

/* ---- one iteration ---- */

/* ---- handles and tasks ---- */

void net_handle_link(sl_loop_t *loop, net_handle_t *h)
{
    sl_list_insert_tail(&loop->handles, &h->node);
}

void net_handle_unlink(net_handle_t *h)
{
    sl_list_remove(&h->node);
}

void net_task_queue(sl_loop_t *loop, net_task_t *task)
{
    if (task->queued)
        return;
    task->queued = true;
    sl_list_insert_tail(&loop->tasks, &task->node);
}

/* Runs the tasks queued now; tasks queued meanwhile wait for the next round,
 * so a callback cannot keep this going forever. A task's fn may free the
 * memory holding it: it is unlinked first. */
void net_tasks_run(sl_loop_t *loop)
{
    if (sl_list_empty(&loop->tasks))
        return;
    sl_list_t batch;
    batch.next = loop->tasks.next;
    batch.prev = loop->tasks.prev;
    batch.next->prev = &batch;
    batch.prev->next = &batch;
    sl_list_init(&loop->tasks);
    while (!sl_list_empty(&batch)) {
        net_task_t *t = sl_container_of(batch.next, net_task_t, node);
        sl_list_remove(&t->node);
        t->queued = false;
        t->fn(t);
    }
}

static void dispatch(sl_loop_t *loop, const struct epoll_event *ev)
{
    int fd = (int)(uint32_t)ev->data.u64;
    uint32_t gen = (uint32_t)(ev->data.u64 >> 32);
    if ((size_t)fd >= loop->nfds)
        return;
    net_fd_t *s = &loop->fds[fd];
    /* An earlier callback of this batch may have dropped the fd, or dropped
     * it and watched a new descriptor with the same number. */
    if (!s->used || s->gen != gen)
        return;
    unsigned got = 0;
    if (ev->events & EPOLLIN)
        got |= SL_EV_READ;
    if (ev->events & EPOLLOUT)
        got |= SL_EV_WRITE;
    if (ev->events & (EPOLLERR | EPOLLHUP))
        got |= s->mask;
    got &= s->mask;
    if (got)
        s->fn(loop, fd, got, s->arg);
}

sl_err_t sl_loop_run_once(sl_loop_t *loop, int timeout_ms)
{
    net_tasks_run(loop);
    if (loop->before_sleep)
        loop->before_sleep(loop, loop->before_sleep_arg);

    int64_t now = sl_time_mono_ms();
    int64_t wait = net_timers_next_ms(&loop->timers, now);
    if (timeout_ms >= 0 && (wait < 0 || wait > timeout_ms))
        wait = timeout_ms;
    if (!sl_list_empty(&loop->tasks) || atomic_load(&loop->stop))
        wait = 0;
    if (wait > 60000)
        wait = 60000; /* timeouts stay small ints; the loop just goes round */

    struct epoll_event events[MAX_EVENTS];
    int n = epoll_wait(loop->epfd, events, MAX_EVENTS, (int)wait);
    int saved = errno;
    loop->now_ms = sl_time_mono_ms();
    if (n < 0) {
        if (saved == EINTR)
            return SL_OK;
        SL_ERROR(NET_LOG, "epoll_wait: %s", strerror(saved));
        return SL_ERR_IO;
    }
    for (int i = 0; i < n; i++)
        dispatch(loop, &events[i]);
    net_timers_run(loop, loop->now_ms);
    return SL_OK;
}

sl_err_t sl_loop_run(sl_loop_t *loop)
{
    sl_err_t err = SL_OK;
    while (!atomic_load(&loop->stop)) {
        err = sl_loop_run_once(loop, -1);
        if (err)
            break;
    }
    /* Close callbacks still owed run before returning, so an owner that
     * stops and inspects sees every close it caused. */
    net_tasks_run(loop);
    atomic_store(&loop->stop, false);
    return err;
}
