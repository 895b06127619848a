/*
 * postgres_sink_int.h - the contract between PostgresSink's task
 * (postgres_sink.c: config, put, flush, the buffer of rows) and its writer
 * (postgres_write.c: the connection, the statements, pipelined writes and
 * their outcome). Both work on one pgsink_t, on the task's thread only.
 * Errors: calls return 0 or an SL_CONNECT_E* code and leave a sentence in
 * s->err; SL_CONNECT_EAGAIN means retriable (the rows stay buffered).
 */
#ifndef SL_CONNECT_POSTGRES_SINK_INT_H
#define SL_CONNECT_POSTGRES_SINK_INT_H

#include <time.h>

#include <libpq-fe.h>

#include "connector.h"
#include "postgres_int.h"

/* The worker's host table (postgres_sink.c sets it at load). */
extern const sl_connect_host_t *pg_host;

/* Shapes kept between batches (a few topics and schema versions). */
#define MAX_CACHED_SHAPES 32

/* Consecutive buffered rows of one shape. */
typedef struct run {
    pg_shape_t *shape;    /* borrowed from the cache */
    size_t first;         /* its first parameter in rows */
    size_t nrows;
    bool skipped;         /* deletes from a table auto.create has not made */
} run_t;

typedef struct pgsink {
    sl_connect_ctx_t *ctx;
    PGconn *conn;
    pg_buf_t conninfo;
    const char *user, *password, *table_fmt;  /* borrowed from ctx */
    pg_opts_t opts;
    bool auto_create;
    size_t batch_size;
    int max_retries;
    int64_t backoff_ms;

    pg_rows_t rows;       /* buffered, not yet written */
    size_t nrows;
    run_t *runs;
    size_t nruns, runcap;
    pg_shape_t *shapes[MAX_CACHED_SHAPES];
    size_t nshapes;
    uint64_t writes;      /* transactions committed */

    /* A write sent through libpq's pipeline mode whose outcome is not read
     * yet: the first sent_params parameters (sent_rows rows, sent_runs runs)
     * of the buffer. The labels name its statements for error messages. */
    bool pipelined;       /* run_sql queues instead of waiting */
    bool inflight;
    size_t sent_params, sent_rows, sent_runs;
    pg_buf_t labels;      /* NUL-separated */
    size_t *label_offs;
    size_t nlabels, labelcap;
    struct timespec sent_at;

    /* Scratch, reused. */
    pg_buf_t table, sql;
    const char **vals;
    int *lens, *fmts;
    size_t pcap;
    bool *keep;
    size_t *slots;
    size_t keepcap, slotcap;
    char err[480];
    char sqlstate[6];     /* of the last failed statement; "" when none */
} pgsink_t;

/* Grows *arr (malloc'ed, *cap items of size bytes) to hold want items;
 * false when out of memory (then *arr is untouched). */
bool pg_grow(void **arr, size_t *cap, size_t want, size_t size);

/* Connects when there is no good connection: SL_CONNECT_EAGAIN when
 * PostgreSQL cannot be reached. */
int pg_sink_connect(pgsink_t *s);
/* Sends every buffered row as one transaction without waiting (libpq's
 * pipeline mode); its outcome is read by pg_sink_collect. Writes at once
 * instead (pg_sink_write) when a run needs an answer from PostgreSQL first
 * (auto.evolve's columns, a table auto.create may not have made). Requires
 * no write in flight. */
int pg_sink_send(pgsink_t *s);
/* Reads the outcome of the write in flight (0 when none): on success its
 * rows leave the buffer; on failure they stay, to be written again. */
int pg_sink_collect(pgsink_t *s);
/* Writes every buffered row in one transaction and waits for it (after
 * collecting the write in flight, whose rows are written again when it
 * failed retriably). On failure nothing is kept in PostgreSQL. */
int pg_sink_write(pgsink_t *s);
/* Empties the buffer (and the shape cache when it is full). */
void pg_sink_buffer_clear(pgsink_t *s);

#endif /* SL_CONNECT_POSTGRES_SINK_INT_H */
