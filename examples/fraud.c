/*
 * fraud.c - sluice-example-fraud: a custom processor (the Processor API)
 * with a key-value store and a stream-time punctuator. Card transactions
 * (topic transactions: key the card, value the amount in decimal, e.g.
 * "12.50") are kept per card in the store "card-activity" (the card's
 * transactions of the last --window-ms, default one minute). Every
 * --check-ms of stream time (default 10 s) a punctuator scans the store and
 * flags a card that made more than --max-tx transactions (default 5) or
 * spent more than --limit (default 1000) within one window, writing one
 * alert per burst to topic fraud-alerts: key the card, value
 * {"card":"...","rule":"count"|"amount"|"count+amount","transactions":N,
 *  "amount":"X.YY","window_start":MS,"window_end":MS}
 * (the window is the latest offending one: window_end is its last
 * transaction's timestamp). The punctuator also forgets transactions too
 * old to matter, so the store stays bounded.
 *
 * A card's record in the store is text: "ALERTED TS:CENTS TS:CENTS ..."
 * (ALERTED: the newest transaction already alerted on, -1 if none), at
 * most MAX_KEPT transactions, the oldest dropped first.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "example.h"

#define STORE "card-activity"
#define MAX_KEPT 64

static int64_t max_tx = 5;
static int64_t limit = 1000;
static int64_t window_ms = 60 * 1000;
static int64_t check_ms = 10 * 1000;

typedef struct history {
    int64_t alerted;
    size_t n;
    int64_t ts[MAX_KEPT];
    int64_t cents[MAX_KEPT];
} history_t;

typedef struct fraud {
    sl_store_t *store;
} fraud_t;

/* A decimal amount ("12", "12.5", "-0.75") in hundredths; false on anything
 * else or beyond a trillion. */
static bool parse_cents(const sl_val_t *v, int64_t *out)
{
    if (sl_val_is_null(v) || (v->type != SL_V_STRING && v->type != SL_V_BYTES))
        return false;
    const uint8_t *p = v->u.bytes.ptr, *end = p + v->u.bytes.len;
    bool neg = p < end && *p == '-';
    p += neg;
    int64_t whole = 0, frac = 0;
    int digits = 0, fdigits = 0;
    for (; p < end && *p >= '0' && *p <= '9'; p++, digits++) {
        if (whole > 1000000000000LL)
            return false;
        whole = whole * 10 + (*p - '0');
    }
    if (p < end && *p == '.') {
        for (p++; p < end && *p >= '0' && *p <= '9'; p++, fdigits++)
            if (fdigits < 3)
                frac = frac * 10 + (*p - '0');
    }
    if (p != end || (digits == 0 && fdigits == 0))
        return false;
    for (int i = fdigits; i < 3; i++)
        frac *= 10;
    int64_t c = whole * 100 + (frac + 5) / 10; /* thousandths, rounded */
    *out = neg ? -c : c;
    return true;
}

/* Reads the store's text for a card; an unreadable record starts afresh. */
static void history_read(const sl_val_t *v, history_t *h)
{
    h->alerted = -1;
    h->n = 0;
    if (sl_val_is_null(v) || (v->type != SL_V_STRING && v->type != SL_V_BYTES) || v->u.bytes.len > 4096)
        return;
    char buf[4097];
    memcpy(buf, v->u.bytes.ptr, v->u.bytes.len);
    buf[v->u.bytes.len] = '\0';
    char *p = buf, *end;
    h->alerted = strtoll(p, &end, 10);
    for (p = end; h->n < MAX_KEPT && *p == ' ';) {
        int64_t ts = strtoll(p + 1, &end, 10);
        if (*end != ':')
            break;
        h->ts[h->n] = ts;
        h->cents[h->n++] = strtoll(end + 1, &p, 10);
    }
}

/* Writes h back (deleting the card when nothing is left). */
static void history_write(sl_ctx_t *ctx, sl_store_t *st, const sl_val_t *card, const history_t *h)
{
    if (h->n == 0) {
        sl_kv_delete(st, card);
        return;
    }
    size_t cap = 24 + h->n * 44, len;
    char *s = sl_ctx_alloc(ctx, cap);
    if (!s)
        return;
    len = (size_t)snprintf(s, cap, "%" PRId64, h->alerted);
    for (size_t i = 0; i < h->n && len < cap; i++)
        len += (size_t)snprintf(s + len, cap - len, " %" PRId64 ":%" PRId64, h->ts[i], h->cents[i]);
    sl_val_t v = sl_val_str_ref(s, len);
    sl_kv_put(st, card, &v);
}

static void history_drop(history_t *h, size_t k)
{
    memmove(h->ts, h->ts + k, (h->n - k) * sizeof h->ts[0]);
    memmove(h->cents, h->cents + k, (h->n - k) * sizeof h->cents[0]);
    h->n -= k;
}

static void process(sl_ctx_t *ctx, void *state, const sl_val_t *card, const sl_val_t *amount)
{
    fraud_t *f = state;
    int64_t cents;
    if (sl_val_is_null(card) || !parse_cents(amount, &cents)) {
        fprintf(stderr, "sluice-example-fraud: skipped a record at %s[%" PRId32 "]@%" PRId64
                        ": no card or not an amount\n",
                sl_ctx_topic(ctx), sl_ctx_partition(ctx), sl_ctx_offset(ctx));
        return;
    }
    history_t h;
    sl_val_t cur;
    sl_err_t e = sl_kv_get(f->store, card, &cur);
    history_read(e ? NULL : &cur, &h);
    if (h.n == MAX_KEPT)
        history_drop(&h, 1);
    /* Kept in timestamp order; a late one goes where it belongs. */
    int64_t ts = sl_ctx_timestamp(ctx);
    size_t i = h.n;
    while (i > 0 && h.ts[i - 1] > ts)
        i--;
    memmove(h.ts + i + 1, h.ts + i, (h.n - i) * sizeof h.ts[0]);
    memmove(h.cents + i + 1, h.cents + i, (h.n - i) * sizeof h.cents[0]);
    h.ts[i] = ts;
    h.cents[i] = cents;
    h.n++;
    history_write(ctx, f->store, card, &h);
}

/* The punctuator's scan reads every card first (a write would end the
 * values being read), then alerts and writes each back. */
typedef struct scan_item {
    struct scan_item *next;
    sl_val_t card;
    history_t h;
} scan_item_t;

typedef struct scan {
    sl_ctx_t *ctx;
    scan_item_t *items;
} scan_t;

static bool scan_card(const sl_val_t *card, const sl_val_t *value, void *arg)
{
    scan_t *s = arg;
    scan_item_t *it = sl_ctx_alloc(s->ctx, sizeof *it);
    if (!it || card->type != SL_V_STRING)
        return it != NULL;
    it->card = sl_val_strn(s->ctx, (const char *)card->u.bytes.ptr, card->u.bytes.len);
    history_read(value, &it->h);
    it->next = s->items;
    s->items = it;
    return true;
}

/* Reports the newest window (window_ms ending at one of the card's
 * transactions) that breaks a rule, counting only transactions after the
 * last alert, so that one burst gets one alert. */
static void alert_if_due(sl_ctx_t *ctx, const sl_val_t *card, history_t *h)
{
    for (size_t end = h->n; end-- > 0 && h->ts[end] > h->alerted;) {
        int64_t sum = 0;
        size_t n = 0, first = end;
        for (size_t j = end + 1; j-- > 0 && h->ts[j] > h->ts[end] - window_ms && h->ts[j] > h->alerted;) {
            sum += h->cents[j];
            n++;
            first = j;
        }
        bool count = (int64_t)n > max_tx, amount = sum > limit * 100;
        if (!count && !amount)
            continue;
        const char *c = ex_json_text(ctx, card);
        int64_t abs = sum < 0 ? -sum : sum;
        sl_val_t v = sl_val_printf(ctx,
                                   "{\"card\":\"%s\",\"rule\":\"%s\",\"transactions\":%zu,\"amount\":\"%s%" PRId64
                                   ".%02" PRId64 "\",\"window_start\":%" PRId64 ",\"window_end\":%" PRId64 "}",
                                   c ? c : "", count && amount ? "count+amount" : count ? "count" : "amount", n,
                                   sum < 0 ? "-" : "", abs / 100, abs % 100, h->ts[first], h->ts[end]);
        sl_ctx_forward_ts(ctx, card, &v, h->ts[end]);
        h->alerted = h->ts[h->n - 1];
        return;
    }
}

static void punctuate(sl_ctx_t *ctx, int64_t now, void *arg)
{
    fraud_t *f = arg;
    scan_t s = {ctx, NULL};
    if (sl_kv_all(f->store, scan_card, &s))
        return;
    for (scan_item_t *it = s.items; it; it = it->next) {
        alert_if_due(ctx, &it->card, &it->h);
        /* Transactions before now - window_ms can no longer matter. */
        size_t old = 0;
        while (old < it->h.n && it->h.ts[old] <= now - window_ms)
            old++;
        history_drop(&it->h, old);
        history_write(ctx, f->store, &it->card, &it->h);
    }
}

static sl_err_t init(sl_ctx_t *ctx, void **state, void *arg)
{
    (void)arg;
    fraud_t *f = calloc(1, sizeof *f);
    if (!f)
        return SL_ERR_NOMEM;
    f->store = sl_ctx_store(ctx, STORE);
    if (!f->store || !sl_ctx_schedule(ctx, check_ms, SL_PUNCT_STREAM_TIME, punctuate, f)) {
        free(f);
        return SL_ERR_INVAL;
    }
    *state = f;
    return SL_OK;
}

static void close_fraud(void *state, void *arg)
{
    (void)arg;
    free(state);
}

static const sl_processor_def_t fraud_def = {init, process, close_fraud};

static SL_TOPOLOGY(fraud_detection)
{
    static const sl_store_def_t store = {
        .name = STORE, .kind = SL_STORE_KV, .ks = SL_STRING, .vs = SL_STRING, .logging = true, .caching = true,
    };
    sl_builder_add_store(sl_b, &store);
    SL_STREAM(transactions, "transactions", SL_STRING, SL_STRING);
    SL_PROCESS(alerts, transactions, &fraud_def, STORE);
    SL_TO(alerts, "fraud-alerts", SL_STRING, SL_STRING);
}

int main(int argc, char **argv)
{
    static const char *const topics[] = {"transactions", "fraud-alerts", NULL};
    static const ex_opt_t opts[] = {
        {"max-tx", "alert on more transactions than this within a window", &max_tx, 1, MAX_KEPT - 1},
        {"limit", "alert on a sum over this (whole units) within a window", &limit, 0, 1000000000},
        {"window-ms", "the window, ms", &window_ms, 1, INT64_MAX / 4},
        {"check-ms", "stream time between scans of the store, ms", &check_ms, 1, INT64_MAX / 4},
        {NULL, NULL, NULL, 0, 0},
    };
    static const ex_def_t def = {
        .prog = "sluice-example-fraud",
        .summary = "Flags card fraud with a custom processor: transactions from topic transactions\n"
                   "(key card, value amount, e.g. 12.50) are kept per card in the store\n"
                   "card-activity; every --check-ms of stream time a punctuator flags the cards\n"
                   "with more than --max-tx transactions or a sum over --limit within --window-ms\n"
                   "and writes one alert per burst to topic fraud-alerts: key the card, value\n"
                   "{\"card\":...,\"rule\":...,\"transactions\":N,\"amount\":...,\"window_start\":MS,\"window_end\":MS}.",
        .app_id = "sluice-example-fraud",
        .topology = fraud_detection,
        .topics = topics,
        .opts = opts,
    };
    return ex_main(&def, argc, argv);
}
