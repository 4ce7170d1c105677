/**
 * @file mlp/row_kernel.hpp
 * @brief The single-row forward pass of one dense layer (Mlp::predict_one), with a copy
 *        compiled for AVX2 and FMA chosen at run time on x86-64.
 */
#pragma once

#include <algorithm>  // copy, min
#include <array>      // array: compacted input indices
#include <cstddef>    // size_t
#include <cstdint>    // uint32_t

#include "activation.hpp"  // activate_in_place
#include "options.hpp"     // MlpActivation

namespace perfcast::detail::mlp {

/**
 * @brief out[k] = init[k] + sum over p of in[idx[p]] * w[idx[p] * stride + k], k in [0, B): a
 * block of B outputs kept in registers over all the listed inputs (one load of each weight, no
 * stores until the end), then ReLU'd when @p relu is set. @p init may be @p out. Inlined into the
 * forward passes below, so it is compiled for each instruction set they target.
 */
template <std::size_t B>
[[gnu::always_inline]] inline void gather_block(const double* __restrict__ in, const std::uint32_t* __restrict__ idx,
                                                std::size_t count, const double* __restrict__ w, std::size_t stride,
                                                const double* init, bool relu, double* out) noexcept {
    double acc[B];
    for (std::size_t k = 0; k < B; ++k) acc[k] = init[k];
    for (std::size_t p = 0; p < count; ++p) {
        const std::size_t i = idx[p];
        const double x = in[i];
        const double* row = w + i * stride;
        for (std::size_t k = 0; k < B; ++k) acc[k] += x * row[k];
    }
    if (relu)
        for (std::size_t k = 0; k < B; ++k) acc[k] = acc[k] > 0.0 ? acc[k] : 0.0;
    for (std::size_t k = 0; k < B; ++k) out[k] = acc[k];
}

/** @brief One dense layer for the single-row forward pass: o = act(b + x W). */
struct RowLayer {
    const double* w;     ///< n_in x n_out, row-major
    const double* bias;  ///< n_out
    std::size_t n_in, n_out;
    bool relu;                 ///< apply ReLU to the outputs (a hidden layer of a ReLU network)
    MlpActivation activation;  ///< else, for a hidden layer, this activation (out of line)
    bool hidden;               ///< not the output layer
};

/**
 * @brief One layer of one row, in blocks of 16, 8, 4 and 1 outputs. Inputs exactly 0 (about
 * half, after ReLU) are left out of the sums: their indices are compacted first without
 * branches, since branching on them mispredicts; 256 at a time, so no scratch is needed.
 */
[[gnu::always_inline]] inline void forward_row_layer(const RowLayer& L, const double* __restrict__ in,
                                                     double* __restrict__ out) noexcept {
    std::array<std::uint32_t, 256> idx;
    if (L.n_in == 0) std::copy(L.bias, L.bias + L.n_out, out);
    for (std::size_t base = 0; base < L.n_in; base += idx.size()) {
        const std::size_t end = std::min(L.n_in, base + idx.size());
        std::size_t count = 0;
        for (std::size_t i = base; i < end; ++i) {  // branch-free compaction
            idx[count] = static_cast<std::uint32_t>(i);
            count += in[i] != 0.0 ? 1 : 0;
        }
        const double* init = base == 0 ? L.bias : out;
        const bool relu = L.relu && L.hidden && end == L.n_in;
        const std::size_t n = L.n_out;
        std::size_t o = 0;
        for (; o + 16 <= n; o += 16) gather_block<16>(in, idx.data(), count, L.w + o, n, init + o, relu, out + o);
        for (; o + 8 <= n; o += 8) gather_block<8>(in, idx.data(), count, L.w + o, n, init + o, relu, out + o);
        for (; o + 4 <= n; o += 4) gather_block<4>(in, idx.data(), count, L.w + o, n, init + o, relu, out + o);
        for (; o < n; ++o) gather_block<1>(in, idx.data(), count, L.w + o, n, init + o, relu, out + o);
    }
}

/** @brief forward_row_layer() compiled for the build's instruction set. */
inline void forward_row_layer_generic(const RowLayer& L, const double* __restrict__ in,
                                      double* __restrict__ out) noexcept {
    forward_row_layer(L, in, out);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define PERFCAST_MLP_X86_DISPATCH 1
/** @brief forward_row_layer() compiled for AVX2 with FMA, chosen at run time when the CPU has them. */
[[gnu::target("avx2,fma")]] inline void forward_row_layer_avx2(const RowLayer& L, const double* __restrict__ in,
                                                               double* __restrict__ out) noexcept {
    forward_row_layer(L, in, out);
}

/** @brief Whether this CPU runs AVX2 and FMA (asked once). */
inline bool cpu_has_avx2_fma() noexcept {
    static const bool has = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }();
    return has;
}
#endif

/** @brief One layer of one row with the best instruction set this CPU runs, then its activation. */
inline void forward_row_step(const RowLayer& L, const double* __restrict__ in, double* __restrict__ out) noexcept {
#ifdef PERFCAST_MLP_X86_DISPATCH
    if (cpu_has_avx2_fma())
        forward_row_layer_avx2(L, in, out);
    else
        forward_row_layer_generic(L, in, out);
#else
    forward_row_layer_generic(L, in, out);
#endif
    if (L.hidden && !L.relu) activate_in_place(L.activation, out, L.n_out);
}

}  // namespace perfcast::detail::mlp
