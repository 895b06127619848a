/*
 * rest_test.c - the REST service (sql.h's last section) over a local engine
 * on a free loopback port, through raw sockets: the listener syntax, GET
 * /info and /healthcheck, POST /ksql answers and ksqlDB's error bodies, a
 * pull and a push query on /query-stream (both shapes) and /query, a
 * refused /close-query, and requests that are wrong at the HTTP level
 * (unknown path, wrong method, a body too large, bytes that are not HTTP).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "sql.h"

static sl_sql_engine_t *engine;
static sl_sql_rest_t *rest;
static uint16_t port;

/* A chunked body decoded in place after the head (so the checks see the
 * text as the server wrote it). */
static void dechunk(char *buf)
{
    char *body = strstr(buf, "\r\n\r\n");
    if (!body || !strstr(buf, "Transfer-Encoding: chunked") || strstr(buf, "Transfer-Encoding: chunked") > body)
        return;
    body += 4;
    char *in = body, *out = body;
    for (;;) {
        char *end;
        unsigned long n = strtoul(in, &end, 16);
        if (end == in || strncmp(end, "\r\n", 2) != 0 || n == 0 || strlen(end + 2) < n)
            break;
        memmove(out, end + 2, n);
        out += n;
        in = end + 2 + n;
        if (strncmp(in, "\r\n", 2) == 0)
            in += 2;
    }
    *out = '\0';
}

/* Sends raw bytes, reads until the server closes; returns the whole answer
 * (malloc'd), a chunked body decoded. */
static char *exchange(const char *req, size_t len, bool half_close)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct timeval tv = {.tv_sec = 20};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    size_t off = 0;
    while (off < len) {
        ssize_t w = send(fd, req + off, len - off, MSG_NOSIGNAL);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    if (half_close)
        shutdown(fd, SHUT_WR);
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    assert_non_null(buf);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
            assert_non_null(buf);
        }
        ssize_t r = recv(fd, buf + n, cap - n, 0);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    close(fd);
    dechunk(buf);
    return buf;
}

static char *request(const char *method, const char *path, const char *headers, const char *body)
{
    char head[1024];
    int h = snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%sContent-Length: %zu\r\n\r\n",
                     method, path, headers ? headers : "", body ? strlen(body) : 0);
    size_t bl = body ? strlen(body) : 0;
    char *req = malloc((size_t)h + bl + 1);
    assert_non_null(req);
    memcpy(req, head, (size_t)h);
    if (bl)
        memcpy(req + h, body, bl);
    char *out = exchange(req, (size_t)h + bl, false);
    free(req);
    return out;
}

static int status_of(const char *resp)
{
    int st = 0;
    if (sscanf(resp, "HTTP/1.%*d %d", &st) != 1)
        return -1;
    return st;
}

/* The response's body (after the blank line). */
static const char *body_of(const char *resp)
{
    const char *p = strstr(resp, "\r\n\r\n");
    return p ? p + 4 : "";
}

#define EXPECT(resp, status, text)                                                    \
    do {                                                                              \
        char *r_ = (resp);                                                            \
        if (status_of(r_) != (status) || !strstr(r_, (text)))                         \
            fail_msg("want %d with '%s', got:\n%s", (status), (text), r_);            \
        free(r_);                                                                     \
    } while (0)

static int setup(void **state)
{
    (void)state;
    sl_sql_error_t err;
    if (sl_sql_engine_new_local("state.dir=/tmp/sl-sql-rest-test\n", 0, &engine, &err) != SL_OK)
        return -1;
    char why[256];
    sl_sql_rest_info_t info = {.version = "9.9.9", .kafka_cluster_id = "cid", .service_id = "svc_"};
    if (sl_sql_rest_start(engine, "http://127.0.0.1:0", &info, &rest, why, sizeof why) != SL_OK) {
        fprintf(stderr, "%s\n", why);
        return -1;
    }
    port = sl_sql_rest_port(rest, 0);
    return port ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sl_sql_rest_stop(rest);
    sl_sql_engine_free(engine);
    return 0;
}

static void test_listeners(void **state)
{
    (void)state;
    char why[256];
    assert_int_equal(sl_sql_rest_check_listeners("http://127.0.0.1:8088", why, sizeof why), SL_OK);
    assert_int_equal(sl_sql_rest_check_listeners("http://localhost:1, 0.0.0.0:2", why, sizeof why), SL_OK);
    assert_int_equal(sl_sql_rest_check_listeners("https://h:1", why, sizeof why), SL_ERR_CONFIG);
    assert_non_null(strstr(why, "http://"));
    assert_int_equal(sl_sql_rest_check_listeners("http://h", why, sizeof why), SL_ERR_CONFIG);
    assert_int_equal(sl_sql_rest_check_listeners("http://h:65536", why, sizeof why), SL_ERR_CONFIG);
    assert_int_equal(sl_sql_rest_check_listeners("http://h:8x", why, sizeof why), SL_ERR_CONFIG);
    assert_int_equal(sl_sql_rest_check_listeners("", why, sizeof why), SL_ERR_CONFIG);
    sl_sql_rest_t *r = NULL;
    assert_int_equal(sl_sql_rest_start(engine, "http://127.0.0.1:x", NULL, &r, why, sizeof why), SL_ERR_CONFIG);
    assert_null(r);
    char busy[64];
    snprintf(busy, sizeof busy, "http://127.0.0.1:%u", port);
    assert_int_equal(sl_sql_rest_start(engine, busy, NULL, &r, why, sizeof why), SL_ERR_IO);
    assert_non_null(strstr(why, "cannot listen"));
}

static void test_info(void **state)
{
    (void)state;
    EXPECT(request("GET", "/info", NULL, NULL), 200,
           "{\"KsqlServerInfo\":{\"version\":\"9.9.9\",\"kafkaClusterId\":\"cid\",\"ksqlServiceId\":\"svc_\","
           "\"serverStatus\":\"RUNNING\"}}");
    EXPECT(request("GET", "/healthcheck", NULL, NULL), 200, "\"isHealthy\":true");
    EXPECT(request("GET", "/nope", NULL, NULL), 404, "generic_error");
    EXPECT(request("POST", "/info", NULL, "{}"), 405, "Allow: GET");
    EXPECT(request("GET", "/ksql", NULL, NULL), 405, "Allow: POST");
}

static void test_ksql_and_queries(void **state)
{
    (void)state;
    EXPECT(request("POST", "/ksql", NULL,
                   "{\"ksql\":\"CREATE STREAM S (ID INT KEY, NAME STRING) WITH (kafka_topic='s', "
                   "value_format='JSON', partitions=1); CREATE TABLE T AS SELECT NAME, COUNT(*) AS C FROM S "
                   "GROUP BY NAME;\",\"streamsProperties\":{}}"),
           200, "\"message\":\"Created query with ID CTAS_T_");
    sl_sql_error_t err;
    assert_int_equal(sl_sql_local_produce(engine, "s", "1", "{\"NAME\":\"a\"}", 10, &err), SL_OK);
    assert_int_equal(sl_sql_local_produce(engine, "s", "2", "{\"NAME\":\"a\"}", 20, &err), SL_OK);
    char *r = request("POST", "/query-stream", NULL, "{\"sql\":\"SELECT * FROM T;\"}");
    assert_int_equal(status_of(r), 200);
    assert_non_null(strstr(r, "application/vnd.ksqlapi.delimited.v1"));
    assert_non_null(strstr(r, "\"columnNames\":[\"NAME\",\"C\"]"));
    assert_non_null(strstr(r, "[\"a\",2]\n"));
    free(r);
    const char *push = "{\"sql\":\"SELECT ID FROM S EMIT CHANGES LIMIT 2;\",\"properties\":"
                       "{\"auto.offset.reset\":\"earliest\"}}";
    r = request("POST", "/query-stream", NULL, push);
    assert_int_equal(status_of(r), 200);
    assert_non_null(strstr(r, "[1]\n"));
    assert_non_null(strstr(r, "[2]\n"));
    free(r);
    r = request("POST", "/query-stream", "Accept: application/json\r\n", push);
    assert_int_equal(status_of(r), 200);
    assert_non_null(strstr(body_of(r), "[{\"queryId\""));
    assert_non_null(strstr(r, ",\n[1]"));
    assert_non_null(strstr(r, "]\n"));
    free(r);
    EXPECT(request("POST", "/query", NULL,
                   "{\"ksql\":\"SELECT NAME FROM S EMIT CHANGES LIMIT 1;\",\"streamsProperties\":"
                   "{\"auto.offset.reset\":\"earliest\"}}"),
           200, "{\"row\":{\"columns\":[\"a\"]}},\n{\"finalMessage\":\"Query Completed\"}]");
}

static void test_errors(void **state)
{
    (void)state;
    EXPECT(request("POST", "/ksql", NULL, "{\"ksql\":\"CREATE STREAM X (;\"}"), 400,
           "{\"@type\":\"statement_error\",\"error_code\":40001,\"message\":\"line 1:");
    EXPECT(request("POST", "/ksql", NULL, "{\"ksql\":\"DROP STREAM NOPE;\"}"), 400,
           "\"statementText\":\"DROP STREAM NOPE;\",\"entities\":[]");
    EXPECT(request("POST", "/ksql", NULL, "{nope"), 400, "\"error_code\":40000");
    EXPECT(request("POST", "/ksql", NULL, ""), 400, "\"error_code\":40000");
    EXPECT(request("POST", "/ksql", NULL, "{\"ksql\":1}"), 400, "a string field");
    EXPECT(request("POST", "/ksql", NULL, "{\"ksql\":\"SHOW STREAMS;\",\"streamsProperties\":[]}"), 400,
           "streamsProperties");
    EXPECT(request("POST", "/query-stream", NULL, "{\"sql\":\"SELECT * FROM NOPE;\"}"), 400, "statement_error");
    EXPECT(request("POST", "/close-query", NULL, "{\"queryId\":\"transient_X_1\"}"), 400, "transient_X_1");
    EXPECT(request("POST", "/ksql", "Content-Length: 99999999\r\n", NULL), 413, "41300");
    char *big = malloc(1100000);
    assert_non_null(big);
    memset(big, 'x', 1099999);
    big[1099999] = '\0';
    EXPECT(request("POST", "/ksql", NULL, big), 413, "larger than 1048576");
    free(big);
    free(exchange("\x01\x02 garbage\r\n\r\n", 15, true));
    free(exchange("POST /ksql HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc", 46, true));
    EXPECT(request("GET", "/healthcheck", NULL, NULL), 200, "isHealthy");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_listeners),
        cmocka_unit_test(test_info),
        cmocka_unit_test(test_ksql_and_queries),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
