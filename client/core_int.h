/*
 * core_int.h - what the core's own files (conf.c, core.c, events.c,
 * broker.c, metadata.c, coord.c) share and no other part of the client
 * uses: the handle's struct and each module's setup, shutdown and
 * cross-module calls. Everything here runs on the I/O thread unless it says
 * otherwise.
 */
#ifndef SL_CLIENT_CORE_INT_H
#define SL_CLIENT_CORE_INT_H

#include <pthread.h>

#include "client_int.h"

#define SL_CL_MODULE "client"
#define SL_CL_HOST_MAX 256

/* One host:port of bootstrap.servers. */
typedef struct sl_cl_addr {
    char host[SL_CL_HOST_MAX];
    uint16_t port;
} sl_cl_addr_t;

/* Parses "h1:p1, h2:p2, [::1]:p3" into a malloc'ed array (*out, *n; the
 * caller frees). SL_ERR_CONFIG with errbuf for an empty list, a missing or
 * bad port, an unclosed bracket; SL_ERR_NOMEM. any. */
sl_err_t sl_cl_bootstrap_parse(const char *s, sl_cl_addr_t **out, size_t *n, char *errbuf,
                               size_t errlen);

typedef struct sl_cl_post_item sl_cl_post_item_t;
typedef struct sl_cl_brokers sl_cl_brokers_t;
typedef struct sl_cl_meta sl_cl_meta_t;
typedef struct sl_cl_coords sl_cl_coords_t;

/* The queue of application-thread events (events.c). */
typedef struct sl_cl_events {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    sl_cl_event_t *head, *tail;
    uint64_t wakes;          /* sl_cl_events_wake calls, so a waiter sees them */
} sl_cl_events_t;

struct sl_cl {
    sl_cl_conf_t conf;
    char name[16];
    sl_loop_t *loop;
    pthread_t thread;
    bool thread_started;
    void *owner;

    /* Guards stopping, the post queue, call completion and last_error. */
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool stopping;           /* no more posts accepted */
    bool closing;            /* io: the shutdown runs, sends are refused */
    sl_cl_post_item_t *posts_head, *posts_tail;
    char last_error[256];

    sl_cl_events_t events;
    sl_cl_brokers_t *brokers;
    sl_cl_meta_t *meta;
    sl_cl_coords_t *coords;
};

/* Records a connection failure sentence for sl_cl_last_error. any. */
void sl_cl_set_last_error(sl_cl_t *cl, const char *fmt, ...) SL_PRINTF(2, 3);

/* ---- events.c ----------------------------------------------------------- */
void sl_cl_events_init(sl_cl_events_t *q);
/* Frees events never run (their free). */
void sl_cl_events_fini(sl_cl_events_t *q);

/* ---- broker.c ------------------------------------------------------------ */
sl_err_t sl_cl_brokers_init(sl_cl_t *cl);
/* Answers every queued and in-flight request with SL_ERR_CLOSED and closes
 * the connections (their close callbacks come from the loop or its free). */
void sl_cl_brokers_shutdown(sl_cl_t *cl);
/* Frees what is left, after the loop was freed. */
void sl_cl_brokers_fini(sl_cl_t *cl);
/* Learns (or changes) the address of node_id (from Metadata or
 * FindCoordinator); requests waiting for that address start connecting.
 * host borrowed. SL_ERR_NOMEM. */
sl_err_t sl_cl_broker_learn(sl_cl_t *cl, int32_t node_id, const char *host, int32_t port);
/* True once some metadata named brokers (bootstrap addresses are then
 * only a fallback). */
bool sl_cl_brokers_known(sl_cl_t *cl);

/* ---- metadata.c ---------------------------------------------------------- */
sl_err_t sl_cl_meta_init(sl_cl_t *cl);
void sl_cl_meta_shutdown(sl_cl_t *cl);
void sl_cl_meta_fini(sl_cl_t *cl);

/* ---- coord.c ------------------------------------------------------------- */
sl_err_t sl_cl_coords_init(sl_cl_t *cl);
/* Answers every waiting lookup with SL_ERR_CLOSED. */
void sl_cl_coords_shutdown(sl_cl_t *cl);
void sl_cl_coords_fini(sl_cl_t *cl);

#endif /* SL_CLIENT_CORE_INT_H */
