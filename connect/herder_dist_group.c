/*
 * herder_dist_group.c - the group of distributed workers
 * (herder_dist_int.h): a consumer group of protocol type "connect" whose
 * one assignor, "sessions", hands no partitions: each member sends its
 * worker id, the leader answers every member with the members' worker ids
 * in member id order and the member's own index, as JSON
 * {"version":1,"workers":[..],"index":i}. Which member runs which
 * connector or task follows from that list alone (sl_dist_owner), so every
 * worker computes the same placement from the config topic it reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "herder_dist_int.h"

#define MOD "connect"
#define MAX_MEMBERS 4096
#define MAX_WORKER_ID 255

struct sl_dist_group {
    char *worker_id;
    sl_dist_members_fn *fn;
    void *arg;
};

int sl_dist_owner(const char *name, int task, int count)
{
    if (count <= 0)
        return -1;
    uint32_t h = (uint32_t)sl_murmur2(name, strlen(name)) & 0x7fffffffu;
    return (int)((h + (uint32_t)(task + 1)) % (uint32_t)count);
}

uint8_t *sl_dist_group_encode(const char *const *workers, int n, int index, sl_arena_t *arena,
                              int32_t *len)
{
    json_t *list = json_array();
    for (int i = 0; list && i < n; i++)
        if (json_array_append_new(list, json_string(workers[i])) != 0) {
            json_decref(list);
            list = NULL;
        }
    json_t *root = list ? json_pack("{s:i, s:o, s:i}", "version", 1, "workers", list, "index", index) : NULL;
    char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    uint8_t *out = text ? sl_arena_memdup(arena, text, strlen(text)) : NULL;
    if (out)
        *len = (int32_t)strlen(text);
    free(text);
    return out;
}

void sl_dist_members_fini(sl_dist_members_t *m)
{
    for (int i = 0; m->workers && i < m->count; i++)
        free(m->workers[i]);
    free(m->workers);
    memset(m, 0, sizeof *m);
    m->index = -1;
}

sl_err_t sl_dist_group_decode(const uint8_t *data, int32_t len, int32_t generation,
                              sl_dist_members_t *out)
{
    memset(out, 0, sizeof *out);
    out->index = -1;
    if (!data || len <= 0)
        return SL_ERR_PARSE;
    json_error_t jerr;
    json_t *j = json_loadb((const char *)data, (size_t)len, 0, &jerr);
    json_t *list = json_object_get(j, "workers");
    json_t *idx = json_object_get(j, "index");
    size_t n = json_array_size(list);
    sl_err_t err = SL_OK;
    if (!json_is_array(list) || n == 0 || n > MAX_MEMBERS || !json_is_integer(idx) ||
        json_integer_value(idx) < 0 || (size_t)json_integer_value(idx) >= n)
        err = SL_ERR_PARSE;
    if (!err && !(out->workers = calloc(n, sizeof *out->workers)))
        err = SL_ERR_NOMEM;
    for (size_t i = 0; !err && i < n; i++) {
        const char *w = json_string_value(json_array_get(list, i));
        if (!w || strlen(w) > MAX_WORKER_ID)
            err = SL_ERR_PARSE;
        else if (!(out->workers[i] = strdup(w)))
            err = SL_ERR_NOMEM;
        out->count = (int)i + 1;
    }
    if (!err) {
        out->index = (int)json_integer_value(idx);
        out->generation = generation;
    }
    json_decref(j);
    if (err)
        sl_dist_members_fini(out);
    return err;
}

static sl_err_t user_data(sl_buf_t *out, const sl_assignor_tp_t *owned, size_t n, int32_t generation,
                          void *arg)
{
    (void)owned;
    (void)n;
    (void)generation;
    sl_dist_group_t *g = arg;
    sl_buf_put(out, g->worker_id, strlen(g->worker_id));
    return SL_OK;
}

static int by_member_id(const void *a, const void *b, void *arg)
{
    const sl_assignor_member_t *m = arg;
    return strcmp(m[*(const size_t *)a].member_id, m[*(const size_t *)b].member_id);
}

static sl_err_t assign(const sl_assignor_member_t *members, size_t n, const sl_assignor_topic_t *topics,
                       size_t nt, sl_arena_t *arena, sl_assignor_result_t *out, void *arg)
{
    (void)topics;
    (void)nt;
    (void)arg;
    if (n == 0 || n > MAX_MEMBERS)
        return SL_ERR_INVAL;
    size_t *order = sl_arena_calloc(arena, n, sizeof *order);
    const char **workers = sl_arena_calloc(arena, n, sizeof *workers);
    if (!order || !workers)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    qsort_r(order, n, sizeof *order, by_member_id, (void *)members);
    for (size_t i = 0; i < n; i++) {
        const sl_assignor_member_t *m = &members[order[i]];
        bool ok = m->user_data && m->user_data_len > 0 && m->user_data_len <= MAX_WORKER_ID;
        workers[i] = sl_arena_strndup(arena, ok ? (const char *)m->user_data : m->member_id,
                                      ok ? (size_t)m->user_data_len : strlen(m->member_id));
        if (!workers[i])
            return SL_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        sl_assignor_result_t *r = &out[order[i]];
        r->user_data = sl_dist_group_encode(workers, (int)n, (int)i, arena, &r->user_data_len);
        if (!r->user_data)
            return SL_ERR_NOMEM;
    }
    return SL_OK;
}

static void on_assignment(sl_consumer_t *c, const sl_assignor_tp_t *parts, size_t n, const uint8_t *ud,
                          int32_t len, int32_t generation, void *arg)
{
    (void)c;
    (void)parts;
    (void)n;
    sl_dist_group_t *g = arg;
    sl_dist_members_t m;
    if (sl_dist_group_decode(ud, len, generation, &m) != SL_OK) {
        SL_WARN(MOD, "group generation %d: the leader's assignment is not a worker list; running nothing",
                (int)generation);
        m.generation = generation;
        m.index = -1;
    }
    g->fn(g->arg, &m);
    sl_dist_members_fini(&m);
}

sl_err_t sl_dist_group_new(sl_consumer_t *c, const char *worker_id, sl_dist_members_fn *fn,
                           void *arg, sl_dist_group_t **out)
{
    sl_dist_group_t *g = calloc(1, sizeof *g);
    if (!g || !(g->worker_id = strndup(worker_id, MAX_WORKER_ID))) {
        free(g);
        return SL_ERR_NOMEM;
    }
    g->fn = fn;
    g->arg = arg;
    sl_assignor_def_t def = {
        .name = "sessions",
        .user_data = user_data,
        .assign = assign,
        .on_assignment = on_assignment,
        .arg = g,
        .protocol_type = "connect",
    };
    sl_err_t err = sl_consumer_set_assignor(c, &def);
    if (err) {
        sl_dist_group_free(g);
        return err;
    }
    *out = g;
    return SL_OK;
}

void sl_dist_group_free(sl_dist_group_t *g)
{
    if (!g)
        return;
    free(g->worker_id);
    free(g);
}
