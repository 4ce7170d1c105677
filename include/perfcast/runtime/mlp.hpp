/**
 * @file mlp.hpp
 * @brief A multilayer perceptron regressor that predicts layer execution times.
 *
 * The pieces, in the order a prediction flows through them:
 *
 *  - FeatureScaler: standardises each feature column (mean 0, std 1), fitted on
 *    the training rows only.
 *  - Mlp: dense layers with a hidden nonlinearity and one linear output, followed by
 *    a fixed affine map (output_offset + output_scale * o) that undoes the
 *    standardisation of the target, so the network's output is in transformed-target
 *    units.
 *  - TargetTransform: maps times to the space the network learns in (identity,
 *    sqrt(c*t) or log(t)) and back.
 *
 * train_mlp() fits all three with mini-batch AdamW and early stopping and returns a
 * TrainedRegressor, which predicts in original units and saves/loads itself as JSON
 * (bit-exact round trip).
 *
 * Determinism: for a given MlpConfig::seed, training on the same data with the same
 * binary, BLAS library and BLAS thread count gives bit-identical weights. The
 * library draws its random numbers from its own xoshiro256** generator (no standard
 * distributions, whose output differs between standard libraries); results can still
 * differ in the last bits between machines whose libm or BLAS kernels differ.
 *
 * Thread safety: const member functions (predict, predict_one, to_json, save) may
 * run concurrently. Training runs on the calling thread, plus the BLAS's own threads
 * (OPENBLAS_NUM_THREADS).
 *
 * Matrix products go through xt::blas::gemm, so users of this header link a CBLAS
 * (e.g. -lopenblas). Internals live in perfcast::detail::mlp.
 */
#pragma once

#include <algorithm>         // copy, fill, max, min, clamp, sort, equal, find, all_of
#include <array>             // array: tensor shapes
#include <chrono>            // steady_clock: training time
#include <cmath>             // sqrt, log, exp, tanh, sin, cos, pow, llround, isfinite, abs
#include <cstddef>           // size_t, ptrdiff_t
#include <cstdint>           // uint64_t, int64_t
#include <fstream>           // ofstream: save
#include <ios>               // streamsize, ios::binary
#include <functional>        // function: progress callback
#include <initializer_list>  // initializer_list: known JSON field names
#include <limits>            // numeric_limits: quiet_NaN, infinity
#include <numbers>           // pi
#include <span>              // span: single-row inputs and scratch buffers
#include <string>            // string, to_string
#include <string_view>       // string_view: field paths, enum names
#include <utility>           // move, swap
#include <vector>            // vector

#include "detail/json.hpp"     // nlohmann::json, read_file, parse_json, json_locator
#include "detail/xtensor.hpp"  // xt::xtensor, xt::adapt, xt::blas::gemm
#include "../core/detail/math_policy.hpp"  // std_math
#include "../core/error.hpp"           // perfcast::error, source_location
#include "../core/mlp_kinds.hpp"       // MlpActivation, TargetKind, activate, inverse_target

namespace perfcast {

// ============================================================================
// Options
// ============================================================================

// MlpActivation and TargetKind: core/mlp_kinds.hpp (the compile-time model shares them).

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
// FeatureScaler
// ============================================================================

/**
 * @brief Per-column standardisation: x' = (x - mean) / std.
 *
 * std is the population standard deviation of the fitted rows. Columns whose
 * standard deviation is zero (or only rounding noise, below 1e-12 * |mean|) get
 * std = 1, so they map to a constant instead of dividing by zero.
 */
class FeatureScaler {
public:
    /** @brief An unfitted scaler (size() == 0). */
    FeatureScaler() = default;

    /** @brief A scaler with given statistics; every stddev must be finite and > 0. */
    FeatureScaler(xt::xtensor<double, 1> mean, xt::xtensor<double, 1> stddev);

    /** @brief Fits mean and std on all rows of @p X (at least one row). */
    void fit(const xt::xtensor<double, 2>& X);

    /** @brief Fits mean and std on the listed rows of @p X only (at least one row). */
    void fit(const xt::xtensor<double, 2>& X, std::span<const std::size_t> rows);

    /** @brief Returns the standardised copy of @p X; throws if the column count differs. */
    xt::xtensor<double, 2> transform(const xt::xtensor<double, 2>& X) const;

    /**
     * @brief Standardises one row into @p out without allocating.
     * @throws perfcast::error if in.size() != size() or out is shorter than size().
     */
    void transform_row(std::span<const double> in, std::span<double> out) const;

    /** @brief Number of columns (0 when unfitted). */
    std::size_t size() const noexcept { return m_mean.size(); }
    /** @brief Whether fit() ran or statistics were given. */
    bool fitted() const noexcept { return m_mean.size() != 0; }
    /** @brief Column means. */
    const xt::xtensor<double, 1>& mean() const noexcept { return m_mean; }
    /** @brief Column standard deviations (after the zero-variance floor). */
    const xt::xtensor<double, 1>& stddev() const noexcept { return m_std; }

    /** @brief {"mean": [...], "std": [...]}. */
    nlohmann::json to_json() const;
    /** @brief Reads to_json()'s output; errors name fields under @p path. */
    static FeatureScaler from_json(const nlohmann::json& j, const std::string& path = "scaler");

    /** @brief Bitwise equality of the statistics. */
    friend bool operator==(const FeatureScaler& a, const FeatureScaler& b) noexcept;

private:
    xt::xtensor<double, 1> m_mean;
    xt::xtensor<double, 1> m_std;
};

// ============================================================================
// TargetTransform
// ============================================================================

/**
 * @brief The map from a time t to the value z the network learns, and back.
 *
 * - identity: z = t,           t = z
 * - sqrt:     z = sqrt(c * t), t = z * |z| / c   (c > 0; sign kept so the inverse is
 *                                                 monotonic for negative network outputs)
 * - log:      z = log(t),      t = exp(z)         (t > 0)
 *
 * inverse(forward(t)) equals t to within a few ulp (exactly for identity).
 */
class TargetTransform {
public:
    /** @brief The identity transform. */
    TargetTransform() = default;

    /**
     * @brief A transform of @p kind; @p c is the sqrt constant (ignored otherwise).
     * @throws perfcast::error if kind is sqrt and c is not finite and > 0.
     */
    explicit TargetTransform(TargetKind kind, double c = 1.0);

    /** @brief The kind. */
    TargetKind kind() const noexcept { return m_kind; }
    /** @brief The sqrt constant c (1 for the other kinds). */
    double constant() const noexcept { return m_c; }

    /** @brief Whether @p t is finite and inside the transform's domain. */
    bool accepts(double t) const noexcept;

    /** @brief z = T(t). @throws perfcast::error (field "target") outside the domain. */
    double forward(double t) const;

    /** @brief t = T^-1(z); defined for every z. */
    double inverse(double z) const noexcept;

    /** @brief dT^-1/dz at @p z (used by the relative loss). */
    double inverse_derivative(double z) const noexcept;

    /** @brief {"kind": "sqrt", "c": 1000.0}. */
    nlohmann::json to_json() const;
    /** @brief Reads to_json()'s output; errors name fields under @p path. */
    static TargetTransform from_json(const nlohmann::json& j, const std::string& path = "target_transform");

    /** @brief Same kind and same constant. */
    friend bool operator==(const TargetTransform& a, const TargetTransform& b) noexcept = default;

private:
    TargetKind m_kind = TargetKind::identity;
    double m_c = 1.0;
};

// ============================================================================
// MlpConfig
// ============================================================================

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

// ============================================================================
// Mlp
// ============================================================================

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

    /** @brief Bitwise equality of shapes, weights, activation and output map. */
    friend bool operator==(const Mlp& a, const Mlp& b) noexcept;

private:
    std::vector<MlpLayer> m_layers;
    MlpActivation m_activation = MlpActivation::relu;
    double m_output_offset = 0.0;
    double m_output_scale = 1.0;
};

// ============================================================================
// Training results
// ============================================================================

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

// ============================================================================
// Training
// ============================================================================

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

/// @name nlohmann::json hooks (found by ADL), so `json j = model;` and `j.get<T>()` work.
/// They forward to the types' to_json() and from_json().
/// @{
void to_json(nlohmann::json& j, const FeatureScaler& v);
void from_json(const nlohmann::json& j, FeatureScaler& v);
void to_json(nlohmann::json& j, const TargetTransform& v);
void from_json(const nlohmann::json& j, TargetTransform& v);
void to_json(nlohmann::json& j, const MlpConfig& v);
void from_json(const nlohmann::json& j, MlpConfig& v);
void to_json(nlohmann::json& j, const Mlp& v);
void from_json(const nlohmann::json& j, Mlp& v);
void to_json(nlohmann::json& j, const TrainedRegressor& v);
void from_json(const nlohmann::json& j, TrainedRegressor& v);
/// @}

// ============================================================================
// Implementation
// ============================================================================

namespace detail::mlp {

// ---------------------------------------------------------------------------
// Random numbers: splitmix64 seeding and xoshiro256**, identical everywhere.
// ---------------------------------------------------------------------------

/** @brief Advances @p state and returns the next splitmix64 output. */
inline std::uint64_t splitmix64(std::uint64_t& state) noexcept {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/** @brief An independent seed for sub-stream @p stream of @p seed. */
inline std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream) noexcept {
    std::uint64_t state = seed ^ (0xD1B54A32D192ED03ULL * (stream + 1));
    return splitmix64(state);
}

/** @brief xoshiro256** (Blackman & Vigna) with a portable uniform, bounded and normal draw. */
class Xoshiro256 {
public:
    /** @brief Seeds the four words from splitmix64(@p seed). */
    explicit Xoshiro256(std::uint64_t seed) noexcept {
        for (auto& word : m_s) word = splitmix64(seed);
    }

    /** @brief Next 64 random bits. */
    std::uint64_t next() noexcept {
        const std::uint64_t result = rotl(m_s[1] * 5, 7) * 9;
        const std::uint64_t t = m_s[1] << 17;
        m_s[2] ^= m_s[0];
        m_s[3] ^= m_s[1];
        m_s[1] ^= m_s[2];
        m_s[0] ^= m_s[3];
        m_s[2] ^= t;
        m_s[3] = rotl(m_s[3], 45);
        return result;
    }

    /** @brief Uniform in [0, 1) with 53 random bits. */
    double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

    /** @brief Uniform integer in [0, n), unbiased (rejection); n must be > 0. */
    std::uint64_t below(std::uint64_t n) noexcept {
        const std::uint64_t threshold = (0 - n) % n;  // 2^64 mod n
        for (;;) {
            const std::uint64_t r = next();
            if (r >= threshold) return r % n;
        }
    }

    /** @brief Standard normal via Box–Muller (pairs are cached). */
    double normal() noexcept {
        if (m_has_spare) {
            m_has_spare = false;
            return m_spare;
        }
        const double u1 = 1.0 - uniform();  // (0, 1]: log is finite
        const double u2 = uniform();
        const double radius = std::sqrt(-2.0 * std::log(u1));
        const double angle = 2.0 * std::numbers::pi * u2;
        m_spare = radius * std::sin(angle);
        m_has_spare = true;
        return radius * std::cos(angle);
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }

    std::array<std::uint64_t, 4> m_s{};
    double m_spare = 0.0;
    bool m_has_spare = false;
};

/** @brief Fisher–Yates shuffle driven by @p rng. */
inline void shuffle(std::vector<std::size_t>& v, Xoshiro256& rng) noexcept {
    for (std::size_t i = v.size(); i > 1; --i) {
        const auto j = static_cast<std::size_t>(rng.below(static_cast<std::uint64_t>(i)));
        std::swap(v[i - 1], v[j]);
    }
}

/** @brief Seed streams used by training. */
inline constexpr std::uint64_t k_stream_init = 1;
inline constexpr std::uint64_t k_stream_split = 2;
inline constexpr std::uint64_t k_stream_shuffle = 3;

// ---------------------------------------------------------------------------
// Dense algebra
// ---------------------------------------------------------------------------

/**
 * @brief C (m x n) = alpha * op(A) * op(B) + beta * C on row-major raw buffers, where
 * op(A) is m x k (A stored k x m when @p trans_a) and op(B) is k x n (B stored n x k
 * when @p trans_b). Dispatches to xt::blas::gemm (CBLAS).
 */
inline void gemm(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, double alpha, const double* a,
                 const double* b, double beta, double* c) {
    if (m == 0 || n == 0) return;
    if (k == 0) {
        for (std::size_t i = 0; i < m * n; ++i) c[i] = beta == 0.0 ? 0.0 : beta * c[i];
        return;
    }
    using shape2 = std::array<std::size_t, 2>;
    const auto A = xt::adapt(a, m * k, xt::no_ownership(), trans_a ? shape2{k, m} : shape2{m, k});
    const auto B = xt::adapt(b, k * n, xt::no_ownership(), trans_b ? shape2{n, k} : shape2{k, n});
    auto C = xt::adapt(c, m * n, xt::no_ownership(), shape2{m, n});
    xt::blas::gemm(A, B, C, trans_a, trans_b, alpha, beta);
}

// The kernels below are unrolled by 4 by hand so that GCC's -O2 (whose cheap vectoriser
// skips loops of unknown trip count) still emits SIMD code.

/** @brief y += a * x over @p n values (x and y must not overlap). */
inline void axpy(double a, const double* __restrict__ x, double* __restrict__ y, std::size_t n) noexcept {
    std::size_t j = 0;
    for (; j + 4 <= n; j += 4) {
        y[j] += a * x[j];
        y[j + 1] += a * x[j + 1];
        y[j + 2] += a * x[j + 2];
        y[j + 3] += a * x[j + 3];
    }
    for (; j < n; ++j) y[j] += a * x[j];
}

/**
 * @brief Calls f(i) for i in [0, n), four at a time, so that GCC's -O2 vectoriser
 * (which leaves loops of unknown trip count alone) can still pack the four calls into
 * SIMD instructions, and so that simple selects compile without branches.
 */
template <class F>
inline void for_each_index(std::size_t n, F&& f) noexcept {
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        f(i);
        f(i + 1);
        f(i + 2);
        f(i + 3);
    }
    for (; i < n; ++i) f(i);
}

/** @brief act(x) for one value (the slow path: libm calls), as core/mlp_kinds.hpp defines it. */
inline double activate_one(MlpActivation activation, double x) noexcept {
    return perfcast::detail::activate<perfcast::detail::std_math>(activation, x);
}

/**
 * @brief a = act(z) elementwise over @p n values; a and z must not overlap.
 *
 * Kept out of line so the restrict qualifiers survive: inlined, GCC loses them and
 * the unrolled ReLU falls back to branches, which mispredict on random signs.
 */
[[gnu::noinline]] inline void activate(MlpActivation activation, const double* __restrict__ z, double* __restrict__ a,
                                       std::size_t n) noexcept {
    if (activation == MlpActivation::relu) {
        // Unrolled and restrict-qualified: packed and branch-free at -O2.
        for_each_index(n, [&](std::size_t i) { a[i] = std::max(z[i], 0.0); });
        return;
    }
    for (std::size_t i = 0; i < n; ++i) a[i] = activate_one(activation, z[i]);
}

/** @brief v = act(v) elementwise over @p n values (out of line, as activate()). */
[[gnu::noinline]] inline void activate_in_place(MlpActivation activation, double* v, std::size_t n) noexcept {
    if (activation == MlpActivation::relu) {
        for_each_index(n, [&](std::size_t i) { v[i] = std::max(v[i], 0.0); });
        return;
    }
    for (std::size_t i = 0; i < n; ++i) v[i] = activate_one(activation, v[i]);
}

/**
 * @brief out[k] = init[k] + sum over p of in[idx[p]] * w[idx[p] * stride + k], k in [0, B): a
 * block of B outputs kept in registers over all the listed inputs (one load of each weight, no
 * stores until the end), then ReLU'd when @p relu is set. @p init may be @p out. Inlined into the
 * forward passes below, so it is compiled for each instruction set they target.
 */
template <std::size_t B>
[[gnu::always_inline]] inline void gather_block(const double* __restrict__ in, const std::uint32_t* __restrict__ idx,
                                                std::size_t count, const double* __restrict__ w, std::size_t stride,
                                                const double* init, bool relu, double* out) noexcept {
    double acc[B];
    for (std::size_t k = 0; k < B; ++k) acc[k] = init[k];
    for (std::size_t p = 0; p < count; ++p) {
        const std::size_t i = idx[p];
        const double x = in[i];
        const double* row = w + i * stride;
        for (std::size_t k = 0; k < B; ++k) acc[k] += x * row[k];
    }
    if (relu)
        for (std::size_t k = 0; k < B; ++k) acc[k] = acc[k] > 0.0 ? acc[k] : 0.0;
    for (std::size_t k = 0; k < B; ++k) out[k] = acc[k];
}

/** @brief One dense layer for the single-row forward pass: o = act(b + x W). */
struct RowLayer {
    const double* w;     ///< n_in x n_out, row-major
    const double* bias;  ///< n_out
    std::size_t n_in, n_out;
    bool relu;                 ///< apply ReLU to the outputs (a hidden layer of a ReLU network)
    MlpActivation activation;  ///< else, for a hidden layer, this activation (out of line)
    bool hidden;               ///< not the output layer
};

/**
 * @brief One layer of one row, in blocks of 16, 8, 4 and 1 outputs. Inputs exactly 0 (about
 * half, after ReLU) are left out of the sums: their indices are compacted first without
 * branches, since branching on them mispredicts; 256 at a time, so no scratch is needed.
 */
[[gnu::always_inline]] inline void forward_row_layer(const RowLayer& L, const double* __restrict__ in,
                                                     double* __restrict__ out) noexcept {
    std::array<std::uint32_t, 256> idx;
    if (L.n_in == 0) std::copy(L.bias, L.bias + L.n_out, out);
    for (std::size_t base = 0; base < L.n_in; base += idx.size()) {
        const std::size_t end = std::min(L.n_in, base + idx.size());
        std::size_t count = 0;
        for (std::size_t i = base; i < end; ++i) {  // branch-free compaction
            idx[count] = static_cast<std::uint32_t>(i);
            count += in[i] != 0.0 ? 1 : 0;
        }
        const double* init = base == 0 ? L.bias : out;
        const bool relu = L.relu && L.hidden && end == L.n_in;
        const std::size_t n = L.n_out;
        std::size_t o = 0;
        for (; o + 16 <= n; o += 16) gather_block<16>(in, idx.data(), count, L.w + o, n, init + o, relu, out + o);
        for (; o + 8 <= n; o += 8) gather_block<8>(in, idx.data(), count, L.w + o, n, init + o, relu, out + o);
        for (; o + 4 <= n; o += 4) gather_block<4>(in, idx.data(), count, L.w + o, n, init + o, relu, out + o);
        for (; o < n; ++o) gather_block<1>(in, idx.data(), count, L.w + o, n, init + o, relu, out + o);
    }
}

/** @brief forward_row_layer() compiled for the build's instruction set. */
inline void forward_row_layer_generic(const RowLayer& L, const double* __restrict__ in,
                                      double* __restrict__ out) noexcept {
    forward_row_layer(L, in, out);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define PERFCAST_MLP_X86_DISPATCH 1
/** @brief forward_row_layer() compiled for AVX2 with FMA, chosen at run time when the CPU has them. */
[[gnu::target("avx2,fma")]] inline void forward_row_layer_avx2(const RowLayer& L, const double* __restrict__ in,
                                                               double* __restrict__ out) noexcept {
    forward_row_layer(L, in, out);
}

/** @brief Whether this CPU runs AVX2 and FMA (asked once). */
inline bool cpu_has_avx2_fma() noexcept {
    static const bool has = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }();
    return has;
}
#endif

/** @brief One layer of one row with the best instruction set this CPU runs, then its activation. */
inline void forward_row_step(const RowLayer& L, const double* __restrict__ in, double* __restrict__ out) noexcept {
#ifdef PERFCAST_MLP_X86_DISPATCH
    if (cpu_has_avx2_fma())
        forward_row_layer_avx2(L, in, out);
    else
        forward_row_layer_generic(L, in, out);
#else
    forward_row_layer_generic(L, in, out);
#endif
    if (L.hidden && !L.relu) activate_in_place(L.activation, out, L.n_out);
}

/**
 * @brief delta *= act'(z) elementwise, with a = act(z) already computed; delta must
 * not overlap z or a. Out of line, as activate().
 */
[[gnu::noinline]] inline void multiply_by_derivative(MlpActivation activation, const double* __restrict__ z,
                                                     const double* __restrict__ a, double* __restrict__ delta,
                                                     std::size_t n) noexcept {
    switch (activation) {
        case MlpActivation::relu:
            for_each_index(n, [&](std::size_t i) {
                const double d = delta[i];  // loaded unconditionally, so the select packs
                delta[i] = z[i] > 0.0 ? d : 0.0;
            });
            return;
        case MlpActivation::tanh: for_each_index(n, [&](std::size_t i) { delta[i] *= 1.0 - a[i] * a[i]; }); return;
        case MlpActivation::silu:
            for (std::size_t i = 0; i < n; ++i) {
                const double s = 1.0 / (1.0 + std::exp(-z[i]));
                delta[i] *= s * (1.0 + z[i] * (1.0 - s));
            }
            return;
        case MlpActivation::gelu:
            for (std::size_t i = 0; i < n; ++i) {
                const double x = z[i];
                const double th = std::tanh(gelu_scale * (x + gelu_cubic * x * x * x));
                const double du = gelu_scale * (1.0 + 3.0 * gelu_cubic * x * x);
                delta[i] *= 0.5 * (1.0 + th) + 0.5 * x * (1.0 - th * th) * du;
            }
            return;
    }
}

// ---------------------------------------------------------------------------
// Losses
// ---------------------------------------------------------------------------

/**
 * @brief The factor between the reported loss and the objective whose gradient
 * training follows: mse is optimised in standardised target units (divided by
 * output_scale^2) so gradient sizes do not depend on the target's scale.
 */
inline double objective_factor(MlpLoss loss, double output_scale) noexcept {
    return loss == MlpLoss::mse ? 1.0 / (output_scale * output_scale) : 1.0;
}

/**
 * @brief Loss of @p rows network outputs @p o (before the output map).
 *
 * @param z transformed targets (used by mse)
 * @param t original targets (used by relative)
 * @param grad if not null, receives d(objective)/d(o) for a mean over @p divisor rows
 * @return the sum over rows of the per-row loss (reported units)
 */
inline double loss_rows(MlpLoss loss, const TargetTransform& transform, double offset, double scale, const double* o,
                        const double* z, const double* t, std::size_t rows, double* grad, double divisor) noexcept {
    double sum = 0.0;
    if (loss == MlpLoss::mse) {
        for (std::size_t r = 0; r < rows; ++r) {
            const double e = offset + scale * o[r] - z[r];
            sum += e * e;
            if (grad != nullptr) grad[r] = 2.0 * e / (scale * divisor);
        }
    } else {
        for (std::size_t r = 0; r < rows; ++r) {
            const double z_hat = offset + scale * o[r];
            const double rel = (transform.inverse(z_hat) - t[r]) / t[r];
            sum += rel * rel;
            if (grad != nullptr) grad[r] = 2.0 * rel / t[r] * transform.inverse_derivative(z_hat) * scale / divisor;
        }
    }
    return sum;
}

// ---------------------------------------------------------------------------
// Batched forward / backward
// ---------------------------------------------------------------------------

/**
 * @brief Buffers and passes for batched forward and backward propagation of an Mlp
 * over up to max_rows rows. Holds pre-activations and activations of every layer and,
 * after backward(), the gradients of every weight and bias.
 */
class Backprop {
public:
    /** @brief Buffers for @p net (shapes only) and up to @p max_rows rows per pass. */
    Backprop(const Mlp& net, std::size_t max_rows) : m_max_rows(max_rows) {
        const auto& layers = net.layers();
        m_z.resize(layers.size());
        m_a.resize(layers.size());
        m_grad_w.reserve(layers.size());
        m_grad_b.reserve(layers.size());
        std::size_t widest = 1;
        for (std::size_t l = 0; l < layers.size(); ++l) {
            const std::size_t out = layers[l].outputs();
            widest = std::max(widest, std::max(out, layers[l].inputs()));
            m_z[l].assign(max_rows * out, 0.0);
            if (l + 1 < layers.size()) m_a[l].assign(max_rows * out, 0.0);
            m_grad_w.emplace_back(std::array<std::size_t, 2>{layers[l].inputs(), out}, 0.0);
            m_grad_b.emplace_back(std::array<std::size_t, 1>{out}, 0.0);
        }
        m_delta.assign(max_rows * widest, 0.0);
        m_delta_prev.assign(max_rows * widest, 0.0);
    }

    /** @brief Rows a pass can take. */
    std::size_t max_rows() const noexcept { return m_max_rows; }

    /**
     * @brief Forward pass over @p rows contiguous rows of @p x (row-major, net's input
     * width); returns the @p rows raw outputs (before the output map).
     */
    const double* forward(const Mlp& net, const double* x, std::size_t rows) {
        const auto& layers = net.layers();
        const double* in = x;
        for (std::size_t l = 0; l < layers.size(); ++l) {
            const MlpLayer& layer = layers[l];
            const std::size_t n_in = layer.inputs();
            const std::size_t n_out = layer.outputs();
            double* z = m_z[l].data();
            const double* bias = layer.bias.data();
            for (std::size_t r = 0; r < rows; ++r) std::copy(bias, bias + n_out, z + r * n_out);
            gemm(false, false, rows, n_out, n_in, 1.0, in, layer.weights.data(), 1.0, z);
            if (l + 1 < layers.size()) {
                activate(net.activation(), z, m_a[l].data(), rows * n_out);
                in = m_a[l].data();
            } else {
                in = z;
            }
        }
        return in;
    }

    /**
     * @brief Backward pass after forward() on the same @p x and @p rows: fills the
     * gradients from @p d_output, the objective's derivative for each raw output.
     */
    void backward(const Mlp& net, const double* x, std::size_t rows, const double* d_output) {
        const auto& layers = net.layers();
        std::copy(d_output, d_output + rows, m_delta.data());
        for (std::size_t l = layers.size(); l-- > 0;) {
            const MlpLayer& layer = layers[l];
            const std::size_t n_in = layer.inputs();
            const std::size_t n_out = layer.outputs();
            const double* in = l == 0 ? x : m_a[l - 1].data();
            const double* delta = m_delta.data();
            // dW = in^T * delta; db = column sums of delta
            gemm(true, false, n_in, n_out, rows, 1.0, in, delta, 0.0, m_grad_w[l].data());
            double* gb = m_grad_b[l].data();
            std::fill(gb, gb + n_out, 0.0);
            for (std::size_t r = 0; r < rows; ++r) axpy(1.0, delta + r * n_out, gb, n_out);
            if (l == 0) break;
            // delta_prev = (delta * W^T) .* act'(z_prev)
            gemm(false, true, rows, n_in, n_out, 1.0, delta, layer.weights.data(), 0.0, m_delta_prev.data());
            multiply_by_derivative(net.activation(), m_z[l - 1].data(), m_a[l - 1].data(), m_delta_prev.data(),
                                   rows * n_in);
            std::swap(m_delta, m_delta_prev);
        }
    }

    /** @brief Weight gradients from the last backward(), per layer. */
    const std::vector<xt::xtensor<double, 2>>& grad_weights() const noexcept { return m_grad_w; }
    /** @brief Bias gradients from the last backward(), per layer. */
    const std::vector<xt::xtensor<double, 1>>& grad_biases() const noexcept { return m_grad_b; }
    /** @brief Mutable gradients (for clipping). */
    std::vector<xt::xtensor<double, 2>>& grad_weights() noexcept { return m_grad_w; }
    /** @brief Mutable gradients (for clipping). */
    std::vector<xt::xtensor<double, 1>>& grad_biases() noexcept { return m_grad_b; }

private:
    std::size_t m_max_rows = 0;
    std::vector<std::vector<double>> m_z;  // pre-activations per layer
    std::vector<std::vector<double>> m_a;  // activations per hidden layer
    std::vector<double> m_delta;           // d objective / d z of the current layer
    std::vector<double> m_delta_prev;      // the same for the layer below
    std::vector<xt::xtensor<double, 2>> m_grad_w;
    std::vector<xt::xtensor<double, 1>> m_grad_b;
};

// ---------------------------------------------------------------------------
// AdamW
// ---------------------------------------------------------------------------

/** @brief AdamW moments for every parameter of an Mlp. */
class AdamW {
public:
    /** @brief Zero moments shaped like @p net. */
    explicit AdamW(const Mlp& net) {
        for (const MlpLayer& layer : net.layers()) {
            m_mw.emplace_back(layer.weights.shape(), 0.0);
            m_vw.emplace_back(layer.weights.shape(), 0.0);
            m_mb.emplace_back(layer.bias.shape(), 0.0);
            m_vb.emplace_back(layer.bias.shape(), 0.0);
        }
    }

    /** @brief One step with learning rate @p lr on the gradients in @p grads. */
    void step(Mlp& net, const Backprop& grads, double lr, const MlpConfig& config) {
        ++m_step;
        const double step_count = static_cast<double>(m_step);
        const double bc1 = 1.0 - std::pow(config.adam_beta1, step_count);
        const double bc2 = 1.0 - std::pow(config.adam_beta2, step_count);
        const double decay = 1.0 - lr * config.weight_decay;
        auto layers = net.layers();
        for (std::size_t l = 0; l < layers.size(); ++l) {
            update(layers[l].weights.data(), grads.grad_weights()[l].data(), m_mw[l].data(), m_vw[l].data(),
                   layers[l].weights.size(), lr, bc1, bc2, decay, config);
            update(layers[l].bias.data(), grads.grad_biases()[l].data(), m_mb[l].data(), m_vb[l].data(),
                   layers[l].bias.size(), lr, bc1, bc2, 1.0, config);
        }
    }

private:
    static void update(double* __restrict__ p, const double* __restrict__ g, double* __restrict__ m,
                       double* __restrict__ v, std::size_t n, double lr, double bc1, double bc2, double decay,
                       const MlpConfig& config) noexcept {
        const double b1 = config.adam_beta1;
        const double b2 = config.adam_beta2;
        const double eps = config.adam_epsilon;
        detail::mlp::for_each_index(n, [&](std::size_t i) {
            m[i] = b1 * m[i] + (1.0 - b1) * g[i];
            v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
            const double m_hat = m[i] / bc1;
            const double v_hat = v[i] / bc2;
            p[i] = p[i] * decay - lr * m_hat / (std::sqrt(v_hat) + eps);
        });
    }

    std::vector<xt::xtensor<double, 2>> m_mw, m_vw;
    std::vector<xt::xtensor<double, 1>> m_mb, m_vb;
    std::size_t m_step = 0;
};

/** @brief Scales all gradients so their global L2 norm is at most @p max_norm (> 0). */
inline void clip_gradients(Backprop& grads, double max_norm) noexcept {
    double sq = 0.0;
    for (const auto& g : grads.grad_weights())
        for (const double v : g) sq += v * v;
    for (const auto& g : grads.grad_biases())
        for (const double v : g) sq += v * v;
    const double norm = std::sqrt(sq);
    if (!(norm > max_norm)) return;
    const double factor = max_norm / norm;
    for (auto& g : grads.grad_weights()) g *= factor;
    for (auto& g : grads.grad_biases()) g *= factor;
}

// ---------------------------------------------------------------------------
// JSON reading with field paths
// ---------------------------------------------------------------------------

/** @brief "path.key", or "key" when path is empty. */
inline std::string join_path(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
}

/** @brief "path[i]". */
inline std::string index_path(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

/** @brief The JSON type name for messages. */
inline std::string json_type(const nlohmann::json& j) { return j.type_name(); }

/** @brief Throws unless @p j is an object. */
inline void expect_object(const nlohmann::json& j, const std::string& path) {
    if (!j.is_object()) throw error(path, "expected an object, got " + json_type(j));
}

/** @brief The member @p key of object @p j; throws "path.key: missing" if absent. */
inline const nlohmann::json& member(const nlohmann::json& j, std::string_view key, const std::string& path) {
    const auto it = j.find(key);
    if (it == j.end()) throw error(join_path(path, key), "missing");
    return *it;
}

/** @brief Throws naming the first member of @p j not in @p known. */
inline void reject_unknown(const nlohmann::json& j, std::initializer_list<std::string_view> known,
                           const std::string& path) {
    for (auto it = j.begin(); it != j.end(); ++it) {
        if (std::find(known.begin(), known.end(), std::string_view(it.key())) == known.end())
            throw error(join_path(path, it.key()), "unknown field");
    }
}

/** @brief A number; null reads as NaN when @p allow_null. */
inline double read_number(const nlohmann::json& j, const std::string& path, bool allow_null = false) {
    if (allow_null && j.is_null()) return std::numeric_limits<double>::quiet_NaN();
    if (!j.is_number()) throw error(path, "expected a number, got " + json_type(j));
    return j.get<double>();
}

/** @brief A finite number. */
inline double read_finite(const nlohmann::json& j, const std::string& path) {
    const double v = read_number(j, path);
    if (!std::isfinite(v)) throw error(path, "expected a finite number");
    return v;
}

/** @brief A non-negative integer. */
inline std::uint64_t read_unsigned(const nlohmann::json& j, const std::string& path) {
    if (j.is_number_unsigned()) return j.get<std::uint64_t>();
    if (j.is_number_integer()) {  // a signed integer (e.g. built from an int in C++)
        const std::int64_t v = j.get<std::int64_t>();
        if (v < 0) throw error(path, "expected a non-negative integer, got " + j.dump());
        return static_cast<std::uint64_t>(v);
    }
    throw error(path, "expected a non-negative integer, got " + json_type(j));
}

/** @brief A size_t. */
inline std::size_t read_size(const nlohmann::json& j, const std::string& path) {
    const std::uint64_t v = read_unsigned(j, path);
    if constexpr (sizeof(std::size_t) < sizeof(std::uint64_t)) {
        if (v > std::numeric_limits<std::size_t>::max()) throw error(path, "value too large");
    }
    return static_cast<std::size_t>(v);
}

/** @brief A string. */
inline std::string read_string(const nlohmann::json& j, const std::string& path) {
    if (!j.is_string()) throw error(path, "expected a string, got " + json_type(j));
    return j.get<std::string>();
}

/** @brief An array of finite numbers of exactly @p expected elements (@p shape_text describes it). */
inline void read_finite_array(const nlohmann::json& j, const std::string& path, std::size_t expected,
                              const std::string& shape_text, double* out) {
    if (!j.is_array()) throw error(path, "expected an array of " + shape_text + " numbers, got " + json_type(j));
    if (j.size() != expected) throw error(path, "expected " + shape_text + " values, got " + std::to_string(j.size()));
    for (std::size_t i = 0; i < expected; ++i) out[i] = read_finite(j[i], index_path(path, i));
}

/** @brief Writes a tensor's values as a flat JSON array. */
template <class Tensor>
nlohmann::json flat_array(const Tensor& t) {
    nlohmann::json a = nlohmann::json::array();
    a.get_ref<nlohmann::json::array_t&>().reserve(t.size());
    for (const double v : t) a.push_back(v);
    return a;
}

/** @brief A JSON number, or null for NaN/infinity (JSON has no non-finite numbers). */
inline nlohmann::json number_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

/** @brief Both NaN, or equal. */
inline bool same_number(double a, double b) noexcept { return (std::isnan(a) && std::isnan(b)) || a == b; }

/** @brief Bitwise-equal tensors of equal shape. */
template <class Tensor>
bool same_tensor(const Tensor& a, const Tensor& b) noexcept {
    if (a.shape() != b.shape()) return false;
    return std::equal(a.begin(), a.end(), b.begin());
}

/** @brief Whether every member of container @p j is a scalar or an array of scalars. */
inline bool is_flat(const nlohmann::json& j) {
    const auto scalar = [](const nlohmann::json& e) { return e.is_primitive(); };
    return std::all_of(j.begin(), j.end(), [&](const nlohmann::json& v) {
        return v.is_primitive() || (v.is_array() && std::all_of(v.begin(), v.end(), scalar));
    });
}

/**
 * @brief Appends @p j to @p out: containers that are flat (is_flat()) on one line,
 * others with one member per line, indented by two spaces per level.
 */
inline void write_json(const nlohmann::json& j, std::size_t depth, std::string& out) {
    if (!j.is_structured() || j.empty() || is_flat(j)) {
        out += j.dump();
        return;
    }
    const bool object = j.is_object();
    const std::string pad(2 * (depth + 1), ' ');
    out += object ? "{\n" : "[\n";
    for (auto it = j.begin(); it != j.end(); ++it) {
        if (it != j.begin()) out += ",\n";
        out += pad;
        if (object) out += nlohmann::json(it.key()).dump() + ": ";
        write_json(*it, depth + 1, out);
    }
    out += "\n" + std::string(2 * depth, ' ') + (object ? "}" : "]");
}

/** @brief The steps of a field path such as "mlp.layers[2].weights[5]". */
inline std::vector<perfcast::detail::json_step> field_steps(std::string_view field) {
    std::vector<perfcast::detail::json_step> steps;
    std::string key;
    auto flush = [&] {
        if (!key.empty()) steps.emplace_back(std::move(key));
        key.clear();
    };
    for (std::size_t i = 0; i < field.size(); ++i) {
        const char c = field[i];
        if (c == '.') {
            flush();
        } else if (c == '[') {
            flush();
            std::size_t index = 0;
            for (++i; i < field.size() && field[i] >= '0' && field[i] <= '9'; ++i)
                index = index * 10 + static_cast<std::size_t>(field[i] - '0');
            steps.emplace_back(index);  // i is at ']'
        } else {
            key += c;
        }
    }
    flush();
    return steps;
}

/**
 * @brief Reads and parses @p file and hands the JSON to @p parse; a perfcast::error
 * from @p parse gets the file and the line of its field.
 */
template <class Parse>
auto load_json_file(const std::string& file, Parse&& parse) {
    const std::string text = perfcast::detail::read_file(file);
    const nlohmann::json j = perfcast::detail::parse_json(text, file);
    try {
        return parse(j);
    } catch (const error& e) {
        if (!e.where().file.empty()) throw;
        perfcast::detail::json_locator locator(text);
        throw e.at(source_location{file, locator.line_of(field_steps(e.field())), 0});
    }
}

/** @brief Parses @p name against the names of @p values (via to_string). */
template <class Enum, std::size_t N>
Enum parse_enum(std::string_view name, const std::array<Enum, N>& values, const std::string& field) {
    std::string options;
    for (const Enum v : values) {
        if (to_string(v) == name) return v;
        if (!options.empty()) options += ", ";
        options += std::string(to_string(v));
    }
    throw error(field, "unknown value \"" + std::string(name) + "\" (expected one of: " + options + ")");
}

}  // namespace detail::mlp

// ---------------------------------------------------------------------------
// Enum names
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// FeatureScaler
// ---------------------------------------------------------------------------

inline FeatureScaler::FeatureScaler(xt::xtensor<double, 1> mean, xt::xtensor<double, 1> stddev)
    : m_mean(std::move(mean)), m_std(std::move(stddev)) {
    if (m_mean.size() != m_std.size())
        throw error("scaler.std", "expected " + std::to_string(m_mean.size()) + " values (one per mean), got " +
                                      std::to_string(m_std.size()));
    for (std::size_t i = 0; i < m_mean.size(); ++i) {
        if (!std::isfinite(m_mean(i))) throw error(detail::mlp::index_path("scaler.mean", i), "not finite");
        if (!(std::isfinite(m_std(i)) && m_std(i) > 0.0))
            throw error(detail::mlp::index_path("scaler.std", i), "expected a finite number > 0");
    }
}

inline void FeatureScaler::fit(const xt::xtensor<double, 2>& X) {
    std::vector<std::size_t> rows(X.shape()[0]);
    for (std::size_t r = 0; r < rows.size(); ++r) rows[r] = r;
    fit(X, rows);
}

inline void FeatureScaler::fit(const xt::xtensor<double, 2>& X, std::span<const std::size_t> rows) {
    const std::size_t n_rows = X.shape()[0];
    const std::size_t cols = X.shape()[1];
    if (rows.empty()) throw error("X", "cannot fit a scaler on zero rows");
    for (const std::size_t r : rows)
        if (r >= n_rows) throw error("rows", "row " + std::to_string(r) + " out of range");
    xt::xtensor<double, 1> mean(std::array<std::size_t, 1>{cols}, 0.0);
    xt::xtensor<double, 1> sd(std::array<std::size_t, 1>{cols}, 0.0);
    const double n = static_cast<double>(rows.size());
    const double* data = X.data();
    // Two passes: the mean, then the mean squared deviation (stable for large offsets).
    for (const std::size_t r : rows)
        for (std::size_t c = 0; c < cols; ++c) mean(c) += data[r * cols + c];
    for (std::size_t c = 0; c < cols; ++c) mean(c) /= n;
    for (const std::size_t r : rows)
        for (std::size_t c = 0; c < cols; ++c) {
            const double d = data[r * cols + c] - mean(c);
            sd(c) += d * d;
        }
    for (std::size_t c = 0; c < cols; ++c) {
        if (!std::isfinite(mean(c)) || !std::isfinite(sd(c)))
            throw error("X", "column " + std::to_string(c) + " has values that are not finite (or overflow)");
        const double s = std::sqrt(sd(c) / n);
        sd(c) = (s > 0.0 && s > 1e-12 * std::abs(mean(c))) ? s : 1.0;
    }
    m_mean = std::move(mean);
    m_std = std::move(sd);
}

inline xt::xtensor<double, 2> FeatureScaler::transform(const xt::xtensor<double, 2>& X) const {
    const std::size_t rows = X.shape()[0];
    const std::size_t cols = X.shape()[1];
    if (cols != size())
        throw error("X", "expected " + std::to_string(size()) + " columns, got " + std::to_string(cols));
    xt::xtensor<double, 2> out(X.shape());
    const double* in = X.data();
    double* o = out.data();
    const double* mean = m_mean.data();
    const double* sd = m_std.data();
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t c = 0; c < cols; ++c) o[r * cols + c] = (in[r * cols + c] - mean[c]) / sd[c];
    return out;
}

inline void FeatureScaler::transform_row(std::span<const double> in, std::span<double> out) const {
    const std::size_t n = size();
    if (in.size() != n)
        throw error("x", "expected " + std::to_string(n) + " features, got " + std::to_string(in.size()));
    if (out.size() < n) throw error("scratch", "too small");
    const double* mean = m_mean.data();
    const double* sd = m_std.data();
    for (std::size_t c = 0; c < n; ++c) out[c] = (in[c] - mean[c]) / sd[c];
}

inline nlohmann::json FeatureScaler::to_json() const {
    return {{"mean", detail::mlp::flat_array(m_mean)}, {"std", detail::mlp::flat_array(m_std)}};
}

inline FeatureScaler FeatureScaler::from_json(const nlohmann::json& j, const std::string& path) {
    detail::mlp::expect_object(j, path);
    detail::mlp::reject_unknown(j, {"mean", "std"}, path);
    const auto& jm = detail::mlp::member(j, "mean", path);
    const std::string mean_path = detail::mlp::join_path(path, "mean");
    if (!jm.is_array()) throw error(mean_path, "expected an array of numbers, got " + detail::mlp::json_type(jm));
    const std::size_t n = jm.size();
    xt::xtensor<double, 1> mean(std::array<std::size_t, 1>{n}, 0.0);
    xt::xtensor<double, 1> sd(std::array<std::size_t, 1>{n}, 0.0);
    const std::string count = std::to_string(n);
    detail::mlp::read_finite_array(jm, mean_path, n, count, mean.data());
    detail::mlp::read_finite_array(detail::mlp::member(j, "std", path), detail::mlp::join_path(path, "std"), n, count,
                                   sd.data());
    for (std::size_t i = 0; i < n; ++i)
        if (!(sd(i) > 0.0))
            throw error(detail::mlp::index_path(detail::mlp::join_path(path, "std"), i), "expected > 0");
    return FeatureScaler(std::move(mean), std::move(sd));
}

inline bool operator==(const FeatureScaler& a, const FeatureScaler& b) noexcept {
    return detail::mlp::same_tensor(a.m_mean, b.m_mean) && detail::mlp::same_tensor(a.m_std, b.m_std);
}

// ---------------------------------------------------------------------------
// TargetTransform
// ---------------------------------------------------------------------------

inline TargetTransform::TargetTransform(TargetKind kind, double c) : m_kind(kind), m_c(1.0) {
    if (kind == TargetKind::sqrt) {
        if (!(std::isfinite(c) && c > 0.0))
            throw error("target_transform.c", "expected a finite number > 0, got " + std::to_string(c));
        m_c = c;
    }
}

inline bool TargetTransform::accepts(double t) const noexcept {
    if (!std::isfinite(t)) return false;
    switch (m_kind) {
        case TargetKind::identity: return true;
        case TargetKind::sqrt: return t >= 0.0;
        case TargetKind::log: return t > 0.0;
    }
    return false;
}

inline double TargetTransform::forward(double t) const {
    if (!accepts(t)) {
        const char* need = m_kind == TargetKind::log    ? "a finite t > 0"
                           : m_kind == TargetKind::sqrt ? "a finite t >= 0"
                                                        : "a finite t";
        throw error("target",
                    std::string(to_string(m_kind)) + " transform needs " + need + ", got " + std::to_string(t));
    }
    switch (m_kind) {
        case TargetKind::identity: return t;
        case TargetKind::sqrt: return std::sqrt(m_c * t);
        case TargetKind::log: return std::log(t);
    }
    return t;
}

inline double TargetTransform::inverse(double z) const noexcept {
    return perfcast::detail::inverse_target<perfcast::detail::std_math>(m_kind, m_c, z);
}

inline double TargetTransform::inverse_derivative(double z) const noexcept {
    switch (m_kind) {
        case TargetKind::identity: return 1.0;
        case TargetKind::sqrt: return 2.0 * std::abs(z) / m_c;
        case TargetKind::log: return std::exp(z);
    }
    return 1.0;
}

inline nlohmann::json TargetTransform::to_json() const {
    nlohmann::json j{{"kind", std::string(perfcast::to_string(m_kind))}};
    if (m_kind == TargetKind::sqrt) j["c"] = m_c;
    return j;
}

inline TargetTransform TargetTransform::from_json(const nlohmann::json& j, const std::string& path) {
    detail::mlp::expect_object(j, path);
    detail::mlp::reject_unknown(j, {"kind", "c"}, path);
    const std::string kind_path = detail::mlp::join_path(path, "kind");
    const TargetKind kind =
        parse_target_kind(detail::mlp::read_string(detail::mlp::member(j, "kind", path), kind_path), kind_path);
    if (kind != TargetKind::sqrt) {
        if (j.contains("c")) throw error(detail::mlp::join_path(path, "c"), "only the sqrt transform takes a constant");
        return TargetTransform(kind);
    }
    const std::string c_path = detail::mlp::join_path(path, "c");
    const double c = detail::mlp::read_number(detail::mlp::member(j, "c", path), c_path);
    if (!(std::isfinite(c) && c > 0.0)) throw error(c_path, "expected a finite number > 0");
    return TargetTransform(kind, c);
}

// ---------------------------------------------------------------------------
// MlpConfig
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Mlp
// ---------------------------------------------------------------------------

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
    using detail::mlp::index_path;
    using detail::mlp::join_path;
    detail::mlp::expect_object(j, path);
    detail::mlp::reject_unknown(
        j, {"inputs", "activation", "output_offset", "output_scale", "weights_layout", "layers"}, path);
    Mlp net;
    const std::size_t inputs =
        detail::mlp::read_size(detail::mlp::member(j, "inputs", path), join_path(path, "inputs"));
    if (inputs == 0) throw error(join_path(path, "inputs"), "expected at least 1");
    net.m_activation = parse_mlp_activation(
        detail::mlp::read_string(detail::mlp::member(j, "activation", path), join_path(path, "activation")),
        join_path(path, "activation"));
    net.m_output_offset =
        detail::mlp::read_finite(detail::mlp::member(j, "output_offset", path), join_path(path, "output_offset"));
    net.m_output_scale =
        detail::mlp::read_finite(detail::mlp::member(j, "output_scale", path), join_path(path, "output_scale"));
    if (net.m_output_scale == 0.0) throw error(join_path(path, "output_scale"), "expected a non-zero number");
    if (j.contains("weights_layout")) {
        const std::string layout = detail::mlp::read_string(j["weights_layout"], join_path(path, "weights_layout"));
        if (layout != "row-major inputs x outputs")
            throw error(join_path(path, "weights_layout"), "unsupported layout \"" + layout + "\"");
    }
    const std::string layers_path = join_path(path, "layers");
    const auto& jl = detail::mlp::member(j, "layers", path);
    if (!jl.is_array()) throw error(layers_path, "expected an array of layers, got " + detail::mlp::json_type(jl));
    if (jl.empty()) throw error(layers_path, "expected at least one layer");
    std::size_t fan_in = inputs;
    for (std::size_t l = 0; l < jl.size(); ++l) {
        const std::string lp = index_path(layers_path, l);
        const auto& jlayer = jl[l];
        detail::mlp::expect_object(jlayer, lp);
        detail::mlp::reject_unknown(jlayer, {"inputs", "outputs", "weights", "bias"}, lp);
        const std::size_t in =
            detail::mlp::read_size(detail::mlp::member(jlayer, "inputs", lp), join_path(lp, "inputs"));
        const std::size_t out =
            detail::mlp::read_size(detail::mlp::member(jlayer, "outputs", lp), join_path(lp, "outputs"));
        if (in != fan_in)
            throw error(join_path(lp, "inputs"), "expected " + std::to_string(fan_in) +
                                                     " (the previous layer's outputs), got " + std::to_string(in));
        if (out == 0) throw error(join_path(lp, "outputs"), "expected at least 1");
        if (l + 1 == jl.size() && out != 1)
            throw error(join_path(lp, "outputs"), "the output layer must have 1 output, got " + std::to_string(out));
        MlpLayer layer{xt::xtensor<double, 2>(std::array<std::size_t, 2>{in, out}, 0.0),
                       xt::xtensor<double, 1>(std::array<std::size_t, 1>{out}, 0.0)};
        detail::mlp::read_finite_array(
            detail::mlp::member(jlayer, "weights", lp), join_path(lp, "weights"), in * out,
            std::to_string(in) + "x" + std::to_string(out) + " = " + std::to_string(in * out), layer.weights.data());
        detail::mlp::read_finite_array(detail::mlp::member(jlayer, "bias", lp), join_path(lp, "bias"), out,
                                       std::to_string(out), layer.bias.data());
        net.m_layers.push_back(std::move(layer));
        fan_in = out;
    }
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
// History
// ---------------------------------------------------------------------------

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
inline TrainingHistory history_from_json(const nlohmann::json& j, const std::string& path) {
    expect_object(j, path);
    reject_unknown(
        j, {"epochs", "best_epoch", "best_val_loss", "seconds", "train_rows", "validation_rows", "stop_reason"}, path);
    TrainingHistory h;
    const std::string epochs_path = join_path(path, "epochs");
    const auto& je = member(j, "epochs", path);
    if (!je.is_array()) throw error(epochs_path, "expected an array, got " + json_type(je));
    for (std::size_t i = 0; i < je.size(); ++i) {
        const std::string ep = index_path(epochs_path, i);
        expect_object(je[i], ep);
        reject_unknown(je[i],
                       {"epoch", "train_loss", "val_loss", "val_mean_relative_error", "learning_rate", "seconds"}, ep);
        EpochRecord r;
        r.epoch = read_size(member(je[i], "epoch", ep), join_path(ep, "epoch"));
        r.train_loss = read_number(member(je[i], "train_loss", ep), join_path(ep, "train_loss"), true);
        r.val_loss = read_number(member(je[i], "val_loss", ep), join_path(ep, "val_loss"), true);
        r.val_mean_relative_error =
            read_number(member(je[i], "val_mean_relative_error", ep), join_path(ep, "val_mean_relative_error"), true);
        r.learning_rate = read_number(member(je[i], "learning_rate", ep), join_path(ep, "learning_rate"));
        r.seconds = read_number(member(je[i], "seconds", ep), join_path(ep, "seconds"));
        h.epochs.push_back(r);
    }
    h.best_epoch = read_size(member(j, "best_epoch", path), join_path(path, "best_epoch"));
    if (h.best_epoch > h.epochs.size())
        throw error(join_path(path, "best_epoch"), "expected at most " + std::to_string(h.epochs.size()) +
                                                       " (the number of epochs), got " + std::to_string(h.best_epoch));
    h.best_val_loss = read_number(member(j, "best_val_loss", path), join_path(path, "best_val_loss"), true);
    h.seconds = read_number(member(j, "seconds", path), join_path(path, "seconds"));
    h.train_rows = read_size(member(j, "train_rows", path), join_path(path, "train_rows"));
    h.validation_rows = read_size(member(j, "validation_rows", path), join_path(path, "validation_rows"));
    h.stop_reason = parse_stop_reason(read_string(member(j, "stop_reason", path), join_path(path, "stop_reason")),
                                      join_path(path, "stop_reason"));
    return h;
}

/** @brief The format tag written at the top of a saved model. */
inline constexpr std::string_view k_model_format = "perfcast-mlp-regressor";
/** @brief The format version written (and the only one read). */
inline constexpr std::uint64_t k_model_version = 1;

}  // namespace detail::mlp

// ---------------------------------------------------------------------------
// TrainedRegressor
// ---------------------------------------------------------------------------

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
    using detail::mlp::join_path;
    using detail::mlp::member;
    detail::mlp::expect_object(j, path.empty() ? "model" : path);
    detail::mlp::reject_unknown(j, {"format", "version", "config", "scaler", "target_transform", "mlp", "history"},
                                path);
    const std::string format = detail::mlp::read_string(member(j, "format", path), join_path(path, "format"));
    if (format != detail::mlp::k_model_format)
        throw error(join_path(path, "format"),
                    "expected \"" + std::string(detail::mlp::k_model_format) + "\", got \"" + format + "\"");
    const std::uint64_t version = detail::mlp::read_unsigned(member(j, "version", path), join_path(path, "version"));
    if (version != detail::mlp::k_model_version)
        throw error(join_path(path, "version"), "unsupported version " + std::to_string(version) +
                                                    " (this build reads " +
                                                    std::to_string(detail::mlp::k_model_version) + ")");
    MlpConfig config = MlpConfig::from_json(member(j, "config", path), join_path(path, "config"));
    FeatureScaler scaler = FeatureScaler::from_json(member(j, "scaler", path), join_path(path, "scaler"));
    TargetTransform transform =
        TargetTransform::from_json(member(j, "target_transform", path), join_path(path, "target_transform"));
    Mlp mlp = Mlp::from_json(member(j, "mlp", path), join_path(path, "mlp"));
    TrainingHistory history = detail::mlp::history_from_json(member(j, "history", path), join_path(path, "history"));
    if (scaler.size() != mlp.input_size())
        throw error(join_path(path, "scaler.mean"), "has " + std::to_string(scaler.size()) +
                                                        " columns but the network takes " +
                                                        std::to_string(mlp.input_size()) + " inputs");
    return TrainedRegressor(std::move(scaler), transform, std::move(mlp), std::move(config), std::move(history));
}

inline std::string TrainedRegressor::to_json_text() const {
    std::string out;
    detail::mlp::write_json(to_json(), 0, out);
    out += '\n';
    return out;
}

inline void TrainedRegressor::save(const std::string& file) const {
    const std::string text = to_json_text();
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    if (!out) throw error(source_location{file, 0, 0}, "", "cannot open the file for writing");
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    if (!out) throw error(source_location{file, 0, 0}, "", "writing the file failed");
}

inline TrainedRegressor TrainedRegressor::load(const std::string& file) {
    return detail::mlp::load_json_file(file, [](const nlohmann::json& j) { return from_json(j); });
}

inline MlpConfig MlpConfig::load(const std::string& file) {
    return detail::mlp::load_json_file(file, [](const nlohmann::json& j) { return from_json(j, ""); });
}

// ---------------------------------------------------------------------------
// Training
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// nlohmann::json hooks
// ---------------------------------------------------------------------------

inline void to_json(nlohmann::json& j, const FeatureScaler& v) { j = v.to_json(); }
inline void from_json(const nlohmann::json& j, FeatureScaler& v) { v = FeatureScaler::from_json(j); }
inline void to_json(nlohmann::json& j, const TargetTransform& v) { j = v.to_json(); }
inline void from_json(const nlohmann::json& j, TargetTransform& v) { v = TargetTransform::from_json(j); }
inline void to_json(nlohmann::json& j, const MlpConfig& v) { j = v.to_json(); }
inline void from_json(const nlohmann::json& j, MlpConfig& v) { v = MlpConfig::from_json(j); }
inline void to_json(nlohmann::json& j, const Mlp& v) { j = v.to_json(); }
inline void from_json(const nlohmann::json& j, Mlp& v) { v = Mlp::from_json(j); }
inline void to_json(nlohmann::json& j, const TrainedRegressor& v) { j = v.to_json(); }
inline void from_json(const nlohmann::json& j, TrainedRegressor& v) { v = TrainedRegressor::from_json(j); }

}  // namespace perfcast
