/**
 * @file method.hpp
 * @brief How a layer's time was estimated (perfcast::Method), and a layer's time with its method
 *        (perfcast::LayerTime), as every estimate reports them.
 */
#pragma once

#include <optional>     // optional
#include <string_view>  // string_view

namespace perfcast {

/**
 * @brief The methods a layer's time can come from: the learned model (`mlp`), its fitted
 * memory-bound model (`memory_fit`), the analytical baselines (`roofline`, `paleo`), or none
 * because the layer runs no kernel in the pass (`no_kernel`: a view, dropout at inference).
 */
enum class Method { mlp, memory_fit, roofline, paleo, no_kernel };

constexpr std::string_view to_string(Method m) noexcept {
    switch (m) {
        case Method::mlp: return "mlp";
        case Method::memory_fit: return "memory-fit";
        case Method::roofline: return "roofline";
        case Method::paleo: return "paleo";
        case Method::no_kernel: return "no kernel";
    }
    return "?";
}

constexpr std::optional<Method> parse_method(std::string_view s) noexcept {
    for (Method m : {Method::mlp, Method::memory_fit, Method::roofline, Method::paleo, Method::no_kernel})
        if (to_string(m) == s) return m;
    return std::nullopt;
}

/** @brief One layer's time, the method that gave it, and the part of it that is the call overhead. */
struct LayerTime {
    double us = 0;
    Method method = Method::roofline;
    double overhead_us = 0;  ///< the framework's cost of calling the layer in a network (CallOverhead)

    /** @brief Did the learned model make it? */
    constexpr bool learned() const noexcept { return method == Method::mlp; }
};

}  // namespace perfcast
