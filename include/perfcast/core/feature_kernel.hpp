/**
 * @file feature_kernel.hpp
 * @brief The feature vectors of features.hpp, computed by a constexpr function template
 *        over a math policy, into a fixed-capacity buffer (no heap), so the compile-time
 *        model sees exactly the features the run-time model was trained on.
 *
 * `compute<constexpr_math>` runs in constant expressions (own log, exp, floor, ceil);
 * `compute<std_math>` runs the same code with <cmath>: it is perfcast::compute_features
 * (runtime/features.hpp), so the two paths cannot drift apart. A change of any feature needs a
 * feature_schema_version bump (feature_set.hpp, with feature_set_since()): models trained before
 * on the changed set refuse to load.
 */
#pragma once

#include <algorithm>    // max
#include <array>        // array
#include <cstddef>      // size_t
#include <cstdint>      // int64_t
#include <span>         // span
#include <string_view>  // string_view
#include <type_traits>  // is_same_v, remove_cvref_t
#include <variant>      // visit

#include "analytical.hpp"     // roofline, PhaseTime
#include "devices.hpp"        // Device
#include "error.hpp"          // error
#include "feature_set.hpp"    // FeatureSet, detail::wave_tile
#include "layers.hpp"         // Layer, the parameter structs, output_shape, pass_cost
#include "target.hpp"         // Target
#include "detail/math_policy.hpp"       // constexpr_math, std_math

namespace perfcast::detail::features_kernel {

using perfcast::detail::constexpr_math;
using perfcast::detail::std_math;

/** @brief Features a buffer holds at most (conv2d under "hardware" has 42). */
inline constexpr std::size_t max_features = 64;

/** @brief Names and values of a feature vector, without heap allocation. */
struct feature_buffer {
    std::array<double, max_features> values;  // the first `size` are set (add)
    std::array<std::string_view, max_features> names{};
    std::size_t size = 0;

    [[gnu::always_inline]] constexpr void add(std::string_view name, double v) {
        if (size == max_features) throw error("features", "more features than the compile-time buffer holds (64)");
        names[size] = name;
        values[size] = v;
        ++size;
    }
};

template <typename Math>
constexpr double lg(double v) noexcept {
    return Math::log(std::max(v, 1e-12));
}

/** @brief log2 of the largest power of two dividing v, capped at 2^6: memory alignment of a dimension. */
constexpr double alignment(std::int64_t v) noexcept {
    int a = 0;
    while (a < 6 && v > 0 && v % (std::int64_t{2} << a) == 0) ++a;
    return static_cast<double>(a);
}

template <typename Math>
constexpr double tile_efficiency(double v, double tile) noexcept {
    return v / (Math::ceil(v / tile) * tile);
}

/** @brief The GEMM a layer amounts to (`count` independent products of M x N outputs, K deep), for tiles and waves. */
struct gemm_dims {
    double m = 1, n = 1, k = 1;
    double count = 1;
};

constexpr gemm_dims gemm_of(const Layer& l) noexcept {
    return std::visit(
        [](const auto& p) -> gemm_dims {
            using params_t = std::remove_cvref_t<decltype(p)>;
            if constexpr (std::is_same_v<params_t, DenseParams>) {
                return {static_cast<double>(p.batch * p.seq), static_cast<double>(p.out_features),
                        static_cast<double>(p.in_features)};
            } else if constexpr (std::is_same_v<params_t, Conv2DParams>) {
                const Shape o = output_shape(p);
                const std::int64_t g = p.groups > 0 ? p.groups : 1;
                return {static_cast<double>(o[0] * o[2] * o[3]), static_cast<double>(p.out_channels),
                        static_cast<double>((p.in_channels / g) * p.kernel.h * p.kernel.w)};
            } else if constexpr (std::is_same_v<params_t, BatchMatMulParams>) {
                return {static_cast<double>(p.m), static_cast<double>(p.n), static_cast<double>(p.k),
                        static_cast<double>(p.batch)};
            } else {
                return {static_cast<double>(output_shape(p).elements()), 1.0, 1.0};
            }
        },
        l);
}

/**
 * @brief The rows an element-wise layer's `batch` feature counts: a sequence tensor (rank 3: batch,
 * seq, features) its batch x seq tokens, as a linear layer on it is a GEMM of that many rows and as
 * the 2-D element-wise sweeps lay a (rows, features) operand out; a matrix its rows; a feature map
 * (rank 4) its batch, as the sweeps of feature maps were measured. (Counting a sequence tensor's batch
 * alone told the model of a (rows, features) operand with, say, 8 rows of 5 million elements, a shape
 * no sweep has, and it answered below the roofline.)
 */
constexpr std::int64_t batch_rows(const Shape& s) noexcept { return s.rank == 3 ? s[0] * s[1] : s[0]; }

template <typename Math>
constexpr void layer_params(feature_buffer& s, const Layer& l, bool log_scale) {
    auto v = [&](std::string_view name, std::int64_t x) {
        s.add(name, log_scale ? lg<Math>(static_cast<double>(x)) : static_cast<double>(x));
    };
    std::visit(
        [&](const auto& p) {
            using params_t = std::remove_cvref_t<decltype(p)>;
            if constexpr (std::is_same_v<params_t, DenseParams>) {
                v("batch", p.batch);
                v("seq", p.seq);
                v("in_features", p.in_features);
                v("out_features", p.out_features);
                s.add("bias", p.bias ? 1.0 : 0.0);
            } else if constexpr (std::is_same_v<params_t, Conv2DParams>) {
                const Shape o = output_shape(p);
                v("batch", p.batch);
                v("in_channels", p.in_channels);
                v("height", p.height);
                v("width", p.width);
                v("out_channels", p.out_channels);
                s.add("kernel_h", static_cast<double>(p.kernel.h));
                s.add("kernel_w", static_cast<double>(p.kernel.w));
                s.add("stride_h", static_cast<double>(p.stride.h));
                s.add("stride_w", static_cast<double>(p.stride.w));
                s.add("pad_h", static_cast<double>(p.padding.h));
                s.add("pad_w", static_cast<double>(p.padding.w));
                s.add("dilation", static_cast<double>(p.dilation.h * p.dilation.w));
                v("groups", p.groups);
                s.add("bias", p.bias ? 1.0 : 0.0);
                v("out_height", o[2]);
                v("out_width", o[3]);
            } else if constexpr (std::is_same_v<params_t, Pool2DParams>) {
                const Shape o = output_shape(p);
                const Hw k = effective_kernel(p), st = effective_stride(p);
                v("batch", p.batch);
                v("channels", p.channels);
                v("height", p.height);
                v("width", p.width);
                s.add("max", p.mode == PoolMode::max ? 1.0 : 0.0);
                s.add("global", p.global ? 1.0 : 0.0);
                v("kernel_area", k.h * k.w);
                s.add("stride", static_cast<double>(st.h * st.w));
                s.add("padding", static_cast<double>(p.padding.h + p.padding.w));
                v("out_height", o[2]);
                v("out_width", o[3]);
            } else if constexpr (std::is_same_v<params_t, BatchNorm2DParams>) {
                v("batch", p.batch);
                v("channels", p.channels);
                v("spatial", p.height * p.width);  // per-channel statistics run over batch x spatial
            } else if constexpr (std::is_same_v<params_t, ConcatParams>) {
                v("batch", p.batch);
                v("elements", output_shape(p).elements());
                v("part_elements", p.height * p.width * (p.channels / p.inputs));  // contiguous run per copy
                s.add("inputs", static_cast<double>(p.inputs));
            } else if constexpr (std::is_same_v<params_t, SoftmaxParams>) {
                v("batch", p.batch);
                v("features", p.features);
            } else if constexpr (std::is_same_v<params_t, BatchMatMulParams>) {
                v("batch", p.batch);
                v("m", p.m);
                v("k", p.k);
                v("n", p.n);
            } else if constexpr (std::is_same_v<params_t, LayerNormParams>) {
                v("batch", p.batch);
                v("features", p.features);
                s.add("affine", p.affine ? 1.0 : 0.0);
            } else if constexpr (std::is_same_v<params_t, ElementwiseParams>) {
                v("batch", batch_rows(p.shape));
                v("elements", p.shape.elements());
                s.add("rank", static_cast<double>(p.shape.rank));
                s.add("op", static_cast<double>(p.op));
                s.add("scalar", p.scalar ? 1.0 : 0.0);
            } else {
                const Shape in = input_shape(p);
                v("batch", batch_rows(in));
                v("elements", in.elements());
                // a feature map (4), or a matrix (2): a dense layer's output, or with batch 1 a parameter
                // tensor, which the harness reads cold (the optimizer's update)
                s.add("rank", static_cast<double>(in.rank));
            }
        },
        l);
}

/** @brief Clamps each feature into [lo[i], hi[i]], a model's training range (nothing when the ranges are empty). */
constexpr void clamp_to_range(feature_buffer& s, std::span<const double> lo, std::span<const double> hi) noexcept {
    if (lo.size() != s.size || hi.size() != s.size) return;
    for (std::size_t i = 0; i < s.size; ++i) s.values[i] = s.values[i] < lo[i] ? lo[i] : s.values[i] > hi[i] ? hi[i] : s.values[i];
}

/** @brief Is the layer a GEMM on the GPU (dense, conv2d, bmm), which the portable set sees by tiles and waves? */
constexpr bool gemm_like(LayerKind k) noexcept {
    return k == LayerKind::dense || k == LayerKind::conv2d || k == LayerKind::bmm;
}

/** @brief The memory-bound kinds the portable set tells apart by a flag each (one model serves them all). */
inline constexpr std::array<LayerKind, 9> portable_memory_kinds{
    LayerKind::pool2d,  LayerKind::batchnorm2d, LayerKind::activation, LayerKind::add,        LayerKind::concat,
    LayerKind::softmax, LayerKind::dropout,     LayerKind::layernorm,  LayerKind::elementwise};

/** @brief The length of the run a memory-bound kernel reduces or walks per output row (softmax, norms, pools). */
constexpr std::int64_t row_length(const Layer& l) noexcept {
    return std::visit(
        [](const auto& p) -> std::int64_t {
            using params_t = std::remove_cvref_t<decltype(p)>;
            if constexpr (std::is_same_v<params_t, SoftmaxParams> || std::is_same_v<params_t, LayerNormParams> ||
                          std::is_same_v<params_t, EmbeddingParams>) {
                return p.features;
            } else if constexpr (std::is_same_v<params_t, BatchNorm2DParams>) {
                return p.batch * p.height * p.width;  // one channel's statistics
            } else if constexpr (std::is_same_v<params_t, Pool2DParams>) {
                const Hw k = effective_kernel(p);
                return k.h * k.w;
            } else if constexpr (std::is_same_v<params_t, ConcatParams>) {
                return p.height * p.width * (p.channels / p.inputs);  // contiguous run per copy
            } else {
                const Shape in = input_shape(p);
                return in.rank > 0 ? in[in.rank - 1] : 1;
            }
        },
        l);
}

/** @brief Does the layer evaluate a special function per element (exp, tanh, pow, ...)? (holds_alternative and
    get, not get_if: GCC 12 does not take get_if's null test of a temporary's address as constant.) */
constexpr bool special_function(const Layer& l) noexcept {
    if (std::holds_alternative<ActivationParams>(l)) {
        const ActivationKind k = std::get<ActivationParams>(l).kind;
        return k != ActivationKind::relu && k != ActivationKind::relu6;
    }
    return std::holds_alternative<ElementwiseParams>(l) && std::get<ElementwiseParams>(l).op == ElementwiseOp::pow;
}

/**
 * @brief FeatureSet::portable: what the layer asks of a GPU in quantities that mean the same on every
 * GPU, and no raw sizes beside them (sizes next to device-relative times would let the network
 * recognise each training GPU by its ratio and learn it by heart, which does not carry to another).
 * GEMM-like kinds: the GEMM's depth, the ratio of its roofline parts (FLOPs at the SIMT rate over bytes
 * at the bandwidth; not the parts themselves: absolute times name the training GPU and send a faster
 * one off the data), and for tiles of 32, 64 and 128 the waves over the device's SMs and the last
 * wave's fill, with the tile and alignment efficiencies of the shape; convolutions add their window
 * and stride. Memory-bound kinds share one schema: the bytes at the bandwidth, FLOPs per byte, the row
 * a kernel walks, a flag per kind and for special functions and scalar operands.
 */
template <typename Math>
constexpr void portable(feature_buffer& s, const Layer& l, const Target& target) {
    const Device& d = target.device();
    const Pass pass = target.pass();
    const DType t = target.dtype();
    const Cost c = pass_cost(l, pass, t);
    const double flops = static_cast<double>(std::max<std::int64_t>(c.flops, 1));
    const double bytes = static_cast<double>(std::max<std::int64_t>(c.bytes, 1));
    const double compute_us = flops / d.simt_flops(t) * 1e6;
    const double memory_us = bytes / d.bandwidth_bytes_per_s() * 1e6;
    const LayerKind k = kind(l);
    if (gemm_like(k)) {
        const gemm_dims g = gemm_of(l);
        const double units = static_cast<double>(std::max(d.units, 1));
        s.add("log_gemm_k", lg<Math>(g.k));
        s.add("log_compute_over_memory", lg<Math>(compute_us / memory_us));
        constexpr std::string_view wave_names[] = {"log_waves_32", "log_waves_64", "log_waves_128"};
        constexpr std::string_view fill_names[] = {"wave_fill_32", "wave_fill_64", "wave_fill_128"};
        const double tiles[] = {32.0, 64.0, 128.0};
        for (std::size_t i = 0; i < 3; ++i) {
            const double waves = g.count * Math::ceil(g.m / tiles[i]) * Math::ceil(g.n / tiles[i]) / units;
            s.add(wave_names[i], lg<Math>(waves));
            s.add(fill_names[i], waves / Math::ceil(waves));
        }
        s.add("tile_efficiency_m", tile_efficiency<Math>(g.m, 128.0));
        s.add("tile_efficiency_n", tile_efficiency<Math>(g.n, 64.0));
        s.add("tile_efficiency_k", tile_efficiency<Math>(g.k, 32.0));
        s.add("align_m", alignment(static_cast<std::int64_t>(g.m)));
        s.add("align_n", alignment(static_cast<std::int64_t>(g.n)));
        s.add("align_k", alignment(static_cast<std::int64_t>(g.k)));
        if (std::holds_alternative<Conv2DParams>(l)) {
            const Conv2DParams& conv = std::get<Conv2DParams>(l);
            s.add("kernel_area", static_cast<double>(conv.kernel.h * conv.kernel.w));
            s.add("stride", static_cast<double>(conv.stride.h * conv.stride.w));
            s.add("grouped", conv.groups > 1 ? 1.0 : 0.0);
        }
    } else {
        s.add("log_memory_us", lg<Math>(memory_us));
        s.add("log_flops_per_byte", lg<Math>(flops / bytes));
        s.add("log_row", lg<Math>(static_cast<double>(row_length(l))));
        for (LayerKind m : portable_memory_kinds) s.add(to_string(m), k == m ? 1.0 : 0.0);
        s.add("special_function", special_function(l) ? 1.0 : 0.0);
        const bool scalar = std::holds_alternative<ElementwiseParams>(l) && std::get<ElementwiseParams>(l).scalar;
        s.add("scalar_operand", scalar ? 1.0 : 0.0);
    }
    s.add("training", pass == Pass::training ? 1.0 : 0.0);
    s.add("tf32", t == DType::tf32 ? 1.0 : 0.0);
    s.add("fp16", t == DType::fp16 ? 1.0 : 0.0);
    s.add("bf16", t == DType::bf16 ? 1.0 : 0.0);
}

/**
 * @brief The feature vector of a layer on a device under a feature set, into @p s
 * (which it appends to): perfcast::compute_features, with the math of @p Math.
 */
template <typename Math>
constexpr void compute(feature_buffer& s, FeatureSet set, const Layer& l, const Target& target) {
    if (set == FeatureSet::portable) return portable<Math>(s, l, target);
    const Device& d = target.device();
    const Pass pass = target.pass();
    const DType t = target.dtype();
    layer_params<Math>(s, l, set != FeatureSet::raw);
    s.add("training", pass == Pass::training ? 1.0 : 0.0);
    s.add("tf32", t == DType::tf32 ? 1.0 : 0.0);
    s.add("fp16", t == DType::fp16 ? 1.0 : 0.0);
    s.add("bf16", t == DType::bf16 ? 1.0 : 0.0);
    if (set == FeatureSet::raw || set == FeatureSet::params) return;

    const Cost c = pass_cost(l, pass, t);
    const double flops = static_cast<double>(std::max<std::int64_t>(c.flops, 1));
    const double bytes = static_cast<double>(std::max<std::int64_t>(c.bytes, 1));
    const PhaseTime r = roofline(Cost{c.flops, c.bytes}, d, t);
    const gemm_dims g = gemm_of(l);
    const double tiles = g.count * Math::ceil(g.m / wave_tile) * Math::ceil(g.n / wave_tile);
    const double units = static_cast<double>(std::max(d.units, 1));
    const double waves = tiles / units;
    s.add("log_flops", lg<Math>(flops));
    s.add("log_bytes", lg<Math>(bytes));
    s.add("log_intensity", lg<Math>(flops / bytes));
    s.add("log_roofline_compute_us", lg<Math>(r.compute_us));
    s.add("log_roofline_memory_us", lg<Math>(r.memory_us));
    s.add("log_roofline_us", lg<Math>(std::max(r.compute_us, r.memory_us)));
    s.add("log_gemm_k", lg<Math>(g.k));
    s.add("log_waves", lg<Math>(waves));
    s.add("wave_tail", waves - Math::floor(waves));
    s.add("tile_efficiency_m", tile_efficiency<Math>(g.m, wave_tile));
    s.add("tile_efficiency_n", tile_efficiency<Math>(g.n, wave_tile / 2));
    s.add("tile_efficiency_k", tile_efficiency<Math>(g.k, 32.0));
    s.add("align_m", alignment(static_cast<std::int64_t>(g.m)));
    s.add("align_n", alignment(static_cast<std::int64_t>(g.n)));
    s.add("align_k", alignment(static_cast<std::int64_t>(g.k)));
    if (set == FeatureSet::analytical) return;

    s.add("log_units", lg<Math>(units));
    s.add("log_lanes_per_unit", lg<Math>(static_cast<double>(std::max(d.lanes_per_unit, 1))));
    s.add("log_clock_mhz", lg<Math>(d.boost_mhz));
    s.add("log_peak_flops", lg<Math>(d.peak_flops(t)));
    s.add("log_bandwidth", lg<Math>(d.bandwidth_bytes_per_s()));
    s.add("log_l2_mb", lg<Math>(d.l2_mb));
    s.add("log_machine_balance", lg<Math>(d.peak_flops(t) / d.bandwidth_bytes_per_s()));
}

}  // namespace perfcast::detail::features_kernel
