/*
 * rest_test.c - the REST service over a standalone worker without a broker
 * (bootstrap 127.0.0.1:1: FailSource's tasks fail at their first poll and
 * never produce), driven over raw sockets on a loopback port the service
 * picked: Kafka Connect's routes, JSON shapes and status codes, names that
 * need URL-encoding, and bad requests (malformed JSON, another media type,
 * a body over 1 MiB, unknown paths, wrong methods, garbage bytes) answered
 * without harm to the next request.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "connect.h"

static char dir[] = "/tmp/sl-connect-rest-XXXXXX";
static sl_connect_worker_t *worker;
static sl_connect_rest_t *rest;

/* ---- a tiny HTTP/1.1 client ------------------------------------------------ */

typedef struct resp {
    int status;
    char allow[64];      /* the Allow header, "" when none */
    char location[256];  /* the Location header, "" when none */
    char *body;          /* NUL-terminated; "" when none */
    json_t *json;        /* parsed body, NULL when empty or not JSON */
} resp_t;

static void resp_free(resp_t *r)
{
    free(r->body);
    json_decref(r->json);
    memset(r, 0, sizeof *r);
}

static int dial(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(sl_connect_rest_port(rest))};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

static void send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* the server may close early (413) */
        c += w;
        n -= (size_t)w;
    }
}

/* Reads until the server closes (Connection: close): at most 10 s of
 * silence, at most 64 MiB, at most 2000 reads. */
static char *read_all(int fd, size_t *len)
{
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    assert_non_null(buf);
    for (int rounds = 0, reads = 0; rounds < 100 && reads < 2000 && n < (64u << 20); rounds++) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            continue;
        reads++;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
            assert_non_null(buf);
        }
        ssize_t r = recv(fd, buf + n, cap - n, 0);
        if (r <= 0)
            break;
        n += (size_t)r;
        rounds = 0;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static void parse_response(char *raw, size_t len, resp_t *out)
{
    memset(out, 0, sizeof *out);
    assert_true(len > 12);
    assert_int_equal(sscanf(raw, "HTTP/1.%*d %d", &out->status), 1);
    char *sep = strstr(raw, "\r\n\r\n");
    assert_non_null(sep);
    const char *al = strstr(raw, "\r\nAllow: ");
    if (al && al < sep)
        snprintf(out->allow, sizeof out->allow, "%.*s", (int)strcspn(al + 9, "\r"), al + 9);
    const char *lo = strstr(raw, "\r\nLocation: ");
    if (lo && lo < sep)
        snprintf(out->location, sizeof out->location, "%.*s", (int)strcspn(lo + 12, "\r"), lo + 12);
    out->body = strdup(sep + 4);
    assert_non_null(out->body);
    if (*out->body)
        out->json = json_loads(out->body, 0, NULL);
}

/* method path with body (NULL: none) and content type (NULL: JSON). */
static resp_t req_typed(const char *method, const char *path, const char *body, const char *type)
{
    int fd = dial();
    char head[1024];
    size_t blen = body ? strlen(body) : 0;
    int hn = snprintf(head, sizeof head,
                      "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n%s%s%sContent-Length: %zu\r\n\r\n",
                      method, path, body ? "Content-Type: " : "", body ? (type ? type : "application/json") : "",
                      body ? "\r\n" : "", blen);
    send_all(fd, head, (size_t)hn);
    if (body)
        send_all(fd, body, blen);
    size_t len;
    char *raw = read_all(fd, &len);
    close(fd);
    resp_t r;
    parse_response(raw, len, &r);
    free(raw);
    return r;
}

static resp_t req(const char *method, const char *path, const char *body)
{
    return req_typed(method, path, body, NULL);
}

/* Sends raw bytes, returns what came back (may be nothing). */
static char *req_raw(const char *bytes, size_t n)
{
    int fd = dial();
    send_all(fd, bytes, n);
    shutdown(fd, SHUT_WR);
    size_t len;
    char *raw = read_all(fd, &len);
    close(fd);
    return raw;
}

static const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* status with Kafka's error body holding want in its message. */
static void expect_error(resp_t *r, int status, const char *want)
{
    if (r->status != status || !r->json || json_integer_value(json_object_get(r->json, "error_code")) != status ||
        !jstr(r->json, "message") || !strstr(jstr(r->json, "message"), want))
        fail_msg("expected %d with \"%s\", got %d: %s", status, want, r->status, r->body);
    resp_free(r);
}

static void expect_status(resp_t *r, int status)
{
    if (r->status != status)
        fail_msg("expected %d, got %d: %s", status, r->status, r->body);
}

/* The state of a connector's task `task` (-1: the connector) once it is
 * want, polling the status route for up to 10 s. */
static bool wait_state(const char *name, int task, const char *want, resp_t *last)
{
    char path[256];
    snprintf(path, sizeof path, "/connectors/%s/status", name);
    for (int i = 0; i < 200; i++) {
        resp_t r = req("GET", path, NULL);
        const json_t *s = task < 0 ? json_object_get(r.json, "connector")
                                   : json_array_get(json_object_get(r.json, "tasks"), (size_t)task);
        if (r.status == 200 && jstr(s, "state") && strcmp(jstr(s, "state"), want) == 0) {
            *last = r;
            return true;
        }
        resp_free(&r);
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return false;
}

/* ---- fixtures ------------------------------------------------------------- */

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(dir))
        return -1;
    char text[1024];
    snprintf(text, sizeof text,
             "bootstrap.servers=127.0.0.1:1\nconnect.plugin.path=%s,%s\n"
             "offset.storage.file.filename=%s/offsets\nlisteners=http://127.0.0.1:0\n",
             SL_TEST_PLUGIN_DIR, SL_TEST_PLUGIN_DIR2, dir);
    sl_props_t *p = NULL;
    if (sl_props_parse(text, strlen(text), "t", &p, NULL, 0))
        return -1;
    char err[512] = "";
    sl_err_t rc = sl_connect_worker_new(p, &worker, err, sizeof err);
    sl_props_free(p);
    if (rc) {
        fprintf(stderr, "worker: %s\n", err);
        return -1;
    }
    rc = sl_connect_rest_start(worker, "http://127.0.0.1:0", &rest, err, sizeof err);
    if (rc) {
        fprintf(stderr, "rest: %s\n", err);
        return -1;
    }
    return sl_connect_rest_port(rest) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sl_connect_rest_stop(rest);
    sl_connect_worker_free(worker);
    char path[256];
    snprintf(path, sizeof path, "%s/offsets", dir);
    unlink(path);
    rmdir(dir);
    return 0;
}

/* ---- tests ---------------------------------------------------------------- */

static void listener_refusals(void **state)
{
    (void)state;
    sl_connect_rest_t *r = NULL;
    char err[256];
    assert_int_equal(sl_connect_rest_start(worker, "https://127.0.0.1:0", &r, err, sizeof err), SL_ERR_CONFIG);
    assert_non_null(strstr(err, "http://"));
    assert_int_equal(sl_connect_rest_start(worker, "http://127.0.0.1", &r, err, sizeof err), SL_ERR_CONFIG);
    assert_int_equal(sl_connect_rest_start(worker, "http://127.0.0.1:99999", &r, err, sizeof err), SL_ERR_CONFIG);
    assert_int_equal(sl_connect_rest_start(worker, "http://no.such.host:80", &r, err, sizeof err), SL_ERR_CONFIG);
    char busy[64];
    snprintf(busy, sizeof busy, "http://127.0.0.1:%u", sl_connect_rest_port(rest));
    assert_int_equal(sl_connect_rest_start(worker, busy, &r, err, sizeof err), SL_ERR_IO);
    assert_null(r);
    sl_connect_rest_stop(NULL);
}

static void root_and_plugins(void **state)
{
    (void)state;
    resp_t r = req("GET", "/", NULL);
    expect_status(&r, 200);
    assert_non_null(jstr(r.json, "version"));
    assert_non_null(jstr(r.json, "commit"));
    assert_non_null(json_object_get(r.json, "kafka_cluster_id"));
    resp_free(&r);

    r = req("GET", "/connector-plugins", NULL);
    expect_status(&r, 200);
    assert_true(json_is_array(r.json));
    size_t i;
    const json_t *p;
    bool fs = false, sink_first = true, seen_source = false;
    json_array_foreach(r.json, i, p) {
        const char *type = jstr(p, "type");
        assert_non_null(jstr(p, "class"));
        assert_non_null(jstr(p, "version"));
        assert_true(strcmp(type, "source") == 0 || strcmp(type, "sink") == 0);
        seen_source |= strcmp(type, "source") == 0;
        if (seen_source && strcmp(type, "sink") == 0)
            sink_first = false;
        fs |= strcmp(jstr(p, "class"), "FileStreamSource") == 0 && strcmp(type, "source") == 0;
    }
    assert_true(fs);
    assert_true(sink_first);
    size_t connectors = json_array_size(r.json);
    resp_free(&r);

    r = req("GET", "/connector-plugins?connectorsOnly=false", NULL);
    expect_status(&r, 200);
    /* Kafka's order: connectors, transformations, predicates, converters. */
    static const char *const kinds[] = {"sink", "source", "transformation", "predicate", "converter"};
    size_t kind = 0, per_kind[5] = {0};
    bool conv = false, insert = false;
    json_array_foreach(r.json, i, p) {
        while (kind < 5 && strcmp(jstr(p, "type"), kinds[kind]) != 0)
            kind++;
        assert_true(kind < 5);
        per_kind[kind]++;
        conv |= strcmp(jstr(p, "class"), "org.apache.kafka.connect.json.JsonConverter") == 0;
        insert |= strcmp(jstr(p, "class"), "org.apache.kafka.connect.transforms.InsertField$Value") == 0;
    }
    assert_true(conv && insert);
    assert_true(per_kind[2] >= 9 && per_kind[3] >= 3 && per_kind[4] == 3);
    assert_true(json_array_size(r.json) > connectors);
    resp_free(&r);

    r = req("GET", "/connector-plugins/FileStreamSource/config", NULL);
    expect_status(&r, 200);
    assert_true(json_array_size(r.json) >= 2);
    bool topic_required = false;
    json_array_foreach(r.json, i, p) {
        assert_non_null(jstr(p, "type"));
        if (strcmp(jstr(p, "name"), "topic") == 0)
            topic_required = json_is_true(json_object_get(p, "required"));
    }
    assert_true(topic_required);
    resp_free(&r);
    r = req("GET", "/connector-plugins/org.apache.kafka.connect.transforms.RegexRouter/config", NULL);
    expect_status(&r, 200);
    bool regex = false;
    json_array_foreach(r.json, i, p)
        regex |= strcmp(jstr(p, "name"), "regex") == 0 && json_is_true(json_object_get(p, "required"));
    assert_true(regex);
    resp_free(&r);
    r = req("GET", "/connector-plugins/NoSuchConnector/config", NULL);
    expect_error(&r, 404, "NoSuchConnector");
}

static void validate(void **state)
{
    (void)state;
    /* A missing required key and a bad number: errors on "topic" and
     * "batch.size", Kafka's shape. */
    resp_t r = req("PUT", "/connector-plugins/FileStreamSourceConnector/config/validate",
                   "{\"connector.class\":\"FileStreamSource\",\"name\":\"v\",\"file\":\"/tmp/x\","
                   "\"batch.size\":\"lots\"}");
    expect_status(&r, 200);
    assert_string_not_equal(jstr(r.json, "name"), "");
    assert_int_equal(json_integer_value(json_object_get(r.json, "error_count")), 2);
    assert_true(json_is_array(json_object_get(r.json, "groups")));
    const json_t *configs = json_object_get(r.json, "configs");
    assert_true(json_array_size(configs) > 2);
    size_t i;
    const json_t *c;
    bool topic_err = false, batch_err = false, file_ok = false;
    json_array_foreach(configs, i, c) {
        const json_t *def = json_object_get(c, "definition");
        const json_t *val = json_object_get(c, "value");
        assert_non_null(jstr(def, "name"));
        assert_non_null(jstr(def, "type"));
        assert_non_null(jstr(def, "importance"));
        assert_true(json_is_array(json_object_get(val, "errors")));
        assert_true(json_is_array(json_object_get(val, "recommended_values")));
        size_t nerr = json_array_size(json_object_get(val, "errors"));
        if (strcmp(jstr(def, "name"), "topic") == 0)
            topic_err = nerr == 1 && json_is_true(json_object_get(def, "required"));
        if (strcmp(jstr(def, "name"), "batch.size") == 0)
            batch_err = nerr == 1 && strcmp(jstr(val, "value"), "lots") == 0;
        if (strcmp(jstr(def, "name"), "file") == 0)
            file_ok = nerr == 0 && strcmp(jstr(val, "value"), "/tmp/x") == 0;
    }
    assert_true(topic_err && batch_err && file_ok);
    resp_free(&r);

    /* A good one: no errors; connector.class may be left to the path. */
    r = req("PUT", "/connector-plugins/FileStreamSource/config/validate",
            "{\"name\":\"v\",\"file\":\"/tmp/x\",\"topic\":\"t\",\"tasks.max\":1}");
    expect_status(&r, 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "error_count")), 0);
    resp_free(&r);

    r = req("PUT", "/connector-plugins/FileStreamSink/config/validate", "{\"connector.class\":\"FileStreamSource\"}");
    expect_error(&r, 400, "does not match request type FileStreamSink");
    r = req("PUT", "/connector-plugins/Nope/config/validate", "{}");
    expect_error(&r, 404, "Nope");
    r = req("PUT", "/connector-plugins/FileStreamSource/config/validate", "{\"file\":[1]}");
    expect_error(&r, 400, "file");
    r = req("GET", "/connector-plugins/FileStreamSource/config/validate", NULL);
    expect_error(&r, 405, "Method Not Allowed");
}

static void lifecycle(void **state)
{
    (void)state;
    resp_t r = req("GET", "/connectors", NULL);
    expect_status(&r, 200);
    assert_int_equal(json_array_size(r.json), 0);
    resp_free(&r);

    r = req("POST", "/connectors",
            "{\"name\":\"fail\",\"config\":{\"connector.class\":\"FailSource\",\"tasks.max\":2},"
            "\"initial_state\":\"running\"}");
    expect_status(&r, 201);
    assert_string_equal(jstr(r.json, "name"), "fail");
    assert_string_equal(jstr(r.json, "type"), "source");
    assert_string_equal(jstr(json_object_get(r.json, "config"), "tasks.max"), "2");
    assert_string_equal(jstr(json_object_get(r.json, "config"), "name"), "fail");
    const json_t *tasks = json_object_get(r.json, "tasks");
    assert_int_equal(json_array_size(tasks), 2);
    assert_string_equal(jstr(json_array_get(tasks, 1), "connector"), "fail");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(tasks, 1), "task")), 1);
    resp_free(&r);

    r = req("POST", "/connectors", "{\"name\":\"fail\",\"config\":{\"connector.class\":\"FailSource\"}}");
    expect_error(&r, 409, "Connector fail already exists");

    r = req("GET", "/connectors/fail", NULL);
    expect_status(&r, 200);
    assert_string_equal(jstr(r.json, "name"), "fail");
    assert_int_equal(json_array_size(json_object_get(r.json, "tasks")), 2);
    resp_free(&r);

    r = req("GET", "/connectors/fail/config", NULL);
    expect_status(&r, 200);
    assert_string_equal(jstr(r.json, "connector.class"), "FailSource");
    resp_free(&r);

    r = req("GET", "/connectors/fail/tasks", NULL);
    expect_status(&r, 200);
    assert_int_equal(json_array_size(r.json), 2);
    const json_t *t1 = json_array_get(r.json, 1);
    assert_string_equal(jstr(json_object_get(t1, "id"), "connector"), "fail");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(t1, "id"), "task")), 1);
    assert_string_equal(jstr(json_object_get(t1, "config"), "task.id"), "1");
    resp_free(&r);

    /* The tasks fail at their first poll: FAILED with the plugin's reason. */
    assert_true(wait_state("fail", 1, "FAILED", &r));
    assert_string_equal(jstr(r.json, "name"), "fail");
    assert_string_equal(jstr(r.json, "type"), "source");
    assert_string_equal(jstr(json_object_get(r.json, "connector"), "state"), "RUNNING");
    assert_non_null(jstr(json_object_get(r.json, "connector"), "worker_id"));
    const json_t *st1 = json_array_get(json_object_get(r.json, "tasks"), 1);
    assert_int_equal(json_integer_value(json_object_get(st1, "id")), 1);
    assert_non_null(strstr(jstr(st1, "trace"), "disk is on fire"));
    resp_free(&r);

    r = req("GET", "/connectors/fail/tasks/1/status", NULL);
    expect_status(&r, 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "id")), 1);
    assert_string_equal(jstr(r.json, "state"), "FAILED");
    resp_free(&r);
    r = req("GET", "/connectors/fail/tasks/7/status", NULL);
    expect_error(&r, 404, "fail-7");
    r = req("GET", "/connectors/fail/tasks/x/status", NULL);
    expect_error(&r, 404, "Not Found");

    r = req("GET", "/connectors?expand=status&expand=info", NULL);
    expect_status(&r, 200);
    const json_t *one = json_object_get(r.json, "fail");
    assert_string_equal(jstr(json_object_get(one, "status"), "name"), "fail");
    assert_string_equal(jstr(json_object_get(one, "info"), "type"), "source");
    resp_free(&r);
    r = req("GET", "/connectors?expand=info", NULL);
    expect_status(&r, 200);
    assert_null(json_object_get(json_object_get(r.json, "fail"), "status"));
    resp_free(&r);

    /* Pause and resume: 202 without a body, the state follows. */
    r = req("PUT", "/connectors/fail/pause", NULL);
    expect_status(&r, 202);
    assert_string_equal(r.body, "");
    resp_free(&r);
    assert_true(wait_state("fail", -1, "PAUSED", &r));
    resp_free(&r);
    r = req("PUT", "/connectors/fail/resume", NULL);
    expect_status(&r, 202);
    resp_free(&r);
    assert_true(wait_state("fail", -1, "RUNNING", &r));
    resp_free(&r);

    /* Restarts: the connector alone 204; with its failed tasks 202 and
     * the status; one task 204. */
    r = req("POST", "/connectors/fail/restart", NULL);
    expect_status(&r, 204);
    resp_free(&r);
    r = req("POST", "/connectors/fail/restart?includeTasks=true&onlyFailed=true", NULL);
    expect_status(&r, 202);
    assert_string_equal(jstr(r.json, "name"), "fail");
    assert_int_equal(json_array_size(json_object_get(r.json, "tasks")), 2);
    resp_free(&r);
    r = req("POST", "/connectors/fail/tasks/0/restart", NULL);
    expect_status(&r, 204);
    resp_free(&r);
    r = req("POST", "/connectors/fail/tasks/9/restart", NULL);
    expect_error(&r, 404, "fail-9");

    /* PUT config: 200 when it replaces, 201 when it creates. */
    r = req("PUT", "/connectors/fail/config", "{\"connector.class\":\"FailSource\",\"tasks.max\":\"1\"}");
    expect_status(&r, 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "tasks")), 1);
    resp_free(&r);
    r = req("PUT", "/connectors/other/config", "{\"connector.class\":\"FailSource\",\"name\":\"other\"}");
    expect_status(&r, 201);
    assert_string_equal(jstr(r.json, "name"), "other");
    resp_free(&r);
    r = req("PUT", "/connectors/other/config", "{\"connector.class\":\"FailSource\",\"name\":\"else\"}");
    expect_error(&r, 400, "Connector name configuration (else) doesn't match connector name in the URL (other)");

    r = req("GET", "/connectors", NULL);
    expect_status(&r, 200);
    assert_int_equal(json_array_size(r.json), 2);
    assert_string_equal(json_string_value(json_array_get(r.json, 0)), "fail");
    assert_string_equal(json_string_value(json_array_get(r.json, 1)), "other");
    resp_free(&r);

    r = req("DELETE", "/connectors/fail", NULL);
    expect_status(&r, 204);
    resp_free(&r);
    r = req("DELETE", "/connectors/other", NULL);
    expect_status(&r, 204);
    resp_free(&r);
    r = req("GET", "/connectors/fail", NULL);
    expect_error(&r, 404, "Connector fail not found");
    r = req("GET", "/connectors", NULL);
    assert_int_equal(json_array_size(r.json), 0);
    resp_free(&r);
}

static void bad_configs(void **state)
{
    (void)state;
    /* Kafka's sentence, listing every error. */
    resp_t r = req("POST", "/connectors",
                   "{\"name\":\"src\",\"config\":{\"connector.class\":\"FileStreamSource\",\"file\":\"/tmp/x\","
                   "\"batch.size\":\"lots\"}}");
    expect_error(&r, 400, "Connector configuration is invalid and contains the following 2 error(s):");
    r = req("POST", "/connectors", "{\"name\":\"src\",\"config\":{\"connector.class\":\"NoSuchThing\"}}");
    expect_error(&r, 400, "NoSuchThing");
    r = req("POST", "/connectors", "{\"name\":\"src\",\"config\":{\"connector.class\":\"FailSource\","
                                   "\"name\":\"other\"}}");
    expect_error(&r, 400, "doesn't match");
    r = req("POST", "/connectors", "{\"name\":\"src\"}");
    expect_error(&r, 400, "config");
    r = req("POST", "/connectors", "{\"name\":\"src\",\"config\":{\"connector.class\":\"FailSource\"},"
                                   "\"initial_state\":\"stopped\"}");
    expect_error(&r, 400, "initial_state stopped is not supported");
    r = req("POST", "/connectors", "{\"name\":\"src\",\"config\":{\"connector.class\":\"FailSource\"},"
                                   "\"initial_state\":\"DONE\"}");
    expect_error(&r, 400, "Invalid initial_state");
    r = req("POST", "/connectors", "{\"name\":\"src\",\"config\":{\"tasks.max\":{\"a\":1}}}");
    expect_error(&r, 400, "tasks.max");
    r = req("POST", "/connectors", "{\"name\":\"src\",\"config\":");
    expect_error(&r, 400, "not valid JSON");
    r = req("POST", "/connectors", "[1,2]");
    expect_error(&r, 400, "JSON object");
    r = req("POST", "/connectors", "");
    expect_error(&r, 400, "empty");
    r = req_typed("POST", "/connectors", "name=x", "application/x-www-form-urlencoded");
    expect_error(&r, 415, "Unsupported Media Type");
    r = req("GET", "/connectors", NULL);
    assert_int_equal(json_array_size(r.json), 0);
    resp_free(&r);
}

static void unknown_names_and_routes(void **state)
{
    (void)state;
    const char *paths[][2] = {
        {"GET", "/connectors/nope"},          {"GET", "/connectors/nope/config"},
        {"GET", "/connectors/nope/status"},   {"GET", "/connectors/nope/tasks"},
        {"PUT", "/connectors/nope/pause"},    {"PUT", "/connectors/nope/resume"},
        {"POST", "/connectors/nope/restart"}, {"DELETE", "/connectors/nope"},
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        resp_t r = req(paths[i][0], paths[i][1], NULL);
        expect_error(&r, 404, "Connector nope not found");
    }
    resp_t r = req("GET", "/nothing/here", NULL);
    expect_error(&r, 404, "Not Found");
    r = req("GET", "/connectors/a/b/c/d/e/f/g", NULL);
    expect_error(&r, 404, "Not Found");
    r = req("GET", "/connectors//status", NULL);
    expect_error(&r, 404, "Not Found");
    r = req("DELETE", "/connectors", NULL);
    assert_string_equal(r.allow, "GET, POST");
    expect_error(&r, 405, "Method Not Allowed");
    r = req("HEAD", "/connectors", NULL);
    expect_status(&r, 200);
    assert_string_equal(r.body, "");
    resp_free(&r);
    r = req("POST", "/connectors/x/pause", NULL);
    expect_error(&r, 405, "Method Not Allowed");
    r = req("GET", "/connectors/%zz", NULL);
    expect_error(&r, 400, "escape");
    r = req("GET", "/connectors/a%00b", NULL);
    expect_error(&r, 400, "escape");
}

static void encoded_names(void **state)
{
    (void)state;
    resp_t r = req("POST", "/connectors",
                   "{\"name\":\" a b/c\\u00e9 \",\"config\":{\"connector.class\":\"FailSource\"}}");
    expect_status(&r, 201);
    assert_string_equal(jstr(r.json, "name"), "a b/c\xc3\xa9");
    assert_string_equal(r.location, "http://localhost/connectors/a%20b%2Fc%C3%A9");
    resp_free(&r);
    r = req("GET", "/connectors/a%20b%2Fc%C3%A9/config", NULL);
    expect_status(&r, 200);
    assert_string_equal(jstr(r.json, "name"), "a b/c\xc3\xa9");
    resp_free(&r);
    /* An unescaped '/' splits the path: another route, or none. */
    r = req("GET", "/connectors/a%20b/c%C3%A9", NULL);
    expect_error(&r, 404, "HTTP 404 Not Found");
    r = req("GET", "/connectors/a%20b/status", NULL);
    expect_error(&r, 404, "Connector a b not found");
    r = req("DELETE", "/connectors/a%20b%2fc%c3%a9/", NULL);
    expect_status(&r, 204);
    resp_free(&r);
}

static void bad_requests(void **state)
{
    (void)state;
    /* A body over 1 MiB: 413, and nothing created. */
    size_t n = 1024 * 1024 + 100;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, ' ', n);
    big[n] = '\0';
    memcpy(big, "{\"name\":\"big\",\"config\":{\"connector.class\":\"FailSource\"}}", 55);
    resp_t r = req("POST", "/connectors", big);
    expect_error(&r, 413, "larger than");
    free(big);

    /* Garbage and half requests: answered or dropped, the service lives. */
    const char *junk[] = {
        "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 garbage\r\n\r\n",
        "GET\r\n\r\n",
        "GET /connectors HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
        "POST /connectors HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n{",
        "POST /connectors HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "PUT /connectors/x/config HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{\"a\"",
    };
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++)
        free(req_raw(junk[i], strlen(junk[i])));
    char deep[4096];
    size_t k = 0;
    k += (size_t)snprintf(deep, sizeof deep, "{\"name\":\"d\",\"config\":");
    while (k < 3000)
        deep[k++] = '[';
    deep[k] = '\0';
    r = req("POST", "/connectors", deep);
    expect_error(&r, 400, "not valid JSON");

    r = req("GET", "/connectors", NULL);
    expect_status(&r, 200);
    assert_int_equal(json_array_size(r.json), 0);
    resp_free(&r);
}

/* Random requests over the route shapes (methods, escapes, task ids,
 * bodies of every kind): each is answered with one of the statuses the
 * API uses and never 500; the service then lists and deletes whatever
 * they created. */
static void random_requests(void **state)
{
    (void)state;
    static const char *const methods[] = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"};
    /* Each place of a path draws from its own pool, so most requests
     * reach a route. */
    static const char *const pools[5][8] = {
        {"connectors", "connectors", "connector-plugins", "x", "connectors", "connector-plugins", "%63onnectors", ""},
        {"r", "r2", "FailSource", "FileStreamSink", "r%20x", "%2F", "%", "%C3%28"},
        {"config", "status", "tasks", "restart", "pause", "resume", "config", "x"},
        {"0", "-1", "99999999999", "validate", "1", "x", "+0", "0"},
        {"status", "restart", "validate", "status", "restart", "x", "y", "z"},
    };
    static const char *const queries[] = {"", "", "", "?expand=status&expand=info", "?includeTasks=true&onlyFailed=x",
                                          "?connectorsOnly=false", "?expand", "?%zz=1&a=%"};
    static const char *const bodies[] = {
        NULL, "", "{", "[]", "null", "1e999", "\"x\"", "{\"name\":\"r\"}", "{\"config\":{}}",
        "{\"name\":\"r\",\"config\":{\"connector.class\":\"FailSource\"}}",
        "{\"name\":\"r2\",\"config\":{\"connector.class\":\"FailSource\",\"tasks.max\":\"3\"}}",
        "{\"connector.class\":\"FailSource\",\"tasks.max\":-1}", "{\"connector.class\":\"FileStreamSink\"}",
        "{\"a\":{\"b\":[1,2,{}]}}", "{\"name\":\"\\u0000\"}", "\xff\xfe\x00garbage",
        "{\"name\":\"r\",\"name\":\"r\"}", "{\"tasks.max\":true,\"x\":1.5}",
    };
    uint32_t seed = 12345;
    int counts[600] = {0};
    for (int i = 0; i < 400; i++) {
        char path[512];
        size_t off = 0;
        seed = seed * 1103515245u + 12345u;
        int nseg = (int)((seed >> 16) % 6);
        for (int k = 0; k < nseg; k++) {
            seed = seed * 1103515245u + 12345u;
            off += (size_t)snprintf(path + off, sizeof path - off, "/%s", pools[k][(seed >> 16) % 8]);
        }
        seed = seed * 1103515245u + 12345u;
        off += (size_t)snprintf(path + off, sizeof path - off, "%s",
                                queries[(seed >> 16) % (sizeof queries / sizeof queries[0])]);
        if (path[0] != '/') {
            memmove(path + 1, path, strlen(path) + 1);
            path[0] = '/';
        }
        seed = seed * 1103515245u + 12345u;
        const char *m = methods[(seed >> 16) % (sizeof methods / sizeof methods[0])];
        seed = seed * 1103515245u + 12345u;
        const char *body = bodies[(seed >> 16) % (sizeof bodies / sizeof bodies[0])];
        if (i % 4 == 0) {
            /* Every fourth creates or replaces one of the names, so the
             * others find connectors to act on. */
            seed = seed * 1103515245u + 12345u;
            snprintf(path, sizeof path, "/connectors/%s/config", pools[1][(seed >> 16) % 8]);
            m = "PUT";
            body = "{\"connector.class\":\"FailSource\",\"tasks.max\":\"2\"}";
        }
        resp_t r = req(m, path, body);
        if (r.status < 200 || r.status >= 600 || r.status == 500)
            fail_msg("%s %s with %s: %d %s", m, path, body ? body : "(none)", r.status, r.body);
        if (r.status >= 400 && r.json &&
            (json_integer_value(json_object_get(r.json, "error_code")) != r.status || !jstr(r.json, "message")))
            fail_msg("%s %s: error body %s", m, path, r.body);
        counts[r.status]++;
        resp_free(&r);
    }
    printf("random requests: 200 %d, 201 %d, 202 %d, 204 %d, 400 %d, 404 %d, 405 %d, 409 %d, 415 %d\n",
           counts[200], counts[201], counts[202], counts[204], counts[400], counts[404], counts[405], counts[409],
           counts[415]);
    /* The run reached the routes, not only the 404 of unknown paths. */
    assert_true(counts[200] > 10);
    assert_true(counts[201] + counts[202] + counts[204] >= 5);
    assert_true(counts[404] > 10);
    assert_true(counts[400] + counts[405] + counts[409] + counts[415] > 10);
    resp_t r = req("GET", "/connectors", NULL);
    expect_status(&r, 200);
    size_t i;
    const json_t *name;
    json_array_foreach(r.json, i, name) {
        char path[256];
        size_t off = (size_t)snprintf(path, sizeof path, "/connectors/");
        for (const char *c = json_string_value(name); *c && off + 4 < sizeof path; c++)
            off += (size_t)snprintf(path + off, sizeof path - off, "%%%02X", (unsigned char)*c);
        resp_t d = req("DELETE", path, NULL);
        expect_status(&d, 204);
        resp_free(&d);
    }
    resp_free(&r);
    r = req("GET", "/", NULL);
    expect_status(&r, 200);
    resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(listener_refusals),
        cmocka_unit_test(root_and_plugins),
        cmocka_unit_test(validate),
        cmocka_unit_test(lifecycle),
        cmocka_unit_test(bad_configs),
        cmocka_unit_test(unknown_names_and_routes),
        cmocka_unit_test(encoded_names),
        cmocka_unit_test(bad_requests),
        cmocka_unit_test(random_requests),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
