/*
 * store_checkpoint_test.c - .checkpoint files (checkpoint.c): round trip,
 * replacement, absence, malformed files, bad arguments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store_fixture.h"

static void write_file(const char *dir, const char *text, size_t len)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/.checkpoint", dir);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(text, 1, len, fp), len);
    fclose(fp);
}

static void test_round_trip(void **state)
{
    SL_UNUSED(state);
    sf_t *f = sf_new();
    sl_arena_t a;
    sl_arena_init(&a, 0, 0);
    sl_checkpoint_entry_t *es;
    size_t n;
    assert_int_equal(sl_checkpoint_read(f->dir, &a, &es, &n), SL_ERR_NOENT);
    const char *topics[] = {"app-counts-changelog", "app-w.x_y-changelog"};
    int32_t parts[] = {3, 0};
    int64_t offsets[] = {12345678901LL, 0};
    assert_int_equal(sl_checkpoint_write(f->dir, topics, parts, offsets, 2), SL_OK);
    assert_int_equal(sl_checkpoint_read(f->dir, &a, &es, &n), SL_OK);
    assert_int_equal(n, 2);
    assert_string_equal(es[0].topic, "app-counts-changelog");
    assert_int_equal(es[0].partition, 3);
    assert_int_equal(es[0].offset, 12345678901LL);
    assert_string_equal(es[1].topic, "app-w.x_y-changelog");
    assert_int_equal(es[1].offset, 0);
    /* replaced as a whole; no temporary file left */
    offsets[0] = 7;
    assert_int_equal(sl_checkpoint_write(f->dir, topics, parts, offsets, 1), SL_OK);
    assert_int_equal(sl_checkpoint_read(f->dir, &a, &es, &n), SL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(es[0].offset, 7);
    char path[256];
    snprintf(path, sizeof(path), "%s/.checkpoint.tmp", f->dir);
    assert_int_not_equal(access(path, F_OK), 0);
    /* empty: no changelogs */
    assert_int_equal(sl_checkpoint_write(f->dir, topics, parts, offsets, 0), SL_OK);
    assert_int_equal(sl_checkpoint_read(f->dir, &a, &es, &n), SL_OK);
    assert_int_equal(n, 0);
    assert_int_equal(sl_checkpoint_delete(f->dir), SL_OK);
    assert_int_equal(sl_checkpoint_read(f->dir, &a, &es, &n), SL_ERR_NOENT);
    assert_int_equal(sl_checkpoint_delete(f->dir), SL_OK);
    sl_arena_fini(&a);
    sf_free(f);
}

static void test_malformed(void **state)
{
    SL_UNUSED(state);
    sf_t *f = sf_new();
    sl_arena_t a;
    sl_arena_init(&a, 0, 0);
    sl_checkpoint_entry_t *es;
    size_t n;
    static const char *const bad[] = {
        "t 0 1",                  /* no newline: cut short */
        "t 0\n",                  /* two fields */
        "t 0 1 2\n",              /* four */
        "t x 1\n",                /* not a number */
        "t -1 1\n",               /* negative partition */
        "t 0 -2\n",               /* offset below -1 */
        "t 0 99999999999999999999\n", /* overflow */
        "t 2147483648 1\n",       /* partition past int32 */
        "bad/topic 0 1\n",        /* not a topic name */
        " 0 1\n",                 /* empty topic */
        "t  0 1\n",               /* two spaces */
        "t 0 +1\n",
        "t 0 1\n\n",              /* an empty line */
        "t 0 1\r\n",
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(bad); i++) {
        write_file(f->dir, bad[i], strlen(bad[i]));
        assert_int_equal(sl_checkpoint_read(f->dir, &a, &es, &n), SL_ERR_PARSE);
    }
    write_file(f->dir, "t 0 1\0garbage\n", 14); /* a NUL byte */
    assert_int_equal(sl_checkpoint_read(f->dir, &a, &es, &n), SL_ERR_PARSE);
    /* over the size limit */
    size_t big = (1u << 20) + 10;
    char *text = malloc(big);
    assert_non_null(text);
    memset(text, 'a', big);
    write_file(f->dir, text, big);
    free(text);
    assert_int_equal(sl_checkpoint_read(f->dir, &a, &es, &n), SL_ERR_PARSE);
    /* the good form still reads */
    write_file(f->dir, "t 0 -1\n", 7);
    assert_int_equal(sl_checkpoint_read(f->dir, &a, &es, &n), SL_OK);
    assert_int_equal(es[0].offset, -1);
    sl_arena_fini(&a);
    sf_free(f);
}

static void test_bad_arguments(void **state)
{
    SL_UNUSED(state);
    sf_t *f = sf_new();
    const char *topics[] = {"has space"};
    int32_t parts[] = {0};
    int64_t offsets[] = {0};
    assert_int_equal(sl_checkpoint_write(f->dir, topics, parts, offsets, 1), SL_ERR_INVAL);
    topics[0] = "ok";
    parts[0] = -1;
    assert_int_equal(sl_checkpoint_write(f->dir, topics, parts, offsets, 1), SL_ERR_INVAL);
    parts[0] = 0;
    char missing[256];
    snprintf(missing, sizeof(missing), "%s/no/such/dir", f->dir);
    assert_int_equal(sl_checkpoint_write(missing, topics, parts, offsets, 1), SL_ERR_IO);
    sf_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
