/**
 * @file mlp/backprop.hpp
 * @brief Batched forward and backward propagation of an Mlp (the passes training runs,
 *        and Mlp::predict()), the matrix product they use (gemm on CBLAS) and the losses.
 *        The passes take the network as a template argument (anything with `layers()` and
 *        `activation()`), so this header sits below network.hpp, which includes it.
 */
#pragma once

#include <algorithm>  // copy, fill, max, min
#include <array>      // array: tensor shapes
#include <cstddef>    // size_t
#include <string>     // to_string
#include <utility>    // swap
#include <vector>     // vector

#include "../detail/xtensor.hpp"  // xt::xtensor, xt::adapt, xt::blas::gemm
#include "../../core/error.hpp"   // error
#include "activation.hpp"         // activate, multiply_by_derivative
#include "options.hpp"            // MlpLoss
#include "target_transform.hpp"   // TargetTransform: the relative loss
#include "unrolled.hpp"           // axpy

namespace perfcast {

namespace detail::mlp {

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
    template <class Net>
    Backprop(const Net& net, std::size_t max_rows) : m_max_rows(max_rows) {
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
    template <class Net>
    const double* forward(const Net& net, const double* x, std::size_t rows) {
        const auto& layers = net.layers();
        const double* in = x;
        for (std::size_t l = 0; l < layers.size(); ++l) {
            const auto& layer = layers[l];
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
    template <class Net>
    void backward(const Net& net, const double* x, std::size_t rows, const double* d_output) {
        const auto& layers = net.layers();
        std::copy(d_output, d_output + rows, m_delta.data());
        for (std::size_t l = layers.size(); l-- > 0;) {
            const auto& layer = layers[l];
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

}  // namespace detail::mlp

}  // namespace perfcast
