/* producer_expiry_test.c - producer.id.expiration.ms on a partition's
 * producer state with a fake clock (producer_int.h, "Expiry"): a producer
 * idle for the expiration or longer is forgotten (Kafka's >=), a newer one
 * stays, an append refreshes its time but a refused old epoch does not,
 * and a forgotten producer's next batch is accepted at any sequence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "producer_int.h"

static char msg[200];

static void idle_producers_expire_at_the_boundary(void **state)
{
    SL_UNUSED(state);
    sl_producer_state_t st;
    sl_producer_state_init(&st);
    assert_int_equal(sl_producer_state_update_at(&st, 1, 0, 0, 4, 0, 4, 1000), SL_OK);
    assert_int_equal(sl_producer_state_update_at(&st, 2, 0, 0, 4, 5, 9, 2000), SL_OK);
    assert_int_equal(sl_producer_state_update_at(&st, 3, 0, 0, 4, 10, 14, 2001), SL_OK);
    st.changed = false;
    /* Nothing old enough: nothing changes. */
    assert_int_equal(sl_producer_state_expire(&st, 1999, 1000), 0);
    assert_false(st.changed);
    assert_int_equal(sl_map_count(&st.producers), 3);
    /* At now 3000 with 1000 ms: 1 (2000 ms idle) and 2 (exactly 1000) go. */
    assert_int_equal(sl_producer_state_expire(&st, 3000, 1000), 2);
    assert_true(st.changed);
    assert_null(sl_producer_state_find(&st, 1));
    assert_null(sl_producer_state_find(&st, 2));
    assert_non_null(sl_producer_state_find(&st, 3));
    /* Forgotten: any sequence is accepted, as for an unknown producer. */
    bool dup = true;
    assert_int_equal(sl_producer_state_check(&st, 2, 0, 777, 0, &dup, NULL, msg, sizeof msg), 0);
    assert_false(dup);
    /* Still known: a gap is refused. */
    assert_int_equal(sl_producer_state_check(&st, 3, 0, 777, 0, &dup, NULL, msg, sizeof msg),
                     SL_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    sl_producer_state_fini(&st);
}

static void an_append_refreshes_the_time_an_old_epoch_does_not(void **state)
{
    SL_UNUSED(state);
    sl_producer_state_t st;
    sl_producer_state_init(&st);
    assert_int_equal(sl_producer_state_update_at(&st, 7, 2, 0, 0, 0, 0, 1000), SL_OK);
    assert_int_equal(sl_producer_state_update_at(&st, 7, 2, 1, 0, 1, 1, 5000), SL_OK);
    assert_int_equal(sl_producer_state_find(&st, 7)->last_ts, 5000);
    st.changed = false;
    assert_int_equal(sl_producer_state_update_at(&st, 7, 1, 0, 0, 2, 2, 9000), SL_OK); /* ignored */
    assert_false(st.changed);
    assert_int_equal(sl_producer_state_find(&st, 7)->last_ts, 5000);
    assert_int_equal(sl_producer_state_expire(&st, 5999, 1000), 0);
    assert_int_equal(sl_producer_state_expire(&st, 6000, 1000), 1);
    assert_int_equal(sl_map_count(&st.producers), 0);
    sl_producer_state_fini(&st);
}

static void update_uses_the_wall_clock(void **state)
{
    SL_UNUSED(state);
    sl_producer_state_t st;
    sl_producer_state_init(&st);
    int64_t before = sl_time_wall_ms();
    assert_int_equal(sl_producer_state_update(&st, 9, 0, 0, 0, 0, 0), SL_OK);
    int64_t after = sl_time_wall_ms();
    const sl_producer_entry_t *e = sl_producer_state_find(&st, 9);
    assert_true(e->last_ts >= before && e->last_ts <= after);
    assert_true(st.changed);
    sl_producer_state_fini(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(idle_producers_expire_at_the_boundary),
        cmocka_unit_test(an_append_refreshes_the_time_an_old_epoch_does_not),
        cmocka_unit_test(update_uses_the_wall_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
