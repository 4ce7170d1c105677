/**
 * @file compile_time.hpp
 * @brief Compile-time cost modelling: a network's (or a layer's) predicted time as a
 *        constant expression, from the learned model embedded in the library.
 *
 * @code
 * static_assert(perfcast::predict_us<perfcast::zoo::ResNet50<32>, perfcast::devices::h100_sxm>() < 20'000);
 * if constexpr (perfcast::predict_us<A, perfcast::devices::l4>() < perfcast::predict_us<B, perfcast::devices::l4>()) ...
 * @endcode
 *
 * The rules are the run-time predictor's (embedded::layer_time, walk_network): the embedded model
 * for the kinds it has a model for and the passes and precisions it was trained on, the roofline
 * for everything else. The default model is models/neusight-fp32.json (conv2d and dense, FP32
 * inference, trained on P4, P100, T4 and V100), embedded as
 * include/perfcast/core/models/neusight_fp32.hpp; pass another model made by `perfcast embed` as
 * the last template argument.
 *
 * Within GCC's default constexpr limits: ResNet-50 at batch 32 (53 learned convolutions, one
 * dense layer) adds about 1 s and 60 MB to a translation unit with g++ 12; layers that repeat
 * are evaluated once.
 */
#pragma once

#include <array>    // array
#include <cstddef>  // size_t

#include "constexpr_model.hpp"       // embedded::Model
#include "devices.hpp"               // Device
#include "layer_time.hpp"            // embedded::layer_time, step_time
#include "layers.hpp"                // Layer
#include "method.hpp"                // LayerTime
#include "models/neusight_fp32.hpp"  // models::neusight_fp32::model
#include "network.hpp"               // BackwardScope
#include "network_time.hpp"          // embedded::network_us
#include "target.hpp"                // Target
#include "types.hpp"                 // Pass, DType

namespace perfcast {

namespace embedded {

/** @brief The model compile-time predictions use unless told otherwise (models/neusight-fp32.json). */
inline constexpr const Model& default_model = models::neusight_fp32::model;

}  // namespace embedded

namespace detail {

/** @brief A Net<...> (it has `layers`) or a compile-time layer type (it has `params`). */
template <typename T>
concept compile_time_network = requires { T::layers; };
template <typename T>
concept compile_time_layer = requires { T::params; };

}  // namespace detail

/**
 * @brief Predicted time, in microseconds, of a compile-time network (`Net<...>`, `zoo::ResNet50<32>`)
 * or layer (`Conv2D<{...}>`), as a constant: the embedded learned model where it applies, the
 * roofline elsewhere (embedded::layer_time).
 * @tparam N      a Net<...> or a compile-time layer type
 * @tparam D      the device (`devices::h100_sxm`, or any `constexpr Device` with static storage)
 * @tparam P      inference (the forward phase) or training (forward and backward)
 * @tparam T      the precision
 * @tparam M      the embedded model (`perfcast embed`'s output)
 */
template <typename N, const Device& D, Pass P = Pass::inference, DType T = DType::fp32,
          const embedded::Model& M = models::neusight_fp32::model>
    requires detail::compile_time_network<N> || detail::compile_time_layer<N>
consteval double predict_us() {
    if constexpr (detail::compile_time_network<N>) {
        return embedded::network_us(M, N::layers, Target(D, P, T));
    } else {
        return embedded::layer_time(M, Layer{N::params}, Target(D, P, T)).us;
    }
}

/**
 * @brief Per-layer estimates of a compile-time network, as a constant array in the Net's
 * layer order (each says whether the learned model or the roofline made it).
 */
template <typename N, const Device& D, Pass P = Pass::inference, DType T = DType::fp32,
          const embedded::Model& M = models::neusight_fp32::model>
    requires detail::compile_time_network<N>
consteval std::array<LayerTime, N::layers.size()> predict_layers() {
    std::array<LayerTime, N::layers.size()> out{};
    BackwardScope scope;  // a training step runs no backward for the network's input
    const Target t(D, P, T);
    for (std::size_t i = 0; i < N::layers.size(); ++i)
        out[i] = step_time(embedded::detail::layer_time_by_value<embedded::constexpr_exec>(M, N::layers[i], t),
                           N::layers[i], t,
                           P == Pass::training ? scope.next(N::layers[i]) : Backward::full);
    return out;
}

}  // namespace perfcast
