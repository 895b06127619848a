/*
 * file_source_test.c - the file connectors driven directly through their
 * vtables (no broker): the source emits complete lines with byte-position
 * offsets, waits for a line's end, resumes after a stored offset and
 * refuses a malformed one, splits `files` into one task per file; the sink
 * appends values as lines, flushes, and
 * cuts off a torn last line a crash left.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "connect_int.h"

static char dir[] = "/tmp/sl-connect-file-XXXXXX";
static char in_file[128], out_file[128], off_file[128];
static sl_connect_plugins_t *plugins;

static void append(const char *file, const char *text)
{
    FILE *f = fopen(file, "a");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static sl_connect_ctx_t *ctx_for(const sl_connect_plugin_t *p, const char *config,
                                 sl_connect_offset_store_t *os)
{
    sl_props_t *raw = NULL, *resolved = NULL;
    assert_int_equal(sl_props_parse(config, strlen(config), "t", &raw, NULL, 0), SL_OK);
    char err[256];
    assert_int_equal(sl_connect_config_validate(p->config_defs, p->config_def_count, raw,
                                                &resolved, err, sizeof(err)), SL_OK);
    sl_props_free(raw);
    sl_connect_ctx_t *ctx = sl_connect_ctx_new("fs-0", "fs", resolved, os);
    assert_non_null(ctx);
    return ctx;
}

static void poll_into(const sl_connect_plugin_t *p, void *task, sl_connect_batch_t *b)
{
    sl_connect_mem_reset(b->mem);
    b->count = 0;
    assert_int_equal(p->source->poll(task, b, 100, 0), SL_OK);
}

static void expect_line(const sl_connect_batch_t *b, size_t i, const char *line, const char *offset)
{
    assert_true(i < b->count);
    const sl_connect_record_t *r = &b->recs[i];
    assert_string_equal(r->topic, "lines");
    assert_int_equal(r->value->type, SL_CT_STRING);
    assert_string_equal(r->value->u.bytes.ptr, line);
    assert_string_equal(r->source_offset, offset);
    char want[200];
    snprintf(want, sizeof(want), "{\"filename\":\"%s\"}", in_file);
    assert_string_equal(r->source_partition, want);
}

static int setup(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(in_file, sizeof(in_file), "%s/in.txt", dir);
    snprintf(out_file, sizeof(out_file), "%s/out.txt", dir);
    snprintf(off_file, sizeof(off_file), "%s/offsets.json", dir);
    return sl_connect_plugins_load(SL_TEST_PLUGIN_DIR, &plugins, NULL, 0) == SL_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sl_connect_plugins_free(plugins);
    unlink(in_file);
    unlink(out_file);
    unlink(off_file);
    rmdir(dir);
    return 0;
}

static void file_source_emits_lines_and_resumes_after_the_stored_offset(void **state)
{
    (void)state;
    const sl_connect_plugin_t *p = sl_connect_plugins_find(plugins, "FileStreamSource");
    assert_non_null(p);
    char config[300];
    snprintf(config, sizeof(config), "file=%s\ntopic=lines\n", in_file);
    sl_connect_offset_store_t *os = NULL;
    assert_int_equal(sl_connect_offset_store_file(off_file, &os, NULL, 0), SL_OK);
    assert_null(os->ops->send_in_txn);
    sl_connect_ctx_t *ctx = ctx_for(p, config, os);
    sl_connect_batch_t b = {.mem = sl_connect_mem_new()};
    void *task = NULL;
    assert_int_equal(p->source->start(ctx, &task), SL_OK);
    poll_into(p, task, &b);                       /* no file yet: nothing */
    assert_int_equal(b.count, 0);
    append(in_file, "a\nb\r\nc");
    poll_into(p, task, &b);
    assert_int_equal(b.count, 2);                 /* "c" has no end yet */
    expect_line(&b, 0, "a", "{\"position\":2}");
    expect_line(&b, 1, "b", "{\"position\":5}");
    poll_into(p, task, &b);
    assert_int_equal(b.count, 0);
    append(in_file, "\n");
    poll_into(p, task, &b);
    assert_int_equal(b.count, 1);
    expect_line(&b, 0, "c", "{\"position\":7}");
    p->source->stop(task);
    sl_connect_ctx_free(ctx);

    /* Only "b" was acknowledged: a new task starts after it. */
    char partition[200];
    snprintf(partition, sizeof(partition), "{\"filename\":\"%s\"}", in_file);
    assert_int_equal(os->ops->set(os, "fs", partition, "{\"position\":5}"), SL_OK);
    assert_int_equal(os->ops->flush(os), SL_OK);
    os->ops->free(os);
    assert_int_equal(sl_connect_offset_store_file(off_file, &os, NULL, 0), SL_OK);
    ctx = ctx_for(p, config, os);
    assert_int_equal(p->source->start(ctx, &task), SL_OK);
    poll_into(p, task, &b);
    assert_int_equal(b.count, 1);
    expect_line(&b, 0, "c", "{\"position\":7}");
    p->source->stop(task);
    sl_connect_ctx_free(ctx);

    /* A stored offset that is not {"position":N} stops the start. */
    assert_int_equal(os->ops->set(os, "fs", partition, "{\"pos\":1}"), SL_OK);
    ctx = ctx_for(p, config, os);
    task = NULL;
    assert_int_equal(p->source->start(ctx, &task), SL_CONNECT_EPARSE);
    assert_non_null(strstr(ctx->err, "is not {\"position\":N}"));
    sl_connect_ctx_free(ctx);
    os->ops->free(os);
    sl_connect_mem_free(b.mem);
    free(b.recs);
}

static void offsets_file_refuses_malformed_content(void **state)
{
    (void)state;
    append(off_file, "garbage");
    sl_connect_offsets_t *os = NULL;
    char err[256];
    assert_int_equal(sl_connect_offsets_open(off_file, &os, err, sizeof(err)), SL_ERR_CONFIG);
    assert_non_null(strstr(err, off_file));
    unlink(off_file);
    append(off_file, "{\"c\":{\"p\":5}}");
    assert_int_equal(sl_connect_offsets_open(off_file, &os, err, sizeof(err)), SL_ERR_CONFIG);
    assert_non_null(strstr(err, "not an object of strings"));
    unlink(off_file);
}

static void file_sink_appends_values_as_lines_after_cutting_a_torn_one(void **state)
{
    (void)state;
    const sl_connect_plugin_t *p = sl_connect_plugins_find(plugins, "FileStreamSink");
    assert_non_null(p);
    char config[300];
    snprintf(config, sizeof(config), "file=%s\ntopics=lines\n", out_file);
    sl_connect_ctx_t *ctx = ctx_for(p, config, NULL);
    sl_connect_mem_t *mem = sl_connect_mem_new();
    const sl_connect_host_t *h = sl_connect_host();
    sl_connect_record_t recs[3] = {
        {.topic = "lines", .value = h->val_string(mem, "one", 3), .kafka_offset = 0},
        {.topic = "lines", .value = h->val_int(mem, SL_CT_INT64, 2), .kafka_offset = 1},
        {.topic = "lines", .value = NULL, .kafka_offset = 2},
    };
    /* A crash left "tor" without its newline: start cuts it off. */
    append(out_file, "zero\ntor");
    void *task = NULL;
    assert_int_equal(p->sink->start(ctx, &task), SL_OK);
    assert_int_equal(p->sink->put(task, recs, 3), SL_OK);
    sl_connect_tpo_t next = {"lines", 0, 3};
    assert_int_equal(p->sink->flush(task, &next, 1), SL_OK);
    sl_connect_record_t bad = {.topic = "lines", .value = h->val_new(mem, SL_CT_STRUCT)};
    assert_int_equal(p->sink->put(task, &bad, 1), SL_CONNECT_EINVAL);
    assert_non_null(strstr(ctx->err, "strings, bytes and scalars"));
    p->sink->stop(task);
    FILE *f = fopen(out_file, "r");
    assert_non_null(f);
    char text[64] = "";
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    assert_string_equal(text, "zero\none\n2\nnull\n");
    sl_connect_ctx_free(ctx);
    sl_connect_mem_free(mem);
}

/* connector_start and task_configs of config; returns task_configs' answer
 * (or connector_start's error) and the task files in files[]. */
static int split(const sl_connect_plugin_t *p, const char *config, int max, char files[][32])
{
    sl_connect_ctx_t *ctx = ctx_for(p, config, NULL);
    void *st = NULL;
    int rc = p->connector_start(ctx, &st);
    if (rc == SL_OK) {
        sl_props_t *cfgs[4] = {0};
        sl_connect_taskcfgs_t tc = {cfgs, 0, max};
        rc = p->task_configs(st, ctx, max, &tc);
        for (int i = 0; i < tc.count; i++) {
            snprintf(files[i], 32, "%s", sl_props_get(cfgs[i], "file"));
            sl_props_free(cfgs[i]);
        }
    }
    sl_connect_ctx_free(ctx);
    return rc;
}

static void file_source_runs_one_task_per_file(void **state)
{
    (void)state;
    const sl_connect_plugin_t *p = sl_connect_plugins_find(plugins, "FileStreamSource");
    char files[4][32];
    assert_int_equal(split(p, "topic=t\nfile=/a\n", 4, files), 1);
    assert_string_equal(files[0], "/a");
    assert_int_equal(split(p, "topic=t\nfiles= /a , /b,/c\n", 3, files), 3);
    assert_string_equal(files[0], "/a");
    assert_string_equal(files[1], "/b");
    assert_string_equal(files[2], "/c");
    assert_int_equal(split(p, "topic=t\nfiles=/a,/b,/c\n", 2, files), SL_CONNECT_ECONFIG);
    assert_int_equal(split(p, "topic=t\n", 2, files), SL_CONNECT_ECONFIG);
    assert_int_equal(split(p, "topic=t\nfile=/a\nfiles=/b\n", 2, files), SL_CONNECT_ECONFIG);
}

int main(void)
{
    sl_log_set_level(SL_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(file_source_emits_lines_and_resumes_after_the_stored_offset),
        cmocka_unit_test(offsets_file_refuses_malformed_content),
        cmocka_unit_test(file_source_runs_one_task_per_file),
        cmocka_unit_test(file_sink_appends_values_as_lines_after_cutting_a_torn_one),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
