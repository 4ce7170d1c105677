/**
 * @file constexpr_model.hpp
 * @brief A trained predictor as plain data (spans over arrays): perfcast::embedded::Model.
 *
 * This is the one form every prediction reads a learned model in. `perfcast embed`
 * (tools/lab/perfcast/lab/embed.hpp) writes a model file out as a header of
 * `inline constexpr double[]` arrays and one `embedded::Model` that points at them
 * (include/perfcast/core/models/neusight_fp32.hpp is the committed default model); a run-time
 * perfcast::Predictor holds the same view over the data it loaded or trained
 * (Predictor::view()). inference.hpp evaluates a view, layer_time.hpp chooses the method of each
 * layer and network_time.hpp sums a network, each once for both paths: in constant expressions
 * with perfcast's own math, at run time with <cmath> and a SIMD kernel.
 *
 * Needs only the standard library and perfcast's compile-time headers.
 */
#pragma once

#include <algorithm>    // find
#include <cstddef>      // size_t
#include <span>         // span
#include <string_view>  // string_view

#include "call_overhead.hpp"  // CallOverhead
#include "devices.hpp"        // Device
#include "feature_set.hpp"    // FeatureSet
#include "layers.hpp"         // Layer, LayerKind
#include "memory_fit.hpp"     // MemoryFit
#include "mlp_kinds.hpp"      // MlpActivation, TargetKind
#include "target.hpp"         // Target
#include "types.hpp"          // Pass, DType

namespace perfcast::embedded {

/** @brief One fully connected layer: out = in * weights + bias; weights are inputs x outputs, row-major. */
struct DenseLayer {
    std::size_t inputs = 0;
    std::size_t outputs = 0;
    std::span<const double> weights;  ///< inputs * outputs values
    std::span<const double> bias;     ///< outputs values
};

/**
 * @brief One MLP of a layer kind's model: the features it reads, their scaling, the network and its
 * output maps. An ensemble's members are consecutive entries of Model::kinds with the same kind and
 * feature set; the first one's feature ranges serve them all (they share the training rows).
 *
 * Two tiers: a model under FeatureSet::portable sees the device only through quantities that mean
 * the same on every GPU (its roofline at the SIMT rate, waves over its SMs) and answers for devices
 * outside the training data; a model under another set answers for the devices it was trained on
 * (Model::index_of). A portable model may serve several kinds at once (`serves`: the memory-bound
 * kinds share one model of bytes, launch latency and occupancy).
 */
struct KindModel {
    LayerKind kind = LayerKind::conv2d;
    FeatureSet features = FeatureSet::hardware;
    /// the network predicts time / baseline: the roofline, or (floor_baseline()) portable_baseline_us
    /// (analytical.hpp) with the device's kernel floor (Model::kernel_floor_us); false: the time itself
    bool relative_to_roofline = true;
    std::span<const std::string_view> feature_names;  ///< the schema the model was trained with
    std::span<const double> mean;                     ///< the scaler's column means
    std::span<const double> stddev;                   ///< the scaler's column standard deviations
    std::span<const DenseLayer> layers;               ///< hidden layers, then the 1-output layer
    MlpActivation activation = MlpActivation::relu;
    double output_offset = 0.0;  ///< z = output_offset + output_scale * (network output)
    double output_scale = 1.0;
    TargetKind transform = TargetKind::identity;  ///< the time is T^-1(z)
    double transform_c = 1.0;                     ///< the sqrt transform's constant: t = z |z| / c
    /// a prediction is at least this share of the layer's compute-bound time (FLOPs / peak):
    /// min_compute_fraction() of the kind (inference.hpp) when the model was made
    double min_compute_fraction = 0.0;
    std::span<const double> feature_min{};  ///< the training rows' feature ranges (empty: no clamping)
    std::span<const double> feature_max{};
    std::span<const LayerKind> serves{};    ///< further kinds this model answers (besides `kind`)
    /// the portable baseline's fixed cost per kernel on a device without a floor of its own
    /// (Model::kernel_floor_us): the median of the training devices' floors
    double latency_us = 0.0;
    /// the device ids of this model's training rows (empty: the whole model's, Model::devices)
    std::span<const std::string_view> devices{};
    /// a device-specific model relative to portable_baseline_us with its device's kernel floor (the
    /// machine's fixed cost per call plus the roofline), as the portable tier always is; false: to the
    /// roofline alone (models trained before 2026-12-05, and models of CPUs, which have no floor)
    bool kernel_floor = false;

    /** @brief Does this model answer layers of kind @p k? */
    constexpr bool answers(LayerKind k) const noexcept {
        return kind == k || std::find(serves.begin(), serves.end(), k) != serves.end();
    }
    /** @brief Is this model the portable tier (it answers devices outside the training data)? */
    constexpr bool portable() const noexcept { return features == FeatureSet::portable; }
    /** @brief Is the model's baseline portable_baseline_us, the device's kernel floor plus its roofline
     *  (else the roofline, when relative_to_roofline)? */
    constexpr bool floor_baseline() const noexcept { return portable() || kernel_floor; }
    /** @brief Are the two entries members of one ensemble? */
    constexpr bool same_ensemble(const KindModel& o) const noexcept { return kind == o.kind && features == o.features; }
};

/** @brief A query the trainer answered, with its prediction: the model must give it back. */
struct Reference {
    Layer layer{};
    Device device{};
    Pass pass = Pass::inference;
    DType dtype = DType::fp32;
    double predicted_us = 0.0;
};

/** @brief A whole learned predictor: per-kind models, what they were trained on, reference queries. */
struct Model {
    std::string_view name;
    int feature_schema_version = 0;  ///< the feature schema (feature_set.hpp) the model was trained with
    std::span<const KindModel> kinds;
    std::span<const Pass> passes;               ///< passes of the training data
    std::span<const DType> dtypes;              ///< precisions of the training data
    std::span<const std::string_view> devices;  ///< device ids of the training data
    std::span<const Reference> references;
    std::string_view data_hash;
    MemoryFit memory{};                  ///< the memory-bound model of the kinds without a model of their own
    CallOverhead overhead{};             ///< the framework's cost per call in a network, and the device's level
    std::string_view overhead_device{};  ///< the device it was fitted on; others get none
    /// each training device's kernel floor (its cheapest call, kernel_floors() in runtime/predictor.hpp),
    /// microseconds, in the order of `devices`; empty: a portable model's latency_us on every device
    std::span<const double> kernel_floors_us{};

    /**
     * @brief Which model entry answers a layer kind on a device (Model::answer), with what the search
     * found out about the device on the way, so that nothing asks it again.
     */
    struct Answer {
        std::size_t index = 0;  ///< in `kinds`; kinds.size() when no model has the kind
        bool trained = false;   ///< trained_on(): the device is among that entry's training devices
        int chip = -1;          ///< else same_chip_index() for that entry (-1: none)
        /** @brief Does the entry know the device: trained on its rows, or on the rows of the same chip? A
         *  device-specific entry answers the devices it knows, a portable one the others. */
        constexpr bool knows() const noexcept { return trained || chip >= 0; }
    };
    /**
     * @brief The first member of the model that answers kind @p k on device @p d (its index in `kinds`,
     * or kinds.size() if none does): a device-specific model trained on rows of @p d (or of the same
     * chip, Answer::knows()) first, else a portable one, then any model of the kind. (An index, not a pointer:
     * GCC's -fsanitize=undefined makes a pointer's comparison with null non-constant.)
     */
    constexpr Answer answer(LayerKind k, const Device& d) const noexcept {
        Answer fallback{kinds.size(), false, -1};
        for (std::size_t i = 0; i < kinds.size(); ++i)
            if (kinds[i].answers(k)) {
                const bool trained = trained_on(kinds[i], d);
                const Answer a{i, trained, trained ? -1 : chip_among(kinds[i], d)};
                if (kinds[i].portable() != a.knows()) return a;
                if (fallback.index == kinds.size()) fallback = a;
            }
        return fallback;
    }
    /** @brief answer()'s index: the entry of `kinds` that answers kind @p k on device @p d. */
    constexpr std::size_t index_of(LayerKind k, const Device& d) const noexcept { return answer(k, d).index; }
    /** @brief Was the model entry @p e trained on rows of this device? */
    constexpr bool trained_on(const KindModel& e, const Device& d) const noexcept {
        if (e.devices.empty()) return trained_on(d);
        return std::find(e.devices.begin(), e.devices.end(), d.id) != e.devices.end();
    }
    /**
     * @brief For a device outside the rows of model entry @p e: the index in devices::builtin of a
     * training device of @p e that is the same chip (Device::same_chip: the A100 PCIe 80GB of the A100
     * PCIe 40GB, the H100 SXM of the H200), or -1 when @p d is a training device of @p e or has none.
     */
    constexpr int same_chip_index(const KindModel& e, const Device& d) const noexcept {
        return trained_on(e, d) ? -1 : chip_among(e, d);
    }
    /**
     * @brief The device whose features model entry @p e sees for a layer on device @p d: the training device
     * of the same chip (same_chip_index()) for a device-specific entry asked about a device outside its
     * rows, else @p d. The answer's baseline and physical bound stay @p d's own (inference.hpp): a chip's
     * model learned how far from its roofline each layer runs, and @p d's memory gives the roofline.
     */
    constexpr const Device& feature_device(const KindModel& e, const Device& d) const noexcept {
        return feature_device(e, d, e.portable() ? -1 : same_chip_index(e, d));
    }
    /** @brief feature_device() with same_chip_index()'s answer for @p e and @p d, @p chip (answer()'s). */
    constexpr const Device& feature_device(const KindModel& e, const Device& d, int chip) const noexcept {
        return e.portable() || chip < 0 ? d : *perfcast::devices::builtin[static_cast<std::size_t>(chip)];
    }
    /** @brief Has a model for this kind (on some device)? */
    constexpr bool covers(LayerKind k) const noexcept {
        for (const KindModel& e : kinds)
            if (e.answers(k)) return true;
        return false;
    }
    /** @brief Was trained on this pass and precision? (It is not asked about others.) */
    constexpr bool trained_for(Pass pass, DType t) const noexcept {
        return std::find(passes.begin(), passes.end(), pass) != passes.end() &&
               std::find(dtypes.begin(), dtypes.end(), t) != dtypes.end();
    }
    /**
     * @brief The precision whose learned ratios answer layers of precision @p t: @p t itself when the
     * training data hold it (or hold no precision at all), else FP32 when they hold it, else their first.
     * A layer of a precision outside the data keeps the ratio to its baseline that the model learned at
     * this precision, and takes the baseline of its own (predict_at in inference.hpp): TF32 changes only
     * what a tensor-core GEMM or convolution computes at, so every other kernel keeps its FP32 time
     * exactly; a 16-bit precision also halves the bytes.
     */
    constexpr DType learned_precision(DType t) const noexcept {
        if (dtypes.empty() || std::find(dtypes.begin(), dtypes.end(), t) != dtypes.end()) return t;
        if (std::find(dtypes.begin(), dtypes.end(), DType::fp32) != dtypes.end()) return DType::fp32;
        return dtypes.front();
    }
    /** @brief Is a training step timed as its forward kernels (phase_kernels): a model trained on the
     *  forward pass of this precision only? */
    constexpr bool steps_from_forward(Pass pass, DType t) const noexcept {
        return pass == Pass::training && !trained_for(pass, t) && trained_for(Pass::inference, t);
    }
    /**
     * @brief The fixed cost per kernel a model's baseline takes on device @p d (portable_baseline_us, for a
     * model whose floor_baseline()):
     * the device's own Device::kernel_floor_us if given, else the floor measured on it in the training
     * data, else the portable model's latency_us (the training devices' median).
     */
    constexpr double kernel_floor_us(const KindModel& e, const Device& d) const noexcept {
        if (d.kernel_floor_us > 0) return d.kernel_floor_us;
        if (kernel_floors_us.size() == devices.size())
            for (std::size_t i = 0; i < devices.size(); ++i)
                if (devices[i] == d.id) return kernel_floors_us[i];
        return e.latency_us;
    }
    /** @brief Was trained on data from this device? */
    constexpr bool trained_on(const Device& d) const noexcept {
        return std::find(devices.begin(), devices.end(), d.id) != devices.end();
    }
    /** @brief same_chip_index() for a device @p d that is not a training device of @p e. */
    constexpr int chip_among(const KindModel& e, const Device& d) const noexcept {
        if (d.kind != DeviceKind::gpu) return -1;
        // the built-in chips first (a few integer comparisons each, most fail on the SMs): rarely any
        for (std::size_t b = 0; b < perfcast::devices::builtin.size(); ++b)
            if (perfcast::devices::builtin[b]->same_chip(d) && trained_on(e, *perfcast::devices::builtin[b]))
                return static_cast<int>(b);
        return -1;
    }
    /** @brief The call overhead of a layer on the target, microseconds: 0 but on the device it was fitted on. */
    constexpr double overhead_us(const Layer& l, const perfcast::Target& t) const noexcept {
        // the device first: an uncalibrated model's empty id ends the test at once
        return t.device().id == overhead_device && overhead.fitted() ? overhead.at(l, t) : 0.0;
    }
    /** @brief The level of a layer's kind on the target's device (CallOverhead::level_of): 1 but on the
        device the calibration was fitted on. */
    constexpr double level(const Layer& l, const perfcast::Target& t) const noexcept {
        return t.device().id == overhead_device && overhead.fitted() ? overhead.level_of(kind(l)) : 1.0;
    }
};

}  // namespace perfcast::embedded
