// perfcast train: a learned model from measured datasets.
#include <atomic>      // atomic
#include <csignal>     // signal, SIGINT, SIGTERM
#include <cstdlib>     // EXIT_SUCCESS
#include <filesystem>  // path
#include <iostream>    // cerr
#include <string>      // string

#include <perfcast/runtime/predictor.hpp>  // Predictor, train_predictor

#include "commands.hpp"
#include "common.hpp"    // opt::, load_devices
#include "training.hpp"  // training_options, train_options, only_devices

namespace perfcast::cli {
namespace {

// Ctrl-C stops training at the end of the epoch and keeps the best weights so far.
std::atomic<bool> g_interrupted{false};

extern "C" void on_signal(int) { g_interrupted = true; }

int run(const Args& a) {
    // the model is written after minutes of training: a folder that is not there is refused first
    const std::filesystem::path out(a.get("out"));
    if (const auto folder = out.parent_path(); !folder.empty() && !std::filesystem::is_directory(folder))
        throw error(source_location{out.string(), 0, 0}, "--out", "no such folder: " + folder.string());
    const auto files = a.all("data");
    DeviceRegistry reg;
    load_devices(reg, a);
    TrainOptions o = train_options(a);  // the options refused before the data is read
    const Dataset ds = only_devices(load_datasets(files, reg), a, reg);
    o.exclude_sources = excluded_sources(a, ds);
    o.name = a.has("name") ? a.get("name") : std::filesystem::path(a.get("out")).stem().string();
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::cerr << "perfcast: training on " << ds.measured_count() << " measured rows (" << o.holdout * 100
              << "% held out for evaluation), features " << to_string(o.features) << "\n";
    for (const std::string& prefix : o.exclude_sources)
        std::cerr << "perfcast: leaving out the rows whose source begins with " << quoted(prefix) << "\n";
    Predictor p = train_predictor(ds, reg, o, [](std::string_view model, std::size_t epoch, double tl, double vl) {
        if (epoch == 1 || epoch % 10 == 0)
            std::cerr << "  " << model << " epoch " << epoch << "  train " << cli::fixed(tl, 5) << "  validation "
                      << cli::fixed(vl, 5) << "\n";
        return !g_interrupted.load();
    });
    p.set_data_files(files);
    p.save(a.get("out"));
    std::cerr << "perfcast: " << (g_interrupted ? "interrupted; kept the best weights so far and " : "")
              << "wrote " << a.get("out") << " (" << cli::fixed(p.info().seconds, 1) << " s)\n";
    return g_interrupted ? 130 : EXIT_SUCCESS;
}

std::vector<Option> options() {
    std::vector<Option> o{opt::data(),
                          {.name = "out", .value = "MODEL.json", .help = "the model file to write", .required = true},
                          {.name = "name", .value = "NAME", .help = "the model's name (default: the --out file's name)"}};
    for (Option& t : training_options()) o.push_back(std::move(t));
    o.push_back(opt::devices());
    return o;
}

}  // namespace

const Command& train_command() {
    static const Command c{
        .name = "train",
        .summary = "trains a learned model (MLPs per layer kind) on measured datasets",
        .options = options(),
        .notes = "Ctrl-C stops at the end of the epoch and writes the best weights so far (exit 130).\n",
        .run = run,
    };
    return c;
}

}  // namespace perfcast::cli
