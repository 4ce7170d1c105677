// perfcast validate: the model's predictions against timings taken in a framework, of whole
// networks (--validation) or of each operation inside its network (--layers); `perfcast validate
// neusight-models DIR`: whole transformer models measured by NeuSight, node by node and end to end.
#include <algorithm>  // sort
#include <cmath>      // fabs
#include <cstdlib>    // EXIT_SUCCESS
#include <sstream>    // ostringstream
#include <iostream>   // cout
#include <map>        // map
#include <set>        // set
#include <string>     // string
#include <utility>    // pair
#include <vector>     // vector

#include <perfcast/lab/layer_validation.hpp>  // load_layer_timings, compare_layers, summarize_layers
#include <perfcast/lab/neusight_models.hpp>   // scan_labels, validate_models
#include <perfcast/lab/report.hpp>            // load_validation, combine_runs, compare_networks
#include <perfcast/runtime/predictor.hpp>     // Predictor

#include "commands.hpp"
#include "common.hpp"  // opt::, load_devices, format_arg, optimizer_arg

namespace perfcast::cli {

nlohmann::json gpu_summary_json(const ModelGpuSummary& g) {
    return {{"gpu", g.gpu},
            {"pass", std::string(to_string(g.pass))},
            {"configurations", g.configurations},
            {"mean_abs_error", g.configurations ? nlohmann::json(g.mean_abs_error) : nlohmann::json()},
            {"roofline_mean_abs_error", g.configurations ? nlohmann::json(g.roofline_mean_abs_error) : nlohmann::json()},
            {"zoo_configurations", g.zoo_configurations},
            {"zoo_mean_abs_error", g.zoo_configurations ? nlohmann::json(g.zoo_mean_abs_error) : nlohmann::json()},
            {"neusight_published_error", g.published ? nlohmann::json(g.published->error) : nlohmann::json()},
            {"neusight_published_roofline_error", g.published ? nlohmann::json(g.published->roofline) : nlohmann::json()}};
}

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
        std::ostringstream out;  // written whole at the end, atomically
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
        detail::write_file(path, out.str(), "--rows");
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

/** @brief validate neusight-models [DIR]: NeuSight's whole models, node by node and end to end. */
int run_models(const Args& a) {
    if (a.has("validation") || a.has("layers"))
        throw error("neusight-models", "takes the labels folder, not --validation or --layers");
    if (a.positional().size() < 2)
        throw error("DIR", "give the labels folder: NeuSight's labels/ (its GPU folders hold <model>-<inf|train>-<seq>-<batch>.json)");
    const std::string dir = a.positional()[1];
    DeviceRegistry reg;
    load_devices(reg, a);
    const Predictor p = Predictor::load(a.get("model"));
    const ModelValidation v = validate_models(scan_labels(dir, reg), p, zoo_model_source());
    const bool zoo = static_cast<bool>(zoo_model_source());
    if (a.has("rows")) {
        const std::string path = a.get("rows");
        std::ostringstream out;  // written whole at the end, atomically
        out << "gpu,model,pass,seq,batch,node,target,kind,block,measured_fw_ms,predicted_fw_ms,measured_bw_ms,"
               "predicted_bw_ms,roofline_fw_ms,roofline_bw_ms,file,line\n";
        for (const ModelComparison& c : v.rows)
            for (const NodeComparison& n : c.nodes) {
                const ModelLabel& l = c.entry->label;
                const bool train = l.pass == Pass::training;
                out << detail::quote_csv(c.entry->gpu) << ',' << l.model << ',' << to_string(l.pass) << ',' << l.seq
                    << ',' << l.batch << ',' << detail::quote_csv(n.node->name) << ','
                    << detail::quote_csv(n.node->target) << ',' << detail::quote_csv(n.kind) << ','
                    << (n.node->block ? 1 : 0) << ',' << detail::format_double(n.node->fw_ms) << ','
                    << detail::format_double(n.predicted_fw_ms) << ','
                    << (train ? detail::format_double(n.node->bw_ms) : std::string()) << ','
                    << (train ? detail::format_double(n.predicted_bw_ms) : std::string()) << ','
                    << detail::format_double(n.roofline_fw_ms) << ','
                    << (train ? detail::format_double(n.roofline_bw_ms) : std::string()) << ','
                    << detail::quote_csv(c.entry->trace->file) << ',' << n.node->line << '\n';
            }
        detail::write_file(path, out.str(), "--rows");
    }
    const auto opt_json = [](const std::optional<double>& x) { return x ? nlohmann::json(*x) : nlohmann::json(); };
    if (format_arg(a) == "json") {
        nlohmann::json j;
        j["model"] = p.name();
        j["labels"] = dir;
        j["zoo"] = zoo;
        j["configurations"] = nlohmann::json::array();
        for (const ModelComparison& c : v.rows) {
            const ModelLabel& l = c.entry->label;
            nlohmann::json r{{"gpu", c.entry->gpu},
                             {"device", std::string(c.entry->device->id)},
                             {"model", l.model},
                             {"pass", std::string(to_string(l.pass))},
                             {"seq", l.seq},
                             {"batch", l.batch},
                             {"num_layer", l.num_layer},
                             {"measured_ms", l.e2e_ms},
                             {"measured_fw_ms", l.fw_ms},
                             {"measured_bw_ms", l.bw_ms},
                             {"label", l.file},
                             {"trace", c.has_trace ? nlohmann::json(c.entry->trace->file) : nlohmann::json()},
                             {"zoo_ms", opt_json(c.zoo_ms)},
                             {"zoo_error", opt_json(c.zoo_error())},
                             {"zoo_roofline_ms", opt_json(c.zoo_roofline_ms)}};
            if (!c.zoo_problem.empty()) r["zoo_problem"] = c.zoo_problem;
            if (c.has_trace) {
                r["predicted_ms"] = c.predicted_ms;
                r["error"] = c.error();
                r["roofline_ms"] = c.roofline_ms;
                r["roofline_error"] = c.roofline_error();
                r["trace_measured_ms"] = c.trace_measured_ms;
                r["trace_no_kernel_ms"] = c.trace_no_kernel_ms;
                r["trace_unmapped_ms"] = c.trace_unmapped_ms;
                r["kernel_nodes"] = c.nodes.size();
                r["no_kernel_nodes"] = c.no_kernel_nodes;
                r["unmapped_nodes"] = c.unmapped_nodes;
            }
            j["configurations"].push_back(r);
        }
        j["gpus"] = nlohmann::json::array();
        for (const ModelGpuSummary& g : v.gpus) j["gpus"].push_back(gpu_summary_json(g));
        j["kinds"] = nlohmann::json::array();
        for (const ModelKindSummary& k : v.kinds)
            j["kinds"].push_back({{"gpu", k.gpu},
                                  {"direction", k.direction},
                                  {"kind", k.kind},
                                  {"traces", k.traces},
                                  {"nodes", k.nodes},
                                  {"measured_ms", k.measured_ms},
                                  {"predicted_ms", k.predicted_ms},
                                  {"mean_abs_error", k.compared ? nlohmann::json(k.mean_abs_error) : nlohmann::json()}});
        j["unmapped"] = nlohmann::json::array();
        for (const auto& [t, u] : v.unmapped) j["unmapped"].push_back({{"target", t}, {"nodes", u.first}, {"measured_ms", u.second}});
        j["no_kernel_ms"] = v.no_kernel_ms;
        j["fusion_skipped"] = v.scan.fusion;
        j["problems"] = nlohmann::json::array();
        for (const LabelProblem& x : v.scan.problems)
            j["problems"].push_back({{"file", x.file}, {"line", x.line}, {"field", x.field}, {"message", x.message}});
        std::cout << j.dump(2) << '\n';
        return EXIT_SUCCESS;
    }
    auto pct = [](double x) { return cli::fixed(100.0 * x, 1); };
    std::cout << "NeuSight's whole models (" << dir << ") predicted by " << p.name()
              << ": \"trace x layers\" sums the predictions of the one-layer trace's kernel nodes, the block's "
                 "num_layer times" << (zoo ? ", \"zoo\" estimates the zoo's network of the model" : "")
              << "; training is forward + backward, no optimizer step\n\n";
    std::vector<std::string> head{"gpu", "model", "pass", "seq", "batch", "layers", "measured ms", "predicted ms",
                                  "error %", "roofline ms", "roofline error %"};
    if (zoo) head.insert(head.end(), {"zoo ms", "zoo error %"});
    head.insert(head.end(), {"measured nodes x layers ms", "no-kernel nodes ms", "unmapped ms"});
    Table t(head);
    for (const ModelComparison& c : v.rows) {
        const ModelLabel& l = c.entry->label;
        std::vector<std::string> cells{c.entry->gpu, l.model, std::string(to_string(l.pass)), std::to_string(l.seq),
                                       std::to_string(l.batch), l.num_layer ? std::to_string(l.num_layer) : "?",
                                       cli::fixed(l.e2e_ms, 1)};
        if (c.has_trace) {
            cells.insert(cells.end(), {cli::fixed(c.predicted_ms, 1), pct(c.error()), cli::fixed(c.roofline_ms, 1),
                                       pct(c.roofline_error())});
        } else {
            cells.insert(cells.end(), {"-", "-", "-", "-"});
        }
        if (zoo) cells.insert(cells.end(), {c.zoo_ms ? cli::fixed(*c.zoo_ms, 1) : "-", c.zoo_ms ? pct(*c.zoo_error()) : "-"});
        if (c.has_trace) {
            cells.insert(cells.end(), {cli::fixed(c.trace_measured_ms, 1), cli::fixed(c.trace_no_kernel_ms, 1),
                                       cli::fixed(c.trace_unmapped_ms, 2)});
        } else {
            cells.insert(cells.end(), {"-", "-", "-"});
        }
        t.row(cells);
    }
    t.print(std::cout);
    std::cout << "\nby GPU: mean |error| end to end (NeuSight's published errors are inference)\n";
    std::vector<std::string> gh{"gpu", "pass", "configurations", "perfcast %", "roofline %"};
    if (zoo) gh.insert(gh.end(), {"zoo configurations", "zoo %"});
    gh.insert(gh.end(), {"NeuSight published %", "NeuSight's roofline %"});
    Table g(gh);
    for (const ModelGpuSummary& s : v.gpus) {
        std::vector<std::string> cells{s.gpu, std::string(to_string(s.pass)), std::to_string(s.configurations),
                                       s.configurations ? pct(s.mean_abs_error) : "-",
                                       s.configurations ? pct(s.roofline_mean_abs_error) : "-"};
        if (zoo)
            cells.insert(cells.end(), {std::to_string(s.zoo_configurations),
                                       s.zoo_configurations ? pct(s.zoo_mean_abs_error) : "-"});
        const bool pub = s.published && s.pass == Pass::inference;
        cells.insert(cells.end(), {pub ? pct(s.published->error) + " (" + std::to_string(s.published->configurations) + ")" : "-",
                                   pub ? pct(s.published->roofline) : "-"});
        g.row(cells);
    }
    g.print(std::cout);
    std::cout << "\nby kind, each trace's nodes once: the kind's summed time, mean |error of the sum| over the traces\n";
    Table k({"gpu", "direction", "kind", "traces", "nodes", "measured ms", "predicted ms", "mean |error| %"});
    for (const ModelKindSummary& s : v.kinds)
        k.row({s.gpu, s.direction, s.kind, std::to_string(s.traces), std::to_string(s.nodes), cli::fixed(s.measured_ms, 2),
               cli::fixed(s.predicted_ms, 2), s.compared ? pct(s.mean_abs_error) : std::string("-")});
    k.print(std::cout);
    std::cout << "\nno-kernel nodes (views, metadata, Python values; NeuSight times each in isolation, ~0.01 ms of host "
                 "overhead): " << cli::fixed(v.no_kernel_ms, 1) << " ms measured over all configurations (block x "
                 "layers), left out of both sides\n";
    if (!v.unmapped.empty()) {
        std::cout << "unmapped nodes (kernels perfcast has no layer for, or unknown targets), not predicted:";
        for (const auto& [tg, u] : v.unmapped)
            std::cout << "\n  " << tg << ": " << u.first << " nodes, " << cli::fixed(u.second, 2) << " ms";
        std::cout << "\n";
    }
    if (!v.scan.fusion.empty())
        std::cout << v.scan.fusion.size() << " -fusion.json files (torch.compile: fused kernels the traces do not time) "
                     "not compared\n";
    if (!v.scan.problems.empty()) {
        std::cout << "not compared:\n";
        for (const LabelProblem& x : v.scan.problems)
            std::cout << "  " << x.file << (x.line ? ":" + std::to_string(x.line) : std::string())
                      << (x.field.empty() ? std::string() : " [" + x.field + "]") << ": " << x.message << "\n";
    }
    std::cout << "error = (predicted - measured) / measured, negative is an under-prediction\n";
    return EXIT_SUCCESS;
}

int run(const Args& a) {
    if (!a.positional().empty()) return run_models(a);
    if (a.has("layers")) return run_layers(a);
    if (!a.has("validation"))
        throw error("--validation", "required: whole-network timings (tools/measure_torch.py's CSV), or --layers");
    DeviceRegistry reg;
    load_devices(reg, a);
    const Predictor p = Predictor::load(a.get("model"));
    const std::string how = a.get("combine");
    const auto combine = parse_run_combine(how);
    if (!combine) throw error("--combine", "expected each, min or median (got " + quoted(how) + ")");
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
        .positionals = {{.name = "neusight-models", .help = "NeuSight's whole transformer models (labels folder DIR)",
                         .word = true, .optional = true},
                        {.name = "DIR", .help = "neusight-models: NeuSight's labels/ folder (<GPU>/<model>-<pass>-<seq>-<batch>.json)",
                         .optional = true}},
        .options = {{.name = "validation", .value = "NETWORKS.csv",
                     .help = "whole networks timed in a framework (tools/measure_torch.py); several files are runs",
                     .repeat = true},
                    {.name = "layers", .value = "LAYERS.csv",
                     .help = "instead: each operation timed inside its network (tools/measure_torch.py --layers)"},
                    opt::model(),
                    opt::timings_device(),
                    with_help(opt::optimizer(), "the update a training step ends with (--validation)"),
                    word_option({.name = "combine", .value = "each|min|median",
                                 .help = "--validation: every run, or each configuration's fastest or median run",
                                 .fallback = "each"}),
                    {.name = "network", .value = "FILE.json",
                     .help = "--validation: a network outside the zoo, matched to the rows by its name", .repeat = true},
                    {.name = "rows", .value = "ROWS.csv",
                     .help = "--layers: also write every operation with its prediction and error; neusight-models: every "
                             "kernel node"},
                    opt::format(),
                    opt::devices()},
        .notes = "Give --validation or --layers. --validation: each network timed whole, beside the sum of its\n"
                 "layers' predictions (the zoo's networks, and those given with --network). --layers: each\n"
                 "operation timed in place, beside the prediction of the layers perfcast makes of it.\n"
                 "neusight-models DIR: NeuSight's transformer models on its five GPUs: each node of the one-layer\n"
                 "traces against its prediction (summed per kind), and the whole model (the trace's nodes, the\n"
                 "block's num_layer times; and the zoo's network when the zoo has the model) against e2e_latency.\n",
        .run = run,
    };
    return c;
}

}  // namespace perfcast::cli
