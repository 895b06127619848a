/*
 * app_test.c - the application instance without a broker: config errors
 * (key, value and why in errbuf), the state directory and the instance's
 * process id kept across restarts, states before start, interactive
 * queries refused until RUNNING, cleanup.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "app_int.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/sl-app-test-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static sl_err_t count_init(sl_ctx_t *ctx, void **st, void *arg)
{
    (void)arg;
    *st = sl_ctx_store(ctx, "counts");
    return SL_OK;
}

static void count_process(sl_ctx_t *ctx, void *st, const sl_val_t *key, const sl_val_t *value)
{
    (void)ctx, (void)st, (void)key, (void)value;
}

static const sl_processor_def_t proc = {count_init, count_process, NULL};

static sl_topology_t *topology(void)
{
    sl_builder_t *b = sl_builder_new();
    sl_store_def_t store = {.name = "counts", .kind = SL_STORE_KV, .ks = SL_STRING, .vs = SL_I64, .logging = true};
    sl_builder_add_store(b, &store);
    sl_stream_t *s = sl_builder_stream(b, "in", "input", SL_STRING, SL_STRING);
    const char *stores[] = {"counts"};
    sl_stream_process(s, "count", &proc, NULL, stores, 1);
    sl_topology_t *t = NULL;
    char err[256];
    assert_int_equal(sl_topology_build(b, &t, err, sizeof(err)), SL_OK);
    sl_builder_free(b);
    return t;
}

static void expect_config_error(const sl_topology_t *t, const char *props, const char *want)
{
    sl_app_t *app = (sl_app_t *)1;
    char err[512] = "";
    assert_int_equal(sl_app_new(t, props, &app, err, sizeof(err)), SL_ERR_CONFIG);
    assert_null(app);
    if (!strstr(err, want))
        fail_msg("errbuf '%s' does not say '%s'", err, want);
}

static void test_config_errors(void **state)
{
    (void)state;
    sl_topology_t *t = topology();
    char props[512];
    expect_config_error(t, "bootstrap.servers=x:1\n", "application.id");
    expect_config_error(t, "application.id=a b\n", "application.id=a b");
    snprintf(props, sizeof(props), "application.id=a\nstate.dir=%s\nprocessing.guarantee=exactly_once\n", dir);
    expect_config_error(t, props, "processing.guarantee=exactly_once: at_least_once or exactly_once_v2");
    snprintf(props, sizeof(props), "application.id=a\nstate.dir=%s\nnum.stream.threads=0\n", dir);
    expect_config_error(t, props, "num.stream.threads=0");
    snprintf(props, sizeof(props), "application.id=a\nstate.dir=%s\ncommit.interval.ms=soon\n", dir);
    expect_config_error(t, props, "commit.interval.ms=soon");
    snprintf(props, sizeof(props), "application.id=a\nstate.dir=%s\nno.such.key=1\n", dir);
    expect_config_error(t, props, "no.such.key=1: unknown key");
    snprintf(props, sizeof(props), "application.id=a\nstate.dir=%s\nconsumer.fetch.min.bytes=-5\n", dir);
    expect_config_error(t, props, "fetch.min.bytes");
    snprintf(props, sizeof(props), "application.id=a\nstate.dir=%s\nreplication.factor=0\n", dir);
    expect_config_error(t, props, "replication.factor=0");
    snprintf(props, sizeof(props), "application.id=a\nstate.dir=%s\n"
             "default.deserialization.exception.handler=ignore\n", dir);
    expect_config_error(t, props, "logAndContinue or logAndFail");
    sl_topology_free(t);
}

static void test_state_dir_and_process_id(void **state)
{
    (void)state;
    sl_topology_t *t = topology();
    char props[512], err[256], path[400];
    snprintf(props, sizeof(props),
             "application.id=app-1\nstate.dir=%s/deep/er\nnum.stream.threads=3\nsession.timeout.ms=6000\n"
             "producer.linger.ms=5\n",
             dir);
    sl_app_t *app = NULL;
    assert_int_equal(sl_app_new(t, props, &app, err, sizeof(err)), SL_OK);
    assert_int_equal(app->num_threads, 3);
    assert_false(app->eos);
    assert_int_equal(app->commit_interval_ms, 30000);
    assert_int_equal(sl_app_state(app), SL_APP_CREATED);
    assert_string_equal(sl_app_state_name(sl_app_state(app)), "CREATED");
    snprintf(path, sizeof(path), "%s/deep/er/app-1/process.id", dir);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    uint8_t first[16];
    memcpy(first, app->process, 16);
    /* queries before RUNNING */
    sl_arena_t ar;
    sl_arena_init(&ar, 0, 0);
    sl_val_t k = sl_val_str_ref("x", 1), v;
    assert_int_equal(sl_app_kv_get(app, "counts", &k, &ar, &v), SL_ERR_STATE);
    assert_int_equal(sl_app_kv_get(app, "nope", &k, &ar, &v), SL_ERR_NOENT);
    sl_app_query_release(&ar);
    sl_arena_fini(&ar);
    sl_app_free(app);
    /* the same instance after a restart; exactly-once's commit interval */
    snprintf(props, sizeof(props), "application.id=app-1\nstate.dir=%s/deep/er\nprocessing.guarantee=exactly_once_v2\n",
             dir);
    assert_int_equal(sl_app_new(t, props, &app, err, sizeof(err)), SL_OK);
    assert_memory_equal(app->process, first, 16);
    assert_true(app->eos);
    assert_int_equal(app->commit_interval_ms, 100);
    /* cleanup removes the directory (and so the process id) */
    assert_int_equal(sl_app_cleanup(app), SL_OK);
    assert_int_not_equal(stat(path, &sb), 0);
    sl_app_free(app);
    sl_topology_free(t);
}

static void test_state_dir_not_writable(void **state)
{
    (void)state;
    sl_topology_t *t = topology();
    char props[512], err[512] = "", path[300];
    snprintf(path, sizeof(path), "%s/file", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    snprintf(props, sizeof(props), "application.id=x\nstate.dir=%s\n", path);
    sl_app_t *app = NULL;
    assert_int_equal(sl_app_new(t, props, &app, err, sizeof(err)), SL_ERR_IO);
    assert_non_null(strstr(err, "state.dir"));
    sl_topology_free(t);
}

static void test_start_without_broker_fails_clearly(void **state)
{
    (void)state;
    sl_topology_t *t = topology();
    char props[512], err[512] = "";
    /* a port nothing listens on; the admin call gives up after its timeout */
    snprintf(props, sizeof(props),
             "application.id=nobroker\nstate.dir=%s\nbootstrap.servers=127.0.0.1:1\n"
             "admin.request.timeout.ms=1500\n", dir);
    sl_app_t *app = NULL;
    assert_int_equal(sl_app_new(t, props, &app, err, sizeof(err)), SL_OK);
    assert_int_not_equal(sl_app_start(app, err, sizeof(err)), SL_OK);
    assert_true(strlen(err) > 0);
    assert_int_equal(sl_app_state(app), SL_APP_ERROR);
    assert_int_equal(sl_app_start(app, err, sizeof(err)), SL_ERR_STATE);
    assert_int_equal(sl_app_close(app, 5000), SL_OK);
    sl_app_free(app);
    sl_topology_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_config_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_dir_and_process_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_dir_not_writable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_without_broker_fails_clearly, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
