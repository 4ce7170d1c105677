/**
 * @file method.hpp
 * @brief How a layer's time was estimated (perfcast::Method), and a layer's time with its method
 *        (perfcast::LayerTime), as every estimate reports them.
 */
#pragma once

#include <optional>     // optional
#include <string_view>  // string_view

namespace perfcast {

/**
 * @brief The methods a layer's time can come from: the learned model (`mlp`), its fitted
 * memory-bound model (`memory_fit`), the analytical baselines (`roofline`, `paleo`), or none
 * because the layer runs no kernel in the pass (`no_kernel`: a view, dropout at inference).
 */
enum class Method { mlp, memory_fit, roofline, paleo, no_kernel };

constexpr std::string_view to_string(Method m) noexcept {
    switch (m) {
        case Method::mlp: return "mlp";
        case Method::memory_fit: return "memory-fit";
        case Method::roofline: return "roofline";
        case Method::paleo: return "paleo";
        case Method::no_kernel: return "no kernel";
    }
    return "?";
}

constexpr std::optional<Method> parse_method(std::string_view s) noexcept {
    for (Method m : {Method::mlp, Method::memory_fit, Method::roofline, Method::paleo, Method::no_kernel})
        if (to_string(m) == s) return m;
    return std::nullopt;
}

/** @brief One layer's time, the method that gave it, and the part of it that is the call overhead. */
struct LayerTime {
    double us = 0;
    Method method = Method::roofline;
    double overhead_us = 0;  ///< the framework's cost of calling the layer in a network (CallOverhead)
    /// a GPU's learned time holds, per kernel, the fixed cost of a call timed alone (the model's kernel
    /// floor, Model::kernel_floor_us; 0: none, as for the analytical methods and CPU models), which a
    /// network's stream of kernels partly hides (in_stream_us)
    double floor_us = 0;
    /// the kernels `us` holds, as many as the fixed costs it counts (a backward kernel timed as its forward
    /// scaled by the bytes it moves counts that share of one)
    double kernels = 0;
    double bound_us = 0;  ///< their physical bound (physical_bound_us), under which no time goes

    /** @brief Did the learned model make it? */
    constexpr bool learned() const noexcept { return method == Method::mlp; }
};

/**
 * @brief What a GPU kernel's fixed cost leaves of it in a stream: a kernel timed alone (the operator
 * data's method: a synchronised call between two events) waits for its own dispatch and launch, the
 * machine's kernel floor F, while in a network each kernel is issued as the one before runs. Each then
 * costs the larger of the host's dispatch, F less the events' own cost around a call timed alone
 * (stream_event_us), and its time on the GPU, its time alone less F plus the gap between kernels
 * (stream_gap_us). Neither constant is measured by any data here (docs/method.md): NeuSight's
 * whole models move by at most 1.4 points across 0-12 us of the first, launch-bound networks by tens.
 */
inline constexpr double stream_event_us = 4.0;
inline constexpr double stream_gap_us = 3.0;

/**
 * @brief A layer's time inside a network: the time of its kernels each timed alone (`t.us`), with
 * each kernel's fixed cost replaced by what a stream leaves of it (stream_event_us, stream_gap_us),
 * never below the kernels' physical bound; the call overhead as it is. A time without a floor
 * (analytical, CPU) is its own.
 */
constexpr double in_stream_us(const LayerTime& t) noexcept {
    if (t.floor_us <= 0 || t.kernels <= 0) return t.us;
    const double n = t.kernels;
    const double kernel = t.us - t.overhead_us;
    const double dispatch = n * (t.floor_us > stream_event_us ? t.floor_us - stream_event_us : 0.0);
    const double gpu = kernel - n * (t.floor_us > stream_gap_us ? t.floor_us - stream_gap_us : 0.0);
    double us = dispatch > gpu ? dispatch : gpu;
    if (us < t.bound_us) us = t.bound_us;
    if (us > kernel) us = kernel;  // never more than alone
    return us + t.overhead_us;
}

}  // namespace perfcast
