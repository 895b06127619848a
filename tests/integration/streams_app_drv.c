/*
 * streams_app_drv.c - a word-count application on the public streams.h,
 * for streams_app.py: lines from an input topic are split into lower-case
 * words, repartitioned by word, and counted by a processor in a key-value
 * store "counts" (with its changelog); every new count goes to the output
 * topic as (word: string, count: int64). Runs until "quit" on stdin (a
 * graceful close), end of stdin, or --max-ms; answers "get <word>" on
 * stdin with an interactive query ("GET <word> <count>" / "GET <word>
 * none" / "GET <word> error <code>") and "all" with a range over the
 * whole store ("ALL <keys> <sum>"). Prints "STATE <name>" on every state
 * change. Logs (the runtime's) go to stderr. --dsl: the same count
 * written with the DSL macros (flat_map_values, group_by, count);
 * --windowed: counts per word and hour in a window store "wcounts", read
 * by "win <word>" ("WIN <word> <windows> <sum>").
 *
 *   streams_app_drv -b HOST:PORT --app ID --in TOPIC --out TOPIC
 *                   --state DIR [--eos] [--dsl | --windowed] [--threads N] [--standby N]
 *                   [--commit-ms N] [--max-ms N] [--set key=value]...
 */
#include <ctype.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "streams.h"

/* Emits every word of a line: as key and value (flat_map), or as the
 * value only (flat_map_values). */
static void emit_words(sl_ctx_t *ctx, bool as_key, const sl_val_t *value)
{
    if (value->type != SL_V_STRING)
        return;
    const char *s = (const char *)value->u.bytes.ptr;
    size_t n = value->u.bytes.len, i = 0;
    while (i < n) {
        while (i < n && !isalnum((unsigned char)s[i]))
            i++;
        size_t start = i;
        while (i < n && isalnum((unsigned char)s[i]))
            i++;
        if (i == start)
            continue;
        char *w = sl_ctx_alloc(ctx, i - start + 1);
        if (!w)
            return;
        for (size_t k = start; k < i; k++)
            w[k - start] = (char)tolower((unsigned char)s[k]);
        w[i - start] = '\0';
        sl_val_t word = sl_val_str_ref(w, i - start);
        if (as_key)
            sl_ctx_emit(ctx, &word, &word);
        else
            sl_ctx_emit_value(ctx, &word);
    }
}

/* The same word count in the DSL: the count's store is cached, so the
 * output holds the counts as of each commit (not every step). */
static const char *g_in, *g_out;

static void split_values(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)key;
    (void)arg;
    emit_words(ctx, false, value);
}

static sl_val_t word_as_key(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)ctx, (void)key, (void)arg;
    return *value;
}

static SL_TOPOLOGY(word_count_dsl)
{
    SL_STREAM(lines, g_in, SL_STRING, SL_STRING);
    SL_FLAT_MAP_VALUES(words, lines, split_values);
    SL_GROUP_BY(by_word, words, word_as_key);
    SL_COUNT(counts, by_word, "counts");
    SL_TO_STREAM(counts, g_out, SL_STRING, SL_I64);
}

static void split_words(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)key;
    (void)arg;
    emit_words(ctx, true, value);
}

/* Counts per word and hour (tumbling windows), queried by window fetches. */
static SL_TOPOLOGY(word_count_windowed)
{
    SL_STREAM(lines, g_in, SL_STRING, SL_STRING);
    SL_FLAT_MAP_VALUES(words, lines, split_values);
    SL_GROUP_BY(by_word, words, word_as_key);
    SL_WINDOWED_BY(hourly, by_word, SL_TUMBLING(3600000, 3600000));
    SL_WINDOWED_COUNT(counts, hourly, "wcounts");
    (void)counts;
}

static sl_err_t count_init(sl_ctx_t *ctx, void **state, void *arg)
{
    (void)arg;
    *state = sl_ctx_store(ctx, "counts");
    return *state ? SL_OK : SL_ERR_NOENT;
}

static void count_process(sl_ctx_t *ctx, void *state, const sl_val_t *key, const sl_val_t *value)
{
    (void)value;
    sl_store_t *st = state;
    sl_val_t cur;
    int64_t n = sl_kv_get(st, key, &cur) == SL_OK && cur.type == SL_V_I64 ? cur.u.i64 : 0;
    sl_val_t next = sl_val_i64(n + 1);
    if (sl_kv_put(st, key, &next) != SL_OK)
        return;
    sl_ctx_forward(ctx, key, &next);
}

static const sl_processor_def_t counter = {count_init, count_process, NULL};

static void on_state(sl_app_t *app, sl_app_state_t old, sl_app_state_t s, void *arg)
{
    (void)app;
    (void)old;
    (void)arg;
    printf("STATE %s\n", sl_app_state_name(s));
    fflush(stdout);
}

static sl_topology_t *build(const char *in, const char *out, char *errbuf, size_t errlen)
{
    sl_builder_t *b = sl_builder_new();
    if (!b)
        return NULL;
    sl_store_def_t store = {.name = "counts", .kind = SL_STORE_KV, .ks = SL_STRING, .vs = SL_I64, .logging = true};
    sl_builder_add_store(b, &store);
    sl_stream_t *lines = sl_builder_stream(b, "lines", in, SL_STRING, SL_STRING);
    sl_stream_t *words = sl_stream_flat_map(lines, "words", split_words, NULL);
    words = sl_stream_with_serdes(words, SL_STRING, SL_STRING);
    sl_stream_t *by_word = sl_stream_repartition(words, "by-word", 0);
    const char *stores[] = {"counts"};
    sl_stream_t *counts = sl_stream_process(by_word, "count", &counter, NULL, stores, 1);
    counts = sl_stream_with_serdes(counts, SL_STRING, SL_I64);
    sl_stream_to(counts, "to-output", out, SL_STRING, SL_I64, NULL, NULL);
    sl_topology_t *t = NULL;
    if (sl_topology_build(b, &t, errbuf, errlen) != SL_OK)
        t = NULL;
    sl_builder_free(b);
    return t;
}

static void query(sl_app_t *app, const char *word)
{
    sl_arena_t ar;
    sl_arena_init(&ar, 0, 0);
    sl_val_t key = sl_val_str_ref(word, strlen(word)), v;
    sl_err_t err = sl_app_kv_get(app, "counts", &key, &ar, &v);
    if (err == SL_OK && v.type == SL_V_I64)
        printf("GET %s %lld\n", word, (long long)v.u.i64);
    else if (err == SL_ERR_NOENT)
        printf("GET %s none\n", word);
    else
        printf("GET %s error %s\n", word, sl_err_name(err));
    fflush(stdout);
    sl_app_query_release(&ar);
    sl_arena_fini(&ar);
}

static bool sum_one(const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)key;
    int64_t *acc = arg;
    acc[0]++;
    acc[1] += value->type == SL_V_I64 ? value->u.i64 : 0;
    return true;
}

static bool win_one(const sl_val_t *key, int64_t start, const sl_val_t *value, void *arg)
{
    (void)key, (void)start;
    int64_t *acc = arg;
    acc[0]++;
    acc[1] += value->type == SL_V_I64 ? value->u.i64 : 0;
    return true;
}

/* "WIN <word> <windows> <sum of counts>" from the windowed store. */
static void query_win(sl_app_t *app, const char *word)
{
    int64_t acc[2] = {0, 0};
    sl_val_t key = sl_val_str_ref(word, strlen(word));
    sl_err_t err = sl_app_win_fetch(app, "wcounts", &key, 0, INT64_MAX, win_one, acc);
    if (err)
        printf("WIN %s error %s\n", word, sl_err_name(err));
    else
        printf("WIN %s %lld %lld\n", word, (long long)acc[0], (long long)acc[1]);
    fflush(stdout);
}

/* "ALL <keys> <sum of counts>" over every local task's store. */
static void query_all(sl_app_t *app)
{
    int64_t acc[2] = {0, 0};
    sl_err_t err = sl_app_kv_range(app, "counts", NULL, NULL, sum_one, acc);
    if (err)
        printf("ALL error %s\n", sl_err_name(err));
    else
        printf("ALL %lld %lld\n", (long long)acc[0], (long long)acc[1]);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *bootstrap = NULL, *app_id = NULL, *in = NULL, *out = NULL, *state = NULL;
    int threads = 1, standby = 0;
    long commit_ms = -1, max_ms = 120000;
    int eos = 0, dsl = 0, windowed = 0;
    char props[8192];
    size_t plen = 0;
    char extra[4096] = "";
    size_t elen = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--eos") || !strcmp(a, "--dsl") || !strcmp(a, "--windowed")) {
            *(!strcmp(a, "--eos") ? &eos : !strcmp(a, "--dsl") ? &dsl : &windowed) = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "%s needs a value\n", a);
            return 2;
        }
        i++;
        if (!strcmp(a, "-b"))
            bootstrap = v;
        else if (!strcmp(a, "--app"))
            app_id = v;
        else if (!strcmp(a, "--in"))
            in = v;
        else if (!strcmp(a, "--out"))
            out = v;
        else if (!strcmp(a, "--state"))
            state = v;
        else if (!strcmp(a, "--threads"))
            threads = atoi(v);
        else if (!strcmp(a, "--standby"))
            standby = atoi(v);
        else if (!strcmp(a, "--commit-ms"))
            commit_ms = atol(v);
        else if (!strcmp(a, "--max-ms"))
            max_ms = atol(v);
        else if (!strcmp(a, "--set") && elen + strlen(v) + 2 < sizeof(extra))
            elen += (size_t)snprintf(extra + elen, sizeof(extra) - elen, "%s\n", v);
        else {
            fprintf(stderr, "unknown argument %s\n", a);
            return 2;
        }
    }
    if (!bootstrap || !app_id || !in || !out || !state) {
        fprintf(stderr, "usage: %s -b HOST:PORT --app ID --in TOPIC --out TOPIC --state DIR [...]\n", argv[0]);
        return 2;
    }
    plen = (size_t)snprintf(props, sizeof(props),
                            "application.id=%s\nbootstrap.servers=%s\nstate.dir=%s\nnum.stream.threads=%d\n"
                            "num.standby.replicas=%d\nprocessing.guarantee=%s\n"
                            "consumer.session.timeout.ms=6000\nconsumer.heartbeat.interval.ms=1000\n%s",
                            app_id, bootstrap, state, threads, standby, eos ? "exactly_once_v2" : "at_least_once",
                            extra);
    if (commit_ms >= 0 && plen < sizeof(props))
        snprintf(props + plen, sizeof(props) - plen, "commit.interval.ms=%ld\n", commit_ms);
    char errbuf[512];
    sl_topology_t *t = NULL;
    g_in = in;
    g_out = out;
    if (dsl || windowed) {
        if (sl_topology_from(dsl ? word_count_dsl : word_count_windowed, &t, errbuf, sizeof(errbuf)) != SL_OK)
            t = NULL;
    } else {
        t = build(in, out, errbuf, sizeof(errbuf));
    }
    if (!t) {
        fprintf(stderr, "topology: %s\n", errbuf);
        return 1;
    }
    sl_app_t *app = NULL;
    sl_err_t err = sl_app_new(t, props, &app, errbuf, sizeof(errbuf));
    if (err) {
        fprintf(stderr, "sl_app_new: %s: %s\n", sl_err_name(err), errbuf);
        sl_topology_free(t);
        return 1;
    }
    sl_app_set_state_cb(app, on_state, NULL);
    err = sl_app_start(app, errbuf, sizeof(errbuf));
    if (err) {
        printf("START-FAILED %s %s\n", sl_err_name(err), errbuf);
        fflush(stdout);
        sl_app_free(app);
        sl_topology_free(t);
        return 3;
    }
    int64_t end = sl_time_mono_ms() + max_ms;
    char line[1024];
    size_t have = 0;
    int rc = 0;
    bool quit = false;
    while (!quit) {
        if (sl_time_mono_ms() > end) {
            fprintf(stderr, "--max-ms passed\n");
            rc = 4;
            break;
        }
        struct pollfd pfd = {.fd = 0, .events = POLLIN};
        if (poll(&pfd, 1, 100) <= 0)
            continue;
        ssize_t r = read(0, line + have, sizeof(line) - 1 - have);
        if (r <= 0)
            break;
        have += (size_t)r;
        line[have] = '\0';
        char *nl;
        while ((nl = strchr(line, '\n')) != NULL) {
            *nl = '\0';
            if (!strncmp(line, "get ", 4))
                query(app, line + 4);
            else if (!strcmp(line, "all"))
                query_all(app);
            else if (!strncmp(line, "win ", 4))
                query_win(app, line + 4);
            else if (!strcmp(line, "quit"))
                quit = true;
            size_t used = (size_t)(nl + 1 - line);
            memmove(line, nl + 1, have - used + 1);
            have -= used;
        }
        if (have == sizeof(line) - 1)
            have = 0;
    }
    err = sl_app_close(app, 60000);
    printf("CLOSED %s\n", sl_err_name(err));
    fflush(stdout);
    sl_app_free(app);
    sl_topology_free(t);
    return err ? 5 : rc;
}
