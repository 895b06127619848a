/* dist_state_test.c - the distributed herder's state (herder_dist_int.h):
 * Kafka Connect's config records (connectors, staged task configs made
 * current by a commit, target states, tombstones, restart requests) and
 * status records (a stale UNASSIGNED from a former owner ignored),
 * malformed records skipped; the group's assignment bytes both ways and
 * refused when bad; the placement of tasks over members; offset keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "herder_dist_int.h"

static sl_dist_event_t apply(sl_dist_state_t *s, const char *key, const char *value)
{
    sl_dist_event_t ev;
    assert_int_equal(sl_dist_state_apply_config(s, key, strlen(key), value, value ? strlen(value) : 0, &ev),
                     SL_OK);
    return ev;
}

static void test_config_records(void **state)
{
    (void)state;
    sl_dist_state_t *s = sl_dist_state_new();
    assert_non_null(s);
    sl_dist_event_t ev = apply(s, "connector-my-src", "{\"properties\":{\"connector.class\":\"FileStreamSource\","
                                                      "\"tasks.max\":\"2\",\"name\":\"my-src\"}}");
    assert_int_equal(ev.kind, SL_DIST_EV_CHANGED);
    assert_string_equal(ev.name, "my-src");
    sl_dist_conn_t *c = sl_dist_state_conn(s, "my-src");
    assert_non_null(c);
    assert_string_equal(sl_props_get(c->config, "tasks.max"), "2");
    assert_int_equal(c->task_count, 0);
    /* staged task configs wait for their commit; a name with dashes */
    assert_int_equal(apply(s, "task-my-src-0", "{\"properties\":{\"file\":\"a\"}}").kind, SL_DIST_EV_NONE);
    assert_int_equal(apply(s, "task-my-src-1", "{\"properties\":{\"file\":\"b\"}}").kind, SL_DIST_EV_NONE);
    assert_int_equal(c->task_count, 0);
    /* a commit naming more tasks than were written is ignored */
    apply(s, "commit-my-src", "{\"tasks\":3}");
    assert_int_equal(c->task_count, 0);
    assert_int_equal(apply(s, "commit-my-src", "{\"tasks\":2}").kind, SL_DIST_EV_CHANGED);
    assert_int_equal(c->task_count, 2);
    assert_string_equal(sl_props_get(c->tasks[1], "file"), "b");
    /* target state */
    assert_false(c->paused);
    apply(s, "target-state-my-src", "{\"state\":\"PAUSED\"}");
    assert_true(c->paused);
    apply(s, "target-state-my-src", "{\"state\":\"STARTED\"}");
    assert_false(c->paused);
    apply(s, "target-state-my-src", "{\"state\":\"SLEEPING\"}");   /* refused */
    assert_false(c->paused);
    /* restart requests */
    ev = apply(s, "restart-connector-my-src", "{\"include-tasks\":true,\"only-failed\":false}");
    assert_int_equal(ev.kind, SL_DIST_EV_RESTART);
    assert_string_equal(ev.name, "my-src");
    assert_true(ev.include_tasks);
    assert_false(ev.only_failed);
    ev = apply(s, "restart-task-my-src-1", "{}");
    assert_int_equal(ev.kind, SL_DIST_EV_RESTART_TASK);
    assert_string_equal(ev.name, "my-src");
    assert_int_equal(ev.task, 1);
    /* malformed records change nothing */
    assert_int_equal(apply(s, "connector-my-src", "not json").kind, SL_DIST_EV_NONE);
    assert_int_equal(apply(s, "connector-my-src", "{\"props\":{}}").kind, SL_DIST_EV_NONE);
    assert_int_equal(apply(s, "task-my-src-x", "{\"properties\":{}}").kind, SL_DIST_EV_NONE);
    assert_int_equal(apply(s, "commit-my-src", "{\"tasks\":-1}").kind, SL_DIST_EV_NONE);
    assert_int_equal(apply(s, "something-else", "{}").kind, SL_DIST_EV_NONE);
    assert_int_equal(c->task_count, 2);
    /* a second connector sorts before */
    apply(s, "connector-a", "{\"properties\":{\"connector.class\":\"FileStreamSink\",\"n\":1}}");
    size_t n;
    sl_dist_conn_t *const *all = sl_dist_state_conns(s, &n);
    assert_int_equal(n, 2);
    assert_string_equal(all[0]->name, "a");
    assert_string_equal(sl_props_get(all[0]->config, "n"), "1");   /* a number kept as text */
    /* the tombstone deletes */
    assert_int_equal(apply(s, "connector-my-src", NULL).kind, SL_DIST_EV_CHANGED);
    assert_null(sl_dist_state_conn(s, "my-src"));
    assert_non_null(sl_dist_state_conn(s, "a"));
    sl_dist_state_free(s);
}

static void status(sl_dist_state_t *s, const char *key, const char *state, const char *worker)
{
    char *v = sl_dist_status_json(state, NULL, worker, 1);
    assert_non_null(v);
    assert_int_equal(sl_dist_state_apply_status(s, key, strlen(key), v, strlen(v)), SL_OK);
    free(v);
}

static void test_status_records(void **state)
{
    (void)state;
    sl_dist_state_t *s = sl_dist_state_new();
    status(s, "status-task-src-0", "RUNNING", "w1:8083");
    status(s, "status-task-src-0", "RUNNING", "w2:8083");   /* moved to w2 */
    status(s, "status-task-src-0", "UNASSIGNED", "w1:8083"); /* w1's late stop: stale */
    const sl_dist_status_t *st = sl_dist_state_status(s, "src", 0);
    assert_non_null(st);
    assert_string_equal(st->state, "RUNNING");
    assert_string_equal(st->worker_id, "w2:8083");
    status(s, "status-task-src-0", "UNASSIGNED", "w2:8083");
    assert_string_equal(sl_dist_state_status(s, "src", 0)->state, "UNASSIGNED");
    status(s, "status-connector-src", "FAILED", "w1:8083");
    assert_string_equal(sl_dist_state_status(s, "src", -1)->state, "FAILED");
    assert_null(sl_dist_state_status(s, "src", 1));
    const char *bad = "{\"trace\":1}";
    assert_int_equal(sl_dist_state_apply_status(s, "status-task-src-1", 17, bad, strlen(bad)), SL_OK);
    assert_null(sl_dist_state_status(s, "src", 1));
    assert_int_equal(sl_dist_state_apply_status(s, "status-connector-src", 20, NULL, 0), SL_OK);
    assert_null(sl_dist_state_status(s, "src", -1));
    sl_dist_state_free(s);
}

static void test_group_bytes(void **state)
{
    (void)state;
    sl_arena_t arena;
    sl_arena_init(&arena, 0, 0);
    const char *workers[] = {"127.0.0.1:8083", "127.0.0.1:8084"};
    int32_t len = 0;
    uint8_t *b = sl_dist_group_encode(workers, 2, 1, &arena, &len);
    assert_non_null(b);
    sl_dist_members_t m;
    assert_int_equal(sl_dist_group_decode(b, len, 7, &m), SL_OK);
    assert_int_equal(m.count, 2);
    assert_int_equal(m.index, 1);
    assert_int_equal(m.generation, 7);
    assert_string_equal(m.workers[0], "127.0.0.1:8083");
    sl_dist_members_fini(&m);
    const char *bad[] = {"", "[]", "{\"workers\":[],\"index\":0}", "{\"workers\":[\"a\"],\"index\":1}",
                         "{\"workers\":[1],\"index\":0}", "{\"workers\":[\"a\"]}", "{\"workers\":[\"a\"],\"index\":0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(sl_dist_group_decode((const uint8_t *)bad[i], (int32_t)strlen(bad[i]), 1, &m),
                         SL_ERR_PARSE);
        assert_int_equal(m.index, -1);
    }
    assert_int_equal(sl_dist_group_decode(NULL, -1, 1, &m), SL_ERR_PARSE);
    sl_arena_fini(&arena);
}

static void test_placement(void **state)
{
    (void)state;
    /* tasks of one connector alternate over two members; every unit has
     * exactly one owner in range */
    int a = sl_dist_owner("file-source", 0, 2), b = sl_dist_owner("file-source", 1, 2);
    assert_true(a >= 0 && a < 2 && b >= 0 && b < 2);
    assert_int_not_equal(a, b);
    for (int t = -1; t < 10; t++) {
        int o = sl_dist_owner("x", t, 3);
        assert_true(o >= 0 && o < 3);
        assert_int_equal(sl_dist_owner("x", t, 1), 0);
    }
    assert_int_equal(sl_dist_owner("x", 0, 0), -1);
}

static void test_offset_key(void **state)
{
    (void)state;
    char *k = sl_dist_offset_key("my \"src\"", "{\"filename\":\"/tmp/a\"}");
    assert_string_equal(k, "[\"my \\\"src\\\"\",{\"filename\":\"/tmp/a\"}]");
    free(k);
    sl_props_t *p = sl_props_new();
    sl_props_set(p, "b", "2", 0);
    sl_props_set(p, "a", "1", 0);
    char *text = sl_dist_props_text(p);
    assert_string_equal(text, "a=1\nb=2\n");
    free(text);
    char *json = sl_dist_props_json(p);
    assert_string_equal(json, "{\"properties\":{\"b\":\"2\",\"a\":\"1\"}}");
    free(json);
    sl_props_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_records),
        cmocka_unit_test(test_status_records),
        cmocka_unit_test(test_group_bytes),
        cmocka_unit_test(test_placement),
        cmocka_unit_test(test_offset_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
