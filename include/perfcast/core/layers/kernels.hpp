/**
 * @file layers/kernels.hpp
 * @brief The kernels a layer's phase runs, each written as a forward layer that operator data
 *        measures: `phase_kernels(layer, phase, dtype)`.
 *
 * A model learned from forward measurements (NeuSight's operators are forward only) times a
 * training step through these: a linear layer's backward is its two GEMMs (dX = dY W^T, dW = X^T dY,
 * each a linear layer of its own shape) and the bias gradient's reduction; a bmm's backward is two
 * bmms (dA = dC B^T, dB = A^T dC); a convolution's backward phases run its forward shape (cuDNN's
 * data- and filter-gradient kernels do the same FLOPs on the same tensors; their speed relative to
 * the forward is not modelled); a memory-bound layer's backward is its own forward kernel scaled by
 * the bytes the phase moves (the phase reads and writes `scale` times the forward's bytes); a
 * training-mode forward that differs from inference (batch norm's statistics, dropout's mask) is
 * the inference kernel scaled the same way, or, for dropout, which runs nothing at inference, an
 * element-wise multiply by the mask.
 */
#pragma once

#include <array>    // array
#include <cstddef>  // size_t
#include <cstdint>  // int64_t

#include "../types.hpp"  // Phase, Pass, DType, Shape
#include "cost.hpp"      // cost, input_shape
#include "layer.hpp"     // Layer
#include "params.hpp"    // the parameter structs

namespace perfcast {

/** @brief One kernel of a phase: a forward layer, and how many times its forward's bytes the kernel moves. */
struct PhaseKernel {
    Layer layer{};
    double scale = 1.0;
};

/**
 * @brief Kernels of one phase or of a whole training step (at most six distinct ones: a linear layer's
 * forward, its two gradient GEMMs and the bias reduction). Equal kernels are kept once with their
 * scales summed, so that each distinct kernel is timed once (a convolution's three phases are one).
 */
struct PhaseKernels {
    std::array<PhaseKernel, 6> kernels{};
    std::size_t size = 0;

    constexpr void push(const Layer& l, double scale = 1.0) noexcept {
        for (std::size_t i = 0; i < size; ++i)
            if (kernels[i].layer == l) {
                kernels[i].scale += scale;
                return;
            }
        if (size < kernels.size()) kernels[size++] = PhaseKernel{l, scale};
    }
    constexpr const PhaseKernel* begin() const noexcept { return kernels.data(); }
    constexpr const PhaseKernel* end() const noexcept { return kernels.data() + size; }
};

namespace detail {

/** @brief A memory-bound phase as @p base's inference forward scaled by the bytes the phase moves. */
constexpr void push_scaled(PhaseKernels& out, const Layer& base, std::int64_t phase_bytes, DType t) noexcept {
    if (phase_bytes <= 0) return;
    const std::int64_t forward_bytes = cost(base, Phase::forward, t, Pass::inference).bytes;
    if (forward_bytes > 0) {
        out.push(base, static_cast<double>(phase_bytes) / static_cast<double>(forward_bytes));
        return;
    }
    // nothing runs at inference (dropout): a multiply of the tensor by a mask of its shape
    const ElementwiseParams mask{output_shape(base), ElementwiseOp::mul, false, Shape{}};
    out.push(mask, static_cast<double>(phase_bytes) / static_cast<double>(cost(mask, Phase::forward, t).bytes));
}

}  // namespace detail

/**
 * @brief The kernels phase @p ph of layer @p l runs in a training step, as forward layers (see the
 * file's comment); empty when the phase runs nothing. The forward phase is the training-mode forward.
 */
constexpr PhaseKernels phase_kernels(const Layer& l, Phase ph, DType t) noexcept {
    PhaseKernels out;
    const Cost c = cost(l, ph, t, Pass::training);
    if (c.flops <= 0 && c.bytes <= 0) return out;
    if (std::holds_alternative<DenseParams>(l)) {
        const DenseParams& p = std::get<DenseParams>(l);
        const std::int64_t rows = p.batch * p.seq;
        switch (ph) {
            case Phase::forward: out.push(l); break;
            case Phase::backward_data:  // dX (rows x in) = dY (rows x out) W^T
                out.push(DenseParams{p.batch, p.out_features, p.in_features, false, p.seq});
                break;
            case Phase::backward_weights:  // dW (in x out) = X^T (in x rows) dY (rows x out)
                out.push(DenseParams{p.in_features, rows, p.out_features, false, 1});
                if (p.bias && rows > 1) {  // db = dY summed over the rows: read dY once, write out_features
                    const Layer reduce = ElementwiseParams{Shape::matrix(rows, p.out_features), ElementwiseOp::add, false,
                                                           Shape::matrix(1, p.out_features)};
                    detail::push_scaled(out, reduce, (rows + 1) * p.out_features * dtype_bytes(t), t);
                }
                break;
        }
        return out;
    }
    if (std::holds_alternative<BatchMatMulParams>(l)) {
        const BatchMatMulParams& p = std::get<BatchMatMulParams>(l);
        if (ph == Phase::forward) {
            out.push(l);
        } else if (ph == Phase::backward_data) {
            out.push(BatchMatMulParams{p.batch, p.m, p.n, p.k});  // dA (m x k) = dC (m x n) B^T
            out.push(BatchMatMulParams{p.batch, p.k, p.m, p.n});  // dB (k x n) = A^T (k x m) dC
        }
        return out;
    }
    if (std::holds_alternative<Conv2DParams>(l)) {
        out.push(l);  // the same FLOPs on the same tensors
        return out;
    }
    if (ph == Phase::forward && cost(l, Phase::forward, t, Pass::inference) == c) {
        out.push(l);
        return out;
    }
    detail::push_scaled(out, l, c.bytes, t);
    return out;
}

/** @brief The kernels of a whole training step of layer @p l (every phase's phase_kernels), equal ones merged. */
constexpr PhaseKernels step_kernels(const Layer& l, DType t) noexcept {
    PhaseKernels out;
    for (Phase ph : all_phases)
        for (const PhaseKernel& k : phase_kernels(l, ph, t)) out.push(k.layer, k.scale);
    return out;
}

}  // namespace perfcast
