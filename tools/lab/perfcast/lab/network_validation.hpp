/**
 * @file network_validation.hpp
 * @brief Whole networks measured in a framework (tools/measure_torch.py's CSV) beside perfcast's
 *        estimate of each: the rows, runs of one plan combined, and the comparison.
 */
#pragma once

#include <algorithm>    // sort, min
#include <cstdint>      // int64_t
#include <map>          // map
#include <optional>     // optional
#include <set>          // set
#include <string>       // string
#include <string_view>  // string_view
#include <tuple>        // tuple
#include <vector>       // vector

#include <perfcast/core/error.hpp>              // error, source_location
#include <perfcast/core/target.hpp>             // Target
#include <perfcast/core/zoo.hpp>                // zoo::find
#include <perfcast/runtime/dataset.hpp>         // detail::read_csv_rows, read_network_columns
#include <perfcast/runtime/estimate.hpp>        // estimate, NetworkEstimate, EstimateOptions
#include <perfcast/runtime/io/device_json.hpp>  // DeviceRegistry
#include <perfcast/runtime/predictor.hpp>       // Predictor

namespace perfcast {

// ============================================================================
// Whole-network validation data (tools/measure_torch.py's CSV)
// ============================================================================

/** @brief One measured whole network. */
struct ValidationRow {
    std::string network;  ///< as written in the file
    std::int64_t batch = 1;
    Pass pass = Pass::inference;
    DType dtype = DType::fp32;
    std::string device;   ///< as written in the file (may be empty, or generic: "cpu", "cuda")
    std::string device_name;  ///< the device_name column (the driver's name), may be empty
    std::string threads;  ///< as written (CPU runs), may be empty
    double time_ms = 0;
    std::int64_t samples = 0;
    double spread = -1;  ///< relative spread, < 0 when unknown
    double faults = -1;  ///< minor page faults per iteration (the faults column), < 0 when unknown
    std::string malloc;  ///< the allocator setting (the malloc column: "default", "keep"), may be empty
    std::string file;    ///< the file it was read from
    std::size_t line = 0;
    std::size_t runs = 1;     ///< combine_runs: how many runs measured the configuration
    double run_spread = 0.0;  ///< combine_runs: the slowest run's time / the fastest's - 1
};

/** @brief A validation file: provenance ("# key: value" lines) and its measured rows. */
struct ValidationData {
    std::string file;
    std::map<std::string, std::string> provenance;
    std::vector<ValidationRow> rows;
    std::size_t unmeasured = 0;  ///< rows with an empty time or an error, left out
};

/**
 * @brief Reads whole-network timings (tools/measure_torch.py's CSV): columns network, batch,
 * time_ms (required), pass, dtype, device, device_name, threads, samples, spread, faults, malloc,
 * error (optional), others ignored, in any order. Rows with an error or no time are counted, not kept.
 * @throws perfcast::error naming file, line, column and field
 */
inline ValidationData parse_validation(const std::string& text, const std::string& file) {
    ValidationData v;
    v.file = file;
    detail::read_csv_rows(text, file, {"network", "batch", "time_ms"}, "network,batch,...,time_ms,...", v.provenance,
                          [&](const detail::row_reader& r) {
                              if (!r.cell("error").empty() || r.cell("time_ms").empty()) {
                                  ++v.unmeasured;
                                  return;
                              }
                              ValidationRow row;
                              detail::read_network_columns(r, file, row);
                              row.time_ms = r.number("time_ms");
                              if (!(row.time_ms > 0)) r.fail("time_ms", "must be > 0");
                              row.device_name = std::string(r.cell("device_name"));
                              if (!r.cell("faults").empty()) {
                                  row.faults = r.number("faults");
                                  if (!(row.faults >= 0)) r.fail("faults", "must be >= 0");
                              }
                              v.rows.push_back(std::move(row));
                          });
    return v;
}

inline ValidationData load_validation(const std::string& path) { return parse_validation(detail::read_file(path), path); }

/** @brief How combine_runs makes one row of a configuration that several runs measured. */
enum class RunCombine {
    each,    ///< no combining: every row on its own
    min,     ///< the fastest run: the one the machine's other tenants disturbed least
    median,  ///< the median run (of an even count, the faster of the middle two)
};

inline std::optional<RunCombine> parse_run_combine(std::string_view s) {
    if (s == "each") return RunCombine::each;
    if (s == "min") return RunCombine::min;
    if (s == "median") return RunCombine::median;
    return std::nullopt;
}

/**
 * @brief Several runs of whole-network timings (validation files measured at different times) as one.
 * A configuration is its network, batch, pass, precision, device, device name, threads and allocator
 * setting (none recorded: glibc's defaults); with `min` or `median` each gets one row, the chosen run's (its file, line, faults, spread),
 * with `runs` and `run_spread` saying how many runs there were and how far apart. The rows keep the order
 * in which their configurations first appear. On a machine shared with other tenants, whose contention a
 * CPU-time clock does not see, `min` is the estimate of the undisturbed time, which the layer sweeps
 * (timed until their spread is small) measure too.
 */
inline ValidationData combine_runs(const std::vector<ValidationData>& runs, RunCombine how) {
    ValidationData out;
    for (const ValidationData& v : runs) {
        out.file += (out.file.empty() ? "" : " + ") + v.file;
        for (const auto& [k, val] : v.provenance) out.provenance[runs.size() > 1 ? v.file + ": " + k : k] = val;
        out.unmeasured += v.unmeasured;
    }
    using Key = std::tuple<std::string, std::int64_t, Pass, DType, std::string, std::string, std::string, std::string>;
    std::map<Key, std::size_t> index;
    std::vector<std::vector<const ValidationRow*>> groups;
    for (const ValidationData& v : runs)
        for (const ValidationRow& r : v.rows) {
            if (how == RunCombine::each) {
                groups.push_back({&r});
                continue;
            }
            // a file without the malloc column was measured with glibc's defaults (measure_torch before --malloc)
            const Key k{r.network, r.batch,   r.pass, r.dtype, r.device, r.device_name,
                        r.threads, r.malloc.empty() ? std::string("default") : r.malloc};
            const auto [it, fresh] = index.emplace(k, groups.size());
            if (fresh) groups.emplace_back();
            groups[it->second].push_back(&r);
        }
    for (auto& g : groups) {
        std::stable_sort(g.begin(), g.end(),
                         [](const ValidationRow* a, const ValidationRow* b) { return a->time_ms < b->time_ms; });
        ValidationRow row = *(how == RunCombine::median ? g[(g.size() - 1) / 2] : g.front());
        row.runs = g.size();
        row.run_spread = g.back()->time_ms / g.front()->time_ms - 1.0;
        out.rows.push_back(std::move(row));
    }
    return out;
}

/**
 * @brief A validation row's device: `device_override` when given (refused when unknown), else the
 * row's device column, else its device_name column; null when none names a known device.
 */
inline const Device* validation_device(const ValidationRow& r, const DeviceRegistry& reg,
                                       const std::string& device_override) {
    if (!device_override.empty()) return &reg.get(device_override);
    if (const Device* d = r.device.empty() ? nullptr : reg.find(r.device)) return d;
    return r.device_name.empty() ? nullptr : reg.find(r.device_name);
}

/** @brief A measured whole network beside perfcast's estimate of it. */
struct NetworkComparison {
    const ValidationRow* row = nullptr;
    const Device* device = nullptr;
    NetworkEstimate estimate;  ///< the model's (Predictor::layer_time), with PALEO and the roofline beside it

    double measured_ms() const noexcept { return row->time_ms; }
    double predicted_ms() const noexcept { return estimate.total_us / 1e3; }
    /** @brief (predicted - measured) / measured: negative is an under-prediction. */
    double error() const noexcept { return (predicted_ms() - row->time_ms) / row->time_ms; }
    double paleo_error() const noexcept { return (estimate.paleo_total_us / 1e3 - row->time_ms) / row->time_ms; }
};

/**
 * @brief Estimates every row of `v` whose network is in the zoo or among `networks` (matched by
 * name, `networks` first, at the row's batch size; the others' names go to `skipped`) with the
 * model `p`.
 * @throws perfcast::error naming the file and line of a row whose device is unknown
 */
inline std::vector<NetworkComparison> compare_networks(const Predictor& p, const ValidationData& v,
                                                       const DeviceRegistry& reg, const std::string& device_override,
                                                       const EstimateOptions& options = {},
                                                       std::set<std::string>* skipped = nullptr,
                                                       const std::vector<Network>& networks = {}) {
    std::vector<NetworkComparison> out;
    for (const ValidationRow& r : v.rows) {
        std::optional<Network> net;
        for (const Network& n : networks)
            if (n.name == r.network) {
                net = n.batch == r.batch ? n : n.with_batch(r.batch);
                break;
            }
        if (!net) net = zoo::find(r.network, r.batch);
        if (!net) {
            if (skipped) skipped->insert(r.network);
            continue;
        }
        const Device* d = validation_device(r, reg, device_override);
        if (!d)
            throw error(source_location{r.file.empty() ? v.file : r.file, r.line, 0}, "device",
                        "unknown device \"" + detail::excerpt(r.device) + "\"" +
                            (r.device_name.empty() ? std::string() : " (\"" + detail::excerpt(r.device_name) + "\")") +
                            "; name the device with --device ID (see `perfcast devices`)");
        out.push_back({&r, d, estimate(*net, Target(*d, r.pass, r.dtype), p, options)});
    }
    return out;
}

}  // namespace perfcast
