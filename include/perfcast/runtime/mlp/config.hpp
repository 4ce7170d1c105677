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
#include <string>       // string
#include <string_view>  // string_view: field names
#include <vector>       // vector

#include "../detail/json.hpp"    // nlohmann::json
#include "../../core/error.hpp"  // error
#include "field_path.hpp"        // join_path, index_path
#include "json_io.hpp"           // expect_object, reject_unknown, read_*, load_json_file
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

// ============================================================================
// Implementation
// ============================================================================

inline void MlpConfig::validate(const std::string& path) const {
    auto field = [&](std::string_view name) { return detail::mlp::join_path(path, name); };
    auto positive = [&](double v, std::string_view name) {
        if (!(std::isfinite(v) && v > 0.0)) throw error(field(name), "expected a finite number > 0");
    };
    for (std::size_t i = 0; i < hidden.size(); ++i)
        if (hidden[i] == 0) throw error(detail::mlp::index_path(field("hidden"), i), "a layer needs at least one unit");
    positive(learning_rate, "learning_rate");
    if (!(adam_beta1 >= 0.0 && adam_beta1 < 1.0)) throw error(field("adam_beta1"), "expected a number in [0, 1)");
    if (!(adam_beta2 >= 0.0 && adam_beta2 < 1.0)) throw error(field("adam_beta2"), "expected a number in [0, 1)");
    positive(adam_epsilon, "adam_epsilon");
    if (!(std::isfinite(weight_decay) && weight_decay >= 0.0))
        throw error(field("weight_decay"), "expected a finite number >= 0");
    if (!(learning_rate * weight_decay < 1.0))
        throw error(field("weight_decay"), "learning_rate * weight_decay must be < 1");
    if (!(std::isfinite(gradient_clip_norm) && gradient_clip_norm >= 0.0))
        throw error(field("gradient_clip_norm"), "expected a finite number >= 0 (0 = off)");
    if (batch_size == 0) throw error(field("batch_size"), "expected at least 1");
    if (max_epochs == 0) throw error(field("max_epochs"), "expected at least 1");
    if (!(validation_fraction >= 0.0 && validation_fraction < 1.0))
        throw error(field("validation_fraction"), "expected a number in [0, 1)");
    if (!(std::isfinite(min_delta) && min_delta >= 0.0))
        throw error(field("min_delta"), "expected a finite number >= 0");
    if (!(lr_min_fraction >= 0.0 && lr_min_fraction <= 1.0))
        throw error(field("lr_min_fraction"), "expected a number in [0, 1]");
    if (lr_step_epochs == 0) throw error(field("lr_step_epochs"), "expected at least 1");
    if (!(lr_step_gamma > 0.0 && lr_step_gamma <= 1.0))
        throw error(field("lr_step_gamma"), "expected a number in (0, 1]");
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
    detail::mlp::expect_object(j, path);
    detail::mlp::reject_unknown(j,
                                {"hidden",
                                 "activation",
                                 "loss",
                                 "target_transform",
                                 "learning_rate",
                                 "adam_beta1",
                                 "adam_beta2",
                                 "adam_epsilon",
                                 "weight_decay",
                                 "gradient_clip_norm",
                                 "batch_size",
                                 "max_epochs",
                                 "validation_fraction",
                                 "patience",
                                 "min_delta",
                                 "lr_schedule",
                                 "lr_min_fraction",
                                 "lr_step_epochs",
                                 "lr_step_gamma",
                                 "seed"},
                                path);
    MlpConfig c;
    auto has = [&](std::string_view key) { return j.contains(key); };
    auto at = [&](std::string_view key) -> const nlohmann::json& { return j.find(key).value(); };
    auto field = [&](std::string_view key) { return detail::mlp::join_path(path, key); };
    auto number = [&](std::string_view key, double& out) {
        if (has(key)) out = detail::mlp::read_finite(at(key), field(key));
    };
    auto size = [&](std::string_view key, std::size_t& out) {
        if (has(key)) out = detail::mlp::read_size(at(key), field(key));
    };
    if (has("hidden")) {
        const auto& jh = at("hidden");
        if (!jh.is_array())
            throw error(field("hidden"), "expected an array of widths, got " + detail::mlp::json_type(jh));
        c.hidden.clear();
        for (std::size_t i = 0; i < jh.size(); ++i)
            c.hidden.push_back(detail::mlp::read_size(jh[i], detail::mlp::index_path(field("hidden"), i)));
    }
    if (has("activation"))
        c.activation =
            parse_mlp_activation(detail::mlp::read_string(at("activation"), field("activation")), field("activation"));
    if (has("loss")) c.loss = parse_mlp_loss(detail::mlp::read_string(at("loss"), field("loss")), field("loss"));
    if (has("target_transform"))
        c.target_transform = TargetTransform::from_json(at("target_transform"), field("target_transform"));
    number("learning_rate", c.learning_rate);
    number("adam_beta1", c.adam_beta1);
    number("adam_beta2", c.adam_beta2);
    number("adam_epsilon", c.adam_epsilon);
    number("weight_decay", c.weight_decay);
    number("gradient_clip_norm", c.gradient_clip_norm);
    size("batch_size", c.batch_size);
    size("max_epochs", c.max_epochs);
    number("validation_fraction", c.validation_fraction);
    size("patience", c.patience);
    number("min_delta", c.min_delta);
    if (has("lr_schedule"))
        c.lr_schedule =
            parse_lr_schedule(detail::mlp::read_string(at("lr_schedule"), field("lr_schedule")), field("lr_schedule"));
    number("lr_min_fraction", c.lr_min_fraction);
    size("lr_step_epochs", c.lr_step_epochs);
    number("lr_step_gamma", c.lr_step_gamma);
    if (has("seed")) c.seed = detail::mlp::read_unsigned(at("seed"), field("seed"));
    c.validate(path);
    return c;
}

inline MlpConfig MlpConfig::load(const std::string& file) {
    return detail::mlp::load_json_file(file, [](const nlohmann::json& j) { return from_json(j, ""); });
}

inline void to_json(nlohmann::json& j, const MlpConfig& v) { j = v.to_json(); }
inline void from_json(const nlohmann::json& j, MlpConfig& v) { v = MlpConfig::from_json(j); }

}  // namespace perfcast
