/*
 * lexer.re - the SQL tokenizer (re2c): cuts statement text into tokens for
 * the grammar (parse.y). Tokens are slices of the text; keywords are
 * recognised case-insensitively from a sorted table once an identifier has
 * been read, so the grammar's terminal codes live in one place (parse.h).
 * The text is NUL-terminated and the NUL is the scanner's sentinel: no rule
 * crosses it, and a NUL inside the text is an unknown character.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "front_int.h"
#include "parse.h"

typedef struct keyword {
    const char *name;
    int code;
} keyword_t;

/* Sorted by name (bsearch). */
static const keyword_t keywords[] = {
    {"ADVANCE", TK_ADVANCE},       {"ALL", TK_ALL},
    {"AND", TK_AND},               {"ARRAY", TK_ARRAY},
    {"AS", TK_AS},                 {"BEGINNING", TK_BEGINNING},
    {"BETWEEN", TK_BETWEEN},       {"BY", TK_BY},
    {"CASE", TK_CASE},             {"CAST", TK_CAST},
    {"CHANGES", TK_CHANGES},       {"CREATE", TK_CREATE},
    {"DELETE", TK_DELETE},         {"DESCRIBE", TK_DESCRIBE},
    {"DISTINCT", TK_DISTINCT},     {"DROP", TK_DROP},
    {"ELSE", TK_ELSE},             {"EMIT", TK_EMIT},
    {"END", TK_END},               {"ESCAPE", TK_ESCAPE},
    {"EXISTS", TK_EXISTS},         {"EXPLAIN", TK_EXPLAIN},
    {"EXTENDED", TK_EXTENDED},     {"FALSE", TK_FALSE},
    {"FINAL", TK_FINAL},           {"FROM", TK_FROM},
    {"FULL", TK_FULL},             {"FUNCTION", TK_FUNCTION},
    {"FUNCTIONS", TK_FUNCTIONS},   {"GRACE", TK_GRACE},
    {"GROUP", TK_GROUP},           {"HAVING", TK_HAVING},
    {"HEADER", TK_HEADER},         {"HEADERS", TK_HEADERS},
    {"HOPPING", TK_HOPPING},       {"IF", TK_IF},
    {"IN", TK_IN},                 {"INNER", TK_INNER},
    {"INSERT", TK_INSERT},         {"INTERVAL", TK_INTERVAL},
    {"INTO", TK_INTO},             {"IS", TK_IS},
    {"JOIN", TK_JOIN},             {"KEY", TK_KEY},
    {"LEFT", TK_LEFT},             {"LIKE", TK_LIKE},
    {"LIMIT", TK_LIMIT},           {"LIST", TK_LIST},
    {"MAP", TK_MAP},               {"NOT", TK_NOT},
    {"NULL", TK_NULL},             {"ON", TK_ON},
    {"OR", TK_OR},                 {"OUTER", TK_OUTER},
    {"PARTITION", TK_PARTITION},   {"PERIOD", TK_PERIOD},
    {"PRIMARY", TK_PRIMARY},       {"PRINT", TK_PRINT},
    {"PROPERTIES", TK_PROPERTIES}, {"QUERIES", TK_QUERIES},
    {"REPLACE", TK_REPLACE},       {"RETENTION", TK_RETENTION},
    {"RIGHT", TK_RIGHT},           {"RUN", TK_RUN},
    {"SAMPLE", TK_SAMPLE},         {"SCRIPT", TK_SCRIPT},
    {"SELECT", TK_SELECT},         {"SESSION", TK_SESSION},
    {"SET", TK_SET},               {"SHOW", TK_SHOW},
    {"SIZE", TK_SIZE},             {"SOURCE", TK_SOURCE},
    {"STREAM", TK_STREAM},         {"STREAMS", TK_STREAMS},
    {"STRUCT", TK_STRUCT},         {"TABLE", TK_TABLE},
    {"TABLES", TK_TABLES},         {"TERMINATE", TK_TERMINATE},
    {"THEN", TK_THEN},             {"TOPIC", TK_TOPIC},
    {"TOPICS", TK_TOPICS},         {"TRUE", TK_TRUE},
    {"TUMBLING", TK_TUMBLING},     {"UNSET", TK_UNSET},
    {"VALUES", TK_VALUES},         {"WHEN", TK_WHEN},
    {"WHERE", TK_WHERE},           {"WINDOW", TK_WINDOW},
    {"WITH", TK_WITH},             {"WITHIN", TK_WITHIN},
};

/* The non-keyword terminals as "expecting ..." shows them. */
static const keyword_t others[] = {
    {"';'", TK_SEMI},          {"','", TK_COMMA},      {"'.'", TK_DOT},
    {"'('", TK_LP},            {"')'", TK_RP},         {"'['", TK_LBRACKET},
    {"']'", TK_RBRACKET},      {"'+'", TK_PLUS},       {"'-'", TK_MINUS},
    {"'*'", TK_STAR},          {"'/'", TK_SLASH},      {"'%'", TK_REM},
    {"'||'", TK_CONCAT},       {"'='", TK_EQ},         {"'<>'", TK_NE},
    {"'<'", TK_LT},            {"'<='", TK_LE},        {"'>'", TK_GT},
    {"'>='", TK_GE},           {"'->'", TK_ARROW},     {"':='", TK_ASSIGN},
    {"'=>'", TK_LAMBDA},
    {"IDENTIFIER", TK_ID},     {"STRING", TK_STRING},  {"INTEGER_VALUE", TK_INTEGER_VALUE},
    {"DECIMAL_VALUE", TK_DECIMAL_VALUE}, {"FLOATING_POINT_VALUE", TK_FLOATING_POINT_VALUE},
};

static int kw_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const keyword_t *)elem)->name);
}

/* The keyword code of an unquoted identifier, or TK_ID. */
static int keyword_code(const char *p, size_t len)
{
    char up[16];
    if (len >= sizeof up)
        return TK_ID;
    for (size_t i = 0; i < len; i++)
        up[i] = (p[i] >= 'a' && p[i] <= 'z') ? (char)(p[i] - 'a' + 'A') : p[i];
    up[len] = '\0';
    const keyword_t *k = bsearch(up, keywords, sizeof keywords / sizeof keywords[0], sizeof keywords[0], kw_cmp);
    return k ? k->code : TK_ID;
}

const char *sl_sql_token_name(int code, bool *keyword)
{
    *keyword = false;
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        if (others[i].code == code)
            return others[i].name;
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
        if (keywords[i].code == code) {
            *keyword = true;
            return keywords[i].name;
        }
    return code == 0 ? "<EOF>" : "?";
}

/* ARRAY, MAP and STRUCT are keywords only where a type or a constructor
 * starts (followed by '<', '(' or, for ARRAY, '['): elsewhere they are
 * names, as ksqlDB's non-reserved words (a column called MAP). The
 * grammar alone cannot tell: after MAP it has already committed to the
 * constructor. */
static int type_word_code(int code, const char *after, const char *end)
{
    if (code != TK_ARRAY && code != TK_MAP && code != TK_STRUCT)
        return code;
    while (after < end && (*after == ' ' || *after == '\t' || *after == '\r' || *after == '\n' || *after == '\f' ||
                           *after == '\v'))
        after++;
    if (after < end && (*after == '<' || *after == '(' || (code == TK_ARRAY && *after == '[')))
        return code;
    return TK_ID;
}

/* Moves the position past [from, to): lines and (UTF-8) columns. */
static void advance(sl_sql_lexer_t *lx, const char *from, const char *to)
{
    for (const char *p = from; p < to; p++)
        if (*p == '\n') {
            lx->line++;
            lx->line_start = p + 1;
        }
}

/* The column of at, counted on from the last token's (at only moves
 * forward), so a long line costs its length once. */
static uint32_t column(sl_sql_lexer_t *lx, const char *at)
{
    if (lx->col_at < lx->line_start) {
        lx->col_at = lx->line_start;
        lx->col = 1;
    }
    for (const char *p = lx->col_at; p < at; p++)
        if (((unsigned char)*p & 0xC0) != 0x80)
            lx->col++;
    lx->col_at = at;
    return lx->col;
}

/*!re2c
    re2c:define:YYCTYPE = "unsigned char";
    re2c:define:YYCURSOR = cur;
    re2c:define:YYMARKER = mar;
    re2c:yyfill:enable = 0;
    re2c:flags:tags = 0;

    ws = [ \t\r\n\f\v]+;
    digit = [0-9];
    ident = [a-zA-Z_] [a-zA-Z0-9_@$]*;
    bq = "`" ([^`\x00] | "``")* "`";
    dq = "\"" ([^"\x00] | "\"\"")* "\"";
    str = "'" ([^'\x00] | "''")* "'";
    int = digit+;
    dec = digit+ "." digit* | "." digit+;
    dbl = (digit+ ("." digit*)? | "." digit+) [eE] [+-]? digit+;
*/

int sl_sql_lex(sl_sql_lexer_t *lx, sl_sql_token_t *tok, char *msg, size_t msglen)
{
    const unsigned char *cur, *mar, *start;
    for (;;) {
        cur = (const unsigned char *)lx->cur;
        start = cur;
        memset(tok, 0, sizeof *tok);
        tok->ptr = (const char *)start;
        tok->line = lx->line;
        tok->col = column(lx, (const char *)start);
        int code;
        /*!re2c
            *       { goto bad_char; }
            [\x00]  { if ((const char *)start == lx->end) { tok->len = 0; tok->code = 0; return 0; }
                      goto bad_char; }
            ws      { advance(lx, (const char *)start, (const char *)cur); lx->cur = (const char *)cur; continue; }
            "--" [^\n\x00]*  { lx->cur = (const char *)cur; continue; }
            "/*" ([^*\x00] | "*"+ [^*/\x00])* "*"+ "/"
                    { advance(lx, (const char *)start, (const char *)cur); lx->cur = (const char *)cur; continue; }
            "/*"    { snprintf(msg, msglen, "unterminated comment"); return -1; }
            ident   { code = type_word_code(keyword_code((const char *)start, (size_t)(cur - start)),
                                            (const char *)cur, lx->end);
                      goto done; }
            bq | dq { tok->quoted = true; code = TK_ID; goto done; }
            "`" | "\"" { snprintf(msg, msglen, "unterminated quoted identifier"); return -1; }
            str     { code = TK_STRING; goto done; }
            "'"     { snprintf(msg, msglen, "unterminated string"); return -1; }
            int     { code = TK_INTEGER_VALUE; goto done; }
            dec     { code = TK_DECIMAL_VALUE; goto done; }
            dbl     { code = TK_FLOATING_POINT_VALUE; goto done; }
            ";"     { code = TK_SEMI; goto done; }
            ","     { code = TK_COMMA; goto done; }
            "."     { code = TK_DOT; goto done; }
            "("     { code = TK_LP; goto done; }
            ")"     { code = TK_RP; goto done; }
            "["     { code = TK_LBRACKET; goto done; }
            "]"     { code = TK_RBRACKET; goto done; }
            "+"     { code = TK_PLUS; goto done; }
            "-"     { code = TK_MINUS; goto done; }
            "*"     { code = TK_STAR; goto done; }
            "/"     { code = TK_SLASH; goto done; }
            "%"     { code = TK_REM; goto done; }
            "||"    { code = TK_CONCAT; goto done; }
            "="     { code = TK_EQ; goto done; }
            "!=" | "<>" { code = TK_NE; goto done; }
            "<"     { code = TK_LT; goto done; }
            "<="    { code = TK_LE; goto done; }
            ">"     { code = TK_GT; goto done; }
            ">="    { code = TK_GE; goto done; }
            "->"    { code = TK_ARROW; goto done; }
            "=>"    { code = TK_LAMBDA; goto done; }
            ":="    { code = TK_ASSIGN; goto done; }
        */
    done:
        tok->code = code;
        tok->len = (uint32_t)(cur - start);
        advance(lx, (const char *)start, (const char *)cur);
        lx->cur = (const char *)cur;
        return code;
    bad_char:
        if (*start >= 0x20 && *start < 0x7F) {
            snprintf(msg, msglen, "unknown character '%c'", *start);
        } else if (*start >= 0xC2 && *start <= 0xF4) {
            /* A UTF-8 sequence shown whole (as far as it is well formed). */
            int n = *start >= 0xF0 ? 4 : *start >= 0xE0 ? 3 : 2, k = 1;
            while (k < n && (start[k] & 0xC0) == 0x80)
                k++;
            snprintf(msg, msglen, "unknown character '%.*s'", k, (const char *)start);
        } else {
            snprintf(msg, msglen, "unknown character 0x%02x", *start);
        }
        return -1;
    }
}
