/*
 * wordcount.c - sluice-example-wordcount: the classic. Lines from topic
 * text-input are split into words (runs of ASCII letters, digits and '_',
 * Java's \w, lower-cased), counted per word, and every new count goes to
 * topic word-counts: key the word, value its running count as a decimal
 * string. Written with the DSL macros; the counts live in the store
 * "counts-store" (LMDB, changelog "<application.id>-counts-store-changelog"),
 * the words reach it through the repartition topic of "by_word".
 */
#include <ctype.h>
#include <inttypes.h>

#include "example.h"

static bool word_char(uint8_t c)
{
    return isascii(c) && (isalnum(c) || c == '_');
}

/* Emits each word of the line, lower-cased, as a string in the record's
 * memory. */
static void split_into_words(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)key;
    (void)arg;
    if (sl_val_is_null(value) || (value->type != SL_V_STRING && value->type != SL_V_BYTES))
        return;
    const uint8_t *p = value->u.bytes.ptr, *end = p + value->u.bytes.len;
    while (p < end) {
        while (p < end && !word_char(*p))
            p++;
        const uint8_t *w = p;
        while (p < end && word_char(*p))
            p++;
        if (p == w)
            break;
        char *lower = sl_ctx_alloc(ctx, (size_t)(p - w) + 1);
        if (!lower)
            return;
        for (size_t i = 0; i < (size_t)(p - w); i++)
            lower[i] = (char)tolower(w[i]);
        lower[p - w] = '\0';
        sl_val_t word = sl_val_str_ref(lower, (size_t)(p - w));
        sl_ctx_emit_value(ctx, &word);
    }
}

static sl_val_t word_as_key(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)ctx;
    (void)key;
    (void)arg;
    return *value;
}

static sl_val_t count_as_text(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)key;
    (void)arg;
    if (sl_val_is_null(value))
        return sl_val_null();
    return sl_val_printf(ctx, "%" PRId64, value->u.i64);
}

static SL_TOPOLOGY(word_count)
{
    SL_STREAM(lines, "text-input", SL_STRING, SL_STRING);
    SL_FLAT_MAP_VALUES(words, lines, split_into_words);
    SL_GROUP_BY(by_word, words, word_as_key);
    SL_COUNT(counts, by_word, "counts-store");
    SL_TABLE_MAP_VALUES(counts_text, counts, count_as_text);
    SL_TO_STREAM(counts_text, "word-counts", SL_STRING, SL_STRING);
}

int main(int argc, char **argv)
{
    static const char *const topics[] = {"text-input", "word-counts", NULL};
    static const ex_def_t def = {
        .prog = "sluice-example-wordcount",
        .summary = "Counts words: reads lines (values) from topic text-input, splits them into\n"
                   "lower-cased words (runs of ASCII letters, digits and '_') and writes every\n"
                   "new count to topic word-counts: key the word, value the count in decimal.",
        .app_id = "sluice-example-wordcount",
        .topology = word_count,
        .topics = topics,
    };
    return ex_main(&def, argc, argv);
}
