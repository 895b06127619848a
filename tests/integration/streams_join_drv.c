/*
 * streams_join_drv.c - an application for streams_join.py: joins against a
 * real sluiced. Views (key: user, value: page) left-joined within 5 s with
 * clicks (key: anything, value "user|ad", re-keyed by user, so they go
 * through a repartition topic) to "view-clicks", left-joined with the
 * table "user-tiers" to "view-tiers", and left-joined with the global
 * table "user-regions" to "view-regions". Values are
 * "left+right" ("null" for a missing side). Prints "STATE <name>" on each
 * state change; stdin "quit" (or EOF) closes it.
 *
 * Usage: streams_join_drv -b HOST:PORT --app ID --state DIR [--max-ms N]
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "streams.h"

static sl_val_t joiner(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *left, const sl_val_t *right, void *arg)
{
    char lb[256], rb[256];

    (void)key;
    (void)arg;
    return sl_val_printf(ctx, "%s+%s", sl_val_format(left, lb, sizeof(lb)), sl_val_format(right, rb, sizeof(rb)));
}

/* "user|ad" -> "user" */
static sl_val_t click_user(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)key;
    (void)arg;
    if (value->type != SL_V_STRING)
        return sl_val_null();
    const char *p = (const char *)value->u.bytes.ptr;
    const char *bar = memchr(p, '|', value->u.bytes.len);
    return bar ? sl_val_strn(ctx, p, (size_t)(bar - p)) : sl_val_null();
}

/* "user|ad" -> "ad" */
static sl_val_t click_ad(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)key;
    (void)arg;
    const char *p = (const char *)value->u.bytes.ptr;
    const char *bar = memchr(p, '|', value->u.bytes.len);
    return bar ? sl_val_strn(ctx, bar + 1, value->u.bytes.len - (size_t)(bar + 1 - p)) : *value;
}

static SL_TOPOLOGY(joins)
{
    SL_STREAM(views, "views", SL_STRING, SL_STRING);
    SL_STREAM(clicks, "clicks", SL_STRING, SL_STRING);
    SL_SELECT_KEY(clicks_by_user, clicks, click_user);
    SL_MAP_VALUES(ads, clicks_by_user, click_ad);
    sl_stream_t *vc = sl_stream_join(views, ads, "view_clicks", SL_JOIN_LEFT, joiner, NULL, 5000, 5000, 1000000,
                                     NULL, SL_STRING);
    SL_TO(vc, "view-clicks", SL_STRING, SL_STRING);
    SL_TABLE(tiers, "user-tiers", SL_STRING, SL_STRING, "tiers");
    SL_JOIN_TABLE(vt, views, tiers, SL_JOIN_LEFT, joiner);
    SL_TO(vt, "view-tiers", SL_STRING, SL_STRING);
    SL_GLOBAL_TABLE(regions, "user-regions", SL_STRING, SL_STRING, "regions");
    SL_JOIN_GLOBAL(vr, views, regions, SL_JOIN_LEFT, NULL, joiner);
    SL_TO(vr, "view-regions", SL_STRING, SL_STRING);
}

static void on_state(sl_app_t *app, sl_app_state_t old_state, sl_app_state_t new_state, void *arg)
{
    (void)app;
    (void)old_state;
    (void)arg;
    printf("STATE %s\n", sl_app_state_name(new_state));
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *bootstrap = NULL, *app_id = NULL, *state = NULL;
    long max_ms = 300000;
    char props[2048], errbuf[512], line[256];
    sl_topology_t *t = NULL;
    sl_app_t *app = NULL;
    sl_err_t err;
    size_t have = 0;

    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "-b"))
            bootstrap = argv[i + 1];
        else if (!strcmp(argv[i], "--app"))
            app_id = argv[i + 1];
        else if (!strcmp(argv[i], "--state"))
            state = argv[i + 1];
        else if (!strcmp(argv[i], "--max-ms"))
            max_ms = atol(argv[i + 1]);
    }
    if (!bootstrap || !app_id || !state || argc % 2 == 0) {
        fprintf(stderr, "usage: %s -b HOST:PORT --app ID --state DIR [--max-ms N]\n", argv[0]);
        return 2;
    }
    snprintf(props, sizeof(props),
             "application.id=%s\nbootstrap.servers=%s\nstate.dir=%s\ncommit.interval.ms=200\n"
             "consumer.session.timeout.ms=6000\nconsumer.heartbeat.interval.ms=1000\n",
             app_id, bootstrap, state);
    if (sl_topology_from(joins, &t, errbuf, sizeof(errbuf)) != SL_OK) {
        fprintf(stderr, "topology: %s\n", errbuf);
        return 1;
    }
    err = sl_app_new(t, props, &app, errbuf, sizeof(errbuf));
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
    int rc = 0;
    for (;;) {
        struct pollfd pfd = {.fd = 0, .events = POLLIN};
        if (sl_time_mono_ms() > end) {
            fprintf(stderr, "--max-ms passed\n");
            rc = 4;
            break;
        }
        if (poll(&pfd, 1, 100) <= 0)
            continue;
        ssize_t r = read(0, line + have, sizeof(line) - 1 - have);
        if (r <= 0)
            break;
        have += (size_t)r;
        line[have] = '\0';
        if (strstr(line, "quit"))
            break;
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
