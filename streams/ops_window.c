/*
 * ops_window.c - windowed aggregation: windowed_by and count / reduce /
 * aggregate over tumbling and hopping windows (KStreamWindowAggregate),
 * sliding windows (KStreamSlidingWindowAggregate) and session windows
 * (KStreamSessionWindowAggregate), with Kafka Streams 3.4's grace rules;
 * and the window arithmetic they use, as pure functions.
 *
 * Records for windows already closed (stream time past end + grace) are
 * dropped, logged and counted on the node. Window results are keyed by
 * SL_V_WINDOWED keys: time windows [start, start + size) with the end
 * exclusive; sliding windows [start, start + size] and sessions [first,
 * last] with the end inclusive, as Kafka's keys show them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "streams_int.h"

/* ---------------------------------------------------------------------
 * Arithmetic
 * --------------------------------------------------------------------- */

sl_err_t sl_window_check(const sl_window_spec_t *w, char *why, size_t len)
{
    const char *bad = NULL;

    if (w->grace_ms < 0)
        bad = "grace must not be negative";
    else if (w->retention_ms < 0)
        bad = "retention must not be negative";
    switch (w->kind) {
    case SL_WIN_TUMBLING:
    case SL_WIN_HOPPING:
        if (w->size_ms <= 0)
            bad = "window size must be positive";
        else if (w->advance_ms <= 0 || w->advance_ms > w->size_ms)
            bad = "advance must be positive and at most the window size";
        break;
    case SL_WIN_SLIDING:
        if (w->size_ms <= 0)
            bad = "the time difference must be positive";
        break;
    case SL_WIN_SESSION:
        if (w->gap_ms <= 0)
            bad = "the inactivity gap must be positive";
        break;
    default:
        bad = "unknown window kind";
    }
    if (bad == NULL && w->retention_ms != 0) {
        sl_window_spec_t min = *w;

        min.retention_ms = 0;
        if (w->retention_ms < sl_window_retention(&min))
            bad = "retention must be at least the window size plus grace";
    }
    if (bad != NULL) {
        snprintf(why, len, "%s", bad);
        return SL_ERR_INVAL;
    }
    return 0;
}

int64_t sl_window_first_start(const sl_window_spec_t *w, int64_t ts)
{
    int64_t adv = w->kind == SL_WIN_TUMBLING ? w->size_ms : w->advance_ms;
    int64_t from = ts - w->size_ms + adv;

    if (from < 0)
        from = 0;
    return from / adv * adv;
}

bool sl_window_closed(const sl_window_spec_t *w, int64_t end, int64_t stream_time)
{
    int64_t close_time = stream_time - w->grace_ms;

    if (w->kind == SL_WIN_TUMBLING || w->kind == SL_WIN_HOPPING)
        return end <= close_time;
    return end < close_time;
}

int64_t sl_window_retention(const sl_window_spec_t *w)
{
    int64_t min;

    switch (w->kind) {
    case SL_WIN_SLIDING:
        /* A record within grace looks at windows starting up to 2 * size
         * before it, itself up to size + grace behind stream time. */
        min = 3 * w->size_ms + w->grace_ms + 1;
        break;
    case SL_WIN_SESSION:
        /* A record merges with sessions ending up to a gap before it,
         * itself up to gap + grace behind stream time. */
        min = 2 * w->gap_ms + w->grace_ms;
        break;
    default:
        min = w->size_ms + w->grace_ms;
    }
    return w->retention_ms > min ? w->retention_ms : min;
}

int64_t sl_window_suppress_wait(const sl_window_spec_t *w)
{
    return w->kind == SL_WIN_SESSION ? w->grace_ms + w->gap_ms : w->grace_ms;
}

void sl_session_span(int64_t ts, const int64_t *starts, const int64_t *ends, size_t n, int64_t *start,
                     int64_t *end)
{
    *start = ts;
    *end = ts;
    for (size_t i = 0; i < n; i++) {
        if (starts[i] < *start)
            *start = starts[i];
        if (ends[i] > *end)
            *end = ends[i];
    }
}

/* The sliding plan under construction. */
typedef struct slide_plan {
    int64_t size, ts, close_time;
    sl_slide_step_t *steps;
    size_t n;
    size_t dropped;
} slide_plan_t;

/* A step folding the record into a window: only while the window is open. */
static void plan_add(slide_plan_t *p, int64_t start, int base, bool existing)
{
    if (start + p->size < p->close_time) {
        p->dropped++;
        return;
    }
    p->steps[p->n++] = (sl_slide_step_t){start, base, true, existing};
}

static bool plan_has(const sl_slide_win_t *have, size_t n, int64_t start)
{
    for (size_t i = 0; i < n; i++)
        if (have[i].start == start)
            return true;
    return false;
}

/* Records before the time difference: their left windows would start
 * below 0, so they share the window [0, size] (Kafka's processEarly). */
static void plan_early(slide_plan_t *p, const sl_slide_win_t *have, size_t n)
{
    int combined = -1, right = -1;
    bool right_made = false, have_prev = false;
    int64_t prev = 0;

    for (size_t i = 0; i < n; i++) {
        if (have[i].start == 0) {
            combined = (int)i;
            if (have[i].max_ts < p->ts) {
                prev = have[i].max_ts;
                have_prev = true;
            }
        } else if (have[i].start <= p->ts) {
            right = (int)i;
            plan_add(p, have[i].start, (int)i, true);
        } else if (have[i].start == p->ts + 1) {
            right_made = true;
        }
    }
    if (right < 0 && combined >= 0 && have[combined].max_ts > p->ts)
        right = combined;
    if (!right_made && right >= 0 && have[right].max_ts > p->ts)
        p->steps[p->n++] = (sl_slide_step_t){p->ts + 1, right, false, false};
    if (have_prev && !plan_has(have, n, prev + 1))
        plan_add(p, prev + 1, -1, false);
    if (combined < 0)
        plan_add(p, 0, -1, false);
    else
        plan_add(p, 0, combined, true);
}

size_t sl_slide_plan(int64_t size, int64_t ts, int64_t close_time, const sl_slide_win_t *have, size_t n,
                     sl_slide_step_t *steps, size_t *dropped)
{
    slide_plan_t p = {size, ts, close_time, steps, 0, 0};
    int left = -1, right = -1;
    bool left_made = false, right_made = false, have_prev = false;
    int64_t prev = 0;

    *dropped = 0;
    if (ts + 1 + size <= close_time) {
        *dropped = 1;
        return 0;
    }
    if (ts < size) {
        plan_early(&p, have, n);
        *dropped = p.dropped;
        return p.n;
    }
    for (size_t i = 0; i < n; i++) {
        int64_t start = have[i].start, end = start + size;

        if (end < ts) {
            left = (int)i;
            prev = have[i].max_ts;
            have_prev = true;
        } else if (end == ts) {
            left_made = true;
            if (have[i].max_ts < ts) {
                prev = have[i].max_ts;
                have_prev = true;
            }
            plan_add(&p, start, (int)i, true);
        } else if (start <= ts) {
            right = (int)i;
            plan_add(&p, start, (int)i, true);
        } else if (start == ts + 1) {
            right_made = true;
        }
    }
    /* The previous record's right window, when this record falls in it. */
    if (have_prev && !plan_has(have, n, prev + 1) && prev + 1 + size >= ts)
        plan_add(&p, prev + 1, -1, false);
    /* This record's left window [ts - size, ts]. */
    if (!left_made) {
        bool prev_in = have_prev && ts - size <= prev;

        plan_add(&p, ts - size, prev_in ? left : -1, false);
    }
    /* This record's right window: what the later records make already. */
    if (!right_made && right >= 0 && have[right].max_ts > ts)
        steps[p.n++] = (sl_slide_step_t){ts + 1, right, false, false};
    *dropped = p.dropped;
    return p.n;
}

/* ---------------------------------------------------------------------
 * The stamped serde (sliding windows' store values)
 * --------------------------------------------------------------------- */

static sl_err_t stamped_ser(const sl_val_t *v, sl_buf_t *out, void *arg)
{
    const sl_serde_t *inner = arg;
    const sl_stamped_t *s = v->type == SL_V_PTR ? v->u.ptr : NULL;

    if (s == NULL || sl_val_is_null(&s->value))
        return SL_ERR_INVAL;
    sl_buf_put_i64(out, s->ts);
    if (sl_serde_write(inner, &s->value, out) < 0)
        return SL_ERR_INVAL;
    return sl_buf_err(out);
}

static sl_err_t stamped_de(const uint8_t *p, size_t n, sl_arena_t *arena, sl_val_t *out, void *arg)
{
    const sl_serde_t *inner = arg;
    sl_stamped_t *s;
    sl_err_t err;

    if (n < 8)
        return SL_ERR_PARSE;
    s = sl_arena_zalloc(arena, sizeof(*s));
    if (s == NULL)
        return SL_ERR_NOMEM;
    s->ts = 0;
    for (int i = 0; i < 8; i++)
        s->ts = (int64_t)(((uint64_t)s->ts << 8) | p[i]);
    err = inner->de(p + 8, n - 8, arena, &s->value, inner->arg);
    if (err != 0)
        return err;
    *out = sl_val_ptr(s);
    return 0;
}

const sl_serde_t *sl_serde_stamped(sl_builder_t *b, const sl_serde_t *inner)
{
    sl_serde_t *s = sl_builder_alloc(b, sizeof(*s));

    if (s == NULL)
        return NULL;
    s->name = "ValueAndTimestamp";
    s->type = SL_V_PTR;
    s->ser = stamped_ser;
    s->de = stamped_de;
    s->arg = (void *)inner;
    return s;
}

/* ---------------------------------------------------------------------
 * Windowed aggregation operators
 * --------------------------------------------------------------------- */

typedef struct win_conf {
    sl_agg_fns_t fns;
    sl_window_spec_t spec;
    const char *store;
} win_conf_t;

typedef struct win_state {
    sl_table_fwd_t fwd;
    int64_t observed;      /* the largest timestamp seen here */
    uint64_t dropped;      /* records (windows) dropped as late */
} win_state_t;

static sl_err_t win_init(sl_pnode_t *pn, sl_ctx_t *ctx)
{
    const win_conf_t *c = pn->node->conf;
    win_state_t *s = calloc(1, sizeof(*s));

    if (s == NULL)
        return SL_ERR_NOMEM;
    s->observed = -1;
    pn->state = s;
    return sl_table_fwd_init(&s->fwd, pn, ctx, c->store, &c->spec, c->spec.kind == SL_WIN_SLIDING);
}

static void win_close(sl_pnode_t *pn)
{
    free(pn->state);
    pn->state = NULL;
}

static sl_err_t win_get(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, sl_val_t *out)
{
    win_state_t *s = pn->state;

    return sl_table_store_get(ctx, s->fwd.store, key, s->fwd.stamped, out);
}

static void win_drop(sl_pnode_t *pn, sl_ctx_t *ctx, int64_t start, int64_t end)
{
    win_state_t *s = pn->state;

    s->dropped++;
    SL_WARN("streams", "%s: skipping a record for the expired window [%lld,%lld] (timestamp %lld, stream time "
            "%lld, topic %s offset %lld; %llu dropped here so far)", pn->node->name, (long long)start,
            (long long)end, (long long)sl_ctx_timestamp(ctx), (long long)s->observed,
            sl_ctx_topic(ctx) ? sl_ctx_topic(ctx) : "-", (long long)sl_ctx_offset(ctx),
            (unsigned long long)s->dropped);
}

/* Updates the stream time this node has seen; false for a record to skip
 * (a null key or value, as Kafka skips them). */
static bool win_admit(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value)
{
    win_state_t *s = pn->state;
    int64_t ts = sl_ctx_timestamp(ctx);

    if (sl_val_is_null(key) || sl_val_is_null(value)) {
        SL_DEBUG("streams", "%s: skipping a record with a null key or value", pn->node->name);
        return false;
    }
    if (ts > s->observed)
        s->observed = ts;
    return true;
}

static void win_fail(sl_pnode_t *pn, sl_ctx_t *ctx, sl_err_t err, const char *what)
{
    sl_ctx_fail(ctx, err, "%s: %s failed on store %s", pn->node->name, what, sl_store_name(
                ((win_state_t *)pn->state)->fwd.store));
}

/* Tumbling and hopping windows. */
static void time_process(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value,
                         const sl_val_t *old)
{
    const win_conf_t *c = pn->node->conf;
    win_state_t *s = pn->state;
    int64_t ts = sl_ctx_timestamp(ctx);
    int64_t adv = c->spec.kind == SL_WIN_TUMBLING ? c->spec.size_ms : c->spec.advance_ms;

    (void)old;
    if (!win_admit(pn, ctx, key, value))
        return;
    for (int64_t start = sl_window_first_start(&c->spec, ts); start <= ts; start += adv) {
        int64_t end = start + c->spec.size_ms;
        sl_val_t cur, next, wk;
        bool have;
        sl_err_t err;

        if (sl_window_closed(&c->spec, end, s->observed)) {
            win_drop(pn, ctx, start, end);
            continue;
        }
        have = sl_table_store_get(ctx, s->fwd.store, &(sl_val_t){SL_V_WINDOWED, {.win = {key, start, end}}},
                                  false, &cur) == 0;
        next = sl_agg_add(&c->fns, ctx, key, value, have ? &cur : NULL);
        err = sl_win_put(s->fwd.store, key, start, &next);
        if (err != 0) {
            win_fail(pn, ctx, err, "put");
            return;
        }
        wk = sl_val_windowed(ctx, key, start, end);
        sl_table_fwd_change(&s->fwd, ctx, &wk, &next, have ? &cur : &(sl_val_t){SL_V_NULL, {{0, 0}}}, ts);
    }
}

/* Sliding windows: the key's windows near ts gathered, then the plan. */
typedef struct slide_have {
    sl_ctx_t *ctx;
    sl_slide_win_t *wins;
    sl_val_t *aggs;
    size_t n, cap;
    sl_err_t err;
} slide_have_t;

static bool slide_collect(const sl_val_t *key, int64_t start, const sl_val_t *value, void *arg)
{
    slide_have_t *h = arg;
    const sl_stamped_t *st = value->type == SL_V_PTR ? value->u.ptr : NULL;

    (void)key;
    if (st == NULL)
        return true;
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 16;
        sl_slide_win_t *w = sl_ctx_alloc(h->ctx, cap * sizeof(*w));
        sl_val_t *a = sl_ctx_alloc(h->ctx, cap * sizeof(*a));

        if (w == NULL || a == NULL) {
            h->err = SL_ERR_NOMEM;
            return false;
        }
        if (h->n) {
            memcpy(w, h->wins, h->n * sizeof(*w));
            memcpy(a, h->aggs, h->n * sizeof(*a));
        }
        h->wins = w;
        h->aggs = a;
        h->cap = cap;
    }
    h->wins[h->n] = (sl_slide_win_t){start, st->ts};
    h->aggs[h->n] = st->value; /* in the record's memory (fetched _into) */
    h->n++;
    return true;
}

static void slide_process(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value,
                          const sl_val_t *old)
{
    const win_conf_t *c = pn->node->conf;
    win_state_t *s = pn->state;
    int64_t ts = sl_ctx_timestamp(ctx), size = c->spec.size_ms;
    slide_have_t h = {.ctx = ctx};
    sl_slide_step_t *steps;
    size_t n, dropped;
    sl_err_t err;

    (void)old;
    if (!win_admit(pn, ctx, key, value))
        return;
    err = sl_win_fetch_into(s->fwd.store, key, ts - 2 * size > 0 ? ts - 2 * size : 0, ts + 1, sl_ctx_arena(ctx),
                            slide_collect, &h);
    if (err == 0)
        err = h.err;
    steps = err == 0 ? sl_ctx_alloc(ctx, (h.n + 3) * sizeof(*steps)) : NULL;
    if (steps == NULL) {
        win_fail(pn, ctx, err ? err : SL_ERR_NOMEM, "fetch");
        return;
    }
    n = sl_slide_plan(size, ts, s->observed - c->spec.grace_ms, h.wins, h.n, steps, &dropped);
    if (dropped)
        win_drop(pn, ctx, ts - size, ts);
    for (size_t i = 0; i < n; i++) {
        const sl_slide_step_t *st = &steps[i];
        const sl_val_t *base = st->base >= 0 ? &h.aggs[st->base] : NULL;
        sl_stamped_t *next = sl_ctx_alloc(ctx, sizeof(*next));
        sl_stamped_t *prior = NULL;
        sl_val_t nv, ov = sl_val_null(), wk;

        if (next == NULL) {
            win_fail(pn, ctx, SL_ERR_NOMEM, "aggregate");
            return;
        }
        if (!st->add) {
            next->value = *base;
            next->ts = h.wins[st->base].max_ts;
        } else {
            sl_val_t init = sl_agg_initial(&c->fns, ctx);

            next->value = sl_agg_add(&c->fns, ctx, key, value, base ? base : &init);
            next->ts = st->existing && h.wins[st->base].max_ts > ts ? h.wins[st->base].max_ts : ts;
        }
        if (st->existing) {
            prior = sl_ctx_alloc(ctx, sizeof(*prior));
            if (prior == NULL) {
                win_fail(pn, ctx, SL_ERR_NOMEM, "aggregate");
                return;
            }
            prior->value = *base;
            prior->ts = h.wins[st->base].max_ts;
            ov = sl_val_ptr(prior);
        }
        nv = sl_val_ptr(next);
        err = sl_win_put(s->fwd.store, key, st->start, &nv);
        if (err != 0) {
            win_fail(pn, ctx, err, "put");
            return;
        }
        wk = sl_val_windowed(ctx, key, st->start, st->start + size);
        sl_table_fwd_change(&s->fwd, ctx, &wk, &nv, &ov, next->ts);
    }
}

/* Session windows. */
typedef struct sess_have {
    sl_ctx_t *ctx;
    int64_t *starts, *ends;
    sl_val_t *aggs;
    size_t n, cap;
    sl_err_t err;
} sess_have_t;

static bool sess_collect(const sl_val_t *key, int64_t start, int64_t end, const sl_val_t *value, void *arg)
{
    sess_have_t *h = arg;

    (void)key;
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 8;
        int64_t *s = sl_ctx_alloc(h->ctx, cap * sizeof(*s));
        int64_t *e = sl_ctx_alloc(h->ctx, cap * sizeof(*e));
        sl_val_t *a = sl_ctx_alloc(h->ctx, cap * sizeof(*a));

        if (s == NULL || e == NULL || a == NULL) {
            h->err = SL_ERR_NOMEM;
            return false;
        }
        if (h->n) {
            memcpy(s, h->starts, h->n * sizeof(*s));
            memcpy(e, h->ends, h->n * sizeof(*e));
            memcpy(a, h->aggs, h->n * sizeof(*a));
        }
        h->starts = s;
        h->ends = e;
        h->aggs = a;
        h->cap = cap;
    }
    h->starts[h->n] = start;
    h->ends[h->n] = end;
    h->aggs[h->n] = *value; /* in the record's memory (found _into) */
    h->n++;
    return true;
}

static void sess_process(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value,
                         const sl_val_t *old)
{
    const win_conf_t *c = pn->node->conf;
    win_state_t *s = pn->state;
    int64_t ts = sl_ctx_timestamp(ctx), start, end;
    sess_have_t h = {.ctx = ctx};
    sl_val_t agg, wk;
    sl_err_t err;

    (void)old;
    if (!win_admit(pn, ctx, key, value))
        return;
    err = sl_session_find_into(s->fwd.store, key, ts - c->spec.gap_ms, ts + c->spec.gap_ms, sl_ctx_arena(ctx),
                               sess_collect, &h);
    if (err == 0)
        err = h.err;
    if (err != 0) {
        win_fail(pn, ctx, err, "find");
        return;
    }
    agg = sl_agg_initial(&c->fns, ctx);
    for (size_t i = 0; i < h.n; i++)
        agg = sl_agg_merge(&c->fns, ctx, key, &agg, &h.aggs[i]);
    sl_session_span(ts, h.starts, h.ends, h.n, &start, &end);
    if (sl_window_closed(&c->spec, end, s->observed)) {
        win_drop(pn, ctx, start, end);
        return;
    }
    if (start != ts || end != ts) {
        /* The sessions merged into this one leave the table. */
        for (size_t i = 0; i < h.n; i++) {
            sl_val_t nul = sl_val_null();

            err = sl_session_put(s->fwd.store, key, h.starts[i], h.ends[i], &nul);
            if (err != 0) {
                win_fail(pn, ctx, err, "remove");
                return;
            }
            wk = sl_val_windowed(ctx, key, h.starts[i], h.ends[i]);
            sl_table_fwd_change(&s->fwd, ctx, &wk, &nul, &h.aggs[i], ts);
        }
    }
    agg = sl_agg_add(&c->fns, ctx, key, value, &agg);
    err = sl_session_put(s->fwd.store, key, start, end, &agg);
    if (err != 0) {
        win_fail(pn, ctx, err, "put");
        return;
    }
    wk = sl_val_windowed(ctx, key, start, end);
    sl_table_fwd_change(&s->fwd, ctx, &wk, &agg, NULL, ts);
}

static const sl_node_ops_t time_ops = {
    .init = win_init, .process = time_process, .close = win_close, .get = win_get,
};
static const sl_node_ops_t slide_ops = {
    .init = win_init, .process = slide_process, .close = win_close, .get = win_get,
};
static const sl_node_ops_t sess_ops = {
    .init = win_init, .process = sess_process, .close = win_close, .get = win_get,
};

sl_windowed_grouped_t *sl_grouped_windowed_by(sl_grouped_t *g, const char *name, sl_window_spec_t spec)
{
    sl_windowed_grouped_t *w;
    char why[128];

    if (g == NULL || sl_builder_failed(g->b))
        return NULL;
    if (spec.kind == SL_WIN_TUMBLING)
        spec.advance_ms = spec.size_ms;
    if (sl_window_check(&spec, why, sizeof(why)) != 0) {
        sl_builder_fail(g->b, SL_ERR_INVAL, "%s: %s", name ? name : "windowed_by", why);
        return NULL;
    }
    if (g->from_table) {
        sl_builder_fail(g->b, SL_ERR_INVAL, "%s: a grouped table cannot be windowed", name ? name : "windowed_by");
        return NULL;
    }
    w = sl_builder_alloc(g->b, sizeof(*w));
    if (w == NULL)
        return NULL;
    w->g = g;
    w->spec = spec;
    w->name = name ? sl_builder_strdup(g->b, name) : NULL;
    return w;
}

/* The windowed aggregation node over w into a window or session store. */
static sl_table_t *win_build(sl_windowed_grouped_t *w, const char *name, const sl_agg_fns_t *fns,
                             const char *store, const sl_serde_t *vs)
{
    sl_builder_t *b;
    win_conf_t *c;
    sl_store_def_t def = {0};
    const sl_node_ops_t *ops;
    const sl_serde_t *agg_vs = vs ? vs : SL_AUTO;
    sl_node_t *n;
    sl_table_t *t;

    if (w == NULL || sl_builder_failed(w->g->b))
        return NULL;
    b = w->g->b;
    if (w->spec.kind == SL_WIN_SESSION && fns->kind == SL_AGG_AGGREGATE && fns->merge == NULL) {
        sl_builder_fail(b, SL_ERR_INVAL, "%s: a session window aggregate needs a merger", name ? name : "aggregate");
        return NULL;
    }
    c = sl_builder_alloc(b, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->fns = *fns;
    c->spec = w->spec;
    c->store = store ? sl_builder_strdup(b, store) : sl_builder_gen_name(b, "KSTREAM-AGGREGATE-STATE-STORE");
    if (c->store == NULL)
        return NULL;
    def.name = c->store;
    def.ks = w->g->ks ? w->g->ks : SL_AUTO;
    def.vs = agg_vs;
    def.logging = true;
    def.caching = true;
    def.retention_ms = sl_window_retention(&w->spec);
    switch (w->spec.kind) {
    case SL_WIN_SESSION:
        def.kind = SL_STORE_SESSION;
        ops = &sess_ops;
        break;
    case SL_WIN_SLIDING:
        def.kind = SL_STORE_WINDOW;
        def.window_size_ms = w->spec.size_ms;
        def.vs = sl_serde_stamped(b, agg_vs);
        if (def.vs == NULL)
            return NULL;
        ops = &slide_ops;
        break;
    default:
        def.kind = SL_STORE_WINDOW;
        def.window_size_ms = w->spec.size_ms;
        ops = &time_ops;
    }
    if (sl_builder_add_store(b, &def) != 0)
        return NULL;
    n = sl_bnode_add(b, name, fns->kind == SL_AGG_REDUCE ? "KSTREAM-REDUCE" : "KSTREAM-AGGREGATE", ops, c,
                     &w->g->node, 1);
    if (n == NULL)
        return NULL;
    sl_bnode_connect_store(n, b, c->store);
    t = sl_table_wrap(b, n, def.ks, agg_vs, c->store);
    if (t == NULL)
        return NULL;
    t->windowed = true;
    t->window = w->spec;
    return t;
}

sl_table_t *sl_windowed_count(sl_windowed_grouped_t *w, const char *name, const char *store)
{
    sl_agg_fns_t f = {.kind = SL_AGG_COUNT};

    return win_build(w, name, &f, store, SL_I64);
}

sl_table_t *sl_windowed_reduce(sl_windowed_grouped_t *w, const char *name, sl_reducer_fn *add, void *arg,
                               const char *store)
{
    sl_agg_fns_t f = {.kind = SL_AGG_REDUCE, .radd = add, .arg = arg};

    if (w != NULL && add == NULL) {
        sl_builder_fail(w->g->b, SL_ERR_INVAL, "%s: reduce needs a reducer", name ? name : "reduce");
        return NULL;
    }
    return win_build(w, name, &f, store, w ? w->g->vs : NULL);
}

sl_table_t *sl_windowed_aggregate(sl_windowed_grouped_t *w, const char *name, sl_initializer_fn *init,
                                  sl_aggregator_fn *add, sl_merger_fn *merge, void *arg, const sl_serde_t *vs,
                                  const char *store)
{
    sl_agg_fns_t f = {.kind = SL_AGG_AGGREGATE, .init = init, .add = add, .merge = merge, .arg = arg};

    if (w != NULL && (init == NULL || add == NULL)) {
        sl_builder_fail(w->g->b, SL_ERR_INVAL, "%s: aggregate needs an initializer and an aggregator",
                        name ? name : "aggregate");
        return NULL;
    }
    return win_build(w, name, &f, store, vs);
}
