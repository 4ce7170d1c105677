/**
 * @file memory_fit.hpp
 * @brief The memory-bound model: the time of a layer that has no learned model of its own
 *        (dropout; on a model trained without them, batch norm, activations, add, concat,
 *        softmax, layer norm, element-wise operations), fitted to measured memory-bound kernels.
 *
 * Each phase of a pass that moves data is one kernel, and a kernel takes
 *
 *     t = latency + bytes / (efficiency x bandwidth)
 *
 * with the device's peak memory bandwidth and two constants fitted to measurements:
 * `latency_us`, the fixed cost of a kernel (a launch on a GPU, a call and its loop set-up on
 * a CPU), and `efficiency`, the share of the peak bandwidth such kernels reach. The fit
 * (fit_memory_model) is a least-squares fit of the relative error over the measured rows of
 * the memory-bound kinds (batchnorm2d, activation, add, concat, softmax, pool2d, dropout, layernorm,
 * elementwise) in a
 * model's training data; a model whose data has fewer than 20 such rows has no memory fit (its
 * kinds without a model get the roofline). Rows of compute kinds are not used even where their
 * roofline is memory-bound: a GEMV's time says little about an element-wise kernel's, and
 * imported data can carry its measuring method's floor (NeuSight's linear layers never take less
 * than about 55 us). A phase that moves no data (flatten, a view; dropout at inference, the
 * identity) runs no kernel and costs nothing.
 */
#pragma once

#include <cmath>        // isfinite
#include <cstddef>      // size_t
#include <vector>       // vector

#include "analytical.hpp"  // roofline
#include "devices.hpp"     // Device
#include "layers.hpp"      // Layer, cost, kind
#include "target.hpp"      // Target
#include "types.hpp"       // Pass, Phase, DType

namespace perfcast {

/**
 * @brief The fitted memory-bound model (see the file's comment). Unfitted: efficiency 0.
 * An efficiency above 1 is possible on a CPU: data that stays in the caches moves faster than
 * the memory bandwidth the device entry gives.
 */
struct MemoryFit {
    double latency_us = 0;  ///< fixed cost per kernel
    double efficiency = 0;  ///< share of the peak memory bandwidth reached (0: not fitted)
    std::size_t rows = 0;   ///< measured rows the fit used

    constexpr bool fitted() const noexcept { return efficiency > 0; }

    /** @brief Time of a layer for a pass, microseconds: one kernel per phase that moves data. */
    template <typename L>
    constexpr double us(const L& layer, const Target& t) const noexcept {
        double total = 0;
        for (Phase ph : all_phases)
            if (runs(t.pass(), ph)) {
                const Cost c = cost(layer, ph, t.dtype(), t.pass());
                if (c.bytes > 0)
                    total += latency_us +
                             static_cast<double>(c.bytes) / (efficiency * t.device().bandwidth_bytes_per_s()) * 1e6;
            }
        return total;
    }
};

/** @brief Runs no kernel in this pass (flatten; dropout at inference)? */
template <typename L>
constexpr bool runs_no_kernel(const L& layer, Pass pass, DType t) noexcept {
    for (Phase ph : all_phases)
        if (runs(pass, ph)) {
            const Cost c = cost(layer, ph, t, pass);
            if (c.bytes > 0 || c.flops > 0) return false;
        }
    return true;
}

/** @brief The kinds whose measured rows the memory fit prefers (not dense, conv2d and bmm: GEMMs, bound by
 *  arithmetic). */
constexpr bool memory_bound_kind(LayerKind k) noexcept {
    return k == LayerKind::batchnorm2d || k == LayerKind::activation || k == LayerKind::add || k == LayerKind::concat ||
           k == LayerKind::softmax || k == LayerKind::pool2d || k == LayerKind::dropout || k == LayerKind::layernorm ||
           k == LayerKind::elementwise || k == LayerKind::embedding || k == LayerKind::copy;
}

/** @brief One measured row for the fit: kernels (phases that move data), their bytes over the peak bandwidth, time. */
struct MemoryFitRow {
    double kernels = 0;
    double memory_us = 0;  ///< bytes / peak bandwidth, microseconds, summed over the phases
    double time_us = 0;
};

/** @brief A measured row's kernels (phases that move data) and memory time, for the fit. */
inline MemoryFitRow memory_fit_row(const Layer& l, const Target& t, double time_us) {
    MemoryFitRow r;
    r.time_us = time_us;
    for (Phase ph : all_phases)
        if (runs(t.pass(), ph)) {
            const Cost c = cost(l, ph, t.dtype(), t.pass());
            if (c.bytes <= 0) continue;
            r.kernels += 1;
            r.memory_us += roofline(c, t.device(), t.dtype()).memory_us;
        }
    return r;
}

/// The fewest rows a memory fit is made from.
inline constexpr std::size_t min_memory_fit_rows = 20;

/**
 * @brief Least squares of the relative error, (latency x kernels + memory_us / efficiency - t) / t,
 * over `rows`: a 2x2 linear system in (latency, 1 / efficiency). The latency is kept >= 0 (refit
 * through the origin when it would be negative). Unfitted (efficiency 0) with fewer than
 * min_memory_fit_rows usable rows.
 */
inline MemoryFit fit_memory_model(const std::vector<MemoryFitRow>& rows) {
    MemoryFit f;
    double saa = 0, sab = 0, sbb = 0, sa = 0, sb = 0;  // a = kernels / t, b = memory_us / t, target 1
    std::size_t n = 0;
    for (const MemoryFitRow& r : rows) {
        if (!(r.time_us > 0) || !(r.memory_us > 0) || !std::isfinite(r.time_us)) continue;
        const double a = r.kernels / r.time_us, b = r.memory_us / r.time_us;
        saa += a * a;
        sab += a * b;
        sbb += b * b;
        sa += a;
        sb += b;
        ++n;
    }
    if (n < min_memory_fit_rows) return f;
    double latency = 0, inv_eff = 0;
    const double det = saa * sbb - sab * sab;
    if (det > 0) {
        latency = (sa * sbb - sb * sab) / det;
        inv_eff = (saa * sb - sab * sa) / det;
    }
    if (!(latency >= 0) || !(inv_eff > 0)) {  // through the origin: bandwidth only
        latency = 0;
        inv_eff = sb / sbb;
    }
    if (!(inv_eff > 0) || !std::isfinite(inv_eff)) return f;
    f.latency_us = latency;
    f.efficiency = 1.0 / inv_eff;
    f.rows = n;
    return f;
}

}  // namespace perfcast
