/*
 * main.c - sluiced, the Sluice broker: `sluiced [CONFIG_FILE] [--override
 * KEY=VALUE]...` as Kafka's kafka-server-start.sh. Loads the configuration,
 * opens the broker (log dirs, topics, recovery), starts the network threads,
 * then the other roles (roles.c: the SQL service and the Connect worker,
 * clients of this broker), then runs the main thread's loop (signals,
 * housekeeping timers) until
 * SIGTERM or SIGINT, and shuts down cleanly: stop the roles, stop accepting,
 * answer what is in flight, close every log, write the clean-shutdown marker.
 *
 * Exit status: 0 after a clean shutdown, 1 when the configuration is bad or
 * the broker or a role cannot start (the reason is printed or logged), 2 on
 * bad usage.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "broker_int.h"
#include "roles.h"

#define MAX_OVERRIDES 1024

static void usage(FILE *out)
{
    fputs("usage: sluiced [CONFIG_FILE] [--override KEY=VALUE]...\n"
          "\n"
          "Starts the Sluice broker, a Kafka-compatible single-node broker. CONFIG_FILE is a\n"
          "Kafka server.properties file; each --override sets one key after it (later wins).\n"
          "SIGTERM or SIGINT shuts down cleanly. The environment variable SLUICE_LOG_LEVEL\n"
          "(debug, info, warn, error) sets how much is logged to stderr (default info).\n"
          "\n"
          "Configuration keys (Kafka's names and defaults unless noted):\n",
          out);
    sl_broker_config_help(out);
    sl_roles_help(out);
}

/* While the broker's loader runs: its "unknown key" warnings about the
 * role keys are dropped (roles.c reads and checks them). */
static void load_log_sink(void *ctx, sl_log_level_t level, const char *line, size_t len)
{
    SL_UNUSED(ctx);
    SL_UNUSED(level);
    const char *k = strstr(line, "unknown key '");
    if (k) {
        char key[256];
        size_t n = strcspn(k + 13, "'");
        snprintf(key, sizeof key, "%.*s", (int)(n < sizeof key ? n : sizeof key - 1), k + 13);
        if (sl_roles_is_key(key))
            return;
    }
    char buf[4200];
    int m = snprintf(buf, sizeof buf, "%.*s\n", (int)(len < 4096 ? len : 4096), line);
    if (m > 0 && write(2, buf, (size_t)m) < 0)
        return;
}

typedef struct sig_ctx {
    int fd;
    int signo;  /* the signal that stopped us */
} sig_ctx_t;

static void on_signal(sl_loop_t *loop, int fd, unsigned events, void *arg)
{
    sig_ctx_t *sc = arg;
    SL_UNUSED(events);
    struct signalfd_siginfo si;
    ssize_t n = read(fd, &si, sizeof si);
    if (n != (ssize_t)sizeof si)
        return;
    sc->signo = (int)si.ssi_signo;
    sl_loop_stop(loop);
}

int main(int argc, char **argv)
{
    const char *config_path = NULL;
    const char **overrides = calloc(MAX_OVERRIDES, sizeof *overrides);
    int n_overrides = 0;
    if (!overrides)
        return 1;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
            free(overrides);
            return 0;
        }
        const char *kv = NULL;
        if (strcmp(arg, "--override") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "sluiced: --override needs KEY=VALUE\n");
                free(overrides);
                return 2;
            }
            kv = argv[++i];
        } else if (strncmp(arg, "--override=", 11) == 0) {
            kv = arg + 11;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            fprintf(stderr, "sluiced: unknown option '%s' (see sluiced --help)\n", arg);
            free(overrides);
            return 2;
        } else if (!config_path) {
            config_path = arg;
            continue;
        } else {
            fprintf(stderr, "sluiced: only one configuration file may be given ('%s', '%s')\n", config_path, arg);
            free(overrides);
            return 2;
        }
        if (n_overrides == MAX_OVERRIDES) {
            fprintf(stderr, "sluiced: more than %d --override options\n", MAX_OVERRIDES);
            free(overrides);
            return 2;
        }
        overrides[n_overrides++] = kv;
    }

    const char *level = getenv("SLUICE_LOG_LEVEL");
    if (level && *level) {
        sl_log_level_t lvl;
        if (sl_log_parse_level(level, &lvl) == SL_OK)
            sl_log_set_level(lvl);
        else
            fprintf(stderr, "sluiced: SLUICE_LOG_LEVEL=%s is not a level; using info\n", level);
    }

    sl_broker_config_t cfg;
    char errbuf[1024];
    sl_log_set_sink(load_log_sink, NULL);
    sl_err_t err = sl_broker_config_load(config_path, overrides, n_overrides, &cfg, errbuf, sizeof errbuf);
    sl_log_set_sink(NULL, NULL);
    free(overrides);
    if (err != SL_OK) {
        fprintf(stderr, "sluiced: %s\n", errbuf[0] ? errbuf : sl_err_str(err));
        return 1;
    }
    sl_roles_t roles;
    err = sl_roles_load(&cfg, &roles, errbuf, sizeof errbuf);
    if (err != SL_OK) {
        fprintf(stderr, "sluiced: %s\n", errbuf);
        sl_broker_config_free(&cfg);
        return 1;
    }

    /* Every partition keeps its segment files open and Fetch responses hold
     * descriptors until sent: use all the descriptors we may (Kafka asks
     * for 100000 or more). */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? 1048576 : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            SL_WARN(SL_BROKER_LOG, "cannot raise the open file limit: %s", strerror(errno));
    }

    /* Signals arrive on the main loop's signalfd; every thread inherits
     * the mask, so none of them is interrupted by one. */
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    pthread_sigmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);

    sl_broker_t *broker = NULL;
    sl_loop_t *loop = NULL;
    sig_ctx_t sc = {.fd = -1};
    int status = 1;
    err = sl_broker_open(&cfg, &broker, errbuf, sizeof errbuf);
    if (err != SL_OK) {
        fprintf(stderr, "sluiced: %s\n", errbuf[0] ? errbuf : sl_err_str(err));
        goto out;
    }
    sc.fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sc.fd < 0 || sl_loop_new(&loop) != SL_OK || sl_loop_fd_add(loop, sc.fd, SL_EV_READ, on_signal, &sc) != SL_OK) {
        fprintf(stderr, "sluiced: cannot set up the main loop: %s\n", strerror(errno));
        goto out;
    }
    int nthreads = cfg.num_network_threads > 0 ? cfg.num_network_threads : 1;
    err = sl_broker_start(broker, cfg.listener_host, cfg.listener_port, nthreads);
    if (err != SL_OK) {
        fprintf(stderr, "sluiced: cannot listen on %s:%u (%s; see the log above)\n", cfg.listener_host,
                cfg.listener_port, sl_err_name(err));
        goto out;
    }
    if (sl_broker_maint_start(broker, loop) != SL_OK || sl_coord_start(broker, loop) != SL_OK ||
        sl_txn_coord_start(broker, loop) != SL_OK) {
        fprintf(stderr, "sluiced: no memory for the housekeeping timers\n");
        goto out;
    }
    char dirs[2048] = "";
    for (int d = 0; d < cfg.n_log_dirs; d++) {
        size_t used = strlen(dirs);
        snprintf(dirs + used, sizeof dirs - used, "%s%s", d ? "," : "", cfg.log_dirs[d]);
    }
    SL_INFO(SL_BROKER_LOG,
            "sluiced started: node %d, cluster %s, listening on %s:%u (advertised %s:%u), %d network threads, "
            "log dirs %s, open file limit %lld",
            broker->node_id, broker->cluster_id, cfg.listener_host[0] ? cfg.listener_host : "0.0.0.0",
            broker->port, broker->adv_host, broker->adv_port, nthreads, dirs,
            getrlimit(RLIMIT_NOFILE, &rl) == 0 ? (long long)rl.rlim_cur : -1LL);
    err = sl_roles_start(&roles, broker, &cfg, errbuf, sizeof errbuf);
    if (err != SL_OK) {
        fprintf(stderr, "sluiced: %s\n", errbuf);
        goto out;
    }
    sl_loop_run(loop);
    SL_INFO(SL_BROKER_LOG, "shutting down (%s)", sc.signo ? strsignal(sc.signo) : "loop stopped");
    status = sl_roles_failed(&roles) ? 1 : 0;
out:
    sl_roles_stop(&roles);
    if (broker) {
        sl_broker_stop(broker);
        if (sl_broker_close(broker) != SL_OK)
            status = status ? status : 1;
        else if (status == 0)
            SL_INFO(SL_BROKER_LOG, "clean shutdown complete");
    }
    sl_loop_free(loop);
    if (sc.fd >= 0)
        close(sc.fd);
    sl_broker_config_free(&cfg);
    return status;
}
