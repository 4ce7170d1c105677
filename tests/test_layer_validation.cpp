// Layers timed inside a network (tools/measure_torch.py --layers) read and compared with the model.
// The timings here are synthetic (unit-test data, written by hand), not measured.
#include <doctest/doctest.h>

#include <perfcast/lab/layer_validation.hpp>
#include <perfcast/lab/report.hpp>

#include <cmath>    // fabs
#include <cstdio>   // snprintf
#include <string>   // string
#include <variant>  // get_if
#include <vector>   // vector

using namespace perfcast;

namespace {

/** Synthetic dense layers on a T4: time grows with the FLOPs. */
Dataset synthetic_dense_rows() {
    Dataset ds;
    for (std::int64_t b = 1; b <= 64; ++b)
        for (const std::int64_t f : {128, 256, 512}) {
            Sample s;
            s.layer = DenseParams{b, f, 384, true, 1};
            s.device = "t4";
            s.time_us = 5.0 + 2e-5 * static_cast<double>(b * f * 384);
            s.source = "synthetic";
            ds.rows.push_back(s);
        }
    return ds;
}

/** A small learned model of synthetic_dense_rows(). */
Predictor synthetic_dense_model(const DeviceRegistry& reg) {
    const Dataset ds = synthetic_dense_rows();
    TrainOptions o;
    o.ensemble = 1;
    o.name = "synthetic dense";
    o.mlp.hidden = {8};
    o.mlp.max_epochs = 10;
    o.mlp.patience = 5;
    return train_predictor(ds, reg, o);
}

const std::string header = "network,batch,pass,dtype,device,threads,malloc,index,node,layer,kind,time_ms,samples,"
                           "spread,layers,error\n";

}  // namespace

TEST_CASE("layer validation: rows are read with their layers at the row's batch") {
    const std::string text =
        "# tool: synthetic unit-test timings\n" + header +
        "net,8,inference,fp32,t4,1,default,0,fc,fc,dense,0.25,5,0.01,"
        "\"[{\"\"name\"\":\"\"fc\"\",\"\"kind\"\":\"\"dense\"\",\"\"in_features\"\":512,\"\"out_features\"\":384}]\",\n"
        "net,8,inference,fp32,t4,1,default,1,getitem,getitem,free,0.002,5,0.1,[],\n"
        "net,8,inference,fp32,t4,1,default,2,odd,odd,unconverted,,0,,[],RuntimeError: synthetic\n"
        "net,16,inference,fp32,t4,1,default,0,fc,fc,dense,0.5,5,0.01,"
        "\"[{\"\"name\"\":\"\"fc\"\",\"\"kind\"\":\"\"dense\"\",\"\"in_features\"\":512,\"\"out_features\"\":384}]\",\n";
    const LayerTimingData v = parse_layer_timings(text, "layers.csv");
    REQUIRE(v.rows.size() == 3);
    CHECK(v.unmeasured == 1);
    CHECK(v.provenance.at("tool") == "synthetic unit-test timings");
    const LayerTimingRow& fc = v.rows[0];
    CHECK(fc.name == "fc");
    CHECK(fc.kind == "dense");
    CHECK(fc.line == 3);
    REQUIRE(fc.layers.size() == 1);
    const auto* d = std::get_if<DenseParams>(&fc.layers[0].layer);
    REQUIRE(d != nullptr);
    CHECK(d->batch == 8);
    CHECK(d->in_features == 512);
    CHECK(std::get<DenseParams>(v.rows[2].layers[0].layer).batch == 16);
    CHECK(v.rows[1].layers.empty());
    CHECK(v.rows[1].kind == "free");

    DeviceRegistry reg;
    const Predictor p = synthetic_dense_model(reg);
    const std::vector<LayerComparison> rows = compare_layers(p, v, reg, "");
    REQUIRE(rows.size() == 3);
    const double fc8 = p.predict_us(fc.layers[0].layer, Target(reg.get("t4"), Pass::inference, DType::fp32));
    CHECK(rows[0].predicted_us == doctest::Approx(fc8));
    CHECK(rows[0].method == "mlp");
    CHECK(rows[0].error() == doctest::Approx((fc8 - 250.0) / 250.0));
    CHECK_FALSE(rows[1].predicted());
    CHECK(rows[1].predicted_us == 0.0);

    const LayerValidationSummary s = summarize_layers(rows);
    REQUIRE(s.configurations.size() == 2);
    CHECK(s.configurations[0].key == "net batch 8 inference fp32 t4 1 thread malloc default");
    CHECK(s.configurations[0].operations == 2);
    CHECK(s.configurations[0].measured_ms == doctest::Approx(0.252));
    CHECK(s.configurations[0].unpredicted_ms == doctest::Approx(0.002));
    CHECK(s.configurations[0].predicted_ms == doctest::Approx(fc8 / 1e3));
    CHECK(s.configurations[0].sum_error() == doctest::Approx(rows[0].error()));
    REQUIRE(s.kinds.size() == 2);  // by name: dense, free
    CHECK(s.kinds[0].key == "dense");
    CHECK(s.kinds[0].operations == 2);
    CHECK(s.kinds[0].errors == 2);
    CHECK(s.kinds[0].mean_abs_error() ==
          doctest::Approx((std::fabs(rows[0].error()) + std::fabs(rows[2].error())) / 2));
    CHECK(s.kinds[1].key == "free");
    CHECK(s.kinds[1].predicted == 0);
    CHECK(s.all.operations == 3);
    CHECK(s.all.measured_ms == doctest::Approx(0.752));
    CHECK(s.all.within_20 <= s.all.errors);
}

TEST_CASE("layer validation: bad files name the file, line and column") {
    const auto message = [](const std::string& text) {
        try {
            (void)parse_layer_timings(text, "bad.csv");
        } catch (const error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    // a layer field the schema does not know, inside the JSON cell
    const std::string typo = message(header +
                                     "net,8,inference,fp32,t4,1,,0,fc,fc,dense,0.25,5,0.01,"
                                     "\"[{\"\"name\"\":\"\"fc\"\",\"\"kind\"\":\"\"dense\"\",\"\"in_features\"\":512,"
                                     "\"\"out_feature\"\":384}]\",\n");
    CHECK(typo.find("bad.csv:2:15: layers:") == 0);
    CHECK(typo.find("out_feature") != std::string::npos);
    // JSON that does not parse
    CHECK(message(header + "net,8,inference,fp32,t4,1,,0,fc,fc,dense,0.25,5,0.01,[{,\n").find("bad.csv:2") == 0);
    CHECK(message("network,batch,time_ms\nnet,1,2\n").find("bad.csv:1: layers: required column missing") == 0);
    CHECK(message(header + "net,0,inference,fp32,t4,1,,0,x,x,free,0.1,5,0.01,[],\n").find("bad.csv:2:2: batch:") == 0);
    CHECK(message(header + "net,1,sideways,fp32,t4,1,,0,x,x,free,0.1,5,0.01,[],\n").find("bad.csv:2:3: pass:") == 0);

    // a device the registry does not know needs --device
    DeviceRegistry reg;
    const LayerTimingData v = parse_layer_timings(header + "net,1,inference,fp32,abacus,1,,0,x,x,free,0.1,5,0.01,[],\n",
                                                  "cpu.csv");
    const Predictor p = synthetic_dense_model(reg);
    CHECK_THROWS_WITH_AS(compare_layers(p, v, reg, ""), doctest::Contains("cpu.csv:2: device: unknown device \"abacus\""),
                         error);
    CHECK(compare_layers(p, v, reg, "t4").size() == 1);
}

TEST_CASE("layer validation: the report shows each kind's error in place when given the layers") {
    const std::string text =
        header +
        "net,8,inference,fp32,t4,1,default,0,fc,fc,dense,0.25,5,0.01,"
        "\"[{\"\"name\"\":\"\"fc\"\",\"\"kind\"\":\"\"dense\"\",\"\"in_features\"\":512,\"\"out_features\"\":384}]\",\n"
        "net,16,inference,fp32,t4,1,default,0,fc,fc,dense,0.5,5,0.01,"
        "\"[{\"\"name\"\":\"\"fc\"\",\"\"kind\"\":\"\"dense\"\",\"\"in_features\"\":512,\"\"out_features\"\":384}]\",\n";
    const LayerTimingData layers = parse_layer_timings(text, "synthetic_layers.csv");
    DeviceRegistry reg;
    const Dataset ds = synthetic_dense_rows();
    const Predictor p = synthetic_dense_model(reg);
    ReportOptions o;
    o.learning_curve = false;
    o.leave_one_out = false;
    const std::string with = render_report(p, ds, reg, o, nullptr, &layers);
    const std::string without = render_report(p, ds, reg, o);
    CHECK(with.find("<section id=\"layers\">") != std::string::npos);
    CHECK(with.find("href=\"#layers\"") != std::string::npos);
    CHECK(with.find("synthetic_layers.csv") != std::string::npos);
    CHECK(with.find("net, inference, fp32, malloc default: each kind&#39;s sum, in place") != std::string::npos);
    CHECK(without.find("<section id=\"layers\">") == std::string::npos);
    CHECK(without.find("href=\"#layers\"") == std::string::npos);
    // the error of the dense sum over both rows, as summarize_layers computes it, is in the table
    const LayerValidationSummary s = summarize_layers(compare_layers(p, layers, reg, ""));
    REQUIRE(s.kinds.size() == 1);
    const double e = 100.0 * s.kinds[0].sum_error();
    char cell[32];
    std::snprintf(cell, sizeof cell, "%s%.1f%%", e >= 0 ? "+" : "", e);
    CHECK(with.find(cell) != std::string::npos);
}
