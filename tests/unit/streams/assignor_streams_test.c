/*
 * assignor_streams_test.c - the streams task assignor (assignor_streams.c)
 * as a pure function: task counts and co-partitioning errors, balance over
 * instances and threads, stickiness, standbys on other instances, and the
 * user-data formats against truncated and future input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "app_int.h"

typedef struct tmember {
    const char *id;
    uint8_t proc;                 /* process id byte */
    const char *active;           /* "0_1 0_2" */
    const char *standby;
} tmember_t;

typedef struct tcase {
    sl_arena_t arena;
    sl_assignor_member_t m[8];
    sl_assignor_result_t out[8];
    sl_sa_asg_info_t info[8];
    size_t n;
} tcase_t;

static size_t parse_tasks(sl_arena_t *a, const char *s, sl_taskid_t **out)
{
    sl_taskid_t *t = sl_arena_calloc(a, 64, sizeof(*t));
    size_t n = 0;
    while (s && *s) {
        int sub, part, used;
        if (sscanf(s, "%d_%d%n", &sub, &part, &used) != 2)
            break;
        t[n].sub = sub;
        t[n++].partition = part;
        s += used;
        while (*s == ' ')
            s++;
    }
    *out = t;
    return n;
}

static void setup_members(tcase_t *tc, const tmember_t *ms, size_t n)
{
    sl_arena_init(&tc->arena, 0, 0);
    tc->n = n;
    for (size_t i = 0; i < n; i++) {
        sl_sa_sub_info_t info = {.version = SL_SA_VERSION};
        memset(info.process, 0, sizeof(info.process));
        info.process[0] = ms[i].proc;
        sl_taskid_t *a, *s;
        info.n_active = parse_tasks(&tc->arena, ms[i].active, &a);
        info.n_standby = parse_tasks(&tc->arena, ms[i].standby, &s);
        info.active = a;
        info.standby = s;
        sl_buf_t buf = SL_BUF_INIT;
        sl_sa_sub_info_encode(&buf, &info);
        assert_int_equal(buf.err, SL_OK);
        tc->m[i].member_id = ms[i].id;
        tc->m[i].user_data = sl_arena_memdup(&tc->arena, buf.data, buf.len);
        tc->m[i].user_data_len = (int32_t)buf.len;
        sl_buf_free(&buf);
        tc->out[i].user_data_len = -1;
    }
}

static void run(tcase_t *tc, const sl_sa_conf_t *conf, const sl_assignor_topic_t *topics, size_t nt)
{
    assert_int_equal(sl_sa_assign(tc->m, tc->n, topics, nt, &tc->arena, tc->out, (void *)conf), SL_OK);
    for (size_t i = 0; i < tc->n; i++) {
        assert_non_null(tc->out[i].user_data);
        assert_int_equal(sl_sa_asg_info_decode(tc->out[i].user_data, (size_t)tc->out[i].user_data_len,
                                               &tc->arena, &tc->info[i]),
                         SL_OK);
    }
}

static bool has_task(const sl_taskid_t *t, size_t n, int sub, int part)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].sub == sub && t[i].partition == part)
            return true;
    return false;
}

static bool has_part(const sl_assignor_result_t *r, const char *topic, int part)
{
    for (size_t i = 0; i < r->count; i++)
        if (strcmp(r->parts[i].topic, topic) == 0 && r->parts[i].partition == part)
            return true;
    return false;
}

static const char *const sub0_topics[] = {"left", "right"};
static const char *const sub1_topics[] = {"app-x-repartition"};
static const sl_sa_sub_t two_subs[] = {{0, sub0_topics, 2, 0}, {1, sub1_topics, 1, 0}};

static void test_single_member_gets_every_task(void **state)
{
    (void)state;
    tcase_t tc;
    tmember_t ms[] = {{"m1", 1, "", ""}};
    setup_members(&tc, ms, 1);
    sl_sa_conf_t conf = {two_subs, 2, 0};
    sl_assignor_topic_t topics[] = {{"left", 4}, {"right", 4}, {"app-x-repartition", 3}};
    run(&tc, &conf, topics, 3);
    assert_int_equal(tc.info[0].error, 0);
    assert_int_equal(tc.info[0].n_active, 7);
    assert_int_equal(tc.out[0].count, 4 * 2 + 3);
    for (int p = 0; p < 4; p++) {
        assert_true(has_task(tc.info[0].active, tc.info[0].n_active, 0, p));
        assert_true(has_part(&tc.out[0], "left", p));
        assert_true(has_part(&tc.out[0], "right", p));
    }
    for (int p = 0; p < 3; p++)
        assert_true(has_part(&tc.out[0], "app-x-repartition", p));
    assert_int_equal(tc.info[0].n_standby, 0);
    sl_arena_fini(&tc.arena);
}

static void test_copartition_mismatch_is_an_error_for_all(void **state)
{
    (void)state;
    tcase_t tc;
    tmember_t ms[] = {{"m1", 1, "", ""}, {"m2", 2, "", ""}};
    setup_members(&tc, ms, 2);
    sl_sa_conf_t conf = {two_subs, 2, 0};
    sl_assignor_topic_t topics[] = {{"left", 4}, {"right", 6}, {"app-x-repartition", 3}};
    run(&tc, &conf, topics, 3);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(tc.info[i].error, SL_SA_ERR_COPARTITION);
        assert_non_null(tc.info[i].message);
        assert_non_null(strstr(tc.info[i].message, "left (4 partitions)"));
        assert_non_null(strstr(tc.info[i].message, "right (6 partitions)"));
        assert_int_equal(tc.out[i].count, 0);
        assert_int_equal(tc.info[i].n_active, 0);
    }
    sl_arena_fini(&tc.arena);
}

static void test_missing_topic_is_an_error(void **state)
{
    (void)state;
    tcase_t tc;
    tmember_t ms[] = {{"m1", 1, "", ""}};
    setup_members(&tc, ms, 1);
    sl_sa_conf_t conf = {two_subs, 2, 0};
    sl_assignor_topic_t topics[] = {{"left", 4}, {"right", 4}, {"app-x-repartition", 0}};
    run(&tc, &conf, topics, 3);
    assert_int_equal(tc.info[0].error, SL_SA_ERR_MISSING_TOPIC);
    assert_non_null(strstr(tc.info[0].message, "app-x-repartition"));
    assert_int_equal(tc.out[0].count, 0);
    sl_arena_fini(&tc.arena);
}

static void test_changed_partition_count_is_an_error(void **state)
{
    (void)state;
    tcase_t tc;
    tmember_t ms[] = {{"m1", 1, "0_0", ""}};
    setup_members(&tc, ms, 1);
    sl_sa_sub_t subs[] = {{0, sub0_topics, 2, 4}};
    sl_sa_conf_t conf = {subs, 1, 0};
    sl_assignor_topic_t topics[] = {{"left", 6}, {"right", 6}};
    run(&tc, &conf, topics, 2);
    assert_int_equal(tc.info[0].error, SL_SA_ERR_CHANGED);
    assert_non_null(strstr(tc.info[0].message, "have 6 partitions, 4 when the application started"));
    assert_int_equal(tc.out[0].count, 0);
    sl_arena_fini(&tc.arena);
}

static const char *const one_topic[] = {"in"};
static const sl_sa_sub_t one_sub[] = {{0, one_topic, 1, 0}};

/* Every task active exactly once; returns how many each member got. */
static void check_complete(tcase_t *tc, int tasks, size_t *counts)
{
    for (int p = 0; p < tasks; p++) {
        int owners = 0;
        for (size_t i = 0; i < tc->n; i++)
            owners += has_task(tc->info[i].active, tc->info[i].n_active, 0, p);
        assert_int_equal(owners, 1);
    }
    for (size_t i = 0; i < tc->n; i++) {
        counts[i] = tc->info[i].n_active;
        assert_int_equal(tc->out[i].count, tc->info[i].n_active);
    }
}

static void test_balanced_over_instances_and_threads(void **state)
{
    (void)state;
    tcase_t tc;
    /* instance 1 with three threads, instance 2 with one */
    tmember_t ms[] = {{"a1", 1, "", ""}, {"a2", 1, "", ""}, {"a3", 1, "", ""}, {"b1", 2, "", ""}};
    setup_members(&tc, ms, 4);
    sl_sa_conf_t conf = {one_sub, 1, 0};
    sl_assignor_topic_t topics[] = {{"in", 8}};
    run(&tc, &conf, topics, 1);
    size_t counts[4];
    check_complete(&tc, 8, counts);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(counts[i], 2);
    sl_arena_fini(&tc.arena);
}

static void test_sticky_when_a_member_joins(void **state)
{
    (void)state;
    tcase_t tc;
    tmember_t ms[] = {{"a", 1, "0_0 0_1 0_5", ""}, {"b", 2, "0_2 0_3 0_4", ""}, {"c", 3, "", ""}};
    setup_members(&tc, ms, 3);
    sl_sa_conf_t conf = {one_sub, 1, 0};
    sl_assignor_topic_t topics[] = {{"in", 6}};
    run(&tc, &conf, topics, 1);
    size_t counts[3];
    check_complete(&tc, 6, counts);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(counts[i], 2);
    /* a and b kept two of their own each: only two tasks moved to c */
    int kept = 0;
    for (int p = 0; p < 6; p++) {
        kept += has_task(tc.info[0].active, tc.info[0].n_active, 0, p) && (p == 0 || p == 1 || p == 5);
        kept += has_task(tc.info[1].active, tc.info[1].n_active, 0, p) && (p >= 2 && p <= 4);
    }
    assert_int_equal(kept, 4);
    sl_arena_fini(&tc.arena);
}

static void test_sticky_when_nothing_changes(void **state)
{
    (void)state;
    tcase_t tc;
    tmember_t ms[] = {{"a", 1, "0_3 0_1", ""}, {"b", 2, "0_0 0_2", ""}};
    setup_members(&tc, ms, 2);
    sl_sa_conf_t conf = {one_sub, 1, 0};
    sl_assignor_topic_t topics[] = {{"in", 4}};
    run(&tc, &conf, topics, 1);
    assert_true(has_task(tc.info[0].active, tc.info[0].n_active, 0, 3));
    assert_true(has_task(tc.info[0].active, tc.info[0].n_active, 0, 1));
    assert_true(has_task(tc.info[1].active, tc.info[1].n_active, 0, 0));
    assert_true(has_task(tc.info[1].active, tc.info[1].n_active, 0, 2));
    sl_arena_fini(&tc.arena);
}

static void test_standbys_on_other_instances(void **state)
{
    (void)state;
    tcase_t tc;
    tmember_t ms[] = {{"a1", 1, "", ""}, {"a2", 1, "", ""}, {"b1", 2, "", ""}, {"c1", 3, "", ""}};
    setup_members(&tc, ms, 4);
    sl_sa_conf_t conf = {one_sub, 1, 1};
    sl_assignor_topic_t topics[] = {{"in", 6}};
    run(&tc, &conf, topics, 1);
    for (int p = 0; p < 6; p++) {
        int standbys = 0;
        uint8_t active_proc = 0;
        for (size_t i = 0; i < 4; i++)
            if (has_task(tc.info[i].active, tc.info[i].n_active, 0, p))
                active_proc = ms[i].proc;
        for (size_t i = 0; i < 4; i++)
            if (has_task(tc.info[i].standby, tc.info[i].n_standby, 0, p)) {
                standbys++;
                assert_int_not_equal(ms[i].proc, active_proc);
            }
        assert_int_equal(standbys, 1);
    }
    /* a lone instance gets no standbys */
    sl_arena_fini(&tc.arena);
    tmember_t one[] = {{"a1", 1, "", ""}, {"a2", 1, "", ""}};
    setup_members(&tc, one, 2);
    run(&tc, &conf, topics, 1);
    assert_int_equal(tc.info[0].n_standby + tc.info[1].n_standby, 0);
    sl_arena_fini(&tc.arena);
}

static void test_task_follows_its_state(void **state)
{
    (void)state;
    tcase_t tc;
    /* the owner of 0_0 and 0_1 left; c held 0_1's state as a standby */
    tmember_t ms[] = {{"b", 2, "0_2 0_3", "0_0"}, {"c", 3, "", "0_1"}};
    setup_members(&tc, ms, 2);
    sl_sa_conf_t conf = {one_sub, 1, 0};
    sl_assignor_topic_t topics[] = {{"in", 4}};
    run(&tc, &conf, topics, 1);
    assert_true(has_task(tc.info[1].active, tc.info[1].n_active, 0, 1));
    assert_int_equal(tc.info[0].n_active, 2);
    assert_int_equal(tc.info[1].n_active, 2);
    sl_arena_fini(&tc.arena);
}

static void test_unreadable_user_data_is_a_fresh_instance(void **state)
{
    (void)state;
    tcase_t tc;
    tmember_t ms[] = {{"a", 1, "0_0 0_1", ""}, {"x", 9, "", ""}, {"y", 9, "", ""}};
    setup_members(&tc, ms, 3);
    tc.m[1].user_data = (const uint8_t *)"\0\0";
    tc.m[1].user_data_len = 2;
    tc.m[2].user_data = NULL;
    tc.m[2].user_data_len = -1;
    sl_sa_conf_t conf = {one_sub, 1, 0};
    sl_assignor_topic_t topics[] = {{"in", 3}};
    run(&tc, &conf, topics, 1);
    size_t counts[3];
    check_complete(&tc, 3, counts);
    assert_int_equal(counts[0] + counts[1] + counts[2], 3);
    assert_int_equal(counts[1], 1); /* x and y: two instances, not one */
    assert_int_equal(counts[2], 1);
    sl_arena_fini(&tc.arena);
}

static void test_formats_reject_bad_input(void **state)
{
    (void)state;
    sl_arena_t a;
    sl_arena_init(&a, 0, 0);
    sl_taskid_t t[] = {{0, 1}, {2, 3}};
    sl_sa_sub_info_t in = {.version = SL_SA_VERSION, .active = t, .n_active = 2, .standby = t, .n_standby = 1};
    memset(in.process, 7, sizeof(in.process));
    sl_buf_t buf = SL_BUF_INIT;
    sl_sa_sub_info_encode(&buf, &in);
    sl_sa_sub_info_t out;
    assert_int_equal(sl_sa_sub_info_decode(buf.data, buf.len, &a, &out), SL_OK);
    assert_int_equal(out.n_active, 2);
    assert_int_equal(out.active[1].sub, 2);
    assert_int_equal(out.active[1].partition, 3);
    assert_int_equal(out.n_standby, 1);
    assert_memory_equal(out.process, in.process, 16);
    /* every truncation fails cleanly */
    for (size_t n = 0; n < buf.len; n++)
        assert_int_not_equal(sl_sa_sub_info_decode(buf.data, n, &a, &out), SL_OK);
    /* a later version with more fields after ours reads as ours */
    sl_buf_t v2 = SL_BUF_INIT;
    sl_buf_put(&v2, buf.data, buf.len);
    sl_buf_set_i32(&v2, 0, 2);
    sl_buf_put_i32(&v2, 12345);
    assert_int_equal(sl_sa_sub_info_decode(v2.data, v2.len, &a, &out), SL_OK);
    assert_int_equal(out.version, 2);
    assert_int_equal(out.n_active, 2);
    /* version 0, a huge count, a negative task */
    sl_buf_set_i32(&v2, 0, 0);
    assert_int_equal(sl_sa_sub_info_decode(v2.data, v2.len, &a, &out), SL_ERR_PARSE);
    sl_buf_set_i32(&v2, 0, 1);
    sl_buf_set_i32(&v2, 24, 0x7fffffff);
    assert_int_equal(sl_sa_sub_info_decode(v2.data, v2.len, &a, &out), SL_ERR_TRUNCATED);
    sl_buf_set_i32(&v2, 24, 2);
    sl_buf_set_i32(&v2, 28, -1);
    assert_int_equal(sl_sa_sub_info_decode(v2.data, v2.len, &a, &out), SL_ERR_PARSE);
    sl_buf_free(&v2);
    sl_buf_free(&buf);

    sl_sa_asg_info_t ai = {.version = SL_SA_VERSION, .error = 2, .message = "why", .active = t, .n_active = 1};
    sl_buf_init(&buf);
    sl_sa_asg_info_encode(&buf, &ai);
    sl_sa_asg_info_t ao;
    assert_int_equal(sl_sa_asg_info_decode(buf.data, buf.len, &a, &ao), SL_OK);
    assert_int_equal(ao.error, 2);
    assert_string_equal(ao.message, "why");
    assert_int_equal(ao.n_active, 1);
    for (size_t n = 0; n < buf.len; n++)
        assert_int_not_equal(sl_sa_asg_info_decode(buf.data, n, &a, &ao), SL_OK);
    sl_buf_free(&buf);
    sl_arena_fini(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_member_gets_every_task),
        cmocka_unit_test(test_copartition_mismatch_is_an_error_for_all),
        cmocka_unit_test(test_missing_topic_is_an_error),
        cmocka_unit_test(test_changed_partition_count_is_an_error),
        cmocka_unit_test(test_balanced_over_instances_and_threads),
        cmocka_unit_test(test_sticky_when_a_member_joins),
        cmocka_unit_test(test_sticky_when_nothing_changes),
        cmocka_unit_test(test_standbys_on_other_instances),
        cmocka_unit_test(test_task_follows_its_state),
        cmocka_unit_test(test_unreadable_user_data_is_a_fresh_instance),
        cmocka_unit_test(test_formats_reject_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
