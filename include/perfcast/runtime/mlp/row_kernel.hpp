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

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>  // the AVX2 compaction
#endif

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
    // two sets of accumulators, the even and the odd inputs: twice the independent sums, so that the
    // multiply-adds are not held up by each other's latency
    double acc[B], odd[B];
    for (std::size_t k = 0; k < B; ++k) {
        acc[k] = init[k];
        odd[k] = 0.0;
    }
    std::size_t p = 0;
    for (; p + 2 <= count; p += 2) {
        const double x0 = in[idx[p]], x1 = in[idx[p + 1]];
        const double* r0 = w + idx[p] * stride;
        const double* r1 = w + idx[p + 1] * stride;
        for (std::size_t k = 0; k < B; ++k) {
            acc[k] += x0 * r0[k];
            odd[k] += x1 * r1[k];
        }
    }
    if (p < count) {
        const double x = in[idx[p]];
        const double* row = w + idx[p] * stride;
        for (std::size_t k = 0; k < B; ++k) acc[k] += x * row[k];
    }
    for (std::size_t k = 0; k < B; ++k) acc[k] += odd[k];
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

/** @brief Room for the compacted indices of up to 256 inputs, and for a last 4-wide store past them. */
using compact_indices = std::array<std::uint32_t, 256 + 4>;

/**
 * @brief The indices of the non-zero inputs in [base, end) (at most 256), in order, into @p idx;
 * returns their count. Without branches, since branching on the inputs mispredicts.
 */
[[gnu::always_inline]] inline std::size_t compact_nonzero(const double* __restrict__ in, std::size_t base,
                                                          std::size_t end, compact_indices& idx) noexcept {
    std::size_t count = 0;
    for (std::size_t i = base; i < end; ++i) {
        idx[count] = static_cast<std::uint32_t>(i);
        count += in[i] != 0.0 ? 1 : 0;
    }
    return count;
}

/**
 * @brief One layer of one row, in blocks of 16, 8, 4 and 1 outputs (first of 32 with @p Block32, when
 * given: gather_block<32>'s signature). Inputs exactly 0 (about half, after ReLU) are left out of the
 * sums: their indices are compacted first (@p Compact, compact_nonzero's signature), 256 at a time, so
 * no scratch is needed.
 */
template <auto Compact, auto... Block32>
[[gnu::always_inline]] inline void forward_row_layer(const RowLayer& L, const double* __restrict__ in,
                                                     double* __restrict__ out) noexcept {
    compact_indices idx;
    if (L.n_in == 0) std::copy(L.bias, L.bias + L.n_out, out);
    for (std::size_t base = 0; base < L.n_in; base += 256) {
        const std::size_t end = std::min(L.n_in, base + 256);
        const std::size_t count = Compact(in, base, end, idx);
        const double* init = base == 0 ? L.bias : out;
        const bool relu = L.relu && L.hidden && end == L.n_in;
        const std::size_t n = L.n_out;
        std::size_t o = 0;
        // (a pack of none or one, not a pointer compared with null: GCC's -fsanitize=undefined makes that
        // comparison non-constant)
        if constexpr (sizeof...(Block32) == 1)
            for (; o + 32 <= n; o += 32) (Block32(in, idx.data(), count, L.w + o, n, init + o, relu, out + o), ...);
        for (; o + 16 <= n; o += 16) gather_block<16>(in, idx.data(), count, L.w + o, n, init + o, relu, out + o);
        for (; o + 8 <= n; o += 8) gather_block<8>(in, idx.data(), count, L.w + o, n, init + o, relu, out + o);
        for (; o + 4 <= n; o += 4) gather_block<4>(in, idx.data(), count, L.w + o, n, init + o, relu, out + o);
        for (; o < n; ++o) gather_block<1>(in, idx.data(), count, L.w + o, n, init + o, relu, out + o);
    }
}

/** @brief forward_row_layer() compiled for the build's instruction set. */
inline void forward_row_layer_generic(const RowLayer& L, const double* __restrict__ in,
                                      double* __restrict__ out) noexcept {
    forward_row_layer<compact_nonzero>(L, in, out);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define PERFCAST_MLP_X86_DISPATCH 1
/**
 * @brief compact_nonzero() four inputs at a time: their non-zero mask indexes a table of the
 * non-zero lanes' offsets, stored whole (the unused lanes are overwritten by the next store).
 */
[[gnu::target("avx2,fma")]] inline std::size_t compact_nonzero_avx2(const double* __restrict__ in, std::size_t base,
                                                                    std::size_t end, compact_indices& idx) noexcept {
    alignas(16) static constexpr std::uint32_t lanes[16][4] = {
        {0, 0, 0, 0}, {0, 0, 0, 0}, {1, 0, 0, 0}, {0, 1, 0, 0}, {2, 0, 0, 0}, {0, 2, 0, 0}, {1, 2, 0, 0}, {0, 1, 2, 0},
        {3, 0, 0, 0}, {0, 3, 0, 0}, {1, 3, 0, 0}, {0, 1, 3, 0}, {2, 3, 0, 0}, {0, 2, 3, 0}, {1, 2, 3, 0}, {0, 1, 2, 3}};
    std::size_t count = 0;
    std::size_t i = base;
    const __m256d zero = _mm256_setzero_pd();
    for (; i + 4 <= end; i += 4) {
        // not equal, or unordered: a NaN counts as non-zero, as in compact_nonzero
        const int mask = _mm256_movemask_pd(_mm256_cmp_pd(_mm256_loadu_pd(in + i), zero, _CMP_NEQ_UQ));
        const __m128i at = _mm_add_epi32(_mm_set1_epi32(static_cast<int>(i)),
                                         _mm_load_si128(reinterpret_cast<const __m128i*>(lanes[mask])));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(idx.data() + count), at);
        count += static_cast<std::size_t>(__builtin_popcount(static_cast<unsigned>(mask)));
    }
    for (; i < end; ++i) {
        idx[count] = static_cast<std::uint32_t>(i);
        count += in[i] != 0.0 ? 1 : 0;
    }
    return count;
}

/**
 * @brief gather_block<32> in AVX2 registers: eight independent sums of four outputs, so that the
 * multiply-adds are not held up by each other's latency.
 */
[[gnu::target("avx2,fma")]] inline void gather_block32_avx2(const double* __restrict__ in,
                                                            const std::uint32_t* __restrict__ idx, std::size_t count,
                                                            const double* __restrict__ w, std::size_t stride,
                                                            const double* init, bool relu, double* out) noexcept {
    __m256d a0 = _mm256_loadu_pd(init), a1 = _mm256_loadu_pd(init + 4), a2 = _mm256_loadu_pd(init + 8),
            a3 = _mm256_loadu_pd(init + 12), a4 = _mm256_loadu_pd(init + 16), a5 = _mm256_loadu_pd(init + 20),
            a6 = _mm256_loadu_pd(init + 24), a7 = _mm256_loadu_pd(init + 28);
    for (std::size_t p = 0; p < count; ++p) {
        const __m256d x = _mm256_broadcast_sd(in + idx[p]);
        const double* r = w + static_cast<std::size_t>(idx[p]) * stride;
        a0 = _mm256_fmadd_pd(x, _mm256_loadu_pd(r), a0);
        a1 = _mm256_fmadd_pd(x, _mm256_loadu_pd(r + 4), a1);
        a2 = _mm256_fmadd_pd(x, _mm256_loadu_pd(r + 8), a2);
        a3 = _mm256_fmadd_pd(x, _mm256_loadu_pd(r + 12), a3);
        a4 = _mm256_fmadd_pd(x, _mm256_loadu_pd(r + 16), a4);
        a5 = _mm256_fmadd_pd(x, _mm256_loadu_pd(r + 20), a5);
        a6 = _mm256_fmadd_pd(x, _mm256_loadu_pd(r + 24), a6);
        a7 = _mm256_fmadd_pd(x, _mm256_loadu_pd(r + 28), a7);
    }
    if (relu) {
        const __m256d z = _mm256_setzero_pd();
        a0 = _mm256_max_pd(a0, z), a1 = _mm256_max_pd(a1, z), a2 = _mm256_max_pd(a2, z), a3 = _mm256_max_pd(a3, z);
        a4 = _mm256_max_pd(a4, z), a5 = _mm256_max_pd(a5, z), a6 = _mm256_max_pd(a6, z), a7 = _mm256_max_pd(a7, z);
    }
    _mm256_storeu_pd(out, a0), _mm256_storeu_pd(out + 4, a1), _mm256_storeu_pd(out + 8, a2);
    _mm256_storeu_pd(out + 12, a3), _mm256_storeu_pd(out + 16, a4), _mm256_storeu_pd(out + 20, a5);
    _mm256_storeu_pd(out + 24, a6), _mm256_storeu_pd(out + 28, a7);
}

/** @brief forward_row_layer() compiled for AVX2 with FMA, chosen at run time when the CPU has them. */
[[gnu::target("avx2,fma")]] inline void forward_row_layer_avx2(const RowLayer& L, const double* __restrict__ in,
                                                               double* __restrict__ out) noexcept {
    forward_row_layer<compact_nonzero_avx2, gather_block32_avx2>(L, in, out);
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
