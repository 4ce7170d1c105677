/**
 * @file bench/harness/timing.hpp
 * @brief The timing discipline both backends share: warm-up, then timed samples until the
 *        relative spread (interquartile range / median) is small enough or the budget is spent.
 *
 * A backend hands `measure` a callable `run(k)` that executes the operation k times back to
 * back and returns the seconds they took (a steady clock on the CPU, CUDA events on the
 * GPU). One timed sample is run(k)/k; k is chosen after the warm-up so that a sample lasts
 * at least `min_sample_us` (tiny layers are timed as batches of launches, so timer
 * resolution and launch gaps do not dominate).
 */
#pragma once

#include <algorithm>  // sort, max, min
#include <atomic>     // atomic
#include <chrono>     // steady_clock
#include <cmath>      // ceil
#include <cstdint>    // int64_t
#include <stdexcept>  // runtime_error
#include <vector>     // vector

namespace perfcast::harness {

/** @brief How long and how hard to measure one phase of one configuration. */
struct TimingOptions {
    double budget_ms = 100;      ///< timed samples stop once this much wall time is spent (soft)
    double warmup_ms = 10;       ///< untimed runs before the samples (at least 2 runs)
    double max_spread = 0.02;    ///< stop once IQR / median <= this
    int min_samples = 5;         ///< never fewer timed samples
    int max_samples = 2000;      ///< never more
    double min_sample_us = 100;  ///< batch executions so one sample lasts at least this
    int max_batch = 100000;      ///< executions per sample at most
};

/** @brief What one measurement found. Times in microseconds per execution. */
struct Stats {
    double median_us = 0;
    double q1_us = 0;
    double q3_us = 0;
    double spread = 0;     ///< (q3 - q1) / median
    int samples = 0;       ///< timed samples
    int batch = 1;         ///< executions per sample
    double elapsed_ms = 0; ///< wall time the measurement took, warm-up included
};

/** @brief Thrown out of `measure` when the user interrupts (Ctrl-C): the row is not written. */
struct interrupted : std::runtime_error {
    interrupted() : std::runtime_error("interrupted") {}
};

/** @brief Quantile of sorted values, linear interpolation between order statistics (R's type 7). */
inline double quantile_sorted(const std::vector<double>& v, double q) {
    if (v.empty()) return 0;
    const double pos = q * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(pos);
    const std::size_t hi = std::min(lo + 1, v.size() - 1);
    const double frac = pos - static_cast<double>(lo);
    return v[lo] + (v[hi] - v[lo]) * frac;
}

/** @brief Median, quartiles and relative spread of samples (microseconds). */
inline Stats summarize(std::vector<double> us) {
    std::sort(us.begin(), us.end());
    Stats s;
    s.samples = static_cast<int>(us.size());
    s.median_us = quantile_sorted(us, 0.5);
    s.q1_us = quantile_sorted(us, 0.25);
    s.q3_us = quantile_sorted(us, 0.75);
    s.spread = s.median_us > 0 ? (s.q3_us - s.q1_us) / s.median_us : 0;
    return s;
}

/**
 * @brief Times `run(k) -> seconds for k executions` under `o`. `stop`, when set, aborts
 * with `interrupted`.
 */
template <typename Run>
Stats measure(Run&& run, const TimingOptions& o, const std::atomic<bool>* stop = nullptr) {
    using clock = std::chrono::steady_clock;
    auto ms_since = [](clock::time_point t) {
        return std::chrono::duration<double, std::milli>(clock::now() - t).count();
    };
    auto check_stop = [&] {
        if (stop && stop->load(std::memory_order_relaxed)) throw interrupted();
    };
    const auto start = clock::now();
    // warm-up: at least two runs (the first pays for first touch, JIT, algorithm caches)
    double last = run(1);
    int warm = 1;
    while (warm < 2 || (ms_since(start) < o.warmup_ms && warm < 1000)) {
        check_stop();
        last = std::min(last, run(1));
        ++warm;
    }
    const double per_exec_us = std::max(last * 1e6, 1e-3);
    const int k = static_cast<int>(std::clamp(std::ceil(o.min_sample_us / per_exec_us), 1.0, static_cast<double>(o.max_batch)));

    std::vector<double> samples;
    samples.reserve(64);
    const auto timed = clock::now();
    Stats s;
    for (;;) {
        check_stop();
        samples.push_back(run(k) * 1e6 / k);
        const int n = static_cast<int>(samples.size());
        if (n < o.min_samples) continue;
        s = summarize(samples);
        if (s.spread <= o.max_spread || n >= o.max_samples || ms_since(timed) >= o.budget_ms) break;
    }
    s.batch = k;
    s.elapsed_ms = ms_since(start);
    return s;
}

}  // namespace perfcast::harness
