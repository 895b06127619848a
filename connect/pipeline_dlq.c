/*
 * pipeline_dlq.c - a sink task's dead letter queue (Kafka's
 * DeadLetterQueueReporter): a consumed record that failed conversion or a
 * transform, with errors.tolerance=all, is produced as it was read (key,
 * value, headers and timestamp) to errors.deadletterqueue.topic.name, with
 * the __connect.errors.* headers added when
 * errors.deadletterqueue.context.headers.enable=true.
 *
 * The topic (one partition) is created with the admin client and the
 * producer started at the first dead-lettered record, not at task start
 * as Kafka does: a task that never meets a bad record never connects.
 * Records are produced asynchronously; sl_connect_dlq_flush waits for their
 * acknowledgements (the sink calls it before committing offsets).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xform_int.h"

#define HDR_PREFIX "__connect.errors."
#define ERR_HEADERS 10

struct sl_connect_dlq {
    char *topic;
    int16_t replication_factor;
    bool context_headers;
    char *connector;
    int task;
    sl_conf_t *conf;               /* producer and admin settings */
    sl_producer_t *producer;       /* NULL until the first record */
    uint64_t failed;               /* deliveries that failed since the last flush */
    sl_err_t first_err;
    sl_msg_header_t *headers;      /* reused record after record */
    size_t header_cap;
    sl_buf_t text;                 /* the error headers' values */
};

sl_err_t sl_connect_dlq_new(const char *topic, int16_t replication_factor, bool context_headers,
                            const char *connector, int task, const sl_conf_t *producer_conf,
                            sl_connect_dlq_t **out)
{
    *out = NULL;
    sl_connect_dlq_t *d = calloc(1, sizeof(*d));
    if (!d)
        return SL_ERR_NOMEM;
    sl_buf_init(&d->text);
    d->replication_factor = replication_factor;
    d->context_headers = context_headers;
    d->task = task;
    d->conf = producer_conf ? sl_conf_dup(producer_conf) : sl_conf_new();
    char id[300];
    snprintf(id, sizeof(id), "connector-dlq-producer-%s-%d", connector, task);
    if (!(d->topic = strdup(topic)) || !(d->connector = strdup(connector)) || !d->conf ||
        sl_conf_set(d->conf, "client.id", id, NULL, 0) ||
        sl_conf_set(d->conf, "linger.ms", "5", NULL, 0)) {
        sl_connect_dlq_free(d);
        return SL_ERR_NOMEM;
    }
    *out = d;
    return SL_OK;
}

static void on_delivery(sl_producer_t *p, const sl_message_t *msg, void *arg)
{
    (void)p;
    sl_connect_dlq_t *d = arg;
    if (msg->err && !d->failed++)
        d->first_err = msg->err;
}

/* Creates the topic when missing (one partition, the replication factor
 * asked for) and starts the producer. */
static sl_err_t dlq_start(sl_connect_dlq_t *d, char *errbuf, size_t errlen)
{
    sl_admin_t *admin = NULL;
    char why[400] = "";
    sl_err_t err = sl_admin_new(d->conf, &admin, why, sizeof(why));
    if (!err) {
        sl_arena_t arena;
        sl_arena_init(&arena, 1024, 0);
        sl_new_topic_t t = {.name = d->topic, .partitions = 1,
                            .replication_factor = d->replication_factor};
        err = sl_admin_create_topics(admin, &t, 1, false, &arena, -1);
        if (err)
            sl_admin_last_error(admin, why, sizeof(why));
        else if (t.err && t.err != SL_ERR_TOPIC_ALREADY_EXISTS)
            snprintf(why, sizeof(why), "%s", t.message ? t.message : sl_err_str(t.err));
        if (!err && t.err != SL_ERR_TOPIC_ALREADY_EXISTS)
            err = t.err;
        sl_arena_fini(&arena);
    }
    sl_admin_free(admin);
    if (err) {
        if (errbuf)
            snprintf(errbuf, errlen, "cannot create the dead letter queue topic %s (%s): %s",
                     d->topic, sl_err_name(err), why);
        return err;
    }
    err = sl_producer_new(d->conf, on_delivery, d, &d->producer, why, sizeof(why));
    if (err && errbuf)
        snprintf(errbuf, errlen, "cannot start the dead letter queue producer: %s", why);
    return err;
}

/* Room for n headers in d->headers. */
static sl_err_t headers_room(sl_connect_dlq_t *d, size_t n)
{
    if (n <= d->header_cap)
        return SL_OK;
    sl_msg_header_t *h = realloc(d->headers, n * sizeof(*h));
    if (!h)
        return SL_ERR_NOMEM;
    d->headers = h;
    d->header_cap = n;
    return SL_OK;
}

sl_err_t sl_connect_dlq_send(sl_connect_dlq_t *d, const sl_message_t *msg,
                             const sl_connect_dlq_error_t *e, char *errbuf, size_t errlen)
{
    sl_err_t err;
    if (!d->producer && (err = dlq_start(d, errbuf, errlen)))
        return err;
    size_t n = msg->header_count + (d->context_headers ? ERR_HEADERS : 0);
    if ((err = headers_room(d, n ? n : 1)))
        return err;
    if (msg->header_count)
        memcpy(d->headers, msg->headers, msg->header_count * sizeof(*d->headers));
    if (d->context_headers) {
        /* Kafka's headers: every value is text (numbers in decimal). */
        char num[3][24];
        snprintf(num[0], sizeof(num[0]), "%d", (int)msg->partition);
        snprintf(num[1], sizeof(num[1]), "%lld", (long long)msg->offset);
        snprintf(num[2], sizeof(num[2]), "%d", d->task);
        const char *vals[ERR_HEADERS] = {msg->topic, num[0], num[1], d->connector, num[2],
                                         e->stage, e->class_name, e->exception_class,
                                         e->message, e->stacktrace};
        static const char *const keys[ERR_HEADERS] = {
            HDR_PREFIX "topic", HDR_PREFIX "partition", HDR_PREFIX "offset",
            HDR_PREFIX "connector.name", HDR_PREFIX "task.id", HDR_PREFIX "stage",
            HDR_PREFIX "class.name", HDR_PREFIX "exception.class.name",
            HDR_PREFIX "exception.message", HDR_PREFIX "exception.stacktrace"};
        size_t at[ERR_HEADERS];
        sl_buf_reset(&d->text);
        for (int i = 0; i < ERR_HEADERS; i++) {
            at[i] = d->text.len;
            sl_buf_put(&d->text, vals[i] ? vals[i] : "", vals[i] ? strlen(vals[i]) : 0);
        }
        if ((err = sl_buf_err(&d->text)))
            return err;
        for (int i = 0; i < ERR_HEADERS; i++) {
            size_t end = i + 1 < ERR_HEADERS ? at[i + 1] : d->text.len;
            d->headers[msg->header_count + (size_t)i] = (sl_msg_header_t){
                keys[i], d->text.data ? (const void *)(d->text.data + at[i]) : "",
                (int32_t)(end - at[i])};
        }
    }
    sl_produce_rec_t pr = {
        .topic = d->topic,
        .partition = SL_PARTITION_ANY,
        .key = msg->key, .key_len = msg->key ? msg->key_len : -1,
        .value = msg->value, .value_len = msg->value ? msg->value_len : -1,
        .headers = d->headers, .header_count = n,
        .timestamp = msg->timestamp > 0 ? msg->timestamp : 0,
    };
    for (int tries = 0;; tries++) {
        err = sl_producer_send(d->producer, &pr);
        if (err != SL_ERR_AGAIN || tries >= 100)
            break;
        sl_producer_poll(d->producer, 100);
    }
    if (err && errbuf)
        snprintf(errbuf, errlen, "cannot produce to the dead letter queue topic %s: %s",
                 d->topic, sl_err_str(err));
    sl_producer_poll(d->producer, 0);
    return err;
}

sl_err_t sl_connect_dlq_flush(sl_connect_dlq_t *d, int timeout_ms, char *errbuf, size_t errlen)
{
    if (!d || !d->producer)
        return SL_OK;
    sl_err_t err = sl_producer_flush(d->producer, timeout_ms);
    if (!err && d->failed)
        err = d->first_err;
    if (err && errbuf)
        snprintf(errbuf, errlen, "%llu record(s) could not be produced to the dead letter queue "
                 "topic %s: %s", (unsigned long long)(d->failed ? d->failed : 1), d->topic,
                 sl_err_str(err));
    d->failed = 0;
    d->first_err = SL_OK;
    return err;
}

void sl_connect_dlq_free(sl_connect_dlq_t *d)
{
    if (!d)
        return;
    if (d->producer) {
        if (sl_connect_dlq_flush(d, 30000, NULL, 0))
            SL_WARN("connect", "dead letter queue %s: records not acknowledged at close",
                    d->topic);
        sl_producer_free(d->producer);
    }
    sl_conf_free(d->conf);
    free(d->headers);
    sl_buf_free(&d->text);
    free(d->topic);
    free(d->connector);
    free(d);
}
