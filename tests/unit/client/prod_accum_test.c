/* prod_accum_test.c - the producer's accumulator with a fake clock:
 * batches cut at batch.size (a larger record alone), ready when full, after
 * linger.ms or on flush, drained per leader within max.request.size and
 * max in flight, retries queued back in sequence order, buffer.memory
 * bounding what is queued (and a blocked append woken by a release). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>

#include <cmocka.h>

#include "producer_int.h"

static sl_prod_accum_conf_t conf_default(void)
{
    sl_prod_accum_conf_t c = {
        .batch_size = 1024,
        .linger_ms = 50,
        .buffer_memory = 1 << 20,
        .max_request_size = 1 << 20,
        .max_inflight = 5,
        .compression = SL_COMPRESSION_NONE,
    };
    return c;
}

typedef struct fixture {
    sl_prod_accum_t a;
    sl_prod_topic_t *t;
} fixture_t;

static void fixture_init(fixture_t *f, const sl_prod_accum_conf_t *c, int32_t parts)
{
    assert_int_equal(sl_prod_accum_init(&f->a, c), SL_OK);
    f->t = sl_prod_accum_topic(&f->a, "t", true);
    assert_non_null(f->t);
    assert_int_equal(f->t->count, -1);
    assert_int_equal(sl_prod_accum_set_partitions(&f->a, f->t, parts, NULL, SL_OK), SL_OK);
}

static sl_err_t append(fixture_t *f, int32_t part, size_t vlen, int64_t now, sl_prod_append_res_t *res)
{
    static char value[8192];
    sl_prod_rec_t r = {.timestamp = now, .key = NULL, .key_len = -1, .value = value,
                       .value_len = (int32_t)vlen, .opaque = (void *)(uintptr_t)(vlen + 1)};
    sl_prod_append_res_t dummy;
    return sl_prod_accum_append(&f->a, sl_prod_accum_part(&f->a, f->t, part), &r, false, now, 0,
                                res ? res : &dummy);
}

static int32_t leader_by_id(sl_prod_part_t *p, void *arg)
{
    (void)arg;
    return p->id % 2 + 1; /* partitions 0,2,.. on node 1; 1,3,.. on node 2 */
}

static const sl_prod_drain_ops_t ops = {leader_by_id, NULL, NULL};

/* Counts the records of a closed batch by reading it back. */
static int32_t read_back(sl_prod_batch_t *b)
{
    sl_batch_t hdr;
    assert_int_equal(sl_batch_peek(b->buf.data, b->buf.len, &hdr, NULL, 0), SL_OK);
    assert_int_equal(hdr.size, b->buf.len);
    sl_buf_t scratch = SL_BUF_INIT;
    assert_int_equal(sl_batch_validate(&hdr, SL_BATCH_VALIDATE_STRICT, &scratch, 0, NULL, 0), SL_OK);
    sl_buf_free(&scratch);
    return hdr.record_count;
}

static void complete(fixture_t *f, sl_prod_batch_t *b)
{
    b->part->inflight--;
    sl_prod_accum_release(&f->a, b);
    sl_prod_batch_free(b);
}

static void batches_are_cut_at_batch_size(void **state)
{
    (void)state;
    fixture_t f;
    sl_prod_accum_conf_t c = conf_default();
    fixture_init(&f, &c, 1);
    int news = 0;
    for (int i = 0; i < 100; i++) {
        sl_prod_append_res_t res;
        assert_int_equal(append(&f, 0, 100, 1000, &res), SL_OK);
        news += res == SL_PROD_NEW_BATCH;
    }
    /* A record with a larger value than batch.size gets a batch alone. */
    assert_int_equal(append(&f, 0, 3000, 1000, NULL), SL_OK);
    assert_int_equal(append(&f, 0, 10, 1000, NULL), SL_OK);
    sl_prod_take_t out[64];
    f.a.flushing = 1;
    size_t n = sl_prod_accum_drain(&f.a, 1000, &ops, out, 64, NULL);
    assert_int_equal(n, 1); /* one batch per partition per request */
    int32_t total = 0;
    size_t taken = 0;
    while (n > 0) {
        for (size_t i = 0; i < n; i++) {
            sl_prod_batch_t *b = out[i].batch;
            assert_int_equal(out[i].node, 1);
            assert_int_equal(sl_prod_batch_close(b), SL_OK);
            int32_t cnt = read_back(b);
            assert_int_equal(cnt, b->count);
            if (b->count > 1)
                assert_true(b->buf.len <= 1024);
            total += cnt;
            taken++;
            complete(&f, b);
        }
        n = sl_prod_accum_drain(&f.a, 1000, &ops, out, 64, NULL);
    }
    assert_int_equal(total, 102);
    assert_int_equal((int)taken, news + 2);
    assert_true(news >= 100 * 110 / 1024 && news <= 100 * 140 / 1024 + 1);
    assert_int_equal(f.a.mem_used, 0);
    sl_prod_accum_fini(&f.a);
}

static void linger_flush_and_full_batches(void **state)
{
    (void)state;
    fixture_t f;
    sl_prod_accum_conf_t c = conf_default();
    fixture_init(&f, &c, 2);
    assert_int_equal(append(&f, 0, 10, 1000, NULL), SL_OK);
    assert_int_equal(append(&f, 0, 10, 1030, NULL), SL_OK);
    sl_prod_take_t out[8];
    int64_t next = INT64_MAX;
    assert_int_equal(sl_prod_accum_drain(&f.a, 1049, &ops, out, 8, &next), 0);
    assert_int_equal(next, 1050); /* linger counts from the first record */
    /* A flush makes it ready at once. */
    f.a.flushing = 1;
    assert_int_equal(sl_prod_accum_drain(&f.a, 1001, &ops, out, 8, NULL), 1);
    f.a.flushing = 0;
    assert_int_equal(sl_prod_batch_close(out[0].batch), SL_OK);
    assert_int_equal(read_back(out[0].batch), 2);
    complete(&f, out[0].batch);
    /* Linger passes. */
    assert_int_equal(append(&f, 1, 10, 2000, NULL), SL_OK);
    next = INT64_MAX;
    assert_int_equal(sl_prod_accum_drain(&f.a, 2010, &ops, out, 8, &next), 0);
    assert_int_equal(next, 2050);
    assert_int_equal(sl_prod_accum_drain(&f.a, 2050, &ops, out, 8, NULL), 1);
    assert_int_equal(out[0].node, 2);
    complete(&f, out[0].batch);
    /* A full batch does not wait for linger; the one after it does. */
    for (int i = 0; i < 12; i++)
        assert_int_equal(append(&f, 0, 100, 3000, NULL), SL_OK);
    next = INT64_MAX;
    assert_int_equal(sl_prod_accum_drain(&f.a, 3000, &ops, out, 8, &next), 1);
    assert_true(out[0].batch->count >= 8 && out[0].batch->count < 12);
    next = INT64_MAX;
    assert_int_equal(sl_prod_accum_drain(&f.a, 3000, &ops, out + 1, 7, &next), 0);
    assert_int_equal(next, 3050);
    complete(&f, out[0].batch);
    sl_prod_accum_fini(&f.a);
}

static void drain_respects_max_request_size_per_node(void **state)
{
    (void)state;
    fixture_t f;
    sl_prod_accum_conf_t c = conf_default();
    c.max_request_size = 1500;
    c.linger_ms = 0;
    fixture_init(&f, &c, 4);
    for (int p = 0; p < 4; p++)
        for (int i = 0; i < 8; i++)
            assert_int_equal(append(&f, p, 100, 10, NULL), SL_OK);
    sl_prod_take_t out[16];
    size_t n = sl_prod_accum_drain(&f.a, 10, &ops, out, 16, NULL);
    size_t per_node[3] = {0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        per_node[out[i].node] += out[i].batch->buf.len ? out[i].batch->buf.len
                                                       : sl_batch_builder_size(&out[i].batch->bld);
    }
    assert_true(per_node[1] > 0 && per_node[1] <= 1500);
    assert_true(per_node[2] > 0 && per_node[2] <= 1500);
    assert_int_equal(n, 2); /* one batch of about 900 bytes per node fits */
    for (size_t i = 0; i < n; i++)
        complete(&f, out[i].batch);
    size_t more = sl_prod_accum_drain(&f.a, 10, &ops, out, 16, NULL);
    assert_int_equal(more, 2);
    for (size_t i = 0; i < more; i++)
        complete(&f, out[i].batch);
    sl_prod_accum_fini(&f.a);
}

static void retries_go_back_in_sequence_order_and_hold(void **state)
{
    (void)state;
    fixture_t f;
    sl_prod_accum_conf_t c = conf_default();
    c.linger_ms = 0;
    c.batch_size = 200;
    fixture_init(&f, &c, 1);
    for (int i = 0; i < 3; i++)
        assert_int_equal(append(&f, 0, 150, 10, NULL), SL_OK);
    sl_prod_take_t out[8];
    for (int i = 0; i < 3; i++)
        assert_int_equal(sl_prod_accum_drain(&f.a, 10, &ops, out + i, 8, NULL), 1);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(sl_prod_batch_close(out[i].batch), SL_OK);
        sl_prod_batch_set_producer(out[i].batch, 77, 3, i);
        out[i].batch->attempts = 1;
    }
    /* A new record queued meanwhile. */
    assert_int_equal(append(&f, 0, 150, 10, NULL), SL_OK);
    sl_prod_part_t *p = sl_prod_accum_part(&f.a, f.t, 0);
    /* Answers come back out of order; the queue keeps sequence order. */
    sl_prod_accum_requeue(&f.a, out[2].batch);
    sl_prod_accum_requeue(&f.a, out[0].batch);
    assert_true(p->hold);
    /* Held with one in flight: nothing goes. */
    assert_int_equal(sl_prod_accum_drain(&f.a, 10, &ops, out + 3, 1, NULL), 0);
    sl_prod_accum_requeue(&f.a, out[1].batch);
    assert_int_equal(p->inflight, 0);
    int32_t want[] = {0, 1, 2, -1};
    for (int i = 0; i < 4; i++) {
        sl_prod_take_t t[4];
        /* One at a time while held. */
        assert_int_equal(sl_prod_accum_drain(&f.a, 10, &ops, t, 4, NULL), 1);
        assert_int_equal(t[0].batch->base_seq, want[i]);
        if (i == 2)
            p->hold = false;
        complete(&f, t[0].batch);
    }
    sl_prod_accum_fini(&f.a);
}

static void at_most_max_inflight_per_partition(void **state)
{
    (void)state;
    fixture_t f;
    sl_prod_accum_conf_t c = conf_default();
    c.batch_size = 100;
    c.max_inflight = 3;
    fixture_init(&f, &c, 1);
    for (int i = 0; i < 6; i++)
        assert_int_equal(append(&f, 0, 80, 10, NULL), SL_OK);
    sl_prod_take_t out[8];
    for (int i = 0; i < 3; i++)
        assert_int_equal(sl_prod_accum_drain(&f.a, 10, &ops, out + i, 8, NULL), 1);
    assert_int_equal(sl_prod_accum_drain(&f.a, 10, &ops, out + 3, 8, NULL), 0);
    complete(&f, out[0].batch);
    assert_int_equal(sl_prod_accum_drain(&f.a, 10, &ops, out, 8, NULL), 1);
    for (int i = 0; i < 3; i++)
        complete(&f, out[i].batch);
    sl_prod_accum_fini(&f.a);
}

static void producer_fields_patch_keeps_crc_valid(void **state)
{
    (void)state;
    const sl_compression_t codecs[] = {SL_COMPRESSION_NONE, SL_COMPRESSION_GZIP, SL_COMPRESSION_SNAPPY,
                                       SL_COMPRESSION_LZ4, SL_COMPRESSION_ZSTD};
    for (size_t k = 0; k < SL_ARRAY_LEN(codecs); k++) {
        fixture_t f;
        sl_prod_accum_conf_t c = conf_default();
        c.compression = codecs[k];
        c.transactional = k == 1;
        fixture_init(&f, &c, 1);
        for (int i = 0; i < 5; i++)
            assert_int_equal(append(&f, 0, 60, 10, NULL), SL_OK);
        sl_prod_take_t out[1];
        f.a.flushing = 1;
        assert_int_equal(sl_prod_accum_drain(&f.a, 10, &ops, out, 1, NULL), 1);
        sl_prod_batch_t *b = out[0].batch;
        assert_int_equal(sl_prod_batch_close(b), SL_OK);
        sl_prod_batch_set_producer(b, 123456789012LL, 7, 41);
        sl_batch_t hdr;
        assert_int_equal(sl_batch_peek(b->buf.data, b->buf.len, &hdr, NULL, 0), SL_OK);
        assert_int_equal(hdr.producer_id, 123456789012LL);
        assert_int_equal(hdr.producer_epoch, 7);
        assert_int_equal(hdr.base_sequence, 41);
        assert_int_equal(sl_batch_compression(&hdr), codecs[k]);
        assert_int_equal(sl_batch_is_transactional(&hdr), k == 1);
        assert_int_equal(read_back(b), 5);
        complete(&f, b);
        sl_prod_accum_fini(&f.a);
    }
}

static void ask_first_reports_a_needed_batch(void **state)
{
    (void)state;
    fixture_t f;
    sl_prod_accum_conf_t c = conf_default();
    fixture_init(&f, &c, 2);
    sl_prod_part_t *p = sl_prod_accum_part(&f.a, f.t, 1);
    sl_prod_rec_t r = {.value = "v", .value_len = 1, .key_len = -1};
    sl_prod_append_res_t res;
    assert_int_equal(sl_prod_accum_append(&f.a, p, &r, true, 5, 0, &res), SL_OK);
    assert_int_equal(res, SL_PROD_NEEDS_BATCH);
    assert_true(sl_list_empty(&p->queue));
    assert_int_equal(sl_prod_accum_append(&f.a, p, &r, false, 5, 0, &res), SL_OK);
    assert_int_equal(res, SL_PROD_NEW_BATCH);
    assert_int_equal(sl_prod_accum_append(&f.a, p, &r, true, 5, 0, &res), SL_OK);
    assert_int_equal(res, SL_PROD_APPENDED);
    /* Out of range partitions are refused. */
    assert_null(sl_prod_accum_part(&f.a, f.t, 2));
    assert_null(sl_prod_accum_part(&f.a, f.t, -1));
    sl_prod_accum_fini(&f.a);
}

typedef struct releaser {
    fixture_t *f;
    sl_prod_batch_t *b;
} releaser_t;

static void *release_later(void *arg)
{
    releaser_t *r = arg;
    struct timespec ts = {0, 50 * 1000000L};
    nanosleep(&ts, NULL);
    sl_prod_accum_lock(&r->f->a);
    complete(r->f, r->b);
    sl_prod_accum_unlock(&r->f->a);
    return NULL;
}

static void buffer_memory_bounds_what_is_queued(void **state)
{
    (void)state;
    fixture_t f;
    sl_prod_accum_conf_t c = conf_default();
    c.buffer_memory = 4096;
    c.linger_ms = 0;
    fixture_init(&f, &c, 1);
    int ok = 0;
    sl_err_t err = SL_OK;
    for (int i = 0; i < 1000 && err == SL_OK; i++) {
        err = append(&f, 0, 100, 10, NULL);
        ok += err == SL_OK;
        assert_true(f.a.mem_used <= 4096);
    }
    assert_int_equal(err, SL_ERR_AGAIN);
    assert_true(ok > 20 && ok < 4096 / 100);
    /* A record larger than all of buffer.memory can never fit. */
    assert_int_equal(append(&f, 0, 5000, 10, NULL), SL_ERR_MESSAGE_TOO_LARGE);
    /* A blocked append is woken by a release from another thread. */
    sl_prod_take_t out[1];
    assert_int_equal(sl_prod_accum_drain(&f.a, 10, &ops, out, 1, NULL), 1);
    releaser_t rel = {&f, out[0].batch};
    pthread_t th;
    sl_prod_accum_lock(&f.a);
    assert_int_equal(pthread_create(&th, NULL, release_later, &rel), 0);
    static char value[100];
    sl_prod_rec_t r = {.value = value, .value_len = 100, .key_len = -1};
    sl_prod_append_res_t res;
    err = sl_prod_accum_append(&f.a, sl_prod_accum_part(&f.a, f.t, 0), &r, false, 10,
                               sl_time_mono_ms() + 30000, &res);
    sl_prod_accum_unlock(&f.a);
    pthread_join(th, NULL);
    assert_int_equal(err, SL_OK);
    assert_true(f.a.mem_used <= 4096);
    sl_prod_accum_fini(&f.a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(batches_are_cut_at_batch_size),
        cmocka_unit_test(linger_flush_and_full_batches),
        cmocka_unit_test(drain_respects_max_request_size_per_node),
        cmocka_unit_test(retries_go_back_in_sequence_order_and_hold),
        cmocka_unit_test(at_most_max_inflight_per_partition),
        cmocka_unit_test(producer_fields_patch_keeps_crc_valid),
        cmocka_unit_test(ask_first_reports_a_needed_batch),
        cmocka_unit_test(buffer_memory_bounds_what_is_queued),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
