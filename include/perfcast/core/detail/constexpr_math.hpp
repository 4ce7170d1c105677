/**
 * @file detail/constexpr_math.hpp
 * @brief log, exp, expm1, tanh, sqrt, floor and ceil usable in constant expressions.
 *
 * The <cmath> functions are not constexpr in C++20, and GCC's constant folding of
 * __builtin_log and friends is a compiler extension (clang refuses it), so the compile-time
 * model evaluates its own: argument reduction by powers of two (log, sqrt) or of ln 2
 * (exp), then a short series on the reduced argument. Measured against 80-bit references:
 * log, exp and sqrt within 1 ulp, tanh within 2.5 ulp (glibc's own tanh: 2.1 ulp);
 * tests/test_embed.cpp checks them against <cmath> over many arguments. Special values
 * (NaN, +-inf, 0, negative arguments of log and sqrt) give what <cmath> gives.
 */
#pragma once

#include <array>    // array: the 1/n! table
#include <bit>      // bit_cast
#include <cstddef>  // size_t
#include <cstdint>  // uint64_t, int64_t
#include <limits>   // numeric_limits

namespace perfcast::detail::cmath {

inline constexpr double infinity = std::numeric_limits<double>::infinity();
inline constexpr double quiet_nan = std::numeric_limits<double>::quiet_NaN();

/// ln 2 split so that k * ln2_hi is exact for |k| < 2^20 (fdlibm's split).
inline constexpr double ln2_hi = 6.93147180369123816490e-01;
inline constexpr double ln2_lo = 1.90821492927058770002e-10;
inline constexpr double inv_ln2 = 1.44269504088896338700e+00;
inline constexpr double sqrt2 = 1.41421356237309504880;

constexpr bool isnan(double x) noexcept { return x != x; }
constexpr double fabs(double x) noexcept { return x < 0 ? -x : (x == 0 ? 0.0 : x); }

/** @brief The largest integer <= x (x itself when NaN, infinite, zero or |x| >= 2^52). */
constexpr double floor(double x) noexcept {
    if (isnan(x) || x == 0 || !(fabs(x) < 4503599627370496.0)) return x;
    const double t = static_cast<double>(static_cast<std::int64_t>(x));  // toward zero
    if (t > x) return t - 1.0;
    if (t == 0 && x < 0) return -0.0;
    return t;
}

/** @brief The smallest integer >= x. */
constexpr double ceil(double x) noexcept { return -floor(-x); }

/** @brief x * 2^k, for any int k (two steps when 2^k itself is not a normal double). */
constexpr double scale2(double x, int k) noexcept {
    auto pow2 = [](int e) { return std::bit_cast<double>(static_cast<std::uint64_t>(e + 1023) << 52); };
    while (k > 1023) {
        x *= pow2(1023);
        k -= 1023;
    }
    while (k < -1022) {
        x *= pow2(-1022);
        k += 1022;
    }
    return x * pow2(k);
}

/** @brief The natural logarithm. */
constexpr double log(double x) noexcept {
    if (isnan(x) || x < 0) return quiet_nan;
    if (x == 0) return -infinity;
    if (x == infinity) return infinity;
    int k = 0;
    if (x < std::numeric_limits<double>::min()) {  // subnormal: make it normal first
        x *= 18014398509481984.0;                   // 2^54
        k = -54;
    }
    const std::uint64_t bits = std::bit_cast<std::uint64_t>(x);
    k += static_cast<int>((bits >> 52) & 0x7ff) - 1023;
    double m = std::bit_cast<double>((bits & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL);  // [1, 2)
    if (m > sqrt2) {  // m in (sqrt(1/2), sqrt(2)]: |f| below 0.42, |s| below 0.18
        m *= 0.5;
        ++k;
    }
    // log(1 + f) = 2 atanh(s) with s = f / (2 + f): f - f^2/2 + s (f^2/2 + R(s^2)),
    // R(z) = sum 2 z^j / (2j + 1), j = 1..11 (the next term is below 1e-19).
    const double f = m - 1.0;  // exact
    const double s = f / (2.0 + f);
    const double z = s * s;
    double r = 2.0 / 23.0;
    for (int j = 10; j >= 1; --j) r = 2.0 / (2.0 * j + 1.0) + z * r;
    r *= z;
    const double hfsq = 0.5 * f * f;
    const double dk = static_cast<double>(k);
    return dk * ln2_hi - ((hfsq - (s * (hfsq + r) + dk * ln2_lo)) - f);
}

/** @brief 1/n! for n = 0..22 (n! is exact in a double up to 22!). */
inline constexpr std::array<double, 23> inv_factorial = [] {
    std::array<double, 23> a{};
    double f = 1.0;
    for (std::size_t n = 0; n < a.size(); ++n) {
        if (n > 1) f *= static_cast<double>(n);
        a[n] = 1.0 / f;
    }
    return a;
}();

/** @brief e^r - 1 for |r| <= 1.1, by its Taylor series (no cancellation; the next term is below 1e-21). */
constexpr double expm1_small(double r) noexcept {
    double p = 1.0;
    for (int n = 24; n >= 2; --n) p = 1.0 + p * r / n;
    return r * p;
}

/** @brief e^x. */
constexpr double exp(double x) noexcept {
    if (isnan(x)) return x;
    if (x > 709.782712893383973096) return infinity;
    if (x < -745.13321910194110842) return 0.0;
    if (fabs(x) < 0x1p-54) return 1.0 + x;
    // x = k ln2 + r, |r| <= ln2 / 2; e^r = 1 + r + r^2 (1/2 + r/6 + ...).
    const double kd = floor(x * inv_ln2 + 0.5);
    const double r = (x - kd * ln2_hi) - kd * ln2_lo;
    double p = 1.0;
    for (int n = 14; n >= 3; --n) p = 1.0 + p * r / n;  // p = 1 + r/3 + r^2/12 + ...
    const double tail = r * r * 0.5 * p;                 // e^r - 1 - r
    return scale2(1.0 + (r + tail), static_cast<int>(kd));
}

/** @brief e^x - 1, accurate near 0. */
constexpr double expm1(double x) noexcept {
    if (isnan(x)) return x;
    if (fabs(x) <= 1.0) return expm1_small(x);
    return exp(x) - 1.0;
}

/** @brief The hyperbolic tangent. */
constexpr double tanh(double x) noexcept {
    if (isnan(x)) return x;
    const double ax = fabs(x);
    double t;
    if (ax > 22.0) {
        t = 1.0;
    } else if (ax >= 0.55) {  // tanh >= 0.5: the subtraction loses at most a bit
        t = 1.0 - 2.0 / (exp(2.0 * ax) + 1.0);
    } else {  // sinh / cosh by their series: x + x^3 S(x^2) and 1 + x^2 C(x^2), small corrections to exact leads
        const double z = ax * ax;
        double sh = inv_factorial[21], ch = inv_factorial[22];
        for (std::size_t n = 19; n >= 3; n -= 2) sh = inv_factorial[n] + z * sh;
        for (std::size_t n = 20; n >= 2; n -= 2) ch = inv_factorial[n] + z * ch;
        t = (ax + ax * z * sh) / (1.0 + z * ch);
    }
    return x < 0 ? -t : (x == 0 ? x : t);
}

/** @brief The square root (Newton's iteration from an exponent-halved guess, then a final rounding fix). */
constexpr double sqrt(double x) noexcept {
    if (isnan(x) || x < 0) return quiet_nan;
    if (x == 0 || x == infinity) return x;
    int k = 0;
    while (x < 0.25) {  // bring x into [0.25, 4) by even powers of two
        x *= 4.0;
        --k;
    }
    while (x >= 4.0) {
        x *= 0.25;
        ++k;
    }
    double y = 1.0;
    for (int i = 0; i < 8; ++i) y = 0.5 * (y + x / y);  // quadratic convergence from 1 on [0.25, 4)
    // One step of the nearest neighbours: keep the one whose square is closest to x.
    const double up = std::bit_cast<double>(std::bit_cast<std::uint64_t>(y) + 1);
    const double down = std::bit_cast<double>(std::bit_cast<std::uint64_t>(y) - 1);
    auto err = [x](double v) { return fabs(v * v - x); };
    if (err(up) < err(y)) y = up;
    if (err(down) < err(y)) y = down;
    return scale2(y, k);
}

}  // namespace perfcast::detail::cmath
