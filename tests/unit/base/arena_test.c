/* arena_test.c - sl_arena: alignment, limits, big allocations, reset, overflow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base.h"

static void arena_alloc_aligns_to_16(void **state)
{
    (void)state;
    sl_arena_t a;
    sl_arena_init(&a, 256, 0);
    for (size_t n = 0; n < 100; n++) {
        uint8_t *p = sl_arena_alloc(&a, n);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 16, 0);
        memset(p, 0xab, n); /* ASan checks the size is really there */
    }
    sl_arena_fini(&a);
}

static void arena_zero_size_pointers_are_unique(void **state)
{
    (void)state;
    sl_arena_t a;
    sl_arena_init(&a, 0, 0);
    void *p = sl_arena_alloc(&a, 0);
    void *q = sl_arena_alloc(&a, 0);
    assert_non_null(p);
    assert_non_null(q);
    assert_ptr_not_equal(p, q);
    sl_arena_fini(&a);
}

static void arena_allocations_do_not_overlap(void **state)
{
    (void)state;
    sl_arena_t a;
    sl_arena_init(&a, 128, 0);
    uint8_t *ptrs[200];
    size_t sizes[200];
    for (size_t i = 0; i < 200; i++) {
        sizes[i] = (i * 37) % 90 + 1;
        ptrs[i] = sl_arena_alloc(&a, sizes[i]);
        assert_non_null(ptrs[i]);
        memset(ptrs[i], (int)(i & 0xff), sizes[i]);
    }
    for (size_t i = 0; i < 200; i++)
        for (size_t j = 0; j < sizes[i]; j++)
            assert_int_equal(ptrs[i][j], i & 0xff);
    sl_arena_fini(&a);
}

static void arena_limit_refuses_allocation_past_it(void **state)
{
    (void)state;
    sl_arena_t a;
    sl_arena_init(&a, 64, 100);
    assert_non_null(sl_arena_alloc(&a, 64));
    assert_int_equal(sl_arena_used(&a), 64);
    /* 48 rounded stays 48: 112 > 100. */
    assert_null(sl_arena_alloc(&a, 48));
    /* 32 fits: 96. */
    assert_non_null(sl_arena_alloc(&a, 20));
    assert_int_equal(sl_arena_used(&a), 96);
    assert_null(sl_arena_alloc(&a, 5));
    assert_null(sl_arena_alloc(&a, SIZE_MAX));
    assert_null(sl_arena_alloc(&a, SIZE_MAX - 8));
    sl_arena_reset(&a);
    assert_int_equal(sl_arena_used(&a), 0);
    assert_non_null(sl_arena_alloc(&a, 100 - 4));
    sl_arena_fini(&a);
}

static void arena_large_allocation_gets_own_chunk(void **state)
{
    (void)state;
    sl_arena_t a;
    sl_arena_init(&a, 256, 0);
    uint8_t *small = sl_arena_alloc(&a, 16);
    assert_non_null(small);
    uint8_t *big = sl_arena_alloc(&a, 100000);
    assert_non_null(big);
    assert_int_equal((uintptr_t)big % 16, 0);
    memset(big, 0x5a, 100000);
    /* The head chunk still serves small allocations right after the first. */
    uint8_t *small2 = sl_arena_alloc(&a, 16);
    assert_ptr_equal(small2, small + 16);
    assert_int_equal(big[99999], 0x5a);
    sl_arena_fini(&a);
}

static void arena_reset_reuses_memory(void **state)
{
    (void)state;
    sl_arena_t a;
    sl_arena_init(&a, 1024, 0);
    void *first = sl_arena_alloc(&a, 100);
    for (int i = 0; i < 50; i++)
        assert_non_null(sl_arena_alloc(&a, 200));
    assert_non_null(sl_arena_alloc(&a, 1 << 20));
    sl_arena_reset(&a);
    assert_int_equal(sl_arena_used(&a), 0);
    void *again = sl_arena_alloc(&a, 100);
    assert_non_null(again);
    (void)first;
    /* Filling the kept chunk again works and only then asks for more. */
    for (int i = 0; i < 50; i++)
        assert_non_null(sl_arena_alloc(&a, 200));
    assert_int_equal(sl_arena_used(&a), 112 + 50 * 208);
    sl_arena_reset(&a);
    sl_arena_reset(&a);
    sl_arena_fini(&a);
    sl_arena_fini(&a);
    sl_arena_fini(NULL);
}

static void arena_calloc_overflow_returns_null(void **state)
{
    (void)state;
    sl_arena_t a;
    sl_arena_init(&a, 0, 0);
    assert_null(sl_arena_calloc(&a, SIZE_MAX / 2, 3));
    assert_null(sl_arena_calloc(&a, (SIZE_MAX >> 4) + 1, 16));
    uint32_t *z = sl_arena_calloc(&a, 10, sizeof(uint32_t));
    assert_non_null(z);
    for (int i = 0; i < 10; i++)
        assert_int_equal(z[i], 0);
    sl_arena_fini(&a);
}

static void arena_zalloc_zeroes_reused_memory(void **state)
{
    (void)state;
    sl_arena_t a;
    sl_arena_init(&a, 1024, 0);
    uint8_t *p = sl_arena_alloc(&a, 200);
    memset(p, 0xff, 200);
    sl_arena_reset(&a);
    uint8_t *z = sl_arena_zalloc(&a, 200);
    assert_ptr_equal(z, p);
    for (int i = 0; i < 200; i++)
        assert_int_equal(z[i], 0);
    sl_arena_fini(&a);
}

static void arena_strndup_and_memdup_copy(void **state)
{
    (void)state;
    sl_arena_t a;
    sl_arena_init(&a, 0, 0);
    char *s = sl_arena_strndup(&a, "hello world", 5);
    assert_string_equal(s, "hello");
    char *e = sl_arena_strndup(&a, NULL, 0);
    assert_string_equal(e, "");
    const uint8_t bin[] = {0, 1, 2, 0, 3};
    uint8_t *m = sl_arena_memdup(&a, bin, sizeof(bin));
    assert_memory_equal(m, bin, sizeof(bin));
    assert_non_null(sl_arena_memdup(&a, NULL, 0));
    sl_arena_fini(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(arena_alloc_aligns_to_16),
        cmocka_unit_test(arena_zero_size_pointers_are_unique),
        cmocka_unit_test(arena_allocations_do_not_overlap),
        cmocka_unit_test(arena_limit_refuses_allocation_past_it),
        cmocka_unit_test(arena_large_allocation_gets_own_chunk),
        cmocka_unit_test(arena_reset_reuses_memory),
        cmocka_unit_test(arena_calloc_overflow_returns_null),
        cmocka_unit_test(arena_zalloc_zeroes_reused_memory),
        cmocka_unit_test(arena_strndup_and_memdup_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
