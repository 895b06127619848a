/*
 * assignor_sticky.c - "cooperative-sticky", with the semantics of the Java
 * client's CooperativeStickyAssignor:
 *
 *   claims    a member's owned partitions count only when it is of the
 *             newest generation any member reports (older claims are stale:
 *             their partitions were handed on since); a partition claimed by
 *             two members of that generation is kept by neither.
 *   sticky    every member keeps what it claims, of the topics it still
 *             subscribes to;
 *   balanced  the rest goes, partitions with the fewest possible takers
 *             first, to the taker with the fewest partitions; then, while a
 *             member has a partition another member subscribed to its topic
 *             could take with two or more fewer, the partition moves to the
 *             lightest such member. Members with equal subscriptions thus end
 *             at most one apart, and nothing moves that balance does not
 *             need.
 *   revoke    a partition that ends with another member than the one that
 *   first     claims it is left out of this round's assignment: its owner
 *             revokes it, rejoins, and the follow-up round hands it on.
 *             With equal subscriptions the follow-up only adds; when they
 *             differ or change, the re-balanced follow-up may move one more
 *             partition (a third round; members rejoin after any
 *             revocation, so it settles).
 *
 * Members are lists of partition numbers linked through two arrays, so a
 * move is O(1) and memory stays O(members + partitions).
 */
#include <stdlib.h>
#include <string.h>

#include "assignor.h"

#define NOBODY (-1)
#define MANY (-2)   /* claimed by two members of the newest generation */

/* Reads the StickyAssignor user data layout to its generation; false when
 * the bytes are not exactly that. */
static bool sticky_user_data_generation(const uint8_t *p, int32_t len, int32_t *gen)
{
    sl_rd_t rd;
    sl_rd_init(&rd, p, (size_t)len);
    int32_t topics = sl_rd_i32(&rd);
    if (topics < 0 || (size_t)topics > sl_rd_left(&rd) / 6)
        return false;
    for (int32_t i = 0; i < topics && sl_rd_ok(&rd); i++) {
        int16_t n = sl_rd_i16(&rd);
        sl_rd_skip(&rd, n < 0 ? SIZE_MAX : (size_t)n);
        int32_t parts = sl_rd_i32(&rd);
        if (parts < 0 || (size_t)parts > sl_rd_left(&rd) / 4)
            return false;
        sl_rd_skip(&rd, (size_t)parts * 4);
    }
    *gen = sl_rd_i32(&rd);
    return sl_rd_ok(&rd) && sl_rd_left(&rd) == 0;
}

int32_t sl_asg_sticky_generation(const sl_asg_subscription_t *sub)
{
    int32_t gen;
    if (sub->generation >= 0)
        return sub->generation;
    if (!sub->user_data || sub->user_data_len < 4)
        return -1;
    if (sub->user_data_len == 4)
        return (int32_t)(((uint32_t)sub->user_data[0] << 24) | ((uint32_t)sub->user_data[1] << 16) |
                         ((uint32_t)sub->user_data[2] << 8) | (uint32_t)sub->user_data[3]);
    if (sticky_user_data_generation(sub->user_data, sub->user_data_len, &gen))
        return gen;
    return -1;
}

/* The StickyAssignor layout (owned partitions, then the generation) that
 * librdkafka leaders read; Java leaders read the v2+ generation field. */
static sl_err_t sticky_user_data(sl_buf_t *buf, const sl_asg_tp_t *owned, size_t owned_count, int32_t generation)
{
    if (generation < 0 && owned_count == 0)
        return SL_OK;
    sl_err_t err = sl_asg_tps_put(buf, owned, owned_count);
    if (err != SL_OK)
        return err;
    sl_buf_put_i32(buf, generation);
    return sl_buf_err(buf);
}

typedef struct sticky {
    sl_asg_index_t ix;
    int32_t *owner;     /* [parts]: member, or NOBODY */
    int32_t *claim;     /* [parts]: the valid claimer, NOBODY or MANY */
    int32_t *count;     /* [members] */
    int32_t *head;      /* [members]: first partition, or -1 */
    int32_t *tail;      /* [members] */
    int32_t *next, *prev; /* [parts]: a member's list */
    struct keyed *order; /* [members]: scratch */
    size_t *pos;        /* [members]: rank of each member */
} sticky_t;

static void give(sticky_t *s, int32_t p, int32_t m)
{
    s->owner[p] = m;
    s->count[m]++;
    s->next[p] = -1;
    s->prev[p] = s->tail[m];
    if (s->tail[m] >= 0)
        s->next[s->tail[m]] = p;
    else
        s->head[m] = p;
    s->tail[m] = p;
}

static void take(sticky_t *s, int32_t p)
{
    int32_t m = s->owner[p];
    if (s->prev[p] >= 0)
        s->next[s->prev[p]] = s->next[p];
    else
        s->head[m] = s->next[p];
    if (s->next[p] >= 0)
        s->prev[s->next[p]] = s->prev[p];
    else
        s->tail[m] = s->prev[p];
    s->count[m]--;
    s->owner[p] = NOBODY;
}

/* The partition number of a claimed topic partition, or -1 when it does
 * not exist (any more). */
static int32_t part_of(const sl_asg_index_t *ix, const sl_asg_tp_t *tp)
{
    int32_t t = tp->topic ? sl_asg_index_topic(ix, tp->topic) : -1;
    if (t < 0 || tp->partition < 0 || tp->partition >= ix->first[t + 1] - ix->first[t])
        return -1;
    return ix->first[t] + tp->partition;
}

/* Valid claims, and the initial assignment: each keeps what it alone
 * validly claims of the topics it subscribes to. */
static void take_claims(sticky_t *s)
{
    const sl_asg_index_t *ix = &s->ix;
    int32_t newest = -1;
    for (size_t m = 0; m < ix->member_count; m++)
        newest = SL_MAX(newest, sl_asg_sticky_generation(&ix->members[m].sub));
    for (int32_t p = 0; p < ix->part_count; p++)
        s->claim[p] = NOBODY;
    for (size_t m = 0; m < ix->member_count; m++) {
        const sl_asg_subscription_t *sub = &ix->members[m].sub;
        if (sl_asg_sticky_generation(sub) != newest || !sub->owned)
            continue;
        for (size_t i = 0; i < sub->owned_count; i++) {
            int32_t p = part_of(ix, &sub->owned[i]);
            if (p < 0 || s->claim[p] == (int32_t)m)
                continue;
            s->claim[p] = s->claim[p] == NOBODY ? (int32_t)m : MANY;
        }
    }
    for (int32_t p = 0; p < ix->part_count; p++) {
        int32_t m = s->claim[p];
        if (m >= 0 && sl_asg_index_subscribes(ix, (size_t)m, sl_asg_index_topic_of(ix, p)))
            give(s, p, m);
    }
}

/* The lightest subscriber of topic t with fewer than below partitions
 * (ties: the lower rank), or -1. */
static int32_t lightest(const sticky_t *s, int32_t t, int32_t below)
{
    int32_t best = -1;
    for (size_t m = 0; m < s->ix.member_count; m++) {
        if (s->count[m] >= below || !sl_asg_index_subscribes(&s->ix, m, t))
            continue;
        if (best < 0 || s->count[m] < s->count[best] ||
            (s->count[m] == s->count[best] && s->pos[m] < s->pos[best]))
            best = (int32_t)m;
    }
    return best;
}

/* Sort keys with their item, so plain qsort needs no shared context. */
typedef struct keyed {
    int64_t k1, k2;
    int32_t item;
} keyed_t;

static int keyed_cmp(const void *a, const void *b)
{
    const keyed_t *x = a, *y = b;
    if (x->k1 != y->k1)
        return x->k1 < y->k1 ? -1 : 1;
    return x->k2 < y->k2 ? -1 : x->k2 > y->k2;
}

/* Hands out the partitions nobody kept. */
static sl_err_t place_rest(sticky_t *s, sl_arena_t *arena)
{
    const sl_asg_index_t *ix = &s->ix;
    size_t n = 0;
    keyed_t *rest = sl_arena_calloc(arena, (size_t)ix->part_count + 1, sizeof(*rest));
    int32_t *takers = sl_arena_calloc(arena, ix->topic_count + 1, sizeof(*takers));
    if (!rest || !takers)
        return SL_ERR_NOMEM;
    for (size_t t = 0; t < ix->topic_count; t++)
        for (size_t m = 0; m < ix->member_count; m++)
            takers[t] += sl_asg_index_subscribes(ix, m, (int32_t)t);
    /* partitions with fewer possible takers first, then in order */
    for (int32_t p = 0; p < ix->part_count; p++) {
        int32_t t = sl_asg_index_topic_of(ix, p);
        if (s->owner[p] == NOBODY && takers[t] > 0)
            rest[n++] = (keyed_t){takers[t], p, p};
    }
    qsort(rest, n, sizeof(*rest), keyed_cmp);
    for (size_t i = 0; i < n; i++)
        give(s, rest[i].item, lightest(s, sl_asg_index_topic_of(ix, rest[i].item), INT32_MAX));
    return SL_OK;
}

/* One move from a heavier member to a member with at least two fewer that
 * can take it; false when there is none (the assignment is balanced).
 * Partitions their holder does not claim move first (no revocation then),
 * heavier holders first, a holder's newest partitions first. */
static bool move_one(sticky_t *s)
{
    const sl_asg_index_t *ix = &s->ix;
    int32_t least = INT32_MAX;
    for (size_t m = 0; m < ix->member_count; m++)
        least = SL_MIN(least, s->count[m]);
    /* heaviest first, ties by rank */
    for (size_t m = 0; m < ix->member_count; m++)
        s->order[m] = (keyed_t){-(int64_t)s->count[m], (int64_t)s->pos[m], (int32_t)m};
    qsort(s->order, ix->member_count, sizeof(*s->order), keyed_cmp);
    for (int claimed = 0; claimed < 2; claimed++) {
        for (size_t i = 0; i < ix->member_count; i++) {
            int32_t h = s->order[i].item;
            if (s->count[h] - least <= 1)
                break;
            for (int32_t p = s->tail[h]; p >= 0; p = s->prev[p]) {
                if ((s->claim[p] == h) != claimed)
                    continue;
                int32_t l = lightest(s, sl_asg_index_topic_of(ix, p), s->count[h] - 1);
                if (l >= 0) {
                    take(s, p);
                    give(s, p, l);
                    return true;
                }
            }
        }
    }
    return false;
}

static sl_err_t sticky_assign(const sl_asg_member_t *members, size_t member_count, const sl_asg_topic_t *topics,
                              size_t topic_count, sl_arena_t *arena, sl_asg_assignment_t *out)
{
    sticky_t s;
    memset(&s, 0, sizeof(s));
    sl_err_t err = sl_asg_index_build(&s.ix, members, member_count, topics, topic_count, arena);
    if (err != SL_OK)
        return err;
    size_t np = (size_t)s.ix.part_count + 1, nm = member_count + 1;
    s.owner = sl_arena_calloc(arena, np, sizeof(int32_t));
    s.claim = sl_arena_calloc(arena, np, sizeof(int32_t));
    s.next = sl_arena_calloc(arena, np, sizeof(int32_t));
    s.prev = sl_arena_calloc(arena, np, sizeof(int32_t));
    s.count = sl_arena_calloc(arena, nm, sizeof(int32_t));
    s.head = sl_arena_calloc(arena, nm, sizeof(int32_t));
    s.tail = sl_arena_calloc(arena, nm, sizeof(int32_t));
    s.order = sl_arena_calloc(arena, nm, sizeof(*s.order));
    s.pos = sl_arena_calloc(arena, nm, sizeof(size_t));
    if (!s.owner || !s.claim || !s.next || !s.prev || !s.count || !s.head || !s.tail || !s.order || !s.pos)
        return SL_ERR_NOMEM;
    for (int32_t p = 0; p < s.ix.part_count; p++)
        s.owner[p] = NOBODY;
    for (size_t m = 0; m < member_count; m++) {
        s.head[m] = s.tail[m] = -1;
        s.pos[s.ix.rank[m]] = m;
    }
    take_claims(&s);
    err = place_rest(&s, arena);
    if (err != SL_OK)
        return err;
    /* each move lowers the sum of squared counts, so this ends */
    while (move_one(&s))
        ;
    for (int32_t p = 0; p < s.ix.part_count; p++)
        if (s.owner[p] >= 0 && s.claim[p] != NOBODY && s.claim[p] != s.owner[p])
            s.owner[p] = NOBODY;
    return sl_asg_index_output(&s.ix, s.owner, out);
}

const sl_assignor_t sl_assignor_cooperative_sticky = {
    .name = "cooperative-sticky",
    .cooperative = true,
    .assign = sticky_assign,
    .user_data = sticky_user_data,
};
