// perfcast validate: the model's predictions against timings taken in a framework, of whole
// networks (--validation) or of each operation inside its network (--layers).
#include <algorithm>  // sort
#include <cmath>      // fabs
#include <cstdlib>    // EXIT_SUCCESS
#include <fstream>    // ofstream
#include <iostream>   // cout
#include <map>        // map
#include <set>        // set
#include <string>     // string
#include <utility>    // pair
#include <vector>     // vector

#include <perfcast/lab/layer_validation.hpp>  // load_layer_timings, compare_layers, summarize_layers
#include <perfcast/lab/report.hpp>            // load_validation, combine_runs, compare_networks
#include <perfcast/runtime/predictor.hpp>     // Predictor

#include "commands.hpp"
#include "common.hpp"  // opt::, load_devices, format_arg, optimizer_arg

namespace perfcast::cli {
namespace {

/** @brief validate --layers: operations timed inside networks, beside the model's prediction of each. */
int run_layers(const Args& a) {
    if (a.has("validation") || a.has("combine"))
        throw error("--layers", "give --validation (whole networks) or --layers (their layers), not both");
    DeviceRegistry reg;
    load_devices(reg, a);
    const Predictor p = Predictor::load(a.get("model"));
    const LayerTimingData v = load_layer_timings(a.get("layers"));
    if (v.rows.empty()) throw error(source_location{v.file, 0, 0}, "time_ms", "no measured row");
    const std::vector<LayerComparison> rows = compare_layers(p, v, reg, a.get("device"));
    const LayerValidationSummary s = summarize_layers(rows);
    if (a.has("rows")) {
        const std::string path = a.get("rows");
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

int run(const Args& a) {
    if (a.has("layers")) return run_layers(a);
    if (!a.has("validation"))
        throw error("--validation", "required: whole-network timings (tools/measure_torch.py's CSV), or --layers");
    DeviceRegistry reg;
    load_devices(reg, a);
    const Predictor p = Predictor::load(a.get("model"));
    const std::string how = a.get("combine");
    const auto combine = parse_run_combine(how);
    if (!combine) throw error("--combine", "expected each, min or median (got \"" + how + "\")");
    std::vector<ValidationData> runs;
    for (const std::string& f : a.all("validation")) runs.push_back(load_validation(f));
    const ValidationData v = combine_runs(runs, *combine);
    bool combined = false;
    for (const ValidationRow& r : v.rows) combined = combined || r.runs > 1;
    EstimateOptions eo;
    eo.optimizer = optimizer_arg(a);
    std::vector<Network> networks;  // --network FILE.json: networks beyond the zoo, by their names
    for (const std::string& f : a.all("network")) networks.push_back(load_network(f));
    std::set<std::string> skipped;
    const std::vector<NetworkComparison> rows = compare_networks(p, v, reg, a.get("device"), eo, &skipped, networks);
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

}  // namespace

const Command& validate_command() {
    static const Command c{
        .name = "validate",
        .summary = "compares predictions with timings taken in a framework, of whole networks or of each operation",
        .options = {{.name = "validation", .value = "NETWORKS.csv",
                     .help = "whole networks timed in a framework (tools/measure_torch.py); several files are runs",
                     .repeat = true},
                    {.name = "layers", .value = "LAYERS.csv",
                     .help = "instead: each operation timed inside its network (tools/measure_torch.py --layers)"},
                    opt::model(),
                    opt::timings_device(),
                    with_help(opt::optimizer(), "the update a training step ends with (--validation)"),
                    {.name = "combine", .value = "each|min|median",
                     .help = "--validation: every run, or each configuration's fastest or median run", .fallback = "each"},
                    {.name = "network", .value = "FILE.json",
                     .help = "--validation: a network outside the zoo, matched to the rows by its name", .repeat = true},
                    {.name = "rows", .value = "ROWS.csv",
                     .help = "--layers: also write every operation with its prediction and error"},
                    opt::format(),
                    opt::devices()},
        .notes = "Give --validation or --layers. --validation: each network timed whole, beside the sum of its\n"
                 "layers' predictions (the zoo's networks, and those given with --network). --layers: each\n"
                 "operation timed in place, beside the prediction of the layers perfcast makes of it.\n",
        .run = run,
    };
    return c;
}

}  // namespace perfcast::cli
