/* net_util.c - test helpers for net/ (see net_util.h). */
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "net_util.h"

#if defined(__SANITIZE_ADDRESS__)
#define TU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TU_ASAN 1
#endif
#endif

#ifdef TU_ASAN
/* From ASan's runtime (sanitizer/allocator_interface.h, not always installed). */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

bool tu_run_until(sl_loop_t *loop, tu_pred_fn *pred, void *arg, int timeout_ms)
{
    int64_t deadline = sl_time_mono_ms() + timeout_ms;
    for (int i = 0; i < 100000; i++) {
        if (pred(arg))
            return true;
        if (sl_time_mono_ms() > deadline)
            return false;
        assert_int_equal(sl_loop_run_once(loop, 10), SL_OK);
    }
    return pred(arg);
}

void tu_run_for(sl_loop_t *loop, int n, int wait_ms)
{
    for (int i = 0; i < n; i++)
        assert_int_equal(sl_loop_run_once(loop, wait_ms), SL_OK);
}

static void client_readable(sl_loop_t *loop, int fd, unsigned events, void *arg)
{
    SL_UNUSED(loop);
    SL_UNUSED(events);
    tu_client_t *c = arg;
    uint8_t tmp[65536];
    for (int i = 0; i < 64; i++) {
        ssize_t n = read(fd, tmp, sizeof(tmp));
        if (n > 0) {
            c->got_total += (size_t)n;
            if (!c->discard)
                sl_buf_put(&c->got, tmp, (size_t)n);
            continue;
        }
        if (n == 0) {
            c->eof = true;
        } else if (errno != EAGAIN && errno != EINTR) {
            c->err = errno;
            c->eof = true;
        } else {
            return;
        }
        sl_loop_fd_del(c->loop, c->fd);
        return;
    }
}

void tu_client_open(tu_client_t *c, sl_loop_t *loop, uint16_t port, int rcvbuf, bool watch)
{
    memset(c, 0, sizeof(*c));
    c->loop = loop;
    sl_buf_init(&c->got);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    assert_true(c->fd >= 0);
    if (rcvbuf > 0)
        assert_int_equal(setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = connect(c->fd, (struct sockaddr *)&sa, sizeof(sa));
    assert_true(rc == 0 || errno == EINPROGRESS);
    if (watch)
        tu_client_watch(c, true);
}

void tu_client_watch(tu_client_t *c, bool on)
{
    if (on)
        assert_int_equal(sl_loop_fd_add(c->loop, c->fd, SL_EV_READ, client_readable, c), SL_OK);
    else
        sl_loop_fd_del(c->loop, c->fd);
}

void tu_client_write(tu_client_t *c, const void *p, size_t n)
{
    const uint8_t *b = p;
    int64_t deadline = sl_time_mono_ms() + 10000;
    while (n > 0) {
        ssize_t w = send(c->fd, b, n, MSG_NOSIGNAL);
        if (w > 0) {
            b += w;
            n -= (size_t)w;
            continue;
        }
        assert_true(w < 0 && (errno == EAGAIN || errno == EINTR || errno == EINPROGRESS ||
                              errno == ENOTCONN));
        assert_true(sl_time_mono_ms() < deadline);
        assert_int_equal(sl_loop_run_once(c->loop, 10), SL_OK);
    }
}

void tu_client_write_frame(tu_client_t *c, const void *p, size_t n)
{
    uint8_t hdr[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
    tu_client_write(c, hdr, 4);
    if (n)
        tu_client_write(c, p, n);
}

void tu_client_close(tu_client_t *c, bool reset)
{
    if (c->fd < 0)
        return;
    if (reset) {
        struct linger lg = {1, 0};
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    }
    sl_loop_fd_del(c->loop, c->fd);
    close(c->fd);
    c->fd = -1;
    sl_buf_free(&c->got);
}

size_t tu_heap_in_use(void)
{
#ifdef TU_ASAN
    return __sanitizer_get_current_allocated_bytes();
#else
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
#endif
}

void tu_raise_nofile(long n)
{
    struct rlimit rl;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if ((long)rl.rlim_cur >= n)
        return;
    rl.rlim_cur = (rlim_t)n <= rl.rlim_max ? (rlim_t)n : rl.rlim_max;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
}
