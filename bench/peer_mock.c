/*
 * peer_mock.c - the in-memory peer broker for make bench: librdkafka's public
 * mock cluster (rdkafka_mock.h) in a process of its own, so the driver talks
 * to it over loopback TCP exactly as it talks to sluiced. It keeps every
 * record in memory and never touches the disk: the figure a persisting broker
 * is held against.
 *
 *   peer_mock [--brokers N] [TOPIC:PARTITIONS]...
 *
 * Creates the topics given (the mock also auto-creates unknown topics with
 * its default partition count), prints "bootstrap=HOST:PORT" on stdout and
 * serves until SIGTERM or SIGINT.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static int create_topic(rd_kafka_mock_cluster_t *mc, const char *spec)
{
    char name[256];
    const char *colon = strrchr(spec, ':');
    char *end;
    long parts = colon ? strtol(colon + 1, &end, 10) : 0;
    if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof name || *end != '\0' || parts < 1 ||
        parts > 10000) {
        fprintf(stderr, "peer_mock: want TOPIC:PARTITIONS (1..10000), got '%s'\n", spec);
        return -1;
    }
    memcpy(name, spec, (size_t)(colon - spec));
    name[colon - spec] = '\0';
    rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mc, name, (int)parts, 1);
    if (err) {
        fprintf(stderr, "peer_mock: topic %s: %s\n", name, rd_kafka_err2str(err));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int nbrokers = 1, first_topic = 1;
    if (argc > 2 && strcmp(argv[1], "--brokers") == 0) {
        nbrokers = atoi(argv[2]);
        first_topic = 3;
        if (nbrokers < 1 || nbrokers > 16) {
            fprintf(stderr, "peer_mock: --brokers wants 1..16\n");
            return 2;
        }
    } else if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        puts("usage: peer_mock [--brokers N] [TOPIC:PARTITIONS]...");
        return 0;
    }

    /* Block the stop signals before librdkafka starts its threads, so they
     * all inherit the mask and only sigwait below sees the signal. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    /* This handle only hosts the cluster: no notice that it has no bootstrap servers. */
    rd_kafka_conf_set(conf, "log_level", "4", errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) {
        fprintf(stderr, "peer_mock: %s\n", errstr);
        return 1;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, nbrokers);
    if (!mc) {
        fprintf(stderr, "peer_mock: cannot start the mock cluster\n");
        rd_kafka_destroy(rk);
        return 1;
    }
    int rc = 0;
    for (int i = first_topic; i < argc && rc == 0; i++)
        rc = create_topic(mc, argv[i]);
    if (rc == 0) {
        printf("bootstrap=%s\n", rd_kafka_mock_cluster_bootstraps(mc));
        fflush(stdout);
        int sig;
        sigwait(&stop, &sig);
    }
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    return rc ? 1 : 0;
}
