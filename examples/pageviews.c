/*
 * pageviews.c - sluice-example-pageviews: page views per region in hopping
 * windows. Views (topic page-views: key the user, value the page) are
 * joined with the users' regions (table topic user-regions: key the user,
 * value the region; a left join, so a user without a region counts under
 * "unknown"), re-keyed by region, counted in hopping windows (5 minutes
 * advancing by 1 minute, 1 minute of grace; --size-ms, --advance-ms,
 * --grace-ms change them) and every new count goes to topic
 * pageviews-per-region: key the region, value
 * {"region":"...","window_start":MS,"window_end":MS,"views":N}.
 *
 * page-views and user-regions are joined per partition, so they must have
 * the same partition count and be keyed by user the same way (the app
 * refuses to start otherwise).
 */
#include <inttypes.h>

#include "example.h"

static int64_t size_ms = 5 * 60 * 1000;
static int64_t advance_ms = 60 * 1000;
static int64_t grace_ms = 60 * 1000;

static sl_val_t region_of_view(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *view, const sl_val_t *region,
                               void *arg)
{
    (void)ctx;
    (void)key;
    (void)view;
    (void)arg;
    return sl_val_is_null(region) ? sl_val_str_ref("unknown", 7) : *region;
}

static sl_val_t region_as_key(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *region, void *arg)
{
    (void)ctx;
    (void)key;
    (void)arg;
    return *region;
}

/* Windowed count -> the region as key and a JSON text value. */
static void to_json(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, sl_val_t *out_key,
                    sl_val_t *out_value, void *arg)
{
    (void)arg;
    *out_key = sl_val_null();
    *out_value = sl_val_null();
    if (key->type != SL_V_WINDOWED || sl_val_is_null(key->u.win.key) || sl_val_is_null(value))
        return;
    const char *region = ex_json_text(ctx, key->u.win.key);
    if (!region)
        return;
    *out_key = *key->u.win.key;
    *out_value = sl_val_printf(ctx, "{\"region\":\"%s\",\"window_start\":%" PRId64 ",\"window_end\":%" PRId64
                                    ",\"views\":%" PRId64 "}",
                               region, key->u.win.start, key->u.win.end, value->u.i64);
}

static SL_TOPOLOGY(page_views)
{
    SL_STREAM(views, "page-views", SL_STRING, SL_STRING);
    SL_TABLE(regions, "user-regions", SL_STRING, SL_STRING, "user-regions-store");
    SL_JOIN_TABLE(viewed, views, regions, SL_JOIN_LEFT, region_of_view);
    SL_GROUP_BY(by_region, viewed, region_as_key);
    SL_WINDOWED_BY(windows, by_region, SL_HOPPING(size_ms, advance_ms, grace_ms));
    SL_WINDOWED_COUNT(views_per_region, windows, "views-per-region-store");
    SL_TABLE_TO_STREAM(changes, views_per_region);
    SL_MAP(as_json, changes, to_json);
    SL_TO(as_json, "pageviews-per-region", SL_STRING, SL_STRING);
}

int main(int argc, char **argv)
{
    static const char *const topics[] = {"page-views", "user-regions", "pageviews-per-region", NULL};
    static const ex_opt_t opts[] = {
        {"size-ms", "window size, ms", &size_ms, 1, INT64_MAX / 4},
        {"advance-ms", "window advance, ms (less than the size)", &advance_ms, 1, INT64_MAX / 4},
        {"grace-ms", "grace for late views, ms", &grace_ms, 0, INT64_MAX / 4},
        {NULL, NULL, NULL, 0, 0},
    };
    static const ex_def_t def = {
        .prog = "sluice-example-pageviews",
        .summary = "Counts page views per region in hopping windows: views from topic page-views\n"
                   "(key user, value page) are joined with table topic user-regions (key user,\n"
                   "value region; a user without one counts under \"unknown\"), counted per region\n"
                   "and window, and each new count goes to topic pageviews-per-region: key the\n"
                   "region, value {\"region\":...,\"window_start\":MS,\"window_end\":MS,\"views\":N}.",
        .app_id = "sluice-example-pageviews",
        .topology = page_views,
        .topics = topics,
        .opts = opts,
    };
    return ex_main(&def, argc, argv);
}
