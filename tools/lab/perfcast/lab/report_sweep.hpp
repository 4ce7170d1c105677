/**
 * @file report_sweep.hpp
 * @brief The report's sections: predicted and measured times along a sweep of configurations (Figs 4.2, 4.3).
 *        Members of detail::reporting::report_writer (report_writer.hpp declares them).
 */
#pragma once

#include "report_writer.hpp"  // report_writer

namespace perfcast::detail::reporting {

inline std::string report_writer::section_sweep() {
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

inline std::string report_writer::family_figure(const std::string& k) {
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

}  // namespace perfcast::detail::reporting
