/* records_compress_test.c - the codecs on their own: decompression bombs in
 * every codec stop at the limit without allocating past it, output of
 * exactly the limit passes, snappy reads both raw and xerial-framed input,
 * truncated and trailing-garbage input fails cleanly, multi-member gzip and
 * multi-frame zstd/lz4 decode, and a compressed batch that bombs is refused
 * by the record iterator. Bomb inputs are made with the raw libraries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <lz4frame.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include "records_test_util.h"

#define BOMB_SIZE ((size_t)16 << 20)
#define LIMIT ((size_t)1 << 20)

static const sl_compression_t codecs[] = {SL_COMPRESSION_GZIP, SL_COMPRESSION_SNAPPY, SL_COMPRESSION_LZ4,
                                          SL_COMPRESSION_ZSTD};

static uint8_t *zeros(size_t n)
{
    uint8_t *p = calloc(1, n);
    assert_non_null(p);
    return p;
}

/* --- raw-library compressors (independent of proto/compress.c) --- */

static void raw_gzip(const uint8_t *src, size_t n, sl_buf_t *out)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t bound = deflateBound(&zs, (uLong)n);
    assert_int_equal(sl_buf_reserve(out, bound), SL_OK);
    zs.next_in = (Bytef *)(uintptr_t)src;
    zs.avail_in = (uInt)n;
    zs.next_out = out->data + out->len;
    zs.avail_out = (uInt)bound;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    out->len += bound - zs.avail_out;
    deflateEnd(&zs);
}

static void raw_snappy(const uint8_t *src, size_t n, sl_buf_t *out)
{
    size_t max = snappy_max_compressed_length(n);
    assert_int_equal(sl_buf_reserve(out, max), SL_OK);
    assert_int_equal(snappy_compress((const char *)src, n, (char *)out->data + out->len, &max), SNAPPY_OK);
    out->len += max;
}

/* xerial framing with caller-chosen block sizes (not just 32 KiB). */
static void raw_xerial(const uint8_t *src, size_t n, size_t block, sl_buf_t *out)
{
    static const uint8_t magic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
    sl_buf_put(out, magic, 8);
    sl_buf_put_i32(out, 1);
    sl_buf_put_i32(out, 1);
    for (size_t off = 0; off < n; off += block) {
        size_t len_pos = out->len;
        sl_buf_put_i32(out, 0);
        raw_snappy(src + off, SL_MIN(block, n - off), out);
        sl_buf_set_u32(out, len_pos, (uint32_t)(out->len - len_pos - 4));
    }
}

static void raw_lz4(const uint8_t *src, size_t n, sl_buf_t *out)
{
    LZ4F_preferences_t prefs;
    memset(&prefs, 0, sizeof(prefs));
    size_t bound = LZ4F_compressFrameBound(n, &prefs);
    assert_int_equal(sl_buf_reserve(out, bound), SL_OK);
    size_t r = LZ4F_compressFrame(out->data + out->len, bound, src, n, &prefs);
    assert_false(LZ4F_isError(r));
    out->len += r;
}

/* with_size false: a streaming frame without the content size field. */
static void raw_zstd(const uint8_t *src, size_t n, bool with_size, sl_buf_t *out)
{
    ZSTD_CCtx *c = ZSTD_createCCtx();
    assert_non_null(c);
    assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, with_size ? 1 : 0)));
    size_t bound = ZSTD_compressBound(n);
    assert_int_equal(sl_buf_reserve(out, bound), SL_OK);
    size_t r = ZSTD_compress2(c, out->data + out->len, bound, src, n);
    assert_false(ZSTD_isError(r));
    out->len += r;
    ZSTD_freeCCtx(c);
}

static void raw_compress(sl_compression_t codec, const uint8_t *src, size_t n, sl_buf_t *out)
{
    switch (codec) {
    case SL_COMPRESSION_GZIP:
        raw_gzip(src, n, out);
        break;
    case SL_COMPRESSION_SNAPPY:
        raw_snappy(src, n, out);
        break;
    case SL_COMPRESSION_LZ4:
        raw_lz4(src, n, out);
        break;
    case SL_COMPRESSION_ZSTD:
        raw_zstd(src, n, false, out);
        break;
    default:
        fail();
    }
}

/* Compressible but not trivial. */
static void fill_text(uint8_t *p, size_t n, uint64_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (i / 1000) % 3 == 2 ? (uint8_t)t_rand(&seed) : (uint8_t)("streams of records "[i % 19]);
}

/* --- tests --- */

static void compress_bombs_stop_at_the_limit(void **state)
{
    (void)state;
    uint8_t *z = zeros(BOMB_SIZE);
    struct {
        const char *what;
        sl_compression_t codec;
        sl_buf_t in;
        size_t max_cap; /* what out may have allocated when refusing */
    } bombs[] = {
        {"gzip", SL_COMPRESSION_GZIP, SL_BUF_INIT, 2 * LIMIT},
        {"zstd with content size", SL_COMPRESSION_ZSTD, SL_BUF_INIT, 0},
        {"zstd without content size", SL_COMPRESSION_ZSTD, SL_BUF_INIT, 2 * LIMIT},
        {"lz4", SL_COMPRESSION_LZ4, SL_BUF_INIT, 2 * LIMIT},
        {"raw snappy", SL_COMPRESSION_SNAPPY, SL_BUF_INIT, 0},
        {"xerial snappy", SL_COMPRESSION_SNAPPY, SL_BUF_INIT, 2 * LIMIT},
    };
    raw_gzip(z, BOMB_SIZE, &bombs[0].in);
    raw_zstd(z, BOMB_SIZE, true, &bombs[1].in);
    raw_zstd(z, BOMB_SIZE, false, &bombs[2].in);
    raw_lz4(z, BOMB_SIZE, &bombs[3].in);
    raw_snappy(z, BOMB_SIZE, &bombs[4].in);
    raw_xerial(z, BOMB_SIZE, 32 * 1024, &bombs[5].in);
    assert_int_equal(ZSTD_getFrameContentSize(bombs[2].in.data, bombs[2].in.len), ZSTD_CONTENTSIZE_UNKNOWN);
    for (size_t i = 0; i < SL_ARRAY_LEN(bombs); i++) {
        /* Small inputs, huge outputs. */
        assert_true(bombs[i].in.len < BOMB_SIZE / 16);
        sl_buf_t out = SL_BUF_INIT;
        char why[160] = "";
        sl_err_t err = sl_decompress(bombs[i].codec, bombs[i].in.data, bombs[i].in.len, LIMIT, &out, why,
                                     sizeof(why));
        if (err != SL_ERR_TOO_LARGE)
            fail_msg("%s: %s (%s)", bombs[i].what, sl_err_name(err), why);
        assert_non_null(strstr(why, "limit"));
        assert_int_equal(out.len, 0);
        if (out.cap > bombs[i].max_cap)
            fail_msg("%s: allocated %zu bytes for a %zu-byte limit", bombs[i].what, out.cap, LIMIT);
        /* With room for it all, the same input decodes. */
        err = sl_decompress(bombs[i].codec, bombs[i].in.data, bombs[i].in.len, BOMB_SIZE, &out, why, sizeof(why));
        if (err != SL_OK)
            fail_msg("%s: %s (%s)", bombs[i].what, sl_err_name(err), why);
        assert_int_equal(out.len, BOMB_SIZE);
        assert_memory_equal(out.data, z, BOMB_SIZE);
        sl_buf_free(&out);
        sl_buf_free(&bombs[i].in);
    }
    free(z);
}

static void compress_output_of_exactly_the_limit_passes(void **state)
{
    (void)state;
    const size_t n = 100000;
    uint8_t *src = malloc(n);
    assert_non_null(src);
    fill_text(src, n, 1);
    for (size_t c = 0; c < SL_ARRAY_LEN(codecs); c++) {
        sl_buf_t in = SL_BUF_INIT, out = SL_BUF_INIT;
        assert_int_equal(sl_compress(codecs[c], 0, src, n, &in), SL_OK);
        assert_int_equal(sl_decompress(codecs[c], in.data, in.len, n, &out, NULL, 0), SL_OK);
        assert_int_equal(out.len, n);
        assert_memory_equal(out.data, src, n);
        sl_buf_reset(&out);
        assert_int_equal(sl_decompress(codecs[c], in.data, in.len, n - 1, &out, NULL, 0), SL_ERR_TOO_LARGE);
        assert_int_equal(out.len, 0);
        sl_buf_free(&in);
        sl_buf_free(&out);
    }
    /* No codec at all is bounded too. */
    sl_buf_t out = SL_BUF_INIT;
    assert_int_equal(sl_decompress(SL_COMPRESSION_NONE, src, n, n - 1, &out, NULL, 0), SL_ERR_TOO_LARGE);
    assert_int_equal(sl_decompress(SL_COMPRESSION_NONE, src, n, n, &out, NULL, 0), SL_OK);
    assert_int_equal(out.len, n);
    sl_buf_free(&out);
    free(src);
}

static void compress_snappy_reads_raw_and_xerial_framing(void **state)
{
    (void)state;
    const size_t n = 100003;
    uint8_t *src = malloc(n);
    assert_non_null(src);
    fill_text(src, n, 2);
    sl_buf_t raw = SL_BUF_INIT, xer = SL_BUF_INIT, odd = SL_BUF_INIT, ours = SL_BUF_INIT;
    raw_snappy(src, n, &raw);
    raw_xerial(src, n, 32 * 1024, &xer);
    raw_xerial(src, n, 7777, &odd); /* block sizes need not be 32 KiB */
    assert_int_equal(sl_compress(SL_COMPRESSION_SNAPPY, 0, src, n, &ours), SL_OK);
    /* Our writer frames exactly as snappy-java does with default blocks. */
    assert_int_equal(ours.len, xer.len);
    assert_memory_equal(ours.data, xer.data, xer.len);
    const sl_buf_t *inputs[] = {&raw, &xer, &odd, &ours};
    for (size_t i = 0; i < SL_ARRAY_LEN(inputs); i++) {
        sl_buf_t out = SL_BUF_INIT;
        sl_buf_put(&out, "pre", 3); /* appends after what is there */
        char why[160] = "";
        if (sl_decompress(SL_COMPRESSION_SNAPPY, inputs[i]->data, inputs[i]->len, n, &out, why, sizeof(why)))
            fail_msg("input %zu: %s", i, why);
        assert_int_equal(out.len, n + 3);
        assert_memory_equal(out.data, "pre", 3);
        assert_memory_equal(out.data + 3, src, n);
        sl_buf_free(&out);
    }
    /* Empty input framed: header only. */
    sl_buf_t empty = SL_BUF_INIT, out = SL_BUF_INIT;
    assert_int_equal(sl_compress(SL_COMPRESSION_SNAPPY, 0, NULL, 0, &empty), SL_OK);
    assert_int_equal(empty.len, 16);
    assert_int_equal(sl_decompress(SL_COMPRESSION_SNAPPY, empty.data, empty.len, 10, &out, NULL, 0), SL_OK);
    assert_int_equal(out.len, 0);
    /* Framing damage: short header, zero-length block, block past the end. */
    char why[160];
    assert_int_equal(sl_decompress(SL_COMPRESSION_SNAPPY, xer.data, 12, n, &out, why, sizeof(why)),
                     SL_ERR_COMPRESSION);
    uint8_t *bad = malloc(xer.len);
    assert_non_null(bad);
    memcpy(bad, xer.data, xer.len);
    t_put_u32(bad + 16, 0);
    assert_int_equal(sl_decompress(SL_COMPRESSION_SNAPPY, bad, xer.len, n, &out, why, sizeof(why)),
                     SL_ERR_COMPRESSION);
    assert_non_null(strstr(why, "xerial"));
    t_put_u32(bad + 16, 0x7fffffff);
    assert_int_equal(sl_decompress(SL_COMPRESSION_SNAPPY, bad, xer.len, n, &out, why, sizeof(why)),
                     SL_ERR_COMPRESSION);
    assert_int_equal(out.len, 0);
    free(bad);
    sl_buf_free(&empty);
    sl_buf_free(&out);
    sl_buf_free(&raw);
    sl_buf_free(&xer);
    sl_buf_free(&odd);
    sl_buf_free(&ours);
    free(src);
}

static void compress_truncated_or_trailing_garbage_fails(void **state)
{
    (void)state;
    const size_t n = 50000;
    uint8_t *src = malloc(n);
    assert_non_null(src);
    fill_text(src, n, 3);
    for (size_t c = 0; c < SL_ARRAY_LEN(codecs); c++) {
        sl_buf_t in = SL_BUF_INIT;
        assert_int_equal(sl_compress(codecs[c], 0, src, n, &in), SL_OK);
        const size_t cuts[] = {0, 1, 5, 17, in.len / 2, in.len - 1};
        for (size_t k = 0; k < SL_ARRAY_LEN(cuts); k++) {
            uint8_t *t = malloc(cuts[k] ? cuts[k] : 1);
            assert_non_null(t);
            memcpy(t, in.data, cuts[k]);
            sl_buf_t out = SL_BUF_INIT;
            char why[160] = "";
            sl_err_t err = sl_decompress(codecs[c], t, cuts[k], n, &out, why, sizeof(why));
            if (err != SL_ERR_COMPRESSION)
                fail_msg("%s cut at %zu: %s (%s)", sl_compression_name(codecs[c]), cuts[k], sl_err_name(err), why);
            assert_int_equal(out.len, 0);
            sl_buf_free(&out);
            free(t);
        }
        /* Garbage after a complete stream. Snappy is exempt: a raw snappy
         * block has no end marker and xerial ends where the input ends. */
        if (codecs[c] != SL_COMPRESSION_SNAPPY) {
            sl_buf_put(&in, "junk!", 5);
            sl_buf_t out = SL_BUF_INIT;
            assert_int_equal(sl_decompress(codecs[c], in.data, in.len, 2 * n, &out, NULL, 0), SL_ERR_COMPRESSION);
            sl_buf_free(&out);
        }
        sl_buf_free(&in);
    }
    /* Random bytes are not a stream of any codec. */
    uint64_t seed = 99;
    uint8_t noise[4096];
    for (size_t i = 0; i < sizeof(noise); i++)
        noise[i] = (uint8_t)t_rand(&seed);
    for (size_t c = 0; c < SL_ARRAY_LEN(codecs); c++) {
        sl_buf_t out = SL_BUF_INIT;
        sl_err_t err = sl_decompress(codecs[c], noise, sizeof(noise), LIMIT, &out, NULL, 0);
        assert_true(err == SL_ERR_COMPRESSION || err == SL_ERR_TOO_LARGE);
        assert_int_equal(out.len, 0);
        sl_buf_free(&out);
    }
    sl_buf_t out = SL_BUF_INIT;
    assert_int_equal(sl_decompress((sl_compression_t)6, noise, 10, LIMIT, &out, NULL, 0),
                     SL_ERR_UNSUPPORTED_COMPRESSION_TYPE);
    sl_buf_free(&out);
    free(src);
}

static void compress_concatenated_members_and_frames_decode(void **state)
{
    (void)state;
    uint8_t a[3000], b[5000];
    fill_text(a, sizeof(a), 4);
    fill_text(b, sizeof(b), 5);
    const sl_compression_t multi[] = {SL_COMPRESSION_GZIP, SL_COMPRESSION_LZ4, SL_COMPRESSION_ZSTD};
    for (size_t c = 0; c < SL_ARRAY_LEN(multi); c++) {
        sl_buf_t in = SL_BUF_INIT, out = SL_BUF_INIT;
        raw_compress(multi[c], a, sizeof(a), &in);
        raw_compress(multi[c], b, sizeof(b), &in);
        assert_int_equal(sl_decompress(multi[c], in.data, in.len, LIMIT, &out, NULL, 0), SL_OK);
        assert_int_equal(out.len, sizeof(a) + sizeof(b));
        assert_memory_equal(out.data, a, sizeof(a));
        assert_memory_equal(out.data + sizeof(a), b, sizeof(b));
        sl_buf_free(&in);
        sl_buf_free(&out);
    }
}

static void compress_empty_input_round_trips(void **state)
{
    (void)state;
    for (size_t c = 0; c < SL_ARRAY_LEN(codecs); c++) {
        sl_buf_t in = SL_BUF_INIT, out = SL_BUF_INIT;
        assert_int_equal(sl_compress(codecs[c], 0, NULL, 0, &in), SL_OK);
        assert_true(in.len > 0);
        assert_int_equal(sl_decompress(codecs[c], in.data, in.len, 0, &out, NULL, 0), SL_OK);
        assert_int_equal(out.len, 0);
        sl_buf_free(&in);
        sl_buf_free(&out);
    }
    sl_buf_t out = SL_BUF_INIT;
    assert_int_equal(sl_compress(SL_COMPRESSION_GZIP, 10, "x", 1, &out), SL_ERR_INVAL);
    assert_int_equal(sl_compress(SL_COMPRESSION_LZ4, -1, "x", 1, &out), SL_ERR_INVAL);
    assert_int_equal(sl_compress(SL_COMPRESSION_ZSTD, 1000, "x", 1, &out), SL_ERR_INVAL);
    assert_int_equal(sl_compress((sl_compression_t)5, 0, "x", 1, &out), SL_ERR_INVAL);
    assert_int_equal(out.len, 0);
    sl_buf_free(&out);
}

/* Wraps a compressed payload in a batch claiming count records. */
static void wrap_batch(sl_compression_t codec, const sl_buf_t *payload, int32_t count, sl_buf_t *out)
{
    sl_batch_opts_t o;
    sl_batch_opts_init(&o);
    sl_batch_builder_t b;
    assert_int_equal(sl_batch_builder_begin(&b, out, &o), SL_OK);
    assert_int_equal(sl_batch_builder_finish(&b), SL_OK);
    sl_buf_put(out, payload->data, payload->len);
    t_put_u32(out->data + SL_BATCH_OFF_LENGTH, (uint32_t)(out->len - SL_BATCH_LOG_OVERHEAD));
    out->data[SL_BATCH_OFF_ATTRIBUTES + 1] = (uint8_t)codec;
    t_put_u32(out->data + 23, (uint32_t)(count - 1));
    t_put_u32(out->data + 57, (uint32_t)count);
    t_fix_crc(out->data, out->len);
}

static void compress_bomb_inside_a_batch_is_refused(void **state)
{
    (void)state;
    uint8_t *z = zeros(BOMB_SIZE);
    sl_buf_t payload = SL_BUF_INIT, batch_bytes = SL_BUF_INIT, scratch = SL_BUF_INIT;
    raw_zstd(z, BOMB_SIZE, false, &payload);
    wrap_batch(SL_COMPRESSION_ZSTD, &payload, 1, &batch_bytes);
    sl_batch_t batch;
    assert_int_equal(sl_batch_peek(batch_bytes.data, batch_bytes.len, &batch, NULL, 0), SL_OK);
    sl_record_iter_t it;
    assert_int_equal(sl_record_iter_init(&it, &batch, &scratch, LIMIT), SL_ERR_TOO_LARGE);
    assert_non_null(strstr(it.errmsg, "zstd records"));
    assert_non_null(strstr(it.errmsg, "limit"));
    assert_true(scratch.cap <= 2 * LIMIT);
    char why[200];
    assert_int_equal(sl_batch_validate(&batch, 0, &scratch, LIMIT, why, sizeof(why)), SL_ERR_TOO_LARGE);
    /* 16 MiB of zeros is not records, once it is allowed to decompress. */
    assert_int_equal(sl_batch_validate(&batch, 0, &scratch, BOMB_SIZE, why, sizeof(why)), SL_ERR_CORRUPT_MESSAGE);
    sl_buf_free(&payload);
    sl_buf_free(&batch_bytes);
    sl_buf_free(&scratch);
    free(z);
}

/* librdkafka writes snappy batches without the xerial framing. */
static void compress_batch_with_raw_snappy_records_reads(void **state)
{
    (void)state;
    sl_batch_opts_t o;
    sl_batch_opts_init(&o);
    sl_buf_t plain = SL_BUF_INIT;
    sl_batch_builder_t b;
    assert_int_equal(sl_batch_builder_begin(&b, &plain, &o), SL_OK);
    for (int i = 0; i < 20; i++)
        assert_int_equal(sl_batch_builder_add(&b, 5000 + i, "key", 3, "a value, again and again", 24, NULL, 0),
                         SL_OK);
    assert_int_equal(sl_batch_builder_finish(&b), SL_OK);
    sl_buf_t payload = SL_BUF_INIT, batch_bytes = SL_BUF_INIT, scratch = SL_BUF_INIT;
    raw_snappy(plain.data + SL_BATCH_HEADER_SIZE, plain.len - SL_BATCH_HEADER_SIZE, &payload);
    wrap_batch(SL_COMPRESSION_SNAPPY, &payload, 20, &batch_bytes);
    sl_batch_t batch;
    assert_int_equal(sl_batch_peek(batch_bytes.data, batch_bytes.len, &batch, NULL, 0), SL_OK);
    sl_record_iter_t it;
    sl_record_t r;
    assert_int_equal(sl_record_iter_init(&it, &batch, &scratch, 0), SL_OK);
    for (int i = 0; i < 20; i++) {
        assert_int_equal(sl_record_iter_next(&it, &r), SL_OK);
        assert_int_equal(r.offset_delta, i);
        assert_int_equal(r.value_len, 24);
        assert_memory_equal(r.value, "a value, again and again", 24);
        /* Borrowed from the scratch buffer. */
        assert_true(r.value >= scratch.data && r.value < scratch.data + scratch.len);
    }
    assert_int_equal(sl_record_iter_next(&it, &r), SL_ERR_NOENT);
    sl_buf_free(&payload);
    sl_buf_free(&batch_bytes);
    sl_buf_free(&scratch);
    sl_buf_free(&plain);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(compress_bombs_stop_at_the_limit),
        cmocka_unit_test(compress_output_of_exactly_the_limit_passes),
        cmocka_unit_test(compress_snappy_reads_raw_and_xerial_framing),
        cmocka_unit_test(compress_truncated_or_trailing_garbage_fails),
        cmocka_unit_test(compress_concatenated_members_and_frames_decode),
        cmocka_unit_test(compress_empty_input_round_trips),
        cmocka_unit_test(compress_bomb_inside_a_batch_is_refused),
        cmocka_unit_test(compress_batch_with_raw_snappy_records_reads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
