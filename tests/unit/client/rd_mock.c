/* rd_mock.c - librdkafka's mock cluster for the tests (rd_mock.h). */
#include "rd_mock.h"

int rdm_start(rd_kafka_t **rk, rd_kafka_mock_cluster_t **mc, const char *topic, int partitions)
{
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
    *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!*rk)
        return -1;
    *mc = rd_kafka_mock_cluster_new(*rk, 3);
    if (!*mc)
        return -1;
    return rd_kafka_mock_topic_create(*mc, topic, partitions, 1) == RD_KAFKA_RESP_ERR_NO_ERROR ? 0 : -1;
}

void rdm_stop(rd_kafka_t *rk, rd_kafka_mock_cluster_t *mc)
{
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
}
