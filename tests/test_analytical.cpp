// Tests of analytical.hpp and estimate.hpp: roofline, PALEO and whole-network sums.
#include <doctest/doctest.h>

#include <perfcast/analytical.hpp>
#include <perfcast/estimate.hpp>
#include <perfcast/zoo.hpp>

using namespace perfcast;

TEST_CASE("roofline is bound by the slower of compute and memory") {
    const Cost compute_bound{1'000'000'000'000, 1000};
    const PhaseTime r = roofline(compute_bound, devices::gtx_1080, DType::fp32);
    CHECK(r.us == doctest::Approx(1e6 / 8.9));
    const Cost memory_bound{1000, 320'000'000};
    CHECK(roofline(memory_bound, devices::gtx_1080, DType::fp32).us == doctest::Approx(1000.0));
}

TEST_CASE("PALEO adds compute and memory terms, divided by the PPP factors") {
    const Cost c{8'900'000'000, 320'000'000};
    CHECK(paleo(c, devices::gtx_1080, DType::fp32).us == doctest::Approx(2000.0));
    CHECK(paleo(c, devices::gtx_1080, DType::fp32, {0.5, 0.5, true}).us == doctest::Approx(4000.0));
    CHECK(paleo(c, devices::gtx_1080, DType::fp32, {1, 1, false}).us == doctest::Approx(1000.0));
}

TEST_CASE("PALEO's compute term reproduces the seed's Table 1.1 (GTX 1080, batch 32)") {
    const PaleoOptions flops_only{1.0, 1.0, false};
    auto total_ms = [&](const Network& n) {
        return estimate(n, devices::gtx_1080, Pass::inference, DType::fp32, Analytical::paleo, flops_only).total_us / 1e3;
    };
    CHECK(total_ms(zoo::vgg16(32)) == doctest::Approx(111.6).epsilon(0.01));        // seed: 111.6 ms
    CHECK(total_ms(zoo::inception_v3(32)) == doctest::Approx(41.3).epsilon(0.01));  // seed: 41.3 ms
    CHECK(total_ms(zoo::alexnet(32)) == doctest::Approx(5.29).epsilon(0.05));       // seed: 5.29 ms
}

TEST_CASE("a network estimate is the sum of its layers, with the baselines beside it") {
    const Network n = zoo::resnet50(8);
    const NetworkEstimate e = estimate(n, devices::h100_sxm, Pass::training, DType::bf16, Analytical::roofline);
    double sum = 0, paleo_sum = 0;
    for (const auto& l : e.layers) {
        sum += l.us;
        paleo_sum += l.paleo_us;
        CHECK(l.us == doctest::Approx(l.roofline_us));
    }
    CHECK(e.total_us == doctest::Approx(sum));
    CHECK(e.paleo_total_us == doctest::Approx(paleo_sum));
    CHECK(e.paleo_total_us >= e.roofline_total_us);
    CHECK(e.throughput() == doctest::Approx(8.0 / (e.total_us * 1e-6)));
    // the layers, then the optimizer's update (SGD with momentum by default)
    REQUIRE(e.layers.size() == n.layers.size() + 1);
    CHECK(e.layers.back().name == "optimizer.sgd_momentum");
    // training does more work than inference, and bf16 is faster than fp32 on a tensor-core GPU
    const auto inf = estimate(n, devices::h100_sxm, Pass::inference, DType::bf16, Analytical::roofline);
    CHECK(e.total_us > inf.total_us);
    const auto fp32 = estimate(n, devices::h100_sxm, Pass::training, DType::fp32, Analytical::roofline);
    CHECK(fp32.total_us > e.total_us);
}

TEST_CASE("analytical estimates are constant expressions") {
    constexpr double us = paleo_us(Conv2DParams{.batch = 32, .in_channels = 64, .height = 56, .width = 56,
                                                .out_channels = 64, .kernel = 3, .padding = 1},
                                   devices::h100_sxm, Pass::inference);
    static_assert(us > 0);
    CHECK(us > 0);
}
