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

static void expect(const tgroup_t *g, const char *id, const char *want)
{
    char buf[1024];
    int i = tg_find(g, id);
    assert_true(i >= 0);
    assert_string_equal(tg_str(g, (size_t)i, buf, sizeof(buf)), want);
}

static void two_members_two_topics_six_partitions(void **state)
{
    (void)state;
    tgroup_t g;
    tg_init(&g);
    tg_topic(&g, "t2", 3); /* topics sort by name whatever their order here */
    tg_topic(&g, "t1", 3);
    tg_member(&g, "c2", NULL, "t1,t2");
    tg_member(&g, "c1", NULL, "t2,t1");
    tg_assign(&g, &sl_assignor_roundrobin);
    expect(&g, "c1", "t1-0,t1-2,t2-1");
    expect(&g, "c2", "t1-1,t2-0,t2-2");
    tg_fini(&g);
}

static void mixed_subscriptions_skip_non_subscribers(void **state)
{
    (void)state;
    tgroup_t g;
    tg_init(&g);
    tg_topic(&g, "t1", 3);
    tg_topic(&g, "t2", 2);
    tg_member(&g, "c1", NULL, "t1");
    tg_member(&g, "c2", NULL, "t1,t2");
    tg_member(&g, "c3", NULL, "t1");
    tg_assign(&g, &sl_assignor_roundrobin);
    expect(&g, "c1", "t1-0");
    expect(&g, "c2", "t1-1,t2-0,t2-1");
    expect(&g, "c3", "t1-2");
    tg_fini(&g);
}

/* The circle carries on across topics: the next topic starts where the
 * previous one stopped. */
static void circle_continues_across_topics(void **state)
{
    (void)state;
    tgroup_t g;
    tg_init(&g);
    tg_topic(&g, "a", 1);
    tg_topic(&g, "b", 2);
    tg_topic(&g, "nobody", 4); /* known, subscribed by no one */
    tg_member(&g, "m1", NULL, "a,b");
    tg_member(&g, "m2", NULL, "a,b");
    tg_member(&g, "m3", NULL, "a,b");
    tg_assign(&g, &sl_assignor_roundrobin);
    expect(&g, "m1", "a-0");
    expect(&g, "m2", "b-0");
    expect(&g, "m3", "b-1");
    tg_fini(&g);
}

static void static_members_first(void **state)
{
    (void)state;
    tgroup_t g;
    tg_init(&g);
    tg_topic(&g, "t", 4);
    tg_member(&g, "a", NULL, "t");
    tg_member(&g, "b", "zz", "t");
    tg_member(&g, "c", "aa", "t");
    tg_assign(&g, &sl_assignor_roundrobin);
    expect(&g, "c", "t-0,t-3");
    expect(&g, "b", "t-1");
    expect(&g, "a", "t-2");
    tg_fini(&g);
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
