/*
 * admin_topics.c - the admin calls answered from Metadata (cluster, topic
 * list, topic descriptions) and those that change topics through the
 * controller (CreateTopics, DeleteTopics, CreatePartitions). The controller
 * is asked for by a Metadata request first, as Kafka's AdminClient does;
 * NOT_CONTROLLER and other retriable answers start over after the backoff.
 */
#include <stdlib.h>
#include <string.h>

#include "admin_int.h"

/* AllowAutoTopicCreation exists from v4; older brokers decide by their own
 * auto.create.topics.enable, so the field goes back to its default there. */
static void metadata_prepare(void *body, int16_t version, void *arg)
{
    SL_UNUSED(arg);
    if (version < 4)
        ((sl_MetadataRequest_t *)body)->AllowAutoTopicCreation = true;
}

sl_err_t sl_adm_metadata(sl_adm_job_t *job, bool all, const char *const *names, size_t n,
                         sl_adm_resp_fn *fn, void *arg)
{
    sl_MetadataRequest_t *req = sl_adm_scratch(job, 1, sizeof *req);
    if (!req)
        return SL_ERR_NOMEM;
    sl_MetadataRequest_init(req);
    req->AllowAutoTopicCreation = false;
    if (all) {
        req->Topics.count = -1;
        req->Topics.items = NULL;
    } else {
        req->Topics.items = sl_adm_scratch(job, n, sizeof *req->Topics.items);
        if (!req->Topics.items)
            return SL_ERR_NOMEM;
        for (size_t i = 0; i < n; i++) {
            sl_MetadataRequest_MetadataRequestTopic_init(&req->Topics.items[i]);
            req->Topics.items[i].Name = sl_kstr(names[i]);
        }
        req->Topics.count = (int32_t)n;
    }
    return sl_adm_send_v(job, sl_MetadataRequest_desc.api_key, 1, req, SL_CL_NODE_ANY, metadata_prepare, fn, arg);
}

/* ---- describe_cluster ------------------------------------------------------ */

static void cluster_resp(sl_adm_job_t *job, sl_err_t err, int16_t version, const void *resp, void *arg)
{
    SL_UNUSED(version);
    SL_UNUSED(arg);
    if (sl_adm_resp_failed(job, err, "Metadata"))
        return;
    const sl_MetadataResponse_t *m = resp;
    sl_cluster_desc_t *out = job->op;
    out->cluster_id = sl_adm_str(job, m->ClusterId, true);
    out->controller_id = m->ControllerId;
    size_t n = m->Brokers.count > 0 ? (size_t)m->Brokers.count : 0;
    out->brokers = sl_adm_result(job, n, sizeof *out->brokers);
    if (!out->brokers)
        return;
    for (size_t i = 0; i < n; i++) {
        const sl_MetadataResponse_MetadataResponseBroker_t *b = &m->Brokers.items[i];
        out->brokers[i].id = b->NodeId;
        out->brokers[i].host = sl_adm_str(job, b->Host, true);
        out->brokers[i].port = b->Port;
        out->brokers[i].rack = sl_adm_str(job, b->Rack, false);
    }
    out->broker_count = n;
}

static void cluster_start(sl_adm_job_t *job)
{
    sl_adm_metadata(job, false, NULL, 0, cluster_resp, NULL);
}

sl_err_t sl_admin_describe_cluster(sl_admin_t *a, sl_arena_t *arena, sl_cluster_desc_t *out, int timeout_ms)
{
    if (!arena || !out)
        return SL_ERR_INVAL;
    memset(out, 0, sizeof *out);
    return sl_adm_run(a, timeout_ms, cluster_start, out, arena);
}

/* ---- list_topics / describe_topics ---------------------------------------- */

typedef struct topics_op {
    bool all, with_internal;
    const char *const *names;
    size_t n;
    sl_topic_desc_t *descs;   /* describe */
    const char **list;        /* list */
    size_t count;
} topics_op_t;

static sl_err_t copy_i32s(sl_adm_job_t *job, sl_int32_array_t in, int32_t **out, size_t *n)
{
    size_t k = in.count > 0 ? (size_t)in.count : 0;
    *out = sl_adm_result(job, k, sizeof **out);
    if (!*out)
        return SL_ERR_NOMEM;
    if (k)
        memcpy(*out, in.items, k * sizeof **out);
    *n = k;
    return SL_OK;
}

static void describe_topic(sl_adm_job_t *job, const sl_MetadataResponse_MetadataResponseTopic_t *t,
                           sl_topic_desc_t *d)
{
    d->name = sl_adm_str(job, t->Name, true);
    d->internal = t->IsInternal;
    d->err = (sl_err_t)t->ErrorCode;
    size_t n = t->Partitions.count > 0 ? (size_t)t->Partitions.count : 0;
    d->partitions = sl_adm_result(job, n, sizeof *d->partitions);
    if (!d->partitions)
        return;
    for (size_t i = 0; i < n; i++) {
        const sl_MetadataResponse_MetadataResponsePartition_t *p = &t->Partitions.items[i];
        sl_partition_desc_t *o = &d->partitions[i];
        o->id = p->PartitionIndex;
        o->leader = p->LeaderId;
        o->leader_epoch = p->LeaderEpoch;
        o->err = (sl_err_t)p->ErrorCode;
        if (copy_i32s(job, p->ReplicaNodes, &o->replicas, &o->replica_count) ||
            copy_i32s(job, p->IsrNodes, &o->isr, &o->isr_count))
            return;
    }
    /* By partition id, whatever order the broker used. */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && d->partitions[j - 1].id > d->partitions[j].id; j--) {
            sl_partition_desc_t tmp = d->partitions[j];
            d->partitions[j] = d->partitions[j - 1];
            d->partitions[j - 1] = tmp;
        }
    d->partition_count = n;
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static void topics_resp(sl_adm_job_t *job, sl_err_t err, int16_t version, const void *resp, void *arg)
{
    SL_UNUSED(version);
    SL_UNUSED(arg);
    if (sl_adm_resp_failed(job, err, "Metadata"))
        return;
    const sl_MetadataResponse_t *m = resp;
    topics_op_t *op = job->op;
    size_t n = m->Topics.count > 0 ? (size_t)m->Topics.count : 0;
    if (op->list) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            const sl_MetadataResponse_MetadataResponseTopic_t *t = &m->Topics.items[i];
            if (t->ErrorCode || (t->IsInternal && !op->with_internal))
                continue;
            op->list[k++] = sl_adm_str(job, t->Name, true);
        }
        qsort(op->list, k, sizeof *op->list, cmp_str);
        op->count = k;
        return;
    }
    if (op->all) {
        op->descs = sl_adm_result(job, n, sizeof *op->descs);
        if (!op->descs)
            return;
        for (size_t i = 0; i < n; i++)
            describe_topic(job, &m->Topics.items[i], &op->descs[i]);
        op->count = n;
        return;
    }
    /* In the order asked; a name the broker left out is unknown. */
    for (size_t i = 0; i < op->n; i++) {
        sl_topic_desc_t *d = &op->descs[i];
        d->name = op->names[i];
        d->err = SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        for (size_t j = 0; j < n; j++)
            if (sl_kstr_eq(m->Topics.items[j].Name, op->names[i])) {
                describe_topic(job, &m->Topics.items[j], d);
                break;
            }
    }
    op->count = op->n;
}

static void topics_start(sl_adm_job_t *job)
{
    topics_op_t *op = job->op;
    sl_adm_metadata(job, op->all, op->names, op->n, topics_resp, NULL);
}

/* list_topics: the room for the names is allocated once their count is
 * known, then topics_resp fills it. */
static void list_resp(sl_adm_job_t *job, sl_err_t err, int16_t version, const void *resp, void *arg)
{
    topics_op_t *op = job->op;
    if (!err) {
        const sl_MetadataResponse_t *m = resp;
        size_t n = m->Topics.count > 0 ? (size_t)m->Topics.count : 0;
        op->list = sl_adm_result(job, n, sizeof *op->list);
        if (!op->list)
            return;
    }
    topics_resp(job, err, version, resp, arg);
}

static void list_start(sl_adm_job_t *job)
{
    sl_adm_metadata(job, true, NULL, 0, list_resp, NULL);
}

sl_err_t sl_admin_list_topics(sl_admin_t *a, bool with_internal, sl_arena_t *arena, const char ***names,
                              size_t *n, int timeout_ms)
{
    if (!arena || !names || !n)
        return SL_ERR_INVAL;
    topics_op_t op = {.all = true, .with_internal = with_internal};
    *names = NULL;
    *n = 0;
    sl_err_t err = sl_adm_run(a, timeout_ms, list_start, &op, arena);
    if (err)
        return err;
    *names = op.list;
    *n = op.count;
    return SL_OK;
}

sl_err_t sl_admin_describe_topics(sl_admin_t *a, const char *const *names, size_t n, sl_arena_t *arena,
                                  sl_topic_desc_t **out, size_t *nout, int timeout_ms)
{
    if (!arena || !out || !nout || (n && !names))
        return SL_ERR_INVAL;
    *out = NULL;
    *nout = 0;
    topics_op_t op = {.all = n == 0, .names = names, .n = n};
    if (n) {
        op.descs = sl_arena_calloc(arena, n, sizeof *op.descs);
        if (!op.descs)
            return SL_ERR_NOMEM;
    }
    sl_err_t err = sl_adm_run(a, timeout_ms, topics_start, &op, arena);
    if (err)
        return err;
    *out = op.descs;
    *nout = op.count;
    return SL_OK;
}

/* ---- through the controller ------------------------------------------------ */

typedef void controller_fn(sl_adm_job_t *job, int32_t controller);

static void controller_resp(sl_adm_job_t *job, sl_err_t err, int16_t version, const void *resp, void *arg)
{
    SL_UNUSED(version);
    if (sl_adm_resp_failed(job, err, "Metadata (to find the controller)"))
        return;
    /* No controller, or one that is not among the brokers (some brokers
     * and mocks say 0 or -1): any broker, which forwards or answers
     * NOT_CONTROLLER. */
    const sl_MetadataResponse_t *m = resp;
    int32_t controller = SL_CL_NODE_ANY;
    for (int32_t i = 0; i < m->Brokers.count; i++)
        if (m->Brokers.items[i].NodeId == m->ControllerId)
            controller = m->ControllerId;
    ((controller_fn *)arg)(job, controller);
}

/* Asks for the controller, then calls then(job, controller). */
static void with_controller(sl_adm_job_t *job, controller_fn *then)
{
    sl_adm_metadata(job, false, NULL, 0, controller_resp, (void *)then);
}

/* A broker-side result that asks for another try (the controller moved,
 * the topic is still being set up) or ends with err. Returns true when the
 * item stays pending. */
static bool item_result(sl_adm_job_t *job, sl_err_t err, const char *what)
{
    if (err == SL_ERR_NOT_CONTROLLER || err == SL_ERR_REQUEST_TIMED_OUT || err == SL_ERR_LEADER_NOT_AVAILABLE ||
        err == SL_ERR_NETWORK_EXCEPTION) {
        sl_adm_fail(job, err, what);
        return true;
    }
    return false;
}

/* create_topics */

typedef struct create_op {
    sl_new_topic_t *topics;
    size_t n;
    bool validate_only;
    bool *done;
} create_op_t;

static void create_resp(sl_adm_job_t *job, sl_err_t err, int16_t version, const void *resp, void *arg)
{
    SL_UNUSED(version);
    SL_UNUSED(arg);
    if (sl_adm_resp_failed(job, err, "CreateTopics"))
        return;
    const sl_CreateTopicsResponse_t *r = resp;
    create_op_t *op = job->op;
    for (int32_t k = 0; k < r->Topics.count; k++) {
        const sl_CreateTopicsResponse_CreatableTopicResult_t *t = &r->Topics.items[k];
        for (size_t i = 0; i < op->n; i++) {
            if (op->done[i] || !sl_kstr_eq(t->Name, op->topics[i].name))
                continue;
            if (item_result(job, (sl_err_t)t->ErrorCode, "CreateTopics"))
                break;
            op->topics[i].err = (sl_err_t)t->ErrorCode;
            op->topics[i].message = sl_adm_str(job, t->ErrorMessage, false);
            op->done[i] = true;
            break;
        }
    }
}

static void create_send(sl_adm_job_t *job, int32_t controller)
{
    create_op_t *op = job->op;
    sl_CreateTopicsRequest_t *req = sl_adm_scratch(job, 1, sizeof *req);
    if (!req)
        return;
    sl_CreateTopicsRequest_init(req);
    req->Topics.items = sl_adm_scratch(job, op->n, sizeof *req->Topics.items);
    if (!req->Topics.items)
        return;
    int32_t k = 0;
    for (size_t i = 0; i < op->n; i++) {
        if (op->done[i])
            continue;
        const sl_new_topic_t *nt = &op->topics[i];
        sl_CreateTopicsRequest_CreatableTopic_t *t = &req->Topics.items[k++];
        sl_CreateTopicsRequest_CreatableTopic_init(t);
        t->Name = sl_kstr(nt->name);
        t->NumPartitions = nt->partitions;
        t->ReplicationFactor = nt->replication_factor;
        t->Configs.items = sl_adm_scratch(job, nt->config_count, sizeof *t->Configs.items);
        if (!t->Configs.items)
            return;
        for (size_t c = 0; c < nt->config_count; c++) {
            sl_CreateTopicsRequest_CreateableTopicConfig_init(&t->Configs.items[c]);
            t->Configs.items[c].Name = sl_kstr(nt->configs[c].name);
            t->Configs.items[c].Value = sl_kstr(nt->configs[c].value);
        }
        t->Configs.count = (int32_t)nt->config_count;
    }
    req->Topics.count = k;
    req->timeoutMs = sl_adm_time_left_ms(job);
    req->validateOnly = op->validate_only;
    if (k)
        sl_adm_send(job, sl_CreateTopicsRequest_desc.api_key, 0, req, controller, create_resp, NULL);
}

static void create_start(sl_adm_job_t *job)
{
    with_controller(job, create_send);
}

sl_err_t sl_admin_create_topics(sl_admin_t *a, sl_new_topic_t *topics, size_t n, bool validate_only,
                                sl_arena_t *arena, int timeout_ms)
{
    if (!arena || (n && !topics))
        return SL_ERR_INVAL;
    for (size_t i = 0; i < n; i++) {
        if (!topics[i].name || (topics[i].config_count && !topics[i].configs))
            return SL_ERR_INVAL;
        topics[i].err = SL_ERR_REQUEST_TIMED_OUT;
        topics[i].message = NULL;
    }
    if (!n)
        return SL_OK;
    bool *done = sl_arena_calloc(arena, n, sizeof *done);
    if (!done)
        return SL_ERR_NOMEM;
    create_op_t op = {topics, n, validate_only, done};
    return sl_adm_run(a, timeout_ms, create_start, &op, arena);
}

/* delete_topics */

typedef struct delete_op {
    const char *const *names;
    size_t n;
    sl_err_t *errs;
    bool *done;
} delete_op_t;

/* v6 names topics in Topics[], earlier versions in TopicNames. */
static void delete_prepare(void *body, int16_t version, void *arg)
{
    SL_UNUSED(arg);
    sl_DeleteTopicsRequest_t *req = body;
    if (version >= 6) {
        req->TopicNames.count = 0;
    } else {
        req->Topics.count = 0;
    }
}

static void delete_resp(sl_adm_job_t *job, sl_err_t err, int16_t version, const void *resp, void *arg)
{
    SL_UNUSED(version);
    SL_UNUSED(arg);
    if (sl_adm_resp_failed(job, err, "DeleteTopics"))
        return;
    const sl_DeleteTopicsResponse_t *r = resp;
    delete_op_t *op = job->op;
    for (int32_t k = 0; k < r->Responses.count; k++) {
        const sl_DeleteTopicsResponse_DeletableTopicResult_t *t = &r->Responses.items[k];
        for (size_t i = 0; i < op->n; i++) {
            if (op->done[i] || !sl_kstr_eq(t->Name, op->names[i]))
                continue;
            if (!item_result(job, (sl_err_t)t->ErrorCode, "DeleteTopics")) {
                op->errs[i] = (sl_err_t)t->ErrorCode;
                op->done[i] = true;
            }
            break;
        }
    }
}

static void delete_send(sl_adm_job_t *job, int32_t controller)
{
    delete_op_t *op = job->op;
    sl_DeleteTopicsRequest_t *req = sl_adm_scratch(job, 1, sizeof *req);
    if (!req)
        return;
    sl_DeleteTopicsRequest_init(req);
    req->Topics.items = sl_adm_scratch(job, op->n, sizeof *req->Topics.items);
    req->TopicNames.items = sl_adm_scratch(job, op->n, sizeof *req->TopicNames.items);
    if (!req->Topics.items || !req->TopicNames.items)
        return;
    int32_t k = 0;
    for (size_t i = 0; i < op->n; i++) {
        if (op->done[i])
            continue;
        sl_DeleteTopicsRequest_DeleteTopicState_init(&req->Topics.items[k]);
        req->Topics.items[k].Name = sl_kstr(op->names[i]);
        req->TopicNames.items[k] = sl_kstr(op->names[i]);
        k++;
    }
    req->Topics.count = req->TopicNames.count = k;
    req->TimeoutMs = sl_adm_time_left_ms(job);
    if (k)
        sl_adm_send_v(job, sl_DeleteTopicsRequest_desc.api_key, 0, req, controller, delete_prepare,
                      delete_resp, NULL);
}

static void delete_start(sl_adm_job_t *job)
{
    with_controller(job, delete_send);
}

sl_err_t sl_admin_delete_topics(sl_admin_t *a, const char *const *names, size_t n, sl_err_t *errs,
                                int timeout_ms)
{
    if ((n && (!names || !errs)))
        return SL_ERR_INVAL;
    if (!n)
        return SL_OK;
    for (size_t i = 0; i < n; i++) {
        if (!names[i])
            return SL_ERR_INVAL;
        errs[i] = SL_ERR_REQUEST_TIMED_OUT;
    }
    bool *done = calloc(n, sizeof *done);
    if (!done)
        return SL_ERR_NOMEM;
    delete_op_t op = {names, n, errs, done};
    sl_err_t err = sl_adm_run(a, timeout_ms, delete_start, &op, NULL);
    free(done);
    return err;
}

/* create_partitions */

typedef struct parts_op {
    const char *topic;
    int32_t total;
    sl_err_t *err;
    const char **message;
    bool done;
} parts_op_t;

static void parts_resp(sl_adm_job_t *job, sl_err_t err, int16_t version, const void *resp, void *arg)
{
    SL_UNUSED(version);
    SL_UNUSED(arg);
    if (sl_adm_resp_failed(job, err, "CreatePartitions"))
        return;
    const sl_CreatePartitionsResponse_t *r = resp;
    parts_op_t *op = job->op;
    for (int32_t k = 0; k < r->Results.count; k++) {
        const sl_CreatePartitionsResponse_CreatePartitionsTopicResult_t *t = &r->Results.items[k];
        if (!sl_kstr_eq(t->Name, op->topic) || item_result(job, (sl_err_t)t->ErrorCode, "CreatePartitions"))
            continue;
        *op->err = (sl_err_t)t->ErrorCode;
        if (op->message)
            *op->message = sl_adm_str(job, t->ErrorMessage, false);
        op->done = true;
    }
}

static void parts_send(sl_adm_job_t *job, int32_t controller)
{
    parts_op_t *op = job->op;
    if (op->done)
        return;
    sl_CreatePartitionsRequest_t *req = sl_adm_scratch(job, 1, sizeof *req);
    if (!req)
        return;
    sl_CreatePartitionsRequest_init(req);
    req->Topics.items = sl_adm_scratch(job, 1, sizeof *req->Topics.items);
    if (!req->Topics.items)
        return;
    sl_CreatePartitionsRequest_CreatePartitionsTopic_init(&req->Topics.items[0]);
    req->Topics.items[0].Name = sl_kstr(op->topic);
    req->Topics.items[0].Count = op->total;
    req->Topics.items[0].Assignments.count = -1;
    req->Topics.count = 1;
    req->TimeoutMs = sl_adm_time_left_ms(job);
    sl_adm_send(job, sl_CreatePartitionsRequest_desc.api_key, 0, req, controller, parts_resp, NULL);
}

static void parts_start(sl_adm_job_t *job)
{
    with_controller(job, parts_send);
}

sl_err_t sl_admin_create_partitions(sl_admin_t *a, const char *topic, int32_t total, sl_err_t *err,
                                    sl_arena_t *arena, const char **message, int timeout_ms)
{
    if (!topic || !err || (message && !arena))
        return SL_ERR_INVAL;
    *err = SL_ERR_REQUEST_TIMED_OUT;
    if (message)
        *message = NULL;
    parts_op_t op = {topic, total, err, message, false};
    return sl_adm_run(a, timeout_ms, parts_start, &op, arena);
}
