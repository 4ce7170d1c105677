/**
 * @file mlp/history.hpp
 * @brief The course of a training run: EpochRecord, TrainingHistory and their JSON.
 */
#pragma once

#include <cstddef>  // size_t
#include <limits>   // numeric_limits: quiet_NaN
#include <string>   // string, to_string
#include <utility>  // move
#include <vector>   // vector

#include "../detail/json.hpp"  // nlohmann::json, json_value: reading
#include "equality.hpp"        // same_number
#include "json_write.hpp"      // number_or_null
#include "options.hpp"         // StopReason, to_string, parse_stop_reason

namespace perfcast {

/** @brief What one epoch measured. */
struct EpochRecord {
    std::size_t epoch = 0;  ///< 1-based
    /** Mean training loss over the epoch's batches (weights change during the epoch). */
    double train_loss = 0.0;
    /** Validation loss after the epoch; NaN without validation. */
    double val_loss = std::numeric_limits<double>::quiet_NaN();
    /** Mean |t_hat - t| / t over validation rows with t != 0; NaN when there are none. */
    double val_mean_relative_error = std::numeric_limits<double>::quiet_NaN();
    double learning_rate = 0.0;  ///< rate used during the epoch
    double seconds = 0.0;        ///< wall time since training started, at the end of the epoch

    /** @brief Field-wise equality (NaN fields compare equal to NaN). */
    friend bool operator==(const EpochRecord& a, const EpochRecord& b) noexcept;
};

/** @brief The course of a training run. */
struct TrainingHistory {
    std::vector<EpochRecord> epochs;  ///< one per epoch run
    /** 1-based epoch whose weights were kept: the best validation epoch, or the last
        epoch without validation; 0 if no epoch ran. */
    std::size_t best_epoch = 0;
    double best_val_loss = std::numeric_limits<double>::quiet_NaN();  ///< NaN without validation
    double seconds = 0.0;                                             ///< total training wall time
    std::size_t train_rows = 0;                                       ///< rows used for fitting
    std::size_t validation_rows = 0;                                  ///< rows held out
    StopReason stop_reason = StopReason::max_epochs;                  ///< why training ended

    /** @brief Field-wise equality (NaN fields compare equal to NaN). */
    friend bool operator==(const TrainingHistory& a, const TrainingHistory& b) noexcept;
};

// ============================================================================
// Implementation
// ============================================================================

inline bool operator==(const EpochRecord& a, const EpochRecord& b) noexcept {
    return a.epoch == b.epoch && detail::mlp::same_number(a.train_loss, b.train_loss) &&
           detail::mlp::same_number(a.val_loss, b.val_loss) &&
           detail::mlp::same_number(a.val_mean_relative_error, b.val_mean_relative_error) &&
           detail::mlp::same_number(a.learning_rate, b.learning_rate) && detail::mlp::same_number(a.seconds, b.seconds);
}

inline bool operator==(const TrainingHistory& a, const TrainingHistory& b) noexcept {
    return a.epochs == b.epochs && a.best_epoch == b.best_epoch &&
           detail::mlp::same_number(a.best_val_loss, b.best_val_loss) &&
           detail::mlp::same_number(a.seconds, b.seconds) && a.train_rows == b.train_rows &&
           a.validation_rows == b.validation_rows && a.stop_reason == b.stop_reason;
}

namespace detail::mlp {

/** @brief TrainingHistory as JSON (NaN as null). */
inline nlohmann::json history_to_json(const TrainingHistory& h) {
    nlohmann::json epochs = nlohmann::json::array();
    for (const EpochRecord& e : h.epochs) {
        epochs.push_back({{"epoch", e.epoch},
                          {"train_loss", number_or_null(e.train_loss)},
                          {"val_loss", number_or_null(e.val_loss)},
                          {"val_mean_relative_error", number_or_null(e.val_mean_relative_error)},
                          {"learning_rate", e.learning_rate},
                          {"seconds", e.seconds}});
    }
    return {{"epochs", std::move(epochs)},
            {"best_epoch", h.best_epoch},
            {"best_val_loss", number_or_null(h.best_val_loss)},
            {"seconds", h.seconds},
            {"train_rows", h.train_rows},
            {"validation_rows", h.validation_rows},
            {"stop_reason", std::string(perfcast::to_string(h.stop_reason))}};
}

/** @brief Reads history_to_json()'s output. */
inline TrainingHistory read_history(const json_value& v) {
    TrainingHistory h;
    for (const json_value& e : v.array("epochs")) {
        EpochRecord r;
        r.epoch = e.integer<std::size_t>("epoch");
        r.train_loss = e.number_or_nan("train_loss");
        r.val_loss = e.number_or_nan("val_loss");
        r.val_mean_relative_error = e.number_or_nan("val_mean_relative_error");
        r.learning_rate = e.number("learning_rate");
        r.seconds = e.number("seconds");
        e.no_other_keys();
        h.epochs.push_back(r);
    }
    h.best_epoch = v.integer<std::size_t>("best_epoch");
    if (h.best_epoch > h.epochs.size())
        v.fail("best_epoch", "expected at most " + std::to_string(h.epochs.size()) + " (the number of epochs), got " +
                                 std::to_string(h.best_epoch));
    h.best_val_loss = v.number_or_nan("best_val_loss");
    h.seconds = v.number("seconds");
    h.train_rows = v.integer<std::size_t>("train_rows");
    h.validation_rows = v.integer<std::size_t>("validation_rows");
    const json_value stop = v["stop_reason"];
    h.stop_reason = stop.located([&] { return parse_stop_reason(stop.string()); });
    v.no_other_keys();
    return h;
}

}  // namespace detail::mlp

}  // namespace perfcast
