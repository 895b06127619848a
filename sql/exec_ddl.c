/*
 * exec_ddl.c - statements that change what the engine holds: CREATE
 * STREAM/TABLE, CREATE ... AS SELECT and INSERT INTO ... SELECT (a
 * persistent query each), INSERT INTO ... VALUES, DROP and TERMINATE. The
 * checks and sentences are ksqlDB's where it has them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine_int.h"

static char *pq_strdup(sl_sql_pquery_t *q, const char *s)
{
    return s ? sl_arena_strndup(&q->arena, s, strlen(s)) : NULL;
}

/* A new persistent query named qid for x's statement (its text copied into
 * the query's arena), or NULL with x's error set. */
static sl_sql_pquery_t *pq_new(sl_sql_exec_t *x, const char *qid)
{
    sl_sql_pquery_t *q = calloc(1, sizeof *q);
    if (!q) {
        sl_sql_error_set(x->err, SL_ERR_NOMEM, x->stmt->pos, "out of memory");
        return NULL;
    }
    sl_arena_init(&q->arena, 16384, 0);
    q->id = pq_strdup(q, qid);
    q->statement = pq_strdup(q, x->stmt->text ? x->stmt->text : "");
    return q;
}

static const char *kind_word(bool is_table)
{
    return is_table ? "table" : "stream";
}

static json_t *status(sl_sql_exec_t *x, const char *command_id, const char *message, const char *query_id)
{
    return sl_sql_status_entity(x->stmt->text, command_id, message, query_id, x->e->seq);
}

static const char *command_id(sl_sql_exec_t *x, bool is_table, const char *name, const char *action)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s/`%s`/%s", kind_word(is_table), name, action);
    return sl_arena_strndup(x->arena, buf, strlen(buf));
}

static bool name_in(char *const *names, uint32_t n, const char *name)
{
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

/* The ids of the queries reading name and of those writing it, as ksqlDB's
 * lists ("A, B"). Returns whether there is any. */
static bool queries_using(sl_sql_engine_t *e, const char *name, const sl_sql_pquery_t *skip, sl_buf_t *readers,
                          sl_buf_t *writers)
{
    bool any = false;
    sl_list_t *pos, *tmp;
    sl_list_foreach_safe(pos, tmp, &e->queries) {
        sl_sql_pquery_t *q = sl_container_of(pos, sl_sql_pquery_t, link);
        if (q == skip || q->source_table)
            continue;
        if (name_in(q->sources, q->n_sources, name)) {
            if (readers->len)
                sl_buf_put(readers, ", ", 2);
            sl_buf_put(readers, q->id, strlen(q->id));
            any = true;
        }
        if (q->sink && strcmp(q->sink, name) == 0) {
            if (writers->len)
                sl_buf_put(writers, ", ", 2);
            sl_buf_put(writers, q->id, strlen(q->id));
            any = true;
        }
    }
    sl_buf_put(readers, "", 1);
    sl_buf_put(writers, "", 1);
    return any;
}

/* ksqlDB's refusal to drop or replace a source queries still use (but
 * skip, the query a CREATE OR REPLACE replaces). */
static sl_err_t refuse_in_use(sl_sql_exec_t *x, const char *name, const sl_sql_pquery_t *skip)
{
    sl_buf_t rd, wr;
    sl_buf_init(&rd);
    sl_buf_init(&wr);
    sl_err_t r = SL_OK;
    if (queries_using(x->e, name, skip, &rd, &wr))
        r = sl_sql_error_set(x->err, SL_ERR_STATE, x->stmt->pos,
                             "Cannot drop %s.\nThe following queries read from this source: [%s].\n"
                             "The following queries write into this source: [%s].\n"
                             "You need to terminate them before dropping %s.",
                             name, rd.data ? (char *)rd.data : "", wr.data ? (char *)wr.data : "", name);
    sl_buf_free(&rd);
    sl_buf_free(&wr);
    return r;
}

static sl_err_t refuse_exists(sl_sql_exec_t *x, bool is_table, const sl_sql_source_t *existing)
{
    return sl_sql_error_set(x->err, SL_ERR_EXISTS, x->stmt->target.pos,
                            "Cannot add %s '%s': A %s with the same name already exists", kind_word(is_table),
                            x->stmt->target.name, kind_word(existing->is_table));
}

/* The statement's text with PARTITIONS=2 added to its WITH clause, for the
 * missing topic's sentence. */
static void with_partitions_example(const char *text, char *out, size_t len)
{
    const char *p = text, *with = NULL;
    for (; *p; p++) {
        if (strncasecmp(p, "WITH", 4) == 0) {
            const char *q = p + 4;
            while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')
                q++;
            if (*q == '(') {
                with = q + 1;
                break;
            }
        }
    }
    if (!with) {
        snprintf(out, len, "%s", text);
        return;
    }
    snprintf(out, len, "%.*s", (int)(with - text), text);
    size_t n = strlen(out);
    const char *rest = with;
    while (*rest == ' ')
        rest++;
    /* PARTITIONS after the first property, as ksqlDB's formatter puts it. */
    const char *comma = strchr(rest, ',');
    const char *close = strchr(rest, ')');
    if (comma && (!close || comma < close))
        snprintf(out + n, len - n, "%.*s, PARTITIONS=2%s", (int)(comma - rest), rest, comma);
    else if (close)
        snprintf(out + n, len - n, "%.*s, PARTITIONS=2%s", (int)(close - rest), rest, close);
    else
        snprintf(out + n, len - n, "%s", rest);
}

/* Makes sure topic exists (creating it with partitions/replicas when it does
 * not); fills *info. */
static sl_err_t ensure_topic(sl_sql_exec_t *x, const char *topic, int32_t partitions, int16_t replicas,
                             sl_sql_topic_info_t *info)
{
    sl_sql_rt_t *rt = x->e->rt;
    sl_err_t r = rt->ops->topic_info(rt, topic, info);
    if (r != SL_ERR_NOENT)
        return r ? sl_sql_error_set(x->err, r, x->stmt->pos, "topic %s: %s", topic, sl_err_str(r)) : SL_OK;
    if (partitions <= 0)
        partitions = 1;
    if (replicas <= 0) {
        const char *rep = sl_sql_exec_prop(x, "sql.internal.topic.replicas");
        replicas = (int16_t)(rep ? atoi(rep) : (x->e->local ? 1 : -1));
        if (replicas == 0)
            replicas = -1;
    }
    r = rt->ops->topic_create(rt, topic, partitions, replicas, NULL);
    if (r && r != SL_ERR_EXISTS && r != SL_ERR_TOPIC_ALREADY_EXISTS)
        return sl_sql_error_set(x->err, r, x->stmt->pos, "Could not create topic %s: %s", topic, sl_err_str(r));
    info->name = topic;
    info->partitions = partitions;
    info->replicas = replicas;
    return SL_OK;
}

/* ---------------------------------------------------------------------------
 * CREATE STREAM / TABLE
 * ------------------------------------------------------------------------- */

static void no_rows(const sl_sql_row_t *key, const sl_sql_row_t *value, int64_t rowtime, int64_t wstart,
                    int64_t wend, void *arg)
{
    (void)key, (void)value, (void)rowtime, (void)wstart, (void)wend, (void)arg;
}

/* CREATE SOURCE TABLE: a query (CST_<NAME>_<n>) folds the topic into the
 * table's store from the earliest record, so pull queries can read it. */
static sl_err_t materialize_source_table(sl_sql_exec_t *x, const char *name)
{
    sl_sql_engine_t *e = x->e;
    const sl_sql_stmt_t *s = x->stmt;
    char qid[300];
    if (x->query_id)
        snprintf(qid, sizeof qid, "%s", x->query_id);
    else
        snprintf(qid, sizeof qid, "CST_%s_%lld", name, (long long)e->seq);
    sl_sql_pquery_t *q = pq_new(x, qid);
    if (!q)
        return SL_ERR_NOMEM;
    q->source_table = true;
    q->sink = pq_strdup(q, name);
    const sl_sql_source_t *src = sl_sql_catalog_find(e->catalog, name);
    q->sink_topic = pq_strdup(q, src && src->topic ? src->topic : "");
    char sql[600];
    snprintf(sql, sizeof sql, "SELECT * FROM `%s` EMIT CHANGES;", name);
    const char *text = pq_strdup(q, sql);
    sl_sql_list_t *stmts = NULL;
    sl_sql_bound_query_t bq;
    memset(&bq, 0, sizeof bq);
    sl_builder_t *b = NULL;
    char errbuf[1024] = "";
    sl_err_t r = sl_sql_parse(&q->arena, text, strlen(text), &stmts, x->err);
    if (!r && (!stmts || stmts->n != 1))
        r = sl_sql_error_set(x->err, SL_ERR_INVAL, s->pos, "Could not materialize %s", name);
    if (!r) {
        sl_sql_bind_env_t env;
        sl_sql_exec_bind_env(x, &q->arena, q->id, &env);
        r = sl_sql_bind_query(&env, stmts->items[0], &bq, x->err);
    }
    if (!r && (!bq.root || bq.is_pull))
        r = sl_sql_error_set(x->err, SL_ERR_INVAL, s->pos, "Could not materialize %s", name);
    if (!r && !(b = sl_builder_new()))
        r = sl_sql_error_set(x->err, SL_ERR_NOMEM, s->pos, "out of memory");
    if (!r) {
        q->plan = bq.root;
        sl_sql_lower_env_t lenv;
        sl_sql_engine_lower_env(e, &q->arena, &lenv);
        lenv.emit_row = no_rows;
        r = sl_sql_lower(b, bq.root, &lenv, x->err);
    }
    if (!r && (r = sl_topology_build(b, &q->topo, errbuf, sizeof errbuf)))
        sl_sql_error_set(x->err, r, s->pos, "%s", errbuf);
    sl_builder_free(b);
    if (!r) {
        char app_id[512];
        sl_sql_engine_app_id(e, q->id, app_id, sizeof app_id);
        errbuf[0] = 0;
        r = e->rt->ops->query_start(e->rt, q->topo, app_id, "auto.offset.reset=earliest\n", &q->rq, errbuf,
                                    sizeof errbuf);
        if (r)
            sl_sql_error_set(x->err, r, s->pos, "Could not start query %s: %s", q->id, errbuf);
    }
    if (r) {
        sl_sql_pquery_stop(e, q, true);
        return r;
    }
    sl_list_insert_tail(&e->queries, &q->link);
    x->made_query_id = sl_arena_strndup(x->arena, q->id, strlen(q->id));
    return SL_OK;
}

sl_err_t sl_sql_exec_create(sl_sql_exec_t *x)
{
    const sl_sql_stmt_t *s = x->stmt;
    sl_sql_engine_t *e = x->e;
    bool is_table = s->kind == SL_SQL_S_CREATE_TABLE;
    const sl_sql_source_t *existing = sl_sql_catalog_find(e->catalog, s->target.name);
    if (existing && s->if_not_exists) {
        char msg[512];
        snprintf(msg, sizeof msg, "Cannot add %s '%s': A %s with the same name already exists", kind_word(is_table),
                 s->target.name, kind_word(existing->is_table));
        return sl_sql_exec_entity(x, status(x, command_id(x, is_table, s->target.name, "create"), msg, NULL));
    }
    sl_sql_bind_env_t env;
    sl_sql_exec_bind_env(x, x->arena, NULL, &env);
    sl_sql_source_t *src = NULL;
    sl_err_t r = sl_sql_bind_create(&env, s, &src, x->err);
    if (r)
        return r;
    if (existing && !s->or_replace) {
        sl_sql_source_free(src);
        return refuse_exists(x, is_table, existing);
    }
    if (existing && (r = refuse_in_use(x, s->target.name, NULL))) {
        sl_sql_source_free(src);
        return r;
    }
    if (existing)
        sl_sql_open_queries_stop_reading(e, s->target.name);
    sl_sql_pquery_t *cst = existing ? sl_sql_pquery_writer(e, s->target.name) : NULL;
    if (cst && cst->source_table)
        sl_sql_pquery_stop(e, cst, true); /* it reads the entry being replaced */
    sl_sql_topic_info_t info = {0};
    r = e->rt->ops->topic_info(e->rt, src->topic, &info);
    if (r == SL_ERR_NOENT && src->partitions <= 0) {
        char example[1024];
        with_partitions_example(s->text ? s->text : "", example, sizeof example);
        r = sl_sql_error_set(x->err, SL_ERR_NOENT, s->pos,
                             "Topic '%s' does not exist. If you want to create a new topic for the stream/table "
                             "please re-run the statement providing the required 'PARTITIONS' configuration in "
                             "the WITH clause (and optionally 'REPLICAS'). For example: %s",
                             src->topic, example);
    } else if (r == SL_ERR_NOENT) {
        r = ensure_topic(x, src->topic, src->partitions, src->replicas, &info);
    } else if (r) {
        r = sl_sql_error_set(x->err, r, s->pos, "topic %s: %s", src->topic, sl_err_str(r));
    } else if (src->partitions > 0 && info.partitions != src->partitions) {
        r = sl_sql_error_set(x->err, SL_ERR_INVAL, s->pos,
                             "A Kafka topic with the name '%s' already exists, with different partition/replica "
                             "configuration than required. KSQL expects %d partitions (topic has %d), %d "
                             "replication factor (topic has %d).",
                             src->topic, (int)src->partitions, (int)info.partitions,
                             (int)(src->replicas > 0 ? src->replicas : info.replicas), (int)info.replicas);
    }
    if (r) {
        sl_sql_source_free(src);
        return r;
    }
    src->partitions = info.partitions;
    if (src->replicas <= 0)
        src->replicas = info.replicas;
    if (!src->statement && s->text)
        src->statement = sl_arena_strndup(src->arena, s->text, strlen(s->text));
    char name[256];
    snprintf(name, sizeof name, "%s", s->target.name);
    r = sl_sql_catalog_add(e->catalog, src, s->or_replace);
    if (r) {
        sl_sql_source_free(src);
        return refuse_exists(x, is_table, sl_sql_catalog_find(e->catalog, name));
    }
    if (is_table && s->source && (r = materialize_source_table(x, name))) {
        sl_sql_catalog_remove(e->catalog, name);
        return r;
    }
    x->record = true;
    return sl_sql_exec_entity(x, status(x, command_id(x, is_table, name, "create"),
                                        is_table ? "Table created" : "Stream created", NULL));
}

/* ---------------------------------------------------------------------------
 * CREATE ... AS SELECT, INSERT INTO ... SELECT
 * ------------------------------------------------------------------------- */

/* The leftmost relation of a FROM clause. */
static const char *first_relation(const sl_sql_ast_from_t *f)
{
    while (f && f->is_join)
        f = f->left;
    return f ? f->name.name : NULL;
}


sl_err_t sl_sql_exec_create_as(sl_sql_exec_t *x)
{
    const sl_sql_stmt_t *s = x->stmt;
    sl_sql_engine_t *e = x->e;
    bool insert = s->kind == SL_SQL_S_INSERT_INTO;
    bool is_table = s->kind == SL_SQL_S_CREATE_TABLE_AS;
    const char *sink_name = s->target.name;
    const sl_sql_source_t *existing = sl_sql_catalog_find(e->catalog, sink_name);
    sl_sql_pquery_t *old_writer = NULL;
    if (insert && existing && existing->is_source)
        return sl_sql_error_set(x->err, SL_ERR_INVAL, s->target.pos, "Cannot insert into read-only %s: %s",
                                kind_word(existing->is_table), existing->name);
    if (!insert && existing) {
        if (s->if_not_exists) {
            char msg[512];
            snprintf(msg, sizeof msg, "Cannot add %s '%s': A %s with the same name already exists",
                     kind_word(is_table), sink_name, kind_word(existing->is_table));
            return sl_sql_exec_entity(x, status(x, command_id(x, is_table, sink_name, "create"), msg, NULL));
        }
        if (!s->or_replace || existing->is_table != is_table)
            return refuse_exists(x, is_table, existing);
        old_writer = sl_sql_pquery_writer(e, sink_name);
    }

    /* The query id: the recorded one on replay, the replaced query's for
     * OR REPLACE, else ksqlDB's pattern with the statement counter. */
    char qid[300];
    if (x->query_id)
        snprintf(qid, sizeof qid, "%s", x->query_id);
    else if (old_writer)
        snprintf(qid, sizeof qid, "%s", old_writer->id);
    else if (insert)
        snprintf(qid, sizeof qid, "INSERTQUERY_%lld", (long long)e->seq);
    else
        snprintf(qid, sizeof qid, "%s_%s_%lld", is_table ? "CTAS" : "CSAS", sink_name, (long long)e->seq);
    if (sl_sql_pquery_find(e, qid) && !old_writer)
        return sl_sql_error_set(x->err, SL_ERR_EXISTS, s->pos, "A query with id %s is already running", qid);

    sl_sql_pquery_t *q = pq_new(x, qid);
    if (!q)
        return SL_ERR_NOMEM;
    q->insert = insert;

    /* The plan points into the syntax tree: the query parses its own copy,
     * which lives in its arena as long as it runs. */
    sl_sql_list_t *own = NULL;
    sl_err_t r = sl_sql_parse(&q->arena, q->statement, strlen(q->statement), &own, x->err);
    if (!r && (!own || own->n != 1 || ((sl_sql_stmt_t *)own->items[0])->kind != s->kind))
        r = sl_sql_error_set(x->err, SL_ERR_INVAL, s->pos, "The statement's text does not parse on its own");
    if (r) {
        sl_sql_pquery_stop(e, q, false);
        return r;
    }
    s = own->items[0];
    sl_sql_bind_env_t env;
    sl_sql_exec_bind_env(x, &q->arena, q->id, &env);
    const char *first = s->select ? first_relation(s->select->from) : NULL;
    const sl_sql_source_t *first_src = first ? sl_sql_catalog_find(e->catalog, first) : NULL;
    if (first_src && first_src->partitions > 0)
        env.default_partitions = first_src->partitions;
    sl_sql_bound_query_t bq;
    memset(&bq, 0, sizeof bq);
    sl_builder_t *b = NULL;
    char errbuf[1024] = "";
    char *props = NULL;
    r = sl_sql_bind_query(&env, s, &bq, x->err);
    if (!r && (!bq.root || !bq.root->topic || bq.is_pull))
        r = sl_sql_error_set(x->err, SL_ERR_INVAL, s->pos, "The statement does not write to a topic");
    if (!r && !insert && !bq.sink)
        r = sl_sql_error_set(x->err, SL_ERR_INVAL, s->pos, "The statement makes no %s", kind_word(is_table));
    if (!r && existing && !insert)
        r = refuse_in_use(x, sink_name, old_writer);
    if (!r) {
        sl_sql_plan_optimize(&q->arena, bq.root);
        q->plan = bq.root;
        b = sl_builder_new();
        if (!b)
            r = sl_sql_error_set(x->err, SL_ERR_NOMEM, s->pos, "out of memory");
    }
    if (!r) {
        sl_sql_lower_env_t lenv;
        sl_sql_engine_lower_env(e, &q->arena, &lenv);
        r = sl_sql_lower(b, bq.root, &lenv, x->err);
    }
    if (!r && (r = sl_topology_build(b, &q->topo, errbuf, sizeof errbuf)))
        sl_sql_error_set(x->err, r, s->pos, "%s", errbuf);
    sl_builder_free(b);

    /* The sink's topic: the sink's partitions, else the first source's. */
    sl_sql_topic_info_t info = {0};
    if (!r) {
        int32_t parts = env.default_partitions;
        int16_t reps = -1;
        if (bq.sink && bq.sink->partitions > 0)
            parts = bq.sink->partitions;
        if (bq.sink && bq.sink->replicas > 0)
            reps = bq.sink->replicas;
        r = ensure_topic(x, bq.root->topic, parts, reps, &info);
        if (!r && bq.sink) {
            bq.sink->partitions = info.partitions;
            bq.sink->replicas = info.replicas;
        }
    }
    if (!r && old_writer) {
        sl_sql_pquery_stop(e, old_writer, false);
        old_writer = NULL;
    }
    if (!r && !(props = sl_sql_exec_streams_props(x)))
        r = sl_sql_error_set(x->err, SL_ERR_NOMEM, s->pos, "out of memory");
    if (!r) {
        char app_id[512];
        sl_sql_engine_app_id(e, q->id, app_id, sizeof app_id);
        errbuf[0] = 0;
        r = e->rt->ops->query_start(e->rt, q->topo, app_id, props, &q->rq, errbuf, sizeof errbuf);
        if (r)
            sl_sql_error_set(x->err, r, s->pos, "Could not start query %s: %s", q->id, errbuf);
    }
    free(props);
    if (r) {
        if (bq.sink)
            sl_sql_source_free(bq.sink);
        sl_sql_pquery_stop(e, q, true);
        return r;
    }

    /* Registered: the sink joins the catalog, the query the registry. */
    q->sink = pq_strdup(q, insert ? sink_name : bq.sink->name);
    q->sink_topic = pq_strdup(q, bq.root->topic);
    q->n_sources = bq.n_sources;
    q->sources = sl_arena_calloc(&q->arena, bq.n_sources + 1, sizeof *q->sources);
    for (uint32_t i = 0; q->sources && i < bq.n_sources; i++)
        q->sources[i] = pq_strdup(q, bq.source_names[i]);
    if (!q->sources)
        q->n_sources = 0;
    char sink_copy[256];
    snprintf(sink_copy, sizeof sink_copy, "%s", q->sink);
    if (bq.sink) {
        if (existing)
            sl_sql_open_queries_stop_reading(e, sink_copy);
        bq.sink->writer_query = sl_arena_strndup(bq.sink->arena, q->id, strlen(q->id));
        if (!bq.sink->statement && s->text)
            bq.sink->statement = sl_arena_strndup(bq.sink->arena, s->text, strlen(s->text));
        r = sl_sql_catalog_add(e->catalog, bq.sink, true);
        if (r) {
            sl_sql_source_free(bq.sink);
            sl_sql_pquery_stop(e, q, true);
            return sl_sql_error_set(x->err, r, s->pos, "Could not add %s to the catalog", sink_copy);
        }
    }
    sl_list_insert_tail(&e->queries, &q->link);
    x->record = true;
    x->made_query_id = sl_arena_strndup(x->arena, q->id, strlen(q->id));
    char msg[512];
    snprintf(msg, sizeof msg, "Created query with ID %s", q->id);
    const sl_sql_source_t *sink = sl_sql_catalog_find(e->catalog, sink_copy);
    return sl_sql_exec_entity(x, status(x, command_id(x, sink ? sink->is_table : is_table, sink_copy,
                                                      insert ? "insert" : "create"),
                                        msg, x->made_query_id));
}

/* ---------------------------------------------------------------------------
 * INSERT INTO ... VALUES
 * ------------------------------------------------------------------------- */

static bool row_all_null(const sl_sql_row_t *row)
{
    for (uint32_t i = 0; row && i < row->n; i++)
        if (!sl_sql_datum_is_null(&row->cols[i]))
            return false;
    return true;
}

sl_err_t sl_sql_exec_insert_values(sl_sql_exec_t *x)
{
    const sl_sql_stmt_t *s = x->stmt;
    sl_sql_engine_t *e = x->e;
    sl_sql_bind_env_t env;
    sl_sql_exec_bind_env(x, x->arena, NULL, &env);
    const sl_sql_source_t *target = NULL;
    sl_sql_row_t *key = NULL, *value = NULL;
    int64_t ts = -1;
    sl_err_t r = sl_sql_bind_insert_values(&env, s, &target, &key, &value, &ts, x->err);
    if (r)
        return r;
    if (target->window.kind != SL_SQL_WIN_NONE)
        return sl_sql_error_set(x->err, SL_ERR_INVAL, s->pos, "Cannot insert values into windowed %s %s",
                                kind_word(target->is_table), target->name);
    char errbuf[512] = "";
    const sl_sql_codec_t *kc = NULL, *vc = NULL;
    if ((r = sl_sql_source_codecs(x->arena, target, &kc, &vc, errbuf, sizeof errbuf)))
        return sl_sql_error_set(x->err, r, s->pos, "%s", errbuf);
    sl_buf_t kb, vb;
    sl_buf_init(&kb);
    sl_buf_init(&vb);
    bool key_null = target->schema.n_key == 0 || !key || row_all_null(key);
    bool value_null = !value;
    if (!key_null && (r = sl_sql_codec_encode(kc, key, &kb)))
        sl_sql_error_set(x->err, r, s->pos, "Failed to insert values into '%s': the key cannot be written as %s",
                         target->name, sl_sql_fmt_name(target->key_fmt.kind));
    if (!r && !value_null && (r = sl_sql_codec_encode(vc, value, &vb)))
        sl_sql_error_set(x->err, r, s->pos, "Failed to insert values into '%s': the value cannot be written as %s",
                         target->name, sl_sql_fmt_name(target->value_fmt.kind));
    if (!r) {
        if (ts < 0)
            ts = e->local ? e->clock_ms : sl_time_wall_ms();
        static const uint8_t empty[1];
        r = e->rt->ops->produce(e->rt, target->topic, -1, key_null ? NULL : (kb.data ? kb.data : empty),
                                key_null ? 0 : kb.len, value_null ? NULL : (vb.data ? vb.data : empty),
                                value_null ? 0 : vb.len, ts);
        if (r)
            sl_sql_error_set(x->err, r, s->pos, "Failed to insert values into '%s': %s", target->name,
                             sl_err_str(r));
    }
    sl_buf_free(&kb);
    sl_buf_free(&vb);
    return r; /* no entity: ksqlDB's answer to INSERT VALUES has none */
}

/* ---------------------------------------------------------------------------
 * DROP, TERMINATE
 * ------------------------------------------------------------------------- */

struct shared_topic {
    const char *name, *topic;
    sl_buf_t others;
};

static bool shared_topic_fn(const sl_sql_source_t *src, void *arg)
{
    struct shared_topic *st = arg;
    if (strcmp(src->name, st->name) != 0 && src->topic && strcmp(src->topic, st->topic) == 0) {
        if (st->others.len)
            sl_buf_put(&st->others, ", ", 2);
        sl_buf_put(&st->others, src->name, strlen(src->name));
    }
    return true;
}

/* DELETE TOPIC of a topic other sources are declared on: ksqlDB refuses. */
static sl_err_t refuse_shared_topic(sl_sql_exec_t *x, const char *name, const char *topic)
{
    struct shared_topic st = {name, topic, {0}};
    sl_buf_init(&st.others);
    sl_sql_catalog_each(x->e->catalog, shared_topic_fn, &st);
    sl_err_t r = SL_OK;
    if (st.others.len) {
        sl_buf_put(&st.others, "", 1);
        r = sl_sql_error_set(x->err, SL_ERR_STATE, x->stmt->pos,
                             "Refusing to delete topic. Found other data sources (%s) using topic %s",
                             st.others.data ? (const char *)st.others.data : "", topic);
    }
    sl_buf_free(&st.others);
    return r;
}

sl_err_t sl_sql_exec_drop(sl_sql_exec_t *x)
{
    const sl_sql_stmt_t *s = x->stmt;
    sl_sql_engine_t *e = x->e;
    const char *name = s->target.name;
    const sl_sql_source_t *src = sl_sql_catalog_find(e->catalog, name);
    char msg[1024];
    if (!src) {
        if (!s->if_exists)
            return sl_sql_error_set(x->err, SL_ERR_NOENT, s->target.pos, "Source %s does not exist.", name);
        snprintf(msg, sizeof msg, "Source `%s` does not exist.", name);
        return sl_sql_exec_entity(x, status(x, command_id(x, s->is_table, name, "drop"), msg, NULL));
    }
    if (src->is_table != s->is_table)
        return sl_sql_error_set(x->err, SL_ERR_INVAL, s->target.pos,
                                "Incompatible data source type is %s, but statement was DROP %s",
                                src->is_table ? "TABLE" : "STREAM", s->is_table ? "TABLE" : "STREAM");
    sl_err_t r = refuse_in_use(x, name, NULL);
    if (r)
        return r;
    sl_sql_open_queries_stop_reading(e, name);
    sl_sql_pquery_t *cst = sl_sql_pquery_writer(e, name);
    if (cst && cst->source_table)
        sl_sql_pquery_stop(e, cst, true);
    char topic[512];
    snprintf(topic, sizeof topic, "%s", src->topic ? src->topic : "");
    bool is_table = src->is_table;
    if (s->delete_topic && *topic && (r = refuse_shared_topic(x, name, topic)))
        return r;
    if (s->delete_topic && *topic) {
        r = e->rt->ops->topic_delete(e->rt, topic);
        if (r && r != SL_ERR_NOENT && r != SL_ERR_UNKNOWN_TOPIC_OR_PARTITION)
            return sl_sql_error_set(x->err, r, s->pos, "Could not delete the topic %s: %s", topic, sl_err_str(r));
        sl_map_del(&e->cursors, topic, strlen(topic), NULL);
    }
    char name_copy[256];
    snprintf(name_copy, sizeof name_copy, "%s", name);
    sl_sql_catalog_remove(e->catalog, name);
    snprintf(msg, sizeof msg, "Source `%s` (topic: %s) was dropped.", name_copy, topic);
    x->record = true;
    return sl_sql_exec_entity(x, status(x, command_id(x, is_table, name_copy, "drop"), msg, NULL));
}

sl_err_t sl_sql_exec_terminate(sl_sql_exec_t *x)
{
    const sl_sql_stmt_t *s = x->stmt;
    sl_sql_engine_t *e = x->e;
    char cid[512];
    if (s->all) {
        sl_list_t *pos, *tmp;
        sl_list_foreach_safe(pos, tmp, &e->queries) {
            sl_sql_pquery_t *q = sl_container_of(pos, sl_sql_pquery_t, link);
            if (!q->source_table)
                sl_sql_pquery_stop(e, q, true);
        }
        x->record = true;
        return sl_sql_exec_entity(x, status(x, "terminate/ALL/execute", "Query terminated.", NULL));
    }
    const char *id = s->target.name;
    sl_sql_pquery_t *q = sl_sql_pquery_find(e, id);
    if (!q) {
        if (sl_sql_query_cancel_locked(e, id) == SL_OK) {
            snprintf(cid, sizeof cid, "terminate/%s/execute", id);
            return sl_sql_exec_entity(x, status(x, cid, "Query terminated.", NULL));
        }
        return sl_sql_error_set(x->err, SL_ERR_NOENT, s->target.pos, "Unknown queryId: %s", id);
    }
    if (q->source_table)
        return sl_sql_error_set(x->err, SL_ERR_INVAL, s->target.pos,
                                "Cannot terminate query '%s' because it is linked to a source table.", q->id);
    snprintf(cid, sizeof cid, "terminate/%s/execute", q->id);
    sl_sql_pquery_stop(e, q, true);
    x->record = true;
    return sl_sql_exec_entity(x, status(x, cid, "Query terminated.", NULL));
}
