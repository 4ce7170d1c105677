/**
 * @file network_time.hpp
 * @brief A network's time, the seed's T = sum of T(layer) (on a GPU each layer's kernels in a stream,
 *        in_stream_us), as one walk over its layers shared by the run-time estimate()
 *        (runtime/estimate.hpp) and the compile-time network_us().
 */
#pragma once

#include <cstddef>  // size_t
#include <cstdint>  // int64_t
#include <span>     // span

#include "analytical.hpp"       // PaleoOptions
#include "constexpr_model.hpp"  // embedded::Model
#include "inference.hpp"        // embedded::constexpr_exec
#include "layer_time.hpp"       // embedded::layer_time, step_time
#include "layers.hpp"           // Layer, NamedLayer
#include "method.hpp"           // LayerTime
#include "network.hpp"          // BackwardScope
#include "optimizer.hpp"        // Optimizer, update_kernels, for_each_parameter_tensor, update_kernel
#include "target.hpp"           // Target
#include "types.hpp"            // Backward, Pass

namespace perfcast {

constexpr const Layer& layer_of(const Layer& l) noexcept { return l; }
constexpr const Layer& layer_of(const NamedLayer& l) noexcept { return l.layer; }

/**
 * @brief Walks a network's time in execution order: every layer (asking `ask(layer, target)` for its
 * time in the whole pass, then `step_time` for the part of its backward it runs: autograd computes
 * no gradient for the network's input, BackwardScope), then in a training step the optimizer's
 * update, `update_kernels(optimizer)` element-wise kernels over each parameter tensor, each asked as
 * an add over the tensor in a forward pass, without a call overhead (the kernels run inside the
 * optimizer's step, not as a layer's call). The network's time is each layer's in a stream of kernels
 * (in_stream_us: a GPU kernel's fixed cost as timed alone replaced by what a stream leaves of it).
 * @param on_layer  called as on_layer(index, backward, pass_time, step_time, its microseconds in the network)
 * @param on_update called as on_update(update_kernel_layer, kernels, its time as asked, microseconds of all its
 *                  kernels in the network)
 */
template <class Layers, class Ask, class OnLayer, class OnUpdate>
constexpr void walk_network(const Layers& layers, const Target& t, Optimizer optimizer, const PaleoOptions& paleo,
                            Ask&& ask, OnLayer&& on_layer, OnUpdate&& on_update) {
    BackwardScope scope;
    std::size_t index = 0;
    for (const auto& entry : layers) {
        const Layer& l = layer_of(entry);
        const Backward b = t.pass() == Pass::training ? scope.next(l) : Backward::full;
        const LayerTime pass_time = ask(l, t);
        const LayerTime step = step_time(pass_time, l, t, b, paleo);
        on_layer(index++, b, pass_time, step, in_stream_us(step));
    }
    const int kernels = update_kernels(optimizer);
    if (t.pass() != Pass::training || kernels == 0) return;
    const Target update_target = t.with(Pass::inference);
    for (const auto& entry : layers)
        for_each_parameter_tensor(layer_of(entry), [&](std::int64_t n) {
            const Layer update = update_kernel(n);
            const LayerTime lt = ask(update, update_target);
            on_update(update, kernels, lt, kernels * (in_stream_us(lt) - lt.overhead_us));
        });
}

namespace embedded {

namespace detail {
/** @brief layer_time with the layer and target by value: GCC memoizes constexpr calls on equal values,
    so a network's repeated layers (most of ResNet-50's) are evaluated once per translation unit. */
template <class Exec>
constexpr LayerTime layer_time_by_value(const Model& m, Layer l, perfcast::Target t) {
    return layer_time<Exec>(m, l, t);
}
}  // namespace detail

/** @brief A network's time under a learned model (walk_network: its layers, their partial backward in a
 *  training step, the optimizer's update, each in a stream of kernels), microseconds. */
template <class Exec = constexpr_exec>
constexpr double network_us(const Model& m, std::span<const Layer> layers, const perfcast::Target& t,
                            Optimizer optimizer = Optimizer::sgd_momentum) {
    double us = 0.0;
    walk_network(
        layers, t, optimizer, PaleoOptions{},
        [&m](const Layer& l, const perfcast::Target& at) { return detail::layer_time_by_value<Exec>(m, l, at); },
        [&us](std::size_t, Backward, const LayerTime&, const LayerTime&, double in_network) { us += in_network; },
        [&us](const Layer&, int, const LayerTime&, double update_us) { us += update_us; });
    return us;
}

}  // namespace embedded
}  // namespace perfcast
