/*
 * assignor.c - the assignors by name, and the index every assignor builds
 * over its inputs first (assignor.h): known topics sorted by name with their
 * partitions numbered in one sequence, members ranked in the Java client's
 * order, and a member x topic subscription bitmap. Assignors then work on
 * small integers and describe their result as one owner per partition.
 */
#include <stdlib.h>
#include <string.h>

#include "assignor.h"

const sl_assignor_t *sl_assignor_find(const char *name)
{
    static const sl_assignor_t *const all[] = {&sl_assignor_range, &sl_assignor_roundrobin,
                                               &sl_assignor_cooperative_sticky};
    if (!name)
        return NULL;
    for (size_t i = 0; i < SL_ARRAY_LEN(all); i++)
        if (strcmp(all[i]->name, name) == 0)
            return all[i];
    return NULL;
}

/* Java's AbstractPartitionAssignor.MemberInfo order: static members before
 * dynamic ones, static ones by group instance id, dynamic ones by member
 * id. (Java compares UTF-16 units; for the ids clients generate, ASCII, the
 * byte order is the same.) */
static int member_cmp(const void *a, const void *b)
{
    const sl_asg_member_t *x = *(const sl_asg_member_t *const *)a;
    const sl_asg_member_t *y = *(const sl_asg_member_t *const *)b;
    if (x->group_instance_id && y->group_instance_id)
        return strcmp(x->group_instance_id, y->group_instance_id);
    if (x->group_instance_id)
        return -1;
    if (y->group_instance_id)
        return 1;
    return strcmp(x->member_id, y->member_id);
}

static int member_id_cmp(const void *a, const void *b)
{
    const sl_asg_member_t *x = *(const sl_asg_member_t *const *)a;
    const sl_asg_member_t *y = *(const sl_asg_member_t *const *)b;
    return strcmp(x->member_id, y->member_id);
}

static int topic_cmp(const void *a, const void *b)
{
    const sl_asg_topic_t *x = *(const sl_asg_topic_t *const *)a;
    const sl_asg_topic_t *y = *(const sl_asg_topic_t *const *)b;
    return strcmp(x->name, y->name);
}

static sl_err_t rank_members(sl_asg_index_t *ix)
{
    size_t n = ix->member_count;
    const sl_asg_member_t **by = sl_arena_calloc(ix->arena, n ? n : 1, sizeof(*by));
    ix->rank = sl_arena_calloc(ix->arena, n ? n : 1, sizeof(*ix->rank));
    if (!by || !ix->rank)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        if (!ix->members[i].member_id)
            return SL_ERR_INVAL;
        by[i] = &ix->members[i];
    }
    qsort(by, n, sizeof(*by), member_id_cmp);
    for (size_t i = 1; i < n; i++)
        if (strcmp(by[i - 1]->member_id, by[i]->member_id) == 0)
            return SL_ERR_INVAL;
    qsort(by, n, sizeof(*by), member_cmp);
    for (size_t i = 0; i < n; i++)
        ix->rank[i] = (size_t)(by[i] - ix->members);
    return SL_OK;
}

static sl_err_t sort_topics(sl_asg_index_t *ix, const sl_asg_topic_t *topics, size_t topic_count)
{
    const sl_asg_topic_t **by = sl_arena_calloc(ix->arena, topic_count ? topic_count : 1, sizeof(*by));
    if (!by)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < topic_count; i++) {
        if (!topics[i].name)
            return SL_ERR_INVAL;
        by[i] = &topics[i];
    }
    qsort(by, topic_count, sizeof(*by), topic_cmp);
    size_t k = 0;
    for (size_t i = 0; i < topic_count; i++) {
        if (i > 0 && strcmp(by[i - 1]->name, by[i]->name) == 0)
            return SL_ERR_INVAL;
        if (by[i]->partitions > 0)
            by[k++] = by[i];
    }
    ix->topics = by;
    ix->topic_count = k;
    ix->first = sl_arena_calloc(ix->arena, k + 1, sizeof(*ix->first));
    if (!ix->first)
        return SL_ERR_NOMEM;
    int64_t total = 0;
    for (size_t t = 0; t < k; t++) {
        ix->first[t] = (int32_t)total;
        total += by[t]->partitions;
        if (total > INT32_MAX)
            return SL_ERR_INVAL;
    }
    ix->first[k] = (int32_t)total;
    ix->part_count = (int32_t)total;
    return SL_OK;
}

static sl_err_t map_subscriptions(sl_asg_index_t *ix)
{
    size_t nm = ix->member_count, nt = ix->topic_count;
    if (nt && nm > SIZE_MAX / nt)
        return SL_ERR_NOMEM;
    ix->subscribed = sl_arena_zalloc(ix->arena, (nm * nt + 7) / 8 + 1);
    if (!ix->subscribed)
        return SL_ERR_NOMEM;
    for (size_t m = 0; m < nm; m++) {
        const sl_asg_subscription_t *sub = &ix->members[m].sub;
        if (sub->topic_count && !sub->topics)
            return SL_ERR_INVAL;
        for (size_t i = 0; i < sub->topic_count; i++) {
            if (!sub->topics[i])
                return SL_ERR_INVAL;
            int32_t t = sl_asg_index_topic(ix, sub->topics[i]);
            if (t >= 0) {
                size_t bit = m * nt + (size_t)t;
                ix->subscribed[bit >> 3] |= (uint8_t)(1u << (bit & 7));
            }
        }
    }
    return SL_OK;
}

sl_err_t sl_asg_index_build(sl_asg_index_t *ix, const sl_asg_member_t *members, size_t member_count,
                            const sl_asg_topic_t *topics, size_t topic_count, sl_arena_t *arena)
{
    memset(ix, 0, sizeof(*ix));
    if ((member_count && !members) || (topic_count && !topics))
        return SL_ERR_INVAL;
    ix->members = members;
    ix->member_count = member_count;
    ix->arena = arena;
    sl_err_t err = rank_members(ix);
    if (err == SL_OK)
        err = sort_topics(ix, topics, topic_count);
    if (err == SL_OK)
        err = map_subscriptions(ix);
    return err;
}

int32_t sl_asg_index_topic(const sl_asg_index_t *ix, const char *name)
{
    size_t lo = 0, hi = ix->topic_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(ix->topics[mid]->name, name);
        if (c == 0)
            return (int32_t)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

int32_t sl_asg_index_topic_of(const sl_asg_index_t *ix, int32_t p)
{
    /* the last topic whose first partition number is <= p */
    size_t lo = 0, hi = ix->topic_count;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->first[mid] <= p)
            lo = mid;
        else
            hi = mid;
    }
    return (int32_t)lo;
}

sl_err_t sl_asg_index_output(const sl_asg_index_t *ix, const int32_t *owner, sl_asg_assignment_t *out)
{
    size_t nm = ix->member_count;
    size_t *fill = sl_arena_calloc(ix->arena, nm ? nm : 1, sizeof(*fill));
    if (!fill)
        return SL_ERR_NOMEM;
    for (size_t m = 0; m < nm; m++)
        sl_asg_assignment_init(&out[m]);
    for (int32_t p = 0; p < ix->part_count; p++)
        if (owner[p] >= 0)
            out[owner[p]].count++;
    sl_asg_tp_t **parts = sl_arena_calloc(ix->arena, nm ? nm : 1, sizeof(*parts));
    if (!parts)
        return SL_ERR_NOMEM;
    for (size_t m = 0; m < nm; m++) {
        parts[m] = sl_arena_calloc(ix->arena, out[m].count ? out[m].count : 1, sizeof(**parts));
        if (!parts[m])
            return SL_ERR_NOMEM;
        out[m].parts = parts[m];
    }
    int32_t t = 0;
    for (int32_t p = 0; p < ix->part_count; p++) {
        while (p >= ix->first[t + 1])
            t++;
        if (owner[p] < 0)
            continue;
        sl_asg_tp_t *tp = &parts[owner[p]][fill[owner[p]]++];
        tp->topic = ix->topics[t]->name;
        tp->partition = p - ix->first[t];
    }
    return SL_OK;
}
