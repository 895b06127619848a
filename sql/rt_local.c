/*
 * rt_local.c - the local runtime (rt_int.h): topics in memory and one
 * streams test driver per query, no broker.
 *
 * A topic is a list of records (bytes, timestamp, partition, offset) in
 * the order they were produced. Producing appends and pipes the record
 * into every running query whose topology reads the topic; what those
 * queries write to their sink topics is read back from their drivers and
 * produced in turn, depth first, before produce returns (at most 32 levels
 * deep, against INSERT INTO loops: deeper records are dropped with a
 * warning). A query started with auto.offset.reset=earliest is first fed
 * every record its topics already hold, in the order they were produced.
 *
 * The topology's source and sink topics are read from the built topology
 * (streams_int.h): the user topics its sources read, the user topics its
 * sinks write. Its repartition and changelog topics stay inside its driver
 * and are drained after every record so the driver's memory is reused.
 *
 * A topic's record bytes live in chunks that double from 64 KiB to 32
 * MiB; the chunks of 2 MiB and more are mapped on their own and advised as
 * transparent huge pages, so a topic of millions of records takes one page
 * fault per 2 MiB rather than one per 4 KiB (the faults of filling fresh
 * pages cost a pass-through query a quarter of its CPU time).
 *
 * Partitions: a record produced with partition -1 goes to Kafka's default
 * partition of its key bytes (murmur2), a null key to partition 0. The
 * drivers themselves have one partition per topic: each record carries its
 * partition and offset in a header (SL_LOWER_POS_HEADER) for ROWPARTITION
 * and ROWOFFSET.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "lower_int.h"
#include "rt_int.h"
#include "streams_int.h"

#define RT_LOG "sql"
#define RT_MAX_DEPTH 32
/* Records piped into a query between two drains of its internal topics
 * (their records are only kept so the driver's memory for them can be
 * reused once read: no need to look at them after every record). */
#define RT_DRAIN_EVERY 256

#define RT_CHUNK_MIN ((size_t)64 << 10)
#define RT_CHUNK_MAX ((size_t)32 << 20)
#define RT_HUGE ((size_t)2 << 20)

/* One chunk of a topic's record bytes. */
typedef struct lchunk {
    struct lchunk *next;            /* the previous (older) chunk */
    size_t size;                    /* bytes of data */
    size_t used;
    size_t map_len;                 /* mmapped (the header included): 0 if malloc'ed */
    uint8_t *data;
} lchunk_t;

typedef struct lrec {
    uint8_t *key;                   /* NULL: a null key */
    size_t klen;
    uint8_t *value;                 /* NULL: a tombstone */
    size_t vlen;
    int64_t ts;
    int32_t partition;
    int64_t offset;
    uint64_t seq;                   /* the runtime-wide production order */
} lrec_t;

typedef struct ltopic {
    char *name;
    int32_t partitions;
    int16_t replicas;
    lrec_t *recs;
    size_t n, cap;
    lchunk_t *chunks;               /* the records' bytes, newest chunk first */
    int64_t *next_offset;           /* per partition */
} ltopic_t;

struct sl_sql_rt_query {
    struct sl_sql_rt_query *next;
    sl_driver_t *d;
    const sl_topology_t *topo;
    char *app_id;
    char *dir;                      /* its state directory */
    char **inputs;                  /* user topics its sources read */
    size_t n_inputs;
    char **outputs;                 /* user topics its sinks write */
    size_t n_outputs;
    char **internal;                /* repartition and changelog topics (full names) */
    size_t n_internal;
    bool failed;
    unsigned since_drain;           /* pipes since its internal topics were drained */
};

typedef struct rt_local {
    sl_sql_rt_t base;
    sl_map_t topics;                /* name -> ltopic_t */
    sl_sql_rt_query_t *queries;
    int64_t wall;
    uint64_t seq;
    char *dir;
    unsigned n_started;
} rt_local_t;

/* --- record memory -------------------------------------------------------------- */

static void chunks_free(lchunk_t *c)
{
    while (c != NULL) {
        lchunk_t *next = c->next;
        if (c->map_len > 0)
            munmap(c, c->map_len);
        else
            free(c);
        c = next;
    }
}

/* A chunk of at least n bytes after one of prev_size; NULL when out of
 * memory. Large ones are mapped with their data 2 MiB-aligned. */
static lchunk_t *chunk_new(size_t prev_size, size_t n)
{
    size_t size = prev_size == 0 ? RT_CHUNK_MIN : prev_size < RT_CHUNK_MAX ? prev_size * 2 : RT_CHUNK_MAX;
    if (size < n)
        size = n;
    if (size < RT_HUGE) {
        lchunk_t *c = malloc(sizeof(*c) + size);
        if (c == NULL)
            return NULL;
        *c = (lchunk_t){.size = size, .data = (uint8_t *)(c + 1)};
        return c;
    }
    size = (size + RT_HUGE - 1) & ~(RT_HUGE - 1);
    size_t len = size + 2 * RT_HUGE; /* room to align the data, the header a page before it */
    uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    uint8_t *data = (uint8_t *)(((uintptr_t)p + RT_HUGE + RT_HUGE - 1) & ~(uintptr_t)(RT_HUGE - 1));
    uint8_t *head = data - 4096;
    if (head > p)
        munmap(p, (size_t)(head - p));
    uint8_t *end = data + size;
    if (end < p + len)
        munmap(end, (size_t)(p + len - end));
#ifdef MADV_HUGEPAGE
    madvise(data, size, MADV_HUGEPAGE); /* advice only: fine if refused */
#endif
    lchunk_t *c = (lchunk_t *)head;
    *c = (lchunk_t){.size = size, .map_len = (size_t)(end - head), .data = data};
    return c;
}

/* n bytes of t's record memory (16-aligned); NULL when out of memory. */
static uint8_t *topic_bytes(ltopic_t *t, size_t n)
{
    size_t need = (n + 15) & ~(size_t)15;
    lchunk_t *c = t->chunks;
    if (c == NULL || c->size - c->used < need) {
        lchunk_t *nc = chunk_new(c != NULL ? c->size : 0, need);
        if (nc == NULL)
            return NULL;
        nc->next = c;
        t->chunks = c = nc;
    }
    uint8_t *p = c->data + c->used;
    c->used += need;
    return p;
}

/* --- topics ------------------------------------------------------------------- */

static void topic_free(void *p)
{
    ltopic_t *t = p;
    if (t == NULL)
        return;
    chunks_free(t->chunks);
    free(t->recs);
    free(t->next_offset);
    free(t->name);
    free(t);
}

static ltopic_t *topic_new(rt_local_t *rt, const char *name, int32_t partitions, int16_t replicas)
{
    ltopic_t *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->name = strdup(name);
    t->partitions = partitions > 0 ? partitions : 1;
    t->replicas = replicas > 0 ? replicas : 1;
    t->next_offset = calloc((size_t)t->partitions, sizeof(*t->next_offset));
    if (t->name == NULL || t->next_offset == NULL || sl_map_put(&rt->topics, name, strlen(name), t, NULL) != SL_OK) {
        topic_free(t);
        return NULL;
    }
    return t;
}

static sl_err_t lt_topic_info(sl_sql_rt_t *r, const char *topic, sl_sql_topic_info_t *info)
{
    rt_local_t *rt = (rt_local_t *)r;
    ltopic_t *t = topic != NULL ? sl_map_gets(&rt->topics, topic) : NULL;
    if (t == NULL)
        return SL_ERR_NOENT;
    if (info != NULL) {
        info->name = t->name;
        info->partitions = t->partitions;
        info->replicas = t->replicas;
    }
    return SL_OK;
}

static sl_err_t lt_topic_create(sl_sql_rt_t *r, const char *topic, int32_t partitions, int16_t replicas,
                                const char *configs)
{
    SL_UNUSED(configs);
    rt_local_t *rt = (rt_local_t *)r;
    if (topic == NULL || topic[0] == '\0')
        return SL_ERR_INVAL;
    if (sl_map_gets(&rt->topics, topic) != NULL)
        return SL_ERR_EXISTS;
    return topic_new(rt, topic, partitions, replicas) != NULL ? SL_OK : SL_ERR_NOMEM;
}

static sl_err_t lt_topic_delete(sl_sql_rt_t *r, const char *topic)
{
    rt_local_t *rt = (rt_local_t *)r;
    void *t = NULL;
    if (topic == NULL || !sl_map_del(&rt->topics, topic, strlen(topic), &t))
        return SL_ERR_NOENT;
    topic_free(t);
    return SL_OK;
}

static int cmp_topic(const void *a, const void *b)
{
    return strcmp((*(ltopic_t *const *)a)->name, (*(ltopic_t *const *)b)->name);
}

static sl_err_t lt_topic_list(sl_sql_rt_t *r, bool (*fn)(const sl_sql_topic_info_t *info, void *arg), void *arg)
{
    rt_local_t *rt = (rt_local_t *)r;
    size_t n;
    ltopic_t **all = (ltopic_t **)sl_map_values(&rt->topics, &n);
    if (all == NULL)
        return SL_ERR_NOMEM;
    qsort(all, n, sizeof(*all), cmp_topic);
    for (size_t i = 0; i < n; i++) {
        sl_sql_topic_info_t info = {all[i]->name, all[i]->partitions, all[i]->replicas};
        if (!fn(&info, arg))
            break;
    }
    free(all);
    return SL_OK;
}

/* --- producing ----------------------------------------------------------------- */

static sl_err_t produce_at(rt_local_t *rt, const char *topic, int32_t partition, const uint8_t *key, size_t klen,
                           const uint8_t *value, size_t vlen, int64_t ts, int depth);

static bool reads(const sl_sql_rt_query_t *q, const char *topic)
{
    for (size_t i = 0; i < q->n_inputs; i++)
        if (strcmp(q->inputs[i], topic) == 0)
            return true;
    return false;
}

/* Produces what q wrote to its sink topics; drops what its internal
 * topics hold (already fed back inside the driver). */
static void drain(rt_local_t *rt, sl_sql_rt_query_t *q, int depth)
{
    sl_out_record_t out;
    if (++q->since_drain >= RT_DRAIN_EVERY) {
        q->since_drain = 0;
        for (size_t i = 0; i < q->n_internal; i++)
            while (sl_driver_read(q->d, q->internal[i], SL_BYTES, SL_BYTES, &out) == SL_OK) {
            }
    }
    for (size_t i = 0; i < q->n_outputs; i++) {
        while (sl_driver_read(q->d, q->outputs[i], SL_BYTES, SL_BYTES, &out) == SL_OK) {
            /* Produced straight from the driver's record: produce_at copies
             * it into the topic before any query (this one too) runs. */
            size_t kl = out.key.type == SL_V_BYTES ? out.key.u.bytes.len : 0;
            size_t vl = out.value.type == SL_V_BYTES ? out.value.u.bytes.len : 0;
            const uint8_t *k = out.key.type == SL_V_BYTES ? out.key.u.bytes.ptr : NULL;
            const uint8_t *v = out.value.type == SL_V_BYTES ? out.value.u.bytes.ptr : NULL;
            int64_t ts = out.timestamp;
            if (depth >= RT_MAX_DEPTH)
                SL_WARN(RT_LOG, "local runtime: a record for %s dropped: queries feed each other more than %d "
                                "levels deep", q->outputs[i], RT_MAX_DEPTH);
            else
                produce_at(rt, q->outputs[i], -1, k, kl, v, vl, ts, depth + 1);
        }
    }
}

static void pipe_into(rt_local_t *rt, sl_sql_rt_query_t *q, const char *topic, const lrec_t *r, int depth)
{
    sl_val_t k = r->key != NULL ? sl_val_bytes_ref(r->key, r->klen) : sl_val_null();
    sl_val_t v = r->value != NULL ? sl_val_bytes_ref(r->value, r->vlen) : sl_val_null();
    uint8_t pos[12];
    for (int i = 0; i < 4; i++)
        pos[i] = (uint8_t)((uint32_t)r->partition >> (24 - 8 * i));
    for (int i = 0; i < 8; i++)
        pos[4 + i] = (uint8_t)((uint64_t)r->offset >> (56 - 8 * i));
    sl_header_t h = {SL_LOWER_POS_HEADER, pos, (int32_t)sizeof(pos)};
    sl_err_t err = sl_driver_pipe_headers(q->d, topic, &k, &v, r->ts, SL_BYTES, SL_BYTES, &h, 1);
    if (err != SL_OK && err != SL_ERR_NOENT) {
        SL_WARN(RT_LOG, "local runtime: query %s failed on a record of %s: %s", q->app_id, topic, sl_err_str(err));
        q->failed = true;
    }
    drain(rt, q, depth);
}

static sl_err_t produce_at(rt_local_t *rt, const char *topic, int32_t partition, const uint8_t *key, size_t klen,
                           const uint8_t *value, size_t vlen, int64_t ts, int depth)
{
    ltopic_t *t = sl_map_gets(&rt->topics, topic);
    if (t == NULL && (t = topic_new(rt, topic, 1, 1)) == NULL)
        return SL_ERR_NOMEM;
    if (partition < 0)
        partition = key != NULL ? sl_murmur2_partition(key, klen, t->partitions) : 0;
    if (partition >= t->partitions)
        return SL_ERR_INVAL;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        lrec_t *recs = realloc(t->recs, cap * sizeof(*recs));
        if (recs == NULL)
            return SL_ERR_NOMEM;
        t->recs = recs;
        t->cap = cap;
    }
    if (key == NULL)
        klen = 0;
    if (value == NULL)
        vlen = 0;
    /* key and value in one block (key first) */
    uint8_t *block = topic_bytes(t, klen + vlen + 1);
    if (block == NULL)
        return SL_ERR_NOMEM;
    if (klen > 0)
        memcpy(block, key, klen);
    if (vlen > 0)
        memcpy(block + klen, value, vlen);
    lrec_t *r = &t->recs[t->n++];
    r->key = key != NULL ? block : NULL;
    r->klen = klen;
    r->value = value != NULL ? block + klen : NULL;
    r->vlen = vlen;
    r->ts = ts;
    r->partition = partition;
    r->offset = t->next_offset[partition]++;
    r->seq = rt->seq++;
    lrec_t rec = *r; /* t->recs may move while queries produce */
    char *name = t->name;
    for (sl_sql_rt_query_t *q = rt->queries; q != NULL; q = q->next)
        if (reads(q, name))
            pipe_into(rt, q, name, &rec, depth);
    return SL_OK;
}

static sl_err_t lt_produce(sl_sql_rt_t *r, const char *topic, int32_t partition, const uint8_t *key, size_t key_len,
                           const uint8_t *value, size_t value_len, int64_t timestamp)
{
    if (topic == NULL)
        return SL_ERR_INVAL;
    return produce_at((rt_local_t *)r, topic, partition, key, key_len, value, value_len, timestamp, 0);
}

static sl_err_t lt_read(sl_sql_rt_t *r, const char *topic, bool from_beginning, int64_t max, int timeout_ms,
                        sl_sql_rt_record_fn *fn, void *arg)
{
    SL_UNUSED(timeout_ms);
    rt_local_t *rt = (rt_local_t *)r;
    ltopic_t *t = topic != NULL ? sl_map_gets(&rt->topics, topic) : NULL;
    if (t == NULL)
        return SL_ERR_NOENT;
    if (!from_beginning)
        return SL_OK; /* nothing arrives while the caller waits here */
    for (size_t i = 0; i < t->n && (max < 0 || (int64_t)i < max); i++) {
        const lrec_t *l = &t->recs[i];
        sl_sql_rt_record_t rec = {l->key, l->klen, l->value, l->vlen, l->ts, l->partition, l->offset};
        if (!fn(&rec, arg))
            break;
    }
    return SL_OK;
}

/* --- queries -------------------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    SL_UNUSED(sb);
    SL_UNUSED(flag);
    SL_UNUSED(ftw);
    remove(path);
    return 0;
}

static void rm_tree(const char *dir)
{
    if (dir != NULL)
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static bool add_name(char ***list, size_t *n, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*list)[i], name) == 0)
            return true;
    char **l = realloc(*list, (*n + 1) * sizeof(*l));
    if (l == NULL)
        return false;
    *list = l;
    if ((l[*n] = strdup(name)) == NULL)
        return false;
    (*n)++;
    return true;
}

static void free_names(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

static void query_free(sl_sql_rt_query_t *q)
{
    if (q == NULL)
        return;
    sl_driver_free(q->d);
    free_names(q->inputs, q->n_inputs);
    free_names(q->outputs, q->n_outputs);
    free_names(q->internal, q->n_internal);
    free(q->app_id);
    free(q->dir);
    free(q);
}

/* The topology's user topics in and out, and its internal ones. */
static bool query_topics(sl_sql_rt_query_t *q)
{
    const sl_topology_t *t = q->topo;
    char buf[1024];
    for (size_t i = 0; i < t->n_nodes; i++) {
        const sl_node_t *n = t->nodes[i];
        if (n->kind == SL_NODE_SOURCE && !n->internal) {
            for (size_t j = 0; j < n->n_topics; j++)
                if (!add_name(&q->inputs, &q->n_inputs, n->topics[j]))
                    return false;
        } else if (n->kind == SL_NODE_SINK && n->topic != NULL) {
            if (!n->internal) {
                if (!add_name(&q->outputs, &q->n_outputs, n->topic))
                    return false;
                continue;
            }
            snprintf(buf, sizeof(buf), "%s-%s", q->app_id, n->topic);
            if (!add_name(&q->internal, &q->n_internal, buf))
                return false;
        }
    }
    for (size_t i = 0; i < t->n_stores; i++) {
        if (!t->stores[i].logging)
            continue;
        snprintf(buf, sizeof(buf), "%s-%s-changelog", q->app_id, t->stores[i].name);
        if (!add_name(&q->internal, &q->n_internal, buf))
            return false;
    }
    return true;
}

static bool wants_earliest(const char *props)
{
    bool earliest = false;
    for (const char *p = props; p != NULL && *p != '\0';) {
        const char *eol = strchr(p, '\n');
        size_t len = eol != NULL ? (size_t)(eol - p) : strlen(p);
        static const char key[] = "auto.offset.reset";
        if (len > sizeof(key) && strncmp(p, key, sizeof(key) - 1) == 0) {
            const char *v = p + sizeof(key) - 1;
            while (*v == ' ' || *v == '\t')
                v++;
            if (*v == '=' || *v == ':') {
                v++;
                while (*v == ' ' || *v == '\t')
                    v++;
                earliest = strncmp(v, "earliest", 8) == 0;
            }
        }
        p = eol != NULL ? eol + 1 : NULL;
    }
    return earliest;
}

/* Feeds q every record its topics hold, in production order. */
static void replay(rt_local_t *rt, sl_sql_rt_query_t *q)
{
    size_t n = q->n_inputs;
    size_t *pos = calloc(n + 1, sizeof(*pos));
    ltopic_t **ts = calloc(n + 1, sizeof(*ts));
    if (pos == NULL || ts == NULL) {
        free(pos);
        free(ts);
        return;
    }
    uint64_t limit = rt->seq; /* records produced during the replay are delivered anyway */
    for (;;) {
        size_t best = n;
        uint64_t best_seq = UINT64_MAX;
        for (size_t i = 0; i < n; i++) {
            ts[i] = sl_map_gets(&rt->topics, q->inputs[i]);
            if (ts[i] != NULL && pos[i] < ts[i]->n && ts[i]->recs[pos[i]].seq < best_seq &&
                ts[i]->recs[pos[i]].seq < limit) {
                best = i;
                best_seq = ts[i]->recs[pos[i]].seq;
            }
        }
        if (best == n)
            break;
        lrec_t rec = ts[best]->recs[pos[best]++];
        pipe_into(rt, q, q->inputs[best], &rec, 0);
    }
    free(pos);
    free(ts);
}

static sl_err_t lt_query_start(sl_sql_rt_t *r, const sl_topology_t *topo, const char *app_id, const char *props,
                               sl_sql_rt_query_t **out, char *errbuf, size_t errlen)
{
    rt_local_t *rt = (rt_local_t *)r;
    if (topo == NULL || app_id == NULL || out == NULL) {
        if (errbuf != NULL && errlen > 0)
            snprintf(errbuf, errlen, "query_start: no topology or application id");
        return SL_ERR_INVAL;
    }
    sl_sql_rt_query_t *q = calloc(1, sizeof(*q));
    if (q == NULL)
        return SL_ERR_NOMEM;
    q->topo = topo;
    q->app_id = strdup(app_id);
    size_t dlen = strlen(rt->dir) + strlen(app_id) + 32;
    q->dir = malloc(dlen);
    if (q->app_id == NULL || q->dir == NULL || !query_topics(q)) {
        query_free(q);
        return SL_ERR_NOMEM;
    }
    snprintf(q->dir, dlen, "%s/%u-%s", rt->dir, ++rt->n_started, app_id);
    if (mkdir(q->dir, 0700) != 0 && errno != EEXIST) {
        if (errbuf != NULL && errlen > 0)
            snprintf(errbuf, errlen, "cannot make the state directory %s: %s", q->dir, strerror(errno));
        query_free(q);
        return SL_ERR_IO;
    }
    size_t plen = (props != NULL ? strlen(props) : 0) + strlen(app_id) + dlen + 96;
    char *dprops = malloc(plen);
    if (dprops == NULL) {
        query_free(q);
        return SL_ERR_NOMEM;
    }
    /* No record cache (as ksqlDB's tests run: every update goes
     * downstream, a table update that keeps its group gives the
     * retraction and the addition), unless the caller's keys, which come
     * next, say otherwise; ours last (the driver reads the last of a key). */
    snprintf(dprops, plen, "cache.max.bytes.buffering=0\n%s%sapplication.id=%s\nstate.dir=%s\n",
             props != NULL ? props : "",
             props != NULL && props[0] != '\0' && props[strlen(props) - 1] != '\n' ? "\n" : "", app_id, q->dir);
    sl_err_t err = sl_driver_new(topo, dprops, rt->wall, &q->d, errbuf, errlen);
    free(dprops);
    if (err != SL_OK) {
        rm_tree(q->dir);
        query_free(q);
        return err;
    }
    /* Appended last: records the new query writes reach the older ones
     * first, as they would in order of subscription. */
    sl_sql_rt_query_t **tail = &rt->queries;
    while (*tail != NULL)
        tail = &(*tail)->next;
    *tail = q;
    if (wants_earliest(props))
        replay(rt, q);
    *out = q;
    return SL_OK;
}

static void lt_query_stop(sl_sql_rt_t *r, sl_sql_rt_query_t *q, bool cleanup)
{
    rt_local_t *rt = (rt_local_t *)r;
    if (q == NULL)
        return;
    for (sl_sql_rt_query_t **pp = &rt->queries; *pp != NULL; pp = &(*pp)->next)
        if (*pp == q) {
            *pp = q->next;
            break;
        }
    sl_driver_free(q->d);
    q->d = NULL;
    if (cleanup)
        rm_tree(q->dir);
    query_free(q);
}

static const char *lt_query_state(sl_sql_rt_t *r, sl_sql_rt_query_t *q)
{
    SL_UNUSED(r);
    return q != NULL && q->failed ? "ERROR" : "RUNNING";
}

static sl_store_t *query_store(sl_sql_rt_query_t *q, const char *store)
{
    return q != NULL && q->d != NULL && store != NULL ? sl_driver_store(q->d, store) : NULL;
}

static sl_err_t lt_kv_get(sl_sql_rt_t *r, sl_sql_rt_query_t *q, const char *store, const sl_val_t *key,
                          sl_arena_t *arena, sl_val_t *out)
{
    SL_UNUSED(r);
    SL_UNUSED(arena);
    sl_store_t *st = query_store(q, store);
    if (st == NULL)
        return SL_ERR_NOENT;
    return sl_kv_get(st, key, out);
}

static sl_err_t lt_kv_all(sl_sql_rt_t *r, sl_sql_rt_query_t *q, const char *store, sl_kv_iter_fn *fn, void *arg)
{
    SL_UNUSED(r);
    sl_store_t *st = query_store(q, store);
    if (st == NULL)
        return SL_ERR_NOENT;
    return sl_kv_all(st, fn, arg);
}

static sl_err_t lt_win_fetch_all(sl_sql_rt_t *r, sl_sql_rt_query_t *q, const char *store, int64_t from, int64_t to,
                                 sl_win_iter_fn *fn, void *arg)
{
    SL_UNUSED(r);
    sl_store_t *st = query_store(q, store);
    if (st == NULL)
        return SL_ERR_NOENT;
    return sl_win_fetch_all(st, from, to, fn, arg);
}

static sl_err_t lt_ses_fetch(sl_sql_rt_t *r, sl_sql_rt_query_t *q, const char *store, const sl_val_t *key,
                             sl_session_iter_fn *fn, void *arg)
{
    SL_UNUSED(r);
    sl_store_t *st = query_store(q, store);
    if (st == NULL)
        return SL_ERR_NOENT;
    return key != NULL ? sl_session_fetch(st, key, fn, arg) : sl_session_fetch_all(st, fn, arg);
}

static sl_err_t lt_advance(sl_sql_rt_t *r, int64_t ms)
{
    rt_local_t *rt = (rt_local_t *)r;
    if (ms < 0)
        return SL_ERR_INVAL;
    rt->wall += ms;
    sl_err_t first = SL_OK;
    for (sl_sql_rt_query_t *q = rt->queries; q != NULL; q = q->next) {
        sl_err_t err = sl_driver_advance_wall_clock(q->d, ms);
        if (first == SL_OK)
            first = err;
        drain(rt, q, 0);
    }
    return first;
}

static void lt_free(sl_sql_rt_t *r)
{
    rt_local_t *rt = (rt_local_t *)r;
    if (rt == NULL)
        return;
    while (rt->queries != NULL) {
        sl_sql_rt_query_t *q = rt->queries;
        rt->queries = q->next;
        query_free(q);
    }
    sl_map_fini(&rt->topics, topic_free);
    rm_tree(rt->dir);
    free(rt->dir);
    free(rt);
}

static const sl_sql_rt_ops_t local_ops = {
    .topic_info = lt_topic_info,
    .topic_create = lt_topic_create,
    .topic_delete = lt_topic_delete,
    .topic_list = lt_topic_list,
    .produce = lt_produce,
    .read = lt_read,
    .query_start = lt_query_start,
    .query_stop = lt_query_stop,
    .query_state = lt_query_state,
    .kv_get = lt_kv_get,
    .kv_all = lt_kv_all,
    .win_fetch_all = lt_win_fetch_all,
    .ses_fetch = lt_ses_fetch,
    .advance = lt_advance,
    .free = lt_free,
};

sl_err_t sl_sql_rt_local_new(const char *props, int64_t start_ms, sl_sql_rt_t **out, char *errbuf, size_t errlen)
{
    if (out == NULL)
        return SL_ERR_INVAL;
    *out = NULL;
    const char *base = "/tmp";
    sl_props_t *p = NULL;
    if (props != NULL && sl_props_parse(props, strlen(props), "local engine", &p, errbuf, errlen) != SL_OK)
        return SL_ERR_CONFIG;
    const char *sd = p != NULL ? sl_props_get(p, "state.dir") : NULL;
    if (sd != NULL && sd[0] != '\0')
        base = sd;
    rt_local_t *rt = calloc(1, sizeof(*rt));
    size_t len = strlen(base) + 32;
    char *dir = malloc(len);
    if (rt == NULL || dir == NULL) {
        free(rt);
        free(dir);
        sl_props_free(p);
        return SL_ERR_NOMEM;
    }
    if (sd != NULL)
        mkdir(base, 0700); /* may exist */
    snprintf(dir, len, "%s/sluice-sql-XXXXXX", base);
    sl_err_t err = SL_OK;
    if (mkdtemp(dir) == NULL) {
        if (errbuf != NULL && errlen > 0)
            snprintf(errbuf, errlen, "cannot make a state directory under %s: %s", base, strerror(errno));
        err = SL_ERR_IO;
    }
    sl_props_free(p); /* base may point into it */
    if (err != SL_OK) {
        free(rt);
        free(dir);
        return err;
    }
    rt->base.ops = &local_ops;
    rt->dir = dir;
    rt->wall = start_ms;
    sl_map_init(&rt->topics);
    *out = &rt->base;
    return SL_OK;
}
