/**
 * @file analytical.hpp
 * @brief The analytical baselines every report shows beside the learned model:
 *        the roofline and PALEO, per layer and per network.
 *
 * Roofline: a phase takes max(FLOPs / peak, bytes / bandwidth).
 * PALEO (Qi et al., ICLR'17): a phase takes FLOPs / (peak x PPP_comp) + bytes / (bandwidth x PPP_comm),
 * PPP being the "platform percent of peak" PALEO fits per platform.
 */
#pragma once

#include <algorithm>    // max
#include <cstdint>      // int64_t
#include <string_view>  // string_view

#include "devices.hpp"  // Device
#include "layers.hpp"   // Layer, cost
#include "method.hpp"   // Method, LayerTime
#include "target.hpp"   // Target
#include "types.hpp"    // Pass, Phase, DType

namespace perfcast {

/**
 * @brief PALEO's platform-percent-of-peak factors. The defaults (1, 1) charge the full
 * peak; with them and the GTX 1080's peak, the compute term reproduces the seed thesis'
 * PALEO figure for VGG-16 at batch 32 (111.6 ms; docs/method.md).
 */
struct PaleoOptions {
    double ppp_comp = 1.0;
    double ppp_comm = 1.0;
    bool memory_term = true;  ///< false: FLOPs only, as the seed's Table 1.1 figures imply
};

/** @brief The estimate of one phase: its time and the compute and memory parts it came from. */
struct PhaseTime {
    double compute_us = 0;
    double memory_us = 0;
    double us = 0;
};

constexpr PhaseTime roofline(const Cost& c, const Device& d, DType t) noexcept {
    PhaseTime p;
    p.compute_us = static_cast<double>(c.flops) / d.peak_flops(t) * 1e6;
    p.memory_us = static_cast<double>(c.bytes) / d.bandwidth_bytes_per_s() * 1e6;
    p.us = std::max(p.compute_us, p.memory_us);
    return p;
}

constexpr PhaseTime paleo(const Cost& c, const Device& d, DType t, const PaleoOptions& o = {}) noexcept {
    PhaseTime p;
    p.compute_us = static_cast<double>(c.flops) / (d.peak_flops(t) * o.ppp_comp) * 1e6;
    p.memory_us = o.memory_term ? static_cast<double>(c.bytes) / (d.bandwidth_bytes_per_s() * o.ppp_comm) * 1e6 : 0.0;
    p.us = p.compute_us + p.memory_us;
    return p;
}

/** @brief Roofline time of a layer for a pass, microseconds (the phases it runs under `b`, summed). */
template <typename L>
constexpr double roofline_us(const L& layer, const Target& t, Backward b = Backward::full) noexcept {
    double us = 0;
    for (Phase ph : all_phases)
        if (runs(t.pass(), ph, b)) us += roofline(cost(layer, ph, t.dtype(), t.pass()), t.device(), t.dtype()).us;
    return us;
}

/**
 * @brief The share of a layer's pass time that its phases under `b` take, by each phase's
 * roofline: what a learned model's time for the whole pass is scaled by when the layer runs only
 * part of its backward (1 for inference and Backward::full).
 */
template <typename L>
constexpr double backward_share(const L& layer, const Target& t, Backward b) noexcept {
    if (t.pass() == Pass::inference || b == Backward::full) return 1.0;
    const double all = roofline_us(layer, t);
    return all > 0 ? roofline_us(layer, t, b) / all : 1.0;
}

/** @brief A pass's roofline time and its compute and memory parts, microseconds (phases summed). */
struct PassRoofline {
    double us = 0;          ///< sum over phases of max(compute, memory): roofline_us
    double compute_us = 0;  ///< sum over phases of FLOPs / peak: compute_bound_us
    double memory_us = 0;   ///< sum over phases of bytes / bandwidth
    /// sum over the phases that move data of max(FLOPs / the SIMT rate (Device::simt_flops), bytes / bandwidth)
    double simt_us = 0;
    int kernels = 0;        ///< the phases that move data or compute: one kernel each

    /** @brief portable_baseline_us from these parts: a fixed cost @p latency_us per kernel plus simt_us. */
    constexpr double baseline_us(double latency_us) const noexcept { return static_cast<double>(kernels) * latency_us + simt_us; }
};

/** @brief roofline_us, compute_bound_us and the memory part in one pass over the phases (each phase costed once). */
template <typename L>
constexpr PassRoofline pass_roofline(const L& layer, const Target& t) noexcept {
    PassRoofline r;
    for (Phase ph : all_phases)
        if (runs(t.pass(), ph)) {
            const Cost c = cost(layer, ph, t.dtype(), t.pass());
            const PhaseTime p = roofline(c, t.device(), t.dtype());
            r.us += p.us;
            r.compute_us += p.compute_us;
            r.memory_us += p.memory_us;
            if (c.bytes <= 0 && c.flops <= 0) continue;
            ++r.kernels;
            r.simt_us += std::max(static_cast<double>(c.flops) / t.device().simt_flops(t.dtype()) * 1e6, p.memory_us);
        }
    return r;
}

/**
 * @brief The least share of its compute-bound time (FLOPs / peak) a layer kind can take: no
 * kernel beats the device's peak FLOP/s, except convolutions through Winograd or FFT algorithms,
 * which do fewer multiplications than the direct FLOP count (Winograd F(4x4, 3x3) 4x fewer, hence
 * 0.25; the NeuSight data's fastest 3x3 convolutions reach 2.25x the direct count).
 */
constexpr double min_compute_fraction(LayerKind k) noexcept { return k == LayerKind::conv2d ? 0.25 : 1.0; }

/**
 * @brief The physical bound of a pass from its roofline parts: the FLOPs at the device's peak (times
 * the kind's algorithmic share, @p compute_fraction) and, on a GPU, the bytes at its memory bandwidth.
 * No learned prediction is below it. On a CPU the memory part is left out: a working set that stays
 * in the caches moves faster than the memory bandwidth the device entry gives.
 */
constexpr double physical_bound_us(const PassRoofline& r, double compute_fraction, const Device& d) noexcept {
    const double compute = compute_fraction * r.compute_us;
    return d.kind == DeviceKind::gpu ? std::max(compute, r.memory_us) : compute;
}

/** @brief physical_bound_us of a layer for a pass on a target. */
constexpr double physical_bound_us(const Layer& layer, const Target& t) noexcept {
    return physical_bound_us(pass_roofline(layer, t), min_compute_fraction(kind(layer)), t.device());
}

/**
 * @brief The time a GPU's learned models predict a ratio to, microseconds: per phase that moves data, a
 * kernel's fixed cost @p latency_us (the machine's kernel floor) plus the roofline at the rate SIMT
 * kernels issue at (Device::simt_flops: one FP32 pipe per partition; the datasheet peak on GPUs
 * without a second pipe). Both the rate and the latency mean the same on every GPU, so the portable
 * tier's ratio is one a GPU outside the training data shares; the training devices' models take it
 * too (embedded::KindModel::kernel_floor), so that a shape beyond their rows keeps the floor once.
 */
template <typename L>
constexpr double portable_baseline_us(const L& layer, const Target& t, double latency_us) noexcept {
    return pass_roofline(layer, t).baseline_us(latency_us);
}

/** @brief The compute part of the roofline alone: FLOPs / peak, microseconds (phases summed). */
template <typename L>
constexpr double compute_bound_us(const L& layer, const Target& t) noexcept {
    return pass_roofline(layer, t).compute_us;
}

/** @brief PALEO time of a layer for a pass, microseconds (the phases it runs under `b`, summed). */
template <typename L>
constexpr double paleo_us(const L& layer, const Target& t, const PaleoOptions& o = {},
                          Backward b = Backward::full) noexcept {
    double us = 0;
    for (Phase ph : all_phases)
        if (runs(t.pass(), ph, b)) us += paleo(cost(layer, ph, t.dtype(), t.pass()), t.device(), t.dtype(), o).us;
    return us;
}

/** @brief The analytical estimators: each layer by its roofline, or by PALEO. */
enum class Analytical { roofline, paleo };

/** @brief The Method an analytical estimator reports for its layers. */
constexpr Method method_of(Analytical a) noexcept { return a == Analytical::roofline ? Method::roofline : Method::paleo; }

constexpr std::string_view to_string(Analytical a) noexcept { return to_string(method_of(a)); }

/** @brief A layer's time by an analytical estimator, for the phases it runs under `b`. */
template <typename L>
constexpr LayerTime analytical_time(Analytical a, const L& layer, const Target& t, const PaleoOptions& o = {},
                                    Backward b = Backward::full) noexcept {
    return a == Analytical::roofline ? LayerTime{roofline_us(layer, t, b), Method::roofline, 0.0}
                                     : LayerTime{paleo_us(layer, t, o, b), Method::paleo, 0.0};
}

}  // namespace perfcast
