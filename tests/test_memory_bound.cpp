// Tests of memory_fit.hpp, optimizer.hpp, the dataset rows of the memory-bound kinds (schema
// version 2) and the estimate's training step, on synthetic rows made here (named so), never on
// measurements.
#include <doctest/doctest.h>

#include <perfcast/core/constexpr_model.hpp>
#include <perfcast/runtime/dataset.hpp>
#include <perfcast/lab/embed.hpp>
#include <perfcast/runtime/estimate.hpp>
#include <perfcast/core/memory_fit.hpp>
#include <perfcast/core/optimizer.hpp>
#include <perfcast/runtime/predictor.hpp>
#include <perfcast/core/zoo.hpp>

#include <cmath>    // fabs
#include <sstream>  // ostringstream

using namespace perfcast;

namespace {

/** Synthetic: element-wise and batch-norm rows that follow t = latency + bytes / (eff x bw) exactly. */
Dataset synthetic_memory_dataset(std::size_t n, double latency_us, double efficiency) {
    Dataset ds;
    ds.provenance["source"] = "synthetic, made by test_memory_bound.cpp";
    std::uint64_t state = 777;
    auto next = [&] {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<double>(state >> 11) / 9007199254740992.0;
    };
    auto size = [&](double hi) { return 1 + static_cast<std::int64_t>(std::exp(next() * std::log(hi))); };
    for (std::size_t i = 0; i < n; ++i) {
        Sample s;
        switch (i % 4) {
            case 0: s.layer = BatchNorm2DParams{size(32), size(256), 8, 8, true}; break;
            case 1: s.layer = ActivationParams{Shape::nchw(size(32), size(256), 7, 7), ActivationKind::relu}; break;
            case 2: s.layer = AddParams{Shape::matrix(1, size(1e6)), 2}; break;
            default: s.layer = ConcatParams{size(16), 64, 14, 14, 2}; break;
        }
        s.pass = i % 3 == 0 ? Pass::training : Pass::inference;
        s.device = "xeon_spr_2c";
        const MemoryFitRow r = memory_fit_row(s.layer, Target(devices::xeon_spr_2c, s.pass, s.dtype), 0);
        s.time_us = latency_us * r.kernels + r.memory_us / efficiency;
        s.source = "synthetic";
        ds.rows.push_back(s);
    }
    return ds;
}

}  // namespace

TEST_CASE("the memory fit recovers the latency and efficiency of rows that follow its form") {
    const Dataset ds = synthetic_memory_dataset(200, 3.0, 0.6);
    std::vector<MemoryFitRow> rows;
    for (const Sample& s : ds.rows) rows.push_back(memory_fit_row(s.layer, Target(devices::xeon_spr_2c, s.pass, s.dtype), s.time_us));
    const MemoryFit f = fit_memory_model(rows);
    REQUIRE(f.fitted());
    CHECK(f.rows == 200);
    CHECK(f.latency_us == doctest::Approx(3.0).epsilon(1e-6));
    CHECK(f.efficiency == doctest::Approx(0.6).epsilon(1e-6));
    // a training step of a batch norm is three kernels: forward, backward data, backward weights
    const Layer bn = BatchNorm2DParams{8, 64, 14, 14, true};
    const MemoryFitRow r = memory_fit_row(bn, Target(devices::xeon_spr_2c, Pass::training, DType::fp32), 0);
    CHECK(r.kernels == 3);
    CHECK(f.us(bn, Target(devices::xeon_spr_2c, Pass::training, DType::fp32)) == doctest::Approx(3 * 3.0 + r.memory_us / 0.6));

    SUBCASE("too few rows leave it unfitted") {
        rows.resize(min_memory_fit_rows - 1);
        CHECK_FALSE(fit_memory_model(rows).fitted());
    }
    SUBCASE("a negative latency is refitted through the origin") {
        std::vector<MemoryFitRow> big;  // time = memory / 0.5 - 0.05 us per kernel: a negative latency
        for (MemoryFitRow x : rows)
            if (x.memory_us > 1.0) {
                x.time_us = x.memory_us / 0.5 - 0.05 * x.kernels;
                big.push_back(x);
            }
        REQUIRE(big.size() >= min_memory_fit_rows);
        const MemoryFit g = fit_memory_model(big);
        REQUIRE(g.fitted());
        CHECK(g.latency_us == 0.0);
        CHECK(g.efficiency > 0.45);
    }
}

TEST_CASE("views and the identity run no kernel; everything else does") {
    const Layer flatten = FlattenParams{Shape::nchw(2, 8, 4, 4)};
    const Layer dropout = DropoutParams{Shape::matrix(2, 128), 0.5};
    CHECK(runs_no_kernel(flatten, Pass::inference, DType::fp32));
    CHECK(runs_no_kernel(flatten, Pass::training, DType::fp32));
    CHECK(runs_no_kernel(dropout, Pass::inference, DType::fp32));
    CHECK_FALSE(runs_no_kernel(dropout, Pass::training, DType::fp32));
    CHECK_FALSE(runs_no_kernel(Layer{AddParams{Shape::matrix(1, 10), 2}}, Pass::inference, DType::fp32));
}

TEST_CASE("a predictor trained with memory-bound rows has their models and a memory fit for the rest") {
    const Dataset ds = synthetic_memory_dataset(400, 2.0, 0.8);
    DeviceRegistry reg;
    TrainOptions o;
    o.ensemble = 1;
    o.mlp.hidden = {16};
    o.mlp.max_epochs = 5;
    o.mlp.patience = 0;
    const Predictor p = train_predictor(ds, reg, o);
    CHECK(p.covers(LayerKind::batchnorm2d));
    CHECK(p.covers(LayerKind::activation));
    CHECK(p.covers(LayerKind::add));
    CHECK(p.covers(LayerKind::concat));
    CHECK_FALSE(p.covers(LayerKind::dropout));
    REQUIRE(p.memory_fit().fitted());
    CHECK(p.memory_fit().latency_us == doctest::Approx(2.0).epsilon(1e-6));

    const auto fn = [&m = p](const Layer& l, const Device& dev, Pass pass, DType dt) {
        return m.layer_time(l, Target(dev, pass, dt));
    };
    const Device& cpu = devices::xeon_spr_2c;
    const Layer dropout = DropoutParams{Shape::matrix(8, 4096), 0.5};
    CHECK(fn(BatchNorm2DParams{4, 32, 8, 8, true}, cpu, Pass::training, DType::fp32).method == Method::mlp);
    const LayerTime d = fn(dropout, cpu, Pass::training, DType::fp32);
    CHECK(d.method == Method::memory_fit);
    CHECK(d.us == doctest::Approx(p.memory_fit().us(dropout, Target(cpu, Pass::training, DType::fp32))));
    CHECK(fn(dropout, cpu, Pass::inference, DType::fp32).method == Method::no_kernel);
    CHECK(fn(dropout, cpu, Pass::inference, DType::fp32).us == 0.0);
    CHECK(fn(FlattenParams{Shape::nchw(1, 2, 3, 3)}, cpu, Pass::training, DType::fp32).method == Method::no_kernel);
    // never trained on bf16: the fit, with bf16's bytes
    CHECK(fn(dropout, cpu, Pass::training, DType::bf16).method == Method::memory_fit);
    CHECK(fn(dropout, cpu, Pass::training, DType::bf16).us < d.us);

    // the fit travels in the model file and the embedded form applies the same policy
    const Predictor q = Predictor::parse(p.to_json().dump(), "m.json");
    CHECK(q.memory_fit().efficiency == p.memory_fit().efficiency);
    CHECK(q.memory_fit().latency_us == p.memory_fit().latency_us);
    const LayerTime e = embedded::layer_time(p.view(), dropout, Target(cpu, Pass::training, DType::fp32));
    CHECK(e.method == Method::memory_fit);
    CHECK(e.us == doctest::Approx(d.us).epsilon(1e-12));
}

TEST_CASE("memory-bound rows round-trip through the dataset (schema 2), and schema 1 files still read") {
    Dataset ds;
    auto add = [&](Layer l) {
        Sample s;
        s.layer = l;
        s.device = "xeon_spr_2c";
        s.time_us = 1.5;
        s.source = "synthetic";
        ds.rows.push_back(s);
    };
    add(BatchNorm2DParams{2, 16, 8, 8, true});
    add(ActivationParams{Shape::nchw(2, 16, 8, 8), ActivationKind::gelu});
    add(ActivationParams{Shape::matrix(4, 1000), ActivationKind::relu});
    add(AddParams{Shape::matrix(1, 123456), 2});
    add(AddParams{Shape::nchw(2, 16, 8, 8), 3});
    add(ConcatParams{2, 96, 7, 7, 3});
    add(SoftmaxParams{8, 1000});
    std::ostringstream out;
    write_dataset(out, ds);
    CHECK(out.str().find("# version: 3") != std::string::npos);
    DeviceRegistry reg;
    const Dataset back = parse_dataset(out.str(), "m.csv", reg);
    REQUIRE(back.rows.size() == ds.rows.size());
    for (std::size_t i = 0; i < ds.rows.size(); ++i) {
        CAPTURE(i);
        CHECK(back.rows[i].layer == ds.rows[i].layer);
    }
    // rank 3 has no columns: refused, naming the field
    Dataset bad;
    Sample s;
    s.layer = ActivationParams{Shape{3, {2, 3, 4, 0}}, ActivationKind::relu};
    s.device = "t4";
    bad.rows.push_back(s);
    std::ostringstream ignored;
    try {
        write_dataset(ignored, bad);
        FAIL("expected perfcast::error");
    } catch (const error& e) {
        CHECK(e.field() == "shape");
    }
    // a version 1 file (no inputs column) reads; an unknown version does not
    const std::string v1 = "# format: perfcast-dataset\n# version: 1\n"
                           "kind,pass,dtype,device,batch,channels,height,width,activation,time_us\n"
                           "activation,inference,fp32,t4,2,3,4,5,relu,1.0\n"
                           "add,inference,fp32,t4,2,3,4,5,,1.0\n";
    const Dataset old = parse_dataset(v1, "v1.csv", reg);
    REQUIRE(old.rows.size() == 2);
    CHECK(std::get<AddParams>(old.rows[1].layer).inputs == 2);
    std::string v4 = v1;
    v4.replace(v4.find("version: 1"), 10, "version: 4");
    CHECK_THROWS_AS(parse_dataset(v4, "v4.csv", reg), error);
    // a concat row without its inputs is refused with line and column
    try {
        parse_dataset("# format: perfcast-dataset\n# version: 2\nkind,pass,dtype,device,batch,channels,height,width,"
                      "inputs,time_us\nconcat,inference,fp32,t4,2,8,4,4,,1.0\n",
                      "c.csv", reg);
        FAIL("expected perfcast::error");
    } catch (const error& e) {
        CHECK(e.where().line == 4);
        CHECK(e.field() == "inputs");
    }
}

TEST_CASE("parameter tensors add up to the parameter count") {
    for (const Network& net : {zoo::alexnet(1), zoo::resnet50(1), zoo::inception_v3(1)}) {
        std::int64_t total = 0, tensors = 0;
        for (const NamedLayer& nl : net.layers)
            for_each_parameter_tensor(nl.layer, [&](std::int64_t n) {
                total += n;
                ++tensors;
            });
        CAPTURE(net.name);
        CHECK(total == net.totals().params);
        if (net.name == "resnet50") CHECK(tensors == 161);  // torchvision: len(list(model.parameters()))
        if (net.name == "alexnet") CHECK(tensors == 16);
    }
}

TEST_CASE("a training step adds the optimizer's update; inference and optimizer none do not") {
    const Network net = zoo::alexnet(4);
    const Device& d = devices::t4;
    std::vector<Layer> updates;
    for (const NamedLayer& nl : net.layers) for_each_parameter_tensor(nl.layer, [&](std::int64_t n) { updates.push_back(update_kernel(n)); });
    for (Optimizer o : {Optimizer::sgd, Optimizer::sgd_momentum, Optimizer::adam}) {
        const NetworkEstimate e = estimate(net, Target(d, Pass::training, DType::fp32), Analytical::roofline, EstimateOptions{{}, o});
        REQUIRE(e.layers.size() == net.layers.size() + 1);
        const LayerEstimate& u = e.layers.back();
        CHECK(u.name == "optimizer." + std::string(to_string(o)));
        double expect = 0;
        for (const Layer& l : updates) expect += update_kernels(o) * roofline_us(l, Target(d, Pass::inference, DType::fp32));
        CHECK(u.us == doctest::Approx(expect));
        double layers = 0;
        for (std::size_t i = 0; i + 1 < e.layers.size(); ++i) layers += e.layers[i].us;
        CHECK(e.total_us == doctest::Approx(layers + u.us));
        CHECK(u.output.elements() == net.totals().params);
    }
    CHECK(estimate(net, Target(d, Pass::training, DType::fp32), Analytical::roofline, EstimateOptions{{}, Optimizer::none})
              .layers.size() == net.layers.size());
    CHECK(estimate(net, Target(d, Pass::inference, DType::fp32), Analytical::roofline).layers.size() == net.layers.size());
    CHECK(parse_optimizer("adam") == Optimizer::adam);
    CHECK_FALSE(parse_optimizer("lamb"));
}

TEST_CASE("layer norm and element-wise operations are memory-bound kinds; bmm, a GEMM, is not") {
    CHECK(memory_bound_kind(LayerKind::layernorm));
    CHECK(memory_bound_kind(LayerKind::elementwise));
    CHECK_FALSE(memory_bound_kind(LayerKind::bmm));
    CHECK_FALSE(memory_bound_kind(LayerKind::dense));
    // a scalar add's backward hands the gradient on: in training only its forward runs a kernel
    const Layer add_scalar = ElementwiseParams{Shape::matrix(8, 4096), ElementwiseOp::add, true};
    CHECK_FALSE(runs_no_kernel(add_scalar, Pass::training, DType::fp32));
    CHECK(pass_cost(add_scalar, Pass::training, DType::fp32) == pass_cost(add_scalar, Pass::inference, DType::fp32));
}
