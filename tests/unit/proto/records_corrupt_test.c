/* records_corrupt_test.c - hostile and damaged batches: every bit flipped,
 * random edits behind a repaired CRC, truncation at every length, record
 * counts that lie, record and field lengths that point past their bounds or
 * are negative, old message formats, bad header sizes. The expectation is
 * always a clear error and never a crash or an out-of-bounds read (the test
 * runs under ASan, and every input sits in an exactly-sized allocation). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "records_test_util.h"

#define MAX_DECOMP ((size_t)1 << 20)

/* A batch of 5 records with keys, values and headers. */
static void build_sample(sl_buf_t *out, sl_compression_t codec)
{
    sl_batch_opts_t o;
    sl_batch_opts_init(&o);
    o.base_offset = 40;
    o.producer_id = 9;
    o.producer_epoch = 1;
    o.base_sequence = 0;
    o.compression = codec;
    sl_batch_builder_t b;
    assert_int_equal(sl_batch_builder_begin(&b, out, &o), SL_OK);
    sl_header_t hdrs[2] = {{(const uint8_t *)"trace", 5, (const uint8_t *)"abc", 3},
                           {(const uint8_t *)"n", 1, NULL, -1}};
    for (int i = 0; i < 5; i++) {
        char key[8], val[32];
        snprintf(key, sizeof(key), "k%d", i);
        snprintf(val, sizeof(val), "value number %d", i);
        assert_int_equal(sl_batch_builder_add(&b, 1000 + i, key, (int32_t)strlen(key), val, (int32_t)strlen(val),
                                              hdrs, (size_t)(i % 3)),
                         SL_OK);
    }
    assert_int_equal(sl_batch_builder_finish(&b), SL_OK);
}

/* Everything a consumer or broker would do with a blob: walk the batches,
 * walk every record and header, validate. Returns the first error, or SL_OK
 * when the whole blob reads cleanly. */
static sl_err_t read_all(const uint8_t *blob, size_t len, sl_buf_t *scratch)
{
    sl_batch_iter_t it;
    sl_batch_t batch;
    sl_err_t err;
    sl_batch_iter_init(&it, blob, len);
    int guard = 0;
    while ((err = sl_batch_iter_next(&it, &batch)) == SL_OK && guard++ < 1000) {
        sl_record_iter_t ri;
        sl_record_t r;
        err = sl_record_iter_init(&ri, &batch, scratch, MAX_DECOMP);
        if (err)
            return err;
        /* Decompression stays within the bound (plus sl_buf's doubling). */
        assert_true(scratch->cap <= 2 * MAX_DECOMP + 65536);
        int32_t n = 0;
        while ((err = sl_record_iter_next(&ri, &r)) == SL_OK && n++ <= batch.record_count) {
            sl_header_iter_t hi;
            sl_header_t h;
            int32_t nh = 0;
            sl_header_iter_init(&hi, &r);
            while (sl_header_iter_next(&hi, &h) && nh++ <= r.header_count) {
                if (h.key_len)
                    assert_true(h.key[h.key_len - 1] || 1);
            }
            assert_int_equal(nh, r.header_count);
            if (r.key_len > 0)
                assert_true(r.key[r.key_len - 1] || 1);
            if (r.value_len > 0)
                assert_true(r.value[r.value_len - 1] || 1);
        }
        if (err != SL_ERR_NOENT)
            return err;
        assert_int_equal(n, batch.record_count);
        err = sl_batch_validate(&batch, 0, scratch, MAX_DECOMP, NULL, 0);
        if (err)
            return err;
    }
    return err == SL_ERR_NOENT ? SL_OK : err;
}

/* A copy of p[0..n) in an allocation of exactly n bytes, so ASan sees any
 * read past the end. */
static uint8_t *exact_copy(const void *p, size_t n)
{
    uint8_t *c = malloc(n ? n : 1);
    assert_non_null(c);
    if (n)
        memcpy(c, p, n);
    return c;
}

static void corrupt_every_bit_flip_is_detected(void **state)
{
    (void)state;
    static const sl_compression_t codecs[] = {SL_COMPRESSION_NONE, SL_COMPRESSION_ZSTD, SL_COMPRESSION_SNAPPY};
    sl_buf_t scratch = SL_BUF_INIT;
    for (size_t c = 0; c < SL_ARRAY_LEN(codecs); c++) {
        sl_buf_t out = SL_BUF_INIT;
        build_sample(&out, codecs[c]);
        assert_int_equal(read_all(out.data, out.len, &scratch), SL_OK);
        for (size_t i = 0; i < out.len; i++) {
            for (int bit = 0; bit < 8; bit++) {
                uint8_t *b = exact_copy(out.data, out.len);
                b[i] ^= (uint8_t)(1u << bit);
                sl_err_t err = read_all(b, out.len, &scratch);
                bool outside_crc = i < SL_BATCH_OFF_LENGTH ||
                                   (i >= SL_BATCH_OFF_LEADER_EPOCH && i < SL_BATCH_OFF_MAGIC);
                if (outside_crc) {
                    /* baseOffset and partitionLeaderEpoch: not covered, by design. */
                    assert_int_equal(err, SL_OK);
                } else if (err == SL_OK) {
                    fail_msg("flipping bit %d of byte %zu (codec %s) went unnoticed", bit, i,
                             sl_compression_name(codecs[c]));
                }
                free(b);
            }
        }
        sl_buf_free(&out);
    }
    sl_buf_free(&scratch);
}

/* Edits behind a repaired CRC reach the record parser and the decompressors
 * with garbage: any outcome but a crash is fine. */
static void corrupt_random_edits_with_repaired_crc_never_crash(void **state)
{
    (void)state;
    static const sl_compression_t codecs[] = {SL_COMPRESSION_NONE, SL_COMPRESSION_GZIP, SL_COMPRESSION_SNAPPY,
                                              SL_COMPRESSION_LZ4, SL_COMPRESSION_ZSTD};
    sl_buf_t scratch = SL_BUF_INIT;
    uint64_t seed = 0x5eed;
    int clean = 0, failed = 0;
    for (size_t c = 0; c < SL_ARRAY_LEN(codecs); c++) {
        sl_buf_t out = SL_BUF_INIT;
        build_sample(&out, codecs[c]);
        for (int round = 0; round < 1500; round++) {
            uint8_t *b = exact_copy(out.data, out.len);
            int edits = 1 + (int)(t_rand(&seed) % 4);
            for (int e = 0; e < edits; e++) {
                /* Anywhere after the CRC: attributes, header fields, records. */
                size_t pos = SL_BATCH_OFF_ATTRIBUTES + t_rand(&seed) % (out.len - SL_BATCH_OFF_ATTRIBUTES);
                b[pos] = (uint8_t)t_rand(&seed);
            }
            t_fix_crc(b, out.len);
            if (read_all(b, out.len, &scratch) == SL_OK)
                clean++;
            else
                failed++;
            free(b);
        }
        sl_buf_free(&out);
    }
    /* Most edits must be caught (a few land in timestamps and pass). */
    assert_true(failed > clean);
    sl_buf_free(&scratch);
}

static void corrupt_truncation_at_every_length_reports_incomplete(void **state)
{
    (void)state;
    sl_buf_t blob = SL_BUF_INIT;
    build_sample(&blob, SL_COMPRESSION_NONE);
    size_t first = blob.len;
    build_sample(&blob, SL_COMPRESSION_LZ4);
    sl_buf_t scratch = SL_BUF_INIT;
    for (size_t k = 0; k <= blob.len; k++) {
        uint8_t *b = exact_copy(blob.data, k);
        sl_batch_iter_t it;
        sl_batch_t batch;
        sl_batch_iter_init(&it, b, k);
        if (k == 0) {
            assert_int_equal(sl_batch_iter_next(&it, &batch), SL_ERR_NOENT);
        } else if (k < first) {
            assert_int_equal(sl_batch_iter_next(&it, &batch), SL_ERR_TRUNCATED);
            assert_int_equal(it.pos, 0);
            assert_non_null(strstr(it.errmsg, "incomplete"));
            assert_int_equal(sl_batch_peek(b, k, &batch, NULL, 0), SL_ERR_TRUNCATED);
        } else {
            assert_int_equal(sl_batch_iter_next(&it, &batch), SL_OK);
            assert_int_equal(batch.size, first);
            if (k == first) {
                assert_int_equal(sl_batch_iter_next(&it, &batch), SL_ERR_NOENT);
            } else if (k < blob.len) {
                assert_int_equal(sl_batch_iter_next(&it, &batch), SL_ERR_TRUNCATED);
                assert_int_equal(it.pos, first);
                /* Sticky. */
                assert_int_equal(sl_batch_iter_next(&it, &batch), SL_ERR_TRUNCATED);
            } else {
                assert_int_equal(sl_batch_iter_next(&it, &batch), SL_OK);
                assert_int_equal(sl_batch_iter_next(&it, &batch), SL_ERR_NOENT);
            }
        }
        free(b);
    }
    sl_buf_free(&scratch);
    sl_buf_free(&blob);
}

/* Assembles a batch around raw record bytes with the given declared count
 * (header from a real builder, lengths and CRC repaired). */
static uint8_t *raw_batch(const uint8_t *records, size_t n, int32_t count, int16_t attributes, size_t *len)
{
    sl_buf_t out = SL_BUF_INIT;
    sl_batch_opts_t o;
    sl_batch_opts_init(&o);
    sl_batch_builder_t b;
    assert_int_equal(sl_batch_builder_begin(&b, &out, &o), SL_OK);
    assert_int_equal(sl_batch_builder_finish(&b), SL_OK);
    sl_buf_put(&out, records, n);
    assert_int_equal(sl_buf_err(&out), SL_OK);
    t_put_u32(out.data + SL_BATCH_OFF_LENGTH, (uint32_t)(out.len - SL_BATCH_LOG_OVERHEAD));
    out.data[SL_BATCH_OFF_ATTRIBUTES] = (uint8_t)((uint16_t)attributes >> 8);
    out.data[SL_BATCH_OFF_ATTRIBUTES + 1] = (uint8_t)attributes;
    t_put_u32(out.data + 23, (uint32_t)(count - 1));
    t_put_u32(out.data + 57, (uint32_t)count);
    t_fix_crc(out.data, out.len);
    uint8_t *copy = exact_copy(out.data, out.len);
    *len = out.len;
    sl_buf_free(&out);
    return copy;
}

/* Reads the single batch; returns the error from records/validation and
 * leaves the record iterator's message in msg. */
static sl_err_t read_raw(const uint8_t *records, size_t n, int32_t count, char *msg, size_t msglen)
{
    size_t len;
    uint8_t *b = raw_batch(records, n, count, 0, &len);
    sl_batch_t batch;
    assert_int_equal(sl_batch_peek(b, len, &batch, NULL, 0), SL_OK);
    sl_err_t err = sl_batch_validate(&batch, 0, NULL, 0, msg, msglen);
    sl_buf_t scratch = SL_BUF_INIT;
    assert_int_equal(read_all(b, len, &scratch), err);
    sl_buf_free(&scratch);
    free(b);
    return err;
}

static void corrupt_record_count_that_lies(void **state)
{
    (void)state;
    sl_buf_t out = SL_BUF_INIT;
    build_sample(&out, SL_COMPRESSION_NONE); /* 5 records */
    const uint8_t *recs = out.data + SL_BATCH_HEADER_SIZE;
    size_t n = out.len - SL_BATCH_HEADER_SIZE;
    char msg[200];
    assert_int_equal(read_raw(recs, n, 5, msg, sizeof(msg)), SL_OK);
    assert_int_equal(read_raw(recs, n, 4, msg, sizeof(msg)), SL_ERR_CORRUPT_MESSAGE);
    assert_non_null(strstr(msg, "follow the 4 declared records"));
    assert_int_equal(read_raw(recs, n, 6, msg, sizeof(msg)), SL_ERR_CORRUPT_MESSAGE);
    assert_non_null(strstr(msg, "declares 6 records but holds 5"));
    assert_int_equal(read_raw(recs, n, 0, msg, sizeof(msg)), SL_ERR_CORRUPT_MESSAGE);
    /* A count the bytes cannot possibly hold is refused before reading. */
    assert_int_equal(read_raw(recs, n, 1000000, msg, sizeof(msg)), SL_ERR_CORRUPT_MESSAGE);
    assert_non_null(strstr(msg, "declares 1000000 records in"));
    sl_buf_free(&out);

    /* The same inside a compressed batch: caught after decompression. */
    sl_buf_t z = SL_BUF_INIT;
    build_sample(&z, SL_COMPRESSION_GZIP);
    t_put_u32(z.data + 57, 4);
    t_fix_crc(z.data, z.len);
    sl_buf_t scratch = SL_BUF_INIT;
    assert_int_equal(read_all(z.data, z.len, &scratch), SL_ERR_CORRUPT_MESSAGE);
    sl_buf_free(&scratch);
    sl_buf_free(&z);
}

static void corrupt_record_fields_out_of_bounds_or_negative(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        uint8_t bytes[16];
        size_t n;
        sl_err_t want;
        const char *says;
    } cases[] = {
        /* length 8: attrs, ts 0, off 0, key "k", value "v", no headers */
        {"well-formed", {0x10, 0, 0, 0, 0x02, 'k', 0x02, 'v', 0}, 9, SL_OK, ""},
        {"well-formed, header with null value", {0x12, 0, 0, 0, 0x01, 0x01, 0x02, 0x02, 'h', 0x01}, 10,
         SL_OK, ""},
        {"record length past the batch", {0x7e, 0, 0, 0, 0x02, 'k', 0x02, 'v', 0}, 9,
         SL_ERR_CORRUPT_MESSAGE, "length 63 with 8 bytes left"},
        {"negative record length", {0x01, 0, 0, 0, 0x02, 'k', 0x02, 'v', 0}, 9,
         SL_ERR_CORRUPT_MESSAGE, "length -1"},
        {"record length shorter than its fields", {0x06, 0, 0, 0, 0x02, 'k', 0x02, 'v', 0}, 9,
         SL_ERR_CORRUPT_MESSAGE, "malformed key"},
        {"bytes after the last field", {0x12, 0, 0, 0, 0x02, 'k', 0x02, 'v', 0, 0}, 10,
         SL_ERR_CORRUPT_MESSAGE, "1 bytes follow its last field"},
        {"key length -2", {0x10, 0, 0, 0, 0x03, 'k', 0x02, 'v', 0}, 9,
         SL_ERR_CORRUPT_MESSAGE, "malformed key"},
        {"key length past the record", {0x10, 0, 0, 0, 0x20, 'k', 0x02, 'v', 0}, 9,
         SL_ERR_CORRUPT_MESSAGE, "malformed key"},
        {"value length -3", {0x10, 0, 0, 0, 0x02, 'k', 0x05, 'v', 0}, 9,
         SL_ERR_CORRUPT_MESSAGE, "malformed value"},
        {"value length past the record", {0x10, 0, 0, 0, 0x02, 'k', 0x06, 'v', 0}, 9,
         SL_ERR_CORRUPT_MESSAGE, "malformed value"},
        {"negative header count", {0x10, 0, 0, 0, 0x02, 'k', 0x02, 'v', 0x01}, 9,
         SL_ERR_CORRUPT_MESSAGE, "header count -1"},
        {"header count past the record", {0x10, 0, 0, 0, 0x02, 'k', 0x02, 'v', 0x08}, 9,
         SL_ERR_CORRUPT_MESSAGE, "header count 4"},
        {"huge header count", {0x1a, 0, 0, 0, 0x01, 0x01, 0xfe, 0xff, 0xff, 0xff, 0x0f, 0, 0, 0}, 14,
         SL_ERR_CORRUPT_MESSAGE, "header count 2147483647"},
        {"null header key", {0x12, 0, 0, 0, 0x01, 0x01, 0x02, 0x01, 'h', 0x01}, 10,
         SL_ERR_CORRUPT_MESSAGE, "malformed header"},
        {"header value length -2", {0x12, 0, 0, 0, 0x01, 0x01, 0x02, 0x02, 'h', 0x03}, 10,
         SL_ERR_CORRUPT_MESSAGE, "malformed header"},
        {"overlong varint", {0x18, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, 13,
         SL_ERR_CORRUPT_MESSAGE, "malformed timestamp"},
        {"empty records section", {0}, 0, SL_ERR_CORRUPT_MESSAGE, "declares 1 records in 0 bytes"},
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(cases); i++) {
        char msg[200] = "";
        sl_err_t err = read_raw(cases[i].bytes, cases[i].n, 1, msg, sizeof(msg));
        if (err != cases[i].want)
            fail_msg("%s: got %s (%s)", cases[i].what, sl_err_name(err), msg);
        if (err)
            assert_non_null(strstr(msg, "batch at offset 0: "));
        if (!strstr(msg, cases[i].says))
            fail_msg("%s: message \"%s\" lacks \"%s\"", cases[i].what, msg, cases[i].says);
    }
}

static void corrupt_old_message_formats_are_unsupported(void **state)
{
    (void)state;
    /* magic 0: offset, size 17, crc, magic, attributes, key -1, value "abc" */
    static const uint8_t v0[29] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 17, 0xde, 0xad, 0xbe, 0xef, 0,
                                   0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 3, 'a', 'b', 'c'};
    /* magic 1: as v0 plus a timestamp after the attributes */
    static const uint8_t v1[37] = {0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 25, 0xde, 0xad, 0xbe, 0xef, 1, 0, 0,
                                   0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 3, 'a', 'b', 'c'};
    const struct {
        const uint8_t *p;
        size_t n;
        const char *says;
    } sets[] = {{v0, sizeof(v0), "magic 0"}, {v1, sizeof(v1), "magic 1"}, {v0, 20, "magic 0"}};
    for (size_t i = 0; i < SL_ARRAY_LEN(sets); i++) {
        uint8_t *b = exact_copy(sets[i].p, sets[i].n);
        sl_batch_iter_t it;
        sl_batch_t batch;
        sl_batch_iter_init(&it, b, sets[i].n);
        assert_int_equal(sl_batch_iter_next(&it, &batch), SL_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT);
        assert_non_null(strstr(it.errmsg, sets[i].says));
        char why[160];
        assert_int_equal(sl_batch_peek(b, sets[i].n, &batch, why, sizeof(why)),
                         SL_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT);
        assert_non_null(strstr(why, sets[i].says));
        free(b);
    }

    /* A v2 batch followed by an old message set: the first reads, then the error. */
    sl_buf_t blob = SL_BUF_INIT;
    build_sample(&blob, SL_COMPRESSION_NONE);
    size_t first = blob.len;
    sl_buf_put(&blob, v1, sizeof(v1));
    sl_batch_iter_t it;
    sl_batch_t batch;
    sl_batch_iter_init(&it, blob.data, blob.len);
    assert_int_equal(sl_batch_iter_next(&it, &batch), SL_OK);
    assert_int_equal(sl_batch_iter_next(&it, &batch), SL_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT);
    assert_int_equal(it.pos, first);
    assert_int_equal(sl_batch_iter_next(&it, &batch), SL_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT);

    /* Magic values nobody defined are corruption. */
    static const int8_t bad_magic[] = {3, 7, -1};
    for (size_t i = 0; i < SL_ARRAY_LEN(bad_magic); i++) {
        uint8_t *b = malloc(first);
        assert_non_null(b);
        memcpy(b, blob.data, first);
        b[SL_BATCH_OFF_MAGIC] = (uint8_t)bad_magic[i];
        char why[160];
        assert_int_equal(sl_batch_peek(b, first, &batch, why, sizeof(why)), SL_ERR_CORRUPT_MESSAGE);
        assert_non_null(strstr(why, "unknown magic"));
        free(b);
    }
    sl_buf_free(&blob);
}

static void corrupt_header_sizes_and_codec(void **state)
{
    (void)state;
    sl_buf_t out = SL_BUF_INIT;
    build_sample(&out, SL_COMPRESSION_NONE);
    sl_batch_t batch;
    char why[160];
    uint8_t *b = exact_copy(out.data, out.len);

    t_put_u32(b + SL_BATCH_OFF_LENGTH, 0x80000000u);
    assert_int_equal(sl_batch_peek(b, out.len, &batch, why, sizeof(why)), SL_ERR_CORRUPT_MESSAGE);
    assert_non_null(strstr(why, "negative batch length"));
    t_put_u32(b + SL_BATCH_OFF_LENGTH, 48);
    assert_int_equal(sl_batch_peek(b, out.len, &batch, why, sizeof(why)), SL_ERR_CORRUPT_MESSAGE);
    assert_non_null(strstr(why, "below"));
    /* 15 bytes whose length field says 3: can never hold a magic byte. */
    t_put_u32(b + SL_BATCH_OFF_LENGTH, 3);
    assert_int_equal(sl_batch_peek(b, 15, &batch, why, sizeof(why)), SL_ERR_CORRUPT_MESSAGE);
    /* A huge length in a short blob is just incomplete, and allocates nothing. */
    t_put_u32(b + SL_BATCH_OFF_LENGTH, 0x7fffffff);
    assert_int_equal(sl_batch_peek(b, out.len, &batch, why, sizeof(why)), SL_ERR_TRUNCATED);
    t_put_u32(b + SL_BATCH_OFF_LENGTH, (uint32_t)(out.len - 12));

    t_put_u32(b + 57, 0xffffffffu); /* record count -1 */
    t_fix_crc(b, out.len);
    assert_int_equal(sl_batch_peek(b, out.len, &batch, why, sizeof(why)), SL_ERR_CORRUPT_MESSAGE);
    assert_non_null(strstr(why, "negative record count"));
    t_put_u32(b + 57, 5);

    /* Compression codecs 5..7 do not exist. */
    b[SL_BATCH_OFF_ATTRIBUTES + 1] = 0x05;
    t_fix_crc(b, out.len);
    assert_int_equal(sl_batch_peek(b, out.len, &batch, why, sizeof(why)), SL_OK);
    sl_record_iter_t ri;
    sl_buf_t scratch = SL_BUF_INIT;
    assert_int_equal(sl_record_iter_init(&ri, &batch, &scratch, 0), SL_ERR_UNSUPPORTED_COMPRESSION_TYPE);
    assert_non_null(strstr(ri.errmsg, "codec 5"));
    sl_record_t r;
    assert_int_equal(sl_record_iter_next(&ri, &r), SL_ERR_UNSUPPORTED_COMPRESSION_TYPE);

    /* A compressed batch needs somewhere to decompress to. */
    b[SL_BATCH_OFF_ATTRIBUTES + 1] = SL_COMPRESSION_GZIP;
    t_fix_crc(b, out.len);
    assert_int_equal(sl_batch_peek(b, out.len, &batch, why, sizeof(why)), SL_OK);
    assert_int_equal(sl_record_iter_init(&ri, &batch, NULL, 0), SL_ERR_INVAL);
    /* ... and plain records labelled gzip do not decompress. */
    assert_int_equal(sl_record_iter_init(&ri, &batch, &scratch, 0), SL_ERR_COMPRESSION);
    assert_non_null(strstr(ri.errmsg, "gzip"));

    sl_buf_free(&scratch);
    free(b);
    sl_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(corrupt_every_bit_flip_is_detected),
        cmocka_unit_test(corrupt_random_edits_with_repaired_crc_never_crash),
        cmocka_unit_test(corrupt_truncation_at_every_length_reports_incomplete),
        cmocka_unit_test(corrupt_record_count_that_lies),
        cmocka_unit_test(corrupt_record_fields_out_of_bounds_or_negative),
        cmocka_unit_test(corrupt_old_message_formats_are_unsupported),
        cmocka_unit_test(corrupt_header_sizes_and_codec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
