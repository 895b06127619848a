/* records_roundtrip_test.c - batches built by the writer read back field for
 * field: 0, 1, 2 and many records, null/empty/large keys and values, headers
 * with null values, every codec and a few levels; compressed payloads checked
 * with the raw codec libraries; several batches per blob; a blob from a file;
 * the in-place patches; strict validation; builder argument errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <lz4frame.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include "records_test_util.h"

#define BIG_SIZE (300 * 1024)
#define MANY 1000
#define MAX_HDRS 3

typedef struct trec {
    int64_t ts;
    const uint8_t *key;
    int32_t key_len;
    const uint8_t *value;
    int32_t value_len;
    sl_header_t hdrs[MAX_HDRS];
    size_t nh;
} trec_t;

static const sl_compression_t codecs[] = {SL_COMPRESSION_NONE, SL_COMPRESSION_GZIP, SL_COMPRESSION_SNAPPY,
                                          SL_COMPRESSION_LZ4, SL_COMPRESSION_ZSTD};

/* Half text-like (compressible), half noise, so compressors have work and
 * blocks of both kinds. */
static uint8_t big[BIG_SIZE];
static trec_t recs[MANY];

static int setup(void **state)
{
    (void)state;
    uint64_t s = 12345;
    for (size_t i = 0; i < BIG_SIZE; i++)
        big[i] = (i / 4096) % 2 ? (uint8_t)t_rand(&s) : (uint8_t)("sluice streams "[i % 15]);
    return 0;
}

/* Fills recs[0..n) with a mix: key null/empty/short, value null/empty/short/
 * large, 0..3 headers (some null values, one empty key), timestamps that go
 * backwards as well as forwards. */
static void make_records(size_t n, bool with_large)
{
    static const char *const words[] = {"alpha", "b", "gamma-delta", "", "e"};
    for (size_t i = 0; i < n; i++) {
        trec_t *r = &recs[i];
        memset(r, 0, sizeof(*r));
        r->ts = 1700000000000LL + (int64_t)((i * 37) % 101) - 50;
        switch (i % 3) {
        case 0:
            r->key = NULL;
            r->key_len = -1;
            break;
        case 1:
            r->key = (const uint8_t *)"";
            r->key_len = 0;
            break;
        default:
            r->key = big + i % 1000;
            r->key_len = (int32_t)(1 + i % 40);
        }
        switch (i % 4) {
        case 0:
            r->value = big + (i * 7) % 5000;
            r->value_len = (int32_t)(i % 200);
            break;
        case 1:
            r->value = NULL;
            r->value_len = -1;
            break;
        case 2:
            r->value = (const uint8_t *)"";
            r->value_len = 0;
            break;
        default:
            r->value = (const uint8_t *)words[i % 5];
            r->value_len = (int32_t)strlen(words[i % 5]);
        }
        if (with_large && i % 250 == 3) {
            r->value = big;
            r->value_len = BIG_SIZE - (int32_t)i;
        }
        r->nh = i % (MAX_HDRS + 1);
        for (size_t h = 0; h < r->nh; h++) {
            const char *k = words[(i + h) % 5];
            r->hdrs[h].key = (const uint8_t *)k;
            r->hdrs[h].key_len = strlen(k);
            if ((i + h) % 2) {
                r->hdrs[h].value = NULL;
                r->hdrs[h].value_len = -1;
            } else {
                r->hdrs[h].value = big + h * 10;
                r->hdrs[h].value_len = (int32_t)(h * 5);
            }
        }
    }
}

static void opts_for(sl_batch_opts_t *o, sl_compression_t codec)
{
    sl_batch_opts_init(o);
    o->base_offset = 1000;
    o->partition_leader_epoch = 4;
    o->producer_id = 77;
    o->producer_epoch = 2;
    o->base_sequence = 500;
    o->transactional = codec % 2 == 1;
    o->compression = codec;
}

static void build(sl_buf_t *out, const sl_batch_opts_t *o, size_t n)
{
    sl_batch_builder_t b;
    assert_int_equal(sl_batch_builder_begin(&b, out, o), SL_OK);
    for (size_t i = 0; i < n; i++) {
        const trec_t *r = &recs[i];
        sl_err_t err = sl_batch_builder_add(&b, r->ts, r->key, r->key_len, r->value, r->value_len, r->hdrs, r->nh);
        assert_int_equal(err, SL_OK);
    }
    assert_int_equal(sl_batch_builder_count(&b), (int32_t)n);
    assert_true(sl_batch_builder_size(&b) >= SL_BATCH_HEADER_SIZE);
    assert_int_equal(sl_batch_builder_finish(&b), SL_OK);
}

static void assert_bytes(const uint8_t *p, int32_t len, const uint8_t *want, int32_t want_len)
{
    assert_int_equal(len, want_len);
    if (want_len < 0) {
        assert_null(p);
    } else {
        assert_non_null(p);
        if (want_len)
            assert_memory_equal(p, want, (size_t)want_len);
    }
}

/* Reads every record of batch and compares with recs[0..n) built with o. */
static void check_batch(const sl_batch_t *batch, const sl_batch_opts_t *o, size_t n, sl_buf_t *scratch)
{
    assert_int_equal(batch->base_offset, o->base_offset);
    assert_int_equal(batch->partition_leader_epoch, o->partition_leader_epoch);
    assert_int_equal(batch->magic, 2);
    assert_int_equal(batch->batch_length, (int32_t)(batch->size - 12));
    assert_int_equal(sl_batch_compression(batch), o->compression);
    assert_int_equal(sl_batch_is_transactional(batch), o->transactional);
    assert_int_equal(sl_batch_is_log_append_time(batch), o->log_append_time);
    assert_false(sl_batch_is_control(batch));
    assert_int_equal(batch->producer_id, o->producer_id);
    assert_int_equal(batch->producer_epoch, o->producer_epoch);
    assert_int_equal(batch->base_sequence, o->base_sequence);
    assert_int_equal(batch->record_count, (int32_t)n);
    assert_int_equal(batch->last_offset_delta, (int32_t)n - 1);
    int64_t max_ts = SL_NO_TIMESTAMP;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || recs[i].ts > max_ts)
            max_ts = recs[i].ts;
    assert_int_equal(batch->base_timestamp, n ? recs[0].ts : SL_NO_TIMESTAMP);
    assert_int_equal(batch->max_timestamp, max_ts);

    sl_record_iter_t it;
    assert_int_equal(sl_record_iter_init(&it, batch, scratch, 0), SL_OK);
    for (size_t i = 0; i < n; i++) {
        sl_record_t r;
        assert_int_equal(sl_record_iter_next(&it, &r), SL_OK);
        assert_int_equal(r.attributes, 0);
        assert_int_equal(r.offset_delta, (int32_t)i);
        assert_int_equal(r.offset, o->base_offset + (int64_t)i);
        assert_int_equal(r.timestamp, recs[i].ts);
        assert_int_equal(r.timestamp_delta, recs[i].ts - recs[0].ts);
        assert_bytes(r.key, r.key_len, recs[i].key, recs[i].key_len);
        assert_bytes(r.value, r.value_len, recs[i].value, recs[i].value_len);
        assert_int_equal(r.header_count, (int32_t)recs[i].nh);
        sl_header_iter_t hi;
        sl_header_t h;
        sl_header_iter_init(&hi, &r);
        for (size_t k = 0; k < recs[i].nh; k++) {
            assert_true(sl_header_iter_next(&hi, &h));
            assert_int_equal(h.key_len, recs[i].hdrs[k].key_len);
            assert_non_null(h.key);
            assert_memory_equal(h.key, recs[i].hdrs[k].key, h.key_len);
            assert_bytes(h.value, h.value_len, recs[i].hdrs[k].value, recs[i].hdrs[k].value_len);
        }
        assert_false(sl_header_iter_next(&hi, &h));
    }
    sl_record_t r;
    assert_int_equal(sl_record_iter_next(&it, &r), SL_ERR_NOENT);
    assert_int_equal(sl_record_iter_next(&it, &r), SL_ERR_NOENT);

    char why[160] = "";
    unsigned flags = n ? SL_BATCH_VALIDATE_STRICT : 0;
    if (sl_batch_validate(batch, flags, scratch, 0, why, sizeof(why)) != SL_OK)
        fail_msg("validate: %s", why);
}

/* One blob with one batch: iterate it and check. */
static void check_blob(const sl_buf_t *blob, const sl_batch_opts_t *o, size_t n)
{
    sl_buf_t scratch = SL_BUF_INIT;
    sl_batch_iter_t it;
    sl_batch_t batch;
    sl_batch_iter_init(&it, blob->data, blob->len);
    if (sl_batch_iter_next(&it, &batch) != SL_OK)
        fail_msg("%s", it.errmsg);
    assert_int_equal(batch.size, blob->len);
    check_batch(&batch, o, n, &scratch);
    assert_int_equal(sl_batch_iter_next(&it, &batch), SL_ERR_NOENT);
    sl_buf_free(&scratch);
}

static void roundtrip_every_codec_with_0_1_2_and_many_records(void **state)
{
    (void)state;
    static const size_t counts[] = {0, 1, 2, MANY};
    make_records(MANY, true);
    for (size_t c = 0; c < SL_ARRAY_LEN(codecs); c++) {
        for (size_t k = 0; k < SL_ARRAY_LEN(counts); k++) {
            sl_batch_opts_t o;
            opts_for(&o, codecs[c]);
            sl_buf_t out = SL_BUF_INIT;
            build(&out, &o, counts[k]);
            check_blob(&out, &o, counts[k]);
            sl_buf_free(&out);
        }
    }
}

static void roundtrip_large_values_span_many_compression_blocks(void **state)
{
    (void)state;
    make_records(3, false);
    for (size_t i = 0; i < 3; i++) {
        recs[i].value = big;
        recs[i].value_len = BIG_SIZE - (int32_t)i * 1000;
        recs[i].key = big + 100;
        recs[i].key_len = 70000;
    }
    for (size_t c = 0; c < SL_ARRAY_LEN(codecs); c++) {
        sl_batch_opts_t o;
        opts_for(&o, codecs[c]);
        sl_buf_t out = SL_BUF_INIT;
        build(&out, &o, 3);
        check_blob(&out, &o, 3);
        sl_buf_free(&out);
    }
}

/* Decompresses src with the codec library alone (no Sluice code) into a
 * malloc'ed buffer of at most cap bytes; returns the length. */
static size_t raw_decompress(sl_compression_t codec, const uint8_t *src, size_t n, uint8_t *dst, size_t cap)
{
    switch (codec) {
    case SL_COMPRESSION_GZIP: {
        z_stream zs;
        memset(&zs, 0, sizeof(zs));
        assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
        zs.next_in = (Bytef *)(uintptr_t)src;
        zs.avail_in = (uInt)n;
        zs.next_out = dst;
        zs.avail_out = (uInt)cap;
        assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
        assert_int_equal(zs.avail_in, 0);
        size_t len = cap - zs.avail_out;
        inflateEnd(&zs);
        return len;
    }
    case SL_COMPRESSION_SNAPPY: {
        /* xerial framing: magic, version 1, compatible version 1, blocks. */
        static const uint8_t magic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
        assert_true(n >= 16);
        assert_memory_equal(src, magic, 8);
        assert_int_equal(t_get_u32(src + 8), 1);
        assert_int_equal(t_get_u32(src + 12), 1);
        size_t pos = 16, len = 0;
        for (int guard = 0; pos < n && guard < 100000; guard++) {
            assert_true(n - pos >= 4);
            size_t blen = t_get_u32(src + pos);
            pos += 4;
            assert_true(blen <= n - pos);
            size_t ulen = 0;
            assert_int_equal(snappy_uncompressed_length((const char *)src + pos, blen, &ulen), SNAPPY_OK);
            assert_true(ulen <= 32 * 1024);
            assert_true(ulen <= cap - len);
            snappy_status st = snappy_uncompress((const char *)src + pos, blen, (char *)dst + len, &ulen);
            assert_int_equal(st, SNAPPY_OK);
            len += ulen;
            pos += blen;
        }
        assert_int_equal(pos, n);
        return len;
    }
    case SL_COMPRESSION_LZ4: {
        LZ4F_dctx *d;
        assert_false(LZ4F_isError(LZ4F_createDecompressionContext(&d, LZ4F_VERSION)));
        LZ4F_frameInfo_t fi;
        size_t in = n;
        assert_false(LZ4F_isError(LZ4F_getFrameInfo(d, &fi, src, &in)));
        /* What Kafka's Java reader expects. */
        assert_int_equal(fi.blockMode, LZ4F_blockIndependent);
        assert_int_equal(fi.blockSizeID, LZ4F_max64KB);
        size_t pos = in, len = 0, r = 1;
        for (int guard = 0; r != 0 && guard < 100000; guard++) {
            size_t got = cap - len;
            in = n - pos;
            r = LZ4F_decompress(d, dst + len, &got, src + pos, &in, NULL);
            assert_false(LZ4F_isError(r));
            pos += in;
            len += got;
        }
        assert_int_equal(r, 0);
        assert_int_equal(pos, n);
        LZ4F_freeDecompressionContext(d);
        return len;
    }
    case SL_COMPRESSION_ZSTD: {
        unsigned long long cs = ZSTD_getFrameContentSize(src, n);
        assert_true(cs <= cap);
        size_t r = ZSTD_decompress(dst, cap, src, n);
        assert_false(ZSTD_isError(r));
        assert_int_equal(r, cs);
        return r;
    }
    default:
        fail();
    }
    return 0;
}

static void roundtrip_compressed_payload_decodes_with_raw_library(void **state)
{
    (void)state;
    make_records(MANY, true);
    sl_batch_opts_t o;
    opts_for(&o, SL_COMPRESSION_NONE);
    sl_buf_t plain = SL_BUF_INIT;
    build(&plain, &o, MANY);
    const uint8_t *want = plain.data + SL_BATCH_HEADER_SIZE;
    size_t want_len = plain.len - SL_BATCH_HEADER_SIZE;
    size_t cap = want_len + 1;
    uint8_t *dst = malloc(cap);
    assert_non_null(dst);
    for (size_t c = 1; c < SL_ARRAY_LEN(codecs); c++) {
        opts_for(&o, codecs[c]);
        sl_buf_t out = SL_BUF_INIT;
        build(&out, &o, MANY);
        assert_true(out.len < plain.len); /* the data is compressible */
        size_t len = raw_decompress(codecs[c], out.data + SL_BATCH_HEADER_SIZE, out.len - SL_BATCH_HEADER_SIZE,
                                    dst, cap);
        assert_int_equal(len, want_len);
        assert_memory_equal(dst, want, want_len);
        sl_buf_free(&out);
    }
    free(dst);
    sl_buf_free(&plain);
}

static void roundtrip_codec_levels(void **state)
{
    (void)state;
    static const struct {
        sl_compression_t codec;
        int level;
    } cases[] = {
        {SL_COMPRESSION_GZIP, 1}, {SL_COMPRESSION_GZIP, 9}, {SL_COMPRESSION_LZ4, 1}, {SL_COMPRESSION_LZ4, 9},
        {SL_COMPRESSION_LZ4, 12}, {SL_COMPRESSION_ZSTD, 1}, {SL_COMPRESSION_ZSTD, 19}, {SL_COMPRESSION_ZSTD, -5},
        {SL_COMPRESSION_SNAPPY, 5},
    };
    make_records(200, false);
    for (size_t i = 0; i < SL_ARRAY_LEN(cases); i++) {
        sl_batch_opts_t o;
        opts_for(&o, cases[i].codec);
        o.level = cases[i].level;
        sl_buf_t out = SL_BUF_INIT;
        build(&out, &o, 200);
        check_blob(&out, &o, 200);
        sl_buf_free(&out);
    }
}

static void roundtrip_several_batches_in_one_blob(void **state)
{
    (void)state;
    make_records(10, false);
    sl_buf_t blob = SL_BUF_INIT;
    sl_batch_opts_t o[SL_ARRAY_LEN(codecs)];
    size_t ends[SL_ARRAY_LEN(codecs)];
    sl_buf_put(&blob, "", 0);
    for (size_t c = 0; c < SL_ARRAY_LEN(codecs); c++) {
        opts_for(&o[c], codecs[c]);
        o[c].base_offset = 1000 + 10 * (int64_t)c;
        build(&blob, &o[c], 10);
        ends[c] = blob.len;
    }
    sl_buf_t scratch = SL_BUF_INIT;
    sl_batch_iter_t it;
    sl_batch_t batch;
    sl_batch_iter_init(&it, blob.data, blob.len);
    for (size_t c = 0; c < SL_ARRAY_LEN(codecs); c++) {
        assert_int_equal(sl_batch_iter_next(&it, &batch), SL_OK);
        assert_int_equal(it.pos, ends[c]);
        check_batch(&batch, &o[c], 10, &scratch);
        assert_int_equal(sl_batch_last_offset(&batch), 1009 + 10 * (int64_t)c);
    }
    assert_int_equal(sl_batch_iter_next(&it, &batch), SL_ERR_NOENT);
    assert_string_equal(it.errmsg, "");

    /* An empty or null records field is simply the end. */
    sl_batch_iter_init(&it, NULL, 0);
    assert_int_equal(sl_batch_iter_next(&it, &batch), SL_ERR_NOENT);
    sl_buf_free(&scratch);
    sl_buf_free(&blob);
}

static void roundtrip_blob_loaded_from_file(void **state)
{
    (void)state;
    make_records(50, false);
    sl_buf_t blob = SL_BUF_INIT;
    sl_batch_opts_t o;
    opts_for(&o, SL_COMPRESSION_LZ4);
    build(&blob, &o, 50);
    char path[] = "/tmp/sl-records-blob-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, blob.data, blob.len), (ssize_t)blob.len);
    close(fd);
    size_t len = 0;
    uint8_t *data = t_read_file(path, &len);
    unlink(path);
    assert_non_null(data);
    assert_int_equal(len, blob.len);
    sl_buf_t copy = SL_BUF_INIT;
    sl_buf_put(&copy, data, len);
    free(data);
    check_blob(&copy, &o, 50);
    sl_buf_free(&copy);
    sl_buf_free(&blob);
}

static void patch_assign_offsets_keeps_crc_valid(void **state)
{
    (void)state;
    make_records(5, false);
    sl_batch_opts_t o;
    opts_for(&o, SL_COMPRESSION_ZSTD);
    o.base_offset = 0;
    o.partition_leader_epoch = SL_NO_PARTITION_LEADER_EPOCH;
    sl_buf_t out = SL_BUF_INIT;
    build(&out, &o, 5);
    uint32_t crc_before = t_get_u32(out.data + SL_BATCH_OFF_CRC);
    assert_int_equal(sl_batch_assign_offsets(out.data, out.len, 123456789012LL, 31), SL_OK);
    assert_int_equal(t_get_u32(out.data + SL_BATCH_OFF_CRC), crc_before);
    o.base_offset = 123456789012LL;
    o.partition_leader_epoch = 31;
    check_blob(&out, &o, 5);
    assert_int_equal(sl_batch_assign_offsets(out.data, 60, 1, 1), SL_ERR_INVAL);
    assert_int_equal(sl_batch_assign_offsets(NULL, 100, 1, 1), SL_ERR_INVAL);
    sl_buf_free(&out);
}

static void patch_log_append_time_sets_record_timestamps(void **state)
{
    (void)state;
    make_records(4, false);
    sl_batch_opts_t o;
    opts_for(&o, SL_COMPRESSION_GZIP);
    sl_buf_t out = SL_BUF_INIT;
    build(&out, &o, 4);
    const int64_t now = 1800000000000LL;
    assert_int_equal(sl_batch_set_log_append_time(out.data, out.len, now), SL_OK);
    sl_batch_t batch;
    assert_int_equal(sl_batch_peek(out.data, out.len, &batch, NULL, 0), SL_OK);
    assert_true(sl_batch_is_log_append_time(&batch));
    assert_int_equal(batch.max_timestamp, now);
    assert_int_equal(batch.base_timestamp, recs[0].ts);
    assert_int_equal(sl_batch_compression(&batch), SL_COMPRESSION_GZIP);
    sl_buf_t scratch = SL_BUF_INIT;
    sl_record_iter_t it;
    sl_record_t r;
    assert_int_equal(sl_record_iter_init(&it, &batch, &scratch, 0), SL_OK);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(sl_record_iter_next(&it, &r), SL_OK);
        assert_int_equal(r.timestamp, now);
        assert_int_equal(r.timestamp_delta, recs[i].ts - recs[0].ts);
    }
    assert_int_equal(sl_record_iter_next(&it, &r), SL_ERR_NOENT);
    /* Not one whole batch: refused, bytes untouched. */
    assert_int_equal(sl_batch_set_log_append_time(out.data, out.len - 1, 5), SL_ERR_INVAL);
    assert_int_equal(sl_batch_peek(out.data, out.len, &batch, NULL, 0), SL_OK);
    /* The writer's own LogAppendTime flag. */
    o.log_append_time = true;
    sl_buf_reset(&out);
    build(&out, &o, 4);
    assert_int_equal(sl_batch_peek(out.data, out.len, &batch, NULL, 0), SL_OK);
    assert_true(sl_batch_is_log_append_time(&batch));
    sl_buf_free(&scratch);
    sl_buf_free(&out);
}

static void validate_strict_rejects_gaps_empty_control_and_unsequenced(void **state)
{
    (void)state;
    sl_batch_opts_t o;
    opts_for(&o, SL_COMPRESSION_NONE);
    o.transactional = false;
    sl_buf_t out = SL_BUF_INIT;
    sl_batch_builder_t b;
    assert_int_equal(sl_batch_builder_begin(&b, &out, &o), SL_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(sl_batch_builder_add(&b, 10 + i, "k", 1, "v", 1, NULL, 0), SL_OK);
    assert_int_equal(sl_batch_builder_finish(&b), SL_OK);
    /* Each record is 9 bytes: length, attrs, ts, offsetDelta at +3. Give the
     * second record offset delta 2 (zigzag 4) and last delta 3: a gap, as
     * compaction leaves. */
    uint8_t *rec1 = out.data + SL_BATCH_HEADER_SIZE + 9;
    assert_int_equal(rec1[3], 2);
    rec1[3] = 4;
    out.data[SL_BATCH_HEADER_SIZE + 18 + 3] = 6;
    t_put_u32(out.data + 23, 3);
    t_fix_crc(out.data, out.len);
    sl_batch_t batch;
    char why[160];
    assert_int_equal(sl_batch_peek(out.data, out.len, &batch, NULL, 0), SL_OK);
    assert_int_equal(sl_batch_validate(&batch, 0, NULL, 0, why, sizeof(why)), SL_OK);
    assert_int_equal(sl_batch_validate(&batch, SL_BATCH_VALIDATE_STRICT, NULL, 0, why, sizeof(why)),
                     SL_ERR_INVALID_RECORD);
    assert_non_null(strstr(why, "offset delta 2"));

    /* lastOffsetDelta disagreeing with the records. */
    rec1[3] = 2;
    out.data[SL_BATCH_HEADER_SIZE + 18 + 3] = 4;
    t_fix_crc(out.data, out.len);
    assert_int_equal(sl_batch_peek(out.data, out.len, &batch, NULL, 0), SL_OK);
    assert_int_equal(sl_batch_validate(&batch, SL_BATCH_VALIDATE_STRICT, NULL, 0, why, sizeof(why)),
                     SL_ERR_INVALID_RECORD);
    t_put_u32(out.data + 23, 2);
    t_fix_crc(out.data, out.len);
    assert_int_equal(sl_batch_peek(out.data, out.len, &batch, NULL, 0), SL_OK);
    assert_int_equal(sl_batch_validate(&batch, SL_BATCH_VALIDATE_STRICT, NULL, 0, why, sizeof(why)), SL_OK);

    /* Clients may not write markers, nor idempotent batches without a sequence. */
    sl_buf_reset(&out);
    o.producer_id = 5;
    assert_int_equal(sl_batch_write_control(&out, &o, true, 0, 1), SL_OK);
    assert_int_equal(sl_batch_peek(out.data, out.len, &batch, NULL, 0), SL_OK);
    assert_int_equal(sl_batch_validate(&batch, 0, NULL, 0, why, sizeof(why)), SL_OK);
    assert_int_equal(sl_batch_validate(&batch, SL_BATCH_VALIDATE_STRICT, NULL, 0, why, sizeof(why)),
                     SL_ERR_INVALID_RECORD);
    assert_non_null(strstr(why, "control"));
    sl_buf_reset(&out);
    o.base_sequence = SL_NO_SEQUENCE;
    assert_int_equal(sl_batch_builder_begin(&b, &out, &o), SL_OK);
    assert_int_equal(sl_batch_builder_add(&b, 1, "k", 1, "v", 1, NULL, 0), SL_OK);
    assert_int_equal(sl_batch_builder_finish(&b), SL_OK);
    assert_int_equal(sl_batch_peek(out.data, out.len, &batch, NULL, 0), SL_OK);
    assert_int_equal(sl_batch_validate(&batch, 0, NULL, 0, why, sizeof(why)), SL_OK);
    assert_int_equal(sl_batch_validate(&batch, SL_BATCH_VALIDATE_STRICT, NULL, 0, why, sizeof(why)),
                     SL_ERR_INVALID_RECORD);
    assert_non_null(strstr(why, "base sequence -1"));
    o.producer_id = SL_NO_PRODUCER_ID;

    /* An empty batch: fine in a log, not from a producer. */
    sl_buf_reset(&out);
    assert_int_equal(sl_batch_builder_begin(&b, &out, &o), SL_OK);
    assert_int_equal(sl_batch_builder_finish(&b), SL_OK);
    assert_int_equal(sl_batch_peek(out.data, out.len, &batch, NULL, 0), SL_OK);
    assert_int_equal(batch.record_count, 0);
    assert_int_equal(batch.last_offset_delta, -1);
    assert_int_equal(sl_batch_validate(&batch, 0, NULL, 0, why, sizeof(why)), SL_OK);
    assert_int_equal(sl_batch_validate(&batch, SL_BATCH_VALIDATE_STRICT, NULL, 0, why, sizeof(why)),
                     SL_ERR_INVALID_RECORD);
    sl_buf_free(&out);
}

static void builder_rejects_bad_arguments_and_cuts_back(void **state)
{
    (void)state;
    sl_batch_opts_t o;
    opts_for(&o, SL_COMPRESSION_GZIP);
    sl_buf_t out = SL_BUF_INIT;
    sl_buf_put(&out, "prefix", 6);
    sl_batch_builder_t b;

    o.level = 10;
    assert_int_equal(sl_batch_builder_begin(&b, &out, &o), SL_ERR_INVAL);
    o.level = 0;
    o.compression = (sl_compression_t)5;
    assert_int_equal(sl_batch_builder_begin(&b, &out, &o), SL_ERR_INVAL);
    assert_int_equal(out.len, 6);
    o.compression = SL_COMPRESSION_GZIP;

    assert_int_equal(sl_batch_builder_begin(&b, &out, &o), SL_OK);
    assert_int_equal(sl_batch_builder_add(&b, 1, "k", 1, "v", 1, NULL, 0), SL_OK);
    assert_int_equal(sl_batch_builder_add(&b, 1, "k", -2, "v", 1, NULL, 0), SL_ERR_INVAL);
    /* Sticky: later adds and finish fail too; out is as before begin. */
    assert_int_equal(sl_batch_builder_add(&b, 1, "k", 1, "v", 1, NULL, 0), SL_ERR_INVAL);
    assert_int_equal(sl_batch_builder_finish(&b), SL_ERR_INVAL);
    assert_int_equal(out.len, 6);
    assert_int_equal(sl_batch_builder_finish(&b), SL_ERR_STATE);

    sl_header_t bad = {NULL, 3, NULL, -1};
    assert_int_equal(sl_batch_builder_begin(&b, &out, &o), SL_OK);
    assert_int_equal(sl_batch_builder_add(&b, 1, NULL, -1, NULL, -1, &bad, 1), SL_ERR_INVAL);
    sl_batch_builder_abort(&b);
    assert_int_equal(out.len, 6);
    sl_batch_builder_abort(&b);

    assert_int_equal(sl_batch_builder_begin(&b, &out, &o), SL_OK);
    assert_int_equal(sl_batch_builder_add(&b, 1, NULL, -1, NULL, 3, NULL, 0), SL_ERR_INVAL);
    sl_batch_builder_abort(&b);
    assert_int_equal(out.len, 6);
    assert_int_equal(sl_buf_err(&out), SL_OK);
    assert_memory_equal(out.data, "prefix", 6);
    sl_buf_free(&out);
}

static void compression_names_parse_both_ways(void **state)
{
    (void)state;
    for (size_t c = 0; c < SL_ARRAY_LEN(codecs); c++) {
        sl_compression_t got = (sl_compression_t)99;
        assert_int_equal(sl_compression_parse(sl_compression_name(codecs[c]), &got), SL_OK);
        assert_int_equal(got, codecs[c]);
    }
    sl_compression_t got;
    assert_int_equal(sl_compression_parse("ZSTD", &got), SL_OK);
    assert_int_equal(got, SL_COMPRESSION_ZSTD);
    assert_int_equal(sl_compression_parse("brotli", &got), SL_ERR_INVAL);
    assert_string_equal(sl_compression_name((sl_compression_t)6), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(roundtrip_every_codec_with_0_1_2_and_many_records),
        cmocka_unit_test(roundtrip_large_values_span_many_compression_blocks),
        cmocka_unit_test(roundtrip_compressed_payload_decodes_with_raw_library),
        cmocka_unit_test(roundtrip_codec_levels),
        cmocka_unit_test(roundtrip_several_batches_in_one_blob),
        cmocka_unit_test(roundtrip_blob_loaded_from_file),
        cmocka_unit_test(patch_assign_offsets_keeps_crc_valid),
        cmocka_unit_test(patch_log_append_time_sets_record_timestamps),
        cmocka_unit_test(validate_strict_rejects_gaps_empty_control_and_unsequenced),
        cmocka_unit_test(builder_rejects_bad_arguments_and_cuts_back),
        cmocka_unit_test(compression_names_parse_both_ways),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
