// A tiny inference engine that plans its kernels at compile time with the learned cost model.
//
// The network: a stem with a 5x5 receptive field, then a classifier head (global average pool,
// dense). The stem can run as one 5x5 convolution or as two stacked 3x3 ones: fewer FLOPs, but
// two kernel launches and two passes over the activations. Which is faster depends on the GPU
// and the shapes, and the roofline (FLOPs and bytes alone) always says "two 3x3". The engine asks
// the embedded learned model instead, per deployment target, while it compiles: the plan is a
// type, the choice an `if constexpr`, and a latency budget a static_assert.
#include <cstdint>      // int64_t
#include <cstdio>       // printf
#include <string>       // string
#include <type_traits>  // conditional_t

#include <perfcast/core/analytical.hpp>    // roofline_us
#include <perfcast/core/compile_time.hpp>  // predict_us<>: the embedded model at compile time
#include <perfcast/core/devices.hpp>       // devices::t4, devices::h100_sxm
#include <perfcast/core/layers.hpp>        // Conv2D, Pool2D, Dense
#include <perfcast/core/network.hpp>       // Net

namespace pc = perfcast;

/** @brief The model's layers at a batch size, channel count and resolution. */
template <std::int64_t B, std::int64_t C, std::int64_t HW>
struct Model {
    using Conv5x5 = pc::Conv2D<{.batch = B, .in_channels = C, .height = HW, .width = HW, .out_channels = C,
                                .kernel = 5, .padding = 2, .bias = false}>;
    using Conv3x3 = pc::Conv2D<{.batch = B, .in_channels = C, .height = HW, .width = HW, .out_channels = C,
                                .kernel = 3, .padding = 1, .bias = false}>;
    using Head = pc::Net<pc::Pool2D<{.batch = B, .channels = C, .height = HW, .width = HW, .mode = pc::PoolMode::avg,
                                     .global = true}>,
                         pc::Dense<{.batch = B, .in_features = C, .out_features = 1000}>>;
    static constexpr std::int64_t batch = B, channels = C, size = HW;
};

/** @brief The engine's plan for one model on one GPU, decided while compiling. */
template <typename M, const pc::Device& D>
struct Plan {
    using OneStem = pc::Net<typename M::Conv5x5>;
    using TwoStem = pc::Net<typename M::Conv3x3, typename M::Conv3x3>;

    static constexpr double one_5x5_us = pc::predict_us<OneStem, D>();
    static constexpr double two_3x3_us = pc::predict_us<TwoStem, D>();
    static constexpr bool stacked_3x3 = two_3x3_us < one_5x5_us;
    using Stem = std::conditional_t<stacked_3x3, TwoStem, OneStem>;

    static constexpr double total_us = pc::predict_us<Stem, D>() + pc::predict_us<typename M::Head, D>();
    /// what FLOPs and bytes alone would have chosen
    static constexpr bool roofline_stacked_3x3 =
        2 * pc::roofline_us(M::Conv3x3::params, pc::Target(D, pc::Pass::inference)) <
        pc::roofline_us(M::Conv5x5::params, pc::Target(D, pc::Pass::inference));
};

// ---- the run time: kernels and dispatch ---------------------------------------------------
// A real engine would call cuDNN here; these record the launch so the plan is visible.

void launch(const char* kernel, const pc::Conv2DParams& p) {
    std::printf("    launch %-14s %lldx%lldx%lldx%lld -> %lld channels\n", kernel, static_cast<long long>(p.batch),
                static_cast<long long>(p.in_channels), static_cast<long long>(p.height),
                static_cast<long long>(p.width), static_cast<long long>(p.out_channels));
}

template <typename M, const pc::Device& D>
void run() {
    using P = Plan<M, D>;
    std::printf("%s, batch %lld, %lld channels at %lldx%lld:\n", std::string(D.name).c_str(),
                static_cast<long long>(M::batch), static_cast<long long>(M::channels),
                static_cast<long long>(M::size), static_cast<long long>(M::size));
    std::printf("  stem: %s (predicted %.1f us; the other: %.1f us)%s\n",
                P::stacked_3x3 ? "two 3x3 convolutions" : "one 5x5 convolution",
                P::stacked_3x3 ? P::two_3x3_us : P::one_5x5_us, P::stacked_3x3 ? P::one_5x5_us : P::two_3x3_us,
                P::roofline_stacked_3x3 == P::stacked_3x3 ? "" : "; the roofline would have chosen the other");
    if constexpr (P::stacked_3x3) {
        launch("conv3x3", M::Conv3x3::params);
        launch("conv3x3", M::Conv3x3::params);
    } else {
        launch("conv5x5", M::Conv5x5::params);
    }
    std::printf("    launch global_avgpool\n    launch gemm_1000\n");
    std::printf("  whole step: %.1f us predicted\n\n", P::total_us);
}

// Deployment targets: a latency-bound service (batch 1) and a throughput job (batch 32).
using Latency = Model<1, 64, 28>;
using Throughput = Model<32, 256, 14>;

// Budgets checked while compiling: a plan that misses one does not build.
static_assert(Plan<Latency, pc::devices::t4>::total_us < 1'000, "batch 1 must run within 1 ms on a T4");
static_assert(Plan<Throughput, pc::devices::h100_sxm>::total_us < 1'000, "batch 32 must run within 1 ms on an H100");

int main() {
    std::printf("Plans chosen at compile time by perfcast's embedded model (%.*s):\n\n",
                static_cast<int>(pc::embedded::default_model.name.size()), pc::embedded::default_model.name.data());
    run<Latency, pc::devices::t4>();
    run<Latency, pc::devices::h100_sxm>();
    run<Throughput, pc::devices::t4>();
    run<Throughput, pc::devices::h100_sxm>();
}
