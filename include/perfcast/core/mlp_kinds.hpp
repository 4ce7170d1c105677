/**
 * @file mlp_kinds.hpp
 * @brief The hidden activation and the target transform of perfcast's MLPs, and their math,
 *        written once over a math policy: the trainer (runtime/mlp.hpp), the run-time predictor
 *        and the compile-time model evaluate them with this code.
 */
#pragma once

#include <algorithm>    // max
#include <optional>     // optional
#include <string_view>  // string_view

namespace perfcast {

/** @brief Nonlinearity applied after every hidden layer (the output layer is linear). */
enum class MlpActivation {
    relu,  ///< max(0, z)
    tanh,  ///< tanh(z)
    silu,  ///< z * sigmoid(z)
    gelu,  ///< 0.5 z (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3))), the tanh approximation
};

/** @brief The kinds of target transform: the map from a time t to what the network learns. */
enum class TargetKind {
    identity,  ///< z = t
    sqrt,      ///< z = sqrt(c * t), t >= 0
    log,       ///< z = log(t), t > 0
};

/** @brief The name of an activation, as used in JSON ("relu", "tanh", "silu", "gelu"). */
constexpr std::string_view to_string(MlpActivation activation) noexcept {
    switch (activation) {
        case MlpActivation::relu: return "relu";
        case MlpActivation::tanh: return "tanh";
        case MlpActivation::silu: return "silu";
        case MlpActivation::gelu: return "gelu";
    }
    return "?";
}

/** @brief The name of a target transform kind ("identity", "sqrt", "log"). */
constexpr std::string_view to_string(TargetKind kind) noexcept {
    switch (kind) {
        case TargetKind::identity: return "identity";
        case TargetKind::sqrt: return "sqrt";
        case TargetKind::log: return "log";
    }
    return "?";
}

namespace detail {

/** @brief sqrt(2 / pi), the GELU tanh-approximation constant. */
inline constexpr double gelu_scale = 0.7978845608028654;
/** @brief The cubic coefficient of the GELU tanh approximation. */
inline constexpr double gelu_cubic = 0.044715;

/** @brief act(x) for one value, with the math of @p Math (detail/math_policy.hpp). */
template <typename Math>
constexpr double activate(MlpActivation a, double x) noexcept {
    switch (a) {
        case MlpActivation::relu: return std::max(x, 0.0);  // keeps NaN: NaN < 0 is false
        case MlpActivation::tanh: return Math::tanh(x);
        case MlpActivation::silu: return x / (1.0 + Math::exp(-x));
        case MlpActivation::gelu: return 0.5 * x * (1.0 + Math::tanh(gelu_scale * (x + gelu_cubic * x * x * x)));
    }
    return x;
}

/** @brief t = T^-1(z), defined for every z (sqrt keeps the sign, so the inverse is monotonic). */
template <typename Math>
constexpr double inverse_target(TargetKind kind, double c, double z) noexcept {
    switch (kind) {
        case TargetKind::identity: return z;
        case TargetKind::sqrt: return z * (z < 0 ? -z : z) / c;
        case TargetKind::log: return Math::exp(z);
    }
    return z;
}

}  // namespace detail
}  // namespace perfcast
