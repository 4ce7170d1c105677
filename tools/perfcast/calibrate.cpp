// perfcast calibrate: fits a model's call overhead per layer kind (the framework's cost of calling a
// layer inside a network) to operations timed in place and back to back.
#include <cstdlib>   // EXIT_SUCCESS
#include <iostream>  // cout
#include <string>    // string
#include <vector>    // vector

#include <perfcast/lab/layer_validation.hpp>  // load_layer_timings, fit_call_overhead
#include <perfcast/runtime/predictor.hpp>     // Predictor

#include "commands.hpp"
#include "common.hpp"  // opt::, load_devices, format_arg

namespace perfcast::cli {
namespace {

/** @brief calibrate: the model's call overhead per kind, fitted to layers timed in place and back to back. */
int run(const Args& a) {
    std::vector<std::string> files = a.all("layers");
    for (const std::string& f : a.positional()) files.push_back(f);
    if (files.empty()) throw error("--layers", "required: layer timings with isolated_ms (tools/measure_torch.py --layers)");
    DeviceRegistry reg;
    load_devices(reg, a);
    const Device& dev = reg.get(a.get("device"));
    Predictor p = Predictor::load(a.get("model"));
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
    p.save(a.get("out"));
    if (format_arg(a) == "json") {
        nlohmann::json j;
        j["model"] = a.get("out");
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
    std::cout << "wrote " << a.get("out") << ": layers of these kinds on " << dev.id
              << " get the call overhead of their forward in both passes, us per call + us per MB x min(bytes moved, "
              << dev.l2_mb
              << " MiB of last-level cache) (conv2d and dense take none: their sweeps read weights cold); errors are\n"
                 "mean |x - in place| / in place of the operations, x the back-to-back time alone or with the overhead\n";
    return EXIT_SUCCESS;
}

}  // namespace

const Command& calibrate_command() {
    static const Command c{
        .name = "calibrate",
        .summary = "fits a model's call overhead per layer kind to operations timed in place and back to back",
        .positionals = {{.name = "LAYERS.csv", .help = "more layer timings, as with --layers", .repeat = true, .optional = true}},
        .options = {with_help(opt::model(), "the model to calibrate"),
                    {.name = "layers", .value = "LAYERS.csv",
                     .help = "layer timings with isolated_ms (tools/measure_torch.py --layers on a CPU)", .repeat = true},
                    {.name = "device", .value = "DEVICE",
                     .help = "the device the timings were taken on (see `perfcast devices`)", .required = true},
                    {.name = "out", .value = "MODEL.json", .help = "the model file to write", .required = true},
                    opt::format(),
                    opt::devices()},
        .notes = "The calibrated model adds, on that device, the call overhead of each layer's forward in both passes.\n",
        .run = run,
    };
    return c;
}

}  // namespace perfcast::cli
