/**
 * @file mlp/train.hpp
 * @brief Training: the train/validation split and train_mlp(), mini-batch AdamW with a
 *        learning-rate schedule and early stopping.
 */
#pragma once

#include <algorithm>   // clamp, copy, max, min, sort
#include <chrono>      // steady_clock: training time
#include <cmath>       // abs, isfinite, llround, sqrt
#include <cstddef>     // size_t, ptrdiff_t
#include <functional>  // function: progress callback
#include <limits>      // numeric_limits: infinity
#include <string>      // string, to_string
#include <utility>     // move
#include <vector>      // vector

#include "../detail/xtensor.hpp"  // xt::xtensor
#include "../../core/error.hpp"   // error
#include "adamw.hpp"              // AdamW, clip_gradients
#include "backprop.hpp"           // Backprop, loss_rows
#include "config.hpp"             // MlpConfig
#include "field_path.hpp"         // index_path
#include "history.hpp"            // EpochRecord, TrainingHistory
#include "network.hpp"            // Mlp, MlpLayer
#include "options.hpp"            // MlpLoss, StopReason, to_string
#include "random.hpp"             // Xoshiro256, derive_seed, shuffle, the seed streams
#include "regressor.hpp"          // TrainedRegressor
#include "scaler.hpp"             // FeatureScaler
#include "target_transform.hpp"   // TargetTransform

namespace perfcast {

/**
 * @brief Called after every epoch with the 1-based epoch and its training and
 * validation loss (NaN without validation). Returning false stops training (the
 * best weights so far are kept), e.g. on Ctrl-C.
 */
using ProgressCallback = std::function<bool(std::size_t epoch, double train_loss, double val_loss)>;

/** @brief Row indices of a train/validation split. */
struct TrainValidationSplit {
    std::vector<std::size_t> train;       ///< rows used for fitting
    std::vector<std::size_t> validation;  ///< rows held out
};

/**
 * @brief The split train_mlp() uses for @p rows rows under @p config (deterministic
 * in config.seed and config.validation_fraction), so callers can evaluate on the
 * held-out rows. validation gets round(rows * fraction) rows, at least 1 when the
 * fraction is > 0, and train keeps at least 1.
 */
TrainValidationSplit train_validation_split(std::size_t rows, const MlpConfig& config);

/**
 * @brief Trains a regressor from features @p X (rows x features) to times @p y.
 *
 * Validates the config and data (finite values, targets in the transform's domain,
 * t > 0 for the relative loss), splits off validation rows, fits the scaler on the
 * training rows, standardises the transformed target into the network's output map,
 * then runs mini-batch AdamW with the configured schedule. With validation, training
 * stops after @p config.patience epochs without improvement and the best epoch's
 * weights are restored.
 *
 * @throws perfcast::error naming the bad field or row (e.g. "y[12]"), or if the loss
 *         becomes non-finite (divergence).
 */
TrainedRegressor train_mlp(const xt::xtensor<double, 2>& X, const xt::xtensor<double, 1>& y, const MlpConfig& config,
                           const ProgressCallback& progress = {});

// ============================================================================
// Implementation
// ============================================================================

inline TrainValidationSplit train_validation_split(std::size_t rows, const MlpConfig& config) {
    config.validate();
    std::vector<std::size_t> order(rows);
    for (std::size_t r = 0; r < rows; ++r) order[r] = r;
    detail::mlp::Xoshiro256 rng(detail::mlp::derive_seed(config.seed, detail::mlp::k_stream_split));
    detail::mlp::shuffle(order, rng);
    std::size_t n_val = 0;
    if (config.validation_fraction > 0.0 && rows >= 2) {
        n_val = static_cast<std::size_t>(std::llround(static_cast<double>(rows) * config.validation_fraction));
        n_val = std::clamp<std::size_t>(n_val, 1, rows - 1);
    }
    TrainValidationSplit split;
    split.validation.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n_val));
    split.train.assign(order.begin() + static_cast<std::ptrdiff_t>(n_val), order.end());
    // Sorted: the split is a set; the epoch shuffle decides the visiting order.
    std::sort(split.validation.begin(), split.validation.end());
    std::sort(split.train.begin(), split.train.end());
    return split;
}

inline TrainedRegressor train_mlp(const xt::xtensor<double, 2>& X, const xt::xtensor<double, 1>& y,
                                  const MlpConfig& config, const ProgressCallback& progress) {
    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(clock::now() - start).count(); };

    config.validate();
    const std::size_t rows = X.shape()[0];
    const std::size_t cols = X.shape()[1];
    if (rows == 0) throw error("X", "no training rows");
    if (cols == 0) throw error("X", "no feature columns");
    if (y.size() != rows)
        throw error(
            "y", "expected " + std::to_string(rows) + " targets (one per row of X), got " + std::to_string(y.size()));
    const double* xd = X.data();
    for (std::size_t i = 0; i < rows * cols; ++i)
        if (!std::isfinite(xd[i]))
            throw error("X[" + std::to_string(i / cols) + "][" + std::to_string(i % cols) + "]", "not finite");
    const TargetTransform& transform = config.target_transform;
    std::vector<double> z(rows);
    for (std::size_t r = 0; r < rows; ++r) {
        const double t = y(r);
        if (!transform.accepts(t))
            throw error(detail::mlp::index_path("y", r),
                        std::string(to_string(transform.kind())) + " transform cannot take " + std::to_string(t));
        if (config.loss == MlpLoss::relative && !(t > 0.0))
            throw error(detail::mlp::index_path("y", r),
                        "the relative loss needs targets > 0, got " + std::to_string(t));
        z[r] = transform.forward(t);
    }

    // Split, then fit the scaler and the target standardisation on training rows only.
    const TrainValidationSplit split = train_validation_split(rows, config);
    const std::size_t n_train = split.train.size();
    const std::size_t n_val = split.validation.size();
    FeatureScaler scaler;
    scaler.fit(X, split.train);
    const xt::xtensor<double, 2> Xs = scaler.transform(X);

    double z_mean = 0.0;
    for (const std::size_t r : split.train) z_mean += z[r];
    z_mean /= static_cast<double>(n_train);
    double z_var = 0.0;
    for (const std::size_t r : split.train) z_var += (z[r] - z_mean) * (z[r] - z_mean);
    double z_sd = std::sqrt(z_var / static_cast<double>(n_train));
    if (!(z_sd > 1e-12 * std::abs(z_mean)) || !std::isfinite(z_sd)) z_sd = 1.0;

    Mlp net(cols, config.hidden, config.activation, detail::mlp::derive_seed(config.seed, detail::mlp::k_stream_init));
    net.set_output_affine(z_mean, z_sd);

    // Contiguous validation block.
    std::vector<double> val_x(n_val * cols), val_z(n_val), val_t(n_val);
    for (std::size_t i = 0; i < n_val; ++i) {
        const std::size_t r = split.validation[i];
        std::copy(Xs.data() + r * cols, Xs.data() + (r + 1) * cols, val_x.data() + i * cols);
        val_z[i] = z[r];
        val_t[i] = y(r);
    }

    const std::size_t batch = std::min(config.batch_size, n_train);
    constexpr std::size_t eval_chunk = 1024;
    detail::mlp::Backprop pass(net, std::max(batch, std::min(eval_chunk, n_val)));
    detail::mlp::AdamW optimizer(net);
    detail::mlp::Xoshiro256 shuffle_rng(detail::mlp::derive_seed(config.seed, detail::mlp::k_stream_shuffle));

    std::vector<double> batch_x(batch * cols), batch_z(batch), batch_t(batch), d_out(batch);
    std::vector<std::size_t> order = split.train;

    TrainingHistory history;
    history.train_rows = n_train;
    history.validation_rows = n_val;
    double best = std::numeric_limits<double>::infinity();
    std::vector<MlpLayer> best_layers;

    for (std::size_t epoch = 0; epoch < config.max_epochs; ++epoch) {
        const double lr = config.learning_rate_at(epoch);
        detail::mlp::shuffle(order, shuffle_rng);
        double train_sum = 0.0;
        for (std::size_t begin = 0; begin < n_train; begin += batch) {
            const std::size_t n = std::min(batch, n_train - begin);
            for (std::size_t i = 0; i < n; ++i) {
                const std::size_t r = order[begin + i];
                std::copy(Xs.data() + r * cols, Xs.data() + (r + 1) * cols, batch_x.data() + i * cols);
                batch_z[i] = z[r];
                batch_t[i] = y(r);
            }
            const double* o = pass.forward(net, batch_x.data(), n);
            train_sum += detail::mlp::loss_rows(config.loss, transform, z_mean, z_sd, o, batch_z.data(), batch_t.data(),
                                                n, d_out.data(), static_cast<double>(n));
            pass.backward(net, batch_x.data(), n, d_out.data());
            if (config.gradient_clip_norm > 0.0) detail::mlp::clip_gradients(pass, config.gradient_clip_norm);
            optimizer.step(net, pass, lr, config);
        }
        EpochRecord record;
        record.epoch = epoch + 1;
        record.learning_rate = lr;
        record.train_loss = train_sum / static_cast<double>(n_train);
        if (!std::isfinite(record.train_loss))
            throw error("train_mlp", "training diverged at epoch " + std::to_string(epoch + 1) +
                                         " (non-finite loss); lower learning_rate or set gradient_clip_norm");
        if (n_val > 0) {
            double val_sum = 0.0;
            double rel_sum = 0.0;
            std::size_t rel_count = 0;
            for (std::size_t begin = 0; begin < n_val; begin += pass.max_rows()) {
                const std::size_t n = std::min(pass.max_rows(), n_val - begin);
                const double* o = pass.forward(net, val_x.data() + begin * cols, n);
                val_sum += detail::mlp::loss_rows(config.loss, transform, z_mean, z_sd, o, val_z.data() + begin,
                                                  val_t.data() + begin, n, nullptr, 1.0);
                for (std::size_t i = 0; i < n; ++i) {
                    const double t = val_t[begin + i];
                    if (t == 0.0) continue;
                    rel_sum += std::abs(transform.inverse(z_mean + z_sd * o[i]) - t) / std::abs(t);
                    ++rel_count;
                }
            }
            record.val_loss = val_sum / static_cast<double>(n_val);
            if (rel_count > 0) record.val_mean_relative_error = rel_sum / static_cast<double>(rel_count);
        }
        record.seconds = elapsed();
        history.epochs.push_back(record);

        bool stop = false;
        if (n_val > 0) {
            if (record.val_loss < best - config.min_delta) {
                best = record.val_loss;
                history.best_epoch = record.epoch;
                history.best_val_loss = record.val_loss;
                best_layers.assign(net.layers().begin(), net.layers().end());
            } else if (config.patience > 0 && record.epoch - history.best_epoch >= config.patience) {
                history.stop_reason = StopReason::early_stopping;
                stop = true;
            }
        } else {
            history.best_epoch = record.epoch;
        }
        if (progress && !progress(record.epoch, record.train_loss, record.val_loss)) {
            history.stop_reason = StopReason::callback;
            stop = true;
        }
        if (stop) break;
    }
    if (n_val > 0 && history.best_epoch > 0) std::copy(best_layers.begin(), best_layers.end(), net.layers().begin());
    history.seconds = elapsed();
    return TrainedRegressor(std::move(scaler), transform, std::move(net), config, std::move(history));
}

}  // namespace perfcast
