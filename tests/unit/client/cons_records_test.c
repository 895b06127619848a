/*
 * cons_records_test.c - the consumer's reading of a fetched partition
 * (cons_records.c): records and their fields as messages, every codec,
 * records before the fetch offset skipped, control batches never returned,
 * read_committed dropping aborted transactions with the AbortedTransactions
 * list (interleaved producers, a producer reusing its id after an abort),
 * a partial batch at the end, a first batch larger than the response, and
 * corrupt batches reported with the messages before them kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "consumer_int.h"

/* Appends a batch at base with n records "v<base+i>" (keys "k<i>"). */
static void add_batch(sl_buf_t *out, int64_t base, int n, sl_compression_t codec, int64_t pid, bool txn)
{
    sl_batch_builder_t b;
    sl_batch_opts_t o;
    sl_batch_opts_init(&o);
    o.base_offset = base;
    o.compression = codec;
    o.producer_id = pid;
    o.producer_epoch = pid >= 0 ? 0 : -1;
    o.base_sequence = pid >= 0 ? 0 : -1;
    o.transactional = txn;
    assert_int_equal(sl_batch_builder_begin(&b, out, &o), SL_OK);
    for (int i = 0; i < n; i++) {
        char k[32], v[32];
        snprintf(k, sizeof(k), "k%d", i);
        snprintf(v, sizeof(v), "v%lld", (long long)(base + i));
        assert_int_equal(sl_batch_builder_add(&b, 1000 + i, k, (int32_t)strlen(k), v, (int32_t)strlen(v), NULL, 0),
                         SL_OK);
    }
    assert_int_equal(sl_batch_builder_finish(&b), SL_OK);
}

static void add_marker(sl_buf_t *out, int64_t offset, int64_t pid, bool commit)
{
    sl_batch_opts_t o;
    sl_batch_opts_init(&o);
    o.base_offset = offset;
    o.producer_id = pid;
    o.producer_epoch = 0;
    assert_int_equal(sl_batch_write_control(out, &o, commit, 0, 5000), SL_OK);
}

typedef struct parsed {
    cons_parse_t p;
    sl_buf_t scratch;
    sl_err_t err;
} parsed_t;

static void parse(parsed_t *r, const sl_buf_t *blob, size_t len, int64_t from, bool rc,
                  const sl_FetchResponse_AbortedTransaction_t *ab, int32_t nab)
{
    memset(r, 0, sizeof(*r));
    sl_buf_init(&r->scratch);
    r->p.topic = "t";
    r->p.partition = 3;
    r->p.fetch_offset = from;
    r->p.read_committed = rc;
    r->p.aborted = ab;
    r->p.aborted_count = nab;
    r->p.scratch = &r->scratch;
    r->p.tail = &r->p.head;
    r->err = sl_cons_parse_records(&r->p, blob->data, len);
}

static void parsed_fini(parsed_t *r)
{
    sl_cons_msgs_free(r->p.head);
    sl_buf_free(&r->scratch);
}

/* The offsets of the messages, in order. */
static size_t offsets(const parsed_t *r, int64_t *out, size_t cap)
{
    size_t n = 0;
    for (cons_msg_t *m = r->p.head; m && n < cap; m = m->next)
        out[n++] = m->m.offset;
    return n;
}

static void test_fields(void **state)
{
    (void)state;
    sl_buf_t blob = SL_BUF_INIT;
    sl_batch_builder_t b;
    sl_batch_opts_t o;
    sl_batch_opts_init(&o);
    o.base_offset = 10;
    sl_header_t h[2] = {{(const uint8_t *)"h1", 2, (const uint8_t *)"x", 1}, {(const uint8_t *)"h2", 2, NULL, -1}};
    assert_int_equal(sl_batch_builder_begin(&b, &blob, &o), SL_OK);
    assert_int_equal(sl_batch_builder_add(&b, 1234, "key", 3, "value", 5, h, 2), SL_OK);
    assert_int_equal(sl_batch_builder_add(&b, 1235, NULL, -1, NULL, -1, NULL, 0), SL_OK);
    assert_int_equal(sl_batch_builder_add(&b, 1236, "", 0, "", 0, NULL, 0), SL_OK);
    assert_int_equal(sl_batch_builder_finish(&b), SL_OK);

    parsed_t r;
    parse(&r, &blob, blob.len, 10, false, NULL, 0);
    assert_int_equal(r.err, SL_OK);
    assert_int_equal(r.p.count, 3);
    assert_int_equal(r.p.next_offset, 13);
    const sl_message_t *m = &r.p.head->m;
    assert_string_equal(m->topic, "t");
    assert_int_equal(m->partition, 3);
    assert_int_equal(m->offset, 10);
    assert_int_equal(m->timestamp, 1234);
    assert_int_equal(m->timestamp_type, 0);
    assert_int_equal(m->key_len, 3);
    assert_memory_equal(m->key, "key", 3);
    assert_int_equal(m->value_len, 5);
    assert_memory_equal(m->value, "value", 5);
    assert_int_equal(m->header_count, 2);
    assert_string_equal(m->headers[0].key, "h1");
    assert_int_equal(m->headers[0].value_len, 1);
    assert_memory_equal(m->headers[0].value, "x", 1);
    assert_string_equal(m->headers[1].key, "h2");
    assert_int_equal(m->headers[1].value_len, -1);
    assert_null(m->headers[1].value);
    m = &r.p.head->next->m;
    assert_null(m->key);
    assert_int_equal(m->key_len, -1);
    assert_null(m->value);
    assert_int_equal(m->value_len, -1);
    assert_int_equal(m->header_count, 0);
    m = &r.p.head->next->next->m;
    assert_non_null(m->key);
    assert_int_equal(m->key_len, 0);
    assert_non_null(m->value);
    assert_int_equal(m->value_len, 0);
    assert_int_equal(r.p.bytes, 8);
    parsed_fini(&r);
    sl_buf_free(&blob);
}

static void test_codecs_and_skip(void **state)
{
    (void)state;
    for (int codec = SL_COMPRESSION_NONE; codec <= SL_COMPRESSION_ZSTD; codec++) {
        sl_buf_t blob = SL_BUF_INIT;
        add_batch(&blob, 0, 5, (sl_compression_t)codec, -1, false);
        add_batch(&blob, 5, 5, (sl_compression_t)codec, -1, false);
        parsed_t r;
        parse(&r, &blob, blob.len, 3, false, NULL, 0);   /* from the middle of a batch */
        assert_int_equal(r.err, SL_OK);
        int64_t offs[16];
        size_t n = offsets(&r, offs, 16);
        assert_int_equal(n, 7);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(offs[i], 3 + (int64_t)i);
        assert_int_equal(r.p.next_offset, 10);
        char want[16];
        cons_msg_t *last = r.p.head;
        while (last->next)
            last = last->next;
        snprintf(want, sizeof(want), "v%d", 9);
        assert_int_equal(last->m.value_len, (int32_t)strlen(want));
        assert_memory_equal(last->m.value, want, strlen(want));
        parsed_fini(&r);
        sl_buf_free(&blob);
    }
}

static void test_partial_end(void **state)
{
    (void)state;
    sl_buf_t blob = SL_BUF_INIT;
    add_batch(&blob, 0, 3, SL_COMPRESSION_NONE, -1, false);
    size_t first = blob.len;
    add_batch(&blob, 3, 3, SL_COMPRESSION_NONE, -1, false);
    parsed_t r;
    parse(&r, &blob, blob.len - 7, 0, false, NULL, 0);
    assert_int_equal(r.err, SL_OK);
    assert_int_equal(r.p.count, 3);
    assert_int_equal(r.p.next_offset, 3);   /* the cut batch is fetched again */
    parsed_fini(&r);

    /* Only part of the first batch: it does not fit the fetch size. */
    parse(&r, &blob, first - 1, 0, false, NULL, 0);
    assert_int_equal(r.err, SL_ERR_MESSAGE_TOO_LARGE);
    assert_int_equal(r.p.count, 0);
    assert_int_equal(r.p.next_offset, 0);
    parsed_fini(&r);

    /* Empty records. */
    parse(&r, &blob, 0, 42, false, NULL, 0);
    assert_int_equal(r.err, SL_OK);
    assert_int_equal(r.p.count, 0);
    assert_int_equal(r.p.next_offset, 42);
    parsed_fini(&r);
    sl_buf_free(&blob);
}

static void test_corrupt(void **state)
{
    (void)state;
    sl_buf_t blob = SL_BUF_INIT;
    add_batch(&blob, 0, 2, SL_COMPRESSION_NONE, -1, false);
    size_t first = blob.len;
    add_batch(&blob, 2, 2, SL_COMPRESSION_NONE, -1, false);
    blob.data[blob.len - 1] ^= 0xff;   /* breaks the second batch's CRC */
    parsed_t r;
    parse(&r, &blob, blob.len, 0, false, NULL, 0);
    assert_int_equal(r.err, SL_ERR_CORRUPT_MESSAGE);
    assert_int_equal(r.p.count, 2);
    assert_int_equal(r.p.next_offset, 2);
    assert_true(strlen(r.p.errmsg) > 0);
    parsed_fini(&r);
    (void)first;
    sl_buf_free(&blob);
}

/* Control batches are skipped in both isolation levels, and the position
 * moves past them. */
static void test_control_skipped(void **state)
{
    (void)state;
    sl_buf_t blob = SL_BUF_INIT;
    add_batch(&blob, 0, 2, SL_COMPRESSION_NONE, 7, true);
    add_marker(&blob, 2, 7, true);
    for (int rc = 0; rc < 2; rc++) {
        parsed_t r;
        parse(&r, &blob, blob.len, 0, rc, NULL, 0);
        assert_int_equal(r.err, SL_OK);
        assert_int_equal(r.p.count, 2);
        assert_int_equal(r.p.next_offset, 3);
        parsed_fini(&r);
    }
    sl_buf_free(&blob);
}

/* Producer 7 aborts [0,2) and commits [4,6); producer 8 commits [2,4)
 * interleaved; producer 7 aborts again at [7,9) after its commit. */
static void test_aborted(void **state)
{
    (void)state;
    sl_buf_t blob = SL_BUF_INIT;
    add_batch(&blob, 0, 2, SL_COMPRESSION_LZ4, 7, true);     /* 0,1 aborted */
    add_batch(&blob, 2, 2, SL_COMPRESSION_NONE, 8, true);    /* 2,3 committed */
    add_marker(&blob, 4, 7, false);                          /* 4 abort of 7 */
    add_batch(&blob, 5, 2, SL_COMPRESSION_ZSTD, 7, true);    /* 5,6 committed */
    add_marker(&blob, 7, 8, true);                           /* 7 commit of 8 */
    add_marker(&blob, 8, 7, true);                           /* 8 commit of 7 */
    add_batch(&blob, 9, 2, SL_COMPRESSION_NONE, 7, true);    /* 9,10 aborted */
    add_batch(&blob, 11, 1, SL_COMPRESSION_NONE, -1, false); /* 11 plain */
    add_marker(&blob, 12, 7, false);                         /* 12 abort of 7 */
    sl_FetchResponse_AbortedTransaction_t ab[2] = {{7, 9}, {7, 0}};   /* unordered on purpose */

    parsed_t r;
    parse(&r, &blob, blob.len, 0, true, ab, 2);
    assert_int_equal(r.err, SL_OK);
    int64_t offs[16];
    size_t n = offsets(&r, offs, 16);
    int64_t want[] = {2, 3, 5, 6, 11};
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(offs[i], want[i]);
    assert_int_equal(r.p.next_offset, 13);
    parsed_fini(&r);

    /* read_uncommitted: everything but the markers. */
    parse(&r, &blob, blob.len, 0, false, ab, 2);
    assert_int_equal(r.err, SL_OK);
    assert_int_equal(r.p.count, 9);
    parsed_fini(&r);

    /* Starting after the first abort: the list still names it, harmlessly. */
    parse(&r, &blob, blob.len, 5, true, ab, 2);
    n = offsets(&r, offs, 16);
    assert_int_equal(n, 3);
    assert_int_equal(offs[0], 5);
    assert_int_equal(offs[2], 11);
    parsed_fini(&r);
    sl_buf_free(&blob);
}

static void test_error_event(void **state)
{
    (void)state;
    cons_msg_t *m = sl_cons_msg_error("topic", 2, 17, SL_ERR_OFFSET_OUT_OF_RANGE);
    assert_non_null(m);
    assert_string_equal(m->m.topic, "topic");
    assert_int_equal(m->m.partition, 2);
    assert_int_equal(m->m.offset, 17);
    assert_int_equal(m->m.err, SL_ERR_OFFSET_OUT_OF_RANGE);
    assert_null(m->m.value);
    sl_message_free(&m->m);
    m = sl_cons_msg_error(NULL, -1, -1, SL_ERR_GROUP_AUTHORIZATION_FAILED);
    assert_non_null(m);
    assert_null(m->m.topic);
    sl_message_free(&m->m);
    sl_message_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),          cmocka_unit_test(test_codecs_and_skip),
        cmocka_unit_test(test_partial_end),     cmocka_unit_test(test_corrupt),
        cmocka_unit_test(test_control_skipped), cmocka_unit_test(test_aborted),
        cmocka_unit_test(test_error_event),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
