/*
 * consumer.c - the consumer's public calls (client.h): creation and
 * shutdown, the poll queue shared by the I/O thread and the application,
 * and assign/seek/pause/resume/positions, which run on the I/O thread
 * through sl_cl_call. Fetching is in cons_fetch.c, commits in
 * cons_offsets.c, group membership in cons_group.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "consumer_int.h"

/* ---- the poll queue ------------------------------------------------------ */

void sl_cons_wake(sl_consumer_t *c)
{
    pthread_mutex_lock(&c->lock);
    c->wakes++;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

void sl_cons_event_push(sl_consumer_t *c, sl_cl_event_t *ev)
{
    sl_cl_event_push(c->cl, ev);
    sl_cons_wake(c);
}

void sl_cons_enqueue(sl_consumer_t *c, cons_tp_t *tp, cons_msg_t *head, size_t count, size_t bytes,
                     int64_t next_offset)
{
    cons_msg_t *tail = NULL;
    for (cons_msg_t *m = head; m; m = m->next) {
        m->tp = tp;
        tail = m;
    }
    pthread_mutex_lock(&c->lock);
    if (head) {
        *c->qtail = head;
        c->qtail = &tail->next;
    }
    if (tp) {
        tp->queued_msgs += count;
        tp->queued_bytes += bytes;
        tp->tail_pos = next_offset;
        if (tp->queued_msgs == 0)
            tp->app_pos = next_offset;
    }
    c->wakes++;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

void sl_cons_error_event(sl_consumer_t *c, const char *topic, int32_t partition, int64_t offset, sl_err_t err)
{
    cons_msg_t *m = sl_cons_msg_error(topic, partition, offset, err);
    if (m)
        sl_cons_enqueue(c, NULL, m, 0, 0, 0);
}

/* Drops tp's queued messages (lock held). */
static void queue_drop_tp(sl_consumer_t *c, cons_tp_t *tp)
{
    cons_msg_t **pp = &c->qhead;
    c->qtail = &c->qhead;
    while (*pp) {
        cons_msg_t *m = *pp;
        if (m->tp == tp) {
            *pp = m->next;
            free(m);
        } else {
            pp = &m->next;
            c->qtail = pp;
        }
    }
    tp->queued_msgs = 0;
    tp->queued_bytes = 0;
}

static void kick_fn(sl_cl_t *cl, void *arg)
{
    (void)cl;
    sl_consumer_t *c = arg;
    atomic_store(&c->kick_posted, false);
    sl_cons_fetch_kick(c);
}

/* The next queued message (lock held), or NULL. Moves its partition's
 * position past it. */
static cons_msg_t *queue_pop(sl_consumer_t *c, bool *kick)
{
    cons_msg_t *m = c->qhead;
    if (!m)
        return NULL;
    c->qhead = m->next;
    if (!c->qhead)
        c->qtail = &c->qhead;
    m->next = NULL;
    cons_tp_t *tp = m->tp;
    m->tp = NULL;
    if (tp) {
        size_t limit = (size_t)c->conf->max_partition_fetch_bytes;
        bool was_full = tp->queued_bytes > limit;
        tp->queued_msgs--;
        tp->queued_bytes -= m->bytes;
        tp->app_pos = tp->queued_msgs ? m->m.offset + 1 : tp->tail_pos;
        tp->app_leader_epoch = m->m.leader_epoch;
        if (was_full && tp->queued_bytes <= limit)
            *kick = true;
    }
    return m;
}

static void deadline_ts(struct timespec *ts, int64_t ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* When the application last polled, for max.poll.interval.ms (minutes): the
 * coarse clock, a few ms behind at most, costs a fraction of a precise read,
 * which poll would otherwise pay for every message. */
static int64_t poll_time_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

sl_err_t sl_consumer_poll(sl_consumer_t *c, int timeout_ms, sl_message_t **out)
{
    if (!c || !out)
        return SL_ERR_INVAL;
    *out = NULL;
    atomic_store(&c->last_poll_ms, poll_time_ms());
    int64_t start = -1;   /* read once poll has to wait */
    for (;;) {
        pthread_mutex_lock(&c->lock);
        if (c->closed) {
            pthread_mutex_unlock(&c->lock);
            return SL_ERR_STATE;
        }
        uint64_t seen = c->wakes;
        pthread_mutex_unlock(&c->lock);

        sl_cl_events_serve(c->cl, 0, 0, c);

        bool kick = false;
        pthread_mutex_lock(&c->lock);
        cons_msg_t *m = queue_pop(c, &kick);
        if (m) {
            pthread_mutex_unlock(&c->lock);
            if (kick && !atomic_exchange(&c->kick_posted, true))
                sl_cl_post(c->cl, kick_fn, c);
            *out = &m->m;
            return SL_OK;
        }
        int64_t now = sl_time_mono_ms();
        if (start < 0)
            start = now;
        int64_t left = timeout_ms < 0 ? 1000 : timeout_ms - (now - start);
        if (left <= 0) {
            pthread_mutex_unlock(&c->lock);
            return SL_ERR_TIMEOUT;
        }
        if (c->wakes == seen) {
            struct timespec ts;
            deadline_ts(&ts, left);
            pthread_cond_timedwait(&c->cond, &c->lock, &ts);
        }
        pthread_mutex_unlock(&c->lock);
        atomic_store(&c->last_poll_ms, poll_time_ms());
    }
}

/* ---- partitions (io) ----------------------------------------------------- */

cons_tp_t *sl_cons_tp_find(sl_consumer_t *c, const char *topic, int32_t partition)
{
    for (cons_tp_t *tp = c->tps; tp; tp = tp->next)
        if (tp->partition == partition && strcmp(tp->topic, topic) == 0)
            return tp;
    return NULL;
}

cons_tp_t *sl_cons_tp_findk(sl_consumer_t *c, const char *topic, int32_t len, int32_t partition)
{
    if (len < 0)
        return NULL;
    for (cons_tp_t *tp = c->tps; tp; tp = tp->next)
        if (tp->partition == partition && strlen(tp->topic) == (size_t)len &&
            memcmp(tp->topic, topic, (size_t)len) == 0)
            return tp;
    return NULL;
}

void sl_cons_tp_set_pos(sl_consumer_t *c, cons_tp_t *tp, int64_t offset, int32_t leader_epoch)
{
    tp->state = CONS_TP_FETCH;
    tp->fetch_pos = offset;
    tp->leader_epoch = leader_epoch;
    pthread_mutex_lock(&c->lock);
    queue_drop_tp(c, tp);
    tp->app_pos = offset;
    tp->tail_pos = offset;
    tp->app_leader_epoch = leader_epoch;
    pthread_mutex_unlock(&c->lock);
}

void sl_cons_tp_reset(sl_consumer_t *c, cons_tp_t *tp, int64_t how)
{
    tp->epoch = ++c->epoch_seq;
    tp->retry_at = 0;
    if (how == SL_OFFSET_INVALID)
        how = SL_OFFSET_STORED;
    if (how == SL_OFFSET_STORED && !c->conf->group_id)
        how = c->conf->auto_offset_reset ? c->conf->auto_offset_reset : SL_OFFSET_END;
    if (how >= 0) {
        sl_cons_tp_set_pos(c, tp, how, -1);
        return;
    }
    pthread_mutex_lock(&c->lock);
    queue_drop_tp(c, tp);
    tp->app_pos = SL_OFFSET_INVALID;
    tp->tail_pos = SL_OFFSET_INVALID;
    pthread_mutex_unlock(&c->lock);
    if (how == SL_OFFSET_STORED) {
        tp->state = CONS_TP_STORED;
    } else {
        tp->state = CONS_TP_RESET;
        tp->reset_to = how == SL_OFFSET_BEGINNING ? SL_OFFSET_BEGINNING : SL_OFFSET_END;
    }
}

void sl_cons_tp_seek(sl_consumer_t *c, cons_tp_t *tp, int64_t offset)
{
    sl_cons_tp_reset(c, tp, offset);
}

cons_tp_t *sl_cons_tp_add(sl_consumer_t *c, const char *topic, int32_t partition, int64_t offset)
{
    cons_tp_t *tp = sl_cons_tp_find(c, topic, partition);
    if (!tp) {
        tp = calloc(1, sizeof(*tp));
        if (!tp)
            return NULL;
        tp->topic = strdup(topic);
        if (!tp->topic) {
            free(tp);
            return NULL;
        }
        tp->partition = partition;
        tp->committed = -1;
        tp->leader_epoch = -1;
        tp->app_leader_epoch = -1;
        cons_tp_t **pp = &c->tps;   /* kept in assignment order */
        while (*pp)
            pp = &(*pp)->next;
        *pp = tp;
        (void)sl_cl_topic(c->cl, topic);   /* keeps its metadata fresh */
    }
    sl_cons_tp_reset(c, tp, offset);
    return tp;
}

void sl_cons_tp_remove(sl_consumer_t *c, cons_tp_t *tp)
{
    for (cons_tp_t **pp = &c->tps; *pp; pp = &(*pp)->next)
        if (*pp == tp) {
            *pp = tp->next;
            break;
        }
    pthread_mutex_lock(&c->lock);
    queue_drop_tp(c, tp);
    pthread_mutex_unlock(&c->lock);
    free(tp->topic);
    free(tp);
}

int64_t sl_cons_tp_position(sl_consumer_t *c, cons_tp_t *tp)
{
    pthread_mutex_lock(&c->lock);
    int64_t pos = tp->app_pos;
    pthread_mutex_unlock(&c->lock);
    return pos >= 0 ? pos : -1;
}

void sl_cons_tps_clear(sl_consumer_t *c)
{
    while (c->tps)
        sl_cons_tp_remove(c, c->tps);
}

sl_err_t sl_cons_tps_copy(sl_consumer_t *c, sl_arena_t *arena, sl_tp_offset_t **out, size_t *n)
{
    size_t cap = 0;
    for (cons_tp_t *tp = c->tps; tp; tp = tp->next)
        cap++;
    *n = 0;
    *out = sl_arena_calloc(arena, cap ? cap : 1, sizeof(**out));
    if (!*out)
        return SL_ERR_NOMEM;
    for (cons_tp_t *tp = c->tps; tp; tp = tp->next) {
        sl_tp_offset_t *o = &(*out)[*n];
        o->topic = sl_arena_strndup(arena, tp->topic, strlen(tp->topic));
        if (!o->topic)
            return SL_ERR_NOMEM;
        o->partition = tp->partition;
        o->offset = SL_OFFSET_INVALID;
        o->leader_epoch = -1;
        (*n)++;
    }
    return SL_OK;
}

/* ---- the I/O thread's timer ---------------------------------------------- */

static void tick_cb(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    (void)loop;
    (void)id;
    sl_consumer_t *c = arg;
    if (c->stopping)
        return;
    int64_t now = sl_cl_now_ms(c->cl);
    if (c->conf->auto_commit && c->conf->group_id && now >= c->next_auto_commit) {
        c->next_auto_commit = now + c->conf->auto_commit_interval_ms;
        sl_cons_auto_commit(c);
    }
    sl_cons_group_tick(c);
    sl_cons_fetch_kick(c);
}

typedef struct call_arg {
    sl_consumer_t *c;
    sl_err_t err;
    const sl_tp_offset_t *parts;
    size_t n;
    const char *topic;
    int32_t partition;
    int64_t offset;
    bool flag;
    sl_arena_t *arena;
    sl_tp_offset_t *out;
    cons_op_t *op;
} call_arg_t;

/* New leaders or topics: fetch (or assign, as group leader) at once rather
 * than at the next tick. */
static void metadata_cb(sl_cl_t *cl, void *arg)
{
    (void)cl;
    sl_consumer_t *c = arg;
    if (c->stopping)
        return;
    sl_cons_group_tick(c);
    sl_cons_fetch_kick(c);
}

static void start_fn(sl_cl_t *cl, void *arg)
{
    call_arg_t *a = arg;
    sl_consumer_t *c = a->c;
    if ((a->err = sl_cl_metadata_listen(cl, metadata_cb, c)) != SL_OK)
        return;
    int64_t period = c->conf->retry_backoff_ms < 50 ? c->conf->retry_backoff_ms : 50;
    if (period < 5)
        period = 5;
    c->next_auto_commit = sl_cl_now_ms(cl) + c->conf->auto_commit_interval_ms;
    a->err = sl_loop_timer_add(sl_cl_loop(cl), period, true, tick_cb, c, &c->tick);
}

bool sl_cons_closed(sl_consumer_t *c)
{
    pthread_mutex_lock(&c->lock);
    bool closed = c->closed;
    pthread_mutex_unlock(&c->lock);
    return closed;
}

/* Runs fn on the I/O thread with a; SL_ERR_STATE after close. */
static sl_err_t io_call(sl_consumer_t *c, sl_cl_fn *fn, call_arg_t *a)
{
    if (sl_cons_closed(c))
        return SL_ERR_STATE;
    a->c = c;
    a->err = SL_OK;
    sl_err_t err = sl_cl_call(c->cl, fn, a);
    return err ? err : a->err;
}

sl_err_t sl_consumer_new(const sl_conf_t *conf, sl_rebalance_fn *rebalance, void *rebalance_arg,
                         sl_consumer_t **out, char *errbuf, size_t errlen)
{
    if (!conf || !out)
        return SL_ERR_INVAL;
    *out = NULL;
    sl_consumer_t *c = calloc(1, sizeof(*c));
    if (!c)
        return SL_ERR_NOMEM;
    sl_err_t err = sl_cl_new(conf, "sl-consumer", &c->cl, errbuf, errlen);
    if (err) {
        free(c);
        return err;
    }
    c->conf = sl_cl_conf(c->cl);
    c->rebalance_cb = rebalance;
    c->rebalance_arg = rebalance_arg;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->cond, &ca);
    pthread_condattr_destroy(&ca);
    c->qtail = &c->qhead;
    sl_buf_init(&c->scratch);
    atomic_init(&c->kick_posted, false);
    atomic_init(&c->last_poll_ms, sl_time_mono_ms());
    sl_cl_set_owner(c->cl, c);
    call_arg_t a = {0};
    err = io_call(c, start_fn, &a);
    if (err) {
        sl_consumer_free(c);
        return err;
    }
    *out = c;
    return SL_OK;
}

/* ---- assign / seek / pause / positions ------------------------------------ */

static void assign_fn(sl_cl_t *cl, void *arg)
{
    (void)cl;
    call_arg_t *a = arg;
    sl_consumer_t *c = a->c;
    if (c->subscribed) {
        a->err = SL_ERR_STATE;
        return;
    }
    sl_cons_tps_clear(c);
    for (size_t i = 0; i < a->n; i++)
        if (!sl_cons_tp_add(c, a->parts[i].topic, a->parts[i].partition, a->parts[i].offset)) {
            a->err = SL_ERR_NOMEM;
            break;
        }
    sl_cons_fetch_kick(c);
}

sl_err_t sl_consumer_assign(sl_consumer_t *c, const sl_tp_offset_t *parts, size_t n)
{
    if (!c || (n && !parts))
        return SL_ERR_INVAL;
    for (size_t i = 0; i < n; i++)
        if (!parts[i].topic || parts[i].partition < 0)
            return SL_ERR_INVAL;
    call_arg_t a = {.parts = parts, .n = n};
    return io_call(c, assign_fn, &a);
}

static void assignment_fn(sl_cl_t *cl, void *arg)
{
    (void)cl;
    call_arg_t *a = arg;
    sl_consumer_t *c = a->c;
    size_t n;
    a->err = sl_cons_tps_copy(c, a->arena, &a->out, &n);
    if (a->err != SL_OK)
        return;
    size_t i = 0;
    for (cons_tp_t *tp = c->tps; tp; tp = tp->next, i++) {
        sl_tp_offset_t *o = &a->out[i];
        pthread_mutex_lock(&c->lock);
        o->offset = tp->app_pos >= 0 ? tp->app_pos : SL_OFFSET_INVALID;
        o->leader_epoch = tp->app_leader_epoch;
        pthread_mutex_unlock(&c->lock);
    }
    a->n = n;
}

sl_err_t sl_consumer_assignment(sl_consumer_t *c, sl_arena_t *arena, sl_tp_offset_t **out, size_t *n)
{
    if (!c || !arena || !out || !n)
        return SL_ERR_INVAL;
    call_arg_t a = {.arena = arena};
    sl_err_t err = io_call(c, assignment_fn, &a);
    *out = err ? NULL : a.out;
    *n = err ? 0 : a.n;
    return err;
}

static void seek_fn(sl_cl_t *cl, void *arg)
{
    (void)cl;
    call_arg_t *a = arg;
    cons_tp_t *tp = sl_cons_tp_find(a->c, a->topic, a->partition);
    if (!tp) {
        a->err = SL_ERR_STATE;
        return;
    }
    sl_cons_tp_seek(a->c, tp, a->offset);
    sl_cons_fetch_kick(a->c);
}

sl_err_t sl_consumer_seek(sl_consumer_t *c, const char *topic, int32_t partition, int64_t offset)
{
    if (!c || !topic || (offset < 0 && offset != SL_OFFSET_BEGINNING && offset != SL_OFFSET_END &&
                         offset != SL_OFFSET_STORED))
        return SL_ERR_INVAL;
    call_arg_t a = {.topic = topic, .partition = partition, .offset = offset};
    return io_call(c, seek_fn, &a);
}

static void pause_fn(sl_cl_t *cl, void *arg)
{
    (void)cl;
    call_arg_t *a = arg;
    for (size_t i = 0; i < a->n; i++) {
        cons_tp_t *tp = sl_cons_tp_find(a->c, a->parts[i].topic, a->parts[i].partition);
        if (!tp) {
            a->err = SL_ERR_STATE;
            continue;
        }
        if (a->flag && !tp->paused && tp->state == CONS_TP_FETCH) {
            /* Nothing more of it comes out of poll: what is queued is
             * dropped and fetched again after resume. */
            pthread_mutex_lock(&a->c->lock);
            int64_t pos = tp->app_pos;
            int32_t epoch = tp->app_leader_epoch;
            pthread_mutex_unlock(&a->c->lock);
            if (pos >= 0) {
                tp->epoch = ++a->c->epoch_seq;
                sl_cons_tp_set_pos(a->c, tp, pos, epoch);
            }
        }
        tp->paused = a->flag;
    }
    sl_cons_fetch_kick(a->c);
}

static sl_err_t pause_resume(sl_consumer_t *c, const sl_tp_offset_t *parts, size_t n, bool pause)
{
    if (!c || (n && !parts))
        return SL_ERR_INVAL;
    for (size_t i = 0; i < n; i++)
        if (!parts[i].topic)
            return SL_ERR_INVAL;
    call_arg_t a = {.parts = parts, .n = n, .flag = pause};
    return io_call(c, pause_fn, &a);
}

sl_err_t sl_consumer_pause(sl_consumer_t *c, const sl_tp_offset_t *parts, size_t n)
{
    return pause_resume(c, parts, n, true);
}

sl_err_t sl_consumer_resume(sl_consumer_t *c, const sl_tp_offset_t *parts, size_t n)
{
    return pause_resume(c, parts, n, false);
}

void sl_consumer_set_commit_cb(sl_consumer_t *c, sl_commit_fn *fn, void *arg)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    c->commit_cb = fn;
    c->commit_arg = arg;
    pthread_mutex_unlock(&c->lock);
}

/* ---- commits -------------------------------------------------------------- */

static void positions_fn(sl_cl_t *cl, void *arg)
{
    (void)cl;
    call_arg_t *a = arg;
    a->op = sl_cons_positions_op(a->c, a->flag);
}

/* An op committing the current positions (only those that changed since the
 * last commit when only_changed), or NULL with *err. app. */
cons_op_t *sl_cons_positions_op_app(sl_consumer_t *c, bool only_changed, sl_err_t *err)
{
    call_arg_t a = {.flag = only_changed};
    *err = io_call(c, positions_fn, &a);
    return *err ? NULL : a.op;
}

sl_err_t sl_consumer_commit(sl_consumer_t *c, const sl_tp_offset_t *offsets, size_t n, bool async)
{
    if (!c || (n && !offsets))
        return SL_ERR_INVAL;
    if (!c->conf->group_id)
        return SL_ERR_STATE;
    cons_op_t *op;
    if (offsets) {
        for (size_t i = 0; i < n; i++)
            if (!offsets[i].topic || offsets[i].partition < 0 || offsets[i].offset < 0)
                return SL_ERR_INVAL;
        op = sl_cons_op_new(c, CONS_OP_COMMIT, offsets, n);
        if (!op)
            return SL_ERR_NOMEM;
    } else {
        sl_err_t err;
        op = sl_cons_positions_op_app(c, false, &err);
        if (err)
            return err;
        if (!op)
            return SL_OK;   /* nothing consumed yet: nothing to commit */
    }
    if (async) {
        op->async = true;
        sl_err_t err = sl_cons_closed(c) ? SL_ERR_STATE : sl_cl_post(c->cl, sl_cons_op_start_cl, op);
        if (err)
            sl_cons_op_free(op);
        return err;
    }
    return sl_cons_op_run_sync(c, op, NULL);
}

sl_err_t sl_consumer_committed(sl_consumer_t *c, sl_tp_offset_t *parts, size_t n, int timeout_ms)
{
    if (!c || (n && !parts))
        return SL_ERR_INVAL;
    if (!c->conf->group_id)
        return SL_ERR_STATE;
    if (n == 0)
        return SL_OK;
    for (size_t i = 0; i < n; i++)
        if (!parts[i].topic || parts[i].partition < 0)
            return SL_ERR_INVAL;
    cons_op_t *op = sl_cons_op_new(c, CONS_OP_FETCH, parts, n);
    if (!op)
        return SL_ERR_NOMEM;
    op->timeout_ms = timeout_ms;
    return sl_cons_op_run_sync(c, op, parts);
}

/* ---- group metadata, subscribe -------------------------------------------- */

static void meta_fn(sl_cl_t *cl, void *arg)
{
    (void)cl;
    call_arg_t *a = arg;
    sl_consumer_t *c = a->c;
    int32_t gen;
    const char *member, *instance;
    sl_cons_group_commit_identity(c, &gen, &member, &instance);
    free(c->meta_member_id);
    free(c->meta_instance_id);
    c->meta_member_id = strdup(member ? member : "");
    c->meta_instance_id = instance ? strdup(instance) : NULL;
    c->meta.group_id = c->conf->group_id;
    c->meta.generation_id = gen;
    c->meta.member_id = c->meta_member_id ? c->meta_member_id : "";
    c->meta.group_instance_id = c->meta_instance_id;
}

sl_err_t sl_consumer_group_metadata(sl_consumer_t *c, sl_group_meta_t *out)
{
    if (!c || !out)
        return SL_ERR_INVAL;
    if (!c->conf->group_id)
        return SL_ERR_STATE;
    call_arg_t a = {0};
    sl_err_t err = io_call(c, meta_fn, &a);
    if (!err)
        *out = c->meta;
    return err;
}

/* ---- close / free ----------------------------------------------------------- */

static void stop_fn(sl_cl_t *cl, void *arg)
{
    call_arg_t *a = arg;
    sl_consumer_t *c = a->c;
    c->stopping = true;
    if (c->tick)
        sl_loop_timer_cancel(sl_cl_loop(cl), c->tick);
    c->tick = 0;
    sl_cons_tps_clear(c);
}

static void subscribed_fn(sl_cl_t *cl, void *arg)
{
    (void)cl;
    call_arg_t *a = arg;
    a->flag = a->c->subscribed;
}

sl_err_t sl_consumer_close(sl_consumer_t *c)
{
    if (!c)
        return SL_ERR_INVAL;
    if (sl_cons_closed(c))
        return SL_ERR_STATE;
    sl_err_t err = SL_OK;
    sl_cl_events_serve(c->cl, 0, 0, c);
    call_arg_t s = {0};
    io_call(c, subscribed_fn, &s);
    if (s.flag) {
        err = sl_cons_group_close(c);
    } else if (c->conf->auto_commit && c->conf->group_id) {
        sl_err_t cerr;
        cons_op_t *op = sl_cons_positions_op_app(c, true, &cerr);
        if (op) {
            op->timeout_ms = c->conf->request_timeout_ms;   /* close's bound (client.h) */
            cerr = sl_cons_op_run_sync(c, op, NULL);
        }
        if (cerr && cerr != SL_ERR_STATE)
            err = cerr;
    }
    call_arg_t a = {0};
    io_call(c, stop_fn, &a);
    sl_cl_events_serve(c->cl, 0, 0, c);
    pthread_mutex_lock(&c->lock);
    c->closed = true;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
    return err;
}

void sl_consumer_free(sl_consumer_t *c)
{
    if (!c)
        return;
    if (!sl_cons_closed(c) && c->tick)
        sl_consumer_close(c);
    /* Answers still pending run now (SL_ERR_CLOSED) on the I/O thread; they
     * find no partitions and free their requests. */
    sl_cl_free(c->cl);
    sl_cons_tps_clear(c);
    sl_cons_group_free(c);
    sl_cons_fetch_fini(c);
    sl_cons_msgs_free(c->qhead);
    sl_buf_free(&c->scratch);
    free(c->meta_member_id);
    free(c->meta_instance_id);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->cond);
    free(c);
}
