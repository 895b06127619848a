/*
 * coord.c - the group coordinator's groups and their durable life in
 * __consumer_offsets: the map of groups, the loader thread that rebuilds
 * them from the topic at start-up (groups of a partition not loaded yet
 * answer COORDINATOR_LOAD_IN_PROGRESS), the group metadata written after
 * each completed rebalance and when a group empties, DeleteGroups, and
 * offset expiry on the main loop's timer (KIP-211 and KIP-496 rules).
 *
 * Restored groups: a GroupMetadata record brings back an Empty group with
 * its protocol type and generation (DescribeGroups and ListGroups show it);
 * its members are not restored: they were connected to the previous run,
 * and learn with UNKNOWN_MEMBER_ID that they must join again. The group
 * counts as Empty from the restart when it had members, else from the
 * record's state timestamp.
 *
 * Transactional offsets (TxnOffsetCommit, Kafka's pending transactional
 * offset commits): held per producer id in the group until the producer's
 * marker in the group's partition commits or aborts them
 * (sl_coord_txn_complete at run time; the marker itself when loading). A
 * group with pending offsets is not removed by expiry (Kafka's hasOffsets),
 * and neither DeleteGroups nor OffsetDelete drop them: the marker decides,
 * at run time as after a restart (Kafka drops them with a deleted group at
 * run time but brings them back when it loads: one rule here).
 *
 * Threads and locks are group_api.c's (coord.mu -> grp->mu -> part->mu);
 * the loader takes coord.mu and grp->mu one at a time, and only for groups
 * of the partition it is loading, which no request touches meanwhile.
 * Transaction completions for a partition still loading wait in
 * coord.deferred and are applied by the loader once its scan is done,
 * before the partition is served (Kafka runs them after the load too).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "broker_int.h"
#include "group.h"
#include "group_int.h"
#include "txn_int.h"

#define GROUP_LOG "group"

static struct {
    pthread_mutex_t mu;                /* the map of groups */
    sl_map_t groups;                   /* group id -> grp_t */
    bool open;
    sl_broker_t *broker;               /* const while open */
    sl_group_limits_t lim;             /* const while open */
    sl_internal_loader_t ld;           /* ld.nparts: __consumer_offsets' count; -1 none */
    int64_t retention_ms;              /* const while open */
    struct deferred_txn *deferred;     /* completions waiting for a load (coord.mu) */
    size_t ndeferred, capdeferred;
} coord = {.mu = PTHREAD_MUTEX_INITIALIZER, .ld.nparts = -1};

typedef sl_coord_group_t grp_t;

typedef struct deferred_txn {
    int32_t partition;
    int64_t producer_id;
    bool commit;
} deferred_txn_t;

static void grp_free(void *v)
{
    grp_t *grp = v;
    sl_group_free(grp->g);
    sl_offsets_fini(&grp->offsets);
    sl_offsets_pending_fini(&grp->pending);
    pthread_mutex_destroy(&grp->mu);
    free(grp);
}

static sl_group_t *group_new(const char *id, size_t len)
{
    char *name = strndup(id, len);
    sl_group_t *g = name ? sl_group_new(name, &coord.lim, (uint32_t)sl_time_wall_ms() ^ (uint32_t)getpid()) : NULL;
    free(name);
    return g;
}

static grp_t *grp_new(const char *id, size_t len)
{
    grp_t *grp = calloc(1, sizeof *grp);
    if (grp)
        grp->g = group_new(id, len);
    if (!grp || !grp->g) {
        free(grp);
        return NULL;
    }
    pthread_mutex_init(&grp->mu, NULL);
    sl_offsets_init(&grp->offsets);
    sl_offsets_pending_init(&grp->pending);
    grp->partition = sl_coord_partition_for(id, len, coord.ld.nparts);
    grp->written_state = SL_GROUP_EMPTY;
    grp->empty_since = sl_time_wall_ms();
    return grp;
}

/* coord.mu held. */
static grp_t *grp_lookup_locked(const char *id, size_t len, bool create)
{
    grp_t *grp = sl_map_get(&coord.groups, id, len);
    if (grp || !create)
        return grp;
    grp = grp_new(id, len);
    if (grp && sl_map_put(&coord.groups, id, len, grp, NULL) != SL_OK) {
        grp_free(grp);
        grp = NULL;
    }
    return grp;
}

static grp_t *grp_lookup(sl_kstr_t id, bool create)
{
    pthread_mutex_lock(&coord.mu);
    grp_t *grp = grp_lookup_locked(id.ptr ? id.ptr : "", (size_t)SL_MAX(id.len, 0), create);
    pthread_mutex_unlock(&coord.mu);
    return grp;
}

/* Back to a new Empty group of generation 0 (deleted or expired); its
 * offsets are the caller's. grp->mu held; the group has no members. */
static void grp_reset_locked(grp_t *grp)
{
    const char *id = sl_group_id(grp->g);
    sl_group_t *g = group_new(id, strlen(id));
    if (!g) {
        sl_group_restore(grp->g, NULL, 0); /* no memory: the same, by hand */
    } else {
        sl_group_free(grp->g);
        grp->g = g;
    }
    grp->written_gen = 0;
    grp->written_state = SL_GROUP_EMPTY;
    grp->empty_since = sl_time_wall_ms();
}

/* grp->mu held. A group exists while it has members, offsets (pending
 * transactional ones too), or a generation (Kafka keeps an Empty group
 * until its offsets expire). */
static bool grp_exists_locked(grp_t *grp)
{
    return sl_group_member_count(grp->g) > 0 || sl_map_count(&grp->offsets) > 0 ||
           sl_map_count(&grp->pending) > 0 ||
           sl_group_state(grp->g) != SL_GROUP_EMPTY || sl_group_generation(grp->g) > 0;
}

/* ======================================================================
 * Lookups for the handlers
 * ====================================================================== */

static int16_t load_error(sl_kstr_t id)
{
    if (!coord.open || coord.ld.nparts <= 0)
        return SL_ERR_COORDINATOR_NOT_AVAILABLE;
    int32_t p = sl_coord_partition_for(id.ptr ? id.ptr : "", (size_t)SL_MAX(id.len, 0), coord.ld.nparts);
    return atomic_load(&coord.ld.loaded[p]) ? 0 : SL_ERR_COORDINATOR_LOAD_IN_PROGRESS;
}

sl_coord_group_t *sl_coord_get(sl_broker_t *broker, sl_kstr_t id, bool create, int16_t *err)
{
    SL_UNUSED(broker);
    *err = id.len < 0 ? SL_ERR_INVALID_GROUP_ID : load_error(id);
    if (*err)
        return NULL;
    return grp_lookup(id, create);
}

sl_coord_group_t *sl_coord_group_find(sl_broker_t *broker, sl_kstr_t id, int16_t *err)
{
    grp_t *grp = sl_coord_get(broker, id, false, err);
    if (!grp)
        return NULL;
    pthread_mutex_lock(&grp->mu);
    sl_group_tick(grp->g, sl_time_mono_ms());
    bool exists = grp_exists_locked(grp);
    sl_coord_group_release(grp);
    return exists ? grp : NULL;
}

sl_group_t *sl_coord_group_lock(sl_coord_group_t *cg)
{
    pthread_mutex_lock(&cg->mu);
    sl_group_tick(cg->g, sl_time_mono_ms());
    return cg->g;
}

void sl_coord_group_unlock(sl_coord_group_t *cg) { sl_coord_group_release(cg); }

int32_t sl_coord_offset_metadata_max(void)
{
    return coord.broker ? coord.broker->cfg->offset_metadata_max_bytes : 4096;
}

int16_t sl_coord_group_append(sl_coord_group_t *cg, sl_coord_batch_t *cb)
{
    if (!coord.open)
        return SL_ERR_COORDINATOR_NOT_AVAILABLE;
    return sl_coord_batch_append(coord.broker, cg->partition, cb);
}

/* A snapshot of every group (grp->mu is never taken under coord.mu while
 * a request may hold grp->mu and wait for coord.mu). *n gets the count;
 * NULL on no memory. */
static void **groups_snapshot(size_t *n)
{
    pthread_mutex_lock(&coord.mu);
    void **all = sl_map_values(&coord.groups, n);
    pthread_mutex_unlock(&coord.mu);
    return all;
}

int32_t sl_coord_group_ids(sl_broker_t *broker, char ***out, int16_t *err)
{
    SL_UNUSED(broker);
    *out = NULL;
    *err = !coord.open || coord.ld.nparts <= 0     ? SL_ERR_COORDINATOR_NOT_AVAILABLE
           : !atomic_load(&coord.ld.all_loaded) ? SL_ERR_COORDINATOR_LOAD_IN_PROGRESS
                                             : 0;
    size_t k = 0;
    void **all = coord.open ? groups_snapshot(&k) : calloc(1, sizeof *all);
    char **ids = calloc(k + 1, sizeof *ids);
    if (!all || !ids) {
        free(all);
        free(ids);
        return -1;
    }
    int32_t m = 0;
    for (size_t i = 0; i < k; i++) {
        grp_t *grp = all[i];
        if (!atomic_load(&coord.ld.loaded[grp->partition]))
            continue; /* Kafka lists what is loaded so far, with the error */
        pthread_mutex_lock(&grp->mu);
        sl_group_tick(grp->g, sl_time_mono_ms());
        if (grp_exists_locked(grp))
            ids[m] = strdup(sl_group_id(grp->g));
        sl_coord_group_release(grp);
        if (ids[m])
            m++;
    }
    free(all);
    *out = ids;
    return m;
}

int sl_coord_subscribes(struct sl_group *g, sl_kstr_t topic, sl_arena_t *arena)
{
    const char *ptype = sl_group_protocol_type(g);
    int32_t n = sl_group_member_count(g);
    if (!ptype || strcmp(ptype, "consumer") != 0 || n == 0)
        return -1;
    bool found = false;
    for (int32_t i = 0; i < n; i++) {
        const char *mid, *cid, *iid;
        sl_kbytes_t meta, assign;
        if (!sl_group_member_at(g, i, &mid, &cid, &iid, &meta, &assign) || !meta.ptr || meta.len < 2)
            return -1;
        sl_rd_t rd;
        sl_rd_init(&rd, meta.ptr, (size_t)meta.len);
        int16_t version = sl_rd_i16(&rd);
        sl_ConsumerProtocolSubscription_t sub;
        /* newer versions only add fields at the end: read as the newest known */
        if (version < 0 ||
            sl_ConsumerProtocolSubscription_decode(&rd, SL_MIN(version, 3), arena, &sub) != SL_OK)
            return -1;
        for (int32_t k = 0; k < sub.Topics.count; k++)
            found = found || (sub.Topics.items[k].len == topic.len &&
                              (topic.len == 0 || memcmp(sub.Topics.items[k].ptr, topic.ptr, (size_t)topic.len) == 0));
    }
    return found ? 1 : 0;
}

/* ======================================================================
 * Group metadata records
 * ====================================================================== */

/* Adds the group's metadata record to cb. grp->mu held. */
static void add_group_record(sl_coord_batch_t *cb, grp_t *grp)
{
    sl_group_t *g = grp->g;
    int32_t n = sl_group_member_count(g);
    sl_group_record_member_t *ms = calloc((size_t)n + 1, sizeof *ms);
    if (!ms) {
        cb->err = SL_ERR_NOMEM;
        return;
    }
    int32_t k = 0;
    for (int32_t i = 0; i < n; i++) {
        const char *mid, *cid, *iid;
        sl_kbytes_t meta, assign;
        int32_t session = 0, rebalance = 0;
        if (!sl_group_member_at(g, i, &mid, &cid, &iid, &meta, &assign))
            break;
        sl_group_member_timeouts(g, i, &session, &rebalance);
        sl_group_record_member_t *m = &ms[k++];
        m->member_id = sl_kstr(mid);
        m->instance_id = iid ? sl_kstr(iid) : sl_kstr_null();
        m->client_id = sl_kstr(cid ? cid : "");
        m->client_host = sl_kstr(sl_group_member_host(g, i));
        m->session_timeout_ms = session;
        m->rebalance_timeout_ms = rebalance;
        m->subscription = meta.ptr ? meta : (sl_kbytes_t){(const uint8_t *)"", 0};
        m->assignment = assign.ptr ? assign : (sl_kbytes_t){(const uint8_t *)"", 0};
    }
    const char *ptype = sl_group_protocol_type(g), *proto = sl_group_protocol_name(g), *leader = sl_group_leader(g);
    sl_group_record_t rec = {
        .protocol_type = sl_kstr(ptype ? ptype : ""),
        .generation = sl_group_generation(g),
        .protocol = proto ? sl_kstr(proto) : sl_kstr_null(),
        .leader = leader ? sl_kstr(leader) : sl_kstr_null(),
        .state_ts = sl_time_wall_ms(),
        .nmembers = k,
        .members = ms,
    };
    sl_coord_batch_group(cb, sl_kstr(sl_group_id(g)), &rec);
    free(ms);
}

/* After the state machine ran: records when the group became Empty, and
 * writes its metadata when it reached Stable at a new generation or became
 * Empty (Kafka writes it at the leader's SyncGroup and when the group
 * empties). A failed write is logged and retried at the next call.
 * grp->mu held. */
static void persist_locked(grp_t *grp)
{
    sl_group_state_t st = sl_group_state(grp->g);
    int32_t gen = sl_group_generation(grp->g);
    if (st != SL_GROUP_EMPTY)
        grp->empty_since = -1;
    else if (grp->empty_since < 0)
        grp->empty_since = sl_time_wall_ms();
    if (!coord.open || (st != SL_GROUP_STABLE && st != SL_GROUP_EMPTY) ||
        (gen == grp->written_gen && (int)st == grp->written_state))
        return;
    sl_coord_batch_t cb;
    sl_coord_batch_init(&cb);
    add_group_record(&cb, grp);
    int16_t err = sl_coord_group_append(grp, &cb);
    sl_coord_batch_free(&cb);
    if (err) {
        SL_WARN(GROUP_LOG, "group %s: its metadata could not be written (%s); will retry", sl_group_id(grp->g),
                sl_err_name(err));
        return;
    }
    grp->written_gen = gen;
    grp->written_state = (int)st;
}

void sl_coord_group_release(sl_coord_group_t *cg)
{
    persist_locked(cg);
    pthread_mutex_unlock(&cg->mu);
}

/* Kafka 2.4+ (KIP-496): a Stable consumer group's offsets of a topic
 * none of its members subscribes to expire by commit time. Unreadable
 * subscriptions keep them. */
static bool topic_unsubscribed(grp_t *grp, const void *key, size_t klen, sl_arena_t *arena)
{
    sl_kstr_t topic;
    int32_t partition;
    sl_offsets_key_split(key, klen, &topic, &partition);
    bool gone = sl_coord_subscribes(grp->g, topic, arena) == 0;
    sl_arena_reset(arena);
    return gone;
}

/* Removes the offsets expiring at now (all of them when all), and the
 * group itself when it is then Empty without offsets, committed or
 * pending, and was known (generation > 0, or offsets were removed):
 * tombstones first, then the memory. Pending transactional offsets stay
 * (their marker decides). Returns 0 or the append's error. grp->mu held. */
static int16_t remove_offsets_locked(grp_t *grp, bool all, const sl_map_t *only, int64_t now, size_t *removed)
{
    sl_kstr_t gid = sl_kstr(sl_group_id(grp->g));
    sl_coord_batch_t cb;
    sl_coord_batch_init(&cb);
    bool had_members = sl_group_protocol_type(grp->g) != NULL;
    bool empty = sl_group_state(grp->g) == SL_GROUP_EMPTY;
    bool stable = sl_group_state(grp->g) == SL_GROUP_STABLE;
    sl_arena_t arena;
    sl_arena_init(&arena, 0, SL_BROKER_REQ_ARENA_LIMIT);
    size_t n = 0, it = 0;
    const void *k;
    size_t kl;
    void *v;
    sl_map_t gone;
    sl_map_init(&gone);
    while (sl_map_next(&grp->offsets, &it, &k, &kl, &v)) {
        const sl_offset_t *o = v;
        bool drop;
        if (only)
            drop = sl_map_get(only, k, kl) != NULL;
        else if (all)
            drop = true;
        else if (!empty)
            drop = stable && now - o->commit_ts >= coord.retention_ms && topic_unsubscribed(grp, k, kl, &arena);
        else if (had_members)
            drop = grp->empty_since >= 0 && now - grp->empty_since >= coord.retention_ms;
        else
            drop = now - o->commit_ts >= coord.retention_ms;
        if (!drop)
            continue;
        sl_kstr_t topic;
        int32_t partition;
        sl_offsets_key_split(k, kl, &topic, &partition);
        sl_coord_batch_offset(&cb, gid, topic, partition, NULL);
        if (sl_map_put(&gone, k, kl, (void *)1, NULL) != SL_OK)
            cb.err = SL_ERR_NOMEM;
        n++;
    }
    bool drop_group = empty && n == sl_map_count(&grp->offsets) && (n > 0 || sl_group_generation(grp->g) > 0) &&
                      sl_group_member_count(grp->g) == 0 && sl_map_count(&grp->pending) == 0;
    if (drop_group)
        sl_coord_batch_group(&cb, gid, NULL);
    int16_t err = sl_coord_group_append(grp, &cb);
    sl_coord_batch_free(&cb);
    if (!err) {
        it = 0;
        while (sl_map_next(&gone, &it, &k, &kl, &v)) {
            sl_kstr_t topic;
            int32_t partition;
            sl_offsets_key_split(k, kl, &topic, &partition);
            sl_offsets_del(&grp->offsets, topic, partition);
        }
        if (drop_group)
            grp_reset_locked(grp);
    }
    sl_map_fini(&gone, NULL);
    sl_arena_fini(&arena);
    *removed = err ? 0 : n;
    return err;
}

int16_t sl_coord_offsets_remove_locked(sl_coord_group_t *cg, const sl_map_t *keys)
{
    size_t removed;
    return remove_offsets_locked(cg, false, keys, sl_time_wall_ms(), &removed);
}

int16_t sl_coord_group_delete(sl_broker_t *broker, sl_kstr_t id)
{
    int16_t err;
    grp_t *grp = sl_coord_get(broker, id, false, &err);
    if (!grp)
        return err ? err : SL_ERR_GROUP_ID_NOT_FOUND;
    pthread_mutex_lock(&grp->mu);
    sl_group_tick(grp->g, sl_time_mono_ms());
    if (!grp_exists_locked(grp)) {
        err = SL_ERR_GROUP_ID_NOT_FOUND;
    } else if (sl_group_state(grp->g) != SL_GROUP_EMPTY) {
        err = SL_ERR_NON_EMPTY_GROUP;
    } else {
        size_t removed; /* the offsets' tombstones, then the group's */
        err = remove_offsets_locked(grp, true, NULL, sl_time_wall_ms(), &removed);
        size_t pending = sl_offsets_pending_count(&grp->pending);
        if (!err && pending)
            SL_INFO(GROUP_LOG, "group %s deleted with %zu pending transactional offsets: kept until their "
                    "transactions end", sl_group_id(grp->g), pending);
    }
    sl_coord_group_release(grp);
    return err;
}

/* ======================================================================
 * Expiry (main loop)
 * ====================================================================== */

static void expire_tick(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    SL_UNUSED(loop);
    SL_UNUSED(id);
    SL_UNUSED(arg);
    size_t n = 0, total = 0;
    void **all = groups_snapshot(&n);
    for (size_t i = 0; all && i < n; i++) {
        grp_t *grp = all[i];
        if (!atomic_load(&coord.ld.loaded[grp->partition]))
            continue;
        pthread_mutex_lock(&grp->mu);
        sl_group_tick(grp->g, sl_time_mono_ms());
        size_t removed = 0;
        if (sl_map_count(&grp->offsets) > 0 || sl_group_generation(grp->g) > 0)
            remove_offsets_locked(grp, false, NULL, sl_time_wall_ms(), &removed);
        total += removed;
        sl_coord_group_release(grp);
    }
    free(all);
    if (total)
        SL_INFO(GROUP_LOG, "removed %zu expired offsets", total);
}

sl_err_t sl_coord_start(sl_broker_t *broker, sl_loop_t *loop)
{
    int64_t every = SL_MAX(broker->cfg->offsets_retention_check_interval_ms, 1);
    return sl_loop_timer_add(loop, every, true, expire_tick, NULL, NULL);
}

/* ======================================================================
 * Loading
 * ====================================================================== */

typedef struct load_ctx {
    int32_t partition;
    size_t records, skipped;
    sl_arena_t arena;
    sl_map_t txn_groups;               /* producer id -> sl_map_t of group ids
                                        * with its pending offsets (owned) */
} load_ctx_t;

static void group_set_free(void *v)
{
    sl_map_fini(v, NULL);
    free(v);
}

/* Notes that producer_id holds pending offsets of group (for its marker). */
static void load_txn_note(load_ctx_t *ctx, int64_t producer_id, sl_kstr_t group)
{
    sl_map_t *set = sl_map_get(&ctx->txn_groups, &producer_id, sizeof producer_id);
    if (!set && (set = malloc(sizeof *set)) != NULL) {
        sl_map_init(set);
        if (sl_map_put(&ctx->txn_groups, &producer_id, sizeof producer_id, set, NULL) != SL_OK) {
            free(set);
            set = NULL;
        }
    }
    if (!set || sl_map_put(set, group.ptr, (size_t)group.len, (void *)1, NULL) != SL_OK)
        SL_ERROR(GROUP_LOG, "%s-%d: no memory while loading: a transaction of producer %lld may stay pending",
                 SL_TOPIC_CONSUMER_OFFSETS, ctx->partition, (long long)producer_id);
}

/* An offset record: a plain one is committed; one in a transactional
 * batch is pending for its producer until that producer's marker. */
static void load_offset(const sl_coord_key_t *k, const sl_internal_batch_info_t *bi, const uint8_t *value,
                        int32_t vlen, load_ctx_t *ctx)
{
    bool txn = bi->transactional && bi->producer_id >= 0;
    grp_t *grp = grp_lookup(k->group, vlen >= 0 || txn);
    if (!grp)
        return;
    pthread_mutex_lock(&grp->mu);
    if (vlen < 0) {
        if (txn)
            sl_offsets_pending_del(&grp->pending, bi->producer_id, k->topic, k->partition);
        else
            sl_offsets_del(&grp->offsets, k->topic, k->partition);
    } else {
        sl_offset_t o;
        sl_kstr_t meta;
        if (sl_coord_offset_value_read(value, (size_t)vlen, &o, &meta) != SL_OK) {
            ctx->skipped++;
        } else {
            o.metadata = meta.len >= 0 ? strndup(meta.ptr ? meta.ptr : "", (size_t)meta.len) : NULL;
            o.log_offset = bi->base_offset;
            if (txn)
                sl_offsets_pending_put(&grp->pending, bi->producer_id, k->topic, k->partition, &o);
            else
                sl_offsets_put(&grp->offsets, k->topic, k->partition, &o);
            free(o.metadata);
        }
    }
    pthread_mutex_unlock(&grp->mu);
    if (txn)
        load_txn_note(ctx, bi->producer_id, k->group);
}

/* A marker: the producer's pending offsets in this partition's groups are
 * committed or dropped. */
static void load_marker(void *arg, const sl_internal_batch_info_t *bi, bool commit, int64_t offset)
{
    load_ctx_t *ctx = arg;
    SL_UNUSED(offset);
    void *v = NULL;
    int64_t pid = bi->producer_id;
    if (!sl_map_del(&ctx->txn_groups, &pid, sizeof pid, &v))
        return;
    size_t it = 0;
    const void *k;
    size_t kl;
    void *one;
    while (sl_map_next(v, &it, &k, &kl, &one)) {
        grp_t *grp = grp_lookup(sl_kstr_n((const char *)k, (int32_t)kl), false);
        if (!grp)
            continue;
        pthread_mutex_lock(&grp->mu);
        sl_offsets_pending_complete(&grp->pending, &grp->offsets, pid, commit);
        pthread_mutex_unlock(&grp->mu);
    }
    group_set_free(v);
}

static void load_group(const sl_coord_key_t *k, const uint8_t *value, int32_t vlen, load_ctx_t *ctx)
{
    sl_group_record_t rec;
    if (vlen >= 0 && sl_coord_group_value_read(value, (size_t)vlen, &ctx->arena, &rec) != SL_OK) {
        ctx->skipped++;
        return;
    }
    grp_t *grp = grp_lookup(k->group, vlen >= 0);
    if (!grp)
        return;
    pthread_mutex_lock(&grp->mu);
    grp_reset_locked(grp);
    if (vlen >= 0) {
        char *ptype = strndup(rec.protocol_type.ptr ? rec.protocol_type.ptr : "", (size_t)rec.protocol_type.len);
        sl_group_restore(grp->g, ptype, rec.generation);
        free(ptype);
        grp->written_gen = rec.generation;
        grp->empty_since = rec.nmembers > 0 || rec.state_ts < 0 ? sl_time_wall_ms() : rec.state_ts;
    }
    pthread_mutex_unlock(&grp->mu);
}

static void load_record(void *arg, const sl_internal_batch_info_t *bi, const uint8_t *key, size_t klen,
                        const uint8_t *value, int32_t vlen, int64_t offset)
{
    load_ctx_t *ctx = arg;
    sl_coord_key_t k;
    sl_err_t err = sl_coord_key_read(key, klen, &k);
    ctx->records++;
    if (err != SL_OK) {
        if (err != SL_ERR_UNSUPPORTED)
            SL_WARN(GROUP_LOG, "%s-%d: record at offset %lld has an unreadable key: skipped",
                    SL_TOPIC_CONSUMER_OFFSETS, ctx->partition, (long long)offset);
        ctx->skipped++;
        return;
    }
    if (k.group.len <= 0 || sl_coord_partition_for(k.group.ptr, (size_t)k.group.len, coord.ld.nparts) != ctx->partition) {
        ctx->skipped++; /* a group of another partition: not ours to load here */
        return;
    }
    if (k.version <= 1)
        load_offset(&k, bi, value, vlen, ctx);
    else
        load_group(&k, value, vlen, ctx);
    sl_arena_reset(&ctx->arena);
}

/* ======================================================================
 * Transaction completion
 * ====================================================================== */

/* Ends producer_id's transaction in every group of partition p. The
 * partition is loaded (no request waits on the loader for it). */
static void txn_apply(int32_t p, int64_t producer_id, bool commit)
{
    size_t n = 0, done = 0;
    void **all = groups_snapshot(&n);
    for (size_t i = 0; all && i < n; i++) {
        grp_t *grp = all[i];
        if (grp->partition != p)
            continue;
        pthread_mutex_lock(&grp->mu);
        done += sl_offsets_pending_complete(&grp->pending, &grp->offsets, producer_id, commit);
        pthread_mutex_unlock(&grp->mu);
    }
    if (!all)
        SL_ERROR(GROUP_LOG, "no memory: the transaction of producer %lld in %s-%d is not applied",
                 (long long)producer_id, SL_TOPIC_CONSUMER_OFFSETS, p);
    free(all);
    if (done)
        SL_DEBUG(GROUP_LOG, "%s-%d: producer %lld: %zu transactional offsets %s", SL_TOPIC_CONSUMER_OFFSETS, p,
                 (long long)producer_id, done, commit ? "committed" : "aborted");
}

void sl_coord_txn_complete(sl_broker_t *broker, int32_t offsets_partition, int64_t producer_id, bool commit)
{
    SL_UNUSED(broker);
    int32_t p = offsets_partition;
    pthread_mutex_lock(&coord.mu);
    if (!coord.open || p < 0 || p >= coord.ld.nparts) {
        pthread_mutex_unlock(&coord.mu);
        return;
    }
    if (!atomic_load(&coord.ld.loaded[p])) {
        if (coord.ndeferred == coord.capdeferred) {
            size_t cap = coord.capdeferred ? coord.capdeferred * 2 : 16;
            deferred_txn_t *d = realloc(coord.deferred, cap * sizeof *d);
            if (!d) {
                pthread_mutex_unlock(&coord.mu);
                SL_ERROR(GROUP_LOG, "no memory: the transaction of producer %lld in %s-%d is not applied",
                         (long long)producer_id, SL_TOPIC_CONSUMER_OFFSETS, p);
                return;
            }
            coord.deferred = d;
            coord.capdeferred = cap;
        }
        coord.deferred[coord.ndeferred++] = (deferred_txn_t){p, producer_id, commit};
        pthread_mutex_unlock(&coord.mu);
        return;
    }
    pthread_mutex_unlock(&coord.mu);
    txn_apply(p, producer_id, commit);
}

/* The loader finished partition p: applies the completions that came
 * meanwhile, then lets requests in. */
static void loaded_mark(int32_t p)
{
    for (;;) {
        deferred_txn_t one = {.partition = -1};
        pthread_mutex_lock(&coord.mu);
        for (size_t i = 0; i < coord.ndeferred; i++) {
            if (coord.deferred[i].partition == p) {
                one = coord.deferred[i];
                memmove(&coord.deferred[i], &coord.deferred[i + 1], (coord.ndeferred - i - 1) * sizeof one);
                coord.ndeferred--;
                break;
            }
        }
        if (one.partition < 0)
            atomic_store(&coord.ld.loaded[p], true);
        pthread_mutex_unlock(&coord.mu);
        if (one.partition < 0)
            return;
        txn_apply(p, one.producer_id, one.commit);
    }
}

typedef struct load_totals {
    size_t records, skipped, open_txns;
} load_totals_t;

static load_totals_t load_totals; /* the loader thread's, until it ends */

static void load_partition(int32_t p, void *arg)
{
    load_totals_t *tot = arg;
    const sl_internal_scan_ops_t ops = {.record = load_record, .marker = load_marker};
    load_ctx_t ctx = {.partition = p};
    sl_arena_init(&ctx.arena, 0, SL_BROKER_REQ_ARENA_LIMIT);
    sl_map_init(&ctx.txn_groups);
    sl_err_t err = sl_internal_topic_scan(coord.broker, SL_TOPIC_CONSUMER_OFFSETS, GROUP_LOG, p, &coord.ld.stop, &ops,
                                          &ctx);
    tot->open_txns += sl_map_count(&ctx.txn_groups); /* no marker yet: they stay pending */
    sl_map_fini(&ctx.txn_groups, group_set_free);
    sl_arena_fini(&ctx.arena);
    if (err != SL_OK)
        SL_ERROR(GROUP_LOG, "%s-%d: cannot be read (%s): its groups start without their offsets",
                 SL_TOPIC_CONSUMER_OFFSETS, p, sl_err_name(err));
    tot->records += ctx.records;
    tot->skipped += ctx.skipped;
    loaded_mark(p);
}

static void load_done(int64_t ms, void *arg)
{
    const load_totals_t *tot = arg;
    SL_INFO(GROUP_LOG, "loaded %zu groups from %zu records of %s (%zu skipped, %zu open transactions) in %lld ms",
            sl_map_count(&coord.groups), tot->records, SL_TOPIC_CONSUMER_OFFSETS, tot->skipped, tot->open_txns,
            (long long)ms);
}

/* ======================================================================
 * Life cycle
 * ====================================================================== */

sl_err_t sl_coord_open(sl_broker_t *broker)
{
    const sl_broker_config_t *cfg = broker->cfg;
    sl_map_init(&coord.groups);
    coord.broker = broker;
    sl_group_limits_default(&coord.lim);
    coord.lim.initial_rebalance_delay_ms = cfg->group_initial_rebalance_delay_ms;
    coord.lim.min_session_timeout_ms = cfg->group_min_session_timeout_ms;
    coord.lim.max_session_timeout_ms = cfg->group_max_session_timeout_ms;
    coord.lim.max_size = cfg->group_max_size;
    coord.retention_ms = cfg->offsets_retention_ms;
    /* Test-only: SLUICE_TEST_OFFSETS_RETENTION_MS replaces
     * offsets.retention.minutes, so tests can expire offsets in seconds. */
    const char *rt = getenv("SLUICE_TEST_OFFSETS_RETENTION_MS");
    if (rt && atoll(rt) > 0)
        coord.retention_ms = atoll(rt);
    /* Development builds kept offsets in a file; there has been no
     * release with it, so it is not imported, only pointed out. */
    char old[4200];
    snprintf(old, sizeof old, "%s/.sluice/consumer_offsets", cfg->log_dirs[0]);
    if (access(old, F_OK) == 0)
        SL_WARN(GROUP_LOG, "%s (offsets file of development builds) is no longer read; committed offsets live in %s",
                old, SL_TOPIC_CONSUMER_OFFSETS);
    int32_t nparts = sl_coord_topic_ensure(broker);
    coord.open = true;
    memset(&load_totals, 0, sizeof load_totals);
    /* nparts <= 0 (logged): group requests answer COORDINATOR_NOT_AVAILABLE.
     * Test-only: SLUICE_TEST_OFFSETS_LOAD_DELAY_MS holds the load back so
     * tests can see COORDINATOR_LOAD_IN_PROGRESS. */
    return sl_internal_loader_start(&coord.ld, nparts, "SLUICE_TEST_OFFSETS_LOAD_DELAY_MS", load_partition,
                                    load_done, &load_totals);
}

void sl_coord_close(sl_broker_t *broker)
{
    SL_UNUSED(broker);
    if (!coord.open)
        return;
    sl_internal_loader_stop(&coord.ld);
    pthread_mutex_lock(&coord.mu);
    coord.open = false;
    sl_map_fini(&coord.groups, grp_free);
    free(coord.deferred);
    coord.deferred = NULL;
    coord.ndeferred = coord.capdeferred = 0;
    coord.broker = NULL;
    pthread_mutex_unlock(&coord.mu);
}
