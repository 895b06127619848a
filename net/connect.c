/*
 * connect.c - outgoing connections: resolve, non-blocking connect to each
 * address in turn, the optional connect timeout, and the connect result.
 * Once connected the connection is an ordinary one (conn.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net_int.h"

/* Fails the connect: on_connect and on_close come from the close task.
 * Nobody is told about a connect the owner already closed. */
static void connect_failed(sl_conn_t *c, sl_err_t reason, int sys_errno)
{
    c->report_connect = !c->flush_close;
    net_conn_close_now(c, reason, sys_errno);
}

/* Starts a connect to the next address; fails the connection when none is
 * left. Never calls the owner's callbacks. */
static void connect_next(sl_conn_t *c)
{
    int err = c->sys_errno ? c->sys_errno : EHOSTUNREACH;
    while (c->ai_next) {
        struct addrinfo *ai = c->ai_next;
        c->ai_next = ai->ai_next;
        net_addr_format(ai->ai_addr, c->peer, sizeof(c->peer));
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                        ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        net_set_nodelay(fd);
        /* EINTR: the connect carries on in the background, as EINPROGRESS. */
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS &&
            errno != EINTR) {
            err = errno;
            SL_DEBUG(NET_LOG, "conn %llu: connect to %s: %s", (unsigned long long)c->id, c->peer,
                     strerror(err));
            close(fd);
            continue;
        }
        /* Writable once the connect finished, either way. */
        sl_err_t e = sl_loop_fd_add(c->loop, fd, SL_EV_WRITE, net_conn_fd_event, c);
        if (e) {
            err = e == SL_ERR_NOMEM ? ENOMEM : EINVAL;
            close(fd);
            continue;
        }
        c->fd = fd;
        c->mask = SL_EV_WRITE;
        return;
    }
    connect_failed(c, SL_ERR_IO, err);
}

void net_connect_writable(sl_conn_t *c)
{
    int soerr = 0;
    socklen_t len = sizeof(soerr);
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
        soerr = errno;
    if (soerr != 0) {
        SL_DEBUG(NET_LOG, "conn %llu: connect to %s: %s", (unsigned long long)c->id, c->peer,
                 strerror(soerr));
        sl_loop_fd_del(c->loop, c->fd);
        close(c->fd);
        c->fd = -1;
        c->mask = 0;
        c->sys_errno = soerr;
        connect_next(c);
        return;
    }
    c->state = NET_CONN_OPEN;
    c->sys_errno = 0;
    net_connect_cleanup(c);
    SL_DEBUG(NET_LOG, "conn %llu connected to %s", (unsigned long long)c->id, c->peer);
    if (!c->flush_close && c->opts.on_connect) {
        c->opts.on_connect(c, c->user, SL_OK);
        if (c->state != NET_CONN_OPEN)
            return;
    }
    net_conn_flush(c); /* sends queued while connecting; sets the events */
}

static void connect_timeout(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    SL_UNUSED(loop);
    SL_UNUSED(id);
    sl_conn_t *c = arg;
    c->connect_timer = 0;
    if (c->state == NET_CONN_CONNECTING)
        connect_failed(c, SL_ERR_TIMEOUT, 0);
}

void net_connect_cleanup(sl_conn_t *c)
{
    if (c->connect_timer) {
        sl_loop_timer_cancel(c->loop, c->connect_timer);
        c->connect_timer = 0;
    }
    if (c->ai_list) {
        freeaddrinfo(c->ai_list);
        c->ai_list = c->ai_next = NULL;
    }
}

sl_err_t sl_conn_connect(sl_loop_t *loop, const char *host, uint16_t port,
                         const sl_conn_opts_t *opts, void *user, sl_conn_t **out)
{
    *out = NULL;
    if (!host || !*host || port == 0 || (opts && opts->connect_timeout_ms < 0))
        return SL_ERR_INVAL;
    struct addrinfo *ai;
    sl_err_t err = net_addr_resolve(host, port, false, &ai);
    if (err)
        return err;
    sl_conn_t *c;
    err = net_conn_new(loop, -1, opts, user, &c);
    if (err) {
        freeaddrinfo(ai);
        return err;
    }
    c->ai_list = c->ai_next = ai;
    if (c->opts.connect_timeout_ms > 0) {
        err = sl_loop_timer_add(loop, c->opts.connect_timeout_ms, false, connect_timeout, c,
                                &c->connect_timer);
        if (err) {
            /* Not handed out yet: free it quietly, no callbacks. */
            c->opts.on_close = NULL;
            c->opts.on_connect = NULL;
            net_conn_close_now(c, SL_ERR_NOMEM, 0);
            return err;
        }
    }
    connect_next(c);
    *out = c;
    return SL_OK;
}
