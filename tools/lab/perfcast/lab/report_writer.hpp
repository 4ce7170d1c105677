/**
 * @file report_writer.hpp
 * @brief The accuracy report's writer (its sections are report_*.hpp) and options; report.hpp
 *        gathers them. The report: one self-contained HTML page (inline CSS and SVG drawn here,
 *        no scripts, no external resources) that regenerates the seed thesis' tables and
 *        figures for a dataset and a trained model, with PALEO and the roofline beside it:
 *        per-layer error tables (Tables 4.4-4.9), predicted vs measured scatter plots,
 *        predicted and actual times along a sweep of configurations with the error of each
 *        point (Figs 4.2 and 4.3), the learning curve (Fig 3.4), leave-one-GPU-out
 *        (Table 4.19) and whole networks over batch size (Tables 4.11-4.14).
 *
 * The plotting primitives are svg.hpp's; the whole-network comparison is network_validation.hpp's.
 */
#pragma once

#include <algorithm>    // sort, stable_sort, min, max, max_element
#include <chrono>       // steady_clock
#include <cmath>        // log10, pow, floor, ceil, isfinite, fabs
#include <cstdint>      // int64_t, uint64_t
#include <cstdio>       // snprintf
#include <ctime>        // time, gmtime, strftime
#include <fstream>      // ofstream
#include <functional>   // function
#include <map>          // map
#include <optional>     // optional
#include <set>          // set
#include <sstream>      // ostringstream, istringstream
#include <string>       // string
#include <string_view>  // string_view
#include <tuple>        // tuple
#include <utility>      // move, pair
#include <vector>       // vector

#include <perfcast/runtime/dataset.hpp>         // Dataset, Sample, detail::split_csv, read_provenance_line, layer_cells
#include <perfcast/core/error.hpp>           // error, source_location
#include <perfcast/runtime/estimate.hpp>        // estimate, NetworkEstimate
#include "evaluation.hpp"      // ErrorStats, evaluate_rows, paleo_predictor, roofline_predictor
#include <perfcast/runtime/io/device_json.hpp>  // DeviceRegistry
#include "layer_validation.hpp"  // LayerTimingData, compare_layers, summarize_layers
#include <perfcast/runtime/predictor.hpp>       // Predictor, held_out, TrainOptions
#include "network_validation.hpp"  // ValidationData, compare_networks
#include "neusight_models.hpp"     // scan_labels, validate_models: NeuSight's whole transformer models
#include "svg.hpp"                 // svg::Chart, svg::escape
#include "study.hpp"           // learning_curve, leave_one_device_out, StudyResult
#include <perfcast/core/zoo.hpp>             // zoo::find, zoo::names

namespace perfcast {

/// perfcast's version as the report states it (CMakeLists.txt's project VERSION; a build
/// may define PERFCAST_VERSION to say more, e.g. a git revision).
#ifdef PERFCAST_VERSION
inline constexpr std::string_view report_perfcast_version = PERFCAST_VERSION;
#else
inline constexpr std::string_view report_perfcast_version = "0.1.0";
#endif

// ============================================================================
// The report
// ============================================================================

/** @brief What the report shows and how much it computes. */
struct ReportOptions {
    std::string model_path;               ///< shown in the header
    std::vector<std::string> data_files;  ///< shown in the header
    std::string command_line;             ///< shown in the header, verbatim
    std::string date;                     ///< empty: now, UTC
    bool quick = false;                   ///< fewer fractions and epochs in the studies
    bool learning_curve = true;           ///< run the learning-curve study (trains models)
    bool leave_one_out = true;            ///< run leave-one-device-out (trains models)
    std::vector<double> fractions;        ///< learning curve; empty: 0.05..1 (quick: 0.1, 0.3, 1)
    std::optional<TrainOptions> study_options;  ///< empty: the model's own settings
    std::string validation_device;        ///< device of every validation row; empty: its device column
    std::vector<std::int64_t> batches{1, 2, 4, 8, 16, 32, 64};  ///< predicted sweep without validation data
    std::size_t max_scatter_points = 3000;  ///< per panel; more rows are thinned evenly
    std::size_t sweep_points = 120;          ///< configurations along the Fig 4.2 sweep
    std::function<void(const std::string&)> progress;  ///< told when a study starts
    /// NeuSight's labels folder (labels/<GPU>/<model>-<inf|train>-<seq>-<batch>.json): a section on whole
    /// transformer models, node by node and end to end; empty: no such section
    std::string neusight_labels;
    /// the whole-model networks of that section's "zoo" column; empty: the zoo's, when it has them
    ModelNetworkSource neusight_source;
};

/**
 * @brief The training options the studies use: the model's own (features, target, MLP,
 * held-out share and salt, the sources it left out), so the learning curve's largest share retrains the model.
 */
inline TrainOptions study_options_of(const Predictor& p, bool quick) {
    TrainOptions o;
    o.name = p.name();
    o.holdout = p.info().holdout > 0 ? p.info().holdout : 0.1;
    o.split_salt = p.info().split_salt;
    o.exclude_sources = p.info().exclude_sources;  // the sweeps the model left out stay out of its studies
    if (!p.models().empty()) {
        const KindEnsemble& m = p.models().begin()->second;
        o.features = m.features;
        o.relative_to_roofline = m.relative_to_roofline;
        o.kernel_floor = m.kernel_floor;
        o.mlp = m.members.front().config();
        o.ensemble = m.members.size();  // the studies measure the method the model was made with
    }
    o.kinds.clear();
    for (const auto& [k, m] : p.models()) o.kinds.push_back(k);
    if (quick) {
        o.mlp.max_epochs = std::min<std::size_t>(o.mlp.max_epochs, 40);
        o.mlp.patience = std::min<std::size_t>(o.mlp.patience, 8);
        o.ensemble = 1;
    }
    return o;
}

/// The report's internals (apart from perfcast::detail, so that helper names cannot collide).
namespace detail::reporting {

inline std::string fixed(double v, int digits) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}
inline std::string pct(double share, int digits = 1) { return fixed(100.0 * share, digits) + "%"; }
inline std::string signed_pct(double share) { return (share >= 0 ? "+" : "") + fixed(100.0 * share, 1) + "%"; }

/** @brief A table cell for an error share, tinted green (small) to red (large). */
inline std::string err_cell(double e) {
    const double t = std::min(1.0, std::max(0.0, e / 0.5));
    const int hue = static_cast<int>(120.0 * (1.0 - t));
    return "<td class=\"num\" style=\"background:hsl(" + std::to_string(hue) + ",65%,88%)\">" + pct(e) + "</td>";
}
/** @brief A table cell for a share of rows within a bound, tinted red (few) to green (most). */
inline std::string share_cell(double s) {
    const int hue = static_cast<int>(120.0 * std::min(1.0, std::max(0.0, s)));
    return "<td class=\"num\" style=\"background:hsl(" + std::to_string(hue) + ",65%,90%)\">" + pct(s) + "</td>";
}
/** @brief A signed error (predicted - measured) / measured, tinted by its size. */
inline std::string signed_err_cell(double e) {
    const double t = std::min(1.0, std::max(0.0, std::fabs(e) / 0.5));
    const int hue = static_cast<int>(120.0 * (1.0 - t));
    return "<td class=\"num\" style=\"background:hsl(" + std::to_string(hue) + ",65%,88%)\">" + signed_pct(e) + "</td>";
}
inline std::string td(const std::string& s) { return "<td>" + svg::escape(s) + "</td>"; }
inline std::string tdn(const std::string& s) { return "<td class=\"num\">" + svg::escape(s) + "</td>"; }

inline const std::vector<std::string>& palette() {
    static const std::vector<std::string> p{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
                                            "#17becf", "#8c564b", "#e377c2", "#bcbd22", "#7f7f7f"};
    return p;
}
inline constexpr const char* c_measured = "#e6801a";
inline constexpr const char* c_ours = "#1f6fb4";
inline constexpr const char* c_paleo = "#6f6f6f";
inline constexpr const char* c_roof = "#9467bd";

inline double rel_error(double predicted, double measured) { return std::fabs(predicted - measured) / measured; }

/** @brief One evaluated row: the model, PALEO and the roofline against the measurement. */
struct eval_point {
    const Sample* s = nullptr;
    double ours = 0, paleo = 0, roof = 0;
};

/** @brief Evenly spaced indices, at most n of them, from [0, size). */
inline std::vector<std::size_t> thin(std::size_t size, std::size_t n) {
    std::vector<std::size_t> out;
    if (size <= n || n == 0) {
        for (std::size_t i = 0; i < size; ++i) out.push_back(i);
        return out;
    }
    for (std::size_t i = 0; i < n; ++i) out.push_back(i * (size - 1) / (n - 1));
    return out;
}

inline std::string utc_now() {
    const std::time_t t = std::time(nullptr);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&t));
    return buf;
}

/** @brief The identity of a row without one parameter (for one-parameter families). */
inline std::string family_key(const Sample& s, std::string_view vary) {
    std::string k = s.device + ";" + std::string(to_string(s.pass)) + ";" + std::string(to_string(s.dtype)) + ";";
    for (const auto& [col, val] : layer_cells(s.layer)) {
        if (col == vary || (vary == "size" && (col == "height" || col == "width"))) continue;
        k += std::string(col) + "=" + val + ";";
    }
    return k;
}

/** @brief A layer parameter's value by column name ("size": height when height == width). */
inline std::optional<double> param_value(const Sample& s, std::string_view name) {
    const auto cells = layer_cells(s.layer);
    if (name == "size") {
        const auto h = cells.find("height"), w = cells.find("width");
        if (h == cells.end() || w == cells.end() || h->second != w->second) return std::nullopt;
        return std::stod(h->second);
    }
    const auto it = cells.find(name);
    if (it == cells.end() || it->second.empty()) return std::nullopt;
    try {
        return std::stod(it->second);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

class report_writer {
public:
    report_writer(const Predictor& model, const Dataset& ds, const DeviceRegistry& reg, const ReportOptions& o,
                  const ValidationData* validation, const LayerTimingData* layers = nullptr)
        : m_model(model), m_ds(ds), m_reg(reg), m_o(o), m_validation(validation), m_layers(layers) {}

    std::string render() {
        const auto start = std::chrono::steady_clock::now();
        check_validation();
        if (m_layers) m_layer_rows = compare_layers(m_model, *m_layers, m_reg, m_o.validation_device);  // fails fast
        if (!m_o.neusight_labels.empty())
            m_models = validate_models(scan_labels(m_o.neusight_labels, m_reg), m_model,
                                       m_o.neusight_source ? m_o.neusight_source : zoo_model_source());
        select_rows();
        const std::string errors = section_errors();
        const std::string scatter = section_scatter();
        const std::string sweep = section_sweep();
        const std::string curve = section_learning_curve();
        const std::string loo = section_leave_one_out();
        const std::string nets = section_networks();
        const std::string in_place = m_layers ? section_layers() : std::string();
        const std::string transformers = m_models ? section_neusight_models() : std::string();
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

        std::ostringstream h;
        h << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>perfcast report: "
          << svg::escape(m_model.name()) << "</title>\n<style>\n" << css() << "</style>\n</head>\n<body>\n";
        h << header();
        h << "<nav><b>Contents</b>: <a href=\"#summary\">at a glance</a> · <a href=\"#errors\">per-layer errors</a> · "
             "<a href=\"#scatter\">predicted vs measured</a> · <a href=\"#sweep\">along a sweep</a> · "
             "<a href=\"#learning-curve\">learning curve</a> · <a href=\"#leave-one-out\">GPU left out</a> · "
             "<a href=\"#networks\">whole networks</a> · "
          << (m_layers ? "<a href=\"#layers\">layers in the networks</a> · " : "")
          << (m_models ? "<a href=\"#neusight-models\">transformer models</a> · " : "")
          << "<a href=\"#method\">how to read</a></nav>\n";
        h << summary();
        h << errors << scatter << sweep << curve << loo << nets << in_place << transformers << method();
        h << "<footer>Generated by perfcast " << svg::escape(std::string(report_perfcast_version)) << " in "
          << fixed(seconds, 1) << " s (" << fixed(m_study_seconds, 1)
          << " s of it training the studies' models). Every number on this page was computed from the files named above."
          << "</footer>\n</body>\n</html>\n";
        return h.str();
    }

private:
    // ---------------------------------------------------------------- data
    /** @brief Estimates the validation rows before the (slow) studies, so an unknown device fails fast. */
    void check_validation() {
        if (m_validation)
            m_comparisons = compare_networks(m_model, *m_validation, m_reg, m_o.validation_device, {}, &m_skipped);
    }

    void select_rows() {
        for (const Sample& s : m_ds.rows) {
            if (!s.measured()) {
                ++m_failed;
                continue;
            }
            if (!m_model.covers(kind(s.layer))) {
                ++m_uncovered_kind;
                continue;
            }
            if (!m_model.trained_for(s.pass, s.dtype)) {
                ++m_uncovered_pass;
                continue;
            }
            if (excluded_source(s, m_model.info().exclude_sources)) {
                ++m_excluded_source;
                continue;
            }
            m_covered.rows.push_back(s);
        }
        m_all_rows = !(m_model.info().holdout > 0);
        for (const Sample& s : m_covered.rows)
            if (m_all_rows || held_out(s, m_model.info().holdout, m_model.info().split_salt)) m_test.push_back(&s);
        // the hash train_predictor computes over the rows it trains on
        std::uint64_t hash = 1469598103934665603ULL;
        for (const Sample& s : m_covered.rows)
            if (!m_all_rows && !held_out(s, m_model.info().holdout, m_model.info().split_salt))
                hash = fnv1a(row_key(s) + "|" + format_double(s.time_us) + "\n", hash);
        m_data_hash = "fnv1a64:" + hex64(hash);
        for (const Sample* s : m_test) {
            const Device& d = m_reg.get(s->device);
            const Target at = s->target(d);
            m_points.push_back({s, m_model.predict_us(s->layer, at), paleo_us(s->layer, at), roofline_us(s->layer, at)});
            m_kinds.insert(std::string(to_string(kind(s->layer))));
            m_devices.insert(s->device);
        }
        std::size_t i = 0;
        for (const std::string& d : m_devices) m_device_color[d] = palette()[i++ % palette().size()];
        if (!m_test.empty()) {
            m_ours = evaluate_rows(m_test, m_reg, [&](const Sample& s, const Device& d) {
                return m_model.predict_us(s.layer, s.target(d));
            });
            m_paleo = evaluate_rows(m_test, m_reg, paleo_predictor());
            m_roof = evaluate_rows(m_test, m_reg, roofline_predictor());
        }
    }

    std::string dev_name(const std::string& id) const {
        if (id == "*") return "all devices";
        const Device* d = m_reg.find(id);
        return d ? std::string(d->name) : id;
    }
    std::string color_of(const std::string& dev) const {
        const auto it = m_device_color.find(dev);
        return it == m_device_color.end() ? palette()[0] : it->second;
    }
    std::string next_id() { return "chart" + std::to_string(++m_chart_id); }
    std::string rows_text(std::size_t n) const { return std::to_string(n) + (n == 1 ? " row" : " rows"); }
    std::string test_rows_phrase() const {
        return m_all_rows ? "every measured row (the model was trained without a held-out share, so it saw these rows)"
                          : "the held-out rows (" + pct(m_model.info().holdout, 0) +
                                " of the rows, chosen by a hash of each row's identity, that the model never saw in training)";
    }

    // ---------------------------------------------------------------- page parts
    static std::string css() {
        return "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#222;"
               "max-width:1320px;margin:0 auto;padding:18px 24px 40px;line-height:1.45;font-size:14px;background:#fff}\n"
               "h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:34px 0 6px;padding-top:10px;"
               "border-top:2px solid #e4e4e4}h3{font-size:15px;margin:18px 0 6px}\n"
               "p.intro{max-width:980px;margin:4px 0 10px;color:#333}p.note{color:#666;font-size:13px;margin:4px 0}\n"
               "nav{margin:10px 0 4px;font-size:13px}nav a{color:#1f5f9e;text-decoration:none}\n"
               "table{border-collapse:collapse;margin:6px 0 12px;font-size:12.5px}\n"
               "th,td{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}\n"
               "th{background:#f3f4f6;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
               "tr.all td{font-weight:600}\n"
               "table.prov td{font-size:12px;max-width:980px;word-break:break-word}table.prov td:first-child{white-space:nowrap;color:#555}\n"
               ".figs{display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start}\n"
               "figure{margin:0;border:1px solid #e6e6e6;border-radius:4px;padding:4px;background:#fff}\n"
               "figcaption{font-size:12px;color:#555;max-width:620px;padding:2px 4px}\n"
               ".cards{display:flex;flex-wrap:wrap;gap:12px;margin:8px 0}\n"
               ".card{border:1px solid #dde3ea;border-radius:6px;padding:8px 12px;background:#f8fafc;min-width:230px}\n"
               ".card .big{font-size:22px;font-weight:700;color:#1f6fb4}.card .vs{color:#666;font-size:12.5px}\n"
               ".card .t{font-weight:600;font-size:13px}svg.chart{display:block}\n"
               "footer{margin-top:30px;color:#777;font-size:12px;border-top:1px solid #e4e4e4;padding-top:8px}\n"
               ".warn{background:#fff6e0;border:1px solid #f0d48a;padding:6px 10px;border-radius:4px;max-width:980px}\n";
    }

    std::string header() const {
        const TrainingInfo& t = m_model.info();
        std::ostringstream h;
        h << "<header>\n<h1>perfcast accuracy report: " << svg::escape(m_model.name()) << "</h1>\n";
        h << "<p class=\"intro\">How well the learned model <b>" << svg::escape(m_model.name())
          << "</b> predicts measured layer times, beside the analytical baselines PALEO and the roofline, regenerating the "
             "tables and figures of the seed thesis (Lin, NTU 2019) for these data. Errors are |predicted − measured| / "
             "measured on "
          << svg::escape(test_rows_phrase()) << ".</p>\n";
        h << "<table class=\"prov\">\n";
        auto row = [&](const std::string& k, const std::string& v) {
            h << "<tr><td>" << svg::escape(k) << "</td><td>" << svg::escape(v) << "</td></tr>\n";
        };
        row("model", m_model.name() + (m_o.model_path.empty() ? std::string() : "  (" + m_o.model_path + ")"));
        std::string kinds;
        for (const auto& [k, m] : m_model.models())
            kinds += (kinds.empty() ? "" : ", ") + std::string(to_string(k)) + " (" + std::string(to_string(m.features)) +
                     " features, MLP " + widths(m.members.front().config().hidden) +
                     (m.members.size() > 1 ? ", ensemble of " + std::to_string(m.members.size()) : std::string()) + ")";
        row("model covers", kinds);
        std::string devs;
        for (const auto& d : t.devices) devs += (devs.empty() ? "" : ", ") + dev_name(d);
        row("trained on", std::to_string(t.rows - t.test_rows - t.excluded_rows) + " of " + std::to_string(t.rows) + " measured rows from " + devs +
                              "; passes " + join(t.passes) + "; precisions " + join(t.dtypes) + "; " + fixed(t.seconds, 1) +
                              " s of training");
        row("model's data", t.data_hash + (t.data_files.empty() ? std::string() : "  (" + join(t.data_files) + ")"));
        const bool same = m_data_hash == t.data_hash;
        row("data given", join(m_o.data_files) + ": " + std::to_string(m_ds.rows.size()) + " rows, hash of the training share " +
                              m_data_hash + (same ? " (the same rows the model was trained on)"
                                                  : " (not exactly the rows the model was trained on; the held-out rows are "
                                                    "still rows it never saw, the split being by each row's identity)"));
        std::string excluded;
        if (m_failed) excluded += std::to_string(m_failed) + " failed configurations; ";
        if (m_uncovered_kind) excluded += std::to_string(m_uncovered_kind) + " rows of layer kinds the model has no predictor for; ";
        if (m_uncovered_pass) excluded += std::to_string(m_uncovered_pass) + " rows of a pass or precision it was not trained on; ";
        if (m_excluded_source)
            excluded += std::to_string(m_excluded_source) + " rows of the sources its training left out (" +
                        join(t.exclude_sources) + "); ";
        row("evaluated", std::to_string(m_test.size()) + " rows" + (excluded.empty() ? std::string() : " (left out: " +
                                                                         excluded.substr(0, excluded.size() - 2) + ")"));
        for (const auto& [k, v] : m_ds.provenance) row("data: " + k, v);
        if (m_validation) {
            row("validation", m_validation->file + ": " + std::to_string(m_validation->rows.size()) + " measured rows");
            for (const auto& [k, v] : m_validation->provenance) row("validation: " + k, v);
        }
        row("date", m_o.date.empty() ? utc_now() : m_o.date);
        row("perfcast", std::string(report_perfcast_version));
        if (!m_o.command_line.empty()) row("command", m_o.command_line);
        h << "</table>\n</header>\n";
        return h.str();
    }

    static std::string widths(const std::vector<std::size_t>& hidden) {
        std::string s;
        for (std::size_t w : hidden) s += (s.empty() ? "" : "-") + std::to_string(w);
        return s.empty() ? "linear" : s;
    }

    static std::string join(const std::vector<std::string>& v) {
        std::string s;
        for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
        return s;
    }

    const ErrorStats* find_group(const std::vector<ErrorStats>& v, const std::string& k, const std::string& dev) const {
        for (const auto& s : v)
            if (s.kind == k && s.device == dev) return &s;
        return nullptr;
    }

    std::string summary() const {
        std::ostringstream h;
        h << "<section id=\"summary\">\n<h2>At a glance</h2>\n";
        if (m_points.empty()) {
            h << "<p class=\"warn\">No rows to evaluate: the data hold no measured rows of a layer kind, pass and precision "
                 "this model was trained on.</p>\n</section>\n";
            return h.str();
        }
        h << "<p class=\"intro\">Mean relative error of the model on rows it never saw, with PALEO's beside it (lower is "
             "better), and the share of rows the model predicts within ±10%. The sections below break these down.</p>\n";
        h << "<div class=\"cards\">\n";
        for (std::size_t i = 0; i < m_ours.size(); ++i) {
            const ErrorStats& s = m_ours[i];
            if (s.device != "*") continue;
            h << "<div class=\"card\"><div class=\"t\">" << svg::escape(s.kind) << ", " << svg::escape(s.pass) << ", "
              << svg::escape(s.dtype) << " (" << s.n << " rows)</div><div class=\"big\">" << pct(s.mean_rel_error)
              << "</div><div class=\"vs\">mean error; PALEO " << pct(m_paleo[i].mean_rel_error) << ", roofline "
              << pct(m_roof[i].mean_rel_error) << "<br>" << pct(s.within_10, 0) << " within ±10%, " << pct(s.within_20, 0)
              << " within ±20%</div></div>\n";
        }
        for (const auto& [k, v] : m_loo_summary)
            h << "<div class=\"card\"><div class=\"t\">" << svg::escape(k) << ", GPU left out of training</div><div class=\"big\">"
              << pct(v.first) << "</div><div class=\"vs\">mean over the devices left out; PALEO " << pct(v.second)
              << "</div></div>\n";
        if (m_net_n > 0)
            h << "<div class=\"card\"><div class=\"t\">whole networks (" << m_net_n << " measured)</div><div class=\"big\">"
              << pct(m_net_err_ours / static_cast<double>(m_net_n)) << "</div><div class=\"vs\">mean error; PALEO "
              << pct(m_net_err_paleo / static_cast<double>(m_net_n)) << "</div></div>\n";
        h << "</div>\n</section>\n";
        return h.str();
    }

    // ---------------------------------------------------------------- per-layer errors
    std::string section_errors();

    /** @brief Grouped bars: categories x series, values as shares (drawn in percent), labelled. */
    std::string bar_chart(const std::string& title, const std::vector<std::string>& cats, const std::vector<std::string>& series,
                          const std::vector<std::vector<double>>& values, const std::vector<std::string>& colors, double w,
                          double hgt) {
        double top = 0;
        for (const auto& v : values)
            for (double x : v)
                if (std::isfinite(x)) top = std::max(top, x);
        top = top > 0 ? top * 100 * 1.15 : 10;
        svg::Chart c(next_id(), w, hgt);
        c.title(title).y_label("mean relative error").x_categories(cats).y_axis(svg::Axis::linear, 0, top, [](double v) {
            return svg::general(v, 3) + "%";
        });
        const double group = 0.8, bw = group / static_cast<double>(series.size());
        std::vector<svg::LegendEntry> legend;
        for (std::size_t s = 0; s < series.size(); ++s) {
            svg::Style st;
            st.color = colors[s % colors.size()];
            legend.push_back({series[s], st, svg::LegendEntry::Mark::box});
            for (std::size_t i = 0; i < cats.size() && i < values[s].size(); ++i) {
                const double x0 = static_cast<double>(i) + 0.1 + bw * static_cast<double>(s);
                const double v = 100.0 * values[s][i];
                c.rect(x0 + bw * 0.06, x0 + bw * 0.94, 0, v, st);
                svg::Style ts;
                ts.color = "#333";
                if (cats.size() * series.size() <= 24) c.text(x0 + bw / 2, v, fixed(v, v < 10 ? 1 : 0) + "%", ts);
            }
        }
        c.legend(legend);
        return c.render();
    }

    // ---------------------------------------------------------------- scatter
    std::string section_scatter();

    std::string error_cdf(const std::string& k, const std::vector<const eval_point*>& pts);

    // ---------------------------------------------------------------- sweep (Figs 4.2, 4.3)
    std::string section_sweep();

    /** @brief The largest one-parameter family of held-out rows of a kind, plotted against the parameter. */
    std::string family_figure(const std::string& k);

    // ---------------------------------------------------------------- learning curve (Fig 3.4)
    TrainOptions study_options() const {
        return m_o.study_options ? *m_o.study_options : study_options_of(m_model, m_o.quick);
    }

    std::string section_learning_curve();

    bool many_pass_dtype() const { return m_model.info().passes.size() * m_model.info().dtypes.size() > 1; }

    // ---------------------------------------------------------------- leave one GPU out (Table 4.19)
    std::string section_leave_one_out();

    // ---------------------------------------------------------------- whole networks (Tables 4.11-4.14)
    std::string section_networks();

    /** @brief Layers timed inside the networks: the error of each kind's sum against batch size. */
    std::string section_layers();

    static double roofline_share(const NetworkEstimate& e) {
        double r = 0;
        for (const auto& l : e.layers)
            if (l.method != Method::mlp) r += l.us;
        return e.total_us > 0 ? r / e.total_us : 0;
    }

    std::string validated_networks();

    /** @brief NeuSight's whole transformer models (ReportOptions::neusight_labels): end to end and per kind. */
    std::string section_neusight_models();

    // ---------------------------------------------------------------- notes
    std::string method() const {
        std::ostringstream h;
        h << "<section id=\"method\">\n<h2>How to read this report</h2>\n<p class=\"intro\">"
             "<b>Error</b> is |predicted − measured| / measured, the seed's (3.2); \"within ±10%\" is the share of rows with "
             "an error of at most 10%. <b>Held-out rows</b>: a fixed share of the rows, chosen by a hash of each row's "
             "identity (layer, device, pass, precision), never reaches training; every per-layer number here is computed on "
             "them. <b>PALEO</b> is FLOPs / peak + bytes / bandwidth (platform percent of peak 1); the <b>roofline</b> is "
             "max(FLOPs / peak, bytes / bandwidth) per phase. The studies (learning curve, GPU left out) train new models "
             "from scratch with the model's settings; the committed model itself is not changed.</p>\n</section>\n";
        return h.str();
    }

    const Predictor& m_model;
    const Dataset& m_ds;
    const DeviceRegistry& m_reg;
    const ReportOptions& m_o;
    const ValidationData* m_validation;
    const LayerTimingData* m_layers;
    std::vector<LayerComparison> m_layer_rows;  ///< m_layers' rows, predicted
    std::vector<NetworkComparison> m_comparisons;  ///< the validation rows estimated (check_validation)
    std::set<std::string> m_skipped;               ///< validation networks not in the zoo
    std::optional<ModelValidation> m_models;       ///< NeuSight's whole models compared (neusight_labels)

    Dataset m_covered;                   ///< measured rows of kinds, passes and precisions the model covers
    std::vector<const Sample*> m_test;   ///< the rows evaluated
    std::vector<eval_point> m_points;
    std::vector<ErrorStats> m_ours, m_paleo, m_roof;
    std::set<std::string> m_kinds, m_devices;
    std::map<std::string, std::string> m_device_color;
    std::string m_data_hash;
    bool m_all_rows = false;
    std::size_t m_failed = 0, m_uncovered_kind = 0, m_uncovered_pass = 0, m_excluded_source = 0;
    int m_chart_id = 0;
    double m_study_seconds = 0;
    std::map<std::string, std::pair<double, double>> m_loo_summary;
    double m_net_err_ours = 0, m_net_err_paleo = 0;
    std::size_t m_net_n = 0;
};

}  // namespace detail::reporting
}  // namespace perfcast
