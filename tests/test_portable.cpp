// Tests of the learned model's two tiers (the device-specific models and the portable ones that answer
// GPUs outside the training data), the physical bound and the coverage of a query, on synthetic data
// made here (made-up efficiency curves over the roofline), never on measurements.
#include <doctest/doctest.h>

#include <perfcast/runtime/features.hpp>
#include <perfcast/runtime/predictor.hpp>

#include <algorithm>  // find
#include <cmath>      // exp, log

using namespace perfcast;

namespace {

/** The made-up launch cost of each synthetic GPU's host, microseconds. */
double synthetic_launch_us(std::string_view device) { return device == "t4" ? 8.0 : 16.0; }

/** Synthetic: dense layers and element-wise products on two GPUs, at made-up efficiencies plus a launch. */
Dataset synthetic_gpu_dataset(std::size_t n) {
    Dataset ds;
    ds.provenance["source"] = "synthetic, made by test_portable.cpp";
    const char* devs[] = {"t4", "v100_pcie_32gb"};
    std::uint64_t state = 987654321;
    auto next = [&] {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<double>(state >> 11) / 9007199254740992.0;
    };
    auto log_uniform = [&](double lo, double hi) { return static_cast<std::int64_t>(lo * std::exp(next() * std::log(hi / lo))); };
    for (std::size_t i = 0; i < n; ++i) {
        Sample s;
        s.device = devs[(i / 4) % 2];
        if (i % 10 == 9) {  // convolutions on the T4 alone
            s.layer = Conv2DParams{.batch = log_uniform(1, 32), .in_channels = log_uniform(8, 256), .height = 28,
                                   .width = 28, .out_channels = log_uniform(8, 256), .kernel = 3, .padding = 1};
            s.device = "t4";
        } else if (i % 2 == 0) {
            s.layer = DenseParams{.batch = log_uniform(1, 64), .in_features = log_uniform(16, 4096),
                                  .out_features = log_uniform(16, 4096)};
        } else {
            s.layer = ElementwiseParams{.shape = Shape::matrix(log_uniform(1, 4096), log_uniform(1, 4096)),
                                        .op = ElementwiseOp::mul,
                                        .scalar = (i / 2) % 2 == 0};
        }
        const Target t(*find_device(s.device), Pass::inference, DType::fp32);
        const double r = roofline_us(s.layer, t);
        s.time_us = r / (0.3 + 0.5 * (1 - std::exp(-r / 40.0))) + synthetic_launch_us(s.device);
        s.source = "synthetic";
        ds.rows.push_back(s);
    }
    return ds;
}

TrainOptions quick_options() {
    TrainOptions o;
    o.mlp.hidden = {16, 16};
    o.mlp.max_epochs = 30;
    o.mlp.patience = 0;
    o.mlp.batch_size = 128;
    o.mlp.learning_rate = 3e-3;
    o.ensemble = 1;
    return o;
}

const Predictor& trained() {
    static const Predictor p = [] {
        DeviceRegistry reg;
        return train_predictor(synthetic_gpu_dataset(1200), reg, quick_options());
    }();
    return p;
}

const Layer dense = DenseParams{.batch = 16, .in_features = 512, .out_features = 1024};

}  // namespace

TEST_CASE("the portable features hold no raw sizes, only what means the same on every GPU") {
    const auto names = feature_names(FeatureSet::portable, dense);
    for (const char* absent : {"batch", "in_features", "out_features", "log_units", "log_peak_flops", "log_bandwidth",
                               "log_compute_us", "log_memory_us"})  // absolute times name the GPU as sizes do
        CHECK(std::find(names.begin(), names.end(), absent) == names.end());
    CHECK(std::find(names.begin(), names.end(), "log_waves_128") != names.end());
    // every memory-bound kind has the one schema of the shared model
    const auto memory = feature_names(FeatureSet::portable, ElementwiseParams{.shape = Shape::matrix(8, 8)});
    for (LayerKind k : all_layer_kinds)
        if (memory_bound_kind(k)) CHECK(feature_names(FeatureSet::portable, detail::example_layer(k)) == memory);
    // the same layer on two GPUs: only the device-relative features differ
    std::vector<double> a, b;
    compute_features(FeatureSet::portable, dense, Target(devices::t4), &a, nullptr);
    compute_features(FeatureSet::portable, dense, Target(devices::h100_sxm), &b, nullptr);
    CHECK(a != b);
    CHECK(a[0] == b[0]);  // log_gemm_k
}

TEST_CASE("dual-issue GPUs are measured against one FP32 pipe per partition, never above the peak") {
    CHECK(!devices::v100_pcie_32gb.dual_issue_fp32());
    CHECK(!devices::a100_pcie_40gb.dual_issue_fp32());
    CHECK(devices::l4.dual_issue_fp32());
    CHECK(devices::rtx_3090.dual_issue_fp32());
    CHECK(!devices::h100_sxm.dual_issue_fp32());  // Hopper: FP32 lanes of its own (measured on an H200)
    CHECK(!devices::h200_sxm.dual_issue_fp32());
    CHECK(!devices::xeon_spr_2c.dual_issue_fp32());
    CHECK(devices::l4.simt_flops(DType::fp32) == doctest::Approx(devices::l4.peak_flops(DType::fp32) / 2));
    CHECK(devices::l4.simt_flops(DType::fp16) == devices::l4.peak_flops(DType::fp16));
    CHECK(devices::h100_sxm.simt_flops(DType::fp32) == devices::h100_sxm.peak_flops(DType::fp32));
    CHECK(devices::t4.simt_flops(DType::fp32) == devices::t4.peak_flops(DType::fp32));
    // the portable baseline is a launch per kernel plus the roofline at that rate
    const Target h100(devices::h100_sxm);
    CHECK(portable_baseline_us(dense, h100, 0.0) >= roofline_us(dense, h100));
    CHECK(portable_baseline_us(dense, h100, 10.0) == doctest::Approx(portable_baseline_us(dense, h100, 0.0) + 10.0));
}

TEST_CASE("a GPU model has two tiers: its training devices get their own models, other GPUs the portable ones") {
    const Predictor& p = trained();
    REQUIRE(p.portable_models().size() == 3);  // dense, conv2d, and one model for every memory-bound kind
    const embedded::Model& m = p.view();
    const std::size_t seen = m.index_of(LayerKind::dense, devices::t4);
    const std::size_t unseen = m.index_of(LayerKind::dense, devices::h100_sxm);
    REQUIRE(seen < m.kinds.size());
    REQUIRE(unseen < m.kinds.size());
    CHECK(!m.kinds[seen].portable());
    CHECK(m.kinds[unseen].portable());
    CHECK(m.kinds[seen].kernel_floor);  // both tiers learn the time over the kernel floor plus the roofline
    CHECK(m.kinds[seen].floor_baseline());
    CHECK(m.kinds[unseen].floor_baseline());
    // a device outside the data gets the median of the training devices' kernel floors (of two: their mean)
    REQUIRE(p.info().kernel_floors_us.size() == 2);
    CHECK(m.kinds[unseen].latency_us ==
          doctest::Approx(0.5 * (p.info().kernel_floors_us[0] + p.info().kernel_floors_us[1])));
    // one portable model answers every memory-bound kind, those without rows too
    const std::size_t pool = m.index_of(LayerKind::pool2d, devices::h100_sxm);
    REQUIRE(pool < m.kinds.size());
    CHECK(m.kinds[pool].portable());
    CHECK(m.kinds[pool].answers(LayerKind::softmax));
    CHECK(m.kinds[pool].answers(LayerKind::elementwise));
    CHECK(!m.kinds[pool].answers(LayerKind::dense));
    CHECK(p.covers(LayerKind::layernorm));
    CHECK(p.layer_time(LayerNormParams{.batch = 64, .features = 1024}, Target(devices::h100_sxm)).method == Method::mlp);
    // on a training device a kind without a device model falls back to the portable one
    CHECK(m.kinds[m.index_of(LayerKind::softmax, devices::t4)].portable());
    // a GPU of a training GPU's chip (Device::same_chip: here a T4 board with twice the bandwidth, under
    // another id) is answered by that GPU's model, which sees the T4's features; the baseline is its own
    Device twin = devices::t4;
    twin.id = "t4_faster_memory";
    twin.bandwidth_gbs *= 2;
    REQUIRE(twin.same_chip(devices::t4));
    CHECK(m.index_of(LayerKind::dense, twin) == seen);
    // answer() hands on what its search found: trained there, else the same chip's training device
    const embedded::Model::Answer on_own = m.answer(LayerKind::dense, devices::t4);
    const embedded::Model::Answer on_chip = m.answer(LayerKind::dense, twin);
    const embedded::Model::Answer elsewhere = m.answer(LayerKind::dense, devices::h100_sxm);
    CHECK((on_own.index == seen && on_own.trained && on_own.chip == -1));
    CHECK((on_chip.index == seen && !on_chip.trained));
    REQUIRE(on_chip.chip >= 0);
    CHECK(on_chip.chip == m.same_chip_index(m.kinds[seen], twin));
    CHECK(devices::builtin[static_cast<std::size_t>(on_chip.chip)] == &devices::t4);
    CHECK((elsewhere.index == unseen && !elsewhere.trained && elsewhere.chip == -1));
    CHECK(&m.feature_device(m.kinds[seen], twin) == &devices::t4);
    CHECK(&m.feature_device(m.kinds[seen], devices::t4) == &devices::t4);
    CHECK(m.kernel_floor_us(m.kinds[seen], twin) == m.kinds[seen].latency_us);  // the host is not the chip's
    const Layer small_gemm = DenseParams{.batch = 1, .in_features = 256, .out_features = 256, .seq = 32};
    const Target on_twin(twin), on_t4(devices::t4);
    CHECK(p.predict_us(small_gemm, on_twin) / portable_baseline_us(small_gemm, on_twin, m.kinds[seen].latency_us) ==
          doctest::Approx(p.predict_us(small_gemm, on_t4) /
                          portable_baseline_us(small_gemm, on_t4, m.kernel_floor_us(m.kinds[seen], devices::t4)))
              .epsilon(1e-12));
    embedded::Coverage c;
    CHECK(p.layer_time(small_gemm, on_twin, &c).method == Method::mlp);
    CHECK(!c.device);
    CHECK(c.same_chip == "t4");
    // another chip's board is not: the portable tier
    twin.units += 2;
    CHECK(m.index_of(LayerKind::dense, twin) == unseen);
    // a device of the training data that a kind's rows do not have gets that kind's portable model
    const Layer conv = Conv2DParams{.batch = 8, .in_channels = 64, .height = 28, .width = 28, .out_channels = 64,
                                    .kernel = 3, .padding = 1};
    CHECK(!m.kinds[m.index_of(LayerKind::conv2d, devices::t4)].portable());
    CHECK(m.kinds[m.index_of(LayerKind::conv2d, devices::v100_pcie_32gb)].portable());
    CHECK(embedded::coverage<detail::std_math>(m, conv, Target(devices::t4)).device);
    CHECK(!embedded::coverage<detail::std_math>(m, conv, Target(devices::v100_pcie_32gb)).device);
    // the tiers answer differently
    std::vector<embedded::KindModel> portable_only;
    for (const embedded::KindModel& k : m.kinds)
        if (k.portable()) portable_only.push_back(k);
    const double a = p.predict_us(dense, Target(devices::t4));
    const double b = embedded::predict_us<runtime_exec>(
        embedded::Model{m.name, m.feature_schema_version, portable_only, m.passes, m.dtypes, m.devices, {}, m.data_hash},
        dense, Target(devices::t4));
    CHECK(a != b);
}

TEST_CASE("each training GPU's kernel floor is its cheapest call; the portable tier takes the target machine's") {
    // the floor: the median of the rows under 1 us of roofline, of the kind whose median is lowest; here the
    // element-wise products, each its device's made-up launch plus under 1 us / 0.3
    const Predictor& p = trained();
    REQUIRE(p.info().devices == std::vector<std::string>{"t4", "v100_pcie_32gb"});
    REQUIRE(p.info().kernel_floors_us.size() == 2);
    for (std::size_t i = 0; i < 2; ++i) {
        CAPTURE(p.info().devices[i]);
        const double launch = synthetic_launch_us(p.info().devices[i]);
        CHECK(p.info().kernel_floors_us[i] > launch);
        CHECK(p.info().kernel_floors_us[i] < launch + 1.0 / 0.3);
    }
    DeviceRegistry reg;
    const Dataset ds = synthetic_gpu_dataset(1200);
    const KernelFloors all = kernel_floors(ds, reg);  // every row, the held-out ones too: near, not equal
    REQUIRE(all.size() == 2);
    CHECK(all.at("t4") == doctest::Approx(p.info().kernel_floors_us[0]).epsilon(0.1));
    // too few small rows of any kind (fewer than min_floor_rows), or a CPU: no floor
    Dataset few;
    for (const Sample& s : ds.rows)
        if (s.device == "t4" && (kind(s.layer) != LayerKind::elementwise || few.rows.size() < min_floor_rows - 1))
            few.rows.push_back(s);
    CHECK(kernel_floors(few, reg).empty());
    Dataset cpu = ds;
    for (Sample& s : cpu.rows) s.device = "xeon_spr_2c";
    CHECK(kernel_floors(cpu, reg).empty());

    // a portable prediction is the learned ratio times the baseline with the target machine's floor: the
    // device's own kernel_floor_us if given, else its floor in the training data, else the median
    const embedded::Model& m = p.view();
    const Layer small = ElementwiseParams{.shape = Shape::matrix(64, 64), .op = ElementwiseOp::mul};
    const embedded::KindModel& k = m.kinds[m.index_of(LayerKind::elementwise, devices::h100_sxm)];
    REQUIRE(k.portable());
    CHECK(m.kernel_floor_us(k, devices::h100_sxm) == k.latency_us);
    CHECK(m.kernel_floor_us(k, devices::v100_pcie_32gb) == p.info().kernel_floors_us[1]);
    Device floored = devices::h100_sxm;
    for (const double floor : {5.0, 40.0}) {
        floored.kernel_floor_us = floor;
        CHECK(m.kernel_floor_us(k, floored) == floor);
        const Target unknown(devices::h100_sxm), given(floored);
        const double ratio = p.predict_us(small, unknown) / portable_baseline_us(small, unknown, k.latency_us);
        CHECK(p.predict_us(small, given) / portable_baseline_us(small, given, floor) == doctest::Approx(ratio));
    }
    floored.kernel_floor_us = 40.0;
    CHECK(p.predict_us(small, Target(floored)) > 2 * p.predict_us(small, Target(devices::h100_sxm)));
    // conv2d on the V100, a training GPU without conv2d rows: the portable model, with the V100's floor
    const Layer conv = Conv2DParams{.batch = 1, .in_channels = 8, .height = 8, .width = 8, .out_channels = 8,
                                    .kernel = 3, .padding = 1};
    const embedded::KindModel& c = m.kinds[m.index_of(LayerKind::conv2d, devices::v100_pcie_32gb)];
    REQUIRE(c.portable());
    const Target v100(devices::v100_pcie_32gb);
    Device v100_floored = devices::v100_pcie_32gb;
    v100_floored.kernel_floor_us = p.info().kernel_floors_us[1];
    CHECK(p.predict_us(conv, v100) == p.predict_us(conv, Target(v100_floored)));
    v100_floored.kernel_floor_us = 40.0;  // a slower host than the training data's V100
    CHECK(p.predict_us(conv, Target(v100_floored)) > p.predict_us(conv, v100));
}

TEST_CASE("a model file keeps its portable tier, and refuses a malformed one with the field's path") {
    const Predictor& p = trained();
    const std::string text = p.to_json().dump(1);
    const Predictor q = Predictor::parse(text, "m.json");  // re-runs the references, the portable ones included
    REQUIRE(q.portable_models().size() == p.portable_models().size());
    for (const Device* d : {&devices::t4, &devices::h100_sxm, &devices::l4})
        for (const Layer& l : {dense, Layer{SoftmaxParams{.batch = 256, .features = 1000}}})
            CHECK(q.predict_us(l, Target(*d)) == p.predict_us(l, Target(*d)));
    CHECK(q.portable_models().back().serves == p.portable_models().back().serves);

    nlohmann::json j = p.to_json();
    j["portable_models"][0]["kinds"][0] = "densely";
    CHECK_THROWS_WITH_AS(Predictor::parse(j.dump(1), "m.json", false),
                         doctest::Contains("portable_models[0].kinds[0]"), error);
    j = p.to_json();
    j["portable_models"][0]["features"] = "hardware";
    CHECK_THROWS_WITH_AS(Predictor::parse(j.dump(1), "m.json", false), doctest::Contains("portable"), error);
    j = p.to_json();
    j["portable_models"][0]["latency_us"] = -1.0;
    CHECK_THROWS_WITH_AS(Predictor::parse(j.dump(1), "m.json", false), doctest::Contains("latency_us"), error);
    // the training devices' kernel floors: kept, one per device, each a time
    CHECK(q.info().kernel_floors_us == p.info().kernel_floors_us);
    j = p.to_json();
    j["training"]["kernel_floors_us"].push_back(3.0);
    CHECK_THROWS_WITH_AS(Predictor::parse(j.dump(1), "m.json", false),
                         doctest::Contains("training.kernel_floors_us"), error);
    j = p.to_json();
    j["training"]["kernel_floors_us"][1] = -2.0;
    CHECK_THROWS_WITH_AS(Predictor::parse(j.dump(1), "m.json", false),
                         doctest::Contains("training.kernel_floors_us[1]"), error);
    // a model file without them (written before they existed, its device models relative to the roofline)
    // gives every device the portable latency
    j = p.to_json();
    j["training"].erase("kernel_floors_us");
    for (auto& [kind_name, entry] : j["models"].items()) entry.erase("kernel_floor");
    const Predictor old = Predictor::parse(j.dump(1), "m.json", false);
    const embedded::KindModel& k = old.view().kinds[old.view().index_of(LayerKind::conv2d, devices::v100_pcie_32gb)];
    CHECK(old.view().kernel_floor_us(k, devices::v100_pcie_32gb) == k.latency_us);
}

TEST_CASE("no learned prediction is below the physical bound, however small the layer or fast the GPU") {
    const Predictor& p = trained();
    for (const Device* d : devices::builtin)
        for (const Layer& l : {dense, Layer{DenseParams{.batch = 4096, .in_features = 8192, .out_features = 8192}},
                               Layer{ElementwiseParams{.shape = Shape::matrix(65536, 8192)}},
                               Layer{Conv2DParams{.batch = 64, .in_channels = 256, .height = 56, .width = 56,
                                                  .out_channels = 256, .kernel = 3, .padding = 1}}}) {
            if (d->kind != DeviceKind::gpu || !p.covers(kind(l))) continue;
            const Target t(*d);
            CHECK(p.predict_us(l, t) >= physical_bound_us(l, t) * (1 - 1e-12));
        }
    // the bound: FLOPs at the peak (a conv at a quarter: Winograd) and on a GPU the bytes at the bandwidth
    const Layer conv = Conv2DParams{.batch = 8, .in_channels = 64, .height = 28, .width = 28, .out_channels = 64,
                                    .kernel = 3, .padding = 1};
    const PassRoofline r = pass_roofline(conv, Target(devices::t4));
    CHECK(physical_bound_us(conv, Target(devices::t4)) == doctest::Approx(std::max(0.25 * r.compute_us, r.memory_us)));
    const PassRoofline c = pass_roofline(dense, Target(devices::xeon_spr_2c));
    CHECK(physical_bound_us(dense, Target(devices::xeon_spr_2c)) == doctest::Approx(c.compute_us));
}

TEST_CASE("a GEMM larger than the training rows is copies of a piece of their size, with one fixed cost") {
    const Predictor& p = trained();
    const embedded::Model& m = p.view();
    const embedded::KindModel& k = m.kinds[m.index_of(LayerKind::dense, devices::t4)];
    REQUIRE_FALSE(k.portable());
    REQUIRE(k.feature_names[0] == "batch");
    REQUIRE(k.feature_names[1] == "seq");
    const auto largest = [&k](std::size_t i) { return static_cast<std::int64_t>(std::exp(k.feature_max[i]) + 0.5); };
    const std::int64_t b = largest(0);  // the rows' largest batch (at most 64), each one token per sample
    REQUIRE(b > 1);
    REQUIRE(largest(1) == 1);
    REQUIRE(largest(2) >= 3500);  // widths log-uniform up to 4,096
    REQUIRE(largest(3) >= 3500);
    // pieces of more work than the machines' floors (8 and 16 us; the H100's is their median): a piece
    // of less keeps the layer whole (test_embed.cpp)
    const Layer piece = DenseParams{.batch = b, .in_features = 3500, .out_features = 3500};
    const Layer four = DenseParams{.batch = 4 * b, .in_features = 3500, .out_features = 3500};
    const Layer sixteen = DenseParams{.batch = 16 * b, .in_features = 3500, .out_features = 3500};
    // the device's own model and the portable tier alike (it sees no sizes: the cut is the kind's rows')
    for (const Device& d : {devices::t4, devices::v100_pcie_32gb, devices::h100_sxm}) {
        CAPTURE(d.id);
        const Target t(d);
        const double floor = m.kernel_floor_us(m.kinds[m.index_of(LayerKind::dense, d)], d);
        const double one = p.predict_us(piece, t);
        REQUIRE(one > floor);
        CHECK(p.predict_us(four, t) == doctest::Approx(floor + 4 * (one - floor)).epsilon(1e-12));
        CHECK(p.predict_us(sixteen, t) - floor == doctest::Approx(4 * (p.predict_us(four, t) - floor)).epsilon(1e-12));
        // batch x seq rows either way: the same GEMM, the same time
        CHECK(p.predict_us(DenseParams{.batch = 2 * b, .in_features = 3500, .out_features = 3500, .seq = 2}, t) ==
              doctest::Approx(p.predict_us(four, t)).epsilon(1e-12));
        // a batch that is no multiple of the rows' largest: the fewest equal pieces, rounded up, counted by
        // their share (3b + 1 rows: four pieces of ceil((3b + 1) / 4))
        const std::int64_t odd = 3 * b + 1, size = (odd + 3) / 4;
        const double share = static_cast<double>(odd) / static_cast<double>(size);
        CHECK(p.predict_us(DenseParams{.batch = odd, .in_features = 3500, .out_features = 3500}, t) ==
              doctest::Approx(floor + share * (p.predict_us(DenseParams{.batch = size, .in_features = 3500,
                                                                         .out_features = 3500}, t) - floor))
                  .epsilon(1e-12));
        CHECK(p.predict_us(sixteen, t) >= physical_bound_us(sixteen, t));
    }
    // the convolutions' rows (on the T4 alone): batch at most 32, output channels at most 256
    const embedded::KindModel& c = m.kinds[m.index_of(LayerKind::conv2d, devices::t4)];
    REQUIRE(c.feature_names[0] == "batch");
    REQUIRE(c.feature_names[4] == "out_channels");
    const std::int64_t cb = static_cast<std::int64_t>(std::exp(c.feature_max[0]) + 0.5);
    const std::int64_t co = static_cast<std::int64_t>(std::exp(c.feature_max[4]) + 0.5);
    const auto conv = [](std::int64_t batch, std::int64_t out) {
        return Layer{Conv2DParams{.batch = batch, .in_channels = 64, .height = 28, .width = 28, .out_channels = out,
                                  .kernel = 3, .padding = 1}};
    };
    const Target t4(devices::t4);
    const double floor = m.kernel_floor_us(c, devices::t4);
    CHECK(p.predict_us(conv(2 * cb, 3 * co), t4) ==
          doctest::Approx(floor + 6 * (p.predict_us(conv(cb, co), t4) - floor)).epsilon(1e-12));
    // a kind that is not a GEMM is not cut: an element-wise product beyond the rows holds the edge's ratio
    const Layer wide = ElementwiseParams{.shape = Shape::matrix(1 << 16, 1 << 16), .op = ElementwiseOp::mul};
    const Layer wider = ElementwiseParams{.shape = Shape::matrix(1 << 20, 1 << 16), .op = ElementwiseOp::mul};
    const double base = portable_baseline_us(wide, t4, floor), base2 = portable_baseline_us(wider, t4, floor);
    CHECK(p.predict_us(wider, t4) / base2 == doctest::Approx(p.predict_us(wide, t4) / base).epsilon(1e-9));
}

TEST_CASE("coverage tells a training device and shape from a new one") {
    const Predictor& p = trained();
    const embedded::Model& m = p.view();
    const auto in = embedded::coverage<detail::std_math>(m, dense, Target(devices::t4));
    CHECK(in.device);
    CHECK(in.shape);
    const Layer huge = DenseParams{.batch = 65536, .in_features = 65536, .out_features = 65536};
    const auto big = embedded::coverage<detail::std_math>(m, huge, Target(devices::t4));
    CHECK(big.device);
    CHECK(!big.shape);
    CHECK(in.outside_count == 0);
    CHECK(in.outside_features().empty());
    // it names each feature outside, with the query's value and the training range
    REQUIRE(big.outside_count > 0);
    bool batch_named = false;
    for (const embedded::OutsideFeature& f : big.outside_features()) {
        CAPTURE(f.name);
        CHECK((f.value < f.min || f.value > f.max));
        if (f.name == "batch") {
            batch_named = true;
            CHECK(f.value == doctest::Approx(std::log(65536.0)));  // size features are natural logarithms
            CHECK(f.max < f.value);
        }
    }
    CHECK(batch_named);
    CHECK(!embedded::coverage<detail::std_math>(m, dense, Target(devices::h100_sxm)).device);
    CHECK(!embedded::coverage<detail::std_math>(m, BatchMatMulParams{.batch = 1, .m = 8, .k = 8, .n = 8},
                                                Target(devices::t4))
               .shape);  // a kind the model lacks
}

TEST_CASE("the portable tier trains with its own settings when given, the training devices' models with theirs") {
    // patience 0: each network trains exactly its max_epochs, which the model's metrics record per member
    DeviceRegistry reg;
    TrainOptions o = quick_options();
    o.mlp.max_epochs = 6;
    o.memory_mlp = o.mlp;
    o.memory_mlp->max_epochs = 5;
    o.portable_mlp = o.mlp;
    o.portable_mlp->max_epochs = 3;
    const Predictor p = train_predictor(synthetic_gpu_dataset(600), reg, o);
    const nlohmann::json& metrics = p.info().metrics;
    const auto epochs = [&](const std::string& label) {
        REQUIRE(metrics.contains(label));
        REQUIRE(metrics[label]["epochs"].size() == 1);
        return metrics[label]["epochs"][0].get<std::size_t>();
    };
    CHECK(epochs("dense") == 6);
    CHECK(epochs("conv2d") == 6);
    CHECK(epochs("elementwise") == 5);  // a memory-bound kind of the training devices: memory_mlp
    CHECK(epochs("portable dense") == 3);
    CHECK(epochs("portable conv2d") == 3);
    CHECK(epochs("portable memory-bound") == 3);
    // without portable settings the tier takes mlp's, as before
    o.portable_mlp.reset();
    const Predictor q = train_predictor(synthetic_gpu_dataset(600), reg, o);
    CHECK(q.info().metrics["portable dense"]["epochs"][0].get<std::size_t>() == 6);
}

TEST_CASE("a model trained on CPU rows has no portable tier") {
    Dataset ds = synthetic_gpu_dataset(400);
    for (Sample& s : ds.rows) s.device = "xeon_spr_2c";
    DeviceRegistry reg;
    const Predictor p = train_predictor(ds, reg, quick_options());
    CHECK(p.portable_models().empty());
    CHECK(!p.models().empty());
    for (const auto& [k, e] : p.models()) CHECK(!e.kernel_floor);  // no floor on a CPU: relative to the roofline
}

TEST_CASE("the training GPUs' models learn the time over the kernel floor plus the roofline, and keep the floor "
          "once beyond their rows") {
    // synthetic: element-wise products on the T4 that take a made-up launch plus 1.25 times their roofline,
    // none longer than about the launch; a product 100 times the largest is asked
    const auto dataset = [] {
        Dataset ds;
        ds.provenance["source"] = "synthetic, made by test_portable.cpp";
        for (std::int64_t rows = 1; rows <= 256; ++rows)
            for (const std::int64_t cols : {1, 16, 256, 1024}) {
                Sample s;
                s.device = "t4";
                s.layer = ElementwiseParams{.shape = Shape::matrix(rows, cols), .op = ElementwiseOp::mul};
                s.time_us = synthetic_launch_us(s.device) + 1.25 * roofline_us(s.layer, Target(devices::t4));
                s.source = "synthetic";
                ds.rows.push_back(s);
            }
        return ds;
    }();
    DeviceRegistry reg;
    TrainOptions o = quick_options();
    o.portable = false;
    o.mlp.max_epochs = 200;
    const Predictor with_floor = train_predictor(dataset, reg, o);
    o.kernel_floor = false;
    const Predictor without = train_predictor(dataset, reg, o);
    REQUIRE(with_floor.models().at(LayerKind::elementwise).kernel_floor);
    REQUIRE(!without.models().at(LayerKind::elementwise).kernel_floor);
    const Target t4(devices::t4);
    const Layer edge = ElementwiseParams{.shape = Shape::matrix(256, 1024), .op = ElementwiseOp::mul};
    const Layer beyond = ElementwiseParams{.shape = Shape::matrix(25'600, 1024), .op = ElementwiseOp::mul};
    REQUIRE(roofline_us(edge, t4) < 2 * synthetic_launch_us("t4"));
    const double truth = synthetic_launch_us("t4") + 1.25 * roofline_us(beyond, t4);
    const auto miss = [&](const Predictor& p) { return std::fabs(p.predict_us(beyond, t4) / truth - 1); };
    CHECK(miss(with_floor) < 0.2);  // the edge's ratio times the floor once plus the larger roofline
    CHECK(miss(without) > 0.4);    // the edge's ratio, which holds the floor's share, times the larger roofline
    // a model file keeps the baseline, and refuses one that has no floors to add
    const Predictor again = Predictor::parse(with_floor.to_json().dump(1), "m.json");
    CHECK(again.predict_us(beyond, t4) == with_floor.predict_us(beyond, t4));
    nlohmann::json j = with_floor.to_json();
    j["training"].erase("kernel_floors_us");
    CHECK_THROWS_WITH_AS(Predictor::parse(j.dump(1), "m.json", false), doctest::Contains("models.elementwise.kernel_floor"),
                         error);
}
