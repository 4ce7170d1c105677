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
 *   - "portable":   apart from the others: only quantities that mean the same on every GPU (roofline
 *                   parts at the SIMT rate, waves over the SMs, shape efficiencies), for the tier of the
 *                   model that answers devices outside the training data (core/feature_kernel.hpp)
 */
#pragma once

#include <cstddef>  // size_t
#include <string>   // string
#include <vector>   // vector

#include "../core/feature_kernel.hpp"    // features_kernel::compute: the one implementation of the features
#include "../core/devices.hpp"                  // Device
#include "../core/feature_set.hpp"              // FeatureSet, feature_schema_version
#include "../core/layers.hpp"                   // Layer
#include "../core/target.hpp"                   // Target

namespace perfcast {

/**
 * @brief Computes the feature vector of a layer on a device, or (with `values` null)
 * only the feature names. The vector depends only on the layer's kind and the set.
 * One implementation serves this run-time path (<cmath>) and the constexpr one
 * (detail/feature_kernel.hpp).
 */
inline void compute_features(FeatureSet set, const Layer& l, const Target& t, std::vector<double>* values,
                             std::vector<std::string>* names) {
    detail::features_kernel::feature_buffer b;
    detail::features_kernel::compute<detail::std_math>(b, set, l, t);
    for (std::size_t i = 0; i < b.size; ++i) {
        if (values) values->push_back(b.values[i]);
        if (names) names->emplace_back(b.names[i]);
    }
}

/** @brief The feature names of a kind under a set (the schema a model file records). */
inline std::vector<std::string> feature_names(FeatureSet set, const Layer& example) {
    std::vector<std::string> names;
    compute_features(set, example, Target(devices::t4), nullptr, &names);
    return names;
}

}  // namespace perfcast
