/* broker_fetch_test.c - the Fetch byte budget (KIP-74): the response cap,
 * the per-partition cap, and the first partition with data returning at
 * least one whole batch; and the hand-written Fetch response frame
 * (fetch_wire.c) against the generated encoder, with and without holes for
 * records sent from files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <string.h>

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

/* A response with what a Fetch answer can hold: two topics, errors,
 * aborted-transaction lists null, empty and not, records null, empty and
 * present. */
typedef struct fr {
    sl_FetchResponse_t resp;
    sl_FetchResponse_FetchableTopicResponse_t topics[2];
    sl_FetchResponse_PartitionData_t parts[5];
    sl_FetchResponse_AbortedTransaction_t aborted[2];
    uint8_t rec_a[300], rec_b[70000];
} fr_t;

static void fr_make(fr_t *f, int16_t version)
{
    memset(f, 0, sizeof *f);
    for (size_t i = 0; i < sizeof f->rec_a; i++)
        f->rec_a[i] = (uint8_t)(i * 7 + 1);
    for (size_t i = 0; i < sizeof f->rec_b; i++)
        f->rec_b[i] = (uint8_t)(i * 13 + 5);
    sl_FetchResponse_init(&f->resp);
    f->resp.ThrottleTimeMs = 12;
    if (version >= 7) {
        f->resp.ErrorCode = 0;
        f->resp.SessionId = 0;
    }
    f->resp.Responses.count = 2;
    f->resp.Responses.items = f->topics;
    for (int i = 0; i < 2; i++)
        sl_FetchResponse_FetchableTopicResponse_init(&f->topics[i]);
    f->topics[0].Topic = sl_kstr("orders");
    f->topics[0].Partitions.count = 3;
    f->topics[0].Partitions.items = &f->parts[0];
    f->topics[1].Topic = sl_kstr("x");
    f->topics[1].Partitions.count = 2;
    f->topics[1].Partitions.items = &f->parts[3];
    for (int i = 0; i < 5; i++) {
        sl_FetchResponse_PartitionData_t *p = &f->parts[i];
        sl_FetchResponse_PartitionData_init(p);
        p->PartitionIndex = i;
        p->HighWatermark = 1000 + i;
        p->LastStableOffset = 900 + i;
        p->LogStartOffset = 5 + i;
        p->AbortedTransactions.count = -1;
    }
    f->parts[0].Records.ptr = f->rec_a;
    f->parts[0].Records.len = (int32_t)sizeof f->rec_a;
    f->parts[0].AbortedTransactions.count = 0;
    f->parts[1].ErrorCode = SL_ERR_OFFSET_OUT_OF_RANGE;
    f->parts[1].Records.len = -1; /* null */
    f->parts[2].Records.ptr = f->rec_b;
    f->parts[2].Records.len = (int32_t)sizeof f->rec_b;
    f->aborted[0].ProducerId = 77;
    f->aborted[0].FirstOffset = 3;
    f->aborted[1].ProducerId = 78;
    f->aborted[1].FirstOffset = 9;
    f->parts[2].AbortedTransactions.count = 2;
    f->parts[2].AbortedTransactions.items = f->aborted;
    f->parts[3].Records.len = 0; /* empty, not null */
    f->parts[4].Records.ptr = f->rec_a;
    f->parts[4].Records.len = 10;
    if (version >= 11)
        f->parts[4].PreferredReadReplica = 3;
}

static void fetch_wire_matches_the_generated_encoder_in_every_version(void **state)
{
    (void)state;
    for (int16_t v = 4; v <= 12; v++) {
        fr_t *f = calloc(1, sizeof *f);
        assert_non_null(f);
        fr_make(f, v);
        sl_buf_t ref = SL_BUF_INIT, mine = SL_BUF_INIT;
        assert_int_equal(sl_response_encode(&ref, SL_APIKEY_FETCH, v, 4242, &f->resp), SL_OK);
        size_t holes[5], nholes = 99;
        sl_buf_put(&mine, "junk", 4); /* appends after what is there */
        assert_int_equal(sl_broker_fetch_encode(&mine, v, 4242, &f->resp, holes, &nholes), SL_OK);
        assert_int_equal(nholes, 0);
        assert_int_equal(mine.len - 4, ref.len);
        assert_memory_equal(mine.data + 4, ref.data, ref.len);

        /* Holes: the same frame once the file bytes are put back. */
        f->parts[0].Records.ptr = NULL;
        f->parts[2].Records.ptr = NULL;
        sl_buf_reset(&mine);
        assert_int_equal(sl_broker_fetch_encode(&mine, v, 4242, &f->resp, holes, &nholes), SL_OK);
        assert_int_equal(nholes, 2);
        assert_true(holes[0] < holes[1]);
        assert_int_equal(mine.len + sizeof f->rec_a + sizeof f->rec_b, ref.len);
        sl_buf_t joined = SL_BUF_INIT;
        sl_buf_put(&joined, mine.data, holes[0]);
        sl_buf_put(&joined, f->rec_a, sizeof f->rec_a);
        sl_buf_put(&joined, mine.data + holes[0], holes[1] - holes[0]);
        sl_buf_put(&joined, f->rec_b, sizeof f->rec_b);
        sl_buf_put(&joined, mine.data + holes[1], mine.len - holes[1]);
        assert_int_equal(joined.len, ref.len);
        assert_memory_equal(joined.data, ref.data, ref.len);
        sl_buf_free(&joined);
        sl_buf_free(&ref);
        sl_buf_free(&mine);
        free(f);
    }
}

static void fetch_wire_refuses_what_it_cannot_write(void **state)
{
    (void)state;
    fr_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    fr_make(f, 10);
    sl_buf_t out = SL_BUF_INIT;
    size_t holes[5], nholes;
    assert_int_equal(sl_broker_fetch_encode(&out, 3, 1, &f->resp, holes, &nholes), SL_ERR_UNSUPPORTED_VERSION);
    assert_int_equal(sl_broker_fetch_encode(&out, 13, 1, &f->resp, holes, &nholes), SL_ERR_UNSUPPORTED_VERSION);
    f->parts[4].PreferredReadReplica = 2; /* v11+ only */
    assert_int_equal(sl_broker_fetch_encode(&out, 10, 1, &f->resp, holes, &nholes), SL_ERR_UNSUPPORTED);
    sl_buf_free(&out);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fetch_budget_first_partition_with_data_may_exceed_limits),
        cmocka_unit_test(fetch_budget_partitions_share_the_response_limit),
        cmocka_unit_test(fetch_budget_caps_what_clients_ask),
        cmocka_unit_test(fetch_wire_matches_the_generated_encoder_in_every_version),
        cmocka_unit_test(fetch_wire_refuses_what_it_cannot_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
