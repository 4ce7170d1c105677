/**
 * @file report_layer_errors.hpp
 * @brief The report's sections: the per-layer error tables (Tables 4.4-4.9), the predicted-vs-measured scatter and the error CDFs.
 *        Members of detail::reporting::report_writer (report_writer.hpp declares them).
 */
#pragma once

#include "report_writer.hpp"  // report_writer

namespace perfcast::detail::reporting {

inline std::string report_writer::section_errors() {
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

inline std::string report_writer::section_scatter() {
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

inline std::string report_writer::error_cdf(const std::string& k, const std::vector<const eval_point*>& pts) {
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

}  // namespace perfcast::detail::reporting
