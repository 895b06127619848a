/* group_state_test.c - the classic group state machine (broker/group/group.h)
 * driven by a fake clock: a three-member join where the leader sees every
 * subscription, assignments handed out by SyncGroup, session expiry and the
 * rebalance that follows, LeaveGroup, the MEMBER_ID_REQUIRED two-step join,
 * protocol selection and INCONSISTENT_GROUP_PROTOCOL, stale generations,
 * static members restarting without a rebalance. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <string.h>

#include "group/group.h"

typedef struct waiter {
    sl_group_waiter_t w;
    int notified;
} waiter_t;

static void on_notify(sl_group_waiter_t *w)
{
    ((waiter_t *)w->arg)->notified++;
}

static void waiter_init(waiter_t *t)
{
    memset(t, 0, sizeof *t);
    t->w.notify = on_notify;
    t->w.arg = t;
}

static sl_group_t *new_group(int32_t delay_ms)
{
    sl_group_limits_t lim;
    sl_group_limits_default(&lim);
    lim.initial_rebalance_delay_ms = delay_ms;
    sl_group_t *g = sl_group_new("g1", &lim, 7);
    assert_non_null(g);
    return g;
}

/* A consumer-protocol join with one protocol named proto and metadata meta. */
static bool join(sl_group_t *g, const char *member, const char *proto, const char *meta, bool v4, int64_t now,
                 waiter_t *t)
{
    sl_group_protocol_in_t p = {sl_kstr(proto), {(const uint8_t *)meta, (int32_t)strlen(meta)}};
    sl_group_join_args_t a = {
        .member_id = sl_kstr(member),
        .instance_id = sl_kstr_null(),
        .client_id = sl_kstr("c"),
        .protocol_type = sl_kstr("consumer"),
        .session_timeout_ms = 6000,
        .rebalance_timeout_ms = 10000,
        .nprotocols = 1,
        .protocols = &p,
        .require_known_member_id = v4,
    };
    waiter_init(t);
    return sl_group_join(g, &a, now, &t->w);
}

static bool sync_(sl_group_t *g, const char *member, int32_t gen, int n, const sl_group_assign_in_t *as, int64_t now,
                  waiter_t *t)
{
    sl_group_sync_args_t a = {
        .member_id = sl_kstr(member),
        .generation = gen,
        .protocol_type = sl_kstr_null(),
        .protocol_name = sl_kstr_null(),
        .nassignments = n,
        .assignments = as,
    };
    waiter_init(t);
    return sl_group_sync(g, &a, now, &t->w);
}

/* Three members join (v3, ids given by the group), the join completes after
 * the initial delay; returns the generation; ids copied to ids[3]. */
static int32_t join_three(sl_group_t *g, char ids[3][128], int64_t *now)
{
    waiter_t t[3];
    const char *metas[3] = {"sub-a", "sub-b", "sub-c"};
    for (int i = 0; i < 3; i++)
        assert_true(join(g, "", "range", metas[i], false, *now, &t[i]));
    assert_int_equal(sl_group_state(g), SL_GROUP_PREPARING_REBALANCE);
    *now += 2999;
    sl_group_tick(g, *now);
    assert_int_equal(t[0].notified, 0); /* the initial delay is not over */
    *now += 1;
    sl_group_tick(g, *now);
    assert_int_equal(sl_group_state(g), SL_GROUP_COMPLETING_REBALANCE);
    int leaders = 0;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(t[i].notified, 1);
        assert_true(t[i].w.done);
        assert_int_equal(t[i].w.error, 0);
        assert_string_equal(t[i].w.protocol_name, "range");
        assert_string_equal(t[i].w.leader, t[0].w.leader);
        strcpy(ids[i], t[i].w.member_id);
        if (strcmp(t[i].w.member_id, t[i].w.leader) == 0) {
            leaders++;
            /* the leader sees every member's subscription, unchanged */
            assert_int_equal(t[i].w.nmembers, 3);
            for (int k = 0; k < 3; k++) {
                assert_int_equal(t[i].w.members[k].metadata_len, 5);
                assert_memory_equal(t[i].w.members[k].metadata, metas[k], 5);
            }
        } else {
            assert_int_equal(t[i].w.nmembers, 0);
        }
    }
    assert_int_equal(leaders, 1);
    assert_string_equal(ids[0], sl_group_leader(g));
    int32_t gen = t[0].w.generation;
    for (int i = 0; i < 3; i++)
        sl_group_waiter_clear(&t[i].w);
    return gen;
}

static void group_join_of_three_then_sync_distributes_assignments(void **state)
{
    (void)state;
    sl_group_t *g = new_group(3000);
    char ids[3][128];
    int64_t now = 1000;
    int32_t gen = join_three(g, ids, &now);
    assert_int_equal(gen, 1);
    waiter_t s1, s2, s0;
    assert_true(sync_(g, ids[1], gen, 0, NULL, now, &s1));
    assert_true(sync_(g, ids[2], gen, 0, NULL, now, &s2));
    sl_group_assign_in_t as[3] = {
        {sl_kstr(ids[0]), {(const uint8_t *)"A0", 2}},
        {sl_kstr(ids[1]), {(const uint8_t *)"A1x", 3}},
        {sl_kstr(ids[2]), {(const uint8_t *)"A2yy", 4}},
    };
    assert_false(sync_(g, ids[0], gen, 3, as, now, &s0));
    assert_int_equal(sl_group_state(g), SL_GROUP_STABLE);
    assert_int_equal(s0.w.error, 0);
    assert_int_equal(s0.w.assignment_len, 2);
    assert_memory_equal(s0.w.assignment, "A0", 2);
    assert_int_equal(s1.notified, 1);
    assert_int_equal(s1.w.assignment_len, 3);
    assert_memory_equal(s1.w.assignment, "A1x", 3);
    assert_int_equal(s2.notified, 1);
    assert_memory_equal(s2.w.assignment, "A2yy", 4);
    assert_int_equal(sl_group_heartbeat(g, sl_kstr(ids[1]), gen, now), 0);
    assert_int_equal(sl_group_heartbeat(g, sl_kstr(ids[1]), gen - 1, now), SL_ERR_ILLEGAL_GENERATION);
    assert_int_equal(sl_group_heartbeat(g, sl_kstr("nobody"), gen, now), SL_ERR_UNKNOWN_MEMBER_ID);
    sl_group_waiter_clear(&s0.w);
    sl_group_waiter_clear(&s1.w);
    sl_group_waiter_clear(&s2.w);
    /* a stale generation cannot sync */
    waiter_t s3;
    assert_false(sync_(g, ids[1], gen + 5, 0, NULL, now, &s3));
    assert_int_equal(s3.w.error, SL_ERR_ILLEGAL_GENERATION);
    sl_group_waiter_clear(&s3.w);
    sl_group_free(g);
}

/* Stable group; two members keep heart-beating, the third goes silent. */
static void group_member_without_heartbeats_expires_and_rebalance_follows(void **state)
{
    (void)state;
    sl_group_t *g = new_group(3000);
    char ids[3][128];
    int64_t now = 0;
    int32_t gen = join_three(g, ids, &now);
    waiter_t s[3];
    assert_true(sync_(g, ids[1], gen, 0, NULL, now, &s[1]));
    assert_true(sync_(g, ids[2], gen, 0, NULL, now, &s[2]));
    assert_false(sync_(g, ids[0], gen, 0, NULL, now, &s[0]));
    for (int i = 0; i < 3; i++)
        sl_group_waiter_clear(&s[i].w);
    for (int k = 0; k < 3; k++) {
        now += 2000;
        assert_int_equal(sl_group_state(g), SL_GROUP_STABLE);
        assert_int_equal(sl_group_heartbeat(g, sl_kstr(ids[0]), gen, now), 0);
        assert_int_equal(sl_group_heartbeat(g, sl_kstr(ids[1]), gen, now), 0);
        sl_group_tick(g, now);
    }
    /* ids[2] was last seen 6 s ago (its session timeout): gone, a rebalance started */
    assert_int_equal(sl_group_member_count(g), 2);
    assert_int_equal(sl_group_state(g), SL_GROUP_PREPARING_REBALANCE);
    assert_int_equal(sl_group_heartbeat(g, sl_kstr(ids[0]), gen, now), SL_ERR_REBALANCE_IN_PROGRESS);
    assert_int_equal(sl_group_heartbeat(g, sl_kstr(ids[2]), gen, now), SL_ERR_UNKNOWN_MEMBER_ID);
    /* both rejoin: the rebalance completes at once (no initial delay now) */
    waiter_t j0, j1;
    assert_true(join(g, ids[0], "range", "sub-a", false, now, &j0));
    assert_false(join(g, ids[1], "range", "sub-b", false, now, &j1));
    assert_int_equal(j0.notified, 1);
    assert_int_equal(j0.w.generation, gen + 1);
    assert_int_equal(j0.w.nmembers, 2);
    assert_int_equal(j1.w.generation, gen + 1);
    assert_int_equal(sl_group_state(g), SL_GROUP_COMPLETING_REBALANCE);
    sl_group_waiter_clear(&j0.w);
    sl_group_waiter_clear(&j1.w);
    sl_group_free(g);
}

static void group_leave_triggers_rebalance_without_the_member(void **state)
{
    (void)state;
    sl_group_t *g = new_group(0);
    char ids[3][128];
    waiter_t t[3];
    int64_t now = 0;
    for (int i = 0; i < 3; i++)
        assert_true(join(g, "", "range", "s", false, now, &t[i]) || i == 0);
    /* no initial delay: the first join completed alone, the others started
     * a new rebalance the first member has to rejoin */
    now += 10000;
    sl_group_tick(g, now);
    for (int i = 0; i < 3; i++) {
        assert_true(t[i].w.done);
        strcpy(ids[i], t[i].w.member_id);
        sl_group_waiter_clear(&t[i].w);
    }
    assert_int_equal(sl_group_member_count(g), 2); /* the first did not rejoin in time */
    assert_int_equal(sl_group_state(g), SL_GROUP_COMPLETING_REBALANCE);
    assert_int_equal(sl_group_leave(g, sl_kstr(ids[1]), sl_kstr_null(), now), 0);
    assert_int_equal(sl_group_leave(g, sl_kstr(ids[1]), sl_kstr_null(), now), SL_ERR_UNKNOWN_MEMBER_ID);
    assert_int_equal(sl_group_state(g), SL_GROUP_PREPARING_REBALANCE);
    waiter_t j;
    assert_false(join(g, ids[2], "range", "s", false, now, &j));
    assert_int_equal(j.w.nmembers, 1);
    assert_string_equal(j.w.leader, ids[2]);
    sl_group_waiter_clear(&j.w);
    assert_int_equal(sl_group_leave(g, sl_kstr(ids[2]), sl_kstr_null(), now), 0);
    assert_int_equal(sl_group_state(g), SL_GROUP_EMPTY);
    assert_int_equal(sl_group_member_count(g), 0);
    sl_group_free(g);
}

static void group_v4_join_requires_member_id_first(void **state)
{
    (void)state;
    sl_group_t *g = new_group(0);
    waiter_t t;
    assert_false(join(g, "", "range", "s", true, 0, &t));
    assert_int_equal(t.w.error, SL_ERR_MEMBER_ID_REQUIRED);
    assert_int_equal(sl_group_member_count(g), 0);
    char id[128];
    strcpy(id, t.w.member_id);
    assert_true(strncmp(id, "c-", 2) == 0);
    sl_group_waiter_clear(&t.w);
    assert_false(join(g, id, "range", "s", true, 5, &t));
    assert_int_equal(t.w.error, 0);
    assert_string_equal(t.w.member_id, id);
    assert_string_equal(t.w.leader, id);
    assert_int_equal(t.w.generation, 1);
    sl_group_waiter_clear(&t.w);
    /* an id the group never gave */
    assert_false(join(g, "made-up", "range", "s", true, 5, &t));
    assert_int_equal(t.w.error, SL_ERR_UNKNOWN_MEMBER_ID);
    sl_group_waiter_clear(&t.w);
    /* a pending id that never joins expires with its session */
    assert_false(join(g, "", "range", "s", true, 10, &t));
    sl_group_waiter_clear(&t.w);
    sl_group_tick(g, 20000);
    sl_group_free(g);
}

static void group_full_refuses_new_members_but_not_its_own(void **state)
{
    (void)state;
    sl_group_limits_t lim;
    sl_group_limits_default(&lim);
    lim.initial_rebalance_delay_ms = 0;
    lim.max_size = 1;
    sl_group_t *g = sl_group_new("g1", &lim, 7);
    assert_non_null(g);
    waiter_t t;
    char id1[128], id2[128];
    /* Two ids handed out while the group is empty. */
    assert_false(join(g, "", "range", "s", true, 0, &t));
    assert_int_equal(t.w.error, SL_ERR_MEMBER_ID_REQUIRED);
    strcpy(id1, t.w.member_id);
    sl_group_waiter_clear(&t.w);
    assert_false(join(g, "", "range", "s", true, 1, &t));
    assert_int_equal(t.w.error, SL_ERR_MEMBER_ID_REQUIRED);
    strcpy(id2, t.w.member_id);
    sl_group_waiter_clear(&t.w);
    /* The first joins and waits for the other pending id; the second
     * finds the group full and is dropped, which completes the join. */
    waiter_t t1;
    assert_true(join(g, id1, "range", "s", true, 2, &t1));
    assert_false(join(g, id2, "range", "s", true, 3, &t));
    assert_int_equal(t.w.error, SL_ERR_GROUP_MAX_SIZE_REACHED);
    sl_group_waiter_clear(&t.w);
    assert_true(t1.w.done);
    assert_int_equal(t1.notified, 1);
    assert_int_equal(t1.w.error, 0);
    assert_int_equal(t1.w.generation, 1);
    sl_group_waiter_clear(&t1.w);
    assert_int_equal(sl_group_member_count(g), 1);
    assert_false(join(g, id2, "range", "s", true, 4, &t));
    assert_int_equal(t.w.error, SL_ERR_UNKNOWN_MEMBER_ID);
    sl_group_waiter_clear(&t.w);
    /* A new member without the two-step join is refused too. */
    assert_false(join(g, "", "range", "s", false, 5, &t));
    assert_int_equal(t.w.error, SL_ERR_GROUP_MAX_SIZE_REACHED);
    sl_group_waiter_clear(&t.w);
    /* The member already in the group rejoins. */
    assert_false(join(g, id1, "range", "s", true, 6, &t));
    assert_int_equal(t.w.error, 0);
    assert_int_equal(t.w.generation, 1);
    sl_group_waiter_clear(&t.w);
    assert_int_equal(sl_group_state(g), SL_GROUP_COMPLETING_REBALANCE);
    sl_group_free(g);
}

static void group_inconsistent_protocol_is_refused(void **state)
{
    (void)state;
    sl_group_t *g = new_group(3000);
    waiter_t a, b;
    assert_true(join(g, "", "range", "s", false, 0, &a));
    assert_false(join(g, "", "roundrobin", "s", false, 0, &b));
    assert_int_equal(b.w.error, SL_ERR_INCONSISTENT_GROUP_PROTOCOL);
    sl_group_waiter_clear(&b.w);
    /* an empty protocol type is refused too */
    sl_group_join_args_t args = {.member_id = sl_kstr(""), .instance_id = sl_kstr_null(), .client_id = sl_kstr("c"),
                                 .protocol_type = sl_kstr(""), .session_timeout_ms = 6000,
                                 .rebalance_timeout_ms = 6000, .nprotocols = 0};
    waiter_init(&b);
    assert_false(sl_group_join(g, &args, 0, &b.w));
    assert_int_equal(b.w.error, SL_ERR_INCONSISTENT_GROUP_PROTOCOL);
    sl_group_waiter_clear(&b.w);
    /* a session timeout below the minimum */
    args.protocol_type = sl_kstr("consumer");
    args.session_timeout_ms = 100;
    waiter_init(&b);
    assert_false(sl_group_join(g, &args, 0, &b.w));
    assert_int_equal(b.w.error, SL_ERR_INVALID_SESSION_TIMEOUT);
    sl_group_waiter_clear(&b.w);
    /* the request behind a waits; it goes away */
    sl_group_waiter_detach(&a.w);
    sl_group_waiter_clear(&a.w);
    sl_group_tick(g, 20000);
    assert_int_equal(sl_group_state(g), SL_GROUP_EMPTY);
    sl_group_free(g);
}

/* Two protocols each; the one every member lists first wins. */
static void group_selects_protocol_all_members_support(void **state)
{
    (void)state;
    sl_group_t *g = new_group(0);
    sl_group_protocol_in_t p1[2] = {{sl_kstr("cooperative-sticky"), {NULL, 0}}, {sl_kstr("range"), {NULL, 0}}};
    sl_group_protocol_in_t p2[2] = {{sl_kstr("range"), {NULL, 0}}, {sl_kstr("roundrobin"), {NULL, 0}}};
    sl_group_join_args_t a = {.member_id = sl_kstr(""), .instance_id = sl_kstr_null(), .client_id = sl_kstr("c"),
                              .protocol_type = sl_kstr("consumer"), .session_timeout_ms = 6000,
                              .rebalance_timeout_ms = 6000, .nprotocols = 2, .protocols = p1};
    waiter_t t1, t2;
    waiter_init(&t1);
    waiter_init(&t2);
    assert_false(sl_group_join(g, &a, 0, &t1.w)); /* alone, no delay: done at once */
    char id1[128];
    strcpy(id1, t1.w.member_id);
    sl_group_waiter_clear(&t1.w);
    a.protocols = p2;
    assert_true(sl_group_join(g, &a, 0, &t2.w));
    a.protocols = p1;
    a.member_id = sl_kstr(id1);
    waiter_init(&t1);
    assert_false(sl_group_join(g, &a, 0, &t1.w));
    assert_int_equal(t2.notified, 1);
    assert_string_equal(t1.w.protocol_name, "range");
    assert_string_equal(sl_group_protocol_name(g), "range");
    sl_group_waiter_clear(&t1.w);
    sl_group_waiter_clear(&t2.w);
    sl_group_free(g);
}

static bool join_static(sl_group_t *g, const char *member, const char *instance, int64_t now, waiter_t *t)
{
    sl_group_protocol_in_t p = {sl_kstr("range"), {(const uint8_t *)"s", 1}};
    sl_group_join_args_t a = {
        .member_id = sl_kstr(member),
        .instance_id = sl_kstr(instance),
        .client_id = sl_kstr("c"),
        .protocol_type = sl_kstr("consumer"),
        .session_timeout_ms = 6000,
        .rebalance_timeout_ms = 10000,
        .nprotocols = 1,
        .protocols = &p,
    };
    waiter_init(t);
    return sl_group_join(g, &a, now, &t->w);
}

/* A static member restarts: new member id, same generation and assignment,
 * no rebalance; its old id is fenced. */
static void group_static_member_rejoins_without_rebalance(void **state)
{
    (void)state;
    sl_group_t *g = new_group(3000);
    waiter_t a, b;
    assert_true(join_static(g, "", "i1", 0, &a));
    assert_true(join_static(g, "", "i2", 0, &b));
    sl_group_tick(g, 3000);
    assert_true(a.w.done && b.w.done);
    char id1[128], id2[128];
    strcpy(id1, a.w.member_id);
    strcpy(id2, b.w.member_id);
    int32_t gen = a.w.generation;
    sl_group_waiter_clear(&a.w);
    sl_group_waiter_clear(&b.w);
    sl_group_assign_in_t as[2] = {{sl_kstr(id1), {(const uint8_t *)"P0", 2}}, {sl_kstr(id2), {(const uint8_t *)"P1", 2}}};
    assert_true(sync_(g, id2, gen, 0, NULL, 3000, &b));
    assert_false(sync_(g, id1, gen, 2, as, 3000, &a));
    assert_int_equal(sl_group_state(g), SL_GROUP_STABLE);
    sl_group_waiter_clear(&a.w);
    sl_group_waiter_clear(&b.w);

    /* i2 comes back without its member id */
    assert_false(join_static(g, "", "i2", 4000, &b));
    assert_int_equal(b.w.error, 0);
    assert_int_equal(b.w.generation, gen);
    assert_string_not_equal(b.w.member_id, id2);
    assert_int_equal(sl_group_state(g), SL_GROUP_STABLE);
    char new2[128];
    strcpy(new2, b.w.member_id);
    sl_group_waiter_clear(&b.w);
    assert_false(sync_(g, new2, gen, 0, NULL, 4000, &b));
    assert_int_equal(b.w.error, 0);
    assert_memory_equal(b.w.assignment, "P1", 2);
    sl_group_waiter_clear(&b.w);
    /* the old incarnation is fenced */
    assert_int_equal(sl_group_check_instance(g, sl_kstr(id2), sl_kstr("i2")), SL_ERR_FENCED_INSTANCE_ID);
    assert_int_equal(sl_group_check_instance(g, sl_kstr(new2), sl_kstr("i2")), 0);
    assert_false(join_static(g, id2, "i2", 4000, &b));
    assert_int_equal(b.w.error, SL_ERR_FENCED_INSTANCE_ID);
    sl_group_waiter_clear(&b.w);
    /* the static leader restarting gets the member list but must not assign */
    assert_false(join_static(g, "", "i1", 4000, &a));
    assert_true(a.w.skip_assignment);
    assert_int_equal(a.w.nmembers, 2);
    assert_string_equal(sl_group_leader(g), a.w.member_id);
    sl_group_waiter_clear(&a.w);
    /* leave by instance id */
    assert_int_equal(sl_group_leave(g, sl_kstr(""), sl_kstr("i2"), 5000), 0);
    assert_int_equal(sl_group_member_count(g), 1);
    sl_group_free(g);
}

static void group_commit_without_membership_only_when_empty(void **state)
{
    (void)state;
    sl_group_t *g = new_group(0);
    assert_int_equal(sl_group_commit_check(g, sl_kstr(""), -1, 0), 0);
    waiter_t t;
    assert_false(join(g, "", "range", "s", false, 0, &t));
    assert_int_equal(sl_group_commit_check(g, sl_kstr(""), -1, 0), SL_ERR_UNKNOWN_MEMBER_ID);
    assert_int_equal(sl_group_commit_check(g, sl_kstr(t.w.member_id), 1, 0), SL_ERR_REBALANCE_IN_PROGRESS);
    assert_int_equal(sl_group_commit_check(g, sl_kstr(t.w.member_id), 0, 0), SL_ERR_ILLEGAL_GENERATION);
    sl_group_waiter_clear(&t.w);
    sl_group_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(group_join_of_three_then_sync_distributes_assignments),
        cmocka_unit_test(group_member_without_heartbeats_expires_and_rebalance_follows),
        cmocka_unit_test(group_leave_triggers_rebalance_without_the_member),
        cmocka_unit_test(group_v4_join_requires_member_id_first),
        cmocka_unit_test(group_inconsistent_protocol_is_refused),
        cmocka_unit_test(group_full_refuses_new_members_but_not_its_own),
        cmocka_unit_test(group_selects_protocol_all_members_support),
        cmocka_unit_test(group_commit_without_membership_only_when_empty),
        cmocka_unit_test(group_static_member_rejoins_without_rebalance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
