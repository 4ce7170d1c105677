/**
 * @file feature_set.hpp
 * @brief The named, versioned feature sets of the learned model (features.hpp computes them).
 */
#pragma once

#include <string>       // string
#include <string_view>  // string_view

#include "error.hpp"  // error

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

}  // namespace detail
}  // namespace perfcast
