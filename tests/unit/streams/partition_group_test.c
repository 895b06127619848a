/*
 * partition_group_test.c - the order a stream thread processes a polled
 * batch in (partition_group.c): the smallest timestamp among the
 * partitions' next records first, each partition's records in their own
 * order, ties to the record polled first.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "app_int.h"

static void check_order(const int32_t *part, const int64_t *ts, size_t n, const size_t *want)
{
    size_t order[16];
    assert_true(n <= 16);
    assert_int_equal(sl_pg_order(part, ts, n, order), SL_OK);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(order[i], want[i]);
}

/* A join's stream partition polled before its table partition: the
 * table rows older than the views go first (the example's symptom). */
static void test_older_table_rows_first(void **state)
{
    (void)state;
    /* views (partition 0) at 10, 20, 30; regions (partition 1) at 5, 15 */
    const int32_t part[] = {0, 0, 0, 1, 1};
    const int64_t ts[] = {10, 20, 30, 5, 15};
    const size_t want[] = {3, 0, 4, 1, 2};
    check_order(part, ts, 5, want);
}

/* Out-of-order timestamps inside a partition never reorder it: only the
 * partition's next record competes. */
static void test_partition_order_kept(void **state)
{
    (void)state;
    const int32_t part[] = {7, 7, 7, 3};
    const int64_t ts[] = {50, 1, 2, 40};
    const size_t want[] = {3, 0, 1, 2};
    check_order(part, ts, 4, want);
}

/* Equal timestamps: the record polled first; ids need not be dense. */
static void test_ties_and_many_partitions(void **state)
{
    (void)state;
    const int32_t part[] = {9, 4, 100, 4, 9, 100};
    const int64_t ts[] = {1, 1, 0, 2, 2, 3};
    const size_t want[] = {2, 0, 1, 3, 4, 5};
    check_order(part, ts, 6, want);
}

static void test_single_and_empty(void **state)
{
    (void)state;
    const int32_t part[] = {1, 1, 1};
    const int64_t ts[] = {3, 2, 1};
    const size_t want[] = {0, 1, 2};
    check_order(part, ts, 3, want);
    assert_int_equal(sl_pg_order(NULL, NULL, 0, NULL), SL_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_older_table_rows_first),
        cmocka_unit_test(test_partition_order_kept),
        cmocka_unit_test(test_ties_and_many_partitions),
        cmocka_unit_test(test_single_and_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
