/*
 * log_recovery_test.c - opening what a crash, a full disk or a damaged disk
 * leaves: torn tails cut at every byte, a bad CRC in the middle, zero-filled
 * tails, missing and corrupt index files (rebuilt byte for byte), stray and
 * misnamed files, random garbage (ASan: never a crash), flushed data that
 * survives a simulated crash, failed writes (file size limit) and the cap on
 * open file descriptors.
 */
#include <signal.h>
#include <sys/resource.h>

#include "log_test_util.h"

/* A log of n single-record batches (seq == offset), closed cleanly. Returns
 * the batch positions in pos[0..n] (pos[n] = file size) when pos given. */
static void make_log(const char *dir, const sl_log_config_t *cfg, int n, int64_t *pos)
{
    sl_log_t *log;
    assert_int_equal(sl_log_open(dir, cfg, true, &log), SL_OK);
    for (int i = 0; i < n; i++) {
        if (pos)
            pos[i] = sl_log_size(log);
        t_append(log, 1, i, 1000 + i, (size_t)(i % 5) * 20, 1);
    }
    if (pos)
        pos[n] = sl_log_size(log);
    assert_int_equal(sl_log_close(log), SL_OK);
}

static void cut_file(const char *path, int64_t size)
{
    assert_int_equal(truncate(path, (off_t)size), 0);
}

static void open_check(const char *dir, const sl_log_config_t *cfg, bool clean, int64_t end)
{
    sl_log_t *log;
    assert_int_equal(sl_log_open(dir, cfg, clean, &log), SL_OK);
    assert_int_equal(sl_log_end_offset(log), end);
    if (end > 0)
        t_check_range(log, 0, end, 1 << 20);
    /* Appends continue right after the last good batch. */
    assert_int_equal(t_append(log, 1, end, 5000, 0, 1), end);
    t_check_range(log, 0, end + 1, 1 << 20);
    assert_int_equal(sl_log_close(log), SL_OK);
}

static void torn_tail_is_cut_at_every_byte(void **state)
{
    (void)state;
    char *src = t_mkdtemp();
    sl_log_config_t cfg = t_cfg();
    cfg.index_interval_bytes = 100;
    int64_t pos[9];
    make_log(src, &cfg, 8, pos);
    char *dir = t_mkdtemp();
    char lp[512];
    t_path(lp, sizeof(lp), dir, 0, ".log");
    for (int64_t cut = pos[7]; cut < pos[8]; cut++) {
        for (int clean = 0; clean < 2; clean++) {
            t_copy_dir(src, dir);
            cut_file(lp, cut);
            t_sink_t *sink = t_sink_start();
            open_check(dir, &cfg, clean, 7);
            t_sink_stop();
            if (cut > pos[7]) {
                /* What was cut, with the file and byte counts. */
                char want[128];
                snprintf(want, sizeof(want), "00000000000000000000.log: cut %lld bytes after byte %lld",
                         (long long)(cut - pos[7]), (long long)pos[7]);
                if (!strstr(sink->text, want))
                    fail_msg("cut %lld: no \"%s\" in:\n%s", (long long)cut, want, sink->text);
            }
        }
    }
    t_rmdir(dir);
    t_rmdir(src);
}

static void bad_crc_in_the_middle_truncates_from_there(void **state)
{
    (void)state;
    char *dir = t_mkdtemp();
    sl_log_config_t cfg = t_cfg();
    cfg.index_interval_bytes = 100;
    int64_t pos[11];
    make_log(dir, &cfg, 10, pos);
    char lp[512];
    t_path(lp, sizeof(lp), dir, 0, ".log");
    /* One bit flipped in the value of the record at offset 5. */
    size_t n;
    uint8_t *data = t_read_all(lp, &n);
    data[pos[6] - 3] ^= 0x10;
    t_write_file(lp, data, n, O_TRUNC);
    free(data);

    t_sink_t *sink = t_sink_start();
    sl_log_t *log;
    assert_int_equal(sl_log_open(dir, &cfg, false, &log), SL_OK);
    t_sink_stop();
    assert_non_null(strstr(sink->text, "CRC"));
    assert_int_equal(sl_log_end_offset(log), 5);
    assert_int_equal(sl_log_size(log), pos[5]);
    assert_int_equal(t_seg_size(dir, 0, ".log"), pos[5]);
    t_check_range(log, 0, 5, 1 << 20);
    assert_int_equal(sl_log_close(log), SL_OK);
    t_rmdir(dir);
}

static void zero_filled_tail_is_cut(void **state)
{
    (void)state;
    char *dir = t_mkdtemp();
    sl_log_config_t cfg = t_cfg();
    int64_t pos[6];
    make_log(dir, &cfg, 5, pos);
    char lp[512];
    t_path(lp, sizeof(lp), dir, 0, ".log");
    static uint8_t zeros[8192];
    t_write_file(lp, zeros, sizeof(zeros), O_APPEND);
    for (int clean = 0; clean < 2; clean++) {
        t_sink_t *sink = t_sink_start();
        sl_log_t *log;
        assert_int_equal(sl_log_open(dir, &cfg, clean, &log), SL_OK);
        t_sink_stop();
        assert_int_equal(sl_log_end_offset(log), 5);
        assert_int_equal(t_seg_size(dir, 0, ".log"), pos[5]);
        if (clean == 0)
            assert_non_null(strstr(sink->text, "zero bytes"));
        assert_int_equal(sl_log_close(log), SL_OK);
        t_write_file(lp, zeros, 30, O_APPEND); /* shorter than a header */
    }

    /* A segment that is nothing but zeros (preallocated, never written). */
    t_write_file(lp, zeros, sizeof(zeros), O_TRUNC);
    sl_log_t *log;
    assert_int_equal(sl_log_open(dir, &cfg, false, &log), SL_OK);
    assert_int_equal(sl_log_end_offset(log), 0);
    assert_int_equal(sl_log_size(log), 0);
    assert_int_equal(sl_log_close(log), SL_OK);
    t_rmdir(dir);
}

/* Damages index files in several ways; every one is rebuilt, byte for byte
 * the same as before, and every offset and timestamp still resolves. */
static void damaged_index_files_are_rebuilt(void **state)
{
    (void)state;
    char *dir = t_mkdtemp();
    sl_log_config_t cfg = t_cfg();
    cfg.segment_bytes = 2000;
    cfg.index_interval_bytes = 150;
    make_log(dir, &cfg, 80, NULL);
    sl_log_t *log;
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    size_t nseg = sl_log_segment_count(log);
    assert_true(nseg >= 4);
    assert_int_equal(sl_log_close(log), SL_OK);
    /* Segment bases, from the directory. */
    int64_t bases[64];
    size_t nb = 0;
    for (int64_t b = 0; b < 80 && nb < 64; b++)
        if (t_seg_size(dir, b, ".log") >= 0)
            bases[nb++] = b;
    assert_int_equal(nb, nseg);

    const char *exts[] = {".index", ".timeindex"};
    for (int damage = 0; damage < 7; damage++) {
        for (size_t e = 0; e < 2; e++) {
            for (size_t which = 0; which < nb; which += nb - 1) { /* first and active */
                char p[512];
                t_path(p, sizeof(p), dir, bases[which], exts[e]);
                size_t n;
                uint8_t *orig = t_read_all(p, &n);
                assert_true(n > 0);
                size_t entry = e == 0 ? 8 : 12;
                uint8_t *bad = calloc(1, n + 8192);
                memcpy(bad, orig, n);
                size_t bn = n;
                bool warns = true;
                switch (damage) {
                case 0: unlink(p); bn = 0; break;              /* missing */
                case 1: bn = n - 3; break;                      /* not whole entries */
                case 2: memset(bad, 0xff, n); break;            /* negative */
                case 3: /* out of order: last entry copied before the first */
                    memcpy(bad, orig + n - entry, entry);
                    break;
                case 4: /* position / offset past the log */
                    memset(bad + n - entry, 0x7f, entry);
                    break;
                case 5: bn = 0; break;                          /* empty */
                case 6: bn = n + 4104; warns = false; break;    /* preallocated zero tail */
                }
                if (damage != 0)
                    t_write_file(p, bad, bn, O_TRUNC);
                t_sink_t *sink = t_sink_start();
                assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
                t_sink_stop();
                if (warns && !strstr(sink->text, "recovering") && !(damage == 5 && e == 0))
                    fail_msg("damage %d to %s of segment %zu: no recovery logged:\n%s", damage, exts[e], which,
                             sink->text);
                if (!warns && sink->warnings)
                    fail_msg("damage %d: unexpected warnings:\n%s", damage, sink->text);
                assert_int_equal(sl_log_end_offset(log), 80);
                assert_int_equal(sl_log_segment_count(log), nseg);
                t_check_range(log, 0, 80, 1 << 20);
                for (int64_t o = 0; o < 80; o += 3)
                    t_check_range(log, o, o + 1, 1);
                int64_t off, ts;
                assert_int_equal(sl_log_offset_for_time(log, 1000 + 41, &off, &ts), SL_OK);
                assert_int_equal(off, 41);
                assert_int_equal(ts, 1041);
                assert_int_equal(sl_log_max_timestamp(log, &off, &ts), SL_OK);
                assert_int_equal(off, 79);
                assert_int_equal(ts, 1079);
                assert_int_equal(sl_log_close(log), SL_OK);
                /* Rebuilt exactly as it was written. */
                size_t n2;
                uint8_t *now = t_read_all(p, &n2);
                if (damage == 5 && n2 == 0 && n > 0)
                    fail_msg("empty %s of segment %zu not rebuilt", exts[e], which);
                assert_int_equal(n2, n);
                assert_memory_equal(now, orig, n);
                free(now);
                free(orig);
                free(bad);
            }
        }
    }
    t_rmdir(dir);
}

static void stray_and_misnamed_files(void **state)
{
    (void)state;
    char *dir = t_mkdtemp();
    sl_log_config_t cfg = t_cfg();
    make_log(dir, &cfg, 5, NULL);
    const char *stray[] = {"00000000000000000000.log.deleted", "00000000000000000007.log.cleaned",
                           "00000000000000000009.log.swap", "00000000000000000000.index.deleted",
                           "00000000000000000042.index", "00000000000000000042.timeindex",
                           "log-start-offset-checkpoint.tmp"};
    const char *kept[] = {"abc.log", "123.log", "0000000000000000000x.log", "99999999999999999999.log",
                          "partition.metadata", "leader-epoch-checkpoint"};
    char p[512];
    for (size_t i = 0; i < SL_ARRAY_LEN(stray); i++) {
        snprintf(p, sizeof(p), "%s/%s", dir, stray[i]);
        t_write_file(p, "junk", 4, O_TRUNC);
    }
    for (size_t i = 0; i < SL_ARRAY_LEN(kept); i++) {
        snprintf(p, sizeof(p), "%s/%s", dir, kept[i]);
        t_write_file(p, "junk", 4, O_TRUNC);
    }
    /* A directory with a segment's name. */
    snprintf(p, sizeof(p), "%s/00000000000000000100.log", dir);
    assert_int_equal(mkdir(p, 0755), 0);

    t_sink_t *sink = t_sink_start();
    sl_log_t *log;
    assert_int_equal(sl_log_open(dir, &cfg, false, &log), SL_OK);
    t_sink_stop();
    assert_int_equal(sl_log_end_offset(log), 5);
    assert_int_equal(sl_log_segment_count(log), 1);
    t_check_range(log, 0, 5, 1 << 20);
    assert_non_null(strstr(sink->text, "abc.log"));
    assert_int_equal(sl_log_close(log), SL_OK);
    struct stat st;
    for (size_t i = 0; i < SL_ARRAY_LEN(stray); i++) {
        snprintf(p, sizeof(p), "%s/%s", dir, stray[i]);
        if (stat(p, &st) == 0)
            fail_msg("%s was not removed", stray[i]);
    }
    for (size_t i = 0; i < SL_ARRAY_LEN(kept); i++) {
        snprintf(p, sizeof(p), "%s/%s", dir, kept[i]);
        assert_int_equal(stat(p, &st), 0);
    }
    snprintf(p, sizeof(p), "%s/00000000000000000100.log", dir);
    rmdir(p);
    t_rmdir(dir);
}

/* Segments whose names do not match their contents: offsets stay monotonic
 * for everything appended afterwards, and the mismatch is logged. */
static void misnamed_segments_keep_offsets_monotonic(void **state)
{
    (void)state;
    char *dir = t_mkdtemp();
    sl_log_config_t cfg = t_cfg();
    cfg.segment_bytes = 300;
    make_log(dir, &cfg, 20, NULL);
    sl_log_t *log;
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    size_t nseg = sl_log_segment_count(log);
    assert_int_equal(sl_log_close(log), SL_OK);
    /* The last segment renamed to a base far below its contents: its first
     * batch disagrees with its name and it overlaps the segments after it. */
    int64_t last = -1;
    for (int64_t b = 19; b >= 0 && last < 0; b--)
        if (t_seg_size(dir, b, ".log") > 0)
            last = b;
    assert_true(last > 2);
    char a[512], b[512];
    t_path(a, sizeof(a), dir, last, ".log");
    t_path(b, sizeof(b), dir, 1, ".log");
    assert_int_equal(rename(a, b), 0);
    t_sink_t *sink = t_sink_start();
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    t_sink_stop();
    assert_non_null(strstr(sink->text, "00000000000000000001.log: first batch has base offset"));
    assert_non_null(strstr(sink->text, "overlaps"));
    int64_t end = sl_log_end_offset(log);
    assert_int_equal(end, 20); /* the largest offset any segment holds, + 1 */
    int64_t o = t_append(log, 1, 0, 1, 0, 1);
    assert_int_equal(o, end);
    int64_t o2 = t_append(log, 1, 0, 1, 0, 1);
    assert_int_equal(o2, end + 1);
    assert_int_equal(sl_log_segment_count(log), nseg + 1);
    assert_int_equal(sl_log_close(log), SL_OK);
    t_rmdir(dir);
}

/* A segment named above its first batch cannot be indexed: it is moved
 * aside (kept for inspection), and the log goes on from the one before. */
static void segment_named_above_its_contents_is_set_aside(void **state)
{
    (void)state;
    char *dir = t_mkdtemp();
    sl_log_config_t cfg = t_cfg();
    cfg.segment_bytes = 300;
    make_log(dir, &cfg, 20, NULL);
    int64_t last = -1;
    for (int64_t b = 19; b >= 0 && last < 0; b--)
        if (t_seg_size(dir, b, ".log") > 0)
            last = b;
    assert_true(last > 2);
    char a[512], b[512];
    t_path(a, sizeof(a), dir, last, ".log");
    t_path(b, sizeof(b), dir, last + 5, ".log");
    assert_int_equal(rename(a, b), 0);
    for (int clean = 0; clean < 2; clean++) {
        t_sink_t *sink = t_sink_start();
        sl_log_t *log;
        assert_int_equal(sl_log_open(dir, &cfg, clean, &log), SL_OK);
        t_sink_stop();
        if (clean == 0)
            assert_non_null(strstr(sink->text, "below the file name"));
        assert_int_equal(sl_log_end_offset(log), last);
        t_check_range(log, 0, last, 1 << 20);
        assert_int_equal(sl_log_close(log), SL_OK);
    }
    t_path(b, sizeof(b), dir, last + 5, ".log.misnamed");
    assert_true(t_file_size(b) > 0);
    open_check(dir, &cfg, false, last);
    t_rmdir(dir);
}

/* Random bytes in every file: open and read never crash (ASan) or hang. */
static void garbage_files_never_crash(void **state)
{
    (void)state;
    char *src = t_mkdtemp();
    sl_log_config_t cfg = t_cfg();
    cfg.segment_bytes = 600;
    cfg.index_interval_bytes = 80;
    make_log(src, &cfg, 30, NULL);
    char *dir = t_mkdtemp();
    uint64_t seed = 7;
    for (int round = 0; round < 150; round++) {
        t_copy_dir(src, dir);
        /* Damage 1-3 files of the first segments, at random spots. */
        int nd = 1 + round % 3;
        for (int k = 0; k < nd; k++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            int64_t base = (int64_t)((seed >> 33) % 30);
            const char *ext = (const char *[]){".log", ".index", ".timeindex"}[(seed >> 20) % 3];
            char p[512];
            t_path(p, sizeof(p), dir, base, ext);
            if (t_file_size(p) < 0)
                continue;
            size_t n;
            uint8_t *data = t_read_all(p, &n);
            int mode = (int)((seed >> 40) % 4);
            if (mode == 0 && n > 0) { /* flip bytes */
                for (int j = 0; j < 8; j++)
                    data[(seed >> (j * 5)) % n] ^= (uint8_t)(seed >> (j * 3));
            } else if (mode == 1 && n > 0) { /* cut */
                n = (size_t)((seed >> 12) % n);
            } else if (mode == 2) { /* all random */
                for (size_t j = 0; j < n; j++)
                    data[j] = (uint8_t)((seed >> (j % 56)) ^ j);
            } else if (n > 16) { /* huge length field */
                memset(data + 8, 0x7f, 4);
            }
            t_write_file(p, data, n, O_TRUNC);
            free(data);
        }
        (void)t_sink_start(); /* quiet: every round logs what it repairs */
        sl_log_t *log;
        sl_err_t err = sl_log_open(dir, &cfg, round % 2 == 0, &log);
        if (err == SL_OK) {
            int64_t start = sl_log_start_offset(log), end = sl_log_end_offset(log);
            assert_true(start <= end);
            sl_buf_t data = SL_BUF_INIT;
            for (int64_t o = start; o < end; o++) {
                sl_log_slice_t s;
                assert_int_equal(sl_log_read(log, o, 1000, true, &s), SL_OK);
                sl_buf_reset(&data);
                if (s.len > 0)
                    assert_int_equal(sl_log_slice_read(&s, &data), SL_OK);
                sl_log_slice_release(&s);
                /* Whatever comes back is whole batches: a damaged record
                 * section is sent as stored (the CRC is the consumer's
                 * check, as with Kafka), but the framing is never cut. */
                sl_batch_iter_t it;
                sl_batch_t b;
                sl_batch_iter_init(&it, data.data, data.len);
                sl_err_t e;
                while ((e = sl_batch_iter_next(&it, &b)) == SL_OK)
                    ;
                if (e != SL_ERR_NOENT && e != SL_ERR_CORRUPT_MESSAGE)
                    fail_msg("round %d offset %lld: %s (%s)", round, (long long)o, sl_err_name(e), it.errmsg);
            }
            sl_buf_free(&data);
            int64_t off, ts;
            assert_int_equal(sl_log_offset_for_time(log, 1010, &off, &ts), SL_OK);
            assert_int_equal(sl_log_max_timestamp(log, &off, &ts), SL_OK);
            assert_int_equal(t_append(log, 1, 0, 1, 0, 1), end);
            int deleted;
            assert_int_equal(sl_log_retain(log, 0, &deleted), SL_OK);
            assert_int_equal(sl_log_close(log), SL_OK);
        }
        t_sink_stop();
    }
    t_rmdir(dir);
    t_rmdir(src);
}

/* Whatever sl_log_flush acknowledged is on disk: a copy of the files taken
 * right after the flush, with garbage or a partial batch appended (what the
 * page cache might have held at the crash), opens with every flushed record. */
static void flushed_data_survives_a_crash(void **state)
{
    (void)state;
    char *dir = t_mkdtemp();
    char *snap = t_mkdtemp();
    sl_log_config_t cfg = t_cfg();
    cfg.segment_bytes = 1000;
    cfg.index_interval_bytes = 100;
    sl_log_t *log;
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    int64_t next = 0;
    for (int round = 0; round < 6; round++) {
        for (int i = 0; i < 7; i++) {
            t_append(log, 2, next, 1000 + next, (size_t)(round * 10), 1);
            next += 2;
        }
        assert_int_equal(sl_log_flush(log, 2), SL_OK);
        t_rmdir(snap);
        snap = t_mkdtemp();
        t_copy_dir(dir, snap);

        /* What was in flight at the crash: a partial batch, or garbage. */
        int64_t active = 0;
        for (int64_t b = next; b >= 0; b--)
            if (t_seg_size(snap, b, ".log") >= 0) {
                active = b;
                break;
            }
        char lp[512];
        t_path(lp, sizeof(lp), snap, active, ".log");
        sl_buf_t extra = SL_BUF_INIT;
        t_batch(&extra, 3, next, 5, 50);
        if (round % 2 == 0) {
            t_write_file(lp, extra.data, extra.len / 2, O_APPEND);
        } else {
            memset(extra.data, 0x5a, extra.len);
            t_write_file(lp, extra.data, extra.len, O_APPEND);
        }
        sl_buf_free(&extra);

        sl_log_t *rec;
        assert_int_equal(sl_log_open(snap, &cfg, false, &rec), SL_OK);
        assert_int_equal(sl_log_end_offset(rec), next);
        t_check_range(rec, 0, next, 1 << 20);
        assert_int_equal(sl_log_close(rec), SL_OK);
    }
    assert_int_equal(sl_log_close(log), SL_OK);
    assert_true(next > 0);
    t_rmdir(snap);
    t_rmdir(dir);
}

/* A write that fails half way (here: the file size limit, EFBIG) leaves the
 * log as it was before the append; the next append works. */
static void failed_write_leaves_a_consistent_log(void **state)
{
    (void)state;
    char *dir = t_mkdtemp();
    sl_log_config_t cfg = t_cfg();
    sl_log_t *log;
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    for (int i = 0; i < 5; i++)
        t_append(log, 1, i, 1000, 10, 1);
    int64_t size = sl_log_size(log);

    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    void (*oldsig)(int) = signal(SIGXFSZ, SIG_IGN);
    lim = old;
    lim.rlim_cur = (rlim_t)size + 40; /* the next batch is larger than 40 bytes */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    sl_buf_t buf = SL_BUF_INIT;
    t_batch(&buf, 2, 5, 2000, 50);
    sl_log_append_info_t info;
    sl_err_t err = sl_log_append(log, buf.data, buf.len, 0, 1, &info);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, oldsig);
    assert_int_equal(err, SL_ERR_IO);
    assert_non_null(strstr(sl_log_errmsg(log), "00000000000000000000.log: write: "));
    assert_int_equal(t_seg_size(dir, 0, ".log"), size);
    assert_int_equal(sl_log_size(log), size);
    assert_int_equal(sl_log_end_offset(log), 5);
    t_check_range(log, 0, 5, 1 << 20);

    /* The same bytes again, now that there is room. */
    sl_buf_reset(&buf);
    t_batch(&buf, 2, 5, 2000, 50);
    assert_int_equal(sl_log_append(log, buf.data, buf.len, 0, 1, &info), SL_OK);
    assert_int_equal(info.base_offset, 5);
    sl_buf_free(&buf);
    t_check_range(log, 0, 7, 1 << 20);
    assert_int_equal(sl_log_flush(log, 3), SL_OK);
    assert_int_equal(sl_log_close(log), SL_OK);
    open_check(dir, &cfg, false, 7);
    t_rmdir(dir);
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* 1000 segments: reading all of them keeps only a few descriptors open. */
static void many_segments_keep_few_fds(void **state)
{
    (void)state;
    char *dir = t_mkdtemp();
    sl_log_config_t cfg = t_cfg();
    cfg.segment_bytes = 100; /* one batch per segment */
    int fds0 = count_fds();
    sl_log_t *log;
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    for (int i = 0; i < 1000; i++)
        t_append(log, 1, i, 1000 + i, 0, 1);
    assert_int_equal(sl_log_segment_count(log), 1000);
    assert_true(count_fds() - fds0 <= 8);
    t_check_range(log, 0, 1000, 1 << 20);
    for (int64_t o = 999; o >= 0; o -= 7)
        t_check_range(log, o, o + 1, 100);
    assert_true(count_fds() - fds0 <= 8);
    assert_int_equal(sl_log_close(log), SL_OK);
    assert_int_equal(count_fds(), fds0);

    assert_int_equal(sl_log_open(dir, &cfg, false, &log), SL_OK);
    assert_true(count_fds() - fds0 <= 8);
    int64_t off, ts;
    assert_int_equal(sl_log_offset_for_time(log, 1500, &off, &ts), SL_OK);
    assert_int_equal(off, 500);
    t_check_range(log, 0, 1000, 1 << 20);
    assert_true(count_fds() - fds0 <= 8);
    assert_int_equal(sl_log_close(log), SL_OK);
    t_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(torn_tail_is_cut_at_every_byte),
        cmocka_unit_test(bad_crc_in_the_middle_truncates_from_there),
        cmocka_unit_test(zero_filled_tail_is_cut),
        cmocka_unit_test(damaged_index_files_are_rebuilt),
        cmocka_unit_test(stray_and_misnamed_files),
        cmocka_unit_test(misnamed_segments_keep_offsets_monotonic),
        cmocka_unit_test(segment_named_above_its_contents_is_set_aside),
        cmocka_unit_test(garbage_files_never_crash),
        cmocka_unit_test(flushed_data_survives_a_crash),
        cmocka_unit_test(failed_write_leaves_a_consistent_log),
        cmocka_unit_test(many_segments_keep_few_fds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
