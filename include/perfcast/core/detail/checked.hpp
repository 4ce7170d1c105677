/**
 * @file detail/checked.hpp
 * @brief The bounds of sizes and counts, and the overflow-checked arithmetic that keeps every
 *        count perfcast forms inside them (the rules size_in_range and work_in_range).
 */
#pragma once

#include <compare>      // <=>
#include <cstdint>      // int64_t
#include <limits>       // numeric_limits
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <type_traits>  // is_constant_evaluated

#include "../error.hpp"  // error

namespace perfcast {

/**
 * @brief The largest size a layer may state (batch, channels, features, kernel, padding, every
 * dimension of a shape, ...): 2^31-1, the int32 dimension limit of cuDNN's and cuBLAS's classic
 * APIs, so every size perfcast accepts is one those libraries take. It also makes the rules
 * themselves safe: a sum of a few sizes, or a product of two, cannot overflow 64 bits.
 */
inline constexpr std::int64_t max_size = std::numeric_limits<std::int32_t>::max();

/**
 * @brief The largest count perfcast forms (tensor elements, parameters, FLOPs, bytes; of a phase,
 * of a layer's pass, and summed over a network): 2^62. Every count fits an int64 with a bit to
 * spare, so the sum of two in-range counts is still representable and can be compared with the
 * bound; a layer past it would run for over an hour on any GPU of today (4.6e18 FLOPs), far outside
 * anything a model trained on measurements can speak about.
 */
inline constexpr std::int64_t max_count = std::int64_t{1} << 62;

/**
 * @brief Refusal inside constant evaluation of the two range rules: a network total, or a product
 * the network builder forms, that breaks one stops compilation with the rule's name (the other
 * rules' functions are in layers/rules.hpp).
 */
namespace rule_broken {
inline void size_in_range(std::int64_t, std::int64_t) {}
inline void work_in_range(std::int64_t, std::int64_t) {}
}  // namespace rule_broken

namespace detail {

inline constexpr std::int64_t saturated = std::numeric_limits<std::int64_t>::max();

/**
 * @brief A count computed in checked arithmetic: once a step leaves the range (above max_count, or
 * past 64 bits) it is flagged, and the flag sticks through every later step. The cost formulas
 * (layers/cost.hpp) are written once, over their integer type: evaluated with Count they say
 * whether any count they form leaves the range (the rule work_in_range), with std::int64_t they
 * are the plain, fast formulas, safe for every layer the rule accepted.
 */
struct Count {
    std::int64_t value = 0;  ///< the count, or `saturated` when it is past 64 bits
    bool over = false;       ///< some step left [.., max_count]

    constexpr Count() = default;
    constexpr Count(std::int64_t v) noexcept : value(v), over(v > max_count) {}  // NOLINT: implicit by design

    friend constexpr Count operator+(Count a, Count b) noexcept {
        Count r;
        if (__builtin_add_overflow(a.value, b.value, &r.value)) r.value = saturated;
        r.over = a.over || b.over || r.value > max_count;
        return r;
    }
    friend constexpr Count operator-(Count a, Count b) noexcept {
        Count r;
        if (__builtin_sub_overflow(a.value, b.value, &r.value)) r.value = saturated;
        r.over = a.over || b.over || r.value > max_count;
        return r;
    }
    friend constexpr Count operator*(Count a, Count b) noexcept {
        Count r;
        if (__builtin_mul_overflow(a.value, b.value, &r.value)) r.value = saturated;
        r.over = a.over || b.over || r.value > max_count;
        return r;
    }
    friend constexpr Count operator/(Count a, Count b) noexcept {
        Count r;
        const bool wraps = b.value == -1 && a.value == std::numeric_limits<std::int64_t>::min();
        r.value = b.value == 0 ? 0 : wraps ? saturated : a.value / b.value;
        r.over = a.over || b.over || wraps;
        return r;
    }
    constexpr Count& operator+=(Count o) noexcept { return *this = *this + o; }
    constexpr Count& operator*=(Count o) noexcept { return *this = *this * o; }
    friend constexpr bool operator==(Count a, Count b) noexcept { return a.value == b.value; }
    friend constexpr auto operator<=>(Count a, Count b) noexcept { return a.value <=> b.value; }
};

/** @brief a*b, or `saturated` when it is past 64 bits: a size the builder forms, refused by size_in_range. */
constexpr std::int64_t size_product(std::int64_t a, std::int64_t b) noexcept {
    std::int64_t r = 0;
    return __builtin_mul_overflow(a, b, &r) ? saturated : r;
}

/** @brief total_add()'s refusal at run time, built out of line so that the sum inlines where it is taken. */
[[noreturn, gnu::cold, gnu::noinline]] inline void total_out_of_range(std::string_view what) {
    throw error(std::string(what), "work_in_range: a network's total must be <= 2^62 = " + std::to_string(max_count) +
                                       " (the sum passes it)");
}

/**
 * @brief a + b for a network total (`what`: "flops", "bytes", "params"), refused past max_count:
 * at run time with perfcast::error naming the rule, in a constant expression by stopping compilation.
 */
[[gnu::always_inline]] constexpr std::int64_t total_add(std::int64_t a, std::int64_t b, std::string_view what) {
    const Count r = Count{a} + Count{b};
    if (r.over) {
        if (std::is_constant_evaluated()) rule_broken::work_in_range(r.value, max_count);
        total_out_of_range(what);
    }
    return r.value;
}

}  // namespace detail
}  // namespace perfcast
