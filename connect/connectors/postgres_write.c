/*
 * postgres_write.c - PostgresSink's writer: the libpq connection (with
 * TCP keepalives, notices to the debug log), statements with every value a
 * parameter, errors as PostgreSQL's sentence and SQLSTATE, retriable or
 * not; a batch written in one transaction, synchronously or sent through
 * libpq's pipeline mode and collected later; auto.create and auto.evolve.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "postgres_sink_int.h"

/* ---- the connection ------------------------------------------------------------- */

static void notice(void *arg, const char *msg)
{
    pgsink_t *s = arg;
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n')
        n--;
    pg_host->log(s->ctx, SL_CONNECT_LOG_DEBUG, "PostgreSQL: %.*s", (int)n, msg);
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
int pg_sink_connect(pgsink_t *s)
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

bool pg_grow(void **arr, size_t *cap, size_t want, size_t size)
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
    if (!pg_grow((void **)&s->label_offs, &s->labelcap, s->nlabels + 1, sizeof(*s->label_offs)))
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
    if (!pg_grow((void **)&s->vals, &c1, n, sizeof(*s->vals)) ||
        !pg_grow((void **)&s->lens, &c2, n, sizeof(*s->lens)) ||
        !pg_grow((void **)&s->fmts, &c3, n, sizeof(*s->fmts)))
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
        pg_host->log(s->ctx, SL_CONNECT_LOG_INFO, "auto.evolve: %s", doing);
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
    if (!pg_grow((void **)&s->keep, &s->keepcap, run->nrows, sizeof(*s->keep)) ||
        !pg_grow((void **)&s->slots, &s->slotcap, nslots > run->nrows ? nslots : run->nrows,
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

void pg_sink_buffer_clear(pgsink_t *s)
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
    pg_host->log(s->ctx, SL_CONNECT_LOG_DEBUG, "wrote %zu rows (%zu runs) in %.1f ms, "
                 "pipelined", s->sent_rows, s->sent_runs, ms_since(&s->sent_at));
    if (s->sent_runs == s->nruns) {
        pg_sink_buffer_clear(s);
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
int pg_sink_collect(pgsink_t *s)
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

/* Sends every buffered row as one transaction through libpq's pipeline
 * mode without waiting for PostgreSQL (pg_sink_collect() reads the outcome), so
 * that PostgreSQL writes while the task consumes the next records. Writes
 * synchronously instead when a run needs an answer first. */
int pg_sink_send(pgsink_t *s)
{
    for (size_t i = 0; i < s->nruns; i++)
        if (needs_answer(s, &s->runs[i]))
            return pg_sink_write(s);
    int rc = pg_sink_connect(s);
    if (rc)
        return rc;
    if (!PQenterPipelineMode(s->conn))
        return pg_sink_write(s);
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
int pg_sink_write(pgsink_t *s)
{
    int rc = pg_sink_collect(s);
    if (rc && rc != SL_CONNECT_EAGAIN)
        return rc;
    if (!s->nrows)
        return SL_CONNECT_OK;
    if ((rc = pg_sink_connect(s)))
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
    pg_host->log(s->ctx, SL_CONNECT_LOG_DEBUG, "wrote %zu rows (%zu runs) in %.1f ms",
                 s->nrows, s->nruns, ms_since(&t0));
    pg_sink_buffer_clear(s);
    s->writes++;
    return SL_CONNECT_OK;
}
