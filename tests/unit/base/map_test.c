/* map_test.c - sl_map_t: put/get/replace/delete, growth, tombstones, iteration,
 * binary and empty keys; sl_list_t basics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base.h"

#define N_KEYS 20000

static size_t key_of(char *out, size_t i) { return (size_t)snprintf(out, 32, "key-%zu", i); }
static void *val_of(size_t i) { return (void *)(uintptr_t)(i * 2 + 1); }

static void map_empty_map_finds_nothing(void **state)
{
    (void)state;
    sl_map_t m;
    sl_map_init(&m);
    assert_null(sl_map_get(&m, "a", 1));
    assert_false(sl_map_has(&m, "a", 1));
    assert_false(sl_map_del(&m, "a", 1, NULL));
    size_t it = 0;
    assert_false(sl_map_next(&m, &it, NULL, NULL, NULL));
    assert_int_equal(sl_map_count(&m), 0);
    sl_map_fini(&m, NULL);
    sl_map_fini(NULL, NULL);
}

static void map_put_get_replace_delete_many(void **state)
{
    (void)state;
    sl_map_t m;
    sl_map_init(&m);
    char k[32];
    for (size_t i = 0; i < N_KEYS; i++) {
        void *old = (void *)1;
        assert_int_equal(sl_map_put(&m, k, key_of(k, i), val_of(i), &old), SL_OK);
        assert_null(old);
    }
    assert_int_equal(sl_map_count(&m), N_KEYS);
    assert_true(m.cap >= N_KEYS);
    assert_int_equal(m.cap & (m.cap - 1), 0);
    for (size_t i = 0; i < N_KEYS; i++)
        assert_ptr_equal(sl_map_get(&m, k, key_of(k, i)), val_of(i));
    assert_null(sl_map_gets(&m, "key-20000"));
    assert_ptr_equal(sl_map_gets(&m, "key-7"), val_of(7));
    /* Replace the even ones. */
    for (size_t i = 0; i < N_KEYS; i += 2) {
        void *old = NULL;
        assert_int_equal(sl_map_put(&m, k, key_of(k, i), val_of(i + 1000000), &old), SL_OK);
        assert_ptr_equal(old, val_of(i));
    }
    assert_int_equal(sl_map_count(&m), N_KEYS);
    /* Delete the multiples of three. */
    for (size_t i = 0; i < N_KEYS; i += 3) {
        void *v = NULL;
        assert_true(sl_map_del(&m, k, key_of(k, i), &v));
        assert_ptr_equal(v, val_of(i % 2 ? i : i + 1000000));
        assert_false(sl_map_del(&m, k, key_of(k, i), &v));
    }
    for (size_t i = 0; i < N_KEYS; i++) {
        size_t n = key_of(k, i);
        if (i % 3 == 0) {
            assert_false(sl_map_has(&m, k, n));
            assert_null(sl_map_get(&m, k, n));
        } else {
            assert_ptr_equal(sl_map_get(&m, k, n), val_of(i % 2 ? i : i + 1000000));
        }
    }
    assert_int_equal(sl_map_count(&m), N_KEYS - (N_KEYS + 2) / 3);
    sl_map_fini(&m, NULL);
}

static void map_tombstones_do_not_grow_table_forever(void **state)
{
    (void)state;
    sl_map_t m;
    sl_map_init(&m);
    char k[32];
    /* Insert and delete distinct keys with at most 10 live: the table rebuilds
     * in place instead of doubling without end. */
    for (size_t i = 0; i < 100000; i++) {
        assert_int_equal(sl_map_put(&m, k, key_of(k, i), val_of(i), NULL), SL_OK);
        if (i >= 10)
            assert_true(sl_map_del(&m, k, key_of(k, i - 10), NULL));
    }
    assert_int_equal(sl_map_count(&m), 10);
    assert_true(m.cap <= 64);
    for (size_t i = 100000 - 10; i < 100000; i++)
        assert_ptr_equal(sl_map_get(&m, k, key_of(k, i)), val_of(i));
    sl_map_fini(&m, NULL);
}

static void map_iteration_visits_every_key_once(void **state)
{
    (void)state;
    sl_map_t m;
    sl_map_init(&m);
    char k[32];
    const size_t n = 1000;
    for (size_t i = 0; i < n; i++)
        assert_int_equal(sl_map_put(&m, k, key_of(k, i), val_of(i), NULL), SL_OK);
    for (size_t i = 0; i < n; i += 4)
        assert_true(sl_map_del(&m, k, key_of(k, i), NULL));
    uint8_t *seen = calloc(n, 1);
    assert_non_null(seen);
    size_t it = 0, visits = 0;
    const void *key;
    size_t klen;
    void *val;
    while (sl_map_next(&m, &it, &key, &klen, &val)) {
        assert_true(visits < n);
        visits++;
        size_t idx = ((uintptr_t)val - 1) / 2;
        assert_true(idx < n);
        assert_int_equal(idx % 4 != 0, 1);
        assert_int_equal(seen[idx], 0);
        seen[idx] = 1;
        assert_int_equal(klen, key_of(k, idx));
        assert_memory_equal(key, k, klen);
    }
    assert_int_equal(visits, n - n / 4);
    /* Finished iterators stay finished. */
    assert_false(sl_map_next(&m, &it, &key, &klen, &val));
    free(seen);
    sl_map_fini(&m, NULL);
}

static void map_delete_current_key_during_iteration(void **state)
{
    (void)state;
    sl_map_t m;
    sl_map_init(&m);
    char k[32];
    const size_t n = 500;
    for (size_t i = 0; i < n; i++)
        assert_int_equal(sl_map_put(&m, k, key_of(k, i), val_of(i), NULL), SL_OK);
    size_t it = 0, visits = 0, deleted = 0;
    const void *key;
    size_t klen;
    void *val;
    while (sl_map_next(&m, &it, &key, &klen, &val)) {
        assert_true(visits < n);
        visits++;
        size_t idx = ((uintptr_t)val - 1) / 2;
        if (idx % 2 == 0) {
            /* key points into the map: copy before deleting. */
            char copy[32];
            memcpy(copy, key, klen);
            assert_true(sl_map_del(&m, copy, klen, NULL));
            deleted++;
        }
    }
    assert_int_equal(visits, n);
    assert_int_equal(deleted, n / 2);
    assert_int_equal(sl_map_count(&m), n / 2);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(sl_map_has(&m, k, key_of(k, i)), i % 2 == 1);
    sl_map_fini(&m, NULL);
}

static void map_binary_keys_with_nul_and_empty_key(void **state)
{
    (void)state;
    sl_map_t m;
    sl_map_init(&m);
    const uint8_t a[] = {0, 0, 1};
    const uint8_t b[] = {0, 0, 2};
    const uint8_t c[] = {0, 0};
    assert_int_equal(sl_map_put(&m, a, 3, (void *)1, NULL), SL_OK);
    assert_int_equal(sl_map_put(&m, b, 3, (void *)2, NULL), SL_OK);
    assert_int_equal(sl_map_put(&m, c, 2, (void *)3, NULL), SL_OK);
    assert_int_equal(sl_map_put(&m, "", 0, NULL, NULL), SL_OK);
    assert_int_equal(sl_map_count(&m), 4);
    assert_ptr_equal(sl_map_get(&m, a, 3), (void *)1);
    assert_ptr_equal(sl_map_get(&m, b, 3), (void *)2);
    assert_ptr_equal(sl_map_get(&m, c, 2), (void *)3);
    assert_null(sl_map_get(&m, c, 1));
    /* A NULL value under the empty key is still present. */
    assert_true(sl_map_has(&m, "", 0));
    assert_true(sl_map_has(&m, NULL, 0));
    assert_null(sl_map_get(&m, "", 0));
    void *old = (void *)9;
    assert_int_equal(sl_map_put(&m, NULL, 0, (void *)4, &old), SL_OK);
    assert_null(old);
    assert_ptr_equal(sl_map_gets(&m, ""), (void *)4);
    assert_true(sl_map_del(&m, "", 0, NULL));
    assert_false(sl_map_has(&m, "", 0));
    sl_map_fini(&m, NULL);
}

static void map_keys_are_copied(void **state)
{
    (void)state;
    sl_map_t m;
    sl_map_init(&m);
    char k[8] = "abc";
    assert_int_equal(sl_map_put(&m, k, 3, (void *)1, NULL), SL_OK);
    strcpy(k, "xyz");
    assert_ptr_equal(sl_map_gets(&m, "abc"), (void *)1);
    assert_null(sl_map_gets(&m, "xyz"));
    sl_map_fini(&m, NULL);
}

static int freed_count;
static void count_free(void *v)
{
    freed_count++;
    free(v);
}

static void map_fini_calls_destructor_on_each_value(void **state)
{
    (void)state;
    sl_map_t m;
    sl_map_init(&m);
    char k[32];
    for (size_t i = 0; i < 100; i++)
        assert_int_equal(sl_map_put(&m, k, key_of(k, i), malloc(16), NULL), SL_OK);
    void *v = NULL;
    assert_true(sl_map_del(&m, "key-5", 5, &v));
    free(v);
    freed_count = 0;
    sl_map_fini(&m, count_free);
    assert_int_equal(freed_count, 99);
    assert_int_equal(sl_map_count(&m), 0);
    /* Usable again after fini. */
    assert_int_equal(sl_map_put(&m, "x", 1, NULL, NULL), SL_OK);
    sl_map_fini(&m, NULL);
}

static void map_hash_is_stable_and_spreads(void **state)
{
    (void)state;
    assert_true(sl_hash_bytes("abc", 3) == sl_hash_bytes("abc", 3));
    assert_true(sl_hash_bytes("abc", 3) != sl_hash_bytes("abd", 3));
    assert_true(sl_hash_bytes("", 0) != sl_hash_bytes("\0", 1));
    /* Low bits (what the table uses) of sequential keys hit many buckets. */
    uint8_t hit[64] = {0};
    char k[32];
    for (size_t i = 0; i < 256; i++)
        hit[sl_hash_bytes(k, key_of(k, i)) & 63] = 1;
    int buckets = 0;
    for (int i = 0; i < 64; i++)
        buckets += hit[i];
    assert_true(buckets > 48);
}

typedef struct item {
    int v;
    sl_list_t link;
} item_t;

static void list_insert_remove_and_safe_iteration(void **state)
{
    (void)state;
    sl_list_t head;
    sl_list_init(&head);
    assert_true(sl_list_empty(&head));
    item_t items[5];
    for (int i = 0; i < 5; i++) {
        items[i].v = i;
        sl_list_insert_tail(&head, &items[i].link);
    }
    sl_list_t *pos, *tmp;
    int expect = 0;
    sl_list_foreach_safe(pos, tmp, &head) {
        item_t *it = sl_container_of(pos, item_t, link);
        assert_int_equal(it->v, expect++);
        if (it->v % 2 == 0)
            sl_list_remove(pos);
    }
    assert_int_equal(expect, 5);
    expect = 1;
    sl_list_foreach_safe(pos, tmp, &head) {
        assert_int_equal(sl_container_of(pos, item_t, link)->v, expect);
        expect += 2;
    }
    sl_list_remove(&items[1].link);
    sl_list_remove(&items[3].link);
    assert_true(sl_list_empty(&head));
}

/* sl_map_values: every live value once, nothing deleted, an empty map
 * gives an empty (non-NULL) array. */
static void map_values_lists_every_live_value_once(void **state)
{
    (void)state;
    sl_map_t m;
    sl_map_init(&m);
    size_t n = 99;
    void **all = sl_map_values(&m, &n);
    assert_non_null(all);
    assert_int_equal(n, 0);
    free(all);
    static int vals[100];
    for (int i = 0; i < 100; i++) {
        vals[i] = i;
        assert_int_equal(sl_map_put(&m, &i, sizeof i, &vals[i], NULL), SL_OK);
    }
    for (int i = 0; i < 100; i += 3)
        assert_true(sl_map_del(&m, &i, sizeof i, NULL));
    all = sl_map_values(&m, &n);
    assert_non_null(all);
    assert_int_equal(n, sl_map_count(&m));
    int seen[100] = {0};
    for (size_t k = 0; k < n; k++)
        seen[*(int *)all[k]]++;
    for (int i = 0; i < 100; i++)
        assert_int_equal(seen[i], i % 3 == 0 ? 0 : 1);
    free(all);
    sl_map_fini(&m, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(map_empty_map_finds_nothing),
        cmocka_unit_test(map_values_lists_every_live_value_once),
        cmocka_unit_test(map_put_get_replace_delete_many),
        cmocka_unit_test(map_tombstones_do_not_grow_table_forever),
        cmocka_unit_test(map_iteration_visits_every_key_once),
        cmocka_unit_test(map_delete_current_key_during_iteration),
        cmocka_unit_test(map_binary_keys_with_nul_and_empty_key),
        cmocka_unit_test(map_keys_are_copied),
        cmocka_unit_test(map_fini_calls_destructor_on_each_value),
        cmocka_unit_test(map_hash_is_stable_and_spreads),
        cmocka_unit_test(list_insert_remove_and_safe_iteration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
