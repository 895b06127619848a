/*
 * roles_connect.c - sluiced's connect role (roles_connect.h): a
 * distributed Connect worker (libsluice-connect) that reaches this
 * process's broker over the wire like any client, and its REST service.
 */
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "connect.h"
#include "roles_connect.h"

#define MOD "roles"

struct sl_role_connect {
    sl_props_t *props;
    pthread_t thread;
    sl_connect_worker_t *worker;   /* written by the thread, read after the join */
    sl_connect_rest_t *rest;
    atomic_bool failed;            /* the thread could not start the role */
};

/* A role that cannot start stops sluiced (as the sql role does): the
 * main loop takes the signal and shuts down cleanly; main() sees failed. */
static void *give_up(sl_role_connect_t *rc)
{
    atomic_store(&rc->failed, true);
    kill(getpid(), SIGTERM);
    return NULL;
}

static void *start_main(void *arg)
{
    sl_role_connect_t *rc = arg;
    char errbuf[1024] = "";
    sl_err_t err = sl_connect_worker_new(rc->props, &rc->worker, errbuf, sizeof errbuf);
    if (err) {
        SL_ERROR(MOD, "connect role: cannot start the Connect worker: %s (%s); stopping", errbuf,
                 sl_err_name(err));
        rc->worker = NULL;
        return give_up(rc);
    }
    const sl_connect_plugins_t *ps = sl_connect_worker_plugins(rc->worker);
    for (size_t i = 0; i < sl_connect_plugins_error_count(ps); i++)
        SL_WARN(MOD, "connect role: plugin refused: %s", sl_connect_plugins_error_at(ps, i));
    char listener[1024];
    snprintf(listener, sizeof listener, "%s", sl_props_get(rc->props, "listeners"));
    listener[strcspn(listener, ", ")] = '\0';
    err = sl_connect_rest_start(rc->worker, listener, &rc->rest, errbuf, sizeof errbuf);
    if (err) {
        SL_ERROR(MOD, "connect role: connect.listeners=%s: %s (%s); stopping", listener, errbuf,
                 sl_err_name(err));
        rc->rest = NULL;
        return give_up(rc);
    }
    SL_INFO(MOD, "connect role started: worker %s of group %s, REST API on %s (port %u), plugins from %s",
            sl_connect_worker_id(rc->worker), sl_props_get(rc->props, "group.id"), listener,
            (unsigned)sl_connect_rest_port(rc->rest), sl_props_get(rc->props, "plugin.path"));
    return NULL;
}

sl_err_t sl_role_connect_start(sl_props_t *props, sl_role_connect_t **out, char *errbuf, size_t errlen)
{
    const char *path = sl_props_get(props, "plugin.path");
    for (const char *p = path ? path : ""; *p;) {
        size_t n = strcspn(p, ",:");
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%.*s", (int)(n < sizeof dir ? n : sizeof dir - 1), p);
        struct stat st;
        if (n && stat(dir, &st) != 0) {
            snprintf(errbuf, errlen,
                     "connect role: connect.plugin.path: %s does not exist (set connect.plugin.path, or "
                     "leave connect out of sluice.roles)",
                     dir);
            sl_props_free(props);
            return SL_ERR_CONFIG;
        }
        p += n;
        if (*p)
            p++;
    }
    sl_role_connect_t *rc = calloc(1, sizeof *rc);
    if (!rc) {
        sl_props_free(props);
        snprintf(errbuf, errlen, "connect role: out of memory");
        return SL_ERR_NOMEM;
    }
    rc->props = props;
    if (pthread_create(&rc->thread, NULL, start_main, rc) != 0) {
        sl_props_free(props);
        free(rc);
        snprintf(errbuf, errlen, "connect role: cannot start its thread");
        return SL_ERR_NOMEM;
    }
    *out = rc;
    return SL_OK;
}

bool sl_role_connect_failed(sl_role_connect_t *rc)
{
    return rc && atomic_load(&rc->failed);
}

void sl_role_connect_stop(sl_role_connect_t *rc)
{
    if (!rc)
        return;
    pthread_join(rc->thread, NULL);
    sl_connect_rest_stop(rc->rest);
    sl_connect_worker_free(rc->worker);
    sl_props_free(rc->props);
    free(rc);
}
