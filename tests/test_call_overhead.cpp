// The framework's call overhead (call_overhead.hpp): its fit to layers timed in place and back to
// back, its place in the model file, in Predictor::layer_time, estimate() and the embedded model.
// The timings here are synthetic (unit-test data, written by hand), not measured.
#include <doctest/doctest.h>

#include <perfcast/core/call_overhead.hpp>
#include <perfcast/lab/embed.hpp>             // embed_model_header
#include <perfcast/runtime/estimate.hpp>       // estimate
#include <perfcast/lab/layer_validation.hpp>  // fit_call_overhead, parse_layer_timings

#include <algorithm>  // min
#include <string>     // string
#include <vector>     // vector

using namespace perfcast;

namespace {

const std::string header = "network,batch,pass,dtype,device,threads,malloc,index,node,layer,kind,time_ms,samples,"
                           "spread,isolated_ms,layers,error\n";

/** One row of one layer (`layer` is its JSON object, quotes doubled for the CSV). */
std::string row(const std::string& pass, double time_ms, const std::string& isolated_ms, const std::string& layer) {
    return "net,2," + pass + ",fp32,cpu,1,default,0,n,n,," + std::to_string(time_ms) + ",5,0.01," + isolated_ms + ",\"[" +
           layer + "]\",\n";
}

const std::string bn = R"({""name"":""bn"",""kind"":""batchnorm2d"",""channels"":8,""height"":4,""width"":4})";
const std::string relu = R"({""name"":""relu"",""kind"":""activation"",""activation"":""relu"",""shape"":[8,4,4]})";
const std::string add = R"({""name"":""add"",""kind"":""add"",""shape"":[8,4,4],""inputs"":2})";
const std::string pool =
    R"({""name"":""pool"",""kind"":""pool2d"",""channels"":8,""height"":4,""width"":4,""mode"":""max"",""kernel"":2,""stride"":2,""padding"":0})";
const std::string conv =
    R"({""name"":""conv"",""kind"":""conv2d"",""in_channels"":8,""height"":4,""width"":4,""out_channels"":8,""kernel"":3,""stride"":1,""padding"":1,""dilation"":1,""groups"":1,""bias"":false})";

std::string concat(int channels) {
    return R"({""name"":""cat"",""kind"":""concat"",""channels"":)" + std::to_string(channels) +
           R"(,""height"":16,""width"":16,""inputs"":2})";
}

/** Bytes a layer (the only one of a one-row file) moves at inference. */
double bytes_of(const std::string& layer) {
    const LayerTimingData v = parse_layer_timings(header + row("inference", 1.0, "1.0", layer), "one.csv");
    return static_cast<double>(pass_cost(v.rows.at(0).layers.at(0).layer, Pass::inference, DType::fp32).bytes);
}

/** Synthetic timings with known differences between in place and back to back. */
LayerTimingData synthetic_timings() {
    std::string text = "# tool: synthetic unit-test timings\n" + header;
    // concat: in place = back to back + 5 us + 100 us per MB moved, up to the T4's 4 MiB of L2
    for (const int c : {8, 64, 512, 4096, 8192}) {
        const double diff_us = 5.0 + 100.0 * std::min(bytes_of(concat(c)), 4.0 * 1048576.0) / 1e6;
        text += row("inference", 1.0 + diff_us / 1e3, "1.0", concat(c));
    }
    // batch norm: equal weights, differences 10..60 us: the median of six, the third, 30 us
    for (int d = 10; d <= 60; d += 10) text += row("inference", 1.0, std::to_string(1.0 - d * 1e-3), bn);
    // ReLU: two short calls 10 us apart and three long ones 1000 us apart; the relative error weighs
    // the short ones 10 each and the long ones 0.1: 10 us (the plain median would be 1000)
    for (int i = 0; i < 2; ++i) text += row("inference", 0.1, "0.09", relu);
    for (int i = 0; i < 3; ++i) text += row("inference", 10.0, "9.0", relu);
    // add: four rows, too few for a constant
    for (int i = 0; i < 4; ++i) text += row("inference", 0.2, "0.1", add);
    // pool2d: faster in place than back to back: the constant is 0, and fitted
    for (int i = 0; i < 5; ++i) text += row("inference", 0.5, "0.6", pool);
    // left out: convolutions (their sweeps read weights cold), rows without an isolated time, training
    for (int i = 0; i < 6; ++i) text += row("inference", 2.0, "1.0", conv);
    for (int i = 0; i < 6; ++i) text += row("inference", 5.0, "", bn);
    for (int i = 0; i < 6; ++i) text += row("training", 5.0, "1.0", bn);
    return parse_layer_timings(text, "layers.csv");
}

/** A small learned dense model (synthetic rows on a T4), for a Predictor to hang the overhead on. */
Predictor small_model() {
    Dataset ds;
    for (std::int64_t b = 1; b <= 32; ++b) {
        Sample s;
        s.layer = DenseParams{b, 256, 128, true, 1};
        s.device = "t4";
        s.time_us = 5.0 + 1e-4 * static_cast<double>(b * 256 * 128);
        s.source = "synthetic";
        ds.rows.push_back(s);
    }
    TrainOptions o;
    o.ensemble = 1;
    o.mlp.hidden = {8};
    o.mlp.max_epochs = 5;
    o.mlp.patience = 0;
    DeviceRegistry reg;
    return train_predictor(ds, reg, o);
}

}  // namespace

TEST_CASE("call overhead: the isolated time is read, and a negative one is refused with its line") {
    const LayerTimingData v = synthetic_timings();
    REQUIRE(v.rows.size() == 43);
    CHECK(v.rows[5].isolated_ms == doctest::Approx(0.99));
    CHECK(v.rows[31].isolated_ms < 0);  // the first batch norm without one
    try {
        (void)parse_layer_timings(header + row("inference", 1.0, "-0.5", bn), "bad.csv");
        FAIL("a negative isolated_ms was accepted");
    } catch (const error& e) {
        CHECK(e.where().file == "bad.csv");
        CHECK(e.where().line == 2);
        CHECK(e.field() == "isolated_ms");
    }
}

TEST_CASE("call overhead: per kind, a constant and a cost per byte up to the cache; conv2d and dense take none") {
    const LayerTimingData v = synthetic_timings();
    const Device& t4 = devices::t4;  // 4 MiB of L2: the cache the cost per byte stops at
    const CallOverheadFit f = fit_call_overhead({&v}, t4);
    const CallOverhead& o = f.overhead;
    const auto at = [&](const std::string& layer) {
        const LayerTimingData one = parse_layer_timings(header + row("inference", 1.0, "1.0", layer), "one.csv");
        return o.at(one.rows.at(0).layers.at(0).layer, Target(t4, Pass::inference, DType::fp32));
    };
    // concat: both constants recovered from exact data, the largest layers capped at the cache
    const auto cat = static_cast<std::size_t>(LayerKind::concat);
    CHECK(o.us[cat] == doctest::Approx(5.0).epsilon(1e-4));
    CHECK(o.us_per_mb[cat] == doctest::Approx(100.0).epsilon(1e-4));
    CHECK(at(concat(8192)) == doctest::Approx(5.0 + 100.0 * 4.0 * 1048576.0 / 1e6).epsilon(1e-4));
    CHECK(bytes_of(concat(8192)) > 4.0 * 1048576.0);
    // batch norm, all of one size: the weighted median of six, the third, 30 us
    CHECK(at(bn) == doctest::Approx(30.0).epsilon(1e-6));
    CHECK(o.rows[static_cast<std::size_t>(LayerKind::batchnorm2d)] == 6);
    CHECK(at(relu) == doctest::Approx(10.0).epsilon(1e-6));  // weighted by 1 / in place, not 1000
    CHECK(o.fitted(LayerKind::pool2d));
    CHECK(at(pool) == 0.0);  // faster in place: clamped
    CHECK_FALSE(o.fitted(LayerKind::add));  // 4 < min_rows
    CHECK_FALSE(o.fitted(LayerKind::conv2d));
    CHECK(f.rows == 5 + 6 + 5 + 4 + 5);
    REQUIRE(f.kinds.size() == 5);  // pool2d, batchnorm2d, activation, add, concat, in LayerKind's order
    CHECK(f.kinds[0].kind == LayerKind::pool2d);
    CHECK(f.kinds[3].kind == LayerKind::add);
    CHECK(f.kinds[3].rows == 4);
    CHECK(f.kinds[3].in_place_ms == doctest::Approx(0.8));
    CHECK(f.kinds[3].isolated_ms == doctest::Approx(0.4));
    CHECK(f.kinds[4].mean_abs_error == doctest::Approx(0.0).epsilon(1e-6));  // exact data, exact fit
    CHECK(f.kinds[4].mean_abs_error_isolated > 0.0);
    CHECK(o.at(LayerKind::concat, 1e6, 1e9) == doctest::Approx(105.0).epsilon(1e-4));
    CHECK(o.at(LayerKind::concat, 1e9, 1e6) == doctest::Approx(105.0).epsilon(1e-4));  // capped
}

TEST_CASE("call overhead: the model adds it on its device to each forward call, the file and the embedded model keep it") {
    Predictor p = small_model();
    const LayerTimingData v = synthetic_timings();
    const Device& t4 = devices::t4;
    const CallOverheadFit f = fit_call_overhead({&v}, t4);
    const Layer b = BatchNorm2DParams{2, 8, 4, 4, true};
    const Layer dense = DenseParams{4, 256, 128, true, 1};
    const auto before = [&m = p](const Layer& l, const Device& dev, Pass pass, DType dt) {
        return m.layer_time(l, Target(dev, pass, dt));
    };
    const double bn_before = before(b, t4, Pass::inference, DType::fp32).us;
    const double dense_before = before(dense, t4, Pass::inference, DType::fp32).us;
    const double bn_train_before = before(b, t4, Pass::training, DType::fp32).us;
    const Network net{"n", 2, {NamedLayer{"bn", b}, NamedLayer{"relu", ActivationParams{Shape::nchw(2, 8, 4, 4), ActivationKind::relu}},
                               NamedLayer{"fc", DenseParams{2, 128, 10, true, 1}}}};
    const NetworkEstimate tr0 = estimate(net, Target(t4, Pass::training, DType::fp32), p, EstimateOptions{});
    p.set_call_overhead(f.overhead, "t4", {"layers.csv"});  // `before` reads p: from here it has the overhead too

    const auto fn = [&m = p](const Layer& l, const Device& dev, Pass pass, DType dt) {
        return m.layer_time(l, Target(dev, pass, dt));
    };
    const LayerTime lt = fn(b, t4, Pass::inference, DType::fp32);
    const double bn_overhead = f.overhead.at(b, Target(t4, Pass::inference, DType::fp32));
    CHECK(bn_overhead > 0.0);
    CHECK(lt.overhead_us == doctest::Approx(bn_overhead));
    CHECK(lt.us == doctest::Approx(bn_before + bn_overhead));
    CHECK(fn(dense, t4, Pass::inference, DType::fp32).us == doctest::Approx(dense_before));  // dense takes none
    // a training step calls the forward the same way: the same overhead, of the forward's bytes
    CHECK(fn(b, t4, Pass::training, DType::fp32).overhead_us == doctest::Approx(bn_overhead));
    CHECK(fn(b, t4, Pass::training, DType::fp32).us == doctest::Approx(bn_train_before + bn_overhead));
    CHECK(fn(b, devices::l4, Pass::inference, DType::fp32).overhead_us == 0.0);  // another device
    const Layer flat = FlattenParams{Shape::nchw(2, 8, 4, 4)};
    CHECK(fn(flat, t4, Pass::inference, DType::fp32).us == 0.0);  // no kernel, and flatten has no constant

    // estimate() sums it apart, once per layer in a training step too, and leaves it out of the optimizer
    const NetworkEstimate e = estimate(net, Target(t4, Pass::inference, DType::fp32), p, EstimateOptions{});
    const double relu_overhead = f.overhead.at(net.layers[1].layer, Target(t4, Pass::inference, DType::fp32));
    CHECK(relu_overhead > 0.0);
    CHECK(e.overhead_total_us == doctest::Approx(bn_overhead + relu_overhead));
    CHECK(e.layers[0].overhead_us == doctest::Approx(bn_overhead));
    CHECK(e.layers[2].overhead_us == 0.0);
    const NetworkEstimate tr = estimate(net, Target(t4, Pass::training, DType::fp32), p, EstimateOptions{});
    CHECK(tr.overhead_total_us == doctest::Approx(bn_overhead + relu_overhead));
    CHECK(tr.total_us == doctest::Approx(tr0.total_us + bn_overhead + relu_overhead).epsilon(1e-12));

    // the model file keeps it; a bad entry names its field
    const Predictor q = Predictor::parse(p.to_json().dump(), "m.json");
    CHECK(q.call_overhead_device() == "t4");
    CHECK(q.call_overhead().us == p.call_overhead().us);
    CHECK(q.call_overhead().us_per_mb == p.call_overhead().us_per_mb);
    CHECK(q.call_overhead().rows == p.call_overhead().rows);
    CHECK(q.call_overhead_files() == std::vector<std::string>{"layers.csv"});
    nlohmann::json j = p.to_json();
    j["call_overhead"]["kinds"]["bogus"] = {{"us", 1.0}, {"rows", 5}};
    try {
        (void)Predictor::parse(j.dump(), "bad.json");
        FAIL("an unknown kind was accepted");
    } catch (const error& err) {
        CHECK(err.where().file == "bad.json");
        CHECK(err.field().find("bogus") != std::string::npos);
    }
    j = p.to_json();
    j["call_overhead"]["kinds"]["batchnorm2d"]["us"] = -1.0;
    CHECK_THROWS_AS((void)Predictor::parse(j.dump(), "bad.json"), error);

    // the embedded model applies it the same way
    std::vector<Layer> layers;
    for (const NamedLayer& nl : net.layers) layers.push_back(nl.layer);
    CHECK(embedded::network_us(p.view(), layers, Target(t4, Pass::inference, DType::fp32)) ==
          doctest::Approx(e.total_us).epsilon(1e-12));
    CHECK(embedded::network_us(p.view(), layers, Target(t4, Pass::training, DType::fp32)) ==
          doctest::Approx(tr.total_us).epsilon(1e-12));
    CHECK(embedded::layer_time(p.view(), b, Target(t4, Pass::inference, DType::fp32)).overhead_us == doctest::Approx(bn_overhead));
    CHECK(embedded::layer_time(p.view(), b, Target(devices::l4, Pass::inference, DType::fp32)).overhead_us == 0.0);
    // and the header `perfcast embed` writes carries it
    const std::string text = embed_model_header(p, "with_overhead", "test");
    CHECK(text.find("perfcast::CallOverhead{.us = {") != std::string::npos);
    CHECK(text.find(".us_per_mb = {") != std::string::npos);
    CHECK(text.find("\"t4\"") != std::string::npos);

    // removing it
    p.set_call_overhead(CallOverhead{}, "t4", {});
    CHECK(p.call_overhead_device().empty());
    CHECK_FALSE(p.to_json().contains("call_overhead"));
}
