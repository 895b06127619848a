/* listener_test.c - listeners: ephemeral port, port in use, many pending
 * connections accepted, closing from the accept callback, and surviving
 * EMFILE (the process out of descriptors) without spinning or dying. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "net_util.h"

typedef struct acc {
    int accepted;
    int closes;
    int frames;
    bool close_listener;
    sl_listener_t *lst;
} acc_t;

static void acc_frame(sl_conn_t *conn, void *user, const uint8_t *frame, size_t len)
{
    ((acc_t *)user)->frames++;
    assert_int_equal(sl_conn_send_frame(conn, frame, len), SL_OK);
}

static void acc_close(sl_conn_t *conn, void *user, sl_err_t reason)
{
    SL_UNUSED(conn);
    SL_UNUSED(reason);
    ((acc_t *)user)->closes++;
}

static void acc_accept(sl_listener_t *lst, sl_conn_t *conn, void *arg)
{
    SL_UNUSED(conn);
    acc_t *a = arg;
    a->accepted++;
    if (a->close_listener) {
        sl_listener_close(lst);
        a->lst = NULL;
    }
}

static sl_listener_opts_t acc_opts(acc_t *a)
{
    sl_listener_opts_t lo = {.conn = {.on_frame = acc_frame, .on_close = acc_close},
                             .on_accept = acc_accept, .arg = a};
    return lo;
}

typedef struct acc_wait {
    acc_t a;
    int want;
} acc_wait_t;

static bool accepted_n(void *arg)
{
    acc_wait_t *w = arg;
    return w->a.accepted >= w->want;
}

static void listener_ephemeral_port_is_reported(void **state)
{
    (void)state;
    sl_loop_t *loop;
    assert_int_equal(sl_loop_new(&loop), SL_OK);
    sl_listener_t *a, *b;
    assert_int_equal(sl_listener_open(loop, "127.0.0.1", 0, NULL, &a), SL_OK);
    assert_int_equal(sl_listener_open(loop, "127.0.0.1", 0, NULL, &b), SL_OK);
    assert_true(sl_listener_port(a) != 0);
    assert_true(sl_listener_port(b) != 0);
    assert_true(sl_listener_port(a) != sl_listener_port(b));
    sl_listener_close(a);
    sl_listener_close(NULL);
    sl_loop_free(loop); /* closes b */
}

static void listener_port_in_use_fails_with_io(void **state)
{
    (void)state;
    sl_loop_t *loop;
    assert_int_equal(sl_loop_new(&loop), SL_OK);
    sl_listener_t *a, *b = (sl_listener_t *)1;
    assert_int_equal(sl_listener_open(loop, "127.0.0.1", 0, NULL, &a), SL_OK);
    assert_int_equal(sl_listener_open(loop, "127.0.0.1", sl_listener_port(a), NULL, &b),
                     SL_ERR_IO);
    assert_null(b);
    sl_listener_opts_t bad = {.backlog = -1};
    assert_int_equal(sl_listener_open(loop, "127.0.0.1", 0, &bad, &b), SL_ERR_INVAL);
    sl_listener_close(a);
    /* SO_REUSEADDR: the port can be listened on again at once. */
    sl_loop_free(loop);
}

static void listener_accepts_hundreds_pending_at_once(void **state)
{
    (void)state;
    enum { N = 300 };
    tu_raise_nofile(3 * N + 64);
    sl_loop_t *loop;
    assert_int_equal(sl_loop_new(&loop), SL_OK);
    acc_wait_t w = {.want = N};
    sl_listener_opts_t lo = acc_opts(&w.a);
    lo.backlog = 1024;
    sl_listener_t *lst;
    assert_int_equal(sl_listener_open(loop, "127.0.0.1", 0, &lo, &lst), SL_OK);
    static tu_client_t c[N];
    for (int i = 0; i < N; i++)
        tu_client_open(&c[i], loop, sl_listener_port(lst), 0, false);
    assert_true(tu_run_until(loop, accepted_n, &w, 20000));
    assert_int_equal(w.a.accepted, N);
    for (int i = 0; i < N; i++)
        tu_client_close(&c[i], false);
    sl_loop_free(loop);
    assert_int_equal(w.a.closes, N);
}

typedef struct acc_pair {
    acc_t a, b;
    int want;
} acc_pair_t;

static bool pair_accepted_n(void *arg)
{
    acc_pair_t *p = arg;
    return p->a.accepted + p->b.accepted >= p->want;
}

static void listener_reuseport_shares_a_port_and_spreads_connections(void **state)
{
    (void)state;
    enum { N = 64 };
    tu_raise_nofile(3 * N + 64);
    sl_loop_t *loop;
    assert_int_equal(sl_loop_new(&loop), SL_OK);
    acc_pair_t p = {.want = N};
    sl_listener_opts_t loa = acc_opts(&p.a), lob = acc_opts(&p.b);
    loa.reuseport = lob.reuseport = true;
    sl_listener_t *a, *b, *c = (sl_listener_t *)1;
    assert_int_equal(sl_listener_open(loop, "127.0.0.1", 0, &loa, &a), SL_OK);
    uint16_t port = sl_listener_port(a);
    assert_int_equal(sl_listener_open(loop, "127.0.0.1", port, &lob, &b), SL_OK);
    assert_int_equal(sl_listener_port(b), port);
    /* A listener without the option cannot join them. */
    assert_int_equal(sl_listener_open(loop, "127.0.0.1", port, NULL, &c), SL_ERR_IO);
    assert_null(c);

    static tu_client_t cl[N];
    for (int i = 0; i < N; i++)
        tu_client_open(&cl[i], loop, port, 0, false);
    assert_true(tu_run_until(loop, pair_accepted_n, &p, 20000));
    assert_int_equal(p.a.accepted + p.b.accepted, N);
    /* The kernel hashes each connection to one listener: with 64 of them,
     * both get some (all on one side has odds of 2^-63). */
    assert_true(p.a.accepted > 0);
    assert_true(p.b.accepted > 0);
    for (int i = 0; i < N; i++)
        tu_client_close(&cl[i], false);

    /* With one of them closed, the other takes every new connection. */
    sl_listener_close(a);
    p.a.accepted = p.b.accepted = 0;
    p.want = 8;
    for (int i = 0; i < 8; i++)
        tu_client_open(&cl[i], loop, port, 0, false);
    assert_true(tu_run_until(loop, pair_accepted_n, &p, 20000));
    assert_int_equal(p.b.accepted, 8);
    for (int i = 0; i < 8; i++)
        tu_client_close(&cl[i], false);
    sl_loop_free(loop);
}

static bool frames_1(void *arg) { return ((acc_t *)arg)->frames >= 1; }

static void listener_close_in_accept_callback_keeps_the_connection(void **state)
{
    (void)state;
    sl_loop_t *loop;
    assert_int_equal(sl_loop_new(&loop), SL_OK);
    acc_wait_t w = {.want = 1};
    w.a.close_listener = true;
    sl_listener_opts_t lo = acc_opts(&w.a);
    sl_listener_t *lst;
    assert_int_equal(sl_listener_open(loop, "127.0.0.1", 0, &lo, &lst), SL_OK);
    uint16_t port = sl_listener_port(lst);
    w.a.lst = lst;
    tu_client_t c1, c2;
    tu_client_open(&c1, loop, port, 0, true);
    tu_client_open(&c2, loop, port, 0, true); /* queued behind c1, never accepted */
    assert_true(tu_run_until(loop, accepted_n, &w, 5000));
    assert_null(w.a.lst);
    tu_client_write_frame(&c1, "ping", 4);
    assert_true(tu_run_until(loop, frames_1, &w.a, 5000));
    tu_run_for(loop, 5, 5);
    assert_int_equal(w.a.accepted, 1);
    assert_int_equal(w.a.closes, 0);
    tu_client_close(&c1, false);
    tu_client_close(&c2, false);
    sl_loop_free(loop);
    assert_int_equal(w.a.closes, 1);
}

/* ---- EMFILE ---- */

typedef struct log_count {
    int accept_warnings;
} log_count_t;

static void count_sink(void *ctx, sl_log_level_t level, const char *line, size_t len)
{
    SL_UNUSED(len);
    if (level == SL_LOG_WARN && strstr(line, "accept on") && strstr(line, "not accepting"))
        ((log_count_t *)ctx)->accept_warnings++;
}

typedef struct emfile_wait {
    acc_wait_t *w;
    tu_client_t *c;
} emfile_wait_t;

static bool accepted_or_dropped(void *arg)
{
    emfile_wait_t *e = arg;
    return e->w->a.accepted >= 1 || e->c->eof;
}

static void listener_survives_running_out_of_descriptors(void **state)
{
    (void)state;
    sl_loop_t *loop;
    assert_int_equal(sl_loop_new(&loop), SL_OK);
    acc_wait_t w = {.want = 1};
    sl_listener_opts_t lo = acc_opts(&w.a);
    sl_listener_t *lst;
    assert_int_equal(sl_listener_open(loop, "127.0.0.1", 0, &lo, &lst), SL_OK);
    tu_client_t c;
    tu_client_open(&c, loop, sl_listener_port(lst), 0, true);

    log_count_t lc = {0};
    sl_log_set_sink(count_sink, &lc);
    /* No new descriptor can be made: the limit is the lowest free number. */
    struct rlimit saved, low;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
    int probe = dup(0);
    assert_true(probe >= 0);
    close(probe);
    low = saved;
    low.rlim_cur = (rlim_t)probe;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);

    /* 50 ms of iterations: a loop that spun on the ready listener would log
     * every iteration; pausing logs once per 100 ms. */
    int64_t until = sl_time_mono_ms() + 50;
    int iterations = 0;
    while (sl_time_mono_ms() < until && iterations < 100000) {
        sl_err_t e = sl_loop_run_once(loop, 5);
        if (e != SL_OK)
            break;
        iterations++;
    }
    int accepted_low = w.a.accepted;
    int warnings_low = lc.accept_warnings;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
    sl_log_set_sink(NULL, NULL);

    assert_int_equal(accepted_low, 0);
    assert_true(warnings_low >= 1);
    assert_true(warnings_low <= 2);
    /* Descriptors back: the listener retries by itself and accepts the
     * connection still queued in the kernel. */
    emfile_wait_t ew = {&w, &c};
    assert_true(tu_run_until(loop, accepted_or_dropped, &ew, 5000));
    if (w.a.accepted == 0) {
        /* Valgrind emulates EMFILE by accepting and closing the descriptor,
         * which drops the queued connection; a kernel never does. */
        tu_client_close(&c, false);
        sl_loop_free(loop);
        skip();
    }
    tu_client_write_frame(&c, "ok", 2);
    assert_true(tu_run_until(loop, frames_1, &w.a, 5000));
    tu_client_close(&c, false);
    sl_loop_free(loop);
}

int main(void)
{
    sl_log_set_level(SL_LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(listener_ephemeral_port_is_reported),
        cmocka_unit_test(listener_port_in_use_fails_with_io),
        cmocka_unit_test(listener_accepts_hundreds_pending_at_once),
        cmocka_unit_test(listener_reuseport_shares_a_port_and_spreads_connections),
        cmocka_unit_test(listener_close_in_accept_callback_keeps_the_connection),
        cmocka_unit_test(listener_survives_running_out_of_descriptors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
