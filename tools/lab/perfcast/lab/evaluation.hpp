/**
 * @file evaluation.hpp
 * @brief Honest evaluation: relative errors |predicted - measured| / measured on rows the
 *        training never saw, grouped by layer kind x pass x precision x device in the seed's
 *        table format (mean, median, standard deviation, max, share within +-10% and +-20%),
 *        for the learned model and, beside it, PALEO and the roofline.
 */
#pragma once

#include <algorithm>    // sort
#include <cmath>        // fabs, sqrt
#include <functional>   // function
#include <map>          // map
#include <string>       // string
#include <tuple>        // tuple
#include <vector>       // vector

#include <perfcast/core/analytical.hpp>      // paleo_us, roofline_us
#include <perfcast/runtime/dataset.hpp>         // Dataset, Sample
#include <perfcast/runtime/io/device_json.hpp>  // DeviceRegistry

namespace perfcast {

/** @brief Error statistics of one group of rows. */
struct ErrorStats {
    std::string kind, pass, dtype, device;  ///< "*" when the group spans all
    std::size_t n = 0;
    double mean_rel_error = 0;
    double median_rel_error = 0;
    double std_rel_error = 0;
    double max_rel_error = 0;
    double within_10 = 0;  ///< share of rows with error <= 10%
    double within_20 = 0;
};

/** @brief Statistics of a set of relative errors. */
inline ErrorStats error_stats(std::vector<double> errors) {
    ErrorStats s;
    s.n = errors.size();
    if (errors.empty()) return s;
    std::sort(errors.begin(), errors.end());
    double sum = 0, sq = 0;
    std::size_t w10 = 0, w20 = 0;
    for (double e : errors) {
        sum += e;
        sq += e * e;
        w10 += e <= 0.10 ? 1 : 0;
        w20 += e <= 0.20 ? 1 : 0;
    }
    const double n = static_cast<double>(errors.size());
    s.mean_rel_error = sum / n;
    s.std_rel_error = std::sqrt(std::max(0.0, sq / n - s.mean_rel_error * s.mean_rel_error));
    const std::size_t mid = errors.size() / 2;
    s.median_rel_error = errors.size() % 2 ? errors[mid] : 0.5 * (errors[mid - 1] + errors[mid]);
    s.max_rel_error = errors.back();
    s.within_10 = static_cast<double>(w10) / n;
    s.within_20 = static_cast<double>(w20) / n;
    return s;
}

/** @brief A row's predicted time in microseconds. */
using RowPredictor = std::function<double(const Sample&, const Device&)>;

/**
 * @brief Relative errors of `predict` over `rows`, grouped by kind, pass, precision and
 * device, plus one "*" group per kind over all devices.
 */
inline std::vector<ErrorStats> evaluate_rows(const std::vector<const Sample*>& rows, const DeviceRegistry& reg,
                                             const RowPredictor& predict) {
    using Key = std::tuple<std::string, std::string, std::string, std::string>;
    std::map<Key, std::vector<double>> groups;
    for (const Sample* s : rows) {
        const double pred = predict(*s, reg.get(s->device));
        const double err = std::fabs(pred - s->time_us) / s->time_us;
        const std::string k(to_string(kind(s->layer))), p(to_string(s->pass)), t(to_string(s->dtype));
        groups[{k, p, t, s->device}].push_back(err);
        groups[{k, p, t, "*"}].push_back(err);
    }
    std::vector<ErrorStats> out;
    for (auto& [key, errs] : groups) {
        ErrorStats st = error_stats(std::move(errs));
        std::tie(st.kind, st.pass, st.dtype, st.device) = key;
        out.push_back(st);
    }
    return out;
}

/** @brief Row filters for evaluation. */
inline std::vector<const Sample*> measured_rows(const Dataset& ds) {
    std::vector<const Sample*> out;
    for (const auto& s : ds.rows)
        if (s.measured()) out.push_back(&s);
    return out;
}

inline RowPredictor paleo_predictor(const PaleoOptions& o = {}) {
    return [o](const Sample& s, const Device& d) { return paleo_us(s.layer, s.target(d), o); };
}

inline RowPredictor roofline_predictor() {
    return [](const Sample& s, const Device& d) { return roofline_us(s.layer, s.target(d)); };
}

/** @brief One group's statistics as JSON (the `perfcast eval --format json` object). */
inline nlohmann::json to_json(const ErrorStats& s) {
    return {{"kind", s.kind},
            {"pass", s.pass},
            {"dtype", s.dtype},
            {"device", s.device},
            {"n", s.n},
            {"mean_rel_error", s.mean_rel_error},
            {"median_rel_error", s.median_rel_error},
            {"std_rel_error", s.std_rel_error},
            {"max_rel_error", s.max_rel_error},
            {"within_10", s.within_10},
            {"within_20", s.within_20}};
}

}  // namespace perfcast
