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
 *
 * This header only gathers the parts, one concept each under mlp/:
 *
 *  - options.hpp: MlpActivation, MlpLoss, LrSchedule, TargetKind, StopReason, their names
 *    and parsers
 *  - target_transform.hpp, scaler.hpp, config.hpp: TargetTransform, FeatureScaler, MlpConfig
 *  - network.hpp: MlpLayer and Mlp; random.hpp (the initial weights' generator) and
 *    row_kernel.hpp (the single-row forward pass, with its AVX2 dispatch) serve it
 *  - backprop.hpp: batched forward and backward passes, gemm and the losses;
 *    activation.hpp holds the activations and their derivatives, unrolled.hpp the
 *    hand-unrolled loops
 *  - adamw.hpp: the optimiser and gradient clipping
 *  - history.hpp: EpochRecord, TrainingHistory and their JSON
 *  - regressor.hpp: TrainedRegressor
 *  - train.hpp: train_validation_split() and train_mlp()
 *  - json_write.hpp, field_path.hpp, equality.hpp: writing JSON, naming fields and
 *    comparing, shared by the parts. Reading JSON goes through detail/json.hpp's
 *    json_value, perfcast's one JSON reader (every from_json() and load() here)
 */
#pragma once

#include "mlp/options.hpp"           // MlpActivation, MlpLoss, LrSchedule, TargetKind, StopReason
#include "mlp/target_transform.hpp"  // TargetTransform
#include "mlp/scaler.hpp"            // FeatureScaler
#include "mlp/config.hpp"            // MlpConfig
#include "mlp/network.hpp"           // MlpLayer, Mlp (and backprop.hpp, which Mlp::predict runs)
#include "mlp/backprop.hpp"          // detail::mlp::Backprop, gemm, loss_rows
#include "mlp/adamw.hpp"             // detail::mlp::AdamW, clip_gradients
#include "mlp/history.hpp"           // EpochRecord, TrainingHistory
#include "mlp/regressor.hpp"         // TrainedRegressor
#include "mlp/train.hpp"             // ProgressCallback, TrainValidationSplit, train_validation_split, train_mlp
