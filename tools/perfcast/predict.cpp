// perfcast predict: how long a network takes on a device, layer by layer, over batch sizes, or on several
// devices side by side.
#include <algorithm>   // min
#include <cstdio>      // snprintf
#include <cstdlib>     // EXIT_SUCCESS
#include <filesystem>  // exists
#include <iostream>    // cout
#include <map>         // map
#include <optional>    // optional
#include <string>      // string
#include <vector>      // vector

#include <perfcast/runtime/predictor.hpp>  // Predictor

#include "commands.hpp"
#include "common.hpp"  // opt::, load_devices, load_net, dtype_arg, pass_arg, optimizer_arg, shape_str

namespace perfcast::cli {
namespace {

/** @brief A feature's value as the extrapolation note gives it: four significant digits. */
std::string significant(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", v);
    return buf;
}

std::string csv_cell(const std::string& s) {
    return s.find_first_of(",\"") == std::string::npos ? s : "\"" + s + "\"";
}

/**
 * @brief The devices of --device: one, or several separated by commas to compare them, each named once.
 * --kernel-floor-us is one machine's fixed cost per kernel, so it goes with one device only.
 */
std::vector<Device> devices_arg(const Args& a, const DeviceRegistry& reg) {
    std::vector<Device> devs;
    const std::string list = a.get("device");
    for (const std::string& name : split_list(list)) {
        if (name.empty()) throw error("--device", "an empty name in the list " + quoted(list));
        const Device& d = reg.get(name);
        for (const Device& o : devs)
            if (o.id == d.id) throw error("--device", std::string(d.id) + " is named twice in " + quoted(list));
        devs.push_back(d);
    }
    if (a.has("kernel-floor-us")) {
        if (devs.size() > 1)
            throw error("--kernel-floor-us", "one machine's fixed cost per kernel goes with one --device (got " +
                                                 std::to_string(devs.size()) + " devices)");
        devs.front().kernel_floor_us = a.number("kernel-floor-us");
    }
    return devs;
}

/**
 * @brief Where a network's learned layers lie against the model's training data, in a few words: on a
 * training device, on the same chip as one (its models answer), or outside the data (the portable tier);
 * "" for an analytical estimate, which has no learned layer.
 */
std::string coverage_summary(const NetworkEstimate& x) {
    std::size_t learned = 0, trained = 0, outside = 0;
    std::string chip;
    for (const auto& l : x.layers) {
        if (!l.coverage) continue;
        ++learned;
        if (l.coverage->device)
            ++trained;
        else if (l.coverage->same_chip.empty())
            ++outside;
        else if (chip.empty())
            chip = std::string(l.coverage->same_chip);
    }
    const std::size_t twin = learned - trained - outside;
    if (learned == 0) return "";
    if (trained == learned) return "trained on it";
    if (twin == learned) return "same chip as " + chip;
    if (outside == learned) return "not in the data";
    // the first part counts of all the learned layers, the others after it
    std::string s;
    auto part = [&](const std::string& what, std::size_t count) {
        if (count == 0) return;
        s += s.empty() ? what + ": " + std::to_string(count) + " of " + std::to_string(learned) + " learned layers"
                       : ", " + std::to_string(count) + " " + what;
    };
    part("trained on it", trained);
    part("same chip as " + chip, twin);
    part("not in the data", outside);
    return s;
}

int run(const Args& a) {
    const auto& pos = a.positional();
    DeviceRegistry reg;
    load_devices(reg, a);
    const std::vector<Device> devs = devices_arg(a, reg);
    std::vector<std::int64_t> batches = a.integers("batch");
    const Network base = load_net(pos[0], a, batches.front());
    if (!a.has("batch")) batches = {base.batch};  // a network file keeps its own batch
    const Pass pass = pass_arg(a);
    const DType t = dtype_arg(a);
    const std::string format = a.get("format");
    if (format != "table" && format != "json" && format != "csv")
        throw error("--format", "expected table, json or csv (got " + quoted(format) + ")");
    PaleoOptions po;
    po.ppp_comp = a.number("ppp-comp");
    po.ppp_comm = a.number("ppp-comm");
    EstimateOptions eo;
    eo.paleo = po;
    eo.optimizer = optimizer_arg(a);
    // the estimator: --method, else the learned model (--model, $PERFCAST_MODEL or the committed one) when
    // its file exists, else PALEO
    std::optional<Method> method;
    if (a.has("method")) {
        method = parse_method(a.get("method"));
        if (!method || (*method != Method::mlp && *method != Method::paleo && *method != Method::roofline))
            throw error("--method", "expected mlp, paleo or roofline (got " + quoted(a.get("method")) + ")");
    } else if (a.has("model")) {
        method = Method::mlp;
    }
    std::optional<Predictor> model;
    std::string model_path;
    if (!method || *method == Method::mlp) {
        model_path = a.get("model");
        if (std::filesystem::exists(model_path)) {
            model = Predictor::load(model_path);
            method = Method::mlp;
        } else if (method) {
            throw error(source_location{model_path, 0, 0}, "--model", "model file not found");
        } else {
            method = Method::paleo;
        }
    }
    // a zoo network is built at each batch (a transformer's position embedding is shared by the batch, which
    // with_batch cannot tell from a batch-1 network's layers); a file is rescaled
    std::vector<Network> nets;
    for (std::int64_t b : batches)
        nets.push_back(b == base.batch ? base : zoo::is_transformer(pos[0]) ? load_net(pos[0], a, b) : base.with_batch(b));
    // by_device[d][i]: devs[d] at batches[i]
    std::vector<std::vector<NetworkEstimate>> by_device(devs.size());
    for (std::size_t d = 0; d < devs.size(); ++d)
        for (const Network& n : nets) {
            const Target target(devs[d], pass, t);
            by_device[d].push_back(model ? estimate(n, target, *model, eo)
                                         : estimate(n, target,
                                                    *method == Method::paleo ? Analytical::paleo : Analytical::roofline, eo));
        }
    // what answered a device's layers, from its estimate at the first batch
    auto note_for = [&](const Device& dev, const NetworkEstimate& e) {
        std::map<std::string, std::size_t> by_method;
        for (const auto& l : e.layers) ++by_method[std::string(to_string(l.method))];
        std::string note;
        if (model) {
            note = "learned model " + model_path + " (trained on " + std::to_string(model->info().rows) + " measured rows from ";
            for (std::size_t i = 0; i < model->info().devices.size(); ++i) note += (i ? ", " : "") + model->info().devices[i];
            note += "; of " + std::to_string(e.layers.size()) + " entries:";
            bool first = true;
            for (const auto& [name, count] : by_method) {
                note += (first ? " " : ", ") + std::to_string(count) + " " + name;
                first = false;
            }
            const DType learned = model->view().learned_precision(t);
            if (learned != t)
                note += "; it was not trained on " + std::string(to_string(t)) + ": each layer keeps the ratio to its baseline "
                        "learned in " + std::string(to_string(learned)) + ", with the baseline of " + std::string(to_string(t)) +
                        (t == DType::tf32 ? " (the layers that are not GEMMs or convolutions run their fp32 kernels)" : "");
            if (model->view().steps_from_forward(pass, learned))
                note += "; trained on forward passes only: a training step is the kernels each layer's phases run "
                        "(a linear layer's backward as its two GEMMs), each timed as a forward kernel";
            else if (!model->trained_for(pass, learned))
                note += "; it was not trained on " + std::string(to_string(pass)) + "/" + std::string(to_string(learned)) +
                        ", so every layer uses the roofline";
            if (!model->trained_on(dev)) {
                note += "; " + std::string(dev.id) + " was not in its training data";
                // a device of a training device's chip is answered by that device's models (Device::same_chip)
                const embedded::Model& v = model->view();
                std::string twins;
                for (const embedded::KindModel& k : v.kinds)
                    if (const int b = v.same_chip_index(k, dev); b >= 0 && !k.portable()) {
                        const std::string id(devices::builtin[static_cast<std::size_t>(b)]->id);
                        if (twins.find(id) == std::string::npos) twins += (twins.empty() ? "" : ", ") + id;
                    }
                if (!twins.empty())
                    note += "; it is the same chip as " + twins + ", whose models answer its layers with " +
                            std::string(dev.id) + "'s own memory bandwidth and kernel floor";
                // the fixed cost per kernel its portable tier took: the machine's if given, else the median
                for (const embedded::KindModel& k : v.kinds)
                    if (k.portable()) {
                        note += "; kernel floor " + cli::fixed(v.kernel_floor_us(k, dev), 1) + " us" +
                                (dev.kernel_floor_us > 0 ? " (given)"
                                                         : " (the training machines' median; --kernel-floor-us gives yours)");
                        break;
                    }
            }
            if (e.overhead_total_us > 0)
                note += "; with the framework's call overhead per layer fitted on " + model->call_overhead_device();
            if (model->call_overhead_device() == dev.id) {  // the device's level per kind (perfcast calibrate --level)
                std::string levels;
                for (LayerKind k : all_layer_kinds)
                    if (model->call_overhead().level_fitted(k))
                        levels += (levels.empty() ? "" : ", ") + std::string(to_string(k)) + " x" +
                                  cli::fixed(model->call_overhead().level_of(k), 3);
                if (!levels.empty()) note += "; with the device's level per kind, calibrated on it: " + levels;
            }
            note += ")";
        } else {
            note = "analytical estimate: " + std::string(to_string(*method)) + " (FLOPs and bytes over the device's peaks), not a learned prediction" +
                   (a.has("method") ? std::string() : " (no model file at " + model_path + ")");
        }
        std::size_t beyond_shape = 0;
        for (const auto& l : e.layers) beyond_shape += l.coverage && !l.coverage->shape ? 1 : 0;
        if (beyond_shape > 0)
            note += "; " + std::to_string(beyond_shape) + " learned layers lie beyond the training shapes (column data)";
        return note;
    };
    std::vector<std::string> notes;
    for (std::size_t d = 0; d < devs.size(); ++d) notes.push_back(note_for(devs[d], by_device[d].front()));
    // one device: its layers (one batch) or its batches; several: the devices side by side at each batch
    const Device& dev = devs.front();
    const std::vector<NetworkEstimate>& estimates = by_device.front();
    const NetworkEstimate& e = estimates.front();
    const std::string& note = notes.front();
    // where a learned layer lies against the model's training data: "trained" (its device and shape
    // inside), else what is outside; analytical layers have none ("")
    auto data = [](const LayerEstimate& l) -> std::string {
        if (!l.coverage) return "";
        // a precision outside the training data: the ratio learned in another (Coverage::learned_precision)
        const std::string from = l.coverage->precision_trained()
                                     ? ""
                                     : ", from " + std::string(to_string(l.coverage->learned_precision));
        if (l.coverage->device && l.coverage->shape) return "trained" + from;
        if (!l.coverage->device && !l.coverage->same_chip.empty())
            return "same chip as " + std::string(l.coverage->same_chip) + (l.coverage->shape ? "" : ", new shape") + from;
        if (!l.coverage->device && !l.coverage->shape) return "new device+shape" + from;
        return (l.coverage->device ? "new shape" : "new device") + from;
    };
    // the table's column: data() and the names of the first features outside (the CSV and JSON give up to
    // Coverage::max_outside of them, with their values and ranges, and the count of the rest)
    auto data_column = [&](const LayerEstimate& l) {
        std::string s = data(l);
        if (!l.coverage || l.coverage->outside_count == 0) return s;
        constexpr std::size_t shown = 3;
        const auto features = l.coverage->outside_features();
        for (std::size_t i = 0; i < features.size() && i < shown; ++i)
            s += (i == 0 ? " (" : ", ") + std::string(features[i].name);
        if (l.coverage->outside_count > shown) s += ", +" + std::to_string(l.coverage->outside_count - shown);
        return s + ")";
    };
    // what lies outside the training data, in full: the device, then each feature with its value and range
    auto extrapolation_text = [&](const LayerEstimate& l) {
        std::string s;
        if (!l.coverage) return s;
        if (!l.coverage->device) s = "device " + std::string(dev.id) + " not in the training data";
        if (!l.coverage->device && !l.coverage->same_chip.empty())
            s += " (the same chip as " + std::string(l.coverage->same_chip) + ", which is)";
        if (!l.coverage->precision_trained())
            s += (s.empty() ? "" : "; ") + std::string("precision ") + std::string(to_string(l.coverage->precision)) +
                 " not in the training data (the ratio learned in " +
                 std::string(to_string(l.coverage->learned_precision)) + ")";
        for (const auto& f : l.coverage->outside_features())
            s += (s.empty() ? "" : "; ") + std::string(f.name) + " " + significant(f.value) + " outside [" +
                 significant(f.min) + ", " + significant(f.max) + "]";
        if (l.coverage->outside_count > embedded::Coverage::max_outside)
            s += "; " + std::to_string(l.coverage->outside_count - embedded::Coverage::max_outside) + " more features";
        return s;
    };
    auto extrapolation_json = [&](const LayerEstimate& l, const Device& d) {
        nlohmann::json out = nlohmann::json::array();
        if (!l.coverage) return out;
        if (!l.coverage->device) {
            out.push_back({{"feature", "device"}, {"value", std::string(d.id)}});
            if (!l.coverage->same_chip.empty()) out.back()["same_chip_as"] = std::string(l.coverage->same_chip);
        }
        if (!l.coverage->precision_trained())
            out.push_back({{"feature", "precision"},
                           {"value", std::string(to_string(l.coverage->precision))},
                           {"learned", std::string(to_string(l.coverage->learned_precision))}});
        for (const auto& f : l.coverage->outside_features())
            out.push_back({{"feature", std::string(f.name)}, {"value", f.value}, {"min", f.min}, {"max", f.max}});
        return out;
    };
    auto achieved = [](const LayerEstimate& l) {
        return l.us > 0 ? static_cast<double>(l.cost.flops) / (l.us * 1e-6) : 0.0;
    };
    const bool sweep = estimates.size() > 1;
    const bool compared = devs.size() > 1;
    // each estimate against the fastest of the devices at its batch (1 with one device)
    auto relative = [&](std::size_t d, std::size_t i) {
        double fastest = by_device[d][i].total_us;
        for (const auto& other : by_device) fastest = std::min(fastest, other[i].total_us);
        return fastest > 0 ? by_device[d][i].total_us / fastest : 1.0;
    };

    if (format == "json") {
        auto one = [&](const NetworkEstimate& x, std::size_t d) {
            nlohmann::json j;
            j["network"] = x.network;
            j["device"] = std::string(devs[d].id);
            j["device_name"] = x.device;
            j["pass"] = std::string(to_string(pass));
            j["dtype"] = std::string(to_string(t));
            j["batch"] = x.batch;
            j["method"] = std::string(to_string(x.method));
            j["note"] = notes[d];
            j["data"] = coverage_summary(x);
            j["layers"] = nlohmann::json::array();
            for (const auto& l : x.layers) {
                j["layers"].push_back({{"name", l.name},
                                       {"kind", std::string(to_string(l.kind))},
                                       {"method", std::string(to_string(l.method))},
                                       {"time_us", l.us},
                                       {"alone_us", l.alone_us},
                                       {"share", x.total_us > 0 ? l.us / x.total_us : 0.0},
                                       {"roofline_us", l.roofline_us},
                                       {"paleo_us", l.paleo_us},
                                       {"flops", l.cost.flops},
                                       {"bytes", l.cost.bytes},
                                       {"achieved_flops_per_s", achieved(l)},
                                       {"overhead_us", l.overhead_us}});
                if (pass == Pass::training) j["layers"].back()["backward"] = std::string(to_string(l.backward));
                if (l.coverage) {
                    j["layers"].back()["device_in_training"] = l.coverage->device;
                    j["layers"].back()["shape_in_training"] = l.coverage->shape;
                }
                j["layers"].back()["extrapolation"] = extrapolation_json(l, devs[d]);
            }
            j["total_us"] = x.total_us;
            j["alone_total_us"] = x.alone_total_us;
            j["roofline_total_us"] = x.roofline_total_us;
            j["paleo_total_us"] = x.paleo_total_us;
            j["overhead_total_us"] = x.overhead_total_us;
            j["throughput_per_s"] = x.throughput();
            j["flops"] = x.total_cost.flops;
            return j;
        };
        if (!sweep && !compared) {
            std::cout << one(e, 0).dump(2) << '\n';
        } else {
            nlohmann::json arr = nlohmann::json::array();
            for (std::size_t i = 0; i < batches.size(); ++i)
                for (std::size_t d = 0; d < devs.size(); ++d) {
                    arr.push_back(one(by_device[d][i], d));
                    if (compared) arr.back()["relative_to_fastest"] = relative(d, i);
                }
            std::cout << arr.dump(2) << '\n';
        }
        return EXIT_SUCCESS;
    }
    if (format == "csv") {
        if (sweep || compared) {
            std::cout << "network,device,pass,dtype,batch,method,total_us,throughput_per_s,roofline_total_us,paleo_total_us,flops,"
                         "overhead_total_us,alone_total_us,relative_to_fastest,data\n";
            for (std::size_t i = 0; i < batches.size(); ++i)
                for (std::size_t d = 0; d < devs.size(); ++d) {
                    const NetworkEstimate& x = by_device[d][i];
                    std::cout << csv_cell(x.network) << ',' << devs[d].id << ',' << to_string(pass) << ',' << to_string(t)
                              << ',' << x.batch << ',' << to_string(x.method) << ',' << x.total_us << ',' << x.throughput()
                              << ',' << x.roofline_total_us << ',' << x.paleo_total_us << ',' << x.total_cost.flops << ','
                              << x.overhead_total_us << ',' << x.alone_total_us << ',' << relative(d, i) << ','
                              << csv_cell(coverage_summary(x)) << '\n';
                }
        } else {
            std::cout << "layer,kind,method,time_us,share,roofline_us,paleo_us,flops,bytes,achieved_flops_per_s,overhead_us,"
                         "data,extrapolation,alone_us\n";
            for (const auto& l : e.layers)
                std::cout << csv_cell(l.name.str()) << ',' << to_string(l.kind) << ',' << to_string(l.method) << ',' << l.us << ','
                          << (e.total_us > 0 ? l.us / e.total_us : 0.0) << ',' << l.roofline_us << ',' << l.paleo_us
                          << ',' << l.cost.flops << ',' << l.cost.bytes << ',' << achieved(l) << ',' << l.overhead_us
                          << ',' << data(l) << ',' << csv_cell(extrapolation_text(l)) << ',' << l.alone_us << '\n';
        }
        return EXIT_SUCCESS;
    }
    if (compared) {
        Table tab({"device", "batch", "time ms", "samples/s", "vs fastest", "roofline ms", "PALEO ms", "data"});
        for (std::size_t i = 0; i < batches.size(); ++i)
            for (std::size_t d = 0; d < devs.size(); ++d) {
                const NetworkEstimate& x = by_device[d][i];
                tab.row({std::string(devs[d].id), std::to_string(x.batch), cli::fixed(x.total_us / 1000.0, 3),
                         cli::fixed(x.throughput(), 1), cli::fixed(relative(d, i), 2) + "x",
                         cli::fixed(x.roofline_total_us / 1000.0, 3), cli::fixed(x.paleo_total_us / 1000.0, 3),
                         coverage_summary(x)});
            }
        tab.print(std::cout);
        std::cout << "\n" << e.network << ", " << to_string(pass) << ", " << to_string(t) << ", on " << devs.size()
                  << " devices (vs fastest: the time over the fastest one's at that batch)\n";
        for (std::size_t d = 0; d < devs.size(); ++d)
            std::cout << "  " << devs[d].id << " (" << devs[d].name << "): " << to_string(by_device[d].front().method)
                      << "  (" << notes[d] << ")\n";
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
    Table tab({"layer", "kind", "output", "FLOPs", "by", "time us", "alone us", "share %", "GFLOP/s", "roofline us",
               "PALEO us", "data"});
    for (const auto& l : e.layers)
        tab.row({l.name.str(), std::string(to_string(l.kind)), shape_str(l.output), cli::si(static_cast<double>(l.cost.flops)),
                 std::string(to_string(l.method)), cli::fixed(l.us, 2), cli::fixed(l.alone_us, 2),
                 cli::fixed(e.total_us > 0 ? 100.0 * l.us / e.total_us : 0.0, 2),
                 cli::fixed(achieved(l) / 1e9, 1), cli::fixed(l.roofline_us, 2), cli::fixed(l.paleo_us, 2), data_column(l)});
    tab.print(std::cout);
    std::cout << "\n"
              << e.network << " on " << e.device << ", " << to_string(pass) << ", batch " << e.batch << ", "
              << to_string(t) << "\n"
              << "  method:    " << to_string(e.method) << "  (" << note << ")\n"
              << "  total:     " << cli::fixed(e.total_us / 1000.0, 3) << " ms  ("
              << cli::fixed(e.throughput(), 1) << " samples/s)\n";
    if (e.alone_total_us != e.total_us)
        std::cout << "  alone:     " << cli::fixed(e.alone_total_us / 1000.0, 3)
                  << " ms: the layers' kernels each timed alone, as the operator data were (the total has them in a "
                     "stream, each kernel's fixed cost overlapped)\n";
    std::cout
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

}  // namespace

const Command& predict_command() {
    static const Command c{
        .name = "predict",
        .summary = "predicts how long a network takes on a device, layer by layer, or over batch sizes; "
                   "or on several devices side by side",
        .positionals = {{.name = "NAME|FILE.json", .help = network_argument_help()}},
        .options = {{.name = "device", .value = "DEVICE[,DEVICE...]",
                     .help = "the device, a name or alias from `perfcast devices`; several, separated by commas, "
                             "are compared side by side",
                     .required = true},
                    opt::batches(),
                    opt::seq(),
                    opt::pass(),
                    opt::dtype(),
                    with_help(opt::model(), "the learned model; PALEO's estimate instead when the default one is missing"),
                    word_option({.name = "method", .value = "mlp|paleo|roofline",
                                 .help = "the learned model, or an analytical estimate; without it, mlp unless the default "
                                         "model is missing"}),
                    number_option({.name = "ppp-comp", .value = "X", .help = "PALEO: the share of the peak FLOP rate reached",
                                   .fallback = "1"},
                                  {0, 1, true, false}),
                    number_option({.name = "ppp-comm", .value = "X", .help = "PALEO: the share of the peak bandwidth reached",
                                   .fallback = "1"},
                                  {0, 1, true, false}),
                    opt::optimizer(),
                    number_option({.name = "kernel-floor-us", .value = "US",
                                   .help = "the fixed cost of one kernel on the machine that runs it (its cheapest "
                                           "call: `perfcast devices --floor-from`); without it, the device "
                                           "entry's, else the model's"},
                                  {0, 1e6, true, false}),
                    word_option({.name = "format", .value = "table|json|csv", .help = "output format", .fallback = "table"}),
                    opt::devices()},
        .notes = "Without --model, the default model: for the passes and precisions it was trained on, the learned\n"
                 "model for the layer kinds it has one for, its fitted memory-bound model for the others, and the\n"
                 "roofline for whatever it was not trained on; each layer says which. A training step includes the\n"
                 "optimizer's update (--optimizer) as one more entry. A model calibrated on the device (perfcast\n"
                 "calibrate) adds the framework's cost of calling each layer's forward in a network (in both passes),\n"
                 "and says how much. With several devices, one row per device and batch: the time, the throughput,\n"
                 "the time over the fastest device's at that batch, and where the learned layers lie against the\n"
                 "training data (trained on the device, the same chip as a training device, or not in the data).\n",
        .run = run,
    };
    return c;
}

}  // namespace perfcast::cli
