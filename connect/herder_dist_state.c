/*
 * herder_dist_state.c - the config and status topics of distributed
 * workers read into state (herder_dist_int.h). Config records are Kafka
 * Connect's: connector-<name> {"properties":{..}}, task-<name>-<n>
 * {"properties":{..}} staged until commit-<name> {"tasks":N} makes tasks
 * 0..N-1 current, target-state-<name> {"state":"PAUSED"|"STARTED"},
 * restart-connector-<name> {"include-tasks":b,"only-failed":b}, and
 * Sluice's restart-task-<name>-<n> {}; tombstones delete. Status records:
 * status-connector-<name> and status-task-<name>-<n> with
 * {"state","trace","worker_id","generation"}. Records come from other
 * processes: anything malformed is logged and skipped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "herder_dist_int.h"

#define MOD "connect"
#define MAX_TASKS 1024

struct sl_dist_state {
    sl_dist_conn_t **conns;     /* sorted by name */
    size_t count, cap;
    sl_map_t status;            /* "<task>/<name>" -> sl_dist_status_t */
};

sl_dist_state_t *sl_dist_state_new(void)
{
    sl_dist_state_t *s = calloc(1, sizeof *s);
    if (s)
        sl_map_init(&s->status);
    return s;
}

static void tasks_free(sl_props_t **tasks, int n)
{
    for (int i = 0; tasks && i < n; i++)
        sl_props_free(tasks[i]);
    free(tasks);
}

static void conn_free(sl_dist_conn_t *c)
{
    free(c->name);
    sl_props_free(c->config);
    tasks_free(c->tasks, c->task_count);
    tasks_free(c->staged, c->staged_cap);
    free(c);
}

static void status_free(void *v)
{
    sl_dist_status_t *st = v;
    if (!st)
        return;
    free(st->state);
    free(st->trace);
    free(st->worker_id);
    free(st);
}

void sl_dist_state_free(sl_dist_state_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->count; i++)
        conn_free(s->conns[i]);
    free(s->conns);
    sl_map_fini(&s->status, status_free);
    free(s);
}

/* The slot of name in the sorted array (where it is or would go). */
static size_t find_slot(const sl_dist_state_t *s, const char *name, size_t len, bool *found)
{
    size_t lo = 0, hi = s->count;
    *found = false;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *m = s->conns[mid]->name;
        int c = strncmp(m, name, len);
        if (c == 0 && m[len])
            c = 1;
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

sl_dist_conn_t *sl_dist_state_conn(const sl_dist_state_t *s, const char *name)
{
    bool found;
    size_t i = find_slot(s, name, strlen(name), &found);
    return found && s->conns[i]->config ? s->conns[i] : NULL;
}

/* The entry of name, created (without a config) when missing. */
static sl_dist_conn_t *conn_get(sl_dist_state_t *s, const char *name, size_t len)
{
    bool found;
    size_t i = find_slot(s, name, len, &found);
    if (found)
        return s->conns[i];
    void *grown = sl_connect_array_grow(s->conns, s->count, &s->cap, sizeof *s->conns, 8);
    sl_dist_conn_t *c = calloc(1, sizeof *c);
    char *copy = strndup(name, len);
    if (!grown || !c || !copy) {
        free(c);
        free(copy);
        if (grown)
            s->conns = grown;
        return NULL;
    }
    s->conns = grown;
    c->name = copy;
    memmove(&s->conns[i + 1], &s->conns[i], (s->count - i) * sizeof *s->conns);
    s->conns[i] = c;
    s->count++;
    return c;
}

sl_dist_conn_t *const *sl_dist_state_conns(const sl_dist_state_t *s, size_t *n)
{
    *n = s->count;
    return s->conns;
}

/* ---- JSON -------------------------------------------------------------------- */

static json_t *parse(const char *value, size_t vlen)
{
    json_error_t jerr;
    json_t *j = value ? json_loadb(value, vlen, JSON_REJECT_DUPLICATES, &jerr) : NULL;
    if (j && !json_is_object(j)) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

/* {"properties":{..}} into new props; strings as they are, other scalars as
 * JSON text. NULL when malformed or out of memory. */
static sl_props_t *props_of(const json_t *j)
{
    json_t *props = json_object_get(j, "properties");
    if (!json_is_object(props))
        return NULL;
    sl_props_t *p = sl_props_new();
    const char *k;
    json_t *v;
    json_object_foreach(props, k, v) {
        char *text = json_is_string(v) ? NULL : json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        const char *val = json_is_string(v) ? json_string_value(v) : text;
        if (!p || !val || json_is_null(v) || sl_props_set(p, k, val, 0) != SL_OK) {
            free(text);
            if (json_is_null(v) && p)
                continue;
            sl_props_free(p);
            return NULL;
        }
        free(text);
    }
    return p;
}

char *sl_dist_props_json(const sl_props_t *p)
{
    json_t *props = json_object();
    json_t *root = json_object();
    bool ok = props && root;
    for (size_t i = 0; ok && i < sl_props_count(p); i++) {
        const char *k, *v;
        sl_props_at(p, i, &k, &v, NULL);
        ok = json_object_set_new(props, k, json_string(v)) == 0;
    }
    char *text = NULL;
    if (ok && json_object_set(root, "properties", props) == 0)
        text = json_dumps(root, JSON_COMPACT);
    json_decref(props);
    json_decref(root);
    return text;
}

char *sl_dist_status_json(const char *state, const char *trace, const char *worker_id,
                          int32_t generation)
{
    json_t *j = json_pack("{s:s, s:s?, s:s, s:i}", "state", state, "trace", trace, "worker_id",
                          worker_id ? worker_id : "", "generation", (int)generation);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return text;
}

char *sl_dist_key(const char *kind, const char *name, int task)
{
    size_t len = strlen(kind) + strlen(name) + 16;
    char *key = malloc(len);
    if (!key)
        return NULL;
    if (task >= 0)
        snprintf(key, len, "%s-%s-%d", kind, name, task);
    else
        snprintf(key, len, "%s-%s", kind, name);
    return key;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *sl_dist_props_text(const sl_props_t *p)
{
    size_t n = sl_props_count(p);
    const char **keys = calloc(n ? n : 1, sizeof *keys);
    if (!keys)
        return NULL;
    for (size_t i = 0; i < n; i++)
        sl_props_at(p, i, &keys[i], NULL, NULL);
    qsort(keys, n, sizeof *keys, cmp_str);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    for (size_t i = 0; f && i < n; i++)
        fprintf(f, "%s=%s\n", keys[i], sl_props_get(p, keys[i]));
    free(keys);
    if (!f || fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

sl_props_t *sl_dist_props_dup(const sl_props_t *p)
{
    sl_props_t *copy = sl_props_new();
    for (size_t i = 0; copy && i < sl_props_count(p); i++) {
        const char *k, *v;
        sl_props_at(p, i, &k, &v, NULL);
        if (sl_props_set(copy, k, v, 0) != SL_OK) {
            sl_props_free(copy);
            copy = NULL;
        }
    }
    return copy;
}

/* ---- config records ------------------------------------------------------------ */

/* "<name>-<n>" at rest[0..len): the name's length and n, or false. */
static bool split_task(const char *rest, size_t len, size_t *name_len, int *task)
{
    const char *dash = NULL;
    for (size_t i = 0; i < len; i++)
        if (rest[i] == '-')
            dash = rest + i;
    if (!dash || dash == rest || (size_t)(dash - rest) + 1 >= len)
        return false;
    long n = 0;
    for (const char *p = dash + 1; p < rest + len; p++) {
        if (*p < '0' || *p > '9' || n > MAX_TASKS)
            return false;
        n = n * 10 + (*p - '0');
    }
    if (n >= MAX_TASKS)
        return false;
    *name_len = (size_t)(dash - rest);
    *task = (int)n;
    return true;
}

static bool prefixed(const char *key, size_t klen, const char *prefix, const char **rest,
                     size_t *rlen)
{
    size_t pl = strlen(prefix);
    if (klen <= pl || strncmp(key, prefix, pl) != 0)
        return false;
    *rest = key + pl;
    *rlen = klen - pl;
    return true;
}

static void set_name(sl_dist_event_t *ev, const char *name, size_t len)
{
    snprintf(ev->name, sizeof ev->name, "%.*s", (int)(len < sizeof ev->name ? len : sizeof ev->name - 1),
             name);
}

/* Makes the staged task configs current (*applied) when the commit names
 * only tasks that were written. */
static sl_err_t apply_commit(sl_dist_conn_t *c, const json_t *j, const char *key, bool *applied)
{
    *applied = false;
    json_t *t = json_object_get(j, "tasks");
    json_int_t n = json_is_integer(t) ? json_integer_value(t) : -1;
    if (n < 0 || n > MAX_TASKS || n > c->staged_cap) {
        SL_WARN(MOD, "config topic: %s: a task count without the task configs it names; ignored", key);
        return SL_OK;
    }
    for (json_int_t i = 0; i < n; i++)
        if (!c->staged[i]) {
            SL_WARN(MOD, "config topic: %s: task %d's config is missing; ignored", key, (int)i);
            return SL_OK;
        }
    tasks_free(c->tasks, c->task_count);
    c->tasks = NULL;
    c->task_count = 0;
    if (n > 0) {
        c->tasks = calloc((size_t)n, sizeof *c->tasks);
        if (!c->tasks)
            return SL_ERR_NOMEM;
        for (json_int_t i = 0; i < n; i++) {
            c->tasks[i] = c->staged[i];
            c->staged[i] = NULL;
        }
    }
    c->task_count = (int)n;
    tasks_free(c->staged, c->staged_cap);
    c->staged = NULL;
    c->staged_cap = 0;
    *applied = true;
    return SL_OK;
}

static sl_err_t stage_task(sl_dist_conn_t *c, int task, sl_props_t *p)
{
    if (task >= c->staged_cap) {
        int cap = task + 1;
        sl_props_t **grown = realloc(c->staged, (size_t)cap * sizeof *grown);
        if (!grown) {
            sl_props_free(p);
            return SL_ERR_NOMEM;
        }
        memset(grown + c->staged_cap, 0, (size_t)(cap - c->staged_cap) * sizeof *grown);
        c->staged = grown;
        c->staged_cap = cap;
    }
    sl_props_free(c->staged[task]);
    c->staged[task] = p;
    return SL_OK;
}

sl_err_t sl_dist_state_apply_config(sl_dist_state_t *s, const char *key, size_t klen,
                                    const char *value, size_t vlen, sl_dist_event_t *ev)
{
    memset(ev, 0, sizeof *ev);
    char shown[300];
    snprintf(shown, sizeof shown, "%.*s", (int)(klen < 256 ? klen : 256), key);
    json_t *j = parse(value, vlen);
    if (value && !j) {
        SL_WARN(MOD, "config topic: %s: the value is not a JSON object; ignored", shown);
        return SL_OK;
    }
    const char *rest = key;
    size_t rlen = 0, nlen = 0;
    int task = 0;
    sl_err_t err = SL_OK;
    if (prefixed(key, klen, "connector-", &rest, &rlen)) {
        sl_dist_conn_t *c = conn_get(s, rest, rlen);
        sl_props_t *p = j ? props_of(j) : NULL;
        if (!c) {
            err = SL_ERR_NOMEM;
        } else if (j && !p) {
            SL_WARN(MOD, "config topic: %s: no \"properties\" object of strings; ignored", shown);
        } else {
            sl_props_free(c->config);
            c->config = p;
            if (!p) {
                tasks_free(c->tasks, c->task_count);
                c->tasks = NULL;
                c->task_count = 0;
                c->paused = false;
            }
            ev->kind = SL_DIST_EV_CHANGED;
        }
    } else if (prefixed(key, klen, "task-", &rest, &rlen) && split_task(rest, rlen, &nlen, &task)) {
        sl_dist_conn_t *c = conn_get(s, rest, nlen);
        sl_props_t *p = j ? props_of(j) : NULL;
        if (!c)
            err = SL_ERR_NOMEM;
        else if (p)
            err = stage_task(c, task, p);
        else if (j)
            SL_WARN(MOD, "config topic: %s: no \"properties\" object of strings; ignored", shown);
    } else if (prefixed(key, klen, "commit-", &rest, &rlen)) {
        sl_dist_conn_t *c = conn_get(s, rest, rlen);
        bool applied = false;
        if (!c)
            err = SL_ERR_NOMEM;
        else if (j && !(err = apply_commit(c, j, shown, &applied)) && applied)
            ev->kind = SL_DIST_EV_CHANGED;
    } else if (prefixed(key, klen, "target-state-", &rest, &rlen)) {
        sl_dist_conn_t *c = conn_get(s, rest, rlen);
        const char *st = j ? json_string_value(json_object_get(j, "state")) : NULL;
        if (!c) {
            err = SL_ERR_NOMEM;
        } else if (j && (!st || (strcmp(st, "PAUSED") != 0 && strcmp(st, "STARTED") != 0))) {
            SL_WARN(MOD, "config topic: %s: \"state\" must be PAUSED or STARTED; ignored", shown);
        } else {
            c->paused = st && strcmp(st, "PAUSED") == 0;
            ev->kind = SL_DIST_EV_CHANGED;
        }
    } else if (prefixed(key, klen, "restart-connector-", &rest, &rlen)) {
        if (j) {
            ev->kind = SL_DIST_EV_RESTART;
            set_name(ev, rest, rlen);
            ev->task = -1;
            ev->include_tasks = json_is_true(json_object_get(j, "include-tasks"));
            ev->only_failed = json_is_true(json_object_get(j, "only-failed"));
        }
    } else if (prefixed(key, klen, "restart-task-", &rest, &rlen) &&
               split_task(rest, rlen, &nlen, &task)) {
        if (j) {
            ev->kind = SL_DIST_EV_RESTART_TASK;
            set_name(ev, rest, nlen);
            ev->task = task;
        }
    } else {
        SL_WARN(MOD, "config topic: %s: not a key Connect writes; ignored", shown);
    }
    if (ev->kind == SL_DIST_EV_CHANGED)
        set_name(ev, rest, rlen);
    json_decref(j);
    return err;
}

/* ---- status records ------------------------------------------------------------ */

static char *status_key(const char *name, size_t len, int task, size_t *klen)
{
    size_t cap = len + 16;
    char *k = malloc(cap);
    if (k)
        *klen = (size_t)snprintf(k, cap, "%d/%.*s", task, (int)len, name);
    return k;
}

sl_err_t sl_dist_state_apply_status(sl_dist_state_t *s, const char *key, size_t klen,
                                    const char *value, size_t vlen)
{
    const char *rest = key;
    size_t rlen = 0, nlen = 0;
    int task = -1;
    if (prefixed(key, klen, "status-connector-", &rest, &rlen))
        nlen = rlen;
    else if (!prefixed(key, klen, "status-task-", &rest, &rlen) || !split_task(rest, rlen, &nlen, &task))
        return SL_OK;
    size_t mk;
    char *mkey = status_key(rest, nlen, task, &mk);
    if (!mkey)
        return SL_ERR_NOMEM;
    json_t *j = parse(value, vlen);
    sl_err_t err = SL_OK;
    if (!value) {
        void *old = NULL;
        if (sl_map_del(&s->status, mkey, mk, &old))
            status_free(old);
    } else if (j && json_is_string(json_object_get(j, "state"))) {
        const char *state = json_string_value(json_object_get(j, "state"));
        const char *worker = json_string_value(json_object_get(j, "worker_id"));
        const char *trace = json_string_value(json_object_get(j, "trace"));
        json_t *g = json_object_get(j, "generation");
        const sl_dist_status_t *cur = sl_map_get(&s->status, mkey, mk);
        bool stale = cur && strcmp(state, "UNASSIGNED") == 0 && strcmp(cur->state, "UNASSIGNED") != 0 &&
                     strcmp(cur->worker_id, worker ? worker : "") != 0;
        sl_dist_status_t *st = stale ? NULL : calloc(1, sizeof *st);
        if (st) {
            st->state = strdup(state);
            st->worker_id = strdup(worker ? worker : "");
            st->trace = trace ? strdup(trace) : NULL;
            st->generation = json_is_integer(g) ? (int32_t)json_integer_value(g) : -1;
            void *old = NULL;
            if (!st->state || !st->worker_id || (trace && !st->trace) ||
                sl_map_put(&s->status, mkey, mk, st, &old) != SL_OK) {
                status_free(st);
                err = SL_ERR_NOMEM;
            }
            status_free(old);
        } else if (!stale) {
            err = SL_ERR_NOMEM;
        }
    } else {
        SL_WARN(MOD, "status topic: %.*s: not a status record; ignored", (int)(klen < 256 ? klen : 256), key);
    }
    json_decref(j);
    free(mkey);
    return err;
}

const sl_dist_status_t *sl_dist_state_status(const sl_dist_state_t *s, const char *name, int task)
{
    size_t mk;
    char *mkey = status_key(name, strlen(name), task, &mk);
    if (!mkey)
        return NULL;
    const sl_dist_status_t *st = sl_map_get(&s->status, mkey, mk);
    free(mkey);
    return st;
}
