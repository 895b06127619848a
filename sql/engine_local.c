/*
 * engine_local.c - the local engine's own calls (sql.h): making topics,
 * producing records given as JSON text (encoded with the codecs of the
 * stream or table declared on the topic, kept per topic while the catalog
 * does not change), reading back what was written since the last read of
 * a topic (a cursor per partition), and the mock clock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

void sl_sql_topic_codecs_free(void *p)
{
    sl_sql_topic_codecs_t *tc = p;
    if (tc) {
        sl_arena_fini(&tc->arena);
        free(tc);
    }
}

static sl_err_t not_local(sl_sql_error_t *err)
{
    sl_sql_pos_t nopos = {0, 0};
    return sl_sql_error_set(err, SL_ERR_STATE, nopos, "not a local engine");
}

/* The bytes of one side of a record given as JSON text: through the codec
 * of the declared source, else the JSON text itself (a JSON string's
 * content for keys). */
static sl_err_t text_to_bytes(const sl_sql_codec_t *c, bool is_key, const char *text, sl_arena_t *arena,
                              sl_buf_t *out, bool *is_null, sl_sql_error_t *err)
{
    sl_sql_pos_t nopos = {0, 0};
    char msg[512] = "";
    *is_null = false;
    if (!text)
        text = "null";
    if (c) {
        sl_err_t r = sl_sql_codec_from_text(c, text, arena, out, is_null, msg, sizeof msg);
        if (r)
            return sl_sql_error_set(err, SL_ERR_INVAL, nopos, "%s", msg);
        return SL_OK;
    }
    json_error_t jerr;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (!j)
        return sl_sql_error_set(err, SL_ERR_INVAL, nopos, "not JSON: %s", jerr.text);
    if (json_is_null(j))
        *is_null = true;
    else if (is_key && json_is_string(j))
        sl_buf_put(out, json_string_value(j), json_string_length(j));
    else {
        char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
        if (s)
            sl_buf_put(out, s, strlen(s));
        free(s);
    }
    json_decref(j);
    return SL_OK;
}

/* The codecs of topic's records (under the statement lock); NULL when out
 * of memory or the declared source's codecs cannot be made (err says). */
static sl_sql_topic_codecs_t *topic_codecs(sl_sql_engine_t *e, const char *topic, sl_sql_error_t *err)
{
    sl_sql_pos_t nopos = {0, 0};
    sl_sql_topic_codecs_t *tc = sl_map_gets(&e->topic_codecs, topic);
    if (tc && tc->gen == e->catalog_gen)
        return tc;
    if (!tc) {
        tc = calloc(1, sizeof *tc);
        if (!tc || sl_map_put(&e->topic_codecs, topic, strlen(topic), tc, NULL) != SL_OK) {
            free(tc);
            sl_sql_error_set(err, SL_ERR_NOMEM, nopos, "out of memory");
            return NULL;
        }
    } else {
        sl_arena_fini(&tc->arena);
    }
    sl_arena_init(&tc->arena, 4096, 0);
    tc->gen = e->catalog_gen;
    tc->exists = false;
    tc->kc = tc->vc = NULL;
    tc->src = sl_sql_engine_source_on_topic(e, topic);
    char msg[512] = "";
    sl_err_t r;
    if (tc->src && (r = sl_sql_source_codecs(&tc->arena, tc->src, &tc->kc, &tc->vc, msg, sizeof msg))) {
        tc->gen = e->catalog_gen - 1; /* made again next time */
        sl_sql_error_set(err, r, nopos, "%s", msg);
        return NULL;
    }
    return tc;
}

sl_err_t sl_sql_local_produce(sl_sql_engine_t *e, const char *topic, const char *key_json, const char *value_json,
                              int64_t timestamp, sl_sql_error_t *err)
{
    sl_sql_pos_t nopos = {0, 0};
    if (err)
        err->code = SL_OK;
    if (!e->local)
        return not_local(err);
    bool knull = false, vnull = false;
    pthread_mutex_lock(&e->lock);
    sl_arena_reset(&e->scratch);
    sl_buf_reset(&e->kbuf);
    sl_buf_reset(&e->vbuf);
    sl_sql_topic_codecs_t *tc = topic_codecs(e, topic, err);
    sl_err_t r = tc ? SL_OK : (err && err->code ? err->code : SL_ERR_NOMEM);
    if (!r)
        r = text_to_bytes(tc->kc, true, key_json, &e->scratch, &e->kbuf, &knull, err);
    if (!r)
        r = text_to_bytes(tc->vc, false, value_json, &e->scratch, &e->vbuf, &vnull, err);
    if (!r && (sl_buf_err(&e->kbuf) || sl_buf_err(&e->vbuf)))
        r = sl_sql_error_set(err, SL_ERR_NOMEM, nopos, "out of memory");
    if (!r && !tc->exists) {
        sl_sql_topic_info_t info;
        if (e->rt->ops->topic_info(e->rt, topic, &info) == SL_ERR_NOENT) {
            r = e->rt->ops->topic_create(e->rt, topic, 1, 1, NULL);
            if (r == SL_ERR_EXISTS)
                r = SL_OK;
        }
        tc->exists = r == SL_OK;
    }
    if (!r) {
        static const uint8_t empty[1];
        sl_buf_t *kb = &e->kbuf, *vb = &e->vbuf;
        const uint8_t *k = knull ? NULL : (kb->data ? kb->data : empty);
        const uint8_t *v = vnull ? NULL : (vb->data ? vb->data : empty);
        r = e->rt->ops->produce(e->rt, topic, -1, k, knull ? 0 : kb->len, v, vnull ? 0 : vb->len, timestamp);
        if (r)
            sl_sql_error_set(err, r, nopos, "producing to %s: %s", topic, sl_err_str(r));
    }
    pthread_mutex_unlock(&e->lock);
    return r;
}

struct next_read {
    sl_sql_cursor_t *cur;
    bool found;
    int32_t partition;
    int64_t offset;
    int64_t timestamp;
    uint8_t *key, *value;
    size_t key_len, value_len;
    bool key_null, value_null;
};

static bool next_read_fn(const sl_sql_rt_record_t *rec, void *arg)
{
    struct next_read *nr = arg;
    int64_t next = rec->partition >= 0 && rec->partition < nr->cur->n ? nr->cur->next[rec->partition] : 0;
    if (rec->partition < 0 || rec->offset < next)
        return true;
    nr->found = true;
    nr->partition = rec->partition;
    nr->offset = rec->offset;
    nr->timestamp = rec->timestamp;
    nr->key_null = rec->key == NULL;
    nr->value_null = rec->value == NULL;
    nr->key_len = rec->key_len;
    nr->value_len = rec->value_len;
    nr->key = malloc(rec->key_len + 1);
    nr->value = malloc(rec->value_len + 1);
    if (nr->key && rec->key)
        memcpy(nr->key, rec->key, rec->key_len);
    if (nr->value && rec->value)
        memcpy(nr->value, rec->value, rec->value_len);
    return false;
}

static sl_sql_cursor_t *cursor_get(sl_sql_engine_t *e, const char *topic, int32_t need)
{
    sl_sql_cursor_t *c = sl_map_gets(&e->cursors, topic);
    if (c && c->n >= need)
        return c;
    int32_t n = need < 1 ? 1 : need;
    sl_sql_cursor_t *nc = calloc(1, sizeof *nc + (size_t)n * sizeof(int64_t));
    if (!nc)
        return NULL;
    nc->n = n;
    if (c)
        memcpy(nc->next, c->next, (size_t)c->n * sizeof(int64_t));
    void *old = NULL;
    if (sl_map_put(&e->cursors, topic, strlen(topic), nc, &old) != SL_OK) {
        free(nc);
        return NULL;
    }
    free(old);
    return nc;
}

static uint64_t be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

sl_err_t sl_sql_local_next(sl_sql_engine_t *e, const char *topic, sl_sql_local_record_t *out, sl_sql_error_t *err)
{
    sl_sql_pos_t nopos = {0, 0};
    memset(out, 0, sizeof *out);
    if (err)
        memset(err, 0, sizeof *err);
    if (!e->local)
        return not_local(err);
    sl_arena_t arena;
    sl_arena_init(&arena, 4096, 0);
    pthread_mutex_lock(&e->lock);
    sl_err_t r = SL_OK;
    const sl_sql_codec_t *kc = NULL, *vc = NULL;
    sl_sql_topic_codecs_t *tc = topic_codecs(e, topic, err);
    const sl_sql_source_t *src = tc ? tc->src : NULL;
    if (!tc)
        r = err && err->code ? err->code : SL_ERR_NOMEM;
    else if (!src)
        r = sl_sql_error_set(err, SL_ERR_INVAL, nopos, "no stream or table is declared on topic %s", topic);
    else {
        kc = tc->kc;
        vc = tc->vc;
    }
    sl_sql_topic_info_t info = {0};
    if (!r && e->rt->ops->topic_info(e->rt, topic, &info))
        r = sl_sql_error_set(err, SL_ERR_NOENT, nopos, "no record on %s", topic);
    struct next_read nr = {0};
    if (!r && !(nr.cur = cursor_get(e, topic, info.partitions)))
        r = sl_sql_error_set(err, SL_ERR_NOMEM, nopos, "out of memory");
    if (!r) {
        r = e->rt->ops->read(e->rt, topic, true, -1, 0, next_read_fn, &nr);
        if (r == SL_ERR_TIMEOUT)
            r = SL_OK;
        if (!r && !nr.found)
            r = SL_ERR_NOENT;
        if (r)
            sl_sql_error_set(err, r, nopos, "no record on %s", topic);
    }
    if (!r && (!nr.key || !nr.value))
        r = sl_sql_error_set(err, SL_ERR_NOMEM, nopos, "out of memory");
    if (!r) {
        if (nr.partition >= nr.cur->n)
            nr.cur = cursor_get(e, topic, nr.partition + 1);
        if (nr.cur)
            nr.cur->next[nr.partition] = nr.offset + 1;
        size_t klen = nr.key_len;
        if (src->window.kind != SL_SQL_WIN_NONE && !nr.key_null) {
            bool session = src->window.kind == SL_SQL_WIN_SESSION;
            size_t tail = session ? 16 : 8;
            if (klen >= tail) {
                klen -= tail;
                out->windowed = true;
                if (session) {
                    out->window_end = (int64_t)be64(nr.key + klen);
                    out->window_start = (int64_t)be64(nr.key + klen + 8);
                } else {
                    out->window_start = (int64_t)be64(nr.key + klen);
                    out->window_end = out->window_start + src->window.size_ms;
                }
            }
        }
        out->key = sl_sql_codec_to_text(kc, nr.key, klen, nr.key_null, &arena);
        out->value = sl_sql_codec_to_text(vc, nr.value, nr.value_len, nr.value_null, &arena);
        out->timestamp = nr.timestamp;
        out->partition = nr.partition;
        if (!out->key || !out->value) {
            sl_sql_local_record_clear(out);
            r = sl_sql_error_set(err, SL_ERR_NOMEM, nopos, "out of memory");
        }
    }
    pthread_mutex_unlock(&e->lock);
    free(nr.key);
    free(nr.value);
    sl_arena_fini(&arena);
    return r;
}

void sl_sql_local_record_clear(sl_sql_local_record_t *r)
{
    if (!r)
        return;
    free(r->key);
    free(r->value);
    memset(r, 0, sizeof *r);
}

sl_err_t sl_sql_local_advance(sl_sql_engine_t *e, int64_t ms)
{
    if (!e->local || !e->rt->ops->advance)
        return SL_ERR_STATE;
    pthread_mutex_lock(&e->lock);
    sl_err_t r = e->rt->ops->advance(e->rt, ms);
    if (!r)
        e->clock_ms += ms;
    pthread_mutex_unlock(&e->lock);
    return r;
}


sl_err_t sl_sql_local_topic(sl_sql_engine_t *e, const char *topic, int32_t partitions, sl_sql_error_t *err)
{
    sl_sql_pos_t nopos = {0, 0};
    if (err)
        memset(err, 0, sizeof *err);
    if (!e->local)
        return not_local(err);
    if (!topic || !*topic || partitions < 1)
        return sl_sql_error_set(err, SL_ERR_INVAL, nopos, "a topic needs a name and at least one partition");
    pthread_mutex_lock(&e->lock);
    sl_sql_topic_info_t info;
    sl_err_t r = e->rt->ops->topic_info(e->rt, topic, &info) == SL_OK
                     ? SL_ERR_EXISTS
                     : e->rt->ops->topic_create(e->rt, topic, partitions, 1, NULL);
    pthread_mutex_unlock(&e->lock);
    if (r == SL_ERR_EXISTS)
        return sl_sql_error_set(err, r, nopos, "Topic %s already exists", topic);
    if (r)
        return sl_sql_error_set(err, r, nopos, "Could not create topic %s: %s", topic, sl_err_str(r));
    return SL_OK;
}
