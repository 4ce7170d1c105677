/**
 * @file mlp/adamw.hpp
 * @brief The AdamW optimiser's moments and step, and global gradient-norm clipping.
 */
#pragma once

#include <cmath>    // pow, sqrt
#include <cstddef>  // size_t
#include <vector>   // vector

#include "../detail/xtensor.hpp"  // xt::xtensor
#include "backprop.hpp"           // Backprop: the gradients
#include "config.hpp"             // MlpConfig: betas, epsilon, weight decay
#include "network.hpp"            // Mlp, MlpLayer
#include "unrolled.hpp"           // for_each_index

namespace perfcast::detail::mlp {

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

}  // namespace perfcast::detail::mlp
