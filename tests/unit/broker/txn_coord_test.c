/* txn_coord_test.c - the transaction coordinator (broker/txn/txn_coord.c,
 * txn_log.c) on a broker in a temporary directory, driven through its
 * calls without sockets: __transaction_state created compacted and
 * uncompressed, InitProducerId / AddPartitionsToTxn / EndTxn persisted
 * record by record (read back with the loader's scan), a marker appended to
 * every partition of an ended transaction, the abort of an ongoing
 * transaction by a new producer, Describe and List, and after a reopen
 * the ids reloaded by the loader thread. */
#include "admin_fixture.h"

#include <stdlib.h>
#include <time.h>

#include "group/group_int.h"
#include "txn/txn.h"
#include "txn/txn_log.h"

static const char *const small[] = {"transaction.state.log.num.partitions=3", "transaction.max.timeout.ms=60000"};

static int64_t end_offset(fx_t *fx, const char *topic, int32_t p)
{
    sl_partition_t *part = NULL;
    assert_int_equal(sl_broker_partition_get(fx->broker, topic, strlen(topic), p, &part), SL_OK);
    sl_partition_lock(part);
    int64_t end = sl_log_end_offset(part->log);
    sl_partition_unlock(part);
    sl_partition_unref(part);
    return end;
}

/* sl_txn_coord_init_pid until the loader has reached the id (bounded). */
static int16_t init_pid(fx_t *fx, const char *id, int64_t *pid, int16_t *epoch)
{
    (void)fx;
    int16_t err = SL_ERR_COORDINATOR_LOAD_IN_PROGRESS;
    for (int i = 0; i < 500 && err == SL_ERR_COORDINATOR_LOAD_IN_PROGRESS; i++) {
        err = sl_txn_coord_init_pid(fx->broker, sl_kstr(id), 30000, -1, -1, pid, epoch);
        if (err == SL_ERR_COORDINATOR_LOAD_IN_PROGRESS) {
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    return err;
}

typedef struct last {
    char id[32];
    sl_txn_state_t state;
    int16_t epoch;
    int records;
} last_t;

/* Keeps the last record of the id named in l->id. */
static void collect(void *arg, const uint8_t *key, size_t klen, const uint8_t *value, int32_t vlen, int64_t offset)
{
    last_t *l = arg;
    (void)offset;
    sl_kstr_t id;
    assert_int_equal(sl_txn_key_read(key, klen, &id), SL_OK);
    if ((size_t)id.len != strlen(l->id) || memcmp(id.ptr, l->id, (size_t)id.len) != 0)
        return;
    assert_true(vlen >= 0);
    sl_txn_t t;
    assert_int_equal(sl_txn_value_read(value, (size_t)vlen, &t), SL_OK);
    l->state = t.state;
    l->epoch = t.producer_epoch;
    l->records++;
    sl_txn_free(&t);
}

static last_t last_record(fx_t *fx, const char *id)
{
    last_t l = {.records = 0};
    snprintf(l.id, sizeof l.id, "%s", id);
    atomic_bool stop = false;
    int32_t p = sl_coord_partition_for(id, strlen(id), 3);
    assert_int_equal(sl_txn_log_scan(fx->broker, p, &stop, collect, &l), SL_OK);
    return l;
}

static void txn_coord_end_to_end(void **state)
{
    (void)state;
    fx_t *fx = fx_open(small, 2);
    fx_topic(fx, "ta", 2, NULL, 0);
    assert_int_equal(sl_txn_coord_open(fx->broker), SL_OK);
    assert_true(sl_txn_coord_available());
    assert_int_equal(sl_txn_coord_partitions(), 3);
    assert_string_equal(fx_override(fx, SL_TOPIC_TRANSACTION_STATE, "cleanup.policy"), "compact");
    assert_string_equal(fx_override(fx, SL_TOPIC_TRANSACTION_STATE, "compression.type"), "uncompressed");

    int64_t pid;
    int16_t epoch;
    assert_int_equal(init_pid(fx, "tx", &pid, &epoch), 0);
    assert_int_equal(epoch, 0);
    last_t l = last_record(fx, "tx");
    assert_int_equal(l.records, 1);
    assert_int_equal(l.state, SL_TXN_EMPTY);

    /* a transaction over both partitions, committed: one marker each */
    sl_txn_tp_t tps[] = {{(char *)"ta", 0}, {(char *)"ta", 1}};
    assert_int_equal(sl_txn_coord_add(fx->broker, sl_kstr("tx"), pid, epoch, tps, 2), 0);
    assert_int_equal(last_record(fx, "tx").state, SL_TXN_ONGOING);
    assert_int_equal(sl_txn_coord_add(fx->broker, sl_kstr("tx"), pid, epoch, tps, 1), 0); /* nothing new */
    assert_int_equal(last_record(fx, "tx").records, 2);
    sl_txn_t d;
    assert_int_equal(sl_txn_coord_describe(fx->broker, sl_kstr("tx"), &d), 0);
    assert_int_equal(d.state, SL_TXN_ONGOING);
    assert_int_equal(d.nparts, 2);
    sl_txn_free(&d);
    int64_t e0 = end_offset(fx, "ta", 0), e1 = end_offset(fx, "ta", 1);
    assert_int_equal(sl_txn_coord_end(fx->broker, sl_kstr("tx"), pid, epoch, true), 0);
    assert_int_equal(end_offset(fx, "ta", 0), e0 + 1);
    assert_int_equal(end_offset(fx, "ta", 1), e1 + 1);
    l = last_record(fx, "tx");
    assert_int_equal(l.state, SL_TXN_COMPLETE_COMMIT);
    assert_int_equal(l.records, 4); /* Empty, Ongoing, PrepareCommit, CompleteCommit */

    /* errors */
    assert_int_equal(sl_txn_coord_end(fx->broker, sl_kstr("tx"), pid, epoch, false), SL_ERR_INVALID_TXN_STATE);
    assert_int_equal(sl_txn_coord_end(fx->broker, sl_kstr("nobody"), pid, epoch, true),
                     SL_ERR_INVALID_PRODUCER_ID_MAPPING);
    assert_int_equal(sl_txn_coord_describe(fx->broker, sl_kstr("nobody"), &d), SL_ERR_TRANSACTIONAL_ID_NOT_FOUND);
    sl_txn_free(&d);

    /* a new producer while a transaction is ongoing: aborted, retry */
    assert_int_equal(sl_txn_coord_add(fx->broker, sl_kstr("tx"), pid, epoch, tps + 1, 1), 0);
    int64_t pid2;
    int16_t epoch2;
    assert_int_equal(init_pid(fx, "tx", &pid2, &epoch2), SL_ERR_CONCURRENT_TRANSACTIONS);
    assert_int_equal(end_offset(fx, "ta", 1), e1 + 2);
    assert_int_equal(last_record(fx, "tx").state, SL_TXN_COMPLETE_ABORT);
    assert_int_equal(init_pid(fx, "tx", &pid2, &epoch2), 0);
    assert_int_equal(pid2, pid);
    assert_int_equal(epoch2, 2);
    assert_int_equal(sl_txn_coord_add(fx->broker, sl_kstr("tx"), pid, epoch, tps, 1), SL_ERR_PRODUCER_FENCED);

    /* listed */
    sl_txn_listed_t *ls;
    int16_t err;
    int32_t n = sl_txn_coord_list(fx->broker, &ls, &err);
    assert_int_equal(err, 0);
    assert_int_equal(n, 1);
    assert_string_equal(ls[0].id, "tx");
    assert_int_equal(ls[0].producer_id, pid);
    assert_int_equal(ls[0].state, SL_TXN_EMPTY);
    free(ls[0].id);
    free(ls);

    /* an ongoing transaction survives a reopen, reloaded by the loader */
    assert_int_equal(sl_txn_coord_add(fx->broker, sl_kstr("tx"), pid, epoch2, tps, 2), 0);
    sl_txn_coord_close(fx->broker);
    assert_false(sl_txn_coord_available());
    fx_reopen(fx);
    assert_int_equal(sl_txn_coord_open(fx->broker), SL_OK);
    err = SL_ERR_COORDINATOR_LOAD_IN_PROGRESS;
    for (int i = 0; i < 500 && err == SL_ERR_COORDINATOR_LOAD_IN_PROGRESS; i++) {
        err = sl_txn_coord_describe(fx->broker, sl_kstr("tx"), &d);
        if (err == SL_ERR_COORDINATOR_LOAD_IN_PROGRESS) {
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    assert_int_equal(err, 0);
    assert_int_equal(d.state, SL_TXN_ONGOING);
    assert_int_equal(d.producer_id, pid);
    assert_int_equal(d.producer_epoch, 2);
    assert_int_equal(d.nparts, 2);
    sl_txn_free(&d);
    e0 = end_offset(fx, "ta", 0);
    assert_int_equal(sl_txn_coord_end(fx->broker, sl_kstr("tx"), pid, epoch2, false), 0);
    assert_int_equal(end_offset(fx, "ta", 0), e0 + 1);
    sl_txn_coord_close(fx->broker);
    fx_close(fx);
}

static void txn_coord_closed_and_bad_ids(void **state)
{
    (void)state;
    fx_t *fx = fx_open(small, 2);
    int64_t pid;
    int16_t epoch;
    /* not open: not available */
    assert_false(sl_txn_coord_available());
    assert_int_equal(sl_txn_coord_init_pid(fx->broker, sl_kstr("x"), 1000, -1, -1, &pid, &epoch),
                     SL_ERR_COORDINATOR_NOT_AVAILABLE);
    assert_int_equal(sl_txn_coord_open(fx->broker), SL_OK);
    /* an id longer than a record key can hold */
    size_t len = 40000;
    char *big = malloc(len);
    assert_non_null(big);
    memset(big, 'x', len);
    assert_int_equal(sl_txn_coord_init_pid(fx->broker, sl_kstr_n(big, (int32_t)len), 1000, -1, -1, &pid, &epoch),
                     SL_ERR_INVALID_REQUEST);
    free(big);
    sl_txn_coord_close(fx->broker);
    fx_close(fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(txn_coord_end_to_end),
        cmocka_unit_test(txn_coord_closed_and_bad_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
