/*
 * store_kv_test.c - the key-value store on bytes (store_int.h) and the
 * task's LMDB environment: put/get/delete, key order in ranges, changelog
 * records, restore, reopen after commit, bad directories and files.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "store_fixture.h"

static void test_put_get_delete(void **state)
{
    SL_UNUSED(state);
    sf_t *f = sf_new();
    sl_store_t *s = sf_store(f, "counts", SL_STORE_KV, false, 0, 0, false);
    assert_int_equal(sl_store_kind(s), SL_STORE_KV);
    assert_string_equal(sl_store_name(s), "counts");
    assert_string_equal(sl_store_def(s)->name, "counts");
    assert_null(sf_get(s, "a"));
    assert_int_equal(sf_put(s, "a", "1"), SL_OK);
    assert_string_equal(sf_get(s, "a"), "1");
    assert_int_equal(sf_put(s, "a", "22"), SL_OK);
    assert_string_equal(sf_get(s, "a"), "22");
    assert_int_equal(sf_put(s, "", "empty key"), SL_OK);
    assert_string_equal(sf_get(s, ""), "empty key");
    assert_int_equal(sf_put(s, "z", ""), SL_OK);
    assert_string_equal(sf_get(s, "z"), "");
    assert_int_equal(sl_store_approx_count(s), 3);
    assert_int_equal(sf_put(s, "a", NULL), SL_OK);
    assert_null(sf_get(s, "a"));
    assert_int_equal(sf_put(s, "never", NULL), SL_OK); /* deleting nothing is fine */
    assert_int_equal(sl_store_approx_count(s), 2);
    /* no cache: no listener */
    assert_false(sl_store_set_flush_listener(s, NULL, NULL));
    assert_int_equal(sl_store_flush(s), SL_OK);
    sl_store_close(s);
    sf_free(f);
}

static void test_range_order(void **state)
{
    SL_UNUSED(state);
    sf_t *f = sf_new();
    sl_store_t *s = sf_store(f, "kv", SL_STORE_KV, false, 0, 0, false);
    const char *keys[] = {"b", "a", "ab", "c", "B", "aa", "b\x01"};
    for (size_t i = 0; i < SL_ARRAY_LEN(keys); i++)
        assert_int_equal(sf_put(s, keys[i], "v"), SL_OK);
    /* byte order: "B" < "a" < "aa" < "ab" < "b" < "b\1" < "c" */
    assert_string_equal(sf_range(s, NULL, NULL, -1), "B=v;a=v;aa=v;ab=v;b=v;b\x01=v;c=v;");
    assert_string_equal(sf_range(s, "a", "b", -1), "a=v;aa=v;ab=v;b=v;");
    assert_string_equal(sf_range(s, "aa", NULL, -1), "aa=v;ab=v;b=v;b\x01=v;c=v;");
    assert_string_equal(sf_range(s, NULL, "a", -1), "B=v;a=v;");
    assert_string_equal(sf_range(s, "ac", "az", -1), "");
    assert_string_equal(sf_range(s, "c", "a", -1), "");
    assert_string_equal(sf_range(s, NULL, NULL, 2), "B=v;a=v;");
    sl_store_close(s);
    sf_free(f);
}

static void test_stores_are_separate(void **state)
{
    SL_UNUSED(state);
    sf_t *f = sf_new();
    sl_store_t *a = sf_store(f, "a", SL_STORE_KV, false, 0, 0, false);
    sl_store_t *b = sf_store(f, "b", SL_STORE_KV, false, 0, 0, false);
    assert_int_equal(sf_put(a, "k", "in a"), SL_OK);
    assert_int_equal(sf_put(b, "k", "in b"), SL_OK);
    assert_string_equal(sf_get(a, "k"), "in a");
    assert_string_equal(sf_get(b, "k"), "in b");
    assert_string_equal(sf_range(a, NULL, NULL, -1), "k=in a;");
    sl_store_close(a);
    sl_store_close(b);
    sf_free(f);
}

static void test_changelog_records(void **state)
{
    SL_UNUSED(state);
    sf_t *f = sf_new();
    sl_store_t *s = sf_store(f, "logged", SL_STORE_KV, true, 0, 0, false);
    assert_int_equal(sf_put(s, "k1", "v1"), SL_OK);
    assert_int_equal(sf_put(s, "k1", NULL), SL_OK);
    assert_int_equal(f->n_recs, 2);
    assert_string_equal(f->recs[0].topic, "logged-changelog");
    assert_int_equal(f->recs[0].partition, 3);
    assert_int_equal(f->recs[0].klen, 2);
    assert_memory_equal(f->recs[0].key, "k1", 2);
    assert_int_equal(f->recs[0].vlen, 2);
    assert_memory_equal(f->recs[0].val, "v1", 2);
    assert_int_equal(f->recs[0].ts, 7);
    assert_int_equal(f->recs[1].vlen, -1); /* a delete is a tombstone */
    sl_store_close(s);
    sf_free(f);
}

static void test_restore_reproduces(void **state)
{
    SL_UNUSED(state);
    sf_t *f = sf_new();
    sl_store_t *s = sf_store(f, "src", SL_STORE_KV, true, 0, 0, false);
    char k[16], v[16];
    for (int i = 0; i < 200; i++) {
        snprintf(k, sizeof(k), "key%03d", i % 50);
        snprintf(v, sizeof(v), "v%d", i);
        assert_int_equal(sf_put(s, k, i % 7 == 0 ? NULL : v), SL_OK);
    }
    sl_store_t *r = sf_store(f, "copy", SL_STORE_KV, true, 0, 0, false);
    size_t logged = f->n_recs;
    for (size_t i = 0; i < logged; i++) {
        sf_rec_t *rec = &f->recs[i];
        assert_int_equal(sl_store_restore(r, rec->key, rec->klen, rec->vlen < 0 ? NULL : rec->val, rec->vlen),
                         SL_OK);
    }
    assert_int_equal(f->n_recs, logged); /* restoring logs nothing */
    char want[1024];
    snprintf(want, sizeof(want), "%s", sf_range(s, NULL, NULL, -1));
    assert_true(strlen(want) > 100);
    assert_string_equal(sf_range(r, NULL, NULL, -1), want);
    assert_int_equal(sl_store_restore(r, NULL, -1, "x", 1), SL_ERR_PARSE);
    sl_store_close(s);
    sl_store_close(r);
    sf_free(f);
}

static void test_reopen_after_commit(void **state)
{
    SL_UNUSED(state);
    sf_t *f = sf_new();
    sl_store_t *s = sf_store(f, "kept", SL_STORE_KV, false, 0, 0, false);
    assert_int_equal(sf_put(s, "committed", "yes"), SL_OK);
    assert_int_equal(sl_state_commit(f->st), SL_OK);
    assert_int_equal(sl_state_sync(f->st), SL_OK);
    assert_int_equal(sf_put(s, "uncommitted", "lost"), SL_OK);
    sl_store_close(s);
    /* closing without a commit drops the open transaction */
    sl_state_close(f->st);
    assert_int_equal(sl_state_open(f->dir, &f->st), SL_OK);
    s = sf_store(f, "kept", SL_STORE_KV, false, 0, 0, false);
    assert_string_equal(sf_get(s, "committed"), "yes");
    assert_null(sf_get(s, "uncommitted"));
    sl_store_close(s);
    sf_reopen(f);
    s = sf_store(f, "kept", SL_STORE_KV, false, 0, 0, false);
    assert_string_equal(sf_get(s, "committed"), "yes");
    sl_store_close(s);
    sf_free(f);
}

static void test_reads_follow_commits(void **state)
{
    SL_UNUSED(state);
    sf_t *f = sf_new();
    sl_store_t *s = sf_store(f, "kv", SL_STORE_KV, false, 0, 0, false);
    /* reads between commits use a kept read-only snapshot: it must not
     * go stale */
    for (int i = 0; i < 5; i++) {
        char v[8], all[16];
        snprintf(v, sizeof(v), "v%d", i);
        snprintf(all, sizeof(all), "k=v%d;", i);
        assert_int_equal(sf_put(s, "k", v), SL_OK);
        assert_string_equal(sf_get(s, "k"), v);
        assert_int_equal(sl_state_commit(f->st), SL_OK);
        assert_string_equal(sf_get(s, "k"), v);
        assert_string_equal(sf_range(s, NULL, NULL, -1), all);
    }
    assert_string_equal(sf_range(s, NULL, NULL, -1), "k=v4;");
    sl_store_close(s);
    sf_free(f);
}

static void test_map_grows(void **state)
{
    SL_UNUSED(state);
    size_t saved = sl_state_map_initial;
    sl_state_map_initial = 256 << 10;
    sf_t *f = sf_new();
    sl_state_map_initial = saved;
    sl_store_t *s = sf_store(f, "big", SL_STORE_KV, false, 0, 0, false);
    /* ~8 MB into a 256 KiB map, in transactions the store commits early */
    uint8_t val[200];
    memset(val, 'v', sizeof(val));
    char k[32];
    for (int i = 0; i < 40000; i++) {
        int kl = snprintf(k, sizeof(k), "key-%08u", (unsigned)i * 2654435761u);
        assert_int_equal(sl_kvs_put(s, (const uint8_t *)k, (size_t)kl, val, sizeof(val), 0), SL_OK);
        if (i % 7000 == 6999) {
            /* a read between commits holds the read-only snapshot while
             * the next write may move the map */
            assert_int_equal(sl_state_commit(f->st), SL_OK);
            assert_non_null(sf_get(s, k));
        }
    }
    assert_true(f->st->mapsize >= (size_t)8 << 20);
    assert_false(f->st->broken);
    assert_int_equal(sl_state_commit(f->st), SL_OK);
    assert_int_equal(sl_store_approx_count(s), 40000);
    sl_store_close(s);
    sf_reopen(f);
    s = sf_store(f, "big", SL_STORE_KV, false, 0, 0, false);
    assert_int_equal(sl_store_approx_count(s), 40000);
    sl_store_close(s);
    sf_free(f);
}

static void test_bad_directories(void **state)
{
    SL_UNUSED(state);
    sf_t *f = sf_new();
    sl_state_t *st = NULL;
    /* the directory is locked by f's state */
    assert_int_equal(sl_state_open(f->dir, &st), SL_ERR_IO);
    assert_null(st);
    /* a file where the directory should be */
    char path[256];
    snprintf(path, sizeof(path), "%s/file", f->dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fclose(fp);
    assert_int_equal(sl_state_open(path, &st), SL_ERR_IO);
    snprintf(path, sizeof(path), "%s/file/below", f->dir);
    assert_int_equal(sl_state_open(path, &st), SL_ERR_IO);
    /* a corrupt LMDB file */
    snprintf(path, sizeof(path), "%s/corrupt", f->dir);
    assert_int_equal(mkdir(path, 0755), 0);
    char file[300];
    snprintf(file, sizeof(file), "%s/state.mdb", path);
    fp = fopen(file, "w");
    assert_non_null(fp);
    for (int i = 0; i < 3000; i++)
        fputs("garbage!", fp);
    fclose(fp);
    assert_int_equal(sl_state_open(path, &st), SL_ERR_IO);
    assert_null(st);
    /* an empty file is made a new environment by LMDB; a short one is not */
    fp = fopen(file, "w");
    assert_non_null(fp);
    fputs("short", fp);
    fclose(fp);
    assert_int_equal(sl_state_open(path, &st), SL_ERR_IO);
    sf_free(f);
}

/* Writes data into a fresh state in dir/sub and closes it cleanly; returns
 * the path of its file. */
static const char *filled_state(sf_t *f, const char *sub)
{
    static char dir[256], file[300];
    snprintf(dir, sizeof(dir), "%s/%s", f->dir, sub);
    sl_state_t *st;
    assert_int_equal(sl_state_open(dir, &st), SL_OK);
    sl_store_def_t def = {.name = "kv", .kind = SL_STORE_KV};
    sl_store_t *s;
    assert_int_equal(sl_store_open(st, &def, NULL, &s), SL_OK);
    char k[16];
    for (int i = 0; i < 500; i++) {
        int kl = snprintf(k, sizeof(k), "k%d", i);
        assert_int_equal(sl_kvs_put(s, (const uint8_t *)k, (size_t)kl, (const uint8_t *)"value", 5, 0), SL_OK);
    }
    assert_int_equal(sl_state_commit(st), SL_OK);
    sl_store_close(s);
    sl_state_close(st);
    snprintf(file, sizeof(file), "%s/state.mdb", dir);
    return file;
}

static void test_damaged_files(void **state)
{
    SL_UNUSED(state);
    sf_t *f = sf_new();
    sl_state_t *st = NULL;
    /* a clean close then a clean open: fine */
    filled_state(f, "clean");
    char dir[256];
    snprintf(dir, sizeof(dir), "%s/clean", f->dir);
    assert_int_equal(sl_state_open(dir, &st), SL_OK);
    sl_state_close(st);
    /* one byte changed inside a data page after a clean close */
    const char *file = filled_state(f, "flipped");
    int fd = open(file, O_RDWR);
    assert_true(fd >= 0);
    uint8_t b;
    assert_int_equal(pread(fd, &b, 1, 3 * 4096 + 100), 1);
    b ^= 0x5a;
    assert_int_equal(pwrite(fd, &b, 1, 3 * 4096 + 100), 1);
    close(fd);
    snprintf(dir, sizeof(dir), "%s/flipped", f->dir);
    assert_int_equal(sl_state_open(dir, &st), SL_ERR_IO);
    assert_null(st);
    /* truncated, and no checksum record (as after an unclean stop) */
    file = filled_state(f, "truncated");
    char crc[300];
    snprintf(crc, sizeof(crc), "%s.crc", file);
    assert_int_equal(unlink(crc), 0);
    assert_int_equal(truncate(file, 3 * 4096), 0);
    snprintf(dir, sizeof(dir), "%s/truncated", f->dir);
    assert_int_equal(sl_state_open(dir, &st), SL_ERR_IO);
    assert_null(st);
    /* the caller wipes and starts again */
    assert_int_equal(sl_state_wipe(dir), SL_OK);
    assert_int_equal(sl_state_open(dir, &st), SL_OK);
    sl_state_close(st);
    sf_free(f);
}

static void test_key_too_large(void **state)
{
    SL_UNUSED(state);
    sf_t *f = sf_new();
    sl_store_t *s = sf_store(f, "big", SL_STORE_KV, false, 0, 0, false);
    uint8_t key[600];
    memset(key, 'k', sizeof(key));
    assert_int_equal(sl_kvs_put(s, key, sizeof(key), (const uint8_t *)"v", 1, 0), SL_ERR_TOO_LARGE);
    assert_int_equal(sl_kvs_put(s, key, 500, (const uint8_t *)"v", 1, 0), SL_OK);
    /* the store is still usable */
    assert_int_equal(sf_put(s, "k", "v"), SL_OK);
    assert_string_equal(sf_get(s, "k"), "v");
    sl_store_close(s);
    sf_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_delete),    cmocka_unit_test(test_range_order),
        cmocka_unit_test(test_stores_are_separate), cmocka_unit_test(test_changelog_records),
        cmocka_unit_test(test_restore_reproduces), cmocka_unit_test(test_reopen_after_commit),
        cmocka_unit_test(test_bad_directories),   cmocka_unit_test(test_key_too_large),
        cmocka_unit_test(test_reads_follow_commits), cmocka_unit_test(test_map_grows),
        cmocka_unit_test(test_damaged_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
