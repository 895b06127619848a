/*
 * admin_cluster.c - DescribeCluster: the one node (its advertised address),
 * the cluster id from meta.properties, this node as controller, and, when
 * asked, the operations allowed on the cluster resource (all of them: there
 * is no authorizer).
 */
#include "admin_int.h"

sl_err_t sl_broker_admin_describe_cluster(sl_broker_t *broker, int16_t version, const sl_DescribeClusterRequest_t *req,
                                   sl_arena_t *arena, sl_DescribeClusterResponse_t *resp)
{
    SL_UNUSED(version);
    sl_DescribeClusterResponse_init(resp);
    resp->ErrorMessage = sl_kstr_null();
    resp->ClusterId = sl_admin_str(arena, broker->cluster_id);
    if (resp->ClusterId.len < 0)
        return SL_ERR_NOMEM;
    resp->ControllerId = broker->node_id;
    resp->Brokers.items = sl_arena_calloc(arena, 1, sizeof *resp->Brokers.items);
    if (!resp->Brokers.items)
        return SL_ERR_NOMEM;
    resp->Brokers.count = 1;
    sl_DescribeClusterResponse_DescribeClusterBroker_t *b = &resp->Brokers.items[0];
    sl_DescribeClusterResponse_DescribeClusterBroker_init(b);
    b->BrokerId = broker->node_id;
    b->Host = sl_admin_str(arena, broker->adv_host);
    if (b->Host.len < 0)
        return SL_ERR_NOMEM;
    b->Port = broker->adv_port;
    b->Rack = sl_kstr_null();
    if (req->IncludeClusterAuthorizedOperations)
        resp->ClusterAuthorizedOperations = SL_ADMIN_CLUSTER_OPS;
    return SL_OK;
}

void sl_broker_handle_describe_cluster(sl_broker_req_t *req)
{
    sl_DescribeClusterResponse_t resp;
    sl_admin_finish(req,
                    sl_broker_admin_describe_cluster(req->broker, req->hdr.api_version, req->body, &req->arena, &resp),
                    &resp);
}
