/*
 * loader_test.c - plugins loaded from connect.plugin.path: the file
 * connectors load; plugins with a wrong ABI version, no entry symbol, no
 * descriptor, a failing init or no vtable are refused with a reason naming
 * the file, while the good ones load all the same.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "connect.h"

#define FILE_PLUGINS SL_TEST_PLUGIN_DIR "/file_source.so," SL_TEST_PLUGIN_DIR "/file_sink.so"

/* Fails unless a refusal mentions file and says why. */
static void expect_refusal(const sl_connect_plugins_t *ps, const char *file, const char *why)
{
    const char *e = NULL;
    for (size_t i = 0; i < sl_connect_plugins_error_count(ps) && !e; i++)
        if (strstr(sl_connect_plugins_error_at(ps, i), file))
            e = sl_connect_plugins_error_at(ps, i);
    assert_non_null(e);
    assert_non_null(strstr(e, why));
}

static void loader_loads_the_file_connectors(void **state)
{
    (void)state;
    sl_connect_plugins_t *ps = NULL;
    char err[256] = "";
    /* The folder holds other connectors too: the two files by name. */
    assert_int_equal(sl_connect_plugins_load(FILE_PLUGINS, &ps, err, sizeof(err)), SL_OK);
    assert_int_equal(sl_connect_plugins_count(ps), 2);
    assert_int_equal(sl_connect_plugins_error_count(ps), 0);
    const sl_connect_plugin_t *src = sl_connect_plugins_find(ps, "FileStreamSource");
    const sl_connect_plugin_t *sink = sl_connect_plugins_find(ps, "FileStreamSink");
    assert_non_null(src);
    assert_non_null(sink);
    assert_int_equal(src->kind, SL_CONNECT_SOURCE);
    assert_int_equal(sink->kind, SL_CONNECT_SINK);
    /* Kafka's full class names and the "Connector" suffix name them too. */
    assert_ptr_equal(sl_connect_plugins_find(ps, "org.apache.kafka.connect.file."
                                                 "FileStreamSourceConnector"), src);
    assert_ptr_equal(sl_connect_plugins_find(ps, "FileStreamSinkConnector"), sink);
    assert_null(sl_connect_plugins_find(ps, "FileStream"));
    assert_null(sl_connect_plugins_find(ps, "FileStreamSourceX"));
    sl_connect_plugins_free(ps);
}

static void loader_refuses_bad_plugins_and_keeps_the_good(void **state)
{
    (void)state;
    sl_connect_plugins_t *ps = NULL;
    char err[256] = "";
    assert_int_equal(sl_connect_plugins_load(SL_TEST_BAD_DIR "," FILE_PLUGINS, &ps, err,
                                             sizeof(err)), SL_OK);
    assert_int_equal(sl_connect_plugins_count(ps), 2);
    assert_int_equal(sl_connect_plugins_error_count(ps), 5);
    expect_refusal(ps, "connect_test_bad_abi.so", "ABI version 42");
    expect_refusal(ps, "connect_test_no_entry.so", "no entry symbol sl_connect_plugin_v1");
    expect_refusal(ps, "connect_test_null_desc.so", "returned no descriptor");
    expect_refusal(ps, "connect_test_init_fail.so",
                   "init of InitFailSource failed (CONFIG): the license file is missing");
    expect_refusal(ps, "connect_test_no_vtable.so", "a sink without sink task");
    assert_null(sl_connect_plugins_find(ps, "InitFailSource"));
    assert_non_null(sl_connect_plugins_find(ps, "FileStreamSink"));
    sl_connect_plugins_free(ps);
}

static void loader_refuses_a_class_loaded_twice(void **state)
{
    (void)state;
    sl_connect_plugins_t *ps = NULL;
    assert_int_equal(sl_connect_plugins_load(FILE_PLUGINS ":" SL_TEST_PLUGIN_DIR "/file_sink.so",
                                             &ps, NULL, 0), SL_OK);
    assert_int_equal(sl_connect_plugins_count(ps), 2);
    assert_int_equal(sl_connect_plugins_error_count(ps), 1);
    assert_non_null(strstr(sl_connect_plugins_error_at(ps, 0), "loaded already"));
    sl_connect_plugins_free(ps);
}

static void loader_refuses_a_file_that_is_not_a_library(void **state)
{
    (void)state;
    char dir[] = "/tmp/sl-connect-loader-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char file[128];
    snprintf(file, sizeof(file), "%s/garbage.so", dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs("not an ELF file\n", f);
    fclose(f);
    sl_connect_plugins_t *ps = NULL;
    assert_int_equal(sl_connect_plugins_load(dir, &ps, NULL, 0), SL_OK);
    assert_int_equal(sl_connect_plugins_count(ps), 0);
    assert_int_equal(sl_connect_plugins_error_count(ps), 1);
    assert_non_null(strstr(sl_connect_plugins_error_at(ps, 0), "cannot load"));
    sl_connect_plugins_free(ps);
    unlink(file);
    rmdir(dir);
}

static void loader_reports_a_missing_directory(void **state)
{
    (void)state;
    sl_connect_plugins_t *ps = (sl_connect_plugins_t *)1;
    char err[256] = "";
    assert_int_equal(sl_connect_plugins_load("/nonexistent/plugins", &ps, err, sizeof(err)),
                     SL_ERR_NOENT);
    assert_null(ps);
    assert_non_null(strstr(err, "/nonexistent/plugins does not exist"));
}

int main(void)
{
    sl_log_set_level(SL_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(loader_loads_the_file_connectors),
        cmocka_unit_test(loader_refuses_bad_plugins_and_keeps_the_good),
        cmocka_unit_test(loader_refuses_a_class_loaded_twice),
        cmocka_unit_test(loader_refuses_a_file_that_is_not_a_library),
        cmocka_unit_test(loader_reports_a_missing_directory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
