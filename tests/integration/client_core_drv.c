/*
 * client_core_drv.c - the client core against a real broker: bootstraps,
 * fetches metadata for the topics named on the command line and the
 * coordinator of a group, and prints what it learned, one fact a line:
 *
 *   cluster <id> controller <node>
 *   broker <node> <host>:<port>
 *   topic <name> <ERROR_NAME|OK> partitions <n>
 *   partition <topic> <p> leader <node> epoch <epoch>
 *   coordinator <group> <node> | coordinator <group> error <ERROR_NAME>
 *   version Metadata <v>
 *
 * Usage: client_core_drv [-t SECONDS] BOOTSTRAP GROUP TOPIC... Exit status 0
 * when every topic got an answer within SECONDS (default 30), 1 otherwise
 * (with the last connection error on stderr).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client_int.h"

typedef struct drv {
    char **topics;
    int ntopics;
    const char *group;
    bool all_known;
    bool coord_done;
    sl_err_t coord_err;
    int32_t coord_node;
} drv_t;

static void coord_cb(sl_cl_t *cl, sl_err_t err, int32_t node, void *arg)
{
    (void)cl;
    drv_t *d = arg;
    d->coord_err = err;
    d->coord_node = node;
    d->coord_done = true;
}

static void start(sl_cl_t *cl, void *arg)
{
    drv_t *d = arg;
    for (int i = 0; i < d->ntopics; i++)
        sl_cl_topic(cl, d->topics[i]);
    sl_cl_coord_find(cl, 0, d->group, sl_cl_now_ms(cl) + 30000, coord_cb, d);
}

static void check(sl_cl_t *cl, void *arg)
{
    drv_t *d = arg;
    d->all_known = true;
    for (int i = 0; i < d->ntopics; i++) {
        const sl_cl_topic_t *t = sl_cl_topic(cl, d->topics[i]);
        if (!t)
            d->all_known = false;
    }
}

static void print_all(sl_cl_t *cl, void *arg)
{
    drv_t *d = arg;
    const char *cid = sl_cl_cluster_id(cl);
    printf("cluster %s controller %d\n", cid ? cid : "-", (int)sl_cl_controller(cl));
    int32_t seen[64];
    int nseen = 0;
    for (int i = 0; i < d->ntopics; i++) {
        const sl_cl_topic_t *t = sl_cl_topic(cl, d->topics[i]);
        printf("topic %s %s partitions %d\n", t->name, t->err ? sl_err_name(t->err) : "OK",
               (int)t->partition_count);
        for (int32_t p = 0; p < t->partition_count; p++) {
            printf("partition %s %d leader %d epoch %d\n", t->name, (int)p, (int)t->parts[p].leader,
                   (int)t->parts[p].leader_epoch);
            bool dup = false;
            for (int k = 0; k < nseen; k++)
                dup |= seen[k] == t->parts[p].leader;
            if (!dup && nseen < 64)
                seen[nseen++] = t->parts[p].leader;
        }
    }
    bool dup = false;
    for (int k = 0; k < nseen; k++)
        dup |= seen[k] == sl_cl_controller(cl);
    if (!dup && sl_cl_controller(cl) >= 0 && nseen < 64)
        seen[nseen++] = sl_cl_controller(cl);
    for (int k = 0; k < nseen; k++) {
        int32_t port = 0;
        const char *h = sl_cl_broker_host(cl, seen[k], &port);
        if (h)
            printf("broker %d %s:%d\n", (int)seen[k], h, (int)port);
    }
    if (!d->coord_done)
        printf("coordinator %s error NOT_DONE\n", d->group);
    else if (d->coord_err)
        printf("coordinator %s error %s\n", d->group, sl_err_name(d->coord_err));
    else
        printf("coordinator %s %d\n", d->group, (int)d->coord_node);
    printf("version Metadata %d\n", (int)sl_cl_api_version(cl, SL_CL_NODE_ANY, 3));
}

int main(int argc, char **argv)
{
    int secs = 30;
    if (argc > 2 && strcmp(argv[1], "-t") == 0) {
        secs = atoi(argv[2]);
        argv += 2;
        argc -= 2;
    }
    if (argc < 4 || secs < 1 || secs > 600) {
        fprintf(stderr, "usage: %s [-t SECONDS] BOOTSTRAP GROUP TOPIC...\n", argv[0]);
        return 2;
    }
    sl_conf_t *conf = sl_conf_new();
    char err[256];
    if (sl_conf_set(conf, "bootstrap.servers", argv[1], err, sizeof err) != SL_OK) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    sl_cl_t *cl;
    if (sl_cl_new(conf, "sl-core-drv", &cl, err, sizeof err) != SL_OK) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    sl_conf_free(conf);
    drv_t d = {argv + 3, argc - 3, argv[2], false, false, SL_OK, -1};
    sl_cl_call(cl, start, &d);
    for (int i = 0; i < secs * 10; i++) {
        sl_cl_call(cl, check, &d);
        if (d.all_known && d.coord_done)
            break;
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
    int rc = 0;
    if (d.all_known) {
        sl_cl_call(cl, print_all, &d);
    } else {
        sl_cl_last_error(cl, err, sizeof err);
        fprintf(stderr, "no metadata within %d s: %s\n", secs, err);
        rc = 1;
    }
    fflush(stdout);
    sl_cl_free(cl);
    return rc;
}
