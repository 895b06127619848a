/*
 * postgres_sink.c - PostgresSink: writes records into PostgreSQL tables
 * through libpq, with the keys and behaviour of Confluent's JDBC sink
 * (connection.url, insert.mode insert|upsert, pk.mode, pk.fields,
 * auto.create, auto.evolve (optional columns only), table.name.format,
 * batch.size, delete.enabled, max.retries, retry.backoff.ms,
 * connection.attempts, connection.backoff.ms).
 *
 * put() turns records into rows of parameters (postgres_rows.c) and keeps
 * them; once batch.size rows wait, and at every flush(), one transaction
 * writes them all: per run of records with one table and schema, the
 * CREATE TABLE auto.create asks for, then multi-row INSERTs (.. ON CONFLICT
 * for upsert, or DO NOTHING on the Kafka coordinates) and DELETEs for
 * tombstones, every value a parameter. flush() returns 0 only after COMMIT,
 * so the worker commits offsets of rows that are in the table; upserts and
 * coordinate keys make the replay after a crash write nothing twice.
 *
 * A full batch is sent through libpq's pipeline mode and put() returns at
 * once: PostgreSQL writes it while the task consumes the next records. Its
 * rows stay buffered until its outcome is read (before the next batch is
 * sent, and in flush()); if it failed retriably they are written again with
 * the next ones. So at most two batches are in memory.
 *
 * A lost connection (or a serialization failure, deadlock, shutdown) is
 * retriable: put() answers SL_CONNECT_EAGAIN with its own records taken
 * back, and the worker calls it again; flush() retries max.retries times,
 * retry.backoff.ms apart, reconnecting each time. Everything else fails the
 * task with PostgreSQL's message.
 *
 * This file is the task (config, put, flush, the buffer); postgres_write.c
 * writes (postgres_sink_int.h between them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "postgres_sink_int.h"

const sl_connect_host_t *pg_host;

static const sl_connect_configdef_t defs[] = {
    {"topics", SL_CFG_LIST, NULL, SL_IMPORTANCE_HIGH, "The topics to read."},
    {"connection.url", SL_CFG_STRING, NULL, SL_IMPORTANCE_HIGH,
     "jdbc:postgresql://host:port/database, or a libpq URI or key=value connection string."},
    {"connection.user", SL_CFG_STRING, "", SL_IMPORTANCE_HIGH,
     "The user to connect as (empty: the URL's or libpq's default)."},
    {"connection.password", SL_CFG_PASSWORD, "", SL_IMPORTANCE_HIGH,
     "The user's password (empty: the URL's, ~/.pgpass or none)."},
    {"insert.mode", SL_CFG_STRING, "insert", SL_IMPORTANCE_HIGH,
     "insert: plain INSERTs; upsert: INSERT .. ON CONFLICT (key) DO UPDATE."},
    {"pk.mode", SL_CFG_STRING, "none", SL_IMPORTANCE_HIGH,
     "Where the primary key comes from: none, kafka (topic, partition, offset), record_key or "
     "record_value."},
    {"pk.fields", SL_CFG_LIST, "", SL_IMPORTANCE_MEDIUM,
     "The primary key's columns: for kafka three names, for record_key a primitive key's column "
     "name or the key struct's fields, for record_value the value's fields (empty: defaults, "
     "all fields)."},
    {"auto.create", SL_CFG_BOOLEAN, "false", SL_IMPORTANCE_MEDIUM,
     "Create a missing table (CREATE TABLE IF NOT EXISTS) from the record's schema."},
    {"auto.evolve", SL_CFG_BOOLEAN, "false", SL_IMPORTANCE_MEDIUM,
     "Add the columns of new optional fields to an existing table (ALTER TABLE ADD COLUMN); "
     "a new field that is not optional fails the task."},
    {"delete.enabled", SL_CFG_BOOLEAN, "false", SL_IMPORTANCE_MEDIUM,
     "Delete the row of a record with a null value (needs pk.mode=record_key); when false "
     "such a record fails the task."},
    {"table.name.format", SL_CFG_STRING, "${topic}", SL_IMPORTANCE_MEDIUM,
     "The table's name, ${topic} replaced by the record's topic (one identifier, quoted)."},
    {"batch.size", SL_CFG_INT, "3000", SL_IMPORTANCE_MEDIUM,
     "Rows buffered before a write, and most rows per statement."},
    {"connection.attempts", SL_CFG_INT, "3", SL_IMPORTANCE_LOW,
     "How often a starting task tries to connect before it fails."},
    {"connection.backoff.ms", SL_CFG_LONG, "10000", SL_IMPORTANCE_LOW,
     "The wait between those tries."},
    {"max.retries", SL_CFG_INT, "10", SL_IMPORTANCE_MEDIUM,
     "How often flush retries a write that failed retriably (a lost connection)."},
    {"retry.backoff.ms", SL_CFG_INT, "3000", SL_IMPORTANCE_MEDIUM,
     "The wait between those retries."},
};

static bool config_bool(sl_connect_ctx_t *ctx, const char *key)
{
    const char *v = pg_host->config_get(ctx, key);
    return v && strcasecmp(v, "true") == 0;
}

/* Parses and checks the options; a sentence through set_error when bad. */
static int parse_opts(sl_connect_ctx_t *ctx, pg_opts_t *o)
{
    char err[400];
    int rc = pg_opts_parse(o, pg_host->config_get(ctx, "insert.mode"),
                           pg_host->config_get(ctx, "pk.mode"),
                           pg_host->config_get(ctx, "pk.fields"),
                           config_bool(ctx, "delete.enabled"), config_bool(ctx, "auto.evolve"),
                           err, sizeof(err));
    if (rc)
        pg_host->set_error(ctx, "%s", err);
    return rc;
}

/* ---- the task --------------------------------------------------------------------- */

static void sink_stop(void *task)
{
    pgsink_t *s = task;
    if (!s)
        return;
    if (s->conn)
        PQfinish(s->conn);
    for (size_t i = 0; i < s->nshapes; i++)
        pg_shape_free(s->shapes[i]);
    pg_opts_free(&s->opts);
    pg_rows_free(&s->rows);
    pg_buf_free(&s->conninfo);
    pg_buf_free(&s->table);
    pg_buf_free(&s->sql);
    pg_buf_free(&s->labels);
    free(s->label_offs);
    free(s->runs);
    free(s->vals);
    free(s->lens);
    free(s->fmts);
    free(s->keep);
    free(s->slots);
    free(s);
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static int sink_start(sl_connect_ctx_t *ctx, void **task)
{
    pgsink_t *s = calloc(1, sizeof(*s));
    if (!s)
        return SL_CONNECT_ENOMEM;
    s->ctx = ctx;
    int rc = parse_opts(ctx, &s->opts);
    if (rc) {
        sink_stop(s);
        return rc;
    }
    if ((rc = pg_conninfo(&s->conninfo, pg_host->config_get(ctx, "connection.url"), s->err,
                          sizeof(s->err)))) {
        pg_host->set_error(ctx, "%s", s->err);
        sink_stop(s);
        return rc;
    }
    s->user = pg_host->config_get(ctx, "connection.user");
    s->password = pg_host->config_get(ctx, "connection.password");
    s->table_fmt = pg_host->config_get(ctx, "table.name.format");
    if (!s->table_fmt || !*s->table_fmt)
        s->table_fmt = "${topic}";
    s->auto_create = config_bool(ctx, "auto.create");
    int64_t bs = pg_host->config_int(ctx, "batch.size", 3000);
    int64_t retries = pg_host->config_int(ctx, "max.retries", 10);
    int64_t backoff = pg_host->config_int(ctx, "retry.backoff.ms", 3000);
    if (bs < 1 || bs > 1000000 || retries < 0 || retries > 1000 || backoff < 0 ||
        backoff > 3600000) {
        pg_host->set_error(ctx, "batch.size (1..1000000), max.retries (0..1000) or "
                           "retry.backoff.ms (0..3600000) out of range");
        sink_stop(s);
        return SL_CONNECT_ECONFIG;
    }
    s->batch_size = (size_t)bs;
    s->max_retries = (int)retries;
    s->backoff_ms = backoff;
    /* Connect now, so that a wrong URL or password fails the task with
     * libpq's reason after connection.attempts tries. */
    int64_t attempts = pg_host->config_int(ctx, "connection.attempts", 3);
    int64_t wait = pg_host->config_int(ctx, "connection.backoff.ms", 10000);
    if (attempts < 1 || attempts > 1000 || wait < 0 || wait > 3600000) {
        pg_host->set_error(ctx, "connection.attempts (1..1000) or connection.backoff.ms "
                           "(0..3600000) out of range");
        sink_stop(s);
        return SL_CONNECT_ECONFIG;
    }
    for (int64_t i = 1; (rc = pg_sink_connect(s)) == SL_CONNECT_EAGAIN && i < attempts; i++) {
        pg_host->log(ctx, SL_CONNECT_LOG_WARN, "%s; attempt %lld of %lld in %lld ms", s->err,
                     (long long)i + 1, (long long)attempts, (long long)wait);
        sleep_ms(wait);
    }
    if (rc) {
        pg_host->set_error(ctx, "%s", s->err);
        sink_stop(s);
        return rc == SL_CONNECT_EAGAIN ? SL_CONNECT_EIO : rc;
    }
    *task = s;
    return SL_CONNECT_OK;
}

/* The shape of rec (a cached one if it fits, else a new one). */
static int shape_for(pgsink_t *s, const sl_connect_record_t *rec, bool del, pg_shape_t **out)
{
    for (size_t i = s->nshapes; i-- > 0;)
        if (pg_shape_fits(s->shapes[i], s->table.p, rec, del)) {
            *out = s->shapes[i];
            return SL_CONNECT_OK;
        }
    if (s->nshapes == MAX_CACHED_SHAPES) {
        /* Full of shapes: write what waits, then start the cache again. */
        int rc = pg_sink_write(s);
        if (rc)
            return rc;
        pg_sink_buffer_clear(s);
    }
    int rc = pg_shape_build(&s->opts, s->table.p, rec, del, out, s->err, sizeof(s->err));
    if (!rc)
        s->shapes[s->nshapes++] = *out;
    return rc;
}

/* Adds rec to the buffer. */
static int buffer_add(pgsink_t *s, const sl_connect_record_t *rec)
{
    bool del = !rec->value || rec->value->type == SL_CT_NULL;
    if (del && !s->opts.delete_enabled) {
        snprintf(s->err, sizeof(s->err), "record %s-%d@%lld has a null value (a tombstone): "
                 "set delete.enabled=true with pk.mode=record_key to delete rows by key",
                 rec->topic, (int)rec->partition, (long long)rec->kafka_offset);
        return SL_CONNECT_EINVAL;
    }
    int rc = pg_table_name(&s->table, s->table_fmt, rec->topic);
    if (rc) {
        snprintf(s->err, sizeof(s->err), "table.name.format gives no table name for topic %s",
                 rec->topic);
        return rc;
    }
    /* The last run takes more rows unless it was sent. */
    run_t *run = s->nruns > (s->inflight ? s->sent_runs : 0) ? &s->runs[s->nruns - 1] : NULL;
    if (!run || !pg_shape_fits(run->shape, s->table.p, rec, del)) {
        pg_shape_t *shape;
        if ((rc = shape_for(s, rec, del, &shape)))
            return rc;
        if (!pg_grow((void **)&s->runs, &s->runcap, s->nruns + 1, sizeof(*s->runs)))
            return SL_CONNECT_ENOMEM;
        run = &s->runs[s->nruns++];
        *run = (run_t){.shape = shape, .first = s->rows.count};
    }
    if ((rc = pg_rows_add(&s->rows, run->shape, rec, s->err, sizeof(s->err))))
        return rc;
    run->nrows++;
    s->nrows++;
    return SL_CONNECT_OK;
}

static int sink_put(void *task, const sl_connect_record_t *recs, size_t n)
{
    pgsink_t *s = task;
    s->err[0] = '\0';
    /* This call fills the batch: the previous one must be through first. A
     * retriable failure leaves its rows buffered, sent again with these. */
    int rc = SL_CONNECT_OK;
    if (s->inflight && s->nrows - s->sent_rows + n >= s->batch_size &&
        (rc = pg_sink_collect(s)) == SL_CONNECT_EAGAIN) {
        pg_host->log(s->ctx, SL_CONNECT_LOG_WARN, "%s; will write those rows again", s->err);
        rc = SL_CONNECT_OK;
    }
    if (rc) {
        pg_host->set_error(s->ctx, "%s", s->err);
        return rc;
    }
    /* Where this call's rows begin: a failure takes them back (a retriable
     * one because the worker calls again with the same records). */
    size_t count = s->rows.count, nrows = s->nrows, nruns = s->nruns;
    size_t last = nruns ? s->runs[nruns - 1].nrows : 0;
    uint64_t writes = s->writes;
    for (size_t i = 0; !rc && i < n; i++)
        rc = buffer_add(s, &recs[i]);
    if (!rc && !s->inflight && s->nrows >= s->batch_size)
        rc = pg_sink_send(s);
    if (!rc)
        return SL_CONNECT_OK;
    if (s->writes == writes) {
        pg_rows_truncate(&s->rows, count);
        s->nrows = nrows;
        s->nruns = nruns;
        if (nruns)
            s->runs[nruns - 1].nrows = last;
    } else if (rc == SL_CONNECT_EAGAIN) {
        /* A full shape cache wrote part of this call's rows already: they
         * cannot be taken back. */
        rc = SL_CONNECT_EIO;
    }
    if (rc == SL_CONNECT_EAGAIN)
        pg_host->log(s->ctx, SL_CONNECT_LOG_WARN, "%s; will retry", s->err);
    if (rc == SL_CONNECT_ENOMEM && !s->err[0])
        snprintf(s->err, sizeof(s->err), "out of memory");
    pg_host->set_error(s->ctx, "%s", s->err);
    return rc;
}

static int sink_flush(void *task, const sl_connect_tpo_t *offsets, size_t n)
{
    (void)offsets;
    (void)n;
    pgsink_t *s = task;
    s->err[0] = '\0';
    int rc = pg_sink_write(s);
    for (int attempt = 1; rc == SL_CONNECT_EAGAIN && attempt <= s->max_retries; attempt++) {
        pg_host->log(s->ctx, SL_CONNECT_LOG_WARN, "%s; retry %d of %d in %lld ms", s->err,
                     attempt, s->max_retries, (long long)s->backoff_ms);
        sleep_ms(s->backoff_ms);
        rc = pg_sink_write(s);
    }
    if (rc == SL_CONNECT_EAGAIN) {
        pg_host->set_error(s->ctx, "%s (gave up after %d retries)", s->err, s->max_retries);
        return SL_CONNECT_EIO;
    }
    if (rc)
        pg_host->set_error(s->ctx, "%s", s->err);
    return rc;
}

/* The connector checks the options, so that a bad one fails the connector
 * itself rather than each task. */
static int connector_start(sl_connect_ctx_t *ctx, void **state)
{
    pg_opts_t o;
    int rc = parse_opts(ctx, &o);
    pg_opts_free(&o);
    char err[300];
    pg_buf_t ci = {0};
    if (!rc && (rc = pg_conninfo(&ci, pg_host->config_get(ctx, "connection.url"), err,
                                 sizeof(err))))
        pg_host->set_error(ctx, "%s", err);
    pg_buf_free(&ci);
    *state = NULL;
    return rc;
}

/* max_tasks tasks with the connector's config (they share the topics'
 * partitions through the consumer group). Each task is created by
 * restating a key of the connector's config: the worker overlays task
 * configs on the connector's. */
static int task_configs(void *state, sl_connect_ctx_t *ctx, int max_tasks,
                        sl_connect_taskcfgs_t *out)
{
    (void)state;
    const char *url = pg_host->config_get(ctx, "connection.url");
    for (int i = 0; i < max_tasks; i++) {
        int rc = pg_host->taskcfg_put(out, i, "connection.url", url ? url : "");
        if (rc)
            return rc;
    }
    return max_tasks;
}

static const sl_connect_sink_task_t sink_vt = {
    .start = sink_start,
    .put = sink_put,
    .flush = sink_flush,
    .stop = sink_stop,
};

static int plugin_init(char *errbuf, size_t errlen)
{
    if (!PQisthreadsafe()) {
        snprintf(errbuf, errlen, "this libpq is not thread-safe");
        return -1;
    }
    return 0;
}

static const sl_connect_plugin_t plugin = {
    .abi_version = SL_CONNECT_ABI_VERSION,
    .class_name = "PostgresSink",
    .version = "1.0",
    .kind = SL_CONNECT_SINK,
    .config_defs = defs,
    .config_def_count = sizeof(defs) / sizeof(defs[0]),
    .init = plugin_init,
    .connector_start = connector_start,
    .task_configs = task_configs,
    .sink = &sink_vt,
};

SL_CONNECT_EXPORT const sl_connect_plugin_t *sl_connect_plugin_v1(const sl_connect_host_t *h)
{
    pg_host = h;
    return &plugin;
}
