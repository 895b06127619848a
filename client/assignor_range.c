/*
 * assignor_range.c - "range", with the Java client's RangeAssignor's
 * results: per topic, its subscribers in MemberInfo order each get a run of
 * consecutive partitions, n / m each and one more for the first n % m.
 * Topics with the same partition count and the same subscribers are thus
 * split alike: partition i of each goes to the same member (co-partitioned
 * inputs, as Kafka Streams' joins need).
 */
#include "assignor.h"

static sl_err_t range_assign(const sl_asg_member_t *members, size_t member_count, const sl_asg_topic_t *topics,
                             size_t topic_count, sl_arena_t *arena, sl_asg_assignment_t *out)
{
    sl_asg_index_t ix;
    sl_err_t err = sl_asg_index_build(&ix, members, member_count, topics, topic_count, arena);
    if (err != SL_OK)
        return err;
    int32_t *owner = sl_arena_calloc(arena, (size_t)ix.part_count + 1, sizeof(*owner));
    size_t *subs = sl_arena_calloc(arena, member_count + 1, sizeof(*subs));
    if (!owner || !subs)
        return SL_ERR_NOMEM;
    for (size_t t = 0; t < ix.topic_count; t++) {
        size_t m = 0;
        for (size_t r = 0; r < member_count; r++)
            if (sl_asg_index_subscribes(&ix, ix.rank[r], (int32_t)t))
                subs[m++] = ix.rank[r];
        int32_t n = ix.first[t + 1] - ix.first[t];
        for (int32_t p = 0; p < n; p++)
            owner[ix.first[t] + p] = -1;
        if (m == 0)
            continue;
        int32_t each = n / (int32_t)m, extra = n % (int32_t)m;
        for (size_t i = 0; i < m; i++) {
            int32_t start = each * (int32_t)i + SL_MIN((int32_t)i, extra);
            int32_t len = each + ((int32_t)i < extra ? 1 : 0);
            for (int32_t p = start; p < start + len; p++)
                owner[ix.first[t] + p] = (int32_t)subs[i];
        }
    }
    return sl_asg_index_output(&ix, owner, out);
}

const sl_assignor_t sl_assignor_range = {
    .name = "range",
    .cooperative = false,
    .assign = range_assign,
    .user_data = NULL,
};
