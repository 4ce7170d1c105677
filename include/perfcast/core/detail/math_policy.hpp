/**
 * @file detail/math_policy.hpp
 * @brief The two math policies the shared templates run with: constexpr_math (perfcast's own
 *        constexpr functions, for constant expressions) and std_math (<cmath>, at run time).
 *        The features, the activations and the target transform are written once over a policy.
 */
#pragma once

#include <cmath>  // log, exp, tanh, floor, ceil: std_math

#include "constexpr_math.hpp"  // cmath::log, exp, tanh, floor, ceil

namespace perfcast::detail {

/** @brief The math of the compile-time path. */
struct constexpr_math {
    static constexpr double log(double x) noexcept { return cmath::log(x); }
    static constexpr double exp(double x) noexcept { return cmath::exp(x); }
    static constexpr double tanh(double x) noexcept { return cmath::tanh(x); }
    static constexpr double floor(double x) noexcept { return cmath::floor(x); }
    static constexpr double ceil(double x) noexcept { return cmath::ceil(x); }
};

/** @brief The math of the run-time path. */
struct std_math {
    static double log(double x) noexcept { return std::log(x); }
    static double exp(double x) noexcept { return std::exp(x); }
    static double tanh(double x) noexcept { return std::tanh(x); }
    static double floor(double x) noexcept { return std::floor(x); }
    static double ceil(double x) noexcept { return std::ceil(x); }
};

}  // namespace perfcast::detail
