/**
 * @file estimate.hpp
 * @brief Whole-network estimates: per-layer breakdown, total and throughput, with the
 *        roofline and PALEO beside whichever method made the estimate.
 */
#pragma once

#include <cstdint>      // int64_t, uint64_t
#include <functional>   // function
#include <string>       // string
#include <string_view>  // string_view
#include <vector>       // vector

#include "../core/analytical.hpp"  // roofline_us, paleo_us
#include "../core/devices.hpp"     // Device
#include "../core/network.hpp"     // Network
#include "../core/optimizer.hpp"   // Optimizer, for_each_parameter_tensor, update_kernel

namespace perfcast {

/** @brief One layer's share of a network estimate. */
struct LayerEstimate {
    std::string name;
    LayerKind kind = LayerKind::dense;
    Shape output{};
    std::int64_t params = 0;
    Cost cost{};             ///< FLOPs and bytes of the pass
    double us = 0;           ///< the estimate of the method used, the call overhead included
    std::string method;      ///< which method estimated this layer
    double overhead_us = 0;  ///< the part of `us` that is the framework's cost of the call (CallOverhead)
    double roofline_us = 0;  ///< the roofline, for comparison
    double paleo_us = 0;     ///< PALEO, for comparison
    Backward backward = Backward::full;  ///< training: the part of its backward the layer runs (BackwardScope)
};

/** @brief A network's estimate on one device, pass and precision. */
struct NetworkEstimate {
    std::string network;
    std::string device;
    std::string method;  ///< "paleo", "roofline", or the learned model's name
    Pass pass = Pass::inference;
    DType dtype = DType::fp32;
    std::int64_t batch = 1;
    std::vector<LayerEstimate> layers;
    double total_us = 0;
    double overhead_total_us = 0;  ///< the layers' call overheads, included in total_us
    double roofline_total_us = 0;
    double paleo_total_us = 0;
    Cost total_cost{};

    /** @brief Samples (images) per second at this batch size. */
    double throughput() const noexcept { return total_us > 0 ? static_cast<double>(batch) / (total_us * 1e-6) : 0.0; }
};

/** @brief One layer's time and the method that gave it. */
struct LayerTime {
    double us = 0;
    std::string_view method;
    double overhead_us = 0;  ///< the part of `us` that is the framework's cost of calling the layer in a network
};

/** @brief How long one layer takes; the learned model plugs in here. */
using LayerTimeFn = std::function<LayerTime(const Layer&, const Device&, Pass, DType)>;

/** @brief What a whole-network estimate includes besides the layers. */
struct EstimateOptions {
    PaleoOptions paleo{};
    /// training: the optimizer update after the backward pass, one more entry in the breakdown
    /// ("optimizer.<name>"), each of its kernels estimated as an add of the parameter tensor's size
    Optimizer optimizer = Optimizer::sgd_momentum;
};

/**
 * @brief Estimates every layer of a network with `time_fn` and sums them (the seed's
 * T_b = sum T(l)), with the roofline and PALEO totals beside it; a training step adds the
 * optimizer's update (EstimateOptions::optimizer). In a training step the layers before the first
 * with parameters run no backward and that one no input gradient (BackwardScope): the roofline and
 * PALEO leave those phases out, and a learned time for the whole pass is scaled by the roofline
 * share of the phases that run (backward_share). `time_fn` is asked once per distinct layer: identical
 * layers (ResNet's repeated blocks, the optimizer's updates of same-sized tensors) share its answer, so
 * it must be a function of its arguments alone, as learned_time_fn and the analytical ones are.
 */
inline NetworkEstimate estimate(const Network& net, const Device& dev, Pass pass, DType t, const std::string& method,
                                const LayerTimeFn& time_fn, const EstimateOptions& options) {
    const PaleoOptions& paleo_options = options.paleo;
    NetworkEstimate e;
    e.network = net.name;
    e.device = std::string(dev.name);
    e.method = method;
    e.pass = pass;
    e.dtype = t;
    e.batch = net.batch;
    e.layers.reserve(net.layers.size());
    // time_fn's answers so far, by layer and pass: a learned model spends microseconds per query, and a
    // network repeats its layers. Each answer is filed under a key made of the layer's kind, pass,
    // parameter count and output shape, so that most of the layers compared are compared by the key.
    struct Asked {
        Layer layer;
        Pass pass;
        LayerTime time;
    };
    std::vector<Asked> asked;
    std::vector<std::uint64_t> keys;  // asked[i]'s key, apart: a scan of them stays in a few cache lines
    const auto key_of = [](const Layer& l, Pass p, std::int64_t params, const Shape& out) {
        std::uint64_t h = 0x9e3779b97f4a7c15ULL * (l.index() + 1) ^ static_cast<std::uint64_t>(p);
        const auto mix = [&h](std::int64_t v) {
            h ^= static_cast<std::uint64_t>(v) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
        };
        mix(params);
        for (int i = 0; i < out.rank; ++i) mix(out[i]);
        return h;
    };
    const auto ask = [&](const Layer& l, Pass p, std::uint64_t key) -> LayerTime {
        for (std::size_t i = 0; i < keys.size(); ++i)
            if (keys[i] == key && asked[i].pass == p && asked[i].layer == l) return asked[i].time;
        asked.push_back({l, p, time_fn(l, dev, p, t)});
        keys.push_back(key);
        return asked.back().time;
    };
    BackwardScope scope;
    for (const NamedLayer& nl : net.layers) {
        LayerEstimate le;
        le.name = nl.name;
        le.kind = kind(nl.layer);
        le.output = output_shape(nl.layer);
        le.params = param_count(nl.layer);
        le.backward = pass == Pass::training ? scope.next(nl.layer) : Backward::full;
        le.cost = pass_cost(nl.layer, pass, t, le.backward);
        le.roofline_us = roofline_us(nl.layer, dev, pass, t, le.backward);
        le.paleo_us = paleo_us(nl.layer, dev, pass, t, paleo_options, le.backward);
        const LayerTime lt = ask(nl.layer, pass, key_of(nl.layer, pass, le.params, le.output));
        // PALEO (with this estimate's options) and the roofline leave the phases out exactly; a learned time is
        // scaled; the call overhead is the call's, whichever phases run
        le.us = lt.method == "paleo"
                    ? le.paleo_us
                    : backward_us(lt.us - lt.overhead_us, lt.method, nl.layer, dev, pass, t, le.backward) + lt.overhead_us;
        le.method = std::string(lt.method);
        le.overhead_us = lt.overhead_us;
        e.total_us += le.us;
        e.overhead_total_us += le.overhead_us;
        e.roofline_total_us += le.roofline_us;
        e.paleo_total_us += le.paleo_us;
        e.total_cost += le.cost;
        e.layers.push_back(std::move(le));
    }
    const int kernels = update_kernels(options.optimizer);
    if (pass == Pass::training && kernels > 0) {
        LayerEstimate le;
        le.name = "optimizer." + std::string(to_string(options.optimizer));
        le.kind = LayerKind::add;
        std::string_view update_method;
        for (const NamedLayer& nl : net.layers)
            for_each_parameter_tensor(nl.layer, [&](std::int64_t n) {
                const Layer update = update_kernel(n);
                const LayerTime lt =
                    ask(update, Pass::inference,
                        key_of(update, Pass::inference, param_count(update), output_shape(update)));
                le.us += kernels * (lt.us - lt.overhead_us);  // inside the optimizer's step, not a layer's call
                le.roofline_us += kernels * roofline_us(update, dev, Pass::inference, t);
                le.paleo_us += kernels * paleo_us(update, dev, Pass::inference, t, paleo_options);
                const Cost c = pass_cost(update, Pass::inference, t);
                le.cost += Cost{kernels * c.flops, kernels * c.bytes};
                le.output = Shape::matrix(1, le.output.rank ? le.output[1] + n : n);
                update_method = lt.method;
            });
        if (le.us > 0 || le.roofline_us > 0) {
            le.method = std::string(update_method);
            e.total_us += le.us;
            e.roofline_total_us += le.roofline_us;
            e.paleo_total_us += le.paleo_us;
            e.total_cost += le.cost;
            e.layers.push_back(std::move(le));
        }
    }
    return e;
}

/** @brief estimate() with PALEO's options and the default optimizer. */
inline NetworkEstimate estimate(const Network& net, const Device& dev, Pass pass, DType t, const std::string& method,
                                const LayerTimeFn& time_fn, const PaleoOptions& paleo_options = {}) {
    return estimate(net, dev, pass, t, method, time_fn, EstimateOptions{paleo_options, Optimizer::sgd_momentum});
}

/** @brief An analytical estimate (roofline or PALEO). */
inline NetworkEstimate estimate(const Network& net, const Device& dev, Pass pass, DType t, Analytical method,
                                const EstimateOptions& options) {
    const PaleoOptions paleo_options = options.paleo;
    LayerTimeFn fn = [method, paleo_options](const Layer& l, const Device& d, Pass p, DType dt) {
        return method == Analytical::roofline ? LayerTime{roofline_us(l, d, p, dt), "roofline"}
                                              : LayerTime{paleo_us(l, d, p, dt, paleo_options), "paleo"};
    };
    return estimate(net, dev, pass, t, std::string(to_string(method)), fn, options);
}

/** @brief estimate() with PALEO's options and the default optimizer. */
inline NetworkEstimate estimate(const Network& net, const Device& dev, Pass pass, DType t, Analytical method,
                                const PaleoOptions& paleo_options = {}) {
    return estimate(net, dev, pass, t, method, EstimateOptions{paleo_options, Optimizer::sgd_momentum});
}

}  // namespace perfcast
