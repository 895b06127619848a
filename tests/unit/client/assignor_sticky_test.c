/* assignor_sticky_test.c - "cooperative-sticky": balanced, sticky across
 * rebalances (members joining and leaving move only what balance needs),
 * two-phase (a partition changing owner is first left unassigned, then
 * handed on in the follow-up round), stale and conflicting claims resolved
 * by generation, uneven subscriptions, and the generation read from each
 * client's user data layout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "assignor_util.h"

static const sl_assignor_t *const sticky = &sl_assignor_cooperative_sticky;

/* How many partitions each member kept of what it owned. */
static size_t kept(const tgroup_t *g)
{
    size_t n = 0;
    for (size_t m = 0; m < g->member_count; m++)
        for (size_t i = 0; i < g->members[m].sub.owned_count; i++)
            n += tg_owner(g, g->members[m].sub.owned[i].topic, g->members[m].sub.owned[i].partition) == (int)m;
    return n;
}

/* No member is given a partition another member still owns (validly). */
static void assert_no_overlap_with_owners(const tgroup_t *g)
{
    for (size_t m = 0; m < g->member_count; m++)
        for (size_t i = 0; i < g->members[m].sub.owned_count; i++) {
            int o = tg_owner(g, g->members[m].sub.owned[i].topic, g->members[m].sub.owned[i].partition);
            assert_true(o == -1 || o == (int)m);
        }
}

static int max_rounds; /* the most rounds a rebalance took */

/* One full cooperative rebalance: rounds of assign + adopt (the members
 * revoke what they lost and rejoin) until every partition is assigned.
 * Every round respects current owners. With equal subscriptions the
 * follow-up round only adds (two rounds in all); when subscriptions differ
 * or change, a follow-up may need to revoke again, so up to 4 rounds are
 * allowed. Returns the partitions that changed owner in the first round. */
static size_t rebalance(tgroup_t *g)
{
    size_t before = 0;
    for (size_t m = 0; m < g->member_count; m++)
        before += g->members[m].sub.owned_count;
    int rounds = 0;
    size_t moved = 0;
    do {
        assert_true(rounds < 4);
        tg_assign(g, sticky);
        assert_no_overlap_with_owners(g);
        if (rounds++ == 0)
            moved = before - kept(g);
        tg_adopt(g);
    } while (tg_assigned(g) < tg_assignable(g));
    max_rounds = SL_MAX(max_rounds, rounds);
    assert_true(tg_balanced(g));
    return moved;
}

static void fresh_group_is_balanced_and_complete(void **state)
{
    (void)state;
    tgroup_t g;
    tg_setup(&g, "a:5,b:7", "m1=a,b;m2=a,b;m3=a,b");
    tg_assign(&g, sticky);
    assert_int_equal(tg_assigned(&g), 12);
    for (size_t m = 0; m < 3; m++)
        assert_int_equal(g.out[m].count, 4);
    tg_fini(&g);
}

static void joining_member_takes_only_its_share_in_two_phases(void **state)
{
    (void)state;
    tgroup_t g;
    tg_setup(&g, "t:12", "m1=t;m2=t;m3=t");
    rebalance(&g);
    tg_member(&g, "m4", NULL, "t");
    /* first round: each old member keeps 3 of its 4; the 3 moving ones are
     * left out, the new member gets nothing yet */
    tg_assign(&g, sticky);
    assert_int_equal(kept(&g), 9);
    assert_int_equal(tg_assigned(&g), 9);
    assert_int_equal(g.out[3].count, 0);
    assert_no_overlap_with_owners(&g);
    tg_adopt(&g);
    /* follow-up: the 3 go to the new member, nothing else moves */
    tg_assign(&g, sticky);
    assert_int_equal(kept(&g), 9);
    for (size_t m = 0; m < 4; m++)
        assert_int_equal(g.out[m].count, 3);
    tg_fini(&g);
}

static void leaving_member_partitions_go_at_once(void **state)
{
    (void)state;
    tgroup_t g;
    tg_setup(&g, "t:9,u:3", "m0=t,u;m1=t,u;m2=t,u;m3=t,u");
    rebalance(&g);
    tg_remove(&g, 1);
    /* nobody owns the leaver's 3: handed out in the first round, and every
     * remaining member keeps all it had */
    tg_assign(&g, sticky);
    assert_int_equal(tg_assigned(&g), 12);
    assert_int_equal(kept(&g), 9);
    assert_true(tg_balanced(&g));
    tg_fini(&g);
}

static void stale_claims_lose_to_the_newest_generation(void **state)
{
    (void)state;
    tgroup_t g;
    tg_setup(&g, "t:4", "a=t;b=t");
    static const sl_asg_tp_t a_owns[] = {{"t", 0}, {"t", 1}};
    static const sl_asg_tp_t b_owns[] = {{"t", 0}, {"t", 2}, {"t", 3}}; /* missed a rebalance */
    tg_own(&g, 0, a_owns, 2, 7);
    tg_own(&g, 1, b_owns, 3, 6);
    tg_assign(&g, sticky);
    /* a keeps t-0 and t-1; b's claims are stale, so t-2 and t-3 are free */
    assert_int_equal(tg_owner(&g, "t", 0), 0);
    assert_int_equal(tg_owner(&g, "t", 1), 0);
    assert_int_equal(tg_owner(&g, "t", 2), 1);
    assert_int_equal(tg_owner(&g, "t", 3), 1);
    tg_fini(&g);
}

static void conflicting_claims_are_revoked_first(void **state)
{
    (void)state;
    tgroup_t g;
    tg_setup(&g, "t:4", "a=t;b=t");
    static const sl_asg_tp_t a_owns[] = {{"t", 0}, {"t", 1}};
    static const sl_asg_tp_t b_owns[] = {{"t", 1}, {"t", 2}};
    tg_own(&g, 0, a_owns, 2, 3);
    tg_own(&g, 1, b_owns, 2, 3);
    tg_assign(&g, sticky);
    /* t-1 is claimed twice in one generation: neither gets it this round */
    assert_int_equal(tg_owner(&g, "t", 0), 0);
    assert_int_equal(tg_owner(&g, "t", 1), -1);
    assert_int_equal(tg_owner(&g, "t", 2), 1);
    assert_int_equal(tg_owner(&g, "t", 3) >= 0, 1);
    tg_fini(&g);
}

static void unsubscribed_topic_partitions_are_revoked_first(void **state)
{
    (void)state;
    tgroup_t g;
    tg_setup(&g, "t:2,u:2", "a=t,u;b=t,u");
    rebalance(&g);
    /* a drops u but still claims its u partition: b gets it only after a
     * has let go */
    g.members[0].sub.topic_count = 1;
    tg_assign(&g, sticky);
    for (size_t i = 0; i < g.members[0].sub.owned_count; i++)
        if (strcmp(g.members[0].sub.owned[i].topic, "u") == 0)
            assert_int_equal(tg_owner(&g, "u", g.members[0].sub.owned[i].partition), -1);
    tg_adopt(&g);
    tg_assign(&g, sticky);
    assert_int_equal(tg_owner(&g, "u", 0), 1);
    assert_int_equal(tg_owner(&g, "u", 1), 1);
    tg_fini(&g);
}

static void uneven_subscriptions_are_balanced(void **state)
{
    (void)state;
    tgroup_t g;
    tg_setup(&g, "t1:6,t2:6,t3:2", "a=t1;b=t1,t2;c=t1,t2,t3;d=t3");
    tg_assign(&g, sticky);
    assert_int_equal(tg_assigned(&g), 14);
    assert_true(tg_balanced(&g));
    /* a can only hold t1 and d only t3: a balanced result gives d both of
     * t3 and spreads t1/t2 over a, b, c (4 each) */
    assert_int_equal(g.out[3].count, 2);
    assert_int_equal(g.out[0].count, 4);
    assert_int_equal(g.out[1].count, 4);
    assert_int_equal(g.out[2].count, 4);
    tg_fini(&g);
}

/* Random joins, leaves and subscription changes over many rebalances: every
 * outcome is complete and balanced, every first round respects current
 * owners, and few partitions move per change. */
static void random_membership_changes(void **state)
{
    (void)state;
    srand(12345);
    tgroup_t g;
    tg_init(&g);
    tg_topic(&g, "a", 16);
    tg_topic(&g, "b", 9);
    tg_topic(&g, "c", 24);
    static const char *const subs[] = {"a,b,c", "a,b,c", "a,b,c", "a", "b,c", "c"};
    int next_id = 0;
    for (int round = 0; round < 200; round++) {
        int what = rand() % 3;
        if (g.member_count < 2 || (what == 0 && g.member_count < 20)) {
            char id[16];
            snprintf(id, sizeof(id), "m%04d", next_id++);
            size_t m = tg_member(&g, id, NULL, subs[rand() % (int)SL_ARRAY_LEN(subs)]);
            g.members[m].sub.generation = g.generation;
        } else if (what == 1) {
            tg_remove(&g, (size_t)rand() % g.member_count);
        } else {
            size_t m = (size_t)rand() % g.member_count;
            const char *s = subs[rand() % (int)SL_ARRAY_LEN(subs)];
            sl_asg_subscription_t keep = g.members[m].sub;
            char id[16];
            snprintf(id, sizeof(id), "%s", g.members[m].member_id);
            tg_remove(&g, m);
            size_t k = tg_member(&g, id, NULL, s);
            g.members[k].sub.owned = keep.owned;
            g.members[k].sub.owned_count = keep.owned_count;
            g.members[k].sub.generation = keep.generation;
        }
        rebalance(&g);
    }
    print_message("random changes: at most %d rounds per rebalance\n", max_rounds);
    tg_fini(&g);
}

/* In a group of equal subscriptions, a join moves exactly what the new
 * member's share needs (the Java assignor's minimum). */
static void join_moves_the_minimum(void **state)
{
    (void)state;
    for (int members = 1; members < 10; members++) {
        tgroup_t g;
        tg_init(&g);
        tg_topic(&g, "t", 30);
        char id[16];
        for (int m = 0; m < members; m++) {
            snprintf(id, sizeof(id), "m%02d", m);
            tg_member(&g, id, NULL, "t");
        }
        rebalance(&g);
        snprintf(id, sizeof(id), "m%02d", members);
        tg_member(&g, id, NULL, "t");
        max_rounds = 0;
        size_t moved = rebalance(&g);
        assert_int_equal(moved, (size_t)(30 / (members + 1)));
        assert_true(max_rounds <= 2);
        tg_fini(&g);
    }
}

/* A larger group: 60 members over 3 topics of 300 partitions, then a
 * member joins and one leaves. */
static void large_group(void **state)
{
    (void)state;
    tgroup_t g;
    tg_init(&g);
    tg_topic(&g, "x", 300);
    tg_topic(&g, "y", 300);
    tg_topic(&g, "z", 300);
    char id[16];
    for (int m = 0; m < 60; m++) {
        snprintf(id, sizeof(id), "m%03d", m);
        tg_member(&g, id, NULL, m % 3 ? "x,y,z" : "x,y");
    }
    rebalance(&g);
    tg_member(&g, "m999", NULL, "x,y,z");
    rebalance(&g);
    tg_remove(&g, 7);
    rebalance(&g);
    tg_fini(&g);
}

static void generation_from_user_data(void **state)
{
    (void)state;
    sl_asg_subscription_t sub;
    sl_asg_subscription_init(&sub);
    assert_int_equal(sl_asg_sticky_generation(&sub), -1);
    /* Java cooperative-sticky before v2: a lone int32 */
    static const uint8_t lone[] = {0, 0, 1, 2};
    sub.user_data = lone;
    sub.user_data_len = 4;
    assert_int_equal(sl_asg_sticky_generation(&sub), 258);
    /* the StickyAssignor layout librdkafka sends: [t [0, 2]], generation 9 */
    static const uint8_t rdk[] = {0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 9};
    sub.user_data = rdk;
    sub.user_data_len = (int32_t)sizeof(rdk);
    assert_int_equal(sl_asg_sticky_generation(&sub), 9);
    /* not that layout exactly (one byte short): unknown */
    sub.user_data_len = (int32_t)sizeof(rdk) - 1;
    assert_int_equal(sl_asg_sticky_generation(&sub), -1);
    /* the v2+ field wins */
    sub.generation = 4;
    assert_int_equal(sl_asg_sticky_generation(&sub), 4);

    /* what our members send reads back */
    sl_buf_t buf = SL_BUF_INIT;
    static const sl_asg_tp_t owned[] = {{"t", 0}, {"u", 5}, {"t", 2}};
    assert_int_equal(sl_assignor_cooperative_sticky.user_data(&buf, owned, 3, 11), SL_OK);
    sl_asg_subscription_init(&sub);
    sub.user_data = buf.data;
    sub.user_data_len = (int32_t)buf.len;
    assert_int_equal(sl_asg_sticky_generation(&sub), 11);
    sl_buf_reset(&buf);
    assert_int_equal(sl_assignor_cooperative_sticky.user_data(&buf, NULL, 0, -1), SL_OK);
    assert_int_equal(buf.len, 0);
    sl_buf_free(&buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fresh_group_is_balanced_and_complete),
        cmocka_unit_test(joining_member_takes_only_its_share_in_two_phases),
        cmocka_unit_test(leaving_member_partitions_go_at_once),
        cmocka_unit_test(stale_claims_lose_to_the_newest_generation),
        cmocka_unit_test(conflicting_claims_are_revoked_first),
        cmocka_unit_test(unsubscribed_topic_partitions_are_revoked_first),
        cmocka_unit_test(uneven_subscriptions_are_balanced),
        cmocka_unit_test(random_membership_changes),
        cmocka_unit_test(join_moves_the_minimum),
        cmocka_unit_test(large_group),
        cmocka_unit_test(generation_from_user_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
