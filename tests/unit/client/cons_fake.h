/*
 * cons_fake.h - the consumer tests' world on the fake broker
 * (fake_broker.h): a log per partition of topic "t" (NPART partitions, p0
 * led by node 0, p1 by node 1; one record per batch, value "p<P>-<offset>"
 * padded to value_size) served by Fetch and ListOffsets, with faults to
 * script (NOT_LEADER once, dropped or garbled Fetches, a cut response), a
 * consumer with short timeouts, and polling helpers checking order and
 * content. W is guarded by W.mu.
 */
#ifndef SL_TEST_CONS_FAKE_H
#define SL_TEST_CONS_FAKE_H

#include <pthread.h>

#include "client_util.h"
#include "fake_broker.h"

#define NPART 2
#define MAXB 64

/* The fake log: batches of one record each, offsets log_start..next-1. */
typedef struct plog {
    sl_buf_t data;
    size_t pos[MAXB];          /* byte position of the batch of offset i */
    int64_t start, next;
} plog_t;

typedef struct world {
    pthread_mutex_t mu;
    plog_t log[NPART];
    int not_leader;            /* answer this many Fetches of p0 with NOT_LEADER */
    bool p0_moved;             /* p0's leader is node 1 now: node 0 refuses its Fetches */
    int drop, garbage;         /* drop / garble this many Fetches */
    bool cut;                  /* cut the response inside its last batch */
    size_t value_size;
} world_t;

extern world_t W;

/* Appends one record to l (W.mu held or no broker running). */
void cf_log_append(plog_t *l, int partition, size_t value_size);
/* records per partition, offsets below log_start out of range. */
void cf_world_init(int records, int64_t log_start, size_t value_size);
void cf_world_fini(void);
/* Fetch and ListOffsets from W; everything else to the fake's defaults. */
sl_fb_reply_t cf_handler(sl_fb_t *fb, const sl_fb_req_t *req, void *arg);
/* A two-node fake with topic "t" and fn (NULL: cf_handler) as handler. */
sl_fb_t *cf_fb_start(sl_fb_handler_fn *fn);
/* A consumer of fb with short timeouts and extra key/value pairs. */
sl_consumer_t *cf_consumer(sl_fb_t *fb, const char *const *extra, sl_rebalance_fn *rb, void *rb_arg);
/* Assigns t/0 at off0 and t/1 at off1 (SL_OFFSET_INVALID: only t/0). */
void cf_assign(sl_consumer_t *c, int64_t off0, int64_t off1);
/* Polls up to want messages within 5 s checking each against next[p]
 * (advanced); error events are counted in *errs (last in *last_err). */
int cf_poll_n(sl_consumer_t *c, int want, int64_t *next, int *errs, sl_err_t *last_err);
/* The position of t/p from sl_consumer_assignment. */
int64_t cf_position(sl_consumer_t *c, int p);

#endif
