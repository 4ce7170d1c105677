/**
 * @file lab/neusight.hpp
 * @brief Imports NeuSight's measured operator latencies (every operator it swept, and its test
 *        sets) into perfcast's dataset schema.
 *
 * NeuSight (ASPLOS'25) measured with PyTorch 2.1.0, CUDA 12.1, cuDNN 8.9.2, FP32 with TF32
 * off, forward only; `Latency` is in milliseconds, the mean of the fastest 5 of 25
 * synchronised CUDA-event timings. Every file has an `OPName` column, read row by row:
 *
 * | OPName | what ran | perfcast layer |
 * |---|---|---|
 * | conv | Conv2d(Input_Channel, Output_Channel, Kernel_Szie, stride, padding, bias=False) | Conv2DParams |
 * | linear | Linear(N, K) on (B, M, N): a (B*M) x N by N x K GEMM | DenseParams{batch B, seq M, in N, out K, bias} |
 * | bmm | torch.bmm of (B, M, N) by (B, N, K) | BatchMatMulParams{batch B, m M, k N, n K} |
 * | add | (B, H) + (B, H) | AddParams{shape (B, H), inputs 2} |
 * | mul, div, pow | (B, H) with a (B, H) tensor | ElementwiseParams{(B, H), op, scalar false} |
 * | addu, mulu, divu, powu | (B, H) with a Python scalar | ElementwiseParams{(B, H), op, scalar true} |
 * | relu, gelu, tanh | unary on (B, H) | ActivationParams{(B, H), kind} |
 * | softmax | Softmax over the last dimension of (B, H) | SoftmaxParams{batch B, features H} |
 * | ln | LayerNorm(H) on (B, H) | LayerNormParams{batch B, features H, affine} |
 *
 * Any other OPName is refused, naming the file, line and field. The `Kernel Name` of conv, linear
 * and bmm rows (the algorithm and tile cuBLAS/cuDNN chose) goes to the dataset's `kernel` column;
 * the element-wise rows' kernel names, long template signatures, are left out to keep the files
 * small. Files ending in `.xz` are read through `xz -dc`.
 *
 * The same format written by `bench/harness/torch_ops.py` (NeuSight's method on the user's own GPU) is
 * told apart by its `Timings` column: its rows' provenance names that tool and the PyTorch, CUDA and
 * cuDNN versions the rows record, not NeuSight's.
 */
#pragma once

#include <array>        // array
#include <cstdio>       // popen, pclose, fread
#include <map>          // map
#include <optional>     // optional
#include <sstream>      // istringstream
#include <string>       // string
#include <string_view>  // string_view
#include <utility>      // pair
#include <vector>       // vector

#include <sys/wait.h>  // WIFEXITED, WEXITSTATUS

#include <perfcast/core/error.hpp>              // error
#include <perfcast/runtime/dataset.hpp>         // Dataset, Sample, detail::split_csv, detail::row_reader
#include <perfcast/runtime/detail/json.hpp>     // detail::read_file
#include <perfcast/runtime/io/device_json.hpp>  // DeviceRegistry

namespace perfcast {

namespace detail {

/** @brief NeuSight's shape columns of each operator family. */
inline constexpr std::array<const char*, 7> neusight_conv_columns{"B",          "Input_Channel", "Output_Channel",
                                                                  "Kernel_Szie", "Input_Size",   "Stride",
                                                                  "Padding"};
inline constexpr std::array<const char*, 4> neusight_gemm_columns{"B", "M", "N", "K"};
inline constexpr std::array<const char*, 2> neusight_vector_columns{"B", "H"};

/** @brief The operators the importer maps, for messages. */
inline constexpr std::string_view neusight_ops =
    "conv, linear, bmm, add, addu, mul, mulu, div, divu, pow, powu, relu, gelu, tanh, softmax, ln";

/** @brief The element-wise operation of a NeuSight OPName ("mulu": mul with a scalar), or nullopt. */
inline std::optional<std::pair<ElementwiseOp, bool>> neusight_elementwise(std::string_view op) {
    const bool scalar = op.size() > 1 && op.back() == 'u';  // "addu", "mulu", "divu", "powu"
    const auto parsed = parse_elementwise_op(scalar ? op.substr(0, op.size() - 1) : op);
    if (!parsed || (*parsed == ElementwiseOp::add && !scalar) || *parsed == ElementwiseOp::sub) return std::nullopt;
    return std::pair{*parsed, scalar};
}

/** @brief The perfcast layer of one NeuSight row, by its OPName; nullopt for an operator it does not know. */
inline std::optional<Layer> neusight_layer(const row_reader& r, std::string_view op) {
    auto need = [&](const auto& cols) {
        std::string all;
        for (const char* c : cols) all += (all.empty() ? "" : ", ") + std::string(c);
        for (const char* c : cols)
            if (!r.has_column(c))
                r.fail(c, "column missing: NeuSight's " + std::string(op) + " rows need the columns " + all);
    };
    if (op == "conv") {
        need(neusight_conv_columns);
        Conv2DParams p;
        p.batch = r.integer("B");
        p.in_channels = r.integer("Input_Channel");
        p.out_channels = r.integer("Output_Channel");
        p.kernel = Hw{r.integer("Kernel_Szie")};
        p.height = p.width = r.integer("Input_Size");
        p.stride = Hw{r.integer("Stride")};
        p.padding = Hw{r.integer("Padding")};
        p.bias = false;
        return p;
    }
    if (op == "linear" || op == "bmm") {
        need(neusight_gemm_columns);
        const std::int64_t b = r.integer("B"), m = r.integer("M"), n = r.integer("N"), k = r.integer("K");
        if (op == "linear") return DenseParams{b, n, k, true, m};
        return BatchMatMulParams{b, m, n, k};  // (B, M, N) by (B, N, K): the shared dimension is N
    }
    const auto elementwise = neusight_elementwise(op);
    const auto activation = op == "relu" || op == "gelu" || op == "tanh" ? parse_activation_kind(op) : std::nullopt;
    if (!elementwise && !activation && op != "add" && op != "softmax" && op != "ln") return std::nullopt;
    need(neusight_vector_columns);
    const std::int64_t b = r.integer("B"), h = r.integer("H");
    const Shape s = Shape::matrix(b, h);
    if (elementwise) return ElementwiseParams{s, elementwise->first, elementwise->second};
    if (activation) return ActivationParams{s, *activation};
    if (op == "add") return AddParams{s, 2};
    if (op == "softmax") return SoftmaxParams{b, h};
    return LayerNormParams{b, h, true};  // nn.LayerNorm(H): elementwise_affine=True
}

/** @brief "cu121" -> "12.1", "cu130" -> "13.0" (the last digit is the minor version); as it is otherwise. */
inline std::string cuda_version_text(std::string_view v) {
    if (v.size() < 4 || v.substr(0, 2) != "cu") return std::string(v);
    return std::string(v.substr(2, v.size() - 3)) + "." + std::string(v.substr(v.size() - 1));
}

/** @brief cuDNN's version number as text: 8902 -> "8.9.2", 91900 -> "9.19.0"; as it is otherwise. */
inline std::string cudnn_version_text(std::string_view v) {
    long n = 0;
    for (char c : v) {
        if (c < '0' || c > '9' || n > 100000000) return std::string(v);
        n = n * 10 + (c - '0');
    }
    if (n >= 90000) return std::to_string(n / 10000) + "." + std::to_string(n / 100 % 100) + "." + std::to_string(n % 100);
    if (n >= 1000) return std::to_string(n / 1000) + "." + std::to_string(n / 100 % 10) + "." + std::to_string(n % 100);
    return std::string(v);
}

/** @brief Is this file one of NeuSight's test sets (in a folder named `test`)? */
inline bool neusight_test_set(const std::string& file) {
    const auto cut = file.find_last_of('/');
    if (cut == std::string::npos) return false;
    const std::string dir = file.substr(0, cut);
    const auto start = dir.find_last_of('/');
    return dir.substr(start == std::string::npos ? 0 : start + 1) == "test";
}

}  // namespace detail

/**
 * @brief Parses one NeuSight CSV text; each row is mapped by its `OPName` (the table in this file's comment).
 * @throws perfcast::error naming file, line and column: an unknown OPName or `Device`, a shape column the
 *         row's operator needs and the file lacks, a latency that is not > 0, a shape that breaks a rule
 */
inline Dataset parse_neusight(const std::string& text, const std::string& file, const DeviceRegistry& registry) {
    Dataset ds;
    ds.provenance["source"] = "NeuSight (sitar-lab/NeuSight, MIT licence), " + file;
    ds.provenance["measured_with"] = "PyTorch 2.1.0, CUDA 12.1, cuDNN 8.9.2, FP32 with TF32 off, forward only";
    ds.provenance["time_statistic"] = "mean of the fastest 5 of 25 CUDA-event timings";
    ds.provenance["neusight_set"] = detail::neusight_test_set(file)
                                        ? "test (NeuSight's test shapes, larger than any training shape)"
                                        : "training sweeps";
    // the file's last two path components ("conv/Tesla_T4.csv") name each row's source
    const auto cut = file.find_last_of('/');
    const auto cut2 = cut == std::string::npos || cut == 0 ? std::string::npos : file.find_last_of('/', cut - 1);
    const std::string short_name = cut2 == std::string::npos ? file : file.substr(cut2 + 1);
    std::map<std::string, std::size_t> columns;
    std::istringstream in(text);
    std::string line;
    std::size_t line_no = 0;
    bool header = false;
    bool ours = false;  // bench/harness/torch_ops.py's file: a Timings column
    while (std::getline(in, line)) {
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        const std::vector<std::string> cells = detail::split_csv(line);
        if (!header) {
            for (std::size_t i = 0; i < cells.size(); ++i) columns[cells[i]] = i;
            for (const char* c : {"OPName", "Latency", "Device"})
                if (!columns.count(c))
                    throw error(source_location{file, line_no, 0}, c,
                                "NeuSight column missing (is this a NeuSight CSV?)");
            header = true;
            ours = columns.count("Timings") > 0;
            continue;
        }
        const detail::row_reader r(file, line_no, cells, columns);
        if (cells.size() != columns.size())
            r.fail("", "expected " + std::to_string(columns.size()) + " cells, got " + std::to_string(cells.size()));
        if (ours && ds.rows.empty()) {  // its own tool and versions (the first row's)
            const auto cell = [&](const char* c) { return columns.count(c) ? std::string(r.cell(c)) : std::string("?"); };
            const std::string torch = cell("Torch Version");
            ds.provenance["source"] = "bench/harness/torch_ops.py (NeuSight's method and CSV format), " + file;
            ds.provenance["measured_with"] = "PyTorch " + (torch.rfind('p', 0) == 0 ? torch.substr(1) : torch) + ", CUDA " +
                                             detail::cuda_version_text(cell("CUDA Version")) + ", cuDNN " +
                                             detail::cudnn_version_text(cell("CUDNN Version")) +
                                             ", FP32 with TF32 off, forward only";
            ds.provenance["time_statistic"] =
                "mean of the fastest 5 of 25 CUDA-event timings (of 10 for a call over 5 ms: the Timings column)";
        }
        const std::string op(r.cell("OPName"));
        const std::optional<Layer> layer = detail::neusight_layer(r, op);
        if (!layer)
            r.fail("OPName", "unknown NeuSight operator \"" + detail::excerpt(op) + "\" (the importer maps " +
                                 std::string(detail::neusight_ops) + ")");
        Sample s;
        s.layer = *layer;
        const Device* dev = registry.find(r.cell("Device"));
        if (!dev)
            r.fail("Device", "unknown device \"" + detail::excerpt(r.cell("Device")) +
                                 "\": add it to the device database or load it with --devices FILE.json");
        s.device = std::string(dev->id);
        if (const Violation v = check(s.layer))
            r.fail("", std::string(to_string(kind(s.layer))) + "." + std::string(v.field) + ": " + v.describe());
        const double ms = r.number("Latency");
        if (!(ms > 0)) r.fail("Latency", "must be > 0");
        s.time_us = ms * 1000.0;
        s.samples = 5;
        s.source = (ours ? "torch_ops:" : "neusight:") + short_name + ":" + std::to_string(line_no);
        if (op == "conv" || op == "linear" || op == "bmm") s.kernel = std::string(r.cell("Kernel Name"));
        ds.rows.push_back(std::move(s));
    }
    if (!header) throw error(source_location{file, 0, 0}, "", "empty file");
    if (ds.rows.empty()) throw error(source_location{file, line_no, 0}, "", "no data rows");
    return ds;
}

/**
 * @brief A NeuSight file's text: a `.xz` file through `xz -dc` (NeuSight's files as the shared folder
 * keeps them), any other file as it is.
 * @throws perfcast::error naming the file when it cannot be read, or xz is missing or fails
 */
inline std::string read_neusight_file(const std::string& path) {
    if (path.size() < 3 || path.compare(path.size() - 3, 3, ".xz") != 0) return detail::read_file(path);
    std::string quoted = "'";
    for (char c : path) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    quoted += "'";
    FILE* pipe = ::popen(("xz -dc -- " + quoted).c_str(), "r");
    if (!pipe) throw error(source_location{path, 0, 0}, "", "cannot run xz to decompress it");
    std::string text;
    char buf[1 << 16];
    std::size_t got = 0;
    while ((got = std::fread(buf, 1, sizeof buf, pipe)) > 0) {
        if (text.size() + got > detail::max_input_bytes) {
            ::pclose(pipe);
            throw error(source_location{path, 0, 0}, "",
                        "file too large: decompressed, more than the limit of " + detail::byte_size_text(detail::max_input_bytes));
        }
        text.append(buf, got);
    }
    const int status = ::pclose(pipe);
    if (status == -1 || !WIFEXITED(status))
        throw error(source_location{path, 0, 0}, "", "xz -dc did not finish");
    if (WEXITSTATUS(status) == 127)
        throw error(source_location{path, 0, 0}, "",
                    "xz is not installed (Debian: xz-utils); install it, or decompress the file with `xz -dk` and "
                    "import the .csv");
    if (WEXITSTATUS(status) != 0)
        throw error(source_location{path, 0, 0}, "",
                    "xz -dc failed with exit status " + std::to_string(WEXITSTATUS(status)) +
                        " (a damaged or missing file?)");
    return text;
}

/**
 * @brief Imports NeuSight files into one dataset. NeuSight's test sets (files in a `test` folder) and its
 * training sweeps are refused together, so that test rows always sit in files of their own.
 */
inline Dataset import_neusight(const std::vector<std::string>& paths, const DeviceRegistry& registry) {
    Dataset all;
    for (const auto& p : paths) {
        Dataset d = parse_neusight(read_neusight_file(p), p, registry);
        if (all.provenance.empty()) {
            all.provenance = d.provenance;
        } else {
            if (all.provenance["neusight_set"] != d.provenance["neusight_set"])
                throw error(source_location{p, 0, 0}, "",
                            "NeuSight's test sets (files in a test/ folder) and its training sweeps are imported into "
                            "separate files: import " + p + " on its own");
            if (all.provenance["measured_with"] != d.provenance["measured_with"])
                throw error(source_location{p, 0, 0}, "",
                            "measured with " + d.provenance["measured_with"] + ", where the files before it were measured with " +
                                all.provenance["measured_with"] + ": import it into a file of its own");
            all.provenance["source"] += "; " + p;
        }
        for (auto& r : d.rows) all.rows.push_back(std::move(r));
    }
    return all;
}

}  // namespace perfcast
