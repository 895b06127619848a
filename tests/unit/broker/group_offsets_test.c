/* group_offsets_test.c - committed offsets in memory (broker/group/offsets.c):
 * the map by topic and partition. Their durable records are
 * group_records_test.c's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <string.h>

#include "group/group_int.h"

static void group_offsets_map_keeps_last_commit_per_partition(void **state)
{
    (void)state;
    sl_map_t m;
    sl_offsets_init(&m);
    sl_offset_t o = {.offset = 5, .leader_epoch = -1, .metadata = "meta", .commit_ts = 9};
    assert_int_equal(sl_offsets_put(&m, sl_kstr("t"), 0, &o), SL_OK);
    o.offset = 6;
    o.metadata = NULL;
    assert_int_equal(sl_offsets_put(&m, sl_kstr("t"), 0, &o), SL_OK);
    o.offset = 70;
    assert_int_equal(sl_offsets_put(&m, sl_kstr("t"), 1, &o), SL_OK);
    assert_int_equal(sl_offsets_put(&m, sl_kstr("t2"), 0, &o), SL_OK);
    assert_int_equal(sl_map_count(&m), 3);
    const sl_offset_t *got = sl_offsets_get(&m, sl_kstr("t"), 0);
    assert_non_null(got);
    assert_int_equal(got->offset, 6);
    assert_null(got->metadata);
    assert_null(sl_offsets_get(&m, sl_kstr("t"), 2));
    size_t it = 0;
    const void *k;
    size_t kl;
    void *v;
    int seen = 0;
    while (sl_map_next(&m, &it, &k, &kl, &v)) {
        sl_kstr_t topic;
        int32_t part;
        sl_offsets_key_split(k, kl, &topic, &part);
        assert_ptr_equal(sl_offsets_get(&m, topic, part), v);
        seen++;
    }
    assert_int_equal(seen, 3);
    sl_offsets_fini(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(group_offsets_map_keeps_last_commit_per_partition),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
