/*
 * admin_cluster_test.c - DescribeCluster: this node with its advertised
 * address, the cluster id kept in meta.properties, this node as controller,
 * and the cluster operations only when asked.
 */
#include "admin_fixture.h"

static void describe_cluster_answers_this_node(void **state)
{
    fx_t *fx = *state;
    sl_DescribeClusterRequest_t req;
    sl_DescribeClusterRequest_init(&req);
    sl_DescribeClusterResponse_t resp;
    assert_int_equal(sl_broker_admin_describe_cluster(fx->broker, 0, &req, &fx->arena, &resp), SL_OK);
    fx_encodes(SL_APIKEY_DESCRIBE_CLUSTER, 0, &resp);
    assert_int_equal(resp.ErrorCode, 0);
    assert_true(resp.ErrorMessage.len < 0);
    assert_true(fx_str_eq(resp.ClusterId, fx->broker->cluster_id));
    assert_true(resp.ClusterId.len > 0);
    assert_int_equal(resp.ControllerId, FX_NODE_ID);
    assert_int_equal(resp.Brokers.count, 1);
    assert_int_equal(resp.Brokers.items[0].BrokerId, FX_NODE_ID);
    assert_true(fx_str_eq(resp.Brokers.items[0].Host, "127.0.0.1"));
    assert_int_equal(resp.Brokers.items[0].Port, 9092);
    assert_true(resp.Brokers.items[0].Rack.len < 0);
    assert_int_equal(resp.ClusterAuthorizedOperations, INT32_MIN);
}

static void describe_cluster_lists_cluster_operations_when_asked(void **state)
{
    fx_t *fx = *state;
    sl_DescribeClusterRequest_t req;
    sl_DescribeClusterRequest_init(&req);
    req.IncludeClusterAuthorizedOperations = true;
    sl_DescribeClusterResponse_t resp;
    assert_int_equal(sl_broker_admin_describe_cluster(fx->broker, 0, &req, &fx->arena, &resp), SL_OK);
    /* CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS,
     * IDEMPOTENT_WRITE: Kafka's cluster operations without an authorizer */
    assert_int_equal(resp.ClusterAuthorizedOperations, 8096);
}

static void describe_cluster_keeps_the_cluster_id_across_restarts(void **state)
{
    fx_t *fx = *state;
    char before[sizeof fx->broker->cluster_id];
    memcpy(before, fx->broker->cluster_id, sizeof before);
    fx_reopen(fx);
    sl_DescribeClusterRequest_t req;
    sl_DescribeClusterRequest_init(&req);
    sl_DescribeClusterResponse_t resp;
    assert_int_equal(sl_broker_admin_describe_cluster(fx->broker, 0, &req, &fx->arena, &resp), SL_OK);
    assert_true(fx_str_eq(resp.ClusterId, before));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(describe_cluster_answers_this_node, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(describe_cluster_lists_cluster_operations_when_asked, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(describe_cluster_keeps_the_cluster_id_across_restarts, fx_setup,
                                        fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
