/**
 * @file report_networks.hpp
 * @brief The report's sections: whole networks over batch size (Tables 4.11-4.14), measured and predicted, and their layers in place.
 *        Members of detail::reporting::report_writer (report_writer.hpp declares them).
 */
#pragma once

#include "report_writer.hpp"  // report_writer

namespace perfcast::detail::reporting {

inline std::string report_writer::section_networks() {
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

inline std::string report_writer::section_layers() {
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

inline std::string report_writer::validated_networks() {
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

}  // namespace perfcast::detail::reporting
