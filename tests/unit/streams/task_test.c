/*
 * task_test.c - tasks as the app drives them (streams_int.h), with a
 * collector that records what sinks send: task ids, the default
 * partitioner (murmur2 of the serialized key, null keys spread),
 * internal topics prefixed with the application id, raw records with
 * null keys and values, skipped records counted, commit requests, bad
 * records refused; a collector with topic handles gets each sink's topic
 * resolved once and its records by handle.
 */
#include <stdio.h>
#include <string.h>

#include "core_util.h"
#include "streams_int.h"

typedef struct sent {
    char topic[64];
    int32_t partition;
    char key[32];
    int32_t klen;
    int32_t vlen;
    int64_t ts;
} sent_t;

static sent_t g_sent[64];
static int g_n_sent;

static sl_err_t rec_send(void *arg, const char *topic, int32_t partition, const void *key, int32_t klen,
                         const void *value, int32_t vlen, int64_t timestamp, const sl_header_t *headers,
                         size_t n_headers)
{
    (void)arg;
    (void)value;
    (void)headers;
    (void)n_headers;
    if (g_n_sent >= 64)
        return SL_ERR_TOO_LARGE;
    sent_t *s = &g_sent[g_n_sent++];
    snprintf(s->topic, sizeof(s->topic), "%s", topic);
    s->partition = partition;
    s->klen = klen;
    if (klen > 0)
        memcpy(s->key, key, (size_t)SL_MIN(klen, 31));
    s->key[klen > 0 ? SL_MIN(klen, 31) : 0] = '\0';
    s->vlen = vlen;
    s->ts = timestamp;
    return SL_OK;
}

static int32_t four_partitions(void *arg, const char *topic)
{
    (void)arg;
    (void)topic;
    return 4;
}

static void commit_process(sl_ctx_t *ctx, void *state, const sl_val_t *key, const sl_val_t *value)
{
    (void)state;
    if (value->type == SL_V_STRING && value->u.bytes.len == 6 && memcmp(value->u.bytes.ptr, "commit", 6) == 0)
        sl_ctx_commit(ctx);
    sl_ctx_forward(ctx, key, value);
}

static const sl_processor_def_t commit_def = {NULL, commit_process, NULL};

static void tasks_topology(sl_builder_t *b)
{
    sl_stream_t *in = sl_builder_stream(b, "in", "in", SL_STRING, SL_STRING);
    sl_stream_t *p = sl_stream_process(in, "p", &commit_def, NULL, NULL, 0);
    sl_stream_t *typed = sl_stream_with_serdes(p, SL_STRING, SL_STRING);
    sl_stream_to(typed, NULL, "out", NULL, NULL, NULL, NULL);
    sl_stream_repartition(typed, "again", 0);
}

static sl_in_record_t raw(const char *topic, const char *key, const char *value, int64_t offset)
{
    sl_in_record_t r = {topic, 3, offset, 1000 + offset, key, key != NULL ? (int32_t)strlen(key) : -1,
                        value, value != NULL ? (int32_t)strlen(value) : -1, NULL, 0};
    return r;
}

static void test_task(void **state)
{
    (void)state;
    g_n_sent = 0;
    sl_topology_t *t = cu_build(tasks_topology);
    const sl_subtopo_t *sub = sl_topology_sub_for_topic(t, "in", false);
    assert_non_null(sub);
    sl_task_env_t env = {0};
    env.application_id = "app";
    env.collector.send = rec_send;
    env.collector.partitions = four_partitions;
    sl_task_t *task = NULL;
    char err[256];
    assert_int_equal(sl_task_new(t, sub, 3, &env, &task, err, sizeof(err)), SL_OK);
    char want_id[16];
    snprintf(want_id, sizeof(want_id), "%d_3", sub->id);
    assert_string_equal(sl_task_id(task), want_id);
    assert_int_equal(sl_task_partition(task), 3);
    assert_int_equal(sl_task_state(task), SL_TASK_RUNNING);
    assert_int_equal(sl_task_store_count(task), 0);

    sl_in_record_t r = raw("in", "alpha", "x", 0);
    assert_int_equal(sl_task_process(task, &r), SL_OK);
    assert_false(sl_task_commit_requested(task));
    /* the sink and the repartition sink, keyed by murmur2 of "alpha" */
    assert_int_equal(g_n_sent, 2);
    assert_string_equal(g_sent[0].topic, "out");
    assert_string_equal(g_sent[1].topic, "app-again-repartition");
    assert_int_equal(g_sent[0].partition, sl_murmur2_partition("alpha", 5, 4));
    assert_int_equal(g_sent[1].partition, g_sent[0].partition);
    assert_string_equal(g_sent[0].key, "alpha");
    assert_int_equal(g_sent[0].ts, 1000);

    /* null keys spread over the partitions; null values stay null */
    g_n_sent = 0;
    for (int i = 0; i < 4; i++) {
        r = raw("in", NULL, NULL, 1 + i);
        assert_int_equal(sl_task_process(task, &r), SL_OK);
    }
    assert_int_equal(g_n_sent, 8);
    bool seen[4] = {false};
    for (int i = 0; i < 8; i += 2) {
        assert_int_equal(g_sent[i].klen, -1);
        assert_int_equal(g_sent[i].vlen, -1);
        seen[g_sent[i].partition] = true;
    }
    assert_true(seen[0] && seen[1] && seen[2] && seen[3]);

    /* commit requests are reported once */
    r = raw("in", "k", "commit", 5);
    assert_int_equal(sl_task_process(task, &r), SL_OK);
    assert_true(sl_task_commit_requested(task));
    assert_false(sl_task_commit_requested(task));

    /* unknown topics and bad records */
    r = raw("other", "k", "v", 6);
    assert_int_equal(sl_task_process(task, &r), SL_ERR_NOENT);
    assert_int_equal(sl_task_process(task, NULL), SL_ERR_INVAL);
    assert_int_equal(sl_task_skipped(task), 0);
    assert_int_equal(sl_task_flush(task), SL_OK);
    sl_task_set_state(task, SL_TASK_SUSPENDED);
    assert_int_equal(sl_task_state(task), SL_TASK_SUSPENDED);
    sl_task_free(task, true);

    /* the repartition topic's reader is its own sub-topology, reading the
     * prefixed name */
    const sl_subtopo_t *again = sl_topology_sub_for_topic(t, "again-repartition", true);
    assert_non_null(again);
    assert_ptr_not_equal(again, sub);
    assert_int_equal(sl_task_new(t, again, 0, &env, &task, err, sizeof(err)), SL_OK);
    r = raw("app-again-repartition", "k", "v", 0);
    assert_int_equal(sl_task_process(task, &r), SL_OK);
    r = raw("again-repartition", "k", "v", 1);
    assert_int_equal(sl_task_process(task, &r), SL_ERR_NOENT);
    sl_task_free(task, true);
    assert_int_equal(sl_task_new(NULL, again, 0, &env, &task, err, sizeof(err)), SL_ERR_INVAL);
    sl_topology_free(t);
}

/* A collector handing out topic handles: what it was asked, how often. */
typedef struct refs {
    char names[4][64];
    int n_names;
    int resolves, sends_by_name, sends_by_ref, partition_calls;
    int by_topic[4];
} refs_t;

static void *refs_resolve(void *arg, const char *topic)
{
    refs_t *r = arg;
    r->resolves++;
    for (int i = 0; i < r->n_names; i++)
        if (strcmp(r->names[i], topic) == 0)
            return &r->by_topic[i];
    if (r->n_names == 4)
        return NULL;
    snprintf(r->names[r->n_names], sizeof(r->names[0]), "%s", topic);
    return &r->by_topic[r->n_names++];
}

static sl_err_t refs_send_ref(void *arg, void *ref, int32_t partition, const void *key, int32_t klen,
                              const void *value, int32_t vlen, int64_t timestamp, const sl_header_t *headers,
                              size_t n_headers)
{
    refs_t *r = arg;
    (void)partition;
    (void)key;
    (void)klen;
    (void)value;
    (void)vlen;
    (void)timestamp;
    (void)headers;
    (void)n_headers;
    r->sends_by_ref++;
    (*(int *)ref)++;
    return SL_OK;
}

static sl_err_t refs_send(void *arg, const char *topic, int32_t partition, const void *key, int32_t klen,
                          const void *value, int32_t vlen, int64_t timestamp, const sl_header_t *headers,
                          size_t n_headers)
{
    ((refs_t *)arg)->sends_by_name++;
    return rec_send(NULL, topic, partition, key, klen, value, vlen, timestamp, headers, n_headers);
}

static int32_t refs_partitions(void *arg, const char *topic)
{
    ((refs_t *)arg)->partition_calls++;
    return four_partitions(NULL, topic);
}

static void test_collector_refs(void **state)
{
    (void)state;
    refs_t refs = {0};
    sl_topology_t *t = cu_build(tasks_topology);
    const sl_subtopo_t *sub = sl_topology_sub_for_topic(t, "in", false);
    assert_non_null(sub);
    sl_task_env_t env = {0};
    env.application_id = "app";
    env.collector.send = refs_send;
    env.collector.resolve = refs_resolve;
    env.collector.send_ref = refs_send_ref;
    env.collector.partitions = refs_partitions;
    env.collector.arg = &refs;
    sl_task_t *task = NULL;
    char err[256];
    assert_int_equal(sl_task_new(t, sub, 0, &env, &task, err, sizeof(err)), SL_OK);
    /* both sinks' topics resolved when the task was made */
    assert_int_equal(refs.resolves, 2);
    assert_int_equal(refs.n_names, 2);
    assert_string_equal(refs.names[0], "out");
    assert_string_equal(refs.names[1], "app-again-repartition");
    for (int i = 0; i < 5; i++) {
        sl_in_record_t r = raw("in", i % 2 ? "k" : NULL, "v", i);
        assert_int_equal(sl_task_process(task, &r), SL_OK);
    }
    /* every record by handle, none by name; no more lookups, and each
     * sink asked for its partition count once */
    assert_int_equal(refs.resolves, 2);
    assert_int_equal(refs.sends_by_name, 0);
    assert_int_equal(refs.sends_by_ref, 10);
    assert_int_equal(refs.by_topic[0], 5);
    assert_int_equal(refs.by_topic[1], 5);
    assert_int_equal(refs.partition_calls, 2);
    sl_task_free(task, true);

    /* a collector that cannot make a handle: sent by name */
    memset(&refs, 0, sizeof(refs));
    refs.n_names = 4; /* full: resolve answers NULL */
    g_n_sent = 0;
    assert_int_equal(sl_task_new(t, sub, 0, &env, &task, err, sizeof(err)), SL_OK);
    sl_in_record_t r = raw("in", "k", "v", 0);
    assert_int_equal(sl_task_process(task, &r), SL_OK);
    assert_int_equal(refs.sends_by_ref, 0);
    assert_int_equal(refs.sends_by_name, 2);
    assert_string_equal(g_sent[0].topic, "out");
    assert_string_equal(g_sent[1].topic, "app-again-repartition");
    sl_task_free(task, true);
    sl_topology_free(t);
}

static SL_TOPOLOGY(ints_topology)
{
    SL_STREAM(in, "in", SL_I32, SL_STRING);
    SL_TO(in, "out", SL_I32, SL_STRING);
}

static void test_skipped(void **state)
{
    (void)state;
    g_n_sent = 0;
    sl_topology_t *t = cu_build(ints_topology);
    sl_task_env_t env = {0};
    env.application_id = "app";
    env.collector.send = rec_send;
    sl_task_t *task = NULL;
    char err[256];
    assert_int_equal(sl_task_new(t, &t->subs[0], 0, &env, &task, err, sizeof(err)), SL_OK);
    sl_in_record_t r = raw("in", "abc", "v", 0); /* a 3-byte int32 key */
    assert_int_equal(sl_task_process(task, &r), SL_OK);
    assert_int_equal(sl_task_skipped(task), 1);
    assert_int_equal(g_n_sent, 0);
    r = raw("in", "abcd", "v", 1);
    assert_int_equal(sl_task_process(task, &r), SL_OK);
    assert_int_equal(sl_task_skipped(task), 1);
    assert_int_equal(g_n_sent, 1);
    /* no partition count known: the producer chooses (-1) */
    assert_int_equal(g_sent[0].partition, -1);
    sl_task_free(task, false);
    sl_topology_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_task),
        cmocka_unit_test(test_skipped),
        cmocka_unit_test(test_collector_refs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
