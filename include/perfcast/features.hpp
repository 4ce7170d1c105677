/**
 * @file features.hpp
 * @brief The feature vectors the learned model sees: layer parameters (log-scaled),
 *        analytical features (FLOPs, bytes, intensity, roofline times, GEMM tiles and
 *        waves per SM), pass and precision, and the device's hardware features, so one
 *        model serves many GPUs and can be asked about a GPU it never saw.
 *
 * Feature sets are named and versioned; a model file records the set it was trained
 * with and refuses to run with another. The sets, for the ablation:
 *   - "raw":        layer parameters as they are (the seed's Table 4.3 inputs)
 *   - "params":     layer parameters, log-scaled
 *   - "analytical": + FLOPs, bytes, intensity, roofline times, tiles and waves
 *   - "hardware":   + device features (SMs, cores, clock, peak FLOP/s, bandwidth, L2), the default
 */
#pragma once

#include <algorithm>    // max
#include <cmath>        // log, ceil
#include <cstdint>      // int64_t
#include <string>       // string
#include <string_view>  // string_view
#include <vector>       // vector

#include "analytical.hpp"  // roofline
#include "devices.hpp"     // Device
#include "error.hpp"       // error
#include "layers.hpp"      // Layer, cost

namespace perfcast {

/** @brief Which features a model uses; each level adds to the one before. */
enum class FeatureSet { raw, params, analytical, hardware };

constexpr std::string_view to_string(FeatureSet f) noexcept {
    switch (f) {
        case FeatureSet::raw: return "raw";
        case FeatureSet::params: return "params";
        case FeatureSet::analytical: return "analytical";
        case FeatureSet::hardware: return "hardware";
    }
    return "?";
}

inline FeatureSet parse_feature_set(std::string_view s) {
    for (FeatureSet f : {FeatureSet::raw, FeatureSet::params, FeatureSet::analytical, FeatureSet::hardware})
        if (to_string(f) == s) return f;
    throw error("features", "unknown feature set \"" + std::string(s) + "\" (raw, params, analytical, hardware)");
}

/** @brief Version of the feature definitions below; bump when any feature changes. */
inline constexpr int feature_schema_version = 1;

namespace detail {

/** @brief Tile edge of the GEMM view used to count waves (a typical cuBLAS/cuDNN CTA tile). */
inline constexpr double wave_tile = 128.0;

inline double lg(double v) { return std::log(std::max(v, 1e-12)); }

/** @brief log2 of the largest power of two dividing v, capped at 2^6: memory alignment of a dimension. */
inline double alignment(std::int64_t v) {
    int a = 0;
    while (a < 6 && v > 0 && v % (std::int64_t{2} << a) == 0) ++a;
    return static_cast<double>(a);
}

/** @brief Share of a tiled dimension that does useful work: v / (ceil(v / tile) * tile). */
inline double tile_efficiency(double v, double tile) { return v / (std::ceil(v / tile) * tile); }
inline double lg(std::int64_t v) { return lg(static_cast<double>(v)); }

/** @brief Adds name/value pairs, or only the names (for the schema). */
class feature_sink {
public:
    feature_sink(std::vector<double>* values, std::vector<std::string>* names) : m_values(values), m_names(names) {}
    void add(std::string_view name, double v) {
        if (m_values) m_values->push_back(v);
        if (m_names) m_names->emplace_back(name);
    }

private:
    std::vector<double>* m_values;
    std::vector<std::string>* m_names;
};

/** @brief The GEMM a layer amounts to (M x N outputs, K deep), for tiles and waves. */
struct gemm_view {
    double m = 1, n = 1, k = 1;
};

inline gemm_view gemm_of(const Layer& l) {
    return std::visit(
        [](const auto& p) -> gemm_view {
            using params_t = std::remove_cvref_t<decltype(p)>;
            if constexpr (std::is_same_v<params_t, DenseParams>) {
                return {static_cast<double>(p.batch * p.seq), static_cast<double>(p.out_features),
                        static_cast<double>(p.in_features)};
            } else if constexpr (std::is_same_v<params_t, Conv2DParams>) {
                const Shape o = output_shape(p);
                const std::int64_t g = p.groups > 0 ? p.groups : 1;
                return {static_cast<double>(o[0] * o[2] * o[3]), static_cast<double>(p.out_channels),
                        static_cast<double>((p.in_channels / g) * p.kernel.h * p.kernel.w)};
            } else {
                return {static_cast<double>(output_shape(p).elements()), 1.0, 1.0};
            }
        },
        l);
}

inline void layer_params(feature_sink& s, const Layer& l, bool log_scale) {
    auto v = [&](std::string_view name, std::int64_t x) {
        s.add(name, log_scale ? lg(static_cast<double>(x)) : static_cast<double>(x));
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
            } else {
                const Shape in = input_shape(p);
                v("batch", in[0]);
                v("elements", in.elements());
            }
        },
        l);
}

}  // namespace detail

/**
 * @brief Computes the feature vector of a layer on a device, or (with `values` null)
 * only the feature names. The vector depends only on the layer's kind and the set.
 */
inline void compute_features(FeatureSet set, const Layer& l, const Device& d, Pass pass, DType t,
                             std::vector<double>* values, std::vector<std::string>* names) {
    detail::feature_sink s(values, names);
    using detail::lg;
    detail::layer_params(s, l, set != FeatureSet::raw);
    s.add("training", pass == Pass::training ? 1.0 : 0.0);
    s.add("tf32", t == DType::tf32 ? 1.0 : 0.0);
    s.add("fp16", t == DType::fp16 ? 1.0 : 0.0);
    s.add("bf16", t == DType::bf16 ? 1.0 : 0.0);
    if (set == FeatureSet::raw || set == FeatureSet::params) return;

    const Cost c = pass_cost(l, pass, t);
    const double flops = static_cast<double>(std::max<std::int64_t>(c.flops, 1));
    const double bytes = static_cast<double>(std::max<std::int64_t>(c.bytes, 1));
    const PhaseTime r = roofline(Cost{c.flops, c.bytes}, d, t);
    const detail::gemm_view g = detail::gemm_of(l);
    const double tiles = std::ceil(g.m / detail::wave_tile) * std::ceil(g.n / detail::wave_tile);
    const double units = static_cast<double>(std::max(d.units, 1));
    const double waves = tiles / units;
    s.add("log_flops", lg(flops));
    s.add("log_bytes", lg(bytes));
    s.add("log_intensity", lg(flops / bytes));
    s.add("log_roofline_compute_us", lg(r.compute_us));
    s.add("log_roofline_memory_us", lg(r.memory_us));
    s.add("log_roofline_us", lg(std::max(r.compute_us, r.memory_us)));
    s.add("log_gemm_k", lg(g.k));
    s.add("log_waves", lg(waves));
    s.add("wave_tail", waves - std::floor(waves));
    s.add("tile_efficiency_m", detail::tile_efficiency(g.m, detail::wave_tile));
    s.add("tile_efficiency_n", detail::tile_efficiency(g.n, detail::wave_tile / 2));
    s.add("tile_efficiency_k", detail::tile_efficiency(g.k, 32.0));
    s.add("align_m", detail::alignment(static_cast<std::int64_t>(g.m)));
    s.add("align_n", detail::alignment(static_cast<std::int64_t>(g.n)));
    s.add("align_k", detail::alignment(static_cast<std::int64_t>(g.k)));
    if (set == FeatureSet::analytical) return;

    s.add("log_units", lg(units));
    s.add("log_lanes_per_unit", lg(static_cast<double>(std::max(d.lanes_per_unit, 1))));
    s.add("log_clock_mhz", lg(d.boost_mhz));
    s.add("log_peak_flops", lg(d.peak_flops(t)));
    s.add("log_bandwidth", lg(d.bandwidth_bytes_per_s()));
    s.add("log_l2_mb", lg(d.l2_mb));
    s.add("log_machine_balance", lg(d.peak_flops(t) / d.bandwidth_bytes_per_s()));
}

/** @brief The feature names of a kind under a set (the schema a model file records). */
inline std::vector<std::string> feature_names(FeatureSet set, const Layer& example) {
    std::vector<std::string> names;
    compute_features(set, example, devices::t4, Pass::inference, DType::fp32, nullptr, &names);
    return names;
}

/** @brief The analytical time a learned model's target is relative to (the roofline). */
inline double baseline_us(const Layer& l, const Device& d, Pass pass, DType t) {
    return roofline_us(l, d, pass, t);
}

}  // namespace perfcast
