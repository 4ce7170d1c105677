// Tests of report.hpp: the SVG primitives (escaping, scales, ticks, charts), the whole-network
// validation reader, and the HTML report on synthetic data made here (never on measurements).
#include <doctest/doctest.h>

#include <perfcast/lab/report.hpp>

#include <cmath>    // isfinite, log10, sqrt
#include <cstdlib>  // strtod
#include <filesystem>  // temp_directory_path, create_directories, remove_all
#include <fstream>     // ofstream
#include <string>   // string
#include <vector>   // vector

using namespace perfcast;

namespace {

std::size_t count(const std::string& s, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + what.size())) ++n;
    return n;
}

/** Every number in the geometric attributes of the SVG elements in `html`. */
std::vector<double> coordinates(const std::string& html, bool* all_parsed) {
    std::vector<double> out;
    *all_parsed = true;
    for (const char* name : {" x=\"", " y=\"", " x1=\"", " x2=\"", " y1=\"", " y2=\"", " cx=\"", " cy=\"", " r=\"",
                             " width=\"", " height=\"", " points=\""}) {
        const std::string key = name;
        for (std::size_t p = html.find(key); p != std::string::npos; p = html.find(key, p + 1)) {
            const std::size_t b = p + key.size(), e = html.find('"', b);
            std::string v = html.substr(b, e - b);
            for (char& c : v)
                if (c == ',') c = ' ';
            const char* s = v.c_str();
            while (*s) {
                char* end = nullptr;
                const double d = std::strtod(s, &end);
                if (end == s) {
                    if (*s != ' ') *all_parsed = false;
                    ++s;
                    continue;
                }
                out.push_back(d);
                s = end;
            }
        }
    }
    return out;
}

/** The x attribute of the first <text> whose content is exactly `label`, or -1. */
double text_x(const std::string& svg_text, const std::string& label) {
    const std::string close = ">" + label + "</text>";
    const std::size_t p = svg_text.find(close);
    if (p == std::string::npos) return -1;
    const std::size_t t = svg_text.rfind("<text x=\"", p);
    return std::strtod(svg_text.c_str() + t + 9, nullptr);
}

/** Synthetic dense layers on two GPUs: an efficiency that grows with size, plus a launch cost. */
Dataset synthetic_dataset() {
    Dataset ds;
    ds.provenance["source"] = "synthetic, made by test_report.cpp";
    const char* devs[] = {"t4", "v100_pcie_32gb"};
    std::uint64_t state = 777;
    auto next = [&] {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<double>(state >> 11) / 9007199254740992.0;
    };
    auto add = [&](const DenseParams& p, const char* dev) {
        Sample s;
        s.layer = p;
        s.device = dev;
        const double r = roofline_us(s.layer, Target(*find_device(dev), Pass::inference, DType::fp32));
        s.time_us = r / (0.2 + 0.6 * (1 - std::exp(-r / 50.0))) + 5.0;
        s.source = "synthetic";
        ds.rows.push_back(s);
    };
    for (std::size_t i = 0; i < 500; ++i) {
        DenseParams p;
        p.batch = 1 + static_cast<std::int64_t>(next() * 64);
        p.in_features = 16 + static_cast<std::int64_t>(std::exp(next() * std::log(256.0)) * 16);
        p.out_features = 16 + static_cast<std::int64_t>(std::exp(next() * std::log(256.0)) * 16);
        add(p, devs[i % 2]);
    }
    // a one-parameter family: batch 1..200 with the features fixed
    for (std::int64_t b = 1; b <= 200; ++b) add(DenseParams{b, 512, 384, true, 1}, "t4");
    return ds;
}

Predictor synthetic_model(const Dataset& ds, const DeviceRegistry& reg) {
    TrainOptions o;
    o.ensemble = 1;
    o.name = "synthetic <model> & co";
    o.mlp.hidden = {8};
    o.mlp.max_epochs = 15;
    o.mlp.patience = 5;
    return train_predictor(ds, reg, o);
}

}  // namespace

TEST_CASE("svg::escape escapes the characters HTML gives a meaning") {
    CHECK(svg::escape("<a href=\"x\">Tom & Jerry's</a>") == "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;");
    CHECK(svg::escape("plain text 1.5 ms") == "plain text 1.5 ms");
}

TEST_CASE("a log scale puts each decade at the same distance") {
    const svg::Scale s = svg::Scale::log(1, 1000, 0, 300);
    CHECK(s(1) == doctest::Approx(0));
    CHECK(s(10) == doctest::Approx(100));
    CHECK(s(100) == doctest::Approx(200));
    CHECK(s(1000) == doctest::Approx(300));
    CHECK(s(std::sqrt(10.0)) == doctest::Approx(50));
    const svg::Scale y = svg::Scale::log(0.01, 100, 400, 0);  // a y axis: up is smaller pixels
    CHECK(y(0.1) == doctest::Approx(300));
    CHECK(y(10) == doctest::Approx(100));
    CHECK_FALSE(y.accepts(0.0));
    CHECK_FALSE(y.accepts(-1.0));
    CHECK_THROWS_AS(svg::Scale::log(0, 10, 0, 1), perfcast::error);

    const auto ticks = s.ticks(svg::count_label, 6);
    std::vector<std::string> labels;
    for (const auto& t : ticks)
        if (!t.label.empty()) labels.push_back(t.label);
    CHECK(labels == std::vector<std::string>{"1", "10", "100", "1k"});
    std::size_t minor = 0;
    for (const auto& t : ticks) minor += t.major ? 0 : 1;
    CHECK(minor == 8 * 3);  // 2..9 in each of the three decades
}

TEST_CASE("a log scale over less than two decades also labels 2x and 5x") {
    const svg::Scale s = svg::Scale::log(3, 40, 0, 100);
    std::vector<std::string> labels;
    for (const auto& t : s.ticks([](double v) { return svg::general(v); }, 6))
        if (!t.label.empty()) labels.push_back(t.label);
    CHECK(labels == std::vector<std::string>{"5", "10", "20"});
}

TEST_CASE("a linear scale takes 1-2-5 steps and hits zero exactly") {
    const svg::Scale s = svg::Scale::linear(0, 1, 0, 100);
    std::vector<double> v;
    for (const auto& t : s.ticks([](double x) { return svg::general(x); }, 5)) v.push_back(t.value);
    REQUIRE(v.size() == 6);
    for (std::size_t i = 0; i < v.size(); ++i) CHECK(v[i] == doctest::Approx(0.2 * static_cast<double>(i)));
    const svg::Scale e = svg::Scale::linear(-0.8, 0.8, 0, 100);
    std::vector<std::string> labels;
    for (const auto& t : e.ticks([](double x) { return svg::general(x); }, 3)) labels.push_back(t.label);
    CHECK(labels == std::vector<std::string>{"-0.5", "0", "0.5"});
    CHECK(svg::Scale::linear(5, 5, 0, 1).domain_lo() < 5);  // a degenerate domain is widened
}

TEST_CASE("a chart drops points it cannot place and draws the rest inside its box") {
    svg::Chart c("t", 400, 300);
    c.title("synthetic <points>").x_label("x").y_label("y");
    c.x_axis(svg::Axis::log, 1, 1000).y_axis(svg::Axis::log, 1, 1000);
    const double nan = std::nan("");
    c.points({{1.5, 2}, {10, 10}, {500, 900}, {nan, 3}, {3, INFINITY}, {0, 5}, {5, -2}}, svg::Style{});
    c.line({{1, 1}, {nan, 5}, {10, 10}, {100, 100}}, svg::Style{});
    const std::string s = c.render();
    CHECK(count(s, "<circle") == 3);
    CHECK(count(s, "<svg") == 1);
    CHECK(count(s, "</svg>") == 1);
    CHECK(s.find("nan") == std::string::npos);
    CHECK(s.find("inf") == std::string::npos);
    CHECK(s.find("synthetic &lt;points&gt;") != std::string::npos);
    CHECK(s.find("<points>") == std::string::npos);
    bool parsed = false;
    const auto xy = coordinates(s, &parsed);
    CHECK(parsed);
    REQUIRE(xy.size() > 20);
    for (double v : xy) {
        CHECK(std::isfinite(v));
        CHECK(v >= 0);
        CHECK(v <= 400);
    }
    // the line broken at the NaN: one segment of one point (not drawn), one of two points
    CHECK(count(s, "<polyline") == 1);
}

TEST_CASE("a chart's log axis labels each decade where the scale puts it") {
    svg::Chart c("d", 500, 300);
    c.x_axis(svg::Axis::log, 1, 1e4, svg::count_label).y_axis(svg::Axis::linear, 0, 1);
    const auto [sx, sy] = c.scales();
    const double d1 = sx(10) - sx(1), d2 = sx(100) - sx(10), d3 = sx(1e4) - sx(1e3);
    CHECK(d1 > 50);
    CHECK(d1 == doctest::Approx(d2));
    CHECK(d2 == doctest::Approx(d3));
    CHECK(sy(0) > sy(1));  // up is smaller pixels
    const std::string s = c.render();
    CHECK(text_x(s, "10") == doctest::Approx(sx(10)).epsilon(0.001));
    CHECK(text_x(s, "1k") == doctest::Approx(sx(1000)).epsilon(0.001));
    CHECK(text_x(s, "10k") == doctest::Approx(sx(1e4)).epsilon(0.001));
}

TEST_CASE("category labels too wide for their slot are broken into lines") {
    svg::Chart narrow("n", 300, 200), wide("w", 900, 200);
    const std::vector<std::string> cats{"Tesla V100 PCIe 32GB", "Tesla P100 PCIe 16GB", "Tesla T4"};
    narrow.x_categories(cats).y_axis(svg::Axis::linear, 0, 1);
    wide.x_categories(cats).y_axis(svg::Axis::linear, 0, 1);
    const std::string n = narrow.render(), w = wide.render();
    CHECK(count(w, "<tspan") == 3);  // one line each
    CHECK(count(n, "<tspan") > 3);
    CHECK(n.find(">Tesla T4</tspan>") != std::string::npos);  // short enough to stay whole
    // the plot area shrinks by the extra lines, and stays inside the chart
    const auto [nx, ny] = narrow.scales();
    const auto [wx, wy] = wide.scales();
    CHECK(ny(0) < wy(0));
    CHECK(ny(0) > ny(1));
}

TEST_CASE("the validation reader takes columns in any order, provenance and failed rows") {
    const std::string text =
        "# source: synthetic, made by test_report.cpp\n"
        "# torch: none\n"
        "time_ms,network,batch,pass,dtype,device,threads,samples,spread,extra,faults,malloc\n"
        "12.5,resnet50,8,training,bf16,h100,,30,0.02,x,1234,keep\n"
        ",vgg16,4,inference,fp32,h100,,0,,failed,,\n"
        "3.25,lenet5,1,,,t4,2,10,,,,\n";
    const ValidationData v = parse_validation(text, "synthetic.csv");
    CHECK(v.provenance.at("source") == "synthetic, made by test_report.cpp");
    CHECK(v.unmeasured == 1);
    REQUIRE(v.rows.size() == 2);
    CHECK(v.rows[0].network == "resnet50");
    CHECK(v.rows[0].batch == 8);
    CHECK(v.rows[0].pass == Pass::training);
    CHECK(v.rows[0].dtype == DType::bf16);
    CHECK(v.rows[0].time_ms == doctest::Approx(12.5));
    CHECK(v.rows[0].spread == doctest::Approx(0.02));
    CHECK(v.rows[0].faults == 1234);
    CHECK(v.rows[0].malloc == "keep");
    CHECK(v.rows[1].faults < 0);  // not recorded
    CHECK(v.rows[1].malloc.empty());
    CHECK(v.rows[1].pass == Pass::inference);
    CHECK(v.rows[1].dtype == DType::fp32);
    CHECK(v.rows[1].threads == "2");
    CHECK(v.rows[1].line == 6);

    try {
        (void)parse_validation("network,batch,time_ms\nresnet50,eight,3\n", "bad.csv");
        FAIL("expected an error");
    } catch (const perfcast::error& e) {
        CHECK(std::string(e.what()).find("bad.csv:2:2") != std::string::npos);
        CHECK(e.field() == "batch");
    }
    CHECK_THROWS_WITH_AS((void)parse_validation("network,batch\nresnet50,1\n", "m.csv"),
                         doctest::Contains("time_ms: required column missing"), perfcast::error);
    CHECK_THROWS_AS((void)parse_validation("network,batch,time_ms\nresnet50,1,-2\n", "n.csv"), perfcast::error);
    CHECK_THROWS_WITH_AS((void)parse_validation("network,batch,time_ms,faults\nresnet50,1,2,-5\n", "f.csv"),
                         doctest::Contains("f.csv:2:4"), perfcast::error);
}

TEST_CASE("runs of the same configurations combine into their fastest or median run") {
    // synthetic timings: three runs of two configurations, a third configuration in one run only
    const ValidationData a = parse_validation("network,batch,pass,time_ms,faults,malloc\n"
                                              "resnet50,1,inference,120,0,default\n"
                                              "resnet50,8,inference,900,10,default\n",
                                              "run1.csv");
    const ValidationData b = parse_validation("batch,network,time_ms,pass,malloc\n"
                                              "8,resnet50,1000,inference,default\n"
                                              "1,resnet50,150,inference,default\n"
                                              "1,resnet50,90,inference,keep\n",
                                              "run2.csv");
    const ValidationData c = parse_validation("network,batch,pass,time_ms\n"  // no malloc column: the defaults
                                              "resnet50,1,inference,100\n"
                                              "resnet50,8,inference,950\n",
                                              "run3.csv");
    const ValidationData each = combine_runs({a, b, c}, RunCombine::each);
    CHECK(each.rows.size() == 7);
    CHECK(each.file == "run1.csv + run2.csv + run3.csv");

    const ValidationData fastest = combine_runs({a, b, c}, RunCombine::min);
    REQUIRE(fastest.rows.size() == 3);  // first-appearance order: b1, b8 (run 1), then the keep row
    CHECK(fastest.rows[0].batch == 1);
    CHECK(fastest.rows[0].time_ms == 100);
    CHECK(fastest.rows[0].file == "run3.csv");
    CHECK(fastest.rows[0].line == 2);
    CHECK(fastest.rows[0].runs == 3);
    CHECK(fastest.rows[0].run_spread == doctest::Approx(0.5));
    CHECK(fastest.rows[1].time_ms == 900);
    CHECK(fastest.rows[1].faults == 10);  // the chosen run's own columns
    CHECK(fastest.rows[2].malloc == "keep");  // another allocator is another configuration
    CHECK(fastest.rows[2].runs == 1);
    CHECK(fastest.rows[2].run_spread == 0);

    const ValidationData median = combine_runs({a, b, c}, RunCombine::median);
    REQUIRE(median.rows.size() == 3);
    CHECK(median.rows[0].time_ms == 120);
    CHECK(median.rows[1].time_ms == 950);
    // of two runs the faster middle one
    const ValidationData two = combine_runs({a, b}, RunCombine::median);
    CHECK(two.rows[0].time_ms == 120);
    CHECK(parse_run_combine("min") == RunCombine::min);
    CHECK_FALSE(parse_run_combine("mean"));
}

TEST_CASE("the report of a synthetic model is a complete, escaped HTML page") {
    const DeviceRegistry reg;
    const Dataset ds = synthetic_dataset();
    const Predictor model = synthetic_model(ds, reg);
    ReportOptions o;
    o.fractions = {0.5, 1.0};
    o.command_line = "perfcast report --out 'a&b.html'";
    o.date = "synthetic date";
    o.data_files = {"synthetic.csv"};
    const ValidationData v = parse_validation(
        "# source: synthetic, made by test_report.cpp\n"
        "network,batch,pass,dtype,device,time_ms\n"
        "lenet5,1,inference,fp32,Tesla T4,0.20\n"
        "lenet5,16,inference,fp32,Tesla T4,0.35\n"
        "lenet5,64,inference,fp32,Tesla T4,0.90\n"
        "not_a_zoo_net,1,inference,fp32,Tesla T4,1.0\n",
        "synthetic-networks.csv");
    const std::string html = render_report(model, ds, reg, o, &v);

    CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
    CHECK(html.find("</html>") != std::string::npos);
    CHECK(html.find("<script") == std::string::npos);
    CHECK(count(html, "http://") == count(html, "http://www.w3.org/2000/svg"));  // no external resource
    CHECK(html.find("https://") == std::string::npos);
    for (const char* tag : {"svg", "table", "section", "figure", "tr", "p"}) {
        INFO(tag);
        CHECK(count(html, std::string("<") + tag + ">") + count(html, std::string("<") + tag + " ") ==
              count(html, std::string("</") + tag + ">"));
    }
    CHECK(count(html, "<svg") >= 8);
    for (const char* id : {"summary", "errors", "scatter", "sweep", "learning-curve", "leave-one-out", "networks", "method"}) {
        INFO(id);
        CHECK(count(html, std::string("<section id=\"") + id + "\"") == 1);
    }
    // every string from the outside is escaped
    CHECK(html.find("synthetic &lt;model&gt; &amp; co") != std::string::npos);
    CHECK(html.find("synthetic <model>") == std::string::npos);
    CHECK(html.find("--out &#39;a&amp;b.html&#39;") != std::string::npos);
    CHECK(html.find("synthetic date") != std::string::npos);
    CHECK(html.find("synthetic, made by test_report.cpp") != std::string::npos);
    // the studies ran, the one-parameter family was found, the networks were compared
    CHECK(html.find("mean error vs training rows") != std::string::npos);
    CHECK(html.find("device left out of training") != std::string::npos);
    CHECK(html.find("batch varied") != std::string::npos);
    CHECK(html.find("lenet5 on Tesla T4") != std::string::npos);
    CHECK(html.find("0.900 ms") != std::string::npos);
    CHECK(html.find("not_a_zoo_net") != std::string::npos);
    CHECK(html.find("No measured whole-network data") == std::string::npos);
    // coordinates are numbers
    bool parsed = false;
    const auto xy = coordinates(html, &parsed);
    CHECK(parsed);
    CHECK(xy.size() > 1000);
    std::size_t bad = 0;
    for (double x : xy) bad += std::isfinite(x) && x > -1e5 && x < 1e5 ? 0 : 1;
    CHECK(bad == 0);
}

TEST_CASE("a model's left-out sources stay out of the report's rows and of its studies") {
    const DeviceRegistry reg;
    Dataset ds = synthetic_dataset();
    std::size_t slow = 0;
    for (std::size_t i = 0; i < ds.rows.size(); i += 7)
        if (Sample& s = ds.rows[i]; s.device == "v100_pcie_32gb") {  // synthetic: a slower sweep of some rows
            s.time_us *= 3;
            s.source = "synthetic:slow.csv:" + std::to_string(i);
            ++slow;
        }
    REQUIRE(slow > 10);
    TrainOptions t;
    t.ensemble = 1;
    t.mlp.hidden = {8};
    t.mlp.max_epochs = 15;
    t.mlp.patience = 5;
    t.exclude_sources = {"synthetic:slow.csv:"};
    const Predictor model = train_predictor(ds, reg, t);
    CHECK(model.info().excluded_rows == slow);
    CHECK(study_options_of(model, false).exclude_sources == t.exclude_sources);
    CHECK(study_options_of(model, true).exclude_sources == t.exclude_sources);
    ReportOptions o;
    o.fractions = {1.0};
    const std::string html = render_report(model, ds, reg, o);
    CHECK(html.find(std::to_string(slow) + " rows of the sources its training left out (synthetic:slow.csv:)") !=
          std::string::npos);
    CHECK(html.find("(the same rows the model was trained on)") != std::string::npos);
}

TEST_CASE("without validation data the report predicts a batch sweep and says nothing was measured") {
    const DeviceRegistry reg;
    const Dataset ds = synthetic_dataset();
    const Predictor model = synthetic_model(ds, reg);
    ReportOptions o;
    o.learning_curve = false;
    o.leave_one_out = false;
    o.batches = {1, 4, 16};
    const std::string html = render_report(model, ds, reg, o);
    CHECK(html.find("No measured whole-network data was given") != std::string::npos);
    CHECK(html.find("resnet50, inference, fp32: predicted") != std::string::npos);
    CHECK(html.find("Not run (turned off for this report)") != std::string::npos);
    CHECK(count(html, "<svg") == count(html, "</svg>"));

    // a validation row whose device perfcast does not know fails before any study runs
    const ValidationData v = parse_validation("network,batch,device,time_ms\nresnet50,1,Mystery GPU,3\n", "synthetic.csv");
    CHECK_THROWS_WITH_AS((void)render_report(model, ds, reg, o, &v), doctest::Contains("synthetic.csv:2"), perfcast::error);
    o.validation_device = "t4";
    CHECK_NOTHROW((void)render_report(model, ds, reg, o, &v));

    // a generic device column ("cuda") falls back to the driver's name in device_name
    o.validation_device.clear();
    const ValidationData named = parse_validation(
        "network,batch,device,device_name,time_ms\nlenet5,1,cuda,Tesla T4,0.3\n", "synthetic.csv");
    CHECK(named.rows.at(0).device_name == "Tesla T4");
    const std::string html2 = render_report(model, ds, reg, o, &named);
    CHECK(html2.find("lenet5 on Tesla T4") != std::string::npos);
}

TEST_CASE("with NeuSight's labels the report has a section on the whole transformer models") {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / "perfcast_test_report_neusight" / "labels";
    fs::remove_all(dir.parent_path());
    fs::create_directories(dir / "Tesla_T4");
    {
        // a made-up one-layer trace: one dense node in the block, one outside; a label with 2 blocks
        std::ofstream t(dir / "Tesla_T4" / "tiny-inf-64-2.csv");
        t << "op,target,meta,input_shapes,output_shape,dtype,Name,fw_latency\n"
             "call_module,transformer.h.0.fc,\"{'nn_module_stack': OrderedDict([('transformer.h.0.fc', <class "
             "'torch.nn.modules.linear.Linear'>)])}\",\"[[2, 64, 256]]\",\"(2, 64, 1024)\",torch.float32,fc,0.2\n"
             "call_module,lm_head,\"{'nn_module_stack': OrderedDict([('lm_head', <class "
             "'torch.nn.modules.linear.Linear'>)])}\",\"[[2, 64, 256]]\",\"(2, 64, 100)\",torch.float32,lm_head,0.1\n"
             "call_method,size,\"{}\",\"[[2, 64, 256]]\",\"(1,)\",,size,0.01\n";
        std::ofstream(dir / "Tesla_T4" / "tiny-inf-64-2.json") << R"({"num_layer": 2, "e2e_latency": 0.6})";
        std::ofstream(dir / "Tesla_T4" / "tiny-inf-64-4.json") << "{\"num_layer\": 2,\n\"e2e_latency\": -1}";
    }
    const DeviceRegistry reg;
    const Dataset ds = synthetic_dataset();
    const Predictor model = synthetic_model(ds, reg);
    ReportOptions o;
    o.learning_curve = false;
    o.leave_one_out = false;
    o.batches = {1};
    o.neusight_labels = dir.string();
    const std::string html = render_report(model, ds, reg, o);
    CHECK(html.find("<section id=\"neusight-models\">") != std::string::npos);
    CHECK(html.find("href=\"#neusight-models\"") != std::string::npos);
    CHECK(html.find("<td>tiny</td>") != std::string::npos);
    CHECK(html.find("18.5%") != std::string::npos);  // NeuSight's published error on the T4
    CHECK(html.find("tiny-inf-64-4.json:2 [e2e_latency]") != std::string::npos);
    CHECK(count(html, "<tr") == count(html, "</tr>"));
    o.neusight_labels.clear();
    CHECK(render_report(model, ds, reg, o).find("neusight-models") == std::string::npos);
    fs::remove_all(dir.parent_path());
}
