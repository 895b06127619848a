/*
 * task_manager.c - a stream thread's tasks: the assignment's active and
 * standby tasks created, resumed, demoted or closed; each task's directory
 * taken from the instance's other threads (one LMDB environment per
 * process); stores restored from their changelogs ("<app>-<store>-
 * changelog", partition = the task's) with the thread's restore consumer,
 * from the checkpoint's offset or the beginning up to the end; standbys
 * kept up to date the same way; checkpoints written after commits
 * (at_least_once) and when a task is closed cleanly.
 *
 * Under exactly_once_v2 a task's checkpoint is deleted once it runs, so a
 * stop that was not clean leaves none, and a task directory without one is
 * wiped and restored: the store may hold writes of an aborted transaction.
 *
 * Task states (task.c's, moved here):
 *   CREATED -> RESTORING (opened; changelogs being read) -> RUNNING;
 *   RUNNING -> SUSPENDED on revocation (committed, kept open) -> RUNNING
 *   when assigned again, else closed (checkpointed); LOST -> closed dirty.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_int.h"

#define RESTORE_TIMEOUT_MS (10 * 60 * 1000)
#define RESTORE_LOG_MS 10000
#define STANDBY_INTERVAL_MS 1000

/* ---- tasks ------------------------------------------------------------------ */

static sl_tm_task_t *task_alloc(sl_sthread_t *th, sl_taskid_t id, bool standby)
{
    sl_app_t *app = th->app;
    sl_app_sub_t *as = NULL;
    for (size_t i = 0; i < app->n_subs && !as; i++)
        if (app->subs[i].sub->id == id.sub)
            as = &app->subs[i];
    /* a stateless sub-topology may grow with its input topics; the
     * assignor holds the others to their count */
    if (!as || id.partition < 0) {
        SL_WARN(SL_APP_LOG, "%s: assigned unknown task %d_%d: ignored", th->name, (int)id.sub, (int)id.partition);
        return NULL;
    }
    sl_tm_task_t *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->id = id;
    t->asub = as;
    t->standby = standby;
    snprintf(t->name, sizeof(t->name), "%d_%d", (int)id.sub, (int)id.partition);
    size_t dlen = strlen(app->app_dir) + strlen(t->name) + 2;
    t->dir = malloc(dlen);
    t->next_offset = malloc((as->n_topics ? as->n_topics : 1) * sizeof(int64_t));
    t->cl_next = malloc((as->sub->n_stores ? as->sub->n_stores : 1) * sizeof(int64_t));
    if (!t->dir || !t->next_offset || !t->cl_next) {
        free(t->dir);
        free(t->next_offset);
        free(t->cl_next);
        free(t);
        return NULL;
    }
    snprintf(t->dir, dlen, "%s/%s", app->app_dir, t->name);
    for (size_t i = 0; i < as->n_topics; i++)
        t->next_offset[i] = -1;
    for (size_t i = 0; i < as->sub->n_stores; i++)
        t->cl_next[i] = -1;
    pthread_mutex_init(&t->lock, NULL);
    return t;
}

static sl_err_t add_task(sl_sthread_t *th, sl_tm_task_t *t)
{
    pthread_mutex_lock(&th->lock);
    sl_err_t err = SL_OK;
    if (th->n_tasks == th->cap_tasks) {
        size_t cap = th->cap_tasks ? 2 * th->cap_tasks : 8;
        sl_tm_task_t **n = realloc(th->tasks, cap * sizeof(*n));
        if (!n)
            err = SL_ERR_NOMEM;
        else {
            th->tasks = n;
            th->cap_tasks = cap;
        }
    }
    if (!err)
        th->tasks[th->n_tasks++] = t;
    pthread_mutex_unlock(&th->lock);
    return err;
}

static void remove_task(sl_sthread_t *th, sl_tm_task_t *t)
{
    pthread_mutex_lock(&th->lock);
    for (size_t i = 0; i < th->n_tasks; i++)
        if (th->tasks[i] == t) {
            th->tasks[i] = th->tasks[--th->n_tasks];
            break;
        }
    pthread_mutex_unlock(&th->lock);
}

static const char *changelog_of(sl_sthread_t *th, const sl_store_def_t *def, char *buf, size_t len)
{
    return def->logging ? sl_topics_changelog(th->app, def->name, buf, len) : NULL;
}

/* The task's changelog positions: after a commit our producer's delivered
 * offsets, else what restore reached. */
static void update_cl_next(sl_sthread_t *th, sl_tm_task_t *t)
{
    const sl_subtopo_t *sub = t->asub->sub;
    for (size_t i = 0; i < sub->n_stores; i++) {
        char cl[512];
        if (!changelog_of(th, sub->stores[i], cl, sizeof(cl)))
            continue;
        int64_t o = sl_sthread_cl_offset(th, cl, t->id.partition);
        if (o > t->cl_next[i])
            t->cl_next[i] = o;
    }
}

static void write_checkpoint(sl_sthread_t *th, sl_tm_task_t *t)
{
    const sl_subtopo_t *sub = t->asub->sub;
    if (!t->task || !t->restored || !sub->n_stores)
        return;
    update_cl_next(th, t);
    const char *topics[64];
    char names[64][256];
    int32_t parts[64];
    int64_t offs[64];
    size_t n = 0;
    for (size_t i = 0; i < sub->n_stores && n < 64; i++) {
        if (t->cl_next[i] < 0 || !changelog_of(th, sub->stores[i], names[n], sizeof(names[n])))
            continue;
        topics[n] = names[n];
        parts[n] = t->id.partition;
        offs[n++] = t->cl_next[i];
    }
    if (n && sl_checkpoint_write(t->dir, topics, parts, offs, n) != SL_OK)
        SL_WARN(SL_APP_LOG, "%s: task %s: checkpoint not written", th->name, t->name);
}

void sl_tm_task_free(sl_sthread_t *th, sl_tm_task_t *t, bool clean)
{
    if (t->task) {
        if (clean && t->restored) {
            sl_err_t err = SL_OK;
            pthread_mutex_lock(&t->lock);
            if (!t->standby && !t->suspended)
                err = sl_task_flush(t->task);
            pthread_mutex_unlock(&t->lock);
            if (!err && !t->standby && !t->suspended && !th->app->eos)
                err = sl_producer_flush(th->producer, 60000);
            if (!err)
                write_checkpoint(th, t);
            clean = !err;
        }
        pthread_mutex_lock(&t->lock);
        sl_task_set_state(t->task, SL_TASK_CLOSED);
        sl_task_free(t->task, clean);
        t->task = NULL;
        pthread_mutex_unlock(&t->lock);
        sl_app_dir_release(th->app, t->name, th);
        SL_INFO(SL_APP_LOG, "%s: %s task %s closed%s", th->name, t->standby ? "standby" : "active", t->name,
                clean ? "" : " (not cleanly)");
    }
    pthread_mutex_destroy(&t->lock);
    free(t->dir);
    free(t->next_offset);
    free(t->cl_next);
    free(t);
}

static void close_task(sl_sthread_t *th, sl_tm_task_t *t, bool clean)
{
    remove_task(th, t);
    sl_tm_task_free(th, t, clean);
}

/* ---- opening and restoring ------------------------------------------------------ */

/* The checkpointed offsets of t's stores into t->cl_next; whether there
 * was a checkpoint. */
static bool read_checkpoint(sl_sthread_t *th, sl_tm_task_t *t)
{
    sl_arena_t ar;
    sl_arena_init(&ar, 0, 0);
    sl_checkpoint_entry_t *es = NULL;
    size_t n = 0;
    sl_err_t err = sl_checkpoint_read(t->dir, &ar, &es, &n);
    const sl_subtopo_t *sub = t->asub->sub;
    for (size_t i = 0; !err && i < sub->n_stores; i++) {
        char cl[512];
        if (!changelog_of(th, sub->stores[i], cl, sizeof(cl)))
            continue;
        for (size_t k = 0; k < n; k++)
            if (es[k].partition == t->id.partition && strcmp(es[k].topic, cl) == 0)
                t->cl_next[i] = es[k].offset;
    }
    sl_arena_fini(&ar);
    return err == SL_OK;
}

static sl_err_t open_task(sl_sthread_t *th, sl_tm_task_t *t, bool *busy)
{
    sl_app_t *app = th->app;
    *busy = false;
    if (!sl_app_dir_acquire(app, t->name, th)) {
        *busy = true;
        return SL_OK;
    }
    bool have = read_checkpoint(th, t);
    if (app->eos && !have && t->asub->sub->n_stores) {
        /* the stores may hold writes of a transaction never committed */
        DIR *d = opendir(t->dir);
        if (d) {
            closedir(d);
            SL_INFO(SL_APP_LOG, "%s: task %s: no clean checkpoint under exactly-once: wiping %s", th->name, t->name,
                    t->dir);
            if (sl_state_wipe(t->dir) != SL_OK) {
                sl_app_dir_release(app, t->name, th);
                return SL_ERR_IO;
            }
        }
        for (size_t i = 0; i < t->asub->sub->n_stores; i++)
            t->cl_next[i] = -1;
    }
    sl_task_env_t env = {
        .application_id = app->app_id,
        .state_dir = app->state_dir,
        .cache_bytes = app->cache_bytes / app->num_threads / (int64_t)(th->n_tasks ? th->n_tasks : 1),
        .eos = app->eos,
        .logging = true,
        .log_and_fail = app->log_and_fail,
        .wall_clock = NULL,
        .clock_arg = NULL,
        .globals = app->global_task,
    };
    sl_sthread_collector(th, &env.collector);
    char errbuf[512] = "";
    sl_task_t *task = NULL;
    sl_err_t err = sl_task_new(app->t, t->asub->sub, t->id.partition, &env, &task, errbuf, sizeof(errbuf));
    if (err) {
        SL_ERROR(SL_APP_LOG, "%s: task %s: %s", th->name, t->name, errbuf);
        sl_app_dir_release(app, t->name, th);
        return err;
    }
    pthread_mutex_lock(&t->lock);
    t->task = task;
    pthread_mutex_unlock(&t->lock);
    if (app->eos)
        sl_checkpoint_delete(t->dir);
    return SL_OK;
}

/* Reads store st's changelog partition from *next (-1: the beginning) to
 * its end; *next becomes the end. */
static sl_err_t restore_store(sl_sthread_t *th, sl_tm_task_t *t, sl_store_t *st, const char *cl, int64_t *next,
                              bool quiet)
{
    sl_app_t *app = th->app;
    sl_tp_offset_t end = {.topic = cl, .partition = t->id.partition, .offset = SL_OFFSET_END};
    sl_err_t err = sl_admin_list_offsets(app->admin, &end, 1, app->eos, 30000);
    if (!err)
        err = end.err;
    if (err) {
        SL_ERROR(SL_APP_LOG, "%s: task %s: end offset of %s[%d]: %s", th->name, t->name, cl, (int)t->id.partition,
                 sl_err_name(err));
        return err;
    }
    if (*next >= end.offset) {
        *next = end.offset;
        return SL_OK;
    }
    sl_tp_offset_t from = {.topic = cl, .partition = t->id.partition,
                           .offset = *next >= 0 ? *next : SL_OFFSET_BEGINNING};
    err = sl_consumer_assign(th->restore, &from, 1);
    if (err)
        return err;
    int64_t start = sl_time_mono_ms(), last_log = start, pos = *next, count = 0;
    while (!err && pos < end.offset) {
        if (atomic_load(&th->stop)) {
            err = SL_ERR_CLOSED;
            break;
        }
        if (sl_time_mono_ms() - start > RESTORE_TIMEOUT_MS) {
            SL_ERROR(SL_APP_LOG, "%s: task %s: restoring %s stopped at offset %lld of %lld after %d ms", th->name,
                     t->name, cl, (long long)pos, (long long)end.offset, RESTORE_TIMEOUT_MS);
            err = SL_ERR_TIMEOUT;
            break;
        }
        sl_message_t *m = NULL;
        sl_err_t perr = sl_consumer_poll(th->restore, 50, &m);
        if (perr == SL_OK && m && !m->err) {
            pthread_mutex_lock(&t->lock);
            err = sl_store_restore(st, m->key, m->key ? m->key_len : -1, m->value, m->value ? m->value_len : -1);
            pthread_mutex_unlock(&t->lock);
            pos = m->offset + 1;
            count++;
        } else if (perr == SL_OK && m) {
            SL_WARN(SL_APP_LOG, "%s: task %s: restore consumer: %s", th->name, t->name, sl_err_name(m->err));
        } else if (perr == SL_ERR_TIMEOUT) {
            /* compacted or transactional logs end in offsets with no record */
            sl_arena_t ar;
            sl_arena_init(&ar, 0, 0);
            sl_tp_offset_t *a = NULL;
            size_t n = 0;
            if (sl_consumer_assignment(th->restore, &ar, &a, &n) == SL_OK && n == 1 && a[0].offset > pos)
                pos = a[0].offset;
            sl_arena_fini(&ar);
        } else if (perr) {
            err = perr;
        }
        sl_message_free(m);
        if (!quiet && sl_time_mono_ms() - last_log >= RESTORE_LOG_MS) {
            last_log = sl_time_mono_ms();
            SL_INFO(SL_APP_LOG, "%s: restoring %s in %s: %lld records so far, at offset %lld of %lld", th->name,
                    sl_store_name(st), t->name, (long long)count, (long long)pos, (long long)end.offset);
        }
    }
    sl_consumer_assign(th->restore, NULL, 0);
    if (err)
        return err;
    *next = pos;
    if (!quiet || count)
        SL_INFO(SL_APP_LOG, "%s: restored %lld records of %s in %s", th->name, (long long)count, sl_store_name(st),
                t->name);
    return SL_OK;
}

/* Every logged store of t caught up with its changelog, then committed. */
static sl_err_t catch_up(sl_sthread_t *th, sl_tm_task_t *t, bool quiet)
{
    const sl_subtopo_t *sub = t->asub->sub;
    sl_err_t err = SL_OK;
    for (size_t i = 0; i < sub->n_stores && !err; i++) {
        char cl[512];
        if (!changelog_of(th, sub->stores[i], cl, sizeof(cl)))
            continue;
        sl_store_t *st = sl_task_store(t->task, sub->stores[i]->name);
        if (st)
            err = restore_store(th, t, st, cl, &t->cl_next[i], quiet);
    }
    if (!err) {
        pthread_mutex_lock(&t->lock);
        err = sl_task_flush(t->task);
        pthread_mutex_unlock(&t->lock);
    }
    return err;
}

static void resume_parts(sl_sthread_t *th, sl_tm_task_t *t)
{
    if (!t->paused)
        return;
    sl_tp_offset_t tps[64];
    size_t n = 0;
    for (size_t i = 0; i < t->asub->n_topics && n < 64; i++) {
        tps[n].topic = t->asub->topics[i];
        tps[n++].partition = t->id.partition;
    }
    sl_consumer_resume(th->consumer, tps, n);
    t->paused = false;
}

/* ---- the assignment -------------------------------------------------------------- */

static bool in_list(const sl_taskid_t *l, size_t n, sl_taskid_t id)
{
    for (size_t i = 0; i < n; i++)
        if (l[i].sub == id.sub && l[i].partition == id.partition)
            return true;
    return false;
}

static sl_tm_task_t *find_task(sl_sthread_t *th, sl_taskid_t id)
{
    for (size_t i = 0; i < th->n_tasks; i++)
        if (th->tasks[i]->id.sub == id.sub && th->tasks[i]->id.partition == id.partition)
            return th->tasks[i];
    return NULL;
}

void sl_tm_on_assignment(sl_sthread_t *th, const sl_sa_asg_info_t *info)
{
    if (info->error) {
        SL_ERROR(SL_APP_LOG, "%s: the group cannot run this topology: %s", th->name,
                 info->message ? info->message : "an assignment error");
        th->fatal = info->error == SL_SA_ERR_MISSING_TOPIC ? SL_ERR_NOENT : SL_ERR_INVAL;
        return;
    }
    th->assigned = true;
    /* what we hold and keep, change, or drop */
    for (size_t i = th->n_tasks; i-- > 0;) {
        sl_tm_task_t *t = th->tasks[i];
        bool active = in_list(info->active, info->n_active, t->id);
        bool standby = in_list(info->standby, info->n_standby, t->id);
        if (!active && !standby) {
            close_task(th, t, true);
            continue;
        }
        /* th->lock: the assignor's user data reads standby on the I/O thread */
        if (active && t->standby) {
            /* promoted: catch up from where the standby is, then run */
            pthread_mutex_lock(&th->lock);
            t->standby = false;
            pthread_mutex_unlock(&th->lock);
            t->restored = false;
        } else if (standby && !t->standby) {
            pthread_mutex_lock(&th->lock);
            t->standby = true;
            pthread_mutex_unlock(&th->lock);
            if (t->task)
                write_checkpoint(th, t);
        }
        t->suspended = false;
        for (size_t k = 0; k < t->asub->n_topics; k++)
            t->next_offset[k] = -1;
        if (t->task && !t->standby && t->restored)
            sl_task_set_state(t->task, SL_TASK_RUNNING);
    }
    for (int pass = 0; pass < 2; pass++) {
        const sl_taskid_t *l = pass == 0 ? info->active : info->standby;
        size_t n = pass == 0 ? info->n_active : info->n_standby;
        for (size_t i = 0; i < n; i++) {
            if (find_task(th, l[i]))
                continue;
            sl_tm_task_t *t = task_alloc(th, l[i], pass == 1);
            if (t && add_task(th, t) != SL_OK)
                sl_tm_task_free(th, t, false);
        }
    }
    sl_tm_maintain(th);
}

void sl_tm_on_revoked(sl_sthread_t *th)
{
    th->assigned = false;
    sl_err_t err = sl_sthread_commit(th);
    if (err) {
        SL_ERROR(SL_APP_LOG, "%s: commit on revocation failed: %s", th->name, sl_err_name(err));
        th->fatal = err;
    }
    for (size_t i = 0; i < th->n_tasks; i++) {
        sl_tm_task_t *t = th->tasks[i];
        if (t->standby)
            continue;
        t->suspended = true;
        t->paused = false;
        if (t->task)
            sl_task_set_state(t->task, SL_TASK_SUSPENDED);
    }
}

void sl_tm_on_lost(sl_sthread_t *th)
{
    th->assigned = false;
    if (th->app->eos)
        sl_eos_abort(th);
    for (size_t i = th->n_tasks; i-- > 0;)
        if (!th->tasks[i]->standby)
            close_task(th, th->tasks[i], false);
}

void sl_tm_close_all(sl_sthread_t *th, bool clean)
{
    while (th->n_tasks)
        close_task(th, th->tasks[th->n_tasks - 1], clean);
}

/* ---- the loop's part --------------------------------------------------------------- */

sl_tm_task_t *sl_tm_find(sl_sthread_t *th, const char *topic, int32_t partition, int *topic_index)
{
    int si = sl_app_sub_of(th->app, topic);
    if (si < 0)
        return NULL;
    sl_app_sub_t *as = &th->app->subs[si];
    for (size_t i = 0; i < th->n_tasks; i++) {
        sl_tm_task_t *t = th->tasks[i];
        if (t->asub == as && t->id.partition == partition && !t->standby && !t->suspended) {
            for (size_t k = 0; k < as->n_topics; k++)
                if (strcmp(as->topics[k], topic) == 0)
                    *topic_index = (int)k;
            return t;
        }
    }
    return NULL;
}

void sl_tm_maintain(sl_sthread_t *th)
{
    bool ready = th->assigned;
    int64_t now = sl_time_mono_ms();
    bool standby_due = now - th->last_standby >= STANDBY_INTERVAL_MS;
    if (standby_due)
        th->last_standby = now;
    for (size_t i = 0; i < th->n_tasks && !th->fatal; i++) {
        sl_tm_task_t *t = th->tasks[i];
        if (t->suspended)
            continue;
        if (!t->task) {
            bool busy;
            sl_err_t err = open_task(th, t, &busy);
            if (err) {
                th->fatal = err;
                break;
            }
            if (busy) {
                ready = ready && t->standby;
                continue;
            }
            sl_task_set_state(t->task, SL_TASK_RESTORING);
        }
        if (!t->restored || (t->standby && standby_due)) {
            sl_err_t err = catch_up(th, t, t->restored);
            if (err == SL_ERR_CLOSED)
                return;
            if (err) {
                th->fatal = err;
                break;
            }
            if (!t->restored) {
                t->restored = true;
                if (!t->standby) {
                    sl_task_set_state(t->task, SL_TASK_RUNNING);
                    resume_parts(th, t);
                }
            }
            if (t->standby && !th->app->eos)
                write_checkpoint(th, t);
        }
    }
    if (!th->fatal && ready && atomic_load(&th->state) == SL_ST_REBALANCING)
        sl_sthread_set_state(th, SL_ST_RUNNING);
}

sl_err_t sl_tm_offsets(sl_sthread_t *th, sl_arena_t *arena, sl_tp_offset_t **out, size_t *n)
{
    size_t cap = 0;
    for (size_t i = 0; i < th->n_tasks; i++)
        cap += th->tasks[i]->asub->n_topics;
    sl_tp_offset_t *o = sl_arena_calloc(arena, cap ? cap : 1, sizeof(*o));
    if (!o)
        return SL_ERR_NOMEM;
    size_t k = 0;
    for (size_t i = 0; i < th->n_tasks; i++) {
        sl_tm_task_t *t = th->tasks[i];
        if (t->standby || t->suspended)
            continue;
        for (size_t j = 0; j < t->asub->n_topics; j++)
            if (t->next_offset[j] >= 0) {
                o[k].topic = t->asub->topics[j];
                o[k].partition = t->id.partition;
                o[k].offset = t->next_offset[j];
                o[k].leader_epoch = -1;
                k++;
            }
    }
    *out = o;
    *n = k;
    return SL_OK;
}

void sl_tm_checkpoint(sl_sthread_t *th)
{
    for (size_t i = 0; i < th->n_tasks; i++)
        if (!th->tasks[i]->standby && !th->tasks[i]->suspended)
            write_checkpoint(th, th->tasks[i]);
}

/* ---- the subscription's user data (I/O thread) ------------------------------------- */

/* Task directories on disk ("<sub>_<partition>") into l (up to cap). */
static size_t dirs_on_disk(const sl_app_t *app, sl_taskid_t *l, size_t n, size_t cap)
{
    DIR *d = opendir(app->app_dir);
    if (!d)
        return n;
    struct dirent *e;
    while (n < cap && (e = readdir(d)) != NULL) {
        int sub, part, used = 0;
        if (sscanf(e->d_name, "%d_%d%n", &sub, &part, &used) != 2 || e->d_name[used] || sub < 0 || part < 0)
            continue;
        sl_taskid_t id = {sub, part};
        if (!in_list(l, n, id))
            l[n++] = id;
    }
    closedir(d);
    return n;
}

sl_err_t sl_tm_user_data(sl_buf_t *out, const sl_assignor_tp_t *owned, size_t n, int32_t generation, void *arg)
{
    (void)owned;
    (void)n;
    (void)generation;
    sl_sthread_t *th = arg;
    enum { CAP = 4096 };
    sl_taskid_t *act = malloc(CAP * sizeof(*act)), *stb = malloc(CAP * sizeof(*stb));
    if (!act || !stb) {
        free(act);
        free(stb);
        return SL_ERR_NOMEM;
    }
    size_t na = 0, ns = 0;
    pthread_mutex_lock(&th->lock);
    for (size_t i = 0; i < th->n_tasks; i++) {
        sl_tm_task_t *t = th->tasks[i];
        if (t->standby && ns < CAP)
            stb[ns++] = t->id;
        else if (!t->standby && na < CAP)
            act[na++] = t->id;
    }
    pthread_mutex_unlock(&th->lock);
    /* state left on disk by earlier runs counts as a standby's */
    size_t before = ns;
    ns = dirs_on_disk(th->app, stb, ns, CAP);
    for (size_t i = before; i < ns;)
        if (in_list(act, na, stb[i]))
            stb[i] = stb[--ns];
        else
            i++;
    sl_sa_sub_info_t info = {.version = SL_SA_VERSION, .active = act, .n_active = na, .standby = stb,
                             .n_standby = ns};
    memcpy(info.process, th->app->process, sizeof(info.process));
    sl_sa_sub_info_encode(out, &info);
    free(act);
    free(stb);
    return out->err;
}
