/**
 * @file report_neusight_models.hpp
 * @brief The report's section on NeuSight's whole transformer models (neusight_models.hpp): each
 *        configuration end to end beside the roofline and NeuSight's published errors, and the error
 *        of each layer kind's summed time in the traces. A member of detail::reporting::report_writer.
 */
#pragma once

#include "report_writer.hpp"  // report_writer

namespace perfcast::detail::reporting {

inline std::string report_writer::section_neusight_models() {
    const ModelValidation& v = *m_models;
    std::ostringstream h;
    h << "<section id=\"neusight-models\">\n<h2>Whole transformer models (NeuSight's labels)</h2>\n";
    h << "<p class=\"intro\">Hugging Face transformers in FP32 measured whole by NeuSight on its five GPUs ("
      << svg::escape(v.scan.dir)
      << "), against perfcast. <b>Trace × layers</b>: each kernel node of the torch.fx trace of a one-layer copy of the "
         "model is mapped to a perfcast layer and predicted, and the block's nodes count num_layer times (NeuSight's "
         "own rule). <b>Zoo</b>: the estimate of the zoo's network of the model, where the zoo has it. Training is "
         "forward + backward without an optimizer step. NeuSight's published errors are its inference predictions on "
         "the same labels. Nodes that run no kernel (views, metadata, shape arithmetic: NeuSight times each in "
         "isolation, about 0.01 ms of host overhead) are left out of both sides.</p>\n";
    bool zoo = false;
    for (const ModelComparison& c : v.rows) zoo = zoo || c.zoo_ms.has_value();
    h << "<h3>By GPU: mean |error| end to end</h3>\n<table>\n<tr><th>GPU</th><th>pass</th><th>configurations</th>"
         "<th>perfcast (trace × layers)</th><th>roofline</th>"
      << (zoo ? "<th>zoo configurations</th><th>perfcast (zoo)</th>" : "")
      << "<th>NeuSight published</th><th>NeuSight's roofline</th></tr>\n";
    for (const ModelGpuSummary& g : v.gpus) {
        const bool pub = g.published && g.pass == Pass::inference;
        h << "<tr>" << td(g.gpu) << td(std::string(to_string(g.pass))) << tdn(std::to_string(g.configurations))
          << (g.configurations ? err_cell(g.mean_abs_error) + err_cell(g.roofline_mean_abs_error) : td("-") + td("-"));
        if (zoo)
            h << tdn(std::to_string(g.zoo_configurations))
              << (g.zoo_configurations ? err_cell(g.zoo_mean_abs_error) : td("-"));
        h << (pub ? err_cell(g.published->error) + err_cell(g.published->roofline) : td("-") + td("-")) << "</tr>\n";
    }
    h << "</table>\n<h3>Each configuration</h3>\n<table>\n<tr><th>GPU</th><th>model</th><th>pass</th><th>seq</th>"
         "<th>batch</th><th>layers</th><th>measured</th><th>trace × layers</th><th>error</th><th>roofline</th>"
         "<th>roofline error</th>"
      << (zoo ? "<th>zoo</th><th>zoo error</th>" : "")
      << "<th>measured nodes × layers</th><th>no-kernel nodes</th></tr>\n";
    for (const ModelComparison& c : v.rows) {
        const ModelLabel& l = c.entry->label;
        h << "<tr>" << td(c.entry->gpu) << td(l.model) << td(std::string(to_string(l.pass))) << tdn(std::to_string(l.seq))
          << tdn(std::to_string(l.batch)) << tdn(l.num_layer ? std::to_string(l.num_layer) : "?")
          << tdn(fixed(l.e2e_ms, 1) + " ms");
        if (c.has_trace)
            h << tdn(fixed(c.predicted_ms, 1) + " ms") << signed_err_cell(c.error()) << tdn(fixed(c.roofline_ms, 1) + " ms")
              << signed_err_cell(c.roofline_error());
        else
            h << td("no trace") << td("-") << td("-") << td("-");
        if (zoo) h << (c.zoo_ms ? tdn(fixed(*c.zoo_ms, 1) + " ms") + signed_err_cell(*c.zoo_error()) : td("-") + td("-"));
        if (c.has_trace)
            h << tdn(fixed(c.trace_measured_ms, 1) + " ms") << tdn(fixed(c.trace_no_kernel_ms, 1) + " ms");
        else
            h << td("-") << td("-");
        h << "</tr>\n";
    }
    h << "</table>\n<h3>By layer kind, each trace's nodes once</h3>\n<p class=\"note\">A kind's summed time in a trace, "
         "measured and predicted; the error is the mean over the traces of |error of the sum|. Backward: the node's "
         "bw_latency + acc_latency against the training estimate minus the inference one.</p>\n<table>\n<tr><th>GPU</th>"
         "<th>direction</th><th>kind</th><th>traces</th><th>nodes</th><th>measured</th><th>predicted</th>"
         "<th>mean |error|</th></tr>\n";
    for (const ModelKindSummary& k : v.kinds)
        h << "<tr>" << td(k.gpu) << td(k.direction) << td(k.kind) << tdn(std::to_string(k.traces))
          << tdn(std::to_string(k.nodes)) << tdn(fixed(k.measured_ms, 2) + " ms") << tdn(fixed(k.predicted_ms, 2) + " ms")
          << (k.compared ? err_cell(k.mean_abs_error) : td("-")) << "</tr>\n";
    h << "</table>\n<p class=\"note\">No-kernel nodes: " << fixed(v.no_kernel_ms, 1)
      << " ms measured over all configurations (block × layers).";
    if (!v.unmapped.empty()) {
        h << " Unmapped nodes (kernels perfcast has no layer for, or unknown targets), not predicted:";
        std::string s;
        for (const auto& [t, u] : v.unmapped)
            s += (s.empty() ? " " : "; ") + t + " (" + std::to_string(u.first) + " nodes, " + fixed(u.second, 2) + " ms)";
        h << svg::escape(s) << ".";
    }
    if (!v.scan.fusion.empty())
        h << " " << v.scan.fusion.size() << " -fusion.json files (torch.compile: fused kernels the traces do not time) "
          << "not compared.";
    h << "</p>\n";
    if (!v.scan.problems.empty()) {
        h << "<p class=\"note\">Not compared:</p>\n<ul class=\"note\">\n";
        for (const LabelProblem& x : v.scan.problems)
            h << "<li>" << svg::escape(x.file + (x.line ? ":" + std::to_string(x.line) : std::string()) +
                                       (x.field.empty() ? std::string() : " [" + x.field + "]") + ": " + x.message)
              << "</li>\n";
        h << "</ul>\n";
    }
    h << "</section>\n";
    return h.str();
}

}  // namespace perfcast::detail::reporting
