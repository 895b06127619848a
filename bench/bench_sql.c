/*
 * bench_sql.c - the SQL engine's speed on Nexmark: events per second, and
 * per core of CPU time, for the Nexmark queries of bench/nexmark/ (q0
 * pass-through, q1 currency conversion, q2 selection, q3 person-auction
 * join, q4 average closing price per category, q5 hot items over a hopping
 * window, q7 highest bid per tumbling window, q8 new users join) run by a
 * local engine (sql.h: sl_sql_engine_new_local, no broker):
 *
 *   bench_sql [-n EVENTS] [-q q0,q1,...] [-d SQLDIR] [-p text|raw] [-s SEED]
 *
 * For each query a fresh local engine runs bench/nexmark/sources.sql and
 * the query's file, then the same EVENTS Nexmark events (nexmark/gen.c,
 * generated before the clock starts; default 200000) are produced in
 * order to the person, auction and bid topics. Every record a query
 * writes reaches its readers before produce returns, so the time from the
 * first produce to the last is the time the engine took for all of them.
 * CPU time is the process's (CLOCK_PROCESS_CPUTIME_ID): the local engine
 * runs its queries on the calling thread.
 *
 * -p text (the default) produces through sl_sql_local_produce (JSON text
 * parsed and encoded with the topic's formats, as the data-driven tests
 * do); -p raw hands the topic bytes straight to the engine's runtime (the
 * JSON text is the value's bytes; keys are KAFKA BIGINTs), which is what a
 * record read from a broker costs. Both count the events of all three
 * topics. The outputs are counted afterwards (not timed) as a check: none
 * at all, or for q0, q1 and q7 not one per bid, fails the query.
 *
 * State directories go under a temporary directory in /tmp, removed at the
 * end. Each figure prints a "result " line (key=value); errors go to stderr
 * and make the exit status 1.
 */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
} bq_event_t;

typedef struct bq_query {
    const char *name;
    const char *sink;       /* the topic whose records are counted */
    bool one_per_bid;       /* a check: exactly one output per bid */
} bq_query_t;

static const bq_query_t queries[] = {
    {"q0", "Q0", true},  {"q1", "Q1", true},  {"q2", "Q2", false}, {"q3", "Q3", false},
    {"q4", "Q4", false}, {"q5", "Q5", false}, {"q7", "Q7", true},  {"q8", "Q8", false},
};

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static bq_event_t *generate(size_t n, uint64_t seed, size_t *bids)
{
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

static bool count_one(const sl_sql_rt_record_t *rec, void *arg)
{
    (void)rec;
    (*(int64_t *)arg)++;
    return true;
}

/* Runs one query over the events; prints its result line. */
static int run_query(const bq_query_t *q, const char *dir, const char *state_root, const bq_event_t *evs,
                     size_t n, size_t bids, bool raw)
{
    char props[4200];
    char sqlname[64];
    sl_sql_error_t err;
    sl_sql_engine_t *e = NULL;
    json_t *out = NULL;
    int rc = 1;
    char *sources = read_sql(dir, "sources.sql");
    snprintf(sqlname, sizeof sqlname, "%s.sql", q->name);
    char *sql = read_sql(dir, sqlname);
    snprintf(props, sizeof props, "state.dir=%s/%s\n", state_root, q->name);
    if (!sources || !sql)
        goto done;
    if (sl_sql_engine_new_local(props, 0, &e, &err) != SL_OK) {
        fprintf(stderr, "bench_sql %s: engine: %s\n", q->name, err.message);
        goto done;
    }
    if (sl_sql_execute(e, sources, NULL, &out, &err) != SL_OK) {
        fprintf(stderr, "bench_sql %s: sources.sql: %s\n", q->name, err.message);
        goto done;
    }
    json_decref(out);
    out = NULL;
    if (sl_sql_execute(e, sql, NULL, &out, &err) != SL_OK) {
        fprintf(stderr, "bench_sql %s: %s: %s\n", q->name, sqlname, err.message);
        goto done;
    }
    json_decref(out);
    out = NULL;

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

    int64_t outputs = 0;
    e->rt->ops->read(e->rt, q->sink, true, -1, 0, count_one, &outputs);
    double wall = (double)(t1 - t0) / 1e9, cpu = c1 - c0;
    printf("result query=%s path=%s events=%zu bids=%zu outputs=%" PRId64 " seconds=%.3f cpu_seconds=%.3f "
           "events_per_s=%.0f events_per_core_s=%.0f processing_errors=%" PRId64 "\n",
           q->name, raw ? "raw" : "text", n, bids, outputs, wall, cpu, (double)n / wall,
           cpu > 0 ? (double)n / cpu : 0.0, sl_sql_processing_errors(e));
    fflush(stdout);
    if ((q->one_per_bid && outputs != (int64_t)bids) || outputs == 0) {
        fprintf(stderr, "bench_sql %s: %" PRId64 " outputs for %zu bids: the query did not run as it should\n",
                q->name, outputs, bids);
        goto done;
    }
    rc = 0;
done:
    json_decref(out);
    sl_sql_engine_free(e);
    free(sources);
    free(sql);
    return rc;
}

static void usage(void)
{
    fprintf(stderr, "usage: bench_sql [-n EVENTS] [-q q0,q1,...] [-d SQLDIR] [-p text|raw] [-s SEED]\n");
}

int main(int argc, char **argv)
{
    size_t n = 200000;
    const char *only = NULL, *dir = SL_NEXMARK_DIR;
    bool raw = false;
    uint64_t seed = 42;
    int c;
    while ((c = getopt(argc, argv, "n:q:d:p:s:h")) != -1) {
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
        default:
            usage();
            return 2;
        }
    }
    if (n == 0 || n > 100000000) {
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
        failed += run_query(&queries[i], dir, root, evs, n, bids, raw);
    }
    nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    for (size_t i = 0; i < n; i++) {
        free(evs[i].key_json);
        free(evs[i].value);
    }
    free(evs);
    return failed ? 1 : 0;
}
