/*
 * config_meta_test.c - topic names (Kafka's rules, the '.'/'_' collision
 * rule) and the topic metadata files: round trip, replacement, removal,
 * and damaged files skipped without stopping the others.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

static char dir[64];
static char logbuf[32768];
static size_t loglen;

static void sink(void *ctx, sl_log_level_t level, const char *line, size_t len)
{
    (void)ctx;
    (void)level;
    if (loglen + len + 2 < sizeof logbuf) {
        memcpy(logbuf + loglen, line, len);
        loglen += len;
        logbuf[loglen++] = '\n';
        logbuf[loglen] = '\0';
    }
}

static void rm_tree(const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        unlink(path);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char sub[1024];
        snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
        rm_tree(sub);
    }
    closedir(d);
    rmdir(path);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/sl-metatest-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    loglen = 0;
    logbuf[0] = '\0';
    sl_log_set_sink(sink, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rm_tree(dir);
    sl_log_set_sink(NULL, NULL);
    return 0;
}

/* ---- names ------------------------------------------------------------- */

static void topic_name_rules(void **state)
{
    (void)state;
    char name[300], err[512];
    memset(name, 'a', sizeof name);
    assert_int_equal(sl_topic_name_check(name, 249, err, sizeof err), SL_OK);
    assert_int_equal(sl_topic_name_check(name, 250, err, sizeof err), SL_ERR_INVALID_TOPIC_EXCEPTION);
    assert_non_null(strstr(err, "is 250 characters long; at most 249 are allowed"));
    assert_int_equal(sl_topic_name_check("", 0, err, sizeof err), SL_ERR_INVALID_TOPIC_EXCEPTION);
    assert_string_equal(err, "topic name is empty");
    assert_int_equal(sl_topic_name_check(".", 1, err, sizeof err), SL_ERR_INVALID_TOPIC_EXCEPTION);
    assert_string_equal(err, "topic name cannot be '.' or '..'");
    assert_int_equal(sl_topic_name_check("..", 2, err, sizeof err), SL_ERR_INVALID_TOPIC_EXCEPTION);
    assert_int_equal(sl_topic_name_check("...", 3, err, sizeof err), SL_OK);
    assert_int_equal(sl_topic_name_check("Orders_v2.eu-west-1", 19, err, sizeof err), SL_OK);
    assert_int_equal(sl_topic_name_check("a b", 3, err, sizeof err), SL_ERR_INVALID_TOPIC_EXCEPTION);
    assert_string_equal(err, "topic name 'a b' has byte 0x20 at position 1; only ASCII letters, digits, "
                             "'.', '_' and '-' are allowed");
    assert_int_equal(sl_topic_name_check("../etc", 6, err, sizeof err), SL_ERR_INVALID_TOPIC_EXCEPTION);
    assert_int_equal(sl_topic_name_check("caf\xc3\xa9", 5, err, sizeof err), SL_ERR_INVALID_TOPIC_EXCEPTION);
    assert_non_null(strstr(err, "'caf\\xc3\\xa9' has byte 0xc3 at position 3"));
    assert_int_equal(sl_topic_name_check("a\0b", 3, err, sizeof err), SL_ERR_INVALID_TOPIC_EXCEPTION);
    assert_int_equal(sl_topic_name_check("a\nb", 3, err, sizeof err), SL_ERR_INVALID_TOPIC_EXCEPTION);
    assert_null(strchr(err, '\n'));
    /* Not NUL-terminated: only len bytes are read. */
    assert_int_equal(sl_topic_name_check("abc!", 3, err, sizeof err), SL_OK);
    assert_int_equal(sl_topic_name_check(NULL, 0, NULL, 0), SL_ERR_INVALID_TOPIC_EXCEPTION);
}

static void dot_and_underscore_collide(void **state)
{
    (void)state;
    assert_true(sl_topic_name_collides("a.b", "a_b"));
    assert_true(sl_topic_name_collides("a_b", "a.b"));
    assert_true(sl_topic_name_collides("a.b_c", "a_b.c"));
    assert_true(sl_topic_name_collides("same", "same"));
    assert_false(sl_topic_name_collides("a.b", "a.c"));
    assert_false(sl_topic_name_collides("a.b", "a.bb"));
    assert_false(sl_topic_name_collides("a-b", "a_b"));
}

/* ---- files ------------------------------------------------------------- */

typedef struct loaded {
    int n;
    sl_topic_meta_t m[8];
} loaded_t;

static void on_topic(void *arg, sl_topic_meta_t *meta)
{
    loaded_t *l = arg;
    assert_non_null(meta->overrides);
    if (l->n < 8)
        l->m[l->n++] = *meta;
    else
        sl_props_free(meta->overrides);
}

static void loaded_free(loaded_t *l)
{
    for (int i = 0; i < l->n; i++)
        sl_props_free(l->m[i].overrides);
    l->n = 0;
}

static sl_topic_meta_t make_meta(const char *name, uint8_t seed, int32_t partitions)
{
    sl_topic_meta_t m;
    memset(&m, 0, sizeof m);
    snprintf(m.name, sizeof m.name, "%s", name);
    for (int i = 0; i < 16; i++)
        m.id[i] = (uint8_t)(seed * 16 + i);
    m.partitions = partitions;
    m.overrides = sl_props_new();
    assert_non_null(m.overrides);
    return m;
}

static void write_raw(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/.sluice/topics/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void meta_round_trip(void **state)
{
    (void)state;
    char longname[250];
    memset(longname, 'z', 249);
    longname[249] = '\0';
    sl_topic_meta_t a = make_meta("orders", 1, 12);
    assert_int_equal(sl_props_set(a.overrides, "retention.ms", "86400000", 0), SL_OK);
    assert_int_equal(sl_props_set(a.overrides, "cleanup.policy", "compact,delete", 0), SL_OK);
    assert_int_equal(sl_props_set(a.overrides, "leader.replication.throttled.replicas", "0:1,1:1", 0), SL_OK);
    sl_topic_meta_t b = make_meta(longname, 2, 1);
    sl_topic_meta_t c = make_meta("a.b_c-D", 3, 3);
    assert_int_equal(sl_topic_meta_save(dir, &a), SL_OK);
    assert_int_equal(sl_topic_meta_save(dir, &b), SL_OK);
    assert_int_equal(sl_topic_meta_save(dir, &c), SL_OK);

    static loaded_t l;
    memset(&l, 0, sizeof l);
    assert_int_equal(sl_topic_meta_load_all(dir, on_topic, &l), SL_OK);
    assert_int_equal(l.n, 3);
    /* name order */
    assert_string_equal(l.m[0].name, "a.b_c-D");
    assert_string_equal(l.m[1].name, "orders");
    assert_string_equal(l.m[2].name, longname);
    assert_memory_equal(l.m[1].id, a.id, 16);
    assert_memory_equal(l.m[2].id, b.id, 16);
    assert_int_equal(l.m[1].partitions, 12);
    assert_int_equal(l.m[0].partitions, 3);
    assert_int_equal(sl_props_count(l.m[1].overrides), 3);
    assert_string_equal(sl_props_get(l.m[1].overrides, "retention.ms"), "86400000");
    assert_string_equal(sl_props_get(l.m[1].overrides, "cleanup.policy"), "compact,delete");
    assert_string_equal(sl_props_get(l.m[1].overrides, "leader.replication.throttled.replicas"), "0:1,1:1");
    assert_int_equal(sl_props_count(l.m[0].overrides), 0);
    loaded_free(&l);

    /* Saving again replaces the file (partitions grown, override dropped). */
    a.partitions = 20;
    sl_props_free(a.overrides);
    a.overrides = NULL;
    assert_int_equal(sl_topic_meta_save(dir, &a), SL_OK);
    assert_int_equal(sl_topic_meta_load_all(dir, on_topic, &l), SL_OK);
    assert_int_equal(l.n, 3);
    assert_int_equal(l.m[1].partitions, 20);
    assert_int_equal(sl_props_count(l.m[1].overrides), 0);
    loaded_free(&l);

    /* No temporary files are left behind. */
    char tdir[256];
    snprintf(tdir, sizeof tdir, "%s/.sluice/topics", dir);
    DIR *d = opendir(tdir);
    assert_non_null(d);
    struct dirent *de;
    int files = 0;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' && (de->d_name[1] == '\0' || strcmp(de->d_name, "..") == 0))
            continue;
        assert_null(strstr(de->d_name, ".tmp-"));
        files++;
    }
    closedir(d);
    assert_int_equal(files, 3);
    sl_props_free(b.overrides);
    sl_props_free(c.overrides);
}

static void values_with_special_characters_survive(void **state)
{
    (void)state;
    /* The file writer escapes what .properties would otherwise mangle, even
     * though checked topic values never contain such bytes. */
    sl_topic_meta_t a = make_meta("t", 1, 1);
    assert_int_equal(sl_props_set(a.overrides, "compression.type", " lz4\\x\n#y\t=:", 0), SL_OK);
    assert_int_equal(sl_topic_meta_save(dir, &a), SL_OK);
    sl_props_free(a.overrides);
    /* the value fails the check on load, so it is dropped with a warning */
    static loaded_t l;
    memset(&l, 0, sizeof l);
    assert_int_equal(sl_topic_meta_load_all(dir, on_topic, &l), SL_OK);
    assert_int_equal(l.n, 1);
    assert_int_equal(sl_props_count(l.m[0].overrides), 0);
    assert_non_null(strstr(logbuf, "topic config dropped: compression.type: 'lz4\\x\\x0a#y\\x09=:' is not one of"));
    loaded_free(&l);
    /* Read the raw file back with the properties parser: exact value. */
    char path[256], err[256];
    snprintf(path, sizeof path, "%s/.sluice/topics/t.meta", dir);
    sl_props_t *p;
    a = make_meta("t", 1, 1);
    assert_int_equal(sl_props_set(a.overrides, "compression.type", " lz4\\x\n#y\t=:", 0), SL_OK);
    assert_int_equal(sl_topic_meta_save(dir, &a), SL_OK);
    assert_int_equal(sl_props_load(path, &p, err, sizeof err), SL_OK);
    assert_string_equal(sl_props_get(p, "config.compression.type"), " lz4\\x\n#y\t=:");
    assert_string_equal(sl_props_get(p, "topic"), "t");
    assert_string_equal(sl_props_get(p, "topic.id"), "101112131415161718191a1b1c1d1e1f");
    sl_props_free(p);
    sl_props_free(a.overrides);
}

static void damaged_files_are_skipped(void **state)
{
    (void)state;
    sl_topic_meta_t good = make_meta("good", 4, 2);
    assert_int_equal(sl_props_set(good.overrides, "retention.ms", "1000", 0), SL_OK);
    assert_int_equal(sl_topic_meta_save(dir, &good), SL_OK);
    sl_props_free(good.overrides);

    write_raw("syntax.meta", "topic.id=00000000000000000000000000000001\npartitions=1\nbad=\\u12\n");
    write_raw("noparts.meta", "topic.id=00000000000000000000000000000001\n");
    write_raw("zeroparts.meta", "topic.id=00000000000000000000000000000001\npartitions=0\n");
    write_raw("hugeparts.meta", "topic.id=00000000000000000000000000000001\npartitions=99999999999\n");
    write_raw("badid.meta", "topic.id=0000000000000000000000000000000g\npartitions=1\n");
    write_raw("shortid.meta", "topic.id=00\npartitions=1\n");
    write_raw("other.meta", "topic=another\ntopic.id=00000000000000000000000000000001\npartitions=1\n");
    write_raw("bad name.meta", "topic.id=00000000000000000000000000000001\npartitions=1\n");
    write_raw("binary.meta", "\xff\xfe\x00garbage");
    write_raw(".tmp-abc123", "partial");
    write_raw("notes.txt", "not a topic");
    write_raw("kept.meta", "topic.id=000102030405060708090a0b0c0d0e0f\npartitions=5\n"
                           "config.retention.ms=abc\nconfig.future.setting=1\nconfig.segment.ms=60000\n"
                           "extra=1\n");

    static loaded_t l;
    memset(&l, 0, sizeof l);
    assert_int_equal(sl_topic_meta_load_all(dir, on_topic, &l), SL_OK);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.m[0].name, "good");
    assert_string_equal(sl_props_get(l.m[0].overrides, "retention.ms"), "1000");
    assert_string_equal(l.m[1].name, "kept");
    assert_int_equal(l.m[1].partitions, 5);
    assert_int_equal(l.m[1].id[15], 0x0f);
    assert_int_equal(sl_props_count(l.m[1].overrides), 1);
    assert_string_equal(sl_props_get(l.m[1].overrides, "segment.ms"), "60000");
    loaded_free(&l);

    assert_non_null(strstr(logbuf, "syntax.meta: skipped"));
    assert_non_null(strstr(logbuf, "noparts.meta: skipped: partitions is missing"));
    assert_non_null(strstr(logbuf, "zeroparts.meta: skipped"));
    assert_non_null(strstr(logbuf, "hugeparts.meta: skipped"));
    assert_non_null(strstr(logbuf, "badid.meta: skipped: topic.id"));
    assert_non_null(strstr(logbuf, "shortid.meta: skipped: topic.id"));
    assert_non_null(strstr(logbuf, "other.meta: skipped: the topic inside differs"));
    assert_non_null(strstr(logbuf, "bad name.meta: skipped: file name is not a topic name"));
    assert_non_null(strstr(logbuf, "binary.meta: skipped"));
    assert_non_null(strstr(logbuf, "kept.meta:3: topic config dropped: retention.ms: not a whole number: 'abc'"));
    assert_non_null(strstr(logbuf, "kept.meta:4: topic config dropped: Unknown topic config name: future.setting"));
    assert_non_null(strstr(logbuf, "kept.meta:6: unknown key 'extra' ignored"));
    assert_non_null(strstr(logbuf, "removing unfinished"));
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s/.sluice/topics/.tmp-abc123", dir);
    assert_int_not_equal(access(tmp, F_OK), 0);
}

static void remove_and_bad_arguments(void **state)
{
    (void)state;
    sl_topic_meta_t a = make_meta("gone", 1, 1);
    assert_int_equal(sl_topic_meta_save(dir, &a), SL_OK);
    assert_int_equal(sl_topic_meta_remove(dir, "gone"), SL_OK);
    assert_int_equal(sl_topic_meta_remove(dir, "gone"), SL_ERR_NOENT);
    static loaded_t l;
    memset(&l, 0, sizeof l);
    assert_int_equal(sl_topic_meta_load_all(dir, on_topic, &l), SL_OK);
    assert_int_equal(l.n, 0);

    assert_int_equal(sl_topic_meta_remove(dir, "../x"), SL_ERR_INVALID_TOPIC_EXCEPTION);
    assert_int_equal(sl_topic_meta_remove(dir, ".."), SL_ERR_INVALID_TOPIC_EXCEPTION);
    snprintf(a.name, sizeof a.name, "../escape");
    assert_int_equal(sl_topic_meta_save(dir, &a), SL_ERR_INVALID_TOPIC_EXCEPTION);
    memset(a.name, 'x', sizeof a.name); /* not NUL-terminated */
    assert_int_equal(sl_topic_meta_save(dir, &a), SL_ERR_INVALID_TOPIC_EXCEPTION);
    snprintf(a.name, sizeof a.name, "ok");
    a.partitions = 0;
    assert_int_equal(sl_topic_meta_save(dir, &a), SL_ERR_INVAL);
    a.partitions = 1;
    assert_int_equal(sl_topic_meta_save("", &a), SL_ERR_INVAL);
    /* A file where the directory should be. */
    char file[256];
    snprintf(file, sizeof file, "%s/plainfile", dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(sl_topic_meta_save(file, &a), SL_ERR_IO);
    sl_props_free(a.overrides);
}

static void load_of_new_directory_finds_nothing(void **state)
{
    (void)state;
    static loaded_t l;
    memset(&l, 0, sizeof l);
    char sub[256];
    snprintf(sub, sizeof sub, "%s/never-created", dir);
    assert_int_equal(sl_topic_meta_load_all(sub, on_topic, &l), SL_OK);
    assert_int_equal(sl_topic_meta_load_all(dir, on_topic, &l), SL_OK);
    assert_int_equal(l.n, 0);
    /* save creates the whole path */
    sl_topic_meta_t a = make_meta("first", 1, 1);
    assert_int_equal(sl_topic_meta_save(sub, &a), SL_OK);
    assert_int_equal(sl_topic_meta_load_all(sub, on_topic, &l), SL_OK);
    assert_int_equal(l.n, 1);
    loaded_free(&l);
    sl_props_free(a.overrides);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(topic_name_rules),
        cmocka_unit_test(dot_and_underscore_collide),
        cmocka_unit_test_setup_teardown(meta_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(values_with_special_characters_survive, setup, teardown),
        cmocka_unit_test_setup_teardown(damaged_files_are_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(remove_and_bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(load_of_new_directory_finds_nothing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
