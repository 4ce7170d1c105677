#pragma once
/**
 * @file
 * @brief Layers timed inside a whole network (tools/measure_torch.py --layers) beside the model's
 *        prediction of each: where a whole-network error comes from, kind by kind.
 *
 * A whole-network comparison (compare_networks) says by how much the sum of the layers misses
 * the network; this one says which layers miss it. Each row of the file is one operation of the
 * network as PyTorch ran it (a torch.fx node, timed in place: its input is what the layer before
 * produced, its weights were last read an iteration ago), with the perfcast layers it stands for
 * as the network JSON schema writes them; free operations (getitem, size) have none.
 */

#include <algorithm>  // sort, min, max
#include <array>      // array
#include <cmath>      // fabs
#include <cstddef>    // size_t
#include <cstdint>    // int64_t
#include <map>        // map
#include <optional>   // optional
#include <string>     // string
#include <tuple>      // tuple
#include <utility>    // move
#include <vector>     // vector

#include <perfcast/core/call_overhead.hpp>     // CallOverhead
#include <perfcast/runtime/dataset.hpp>           // detail::read_csv_rows, read_network_columns, row_reader
#include <perfcast/core/devices.hpp>           // Device
#include <perfcast/core/error.hpp>             // error, source_location
#include <perfcast/runtime/io/device_json.hpp>    // DeviceRegistry
#include <perfcast/runtime/io/network_json.hpp>   // parse_network
#include <perfcast/core/network.hpp>           // NamedLayer
#include <perfcast/runtime/predictor.hpp>         // Predictor::layer_time
#include <perfcast/core/types.hpp>             // Pass, DType

namespace perfcast {

/** @brief One operation of a network timed in place (a row of measure_torch.py's --layers CSV). */
struct LayerTimingRow {
    std::string network;  ///< as written in the file
    std::int64_t batch = 1;
    Pass pass = Pass::inference;
    DType dtype = DType::fp32;
    std::string device;   ///< as written (may be generic: "cpu", "cuda")
    std::string threads;  ///< as written, may be empty
    std::string malloc;   ///< the allocator setting, may be empty
    std::int64_t index = 0;  ///< the operation's position in the network
    std::string node;        ///< torch.fx's name of the operation
    std::string name;        ///< the first perfcast layer's name, or the node's
    std::string kind;        ///< the first layer's kind; "free" or "unconverted" when it has none
    std::vector<NamedLayer> layers;  ///< the perfcast layers it stands for (empty: not predicted)
    double time_ms = 0;      ///< median per iteration, the whole batch
    std::int64_t samples = 0;
    double spread = -1;      ///< relative spread, < 0 when unknown
    double isolated_ms = -1;  ///< the same call timed back to back on the same inputs; < 0 when not measured
    double repeat = 1;        ///< how many times the network runs it (a one-layer trace's block: the model's layers)
    std::string file;
    std::size_t line = 0;
};

/** @brief A --layers file: provenance ("# key: value" lines) and its rows. */
struct LayerTimingData {
    std::string file;
    std::map<std::string, std::string> provenance;
    std::vector<LayerTimingRow> rows;
    std::size_t unmeasured = 0;  ///< rows with an error or no time, left out
};

/**
 * @brief Reads layer timings: columns network, batch, time_ms, layers (required), pass, dtype,
 * device, threads, malloc, index, node, layer, kind, samples, spread, isolated_ms, error (optional), in any
 * order. `layers` is a JSON array of layer objects in the network schema (io/network_json.hpp),
 * per sample, the row's batch being the batch.
 * @throws perfcast::error naming the file, line and column (for `layers`, the layer's field too)
 */
inline LayerTimingData parse_layer_timings(const std::string& text, const std::string& file) {
    LayerTimingData v;
    v.file = file;
    detail::read_csv_rows(
        text, file, {"network", "batch", "time_ms", "layers"}, "network,batch,...,time_ms,...,layers", v.provenance,
        [&](const detail::row_reader& r) {
            if (!r.cell("error").empty() || r.cell("time_ms").empty()) {
                ++v.unmeasured;
                return;
            }
            LayerTimingRow row;
            detail::read_network_columns(r, file, row);
            row.time_ms = r.number("time_ms");
            if (!(row.time_ms >= 0)) r.fail("time_ms", "must be >= 0");
            if (!r.cell("isolated_ms").empty()) {
                row.isolated_ms = r.number("isolated_ms");
                if (!(row.isolated_ms >= 0)) r.fail("isolated_ms", "must be >= 0");
            }
            row.index = r.integer("index", static_cast<std::int64_t>(v.rows.size()));
            row.node = std::string(r.cell("node"));
            const std::string layers(r.cell("layers"));
            if (!layers.empty() && layers != "[]") {
                // the layers as a network of this batch, so the schema's reader checks every field
                const std::string net = "{\"format\": \"perfcast-network\", \"version\": 1, \"name\": \"row\", "
                                        "\"batch\": " + std::to_string(row.batch) + ", \"layers\": " + layers + "}";
                try {
                    row.layers = parse_network(net, "layers").layers;
                } catch (const error& e) {
                    r.fail("layers", e.field() + ": " + e.message());
                }
            }
            row.name = std::string(r.cell("layer"));
            if (row.name.empty()) row.name = row.layers.empty() ? row.node : row.layers.front().name;
            row.kind = std::string(r.cell("kind"));
            if (row.kind.empty())
                row.kind = row.layers.empty() ? "free" : std::string(to_string(kind(row.layers.front().layer)));
            v.rows.push_back(std::move(row));
        });
    return v;
}

/** @brief Reads a --layers file. @throws perfcast::error naming the file, line and column */
inline LayerTimingData load_layer_timings(const std::string& path) {
    return parse_layer_timings(detail::read_file(path), path);
}

/** @brief One timed operation beside the model's prediction of its layers. */
struct LayerComparison {
    const LayerTimingRow* row = nullptr;
    const Device* device = nullptr;
    double predicted_us = 0;  ///< the sum over its layers (Predictor::layer_time); 0 when it has none
    std::string method;       ///< how the first layer was predicted ("mlp", "memory-fit", ...); empty when none

    bool predicted() const noexcept { return !row->layers.empty(); }
    double measured_us() const noexcept { return row->time_ms * 1e3; }
    /** @brief (predicted - measured) / measured; 0 for an operation measured at 0. */
    double error() const noexcept {
        return measured_us() > 0 ? (predicted_us - measured_us()) / measured_us() : 0.0;
    }
};

/**
 * @brief Predicts the layers of every row with `p` on the row's device (`device_override` when
 * given, else the row's device column).
 * @throws perfcast::error naming the file and line of a row whose device is unknown
 */
inline std::vector<LayerComparison> compare_layers(const Predictor& p, const LayerTimingData& v,
                                                   const DeviceRegistry& reg, const std::string& device_override) {
    std::vector<LayerComparison> out;
    out.reserve(v.rows.size());
    const Device* fixed = device_override.empty() ? nullptr : &reg.get(device_override);
    for (const LayerTimingRow& r : v.rows) {
        const Device* d = fixed ? fixed : (r.device.empty() ? nullptr : reg.find(r.device));
        if (!d)
            throw error(source_location{r.file.empty() ? v.file : r.file, r.line, 0}, "device",
                        "unknown device \"" + detail::excerpt(r.device) + "\"; name the device with --device ID (see `perfcast devices`)");
        LayerComparison c{&r, d, 0.0, {}};
        for (const NamedLayer& nl : r.layers) {
            const LayerTime t = p.layer_time(nl.layer, Target(*d, r.pass, r.dtype));
            c.predicted_us += t.us;
            if (c.method.empty()) c.method = std::string(to_string(t.method));
        }
        out.push_back(std::move(c));
    }
    return out;
}

/** @brief Totals and errors of a group of timed operations (a configuration, a kind). */
struct LayerGroupSummary {
    std::string key;              ///< the configuration ("resnet50 b8 inference fp32 ...") or the kind
    std::size_t operations = 0;   ///< all rows
    std::size_t predicted = 0;    ///< rows with layers
    double measured_ms = 0;       ///< all rows
    double unpredicted_ms = 0;    ///< rows without layers (free or unconverted operations)
    double predicted_ms = 0;      ///< the model's, over the rows with layers
    double abs_error_sum = 0;     ///< of the rows with layers and a time > 0
    std::size_t errors = 0;       ///< rows in abs_error_sum
    std::size_t within_10 = 0, within_20 = 0;

    /** @brief (predicted - measured) / measured of the sums over the predicted rows. */
    double sum_error() const noexcept {
        const double m = measured_ms - unpredicted_ms;
        return m > 0 ? (predicted_ms - m) / m : 0.0;
    }
    /** @brief The mean of the rows' |error|. */
    double mean_abs_error() const noexcept { return errors ? abs_error_sum / static_cast<double>(errors) : 0.0; }

    void add(const LayerComparison& c) {
        ++operations;
        measured_ms += c.row->time_ms;
        if (!c.predicted()) {
            unpredicted_ms += c.row->time_ms;
            return;
        }
        ++predicted;
        predicted_ms += c.predicted_us / 1e3;
        if (c.measured_us() > 0) {
            const double e = std::fabs(c.error());
            abs_error_sum += e;
            ++errors;
            within_10 += e <= 0.10 ? 1 : 0;
            within_20 += e <= 0.20 ? 1 : 0;
        }
    }
};

/** @brief A comparison's configuration: network, batch, pass, precision, device, threads, allocator. */
inline std::string layer_configuration(const LayerTimingRow& r) {
    std::string s = r.network + " batch " + std::to_string(r.batch) + " " + std::string(to_string(r.pass)) + " " +
                    std::string(to_string(r.dtype));
    if (!r.device.empty()) s += " " + r.device;
    if (!r.threads.empty()) s += " " + r.threads + (r.threads == "1" ? " thread" : " threads");
    if (!r.malloc.empty()) s += " malloc " + r.malloc;
    return s;
}

/** @brief Summaries per configuration (in the order they first appear) and per kind (by name). */
struct LayerValidationSummary {
    std::vector<LayerGroupSummary> configurations;
    std::vector<LayerGroupSummary> kinds;
    LayerGroupSummary all;
};

inline LayerValidationSummary summarize_layers(const std::vector<LayerComparison>& rows) {
    LayerValidationSummary s;
    s.all.key = "all";
    std::map<std::string, std::size_t> config_index;
    std::map<std::string, LayerGroupSummary> kinds;
    for (const LayerComparison& c : rows) {
        const std::string config = layer_configuration(*c.row);
        auto [it, fresh] = config_index.emplace(config, s.configurations.size());
        if (fresh) s.configurations.push_back(LayerGroupSummary{.key = config});
        s.configurations[it->second].add(c);
        LayerGroupSummary& k = kinds[c.row->kind];
        k.key = c.row->kind;
        k.add(c);
        s.all.add(c);
    }
    for (auto& [name, k] : kinds) s.kinds.push_back(std::move(k));
    return s;
}

/** @brief One kind's part of a call-overhead fit. */
struct CallOverheadKindFit {
    LayerKind kind = LayerKind::batchnorm2d;
    std::size_t rows = 0;         ///< operations with an isolated time
    double in_place_ms = 0;       ///< their times in place, summed
    double isolated_ms = 0;       ///< their times back to back, summed
    double us = 0;                ///< the fitted constant per call (0 below CallOverhead::min_rows)
    double us_per_mb = 0;         ///< the fitted cost per 1e6 bytes moved, up to the device's cache
    double mean_abs_error = 0;    ///< of isolated + overhead against in place, over the rows (0 below min_rows)
    double mean_abs_error_isolated = 0;  ///< of isolated alone against in place
};

/** @brief A call-overhead fit: the constants and, per kind, what they were fitted to. */
struct CallOverheadFit {
    CallOverhead overhead;
    std::vector<CallOverheadKindFit> kinds;  ///< the kinds that had rows, in LayerKind's order
    std::size_t rows = 0;                    ///< operations used, all kinds
};

namespace detail {
/** @brief The c >= 0 minimising sum w |d - c| (a weighted median, clamped) of (d, w) pairs; sorts them. */
inline double clamped_weighted_median(std::vector<std::pair<double, double>>& dw) {
    std::sort(dw.begin(), dw.end());
    double total = 0;
    for (const auto& [x, w] : dw) total += w;
    double acc = 0;
    for (const auto& [x, w] : dw)
        if ((acc += w) >= total / 2) return std::max(x, 0.0);
    return std::max(dw.back().first, 0.0);
}
}  // namespace detail

/**
 * @brief Fits the call overhead (call_overhead.hpp) to operations timed in place and back to back
 * on `d` (measure_torch.py --layers: time_ms and isolated_ms): per kind that takes one
 * (takes_call_overhead), over the inference operations that stand for one layer of that kind and
 * have an isolated time, the constant c >= 0 and the cost per megabyte s >= 0 that minimise
 * sum |isolated + c + s x min(bytes, cache) - in place| / in place (the mean absolute relative error of the
 * kind's operations). For a given s the best c is a weighted median, and the error, convex in (c, s), is
 * convex in s once c is chosen so: a golden-section search finds s. The difference of the two times is
 * fitted, not the model's error: they are taken in one process minutes apart, so a machine that runs faster
 * or slower than when the sweeps were measured moves both.
 */
inline CallOverheadFit fit_call_overhead(const std::vector<const LayerTimingData*>& files, const Device& d) {
    struct Op {
        double mb, diff_us, weight, in_place_us, isolated_us;
    };
    std::array<std::vector<Op>, layer_kind_count> ops;
    CallOverheadFit f;
    std::array<CallOverheadKindFit, layer_kind_count> per;
    const double cache = CallOverhead::cache_bytes(d);
    for (const LayerTimingData* v : files)
        for (const LayerTimingRow& r : v->rows) {
            if (r.pass != Pass::inference || r.isolated_ms < 0 || r.layers.size() != 1 || !(r.time_ms > 0)) continue;
            const Layer& l = r.layers.front().layer;
            const LayerKind k = kind(l);
            if (!takes_call_overhead(k)) continue;
            const auto i = static_cast<std::size_t>(k);
            const double bytes = static_cast<double>(pass_cost(l, r.pass, r.dtype).bytes);
            ops[i].push_back({std::min(bytes, cache) / 1e6, (r.time_ms - r.isolated_ms) * 1e3, 1.0 / (r.time_ms * 1e3),
                              r.time_ms * 1e3, r.isolated_ms * 1e3});
            per[i].kind = k;
            ++per[i].rows;
            per[i].in_place_ms += r.time_ms;
            per[i].isolated_ms += r.isolated_ms;
            ++f.rows;
        }
    for (std::size_t i = 0; i < layer_kind_count; ++i) {
        if (per[i].rows == 0) continue;
        const std::vector<Op>& o = ops[i];
        for (const Op& x : o) per[i].mean_abs_error_isolated += std::fabs(x.isolated_us - x.in_place_us) * x.weight;
        per[i].mean_abs_error_isolated /= static_cast<double>(o.size());
        if (per[i].rows >= CallOverhead::min_rows) {
            std::vector<std::pair<double, double>> dw(o.size());
            const auto best_c = [&](double s) {
                for (std::size_t j = 0; j < o.size(); ++j) dw[j] = {o[j].diff_us - s * o[j].mb, o[j].weight};
                return detail::clamped_weighted_median(dw);
            };
            const auto error = [&](double s) {
                const double c = best_c(s);
                double e = 0;
                for (const Op& x : o) e += std::fabs(x.diff_us - c - s * x.mb) * x.weight;
                return e;
            };
            // golden-section search for s in [0, 1e5] us per MB (10 GB/s of data that missed the caches is 100)
            constexpr double g = 0.6180339887498949;
            double lo = 0, hi = 1e5;
            double a = hi - g * (hi - lo), b = lo + g * (hi - lo);
            double ea = error(a), eb = error(b);
            for (int it = 0; it < 120 && hi - lo > 1e-6; ++it) {
                if (ea <= eb) {
                    hi = b, b = a, eb = ea;
                    a = hi - g * (hi - lo), ea = error(a);
                } else {
                    lo = a, a = b, ea = eb;
                    b = lo + g * (hi - lo), eb = error(b);
                }
            }
            double s = (lo + hi) / 2;
            if (error(0.0) <= error(s)) s = 0.0;  // the boundary: no cost per byte
            per[i].us_per_mb = s;
            per[i].us = best_c(s);
            per[i].mean_abs_error = error(s) / static_cast<double>(o.size());
            f.overhead.us[i] = per[i].us;
            f.overhead.us_per_mb[i] = per[i].us_per_mb;
            f.overhead.rows[i] = per[i].rows;
        }
        f.kinds.push_back(per[i]);
    }
    return f;
}

/** @brief One kind's level (call_overhead.hpp) and what it was fitted to. */
struct LevelKindFit {
    LayerKind kind = LayerKind::dense;
    std::size_t rows = 0;       ///< operations with a layer of the kind used
    double in_place_ms = 0;     ///< their times in place less the model's call overhead and other layers, x repeat, summed
    double predicted_ms = 0;    ///< the model's kernel times of their layers at level 1, the same way
    double level = 1;           ///< in_place_ms / predicted_ms; 1 (unfitted) below CallOverhead::min_rows
    bool fitted = false;        ///< rows >= CallOverhead::min_rows and a level inside CallOverhead's range
};

/**
 * @brief Fits the device's level of each of `kinds` (call_overhead.hpp) to operations timed in place on `d`
 * (measure_torch.py --layers, or a trace's kernel nodes): over the inference operations with a layer of
 * the kind, in a precision the model was trained for (the others it times by the roofline, which no level
 * moves), the sum of their times in place less the model's call overhead and less the model's times of
 * their layers of other kinds (torch.matmul's copies of its operands beside its bmm), over the sum of the
 * model's kernel times of their layers of the kind at level 1, each operation counted `repeat` times (an
 * operation the other layers' times leave nothing of is left out). The ratio of the sums makes the kind's
 * total right in networks like the ones timed, the long kernels weighing most; a kind with fewer than
 * CallOverhead::min_rows operations gets no level. Returns one entry per kind asked, in their order.
 */
inline std::vector<LevelKindFit> fit_levels(const std::vector<const LayerTimingData*>& files, const Predictor& model,
                                            const Device& d, const std::vector<LayerKind>& kinds) {
    Predictor base = model;  // every kernel at level 1, the call overhead kept
    CallOverhead o = base.call_overhead();
    o.level = {};
    o.level_rows = {};
    base.set_call_overhead(o, base.call_overhead_device(), base.call_overhead_files());
    std::vector<LevelKindFit> out;
    for (LayerKind k : kinds) {
        LevelKindFit f;
        f.kind = k;
        for (const LayerTimingData* v : files)
            for (const LayerTimingRow& r : v->rows) {
                if (r.pass != Pass::inference || !(r.time_ms > 0) || !(r.repeat > 0) || !base.trained_for(r.pass, r.dtype))
                    continue;
                double kernel_us = 0, other_us = 0;  // the kind's kernels; the other layers' times, overheads included
                for (const NamedLayer& nl : r.layers) {
                    const LayerTime t = base.layer_time(nl.layer, Target(d, r.pass, r.dtype));
                    if (kind(nl.layer) == k) {
                        kernel_us += t.us - t.overhead_us;
                        other_us += t.overhead_us;
                    } else {
                        other_us += t.us;
                    }
                }
                const double in_place_us = r.time_ms * 1e3 - other_us;
                if (!(kernel_us > 0) || !(in_place_us > 0)) continue;
                ++f.rows;
                f.in_place_ms += r.repeat * in_place_us / 1e3;
                f.predicted_ms += r.repeat * kernel_us / 1e3;
            }
        if (f.rows >= CallOverhead::min_rows && f.predicted_ms > 0) {
            const double level = f.in_place_ms / f.predicted_ms;
            if (level > 1.0 / CallOverhead::max_level && level <= CallOverhead::max_level) {
                f.level = level;
                f.fitted = true;
            }
        }
        out.push_back(f);
    }
    return out;
}

}  // namespace perfcast
