/* producer_snapshot_test.c - the producer state's snapshot files
 * (producer_int.h, "Snapshots"): a state written and read back is the same
 * state; only the two newest files stay; damaged files (a flipped byte,
 * every truncation, a wrong magic, version, count, batch count or offset,
 * trailing bytes, a name that disagrees with the content) are refused,
 * removed, and the next older snapshot is used; files above a given
 * offset and unfinished .tmp files are pruned. Version 2 carries each
 * producer's open transaction; version 1 files are still read (no open
 * transaction). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "producer_int.h"

static char why[200];

/* Three producers: one with 5 batches, one with 2 at a higher epoch, one
 * with none left (a new epoch's state before its first batch cannot occur,
 * but an entry of 0 batches must still round-trip). */
static void fill(sl_producer_state_t *st)
{
    sl_producer_state_init(st);
    for (int i = 0; i < 7; i++)
        assert_int_equal(sl_producer_state_update_at(st, 11, 0, i * 10, 9, 100 + i * 10, 109 + i * 10, 5000 + i),
                         SL_OK);
    assert_int_equal(sl_producer_state_update_at(st, 12, 3, 0, 0, 200, 200, 6000), SL_OK);
    assert_int_equal(sl_producer_state_update_at(st, 12, 3, 1, 4, 201, 205, 6001), SL_OK);
    assert_int_equal(sl_producer_state_update_at(st, 13, 1, 7, 0, 210, 210, -1), SL_OK);
}

static void assert_same(const sl_producer_state_t *a, const sl_producer_state_t *b)
{
    assert_int_equal(sl_map_count(&a->producers), sl_map_count(&b->producers));
    size_t it = 0;
    const void *key;
    size_t klen;
    void *val;
    while (sl_map_next(&a->producers, &it, &key, &klen, &val)) {
        const sl_producer_entry_t *x = val;
        const sl_producer_entry_t *y = sl_producer_state_find(b, x->producer_id);
        assert_non_null(y);
        assert_int_equal(x->epoch, y->epoch);
        assert_int_equal(x->last_ts, y->last_ts);
        assert_int_equal(x->nbatches, y->nbatches);
        assert_int_equal(x->txn_first_offset, y->txn_first_offset);
        assert_int_equal(x->coordinator_epoch, y->coordinator_epoch);
        assert_memory_equal(x->batches, y->batches, (size_t)x->nbatches * sizeof x->batches[0]);
    }
}

static void encode_decode_round_trip(void **state)
{
    SL_UNUSED(state);
    sl_producer_state_t st, back;
    fill(&st);
    sl_buf_t buf;
    sl_buf_init(&buf);
    assert_int_equal(sl_producer_snapshot_encode(&st, 211, &buf), SL_OK);
    sl_producer_state_init(&back);
    int64_t off = -1;
    assert_int_equal(sl_producer_snapshot_decode(&back, buf.data, buf.len, &off, why, sizeof why), SL_OK);
    assert_int_equal(off, 211);
    assert_same(&st, &back);
    assert_int_equal(sl_producer_state_find(&back, 11)->nbatches, 5);
    assert_int_equal(sl_producer_state_find(&back, 11)->batches[0].first_offset, 120);
    sl_producer_state_fini(&back);

    /* An empty state too. */
    sl_producer_state_t empty;
    sl_producer_state_init(&empty);
    sl_buf_reset(&buf);
    assert_int_equal(sl_producer_snapshot_encode(&empty, 0, &buf), SL_OK);
    sl_producer_state_init(&back);
    assert_int_equal(sl_producer_snapshot_decode(&back, buf.data, buf.len, &off, why, sizeof why), SL_OK);
    assert_int_equal(off, 0);
    assert_int_equal(sl_map_count(&back.producers), 0);
    sl_producer_state_fini(&back);
    sl_producer_state_fini(&empty);
    sl_producer_state_fini(&st);
    sl_buf_free(&buf);
}

static void open_transactions_round_trip_and_version_1_reads(void **state)
{
    SL_UNUSED(state);
    sl_producer_state_t st, back;
    fill(&st);
    sl_producer_state_txn_begin(&st, 12, 200);
    assert_int_equal(sl_producer_state_txn_end(&st, 13, 1, 9, 211, 7000, NULL), SL_OK);
    assert_int_equal(st.open_txns, 1);
    sl_buf_t buf;
    sl_buf_init(&buf);
    assert_int_equal(sl_producer_snapshot_encode(&st, 212, &buf), SL_OK);
    sl_producer_state_init(&back);
    int64_t off = -1;
    assert_int_equal(sl_producer_snapshot_decode(&back, buf.data, buf.len, &off, why, sizeof why), SL_OK);
    assert_same(&st, &back);
    assert_int_equal(back.open_txns, 1);
    assert_int_equal(sl_producer_state_first_open(&back), 200);
    assert_int_equal(sl_producer_state_find(&back, 13)->coordinator_epoch, 9);
    sl_producer_state_fini(&back);

    /* An open transaction at or above the snapshot offset is refused. */
    sl_buf_reset(&buf);
    assert_int_equal(sl_producer_snapshot_encode(&st, 200, &buf), SL_OK);
    sl_producer_state_init(&back);
    assert_int_equal(sl_producer_snapshot_decode(&back, buf.data, buf.len, &off, why, sizeof why),
                     SL_ERR_CORRUPT_MESSAGE);
    sl_producer_state_fini(&back);

    /* Version 1, as written before transactions: one producer, one batch. */
    sl_buf_reset(&buf);
    sl_buf_put(&buf, "SLPS", 4);
    sl_buf_put_i16(&buf, 1);
    sl_buf_put_u32(&buf, 0);
    sl_buf_put_i64(&buf, 50);
    sl_buf_put_i32(&buf, 1);
    sl_buf_put_i64(&buf, 77);   /* id */
    sl_buf_put_i16(&buf, 2);    /* epoch */
    sl_buf_put_i64(&buf, 1234); /* last timestamp */
    sl_buf_put_i8(&buf, 1);
    sl_buf_put_i32(&buf, 0);
    sl_buf_put_i32(&buf, 4);
    sl_buf_put_i64(&buf, 40);
    sl_buf_put_i64(&buf, 44);
    sl_buf_set_u32(&buf, 6, sl_crc32c(0, buf.data + 10, buf.len - 10));
    sl_producer_state_init(&back);
    assert_int_equal(sl_producer_snapshot_decode(&back, buf.data, buf.len, &off, why, sizeof why), SL_OK);
    assert_int_equal(off, 50);
    const sl_producer_entry_t *e = sl_producer_state_find(&back, 77);
    assert_non_null(e);
    assert_int_equal(e->epoch, 2);
    assert_int_equal(e->nbatches, 1);
    assert_int_equal(e->batches[0].last_offset, 44);
    assert_int_equal(e->txn_first_offset, -1);
    assert_int_equal(e->coordinator_epoch, -1);
    assert_int_equal(back.open_txns, 0);
    sl_producer_state_fini(&back);
    sl_producer_state_fini(&st);
    sl_buf_free(&buf);
}

static sl_err_t decode(const sl_buf_t *buf)
{
    sl_producer_state_t st;
    sl_producer_state_init(&st);
    int64_t off;
    sl_err_t err = sl_producer_snapshot_decode(&st, buf->data, buf->len, &off, why, sizeof why);
    if (err != SL_OK)
        assert_int_equal(sl_map_count(&st.producers), 0); /* nothing half-read is left */
    sl_producer_state_fini(&st);
    return err;
}

/* Recomputes the CRC after an edit, so the check behind it is reached. */
static void fix_crc(sl_buf_t *buf)
{
    sl_buf_set_u32(buf, 6, sl_crc32c(0, buf->data + 10, buf->len - 10));
}

static void damaged_bytes_are_refused(void **state)
{
    SL_UNUSED(state);
    sl_producer_state_t st;
    fill(&st);
    sl_buf_t good, buf;
    sl_buf_init(&good);
    sl_buf_init(&buf);
    assert_int_equal(sl_producer_snapshot_encode(&st, 211, &good), SL_OK);

    /* Every truncation, and every single flipped bit of the first bytes
     * and of each tenth one. */
    for (size_t len = 0; len < good.len; len++) {
        sl_buf_reset(&buf);
        sl_buf_put(&buf, good.data, len);
        assert_int_equal(decode(&buf), SL_ERR_CORRUPT_MESSAGE);
    }
    for (size_t i = 0; i < good.len; i += i < 32 ? 1 : 10) {
        for (int bit = 0; bit < 8; bit++) {
            sl_buf_reset(&buf);
            sl_buf_put(&buf, good.data, good.len);
            buf.data[i] ^= (uint8_t)(1u << bit);
            assert_int_equal(decode(&buf), SL_ERR_CORRUPT_MESSAGE);
        }
    }

    /* Valid CRC, bad content. */
    struct {
        size_t pos;
        uint8_t value;
        const char *says;
    } edits[] = {
        {4, 0x7f, "version"},          /* version 0x7f01 */
        {18, 0x7f, "bad header"},      /* producer count huge */
        {18, 0xff, "bad header"},      /* negative count */
        {10, 0xff, "bad header"},      /* negative offset */
    };
    for (size_t k = 0; k < SL_ARRAY_LEN(edits); k++) {
        sl_buf_reset(&buf);
        sl_buf_put(&buf, good.data, good.len);
        buf.data[edits[k].pos] = edits[k].value;
        fix_crc(&buf);
        assert_int_equal(decode(&buf), SL_ERR_CORRUPT_MESSAGE);
        assert_non_null(strstr(why, edits[k].says));
    }
    /* Trailing bytes. */
    sl_buf_reset(&buf);
    sl_buf_put(&buf, good.data, good.len);
    sl_buf_put_i32(&buf, 0);
    fix_crc(&buf);
    assert_int_equal(decode(&buf), SL_ERR_CORRUPT_MESSAGE);
    assert_non_null(strstr(why, "after the last producer"));
    /* A snapshot offset at or below a batch it lists. */
    sl_buf_reset(&buf);
    assert_int_equal(sl_producer_snapshot_encode(&st, 205, &buf), SL_OK);
    assert_int_equal(decode(&buf), SL_ERR_CORRUPT_MESSAGE);
    assert_non_null(strstr(why, "not below the snapshot offset"));

    /* A producer with 6 batches and one listed twice. */
    sl_producer_state_t one;
    sl_producer_state_init(&one);
    assert_int_equal(sl_producer_state_update_at(&one, 5, 0, 0, 0, 0, 0, 1), SL_OK);
    sl_buf_reset(&buf);
    assert_int_equal(sl_producer_snapshot_encode(&one, 1, &buf), SL_OK);
    /* header 22 bytes, then id 8, epoch 2, timestamp 8, open transaction
     * 8, coordinator epoch 4: the batch count */
    assert_int_equal(buf.data[22 + 30], 1);
    buf.data[22 + 30] = 6;
    fix_crc(&buf);
    assert_int_equal(decode(&buf), SL_ERR_CORRUPT_MESSAGE);
    sl_buf_reset(&buf);
    assert_int_equal(sl_producer_snapshot_encode(&one, 1, &buf), SL_OK);
    uint8_t entry[64];
    size_t elen = buf.len - 22;
    assert_true(elen <= sizeof entry);
    memcpy(entry, buf.data + 22, elen);
    buf.data[21] = 2; /* count 2 */
    sl_buf_put(&buf, entry, elen);
    fix_crc(&buf);
    assert_int_equal(decode(&buf), SL_ERR_CORRUPT_MESSAGE);
    assert_non_null(strstr(why, "listed twice"));
    sl_producer_state_fini(&one);

    sl_producer_state_fini(&st);
    sl_buf_free(&good);
    sl_buf_free(&buf);
}

static bool snap_exists(const char *dir, int64_t off)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%020lld.snapshot", dir, (long long)off);
    return access(path, F_OK) == 0;
}

static void put_file(const char *dir, const char *name, const void *p, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

static void rm_dir(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void files_keep_two_and_fall_back_past_damage(void **state)
{
    SL_UNUSED(state);
    char dir[] = "/tmp/sl-producer-snap-XXXXXX";
    assert_non_null(mkdtemp(dir));
    sl_producer_state_t st;
    fill(&st);
    assert_int_equal(sl_producer_snapshot_write(dir, &st, 300), SL_OK);
    assert_int_equal(sl_producer_snapshot_write(dir, &st, 400), SL_OK);
    assert_int_equal(sl_producer_snapshot_write(dir, &st, 500), SL_OK);
    assert_false(snap_exists(dir, 300));
    assert_true(snap_exists(dir, 400));
    assert_true(snap_exists(dir, 500));

    sl_producer_state_t back;
    sl_producer_state_init(&back);
    int64_t off = -1;
    assert_int_equal(sl_producer_snapshot_read_newest(dir, &back, 0, 1000, &off), SL_OK);
    assert_int_equal(off, 500);
    assert_same(&st, &back);
    sl_producer_state_fini(&back);
    /* Bounds: above the log end, below the log start. */
    sl_producer_state_init(&back);
    assert_int_equal(sl_producer_snapshot_read_newest(dir, &back, 0, 499, &off), SL_OK);
    assert_int_equal(off, 400);
    sl_producer_state_fini(&back);
    sl_producer_state_init(&back);
    assert_int_equal(sl_producer_snapshot_read_newest(dir, &back, 501, 1000, &off), SL_OK);
    assert_int_equal(off, -1);
    assert_int_equal(sl_map_count(&back.producers), 0);
    sl_producer_state_fini(&back);

    /* The newest truncated: refused, removed, the older one serves. */
    char path[512];
    snprintf(path, sizeof path, "%s/%020d.snapshot", dir, 500);
    assert_int_equal(truncate(path, 30), 0);
    sl_producer_state_init(&back);
    assert_int_equal(sl_producer_snapshot_read_newest(dir, &back, 0, 1000, &off), SL_OK);
    assert_int_equal(off, 400);
    assert_same(&st, &back);
    assert_false(snap_exists(dir, 500));
    sl_producer_state_fini(&back);

    /* A file whose name disagrees with its content, and garbage. */
    sl_buf_t buf;
    sl_buf_init(&buf);
    assert_int_equal(sl_producer_snapshot_encode(&st, 450, &buf), SL_OK);
    put_file(dir, "00000000000000000460.snapshot", buf.data, buf.len);
    put_file(dir, "00000000000000000470.snapshot", "garbage", 7);
    put_file(dir, "00000000000000000480.snapshot", "", 0);
    sl_producer_state_init(&back);
    assert_int_equal(sl_producer_snapshot_read_newest(dir, &back, 0, 1000, &off), SL_OK);
    assert_int_equal(off, 400);
    assert_false(snap_exists(dir, 460));
    assert_false(snap_exists(dir, 470));
    assert_false(snap_exists(dir, 480));
    sl_producer_state_fini(&back);

    /* Every one damaged: none. */
    snprintf(path, sizeof path, "%s/%020d.snapshot", dir, 400);
    FILE *f = fopen(path, "r+");
    assert_non_null(f);
    fseek(f, 25, SEEK_SET);
    fputc(0x55, f);
    fclose(f);
    sl_producer_state_init(&back);
    assert_int_equal(sl_producer_snapshot_read_newest(dir, &back, 0, 1000, &off), SL_OK);
    assert_int_equal(off, -1);
    assert_int_equal(sl_map_count(&back.producers), 0);
    sl_producer_state_fini(&back);

    sl_buf_free(&buf);
    sl_producer_state_fini(&st);
    rm_dir(dir);
}

static void prune_removes_above_the_end_and_tmp_files(void **state)
{
    SL_UNUSED(state);
    char dir[] = "/tmp/sl-producer-prune-XXXXXX";
    assert_non_null(mkdtemp(dir));
    sl_producer_state_t st;
    fill(&st);
    assert_int_equal(sl_producer_snapshot_write(dir, &st, 300), SL_OK);
    assert_int_equal(sl_producer_snapshot_write(dir, &st, 400), SL_OK);
    put_file(dir, "00000000000000000500.snapshot.tmp", "x", 1);
    put_file(dir, "other-file", "x", 1);
    assert_int_equal(sl_producer_snapshot_prune(dir, 399), SL_OK);
    assert_true(snap_exists(dir, 300));
    assert_false(snap_exists(dir, 400));
    char path[512];
    snprintf(path, sizeof path, "%s/00000000000000000500.snapshot.tmp", dir);
    assert_int_equal(access(path, F_OK), -1);
    snprintf(path, sizeof path, "%s/other-file", dir);
    assert_int_equal(access(path, F_OK), 0);
    /* A new partition: all of them. */
    assert_int_equal(sl_producer_snapshot_prune(dir, -1), SL_OK);
    assert_false(snap_exists(dir, 300));
    /* A directory that cannot be listed. */
    assert_int_equal(sl_producer_snapshot_prune("/nonexistent/sl-producer", 0), SL_ERR_IO);
    sl_producer_state_fini(&st);
    rm_dir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(encode_decode_round_trip),
        cmocka_unit_test(damaged_bytes_are_refused),
        cmocka_unit_test(open_transactions_round_trip_and_version_1_reads),
        cmocka_unit_test(files_keep_two_and_fall_back_past_damage),
        cmocka_unit_test(prune_removes_above_the_end_and_tmp_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
