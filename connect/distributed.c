/*
 * distributed.c - sluice-connect-distributed: Kafka's connect-distributed.
 * Usage: sluice-connect-distributed WORKER.properties
 * Starts a distributed worker (group.id required: the workers of one
 * group.id share connectors and tasks through the config, offset and
 * status topics) and serves the REST API on the first of `listeners`
 * (http://127.0.0.1:8083 by default) until SIGINT or SIGTERM, then stops
 * cleanly: REST first, then the worker (its tasks stopped with their
 * offsets written, then it leaves the group so the others take over).
 * Exit 0 after a clean stop, 1 when the worker or the REST service could
 * not start, 2 for a bad command line. The worker file may also set
 * log.level (debug, info, warn, error).
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "connect.h"

#define PROG "sluice-connect-distributed"

int main(int argc, char **argv)
{
    if (argc != 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        bool help = argc == 2;
        fprintf(help ? stdout : stderr,
                "usage: %s WORKER.properties\n"
                "Runs a distributed Connect worker (group.id, config.storage.topic,\n"
                "offset.storage.topic, status.storage.topic) until SIGINT or SIGTERM.\n", PROG);
        return help ? 0 : 2;
    }
    /* Blocked before any thread exists, so only the sigwait takes them. */
    sigset_t stop_set;
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGINT);
    sigaddset(&stop_set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_set, NULL);
    char err[1024];
    sl_props_t *wprops = NULL;
    if (sl_props_load(argv[1], &wprops, err, sizeof(err))) {
        fprintf(stderr, PROG ": %s\n", err);
        return 1;
    }
    const char *level = sl_props_get(wprops, "log.level");
    sl_log_level_t lvl;
    if (level && sl_log_parse_level(level, &lvl) == SL_OK)
        sl_log_set_level(lvl);
    const char *group = sl_props_get(wprops, "group.id");
    if (!group || !*group) {
        fprintf(stderr, PROG ": %s: group.id is required for a distributed worker\n", argv[1]);
        sl_props_free(wprops);
        return 1;
    }
    sl_connect_worker_t *w = NULL;
    sl_err_t rc = sl_connect_worker_new(wprops, &w, err, sizeof(err));
    if (rc) {
        sl_props_free(wprops);
        fprintf(stderr, PROG ": %s (%s)\n", err, sl_err_name(rc));
        return 1;
    }
    const char *listeners = sl_props_get(wprops, "listeners");
    char listener[256];
    snprintf(listener, sizeof(listener), "%s",
             listeners && *listeners ? listeners : "http://127.0.0.1:8083");
    listener[strcspn(listener, ", ")] = '\0';
    sl_props_free(wprops);
    sl_connect_rest_t *rest = NULL;
    rc = sl_connect_rest_start(w, listener, &rest, err, sizeof(err));
    if (rc) {
        fprintf(stderr, PROG ": REST service on %s: %s (%s)\n", listener, err, sl_err_name(rc));
        sl_connect_worker_free(w);
        return 1;
    }
    SL_INFO("connect", "distributed worker %s: REST service on %s (port %u)", sl_connect_worker_id(w),
            listener, (unsigned)sl_connect_rest_port(rest));
    const sl_connect_plugins_t *ps = sl_connect_worker_plugins(w);
    for (size_t i = 0; i < sl_connect_plugins_error_count(ps); i++)
        fprintf(stderr, PROG ": plugin refused: %s\n", sl_connect_plugins_error_at(ps, i));
    int sig;
    sigwait(&stop_set, &sig);
    sl_connect_rest_stop(rest);
    sl_connect_worker_free(w);
    return 0;
}
