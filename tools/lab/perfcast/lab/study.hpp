/**
 * @file study.hpp
 * @brief The seed's experiments, regenerated for any dataset: leave one GPU out of
 *        training and predict it (Table 4.19), the learning curve over data size
 *        (Fig 3.4), and the feature ablation (raw vs scaled vs analytical vs hardware
 *        features; Tables 4.3 and 4.4 and beyond), and the same recipe from several seeds.
 *        Each trains models from scratch and evaluates them on rows their training never
 *        saw, beside PALEO.
 */
#pragma once

#include <cstdint>     // uint64_t
#include <functional>  // function
#include <set>         // set
#include <sstream>     // ostringstream
#include <string>      // string
#include <vector>      // vector

#include <perfcast/runtime/dataset.hpp>     // Dataset, Sample
#include "evaluation.hpp"  // evaluate_rows, ErrorStats
#include <perfcast/runtime/predictor.hpp>   // train_predictor, held_out

namespace perfcast {

/** @brief One trained-and-evaluated variant of a study. */
struct StudyResult {
    std::string label;  ///< "left out: t4", "fraction 0.25", "features hardware"
    std::size_t train_rows = 0;
    std::size_t test_rows = 0;
    double train_seconds = 0;
    std::vector<ErrorStats> ours;   ///< per kind x pass x dtype x device, and "*" over devices
    std::vector<ErrorStats> paleo;  ///< the same groups, PALEO's errors
};

/** @brief Progress of a study: which variant is training. */
using StudyProgress = std::function<void(const std::string& label)>;

namespace detail {

/** @brief A trained predictor's errors on @p test, beside PALEO's; each device's kernel floor from @p floors
 *  where it has one (Device::kernel_floor_us). */
inline StudyResult evaluate_variant(const std::string& label, const Predictor& p, std::size_t train_rows,
                                    const std::vector<const Sample*>& test, const DeviceRegistry& reg,
                                    const KernelFloors& floors = {}) {
    StudyResult r;
    r.label = label;
    r.train_rows = train_rows;
    r.test_rows = test.size();
    r.train_seconds = p.info().seconds;
    std::vector<const Sample*> covered;
    for (const Sample* s : test)
        if (p.covers(kind(s->layer))) covered.push_back(s);
    r.ours = evaluate_rows(covered, reg, [&](const Sample& s, const Device& d) {
        const auto floor = floors.find(d.id);
        if (floor == floors.end()) return p.predict_us(s.layer, s.target(d));
        Device with_floor = d;
        with_floor.kernel_floor_us = floor->second;
        return p.predict_us(s.layer, s.target(with_floor));
    });
    r.paleo = evaluate_rows(covered, reg, paleo_predictor());
    return r;
}

/** @brief Can the row test a model trained with @p o: measured, and not from a source the training leaves
 *  out (TrainOptions::exclude_sources)? */
inline bool testable(const Sample& s, const TrainOptions& o) {
    return s.measured() && !excluded_source(s, o.exclude_sources);
}

/** @brief A predictor trained on every row of @p train: the study chose the rows already. */
inline Predictor train_on(const Dataset& train, const DeviceRegistry& reg, TrainOptions o) {
    o.holdout = 0;
    return train_predictor(train, reg, o);
}

inline StudyResult train_and_evaluate(const std::string& label, const Dataset& train, const std::vector<const Sample*>& test,
                                      const DeviceRegistry& reg, const TrainOptions& o) {
    return evaluate_variant(label, train_on(train, reg, o), train.rows.size(), test, reg);
}

}  // namespace detail

/**
 * @brief Leave one device out: for each device in the data, train on the other devices'
 * rows and predict every row of the device left out: as a device nothing is known of (the
 * training devices' median kernel floor), and, for a GPU with enough small memory-bound rows, again
 * with its own kernel floor given (its cheapest call, kernel_floors(), what a user who timed their
 * machine supplies as Device::kernel_floor_us): "left out: ID, floor given".
 */
inline std::vector<StudyResult> leave_one_device_out(const Dataset& ds, const DeviceRegistry& reg, const TrainOptions& o,
                                                     const StudyProgress& progress = {}) {
    std::set<std::string> devices;
    for (const Sample& s : ds.rows)
        if (detail::testable(s, o)) devices.insert(s.device);
    if (devices.size() < 2) throw error("data", "leave-one-out needs rows from at least two devices");
    std::vector<StudyResult> out;
    for (const std::string& left : devices) {
        if (progress) progress("left out: " + left);
        Dataset train;
        std::vector<const Sample*> test;
        for (const Sample& s : ds.rows) {
            if (!detail::testable(s, o)) continue;
            if (s.device == left) test.push_back(&s);
            else train.rows.push_back(s);
        }
        const Predictor p = detail::train_on(train, reg, o);
        out.push_back(detail::evaluate_variant("left out: " + left, p, train.rows.size(), test, reg));
        const KernelFloors floors = kernel_floors(test, reg);
        if (floors.count(left))
            out.push_back(detail::evaluate_variant("left out: " + left + ", floor given", p, train.rows.size(), test, reg,
                                                   floors));
    }
    return out;
}

/**
 * @brief The learning curve: train on growing shares of the training rows (the same
 * held-out test rows for every share) and report the test error of each.
 */
inline std::vector<StudyResult> learning_curve(const Dataset& ds, const DeviceRegistry& reg, const TrainOptions& o,
                                               const std::vector<double>& fractions, const StudyProgress& progress = {}) {
    std::vector<const Sample*> test;
    for (const Sample& s : ds.rows)
        if (detail::testable(s, o) && held_out(s, o.holdout, o.split_salt)) test.push_back(&s);
    std::vector<StudyResult> out;
    for (double f : fractions) {
        if (!(f > 0 && f <= 1)) throw error("fractions", "each fraction must be in (0, 1]");
        std::ostringstream label_text;
        label_text << "fraction " << f;
        const std::string label = label_text.str();
        if (progress) progress(label);
        Dataset train;
        for (const Sample& s : ds.rows)
            if (detail::testable(s, o) && !held_out(s, o.holdout, o.split_salt) && (f >= 1 || held_out(s, f, o.split_salt + 1)))
                train.rows.push_back(s);
        out.push_back(detail::train_and_evaluate(label, train, test, reg, o));
    }
    return out;
}

/**
 * @brief The same recipe from several seeds: for each seed (TrainOptions::mlp.seed; an ensemble's members
 * take seed, seed + 1, ...), a model trained on the rows not held out, its errors on the held-out rows
 * ("seed N"), and @p on_model called with it, for what else the caller measures (NeuSight's whole models:
 * `perfcast study seeds --neusight-labels`). A change of method is a change only where it exceeds what
 * the seed alone moves.
 */
inline std::vector<StudyResult> seed_study(const Dataset& ds, const DeviceRegistry& reg, const TrainOptions& o,
                                           const std::vector<std::uint64_t>& seeds, const StudyProgress& progress = {},
                                           const std::function<void(const std::string&, const Predictor&)>& on_model = {}) {
    if (seeds.empty()) throw error("seeds", "expected at least one seed");
    std::vector<const Sample*> test;
    std::size_t train_rows = 0;
    for (const Sample& s : ds.rows) {
        if (!detail::testable(s, o)) continue;
        if (held_out(s, o.holdout, o.split_salt)) test.push_back(&s);
        else ++train_rows;
    }
    std::vector<StudyResult> out;
    for (const std::uint64_t seed : seeds) {
        const std::string label = "seed " + std::to_string(seed);
        if (progress) progress(label);
        TrainOptions so = o;
        so.mlp.seed = seed;
        const Predictor p = train_predictor(ds, reg, so);  // the held-out rows never reach it
        out.push_back(detail::evaluate_variant(label, p, train_rows, test, reg));
        if (on_model) on_model(label, p);
    }
    return out;
}

/**
 * @brief The feature ablation: the seed's raw parameters, log-scaled parameters, plus
 * analytical features, plus hardware features, each predicting time directly, then the hardware
 * features predicting the time relative to the roofline, and on data that gives its GPUs' kernel
 * floors (kernel_floors()) relative to the floor plus the roofline: the default where it applies.
 */
inline std::vector<StudyResult> feature_ablation(const Dataset& ds, const DeviceRegistry& reg, const TrainOptions& o,
                                                 const StudyProgress& progress = {}) {
    std::vector<const Sample*> test;
    Dataset train;
    for (const Sample& s : ds.rows) {
        if (!detail::testable(s, o)) continue;
        if (held_out(s, o.holdout, o.split_salt)) test.push_back(&s);
        else train.rows.push_back(s);
    }
    const bool floors = !kernel_floors(train, reg).empty();
    struct Variant {
        FeatureSet features;
        bool relative;
        bool kernel_floor;
        const char* label;
    };
    std::vector<Variant> variants = {{FeatureSet::raw, false, false, "raw parameters"},
                                     {FeatureSet::params, false, false, "log-scaled parameters"},
                                     {FeatureSet::analytical, false, false, "+ analytical features"},
                                     {FeatureSet::hardware, false, false, "+ hardware features"},
                                     {FeatureSet::hardware, true, false,
                                      floors ? "+ hardware, time / roofline" : "+ hardware, time / roofline (default)"}};
    if (floors)
        variants.push_back({FeatureSet::hardware, true, true, "+ hardware, time / (kernel floor + roofline) (default)"});
    std::vector<StudyResult> out;
    for (const Variant& v : variants) {
        if (progress) progress(v.label);
        TrainOptions vo = o;
        vo.features = v.features;
        vo.relative_to_roofline = v.relative;
        vo.kernel_floor = v.kernel_floor;
        out.push_back(detail::train_and_evaluate(v.label, train, test, reg, vo));
    }
    return out;
}

}  // namespace perfcast
