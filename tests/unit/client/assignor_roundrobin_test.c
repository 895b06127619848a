/* assignor_roundrobin_test.c - "roundrobin" gives what the Java client's
 * RoundRobinAssignor gives: partitions sorted by topic then number, dealt in
 * a circle over the members in MemberInfo order, skipping members that do
 * not subscribe to the partition's topic. */
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
    /* topics sort by name whatever their order here */
    tg_case(&sl_assignor_roundrobin, "t2:3,t1:3", "c2=t1,t2;c1=t2,t1", "c1=t1-0,t1-2,t2-1;c2=t1-1,t2-0,t2-2");
}

static void mixed_subscriptions_skip_non_subscribers(void **state)
{
    (void)state;
    tg_case(&sl_assignor_roundrobin, "t1:3,t2:2", "c1=t1;c2=t1,t2;c3=t1", "c1=t1-0;c2=t1-1,t2-0,t2-1;c3=t1-2");
}

/* The circle carries on across topics: the next topic starts where the
 * previous one stopped ("nobody" is known, subscribed by no one). */
static void circle_continues_across_topics(void **state)
{
    (void)state;
    tg_case(&sl_assignor_roundrobin, "a:1,b:2,nobody:4", "m1=a,b;m2=a,b;m3=a,b", "m1=a-0;m2=b-0;m3=b-1");
}

static void static_members_first(void **state)
{
    (void)state;
    tg_case(&sl_assignor_roundrobin, "t:4", "a=t;b/zz=t;c/aa=t", "c=t-0,t-3;b=t-1;a=t-2");
}

static void equal_subscriptions_are_balanced(void **state)
{
    (void)state;
    char id[32];
    for (int members = 1; members <= 12; members++) {
        tgroup_t g;
        tg_init(&g);
        tg_topic(&g, "x", 7);
        tg_topic(&g, "y", 5);
        tg_topic(&g, "z", 11);
        for (int m = 0; m < members; m++) {
            snprintf(id, sizeof(id), "member-%02d", m);
            tg_member(&g, id, NULL, "x,y,z");
        }
        tg_assign(&g, &sl_assignor_roundrobin);
        assert_int_equal(tg_assigned(&g), 23);
        size_t lo = SIZE_MAX, hi = 0;
        for (size_t m = 0; m < g.member_count; m++) {
            lo = SL_MIN(lo, g.out[m].count);
            hi = SL_MAX(hi, g.out[m].count);
        }
        assert_true(hi - lo <= 1);
        tg_fini(&g);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_members_two_topics_six_partitions),
        cmocka_unit_test(mixed_subscriptions_skip_non_subscribers),
        cmocka_unit_test(circle_continues_across_topics),
        cmocka_unit_test(static_members_first),
        cmocka_unit_test(equal_subscriptions_are_balanced),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
