/*
 * query.c - push and pull queries (sql.h's sl_sql_query_*).
 *
 * A push query is a transient plan lowered with a callback (emit_row) that
 * turns each result row into a JSON array and queues it for
 * sl_sql_query_next. In a cluster engine the rows come from stream threads
 * and the queue is bounded (a full queue makes the stream thread wait); in a
 * local engine they come from inside sl_sql_local_produce on the caller's
 * own thread, which must never wait, so there the queue only has a cap past
 * which the query fails.
 *
 * A pull query reads the state store of the persistent query that writes
 * the table, applies what that query does after its store (HAVING,
 * the final projection) to get the table's rows, then the pull query's own
 * WHERE and projection; every row is queued at once and the query is done.
 * A pull query on a stream (ksqlDB 0.23's) reads the stream's topic from
 * the beginning up to its end as the query starts (each partition in
 * turn; a local engine's topics in the order they were produced),
 * decoding every record with the stream's formats (a record that does not
 * decode, or has no usable WITH (TIMESTAMP=...) time, is skipped) and
 * filtering it with WHERE; ROWTIME is that time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine_int.h"
#include "lower_int.h"

#define PUSH_QUEUE_MAX 10000        /* cluster: the stream thread waits beyond */
#define LOCAL_QUEUE_MAX 1000000     /* local: the query fails beyond */

struct sl_sql_query {
    sl_list_t link;             /* the engine's open queries */
    sl_sql_engine_t *e;
    char id[192];
    const char *text;           /* the statement (in arena) */
    const char **sources;       /* the catalog entries it reads (in arena) */
    uint32_t n_sources;
    json_t *header;
    bool is_pull;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    json_t **rows;              /* a ring of cap rows, count from head */
    size_t head, count, cap;
    int64_t limit;              /* -1 none */
    int64_t emitted;
    bool done;                  /* no more rows will come */
    bool cancelled;
    sl_err_t error;
    sl_sql_error_t errinfo;
    /* push */
    sl_arena_t arena;
    const sl_sql_plan_t *root;
    sl_topology_t *topo;
    sl_sql_rt_query_t *rq;
    const sl_sql_type_t **types;
    uint32_t n_cols;
};

/* ---------------------------------------------------------------------------
 * The row queue
 * ------------------------------------------------------------------------- */

static void fail_locked(sl_sql_query_t *q, sl_err_t code, const char *msg)
{
    if (!q->error) {
        q->error = code;
        q->errinfo.code = code;
        snprintf(q->errinfo.message, sizeof q->errinfo.message, "%s", msg);
    }
    q->done = true;
    pthread_cond_broadcast(&q->cv);
}

/* Queues row (takes it). Called with q->mu held. */
static void push_locked(sl_sql_query_t *q, json_t *row)
{
    if (q->done || q->cancelled || (q->limit >= 0 && q->emitted >= q->limit)) {
        json_decref(row);
        return;
    }
    if (q->count == q->cap) {
        size_t ncap = q->cap ? q->cap * 2 : 64;
        json_t **n = malloc(ncap * sizeof *n);
        if (!n) {
            json_decref(row);
            fail_locked(q, SL_ERR_NOMEM, "out of memory queueing rows");
            return;
        }
        for (size_t i = 0; i < q->count; i++)
            n[i] = q->rows[(q->head + i) % q->cap];
        free(q->rows);
        q->rows = n;
        q->cap = ncap;
        q->head = 0;
    }
    q->rows[(q->head + q->count) % q->cap] = row;
    q->count++;
    q->emitted++;
    if (q->limit >= 0 && q->emitted >= q->limit)
        q->done = true;
    pthread_cond_broadcast(&q->cv);
}

static void emit_row(const sl_sql_row_t *key, const sl_sql_row_t *value, int64_t rowtime, int64_t wstart,
                     int64_t wend, void *arg)
{
    (void)key;
    (void)rowtime;
    (void)wstart;
    (void)wend;
    sl_sql_query_t *q = arg;
    if (!value)
        return; /* a table's delete: push queries show upserts only */
    json_t *row = json_array();
    for (uint32_t i = 0; row && i < q->n_cols && i < value->n; i++)
        json_array_append_new(row, sl_sql_datum_to_json(&value->cols[i], q->types[i]));
    pthread_mutex_lock(&q->mu);
    if (!row) {
        fail_locked(q, SL_ERR_NOMEM, "out of memory");
    } else if (q->e->local) {
        if (q->count >= LOCAL_QUEUE_MAX) {
            json_decref(row);
            fail_locked(q, SL_ERR_TOO_LARGE, "more than 1000000 rows were not read: the push query stopped");
        } else {
            push_locked(q, row);
        }
    } else {
        while (q->count >= PUSH_QUEUE_MAX && !q->cancelled && !q->done)
            pthread_cond_wait(&q->cv, &q->mu);
        push_locked(q, row);
    }
    pthread_mutex_unlock(&q->mu);
}

/* ---------------------------------------------------------------------------
 * Opening
 * ------------------------------------------------------------------------- */

static sl_sql_query_t *query_alloc(sl_sql_engine_t *e)
{
    sl_sql_query_t *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->e = e;
    q->limit = -1;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    sl_arena_init(&q->arena, 16384, 0);
    sl_list_init(&q->link);
    return q;
}

static void query_free(sl_sql_query_t *q)
{
    for (size_t i = 0; i < q->count; i++)
        json_decref(q->rows[(q->head + i) % q->cap]);
    free(q->rows);
    json_decref(q->header);
    sl_topology_free(q->topo);
    sl_arena_fini(&q->arena);
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
    free(q);
}

static json_t *header_json(const char *id, const sl_sql_column_t *cols, uint32_t n)
{
    json_t *names = json_array(), *types = json_array();
    for (uint32_t i = 0; names && types && i < n; i++) {
        char buf[512];
        json_array_append_new(names, json_string(cols[i].name));
        json_array_append_new(types, json_string(sl_sql_type_str(cols[i].type, buf, sizeof buf)));
    }
    return json_pack("{s:s, s:o, s:o}", "queryId", id, "columnNames", names ? names : json_array(), "columnTypes",
                     types ? types : json_array());
}

static const char *first_relation(const sl_sql_ast_from_t *f)
{
    while (f && f->is_join)
        f = f->left;
    return f ? f->name.name : "QUERY";
}

static sl_err_t open_push(sl_sql_exec_t *x, sl_sql_query_t *q, sl_sql_bound_query_t *bq)
{
    sl_sql_engine_t *e = x->e;
    const sl_sql_stmt_t *s = x->stmt;
    sl_sql_plan_optimize(&q->arena, bq->root);
    q->root = bq->root;
    q->limit = bq->root->limit >= 0 ? bq->root->limit : (s->select ? s->select->limit : -1);
    q->done = q->limit == 0; /* LIMIT 0: nothing to wait for */
    q->n_cols = bq->root->out.n_value;
    q->types = sl_arena_calloc(&q->arena, q->n_cols + 1, sizeof *q->types);
    if (!q->types)
        return sl_sql_error_set(x->err, SL_ERR_NOMEM, s->pos, "out of memory");
    for (uint32_t i = 0; i < q->n_cols; i++)
        q->types[i] = bq->root->out.value[i].type;
    q->header = header_json(q->id, bq->root->out.value, bq->root->out.n_value);
    if (!q->header)
        return sl_sql_error_set(x->err, SL_ERR_NOMEM, s->pos, "out of memory");
    sl_builder_t *b = sl_builder_new();
    if (!b)
        return sl_sql_error_set(x->err, SL_ERR_NOMEM, s->pos, "out of memory");
    sl_sql_lower_env_t lenv;
    sl_sql_engine_lower_env(e, &q->arena, &lenv);
    lenv.emit_row = emit_row;
    lenv.emit_arg = q;
    char errbuf[1024] = "";
    sl_err_t r = sl_sql_lower(b, bq->root, &lenv, x->err);
    if (!r && (r = sl_topology_build(b, &q->topo, errbuf, sizeof errbuf)))
        sl_sql_error_set(x->err, r, s->pos, "%s", errbuf);
    sl_builder_free(b);
    if (r)
        return r;
    char *props = sl_sql_exec_streams_props(x);
    if (!props)
        return sl_sql_error_set(x->err, SL_ERR_NOMEM, s->pos, "out of memory");
    char app_id[512];
    snprintf(app_id, sizeof app_id, "_confluent-ksql-%s%s", e->service_id, q->id);
    /* Registered before it starts: a local start may already emit rows. */
    sl_list_insert_tail(&e->open, &q->link);
    errbuf[0] = 0;
    r = e->rt->ops->query_start(e->rt, q->topo, app_id, props, &q->rq, errbuf, sizeof errbuf);
    free(props);
    if (r) {
        sl_list_remove(&q->link);
        return sl_sql_error_set(x->err, r, s->pos, "Could not start the push query: %s", errbuf);
    }
    return SL_OK;
}

/* --- pull queries --- */

typedef struct pull_ctx {
    sl_sql_exec_t *x;
    sl_sql_query_t *q;
    const sl_sql_bound_query_t *bq;
    const sl_sql_plan_t **chain;    /* the writer's nodes above its store, bottom first */
    uint32_t n_chain;
    bool windowed;
    int64_t wsize;
    int64_t rowtime_col;            /* the stored rows' time (ROWTIME), or -1 */
    const sl_sql_datum_t *pseudo;   /* a stream's record: every pseudo column, or NULL */
    const sl_sql_datum_t *match_key;    /* scans standing in for a key lookup */
    const sl_sql_schema_t *key_schema;
    sl_arena_t scratch;
    sl_err_t error;
} pull_ctx_t;

static void set_window(sl_sql_eval_t *cx, const pull_ctx_t *pc, const sl_sql_datum_t *rowtime, int64_t ws,
                       int64_t we)
{
    bool windowed = pc->windowed;
    if (pc->pseudo)
        memcpy(cx->pseudo, pc->pseudo, sizeof cx->pseudo);
    if (rowtime)
        cx->pseudo[SL_SQL_PSEUDO_ROWTIME] = *rowtime;
    if (windowed) {
        cx->pseudo[SL_SQL_PSEUDO_WINDOWSTART] = sl_sql_bigint(ws);
        cx->pseudo[SL_SQL_PSEUDO_WINDOWEND] = sl_sql_bigint(we);
    }
}

/* One store entry: through the writer's nodes above the store, the pull
 * query's WHERE and projection, into the queue. */
static void pull_row(pull_ctx_t *pc, const sl_sql_row_t *key, const sl_sql_row_t *value, int64_t ws, int64_t we)
{
    sl_arena_t *a = &pc->scratch;
    sl_arena_reset(a);
    const sl_sql_datum_t *rowtime = NULL;
    if (value && pc->rowtime_col >= 0 && (uint64_t)pc->rowtime_col < value->n &&
        value->cols[pc->rowtime_col].kind == SL_SQL_T_BIGINT)
        rowtime = &value->cols[pc->rowtime_col];
    for (uint32_t i = 0; pc->match_key && key && i < key->n && i < pc->key_schema->n_key; i++)
        if (!sl_sql_datum_eq(&key->cols[i], &pc->match_key[i], pc->key_schema->key[i].type))
            return;
    for (uint32_t i = 0; i < pc->n_chain && value; i++) {
        const sl_sql_plan_t *n = pc->chain[i];
        sl_sql_eval_t cx;
        sl_sql_eval_init(&cx, a, key, value);
        set_window(&cx, pc, rowtime, ws, we);
        if (n->kind == SL_SQL_P_FILTER && n->pred) {
            if (!sl_sql_eval_pred(n->pred, &cx))
                return;
        } else if (n->kind == SL_SQL_P_PROJECT) {
            sl_sql_row_t *nv = sl_sql_row_new(a, n->n_exprs);
            if (!nv)
                return;
            for (uint32_t j = 0; j < n->n_exprs; j++)
                sl_sql_eval(n->exprs[j], &cx, &nv->cols[j]);
            if (n->n_key_exprs > 0) {
                sl_sql_row_t *nk = sl_sql_row_new(a, n->n_key_exprs);
                if (!nk)
                    return;
                for (uint32_t j = 0; j < n->n_key_exprs; j++)
                    sl_sql_eval(n->key_exprs[j], &cx, &nk->cols[j]);
                key = nk;
            }
            value = nv;
        }
    }
    if (!value)
        return;
    const sl_sql_bound_query_t *bq = pc->bq;
    sl_sql_eval_t cx;
    sl_sql_eval_init(&cx, a, key, value);
    set_window(&cx, pc, rowtime, ws, we);
    if (bq->pull_where && !sl_sql_eval_pred(bq->pull_where, &cx))
        return;
    json_t *row = json_array();
    for (uint32_t i = 0; row && i < bq->pull_out.n_value; i++) {
        sl_sql_datum_t d;
        sl_sql_eval(bq->pull_exprs[i], &cx, &d);
        json_array_append_new(row, sl_sql_datum_to_json(&d, bq->pull_out.value[i].type));
    }
    pthread_mutex_lock(&pc->q->mu);
    if (!row)
        fail_locked(pc->q, SL_ERR_NOMEM, "out of memory");
    else if (pc->q->count >= LOCAL_QUEUE_MAX) {
        json_decref(row);
        fail_locked(pc->q, SL_ERR_TOO_LARGE, "a pull query may return at most 1000000 rows");
    } else
        push_locked(pc->q, row);
    pthread_mutex_unlock(&pc->q->mu);
}

static const sl_sql_row_t *val_row(const sl_val_t *v)
{
    if (!v)
        return NULL;
    if (v->type == SL_V_WINDOWED)
        v = v->u.win.key;
    return v && v->type == SL_V_PTR ? v->u.ptr : NULL;
}

static bool pull_kv_fn(const sl_val_t *key, const sl_val_t *value, void *arg)
{
    pull_ctx_t *pc = arg;
    pull_row(pc, val_row(key), val_row(value), 0, 0);
    return !pc->q->done;
}

static bool pull_win_fn(const sl_val_t *key, int64_t start, const sl_val_t *value, void *arg)
{
    pull_ctx_t *pc = arg;
    pull_row(pc, val_row(key), val_row(value), start, start + pc->wsize);
    return !pc->q->done;
}

static bool pull_ses_fn(const sl_val_t *key, int64_t start, int64_t end, const sl_val_t *value, void *arg)
{
    pull_ctx_t *pc = arg;
    pull_row(pc, val_row(key), val_row(value), start, end);
    return !pc->q->done;
}

static sl_err_t not_queryable(sl_sql_exec_t *x, const char *table)
{
    return sl_sql_error_set(x->err, SL_ERR_INVAL, x->stmt->pos,
                            "The `%s` table isn't queryable. To derive a queryable table, you can do "
                            "'CREATE TABLE QUERYABLE_%s AS SELECT * FROM %s'. See https://cnfl.io/queries for "
                            "more info.",
                            table, table, table);
}

/* What a WHERE's top-level conjuncts say about the key (table scans off). */
typedef struct key_conds {
    int ranges;         /* key <op> constant, op one of < <= > >= */
    int others;         /* other conditions that name the key (=, IN, ...) */
    bool or_at_top;
    bool string_key;
} key_conds_t;

static bool reads_key(const sl_sql_expr_t *e)
{
    if (!e)
        return false;
    if (e->kind == SL_SQL_E_COLUMN)
        return e->src == SL_SQL_COL_KEY;
    for (uint32_t i = 0; i < e->n_args; i++)
        if (reads_key(e->args[i]))
            return true;
    return false;
}

static void key_conds(const sl_sql_expr_t *e, key_conds_t *kc)
{
    if (!e)
        return;
    if (e->kind == SL_SQL_E_AND) {
        for (uint32_t i = 0; i < e->n_args; i++)
            key_conds(e->args[i], kc);
        return;
    }
    if (e->kind == SL_SQL_E_OR && reads_key(e)) {
        kc->or_at_top = true;
        return;
    }
    if (e->kind == SL_SQL_E_CMP && e->n_args == 2 && e->op != SL_SQL_OP_EQ && e->op != SL_SQL_OP_NE) {
        for (int side = 0; side < 2; side++) {
            const sl_sql_expr_t *col = e->args[side], *other = e->args[1 - side];
            if (col->kind == SL_SQL_E_COLUMN && col->src == SL_SQL_COL_KEY && sl_sql_expr_is_constant(other)) {
                kc->ranges++;
                kc->string_key = col->type && col->type->kind == SL_SQL_T_STRING;
                return;
            }
        }
    }
    if (reads_key(e))
        kc->others++;
}

static bool prop_false(sl_sql_exec_t *x, const char *key)
{
    const char *v = sl_sql_exec_prop(x, key);
    return v && strcmp(v, "false") == 0;
}

/* ksqlDB's ksql.query.pull.table.scan.enabled / range.scan.enabled: with
 * table scans off, a pull query must look keys up or (range scans on)
 * bound one STRING key column. */
static sl_err_t check_scan_allowed(sl_sql_exec_t *x, const sl_sql_bound_query_t *bq)
{
    if (bq->pull_key || !prop_false(x, "ksql.query.pull.table.scan.enabled"))
        return SL_OK;
    key_conds_t kc = {0};
    key_conds(bq->pull_where, &kc);
    const sl_sql_pos_t pos = x->stmt->pos;
    if (kc.or_at_top)
        return sl_sql_error_set(x->err, SL_ERR_INVAL, pos, "Query requires table scan to be enabled");
    if (kc.ranges > 1 || (kc.ranges == 1 && kc.others > 0))
        return sl_sql_error_set(x->err, SL_ERR_INVAL, pos,
                                "A comparison condition on the key column cannot be combined with other "
                                "comparisons such as an IN predicate");
    if (kc.ranges == 0 && kc.others == 0)
        return sl_sql_error_set(x->err, SL_ERR_INVAL, pos, "WHERE clause missing key column for disjunct");
    if (kc.ranges == 1 && (!kc.string_key || prop_false(x, "ksql.query.pull.range.scan.enabled")))
        return sl_sql_error_set(x->err, SL_ERR_INVAL, pos, "Query requires table scan to be enabled");
    return SL_OK;
}

/* --- pull queries on streams --- */

typedef struct scan_ctx {
    pull_ctx_t *pc;
    const sl_sql_codec_t *kc, *vc;
    const sl_sql_expr_t *ts_expr;   /* WITH (TIMESTAMP=...): the record's time; NULL: its own */
    uint32_t n_key;
    sl_arena_t arena;               /* one record's rows */
    sl_sql_datum_t pseudo[SL_SQL_PSEUDO_COUNT_];
} scan_ctx_t;

static bool scan_fn(const sl_sql_rt_record_t *rec, void *arg)
{
    scan_ctx_t *sc = arg;
    if (!rec->value)
        return !sc->pc->q->done; /* a tombstone is no row of a stream */
    sl_arena_reset(&sc->arena);
    sl_sql_row_t *k = NULL, *v = NULL;
    char err[256];
    if (rec->key)
        sl_sql_codec_decode(sc->kc, rec->key, rec->key_len, &sc->arena, &k, err, sizeof err);
    else
        k = sl_sql_row_new(&sc->arena, sc->n_key); /* a null key: NULL key columns */
    sl_sql_codec_decode(sc->vc, rec->value, rec->value_len, &sc->arena, &v, err, sizeof err);
    int64_t ts = rec->timestamp;
    if (k && v && sc->ts_expr) {
        /* As the stream's queries read it: no usable time, no record. */
        sl_sql_eval_t cx;
        sl_sql_datum_t d;
        sl_sql_eval_init(&cx, &sc->arena, k, v);
        sl_sql_eval(sc->ts_expr, &cx, &d);
        if ((d.kind != SL_SQL_T_BIGINT && d.kind != SL_SQL_T_TIMESTAMP) || d.u.i64 < 0)
            return !sc->pc->q->done;
        ts = d.u.i64;
    }
    if (k && v) {
        sc->pseudo[SL_SQL_PSEUDO_ROWTIME] = sl_sql_bigint(ts);
        sc->pseudo[SL_SQL_PSEUDO_ROWPARTITION] = sl_sql_int(rec->partition);
        sc->pseudo[SL_SQL_PSEUDO_ROWOFFSET] = sl_sql_bigint(rec->offset);
        pull_row(sc->pc, k, v, 0, 0);
    }
    return !sc->pc->q->done;
}

/* How long a cluster engine waits for a partition's records to reach the
 * end offset it saw at the start. */
#define STREAM_PULL_TIMEOUT_MS 10000

static sl_err_t scan_stream(sl_sql_exec_t *x, sl_sql_query_t *q, const sl_sql_bound_query_t *bq)
{
    const sl_sql_source_t *src = bq->pull_table;
    const sl_sql_pos_t pos = x->stmt->pos;
    sl_sql_rt_t *rt = x->e->rt;
    scan_ctx_t sc = {0};
    pull_ctx_t pc = {0};
    char err[256] = "";
    if (sl_sql_source_codecs(&q->arena, src, &sc.kc, &sc.vc, err, sizeof err))
        return sl_sql_error_set(x->err, SL_ERR_INVAL, pos, "%s", err);
    if (src->timestamp_col &&
        !(sc.ts_expr = sl_lower_source_time(&q->arena, &src->schema,
                                            sl_sql_schema_value_index(&src->schema, src->timestamp_col),
                                            src->timestamp_fmt, err, sizeof err)))
        return sl_sql_error_set(x->err, SL_ERR_INVAL, pos, "%s", err);
    sl_sql_topic_info_t info;
    if (rt->ops->topic_info(rt, src->topic, &info))
        return sl_sql_error_set(x->err, SL_ERR_NOENT, pos, "Topic '%s' does not exist", src->topic);
    int32_t parts = info.partitions;
    pc.x = x;
    pc.q = q;
    pc.bq = bq;
    pc.rowtime_col = -1;
    pc.pseudo = sc.pseudo;
    sc.pc = &pc;
    sc.n_key = src->schema.n_key;
    for (int i = 0; i < SL_SQL_PSEUDO_COUNT_; i++)
        sc.pseudo[i] = sl_sql_null();
    sl_arena_init(&pc.scratch, 4096, 0);
    sl_arena_init(&sc.arena, 4096, 0);
    sl_err_t r = SL_OK;
    if (rt->ops->read_from) {
        for (int32_t p = 0; p < parts && !r && !q->done; p++)
            r = rt->ops->read_from(rt, src->topic, p, 0, -1, STREAM_PULL_TIMEOUT_MS, scan_fn, &sc);
    } else {
        r = rt->ops->read(rt, src->topic, true, -1, 0, scan_fn, &sc);
    }
    if (r == SL_ERR_TIMEOUT)
        r = SL_OK;
    sl_arena_fini(&sc.arena);
    sl_arena_fini(&pc.scratch);
    if (r)
        return sl_sql_error_set(x->err, r, pos, "Reading the topic of %s failed: %s", src->name, sl_err_str(r));
    pthread_mutex_lock(&q->mu);
    q->done = true;
    pthread_mutex_unlock(&q->mu);
    return SL_OK;
}

static sl_err_t open_pull(sl_sql_exec_t *x, sl_sql_query_t *q, sl_sql_bound_query_t *bq)
{
    sl_sql_engine_t *e = x->e;
    const sl_sql_stmt_t *s = x->stmt;
    const sl_sql_source_t *table = bq->pull_table;
    if (!table)
        return sl_sql_error_set(x->err, SL_ERR_INVAL, s->pos, "Pull queries are only supported on tables");
    q->is_pull = true;
    q->limit = bq->pull_limit;
    q->header = header_json(q->id, bq->pull_out.value, bq->pull_out.n_value);
    if (!q->header)
        return sl_sql_error_set(x->err, SL_ERR_NOMEM, s->pos, "out of memory");
    if (!table->is_table)
        return scan_stream(x, q, bq);
    sl_sql_pquery_t *w = sl_sql_pquery_writer(e, table->name);
    if (!w || !w->plan || !w->rq)
        return not_queryable(x, table->name);
    sl_err_t r = check_scan_allowed(x, bq);
    if (r)
        return r;
    /* The writer's nodes from its root down to the one with the store: only
     * row-by-row nodes may sit above it (a join's result, say, is in no
     * store). */
    const sl_sql_plan_t *path[64];
    uint32_t n = 0;
    const sl_sql_plan_t *store_node = NULL;
    for (const sl_sql_plan_t *p = w->plan; p && n < 64; p = p->input) {
        if (p->store) {
            store_node = p;
            break;
        }
        if (p->kind != SL_SQL_P_SINK && p->kind != SL_SQL_P_FILTER && p->kind != SL_SQL_P_PROJECT &&
            p->kind != SL_SQL_P_SUPPRESS)
            break;
        path[n++] = p;
    }
    if (!store_node)
        return not_queryable(x, table->name);
    if (w->source_table)
        n = 0; /* the store holds the table's own rows */
    pull_ctx_t pc = {0};
    pc.x = x;
    pc.q = q;
    pc.bq = bq;
    pc.chain = sl_arena_calloc(&q->arena, n + 1, sizeof *pc.chain);
    if (!pc.chain)
        return sl_sql_error_set(x->err, SL_ERR_NOMEM, s->pos, "out of memory");
    for (uint32_t i = 0; i < n; i++)
        pc.chain[i] = path[n - 1 - i];
    pc.n_chain = n;
    pc.windowed = store_node->window.kind != SL_SQL_WIN_NONE;
    pc.rowtime_col = store_node->kind == SL_SQL_P_AGGREGATE ? (int64_t)SL_SQL_AGG_ROWTIME_COL(store_node) : -1;
    pc.wsize = store_node->window.size_ms;
    sl_arena_init(&pc.scratch, 4096, 0);
    sl_sql_rt_t *rt = e->rt;
    if (store_node->window.kind == SL_SQL_WIN_SESSION) {
        /* Sessions: one key's or all; WHERE's window bounds filter them. */
        sl_sql_row_t krow = {store_node->out.n_key, bq->pull_key};
        sl_val_t k = sl_val_ptr(&krow);
        r = rt->ops->ses_fetch(rt, w->rq, store_node->store, bq->pull_key ? &k : NULL, pull_ses_fn, &pc);
    } else if (pc.windowed && bq->pull_key && rt->ops->win_fetch) {
        sl_sql_row_t krow = {store_node->out.n_key, bq->pull_key};
        sl_val_t k = sl_val_ptr(&krow);
        r = rt->ops->win_fetch(rt, w->rq, store_node->store, &k, bq->pull_wstart_lo, bq->pull_wstart_hi,
                               pull_win_fn, &pc);
    } else if (pc.windowed) {
        pc.match_key = bq->pull_key;
        pc.key_schema = &store_node->out;
        r = rt->ops->win_fetch_all(rt, w->rq, store_node->store, bq->pull_wstart_lo, bq->pull_wstart_hi,
                                   pull_win_fn, &pc);
    } else if (bq->pull_key) {
        sl_sql_row_t krow = {store_node->out.n_key, bq->pull_key};
        sl_val_t k = sl_val_ptr(&krow), v = sl_val_null();
        sl_arena_t ra;
        sl_arena_init(&ra, 4096, 0);
        r = rt->ops->kv_get(rt, w->rq, store_node->store, &k, &ra, &v);
        if (!r)
            pull_row(&pc, &krow, val_row(&v), 0, 0);
        sl_app_query_release(&ra);
        sl_arena_fini(&ra);
        if (r == SL_ERR_NOENT && !e->local) {
            /* A lookup is routed by the key's store bytes, which need not
             * be how the topic was partitioned: look everywhere. */
            pc.match_key = bq->pull_key;
            pc.key_schema = &store_node->out;
            r = rt->ops->kv_all(rt, w->rq, store_node->store, pull_kv_fn, &pc);
        } else if (r == SL_ERR_NOENT) {
            r = SL_OK;
        }
    } else {
        r = rt->ops->kv_all(rt, w->rq, store_node->store, pull_kv_fn, &pc);
    }
    sl_arena_fini(&pc.scratch);
    if (r == SL_ERR_STATE)
        return sl_sql_error_set(x->err, r, s->pos,
                                "The state store of %s is not ready yet (the query is starting or restoring): "
                                "try again",
                                table->name);
    if (r)
        return sl_sql_error_set(x->err, r, s->pos, "Reading the state of %s failed: %s", table->name,
                                sl_err_str(r));
    pthread_mutex_lock(&q->mu);
    q->done = true;
    pthread_mutex_unlock(&q->mu);
    return SL_OK;
}

sl_err_t sl_sql_query_open(sl_sql_engine_t *e, const char *text, const struct json_t *props, sl_sql_query_t **out,
                           sl_sql_error_t *err)
{
    sl_sql_pos_t nopos = {0, 0};
    *out = NULL;
    if (err)
        memset(err, 0, sizeof *err);
    if (!text)
        return sl_sql_error_set(err, SL_ERR_INVAL, nopos, "no statement");
    sl_sql_query_t *q = query_alloc(e);
    if (!q)
        return sl_sql_error_set(err, SL_ERR_NOMEM, nopos, "out of memory");
    /* (no command topic poll here: the background thread keeps up, and a
     * pull query should cost no broker round trip of its own) */
    pthread_mutex_lock(&e->lock);
    sl_sql_list_t *stmts = NULL;
    sl_err_t r = sl_sql_parse(&q->arena, text, strlen(text), &stmts, err);
    if (!r && (!stmts || stmts->n != 1))
        r = sl_sql_error_set(err, SL_ERR_INVAL, nopos, "A query must be exactly one SELECT statement");
    const sl_sql_stmt_t *s = r ? NULL : stmts->items[0];
    if (!r && s->kind != SL_SQL_S_SELECT)
        r = sl_sql_error_set(err, SL_ERR_INVAL, s->pos, "Only SELECT statements can be run as queries");
    sl_sql_exec_t x = {0};
    x.e = e;
    x.stmt = s;
    x.req_props = props;
    x.arena = &q->arena;
    x.err = err;
    if (!r) {
        const char *src = s->select ? first_relation(s->select->from) : "QUERY";
        uint64_t rnd = (uint64_t)sl_time_mono_ns() * 6364136223846793005ULL + (uint64_t)(uintptr_t)q;
        snprintf(q->id, sizeof q->id, "transient_%s_%llu", src, (unsigned long long)(rnd % 9000000000000000000ULL));
        q->text = s->text;
        sl_sql_bind_env_t env;
        sl_sql_exec_bind_env(&x, &q->arena, q->id, &env);
        sl_sql_bound_query_t bq;
        memset(&bq, 0, sizeof bq);
        r = sl_sql_bind_query(&env, s, &bq, err);
        q->sources = bq.source_names;
        q->n_sources = bq.n_sources;
        if (!r && bq.is_pull)
            r = open_pull(&x, q, &bq);
        else if (!r)
            r = open_push(&x, q, &bq);
    }
    if (r && err && s && !err->statement[0] && s->text)
        snprintf(err->statement, sizeof err->statement, "%s", s->text);
    pthread_mutex_unlock(&e->lock);
    if (r) {
        query_free(q);
        return r;
    }
    *out = q;
    return SL_OK;
}

/* ---------------------------------------------------------------------------
 * Reading, cancelling, closing
 * ------------------------------------------------------------------------- */

const struct json_t *sl_sql_query_header(const sl_sql_query_t *q)
{
    return q->header;
}

const char *sl_sql_query_id(const sl_sql_query_t *q)
{
    return q->id;
}

/* Whether a cluster push query's application stopped in error (its state
 * is read without the statement lock: sl_app_state is thread-safe). */
static bool failed_app(const sl_sql_query_t *q)
{
    if (q->e->local || !q->rq || q->is_pull)
        return false;
    const char *st = q->e->rt->ops->query_state(q->e->rt, q->rq);
    return st && strcmp(st, "ERROR") == 0;
}

/* t moved ms (>= 0) later. */
static void ts_add_ms(struct timespec *t, int ms)
{
    t->tv_sec += ms / 1000;
    t->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t->tv_nsec >= 1000000000L) {
        t->tv_sec++;
        t->tv_nsec -= 1000000000L;
    }
}

sl_err_t sl_sql_query_next(sl_sql_query_t *q, int timeout_ms, struct json_t **row)
{
    *row = NULL;
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    if (timeout_ms > 0)
        ts_add_ms(&deadline, timeout_ms);
    pthread_mutex_lock(&q->mu);
    sl_err_t r = SL_OK;
    for (;;) {
        if (q->count > 0) {
            *row = q->rows[q->head];
            q->head = (q->head + 1) % q->cap;
            q->count--;
            pthread_cond_broadcast(&q->cv);
            break;
        }
        if (q->done || q->cancelled) {
            r = SL_ERR_CLOSED;
            break;
        }
        if (failed_app(q)) {
            fail_locked(q, SL_ERR_STATE, "The push query's streams application failed (see the log)");
            continue;
        }
        if (timeout_ms <= 0) {
            r = SL_ERR_TIMEOUT;
            break;
        }
        /* in slices, so a failed application is noticed while waiting */
        struct timespec slice;
        clock_gettime(CLOCK_REALTIME, &slice);
        ts_add_ms(&slice, 200);
        bool last = slice.tv_sec > deadline.tv_sec ||
                    (slice.tv_sec == deadline.tv_sec && slice.tv_nsec >= deadline.tv_nsec);
        if (pthread_cond_timedwait(&q->cv, &q->mu, last ? &deadline : &slice) == ETIMEDOUT && last &&
            q->count == 0 && !q->done && !q->cancelled) {
            r = SL_ERR_TIMEOUT;
            break;
        }
    }
    pthread_mutex_unlock(&q->mu);
    return r;
}

sl_err_t sl_sql_query_error(const sl_sql_query_t *q, sl_sql_error_t *err)
{
    sl_sql_query_t *m = (sl_sql_query_t *)q;
    pthread_mutex_lock(&m->mu);
    sl_err_t r = m->error;
    if (err) {
        if (r)
            *err = m->errinfo;
        else
            memset(err, 0, sizeof *err);
    }
    pthread_mutex_unlock(&m->mu);
    return r;
}

void sl_sql_query_cancel(sl_sql_query_t *q)
{
    if (!q)
        return;
    pthread_mutex_lock(&q->mu);
    q->cancelled = true;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

sl_err_t sl_sql_query_cancel_locked(sl_sql_engine_t *e, const char *id)
{
    sl_list_t *pos, *tmp;
    sl_list_foreach_safe(pos, tmp, &e->open) {
        sl_sql_query_t *q = sl_container_of(pos, sl_sql_query_t, link);
        if (strcmp(q->id, id) == 0 || strcasecmp(q->id, id) == 0) {
            sl_sql_query_cancel(q);
            return SL_OK;
        }
    }
    return SL_ERR_NOENT;
}

sl_err_t sl_sql_query_cancel_id(sl_sql_engine_t *e, const char *query_id)
{
    pthread_mutex_lock(&e->lock);
    sl_err_t r = sl_sql_query_cancel_locked(e, query_id);
    pthread_mutex_unlock(&e->lock);
    return r;
}

void sl_sql_query_close(sl_sql_query_t *q)
{
    if (!q)
        return;
    sl_sql_query_cancel(q);
    sl_sql_engine_t *e = q->e;
    pthread_mutex_lock(&e->lock);
    pthread_mutex_lock(&q->mu);
    sl_sql_rt_query_t *rq = q->rq;
    q->rq = NULL;
    pthread_mutex_unlock(&q->mu);
    if (rq)
        e->rt->ops->query_stop(e->rt, rq, true);
    if (q->link.next != &q->link)
        sl_list_remove(&q->link);
    pthread_mutex_unlock(&e->lock);
    query_free(q);
}

void sl_sql_open_queries_json(sl_sql_engine_t *e, json_t *arr)
{
    sl_list_t *pos, *tmp;
    sl_list_foreach_safe(pos, tmp, &e->open) {
        sl_sql_query_t *q = sl_container_of(pos, sl_sql_query_t, link);
        if (q->is_pull)
            continue;
        pthread_mutex_lock(&q->mu);
        const char *state = q->error ? "ERROR" : q->done || q->cancelled ? "NOT_RUNNING" : "RUNNING";
        pthread_mutex_unlock(&q->mu);
        json_array_append_new(arr, json_pack("{s:s, s:[], s:[], s:s, s:{s:i}, s:s, s:s}", "queryString",
                                             q->text ? q->text : "", "sinks", "sinkKafkaTopics", "id", q->id,
                                             "statusCount", state, 1, "queryType", "PUSH", "state", state));
    }
}

void sl_sql_open_queries_stop_reading(sl_sql_engine_t *e, const char *name)
{
    sl_list_t *pos, *tmp;
    sl_list_foreach_safe(pos, tmp, &e->open) {
        sl_sql_query_t *q = sl_container_of(pos, sl_sql_query_t, link);
        bool reads = false;
        for (uint32_t i = 0; i < q->n_sources && !reads; i++)
            reads = q->sources[i] && strcmp(q->sources[i], name) == 0;
        if (!reads || !q->rq)
            continue;
        /* done first (a reader then stops looking at rq), then stopped */
        pthread_mutex_lock(&q->mu);
        fail_locked(q, SL_ERR_STATE, "The query's source was dropped or replaced");
        sl_sql_rt_query_t *rq = q->rq;
        q->rq = NULL;
        pthread_mutex_unlock(&q->mu);
        e->rt->ops->query_stop(e->rt, rq, true);
    }
}
