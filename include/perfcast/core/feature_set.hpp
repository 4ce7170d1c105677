/**
 * @file feature_set.hpp
 * @brief The named, versioned feature sets of the learned model (features.hpp computes them).
 */
#pragma once

#include <string>       // string
#include <string_view>  // string_view

#include "error.hpp"  // error

namespace perfcast {

/**
 * @brief Which features a model uses. raw, params, analytical and hardware each add to the one
 * before; portable stands apart: only quantities that mean the same on every GPU (feature_kernel.hpp).
 */
enum class FeatureSet { raw, params, analytical, hardware, portable };

constexpr std::string_view to_string(FeatureSet f) noexcept {
    switch (f) {
        case FeatureSet::raw: return "raw";
        case FeatureSet::params: return "params";
        case FeatureSet::analytical: return "analytical";
        case FeatureSet::hardware: return "hardware";
        case FeatureSet::portable: return "portable";
    }
    return "?";
}

inline FeatureSet parse_feature_set(std::string_view s) {
    for (FeatureSet f : {FeatureSet::raw, FeatureSet::params, FeatureSet::analytical, FeatureSet::hardware,
                         FeatureSet::portable})
        if (to_string(f) == s) return f;
    throw error("features",
                "unknown feature set \"" + detail::excerpt(s) + "\" (raw, params, analytical, hardware, portable)");
}

/**
 * @brief Version of the feature definitions (feature_kernel.hpp); bump it when any feature changes, and
 * record in feature_set_since() which sets the bump changed. A model file records the version it was
 * trained under; it still computes the same features here if every set it uses last changed at or
 * before that version (feature_set_current()), so a change to one set leaves models of the others
 * loadable.
 */
inline constexpr int feature_schema_version = 2;

/**
 * @brief The schema version in which feature set @p f last changed. 2: the portable GEMM-like kinds
 * lost their absolute roofline times (log_compute_us, log_memory_us), which told the network each
 * training GPU apart and carried badly to faster ones, and Hopper's SIMT rate became its whole FP32
 * peak (Device::dual_issue_fp32) (docs/accuracy.md).
 */
constexpr int feature_set_since(FeatureSet f) noexcept { return f == FeatureSet::portable ? 2 : 1; }

/** @brief Does a model trained under schema @p trained_with compute set @p f as this perfcast does? */
constexpr bool feature_set_current(FeatureSet f, int trained_with) noexcept {
    return trained_with >= feature_set_since(f) && trained_with <= feature_schema_version;
}

namespace detail {

/** @brief Tile edge of the GEMM view used to count waves (a typical cuBLAS/cuDNN CTA tile). */
inline constexpr double wave_tile = 128.0;

}  // namespace detail
}  // namespace perfcast
