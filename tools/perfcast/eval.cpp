// perfcast eval: a model's error on the measured rows it never saw in training, beside PALEO's and the roofline's.
#include <algorithm>    // find
#include <array>        // array
#include <cstdlib>      // EXIT_SUCCESS
#include <sstream>      // ostringstream
#include <iostream>     // cout, cerr
#include <string>       // string
#include <string_view>  // string_view
#include <vector>       // vector

#include <perfcast/lab/evaluation.hpp>     // evaluate_rows, ErrorStats
#include <perfcast/runtime/predictor.hpp>  // Predictor

#include "commands.hpp"
#include "common.hpp"  // opt::, load_devices, format_arg
#include "training.hpp"  // only_devices

namespace perfcast::cli {
namespace {

/// `eval --rows FILE.csv`: every evaluated row with its layer's columns (the dataset's names), the
/// measured and predicted times, the signed error and the two baselines, so the worst rows can be found.
void write_eval_rows(const std::string& path, const std::vector<const Sample*>& rows, const DeviceRegistry& reg,
                     const Predictor& p) {
    std::ostringstream out;  // written whole at the end, atomically
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
    detail::write_file(path, out.str(), "--rows");
}

/// The rows of the sources the model's training left out (TrainingInfo::exclude_sources), said apart from
/// the evaluated ones with their error: not the model's to fit, and not hidden either. Empty without any.
std::string excluded_note(const std::vector<const Sample*>& excluded, const DeviceRegistry& reg, const Predictor& p) {
    if (excluded.empty()) return {};
    std::ostringstream out;
    out << excluded.size() << " rows left out: their sources were left out of the model's training (";
    for (std::size_t i = 0; i < p.info().exclude_sources.size(); ++i)
        out << (i ? ", " : "") << quoted(p.info().exclude_sources[i]);
    out << ")";
    for (const ErrorStats& s : evaluate_rows(excluded, reg, [&](const Sample& row, const Device& d) {
             return p.predict_us(row.layer, row.target(d));
         }))
        if (s.device != "*")
            out << "; " << s.kind << " on " << s.device << ": " << s.n << " rows, mean error "
                << cli::fixed(100.0 * s.mean_rel_error, 1) << "%";
    out << "\n";
    return out.str();
}

int run(const Args& a) {
    const auto files = a.all("data");
    DeviceRegistry reg;
    load_devices(reg, a);
    const Predictor p = Predictor::load(a.get("model"));
    const Dataset ds = only_devices(load_datasets(files, reg), a, reg);
    std::vector<const Sample*> rows, excluded;  // excluded: of the sources the model's training left out
    for (const Sample& s : ds.rows) {
        if (!s.measured() || !p.covers(kind(s.layer))) continue;
        if (excluded_source(s, p.info().exclude_sources)) excluded.push_back(&s);
        else if (a.flag("all-rows") || held_out(s, p.info().holdout, p.info().split_salt)) rows.push_back(&s);
    }
    if (rows.empty()) throw error("--data", "no measured rows to evaluate (held-out rows of kinds the model covers)");
    const auto ours = evaluate_rows(rows, reg, [&](const Sample& s, const Device& d) {
        return p.predict_us(s.layer, s.target(d));
    });
    const auto paleo = evaluate_rows(rows, reg, paleo_predictor());
    const auto roof = evaluate_rows(rows, reg, roofline_predictor());
    if (a.has("rows")) write_eval_rows(a.get("rows"), rows, reg, p);
    if (format_arg(a) == "json") {
        std::cerr << excluded_note(excluded, reg, p);
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
    std::cout << excluded_note(excluded, reg, p);
    return EXIT_SUCCESS;
}

}  // namespace

const Command& eval_command() {
    static const Command c{
        .name = "eval",
        .summary = "evaluates a model on the held-out rows of datasets, beside PALEO and the roofline",
        .options = {opt::data(),
                    with_help(opt::model(), "the model to evaluate (default: the default model, as predict uses)"),
                    {.name = "all-rows", .help = "every measured row, not only those held out of training"},
                    opt::format(),
                    {.name = "rows", .value = "ROWS.csv", .help = "also write every evaluated row with its prediction and error"},
                    {.name = "only-device", .value = "ID,...", .help = "evaluate only the rows of these devices"},
                    opt::devices()},
        .run = run,
    };
    return c;
}

}  // namespace perfcast::cli
