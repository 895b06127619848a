/*
 * func_math.c - the mathematical functions: ABS, CEIL, FLOOR, ROUND, TRUNC,
 * SQRT, CBRT, RANDOM, SIGN, EXP, LN, LOG, POWER, the trigonometric and
 * hyperbolic functions, DEGREES, RADIANS, PI, GREATEST, LEAST; GEO_DISTANCE
 * (the haversine great-circle distance, ksqlDB's earth radii and unit
 * names).
 *
 * Result types follow ksqlDB: ABS, CEIL and FLOOR keep their argument's
 * type (a DECIMAL keeps its precision and scale); ROUND of an integer or a
 * DOUBLE is a BIGINT, ROUND(DOUBLE, places) a DOUBLE, ROUND(DECIMAL) a
 * DECIMAL(p - s, 0) and ROUND(DECIMAL, places) the argument's DECIMAL type.
 * ROUND breaks ties upwards (towards positive infinity) as Java's
 * Math.round does: ROUND(2.5) = 3, ROUND(-2.5) = -2. ROUND(x, places) works
 * on the shortest decimal text of a DOUBLE (what BigDecimal.valueOf sees),
 * so ROUND(1.005, 2) is 1.01. TRUNC has ROUND's types and drops digits
 * instead. A NULL argument gives NULL; NaN and infinities come out as
 * Java gives them (SQRT(-1) is NaN, LN(0) -Infinity).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "func_int.h"

/* How ROUND and TRUNC drop digits: ROUND breaks ties towards positive
 * infinity (Java's Math.round; BigDecimal HALF_UP for positive values,
 * HALF_DOWN for negative ones, as ksqlDB does), TRUNC drops them (DOWN). */
typedef enum round_mode { ROUND_HALF_POS, ROUND_DOWN } round_mode_t;

/* v / 10^drop as an integer, rounded by mode. */
static sl_sql_i128_t dec_round_drop(sl_sql_i128_t v, int drop, round_mode_t mode)
{
    if (drop <= 0)
        return v;
    if (drop > 38)
        return 0;
    sl_sql_i128_t p = sl_sql_dec_pow10(drop);
    sl_sql_i128_t q = v / p, r = v % p;
    if (mode == ROUND_DOWN)
        return q;
    if (r > 0 && 2 * r >= p)
        q++;
    else if (r < 0 && -2 * r > p)
        q--;
    return q;
}

static double datum_to_double(const sl_sql_datum_t *d)
{
    switch (d->kind) {
    case SL_SQL_T_INT:
        return d->u.i32;
    case SL_SQL_T_BIGINT:
        return (double)d->u.i64;
    case SL_SQL_T_DECIMAL:
        return sl_sql_dec_to_double(d->u.dec, d->scale);
    default:
        return d->u.f64;
    }
}

/* --- ABS, CEIL, FLOOR ------------------------------------------------------- */

static void eval_abs(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                     sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    SL_UNUSED(cx);
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    *out = args[0];
    switch (args[0].kind) {
    case SL_SQL_T_INT: /* Java's Math.abs: the minimum stays negative */
        out->u.i32 = args[0].u.i32 < 0 ? (int32_t)(0u - (uint32_t)args[0].u.i32) : args[0].u.i32;
        break;
    case SL_SQL_T_BIGINT:
        out->u.i64 = args[0].u.i64 < 0 ? (int64_t)(0ull - (uint64_t)args[0].u.i64) : args[0].u.i64;
        break;
    case SL_SQL_T_DECIMAL:
        out->u.dec = args[0].u.dec < 0 ? -args[0].u.dec : args[0].u.dec;
        break;
    default:
        out->u.f64 = fabs(args[0].u.f64);
        break;
    }
}

static void ceil_floor(const sl_sql_datum_t *args, uint32_t n, sl_sql_datum_t *out, bool up)
{
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    *out = args[0];
    if (args[0].kind == SL_SQL_T_DOUBLE) {
        out->u.f64 = up ? ceil(args[0].u.f64) : floor(args[0].u.f64);
    } else if (args[0].kind == SL_SQL_T_DECIMAL && args[0].scale > 0) {
        sl_sql_i128_t p = sl_sql_dec_pow10(args[0].scale);
        sl_sql_i128_t q = args[0].u.dec / p, r = args[0].u.dec % p;
        if (up && r > 0)
            q++;
        else if (!up && r < 0)
            q--;
        out->u.dec = q * p; /* the scale stays: CEIL(1.25) = 2.00 */
    }
}

static void eval_ceil(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                      sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    SL_UNUSED(cx);
    ceil_floor(args, n, out, true);
}

static void eval_floor(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                       sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    SL_UNUSED(cx);
    ceil_floor(args, n, out, false);
}

/* --- ROUND, TRUNC ------------------------------------------------------------ */

/* ROUND(DOUBLE): Java's Math.round, floor(x + 0.5) without the rounding
 * error of the addition; TRUNC(DOUBLE): Java's (long) cast. NaN gives 0,
 * out-of-range values the nearest bound. */
static int64_t double_to_long(double x, round_mode_t mode)
{
    if (isnan(x))
        return 0;
    double r;
    if (mode == ROUND_DOWN) {
        r = trunc(x);
    } else {
        double f = floor(x);
        r = x - f >= 0.5 ? f + 1 : f;
    }
    if (r >= 9223372036854775807.0)
        return INT64_MAX;
    if (r <= -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)r;
}

/* The shortest decimal digits that read back as x: digits "d1d2...dn" and
 * the exponent e such that x = 0.d1...dn * 10^e (sign apart). */
static void shortest_digits(double x, char *digits, int *ndig, int *exp10)
{
    char buf[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, fabs(x));
        if (prec == 17 || strtod(buf, NULL) == fabs(x))
            break;
    }
    int n = 0;
    char *p = buf;
    for (; *p && *p != 'e'; p++) {
        if (*p >= '0' && *p <= '9')
            digits[n++] = *p;
    }
    int e = *p == 'e' ? atoi(p + 1) : 0;
    while (n > 1 && digits[n - 1] == '0')
        n--;
    digits[n] = '\0';
    *ndig = n;
    *exp10 = e + 1;
}

/* x to places decimal places as BigDecimal.valueOf(x).setScale(places)
 * does it (on the shortest decimal text of x). A zero result is +0.0, as
 * BigDecimal's zero has no sign. */
static double double_places(double x, int32_t places, round_mode_t mode)
{
    if (x == 0 || places > 340)
        return x;
    char digits[24];
    int n, e;
    shortest_digits(x, digits, &n, &e);
    bool neg = x < 0;
    long keep = (long)e + places; /* digits kept before the cut */
    if (keep >= n)
        return x;
    if (keep < 0)
        return 0.0;
    int first = digits[keep] - '0';
    bool rest = false;
    for (int i = (int)keep + 1; i < n; i++)
        rest |= digits[i] != '0';
    bool up = mode == ROUND_DOWN ? false : neg ? (first > 5 || (first == 5 && rest)) : first >= 5;
    char kept[32];
    int k = (int)keep;
    memcpy(kept + 1, digits, (size_t)k);
    kept[0] = '0';
    if (up) {
        int i = k;
        while (i >= 1 && kept[i] == '9')
            kept[i--] = '0';
        kept[i]++;
    }
    kept[k + 1] = '\0';
    char text[64];
    snprintf(text, sizeof text, "%s%se%ld", neg ? "-" : "", kept, (long)e - keep);
    double r = strtod(text, NULL);
    return r == 0 ? 0.0 : r;
}

static void round_or_trunc(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                           sl_sql_datum_t *out, round_mode_t mode)
{
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    const sl_sql_datum_t *v = &args[0];
    if (n == 1) {
        switch (v->kind) {
        case SL_SQL_T_INT:
            *out = sl_sql_bigint(v->u.i32);
            return;
        case SL_SQL_T_BIGINT:
            *out = sl_sql_bigint(v->u.i64);
            return;
        case SL_SQL_T_DOUBLE:
            *out = sl_sql_bigint(double_to_long(v->u.f64, mode));
            return;
        default:
            break;
        }
    }
    int32_t places = n > 1 ? args[1].u.i32 : 0;
    if (v->kind == SL_SQL_T_DOUBLE) {
        if (!isfinite(v->u.f64)) {
            sl_sql_fn_fail(cx, out, "%s: cannot round %f to %d places", call->func->name, v->u.f64, (int)places);
            return;
        }
        *out = sl_sql_double(double_places(v->u.f64, places, mode));
        return;
    }
    /* DECIMAL: round at places, then back to the result type's scale. */
    int scale = v->scale;
    int target = call->type->kind == SL_SQL_T_DECIMAL ? call->type->scale : scale;
    sl_sql_i128_t r = dec_round_drop(v->u.dec, scale - places, mode);
    int have = places < scale ? places : scale; /* the scale r is at now */
    if (have < target) {
        int up = target - have;
        r = up > 38 ? 0 : r * sl_sql_dec_pow10(up);
    } else if (have > target) {
        r = dec_round_drop(r, have - target, mode);
    }
    *out = *v;
    out->u.dec = r;
    out->scale = (uint8_t)target;
}

static void eval_round(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                       sl_sql_datum_t *out)
{
    round_or_trunc(call, args, n, cx, out, ROUND_HALF_POS);
}

static void eval_trunc(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                       sl_sql_datum_t *out)
{
    round_or_trunc(call, args, n, cx, out, ROUND_DOWN);
}

static const sl_sql_type_t *resolve_round_decimal(sl_arena_t *arena, const sl_sql_type_t *const *arg_types,
                                                  uint32_t n, char *err, size_t errlen)
{
    SL_UNUSED(n);
    const sl_sql_type_t *t = arg_types[0];
    const sl_sql_type_t *r = sl_sql_type_decimal(arena, SL_MAX(t->precision - t->scale, 1), 0);
    if (!r)
        snprintf(err, errlen, "out of memory");
    return r;
}

/* --- SQRT, EXP, LN, LOG, trigonometry, POWER, SIGN, RANDOM ----------------- */

typedef double math1_fn(double);

static void eval_math1(const sl_sql_datum_t *args, uint32_t n, sl_sql_datum_t *out, math1_fn *fn)
{
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    *out = sl_sql_double(fn(datum_to_double(&args[0])));
}

#define MATH1(name, fn)                                                                                   \
    static void name(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx, \
                     sl_sql_datum_t *out)                                                                 \
    {                                                                                                     \
        SL_UNUSED(call);                                                                                  \
        SL_UNUSED(cx);                                                                                    \
        eval_math1(args, n, out, fn);                                                                     \
    }
/* glibc's cbrt is not correctly rounded (cbrt(27) = 3.0000000000000004);
 * one Newton step gives what Java's Math.cbrt gives for exact cubes. */
static double cube_root(double x)
{
    double r = cbrt(x);
    if (!isfinite(r) || r == 0)
        return r;
    return r - (r * r * r - x) / (3 * r * r);
}

static double cot(double x)
{
    return 1.0 / tan(x);
}

static double degrees(double x)
{
    return x * (180.0 / M_PI);
}

static double radians(double x)
{
    return x / 180.0 * M_PI;
}

MATH1(eval_sqrt, sqrt)
MATH1(eval_cbrt, cube_root)
MATH1(eval_exp, exp)
MATH1(eval_ln, log)
MATH1(eval_sin, sin)
MATH1(eval_cos, cos)
MATH1(eval_tan, tan)
MATH1(eval_cot, cot)
MATH1(eval_asin, asin)
MATH1(eval_acos, acos)
MATH1(eval_atan, atan)
MATH1(eval_sinh, sinh)
MATH1(eval_cosh, cosh)
MATH1(eval_tanh, tanh)
MATH1(eval_degrees, degrees)
MATH1(eval_radians, radians)

/* LOG(value) is the natural logarithm (as ksqlDB's), LOG(base, value) the
 * logarithm in base; a base <= 0 or 1 gives NaN. */
static void eval_log(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                     sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    SL_UNUSED(cx);
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    if (n == 1) {
        *out = sl_sql_double(log(datum_to_double(&args[0])));
        return;
    }
    double base = datum_to_double(&args[0]), v = datum_to_double(&args[1]);
    *out = sl_sql_double(base <= 0 || base == 1 ? NAN : log(v) / log(base));
}

static void eval_atan2(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                       sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    SL_UNUSED(cx);
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    *out = sl_sql_double(atan2(datum_to_double(&args[0]), datum_to_double(&args[1])));
}

static void eval_pi(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                    sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    SL_UNUSED(args);
    SL_UNUSED(n);
    SL_UNUSED(cx);
    *out = sl_sql_double(M_PI);
}

static void eval_power(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                       sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    SL_UNUSED(cx);
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    *out = sl_sql_double(pow(datum_to_double(&args[0]), datum_to_double(&args[1])));
}

static void eval_sign(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                      sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    SL_UNUSED(cx);
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    double v;
    switch (args[0].kind) {
    case SL_SQL_T_DECIMAL:
        v = args[0].u.dec > 0 ? 1 : args[0].u.dec < 0 ? -1 : 0;
        break;
    default:
        v = datum_to_double(&args[0]);
        break;
    }
    *out = sl_sql_int(v > 0 ? 1 : v < 0 ? -1 : 0);
}

/* xorshift64* per thread, seeded from the kernel: RANDOM() needs no lock. */
static _Thread_local uint64_t rnd_state;

static void eval_random(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                        sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    SL_UNUSED(args);
    SL_UNUSED(n);
    SL_UNUSED(cx);
    if (!rnd_state) {
        if (getrandom(&rnd_state, sizeof rnd_state, 0) != (ssize_t)sizeof rnd_state || !rnd_state)
            rnd_state = (uint64_t)(uintptr_t)&rnd_state ^ 0x9E3779B97F4A7C15ull;
    }
    rnd_state ^= rnd_state >> 12;
    rnd_state ^= rnd_state << 25;
    rnd_state ^= rnd_state >> 27;
    uint64_t r = rnd_state * 0x2545F4914F6CDD1Dull;
    *out = sl_sql_double((double)(r >> 11) * (1.0 / 9007199254740992.0));
}

/* --- GREATEST, LEAST ---------------------------------------------------------- */

/* GREATEST and LEAST resolve as ksqlDB's overloads per type do: one kind
 * (DECIMALs widened to hold each other), or any numbers with a DOUBLE
 * (then DOUBLE); INT with BIGINT or DECIMAL alone is ambiguous; a string
 * literal among DATE, TIME or TIMESTAMP values is read as one. */
static const sl_sql_type_t *resolve_extreme(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n,
                                            const char *fname, char *err, size_t errlen)
{
    char list[400];
    sl_sql_fn_types_text(arg_types, n, list, sizeof list);
    if (n == 0)
        return sl_sql_fn_refuse(fname, arg_types, n, err, errlen);
    const sl_sql_type_t *temporal = NULL;
    bool any = false, numeric = true, has_double = false, mixed = false;
    sl_sql_tkind_t first = SL_SQL_T_NULL;
    for (uint32_t i = 0; i < n; i++) {
        const sl_sql_type_t *t = arg_types[i];
        if (!t || t->kind == SL_SQL_T_NULL)
            continue;
        if (t->kind == SL_SQL_T_DATE || t->kind == SL_SQL_T_TIME || t->kind == SL_SQL_T_TIMESTAMP)
            temporal = t;
        if (any && t->kind != first)
            mixed = true;
        if (!any)
            first = t->kind;
        any = true;
        numeric &= sl_sql_type_is_numeric(t);
        has_double |= t->kind == SL_SQL_T_DOUBLE;
    }
    if (!any) {
        snprintf(err, errlen, "Function '%s' cannot be resolved due to ambiguous method parameters (%s).", fname, list);
        return NULL;
    }
    if (numeric && mixed && !has_double) {
        snprintf(err, errlen, "Function '%s' cannot be resolved due to ambiguous method parameters (%s).", fname, list);
        return NULL;
    }
    if (temporal) {
        for (uint32_t i = 0; i < n; i++) {
            const sl_sql_type_t *t = arg_types[i];
            if (t && t->kind != SL_SQL_T_NULL && t->kind != SL_SQL_T_STRING && t->kind != temporal->kind)
                goto refuse;
        }
        return temporal;
    }
    if (numeric || !mixed) {
        const sl_sql_type_t *r = sl_sql_fn_common_type(arena, arg_types, n, fname, err, errlen);
        if (r)
            return r;
    }
refuse:
    return sl_sql_fn_refuse(fname, arg_types, n, err, errlen);
}

static const sl_sql_type_t *resolve_greatest(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n,
                                             char *err, size_t errlen)
{
    return resolve_extreme(arena, arg_types, n, "greatest", err, errlen);
}

static const sl_sql_type_t *resolve_least(sl_arena_t *arena, const sl_sql_type_t *const *arg_types, uint32_t n,
                                          char *err, size_t errlen)
{
    return resolve_extreme(arena, arg_types, n, "least", err, errlen);
}

/* The largest (sign 1) or smallest (-1) non-NULL argument; NULLs are
 * skipped, all NULL gives NULL. */
static void extreme(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                    sl_sql_datum_t *out, int sign)
{
    *out = sl_sql_null();
    for (uint32_t i = 0; i < n; i++) {
        if (sl_sql_datum_is_null(&args[i]))
            continue;
        sl_sql_datum_t v;
        if (!sl_sql_fn_coerce(cx, &args[i], call->args[i]->type, call->type, &v))
            return;
        if (sl_sql_datum_is_null(out) || sign * sl_sql_datum_cmp(&v, out, call->type) > 0)
            *out = v;
    }
}

static void eval_greatest(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                          sl_sql_datum_t *out)
{
    extreme(call, args, n, cx, out, 1);
}

static void eval_least(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                       sl_sql_datum_t *out)
{
    extreme(call, args, n, cx, out, -1);
}

/* --- The group ---------------------------------------------------------------- */

static const sl_sql_tkind_t P_DOUBLE_INT[] = {SL_SQL_T_DOUBLE, SL_SQL_T_INT};
static const sl_sql_tkind_t P_DECIMAL_INT[] = {SL_SQL_T_DECIMAL, SL_SQL_T_INT};
static const sl_sql_tkind_t P_DOUBLE2[] = {SL_SQL_T_DOUBLE, SL_SQL_T_DOUBLE};

/* Integer, DOUBLE and DECIMAL overloads of a function keeping its type. */
#define SAME_TYPE_OVERLOADS(fn, NAME, what)                                                             \
    SL_SQL_OV(SL_SQL_P_INT, SL_SQL_T_INT, fn, NAME "(col1 INT)", what),                                  \
        SL_SQL_OV(SL_SQL_P_BIGINT, SL_SQL_T_BIGINT, fn, NAME "(col1 BIGINT)", what),                     \
        SL_SQL_OV(SL_SQL_P_DOUBLE, SL_SQL_T_DOUBLE, fn, NAME "(col1 DOUBLE)", what),                     \
    {                                                                                                   \
        SL_SQL_P_DECIMAL, 1, false, SL_SQL_T_NULL, sl_sql_fn_resolve_first, fn, NULL, NAME "(col1 DECIMAL)", what \
    }

/* Every numeric argument, a DOUBLE result. */
#define DOUBLE_OVERLOADS(fn, NAME, what)                                                  \
    SL_SQL_OV(SL_SQL_P_INT, SL_SQL_T_DOUBLE, fn, NAME "(col1 INT)", what),                 \
        SL_SQL_OV(SL_SQL_P_BIGINT, SL_SQL_T_DOUBLE, fn, NAME "(col1 BIGINT)", what),       \
        SL_SQL_OV(SL_SQL_P_DOUBLE, SL_SQL_T_DOUBLE, fn, NAME "(col1 DOUBLE)", what),       \
        SL_SQL_OV(SL_SQL_P_DECIMAL, SL_SQL_T_DOUBLE, fn, NAME "(col1 DECIMAL)", what)

static const sl_sql_overload_t ABS_O[] = {SAME_TYPE_OVERLOADS(eval_abs, "ABS", "the absolute value")};
static const sl_sql_overload_t CEIL_O[] = {
    SAME_TYPE_OVERLOADS(eval_ceil, "CEIL", "the smallest integral value not below col1")};
static const sl_sql_overload_t FLOOR_O[] = {
    SAME_TYPE_OVERLOADS(eval_floor, "FLOOR", "the largest integral value not above col1")};
static const sl_sql_overload_t TRUNC_O[] = {
    SL_SQL_OV(SL_SQL_P_INT, SL_SQL_T_BIGINT, eval_trunc, "TRUNC(val INT)", "val as a BIGINT"),
    SL_SQL_OV(SL_SQL_P_BIGINT, SL_SQL_T_BIGINT, eval_trunc, "TRUNC(val BIGINT)", "val unchanged"),
    SL_SQL_OV(SL_SQL_P_DOUBLE, SL_SQL_T_BIGINT, eval_trunc, "TRUNC(val DOUBLE)", "val without its fraction"),
    SL_SQL_OV(P_DOUBLE_INT, SL_SQL_T_DOUBLE, eval_trunc, "TRUNC(val DOUBLE, decimalPlaces INT)",
              "val cut after decimalPlaces digits (before the point when negative)"),
    {SL_SQL_P_DECIMAL, 1, false, SL_SQL_T_NULL, resolve_round_decimal, eval_trunc, NULL, "TRUNC(val DECIMAL)",
     "val without its fraction, as an integral DECIMAL"},
    {P_DECIMAL_INT, 2, false, SL_SQL_T_NULL, sl_sql_fn_resolve_first, eval_trunc, NULL,
     "TRUNC(val DECIMAL, decimalPlaces INT)",
     "val cut after decimalPlaces digits, in val's type"},
};
static const sl_sql_overload_t ROUND_O[] = {
    SL_SQL_OV(SL_SQL_P_INT, SL_SQL_T_BIGINT, eval_round, "ROUND(val INT)", "val as a BIGINT"),
    SL_SQL_OV(SL_SQL_P_BIGINT, SL_SQL_T_BIGINT, eval_round, "ROUND(val BIGINT)", "val unchanged"),
    SL_SQL_OV(SL_SQL_P_DOUBLE, SL_SQL_T_BIGINT, eval_round, "ROUND(val DOUBLE)",
              "the nearest BIGINT, halves rounded up"),
    SL_SQL_OV(P_DOUBLE_INT, SL_SQL_T_DOUBLE, eval_round, "ROUND(val DOUBLE, decimalPlaces INT)",
              "val rounded to decimalPlaces digits after the point (before it when negative)"),
    {SL_SQL_P_DECIMAL, 1, false, SL_SQL_T_NULL, resolve_round_decimal, eval_round, NULL, "ROUND(val DECIMAL)",
     "val rounded to an integral DECIMAL"},
    {P_DECIMAL_INT, 2, false, SL_SQL_T_NULL, sl_sql_fn_resolve_first, eval_round, NULL,
     "ROUND(val DECIMAL, decimalPlaces INT)",
     "val rounded to decimalPlaces digits, in val's type"},
};
static const sl_sql_overload_t SQRT_O[] = {DOUBLE_OVERLOADS(eval_sqrt, "SQRT", "the square root")};
static const sl_sql_overload_t EXP_O[] = {DOUBLE_OVERLOADS(eval_exp, "EXP", "e raised to col1")};
static const sl_sql_overload_t LN_O[] = {DOUBLE_OVERLOADS(eval_ln, "LN", "the natural logarithm")};
static const sl_sql_overload_t CBRT_O[] = {DOUBLE_OVERLOADS(eval_cbrt, "CBRT", "the cube root")};
static const sl_sql_overload_t SIN_O[] = {DOUBLE_OVERLOADS(eval_sin, "SIN", "the sine of col1 (radians)")};
static const sl_sql_overload_t COS_O[] = {DOUBLE_OVERLOADS(eval_cos, "COS", "the cosine of col1 (radians)")};
static const sl_sql_overload_t TAN_O[] = {DOUBLE_OVERLOADS(eval_tan, "TAN", "the tangent of col1 (radians)")};
static const sl_sql_overload_t COT_O[] = {DOUBLE_OVERLOADS(eval_cot, "COT", "the cotangent of col1 (radians)")};
static const sl_sql_overload_t ASIN_O[] = {DOUBLE_OVERLOADS(eval_asin, "ASIN", "the arc sine, in radians")};
static const sl_sql_overload_t ACOS_O[] = {DOUBLE_OVERLOADS(eval_acos, "ACOS", "the arc cosine, in radians")};
static const sl_sql_overload_t ATAN_O[] = {DOUBLE_OVERLOADS(eval_atan, "ATAN", "the arc tangent, in radians")};
static const sl_sql_overload_t SINH_O[] = {DOUBLE_OVERLOADS(eval_sinh, "SINH", "the hyperbolic sine")};
static const sl_sql_overload_t COSH_O[] = {DOUBLE_OVERLOADS(eval_cosh, "COSH", "the hyperbolic cosine")};
static const sl_sql_overload_t TANH_O[] = {DOUBLE_OVERLOADS(eval_tanh, "TANH", "the hyperbolic tangent")};
static const sl_sql_overload_t DEGREES_O[] = {
    DOUBLE_OVERLOADS(eval_degrees, "DEGREES", "col1 radians in degrees")};
static const sl_sql_overload_t RADIANS_O[] = {
    DOUBLE_OVERLOADS(eval_radians, "RADIANS", "col1 degrees in radians")};
static const sl_sql_overload_t LOG_O[] = {
    DOUBLE_OVERLOADS(eval_log, "LOG", "the natural logarithm"),
    SL_SQL_OV(P_DOUBLE2, SL_SQL_T_DOUBLE, eval_log, "LOG(base DOUBLE, value DOUBLE)",
              "the logarithm of value in base (NaN for a base <= 0 or 1)"),
};
static const sl_sql_overload_t ATAN2_O[] = {
    SL_SQL_OV(P_DOUBLE2, SL_SQL_T_DOUBLE, eval_atan2, "ATAN2(y DOUBLE, x DOUBLE)",
              "the angle of the point (x, y), in radians"),
};
static const sl_sql_overload_t PI_O[] = {
    {NULL, 0, false, SL_SQL_T_DOUBLE, NULL, eval_pi, NULL, "PI()", "the value of pi"},
};
static const sl_sql_overload_t SIGN_O[] = {
    SL_SQL_OV(SL_SQL_P_INT, SL_SQL_T_INT, eval_sign, "SIGN(col1 INT)", "-1, 0 or 1"),
    SL_SQL_OV(SL_SQL_P_BIGINT, SL_SQL_T_INT, eval_sign, "SIGN(col1 BIGINT)", "-1, 0 or 1"),
    SL_SQL_OV(SL_SQL_P_DOUBLE, SL_SQL_T_INT, eval_sign, "SIGN(col1 DOUBLE)", "-1, 0 or 1"),
    SL_SQL_OV(SL_SQL_P_DECIMAL, SL_SQL_T_INT, eval_sign, "SIGN(col1 DECIMAL)", "-1, 0 or 1"),
};
static const sl_sql_overload_t POWER_O[] = {
    SL_SQL_OV(P_DOUBLE2, SL_SQL_T_DOUBLE, eval_power, "POWER(base DOUBLE, exponent DOUBLE)",
              "base raised to exponent"),
};
static const sl_sql_overload_t RANDOM_O[] = {
    {NULL, 0, false, SL_SQL_T_DOUBLE, NULL, eval_random, NULL, "RANDOM()",
     "a pseudo-random DOUBLE in [0, 1)"},
};
static const sl_sql_overload_t GREATEST_O[] = {
    {SL_SQL_P_ANY, 1, true, SL_SQL_T_NULL, resolve_greatest, eval_greatest, NULL, "GREATEST(val T, vals T...)",
     "the largest non-NULL argument"},
};
/* --- GEO_DISTANCE ---------------------------------------------------------------- */

/* Earth's radius in the unit named u[0..n) (NULL or blank: kilometers);
 * 0 when the name is none of ksqlDB's. */
static double earth_radius(const char *u, uint32_t n)
{
    static const char *const miles[] = {"mi", "mile", "miles"};
    static const char *const kms[] = {"km", "kilometer", "kilometers", "kilometre", "kilometres"};
    while (n > 0 && (*u == ' ' || *u == '\t'))
        u++, n--;
    while (n > 0 && (u[n - 1] == ' ' || u[n - 1] == '\t'))
        n--;
    if (!u || n == 0)
        return 6371;
    for (size_t i = 0; i < SL_ARRAY_LEN(miles); i++)
        if (strlen(miles[i]) == n && strncasecmp(miles[i], u, n) == 0)
            return 3959;
    for (size_t i = 0; i < SL_ARRAY_LEN(kms); i++)
        if (strlen(kms[i]) == n && strncasecmp(kms[i], u, n) == 0)
            return 6371;
    return 0;
}

static double haversin(double v)
{
    double s = sin(v / 2);
    return s * s;
}

static void eval_geo_distance(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                              sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    if (sl_sql_fn_null_arg(args, 4, out))
        return;
    double lat1 = args[0].u.f64, lon1 = args[1].u.f64, lat2 = args[2].u.f64, lon2 = args[3].u.f64;
    if (lat1 < -90 || lat2 < -90 || lat1 > 90 || lat2 > 90) {
        sl_sql_fn_fail(cx, out, "valid latitude values for GeoDistance function are in the range of -90 to 90 "
                                "decimal degrees");
        return;
    }
    if (lon1 < -180 || lon2 < -180 || lon1 > 180 || lon2 > 180) {
        sl_sql_fn_fail(cx, out, "valid longitude values for GeoDistance function are in the range of -180 to +180 "
                                "decimal degrees");
        return;
    }
    bool named = n > 4 && args[4].kind != SL_SQL_T_NULL;
    double r = earth_radius(named ? args[4].u.s.ptr : NULL, named ? args[4].u.s.len : 0);
    if (r == 0) {
        sl_sql_fn_fail(cx, out, "GeoDistance function units parameter must be one of mi, mile, miles, km, "
                                "kilometer, kilometers, kilometre or kilometres. Values are case-insensitive.");
        return;
    }
    const double rad = M_PI / 180;
    double a = haversin((lat2 - lat1) * rad) + haversin((lon2 - lon1) * rad) * cos(lat1 * rad) * cos(lat2 * rad);
    *out = sl_sql_double(2 * asin(sqrt(a)) * r);
}

static const sl_sql_tkind_t P_DOUBLE4[] = {SL_SQL_T_DOUBLE, SL_SQL_T_DOUBLE, SL_SQL_T_DOUBLE, SL_SQL_T_DOUBLE};
static const sl_sql_tkind_t P_DOUBLE4_STR[] = {SL_SQL_T_DOUBLE, SL_SQL_T_DOUBLE, SL_SQL_T_DOUBLE, SL_SQL_T_DOUBLE,
                                               SL_SQL_T_STRING};
static const sl_sql_overload_t GEO_DISTANCE_O[] = {
    SL_SQL_OV(P_DOUBLE4, SL_SQL_T_DOUBLE, eval_geo_distance,
              "GEO_DISTANCE(lat1 DOUBLE, lon1 DOUBLE, lat2 DOUBLE, lon2 DOUBLE)",
              "the great-circle distance of two points in kilometers"),
    SL_SQL_OV(P_DOUBLE4_STR, SL_SQL_T_DOUBLE, eval_geo_distance,
              "GEO_DISTANCE(lat1 DOUBLE, lon1 DOUBLE, lat2 DOUBLE, lon2 DOUBLE, units VARCHAR)",
              "the great-circle distance of two points in kilometers (KM) or miles (MI)"),
};

static const sl_sql_overload_t LEAST_O[] = {
    {SL_SQL_P_ANY, 1, true, SL_SQL_T_NULL, resolve_least, eval_least, NULL, "LEAST(val T, vals T...)",
     "the smallest non-NULL argument"},
};

const sl_sql_func_t sl_sql_funcs_math[] = {
    SL_SQL_FN("ABS", "MATHEMATICAL", "Returns the absolute value of a number.", ABS_O),
    SL_SQL_FN("ACOS", "MATHEMATICAL", "Returns the arc cosine of a number.", ACOS_O),
    SL_SQL_FN("ASIN", "MATHEMATICAL", "Returns the arc sine of a number.", ASIN_O),
    SL_SQL_FN("ATAN", "MATHEMATICAL", "Returns the arc tangent of a number.", ATAN_O),
    SL_SQL_FN("ATAN2", "MATHEMATICAL", "Returns the angle of a point given as y and x.", ATAN2_O),
    SL_SQL_FN("CBRT", "MATHEMATICAL", "Returns the cube root of a number.", CBRT_O),
    SL_SQL_FN("CEIL", "MATHEMATICAL", "Rounds a number up to the nearest integral value.", CEIL_O),
    SL_SQL_FN("COS", "MATHEMATICAL", "Returns the cosine of an angle in radians.", COS_O),
    SL_SQL_FN("COSH", "MATHEMATICAL", "Returns the hyperbolic cosine of a number.", COSH_O),
    SL_SQL_FN("COT", "MATHEMATICAL", "Returns the cotangent of an angle in radians.", COT_O),
    SL_SQL_FN("DEGREES", "MATHEMATICAL", "Converts radians to degrees.", DEGREES_O),
    SL_SQL_FN("EXP", "MATHEMATICAL", "Returns e raised to the power of a number.", EXP_O),
    SL_SQL_FN("FLOOR", "MATHEMATICAL", "Rounds a number down to the nearest integral value.", FLOOR_O),
    SL_SQL_FN("GEO_DISTANCE", "OTHER",
              "The great-circle distance of two points given as latitude and longitude in degrees (haversine).",
              GEO_DISTANCE_O),
    SL_SQL_FN("GREATEST", "MATHEMATICAL", "Returns the largest of its arguments, ignoring NULLs.", GREATEST_O),
    SL_SQL_FN("LEAST", "MATHEMATICAL", "Returns the smallest of its arguments, ignoring NULLs.", LEAST_O),
    SL_SQL_FN("LN", "MATHEMATICAL", "Returns the natural logarithm of a number.", LN_O),
    SL_SQL_FN("LOG", "MATHEMATICAL", "Returns the logarithm of a number, natural or in a given base.", LOG_O),
    SL_SQL_FN("PI", "MATHEMATICAL", "Returns the value of pi.", PI_O),
    SL_SQL_FN("POWER", "MATHEMATICAL", "Raises a number to a power.", POWER_O),
    SL_SQL_FN("RADIANS", "MATHEMATICAL", "Converts degrees to radians.", RADIANS_O),
    SL_SQL_FN("RANDOM", "MATHEMATICAL", "Returns a pseudo-random number between 0 (inclusive) and 1.", RANDOM_O),
    SL_SQL_FN("ROUND", "MATHEMATICAL",
              "Rounds a number to an integer or to a number of decimal places, halves upwards.", ROUND_O),
    SL_SQL_FN("SIGN", "MATHEMATICAL", "Returns the sign of a number as -1, 0 or 1.", SIGN_O),
    SL_SQL_FN("SIN", "MATHEMATICAL", "Returns the sine of an angle in radians.", SIN_O),
    SL_SQL_FN("SINH", "MATHEMATICAL", "Returns the hyperbolic sine of a number.", SINH_O),
    SL_SQL_FN("SQRT", "MATHEMATICAL", "Returns the square root of a number.", SQRT_O),
    SL_SQL_FN("TAN", "MATHEMATICAL", "Returns the tangent of an angle in radians.", TAN_O),
    SL_SQL_FN("TANH", "MATHEMATICAL", "Returns the hyperbolic tangent of a number.", TANH_O),
    SL_SQL_FN("TRUNC", "MATHEMATICAL", "Drops the digits of a number after a number of decimal places.", TRUNC_O),
    SL_SQL_FN_END,
};
