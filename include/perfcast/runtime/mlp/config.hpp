/**
 * @file mlp/config.hpp
 * @brief MlpConfig: the architecture and training settings, their validation, the
 *        learning-rate schedule, and JSON (from a config file too).
 */
#pragma once

#include <algorithm>    // min
#include <cmath>        // isfinite, cos, pow
#include <cstddef>      // size_t
#include <cstdint>      // uint64_t
#include <numbers>      // pi
#include <optional>     // optional: the element of hidden a rule refuses
#include <string>       // string
#include <string_view>  // string_view: field names
#include <vector>       // vector

#include "../detail/json.hpp"    // nlohmann::json, json_value, json_document, read_file: reading
#include "../../core/error.hpp"  // error
#include "field_path.hpp"        // join_path, index_path
#include "options.hpp"           // MlpActivation, MlpLoss, LrSchedule, their names and parsers
#include "target_transform.hpp"  // TargetTransform

namespace perfcast {

/**
 * @brief Architecture and training settings.
 *
 * The defaults train a 128-128-64 ReLU network with AdamW, batch 256, cosine
 * learning-rate decay and early stopping on a 10 % validation split.
 */
struct MlpConfig {
    std::vector<std::size_t> hidden{128, 128, 64};   ///< hidden layer widths (may be empty: linear model)
    MlpActivation activation = MlpActivation::relu;  ///< hidden nonlinearity
    MlpLoss loss = MlpLoss::mse;                     ///< training objective
    TargetTransform target_transform{};              ///< time -> learning space

    double learning_rate = 1e-3;      ///< peak AdamW step size
    double adam_beta1 = 0.9;          ///< first-moment decay, in [0, 1)
    double adam_beta2 = 0.999;        ///< second-moment decay, in [0, 1)
    double adam_epsilon = 1e-8;       ///< denominator guard, > 0
    double weight_decay = 1e-4;       ///< decoupled (AdamW) decay on weights, not biases; >= 0
    double gradient_clip_norm = 0.0;  ///< clip the global gradient norm to this; 0 = off

    std::size_t batch_size = 256;  ///< rows per step (capped at the number of training rows)
    std::size_t max_epochs = 100;  ///< upper bound on epochs, >= 1

    double validation_fraction = 0.1;  ///< share of rows held out, in [0, 1); 0 = no validation
    std::size_t patience = 15;         ///< stop after this many epochs without improvement; 0 = never
    double min_delta = 0.0;            ///< an improvement must lower the validation loss by more than this

    LrSchedule lr_schedule = LrSchedule::cosine;  ///< learning-rate schedule
    double lr_min_fraction = 0.01;                ///< cosine: final rate as a fraction of learning_rate
    std::size_t lr_step_epochs = 30;              ///< step: epochs between decays, >= 1
    double lr_step_gamma = 0.5;                   ///< step: factor per decay, in (0, 1]

    std::uint64_t seed = 42;  ///< drives initialisation, the split and the shuffling

    /** @brief Throws perfcast::error naming the first bad field as "<path>.<field>". */
    void validate(const std::string& path = "config") const;

    /** @brief The learning rate for 0-based @p epoch under the schedule. */
    double learning_rate_at(std::size_t epoch) const noexcept;

    /** @brief Every field as JSON. */
    nlohmann::json to_json() const;
    /**
     * @brief Reads a config: missing fields keep their defaults, unknown fields and
     * wrong types throw perfcast::error naming "<path>.<field>". The result is validated.
     */
    static MlpConfig from_json(const nlohmann::json& j, const std::string& path = "config");
    /**
     * @brief from_json() through perfcast's JSON reader: errors name the file, the line and the
     * path (a setting validate() refuses too).
     */
    static MlpConfig read(const detail::json_value& v);

    /**
     * @brief Reads a config file (a JSON object of MlpConfig fields, as from_json() with
     * no path prefix). @throws perfcast::error naming the file, line and field.
     */
    static MlpConfig load(const std::string& file);

    /** @brief Field-wise equality. */
    friend bool operator==(const MlpConfig& a, const MlpConfig& b) noexcept = default;
};

/** @brief nlohmann::json hooks (found by ADL), so `json j = c;` and `j.get<MlpConfig>()` work. */
void to_json(nlohmann::json& j, const MlpConfig& v);
/** @brief See to_json(nlohmann::json&, const MlpConfig&). */
void from_json(const nlohmann::json& j, MlpConfig& v);

namespace detail::mlp {

/** @brief A setting MlpConfig::validate() refuses: its key (and, in "hidden", the element) and why. */
struct ConfigViolation {
    std::string_view key;              ///< empty when every setting is valid
    std::optional<std::size_t> index;  ///< the element of "hidden" that is refused
    std::string_view message;          ///< why

    /** @brief Whether a setting is refused. */
    explicit operator bool() const noexcept { return !key.empty(); }
};

/**
 * @brief The first setting of @p c that MlpConfig::validate() refuses. The rules live here
 * once, for validate() and for MlpConfig::read(), which places the refusal in the file.
 */
ConfigViolation first_violation(const MlpConfig& c) noexcept;

}  // namespace detail::mlp

// ============================================================================
// Implementation
// ============================================================================

inline detail::mlp::ConfigViolation detail::mlp::first_violation(const MlpConfig& c) noexcept {
    auto positive = [](double v) { return std::isfinite(v) && v > 0.0; };
    // bounded before anything is allocated: a width of 2^32 from a file would ask for exabytes
    if (c.hidden.size() > 64) return {"hidden", {}, "at most 64 hidden layers"};
    for (std::size_t i = 0; i < c.hidden.size(); ++i) {
        if (c.hidden[i] == 0) return {"hidden", i, "a layer needs at least one unit"};
        if (c.hidden[i] > 16384) return {"hidden", i, "at most 16384 units a layer"};
    }
    if (!positive(c.learning_rate)) return {"learning_rate", {}, "expected a finite number > 0"};
    if (!(c.adam_beta1 >= 0.0 && c.adam_beta1 < 1.0)) return {"adam_beta1", {}, "expected a number in [0, 1)"};
    if (!(c.adam_beta2 >= 0.0 && c.adam_beta2 < 1.0)) return {"adam_beta2", {}, "expected a number in [0, 1)"};
    if (!positive(c.adam_epsilon)) return {"adam_epsilon", {}, "expected a finite number > 0"};
    if (!(std::isfinite(c.weight_decay) && c.weight_decay >= 0.0))
        return {"weight_decay", {}, "expected a finite number >= 0"};
    if (!(c.learning_rate * c.weight_decay < 1.0))
        return {"weight_decay", {}, "learning_rate * weight_decay must be < 1"};
    if (!(std::isfinite(c.gradient_clip_norm) && c.gradient_clip_norm >= 0.0))
        return {"gradient_clip_norm", {}, "expected a finite number >= 0 (0 = off)"};
    if (c.batch_size == 0) return {"batch_size", {}, "expected at least 1"};
    if (c.max_epochs == 0) return {"max_epochs", {}, "expected at least 1"};
    if (!(c.validation_fraction >= 0.0 && c.validation_fraction < 1.0))
        return {"validation_fraction", {}, "expected a number in [0, 1)"};
    if (!(std::isfinite(c.min_delta) && c.min_delta >= 0.0)) return {"min_delta", {}, "expected a finite number >= 0"};
    if (!(c.lr_min_fraction >= 0.0 && c.lr_min_fraction <= 1.0))
        return {"lr_min_fraction", {}, "expected a number in [0, 1]"};
    if (c.lr_step_epochs == 0) return {"lr_step_epochs", {}, "expected at least 1"};
    if (!(c.lr_step_gamma > 0.0 && c.lr_step_gamma <= 1.0)) return {"lr_step_gamma", {}, "expected a number in (0, 1]"};
    return {};
}

inline void MlpConfig::validate(const std::string& path) const {
    const detail::mlp::ConfigViolation bad = detail::mlp::first_violation(*this);
    if (!bad) return;
    const std::string field = detail::mlp::join_path(path, bad.key);
    throw error(bad.index ? detail::mlp::index_path(field, *bad.index) : field, std::string(bad.message));
}

inline double MlpConfig::learning_rate_at(std::size_t epoch) const noexcept {
    switch (lr_schedule) {
        case LrSchedule::constant: return learning_rate;
        case LrSchedule::cosine: {
            if (max_epochs <= 1) return learning_rate;
            const double progress =
                static_cast<double>(std::min(epoch, max_epochs - 1)) / static_cast<double>(max_epochs - 1);
            const double low = learning_rate * lr_min_fraction;
            // Written so epoch 0 gets exactly learning_rate.
            return learning_rate - 0.5 * (learning_rate - low) * (1.0 - std::cos(std::numbers::pi * progress));
        }
        case LrSchedule::step:
            return learning_rate * std::pow(lr_step_gamma, static_cast<double>(epoch / lr_step_epochs));
    }
    return learning_rate;
}

inline nlohmann::json MlpConfig::to_json() const {
    return {
        {"hidden", hidden},
        {"activation", std::string(perfcast::to_string(activation))},
        {"loss", std::string(perfcast::to_string(loss))},
        {"target_transform", target_transform.to_json()},
        {"learning_rate", learning_rate},
        {"adam_beta1", adam_beta1},
        {"adam_beta2", adam_beta2},
        {"adam_epsilon", adam_epsilon},
        {"weight_decay", weight_decay},
        {"gradient_clip_norm", gradient_clip_norm},
        {"batch_size", batch_size},
        {"max_epochs", max_epochs},
        {"validation_fraction", validation_fraction},
        {"patience", patience},
        {"min_delta", min_delta},
        {"lr_schedule", std::string(perfcast::to_string(lr_schedule))},
        {"lr_min_fraction", lr_min_fraction},
        {"lr_step_epochs", lr_step_epochs},
        {"lr_step_gamma", lr_step_gamma},
        {"seed", seed},
    };
}

inline MlpConfig MlpConfig::from_json(const nlohmann::json& j, const std::string& path) {
    return read(detail::json_value(j, path));
}

inline MlpConfig MlpConfig::read(const detail::json_value& v) {
    MlpConfig c;
    if (const auto hidden = v.find("hidden")) {
        c.hidden.clear();
        for (const detail::json_value& width : hidden->array()) c.hidden.push_back(width.integer<std::size_t>());
    }
    if (const auto a = v.find("activation")) c.activation = a->located([&] { return parse_mlp_activation(a->string()); });
    if (const auto l = v.find("loss")) c.loss = l->located([&] { return parse_mlp_loss(l->string()); });
    if (const auto t = v.find("target_transform")) c.target_transform = TargetTransform::read(*t);
    c.learning_rate = v.number("learning_rate", c.learning_rate);
    c.adam_beta1 = v.number("adam_beta1", c.adam_beta1);
    c.adam_beta2 = v.number("adam_beta2", c.adam_beta2);
    c.adam_epsilon = v.number("adam_epsilon", c.adam_epsilon);
    c.weight_decay = v.number("weight_decay", c.weight_decay);
    c.gradient_clip_norm = v.number("gradient_clip_norm", c.gradient_clip_norm);
    c.batch_size = v.integer<std::size_t>("batch_size", c.batch_size);
    c.max_epochs = v.integer<std::size_t>("max_epochs", c.max_epochs);
    c.validation_fraction = v.number("validation_fraction", c.validation_fraction);
    c.patience = v.integer<std::size_t>("patience", c.patience);
    c.min_delta = v.number("min_delta", c.min_delta);
    if (const auto s = v.find("lr_schedule")) c.lr_schedule = s->located([&] { return parse_lr_schedule(s->string()); });
    c.lr_min_fraction = v.number("lr_min_fraction", c.lr_min_fraction);
    c.lr_step_epochs = v.integer<std::size_t>("lr_step_epochs", c.lr_step_epochs);
    c.lr_step_gamma = v.number("lr_step_gamma", c.lr_step_gamma);
    c.seed = v.integer<std::uint64_t>("seed", c.seed);
    v.no_other_keys();
    if (const detail::mlp::ConfigViolation bad = detail::mlp::first_violation(c)) {
        if (bad.index && v.has(bad.key)) v[bad.key][*bad.index].fail(std::string(bad.message));
        v.fail(bad.key, std::string(bad.message));  // a default that another setting makes invalid
    }
    return c;
}

inline MlpConfig MlpConfig::load(const std::string& file) {
    const detail::json_document doc(file, detail::read_file(file));
    return read(doc.root());
}

inline void to_json(nlohmann::json& j, const MlpConfig& v) { j = v.to_json(); }
inline void from_json(const nlohmann::json& j, MlpConfig& v) { v = MlpConfig::from_json(j); }

}  // namespace perfcast
