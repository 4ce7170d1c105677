// perfcast: the command-line program. Lists devices, shows networks and predicts their time.
#include <cstdlib>    // EXIT_SUCCESS, EXIT_FAILURE
#include <iostream>   // cout, cerr
#include <string>     // string
#include <vector>     // vector

#include <perfcast/perfcast.hpp>  // the library

#include "cli.hpp"  // Args, Table

namespace {

using namespace perfcast;
using cli::Args;
using cli::Table;

constexpr const char* usage = R"(perfcast: predict how long deep-learning layers and networks take on a GPU

usage:
  perfcast devices [--format table|json] [--devices FILE.json]
  perfcast network show NAME|FILE.json [--batch N] [--dtype fp32|tf32|fp16|bf16] [--format table|json]
  perfcast network export NAME|FILE.json [--batch N]
  perfcast predict NAME|FILE.json --device DEVICE [--batch N] [--pass inference|training]
                   [--dtype fp32|tf32|fp16|bf16] [--method paleo|roofline] [--ppp-comp X] [--ppp-comm X]
                   [--format table|json] [--devices FILE.json]

NAME is a zoo network: lenet5, alexnet, vgg16, resnet50, inception_v3.
DEVICE is a name or alias from `perfcast devices` (h100, a100, t4, "NVIDIA H100 80GB HBM3", ...).
)";

Network load_net(const std::string& what, const Args& a) {
    std::int64_t batch = a.integer("batch", 1);
    if (auto z = zoo::find(what, batch)) return *z;
    if (what.find(".json") != std::string::npos || what.find('/') != std::string::npos) {
        Network n = load_network(what);
        return a.has("batch") ? n.with_batch(batch) : n;
    }
    std::string known;
    for (auto n : zoo::names) known += (known.empty() ? "" : ", ") + std::string(n);
    throw error("network", "unknown network \"" + what + "\" (zoo: " + known + "; or a .json file)");
}

DType dtype_arg(const Args& a) {
    const std::string s = a.get("dtype", "fp32");
    if (auto t = parse_dtype(s)) return *t;
    throw error("--dtype", "expected fp32, tf32, fp16 or bf16 (got \"" + s + "\")");
}

Pass pass_arg(const Args& a) {
    const std::string s = a.get("pass", "inference");
    if (auto p = parse_pass(s)) return *p;
    throw error("--pass", "expected inference or training (got \"" + s + "\")");
}

std::string format_arg(const Args& a) {
    const std::string f = a.get("format", "table");
    if (f != "table" && f != "json") throw error("--format", "expected table or json (got \"" + f + "\")");
    return f;
}

std::string shape_str(const Shape& s) {
    std::string out;
    for (int i = 0; i < s.rank; ++i) out += (i ? "x" : "") + std::to_string(s[i]);
    return out;
}

nlohmann::json shape_json(const Shape& s) {
    nlohmann::json j = nlohmann::json::array();
    for (int i = 0; i < s.rank; ++i) j.push_back(s[i]);
    return j;
}

void load_devices(DeviceRegistry& reg, const Args& a) {
    for (const auto& f : a.all("devices")) reg.load(f);
}

int cmd_devices(const Args& a) {
    DeviceRegistry reg;
    load_devices(reg, a);
    if (format_arg(a) == "json") {
        std::cout << devices_to_json(reg.all()).dump(2) << '\n';
        return EXIT_SUCCESS;
    }
    Table t({"id", "name", "arch", "cc", "units", "MHz", "FP32", "TF32", "FP16", "BF16", "GB/s", "L2 MB", "GB"});
    auto tf = [](double v) { return v > 0 ? cli::fixed(v, v < 10 ? 2 : 1) : std::string("-"); };
    for (const Device& d : reg.all())
        t.row({std::string(d.id), std::string(d.name), std::string(d.architecture),
               d.kind == DeviceKind::gpu ? std::to_string(d.cc_major) + "." + std::to_string(d.cc_minor) : "cpu",
               std::to_string(d.units), cli::fixed(d.boost_mhz, 0), tf(d.fp32_tflops), tf(d.tf32_tflops),
               tf(d.fp16_tflops), tf(d.bf16_tflops), cli::fixed(d.bandwidth_gbs, 0), cli::fixed(d.l2_mb, 2),
               cli::fixed(d.memory_gb, 0)});
    t.print(std::cout);
    std::cout << "\nPeaks in TFLOP/s, dense, at the boost clock; '-' runs at the FP32 rate. "
                 "`--format json` gives each entry's source.\n";
    return EXIT_SUCCESS;
}

int cmd_network(const Args& a) {
    const auto& pos = a.positional();
    if (pos.size() != 2 || (pos[0] != "show" && pos[0] != "export"))
        throw error("network", "usage: perfcast network show|export NAME|FILE.json [--batch N]");
    const Network n = load_net(pos[1], a);
    if (pos[0] == "export") {
        std::cout << network_to_json(n).dump(2) << '\n';
        return EXIT_SUCCESS;
    }
    const DType t = dtype_arg(a);
    const NetworkTotals tot = n.totals(t);
    if (format_arg(a) == "json") {
        nlohmann::json j;
        j["name"] = n.name;
        j["batch"] = n.batch;
        j["dtype"] = std::string(to_string(t));
        j["layers"] = nlohmann::json::array();
        for (const auto& l : n.layers) {
            nlohmann::json o;
            o["name"] = l.name;
            o["kind"] = std::string(to_string(kind(l.layer)));
            o["input_shape"] = shape_json(input_shape(l.layer));
            o["output_shape"] = shape_json(output_shape(l.layer));
            o["params"] = param_count(l.layer);
            o["flops"] = cost(l.layer, Phase::forward, t).flops;
            o["flops_backward_data"] = cost(l.layer, Phase::backward_data, t, Pass::training).flops;
            o["flops_backward_weights"] = cost(l.layer, Phase::backward_weights, t, Pass::training).flops;
            o["bytes"] = cost(l.layer, Phase::forward, t).bytes;
            o["layer"] = layer_to_json(l);
            j["layers"].push_back(o);
        }
        j["totals"] = {{"layers", n.layers.size()},
                       {"params", tot.params},
                       {"flops_forward", tot.inference.flops},
                       {"bytes_forward", tot.inference.bytes},
                       {"flops_training", tot.training.flops},
                       {"bytes_training", tot.training.bytes}};
        std::cout << j.dump(2) << '\n';
        return EXIT_SUCCESS;
    }
    Table tab({"layer", "kind", "output", "params", "FLOPs fwd", "bytes fwd"});
    for (const auto& l : n.layers) {
        const Cost c = cost(l.layer, Phase::forward, t);
        tab.row({l.name, std::string(to_string(kind(l.layer))), shape_str(output_shape(l.layer)),
                 cli::grouped(param_count(l.layer)), cli::si(static_cast<double>(c.flops)),
                 cli::si(static_cast<double>(c.bytes))});
    }
    tab.print(std::cout);
    std::cout << "\n" << n.name << ", batch " << n.batch << ", " << to_string(t) << ": " << n.layers.size()
              << " layers, " << cli::grouped(tot.params) << " parameters, "
              << cli::si(static_cast<double>(tot.inference.flops)) << "FLOP forward, "
              << cli::si(static_cast<double>(tot.training.flops)) << "FLOP per training step\n";
    return EXIT_SUCCESS;
}

int cmd_predict(const Args& a) {
    const auto& pos = a.positional();
    if (pos.size() != 1) throw error("predict", "usage: perfcast predict NAME|FILE.json --device DEVICE [...]");
    if (!a.has("device")) throw error("--device", "required (see `perfcast devices`)");
    DeviceRegistry reg;
    load_devices(reg, a);
    const Device& dev = reg.get(a.get("device", ""));
    const Network n = load_net(pos[0], a);
    const Pass pass = pass_arg(a);
    const DType t = dtype_arg(a);
    const std::string m = a.get("method", "paleo");
    if (m != "paleo" && m != "roofline") throw error("--method", "expected paleo or roofline (got \"" + m + "\")");
    PaleoOptions po;
    try {
        po.ppp_comp = std::stod(a.get("ppp-comp", "1"));
        po.ppp_comm = std::stod(a.get("ppp-comm", "1"));
    } catch (const std::exception&) {
        throw error("--ppp-comp/--ppp-comm", "expected a number in (0, 1]");
    }
    if (!(po.ppp_comp > 0 && po.ppp_comp <= 1 && po.ppp_comm > 0 && po.ppp_comm <= 1))
        throw error("--ppp-comp/--ppp-comm", "expected a number in (0, 1]");
    const NetworkEstimate e = estimate(n, dev, pass, t, m == "paleo" ? Analytical::paleo : Analytical::roofline, po);
    const std::string note =
        "analytical estimate: no trained model is available yet, so this is " + m +
        " (FLOPs and bytes over the device's peaks), not a learned prediction";
    if (format_arg(a) == "json") {
        nlohmann::json j;
        j["network"] = e.network;
        j["device"] = std::string(dev.id);
        j["device_name"] = e.device;
        j["pass"] = std::string(to_string(pass));
        j["dtype"] = std::string(to_string(t));
        j["batch"] = e.batch;
        j["method"] = e.method;
        j["note"] = note;
        j["layers"] = nlohmann::json::array();
        for (const auto& l : e.layers)
            j["layers"].push_back({{"name", l.name},
                                   {"kind", std::string(to_string(l.kind))},
                                   {"time_us", l.us},
                                   {"roofline_us", l.roofline_us},
                                   {"paleo_us", l.paleo_us},
                                   {"flops", l.cost.flops},
                                   {"bytes", l.cost.bytes}});
        j["total_us"] = e.total_us;
        j["roofline_total_us"] = e.roofline_total_us;
        j["paleo_total_us"] = e.paleo_total_us;
        j["throughput_per_s"] = e.throughput();
        std::cout << j.dump(2) << '\n';
        return EXIT_SUCCESS;
    }
    Table tab({"layer", "kind", "output", "FLOPs", "time us", "share %", "roofline us", "PALEO us"});
    for (const auto& l : e.layers)
        tab.row({l.name, std::string(to_string(l.kind)), shape_str(l.output), cli::si(static_cast<double>(l.cost.flops)),
                 cli::fixed(l.us, 2), cli::fixed(e.total_us > 0 ? 100.0 * l.us / e.total_us : 0.0, 2),
                 cli::fixed(l.roofline_us, 2), cli::fixed(l.paleo_us, 2)});
    tab.print(std::cout);
    std::cout << "\n"
              << e.network << " on " << e.device << ", " << to_string(pass) << ", batch " << e.batch << ", "
              << to_string(t) << "\n"
              << "  method:    " << e.method << "  (" << note << ")\n"
              << "  total:     " << cli::fixed(e.total_us / 1000.0, 3) << " ms  ("
              << cli::fixed(e.throughput(), 1) << " samples/s)\n"
              << "  roofline:  " << cli::fixed(e.roofline_total_us / 1000.0, 3) << " ms\n"
              << "  PALEO:     " << cli::fixed(e.paleo_total_us / 1000.0, 3) << " ms\n"
              << "  work:      " << cli::si(static_cast<double>(e.total_cost.flops)) << "FLOP, "
              << cli::si(static_cast<double>(e.total_cost.bytes)) << "B moved\n";
    return EXIT_SUCCESS;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h" ||
            std::string(argv[1]) == "help") {
            std::cout << usage;
            return argc < 2 ? EXIT_FAILURE : EXIT_SUCCESS;
        }
        const std::string cmd = argv[1];
        if (cmd == "devices") return cmd_devices(Args(argc, argv, 2, {}, {"format", "devices"}));
        if (cmd == "network") return cmd_network(Args(argc, argv, 2, {}, {"batch", "dtype", "format"}));
        if (cmd == "predict")
            return cmd_predict(Args(argc, argv, 2, {},
                                    {"device", "batch", "pass", "dtype", "method", "ppp-comp", "ppp-comm", "format",
                                     "devices"}));
        std::cerr << "perfcast: unknown command \"" << cmd << "\"\n\n" << usage;
        return EXIT_FAILURE;
    } catch (const perfcast::error& e) {
        std::cerr << "perfcast: " << e.what() << '\n';
        return EXIT_FAILURE;
    } catch (const std::exception& e) {
        std::cerr << "perfcast: " << e.what() << '\n';
        return EXIT_FAILURE;
    }
}
