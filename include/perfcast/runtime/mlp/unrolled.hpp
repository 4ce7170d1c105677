/**
 * @file mlp/unrolled.hpp
 * @brief Loops unrolled by hand so that GCC's -O2 emits SIMD code: axpy and
 *        for_each_index.
 */
#pragma once

#include <cstddef>  // size_t

namespace perfcast::detail::mlp {

// The kernels below are unrolled by 4 by hand so that GCC's -O2 (whose cheap vectoriser
// skips loops of unknown trip count) still emits SIMD code.

/** @brief y += a * x over @p n values (x and y must not overlap). */
inline void axpy(double a, const double* __restrict__ x, double* __restrict__ y, std::size_t n) noexcept {
    std::size_t j = 0;
    for (; j + 4 <= n; j += 4) {
        y[j] += a * x[j];
        y[j + 1] += a * x[j + 1];
        y[j + 2] += a * x[j + 2];
        y[j + 3] += a * x[j + 3];
    }
    for (; j < n; ++j) y[j] += a * x[j];
}

/**
 * @brief Calls f(i) for i in [0, n), four at a time, so that GCC's -O2 vectoriser
 * (which leaves loops of unknown trip count alone) can still pack the four calls into
 * SIMD instructions, and so that simple selects compile without branches.
 */
template <class F>
inline void for_each_index(std::size_t n, F&& f) noexcept {
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        f(i);
        f(i + 1);
        f(i + 2);
        f(i + 3);
    }
    for (; i < n; ++i) f(i);
}

}  // namespace perfcast::detail::mlp
