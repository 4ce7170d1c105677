// perfcast: the command-line program. Lists devices, shows networks and predicts their time.
#include <atomic>     // atomic
#include <cmath>      // fabs
#include <csignal>    // signal, SIGINT, SIGTERM
#include <cstdlib>    // EXIT_SUCCESS, EXIT_FAILURE
#include <filesystem> // exists
#include <fstream>    // ofstream
#include <iostream>   // cout, cerr
#include <map>        // map
#include <set>        // set
#include <sstream>    // istringstream
#include <string>     // string
#include <vector>     // vector

#include <perfcast/lab/embed.hpp>        // write_model_header, embedded::identifier_from
#include <perfcast/lab/evaluation.hpp>   // evaluate_rows, ErrorStats
#include <perfcast/lab/neusight.hpp>   // import_neusight
#include <perfcast/perfcast.hpp>      // the library
#include <perfcast/runtime/predictor.hpp>     // Predictor, train_predictor
#include <perfcast/lab/study.hpp>         // leave_one_device_out, learning_curve, feature_ablation
#include <perfcast/lab/report.hpp>        // write_report, load_validation
#include <perfcast/lab/layer_validation.hpp>  // load_layer_timings, compare_layers, summarize_layers

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
  perfcast predict NAME|FILE.json --device DEVICE [--batch N|N,N,...] [--pass inference|training]
                   [--dtype fp32|tf32|fp16|bf16] [--model MODEL.json | --method mlp|paleo|roofline]
                   [--ppp-comp X] [--ppp-comm X] [--optimizer sgd_momentum|sgd|adam|none]
                   [--format table|json|csv] [--devices FILE.json]
  perfcast import neusight FILE.csv... --out DATASET.csv
  perfcast train --data DATASET.csv... --out MODEL.json [--features raw|params|analytical|hardware]
                 [--epochs N] [--hidden 64,64,32] [--lr X] [--batch-size N] [--patience N]
                 [--transform log|sqrt|identity] [--loss mse|relative] [--activation relu|tanh|silu|gelu]
                 [--absolute] [--holdout 0.1] [--seed N] [--ensemble 5] [--kinds conv2d,dense] [--config MLP.json]
                 [--only-device ID,...]
  perfcast eval --model MODEL.json --data DATASET.csv... [--all-rows] [--format table|json] [--rows ROWS.csv]
  perfcast study leave-one-out|learning-curve|ablation --data DATASET.csv... [--fractions 0.1,0.25,0.5,1]
                 [training options as for train] [--format table|json]
  perfcast validate --validation NETWORKS.csv... [--model MODEL.json] [--device DEVICE] [--optimizer ...]
                    [--combine each|min|median] [--format table|json] [--network FILE.json...]
                    (whole networks measured in a framework vs the prediction; several files are runs;
                    the zoo's networks, and others named as in their JSON files)
  perfcast validate --layers LAYERS.csv [--model MODEL.json] [--device DEVICE] [--format table|json] [--rows ROWS.csv]
                    (each operation timed inside its network, tools/measure_torch.py --layers, vs the prediction)
  perfcast calibrate --model MODEL.json --layers LAYERS.csv... --device DEVICE --out MODEL.json [--format table|json]
                     (fits the model's call overhead per kind to operations timed in place and back to back)
  perfcast embed --model MODEL.json --out HEADER.hpp [--name NAME]   (the model as constexpr C++ data)
  perfcast report --model MODEL.json --data DATASET.csv... --out REPORT.html [--validation NETWORKS.csv]
                  [--layers LAYERS.csv] [--device DEVICE] [--quick] [--fractions 0.05,0.1,0.25,0.5,1]

NAME is a zoo network: lenet5, alexnet, vgg16, resnet50, inception_v3.
DEVICE is a name or alias from `perfcast devices` (h100, a100, t4, "NVIDIA H100 80GB HBM3", ...).
predict uses the default model (models/neusight-fp32.json, or $PERFCAST_MODEL) when no --model is
given: for the passes and precisions it was trained on, the learned model for the layer kinds it has
one for, its fitted memory-bound model for the others, and the roofline for whatever it was not
trained on; each layer says which. A training step includes the optimizer's update (--optimizer,
default sgd_momentum) as one more entry. A model calibrated on the device (perfcast calibrate) adds the
framework's cost of calling each layer's forward in a network (in both passes), and says how much.
)";

#ifndef PERFCAST_DEFAULT_MODEL
#define PERFCAST_DEFAULT_MODEL "models/neusight-fp32.json"
#endif

std::atomic<bool> g_interrupted{false};

extern "C" void on_signal(int) { g_interrupted = true; }

std::string default_model_path() {
    if (const char* env = std::getenv("PERFCAST_MODEL")) return env;
    return PERFCAST_DEFAULT_MODEL;
}

std::vector<std::string> split_list(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    std::string item;
    while (std::getline(in, item, ',')) out.push_back(item);
    return out;
}

double number_arg(const Args& a, const std::string& key, double fallback) {
    if (!a.has(key)) return fallback;
    const std::string v = a.get(key, "");
    try {
        std::size_t used = 0;
        const double x = std::stod(v, &used);
        if (used != v.size()) throw std::invalid_argument(v);
        return x;
    } catch (const std::exception&) {
        throw error("--" + key, "expected a number (got \"" + v + "\")");
    }
}

Network load_net(const std::string& what, const Args& a, std::int64_t batch) {
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
    const Network n = load_net(pos[1], a, a.integer("batch", 1));
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

std::vector<std::int64_t> batch_list(const Args& a) {
    std::vector<std::int64_t> out;
    for (const auto& b : split_list(a.get("batch", "1"))) {
        try {
            std::size_t used = 0;
            const long long v = std::stoll(b, &used);
            if (used != b.size() || v < 1) throw std::invalid_argument(b);
            out.push_back(v);
        } catch (const std::exception&) {
            throw error("--batch", "expected a batch size >= 1 or a list such as 1,2,4 (got \"" + b + "\")");
        }
    }
    if (out.empty()) throw error("--batch", "expected a batch size");
    return out;
}

std::string csv_cell(const std::string& s) {
    return s.find_first_of(",\"") == std::string::npos ? s : "\"" + s + "\"";
}

int cmd_predict(const Args& a) {
    const auto& pos = a.positional();
    if (pos.size() != 1) throw error("predict", "usage: perfcast predict NAME|FILE.json --device DEVICE [...]");
    if (!a.has("device")) throw error("--device", "required (see `perfcast devices`)");
    DeviceRegistry reg;
    load_devices(reg, a);
    const Device& dev = reg.get(a.get("device", ""));
    std::vector<std::int64_t> batches = batch_list(a);
    const Network base = load_net(pos[0], a, batches.front());
    if (!a.has("batch")) batches = {base.batch};  // a network file keeps its own batch
    const Pass pass = pass_arg(a);
    const DType t = dtype_arg(a);
    const std::string format = a.get("format", "table");
    if (format != "table" && format != "json" && format != "csv")
        throw error("--format", "expected table, json or csv (got \"" + format + "\")");
    PaleoOptions po;
    po.ppp_comp = number_arg(a, "ppp-comp", 1.0);
    po.ppp_comm = number_arg(a, "ppp-comm", 1.0);
    if (!(po.ppp_comp > 0 && po.ppp_comp <= 1 && po.ppp_comm > 0 && po.ppp_comm <= 1))
        throw error("--ppp-comp/--ppp-comm", "expected a number in (0, 1]");
    EstimateOptions eo;
    eo.paleo = po;
    const std::string opt = a.get("optimizer", "sgd_momentum");
    if (const auto o = parse_optimizer(opt)) eo.optimizer = *o;
    else throw error("--optimizer", "expected none, sgd, sgd_momentum or adam (got \"" + opt + "\")");
    std::string m = a.get("method", a.has("model") ? "mlp" : "");
    std::optional<Predictor> model;
    std::string model_path;
    if (m.empty() || m == "mlp") {
        model_path = a.get("model", default_model_path());
        if (std::filesystem::exists(model_path)) {
            model = Predictor::load(model_path);
            m = "mlp";
        } else if (m == "mlp") {
            throw error(source_location{model_path, 0, 0}, "--model", "model file not found");
        } else {
            m = "paleo";
        }
    }
    if (m != "mlp" && m != "paleo" && m != "roofline")
        throw error("--method", "expected mlp, paleo or roofline (got \"" + m + "\")");
    std::vector<NetworkEstimate> estimates;
    for (std::int64_t b : batches) {
        const Network n = b == base.batch ? base : base.with_batch(b);
        const Target target(dev, pass, t);
        estimates.push_back(model ? estimate(n, target, *model, eo)
                                  : estimate(n, target, m == "paleo" ? Analytical::paleo : Analytical::roofline, eo));
    }
    const NetworkEstimate& e = estimates.front();
    std::map<std::string, std::size_t> by_method;
    for (const auto& l : e.layers) ++by_method[std::string(to_string(l.method))];
    std::string note;
    if (model) {
        note = "learned model " + model_path + " (trained on " + std::to_string(model->info().rows) + " measured rows from ";
        for (std::size_t i = 0; i < model->info().devices.size(); ++i) note += (i ? ", " : "") + model->info().devices[i];
        note += "; of " + std::to_string(e.layers.size()) + " entries:";
        bool first = true;
        for (const auto& [method, count] : by_method) {
            note += (first ? " " : ", ") + std::to_string(count) + " " + method;
            first = false;
        }
        if (!model->trained_for(pass, t))
            note += "; it was not trained on " + std::string(to_string(pass)) + "/" + std::string(to_string(t)) +
                    ", so every layer uses the roofline";
        if (!model->trained_on(dev)) note += "; " + std::string(dev.id) + " was not in its training data";
        if (e.overhead_total_us > 0)
            note += "; with the framework's call overhead per layer fitted on " + model->call_overhead_device();
        note += ")";
    } else {
        note = "analytical estimate: " + m + " (FLOPs and bytes over the device's peaks), not a learned prediction" +
               (a.has("method") ? std::string() : " (no model file at " + model_path + ")");
    }
    auto achieved = [](const LayerEstimate& l) {
        return l.us > 0 ? static_cast<double>(l.cost.flops) / (l.us * 1e-6) : 0.0;
    };
    const bool sweep = estimates.size() > 1;

    if (format == "json") {
        auto one = [&](const NetworkEstimate& x) {
            nlohmann::json j;
            j["network"] = x.network;
            j["device"] = std::string(dev.id);
            j["device_name"] = x.device;
            j["pass"] = std::string(to_string(pass));
            j["dtype"] = std::string(to_string(t));
            j["batch"] = x.batch;
            j["method"] = std::string(to_string(x.method));
            j["note"] = note;
            j["layers"] = nlohmann::json::array();
            for (const auto& l : x.layers) {
                j["layers"].push_back({{"name", l.name},
                                       {"kind", std::string(to_string(l.kind))},
                                       {"method", std::string(to_string(l.method))},
                                       {"time_us", l.us},
                                       {"share", x.total_us > 0 ? l.us / x.total_us : 0.0},
                                       {"roofline_us", l.roofline_us},
                                       {"paleo_us", l.paleo_us},
                                       {"flops", l.cost.flops},
                                       {"bytes", l.cost.bytes},
                                       {"achieved_flops_per_s", achieved(l)},
                                       {"overhead_us", l.overhead_us}});
                if (pass == Pass::training) j["layers"].back()["backward"] = std::string(to_string(l.backward));
            }
            j["total_us"] = x.total_us;
            j["roofline_total_us"] = x.roofline_total_us;
            j["paleo_total_us"] = x.paleo_total_us;
            j["overhead_total_us"] = x.overhead_total_us;
            j["throughput_per_s"] = x.throughput();
            j["flops"] = x.total_cost.flops;
            return j;
        };
        if (!sweep) {
            std::cout << one(e).dump(2) << '\n';
        } else {
            nlohmann::json arr = nlohmann::json::array();
            for (const auto& x : estimates) arr.push_back(one(x));
            std::cout << arr.dump(2) << '\n';
        }
        return EXIT_SUCCESS;
    }
    if (format == "csv") {
        if (sweep) {
            std::cout << "network,device,pass,dtype,batch,method,total_us,throughput_per_s,roofline_total_us,paleo_total_us,flops,"
                         "overhead_total_us\n";
            for (const auto& x : estimates)
                std::cout << csv_cell(x.network) << ',' << dev.id << ',' << to_string(pass) << ',' << to_string(t) << ','
                          << x.batch << ',' << to_string(x.method) << ',' << x.total_us << ',' << x.throughput() << ','
                          << x.roofline_total_us << ',' << x.paleo_total_us << ',' << x.total_cost.flops << ','
                          << x.overhead_total_us << '\n';
        } else {
            std::cout << "layer,kind,method,time_us,share,roofline_us,paleo_us,flops,bytes,achieved_flops_per_s,overhead_us\n";
            for (const auto& l : e.layers)
                std::cout << csv_cell(l.name) << ',' << to_string(l.kind) << ',' << to_string(l.method) << ',' << l.us << ','
                          << (e.total_us > 0 ? l.us / e.total_us : 0.0) << ',' << l.roofline_us << ',' << l.paleo_us
                          << ',' << l.cost.flops << ',' << l.cost.bytes << ',' << achieved(l) << ',' << l.overhead_us
                          << '\n';
        }
        return EXIT_SUCCESS;
    }
    if (sweep) {
        Table tab({"batch", "time ms", "samples/s", "roofline ms", "PALEO ms", "FLOPs"});
        for (const auto& x : estimates)
            tab.row({std::to_string(x.batch), cli::fixed(x.total_us / 1000.0, 3), cli::fixed(x.throughput(), 1),
                     cli::fixed(x.roofline_total_us / 1000.0, 3), cli::fixed(x.paleo_total_us / 1000.0, 3),
                     cli::si(static_cast<double>(x.total_cost.flops))});
        tab.print(std::cout);
        std::cout << "\n"
                  << e.network << " on " << e.device << ", " << to_string(pass) << ", " << to_string(t) << "\n"
                  << "  method:    " << to_string(e.method) << "  (" << note << ")\n";
        return EXIT_SUCCESS;
    }
    Table tab({"layer", "kind", "output", "FLOPs", "by", "time us", "share %", "GFLOP/s", "roofline us", "PALEO us"});
    for (const auto& l : e.layers)
        tab.row({l.name, std::string(to_string(l.kind)), shape_str(l.output), cli::si(static_cast<double>(l.cost.flops)),
                 std::string(to_string(l.method)), cli::fixed(l.us, 2), cli::fixed(e.total_us > 0 ? 100.0 * l.us / e.total_us : 0.0, 2),
                 cli::fixed(achieved(l) / 1e9, 1), cli::fixed(l.roofline_us, 2), cli::fixed(l.paleo_us, 2)});
    tab.print(std::cout);
    std::cout << "\n"
              << e.network << " on " << e.device << ", " << to_string(pass) << ", batch " << e.batch << ", "
              << to_string(t) << "\n"
              << "  method:    " << to_string(e.method) << "  (" << note << ")\n"
              << "  total:     " << cli::fixed(e.total_us / 1000.0, 3) << " ms  ("
              << cli::fixed(e.throughput(), 1) << " samples/s)\n"
              << "  roofline:  " << cli::fixed(e.roofline_total_us / 1000.0, 3) << " ms\n"
              << "  PALEO:     " << cli::fixed(e.paleo_total_us / 1000.0, 3) << " ms\n";
    if (e.overhead_total_us > 0)
        std::cout << "  calls:     " << cli::fixed(e.overhead_total_us / 1000.0, 3)
                  << " ms of the total is the framework's cost of calling the layers in a network (call overhead)\n";
    for (const auto& l : e.layers)
        if (pass == Pass::training && l.backward != Backward::full)
            std::cout << "  backward:  " << l.name << " "
                      << (l.backward == Backward::none ? "runs none" : "computes no input gradient")
                      << " (autograd needs no gradient for the network's input)\n";
    std::cout
              << "  work:      " << cli::si(static_cast<double>(e.total_cost.flops)) << "FLOP, "
              << cli::si(static_cast<double>(e.total_cost.bytes)) << "B moved\n";
    return EXIT_SUCCESS;
}

int cmd_import(const Args& a) {
    const auto& pos = a.positional();
    if (pos.size() < 2 || pos[0] != "neusight")
        throw error("import", "usage: perfcast import neusight FILE.csv... --out DATASET.csv");
    if (!a.has("out")) throw error("--out", "required: the dataset file to write");
    DeviceRegistry reg;
    load_devices(reg, a);
    const Dataset ds = import_neusight(std::vector<std::string>(pos.begin() + 1, pos.end()), reg);
    save_dataset(a.get("out", ""), ds);
    std::cerr << "perfcast: wrote " << ds.rows.size() << " rows to " << a.get("out", "") << "\n";
    return EXIT_SUCCESS;
}

/** @brief Keeps the rows of the devices named by --only-device (all rows without it). */
Dataset only_devices(Dataset ds, const Args& a, const DeviceRegistry& reg) {
    if (!a.has("only-device")) return ds;
    std::vector<std::string> keep;
    for (const auto& d : split_list(a.get("only-device", ""))) keep.emplace_back(reg.get(d).id);
    std::erase_if(ds.rows, [&](const Sample& s) { return std::find(keep.begin(), keep.end(), s.device) == keep.end(); });
    if (ds.rows.empty()) throw error("--only-device", "no rows of these devices in the data");
    return ds;
}

TrainOptions train_options(const Args& a) {
    TrainOptions o;
    o.features = parse_feature_set(a.get("features", "hardware"));
    o.relative_to_roofline = !a.flag("absolute");
    o.holdout = number_arg(a, "holdout", 0.1);
    if (!(o.holdout >= 0 && o.holdout < 1)) throw error("--holdout", "expected a number in [0, 1)");
    o.split_salt = static_cast<std::uint64_t>(a.integer("split-salt", 1));
    if (a.has("config")) o.mlp = MlpConfig::load(a.get("config", ""));
    if (a.has("epochs")) o.mlp.max_epochs = static_cast<std::size_t>(a.integer("epochs", 100));
    if (a.has("patience")) o.mlp.patience = static_cast<std::size_t>(a.integer("patience", 15));
    if (a.has("batch-size")) o.mlp.batch_size = static_cast<std::size_t>(a.integer("batch-size", 256));
    if (a.has("seed")) o.mlp.seed = static_cast<std::uint64_t>(a.integer("seed", 42));
    if (a.has("ensemble")) {
        const auto n = a.integer("ensemble", 5);
        if (n < 1) throw error("--ensemble", "expected at least 1 (MLPs per layer kind)");
        o.ensemble = static_cast<std::size_t>(n);
    }
    o.mlp.learning_rate = number_arg(a, "lr", o.mlp.learning_rate);
    if (a.has("hidden")) {
        o.mlp.hidden.clear();
        for (const auto& w : split_list(a.get("hidden", ""))) {
            try {
                o.mlp.hidden.push_back(static_cast<std::size_t>(std::stoul(w)));
            } catch (const std::exception&) {
                throw error("--hidden", "expected widths such as 128,128,64 (got \"" + w + "\")");
            }
        }
    }
    if (a.has("loss")) o.mlp.loss = parse_mlp_loss(a.get("loss", "mse"), "--loss");
    if (a.has("activation")) o.mlp.activation = parse_mlp_activation(a.get("activation", "relu"), "--activation");
    if (a.has("transform")) {
        const std::string tr = a.get("transform", "log");
        if (tr == "log") o.mlp.target_transform = TargetTransform(TargetKind::log);
        else if (tr == "sqrt") o.mlp.target_transform = TargetTransform(TargetKind::sqrt, 1.0);
        else if (tr == "identity") o.mlp.target_transform = TargetTransform(TargetKind::identity);
        else throw error("--transform", "expected log, sqrt or identity (got \"" + tr + "\")");
    }
    for (const auto& k : split_list(a.get("kinds", ""))) {
        const auto kk = parse_layer_kind(k);
        if (!kk || std::find(learned_kinds.begin(), learned_kinds.end(), *kk) == learned_kinds.end())
            throw error("--kinds", "expected conv2d, dense or pool2d (got \"" + k + "\")");
        o.kinds.push_back(*kk);
    }
    o.mlp.validate("train");
    return o;
}

int cmd_train(const Args& a) {
    const auto files = a.all("data");
    if (files.empty()) throw error("--data", "required: one or more dataset files");
    if (!a.has("out")) throw error("--out", "required: the model file to write");
    DeviceRegistry reg;
    load_devices(reg, a);
    const Dataset ds = only_devices(load_datasets(files, reg), a, reg);
    TrainOptions o = train_options(a);
    o.name = a.get("name", std::filesystem::path(a.get("out", "")).stem().string());
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::cerr << "perfcast: training on " << ds.measured_count() << " measured rows (" << o.holdout * 100
              << "% held out for evaluation), features " << to_string(o.features) << "\n";
    Predictor p = train_predictor(ds, reg, o, [](LayerKind k, std::size_t epoch, double tl, double vl) {
        if (epoch == 1 || epoch % 10 == 0)
            std::cerr << "  " << to_string(k) << " epoch " << epoch << "  train " << cli::fixed(tl, 5) << "  validation "
                      << cli::fixed(vl, 5) << "\n";
        return !g_interrupted.load();
    });
    p.info().data_files = files;
    p.save(a.get("out", ""));
    std::cerr << "perfcast: " << (g_interrupted ? "interrupted; kept the best weights so far and " : "")
              << "wrote " << a.get("out", "") << " (" << cli::fixed(p.info().seconds, 1) << " s)\n";
    return g_interrupted ? 130 : EXIT_SUCCESS;
}

/// `eval --rows FILE.csv`: every evaluated row with its layer's columns (the dataset's names), the
/// measured and predicted times, the signed error and the two baselines, so the worst rows can be found.
void write_eval_rows(const std::string& path, const std::vector<const Sample*>& rows, const DeviceRegistry& reg,
                     const Predictor& p) {
    std::ofstream out(path, std::ios::binary);
    if (!out) throw error(source_location{path, 0, 0}, "--rows", "cannot write file");
    constexpr std::array<std::string_view, 5> skip{"time_us", "samples", "spread", "error", "source"};
    std::vector<std::string_view> cols;
    for (const auto c : dataset_columns)
        if (std::find(skip.begin(), skip.end(), c) == skip.end()) cols.push_back(c);
    for (const auto c : cols) out << c << ',';
    out << "measured_us,predicted_us,error,paleo_us,roofline_us\n";
    for (const Sample* s : rows) {
        auto cells = detail::layer_cells(s->layer);
        cells["pass"] = std::string(to_string(s->pass));
        cells["dtype"] = std::string(to_string(s->dtype));
        cells["device"] = s->device;
        for (const auto c : cols) {
            const auto it = cells.find(c);
            out << (it == cells.end() ? std::string() : detail::quote_csv(it->second)) << ',';
        }
        const Device& d = reg.get(s->device);
        const double pred = p.predict_us(s->layer, s->target(d));
        out << detail::format_double(s->time_us) << ',' << detail::format_double(pred) << ','
            << detail::format_double((pred - s->time_us) / s->time_us) << ','
            << detail::format_double(paleo_us(s->layer, s->target(d))) << ','
            << detail::format_double(roofline_us(s->layer, s->target(d))) << '\n';
    }
    if (!out) throw error(source_location{path, 0, 0}, "--rows", "write failed");
}

int cmd_eval(const Args& a) {
    const auto files = a.all("data");
    if (files.empty()) throw error("--data", "required: one or more dataset files");
    if (!a.has("model")) throw error("--model", "required");
    DeviceRegistry reg;
    load_devices(reg, a);
    const Predictor p = Predictor::load(a.get("model", ""));
    const Dataset ds = load_datasets(files, reg);
    std::vector<const Sample*> rows;
    for (const Sample& s : ds.rows)
        if (s.measured() && p.covers(kind(s.layer)) && (a.flag("all-rows") || held_out(s, p.info().holdout, p.info().split_salt)))
            rows.push_back(&s);
    if (rows.empty()) throw error("--data", "no measured rows to evaluate (held-out rows of kinds the model covers)");
    const auto ours = evaluate_rows(rows, reg, [&](const Sample& s, const Device& d) {
        return p.predict_us(s.layer, s.target(d));
    });
    const auto paleo = evaluate_rows(rows, reg, paleo_predictor());
    const auto roof = evaluate_rows(rows, reg, roofline_predictor());
    if (a.has("rows")) write_eval_rows(a.get("rows", ""), rows, reg, p);
    if (format_arg(a) == "json") {
        nlohmann::json j = nlohmann::json::array();
        for (std::size_t i = 0; i < ours.size(); ++i) {
            nlohmann::json o = to_json(ours[i]);
            o["paleo_mean_rel_error"] = paleo[i].mean_rel_error;
            o["roofline_mean_rel_error"] = roof[i].mean_rel_error;
            j.push_back(o);
        }
        std::cout << j.dump(2) << '\n';
        return EXIT_SUCCESS;
    }
    Table t({"kind", "pass", "dtype", "device", "n", "mean %", "median %", "std %", "max %", "<=10 %", "<=20 %",
             "PALEO mean %", "roofline mean %"});
    auto pct = [](double v) { return cli::fixed(100.0 * v, 1); };
    for (std::size_t i = 0; i < ours.size(); ++i) {
        const ErrorStats& s = ours[i];
        t.row({s.kind, s.pass, s.dtype, s.device, std::to_string(s.n), pct(s.mean_rel_error), pct(s.median_rel_error),
               pct(s.std_rel_error), pct(s.max_rel_error), pct(s.within_10), pct(s.within_20),
               pct(paleo[i].mean_rel_error), pct(roof[i].mean_rel_error)});
    }
    t.print(std::cout);
    std::cout << "\n" << rows.size() << (a.flag("all-rows") ? " rows (all measured rows)" : " held-out rows the training never saw")
              << "; relative error = |predicted - measured| / measured\n";
    return EXIT_SUCCESS;
}

void print_study(const std::vector<StudyResult>& results, const Args& a) {
    if (format_arg(a) == "json") {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& r : results) {
            nlohmann::json o{{"label", r.label},
                             {"train_rows", r.train_rows},
                             {"test_rows", r.test_rows},
                             {"train_seconds", r.train_seconds},
                             {"groups", nlohmann::json::array()}};
            for (std::size_t i = 0; i < r.ours.size(); ++i) {
                nlohmann::json g = to_json(r.ours[i]);
                g["paleo_mean_rel_error"] = r.paleo[i].mean_rel_error;
                o["groups"].push_back(g);
            }
            j.push_back(o);
        }
        std::cout << j.dump(2) << '\n';
        return;
    }
    Table t({"variant", "train rows", "train s", "kind", "device", "n", "mean %", "median %", "max %", "<=10 %", "<=20 %",
             "PALEO mean %"});
    auto pct = [](double v) { return cli::fixed(100.0 * v, 1); };
    for (const auto& r : results)
        for (std::size_t i = 0; i < r.ours.size(); ++i) {
            const ErrorStats& s = r.ours[i];
            if (a.flag("per-device") || s.device == "*" || r.label.rfind("left out", 0) == 0)
                t.row({r.label, std::to_string(r.train_rows), cli::fixed(r.train_seconds, 1), s.kind, s.device,
                       std::to_string(s.n), pct(s.mean_rel_error), pct(s.median_rel_error), pct(s.max_rel_error),
                       pct(s.within_10), pct(s.within_20), pct(r.paleo[i].mean_rel_error)});
        }
    t.print(std::cout);
}

int cmd_study(const Args& a) {
    const auto& pos = a.positional();
    if (pos.size() != 1 || (pos[0] != "leave-one-out" && pos[0] != "learning-curve" && pos[0] != "ablation"))
        throw error("study", "usage: perfcast study leave-one-out|learning-curve|ablation --data DATASET.csv...");
    const auto files = a.all("data");
    if (files.empty()) throw error("--data", "required: one or more dataset files");
    DeviceRegistry reg;
    load_devices(reg, a);
    const Dataset ds = only_devices(load_datasets(files, reg), a, reg);
    const TrainOptions o = train_options(a);
    const StudyProgress progress = [](const std::string& label) { std::cerr << "perfcast: training " << label << "\n"; };
    std::vector<StudyResult> results;
    if (pos[0] == "leave-one-out") {
        results = leave_one_device_out(ds, reg, o, progress);
    } else if (pos[0] == "ablation") {
        results = feature_ablation(ds, reg, o, progress);
    } else {
        std::vector<double> fractions;
        for (const auto& f : split_list(a.get("fractions", "0.05,0.1,0.25,0.5,1"))) {
            try {
                fractions.push_back(std::stod(f));
            } catch (const std::exception&) {
                throw error("--fractions", "expected numbers such as 0.1,0.5,1 (got \"" + f + "\")");
            }
        }
        results = learning_curve(ds, reg, o, fractions, progress);
    }
    print_study(results, a);
    return EXIT_SUCCESS;
}

/** @brief Shell-quotes one argument for the report's command-line line. */
std::string shell_word(const std::string& w) {
    if (!w.empty() && w.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./=:,+-@%") == std::string::npos)
        return w;
    std::string q = "'";
    for (char c : w) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

/** @brief validate --layers: operations timed inside networks, beside the model's prediction of each. */
int cmd_validate_layers(const Args& a) {
    if (a.has("validation") || a.has("combine"))
        throw error("--layers", "give --validation (whole networks) or --layers (their layers), not both");
    DeviceRegistry reg;
    load_devices(reg, a);
    const Predictor p = Predictor::load(a.get("model", default_model_path()));
    const LayerTimingData v = load_layer_timings(a.get("layers", ""));
    if (v.rows.empty()) throw error(source_location{v.file, 0, 0}, "time_ms", "no measured row");
    const std::vector<LayerComparison> rows = compare_layers(p, v, reg, a.get("device", ""));
    const LayerValidationSummary s = summarize_layers(rows);
    if (a.has("rows")) {
        const std::string path = a.get("rows", "");
        std::ofstream out(path, std::ios::binary);
        if (!out) throw error(source_location{path, 0, 0}, "--rows", "cannot write file");
        out << "network,batch,pass,dtype,device,threads,malloc,index,node,layer,kind,method,measured_us,predicted_us,"
               "error,file,line\n";
        for (const LayerComparison& c : rows) {
            const LayerTimingRow& r = *c.row;
            out << detail::quote_csv(r.network) << ',' << r.batch << ',' << to_string(r.pass) << ','
                << to_string(r.dtype) << ',' << detail::quote_csv(std::string(c.device->id)) << ',' << detail::quote_csv(r.threads)
                << ',' << detail::quote_csv(r.malloc) << ',' << r.index << ',' << detail::quote_csv(r.node) << ','
                << detail::quote_csv(r.name) << ',' << detail::quote_csv(r.kind) << ',' << c.method << ','
                << detail::format_double(c.measured_us()) << ','
                << (c.predicted() ? detail::format_double(c.predicted_us) : std::string()) << ','
                << (c.predicted() ? detail::format_double(c.error()) : std::string()) << ','
                << detail::quote_csv(r.file) << ',' << r.line << '\n';
        }
        if (!out) throw error(source_location{path, 0, 0}, "--rows", "write failed");
    }
    const auto group_json = [](const LayerGroupSummary& g) {
        return nlohmann::json{{"key", g.key},
                              {"operations", g.operations},
                              {"predicted", g.predicted},
                              {"measured_ms", g.measured_ms},
                              {"unpredicted_ms", g.unpredicted_ms},
                              {"predicted_ms", g.predicted_ms},
                              {"sum_error", g.sum_error()},
                              {"mean_abs_error", g.mean_abs_error()},
                              {"within_10", g.within_10},
                              {"within_20", g.within_20}};
    };
    if (format_arg(a) == "json") {
        nlohmann::json j;
        j["model"] = p.name();
        j["layers"] = v.file;
        j["configurations"] = nlohmann::json::array();
        for (const LayerGroupSummary& g : s.configurations) j["configurations"].push_back(group_json(g));
        j["kinds"] = nlohmann::json::array();
        for (const LayerGroupSummary& g : s.kinds) j["kinds"].push_back(group_json(g));
        j["all"] = group_json(s.all);
        std::cout << j.dump(2) << '\n';
        return EXIT_SUCCESS;
    }
    auto pct = [](double x) { return cli::fixed(100.0 * x, 1); };
    const auto table = [&](const std::string& first, const std::vector<LayerGroupSummary>& groups, bool total) {
        Table t({first, "operations", "measured ms", "not predicted ms", "predicted ms", "error of sum %",
                 "mean |error| %", "within 10%", "within 20%"});
        std::vector<const LayerGroupSummary*> shown;
        for (const LayerGroupSummary& g : groups) shown.push_back(&g);
        if (total) shown.push_back(&s.all);
        for (const LayerGroupSummary* g : shown)
            t.row({g->key, std::to_string(g->operations), cli::fixed(g->measured_ms, 2), cli::fixed(g->unpredicted_ms, 2),
                   cli::fixed(g->predicted_ms, 2), g->predicted ? pct(g->sum_error()) : std::string("-"),
                   g->errors ? pct(g->mean_abs_error()) : std::string("-"),
                   std::to_string(g->within_10) + " / " + std::to_string(g->errors),
                   std::to_string(g->within_20) + " / " + std::to_string(g->errors)});
        t.print(std::cout);
    };
    std::cout << "each network's operations timed in place (" << v.file << "), predicted by " << p.name() << "\n\n";
    table("configuration", s.configurations, false);
    std::cout << "\nby kind, all configurations:\n";
    table("kind", s.kinds, true);
    // the operations that miss the most time
    std::vector<const LayerComparison*> worst;
    for (const LayerComparison& c : rows)
        if (c.predicted()) worst.push_back(&c);
    std::sort(worst.begin(), worst.end(), [](const LayerComparison* x, const LayerComparison* y) {
        return std::fabs(x->predicted_us - x->measured_us()) > std::fabs(y->predicted_us - y->measured_us());
    });
    if (worst.size() > 10) worst.resize(10);
    std::cout << "\nthe operations that miss the most time:\n";
    Table w({"configuration", "layer", "kind", "measured ms", "predicted ms", "error %"});
    for (const LayerComparison* c : worst)
        w.row({layer_configuration(*c->row), c->row->name, c->row->kind, cli::fixed(c->row->time_ms, 3),
               cli::fixed(c->predicted_us / 1e3, 3), pct(c->error())});
    w.print(std::cout);
    std::cout << "error = (predicted - measured) / measured, negative is an under-prediction; \"not predicted\": "
                 "operations perfcast has no layer for (free ones such as getitem, or refused by torch2perfcast)";
    if (v.unmeasured) std::cout << "; " << v.unmeasured << " rows without a time left out";
    std::cout << "\n";
    return EXIT_SUCCESS;
}

/** @brief calibrate: the model's call overhead per kind, fitted to layers timed in place and back to back. */
int cmd_calibrate(const Args& a) {
    std::vector<std::string> files = a.all("layers");
    for (const std::string& f : a.positional()) files.push_back(f);
    if (files.empty()) throw error("--layers", "required: layer timings with isolated_ms (tools/measure_torch.py --layers)");
    if (!a.has("out")) throw error("--out", "required: the model file to write");
    if (!a.has("device")) throw error("--device", "required: the device the timings were taken on (see `perfcast devices`)");
    DeviceRegistry reg;
    load_devices(reg, a);
    const Device& dev = reg.get(a.get("device", ""));
    Predictor p = Predictor::load(a.get("model", default_model_path()));
    std::vector<LayerTimingData> data;
    for (const std::string& f : files) data.push_back(load_layer_timings(f));
    std::vector<const LayerTimingData*> ptrs;
    for (const LayerTimingData& d : data) ptrs.push_back(&d);
    const CallOverheadFit fit = fit_call_overhead(ptrs, dev);
    if (!fit.overhead.fitted())
        throw error(source_location{files.front(), 0, 0}, "isolated_ms",
                    "no kind has " + std::to_string(CallOverhead::min_rows) +
                        " inference operations of one layer with an isolated time (measure_torch.py --layers on a CPU)");
    p.set_call_overhead(fit.overhead, std::string(dev.id), files);
    p.save(a.get("out", ""));
    if (format_arg(a) == "json") {
        nlohmann::json j;
        j["model"] = a.get("out", "");
        j["device"] = std::string(dev.id);
        j["rows"] = fit.rows;
        j["kinds"] = nlohmann::json::array();
        for (const CallOverheadKindFit& k : fit.kinds)
            j["kinds"].push_back({{"kind", std::string(to_string(k.kind))}, {"rows", k.rows}, {"in_place_ms", k.in_place_ms},
                                  {"isolated_ms", k.isolated_ms}, {"us", k.us}, {"us_per_mb", k.us_per_mb},
                                  {"mean_abs_error", k.mean_abs_error}, {"mean_abs_error_isolated", k.mean_abs_error_isolated},
                                  {"fitted", fit.overhead.fitted(k.kind)}});
        std::cout << j.dump(2) << '\n';
        return EXIT_SUCCESS;
    }
    Table t({"kind", "operations", "in place ms", "back to back ms", "us per call", "us per MB", "error back to back %",
             "error with overhead %"});
    for (const CallOverheadKindFit& k : fit.kinds) {
        const bool fitted = fit.overhead.fitted(k.kind);
        t.row({std::string(to_string(k.kind)), std::to_string(k.rows), cli::fixed(k.in_place_ms, 2),
               cli::fixed(k.isolated_ms, 2), fitted ? cli::fixed(k.us, 1) : std::string("- (too few)"),
               fitted ? cli::fixed(k.us_per_mb, 1) : std::string("-"), cli::fixed(100.0 * k.mean_abs_error_isolated, 1),
               fitted ? cli::fixed(100.0 * k.mean_abs_error, 1) : std::string("-")});
    }
    t.print(std::cout);
    std::cout << "wrote " << a.get("out", "") << ": layers of these kinds on " << dev.id
              << " get the call overhead of their forward in both passes, us per call + us per MB x min(bytes moved, "
              << dev.l2_mb
              << " MiB of last-level cache) (conv2d and dense take none: their sweeps read weights cold); errors are\n"
                 "mean |x - in place| / in place of the operations, x the back-to-back time alone or with the overhead\n";
    return EXIT_SUCCESS;
}

int cmd_validate(const Args& a) {
    if (a.has("layers")) return cmd_validate_layers(a);
    if (!a.has("validation"))
        throw error("--validation", "required: whole-network timings (tools/measure_torch.py's CSV), or --layers");
    DeviceRegistry reg;
    load_devices(reg, a);
    const Predictor p = Predictor::load(a.get("model", default_model_path()));
    const std::string how = a.get("combine", "each");
    const auto combine = parse_run_combine(how);
    if (!combine) throw error("--combine", "expected each, min or median (got \"" + how + "\")");
    std::vector<ValidationData> runs;
    for (const std::string& f : a.all("validation")) runs.push_back(load_validation(f));
    const ValidationData v = combine_runs(runs, *combine);
    bool combined = false;
    for (const ValidationRow& r : v.rows) combined = combined || r.runs > 1;
    EstimateOptions eo;
    const std::string opt = a.get("optimizer", "sgd_momentum");
    if (const auto o = parse_optimizer(opt)) eo.optimizer = *o;
    else throw error("--optimizer", "expected none, sgd, sgd_momentum or adam (got \"" + opt + "\")");
    std::vector<Network> networks;  // --network FILE.json: networks beyond the zoo, by their names
    for (const std::string& f : a.all("network")) networks.push_back(load_network(f));
    std::set<std::string> skipped;
    const std::vector<NetworkComparison> rows = compare_networks(p, v, reg, a.get("device", ""), eo, &skipped, networks);
    if (rows.empty())
        throw error(source_location{v.file, 0, 0}, "network", "no row names a zoo network or one given with --network");
    // mean |error| per network and pass, and over everything
    std::map<std::string, std::pair<double, double>> mean;  // key -> (sum |error|, count)
    double all = 0, all_paleo = 0;
    for (const NetworkComparison& c : rows) {
        auto& m = mean[c.estimate.network + " " + std::string(to_string(c.row->pass))];
        m.first += std::fabs(c.error());
        m.second += 1;
        all += std::fabs(c.error());
        all_paleo += std::fabs(c.paleo_error());
    }
    const double n = static_cast<double>(rows.size());
    if (format_arg(a) == "json") {
        nlohmann::json j;
        j["model"] = p.name();
        j["validation"] = v.file;
        j["rows"] = nlohmann::json::array();
        for (const NetworkComparison& c : rows)
            j["rows"].push_back({{"network", c.estimate.network},
                                 {"device", std::string(c.device->id)},
                                 {"threads", c.row->threads},
                                 {"pass", std::string(to_string(c.row->pass))},
                                 {"dtype", std::string(to_string(c.row->dtype))},
                                 {"batch", c.row->batch},
                                 {"measured_ms", c.measured_ms()},
                                 {"predicted_ms", c.predicted_ms()},
                                 {"error", c.error()},
                                 {"paleo_ms", c.estimate.paleo_total_us / 1e3},
                                 {"paleo_error", c.paleo_error()},
                                 {"page_faults", c.row->faults >= 0 ? nlohmann::json(c.row->faults) : nlohmann::json()},
                                 {"malloc", c.row->malloc},
                                 {"file", c.row->file},
                                 {"line", c.row->line},
                                 {"runs", c.row->runs},
                                 {"run_spread", c.row->run_spread}});
        j["mean_abs_error"] = all / n;
        j["paleo_mean_abs_error"] = all_paleo / n;
        std::cout << j.dump(2) << '\n';
        return EXIT_SUCCESS;
    }
    auto pct = [](double x) { return cli::fixed(100.0 * x, 1); };
    std::vector<std::string> head{"network", "pass", "dtype", "device", "threads", "batch", "measured ms", "predicted ms",
                                  "error %", "PALEO ms", "PALEO error %", "page faults"};
    if (combined) head.insert(head.end(), {"runs", "run spread %"});
    Table t(head);
    for (const NetworkComparison& c : rows) {
        std::vector<std::string> cells{c.estimate.network, std::string(to_string(c.row->pass)),
                                       std::string(to_string(c.row->dtype)), std::string(c.device->id), c.row->threads,
                                       std::to_string(c.row->batch), cli::fixed(c.measured_ms(), 2),
                                       cli::fixed(c.predicted_ms(), 2), pct(c.error()),
                                       cli::fixed(c.estimate.paleo_total_us / 1e3, 2), pct(c.paleo_error()),
                                       c.row->faults >= 0 ? cli::fixed(c.row->faults, 0) : std::string("-")};
        if (combined) cells.insert(cells.end(), {std::to_string(c.row->runs), pct(c.row->run_spread)});
        t.row(cells);
    }
    t.print(std::cout);
    std::cout << "\nmean |error| by network and pass:";
    for (const auto& [k, m] : mean) std::cout << "  " << k << " " << pct(m.first / m.second) << "%";
    std::cout << "\nall " << rows.size() << " rows: " << pct(all / n) << "% (PALEO " << pct(all_paleo / n)
              << "%); error = (predicted - measured) / measured, negative is an under-prediction\n";
    if (combined)
        std::cout << "each configuration's " << (*combine == RunCombine::min ? "fastest" : "median")
                  << " run of those in " << v.file << "\n";
    if (!skipped.empty()) {
        std::cout << "not in the zoo nor given with --network, not predicted:";
        for (const auto& x : skipped) std::cout << " " << x;
        std::cout << "\n";
    }
    return EXIT_SUCCESS;
}

int cmd_report(const Args& a, int argc, char** argv) {
    const auto files = a.all("data");
    if (files.empty()) throw error("--data", "required: one or more dataset files");
    if (!a.has("model")) throw error("--model", "required");
    if (!a.has("out")) throw error("--out", "required: the HTML file to write");
    DeviceRegistry reg;
    load_devices(reg, a);
    const Predictor p = Predictor::load(a.get("model", ""));
    const Dataset ds = load_datasets(files, reg);
    std::optional<ValidationData> validation;
    if (a.has("validation")) validation = load_validation(a.get("validation", ""));
    std::optional<LayerTimingData> layers;
    if (a.has("layers")) layers = load_layer_timings(a.get("layers", ""));
    ReportOptions o;
    o.model_path = a.get("model", "");
    o.data_files = files;
    o.quick = a.flag("quick");
    o.validation_device = a.get("device", "");
    if (!o.validation_device.empty()) (void)reg.get(o.validation_device);
    for (const auto& f : split_list(a.get("fractions", ""))) {
        try {
            o.fractions.push_back(std::stod(f));
        } catch (const std::exception&) {
            throw error("--fractions", "expected numbers such as 0.1,0.5,1 (got \"" + f + "\")");
        }
    }
    for (int i = 0; i < argc; ++i) o.command_line += (i ? " " : "") + shell_word(argv[i]);
    o.progress = [](const std::string& what) { std::cerr << "perfcast: report: training " << what << "\n"; };
    write_report(a.get("out", ""), p, ds, reg, o, validation ? &*validation : nullptr, layers ? &*layers : nullptr);
    std::cerr << "perfcast: wrote " << a.get("out", "") << "\n";
    return EXIT_SUCCESS;
}

int cmd_embed(const Args& a) {
    if (!a.positional().empty() || !a.has("model") || !a.has("out"))
        throw error("embed", "usage: perfcast embed --model MODEL.json --out HEADER.hpp [--name NAME]");
    const std::string model = a.get("model", ""), out = a.get("out", "");
    const std::string name = a.get("name", embedded::identifier_from(std::filesystem::path(out).stem().string()));
    write_model_header(Predictor::load(model), out, name, model);
    std::cerr << "perfcast: wrote " << out << " (perfcast::models::" << name << "::model)\n";
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
                                    {"device", "batch", "pass", "dtype", "method", "model", "ppp-comp", "ppp-comm", "optimizer",
                                     "format", "devices"}));
        if (cmd == "import") return cmd_import(Args(argc, argv, 2, {}, {"out", "devices"}));
        if (cmd == "train")
            return cmd_train(Args(argc, argv, 2, {"absolute"},
                                  {"data", "out", "name", "only-device", "features", "holdout", "split-salt", "config", "epochs",
                                   "patience", "batch-size", "seed", "ensemble", "lr", "hidden", "transform", "loss", "activation", "kinds",
                                   "devices"}));
        if (cmd == "study")
            return cmd_study(Args(argc, argv, 2, {"absolute", "per-device"},
                                  {"data", "fractions", "format", "only-device", "features", "holdout", "split-salt", "config",
                                   "epochs", "patience", "batch-size", "seed", "ensemble", "lr", "hidden", "transform",
                                   "loss", "activation", "kinds", "devices"}));
        if (cmd == "report")
            return cmd_report(Args(argc, argv, 2, {"quick"}, {"model", "data", "out", "validation", "layers", "device", "fractions", "devices"}), argc, argv);
        if (cmd == "calibrate")
            return cmd_calibrate(Args(argc, argv, 2, {}, {"model", "layers", "device", "out", "format", "devices"}));
        if (cmd == "embed") return cmd_embed(Args(argc, argv, 2, {}, {"model", "out", "name"}));
        if (cmd == "validate")
            return cmd_validate(Args(argc, argv, 2, {},
                                     {"model", "validation", "device", "optimizer", "format", "devices", "combine",
                                      "layers", "rows", "network"}));
        if (cmd == "eval") return cmd_eval(Args(argc, argv, 2, {"all-rows"}, {"model", "data", "format", "devices", "rows"}));
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
