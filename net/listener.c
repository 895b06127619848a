/*
 * listener.c - a listening TCP socket: bind, accept in batches, hand each new
 * connection to the owner, and ride out running out of descriptors by
 * pausing accepts for a moment instead of spinning on a ready socket that
 * cannot be accepted from.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net_int.h"

#define ACCEPTS_PER_WAKEUP 256 /* the rest wait one iteration: others get a turn */
#define ACCEPT_RETRY_MS 100

struct sl_listener {
    net_handle_t handle;
    sl_loop_t *loop;
    int fd;
    uint16_t port;
    sl_listener_opts_t opts;
    sl_timer_id_t retry_timer;
    bool in_accept;       /* inside on_accept: a close must wait for it */
    bool close_requested;
    char addr[64];
};

static void listener_free(sl_listener_t *lst)
{
    if (lst->fd >= 0) {
        sl_loop_fd_del(lst->loop, lst->fd);
        close(lst->fd);
        lst->fd = -1;
    }
    if (lst->retry_timer) {
        sl_loop_timer_cancel(lst->loop, lst->retry_timer);
        lst->retry_timer = 0;
    }
    net_handle_unlink(&lst->handle);
    free(lst);
}

void sl_listener_close(sl_listener_t *lst)
{
    if (!lst || lst->close_requested)
        return;
    SL_INFO(NET_LOG, "stopped listening on %s", lst->addr);
    if (lst->in_accept) {
        lst->close_requested = true;
        sl_loop_fd_del(lst->loop, lst->fd);
        close(lst->fd);
        lst->fd = -1;
        return;
    }
    listener_free(lst);
}

static void handle_close(net_handle_t *h)
{
    sl_listener_close(sl_container_of(h, sl_listener_t, handle));
}

static void retry_accept(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    SL_UNUSED(id);
    sl_listener_t *lst = arg;
    lst->retry_timer = 0;
    if (lst->fd >= 0)
        sl_loop_fd_set(loop, lst->fd, SL_EV_READ);
}

/* Out of descriptors or memory: the pending connection stays in the kernel's
 * queue and the socket stays readable, so stop watching it for a while. */
static void pause_accepts(sl_listener_t *lst, int err)
{
    SL_WARN(NET_LOG, "accept on %s: %s; not accepting for %d ms", lst->addr, strerror(err),
            ACCEPT_RETRY_MS);
    sl_loop_fd_set(lst->loop, lst->fd, 0);
    if (!lst->retry_timer &&
        sl_loop_timer_add(lst->loop, ACCEPT_RETRY_MS, false, retry_accept, lst,
                          &lst->retry_timer) != SL_OK)
        sl_loop_fd_set(lst->loop, lst->fd, SL_EV_READ); /* better spin than go deaf */
}

static void on_listen_fd(sl_loop_t *loop, int fd, unsigned events, void *arg)
{
    SL_UNUSED(events);
    sl_listener_t *lst = arg;
    for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        int cfd = accept4(fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) {
            int err = errno;
            switch (err) {
            case EINTR:
                continue;
            case EAGAIN:
#if EWOULDBLOCK != EAGAIN
            case EWOULDBLOCK:
#endif
                return;
            case EMFILE:
            case ENFILE:
            case ENOBUFS:
            case ENOMEM:
                pause_accepts(lst, err);
                return;
            case ECONNABORTED:
            case EPROTO:
            case EPERM:
            case ENETDOWN:
            case ENOPROTOOPT:
            case EHOSTDOWN:
            case ENONET:
            case EHOSTUNREACH:
            case EOPNOTSUPP:
            case ENETUNREACH:
                /* That one connection failed before we got it. */
                SL_DEBUG(NET_LOG, "accept on %s: %s", lst->addr, strerror(err));
                continue;
            default:
                SL_WARN(NET_LOG, "accept on %s: %s", lst->addr, strerror(err));
                return;
            }
        }
        net_set_nodelay(cfd);
        sl_conn_t *c;
        sl_err_t e = net_conn_new(loop, cfd, &lst->opts.conn, lst->opts.arg, &c);
        if (e) {
            SL_WARN(NET_LOG, "accept on %s: %s; dropping the connection", lst->addr,
                    sl_err_str(e));
            close(cfd);
            continue;
        }
        net_addr_format((struct sockaddr *)&ss, c->peer, sizeof(c->peer));
        SL_DEBUG(NET_LOG, "conn %llu accepted from %s on %s", (unsigned long long)c->id, c->peer,
                 lst->addr);
        if (lst->opts.on_accept) {
            lst->in_accept = true;
            lst->opts.on_accept(lst, c, lst->opts.arg);
            lst->in_accept = false;
            if (lst->close_requested) {
                listener_free(lst);
                return;
            }
        }
    }
}

sl_err_t sl_listener_open(sl_loop_t *loop, const char *host, uint16_t port,
                          const sl_listener_opts_t *opts, sl_listener_t **out)
{
    *out = NULL;
    static const sl_listener_opts_t defaults;
    if (!opts)
        opts = &defaults;
    if (opts->backlog < 0)
        return SL_ERR_INVAL;
    struct addrinfo *ai;
    sl_err_t err = net_addr_resolve(host, port, true, &ai);
    if (err)
        return err;
    sl_listener_t *lst = calloc(1, sizeof(*lst));
    if (!lst) {
        freeaddrinfo(ai);
        return SL_ERR_NOMEM;
    }
    lst->loop = loop;
    lst->opts = *opts;
    net_addr_format(ai->ai_addr, lst->addr, sizeof(lst->addr));

    const char *what = "socket";
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd >= 0) {
        int one = 1;
        what = "setsockopt(SO_REUSEADDR)";
        bool ok = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0;
        if (ok && opts->reuseport) {
            what = "setsockopt(SO_REUSEPORT)";
            ok = setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == 0;
        }
        if (ok) {
            what = "bind";
            if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
                what = "listen";
                if (listen(fd, opts->backlog ? opts->backlog : SOMAXCONN) == 0)
                    what = NULL;
            }
        }
    }
    freeaddrinfo(ai);
    if (what) {
        SL_ERROR(NET_LOG, "cannot listen on %s: %s: %s", lst->addr, what, strerror(errno));
        if (fd >= 0)
            close(fd);
        free(lst);
        return SL_ERR_IO;
    }

    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
        net_addr_format((struct sockaddr *)&ss, lst->addr, sizeof(lst->addr));
        lst->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                   : ((struct sockaddr_in *)&ss)->sin_port);
    }
    err = sl_loop_fd_add(loop, fd, SL_EV_READ, on_listen_fd, lst);
    if (err) {
        close(fd);
        free(lst);
        return err;
    }
    lst->fd = fd;
    lst->handle.close = handle_close;
    net_handle_link(loop, &lst->handle);
    SL_INFO(NET_LOG, "listening on %s", lst->addr);
    *out = lst;
    return SL_OK;
}

uint16_t sl_listener_port(const sl_listener_t *lst)
{
    return lst->port;
}
