/*
 * group_api.c - the group coordinator of sluiced: JoinGroup (v0-9),
 * SyncGroup (v0-5), Heartbeat (v0-4), LeaveGroup (v0-5), OffsetCommit
 * (v0-8) and OffsetFetch (v0-8) over the state machine of group.h, and the
 * committed offsets, kept durable in an offsets file.
 *
 * Threads and locks. The coordinator is one per process (the broker runs
 * one per process); it is created at the first group request and freed at
 * exit. coord.mu guards the map of groups (lookups and creation only);
 * each group has its own mutex, grp->mu, that guards its state machine and
 * its offsets; coord.file_mu guards the offsets file. Lock order:
 *     coord.mu -> grp->mu -> coord.file_mu -> worker->wake_mu
 * (coord.mu is never held while taking grp->mu in practice: a group is
 * found, coord.mu dropped, then grp->mu taken; groups are never freed
 * while the process runs, so the pointer stays valid.)
 *
 * Settings: group.initial.rebalance.delay.ms, group.min.session.timeout.ms
 * and group.max.session.timeout.ms are read from the configuration as given
 * (Kafka's defaults when absent), at the first group request.
 *
 * JoinGroup and SyncGroup that must wait are deferred: their waiter
 * (group.h) lives in the request's arena and is parked on the member. The
 * call that completes it (on any network thread, under grp->mu) wakes the
 * request's own worker with sl_broker_worker_wake, as an append wakes a
 * long-poll Fetch; the request answers from its wake function. Timers are
 * the deferred requests' own: each arms a timer on its worker at the
 * group's next deadline (at most a second away) that runs the group's
 * clock (sl_group_tick) and re-arms; every group request also ticks its
 * group first, so a member that stopped heart-beating is removed at the
 * latest when another member of its group talks to the coordinator.
 *
 * Offsets file (interim durable form, until __consumer_offsets is served
 * as a compacted internal topic): <first log dir>/.sluice/consumer_offsets,
 * one framed record per committed partition (group_int.h: Kafka's
 * OffsetCommitKey v1 / OffsetCommitValue v3 bodies), appended with one
 * write(2) per OffsetCommit before it is answered (page cache, like a
 * produce with the default flush settings). Read at the coordinator's
 * creation, last record wins; a torn tail is cut off; the file is rewritten
 * with only the live records when it holds more than twice as many.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker_int.h"
#include "group.h"
#include "group_int.h"

#define GROUP_LOG "group"
#define GROUP_TICK_MAX_MS 1000
#define OFFSETS_FILE "consumer_offsets"

typedef struct sl_coord_group grp_t;
struct sl_coord_group {
    pthread_mutex_t mu;
    sl_group_t *g;
    sl_map_t offsets;                  /* sl_offset_t by topic+partition */
};

static struct {
    pthread_mutex_t mu;
    sl_map_t groups;                   /* group id -> grp_t */
    pthread_mutex_t file_mu;
    int fd;                            /* offsets file, -1 when none */
    char path[4200];
    bool ready;
    sl_group_limits_t lim;             /* const once ready */
} coord = {.mu = PTHREAD_MUTEX_INITIALIZER, .file_mu = PTHREAD_MUTEX_INITIALIZER, .fd = -1};

static void grp_free(void *v)
{
    grp_t *grp = v;
    sl_group_free(grp->g);
    sl_offsets_fini(&grp->offsets);
    pthread_mutex_destroy(&grp->mu);
    free(grp);
}

static void coord_free(void)
{
    pthread_mutex_lock(&coord.mu);
    sl_map_fini(&coord.groups, grp_free);
    coord.ready = false;
    if (coord.fd >= 0)
        close(coord.fd);
    coord.fd = -1;
    pthread_mutex_unlock(&coord.mu);
}

static grp_t *grp_new(const char *id, size_t len)
{
    grp_t *grp = calloc(1, sizeof *grp);
    char *name = strndup(id, len);
    if (grp && name)
        grp->g = sl_group_new(name, &coord.lim, (uint32_t)sl_time_wall_ms() ^ (uint32_t)getpid());
    free(name);
    if (!grp || !grp->g) {
        free(grp);
        return NULL;
    }
    pthread_mutex_init(&grp->mu, NULL);
    sl_offsets_init(&grp->offsets);
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

/* Reads the offsets file into the groups; returns how many records it
 * held and sets *valid to the length of its well-formed prefix. */
static size_t load_file(int fd, size_t *live, off_t *valid)
{
    struct stat st;
    *valid = 0;
    *live = 0;
    if (fstat(fd, &st) != 0 || st.st_size <= 0)
        return 0;
    uint8_t *data = malloc((size_t)st.st_size);
    if (!data)
        return 0;
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = pread(fd, data + got, (size_t)st.st_size - got, (off_t)got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    sl_rd_t rd;
    sl_rd_init(&rd, data, got);
    size_t records = 0;
    while (sl_rd_left(&rd) > 0) {
        sl_kstr_t group, topic, meta;
        int32_t partition;
        sl_offset_t o;
        bool deleted;
        sl_err_t err = sl_offsets_record_read(&rd, &group, &topic, &partition, &o, &meta, &deleted);
        if (err != SL_OK) {
            if (err != SL_ERR_TRUNCATED || sl_rd_left(&rd) > 0)
                SL_WARN(GROUP_LOG, "%s: unreadable record at byte %lld (%s): the rest is dropped", coord.path,
                        (long long)*valid, sl_err_name(err));
            break;
        }
        *valid = (off_t)(got - sl_rd_left(&rd));
        records++;
        grp_t *grp = grp_lookup_locked(group.ptr, (size_t)group.len, !deleted);
        if (deleted) {
            if (grp)
                sl_offsets_del(&grp->offsets, topic, partition);
            continue;
        }
        char *m = sl_kstr_is_null(meta) ? NULL : strndup(meta.ptr, (size_t)meta.len);
        o.metadata = m;
        if (grp && (m || sl_kstr_is_null(meta)))
            sl_offsets_put(&grp->offsets, topic, partition, &o);
        free(m);
    }
    free(data);
    size_t it = 0;
    const void *k;
    size_t kl;
    void *v;
    while (sl_map_next(&coord.groups, &it, &k, &kl, &v))
        *live += sl_map_count(&((grp_t *)v)->offsets);
    return records;
}

/* Writes every live offset to path.tmp and renames it over the file. */
static void compact_file(void)
{
    char tmp[sizeof coord.path + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", coord.path);
    sl_buf_t out;
    sl_buf_init(&out);
    size_t it = 0;
    const void *k;
    size_t kl;
    void *v;
    while (sl_map_next(&coord.groups, &it, &k, &kl, &v)) {
        grp_t *grp = v;
        sl_kstr_t gid = sl_kstr_n(k, (int32_t)kl);
        size_t it2 = 0;
        const void *k2;
        size_t kl2;
        void *v2;
        while (sl_map_next(&grp->offsets, &it2, &k2, &kl2, &v2)) {
            sl_kstr_t topic;
            int32_t partition;
            sl_offsets_key_split(k2, kl2, &topic, &partition);
            sl_offsets_record_append(&out, gid, topic, partition, v2);
        }
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    bool ok = fd >= 0 && sl_buf_err(&out) == SL_OK;
    size_t done = 0;
    while (ok && done < out.len) {
        ssize_t n = write(fd, out.data + done, out.len - done);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            ok = false;
        } else {
            done += (size_t)n;
        }
    }
    if (ok)
        ok = fsync(fd) == 0;
    if (fd >= 0)
        close(fd);
    if (ok && rename(tmp, coord.path) == 0) {
        if (coord.fd >= 0)
            close(coord.fd);
        coord.fd = open(coord.path, O_WRONLY | O_APPEND | O_CLOEXEC);
    } else {
        unlink(tmp);
    }
    sl_buf_free(&out);
}

/* A group setting from the configuration as given (the configuration
 * module does not know these keys yet: it warns that they are unknown and
 * keeps them), or dflt when absent or not a whole number in [lo, hi]. */
static int32_t setting(const sl_broker_t *broker, const char *key, int32_t dflt, int32_t lo, int32_t hi)
{
    const char *v = broker->cfg->given ? sl_props_get(broker->cfg->given, key) : NULL;
    if (!v)
        return dflt;
    char *end = NULL;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || end == v || *end != '\0' || x < lo || x > hi) {
        SL_WARN(GROUP_LOG, "%s=%s: not a whole number in [%d, %d]; using %d", key, v, lo, hi, dflt);
        return dflt;
    }
    return (int32_t)x;
}

/* Creates the coordinator at the first group request. */
static void coord_ready(sl_broker_t *broker)
{
    pthread_mutex_lock(&coord.mu);
    if (coord.ready) {
        pthread_mutex_unlock(&coord.mu);
        return;
    }
    sl_map_init(&coord.groups);
    coord.ready = true;
    sl_group_limits_default(&coord.lim);
    coord.lim.initial_rebalance_delay_ms = setting(broker, "group.initial.rebalance.delay.ms",
                                                   coord.lim.initial_rebalance_delay_ms, 0, INT32_MAX);
    coord.lim.min_session_timeout_ms = setting(broker, "group.min.session.timeout.ms",
                                               coord.lim.min_session_timeout_ms, 0, INT32_MAX);
    coord.lim.max_session_timeout_ms = setting(broker, "group.max.session.timeout.ms",
                                               coord.lim.max_session_timeout_ms, 0, INT32_MAX);
    if (coord.lim.max_session_timeout_ms < coord.lim.min_session_timeout_ms) {
        SL_WARN(GROUP_LOG, "group.max.session.timeout.ms below group.min.session.timeout.ms: using Kafka's defaults");
        sl_group_limits_default(&coord.lim);
    }
    atexit(coord_free);
    snprintf(coord.path, sizeof coord.path, "%s/.sluice/%s", broker->cfg->log_dirs[0], OFFSETS_FILE);
    int fd = open(coord.path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        SL_ERROR(GROUP_LOG, "cannot open %s: %s: committed offsets will not survive a restart", coord.path,
                 strerror(errno));
    } else {
        size_t live;
        off_t valid;
        size_t records = load_file(fd, &live, &valid);
        struct stat st;
        if (fstat(fd, &st) == 0 && st.st_size > valid && ftruncate(fd, valid) != 0)
            SL_WARN(GROUP_LOG, "cannot cut %s to %lld bytes: %s", coord.path, (long long)valid, strerror(errno));
        close(fd);
        coord.fd = open(coord.path, O_WRONLY | O_APPEND | O_CLOEXEC);
        if (records > 2 * live)
            compact_file();
        SL_INFO(GROUP_LOG, "loaded %zu committed offsets of %zu groups from %s", live, sl_map_count(&coord.groups),
                coord.path);
    }
    pthread_mutex_unlock(&coord.mu);
}

static grp_t *grp_get(sl_broker_req_t *req, sl_kstr_t id, bool create)
{
    if (id.len < 0)
        return NULL;
    coord_ready(req->broker);
    pthread_mutex_lock(&coord.mu);
    grp_t *grp = grp_lookup_locked(id.ptr ? id.ptr : "", (size_t)id.len, create);
    pthread_mutex_unlock(&coord.mu);
    return grp;
}

/* Appends the records in buf to the offsets file. */
static sl_err_t file_append(const sl_buf_t *buf)
{
    sl_err_t err = SL_OK;
    pthread_mutex_lock(&coord.file_mu);
    if (coord.fd < 0) {
        err = SL_ERR_IO;
    } else {
        size_t done = 0;
        while (done < buf->len) {
            ssize_t n = write(coord.fd, buf->data + done, buf->len - done);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                SL_ERROR(GROUP_LOG, "writing %s failed: %s", coord.path, strerror(errno));
                err = SL_ERR_IO;
                break;
            }
            done += (size_t)n;
        }
    }
    pthread_mutex_unlock(&coord.file_mu);
    return err;
}

/* ======================================================================
 * Deferred JoinGroup / SyncGroup
 * ====================================================================== */

typedef struct gwait {
    sl_group_waiter_t w;
    sl_broker_worker_t *worker;
    uint64_t req_id;
    grp_t *grp;
    sl_timer_id_t timer;
    void (*answer)(sl_broker_req_t *req, sl_group_waiter_t *w);
} gwait_t;

static void on_notify(sl_group_waiter_t *w)
{
    gwait_t *gw = w->arg;
    sl_broker_worker_wake(gw->worker, gw->req_id);
}

static void gw_stop_timer(sl_broker_req_t *req, gwait_t *gw)
{
    if (gw->timer) {
        sl_loop_timer_cancel(sl_broker_worker_loop(req->worker), gw->timer);
        gw->timer = 0;
    }
}

/* Answers from a done waiter: copies the result out of the request (the
 * reply frees the arena the waiter lives in), replies, frees the result. */
static void gw_finish(sl_broker_req_t *req, gwait_t *gw)
{
    gw_stop_timer(req, gw);
    sl_group_waiter_t w = gw->w;
    gw->answer(req, &w);
    sl_group_waiter_clear(&w);
}

static void gw_arm(sl_broker_req_t *req, gwait_t *gw);

static void gw_check(sl_broker_req_t *req, gwait_t *gw, bool tick)
{
    pthread_mutex_lock(&gw->grp->mu);
    if (tick && !gw->w.done)
        sl_group_tick(gw->grp->g, sl_time_mono_ms());
    bool done = gw->w.done;
    pthread_mutex_unlock(&gw->grp->mu);
    if (done)
        gw_finish(req, gw);
    else if (tick)
        gw_arm(req, gw);
}

static void gw_timeout(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    sl_broker_req_t *req = arg;
    gwait_t *gw = req->ctx;
    SL_UNUSED(loop);
    SL_UNUSED(id);
    gw->timer = 0;
    gw_check(req, gw, true);
}

static void gw_arm(sl_broker_req_t *req, gwait_t *gw)
{
    pthread_mutex_lock(&gw->grp->mu);
    int64_t next = sl_group_next_deadline(gw->grp->g);
    pthread_mutex_unlock(&gw->grp->mu);
    int64_t now = sl_time_mono_ms();
    int64_t ms = next == INT64_MAX ? GROUP_TICK_MAX_MS : SL_MAX(1, SL_MIN(next - now + 1, GROUP_TICK_MAX_MS));
    if (sl_loop_timer_add(sl_broker_worker_loop(req->worker), ms, false, gw_timeout, req, &gw->timer) != SL_OK)
        gw->timer = 0; /* the group's other requests still run its clock */
}

static void gw_wake(sl_broker_req_t *req)
{
    gw_check(req, req->ctx, false);
}

static void gw_cancel(sl_broker_req_t *req)
{
    gwait_t *gw = req->ctx;
    gw_stop_timer(req, gw);
    pthread_mutex_lock(&gw->grp->mu);
    sl_group_waiter_detach(&gw->w);
    pthread_mutex_unlock(&gw->grp->mu);
    sl_group_waiter_clear(&gw->w);
}

static gwait_t *gw_new(sl_broker_req_t *req, grp_t *grp, void (*answer)(sl_broker_req_t *, sl_group_waiter_t *))
{
    gwait_t *gw = sl_arena_zalloc(&req->arena, sizeof *gw);
    if (!gw)
        return NULL;
    gw->w.notify = on_notify;
    gw->w.arg = gw;
    gw->worker = req->worker;
    gw->req_id = req->id;
    gw->grp = grp;
    gw->answer = answer;
    return gw;
}

/* After the state machine call: answer now, or defer. */
static void gw_start(sl_broker_req_t *req, gwait_t *gw, bool parked)
{
    if (!parked) {
        gw_finish(req, gw);
        return;
    }
    sl_broker_req_defer(req, gw_cancel, gw_wake, gw);
    gw_arm(req, gw);
}

static sl_kstr_t kstr_or(const char *s, const char *dflt) { return sl_kstr(s ? s : dflt); }

static int16_t wire(int16_t err) { return sl_err_wire(err); }

/* ======================================================================
 * JoinGroup
 * ====================================================================== */

static void join_answer(sl_broker_req_t *req, sl_group_waiter_t *w)
{
    int16_t v = req->hdr.api_version;
    sl_JoinGroupResponse_t resp;
    sl_JoinGroupResponse_init(&resp);
    resp.ErrorCode = wire(w->error);
    resp.GenerationId = w->error ? -1 : w->generation;
    resp.ProtocolType = w->protocol_type ? sl_kstr(w->protocol_type) : sl_kstr_null();
    resp.ProtocolName = w->protocol_name ? sl_kstr(w->protocol_name) : (v >= 7 ? sl_kstr_null() : sl_kstr(""));
    resp.Leader = kstr_or(w->leader, "");
    resp.MemberId = kstr_or(w->member_id, "");
    if (v >= 9)
        resp.SkipAssignment = w->skip_assignment;
    if (w->nmembers > 0) {
        resp.Members.items = sl_arena_calloc(&req->arena, (size_t)w->nmembers, sizeof *resp.Members.items);
        if (!resp.Members.items) {
            sl_broker_req_close(req, "no memory for the JoinGroup response (arena limit)");
            return;
        }
        resp.Members.count = w->nmembers;
        for (int32_t i = 0; i < w->nmembers; i++) {
            sl_JoinGroupResponse_JoinGroupResponseMember_t *m = &resp.Members.items[i];
            sl_JoinGroupResponse_JoinGroupResponseMember_init(m);
            m->MemberId = sl_kstr(w->members[i].member_id);
            m->GroupInstanceId = w->members[i].instance_id ? sl_kstr(w->members[i].instance_id) : sl_kstr_null();
            m->Metadata.ptr = w->members[i].metadata;
            m->Metadata.len = w->members[i].metadata_len;
        }
    }
    sl_broker_req_reply(req, &resp);
}

static void join_error(sl_broker_req_t *req, int16_t error)
{
    sl_group_waiter_t w;
    memset(&w, 0, sizeof w);
    w.error = error;
    join_answer(req, &w);
}

void sl_broker_handle_join_group(sl_broker_req_t *req)
{
    const sl_JoinGroupRequest_t *jreq = req->body;
    int16_t v = req->hdr.api_version;
    if (jreq->GroupId.len <= 0) {
        join_error(req, SL_ERR_INVALID_GROUP_ID);
        return;
    }
    grp_t *grp = grp_get(req, jreq->GroupId, true);
    if (!grp) {
        join_error(req, SL_ERR_COORDINATOR_NOT_AVAILABLE);
        return;
    }
    int32_t np = SL_MAX(jreq->Protocols.count, 0);
    sl_group_protocol_in_t *protos = sl_arena_calloc(&req->arena, (size_t)np + 1, sizeof *protos);
    gwait_t *gw = gw_new(req, grp, join_answer);
    if (!protos || !gw) {
        sl_broker_req_close(req, "no memory for the JoinGroup request (arena limit)");
        return;
    }
    for (int32_t i = 0; i < np; i++) {
        protos[i].name = jreq->Protocols.items[i].Name;
        protos[i].metadata = jreq->Protocols.items[i].Metadata;
    }
    sl_group_join_args_t a = {
        .member_id = jreq->MemberId,
        .instance_id = jreq->GroupInstanceId,
        .client_id = req->hdr.client_id.len >= 0 ? req->hdr.client_id : sl_kstr(""),
        .protocol_type = jreq->ProtocolType,
        .session_timeout_ms = jreq->SessionTimeoutMs,
        .rebalance_timeout_ms = jreq->RebalanceTimeoutMs,
        .nprotocols = np,
        .protocols = protos,
        /* v4+ asks a new dynamic member to come back with the id it is given */
        .require_known_member_id = v >= 4 && sl_kstr_is_null(jreq->GroupInstanceId),
    };
    int64_t now = sl_time_mono_ms();
    pthread_mutex_lock(&grp->mu);
    sl_group_tick(grp->g, now);
    bool parked = sl_group_join(grp->g, &a, now, &gw->w);
    pthread_mutex_unlock(&grp->mu);
    gw_start(req, gw, parked);
}

/* ======================================================================
 * SyncGroup
 * ====================================================================== */

static void sync_answer(sl_broker_req_t *req, sl_group_waiter_t *w)
{
    sl_SyncGroupResponse_t resp;
    sl_SyncGroupResponse_init(&resp);
    resp.ErrorCode = wire(w->error);
    resp.ProtocolType = w->protocol_type ? sl_kstr(w->protocol_type) : sl_kstr_null();
    resp.ProtocolName = w->protocol_name ? sl_kstr(w->protocol_name) : sl_kstr_null();
    resp.Assignment.ptr = w->assignment;
    resp.Assignment.len = w->assignment ? w->assignment_len : 0;
    sl_broker_req_reply(req, &resp);
}

void sl_broker_handle_sync_group(sl_broker_req_t *req)
{
    const sl_SyncGroupRequest_t *sreq = req->body;
    grp_t *grp = sreq->GroupId.len > 0 ? grp_get(req, sreq->GroupId, false) : NULL;
    if (!grp) {
        sl_group_waiter_t w;
        memset(&w, 0, sizeof w);
        w.error = sreq->GroupId.len > 0 ? SL_ERR_UNKNOWN_MEMBER_ID : SL_ERR_INVALID_GROUP_ID;
        sync_answer(req, &w);
        return;
    }
    int32_t na = SL_MAX(sreq->Assignments.count, 0);
    sl_group_assign_in_t *as = sl_arena_calloc(&req->arena, (size_t)na + 1, sizeof *as);
    gwait_t *gw = gw_new(req, grp, sync_answer);
    if (!as || !gw) {
        sl_broker_req_close(req, "no memory for the SyncGroup request (arena limit)");
        return;
    }
    for (int32_t i = 0; i < na; i++) {
        as[i].member_id = sreq->Assignments.items[i].MemberId;
        as[i].assignment = sreq->Assignments.items[i].Assignment;
    }
    sl_group_sync_args_t a = {
        .member_id = sreq->MemberId,
        .generation = sreq->GenerationId,
        .protocol_type = sreq->ProtocolType,
        .protocol_name = sreq->ProtocolName,
        .nassignments = na,
        .assignments = as,
    };
    int64_t now = sl_time_mono_ms();
    pthread_mutex_lock(&grp->mu);
    sl_group_tick(grp->g, now);
    int16_t fenced = sl_group_check_instance(grp->g, sreq->MemberId, sreq->GroupInstanceId);
    bool parked = false;
    if (fenced) {
        gw->w.done = true;
        gw->w.error = fenced;
    } else {
        parked = sl_group_sync(grp->g, &a, now, &gw->w);
    }
    pthread_mutex_unlock(&grp->mu);
    gw_start(req, gw, parked);
}

/* ======================================================================
 * Heartbeat, LeaveGroup
 * ====================================================================== */

void sl_broker_handle_heartbeat(sl_broker_req_t *req)
{
    const sl_HeartbeatRequest_t *hreq = req->body;
    sl_HeartbeatResponse_t resp;
    sl_HeartbeatResponse_init(&resp);
    grp_t *grp = hreq->GroupId.len > 0 ? grp_get(req, hreq->GroupId, false) : NULL;
    if (!grp) {
        resp.ErrorCode = hreq->GroupId.len > 0 ? SL_ERR_UNKNOWN_MEMBER_ID : SL_ERR_INVALID_GROUP_ID;
    } else {
        int64_t now = sl_time_mono_ms();
        pthread_mutex_lock(&grp->mu);
        sl_group_tick(grp->g, now);
        resp.ErrorCode = sl_group_check_instance(grp->g, hreq->MemberId, hreq->GroupInstanceId);
        if (!resp.ErrorCode)
            resp.ErrorCode = sl_group_heartbeat(grp->g, hreq->MemberId, hreq->GenerationId, now);
        pthread_mutex_unlock(&grp->mu);
    }
    sl_broker_req_reply(req, &resp);
}

void sl_broker_handle_leave_group(sl_broker_req_t *req)
{
    const sl_LeaveGroupRequest_t *lreq = req->body;
    int16_t v = req->hdr.api_version;
    sl_LeaveGroupResponse_t resp;
    sl_LeaveGroupResponse_init(&resp);
    grp_t *grp = lreq->GroupId.len > 0 ? grp_get(req, lreq->GroupId, false) : NULL;
    int64_t now = sl_time_mono_ms();
    if (lreq->GroupId.len <= 0) {
        resp.ErrorCode = SL_ERR_INVALID_GROUP_ID;
    } else if (v < 3) {
        if (!grp) {
            resp.ErrorCode = SL_ERR_UNKNOWN_MEMBER_ID;
        } else {
            pthread_mutex_lock(&grp->mu);
            sl_group_tick(grp->g, now);
            resp.ErrorCode = sl_group_leave(grp->g, lreq->MemberId, sl_kstr_null(), now);
            pthread_mutex_unlock(&grp->mu);
        }
    } else {
        int32_t n = SL_MAX(lreq->Members.count, 0);
        resp.Members.items = sl_arena_calloc(&req->arena, (size_t)n + 1, sizeof *resp.Members.items);
        if (!resp.Members.items) {
            sl_broker_req_close(req, "no memory for the LeaveGroup response (arena limit)");
            return;
        }
        resp.Members.count = n;
        if (grp) {
            pthread_mutex_lock(&grp->mu);
            sl_group_tick(grp->g, now);
        }
        for (int32_t i = 0; i < n; i++) {
            const sl_LeaveGroupRequest_MemberIdentity_t *mi = &lreq->Members.items[i];
            sl_LeaveGroupResponse_MemberResponse_t *mr = &resp.Members.items[i];
            sl_LeaveGroupResponse_MemberResponse_init(mr);
            mr->MemberId = mi->MemberId;
            mr->GroupInstanceId = mi->GroupInstanceId;
            mr->ErrorCode = grp ? sl_group_leave(grp->g, mi->MemberId, mi->GroupInstanceId, now)
                                : SL_ERR_UNKNOWN_MEMBER_ID;
        }
        if (grp)
            pthread_mutex_unlock(&grp->mu);
    }
    sl_broker_req_reply(req, &resp);
}

/* ======================================================================
 * OffsetCommit
 * ====================================================================== */

/* Does the partition exist? (Kafka refuses commits for unknown ones.) */
static bool partition_exists(sl_broker_t *broker, sl_kstr_t topic, int32_t index)
{
    sl_partition_t *part = NULL;
    if (topic.len <= 0 || sl_broker_partition_get(broker, topic.ptr, (size_t)topic.len, index, &part) != SL_OK)
        return false;
    sl_partition_unref(part);
    return true;
}

void sl_broker_handle_offset_commit(sl_broker_req_t *req)
{
    const sl_OffsetCommitRequest_t *creq = req->body;
    sl_OffsetCommitResponse_t resp;
    sl_OffsetCommitResponse_init(&resp);
    int32_t nt = SL_MAX(creq->Topics.count, 0);
    resp.Topics.items = sl_arena_calloc(&req->arena, (size_t)nt + 1, sizeof *resp.Topics.items);
    if (!resp.Topics.items)
        goto nomem;
    resp.Topics.count = nt;
    for (int32_t i = 0; i < nt; i++) {
        const sl_OffsetCommitRequest_OffsetCommitRequestTopic_t *t = &creq->Topics.items[i];
        sl_OffsetCommitResponse_OffsetCommitResponseTopic_t *rt = &resp.Topics.items[i];
        sl_OffsetCommitResponse_OffsetCommitResponseTopic_init(rt);
        rt->Name = t->Name;
        int32_t np = SL_MAX(t->Partitions.count, 0);
        rt->Partitions.items = sl_arena_calloc(&req->arena, (size_t)np + 1, sizeof *rt->Partitions.items);
        if (!rt->Partitions.items)
            goto nomem;
        rt->Partitions.count = np;
        for (int32_t j = 0; j < np; j++) {
            sl_OffsetCommitResponse_OffsetCommitResponsePartition_init(&rt->Partitions.items[j]);
            rt->Partitions.items[j].PartitionIndex = t->Partitions.items[j].PartitionIndex;
        }
    }

    int16_t group_error = 0;
    grp_t *grp = NULL;
    if (creq->GroupId.len < 0) {
        group_error = SL_ERR_INVALID_GROUP_ID;
    } else {
        grp = grp_get(req, creq->GroupId, creq->GenerationId < 0);
        if (!grp)
            group_error = creq->GenerationId < 0 ? SL_ERR_COORDINATOR_NOT_AVAILABLE : SL_ERR_ILLEGAL_GENERATION;
    }
    int64_t now = sl_time_mono_ms(), wall = sl_time_wall_ms();
    sl_buf_t recs;
    sl_buf_init(&recs);
    if (grp) {
        pthread_mutex_lock(&grp->mu);
        sl_group_tick(grp->g, now);
        group_error = sl_group_check_instance(grp->g, creq->MemberId, creq->GroupInstanceId);
        if (!group_error)
            group_error = sl_group_commit_check(grp->g, creq->MemberId, creq->GenerationId, now);
    }
    for (int32_t i = 0; i < nt; i++) {
        const sl_OffsetCommitRequest_OffsetCommitRequestTopic_t *t = &creq->Topics.items[i];
        sl_OffsetCommitResponse_OffsetCommitResponseTopic_t *rt = &resp.Topics.items[i];
        for (int32_t j = 0; j < rt->Partitions.count; j++) {
            const sl_OffsetCommitRequest_OffsetCommitRequestPartition_t *p = &t->Partitions.items[j];
            int16_t *err = &rt->Partitions.items[j].ErrorCode;
            if (group_error) {
                *err = group_error;
            } else if (p->CommittedMetadata.len > SL_GROUP_OFFSET_METADATA_MAX) {
                *err = SL_ERR_OFFSET_METADATA_TOO_LARGE;
            } else if (!partition_exists(req->broker, t->Name, p->PartitionIndex)) {
                *err = SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            } else {
                sl_offset_t o = {
                    .offset = p->CommittedOffset,
                    .leader_epoch = p->CommittedLeaderEpoch,
                    .metadata = sl_kstr_dup(&req->arena, p->CommittedMetadata),
                    .commit_ts = p->CommitTimestamp >= 0 ? p->CommitTimestamp : wall,
                };
                if (!sl_kstr_is_null(p->CommittedMetadata) && !o.metadata)
                    *err = SL_ERR_UNKNOWN_SERVER_ERROR;
                else
                    sl_offsets_record_append(&recs, creq->GroupId, t->Name, p->PartitionIndex, &o);
            }
        }
    }
    /* Durable first, then visible: a commit answered is in the file. */
    sl_err_t ferr = recs.len > 0 ? (sl_buf_err(&recs) != SL_OK ? SL_ERR_NOMEM : file_append(&recs)) : SL_OK;
    for (int32_t i = 0; grp && !group_error && i < nt; i++) {
        const sl_OffsetCommitRequest_OffsetCommitRequestTopic_t *t = &creq->Topics.items[i];
        sl_OffsetCommitResponse_OffsetCommitResponseTopic_t *rt = &resp.Topics.items[i];
        for (int32_t j = 0; j < rt->Partitions.count; j++) {
            const sl_OffsetCommitRequest_OffsetCommitRequestPartition_t *p = &t->Partitions.items[j];
            int16_t *err = &rt->Partitions.items[j].ErrorCode;
            if (*err)
                continue;
            if (ferr != SL_OK) {
                *err = SL_ERR_COORDINATOR_NOT_AVAILABLE; /* clients retry */
                continue;
            }
            sl_offset_t o = {
                .offset = p->CommittedOffset,
                .leader_epoch = p->CommittedLeaderEpoch,
                .metadata = sl_kstr_dup(&req->arena, p->CommittedMetadata),
                .commit_ts = p->CommitTimestamp >= 0 ? p->CommitTimestamp : wall,
            };
            if (sl_offsets_put(&grp->offsets, t->Name, p->PartitionIndex, &o) != SL_OK)
                *err = SL_ERR_UNKNOWN_SERVER_ERROR;
        }
    }
    if (grp)
        pthread_mutex_unlock(&grp->mu);
    sl_buf_free(&recs);
    sl_broker_req_reply(req, &resp);
    return;
nomem:
    sl_broker_req_close(req, "no memory for the OffsetCommit response (arena limit)");
}

/* ======================================================================
 * OffsetFetch
 * ====================================================================== */

/* One answered partition, in the shape both response layouts share. */
typedef struct fetched {
    sl_kstr_t topic;
    int32_t partition;
    int64_t offset;
    int32_t epoch;
    sl_kstr_t metadata;
} fetched_t;

static int fetched_cmp(const void *a, const void *b)
{
    const fetched_t *x = a, *y = b;
    int32_t n = SL_MIN(x->topic.len, y->topic.len);
    int c = n > 0 ? memcmp(x->topic.ptr, y->topic.ptr, (size_t)n) : 0;
    if (c)
        return c;
    if (x->topic.len != y->topic.len)
        return x->topic.len < y->topic.len ? -1 : 1;
    return (x->partition > y->partition) - (x->partition < y->partition);
}

static void fetched_fill(fetched_t *f, sl_arena_t *arena, const sl_offset_t *o)
{
    f->offset = o ? o->offset : -1;
    f->epoch = o ? o->leader_epoch : -1;
    f->metadata = o && o->metadata ? sl_kstr(sl_arena_strndup(arena, o->metadata, strlen(o->metadata)))
                                   : sl_kstr("");
    if (o && o->metadata && !f->metadata.ptr)
        f->metadata = sl_kstr("");
}

/* The offsets asked for one group: topics[ntopics] with their partitions,
 * or every committed offset when all. Returns the list (arena), sorted by
 * topic then partition, in *out; -1 on no memory. */
static int32_t fetch_group(sl_broker_req_t *req, sl_kstr_t group, bool all, int32_t ntopics,
                           const sl_kstr_t *names, const sl_int32_array_t *parts, fetched_t **out)
{
    grp_t *grp = group.len >= 0 ? grp_get(req, group, false) : NULL;
    sl_arena_t *arena = &req->arena;
    int32_t n = 0;
    if (grp)
        pthread_mutex_lock(&grp->mu);
    if (all) {
        size_t cnt = grp ? sl_map_count(&grp->offsets) : 0;
        fetched_t *f = sl_arena_calloc(arena, cnt + 1, sizeof *f);
        if (!f)
            goto nomem;
        size_t it = 0;
        const void *k;
        size_t kl;
        void *v;
        while (grp && sl_map_next(&grp->offsets, &it, &k, &kl, &v)) {
            sl_kstr_t topic;
            sl_offsets_key_split(k, kl, &topic, &f[n].partition);
            f[n].topic = sl_kstr_n(sl_arena_memdup(arena, topic.ptr, (size_t)topic.len + 1), topic.len);
            if (!f[n].topic.ptr)
                goto nomem;
            fetched_fill(&f[n], arena, v);
            n++;
        }
        qsort(f, (size_t)n, sizeof *f, fetched_cmp);
        *out = f;
    } else {
        size_t cnt = 0;
        for (int32_t i = 0; i < ntopics; i++)
            cnt += (size_t)SL_MAX(parts[i].count, 0);
        fetched_t *f = sl_arena_calloc(arena, cnt + 1, sizeof *f);
        if (!f)
            goto nomem;
        for (int32_t i = 0; i < ntopics; i++) {
            for (int32_t j = 0; j < parts[i].count; j++) {
                f[n].topic = names[i];
                f[n].partition = parts[i].items[j];
                fetched_fill(&f[n], arena, grp ? sl_offsets_get(&grp->offsets, names[i], f[n].partition) : NULL);
                n++;
            }
        }
        *out = f;
    }
    if (grp)
        pthread_mutex_unlock(&grp->mu);
    return n;
nomem:
    if (grp)
        pthread_mutex_unlock(&grp->mu);
    return -1;
}

/* Topics in the order they appear in f (grouped runs). */
static int32_t count_runs(const fetched_t *f, int32_t n)
{
    int32_t runs = 0;
    for (int32_t i = 0; i < n; i++)
        runs += i == 0 || f[i].topic.len != f[i - 1].topic.len ||
                (f[i].topic.len > 0 && memcmp(f[i].topic.ptr, f[i - 1].topic.ptr, (size_t)f[i].topic.len) != 0);
    return runs;
}

static bool same_topic(const fetched_t *a, const fetched_t *b)
{
    return a->topic.len == b->topic.len &&
           (a->topic.len <= 0 || memcmp(a->topic.ptr, b->topic.ptr, (size_t)a->topic.len) == 0);
}

/* Builds the v0-7 topic list from f. */
static bool build_v0(sl_arena_t *arena, const fetched_t *f, int32_t n,
                     sl_OffsetFetchResponse_OffsetFetchResponseTopic_array_t *topics)
{
    int32_t runs = count_runs(f, n);
    topics->items = sl_arena_calloc(arena, (size_t)runs + 1, sizeof *topics->items);
    if (!topics->items)
        return false;
    topics->count = 0;
    for (int32_t i = 0; i < n;) {
        int32_t j = i;
        while (j < n && same_topic(&f[i], &f[j]))
            j++;
        sl_OffsetFetchResponse_OffsetFetchResponseTopic_t *t = &topics->items[topics->count++];
        sl_OffsetFetchResponse_OffsetFetchResponseTopic_init(t);
        t->Name = f[i].topic;
        t->Partitions.items = sl_arena_calloc(arena, (size_t)(j - i), sizeof *t->Partitions.items);
        if (!t->Partitions.items)
            return false;
        t->Partitions.count = j - i;
        for (int32_t k = i; k < j; k++) {
            sl_OffsetFetchResponse_OffsetFetchResponsePartition_t *p = &t->Partitions.items[k - i];
            sl_OffsetFetchResponse_OffsetFetchResponsePartition_init(p);
            p->PartitionIndex = f[k].partition;
            p->CommittedOffset = f[k].offset;
            p->CommittedLeaderEpoch = f[k].epoch;
            p->Metadata = f[k].metadata;
        }
        i = j;
    }
    return true;
}

static bool build_v8(sl_arena_t *arena, const fetched_t *f, int32_t n,
                     sl_OffsetFetchResponse_OffsetFetchResponseTopics_array_t *topics)
{
    int32_t runs = count_runs(f, n);
    topics->items = sl_arena_calloc(arena, (size_t)runs + 1, sizeof *topics->items);
    if (!topics->items)
        return false;
    topics->count = 0;
    for (int32_t i = 0; i < n;) {
        int32_t j = i;
        while (j < n && same_topic(&f[i], &f[j]))
            j++;
        sl_OffsetFetchResponse_OffsetFetchResponseTopics_t *t = &topics->items[topics->count++];
        sl_OffsetFetchResponse_OffsetFetchResponseTopics_init(t);
        t->Name = f[i].topic;
        t->Partitions.items = sl_arena_calloc(arena, (size_t)(j - i), sizeof *t->Partitions.items);
        if (!t->Partitions.items)
            return false;
        t->Partitions.count = j - i;
        for (int32_t k = i; k < j; k++) {
            sl_OffsetFetchResponse_OffsetFetchResponsePartitions_t *p = &t->Partitions.items[k - i];
            sl_OffsetFetchResponse_OffsetFetchResponsePartitions_init(p);
            p->PartitionIndex = f[k].partition;
            p->CommittedOffset = f[k].offset;
            p->CommittedLeaderEpoch = f[k].epoch;
            p->Metadata = f[k].metadata;
        }
        i = j;
    }
    return true;
}

void sl_broker_handle_offset_fetch(sl_broker_req_t *req)
{
    const sl_OffsetFetchRequest_t *freq = req->body;
    sl_arena_t *arena = &req->arena;
    sl_OffsetFetchResponse_t resp;
    sl_OffsetFetchResponse_init(&resp);
    if (req->hdr.api_version < 8) {
        int32_t nt = SL_MAX(freq->Topics.count, 0);
        sl_kstr_t *names = sl_arena_calloc(arena, (size_t)nt + 1, sizeof *names);
        sl_int32_array_t *parts = sl_arena_calloc(arena, (size_t)nt + 1, sizeof *parts);
        if (!names || !parts)
            goto nomem;
        for (int32_t i = 0; i < nt; i++) {
            names[i] = freq->Topics.items[i].Name;
            parts[i] = freq->Topics.items[i].PartitionIndexes;
        }
        fetched_t *f = NULL;
        int32_t n = fetch_group(req, freq->GroupId, freq->Topics.count < 0, nt, names, parts, &f);
        if (n < 0 || !build_v0(arena, f, n, &resp.Topics))
            goto nomem;
    } else {
        int32_t ng = SL_MAX(freq->Groups.count, 0);
        resp.Groups.items = sl_arena_calloc(arena, (size_t)ng + 1, sizeof *resp.Groups.items);
        if (!resp.Groups.items)
            goto nomem;
        resp.Groups.count = ng;
        for (int32_t g = 0; g < ng; g++) {
            const sl_OffsetFetchRequest_OffsetFetchRequestGroup_t *gq = &freq->Groups.items[g];
            sl_OffsetFetchResponse_OffsetFetchResponseGroup_t *gr = &resp.Groups.items[g];
            sl_OffsetFetchResponse_OffsetFetchResponseGroup_init(gr);
            gr->groupId = gq->groupId;
            int32_t nt = SL_MAX(gq->Topics.count, 0);
            sl_kstr_t *names = sl_arena_calloc(arena, (size_t)nt + 1, sizeof *names);
            sl_int32_array_t *parts = sl_arena_calloc(arena, (size_t)nt + 1, sizeof *parts);
            if (!names || !parts)
                goto nomem;
            for (int32_t i = 0; i < nt; i++) {
                names[i] = gq->Topics.items[i].Name;
                parts[i] = gq->Topics.items[i].PartitionIndexes;
            }
            fetched_t *f = NULL;
            int32_t n = fetch_group(req, gq->groupId, gq->Topics.count < 0, nt, names, parts, &f);
            if (n < 0 || !build_v8(arena, f, n, &gr->Topics))
                goto nomem;
        }
    }
    sl_broker_req_reply(req, &resp);
    return;
nomem:
    sl_broker_req_close(req, "no memory for the OffsetFetch response (arena limit)");
}

/* ======================================================================
 * For the admin handlers (group_int.h)
 * ====================================================================== */

/* grp->mu held. */
static bool grp_exists_locked(grp_t *grp)
{
    return sl_group_member_count(grp->g) > 0 || sl_map_count(&grp->offsets) > 0 ||
           sl_group_state(grp->g) != SL_GROUP_EMPTY;
}

static grp_t *grp_find(sl_broker_t *broker, sl_kstr_t id)
{
    if (id.len < 0)
        return NULL;
    coord_ready(broker);
    pthread_mutex_lock(&coord.mu);
    grp_t *grp = grp_lookup_locked(id.ptr ? id.ptr : "", (size_t)id.len, false);
    pthread_mutex_unlock(&coord.mu);
    return grp;
}

sl_coord_group_t *sl_coord_group_find(sl_broker_t *broker, sl_kstr_t id)
{
    grp_t *grp = grp_find(broker, id);
    if (!grp)
        return NULL;
    pthread_mutex_lock(&grp->mu);
    sl_group_tick(grp->g, sl_time_mono_ms());
    bool exists = grp_exists_locked(grp);
    pthread_mutex_unlock(&grp->mu);
    return exists ? grp : NULL;
}

sl_group_t *sl_coord_group_lock(sl_coord_group_t *cg)
{
    pthread_mutex_lock(&cg->mu);
    sl_group_tick(cg->g, sl_time_mono_ms());
    return cg->g;
}

void sl_coord_group_unlock(sl_coord_group_t *cg) { pthread_mutex_unlock(&cg->mu); }

int32_t sl_coord_group_ids(sl_broker_t *broker, char ***out)
{
    coord_ready(broker);
    *out = NULL;
    /* Snapshot the groups first: grp->mu is never taken under coord.mu
     * while a request may hold grp->mu and wait for coord.mu. */
    pthread_mutex_lock(&coord.mu);
    size_t n = sl_map_count(&coord.groups), k = 0;
    grp_t **all = calloc(n + 1, sizeof *all);
    size_t it = 0;
    const void *key;
    size_t kl;
    void *v;
    while (all && sl_map_next(&coord.groups, &it, &key, &kl, &v) && k < n)
        all[k++] = v;
    pthread_mutex_unlock(&coord.mu);
    char **ids = calloc(k + 1, sizeof *ids);
    if (!all || !ids) {
        free(all);
        free(ids);
        return -1;
    }
    int32_t m = 0;
    for (size_t i = 0; i < k; i++) {
        pthread_mutex_lock(&all[i]->mu);
        sl_group_tick(all[i]->g, sl_time_mono_ms());
        if (grp_exists_locked(all[i]))
            ids[m] = strdup(sl_group_id(all[i]->g));
        pthread_mutex_unlock(&all[i]->mu);
        if (ids[m])
            m++;
    }
    free(all);
    *out = ids;
    return m;
}

int16_t sl_coord_group_delete(sl_broker_t *broker, sl_kstr_t id)
{
    grp_t *grp = grp_find(broker, id);
    if (!grp)
        return SL_ERR_GROUP_ID_NOT_FOUND;
    int16_t err = 0;
    pthread_mutex_lock(&grp->mu);
    sl_group_tick(grp->g, sl_time_mono_ms());
    if (!grp_exists_locked(grp)) {
        err = SL_ERR_GROUP_ID_NOT_FOUND;
    } else if (sl_group_state(grp->g) != SL_GROUP_EMPTY) {
        err = SL_ERR_NON_EMPTY_GROUP;
    } else if (sl_map_count(&grp->offsets) > 0) {
        sl_buf_t recs;
        sl_buf_init(&recs);
        size_t it = 0;
        const void *k;
        size_t kl;
        void *v;
        while (sl_map_next(&grp->offsets, &it, &k, &kl, &v)) {
            sl_kstr_t topic;
            int32_t partition;
            sl_offsets_key_split(k, kl, &topic, &partition);
            sl_offsets_record_append(&recs, id, topic, partition, NULL);
        }
        if (sl_buf_err(&recs) != SL_OK || file_append(&recs) != SL_OK) {
            err = SL_ERR_COORDINATOR_NOT_AVAILABLE;
        } else {
            sl_offsets_fini(&grp->offsets);
            sl_offsets_init(&grp->offsets);
        }
        sl_buf_free(&recs);
    }
    pthread_mutex_unlock(&grp->mu);
    return err;
}
