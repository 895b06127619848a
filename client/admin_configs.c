#include <stdio.h>
/*
 * admin_configs.c - DescribeConfigs and IncrementalAlterConfigs of one
 * resource. A topic's configs may be asked of any broker; a broker's only
 * of that broker (its id is the resource name), as Kafka requires.
 */
#include <stdlib.h>
#include <string.h>

#include "admin_int.h"

/* Where a request about this resource goes; -2 when name is no broker id. */
static int32_t resource_node(sl_resource_type_t type, const char *name)
{
    if (type != SL_RESOURCE_BROKER)
        return SL_CL_NODE_ANY;
    char *end;
    long id = strtol(name, &end, 10);
    if (!*name || *end || id < 0 || id > INT32_MAX)
        return -2;
    return (int32_t)id;
}

typedef struct describe_op {
    sl_resource_type_t type;
    const char *name;
    sl_config_entry_t *entries;
    size_t n;
} describe_op_t;

static void describe_resp(sl_adm_job_t *job, sl_err_t err, int16_t version, const void *resp, void *arg)
{
    SL_UNUSED(arg);
    if (sl_adm_resp_failed(job, err, "DescribeConfigs"))
        return;
    const sl_DescribeConfigsResponse_t *r = resp;
    describe_op_t *op = job->op;
    if (r->Results.count < 1) {
        sl_adm_set_err(job, SL_ERR_PARSE, "DescribeConfigs (no result for the resource)");
        return;
    }
    const sl_DescribeConfigsResponse_DescribeConfigsResult_t *res = &r->Results.items[0];
    if (res->ErrorCode) {
        char what[300];
        snprintf(what, sizeof what, "DescribeConfigs of %s", op->name);
        /* A missing topic is an answer, not something to wait for. */
        if (res->ErrorCode == SL_ERR_UNKNOWN_TOPIC_OR_PARTITION)
            sl_adm_set_err(job, (sl_err_t)res->ErrorCode, what);
        else
            sl_adm_fail(job, (sl_err_t)res->ErrorCode, what);
        return;
    }
    size_t n = res->Configs.count > 0 ? (size_t)res->Configs.count : 0;
    op->entries = sl_adm_result(job, n, sizeof *op->entries);
    if (!op->entries)
        return;
    for (size_t i = 0; i < n; i++) {
        const sl_DescribeConfigsResponse_DescribeConfigsResourceResult_t *c = &res->Configs.items[i];
        sl_config_entry_t *e = &op->entries[i];
        e->name = sl_adm_str(job, c->Name, true);
        e->value = sl_adm_str(job, c->Value, false);
        e->read_only = c->ReadOnly;
        e->sensitive = c->IsSensitive;
        if (version == 0) {
            e->is_default = c->IsDefault;
            e->source = c->IsDefault ? 5 : -1;
        } else {
            e->source = c->ConfigSource;
            e->is_default = c->ConfigSource == 5;
        }
    }
    op->n = n;
}

static void describe_start(sl_adm_job_t *job)
{
    describe_op_t *op = job->op;
    sl_DescribeConfigsRequest_t *req = sl_adm_scratch(job, 1, sizeof *req);
    if (!req)
        return;
    sl_DescribeConfigsRequest_init(req);
    req->Resources.items = sl_adm_scratch(job, 1, sizeof *req->Resources.items);
    if (!req->Resources.items)
        return;
    sl_DescribeConfigsRequest_DescribeConfigsResource_init(&req->Resources.items[0]);
    req->Resources.items[0].ResourceType = (int8_t)op->type;
    req->Resources.items[0].ResourceName = sl_kstr(op->name);
    req->Resources.items[0].ConfigurationKeys.count = -1;
    req->Resources.count = 1;
    sl_adm_send(job, sl_DescribeConfigsRequest_desc.api_key, 0, req, resource_node(op->type, op->name),
                describe_resp, NULL);
}

sl_err_t sl_admin_describe_configs(sl_admin_t *a, sl_resource_type_t type, const char *name,
                                   sl_arena_t *arena, sl_config_entry_t **out, size_t *n, int timeout_ms)
{
    if (!name || !arena || !out || !n || (type != SL_RESOURCE_TOPIC && type != SL_RESOURCE_BROKER) ||
        resource_node(type, name) == -2)
        return SL_ERR_INVAL;
    *out = NULL;
    *n = 0;
    describe_op_t op = {type, name, NULL, 0};
    sl_err_t err = sl_adm_run(a, timeout_ms, describe_start, &op, arena);
    if (err)
        return err;
    *out = op.entries;
    *n = op.n;
    return SL_OK;
}

/* ---- alter ----------------------------------------------------------------- */

typedef struct alter_op {
    sl_resource_type_t type;
    const char *name;
    const sl_config_entry_t *entries;
    size_t n;
    sl_err_t *err;
    const char **message;
} alter_op_t;

static void alter_resp(sl_adm_job_t *job, sl_err_t err, int16_t version, const void *resp, void *arg)
{
    SL_UNUSED(version);
    SL_UNUSED(arg);
    if (sl_adm_resp_failed(job, err, "IncrementalAlterConfigs"))
        return;
    const sl_IncrementalAlterConfigsResponse_t *r = resp;
    alter_op_t *op = job->op;
    if (r->Responses.count < 1) {
        sl_adm_set_err(job, SL_ERR_PARSE, "IncrementalAlterConfigs (no result for the resource)");
        return;
    }
    *op->err = (sl_err_t)r->Responses.items[0].ErrorCode;
    if (op->message)
        *op->message = sl_adm_str(job, r->Responses.items[0].ErrorMessage, false);
}

static void alter_start(sl_adm_job_t *job)
{
    alter_op_t *op = job->op;
    sl_IncrementalAlterConfigsRequest_t *req = sl_adm_scratch(job, 1, sizeof *req);
    if (!req)
        return;
    sl_IncrementalAlterConfigsRequest_init(req);
    sl_IncrementalAlterConfigsRequest_AlterConfigsResource_t *res =
        sl_adm_scratch(job, 1, sizeof *res);
    if (!res)
        return;
    sl_IncrementalAlterConfigsRequest_AlterConfigsResource_init(res);
    res->ResourceType = (int8_t)op->type;
    res->ResourceName = sl_kstr(op->name);
    res->Configs.items = sl_adm_scratch(job, op->n, sizeof *res->Configs.items);
    if (!res->Configs.items)
        return;
    for (size_t i = 0; i < op->n; i++) {
        sl_IncrementalAlterConfigsRequest_AlterableConfig_t *c = &res->Configs.items[i];
        sl_IncrementalAlterConfigsRequest_AlterableConfig_init(c);
        c->Name = sl_kstr(op->entries[i].name);
        c->Value = sl_kstr(op->entries[i].value);
        c->ConfigOperation = op->entries[i].value ? 0 : 1; /* SET : DELETE */
    }
    res->Configs.count = (int32_t)op->n;
    req->Resources.items = res;
    req->Resources.count = 1;
    sl_adm_send(job, sl_IncrementalAlterConfigsRequest_desc.api_key, 0, req,
                resource_node(op->type, op->name), alter_resp, NULL);
}

sl_err_t sl_admin_alter_configs(sl_admin_t *a, sl_resource_type_t type, const char *name,
                                const sl_config_entry_t *entries, size_t n, sl_err_t *err,
                                sl_arena_t *arena, const char **message, int timeout_ms)
{
    if (!name || !err || (n && !entries) || (message && !arena) ||
        (type != SL_RESOURCE_TOPIC && type != SL_RESOURCE_BROKER) || resource_node(type, name) == -2)
        return SL_ERR_INVAL;
    for (size_t i = 0; i < n; i++)
        if (!entries[i].name)
            return SL_ERR_INVAL;
    *err = SL_ERR_REQUEST_TIMED_OUT;
    if (message)
        *message = NULL;
    alter_op_t op = {type, name, entries, n, err, message};
    return sl_adm_run(a, timeout_ms, alter_start, &op, arena);
}
