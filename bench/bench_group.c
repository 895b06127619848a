/*
 * bench_group.c - the consumer group benchmark driver: rebalance time of a
 * group as a member joins and leaves, and the rate of synchronous offset
 * commits, measured with librdkafka's public C API against any broker (the
 * same binary for sluiced and the mock peer, as bench_broker).
 *
 *   bench_group rebalance -b HOST:PORT -l LABEL -t TOPIC -p PARTITIONS
 *                         [-n MEMBERS] [-r REPS] [-a ASSIGNOR] [-c]
 *   bench_group commit    -b HOST:PORT -l LABEL -t TOPIC [-d SECONDS]
 *
 * Common options: -c (create the topic with CreateTopics first), -X
 * name=value (any librdkafka property, applied to every client last).
 * ASSIGNOR is a partition.assignment.strategy: range (eager, the default)
 * or cooperative-sticky. The modes are in group_rebalance.c and
 * group_commit.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "group_int.h"

static void usage(FILE *out)
{
    fputs("usage: bench_group rebalance -b HOST:PORT -l LABEL -t TOPIC -p PARTITIONS\n"
          "                             [-n MEMBERS] [-r REPS] [-a ASSIGNOR] [-c] [-X prop=value]...\n"
          "       bench_group commit -b HOST:PORT -l LABEL -t TOPIC [-d SECONDS] [-X prop=value]...\n",
          out);
}

/* strtod over [lo, hi] or exit with a message naming the option. */
static double num_arg(const char *s, double lo, double hi, char opt)
{
    char *end;
    double v = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || !(v >= lo && v <= hi)) {
        fprintf(stderr, "bench_group: -%c wants %g..%g, got '%s'\n", opt, lo, hi, s);
        exit(2);
    }
    return v;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double gb_quantile(double *v, size_t n, double p)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, cmp_double);
    size_t k = (size_t)(p * (double)n + 0.5);
    return v[k == 0 ? 0 : (k > n ? n - 1 : k - 1)];
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *mode = argv[1];
    bool rebalance = strcmp(mode, "rebalance") == 0;
    if (!rebalance && strcmp(mode, "commit") != 0) {
        fprintf(stderr, "bench_group: unknown mode '%s'\n", mode);
        usage(stderr);
        return 2;
    }
    gb_opts_t o = {.bb = {.label = "broker", .partitions = 1, .seconds = 3, .acks = "-", .linger_ms = -1},
                   .members = 10, .reps = 3, .assignor = "range"};
    optind = 2;
    int c;
    while ((c = getopt_long(argc, argv, "b:l:t:p:n:r:a:d:cX:h", NULL, NULL)) != -1) {
        switch (c) {
        case 'b': o.bb.bootstrap = optarg; break;
        case 'l': o.bb.label = optarg; break;
        case 't': o.bb.topic = optarg; break;
        case 'p': o.bb.partitions = (int)num_arg(optarg, 1, 10000, 'p'); break;
        case 'n': o.members = (int)num_arg(optarg, 1, 100, 'n'); break;
        case 'r': o.reps = (int)num_arg(optarg, 1, 100, 'r'); break;
        case 'a': o.assignor = optarg; break;
        case 'd': o.bb.seconds = num_arg(optarg, 0.1, 600, 'd'); break;
        case 'c': o.bb.create = true; break;
        case 'X':
            if (o.bb.n_client_cfg == BB_MAX_KV || !strchr(optarg, '=')) {
                fprintf(stderr, "bench_group: -X wants name=value (at most %d), got '%s'\n", BB_MAX_KV,
                        optarg);
                return 2;
            }
            o.bb.client_cfg[o.bb.n_client_cfg++] = optarg;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!o.bb.bootstrap || !o.bb.topic) {
        fprintf(stderr, "bench_group %s: -b HOST:PORT and -t TOPIC are required\n", mode);
        return 2;
    }
    return rebalance ? gb_rebalance(&o) : gb_commit(&o);
}
