/*
 * net_int.h - what the files of libsluice-net share and nobody else sees: the
 * loop's and a connection's fields, the timer heap, and the calls the loop
 * makes into conn.c / listener.c / wake.c at fixed points of an iteration.
 */
#ifndef SL_NET_INT_H
#define SL_NET_INT_H

#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "net.h"

#define NET_LOG "net"

/* One watched descriptor; the loop's table is indexed by fd. gen tells an
 * event collected for an earlier user of the same fd number from ours. */
typedef struct net_fd {
    sl_fd_fn *fn;
    void *arg;
    uint32_t gen;
    unsigned mask;  /* SL_EV_* wanted */
    bool used;
    bool in_epoll;  /* mask 0 means out of the epoll set, so a hang-up
                     * on an idle fd cannot spin the loop */
} net_fd_t;

typedef struct net_timer {
    int64_t deadline;  /* monotonic ms */
    int64_t interval;  /* ms, for repeating timers */
    uint64_t seq;      /* tie-break: order of arming */
    sl_timer_fn *fn;
    void *arg;
    uint32_t gen;      /* 0 while the slot is free */
    uint32_t heap_idx; /* NET_TIMER_NONE when not armed */
    uint32_t next_free;
    bool repeat;
} net_timer_t;

#define NET_TIMER_NONE UINT32_MAX

typedef struct net_timers {
    net_timer_t *slots;
    uint32_t nslots;
    uint32_t free_head;  /* NET_TIMER_NONE when none */
    uint32_t *heap;      /* slot indexes, min-heap on (deadline, seq) */
    uint32_t nheap;
    uint32_t heap_cap;
    uint64_t seq;
    uint32_t gen;
} net_timers_t;

typedef struct net_post {
    struct net_post *next;
    sl_loop_fn *fn;
    void *arg;
} net_post_t;

/* Work a handle asks the loop to do outside any callback of the owner's
 * (deliver buffered frames, call a close callback and free). */
typedef struct net_task {
    sl_list_t node;
    void (*fn)(struct net_task *task);
    bool queued;
} net_task_t;

/* Anything attached to a loop that sl_loop_free must close: close() either
 * unlinks the handle at once or queues a task that will. */
typedef struct net_handle {
    sl_list_t node;
    void (*close)(struct net_handle *h);
} net_handle_t;

struct sl_loop {
    int epfd;
    int evfd;
    net_fd_t *fds;
    size_t nfds;
    uint32_t fd_gen;
    int64_t now_ms;
    net_timers_t timers;

    sl_loop_fn *before_sleep;
    void *before_sleep_arg;
    sl_loop_fn *wake_fn;
    void *wake_arg;

    /* Cross-thread state: the only fields other threads touch. */
    atomic_bool stop;
    atomic_bool wake_requested;
    pthread_mutex_t post_mu;
    net_post_t *post_head;
    net_post_t *post_tail;

    sl_list_t handles;    /* net_handle_t: listeners, connections */
    sl_list_t tasks;      /* net_task_t queued for the next chance */
};

/* A file range queued for sendfile, placed after the memory output queued
 * before it: it goes once mem_sent reaches at. */
typedef struct net_file_chunk {
    uint64_t at;       /* value of mem_queued when it was queued */
    int fd;            /* owned: closed once sent or when the connection closes */
    int64_t off;       /* next byte to send */
    size_t len;        /* bytes left */
} net_file_chunk_t;

typedef enum net_conn_state {
    NET_CONN_CONNECTING,
    NET_CONN_OPEN,
    NET_CONN_CLOSED   /* descriptor gone; the close callback is owed */
} net_conn_state_t;

struct sl_conn {
    net_handle_t handle;     /* loop->handles, until freed */
    net_task_t task;         /* hand out buffered frames / call on_close */
    sl_loop_t *loop;
    int fd;                  /* -1 when there is none */
    uint64_t id;
    net_conn_state_t state;
    sl_conn_opts_t opts;
    void *user;

    sl_buf_t in;             /* received bytes; the next frame starts at in_off */
    size_t in_off;
    sl_buf_t out;            /* bytes to send start at out_off */
    size_t out_off;
    uint64_t mem_queued;     /* memory output bytes ever queued (out or sent at once) */
    uint64_t mem_sent;       /* ... and sent */
    net_file_chunk_t *files; /* file ranges to send, a FIFO ring */
    size_t files_head, files_n, files_cap;
    size_t file_pending;     /* bytes of the queued file ranges */
    unsigned mask;           /* SL_EV_* currently asked of the loop */

    bool paused;             /* by the owner */
    bool backpressured;      /* output went above out_high, not yet down to out_low */
    bool flush_close;        /* close once the output is out */
    bool report_connect;     /* outgoing connect failed: on_connect is owed */

    sl_err_t reason;         /* why it closed */
    int sys_errno;

    /* Outgoing connections, while connecting. */
    struct addrinfo *ai_list;
    struct addrinfo *ai_next; /* next address to try */
    sl_timer_id_t connect_timer;

    char peer[64];
};

/* loop.c */
void net_task_queue(sl_loop_t *loop, net_task_t *task);
void net_tasks_run(sl_loop_t *loop);
void net_handle_link(sl_loop_t *loop, net_handle_t *h);
void net_handle_unlink(net_handle_t *h);

/* timer.c */
void net_timers_init(net_timers_t *t);
void net_timers_fini(net_timers_t *t);
/* ms until the nearest deadline from now (>= 0), or -1 when none. */
int64_t net_timers_next_ms(const net_timers_t *t, int64_t now);
void net_timers_run(sl_loop_t *loop, int64_t now);

/* wake.c */
sl_err_t net_wake_init(sl_loop_t *loop);
void net_wake_fini(sl_loop_t *loop);

/* conn.c */
/* A connection in state NET_CONN_CONNECTING (fd -1) when fd < 0, else an
 * open one watched for reads. Links it to the loop. */
sl_err_t net_conn_new(sl_loop_t *loop, int fd, const sl_conn_opts_t *opts, void *user,
                      sl_conn_t **out);
/* Closes the descriptor now; the close callback comes from a task. */
void net_conn_close_now(sl_conn_t *conn, sl_err_t reason, int sys_errno);
void net_conn_update_events(sl_conn_t *conn);
void net_conn_flush(sl_conn_t *conn);
void net_conn_fd_event(sl_loop_t *loop, int fd, unsigned events, void *arg);

/* connect.c */
void net_connect_writable(sl_conn_t *conn);
void net_connect_cleanup(sl_conn_t *conn);

/* addr.c */
/* "a.b.c.d:port" or "[v6]:port" into out. */
void net_addr_format(const struct sockaddr *sa, char *out, size_t outlen);
/* getaddrinfo for TCP; host NULL/"" with passive means any IPv4 address.
 * SL_ERR_INVAL (logged) when it does not resolve. */
sl_err_t net_addr_resolve(const char *host, uint16_t port, bool passive, struct addrinfo **out);
void net_set_nodelay(int fd);

#endif /* SL_NET_INT_H */
