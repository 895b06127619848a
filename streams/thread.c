/*
 * thread.c - a stream thread: its group consumer (group.id =
 * application.id, the streams assignor, no auto commit), its producer
 * (transactional under exactly_once_v2), its restore consumer, and the loop:
 * poll a batch, route each record to its task by (topic, partition),
 * process them in timestamp order across partitions (partition_group.c),
 * punctuate, and every commit.interval.ms flush the tasks and commit. Also
 * the collector tasks write through, and the global tables' updater.
 *
 * A record is processed with its task's lock held (interactive queries
 * take the same lock), and under exactly_once_v2 inside the thread's open
 * transaction. A processing error stops the thread (its transaction
 * aborted); the app is in ERROR once no thread is left, as Kafka Streams
 * without an uncaught-exception handler.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_int.h"

#define SL_ST_BATCH 1000          /* records polled per loop at most */

static void batch_drop(sl_sthread_t *th);
static sl_err_t batch_process(sl_sthread_t *th);

static int64_t wall_clock(void *arg)
{
    (void)arg;
    return sl_time_wall_ms();
}

void sl_sthread_set_state(sl_sthread_t *th, sl_sthread_state_t s)
{
    int old = atomic_exchange(&th->state, (int)s);
    if (old != (int)s)
        sl_app_refresh_state(th->app);
}

/* ---- the collector and delivery reports --------------------------------------- */

static void cl_key(char *buf, size_t len, const char *topic, int32_t partition, size_t *klen)
{
    int n = snprintf(buf, len, "%s%c%d", topic, '\0', (int)partition);
    *klen = n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}

int64_t sl_sthread_cl_offset(sl_sthread_t *th, const char *topic, int32_t partition)
{
    char key[512];
    size_t klen;
    cl_key(key, sizeof(key), topic, partition, &klen);
    int64_t *v = sl_map_get(&th->cl_offsets, key, klen);
    return v ? *v : -1;
}

static bool is_changelog(const char *topic)
{
    size_t n = strlen(topic);
    return n > 10 && strcmp(topic + n - 10, "-changelog") == 0;
}

static void on_delivery(sl_producer_t *p, const sl_message_t *m, void *arg)
{
    (void)p;
    sl_sthread_t *th = arg;
    if (m->err) {
        if (!th->dr_err) {
            SL_ERROR(SL_APP_LOG, "%s: sending to %s[%d] failed: %s", th->name, m->topic ? m->topic : "?",
                     (int)m->partition, sl_err_name(m->err));
            th->dr_err = m->err;
        }
        return;
    }
    if (!m->topic || m->offset < 0 || !is_changelog(m->topic))
        return;
    char key[512];
    size_t klen;
    cl_key(key, sizeof(key), m->topic, m->partition, &klen);
    int64_t *v = sl_map_get(&th->cl_offsets, key, klen);
    if (!v) {
        v = malloc(sizeof(*v));
        if (!v || sl_map_put(&th->cl_offsets, key, klen, v, NULL) != SL_OK) {
            free(v);
            return;
        }
        *v = -1;
    }
    if (m->offset + 1 > *v)
        *v = m->offset + 1;
}

static sl_err_t coll_send(void *arg, const char *topic, int32_t partition, const void *key, int32_t klen,
                          const void *value, int32_t vlen, int64_t timestamp, const sl_header_t *headers,
                          size_t n_headers)
{
    sl_sthread_t *th = arg;
    sl_msg_header_t hs[16];
    sl_msg_header_t *h = n_headers <= 16 ? hs : calloc(n_headers, sizeof(*h));
    if (!h)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < n_headers; i++) {
        h[i].key = headers[i].key;
        h[i].value = headers[i].value;
        h[i].value_len = headers[i].value_len;
    }
    sl_produce_rec_t rec = {
        .topic = topic,
        .partition = partition >= 0 ? partition : SL_PARTITION_ANY,
        .key = key,
        .key_len = key ? klen : 0,
        .value = value,
        .value_len = value ? vlen : 0,
        .headers = n_headers ? h : NULL,
        .header_count = n_headers,
        .timestamp = timestamp > 0 ? timestamp : 0,
    };
    sl_err_t err = sl_producer_send(th->producer, &rec);
    if (err == SL_ERR_AGAIN) {
        /* buffer full: serve delivery reports and retry once */
        sl_producer_poll(th->producer, 100);
        err = sl_producer_send(th->producer, &rec);
    }
    if (h != hs)
        free(h);
    if (err)
        SL_ERROR(SL_APP_LOG, "%s: send to %s: %s", th->name, topic, sl_err_name(err));
    return err;
}

static int32_t coll_partitions(void *arg, const char *topic)
{
    sl_sthread_t *th = arg;
    int32_t *v = sl_map_gets(&th->part_counts, topic);
    if (v)
        return *v;
    sl_arena_t ar;
    sl_arena_init(&ar, 0, 0);
    sl_topic_desc_t *d = NULL;
    size_t n = 0;
    int32_t count = -1;
    if (sl_admin_describe_topics(th->app->admin, &topic, 1, &ar, &d, &n, 10000) == SL_OK && n == 1 && !d[0].err)
        count = (int32_t)d[0].partition_count;
    sl_arena_fini(&ar);
    if (count > 0 && (v = malloc(sizeof(*v)))) {
        *v = count;
        if (sl_map_put(&th->part_counts, topic, strlen(topic), v, NULL) != SL_OK)
            free(v);
    }
    return count;
}

void sl_sthread_collector(sl_sthread_t *th, sl_collector_t *out)
{
    out->send = coll_send;
    out->partitions = coll_partitions;
    out->arg = th;
}

/* ---- rebalances -------------------------------------------------------------- */

static void on_assignment(sl_consumer_t *c, const sl_assignor_tp_t *parts, size_t n, const uint8_t *user_data,
                          int32_t user_data_len, int32_t generation, void *arg)
{
    (void)c;
    (void)parts;
    (void)n;
    sl_sthread_t *th = arg;
    sl_arena_t ar;
    sl_arena_init(&ar, 0, (size_t)16 << 20);
    sl_sa_asg_info_t info;
    sl_err_t err = user_data && user_data_len > 0
                       ? sl_sa_asg_info_decode(user_data, (size_t)user_data_len, &ar, &info)
                       : SL_ERR_PARSE;
    if (err) {
        SL_ERROR(SL_APP_LOG, "%s: generation %d: the assignment's user data does not decode (%s): is every "
                 "member of group %s a streams application?", th->name, (int)generation, sl_err_name(err),
                 th->app->app_id);
        th->fatal = SL_ERR_PARSE;
    } else {
        SL_INFO(SL_APP_LOG, "%s: generation %d: %zu active and %zu standby tasks", th->name, (int)generation,
                info.n_active, info.n_standby);
        sl_tm_on_assignment(th, &info);
    }
    sl_arena_fini(&ar);
}

static void on_rebalance(sl_consumer_t *c, sl_rebalance_kind_t kind, const sl_tp_offset_t *parts, size_t n,
                         void *arg)
{
    (void)c;
    (void)parts;
    (void)n;
    sl_sthread_t *th = arg;
    if (kind == SL_REBALANCE_LOST) {
        batch_drop(th);
    } else if (th->n_batch) {
        /* what was polled before the partitions move */
        sl_err_t err = batch_process(th);
        if (err && !th->fatal)
            th->fatal = err;
    }
    if (kind == SL_REBALANCE_REVOKED) {
        sl_sthread_set_state(th, SL_ST_REBALANCING);
        sl_tm_on_revoked(th);
    } else if (kind == SL_REBALANCE_LOST) {
        sl_sthread_set_state(th, SL_ST_REBALANCING);
        sl_tm_on_lost(th);
    }
}

/* The leader's assignment (I/O thread): the pure assignor over the app's
 * sub-topologies, which are fixed once the app started. */
static sl_err_t assign(const sl_assignor_member_t *members, size_t n_members, const sl_assignor_topic_t *topics,
                       size_t n_topics, sl_arena_t *arena, sl_assignor_result_t *out, void *arg)
{
    sl_sthread_t *th = arg;
    return sl_sa_assign(members, n_members, topics, n_topics, arena, out, &th->app->sa);
}

/* ---- creation ---------------------------------------------------------------- */

sl_err_t sl_sthread_new(sl_app_t *app, int index, sl_sthread_t **out, char *errbuf, size_t errlen)
{
    sl_sthread_t *th = calloc(1, sizeof(*th));
    if (!th)
        return SL_ERR_NOMEM;
    th->app = app;
    th->index = index;
    snprintf(th->name, sizeof(th->name), "%s-StreamThread-%d", app->app_id, index + 1);
    pthread_mutex_init(&th->lock, NULL);
    sl_map_init(&th->cl_offsets);
    sl_map_init(&th->part_counts);
    atomic_store(&th->state, SL_ST_STARTING);
    *out = th;
    th->batch = calloc(SL_ST_BATCH, sizeof(*th->batch));
    if (!th->batch)
        return SL_ERR_NOMEM;
    char cid[240], txn[240];
    snprintf(cid, sizeof(cid), "%s-consumer", th->name);
    const char *cdefaults[] = {"auto.offset.reset", "earliest", NULL};
    const char *cforced[] = {"group.id",   app->app_id, "enable.auto.commit", "false", "client.id", cid,
                             "isolation.level", app->eos ? "read_committed" : "read_uncommitted", NULL};
    sl_conf_t *conf = sl_app_client_conf(app, "consumer.", cdefaults, cforced, errbuf, errlen);
    if (!conf)
        return SL_ERR_CONFIG;
    sl_err_t err = sl_consumer_new(conf, on_rebalance, th, &th->consumer, errbuf, errlen);
    sl_conf_free(conf);
    if (err)
        return err;
    sl_assignor_def_t def = {
        .name = "stream",
        .user_data = sl_tm_user_data,
        .assign = assign,
        .on_assignment = on_assignment,
        .arg = th,
    };
    err = sl_consumer_set_assignor(th->consumer, &def);
    if (err) {
        snprintf(errbuf, errlen, "cannot install the streams assignor: %s", sl_err_name(err));
        return err;
    }
    snprintf(cid, sizeof(cid), "%s-restore-consumer", th->name);
    /* Restores read to an end offset that trailing transaction markers
     * may stand for: a short fetch wait moves the position past them
     * soon after the last record. */
    const char *rforced[] = {"enable.auto.commit", "false", "client.id", cid, "auto.offset.reset", "earliest",
                             "isolation.level", app->eos ? "read_committed" : "read_uncommitted",
                             "fetch.max.wait.ms", "10", NULL};
    conf = sl_app_client_conf(app, "consumer.", NULL, rforced, errbuf, errlen);
    if (!conf)
        return SL_ERR_CONFIG;
    err = sl_consumer_new(conf, NULL, NULL, &th->restore, errbuf, errlen);
    sl_conf_free(conf);
    if (err)
        return err;
    snprintf(cid, sizeof(cid), "%s-producer", th->name);
    snprintf(txn, sizeof(txn), "%s-%s-%d", app->app_id, app->process_hex, index + 1);
    const char *pdefaults[] = {"linger.ms", "100", "transaction.timeout.ms", "10000", NULL};
    const char *pforced_eos[] = {"client.id", cid, "transactional.id", txn, "enable.idempotence", "true",
                                 "acks", "all", NULL};
    const char *pforced[] = {"client.id", cid, NULL};
    conf = sl_app_client_conf(app, "producer.", pdefaults, app->eos ? pforced_eos : pforced, errbuf, errlen);
    if (!conf)
        return SL_ERR_CONFIG;
    err = sl_producer_new(conf, on_delivery, th, &th->producer, errbuf, errlen);
    sl_conf_free(conf);
    if (err)
        return err;
    if (app->eos && !(th->txn_id = strdup(txn)))
        return SL_ERR_NOMEM;
    return SL_OK;
}

/* ---- the loop ----------------------------------------------------------------- */

/* Processes m (a record or an error event). *rewound: its task was not
 * ready, the partition goes back to m's offset and is paused. */
/* A consumed message as a task's input record (null key and value as -1
 * lengths; headers left to the caller). Borrows m. */
static sl_in_record_t in_record(const sl_message_t *m)
{
    sl_in_record_t rec = {
        .topic = m->topic,
        .partition = m->partition,
        .offset = m->offset,
        .timestamp = m->timestamp,
        .key = m->key,
        .klen = m->key ? m->key_len : -1,
        .value = m->value,
        .vlen = m->value ? m->value_len : -1,
    };
    return rec;
}

static sl_err_t process_msg(sl_sthread_t *th, sl_message_t *m, bool *rewound)
{
    if (m->err) {
        SL_WARN(SL_APP_LOG, "%s: consumer: %s%s%s", th->name, sl_err_name(m->err), m->topic ? " on " : "",
                m->topic ? m->topic : "");
        return SL_OK;
    }
    int ti = -1;
    sl_tm_task_t *t = sl_tm_find(th, m->topic, m->partition, &ti);
    if (!t) {
        SL_DEBUG(SL_APP_LOG, "%s: no task for %s[%d]: record dropped", th->name, m->topic, (int)m->partition);
        return SL_OK;
    }
    if (!t->task || !t->restored) {
        /* not ready: read this record again once it is */
        sl_consumer_seek(th->consumer, m->topic, m->partition, m->offset);
        sl_tp_offset_t tp = {.topic = m->topic, .partition = m->partition};
        sl_consumer_pause(th->consumer, &tp, 1);
        t->paused = true;
        *rewound = true;
        return SL_OK;
    }
    sl_app_t *app = th->app;
    sl_err_t err = app->eos ? sl_eos_begin(th) : SL_OK;
    if (err)
        return err;
    sl_header_t hs[16];
    sl_header_t *h = m->header_count <= 16 ? hs : calloc(m->header_count, sizeof(*h));
    if (!h)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < m->header_count; i++) {
        h[i].key = m->headers[i].key;
        h[i].value = m->headers[i].value;
        h[i].value_len = m->headers[i].value_len;
    }
    sl_in_record_t rec = in_record(m);
    rec.headers = h;
    rec.n_headers = m->header_count;
    if (app->global_task)
        pthread_rwlock_rdlock(&app->global_lock);
    pthread_mutex_lock(&t->lock);
    err = sl_task_process(t->task, &rec);
    bool commit = sl_task_commit_requested(t->task);
    pthread_mutex_unlock(&t->lock);
    if (app->global_task)
        pthread_rwlock_unlock(&app->global_lock);
    if (h != hs)
        free(h);
    t->next_offset[ti] = m->offset + 1;
    t->processed = true;
    if (commit)
        th->commit_now = true;
    if (err)
        SL_ERROR(SL_APP_LOG, "%s: task %s failed on %s[%d] offset %lld: %s", th->name, t->name, m->topic,
                 (int)m->partition, (long long)m->offset, sl_err_name(err));
    return err;
}

static void batch_drop(sl_sthread_t *th)
{
    for (size_t i = 0; i < th->n_batch; i++)
        sl_message_free(th->batch[i]);
    th->n_batch = 0;
}

/* Processes th->batch in sl_pg_order's order, then frees it. Once a
 * partition is rewound, its later records in the batch are left: they
 * are read again. */
static sl_err_t batch_process(sl_sthread_t *th)
{
    size_t n = th->n_batch;
    if (!n)
        return SL_OK;
    sl_message_t **b = th->batch;
    int32_t *part = malloc(n * sizeof(*part));
    int64_t *ts = malloc(n * sizeof(*ts));
    size_t *order = malloc(n * sizeof(*order));
    size_t *reps = malloc(n * sizeof(*reps));   /* first record of each partition */
    bool *skip = calloc(2 * n, sizeof(*skip));  /* by partition id */
    sl_err_t err = part && ts && order && reps && skip ? SL_OK : SL_ERR_NOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n && !err; i++) {
        ts[i] = b[i]->timestamp;
        if (b[i]->err || !b[i]->topic) {
            part[i] = (int32_t)(n + i);         /* an event: alone */
            continue;
        }
        size_t j = 0;
        while (j < k && !(b[reps[j]]->partition == b[i]->partition && strcmp(b[reps[j]]->topic, b[i]->topic) == 0))
            j++;
        if (j == k)
            reps[k++] = i;
        part[i] = (int32_t)j;
    }
    if (!err)
        err = sl_pg_order(part, ts, n, order);
    for (size_t o = 0; o < n && !err && !th->fatal; o++) {
        size_t i = order[o];
        if (skip[part[i]])
            continue;
        bool rewound = false;
        err = process_msg(th, b[i], &rewound);
        skip[part[i]] = rewound;
    }
    batch_drop(th);
    free(part);
    free(ts);
    free(order);
    free(reps);
    free(skip);
    return err;
}

static sl_err_t punctuate(sl_sthread_t *th)
{
    sl_err_t err = SL_OK;
    int64_t now = sl_time_wall_ms();
    for (size_t i = 0; i < th->n_tasks && !err; i++) {
        sl_tm_task_t *t = th->tasks[i];
        if (t->standby || t->suspended || !t->task || !t->restored)
            continue;
        if (th->app->eos && (err = sl_eos_begin(th)) != SL_OK)
            break;
        pthread_mutex_lock(&t->lock);
        err = sl_task_punctuate_wall(t->task, now);
        pthread_mutex_unlock(&t->lock);
        if (err)
            SL_ERROR(SL_APP_LOG, "%s: task %s: punctuation failed: %s", th->name, t->name, sl_err_name(err));
    }
    return err;
}

sl_err_t sl_sthread_commit(sl_sthread_t *th)
{
    sl_app_t *app = th->app;
    th->last_commit = sl_time_mono_ms();
    th->commit_now = false;
    sl_err_t err = SL_OK;
    for (size_t i = 0; i < th->n_tasks && !err; i++) {
        sl_tm_task_t *t = th->tasks[i];
        if (t->standby || t->suspended || !t->task || !t->restored)
            continue;
        if (app->eos && (err = sl_eos_begin(th)) != SL_OK)
            break;
        pthread_mutex_lock(&t->lock);
        err = sl_task_flush(t->task);
        pthread_mutex_unlock(&t->lock);
        if (err)
            SL_ERROR(SL_APP_LOG, "%s: task %s: flush failed: %s", th->name, t->name, sl_err_name(err));
    }
    if (err)
        return err;
    sl_arena_t ar;
    sl_arena_init(&ar, 0, 0);
    sl_tp_offset_t *offs = NULL;
    size_t n = 0;
    err = sl_tm_offsets(th, &ar, &offs, &n);
    if (!err && app->eos) {
        err = sl_eos_commit(th, offs, n);
    } else if (!err) {
        err = sl_producer_flush(th->producer, 120000);
        if (!err && th->dr_err)
            err = th->dr_err;
        if (!err && n) {
            sl_err_t cerr = sl_consumer_commit(th->consumer, offs, n, false);
            /* A commit refused by the group (a rebalance moved the
             * partitions) only means those records are read again: at
             * least once. */
            if (cerr)
                SL_WARN(SL_APP_LOG, "%s: offset commit: %s (records since the last commit will be read again)",
                        th->name, sl_err_name(cerr));
        }
    }
    if (!err) {
        for (size_t i = 0; i < th->n_tasks; i++)
            th->tasks[i]->processed = false;
        if (!app->eos)
            sl_tm_checkpoint(th);
        int64_t now = sl_time_mono_ms();
        if (n && now - th->last_purge >= app->purge_interval_ms) {
            th->last_purge = now;
            sl_topics_purge(app, offs, n);
        }
    }
    sl_arena_fini(&ar);
    return err;
}

static void *thread_main(void *arg)
{
    sl_sthread_t *th = arg;
    sl_app_t *app = th->app;
    sl_err_t err = app->eos ? sl_eos_init(th) : SL_OK;
    if (!err)
        err = sl_consumer_subscribe(th->consumer, app->sub_topics, app->n_sub_topics);
    if (err)
        SL_ERROR(SL_APP_LOG, "%s: cannot start: %s", th->name, sl_err_name(err));
    else
        sl_sthread_set_state(th, SL_ST_REBALANCING);
    th->last_commit = sl_time_mono_ms();
    int64_t last_punct = 0;
    while (!err && !th->fatal && !atomic_load(&th->stop)) {
        /* A batch is what the consumer has (a rebalance in between
         * processes what came before it: on_rebalance). */
        sl_message_t *m = NULL;
        sl_err_t perr = sl_consumer_poll(th->consumer, 50, &m);
        while (perr == SL_OK && m) {
            th->batch[th->n_batch++] = m;
            m = NULL;
            if (th->n_batch < SL_ST_BATCH)
                perr = sl_consumer_poll(th->consumer, 0, &m);
        }
        if (!th->fatal)
            err = batch_process(th);
        if (!err && perr == SL_ERR_STATE)
            err = perr;
        if (err || th->fatal)
            break;
        sl_producer_poll(th->producer, 0);
        sl_tm_maintain(th);
        int64_t now = sl_time_mono_ms();
        if (now - last_punct >= 100) {
            last_punct = now;
            err = punctuate(th);
        }
        if (!err && (th->commit_now || now - th->last_commit >= app->commit_interval_ms))
            err = sl_sthread_commit(th);
        if (!err && th->dr_err)
            err = th->dr_err;
    }
    batch_drop(th);
    if (!err && th->fatal)
        err = th->fatal;
    if (!err)
        err = sl_sthread_commit(th);
    if (err && app->eos)
        sl_eos_abort(th);
    sl_tm_close_all(th, !err);
    sl_consumer_close(th->consumer);
    sl_consumer_close(th->restore);
    if (!app->eos)
        sl_producer_flush(th->producer, 30000);
    if (err)
        SL_ERROR(SL_APP_LOG, "%s: stopped by %s", th->name, sl_err_name(err));
    else
        SL_INFO(SL_APP_LOG, "%s: stopped", th->name);
    sl_sthread_set_state(th, err ? SL_ST_ERROR : SL_ST_DEAD);
    sl_app_thread_ended(app);
    return NULL;
}

sl_err_t sl_sthread_start(sl_sthread_t *th)
{
    if (pthread_create(&th->tid, NULL, thread_main, th) != 0)
        return SL_ERR_NOMEM;
    th->started = true;
    return SL_OK;
}

static void free_val(void *v)
{
    free(v);
}

void sl_sthread_free(sl_sthread_t *th)
{
    if (!th)
        return;
    atomic_store(&th->stop, true);
    if (th->started)
        pthread_join(th->tid, NULL);
    sl_tm_close_all(th, false);
    sl_consumer_free(th->consumer);
    sl_consumer_free(th->restore);
    sl_producer_free(th->producer);
    batch_drop(th);
    free(th->batch);
    free(th->tasks);
    free(th->txn_id);
    sl_map_fini(&th->cl_offsets, free_val);
    sl_map_fini(&th->part_counts, free_val);
    pthread_mutex_destroy(&th->lock);
    free(th);
}

/* ---- the global tables ---------------------------------------------------------
 * One global task per instance holds the global stores, fed every
 * partition of the global topics from the beginning by its own consumer
 * (no group). start reads up to the end offsets before the stream threads
 * start, so their joins see the whole table; a thread of its own then
 * applies what comes later, holding app->global_lock for writing while it
 * applies a batch (stream threads hold it for reading per record). */

static sl_err_t global_apply(sl_app_t *app, sl_message_t *m)
{
    if (m->err) {
        SL_WARN(SL_APP_LOG, "%s: global consumer: %s", app->app_id, sl_err_name(m->err));
        return SL_OK;
    }
    sl_in_record_t rec = in_record(m);
    sl_err_t err = sl_task_process(app->global_task, &rec);
    if (err)
        SL_ERROR(SL_APP_LOG, "%s: global task failed on %s[%d] offset %lld: %s", app->app_id, m->topic,
                 (int)m->partition, (long long)m->offset, sl_err_name(err));
    return err;
}

static sl_err_t global_sink(void *arg, const char *topic, int32_t partition, const void *key, int32_t klen,
                            const void *value, int32_t vlen, int64_t timestamp, const sl_header_t *headers,
                            size_t n_headers)
{
    (void)arg, (void)partition, (void)key, (void)klen, (void)value, (void)vlen, (void)timestamp, (void)headers,
        (void)n_headers;
    SL_WARN(SL_APP_LOG, "the global task wrote to %s: dropped (global tables have no changelog)", topic);
    return SL_OK;
}

static void *global_main(void *arg)
{
    sl_app_t *app = arg;
    while (!atomic_load(&app->stopping)) {
        sl_message_t *m = NULL;
        sl_err_t perr = sl_consumer_poll(app->global_consumer, 100, &m);
        if (perr == SL_ERR_STATE)
            break;
        if (perr || !m)
            continue;
        pthread_rwlock_wrlock(&app->global_lock);
        sl_err_t err = SL_OK;
        for (int batch = 0; m && !err && batch < 1000; batch++) {
            err = global_apply(app, m);
            sl_message_free(m);
            m = NULL;
            if (sl_consumer_poll(app->global_consumer, 0, &m) != SL_OK)
                m = NULL;
        }
        sl_message_free(m);
        if (!err)
            err = sl_task_flush(app->global_task);
        pthread_rwlock_unlock(&app->global_lock);
        if (err)
            break;
    }
    return NULL;
}

sl_err_t sl_app_global_start(sl_app_t *app, char *errbuf, size_t errlen)
{
    const sl_subtopo_t *sub = app->global_sub;
    size_t n = 0;
    for (size_t k = 0; k < sub->n_sources; k++)
        n += sub->sources[k]->n_topics;
    sl_arena_t ar;
    sl_arena_init(&ar, 0, 0);
    const char **names = sl_arena_calloc(&ar, n ? n : 1, sizeof(char *));
    sl_err_t err = names ? SL_OK : SL_ERR_NOMEM;
    n = 0;
    for (size_t k = 0; k < sub->n_sources && !err; k++)
        for (size_t j = 0; j < sub->sources[k]->n_topics; j++)
            names[n++] = sub->sources[k]->topics[j];
    sl_topic_desc_t *d = NULL;
    size_t nd = 0;
    if (!err)
        err = sl_admin_describe_topics(app->admin, names, n, &ar, &d, &nd, 30000);
    size_t np = 0;
    for (size_t i = 0; !err && i < nd; i++) {
        if (d[i].err || !d[i].partition_count) {
            snprintf(errbuf, errlen, "global table topic %s does not exist", d[i].name);
            err = SL_ERR_NOENT;
        }
        np += d[i].partition_count;
    }
    sl_tp_offset_t *parts = err ? NULL : sl_arena_calloc(&ar, np ? np : 1, sizeof(*parts));
    sl_tp_offset_t *ends = err ? NULL : sl_arena_calloc(&ar, np ? np : 1, sizeof(*ends));
    if (!err && (!parts || !ends))
        err = SL_ERR_NOMEM;
    np = 0;
    for (size_t i = 0; !err && i < nd; i++)
        for (size_t p = 0; p < d[i].partition_count; p++, np++) {
            parts[np] = (sl_tp_offset_t){.topic = d[i].name, .partition = (int32_t)p,
                                         .offset = SL_OFFSET_BEGINNING, .leader_epoch = -1};
            ends[np] = parts[np];
            ends[np].offset = SL_OFFSET_END;
        }
    if (!err)
        err = sl_admin_list_offsets(app->admin, ends, np, app->eos, 30000);
    /* the global task */
    sl_task_env_t env = {.application_id = app->app_id, .state_dir = app->state_dir,
                         .cache_bytes = 0, .eos = false, .logging = false, .log_and_fail = app->log_and_fail,
                         .wall_clock = wall_clock};
    env.collector.send = global_sink;
    if (!err)
        err = sl_task_new(app->t, sub, -1, &env, &app->global_task, errbuf, errlen);
    char cid[240];
    snprintf(cid, sizeof(cid), "%s-global-consumer", app->app_id);
    const char *forced[] = {"enable.auto.commit", "false", "client.id", cid, "auto.offset.reset", "earliest",
                            "isolation.level", app->eos ? "read_committed" : "read_uncommitted", NULL};
    sl_conf_t *conf = err ? NULL : sl_app_client_conf(app, "consumer.", NULL, forced, errbuf, errlen);
    if (!err && !conf)
        err = SL_ERR_CONFIG;
    if (!err)
        err = sl_consumer_new(conf, NULL, NULL, &app->global_consumer, errbuf, errlen);
    sl_conf_free(conf);
    if (!err)
        err = sl_consumer_assign(app->global_consumer, parts, np);
    /* bootstrap: up to the end offsets */
    int64_t deadline = sl_time_mono_ms() + 10 * 60 * 1000;
    size_t done = 0;
    int64_t count = 0;
    while (!err && done < np) {
        done = 0;
        for (size_t i = 0; i < np; i++)
            done += parts[i].offset >= ends[i].offset || ends[i].offset <= 0;
        if (done >= np)
            break;
        if (sl_time_mono_ms() > deadline) {
            snprintf(errbuf, errlen, "global tables: not caught up within 10 minutes");
            err = SL_ERR_TIMEOUT;
            break;
        }
        sl_message_t *m = NULL;
        sl_err_t perr = sl_consumer_poll(app->global_consumer, 200, &m);
        if (perr == SL_OK && m) {
            err = global_apply(app, m);
            for (size_t i = 0; !m->err && i < np; i++)
                if (parts[i].partition == m->partition && strcmp(parts[i].topic, m->topic) == 0)
                    parts[i].offset = m->offset + 1;
            count++;
        } else if (perr == SL_ERR_TIMEOUT) {
            sl_arena_t a2;
            sl_arena_init(&a2, 0, 0);
            sl_tp_offset_t *pos = NULL;
            size_t npos = 0;
            if (sl_consumer_assignment(app->global_consumer, &a2, &pos, &npos) == SL_OK)
                for (size_t j = 0; j < npos; j++)
                    for (size_t i = 0; i < np; i++)
                        if (parts[i].partition == pos[j].partition && strcmp(parts[i].topic, pos[j].topic) == 0 &&
                            pos[j].offset > parts[i].offset)
                            parts[i].offset = pos[j].offset;
            sl_arena_fini(&a2);
        }
        sl_message_free(m);
    }
    if (!err)
        err = sl_task_flush(app->global_task);
    if (!err) {
        SL_INFO(SL_APP_LOG, "%s: global tables loaded (%lld records)", app->app_id, (long long)count);
        if (pthread_create(&app->global_tid, NULL, global_main, app) != 0)
            err = SL_ERR_NOMEM;
        else
            app->global_started = true;
    }
    sl_arena_fini(&ar);
    if (err && !errbuf[0])
        snprintf(errbuf, errlen, "global tables: %s", sl_err_name(err));
    return err;
}

void sl_app_global_stop(sl_app_t *app)
{
    atomic_store(&app->stopping, true);
    if (app->global_started)
        pthread_join(app->global_tid, NULL);
    app->global_started = false;
    sl_consumer_free(app->global_consumer);
    app->global_consumer = NULL;
    sl_task_free(app->global_task, true);
    app->global_task = NULL;
}
