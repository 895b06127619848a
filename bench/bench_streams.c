/*
 * bench_streams.c - the streams runtime's speed (streams.h, public calls
 * only): records per second, and per core of CPU time, for four
 * topologies - map/filter (stateless), count, windowed count (tumbling one
 * minute) and a stream-table left join:
 *
 *   bench_streams engine [-n RECORDS] [-k KEYS] [-d SECONDS]
 *       in the test driver, no broker: each record is piped in (serialized
 *       and read back by the source's serdes, as a broker round trip would),
 *       processed, committed (the driver commits after every record) and
 *       its outputs read back from the driver; CPU time is the process's
 *       (CLOCK_PROCESS_CPUTIME_ID), the driver being single-threaded.
 *
 *   bench_streams e2e -b HOST:PORT [-n RECORDS] [-k KEYS] [-r RECORDS]
 *                     [-X key=value]... [-V VARIANT]
 *       through a broker: the input (and the join's table) is produced
 *       beforehand with Sluice's producer to fresh one-partition topics,
 *       then an application instance (one stream thread) is started and
 *       the time runs from its RUNNING state to the last output needed
 *       (every record through map/filter, counts adding up to the input,
 *       one join result per record), read by a consumer on the main
 *       thread. CPU is the process's minus the main thread's (the
 *       application's threads and its clients' I/O threads). Then the
 *       restore rate: a count over -r distinct keys is run, stopped, its
 *       local state deleted (sl_app_cleanup) and started again; the time
 *       from start until an interactive query of the store answers (it
 *       answers SL_ERR_STATE while the store restores) divides the
 *       changelog's records (-r 0: none). -X adds application settings
 *       (the result lines name them with -V). The application's INFO
 *       lines are not shown.
 *
 * Each figure prints a "result " line (key=value) for bench/run.sh; errors
 * go to stderr and make the exit status 1.
 */
#include <ctype.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "streams.h"

#define BS_VALUES 64
#define BS_WINDOW_MS 60000

typedef struct bs_topics {
    const char *in, *table, *out;
} bs_topics_t;

typedef enum bs_op_kind { BS_MAP_FILTER, BS_COUNT, BS_WINDOWED_COUNT, BS_JOIN } bs_op_kind_t;

typedef struct bs_op {
    const char *name;
    bs_op_kind_t kind;
} bs_op_t;

static const bs_op_t ops[] = {
    {"map_filter", BS_MAP_FILTER},
    {"count", BS_COUNT},
    {"windowed_count", BS_WINDOWED_COUNT},
    {"join", BS_JOIN},
};

typedef struct bs_opts {
    const char *bootstrap;
    long records;
    long keys;
    long restore_records;
    double seconds;
    const char *variant;   /* e2e: names the -X settings in the result lines */
    char extra[512];       /* e2e: "key=value\n" lines from -X */
} bs_opts_t;

/* ---- the topologies ------------------------------------------------------ */

/* Keeps about half the records: those whose key ends in an even digit. */
static bool keep_even(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)ctx;
    (void)value;
    (void)arg;
    return key->type == SL_V_STRING && key->u.bytes.len && (key->u.bytes.ptr[key->u.bytes.len - 1] & 1) == 0;
}

static sl_val_t upper(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)key;
    (void)arg;
    if (value->type != SL_V_STRING)
        return *value;
    size_t n = value->u.bytes.len;
    char *s = sl_ctx_alloc(ctx, n + 1);
    if (!s)
        return sl_val_null();
    for (size_t i = 0; i < n; i++)
        s[i] = (char)toupper(value->u.bytes.ptr[i]);
    s[n] = '\0';
    return sl_val_str_ref(s, n);
}

static sl_val_t join_values(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *left, const sl_val_t *right,
                            void *arg)
{
    (void)ctx;
    (void)key;
    (void)arg;
    return sl_val_is_null(right) ? *left : *right;
}

static sl_err_t build(bs_op_kind_t kind, const bs_topics_t *tp, sl_topology_t **out)
{
    char err[512];
    sl_builder_t *b = sl_builder_new();
    if (!b)
        return SL_ERR_NOMEM;
    sl_stream_t *s = sl_builder_stream(b, "in", tp->in, SL_STRING, SL_STRING);
    switch (kind) {
    case BS_MAP_FILTER:
        s = sl_stream_map_values(sl_stream_filter(s, "even", keep_even, NULL), "upper", upper, NULL);
        sl_stream_to(s, "out", tp->out, SL_STRING, SL_STRING, NULL, NULL);
        break;
    case BS_COUNT:
        s = sl_table_to_stream(sl_grouped_count(sl_stream_group_by_key(s, "by_key", SL_STRING, SL_STRING), "count",
                                                "count-store"),
                               "changes");
        sl_stream_to(s, "out", tp->out, SL_STRING, SL_I64, NULL, NULL);
        break;
    case BS_WINDOWED_COUNT: {
        sl_windowed_grouped_t *w = sl_grouped_windowed_by(sl_stream_group_by_key(s, "by_key", SL_STRING, SL_STRING),
                                                          "minutes", SL_TUMBLING(BS_WINDOW_MS, 0));
        s = sl_table_to_stream(sl_windowed_count(w, "count", "window-count-store"), "changes");
        sl_stream_to(s, "out", tp->out, SL_STRING, SL_I64, NULL, NULL);
        break;
    }
    case BS_JOIN: {
        sl_table_t *t = sl_builder_table(b, "table", tp->table, SL_STRING, SL_STRING, "table-store");
        s = sl_stream_join_table(s, t, "joined", SL_JOIN_LEFT, join_values, NULL);
        sl_stream_to(s, "out", tp->out, SL_STRING, SL_STRING, NULL, NULL);
        break;
    }
    }
    sl_err_t e = sl_topology_build(b, out, err, sizeof err);
    if (e)
        fprintf(stderr, "bench_streams: topology: %s\n", err);
    sl_builder_free(b);
    return e;
}

/* ---- inputs ---------------------------------------------------------------- */

typedef struct bs_input {
    char **keys;
    size_t nkeys;
    char *values[BS_VALUES];
} bs_input_t;

static bool input_make(bs_input_t *in, size_t nkeys)
{
    memset(in, 0, sizeof *in);
    in->keys = calloc(nkeys, sizeof *in->keys);
    if (!in->keys)
        return false;
    in->nkeys = nkeys;
    for (size_t i = 0; i < nkeys; i++)
        if (asprintf(&in->keys[i], "key-%zu", i) < 0) {
            in->keys[i] = NULL;
            return false;
        }
    for (size_t i = 0; i < BS_VALUES; i++)
        if (asprintf(&in->values[i], "page-view-%03zu:/some/path/of/a/site?q=%zu", i, i * 7919) < 0) {
            in->values[i] = NULL;
            return false;
        }
    return true;
}

static void input_free(bs_input_t *in)
{
    for (size_t i = 0; in->keys && i < in->nkeys; i++)
        free(in->keys[i]);
    free(in->keys);
    for (size_t i = 0; i < BS_VALUES; i++)
        free(in->values[i]);
}

static double now_s(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- engine: the test driver ---------------------------------------------- */

static size_t drain(sl_driver_t *d, const char *topic, const sl_serde_t *vs)
{
    size_t n = 0;
    sl_out_record_t r;
    while (sl_driver_read(d, topic, SL_STRING, vs, &r) == 0)
        n++;
    return n;
}

static int engine_one(const bs_op_t *op, const bs_opts_t *o, const bs_input_t *in)
{
    bs_topics_t tp = {"in", "table", "out"};
    sl_topology_t *t = NULL;
    sl_driver_t *d = NULL;
    char err[512];
    int rc = 1;
    if (build(op->kind, &tp, &t))
        return 1;
    if (sl_driver_new(t, "application.id=bench-streams", 0, &d, err, sizeof err)) {
        fprintf(stderr, "bench_streams: driver: %s\n", err);
        goto out;
    }
    const sl_serde_t *ovs = op->kind == BS_COUNT || op->kind == BS_WINDOWED_COUNT ? SL_I64 : SL_STRING;
    if (op->kind == BS_JOIN) {
        for (size_t i = 0; i < in->nkeys; i++) {
            sl_val_t k = sl_val_str_ref(in->keys[i], strlen(in->keys[i]));
            sl_val_t v = sl_val_str_ref(in->values[i % BS_VALUES], strlen(in->values[i % BS_VALUES]));
            if (sl_driver_pipe(d, "table", &k, &v, 0, SL_STRING, SL_STRING)) {
                fprintf(stderr, "bench_streams: %s: piping the table failed\n", op->name);
                goto out;
            }
        }
    }
    size_t outputs = 0;
    long n = 0;
    double w0 = now_s(CLOCK_MONOTONIC), c0 = now_s(CLOCK_PROCESS_CPUTIME_ID), w1 = w0;
    for (; n < o->records; n++) {
        const char *ks = in->keys[(size_t)n % in->nkeys], *vs = in->values[(size_t)n % BS_VALUES];
        sl_val_t k = sl_val_str_ref(ks, strlen(ks)), v = sl_val_str_ref(vs, strlen(vs));
        sl_err_t e = sl_driver_pipe(d, "in", &k, &v, 1000 + n, SL_STRING, SL_STRING);
        if (e) {
            fprintf(stderr, "bench_streams: %s: pipe of record %ld: %s\n", op->name, n, sl_err_name(e));
            goto out;
        }
        if ((n & 255) == 255) {
            outputs += drain(d, "out", ovs);
            w1 = now_s(CLOCK_MONOTONIC);
            if (w1 - w0 >= o->seconds) {
                n++;
                break;
            }
        }
    }
    outputs += drain(d, "out", ovs);
    w1 = now_s(CLOCK_MONOTONIC);
    double cpu = now_s(CLOCK_PROCESS_CPUTIME_ID) - c0, wall = w1 - w0;
    printf("result label=sluice mode=streams_engine op=%s records=%ld keys=%zu outputs=%zu wall_s=%.3f cpu_s=%.3f "
           "rec_s=%.0f rec_s_core=%.0f us_per_rec=%.3f\n",
           op->name, n, in->nkeys, outputs, wall, cpu, (double)n / wall, (double)n / cpu, cpu * 1e6 / (double)n);
    fflush(stdout);
    rc = 0;
out:
    if (d)
        sl_driver_free(d);
    if (t)
        sl_topology_free(t);
    return rc;
}

/* ---- end to end: an application against a broker ------------------------- */

typedef struct bs_e2e {
    const bs_opts_t *o;
    sl_conf_t *conf;      /* bootstrap.servers only */
    sl_admin_t *adm;
    char state_dir[256];
    _Atomic double running_at; /* CLOCK_MONOTONIC s of the latest RUNNING; 0 before */
} bs_e2e_t;

static void on_state(sl_app_t *app, sl_app_state_t old_state, sl_app_state_t new_state, void *arg)
{
    (void)app;
    (void)old_state;
    bs_e2e_t *x = arg;
    if (new_state == SL_APP_RUNNING)
        atomic_store(&x->running_at, now_s(CLOCK_MONOTONIC));
}

static bool create_topics(bs_e2e_t *x, const char *const *names, size_t n)
{
    sl_new_topic_t nt[3] = {{0}};
    sl_arena_t arena;
    sl_arena_init(&arena, 4096, 0);
    for (size_t i = 0; i < n; i++) {
        nt[i].name = names[i];
        nt[i].partitions = 1;
        nt[i].replication_factor = -1;
    }
    bool ok = sl_admin_create_topics(x->adm, nt, n, false, &arena, 30000) == 0;
    for (size_t i = 0; ok && i < n; i++)
        if (nt[i].err && nt[i].err != SL_ERR_TOPIC_ALREADY_EXISTS) {
            fprintf(stderr, "bench_streams: create %s: %s\n", names[i], sl_err_name(nt[i].err));
            ok = false;
        }
    sl_arena_fini(&arena);
    return ok;
}

static void on_delivery(sl_producer_t *p, const sl_message_t *msg, void *arg)
{
    (void)p;
    if (msg->err)
        atomic_fetch_add((_Atomic long *)arg, 1);
}

/* Produces n records to topic: key i % nkeys, timestamps 1 ms apart. */
static bool produce(bs_e2e_t *x, const bs_input_t *in, const char *topic, long n, int64_t ts0)
{
    char err[256];
    _Atomic long failed = 0;
    sl_conf_t *c = sl_conf_dup(x->conf);
    sl_producer_t *p = NULL;
    bool ok = false;
    if (!c || sl_conf_set(c, "linger.ms", "5", err, sizeof err) || sl_conf_set(c, "acks", "1", err, sizeof err) ||
        sl_conf_set(c, "enable.idempotence", "false", err, sizeof err) ||
        sl_producer_new(c, on_delivery, (void *)&failed, &p, err, sizeof err)) {
        fprintf(stderr, "bench_streams: producer: %s\n", c ? err : "out of memory");
        goto out;
    }
    for (long i = 0; i < n; i++) {
        const char *k = in->keys[(size_t)i % in->nkeys], *v = in->values[(size_t)i % BS_VALUES];
        sl_produce_rec_t r = {.topic = topic, .partition = SL_PARTITION_ANY, .key = k, .key_len = (int32_t)strlen(k),
                              .value = v, .value_len = (int32_t)strlen(v), .timestamp = ts0 + i};
        sl_err_t e;
        while ((e = sl_producer_send(p, &r)) == SL_ERR_AGAIN)
            sl_producer_poll(p, 10);
        if (e) {
            fprintf(stderr, "bench_streams: produce to %s: %s\n", topic, sl_err_name(e));
            goto out;
        }
        if ((i & 1023) == 0)
            sl_producer_poll(p, 0);
    }
    if (sl_producer_flush(p, 120000) || atomic_load(&failed)) {
        fprintf(stderr, "bench_streams: produce to %s: %ld failed or undelivered\n", topic, atomic_load(&failed));
        goto out;
    }
    ok = true;
out:
    sl_producer_free(p);
    if (c)
        sl_conf_free(c);
    return ok;
}

static sl_app_t *app_start(bs_e2e_t *x, const sl_topology_t *t, const char *app_id)
{
    char props[2048], err[512];
    sl_app_t *app = NULL;
    snprintf(props, sizeof props,
             "application.id=%s\nbootstrap.servers=%s\nstate.dir=%s\ncommit.interval.ms=100\n"
             "num.stream.threads=1\nconsumer.auto.offset.reset=earliest\n%s",
             app_id, x->o->bootstrap, x->state_dir, x->o->extra);
    atomic_store(&x->running_at, 0.0);
    if (sl_app_new(t, props, &app, err, sizeof err)) {
        fprintf(stderr, "bench_streams: app: %s\n", err);
        return NULL;
    }
    sl_app_set_state_cb(app, on_state, x);
    if (sl_app_start(app, err, sizeof err)) {
        fprintf(stderr, "bench_streams: app start: %s\n", err);
        sl_app_free(app);
        return NULL;
    }
    return app;
}

/* What an output record adds to the progress towards done: counts (the
 * latest per key, summed) must reach the input; map/filter and the join
 * produce one output per record kept. */
typedef struct bs_progress {
    bs_op_kind_t kind;
    long have, want;
    int64_t *latest;  /* count: per key index; windowed: per key and window */
    size_t nlatest;
} bs_progress_t;

static void progress_add(bs_progress_t *pg, const sl_message_t *m, const bs_input_t *in)
{
    if (pg->kind == BS_MAP_FILTER || pg->kind == BS_JOIN) {
        pg->have++;
        return;
    }
    /* "key-N" (+ 8 bytes of window start when windowed), value int64 BE. */
    if (m->value_len != 8 || m->key_len < 5)
        return;
    const uint8_t *kv = m->key;
    size_t klen = (size_t)m->key_len - (pg->kind == BS_WINDOWED_COUNT ? 8 : 0), idx = 0;
    for (size_t i = 4; i < klen; i++)
        idx = idx * 10 + (size_t)(kv[i] - '0');
    if (pg->kind == BS_WINDOWED_COUNT) {
        int64_t start = 0;
        for (size_t i = 0; i < 8; i++)
            start = (start << 8) | kv[klen + i];
        idx = idx * (pg->nlatest / in->nkeys) + (size_t)(start / BS_WINDOW_MS) % (pg->nlatest / in->nkeys);
    }
    if (idx >= pg->nlatest)
        return;
    int64_t v = 0;
    for (size_t i = 0; i < 8; i++)
        v = (v << 8) | ((const uint8_t *)m->value)[i];
    pg->have += v - pg->latest[idx];
    pg->latest[idx] = v;
}

static int e2e_one(bs_e2e_t *x, const bs_op_t *op, const bs_input_t *in, long n)
{
    char in_t[128], tbl_t[128], out_t[128], app_id[160], err[256];
    int pid = (int)getpid();
    snprintf(in_t, sizeof in_t, "bs-%s-in-%d", op->name, pid);
    snprintf(tbl_t, sizeof tbl_t, "bs-%s-table-%d", op->name, pid);
    snprintf(out_t, sizeof out_t, "bs-%s-out-%d", op->name, pid);
    snprintf(app_id, sizeof app_id, "bench-streams-%s-%d", op->name, pid);
    const char *names[] = {in_t, out_t, tbl_t};
    bs_topics_t tp = {in_t, tbl_t, out_t};
    sl_topology_t *t = NULL;
    sl_app_t *app = NULL;
    sl_consumer_t *cons = NULL;
    sl_conf_t *cc = NULL;
    bs_progress_t pg = {op->kind, 0, 0, NULL, 0};
    int rc = 1;
    int64_t ts0 = sl_time_wall_ms() - 3600 * 1000;

    if (!create_topics(x, names, op->kind == BS_JOIN ? 3 : 2) || build(op->kind, &tp, &t))
        goto out;
    if (op->kind == BS_JOIN && !produce(x, in, tbl_t, (long)in->nkeys, ts0 - 1000))
        goto out;
    if (!produce(x, in, in_t, n, ts0))
        goto out;
    if (op->kind == BS_MAP_FILTER) {
        for (long i = 0; i < n; i++) {
            const char *k = in->keys[(size_t)i % in->nkeys];
            pg.want += (k[strlen(k) - 1] & 1) == 0;
        }
    } else {
        pg.want = n;
    }
    if (op->kind == BS_COUNT || op->kind == BS_WINDOWED_COUNT) {
        size_t windows = op->kind == BS_WINDOWED_COUNT ? (size_t)(n / BS_WINDOW_MS + 2) : 1;
        pg.nlatest = in->nkeys * windows;
        if (!(pg.latest = calloc(pg.nlatest, sizeof *pg.latest)))
            goto out;
    }
    cc = sl_conf_dup(x->conf);
    sl_tp_offset_t part = {.topic = out_t, .partition = 0, .offset = SL_OFFSET_BEGINNING, .leader_epoch = -1};
    if (!cc || sl_consumer_new(cc, NULL, NULL, &cons, err, sizeof err) || sl_consumer_assign(cons, &part, 1)) {
        fprintf(stderr, "bench_streams: consumer: %s\n", cc ? err : "out of memory");
        goto out;
    }
    double w0 = now_s(CLOCK_MONOTONIC), c0 = now_s(CLOCK_PROCESS_CPUTIME_ID), m0 = now_s(CLOCK_THREAD_CPUTIME_ID);
    if (!(app = app_start(x, t, app_id)))
        goto out;
    double deadline = w0 + 300, done_at = 0;
    while (pg.have < pg.want && now_s(CLOCK_MONOTONIC) < deadline) {
        sl_message_t *m = NULL;
        if (sl_consumer_poll(cons, 200, &m) == 0 && m) {
            if (!m->err)
                progress_add(&pg, m, in);
            sl_message_free(m);
        }
        if (sl_app_state(app) == SL_APP_ERROR) {
            fprintf(stderr, "bench_streams: %s: the app failed\n", op->name);
            goto out;
        }
    }
    done_at = now_s(CLOCK_MONOTONIC);
    double cpu = (now_s(CLOCK_PROCESS_CPUTIME_ID) - c0) - (now_s(CLOCK_THREAD_CPUTIME_ID) - m0);
    double run_at = atomic_load(&x->running_at);
    if (pg.have < pg.want || run_at == 0) {
        fprintf(stderr, "bench_streams: %s: only %ld of %ld outputs within 300 s\n", op->name, pg.have, pg.want);
        goto out;
    }
    double wall = done_at - run_at;
    printf("result label=sluice mode=streams_e2e op=%s variant=%s records=%ld keys=%zu start_s=%.3f wall_s=%.3f "
           "cpu_s=%.3f rec_s=%.0f rec_s_core=%.0f\n",
           op->name, x->o->variant, n, in->nkeys, run_at - w0, wall, cpu, (double)n / wall, (double)n / cpu);
    fflush(stdout);
    rc = 0;
out:
    if (app) {
        sl_app_close(app, 30000);
        sl_app_cleanup(app);
        sl_app_free(app);
    }
    sl_consumer_free(cons);
    if (cc)
        sl_conf_free(cc);
    if (t)
        sl_topology_free(t);
    free(pg.latest);
    return rc;
}

/* The changelog's end offset (its record count: it is never compacted
 * within the run's time). */
static int64_t topic_end(bs_e2e_t *x, const char *topic)
{
    sl_tp_offset_t p = {.topic = topic, .partition = 0, .offset = SL_OFFSET_END, .leader_epoch = -1};
    if (sl_admin_list_offsets(x->adm, &p, 1, false, 30000) || p.err)
        return -1;
    return p.offset;
}

static int e2e_restore(bs_e2e_t *x, long n)
{
    char in_t[128], out_t[128], app_id[160], changelog[200];
    int pid = (int)getpid();
    snprintf(in_t, sizeof in_t, "bs-restore-in-%d", pid);
    snprintf(out_t, sizeof out_t, "bs-restore-out-%d", pid);
    snprintf(app_id, sizeof app_id, "bench-streams-restore-%d", pid);
    snprintf(changelog, sizeof changelog, "%s-count-store-changelog", app_id);
    const char *names[] = {in_t, out_t};
    bs_topics_t tp = {in_t, NULL, out_t};
    bs_input_t in;
    sl_topology_t *t = NULL;
    sl_app_t *app = NULL;
    int rc = 1;
    if (!input_make(&in, (size_t)n)) {
        fprintf(stderr, "bench_streams: out of memory\n");
        goto out;
    }
    if (!create_topics(x, names, 2) || build(BS_COUNT, &tp, &t) || !produce(x, &in, in_t, n, sl_time_wall_ms()))
        goto out;
    /* First run: every key counted once (the last key's count is 1). */
    if (!(app = app_start(x, t, app_id)))
        goto out;
    sl_val_t last = sl_val_str_ref(in.keys[n - 1], strlen(in.keys[n - 1])), got;
    sl_arena_t arena;
    sl_arena_init(&arena, 4096, 0);
    double deadline = now_s(CLOCK_MONOTONIC) + 300;
    while (now_s(CLOCK_MONOTONIC) < deadline && sl_app_kv_get(app, "count-store", &last, &arena, &got) != 0)
        usleep(20000);
    sl_arena_reset(&arena);
    int64_t records = -1;
    deadline = now_s(CLOCK_MONOTONIC) + 60;
    /* Wait for the changelog to hold every key (flushed at the commit). */
    while (now_s(CLOCK_MONOTONIC) < deadline && (records = topic_end(x, changelog)) < n)
        usleep(100000);
    if (records < n) {
        fprintf(stderr, "bench_streams: restore: the changelog %s has %" PRId64 " of %ld records\n", changelog,
                records, n);
        sl_arena_fini(&arena);
        goto out;
    }
    sl_app_close(app, 30000);
    sl_app_cleanup(app);
    sl_app_free(app);
    /* Second run, no local state: restored from the changelog. */
    double w0 = now_s(CLOCK_MONOTONIC);
    if (!(app = app_start(x, t, app_id))) {
        sl_arena_fini(&arena);
        goto out;
    }
    sl_err_t e = SL_ERR_STATE;
    deadline = w0 + 300;
    while (now_s(CLOCK_MONOTONIC) < deadline && (e = sl_app_kv_get(app, "count-store", &last, &arena, &got)) != 0) {
        sl_arena_reset(&arena);
        usleep(2000);
    }
    double wall = now_s(CLOCK_MONOTONIC) - w0;
    sl_arena_fini(&arena);
    if (e) {
        fprintf(stderr, "bench_streams: restore: the store did not answer within 300 s (%s)\n", sl_err_name(e));
        goto out;
    }
    double run_at = atomic_load(&x->running_at);
    printf("result label=sluice mode=streams_restore op=count records=%" PRId64 " wall_s=%.3f running_s=%.3f rec_s=%.0f\n",
           records, wall, run_at > 0 ? run_at - w0 : -1.0, (double)records / wall);
    fflush(stdout);
    rc = 0;
out:
    if (app) {
        sl_app_close(app, 30000);
        sl_app_cleanup(app);
        sl_app_free(app);
    }
    if (t)
        sl_topology_free(t);
    input_free(&in);
    return rc;
}

static int e2e(const bs_opts_t *o, const bs_input_t *in)
{
    char err[256];
    bs_e2e_t x = {.o = o};
    int rc = 0;
    /* The application's progress lines would bury the figures. */
    sl_log_set_level(SL_LOG_WARN);
    snprintf(x.state_dir, sizeof x.state_dir, "%s/bench-streams-%d", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
             (int)getpid());
    if (!(x.conf = sl_conf_new()) || sl_conf_set(x.conf, "bootstrap.servers", o->bootstrap, err, sizeof err) ||
        sl_admin_new(x.conf, &x.adm, err, sizeof err)) {
        fprintf(stderr, "bench_streams: admin: %s\n", x.conf ? err : "out of memory");
        rc = 1;
        goto out;
    }
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        rc |= e2e_one(&x, &ops[i], in, o->records);
    if (o->restore_records > 0)
        rc |= e2e_restore(&x, o->restore_records);
out:
    sl_admin_free(x.adm);
    if (x.conf)
        sl_conf_free(x.conf);
    return rc;
}

static void usage(void)
{
    fprintf(stderr, "usage: bench_streams engine [-n RECORDS] [-k KEYS] [-d SECONDS]\n"
                    "       bench_streams e2e -b HOST:PORT [-n RECORDS] [-k KEYS] [-r RESTORE_RECORDS]\n"
                    "                         [-X key=value]... [-V VARIANT]\n");
}

int main(int argc, char **argv)
{
    bs_opts_t o = {NULL, 0, 1000, 200000, 3.0, "defaults", ""};
    if (argc < 2) {
        usage();
        return 2;
    }
    const char *mode = argv[1];
    bool engine = !strcmp(mode, "engine");
    if (!engine && strcmp(mode, "e2e")) {
        usage();
        return 2;
    }
    o.records = engine ? 5000000 : 500000;
    int c;
    optind = 2;
    while ((c = getopt(argc, argv, "b:n:k:r:d:V:X:")) != -1) {
        switch (c) {
        case 'b': o.bootstrap = optarg; break;
        case 'n': o.records = atol(optarg); break;
        case 'k': o.keys = atol(optarg); break;
        case 'r': o.restore_records = atol(optarg); break;
        case 'd': o.seconds = atof(optarg); break;
        case 'V': o.variant = optarg; break;
        case 'X':
            if (!strchr(optarg, '=') || strchr(optarg, '\n') ||
                strlen(o.extra) + strlen(optarg) + 2 > sizeof o.extra) {
                usage();
                return 2;
            }
            strcat(strcat(o.extra, optarg), "\n");
            break;
        default: usage(); return 2;
        }
    }
    if (o.records <= 0 || o.keys <= 0 || o.seconds <= 0 || (!engine && !o.bootstrap)) {
        usage();
        return 2;
    }
    bs_input_t in;
    int rc = 1;
    if (!input_make(&in, (size_t)o.keys)) {
        fprintf(stderr, "bench_streams: out of memory\n");
    } else if (engine) {
        rc = 0;
        for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
            rc |= engine_one(&ops[i], &o, &in);
    } else {
        rc = e2e(&o, &in);
    }
    input_free(&in);
    return rc;
}
