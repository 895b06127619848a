/*
 * bench_sql.c - the SQL engine's speed on Nexmark: events per second, and
 * per core of CPU time, for the Nexmark queries of bench/nexmark/ (q0
 * pass-through, q1 currency conversion, q2 selection, q3 person-auction
 * join, q4 average closing price per category, q5 hot items over a hopping
 * window, q7 highest bid per tumbling window, q8 new users join), in process
 * on a local engine or end to end against a broker:
 *
 *   bench_sql [-n EVENTS] [-q q0,q1,...] [-d SQLDIR] [-p text|raw] [-s SEED]
 *   bench_sql -b HOST:PORT [-P SLUICED_PID] [-T SECONDS] [-Q MS] [-C MS] [-n ...]
 *
 * In process (no -b): for each query a fresh local engine (sql.h:
 * sl_sql_engine_new_local) runs bench/nexmark/sources.sql and the query's
 * file, then the same EVENTS Nexmark events (nexmark/gen.c, generated
 * before the clock starts; default 200000) are produced in order to the
 * person, auction and bid topics. Every record a query writes reaches its
 * readers before produce returns, so the time from the first produce to
 * the last is the time the engine took for all of them. CPU time is the
 * process's (CLOCK_PROCESS_CPUTIME_ID): the local engine runs its queries
 * on the calling thread.
 *
 * -p text (the default) produces through sl_sql_local_produce (JSON text
 * parsed and encoded with the topic's formats, as the data-driven tests
 * do); -p raw hands the topic bytes straight to the engine's runtime (the
 * JSON text is the value's bytes; keys are KAFKA BIGINTs), which is what a
 * record read from a broker costs. Both count the events of all three
 * topics. The outputs are counted afterwards (not timed) as a check: none
 * at all, or not the count known in advance (q0, q1 and q7: one per bid;
 * q2: one per bid on an auction id divisible by 123), fails the query.
 *
 * End to end (-b, the broker's bootstrap address): for each query a cluster
 * engine in this process (sl_sql_engine_new; sql.service.id
 * "bench_<pid>_<query>_", its own state directory, the queries' streams
 * commit.interval.ms -C, default 100: table caches flush at commits, and at
 * the streams default of 30 s a table's outputs would wait up to 30 s a
 * stage) runs sources.sql with the topics renamed "<query>_person" and so
 * on, then SET 'auto.offset.reset' = 'earliest' and the query's file, and
 * waits until SHOW QUERIES says every query is RUNNING. The broker must
 * not hold those topics or the sink already (a sink that is not empty
 * fails the query). Then the clock starts and the events go to the broker
 * through Sluice's producer (client.h; acks=all, idempotent, linger.ms=5,
 * batch.size=256 KiB) as fast as it takes them. The time ends when the
 * sink topic's end offset reaches the count known in advance (q0, q1, q2),
 * or, where it is not known, at the last growth seen before the sink
 * stayed the same for -Q ms (default 3000: longer than the commit interval
 * and the consumers' 500 ms fetch wait). The end offset is polled every
 * 10 ms. CPU time is this process's (engine, producer and admin threads)
 * plus sluiced's (/proc/PID/stat of -P, utime + stime), both taken at the
 * end; -T bounds each query (default 120 s: a query that has not finished
 * by then fails).
 *
 * State directories go under a temporary directory in /tmp, removed at the
 * end. Each figure prints a "result " line (key=value); errors go to stderr
 * and make the exit status 1.
 */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "engine_int.h"
#include "nexmark/gen.h"
#include "sql.h"

#ifndef SL_NEXMARK_DIR
#define SL_NEXMARK_DIR "bench/nexmark"
#endif

typedef struct bq_event {
    const char *topic;
    char *key_json;         /* "null" or the id */
    uint8_t key[8];         /* the KAFKA BIGINT key (raw) */
    bool has_key;
    char *value;
    size_t value_len;
    int64_t ts;
    nx_kind_t kind;
    uint64_t auction;       /* a bid's auction id */
} bq_event_t;

typedef enum bq_expect {
    BQ_UNKNOWN,             /* not known in advance */
    BQ_PER_BID,             /* one output per bid */
    BQ_Q2,                  /* one per bid on an auction id divisible by 123 */
} bq_expect_t;

typedef struct bq_query {
    const char *name;
    const char *sink;       /* the topic whose records are counted */
    bq_expect_t local;      /* the output count on a local engine */
    bq_expect_t cluster;    /* the same end to end (table caches merge updates) */
} bq_query_t;

static const bq_query_t queries[] = {
    {"q0", "Q0", BQ_PER_BID, BQ_PER_BID}, {"q1", "Q1", BQ_PER_BID, BQ_PER_BID}, {"q2", "Q2", BQ_Q2, BQ_Q2},
    {"q3", "Q3", BQ_UNKNOWN, BQ_UNKNOWN}, {"q4", "Q4", BQ_UNKNOWN, BQ_UNKNOWN}, {"q5", "Q5", BQ_UNKNOWN, BQ_UNKNOWN},
    {"q7", "Q7", BQ_PER_BID, BQ_UNKNOWN}, {"q8", "Q8", BQ_UNKNOWN, BQ_UNKNOWN},
};

/* What the end-to-end mode needs besides the events. */
typedef struct bq_e2e {
    const char *bootstrap;  /* NULL: in process */
    int sluiced_pid;        /* 0: sluiced's CPU not counted */
    int timeout_s;
    int quiet_ms;
    int commit_ms;          /* the queries' commit.interval.ms */
} bq_e2e_t;

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The CPU seconds (user + system) process pid has used, or -1. */
static double proc_cpu_s(int pid)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t len = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[len] = '\0';
    /* Fields after the command name (which may hold spaces): state is the
     * 3rd field, utime and stime the 14th and 15th. */
    const char *p = strrchr(line, ')');
    unsigned long long ut, st;
    if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* The file's text without its "--" comment lines (malloc'd), or NULL. */
static char *read_sql(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "bench_sql: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    sl_buf_t b;
    sl_buf_init(&b);
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        const char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (p[0] == '-' && p[1] == '-')
            continue;
        sl_buf_put(&b, line, strlen(line));
    }
    fclose(f);
    sl_buf_put(&b, "", 1);
    if (sl_buf_err(&b)) {
        sl_buf_free(&b);
        return NULL;
    }
    return (char *)sl_buf_detach(&b, NULL);
}

/* text with every "kafka_topic='" followed by prefix (malloc'd), or NULL. */
static char *prefix_topics(const char *text, const char *prefix)
{
    static const char mark[] = "kafka_topic='";
    sl_buf_t b;
    sl_buf_init(&b);
    const char *p = text, *q;
    while ((q = strstr(p, mark)) != NULL) {
        q += sizeof mark - 1;
        sl_buf_put(&b, p, (size_t)(q - p));
        sl_buf_put(&b, prefix, strlen(prefix));
        p = q;
    }
    sl_buf_put(&b, p, strlen(p) + 1);
    if (sl_buf_err(&b)) {
        sl_buf_free(&b);
        return NULL;
    }
    return (char *)sl_buf_detach(&b, NULL);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static bq_event_t *generate(size_t n, uint64_t seed, size_t *bids)
{
    static const char auction_field[] = "{\"auction\":";
    bq_event_t *evs = calloc(n, sizeof *evs);
    nx_gen_t *g = malloc(sizeof *g);
    if (!evs || !g) {
        free(evs);
        free(g);
        return NULL;
    }
    nx_gen_init(g, seed, 1700000000000LL);
    *bids = 0;
    for (size_t i = 0; i < n; i++) {
        nx_event_t ev;
        nx_gen_next(g, &ev);
        bq_event_t *e = &evs[i];
        e->topic = ev.topic;
        e->kind = ev.kind;
        e->ts = ev.timestamp;
        e->key_json = strdup(ev.key);
        e->value = strdup(ev.value);
        e->value_len = ev.value_len;
        e->has_key = ev.kind != NX_BID;
        if (e->has_key) {
            uint64_t k = strtoull(ev.key, NULL, 10);
            for (int b = 0; b < 8; b++)
                e->key[b] = (uint8_t)(k >> (56 - 8 * b));
        } else if (strncmp(ev.value, auction_field, sizeof auction_field - 1) == 0) {
            e->auction = strtoull(ev.value + sizeof auction_field - 1, NULL, 10);
        }
        *bids += ev.kind == NX_BID;
        if (!e->key_json || !e->value) {
            free(g);
            return NULL;
        }
    }
    free(g);
    return evs;
}

/* The output count x promises for these events, or -1 when not known. */
static int64_t expected_outputs(bq_expect_t x, const bq_event_t *evs, size_t n, size_t bids)
{
    int64_t c = 0;
    switch (x) {
    case BQ_PER_BID:
        return (int64_t)bids;
    case BQ_Q2:
        for (size_t i = 0; i < n; i++)
            c += evs[i].kind == NX_BID && evs[i].auction % 123 == 0;
        return c;
    case BQ_UNKNOWN:
        break;
    }
    return -1;
}

static bool count_one(const sl_sql_rt_record_t *rec, void *arg)
{
    (void)rec;
    (*(int64_t *)arg)++;
    return true;
}

/* Runs text on e (its entities dropped); false with a message if it failed. */
static bool exec_sql(sl_sql_engine_t *e, const char *qname, const char *what, const char *text)
{
    sl_sql_error_t err;
    json_t *out = NULL;
    if (sl_sql_execute(e, text, NULL, &out, &err) != SL_OK) {
        fprintf(stderr, "bench_sql %s: %s: %s\n", qname, what, err.message);
        return false;
    }
    json_decref(out);
    return true;
}

/* ---- in process: a local engine ------------------------------------------ */

/* Runs one query over the events; prints its result line. */
static int run_local(const bq_query_t *q, const char *sources, const char *sql, const char *state_root,
                     const bq_event_t *evs, size_t n, size_t bids, bool raw)
{
    char props[4200];
    sl_sql_error_t err;
    sl_sql_engine_t *e = NULL;
    int rc = 1;
    snprintf(props, sizeof props, "state.dir=%s/%s\n", state_root, q->name);
    if (sl_sql_engine_new_local(props, 0, &e, &err) != SL_OK) {
        fprintf(stderr, "bench_sql %s: engine: %s\n", q->name, err.message);
        goto done;
    }
    if (!exec_sql(e, q->name, "sources.sql", sources) || !exec_sql(e, q->name, "the query", sql))
        goto done;

    double c0 = cpu_s();
    int64_t t0 = sl_time_mono_ns();
    for (size_t i = 0; i < n; i++) {
        const bq_event_t *ev = &evs[i];
        sl_err_t r;
        if (raw) {
            r = e->rt->ops->produce(e->rt, ev->topic, -1, ev->has_key ? ev->key : NULL, ev->has_key ? 8 : 0,
                                    (const uint8_t *)ev->value, ev->value_len, ev->ts);
            if (r)
                snprintf(err.message, sizeof err.message, "%s", sl_err_name(r));
        } else {
            r = sl_sql_local_produce(e, ev->topic, ev->key_json, ev->value, ev->ts, &err);
        }
        if (r != SL_OK) {
            fprintf(stderr, "bench_sql %s: produce %zu: %s\n", q->name, i, err.message);
            goto done;
        }
    }
    int64_t t1 = sl_time_mono_ns();
    double c1 = cpu_s();

    int64_t outputs = 0, want = expected_outputs(q->local, evs, n, bids);
    e->rt->ops->read(e->rt, q->sink, true, -1, 0, count_one, &outputs);
    double wall = (double)(t1 - t0) / 1e9, cpu = c1 - c0;
    printf("result query=%s path=%s events=%zu bids=%zu outputs=%" PRId64 " seconds=%.3f cpu_seconds=%.3f "
           "events_per_s=%.0f events_per_core_s=%.0f processing_errors=%" PRId64 "\n",
           q->name, raw ? "raw" : "text", n, bids, outputs, wall, cpu, (double)n / wall,
           cpu > 0 ? (double)n / cpu : 0.0, sl_sql_processing_errors(e));
    fflush(stdout);
    if ((want >= 0 && outputs != want) || outputs == 0) {
        fprintf(stderr, "bench_sql %s: %" PRId64 " outputs (%" PRId64 " expected, %zu bids): the query did not "
                "run as it should\n", q->name, outputs, want, bids);
        goto done;
    }
    rc = 0;
done:
    sl_sql_engine_free(e);
    return rc;
}

/* ---- end to end: a cluster engine against a broker ------------------------ */

typedef struct bq_sent {
    int64_t failed;
    sl_err_t first_err;
} bq_sent_t;

static void on_delivery(sl_producer_t *p, const sl_message_t *msg, void *arg)
{
    (void)p;
    bq_sent_t *s = arg;
    if (msg->err) {
        if (!s->failed)
            s->first_err = msg->err;
        s->failed++;
    }
}

/* Whether SHOW QUERIES lists at least one query and every one RUNNING. */
static bool queries_running(sl_sql_engine_t *e)
{
    json_t *out = NULL;
    if (sl_sql_execute(e, "SHOW QUERIES;", NULL, &out, NULL) != SL_OK)
        return false;
    size_t seen = 0, running = 0, i, j;
    json_t *ent, *qj;
    json_array_foreach(out, i, ent) {
        json_array_foreach(json_object_get(ent, "queries"), j, qj) {
            const char *st = json_string_value(json_object_get(qj, "state"));
            seen++;
            running += st && strcmp(st, "RUNNING") == 0;
        }
    }
    json_decref(out);
    return seen > 0 && running == seen;
}

/* The sink's record count: its end offset (partition 0: the sources have
 * one partition, and so have the queries' sinks); 0 before it exists. */
static int64_t sink_end(sl_admin_t *adm, const char *topic)
{
    sl_tp_offset_t p = {.topic = topic, .partition = 0, .offset = SL_OFFSET_END, .leader_epoch = -1};
    if (sl_admin_list_offsets(adm, &p, 1, false, 5000) || p.err)
        return 0;
    return p.offset;
}

/* This process's CPU seconds plus sluiced's (when its pid is known). */
static double both_cpu_s(const bq_e2e_t *x, double *sluiced)
{
    *sluiced = x->sluiced_pid > 0 ? proc_cpu_s(x->sluiced_pid) : 0;
    return cpu_s() + (*sluiced > 0 ? *sluiced : 0);
}

static sl_conf_t *client_conf(const bq_e2e_t *x, bool producer)
{
    sl_conf_t *c = sl_conf_new();
    char errbuf[256];
    if (c && sl_conf_set(c, "bootstrap.servers", x->bootstrap, errbuf, sizeof errbuf) == SL_OK &&
        (!producer || (sl_conf_set(c, "linger.ms", "5", errbuf, sizeof errbuf) == SL_OK &&
                       sl_conf_set(c, "batch.size", "262144", errbuf, sizeof errbuf) == SL_OK)))
        return c;
    fprintf(stderr, "bench_sql: client configuration: %s\n", c ? errbuf : "out of memory");
    sl_conf_free(c);
    return NULL;
}

/* Runs one query end to end; prints its result line. */
static int run_e2e(const bq_query_t *q, const char *sources, const char *sql, const char *state_root,
                   const bq_event_t *evs, size_t n, size_t bids, const bq_e2e_t *x)
{
    char props[4400], prefix[32], topics[3][48], errbuf[256];
    sl_sql_error_t err;
    sl_sql_engine_t *e = NULL;
    sl_conf_t *pc = NULL, *ac = NULL;
    sl_producer_t *prod = NULL;
    sl_admin_t *adm = NULL;
    char *psources = NULL, *pquery = NULL;
    bq_sent_t sent = {0};
    int rc = 1;
    size_t qlen = strlen(sql) + 64;

    snprintf(prefix, sizeof prefix, "%s_", q->name);
    snprintf(topics[NX_PERSON], sizeof topics[0], "%sperson", prefix);
    snprintf(topics[NX_AUCTION], sizeof topics[0], "%sauction", prefix);
    snprintf(topics[NX_BID], sizeof topics[0], "%sbid", prefix);
    snprintf(props, sizeof props,
             "bootstrap.servers=%s\nstate.dir=%s/%s\nsql.service.id=bench_%d_%s_\nauto.offset.reset=earliest\n"
             "sql.streams.commit.interval.ms=%d\n",
             x->bootstrap, state_root, q->name, (int)getpid(), q->name, x->commit_ms);
    psources = prefix_topics(sources, prefix);
    pquery = malloc(qlen);
    pc = client_conf(x, true);
    ac = client_conf(x, false);
    if (!psources || !pquery || !pc || !ac)
        goto done;
    snprintf(pquery, qlen, "SET 'auto.offset.reset' = 'earliest';\n%s", sql);
    if (sl_sql_engine_new(props, &e, &err) != SL_OK) {
        fprintf(stderr, "bench_sql %s: cluster engine: %s\n", q->name, err.message);
        goto done;
    }
    if (!exec_sql(e, q->name, "sources.sql", psources) || !exec_sql(e, q->name, "the query", pquery))
        goto done;
    if (sl_producer_new(pc, on_delivery, &sent, &prod, errbuf, sizeof errbuf) != SL_OK ||
        sl_admin_new(ac, &adm, errbuf, sizeof errbuf) != SL_OK) {
        fprintf(stderr, "bench_sql %s: client: %s\n", q->name, errbuf);
        goto done;
    }
    /* The clock starts once the queries' applications are running. */
    int64_t until = sl_time_mono_ms() + 30000;
    while (!queries_running(e)) {
        if (sl_time_mono_ms() > until) {
            fprintf(stderr, "bench_sql %s: the query is not RUNNING after 30 s\n", q->name);
            goto done;
        }
        usleep(50000);
    }

    if (sink_end(adm, q->sink) != 0) {
        fprintf(stderr, "bench_sql %s: the sink topic %s is not empty: this needs a broker without it\n", q->name,
                q->sink);
        goto done;
    }

    double sl0, c0 = both_cpu_s(x, &sl0);
    int64_t t0 = sl_time_mono_ns(), deadline = t0 + (int64_t)x->timeout_s * 1000000000LL;
    for (size_t i = 0; i < n; i++) {
        const bq_event_t *ev = &evs[i];
        sl_produce_rec_t r = {.topic = topics[ev->kind], .partition = SL_PARTITION_ANY,
                              .key = ev->has_key ? ev->key : NULL, .key_len = ev->has_key ? 8 : 0,
                              .value = ev->value, .value_len = (int32_t)ev->value_len, .timestamp = ev->ts};
        sl_err_t pr = sl_producer_send(prod, &r);
        if (pr != SL_OK) {
            fprintf(stderr, "bench_sql %s: produce %zu: %s\n", q->name, i, sl_err_name(pr));
            goto done;
        }
        if ((i & 1023) == 1023)
            sl_producer_poll(prod, 0);
    }
    if (sl_producer_flush(prod, x->timeout_s * 1000) != SL_OK || sent.failed) {
        fprintf(stderr, "bench_sql %s: %" PRId64 " events not delivered (%s)\n", q->name, sent.failed,
                sent.failed ? sl_err_name(sent.first_err) : "flush timed out");
        goto done;
    }
    int64_t t_produced = sl_time_mono_ns();

    /* Watch the sink: done at the known count, or at the last growth before
     * a quiet period. */
    int64_t want = expected_outputs(q->cluster, evs, n, bids);
    int64_t outputs = 0, t_last = t_produced, now;
    double c_last = c0, sl_last = sl0;
    for (;;) {
        int64_t o = sink_end(adm, q->sink);
        now = sl_time_mono_ns();
        if (o != outputs) {
            outputs = o;
            t_last = now;
            c_last = both_cpu_s(x, &sl_last);
        }
        if (want >= 0 && outputs >= want)
            break;
        if (want < 0 && outputs > 0 && now - t_last >= (int64_t)x->quiet_ms * 1000000)
            break;
        if (now > deadline) {
            fprintf(stderr, "bench_sql %s: %d s passed with %" PRId64 " outputs (%" PRId64 " expected)\n", q->name,
                    x->timeout_s, outputs, want);
            goto done;
        }
        usleep(10000);
    }
    double wall = (double)(t_last - t0) / 1e9, cpu = c_last - c0;
    double sl_cpu = sl_last > 0 && sl0 > 0 ? sl_last - sl0 : 0;
    printf("result query=%s path=e2e events=%zu bids=%zu outputs=%" PRId64 " expected=%" PRId64
           " seconds=%.3f produce_seconds=%.3f cpu_seconds=%.3f bench_cpu_seconds=%.3f sluiced_cpu_seconds=%.3f "
           "events_per_s=%.0f events_per_core_s=%.0f processing_errors=%" PRId64 "\n",
           q->name, n, bids, outputs, want, wall, (double)(t_produced - t0) / 1e9, cpu, cpu - sl_cpu,
           sl_cpu, (double)n / wall, cpu > 0 ? (double)n / cpu : 0.0, sl_sql_processing_errors(e));
    fflush(stdout);
    if (want >= 0 && outputs != want) {
        fprintf(stderr, "bench_sql %s: %" PRId64 " outputs, %" PRId64 " expected\n", q->name, outputs, want);
        goto done;
    }
    rc = 0;
done:
    sl_admin_free(adm);
    sl_producer_free(prod);
    sl_sql_engine_free(e);
    sl_conf_free(pc);
    sl_conf_free(ac);
    free(psources);
    free(pquery);
    return rc;
}

static int run_query(const bq_query_t *q, const char *dir, const char *state_root, const bq_event_t *evs,
                     size_t n, size_t bids, bool raw, const bq_e2e_t *x)
{
    char sqlname[64];
    snprintf(sqlname, sizeof sqlname, "%s.sql", q->name);
    char *sources = read_sql(dir, "sources.sql");
    char *sql = read_sql(dir, sqlname);
    int rc = 1;
    if (sources && sql)
        rc = x->bootstrap ? run_e2e(q, sources, sql, state_root, evs, n, bids, x)
                          : run_local(q, sources, sql, state_root, evs, n, bids, raw);
    free(sources);
    free(sql);
    return rc;
}

static void usage(void)
{
    fprintf(stderr, "usage: bench_sql [-n EVENTS] [-q q0,q1,...] [-d SQLDIR] [-p text|raw] [-s SEED]\n"
                    "       bench_sql -b HOST:PORT [-P SLUICED_PID] [-T SECONDS] [-Q MS] [-C MS] [-n ...]\n");
}

int main(int argc, char **argv)
{
    size_t n = 200000;
    const char *only = NULL, *dir = SL_NEXMARK_DIR;
    bool raw = false;
    uint64_t seed = 42;
    bq_e2e_t x = {.timeout_s = 120, .quiet_ms = 3000, .commit_ms = 100};
    int c;
    while ((c = getopt(argc, argv, "n:q:d:p:s:b:P:T:Q:C:h")) != -1) {
        switch (c) {
        case 'n':
            n = (size_t)strtoull(optarg, NULL, 10);
            break;
        case 'q':
            only = optarg;
            break;
        case 'd':
            dir = optarg;
            break;
        case 'p':
            raw = strcmp(optarg, "raw") == 0;
            if (!raw && strcmp(optarg, "text") != 0) {
                usage();
                return 2;
            }
            break;
        case 's':
            seed = strtoull(optarg, NULL, 10);
            break;
        case 'b':
            x.bootstrap = optarg;
            break;
        case 'P':
            x.sluiced_pid = atoi(optarg);
            break;
        case 'T':
            x.timeout_s = atoi(optarg);
            break;
        case 'Q':
            x.quiet_ms = atoi(optarg);
            break;
        case 'C':
            x.commit_ms = atoi(optarg);
            break;
        default:
            usage();
            return 2;
        }
    }
    if (n == 0 || n > 100000000 || x.timeout_s <= 0 || x.quiet_ms <= 0 || x.commit_ms <= 0) {
        usage();
        return 2;
    }
    size_t bids;
    bq_event_t *evs = generate(n, seed, &bids);
    if (!evs) {
        fprintf(stderr, "bench_sql: out of memory generating %zu events\n", n);
        return 1;
    }
    char root[] = "/tmp/sluice-bench-sql.XXXXXX";
    if (!mkdtemp(root)) {
        fprintf(stderr, "bench_sql: mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    int failed = 0;
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        if (only) {
            const char *p = strstr(only, queries[i].name);
            size_t l = strlen(queries[i].name);
            if (!p || (p != only && p[-1] != ',') || (p[l] != '\0' && p[l] != ','))
                continue;
        }
        failed += run_query(&queries[i], dir, root, evs, n, bids, raw, &x);
    }
    nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    for (size_t i = 0; i < n; i++) {
        free(evs[i].key_json);
        free(evs[i].value);
    }
    free(evs);
    return failed ? 1 : 0;
}
