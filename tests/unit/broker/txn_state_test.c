/* txn_state_test.c - the transaction coordinator's state machine
 * (broker/txn/txn_state.c) driven with a fake clock and a fake producer id
 * allocator, the way the coordinator drives it: init (new id, re-init
 * bumping the epoch, KIP-360 retries and fencing, epoch exhaustion giving
 * a new producer id), add partitions, commit and abort through
 * Prepare -> Complete, retries of EndTxn, fencing of old epochs, the abort
 * of an Ongoing transaction by a new producer (PrepareEpochFence rule),
 * the timeout and the expiry rules. Transitions never touch the current
 * metadata. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <string.h>

#include "txn/txn.h"

static int64_t pid_counter;

static sl_err_t fake_pid(void *arg, int64_t *out)
{
    (void)arg;
    *out = pid_counter++;
    return SL_OK;
}

static sl_err_t failing_pid(void *arg, int64_t *out)
{
    (void)arg;
    (void)out;
    return SL_ERR_IO;
}

/* Applies a successful transition, as the coordinator does after the
 * write. */
static void apply(sl_txn_t *cur, sl_txn_t *next) { sl_txn_move(cur, next); }

/* A new transactional id initialised at now: producer id 1000, epoch 0. */
static void fresh(sl_txn_t *t, int64_t now)
{
    pid_counter = 1000;
    sl_txn_t cur, next;
    sl_txn_init(&cur);
    assert_int_equal(fake_pid(NULL, &cur.producer_id), SL_OK);
    bool fence;
    assert_int_equal(sl_txn_prepare_init(&cur, 60000, -1, -1, fake_pid, NULL, now, &next, &fence), 0);
    assert_false(fence);
    assert_int_equal(next.producer_id, 1000);
    assert_int_equal(next.producer_epoch, 0);
    assert_int_equal(next.state, SL_TXN_EMPTY);
    assert_int_equal(next.update_ts, now);
    sl_txn_init(t);
    apply(t, &next);
    sl_txn_free(&cur);
}

static const sl_txn_tp_t tps[] = {{(char *)"a", 0}, {(char *)"a", 1}, {(char *)"b", 0}};

static void txn_state_init_and_reinit(void **state)
{
    (void)state;
    sl_txn_t t, next;
    fresh(&t, 100);
    bool fence;
    /* a second producer with the same id: epoch bumped, the old one fenced */
    assert_int_equal(sl_txn_prepare_init(&t, 30000, -1, -1, fake_pid, NULL, 200, &next, &fence), 0);
    assert_false(fence);
    assert_int_equal(next.producer_id, 1000);
    assert_int_equal(next.producer_epoch, 1);
    assert_int_equal(next.timeout_ms, 30000);
    assert_int_equal(t.producer_epoch, 0); /* untouched until applied */
    apply(&t, &next);
    bool noop;
    assert_int_equal(sl_txn_prepare_add(&t, 1000, 0, tps, 1, 300, &next, &noop), SL_ERR_PRODUCER_FENCED);
    assert_int_equal(sl_txn_prepare_end(&t, 1000, 0, true, 300, &next, &noop), SL_ERR_PRODUCER_FENCED);
    assert_int_equal(sl_txn_prepare_add(&t, 999, 1, tps, 1, 300, &next, &noop), SL_ERR_INVALID_PRODUCER_ID_MAPPING);
    /* KIP-360: the producer names its id and current epoch: bumped, the
     * previous epoch remembered */
    assert_int_equal(sl_txn_prepare_init(&t, 30000, 1000, 1, fake_pid, NULL, 400, &next, &fence), 0);
    assert_int_equal(next.producer_epoch, 2);
    assert_int_equal(next.last_producer_epoch, 1);
    apply(&t, &next);
    /* its retry (answer lost) gets the same epoch again */
    assert_int_equal(sl_txn_prepare_init(&t, 30000, 1000, 1, fake_pid, NULL, 500, &next, &fence), 0);
    assert_int_equal(next.producer_epoch, 2);
    sl_txn_free(&next);
    /* an older epoch, or another producer id, is fenced */
    assert_int_equal(sl_txn_prepare_init(&t, 30000, 1000, 0, fake_pid, NULL, 500, &next, &fence),
                     SL_ERR_PRODUCER_FENCED);
    assert_int_equal(sl_txn_prepare_init(&t, 30000, 77, 2, fake_pid, NULL, 500, &next, &fence),
                     SL_ERR_PRODUCER_FENCED);
    sl_txn_free(&t);
}

static void txn_state_commit_and_abort(void **state)
{
    (void)state;
    sl_txn_t t, next;
    fresh(&t, 100);
    bool noop;
    /* EndTxn with nothing begun is an invalid state */
    assert_int_equal(sl_txn_prepare_end(&t, 1000, 0, true, 150, &next, &noop), SL_ERR_INVALID_TXN_STATE);
    assert_int_equal(sl_txn_prepare_add(&t, 1000, 0, tps, 2, 200, &next, &noop), 0);
    assert_false(noop);
    assert_int_equal(next.state, SL_TXN_ONGOING);
    assert_int_equal(next.start_ts, 200);
    assert_int_equal(next.nparts, 2);
    apply(&t, &next);
    /* partitions already there: nothing to write */
    assert_int_equal(sl_txn_prepare_add(&t, 1000, 0, tps, 1, 250, &next, &noop), 0);
    assert_true(noop);
    assert_int_equal(sl_txn_prepare_add(&t, 1000, 0, tps, 3, 300, &next, &noop), 0);
    assert_false(noop);
    assert_int_equal(next.nparts, 3);
    assert_int_equal(next.start_ts, 200); /* the transaction began at the first add */
    apply(&t, &next);
    assert_int_equal(sl_txn_prepare_end(&t, 1000, 0, true, 400, &next, &noop), 0);
    assert_int_equal(next.state, SL_TXN_PREPARE_COMMIT);
    assert_int_equal(next.nparts, 3); /* the markers go to these */
    apply(&t, &next);
    /* while the markers are written */
    assert_int_equal(sl_txn_prepare_end(&t, 1000, 0, true, 410, &next, &noop), SL_ERR_CONCURRENT_TRANSACTIONS);
    assert_int_equal(sl_txn_prepare_end(&t, 1000, 0, false, 410, &next, &noop), SL_ERR_INVALID_TXN_STATE);
    assert_int_equal(sl_txn_prepare_add(&t, 1000, 0, tps, 1, 410, &next, &noop), SL_ERR_CONCURRENT_TRANSACTIONS);
    bool fence;
    assert_int_equal(sl_txn_prepare_init(&t, 60000, -1, -1, fake_pid, NULL, 410, &next, &fence),
                     SL_ERR_CONCURRENT_TRANSACTIONS);
    assert_int_equal(sl_txn_prepare_complete(&t, 500, &next), 0);
    assert_int_equal(next.state, SL_TXN_COMPLETE_COMMIT);
    assert_int_equal(next.nparts, 0);
    apply(&t, &next);
    assert_int_equal(sl_txn_prepare_complete(&t, 500, &next), SL_ERR_INVALID_TXN_STATE);
    /* a retried commit succeeds without change; an abort now is invalid */
    assert_int_equal(sl_txn_prepare_end(&t, 1000, 0, true, 600, &next, &noop), 0);
    assert_true(noop);
    assert_int_equal(sl_txn_prepare_end(&t, 1000, 0, false, 600, &next, &noop), SL_ERR_INVALID_TXN_STATE);
    /* the next transaction starts anew, and aborts */
    assert_int_equal(sl_txn_prepare_add(&t, 1000, 0, tps + 2, 1, 700, &next, &noop), 0);
    assert_int_equal(next.start_ts, 700);
    assert_int_equal(next.nparts, 1);
    apply(&t, &next);
    assert_int_equal(sl_txn_prepare_end(&t, 1000, 0, false, 800, &next, &noop), 0);
    assert_int_equal(next.state, SL_TXN_PREPARE_ABORT);
    apply(&t, &next);
    assert_int_equal(sl_txn_prepare_complete(&t, 900, &next), 0);
    assert_int_equal(next.state, SL_TXN_COMPLETE_ABORT);
    apply(&t, &next);
    assert_int_equal(sl_txn_prepare_end(&t, 1000, 0, false, 950, &next, &noop), 0);
    assert_true(noop);
    assert_int_equal(sl_txn_prepare_end(&t, 1000, 0, true, 950, &next, &noop), SL_ERR_INVALID_TXN_STATE);
    sl_txn_free(&t);
}

static void txn_state_new_producer_aborts_ongoing(void **state)
{
    (void)state;
    sl_txn_t t, next;
    fresh(&t, 100);
    bool noop, fence;
    assert_int_equal(sl_txn_prepare_add(&t, 1000, 0, tps, 2, 200, &next, &noop), 0);
    apply(&t, &next);
    /* a new producer: the ongoing transaction is aborted at epoch 1 */
    assert_int_equal(sl_txn_prepare_init(&t, 60000, -1, -1, fake_pid, NULL, 300, &next, &fence), 0);
    assert_true(fence);
    assert_int_equal(next.state, SL_TXN_PREPARE_ABORT);
    assert_int_equal(next.producer_epoch, 1);
    assert_int_equal(next.nparts, 2);
    apply(&t, &next);
    /* the old producer is fenced meanwhile */
    assert_int_equal(sl_txn_prepare_end(&t, 1000, 0, true, 310, &next, &noop), SL_ERR_PRODUCER_FENCED);
    assert_int_equal(sl_txn_prepare_complete(&t, 320, &next), 0);
    apply(&t, &next);
    /* the retry gets epoch 2 */
    assert_int_equal(sl_txn_prepare_init(&t, 60000, -1, -1, fake_pid, NULL, 400, &next, &fence), 0);
    assert_false(fence);
    assert_int_equal(next.producer_epoch, 2);
    assert_int_equal(next.state, SL_TXN_EMPTY);
    sl_txn_free(&next);
    sl_txn_free(&t);
}

static void txn_state_epoch_exhaustion(void **state)
{
    (void)state;
    sl_txn_t t, next;
    fresh(&t, 100);
    t.producer_epoch = INT16_MAX - 2;
    bool fence;
    assert_int_equal(sl_txn_prepare_init(&t, 60000, -1, -1, fake_pid, NULL, 200, &next, &fence), 0);
    assert_int_equal(next.producer_id, 1000);
    assert_int_equal(next.producer_epoch, INT16_MAX - 1);
    apply(&t, &next);
    assert_true(sl_txn_epoch_exhausted(t.producer_epoch));
    /* exhausted: a new producer id at epoch 0 */
    assert_int_equal(sl_txn_prepare_init(&t, 60000, -1, -1, fake_pid, NULL, 300, &next, &fence), 0);
    assert_int_equal(next.producer_id, 1001);
    assert_int_equal(next.producer_epoch, 0);
    assert_int_equal(next.last_producer_id, 1000);
    sl_txn_free(&next);
    /* KIP-360 with the exhausted epoch: rotated too, the last epoch kept */
    assert_int_equal(sl_txn_prepare_init(&t, 60000, 1000, INT16_MAX - 1, fake_pid, NULL, 300, &next, &fence), 0);
    assert_int_equal(next.producer_id, 1002);
    assert_int_equal(next.last_producer_epoch, INT16_MAX - 1);
    apply(&t, &next);
    /* a retry naming the previous id at its exhausted epoch is not fenced */
    assert_int_equal(sl_txn_prepare_init(&t, 60000, 1000, INT16_MAX - 1, fake_pid, NULL, 300, &next, &fence), 0);
    sl_txn_free(&next);
    /* no producer id to be had */
    t.producer_epoch = INT16_MAX - 1;
    assert_int_equal(sl_txn_prepare_init(&t, 60000, -1, -1, failing_pid, NULL, 300, &next, &fence),
                     SL_ERR_UNKNOWN_SERVER_ERROR);
    assert_int_equal(t.producer_id, 1002);
    sl_txn_free(&t);
}

static void txn_state_timeout_and_expiry(void **state)
{
    (void)state;
    sl_txn_t t, next;
    fresh(&t, 1000);
    t.timeout_ms = 500;
    bool noop;
    assert_false(sl_txn_prepare_timeout(&t, 100000, &next)); /* nothing ongoing */
    assert_int_equal(sl_txn_prepare_add(&t, 1000, 0, tps, 1, 2000, &next, &noop), 0);
    apply(&t, &next);
    assert_false(sl_txn_prepare_timeout(&t, 2500, &next));
    assert_true(sl_txn_prepare_timeout(&t, 2501, &next));
    assert_int_equal(next.state, SL_TXN_PREPARE_ABORT);
    assert_int_equal(next.producer_epoch, 1); /* the zombie is fenced */
    apply(&t, &next);
    assert_false(sl_txn_prepare_timeout(&t, 9000, &next));
    assert_int_equal(sl_txn_prepare_end(&t, 1000, 0, true, 2600, &next, &noop), SL_ERR_PRODUCER_FENCED);
    assert_false(sl_txn_expired(&t, 1000000, 10)); /* prepared: never expires */
    assert_int_equal(sl_txn_prepare_complete(&t, 3000, &next), 0);
    apply(&t, &next);
    assert_false(sl_txn_expired(&t, 3009, 10));
    assert_true(sl_txn_expired(&t, 3010, 10));
    /* Ongoing never expires */
    assert_int_equal(sl_txn_prepare_add(&t, 1000, 1, tps, 1, 4000, &next, &noop), 0);
    apply(&t, &next);
    assert_false(sl_txn_expired(&t, 1000000, 10));
    sl_txn_free(&t);
}

static void txn_state_copy_is_deep(void **state)
{
    (void)state;
    sl_txn_t a, b;
    sl_txn_init(&a);
    sl_txn_init(&b);
    assert_int_equal(sl_txn_add_part(&a, sl_kstr("x"), 1), SL_OK);
    assert_int_equal(sl_txn_add_part(&b, sl_kstr("y"), 2), SL_OK);
    assert_int_equal(sl_txn_copy(&b, &a), SL_OK);
    assert_int_equal(b.nparts, 1);
    assert_true(sl_txn_has_part(&b, sl_kstr("x"), 1));
    assert_ptr_not_equal(a.parts[0].topic, b.parts[0].topic);
    sl_txn_free(&a);
    assert_true(sl_txn_has_part(&b, sl_kstr("x"), 1));
    sl_txn_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(txn_state_init_and_reinit),
        cmocka_unit_test(txn_state_commit_and_abort),
        cmocka_unit_test(txn_state_new_producer_aborts_ongoing),
        cmocka_unit_test(txn_state_epoch_exhaustion),
        cmocka_unit_test(txn_state_timeout_and_expiry),
        cmocka_unit_test(txn_state_copy_is_deep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
