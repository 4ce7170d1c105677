/**
 * @file model_view.hpp
 * @brief The run-time side of the one learned-model form (core/constexpr_model.hpp): the storage
 *        that lays a loaded or trained predictor out as an embedded::Model, and runtime_exec, the
 *        execution policy core/inference.hpp runs with at run time (<cmath> and the SIMD row
 *        kernel of mlp.hpp).
 */
#pragma once

#include <algorithm>    // max
#include <cstddef>      // size_t
#include <deque>        // deque: storage that keeps addresses stable
#include <map>          // map
#include <new>          // align_val_t: the weights' cache-line alignment
#include <string>       // string
#include <string_view>  // string_view
#include <vector>       // vector

#include "../core/call_overhead.hpp"       // CallOverhead
#include "../core/constexpr_model.hpp"     // embedded::Model, KindModel, DenseLayer, Reference
#include "../core/detail/math_policy.hpp"  // std_math
#include "../core/error.hpp"               // error
#include "../core/feature_set.hpp"         // FeatureSet, feature_schema_version
#include "../core/analytical.hpp"          // min_compute_fraction
#include "../core/layers.hpp"              // Layer, LayerKind
#include "../core/memory_fit.hpp"          // MemoryFit
#include "io/device_json.hpp"              // DeviceRegistry: the reference queries' devices
#include "mlp.hpp"                         // TrainedRegressor, detail::mlp::RowLayer, forward_row_step

namespace perfcast {

/** @brief One layer kind's learned model: its feature schema and range, and its ensemble of MLPs. */
struct KindEnsemble {
    LayerKind kind = LayerKind::conv2d;
    FeatureSet features = FeatureSet::hardware;
    /// the regressor predicts time / roofline time (or, with kernel_floor or the portable tier, time /
    /// portable_baseline_us); false: the time itself
    bool relative_to_roofline = true;
    std::vector<std::string> feature_names;
    /// MLPs trained alike from different seeds (so on different validation splits); the prediction is
    /// their mean in the target transform's space (the geometric mean of the times for the log target)
    std::vector<TrainedRegressor> members;
    /// the training rows' range of each feature: a query's features are clamped into it, so beyond the
    /// data (a bigger layer) the model holds the ratio to the baseline that it learned at the edge instead
    /// of extrapolating the network; the hardware features are left unbounded (device_only_feature);
    /// empty in models trained before ranges were kept: no clamping
    std::vector<double> feature_min, feature_max;
    /// further kinds the model answers: the portable tier's memory-bound model serves them all
    /// (embedded::KindModel::serves); empty for a model of one kind
    std::vector<LayerKind> serves;
    /// the baseline's fixed cost per kernel on a device without a floor of its own (portable_baseline_us)
    double latency_us = 0;
    std::vector<std::string> devices;  ///< the device ids of its training rows (empty: the whole model's)
    /// a device-specific model relative to its device's kernel floor plus the roofline
    /// (embedded::KindModel::kernel_floor; the portable tier always is)
    bool kernel_floor = false;

    /** @brief Does this model answer layers of kind @p k? */
    bool answers(LayerKind k) const noexcept {
        return kind == k || std::find(serves.begin(), serves.end(), k) != serves.end();
    }
    /** @brief Is its target relative to portable_baseline_us (embedded::KindModel::floor_baseline)? */
    bool floor_baseline() const noexcept { return features == FeatureSet::portable || kernel_floor; }
};

/** @brief A query the trainer answered, re-checked when the model file is loaded. */
struct ReferenceQuery {
    Layer layer;
    std::string device_json;  ///< the device, whole, so the check needs no database
    Pass pass = Pass::inference;
    DType dtype = DType::fp32;
    double predicted_us = 0;
};

namespace detail {

/// The alignment of the arrays the single-row kernel reads and writes: a cache line, so that its 32-byte
/// loads of a weight row never straddle two lines (a vector's 16-byte alignment leaves that to where the
/// heap puts the array, which moved one query's time by 18%, 2026-12-05).
inline constexpr std::size_t row_kernel_alignment = 64;

/** @brief A std::allocator that aligns to row_kernel_alignment. */
template <class T>
struct row_aligned_allocator {
    using value_type = T;
    row_aligned_allocator() noexcept = default;
    template <class U>
    row_aligned_allocator(const row_aligned_allocator<U>&) noexcept {}
    T* allocate(std::size_t n) {
        return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{row_kernel_alignment}));
    }
    // the unsized form: Clang declares sized deallocation only with -fsized-deallocation
    void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, std::align_val_t{row_kernel_alignment}); }
    friend bool operator==(const row_aligned_allocator&, const row_aligned_allocator&) noexcept { return true; }
};

/// The weights, biases and scratch rows of the single-row kernel.
using aligned_doubles = std::vector<double, row_aligned_allocator<double>>;

}  // namespace detail

/** @brief The execution policy of run-time predictions (core/inference.hpp's Exec). */
struct runtime_exec {
    using math = detail::std_math;

    /** @brief The member's network output for standardised features: mlp.hpp's single-row kernel. */
    static double forward(const embedded::KindModel& k, const double* x, std::size_t) {
        thread_local detail::aligned_doubles scratch;
        std::size_t width = 0;
        for (const embedded::DenseLayer& layer : k.layers) width = std::max(width, layer.outputs);
        if (scratch.size() < 2 * width) scratch.resize(2 * width);
        const double* in = x;
        double* buffers[2] = {scratch.data(), scratch.data() + width};
        const bool relu = k.activation == MlpActivation::relu;
        for (std::size_t l = 0; l < k.layers.size(); ++l) {
            const embedded::DenseLayer& layer = k.layers[l];
            const detail::mlp::RowLayer row{layer.weights.data(), layer.bias.data(), layer.inputs, layer.outputs,
                                            relu,  k.activation,         l + 1 < k.layers.size()};
            double* out = buffers[l % 2];
            detail::mlp::forward_row_step(row, in, out);
            in = out;
        }
        return k.output_offset + k.output_scale * in[0];
    }
};

namespace detail {

/**
 * @brief A predictor's data copied into the arrays an embedded::Model points at: what Predictor::view()
 * returns. Immutable once built, and not copyable: the Model points into it.
 */
class model_view_data {
public:
    model_view_data(std::string_view name, int schema, const std::vector<const KindEnsemble*>& models,
                    const std::vector<std::string>& passes, const std::vector<std::string>& dtypes,
                    const std::vector<std::string>& devices, const std::vector<double>& kernel_floors_us,
                    std::string_view data_hash, const MemoryFit& memory,
                    const CallOverhead& overhead, std::string_view overhead_device,
                    const std::vector<ReferenceQuery>& references, const std::string& file)
        : m_name(name), m_hash(data_hash), m_overhead_device(overhead_device), m_floors(kernel_floors_us) {
        for (const KindEnsemble* ensemble : models)
            for (const TrainedRegressor& r : ensemble->members) add_member(ensemble->kind, *ensemble, r);
        for (const std::string& s : passes) {
            const auto pass = parse_pass(s);
            if (!pass) throw error("training.passes", "unknown pass \"" + s + "\"");
            m_passes.push_back(*pass);
        }
        for (const std::string& s : dtypes) {
            const auto t = parse_dtype(s);
            if (!t) throw error("training.dtypes", "unknown precision \"" + s + "\"");
            m_dtypes.push_back(*t);
        }
        for (const std::string& s : devices) m_devices.emplace_back(m_strings.emplace_back(s));
        for (std::size_t i = 0; i < references.size(); ++i) {
            const ReferenceQuery& q = references[i];
            m_registry.parse(q.device_json, file + " references[" + std::to_string(i) + "].device");
            m_references.push_back(
                embedded::Reference{q.layer, m_registry.all().back(), q.pass, q.dtype, q.predicted_us});
        }
        m_model = embedded::Model{m_name,       schema, m_kinds, m_passes, m_dtypes,         m_devices,
                                  m_references, m_hash, memory,  overhead, m_overhead_device, m_floors};
    }
    model_view_data(const model_view_data&) = delete;
    model_view_data& operator=(const model_view_data&) = delete;

    const embedded::Model& model() const noexcept { return m_model; }

private:
    struct member_data {
        std::vector<std::string_view> names;
        std::vector<double> mean, stddev, feature_min, feature_max;
        std::vector<LayerKind> serves;
        std::vector<std::string_view> devices;
        std::deque<aligned_doubles> weights, biases;
        std::vector<embedded::DenseLayer> layers;
    };

    // an ensemble's members follow each other in `kinds`: embedded::predict_us averages them
    void add_member(LayerKind k, const KindEnsemble& e, const TrainedRegressor& r) {
        member_data& d = m_data.emplace_back();
        for (const std::string& n : e.feature_names) d.names.emplace_back(m_strings.emplace_back(n));
        d.mean.assign(r.scaler().mean().begin(), r.scaler().mean().end());
        d.stddev.assign(r.scaler().stddev().begin(), r.scaler().stddev().end());
        d.feature_min = e.feature_min;
        d.feature_max = e.feature_max;
        d.serves = e.serves;
        for (const std::string& id : e.devices) d.devices.emplace_back(m_strings.emplace_back(id));
        for (const MlpLayer& layer : r.mlp().layers()) {
            const aligned_doubles& w = d.weights.emplace_back(layer.weights.begin(), layer.weights.end());
            const aligned_doubles& b = d.biases.emplace_back(layer.bias.begin(), layer.bias.end());
            d.layers.push_back(embedded::DenseLayer{layer.inputs(), layer.outputs(), w, b});
        }
        m_kinds.push_back(embedded::KindModel{k, e.features, e.relative_to_roofline, d.names, d.mean, d.stddev,
                                              d.layers, r.mlp().activation(), r.mlp().output_offset(),
                                              r.mlp().output_scale(), r.target_transform().kind(),
                                              r.target_transform().constant(), min_compute_fraction(k),
                                              d.feature_min, d.feature_max, d.serves, e.latency_us, d.devices,
                                              e.kernel_floor});
    }

    std::string m_name, m_hash, m_overhead_device;
    std::deque<std::string> m_strings;
    std::deque<member_data> m_data;
    std::vector<embedded::KindModel> m_kinds;
    std::vector<Pass> m_passes;
    std::vector<DType> m_dtypes;
    std::vector<std::string_view> m_devices;
    std::vector<double> m_floors;
    DeviceRegistry m_registry;  // owns the reference devices' strings
    std::vector<embedded::Reference> m_references;
    embedded::Model m_model;
};

}  // namespace detail
}  // namespace perfcast
