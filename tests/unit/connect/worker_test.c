/*
 * worker_test.c - the standalone worker without a broker: bad worker and
 * connector settings are refused with sentences naming the key; a task
 * whose plugin fails is reported FAILED with the plugin's reason while the
 * worker goes on; names are unique.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "connect.h"

static char dir[] = "/tmp/sl-connect-worker-XXXXXX";
static char offsets[128];

static sl_props_t *props(const char *text)
{
    sl_props_t *p = NULL;
    assert_int_equal(sl_props_parse(text, strlen(text), "t", &p, NULL, 0), SL_OK);
    return p;
}

static sl_err_t add(sl_connect_worker_t *w, const char *text, char *err, size_t len)
{
    sl_props_t *p = props(text);
    sl_err_t rc = sl_connect_worker_add(w, p, err, len);
    sl_props_free(p);
    return rc;
}

static sl_connect_worker_t *worker(void)
{
    char text[512];
    snprintf(text, sizeof(text), "bootstrap.servers=127.0.0.1:1\nconnect.plugin.path=%s,%s\n"
             "offset.storage.file.filename=%s\n", SL_TEST_PLUGIN_DIR, SL_TEST_PLUGIN_DIR2, offsets);
    sl_props_t *p = props(text);
    sl_connect_worker_t *w = NULL;
    char err[256] = "";
    assert_int_equal(sl_connect_worker_new(p, &w, err, sizeof(err)), SL_OK);
    sl_props_free(p);
    /* Other connectors may share the plugin folder: only these matter. */
    const sl_connect_plugins_t *ps = sl_connect_worker_plugins(w);
    assert_non_null(sl_connect_plugins_find(ps, "FileStreamSource"));
    assert_non_null(sl_connect_plugins_find(ps, "FileStreamSink"));
    assert_non_null(sl_connect_plugins_find(ps, "FailSource"));
    return w;
}

static void worker_refuses_missing_settings(void **state)
{
    (void)state;
    char err[256] = "";
    sl_connect_worker_t *w = NULL;
    sl_props_t *p = props("offset.storage.file.filename=/tmp/x\n");
    assert_int_equal(sl_connect_worker_new(p, &w, err, sizeof(err)), SL_ERR_CONFIG);
    assert_non_null(strstr(err, "connect.plugin.path"));
    sl_props_free(p);
    p = props("plugin.path=/nonexistent/dir\noffset.storage.file.filename=/tmp/x\n");
    assert_int_equal(sl_connect_worker_new(p, &w, err, sizeof(err)), SL_ERR_NOENT);
    assert_non_null(strstr(err, "/nonexistent/dir"));
    sl_props_free(p);
    p = props("plugin.path=/tmp\noffset.storage.file.filename=/tmp/x\n"
              "offset.flush.interval.ms=soon\n");
    assert_int_equal(sl_connect_worker_new(p, &w, err, sizeof(err)), SL_ERR_CONFIG);
    assert_non_null(strstr(err, "offset.flush.interval.ms"));
    sl_props_free(p);
    assert_null(w);
}

static void worker_refuses_bad_connector_configs(void **state)
{
    (void)state;
    sl_connect_worker_t *w = worker();
    char err[256] = "";
    assert_int_equal(add(w, "connector.class=FileStreamSource\n", err, sizeof(err)), SL_ERR_CONFIG);
    assert_non_null(strstr(err, "\"name\""));
    assert_int_equal(add(w, "name=a\nconnector.class=JdbcSource\n", err, sizeof(err)), SL_ERR_CONFIG);
    assert_non_null(strstr(err, "no plugin provides connector.class JdbcSource"));
    assert_int_equal(add(w, "name=a\nconnector.class=FileStreamSource\nfile=/tmp/f\n", err,
                         sizeof(err)), SL_ERR_CONFIG);
    assert_non_null(strstr(err, "Missing required configuration \"topic\""));
    assert_int_equal(add(w, "name=a\nconnector.class=FileStreamSink\ntopics=\n", err, sizeof(err)),
                     SL_ERR_CONFIG);
    assert_non_null(strstr(err, "a sink needs \"topics\""));
    assert_int_equal(add(w, "name=a\nconnector.class=FailSource\ntasks.max=0\n", err, sizeof(err)),
                     SL_ERR_CONFIG);
    assert_non_null(strstr(err, "tasks.max"));
    assert_int_equal(add(w, "name=a\nconnector.class=FailSource\nvalue.converter=avro\n", err,
                         sizeof(err)), SL_ERR_CONFIG);
    assert_non_null(strstr(err, "unknown converter \"avro\""));
    assert_null(sl_connect_worker_task_state(w, "a", 0, NULL, 0));
    sl_connect_worker_free(w);
}

static void worker_reports_a_failed_task_and_goes_on(void **state)
{
    (void)state;
    sl_connect_worker_t *w = worker();
    char err[256] = "";
    assert_int_equal(add(w, "name=f\nconnector.class=FailSource\ntasks.max=2\n", err, sizeof(err)),
                     SL_OK);
    assert_int_equal(add(w, "name=f\nconnector.class=FailSource\n", err, sizeof(err)), SL_ERR_EXISTS);
    for (int task = 0; task < 2; task++) {
        const char *st = NULL;
        char why[256] = "";
        for (int i = 0; i < 1000; i++) {  /* at most 10 s */
            st = sl_connect_worker_task_state(w, "f", task, why, sizeof(why));
            if (st && strcmp(st, "FAILED") == 0)
                break;
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        assert_non_null(st);
        assert_string_equal(st, "FAILED");
        char want[64];
        snprintf(want, sizeof(want), "poll failed (IO): the disk is on fire (task %d)", task);
        if (!strstr(why, want))
            fail_msg("task %d failed with \"%s\"", task, why);
    }
    assert_null(sl_connect_worker_task_state(w, "f", 2, NULL, 0));
    /* The worker still takes connectors. */
    assert_int_equal(add(w, "name=g\nconnector.class=FailSource\n", err, sizeof(err)), SL_OK);
    sl_connect_worker_free(w);
}

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(dir))
        return -1;
    snprintf(offsets, sizeof(offsets), "%s/offsets.json", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(offsets);
    rmdir(dir);
    return 0;
}

int main(void)
{
    sl_log_set_level(SL_LOG_OFF);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(worker_refuses_missing_settings),
        cmocka_unit_test(worker_refuses_bad_connector_configs),
        cmocka_unit_test(worker_reports_a_failed_task_and_goes_on),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
