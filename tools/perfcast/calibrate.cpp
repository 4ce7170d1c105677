// perfcast calibrate: fits a model to one device as networks run on it, from operations timed in place:
// its call overhead per layer kind (the framework's cost of calling a layer inside a network, from
// operations also timed back to back) and, with --level, the device's level per kind (its kernels in
// place over the model's).
#include <algorithm>  // find
#include <cstdlib>    // EXIT_SUCCESS
#include <iostream>   // cout
#include <string>     // string
#include <vector>     // vector

#include <perfcast/lab/layer_validation.hpp>  // load_layer_timings, fit_call_overhead, fit_levels
#include <perfcast/lab/neusight_models.hpp>   // scan_labels, trace_layer_timings
#include <perfcast/runtime/predictor.hpp>     // Predictor

#include "commands.hpp"
#include "common.hpp"  // opt::, load_devices, format_arg

namespace perfcast::cli {
namespace {

/** @brief --level: the kinds whose level to fit. */
std::vector<LayerKind> level_kinds(const Args& a) {
    std::vector<LayerKind> kinds;
    for (const std::string& k : split_list(a.get("level"))) {
        const auto kk = parse_layer_kind(k);
        if (!kk) throw error("--level", "expected layer kinds among " + kind_names(all_layer_kinds) + " (got " + quoted(k) + ")");
        if (std::find(kinds.begin(), kinds.end(), *kk) == kinds.end()) kinds.push_back(*kk);
    }
    if (a.has("level") && kinds.empty()) throw error("--level", "expected at least one layer kind");
    return kinds;
}

/** @brief calibrate: the model's call overhead and levels per kind on a device, fitted to layers timed in place. */
int run(const Args& a) {
    std::vector<std::string> files = a.all("layers");
    for (const std::string& f : a.positional()) files.push_back(f);
    const std::vector<LayerKind> kinds = level_kinds(a);
    if (files.empty() && !a.has("neusight-labels"))
        throw error("--layers", "required: layer timings (tools/measure_torch.py --layers), or --neusight-labels DIR");
    if (a.has("neusight-labels") && kinds.empty())
        throw error("--neusight-labels", "NeuSight's traces time each node once, not back to back: they fit levels only (--level KIND,...)");
    DeviceRegistry reg;
    load_devices(reg, a);
    const Device& dev = reg.get(a.get("device"));
    Predictor p = Predictor::load(a.get("model"));
    std::vector<LayerTimingData> data;
    for (const std::string& f : files) data.push_back(load_layer_timings(f));
    if (a.has("neusight-labels")) {
        const std::vector<std::string> skip = a.all("skip-model");
        const LabelScan scan = scan_labels(a.get("neusight-labels"), reg);
        for (const LabelEntry& e : scan.entries) {
            if (!e.device || e.device->id != dev.id || !e.trace) continue;
            if (std::find(skip.begin(), skip.end(), e.label.model) != skip.end()) continue;
            data.push_back(trace_layer_timings(e));
            files.push_back(e.trace->file);
        }
        if (files.empty())
            throw error("--neusight-labels", "no trace of " + std::string(dev.id) + " in " + a.get("neusight-labels") +
                                                 (skip.empty() ? std::string() : " but the skipped models'"));
    }
    std::vector<const LayerTimingData*> ptrs;
    for (const LayerTimingData& d : data) ptrs.push_back(&d);

    // the call overhead: fitted to these files when they have operations timed back to back, else the model's
    // own on this device (a level is fitted over it)
    const CallOverheadFit fit = fit_call_overhead(ptrs, dev);
    CallOverhead calibration;
    std::vector<std::string> sources = files;
    if (fit.overhead.fitted()) {
        calibration = fit.overhead;
    } else if (!kinds.empty() && p.call_overhead_device() == dev.id) {
        calibration = p.call_overhead();
        calibration.level = {};
        calibration.level_rows = {};
        sources = p.call_overhead_files();
        sources.insert(sources.end(), files.begin(), files.end());
    } else if (kinds.empty()) {
        throw error(source_location{files.front(), 0, 0}, "isolated_ms",
                    "no kind has " + std::to_string(CallOverhead::min_rows) +
                        " inference operations of one layer with an isolated time (measure_torch.py --layers on a CPU); "
                        "--level KIND,... fits the device's level instead");
    }
    p.set_call_overhead(calibration, std::string(dev.id), sources);
    const std::vector<LevelKindFit> levels = fit_levels(ptrs, p, dev, kinds);
    for (const LevelKindFit& l : levels)
        if (l.fitted) {
            calibration.level[static_cast<std::size_t>(l.kind)] = l.level;
            calibration.level_rows[static_cast<std::size_t>(l.kind)] = l.rows;
        }
    if (!calibration.fitted())
        throw error(source_location{files.front(), 0, 0}, "time_ms",
                    "no kind asked has " + std::to_string(CallOverhead::min_rows) + " inference operations with a layer of that kind");
    p.set_call_overhead(calibration, std::string(dev.id), sources);
    p.save(a.get("out"));

    if (format_arg(a) == "json") {
        nlohmann::json j;
        j["model"] = a.get("out");
        j["device"] = std::string(dev.id);
        j["rows"] = fit.rows;
        j["files"] = files;
        j["kinds"] = nlohmann::json::array();
        for (const CallOverheadKindFit& k : fit.kinds)
            j["kinds"].push_back({{"kind", std::string(to_string(k.kind))}, {"rows", k.rows}, {"in_place_ms", k.in_place_ms},
                                  {"isolated_ms", k.isolated_ms}, {"us", k.us}, {"us_per_mb", k.us_per_mb},
                                  {"mean_abs_error", k.mean_abs_error}, {"mean_abs_error_isolated", k.mean_abs_error_isolated},
                                  {"fitted", fit.overhead.fitted(k.kind)}});
        j["levels"] = nlohmann::json::array();
        for (const LevelKindFit& l : levels)
            j["levels"].push_back({{"kind", std::string(to_string(l.kind))}, {"rows", l.rows}, {"in_place_ms", l.in_place_ms},
                                   {"predicted_ms", l.predicted_ms}, {"level", l.level}, {"fitted", l.fitted}});
        std::cout << j.dump(2) << '\n';
        return EXIT_SUCCESS;
    }
    if (!fit.kinds.empty()) {
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
        std::cout << "layers of these kinds on " << dev.id
                  << " get the call overhead of their forward in both passes, us per call + us per MB x min(bytes moved, "
                  << dev.l2_mb
                  << " MiB of last-level cache) (conv2d and dense take none: their sweeps read weights cold); errors are\n"
                     "mean |x - in place| / in place of the operations, x the back-to-back time alone or with the overhead\n";
    }
    if (!levels.empty()) {
        Table t({"kind", "operations", "in place ms", "model ms", "level"});
        for (const LevelKindFit& l : levels)
            t.row({std::string(to_string(l.kind)), std::to_string(l.rows), cli::fixed(l.in_place_ms, 2),
                   cli::fixed(l.predicted_ms, 2), l.fitted ? cli::fixed(l.level, 3) : std::string("- (too few)")});
        t.print(std::cout);
        std::cout << "level: the operations' time in place (less the call overhead and the model's time of their other layers) "
                     "over the model's time of their layers of the kind, summed, each counted as often as the network runs it;\n"
                     "every kernel of a layer of the kind on "
                  << dev.id << " is multiplied by it, never below its physical bound\n";
    }
    std::cout << "wrote " << a.get("out") << '\n';
    return EXIT_SUCCESS;
}

}  // namespace

const Command& calibrate_command() {
    static const Command c{
        .name = "calibrate",
        .summary = "fits a model's call overhead and levels per layer kind to operations timed in place on a device",
        .positionals = {{.name = "LAYERS.csv", .help = "more layer timings, as with --layers", .repeat = true, .optional = true}},
        .options = {with_help(opt::model(), "the model to calibrate"),
                    {.name = "layers", .value = "LAYERS.csv",
                     .help = "layer timings in place (tools/measure_torch.py --layers; isolated_ms, on a CPU, fits the call overhead)",
                     .repeat = true},
                    {.name = "neusight-labels", .value = "DIR",
                     .help = "also the kernel nodes of NeuSight's traces of the device in this labels folder (levels only)"},
                    {.name = "skip-model", .value = "NAME",
                     .help = "leave this model's traces out (e.g. the one to validate against)", .repeat = true},
                    {.name = "level", .value = "KIND,...",
                     .help = "fit the device's level of these layer kinds (e.g. conv2d,dense,bmm): their time in place over the model's"},
                    {.name = "device", .value = "DEVICE",
                     .help = "the device the timings were taken on (see `perfcast devices`)", .required = true},
                    {.name = "out", .value = "MODEL.json", .help = "the model file to write", .required = true},
                    opt::format(),
                    opt::devices()},
        .notes = "The calibrated model adds, on that device, the call overhead of each layer's forward in both passes, and\n"
                 "multiplies each kernel of a kind with a level by it (never below the kernel's physical bound).\n",
        .run = run,
    };
    return c;
}

}  // namespace perfcast::cli
