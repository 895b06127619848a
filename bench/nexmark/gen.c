/*
 * gen.c - the Nexmark event generator (see gen.h): which event an id is,
 * the ids it refers to (hot ones more often), its fields and its padding.
 */
#include "gen.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define NX_PROPORTION_TOTAL 50
#define NX_PERSONS 1        /* of every 50 events */
#define NX_AUCTIONS 3
#define NX_FIRST_PERSON_ID 1000
#define NX_FIRST_AUCTION_ID 1000
#define NX_FIRST_CATEGORY_ID 10
#define NX_CATEGORIES 5
#define NX_HOT_AUCTION_RATIO 2
#define NX_HOT_BIDDER_RATIO 4
#define NX_HOT_SELLER_RATIO 4
#define NX_ACTIVE_PEOPLE 1000
#define NX_IN_FLIGHT_AUCTIONS 100
#define NX_PERSON_BYTES 200
#define NX_AUCTION_BYTES 500
#define NX_BID_BYTES 100

static const char *const first_names[] = {"Peter", "Paul",  "Luke",  "John",   "Saul",  "Vicky",
                                          "Kate",  "Julie", "Sarah", "Deiter", "Walter"};
static const char *const last_names[] = {"Shultz", "Abrams", "Spencer", "White", "Bartels",
                                         "Walton", "Smith",  "Jones",   "Noris"};
static const char *const cities[] = {"Phoenix", "Los Angeles", "San Francisco", "Boise",   "Portland",
                                     "Bend",    "Redmond",     "Seattle",       "Kent",    "Cheyenne"};
static const char *const states[] = {"AZ", "CA", "ID", "OR", "WA", "WY"};
static const char *const channels[] = {"Google", "Facebook", "Baidu", "Apple"};

#define NX_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t rnd(nx_gen_t *g)
{
    uint64_t z = (g->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t below(nx_gen_t *g, uint64_t n)
{
    return n ? rnd(g) % n : 0;
}

static double unit(nx_gen_t *g)
{
    return (double)(rnd(g) >> 11) / 9007199254740992.0;
}

/* n random lower-case letters into out (NUL-terminated). */
static void letters(nx_gen_t *g, char *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (char)('a' + below(g, 26));
    out[n] = '\0';
}

/* Nexmark's prices: 10^(6u) cents, rounded. */
static int64_t price(nx_gen_t *g)
{
    return (int64_t)llround(pow(10.0, unit(g) * 6.0) * 100.0);
}

/* How many persons and auctions exist before event id. */
static uint64_t persons_before(uint64_t id)
{
    uint64_t epoch = id / NX_PROPORTION_TOTAL, off = id % NX_PROPORTION_TOTAL;
    return epoch * NX_PERSONS + (off < NX_PERSONS ? off : NX_PERSONS);
}

static uint64_t auctions_before(uint64_t id)
{
    uint64_t epoch = id / NX_PROPORTION_TOTAL, off = id % NX_PROPORTION_TOTAL;
    uint64_t a = off < NX_PERSONS ? 0 : off - NX_PERSONS;
    return epoch * NX_AUCTIONS + (a < NX_AUCTIONS ? a : NX_AUCTIONS);
}

/* A person id for an auction's seller or a bid's bidder: a hot one (a
 * multiple of ratio) most of the time, else one of the recently active. */
static uint64_t some_person(nx_gen_t *g, uint64_t id, uint64_t ratio)
{
    uint64_t n = persons_before(id);
    if (n == 0)
        return NX_FIRST_PERSON_ID;
    if (below(g, ratio) > 0)
        return (n - 1) / ratio * ratio + NX_FIRST_PERSON_ID;
    uint64_t active = n < NX_ACTIVE_PEOPLE ? n : NX_ACTIVE_PEOPLE;
    return n - 1 - below(g, active) + NX_FIRST_PERSON_ID;
}

static uint64_t some_auction(nx_gen_t *g, uint64_t id)
{
    uint64_t n = auctions_before(id);
    if (n == 0)
        return NX_FIRST_AUCTION_ID;
    if (below(g, NX_HOT_AUCTION_RATIO) > 0)
        return (n - 1) / NX_HOT_AUCTION_RATIO * NX_HOT_AUCTION_RATIO + NX_FIRST_AUCTION_ID;
    uint64_t live = n < NX_IN_FLIGHT_AUCTIONS ? n : NX_IN_FLIGHT_AUCTIONS;
    return n - 1 - below(g, live) + NX_FIRST_AUCTION_ID;
}

/* Closes the JSON object in g->buf (at len) with an "extra" field padding
 * the value to about want bytes. */
static void pad_extra(nx_gen_t *g, size_t len, size_t want)
{
    size_t room = sizeof g->buf - len - 16;
    size_t n = want > len + 14 ? want - len - 14 : 0;
    if (n > room)
        n = room;
    memcpy(g->buf + len, ",\"extra\":\"", 10);
    len += 10;
    letters(g, g->buf + len, n);
    len += n;
    memcpy(g->buf + len, "\"}", 3);
}

void nx_gen_init(nx_gen_t *g, uint64_t seed, int64_t base_ms)
{
    memset(g, 0, sizeof *g);
    g->rng = seed;
    g->base_ms = base_ms;
}

void nx_gen_next(nx_gen_t *g, nx_event_t *ev)
{
    uint64_t id = g->next_id++;
    uint64_t off = id % NX_PROPORTION_TOTAL;
    int64_t ts = g->base_ms + (int64_t)(id / 10);
    int len;
    ev->timestamp = ts;
    ev->value = g->buf;
    if (off < NX_PERSONS) {
        uint64_t pid = persons_before(id) + NX_FIRST_PERSON_ID;
        char mail1[8], mail2[6];
        letters(g, mail1, 7);
        letters(g, mail2, 5);
        ev->kind = NX_PERSON;
        ev->topic = "person";
        snprintf(ev->key, sizeof ev->key, "%llu", (unsigned long long)pid);
        len = snprintf(g->buf, sizeof g->buf,
                       "{\"id\":%llu,\"name\":\"%s %s\",\"emailAddress\":\"%s@%s.com\","
                       "\"creditCard\":\"%04u %04u %04u %04u\",\"city\":\"%s\",\"state\":\"%s\",\"dateTime\":%lld",
                       (unsigned long long)pid, first_names[below(g, NX_COUNT(first_names))],
                       last_names[below(g, NX_COUNT(last_names))], mail1, mail2, (unsigned)below(g, 10000),
                       (unsigned)below(g, 10000), (unsigned)below(g, 10000), (unsigned)below(g, 10000),
                       cities[below(g, NX_COUNT(cities))], states[below(g, NX_COUNT(states))], (long long)ts);
        pad_extra(g, (size_t)len, NX_PERSON_BYTES);
    } else if (off < NX_PERSONS + NX_AUCTIONS) {
        uint64_t aid = auctions_before(id) + NX_FIRST_AUCTION_ID;
        int64_t initial = price(g);
        char item[21], desc[101];
        letters(g, item, 20);
        letters(g, desc, 100);
        ev->kind = NX_AUCTION;
        ev->topic = "auction";
        snprintf(ev->key, sizeof ev->key, "%llu", (unsigned long long)aid);
        len = snprintf(g->buf, sizeof g->buf,
                       "{\"id\":%llu,\"itemName\":\"%s\",\"description\":\"%s\",\"initialBid\":%lld,"
                       "\"reserve\":%lld,\"dateTime\":%lld,\"expires\":%lld,\"seller\":%llu,\"category\":%llu",
                       (unsigned long long)aid, item, desc, (long long)initial, (long long)(initial + price(g)),
                       (long long)ts, (long long)(ts + 2000 + (int64_t)below(g, 18000)),
                       (unsigned long long)some_person(g, id, NX_HOT_SELLER_RATIO),
                       (unsigned long long)(NX_FIRST_CATEGORY_ID + below(g, NX_CATEGORIES)));
        pad_extra(g, (size_t)len, NX_AUCTION_BYTES);
    } else {
        uint64_t ch = below(g, 10);
        char chan[24];
        if (ch < NX_COUNT(channels))
            snprintf(chan, sizeof chan, "%s", channels[ch]);
        else
            snprintf(chan, sizeof chan, "channel-%llu", (unsigned long long)below(g, 100));
        ev->kind = NX_BID;
        ev->topic = "bid";
        snprintf(ev->key, sizeof ev->key, "null");
        len = snprintf(g->buf, sizeof g->buf,
                       "{\"auction\":%llu,\"bidder\":%llu,\"price\":%lld,\"channel\":\"%s\","
                       "\"url\":\"https://www.nexmark.com/item.htm?query=1\",\"dateTime\":%lld",
                       (unsigned long long)some_auction(g, id),
                       (unsigned long long)some_person(g, id, NX_HOT_BIDDER_RATIO), (long long)price(g), chan,
                       (long long)ts);
        pad_extra(g, (size_t)len, NX_BID_BYTES);
    }
    ev->value_len = strlen(g->buf);
}
