/*
 * worker_int.h - the network thread's private state (worker.c) and the calls
 * broker.c uses to start and stop it. Handlers use the sl_broker_worker_*
 * calls of broker_int.h instead.
 */
#ifndef SL_BROKER_WORKER_INT_H
#define SL_BROKER_WORKER_INT_H

#include "broker_int.h"

/* One client connection, owned by its worker. */
struct sl_broker_conn {
    sl_list_t node;                  /* in worker->conns */
    sl_broker_worker_t *worker;
    sl_conn_t *conn;
    sl_broker_req_t *pending;        /* the deferred request, if any */
    int64_t last_active_ms;          /* loop clock of the last request or reply */
    bool closing;                    /* closed by us; nothing more is read or sent */
};

typedef struct sl_broker_dirty {
    sl_partition_t *part;            /* holds a reference on its topic */
    sl_err_t err;                    /* result of this iteration's fsync */
} sl_broker_dirty_t;

struct sl_broker_worker {
    sl_broker_t *broker;
    int index;
    pthread_t thread;
    bool started;                    /* thread running (main's view) */
    sl_loop_t *loop;
    sl_listener_t *lst;              /* NULL once stopping */
    sl_list_t conns;                 /* sl_broker_conn_t */
    size_t nconns;
    sl_map_t deferred;               /* request id -> deferred sl_broker_req_t */
    sl_list_t flush_list;            /* requests waiting for the group commit */
    sl_broker_dirty_t *dirty;        /* partitions to fsync before sleeping */
    size_t ndirty, capdirty;
    sl_buf_t out;                    /* response encoding buffer, reused */
    sl_buf_t scratch;                /* decompression buffer, reused */
    sl_buf_t records;                /* records of the Fetch being answered, reused */
    sl_buf_t frame;                  /* a frame encoded by a handler, reused */
    bool stopping;

    pthread_mutex_t wake_mu;         /* guards woken; any thread */
    uint64_t *woken;                 /* request ids to wake */
    size_t nwoken, capwoken;
};

/* Creates a worker with its loop and its listener on host:port (reuseport).
 * SL_OK, SL_ERR_IO, SL_ERR_NOMEM. Thread: main. */
sl_err_t sl_broker_worker_new(sl_broker_t *broker, int index, const char *host, uint16_t port,
                              sl_broker_worker_t **out);
/* The port its listener is bound to. Thread: main, before start. */
uint16_t sl_broker_worker_port(const sl_broker_worker_t *worker);
/* Starts the thread running the loop. SL_OK or SL_ERR_IO. Thread: main. */
sl_err_t sl_broker_worker_start(sl_broker_worker_t *worker);
/* Asks the thread to stop (stop listening, finish the group commit, cancel
 * deferred requests, flush and close connections, at most 2 s), without
 * waiting; sl_broker_worker_join then waits for the thread. Thread: main. */
void sl_broker_worker_begin_stop(sl_broker_worker_t *worker);
void sl_broker_worker_join(sl_broker_worker_t *worker);
/* Stops if needed, frees everything. Accepts NULL. Thread: main. */
void sl_broker_worker_free(sl_broker_worker_t *worker);

#endif /* SL_BROKER_WORKER_INT_H */
