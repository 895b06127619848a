/*
 * assignor_roundrobin.c - "roundrobin", with the Java client's
 * RoundRobinAssignor's results: every partition of every subscribed topic,
 * topics by name then partitions in order, dealt to the members in
 * MemberInfo order in a circle, passing over members that do not subscribe
 * to the partition's topic.
 */
#include "assignor.h"

static sl_err_t roundrobin_assign(const sl_asg_member_t *members, size_t member_count,
                                  const sl_asg_topic_t *topics, size_t topic_count, sl_arena_t *arena,
                                  sl_asg_assignment_t *out)
{
    sl_asg_index_t ix;
    sl_err_t err = sl_asg_index_build(&ix, members, member_count, topics, topic_count, arena);
    if (err != SL_OK)
        return err;
    int32_t *owner = sl_arena_calloc(arena, (size_t)ix.part_count + 1, sizeof(*owner));
    if (!owner)
        return SL_ERR_NOMEM;
    size_t next = 0; /* rank of the member the circle stands at */
    for (size_t t = 0; t < ix.topic_count; t++) {
        bool any = false;
        for (size_t m = 0; m < member_count && !any; m++)
            any = sl_asg_index_subscribes(&ix, m, (int32_t)t);
        for (int32_t p = ix.first[t]; p < ix.first[t + 1]; p++) {
            owner[p] = -1;
            if (!any)
                continue;
            while (!sl_asg_index_subscribes(&ix, ix.rank[next], (int32_t)t))
                next = (next + 1) % member_count;
            owner[p] = (int32_t)ix.rank[next];
            next = (next + 1) % member_count;
        }
    }
    return sl_asg_index_output(&ix, owner, out);
}

const sl_assignor_t sl_assignor_roundrobin = {
    .name = "roundrobin",
    .cooperative = false,
    .assign = roundrobin_assign,
    .user_data = NULL,
};
