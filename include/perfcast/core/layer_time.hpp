/**
 * @file layer_time.hpp
 * @brief Which method times a layer, and the time of a layer that runs only part of its
 *        backward: each rule once, for the run-time Predictor and the compile-time model alike.
 */
#pragma once

#include <algorithm>  // max

#include "analytical.hpp"       // roofline_us, paleo_us, backward_share, PaleoOptions, physical_bound_us
#include "constexpr_model.hpp"  // embedded::Model
#include "inference.hpp"        // embedded::predict_us, constexpr_exec
#include "layers.hpp"           // Layer, kind
#include "memory_fit.hpp"       // runs_no_kernel
#include "method.hpp"           // Method, LayerTime
#include "target.hpp"           // Target
#include "types.hpp"            // Backward, Pass

namespace perfcast {

namespace embedded {

namespace detail {
/** @brief The kernel's time before the device's level, with Model::answer for the layer, @p a. */
template <class Exec>
constexpr LayerTime unleveled_kernel_time_at(const Model& m, const Model::Answer& a, const Layer& l,
                                             const perfcast::Target& t, Coverage* outside) {
    if (a.index != m.kinds.size()) {
        LayerTime k{0.0, Method::mlp, 0.0};
        k.us = predict_at<Exec>(m, a, l, t, outside, &k);  // (and what a stream of kernels needs of it)
        return k;
    }
    if (m.memory.fitted()) return {m.memory.us(l, t), Method::memory_fit, 0.0};
    return {roofline_us(l, t), Method::roofline, 0.0};
}
/** @brief kernel_time() with Model::answer for the layer, @p a: times the device's level of the kind
    (Model::level; 1 but on a calibrated device), never below the physical bound. */
template <class Exec>
constexpr LayerTime kernel_time_at(const Model& m, const Model::Answer& a, const Layer& l, const perfcast::Target& t,
                                   Coverage* outside) {
    LayerTime k = unleveled_kernel_time_at<Exec>(m, a, l, t, outside);
    if (const double lv = m.level(l, t); lv != 1.0) k.us = std::max(lv * k.us, physical_bound_us(l, t));
    return k;
}
}  // namespace detail

/**
 * @brief A kernel's time on a target the model was trained for, without a call overhead: the learned
 * model where it has one for the kind (`mlp`), else its memory-bound model (`memory_fit`), else the
 * roofline; on the device a calibration was fitted on, times the kind's level (CallOverhead::level_of).
 */
template <class Exec = constexpr_exec>
constexpr LayerTime kernel_time(const Model& m, const Layer& l, const perfcast::Target& t,
                                Coverage* outside = nullptr) {
    return detail::kernel_time_at<Exec>(m, m.answer(kind(l), t.device()), l, t, outside);
}

/**
 * @brief A layer's time for the whole pass under a learned model, and the method that gave it:
 * a layer that runs no kernel in the pass (flatten, a view; dropout at inference) costs nothing
 * (`no_kernel`); for the passes the model was trained on, kernel_time (in a precision outside its
 * data, the ratio learned in another, Model::learned_precision, with the layer's own baseline); a training
 * step under a model trained on forward passes only is the kernels its phases run (phase_kernels:
 * a linear layer's backward as its two GEMMs, a bmm's as two bmms, a memory-bound backward as its
 * forward scaled by the bytes it moves), each timed as a forward kernel, with the method of its
 * forward; the roofline for everything else. On the device its call overhead was fitted on, the
 * framework's cost of the call is added (LayerTime::overhead_us), whichever the method.
 * With @p c, a layer the learned model times (`mlp`) also gets its coverage(m, l, t) there, from
 * the features its prediction computed (so without computing them twice).
 */
template <class Exec = constexpr_exec>
constexpr LayerTime layer_time(const Model& m, const Layer& l, const perfcast::Target& t, Coverage* c = nullptr) {
    // coverage()'s rule: the model of the layer's kind, then each learned kernel's features inside (predict_us)
    const Model::Answer a = m.answer(kind(l), t.device());
    if (c && !detail::begin_coverage(*c, m, a, t.dtype())) c = nullptr;
    if (c) c->shape = true;
    const double o = m.overhead_us(l, t);
    if (runs_no_kernel(l, t.pass(), t.dtype())) return {o, Method::no_kernel, o};
    const DType learned = m.learned_precision(t.dtype());  // t's own, or the one whose ratios answer it
    if (m.trained_for(t.pass(), learned)) {
        LayerTime k = detail::kernel_time_at<Exec>(m, a, l, t, c);
        k.us += o;
        k.overhead_us = o;
        return k;
    }
    if (m.steps_from_forward(t.pass(), learned)) {
        const perfcast::Target forward = t.with(Pass::inference);
        LayerTime lt{0.0, Method::no_kernel, o};
        for (const PhaseKernel& k : step_kernels(l, t.dtype())) {  // each distinct kernel timed once
            const LayerTime kt = kernel_time<Exec>(m, k.layer, forward, c);
            lt.us += k.scale * kt.us;
            if (lt.method == Method::no_kernel) lt.method = kt.method;
            // in a stream (in_stream_us): a kernel timed as its forward scaled by its bytes holds that
            // share of the forward's fixed cost
            if (kt.floor_us > 0) lt.floor_us = kt.floor_us;
            lt.kernels += k.scale * kt.kernels;
            lt.bound_us += k.scale * kt.bound_us;
        }
        lt.us += o;
        return lt;
    }
    return {roofline_us(l, t) + o, Method::roofline, o};
}

}  // namespace embedded

/**
 * @brief A layer's time in a training step where it runs only part of its backward (`b`, from
 * BackwardScope), from its time for the whole pass: the analytical methods recompute the phases
 * that run (PALEO with @p paleo), the others are scaled by those phases' roofline share
 * (backward_share); the call overhead is the call's, whichever phases run. Inference and
 * Backward::full keep the pass's time.
 */
template <typename L>
constexpr LayerTime step_time(LayerTime pass_time, const L& layer, const Target& t, Backward b,
                              const PaleoOptions& paleo = {}) noexcept {
    double kernel = pass_time.us - pass_time.overhead_us;
    if (t.pass() == Pass::training && b != Backward::full) {
        switch (pass_time.method) {
            case Method::roofline: kernel = roofline_us(layer, t, b); break;
            case Method::paleo: kernel = paleo_us(layer, t, paleo, b); break;
            default: {
                const double share = backward_share(layer, t, b);
                kernel *= share;
                pass_time.kernels *= share;  // (in_stream_us: the kernels that run, as their share of the time)
                pass_time.bound_us *= share;
                break;
            }
        }
    }
    pass_time.us = kernel + pass_time.overhead_us;
    return pass_time;
}

}  // namespace perfcast
