/*
 * ops_suppress.c - suppression of a table's updates (KTableSuppressProcessor):
 * suppress_final emits each window's final result once stream time reaches
 * its end + grace (Suppressed.untilWindowCloses; tombstones are not
 * emitted), suppress_time emits a key's latest value limit ms of stream time
 * after its first buffered update (Suppressed.untilTimeLimit: a later update
 * replaces the value but does not restart the timer), the oldest first
 * when more than max_records wait.
 *
 * The buffer is a logged key-value store (bytes), so it survives restarts:
 *   'k' key                   -> buffer time (8 bytes)
 *   't' buffer time key       -> record timestamp (8), null flag (1), value
 *   's'                       -> the stream time seen here (8)
 * Times are written big-endian with the sign bit flipped, so the 't' rows
 * come in time order. Keys are the table's key bytes; windowed keys are
 * their start and end (8 bytes each) followed by the inner key's bytes.
 * Stream time is the largest timestamp of the updates reaching suppress,
 * as Kafka's processor tracks it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "streams_int.h"

typedef struct sup_conf {
    bool final;
    bool windowed;
    int64_t wait_ms;           /* final: grace (+ gap); time: the limit */
    int64_t max_records;       /* 0: unbounded */
    const char *store;
    const sl_serde_t *ks, *vs; /* the table's (inner key's) serdes */
} sup_conf_t;

typedef struct sup_state {
    sl_store_t *store;
    int64_t observed;
    int64_t count;             /* buffered keys; -1 until counted */
    sl_buf_t kb, vb;
} sup_state_t;

static void put_time(sl_buf_t *b, int64_t t)
{
    sl_buf_put_i64(b, (int64_t)((uint64_t)t ^ (UINT64_C(1) << 63)));
}

static int64_t get_time(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return (int64_t)(v ^ (UINT64_C(1) << 63));
}

static sl_val_t bytes_of(const sl_buf_t *b, size_t from)
{
    return sl_val_bytes_ref(b->data + from, b->len - from);
}

static sl_err_t sup_init(sl_pnode_t *pn, sl_ctx_t *ctx)
{
    const sup_conf_t *c = pn->node->conf;
    sup_state_t *s = calloc(1, sizeof(*s));

    if (s == NULL)
        return SL_ERR_NOMEM;
    pn->state = s;
    sl_buf_init(&s->kb);
    sl_buf_init(&s->vb);
    s->observed = INT64_MIN;
    s->count = -1;
    s->store = sl_ctx_store(ctx, c->store);
    return s->store ? 0 : SL_ERR_NOENT;
}

static void sup_close(sl_pnode_t *pn)
{
    sup_state_t *s = pn->state;

    if (s != NULL) {
        sl_buf_free(&s->kb);
        sl_buf_free(&s->vb);
        free(s);
    }
    pn->state = NULL;
}

static bool count_row(const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)key;
    (void)value;
    (*(int64_t *)arg)++;
    return true;
}

/* The stream time and key count survive restarts through the store. */
static sl_err_t sup_load(sup_state_t *s)
{
    sl_val_t v;
    sl_err_t err;

    if (s->count >= 0)
        return 0;
    err = sl_kv_get(s->store, &(sl_val_t){SL_V_BYTES, {{(const uint8_t *)"s", 1}}}, &v);
    if (err == 0 && v.type == SL_V_BYTES && v.u.bytes.len == 8)
        s->observed = get_time(v.u.bytes.ptr);
    else if (err != 0 && err != SL_ERR_NOENT)
        return err;
    s->count = 0;
    return sl_kv_range(s->store, &(sl_val_t){SL_V_BYTES, {{(const uint8_t *)"k", 1}}},
                       &(sl_val_t){SL_V_BYTES, {{(const uint8_t *)"l", 1}}}, count_row, &s->count);
}

/* Serializes key (after a one-byte tag) into s->kb. */
static sl_err_t key_bytes(const sup_conf_t *c, sup_state_t *s, const sl_val_t *key)
{
    const sl_val_t *inner = key;

    sl_buf_reset(&s->kb);
    sl_buf_put_u8(&s->kb, 'k');
    if (c->windowed) {
        if (key->type != SL_V_WINDOWED)
            return SL_ERR_INVAL;
        put_time(&s->kb, key->u.win.start);
        put_time(&s->kb, key->u.win.end);
        inner = key->u.win.key;
    }
    if (sl_serde_write(c->ks, inner, &s->kb) != 0)
        return SL_ERR_INVAL;
    return sl_buf_err(&s->kb);
}

/* One buffered row back to its key and value. */
typedef struct sup_row {
    uint8_t *key;              /* 't' time key */
    size_t klen;
    uint8_t *val;
    size_t vlen;
} sup_row_t;

static sl_err_t row_decode(const sup_conf_t *c, sl_ctx_t *ctx, const sup_row_t *r, sl_val_t *key, sl_val_t *value,
                           int64_t *ts)
{
    const uint8_t *kp = r->key + 9;
    size_t kn = r->klen - 9;
    int64_t start = 0, end = 0;
    sl_val_t inner;
    sl_err_t err;

    if (c->windowed) {
        if (kn < 16)
            return SL_ERR_PARSE;
        start = get_time(kp);
        end = get_time(kp + 8);
        kp += 16;
        kn -= 16;
    }
    err = c->ks->de(kp, kn, sl_ctx_arena(ctx), &inner, c->ks->arg);
    if (err != 0)
        return err;
    *key = c->windowed ? sl_val_windowed(ctx, &inner, start, end) : inner;
    if (r->vlen < 9)
        return SL_ERR_PARSE;
    *ts = get_time(r->val);
    *value = sl_val_null();
    if (r->val[8])
        return 0;
    return c->vs->de(r->val + 9, r->vlen - 9, sl_ctx_arena(ctx), value, c->vs->arg);
}

typedef struct due {
    sl_ctx_t *ctx;
    int64_t expiry;
    int64_t over;              /* rows to evict regardless of time */
    sup_row_t *rows;
    size_t n, cap;
    sl_err_t err;
} due_t;

static bool due_collect(const sl_val_t *key, const sl_val_t *value, void *arg)
{
    due_t *d = arg;
    sup_row_t *r;

    if (key->u.bytes.len < 9 || ((int64_t)d->n >= d->over && get_time(key->u.bytes.ptr + 1) > d->expiry))
        return false;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        sup_row_t *rows = sl_ctx_alloc(d->ctx, cap * sizeof(*rows));

        if (rows == NULL) {
            d->err = SL_ERR_NOMEM;
            return false;
        }
        if (d->n)
            memcpy(rows, d->rows, d->n * sizeof(*rows));
        d->rows = rows;
        d->cap = cap;
    }
    r = &d->rows[d->n];
    r->klen = key->u.bytes.len;
    r->vlen = value->u.bytes.len;
    r->key = sl_ctx_alloc(d->ctx, r->klen);
    r->val = sl_ctx_alloc(d->ctx, r->vlen + 1);
    if (r->key == NULL || r->val == NULL) {
        d->err = SL_ERR_NOMEM;
        return false;
    }
    memcpy(r->key, key->u.bytes.ptr, r->klen);
    memcpy(r->val, value->u.bytes.ptr, r->vlen);
    d->n++;
    return true;
}

/* Emits (and forgets) every row due at the node's stream time. */
static sl_err_t sup_evict(sl_pnode_t *pn, sl_ctx_t *ctx)
{
    const sup_conf_t *c = pn->node->conf;
    sup_state_t *s = pn->state;
    due_t d = {.ctx = ctx};
    sl_val_t nul = sl_val_null();
    sl_err_t err;

    d.expiry = s->observed - c->wait_ms;
    d.over = c->max_records > 0 && s->count > c->max_records ? s->count - c->max_records : 0;
    err = sl_kv_range(s->store, &(sl_val_t){SL_V_BYTES, {{(const uint8_t *)"t", 1}}},
                      &(sl_val_t){SL_V_BYTES, {{(const uint8_t *)"u", 1}}}, due_collect, &d);
    if (err == 0)
        err = d.err;
    for (size_t i = 0; err == 0 && i < d.n; i++) {
        const sup_row_t *r = &d.rows[i];
        sl_val_t key, value;
        int64_t ts, saved;

        /* The index row: 'k' and the key bytes that follow the time. */
        uint8_t *kk = sl_ctx_alloc(ctx, r->klen - 8);

        if (kk == NULL) {
            err = SL_ERR_NOMEM;
            break;
        }
        kk[0] = 'k';
        memcpy(kk + 1, r->key + 9, r->klen - 9);
        err = sl_kv_put(s->store, &(sl_val_t){SL_V_BYTES, {{kk, r->klen - 8}}}, &nul);
        if (err == 0)
            err = sl_kv_put(s->store, &(sl_val_t){SL_V_BYTES, {{r->key, r->klen}}}, &nul);
        if (err != 0)
            break;
        s->count--;
        err = row_decode(c, ctx, r, &key, &value, &ts);
        if (err != 0)
            break;
        if (c->final && sl_val_is_null(&value))
            continue;
        saved = sl_ctx_timestamp(ctx);
        sl_ctx_set_timestamp(ctx, ts);
        sl_pnode_forward(pn, ctx, &key, &value, NULL);
        sl_ctx_set_timestamp(ctx, saved);
    }
    return err;
}

static void sup_process(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value,
                        const sl_val_t *old)
{
    const sup_conf_t *c = pn->node->conf;
    sup_state_t *s = pn->state;
    int64_t ts = sl_ctx_timestamp(ctx), btime;
    sl_val_t cur, tkey, row;
    size_t klen;
    sl_err_t err;

    (void)old;
    if (sl_val_is_null(key))
        return;
    err = sup_load(s);
    if (err == 0)
        err = key_bytes(c, s, key);
    if (err != 0) {
        sl_ctx_fail(ctx, err, "%s: cannot buffer the record", pn->node->name);
        return;
    }
    if (ts > s->observed)
        s->observed = ts;
    klen = s->kb.len;
    btime = c->final ? key->u.win.end : ts;
    err = sl_kv_get(s->store, &(sl_val_t){SL_V_BYTES, {{s->kb.data, klen}}}, &cur);
    if (err == 0 && cur.type == SL_V_BYTES && cur.u.bytes.len == 8) {
        btime = get_time(cur.u.bytes.ptr);
    } else if (err == SL_ERR_NOENT) {
        sl_buf_reset(&s->vb);
        put_time(&s->vb, btime);
        err = sl_kv_put(s->store, &(sl_val_t){SL_V_BYTES, {{s->kb.data, klen}}}, &(sl_val_t){
                        SL_V_BYTES, {{s->vb.data, s->vb.len}}});
        s->count++;
    }
    /* The time row: 't', time, then the key bytes after their 'k'. */
    if (err == 0 && (err = sl_buf_reserve(&s->kb, klen + 9)) == 0) {
        /* Reserved first: the key bytes are copied from the buffer itself. */
        sl_buf_put(&s->kb, "t", 1);
        put_time(&s->kb, btime);
        sl_buf_put(&s->kb, s->kb.data + 1, klen - 1);
        sl_buf_reset(&s->vb);
        put_time(&s->vb, ts);
        sl_buf_put_u8(&s->vb, sl_val_is_null(value) ? 1 : 0);
        if (!sl_val_is_null(value) && sl_serde_write(c->vs, value, &s->vb) != 0)
            err = SL_ERR_INVAL;
        err = err ? err : sl_buf_err(&s->kb) ? sl_buf_err(&s->kb) : sl_buf_err(&s->vb);
    }
    if (err == 0) {
        tkey = bytes_of(&s->kb, klen);
        row = sl_val_bytes_ref(s->vb.data, s->vb.len);
        err = sl_kv_put(s->store, &tkey, &row);
    }
    if (err == 0) {
        sl_buf_reset(&s->vb);
        put_time(&s->vb, s->observed);
        err = sl_kv_put(s->store, &(sl_val_t){SL_V_BYTES, {{(const uint8_t *)"s", 1}}}, &(sl_val_t){
                        SL_V_BYTES, {{s->vb.data, s->vb.len}}});
    }
    if (err == 0)
        err = sup_evict(pn, ctx);
    if (err != 0)
        sl_ctx_fail(ctx, err, "%s: buffer store %s failed", pn->node->name, sl_store_name(s->store));
}

/* A suppressed table reads through to its parent (what joins see). */
static sl_err_t sup_get(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, sl_val_t *out)
{
    return sl_pnode_get(ctx, pn->node->parents[0], key, out);
}

static const sl_node_ops_t sup_ops = {
    .init = sup_init,
    .process = sup_process,
    .close = sup_close,
    .get = sup_get,
};

static sl_table_t *sup_build(sl_table_t *t, const char *name, const sup_conf_t *conf)
{
    sl_store_def_t def = {0};
    sup_conf_t *c;
    sl_node_t *n;
    sl_table_t *out;

    if (t == NULL || sl_builder_failed(t->b))
        return NULL;
    c = sl_builder_alloc(t->b, sizeof(*c));
    if (c == NULL)
        return NULL;
    *c = *conf;
    c->windowed = t->windowed;
    c->ks = t->ks ? t->ks : SL_AUTO;
    c->vs = t->vs ? t->vs : SL_AUTO;
    if (name != NULL) {
        size_t len = strlen(name) + sizeof("-store");
        char *sn = sl_builder_alloc(t->b, len);

        if (sn == NULL)
            return NULL;
        snprintf(sn, len, "%s-store", name);
        c->store = sn;
    } else {
        c->store = sl_builder_gen_name(t->b, "KTABLE-SUPPRESS-STATE-STORE");
    }
    if (c->store == NULL)
        return NULL;
    def.name = c->store;
    def.kind = SL_STORE_KV;
    def.ks = SL_BYTES;
    def.vs = SL_BYTES;
    def.logging = true;
    if (sl_builder_add_store(t->b, &def) != 0)
        return NULL;
    n = sl_bnode_add(t->b, name, "KTABLE-SUPPRESS", &sup_ops, c, &t->node, 1);
    if (n == NULL)
        return NULL;
    sl_bnode_connect_store(n, t->b, c->store);
    out = sl_table_wrap(t->b, n, t->ks, t->vs, NULL);
    if (out == NULL)
        return NULL;
    out->windowed = t->windowed;
    out->window = t->window;
    return out;
}

sl_table_t *sl_table_suppress_final(sl_table_t *t, const char *name)
{
    sup_conf_t c = {.final = true};

    if (t == NULL || sl_builder_failed(t->b))
        return NULL;
    if (!t->windowed) {
        sl_builder_fail(t->b, SL_ERR_INVAL, "%s: suppress until window close needs a windowed table",
                        name ? name : "suppress");
        return NULL;
    }
    c.wait_ms = sl_window_suppress_wait(&t->window);
    return sup_build(t, name, &c);
}

sl_table_t *sl_table_suppress_time(sl_table_t *t, const char *name, int64_t limit_ms, int64_t max_records)
{
    sup_conf_t c = {.wait_ms = limit_ms, .max_records = max_records};

    if (t == NULL || sl_builder_failed(t->b))
        return NULL;
    if (limit_ms < 0 || max_records < 0) {
        sl_builder_fail(t->b, SL_ERR_INVAL, "%s: the time limit and max records must not be negative",
                        name ? name : "suppress");
        return NULL;
    }
    return sup_build(t, name, &c);
}
