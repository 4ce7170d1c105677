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

#include <string>  // string

#include <perfcast/runtime/detail/files.hpp>  // write_file

#include "report_layer_errors.hpp"  // the per-layer error tables, scatter and CDFs
#include "report_networks.hpp"      // whole networks and their layers
#include "report_neusight_models.hpp"  // NeuSight's whole transformer models
#include "report_studies.hpp"       // the learning curve and leave-one-GPU-out
#include "report_sweep.hpp"         // the sweep figures
#include "report_writer.hpp"        // report_writer, ReportOptions

namespace perfcast {

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
    detail::write_file(path, render_report(model, data, reg, o, validation, layers));
}

}  // namespace perfcast
