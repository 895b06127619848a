/* group_txn_pending_test.c - pending transactional offsets in memory
 * (broker/group/offsets.c): held per producer, invisible to the committed
 * map until their transaction ends; a commit moves them unless a plain
 * commit was written later in the log, an abort drops them; other
 * producers' pending offsets are untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <string.h>

#include "group/group_int.h"

static sl_offset_t off(int64_t offset, int64_t log_offset, char *meta)
{
    return (sl_offset_t){.offset = offset, .leader_epoch = 3, .metadata = meta, .commit_ts = 1, .log_offset = log_offset};
}

static void group_txn_pending_commit_moves_them_by_log_order(void **state)
{
    (void)state;
    sl_map_t committed, pending;
    sl_offsets_init(&committed);
    sl_offsets_pending_init(&pending);
    sl_offset_t o = off(5, 10, NULL);
    assert_int_equal(sl_offsets_put(&committed, sl_kstr("t"), 0, &o), SL_OK); /* older plain commit */
    o = off(40, 30, NULL);
    assert_int_equal(sl_offsets_put(&committed, sl_kstr("t"), 1, &o), SL_OK); /* written after the txn */

    o = off(7, 20, "m");
    assert_int_equal(sl_offsets_pending_put(&pending, 100, sl_kstr("t"), 0, &o), SL_OK);
    o = off(8, 20, NULL);
    assert_int_equal(sl_offsets_pending_put(&pending, 100, sl_kstr("t"), 1, &o), SL_OK);
    o = off(9, 20, NULL);
    assert_int_equal(sl_offsets_pending_put(&pending, 100, sl_kstr("u"), 2, &o), SL_OK);
    o = off(70, 25, NULL);
    assert_int_equal(sl_offsets_pending_put(&pending, 200, sl_kstr("u"), 2, &o), SL_OK);

    assert_int_equal(sl_offsets_pending_count(&pending), 4);
    assert_true(sl_offsets_pending_has(&pending, sl_kstr("t"), 0));
    assert_true(sl_offsets_pending_has(&pending, sl_kstr("u"), 2));
    assert_false(sl_offsets_pending_has(&pending, sl_kstr("t"), 2));
    /* pending offsets are not committed ones */
    assert_int_equal(sl_offsets_get(&committed, sl_kstr("t"), 0)->offset, 5);
    assert_null(sl_offsets_get(&committed, sl_kstr("u"), 2));

    assert_int_equal(sl_offsets_pending_complete(&pending, &committed, 100, true), 3);
    const sl_offset_t *got = sl_offsets_get(&committed, sl_kstr("t"), 0);
    assert_int_equal(got->offset, 7);
    assert_string_equal(got->metadata, "m");
    assert_int_equal(got->leader_epoch, 3);
    assert_int_equal(got->log_offset, 20);
    assert_int_equal(sl_offsets_get(&committed, sl_kstr("t"), 1)->offset, 40); /* the later plain commit wins */
    assert_int_equal(sl_offsets_get(&committed, sl_kstr("u"), 2)->offset, 9);
    /* producer 200's stay pending; 100 has nothing left */
    assert_int_equal(sl_offsets_pending_count(&pending), 1);
    assert_true(sl_offsets_pending_has(&pending, sl_kstr("u"), 2));
    assert_int_equal(sl_offsets_pending_complete(&pending, &committed, 100, true), 0);

    /* an abort drops them */
    assert_int_equal(sl_offsets_pending_complete(&pending, &committed, 200, false), 1);
    assert_int_equal(sl_offsets_get(&committed, sl_kstr("u"), 2)->offset, 9);
    assert_int_equal(sl_offsets_pending_count(&pending), 0);
    assert_false(sl_offsets_pending_has(&pending, sl_kstr("u"), 2));
    sl_offsets_pending_fini(&pending);
    sl_offsets_fini(&committed);
}

static void group_txn_pending_del_and_overwrite(void **state)
{
    (void)state;
    sl_map_t committed, pending;
    sl_offsets_init(&committed);
    sl_offsets_pending_init(&pending);
    sl_offset_t o = off(1, 5, NULL);
    assert_int_equal(sl_offsets_pending_put(&pending, 7, sl_kstr("t"), 0, &o), SL_OK);
    o = off(2, 6, NULL); /* the same producer again in its transaction: the newest */
    assert_int_equal(sl_offsets_pending_put(&pending, 7, sl_kstr("t"), 0, &o), SL_OK);
    assert_int_equal(sl_offsets_pending_count(&pending), 1);
    assert_false(sl_offsets_pending_del(&pending, 8, sl_kstr("t"), 0));
    assert_false(sl_offsets_pending_del(&pending, 7, sl_kstr("t"), 1));
    o = off(3, 6, NULL);
    assert_int_equal(sl_offsets_pending_put(&pending, 7, sl_kstr("t"), 1, &o), SL_OK);
    assert_true(sl_offsets_pending_del(&pending, 7, sl_kstr("t"), 1));
    assert_int_equal(sl_offsets_pending_complete(&pending, &committed, 7, true), 1);
    assert_int_equal(sl_offsets_get(&committed, sl_kstr("t"), 0)->offset, 2);
    assert_null(sl_offsets_get(&committed, sl_kstr("t"), 1));
    /* a producer left with pending offsets is freed with the map */
    assert_int_equal(sl_offsets_pending_put(&pending, 9, sl_kstr("t"), 0, &o), SL_OK);
    sl_offsets_pending_fini(&pending);
    sl_offsets_fini(&committed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(group_txn_pending_commit_moves_them_by_log_order),
        cmocka_unit_test(group_txn_pending_del_and_overwrite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
