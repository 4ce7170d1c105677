/**
 * @file mlp/network.hpp
 * @brief Mlp: dense layers with a hidden nonlinearity and one linear output, followed by
 *        the affine map that undoes the target's standardisation; MlpLayer is one layer.
 * Mlp::predict() runs the batched forward pass of backprop.hpp.
 */
#pragma once

#include <algorithm>  // max
#include <array>      // array: tensor shapes
#include <cmath>      // sqrt, isfinite
#include <cstddef>    // size_t
#include <cstdint>    // uint64_t: seed
#include <limits>     // numeric_limits: the largest layer
#include <span>       // span: hidden widths, single-row input and scratch
#include <string>     // string, to_string
#include <utility>    // move
#include <vector>     // vector

#include "../detail/json.hpp"     // nlohmann::json, json_value: reading
#include "../detail/xtensor.hpp"  // xt::xtensor
#include "../../core/error.hpp"   // error
#include "backprop.hpp"           // detail::mlp::Backprop: the batched pass Mlp::predict() runs
#include "equality.hpp"           // same_tensor
#include "field_path.hpp"         // index_path
#include "json_write.hpp"         // flat_array
#include "options.hpp"            // MlpActivation, to_string, parse_mlp_activation
#include "random.hpp"             // Xoshiro256: initial weights
#include "row_kernel.hpp"         // RowLayer, forward_row_step: predict_one

namespace perfcast {

/** @brief The widest layer (inputs or outputs) a model file may declare: far beyond any trained here (64),
 *  and small enough that a file's sizes cannot ask for more memory than it could hold. */
inline constexpr std::size_t max_mlp_file_width = std::size_t{1} << 16;

/** @brief One fully connected layer: out = in * weights + bias. */
struct MlpLayer {
    xt::xtensor<double, 2> weights;  ///< inputs x outputs, row-major
    xt::xtensor<double, 1> bias;     ///< outputs

    /** @brief Input width. */
    std::size_t inputs() const noexcept { return weights.shape()[0]; }
    /** @brief Output width. */
    std::size_t outputs() const noexcept { return weights.shape()[1]; }
};

/**
 * @brief A feed-forward network with one output: hidden layers with an activation,
 * a linear output layer, then output_offset + output_scale * o.
 *
 * The network sees standardised features and produces a transformed target.
 * predict() is batched (BLAS); predict_one() is a plain loop that does not allocate.
 */
class Mlp {
public:
    /** @brief An empty network (no layers); predicting with it throws. */
    Mlp() = default;

    /**
     * @brief A network with @p inputs inputs, the given hidden widths and one output,
     * initialised from @p seed: He-normal weights for relu/silu/gelu layers,
     * Xavier-normal for tanh layers and the output layer, zero biases, offset 0, scale 1.
     * @throws perfcast::error if inputs is 0 or a hidden width is 0.
     */
    Mlp(std::size_t inputs, std::span<const std::size_t> hidden, MlpActivation activation, std::uint64_t seed);

    /** @brief Number of inputs (0 for an empty network). */
    std::size_t input_size() const noexcept { return m_layers.empty() ? 0 : m_layers.front().inputs(); }
    /** @brief The hidden activation. */
    MlpActivation activation() const noexcept { return m_activation; }
    /** @brief Whether the network has no layers. */
    bool empty() const noexcept { return m_layers.empty(); }
    /** @brief Number of weights and biases. */
    std::size_t parameter_count() const noexcept;
    /** @brief The widest layer output. */
    std::size_t max_width() const noexcept;

    /** @brief The layers, input first. */
    const std::vector<MlpLayer>& layers() const noexcept { return m_layers; }
    /** @brief The layers for editing values (training, tests); shapes must not be changed. */
    std::span<MlpLayer> layers() noexcept { return m_layers; }

    /** @brief Added to the output layer's result. */
    double output_offset() const noexcept { return m_output_offset; }
    /** @brief Multiplies the output layer's result. */
    double output_scale() const noexcept { return m_output_scale; }
    /** @brief Sets the output map; @throws perfcast::error unless both are finite and scale != 0. */
    void set_output_affine(double offset, double scale);

    /**
     * @brief Outputs for every row of @p X (rows x input_size()).
     * @throws perfcast::error if the network is empty or the column count differs.
     */
    xt::xtensor<double, 1> predict(const xt::xtensor<double, 2>& X) const;

    /** @brief Doubles of scratch that predict_one(x, scratch) needs. */
    std::size_t scratch_size() const noexcept { return 2 * max_width(); }

    /**
     * @brief Output for one row, using @p scratch (at least scratch_size() doubles);
     * does not allocate. @throws perfcast::error on wrong sizes or an empty network.
     */
    double predict_one(std::span<const double> x, std::span<double> scratch) const;

    /**
     * @brief Output for one row, using a per-thread scratch buffer (allocates only
     * the first time a thread needs a larger buffer). Thread-safe.
     */
    double predict_one(std::span<const double> x) const;

    /** @brief {"inputs", "activation", "output_offset", "output_scale", "layers": [...]}. */
    nlohmann::json to_json() const;
    /**
     * @brief Reads to_json()'s output, checking every shape and value; errors name the
     * field, e.g. "mlp.layers[2].weights: expected 128x64 = 8192 values, got 100".
     */
    static Mlp from_json(const nlohmann::json& j, const std::string& path = "mlp");
    /** @brief from_json() through perfcast's JSON reader (errors name file, line and path). */
    static Mlp read(const detail::json_value& v);

    /** @brief Bitwise equality of shapes, weights, activation and output map. */
    friend bool operator==(const Mlp& a, const Mlp& b) noexcept;

private:
    std::vector<MlpLayer> m_layers;
    MlpActivation m_activation = MlpActivation::relu;
    double m_output_offset = 0.0;
    double m_output_scale = 1.0;
};

/** @brief nlohmann::json hooks (found by ADL), so `json j = net;` and `j.get<Mlp>()` work. */
void to_json(nlohmann::json& j, const Mlp& v);
/** @brief See to_json(nlohmann::json&, const Mlp&). */
void from_json(const nlohmann::json& j, Mlp& v);

// ============================================================================
// Implementation
// ============================================================================

inline Mlp::Mlp(std::size_t inputs, std::span<const std::size_t> hidden, MlpActivation activation, std::uint64_t seed)
    : m_activation(activation) {
    if (inputs == 0) throw error("inputs", "a network needs at least one input");
    detail::mlp::Xoshiro256 rng(seed);
    std::size_t fan_in = inputs;
    m_layers.reserve(hidden.size() + 1);
    for (std::size_t l = 0; l <= hidden.size(); ++l) {
        const bool output = l == hidden.size();
        const std::size_t fan_out = output ? 1 : hidden[l];
        if (fan_out == 0) throw error(detail::mlp::index_path("hidden", l), "a layer needs at least one unit");
        // He for rectifier-like units, Xavier (Glorot) for tanh and the linear output.
        const bool he = !output && activation != MlpActivation::tanh;
        const double sd =
            he ? std::sqrt(2.0 / static_cast<double>(fan_in)) : std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
        MlpLayer layer{xt::xtensor<double, 2>(std::array<std::size_t, 2>{fan_in, fan_out}, 0.0),
                       xt::xtensor<double, 1>(std::array<std::size_t, 1>{fan_out}, 0.0)};
        for (double& w : layer.weights) w = sd * rng.normal();
        m_layers.push_back(std::move(layer));
        fan_in = fan_out;
    }
}

inline std::size_t Mlp::parameter_count() const noexcept {
    std::size_t n = 0;
    for (const MlpLayer& layer : m_layers) n += layer.weights.size() + layer.bias.size();
    return n;
}

inline std::size_t Mlp::max_width() const noexcept {
    std::size_t w = 0;
    for (const MlpLayer& layer : m_layers) w = std::max(w, layer.outputs());
    return w;
}

inline void Mlp::set_output_affine(double offset, double scale) {
    if (!std::isfinite(offset)) throw error("output_offset", "expected a finite number");
    if (!(std::isfinite(scale) && scale != 0.0)) throw error("output_scale", "expected a finite non-zero number");
    m_output_offset = offset;
    m_output_scale = scale;
}

inline double Mlp::predict_one(std::span<const double> x, std::span<double> scratch) const {
    if (empty()) throw error("mlp", "the network has no layers (not trained or loaded)");
    if (x.size() != input_size())
        throw error("x", "expected " + std::to_string(input_size()) + " features, got " + std::to_string(x.size()));
    const std::size_t width = max_width();
    if (scratch.size() < 2 * width)
        throw error("scratch", "expected at least " + std::to_string(2 * width) + " doubles, got " +
                                   std::to_string(scratch.size()));
    const double* in = x.data();
    double* buffers[2] = {scratch.data(), scratch.data() + width};
    const bool relu = m_activation == MlpActivation::relu;
    for (std::size_t l = 0; l < m_layers.size(); ++l) {
        const MlpLayer& layer = m_layers[l];
        const detail::mlp::RowLayer row{layer.weights.data(), layer.bias.data(), layer.inputs(), layer.outputs(),
                                        relu, m_activation, l + 1 < m_layers.size()};
        double* out = buffers[l % 2];
        detail::mlp::forward_row_step(row, in, out);
        in = out;
    }
    return m_output_offset + m_output_scale * in[0];
}

inline double Mlp::predict_one(std::span<const double> x) const {
    thread_local std::vector<double> scratch;
    const std::size_t need = scratch_size();
    if (scratch.size() < need) scratch.resize(need);
    return predict_one(x, scratch);
}

inline nlohmann::json Mlp::to_json() const {
    nlohmann::json layers = nlohmann::json::array();
    for (const MlpLayer& layer : m_layers) {
        layers.push_back({{"inputs", layer.inputs()},
                          {"outputs", layer.outputs()},
                          {"weights", detail::mlp::flat_array(layer.weights)},
                          {"bias", detail::mlp::flat_array(layer.bias)}});
    }
    return {{"inputs", input_size()},
            {"activation", std::string(perfcast::to_string(m_activation))},
            {"output_offset", m_output_offset},
            {"output_scale", m_output_scale},
            {"weights_layout", "row-major inputs x outputs"},
            {"layers", std::move(layers)}};
}

inline Mlp Mlp::from_json(const nlohmann::json& j, const std::string& path) {
    return read(detail::json_value(j, path));
}

inline Mlp Mlp::read(const detail::json_value& v) {
    Mlp net;
    const auto inputs = v.integer<std::size_t>("inputs");
    if (inputs == 0 || inputs > max_mlp_file_width)
        v.fail("inputs", "expected 1 to " + std::to_string(max_mlp_file_width) + ", got " + std::to_string(inputs));
    const detail::json_value activation = v["activation"];
    net.m_activation = activation.located([&] { return parse_mlp_activation(activation.string()); });
    net.m_output_offset = v.number("output_offset");
    net.m_output_scale = v.number("output_scale");
    if (net.m_output_scale == 0.0) v.fail("output_scale", "expected a non-zero number");
    const std::string layout = v.string("weights_layout", "row-major inputs x outputs");
    if (layout != "row-major inputs x outputs") v.fail("weights_layout", "unsupported layout \"" + layout + "\"");
    const std::vector<detail::json_value> layers = v.array("layers");
    if (layers.empty()) v.fail("layers", "expected at least one layer");
    std::size_t fan_in = inputs;
    for (std::size_t l = 0; l < layers.size(); ++l) {
        const detail::json_value& lv = layers[l];
        const auto in = lv.integer<std::size_t>("inputs");
        const auto out = lv.integer<std::size_t>("outputs");
        if (in != fan_in)
            lv.fail("inputs", "expected " + std::to_string(fan_in) + " (the previous layer's outputs), got " +
                                  std::to_string(in));
        if (out == 0 || out > max_mlp_file_width)
            lv.fail("outputs", "expected 1 to " + std::to_string(max_mlp_file_width) + ", got " + std::to_string(out));
        if (l + 1 == layers.size() && out != 1)
            lv.fail("outputs", "the output layer must have 1 output, got " + std::to_string(out));
        // The sizes are checked before anything is allocated: a file cannot ask for more
        // memory than its arrays hold (in * out could also overflow).
        const detail::json_value weights = lv["weights"];
        const std::size_t count = weights.size();
        if (count % out != 0 || count / out != in) {
            const bool too_many = in > std::numeric_limits<std::size_t>::max() / out;
            weights.fail("expected " + std::to_string(in) + "x" + std::to_string(out) +
                         (too_many ? std::string(" (too many)") : " = " + std::to_string(in * out)) + " values, got " +
                         std::to_string(count));
        }
        const detail::json_value bias = lv["bias"];
        MlpLayer layer{xt::xtensor<double, 2>(std::array<std::size_t, 2>{in, out}, 0.0),
                       xt::xtensor<double, 1>(std::array<std::size_t, 1>{out}, 0.0)};
        weights.numbers(std::span<double>(layer.weights.data(), in * out));
        bias.numbers(std::span<double>(layer.bias.data(), out));
        lv.no_other_keys();
        net.m_layers.push_back(std::move(layer));
        fan_in = out;
    }
    v.no_other_keys();
    return net;
}

inline bool operator==(const Mlp& a, const Mlp& b) noexcept {
    if (a.m_activation != b.m_activation || a.m_output_offset != b.m_output_offset ||
        a.m_output_scale != b.m_output_scale || a.m_layers.size() != b.m_layers.size())
        return false;
    for (std::size_t l = 0; l < a.m_layers.size(); ++l) {
        if (!detail::mlp::same_tensor(a.m_layers[l].weights, b.m_layers[l].weights) ||
            !detail::mlp::same_tensor(a.m_layers[l].bias, b.m_layers[l].bias))
            return false;
    }
    return true;
}

// ---------------------------------------------------------------------------
// Mlp::predict, which runs Backprop's forward pass
// ---------------------------------------------------------------------------

inline xt::xtensor<double, 1> Mlp::predict(const xt::xtensor<double, 2>& X) const {
    if (empty()) throw error("mlp", "the network has no layers (not trained or loaded)");
    const std::size_t rows = X.shape()[0];
    const std::size_t cols = X.shape()[1];
    if (cols != input_size())
        throw error("X", "expected " + std::to_string(input_size()) + " columns, got " + std::to_string(cols));
    xt::xtensor<double, 1> out(std::array<std::size_t, 1>{rows}, 0.0);
    if (rows == 0) return out;
    constexpr std::size_t chunk = 1024;
    detail::mlp::Backprop pass(*this, std::min(rows, chunk));
    for (std::size_t begin = 0; begin < rows; begin += chunk) {
        const std::size_t n = std::min(chunk, rows - begin);
        const double* o = pass.forward(*this, X.data() + begin * cols, n);
        for (std::size_t r = 0; r < n; ++r) out(begin + r) = m_output_offset + m_output_scale * o[r];
    }
    return out;
}

inline void to_json(nlohmann::json& j, const Mlp& v) { j = v.to_json(); }
inline void from_json(const nlohmann::json& j, Mlp& v) { v = Mlp::from_json(j); }

}  // namespace perfcast
