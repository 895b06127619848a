/* rd_mock.h - librdkafka's mock cluster for the tests that run the client
 * against another implementation of the protocol: three brokers (ids 1-3)
 * in this process, owned by a librdkafka handle. */
#ifndef SL_TEST_RD_MOCK_H
#define SL_TEST_RD_MOCK_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

/* Starts the cluster with topic (partitions, replication factor 1): *rk
 * and *mc for rdm_stop. 0, or -1 when librdkafka could not (cmocka's
 * setup convention). */
int rdm_start(rd_kafka_t **rk, rd_kafka_mock_cluster_t **mc, const char *topic, int partitions);
/* Stops the cluster and frees the handle. */
void rdm_stop(rd_kafka_t *rk, rd_kafka_mock_cluster_t *mc);

#endif
