/*
 * conn.c - a framed TCP connection once it has a socket: reading and cutting
 * frames (length checked before the buffer grows for the body), buffered
 * sending, backpressure and pause, closing and the deferred close callback.
 * Outgoing connects are in connect.c, accepting in listener.c.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "net_int.h"

/* Room made in the input buffer before each read: the most a read can add
 * beyond what the peer has sent. */
#define READ_CHUNK (64u * 1024)
/* Buffers bigger than this are given back once empty, so one large frame
 * does not pin its memory for the life of the connection. */
#define SHRINK_ABOVE (1024u * 1024)

static atomic_uint_fast64_t next_conn_id = 1;

static void conn_task(net_task_t *task);
static void conn_handle_close(net_handle_t *h);

static size_t out_pending(const sl_conn_t *c)
{
    return c->out.len - c->out_off + c->file_pending;
}

/* Closes the descriptors of file ranges not sent yet. */
static void files_drop(sl_conn_t *c)
{
    for (size_t i = 0; i < c->files_n; i++)
        close(c->files[(c->files_head + i) % c->files_cap].fd);
    free(c->files);
    c->files = NULL;
    c->files_head = c->files_n = c->files_cap = 0;
    c->file_pending = 0;
}

/* Whether frames may be handed out and the socket read. */
static bool can_read(const sl_conn_t *c)
{
    return c->state == NET_CONN_OPEN && !c->paused && !c->backpressured && !c->flush_close;
}

sl_err_t net_conn_new(sl_loop_t *loop, int fd, const sl_conn_opts_t *opts, void *user,
                      sl_conn_t **out)
{
    *out = NULL;
    sl_conn_t *c = calloc(1, sizeof(*c));
    if (!c)
        return SL_ERR_NOMEM;
    c->loop = loop;
    c->fd = -1;
    c->id = atomic_fetch_add(&next_conn_id, 1);
    c->user = user;
    if (opts)
        c->opts = *opts;
    if (c->opts.max_frame == 0)
        c->opts.max_frame = SL_CONN_DEFAULT_MAX_FRAME;
    if (c->opts.max_frame > INT32_MAX)
        c->opts.max_frame = INT32_MAX;
    if (c->opts.out_high == 0)
        c->opts.out_high = SL_CONN_DEFAULT_OUT_HIGH;
    if (c->opts.out_low == 0 || c->opts.out_low > c->opts.out_high)
        c->opts.out_low = c->opts.out_high / 2;
    sl_buf_init(&c->in);
    sl_buf_init(&c->out);
    c->task.fn = conn_task;
    c->handle.close = conn_handle_close;
    strcpy(c->peer, "?");
    if (fd < 0) {
        c->state = NET_CONN_CONNECTING;
    } else {
        c->state = NET_CONN_OPEN;
        sl_err_t err = sl_loop_fd_add(loop, fd, SL_EV_READ, net_conn_fd_event, c);
        if (err) {
            free(c);
            return err;
        }
        c->fd = fd;
        c->mask = SL_EV_READ;
    }
    net_handle_link(loop, &c->handle);
    *out = c;
    return SL_OK;
}

static void log_close(const sl_conn_t *c)
{
    /* Frame length errors were logged with their numbers already. */
    sl_log_level_t lvl = SL_LOG_DEBUG;
    if (c->reason == SL_ERR_IO || c->reason == SL_ERR_TIMEOUT)
        lvl = SL_LOG_INFO;
    else if (c->reason == SL_ERR_NOMEM)
        lvl = SL_LOG_WARN;
    if (lvl < sl_log_get_level())
        return;
    if (c->sys_errno)
        sl_log_write(lvl, NET_LOG, "conn %llu %s closed: %s (%s)", (unsigned long long)c->id,
                     c->peer, sl_err_name(c->reason), strerror(c->sys_errno));
    else
        sl_log_write(lvl, NET_LOG, "conn %llu %s closed: %s", (unsigned long long)c->id, c->peer,
                     sl_err_name(c->reason));
}

void net_conn_close_now(sl_conn_t *c, sl_err_t reason, int sys_errno)
{
    if (c->state == NET_CONN_CLOSED)
        return;
    c->state = NET_CONN_CLOSED;
    c->reason = reason;
    if (sys_errno)
        c->sys_errno = sys_errno;
    log_close(c);
    if (c->fd >= 0) {
        sl_loop_fd_del(c->loop, c->fd);
        close(c->fd);
        c->fd = -1;
        c->mask = 0;
    }
    net_connect_cleanup(c);
    files_drop(c);
    /* The input buffer stays: a frame callback up the stack may still be
     * looking at its frame. Everything goes in the task. */
    net_task_queue(c->loop, &c->task);
}

static void conn_free(sl_conn_t *c)
{
    net_handle_unlink(&c->handle);
    if (c->report_connect && c->opts.on_connect)
        c->opts.on_connect(c, c->user, c->reason);
    if (c->opts.on_close)
        c->opts.on_close(c, c->user, c->reason);
    sl_buf_free(&c->in);
    sl_buf_free(&c->out);
    files_drop(c);
    free(c);
}

static void conn_handle_close(net_handle_t *h)
{
    net_conn_close_now(sl_container_of(h, sl_conn_t, handle), SL_OK, 0);
}

void net_conn_update_events(sl_conn_t *c)
{
    if (c->fd < 0)
        return;
    unsigned mask;
    if (c->state == NET_CONN_CONNECTING)
        mask = SL_EV_WRITE;
    else
        mask = (can_read(c) ? SL_EV_READ : 0) | (out_pending(c) ? SL_EV_WRITE : 0);
    if (mask == c->mask)
        return;
    if (sl_loop_fd_set(c->loop, c->fd, mask) != SL_OK) {
        net_conn_close_now(c, SL_ERR_IO, errno);
        return;
    }
    c->mask = mask;
}

/* ---- input ---- */

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Hands out the complete frames in the input buffer while reading is
 * allowed. A bad length closes the connection as soon as its 4 bytes are
 * in, before the buffer grows towards it. */
static void deliver(sl_conn_t *c)
{
    while (can_read(c)) {
        size_t avail = c->in.len - c->in_off;
        if (avail < 4)
            break;
        const uint8_t *p = c->in.data + c->in_off;
        int32_t n = (int32_t)be32(p);
        if (n < 0) {
            SL_WARN(NET_LOG, "conn %llu %s: negative frame length %d, closing",
                    (unsigned long long)c->id, c->peer, (int)n);
            net_conn_close_now(c, SL_ERR_PARSE, 0);
            return;
        }
        if ((size_t)n > c->opts.max_frame) {
            SL_WARN(NET_LOG, "conn %llu %s: frame length %d exceeds max %zu, closing",
                    (unsigned long long)c->id, c->peer, (int)n, c->opts.max_frame);
            net_conn_close_now(c, SL_ERR_TOO_LARGE, 0);
            return;
        }
        if (avail - 4 < (size_t)n)
            break;
        c->in_off += 4 + (size_t)n;
        if (c->opts.on_frame)
            c->opts.on_frame(c, c->user, p + 4, (size_t)n);
        if (c->state == NET_CONN_CLOSED)
            return;
    }
    /* A paused owner may still hold the last frame handed out: the buffer
     * is kept as it is until reading resumes. */
    if (c->in_off == c->in.len && can_read(c)) {
        c->in_off = 0;
        if (c->in.cap > SHRINK_ABOVE)
            sl_buf_free(&c->in);
        else
            sl_buf_reset(&c->in);
    }
}

static void conn_read(sl_conn_t *c)
{
    if (c->in_off > 0) {
        sl_buf_consume(&c->in, c->in_off);
        c->in_off = 0;
    }
    if (sl_buf_reserve(&c->in, READ_CHUNK) != SL_OK) {
        net_conn_close_now(c, SL_ERR_NOMEM, 0);
        return;
    }
    ssize_t n;
    do {
        n = read(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len);
    } while (n < 0 && errno == EINTR);
    if (n == 0) {
        net_conn_close_now(c, SL_ERR_CLOSED, 0);
        return;
    }
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            net_conn_close_now(c, SL_ERR_IO, errno);
        return;
    }
    c->in.len += (size_t)n;
    deliver(c);
}

/* ---- output ---- */

/* After output shrank: lift backpressure, finish a flushing close. */
static void output_drained_some(sl_conn_t *c)
{
    size_t pending = out_pending(c);
    if (pending == 0) {
        c->out_off = 0;
        if (c->out.cap > SHRINK_ABOVE)
            sl_buf_free(&c->out);
        else
            sl_buf_reset(&c->out);
        if (c->flush_close) {
            net_conn_close_now(c, SL_OK, 0);
            return;
        }
    } else if (c->out_off >= READ_CHUNK && c->out_off > c->out.len / 2) {
        sl_buf_consume(&c->out, c->out_off);
        c->out_off = 0;
    }
    if (c->backpressured && pending <= c->opts.out_low) {
        c->backpressured = false;
        SL_DEBUG(NET_LOG, "conn %llu %s: output down to %zu bytes, reading again",
                 (unsigned long long)c->id, c->peer, pending);
        if (c->in.len > c->in_off)
            net_task_queue(c->loop, &c->task);
    }
}

/* Sends from the head file range. >0 bytes sent, 0 would block, -1 the
 * connection was closed. */
static ssize_t flush_file(sl_conn_t *c)
{
    net_file_chunk_t *f = &c->files[c->files_head];
    off_t off = (off_t)f->off;
    ssize_t n;
    do {
        n = sendfile(c->fd, f->fd, &off, SL_MIN(f->len, (size_t)1 << 30));
    } while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return 0;
    if (n <= 0) {
        /* n == 0: the file is shorter than the range; the peer would wait
         * for bytes that never come, so the connection cannot go on. */
        net_conn_close_now(c, SL_ERR_IO, n < 0 ? errno : EIO);
        return -1;
    }
    f->off += n;
    f->len -= (size_t)n;
    c->file_pending -= (size_t)n;
    if (f->len == 0) {
        close(f->fd);
        c->files_head = (c->files_head + 1) % c->files_cap;
        c->files_n--;
    }
    return n;
}

void net_conn_flush(sl_conn_t *c)
{
    while (c->state == NET_CONN_OPEN && out_pending(c) > 0) {
        size_t mem = c->out.len - c->out_off;
        bool file_next = false;
        if (c->files_n > 0) {
            uint64_t before = c->files[c->files_head].at - c->mem_sent;
            file_next = before == 0;
            mem = SL_MIN(mem, (size_t)before);
        }
        if (file_next) {
            ssize_t n = flush_file(c);
            if (n < 0)
                return;
            if (n == 0)
                break;
            continue;
        }
        /* MSG_MORE: a file range follows these bytes, let them share packets. */
        int flags = MSG_NOSIGNAL | (c->files_n > 0 ? MSG_MORE : 0);
        ssize_t n = send(c->fd, c->out.data + c->out_off, mem, flags);
        if (n > 0) {
            c->out_off += (size_t)n;
            c->mem_sent += (uint64_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        net_conn_close_now(c, SL_ERR_IO, n < 0 ? errno : EPIPE);
        return;
    }
    if (c->state != NET_CONN_OPEN)
        return;
    output_drained_some(c);
    if (c->state == NET_CONN_OPEN)
        net_conn_update_events(c);
}

/* Output above out_high stops reading (see net.h). */
static void note_backlog(sl_conn_t *c)
{
    if (!c->backpressured && out_pending(c) > c->opts.out_high) {
        c->backpressured = true;
        SL_DEBUG(NET_LOG, "conn %llu %s: %zu bytes of output pending, not reading",
                 (unsigned long long)c->id, c->peer, out_pending(c));
    }
}

static sl_err_t conn_sendv(sl_conn_t *c, const struct iovec *iov, int cnt)
{
    if (c->state == NET_CONN_CLOSED || c->flush_close)
        return SL_ERR_CLOSED;
    size_t total = 0;
    for (int i = 0; i < cnt; i++)
        total += iov[i].iov_len;
    if (total == 0)
        return SL_OK;

    /* Nothing queued: give the socket the caller's bytes directly and copy
     * only what it does not take. */
    size_t sent = 0;
    if (c->state == NET_CONN_OPEN && out_pending(c) == 0) {
        struct msghdr msg;
        memset(&msg, 0, sizeof(msg));
        msg.msg_iov = (struct iovec *)iov;
        msg.msg_iovlen = (size_t)cnt;
        ssize_t n;
        do {
            n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
        } while (n < 0 && errno == EINTR);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            net_conn_close_now(c, SL_ERR_IO, errno);
            return SL_ERR_IO;
        }
        sent = n > 0 ? (size_t)n : 0;
    }
    c->mem_queued += total;
    c->mem_sent += sent;
    for (int i = 0; i < cnt; i++) {
        size_t len = iov[i].iov_len;
        if (sent >= len) {
            sent -= len;
            continue;
        }
        sl_buf_put(&c->out, (const uint8_t *)iov[i].iov_base + sent, len - sent);
        sent = 0;
    }
    if (sl_buf_err(&c->out) != SL_OK) {
        net_conn_close_now(c, SL_ERR_NOMEM, 0);
        return SL_ERR_NOMEM;
    }
    note_backlog(c);
    net_conn_update_events(c);
    return c->state == NET_CONN_CLOSED ? SL_ERR_IO : SL_OK;
}

sl_err_t sl_conn_send(sl_conn_t *conn, const void *p, size_t n)
{
    struct iovec iov = {(void *)p, n};
    return conn_sendv(conn, &iov, 1);
}

sl_err_t sl_conn_send_file(sl_conn_t *conn, int fd, int64_t off, size_t len)
{
    if (fd < 0 || off < 0)
        return SL_ERR_INVAL;
    if (conn->state == NET_CONN_CLOSED || conn->flush_close) {
        close(fd);
        return SL_ERR_CLOSED;
    }
    if (len == 0) {
        close(fd);
        return SL_OK;
    }
    if (conn->files_n == conn->files_cap) {
        size_t cap = conn->files_cap ? conn->files_cap * 2 : 8;
        net_file_chunk_t *files = malloc(cap * sizeof(*files));
        if (!files) {
            close(fd);
            net_conn_close_now(conn, SL_ERR_NOMEM, 0);
            return SL_ERR_NOMEM;
        }
        for (size_t i = 0; i < conn->files_n; i++)
            files[i] = conn->files[(conn->files_head + i) % conn->files_cap];
        free(conn->files);
        conn->files = files;
        conn->files_cap = cap;
        conn->files_head = 0;
    }
    bool idle = out_pending(conn) == 0;
    net_file_chunk_t *f = &conn->files[(conn->files_head + conn->files_n) % conn->files_cap];
    f->at = conn->mem_queued;
    f->fd = fd;
    f->off = off;
    f->len = len;
    conn->files_n++;
    conn->file_pending += len;
    /* Nothing was queued: send now, as sl_conn_send does. */
    if (idle && conn->state == NET_CONN_OPEN)
        net_conn_flush(conn);
    if (conn->state == NET_CONN_CLOSED)
        return SL_ERR_IO;
    note_backlog(conn);
    net_conn_update_events(conn);
    return SL_OK;
}

sl_err_t sl_conn_send_frame(sl_conn_t *conn, const void *p, size_t n)
{
    if (n > INT32_MAX)
        return SL_ERR_INVAL;
    uint8_t hdr[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
    struct iovec iov[2] = {{hdr, 4}, {(void *)p, n}};
    return conn_sendv(conn, iov, 2);
}

size_t sl_conn_out_pending(const sl_conn_t *conn)
{
    return out_pending(conn);
}

/* ---- events and tasks ---- */

void net_conn_fd_event(sl_loop_t *loop, int fd, unsigned events, void *arg)
{
    SL_UNUSED(loop);
    SL_UNUSED(fd);
    sl_conn_t *c = arg;
    if (c->state == NET_CONN_CONNECTING) {
        net_connect_writable(c);
        return;
    }
    /* A read event of the same wait that paused the connection must not
     * move the input buffer under a frame its owner still holds. */
    if ((events & SL_EV_READ) && can_read(c))
        conn_read(c);
    if ((events & SL_EV_WRITE) && c->state == NET_CONN_OPEN)
        net_conn_flush(c);
}

static void conn_task(net_task_t *task)
{
    sl_conn_t *c = sl_container_of(task, sl_conn_t, task);
    if (c->state == NET_CONN_CLOSED) {
        conn_free(c);
        return;
    }
    deliver(c);
    if (c->state == NET_CONN_OPEN)
        net_conn_update_events(c);
}

/* ---- owner's controls ---- */

void sl_conn_pause_read(sl_conn_t *conn)
{
    if (conn->state == NET_CONN_CLOSED || conn->paused)
        return;
    conn->paused = true;
    net_conn_update_events(conn);
}

void sl_conn_resume_read(sl_conn_t *conn)
{
    if (conn->state == NET_CONN_CLOSED || !conn->paused)
        return;
    conn->paused = false;
    net_conn_update_events(conn);
    if (conn->in.len > conn->in_off)
        net_task_queue(conn->loop, &conn->task);
}

bool sl_conn_read_paused(const sl_conn_t *conn)
{
    return conn->paused;
}

void sl_conn_close(sl_conn_t *conn, bool flush)
{
    if (conn->state == NET_CONN_CLOSED)
        return;
    if (!flush || out_pending(conn) == 0) {
        net_conn_close_now(conn, SL_OK, 0);
        return;
    }
    conn->flush_close = true;
    net_conn_update_events(conn);
}

void sl_conn_set_user(sl_conn_t *conn, void *user)
{
    conn->user = user;
}

void *sl_conn_user(const sl_conn_t *conn)
{
    return conn->user;
}

const char *sl_conn_peer(const sl_conn_t *conn)
{
    return conn->peer;
}

int sl_conn_errno(const sl_conn_t *conn)
{
    return conn->sys_errno;
}

uint64_t sl_conn_id(const sl_conn_t *conn)
{
    return conn->id;
}

sl_loop_t *sl_conn_loop(const sl_conn_t *conn)
{
    return conn->loop;
}
