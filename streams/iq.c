/*
 * iq.c - interactive queries (sl_app_kv_get, sl_app_kv_range,
 * sl_app_win_fetch, sl_app_win_fetch_all, sl_app_session_fetch): read-only
 * reads of the stores of the tasks this
 * instance runs, from any application thread.
 *
 * Safety: a query takes the owning stream thread's task-list lock (so the
 * task is not closed under it) and then the task's lock, which the stream
 * thread holds while it processes a record, punctuates, flushes or
 * restores that task. A query therefore sees the store between two
 * records - including what the record cache holds and the write
 * transaction has not committed yet, as Kafka Streams' queries do - and
 * never a half-applied record. Callbacks of range and fetch run with those
 * locks held: they must not call back into the app. A query waits at most
 * for one record's processing of that task.
 */
#include <jansson.h>
#include <string.h>

#include "app_int.h"

/* The sub-topology (index in app->subs) whose tasks hold store. */
static int store_sub(const sl_app_t *app, const char *store, const sl_store_def_t **def)
{
    for (size_t i = 0; i < app->n_subs; i++) {
        const sl_subtopo_t *sub = app->subs[i].sub;
        for (size_t k = 0; k < sub->n_stores; k++)
            if (strcmp(sub->stores[k]->name, store) == 0) {
                *def = sub->stores[k];
                return (int)i;
            }
    }
    return -1;
}

/* The store a query names, in the order a query checks it: SL_ERR_NOENT
 * when no sub-topology holds store, SL_ERR_INVAL when it is not of kind,
 * SL_ERR_STATE when the app is not running; else its sub-topology's index
 * in *si and its definition in *def. */
static sl_err_t query_store(sl_app_t *app, const char *store, sl_store_kind_t kind, int *si,
                            const sl_store_def_t **def)
{
    *si = store_sub(app, store, def);
    if (*si < 0)
        return SL_ERR_NOENT;
    if ((*def)->kind != kind)
        return SL_ERR_INVAL;
    return sl_app_state(app) == SL_APP_RUNNING ? SL_OK : SL_ERR_STATE;
}

/* The partition the default partitioner gives key (serialized by the
 * store's key serde, as the topic feeding the task has it), or -1. */
static int32_t route(const sl_app_sub_t *as, const sl_store_def_t *def, const sl_val_t *key)
{
    if (as->partitions <= 0 || sl_val_is_null(key))
        return -1;
    const sl_val_t *k = key->type == SL_V_WINDOWED ? key->u.win.key : key;
    sl_buf_t buf = SL_BUF_INIT;
    int r = sl_serde_write(def->ks ? def->ks : SL_AUTO, k, &buf);
    int32_t p = r == 0 && !buf.err ? sl_murmur2_partition(buf.data, buf.len, as->partitions) : -1;
    sl_buf_free(&buf);
    return p;
}

/* Calls fn on every running active task of sub as (or only partition p
 * when p >= 0) with both locks held; stops when fn returns false. */
typedef bool task_fn(sl_tm_task_t *t, sl_store_t *st, void *arg);

static size_t each_task(sl_app_t *app, const sl_app_sub_t *as, int32_t p, const char *store, task_fn *fn,
                        void *arg, bool *restoring)
{
    size_t seen = 0;
    bool go = true;
    for (int i = 0; go && app->threads && i < app->num_threads; i++) {
        sl_sthread_t *th = app->threads[i];
        if (!th)
            continue;
        pthread_mutex_lock(&th->lock);
        for (size_t k = 0; go && k < th->n_tasks; k++) {
            sl_tm_task_t *t = th->tasks[k];
            if (t->asub != as || t->standby || (p >= 0 && t->id.partition != p))
                continue;
            pthread_mutex_lock(&t->lock);
            if (!t->task || !t->restored) {
                *restoring = true;
            } else {
                sl_store_t *st = sl_task_store(t->task, store);
                if (st) {
                    seen++;
                    go = fn(t, st, arg);
                }
            }
            pthread_mutex_unlock(&t->lock);
        }
        pthread_mutex_unlock(&th->lock);
    }
    return seen;
}

/* A deep copy of v into arena (JSON: a reference held for the arena). */
static sl_err_t val_copy(sl_arena_t *arena, const sl_val_t *v, sl_val_t *out)
{
    *out = *v;
    switch (v->type) {
    case SL_V_BYTES:
    case SL_V_STRING: {
        uint8_t *p = sl_arena_alloc(arena, v->u.bytes.len + 1);
        if (!p)
            return SL_ERR_NOMEM;
        if (v->u.bytes.len)
            memcpy(p, v->u.bytes.ptr, v->u.bytes.len);
        p[v->u.bytes.len] = '\0';
        out->u.bytes.ptr = p;
        return SL_OK;
    }
    case SL_V_JSON:
        json_incref(v->u.json);
        return sl_serde_hold(arena, v->u.json);
    case SL_V_WINDOWED: {
        sl_val_t *k = sl_arena_alloc(arena, sizeof(*k));
        if (!k)
            return SL_ERR_NOMEM;
        out->u.win.key = k;
        return val_copy(arena, v->u.win.key, k);
    }
    default:
        return SL_OK;
    }
}

typedef struct get_arg {
    const sl_val_t *key;
    sl_arena_t *arena;
    sl_val_t *out;
    sl_err_t err;
} get_arg_t;

static bool get_one(sl_tm_task_t *t, sl_store_t *st, void *arg)
{
    (void)t;
    get_arg_t *a = arg;
    sl_val_t v;
    a->err = sl_kv_get(st, a->key, &v);
    if (a->err == SL_OK)
        a->err = val_copy(a->arena, &v, a->out);
    return a->err == SL_ERR_NOENT; /* keep looking only when absent */
}

sl_err_t sl_app_kv_get(sl_app_t *app, const char *store, const sl_val_t *key, sl_arena_t *arena, sl_val_t *out)
{
    *out = sl_val_null();
    if (!app || !store || !key || !arena)
        return SL_ERR_INVAL;
    const sl_store_def_t *def;
    int si;
    sl_err_t err = query_store(app, store, SL_STORE_KV, &si, &def);
    if (err)
        return err;
    sl_app_sub_t *as = &app->subs[si];
    get_arg_t a = {key, arena, out, SL_ERR_NOENT};
    bool restoring = false;
    /* the task the key belongs to; the others if the key was written
     * elsewhere (a custom partitioner) */
    int32_t p = route(as, def, key);
    if (p >= 0)
        each_task(app, as, p, store, get_one, &a, &restoring);
    if (a.err == SL_ERR_NOENT)
        each_task(app, as, -1, store, get_one, &a, &restoring);
    if (a.err == SL_ERR_NOENT && restoring)
        return SL_ERR_STATE;
    return a.err;
}

typedef struct range_arg {
    const sl_val_t *from, *to, *key;
    int64_t tfrom, tto;
    sl_kv_iter_fn *kv;
    sl_win_iter_fn *win;
    sl_session_iter_fn *ses;
    void *arg;
    bool stopped;
    sl_err_t err;
} range_arg_t;

static bool kv_relay(const sl_val_t *key, const sl_val_t *value, void *arg)
{
    range_arg_t *a = arg;
    if (!a->kv(key, value, a->arg))
        a->stopped = true;
    return !a->stopped;
}

static bool range_one(sl_tm_task_t *t, sl_store_t *st, void *arg)
{
    (void)t;
    range_arg_t *a = arg;
    a->err = sl_kv_range(st, a->from, a->to, kv_relay, a);
    return !a->err && !a->stopped;
}

sl_err_t sl_app_kv_range(sl_app_t *app, const char *store, const sl_val_t *from, const sl_val_t *to,
                         sl_kv_iter_fn *fn, void *arg)
{
    if (!app || !store || !fn)
        return SL_ERR_INVAL;
    const sl_store_def_t *def;
    int si;
    sl_err_t err = query_store(app, store, SL_STORE_KV, &si, &def);
    if (err)
        return err;
    range_arg_t a = {.from = from, .to = to, .kv = fn, .arg = arg};
    bool restoring = false;
    each_task(app, &app->subs[si], -1, store, range_one, &a, &restoring);
    if (!a.err && restoring)
        return SL_ERR_STATE;
    return a.err;
}

static bool win_relay(const sl_val_t *key, int64_t start, const sl_val_t *value, void *arg)
{
    range_arg_t *a = arg;
    if (!a->win(key, start, value, a->arg))
        a->stopped = true;
    return !a->stopped;
}

static bool fetch_one(sl_tm_task_t *t, sl_store_t *st, void *arg)
{
    (void)t;
    range_arg_t *a = arg;
    a->err = sl_win_fetch(st, a->key, a->tfrom, a->tto, win_relay, a);
    return !a->err && !a->stopped;
}

sl_err_t sl_app_win_fetch(sl_app_t *app, const char *store, const sl_val_t *key, int64_t from, int64_t to,
                          sl_win_iter_fn *fn, void *arg)
{
    if (!app || !store || !key || !fn)
        return SL_ERR_INVAL;
    const sl_store_def_t *def;
    int si;
    sl_err_t err = query_store(app, store, SL_STORE_WINDOW, &si, &def);
    if (err)
        return err;
    range_arg_t a = {.key = key, .tfrom = from, .tto = to, .win = fn, .arg = arg};
    bool restoring = false;
    int32_t p = route(&app->subs[si], def, key);
    each_task(app, &app->subs[si], p, store, fetch_one, &a, &restoring);
    if (!a.err && restoring)
        return SL_ERR_STATE;
    return a.err;
}

static bool fetch_all_one(sl_tm_task_t *t, sl_store_t *st, void *arg)
{
    (void)t;
    range_arg_t *a = arg;
    a->err = sl_win_fetch_all(st, a->tfrom, a->tto, win_relay, a);
    return !a->err && !a->stopped;
}

sl_err_t sl_app_win_fetch_all(sl_app_t *app, const char *store, int64_t from, int64_t to, sl_win_iter_fn *fn,
                              void *arg)
{
    if (!app || !store || !fn)
        return SL_ERR_INVAL;
    const sl_store_def_t *def;
    int si;
    sl_err_t err = query_store(app, store, SL_STORE_WINDOW, &si, &def);
    if (err)
        return err;
    range_arg_t a = {.tfrom = from, .tto = to, .win = fn, .arg = arg};
    bool restoring = false;
    each_task(app, &app->subs[si], -1, store, fetch_all_one, &a, &restoring);
    if (!a.err && restoring)
        return SL_ERR_STATE;
    return a.err;
}

static bool ses_relay(const sl_val_t *key, int64_t start, int64_t end, const sl_val_t *value, void *arg)
{
    range_arg_t *a = arg;
    if (!a->ses(key, start, end, value, a->arg))
        a->stopped = true;
    return !a->stopped;
}

static bool ses_one(sl_tm_task_t *t, sl_store_t *st, void *arg)
{
    (void)t;
    range_arg_t *a = arg;
    a->err = a->key ? sl_session_fetch(st, a->key, ses_relay, a) : sl_session_fetch_all(st, ses_relay, a);
    return !a->err && !a->stopped;
}

sl_err_t sl_app_session_fetch(sl_app_t *app, const char *store, const sl_val_t *key, sl_session_iter_fn *fn,
                              void *arg)
{
    if (!app || !store || !fn)
        return SL_ERR_INVAL;
    const sl_store_def_t *def;
    int si;
    sl_err_t err = query_store(app, store, SL_STORE_SESSION, &si, &def);
    if (err)
        return err;
    range_arg_t a = {.key = key, .ses = fn, .arg = arg};
    bool restoring = false;
    /* Every task, even for one key: a key's lookup is one short range per
     * task, and the store's key bytes need not be how its topic was
     * partitioned. */
    each_task(app, &app->subs[si], -1, store, ses_one, &a, &restoring);
    if (!a.err && restoring)
        return SL_ERR_STATE;
    return a.err;
}

void sl_app_query_release(sl_arena_t *arena)
{
    if (arena)
        sl_serde_release(arena);
}
