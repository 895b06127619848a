/*
 * engine_cluster_test.c - a cluster engine against a real sluiced the test
 * starts itself (its own temporary directory and loopback port): a
 * persistent query survives an engine restart (the command topic is
 * replayed), a pull query returns the current aggregate (from a topic of
 * two partitions, whichever task holds the key), a push query
 * streams rows until its LIMIT. Every wait is bounded.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <jansson.h>

#include "sql.h"

#ifndef SLUICED_PATH
#error "SLUICED_PATH must name the broker binary"
#endif

static char dir[256];
static int port;
static pid_t broker = -1;

static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(s, (struct sockaddr *)&a, &len) != 0)
        return -1;
    close(s);
    return ntohs(a.sin_port);
}

static bool can_connect(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    bool ok = s >= 0 && connect(s, (struct sockaddr *)&a, sizeof a) == 0;
    if (s >= 0)
        close(s);
    return ok;
}

static int start_broker(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/sl-sql-cluster-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    port = free_port();
    char path[512];
    snprintf(path, sizeof path, "%s/server.properties", dir);
    FILE *f = fopen(path, "w");
    if (!f || port <= 0)
        return -1;
    /* the broker role only: a SQL role would take the REST port 8088 */
    fprintf(f, "node.id=1\nlisteners=PLAINTEXT://127.0.0.1:%d\nlog.dirs=%s/data\nsluice.roles=broker\n", port, dir);
    fclose(f);
    broker = fork();
    if (broker == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        char log[512];
        snprintf(log, sizeof log, "%s/sluiced.log", dir);
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execl(SLUICED_PATH, "sluiced", path, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 300; i++) { /* 30 s */
        if (can_connect())
            return 0;
        int st;
        if (waitpid(broker, &st, WNOHANG) == broker) {
            broker = -1;
            return -1;
        }
        usleep(100 * 1000);
    }
    return -1;
}

static int stop_broker(void **state)
{
    (void)state;
    if (broker > 0) {
        kill(broker, SIGTERM);
        int st;
        for (int i = 0; i < 200 && waitpid(broker, &st, WNOHANG) != broker; i++)
            usleep(100 * 1000);
        kill(broker, SIGKILL);
        waitpid(broker, &st, 0);
    }
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (dir[0] && system(cmd) != 0)
        return -1;
    return 0;
}

/* An engine of service id svc; state under <dir>/<state>. */
static sl_sql_engine_t *engine_of(const char *svc, const char *state)
{
    char props[1024];
    snprintf(props, sizeof props,
             "bootstrap.servers=127.0.0.1:%d\nsql.service.id=%s\nstate.dir=%s/%s\n"
             "request.timeout.ms=20000\nksql.streams.commit.interval.ms=200\n"
             "ksql.streams.cache.max.bytes.buffering=0\n",
             port, svc, dir, state);
    sl_sql_engine_t *e = NULL;
    sl_sql_error_t err;
    sl_err_t r = sl_sql_engine_new(props, &e, &err);
    if (r)
        fail_msg("engine: %s: %s", sl_err_name(r), err.message);
    return e;
}

static sl_sql_engine_t *engine(void)
{
    return engine_of("it_", "state");
}

static json_t *run(sl_sql_engine_t *e, const char *sql)
{
    json_t *out = NULL;
    sl_sql_error_t err;
    sl_err_t r = sl_sql_execute(e, sql, NULL, &out, &err);
    if (r)
        fail_msg("%s: %s (%s)", sql, err.message, sl_err_name(r));
    return out;
}

static void run_fails(sl_sql_engine_t *e, const char *sql, const char *part)
{
    json_t *out = NULL;
    sl_sql_error_t err;
    sl_err_t r = sl_sql_execute(e, sql, NULL, &out, &err);
    if (r == SL_OK || !strstr(err.message, part))
        fail_msg("%s: %s, wanted an error with \"%s\"", sql, r ? err.message : "ok", part);
}

/* Pull-queries until the row for ID = id is want (JSON), at most 60 s. */
static void wait_pull(sl_sql_engine_t *e, const char *sql, const char *want)
{
    json_t *w = json_loads(want, 0, NULL);
    char last[1100] = "nothing";
    for (int i = 0; i < 300; i++) {
        sl_sql_query_t *q = NULL;
        sl_sql_error_t err;
        if (sl_sql_query_open(e, sql, NULL, &q, &err) == SL_OK) {
            json_t *row = NULL;
            bool hit = false;
            if (sl_sql_query_next(q, 0, &row) == SL_OK) {
                hit = json_equal(row, w);
                char *s = json_dumps(row, JSON_COMPACT);
                snprintf(last, sizeof last, "row %s", s ? s : "?");
                free(s);
                json_decref(row);
            } else {
                snprintf(last, sizeof last, "no row");
            }
            sl_sql_query_close(q);
            if (hit) {
                json_decref(w);
                return;
            }
        } else {
            snprintf(last, sizeof last, "%s", err.message);
        }
        usleep(200 * 1000);
    }
    json_decref(w);
    fail_msg("%s: no %s within 60 s (last: %s)", sql, want, last);
}

static void test_restart_pull_push(void **state)
{
    (void)state;
    sl_sql_engine_t *e = engine();
    json_decref(run(e, "CREATE STREAM S (ID INT KEY, NAME STRING) WITH (kafka_topic='s', value_format='JSON', "
                       "partitions=2);"));
    json_t *out = run(e, "SET 'auto.offset.reset'='earliest';"
                         "CREATE TABLE T AS SELECT ID, COUNT(*) AS C FROM S GROUP BY ID EMIT CHANGES;");
    assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(out, 1), "commandStatus"),
                                                          "queryId")),
                        "CTAS_T_1");
    json_decref(out);
    json_decref(run(e, "INSERT INTO S (ID, NAME) VALUES (1, 'a');"
                       "INSERT INTO S (ID, NAME) VALUES (1, 'b');"
                       "INSERT INTO S (ID, NAME) VALUES (2, 'c');"));
    wait_pull(e, "SELECT * FROM T WHERE ID = 1;", "[1, 2]");

    /* grouping by a value column goes through a repartition topic */
    json_decref(run(e, "CREATE TABLE BY_NAME AS SELECT NAME, COUNT(*) AS C FROM S GROUP BY NAME;"));
    wait_pull(e, "SELECT * FROM BY_NAME WHERE NAME = 'b';", "[\"b\", 1]");

    /* PRINT reads the topic back; SHOW TOPICS hides the internal ones */
    json_t *out2 = run(e, "PRINT 's' FROM BEGINNING LIMIT 3; SHOW TOPICS;");
    json_t *records = json_object_get(json_array_get(out2, 0), "records");
    assert_int_equal(json_array_size(records), 3);
    for (size_t i = 0; i < 3; i++)
        assert_non_null(strstr(json_string_value(json_array_get(records, i)), "rowtime: "));
    json_t *topics = json_object_get(json_array_get(out2, 1), "topics");
    bool saw_s = false;
    for (size_t i = 0; i < json_array_size(topics); i++) {
        const char *name = json_string_value(json_object_get(json_array_get(topics, i), "name"));
        assert_true(name[0] != '_');
        if (strcmp(name, "s") == 0) {
            saw_s = true;
            assert_int_equal(json_array_size(json_object_get(json_array_get(topics, i), "replicaInfo")), 2);
        }
    }
    assert_true(saw_s);
    json_decref(out2);

    /* a windowed table, pulled by key */
    json_decref(run(e, "CREATE STREAM W_S (ID INT KEY, NAME STRING) WITH (kafka_topic='w_s', value_format='JSON', "
                       "partitions=1);"
                       "CREATE TABLE W AS SELECT ID, COUNT(*) AS C FROM W_S WINDOW TUMBLING (SIZE 10 SECONDS) "
                       "GROUP BY ID;"
                       "INSERT INTO W_S (ROWTIME, ID, NAME) VALUES (1000, 1, 'a');"
                       "INSERT INTO W_S (ROWTIME, ID, NAME) VALUES (2000, 1, 'b');"
                       "INSERT INTO W_S (ROWTIME, ID, NAME) VALUES (3000, 2, 'c');"));
    wait_pull(e, "SELECT ID, WINDOWSTART, WINDOWEND, C FROM W WHERE ID = 1;", "[1, 0, 10000, 2]");

    /* a push query from the beginning, until its LIMIT */
    json_t *props = json_pack("{s:s}", "auto.offset.reset", "earliest");
    sl_sql_query_t *q = NULL;
    sl_sql_error_t err;
    if (sl_sql_query_open(e, "SELECT ID, NAME FROM S EMIT CHANGES LIMIT 2;", props, &q, &err))
        fail_msg("push: %s", err.message);
    json_decref(props);
    const char *want[2] = {"[1, \"a\"]", "[1, \"b\"]"};
    for (int i = 0; i < 2; i++) {
        json_t *row = NULL;
        sl_err_t r = sl_sql_query_next(q, 60000, &row);
        if (r)
            fail_msg("push row %d: %s", i, sl_err_name(r));
        json_t *w = json_loads(want[i], 0, NULL);
        assert_true(json_equal(row, w));
        json_decref(w);
        json_decref(row);
    }
    json_t *row = NULL;
    assert_int_equal(sl_sql_query_next(q, 1000, &row), SL_ERR_CLOSED);
    sl_sql_query_close(q);
    sl_sql_engine_free(e);

    /* a new engine of the same service replays the command topic */
    e = engine();
    out = run(e, "SHOW QUERIES; SHOW STREAMS; SHOW TABLES;");
    json_t *queries = json_object_get(json_array_get(out, 0), "queries");
    assert_int_equal(json_array_size(queries), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(queries, 0), "id")), "CTAS_T_1");
    assert_string_equal(json_string_value(json_object_get(json_array_get(queries, 1), "id")), "CTAS_BY_NAME_2");
    assert_string_equal(json_string_value(json_object_get(json_array_get(queries, 2), "id")), "CTAS_W_4");
    assert_int_equal(json_array_size(json_object_get(json_array_get(out, 1), "streams")), 2);
    assert_int_equal(json_array_size(json_object_get(json_array_get(out, 2), "tables")), 3);
    json_decref(out);
    wait_pull(e, "SELECT * FROM T WHERE ID = 1;", "[1, 2]");
    json_decref(run(e, "INSERT INTO S (ID, NAME) VALUES (1, 'd');"));
    wait_pull(e, "SELECT * FROM T WHERE ID = 1;", "[1, 3]");
    wait_pull(e, "SELECT * FROM BY_NAME WHERE NAME = 'd';", "[\"d\", 1]");
    wait_pull(e, "SELECT ID, WINDOWSTART, WINDOWEND, C FROM W WHERE ID = 1;", "[1, 0, 10000, 2]");
    json_decref(run(e, "TERMINATE CTAS_T_1;"));
    sl_sql_engine_free(e);

    /* the TERMINATE was recorded too */
    e = engine();
    out = run(e, "SHOW QUERIES;");
    queries = json_object_get(json_array_get(out, 0), "queries");
    assert_int_equal(json_array_size(queries), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(queries, 0), "id")), "CTAS_BY_NAME_2");
    assert_string_equal(json_string_value(json_object_get(json_array_get(queries, 1), "id")), "CTAS_W_4");
    json_decref(out);
    sl_sql_engine_free(e);
}

/* Windowed tables in a cluster engine: session windows by key and over
 * every key, time windows over every key (every task's store is read);
 * a pull query on a stream. */
static void test_windowed_pulls(void **state)
{
    (void)state;
    sl_sql_engine_t *e = engine_of("win_", "state-win");
    json_decref(run(e, "SET 'auto.offset.reset'='earliest';"
                       "CREATE STREAM WS (ID INT KEY, V INT) WITH (kafka_topic='ws', value_format='JSON', "
                       "partitions=2);"
                       "CREATE TABLE SES AS SELECT ID, COUNT(*) AS C FROM WS WINDOW SESSION (5 SECONDS) GROUP BY ID;"
                       "CREATE TABLE TUM AS SELECT ID, SUM(V) AS SV FROM WS WINDOW TUMBLING (SIZE 10 SECONDS) "
                       "GROUP BY ID;"
                       "INSERT INTO WS (ROWTIME, ID, V) VALUES (1000, 1, 1);"
                       "INSERT INTO WS (ROWTIME, ID, V) VALUES (3000, 1, 2);"
                       "INSERT INTO WS (ROWTIME, ID, V) VALUES (4000, 2, 5);"));
    wait_pull(e, "SELECT ID, WINDOWSTART, WINDOWEND, C FROM SES WHERE ID = 1;", "[1, 1000, 3000, 2]");
    wait_pull(e, "SELECT ID, WINDOWSTART, WINDOWEND, C FROM SES WHERE WINDOWEND = 4000;", "[2, 4000, 4000, 1]");
    wait_pull(e, "SELECT ID, WINDOWSTART, SV FROM TUM WHERE SV = 5;", "[2, 0, 5]");
    /* a stream's pull query: a scan of its topic's two partitions */
    wait_pull(e, "SELECT ID, V, ROWTIME FROM WS WHERE V = 5;", "[2, 5, 4000]");
    sl_sql_engine_free(e);
}

/* Two engines of one service: what one runs, the other applies from the
 * command topic; their instances of a query share its work. */
static void test_two_engines_converge(void **state)
{
    (void)state;
    sl_sql_engine_t *a = engine_of("conv_", "state-a"), *b = engine_of("conv_", "state-b");
    run_fails(a, "CREATE STREAM NOPE (ID INT KEY) WITH (kafka_topic='nope', value_format='JSON');",
              "Topic 'nope' does not exist");
    /* the session's earliest goes with the command, so b's instance reads
     * from the start too */
    json_decref(run(a, "SET 'auto.offset.reset'='earliest';"
                       "CREATE STREAM C_S (ID INT KEY, V INT) WITH (kafka_topic='c_s', value_format='JSON', "
                       "partitions=2);"
                       "CREATE STREAM C_OUT AS SELECT ID, V * 10 AS W FROM C_S;"));
    json_t *out = run(b, "SHOW QUERIES; SHOW STREAMS;");
    json_t *queries = json_object_get(json_array_get(out, 0), "queries");
    assert_int_equal(json_array_size(queries), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(queries, 0), "id")), "CSAS_C_OUT_1");
    assert_int_equal(json_array_size(json_object_get(json_array_get(out, 1), "streams")), 2);
    json_decref(out);
    json_decref(run(b, "INSERT INTO C_S (ID, V) VALUES (7, 7);"));
    json_t *props = json_pack("{s:s}", "auto.offset.reset", "earliest");
    sl_sql_query_t *q = NULL;
    sl_sql_error_t err;
    if (sl_sql_query_open(a, "SELECT * FROM C_OUT EMIT CHANGES LIMIT 1;", props, &q, &err))
        fail_msg("push: %s", err.message);
    json_decref(props);
    json_t *row = NULL;
    sl_err_t r = sl_sql_query_next(q, 60000, &row);
    if (r)
        fail_msg("push row: %s", sl_err_name(r));
    json_t *w = json_loads("[7, 70]", 0, NULL);
    assert_true(json_equal(row, w));
    json_decref(w);
    json_decref(row);
    sl_sql_query_close(q);
    json_decref(run(b, "TERMINATE CSAS_C_OUT_1;"));
    /* a applies b's TERMINATE by itself (its command thread) */
    size_t n = 1;
    for (int i = 0; i < 100 && n; i++) {
        usleep(100 * 1000);
        out = run(a, "SHOW QUERIES;");
        n = json_array_size(json_object_get(json_array_get(out, 0), "queries"));
        json_decref(out);
    }
    assert_int_equal(n, 0);
    sl_sql_engine_free(a);
    sl_sql_engine_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restart_pull_push),
        cmocka_unit_test(test_two_engines_converge),
        cmocka_unit_test(test_windowed_pulls),
    };
    return cmocka_run_group_tests(tests, start_broker, stop_broker);
}
