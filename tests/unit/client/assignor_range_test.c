/* assignor_range_test.c - "range" gives what the Java client's
 * RangeAssignor gives (cases from its behaviour: runs of n/m with the first
 * n%m one longer, members in MemberInfo order with static members first),
 * is balanced per topic, and splits co-partitioned topics alike. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "assignor_util.h"

static void two_members_two_topics_six_partitions(void **state)
{
    (void)state;
    /* member input order does not matter */
    tg_case(&sl_assignor_range, "t1:3,t2:3", "c2=t1,t2;c1=t1,t2", "c1=t1-0,t1-1,t2-0,t2-1;c2=t1-2,t2-2");
}

static void mixed_subscriptions(void **state)
{
    (void)state;
    tg_case(&sl_assignor_range, "t1:3,t2:2", "c1=t1;c2=t1,t2;c3=t1", "c1=t1-0;c2=t1-1,t2-0,t2-1;c3=t1-2");
}

static void more_members_than_partitions(void **state)
{
    (void)state;
    tg_case(&sl_assignor_range, "t:1", "a=t;b=t", "a=t-0;b=");
}

static void unknown_and_empty_topics_get_nothing(void **state)
{
    (void)state;
    tg_case(&sl_assignor_range, "t:2,empty:0", "a=t,missing,empty", "a=t-0,t-1");
}

/* Java's MemberInfo order: static members first, by instance id, however
 * their member ids sort; then dynamic ones by member id. */
static void static_members_sort_by_instance_id(void **state)
{
    (void)state;
    tg_case(&sl_assignor_range, "t:7", "a-dynamic=t;z-1/i2=t;y-2/i1=t",
            "y-2=t-0,t-1,t-2;z-1=t-3,t-4;a-dynamic=t-5,t-6");
}

/* The Java client's ids look like "consumer-<group>-<n>-<uuid>"; the order
 * is plain byte order, not numeric. */
static void member_ids_sort_as_strings(void **state)
{
    (void)state;
    tg_case(&sl_assignor_range, "t:3", "consumer-10=t;consumer-9=t;consumer-1=t",
            "consumer-1=t-0;consumer-10=t-1;consumer-9=t-2");
}

static void balanced_per_topic_and_co_partitioned(void **state)
{
    (void)state;
    char id[32];
    for (int members = 1; members <= 9; members++) {
        for (int32_t parts = 1; parts <= 20; parts++) {
            tgroup_t g;
            tg_init(&g);
            tg_topic(&g, "orders", parts);
            tg_topic(&g, "payments", parts);
            tg_topic(&g, "other", parts + 3);
            for (int m = 0; m < members; m++) {
                snprintf(id, sizeof(id), "m-%03d", members - 1 - m);
                tg_member(&g, id, NULL, "orders,payments,other");
            }
            tg_assign(&g, &sl_assignor_range);
            assert_int_equal(tg_assigned(&g), tg_assignable(&g));
            for (size_t m = 0; m < g.member_count; m++) {
                int32_t per = 0;
                for (size_t i = 0; i < g.out[m].count; i++)
                    per += strcmp(g.out[m].parts[i].topic, "orders") == 0;
                assert_true(per == parts / members || per == parts / members + 1);
            }
            for (int32_t p = 0; p < parts; p++)
                assert_int_equal(tg_owner(&g, "orders", p), tg_owner(&g, "payments", p));
            tg_fini(&g);
        }
    }
}

static void bad_input_is_refused(void **state)
{
    (void)state;
    tgroup_t g;
    tg_init(&g);
    tg_topic(&g, "t", 2);
    tg_member(&g, "a", NULL, "t");
    tg_member(&g, "a", NULL, "t");
    assert_int_equal(sl_assignor_range.assign(g.members, 2, g.topics, 1, &g.arena, g.out), SL_ERR_INVAL);
    g.members[1].member_id = "b";
    tg_topic(&g, "t", 3);
    assert_int_equal(sl_assignor_range.assign(g.members, 2, g.topics, 2, &g.arena, g.out), SL_ERR_INVAL);
    g.members[1].sub.topics[0] = NULL;
    assert_int_equal(sl_assignor_range.assign(g.members, 2, g.topics, 1, &g.arena, g.out), SL_ERR_INVAL);
    /* an arena at its limit */
    sl_arena_t tiny;
    sl_arena_init(&tiny, 64, 64);
    g.members[1].sub.topics[0] = "t";
    assert_int_equal(sl_assignor_range.assign(g.members, 2, g.topics, 1, &tiny, g.out), SL_ERR_NOMEM);
    sl_arena_fini(&tiny);
    /* no members, no topics */
    assert_int_equal(sl_assignor_range.assign(NULL, 0, NULL, 0, &g.arena, g.out), SL_OK);
    tg_fini(&g);
}

static void found_by_name(void **state)
{
    (void)state;
    assert_ptr_equal(sl_assignor_find("range"), &sl_assignor_range);
    assert_ptr_equal(sl_assignor_find("roundrobin"), &sl_assignor_roundrobin);
    assert_ptr_equal(sl_assignor_find("cooperative-sticky"), &sl_assignor_cooperative_sticky);
    assert_null(sl_assignor_find("sticky"));
    assert_null(sl_assignor_find(NULL));
    assert_false(sl_assignor_range.cooperative);
    assert_false(sl_assignor_roundrobin.cooperative);
    assert_true(sl_assignor_cooperative_sticky.cooperative);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_members_two_topics_six_partitions),
        cmocka_unit_test(mixed_subscriptions),
        cmocka_unit_test(more_members_than_partitions),
        cmocka_unit_test(unknown_and_empty_topics_get_nothing),
        cmocka_unit_test(static_members_sort_by_instance_id),
        cmocka_unit_test(member_ids_sort_as_strings),
        cmocka_unit_test(balanced_per_topic_and_co_partitioned),
        cmocka_unit_test(bad_input_is_refused),
        cmocka_unit_test(found_by_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
