// Tests of analytical.hpp and estimate.hpp: roofline, PALEO and whole-network sums.
#include <doctest/doctest.h>

#include <algorithm>  // find

#include <perfcast/core/analytical.hpp>
#include <perfcast/runtime/estimate.hpp>
#include <perfcast/core/zoo.hpp>

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
        return estimate(n, Target(devices::gtx_1080, Pass::inference, DType::fp32), Analytical::paleo, EstimateOptions{flops_only}).total_us / 1e3;
    };
    CHECK(total_ms(zoo::vgg16(32)) == doctest::Approx(111.6).epsilon(0.01));        // seed: 111.6 ms
    CHECK(total_ms(zoo::inception_v3(32)) == doctest::Approx(41.3).epsilon(0.01));  // seed: 41.3 ms
    CHECK(total_ms(zoo::alexnet(32)) == doctest::Approx(5.29).epsilon(0.05));       // seed: 5.29 ms
}

TEST_CASE("a network estimate is the sum of its layers, with the baselines beside it") {
    const Network n = zoo::resnet50(8);
    const NetworkEstimate e = estimate(n, Target(devices::h100_sxm, Pass::training, DType::bf16), Analytical::roofline);
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
    const auto inf = estimate(n, Target(devices::h100_sxm, Pass::inference, DType::bf16), Analytical::roofline);
    CHECK(e.total_us > inf.total_us);
    const auto fp32 = estimate(n, Target(devices::h100_sxm, Pass::training, DType::fp32), Analytical::roofline);
    CHECK(fp32.total_us > e.total_us);
}

TEST_CASE("a training step runs no backward for the network's input: none before the first parameters, no input gradient at them") {
    // a pool, then two convolutions and a batch norm: the pool runs no backward, the first convolution
    // only its weight gradient, the rest all of theirs
    NetBuilder b("prefix", 4, Shape::nchw(4, 3, 32, 32));
    b.pool("pool", PoolMode::max, 2, 2).conv("conv1", 16, 3, 1, 1).batchnorm("bn1").conv("conv2", 16, 3, 1, 1);
    const Network net = b.build();
    const Device& d = devices::a100_sxm4_80gb;
    const Backward expect[] = {Backward::none, Backward::weights_only, Backward::full, Backward::full};
    BackwardScope scope;
    for (std::size_t i = 0; i < net.layers.size(); ++i) CHECK(scope.next(net.layers[i].layer) == expect[i]);

    const NetworkEstimate e = estimate(net, Target(d, Pass::training, DType::fp32), Analytical::roofline, EstimateOptions{{}, Optimizer::none});
    REQUIRE(e.layers.size() == 4);
    Cost work{};
    for (std::size_t i = 0; i < 4; ++i) {
        const Layer& l = net.layers[i].layer;
        CAPTURE(net.layers[i].name);
        CHECK(e.layers[i].backward == expect[i]);
        auto phase = [&](Phase ph) { return roofline(cost(l, ph, DType::fp32, Pass::training), d, DType::fp32).us; };
        const double want = expect[i] == Backward::none           ? phase(Phase::forward)
                            : expect[i] == Backward::weights_only ? phase(Phase::forward) + phase(Phase::backward_weights)
                                                                  : roofline_us(l, Target(d, Pass::training, DType::fp32));
        CHECK(e.layers[i].us == doctest::Approx(want));
        CHECK(e.layers[i].roofline_us == doctest::Approx(want));
        work += e.layers[i].cost;
    }
    // the first convolution: forward and weight gradient, each as many FLOPs as the forward
    CHECK(e.layers[1].cost.flops == 2 * cost(net.layers[1].layer, Phase::forward, DType::fp32).flops);
    CHECK(e.layers[1].us < roofline_us(net.layers[1].layer, Target(d, Pass::training, DType::fp32)));
    CHECK(work.flops == net.totals().training.flops);
    auto paleo_phase = [&](Phase ph) { return paleo(cost(net.layers[1].layer, ph, DType::fp32, Pass::training), d, DType::fp32).us; };
    CHECK(e.layers[1].paleo_us == doctest::Approx(paleo_phase(Phase::forward) + paleo_phase(Phase::backward_weights)));
    CHECK(e.layers[0].paleo_us == doctest::Approx(paleo(cost(net.layers[0].layer, Phase::forward, DType::fp32, Pass::training), d, DType::fp32).us));

    // a learned time for the whole pass is scaled by the roofline share of the phases that run
    const auto learned = [](const Layer&, const Target&) { return LayerTime{100.0, Method::mlp}; };
    const NetworkEstimate m =
        estimate_with(net, Target(d, Pass::training, DType::fp32), Method::mlp, learned, EstimateOptions{{}, Optimizer::none});
    for (std::size_t i = 0; i < 4; ++i)
        CHECK(m.layers[i].us == doctest::Approx(100.0 * backward_share(net.layers[i].layer, Target(d, Pass::training, DType::fp32), expect[i])));
    CHECK(m.layers[0].us < 100.0);
    CHECK(m.layers[1].us < 100.0);
    CHECK(m.layers[1].us > 50.0);  // forward and weight gradient: about two thirds of a convolution's work
    CHECK(m.layers[2].us == 100.0);
    CHECK(m.layers[3].us == 100.0);
    // inference runs every layer's forward, whatever comes first
    const NetworkEstimate inf = estimate_with(net, Target(d, Pass::inference, DType::fp32), Method::mlp, learned);
    for (const LayerEstimate& l : inf.layers) {
        CHECK(l.backward == Backward::full);
        CHECK(l.us == 100.0);
    }
}

TEST_CASE("estimate asks the time function once per distinct layer and pass, and gives every layer its answer") {
    const Network net = zoo::resnet50(8);
    const Device& d = devices::t4;
    // a made-up time that differs between layers: their FLOPs and the pass
    std::vector<std::pair<Layer, Pass>> calls;
    const auto fn = [&](const Layer& l, const Target& at) {
        calls.emplace_back(l, at.pass());
        return LayerTime{1.0 + 1e-6 * static_cast<double>(pass_cost(l, at.pass(), at.dtype()).flops) +
                             (at.pass() == Pass::training ? 7.0 : 0.0) + static_cast<double>(at.device().units),
                         Method::mlp};
    };
    for (const Pass pass : {Pass::inference, Pass::training}) {
        calls.clear();
        const NetworkEstimate e = estimate_with(net, Target(d, pass, DType::fp32), Method::mlp, fn);
        std::size_t distinct_layers = 0, updates = 0;
        for (std::size_t i = 0; i < calls.size(); ++i) {
            for (std::size_t j = 0; j < i; ++j) CHECK_FALSE((calls[j].first == calls[i].first && calls[j].second == calls[i].second));
            (calls[i].second == pass ? distinct_layers : updates) += 1;
        }
        std::vector<Layer> distinct;
        for (const NamedLayer& nl : net.layers)
            if (std::find(distinct.begin(), distinct.end(), nl.layer) == distinct.end()) distinct.push_back(nl.layer);
        CHECK(distinct_layers == distinct.size());
        CHECK(distinct.size() < net.layers.size() / 2);  // ResNet repeats its blocks
        CHECK((pass == Pass::training) == (updates > 0));
        // each layer still gets its own answer (identical layers: identical times; inference, no backward scope)
        if (pass == Pass::inference)
            for (std::size_t i = 0; i < net.layers.size(); ++i)
                CHECK(e.layers[i].us == fn(net.layers[i].layer, Target(d, pass, DType::fp32)).us);
    }
}

TEST_CASE("estimate finds a repeated layer among hundreds of distinct ones") {
    // 600 distinct dense layers, then the same 600 again in reverse: every repeat is found after the
    // table of answers has grown several times, and the training step's updates are asked once per size
    Network net{"many", 4, {}};
    for (int i = 0; i < 600; ++i)
        net.layers.push_back({"a" + std::to_string(i), Layer(DenseParams{.batch = 4, .in_features = 16 + i, .out_features = 8})});
    for (int i = 599; i >= 0; --i)
        net.layers.push_back({"b" + std::to_string(i), Layer(DenseParams{.batch = 4, .in_features = 16 + i, .out_features = 8})});
    for (const Pass pass : {Pass::inference, Pass::training}) {
        std::vector<std::pair<Layer, Pass>> calls;
        const auto fn = [&](const Layer& l, const Target& at) {
            calls.emplace_back(l, at.pass());
            return LayerTime{static_cast<double>(param_count(l)) + (at.pass() == Pass::training ? 0.5 : 0.0), Method::mlp};
        };
        const Target t(devices::t4, pass, DType::fp32);
        const NetworkEstimate e = estimate_with(net, t, Method::mlp, fn);
        std::size_t layer_calls = 0;
        for (const auto& [l, p] : calls) layer_calls += p == pass ? 1 : 0;
        CHECK(layer_calls == 600);
        if (pass == Pass::training) CHECK(calls.size() > 600);  // the updates: weight and bias tensors
        // each layer its answer (a training step's first layer runs part of its backward: BackwardScope)
        for (std::size_t i = pass == Pass::training ? 1 : 0; i < 600; ++i) {
            CAPTURE(i);
            CHECK(e.layers[i].us == e.layers[1199 - i].us);
            if (pass == Pass::inference) CHECK(e.layers[i].us == fn(net.layers[i].layer, t).us);
        }
    }
}

TEST_CASE("an estimate's layer names are the network's, short ones held inline and long ones whole") {
    const std::string long_name(EstimateName::inline_capacity + 10, 'x');
    const std::string edge(EstimateName::inline_capacity, 'e');
    Network net{"names", 2, {}};
    for (const std::string& name : {std::string("fc1"), edge, long_name, std::string()})
        net.layers.push_back({name, Layer(DenseParams{.batch = 2, .in_features = 8, .out_features = 8})});
    const NetworkEstimate e = estimate(net, Target(devices::v100_pcie_32gb), Analytical::roofline);
    REQUIRE(e.layers.size() == net.layers.size());
    for (std::size_t i = 0; i < net.layers.size(); ++i) {
        CAPTURE(i);
        CHECK(e.layers[i].name == net.layers[i].name);
        CHECK(e.layers[i].name.size() == net.layers[i].name.size());
    }
    NetworkEstimate copy = e;  // copies own their names
    const NetworkEstimate moved = std::move(copy);
    CHECK(moved.layers[2].name == long_name);
    CHECK(moved.layers[1].name.str() == edge);
    CHECK(moved.layers[3].name.empty());
    CHECK("layer " + moved.layers[0].name == "layer fc1");
}

TEST_CASE("analytical estimates are constant expressions") {
    constexpr double us = paleo_us(Conv2DParams{.batch = 32, .in_channels = 64, .height = 56, .width = 56,
                                                .out_channels = 64, .kernel = 3, .padding = 1}, Target(devices::h100_sxm, Pass::inference));
    static_assert(us > 0);
    CHECK(us > 0);
}
