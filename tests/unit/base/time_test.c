/* time_test.c - clocks: monotonic never goes back, units agree, wall clock is epoch ms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "base.h"

static void time_mono_never_goes_backwards(void **state)
{
    (void)state;
    int64_t prev = sl_time_mono_ns();
    assert_true(prev > 0);
    for (int i = 0; i < 10000; i++) {
        int64_t now = sl_time_mono_ns();
        assert_true(now >= prev);
        prev = now;
    }
}

static void time_mono_units_agree(void **state)
{
    (void)state;
    /* Read in increasing order of coarseness: each later, coarser reading is
     * at least the earlier finer one scaled down. */
    int64_t ns = sl_time_mono_ns();
    int64_t us = sl_time_mono_us();
    int64_t ms = sl_time_mono_ms();
    assert_true(us >= ns / 1000);
    assert_true(ms >= us / 1000);
    int64_t ns2 = sl_time_mono_ns();
    assert_true(ns2 / 1000000 >= ms);
}

static void time_wall_is_epoch_milliseconds(void **state)
{
    (void)state;
    time_t before = time(NULL);
    int64_t wall = sl_time_wall_ms();
    time_t after = time(NULL);
    assert_true(wall / 1000 >= (int64_t)before - 1);
    assert_true(wall / 1000 <= (int64_t)after);
    /* After 2020-01-01: a clock in seconds or microseconds would fail one side. */
    assert_true(wall > INT64_C(1577836800000));
    assert_true(wall < INT64_C(1577836800000) * 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(time_mono_never_goes_backwards),
        cmocka_unit_test(time_mono_units_agree),
        cmocka_unit_test(time_wall_is_epoch_milliseconds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
