// Tests of layers/kernels.hpp (a training phase as forward kernels) and of the training step a model
// trained on forward passes only gives through them (core/layer_time.hpp).
#include <doctest/doctest.h>

#include <perfcast/perfcast.hpp>

#include <cmath>

using namespace perfcast;

namespace {
// the FLOPs of a phase's kernels, each its forward's times its scale where it is a GEMM (scale 1)
std::int64_t gemm_flops(const PhaseKernels& ks) {
    std::int64_t f = 0;
    for (const PhaseKernel& k : ks)
        if (kind(k.layer) == LayerKind::dense || kind(k.layer) == LayerKind::bmm)
            f += cost(k.layer, Phase::forward, DType::fp32).flops;
    return f;
}
}  // namespace

TEST_CASE("a linear layer's backward is its two GEMMs and the bias reduction, each a forward layer") {
    const DenseParams p{.batch = 4, .in_features = 1280, .out_features = 5120, .bias = true, .seq = 1024};
    const PhaseKernels fwd = phase_kernels(p, Phase::forward, DType::fp32);
    REQUIRE(fwd.size == 1);
    CHECK(fwd.kernels[0].layer == Layer{p});
    const PhaseKernels data = phase_kernels(p, Phase::backward_data, DType::fp32);
    REQUIRE(data.size == 1);
    CHECK(data.kernels[0].layer == Layer{DenseParams{4, 5120, 1280, false, 1024}});  // dX = dY W^T
    const PhaseKernels weights = phase_kernels(p, Phase::backward_weights, DType::fp32);
    REQUIRE(weights.size == 2);
    CHECK(weights.kernels[0].layer == Layer{DenseParams{1280, 4096, 5120, false, 1}});  // dW = X^T dY
    CHECK(kind(weights.kernels[1].layer) == LayerKind::elementwise);                     // db: dY summed over rows
    CHECK(weights.kernels[1].scale > 0.4);
    CHECK(weights.kernels[1].scale < 0.6);
    // the GEMMs do the FLOPs the phases count (the bias's FLOPs are the reduction's)
    CHECK(gemm_flops(data) == cost(p, Phase::backward_data, DType::fp32, Pass::training).flops);
    CHECK(gemm_flops(weights) + 4 * 1024 * 5120 == cost(p, Phase::backward_weights, DType::fp32, Pass::training).flops);
}

TEST_CASE("a bmm's backward is two bmms of the transposed shapes; no weight phase") {
    const BatchMatMulParams p{.batch = 80, .m = 1024, .k = 64, .n = 1024};
    const PhaseKernels data = phase_kernels(p, Phase::backward_data, DType::fp32);
    REQUIRE(data.size == 2);
    CHECK(data.kernels[0].layer == Layer{BatchMatMulParams{80, 1024, 1024, 64}});  // dA (m x k) = dC (m x n) B^T
    CHECK(data.kernels[1].layer == Layer{BatchMatMulParams{80, 64, 1024, 1024}});  // dB (k x n) = A^T (k x m) dC
    CHECK(gemm_flops(data) == cost(p, Phase::backward_data, DType::fp32, Pass::training).flops);
    CHECK(phase_kernels(p, Phase::backward_weights, DType::fp32).size == 0);
}

TEST_CASE("memory-bound phases are the forward kernel scaled by the bytes they move; dropout a mask multiply") {
    const Shape s = Shape{3, {4, 1024, 1280, 0}};
    for (const Layer& l : {Layer{LayerNormParams{4096, 1280, true}}, Layer{SoftmaxParams{4 * 20 * 1024, 1024}},
                           Layer{ActivationParams{s, ActivationKind::gelu}}, Layer{BatchNorm2DParams{8, 64, 56, 56}},
                           Layer{EmbeddingParams{4, 1024, 50257, 1280}}, Layer{CopyParams{s}}}) {
        CAPTURE(to_string(kind(l)));
        for (Phase ph : all_phases) {
            const Cost c = cost(l, ph, DType::fp32, Pass::training);
            double bytes = 0;
            for (const PhaseKernel& k : phase_kernels(l, ph, DType::fp32))
                bytes += k.scale * static_cast<double>(cost(k.layer, Phase::forward, DType::fp32).bytes);
            CHECK(bytes == doctest::Approx(static_cast<double>(c.bytes)));
        }
    }
    // dropout runs nothing at inference: its training forward is a multiply by the mask
    const DropoutParams d{s, 0.1};
    const PhaseKernels f = phase_kernels(d, Phase::forward, DType::fp32);
    REQUIRE(f.size == 1);
    CHECK(kind(f.kernels[0].layer) == LayerKind::elementwise);
    // a view runs nothing in any phase
    for (Phase ph : all_phases) CHECK(phase_kernels(FlattenParams{Shape::nchw(2, 3, 4, 4)}, ph, DType::fp32).size == 0);
}

TEST_CASE("a model trained on forward passes times a training step as its kernels, not the roofline") {
    const embedded::Model& m = embedded::default_model;
    REQUIRE(m.trained_for(Pass::inference, DType::fp32));
    REQUIRE(!m.trained_for(Pass::training, DType::fp32));
    REQUIRE(find_device("t4") != nullptr);
    const Device& t4 = *find_device("t4");
    const Target inf(t4, Pass::inference, DType::fp32), train(t4, Pass::training, DType::fp32);
    const DenseParams p{.batch = 2, .in_features = 1024, .out_features = 4096, .bias = true, .seq = 512};
    const LayerTime lt = embedded::layer_time<embedded::constexpr_exec>(m, p, train);
    CHECK(lt.method == Method::mlp);
    // the sum of its kernels, each asked as a forward layer
    double sum = 0;
    for (Phase ph : all_phases)
        for (const PhaseKernel& k : phase_kernels(p, ph, DType::fp32))
            sum += k.scale * embedded::kernel_time<embedded::constexpr_exec>(m, k.layer, inf).us;
    CHECK(step_kernels(p, DType::fp32).size == 4);  // forward, the two gradient GEMMs, the bias reduction
    CHECK(lt.us - lt.overhead_us == doctest::Approx(sum));
    // a training step of a GEMM does three GEMMs' work: between 2x and 5x its forward
    const double fwd = embedded::layer_time<embedded::constexpr_exec>(m, p, inf).us;
    CHECK(lt.us > 2.0 * fwd);
    CHECK(lt.us < 5.0 * fwd);
    // never below the training step's roofline bound of its GEMMs at the device's peak
    CHECK(lt.us >= compute_bound_us(p, train));
}

TEST_CASE("a training step's kernels are merged: a convolution's three phases and a norm's are one kernel each") {
    const Conv2DParams c{.batch = 8, .in_channels = 64, .height = 56, .width = 56, .out_channels = 64, .kernel = 3,
                         .padding = 1, .bias = false};
    const PhaseKernels ck = step_kernels(c, DType::fp32);
    REQUIRE(ck.size == 1);
    CHECK(ck.kernels[0].scale == 3.0);
    const LayerNormParams ln{4096, 1024, true};
    const PhaseKernels lk = step_kernels(ln, DType::fp32);
    REQUIRE(lk.size == 1);
    double bytes = 0;
    for (Phase ph : all_phases) bytes += static_cast<double>(cost(ln, ph, DType::fp32, Pass::training).bytes);
    CHECK(lk.kernels[0].scale * static_cast<double>(cost(ln, Phase::forward, DType::fp32).bytes) == doctest::Approx(bytes));
}

TEST_CASE("a single-row linear layer's bias gradient is dY itself: no reduction kernel") {
    const DenseParams p{.batch = 1, .in_features = 1024, .out_features = 2, .bias = true, .seq = 1};
    const PhaseKernels w = phase_kernels(p, Phase::backward_weights, DType::fp32);
    REQUIRE(w.size == 1);
    CHECK(w.kernels[0].layer == Layer{DenseParams{1024, 1, 2, false, 1}});
    for (const PhaseKernel& k : step_kernels(p, DType::fp32)) CHECK(!check(k.layer));  // every kernel a valid layer
}
