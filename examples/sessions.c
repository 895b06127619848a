/*
 * sessions.c - sluice-example-sessions: clicks per user session. Clicks
 * (topic clicks: key the user, value the page) are grouped by user into
 * session windows (clicks less than --gap-ms apart, default 5 minutes, are
 * one session; --grace-ms of grace for late clicks, default 0), counted,
 * and each session's final count is written once, when the session has
 * closed (suppress until the window closes: emit final), to topic
 * user-sessions: key the user, value
 * {"user":"...","start":MS,"end":MS,"clicks":N} (start and end are the
 * timestamps of the session's first and last click).
 *
 * A session closes in stream time: when a click on the same partition is
 * newer than its end + gap + grace. Time is the clicks' timestamps, not
 * the clock.
 */
#include <inttypes.h>

#include "example.h"

static int64_t gap_ms = 5 * 60 * 1000;
static int64_t grace_ms = 0;

static void to_json(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, sl_val_t *out_key,
                    sl_val_t *out_value, void *arg)
{
    (void)arg;
    *out_key = sl_val_null();
    *out_value = sl_val_null();
    if (key->type != SL_V_WINDOWED || sl_val_is_null(key->u.win.key) || sl_val_is_null(value))
        return;
    const char *user = ex_json_text(ctx, key->u.win.key);
    if (!user)
        return;
    *out_key = *key->u.win.key;
    *out_value = sl_val_printf(ctx, "{\"user\":\"%s\",\"start\":%" PRId64 ",\"end\":%" PRId64 ",\"clicks\":%" PRId64 "}",
                               user, key->u.win.start, key->u.win.end, value->u.i64);
}

static SL_TOPOLOGY(user_sessions)
{
    SL_STREAM(clicks, "clicks", SL_STRING, SL_STRING);
    SL_GROUP_BY_KEY(by_user, clicks);
    SL_WINDOWED_BY(sessions, by_user, SL_SESSION(gap_ms, grace_ms));
    SL_WINDOWED_COUNT(clicks_per_session, sessions, "clicks-per-session-store");
    SL_SUPPRESS_FINAL(final_counts, clicks_per_session);
    SL_TABLE_TO_STREAM(closed, final_counts);
    SL_MAP(as_json, closed, to_json);
    SL_TO(as_json, "user-sessions", SL_STRING, SL_STRING);
}

int main(int argc, char **argv)
{
    static const char *const topics[] = {"clicks", "user-sessions", NULL};
    static const ex_opt_t opts[] = {
        {"gap-ms", "inactivity gap that ends a session, ms", &gap_ms, 1, INT64_MAX / 4},
        {"grace-ms", "grace for late clicks, ms", &grace_ms, 0, INT64_MAX / 4},
        {NULL, NULL, NULL, 0, 0},
    };
    static const ex_def_t def = {
        .prog = "sluice-example-sessions",
        .summary = "Counts clicks per user session: clicks from topic clicks (key user, value\n"
                   "page) closer than the gap form one session; once a session has closed (in\n"
                   "stream time: a newer click on its partition is past its end + gap + grace)\n"
                   "its final count goes once to topic user-sessions: key the user, value\n"
                   "{\"user\":...,\"start\":MS,\"end\":MS,\"clicks\":N}.",
        .app_id = "sluice-example-sessions",
        .topology = user_sessions,
        .topics = topics,
        .opts = opts,
    };
    return ex_main(&def, argc, argv);
}
