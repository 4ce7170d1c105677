// The framework's call overhead (call_overhead.hpp): its fit to layers timed in place and back to
// back, its place in the model file, in Predictor::layer_time, estimate() and the embedded model; the
// device's level per kind beside it (fit_levels, applied to each kernel, held at the physical bound).
// The timings here are synthetic (unit-test data, written by hand), not measured.
#include <doctest/doctest.h>

#include <perfcast/core/call_overhead.hpp>
#include <perfcast/lab/embed.hpp>             // embed_model_header
#include <perfcast/runtime/estimate.hpp>       // estimate
#include <perfcast/lab/layer_validation.hpp>  // fit_call_overhead, fit_levels, parse_layer_timings

#include <algorithm>  // min
#include <string>     // string
#include <utility>    // pair
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

namespace {

/** A dense layer of `out` outputs on 256 inputs, as a layers-file object. */
std::string dense_json(int out) {
    return R"({""name"":""fc"",""kind"":""dense"",""in_features"":256,""out_features"":)" + std::to_string(out) +
           R"(,""bias"":true})";
}
const std::string copy_json = R"({""name"":""cp"",""kind"":""copy"",""shape"":[64,64]})";

/** The model's time of a layers-file row's layers on a T4 at inference: each layer's, and the dense ones'. */
std::pair<double, double> model_us(const Predictor& p, const std::string& layers) {
    const LayerTimingData v = parse_layer_timings(header + row("inference", 1.0, "", layers), "one.csv");
    double all = 0, dense = 0;
    for (const NamedLayer& nl : v.rows.at(0).layers) {
        const double us = p.layer_time(nl.layer, Target(devices::t4, Pass::inference, DType::fp32)).us;
        all += us;
        if (kind(nl.layer) == LayerKind::dense) dense += us;
    }
    return {all, dense};
}

}  // namespace

TEST_CASE("device level: fitted as the ratio of the kind's sums in place and modelled, applied on its device only") {
    Predictor p = small_model();
    const Device& t4 = devices::t4;
    // synthetic timings: six dense layers in place at 1.5 times the model's kernel time; one more beside a copy,
    // whose time is the model's copy plus 1.5 times its dense layer; four ReLUs (too few for a level)
    std::string text = "# tool: synthetic unit-test timings\n" + header;
    for (const int out : {16, 64, 128, 300, 512, 1000}) {
        const double us = model_us(p, dense_json(out)).second;
        text += row("inference", 1.5 * us / 1e3, "", dense_json(out));
    }
    const auto [both_us, dense_us] = model_us(p, copy_json + "," + dense_json(77));
    text += row("inference", (both_us - dense_us + 1.5 * dense_us) / 1e3, "", copy_json + "," + dense_json(77));
    for (int i = 0; i < 4; ++i) text += row("inference", 0.1, "", relu);
    text += row("training", 50.0, "", dense_json(64));  // a training step: left out
    std::string tf32 = row("inference", 50.0, "", dense_json(64));  // a precision the model has no rows of: left out
    tf32.replace(tf32.find(",fp32,"), 6, ",tf32,");
    text += tf32;
    const LayerTimingData v = parse_layer_timings(text, "gpu_layers.csv");

    const std::vector<LevelKindFit> fits = fit_levels({&v}, p, t4, {LayerKind::dense, LayerKind::activation});
    REQUIRE(fits.size() == 2);
    CHECK(fits[0].kind == LayerKind::dense);
    CHECK(fits[0].rows == 7);
    CHECK(fits[0].fitted);
    CHECK(fits[0].level == doctest::Approx(1.5).epsilon(1e-6));
    CHECK_FALSE(fits[1].fitted);  // four operations
    CHECK(fits[1].level == 1.0);

    // the repeat of an operation weighs it: rows at 2x (once) and 1x (three times) give (2 + 3) / (1 + 3)
    LayerTimingData w = v;
    w.rows.resize(6);
    for (std::size_t i = 0; i < w.rows.size(); ++i) {
        const double us = model_us(p, dense_json(i % 2 ? 64 : 128)).second;
        w.rows[i].layers = parse_layer_timings(header + row("inference", 1.0, "", dense_json(i % 2 ? 64 : 128)), "x.csv")
                               .rows.at(0)
                               .layers;
        w.rows[i].time_ms = (i == 0 ? 2.0 : 1.0) * us / 1e3;
        w.rows[i].repeat = i == 0 ? 1.0 : (i < 4 ? 3.0 : 0.0);  // a repeat of 0: not run, left out
    }
    const double u0 = model_us(p, dense_json(128)).second, u1 = model_us(p, dense_json(64)).second;
    const double expected = (2.0 * u0 + 3.0 * (u1 + u0 + u1)) / (u0 + 3.0 * (u1 + u0 + u1));
    const std::vector<LevelKindFit> wf = fit_levels({&w}, p, t4, {LayerKind::dense});
    CHECK(wf[0].rows == 4);
    CHECK_FALSE(wf[0].fitted);  // four operations run
    CHECK(wf[0].in_place_ms / wf[0].predicted_ms == doctest::Approx(expected).epsilon(1e-9));

    // applied: every kernel of a dense layer on the T4 times 1.5 (a training step's GEMMs too), nothing elsewhere
    const Layer dense = DenseParams{4, 256, 300, true, 1};
    const Target inf(t4, Pass::inference, DType::fp32), train(t4, Pass::training, DType::fp32);
    const Target other(devices::l4, Pass::inference, DType::fp32);
    const double inf_before = p.layer_time(dense, inf).us, train_before = p.layer_time(dense, train).us;
    const double other_before = p.layer_time(dense, other).us;
    const Layer b = BatchNorm2DParams{2, 8, 4, 4, true};
    const double bn_before = p.layer_time(b, inf).us;
    CallOverhead c;
    c.level[static_cast<std::size_t>(LayerKind::dense)] = fits[0].level;
    c.level_rows[static_cast<std::size_t>(LayerKind::dense)] = fits[0].rows;
    CHECK(c.fitted());
    CHECK_FALSE(c.fitted(LayerKind::dense));  // no call overhead
    p.set_call_overhead(c, "t4", {"gpu_layers.csv"});
    CHECK(p.layer_time(dense, inf).us == doctest::Approx(1.5 * inf_before));
    CHECK(p.layer_time(dense, inf).overhead_us == 0.0);
    // (a small kernel of the step, the bias gradient, may stop at its physical bound: at most 1.5 times)
    CHECK(p.layer_time(dense, train).us == doctest::Approx(1.5 * train_before).epsilon(1e-3));
    CHECK(p.layer_time(dense, train).us <= 1.5 * train_before * (1 + 1e-12));
    CHECK(p.layer_time(dense, other).us == doctest::Approx(other_before));
    CHECK(p.layer_time(b, inf).us == doctest::Approx(bn_before));
    // the embedded model the same way
    CHECK(embedded::layer_time(p.view(), dense, inf).us == doctest::Approx(1.5 * inf_before));
    CHECK(embedded::layer_time(p.view(), dense, other).us == doctest::Approx(other_before));

    // never below the physical bound: a level of 1e-4 stops there
    CallOverhead fast = c;
    fast.level[static_cast<std::size_t>(LayerKind::dense)] = 1e-4;
    p.set_call_overhead(fast, "t4", {"gpu_layers.csv"});
    CHECK(1e-4 * inf_before < physical_bound_us(dense, inf));
    CHECK(p.layer_time(dense, inf).us == doctest::Approx(physical_bound_us(dense, inf)));

    // the model file keeps it, the embedded header carries it, a level out of range names its field
    p.set_call_overhead(c, "t4", {"gpu_layers.csv"});
    const Predictor q = Predictor::parse(p.to_json().dump(), "m.json");
    CHECK(q.call_overhead().level == p.call_overhead().level);
    CHECK(q.call_overhead().level_rows == p.call_overhead().level_rows);
    CHECK(q.call_overhead().rows == p.call_overhead().rows);
    CHECK(q.layer_time(dense, inf).us == doctest::Approx(1.5 * inf_before));
    const std::string h = embed_model_header(p, "with_level", "test");
    CHECK(h.find(".level = {") != std::string::npos);
    CHECK(h.find(".level_rows = {") != std::string::npos);
    for (const double bad : {0.0, -1.0, 1000.0}) {
        nlohmann::json j = p.to_json();
        j["call_overhead"]["kinds"]["dense"]["level"] = bad;
        try {
            (void)Predictor::parse(j.dump(), "bad.json");
            FAIL("a level of " << bad << " was accepted");
        } catch (const error& err) {
            CHECK(err.where().file == "bad.json");
            CHECK(err.field().find("dense") != std::string::npos);
        }
    }
    nlohmann::json j = p.to_json();
    j["call_overhead"]["kinds"]["dense"].erase("level_rows");
    CHECK_THROWS_AS((void)Predictor::parse(j.dump(), "bad.json"), error);
}
