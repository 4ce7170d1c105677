// What every fuzz target shares: the input as text, and the checks that turn silent nonsense into a
// crash the fuzzer reports. A target calls one reader on the input; perfcast::error is the reader
// refusing the input (fine); any other exception escapes, which is a bug: std::terminate aborts and
// the fuzzer (or the replay driver) reports it.
#pragma once

#include <cmath>    // isfinite
#include <cstddef>  // size_t
#include <cstdint>  // uint8_t, int64_t
#include <cstdio>   // fprintf
#include <cstdlib>  // abort
#include <string>   // string

#include <perfcast/perfcast.hpp>

/** @brief The fuzzer's entry point, defined once per target. */
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace perfcast::fuzz {

inline std::string text(const std::uint8_t* data, std::size_t size) {
    return std::string(reinterpret_cast<const char*>(data), size);
}

/** @brief A fact about an accepted input that must hold; a broken one aborts, naming it. */
inline void require(bool ok, const char* what) {
    if (ok) return;
    std::fprintf(stderr, "perfcast fuzz: accepted input breaks: %s\n", what);
    std::abort();
}

inline void require_time(double us, const char* what) { require(std::isfinite(us) && us >= 0.0, what); }

/**
 * @brief The repository's default model (PERFCAST_FUZZ_MODEL), loaded once, so that accepted
 * networks also go through the learned model's features; nullptr when the build names none.
 */
inline const Predictor* default_model() {
#ifdef PERFCAST_FUZZ_MODEL
    static const Predictor model = Predictor::load(PERFCAST_FUZZ_MODEL);
    return &model;
#else
    return nullptr;
#endif
}

/** @brief A network a reader accepted: its counts and its estimates are sizes and times, not nonsense. */
inline void require_sane(const Network& net) {
    require(!net.layers.empty(), "a network has layers");
    require(net.batch >= 1, "batch >= 1");
    const NetworkTotals totals = net.totals();
    require(totals.params >= 0, "parameters >= 0");
    require(totals.inference.flops >= 0 && totals.inference.bytes >= 0, "inference FLOPs and bytes >= 0");
    require(totals.training.flops >= 0 && totals.training.bytes >= 0, "training FLOPs and bytes >= 0");
    for (Pass pass : {Pass::inference, Pass::training}) {
        const NetworkEstimate e = estimate(net, Target(devices::t4, pass, DType::fp32), Analytical::paleo);
        require_time(e.total_us, "PALEO total time finite and >= 0");
        require_time(e.roofline_total_us, "roofline total time finite and >= 0");
        for (const LayerEstimate& l : e.layers) {
            require_time(l.us, "layer time finite and >= 0");
            require(l.params >= 0 && l.cost.flops >= 0 && l.cost.bytes >= 0, "layer counts >= 0");
        }
        if (const Predictor* model = default_model()) {
            const NetworkEstimate m = estimate(net, Target(devices::t4, pass, DType::fp32), *model);
            require_time(m.total_us, "learned total time finite and >= 0");
        }
    }
}

/** @brief A dataset row a reader accepted: a known device, a measured time finite and > 0, sane counts. */
inline void require_sane_row(const Sample& s, const DeviceRegistry& registry) {
    const Device* d = registry.find(s.device);
    require(d != nullptr, "a row's device is known");
    if (s.measured()) require(std::isfinite(s.time_us) && s.time_us > 0, "a measured row's time is finite and > 0");
    const Cost c = pass_cost(s.layer, s.pass, s.dtype);
    require(c.flops >= 0 && c.bytes >= 0 && param_count(s.layer) >= 0, "a row's FLOPs, bytes and parameters >= 0");
    require_time(roofline_us(s.layer, s.target(*d)), "a row's roofline finite and >= 0");
}

/** @brief Every row of a dataset a reader accepted: a valid layer, and sane (require_sane_row). */
inline void require_sane(const Dataset& ds, const DeviceRegistry& registry) {
    for (const Sample& s : ds.rows) {
        validate(s.layer);
        require_sane_row(s, registry);
    }
}

}  // namespace perfcast::fuzz
