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

/** @brief Version of the feature definitions below; bump when any feature changes. */
inline constexpr int feature_schema_version = 1;

namespace detail {

/** @brief Tile edge of the GEMM view used to count waves (a typical cuBLAS/cuDNN CTA tile). */
inline constexpr double wave_tile = 128.0;

}  // namespace detail
}  // namespace perfcast
