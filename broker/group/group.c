/*
 * group.c - the classic group state machine of group.h: membership, the
 * two-phase rebalance (JoinGroup collects members, the leader's SyncGroup
 * distributes assignments), session and rebalance timeouts, protocol
 * selection, generations, static membership (group.instance.id). Follows
 * the behaviour of Kafka's GroupCoordinator (3.4) for the consumer protocol.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "group.h"

typedef struct member_proto {
    char *name;
    uint8_t *meta;
    int32_t len;
} member_proto_t;

typedef struct member {
    sl_list_t node;
    char *id;
    char *client_id;
    char *client_host;                 /* "" when not known */
    char *instance_id;                 /* NULL: none */
    bool pending;                      /* given an id by MEMBER_ID_REQUIRED, not yet joined */
    int32_t session_ms, rebalance_ms;
    int64_t last_seen;                 /* session expires at last_seen + session_ms */
    member_proto_t *protos;
    int32_t nprotos;
    uint8_t *assignment;
    int32_t assignment_len;
    sl_group_waiter_t *join_w;
    sl_group_waiter_t *sync_w;
} member_t;

struct sl_group {
    char *id;
    sl_group_limits_t lim;
    uint32_t nonce;
    uint64_t seq;
    sl_group_state_t state;
    int32_t generation;
    char *protocol_type;
    char *protocol_name;
    char *leader;                      /* member id, NULL when none */
    sl_list_t members;                 /* member_t, joined and pending */
    int32_t nmembers;                  /* not pending */
    int64_t rebalance_deadline;        /* PreparingRebalance: complete by then */
    int64_t initial_until;             /* ... and not before then (initial delay) */
    int64_t initial_cap;
};

const char *sl_group_state_name(sl_group_state_t s)
{
    switch (s) {
    case SL_GROUP_EMPTY: return "Empty";
    case SL_GROUP_PREPARING_REBALANCE: return "PreparingRebalance";
    case SL_GROUP_COMPLETING_REBALANCE: return "CompletingRebalance";
    case SL_GROUP_STABLE: return "Stable";
    case SL_GROUP_DEAD: return "Dead";
    }
    return "Unknown";
}

void sl_group_limits_default(sl_group_limits_t *lim)
{
    lim->min_session_timeout_ms = 6000;
    lim->max_session_timeout_ms = 1800000;
    lim->initial_rebalance_delay_ms = 3000;
    lim->max_size = INT32_MAX;
}

static char *kdup(sl_kstr_t s)
{
    if (s.len < 0)
        return NULL;
    char *p = malloc((size_t)s.len + 1);
    if (p) {
        if (s.len)
            memcpy(p, s.ptr, (size_t)s.len);
        p[s.len] = '\0';
    }
    return p;
}

static char *sdup(const char *s) { return s ? kdup(sl_kstr(s)) : NULL; }

static uint8_t *bdup(const uint8_t *p, int32_t len)
{
    uint8_t *q = malloc(len > 0 ? (size_t)len : 1);
    if (q && len > 0)
        memcpy(q, p, (size_t)len);
    return q;
}

static bool keq(sl_kstr_t k, const char *s) { return s && sl_kstr_eq(k, s); }

/* ---- waiters ---- */

void sl_group_waiter_detach(sl_group_waiter_t *w)
{
    if (!w || !w->parked || !w->group)
        return;
    member_t *m;
    sl_list_t *pos, *tmp;
    sl_list_foreach_safe(pos, tmp, &w->group->members)
    {
        m = (member_t *)pos;
        if (m->join_w == w)
            m->join_w = NULL;
        if (m->sync_w == w)
            m->sync_w = NULL;
    }
    w->parked = false;
    w->group = NULL;
}

void sl_group_waiter_clear(sl_group_waiter_t *w)
{
    free(w->protocol_type);
    free(w->protocol_name);
    free(w->member_id);
    free(w->leader);
    for (int32_t i = 0; i < w->nmembers; i++) {
        free(w->members[i].member_id);
        free(w->members[i].instance_id);
        free(w->members[i].metadata);
    }
    free(w->members);
    free(w->assignment);
    w->protocol_type = w->protocol_name = w->member_id = w->leader = NULL;
    w->members = NULL;
    w->nmembers = 0;
    w->assignment = NULL;
    w->assignment_len = 0;
    w->done = false;
    w->error = 0;
    w->skip_assignment = false;
}

/* Fills the common fields; the rest is the caller's. */
static void w_fill(sl_group_waiter_t *w, int16_t error, int32_t generation, const char *member_id)
{
    w->done = true;
    w->error = error;
    w->generation = generation;
    w->member_id = sdup(member_id ? member_id : "");
}

static void w_release(sl_group_waiter_t *w)
{
    w->parked = false;
    w->group = NULL;
    if (w->notify)
        w->notify(w);
}

/* Answers the waiter parked in *slot, if any, with error and generation,
 * and empties the slot. */
static void w_answer(sl_group_waiter_t **slot, int16_t error, int32_t generation, const char *member_id)
{
    sl_group_waiter_t *w = *slot;
    if (!w)
        return;
    *slot = NULL;
    w_fill(w, error, generation, member_id);
    w_release(w);
}

/* ---- members ---- */

static void protos_free(member_t *m)
{
    for (int32_t i = 0; i < m->nprotos; i++) {
        free(m->protos[i].name);
        free(m->protos[i].meta);
    }
    free(m->protos);
    m->protos = NULL;
    m->nprotos = 0;
}

static bool protos_set(member_t *m, const sl_group_join_args_t *a)
{
    member_proto_t *p = calloc((size_t)a->nprotocols + 1, sizeof *p);
    if (!p)
        return false;
    for (int32_t i = 0; i < a->nprotocols; i++) {
        p[i].name = kdup(a->protocols[i].name);
        p[i].len = SL_MAX(a->protocols[i].metadata.len, 0);
        p[i].meta = bdup(a->protocols[i].metadata.ptr, p[i].len);
        if (!p[i].name || !p[i].meta) {
            for (int32_t j = 0; j <= i; j++) {
                free(p[j].name);
                free(p[j].meta);
            }
            free(p);
            return false;
        }
    }
    protos_free(m);
    m->protos = p;
    m->nprotos = a->nprotocols;
    return true;
}

static bool protos_same(const member_t *m, const sl_group_join_args_t *a)
{
    if (m->nprotos != a->nprotocols)
        return false;
    for (int32_t i = 0; i < a->nprotocols; i++) {
        const sl_group_protocol_in_t *p = &a->protocols[i];
        int32_t len = SL_MAX(p->metadata.len, 0);
        if (!keq(p->name, m->protos[i].name) || len != m->protos[i].len ||
            (len && memcmp(p->metadata.ptr, m->protos[i].meta, (size_t)len) != 0))
            return false;
    }
    return true;
}

static const member_proto_t *member_proto(const member_t *m, const char *name)
{
    for (int32_t i = 0; name && i < m->nprotos; i++)
        if (strcmp(m->protos[i].name, name) == 0)
            return &m->protos[i];
    return NULL;
}

static member_t *find_member(sl_group_t *g, sl_kstr_t id)
{
    sl_list_t *pos;
    for (pos = g->members.next; pos != &g->members; pos = pos->next) {
        member_t *m = (member_t *)pos;
        if (keq(id, m->id))
            return m;
    }
    return NULL;
}

static void member_free(member_t *m)
{
    free(m->id);
    free(m->client_id);
    free(m->client_host);
    free(m->instance_id);
    protos_free(m);
    free(m->assignment);
    free(m);
}

/* ---- the group ---- */

sl_group_t *sl_group_new(const char *id, const sl_group_limits_t *lim, uint32_t nonce)
{
    sl_group_t *g = calloc(1, sizeof *g);
    if (!g || !(g->id = sdup(id))) {
        free(g);
        return NULL;
    }
    g->lim = *lim;
    g->nonce = nonce;
    g->state = SL_GROUP_EMPTY;
    sl_list_init(&g->members);
    return g;
}

void sl_group_free(sl_group_t *g)
{
    if (!g)
        return;
    sl_list_t *pos, *tmp;
    sl_list_foreach_safe(pos, tmp, &g->members)
    {
        member_t *m = (member_t *)pos;
        if (m->join_w) {
            m->join_w->parked = false;
            m->join_w->group = NULL;
        }
        if (m->sync_w) {
            m->sync_w->parked = false;
            m->sync_w->group = NULL;
        }
        sl_list_remove(pos);
        member_free(m);
    }
    free(g->protocol_type);
    free(g->protocol_name);
    free(g->leader);
    free(g->id);
    free(g);
}

const char *sl_group_id(const sl_group_t *g) { return g->id; }
sl_group_state_t sl_group_state(const sl_group_t *g) { return g->state; }
int32_t sl_group_generation(const sl_group_t *g) { return g->generation; }
int32_t sl_group_member_count(const sl_group_t *g) { return g->nmembers; }
const char *sl_group_leader(const sl_group_t *g) { return g->leader; }
const char *sl_group_protocol_type(const sl_group_t *g) { return g->protocol_type; }
const char *sl_group_protocol_name(const sl_group_t *g) { return g->protocol_name; }

/* The i-th member that has joined (pending ones do not count), or NULL. */
static const member_t *member_nth(const sl_group_t *g, int32_t i)
{
    int32_t k = 0;
    for (const sl_list_t *pos = g->members.next; pos != &g->members; pos = pos->next) {
        const member_t *m = (const member_t *)pos;
        if (!m->pending && k++ == i)
            return m;
    }
    return NULL;
}

bool sl_group_member_at(const sl_group_t *g, int32_t i, const char **member_id, const char **client_id,
                        const char **instance_id, sl_kbytes_t *metadata, sl_kbytes_t *assignment)
{
    const member_t *m = member_nth(g, i);
    if (!m)
        return false;
    *member_id = m->id;
    *client_id = m->client_id;
    *instance_id = m->instance_id;
    const member_proto_t *p = member_proto(m, g->protocol_name);
    metadata->ptr = p ? p->meta : NULL;
    metadata->len = p ? p->len : 0;
    assignment->ptr = m->assignment;
    assignment->len = m->assignment ? m->assignment_len : 0;
    return true;
}

const char *sl_group_member_host(const sl_group_t *g, int32_t i)
{
    const member_t *m = member_nth(g, i);
    return m ? (m->client_host ? m->client_host : "") : NULL;
}

bool sl_group_member_timeouts(const sl_group_t *g, int32_t i, int32_t *session_ms, int32_t *rebalance_ms)
{
    const member_t *m = member_nth(g, i);
    if (!m)
        return false;
    *session_ms = m->session_ms;
    *rebalance_ms = m->rebalance_ms;
    return true;
}

bool sl_group_restore(sl_group_t *g, const char *protocol_type, int32_t generation)
{
    if (g->state != SL_GROUP_EMPTY || !sl_list_empty(&g->members))
        return false;
    char *pt = protocol_type && *protocol_type ? sdup(protocol_type) : NULL;
    if (protocol_type && *protocol_type && !pt)
        return false;
    free(g->protocol_type);
    g->protocol_type = pt;
    free(g->protocol_name);
    g->protocol_name = NULL;
    g->generation = generation;
    return true;
}

/* Is there a protocol every member (and the candidate a, when given)
 * supports? Kafka's rule for a join into a non-empty group. */
static bool protocol_supported_by_all(const sl_group_t *g, const member_t *skip, const sl_group_join_args_t *a)
{
    for (int32_t i = 0; i < a->nprotocols; i++) {
        char *name = kdup(a->protocols[i].name);
        if (!name)
            return false;
        bool all = true;
        const sl_list_t *pos;
        for (pos = g->members.next; pos != &g->members && all; pos = pos->next) {
            const member_t *m = (const member_t *)pos;
            if (m == skip || m->pending)
                continue;
            all = member_proto(m, name) != NULL;
        }
        free(name);
        if (all)
            return true;
    }
    return false;
}

/* Kafka's selectProtocol: among the protocols every member supports, each
 * member votes for the first of its own list; most votes wins (ties: the
 * first candidate in the first member's order). */
static const char *select_protocol(const sl_group_t *g)
{
    const member_t *first = NULL;
    const sl_list_t *pos;
    for (pos = g->members.next; pos != &g->members; pos = pos->next)
        if (!((const member_t *)pos)->pending) {
            first = (const member_t *)pos;
            break;
        }
    if (!first)
        return NULL;
    const char *best = NULL;
    int best_votes = -1;
    for (int32_t i = 0; i < first->nprotos; i++) {
        const char *cand = first->protos[i].name;
        bool all = true;
        for (pos = g->members.next; pos != &g->members && all; pos = pos->next) {
            const member_t *m = (const member_t *)pos;
            all = m->pending || member_proto(m, cand) != NULL;
        }
        if (!all)
            continue;
        int votes = 0;
        for (pos = g->members.next; pos != &g->members; pos = pos->next) {
            const member_t *m = (const member_t *)pos;
            if (m->pending)
                continue;
            /* m's first protocol that every member supports */
            for (int32_t k = 0; k < m->nprotos; k++) {
                const char *mine = m->protos[k].name;
                bool ok = true;
                const sl_list_t *q;
                for (q = g->members.next; q != &g->members && ok; q = q->next)
                    ok = ((const member_t *)q)->pending || member_proto((const member_t *)q, mine) != NULL;
                if (ok) {
                    votes += strcmp(mine, cand) == 0;
                    break;
                }
            }
        }
        if (votes > best_votes) {
            best = cand;
            best_votes = votes;
        }
    }
    return best;
}

static int32_t max_rebalance_ms(const sl_group_t *g)
{
    int32_t mx = 0;
    const sl_list_t *pos;
    for (pos = g->members.next; pos != &g->members; pos = pos->next)
        if (!((const member_t *)pos)->pending)
            mx = SL_MAX(mx, ((const member_t *)pos)->rebalance_ms);
    return mx;
}

/* Answers every parked SyncGroup with error (a rebalance started). */
static void abort_syncs(sl_group_t *g, int16_t error)
{
    sl_list_t *pos;
    for (pos = g->members.next; pos != &g->members; pos = pos->next) {
        member_t *m = (member_t *)pos;
        free(m->assignment);
        m->assignment = NULL;
        m->assignment_len = 0;
        w_answer(&m->sync_w, error, g->generation, m->id);
    }
}

static void prepare_rebalance(sl_group_t *g, int64_t now)
{
    if (g->state == SL_GROUP_PREPARING_REBALANCE)
        return;
    if (g->state == SL_GROUP_COMPLETING_REBALANCE)
        abort_syncs(g, SL_ERR_REBALANCE_IN_PROGRESS);
    int32_t rebalance = max_rebalance_ms(g);
    g->initial_until = 0;
    if (g->state == SL_GROUP_EMPTY && g->lim.initial_rebalance_delay_ms > 0) {
        /* Kafka's InitialDelayedJoin: wait for more members to arrive,
         * each arrival extending the wait, up to the rebalance timeout. */
        g->initial_until = now + SL_MIN(g->lim.initial_rebalance_delay_ms, rebalance);
        g->initial_cap = now + rebalance;
    }
    g->rebalance_deadline = now + rebalance;
    g->state = SL_GROUP_PREPARING_REBALANCE;
}

static void remove_member(sl_group_t *g, member_t *m, int64_t now);

/* The leader's view: every member with the chosen protocol's metadata. */
static void fill_members(const sl_group_t *g, sl_group_waiter_t *w)
{
    w->members = calloc((size_t)g->nmembers + 1, sizeof *w->members);
    if (!w->members) {
        w->error = SL_ERR_NOMEM;
        return;
    }
    const sl_list_t *q;
    for (q = g->members.next; q != &g->members; q = q->next) {
        const member_t *o = (const member_t *)q;
        if (o->pending)
            continue;
        sl_group_member_info_t *mi = &w->members[w->nmembers++];
        const member_proto_t *p = member_proto(o, g->protocol_name);
        mi->member_id = sdup(o->id);
        mi->instance_id = sdup(o->instance_id);
        mi->metadata_len = p ? p->len : 0;
        mi->metadata = bdup(p ? p->meta : NULL, mi->metadata_len);
    }
}

/* Completes the join phase: members that did not rejoin are removed, the
 * generation moves on, a protocol and a leader are chosen and every parked
 * JoinGroup is answered. */
static void complete_join(sl_group_t *g, int64_t now)
{
    sl_list_t *pos, *tmp;
    sl_list_foreach_safe(pos, tmp, &g->members)
    {
        member_t *m = (member_t *)pos;
        if (!m->pending && !m->join_w) {
            sl_list_remove(pos);
            g->nmembers--;
            w_answer(&m->sync_w, SL_ERR_UNKNOWN_MEMBER_ID, g->generation, m->id);
            member_free(m);
        }
    }
    g->generation++;
    free(g->protocol_name);
    g->protocol_name = NULL;
    free(g->leader);
    g->leader = NULL;
    if (g->nmembers == 0) {
        g->state = SL_GROUP_EMPTY; /* the protocol type stays, as in Kafka */
        return;
    }
    g->protocol_name = sdup(select_protocol(g));
    g->state = SL_GROUP_COMPLETING_REBALANCE;
    member_t *leader = NULL;
    for (pos = g->members.next; pos != &g->members; pos = pos->next)
        if (!((member_t *)pos)->pending) {
            leader = (member_t *)pos;
            break;
        }
    g->leader = sdup(leader->id);
    sl_list_foreach_safe(pos, tmp, &g->members)
    {
        member_t *m = (member_t *)pos;
        if (m->pending || !m->join_w)
            continue;
        sl_group_waiter_t *w = m->join_w;
        m->join_w = NULL;
        m->last_seen = now;
        w_fill(w, 0, g->generation, m->id);
        w->protocol_type = sdup(g->protocol_type);
        w->protocol_name = sdup(g->protocol_name);
        w->leader = sdup(g->leader);
        if (m == leader)
            fill_members(g, w);
        w_release(w);
    }
}

/* PreparingRebalance: done when every member rejoined (and the initial
 * delay is over), or at the deadline. */
static void try_complete_join(sl_group_t *g, int64_t now)
{
    if (g->state != SL_GROUP_PREPARING_REBALANCE)
        return;
    if (g->initial_until) {
        if (now < g->initial_until)
            return;
        g->initial_until = 0;
        complete_join(g, now);
        return;
    }
    bool all = true;
    const sl_list_t *pos;
    for (pos = g->members.next; pos != &g->members && all; pos = pos->next) {
        const member_t *m = (const member_t *)pos;
        all = m->pending ? false : m->join_w != NULL;
    }
    if (all || now >= g->rebalance_deadline)
        complete_join(g, now);
}

static void remove_member(sl_group_t *g, member_t *m, int64_t now)
{
    sl_list_remove(&m->node);
    if (!m->pending)
        g->nmembers--;
    w_answer(&m->join_w, SL_ERR_UNKNOWN_MEMBER_ID, -1, m->id);
    w_answer(&m->sync_w, SL_ERR_UNKNOWN_MEMBER_ID, -1, m->id);
    bool was_pending = m->pending;
    member_free(m);
    if (was_pending) { /* a join may have been waiting for it */
        try_complete_join(g, now);
        return;
    }
    if (g->state == SL_GROUP_STABLE || g->state == SL_GROUP_COMPLETING_REBALANCE)
        prepare_rebalance(g, now);
    try_complete_join(g, now);
}

static void answer_current(const sl_group_t *g, const member_t *m, sl_group_waiter_t *w)
{
    w_fill(w, 0, g->generation, m->id);
    w->protocol_type = sdup(g->protocol_type);
    w->protocol_name = sdup(g->protocol_name);
    w->leader = sdup(g->leader);
}

static void park_join(sl_group_t *g, member_t *m, sl_group_waiter_t *w)
{
    if (m->join_w && m->join_w != w) { /* the same member joined again on another request */
        sl_group_waiter_t *old = m->join_w;
        w_fill(old, SL_ERR_REBALANCE_IN_PROGRESS, g->generation, m->id);
        w_release(old);
    }
    m->join_w = w;
    w->parked = true;
    w->group = g;
}

/* client id, '-', a process nonce and a sequence number (Kafka: client id
 * and a uuid). malloc'ed; NULL on no memory. */
static char *new_member_id(sl_group_t *g, sl_kstr_t client_id)
{
    char idbuf[64];
    uint64_t seq = ++g->seq;
    snprintf(idbuf, sizeof idbuf, "-%08x-%016llx", g->nonce, (unsigned long long)seq);
    size_t clen = (size_t)SL_MAX(client_id.len, 0);
    char *id = malloc(clen + strlen(idbuf) + 1);
    if (!id)
        return NULL;
    if (clen)
        memcpy(id, client_id.ptr, clen);
    strcpy(id + clen, idbuf);
    return id;
}

static member_t *find_instance(sl_group_t *g, sl_kstr_t instance_id)
{
    if (instance_id.len < 0)
        return NULL;
    sl_list_t *pos;
    for (pos = g->members.next; pos != &g->members; pos = pos->next)
        if (keq(instance_id, ((member_t *)pos)->instance_id))
            return (member_t *)pos;
    return NULL;
}

int16_t sl_group_check_instance(sl_group_t *g, sl_kstr_t member_id, sl_kstr_t instance_id)
{
    member_t *m = find_instance(g, instance_id);
    return m && !keq(member_id, m->id) ? SL_ERR_FENCED_INSTANCE_ID : 0;
}

/* A static member (known group.instance.id) joins again without its member
 * id (a restart): it gets a new id, the requests of the old one are fenced,
 * and a Stable group whose subscriptions did not change carries on without
 * a rebalance (Kafka's updateStaticMemberAndRebalance). */
static bool static_rejoin(sl_group_t *g, member_t *m, const sl_group_join_args_t *a, int32_t rebalance_ms,
                          int64_t now, sl_group_waiter_t *w)
{
    char *id = new_member_id(g, a->client_id);
    if (!id) {
        w_fill(w, SL_ERR_NOMEM, -1, NULL);
        return false;
    }
    w_answer(&m->join_w, SL_ERR_FENCED_INSTANCE_ID, -1, m->id);
    w_answer(&m->sync_w, SL_ERR_FENCED_INSTANCE_ID, -1, m->id);
    bool leader = g->leader && strcmp(g->leader, m->id) == 0;
    free(m->id);
    m->id = id;
    char *host = kdup(a->client_host.len >= 0 ? a->client_host : sl_kstr(""));
    if (host) { /* the restarted instance may run elsewhere */
        free(m->client_host);
        m->client_host = host;
    }
    if (leader) {
        free(g->leader);
        g->leader = sdup(id);
    }
    m->last_seen = now;
    m->session_ms = a->session_timeout_ms;
    m->rebalance_ms = rebalance_ms;
    if (g->state == SL_GROUP_STABLE && protos_same(m, a)) {
        answer_current(g, m, w);
        if (leader) { /* it must not assign again (v9 says so; older leaders re-sync) */
            fill_members(g, w);
            w->skip_assignment = true;
        }
        return false;
    }
    if (!protos_set(m, a)) {
        w_fill(w, SL_ERR_NOMEM, -1, NULL);
        return false;
    }
    park_join(g, m, w);
    prepare_rebalance(g, now);
    try_complete_join(g, now);
    return !w->done;
}

bool sl_group_join(sl_group_t *g, const sl_group_join_args_t *a, int64_t now, sl_group_waiter_t *w)
{
    if (a->session_timeout_ms < g->lim.min_session_timeout_ms ||
        a->session_timeout_ms > g->lim.max_session_timeout_ms) {
        w_fill(w, SL_ERR_INVALID_SESSION_TIMEOUT, -1, NULL);
        return false;
    }
    bool has_type = a->protocol_type.len > 0;
    if (!has_type || a->nprotocols <= 0 || (g->nmembers > 0 && !keq(a->protocol_type, g->protocol_type))) {
        w_fill(w, SL_ERR_INCONSISTENT_GROUP_PROTOCOL, -1, NULL);
        return false;
    }
    member_t *m = NULL;
    member_t *inst = find_instance(g, a->instance_id);
    if (inst && a->member_id.len > 0 && !keq(a->member_id, inst->id)) {
        w_fill(w, SL_ERR_FENCED_INSTANCE_ID, -1, NULL);
        return false;
    }
    if (a->member_id.len > 0) {
        m = find_member(g, a->member_id);
        if (!m) {
            char *id = kdup(a->member_id);
            w_fill(w, SL_ERR_UNKNOWN_MEMBER_ID, -1, id);
            free(id);
            return false;
        }
    }
    if (g->nmembers > 0 && !protocol_supported_by_all(g, m, a)) {
        w_fill(w, SL_ERR_INCONSISTENT_GROUP_PROTOCOL, -1, NULL);
        return false;
    }
    int32_t rebalance_ms = a->rebalance_timeout_ms > 0 ? a->rebalance_timeout_ms : a->session_timeout_ms;
    if (!m && inst && !inst->pending)
        return static_rejoin(g, inst, a, rebalance_ms, now, w);

    if (!m || m->pending) {
        /* Kafka refuses a member that is not in the group yet once it
         * is full; one given an id by MEMBER_ID_REQUIRED is dropped then. */
        if (g->nmembers >= g->lim.max_size) {
            if (m)
                remove_member(g, m, now);
            w_fill(w, SL_ERR_GROUP_MAX_SIZE_REACHED, -1, NULL);
            return false;
        }
        if (!m) {
            m = calloc(1, sizeof *m);
            if (m)
                m->id = new_member_id(g, a->client_id);
            if (!m || !m->id) {
                free(m);
                w_fill(w, SL_ERR_NOMEM, -1, NULL);
                return false;
            }
            m->client_id = kdup(a->client_id.len >= 0 ? a->client_id : sl_kstr(""));
            m->client_host = kdup(a->client_host.len >= 0 ? a->client_host : sl_kstr(""));
            m->instance_id = kdup(a->instance_id);
            m->session_ms = a->session_timeout_ms;
            m->last_seen = now;
            sl_list_insert_tail(&g->members, &m->node);
            if (a->require_known_member_id) {
                m->pending = true;
                w_fill(w, SL_ERR_MEMBER_ID_REQUIRED, -1, m->id);
                return false;
            }
        }
        /* a new member joins */
        if (!protos_set(m, a)) {
            remove_member(g, m, now);
            w_fill(w, SL_ERR_NOMEM, -1, NULL);
            return false;
        }
        m->pending = false;
        m->session_ms = a->session_timeout_ms;
        m->rebalance_ms = rebalance_ms;
        m->last_seen = now;
        g->nmembers++;
        if (g->nmembers == 1 || !g->protocol_type) {
            /* the first member sets the type (an Empty group keeps its
             * last one until then, as Kafka's does) */
            free(g->protocol_type);
            g->protocol_type = kdup(a->protocol_type);
        }
        bool was_delayed = g->state == SL_GROUP_PREPARING_REBALANCE && g->initial_until;
        park_join(g, m, w);
        if (g->state != SL_GROUP_PREPARING_REBALANCE) {
            prepare_rebalance(g, now);
        } else {
            g->rebalance_deadline = SL_MAX(g->rebalance_deadline, now + rebalance_ms);
            if (was_delayed) /* another arrival during the initial delay extends it */
                g->initial_until = SL_MIN(now + g->lim.initial_rebalance_delay_ms, g->initial_cap);
        }
        try_complete_join(g, now);
        return !w->done;
    }

    /* a known member rejoins */
    m->last_seen = now;
    m->session_ms = a->session_timeout_ms;
    m->rebalance_ms = rebalance_ms;
    switch (g->state) {
    case SL_GROUP_PREPARING_REBALANCE:
        if (!protos_set(m, a)) {
            w_fill(w, SL_ERR_NOMEM, -1, NULL);
            return false;
        }
        park_join(g, m, w);
        try_complete_join(g, now);
        return !w->done;
    case SL_GROUP_COMPLETING_REBALANCE:
    case SL_GROUP_STABLE:
        if (protos_same(m, a) && (g->state == SL_GROUP_COMPLETING_REBALANCE || !keq(a->member_id, g->leader))) {
            /* nothing changed: the current generation stands */
            answer_current(g, m, w);
            return false;
        }
        if (!protos_set(m, a)) {
            w_fill(w, SL_ERR_NOMEM, -1, NULL);
            return false;
        }
        park_join(g, m, w);
        prepare_rebalance(g, now);
        try_complete_join(g, now);
        return !w->done;
    default:
        w_fill(w, SL_ERR_UNKNOWN_MEMBER_ID, -1, NULL);
        return false;
    }
}

bool sl_group_sync(sl_group_t *g, const sl_group_sync_args_t *a, int64_t now, sl_group_waiter_t *w)
{
    member_t *m = find_member(g, a->member_id);
    if (!m || m->pending) {
        w_fill(w, SL_ERR_UNKNOWN_MEMBER_ID, -1, NULL);
        return false;
    }
    if (a->generation != g->generation) {
        w_fill(w, SL_ERR_ILLEGAL_GENERATION, -1, NULL);
        return false;
    }
    if ((a->protocol_type.len >= 0 && !keq(a->protocol_type, g->protocol_type)) ||
        (a->protocol_name.len >= 0 && !keq(a->protocol_name, g->protocol_name))) {
        w_fill(w, SL_ERR_INCONSISTENT_GROUP_PROTOCOL, -1, NULL);
        return false;
    }
    m->last_seen = now;
    switch (g->state) {
    case SL_GROUP_PREPARING_REBALANCE:
        w_fill(w, SL_ERR_REBALANCE_IN_PROGRESS, -1, NULL);
        return false;
    case SL_GROUP_STABLE:
        w_fill(w, 0, g->generation, m->id);
        w->protocol_type = sdup(g->protocol_type);
        w->protocol_name = sdup(g->protocol_name);
        w->assignment_len = m->assignment ? m->assignment_len : 0;
        w->assignment = bdup(m->assignment, w->assignment_len);
        return false;
    case SL_GROUP_COMPLETING_REBALANCE:
        break;
    default:
        w_fill(w, SL_ERR_UNKNOWN_MEMBER_ID, -1, NULL);
        return false;
    }
    if (m->sync_w != w)
        w_answer(&m->sync_w, SL_ERR_REBALANCE_IN_PROGRESS, g->generation, m->id);
    m->sync_w = w;
    w->parked = true;
    w->group = g;
    if (!g->leader || strcmp(g->leader, m->id) != 0)
        return true;
    /* the leader's assignment: every member gets its part (none: empty) */
    sl_list_t *pos, *tmp;
    for (pos = g->members.next; pos != &g->members; pos = pos->next) {
        member_t *o = (member_t *)pos;
        free(o->assignment);
        o->assignment = NULL;
        o->assignment_len = 0;
        for (int32_t i = 0; i < a->nassignments; i++) {
            if (keq(a->assignments[i].member_id, o->id)) {
                o->assignment_len = SL_MAX(a->assignments[i].assignment.len, 0);
                o->assignment = bdup(a->assignments[i].assignment.ptr, o->assignment_len);
                break;
            }
        }
    }
    g->state = SL_GROUP_STABLE;
    sl_list_foreach_safe(pos, tmp, &g->members)
    {
        member_t *o = (member_t *)pos;
        if (!o->sync_w)
            continue;
        sl_group_waiter_t *sw = o->sync_w;
        o->sync_w = NULL;
        o->last_seen = now;
        w_fill(sw, 0, g->generation, o->id);
        sw->protocol_type = sdup(g->protocol_type);
        sw->protocol_name = sdup(g->protocol_name);
        sw->assignment_len = o->assignment ? o->assignment_len : 0;
        sw->assignment = bdup(o->assignment, sw->assignment_len);
        if (sw == w) { /* the caller's own: answered by the return value */
            sw->parked = false;
            sw->group = NULL;
        } else {
            w_release(sw);
        }
    }
    return false;
}

int16_t sl_group_heartbeat(sl_group_t *g, sl_kstr_t member_id, int32_t generation, int64_t now)
{
    member_t *m = find_member(g, member_id);
    if (g->state == SL_GROUP_EMPTY || !m || m->pending)
        return SL_ERR_UNKNOWN_MEMBER_ID;
    if (generation != g->generation)
        return SL_ERR_ILLEGAL_GENERATION;
    m->last_seen = now;
    if (g->state == SL_GROUP_PREPARING_REBALANCE)
        return SL_ERR_REBALANCE_IN_PROGRESS;
    return 0;
}

int16_t sl_group_leave(sl_group_t *g, sl_kstr_t member_id, sl_kstr_t instance_id, int64_t now)
{
    member_t *m = NULL;
    if (member_id.len > 0) {
        m = find_member(g, member_id);
    } else if (instance_id.len >= 0) {
        sl_list_t *pos;
        for (pos = g->members.next; pos != &g->members && !m; pos = pos->next)
            if (keq(instance_id, ((member_t *)pos)->instance_id))
                m = (member_t *)pos;
    }
    if (!m)
        return SL_ERR_UNKNOWN_MEMBER_ID;
    remove_member(g, m, now);
    return 0;
}

int16_t sl_group_commit_check(sl_group_t *g, sl_kstr_t member_id, int32_t generation, int64_t now)
{
    if (generation < 0 && member_id.len <= 0)
        return g->nmembers == 0 ? 0 : SL_ERR_UNKNOWN_MEMBER_ID;
    member_t *m = find_member(g, member_id);
    if (!m || m->pending)
        return SL_ERR_UNKNOWN_MEMBER_ID;
    if (generation != g->generation)
        return SL_ERR_ILLEGAL_GENERATION;
    if (g->state == SL_GROUP_COMPLETING_REBALANCE)
        return SL_ERR_REBALANCE_IN_PROGRESS;
    m->last_seen = now;
    return 0;
}

int16_t sl_group_txn_commit_check(sl_group_t *g, sl_kstr_t member_id, sl_kstr_t instance_id, int32_t generation)
{
    if (generation < 0 && member_id.len <= 0 && sl_kstr_is_null(instance_id))
        return 0;
    if (!sl_kstr_is_null(instance_id)) {
        member_t *s = find_instance(g, instance_id);
        if (!s)
            return SL_ERR_UNKNOWN_MEMBER_ID;
        if (!keq(member_id, s->id))
            return SL_ERR_FENCED_INSTANCE_ID;
    }
    member_t *m = find_member(g, member_id);
    if (!m || m->pending)
        return SL_ERR_UNKNOWN_MEMBER_ID;
    return generation != g->generation ? SL_ERR_ILLEGAL_GENERATION : 0;
}

static bool kept_alive(const sl_group_t *g, const member_t *m)
{
    (void)g;
    return m->join_w != NULL || m->sync_w != NULL;
}

void sl_group_tick(sl_group_t *g, int64_t now)
{
    /* Bounded: each pass removes one member or ends. */
    for (;;) {
        member_t *expired = NULL;
        sl_list_t *pos;
        for (pos = g->members.next; pos != &g->members; pos = pos->next) {
            member_t *m = (member_t *)pos;
            if (!kept_alive(g, m) && now >= m->last_seen + m->session_ms) {
                expired = m;
                break;
            }
        }
        if (!expired)
            break;
        remove_member(g, expired, now);
    }
    try_complete_join(g, now);
}

int64_t sl_group_next_deadline(const sl_group_t *g)
{
    int64_t next = INT64_MAX;
    const sl_list_t *pos;
    for (pos = g->members.next; pos != &g->members; pos = pos->next) {
        const member_t *m = (const member_t *)pos;
        if (!kept_alive(g, m))
            next = SL_MIN(next, m->last_seen + m->session_ms);
    }
    if (g->state == SL_GROUP_PREPARING_REBALANCE)
        next = SL_MIN(next, g->initial_until ? g->initial_until : g->rebalance_deadline);
    return next;
}
