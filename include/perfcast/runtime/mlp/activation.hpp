/**
 * @file mlp/activation.hpp
 * @brief The hidden activations elementwise, and their derivatives for backpropagation.
 */
#pragma once

#include <algorithm>  // max
#include <cmath>      // tanh, exp
#include <cstddef>    // size_t

#include "../../core/detail/math_policy.hpp"  // std_math
#include "../../core/mlp_kinds.hpp"           // MlpActivation, activate, gelu_scale, gelu_cubic
#include "options.hpp"   // MlpActivation
#include "unrolled.hpp"  // for_each_index

namespace perfcast::detail::mlp {

/** @brief act(x) for one value (the slow path: libm calls), as core/mlp_kinds.hpp defines it. */
inline double activate_one(MlpActivation activation, double x) noexcept {
    return perfcast::detail::activate<perfcast::detail::std_math>(activation, x);
}

/**
 * @brief a = act(z) elementwise over @p n values; a and z must not overlap.
 *
 * Kept out of line so the restrict qualifiers survive: inlined, GCC loses them and
 * the unrolled ReLU falls back to branches, which mispredict on random signs.
 */
[[gnu::noinline]] inline void activate(MlpActivation activation, const double* __restrict__ z, double* __restrict__ a,
                                       std::size_t n) noexcept {
    if (activation == MlpActivation::relu) {
        // Unrolled and restrict-qualified: packed and branch-free at -O2.
        for_each_index(n, [&](std::size_t i) { a[i] = std::max(z[i], 0.0); });
        return;
    }
    for (std::size_t i = 0; i < n; ++i) a[i] = activate_one(activation, z[i]);
}

/** @brief v = act(v) elementwise over @p n values (out of line, as activate()). */
[[gnu::noinline]] inline void activate_in_place(MlpActivation activation, double* v, std::size_t n) noexcept {
    if (activation == MlpActivation::relu) {
        for_each_index(n, [&](std::size_t i) { v[i] = std::max(v[i], 0.0); });
        return;
    }
    for (std::size_t i = 0; i < n; ++i) v[i] = activate_one(activation, v[i]);
}

/**
 * @brief delta *= act'(z) elementwise, with a = act(z) already computed; delta must
 * not overlap z or a. Out of line, as activate().
 */
[[gnu::noinline]] inline void multiply_by_derivative(MlpActivation activation, const double* __restrict__ z,
                                                     const double* __restrict__ a, double* __restrict__ delta,
                                                     std::size_t n) noexcept {
    switch (activation) {
        case MlpActivation::relu:
            for_each_index(n, [&](std::size_t i) {
                const double d = delta[i];  // loaded unconditionally, so the select packs
                delta[i] = z[i] > 0.0 ? d : 0.0;
            });
            return;
        case MlpActivation::tanh: for_each_index(n, [&](std::size_t i) { delta[i] *= 1.0 - a[i] * a[i]; }); return;
        case MlpActivation::silu:
            for (std::size_t i = 0; i < n; ++i) {
                const double s = 1.0 / (1.0 + std::exp(-z[i]));
                delta[i] *= s * (1.0 + z[i] * (1.0 - s));
            }
            return;
        case MlpActivation::gelu:
            for (std::size_t i = 0; i < n; ++i) {
                const double x = z[i];
                const double th = std::tanh(gelu_scale * (x + gelu_cubic * x * x * x));
                const double du = gelu_scale * (1.0 + 3.0 * gelu_cubic * x * x);
                delta[i] *= 0.5 * (1.0 + th) + 0.5 * x * (1.0 - th * th) * du;
            }
            return;
    }
}

}  // namespace perfcast::detail::mlp
