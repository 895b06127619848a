/* broker_registry_test.c - the broker on a temporary directory, without
 * sockets: meta.properties and the clean-shutdown marker, topics created,
 * found by name and id, persisted, grown, reconfigured and deleted, and a
 * reference that outlives a deletion. */
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

#include "broker_int.h"

typedef struct rt {
    char dir[256];
    char dirs_kv[300];
    char extra[300];
    sl_broker_config_t cfg;
    sl_broker_t *broker;
} rt_t;

/* dir + rest names a file or directory that exists. */
static bool exists(const char *dir, const char *rest)
{
    char path[1024];
    snprintf(path, sizeof path, "%s%s", dir, rest);
    struct stat st;
    return stat(path, &st) == 0;
}

static sl_err_t rt_open(rt_t *t, char *errbuf, size_t errlen)
{
    const char *ov[3] = {t->dirs_kv, "node.id=3", t->extra[0] ? t->extra : "num.partitions=1"};
    char why[512];
    assert_int_equal(sl_broker_config_load(NULL, ov, 3, &t->cfg, why, sizeof why), SL_OK);
    sl_err_t err = sl_broker_open(&t->cfg, &t->broker, errbuf, errlen);
    if (err != SL_OK)
        sl_broker_config_free(&t->cfg);
    return err;
}

static void rt_close(rt_t *t)
{
    assert_int_equal(sl_broker_close(t->broker), SL_OK);
    t->broker = NULL;
    sl_broker_config_free(&t->cfg);
}

static int setup(void **state)
{
    rt_t *t = calloc(1, sizeof *t);
    if (!t)
        return -1;
    snprintf(t->dir, sizeof t->dir, "/tmp/sl-broker-registry-XXXXXX");
    if (!mkdtemp(t->dir))
        return -1;
    snprintf(t->dirs_kv, sizeof t->dirs_kv, "log.dirs=%s/data", t->dir);
    char err[512] = "";
    if (rt_open(t, err, sizeof err) != SL_OK) {
        fprintf(stderr, "open: %s\n", err);
        return -1;
    }
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    rt_t *t = *state;
    if (t->broker)
        rt_close(t);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", t->dir);
    free(t);
    return 0;
}

static void broker_writes_identity_and_clean_marker(void **state)
{
    rt_t *t = *state;
    assert_true(exists(t->dir, "/data/meta.properties"));
    assert_int_equal(strlen(t->broker->cluster_id), 22);
    char cluster[32];
    snprintf(cluster, sizeof cluster, "%s", t->broker->cluster_id);
    /* Running: no marker, so a crash now would be noticed. */
    assert_false(exists(t->dir, "/data/.sluice/clean_shutdown"));
    rt_close(t);
    assert_true(exists(t->dir, "/data/.sluice/clean_shutdown"));
    char err[512] = "";
    assert_int_equal(rt_open(t, err, sizeof err), SL_OK);
    assert_string_equal(t->broker->cluster_id, cluster);
    assert_false(exists(t->dir, "/data/.sluice/clean_shutdown"));
    /* A second broker on the same dir is refused while this one runs. */
    sl_broker_config_t cfg2;
    const char *ov[2] = {t->dirs_kv, "node.id=3"};
    assert_int_equal(sl_broker_config_load(NULL, ov, 2, &cfg2, err, sizeof err), SL_OK);
    sl_broker_t *other = NULL;
    assert_int_equal(sl_broker_open(&cfg2, &other, err, sizeof err), SL_ERR_IO);
    assert_null(other);
    assert_non_null(strstr(err, "another broker"));
    sl_broker_config_free(&cfg2);
}

static void broker_refuses_another_node_id_on_the_same_dir(void **state)
{
    rt_t *t = *state;
    rt_close(t);
    sl_broker_config_t cfg2;
    const char *ov[2] = {t->dirs_kv, "node.id=4"};
    char err[512] = "";
    assert_int_equal(sl_broker_config_load(NULL, ov, 2, &cfg2, err, sizeof err), SL_OK);
    sl_broker_t *other = NULL;
    assert_int_equal(sl_broker_open(&cfg2, &other, err, sizeof err), SL_ERR_CONFIG);
    assert_non_null(strstr(err, "node.id"));
    sl_broker_config_free(&cfg2);
    assert_int_equal(rt_open(t, err, sizeof err), SL_OK);
}

static void registry_creates_finds_and_persists_topics(void **state)
{
    rt_t *t = *state;
    sl_broker_t *b = t->broker;
    char err[256];
    sl_props_t *ov = sl_props_new();
    assert_int_equal(sl_props_set(ov, "retention.ms", "1234", 0), SL_OK);
    sl_topic_t *topic = NULL;
    assert_int_equal(sl_broker_topic_create(b, "orders", 6, 3, ov, false, &topic, err, sizeof err), SL_OK);
    assert_non_null(topic);
    sl_uuid_t id = topic->id;
    assert_int_equal(sl_topic_partition_count(b, topic), 3);
    sl_topic_config_t tcfg;
    sl_topic_config_get(b, topic, &tcfg);
    assert_int_equal(tcfg.retention_ms, 1234);
    sl_topic_unref(topic);
    assert_true(exists(t->dir, "/data/orders-2"));

    /* Found by name and by id; unknown ones are not. */
    topic = sl_broker_topic_get(b, "orders", 6);
    assert_non_null(topic);
    assert_ptr_equal(sl_broker_topic_get_by_id(b, &id), topic);
    sl_topic_unref(topic);
    sl_topic_unref(topic);
    assert_null(sl_broker_topic_get(b, "order", 5));
    sl_partition_t *part = NULL;
    assert_int_equal(sl_broker_partition_get(b, "orders", 6, 3, &part), SL_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    assert_int_equal(sl_broker_partition_get(b, "orders", 6, 2, &part), SL_OK);
    assert_int_equal(part->index, 2);
    sl_partition_unref(part);

    /* Refusals. */
    assert_int_equal(sl_broker_topic_create(b, "orders", 6, 1, NULL, false, NULL, err, sizeof err),
                     SL_ERR_TOPIC_ALREADY_EXISTS);
    assert_int_equal(sl_broker_topic_create(b, "a/b", 3, 1, NULL, false, NULL, err, sizeof err),
                     SL_ERR_INVALID_TOPIC_EXCEPTION);
    assert_int_equal(sl_broker_topic_create(b, "x", 1, 0, NULL, false, NULL, err, sizeof err),
                     SL_ERR_INVALID_PARTITIONS);
    assert_int_equal(sl_broker_topic_create(b, "my.topic", 8, 1, NULL, false, NULL, err, sizeof err), SL_OK);
    assert_int_equal(sl_broker_topic_create(b, "my_topic", 8, 1, NULL, false, NULL, err, sizeof err),
                     SL_ERR_INVALID_TOPIC_EXCEPTION);
    assert_int_equal(sl_props_set(ov, "no.such.config", "1", 0), SL_OK);
    assert_int_equal(sl_broker_topic_create(b, "y", 1, 1, ov, false, NULL, err, sizeof err), SL_ERR_INVALID_CONFIG);
    sl_props_free(ov);
    /* validate_only creates nothing. */
    assert_int_equal(sl_broker_topic_create(b, "dry", 3, 2, NULL, true, &topic, err, sizeof err), SL_OK);
    assert_null(topic);
    assert_null(sl_broker_topic_get(b, "dry", 3));

    /* A restart finds the same topics, ids and configs. */
    rt_close(t);
    assert_int_equal(rt_open(t, err, sizeof err), SL_OK);
    b = t->broker;
    topic = sl_broker_topic_get_by_id(b, &id);
    assert_non_null(topic);
    assert_string_equal(topic->name, "orders");
    assert_int_equal(sl_topic_partition_count(b, topic), 3);
    sl_topic_config_get(b, topic, &tcfg);
    assert_int_equal(tcfg.retention_ms, 1234);
    sl_topic_unref(topic);
    sl_topic_t **list;
    size_t n;
    assert_int_equal(sl_broker_topics_list(b, &list, &n), SL_OK);
    assert_int_equal(n, 2);
    assert_string_equal(list[0]->name, "my.topic"); /* sorted by name */
    assert_string_equal(list[1]->name, "orders");
    sl_broker_topics_release(list, n);
}

static void registry_grows_and_reconfigures_topics(void **state)
{
    rt_t *t = *state;
    sl_broker_t *b = t->broker;
    char err[256];
    assert_int_equal(sl_broker_topic_create(b, "g", 1, 2, NULL, false, NULL, err, sizeof err), SL_OK);
    assert_int_equal(sl_broker_topic_add_partitions(b, "g", 1, 2, false, err, sizeof err), SL_ERR_INVALID_PARTITIONS);
    assert_int_equal(sl_broker_topic_add_partitions(b, "g", 1, 1, false, err, sizeof err), SL_ERR_INVALID_PARTITIONS);
    assert_non_null(strstr(err, "higher than the requested"));
    assert_int_equal(sl_broker_topic_add_partitions(b, "g", 1, 5, true, err, sizeof err), SL_OK);
    sl_topic_t *topic = sl_broker_topic_get(b, "g", 1);
    assert_int_equal(sl_topic_partition_count(b, topic), 2);
    assert_int_equal(sl_broker_topic_add_partitions(b, "g", 1, 5, false, err, sizeof err), SL_OK);
    assert_int_equal(sl_topic_partition_count(b, topic), 5);
    assert_non_null(sl_topic_partition(b, topic, 4));
    assert_int_equal(sl_broker_topic_add_partitions(b, "nope", 4, 5, false, err, sizeof err),
                     SL_ERR_UNKNOWN_TOPIC_OR_PARTITION);

    sl_props_t *ov = sl_props_new();
    assert_int_equal(sl_props_set(ov, "max.message.bytes", "5000", 0), SL_OK);
    assert_int_equal(sl_broker_topic_set_config(b, "g", 1, ov, err, sizeof err), SL_OK);
    sl_props_free(ov);
    sl_partition_t *part = sl_topic_partition(b, topic, 3);
    sl_partition_lock(part);
    assert_int_equal(part->cfg.max_message_bytes, 5000);
    sl_partition_unlock(part);
    sl_props_t *copy = sl_topic_overrides_dup(b, topic);
    assert_string_equal(sl_props_get(copy, "max.message.bytes"), "5000");
    sl_props_free(copy);
    sl_topic_unref(topic);

    rt_close(t);
    assert_int_equal(rt_open(t, err, sizeof err), SL_OK);
    b = t->broker;
    topic = sl_broker_topic_get(b, "g", 1);
    assert_int_equal(sl_topic_partition_count(b, topic), 5);
    sl_topic_config_t tcfg;
    sl_topic_config_get(b, topic, &tcfg);
    assert_int_equal(tcfg.max_message_bytes, 5000);
    sl_topic_unref(topic);
}

static void registry_delete_leaves_holders_safe_and_the_name_reusable(void **state)
{
    rt_t *t = *state;
    sl_broker_t *b = t->broker;
    char err[256];
    assert_int_equal(sl_broker_topic_create(b, "d", 1, 2, NULL, false, NULL, err, sizeof err), SL_OK);
    sl_partition_t *part;
    assert_int_equal(sl_broker_partition_get(b, "d", 1, 1, &part), SL_OK);
    /* Some data, so a re-creation would show it if it were kept. */
    sl_buf_t rec = SL_BUF_INIT;
    sl_batch_opts_t opts;
    sl_batch_opts_init(&opts);
    sl_batch_builder_t bb;
    assert_int_equal(sl_batch_builder_begin(&bb, &rec, &opts), SL_OK);
    assert_int_equal(sl_batch_builder_add(&bb, 1, "k", 1, "v", 1, NULL, 0), SL_OK);
    assert_int_equal(sl_batch_builder_finish(&bb), SL_OK);
    sl_log_append_info_t info;
    sl_partition_lock(part);
    assert_int_equal(sl_log_append(part->log, rec.data, rec.len, 0, 1, &info), SL_OK);
    sl_partition_unlock(part);
    sl_buf_free(&rec);

    assert_int_equal(sl_broker_topic_delete(b, "d", 1), SL_OK);
    assert_null(sl_broker_topic_get(b, "d", 1));
    assert_false(exists(t->dir, "/data/d-1"));
    /* The holder's partition is still there, without a log. */
    sl_partition_lock(part);
    assert_null(part->log);
    assert_false(part->offline);
    sl_partition_unlock(part);
    sl_partition_unref(part);
    assert_int_equal(sl_broker_topic_delete(b, "d", 1), SL_ERR_UNKNOWN_TOPIC_OR_PARTITION);

    sl_topic_t *topic = NULL;
    assert_int_equal(sl_broker_topic_create(b, "d", 1, 2, NULL, false, &topic, err, sizeof err), SL_OK);
    part = sl_topic_partition(b, topic, 1);
    sl_partition_lock(part);
    assert_int_equal(sl_log_end_offset(part->log), 0);
    sl_partition_unlock(part);
    sl_uuid_t id = topic->id;
    sl_topic_unref(topic);
    assert_int_equal(sl_broker_topic_delete_by_id(b, &id), SL_OK);
    assert_int_equal(sl_broker_topic_delete_by_id(b, &id), SL_ERR_UNKNOWN_TOPIC_ID);
    rt_close(t);
    assert_int_equal(rt_open(t, err, sizeof err), SL_OK);
    assert_null(sl_broker_topic_get(t->broker, "d", 1));
}

static void registry_delete_can_be_disabled(void **state)
{
    rt_t *t = *state;
    rt_close(t);
    snprintf(t->extra, sizeof t->extra, "delete.topic.enable=false");
    char err[256];
    assert_int_equal(rt_open(t, err, sizeof err), SL_OK);
    assert_int_equal(sl_broker_topic_create(t->broker, "keep", 4, 1, NULL, false, NULL, err, sizeof err), SL_OK);
    assert_int_equal(sl_broker_topic_delete(t->broker, "keep", 4), SL_ERR_TOPIC_DELETION_DISABLED);
    sl_topic_t *topic = sl_broker_topic_get(t->broker, "keep", 4);
    assert_non_null(topic);
    sl_topic_unref(topic);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(broker_writes_identity_and_clean_marker, setup, teardown),
        cmocka_unit_test_setup_teardown(broker_refuses_another_node_id_on_the_same_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(registry_creates_finds_and_persists_topics, setup, teardown),
        cmocka_unit_test_setup_teardown(registry_grows_and_reconfigures_topics, setup, teardown),
        cmocka_unit_test_setup_teardown(registry_delete_leaves_holders_safe_and_the_name_reusable, setup, teardown),
        cmocka_unit_test_setup_teardown(registry_delete_can_be_disabled, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
