/*
 * assignor_streams.c - the streams task assignor (Kafka Streams'
 * StreamsPartitionAssignor, simplified): the user-data formats members and
 * the leader exchange, and the assignment itself as a pure function.
 *
 * Active tasks go first to instances ("clients": members sharing a process
 * id), each instance taking at most its share (tasks x its threads / all
 * threads, rounded up): a task stays on the instance that ran it, else goes
 * to an instance holding its state, else to the least loaded one. Each
 * instance then spreads its tasks over its threads the same way (the thread
 * that ran a task keeps it while under its share). Standbys go to other
 * instances than the active's, state holders first, then the least loaded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_int.h"

/* ---- wire formats --------------------------------------------------------- */

static void put_tasks(sl_buf_t *buf, const sl_taskid_t *t, size_t n)
{
    sl_buf_put_i32(buf, (int32_t)n);
    for (size_t i = 0; i < n; i++) {
        sl_buf_put_i32(buf, t[i].sub);
        sl_buf_put_i32(buf, t[i].partition);
    }
}

static sl_err_t get_tasks(sl_rd_t *rd, sl_arena_t *arena, const sl_taskid_t **out, size_t *n)
{
    int32_t cnt = sl_rd_i32(rd);
    if (!sl_rd_ok(rd))
        return rd->err;
    if (cnt < 0)
        return SL_ERR_PARSE;
    if ((size_t)cnt > sl_rd_left(rd) / 8)
        return SL_ERR_TRUNCATED;
    sl_taskid_t *t = sl_arena_calloc(arena, cnt ? (size_t)cnt : 1, sizeof(*t));
    if (!t)
        return SL_ERR_NOMEM;
    for (int32_t i = 0; i < cnt; i++) {
        t[i].sub = sl_rd_i32(rd);
        t[i].partition = sl_rd_i32(rd);
        if (t[i].sub < 0 || t[i].partition < 0)
            return SL_ERR_PARSE;
    }
    *out = t;
    *n = (size_t)cnt;
    return sl_rd_ok(rd) ? SL_OK : rd->err;
}

static sl_err_t get_version(sl_rd_t *rd, int32_t *version)
{
    *version = sl_rd_i32(rd);
    (void)sl_rd_i32(rd); /* the sender's latest supported version */
    if (!sl_rd_ok(rd))
        return rd->err;
    return *version < 1 ? SL_ERR_PARSE : SL_OK;
}

void sl_sa_sub_info_encode(sl_buf_t *buf, const sl_sa_sub_info_t *in)
{
    sl_buf_put_i32(buf, SL_SA_VERSION);
    sl_buf_put_i32(buf, SL_SA_VERSION);
    sl_buf_put(buf, in->process, sizeof(in->process));
    put_tasks(buf, in->active, in->n_active);
    put_tasks(buf, in->standby, in->n_standby);
}

sl_err_t sl_sa_sub_info_decode(const void *p, size_t n, sl_arena_t *arena, sl_sa_sub_info_t *out)
{
    memset(out, 0, sizeof(*out));
    sl_rd_t rd;
    sl_rd_init(&rd, p, n);
    sl_err_t err = get_version(&rd, &out->version);
    const uint8_t *proc = err ? NULL : sl_rd_take(&rd, sizeof(out->process));
    if (!err && !proc)
        err = rd.err ? rd.err : SL_ERR_TRUNCATED;
    if (!err)
        memcpy(out->process, proc, sizeof(out->process));
    if (!err)
        err = get_tasks(&rd, arena, &out->active, &out->n_active);
    if (!err)
        err = get_tasks(&rd, arena, &out->standby, &out->n_standby);
    return err;
}

void sl_sa_asg_info_encode(sl_buf_t *buf, const sl_sa_asg_info_t *in)
{
    sl_buf_put_i32(buf, SL_SA_VERSION);
    sl_buf_put_i32(buf, SL_SA_VERSION);
    sl_buf_put_i32(buf, in->error);
    if (in->message) {
        size_t len = strlen(in->message);
        if (len > INT16_MAX)
            len = INT16_MAX;
        sl_buf_put_i16(buf, (int16_t)len);
        sl_buf_put(buf, in->message, len);
    } else {
        sl_buf_put_i16(buf, -1);
    }
    put_tasks(buf, in->active, in->n_active);
    put_tasks(buf, in->standby, in->n_standby);
}

sl_err_t sl_sa_asg_info_decode(const void *p, size_t n, sl_arena_t *arena, sl_sa_asg_info_t *out)
{
    memset(out, 0, sizeof(*out));
    sl_rd_t rd;
    sl_rd_init(&rd, p, n);
    sl_err_t err = get_version(&rd, &out->version);
    if (!err) {
        out->error = sl_rd_i32(&rd);
        int16_t len = sl_rd_i16(&rd);
        if (!sl_rd_ok(&rd))
            err = rd.err;
        else if (len < -1)
            err = SL_ERR_PARSE;
        else if (len >= 0) {
            const uint8_t *s = sl_rd_take(&rd, (size_t)len);
            if (!s)
                err = rd.err ? rd.err : SL_ERR_TRUNCATED;
            else if (!(out->message = sl_arena_strndup(arena, (const char *)s, (size_t)len)))
                err = SL_ERR_NOMEM;
        }
    }
    if (!err)
        err = get_tasks(&rd, arena, &out->active, &out->n_active);
    if (!err)
        err = get_tasks(&rd, arena, &out->standby, &out->n_standby);
    return err;
}

/* ---- the assignment ------------------------------------------------------- */

typedef struct sa_member {
    size_t index;                  /* in members[] */
    size_t client;
    sl_sa_sub_info_t info;
    size_t n_active, n_standby;    /* assigned so far */
} sa_member_t;

typedef struct sa_client {
    const uint8_t *process;
    size_t *members;               /* sa member indexes, by member id */
    size_t n_members;
    size_t n_active, n_standby;
    size_t quota;
} sa_client_t;

typedef struct sa {
    const sl_sa_conf_t *conf;
    const sl_assignor_member_t *members;
    sa_member_t *m;
    size_t n_m;
    sa_client_t *c;
    size_t n_c;
    size_t *sub_first;             /* [n_subs + 1]: first task index */
    int32_t *sub_count;            /* [n_subs]: partitions */
    size_t n_tasks;
    int32_t *prev_member;          /* [n_tasks]: sa member that ran it, -1 */
    uint8_t *has_state;            /* [n_tasks x n_c] */
    int32_t *active_client;        /* [n_tasks] */
    int32_t *active_member;        /* [n_tasks] */
    uint8_t *standby_client;       /* [n_tasks x n_c] */
    int32_t *standby_member;       /* [n_tasks x n_c]: which thread, -1 */
    sl_arena_t *arena;
} sa_t;

static int32_t task_index(const sa_t *s, sl_taskid_t t)
{
    for (size_t i = 0; i < s->conf->n_subs; i++)
        if (s->conf->subs[i].id == t.sub)
            return t.partition < s->sub_count[i] ? (int32_t)(s->sub_first[i] + (size_t)t.partition) : -1;
    return -1;
}

static sl_taskid_t task_at(const sa_t *s, size_t ti)
{
    size_t i = 0;
    while (i + 1 < s->conf->n_subs && s->sub_first[i + 1] <= ti)
        i++;
    sl_taskid_t t = {s->conf->subs[i].id, (int32_t)(ti - s->sub_first[i])};
    return t;
}

static int32_t topic_count(const sl_assignor_topic_t *topics, size_t nt, const char *name)
{
    for (size_t k = 0; k < nt; k++)
        if (strcmp(topics[k].name, name) == 0)
            return topics[k].partitions;
    return 0;
}

/* The task counts, or the error every member is told. */
static int32_t count_tasks(sa_t *s, const sl_assignor_topic_t *topics, size_t nt, char *msg, size_t len)
{
    s->n_tasks = 0;
    for (size_t i = 0; i < s->conf->n_subs; i++) {
        const sl_sa_sub_t *sub = &s->conf->subs[i];
        int32_t count = 0;
        const char *first = NULL;
        for (size_t k = 0; k < sub->n_topics; k++) {
            int32_t n = topic_count(topics, nt, sub->topics[k]);
            if (n <= 0) {
                snprintf(msg, len, "source topic %s of sub-topology %d does not exist", sub->topics[k],
                         (int)sub->id);
                return SL_SA_ERR_MISSING_TOPIC;
            }
            if (first && n != count) {
                snprintf(msg, len,
                         "co-partitioned topics %s (%d partitions) and %s (%d partitions) of sub-topology %d "
                         "must have the same partition count",
                         first, (int)count, sub->topics[k], (int)n, (int)sub->id);
                return SL_SA_ERR_COPARTITION;
            }
            first = sub->topics[k];
            count = n;
        }
        if (sub->partitions > 0 && count != sub->partitions) {
            snprintf(msg, len,
                     "the source topics of sub-topology %d have %d partitions, %d when the application started "
                     "(its changelogs have as many): restart it with a new application.id or the old count",
                     (int)sub->id, (int)count, (int)sub->partitions);
            return SL_SA_ERR_CHANGED;
        }
        s->sub_first[i] = s->n_tasks;
        s->sub_count[i] = count;
        s->n_tasks += (size_t)count;
    }
    s->sub_first[s->conf->n_subs] = s->n_tasks;
    return SL_SA_ERR_NONE;
}

static int cmp_member(const void *a, const void *b, const sl_assignor_member_t *members, const sa_member_t *m)
{
    return strcmp(members[m[*(const size_t *)a].index].member_id, members[m[*(const size_t *)b].index].member_id);
}

/* Members into clients (by process id, in first-seen order after sorting
 * members by id, so every leader computes the same). */
static sl_err_t group_clients(sa_t *s)
{
    size_t *order = sl_arena_calloc(s->arena, s->n_m ? s->n_m : 1, sizeof(*order));
    s->c = sl_arena_calloc(s->arena, s->n_m ? s->n_m : 1, sizeof(*s->c));
    if (!order || !s->c)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < s->n_m; i++)
        order[i] = i;
    /* insertion sort by member id (groups are small) */
    for (size_t i = 1; i < s->n_m; i++)
        for (size_t j = i; j > 0 && cmp_member(&order[j - 1], &order[j], s->members, s->m) > 0; j--) {
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    s->n_c = 0;
    for (size_t k = 0; k < s->n_m; k++) {
        sa_member_t *m = &s->m[order[k]];
        size_t c = 0;
        while (c < s->n_c && memcmp(s->c[c].process, m->info.process, 16) != 0)
            c++;
        if (c == s->n_c) {
            s->c[c].process = m->info.process;
            s->c[c].members = sl_arena_calloc(s->arena, s->n_m, sizeof(size_t));
            if (!s->c[c].members)
                return SL_ERR_NOMEM;
            s->n_c++;
        }
        m->client = c;
        s->c[c].members[s->c[c].n_members++] = order[k];
    }
    return SL_OK;
}

/* What members ran before and where state is. */
static void note_previous(sa_t *s)
{
    for (size_t t = 0; t < s->n_tasks; t++)
        s->prev_member[t] = -1;
    for (size_t k = 0; k < s->n_m; k++) {
        const sa_member_t *m = &s->m[k];
        for (size_t i = 0; i < m->info.n_active; i++) {
            int32_t t = task_index(s, m->info.active[i]);
            if (t < 0)
                continue;
            if (s->prev_member[t] < 0)
                s->prev_member[t] = (int32_t)k;
            s->has_state[(size_t)t * s->n_c + m->client] = 1;
        }
        for (size_t i = 0; i < m->info.n_standby; i++) {
            int32_t t = task_index(s, m->info.standby[i]);
            if (t >= 0)
                s->has_state[(size_t)t * s->n_c + m->client] = 1;
        }
    }
}

/* load of client c relative to its threads, as a fraction compared by
 * cross-multiplication: a->n * b->threads < b->n * a->threads */
static bool less_loaded(const sa_client_t *a, size_t na, const sa_client_t *b, size_t nb)
{
    return na * b->n_members < nb * a->n_members;
}

static void assign_active_clients(sa_t *s)
{
    size_t threads = s->n_m;
    for (size_t c = 0; c < s->n_c; c++)
        s->c[c].quota = (s->n_tasks * s->c[c].n_members + threads - 1) / threads;
    for (size_t t = 0; t < s->n_tasks; t++)
        s->active_client[t] = -1;
    /* 1: where it ran */
    for (size_t t = 0; t < s->n_tasks; t++) {
        int32_t pm = s->prev_member[t];
        if (pm < 0)
            continue;
        sa_client_t *c = &s->c[s->m[pm].client];
        if (c->n_active < c->quota) {
            s->active_client[t] = (int32_t)s->m[pm].client;
            c->n_active++;
        }
    }
    /* 2: where its state is; 3: the least loaded */
    for (int pass = 0; pass < 2; pass++)
        for (size_t t = 0; t < s->n_tasks; t++) {
            if (s->active_client[t] >= 0)
                continue;
            int32_t best = -1;
            for (size_t c = 0; c < s->n_c; c++) {
                if (pass == 0 && !s->has_state[t * s->n_c + c])
                    continue;
                if (pass == 0 && s->c[c].n_active >= s->c[c].quota)
                    continue;
                if (best < 0 || less_loaded(&s->c[c], s->c[c].n_active, &s->c[best], s->c[best].n_active))
                    best = (int32_t)c;
            }
            if (best >= 0) {
                s->active_client[t] = best;
                s->c[best].n_active++;
            }
        }
}

/* Within each client: to the thread that ran it while under its share,
 * else the thread with the fewest. */
static void assign_active_members(sa_t *s)
{
    for (size_t t = 0; t < s->n_tasks; t++)
        s->active_member[t] = -1;
    for (int pass = 0; pass < 2; pass++)
        for (size_t t = 0; t < s->n_tasks; t++) {
            if (s->active_member[t] >= 0 || s->active_client[t] < 0)
                continue;
            sa_client_t *c = &s->c[s->active_client[t]];
            size_t share = (c->n_active + c->n_members - 1) / c->n_members;
            int32_t pm = s->prev_member[t];
            if (pass == 0) {
                if (pm >= 0 && s->m[pm].client == (size_t)s->active_client[t] && s->m[pm].n_active < share) {
                    s->active_member[t] = pm;
                    s->m[pm].n_active++;
                }
                continue;
            }
            size_t best = c->members[0];
            for (size_t i = 1; i < c->n_members; i++)
                if (s->m[c->members[i]].n_active < s->m[best].n_active)
                    best = c->members[i];
            s->active_member[t] = (int32_t)best;
            s->m[best].n_active++;
        }
}

static void assign_standbys(sa_t *s)
{
    for (size_t i = 0; i < s->n_tasks * s->n_c; i++)
        s->standby_member[i] = -1;
    if (s->conf->num_standby <= 0)
        return;
    for (int32_t r = 0; r < s->conf->num_standby; r++)
        for (size_t t = 0; t < s->n_tasks; t++) {
            int32_t best = -1;
            bool best_state = false;
            for (size_t c = 0; c < s->n_c; c++) {
                if ((int32_t)c == s->active_client[t] || s->standby_client[t * s->n_c + c])
                    continue;
                bool st = s->has_state[t * s->n_c + c];
                if (best < 0 || (st && !best_state) ||
                    (st == best_state &&
                     less_loaded(&s->c[c], s->c[c].n_standby, &s->c[best], s->c[best].n_standby))) {
                    best = (int32_t)c;
                    best_state = st;
                }
            }
            if (best < 0)
                continue; /* fewer other instances than replicas */
            sa_client_t *c = &s->c[best];
            s->standby_client[t * s->n_c + (size_t)best] = 1;
            c->n_standby++;
            size_t pick = c->members[0];
            for (size_t i = 1; i < c->n_members; i++)
                if (s->m[c->members[i]].n_standby < s->m[pick].n_standby)
                    pick = c->members[i];
            s->m[pick].n_standby++;
            s->standby_member[t * s->n_c + (size_t)best] = (int32_t)pick;
        }
}

/* Writes member k's partitions and user data. */
static sl_err_t output(sa_t *s, size_t k, int32_t error, const char *msg, sl_assignor_result_t *out)
{
    sa_member_t *m = &s->m[k];
    sl_sa_asg_info_t info = {.version = SL_SA_VERSION, .error = error, .message = error ? msg : NULL};
    sl_taskid_t *act = sl_arena_calloc(s->arena, m->n_active ? m->n_active : 1, sizeof(*act));
    sl_taskid_t *stb = sl_arena_calloc(s->arena, m->n_standby ? m->n_standby : 1, sizeof(*stb));
    if (!act || !stb)
        return SL_ERR_NOMEM;
    size_t n_parts = 0;
    for (size_t t = 0; !error && t < s->n_tasks; t++) {
        if (s->active_member[t] == (int32_t)k) {
            act[info.n_active++] = task_at(s, t);
            size_t si = 0;
            while (si + 1 < s->conf->n_subs && s->sub_first[si + 1] <= t)
                si++;
            n_parts += s->conf->subs[si].n_topics;
        }
        if (s->standby_member[t * s->n_c + m->client] == (int32_t)k)
            stb[info.n_standby++] = task_at(s, t);
    }
    info.active = act;
    info.standby = stb;
    sl_assignor_tp_t *parts = sl_arena_calloc(s->arena, n_parts ? n_parts : 1, sizeof(*parts));
    if (!parts)
        return SL_ERR_NOMEM;
    size_t np = 0;
    for (size_t i = 0; i < info.n_active; i++) {
        const sl_sa_sub_t *sub = NULL;
        for (size_t j = 0; j < s->conf->n_subs && !sub; j++)
            if (s->conf->subs[j].id == info.active[i].sub)
                sub = &s->conf->subs[j];
        for (size_t k2 = 0; k2 < sub->n_topics; k2++) {
            parts[np].topic = sub->topics[k2];
            parts[np++].partition = info.active[i].partition;
        }
    }
    sl_buf_t buf = SL_BUF_INIT;
    sl_sa_asg_info_encode(&buf, &info);
    sl_err_t err = buf.err;
    uint8_t *ud = err ? NULL : sl_arena_memdup(s->arena, buf.data, buf.len);
    if (!err && !ud)
        err = SL_ERR_NOMEM;
    out->parts = parts;
    out->count = np;
    out->user_data = ud;
    out->user_data_len = ud ? (int32_t)buf.len : -1;
    sl_buf_free(&buf);
    return err;
}

/* A member that sent nothing readable: an instance of its own, named by a
 * hash of its member id (distinct members, distinct instances). */
static void fresh_member(sa_member_t *m, const char *member_id)
{
    memset(&m->info, 0, sizeof(m->info));
    m->info.version = SL_SA_VERSION;
    uint64_t h = sl_hash_bytes(member_id, strlen(member_id));
    m->info.process[0] = 0xff; /* never a real (random v4) process id: 0x40 in byte 6 */
    memcpy(m->info.process + 8, &h, sizeof(h));
    size_t len = strlen(member_id);
    memcpy(m->info.process + 1, member_id, len < 7 ? len : 7);
}

sl_err_t sl_sa_assign(const sl_assignor_member_t *members, size_t n_members, const sl_assignor_topic_t *topics,
                      size_t n_topics, sl_arena_t *arena, sl_assignor_result_t *out, void *arg)
{
    const sl_sa_conf_t *conf = arg;
    sa_t s = {.conf = conf, .members = members, .n_m = n_members, .arena = arena};
    if (!n_members)
        return SL_OK;
    s.m = sl_arena_calloc(arena, n_members, sizeof(*s.m));
    s.sub_first = sl_arena_calloc(arena, conf->n_subs + 1, sizeof(*s.sub_first));
    s.sub_count = sl_arena_calloc(arena, conf->n_subs ? conf->n_subs : 1, sizeof(*s.sub_count));
    if (!s.m || !s.sub_first || !s.sub_count)
        return SL_ERR_NOMEM;
    for (size_t k = 0; k < n_members; k++) {
        s.m[k].index = k;
        const sl_assignor_member_t *mm = &members[k];
        if (!mm->user_data || mm->user_data_len <= 0 ||
            sl_sa_sub_info_decode(mm->user_data, (size_t)mm->user_data_len, arena, &s.m[k].info) != SL_OK) {
            SL_WARN(SL_APP_LOG, "member %s sent no readable streams user data: a fresh instance", mm->member_id);
            fresh_member(&s.m[k], mm->member_id);
        }
    }
    char msg[512];
    int32_t error = count_tasks(&s, topics, n_topics, msg, sizeof(msg));
    sl_err_t err = group_clients(&s);
    if (err)
        return err;
    size_t nt = s.n_tasks ? s.n_tasks : 1;
    s.prev_member = sl_arena_calloc(arena, nt, sizeof(int32_t));
    s.active_client = sl_arena_calloc(arena, nt, sizeof(int32_t));
    s.active_member = sl_arena_calloc(arena, nt, sizeof(int32_t));
    s.has_state = sl_arena_calloc(arena, nt * s.n_c, 1);
    s.standby_client = sl_arena_calloc(arena, nt * s.n_c, 1);
    s.standby_member = sl_arena_calloc(arena, nt * s.n_c, sizeof(int32_t));
    if (!s.prev_member || !s.active_client || !s.active_member || !s.has_state || !s.standby_client ||
        !s.standby_member)
        return SL_ERR_NOMEM;
    if (error) {
        SL_ERROR(SL_APP_LOG, "cannot assign tasks: %s", msg);
        s.n_tasks = 0;
    }
    note_previous(&s);
    assign_active_clients(&s);
    assign_active_members(&s);
    assign_standbys(&s);
    for (size_t k = 0; k < n_members && !err; k++)
        err = output(&s, k, error, msg, &out[k]);
    return err;
}
