/*
 * gen.h - a deterministic Nexmark event generator for the SQL benchmark
 * (bench_sql.c): persons, auctions and bids in Nexmark's proportions (1 : 3
 * : 46 of every 50 events), with its id ranges, hot auctions, bidders and
 * sellers, price distribution and average value sizes (person ~200 bytes,
 * auction ~500, padded with `extra` as Nexmark does; a bid's fields alone
 * take ~140 bytes of JSON, more than Nexmark's 100, so bids get none). The same
 * seed gives the same events.
 *
 * Events are written as JSON text, the way a Nexmark source writes them to
 * three topics: "person" (key: the person's id), "auction" (key: the
 * auction's id) and "bid" (no key). Field names are Nexmark's (id, name,
 * emailAddress, creditCard, city, state, dateTime, extra; id, itemName,
 * description, initialBid, reserve, dateTime, expires, seller, category,
 * extra; auction, bidder, price, channel, url, dateTime, extra); dateTime
 * and expires are epoch milliseconds. Event time advances by 0.1 ms an
 * event (Nexmark's default 10,000 events a second).
 */
#ifndef SL_BENCH_NEXMARK_GEN_H
#define SL_BENCH_NEXMARK_GEN_H

#include <stddef.h>
#include <stdint.h>

typedef enum nx_kind { NX_PERSON, NX_AUCTION, NX_BID } nx_kind_t;

typedef struct nx_event {
    nx_kind_t kind;
    const char *topic;      /* "person", "auction" or "bid" */
    char key[24];           /* JSON text: the id, or "null" for bids */
    char *value;            /* JSON text, NUL-terminated (gen's memory) */
    size_t value_len;
    int64_t timestamp;      /* ms */
} nx_event_t;

typedef struct nx_gen {
    uint64_t rng;
    uint64_t next_id;       /* the next event's number */
    int64_t base_ms;        /* event time of event 0 */
    char buf[1024];         /* the last event's value */
} nx_gen_t;

void nx_gen_init(nx_gen_t *g, uint64_t seed, int64_t base_ms);
/* The next event; its value lives in g until the next call. */
void nx_gen_next(nx_gen_t *g, nx_event_t *ev);

#endif
