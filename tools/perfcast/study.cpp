// perfcast study: how the learned model's error depends on the devices, the amount of data, the
// features and the seed (each variant trained afresh).
#include <algorithm>  // minmax_element
#include <cstdlib>    // EXIT_SUCCESS
#include <iostream>   // cout, cerr
#include <map>        // map
#include <optional>   // optional
#include <string>     // string
#include <utility>    // pair
#include <vector>     // vector

#include <perfcast/lab/neusight_models.hpp>  // scan_labels, validate_models: the seeds' whole models
#include <perfcast/lab/study.hpp>            // leave_one_device_out, learning_curve, feature_ablation, seed_study

#include "commands.hpp"
#include "common.hpp"    // opt::, load_devices, format_arg
#include "training.hpp"  // training_options, train_options, only_devices

namespace perfcast::cli {
namespace {

/** @brief Per study variant (its label), each GPU and pass of NeuSight's whole models: the end-to-end summary. */
using EndToEnd = std::map<std::string, std::vector<ModelGpuSummary>>;

/** @brief A value per variant, as "mean (min-max)" over them, percent. */
std::string spread(const std::vector<double>& v) {
    if (v.empty()) return "-";
    double sum = 0;
    for (double x : v) sum += x;
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    return cli::fixed(100.0 * sum / static_cast<double>(v.size()), 1) + " (" + cli::fixed(100.0 * *lo, 1) + "-" +
           cli::fixed(100.0 * *hi, 1) + ")";
}

/** @brief The seed study's summary: each kind's held-out error and each GPU's end-to-end error over the seeds. */
void print_seed_summary(const std::vector<StudyResult>& results, const EndToEnd& e2e) {
    std::map<std::string, std::vector<double>> by_kind;  // "kind pass dtype": one mean per seed
    for (const StudyResult& r : results)
        for (const ErrorStats& s : r.ours)
            if (s.device == "*") by_kind[s.kind + " " + s.pass + " " + s.dtype].push_back(s.mean_rel_error);
    std::cout << "\nover the seeds: mean |error| of the held-out rows, mean (lowest-highest)\n";
    Table t({"kind", "seeds", "mean %"});
    for (const auto& [k, v] : by_kind) t.row({k, std::to_string(v.size()), spread(v)});
    t.print(std::cout);
    if (e2e.empty()) return;
    std::map<std::pair<std::string, std::string>, std::pair<std::vector<double>, std::vector<double>>> by_gpu;
    for (const auto& [label, gpus] : e2e)
        for (const ModelGpuSummary& g : gpus) {
            auto& [traced, zoo] = by_gpu[{g.gpu, std::string(to_string(g.pass))}];
            if (g.configurations > 0) traced.push_back(g.mean_abs_error);
            if (g.zoo_configurations > 0) zoo.push_back(g.zoo_mean_abs_error);
        }
    std::cout << "\nover the seeds: NeuSight's whole models, mean |error| end to end, mean (lowest-highest)\n";
    Table m({"gpu", "pass", "seeds", "trace x layers %", "zoo %"});
    for (const auto& [key, v] : by_gpu)
        m.row({key.first, key.second, std::to_string(v.first.size()), spread(v.first), spread(v.second)});
    m.print(std::cout);
}

void print_study(const std::vector<StudyResult>& results, const Args& a, const EndToEnd& e2e = {}) {
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
            if (const auto it = e2e.find(r.label); it != e2e.end()) {
                o["end_to_end"] = nlohmann::json::array();
                for (const ModelGpuSummary& g : it->second) o["end_to_end"].push_back(gpu_summary_json(g));
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
    if (a.positional()[0] == "seeds") print_seed_summary(results, e2e);
}

int run(const Args& a) {
    const auto& pos = a.positional();
    for (const char* k : {"seeds", "neusight-labels"})
        if (pos[0] != "seeds" && a.has(k)) throw error(std::string("--") + k, "only for `perfcast study seeds`");
    const auto files = a.all("data");
    DeviceRegistry reg;
    load_devices(reg, a);
    TrainOptions o = train_options(a);  // the options refused before the data is read
    const Dataset ds = only_devices(load_datasets(files, reg), a, reg);
    o.exclude_sources = excluded_sources(a, ds);
    const StudyProgress progress = [](const std::string& label) { std::cerr << "perfcast: training " << label << "\n"; };
    std::vector<StudyResult> results;
    EndToEnd e2e;
    if (pos[0] == "leave-one-out") {
        results = leave_one_device_out(ds, reg, o, progress);
    } else if (pos[0] == "ablation") {
        results = feature_ablation(ds, reg, o, progress);
    } else if (pos[0] == "seeds") {
        std::vector<std::uint64_t> seeds;
        for (const std::int64_t s : a.integers("seeds")) seeds.push_back(static_cast<std::uint64_t>(s));
        std::optional<LabelScan> labels;  // scanned once, before any training: a wrong folder fails at once
        if (a.has("neusight-labels")) labels = scan_labels(a.get("neusight-labels"), reg);
        results = seed_study(ds, reg, o, seeds, progress, [&](const std::string& label, const Predictor& p) {
            if (labels) e2e[label] = validate_models(*labels, p, zoo_model_source()).gpus;
        });
    } else {
        results = learning_curve(ds, reg, o, a.numbers("fractions"), progress);
    }
    print_study(results, a, e2e);
    return EXIT_SUCCESS;
}

std::vector<Option> options() {
    std::vector<Option> o{opt::data(),
                          numbers_option({.name = "fractions", .value = "X,X,...",
                                          .help = "learning-curve: the shares of the training rows",
                                          .fallback = "0.05,0.1,0.25,0.5,1"},
                                         {0, 1, true, false}),
                          integers_option({.name = "seeds", .value = "N,N,...",
                                           .help = "seeds: the seeds to train the recipe from",
                                           .fallback = "42,43,44,45"},
                                          0, max_seed),
                          {.name = "neusight-labels", .value = "DIR",
                           .help = "seeds: also each model's end-to-end error on NeuSight's whole models "
                                   "(perfcast validate neusight-models)"},
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
        .positionals = {{.name = "leave-one-out|learning-curve|ablation|seeds",
                         .help = "train without each device in turn and test on it; on shares of the rows; on each "
                                 "feature set; from each seed",
                         .word = true}},
        .options = options(),
        .run = run,
    };
    return c;
}

}  // namespace perfcast::cli
