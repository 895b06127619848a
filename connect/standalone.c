/*
 * standalone.c - sluice-connect-standalone: Kafka's connect-standalone.
 * Usage: sluice-connect-standalone WORKER.properties CONNECTOR.properties...
 * Starts a standalone worker with the worker settings, serves the REST API
 * on the first of `listeners` (http://127.0.0.1:8083 by default), adds each
 * connector, and runs until SIGINT or SIGTERM, then stops cleanly (REST
 * first, then the worker: sources' offsets saved, sinks flushed and
 * committed). Exit 0 after a clean stop, 1 when the worker, the REST
 * service or a connector could not start, 2 for a bad command line. The
 * worker file may also set log.level (debug, info, warn, error).
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "connect.h"

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fprintf(argc < 2 ? stderr : stdout,
                "usage: %s WORKER.properties [CONNECTOR.properties...]\n"
                "Runs a standalone Connect worker until SIGINT or SIGTERM.\n", argv[0]);
        return argc < 2 ? 2 : 0;
    }
    /* SIGINT and SIGTERM are blocked before any thread exists (the client's
     * I/O threads and the task threads inherit the mask), so only the
     * sigwait below takes them. */
    sigset_t stop_set;
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGINT);
    sigaddset(&stop_set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_set, NULL);
    char err[1024];
    sl_props_t *wprops = NULL;
    if (sl_props_load(argv[1], &wprops, err, sizeof(err))) {
        fprintf(stderr, "sluice-connect-standalone: %s\n", err);
        return 1;
    }
    const char *level = sl_props_get(wprops, "log.level");
    sl_log_level_t lvl;
    if (level && sl_log_parse_level(level, &lvl) == SL_OK)
        sl_log_set_level(lvl);
    sl_connect_worker_t *w = NULL;
    sl_err_t rc = sl_connect_worker_new(wprops, &w, err, sizeof(err));
    if (rc) {
        sl_props_free(wprops);
        fprintf(stderr, "sluice-connect-standalone: %s (%s)\n", err, sl_err_name(rc));
        return 1;
    }
    /* The first listener of the list serves REST (Kafka's listeners). */
    const char *listeners = sl_props_get(wprops, "listeners");
    char listener[256];
    snprintf(listener, sizeof(listener), "%s", listeners && *listeners ? listeners :
             "http://127.0.0.1:8083");
    listener[strcspn(listener, ", ")] = '\0';
    sl_connect_rest_t *rest = NULL;
    rc = sl_connect_rest_start(w, listener, &rest, err, sizeof(err));
    sl_props_free(wprops);
    if (rc) {
        fprintf(stderr, "sluice-connect-standalone: REST service on %s: %s (%s)\n", listener, err,
                sl_err_name(rc));
        sl_connect_worker_free(w);
        return 1;
    }
    const sl_connect_plugins_t *ps = sl_connect_worker_plugins(w);
    for (size_t i = 0; i < sl_connect_plugins_error_count(ps); i++)
        fprintf(stderr, "sluice-connect-standalone: plugin refused: %s\n",
                sl_connect_plugins_error_at(ps, i));
    int status = 0;
    for (int i = 2; i < argc && !status; i++) {
        sl_props_t *cprops = NULL;
        if (sl_props_load(argv[i], &cprops, err, sizeof(err))) {
            fprintf(stderr, "sluice-connect-standalone: %s\n", err);
            status = 1;
            break;
        }
        rc = sl_connect_worker_add(w, cprops, err, sizeof(err));
        sl_props_free(cprops);
        if (rc) {
            fprintf(stderr, "sluice-connect-standalone: %s: %s (%s)\n", argv[i], err,
                    sl_err_name(rc));
            status = 1;
        }
    }
    int sig;
    if (!status)
        sigwait(&stop_set, &sig);
    sl_connect_rest_stop(rest);
    sl_connect_worker_free(w);
    return status;
}
