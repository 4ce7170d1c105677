/**
 * @file constexpr_model.hpp
 * @brief A trained predictor as constexpr data, and its inference in constant expressions:
 *        `perfcast::embedded::predict_us(model, layer, device, pass, dtype)` gives what the
 *        run-time perfcast::Predictor gives (to a few ulp), at compile time.
 *
 * `perfcast embed` (include/perfcast/embed.hpp) writes a model file out as a header of
 * `inline constexpr double[]` arrays and one `embedded::Model` that points at them;
 * include/perfcast/core/models/neusight_fp32.hpp is the committed default model, and
 * compile_time.hpp names it the default of `perfcast::predict_us<Net, Device>()`.
 *
 * The steps are Predictor::predict_us's: the feature vector (detail/feature_kernel.hpp: the
 * features of features.hpp, with the math of detail/constexpr_math.hpp), the scaler, the dense
 * layers, the output affine map, the inverse target transform, the roofline factor, and the
 * floor at a share of the compute-bound time. The result equals the run-time one to about
 * 1e-15 (own log/exp against libm's, and another summation order).
 *
 * Compile-time cost with g++ 12: about 15-25 ms and 2 MB per learned layer; equal layers are
 * evaluated once (GCC memoizes constexpr calls on equal arguments). ResNet-50 needs about 4M
 * constexpr operations and InceptionV3 about 8M, within GCC's default -fconstexpr-ops-limit (2^25).
 *
 * Needs only the standard library and perfcast's compile-time headers.
 */
#pragma once

#include <algorithm>    // max, find
#include <cstddef>      // size_t
#include <memory>       // allocator, construct_at: hidden activations (transient in constant evaluation)
#include <span>         // span
#include <string_view>  // string_view

#include "analytical.hpp"              // roofline_us, compute_bound_us
#include "call_overhead.hpp"           // CallOverhead
#include "detail/constexpr_math.hpp"   // cmath::exp, tanh
#include "detail/feature_kernel.hpp"   // features_kernel::compute
#include "devices.hpp"                 // Device
#include "error.hpp"                   // error
#include "feature_set.hpp"             // FeatureSet, feature_schema_version
#include "layers.hpp"                  // Layer, LayerKind, kind
#include "memory_fit.hpp"              // MemoryFit, runs_no_kernel
#include "network.hpp"                 // BackwardScope
#include "optimizer.hpp"               // Optimizer, for_each_parameter_tensor, update_kernel
#include "types.hpp"                   // Pass, DType

namespace perfcast::embedded {

// ============================================================================
// The data of an embedded model
// ============================================================================

/** @brief The hidden nonlinearity (MlpActivation's values, without the run-time header). */
enum class Activation { relu, tanh, silu, gelu };

/** @brief The target transform (TargetKind's values): the network predicts z, the time is T^-1(z). */
enum class Target { identity, sqrt, log };

/** @brief One fully connected layer: out = in * weights + bias; weights are inputs x outputs, row-major. */
struct DenseLayer {
    std::size_t inputs = 0;
    std::size_t outputs = 0;
    std::span<const double> weights;  ///< inputs * outputs values
    std::span<const double> bias;     ///< outputs values
};

/** @brief One layer kind's model: the features it reads, their scaling, the network and its output maps. */
struct KindModel {
    LayerKind kind = LayerKind::conv2d;
    FeatureSet features = FeatureSet::hardware;
    bool relative_to_roofline = true;               ///< the network predicts time / roofline time
    std::span<const std::string_view> feature_names;  ///< the schema the model was trained with
    std::span<const double> mean;                   ///< the scaler's column means
    std::span<const double> stddev;                 ///< the scaler's column standard deviations
    std::span<const DenseLayer> layers;             ///< hidden layers, then the 1-output layer
    Activation activation = Activation::relu;
    double output_offset = 0.0;  ///< z = output_offset + output_scale * (network output)
    double output_scale = 1.0;
    Target target = Target::identity;
    double target_c = 1.0;  ///< the sqrt transform's constant: t = z |z| / c
    /// a prediction is at least this share of the layer's compute-bound time (FLOPs / peak):
    /// Predictor's min_compute_fraction() for the kind when the model was embedded
    double min_compute_fraction = 0.0;
    std::span<const double> feature_min{};  ///< the training rows' feature ranges (empty: no clamping)
    std::span<const double> feature_max{};
};

/** @brief A query the trainer answered, with its prediction: the embedded model must give it back. */
struct Reference {
    Layer layer{};
    Device device{};
    Pass pass = Pass::inference;
    DType dtype = DType::fp32;
    double predicted_us = 0.0;
};

/** @brief A whole embedded predictor: per-kind models, what they were trained on, reference queries. */
struct Model {
    std::string_view name;
    int feature_schema_version = 0;  ///< the features.hpp schema the model was trained with
    std::span<const KindModel> kinds;
    std::span<const Pass> passes;               ///< passes of the training data
    std::span<const DType> dtypes;              ///< precisions of the training data
    std::span<const std::string_view> devices;  ///< device ids of the training data
    std::span<const Reference> references;
    std::string_view data_hash;
    MemoryFit memory{};  ///< the memory-bound model of the kinds without a model (Predictor::memory_fit)
    CallOverhead overhead{};             ///< the framework's cost per call in a network (Predictor::call_overhead)
    std::string_view overhead_device{};  ///< the device it was fitted on; others get none

    /** @brief The index in `kinds` of a kind's model, or kinds.size() if it has none. (An index, not a
        pointer: GCC's -fsanitize=undefined makes a pointer's comparison with null non-constant.) */
    constexpr std::size_t index_of(LayerKind k) const noexcept {
        std::size_t i = 0;
        while (i < kinds.size() && kinds[i].kind != k) ++i;
        return i;
    }
    /** @brief Has a model for this kind? */
    constexpr bool covers(LayerKind k) const noexcept { return index_of(k) < kinds.size(); }
    /** @brief Was trained on this pass and precision? (Predictor::trained_for.) */
    constexpr bool trained_for(Pass pass, DType t) const noexcept {
        return std::find(passes.begin(), passes.end(), pass) != passes.end() &&
               std::find(dtypes.begin(), dtypes.end(), t) != dtypes.end();
    }
    /** @brief Was trained on data from this device? */
    constexpr bool trained_on(const Device& d) const noexcept {
        return std::find(devices.begin(), devices.end(), d.id) != devices.end();
    }
};

/** @brief One layer's compile-time estimate, whether the learned model made it, and the method's name
 *  (learned_time_fn's: "mlp", "memory-fit", "roofline", "no kernel"). */
struct Prediction {
    double us = 0.0;
    bool learned = false;
    std::string_view method = "roofline";
    double overhead_us = 0.0;  ///< the part of `us` that is the call overhead (learned_time_fn's LayerTime::overhead_us)
};

// ============================================================================
// Declarations
// ============================================================================

/**
 * @brief The learned model's time for a layer, in microseconds, as Predictor::predict_us.
 * @throws perfcast::error (a compile error in a constant expression) when the model has no
 *         model for the layer's kind, or its features differ from the schema it was trained with
 */
constexpr double predict_us(const Model& m, const Layer& l, const Device& d, Pass pass, DType t);

/**
 * @brief A layer's time under learned_time_fn's policy: the learned model where it covers the
 * kind and was trained on the pass and precision, the roofline elsewhere.
 */
constexpr Prediction layer_time(const Model& m, const Layer& l, const Device& d, Pass pass, DType t);

/** @brief A network's time: layer_time() summed over its layers (a training step's first layers with
 *  estimate()'s BackwardScope rule), and for training the optimizer's update as estimate() adds it
 *  (EstimateOptions::optimizer), microseconds. */
constexpr double network_us(const Model& m, std::span<const Layer> layers, const Device& d, Pass pass, DType t,
                            Optimizer optimizer = Optimizer::sgd_momentum);

/** @brief Largest relative difference between the model's predictions and its reference queries' (0 if none). */
constexpr double max_reference_error(const Model& m);

/** @brief Do the model's feature names and schema version match the features this perfcast computes? */
constexpr bool schema_matches(const Model& m);

/** @brief schema_matches() and every reference query reproduced within @p tolerance (relative). */
constexpr bool verify(const Model& m, double tolerance = 1e-6);

// ============================================================================
// Implementation
// ============================================================================

namespace detail {

/** @brief sqrt(2 / pi) and the cubic coefficient of the GELU tanh approximation, as in mlp.hpp. */
inline constexpr double gelu_scale = 0.7978845608028654;
inline constexpr double gelu_cubic = 0.044715;

constexpr double activate(Activation a, double x) noexcept {
    namespace cm = perfcast::detail::cmath;
    switch (a) {
        case Activation::relu: return std::max(x, 0.0);
        case Activation::tanh: return cm::tanh(x);
        case Activation::silu: return x / (1.0 + cm::exp(-x));
        case Activation::gelu: return 0.5 * x * (1.0 + cm::tanh(gelu_scale * (x + gelu_cubic * x * x * x)));
    }
    return x;
}

constexpr double inverse_target(Target t, double c, double z) noexcept {
    switch (t) {
        case Target::identity: return z;
        case Target::sqrt: return z * (z < 0 ? -z : z) / c;
        case Target::log: return perfcast::detail::cmath::exp(z);
    }
    return z;
}

/**
 * @brief Zeroed doubles on the heap, freed on scope exit: usable in constant evaluation (a
 * transient allocation). Not std::vector: clang rejects libstdc++ 12's vector in constant
 * expressions.
 */
class scratch {
public:
    constexpr explicit scratch(std::size_t n) : m_data(std::allocator<double>{}.allocate(n)), m_size(n) {
        for (std::size_t i = 0; i < n; ++i) std::construct_at(m_data + i, 0.0);
    }
    constexpr ~scratch() { std::allocator<double>{}.deallocate(m_data, m_size); }
    scratch(const scratch&) = delete;
    scratch& operator=(const scratch&) = delete;
    constexpr double* data() noexcept { return m_data; }

private:
    double* m_data;
    std::size_t m_size;
};

/**
 * @brief The network on standardised inputs: per block of 64 inputs, the non-zero ones (about
 * half, after ReLU) four at a time, then in a pair, then the odd one, as Mlp::predict_one skips
 * zeros; four rows per pass halves the constexpr operations of Mlp::predict_one's pairs.
 */
constexpr double run_network(const KindModel& k, const double* x, std::size_t n_x) {
    // Raw pointers in the loops: in constant evaluation every call (span::operator[] included)
    // costs far more than the arithmetic.
    std::size_t width = 0;
    for (const DenseLayer& layer : k.layers) width = std::max(width, layer.outputs);
    scratch buffer(2 * width);
    const double* in = x;
    std::size_t n_in = n_x;
    for (std::size_t l = 0; l < k.layers.size(); ++l) {
        const DenseLayer& layer = k.layers[l];
        const std::size_t n_out = layer.outputs;
        if (layer.inputs != n_in || layer.weights.size() != n_in * n_out || layer.bias.size() != n_out)
            throw error("embedded.layers", "inconsistent layer sizes");
        const double* weights = layer.weights.data();
        const double* bias = layer.bias.data();
        double* out = buffer.data() + (l % 2) * width;
        for (std::size_t j = 0; j < n_out; ++j) out[j] = bias[j];
        std::size_t nonzero[64]{};
        for (std::size_t base = 0; base < n_in; base += 64) {
            const std::size_t end = n_in < base + 64 ? n_in : base + 64;
            std::size_t count = 0;
            for (std::size_t i = base; i < end; ++i)
                if (in[i] != 0.0) nonzero[count++] = i;
            std::size_t p = 0;
            for (; p + 4 <= count; p += 4) {
                const double a0 = in[nonzero[p]], a1 = in[nonzero[p + 1]];
                const double a2 = in[nonzero[p + 2]], a3 = in[nonzero[p + 3]];
                const double* w0 = weights + nonzero[p] * n_out;
                const double* w1 = weights + nonzero[p + 1] * n_out;
                const double* w2 = weights + nonzero[p + 2] * n_out;
                const double* w3 = weights + nonzero[p + 3] * n_out;
                for (std::size_t j = 0; j < n_out; ++j)
                    out[j] += (a0 * w0[j] + a1 * w1[j]) + (a2 * w2[j] + a3 * w3[j]);
            }
            for (; p + 2 <= count; p += 2) {
                const double a0 = in[nonzero[p]], a1 = in[nonzero[p + 1]];
                const double* w0 = weights + nonzero[p] * n_out;
                const double* w1 = weights + nonzero[p + 1] * n_out;
                for (std::size_t j = 0; j < n_out; ++j) out[j] += a0 * w0[j] + a1 * w1[j];
            }
            if (p < count) {
                const double a = in[nonzero[p]];
                const double* w = weights + nonzero[p] * n_out;
                for (std::size_t j = 0; j < n_out; ++j) out[j] += a * w[j];
            }
        }
        if (l + 1 < k.layers.size()) {
            if (k.activation == Activation::relu) {
                for (std::size_t j = 0; j < n_out; ++j)
                    if (out[j] < 0.0) out[j] = 0.0;
            } else {
                for (std::size_t j = 0; j < n_out; ++j) out[j] = activate(k.activation, out[j]);
            }
        }
        in = out;
        n_in = n_out;
    }
    if (n_in != 1) throw error("embedded.layers", "the last layer must have one output");
    return k.output_offset + k.output_scale * in[0];
}

/** @brief A layer of each kind, for the feature names (as Predictor::parse chooses them). */
constexpr double relative_difference(double a, double b) noexcept {
    const double d = a - b;
    const double ad = d < 0 ? -d : d;
    const double ab = b < 0 ? -b : b;
    return ab == 0 ? ad : ad / ab;
}

}  // namespace detail

constexpr double predict_us(const Model& m, const Layer& l, const Device& d, Pass pass, DType t) {
    const std::size_t index = m.index_of(kind(l));
    if (index == m.kinds.size()) throw error("kind", "the embedded model has no model for this layer kind");
    const KindModel* k = &m.kinds[index];
    namespace fk = perfcast::detail::features_kernel;
    fk::feature_buffer f;
    fk::compute<fk::constexpr_math>(f, k->features, l, d, pass, t);
    // an ensemble: the kind's entries one after another, averaged in the target space (Predictor::predict_us)
    // (the members share the training rows, so their feature ranges are the first one's)
    fk::clamp_to_range(f, k->feature_min, k->feature_max);
    double z = 0.0;
    std::size_t members = 0;
    for (std::size_t i = index; i < m.kinds.size() && m.kinds[i].kind == k->kind; ++i, ++members) {
        const KindModel& e = m.kinds[i];
        if (f.size != e.mean.size() || f.size != e.stddev.size())
            throw error("features", "the embedded model was trained on another number of features");
        double x[fk::max_features]{};
        for (std::size_t c = 0; c < f.size; ++c) x[c] = (f.values[c] - e.mean[c]) / e.stddev[c];
        z += detail::run_network(e, x, f.size);
    }
    const double y = detail::inverse_target(k->target, k->target_c, z / static_cast<double>(members));
    const double us = k->relative_to_roofline ? y * roofline_us(l, d, pass, t) : y;
    return std::max(us, k->min_compute_fraction * compute_bound_us(l, d, pass, t));
}

constexpr Prediction layer_time(const Model& m, const Layer& l, const Device& d, Pass pass, DType t) {
    const double o = m.overhead.fitted() && d.id == m.overhead_device ? m.overhead.at(l, d, t) : 0.0;
    if (runs_no_kernel(l, pass, t)) return {o, false, "no kernel", o};
    if (m.trained_for(pass, t)) {
        if (m.covers(kind(l))) return {predict_us(m, l, d, pass, t) + o, true, "mlp", o};
        if (m.memory.fitted()) return {m.memory.us(l, d, pass, t) + o, false, "memory-fit", o};
    }
    return {roofline_us(l, d, pass, t) + o, false, "roofline", o};
}

/**
 * @brief layer_time of a layer that runs only part of its backward in a training step
 * (BackwardScope), as estimate() takes it: the roofline of the phases that run, or the learned
 * time scaled by their roofline share.
 */
constexpr Prediction layer_time(const Model& m, const Layer& l, const Device& d, Pass pass, DType t, Backward b) {
    Prediction p = layer_time(m, l, d, pass, t);
    p.us = backward_us(p.us - p.overhead_us, p.method, l, d, pass, t, b) + p.overhead_us;
    return p;
}

namespace detail {
/** @brief layer_time with the layer by value: GCC memoizes constexpr calls on equal values, so a
    network's repeated layers (most of ResNet-50's) are evaluated once per translation unit. */
constexpr double layer_us_by_value(const Model& m, Layer l, const Device& d, Pass pass, DType t) {
    return layer_time(m, l, d, pass, t).us;
}
/** @brief An optimizer update kernel's time, by value as above: an add over the tensor without the call
    overhead (the kernels run inside the optimizer's step, not as a layer's call). */
constexpr double update_us_by_value(const Model& m, Layer update, const Device& d, DType t) {
    const Prediction u = layer_time(m, update, d, Pass::inference, t);
    return u.us - u.overhead_us;
}
}  // namespace detail

constexpr double network_us(const Model& m, std::span<const Layer> layers, const Device& d, Pass pass, DType t,
                            Optimizer optimizer) {
    double us = 0.0;
    BackwardScope scope;  // estimate()'s rule: no backward for the network's input
    for (const Layer& l : layers) {
        const Backward b = pass == Pass::training ? scope.next(l) : Backward::full;
        us += b == Backward::full ? detail::layer_us_by_value(m, l, d, pass, t) : layer_time(m, l, d, pass, t, b).us;
    }
    const int kernels = update_kernels(optimizer);
    if (pass == Pass::training && kernels > 0)
        for (const Layer& l : layers)
            for_each_parameter_tensor(l, [&](std::int64_t n) {
                us += kernels * detail::update_us_by_value(m, update_kernel(n), d, t);
            });
    return us;
}

constexpr double max_reference_error(const Model& m) {
    double worst = 0.0;
    for (const Reference& r : m.references)
        worst = std::max(worst, detail::relative_difference(predict_us(m, r.layer, r.device, r.pass, r.dtype),
                                                            r.predicted_us));
    return worst;
}

constexpr bool schema_matches(const Model& m) {
    if (m.feature_schema_version != feature_schema_version) return false;
    namespace fk = perfcast::detail::features_kernel;
    for (const KindModel& k : m.kinds) {
        fk::feature_buffer f;
        fk::compute<fk::constexpr_math>(f, k.features, perfcast::detail::example_layer(k.kind), devices::t4, Pass::inference,
                                        DType::fp32);
        if (f.size != k.feature_names.size()) return false;
        for (std::size_t i = 0; i < f.size; ++i)
            if (f.names[i] != k.feature_names[i]) return false;
    }
    return true;
}

constexpr bool verify(const Model& m, double tolerance) {
    return schema_matches(m) && max_reference_error(m) <= tolerance;
}

}  // namespace perfcast::embedded
