/*
 * error.c - filling a sl_sql_error_t: one place that formats the code,
 * the position and the sentence every part of the library reports.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "plan_int.h"
#include "sql.h"

sl_err_t sl_sql_error_set(sl_sql_error_t *err, sl_err_t code, sl_sql_pos_t pos, const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    err->line = pos.line;
    err->col = pos.col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return code;
}
