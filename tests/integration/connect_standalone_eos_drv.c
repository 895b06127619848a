/*
 * connect_standalone_eos_drv.c - the runtime's exactly-once source path
 * against a real sluiced, without distributed mode: a worker runtime with
 * exactly.once.source.support=enabled runs one FileStreamSource task
 * (exactly.once.support=required) over an offset store of its own whose
 * send_in_txn writes each offset, keyed by source partition, to an offsets
 * topic inside the task's transaction. At start the store reads that topic
 * back with read_committed, so a restarted driver resumes exactly after the
 * last committed poll.
 *
 * Usage: connect_standalone_eos_drv BOOTSTRAP PLUGIN_DIR FILE TOPIC OFFSETS_TOPIC
 *        [FAIL_EVERY]
 * With FAIL_EVERY n, every n-th send_in_txn fails (its transaction must be
 * aborted and the poll's records sent again) and the connector leaves
 * exactly.once.support unset (requested). Prints "OFFSET <partition>
 * <offset>" for every offset sent in a transaction, "FAILING <n>" for every
 * failed send, "RESUME <partition> <offset>" for an offset read back at
 * start and "STATUS <task> <state> [<trace>]" for every state; runs until
 * SIGTERM (exit 0) or a task failure (exit 1).
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect_int.h"

typedef struct drv_store {
    sl_connect_offset_store_t base;
    pthread_mutex_t lock;
    const char *topic;
    char *partition, *offset;   /* one source partition: the file's */
    long fail_every, calls;     /* calls: task thread only */
} drv_store_t;

static char *st_get(sl_connect_offset_store_t *s, const char *connector, const char *partition)
{
    (void)connector;
    drv_store_t *d = (drv_store_t *)s;
    pthread_mutex_lock(&d->lock);
    char *v = d->partition && strcmp(d->partition, partition) == 0 ? strdup(d->offset) : NULL;
    pthread_mutex_unlock(&d->lock);
    return v;
}

static sl_err_t st_set(sl_connect_offset_store_t *s, const char *connector, const char *partition,
                       const char *offset)
{
    (void)connector;
    drv_store_t *d = (drv_store_t *)s;
    char *p = strdup(partition), *o = strdup(offset);
    if (!p || !o) {
        free(p);
        free(o);
        return SL_ERR_NOMEM;
    }
    pthread_mutex_lock(&d->lock);
    free(d->partition);
    free(d->offset);
    d->partition = p;
    d->offset = o;
    pthread_mutex_unlock(&d->lock);
    return SL_OK;
}

static sl_err_t st_flush(sl_connect_offset_store_t *s)
{
    (void)s;
    return SL_OK;
}

static sl_err_t st_send_in_txn(sl_connect_offset_store_t *s, sl_producer_t *p,
                               const char *connector, const char *partition, const char *offset)
{
    drv_store_t *d = (drv_store_t *)s;
    if (d->fail_every && ++d->calls % d->fail_every == 0) {
        printf("FAILING %ld\n", d->calls);
        fflush(stdout);
        return SL_ERR_IO;
    }
    sl_produce_rec_t r = {.topic = d->topic, .partition = 0, .key = partition,
                          .key_len = (int32_t)strlen(partition), .value = offset,
                          .value_len = (int32_t)strlen(offset)};
    sl_err_t err = sl_producer_send(p, &r);
    if (!err)
        err = st_set(s, connector, partition, offset);
    if (!err) {
        printf("OFFSET %s %s\n", partition, offset);
        fflush(stdout);
    }
    return err;
}

static void st_free(sl_connect_offset_store_t *s)
{
    drv_store_t *d = (drv_store_t *)s;
    free(d->partition);
    free(d->offset);
    pthread_mutex_destroy(&d->lock);
}

static const sl_connect_offset_store_ops_t drv_ops = {
    .get = st_get, .set = st_set, .flush = st_flush, .send_in_txn = st_send_in_txn,
    .free = st_free,
};

/* Reads the offsets topic with read_committed up to its last stable
 * offset: the last value of each key wins. */
static int load_offsets(drv_store_t *d, const char *bootstrap)
{
    sl_conf_t *conf = sl_conf_new();
    char err[256] = "";
    if (!conf || sl_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err)) ||
        sl_conf_set(conf, "isolation.level", "read_committed", err, sizeof(err)) ||
        sl_conf_set(conf, "enable.auto.commit", "false", err, sizeof(err))) {
        fprintf(stderr, "conf: %s\n", err);
        return 1;
    }
    sl_admin_t *a = NULL;
    sl_tp_offset_t end = {.topic = d->topic, .partition = 0, .offset = SL_OFFSET_END};
    if (sl_admin_new(conf, &a, err, sizeof(err)) ||
        sl_admin_list_offsets(a, &end, 1, true, 10000) || end.err) {
        fprintf(stderr, "listing the end of %s failed\n", d->topic);
        sl_admin_free(a);
        sl_conf_free(conf);
        return 1;
    }
    sl_admin_free(a);
    sl_consumer_t *c = NULL;
    sl_tp_offset_t from = {.topic = d->topic, .partition = 0, .offset = SL_OFFSET_BEGINNING};
    int rc = 0;
    if (sl_consumer_new(conf, NULL, NULL, &c, err, sizeof(err)) ||
        sl_consumer_assign(c, &from, 1)) {
        fprintf(stderr, "consumer: %s\n", err);
        rc = 1;
    }
    /* Bounded: up to 30 s, done at the last stable offset or after 2 s of
     * nothing (the end may be a commit marker, which is never returned). */
    int64_t deadline = sl_time_mono_ms() + 30000, idle_since = sl_time_mono_ms();
    int64_t next = 0;
    while (!rc && next < end.offset && sl_time_mono_ms() < deadline &&
           sl_time_mono_ms() - idle_since < 2000) {
        sl_message_t *m = NULL;
        if (sl_consumer_poll(c, 200, &m) != SL_OK || !m)
            continue;
        idle_since = sl_time_mono_ms();
        if (!m->err && m->key && m->value) {
            char *k = strndup(m->key, (size_t)m->key_len);
            char *v = strndup(m->value, (size_t)m->value_len);
            if (k && v)
                st_set(&d->base, "eos", k, v);
            free(k);
            free(v);
            next = m->offset + 1;
        }
        sl_message_free(m);
    }
    if (c) {
        sl_consumer_close(c);
        sl_consumer_free(c);
    }
    sl_conf_free(conf);
    if (d->offset)
        printf("RESUME %s %s\n", d->partition, d->offset);
    fflush(stdout);
    return rc;
}

static atomic_int failed;   /* set by task threads */

static void on_status(void *arg, const char *connector, int task, const char *state,
                      const char *trace)
{
    (void)arg;
    (void)connector;
    printf("STATUS %d %s%s%s\n", task, state, trace ? " " : "", trace ? trace : "");
    fflush(stdout);
    if (strcmp(state, "FAILED") == 0)
        atomic_store(&failed, 1);
}

int main(int argc, char **argv)
{
    if (argc != 6 && argc != 7) {
        fprintf(stderr, "usage: %s BOOTSTRAP PLUGIN_DIR FILE TOPIC OFFSETS_TOPIC [FAIL_EVERY]\n",
                argv[0]);
        return 2;
    }
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    drv_store_t store = {.base = {&drv_ops}, .topic = argv[5],
                         .fail_every = argc == 7 ? atol(argv[6]) : 0};
    pthread_mutex_init(&store.lock, NULL);
    if (load_offsets(&store, argv[1]))
        return 1;
    char text[2048], err[512] = "";
    snprintf(text, sizeof(text), "bootstrap.servers=%s\nexactly.once.source.support=enabled\n"
             "group.id=eos-it\noffset.flush.interval.ms=100\n", argv[1]);
    sl_props_t *wprops = NULL, *cprops = NULL;
    sl_connect_plugins_t *plugins = NULL;
    sl_connect_runtime_t *rt = NULL;
    sl_props_parse(text, strlen(text), "worker", &wprops, NULL, 0);
    /* With FAIL_EVERY the connector leaves exactly.once.support unset:
     * Kafka's default (requested) runs in transactions all the same. */
    snprintf(text, sizeof(text), "name=eos\nconnector.class=FileStreamSource\nfile=%s\ntopic=%s\n"
             "%svalue.converter=string\n", argv[3], argv[4],
             argc == 7 ? "" : "exactly.once.support=required\n");
    sl_props_parse(text, strlen(text), "connector", &cprops, NULL, 0);
    sl_props_t **cfgs = NULL;
    int n = 0;
    if (!wprops || !cprops || sl_connect_plugins_load(argv[2], &plugins, err, sizeof(err)) ||
        sl_connect_runtime_new(wprops, plugins, &store.base, "drv", on_status, NULL, &rt, err,
                               sizeof(err)) ||
        sl_connect_runtime_start_connector(rt, "eos", cprops, false, err, sizeof(err)) ||
        sl_connect_runtime_task_configs(rt, "eos", &cfgs, &n, err, sizeof(err)) || n != 1 ||
        sl_connect_runtime_start_task(rt, "eos", 0, cprops, cfgs[0], false, err, sizeof(err))) {
        fprintf(stderr, "start: %s\n", err);
        return 1;
    }
    for (int i = 0; i < n; i++)
        sl_props_free(cfgs[i]);
    free(cfgs);
    /* Runs until SIGTERM, or until the task failed (checked twice a second). */
    struct timespec half = {0, 500 * 1000 * 1000};
    while (!atomic_load(&failed) && sigtimedwait(&stop, NULL, &half) < 0)
        ;
    sl_connect_runtime_free(rt);
    sl_connect_plugins_free(plugins);
    st_free(&store.base);
    sl_props_free(wprops);
    sl_props_free(cprops);
    return atomic_load(&failed) ? 1 : 0;
}
