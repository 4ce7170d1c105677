/**
 * @file dataset.hpp
 * @brief Measured layer timings: the dataset schema (CSV, "perfcast-dataset" version 3; versions 1 and 2
 *        are read too), its reader, which refuses bad rows with file, line and column, and its writer.
 *
 * One row is one layer configuration measured for one pass, precision and device:
 *
 *     # format: perfcast-dataset
 *     # version: 3
 *     # device: NVIDIA H100 80GB HBM3          (any "# key: value" lines: provenance)
 *     kind,pass,dtype,device,batch,...,time_us,samples,spread,error,source
 *
 * Columns may come in any order; a column a row's kind does not use is left empty.
 * `time_us` is the median (or the source's statistic, named in the provenance) in
 * microseconds; `samples` the number of timed repetitions; `spread` their relative
 * spread (interquartile range / median), empty when unknown; `error` is empty for a
 * measured row and holds the reason for a configuration that could not be measured
 * (out of memory, unsupported), whose time_us is then empty; `source` says where the
 * row came from (a harness run, or an imported file and line); `kernel`, optional, the kernel the
 * measured library chose where the source names it.
 */
#pragma once

#include <algorithm>    // find
#include <array>        // array
#include <charconv>     // from_chars
#include <cmath>        // isfinite
#include <cstdint>      // int64_t
#include <initializer_list>  // initializer_list: required columns
#include <map>          // map
#include <optional>     // optional
#include <ostream>      // ostream
#include <sstream>      // ostringstream
#include <string>       // string
#include <string_view>  // string_view
#include <vector>       // vector

#include "../core/error.hpp"           // error, source_location
#include "detail/files.hpp"            // read_file, write_file
#include "io/device_json.hpp"  // DeviceRegistry
#include "../core/layers.hpp"          // Layer, the parameter structs, check
#include "../core/target.hpp"          // Target
#include "../core/types.hpp"           // Pass, DType

namespace perfcast {

inline constexpr std::string_view dataset_format = "perfcast-dataset";
/// Version 2 added the `inputs` column (add, concat) and rank-2 shapes for activation and add, and
/// softmax and concat rows; version 3 added bmm, layernorm and elementwise rows (columns `m`, `k`, `n`,
/// `op`, `scalar`, `affine`) and the optional `kernel` column. Versions 1 and 2 are read as they are.
inline constexpr int dataset_format_version = 3;

/**
 * @brief Every column of the schema, in the order the writer uses. The columns before `time_us`
 * identify a row's layer; `kernel` (optional, free text) names the kernel the measured library chose
 * (`volta_sgemm_64x64_nn`), for reading the data: nothing reads it to predict.
 */
inline constexpr std::array<std::string_view, 39> dataset_columns{
    "kind",       "pass",       "dtype",   "device",     "batch",      "seq",      "in_features", "out_features",
    "in_channels", "out_channels", "channels", "height",  "width",      "kernel_h", "kernel_w",    "stride_h",
    "stride_w",   "pad_h",      "pad_w",   "dilation_h", "dilation_w", "groups",   "bias",        "mode",
    "global",     "activation", "inputs",  "m",          "k",          "n",        "op",          "scalar",
    "affine",     "time_us",    "samples", "spread",     "error",      "source",   "kernel"};

/** @brief One measured (or failed) configuration. */
struct Sample {
    Layer layer;
    Pass pass = Pass::inference;
    DType dtype = DType::fp32;
    std::string device;   ///< the device's id in the registry ("t4")
    double time_us = 0;   ///< 0 when the configuration failed
    std::int64_t samples = 0;
    double spread = -1;   ///< relative spread; < 0 when unknown
    std::string error;    ///< empty when measured
    std::string source;
    std::string kernel;   ///< the kernel the measured library chose, when the source names it (free text)

    bool measured() const noexcept { return error.empty(); }
    /** @brief What the row was measured for, on its device (looked up by the caller: `device` is an id). */
    Target target(const Device& d) const noexcept { return Target(d, pass, dtype); }
};

/** @brief A dataset: its provenance ("# key: value" lines) and its rows. */
struct Dataset {
    std::map<std::string, std::string> provenance;
    std::vector<Sample> rows;

    /** @brief The rows that hold a measurement (failed configurations left out). */
    std::size_t measured_count() const noexcept {
        std::size_t n = 0;
        for (const auto& r : rows) n += r.measured() ? 1 : 0;
        return n;
    }
};

namespace detail {

/** @brief Splits one CSV line; fields may be quoted ("a,b" and "" for a quote). */
inline std::vector<std::string> split_csv(std::string_view line) {
    std::vector<std::string> out;
    std::string cur;
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                cur += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                cur += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            out.push_back(std::move(cur));
            cur.clear();
        } else if (c != '\r') {
            cur += c;
        }
    }
    out.push_back(std::move(cur));
    return out;
}

/** @brief Records a "# key: value" comment line (provenance) in `out`; other comments are ignored. */
inline void read_provenance_line(const std::string& line, std::map<std::string, std::string>& out) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) return;
    auto trim = [](std::string s) {
        s.erase(0, s.find_first_not_of(" \t"));
        s.erase(s.find_last_not_of(" \t") + 1);
        return s;
    };
    out[trim(line.substr(1, colon - 1))] = trim(line.substr(colon + 1));
}

inline std::string quote_csv(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

/** @brief Reads the cells of one row by column name; errors name file, line and column. */
class row_reader {
public:
    row_reader(const std::string& file, std::size_t line, const std::vector<std::string>& cells,
               const std::map<std::string, std::size_t>& columns)
        : m_file(file), m_line(line), m_cells(cells), m_columns(columns) {}

    /** @brief The row's line in its file (1-based). */
    std::size_t line() const noexcept { return m_line; }

    [[noreturn]] void fail(std::string_view column, const std::string& message) const {
        const auto it = m_columns.find(std::string(column));
        const std::size_t col = it == m_columns.end() ? 0 : it->second + 1;
        throw error(source_location{m_file, m_line, col}, std::string(column), message);
    }
    /** @brief Has the file this column (whatever this row's cell holds)? */
    bool has_column(std::string_view column) const { return m_columns.count(std::string(column)) != 0; }
    std::string_view cell(std::string_view column) const {
        const auto it = m_columns.find(std::string(column));
        if (it == m_columns.end() || it->second >= m_cells.size()) return {};
        return m_cells[it->second];
    }
    std::int64_t integer(std::string_view column) const {
        const std::string_view s = cell(column);
        if (s.empty()) fail(column, "missing (an integer is required for this kind)");
        std::int64_t v = 0;
        const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc() || p != s.data() + s.size()) fail(column, "expected an integer (got \"" + detail::excerpt(s) + "\")");
        return v;
    }
    std::int64_t integer(std::string_view column, std::int64_t fallback) const {
        return cell(column).empty() ? fallback : integer(column);
    }
    double number(std::string_view column) const {
        const std::string_view s = cell(column);
        if (s.empty()) fail(column, "missing (a number is required)");
        // the whole cell, decimal: no leading space, hex float, nan, inf or a value beyond a double
        double v = 0;
        const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::general);
        if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v))
            fail(column, "expected a number (got \"" + detail::excerpt(s) + "\")");
        return v;
    }
    bool boolean(std::string_view column, bool fallback) const {
        const std::string_view s = cell(column);
        if (s.empty()) return fallback;
        if (s == "1" || s == "true") return true;
        if (s == "0" || s == "false") return false;
        fail(column, "expected 0, 1, true or false (got \"" + detail::excerpt(s) + "\")");
    }

private:
    const std::string& m_file;
    std::size_t m_line;
    const std::vector<std::string>& m_cells;
    const std::map<std::string, std::size_t>& m_columns;
};

/**
 * @brief Reads a CSV text of "# key: value" provenance lines (into `provenance`), one header line
 * naming the columns in any order (`required` among them) and data lines, calling `row(r)` with a
 * row_reader for each data line that has as many cells as the header. `header_hint` completes the
 * error when there is no header ("network,batch,...,time_ms,...").
 * @throws perfcast::error naming the file, line and column
 */
template <class Row>
void read_csv_rows(const std::string& text, const std::string& file, std::initializer_list<const char*> required,
                   std::string_view header_hint, std::map<std::string, std::string>& provenance, Row&& row) {
    std::map<std::string, std::size_t> columns;
    std::istringstream in(text);
    std::string line;
    std::size_t line_no = 0;
    bool header = false;
    while (std::getline(in, line)) {
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        if (line[0] == '#') {
            read_provenance_line(line, provenance);
            continue;
        }
        const std::vector<std::string> cells = split_csv(line);
        if (!header) {
            for (std::size_t i = 0; i < cells.size(); ++i)
                if (!columns.emplace(cells[i], i).second)
                    throw error(source_location{file, line_no, i + 1}, cells[i], "duplicate column");
            for (const char* name : required)
                if (!columns.count(name)) throw error(source_location{file, line_no, 0}, name, "required column missing");
            header = true;
            continue;
        }
        const row_reader r(file, line_no, cells, columns);
        if (cells.size() != columns.size())
            r.fail("", "expected " + std::to_string(columns.size()) + " cells, got " + std::to_string(cells.size()));
        row(r);
    }
    if (!header) throw error(source_location{file, line_no, 0}, "", "no header line (" + std::string(header_hint) + ")");
}

/**
 * @brief The columns that name a measured network configuration, into `row` (a ValidationRow or a
 * LayerTimingRow): network and batch (required), pass (inference or training) and dtype where
 * given, device, threads, malloc, samples and spread, and where the row came from.
 */
template <class NetworkRow>
void read_network_columns(const row_reader& r, const std::string& file, NetworkRow& row) {
    row.file = file;
    row.line = r.line();
    row.network = std::string(r.cell("network"));
    if (row.network.empty()) r.fail("network", "missing");
    row.batch = r.integer("batch");
    if (row.batch < 1) r.fail("batch", "must be >= 1");
    if (const std::string_view p = r.cell("pass"); !p.empty()) {
        const auto pp = parse_pass(p);
        if (!pp || (p != "inference" && p != "training"))
            r.fail("pass", "expected inference or training (got \"" + detail::excerpt(p) + "\")");
        row.pass = *pp;
    }
    if (const std::string_view t = r.cell("dtype"); !t.empty()) {
        const auto tt = parse_dtype(t);
        if (!tt) r.fail("dtype", "expected fp32, tf32, fp16 or bf16 (got \"" + detail::excerpt(t) + "\")");
        row.dtype = *tt;
    }
    row.device = std::string(r.cell("device"));
    row.threads = std::string(r.cell("threads"));
    row.malloc = std::string(r.cell("malloc"));
    row.samples = r.integer("samples", 0);
    row.spread = r.cell("spread").empty() ? -1.0 : r.number("spread");
}

inline Layer layer_from_row(const row_reader& r, std::string_view kind, std::int64_t batch) {
    // a dense row carries no "tied" column: tying shares a weight matrix, which changes the parameter
    // count but not the time, so every row reads as untied
    if (kind == "dense")
        return DenseParams{batch, r.integer("in_features"), r.integer("out_features"), r.boolean("bias", true),
                           r.integer("seq", 1)};
    if (kind == "conv2d")
        return Conv2DParams{batch,
                            r.integer("in_channels"),
                            r.integer("height"),
                            r.integer("width"),
                            r.integer("out_channels"),
                            Hw{r.integer("kernel_h"), r.integer("kernel_w")},
                            Hw{r.integer("stride_h", 1), r.integer("stride_w", 1)},
                            Hw{r.integer("pad_h", 0), r.integer("pad_w", 0)},
                            Hw{r.integer("dilation_h", 1), r.integer("dilation_w", 1)},
                            r.integer("groups", 1),
                            r.boolean("bias", true)};
    if (kind == "pool2d") {
        Pool2DParams p;
        p.batch = batch;
        p.channels = r.integer("channels");
        p.height = r.integer("height");
        p.width = r.integer("width");
        const std::string_view mode = r.cell("mode");
        if (mode != "max" && mode != "avg") r.fail("mode", "expected max or avg (got \"" + detail::excerpt(mode) + "\")");
        p.mode = mode == "max" ? PoolMode::max : PoolMode::avg;
        p.global = r.boolean("global", false);
        if (!p.global) {
            p.kernel = Hw{r.integer("kernel_h"), r.integer("kernel_w")};
            p.stride = Hw{r.integer("stride_h", 0), r.integer("stride_w", 0)};
            p.padding = Hw{r.integer("pad_h", 0), r.integer("pad_w", 0)};
        } else {
            p.kernel = Hw{1};
            p.stride = Hw{1};
        }
        return p;
    }
    if (kind == "batchnorm2d")
        return BatchNorm2DParams{batch, r.integer("channels"), r.integer("height"), r.integer("width"), true};
    if (kind == "activation" || kind == "add" || kind == "elementwise") {
        // a feature map (batch, channels, height, width) or a matrix (batch, in_features)
        const Shape s = r.cell("channels").empty() && !r.cell("in_features").empty()
                            ? Shape::matrix(batch, r.integer("in_features"))
                            : Shape::nchw(batch, r.integer("channels"), r.integer("height"), r.integer("width"));
        if (kind == "add") return AddParams{s, r.integer("inputs", 2)};
        if (kind == "elementwise") {
            const std::string_view op = r.cell("op");
            const auto o = parse_elementwise_op(op);
            if (!o) r.fail("op", "expected add, sub, mul, div, pow or where (got \"" + detail::excerpt(op) + "\")");
            return ElementwiseParams{s, *o, r.boolean("scalar", false)};
        }
        const std::string_view a = r.cell("activation");
        if (const auto k = parse_activation_kind(a)) return ActivationParams{s, *k};
        r.fail("activation", "unknown activation \"" + detail::excerpt(a) + "\"");
    }
    if (kind == "concat")
        return ConcatParams{batch, r.integer("channels"), r.integer("height"), r.integer("width"), r.integer("inputs")};
    if (kind == "softmax") return SoftmaxParams{batch, r.integer("in_features")};
    if (kind == "layernorm") return LayerNormParams{batch, r.integer("in_features"), r.boolean("affine", true)};
    if (kind == "bmm") return BatchMatMulParams{batch, r.integer("m"), r.integer("k"), r.integer("n")};
    r.fail("kind", "unknown or unsupported kind \"" + std::string(kind) +
                       "\" (dense, conv2d, pool2d, batchnorm2d, activation, add, concat, softmax, bmm, layernorm, "
                       "elementwise)");
}

/** @brief The cells of one layer, by column name. */
inline std::map<std::string_view, std::string> layer_cells(const Layer& l) {
    std::map<std::string_view, std::string> c;
    auto i = [](std::int64_t v) { return std::to_string(v); };
    c["kind"] = std::string(to_string(kind(l)));
    std::visit(
        [&](const auto& p) {
            using params_t = std::remove_cvref_t<decltype(p)>;
            if constexpr (std::is_same_v<params_t, DenseParams>) {
                c["batch"] = i(p.batch);
                c["seq"] = i(p.seq);
                c["in_features"] = i(p.in_features);
                c["out_features"] = i(p.out_features);
                c["bias"] = p.bias ? "1" : "0";
            } else if constexpr (std::is_same_v<params_t, Conv2DParams>) {
                c["batch"] = i(p.batch);
                c["in_channels"] = i(p.in_channels);
                c["out_channels"] = i(p.out_channels);
                c["height"] = i(p.height);
                c["width"] = i(p.width);
                c["kernel_h"] = i(p.kernel.h);
                c["kernel_w"] = i(p.kernel.w);
                c["stride_h"] = i(p.stride.h);
                c["stride_w"] = i(p.stride.w);
                c["pad_h"] = i(p.padding.h);
                c["pad_w"] = i(p.padding.w);
                c["dilation_h"] = i(p.dilation.h);
                c["dilation_w"] = i(p.dilation.w);
                c["groups"] = i(p.groups);
                c["bias"] = p.bias ? "1" : "0";
            } else if constexpr (std::is_same_v<params_t, Pool2DParams>) {
                c["batch"] = i(p.batch);
                c["channels"] = i(p.channels);
                c["height"] = i(p.height);
                c["width"] = i(p.width);
                c["mode"] = std::string(to_string(p.mode));
                if (p.global) {
                    c["global"] = "1";
                } else {
                    const Hw s = effective_stride(p);
                    c["kernel_h"] = i(p.kernel.h);
                    c["kernel_w"] = i(p.kernel.w);
                    c["stride_h"] = i(s.h);
                    c["stride_w"] = i(s.w);
                    c["pad_h"] = i(p.padding.h);
                    c["pad_w"] = i(p.padding.w);
                }
            } else if constexpr (std::is_same_v<params_t, BatchNorm2DParams>) {
                c["batch"] = i(p.batch);
                c["channels"] = i(p.channels);
                c["height"] = i(p.height);
                c["width"] = i(p.width);
            } else if constexpr (std::is_same_v<params_t, ActivationParams> || std::is_same_v<params_t, AddParams> ||
                                 std::is_same_v<params_t, ElementwiseParams>) {
                if (p.shape.rank == 4) {
                    c["batch"] = i(p.shape[0]);
                    c["channels"] = i(p.shape[1]);
                    c["height"] = i(p.shape[2]);
                    c["width"] = i(p.shape[3]);
                } else if (p.shape.rank == 2) {
                    c["batch"] = i(p.shape[0]);
                    c["in_features"] = i(p.shape[1]);
                } else {
                    throw error("shape", "the dataset schema holds " + std::string(to_string(kind(l))) +
                                             " shapes of rank 2 or 4 (got rank " + i(p.shape.rank) + ")");
                }
                if constexpr (std::is_same_v<params_t, ActivationParams>) {
                    c["activation"] = std::string(to_string(p.kind));
                } else if constexpr (std::is_same_v<params_t, AddParams>) {
                    c["inputs"] = i(p.inputs);
                } else {
                    if (p.other.rank > 0)
                        throw error("other", "the dataset schema holds element-wise operations of same-shaped "
                                             "tensors or with a scalar (no broadcast operand)");
                    c["op"] = std::string(to_string(p.op));
                    c["scalar"] = p.scalar ? "1" : "0";
                }
            } else if constexpr (std::is_same_v<params_t, ConcatParams>) {
                c["batch"] = i(p.batch);
                c["channels"] = i(p.channels);
                c["height"] = i(p.height);
                c["width"] = i(p.width);
                c["inputs"] = i(p.inputs);
            } else if constexpr (std::is_same_v<params_t, SoftmaxParams>) {
                c["batch"] = i(p.batch);
                c["in_features"] = i(p.features);
            } else if constexpr (std::is_same_v<params_t, LayerNormParams>) {
                c["batch"] = i(p.batch);
                c["in_features"] = i(p.features);
                c["affine"] = p.affine ? "1" : "0";
            } else if constexpr (std::is_same_v<params_t, BatchMatMulParams>) {
                c["batch"] = i(p.batch);
                c["m"] = i(p.m);
                c["k"] = i(p.k);
                c["n"] = i(p.n);
            } else {
                throw error("kind", "the dataset schema has no columns for " + std::string(to_string(kind(l))));
            }
        },
        l);
    return c;
}

inline std::string format_double(double v) {
    std::ostringstream os;
    os.precision(17);
    os << v;
    return os.str();
}

}  // namespace detail

/**
 * @brief Reads a dataset from CSV text. `registry` resolves the device column (an
 * unknown device is an error); each device is stored as its registry id.
 * @throws perfcast::error naming file, line and column of the first bad row
 */
inline Dataset parse_dataset(const std::string& text, const std::string& file, const DeviceRegistry& registry) {
    Dataset ds;
    std::map<std::string, std::size_t> columns;
    std::istringstream in(text);
    std::string line;
    std::size_t line_no = 0;
    bool header = false;
    while (std::getline(in, line)) {
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        if (line[0] == '#') {
            detail::read_provenance_line(line, ds.provenance);
            continue;
        }
        const std::vector<std::string> cells = detail::split_csv(line);
        if (!header) {
            if (ds.provenance.count("format") && ds.provenance["format"] != dataset_format)
                throw error(source_location{file, line_no, 0}, "format",
                            "expected \"" + std::string(dataset_format) + "\" (got \"" + detail::excerpt(ds.provenance["format"]) + "\")");
            if (ds.provenance.count("version") && ds.provenance["version"] != "1" && ds.provenance["version"] != "2" &&
                ds.provenance["version"] != std::to_string(dataset_format_version))
                throw error(source_location{file, line_no, 0}, "version",
                            "unsupported version " + ds.provenance["version"]);
            for (std::size_t i = 0; i < cells.size(); ++i) {
                if (std::find(dataset_columns.begin(), dataset_columns.end(), cells[i]) == dataset_columns.end())
                    throw error(source_location{file, line_no, i + 1}, cells[i], "unknown column");
                if (!columns.emplace(cells[i], i).second)
                    throw error(source_location{file, line_no, i + 1}, cells[i], "duplicate column");
            }
            for (std::string_view required : {"kind", "pass", "dtype", "device", "batch", "time_us"})
                if (!columns.count(std::string(required)))
                    throw error(source_location{file, line_no, 0}, std::string(required), "required column missing");
            header = true;
            continue;
        }
        const detail::row_reader r(file, line_no, cells, columns);
        if (cells.size() != columns.size())
            r.fail("", "expected " + std::to_string(columns.size()) + " cells, got " + std::to_string(cells.size()));
        Sample s;
        const std::string_view kind_name = r.cell("kind");
        const std::string_view pass = r.cell("pass");
        if (auto p = parse_pass(pass); p && (pass == "inference" || pass == "training")) s.pass = *p;
        else r.fail("pass", "expected inference or training (got \"" + detail::excerpt(pass) + "\")");
        if (auto t = parse_dtype(r.cell("dtype"))) s.dtype = *t;
        else r.fail("dtype", "expected fp32, tf32, fp16 or bf16 (got \"" + detail::excerpt(r.cell("dtype")) + "\")");
        const Device* dev = registry.find(r.cell("device"));
        if (!dev) r.fail("device", "unknown device \"" + detail::excerpt(r.cell("device")) + "\" (see `perfcast devices`)");
        s.device = std::string(dev->id);
        s.layer = detail::layer_from_row(r, kind_name, r.integer("batch"));
        if (const Violation v = check(s.layer)) {
            const std::string f(v.field);
            const std::string col = f == "kernel.h" ? "kernel_h" : f == "kernel.w" ? "kernel_w" : f == "stride.h" ? "stride_h"
                                  : f == "stride.w" ? "stride_w" : f == "padding.h" ? "pad_h" : f == "padding.w" ? "pad_w"
                                  : f == "dilation.h" ? "dilation_h" : f == "dilation.w" ? "dilation_w"
                                  : f == "features" ? "in_features" : f;
            if (columns.count(col)) r.fail(col, v.describe());
            r.fail("kind", f + ": " + v.describe());  // a count (work_in_range) or a field without a column
        }
        s.error = std::string(r.cell("error"));
        if (s.measured()) {
            s.time_us = r.number("time_us");
            if (!(s.time_us > 0)) r.fail("time_us", "must be > 0");
        } else if (!r.cell("time_us").empty()) {
            r.fail("time_us", "must be empty for a row with an error");
        }
        s.samples = r.integer("samples", 0);
        if (s.samples < 0) r.fail("samples", "must be >= 0");
        s.spread = r.cell("spread").empty() ? -1.0 : r.number("spread");
        s.source = std::string(r.cell("source"));
        s.kernel = std::string(r.cell("kernel"));
        ds.rows.push_back(std::move(s));
    }
    if (!header) throw error(source_location{file, line_no, 0}, "", "no header line (kind,pass,dtype,device,...)");
    return ds;
}

/** @brief Reads one dataset file. */
inline Dataset load_dataset(const std::string& path, const DeviceRegistry& registry) {
    return parse_dataset(detail::read_file(path), path, registry);
}

/** @brief Reads and concatenates several dataset files (provenance of the first kept, others prefixed). */
inline Dataset load_datasets(const std::vector<std::string>& paths, const DeviceRegistry& registry) {
    Dataset all;
    for (const auto& p : paths) {
        Dataset d = load_dataset(p, registry);
        for (auto& [k, v] : d.provenance) all.provenance[p + ": " + k] = v;
        for (auto& r : d.rows) all.rows.push_back(std::move(r));
    }
    return all;
}

/** @brief The header lines of a dataset file: provenance comments and the column names. */
inline void write_dataset_header(std::ostream& os, const std::map<std::string, std::string>& provenance) {
    os << "# format: " << dataset_format << "\n# version: " << dataset_format_version << "\n";
    for (const auto& [k, v] : provenance)
        if (k != "format" && k != "version") os << "# " << k << ": " << v << "\n";
    for (std::size_t i = 0; i < dataset_columns.size(); ++i) os << (i ? "," : "") << dataset_columns[i];
    os << "\n";
}

/** @brief One row, in the writer's column order. */
inline void write_sample(std::ostream& os, const Sample& s) {
    auto cells = detail::layer_cells(s.layer);
    cells["pass"] = std::string(to_string(s.pass));
    cells["dtype"] = std::string(to_string(s.dtype));
    cells["device"] = s.device;
    if (s.measured()) cells["time_us"] = detail::format_double(s.time_us);
    if (s.samples > 0) cells["samples"] = std::to_string(s.samples);
    if (s.spread >= 0) cells["spread"] = detail::format_double(s.spread);
    cells["error"] = s.error;
    cells["source"] = s.source;
    cells["kernel"] = s.kernel;
    for (std::size_t i = 0; i < dataset_columns.size(); ++i) {
        const auto it = cells.find(dataset_columns[i]);
        os << (i ? "," : "") << (it == cells.end() ? std::string() : detail::quote_csv(it->second));
    }
    os << "\n";
}

/** @brief A whole dataset as CSV. */
inline void write_dataset(std::ostream& os, const Dataset& ds) {
    write_dataset_header(os, ds.provenance);
    for (const auto& s : ds.rows) write_sample(os, s);
}

/** @brief Writes a dataset file atomically (detail::write_file): a failed write leaves the old file. */
inline void save_dataset(const std::string& path, const Dataset& ds) {
    std::ostringstream out;
    write_dataset(out, ds);
    detail::write_file(path, out.str());
}

}  // namespace perfcast
