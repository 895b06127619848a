/* connect_test.c - outgoing connections through the same loop as a listener:
 * connect and talk, refused, timed out, closed while connecting, by name,
 * and hundreds of connections at once. */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "net_util.h"

/* ---- an echo server ---- */

typedef struct echo_srv {
    sl_loop_t *loop;
    sl_listener_t *lst;
    uint16_t port;
    int accepted;
    int closes;
    sl_err_t last_reason;
} echo_srv_t;

static void echo_frame(sl_conn_t *conn, void *user, const uint8_t *frame, size_t len)
{
    SL_UNUSED(user);
    assert_int_equal(sl_conn_send_frame(conn, frame, len), SL_OK);
}

static void echo_close(sl_conn_t *conn, void *user, sl_err_t reason)
{
    SL_UNUSED(conn);
    echo_srv_t *s = user;
    s->closes++;
    s->last_reason = reason;
}

static void echo_accept(sl_listener_t *lst, sl_conn_t *conn, void *arg)
{
    SL_UNUSED(lst);
    SL_UNUSED(conn);
    ((echo_srv_t *)arg)->accepted++;
}

static void echo_open(echo_srv_t *s)
{
    memset(s, 0, sizeof(*s));
    assert_int_equal(sl_loop_new(&s->loop), SL_OK);
    sl_listener_opts_t lo = {.conn = {.on_frame = echo_frame, .on_close = echo_close},
                             .on_accept = echo_accept, .arg = s};
    assert_int_equal(sl_listener_open(s->loop, "127.0.0.1", 0, &lo, &s->lst), SL_OK);
    s->port = sl_listener_port(s->lst);
}

/* ---- a client ---- */

typedef struct cli {
    sl_conn_t *conn;
    int connects;
    sl_err_t connect_err;
    int connect_errno;
    int closes;
    sl_err_t close_reason;
    bool close_before_connect;  /* order check: on_close came first */
    int frames;
    sl_buf_t data;
    char expect[32];
} cli_t;

static void cli_connect(sl_conn_t *conn, void *user, sl_err_t err)
{
    cli_t *c = user;
    assert_ptr_equal(conn, c->conn);
    c->connects++;
    c->connect_err = err;
    c->connect_errno = sl_conn_errno(conn);
}

static void cli_frame(sl_conn_t *conn, void *user, const uint8_t *frame, size_t len)
{
    SL_UNUSED(conn);
    cli_t *c = user;
    c->frames++;
    sl_buf_put(&c->data, frame, len);
}

static void cli_close(sl_conn_t *conn, void *user, sl_err_t reason)
{
    cli_t *c = user;
    assert_ptr_equal(conn, c->conn);
    if (c->connects == 0)
        c->close_before_connect = true;
    c->closes++;
    c->close_reason = reason;
}

static const sl_conn_opts_t cli_opts = {
    .on_frame = cli_frame, .on_close = cli_close, .on_connect = cli_connect};

static bool cli_closed(void *arg) { return ((cli_t *)arg)->closes > 0; }
static bool cli_connected(void *arg) { return ((cli_t *)arg)->connects > 0; }
static bool cli_has_frames(void *arg) { return ((cli_t *)arg)->frames >= 2; }

static void connect_sends_queued_frames_and_gets_replies(void **state)
{
    (void)state;
    echo_srv_t s;
    echo_open(&s);
    cli_t c = {0};
    assert_int_equal(sl_conn_connect(s.loop, "127.0.0.1", s.port, &cli_opts, &c, &c.conn), SL_OK);
    assert_non_null(c.conn);
    /* Sent before the connect completes: queued. */
    assert_int_equal(sl_conn_send_frame(c.conn, "hello", 5), SL_OK);
    assert_int_equal(sl_conn_send_frame(c.conn, "", 0), SL_OK);
    assert_int_equal(c.connects, 0); /* never from inside sl_conn_connect */
    assert_true(tu_run_until(s.loop, cli_has_frames, &c, 5000));
    assert_int_equal(c.connects, 1);
    assert_int_equal(c.connect_err, SL_OK);
    assert_int_equal(c.frames, 2);
    assert_int_equal(c.data.len, 5);
    assert_memory_equal(c.data.data, "hello", 5);
    char peer[64];
    snprintf(peer, sizeof(peer), "127.0.0.1:%u", (unsigned)s.port);
    assert_string_equal(sl_conn_peer(c.conn), peer);
    assert_int_equal(s.accepted, 1);

    sl_conn_close(c.conn, false);
    assert_int_equal(c.closes, 0); /* the close callback comes from the loop */
    assert_true(tu_run_until(s.loop, cli_closed, &c, 5000));
    assert_int_equal(c.closes, 1);
    assert_int_equal(c.close_reason, SL_OK);
    for (int i = 0; i < 500 && s.closes == 0; i++)
        tu_run_for(s.loop, 1, 10);
    assert_int_equal(s.closes, 1);
    assert_int_equal(s.last_reason, SL_ERR_CLOSED);
    sl_buf_free(&c.data);
    sl_loop_free(s.loop);
}

static void connect_by_name_resolves_localhost(void **state)
{
    (void)state;
    echo_srv_t s;
    echo_open(&s);
    cli_t c = {0};
    assert_int_equal(sl_conn_connect(s.loop, "localhost", s.port, &cli_opts, &c, &c.conn), SL_OK);
    assert_true(tu_run_until(s.loop, cli_connected, &c, 5000));
    assert_int_equal(c.connect_err, SL_OK);
    assert_int_equal(c.closes, 0);
    sl_loop_free(s.loop); /* closes the client: on_close with SL_OK */
    assert_int_equal(c.closes, 1);
    assert_int_equal(c.close_reason, SL_OK);
}

/* A port with a bound socket that does not listen: connections to it are
 * refused, and nobody else can take the port meanwhile. */
static int bound_not_listening(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    socklen_t len = sizeof(sa);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

static void connect_refused_reports_io_then_closes(void **state)
{
    (void)state;
    sl_loop_t *loop;
    assert_int_equal(sl_loop_new(&loop), SL_OK);
    uint16_t port;
    int blocker = bound_not_listening(&port);
    cli_t c = {0};
    assert_int_equal(sl_conn_connect(loop, "127.0.0.1", port, &cli_opts, &c, &c.conn), SL_OK);
    assert_int_equal(sl_conn_send_frame(c.conn, "lost", 4), SL_OK);
    assert_int_equal(c.connects + c.closes, 0);
    assert_true(tu_run_until(loop, cli_closed, &c, 5000));
    assert_int_equal(c.connects, 1);
    assert_false(c.close_before_connect);
    assert_int_equal(c.connect_err, SL_ERR_IO);
    assert_int_equal(c.connect_errno, ECONNREFUSED);
    assert_int_equal(c.closes, 1);
    assert_int_equal(c.close_reason, SL_ERR_IO);
    close(blocker);
    sl_loop_free(loop);
}

static void connect_closed_while_connecting_reports_only_close(void **state)
{
    (void)state;
    echo_srv_t s;
    echo_open(&s);
    cli_t c = {0};
    assert_int_equal(sl_conn_connect(s.loop, "127.0.0.1", s.port, &cli_opts, &c, &c.conn), SL_OK);
    sl_conn_close(c.conn, false);
    sl_conn_close(c.conn, false); /* no-op */
    assert_int_equal(sl_conn_send(c.conn, "x", 1), SL_ERR_CLOSED);
    assert_int_equal(c.closes, 0);
    assert_true(tu_run_until(s.loop, cli_closed, &c, 5000));
    tu_run_for(s.loop, 3, 5);
    assert_int_equal(c.connects, 0);
    assert_int_equal(c.closes, 1);
    assert_int_equal(c.close_reason, SL_OK);
    sl_loop_free(s.loop);
}

static void connect_rejects_bad_arguments(void **state)
{
    (void)state;
    sl_loop_t *loop;
    assert_int_equal(sl_loop_new(&loop), SL_OK);
    sl_conn_t *conn = (sl_conn_t *)1;
    assert_int_equal(sl_conn_connect(loop, NULL, 9, &cli_opts, NULL, &conn), SL_ERR_INVAL);
    assert_null(conn);
    assert_int_equal(sl_conn_connect(loop, "", 9, &cli_opts, NULL, &conn), SL_ERR_INVAL);
    assert_int_equal(sl_conn_connect(loop, "127.0.0.1", 0, &cli_opts, NULL, &conn), SL_ERR_INVAL);
    sl_conn_opts_t bad = cli_opts;
    bad.connect_timeout_ms = -5;
    assert_int_equal(sl_conn_connect(loop, "127.0.0.1", 9, &bad, NULL, &conn), SL_ERR_INVAL);
    sl_loop_free(loop);
}

/* A listener whose accept queue is full and that never accepts: further
 * connects hang in SYN_SENT, so the connect timeout has to end them. */
static void connect_timeout_ends_a_hanging_connect(void **state)
{
    (void)state;
    sl_loop_t *loop;
    assert_int_equal(sl_loop_new(&loop), SL_OK);
    uint16_t port;
    int lfd = bound_not_listening(&port);
    assert_int_equal(listen(lfd, 0), 0);
    /* Fill the queue with raw connects. */
    tu_client_t fillers[4];
    for (int i = 0; i < 4; i++)
        tu_client_open(&fillers[i], loop, port, 0, false);
    sl_conn_opts_t o = cli_opts;
    o.connect_timeout_ms = 300;
    cli_t c = {0};
    assert_int_equal(sl_conn_connect(loop, "127.0.0.1", port, &o, &c, &c.conn), SL_OK);
    assert_true(tu_run_until(loop, cli_closed, &c, 10000));
    if (c.connect_err == SL_OK) {
        /* The network stack queued it after all: nothing to time out here. */
        skip();
    }
    assert_int_equal(c.connects, 1);
    assert_int_equal(c.connect_err, SL_ERR_TIMEOUT);
    assert_int_equal(c.close_reason, SL_ERR_TIMEOUT);
    for (int i = 0; i < 4; i++)
        tu_client_close(&fillers[i], false);
    close(lfd);
    sl_loop_free(loop);
}

/* ---- many at once ---- */

#define NCONN 250
#define NMSG 3

typedef struct many {
    cli_t cli[NCONN];
    int done;
} many_t;

static bool all_replied(void *arg)
{
    many_t *m = arg;
    int done = 0;
    for (int i = 0; i < NCONN; i++)
        done += m->cli[i].frames >= NMSG;
    m->done = done;
    return done == NCONN;
}

static bool server_saw_all_close(void *arg)
{
    return ((echo_srv_t *)arg)->closes == NCONN;
}

static void connect_hundreds_of_connections_at_once(void **state)
{
    (void)state;
    tu_raise_nofile(4 * NCONN + 64);
    echo_srv_t s;
    echo_open(&s);
    many_t *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    for (int i = 0; i < NCONN; i++) {
        cli_t *c = &m->cli[i];
        assert_int_equal(sl_conn_connect(s.loop, "127.0.0.1", s.port, &cli_opts, c, &c->conn),
                         SL_OK);
        snprintf(c->expect, sizeof(c->expect), "conn-%d", i);
        for (int k = 0; k < NMSG; k++)
            assert_int_equal(sl_conn_send_frame(c->conn, c->expect, strlen(c->expect)), SL_OK);
    }
    assert_true(tu_run_until(s.loop, all_replied, m, 30000));
    assert_int_equal(s.accepted, NCONN);
    for (int i = 0; i < NCONN; i++) {
        cli_t *c = &m->cli[i];
        size_t n = strlen(c->expect);
        assert_int_equal(c->connects, 1);
        assert_int_equal(c->connect_err, SL_OK);
        assert_int_equal(c->frames, NMSG);
        assert_int_equal(c->data.len, NMSG * n);
        for (int k = 0; k < NMSG; k++)
            assert_memory_equal(c->data.data + k * n, c->expect, n);
        sl_conn_close(c->conn, false);
    }
    assert_true(tu_run_until(s.loop, server_saw_all_close, &s, 30000));
    for (int i = 0; i < NCONN; i++) {
        assert_int_equal(m->cli[i].closes, 1);
        sl_buf_free(&m->cli[i].data);
    }
    free(m);
    sl_loop_free(s.loop);
}

int main(void)
{
    sl_log_set_level(SL_LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(connect_sends_queued_frames_and_gets_replies),
        cmocka_unit_test(connect_by_name_resolves_localhost),
        cmocka_unit_test(connect_refused_reports_io_then_closes),
        cmocka_unit_test(connect_closed_while_connecting_reports_only_close),
        cmocka_unit_test(connect_rejects_bad_arguments),
        cmocka_unit_test(connect_timeout_ends_a_hanging_connect),
        cmocka_unit_test(connect_hundreds_of_connections_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
