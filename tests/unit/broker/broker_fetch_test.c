/* broker_fetch_test.c - the Fetch byte budget (KIP-74): the response cap,
 * the per-partition cap, and the first partition with data returning at
 * least one whole batch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "broker_int.h"

static void fetch_budget_first_partition_with_data_may_exceed_limits(void **state)
{
    (void)state;
    sl_fetch_budget_t b;
    bool min_one;
    sl_fetch_budget_init(&b, 1000);
    /* Empty partitions do not use up the exception. */
    assert_int_equal(sl_fetch_budget_part(&b, 300, &min_one), 300);
    assert_true(min_one);
    sl_fetch_budget_take(&b, 0);
    assert_int_equal(sl_fetch_budget_part(&b, 300, &min_one), 300);
    assert_true(min_one);
    /* That partition returned one batch larger than both limits. */
    sl_fetch_budget_take(&b, 5000);
    assert_int_equal(b.left, 0);
    assert_int_equal(sl_fetch_budget_part(&b, 300, &min_one), 0);
    assert_false(min_one);
}

static void fetch_budget_partitions_share_the_response_limit(void **state)
{
    (void)state;
    sl_fetch_budget_t b;
    bool min_one;
    sl_fetch_budget_init(&b, 1000);
    assert_int_equal(sl_fetch_budget_part(&b, 600, &min_one), 600);
    sl_fetch_budget_take(&b, 600);
    assert_int_equal(sl_fetch_budget_part(&b, 600, &min_one), 400);
    assert_false(min_one);
    sl_fetch_budget_take(&b, 400);
    assert_int_equal(sl_fetch_budget_part(&b, 600, &min_one), 0);
}

static void fetch_budget_caps_what_clients_ask(void **state)
{
    (void)state;
    sl_fetch_budget_t b;
    bool min_one;
    sl_fetch_budget_init(&b, INT32_MAX);
    assert_int_equal(b.left, SL_BROKER_FETCH_MAX_BYTES);
    assert_int_equal(sl_fetch_budget_part(&b, INT32_MAX, &min_one), SL_BROKER_FETCH_MAX_BYTES);
    sl_fetch_budget_init(&b, -5);
    assert_int_equal(b.left, 0);
    /* Nothing allowed, yet the first batch still comes (KIP-74). */
    assert_int_equal(sl_fetch_budget_part(&b, 100, &min_one), 0);
    assert_true(min_one);
    sl_fetch_budget_init(&b, 100);
    assert_int_equal(sl_fetch_budget_part(&b, -1, &min_one), 0);
    sl_fetch_budget_take(&b, -7); /* nonsense in, no change */
    assert_int_equal(b.left, 100);
    assert_true(b.min_one);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fetch_budget_first_partition_with_data_may_exceed_limits),
        cmocka_unit_test(fetch_budget_partitions_share_the_response_limit),
        cmocka_unit_test(fetch_budget_caps_what_clients_ask),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
