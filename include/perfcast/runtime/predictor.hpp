/**
 * @file predictor.hpp
 * @brief The learned predictor: per layer kind an ensemble of MLPs over the features of
 *        features.hpp, its self-checking model file, and its training. Predictions run through
 *        the one learned-model form every path shares (Predictor::view(), core/inference.hpp).
 *
 * The target is the measured time divided by the layer's roofline time (the model learns
 * how far from the roofline a layer runs, NeuSight-like), through the regressor's target
 * transform (log by default). A model file ("perfcast-model", version 1) holds the
 * feature schema, scaling, weights, training metadata (data hash, devices, precisions,
 * metrics), a few reference queries with the predictions the trainer computed, and the
 * SHA-256 digest of everything else in the file (model_digest()). Loading checks the digest,
 * range-checks the metadata and re-runs the references, and refuses the file on a mismatch.
 */
#pragma once

#include <algorithm>    // any_of, find, max
#include <chrono>       // steady_clock
#include <bit>          // bit_cast: the digest reads a double's bits
#include <cmath>        // fabs, isfinite
#include <cstdint>      // uint64_t
#include <atomic>       // atomic: the training threads' shared state
#include <functional>   // function: TrainProgress
#include <mutex>        // mutex, lock_guard: one progress report at a time
#include <thread>       // thread, hardware_concurrency
#include <memory>       // shared_ptr, make_shared: the view
#include <map>          // map
#include <optional>     // optional
#include <set>          // set
#include <span>         // span
#include <sstream>      // ostringstream
#include <string>       // string
#include <vector>       // vector

#include "../core/constexpr_model.hpp"  // embedded::Model
#include "../core/inference.hpp"        // embedded::predict_us, min_compute_fraction, portable_baseline_us
#include "../core/layer_time.hpp"       // embedded::layer_time
#include "../core/method.hpp"           // LayerTime
#include "../core/target.hpp"           // Target
#include "dataset.hpp"             // Dataset, Sample, detail::layer_cells
#include "detail/files.hpp"        // write_file: save
#include "detail/json.hpp"         // json, json_document, json_value: the model file
#include "detail/xtensor.hpp"      // xtensor
#include "../core/devices.hpp"             // Device
#include "../core/error.hpp"               // error
#include "features.hpp"            // compute_features, FeatureSet
#include "io/device_json.hpp"      // DeviceRegistry, device_to_json
#include "io/network_json.hpp"     // layer_to_json, parse_network
#include "../core/layers.hpp"              // Layer, detail::example_layer
#include "detail/sha256.hpp"       // sha256: the model file's digest
#include "../core/call_overhead.hpp"       // CallOverhead
#include "../core/memory_fit.hpp"          // MemoryFit, fit_memory_model, runs_no_kernel
#include "mlp.hpp"                 // TrainedRegressor, train_mlp, MlpConfig
#include "model_view.hpp"          // KindEnsemble, ReferenceQuery, runtime_exec, detail::model_view_data

/// OpenBLAS's thread count setter, where OpenBLAS is the BLAS linked in (a weak symbol: null otherwise)
extern "C" void openblas_set_num_threads(int) __attribute__((weak));

namespace perfcast {

inline constexpr std::string_view model_format = "perfcast-model";
inline constexpr int model_format_version = 1;

/** @brief The largest memory-fit efficiency a model file may hold (a share of the peak bandwidth: above 1
 *  on CPUs, whose caches outrun their DRAM; 100 is far beyond any fit). */
inline constexpr double max_memory_efficiency = 100.0;
/** @brief The largest fixed cost per kernel or call, in microseconds, a model file may hold (one second). */
inline constexpr double max_latency_us = 1e6;

/** @brief The kinds a predictor learns when its data has them; the others (and these, when the data has
 *  none) get the model's memory fit (memory_fit.hpp) or, for a model without one, the roofline. */
inline constexpr std::array<LayerKind, 11> learned_kinds{
    LayerKind::conv2d, LayerKind::dense,   LayerKind::pool2d, LayerKind::batchnorm2d, LayerKind::activation, LayerKind::add,
    LayerKind::concat, LayerKind::softmax, LayerKind::bmm,    LayerKind::layernorm,   LayerKind::elementwise};

namespace detail {

inline std::uint64_t fnv1a(std::string_view s, std::uint64_t h = 1469598103934665603ULL) {
    for (char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ULL;
    }
    return h;
}

inline std::string hex64(std::uint64_t v) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s(16, '0');
    for (int i = 15; i >= 0; --i) {
        s[static_cast<std::size_t>(i)] = digits[v & 15];
        v >>= 4;
    }
    return s;
}

/** @brief A name from a model file as an error message quotes it: at most 64 characters. */
inline std::string clipped(const std::string& s) { return s.size() <= 64 ? s : s.substr(0, 61) + "..."; }

/**
 * @brief The canonical bytes of a JSON value for the model digest: a type tag, then integers as their
 * 64-bit value (signed and unsigned alike when non-negative: a file read back has unsigned ones where
 * the writer had signed), doubles as their exact bit pattern (a non-finite one as null, as the file
 * writes it), strings and containers with their length, object members in key order. The top-level
 * "digest" member is left out (it holds the result).
 */
inline void digest_bytes(const nlohmann::json& j, sha256& h, std::size_t depth = 0) {
    if (depth > 64) throw error("digest", "the model file nests deeper than 64 levels");
    const auto word = [&h](char tag, std::uint64_t v) {
        char bytes[9];
        bytes[0] = tag;
        for (int i = 0; i < 8; ++i) bytes[i + 1] = static_cast<char>((v >> (56 - 8 * i)) & 0xff);
        h.update(std::string_view(bytes, 9));
    };
    switch (j.type()) {
        case nlohmann::json::value_t::null: word('n', 0); return;
        case nlohmann::json::value_t::boolean: word('b', j.get<bool>() ? 1 : 0); return;
        case nlohmann::json::value_t::number_unsigned: word('u', j.get<std::uint64_t>()); return;
        case nlohmann::json::value_t::number_integer: {
            const std::int64_t v = j.get<std::int64_t>();
            word(v < 0 ? 'i' : 'u', static_cast<std::uint64_t>(v));
            return;
        }
        case nlohmann::json::value_t::number_float: {
            const double v = j.get<double>();
            if (std::isfinite(v)) word('d', std::bit_cast<std::uint64_t>(v));
            else word('n', 0);
            return;
        }
        case nlohmann::json::value_t::string: {
            const std::string& s = j.get_ref<const std::string&>();
            word('s', s.size());
            h.update(s);
            return;
        }
        case nlohmann::json::value_t::array:
            word('[', j.size());
            for (const nlohmann::json& e : j) digest_bytes(e, h, depth + 1);
            return;
        case nlohmann::json::value_t::object: {
            const bool top = depth == 0;
            word('{', j.size() - (top && j.contains("digest") ? 1 : 0));
            for (const auto& [key, value] : j.items()) {  // in key order: nlohmann::json keeps its members sorted
                if (top && key == "digest") continue;
                word('s', key.size());
                h.update(key);
                digest_bytes(value, h, depth + 1);
            }
            return;
        }
        default: throw error("digest", "unexpected JSON value (" + std::string(j.type_name()) + ")");
    }
}

/** @brief A row's identity (layer, device, pass, precision), independent of its timing. */
inline std::string row_key(const Sample& s) {
    std::string k;
    for (const auto& [col, val] : layer_cells(s.layer)) k += std::string(col) + "=" + val + ";";
    return k + s.device + ";" + std::string(to_string(s.pass)) + ";" + std::string(to_string(s.dtype));
}

}  // namespace detail

/**
 * @brief The digest a model file carries: "sha256:" and the SHA-256 of the canonical bytes of every
 * member but "digest" (detail::digest_bytes): the weights, scalers, target transforms, feature ranges,
 * training metadata, memory fit, call overhead and reference queries, bit for bit.
 */
inline std::string model_digest(const nlohmann::json& model_file) {
    detail::sha256 h;
    detail::digest_bytes(model_file, h);
    return "sha256:" + h.hex();
}

/**
 * @brief Is this row held out for testing? A hash of the row's identity, so the trainer
 * and `perfcast eval` agree on the split without storing it, whatever the row order.
 */
inline bool held_out(const Sample& s, double fraction, std::uint64_t salt) {
    if (fraction <= 0) return false;
    const std::uint64_t h = detail::fnv1a(detail::row_key(s), 1469598103934665603ULL ^ (salt * 0x9E3779B97F4A7C15ULL));
    const double u = static_cast<double>(h >> 11) / 9007199254740992.0;  // [0, 1)
    return u < fraction;
}

/**
 * @brief Is the row from a source the training leaves out (TrainOptions::exclude_sources): does its
 * Sample::source begin with one of @p prefixes? A sweep measured in conditions unlike the rest (a card
 * that throttled through one sweep) is left out of training by name and stays in its dataset;
 * `perfcast eval` leaves it out of the held-out rows too and says how far off it is.
 */
inline bool excluded_source(const Sample& s, const std::vector<std::string>& prefixes) noexcept {
    return std::any_of(prefixes.begin(), prefixes.end(), [&](const std::string& p) { return s.source.starts_with(p); });
}

/// The range of a feature that is not clamped (a finite number, so that JSON holds it).
inline constexpr double unbounded_feature = 1e300;

/**
 * @brief The hardware features, which describe the device alone. Their ranges are not kept: clamping
 * them would answer for a GPU beyond the training devices with the nearest one's features, where the
 * model's own extrapolation across devices is what leave-one-GPU-out measures.
 */
inline bool device_only_feature(std::string_view name) noexcept {
    for (std::string_view d : {"log_units", "log_lanes_per_unit", "log_clock_mhz", "log_peak_flops", "log_bandwidth",
                               "log_l2_mb", "log_machine_balance"})
        if (name == d) return true;
    return false;
}

/** @brief What the model was trained on, and how well it did. */
struct TrainingInfo {
    std::string data_hash;
    std::vector<std::string> data_files;
    std::size_t rows = 0;        ///< measured rows read
    std::size_t test_rows = 0;   ///< held out by held_out()
    /// the sources left out of training (TrainOptions::exclude_sources), and their measured rows
    std::vector<std::string> exclude_sources;
    std::size_t excluded_rows = 0;
    double holdout = 0.1;
    std::uint64_t split_salt = 1;
    std::vector<std::string> devices, dtypes, passes;
    /// each device's kernel floor (kernel_floors()), microseconds, in the order of `devices` (a device
    /// without one: the median of the others'); empty when no GPU had one (embedded::Model::kernel_floor_us)
    std::vector<double> kernel_floors_us;
    double seconds = 0;
    nlohmann::json metrics = nlohmann::json::object();
    nlohmann::json devices_spec = nlohmann::json::array();  ///< the devices, whole
};

/** @brief Options of train_predictor(). */
struct TrainOptions {
    std::string name = "perfcast-model";
    /// log target, 64-64-32 ReLU, up to 300 epochs with patience 30: as accurate on the NeuSight
    /// data as 128-128-64 or 256-256-128 (measured), and about 2.5x faster to evaluate
    MlpConfig mlp = [] {
        MlpConfig c;
        c.target_transform = TargetTransform(TargetKind::log);
        c.hidden = {64, 64, 32};
        c.max_epochs = 300;
        c.patience = 30;
        return c;
    }();
    FeatureSet features = FeatureSet::hardware;
    bool relative_to_roofline = true;
    double holdout = 0.1;          ///< share of rows kept out of training for evaluation
    std::uint64_t split_salt = 1;  ///< chooses which rows are held out
    std::vector<LayerKind> kinds;  ///< empty: every learned kind the data has
    /// rows whose Sample::source begins with one of these are left out of training (excluded_source):
    /// neither trained on nor held out, recorded in the model file (TrainingInfo::exclude_sources)
    std::vector<std::string> exclude_sources;
    std::size_t references_per_kind = 3;
    /// MLPs per kind, trained from seeds mlp.seed, mlp.seed + 1, ... and averaged (KindEnsemble::members);
    /// 1 trains the single network of mlp.seed
    std::size_t ensemble = 5;
    /// also train the portable tier (FeatureSet::portable): one model per GEMM-like kind and one for all
    /// memory-bound kinds, which answer devices outside the training data (GPU data only)
    bool portable = true;
    /// the device-specific models of GPU rows learn time / (the row's machine's kernel floor + the
    /// roofline), as the portable tier does (KindEnsemble::kernel_floor), when every GPU of the data has a
    /// floor (kernel_floors()); false: time / roofline. With the floor outside the ratio, a shape beyond
    /// the training rows (features held at the edge) keeps the floor once and scales the rest
    bool kernel_floor = true;
    /// the MLP settings of the training devices' models of the memory-bound kinds (memory_bound_kind();
    /// empty: `mlp`'s). Those kinds' sweeps cover the sizes networks use, and a longer training fits them
    /// closer; the GEMM-like kinds and the portable tier must extrapolate (to larger GEMMs, to other GPUs),
    /// which a longer training makes worse (docs/accuracy.md, "Training recipe")
    std::optional<MlpConfig> memory_mlp;
    /// the MLP settings of the portable tier's models (empty: `mlp`'s), so that the training devices'
    /// models may train longer while the tier that answers other GPUs keeps the recipe that transfers best
    /// (a longer training fits the training GPUs closer and the GPUs left out worse: docs/accuracy.md,
    /// "Training recipe")
    std::optional<MlpConfig> portable_mlp;
    /// models trained at once, each on a thread of its own (0: as many as the machine has cores); the
    /// result does not depend on it (each model's training is deterministic in its own seed). With more
    /// than one, give a multi-threaded BLAS one thread (OPENBLAS_NUM_THREADS=1): two levels of threads
    /// on the same cores contend (OpenBLAS on two cores: 14x slower, measured)
    std::size_t threads = 1;
};

/**
 * @brief Gives OpenBLAS, where it is the BLAS linked in, one thread (as OPENBLAS_NUM_THREADS=1 does at
 * start-up), for train_predictor with TrainOptions::threads > 1; false with another BLAS, which keeps
 * its threads (set its own variable). A process-wide setting, so the library never makes it by itself.
 */
inline bool single_threaded_blas() noexcept {
    if (!::openblas_set_num_threads) return false;
    ::openblas_set_num_threads(1);
    return true;
}

/** @brief Called per epoch: the model in training ("conv2d", "portable memory-bound"), epoch, training and
    validation loss; false stops training. */
using TrainProgress = std::function<bool(std::string_view model, std::size_t, double, double)>;

/**
 * @brief A trained predictor: per-kind ensembles plus metadata and reference queries. Every
 * prediction runs through view(), the same embedded::Model form the compile-time model has, with
 * core/inference.hpp and core/layer_time.hpp evaluating it (the run-time execution policy).
 */
class Predictor {
public:
    Predictor() = default;

    const std::string& name() const noexcept { return m_name; }
    const TrainingInfo& info() const noexcept { return m_info; }
    /** @brief Records the data files the model was trained from (the model file names them). */
    void set_data_files(std::vector<std::string> files) { m_info.data_files = std::move(files); }
    /** @brief The device-specific tier: one model per kind, for the devices of the training data. */
    const std::map<LayerKind, KindEnsemble>& models() const noexcept { return m_models; }
    /** @brief The portable tier (FeatureSet::portable): the models for devices outside the training data. */
    const std::vector<KindEnsemble>& portable_models() const noexcept { return m_portable; }
    /** @brief Has a model for this kind (on some device)? */
    bool covers(LayerKind k) const noexcept { return view().covers(k); }
    /** @brief The memory-bound model for the kinds without a model of their own (unfitted: efficiency 0). */
    const MemoryFit& memory_fit() const noexcept { return m_memory; }
    /** @brief The framework's cost per call of a layer in a network (unfitted: 0 for every kind). */
    const CallOverhead& call_overhead() const noexcept { return m_overhead; }
    /** @brief The device the call overhead was fitted on (empty when unfitted); other devices get none. */
    const std::string& call_overhead_device() const noexcept { return m_overhead_device; }
    /** @brief The in-place timing files the call overhead was fitted to. */
    const std::vector<std::string>& call_overhead_files() const noexcept { return m_overhead_files; }
    /** @brief Sets (or, with an unfitted one, removes) the call overhead, fitted on `device` from `files`. */
    void set_call_overhead(const CallOverhead& o, std::string device, std::vector<std::string> files) {
        m_overhead = o;
        m_overhead_device = o.fitted() ? std::move(device) : std::string();
        m_overhead_files = o.fitted() ? std::move(files) : std::vector<std::string>{};
        rebuild_view();
    }

    /** @brief Was the model trained on this pass and precision? (It is not asked about others.) */
    bool trained_for(Pass pass, DType t) const { return view().trained_for(pass, t); }
    /** @brief Was the model trained on data from this device? */
    bool trained_on(const Device& d) const { return view().trained_on(d); }

    /** @brief The model as the plain data every prediction reads (valid while this predictor is unchanged). */
    const embedded::Model& view() const {
        static const embedded::Model empty{};
        return m_view ? m_view->model() : empty;
    }

    /** @brief The learned model's time in microseconds. @throws perfcast::error for a kind without a model */
    double predict_us(const Layer& l, const Target& t) const {
        if (!covers(kind(l))) throw error("kind", "this model has no " + std::string(to_string(kind(l))) + " predictor");
        return embedded::predict_us<runtime_exec>(view(), l, t);
    }

    /** @brief A layer's time for the whole pass and its method (embedded::layer_time, the compile-time rule);
     *  with @p c, a learned layer's coverage as well (embedded::coverage, from the same features). */
    LayerTime layer_time(const Layer& l, const Target& t, embedded::Coverage* c = nullptr) const {
        return embedded::layer_time<runtime_exec>(view(), l, t, c);
    }

    /** @brief Re-runs the reference queries. @throws perfcast::error on a mismatch */
    void verify(const std::string& file = "<model>") const {
        const embedded::Model& m = view();
        for (std::size_t i = 0; i < m.references.size(); ++i) {
            const embedded::Reference& q = m.references[i];
            const double got = predict_us(q.layer, Target(q.device, q.pass, q.dtype));
            if (!(std::fabs(got - q.predicted_us) <= 1e-6 * std::fabs(q.predicted_us)))
                throw error(source_location{file, 0, 0}, "references[" + std::to_string(i) + "]",
                            "the model predicts " + detail::format_double(got) + " us where its trainer computed " +
                                detail::format_double(q.predicted_us) +
                                " us: the file was altered or this perfcast computes features differently");
        }
    }

    /** @brief Records reference queries from rows, with this model's predictions. */
    void add_references(const std::vector<const Sample*>& rows, const DeviceRegistry& reg) {
        for (const Sample* s : rows) {
            const Device& d = reg.get(s->device);
            m_refs.push_back({s->layer, device_to_json(d).dump(), s->pass, s->dtype,
                              predict_us(s->layer, Target(d, s->pass, s->dtype))});
        }
        rebuild_view();
    }
    const std::vector<ReferenceQuery>& references() const noexcept { return m_refs; }

    nlohmann::json to_json() const {
        nlohmann::json j;
        j["format"] = std::string(model_format);
        j["version"] = model_format_version;
        j["name"] = m_name;
        j["feature_schema_version"] = m_schema;
        j["training"] = {{"data_hash", m_info.data_hash},      {"data_files", m_info.data_files},
                         {"rows", m_info.rows},                {"test_rows", m_info.test_rows},
                         {"holdout", m_info.holdout},          {"split_salt", m_info.split_salt},
                         {"devices", m_info.devices},          {"dtypes", m_info.dtypes},
                         {"passes", m_info.passes},            {"seconds", m_info.seconds},
                         {"metrics", m_info.metrics},          {"devices_spec", m_info.devices_spec}};
        if (!m_info.kernel_floors_us.empty()) j["training"]["kernel_floors_us"] = m_info.kernel_floors_us;
        if (!m_info.exclude_sources.empty()) {
            j["training"]["exclude_sources"] = m_info.exclude_sources;
            j["training"]["excluded_rows"] = m_info.excluded_rows;
        }
        j["models"] = nlohmann::json::object();
        for (const auto& [k, m] : m_models) j["models"][std::string(to_string(k))] = entry_to_json(m);
        if (!m_portable.empty()) {
            j["portable_models"] = nlohmann::json::array();
            for (const KindEnsemble& m : m_portable) {
                nlohmann::json o = entry_to_json(m);
                nlohmann::json kinds = nlohmann::json::array({std::string(to_string(m.kind))});
                for (LayerKind k : m.serves) kinds.push_back(std::string(to_string(k)));
                o["kinds"] = kinds;
                j["portable_models"].push_back(o);
            }
        }
        if (m_memory.fitted())
            j["memory_fit"] = {{"latency_us", m_memory.latency_us},
                               {"efficiency", m_memory.efficiency},
                               {"rows", m_memory.rows}};
        if (m_overhead.fitted()) {
            nlohmann::json kinds = nlohmann::json::object();
            for (std::size_t i = 0; i < layer_kind_count; ++i) {
                nlohmann::json k = nlohmann::json::object();
                if (m_overhead.rows[i] > 0)
                    k = {{"us", m_overhead.us[i]}, {"us_per_mb", m_overhead.us_per_mb[i]}, {"rows", m_overhead.rows[i]}};
                if (m_overhead.level_rows[i] > 0) {
                    k["level"] = m_overhead.level[i];
                    k["level_rows"] = m_overhead.level_rows[i];
                }
                if (!k.empty()) kinds[std::string(to_string(static_cast<LayerKind>(i)))] = k;
            }
            j["call_overhead"] = {{"device", m_overhead_device},
                                  {"passes", {"inference"}},
                                  {"files", m_overhead_files},
                                  {"kinds", kinds}};
        }
        j["references"] = nlohmann::json::array();
        for (const auto& q : m_refs) {
            const Network n{"ref", batch_of(q.layer), {NamedLayer{"layer", q.layer}}};
            j["references"].push_back({{"batch", n.batch},
                                       {"layer", layer_to_json(n.layers[0], n.batch)},
                                       {"device", nlohmann::json::parse(q.device_json)},
                                       {"pass", std::string(to_string(q.pass))},
                                       {"dtype", std::string(to_string(q.dtype))},
                                       {"predicted_us", q.predicted_us}});
        }
        j["digest"] = model_digest(j);
        return j;
    }

    /** @brief The digest to_json() writes (model_digest() of the model file). */
    std::string digest() const { return to_json()["digest"].get<std::string>(); }

    /** @brief Writes the model file atomically (detail::write_file): a failed write leaves the old file. */
    void save(const std::string& path) const { detail::write_file(path, to_json().dump(1) + '\n'); }

    /**
     * @brief Reads a model from JSON text. Wrong types, values out of range, inconsistent metadata and
     * unknown keys are refused, and so is a file without reference queries. With `verify_references`
     * (the default), the digest is required and checked against the file's contents, then the reference
     * queries are re-run; false skips both (to inspect a broken file, or to add a digest to a file
     * written before digests: verify() it, then save() it).
     * @throws perfcast::error naming file, line and the JSON path of the field
     */
    static Predictor parse(const std::string& text, const std::string& file, bool verify_references = true) {
        using detail::json_value;
        const detail::json_document doc(file, text);
        const json_value top = doc.root();
        const std::string format = top.string("format");
        if (format != model_format)
            top.fail("format", "expected \"" + std::string(model_format) + "\" (got \"" + format + "\")");
        if (const int v = top.integer<int>("version"); v != model_format_version)
            top.fail("version", "unsupported version " + std::to_string(v) + " (this perfcast reads " +
                                    std::to_string(model_format_version) + ")");
        Predictor p;
        p.m_schema = top.integer<int>("feature_schema_version");
        if (p.m_schema < 1 || p.m_schema > feature_schema_version)
            top.fail("feature_schema_version", "the model was trained with feature schema " +
                                                   std::to_string(p.m_schema) + ", this perfcast reads schemas 1 to " +
                                                   std::to_string(feature_schema_version));
        p.m_name = top.string("name", "");
        p.m_info = read_training(top["training"]);
        for (const auto& [key, m] : top["models"].members()) {
            const auto k = parse_layer_kind(key);
            if (!k) m.fail("unknown layer kind \"" + key + "\"");
            KindEnsemble e = read_entry(m, *k, p.m_schema, {});
            if (e.features == FeatureSet::portable) m.fail("features", "a portable model belongs in \"portable_models\"");
            p.m_models[*k] = std::move(e);
        }
        if (const auto pm = top.find("portable_models"))
            for (const json_value& m : pm->array()) {
                std::vector<LayerKind> kinds;
                for (const json_value& name : m.array("kinds")) {
                    const auto k = name.located([&] {
                        const std::string n = name.string();
                        const auto v = parse_layer_kind(n);
                        if (!v) throw error("unknown layer kind \"" + n + "\"");
                        return *v;
                    });
                    kinds.push_back(k);
                }
                if (kinds.empty()) m.fail("kinds", "expected at least one layer kind");
                KindEnsemble e = read_entry(m, kinds.front(), p.m_schema, {"kinds"});
                if (e.features != FeatureSet::portable) m.fail("features", "expected \"portable\"");
                e.serves.assign(kinds.begin() + 1, kinds.end());
                p.m_portable.push_back(std::move(e));
            }
        if (const auto mf = top.find("memory_fit")) {
            p.m_memory.latency_us = mf->number("latency_us");
            p.m_memory.efficiency = mf->number("efficiency");
            p.m_memory.rows = mf->integer<std::size_t>("rows", 0);
            mf->no_other_keys();
            if (!(p.m_memory.latency_us >= 0 && p.m_memory.latency_us <= max_latency_us))
                mf->fail("latency_us", "expected a number of microseconds in [0, " +
                                           detail::format_double(max_latency_us) + "]");
            if (!(p.m_memory.efficiency > 0 && p.m_memory.efficiency <= max_memory_efficiency))
                mf->fail("efficiency", "expected a share of the peak bandwidth in (0, " +
                                           detail::format_double(max_memory_efficiency) + "]");
            const std::size_t trained = p.m_info.rows - p.m_info.test_rows - p.m_info.excluded_rows;
            if (p.m_memory.rows == 0 || p.m_memory.rows > trained)
                mf->fail("rows", "expected 1 to the training rows (" + std::to_string(trained) + "), got " +
                                     std::to_string(p.m_memory.rows));
        }
        if (const auto co = top.find("call_overhead")) p.read_call_overhead(*co);
        const std::vector<json_value> refs = top.array("references");
        if (refs.empty()) top.fail("references", "expected at least one reference query (the model checks itself with them)");
        for (const json_value& q : refs) p.m_refs.push_back(read_reference(q));
        if (!top.has("digest") && verify_references)
            top.fail("digest", "missing: a model file records the SHA-256 digest of its contents, which perfcast "
                               "checks (a file written before digests: Predictor::parse(text, file, false), "
                               "Predictor::verify() and save() add it)");
        const std::string stored = top.string("digest", "");
        if (top.has("digest") && (stored.size() != 7 + 64 || stored.rfind("sha256:", 0) != 0 ||
                                  stored.find_first_not_of("0123456789abcdef", 7) != std::string::npos))
            top.fail("digest", "expected \"sha256:\" and 64 lower-case hex digits");
        top.no_other_keys();
        p.check_devices(top);
        p.rebuild_view(file);
        if (verify_references) {
            const json_value digest = top["digest"];
            const std::string actual = digest.located([&] { return model_digest(top.raw()); });
            if (actual != stored)
                digest.fail("the file's contents have digest " + actual + " where the file records " + stored +
                            ": the model was altered after it was written");
            p.verify(file);
        }
        return p;
    }

    static Predictor load(const std::string& path, bool verify_references = true) {
        return parse(detail::read_file(path), path, verify_references);
    }

private:
    friend Predictor train_predictor(const Dataset&, const DeviceRegistry&, const TrainOptions&, const TrainProgress&);

    // ---- the model file's parts (parse) ----

    static std::vector<std::string> read_strings(const detail::json_value& o, std::string_view key) {
        std::vector<std::string> out;
        if (const auto a = o.find(key))
            for (const detail::json_value& s : a->array()) out.push_back(s.string());
        return out;
    }

    static TrainingInfo read_training(const detail::json_value& t) {
        TrainingInfo info;
        info.data_hash = t.string("data_hash", "");
        info.data_files = read_strings(t, "data_files");
        info.rows = t.integer<std::size_t>("rows", 0);
        info.test_rows = t.integer<std::size_t>("test_rows", 0);
        if (info.test_rows > info.rows)
            t.fail("test_rows", "expected at most the rows read (" + std::to_string(info.rows) + "), got " +
                                    std::to_string(info.test_rows));
        info.exclude_sources = read_strings(t, "exclude_sources");
        for (std::size_t i = 0; i < info.exclude_sources.size(); ++i)
            if (info.exclude_sources[i].empty()) t["exclude_sources"][i].fail("expected a source's prefix, not \"\"");
        info.excluded_rows = t.integer<std::size_t>("excluded_rows", 0);
        if (info.excluded_rows > 0 && info.exclude_sources.empty())
            t.fail("excluded_rows", "rows left out without the sources they came from (exclude_sources)");
        if (info.excluded_rows > info.rows - info.test_rows)
            t.fail("excluded_rows", "expected at most the rows read less those held out (" +
                                        std::to_string(info.rows - info.test_rows) + "), got " +
                                        std::to_string(info.excluded_rows));
        info.holdout = t.number("holdout", 0.0);
        if (!(info.holdout >= 0 && info.holdout < 1)) t.fail("holdout", "expected a number in [0, 1)");
        info.split_salt = t.integer<std::uint64_t>("split_salt", 1);
        // what the model was trained on: known names, each once, at least one of each
        const auto names = [&t](std::string_view key, auto known) {
            std::vector<std::string> out = read_strings(t, key);
            if (out.empty()) t.fail(key, "expected at least one");
            for (std::size_t i = 0; i < out.size(); ++i) {
                if (!known(out[i])) t[key][i].fail("unknown: \"" + detail::clipped(out[i]) + "\"");
                if (std::find(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(i), out[i]) !=
                    out.begin() + static_cast<std::ptrdiff_t>(i))
                    t[key][i].fail("\"" + detail::clipped(out[i]) + "\" is listed twice");
            }
            return out;
        };
        info.devices = names("devices", [](const std::string&) { return true; });  // against devices_spec below
        info.dtypes = names("dtypes", [](const std::string& s) { return parse_dtype(s).has_value(); });
        info.passes = names("passes", [](const std::string& s) { return parse_pass(s).has_value(); });
        info.seconds = t.number("seconds", 0.0);
        if (!(info.seconds >= 0 && std::isfinite(info.seconds))) t.fail("seconds", "expected a finite number >= 0");
        if (const auto m = t.find("metrics")) info.metrics = m->object().raw();
        // each training device described whole, and nothing else: a device named without its description is refused
        const std::vector<detail::json_value> spec = t.array("devices_spec");
        std::vector<std::string> described;
        for (const detail::json_value& d : spec) described.push_back(d.string("id"));
        for (std::size_t i = 0; i < info.devices.size(); ++i)
            if (std::find(described.begin(), described.end(), info.devices[i]) == described.end())
                t["devices"][i].fail("\"" + detail::clipped(info.devices[i]) +
                                     "\" has no description in training.devices_spec");
        for (std::size_t i = 0; i < described.size(); ++i)
            if (std::count(described.begin(), described.end(), described[i]) != 1 ||
                std::find(info.devices.begin(), info.devices.end(), described[i]) == info.devices.end())
                spec[i].fail("id", "expected one description per training device, once each");
        info.devices_spec = t["devices_spec"].raw();
        if (const auto floors = t.find("kernel_floors_us")) {
            const std::vector<detail::json_value> list = floors->array();
            if (list.size() != info.devices.size())
                floors->fail("expected one floor per training device (" + std::to_string(info.devices.size()) + ")");
            for (const detail::json_value& v : list) {
                const double us = v.number();
                if (!(us >= 0 && us <= max_latency_us))
                    v.fail("expected microseconds in [0, " + detail::format_double(max_latency_us) + "]");
                info.kernel_floors_us.push_back(us);
            }
        }
        t.no_other_keys();
        return info;
    }

    /** @brief Every model entry's devices are training devices, and the floors its baseline takes are in the
     *  file (checked once the whole file is read). */
    void check_devices(const detail::json_value& top) const {
        const auto check = [&](const KindEnsemble& e, const detail::json_value& at) {
            for (std::size_t i = 0; i < e.devices.size(); ++i)
                if (std::find(m_info.devices.begin(), m_info.devices.end(), e.devices[i]) == m_info.devices.end())
                    at["devices"][i].fail("\"" + detail::clipped(e.devices[i]) + "\" is not among training.devices");
            if (e.kernel_floor && m_info.kernel_floors_us.empty())
                at.fail("kernel_floor", "the model has no kernel floors (training.kernel_floors_us) to add");
        };
        for (const auto& [k, e] : m_models) check(e, top["models"][to_string(k)]);
        for (std::size_t i = 0; i < m_portable.size(); ++i) check(m_portable[i], top["portable_models"][i]);
    }

    /** @brief A model entry as JSON: its schema, its member MLPs and ranges (the tier adds its own keys). */
    static nlohmann::json entry_to_json(const KindEnsemble& m) {
        nlohmann::json o;
        o["features"] = std::string(to_string(m.features));
        o["relative_to_roofline"] = m.relative_to_roofline;
        o["feature_names"] = m.feature_names;
        if (m.members.size() == 1) {
            o["regressor"] = m.members.front().to_json();
        } else {
            o["ensemble"] = nlohmann::json::array();
            for (const TrainedRegressor& r : m.members) o["ensemble"].push_back(r.to_json());
        }
        if (!m.feature_min.empty()) {
            o["feature_min"] = m.feature_min;
            o["feature_max"] = m.feature_max;
        }
        if (!m.devices.empty()) o["devices"] = m.devices;
        if (m.kernel_floor) o["kernel_floor"] = true;
        if (m.features == FeatureSet::portable || m.kernel_floor) o["latency_us"] = m.latency_us;
        return o;
    }

    /**
     * @brief One model entry (of "models" or "portable_models"): its schema, its member MLPs (each placed
     * at its own path) and ranges, for kind @p k of a model trained under feature schema @p schema;
     * @p also names the keys the caller reads itself.
     */
    static KindEnsemble read_entry(const detail::json_value& o, LayerKind k, int schema,
                                   std::initializer_list<std::string_view> also) {
        const std::string key(to_string(k));
        KindEnsemble m;
        m.kind = k;
        m.features = o["features"].located([&] { return parse_feature_set(o.string("features")); });
        // a set changed since the model's schema no longer computes what the model learned from
        if (!feature_set_current(m.features, schema))
            o.fail("features", "the model's \"" + std::string(to_string(m.features)) +
                                   "\" features are those of feature schema " + std::to_string(schema) +
                                   "; the set changed in schema " + std::to_string(feature_set_since(m.features)) +
                                   ": retrain the model");
        m.relative_to_roofline = o.boolean("relative_to_roofline", true);
        m.kernel_floor = o.boolean("kernel_floor", false);
        m.latency_us = o.number("latency_us", 0.0);
        if (!(m.latency_us >= 0 && m.latency_us <= max_latency_us))
            o.fail("latency_us", "expected a number of microseconds in [0, " + detail::format_double(max_latency_us) + "]");
        m.feature_names = read_strings(o, "feature_names");
        if (!o.has("feature_names")) o.fail("feature_names", "missing (an array of strings is required)");
        const bool single = o.has("regressor"), ensemble = o.has("ensemble");
        if (single == ensemble) o.fail("expected one of \"regressor\" (one MLP) or \"ensemble\" (an array)");
        if (single) {
            m.members.push_back(TrainedRegressor::read(o["regressor"]));
        } else {
            const std::vector<detail::json_value> members = o.array("ensemble");
            if (members.empty()) o.fail("ensemble", "expected a non-empty array of MLPs");
            for (const detail::json_value& mj : members) {
                m.members.push_back(TrainedRegressor::read(mj));
                if (!(m.members.back().target_transform() == m.members.front().target_transform()))
                    mj.fail("a different target transform from member 0's (members are averaged in it)");
            }
        }
        const auto range = [&](std::string_view name, std::vector<double>& out) {
            if (const auto a = o.find(name)) {
                out.assign(a->size(), 0.0);
                a->numbers(out);
            }
        };
        range("feature_min", m.feature_min);
        range("feature_max", m.feature_max);
        m.devices = read_strings(o, "devices");
        if (m.feature_min.size() != m.feature_max.size() ||
            (!m.feature_min.empty() && m.feature_min.size() != m.feature_names.size()))
            o.fail(o.has("feature_min") ? "feature_min" : "feature_max", "expected one minimum and one maximum per feature");
        for (std::size_t i = 0; i < m.feature_min.size(); ++i)
            if (!(m.feature_min[i] <= m.feature_max[i]))
                o["feature_max"][i].fail("below feature_min[" + std::to_string(i) + "] (" +
                                         detail::format_double(m.feature_min[i]) + ")");
        for (std::string_view a : also) o.find(a);  // read by the caller
        o.no_other_keys();
        // the features this perfcast computes must be the ones the model was trained on
        if (feature_names(m.features, detail::example_layer(k)) != m.feature_names)
            o.fail("feature_names", "differ from the features this perfcast computes for " + key);
        for (const TrainedRegressor& reg : m.members)
            if (reg.input_size() != m.feature_names.size())
                o.fail(single ? "regressor" : "ensemble", "expects " + std::to_string(reg.input_size()) +
                                                              " inputs, the schema has " +
                                                              std::to_string(m.feature_names.size()));
        return m;
    }

    void read_call_overhead(const detail::json_value& co) {
        m_overhead_device = co.string("device");
        m_overhead_files = read_strings(co, "files");
        if (const auto passes = co.find("passes"))
            for (const detail::json_value& s : passes->array())
                if (s.string() != "inference") s.fail("expected \"inference\" (the overhead of a forward call)");
        for (const auto& [key, o] : co["kinds"].members()) {
            const auto k = parse_layer_kind(key);
            if (!k) o.fail("unknown layer kind \"" + key + "\"");
            const auto i = static_cast<std::size_t>(*k);
            if (o.has("level") || o.has("level_rows")) {  // the device's level of the kind
                const double level = o.number("level");
                const auto n = o.integer<std::size_t>("level_rows");
                if (!(level > 1.0 / CallOverhead::max_level && level <= CallOverhead::max_level) || n == 0)
                    o.fail("expected a level in (1/" + detail::format_double(CallOverhead::max_level) + ", " +
                           detail::format_double(CallOverhead::max_level) + "] and level_rows > 0");
                m_overhead.level[i] = level;
                m_overhead.level_rows[i] = n;
            }
            if (o.has("us") || o.has("us_per_mb") || o.has("rows") || !o.has("level")) {  // its call overhead
                const double us = o.number("us");
                const double per_mb = o.number("us_per_mb", 0.0);
                const auto n = o.integer<std::size_t>("rows");
                if (!(us >= 0 && us <= max_latency_us) || !(per_mb >= 0 && per_mb <= max_latency_us) || n == 0)
                    o.fail("expected us and us_per_mb in [0, " + detail::format_double(max_latency_us) + "] and rows > 0");
                m_overhead.us[i] = us;
                m_overhead.us_per_mb[i] = per_mb;
                m_overhead.rows[i] = n;
            }
            o.no_other_keys();
        }
        co.no_other_keys();
        if (m_overhead_device.empty() || !m_overhead.fitted()) co.fail("expected a device and at least one kind");
    }

    static ReferenceQuery read_reference(const detail::json_value& q) {
        ReferenceQuery rq;
        const auto batch = q.integer("batch");
        if (batch < 1) q.fail("batch", "batch must be >= 1 (got " + std::to_string(batch) + ")");
        rq.layer = detail::read_layer(q["layer"], batch, 0).layer;
        rq.device_json = q["device"].object().raw().dump();
        rq.pass = q["pass"].located([&] {
            const std::string s = q.string("pass");
            const auto v = parse_pass(s);
            if (!v) throw error("expected inference or training (got \"" + s + "\")");
            return *v;
        });
        rq.dtype = q["dtype"].located([&] {
            const std::string s = q.string("dtype");
            const auto v = parse_dtype(s);
            if (!v) throw error("expected fp32, tf32, fp16 or bf16 (got \"" + s + "\")");
            return *v;
        });
        rq.predicted_us = q.number("predicted_us");
        if (!(rq.predicted_us > 0 && std::isfinite(rq.predicted_us))) q.fail("predicted_us", "expected a finite time > 0");
        q.no_other_keys();
        return rq;
    }

    /** @brief Lays the data out anew as view() (after any change of the models, metadata or references). */
    void rebuild_view(const std::string& file = "<model>") {
        std::vector<const KindEnsemble*> models;
        for (const auto& [k, m] : m_models) models.push_back(&m);
        for (const KindEnsemble& m : m_portable) models.push_back(&m);
        m_view = std::make_shared<const detail::model_view_data>(m_name, m_schema, models, m_info.passes,
                                                                 m_info.dtypes, m_info.devices, m_info.kernel_floors_us,
                                                                 m_info.data_hash, m_memory, m_overhead, m_overhead_device, m_refs, file);
    }

    std::string m_name;
    int m_schema = feature_schema_version;  ///< the feature schema the model was trained under
    std::map<LayerKind, KindEnsemble> m_models;
    std::vector<KindEnsemble> m_portable;
    MemoryFit m_memory;
    CallOverhead m_overhead;
    std::string m_overhead_device;
    std::vector<std::string> m_overhead_files;
    TrainingInfo m_info;
    std::vector<ReferenceQuery> m_refs;
    /// immutable, so copies of a predictor share it; rebuilt by every change
    std::shared_ptr<const detail::model_view_data> m_view;
};

/** @brief Each device's kernel floor, microseconds (TrainingInfo::kernel_floors_us), by device id. */
using KernelFloors = std::map<std::string, double, std::less<>>;

/** @brief The fewest rows of a kind under 1 us of roofline that give a device's kernel floor (kernel_floors). */
inline constexpr std::size_t min_floor_rows = 10;

/**
 * @brief Each GPU's kernel floor in a dataset, microseconds: the time of its cheapest call, the median time of
 * its measured forward (inference) rows whose roofline is under 1 us, of the memory-bound kind (activation,
 * add, ...) with the lowest such median (at least min_floor_rows rows). On NeuSight's machines it is an add
 * of two small tensors: 26-44 us through PyTorch. It is what a portable model's baseline takes per kernel on that machine
 * (portable_baseline_us), and what a user who timed small calls on their machine gives as its
 * Device::kernel_floor_us.
 */
inline KernelFloors kernel_floors(const std::vector<const Sample*>& samples, const DeviceRegistry& reg) {
    std::map<std::pair<std::string, LayerKind>, std::vector<double>> small;  // (device, kind): times
    for (const Sample* p : samples) {
        const Sample& s = *p;
        if (!s.measured() || s.pass != Pass::inference || !memory_bound_kind(kind(s.layer))) continue;
        const Device& d = reg.get(s.device);
        if (d.kind == DeviceKind::gpu && roofline_us(s.layer, Target(d, s.pass, s.dtype)) < 1.0)
            small[{s.device, kind(s.layer)}].push_back(s.time_us);
    }
    KernelFloors out;
    for (auto& [key, times] : small) {
        if (times.size() < min_floor_rows) continue;
        const auto mid = times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2);
        std::nth_element(times.begin(), mid, times.end());
        const double median = *mid;
        const auto [at, added] = out.emplace(key.first, median);
        if (!added) at->second = std::min(at->second, median);
    }
    return out;
}

/** @brief kernel_floors() of every row of a dataset. */
inline KernelFloors kernel_floors(const Dataset& ds, const DeviceRegistry& reg) {
    std::vector<const Sample*> rows;
    for (const Sample& s : ds.rows) rows.push_back(&s);
    return kernel_floors(rows, reg);
}

/**
 * @brief The rows of one kind as a feature matrix and target vector: time / roofline (@p relative), or with
 * @p floor_baseline (KindEnsemble::floor_baseline) time / portable_baseline_us with the row's device's floor
 * from @p floors, or @p latency_us; the time itself if neither.
 */
inline void feature_matrix(const std::vector<const Sample*>& rows, const DeviceRegistry& reg, FeatureSet set,
                           bool relative, xt::xtensor<double, 2>& X, xt::xtensor<double, 1>& y,
                           double latency_us = 0.0, const KernelFloors& floors = {}, bool floor_baseline = false) {
    if (rows.empty()) throw error("data", "no rows");
    std::vector<double> v;
    compute_features(set, rows[0]->layer, Target(reg.get(rows[0]->device), rows[0]->pass, rows[0]->dtype), &v, nullptr);
    const std::size_t cols = v.size();
    X = xt::xtensor<double, 2>::from_shape({rows.size(), cols});
    y = xt::xtensor<double, 1>::from_shape({rows.size()});
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const Sample& s = *rows[i];
        const Device& d = reg.get(s.device);
        v.clear();
        const Target t(d, s.pass, s.dtype);
        compute_features(set, s.layer, t, &v, nullptr);
        for (std::size_t c = 0; c < cols; ++c) X(i, c) = v[c];
        const auto floor = floors.find(s.device);
        y(i) = !relative       ? s.time_us
               : floor_baseline ? s.time_us / portable_baseline_us(s.layer, t, floor != floors.end() ? floor->second : latency_us)
                                : s.time_us / roofline_us(s.layer, t);
    }
}

namespace detail {

/**
 * @brief One model entry trained on @p rows: its schema and feature ranges, then `o.ensemble` MLPs
 * from seeds mlp.seed, mlp.seed + 1, ... (`stopped` is set when the progress callback stops training).
 */
inline KindEnsemble train_entry(const std::vector<const Sample*>& rows, const DeviceRegistry& reg,
                                const TrainOptions& o, LayerKind k, FeatureSet set, double latency_us,
                                const KernelFloors& floors, const std::string& label, const TrainProgress& progress, std::atomic<bool>& stopped,
                                nlohmann::json& metrics) {
    KindEnsemble m;
    m.kind = k;
    m.features = set;
    m.relative_to_roofline = o.relative_to_roofline;
    m.latency_us = latency_us;
    m.feature_names = feature_names(set, rows[0]->layer);
    std::set<std::string> devices;
    for (const Sample* s : rows) devices.insert(s->device);
    m.devices.assign(devices.begin(), devices.end());
    // a device-specific model takes its machines' floors when each of its devices is a GPU with one
    m.kernel_floor = set != FeatureSet::portable && o.kernel_floor && o.relative_to_roofline &&
                     std::all_of(m.devices.begin(), m.devices.end(), [&](const std::string& id) {
                         return reg.get(id).kind == DeviceKind::gpu && floors.count(id) != 0;
                     });
    xt::xtensor<double, 2> X;
    xt::xtensor<double, 1> y;
    feature_matrix(rows, reg, set, o.relative_to_roofline, X, y, latency_us, floors, m.floor_baseline());
    m.feature_min.assign(X.shape(1), 0.0);
    m.feature_max.assign(X.shape(1), 0.0);
    for (std::size_t c = 0; c < X.shape(1); ++c) {
        if (device_only_feature(m.feature_names[c])) {  // a device beyond the data is the model's to answer
            m.feature_min[c] = -unbounded_feature;
            m.feature_max[c] = unbounded_feature;
            continue;
        }
        m.feature_min[c] = m.feature_max[c] = X(0, c);
        for (std::size_t r = 1; r < X.shape(0); ++r) {
            m.feature_min[c] = std::min(m.feature_min[c], X(r, c));
            m.feature_max[c] = std::max(m.feature_max[c], X(r, c));
        }
    }
    ProgressCallback cb;
    if (progress)
        cb = [&](std::size_t e, double tl, double vl) {
            if (!progress(label, e, tl, vl)) stopped = true;
            return !stopped;
        };
    nlohmann::json best_epochs = nlohmann::json::array(), epochs = nlohmann::json::array();
    double seconds = 0.0;
    for (std::size_t i = 0; i < o.ensemble && !stopped; ++i) {
        MlpConfig c = set == FeatureSet::portable ? o.portable_mlp.value_or(o.mlp)
                      : memory_bound_kind(k) && o.memory_mlp ? *o.memory_mlp
                                                             : o.mlp;
        c.seed = o.mlp.seed + i;  // member 0 is the single network a 1-member ensemble would train
        m.members.push_back(train_mlp(X, y, c, cb));
        best_epochs.push_back(m.members.back().history().best_epoch);
        epochs.push_back(m.members.back().history().epochs.size());
        seconds += m.members.back().history().seconds;
    }
    metrics = {{"train_rows", rows.size()}, {"members", m.members.size()}, {"best_epoch", best_epochs},
               {"epochs", epochs}, {"seconds", seconds}};
    return m;
}

}  // namespace detail

/**
 * @brief Trains a predictor on the measured rows of `ds` that are not held out (held_out(row,
 * options.holdout, options.split_salt)): one model per learned kind under options.features (the
 * device-specific tier), and with options.portable, on GPU rows, the portable tier: one model per
 * GEMM-like kind and one that serves every memory-bound kind, under FeatureSet::portable, relative to
 * portable_baseline_us with the memory fit's kernel latency.
 */
inline Predictor train_predictor(const Dataset& ds, const DeviceRegistry& reg, const TrainOptions& o,
                                 const TrainProgress& progress = {}) {
    const auto start = std::chrono::steady_clock::now();
    if (o.ensemble == 0) throw error("ensemble", "expected at least 1 MLP per kind");
    Predictor p;
    p.m_name = o.name;
    p.m_info.holdout = o.holdout;
    p.m_info.split_salt = o.split_salt;
    p.m_info.exclude_sources = o.exclude_sources;
    std::map<LayerKind, std::vector<const Sample*>> by_kind;
    std::map<LayerKind, std::vector<const Sample*>> portable_gemm;
    std::vector<const Sample*> portable_memory;
    std::set<std::string> devices, dtypes, passes;
    std::vector<MemoryFitRow> memory_rows;
    std::vector<const Sample*> trained;  // every measured row not held out, of any kind
    std::uint64_t hash = 1469598103934665603ULL;
    for (const Sample& s : ds.rows) {
        if (!s.measured()) continue;
        ++p.m_info.rows;
        if (excluded_source(s, o.exclude_sources)) {
            ++p.m_info.excluded_rows;
            continue;
        }
        if (held_out(s, o.holdout, o.split_salt)) {
            ++p.m_info.test_rows;
            continue;
        }
        const LayerKind k = kind(s.layer);
        trained.push_back(&s);
        if (memory_bound_kind(k))
            memory_rows.push_back(memory_fit_row(s.layer, Target(reg.get(s.device), s.pass, s.dtype), s.time_us));
        if (!o.kinds.empty() && std::find(o.kinds.begin(), o.kinds.end(), k) == o.kinds.end()) continue;
        if (std::find(learned_kinds.begin(), learned_kinds.end(), k) == learned_kinds.end()) continue;
        by_kind[k].push_back(&s);
        if (o.portable && reg.get(s.device).kind == DeviceKind::gpu) {
            if (detail::features_kernel::gemm_like(k)) portable_gemm[k].push_back(&s);
            else if (memory_bound_kind(k)) portable_memory.push_back(&s);
        }
        devices.insert(s.device);
        dtypes.insert(std::string(to_string(s.dtype)));
        passes.insert(std::string(to_string(s.pass)));
        hash = detail::fnv1a(detail::row_key(s) + "|" + detail::format_double(s.time_us) + "\n", hash);
    }
    if (by_kind.empty())
        throw error("data", "no measured rows of a learned kind (" + kind_names(learned_kinds) + ") to train on");
    p.m_memory = fit_memory_model(memory_rows);  // unfitted without enough memory-bound rows
    p.m_info.data_hash = "fnv1a64:" + detail::hex64(hash);
    p.m_info.devices.assign(devices.begin(), devices.end());
    p.m_info.dtypes.assign(dtypes.begin(), dtypes.end());
    p.m_info.passes.assign(passes.begin(), passes.end());
    for (const auto& id : p.m_info.devices) p.m_info.devices_spec.push_back(device_to_json(reg.get(id)));
    // the models to train, in the order the model file lists them; they train concurrently
    struct Job {
        const std::vector<const Sample*>* rows;
        LayerKind kind;
        FeatureSet features;
        double latency_us;
        std::string label;
        std::vector<LayerKind> serves;
        KindEnsemble result{};
        nlohmann::json metrics{};
    };
    std::vector<Job> jobs;
    // the portable tier's baseline takes each training device's kernel floor, its cheapest call (a launch
    // through the harness' host and framework: 26-44 us on NeuSight's five machines); a device without one
    // (too few small memory-bound rows) and a device outside the data without a Device::kernel_floor_us of
    // its own take the median of the training GPUs' floors
    KernelFloors floors = kernel_floors(trained, reg);
    std::vector<double> floor_values;
    for (const auto& [id, us] : floors) floor_values.push_back(us);
    double latency = p.m_memory.fitted() ? p.m_memory.latency_us : 0.0;
    if (!floor_values.empty()) {
        std::sort(floor_values.begin(), floor_values.end());
        const std::size_t n = floor_values.size();
        latency = n % 2 ? floor_values[n / 2] : 0.5 * (floor_values[n / 2 - 1] + floor_values[n / 2]);
        for (const std::string& id : p.m_info.devices) {
            const auto f = floors.find(id);
            p.m_info.kernel_floors_us.push_back(f != floors.end() ? f->second : latency);
        }
        for (const std::string& id : p.m_info.devices) floors.emplace(id, latency);  // kept where measured
    }
    for (const auto& [k, rows] : by_kind) jobs.push_back({&rows, k, o.features, latency, std::string(to_string(k)), {}});
    for (const auto& [k, rows] : portable_gemm)
        jobs.push_back({&rows, k, FeatureSet::portable, latency, "portable " + std::string(to_string(k)), {}});
    if (!portable_memory.empty()) {
        // one model for every memory-bound kind: the kinds without rows read as their bytes alone (their
        // flags, never set in training, are clamped to 0 by the feature ranges)
        std::vector<LayerKind> kinds;
        for (LayerKind k : all_layer_kinds)
            if (memory_bound_kind(k)) kinds.push_back(k);
        jobs.push_back({&portable_memory, kinds.front(), FeatureSet::portable, latency, "portable memory-bound",
                        std::vector<LayerKind>(kinds.begin() + 1, kinds.end())});
    }
    std::atomic<bool> stopped{false};
    std::mutex progress_mutex;
    const TrainProgress serial = progress ? TrainProgress([&](std::string_view m, std::size_t e, double tl, double vl) {
        const std::lock_guard<std::mutex> lock(progress_mutex);
        return progress(m, e, tl, vl);
    })
                                          : TrainProgress();
    std::atomic<std::size_t> next{0};
    const auto work = [&] {
        for (std::size_t i = next++; i < jobs.size(); i = next++) {
            Job& j = jobs[i];
            if (stopped) break;
            j.result = detail::train_entry(*j.rows, reg, o, j.kind, j.features, j.latency_us, floors, j.label, serial, stopped,
                                           j.metrics);
            j.result.serves = j.serves;
        }
    };
    const std::size_t threads =
        std::max<std::size_t>(1, std::min<std::size_t>(o.threads ? o.threads : std::thread::hardware_concurrency(), jobs.size()));
    std::vector<std::thread> pool;
    for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (std::thread& t : pool) t.join();
    for (Job& j : jobs) {
        if (j.result.members.empty()) continue;  // not reached: training was stopped
        p.m_info.metrics[j.label] = j.metrics;
        if (j.features == FeatureSet::portable) {
            p.m_portable.push_back(std::move(j.result));
        } else {
            p.m_models[j.kind] = std::move(j.result);
            std::vector<const Sample*> refs;  // reference queries: rows spread over the kind's
            const std::vector<const Sample*>& rows = *j.rows;
            for (std::size_t i = 0; i < o.references_per_kind && i < rows.size(); ++i)
                refs.push_back(rows[i * (rows.size() - 1) / std::max<std::size_t>(o.references_per_kind - 1, 1)]);
            p.rebuild_view();  // the model just trained answers its reference queries
            p.add_references(refs, reg);
        }
    }
    if (!p.m_portable.empty()) {
        // reference queries on a device outside the data, so that the portable tier is checked too
        std::vector<const Sample*> rows;
        for (const auto& [k, r] : portable_gemm) rows.push_back(r.front());
        if (!portable_memory.empty()) rows.push_back(portable_memory.front());
        p.rebuild_view();
        for (const Sample* s : rows) {
            const Device& d = devices::h100_sxm;
            p.m_refs.push_back({s->layer, device_to_json(d).dump(), s->pass, s->dtype,
                                p.predict_us(s->layer, Target(d, s->pass, s->dtype))});
        }
    }
    p.rebuild_view();
    p.m_info.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return p;
}

}  // namespace perfcast

