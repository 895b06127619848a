/*
 * topics.c - the topics an application needs before its threads start:
 * pattern sources resolved against the broker's topics, the input topics
 * checked to exist, repartition topics ("<app>-<name>-repartition") and
 * changelog topics ("<app>-<store>-changelog") created with the admin
 * client (or checked when they exist), co-partitioning checked; and the
 * purge of repartition topics below committed offsets (DeleteRecords).
 *
 * Partition counts, as Kafka Streams: a repartition topic has the count
 * given to repartition(), else the largest count among the other source
 * topics of the sub-topology reading it (so it is co-partitioned with
 * them), else the largest among the source topics of the sub-topology
 * writing it. A changelog has one partition per task of its store's
 * sub-topology. Changelogs are compacted; window and session stores'
 * "compact,delete" with retention.ms = the store's retention + 1 day.
 */
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_int.h"

#define ADMIN_TIMEOUT_MS (-1) /* the admin client's request.timeout.ms */
#define CHANGELOG_EXTRA_RETENTION_MS (24 * 3600 * 1000LL)

typedef struct tcount {
    char *name;
    int32_t count;        /* 0: unknown yet */
    bool internal;        /* ours to create */
    bool repartition;
    int producer_sub;     /* repartition: index in app->subs writing it, -1 */
    int32_t fixed;        /* repartition: the count given, 0 none */
    const sl_store_def_t *store; /* changelog: its store */
} tcount_t;

typedef struct tplan {
    tcount_t *t;
    size_t n, cap;
} tplan_t;

const char *sl_topics_changelog(const sl_app_t *app, const char *store, char *buf, size_t len)
{
    snprintf(buf, len, "%s-%s-changelog", app->app_id, store);
    return buf;
}

static tcount_t *plan_find(tplan_t *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->t[i].name, name) == 0)
            return &p->t[i];
    return NULL;
}

static tcount_t *plan_add(tplan_t *p, const char *name)
{
    tcount_t *e = plan_find(p, name);
    if (e)
        return e;
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 16;
        tcount_t *n = realloc(p->t, cap * sizeof(*n));
        if (!n)
            return NULL;
        p->t = n;
        p->cap = cap;
    }
    e = &p->t[p->n];
    memset(e, 0, sizeof(*e));
    e->producer_sub = -1;
    if (!(e->name = strdup(name)))
        return NULL;
    p->n++;
    return e;
}

static void plan_free(tplan_t *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->t[i].name);
    free(p->t);
}

static sl_err_t fail(char *errbuf, size_t errlen, sl_err_t err, const char *fmt, ...) SL_PRINTF(4, 5);

static sl_err_t fail(char *errbuf, size_t errlen, sl_err_t err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
    SL_ERROR(SL_APP_LOG, "%s", errbuf);
    return err;
}

/* Adds the topics matching pattern sources to their sub-topologies. */
static sl_err_t resolve_patterns(sl_app_t *app, char *errbuf, size_t errlen)
{
    const char **names = NULL;
    size_t nn = 0;
    sl_arena_t ar;
    sl_arena_init(&ar, 0, 0);
    bool listed = false;
    sl_err_t err = SL_OK;
    for (size_t i = 0; i < app->n_subs && !err; i++) {
        sl_app_sub_t *as = &app->subs[i];
        for (size_t k = 0; k < as->sub->n_sources && !err; k++) {
            const sl_node_t *src = as->sub->sources[k];
            if (!src->pattern)
                continue;
            if (!listed) {
                err = sl_admin_list_topics(app->admin, false, &ar, &names, &nn, ADMIN_TIMEOUT_MS);
                if (err) {
                    fail(errbuf, errlen, err, "listing topics for pattern %s: %s", src->pattern, sl_err_name(err));
                    break;
                }
                listed = true;
            }
            size_t len = strlen(src->pattern) + 5;
            char *whole = malloc(len);
            regex_t re;
            if (!whole) {
                err = SL_ERR_NOMEM;
                break;
            }
            snprintf(whole, len, "^(%s)$", src->pattern);
            if (regcomp(&re, whole, REG_EXTENDED | REG_NOSUB) != 0) {
                free(whole);
                err = fail(errbuf, errlen, SL_ERR_INVAL, "source pattern %s: not a POSIX extended regex",
                           src->pattern);
                break;
            }
            free(whole);
            size_t matched = 0;
            for (size_t j = 0; j < nn && !err; j++) {
                if (regexec(&re, names[j], 0, NULL, 0) != 0)
                    continue;
                matched++;
                char **nt = realloc(as->topics, (as->n_topics + 1) * sizeof(char *));
                char *copy = strdup(names[j]);
                if (!nt || !copy) {
                    free(copy);
                    if (nt)
                        as->topics = nt;
                    err = SL_ERR_NOMEM;
                    break;
                }
                as->topics = nt;
                as->topics[as->n_topics++] = copy;
            }
            regfree(&re);
            if (!err && !matched)
                err = fail(errbuf, errlen, SL_ERR_NOENT, "source pattern %s matches no topic", src->pattern);
        }
    }
    sl_arena_fini(&ar);
    return err;
}

/* Counts of every existing topic in the plan (0 for those missing). */
static sl_err_t describe(sl_app_t *app, tplan_t *p, char *errbuf, size_t errlen)
{
    if (!p->n)
        return SL_OK;
    const char **names = calloc(p->n, sizeof(char *));
    if (!names)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < p->n; i++)
        names[i] = p->t[i].name;
    sl_arena_t ar;
    sl_arena_init(&ar, 0, 0);
    sl_topic_desc_t *d = NULL;
    size_t nd = 0;
    sl_err_t err = sl_admin_describe_topics(app->admin, names, p->n, &ar, &d, &nd, ADMIN_TIMEOUT_MS);
    if (err) {
        char why[600];
        sl_admin_last_error(app->admin, why, sizeof(why));
        fail(errbuf, errlen, err, "describing the application's topics: %s", why);
    }
    for (size_t i = 0; !err && i < nd; i++) {
        tcount_t *e = plan_find(p, d[i].name);
        if (e && !d[i].err && d[i].partition_count > 0) {
            if (e->internal && e->count && e->count != (int32_t)d[i].partition_count)
                err = fail(errbuf, errlen, SL_ERR_INVAL,
                           "internal topic %s exists with %zu partitions where %d are needed", e->name,
                           d[i].partition_count, (int)e->count);
            e->count = (int32_t)d[i].partition_count;
            e->internal = false; /* it exists: nothing to create */
        }
    }
    sl_arena_fini(&ar);
    free(names);
    return err;
}

static int32_t max_known(tplan_t *p, const sl_app_sub_t *as, bool skip_repartition, bool *all)
{
    int32_t m = 0;
    *all = true;
    for (size_t k = 0; k < as->n_topics; k++) {
        tcount_t *e = plan_find(p, as->topics[k]);
        if (!e || (skip_repartition && e->repartition))
            continue;
        if (e->count > m)
            m = e->count;
        if (!e->count)
            *all = false;
    }
    return m;
}

/* Repartition counts, to a fixed point (a chain of repartitions). */
static sl_err_t repartition_counts(sl_app_t *app, tplan_t *p, char *errbuf, size_t errlen)
{
    for (size_t round = 0; round <= p->n; round++) {
        bool progress = false, missing = false;
        for (size_t i = 0; i < p->n; i++) {
            tcount_t *e = &p->t[i];
            if (!e->repartition || e->count)
                continue;
            if (e->fixed) {
                e->count = e->fixed;
                progress = true;
                continue;
            }
            bool all;
            int reader = sl_app_sub_of(app, e->name);
            int32_t c = reader >= 0 ? max_known(p, &app->subs[reader], true, &all) : 0;
            if (!c && e->producer_sub >= 0) {
                c = max_known(p, &app->subs[e->producer_sub], false, &all);
                if (!all)
                    c = 0;
            }
            if (c) {
                e->count = c;
                progress = true;
            } else {
                missing = true;
            }
        }
        if (!missing)
            return SL_OK;
        if (!progress)
            break;
    }
    for (size_t i = 0; i < p->n; i++)
        if (p->t[i].repartition && !p->t[i].count)
            return fail(errbuf, errlen, SL_ERR_INVAL, "cannot work out the partition count of %s", p->t[i].name);
    return SL_OK;
}

static sl_err_t create(sl_app_t *app, tplan_t *p, char *errbuf, size_t errlen)
{
    size_t n = 0;
    for (size_t i = 0; i < p->n; i++)
        n += p->t[i].internal;
    if (!n)
        return SL_OK;
    sl_new_topic_t *nt = calloc(n, sizeof(*nt));
    sl_config_entry_t(*cfg)[3] = calloc(n, sizeof(*cfg));
    char(*ret)[32] = calloc(n, sizeof(*ret));
    if (!nt || !cfg || !ret) {
        free(nt);
        free(cfg);
        free(ret);
        return SL_ERR_NOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < p->n; i++) {
        tcount_t *e = &p->t[i];
        if (!e->internal)
            continue;
        nt[k].name = e->name;
        nt[k].partitions = e->count;
        nt[k].replication_factor = app->replication;
        size_t c = 0;
        if (e->repartition) {
            cfg[k][c++] = (sl_config_entry_t){.name = "cleanup.policy", .value = "delete"};
            cfg[k][c++] = (sl_config_entry_t){.name = "retention.ms", .value = "-1"};
        } else if (e->store && e->store->kind != SL_STORE_KV) {
            int64_t r = e->store->retention_ms > 0 ? e->store->retention_ms : e->store->window_size_ms;
            snprintf(ret[k], sizeof(ret[k]), "%lld", (long long)(r + CHANGELOG_EXTRA_RETENTION_MS));
            cfg[k][c++] = (sl_config_entry_t){.name = "cleanup.policy", .value = "compact,delete"};
            cfg[k][c++] = (sl_config_entry_t){.name = "retention.ms", .value = ret[k]};
        } else {
            cfg[k][c++] = (sl_config_entry_t){.name = "cleanup.policy", .value = "compact"};
        }
        nt[k].configs = cfg[k];
        nt[k].config_count = c;
        k++;
    }
    sl_arena_t ar;
    sl_arena_init(&ar, 0, 0);
    sl_err_t err = sl_admin_create_topics(app->admin, nt, n, false, &ar, ADMIN_TIMEOUT_MS);
    if (err) {
        char why[600];
        sl_admin_last_error(app->admin, why, sizeof(why));
        fail(errbuf, errlen, err, "creating internal topics: %s", why);
    }
    for (size_t i = 0; i < n && !err; i++) {
        if (nt[i].err == SL_ERR_TOPIC_ALREADY_EXISTS || !nt[i].err) {
            if (!nt[i].err)
                SL_INFO(SL_APP_LOG, "%s: created %s with %d partitions", app->app_id, nt[i].name,
                        (int)nt[i].partitions);
            continue;
        }
        err = fail(errbuf, errlen, nt[i].err, "creating internal topic %s (%d partitions): %s", nt[i].name,
                   (int)nt[i].partitions, nt[i].message ? nt[i].message : sl_err_name(nt[i].err));
    }
    sl_arena_fini(&ar);
    free(nt);
    free(cfg);
    free(ret);
    return err;
}

static int sub_index_by_id(const sl_app_t *app, int id)
{
    for (size_t i = 0; i < app->n_subs; i++)
        if (app->subs[i].sub->id == id)
            return (int)i;
    return -1;
}

sl_err_t sl_topics_prepare(sl_app_t *app, char *errbuf, size_t errlen)
{
    tplan_t p = {0};
    sl_err_t err = resolve_patterns(app, errbuf, errlen);
    /* every source topic; repartition topics from their sinks */
    for (size_t i = 0; i < app->n_subs && !err; i++)
        for (size_t k = 0; k < app->subs[i].n_topics && !err; k++)
            if (!plan_add(&p, app->subs[i].topics[k]))
                err = SL_ERR_NOMEM;
    for (size_t i = 0; i < app->t->n_nodes && !err; i++) {
        const sl_node_t *nd = app->t->nodes[i];
        if (nd->kind != SL_NODE_SINK || !nd->internal)
            continue;
        char name[512];
        snprintf(name, sizeof(name), "%s-%s", app->app_id, nd->topic);
        tcount_t *e = plan_add(&p, name);
        if (!e) {
            err = SL_ERR_NOMEM;
            break;
        }
        e->repartition = true;
        e->internal = true;
        e->producer_sub = sub_index_by_id(app, nd->subtopology);
        if (nd->repartition_count > 0)
            e->fixed = nd->repartition_count;
    }
    if (!err)
        err = describe(app, &p, errbuf, errlen);
    for (size_t i = 0; i < p.n && !err; i++)
        if (!p.t[i].repartition && !p.t[i].count)
            err = fail(errbuf, errlen, SL_ERR_NOENT, "source topic %s does not exist", p.t[i].name);
    if (!err)
        err = repartition_counts(app, &p, errbuf, errlen);
    /* co-partitioning: one count per sub-topology */
    for (size_t i = 0; i < app->n_subs && !err; i++) {
        sl_app_sub_t *as = &app->subs[i];
        as->partitions = 0;
        const char *first = NULL;
        for (size_t k = 0; k < as->n_topics && !err; k++) {
            tcount_t *e = plan_find(&p, as->topics[k]);
            if (first && e->count != as->partitions)
                err = fail(errbuf, errlen, SL_ERR_INVAL,
                           "co-partitioned topics %s (%d partitions) and %s (%d partitions) must have the same "
                           "partition count",
                           first, (int)as->partitions, e->name, (int)e->count);
            first = e->name;
            as->partitions = e->count;
        }
    }
    /* changelogs */
    for (size_t i = 0; i < app->n_subs && !err; i++) {
        const sl_subtopo_t *sub = app->subs[i].sub;
        for (size_t k = 0; k < sub->n_stores && !err; k++) {
            if (!sub->stores[k]->logging)
                continue;
            char name[512];
            sl_topics_changelog(app, sub->stores[k]->name, name, sizeof(name));
            tcount_t *e = plan_add(&p, name);
            if (!e) {
                err = SL_ERR_NOMEM;
                break;
            }
            e->internal = true;
            e->store = sub->stores[k];
            e->count = app->subs[i].partitions;
        }
    }
    /* check the changelogs that exist, then create what is missing */
    if (!err) {
        tplan_t cl = {0};
        for (size_t i = 0; i < p.n && !err; i++) {
            if (!p.t[i].internal || p.t[i].repartition)
                continue;
            tcount_t *e = plan_add(&cl, p.t[i].name);
            if (!e)
                err = SL_ERR_NOMEM;
            else
                *e = (tcount_t){.name = e->name, .count = p.t[i].count, .internal = true, .store = p.t[i].store,
                                .producer_sub = -1};
        }
        if (!err)
            err = describe(app, &cl, errbuf, errlen);
        for (size_t i = 0; i < cl.n && !err; i++)
            plan_find(&p, cl.t[i].name)->internal = cl.t[i].internal;
        plan_free(&cl);
    }
    if (!err)
        err = create(app, &p, errbuf, errlen);
    plan_free(&p);
    return err;
}

void sl_topics_purge(sl_app_t *app, const sl_tp_offset_t *parts, size_t n)
{
    size_t plen = strlen(app->app_id);
    sl_tp_offset_t *del = calloc(n ? n : 1, sizeof(*del));
    if (!del)
        return;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        size_t tl = strlen(parts[i].topic);
        if (strncmp(parts[i].topic, app->app_id, plen) != 0 || parts[i].topic[plen] != '-' || tl < 12 ||
            strcmp(parts[i].topic + tl - 12, "-repartition") != 0)
            continue;
        del[k] = parts[i];
        del[k].err = SL_OK;
        k++;
    }
    if (k) {
        sl_err_t err = sl_admin_delete_records(app->admin, del, k, ADMIN_TIMEOUT_MS);
        for (size_t i = 0; i < k && !err; i++)
            if (del[i].err)
                err = del[i].err;
        if (err)
            SL_WARN(SL_APP_LOG, "%s: purging repartition topics: %s", app->app_id, sl_err_name(err));
        else
            SL_DEBUG(SL_APP_LOG, "%s: purged %zu repartition partitions", app->app_id, k);
    }
    free(del);
}
