/*
 * compress.c - the four Kafka codecs over zlib, snappy, lz4 (frame API) and
 * zstd, as one compress call and one bounded decompress call. Decompression
 * grows the output in steps and never past the caller's limit: when the limit
 * is reached while the stream still has data, a small stack probe tells a
 * bomb (more output) from a stream that merely ends there.
 */
#include <limits.h>
#include <string.h>
#include <strings.h>

#include <lz4frame.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "records_int.h"

/* snappy-java's SnappyOutputStream: magic, then version and compatible
 * version (both 1), then blocks of 32 KiB input each. */
static const uint8_t xerial_magic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
#define XERIAL_HEADER_SIZE 16
#define XERIAL_BLOCK_SIZE (32 * 1024)

/* First output step; later steps double what was produced so far. */
#define STEP_MIN ((size_t)64 * 1024)

/* Snappy's densest element is a 3-byte copy of 64 bytes; a declared length
 * above this ratio cannot be honest and is refused before allocating. */
#define SNAPPY_MAX_RATIO 22

/* zstd refuses frames whose window exceeds 2^windowLogMax. At least 8 MiB
 * (what zstd levels up to 19 use when the size is unknown), at most zstd's
 * own default limit of 128 MiB. */
#define ZSTD_WLOG_MIN 23
#define ZSTD_WLOG_MAX 27

static const char *const codec_names[] = {"none", "gzip", "snappy", "lz4", "zstd"};

const char *sl_compression_name(sl_compression_t codec)
{
    if ((unsigned)codec < SL_ARRAY_LEN(codec_names))
        return codec_names[codec];
    return "unknown";
}

sl_err_t sl_compression_parse(const char *name, sl_compression_t *codec)
{
    if (!name || !codec)
        return SL_ERR_INVAL;
    for (size_t i = 0; i < SL_ARRAY_LEN(codec_names); i++) {
        if (strcasecmp(name, codec_names[i]) == 0) {
            *codec = (sl_compression_t)i;
            return SL_OK;
        }
    }
    return SL_ERR_INVAL;
}

/* ---------------------------------------------------------------------
 * Compression
 * --------------------------------------------------------------------- */

static sl_err_t gzip_compress(int level, const uint8_t *src, size_t n, sl_buf_t *out)
{
    if (level == 0)
        level = Z_DEFAULT_COMPRESSION;
    else if (level < 1 || level > 9)
        return SL_ERR_INVAL;
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    /* windowBits + 16: a gzip wrapper, as Java's GZIPOutputStream. */
    int r = deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    if (r != Z_OK)
        return r == Z_MEM_ERROR ? SL_ERR_NOMEM : SL_ERR_COMPRESSION;
    size_t bound = deflateBound(&zs, (uLong)n);
    if (sl_buf_reserve(out, bound) != SL_OK) {
        deflateEnd(&zs);
        return SL_ERR_NOMEM;
    }
    zs.next_in = (Bytef *)(uintptr_t)src;
    zs.avail_in = (uInt)n;
    zs.next_out = out->data + out->len;
    zs.avail_out = (uInt)bound;
    r = deflate(&zs, Z_FINISH);
    size_t produced = bound - zs.avail_out;
    deflateEnd(&zs);
    if (r != Z_STREAM_END)
        return SL_ERR_COMPRESSION;
    out->len += produced;
    return SL_OK;
}

static sl_err_t snappy_xerial_compress(const uint8_t *src, size_t n, sl_buf_t *out)
{
    size_t start = out->len;
    sl_buf_put(out, xerial_magic, sizeof(xerial_magic));
    sl_buf_put_i32(out, 1);
    sl_buf_put_i32(out, 1);
    for (size_t off = 0; off < n; off += XERIAL_BLOCK_SIZE) {
        size_t in = SL_MIN(n - off, (size_t)XERIAL_BLOCK_SIZE);
        size_t max = snappy_max_compressed_length(in);
        if (sl_buf_reserve(out, 4 + max) != SL_OK)
            break;
        size_t clen = max;
        if (snappy_compress((const char *)src + off, in, (char *)out->data + out->len + 4, &clen) !=
            SNAPPY_OK) {
            out->len = start;
            return SL_ERR_COMPRESSION;
        }
        sl_rec_put_u32(out->data + out->len, (uint32_t)clen);
        out->len += 4 + clen;
    }
    if (sl_buf_err(out)) {
        out->len = start;
        return SL_ERR_NOMEM;
    }
    return SL_OK;
}

static sl_err_t lz4_compress(int level, const uint8_t *src, size_t n, sl_buf_t *out)
{
    if (level < 0 || level > 12)
        return SL_ERR_INVAL;
    LZ4F_preferences_t prefs;
    memset(&prefs, 0, sizeof(prefs));
    prefs.frameInfo.blockSizeID = LZ4F_max64KB;
    prefs.frameInfo.blockMode = LZ4F_blockIndependent;
    prefs.frameInfo.contentChecksumFlag = LZ4F_noContentChecksum;
    prefs.frameInfo.frameType = LZ4F_frame;
    prefs.compressionLevel = level;
    size_t bound = LZ4F_compressFrameBound(n, &prefs);
    if (sl_buf_reserve(out, bound) != SL_OK)
        return SL_ERR_NOMEM;
    size_t r = LZ4F_compressFrame(out->data + out->len, bound, src, n, &prefs);
    if (LZ4F_isError(r))
        return SL_ERR_COMPRESSION;
    out->len += r;
    return SL_OK;
}

static sl_err_t zstd_compress(int level, const uint8_t *src, size_t n, sl_buf_t *out)
{
    if (level == 0)
        level = ZSTD_CLEVEL_DEFAULT;
    else if (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel())
        return SL_ERR_INVAL;
    size_t bound = ZSTD_compressBound(n);
    if (sl_buf_reserve(out, bound) != SL_OK)
        return SL_ERR_NOMEM;
    size_t r = ZSTD_compress(out->data + out->len, bound, src, n, level);
    if (ZSTD_isError(r))
        return ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation ? SL_ERR_NOMEM : SL_ERR_COMPRESSION;
    out->len += r;
    return SL_OK;
}

sl_err_t sl_compress(sl_compression_t codec, int level, const void *src, size_t n, sl_buf_t *out)
{
    if (!out || (!src && n))
        return SL_ERR_INVAL;
    if (sl_buf_err(out))
        return sl_buf_err(out);
    /* Nothing bigger fits in a batch; it also keeps every codec's int sizes safe. */
    if (n > INT32_MAX)
        return SL_ERR_TOO_LARGE;
    static const uint8_t empty[1];
    const uint8_t *s = src ? src : empty;
    switch (codec) {
    case SL_COMPRESSION_NONE:
        sl_buf_put(out, s, n);
        return sl_buf_err(out);
    case SL_COMPRESSION_GZIP:
        return gzip_compress(level, s, n, out);
    case SL_COMPRESSION_SNAPPY:
        return snappy_xerial_compress(s, n, out);
    case SL_COMPRESSION_LZ4:
        return lz4_compress(level, s, n, out);
    case SL_COMPRESSION_ZSTD:
        return zstd_compress(level, s, n, out);
    }
    return SL_ERR_INVAL;
}

/* ---------------------------------------------------------------------
 * Bounded output for the streaming decoders
 * --------------------------------------------------------------------- */

typedef struct bounded {
    sl_buf_t *out;
    size_t start;    /* out->len before decompression */
    size_t max;      /* bytes we may produce */
    uint8_t probe[64];
    bool probing;    /* the current window is probe, not out */
} bounded_t;

static size_t bounded_produced(const bounded_t *bo) { return bo->out->len - bo->start; }

/* The next window to decode into: free space in out (grown by a step if
 * none), limited to what the bound still allows; or the probe once the bound
 * is reached. SL_OK or SL_ERR_NOMEM. */
static sl_err_t bounded_window(bounded_t *bo, uint8_t **dst, size_t *room)
{
    sl_buf_t *out = bo->out;
    size_t produced = bounded_produced(bo);
    size_t allowed = bo->max - produced;
    if (allowed == 0) {
        bo->probing = true;
        *dst = bo->probe;
        *room = sizeof(bo->probe);
        return SL_OK;
    }
    if (out->cap == out->len) {
        size_t step = SL_MIN(SL_MAX(produced, STEP_MIN), allowed);
        if (sl_buf_reserve(out, step) != SL_OK)
            return SL_ERR_NOMEM;
    }
    bo->probing = false;
    *dst = out->data + out->len;
    *room = SL_MIN(SL_MIN(out->cap - out->len, allowed), (size_t)INT32_MAX);
    return SL_OK;
}

/* Accounts for got bytes written into the last window. SL_ERR_TOO_LARGE when
 * they landed in the probe. */
static sl_err_t bounded_commit(bounded_t *bo, size_t got)
{
    if (bo->probing)
        return got ? SL_ERR_TOO_LARGE : SL_OK;
    bo->out->len += got;
    return SL_OK;
}

/* ---------------------------------------------------------------------
 * Decompression
 * --------------------------------------------------------------------- */

static sl_err_t gzip_decompress(const uint8_t *src, size_t n, bounded_t *bo, char *errbuf, size_t errlen)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    int r = inflateInit2(&zs, 15 + 16); /* gzip wrapper only, as Kafka */
    if (r != Z_OK)
        return SL_ERR_NOMEM;
    zs.next_in = (Bytef *)(uintptr_t)src;
    zs.avail_in = (uInt)n;
    sl_err_t err = SL_OK;
    for (;;) {
        uint8_t *dst;
        size_t room;
        if ((err = bounded_window(bo, &dst, &room)) != SL_OK)
            break;
        zs.next_out = dst;
        zs.avail_out = (uInt)room;
        r = inflate(&zs, Z_NO_FLUSH);
        if ((err = bounded_commit(bo, room - zs.avail_out)) != SL_OK) {
            sl_rec_errf(errbuf, errlen, "gzip data inflates beyond the limit of %zu bytes", bo->max);
            break;
        }
        if (r == Z_STREAM_END) {
            if (zs.avail_in == 0)
                break;
            /* Another gzip member follows (GZIPInputStream reads them all). */
            if (inflateReset(&zs) != Z_OK) {
                err = SL_ERR_COMPRESSION;
                break;
            }
            continue;
        }
        if (r == Z_OK)
            continue;
        if (r == Z_MEM_ERROR) {
            err = SL_ERR_NOMEM;
        } else if (r == Z_BUF_ERROR) {
            /* No progress possible with output room: the input ran out. */
            err = SL_ERR_COMPRESSION;
            sl_rec_errf(errbuf, errlen, "gzip data is truncated");
        } else {
            err = SL_ERR_COMPRESSION;
            sl_rec_errf(errbuf, errlen, "gzip data is malformed: %s", zs.msg ? zs.msg : "inflate failed");
        }
        break;
    }
    inflateEnd(&zs);
    return err;
}

/* One raw snappy block appended to out within the bound. */
static sl_err_t snappy_raw_decompress(const uint8_t *src, size_t n, bounded_t *bo, char *errbuf, size_t errlen)
{
    size_t ulen;
    if (snappy_uncompressed_length((const char *)src, n, &ulen) != SNAPPY_OK) {
        sl_rec_errf(errbuf, errlen, "snappy data is malformed (bad length preamble)");
        return SL_ERR_COMPRESSION;
    }
    if (ulen > bo->max - bounded_produced(bo)) {
        sl_rec_errf(errbuf, errlen, "snappy data declares %zu bytes, beyond the limit of %zu bytes", ulen,
                    bo->max);
        return SL_ERR_TOO_LARGE;
    }
    if (n < 1 || ulen / SNAPPY_MAX_RATIO > n) {
        sl_rec_errf(errbuf, errlen, "snappy data declares %zu bytes, more than %zu input bytes can hold", ulen,
                    n);
        return SL_ERR_COMPRESSION;
    }
    if (sl_buf_reserve(bo->out, ulen ? ulen : 1) != SL_OK)
        return SL_ERR_NOMEM;
    size_t got = ulen;
    if (snappy_uncompress((const char *)src, n, (char *)bo->out->data + bo->out->len, &got) != SNAPPY_OK ||
        got != ulen) {
        sl_rec_errf(errbuf, errlen, "snappy data is malformed");
        return SL_ERR_COMPRESSION;
    }
    bo->out->len += got;
    return SL_OK;
}

static sl_err_t snappy_decompress(const uint8_t *src, size_t n, bounded_t *bo, char *errbuf, size_t errlen)
{
    if (n < sizeof(xerial_magic) || memcmp(src, xerial_magic, sizeof(xerial_magic)) != 0)
        return snappy_raw_decompress(src, n, bo, errbuf, errlen);
    /* xerial framing: version and compatible version are not checked, as
     * every version so far has the same block layout. */
    if (n < XERIAL_HEADER_SIZE) {
        sl_rec_errf(errbuf, errlen, "xerial snappy header is truncated");
        return SL_ERR_COMPRESSION;
    }
    size_t pos = XERIAL_HEADER_SIZE;
    while (pos < n) {
        if (n - pos < 4) {
            sl_rec_errf(errbuf, errlen, "xerial snappy block length at byte %zu is truncated", pos);
            return SL_ERR_COMPRESSION;
        }
        uint32_t blen = sl_rec_get_u32(src + pos);
        pos += 4;
        if (blen == 0 || blen > n - pos) {
            sl_rec_errf(errbuf, errlen, "xerial snappy block at byte %zu has length %u, %zu bytes left",
                        pos - 4, blen, n - pos);
            return SL_ERR_COMPRESSION;
        }
        sl_err_t err = snappy_raw_decompress(src + pos, blen, bo, errbuf, errlen);
        if (err)
            return err;
        pos += blen;
    }
    return SL_OK;
}

static sl_err_t lz4_decompress(const uint8_t *src, size_t n, bounded_t *bo, char *errbuf, size_t errlen)
{
    LZ4F_dctx *dctx = NULL;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION)))
        return SL_ERR_NOMEM;
    sl_err_t err = SL_OK;
    size_t pos = 0;
    for (;;) {
        uint8_t *dst;
        size_t room;
        if ((err = bounded_window(bo, &dst, &room)) != SL_OK)
            break;
        size_t in = n - pos, got = room;
        size_t r = LZ4F_decompress(dctx, dst, &got, src + pos, &in, NULL);
        if (LZ4F_isError(r)) {
            err = SL_ERR_COMPRESSION;
            sl_rec_errf(errbuf, errlen, "lz4 data is malformed: %s", LZ4F_getErrorName(r));
            break;
        }
        pos += in;
        if ((err = bounded_commit(bo, got)) != SL_OK) {
            sl_rec_errf(errbuf, errlen, "lz4 data decompresses beyond the limit of %zu bytes", bo->max);
            break;
        }
        if (r == 0) {
            if (pos == n)
                break;
            continue; /* another frame follows */
        }
        if (in == 0 && got == 0) {
            /* Wants more input than there is. */
            err = SL_ERR_COMPRESSION;
            sl_rec_errf(errbuf, errlen, "lz4 frame is truncated");
            break;
        }
    }
    LZ4F_freeDecompressionContext(dctx);
    return err;
}

static unsigned zstd_window_log(size_t max)
{
    unsigned wl = ZSTD_WLOG_MIN;
    while (wl < ZSTD_WLOG_MAX && ((size_t)1 << wl) < max)
        wl++;
    return wl;
}

static sl_err_t zstd_decompress(const uint8_t *src, size_t n, bounded_t *bo, char *errbuf, size_t errlen)
{
    unsigned long long declared = ZSTD_getFrameContentSize(src, n);
    if (declared == ZSTD_CONTENTSIZE_ERROR) {
        sl_rec_errf(errbuf, errlen, "zstd data does not start with a zstd frame");
        return SL_ERR_COMPRESSION;
    }
    if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared > bo->max - bounded_produced(bo)) {
        sl_rec_errf(errbuf, errlen, "zstd frame declares %llu bytes, beyond the limit of %zu bytes", declared,
                    bo->max);
        return SL_ERR_TOO_LARGE;
    }
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    if (!dctx)
        return SL_ERR_NOMEM;
    sl_err_t err = SL_OK;
    if (ZSTD_isError(ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax, (int)zstd_window_log(bo->max)))) {
        ZSTD_freeDCtx(dctx);
        return SL_ERR_COMPRESSION;
    }
    ZSTD_inBuffer in = {src, n, 0};
    for (;;) {
        uint8_t *dst;
        size_t room;
        if ((err = bounded_window(bo, &dst, &room)) != SL_OK)
            break;
        ZSTD_outBuffer ob = {dst, room, 0};
        size_t before = in.pos;
        size_t r = ZSTD_decompressStream(dctx, &ob, &in);
        if (ZSTD_isError(r)) {
            ZSTD_ErrorCode code = ZSTD_getErrorCode(r);
            if (code == ZSTD_error_frameParameter_windowTooLarge) {
                err = SL_ERR_TOO_LARGE;
                sl_rec_errf(errbuf, errlen, "zstd frame needs a window above %zu bytes",
                            (size_t)1 << zstd_window_log(bo->max));
            } else if (code == ZSTD_error_memory_allocation) {
                err = SL_ERR_NOMEM;
            } else {
                err = SL_ERR_COMPRESSION;
                sl_rec_errf(errbuf, errlen, "zstd data is malformed: %s", ZSTD_getErrorName(r));
            }
            break;
        }
        if ((err = bounded_commit(bo, ob.pos)) != SL_OK) {
            sl_rec_errf(errbuf, errlen, "zstd data decompresses beyond the limit of %zu bytes", bo->max);
            break;
        }
        if (r == 0 && in.pos == in.size)
            break; /* last frame decoded and flushed */
        if (in.pos == before && ob.pos == 0) {
            err = SL_ERR_COMPRESSION;
            sl_rec_errf(errbuf, errlen, "zstd frame is truncated");
            break;
        }
    }
    ZSTD_freeDCtx(dctx);
    return err;
}

sl_err_t sl_decompress(sl_compression_t codec, const void *src, size_t n, size_t max_out, sl_buf_t *out,
                       char *errbuf, size_t errlen)
{
    if (!out || (!src && n))
        return SL_ERR_INVAL;
    if (sl_buf_err(out))
        return sl_buf_err(out);
    if (n > INT32_MAX) {
        sl_rec_errf(errbuf, errlen, "compressed input of %zu bytes is too large", n);
        return SL_ERR_TOO_LARGE;
    }
    static const uint8_t empty[1];
    const uint8_t *s = src ? src : empty;
    bounded_t bo = {.out = out, .start = out->len, .max = max_out, .probing = false};
    sl_err_t err;
    switch (codec) {
    case SL_COMPRESSION_NONE:
        if (n > max_out) {
            sl_rec_errf(errbuf, errlen, "%zu bytes exceed the limit of %zu bytes", n, max_out);
            return SL_ERR_TOO_LARGE;
        }
        sl_buf_put(out, s, n);
        return sl_buf_err(out);
    case SL_COMPRESSION_GZIP:
        err = gzip_decompress(s, n, &bo, errbuf, errlen);
        break;
    case SL_COMPRESSION_SNAPPY:
        err = snappy_decompress(s, n, &bo, errbuf, errlen);
        break;
    case SL_COMPRESSION_LZ4:
        err = lz4_decompress(s, n, &bo, errbuf, errlen);
        break;
    case SL_COMPRESSION_ZSTD:
        err = zstd_decompress(s, n, &bo, errbuf, errlen);
        break;
    default:
        sl_rec_errf(errbuf, errlen, "unknown compression codec %d", (int)codec);
        return SL_ERR_UNSUPPORTED_COMPRESSION_TYPE;
    }
    if (err) {
        if (err == SL_ERR_NOMEM)
            sl_rec_errf(errbuf, errlen, "out of memory while decompressing %s data", sl_compression_name(codec));
        out->len = bo.start;
    }
    return err;
}
