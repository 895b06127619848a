/* net_util.h - helpers shared by the net/ tests: run the loop until a
 * condition holds (bounded in iterations and time), raw non-blocking client
 * sockets to poke at a server byte by byte, and the process's heap usage. */
#ifndef SL_TEST_NET_UTIL_H
#define SL_TEST_NET_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net.h"

typedef bool tu_pred_fn(void *arg);

/* Runs the loop (10 ms waits) until pred(arg) is true; false when timeout_ms
 * passed first. Also stops after 100000 iterations. */
bool tu_run_until(sl_loop_t *loop, tu_pred_fn *pred, void *arg, int timeout_ms);
/* Runs n iterations, each waiting at most wait_ms. */
void tu_run_for(sl_loop_t *loop, int n, int wait_ms);

/* A raw client: a non-blocking TCP socket whose input the loop collects. */
typedef struct tu_client {
    sl_loop_t *loop;
    int fd;
    sl_buf_t got;      /* bytes received */
    size_t got_total;  /* counted even when discarding */
    bool discard;      /* count, do not keep */
    bool eof;
    int err;           /* errno of a failed read */
} tu_client_t;

/* Connects to 127.0.0.1:port (the kernel completes it from the backlog)
 * and watches the socket for input if watch. rcvbuf > 0 sets SO_RCVBUF
 * first. Fails the test on error. */
void tu_client_open(tu_client_t *c, sl_loop_t *loop, uint16_t port, int rcvbuf, bool watch);
/* Starts or stops collecting input. */
void tu_client_watch(tu_client_t *c, bool on);
/* Writes all of p[0..n), running the loop while the socket is full. */
void tu_client_write(tu_client_t *c, const void *p, size_t n);
/* Writes a frame: 4-byte big-endian length, then the bytes. */
void tu_client_write_frame(tu_client_t *c, const void *p, size_t n);
/* Closes; with reset, an RST instead of a FIN (SO_LINGER 0). */
void tu_client_close(tu_client_t *c, bool reset);

/* Bytes the heap holds now (ASan's count under ASan, mallinfo2 otherwise). */
size_t tu_heap_in_use(void);

/* Raise the soft descriptor limit to at least n if the hard one allows. */
void tu_raise_nofile(long n);

#endif
