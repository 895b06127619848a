/* err.c - names and sentences for sl_err_t, built from err_codes.h. */
#include "base.h"

typedef struct err_entry {
    int code;
    const char *name;
    const char *sentence;
} err_entry_t;

static const err_entry_t err_table[] = {
    {0, "NONE", "Success."},
#define SL_ERR_DEF(sym, code, sentence) {code, #sym, sentence},
#include "err_codes.h"
#undef SL_ERR_DEF
};

static const err_entry_t *err_find(sl_err_t err)
{
    for (size_t i = 0; i < SL_ARRAY_LEN(err_table); i++)
        if (err_table[i].code == (int)err)
            return &err_table[i];
    return NULL;
}

const char *sl_err_name(sl_err_t err)
{
    const err_entry_t *e = err_find(err);
    return e ? e->name : "UNKNOWN_CODE";
}

const char *sl_err_str(sl_err_t err)
{
    const err_entry_t *e = err_find(err);
    return e ? e->sentence : "Unknown error code.";
}

bool sl_err_is_kafka(sl_err_t err) { return (int)err >= -1; }

int16_t sl_err_wire(sl_err_t err)
{
    if (sl_err_is_kafka(err))
        return (int16_t)err;
    switch (err) {
    case SL_ERR_PARSE:
    case SL_ERR_TRUNCATED:
    case SL_ERR_CRC: return (int16_t)SL_ERR_CORRUPT_MESSAGE;
    case SL_ERR_UNSUPPORTED: return (int16_t)SL_ERR_UNSUPPORTED_VERSION;
    case SL_ERR_TOO_LARGE: return (int16_t)SL_ERR_MESSAGE_TOO_LARGE;
    case SL_ERR_COMPRESSION: return (int16_t)SL_ERR_CORRUPT_MESSAGE;
    default: return (int16_t)SL_ERR_UNKNOWN_SERVER_ERROR;
    }
}
