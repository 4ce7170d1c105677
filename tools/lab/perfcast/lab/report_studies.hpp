/**
 * @file report_studies.hpp
 * @brief The report's sections: the learning curve (Fig 3.4) and leave-one-GPU-out (Table 4.19).
 *        Members of detail::reporting::report_writer (report_writer.hpp declares them).
 */
#pragma once

#include "report_writer.hpp"  // report_writer

namespace perfcast::detail::reporting {

inline std::string report_writer::section_learning_curve() {
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

inline std::string report_writer::section_leave_one_out() {
    std::ostringstream h;
    h << "<section id=\"leave-one-out\">\n<h2>GPU left out of training (the seed's Table 4.19)</h2>\n";
    h << "<p class=\"intro\">For each device in the data, a model is trained on the other devices' rows only and "
         "predicts every row of the device left out, knowing it only by its hardware features (SMs, clock, peak FLOP/s, "
         "bandwidth, cache). This is how well the model predicts a GPU you do not own. A GPU with enough small "
         "memory-bound rows is predicted twice: at the training machines' median kernel floor, and with its own "
         "floor given (\"floor given\": what a user who timed small calls on their machine supplies). Bars: mean "
         "error per device left out, the model beside PALEO (which needs no training and so is not affected); the "
         "summary counts the first of the two.</p>\n";
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
    std::map<std::string, std::pair<double, std::size_t>> unknown_floor;  // the summary: GPUs nothing is known of
    for (const StudyResult& r : results) {
        // "left out: ID" (the training machines' median kernel floor) or "left out: ID, floor given"
        std::string left = r.label.substr(r.label.find(": ") + 2);
        std::string variant;
        if (const auto comma = left.find(", "); comma != std::string::npos) {
            variant = " (" + left.substr(comma + 2) + ")";
            left.resize(comma);
        }
        const std::string name = dev_name(left) + variant;
        for (std::size_t i = 0; i < r.ours.size(); ++i) {
            const ErrorStats& s = r.ours[i];
            if (s.device != "*") continue;
            const std::string key = s.kind + (many_pass_dtype() ? " " + s.pass + " " + s.dtype : std::string());
            cats[key].push_back(name);
            ours[key].push_back(s.mean_rel_error);
            median[key].push_back(s.median_rel_error);
            paleo[key].push_back(r.paleo[i].mean_rel_error);
            if (variant.empty()) {
                unknown_floor[key].first += s.mean_rel_error;
                ++unknown_floor[key].second;
            }
            table_rows[key] += "<tr>" + td(name) + td(key) + tdn(std::to_string(r.train_rows)) +
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
        double b = 0;
        for (std::size_t i = 0; i < paleo[key].size(); ++i) b += paleo[key][i];
        const auto& [a, n] = unknown_floor[key];
        m_loo_summary[key] = {n ? a / static_cast<double>(n) : 0.0, b / static_cast<double>(paleo[key].size())};
    }
    h << "</div>\n" << table.str();
    h << "<p class=\"note\">Each variant trained with the model's settings" << (m_o.quick ? " (quick: fewer epochs)" : "")
      << "; " << results.size() << " models.</p>\n</section>\n";
    return h.str();
}

}  // namespace perfcast::detail::reporting
