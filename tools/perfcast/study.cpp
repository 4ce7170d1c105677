// perfcast study: how the learned model's error depends on the devices, the amount of data and the
// features (each variant trained afresh).
#include <cstdlib>   // EXIT_SUCCESS
#include <iostream>  // cout, cerr
#include <string>    // string
#include <vector>    // vector

#include <perfcast/lab/study.hpp>  // leave_one_device_out, learning_curve, feature_ablation

#include "commands.hpp"
#include "common.hpp"    // opt::, load_devices, format_arg
#include "training.hpp"  // training_options, train_options, only_devices

namespace perfcast::cli {
namespace {

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

int run(const Args& a) {
    const auto& pos = a.positional();
    const auto files = a.all("data");
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
        results = learning_curve(ds, reg, o, a.numbers("fractions"), progress);
    }
    print_study(results, a);
    return EXIT_SUCCESS;
}

std::vector<Option> options() {
    std::vector<Option> o{opt::data(),
                          numbers_option({.name = "fractions", .value = "X,X,...",
                                          .help = "learning-curve: the shares of the training rows",
                                          .fallback = "0.05,0.1,0.25,0.5,1"},
                                         {0, 1, true, false}),
                          opt::format(),
                          {.name = "per-device", .help = "a table row per device too, not only over all devices"}};
    for (Option& t : training_options()) o.push_back(std::move(t));
    o.push_back(opt::devices());
    return o;
}

}  // namespace

const Command& study_command() {
    static const Command c{
        .name = "study",
        .summary = "trains variants of the model to see what its error depends on",
        .positionals = {{.name = "leave-one-out|learning-curve|ablation",
                         .help = "train without each device in turn and test on it; on shares of the rows; on each feature set",
                         .word = true}},
        .options = options(),
        .run = run,
    };
    return c;
}

}  // namespace perfcast::cli
