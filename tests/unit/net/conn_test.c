/* conn_test.c - accepted connections against raw client sockets on
 * 127.0.0.1: framing (sizes, splits, batches, empty frames), frame length
 * limits checked before allocating, backpressure, pause/resume, the ways a
 * connection closes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>

#include "net_util.h"

#define MAX_FRAMES 4096

typedef struct srv {
    sl_loop_t *loop;
    sl_listener_t *lst;
    uint16_t port;
    sl_conn_t *conn;        /* the last accepted, until it closes */
    int accepted;
    int frames;
    size_t lens[MAX_FRAMES];
    sl_buf_t data;          /* every frame body, concatenated */
    int closes;
    sl_err_t reason;
    int close_errno;
    bool echo;
    size_t reply_size;      /* > 0: answer each frame with a frame this long */
    size_t max_pending;     /* largest output backlog seen after a send */
    bool pause_each;        /* pause after every frame, like a request that waits */
    const uint8_t *held;    /* the last frame, kept past its callback */
    int close_after;        /* > 0: close (no flush) in the frame callback of this frame */
    sl_err_t send_after_close;
} srv_t;

static void srv_frame(sl_conn_t *conn, void *user, const uint8_t *frame, size_t len)
{
    srv_t *s = user;
    assert_non_null(frame);
    if (s->frames < MAX_FRAMES)
        s->lens[s->frames] = len;
    s->frames++;
    sl_buf_put(&s->data, frame, len);
    s->held = frame;
    if (s->echo)
        assert_int_equal(sl_conn_send_frame(conn, frame, len), SL_OK);
    if (s->reply_size) {
        uint8_t *reply = calloc(1, s->reply_size);
        assert_non_null(reply);
        assert_int_equal(sl_conn_send_frame(conn, reply, s->reply_size), SL_OK);
        free(reply);
        if (sl_conn_out_pending(conn) > s->max_pending)
            s->max_pending = sl_conn_out_pending(conn);
    }
    if (s->pause_each)
        sl_conn_pause_read(conn);
    if (s->close_after && s->frames == s->close_after) {
        sl_conn_close(conn, false);
        s->send_after_close = sl_conn_send(conn, "x", 1);
    }
}

static void srv_close(sl_conn_t *conn, void *user, sl_err_t reason)
{
    srv_t *s = user;
    s->closes++;
    s->reason = reason;
    s->close_errno = sl_conn_errno(conn);
    if (s->conn == conn)
        s->conn = NULL;
}

static void srv_accept(sl_listener_t *lst, sl_conn_t *conn, void *arg)
{
    SL_UNUSED(lst);
    srv_t *s = arg;
    assert_ptr_equal(sl_conn_user(conn), s);
    assert_ptr_equal(sl_conn_loop(conn), s->loop);
    assert_true(strncmp(sl_conn_peer(conn), "127.0.0.1:", 10) == 0);
    s->accepted++;
    s->conn = conn;
}

static void srv_open(srv_t *s, const sl_conn_opts_t *copts)
{
    memset(s, 0, sizeof(*s));
    sl_buf_init(&s->data);
    assert_int_equal(sl_loop_new(&s->loop), SL_OK);
    sl_listener_opts_t lo;
    memset(&lo, 0, sizeof(lo));
    if (copts)
        lo.conn = *copts;
    lo.conn.on_frame = srv_frame;
    lo.conn.on_close = srv_close;
    lo.on_accept = srv_accept;
    lo.arg = s;
    assert_int_equal(sl_listener_open(s->loop, "127.0.0.1", 0, &lo, &s->lst), SL_OK);
    s->port = sl_listener_port(s->lst);
    assert_true(s->port != 0);
}

static void srv_free(srv_t *s)
{
    sl_loop_free(s->loop); /* closes what is left; listener too */
    sl_buf_free(&s->data);
}

static bool accepted_one(void *arg) { return ((srv_t *)arg)->accepted >= 1; }
static bool closed_one(void *arg) { return ((srv_t *)arg)->closes >= 1; }
static bool client_eof(void *arg) { return ((tu_client_t *)arg)->eof; }

typedef struct want {
    srv_t *s;
    tu_client_t *c;
    int frames;
    size_t bytes;
} want_t;

static bool have_frames(void *arg)
{
    want_t *w = arg;
    return w->s->frames >= w->frames;
}

static bool have_bytes(void *arg)
{
    want_t *w = arg;
    return w->c->got_total >= w->bytes;
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (uint8_t)(seed >> 16);
    }
}

static void conn_echo_round_trips_frames_of_many_sizes(void **state)
{
    (void)state;
    srv_t s;
    srv_open(&s, NULL);
    s.echo = true;
    tu_client_t c;
    tu_client_open(&c, s.loop, s.port, 0, true);
    static const size_t sizes[] = {0, 1, 2, 3, 4, 5, 100, 4095, 4096, 65535, 65536, 65537,
                                   300000, 1u << 20, 3u << 20};
    sl_buf_t expect = SL_BUF_INIT;
    for (size_t i = 0; i < SL_ARRAY_LEN(sizes); i++) {
        uint8_t *p = malloc(sizes[i] + 1);
        assert_non_null(p);
        fill(p, sizes[i], (uint32_t)i);
        tu_client_write_frame(&c, p, sizes[i]);
        sl_buf_put_u32(&expect, (uint32_t)sizes[i]);
        sl_buf_put(&expect, p, sizes[i]);
        free(p);
    }
    want_t w = {&s, &c, (int)SL_ARRAY_LEN(sizes), expect.len};
    assert_true(tu_run_until(s.loop, have_bytes, &w, 20000));
    assert_int_equal(s.frames, (int)SL_ARRAY_LEN(sizes));
    for (size_t i = 0; i < SL_ARRAY_LEN(sizes); i++)
        assert_int_equal(s.lens[i], sizes[i]);
    assert_int_equal(c.got.len, expect.len);
    assert_memory_equal(c.got.data, expect.data, expect.len);
    assert_int_equal(s.closes, 0);
    sl_buf_free(&expect);
    tu_client_close(&c, false);
    assert_true(tu_run_until(s.loop, closed_one, &s, 5000));
    assert_int_equal(s.reason, SL_ERR_CLOSED);
    srv_free(&s);
}

static void conn_frame_split_byte_by_byte_is_delivered_once_whole(void **state)
{
    (void)state;
    srv_t s;
    srv_open(&s, NULL);
    tu_client_t c;
    tu_client_open(&c, s.loop, s.port, 0, true);
    assert_true(tu_run_until(s.loop, accepted_one, &s, 5000));
    uint8_t frame[4 + 300];
    frame[0] = 0, frame[1] = 0, frame[2] = 1, frame[3] = 44; /* 300 */
    fill(frame + 4, 300, 9);
    for (size_t i = 0; i < sizeof(frame); i++) {
        assert_int_equal(s.frames, 0);
        tu_client_write(&c, frame + i, 1);
        /* Loopback delivers at once: let the server read this one byte. */
        tu_run_for(s.loop, 2, 0);
    }
    want_t w = {&s, &c, 1, 0};
    assert_true(tu_run_until(s.loop, have_frames, &w, 5000));
    assert_int_equal(s.frames, 1);
    assert_int_equal(s.lens[0], 300);
    assert_memory_equal(s.data.data, frame + 4, 300);
    tu_client_close(&c, false);
    srv_free(&s);
}

static void conn_many_frames_in_one_write_all_delivered_in_order(void **state)
{
    (void)state;
    srv_t s;
    srv_open(&s, NULL);
    tu_client_t c;
    tu_client_open(&c, s.loop, s.port, 0, true);
    enum { N = 2000 };
    sl_buf_t all = SL_BUF_INIT;
    for (uint32_t i = 0; i < N; i++) {
        uint32_t len = i % 7; /* includes empty frames */
        sl_buf_put_u32(&all, len);
        for (uint32_t k = 0; k < len; k++)
            sl_buf_put_u8(&all, (uint8_t)(i + k));
    }
    tu_client_write(&c, all.data, all.len);
    want_t w = {&s, &c, N, 0};
    assert_true(tu_run_until(s.loop, have_frames, &w, 10000));
    assert_int_equal(s.frames, N);
    size_t off = 0;
    for (uint32_t i = 0; i < N; i++) {
        assert_int_equal(s.lens[i], i % 7);
        for (uint32_t k = 0; k < i % 7; k++)
            assert_int_equal(s.data.data[off + k], (uint8_t)(i + k));
        off += i % 7;
    }
    sl_buf_free(&all);
    tu_client_close(&c, false);
    srv_free(&s);
}

static void conn_zero_length_frame_is_a_frame(void **state)
{
    (void)state;
    srv_t s;
    srv_open(&s, NULL);
    s.echo = true;
    tu_client_t c;
    tu_client_open(&c, s.loop, s.port, 0, true);
    tu_client_write_frame(&c, NULL, 0);
    want_t w = {&s, &c, 1, 4};
    assert_true(tu_run_until(s.loop, have_bytes, &w, 5000));
    assert_int_equal(s.frames, 1);
    assert_int_equal(s.lens[0], 0);
    static const uint8_t zero[4] = {0};
    assert_int_equal(c.got.len, 4);
    assert_memory_equal(c.got.data, zero, 4);
    tu_client_close(&c, false);
    srv_free(&s);
}

/* A bad length closes the connection with the right reason, and the heap
 * does not grow towards the announced size. */
static void expect_bad_length_closes(uint32_t announced, sl_err_t reason, size_t max_frame)
{
    srv_t s;
    sl_conn_opts_t o = {.max_frame = max_frame};
    srv_open(&s, &o);
    tu_client_t c;
    tu_client_open(&c, s.loop, s.port, 0, true);
    assert_true(tu_run_until(s.loop, accepted_one, &s, 5000));
    size_t before = tu_heap_in_use();
    uint8_t hdr[8] = {(uint8_t)(announced >> 24), (uint8_t)(announced >> 16),
                      (uint8_t)(announced >> 8), (uint8_t)announced, 1, 2, 3, 4};
    tu_client_write(&c, hdr, sizeof(hdr));
    assert_true(tu_run_until(s.loop, closed_one, &s, 5000));
    size_t after = tu_heap_in_use();
    assert_int_equal(s.closes, 1);
    assert_int_equal(s.reason, reason);
    assert_int_equal(s.frames, 0);
    assert_true(after < before + (1u << 20));
    /* The client sees the close. */
    assert_true(tu_run_until(s.loop, client_eof, &c, 5000));
    tu_client_close(&c, false);
    srv_free(&s);
}

static void conn_oversize_length_closes_with_too_large(void **state)
{
    (void)state;
    expect_bad_length_closes(0x7fffffffu, SL_ERR_TOO_LARGE, 0);   /* 2 GiB - 1 */
    expect_bad_length_closes(1001, SL_ERR_TOO_LARGE, 1000);
}

static void conn_negative_length_closes_with_parse(void **state)
{
    (void)state;
    expect_bad_length_closes(0x80000000u, SL_ERR_PARSE, 0); /* "2 GiB": negative as int32 */
    expect_bad_length_closes(0xffffffffu, SL_ERR_PARSE, 0);
}

static void conn_length_at_max_is_accepted(void **state)
{
    (void)state;
    srv_t s;
    sl_conn_opts_t o = {.max_frame = 1000};
    srv_open(&s, &o);
    tu_client_t c;
    tu_client_open(&c, s.loop, s.port, 0, true);
    uint8_t body[1000];
    fill(body, sizeof(body), 3);
    tu_client_write_frame(&c, body, sizeof(body));
    want_t w = {&s, &c, 1, 0};
    assert_true(tu_run_until(s.loop, have_frames, &w, 5000));
    assert_int_equal(s.lens[0], 1000);
    assert_int_equal(s.closes, 0);
    tu_client_close(&c, false);
    srv_free(&s);
}

/* A frame announced at 200 MiB (allowed) but only partly sent: memory
 * follows what arrived, not what was announced. */
static void conn_buffer_grows_with_received_bytes_not_announced_length(void **state)
{
    (void)state;
    srv_t s;
    sl_conn_opts_t o = {.max_frame = 256u << 20};
    srv_open(&s, &o);
    tu_client_t c;
    tu_client_open(&c, s.loop, s.port, 0, true);
    assert_true(tu_run_until(s.loop, accepted_one, &s, 5000));
    size_t before = tu_heap_in_use();
    uint32_t announced = 200u << 20;
    uint8_t hdr[4] = {(uint8_t)(announced >> 24), (uint8_t)(announced >> 16),
                      (uint8_t)(announced >> 8), (uint8_t)announced};
    tu_client_write(&c, hdr, 4);
    uint8_t *part = calloc(1, 100000);
    assert_non_null(part);
    tu_client_write(&c, part, 100000);
    free(part);
    tu_run_for(s.loop, 20, 5); /* plenty to read 100 KB over loopback */
    size_t after = tu_heap_in_use();
    assert_int_equal(s.frames, 0);
    assert_int_equal(s.closes, 0);
    assert_true(after < before + (4u << 20));
    tu_client_close(&c, false);
    assert_true(tu_run_until(s.loop, closed_one, &s, 5000));
    assert_int_equal(s.reason, SL_ERR_CLOSED);
    srv_free(&s);
}

/* ---- backpressure ---- */

typedef struct bp {
    srv_t *s;
    int last_frames;
    int stable;
} bp_t;

/* The server stopped taking requests: its frame count has not moved for a
 * while, with output pending. */
static bool server_stalled(void *arg)
{
    bp_t *b = arg;
    if (b->s->frames != b->last_frames) {
        b->last_frames = b->s->frames;
        b->stable = 0;
        return false;
    }
    return ++b->stable >= 30 && b->s->conn && sl_conn_out_pending(b->s->conn) > 0;
}

static void conn_backpressure_stops_reading_until_client_drains(void **state)
{
    (void)state;
    enum { N = 2000, REPLY = 16384, HIGH = 256 * 1024 };
    srv_t s;
    sl_conn_opts_t o = {.out_high = HIGH, .out_low = 64 * 1024};
    srv_open(&s, &o);
    s.reply_size = REPLY;
    tu_client_t c;
    /* A small receive window; the client does not read at first. */
    tu_client_open(&c, s.loop, s.port, 16384, false);
    sl_buf_t reqs = SL_BUF_INIT;
    for (int i = 0; i < N; i++) {
        sl_buf_put_u32(&reqs, 4);
        sl_buf_put_i32(&reqs, i);
    }
    tu_client_write(&c, reqs.data, reqs.len);
    sl_buf_free(&reqs);

    bp_t b = {&s, -1, 0};
    assert_true(tu_run_until(s.loop, server_stalled, &b, 10000));
    /* 32 MB of replies cannot fit in kernel buffers: the server stopped
     * before answering everything, and its backlog stayed bounded. */
    assert_true(s.frames > 0);
    assert_true(s.frames < N);
    assert_true(s.max_pending <= HIGH + REPLY + 4);
    assert_non_null(s.conn);
    assert_true(sl_conn_out_pending(s.conn) > 64 * 1024);
    assert_false(sl_conn_read_paused(s.conn)); /* backpressure is not the owner's pause */

    /* The client drains: the server resumes and answers every request. */
    c.discard = true;
    tu_client_watch(&c, true);
    want_t w = {&s, &c, N, (size_t)N * (REPLY + 4)};
    assert_true(tu_run_until(s.loop, have_bytes, &w, 60000));
    assert_int_equal(s.frames, N);
    assert_int_equal(c.got_total, (size_t)N * (REPLY + 4));
    assert_true(s.max_pending <= HIGH + REPLY + 4);
    assert_int_equal(s.closes, 0);
    for (int i = 0; i < N; i++) {
        const uint8_t *p = s.data.data + 4 * (size_t)i;
        assert_int_equal((int)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]), i);
    }
    tu_client_close(&c, false);
    srv_free(&s);
}

/* ---- pause / resume ---- */

static void resume_cb(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    SL_UNUSED(loop);
    SL_UNUSED(id);
    sl_conn_resume_read(((srv_t *)arg)->conn);
}

static void conn_pause_in_frame_callback_holds_later_frames_until_resume(void **state)
{
    (void)state;
    srv_t s;
    srv_open(&s, NULL);
    s.pause_each = true;
    tu_client_t c;
    tu_client_open(&c, s.loop, s.port, 0, true);
    /* Three frames in one write: all arrive in one read. */
    uint8_t three[3 * 5] = {0, 0, 0, 1, 'a', 0, 0, 0, 1, 'b', 0, 0, 0, 1, 'c'};
    tu_client_write(&c, three, sizeof(three));
    want_t w = {&s, &c, 1, 0};
    assert_true(tu_run_until(s.loop, have_frames, &w, 5000));
    tu_run_for(s.loop, 5, 5);
    assert_int_equal(s.frames, 1);
    assert_true(sl_conn_read_paused(s.conn));

    /* Resume outside any callback: the next frame comes from the loop, not
     * from inside the resume call. */
    sl_conn_resume_read(s.conn);
    assert_int_equal(s.frames, 1);
    tu_run_for(s.loop, 3, 0);
    assert_int_equal(s.frames, 2);

    /* Resume from a timer. */
    assert_int_equal(sl_loop_timer_add(s.loop, 1, false, resume_cb, &s, NULL), SL_OK);
    w.frames = 3;
    assert_true(tu_run_until(s.loop, have_frames, &w, 5000));
    tu_run_for(s.loop, 3, 5);
    assert_int_equal(s.frames, 3);
    assert_memory_equal(s.data.data, "abc", 3);

    /* Paused with nothing buffered: new input waits in the socket. */
    tu_client_write_frame(&c, "d", 1);
    tu_run_for(s.loop, 5, 5);
    assert_int_equal(s.frames, 3);
    s.pause_each = false;
    sl_conn_resume_read(s.conn);
    assert_false(sl_conn_read_paused(s.conn));
    w.frames = 4;
    assert_true(tu_run_until(s.loop, have_frames, &w, 5000));
    assert_memory_equal(s.data.data, "abcd", 4);
    assert_int_equal(s.closes, 0);
    tu_client_close(&c, false);
    srv_free(&s);
}

/* A paused owner keeps its frame: the loop running, more input and read
 * events do not move or free the buffer it lives in, even one large enough
 * to be given back once empty (ASan would see a use after free). */
static void conn_paused_owner_keeps_its_frame_in_place_until_resume(void **state)
{
    (void)state;
    srv_t s;
    srv_open(&s, NULL);
    s.pause_each = true;
    tu_client_t c;
    tu_client_open(&c, s.loop, s.port, 0, true);
    size_t big = 3u << 19; /* 1.5 MiB: above the size where an empty buffer is freed */
    uint8_t *payload = malloc(big);
    assert_non_null(payload);
    for (size_t i = 0; i < big; i++)
        payload[i] = (uint8_t)(i * 7);
    tu_client_write_frame(&c, payload, big);
    want_t w = {&s, &c, 1, 0};
    assert_true(tu_run_until(s.loop, have_frames, &w, 5000));
    const uint8_t *held = s.held;
    assert_int_equal(s.lens[0], big);

    tu_client_write_frame(&c, "hello", 5);
    tu_run_for(s.loop, 20, 5);
    assert_int_equal(s.frames, 1);
    assert_memory_equal(held, payload, big);

    s.pause_each = false;
    sl_conn_resume_read(s.conn);
    w.frames = 2;
    assert_true(tu_run_until(s.loop, have_frames, &w, 5000));
    assert_int_equal(s.lens[1], 5);
    assert_memory_equal(s.data.data + big, "hello", 5);
    free(payload);
    tu_client_close(&c, false);
    srv_free(&s);
}

/* ---- closing ---- */

static void conn_close_in_frame_callback_stops_delivery_and_calls_close_once(void **state)
{
    (void)state;
    srv_t s;
    srv_open(&s, NULL);
    s.close_after = 2;
    tu_client_t c;
    tu_client_open(&c, s.loop, s.port, 0, true);
    uint8_t four[4 * 5] = {0, 0, 0, 1, 'a', 0, 0, 0, 1, 'b', 0, 0, 0, 1, 'c', 0, 0, 0, 1, 'd'};
    tu_client_write(&c, four, sizeof(four));
    assert_true(tu_run_until(s.loop, closed_one, &s, 5000));
    tu_run_for(s.loop, 3, 5);
    assert_int_equal(s.frames, 2);
    assert_int_equal(s.closes, 1);
    assert_int_equal(s.reason, SL_OK);
    assert_int_equal(s.send_after_close, SL_ERR_CLOSED);
    assert_true(tu_run_until(s.loop, client_eof, &c, 5000));
    tu_client_close(&c, false);
    srv_free(&s);
}

typedef struct flush_srv {
    srv_t s;
    size_t size;
    sl_err_t after;
} flush_srv_t;

static void flush_frame(sl_conn_t *conn, void *user, const uint8_t *frame, size_t len)
{
    SL_UNUSED(frame);
    SL_UNUSED(len);
    flush_srv_t *f = user;
    uint8_t *big = malloc(f->size);
    assert_non_null(big);
    fill(big, f->size, 77);
    assert_int_equal(sl_conn_send(conn, big, f->size), SL_OK);
    free(big);
    sl_conn_close(conn, true);
    f->after = sl_conn_send(conn, "x", 1);
    f->s.frames++;
}

static void conn_close_with_flush_sends_pending_output_first(void **state)
{
    (void)state;
    flush_srv_t f;
    srv_open(&f.s, NULL);
    f.size = 8u << 20; /* more than the socket takes at once */
    f.after = SL_OK;
    /* Re-open the listener with the flushing frame callback. */
    sl_listener_close(f.s.lst);
    sl_listener_opts_t lo = {.conn = {.on_frame = flush_frame, .on_close = srv_close},
                             .on_accept = srv_accept, .arg = &f};
    assert_int_equal(sl_listener_open(f.s.loop, "127.0.0.1", 0, &lo, &f.s.lst), SL_OK);
    /* srv_close and srv_accept see f as srv_t: f.s is its first member. */
    tu_client_t c;
    tu_client_open(&c, f.s.loop, sl_listener_port(f.s.lst), 0, true);
    tu_client_write_frame(&c, "go", 2);
    assert_true(tu_run_until(f.s.loop, client_eof, &c, 30000));
    assert_int_equal(c.err, 0);
    assert_int_equal(c.got.len, f.size);
    uint8_t *big = malloc(f.size);
    assert_non_null(big);
    fill(big, f.size, 77);
    assert_memory_equal(c.got.data, big, f.size);
    free(big);
    assert_true(tu_run_until(f.s.loop, closed_one, &f.s, 5000));
    assert_int_equal(f.s.reason, SL_OK);
    assert_int_equal(f.after, SL_ERR_CLOSED);
    tu_client_close(&c, false);
    srv_free(&f.s);
}

static void conn_peer_reset_closes_with_io_error(void **state)
{
    (void)state;
    srv_t s;
    srv_open(&s, NULL);
    tu_client_t c;
    tu_client_open(&c, s.loop, s.port, 0, true);
    assert_true(tu_run_until(s.loop, accepted_one, &s, 5000));
    tu_client_close(&c, true);
    assert_true(tu_run_until(s.loop, closed_one, &s, 5000));
    assert_int_equal(s.reason, SL_ERR_IO);
    assert_int_equal(s.close_errno, ECONNRESET);
    srv_free(&s);
}

static void conn_peer_close_midframe_closes_with_closed(void **state)
{
    (void)state;
    srv_t s;
    srv_open(&s, NULL);
    tu_client_t c;
    tu_client_open(&c, s.loop, s.port, 0, true);
    uint8_t partial[6] = {0, 0, 0, 10, 'a', 'b'};
    tu_client_write(&c, partial, sizeof(partial));
    tu_client_close(&c, false);
    assert_true(tu_run_until(s.loop, closed_one, &s, 5000));
    assert_int_equal(s.reason, SL_ERR_CLOSED);
    assert_int_equal(s.frames, 0);
    srv_free(&s);
}

static void conn_loop_free_closes_open_connections_with_ok(void **state)
{
    (void)state;
    srv_t s;
    srv_open(&s, NULL);
    tu_client_t c[3];
    for (int i = 0; i < 3; i++)
        tu_client_open(&c[i], s.loop, s.port, 0, false);
    for (int i = 0; i < 100 && s.accepted < 3; i++)
        tu_run_for(s.loop, 1, 10);
    assert_int_equal(s.accepted, 3);
    sl_loop_free(s.loop);
    assert_int_equal(s.closes, 3);
    assert_int_equal(s.reason, SL_OK);
    sl_buf_free(&s.data);
    for (int i = 0; i < 3; i++) {
        c[i].loop = NULL;
        close(c[i].fd);
        sl_buf_free(&c[i].got);
    }
}

/* ---- file ranges (sendfile) ---- */

/* Descriptors open in this process. */
static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* A temp file of n pseudo-random bytes (seed), unlinked; its fd, and its
 * bytes in *content (caller frees). */
static int temp_file(size_t n, uint32_t seed, uint8_t **content)
{
    char path[] = "/tmp/sl-conn-file-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    uint8_t *p = malloc(n);
    assert_non_null(p);
    fill(p, n, seed);
    assert_int_equal(write(fd, p, n), (ssize_t)n);
    *content = p;
    return fd;
}

static void conn_send_file_goes_out_in_order_with_other_output(void **state)
{
    (void)state;
    enum { FILE_LEN = 3 * 1024 * 1024 };
    srv_t s;
    srv_open(&s, NULL);
    tu_client_t c;
    tu_client_open(&c, s.loop, s.port, 0, true);
    assert_true(tu_run_until(s.loop, accepted_one, &s, 5000));
    uint8_t *content;
    int fd = temp_file(FILE_LEN, 7, &content);
    int fds_before = open_fds();
    sl_buf_t want = SL_BUF_INIT;

    assert_int_equal(sl_conn_send(s.conn, "head", 4), SL_OK);
    sl_buf_put(&want, "head", 4);
    /* Each range takes its own descriptor. */
    assert_int_equal(sl_conn_send_file(s.conn, dup(fd), 1000, 1500000), SL_OK);
    sl_buf_put(&want, content + 1000, 1500000);
    assert_int_equal(sl_conn_send_frame(s.conn, "mid", 3), SL_OK);
    sl_buf_put_u32(&want, 3);
    sl_buf_put(&want, "mid", 3);
    assert_int_equal(sl_conn_send_file(s.conn, dup(fd), 5, 100), SL_OK);
    sl_buf_put(&want, content + 5, 100);
    assert_int_equal(sl_conn_send_file(s.conn, dup(fd), 0, 0), SL_OK); /* empty: nothing */
    assert_int_equal(sl_conn_send_file(s.conn, dup(fd), 2000000, FILE_LEN - 2000000), SL_OK);
    sl_buf_put(&want, content + 2000000, FILE_LEN - 2000000);
    assert_int_equal(sl_conn_send(s.conn, "tail", 4), SL_OK);
    sl_buf_put(&want, "tail", 4);

    want_t w = {&s, &c, 0, want.len};
    assert_true(tu_run_until(s.loop, have_bytes, &w, 20000));
    assert_int_equal(c.got.len, want.len);
    assert_memory_equal(c.got.data, want.data, want.len);
    assert_int_equal(sl_conn_out_pending(s.conn), 0);
    /* Every range's descriptor was closed once sent. */
    assert_int_equal(open_fds(), fds_before);
    assert_int_equal(s.closes, 0);

    assert_int_equal(sl_conn_send_file(s.conn, -1, 0, 10), SL_ERR_INVAL);
    assert_int_equal(sl_conn_send_file(s.conn, fd, -1, 10), SL_ERR_INVAL);
    close(fd);
    free(content);
    sl_buf_free(&want);
    tu_client_close(&c, false);
    srv_free(&s);
}

static bool pending_stable(void *arg)
{
    srv_t *s = arg;
    static size_t last;
    static int same;
    size_t now = s->conn ? sl_conn_out_pending(s->conn) : 0;
    same = now == last ? same + 1 : 0;
    last = now;
    return same >= 20;
}

static void conn_send_file_counts_as_backlog_and_close_releases_it(void **state)
{
    (void)state;
    enum { FILE_LEN = 8 * 1024 * 1024, HIGH = 256 * 1024 };
    srv_t s;
    sl_conn_opts_t o = {.out_high = HIGH};
    srv_open(&s, &o);
    tu_client_t c;
    tu_client_open(&c, s.loop, s.port, 16384, false); /* small window, not reading */
    assert_true(tu_run_until(s.loop, accepted_one, &s, 5000));
    uint8_t *content;
    int fd = temp_file(FILE_LEN, 9, &content);
    int fds_before = open_fds();
    assert_int_equal(sl_conn_send_file(s.conn, fd, 0, FILE_LEN), SL_OK);
    assert_true(tu_run_until(s.loop, pending_stable, &s, 10000));
    /* The kernel took some; the rest is pending and stops reading. */
    size_t pending = sl_conn_out_pending(s.conn);
    assert_true(pending > HIGH);
    assert_true(pending < FILE_LEN);
    tu_client_write_frame(&c, "x", 1);
    tu_run_for(s.loop, 20, 5);
    assert_int_equal(s.frames, 0);

    /* Closed with the range half sent: its descriptor goes too. */
    sl_conn_close(s.conn, false);
    assert_true(tu_run_until(s.loop, closed_one, &s, 5000));
    assert_int_equal(s.reason, SL_OK);
    assert_int_equal(open_fds(), fds_before - 2); /* the socket and the file */
    free(content);
    tu_client_close(&c, false);
    srv_free(&s);
}

static void conn_send_file_shorter_than_announced_closes_with_io(void **state)
{
    (void)state;
    srv_t s;
    srv_open(&s, NULL);
    tu_client_t c;
    tu_client_open(&c, s.loop, s.port, 0, true);
    assert_true(tu_run_until(s.loop, accepted_one, &s, 5000));
    uint8_t *content;
    int fd = temp_file(1000, 3, &content);
    int fds_before = open_fds();
    sl_conn_t *conn = s.conn;
    /* 500 bytes go, then the file ends: the peer would wait forever. */
    sl_err_t err = sl_conn_send_file(conn, fd, 500, 5000);
    assert_true(err == SL_OK || err == SL_ERR_IO);
    assert_true(tu_run_until(s.loop, closed_one, &s, 5000));
    assert_int_equal(s.reason, SL_ERR_IO);
    assert_int_equal(open_fds(), fds_before - 2); /* the socket and the file */
    free(content);
    tu_client_close(&c, false);
    srv_free(&s);
}

static void conn_send_file_after_close_is_refused_and_releases_fd(void **state)
{
    (void)state;
    srv_t s;
    srv_open(&s, NULL);
    tu_client_t c;
    tu_client_open(&c, s.loop, s.port, 0, true);
    assert_true(tu_run_until(s.loop, accepted_one, &s, 5000));
    uint8_t *content;
    int fd = temp_file(100, 5, &content);
    int fds_before = open_fds();
    sl_conn_close(s.conn, false);
    assert_int_equal(sl_conn_send_file(s.conn, fd, 0, 100), SL_ERR_CLOSED);
    assert_int_equal(open_fds(), fds_before - 2); /* the socket and the file */
    assert_true(tu_run_until(s.loop, closed_one, &s, 5000));
    free(content);
    tu_client_close(&c, false);
    srv_free(&s);
}

int main(void)
{
    sl_log_set_level(SL_LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(conn_echo_round_trips_frames_of_many_sizes),
        cmocka_unit_test(conn_frame_split_byte_by_byte_is_delivered_once_whole),
        cmocka_unit_test(conn_many_frames_in_one_write_all_delivered_in_order),
        cmocka_unit_test(conn_zero_length_frame_is_a_frame),
        cmocka_unit_test(conn_oversize_length_closes_with_too_large),
        cmocka_unit_test(conn_negative_length_closes_with_parse),
        cmocka_unit_test(conn_length_at_max_is_accepted),
        cmocka_unit_test(conn_buffer_grows_with_received_bytes_not_announced_length),
        cmocka_unit_test(conn_backpressure_stops_reading_until_client_drains),
        cmocka_unit_test(conn_pause_in_frame_callback_holds_later_frames_until_resume),
        cmocka_unit_test(conn_paused_owner_keeps_its_frame_in_place_until_resume),
        cmocka_unit_test(conn_close_in_frame_callback_stops_delivery_and_calls_close_once),
        cmocka_unit_test(conn_close_with_flush_sends_pending_output_first),
        cmocka_unit_test(conn_peer_reset_closes_with_io_error),
        cmocka_unit_test(conn_peer_close_midframe_closes_with_closed),
        cmocka_unit_test(conn_loop_free_closes_open_connections_with_ok),
        cmocka_unit_test(conn_send_file_goes_out_in_order_with_other_output),
        cmocka_unit_test(conn_send_file_counts_as_backlog_and_close_releases_it),
        cmocka_unit_test(conn_send_file_shorter_than_announced_closes_with_io),
        cmocka_unit_test(conn_send_file_after_close_is_refused_and_releases_fd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
