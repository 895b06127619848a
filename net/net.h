/*
 * net.h - the manual of libsluice-net: one epoll event loop per thread, with
 * timers, listeners and TCP connections that carry Kafka-style frames
 * (a 4-byte big-endian length, then that many bytes). Linux only. Stands on
 * libsluice-base.
 *
 *   loop        file events, before-sleep hook, stop, run
 *   timers      one-shot and repeating, monotonic milliseconds, cancellable
 *   wake/post   the only calls another thread may make: wake the loop, hand
 *               it a function to run, stop it
 *   listener    accepts connections on host:port
 *   conn        framed connection, accepted or outgoing: input is cut into
 *               frames, output is buffered, backpressure, pause/resume
 *
 * Threads: a loop and everything attached to it (timers, listeners,
 * connections) belong to the thread that runs the loop. Every function here
 * must be called on that thread, from a callback or while the loop is not
 * running, except sl_loop_wake(), sl_loop_post() and sl_loop_stop(), which any
 * thread may call at any time while the loop exists.
 *
 * Callbacks: every callback runs on the loop thread, from inside
 * sl_loop_run()/sl_loop_run_once() (or sl_loop_free() for close callbacks).
 * A callback may call any function of this header, including ones that close
 * or free the object it was called for; the library never touches an object
 * after a callback closed it.
 *
 * Close reasons (sl_err_t passed to sl_conn_close_fn and sl_conn_connect_fn):
 *   SL_OK              closed by our side (sl_conn_close, sl_loop_free)
 *   SL_ERR_CLOSED      the peer closed the connection (end of stream)
 *   SL_ERR_IO          a socket error: reset, refused, unreachable...;
 *                      sl_conn_errno() gives the errno
 *   SL_ERR_TOO_LARGE   the peer announced a frame longer than max_frame
 *   SL_ERR_PARSE       the peer announced a negative frame length
 *   SL_ERR_TIMEOUT     an outgoing connect took longer than connect_timeout_ms
 *   SL_ERR_NOMEM       no memory for the connection's buffers
 * Every close is logged (module "net") with the peer and the reason.
 */
#ifndef SL_NET_H
#define SL_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sl_loop sl_loop_t;
typedef struct sl_listener sl_listener_t;
typedef struct sl_conn sl_conn_t;

/* ======================================================================
 * Loop
 * ====================================================================== */

/* A plain callback: before-sleep hook, wake callback, posted work. */
typedef void sl_loop_fn(sl_loop_t *loop, void *arg);

/* Creates a loop (an epoll instance and an eventfd). SL_OK, SL_ERR_NOMEM, or
 * SL_ERR_IO when the kernel refuses the descriptors (logged). */
sl_err_t sl_loop_new(sl_loop_t **out);

/* Frees the loop. Must not be called while the loop runs. Connections still
 * open are closed at once: their close callbacks run with SL_OK (so owners
 * can free their user pointers). Listeners still open are closed, timers
 * dropped without firing, posted work not yet run is dropped without being
 * called (its arg is not freed). Accepts NULL. */
void sl_loop_free(sl_loop_t *loop);

/* Runs the loop until sl_loop_stop(). Each iteration: the before-sleep hook,
 * then wait for file events or the nearest timer, then file events, posted
 * work and wake callback, then due timers. Returns SL_OK after a stop, or
 * SL_ERR_IO if epoll_wait fails (other than EINTR; logged). After it returns
 * the stop request is consumed: sl_loop_run() may be called again. */
sl_err_t sl_loop_run(sl_loop_t *loop);

/* One iteration of sl_loop_run(), waiting at most timeout_ms for events
 * (-1: until an event or timer, 0: do not wait). For tests and for callers
 * that own the outer loop. A pending stop request is left for sl_loop_run()
 * (it only keeps this call from waiting). */
sl_err_t sl_loop_run_once(sl_loop_t *loop, int timeout_ms);

/* Asks sl_loop_run() to return after the current iteration. Any thread. If
 * the loop is not running, the next sl_loop_run() returns after at most one
 * iteration. */
void sl_loop_stop(sl_loop_t *loop);

/* Sets the hook called once per iteration just before the loop sleeps in
 * epoll_wait (NULL removes it). The place to do work that groups what the
 * iteration produced, e.g. one fsync for many produce requests before their
 * replies are sent. arg is kept. If the hook leaves work behind (a stop, a
 * resumed connection with buffered frames), the loop does not sleep. */
void sl_loop_set_before_sleep(sl_loop_t *loop, sl_loop_fn *fn, void *arg);

/* The loop's cached monotonic clock in milliseconds, refreshed once per
 * iteration (cheaper than sl_time_mono_ms(); lags by at most one iteration). */
int64_t sl_loop_now_ms(const sl_loop_t *loop);

/* ---- File events on raw descriptors (the loop's own listeners and
 * connections use the same machinery; use these for pipes, signalfd...) ---- */

#define SL_EV_READ 1u
#define SL_EV_WRITE 2u

/* events: SL_EV_READ and/or SL_EV_WRITE that are ready. A hang-up or error on
 * the descriptor is reported as whichever of the two is registered, so a
 * read() or write() finds it. */
typedef void sl_fd_fn(sl_loop_t *loop, int fd, unsigned events, void *arg);

/* Watches fd (not taken: the caller still closes it, after sl_loop_fd_del)
 * for mask (SL_EV_READ | SL_EV_WRITE, or 0 to register it idle). fn and arg
 * are kept. Level-triggered: fn is called every iteration while the
 * condition holds. SL_ERR_INVAL (bad fd, or fd already watched),
 * SL_ERR_NOMEM, SL_ERR_IO (epoll_ctl failed, logged). */
sl_err_t sl_loop_fd_add(sl_loop_t *loop, int fd, unsigned mask, sl_fd_fn *fn, void *arg);
/* Changes the events watched on fd. SL_ERR_INVAL if fd is not watched,
 * SL_ERR_IO if epoll_ctl failed. */
sl_err_t sl_loop_fd_set(sl_loop_t *loop, int fd, unsigned mask);
/* Stops watching fd (no-op if not watched). Events already collected for fd
 * in this iteration are not delivered, even if the number is reused. */
void sl_loop_fd_del(sl_loop_t *loop, int fd);

/* ======================================================================
 * Timers. Deadlines are on the monotonic clock in milliseconds. Timers due in
 * the same iteration fire in deadline order, ties in the order they were
 * added. A min-heap: adding and cancelling cost O(log n).
 * ====================================================================== */

/* Identifies a timer; 0 is never a valid id. An id is not reused for a long
 * time (a 32-bit generation per slot), so cancelling an expired id is safe. */
typedef uint64_t sl_timer_id_t;

typedef void sl_timer_fn(sl_loop_t *loop, sl_timer_id_t id, void *arg);

/* Calls fn(loop, id, arg) after ms milliseconds (ms >= 0), then, if repeat,
 * again ms milliseconds after the iteration in which it fired (a late loop
 * does not cause a burst of catch-up calls; a repeating timer with ms 0 fires
 * once per iteration). A timer never fires early. arg is kept. *id (if id is
 * not NULL) receives the timer's id. SL_OK, SL_ERR_INVAL (ms < 0 or fn NULL),
 * SL_ERR_NOMEM. */
sl_err_t sl_loop_timer_add(sl_loop_t *loop, int64_t ms, bool repeat, sl_timer_fn *fn, void *arg,
                           sl_timer_id_t *id);

/* Cancels a timer: it will not fire again. Returns true if it was pending (a
 * one-shot timer inside its own callback is no longer pending; a repeating one
 * is, and cancelling it there stops the repetition). Unknown ids: false. */
bool sl_loop_timer_cancel(sl_loop_t *loop, sl_timer_id_t id);

/* ======================================================================
 * Cross-thread calls: the only functions that may be called from a thread
 * other than the loop's.
 * ====================================================================== */

/* Sets the callback run on the loop thread after sl_loop_wake() (NULL
 * removes it). Loop thread only. arg is kept. */
void sl_loop_set_wake(sl_loop_t *loop, sl_loop_fn *fn, void *arg);

/* Any thread, async-signal-safe: makes the loop wake up and run the wake
 * callback once. Wakes that arrive before the callback runs are merged into
 * one call, so the callback must look at all the work it is told about (e.g.
 * drain a queue the caller filled before waking). */
void sl_loop_wake(sl_loop_t *loop);

/* Any thread: queues fn(loop, arg) to run once on the loop thread, in the
 * order posted, and wakes the loop. arg is kept. SL_OK, SL_ERR_INVAL (fn
 * NULL) or SL_ERR_NOMEM. Work still queued at sl_loop_free() is dropped
 * without being called. */
sl_err_t sl_loop_post(sl_loop_t *loop, sl_loop_fn *fn, void *arg);

/* ======================================================================
 * Connections
 *
 * A connection cuts its input into frames: a 4-byte big-endian signed length
 * n (0 <= n <= max_frame), then n bytes. The length is checked before any
 * memory is set aside for the frame, and the input buffer only grows with the
 * bytes actually received, so a peer cannot make us allocate what it has not
 * sent. Output is whatever bytes the owner sends (sl_conn_send adds nothing;
 * sl_conn_send_frame adds the length prefix; sl_conn_send_file adds a range
 * of a file), in the order the calls were made.
 *
 * Reading from a connection stops (no new reads, no further frames handed
 * out, even ones already buffered) while any of these holds:
 *   - the owner paused it (sl_conn_pause_read), e.g. while a request waits,
 *     because Kafka answers in request order per connection;
 *   - its pending output is above out_high (backpressure); reading resumes
 *     once output has drained to out_low or below;
 *   - it is closing.
 *
 * A paused connection with nothing to send is not watched at all, so a peer
 * that goes away meanwhile is noticed only when reading resumes or a send
 * fails.
 *
 * Lifetime: a connection is handed to its owner by the listener's accept
 * callback or by sl_conn_connect(). The close callback is called exactly once
 * per connection, whatever closed it, and the handle is freed right after it
 * returns. Between sl_conn_close() and the close callback the handle stays
 * valid, but sends fail with SL_ERR_CLOSED. The close callback never runs
 * from inside a call the owner made (it runs from the loop; sl_loop_free is
 * the one exception), so an owner can
 * call sl_conn_close() and keep using its own state until the callback.
 * ====================================================================== */

/* A complete frame. frame[0..len) is the frame body without its length prefix,
 * borrowed from the connection's input buffer (len 0: an empty frame; frame
 * is then not NULL but must not be read). It is valid during the call; when
 * the callback paused reading (sl_conn_pause_read) before returning, it stays
 * valid and in place until the connection is resumed or its close callback
 * returns, so a request that waits can keep pointing into its frame instead
 * of copying it. The callback may write into those bytes (the buffer is the
 * connection's own heap memory); the pointer is const only so that callers
 * that merely read need no casts. */
typedef void sl_conn_frame_fn(sl_conn_t *conn, void *user, const uint8_t *frame, size_t len);
/* The connection is gone; reason as listed at the top. user is the last value
 * given to sl_conn_set_user (free it here if the owner allocated it). */
typedef void sl_conn_close_fn(sl_conn_t *conn, void *user, sl_err_t reason);
/* Outgoing connections: the connect finished. err is SL_OK, or the close
 * reason (SL_ERR_IO with sl_conn_errno() such as ECONNREFUSED, or
 * SL_ERR_TIMEOUT); on error the close callback follows with the same err. */
typedef void sl_conn_connect_fn(sl_conn_t *conn, void *user, sl_err_t err);

#define SL_CONN_DEFAULT_MAX_FRAME (100u * 1024 * 1024) /* Kafka's socket.request.max.bytes */
#define SL_CONN_DEFAULT_OUT_HIGH (4u * 1024 * 1024)

/* Options for a connection, copied when it is created. Zeroed fields take
 * the defaults. Callbacks may be NULL (a NULL on_frame drops frames). */
typedef struct sl_conn_opts {
    size_t max_frame;            /* largest frame body accepted; 0: SL_CONN_DEFAULT_MAX_FRAME
                                  * (at most INT32_MAX) */
    size_t out_high;             /* pending output that stops reading; 0: SL_CONN_DEFAULT_OUT_HIGH */
    size_t out_low;              /* pending output at which reading resumes; 0 or
                                  * > out_high: out_high / 2 */
    int64_t connect_timeout_ms;  /* outgoing only; 0: none beyond the kernel's */
    sl_conn_frame_fn *on_frame;
    sl_conn_close_fn *on_close;
    sl_conn_connect_fn *on_connect; /* outgoing only */
} sl_conn_opts_t;

/* Opens an outgoing connection to host:port and returns at once; the result
 * comes to opts->on_connect from the loop (never from inside this call).
 * host is a numeric IPv4/IPv6 address or a name; names are resolved here,
 * synchronously (getaddrinfo blocks the loop: pass numeric addresses on a
 * busy loop). Each resolved address is tried in turn until one connects;
 * connect_timeout_ms bounds the whole attempt. Failures (refused,
 * unreachable, no descriptor left) come as SL_ERR_IO to on_connect, then
 * on_close. user becomes the connection's user pointer (kept). Sends before
 * the connect completes are queued. If the owner closes the connection before
 * the connect finishes, on_connect is not called, only on_close.
 * *out receives the handle. Returns SL_OK, or with no connection and no
 * callback: SL_ERR_INVAL (host NULL or empty, port 0, negative timeout, or a
 * name that does not resolve; logged), SL_ERR_NOMEM. */
sl_err_t sl_conn_connect(sl_loop_t *loop, const char *host, uint16_t port,
                         const sl_conn_opts_t *opts, void *user, sl_conn_t **out);

/* Queues bytes p[0..n) (copied) for sending and writes as much as the socket
 * takes now; the rest goes out as the socket drains. Never refuses for being
 * over out_high: that stops reading instead (see above). Returns SL_OK;
 * SL_ERR_CLOSED if the connection is closing or closed; SL_ERR_NOMEM (the
 * connection is then closed, with SL_ERR_NOMEM); SL_ERR_IO if the socket
 * failed (the connection is then closed, with SL_ERR_IO). */
sl_err_t sl_conn_send(sl_conn_t *conn, const void *p, size_t n);
/* As sl_conn_send, with the 4-byte big-endian length n put in front.
 * SL_ERR_INVAL if n > INT32_MAX. */
sl_err_t sl_conn_send_frame(sl_conn_t *conn, const void *p, size_t n);

/* Queues len bytes of the file fd, from offset off, after everything queued
 * before: they go out with sendfile(2), from the page cache to the socket
 * without a copy through user memory (zero-copy Fetch responses). Takes fd:
 * it is closed once the range is sent, when the connection closes, or at
 * once when this call fails or len is 0. The file must keep those bytes
 * until they are sent (a file that turns out shorter closes the connection
 * with SL_ERR_IO; an unlinked file whose descriptor is open still has them).
 * Queued file bytes count as pending output for backpressure. If nothing
 * was queued, sending starts at once. Returns SL_OK; SL_ERR_INVAL (fd or off
 * negative; fd is not taken); SL_ERR_CLOSED (closing or closed); SL_ERR_NOMEM
 * (the connection is then closed, with SL_ERR_NOMEM); SL_ERR_IO (the socket
 * failed; the connection is then closed, with SL_ERR_IO). */
sl_err_t sl_conn_send_file(sl_conn_t *conn, int fd, int64_t off, size_t len);

/* Bytes queued and not yet taken by the socket (file ranges included). */
size_t sl_conn_out_pending(const sl_conn_t *conn);

/* Stops handing out frames and reading from the socket, until resumed. Frames
 * already received stay buffered; a frame callback that pauses is the last
 * one until the resume. Idempotent (pauses do not nest). */
void sl_conn_pause_read(sl_conn_t *conn);
/* Undoes sl_conn_pause_read. Frames already buffered are handed out from the
 * loop, in order, never from inside this call. */
void sl_conn_resume_read(sl_conn_t *conn);
bool sl_conn_read_paused(const sl_conn_t *conn);

/* Closes the connection. flush false: at once, pending output is dropped.
 * flush true: stops reading, sends the pending output, then closes (a peer
 * that never reads keeps it open: follow with a close without flush after a
 * timeout of your choosing). Either way the close callback runs later from
 * the loop with SL_OK (or with the error that came first). Calling it again,
 * also during the close callback, is a no-op, except that flush false cuts
 * short a flushing close. */
void sl_conn_close(sl_conn_t *conn, bool flush);

/* The user pointer (kept, never freed by the library). */
void sl_conn_set_user(sl_conn_t *conn, void *user);
void *sl_conn_user(const sl_conn_t *conn);
/* "127.0.0.1:54321" or "[::1]:54321": the peer's address, NUL-terminated,
 * valid as long as the handle. For an outgoing connection, the address being
 * tried or connected to. */
const char *sl_conn_peer(const sl_conn_t *conn);
/* The errno behind the last SL_ERR_IO of this connection, 0 if none. */
int sl_conn_errno(const sl_conn_t *conn);
/* A number unique within the process, for logs. */
uint64_t sl_conn_id(const sl_conn_t *conn);
sl_loop_t *sl_conn_loop(const sl_conn_t *conn);

/* ======================================================================
 * Listener
 * ====================================================================== */

/* A new connection was accepted. user is the listener's arg, which is also
 * the connection's initial user pointer; replace it with sl_conn_set_user.
 * The connection is readable as soon as this returns. */
typedef void sl_listener_accept_fn(sl_listener_t *lst, sl_conn_t *conn, void *arg);

typedef struct sl_listener_opts {
    int backlog;                     /* listen(2) backlog; 0: SOMAXCONN */
    bool reuseport;                  /* SO_REUSEPORT: several listeners (one per
                                      * thread and loop) may bind the same
                                      * host:port, and the kernel spreads new
                                      * connections among them. All of them
                                      * must set it. */
    sl_conn_opts_t conn;             /* for every accepted connection */
    sl_listener_accept_fn *on_accept; /* may be NULL */
    void *arg;                       /* kept */
} sl_listener_opts_t;

/* Listens on host:port (SO_REUSEADDR, and SO_REUSEPORT when opts->reuseport;
 * port 0: an ephemeral port, read it back with sl_listener_port, then open
 * the other reuseport listeners on that port). host is a numeric address or a name (resolved here,
 * first address used); NULL or "" means every IPv4 interface. opts is copied
 * (NULL: all defaults).
 * Accepts many connections per wakeup; when the process runs out of
 * descriptors (EMFILE, ENFILE) or memory it logs, stops accepting for 100 ms
 * and tries again, leaving the rest in the kernel's queue. *out receives the
 * handle. SL_ERR_INVAL (bad arguments, host does not resolve), SL_ERR_NOMEM,
 * SL_ERR_IO (bind/listen failed, e.g. port in use; logged with errno). */
sl_err_t sl_listener_open(sl_loop_t *loop, const char *host, uint16_t port,
                          const sl_listener_opts_t *opts, sl_listener_t **out);
/* The bound port. */
uint16_t sl_listener_port(const sl_listener_t *lst);
/* Stops listening and frees the listener. Connections it accepted stay open.
 * Accepts NULL. */
void sl_listener_close(sl_listener_t *lst);

#ifdef __cplusplus
}
#endif
#endif /* SL_NET_H */
