/**
 * @file inference.hpp
 * @brief The learned model's prediction for one layer, written once over an execution policy:
 *        `embedded::predict_us<Exec>(model, layer, target)`.
 *
 * The steps: the model that answers the layer's kind on the device (Model::answer: the
 * device-specific tier on a training device or on the same chip as one, the portable tier
 * elsewhere); the feature vector (feature_kernel.hpp; on the same chip's training device, that
 * device's: Model::feature_device), clamped into the training rows' range; per member of the
 * ensemble, the scaler and the network (Exec::forward); the members' mean in the target transform's space; the
 * inverse transform; times the baseline the model learned the ratio to (the roofline, or the
 * device's kernel floor plus its roofline, portable_baseline_us); and never below the physical
 * bound (physical_bound_us: FLOPs at the peak, times min_compute_fraction, and on GPUs bytes at the
 * bandwidth). Exec is constexpr_exec below (perfcast's own math and plain loops, for
 * constant expressions) or the run-time Predictor's (<cmath> and the SIMD row kernel of
 * runtime/mlp.hpp); the two agree to about 1e-15 (own log/exp against libm's, another summation
 * order inside the dense layers).
 *
 * Compile-time cost with g++ 12: about 15-25 ms and 2 MB per learned layer; equal layers are
 * evaluated once (GCC memoizes constexpr calls on equal arguments, see network_time.hpp).
 */
#pragma once

#include <algorithm>    // max, min
#include <array>        // array: Coverage's features outside
#include <bit>          // bit_width: a size far inside the training range, without a logarithm
#include <cstddef>      // size_t
#include <cstdint>      // int64_t: a GEMM size cut to the training range
#include <span>         // span: Coverage::outside_features
#include <string_view>  // string_view: a feature's name
#include <type_traits>  // is_same_v, remove_cvref_t: the layers viewed as matrices
#include <variant>      // holds_alternative, get: the GEMM cut to the training range
#include <memory>     // allocator, construct_at: hidden activations (transient in constant evaluation)

#include "analytical.hpp"             // pass_roofline, physical_bound_us, portable_baseline_us
#include "constexpr_model.hpp"        // embedded::Model, KindModel, DenseLayer, Reference
#include "feature_kernel.hpp"  // features_kernel::compute, clamp_to_range
#include "detail/math_policy.hpp"     // constexpr_math
#include "error.hpp"                  // error
#include "feature_set.hpp"            // feature_schema_version
#include "layers.hpp"                 // Layer, LayerKind, kind, detail::example_layer
#include "method.hpp"                 // LayerTime: what a stream of kernels needs of a prediction
#include "mlp_kinds.hpp"              // activate, inverse_target
#include "target.hpp"                 // Target

namespace perfcast {

namespace embedded {

// ============================================================================
// Declarations
// ============================================================================

/**
 * @brief The execution policy of constant expressions. An Exec has `using math = ...;` (a math
 * policy of detail/math_policy.hpp) and `forward(member, x, n)`: the member's network output
 * (its output map applied) for @p n standardised features @p x.
 */
struct constexpr_exec {
    using math = perfcast::detail::constexpr_math;
    static constexpr double forward(const KindModel& member, const double* x, std::size_t n);
};

struct Coverage;

/**
 * @brief The learned model's time for a layer on a target, in microseconds. With @p outside, the
 * features of the query outside the training rows' range are recorded in it as well (and its
 * `shape` cleared when there are any), from the features the prediction computed anyway.
 * @throws perfcast::error (a compile error in a constant expression) when the model has no
 *         model for the layer's kind, or its features differ from the schema it was trained with
 */
template <class Exec = constexpr_exec>
constexpr double predict_us(const Model& m, const Layer& l, const perfcast::Target& t, Coverage* outside = nullptr);

/** @brief Largest relative difference between the model's predictions and its reference queries' (0 if none). */
template <class Exec = constexpr_exec>
constexpr double max_reference_error(const Model& m);

/** @brief Do the model's feature names and schema version match the features this perfcast computes? */
constexpr bool schema_matches(const Model& m);

/** @brief schema_matches() and every reference query reproduced within @p tolerance (relative). */
template <class Exec = constexpr_exec>
constexpr bool verify(const Model& m, double tolerance = 1e-6);

// ============================================================================
// Implementation
// ============================================================================

namespace detail {

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

constexpr double relative_difference(double a, double b) noexcept {
    const double d = a - b;
    const double ad = d < 0 ? -d : d;
    const double ab = b < 0 ? -b : b;
    return ab == 0 ? ad : ad / ab;
}

}  // namespace detail

/**
 * The network on standardised inputs: per block of 64 inputs, the non-zero ones (about half,
 * after ReLU) four at a time, then in a pair, then the odd one; four rows per pass halves the
 * constexpr operations of one at a time. Raw pointers in the loops: in constant evaluation every
 * call (span::operator[] included) costs far more than the arithmetic.
 */
constexpr double constexpr_exec::forward(const KindModel& k, const double* x, std::size_t n_x) {
    std::size_t width = 0;
    for (const DenseLayer& layer : k.layers) width = std::max(width, layer.outputs);
    detail::scratch buffer(2 * width);
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
            if (k.activation == MlpActivation::relu) {
                for (std::size_t j = 0; j < n_out; ++j)
                    if (out[j] < 0.0) out[j] = 0.0;
            } else {
                for (std::size_t j = 0; j < n_out; ++j)
                    out[j] = perfcast::detail::activate<math>(k.activation, out[j]);
            }
        }
        in = out;
        n_in = n_out;
    }
    if (n_in != 1) throw error("embedded.layers", "the last layer must have one output");
    return k.output_offset + k.output_scale * in[0];
}

/** @brief A feature of a query outside the training rows' range of the model that answers it. */
struct OutsideFeature {
    std::string_view name;  ///< the feature's name in the schema (feature_kernel.hpp's, a string literal)
    double value = 0.0;     ///< the query's value (clamped to [min, max] before the network sees it)
    double min = 0.0;       ///< the training rows' range
    double max = 0.0;
};

/**
 * @brief Where a query lies against the model's training data: the device among the training
 * devices, and the layer's features inside the range of the training rows of the model that
 * answers it (outside, the features are clamped to the edge: the model extrapolates), with the
 * features that lie outside.
 */
struct Coverage {
    /// the most features outside a Coverage lists (outside_count counts them all)
    static constexpr std::size_t max_outside = 8;

    bool device = false;  ///< the device is among the training rows of the model that answers
    /// else the training device of the same chip among the answering model's rows (Model::same_chip_index), if
    /// any: a device-specific model answers with its features; a portable one (a kind without a device-specific
    /// model) with the device's own, as for any GPU
    std::string_view same_chip{};
    bool shape = false;   ///< every feature of the query lies inside the training rows' range
    /// the first features outside the range, in the schema's order (a training step timed as its forward
    /// kernels: each name once, with the first kernel's value that lies outside)
    std::array<OutsideFeature, max_outside> outside{};
    std::size_t outside_count = 0;  ///< how many distinct features lie outside (may exceed max_outside)
    /// the precision whose learned ratios answer the layer (Model::learned_precision): the layer's own
    /// when the training data hold it, else (precision_trained() false) the ratio learned there is kept
    /// and the baseline is the layer's precision's
    DType learned_precision = DType::fp32;
    DType precision = DType::fp32;  ///< the layer's precision

    /** @brief Do the training data hold the layer's precision? */
    constexpr bool precision_trained() const noexcept { return learned_precision == precision; }

    /** @brief The features outside, as listed (at most max_outside). */
    constexpr std::span<const OutsideFeature> outside_features() const noexcept {
        return {outside.data(), outside_count < max_outside ? outside_count : max_outside};
    }
    /** @brief Records a feature outside the range, once per name. */
    constexpr void add_outside(const OutsideFeature& f) noexcept { add_outside(f, max_outside); }
    /**
     * @brief add_outside(), comparing @p f's name with the first @p known features listed only: the ones
     * after them came from the same feature vector as @p f, whose names are distinct.
     */
    constexpr void add_outside(const OutsideFeature& f, std::size_t known) noexcept {
        const std::span<const OutsideFeature> listed = outside_features();
        for (const OutsideFeature& o : listed.first(known < listed.size() ? known : listed.size()))
            if (o.name == f.name) return;
        if (outside_count < max_outside) outside[outside_count] = f;
        ++outside_count;
    }
};

namespace detail {

/**
 * @brief Whether every feature @p f of a query lies inside the training rows' range of the model
 * @p k that answers it; each one outside is recorded in @p c.
 */
constexpr bool note_outside(Coverage& c, const KindModel& k,
                            const perfcast::detail::features_kernel::feature_buffer& f) noexcept {
    bool in = true;
    const std::size_t known = c.outside_count;  // listed from other feature vectors (a training step's kernels)
    if (k.feature_min.size() == f.size && k.feature_max.size() == f.size)
        for (std::size_t j = 0; j < f.size; ++j)
            if (f.values[j] < k.feature_min[j] || f.values[j] > k.feature_max[j]) {
                in = false;
                c.add_outside({f.names[j], f.values[j], k.feature_min[j], k.feature_max[j]}, known);
            }
    return in;
}

/**
 * @brief A Coverage's start for a layer of precision @p precision that model `m.kinds[a.index]` answers
 * (Model::answer for it): whether its device is among that model's training devices, else the same
 * chip's, and the precision whose ratios answer it. False (and @p c
 * empty) when no model answers it (`a.index == m.kinds.size()`).
 */
constexpr bool begin_coverage(Coverage& c, const Model& m, const Model::Answer& a, DType precision) noexcept {
    c = Coverage{};
    if (a.index == m.kinds.size()) return false;
    c.precision = precision;
    c.learned_precision = m.learned_precision(precision);
    c.device = a.trained;
    if (a.chip >= 0)  // (a portable model too: its rows hold the chip)
        c.same_chip = perfcast::devices::builtin[static_cast<std::size_t>(a.chip)]->id;
    return true;
}

/**
 * @brief A GEMM-like layer (dense, bmm, conv2d) cut to the sizes its training rows reached: `factor`
 * copies of `piece` do the layer's work (factor 1: the layer itself, or the same GEMM with a dense
 * layer's rows moved from batch to seq).
 */
struct gemm_cut {
    Layer piece;
    double factor = 1.0;
};

/**
 * @brief Shrinks the size @p v to the training rows' largest, when it is larger: into the fewest
 * equal pieces that fit (rounded up), multiplying @p factor by their number (v / piece, a fraction
 * where the pieces round up). The largest is feature @p i of @p e, which must be named @p name (the
 * sizes open every non-portable feature set, layer_params in feature_kernel.hpp), the log of the
 * size but under FeatureSet::raw.
 */
template <class Math>
constexpr void cut_size(std::int64_t& v, const KindModel& e, std::size_t i, std::string_view name, double& factor) {
    if (i >= e.feature_max.size() || i >= e.feature_names.size() || e.feature_names[i] != name || v < 1) return;
    const bool raw = e.features == FeatureSet::raw;
    // most sizes lie far inside: 2^bit_width(v) > v bounds the logarithm without computing one
    constexpr double ln2 = 0.693147180559945309417;
    if (!raw && static_cast<double>(std::bit_width(static_cast<std::uint64_t>(v))) * ln2 <= e.feature_max[i]) return;
    const double top = raw ? e.feature_max[i] : Math::exp(e.feature_max[i]);
    const auto largest = static_cast<std::int64_t>(top + 0.5);  // the rows' sizes are whole numbers
    if (largest < 1 || v <= largest) return;
    const std::int64_t pieces = (v + largest - 1) / largest;
    const std::int64_t size = (v + pieces - 1) / pieces;
    factor *= static_cast<double>(v) / static_cast<double>(size);
    v = size;
}

/**
 * @brief The GEMM-like layer @p l cut along the sizes that repeat its work, where they exceed the
 * training rows of the kind's device-specific model in the model @p m (the answering one's, or, for a
 * portable model, which sees no sizes, the first device-specific model of the kind: both tiers learn
 * from the same rows): a bmm's batch, M, N and K; a dense layer's rows (batch x tokens per sample,
 * the batch over the rows' moved into the tokens first), inputs and outputs; a convolution's batch and
 * output channels. Outside the rows' sizes the network sees each size clamped to its edge while the
 * FLOPs, bytes and waves of the whole layer go on growing: a combination no row has, which it answered
 * 1.3-2x too slow on a batched product of 4,096-65,536 matrices (docs/accuracy.md, "GEMMs larger than
 * any trained"). A piece is a shape like the rows', and a GPU runs its copies back to back at the same
 * rate. Other kinds, and a model without a device-specific entry of the kind: the layer itself.
 */
template <class Math>
constexpr gemm_cut cut_to_range(const Model& m, std::size_t index, const Layer& l) {
    gemm_cut c{l, 1.0};
    const LayerKind lk = kind(l);
    if (!perfcast::detail::features_kernel::gemm_like(lk)) return c;
    std::size_t r = index;
    if (m.kinds[index].portable())
        for (r = 0; r < m.kinds.size() && (m.kinds[r].kind != lk || m.kinds[r].portable()); ++r) {
        }
    if (r == m.kinds.size()) return c;
    const KindModel& e = m.kinds[r];
    if (std::holds_alternative<BatchMatMulParams>(c.piece)) {
        BatchMatMulParams& p = std::get<BatchMatMulParams>(c.piece);
        cut_size<Math>(p.batch, e, 0, "batch", c.factor);
        cut_size<Math>(p.m, e, 1, "m", c.factor);
        cut_size<Math>(p.k, e, 2, "k", c.factor);
        cut_size<Math>(p.n, e, 3, "n", c.factor);
    } else if (std::holds_alternative<DenseParams>(c.piece)) {
        // the GEMM's rows are batch x seq, split either way: the rows over the batch the training rows
        // reached go into the tokens per sample (cutting them into samples of the rows' batch instead
        // would make pieces of a few rows, each reading the whole weight matrix again)
        DenseParams& p = std::get<DenseParams>(c.piece);
        const std::int64_t rows = p.batch * p.seq;
        double batch_factor = 1.0;
        cut_size<Math>(p.batch, e, 0, "batch", batch_factor);
        if (batch_factor != 1.0) {
            p.seq = (rows + p.batch - 1) / p.batch;
            c.factor *= static_cast<double>(rows) / static_cast<double>(p.batch * p.seq);
        }
        cut_size<Math>(p.seq, e, 1, "seq", c.factor);
        cut_size<Math>(p.in_features, e, 2, "in_features", c.factor);
        cut_size<Math>(p.out_features, e, 3, "out_features", c.factor);
    } else if (std::holds_alternative<Conv2DParams>(c.piece)) {
        Conv2DParams& p = std::get<Conv2DParams>(c.piece);
        cut_size<Math>(p.batch, e, 0, "batch", c.factor);
        cut_size<Math>(p.out_channels, e, 4, "out_channels", c.factor);
    }
    return c;
}

/**
 * @brief An element-wise layer on tensors of one shape (activation, add, dropout, an element-wise op
 * with a scalar or a same-shaped tensor) over a (batch, seq, features) tensor, as the (tokens, features)
 * matrix its contiguous memory is and its kernel runs over (its `batch` feature already counts the
 * tokens, features.hpp); any other layer as it is.
 */
constexpr Layer sequence_as_matrix(const Layer& l) {
    Layer v = l;
    std::visit(
        [](auto& p) {
            using params_t = std::remove_cvref_t<decltype(p)>;
            constexpr bool one_shape = std::is_same_v<params_t, ActivationParams> || std::is_same_v<params_t, AddParams> ||
                                       std::is_same_v<params_t, DropoutParams> || std::is_same_v<params_t, ElementwiseParams>;
            if constexpr (one_shape) {
                bool flat = p.shape.rank == 3;
                if constexpr (std::is_same_v<params_t, ElementwiseParams>) flat = flat && p.other.rank == 0;
                if (flat) p.shape = Shape::matrix(p.shape[0] * p.shape[1], p.shape[2]);
            }
        },
        v);
    return v;
}

/**
 * @brief The layer whose features tell whether @p l, whose cut_to_range() is @p cut, lies inside the
 * training rows of the model that answers it: where the cut only moves a dense layer's rows from its batch into its tokens (the rows had
 * one sample each; cuBLAS runs one GEMM of batch x seq rows either way), that same GEMM; a layer cut
 * into pieces itself, whose sizes beyond the rows are what coverage names; an element-wise layer on a
 * sequence tensor its (tokens, features) matrix (sequence_as_matrix: the sweeps are all matrices).
 */
constexpr Layer coverage_layer(const Layer& l, const gemm_cut& cut) {
    return cut.factor != 1.0 ? l : sequence_as_matrix(cut.piece);
}

/** @brief coverage_layer() of @p l under `m.kinds[index]`, its cut computed here. */
template <class Math>
constexpr Layer coverage_layer(const Model& m, std::size_t index, const Layer& l) {
    return coverage_layer(l, cut_to_range<Math>(m, index, l));
}

/**
 * @brief The target whose roofline a layer's learned ratio multiplies: @p t, but FP32 for a layer that is not
 * GEMM-like in TF32 when the training data hold no TF32 (TF32 is the precision tensor cores multiply in;
 * every other kernel of a TF32 network is the FP32 one, as an H200 measured: 1.00 times the FP32 time,
 * docs/accuracy.md, "Precisions the model was not trained on").
 */
constexpr perfcast::Target answered_target(const Model& m, const Layer& l, const perfcast::Target& t) noexcept {
    return t.dtype() == DType::tf32 && m.learned_precision(DType::tf32) != DType::tf32 &&
                   !perfcast::detail::features_kernel::gemm_like(kind(l))
               ? t.with(DType::fp32)
               : t;
}

/**
 * @brief predict_us() by the model that answers: `m.kinds[a.index]`, Model::answer for the layer. A
 * layer of a precision outside the training data (Model::learned_precision) is seen by the network as
 * the same layer in the precision it learned, and the ratio it answers multiplies the baseline of the
 * layer's own precision (answered_target), which the physical bound is too. With @p stream, a GPU
 * prediction whose baseline holds the machine's kernel floor also gives what a network's stream of
 * kernels needs of it (in_stream_us): that floor, the layer's kernels and their physical bound.
 */
template <class Exec>
constexpr double predict_at(const Model& m, const Model::Answer& a, const Layer& l, const perfcast::Target& asked,
                            Coverage* outside, LayerTime* stream = nullptr) {
    const perfcast::Target t = answered_target(m, l, asked);
    const std::size_t index = a.index;
    const KindModel& k = m.kinds[index];
    namespace fk = perfcast::detail::features_kernel;
    gemm_cut cut = cut_to_range<typename Exec::math>(m, index, l);
    const double floor_us = k.floor_baseline() ? m.kernel_floor_us(k, t.device()) : 0.0;
    PassRoofline r = pass_roofline(cut.piece, t);  // the roofline and its parts at once
    // copies of a piece add up only where a piece is work, not a call's fixed cost: a piece of less
    // work than the machine's kernel floor (a thin product cut along its depth: its time is latency,
    // which copies would multiply) keeps the layer whole, and so does a model without a floor (a CPU's)
    if (cut.factor != 1.0 && !(floor_us > 0.0 && r.us >= static_cast<double>(r.kernels) * floor_us)) {
        cut = gemm_cut{l, 1.0};
        r = pass_roofline(l, t);
    }
    // the features as the model's rows saw them: on the training device of the same chip for a device
    // outside them (Model::feature_device); the baseline and the bound above and below stay the device's own
    const perfcast::Target ft(m.feature_device(k, t.device(), a.chip), t.pass(), m.learned_precision(t.dtype()));
    fk::feature_buffer f;
    fk::compute<typename Exec::math>(f, k.features, cut.piece, ft);
    if (outside) {  // the features of coverage_layer(): the layer cut into pieces, a sequence's matrix, else f
        const Layer shown = coverage_layer(l, cut);
        if (shown != cut.piece) {
            fk::feature_buffer whole;
            fk::compute<typename Exec::math>(whole, k.features, shown, ft);
            if (!detail::note_outside(*outside, k, whole)) outside->shape = false;
        } else if (!detail::note_outside(*outside, k, f)) {
            outside->shape = false;
        }
    }
    fk::clamp_to_range(f, k.feature_min, k.feature_max);
    // the ensemble: the model's entries one after another, averaged in the target transform's space
    double z = 0.0;
    std::size_t members = 0;
    for (std::size_t i = index; i < m.kinds.size() && m.kinds[i].same_ensemble(k); ++i, ++members) {
        const KindModel& e = m.kinds[i];
        if (f.size != e.mean.size() || f.size != e.stddev.size())
            throw error("features", "the model was trained on another number of features");
        double x[fk::max_features];  // the first f.size are set below (not zeroed: 512 bytes per prediction)
        for (std::size_t c = 0; c < f.size; ++c) x[c] = (f.values[c] - e.mean[c]) / e.stddev[c];
        z += Exec::forward(e, x, f.size);
    }
    const double y = perfcast::detail::inverse_target<typename Exec::math>(k.transform, k.transform_c,
                                                                           z / static_cast<double>(members));
    const double us = !k.relative_to_roofline ? y
                      : k.floor_baseline()    ? y * r.baseline_us(floor_us)
                                              : y * r.us;
    const auto stream_parts = [&](const PassRoofline& whole, double bound_us) {
        if (!stream || floor_us <= 0 || t.device().kind != DeviceKind::gpu) return;
        stream->floor_us = floor_us;
        stream->kernels = static_cast<double>(whole.kernels);
        stream->bound_us = bound_us;
    };
    // the layer itself, or (factor 1) the same GEMM with a dense layer's rows moved from batch to seq
    const double piece_bound_us = physical_bound_us(r, k.min_compute_fraction, t.device());
    if (cut.factor == 1.0) {
        stream_parts(r, piece_bound_us);
        return std::max(us, piece_bound_us);
    }
    // the copies of the piece: its fixed cost per kernel once, the rest factor times
    const double piece_us = std::max(us, piece_bound_us);
    const double fixed_us = std::min(piece_us, static_cast<double>(r.kernels) * floor_us);
    const PassRoofline whole = pass_roofline(l, t);
    const double bound_us = physical_bound_us(whole, k.min_compute_fraction, t.device());
    stream_parts(whole, bound_us);
    return std::max(fixed_us + (piece_us - fixed_us) * cut.factor, bound_us);
}

}  // namespace detail

template <class Exec>
constexpr double predict_us(const Model& m, const Layer& l, const perfcast::Target& t, Coverage* outside) {
    const Model::Answer a = m.answer(kind(l), t.device());
    if (a.index == m.kinds.size()) throw error("kind", "the embedded model has no model for this layer kind");
    return detail::predict_at<Exec>(m, a, l, t, outside);
}

/**
 * @brief The Coverage of a layer on a target under a model (device and shape false for a kind it lacks).
 * A training step under a model trained on forward passes only is timed as forward kernels
 * (phase_kernels): the shape is inside when each kernel the model answers is.
 */
template <class Math = perfcast::detail::constexpr_math>
constexpr Coverage coverage(const Model& m, const Layer& l, const perfcast::Target& t) {
    Coverage c;
    if (!detail::begin_coverage(c, m, m.answer(kind(l), t.device()), t.dtype())) return c;
    namespace fk = perfcast::detail::features_kernel;
    const auto inside = [&m, &c](const Layer& q, const perfcast::Target& at) {
        const Model::Answer a = m.answer(kind(q), at.device());
        if (a.index == m.kinds.size()) return true;  // not a learned kernel
        const KindModel& e = m.kinds[a.index];
        fk::feature_buffer f;
        fk::compute<Math>(f, e.features, detail::coverage_layer<Math>(m, a.index, q),
                          perfcast::Target(m.feature_device(e, at.device(), a.chip), at.pass(),
                                           m.learned_precision(at.dtype())));
        return detail::note_outside(c, e, f);
    };
    if (m.steps_from_forward(t.pass(), m.learned_precision(t.dtype()))) {
        c.shape = true;
        for (const PhaseKernel& k : step_kernels(l, t.dtype()))
            if (!inside(k.layer, t.with(Pass::inference))) c.shape = false;
        return c;
    }
    c.shape = inside(l, t);
    return c;
}

template <class Exec>
constexpr double max_reference_error(const Model& m) {
    double worst = 0.0;
    for (const Reference& r : m.references)
        worst = std::max(worst, detail::relative_difference(
                                    predict_us<Exec>(m, r.layer, perfcast::Target(r.device, r.pass, r.dtype)),
                                    r.predicted_us));
    return worst;
}

constexpr bool schema_matches(const Model& m) {
    namespace fk = perfcast::detail::features_kernel;
    for (const KindModel& k : m.kinds) {
        if (!feature_set_current(k.features, m.feature_schema_version)) return false;
        fk::feature_buffer f;
        fk::compute<fk::constexpr_math>(f, k.features, perfcast::detail::example_layer(k.kind),
                                        perfcast::Target(devices::t4));
        if (f.size != k.feature_names.size()) return false;
        for (std::size_t i = 0; i < f.size; ++i)
            if (f.names[i] != k.feature_names[i]) return false;
    }
    return true;
}

template <class Exec>
constexpr bool verify(const Model& m, double tolerance) {
    return schema_matches(m) && max_reference_error<Exec>(m) <= tolerance;
}

}  // namespace embedded
}  // namespace perfcast
