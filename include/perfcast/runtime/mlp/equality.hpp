/**
 * @file mlp/equality.hpp
 * @brief Bitwise comparisons behind the MLP types' operator==: numbers (NaN equal to NaN)
 *        and tensors.
 */
#pragma once

#include <algorithm>  // equal
#include <cmath>      // isnan

namespace perfcast::detail::mlp {

/** @brief Both NaN, or equal. */
inline bool same_number(double a, double b) noexcept { return (std::isnan(a) && std::isnan(b)) || a == b; }

/** @brief Bitwise-equal tensors of equal shape. */
template <class Tensor>
bool same_tensor(const Tensor& a, const Tensor& b) noexcept {
    if (a.shape() != b.shape()) return false;
    return std::equal(a.begin(), a.end(), b.begin());
}

}  // namespace perfcast::detail::mlp
