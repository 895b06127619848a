/*
 * postgres_sink.c - PostgresSink: writes records into PostgreSQL tables
 * through libpq, with the keys and behaviour of Confluent's JDBC sink
 * (connection.url, insert.mode insert|upsert, pk.mode, pk.fields,
 * auto.create, auto.evolve (optional columns only), table.name.format,
 * batch.size, delete.enabled, max.retries, retry.backoff.ms).
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
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libpq-fe.h>

#include "connector.h"
#include "postgres_int.h"

static const sl_connect_host_t *host;

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
    {"max.retries", SL_CFG_INT, "10", SL_IMPORTANCE_MEDIUM,
     "How often flush retries a write that failed retriably (a lost connection)."},
    {"retry.backoff.ms", SL_CFG_INT, "3000", SL_IMPORTANCE_MEDIUM,
     "The wait between those retries."},
};

static bool config_bool(sl_connect_ctx_t *ctx, const char *key)
{
    const char *v = host->config_get(ctx, key);
    return v && strcasecmp(v, "true") == 0;
}

/* Parses and checks the options; a sentence through set_error when bad. */
static int parse_opts(sl_connect_ctx_t *ctx, pg_opts_t *o)
{
    char err[400];
    int rc = pg_opts_parse(o, host->config_get(ctx, "insert.mode"),
                           host->config_get(ctx, "pk.mode"), host->config_get(ctx, "pk.fields"),
                           config_bool(ctx, "delete.enabled"), config_bool(ctx, "auto.evolve"),
                           err, sizeof(err));
    if (rc)
        host->set_error(ctx, "%s", err);
    return rc;
}

/* ---- the connection ------------------------------------------------------------- */

static void notice(void *arg, const char *msg)
{
    pgsink_t *s = arg;
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n')
        n--;
    host->log(s->ctx, SL_CONNECT_LOG_DEBUG, "PostgreSQL: %.*s", (int)n, msg);
}

/* libpq's message on one line. */
static const char *one_line(const char *msg, char *out, size_t outlen)
{
    size_t n = 0;
    for (; *msg && n + 1 < outlen; msg++)
        out[n++] = *msg == '\n' ? ' ' : *msg;
    while (n && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
    return out;
}

/* Connects when there is no good connection. SL_CONNECT_EAGAIN (with the
 * reason in s->err) when PostgreSQL cannot be reached. */
static int ensure_conn(pgsink_t *s)
{
    if (s->conn && PQstatus(s->conn) == CONNECTION_OK)
        return SL_CONNECT_OK;
    if (s->conn)
        PQfinish(s->conn);
    const char *kw[12], *val[12];
    int n = 0;
    kw[n] = "dbname", val[n++] = s->conninfo.p;
    if (s->user && *s->user)
        kw[n] = "user", val[n++] = s->user;
    if (s->password && *s->password)
        kw[n] = "password", val[n++] = s->password;
    kw[n] = "application_name", val[n++] = "sluice-connect";
    kw[n] = "client_encoding", val[n++] = "UTF8";
    kw[n] = "connect_timeout", val[n++] = "10";
    /* A server gone silent (no reset) is noticed within about a minute,
     * not the system's hours: the write then fails retriably. */
    kw[n] = "tcp_user_timeout", val[n++] = "60000";
    kw[n] = "keepalives_idle", val[n++] = "30";
    kw[n] = "keepalives_interval", val[n++] = "10";
    kw[n] = "keepalives_count", val[n++] = "3";
    kw[n] = NULL, val[n] = NULL;
    s->conn = PQconnectdbParams(kw, val, 1);
    if (!s->conn) {
        snprintf(s->err, sizeof(s->err), "cannot connect to PostgreSQL: out of memory");
        return SL_CONNECT_ENOMEM;
    }
    if (PQstatus(s->conn) != CONNECTION_OK) {
        char line[400];
        snprintf(s->err, sizeof(s->err), "cannot connect to PostgreSQL: %s",
                 one_line(PQerrorMessage(s->conn), line, sizeof(line)));
        PQfinish(s->conn);
        s->conn = NULL;
        return SL_CONNECT_EAGAIN;
    }
    PQsetNoticeProcessor(s->conn, notice, s);
    return SL_CONNECT_OK;
}

/* Whether a failed statement may succeed when tried again: the connection
 * went, or PostgreSQL said so (serialization failure, deadlock, out of
 * resources, shutting down, a lock not available). */
static bool retriable(PGconn *conn, const PGresult *r)
{
    if (PQstatus(conn) != CONNECTION_OK)
        return true;
    const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    if (!st)
        return true;   /* no answer from the server at all */
    return strncmp(st, "08", 2) == 0 || strncmp(st, "53", 2) == 0 || strcmp(st, "40001") == 0 ||
           strcmp(st, "40P01") == 0 || strncmp(st, "57P0", 4) == 0 || strcmp(st, "55P03") == 0;
}

/* Says in s->err what went wrong with r (doing names the statement) and
 * frees it: SL_CONNECT_EAGAIN when retriable, else SL_CONNECT_EIO. */
static int result_error(pgsink_t *s, PGresult *r, const char *doing)
{
    char line[400];
    const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    /* PostgreSQL's sentence and detail, not the statement it may quote. */
    const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *detail = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL) : NULL;
    const char *hint = "";
    if (st && strcmp(st, "42P01") == 0)
        hint = " (create the table, or set auto.create=true)";
    else if (st && strcmp(st, "42703") == 0)
        hint = " (set auto.evolve=true, or add the column with ALTER TABLE)";
    else if (st && strcmp(st, "23505") == 0 && strncmp(doing, "writing", 7) == 0)
        hint = " (insert.mode=upsert writes records with a key that is already there)";
    snprintf(s->sqlstate, sizeof(s->sqlstate), "%s", st ? st : "");
    snprintf(s->err, sizeof(s->err), "%s: %s%s%s%s%s%s", doing,
             one_line(primary ? primary : PQerrorMessage(s->conn), line, sizeof(line)),
             detail ? " (" : "", detail ? detail : "", detail ? ")" : "",
             st ? " [SQLSTATE " : "", st ? st : "");
    size_t n = strlen(s->err);
    snprintf(s->err + n, sizeof(s->err) - n, "%s%s", st ? "]" : "", hint);
    int rc = retriable(s->conn, r) ? SL_CONNECT_EAGAIN : SL_CONNECT_EIO;
    PQclear(r);
    return rc;
}

static bool grow(void **arr, size_t *cap, size_t want, size_t size)
{
    if (want <= *cap)
        return true;
    size_t n = *cap ? *cap : 64;
    while (n < want)
        n *= 2;
    void *p = realloc(*arr, n * size);
    if (!p)
        return false;
    *arr = p;
    *cap = n;
    return true;
}

static void drop_conn(pgsink_t *s)
{
    if (s->conn)
        PQfinish(s->conn);
    s->conn = NULL;
    s->inflight = false;
}

/* Pipeline mode: sends the statement without waiting, keeping its label. */
static int queue_sql(pgsink_t *s, const char *sql, int nparams, const char *doing)
{
    if (!grow((void **)&s->label_offs, &s->labelcap, s->nlabels + 1, sizeof(*s->label_offs)))
        return SL_CONNECT_ENOMEM;
    s->label_offs[s->nlabels++] = s->labels.len;
    pg_buf_add(&s->labels, doing, strlen(doing) + 1);
    if (s->labels.failed)
        return SL_CONNECT_ENOMEM;
    if (!PQsendQueryParams(s->conn, sql, nparams, NULL, nparams ? s->vals : NULL,
                           nparams ? s->lens : NULL, nparams ? s->fmts : NULL, 0)) {
        char line[400];
        snprintf(s->err, sizeof(s->err), "%s: %s", doing,
                 one_line(PQerrorMessage(s->conn), line, sizeof(line)));
        return SL_CONNECT_EAGAIN;
    }
    return SL_CONNECT_OK;
}

/* Runs sql with nparams parameters from s->vals/lens/fmts (queues it while
 * a pipelined write is being sent). */
static int run_sql(pgsink_t *s, const char *sql, int nparams, const char *doing)
{
    if (s->pipelined)
        return queue_sql(s, sql, nparams, doing);
    PGresult *r = PQexecParams(s->conn, sql, nparams, NULL, nparams ? s->vals : NULL,
                               nparams ? s->lens : NULL, nparams ? s->fmts : NULL, 0);
    if (r && PQresultStatus(r) == PGRES_COMMAND_OK) {
        PQclear(r);
        return SL_CONNECT_OK;
    }
    return result_error(s, r, doing);
}

/* ---- writing ---------------------------------------------------------------------- */

static bool param_room(pgsink_t *s, size_t n)
{
    size_t cap = s->pcap;
    if (n <= cap)
        return true;
    size_t c1 = cap, c2 = cap, c3 = cap;
    if (!grow((void **)&s->vals, &c1, n, sizeof(*s->vals)) ||
        !grow((void **)&s->lens, &c2, n, sizeof(*s->lens)) ||
        !grow((void **)&s->fmts, &c3, n, sizeof(*s->fmts)))
        return false;
    s->pcap = c1;   /* all three grew alike */
    return true;
}

/* One statement for the rows of run listed in pick[0..n) (row numbers). */
static int write_chunk(pgsink_t *s, const run_t *run, const size_t *pick, size_t n,
                       pg_conflict_t conflict)
{
    const pg_shape_t *sh = run->shape;
    size_t np = n * sh->ncols;
    if (!param_room(s, np))
        return SL_CONNECT_ENOMEM;
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < sh->ncols; c++) {
            const pg_param_t *p = &s->rows.params[run->first + pick[i] * sh->ncols + c];
            size_t k = i * sh->ncols + c;
            s->vals[k] = p->len < 0 ? NULL : s->rows.data.p + p->off;
            s->lens[k] = p->len < 0 ? 0 : p->len;
            s->fmts[k] = p->binary;
        }
    pg_buf_clear(&s->sql);
    if (sh->del)
        pg_sql_delete(&s->sql, sh, n);
    else
        pg_sql_insert(&s->sql, sh, conflict, n);
    if (s->sql.failed)
        return SL_CONNECT_ENOMEM;
    char doing[200];
    snprintf(doing, sizeof(doing), "%s %zu rows %s table \"%s\"", sh->del ? "deleting" : "writing",
             n, sh->del ? "from" : "to", sh->table);
    return run_sql(s, s->sql.p, (int)np, doing);
}

/* auto.create and tombstones for a table not made yet: 1 when the table
 * is missing (there is nothing to delete), 0 when it is there. */
static int table_missing(pgsink_t *s, const pg_shape_t *sh)
{
    pg_buf_clear(&s->sql);
    pg_buf_ident(&s->sql, sh->table);
    if (s->sql.failed)
        return SL_CONNECT_ENOMEM;
    const char *v = s->sql.p;
    PGresult *r = PQexecParams(s->conn, "SELECT to_regclass($1) IS NULL", 1, NULL, &v, NULL, NULL,
                               0);
    if (!r || PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
        return result_error(s, r, "checking for a table");
    int missing = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    return missing;
}

/* Whether a failed CREATE TABLE IF NOT EXISTS (or ADD COLUMN) lost a race
 * with another task doing the same: the next try finds it done. */
static bool create_race(const pgsink_t *s)
{
    return strcmp(s->sqlstate, "23505") == 0 || strcmp(s->sqlstate, "42P07") == 0 ||
           strcmp(s->sqlstate, "42710") == 0 || strcmp(s->sqlstate, "42701") == 0;
}

/* auto.evolve: adds the shape's columns the table lacks (when the table is
 * there at all: a missing one fails the INSERT with its own message). */
static int evolve(pgsink_t *s, const pg_shape_t *sh)
{
    pg_buf_clear(&s->sql);
    pg_buf_ident(&s->sql, sh->table);
    if (s->sql.failed)
        return SL_CONNECT_ENOMEM;
    const char *v = s->sql.p;
    PGresult *r = PQexecParams(s->conn, "SELECT attname FROM pg_attribute WHERE attrelid = "
                               "to_regclass($1) AND attnum > 0 AND NOT attisdropped", 1, NULL,
                               &v, NULL, NULL, 0);
    if (!r || PQresultStatus(r) != PGRES_TUPLES_OK)
        return result_error(s, r, "reading a table's columns");
    int have = PQntuples(r);
    int rc = SL_CONNECT_OK;
    for (size_t i = 0; have && !rc && i < sh->ncols; i++) {
        const pg_col_t *c = &sh->cols[i];
        bool found = false;
        for (int k = 0; k < have && !found; k++)
            found = strcmp(PQgetvalue(r, k, 0), c->name) == 0;
        if (found)
            continue;
        if (!c->optional || c->pk) {
            snprintf(s->err, sizeof(s->err), "table \"%s\" lacks column \"%s\", which "
                     "auto.evolve does not add: its field is not optional%s", sh->table, c->name,
                     c->pk ? " (a key column)" : "");
            rc = SL_CONNECT_EIO;
            break;
        }
        pg_buf_clear(&s->sql);
        pg_sql_add_column(&s->sql, sh, c);
        if (s->sql.failed) {
            rc = SL_CONNECT_ENOMEM;
            break;
        }
        char doing[200];
        snprintf(doing, sizeof(doing), "adding column \"%s\" to table \"%s\"", c->name,
                 sh->table);
        host->log(s->ctx, SL_CONNECT_LOG_INFO, "auto.evolve: %s", doing);
        if ((rc = run_sql(s, s->sql.p, 0, doing)) == SL_CONNECT_EIO && create_race(s))
            rc = SL_CONNECT_EAGAIN;
    }
    PQclear(r);
    return rc;
}

/* The statements of one run: its rows (the last per key for upserts) in
 * chunks of at most batch.size rows and 65535 parameters. */
static int write_run(pgsink_t *s, run_t *run)
{
    const pg_shape_t *sh = run->shape;
    run->skipped = false;
    if (sh->del && s->auto_create && !sh->ensured) {
        int missing = table_missing(s, sh);
        run->skipped = missing == 1;
        if (missing)
            return missing < 0 ? missing : SL_CONNECT_OK;
    }
    if (!sh->del && s->auto_create && !sh->ensured) {
        pg_buf_clear(&s->sql);
        pg_sql_create(&s->sql, sh);
        if (s->sql.failed)
            return SL_CONNECT_ENOMEM;
        char doing[200];
        snprintf(doing, sizeof(doing), "creating table \"%s\"", sh->table);
        int rc = run_sql(s, s->sql.p, 0, doing);
        if (rc == SL_CONNECT_EIO && create_race(s))
            rc = SL_CONNECT_EAGAIN;
        if (rc)
            return rc;
    }
    if (!sh->del && s->opts.auto_evolve && !sh->ensured) {
        int rc = evolve(s, sh);
        if (rc)
            return rc;
    }
    pg_conflict_t conflict = sh->del ? PG_CONFLICT_ERROR : pg_conflict_of(&s->opts, sh);
    size_t nslots = pg_rows_slots(run->nrows);
    if (!grow((void **)&s->keep, &s->keepcap, run->nrows, sizeof(*s->keep)) ||
        !grow((void **)&s->slots, &s->slotcap, nslots > run->nrows ? nslots : run->nrows,
              sizeof(*s->slots)))
        return SL_CONNECT_ENOMEM;
    bool dedupe = conflict == PG_CONFLICT_UPDATE;
    if (dedupe)
        pg_rows_last_per_key(&s->rows, run->first, run->nrows, sh, s->keep, s->slots, nslots);
    /* The rows to write, in order, in slots (free again after the dedupe). */
    size_t n = 0;
    for (size_t r = 0; r < run->nrows; r++)
        if (!dedupe || s->keep[r])
            s->slots[n++] = r;
    size_t per = pg_rows_per_statement(sh->ncols, s->batch_size);
    for (size_t i = 0; i < n; i += per) {
        int rc = write_chunk(s, run, s->slots + i, n - i < per ? n - i : per, conflict);
        if (rc)
            return rc;
    }
    return SL_CONNECT_OK;
}

static void buffer_clear(pgsink_t *s)
{
    pg_rows_clear(&s->rows);
    s->nrows = 0;
    s->nruns = 0;
    if (s->nshapes == MAX_CACHED_SHAPES) {
        for (size_t i = 0; i < s->nshapes; i++)
            pg_shape_free(s->shapes[i]);
        s->nshapes = 0;
    }
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* The sent write committed: its rows leave the buffer. */
static void drop_sent(pgsink_t *s)
{
    for (size_t i = 0; i < s->sent_runs; i++)
        s->runs[i].shape->ensured |= !s->runs[i].skipped;
    host->log(s->ctx, SL_CONNECT_LOG_DEBUG, "wrote %zu rows (%zu runs) in %.1f ms, pipelined",
              s->sent_rows, s->sent_runs, ms_since(&s->sent_at));
    if (s->sent_runs == s->nruns) {
        buffer_clear(s);
    } else {
        pg_rows_drop_front(&s->rows, s->sent_params);
        s->nruns -= s->sent_runs;
        memmove(s->runs, s->runs + s->sent_runs, s->nruns * sizeof(*s->runs));
        for (size_t i = 0; i < s->nruns; i++)
            s->runs[i].first -= s->sent_params;
        s->nrows -= s->sent_rows;
    }
    s->writes++;
}

/* Reads the outcome of the sent write. On success its rows leave the
 * buffer; on failure they stay, to be written again, and s->err says why
 * (SL_CONNECT_EAGAIN when retriable). */
static int collect(pgsink_t *s)
{
    if (!s->inflight)
        return SL_CONNECT_OK;
    s->inflight = false;
    int rc = SL_CONNECT_OK;
    for (size_t i = 0; i < s->nlabels; i++) {
        const char *label = s->labels.p + s->label_offs[i];
        PGresult *r = PQgetResult(s->conn);
        if (!r) {
            /* Only a broken connection ends the results early. */
            rc = rc ? rc : result_error(s, NULL, label);
            drop_conn(s);
            return rc == SL_CONNECT_EIO ? SL_CONNECT_EAGAIN : rc;
        }
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_COMMAND_OK || st == PGRES_PIPELINE_ABORTED || rc) {
            PQclear(r);
        } else {
            rc = result_error(s, r, label);
            if (rc == SL_CONNECT_EIO && strncmp(label, "creating", 8) == 0 && create_race(s))
                rc = SL_CONNECT_EAGAIN;
        }
        /* Each statement's results end with a NULL. */
        if ((r = PQgetResult(s->conn))) {
            PQclear(r);
            snprintf(s->err, sizeof(s->err), "%s: unexpected results", label);
            drop_conn(s);
            return SL_CONNECT_EAGAIN;
        }
    }
    PGresult *r = PQgetResult(s->conn);
    bool synced = r && PQresultStatus(r) == PGRES_PIPELINE_SYNC;
    PQclear(r);
    if (!synced || !PQexitPipelineMode(s->conn)) {
        char line[400];
        if (!rc)
            snprintf(s->err, sizeof(s->err), "lost PostgreSQL's answer to a write: %s",
                     one_line(PQerrorMessage(s->conn), line, sizeof(line)));
        drop_conn(s);
        return rc && rc != SL_CONNECT_EAGAIN ? rc : SL_CONNECT_EAGAIN;
    }
    if (rc) {
        if (PQtransactionStatus(s->conn) != PQTRANS_IDLE)
            PQclear(PQexec(s->conn, "ROLLBACK"));
        return rc;
    }
    drop_sent(s);
    return SL_CONNECT_OK;
}

/* Whether a run must ask PostgreSQL something before its statements
 * (whether a table is there, which columns it has). */
static bool needs_answer(const pgsink_t *s, const run_t *run)
{
    const pg_shape_t *sh = run->shape;
    return !sh->ensured && (sh->del ? s->auto_create : s->opts.auto_evolve);
}

static int write_all(pgsink_t *s);

/* Sends every buffered row as one transaction through libpq's pipeline
 * mode without waiting for PostgreSQL (collect() reads the outcome), so
 * that PostgreSQL writes while the task consumes the next records. Writes
 * synchronously instead when a run needs an answer first. */
static int send_async(pgsink_t *s)
{
    for (size_t i = 0; i < s->nruns; i++)
        if (needs_answer(s, &s->runs[i]))
            return write_all(s);
    int rc = ensure_conn(s);
    if (rc)
        return rc;
    if (!PQenterPipelineMode(s->conn))
        return write_all(s);
    s->pipelined = true;
    s->nlabels = 0;
    pg_buf_clear(&s->labels);
    clock_gettime(CLOCK_MONOTONIC, &s->sent_at);
    rc = run_sql(s, "BEGIN", 0, "starting a transaction");
    for (size_t i = 0; !rc && i < s->nruns; i++)
        rc = write_run(s, &s->runs[i]);
    if (!rc)
        rc = run_sql(s, "COMMIT", 0, "committing");
    if (!rc && !PQpipelineSync(s->conn)) {
        char line[400];
        snprintf(s->err, sizeof(s->err), "sending a write: %s",
                 one_line(PQerrorMessage(s->conn), line, sizeof(line)));
        rc = SL_CONNECT_EAGAIN;
    }
    s->pipelined = false;
    if (rc) {
        /* A half-sent transaction without its sync: PostgreSQL rolls it back
         * when the connection goes. */
        drop_conn(s);
        if (rc == SL_CONNECT_ENOMEM)
            snprintf(s->err, sizeof(s->err), "out of memory building a statement");
        return rc;
    }
    s->inflight = true;
    s->sent_params = s->rows.count;
    s->sent_rows = s->nrows;
    s->sent_runs = s->nruns;
    return SL_CONNECT_OK;
}

/* Writes every buffered row in one transaction (after the outcome of a
 * sent write, whose rows are written again if it failed retriably). On
 * failure s->err says why and nothing is kept in PostgreSQL; the rows stay
 * buffered. */
static int write_all(pgsink_t *s)
{
    int rc = collect(s);
    if (rc && rc != SL_CONNECT_EAGAIN)
        return rc;
    if (!s->nrows)
        return SL_CONNECT_OK;
    if ((rc = ensure_conn(s)))
        return rc;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = run_sql(s, "BEGIN", 0, "starting a transaction");
    for (size_t i = 0; !rc && i < s->nruns; i++)
        rc = write_run(s, &s->runs[i]);
    if (!rc)
        rc = run_sql(s, "COMMIT", 0, "committing");
    if (rc == SL_CONNECT_ENOMEM)
        snprintf(s->err, sizeof(s->err), "out of memory building a statement");
    if (rc) {
        if (s->conn && PQstatus(s->conn) == CONNECTION_OK &&
            PQtransactionStatus(s->conn) != PQTRANS_IDLE)
            PQclear(PQexec(s->conn, "ROLLBACK"));
        return rc;
    }
    for (size_t i = 0; i < s->nruns; i++)
        s->runs[i].shape->ensured |= !s->runs[i].skipped;
    host->log(s->ctx, SL_CONNECT_LOG_DEBUG, "wrote %zu rows (%zu runs) in %.1f ms", s->nrows,
              s->nruns, ms_since(&t0));
    buffer_clear(s);
    s->writes++;
    return SL_CONNECT_OK;
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
    if ((rc = pg_conninfo(&s->conninfo, host->config_get(ctx, "connection.url"), s->err,
                          sizeof(s->err)))) {
        host->set_error(ctx, "%s", s->err);
        sink_stop(s);
        return rc;
    }
    s->user = host->config_get(ctx, "connection.user");
    s->password = host->config_get(ctx, "connection.password");
    s->table_fmt = host->config_get(ctx, "table.name.format");
    if (!s->table_fmt || !*s->table_fmt)
        s->table_fmt = "${topic}";
    s->auto_create = config_bool(ctx, "auto.create");
    int64_t bs = host->config_int(ctx, "batch.size", 3000);
    int64_t retries = host->config_int(ctx, "max.retries", 10);
    int64_t backoff = host->config_int(ctx, "retry.backoff.ms", 3000);
    if (bs < 1 || bs > 1000000 || retries < 0 || retries > 1000 || backoff < 0 ||
        backoff > 3600000) {
        host->set_error(ctx, "batch.size (1..1000000), max.retries (0..1000) or "
                        "retry.backoff.ms (0..3600000) out of range");
        sink_stop(s);
        return SL_CONNECT_ECONFIG;
    }
    s->batch_size = (size_t)bs;
    s->max_retries = (int)retries;
    s->backoff_ms = backoff;
    /* Connect now so that a wrong URL or password fails the task at once. */
    if ((rc = ensure_conn(s))) {
        host->set_error(ctx, "%s", s->err);
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
        int rc = write_all(s);
        if (rc)
            return rc;
        buffer_clear(s);
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
        if (!grow((void **)&s->runs, &s->runcap, s->nruns + 1, sizeof(*s->runs)))
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
        (rc = collect(s)) == SL_CONNECT_EAGAIN) {
        host->log(s->ctx, SL_CONNECT_LOG_WARN, "%s; will write those rows again", s->err);
        rc = SL_CONNECT_OK;
    }
    if (rc) {
        host->set_error(s->ctx, "%s", s->err);
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
        rc = send_async(s);
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
        host->log(s->ctx, SL_CONNECT_LOG_WARN, "%s; will retry", s->err);
    if (rc == SL_CONNECT_ENOMEM && !s->err[0])
        snprintf(s->err, sizeof(s->err), "out of memory");
    host->set_error(s->ctx, "%s", s->err);
    return rc;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static int sink_flush(void *task, const sl_connect_tpo_t *offsets, size_t n)
{
    (void)offsets;
    (void)n;
    pgsink_t *s = task;
    s->err[0] = '\0';
    int rc = write_all(s);
    for (int attempt = 1; rc == SL_CONNECT_EAGAIN && attempt <= s->max_retries; attempt++) {
        host->log(s->ctx, SL_CONNECT_LOG_WARN, "%s; retry %d of %d in %lld ms", s->err, attempt,
                  s->max_retries, (long long)s->backoff_ms);
        sleep_ms(s->backoff_ms);
        rc = write_all(s);
    }
    if (rc == SL_CONNECT_EAGAIN) {
        host->set_error(s->ctx, "%s (gave up after %d retries)", s->err, s->max_retries);
        return SL_CONNECT_EIO;
    }
    if (rc)
        host->set_error(s->ctx, "%s", s->err);
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
    if (!rc && (rc = pg_conninfo(&ci, host->config_get(ctx, "connection.url"), err,
                                 sizeof(err))))
        host->set_error(ctx, "%s", err);
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
    const char *url = host->config_get(ctx, "connection.url");
    for (int i = 0; i < max_tasks; i++) {
        int rc = host->taskcfg_put(out, i, "connection.url", url ? url : "");
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
    host = h;
    return &plugin;
}
