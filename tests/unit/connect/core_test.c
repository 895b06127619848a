/*
 * core_test.c - the standalone worker's lifecycle without a broker:
 * statuses as the runtime reports them (RUNNING, PAUSED, FAILED,
 * UNASSIGNED), pause stopping the polls and resume starting them again,
 * restarts (all, only the failed, one task), replacing a config, deleting,
 * the read calls (list, config, tasks), the validation answer, and record
 * headers copied by the host's batch_add.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "connect_int.h"

static char dir[] = "/tmp/sl-connect-core-XXXXXX";
static char offsets[128], poll_file[128], fail_file[128];

static sl_props_t *props(const char *text)
{
    sl_props_t *p = NULL;
    assert_int_equal(sl_props_parse(text, strlen(text), "t", &p, NULL, 0), SL_OK);
    return p;
}

static sl_connect_worker_t *worker_with(const char *extra)
{
    char text[640];
    snprintf(text, sizeof(text), "bootstrap.servers=127.0.0.1:1\nconnect.plugin.path=%s,%s\n"
             "offset.storage.file.filename=%s\noffset.flush.interval.ms=50\n"
             "consumer.session.timeout.ms=6000\nconsumer.heartbeat.interval.ms=1000\n%s",
             SL_TEST_PLUGIN_DIR, SL_TEST_PLUGIN_DIR2, offsets, extra);
    sl_props_t *p = props(text);
    sl_connect_worker_t *w = NULL;
    char err[256] = "";
    assert_int_equal(sl_connect_worker_new(p, &w, err, sizeof(err)), SL_OK);
    sl_props_free(p);
    return w;
}

static sl_connect_worker_t *worker(void)
{
    return worker_with("");
}

static sl_err_t add(sl_connect_worker_t *w, const char *text)
{
    sl_props_t *p = props(text);
    char err[256] = "";
    sl_err_t rc = sl_connect_worker_add(w, p, err, sizeof(err));
    sl_props_free(p);
    return rc;
}

static void nap(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The state of connector name (task -1) or of one task, "" when none. */
static void state_of(sl_connect_worker_t *w, const char *name, int task, char *out, size_t len)
{
    sl_arena_t arena;
    sl_arena_init(&arena, 4096, 0);
    sl_connect_status_t st;
    *out = '\0';
    if (sl_connect_worker_status(w, name, &arena, &st) == SL_OK) {
        if (task < 0)
            snprintf(out, len, "%s", st.connector.state);
        else if ((size_t)task < st.task_count)
            snprintf(out, len, "%s", st.tasks[task].state);
    }
    sl_arena_fini(&arena);
}

/* Waits (at most 10 s) until the state is want; fails otherwise. */
static void wait_state(sl_connect_worker_t *w, const char *name, int task, const char *want)
{
    char got[32] = "";
    for (int i = 0; i < 1000; i++) {
        state_of(w, name, task, got, sizeof(got));
        if (strcmp(got, want) == 0)
            return;
        nap(10);
    }
    fail_msg("%s task %d: state %s, expected %s", name, task, got, want);
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

static void touch(const char *path)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
}

static void herder_runs_pauses_resumes_restarts_and_deletes(void **state)
{
    (void)state;
    sl_connect_worker_t *w = worker();
    assert_string_equal(sl_connect_worker_id(w), "127.0.0.1:8083");
    assert_false(sl_connect_worker_is_distributed(w));
    char text[512];
    snprintf(text, sizeof(text), "name=idle\nconnector.class=IdleSource\ntasks.max=2\n"
             "poll.file=%s\n", poll_file);
    assert_int_equal(add(w, text), SL_OK);
    wait_state(w, "idle", -1, "RUNNING");
    wait_state(w, "idle", 0, "RUNNING");
    wait_state(w, "idle", 1, "RUNNING");

    sl_arena_t arena;
    sl_arena_init(&arena, 4096, 0);
    sl_connect_status_t st;
    assert_int_equal(sl_connect_worker_status(w, "idle", &arena, &st), SL_OK);
    assert_string_equal(st.name, "idle");
    assert_string_equal(st.type, "source");
    assert_string_equal(st.connector.worker_id, "127.0.0.1:8083");
    assert_int_equal(st.task_count, 2);
    assert_null(st.tasks[1].trace);
    const char **names;
    size_t n;
    assert_int_equal(sl_connect_worker_list(w, &arena, &names, &n), SL_OK);
    assert_int_equal(n, 1);
    assert_string_equal(names[0], "idle");
    sl_connect_task_config_t *tasks;
    assert_int_equal(sl_connect_worker_tasks(w, "idle", &arena, &tasks, &n), SL_OK);
    assert_int_equal(n, 2);
    bool saw_id = false;
    for (size_t i = 0; i < tasks[1].count; i++)
        if (strcmp(tasks[1].keys[i], "task.id") == 0) {
            assert_string_equal(tasks[1].values[i], "1");
            saw_id = true;
        }
    assert_true(saw_id);
    sl_props_t *cfg = NULL;
    assert_int_equal(sl_connect_worker_config(w, "idle", &cfg), SL_OK);
    assert_string_equal(sl_props_get(cfg, "tasks.max"), "2");
    assert_null(sl_props_get(cfg, "fail.file"));   /* as given, not resolved */
    sl_props_free(cfg);
    sl_arena_fini(&arena);

    /* Paused: no more polls; nothing moves until resumed. */
    assert_int_equal(sl_connect_worker_pause(w, "idle", NULL, 0), SL_OK);
    assert_int_equal(sl_connect_worker_pause(w, "idle", NULL, 0), SL_OK);  /* idempotent */
    wait_state(w, "idle", -1, "PAUSED");
    wait_state(w, "idle", 0, "PAUSED");
    wait_state(w, "idle", 1, "PAUSED");
    nap(100);
    long size = file_size(poll_file);
    nap(300);
    assert_int_equal(file_size(poll_file), size);
    assert_int_equal(sl_connect_worker_resume(w, "idle", NULL, 0), SL_OK);
    wait_state(w, "idle", -1, "RUNNING");
    wait_state(w, "idle", 0, "RUNNING");
    wait_state(w, "idle", 1, "RUNNING");
    for (int i = 0; i < 500 && file_size(poll_file) == size; i++)
        nap(10);
    assert_true(file_size(poll_file) > size);

    /* Restarts of a running connector keep it running. */
    assert_int_equal(sl_connect_worker_restart(w, "idle", true, false, NULL, 0), SL_OK);
    wait_state(w, "idle", -1, "RUNNING");
    wait_state(w, "idle", 1, "RUNNING");
    assert_int_equal(sl_connect_worker_restart_task(w, "idle", 1, NULL, 0), SL_OK);
    wait_state(w, "idle", 1, "RUNNING");
    char err[256];
    assert_int_equal(sl_connect_worker_restart_task(w, "idle", 2, err, sizeof(err)), SL_ERR_NOENT);
    assert_int_equal(sl_connect_worker_restart(w, "nope", false, false, err, sizeof(err)),
                     SL_ERR_NOENT);
    assert_non_null(strstr(err, "nope"));

    /* A paused connector restarted stays paused. */
    assert_int_equal(sl_connect_worker_pause(w, "idle", NULL, 0), SL_OK);
    assert_int_equal(sl_connect_worker_restart(w, "idle", true, false, NULL, 0), SL_OK);
    wait_state(w, "idle", -1, "PAUSED");
    wait_state(w, "idle", 0, "PAUSED");

    assert_int_equal(sl_connect_worker_delete(w, "idle", NULL, 0), SL_OK);
    assert_int_equal(sl_connect_worker_delete(w, "idle", err, sizeof(err)), SL_ERR_NOENT);
    state_of(w, "idle", -1, err, sizeof(err));
    assert_string_equal(err, "");
    sl_arena_init(&arena, 4096, 0);
    assert_int_equal(sl_connect_worker_list(w, &arena, &names, &n), SL_OK);
    assert_int_equal(n, 0);
    sl_arena_fini(&arena);
    sl_connect_worker_free(w);
}

static void restart_only_failed_restarts_the_failed_tasks(void **state)
{
    (void)state;
    sl_connect_worker_t *w = worker();
    touch(fail_file);
    char text[512];
    snprintf(text, sizeof(text), "name=flaky\nconnector.class=IdleSource\ntasks.max=2\n"
             "fail.file=%s\n", fail_file);
    assert_int_equal(add(w, text), SL_OK);
    wait_state(w, "flaky", 0, "FAILED");
    wait_state(w, "flaky", 1, "FAILED");
    char why[256] = "";
    assert_string_equal(sl_connect_worker_task_state(w, "flaky", 0, why, sizeof(why)), "FAILED");
    assert_non_null(strstr(why, "poll failed (IO)"));
    assert_non_null(strstr(why, "exists"));
    wait_state(w, "flaky", -1, "RUNNING");   /* the connector itself is fine */
    unlink(fail_file);
    /* Without include_tasks nothing of the tasks moves. */
    assert_int_equal(sl_connect_worker_restart(w, "flaky", false, true, NULL, 0), SL_OK);
    wait_state(w, "flaky", 0, "FAILED");
    assert_int_equal(sl_connect_worker_restart(w, "flaky", true, true, NULL, 0), SL_OK);
    wait_state(w, "flaky", 0, "RUNNING");
    wait_state(w, "flaky", 1, "RUNNING");
    sl_connect_worker_free(w);
}

static void put_creates_replaces_and_checks_the_name(void **state)
{
    (void)state;
    sl_connect_worker_t *w = worker();
    sl_props_t *p = props("connector.class=IdleSource\ntasks.max=3\n");
    bool created = false;
    char err[256] = "";
    assert_int_equal(sl_connect_worker_put(w, "p", p, &created, err, sizeof(err)), SL_OK);
    assert_true(created);
    sl_props_free(p);
    wait_state(w, "p", 2, "RUNNING");
    sl_props_t *cfg = NULL;
    assert_int_equal(sl_connect_worker_config(w, "p", &cfg), SL_OK);
    assert_string_equal(sl_props_get(cfg, "name"), "p");
    sl_props_free(cfg);
    p = props("name=p\nconnector.class=IdleSource\ntasks.max=1\n");
    assert_int_equal(sl_connect_worker_put(w, "p", p, &created, err, sizeof(err)), SL_OK);
    assert_false(created);
    sl_props_free(p);
    wait_state(w, "p", 0, "RUNNING");
    sl_arena_t arena;
    sl_arena_init(&arena, 4096, 0);
    sl_connect_status_t st;
    assert_int_equal(sl_connect_worker_status(w, "p", &arena, &st), SL_OK);
    assert_int_equal(st.task_count, 1);
    sl_arena_fini(&arena);
    assert_int_equal(add(w, "name=p\nconnector.class=IdleSource\n"), SL_ERR_EXISTS);
    p = props("name=q\nconnector.class=IdleSource\n");
    assert_int_equal(sl_connect_worker_put(w, "p", p, NULL, err, sizeof(err)), SL_ERR_CONFIG);
    assert_non_null(strstr(err, "doesn't match"));
    sl_props_free(p);
    /* A refused replacement leaves the running connector alone. */
    p = props("name=p\nconnector.class=IdleSource\ntasks.max=0\n");
    assert_int_equal(sl_connect_worker_put(w, "p", p, NULL, err, sizeof(err)), SL_ERR_CONFIG);
    sl_props_free(p);
    wait_state(w, "p", 0, "RUNNING");
    sl_connect_worker_free(w);
}

static void a_sink_without_a_broker_runs_pauses_and_stops(void **state)
{
    (void)state;
    sl_connect_worker_t *w = worker();
    char text[512];
    snprintf(text, sizeof(text), "name=sink\nconnector.class=FileStreamSink\ntopics=t\n"
             "file=%s/sink.txt\n", dir);
    assert_int_equal(add(w, text), SL_OK);
    wait_state(w, "sink", 0, "RUNNING");
    assert_int_equal(sl_connect_worker_pause(w, "sink", NULL, 0), SL_OK);
    wait_state(w, "sink", 0, "PAUSED");
    assert_int_equal(sl_connect_worker_resume(w, "sink", NULL, 0), SL_OK);
    wait_state(w, "sink", 0, "RUNNING");
    sl_arena_t arena;
    sl_arena_init(&arena, 4096, 0);
    sl_connect_status_t st;
    assert_int_equal(sl_connect_worker_status(w, "sink", &arena, &st), SL_OK);
    assert_string_equal(st.type, "sink");
    sl_arena_fini(&arena);
    assert_int_equal(sl_connect_worker_delete(w, "sink", NULL, 0), SL_OK);
    snprintf(text, sizeof(text), "%s/sink.txt", dir);
    unlink(text);
    sl_connect_worker_free(w);
}

static const sl_connect_config_result_t *entry(const sl_connect_validation_t *v,
                                               const char *name)
{
    for (size_t i = 0; i < v->count; i++)
        if (strcmp(v->configs[i].name, name) == 0)
            return &v->configs[i];
    fail_msg("no validation entry %s", name);
    return NULL;
}

static void validate_answers_every_definition_with_its_errors(void **state)
{
    (void)state;
    sl_connect_worker_t *w = worker();
    sl_arena_t arena;
    sl_arena_init(&arena, 4096, 0);
    sl_connect_validation_t v;
    sl_props_t *p = props("connector.class=FileStreamSource\ntasks.max=0\nfile=/tmp/f\n"
                          "header.converter=com.example.Avro\n");
    assert_int_equal(sl_connect_worker_validate(w, "FileStreamSourceConnector", p, &arena, &v),
                     SL_OK);
    sl_props_free(p);
    assert_string_equal(v.class_name, "FileStreamSource");
    /* Common first, then the plugin's, then the pipeline's. */
    assert_string_equal(v.configs[0].name, "name");
    assert_string_equal(v.configs[0].group, "Common");
    const sl_connect_config_result_t *r = entry(&v, "name");
    assert_true(r->required);
    assert_int_equal(r->error_count, 1);
    r = entry(&v, "tasks.max");
    assert_string_equal(r->type, "INT");
    assert_string_equal(r->value, "0");
    assert_int_equal(r->error_count, 1);
    assert_non_null(strstr(r->errors[0], "tasks.max"));
    r = entry(&v, "connector.class");
    assert_string_equal(r->type, "CLASS");
    assert_int_equal(r->error_count, 0);
    r = entry(&v, "header.converter");
    assert_int_equal(r->error_count, 1);
    r = entry(&v, "topic");
    assert_string_equal(r->group, "FileStreamSource");
    assert_true(r->required);
    assert_int_equal(r->error_count, 1);
    assert_non_null(strstr(r->errors[0], "Missing required configuration \"topic\""));
    r = entry(&v, "file");
    assert_string_equal(r->value, "/tmp/f");
    assert_int_equal(r->error_count, 0);
    r = entry(&v, "batch.size");
    assert_string_equal(r->value, "2000");          /* the default */
    r = entry(&v, "exactly.once.support");
    assert_int_equal(r->error_count, 0);
    (void)entry(&v, "value.converter");
    assert_int_equal(v.error_count, 4);

    /* A sink: topics belong to the common part; a good config has none. */
    p = props("name=s\nconnector.class=FileStreamSink\ntopics=a, b\nfile=/tmp/o\n");
    assert_int_equal(sl_connect_worker_validate(w, "FileStreamSink", p, &arena, &v), SL_OK);
    sl_props_free(p);
    assert_int_equal(v.error_count, 0);
    assert_string_equal(entry(&v, "topics")->value, "a, b");
    size_t topics_entries = 0;
    for (size_t i = 0; i < v.count; i++)
        topics_entries += strcmp(v.configs[i].name, "topics") == 0;
    assert_int_equal(topics_entries, 1);
    p = props("name=s\nconnector.class=FileStreamSource\ntopics=\nfile=/tmp/o\n");
    assert_int_equal(sl_connect_worker_validate(w, "FileStreamSink", p, &arena, &v), SL_OK);
    sl_props_free(p);
    assert_int_equal(entry(&v, "topics")->error_count, 1);
    assert_int_equal(entry(&v, "connector.class")->error_count, 1);
    assert_int_equal(v.error_count, 2);

    /* exactly.once.support=required: the file source supports it, the
     * worker does not enable it. */
    p = props("name=x\nconnector.class=FileStreamSource\ntopic=t\nfile=/tmp/f\n"
              "exactly.once.support=required\n");
    assert_int_equal(sl_connect_worker_validate(w, "FileStreamSource", p, &arena, &v), SL_OK);
    assert_int_equal(v.error_count, 1);
    assert_non_null(strstr(entry(&v, "exactly.once.support")->errors[0],
                           "exactly.once.source.support"));
    char err[256] = "";
    assert_int_equal(sl_connect_worker_add(w, p, err, sizeof(err)), SL_ERR_CONFIG);
    assert_non_null(strstr(err, "exactly.once.source.support is not enabled"));
    sl_props_free(p);
    p = props("name=x\n");
    assert_int_equal(sl_connect_worker_validate(w, "JdbcSink", p, &arena, &v), SL_ERR_NOENT);
    sl_props_free(p);
    sl_connect_worker_free(w);

    /* Enabled on a standalone worker: the offsets file cannot take part in
     * transactions, so required is still refused, requested runs. */
    w = worker_with("exactly.once.source.support=enabled\n");
    p = props("name=x\nconnector.class=FileStreamSource\ntopic=t\nfile=/tmp/none\n"
              "exactly.once.support=required\n");
    assert_int_equal(sl_connect_worker_validate(w, "FileStreamSource", p, &arena, &v), SL_OK);
    assert_non_null(strstr(entry(&v, "exactly.once.support")->errors[0], "distributed mode"));
    assert_int_equal(sl_connect_worker_add(w, p, err, sizeof(err)), SL_ERR_CONFIG);
    assert_non_null(strstr(err, "cannot take part in transactions"));
    sl_props_free(p);
    p = props("name=x\nconnector.class=FileStreamSource\ntopic=t\nfile=/tmp/none\n"
              "exactly.once.support=requested\n");
    assert_int_equal(sl_connect_worker_add(w, p, err, sizeof(err)), SL_OK);
    sl_props_free(p);
    wait_state(w, "x", 0, "RUNNING");
    sl_arena_fini(&arena);
    sl_connect_worker_free(w);
}

static void batch_add_copies_the_headers(void **state)
{
    (void)state;
    const sl_connect_host_t *h = sl_connect_host();
    sl_connect_batch_t b = {.mem = sl_connect_mem_new()};
    char key[8] = "k1", val[8] = "v1";
    sl_connect_header_t hs[3] = {{key, val, 2}, {"null", NULL, 0}, {"empty", "", 0}};
    sl_connect_record_t rec = {.topic = "t", .partition = -1, .source_partition = "{}",
                               .source_offset = "{}", .headers = hs, .header_count = 3};
    assert_int_equal(h->batch_add(&b, &rec), SL_CONNECT_OK);
    strcpy(key, "XX");
    strcpy(val, "YY");
    const sl_connect_record_t *r = &b.recs[0];
    assert_int_equal(r->header_count, 3);
    assert_ptr_not_equal(r->headers, hs);
    assert_string_equal(r->headers[0].key, "k1");
    assert_int_equal(r->headers[0].value_len, 2);
    assert_memory_equal(r->headers[0].value, "v1", 2);
    assert_null(r->headers[1].value);
    assert_non_null(r->headers[2].value);
    assert_int_equal(r->headers[2].value_len, 0);
    sl_connect_header_t bad = {NULL, "x", 1};
    rec.headers = &bad;
    rec.header_count = 1;
    assert_int_equal(h->batch_add(&b, &rec), SL_CONNECT_EINVAL);
    assert_int_equal(b.count, 1);
    sl_connect_mem_free(b.mem);
    free(b.recs);
}

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(dir))
        return -1;
    snprintf(offsets, sizeof(offsets), "%s/offsets.json", dir);
    snprintf(poll_file, sizeof(poll_file), "%s/polls", dir);
    snprintf(fail_file, sizeof(fail_file), "%s/fail", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(offsets);
    unlink(poll_file);
    unlink(fail_file);
    rmdir(dir);
    return 0;
}

int main(void)
{
    sl_log_set_level(SL_LOG_OFF);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(herder_runs_pauses_resumes_restarts_and_deletes),
        cmocka_unit_test(restart_only_failed_restarts_the_failed_tasks),
        cmocka_unit_test(put_creates_replaces_and_checks_the_name),
        cmocka_unit_test(a_sink_without_a_broker_runs_pauses_and_stops),
        cmocka_unit_test(validate_answers_every_definition_with_its_errors),
        cmocka_unit_test(batch_add_copies_the_headers),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
