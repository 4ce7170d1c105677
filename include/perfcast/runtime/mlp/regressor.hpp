/**
 * @file mlp/regressor.hpp
 * @brief TrainedRegressor: a fitted model (scaler, network, target transform, and the
 *        config and history of its training run) that predicts in original units and
 *        saves and loads itself as JSON, bit-exactly.
 */
#pragma once

#include <cstddef>      // size_t
#include <cstdint>      // uint64_t
#include <span>         // span: single-row input and scratch
#include <string>       // string, to_string
#include <string_view>  // string_view: the format tag
#include <utility>      // move
#include <vector>       // vector: per-thread scratch

#include "../detail/json.hpp"     // nlohmann::json; json_value, json_document, read_file: reading
#include "../detail/files.hpp"    // write_file: save
#include "../detail/xtensor.hpp"  // xt::xtensor
#include "../../core/error.hpp"   // error, source_location
#include "config.hpp"             // MlpConfig
#include "history.hpp"            // TrainingHistory, history_to_json, read_history
#include "json_write.hpp"         // write_json
#include "network.hpp"            // Mlp
#include "scaler.hpp"             // FeatureScaler
#include "target_transform.hpp"   // TargetTransform

namespace perfcast {

/**
 * @brief A fitted model: scaler, network and target transform, plus the config and
 * history of the run that produced it.
 */
class TrainedRegressor {
public:
    /** @brief An empty model; predicting with it throws. */
    TrainedRegressor() = default;

    /** @brief Assembles a model; @throws perfcast::error if the scaler and network disagree. */
    TrainedRegressor(FeatureScaler scaler, TargetTransform transform, Mlp mlp, MlpConfig config,
                     TrainingHistory history);

    /**
     * @brief Predicted times (original units) for every row of @p X.
     * @throws perfcast::error if the model is empty or the column count differs.
     */
    xt::xtensor<double, 1> predict(const xt::xtensor<double, 2>& X) const;

    /** @brief Doubles of scratch that predict_one(x, scratch) needs. */
    std::size_t scratch_size() const noexcept { return m_scaler.size() + m_mlp.scratch_size(); }

    /** @brief Predicted time for one row using @p scratch (scratch_size() doubles); no allocation. */
    double predict_one(std::span<const double> x, std::span<double> scratch) const;

    /** @brief Predicted time for one row using a per-thread scratch buffer. Thread-safe. */
    double predict_one(std::span<const double> x) const;

    /** @brief The network's output for one row: the prediction in the target transform's space (so
     *  that an ensemble averages its members where they were trained), using @p scratch. */
    double predict_transformed_one(std::span<const double> x, std::span<double> scratch) const;

    /** @brief predict_transformed_one() with a per-thread scratch buffer. Thread-safe. */
    double predict_transformed_one(std::span<const double> x) const;

    /** @brief Number of input features (0 for an empty model). */
    std::size_t input_size() const noexcept { return m_scaler.size(); }

    /** @brief The feature scaler. */
    const FeatureScaler& scaler() const noexcept { return m_scaler; }
    /** @brief The target transform. */
    const TargetTransform& target_transform() const noexcept { return m_transform; }
    /** @brief The network (maps scaled features to the transformed target). */
    const Mlp& mlp() const noexcept { return m_mlp; }
    /** @brief The config training used. */
    const MlpConfig& config() const noexcept { return m_config; }
    /** @brief The training history. */
    const TrainingHistory& history() const noexcept { return m_history; }

    /** @brief The whole model as JSON: format tag, config, scaler, transform, mlp, history. */
    nlohmann::json to_json() const;
    /**
     * @brief Reads to_json()'s output; the result predicts bit-identically to the saved
     * model. @p path prefixes the field names in errors, for a model nested in a larger
     * document (e.g. "models[0].regressor").
     * @throws perfcast::error naming the bad field (e.g. "mlp.layers[1].bias").
     */
    static TrainedRegressor from_json(const nlohmann::json& j, const std::string& path = "");
    /**
     * @brief from_json() through perfcast's JSON reader, for a model in a document (a file, or
     * one member of a larger model file): errors name the file, the line and the full path,
     * e.g. "models.conv2d.ensemble[2].mlp.layers[0].bias".
     */
    static TrainedRegressor read(const detail::json_value& v);

    /**
     * @brief to_json() as text: one member per line, except that objects and arrays
     * holding only numbers, strings and arrays of those stay on one line (so each layer
     * and each epoch is one line). Numbers are written with round-trip precision.
     */
    std::string to_json_text() const;

    /** @brief Writes to_json_text() to @p file. @throws perfcast::error naming the file. */
    void save(const std::string& file) const;

    /**
     * @brief Reads a model saved by save(). @throws perfcast::error naming the file, the
     * line and the field of the first problem (e.g. "m.json:12: mlp.layers[1].weights: ...").
     */
    static TrainedRegressor load(const std::string& file);

    /** @brief Bitwise equality of every part. */
    friend bool operator==(const TrainedRegressor& a, const TrainedRegressor& b) noexcept = default;

private:
    FeatureScaler m_scaler;
    TargetTransform m_transform;
    Mlp m_mlp;
    MlpConfig m_config;
    TrainingHistory m_history;
};

/** @brief nlohmann::json hooks (found by ADL), so `json j = model;` and `j.get<TrainedRegressor>()` work. */
void to_json(nlohmann::json& j, const TrainedRegressor& v);
/** @brief See to_json(nlohmann::json&, const TrainedRegressor&). */
void from_json(const nlohmann::json& j, TrainedRegressor& v);

// ============================================================================
// Implementation
// ============================================================================

namespace detail::mlp {

/** @brief The format tag written at the top of a saved model. */
inline constexpr std::string_view k_model_format = "perfcast-mlp-regressor";
/** @brief The format version written (and the only one read). */
inline constexpr std::uint64_t k_model_version = 1;

}  // namespace detail::mlp

inline TrainedRegressor::TrainedRegressor(FeatureScaler scaler, TargetTransform transform, Mlp mlp, MlpConfig config,
                                          TrainingHistory history)
    : m_scaler(std::move(scaler)),
      m_transform(transform),
      m_mlp(std::move(mlp)),
      m_config(std::move(config)),
      m_history(std::move(history)) {
    if (m_scaler.size() != m_mlp.input_size())
        throw error("mlp.inputs", "the network takes " + std::to_string(m_mlp.input_size()) +
                                      " inputs but the scaler has " + std::to_string(m_scaler.size()) + " columns");
}

inline xt::xtensor<double, 1> TrainedRegressor::predict(const xt::xtensor<double, 2>& X) const {
    if (m_mlp.empty()) throw error("model", "empty model (not trained or loaded)");
    xt::xtensor<double, 1> z = m_mlp.predict(m_scaler.transform(X));
    for (double& v : z) v = m_transform.inverse(v);
    return z;
}

inline double TrainedRegressor::predict_transformed_one(std::span<const double> x, std::span<double> scratch) const {
    if (m_mlp.empty()) throw error("model", "empty model (not trained or loaded)");
    const std::size_t n = m_scaler.size();
    if (scratch.size() < scratch_size())
        throw error("scratch", "expected at least " + std::to_string(scratch_size()) + " doubles, got " +
                                   std::to_string(scratch.size()));
    m_scaler.transform_row(x, scratch.first(n));
    return m_mlp.predict_one(scratch.first(n), scratch.subspan(n));
}

inline double TrainedRegressor::predict_one(std::span<const double> x, std::span<double> scratch) const {
    return m_transform.inverse(predict_transformed_one(x, scratch));
}

inline double TrainedRegressor::predict_transformed_one(std::span<const double> x) const {
    thread_local std::vector<double> scratch;
    const std::size_t need = scratch_size();
    if (scratch.size() < need) scratch.resize(need);
    return predict_transformed_one(x, scratch);
}

inline double TrainedRegressor::predict_one(std::span<const double> x) const {
    return m_transform.inverse(predict_transformed_one(x));
}

inline nlohmann::json TrainedRegressor::to_json() const {
    return {{"format", std::string(detail::mlp::k_model_format)},
            {"version", detail::mlp::k_model_version},
            {"config", m_config.to_json()},
            {"scaler", m_scaler.to_json()},
            {"target_transform", m_transform.to_json()},
            {"mlp", m_mlp.to_json()},
            {"history", detail::mlp::history_to_json(m_history)}};
}

inline TrainedRegressor TrainedRegressor::from_json(const nlohmann::json& j, const std::string& path) {
    return read(detail::json_value(j, path));
}

inline TrainedRegressor TrainedRegressor::read(const detail::json_value& v) {
    const std::string format = v.string("format");
    if (format != detail::mlp::k_model_format)
        v.fail("format", "expected \"" + std::string(detail::mlp::k_model_format) + "\", got \"" + format + "\"");
    const auto version = v.integer<std::uint64_t>("version");
    if (version != detail::mlp::k_model_version)
        v.fail("version", "unsupported version " + std::to_string(version) + " (this build reads " +
                              std::to_string(detail::mlp::k_model_version) + ")");
    MlpConfig config = MlpConfig::read(v["config"]);
    FeatureScaler scaler = FeatureScaler::read(v["scaler"]);
    TargetTransform transform = TargetTransform::read(v["target_transform"]);
    Mlp mlp = Mlp::read(v["mlp"]);
    TrainingHistory history = detail::mlp::read_history(v["history"]);
    if (scaler.size() != mlp.input_size())
        v["scaler"]["mean"].fail("has " + std::to_string(scaler.size()) + " columns but the network takes " +
                                 std::to_string(mlp.input_size()) + " inputs");
    // the settings it records are the network's: hidden widths and activation
    std::vector<std::size_t> widths;
    for (std::size_t l = 0; l + 1 < mlp.layers().size(); ++l) widths.push_back(mlp.layers()[l].outputs());
    if (config.hidden != widths)
        v["config"]["hidden"].fail("differs from the widths of the network's hidden layers (mlp.layers)");
    if (config.activation != mlp.activation())
        v["config"]["activation"].fail("differs from the network's (mlp.activation)");
    v.no_other_keys();
    return TrainedRegressor(std::move(scaler), transform, std::move(mlp), std::move(config), std::move(history));
}

inline std::string TrainedRegressor::to_json_text() const {
    std::string out;
    detail::mlp::write_json(to_json(), 0, out);
    out += '\n';
    return out;
}

inline void TrainedRegressor::save(const std::string& file) const {
    detail::write_file(file, to_json_text());
}

inline TrainedRegressor TrainedRegressor::load(const std::string& file) {
    const detail::json_document doc(file, detail::read_file(file));
    return read(doc.root());
}

inline void to_json(nlohmann::json& j, const TrainedRegressor& v) { j = v.to_json(); }
inline void from_json(const nlohmann::json& j, TrainedRegressor& v) { v = TrainedRegressor::from_json(j); }

}  // namespace perfcast
