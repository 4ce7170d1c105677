/**
 * @file optimizer.hpp
 * @brief The optimizer update of a training step: which element-wise kernels it runs over
 *        each parameter tensor, so that whole-network estimates (estimate(), network_us())
 *        include it.
 */
#pragma once

#include <cstdint>      // int64_t
#include <optional>     // optional
#include <string_view>  // string_view
#include <variant>      // holds_alternative, get

#include "layers.hpp"  // Layer, the parameter structs, param_count
#include "types.hpp"   // Shape

namespace perfcast {

/**
 * @brief The optimizer whose update a training step runs after the backward pass, as PyTorch's
 * CPU and single-tensor CUDA implementations run it: element-wise kernels over each parameter
 * tensor, sgd 1 (p -= lr g), sgd_momentum 3 (buf *= m; buf += g; p -= lr buf), adam 8 (two
 * moments 2 each, the denominator 3, the update 1). `none` leaves the update out (layers only,
 * the seed thesis' training time).
 */
enum class Optimizer { none, sgd, sgd_momentum, adam };

constexpr std::string_view to_string(Optimizer o) noexcept {
    switch (o) {
        case Optimizer::none: return "none";
        case Optimizer::sgd: return "sgd";
        case Optimizer::sgd_momentum: return "sgd_momentum";
        case Optimizer::adam: return "adam";
    }
    return "?";
}

constexpr std::optional<Optimizer> parse_optimizer(std::string_view s) noexcept {
    for (Optimizer o : {Optimizer::none, Optimizer::sgd, Optimizer::sgd_momentum, Optimizer::adam})
        if (to_string(o) == s) return o;
    return std::nullopt;
}

/** @brief Element-wise kernels the optimizer runs per parameter tensor. */
constexpr int update_kernels(Optimizer o) noexcept {
    return o == Optimizer::sgd ? 1 : o == Optimizer::sgd_momentum ? 3 : o == Optimizer::adam ? 8 : 0;
}

/** @brief Calls f(elements) for each of a layer's parameter tensors (weight, bias; batch norm's scale and shift). */
template <typename F>
constexpr void for_each_parameter_tensor(const Layer& l, F&& f) {
    const std::int64_t total = param_count(l);
    if (total == 0) return;
    // holds_alternative + get, not get_if: GCC cannot fold get_if's null test of a static array's
    // element in a constant expression when the sanitizers are on
    if (std::holds_alternative<DenseParams>(l)) {
        const DenseParams& d = std::get<DenseParams>(l);
        if (!d.tied) f(d.in_features * d.out_features);  // a tied weight is updated with the layer that owns it
        if (d.bias) f(d.out_features);
    } else if (std::holds_alternative<Conv2DParams>(l)) {
        const Conv2DParams& c = std::get<Conv2DParams>(l);
        f(total - (c.bias ? c.out_channels : 0));
        if (c.bias) f(c.out_channels);
    } else if (std::holds_alternative<BatchNorm2DParams>(l)) {
        const BatchNorm2DParams& b = std::get<BatchNorm2DParams>(l);
        f(b.channels);
        f(b.channels);
    } else {
        f(total);
    }
}

/** @brief One kernel of the optimizer's update over a parameter tensor of n elements, as it is estimated. */
constexpr Layer update_kernel(std::int64_t n) noexcept { return AddParams{Shape::matrix(1, n), 2}; }

}  // namespace perfcast
