/*
 * example.c - the part every streams example shares (example.h): the
 * command line, creating missing topics through the admin client, and the
 * application's life: started, watched from the main thread, closed on
 * SIGINT or SIGTERM.
 *
 * The signals are blocked before any thread exists, so every thread the
 * application and its clients start inherits the mask and only the main
 * thread takes them (with sigtimedwait): a signal never interrupts a
 * stream thread's system call.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "example.h"

#define EX_CLOSE_TIMEOUT_MS 30000
#define EX_ADMIN_TIMEOUT_MS 15000

typedef struct ex_cli {
    const char *bootstrap;
    int32_t partitions;
    bool describe;
    sl_buf_t props; /* "key=value\n" lines: the defaults, then every -X */
} ex_cli_t;

static void usage(const ex_def_t *def, FILE *f)
{
    fprintf(f,
            "usage: %s [-b HOST:PORT] [-X key=value]... [--partitions N] [--describe]%s\n"
            "\n%s\n\n"
            "  -b HOST:PORT      the broker to bootstrap from (default localhost:9092)\n"
            "  -X key=value      an application setting (streams.h: application.id,\n"
            "                    num.stream.threads, processing.guarantee, state.dir,\n"
            "                    commit.interval.ms, ...); may be repeated\n"
            "  --partitions N    partitions of the topics it creates when missing (default 3)\n"
            "  --describe        print the topology (Kafka Streams' format) and exit\n"
            "  --help            this text\n",
            def->prog, def->opts ? " [options]" : "", def->summary);
    for (const ex_opt_t *o = def->opts; o && o->name; o++)
        fprintf(f, "  --%-15s %s (default %" PRId64 ")\n", o->name, o->help, *o->value);
    fprintf(f, "\nIt runs until SIGINT or SIGTERM, then closes the application cleanly.\n");
}

static bool parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static void props_add(ex_cli_t *cli, const char *key, const char *value)
{
    sl_buf_put(&cli->props, key, strlen(key));
    sl_buf_put(&cli->props, "=", 1);
    sl_buf_put(&cli->props, value, strlen(value));
    sl_buf_put(&cli->props, "\n", 1);
}

/* The value of the option at argv[*i] ("--name" with a value next). */
static const char *opt_value(const ex_def_t *def, int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        fprintf(stderr, "%s: %s needs a value (--help)\n", def->prog, argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

/* Returns -1 to go on, else the exit status. */
static int parse_cli(const ex_def_t *def, int argc, char **argv, ex_cli_t *cli)
{
    const char *v;
    int64_t n;
    cli->bootstrap = "localhost:9092";
    cli->partitions = 3;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(def, stdout);
            return 0;
        } else if (!strcmp(a, "--describe")) {
            cli->describe = true;
        } else if (!strcmp(a, "-b")) {
            if (!(cli->bootstrap = opt_value(def, argc, argv, &i)))
                return 2;
        } else if (!strcmp(a, "-X")) {
            if (!(v = opt_value(def, argc, argv, &i)))
                return 2;
            if (!strchr(v, '=') || v[0] == '=' || strpbrk(v, "\r\n")) {
                fprintf(stderr, "%s: -X wants key=value on one line, got '%s'\n", def->prog, v);
                return 2;
            }
            sl_buf_put(&cli->props, v, strlen(v));
            sl_buf_put(&cli->props, "\n", 1);
        } else if (!strcmp(a, "--partitions")) {
            if (!(v = opt_value(def, argc, argv, &i)))
                return 2;
            if (!parse_i64(v, 1, 10000, &n)) {
                fprintf(stderr, "%s: --partitions wants 1..10000, got '%s'\n", def->prog, v);
                return 2;
            }
            cli->partitions = (int32_t)n;
        } else {
            const ex_opt_t *o = def->opts;
            while (o && o->name && !(a[0] == '-' && a[1] == '-' && !strcmp(a + 2, o->name)))
                o++;
            if (!o || !o->name) {
                fprintf(stderr, "%s: unknown argument '%s' (--help)\n", def->prog, a);
                return 2;
            }
            if (!(v = opt_value(def, argc, argv, &i)))
                return 2;
            if (!parse_i64(v, o->min, o->max, o->value)) {
                fprintf(stderr, "%s: --%s wants %" PRId64 "..%" PRId64 ", got '%s'\n", def->prog, o->name, o->min,
                        o->max, v);
                return 2;
            }
        }
    }
    return -1;
}

/* Creates def's topics that do not exist yet (one already there is left as
 * it is, whatever its partition count). */
static bool ensure_topics(const ex_def_t *def, const ex_cli_t *cli)
{
    char err[512];
    size_t n = 0;
    while (def->topics && def->topics[n])
        n++;
    if (!n)
        return true;
    sl_conf_t *conf = sl_conf_new();
    sl_admin_t *adm = NULL;
    bool ok = false;
    sl_new_topic_t *nt = calloc(n, sizeof *nt);
    sl_arena_t arena;
    sl_arena_init(&arena, 4096, 0);
    if (!conf || !nt) {
        fprintf(stderr, "%s: out of memory\n", def->prog);
        goto out;
    }
    if (sl_conf_set(conf, "bootstrap.servers", cli->bootstrap, err, sizeof err) ||
        sl_admin_new(conf, &adm, err, sizeof err)) {
        fprintf(stderr, "%s: admin client: %s\n", def->prog, err);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        nt[i].name = def->topics[i];
        nt[i].partitions = cli->partitions;
        nt[i].replication_factor = -1;
    }
    if (sl_admin_create_topics(adm, nt, n, false, &arena, EX_ADMIN_TIMEOUT_MS)) {
        sl_admin_last_error(adm, err, sizeof err);
        fprintf(stderr, "%s: cannot create the topics at %s: %s\n", def->prog, cli->bootstrap, err);
        goto out;
    }
    ok = true;
    for (size_t i = 0; i < n; i++) {
        if (nt[i].err == SL_ERR_TOPIC_ALREADY_EXISTS)
            continue;
        if (nt[i].err) {
            fprintf(stderr, "%s: cannot create topic %s: %s%s%s\n", def->prog, nt[i].name, sl_err_name(nt[i].err),
                    nt[i].message ? ": " : "", nt[i].message ? nt[i].message : "");
            ok = false;
        } else {
            fprintf(stderr, "%s: created topic %s (%" PRId32 " partitions)\n", def->prog, nt[i].name,
                    cli->partitions);
        }
    }
out:
    sl_admin_free(adm);
    if (conf)
        sl_conf_free(conf);
    free(nt);
    sl_arena_fini(&arena);
    return ok;
}

const char *ex_json_text(sl_ctx_t *ctx, const sl_val_t *v)
{
    if (sl_val_is_null(v) || (v->type != SL_V_STRING && v->type != SL_V_BYTES))
        return NULL;
    size_t n = v->u.bytes.len;
    char *out = sl_ctx_alloc(ctx, 6 * n + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = v->u.bytes.ptr[i];
        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
        } else if (c < 0x20) {
            o += sprintf(o, "\\u%04x", c);
        } else {
            *o++ = (char)c;
        }
    }
    *o = '\0';
    return out;
}

static void on_state(sl_app_t *app, sl_app_state_t old_state, sl_app_state_t new_state, void *arg)
{
    (void)app;
    fprintf(stderr, "%s: state %s -> %s\n", (const char *)arg, sl_app_state_name(old_state),
            sl_app_state_name(new_state));
}

/* Runs t until a signal (exit 0 after a clean close) or the application
 * failing (exit 1). */
static int run(const ex_def_t *def, const sl_topology_t *t, ex_cli_t *cli, const sigset_t *sigs)
{
    char err[512];
    sl_app_t *app = NULL;
    int rc = 1;
    sl_buf_put(&cli->props, "", 1); /* the NUL */
    if (sl_buf_err(&cli->props)) {
        fprintf(stderr, "%s: out of memory\n", def->prog);
        return 1;
    }
    if (sl_app_new(t, (const char *)cli->props.data, &app, err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", def->prog, err);
        return 1;
    }
    sl_app_set_state_cb(app, on_state, (void *)def->prog);
    if (sl_app_start(app, err, sizeof err)) {
        fprintf(stderr, "%s: cannot start: %s\n", def->prog, err);
        goto out;
    }
    fprintf(stderr, "%s: running against %s; Ctrl-C stops it\n", def->prog, cli->bootstrap);
    for (;;) {
        struct timespec tick = {0, 200 * 1000 * 1000};
        int sig = sigtimedwait(sigs, NULL, &tick);
        if (sig > 0) {
            fprintf(stderr, "%s: %s: closing\n", def->prog, strsignal(sig));
            break;
        }
        sl_app_state_t st = sl_app_state(app);
        if (st == SL_APP_ERROR || st == SL_APP_NOT_RUNNING) {
            fprintf(stderr, "%s: the application stopped (%s)\n", def->prog, sl_app_state_name(st));
            goto out;
        }
    }
    sl_err_t e = sl_app_close(app, EX_CLOSE_TIMEOUT_MS);
    if (e) {
        fprintf(stderr, "%s: close: %s\n", def->prog, sl_err_str(e));
        goto out;
    }
    fprintf(stderr, "%s: closed\n", def->prog);
    rc = 0;
out:
    sl_app_free(app);
    return rc;
}

int ex_main(const ex_def_t *def, int argc, char **argv)
{
    char err[512];
    ex_cli_t cli = {0};
    sl_topology_t *t = NULL;
    sl_buf_init(&cli.props);
    int rc = parse_cli(def, argc, argv, &cli);
    if (rc >= 0)
        goto out;
    rc = 1;
    if (sl_topology_from(def->topology, &t, err, sizeof err)) {
        fprintf(stderr, "%s: the topology does not build: %s\n", def->prog, err);
        goto out;
    }
    if (cli.describe) {
        char *d = sl_topology_describe(t);
        if (!d) {
            fprintf(stderr, "%s: out of memory\n", def->prog);
            goto out;
        }
        fputs(d, stdout);
        free(d);
        rc = 0;
        goto out;
    }
    /* Defaults first: a later -X of the same key replaces them. Output
     * every second rather than Kafka's 30 s, so a demo shows results. */
    sl_buf_t x = cli.props;
    sl_buf_init(&cli.props);
    props_add(&cli, "application.id", def->app_id);
    props_add(&cli, "bootstrap.servers", cli.bootstrap);
    props_add(&cli, "commit.interval.ms", "1000");
    if (x.len)
        sl_buf_put(&cli.props, x.data, x.len);
    sl_buf_free(&x);

    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (ensure_topics(def, &cli))
        rc = run(def, t, &cli, &sigs);
out:
    if (t)
        sl_topology_free(t);
    sl_buf_free(&cli.props);
    return rc;
}
