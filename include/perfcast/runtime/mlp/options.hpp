/**
 * @file mlp/options.hpp
 * @brief The MLP's options as enums: activation, loss, learning-rate schedule, target
 *        transform kind and the reason training stopped; their names and parsers.
 */
#pragma once

#include <array>        // array: the values a parser tries
#include <cstddef>      // size_t
#include <string>       // string
#include <string_view>  // string_view: names

#include "../../core/error.hpp"      // error: an unknown name
#include "../../core/mlp_kinds.hpp"  // MlpActivation, TargetKind and their names

namespace perfcast {

// MlpActivation and TargetKind, with their names: core/mlp_kinds.hpp (the compile-time model shares them).


/** @brief What training minimises (and what the reported losses measure). */
enum class MlpLoss {
    /** Mean squared error on the transformed target z = T(t). With the log transform
        this is already a relative error measure. */
    mse,
    /** Mean squared relative error in original units: mean(((T^-1(z_hat) - t) / t)^2).
        Needs every target t > 0. Over-predictions cost more than under-predictions of the
        same ratio (a prediction of 0 costs 1, one of 2t costs 1 too, of 3t costs 4). */
    relative,
};

/** @brief How the learning rate changes over the epochs. */
enum class LrSchedule {
    constant,  ///< learning_rate throughout
    cosine,    ///< cosine from learning_rate down to learning_rate * lr_min_fraction at max_epochs
    step,      ///< multiplied by lr_step_gamma every lr_step_epochs epochs
};

/** @brief Why training ended. */
enum class StopReason {
    max_epochs,      ///< ran all MlpConfig::max_epochs epochs
    early_stopping,  ///< validation loss did not improve for MlpConfig::patience epochs
    callback,        ///< the progress callback returned false
};

/** @brief The name of a loss ("mse", "relative"). */
std::string_view to_string(MlpLoss loss) noexcept;
/** @brief The name of a schedule ("constant", "cosine", "step"). */
std::string_view to_string(LrSchedule schedule) noexcept;
/** @brief The name of a stop reason ("max_epochs", "early_stopping", "callback"). */
std::string_view to_string(StopReason reason) noexcept;

/** @brief Parses an activation name; throws perfcast::error naming @p field otherwise. */
MlpActivation parse_mlp_activation(std::string_view name, const std::string& field = "activation");
/** @brief Parses a loss name; throws perfcast::error naming @p field otherwise. */
MlpLoss parse_mlp_loss(std::string_view name, const std::string& field = "loss");
/** @brief Parses a schedule name; throws perfcast::error naming @p field otherwise. */
LrSchedule parse_lr_schedule(std::string_view name, const std::string& field = "lr_schedule");
/** @brief Parses a target transform kind; throws perfcast::error naming @p field otherwise. */
TargetKind parse_target_kind(std::string_view name, const std::string& field = "kind");
/** @brief Parses a stop reason; throws perfcast::error naming @p field otherwise. */
StopReason parse_stop_reason(std::string_view name, const std::string& field = "stop_reason");

// ============================================================================
// Implementation
// ============================================================================

namespace detail::mlp {

/** @brief Parses @p name against the names of @p values (via to_string). */
template <class Enum, std::size_t N>
Enum parse_enum(std::string_view name, const std::array<Enum, N>& values, const std::string& field) {
    std::string options;
    for (const Enum v : values) {
        if (to_string(v) == name) return v;
        if (!options.empty()) options += ", ";
        options += std::string(to_string(v));
    }
    throw error(field, "unknown value \"" + detail::excerpt(name) + "\" (expected one of: " + options + ")");
}

}  // namespace detail::mlp

inline std::string_view to_string(MlpLoss loss) noexcept {
    switch (loss) {
        case MlpLoss::mse: return "mse";
        case MlpLoss::relative: return "relative";
    }
    return "?";
}

inline std::string_view to_string(LrSchedule schedule) noexcept {
    switch (schedule) {
        case LrSchedule::constant: return "constant";
        case LrSchedule::cosine: return "cosine";
        case LrSchedule::step: return "step";
    }
    return "?";
}

inline std::string_view to_string(StopReason reason) noexcept {
    switch (reason) {
        case StopReason::max_epochs: return "max_epochs";
        case StopReason::early_stopping: return "early_stopping";
        case StopReason::callback: return "callback";
    }
    return "?";
}

inline MlpActivation parse_mlp_activation(std::string_view name, const std::string& field) {
    return detail::mlp::parse_enum(
        name, std::array{MlpActivation::relu, MlpActivation::tanh, MlpActivation::silu, MlpActivation::gelu}, field);
}

inline MlpLoss parse_mlp_loss(std::string_view name, const std::string& field) {
    return detail::mlp::parse_enum(name, std::array{MlpLoss::mse, MlpLoss::relative}, field);
}

inline LrSchedule parse_lr_schedule(std::string_view name, const std::string& field) {
    return detail::mlp::parse_enum(name, std::array{LrSchedule::constant, LrSchedule::cosine, LrSchedule::step}, field);
}

inline TargetKind parse_target_kind(std::string_view name, const std::string& field) {
    return detail::mlp::parse_enum(name, std::array{TargetKind::identity, TargetKind::sqrt, TargetKind::log}, field);
}

inline StopReason parse_stop_reason(std::string_view name, const std::string& field) {
    return detail::mlp::parse_enum(
        name, std::array{StopReason::max_epochs, StopReason::early_stopping, StopReason::callback}, field);
}

}  // namespace perfcast
