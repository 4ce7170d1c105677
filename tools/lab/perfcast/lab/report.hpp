/**
 * @file report.hpp
 * @brief The accuracy report: one self-contained HTML page (inline CSS and SVG drawn here,
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
};

/**
 * @brief The training options the studies use: the model's own (features, target, MLP,
 * held-out share and salt), so the learning curve's largest share retrains the model.
 */
inline TrainOptions study_options_of(const Predictor& p, bool quick) {
    TrainOptions o;
    o.name = p.name();
    o.holdout = p.info().holdout > 0 ? p.info().holdout : 0.1;
    o.split_salt = p.info().split_salt;
    if (!p.models().empty()) {
        const KindEnsemble& m = p.models().begin()->second;
        o.features = m.features;
        o.relative_to_roofline = m.relative_to_roofline;
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
        select_rows();
        const std::string errors = section_errors();
        const std::string scatter = section_scatter();
        const std::string sweep = section_sweep();
        const std::string curve = section_learning_curve();
        const std::string loo = section_leave_one_out();
        const std::string nets = section_networks();
        const std::string in_place = m_layers ? section_layers() : std::string();
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
          << "<a href=\"#method\">how to read</a></nav>\n";
        h << summary();
        h << errors << scatter << sweep << curve << loo << nets << in_place << method();
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
        row("trained on", std::to_string(t.rows - t.test_rows) + " of " + std::to_string(t.rows) + " measured rows from " + devs +
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
    std::string section_errors() {
        std::ostringstream h;
        h << "<section id=\"errors\">\n<h2>Per-layer errors (the seed's Tables 4.4–4.9)</h2>\n";
        h << "<p class=\"intro\">One table per layer kind, one line per pass, precision and device, and a bold line over all "
             "devices. Mean, median, standard deviation and maximum of the relative error, and the share of rows within ±10% "
             "and ±20%, for the learned model; PALEO's and the roofline's errors on the same rows on the right. Cells are "
             "tinted from green (good) to red (bad). The bar charts show the mean errors per device.</p>\n";
        if (m_points.empty()) {
            h << "<p class=\"warn\">No rows to evaluate.</p>\n</section>\n";
            return h.str();
        }
        std::string figs;
        for (const std::string& k : m_kinds) {
            h << "<h3>" << svg::escape(k) << "</h3>\n<table>\n<tr><th>pass</th><th>dtype</th><th>device</th><th>n</th>"
                 "<th>mean</th><th>median</th><th>std</th><th>max</th><th>≤10%</th><th>≤20%</th><th>PALEO mean</th>"
                 "<th>PALEO median</th><th>PALEO ≤20%</th><th>roofline mean</th><th>roofline ≤20%</th></tr>\n";
            std::vector<std::string> cats;
            std::vector<double> ours, paleo, roof;
            for (std::size_t i = 0; i < m_ours.size(); ++i) {
                const ErrorStats& s = m_ours[i];
                if (s.kind != k) continue;
                const ErrorStats& p = m_paleo[i];
                const ErrorStats& r = m_roof[i];
                h << "<tr" << (s.device == "*" ? " class=\"all\"" : "") << ">" << td(s.pass) << td(s.dtype)
                  << td(dev_name(s.device)) << tdn(std::to_string(s.n)) << err_cell(s.mean_rel_error)
                  << err_cell(s.median_rel_error) << tdn(pct(s.std_rel_error)) << tdn(pct(s.max_rel_error, 0))
                  << share_cell(s.within_10) << share_cell(s.within_20) << err_cell(p.mean_rel_error)
                  << err_cell(p.median_rel_error) << share_cell(p.within_20) << err_cell(r.mean_rel_error)
                  << share_cell(r.within_20) << "</tr>\n";
                if (s.device == "*") continue;
                // one device: name the bars by pass and precision; several: by device (and pass and precision)
                const std::string pd = s.pass + " " + s.dtype;
                cats.push_back(m_devices.size() == 1 && many_pass_dtype()
                                   ? pd
                                   : dev_name(s.device) + (many_pass_dtype() ? " " + pd : std::string()));
                ours.push_back(s.mean_rel_error);
                paleo.push_back(p.mean_rel_error);
                roof.push_back(r.mean_rel_error);
            }
            h << "</table>\n";
            if (!cats.empty())
                figs += "<figure>" +
                        bar_chart(k + (m_devices.size() == 1 && many_pass_dtype() ? ": mean error per pass and precision"
                                                                                   : ": mean error per device"),
                                  cats, {"ours", "PALEO", "roofline"}, {ours, paleo, roof},
                                  {c_ours, c_paleo, c_roof}, 640, 300) +
                        "</figure>\n";
        }
        h << "<div class=\"figs\">\n" << figs << "</div>\n</section>\n";
        return h.str();
    }

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
    std::string section_scatter() {
        std::ostringstream h;
        h << "<section id=\"scatter\">\n<h2>Predicted vs measured</h2>\n";
        h << "<p class=\"intro\">Each dot is one held-out layer configuration: measured time across, predicted time up, both "
             "on log scales, coloured by device. A perfect predictor puts every dot on the diagonal; the shaded bands are "
             "±10% (dark) and ±20% (light). The model is on the left, PALEO on the same rows in the middle (dots below the "
             "diagonal are under-predictions). On the right, the share of rows whose error is at most x, for the model, "
             "PALEO and the roofline: the higher and further left the curve, the better.</p>\n";
        if (m_points.empty()) {
            h << "<p class=\"warn\">No rows to evaluate.</p>\n</section>\n";
            return h.str();
        }
        for (const std::string& k : m_kinds) {
            std::vector<const eval_point*> pts;
            for (const eval_point& p : m_points)
                if (to_string(kind(p.s->layer)) == k) pts.push_back(&p);
            if (pts.empty()) continue;
            const std::vector<std::size_t> keep = thin(pts.size(), m_o.max_scatter_points);
            auto panel = [&](const std::string& who, bool ours) {
                // each panel spans the measured times and its own predictions, so no dot is hidden
                double lo = 1e300, hi = 0;
                for (const eval_point* p : pts)
                    for (double v : {p->s->time_us, ours ? p->ours : p->paleo})
                        if (v > 0 && std::isfinite(v)) {
                            lo = std::min(lo, v);
                            hi = std::max(hi, v);
                        }
                lo /= 1.3;
                hi *= 1.3;
                svg::Chart c(next_id(), 420, 430);
                c.title(k + ": " + who).x_label("measured time").y_label("predicted time");
                c.x_axis(svg::Axis::log, lo, hi, svg::time_us_label).y_axis(svg::Axis::log, lo, hi, svg::time_us_label);
                svg::Style b20, b10, diag;
                b20.color = "#2ca02c";
                b20.opacity = 0.10;
                b10.color = "#2ca02c";
                b10.opacity = 0.16;
                diag.color = "#333";
                diag.width = 1;
                c.area({{lo, lo * 1.2}, {hi, hi * 1.2}, {hi, hi * 0.8}, {lo, lo * 0.8}}, b20);
                c.area({{lo, lo * 1.1}, {hi, hi * 1.1}, {hi, hi * 0.9}, {lo, lo * 0.9}}, b10);
                c.line({{lo, lo}, {hi, hi}}, diag);
                std::vector<svg::LegendEntry> legend;
                for (const std::string& d : m_devices) {
                    std::vector<svg::Point> xy;
                    for (std::size_t i : keep)
                        if (pts[i]->s->device == d) xy.push_back({pts[i]->s->time_us, ours ? pts[i]->ours : pts[i]->paleo});
                    if (xy.empty()) continue;
                    svg::Style st;
                    st.color = color_of(d);
                    st.opacity = 0.55;
                    st.radius = 1.8;
                    c.points(std::move(xy), st);
                    svg::Style ls = st;
                    ls.opacity = 1;
                    legend.push_back({dev_name(d), ls, svg::LegendEntry::Mark::dot});
                }
                c.legend(legend);
                return c.render();
            };
            h << "<h3>" << svg::escape(k) << " (" << rows_text(pts.size())
              << (keep.size() < pts.size() ? ", " + std::to_string(keep.size()) + " drawn, evenly thinned" : std::string())
              << ")</h3>\n<div class=\"figs\">\n<figure>" << panel("the model", true) << "</figure>\n<figure>"
              << panel("PALEO", false) << "</figure>\n<figure>" << error_cdf(k, pts) << "</figure>\n</div>\n";
        }
        h << "</section>\n";
        return h.str();
    }

    std::string error_cdf(const std::string& k, const std::vector<const eval_point*>& pts) {
        svg::Chart c(next_id(), 420, 430);
        c.title(k + ": share of rows within an error").x_label("relative error (at most)").y_label("share of rows");
        c.x_axis(svg::Axis::linear, 0, 1.0, svg::percent_label).y_axis(svg::Axis::linear, 0, 1.0, svg::percent_label);
        svg::Style guide;
        guide.color = "#999";
        guide.width = 1;
        guide.dash = "3 3";
        c.vline(0.1, guide).vline(0.2, guide);
        std::vector<svg::LegendEntry> legend;
        const std::pair<const char*, const char*> who[] = {{"ours", c_ours}, {"PALEO", c_paleo}, {"roofline", c_roof}};
        for (std::size_t w = 0; w < 3; ++w) {
            std::vector<double> e;
            for (const eval_point* p : pts)
                e.push_back(rel_error(w == 0 ? p->ours : w == 1 ? p->paleo : p->roof, p->s->time_us));
            std::sort(e.begin(), e.end());
            std::vector<svg::Point> xy{{0, 0}};
            const double n = static_cast<double>(e.size());
            for (std::size_t i : thin(e.size(), 400)) xy.push_back({std::min(e[i], 1.05), static_cast<double>(i + 1) / n});
            if (!e.empty() && e.back() < 1.05) xy.push_back({1.05, 1.0});
            svg::Style st;
            st.color = who[w].second;
            st.width = w == 0 ? 2.2 : 1.6;
            if (w == 2) st.dash = "5 3";
            c.line(std::move(xy), st);
            legend.push_back({who[w].first, st, svg::LegendEntry::Mark::line});
        }
        c.legend(legend);
        return c.render();
    }

    // ---------------------------------------------------------------- sweep (Figs 4.2, 4.3)
    std::string section_sweep() {
        std::ostringstream h;
        h << "<section id=\"sweep\">\n<h2>Along a sweep of configurations (the seed's Figs 4.2 and 4.3)</h2>\n";
        h << "<p class=\"intro\">Predicted and measured times of held-out configurations of one device, ordered by their "
             "FLOPs, then bytes (each point one configuration, time on a log scale), with the model's signed error of each point below "
             "it: below zero the model under-predicts, as the seed found for small layers. Where the held-out rows contain a "
             "family that varies one parameter with the others fixed, it is plotted against that parameter too.</p>\n";
        if (m_points.empty()) {
            h << "<p class=\"warn\">No rows to evaluate.</p>\n</section>\n";
            return h.str();
        }
        h << "<div class=\"figs\">\n";
        std::string families;
        for (const std::string& k : m_kinds) {
            std::map<std::string, std::vector<const eval_point*>> by_dev;
            for (const eval_point& p : m_points)
                if (to_string(kind(p.s->layer)) == k)
                    by_dev[p.s->device + "|" + std::string(to_string(p.s->pass)) + "|" + std::string(to_string(p.s->dtype))]
                        .push_back(&p);
            const auto best = std::max_element(by_dev.begin(), by_dev.end(),
                                               [](const auto& a, const auto& b) { return a.second.size() < b.second.size(); });
            std::vector<const eval_point*> rows = best->second;
            // by FLOPs, then bytes (the only order for kinds that do no arithmetic: concat)
            const auto work = [](const eval_point* p) {
                const Cost c = pass_cost(p->s->layer, p->s->pass, p->s->dtype);
                return std::pair{c.flops, c.bytes};
            };
            std::stable_sort(rows.begin(), rows.end(), [&](const eval_point* a, const eval_point* b) { return work(a) < work(b); });
            std::vector<const eval_point*> sel;
            for (std::size_t i : thin(rows.size(), m_o.sweep_points)) sel.push_back(rows[i]);
            const Sample& s0 = *sel.front()->s;
            const std::string what = k + " on " + dev_name(s0.device) + ", " + std::string(to_string(s0.pass)) + ", " +
                                     std::string(to_string(s0.dtype));
            std::vector<svg::Point> meas, ours, paleo;
            std::vector<double> err;
            double lo = 1e300, hi = 0;
            std::size_t under = 0;
            for (std::size_t i = 0; i < sel.size(); ++i) {
                const double x = static_cast<double>(i + 1);
                meas.push_back({x, sel[i]->s->time_us});
                ours.push_back({x, sel[i]->ours});
                paleo.push_back({x, sel[i]->paleo});
                err.push_back((sel[i]->ours - sel[i]->s->time_us) / sel[i]->s->time_us);
                under += err.back() < 0 ? 1 : 0;
                for (double v : {sel[i]->s->time_us, sel[i]->ours, sel[i]->paleo})
                    if (v > 0) lo = std::min(lo, v), hi = std::max(hi, v);
            }
            const double n = static_cast<double>(sel.size());
            svg::Chart top(next_id(), 640, 300);
            top.title(k + " on " + dev_name(s0.device) + ": " + std::to_string(sel.size()) + " held-out configurations")
                .y_label("time")
                .x_axis(svg::Axis::linear, 0.5, n + 0.5, [](double v) { return svg::general(v, 4); })
                .y_axis(svg::Axis::log, lo / 1.2, hi * 1.2, svg::time_us_label);
            svg::Style sm, so, sp;
            sm.color = c_measured;
            sm.width = 1.8;
            so.color = c_ours;
            so.width = 1.4;
            sp.color = c_paleo;
            sp.width = 1.1;
            sp.dash = "4 3";
            top.line(paleo, sp).line(meas, sm).line(ours, so);
            svg::Style dm = sm, dq = so;
            dm.radius = 1.8;
            dq.radius = 1.8;
            top.points(meas, dm).points(ours, dq);
            top.legend({{"measured", sm, svg::LegendEntry::Mark::line},
                        {"predicted (model)", so, svg::LegendEntry::Mark::line},
                        {"PALEO", sp, svg::LegendEntry::Mark::line}});
            double m = 0.05;
            for (double e : err) m = std::max(m, std::fabs(e));
            m = std::min(std::ceil(m * 10) / 10, 1.0);
            svg::Chart bottom(next_id(), 640, 190);
            bottom.x_label("configuration (ordered by FLOPs, then bytes)")
                .y_label("signed error")
                .x_axis(svg::Axis::linear, 0.5, n + 0.5, [](double v) { return svg::general(v, 4); })
                .y_axis(svg::Axis::linear, -m, m, [](double v) { return (v > 0 ? "+" : "") + svg::general(100 * v, 3) + "%"; });
            for (std::size_t i = 0; i < err.size(); ++i) {
                svg::Style b;
                b.color = err[i] < 0 ? "#c0504d" : c_ours;
                const double x = static_cast<double>(i + 1);
                bottom.rect(x - 0.38, x + 0.38, 0, std::max(-m, std::min(m, err[i])), b);
            }
            svg::Style zero;
            zero.color = "#333";
            zero.width = 1;
            bottom.hline(0, zero);
            svg::Style su;
            su.color = "#c0504d";
            bottom.legend({{"over-predicted", so, svg::LegendEntry::Mark::box}, {"under-predicted", su, svg::LegendEntry::Mark::box}});
            h << "<figure>" << top.render() << bottom.render() << "<figcaption>" << svg::escape(what) << ": " << under << " of "
              << sel.size() << " configurations (" << pct(static_cast<double>(under) / n, 0)
              << ") under-predicted; chosen evenly by FLOPs from " << best->second.size()
              << " held-out rows. Errors beyond ±" << pct(m, 0) << " are cut at the edge.</figcaption></figure>\n";
            families += family_figure(k);
        }
        h << "</div>\n";
        if (!families.empty()) h << "<h3>One parameter varied</h3>\n<div class=\"figs\">\n" << families << "</div>\n";
        else
            h << "<p class=\"note\">No one-parameter family (four or more held-out configurations that differ in a single "
                 "parameter) is in these data: their configurations are sampled at random, so only the FLOPs-ordered sweep "
                 "is shown.</p>\n";
        h << "</section>\n";
        return h.str();
    }

    /** @brief The largest one-parameter family of held-out rows of a kind, plotted against the parameter. */
    std::string family_figure(const std::string& k) {
        static constexpr std::array<std::string_view, 10> params{"batch",        "seq",          "in_features", "out_features",
                                                                 "in_channels", "out_channels", "channels",    "size",
                                                                 "kernel_h",    "stride_h"};
        std::string best_param;
        std::vector<const eval_point*> best;
        for (std::string_view param : params) {
            std::map<std::string, std::vector<const eval_point*>> groups;
            for (const eval_point& p : m_points)
                if (to_string(kind(p.s->layer)) == k && param_value(*p.s, param)) groups[family_key(*p.s, param)].push_back(&p);
            for (auto& [key, g] : groups) {
                std::set<double> values;
                for (const eval_point* p : g) values.insert(*param_value(*p->s, param));
                if (values.size() >= 4 && values.size() > best.size()) {
                    best = g;
                    best_param = std::string(param);
                }
            }
        }
        if (best.empty()) return {};
        std::sort(best.begin(), best.end(), [&](const eval_point* a, const eval_point* b) {
            return *param_value(*a->s, best_param) < *param_value(*b->s, best_param);
        });
        double xlo = 1e300, xhi = -1e300, lo = 1e300, hi = 0;
        std::vector<svg::Point> meas, ours, paleo;
        std::vector<double> ticks;
        double err_sum = 0;
        for (const eval_point* p : best) {
            const double x = *param_value(*p->s, best_param);
            xlo = std::min(xlo, x);
            xhi = std::max(xhi, x);
            ticks.push_back(x);
            meas.push_back({x, p->s->time_us});
            ours.push_back({x, p->ours});
            paleo.push_back({x, p->paleo});
            err_sum += rel_error(p->ours, p->s->time_us);
            for (double v : {p->s->time_us, p->ours, p->paleo})
                if (v > 0) lo = std::min(lo, v), hi = std::max(hi, v);
        }
        const bool logx = xlo > 0 && xhi / xlo >= 8;
        const Sample& s0 = *best.front()->s;
        std::string fixed_params;
        for (const auto& [col, val] : layer_cells(s0.layer))
            if (col != "kind" && col != best_param && !(best_param == "size" && (col == "height" || col == "width")))
                fixed_params += (fixed_params.empty() ? "" : ", ") + std::string(col) + " " + val;
        svg::Chart c(next_id(), 640, 320);
        c.title(k + " on " + dev_name(s0.device) + ": " + best_param + " varied")
            .x_label(best_param)
            .y_label("time")
            .x_axis(logx ? svg::Axis::log : svg::Axis::linear, logx ? xlo / 1.15 : xlo - (xhi - xlo) * 0.04,
                    logx ? xhi * 1.15 : xhi + (xhi - xlo) * 0.04, [](double v) { return svg::general(v, 4); })
            .y_axis(svg::Axis::log, lo / 1.2, hi * 1.2, svg::time_us_label);
        if (ticks.size() <= 12) c.x_ticks(ticks);
        svg::Style sm, so, sp;
        sm.color = c_measured;
        sm.width = 2;
        so.color = c_ours;
        sp.color = c_paleo;
        sp.dash = "4 3";
        c.line(paleo, sp).line(meas, sm).line(ours, so).points(meas, sm).points(ours, so);
        c.legend({{"measured", sm, svg::LegendEntry::Mark::line},
                  {"predicted (model)", so, svg::LegendEntry::Mark::line},
                  {"PALEO", sp, svg::LegendEntry::Mark::line}});
        return "<figure>" + c.render() + "<figcaption>" + svg::escape(std::to_string(best.size()) + " held-out " + k +
                                                                      " rows on " + dev_name(s0.device) + ", " +
                                                                      std::string(to_string(s0.pass)) + ", " +
                                                                      std::string(to_string(s0.dtype)) + "; fixed: " +
                                                                      fixed_params + "; mean error of the model " +
                                                                      pct(err_sum / static_cast<double>(best.size()))) +
               "</figcaption></figure>\n";
    }

    // ---------------------------------------------------------------- learning curve (Fig 3.4)
    TrainOptions study_options() const {
        return m_o.study_options ? *m_o.study_options : study_options_of(m_model, m_o.quick);
    }

    std::string section_learning_curve() {
        std::ostringstream h;
        h << "<section id=\"learning-curve\">\n<h2>Learning curve (the seed's Fig 3.4)</h2>\n";
        h << "<p class=\"intro\">Models trained from scratch on growing shares of the training rows, each evaluated on the "
             "same held-out rows: the mean error against the number of training rows. Where the curve flattens, more data "
             "of the same kind no longer helps (the seed found that near 20,000 rows). PALEO needs no training; its error "
             "on the same rows is the dashed line.</p>\n";
        if (!m_o.learning_curve) {
            h << "<p class=\"note\">Not run (turned off for this report).</p>\n</section>\n";
            return h.str();
        }
        if (m_covered.rows.empty()) {
            h << "<p class=\"warn\">No rows to train on.</p>\n</section>\n";
            return h.str();
        }
        std::vector<double> fractions = m_o.fractions;
        if (fractions.empty()) fractions = m_o.quick ? std::vector<double>{0.1, 0.3, 1.0} : std::vector<double>{0.05, 0.1, 0.25, 0.5, 1.0};
        const TrainOptions so = study_options();
        std::vector<StudyResult> results;
        const auto start = std::chrono::steady_clock::now();
        try {
            results = learning_curve(m_covered, m_reg, so, fractions, [&](const std::string& l) {
                if (m_o.progress) m_o.progress("learning curve: " + l);
            });
        } catch (const error& e) {
            h << "<p class=\"warn\">The learning curve could not be computed: " << svg::escape(e.what()) << "</p>\n</section>\n";
            return h.str();
        }
        m_study_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        // per kind (over all devices): rows -> mean error
        std::map<std::string, std::vector<std::pair<double, const ErrorStats*>>> curve;
        std::map<std::string, double> paleo_mean;
        double xlo = 1e300, xhi = 0, ymax = 0;
        for (const StudyResult& r : results)
            for (std::size_t i = 0; i < r.ours.size(); ++i) {
                const ErrorStats& s = r.ours[i];
                if (s.device != "*") continue;
                const std::string key = s.kind + (many_pass_dtype() ? " " + s.pass + " " + s.dtype : std::string());
                curve[key].push_back({static_cast<double>(r.train_rows), &s});
                paleo_mean[key] = r.paleo[i].mean_rel_error;
                xlo = std::min(xlo, static_cast<double>(r.train_rows));
                xhi = std::max(xhi, static_cast<double>(r.train_rows));
                ymax = std::max({ymax, s.mean_rel_error, r.paleo[i].mean_rel_error});
            }
        if (curve.empty()) {
            h << "<p class=\"warn\">No results.</p>\n</section>\n";
            return h.str();
        }
        // taller with more curves: the legend takes a line per curve
        svg::Chart c(next_id(), 640, 330 + 18.0 * static_cast<double>(curve.size()));
        c.title("mean error vs training rows (all devices)")
            .x_label("training rows (all kinds together)")
            .y_label("mean relative error")
            .x_axis(svg::Axis::log, xlo / 1.3, xhi * 1.3, svg::count_label)
            .y_axis(svg::Axis::linear, 0, ymax * 1.12, svg::percent_label);
        std::vector<double> xt;
        for (const StudyResult& r : results) xt.push_back(static_cast<double>(r.train_rows));
        c.x_ticks(xt);
        std::vector<svg::LegendEntry> legend;
        std::size_t ci = 0;
        for (const auto& [key, pts] : curve) {
            svg::Style st, sp;
            st.color = palette()[ci % palette().size()];
            st.width = 2.2;
            sp.color = st.color;
            sp.width = 1.2;
            sp.dash = "5 4";
            sp.opacity = 0.8;
            std::vector<svg::Point> xy;
            for (const auto& [x, s] : pts) xy.push_back({x, s->mean_rel_error});
            c.hline(paleo_mean[key], sp).line(xy, st).points(xy, st);
            for (const auto& [x, s] : pts) {
                if (curve.size() > 3) break;  // too many curves to label every point; the table has the numbers
                svg::Style ts;
                ts.color = st.color;
                // the label goes above the point when it is the highest at this size, below otherwise
                bool highest = true;
                for (const auto& [other, opts] : curve)
                    for (const auto& [ox, os] : opts)
                        if (other != key && ox == x && os->mean_rel_error > s->mean_rel_error) highest = false;
                c.text(x, s->mean_rel_error, pct(s->mean_rel_error), ts, highest ? -6 : 15);
            }
            legend.push_back({key + " (model)", st, svg::LegendEntry::Mark::line});
            legend.push_back({key + " PALEO", sp, svg::LegendEntry::Mark::line});
            ++ci;
        }
        c.legend(legend);
        h << "<div class=\"figs\"><figure>" << c.render() << "</figure>\n<div>\n<table>\n<tr><th>share</th><th>training rows</th>"
             "<th>train s</th><th>kind</th><th>test rows</th><th>mean</th><th>median</th><th>max</th><th>≤10%</th><th>≤20%</th>"
             "<th>PALEO mean</th></tr>\n";
        for (std::size_t ri = 0; ri < results.size(); ++ri) {
            const StudyResult& r = results[ri];
            for (std::size_t i = 0; i < r.ours.size(); ++i) {
                const ErrorStats& s = r.ours[i];
                if (s.device != "*") continue;
                h << "<tr>" << tdn(svg::general(fractions[ri], 3)) << tdn(std::to_string(r.train_rows))
                  << tdn(fixed(r.train_seconds, 1)) << td(s.kind + (many_pass_dtype() ? " " + s.pass + " " + s.dtype : ""))
                  << tdn(std::to_string(s.n)) << err_cell(s.mean_rel_error) << err_cell(s.median_rel_error)
                  << tdn(pct(s.max_rel_error, 0)) << share_cell(s.within_10) << share_cell(s.within_20)
                  << err_cell(r.paleo[i].mean_rel_error) << "</tr>\n";
            }
        }
        h << "</table>\n<p class=\"note\">Trained with the model's own settings (" << svg::escape(std::string(to_string(so.features)))
          << " features, up to " << so.mlp.max_epochs << " epochs, patience " << so.mlp.patience << ")"
          << (m_o.quick ? "; <b>quick</b>: fewer shares and epochs, so the errors are somewhat higher than a full run's" : "")
          << ". The largest share is the model's own training set.</p>\n</div></div>\n</section>\n";
        return h.str();
    }

    bool many_pass_dtype() const { return m_model.info().passes.size() * m_model.info().dtypes.size() > 1; }

    // ---------------------------------------------------------------- leave one GPU out (Table 4.19)
    std::string section_leave_one_out() {
        std::ostringstream h;
        h << "<section id=\"leave-one-out\">\n<h2>GPU left out of training (the seed's Table 4.19)</h2>\n";
        h << "<p class=\"intro\">For each device in the data, a model is trained on the other devices' rows only and "
             "predicts every row of the device left out, knowing it only by its hardware features (SMs, clock, peak FLOP/s, "
             "bandwidth, cache). This is how well the model predicts a GPU you do not own. Bars: mean error per device left "
             "out, the model beside PALEO (which needs no training and so is not affected).</p>\n";
        std::set<std::string> devices;
        for (const Sample& s : m_covered.rows) devices.insert(s.device);
        if (!m_o.leave_one_out) {
            h << "<p class=\"note\">Not run (turned off for this report).</p>\n</section>\n";
            return h.str();
        }
        if (devices.size() < 2) {
            h << "<p class=\"note\">Not run: the data hold rows of " << devices.size()
              << " device; leaving one out needs at least two.</p>\n</section>\n";
            return h.str();
        }
        const TrainOptions so = study_options();
        std::vector<StudyResult> results;
        const auto start = std::chrono::steady_clock::now();
        try {
            results = leave_one_device_out(m_covered, m_reg, so, [&](const std::string& l) {
                if (m_o.progress) m_o.progress("leave one out: " + l);
            });
        } catch (const error& e) {
            h << "<p class=\"warn\">Leave-one-out could not be computed: " << svg::escape(e.what()) << "</p>\n</section>\n";
            return h.str();
        }
        m_study_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::map<std::string, std::vector<std::string>> cats;
        std::map<std::string, std::vector<double>> ours, paleo, median;
        std::map<std::string, std::string> table_rows;
        std::ostringstream table;
        table << "<table>\n<tr><th>left out</th><th>kind</th><th>train rows</th><th>n</th><th>mean</th><th>median</th>"
                 "<th>std</th><th>max</th><th>≤10%</th><th>≤20%</th><th>PALEO mean</th><th>PALEO ≤20%</th></tr>\n";
        for (const StudyResult& r : results) {
            const std::string left = r.label.substr(r.label.find(": ") + 2);
            for (std::size_t i = 0; i < r.ours.size(); ++i) {
                const ErrorStats& s = r.ours[i];
                if (s.device != "*") continue;
                const std::string key = s.kind + (many_pass_dtype() ? " " + s.pass + " " + s.dtype : std::string());
                cats[key].push_back(dev_name(left));
                ours[key].push_back(s.mean_rel_error);
                median[key].push_back(s.median_rel_error);
                paleo[key].push_back(r.paleo[i].mean_rel_error);
                table_rows[key] += "<tr>" + td(dev_name(left)) + td(key) + tdn(std::to_string(r.train_rows)) +
                                   tdn(std::to_string(s.n)) + err_cell(s.mean_rel_error) + err_cell(s.median_rel_error) +
                                   tdn(pct(s.std_rel_error)) + tdn(pct(s.max_rel_error, 0)) + share_cell(s.within_10) +
                                   share_cell(s.within_20) + err_cell(r.paleo[i].mean_rel_error) +
                                   share_cell(r.paleo[i].within_20) + "</tr>\n";
            }
        }
        for (const auto& [key, rows] : table_rows) table << rows;
        table << "</table>\n";
        h << "<div class=\"figs\">\n";
        for (const auto& [key, c] : cats) {
            h << "<figure>"
              << bar_chart(key + ": device left out of training", c, {"model, mean", "model, median", "PALEO, mean"},
                           {ours[key], median[key], paleo[key]}, {c_ours, "#7fb0dc", c_paleo}, 640, 320)
              << "</figure>\n";
            double a = 0, b = 0;
            for (std::size_t i = 0; i < ours[key].size(); ++i) a += ours[key][i], b += paleo[key][i];
            m_loo_summary[key] = {a / static_cast<double>(ours[key].size()), b / static_cast<double>(ours[key].size())};
        }
        h << "</div>\n" << table.str();
        h << "<p class=\"note\">Each variant trained with the model's settings" << (m_o.quick ? " (quick: fewer epochs)" : "")
          << "; " << results.size() << " models.</p>\n</section>\n";
        return h.str();
    }

    // ---------------------------------------------------------------- whole networks (Tables 4.11-4.14)
    std::string section_networks() {
        std::ostringstream h;
        h << "<section id=\"networks\">\n<h2>Whole networks over batch size (the seed's Tables 4.11–4.14)</h2>\n";
        if (m_validation && !m_validation->rows.empty()) return h.str() + validated_networks();
        h << "<p class=\"intro\">A network's time is the sum of its layers' predicted times (the model for the layer kinds it "
             "covers, the roofline for the others: batch norm, activations, pooling, additions). Time against batch size, "
             "one line per device the model was trained on, PALEO dashed in the same colour.</p>\n";
        h << "<p class=\"warn\"><b>No measured whole-network data was given</b> (<code>--validation FILE.csv</code>), so these "
             "are predictions only, with nothing to compare them to.</p>\n";
        if (m_model.info().passes.empty() || m_model.info().dtypes.empty()) return h.str() + "</section>\n";
        const Pass pass = parse_pass(m_model.info().passes.front()).value_or(Pass::inference);
        const DType dt = parse_dtype(m_model.info().dtypes.front()).value_or(DType::fp32);
        std::vector<const Device*> devs;
        for (const std::string& id : m_model.info().devices)
            if (const Device* d = m_reg.find(id)) devs.push_back(d);
        std::vector<double> bt;
        for (std::int64_t b : m_o.batches) bt.push_back(static_cast<double>(b));
        if (devs.empty() || bt.empty()) return h.str() + "</section>\n";
        std::ostringstream table;
        table << "<table>\n<tr><th>network</th><th>device</th>";
        for (std::int64_t b : m_o.batches) table << "<th>batch " << b << "</th>";
        table << "<th>share by the roofline</th></tr>\n";
        h << "<div class=\"figs\">\n";
        for (const char* name : {"alexnet", "vgg16", "resnet50", "inception_v3"}) {
            const auto base = zoo::find(name, 1);
            if (!base) continue;
            svg::Chart c(next_id(), 630, 340);
            double lo = 1e300, hi = 0;
            std::vector<svg::LegendEntry> legend;
            std::vector<std::pair<std::vector<svg::Point>, std::vector<svg::Point>>> lines;
            for (const Device* d : devs) {
                std::vector<svg::Point> ours, paleo;
                table << "<tr>" << td(base->name) << td(std::string(d->name));
                double roof_share = 0;
                for (std::int64_t b : m_o.batches) {
                    const NetworkEstimate e = estimate(base->with_batch(b), Target(*d, pass, dt), m_model);
                    ours.push_back({static_cast<double>(b), e.total_us / 1e3});
                    paleo.push_back({static_cast<double>(b), e.paleo_total_us / 1e3});
                    lo = std::min({lo, e.total_us / 1e3, e.paleo_total_us / 1e3});
                    hi = std::max({hi, e.total_us / 1e3, e.paleo_total_us / 1e3});
                    table << tdn(fixed(e.total_us / 1e3, 2) + " ms");
                    roof_share = roofline_share(e);
                }
                table << tdn(pct(roof_share, 0)) << "</tr>\n";
                svg::Style so, sp;
                so.color = m_device_color.count(std::string(d->id)) ? m_device_color.at(std::string(d->id))
                                                                   : palette()[legend.size() % palette().size()];
                so.width = 2;
                sp = so;
                sp.width = 1.2;
                sp.dash = "4 3";
                c.line(paleo, sp).line(ours, so).points(ours, so);
                legend.push_back({std::string(d->name), so, svg::LegendEntry::Mark::line});
            }
            svg::Style sp;
            sp.color = "#555";
            sp.width = 1.2;
            sp.dash = "4 3";
            legend.push_back({"PALEO (dashed)", sp, svg::LegendEntry::Mark::line});
            c.title(base->name + ", " + std::string(to_string(pass)) + ", " + std::string(to_string(dt)) + ": predicted")
                .x_label("batch size")
                .y_label("time per batch (ms)")
                .x_axis(svg::Axis::log, bt.front() / 1.25, bt.back() * 1.25, [](double v) { return svg::general(v, 4); })
                .x_ticks(bt)
                .y_axis(svg::Axis::log, lo / 1.3, hi * 1.3, [](double v) { return svg::general(v, 6); })
                .legend(legend);
            h << "<figure>" << c.render() << "</figure>\n";
        }
        table << "</table>\n";
        h << "</div>\n<h3>Predicted time per batch (the model)</h3>\n" << table.str();
        h << "<p class=\"note\">\"Share by the roofline\": the part of the largest batch's predicted time that comes from "
             "layers the model has no predictor for.</p>\n</section>\n";
        return h.str();
    }

    /** @brief Layers timed inside the networks: the error of each kind's sum against batch size. */
    std::string section_layers() {
        std::ostringstream h;
        h << "<section id=\"layers\">\n<h2>Layers inside the networks</h2>\n";
        h << "<p class=\"intro\">Each operation of the networks timed in place (" << svg::escape(m_layers->file)
          << ", <code>tools/measure_torch.py --layers</code>: torch.fx nodes run one by one, with the perfcast layers "
             "they stand for) against the model's prediction of its layers. One chart per network and pass: the signed "
             "error of each kind's summed time ((predicted − measured) / measured) against batch size, the band is "
             "±10%. The whole network's error is these weighted by the kinds' shares of the time, in the tables below."
             "</p>\n";
        const LayerValidationSummary all = summarize_layers(m_layer_rows);
        // per network and pass (precision, device, threads and allocator apart): kind -> batch -> (measured, predicted)
        struct Sums {
            double measured = 0, predicted = 0;
        };
        std::map<std::string, std::map<std::string, std::map<std::int64_t, Sums>>> charts;
        std::map<std::string, double> totals;  // chart -> measured ms, all its operations
        for (const LayerComparison& c : m_layer_rows) {
            const LayerTimingRow& r = *c.row;
            std::string key = r.network + ", " + std::string(to_string(r.pass)) + ", " + std::string(to_string(r.dtype));
            if (!r.malloc.empty()) key += ", malloc " + r.malloc;
            totals[key] += r.time_ms;
            if (!c.predicted() || c.predicted_us <= 0) continue;  // free operations, and those predicted to cost nothing
            Sums& sm = charts[key][r.kind][r.batch];
            sm.measured += r.time_ms;
            sm.predicted += c.predicted_us / 1e3;
        }
        std::map<std::string, std::string> kind_color;
        for (const LayerGroupSummary& k : all.kinds)
            kind_color.emplace(k.key, palette()[kind_color.size() % palette().size()]);
        h << "<div class=\"figs\">\n";
        for (const auto& [key, kinds] : charts) {
            const double total = totals.at(key);
            std::set<double> batches;
            double lo = -0.2, hi = 0.2;
            svg::Chart c(next_id(), 630, 340);
            std::vector<svg::LegendEntry> legend;
            for (const auto& [kind_name, by_batch] : kinds) {
                std::vector<svg::Point> pts;
                double measured = 0;
                for (const auto& [b, sm] : by_batch) {
                    if (!(sm.measured > 0)) continue;
                    const double e = (sm.predicted - sm.measured) / sm.measured;
                    pts.push_back({static_cast<double>(b), e});
                    batches.insert(static_cast<double>(b));
                    lo = std::min(lo, e);
                    hi = std::max(hi, e);
                    measured += sm.measured;
                }
                if (pts.empty()) continue;
                const double share = total > 0 ? measured / total : 0;
                svg::Style st;
                st.color = kind_color.count(kind_name) ? kind_color.at(kind_name) : "#555";
                st.width = 2;
                c.line(pts, st).points(pts, st);
                legend.push_back({kind_name + " (" + pct(share, 1) + " of the time)", st, svg::LegendEntry::Mark::line});
            }
            if (batches.empty()) continue;
            const std::vector<double> bt(batches.begin(), batches.end());
            const double x0 = bt.front() / 1.25, x1 = bt.back() * 1.25;
            svg::Style band;
            band.color = "#2a9d3a";
            band.opacity = 0.08;
            c.area({{x0, 0.1}, {x1, 0.1}, {x1, -0.1}, {x0, -0.1}}, band);
            svg::Style zero;
            zero.color = "#777";
            zero.width = 1;
            c.hline(0.0, zero);
            c.title(key + ": each kind's sum, in place")
                .x_label("batch size")
                .y_label("error of the sum")
                .x_axis(svg::Axis::log, x0, x1, [](double v) { return svg::general(v, 4); })
                .x_ticks(bt)
                .y_axis(svg::Axis::linear, std::max(lo * 1.1, -1.0), std::min(hi * 1.1 + 0.05, 5.0),
                        [](double v) { return svg::percent_label(v); })
                .legend(legend);
            h << "<figure>" << c.render() << "</figure>\n";
        }
        h << "</div>\n";
        const auto table = [&](const std::string& first, const std::vector<LayerGroupSummary>& groups, bool with_all) {
            std::ostringstream t;
            t << "<table>\n<tr><th>" << svg::escape(first)
              << "</th><th>operations</th><th>measured</th><th>not predicted</th><th>predicted</th><th>error of the sum</th>"
                 "<th>mean |error| per operation</th><th>within 10%</th><th>within 20%</th></tr>\n";
            std::vector<const LayerGroupSummary*> shown;
            for (const LayerGroupSummary& g : groups) shown.push_back(&g);
            if (with_all) shown.push_back(&all.all);
            for (const LayerGroupSummary* g : shown)
                t << "<tr>" << td(g->key) << tdn(std::to_string(g->operations)) << tdn(fixed(g->measured_ms, 2) + " ms")
                  << tdn(fixed(g->unpredicted_ms, 2) + " ms") << tdn(fixed(g->predicted_ms, 2) + " ms")
                  << (g->predicted ? signed_err_cell(g->sum_error()) : td("-"))
                  << (g->errors ? err_cell(g->mean_abs_error()) : td("-"))
                  << tdn(std::to_string(g->within_10) + " / " + std::to_string(g->errors))
                  << tdn(std::to_string(g->within_20) + " / " + std::to_string(g->errors)) << "</tr>\n";
            t << "</table>\n";
            return t.str();
        };
        h << "<h3>By kind, all configurations</h3>\n" << table("kind", all.kinds, true);
        h << "<h3>By configuration</h3>\n" << table("configuration", all.configurations, false);
        h << "<p class=\"note\">\"Not predicted\": operations perfcast has no layer for (free ones such as getitem, or "
             "refused by tools/torch2perfcast.py). An operation's time includes PyTorch's own work for the call and the "
             "interpreter's timing of it (microseconds).";
        if (m_layers->unmeasured) h << " " << m_layers->unmeasured << " rows without a time were left out.";
        h << "</p>\n</section>\n";
        return h.str();
    }

    static double roofline_share(const NetworkEstimate& e) {
        double r = 0;
        for (const auto& l : e.layers)
            if (l.method != Method::mlp) r += l.us;
        return e.total_us > 0 ? r / e.total_us : 0;
    }

    std::string validated_networks() {
        std::ostringstream h;
        const ValidationData& v = *m_validation;
        h << "<p class=\"intro\">Whole networks measured in a real framework (" << svg::escape(v.file)
          << ") against the sum of their layers' predicted times (the model for the layer kinds it covers, its memory fit "
             "or the roofline for the others), and PALEO. Time per batch against batch size on log scales: measured in orange, the model in "
             "blue, PALEO dashed. The table gives every measured row with both signed errors ((predicted − measured) / measured: "
             "negative is an under-prediction). A training step includes the optimizer's update (SGD with momentum, as "
             "the measuring script runs it).</p>\n";
        struct Group {
            std::string network, device, threads;
            Pass pass;
            DType dtype;
            std::vector<const NetworkComparison*> rows;
        };
        std::map<std::string, Group> groups;
        const std::set<std::string>& skipped = m_skipped;
        for (const NetworkComparison& c : m_comparisons) {
            const ValidationRow& r = *c.row;
            const std::string dev_id(c.device->id);
            const std::string key = c.estimate.network + "|" + dev_id + "|" + r.threads + "|" +
                                    std::string(to_string(r.pass)) + "|" + std::string(to_string(r.dtype));
            Group& g = groups[key];
            g.network = c.estimate.network;
            g.device = dev_id;
            g.threads = r.threads;
            g.pass = r.pass;
            g.dtype = r.dtype;
            g.rows.push_back(&c);
        }
        std::ostringstream table;
        table << "<table>\n<tr><th>network</th><th>device</th><th>pass</th><th>dtype</th><th>batch</th><th>measured</th>"
                 "<th>spread</th><th>model</th><th>error</th><th>PALEO</th><th>PALEO error</th><th>roofline</th>"
                 "<th>share by the roofline</th></tr>\n";
        h << "<div class=\"figs\">\n";
        for (auto& [key, g] : groups) {
            std::sort(g.rows.begin(), g.rows.end(),
                      [](const NetworkComparison* a, const NetworkComparison* b) { return a->row->batch < b->row->batch; });
            const Device& d = m_reg.get(g.device);
            std::vector<svg::Point> meas, ours, paleo;
            std::vector<double> bt;
            double lo = 1e300, hi = 0;
            double gerr = 0, gperr = 0;
            for (const NetworkComparison* c : g.rows) {
                const ValidationRow* r = c->row;
                const NetworkEstimate& e = c->estimate;
                const double b = static_cast<double>(r->batch);
                const double em = e.total_us / 1e3, ep = e.paleo_total_us / 1e3;
                meas.push_back({b, r->time_ms});
                ours.push_back({b, em});
                paleo.push_back({b, ep});
                if (bt.empty() || bt.back() != b) bt.push_back(b);
                lo = std::min({lo, r->time_ms, em, ep});
                hi = std::max({hi, r->time_ms, em, ep});
                const double eo = (em - r->time_ms) / r->time_ms, epp = (ep - r->time_ms) / r->time_ms;
                gerr += std::fabs(eo);
                gperr += std::fabs(epp);
                m_net_err_ours += std::fabs(eo);
                m_net_err_paleo += std::fabs(epp);
                ++m_net_n;
                table << "<tr>" << td(g.network) << td(std::string(d.name) + (g.threads.empty() ? "" : ", " + g.threads + " threads"))
                      << td(std::string(to_string(g.pass))) << td(std::string(to_string(g.dtype))) << tdn(std::to_string(r->batch))
                      << tdn(fixed(r->time_ms, 3) + " ms") << tdn(r->spread >= 0 ? pct(r->spread) : "")
                      << tdn(fixed(em, 3) + " ms") << signed_err_cell(eo) << tdn(fixed(ep, 3) + " ms")
                      << signed_err_cell(epp) << tdn(fixed(e.roofline_total_us / 1e3, 3) + " ms")
                      << tdn(pct(roofline_share(e), 0)) << "</tr>\n";
            }
            svg::Chart c(next_id(), 630, 340);
            svg::Style sm, so, sp;
            sm.color = c_measured;
            sm.width = 2.2;
            so.color = c_ours;
            so.width = 2;
            sp.color = c_paleo;
            sp.width = 1.3;
            sp.dash = "4 3";
            c.title(g.network + " on " + std::string(d.name) + (g.threads.empty() ? "" : " (" + g.threads + " threads)") + ", " +
                    std::string(to_string(g.pass)) + ", " + std::string(to_string(g.dtype)))
                .x_label("batch size")
                .y_label("time per batch (ms)")
                .x_axis(svg::Axis::log, bt.front() / 1.25, bt.back() * 1.25, [](double x) { return svg::general(x, 4); })
                .x_ticks(bt)
                .y_axis(svg::Axis::log, lo / 1.3, hi * 1.3, [](double x) { return svg::general(x, 6); })
                .line(paleo, sp)
                .line(meas, sm)
                .points(meas, sm)
                .line(ours, so)
                .points(ours, so)
                .legend({{"measured", sm, svg::LegendEntry::Mark::line},
                         {"model", so, svg::LegendEntry::Mark::line},
                         {"PALEO", sp, svg::LegendEntry::Mark::line}});
            const double n = static_cast<double>(g.rows.size());
            h << "<figure>" << c.render() << "<figcaption>mean error: model " << pct(gerr / n) << ", PALEO " << pct(gperr / n)
              << "</figcaption></figure>\n";
        }
        table << "</table>\n";
        h << "</div>\n" << table.str();
        if (!skipped.empty()) {
            std::string s;
            for (const auto& x : skipped) s += (s.empty() ? "" : ", ") + x;
            h << "<p class=\"note\">Not in perfcast's zoo, so not predicted: " << svg::escape(s) << ".</p>\n";
        }
        if (v.unmeasured) h << "<p class=\"note\">" << rows_text(v.unmeasured) << " without a time (failed runs) left out.</p>\n";
        h << "</section>\n";
        return h.str();
    }

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

    Dataset m_covered;                   ///< measured rows of kinds, passes and precisions the model covers
    std::vector<const Sample*> m_test;   ///< the rows evaluated
    std::vector<eval_point> m_points;
    std::vector<ErrorStats> m_ours, m_paleo, m_roof;
    std::set<std::string> m_kinds, m_devices;
    std::map<std::string, std::string> m_device_color;
    std::string m_data_hash;
    bool m_all_rows = false;
    std::size_t m_failed = 0, m_uncovered_kind = 0, m_uncovered_pass = 0;
    int m_chart_id = 0;
    double m_study_seconds = 0;
    std::map<std::string, std::pair<double, double>> m_loo_summary;
    double m_net_err_ours = 0, m_net_err_paleo = 0;
    std::size_t m_net_n = 0;
};

}  // namespace detail::reporting

/**
 * @brief The accuracy report of `model` on `data` as one self-contained HTML page.
 * Runs the learning-curve and leave-one-device-out studies unless turned off in `o`
 * (they train models: seconds to minutes). `validation`, when given, holds measured
 * whole networks to compare with; `layers`, the operations of networks timed in place
 * (tools/measure_torch.py --layers), for a section on where the networks' errors come from.
 * @throws perfcast::error for a validation or layer row whose device is unknown
 */
inline std::string render_report(const Predictor& model, const Dataset& data, const DeviceRegistry& reg,
                                 const ReportOptions& o = {}, const ValidationData* validation = nullptr,
                                 const LayerTimingData* layers = nullptr) {
    return detail::reporting::report_writer(model, data, reg, o, validation, layers).render();
}

/** @brief Writes render_report()'s page to a file. */
inline void write_report(const std::string& path, const Predictor& model, const Dataset& data, const DeviceRegistry& reg,
                         const ReportOptions& o = {}, const ValidationData* validation = nullptr,
                         const LayerTimingData* layers = nullptr) {
    const std::string html = render_report(model, data, reg, o, validation, layers);
    std::ofstream out(path, std::ios::binary);
    if (!out) throw error(source_location{path, 0, 0}, "", "cannot write file");
    out << html;
    if (!out) throw error(source_location{path, 0, 0}, "", "write failed");
}

}  // namespace perfcast
