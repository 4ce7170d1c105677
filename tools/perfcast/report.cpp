// perfcast report: one HTML page with the model's accuracy, the studies and the validations.
#include <cstdlib>   // EXIT_SUCCESS
#include <iostream>  // cerr
#include <optional>  // optional
#include <string>    // string

#include <perfcast/lab/layer_validation.hpp>  // load_layer_timings
#include <perfcast/lab/report.hpp>            // write_report, load_validation
#include <perfcast/runtime/predictor.hpp>     // Predictor

#include "commands.hpp"
#include "common.hpp"  // opt::, load_devices

namespace perfcast::cli {
namespace {

/** @brief Shell-quotes one argument for the report's command-line line. */
std::string shell_word(const std::string& w) {
    if (!w.empty() && w.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./=:,+-@%") == std::string::npos)
        return w;
    std::string q = "'";
    for (char c : w) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

int run(const Args& a) {
    const auto files = a.all("data");
    DeviceRegistry reg;
    load_devices(reg, a);
    const Predictor p = Predictor::load(a.get("model"));
    const Dataset ds = load_datasets(files, reg);
    std::optional<ValidationData> validation;
    if (a.has("validation")) validation = load_validation(a.get("validation"));
    std::optional<LayerTimingData> layers;
    if (a.has("layers")) layers = load_layer_timings(a.get("layers"));
    ReportOptions o;
    o.model_path = a.get("model");
    o.data_files = files;
    o.quick = a.flag("quick");
    o.validation_device = a.get("device");
    o.neusight_labels = a.get("neusight-labels");
    if (!o.validation_device.empty()) (void)reg.get(o.validation_device);
    if (a.has("fractions")) o.fractions = a.numbers("fractions");
    const auto& argv = a.command_line();
    for (std::size_t i = 0; i < argv.size(); ++i) o.command_line += (i ? " " : "") + shell_word(argv[i]);
    o.progress = [](const std::string& what) { std::cerr << "perfcast: report: training " << what << "\n"; };
    write_report(a.get("out"), p, ds, reg, o, validation ? &*validation : nullptr, layers ? &*layers : nullptr);
    std::cerr << "perfcast: wrote " << a.get("out") << "\n";
    return EXIT_SUCCESS;
}

}  // namespace

const Command& report_command() {
    static const Command c{
        .name = "report",
        .summary = "writes an HTML report: the model's accuracy, the studies and the validations",
        .options = {opt::data(),
                    required(with_help(opt::model(), "the model to report on")),
                    {.name = "out", .value = "REPORT.html", .help = "the HTML file to write", .required = true},
                    {.name = "validation", .value = "NETWORKS.csv",
                     .help = "whole networks timed in a framework (tools/measure_torch.py)"},
                    {.name = "layers", .value = "LAYERS.csv",
                     .help = "each operation timed inside its network (tools/measure_torch.py --layers)"},
                    {.name = "neusight-labels", .value = "DIR",
                     .help = "NeuSight's labels folder: a section on whole transformer models (perfcast validate "
                             "neusight-models)"},
                    opt::timings_device(),
                    {.name = "quick", .help = "fewer learning-curve sizes and epochs in the studies"},
                    numbers_option({.name = "fractions", .value = "X,X,...",
                                    .help = "the learning curve's shares of the training rows (default: the report's)"},
                                   {0, 1, true, false}),
                    opt::devices()},
        .run = run,
    };
    return c;
}

}  // namespace perfcast::cli
