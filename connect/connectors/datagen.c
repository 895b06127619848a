/*
 * datagen.c - DatagenSource: generated records for demos, tests and
 * benchmarks, with Confluent datagen's keys (kafka.topic, quickstart,
 * schema.keyfield, max.interval, iterations, random.seed) plus
 * records.per.second. Values are Connect structs with schemas
 * (datagen_quickstarts.c, datagen_nexmark.c); keys strings: the
 * quickstart's key field, or schema.keyfield's.
 *
 * Determinism: record i of a connector is a function of (quickstart, seed,
 * i) alone. tasks.max = n gives n tasks; task t makes records t, t+n,
 * t+2n, ... Its source partition is {"task.id":t,"tasks":n}, its offset
 * {"current.iteration":k} after its k-th record, so a restarted task goes
 * on with its (k+1)-th: nothing is skipped and only what was polled but not
 * yet stored is made again (and made the same). Hence exactly_once.
 *
 * Pace: before each record a task waits a pseudo-random [0, max.interval)
 * ms (Confluent's), and no task goes faster than its share of
 * records.per.second (the connector's rate split equally over its tasks, a
 * share that may be below one a second; a task that fell more than a
 * second behind does not burst to catch up). Waits never exceed poll's
 * timeout. iterations (per task, < 1: no end) stops a
 * task's records; the task then idles.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "datagen_int.h"

const sl_connect_host_t *dg_host;

static const sl_connect_configdef_t defs[] = {
    {"kafka.topic", SL_CFG_STRING, "", SL_IMPORTANCE_HIGH,
     "The topic to write to (quickstart nexmark: a prefix of person, auction and bid; "
     "nexmark.*: defaults to person, auction or bid)."},
    {"quickstart", SL_CFG_STRING, NULL, SL_IMPORTANCE_HIGH,
     "What to generate: users, pageviews, orders, nexmark, nexmark.person, nexmark.auction or "
     "nexmark.bid."},
    {"max.interval", SL_CFG_LONG, "500", SL_IMPORTANCE_HIGH,
     "The most milliseconds a task waits before each record (a pseudo-random wait below it); "
     "0: no wait."},
    {"iterations", SL_CFG_LONG, "1000000", SL_IMPORTANCE_HIGH,
     "How many records each task writes; less than 1: no end."},
    {"random.seed", SL_CFG_LONG, "0", SL_IMPORTANCE_LOW,
     "The seed of the generated data: the same seed gives the same records."},
    {"records.per.second", SL_CFG_LONG, "0", SL_IMPORTANCE_MEDIUM,
     "The most records a second the connector writes, over all its tasks; 0: no limit."},
    {"schema.keyfield", SL_CFG_STRING, "", SL_IMPORTANCE_MEDIUM,
     "The value field whose text is the key; empty: the quickstart's (userid, viewtime, "
     "orderid, the Nexmark id)."},
};

/* The settings every task and the connector read and check. */
typedef struct settings {
    int q;                    /* DG_Q_* */
    const char *topic;        /* kafka.topic (borrowed from the config) */
    int64_t max_interval, iterations, rate;
    uint64_t seed;
    int key_field;            /* schema.keyfield's index in the value, or -1 */
} settings_t;

/* schema.keyfield: a top-level primitive field of the quickstart's one
 * shape. */
static int read_keyfield(sl_connect_ctx_t *ctx, settings_t *s)
{
    const char *name = dg_host->config_get(ctx, "schema.keyfield");
    s->key_field = -1;
    if (!name || !*name)
        return SL_CONNECT_OK;
    int shape = dg_quickstart_shape(s->q);
    if (shape < 0) {
        dg_host->set_error(ctx, "Invalid value %s for configuration schema.keyfield: quickstart "
                           "%s writes three shapes; use nexmark.person, nexmark.auction or "
                           "nexmark.bid", name, dg_quickstart_name(s->q));
        return SL_CONNECT_ECONFIG;
    }
    const dg_shape_t *sh = &dg_shapes[shape];
    for (size_t i = 0; i < sh->count; i++)
        if (!strcmp(sh->fields[i].name, name) && sh->fields[i].type != SL_CT_STRUCT) {
            s->key_field = (int)i;
            return SL_CONNECT_OK;
        }
    char names[256] = "";
    for (size_t i = 0, n = 0; i < sh->count; i++)
        if (sh->fields[i].type != SL_CT_STRUCT)
            n += (size_t)snprintf(names + n, n < sizeof(names) ? sizeof(names) - n : 0, "%s%s",
                                  n ? ", " : "", sh->fields[i].name);
    dg_host->set_error(ctx, "Invalid value %s for configuration schema.keyfield: not a "
                       "primitive field of %s (%s)", name, dg_quickstart_name(s->q), names);
    return SL_CONNECT_ECONFIG;
}

static int read_settings(sl_connect_ctx_t *ctx, settings_t *s)
{
    const char *q = dg_host->config_get(ctx, "quickstart");
    s->q = dg_quickstart_parse(q);
    s->topic = dg_host->config_get(ctx, "kafka.topic");
    if (!s->topic)
        s->topic = "";
    s->max_interval = dg_host->config_int(ctx, "max.interval", 500);
    s->iterations = dg_host->config_int(ctx, "iterations", 1000000);
    s->rate = dg_host->config_int(ctx, "records.per.second", 0);
    s->seed = (uint64_t)dg_host->config_int(ctx, "random.seed", 0);
    if (s->q < 0) {
        dg_host->set_error(ctx, "Invalid value %s for configuration quickstart: must be one of "
                           "users, pageviews, orders, nexmark, nexmark.person, nexmark.auction, "
                           "nexmark.bid", q ? q : "(none)");
        return SL_CONNECT_ECONFIG;
    }
    if (!*s->topic && s->q <= DG_Q_ORDERS) {
        dg_host->set_error(ctx, "Missing required configuration \"kafka.topic\" which has no "
                           "default value (quickstart %s)", dg_quickstart_name(s->q));
        return SL_CONNECT_ECONFIG;
    }
    if (strlen(s->topic) > 200) {
        dg_host->set_error(ctx, "Invalid value for configuration kafka.topic: longer than 200 "
                           "bytes");
        return SL_CONNECT_ECONFIG;
    }
    if (s->max_interval < 0 || s->max_interval > 3600000) {
        dg_host->set_error(ctx, "Invalid value %lld for configuration max.interval: must be "
                           "between 0 and 3600000 (ms)", (long long)s->max_interval);
        return SL_CONNECT_ECONFIG;
    }
    if (s->rate < 0) {
        dg_host->set_error(ctx, "Invalid value %lld for configuration records.per.second: must "
                           "be at least 0", (long long)s->rate);
        return SL_CONNECT_ECONFIG;
    }
    return read_keyfield(ctx, s);
}

/* ---- the connector --------------------------------------------------------- */

static int conn_start(sl_connect_ctx_t *ctx, void **state)
{
    settings_t s;
    *state = NULL;
    return read_settings(ctx, &s);
}

/* Every task number and the count: the work splits by record index. */
static int conn_task_configs(void *state, sl_connect_ctx_t *ctx, int max_tasks,
                             sl_connect_taskcfgs_t *out)
{
    (void)state;
    (void)ctx;
    char id[16], count[16];
    snprintf(count, sizeof(count), "%d", max_tasks);
    for (int t = 0; t < max_tasks; t++) {
        snprintf(id, sizeof(id), "%d", t);
        int rc = dg_host->taskcfg_put(out, t, "datagen.task.id", id);
        if (rc || (rc = dg_host->taskcfg_put(out, t, "datagen.task.count", count)))
            return rc;
    }
    return max_tasks;
}

/* ---- the task -------------------------------------------------------------- */

typedef struct task {
    sl_connect_ctx_t *ctx;
    settings_t s;
    int64_t id, count;        /* this task's number, the number of tasks */
    int64_t done;             /* records made: the offset */
    int64_t rate_start_ms;    /* the rate's clock: rate_sent records since then */
    int64_t rate_sent;
    int64_t next_ms;          /* max.interval: when the next record may go */
    char topics[3][256];      /* kafka.topic or Nexmark's topics with its prefix */
    char partition[64];
    dg_cache_t cache;
} task_t;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nap(int64_t ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A task setting made by task_configs: 0 <= n < 65536, else -1. */
static int64_t task_setting(sl_connect_ctx_t *ctx, const char *key, int64_t def)
{
    const char *v = dg_host->config_get(ctx, key);
    if (!v)
        return def;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    return errno || end == v || *end || n < 0 || n >= 65536 ? -1 : n;
}

/* The count in a stored {"current.iteration":N}; -1 when malformed. */
static int64_t parse_offset(const char *offset)
{
    const char *p = strstr(offset, "\"current.iteration\"");
    if (!p)
        return -1;
    p += strlen("\"current.iteration\"");
    while (*p == ' ')
        p++;
    if (*p++ != ':')
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(p, &end, 10);
    return errno || end == p || v < 0 ? -1 : (int64_t)v;
}

static void set_topics(task_t *t)
{
    static const char *const nx[3] = {"person", "auction", "bid"};
    for (int i = 0; i < 3; i++) {
        if (t->s.q == DG_Q_NEXMARK)
            snprintf(t->topics[i], sizeof(t->topics[i]), "%s%s", t->s.topic, nx[i]);
        else if (*t->s.topic)
            snprintf(t->topics[i], sizeof(t->topics[i]), "%s", t->s.topic);
        else
            snprintf(t->topics[i], sizeof(t->topics[i]), "%s", nx[t->s.q - DG_Q_NX_PERSON]);
    }
}

static int task_start(sl_connect_ctx_t *ctx, void **out)
{
    task_t *t = calloc(1, sizeof(*t));
    if (!t)
        return SL_CONNECT_ENOMEM;
    t->ctx = ctx;
    int rc = read_settings(ctx, &t->s);
    t->id = task_setting(ctx, "datagen.task.id", 0);
    t->count = task_setting(ctx, "datagen.task.count", 1);
    if (!rc && (t->id < 0 || t->count < 1 || t->id >= t->count)) {
        dg_host->set_error(ctx, "datagen.task.id and datagen.task.count (set by the connector) "
                           "must be 0 <= id < count < 65536");
        rc = SL_CONNECT_ECONFIG;
    }
    if (rc) {
        free(t);
        return rc;
    }
    set_topics(t);
    snprintf(t->partition, sizeof(t->partition), "{\"task.id\":%lld,\"tasks\":%lld}",
             (long long)t->id, (long long)t->count);
    const char *stored = dg_host->offset_get(ctx, t->partition);
    if (stored) {
        t->done = parse_offset(stored);
        if (t->done < 0) {
            dg_host->set_error(ctx, "stored offset %s of %s is not {\"current.iteration\":N}",
                               stored, t->partition);
            free(t);
            return SL_CONNECT_EPARSE;
        }
        dg_host->log(ctx, SL_CONNECT_LOG_INFO, "resuming %s after record %lld of task %lld",
                     dg_quickstart_name(t->s.q), (long long)t->done, (long long)t->id);
    }
    t->rate_start_ms = now_ms();
    *out = t;
    return SL_CONNECT_OK;
}

/* When the next record may go (ms, the monotonic clock). */
static int64_t next_due(task_t *t, int64_t now)
{
    int64_t due = t->next_ms;
    if (t->s.rate) {
        /* Each task takes an equal share of the rate (maybe below 1 a second). */
        int64_t r = t->rate_start_ms +
                    (int64_t)((double)t->rate_sent * 1000.0 * (double)t->count / (double)t->s.rate);
        if (now - r > 1000) {   /* far behind: start the clock again */
            t->rate_start_ms = now;
            t->rate_sent = 0;
            r = now;
        }
        if (r > due)
            due = r;
    }
    return due;
}

static int emit(task_t *t, sl_connect_batch_t *batch, int64_t now)
{
    uint64_t index = (uint64_t)t->done * (uint64_t)t->count + (uint64_t)t->id;
    dg_rec_t r;
    int rc = dg_generate(t->ctx, &t->cache, t->s.q, t->s.seed, index, &r);
    if (rc)
        return rc;
    if (t->s.key_field >= 0 &&
        !(r.key = dg_text(&t->cache, r.value->u.map.pairs[t->s.key_field].value)))
        return SL_CONNECT_ENOMEM;
    const sl_cschema_t *vs = dg_schema(&t->cache, r.shape);
    if (r.key && !t->cache.key_schema)
        t->cache.key_schema = dg_host->schema_new(t->cache.mem, SL_CT_STRING, 0, NULL);
    if (!vs || (r.key && !t->cache.key_schema))
        return SL_CONNECT_ENOMEM;
    const char *topic = t->topics[0];
    if (r.topic)
        topic = t->topics[r.shape == DG_S_PERSON ? 0 : r.shape == DG_S_AUCTION ? 1 : 2];
    char offset[48];
    snprintf(offset, sizeof(offset), "{\"current.iteration\":%lld}", (long long)t->done + 1);
    sl_connect_record_t rec = {
        .topic = topic,
        .partition = -1,
        .key_schema = r.key ? t->cache.key_schema : NULL,
        .key = r.key,
        .value_schema = vs,
        .value = r.value,
        .source_partition = t->partition,
        .source_offset = offset,
    };
    if ((rc = dg_host->batch_add(batch, &rec)))
        return rc;
    t->done++;
    t->rate_sent++;
    t->next_ms = t->s.max_interval
                     ? now + (int64_t)(dg_mix(t->s.seed ^ 0x5bd1e995u, index) %
                                       (uint64_t)t->s.max_interval)
                     : 0;
    return SL_CONNECT_OK;
}

static int task_poll(void *task, sl_connect_batch_t *batch, size_t max_records, int timeout_ms)
{
    task_t *t = task;
    dg_cache_reset(&t->cache, dg_host->batch_mem(batch));
    int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    size_t n = 0;
    while (n < max_records) {
        int64_t now = now_ms();
        if (t->s.iterations > 0 && t->done >= t->s.iterations) {
            if (!n)
                nap(deadline - now < 100 ? deadline - now : 100);
            break;
        }
        int64_t due = next_due(t, now);
        if (due > now) {
            /* Hand over what is ready rather than sit on it. */
            if (n || now >= deadline)
                break;
            nap((due < deadline ? due : deadline) - now);
            continue;
        }
        int rc = emit(t, batch, now);
        if (rc)
            return rc;
        n++;
    }
    return SL_CONNECT_OK;
}

static void task_stop(void *task)
{
    free(task);
}

static const sl_connect_source_task_t source_vt = {
    .start = task_start,
    .poll = task_poll,
    .stop = task_stop,
};

static const sl_connect_plugin_t plugin = {
    .abi_version = SL_CONNECT_ABI_VERSION,
    .class_name = "DatagenSource",
    .version = "1.0",
    .kind = SL_CONNECT_SOURCE,
    .config_defs = defs,
    .config_def_count = sizeof(defs) / sizeof(defs[0]),
    .connector_start = conn_start,
    .task_configs = conn_task_configs,
    .source = &source_vt,
    .exactly_once = 1,
};

SL_CONNECT_EXPORT const sl_connect_plugin_t *sl_connect_plugin_v1(const sl_connect_host_t *h)
{
    dg_host = h;
    return &plugin;
}
