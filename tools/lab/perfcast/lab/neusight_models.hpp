/**
 * @file lab/neusight_models.hpp
 * @brief Whole transformer models measured by NeuSight (the shared folder's `labels/<GPU>/`): reads
 *        the torch.fx traces of one-layer copies of the models node by node into perfcast layers, and
 *        compares perfcast's predictions with the measured nodes and with the measured whole models.
 *
 * A label is `<model>-<inf|train>-<seq>-<batch>.json` (num_layer, e2e_latency, fw_latency,
 * bwall_latency in ms, measured on the full model) beside `<model>-<inf|train>-<seq>-<batch>.csv[.xz]`,
 * the torch.fx trace of a one-layer copy (embeddings, one block, head) with every node timed in
 * isolation (fw_latency, bw_latency, acc_latency in ms). `-fusion.json` files (the model under
 * torch.compile) are listed apart and not compared: a compiled model fuses the nodes the trace times.
 *
 * Each fx node becomes one of three things (TraceNode::status):
 * - a kernel, with the perfcast layer it stands for:
 *
 * | node | perfcast layer |
 * |---|---|
 * | Linear module (x W^T + b) | DenseParams{batch: first dim, seq: the middle dims, in, out} |
 * | addmm(bias, x, W) (Hugging Face's Conv1D) | DenseParams, rows split by the trace's batch |
 * | matmul, bmm | BatchMatMulParams{batch: leading dims, m, k, n}; a contiguous tensor transposed in its last two dimensions is read transposed; any other operand that is not contiguous is copied first (CopyParams: torch.matmul reshapes permuted (B, H, m, k) heads to (B*H, m, k), which copies them) |
 * | softmax | SoftmaxParams{rows, last dim} |
 * | LayerNorm module, layer_norm | LayerNormParams{rows, last dim} |
 * | Embedding module, embedding | EmbeddingParams (table rows from the model's configuration) |
 * | add, sub, mul, truediv, pow, where, masked_fill_, max | AddParams (add of same-shaped tensors) or ElementwiseParams (a scalar or a broadcast `other`; max(x, scalar) as an add of a scalar: the same traffic) |
 * | masked_fill (out of place) | CopyParams, then ElementwiseParams where: ATen clones the input, then fills the clone in place (two kernels) |
 * | gelu, tanh, relu (modules, functions, methods) | ActivationParams (gelu with approximate="tanh": gelu_tanh) |
 * | Dropout module, dropout | DropoutParams |
 * | contiguous, reshape of a non-contiguous tensor | CopyParams |
 * | to, type, long, bool, float, type_as changing the dtype | CopyParams (a conversion reads and writes each element) |
 *
 * - no kernel: views and metadata (view, permute, transpose, expand, getitem, size, getattr, ...),
 *   Python values (a node whose output has no dtype: shape arithmetic) and conversions to the same
 *   dtype. NeuSight times them in isolation too (about 0.01 ms each, host overhead only); they are
 *   left out of the comparison and their measured total is reported apart.
 * - unmapped: a kernel perfcast has no layer for (arange, full, ones, cumsum, comparisons) or a node
 *   target the reader does not know: counted, listed with their measured time, never predicted.
 *
 * A node is in the repeated block when its module path (the trace's `meta` nn_module_stack, or a
 * module's target) has a component "0" (`transformer.h.0`, `bert.encoder.layer.0`,
 * `model.decoder.layers.0`); the whole model repeats those nodes num_layer times, NeuSight's rule.
 */
#pragma once

#include <algorithm>    // sort, find, replace, max
#include <array>        // array
#include <cctype>       // isalnum, isdigit
#include <cmath>        // fabs, isfinite
#include <cstdint>      // int64_t
#include <filesystem>   // directory_iterator
#include <functional>   // function
#include <limits>       // numeric_limits
#include <map>          // map
#include <optional>     // optional
#include <sstream>      // istringstream
#include <string>       // string
#include <string_view>  // string_view
#include <tuple>        // tuple
#include <utility>      // move, pair
#include <variant>      // get_if
#include <vector>       // vector

#include <perfcast/core/error.hpp>              // error, source_location
#include <perfcast/core/layers/kernels.hpp>     // phase_kernels: a training step's forward
#include <perfcast/core/memory_fit.hpp>         // runs_no_kernel
#include <perfcast/core/target.hpp>             // Target
#include <perfcast/core/zoo.hpp>                // zoo::find
#include <perfcast/runtime/dataset.hpp>         // detail::split_csv
#include <perfcast/runtime/detail/json.hpp>     // json_document, read_file
#include <perfcast/runtime/estimate.hpp>        // estimate, EstimateOptions
#include <perfcast/runtime/io/device_json.hpp>  // DeviceRegistry
#include <perfcast/runtime/predictor.hpp>       // Predictor

#include "layer_validation.hpp"  // LayerTimingData: a trace's kernel nodes as layer timings
#include "neusight.hpp"          // read_neusight_file

namespace perfcast {

// ============================================================================
// The trace reader
// ============================================================================

enum class TraceNodeStatus { kernel, no_kernel, unmapped };

constexpr std::string_view to_string(TraceNodeStatus s) noexcept {
    return s == TraceNodeStatus::kernel ? "kernel" : s == TraceNodeStatus::no_kernel ? "no kernel" : "unmapped";
}

/** @brief One fx node of a trace. */
struct TraceNode {
    std::size_t line = 0;   ///< its line in the file
    std::string name;       ///< the node's Name
    std::string op;         ///< call_function, call_module, call_method, placeholder, get_attr, output
    std::string target;     ///< normalised: "addmm", "softmax", "view", "module:Linear"
    TraceNodeStatus status = TraceNodeStatus::no_kernel;
    std::string note;       ///< why it is no kernel or unmapped; for a kernel, how it was mapped when approximate
    std::optional<Layer> layer;  ///< a kernel's layer
    /// copies of its operands the operation makes before its kernel (an out-of-place masked_fill clones its
    /// input; torch.matmul copies a permuted operand); the node's time is all its kernels'
    std::vector<Layer> copies;
    bool block = false;     ///< inside the repeated block
    double fw_ms = 0;       ///< fw_latency
    double bw_ms = 0;       ///< bw_latency + acc_latency (gradient accumulation)
};

/** @brief A trace of a one-layer copy of a model, node by node. */
struct ModelTrace {
    std::string file;
    std::vector<TraceNode> nodes;
};

/** @brief The table rows of an Embedding module ("transformer.wte"), or 0 when unknown. */
using EmbeddingRows = std::function<std::int64_t(std::string_view module)>;

namespace detail {

/** @brief "<built-in method addmm of type object at 0x...>" -> "addmm"; "<function softmax at 0x...>" -> "softmax". */
inline std::string fx_function_name(std::string_view t) {
    auto strip = [](std::string_view s, std::string_view prefix) {
        return s.substr(0, prefix.size()) == prefix ? s.substr(prefix.size()) : std::string_view{};
    };
    for (std::string_view p : {"<built-in method ", "<built-in function ", "<function ", "<method '"}) {
        std::string_view rest = strip(t, p);
        if (rest.empty()) continue;
        const auto end = rest.find_first_of(" '>");
        return std::string(rest.substr(0, end));
    }
    if (std::string_view rest = strip(t, "<class '"); !rest.empty()) {
        const auto end = rest.find('\'');
        std::string_view c = rest.substr(0, end);
        const auto dot = c.find_last_of('.');
        return std::string(dot == std::string_view::npos ? c : c.substr(dot + 1));
    }
    return std::string(t);
}

/** @brief The class of module `target` in a node's meta ("...('transformer.h.0.ln_1', <class '...LayerNorm'>)..."), short name. */
inline std::string fx_module_class(std::string_view meta, std::string_view target) {
    const std::string key = "('" + std::string(target) + "', <class '";
    const auto at = meta.find(key);
    if (at == std::string_view::npos) return {};
    const auto start = at + key.size();
    const auto end = meta.find('\'', start);
    if (end == std::string_view::npos) return {};
    std::string_view c = meta.substr(start, end - start);
    const auto dot = c.find_last_of('.');
    return std::string(dot == std::string_view::npos ? c : c.substr(dot + 1));
}

/** @brief Is a module path, or any in a meta text, inside the repeated block (a path component "0")? */
inline bool fx_in_block(std::string_view text) {
    for (std::size_t at = text.find(".0"); at != std::string_view::npos; at = text.find(".0", at + 1)) {
        const std::size_t after = at + 2;
        if (at == 0 || !(std::isalnum(static_cast<unsigned char>(text[at - 1])) || text[at - 1] == '_')) continue;
        if (after >= text.size() || text[after] == '.' || text[after] == '\'') return true;
    }
    return false;
}

/**
 * @brief Parses "[[4, 1024], [1]]" (input_shapes) into shapes; "(4, 1024, 1280)" or "(1,)" (output_shape)
 * with `single`. nullopt when malformed.
 */
inline std::optional<std::vector<std::vector<std::int64_t>>> fx_shapes(std::string_view s, bool single) {
    std::vector<std::vector<std::int64_t>> out;
    std::size_t i = 0;
    const auto skip = [&] {
        while (i < s.size() && s[i] == ' ') ++i;
    };
    const auto list = [&](char open, char close) -> std::optional<std::vector<std::int64_t>> {
        skip();
        if (i >= s.size() || s[i] != open) return std::nullopt;
        ++i;
        std::vector<std::int64_t> dims;
        std::int64_t extent = 1;
        for (;;) {
            skip();
            if (i < s.size() && s[i] == close) {
                ++i;
                return dims;
            }
            std::size_t j = i;
            while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '-')) ++j;
            if (j == i) return std::nullopt;
            try {
                dims.push_back(std::stoll(std::string(s.substr(i, j - i))));
            } catch (const std::exception&) {
                return std::nullopt;
            }
            // A dimension is a count: >= 0, and the product of the non-zero ones (every product the
            // reader forms) fits in 64 bits.
            if (dims.back() < 0) return std::nullopt;
            if (dims.back() > 0 && extent > std::numeric_limits<std::int64_t>::max() / dims.back()) return std::nullopt;
            if (dims.back() > 0) extent *= dims.back();
            i = j;
            skip();
            if (i < s.size() && s[i] == ',') ++i;
        }
    };
    if (single) {
        auto one = list('(', ')');
        if (!one) return std::nullopt;
        skip();
        if (i != s.size()) return std::nullopt;
        out.push_back(std::move(*one));
        return out;
    }
    skip();
    if (i >= s.size() || s[i] != '[') return std::nullopt;
    ++i;
    for (;;) {
        skip();
        if (i < s.size() && s[i] == ']') {
            ++i;
            break;
        }
        auto one = list('[', ']');
        if (!one) return std::nullopt;
        out.push_back(std::move(*one));
        skip();
        if (i < s.size() && s[i] == ',') ++i;
    }
    skip();
    if (i != s.size()) return std::nullopt;
    return out;
}

/** @brief "[True, False]" (input_contiguous) -> {true, false}; empty when absent. */
inline std::vector<bool> fx_flags(std::string_view s) {
    std::vector<bool> out;
    for (std::size_t at = 0; at < s.size();) {
        if (s.substr(at, 4) == "True") {
            out.push_back(true);
            at += 4;
        } else if (s.substr(at, 5) == "False") {
            out.push_back(false);
            at += 5;
        } else {
            ++at;
        }
    }
    return out;
}

/** @brief The node names among a node's positional args "(a, b, 3.0)": identifiers only. */
inline std::vector<std::string> fx_arg_names(std::string_view args) {
    std::vector<std::string> out;
    if (!args.empty() && args.front() == '(') args.remove_prefix(1);
    if (!args.empty() && args.back() == ')') args.remove_suffix(1);
    int depth = 0;
    std::string cur;
    const auto flush = [&] {
        std::size_t a = cur.find_first_not_of(' '), b = cur.find_last_not_of(' ');
        std::string w = a == std::string::npos ? std::string() : cur.substr(a, b - a + 1);
        out.push_back(w);
        cur.clear();
    };
    for (char c : args) {
        if (c == '(' || c == '[' || c == '{') ++depth;
        if (c == ')' || c == ']' || c == '}') --depth;
        if (c == ',' && depth == 0) {
            flush();
            continue;
        }
        cur += c;
    }
    if (!cur.empty()) flush();
    return out;
}

/** @brief A shape as perfcast holds it; rank 0 (which no layer accepts) for more than 4 dimensions. */
inline Shape fx_shape(const std::vector<std::int64_t>& d) {
    Shape s;
    if (d.size() > s.dims.size()) return s;
    s.rank = static_cast<int>(d.size());
    for (std::size_t i = 0; i < d.size(); ++i) s.dims[i] = d[i];
    return s;
}

inline std::int64_t fx_product(const std::vector<std::int64_t>& d, std::size_t from, std::size_t to) {
    std::int64_t n = 1;
    for (std::size_t i = from; i < to && i < d.size(); ++i) n *= d[i];
    return n;
}

/** @brief A number in a node's kwargs or args text ("'p': 0.1"), or fallback. */
inline double fx_number_after(std::string_view text, std::string_view key, double fallback) {
    const auto at = text.find(key);
    if (at == std::string_view::npos) return fallback;
    try {
        return std::stod(std::string(text.substr(at + key.size())));
    } catch (const std::exception&) {
        return fallback;
    }
}

/** @brief What the reader makes of one node: its status, its layer and a note. */
struct fx_mapping {
    TraceNodeStatus status = TraceNodeStatus::no_kernel;
    std::optional<Layer> layer;
    std::string note;
    std::vector<Layer> copies;  ///< TraceNode::copies
};

/** @brief What an earlier node made: its target, its output's dtype, whether its first input was contiguous,
    and for a transpose whether it swapped the last two dimensions (a matrix transposed, not heads permuted). */
struct fx_produced {
    std::string target, dtype;
    bool from_contiguous = true;
    bool last_two = false;
};

/** @brief Does a transpose node's call `(x, d0, d1)` swap the last two dimensions of its rank-@p rank input? */
inline bool fx_transposes_last_two(std::string_view args, std::size_t rank) {
    const auto comma = args.find(',');
    if (comma == std::string_view::npos || rank < 2) return false;
    std::istringstream in(std::string(args.substr(comma + 1)));
    long long d[2] = {0, 0};
    char sep = 0;
    if (!(in >> d[0] >> sep >> d[1]) || sep != ',') return false;
    const auto r = static_cast<long long>(rank);
    for (long long& x : d)
        if (x < 0) x += r;
    return (d[0] == r - 1 && d[1] == r - 2) || (d[0] == r - 2 && d[1] == r - 1);
}

/** @brief A node's context while mapping it. */
struct fx_node {
    std::string op, target, module_target, args, kwargs, dtype;
    std::vector<std::vector<std::int64_t>> in;
    std::vector<std::int64_t> out;
    std::vector<bool> contiguous;
    std::vector<std::string> arg_names;
    std::map<std::string, fx_produced>* produced;  // by node name
    std::int64_t batch = 1;
    const EmbeddingRows* embedding_rows = nullptr;
};

inline fx_mapping fx_kernel(Layer l, std::string note = {}) {
    return {TraceNodeStatus::kernel, std::move(l), std::move(note), {}};
}
inline fx_mapping fx_free(std::string note) { return {TraceNodeStatus::no_kernel, std::nullopt, std::move(note), {}}; }
inline fx_mapping fx_unmapped(std::string note) { return {TraceNodeStatus::unmapped, std::nullopt, std::move(note), {}}; }

/** @brief The node that produced positional argument `i`; empty when not a node. */
inline fx_produced fx_producer(const fx_node& n, std::size_t i) {
    if (i >= n.arg_names.size()) return {};
    const auto it = n.produced->find(n.arg_names[i]);
    return it == n.produced->end() ? fx_produced{} : it->second;
}

inline fx_mapping fx_binary(const fx_node& n, ElementwiseOp op) {
    const Shape out = fx_shape(n.out);
    std::vector<const std::vector<std::int64_t>*> tensors;  // operands with more than one element
    for (const auto& s : n.in)
        if (fx_product(s, 0, s.size()) > 1 || s.size() > 1) tensors.push_back(&s);
    if (tensors.size() <= 1) return fx_kernel(ElementwiseParams{out, op, true, {}});
    const std::vector<std::int64_t>* other = nullptr;
    for (const auto* s : tensors)
        if (*s != n.out) other = s;
    if (!other) {
        if (op == ElementwiseOp::add) return fx_kernel(AddParams{out, 2});
        return fx_kernel(ElementwiseParams{out, op, false, {}});
    }
    if (fx_product(*other, 0, other->size()) == 1) return fx_kernel(ElementwiseParams{out, op, true, {}});
    return fx_kernel(ElementwiseParams{out, op, false, fx_shape(*other)});
}

/** @brief The mapping of one node (the table in this file's comment). */
inline fx_mapping fx_map(const fx_node& n) {
    if (n.op == "placeholder" || n.op == "get_attr" || n.op == "output") return fx_free("graph " + n.op);
    const std::string& t = n.target;
    if (n.dtype.empty()) return fx_free("a Python value (shapes, sizes, attributes)");
    static const std::vector<std::string> views{"view",    "permute", "transpose", "expand",  "unsqueeze", "squeeze",
                                                "split",   "chunk",   "getitem",   "size",    "dim",       "getattr",
                                                "detach",  "t",       "narrow",    "flatten", "unflatten", "expand_as",
                                                "finfo",   "select",  "slice",     "unbind",  "clone_view"};
    if (std::find(views.begin(), views.end(), t) != views.end()) return fx_free("a view or metadata");
    if (n.out.empty() && t != "module:Embedding") return fx_unmapped("no output shape");
    const Shape out = fx_shape(n.out);
    if (out.rank > 4) return fx_unmapped("an output of rank " + std::to_string(out.rank) + " (perfcast shapes have at most 4)");
    const bool in_contiguous = n.contiguous.empty() || n.contiguous.front();
    if (t == "contiguous") return in_contiguous ? fx_free("already contiguous") : fx_kernel(CopyParams{out});
    if (t == "reshape" || t == "flatten")
        return in_contiguous ? fx_free("a view or metadata") : fx_kernel(CopyParams{out}, "reshape of a non-contiguous tensor: a copy");
    if (t == "to" || t == "type" || t == "type_as" || t == "long" || t == "bool" || t == "float" || t == "int" ||
        t == "half") {
        const std::string from = fx_producer(n, 0).dtype;
        if (from.empty() || from == n.dtype) return fx_free("a conversion to the same dtype");
        return fx_kernel(CopyParams{out}, "dtype conversion " + from + " -> " + n.dtype);
    }
    if (n.in.empty()) {
        if (t == "arange" || t == "full" || t == "ones" || t == "zeros" || t == "tensor" || t == "empty")
            return fx_unmapped("creates a tensor: a fill kernel perfcast has no layer for");
        return fx_unmapped("no input shapes");
    }
    const auto& a = n.in.front();
    if (t == "module:Linear" || t == "linear") {
        if (a.empty()) return fx_unmapped("a scalar input");
        const std::int64_t batch = a.size() >= 2 ? a.front() : 1;
        const std::int64_t seq = a.size() >= 2 ? fx_product(a, 1, a.size() - 1) : 1;
        const bool lm_head = n.module_target.size() >= 7 &&
                             n.module_target.compare(n.module_target.size() - 7, 7, "lm_head") == 0;
        return fx_kernel(DenseParams{batch, a.back(), n.out.back(), !lm_head, seq});
    }
    if (t == "addmm") {
        if (n.in.size() != 3 || n.in[1].size() != 2 || n.in[2].size() != 2) return fx_unmapped("addmm without (bias, x, W)");
        const std::int64_t rows = n.in[1][0];
        const std::int64_t batch = n.batch > 0 && rows % n.batch == 0 ? n.batch : 1;
        return fx_kernel(DenseParams{batch, n.in[1][1], n.in[2][1], true, rows / batch});
    }
    if (t == "matmul" || t == "bmm") {
        if (n.in.size() != 2 || a.size() < 2 || n.in[1].size() < 2) return fx_unmapped("a matrix product of vectors");
        const auto& b = n.in[1];
        BatchMatMulParams p;
        p.batch = fx_product(a, 0, a.size() - 2);
        p.m = a[a.size() - 2];
        p.k = a.back();
        p.n = b.back();
        // an operand that is not contiguous: a contiguous tensor with its last two dimensions transposed is read
        // transposed (a BLAS flag); any other (permuted heads) is copied first, as torch.matmul's reshape to
        // (batch, m, k) does
        fx_mapping m = fx_kernel(p);
        bool* transposed[] = {&p.transpose_a, &p.transpose_b};
        for (std::size_t i = 0; i < 2; ++i) {
            if (i >= n.contiguous.size() || n.contiguous[i]) continue;
            const fx_produced from = fx_producer(n, i);
            if (from.target == "transpose" && from.last_two && from.from_contiguous) {
                *transposed[i] = true;
            } else {
                m.copies.push_back(CopyParams{fx_shape(n.in[i])});
                m.note = "non-contiguous operands copied first";
            }
        }
        m.layer = p;
        return m;
    }
    if (t == "softmax" || t == "module:Softmax")
        return fx_kernel(SoftmaxParams{fx_product(n.out, 0, n.out.size() - 1), n.out.back()});
    if (t == "module:LayerNorm" || t == "layer_norm")
        return fx_kernel(LayerNormParams{fx_product(a, 0, a.size() - 1), a.back(), true});
    if (t == "module:Embedding" || t == "embedding") {
        if (n.out.size() < 2) return fx_unmapped("an embedding without a (batch, seq, features) output");
        EmbeddingParams p;
        p.batch = a.size() >= 2 ? a.front() : 1;
        p.seq = a.size() >= 2 ? fx_product(a, 1, a.size()) : (a.empty() ? 1 : a.front());
        p.features = n.out.back();
        if (t == "embedding" && n.in.size() >= 2 && n.in[1].size() == 2) {
            p.vocab = n.in[1][0];
        } else {
            p.vocab = n.embedding_rows && *n.embedding_rows ? (*n.embedding_rows)(n.module_target) : 0;
            if (p.vocab <= 0) return fx_unmapped("the embedding table's size is unknown (no model configuration)");
        }
        return fx_kernel(p);
    }
    if (t == "add") return fx_binary(n, ElementwiseOp::add);
    if (t == "sub" || t == "rsub") return fx_binary(n, ElementwiseOp::sub);
    if (t == "mul") return fx_binary(n, ElementwiseOp::mul);
    if (t == "truediv" || t == "div") return fx_binary(n, ElementwiseOp::div);
    if (t == "pow") return fx_binary(n, ElementwiseOp::pow);
    if (t == "max" || t == "maximum" || t == "min" || t == "minimum") {
        fx_mapping m = fx_binary(n, ElementwiseOp::add);
        m.note = t + " as an add (the same traffic)";
        return m;
    }
    if (t == "where" || t == "masked_fill" || t == "masked_fill_") {
        // where(mask, x, fill) / x.masked_fill(mask, fill): the mask is the operand that may broadcast
        const auto& mask = t == "where" ? n.in[0] : (n.in.size() >= 2 ? n.in[1] : n.in[0]);
        fx_mapping m = fx_kernel(ElementwiseParams{out, ElementwiseOp::where, false, mask == n.out ? Shape{} : fx_shape(mask)});
        if (t == "masked_fill") {  // ATen's out-of-place form: self.clone(), then masked_fill_ on the clone
            m.copies.push_back(CopyParams{out});
            m.note = "a clone of the input, then masked_fill_ on it";
        }
        return m;
    }
    if (t == "gelu" || t == "module:GELU") {
        const bool approx = n.kwargs.find("tanh") != std::string::npos;
        return fx_kernel(ActivationParams{out, approx ? ActivationKind::gelu_tanh : ActivationKind::gelu});
    }
    if (t == "tanh" || t == "module:Tanh") return fx_kernel(ActivationParams{out, ActivationKind::tanh});
    if (t == "relu" || t == "module:ReLU") return fx_kernel(ActivationParams{out, ActivationKind::relu});
    if (t == "module:Dropout" || t == "dropout") {
        const double p = fx_number_after(n.kwargs, "'p': ", fx_number_after(n.args, ", p=", 0.1));
        return fx_kernel(DropoutParams{out, p});
    }
    if (t == "arange" || t == "full" || t == "ones" || t == "zeros" || t == "tensor" || t == "empty")
        return fx_unmapped("creates a tensor: a fill kernel perfcast has no layer for");
    if (t == "cumsum" || t == "lt" || t == "gt" || t == "le" || t == "ge" || t == "eq" || t == "ne")
        return fx_unmapped("a kernel perfcast has no layer for");
    return fx_unmapped("unknown node target");
}

}  // namespace detail

/**
 * @brief Parses one fx trace text. `batch` splits addmm's rows into batch x seq; `embedding_rows` gives
 * an Embedding module's table rows (0: unknown, the node is unmapped).
 * @throws perfcast::error naming file, line and column: a missing column, a row with the wrong number of
 *         cells, a shape or a latency that cannot be read
 */
inline ModelTrace parse_fx_trace(const std::string& text, const std::string& file, std::int64_t batch = 1,
                                 const EmbeddingRows& embedding_rows = {}) {
    ModelTrace tr;
    tr.file = file;
    std::map<std::string, std::size_t> columns;
    std::map<std::string, detail::fx_produced> produced;
    std::istringstream in(text);
    std::string line;
    std::size_t line_no = 0;
    bool header = false;
    while (std::getline(in, line)) {
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        const std::vector<std::string> cells = detail::split_csv(line);
        if (!header) {
            for (std::size_t i = 0; i < cells.size(); ++i) columns.emplace(cells[i], i);
            for (const char* c : {"op", "target", "input_shapes", "output_shape", "dtype", "Name", "fw_latency"})
                if (!columns.count(c))
                    throw error(source_location{file, line_no, 0}, c, "column missing (is this a NeuSight fx trace?)");
            header = true;
            continue;
        }
        const detail::row_reader r(file, line_no, cells, columns);
        if (cells.size() != columns.size())
            r.fail("", "expected " + std::to_string(columns.size()) + " cells, got " + std::to_string(cells.size()));
        TraceNode node;
        node.line = line_no;
        node.name = std::string(r.cell("Name"));
        node.op = std::string(r.cell("op"));
        const std::string raw_target(r.cell("target"));
        const std::string meta(r.cell("meta"));
        detail::fx_node n;
        n.op = node.op;
        n.module_target = raw_target;
        if (node.op == "call_module") {
            const std::string cls = detail::fx_module_class(meta, raw_target);
            node.target = "module:" + (cls.empty() ? raw_target : cls);
        } else if (node.op == "call_function") {
            node.target = detail::fx_function_name(raw_target);
        } else {
            node.target = raw_target;
        }
        n.target = node.target;
        n.args = std::string(r.cell("_args"));
        n.kwargs = std::string(r.cell("_kwargs"));
        n.dtype = std::string(r.cell("dtype"));
        const auto ins = detail::fx_shapes(r.cell("input_shapes"), false);
        if (!ins) r.fail("input_shapes", "expected a list of shapes such as [[4, 1024], [1]], of dimensions >= 0 whose product fits in 64 bits");
        n.in = *ins;
        if (!r.cell("output_shape").empty()) {
            const auto out = detail::fx_shapes(r.cell("output_shape"), true);
            if (!out) r.fail("output_shape", "expected a shape such as (4, 1024, 1280), of dimensions >= 0 whose product fits in 64 bits");
            n.out = out->front();
        }
        n.contiguous = detail::fx_flags(r.cell("input_contiguous"));
        n.arg_names = detail::fx_arg_names(n.args);
        n.produced = &produced;
        n.batch = batch;
        n.embedding_rows = &embedding_rows;
        const auto time = [&](const char* column) {
            if (!r.has_column(column) || r.cell(column).empty()) return 0.0;
            const double v = r.number(column);
            if (!(v >= 0) || !std::isfinite(v)) r.fail(column, "must be a finite time >= 0 (ms)");
            return v;
        };
        node.fw_ms = time("fw_latency");
        node.bw_ms = time("bw_latency") + time("acc_latency");
        node.block = detail::fx_in_block(meta) || (node.op == "call_module" && detail::fx_in_block(raw_target + "."));
        detail::fx_mapping m = detail::fx_map(n);
        if (m.layer) {
            if (const Violation v = check(*m.layer)) {
                m = detail::fx_unmapped("its layer breaks a rule: " + std::string(to_string(kind(*m.layer))) + "." +
                                        std::string(v.field) + ": " + v.describe());
            }
        }
        node.status = m.status;
        node.layer = std::move(m.layer);
        node.copies = std::move(m.copies);
        node.note = std::move(m.note);
        produced[node.name] = {node.target, n.dtype, n.contiguous.empty() || n.contiguous.front(),
                               node.target == "transpose" && !n.in.empty() &&
                                   detail::fx_transposes_last_two(n.args, n.in.front().size())};
        tr.nodes.push_back(std::move(node));
    }
    if (!header) throw error(source_location{file, 0, 0}, "", "empty file");
    if (tr.nodes.empty()) throw error(source_location{file, line_no, 0}, "", "no nodes");
    return tr;
}

// ============================================================================
// Labels: the measured whole models
// ============================================================================

/** @brief One measured whole model (`<model>-<inf|train>-<seq>-<batch>.json`). */
struct ModelLabel {
    std::string file;
    std::string model;
    Pass pass = Pass::inference;
    std::int64_t seq = 0;
    std::int64_t batch = 0;
    std::int64_t num_layer = 0;
    double e2e_ms = 0, fw_ms = 0, bw_ms = 0;
};

/** @brief The model, pass, seq and batch a label's file name gives ("gpt2_large-inf-1024-4"), or nullopt. */
inline std::optional<ModelLabel> parse_label_name(std::string_view stem) {
    std::vector<std::string> parts;
    std::string cur;
    for (char c : stem) {
        if (c == '-') {
            parts.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    parts.push_back(cur);
    if (parts.size() != 4 || parts[0].empty() || (parts[1] != "inf" && parts[1] != "train")) return std::nullopt;
    ModelLabel l;
    l.model = parts[0];
    l.pass = parts[1] == "train" ? Pass::training : Pass::inference;
    for (const std::string* s : {&parts[2], &parts[3]})
        if (s->empty() || s->find_first_not_of("0123456789") != std::string::npos || s->size() > 9) return std::nullopt;
    l.seq = std::stoll(parts[2]);
    l.batch = std::stoll(parts[3]);
    if (l.seq < 1 || l.batch < 1) return std::nullopt;
    return l;
}

/**
 * @brief Reads a label's measured times into `l` (named by parse_label_name). A num_layer of null or 0
 * (some of NeuSight's Switch labels) leaves l.num_layer 0 and returns the error that locates it: the
 * label is still measured end to end, but its trace cannot be repeated.
 * @throws perfcast::error naming file, line and field: bad syntax, a missing or negative value
 */
inline std::optional<error> parse_label_json(const std::string& text, const std::string& file, ModelLabel& l) {
    const detail::json_document doc(file, text);
    const detail::json_value top = doc.root();
    l.file = file;
    std::optional<error> warning;
    const auto layers = top.find("num_layer");
    if (layers && !layers->is_null()) l.num_layer = top.integer<std::int64_t>("num_layer");
    if (l.num_layer < 0) top.fail("num_layer", "must be >= 0");
    if (l.num_layer == 0) {
        try {
            top.fail("num_layer", std::string(layers ? (layers->is_null() ? "null" : "0") : "missing") +
                                      ": the number of blocks is unknown, so the one-layer trace cannot be repeated "
                                      "(end to end from a network source only)");
        } catch (const error& e) {
            warning = e;
        }
    }
    l.e2e_ms = top.number("e2e_latency");
    l.fw_ms = top.number("fw_latency", 0.0);
    l.bw_ms = top.number("bwall_latency", 0.0);
    if (!(l.e2e_ms > 0)) top.fail("e2e_latency", "must be > 0 (ms)");
    return warning;
}

/** @brief A file of the labels folder that was not compared, and why (an absent trace, a bad file). */
struct LabelProblem {
    std::string file;
    std::size_t line = 0;
    std::string field;
    std::string message;
};

/** @brief One configuration found in the labels folder. */
struct LabelEntry {
    std::string gpu;                ///< the folder's name
    const Device* device = nullptr;
    ModelLabel label;
    std::optional<ModelTrace> trace;  ///< absent or unreadable: a LabelProblem says so
};

/** @brief What scan_labels found. */
struct LabelScan {
    std::string dir;
    std::vector<LabelEntry> entries;
    std::vector<std::string> fusion;  ///< `-fusion.json` files (torch.compile), not compared
    std::vector<LabelProblem> problems;
};

/** @brief A GPU folder's device: the name as it is, or with '_' read as ' ' (the driver's name). */
inline const Device* label_device(const DeviceRegistry& reg, const std::string& folder) {
    if (const Device* d = reg.find(folder)) return d;
    std::string spaced = folder;
    std::replace(spaced.begin(), spaced.end(), '_', ' ');
    return reg.find(spaced);
}

/**
 * @brief The Embedding table sizes of a model from NeuSight's `model_configs/<model>.json` (vocab_size,
 * n_positions or max_position_embeddings, type_vocab_size), by the module's last name.
 */
inline EmbeddingRows embedding_rows_from_config(const std::string& config_file) {
    std::map<std::string, std::int64_t> rows;
    std::error_code ec;
    if (!std::filesystem::exists(config_file, ec)) return {};
    const detail::json_document doc(config_file, detail::read_file(config_file));
    const detail::json_value top = doc.root();
    const auto get = [&](const char* k) { return top.has(k) ? top.integer<std::int64_t>(k) : std::int64_t{0}; };
    const std::int64_t vocab = get("vocab_size");
    const std::int64_t positions = get("n_positions") ? get("n_positions") : get("max_position_embeddings");
    const std::int64_t types = get("type_vocab_size");
    return [=](std::string_view module) -> std::int64_t {
        const auto dot = module.find_last_of('.');
        const std::string_view last = dot == std::string_view::npos ? module : module.substr(dot + 1);
        if (last == "wte" || last == "word_embeddings" || last == "embed_tokens" || last == "shared") return vocab;
        if (last == "wpe" || last == "position_embeddings" || last == "embed_positions") return positions;
        if (last == "token_type_embeddings") return types;
        return 0;
    };
}

/**
 * @brief Finds every label under `dir` (`<GPU>/<model>-<inf|train>-<seq>-<batch>.json` and its trace
 * `.csv.xz` or `.csv`) and reads them. Nothing is skipped silently: an unknown GPU folder, a file
 * whose name is not a label's, a label that cannot be read, an absent or unreadable trace are
 * LabelProblems; `-fusion.json` files are listed in LabelScan::fusion. Model configurations are read
 * from `dir/../model_configs/` when there.
 * @throws perfcast::error when `dir` is not a folder
 */
inline LabelScan scan_labels(const std::string& dir, const DeviceRegistry& reg) {
    namespace fs = std::filesystem;
    LabelScan scan;
    scan.dir = dir;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) throw error(source_location{dir, 0, 0}, "", "not a folder of NeuSight labels");
    std::vector<fs::path> gpus;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.is_directory()) {
            gpus.push_back(e.path());
        } else {
            scan.problems.push_back({e.path().string(), 0, "", "not a GPU folder, ignored"});
        }
    }
    std::sort(gpus.begin(), gpus.end());
    const fs::path configs = fs::path(dir).parent_path() / "model_configs";
    std::map<std::string, EmbeddingRows> rows_of;
    for (const fs::path& g : gpus) {
        const std::string gpu = g.filename().string();
        const Device* dev = label_device(reg, gpu);
        if (!dev) {
            scan.problems.push_back({g.string(), 0, "device",
                                     "unknown GPU \"" + detail::excerpt(gpu) + "\": not in the device database (perfcast devices); its "
                                     "labels are not compared"});
            continue;
        }
        std::vector<fs::path> files;
        for (const auto& e : fs::directory_iterator(g)) files.push_back(e.path());
        std::sort(files.begin(), files.end());
        std::map<std::string, fs::path> traces;  // stem -> trace file
        std::vector<std::pair<std::string, fs::path>> labels;
        for (const fs::path& f : files) {
            const std::string name = f.filename().string();
            const auto ends = [&](std::string_view s) {
                return name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
            };
            if (ends("-fusion.json")) {
                scan.fusion.push_back(f.string());
            } else if (ends(".json")) {
                labels.emplace_back(name.substr(0, name.size() - 5), f);
            } else if (ends(".csv.xz")) {
                traces[name.substr(0, name.size() - 7)] = f;
            } else if (ends(".csv")) {
                traces.emplace(name.substr(0, name.size() - 4), f);
            } else {
                scan.problems.push_back({f.string(), 0, "", "not a label (.json) nor a trace (.csv, .csv.xz), ignored"});
            }
        }
        for (const auto& [stem, f] : labels) {
            std::optional<ModelLabel> l = parse_label_name(stem);
            if (!l) {
                scan.problems.push_back({f.string(), 0, "", "the name is not <model>-<inf|train>-<seq>-<batch>.json"});
                continue;
            }
            try {
                if (const auto w = parse_label_json(detail::read_file(f.string()), f.string(), *l))
                    scan.problems.push_back({f.string(), w->where().line, w->field(), w->message()});
            } catch (const error& e) {
                scan.problems.push_back({f.string(), e.where().line, e.field(), e.message()});
                continue;
            }
            LabelEntry entry;
            entry.gpu = gpu;
            entry.device = dev;
            entry.label = *l;
            const auto t = traces.find(stem);
            if (t == traces.end()) {
                scan.problems.push_back({(g / (stem + ".csv.xz")).string(), 0, "",
                                         "trace absent: the label is compared end to end only where a network source "
                                         "is given"});
            } else {
                if (!rows_of.count(l->model))
                    try {
                        rows_of[l->model] = embedding_rows_from_config((configs / (l->model + ".json")).string());
                    } catch (const error& e) {
                        scan.problems.push_back({e.where().file, e.where().line, e.field(), e.message()});
                        rows_of[l->model] = {};
                    }
                try {
                    entry.trace = parse_fx_trace(read_neusight_file(t->second.string()), t->second.string(), l->batch,
                                                 rows_of[l->model]);
                } catch (const error& e) {
                    scan.problems.push_back({e.where().file.empty() ? t->second.string() : e.where().file,
                                             e.where().line, e.field(), e.message()});
                }
                traces.erase(t);
            }
            scan.entries.push_back(std::move(entry));
        }
        for (const auto& [stem, f] : traces)
            scan.problems.push_back({f.string(), 0, "", "a trace without its label (" + stem + ".json), not compared"});
    }
    return scan;
}

// ============================================================================
// The comparison
// ============================================================================

/** @brief The whole-model network of a model at a batch and sequence length, or nullopt when unknown. */
using ModelNetworkSource = std::function<std::optional<Network>(std::string_view model, std::int64_t batch, std::int64_t seq)>;

namespace detail {
template <class Int>
concept zoo_has_seq = requires(Int n) { zoo::find(std::string_view{}, n, n); };
}  // namespace detail

/**
 * @brief The zoo's whole transformer models as a network source, when the zoo has them
 * (zoo::find(name, batch, seq)); until it does, an empty source (the comparison's "zoo" column stays
 * empty). The test is made at compile time.
 */
template <class Int = std::int64_t>
ModelNetworkSource zoo_model_source() {
    if constexpr (detail::zoo_has_seq<Int>) {
        return [](std::string_view name, std::int64_t batch, std::int64_t seq) -> std::optional<Network> {
            return zoo::find(name, static_cast<Int>(batch), static_cast<Int>(seq));
        };
    } else {
        return {};
    }
}

/** @brief A trace node beside its prediction. */
struct NodeComparison {
    const TraceNode* node = nullptr;
    std::string kind;  ///< "dense", "elementwise(div)", "activation(gelu_tanh)"
    double predicted_fw_ms = 0, predicted_bw_ms = 0;
    double roofline_fw_ms = 0, roofline_bw_ms = 0;
};

/** @brief One kind's sum over a trace's nodes (the one-layer copy, each node once). */
struct KindSum {
    std::size_t nodes = 0;
    double measured_ms = 0, predicted_ms = 0;
    double error() const { return measured_ms > 0 ? (predicted_ms - measured_ms) / measured_ms : 0.0; }
};

/** @brief One measured whole model beside perfcast's predictions. */
struct ModelComparison {
    const LabelEntry* entry = nullptr;
    bool has_trace = false;
    std::vector<NodeComparison> nodes;           ///< kernel nodes
    std::map<std::string, KindSum> forward;      ///< per kind, fw_latency
    std::map<std::string, KindSum> backward;     ///< per kind, bw_latency + acc_latency (training)
    double trace_measured_ms = 0;   ///< measured kernel nodes, block x num_layer (NeuSight's measured sum)
    double trace_no_kernel_ms = 0;  ///< measured no-kernel nodes, block x num_layer: host overhead, left out
    double trace_unmapped_ms = 0;   ///< measured unmapped nodes, block x num_layer: not predicted
    std::size_t no_kernel_nodes = 0, unmapped_nodes = 0;
    double predicted_ms = 0;  ///< trace x layers: the kernel nodes' predictions, block x num_layer
    double roofline_ms = 0;   ///< the same with the roofline
    std::optional<double> zoo_ms, zoo_roofline_ms;  ///< the whole-model network of the source, when given
    std::string zoo_problem;  ///< why there is no zoo prediction when a source was given

    double measured_ms() const { return entry->label.e2e_ms; }
    double error() const { return (predicted_ms - measured_ms()) / measured_ms(); }
    double roofline_error() const { return (roofline_ms - measured_ms()) / measured_ms(); }
    std::optional<double> zoo_error() const {
        return zoo_ms ? std::optional<double>((*zoo_ms - measured_ms()) / measured_ms()) : std::nullopt;
    }
};

/** @brief A kernel node's kind as the comparison groups it: the layer kind, with the operation of element-wise ones. */
inline std::string node_kind(const Layer& l) {
    std::string k(to_string(kind(l)));
    if (const auto* e = std::get_if<ElementwiseParams>(&l)) k += "(" + std::string(to_string(e->op)) + ")";
    if (const auto* a = std::get_if<ActivationParams>(&l)) k += "(" + std::string(to_string(a->kind)) + ")";
    return k;
}

/** @brief A kernel node's layers as a network runs them: its copies, then its own. */
inline std::vector<NamedLayer> node_layers(const TraceNode& n) {
    std::vector<NamedLayer> out;
    for (std::size_t i = 0; i < n.copies.size(); ++i) out.push_back({n.name + ".copy_" + std::to_string(i), n.copies[i]});
    if (n.layer) out.push_back({n.name, *n.layer});
    return out;
}

/**
 * @brief Compares one configuration: each kernel node predicted on its own (an inference estimate for
 * the forward; for a training label under a model that times a step by its forward kernels, the
 * forward is the training-mode forward's kernels, dropout's mask included, and the backward the
 * training estimate minus it), an inference trace's layers that run no kernel (dropout) left out with
 * the views,
 * the whole model as the trace's nodes with the block's num_layer times, and, when `source` gives the
 * model's network, that network's estimate. Training: forward and backward, no optimizer step.
 */
inline ModelComparison compare_model(const Predictor& model, const LabelEntry& e, const ModelNetworkSource& source = {}) {
    ModelComparison c;
    c.entry = &e;
    const ModelLabel& l = e.label;
    EstimateOptions eo;
    eo.optimizer = Optimizer::none;
    const double repeat = static_cast<double>(l.num_layer);
    if (e.trace && l.num_layer > 0) {
        c.has_trace = true;
        Network net;
        net.name = l.model;
        net.batch = l.batch;
        std::vector<const TraceNode*> kernels;
        for (const TraceNode& n : e.trace->nodes) {
            const double times = n.block ? repeat : 1.0;
            const double ms = n.fw_ms + (l.pass == Pass::training ? n.bw_ms : 0.0);
            // a layer that runs no kernel in the pass (dropout in an inference trace: the module in eval
            // mode returns its input) is timed like the views, host overhead alone (~0.01 ms)
            const bool idle = n.status == TraceNodeStatus::kernel && n.layer &&
                              runs_no_kernel(*n.layer, l.pass, DType::fp32);
            if (n.status == TraceNodeStatus::no_kernel || idle) {
                c.trace_no_kernel_ms += times * ms;
                if (n.op != "placeholder" && n.op != "get_attr" && n.op != "output") ++c.no_kernel_nodes;
            } else if (n.status == TraceNodeStatus::unmapped) {
                c.trace_unmapped_ms += times * ms;
                ++c.unmapped_nodes;
            } else {
                c.trace_measured_ms += times * ms;
                for (NamedLayer& nl : node_layers(n)) net.layers.push_back(std::move(nl));
                kernels.push_back(&n);
            }
        }
        const Target inf(*e.device, Pass::inference, DType::fp32);
        const NetworkEstimate fw = estimate(net, inf, model, eo);
        std::optional<NetworkEstimate> train;
        if (l.pass == Pass::training) train = estimate(net, Target(*e.device, Pass::training, DType::fp32), model, eo);
        const bool steps_from_forward = model.view().steps_from_forward(Pass::training, DType::fp32);
        // each kernel node's layers in the network: its copies, then its own
        std::size_t at = 0;
        for (const TraceNode* kn : kernels) {
            const std::size_t count = kn->copies.size() + 1;
            if (at + count > fw.layers.size() || (train && at + count > train->layers.size())) break;
            const TraceNode& n = *kn;
            NodeComparison nc;
            nc.node = &n;
            nc.kind = node_kind(*n.layer);
            // the node's kernels each timed alone, as the trace timed the node (fw_alone_us, train_alone_us),
            // and in the network's stream (fw_us, train_us: the whole model's time)
            double fw_us = 0, fw_alone_us = 0, fw_roofline_us = 0, train_us = 0, train_alone_us = 0,
                   train_roofline_us = 0;
            for (std::size_t j = at; j < at + count; ++j) {
                fw_us += fw.layers[j].us;
                fw_alone_us += fw.layers[j].alone_us;
                fw_roofline_us += fw.layers[j].roofline_us;
                if (train) {
                    train_us += train->layers[j].us;
                    train_alone_us += train->layers[j].alone_us;
                    train_roofline_us += train->layers[j].roofline_us;
                }
            }
            at += count;
            if (train && steps_from_forward) {
                // the step's forward is its training-mode forward (dropout's mask), timed as the step times
                // it: its forward kernels; the inference forward where they are the same
                fw_alone_us = 0;
                for (std::size_t j = 0; j <= n.copies.size(); ++j)
                    for (const PhaseKernel& k :
                         phase_kernels(j < n.copies.size() ? n.copies[j] : *n.layer, Phase::forward, DType::fp32))
                        fw_alone_us += k.scale * model.layer_time(k.layer, inf).us;
            }
            nc.predicted_fw_ms = fw_alone_us / 1e3;
            nc.roofline_fw_ms = fw_roofline_us / 1e3;
            if (train) {
                nc.predicted_bw_ms = std::max(0.0, train_alone_us - fw_alone_us) / 1e3;
                nc.roofline_bw_ms = std::max(0.0, train_roofline_us - fw_roofline_us) / 1e3;
            }
            KindSum& f = c.forward[nc.kind];
            ++f.nodes;
            f.measured_ms += n.fw_ms;
            f.predicted_ms += nc.predicted_fw_ms;
            if (train) {
                KindSum& b = c.backward[nc.kind];
                ++b.nodes;
                b.measured_ms += n.bw_ms;
                b.predicted_ms += nc.predicted_bw_ms;
            }
            const double times = n.block ? repeat : 1.0;
            c.predicted_ms += times * (train ? train_us : fw_us) / 1e3;
            c.roofline_ms += times * (train ? train_roofline_us : fw_roofline_us) / 1e3;
            c.nodes.push_back(nc);
        }
    }
    if (source) {
        std::optional<Network> net;
        try {
            net = source(l.model, l.batch, l.seq);
        } catch (const error& x) {
            c.zoo_problem = x.what();
        }
        if (net) {
            const NetworkEstimate z = estimate(*net, Target(*e.device, l.pass, DType::fp32), model, eo);
            c.zoo_ms = z.total_us / 1e3;
            c.zoo_roofline_ms = z.roofline_total_us / 1e3;
        } else if (c.zoo_problem.empty()) {
            c.zoo_problem = "the network source has no " + l.model;
        }
    }
    return c;
}

/**
 * @brief A traced configuration's kernel nodes as layer timings, for fit_levels (`perfcast calibrate
 * --neusight-labels`): each node that runs a kernel, with its forward time and its layers (node_layers,
 * as compare_model predicts it), counted the model's layer count times when it is in the
 * repeated block. A training trace gives its (training-mode) forward. Empty without a trace.
 */
inline LayerTimingData trace_layer_timings(const LabelEntry& e) {
    LayerTimingData v;
    if (!e.trace) return v;
    v.file = e.trace->file;
    const ModelLabel& l = e.label;
    for (const TraceNode& n : e.trace->nodes) {
        if (n.status != TraceNodeStatus::kernel || !n.layer || runs_no_kernel(*n.layer, l.pass, DType::fp32)) continue;
        LayerTimingRow r;
        r.network = l.model;
        r.batch = l.batch;
        r.device = e.gpu;
        r.node = n.name;
        r.name = n.name;
        r.kind = std::string(to_string(kind(*n.layer)));
        r.layers = node_layers(n);
        r.time_ms = n.fw_ms;
        r.repeat = n.block && l.num_layer > 0 ? static_cast<double>(l.num_layer) : 1.0;
        r.file = e.trace->file;
        r.line = n.line;
        v.rows.push_back(std::move(r));
    }
    return v;
}

/** @brief NeuSight's own published end-to-end errors on its labels (inference): its predictions and the roofline's. */
struct NeuSightPublished {
    std::string_view gpu;  ///< the labels folder's name
    double error = 0;      ///< mean |pred - label| / label
    double roofline = 0;
    int configurations = 0;
};
inline constexpr std::array<NeuSightPublished, 5> neusight_published{{
    {"NVIDIA_A100-PCIE-40GB", 0.065, 0.212, 12},
    {"Tesla_V100-PCIE-32GB", 0.066, 0.161, 13},
    {"Tesla_P100-PCIE-16GB", 0.071, 0.302, 5},
    {"Tesla_T4", 0.185, 0.459, 5},
    {"Tesla_P4", 0.271, 0.519, 3},
}};

inline const NeuSightPublished* neusight_published_for(std::string_view gpu) {
    for (const NeuSightPublished& p : neusight_published)
        if (p.gpu == gpu) return &p;
    return nullptr;
}

/** @brief One GPU's (and pass's) summary over its configurations. */
struct ModelGpuSummary {
    std::string gpu;
    Pass pass = Pass::inference;
    std::size_t configurations = 0;  ///< with a trace
    double mean_abs_error = 0, roofline_mean_abs_error = 0;
    std::size_t zoo_configurations = 0;
    double zoo_mean_abs_error = 0;
    const NeuSightPublished* published = nullptr;
};

/** @brief One kind's summary on one GPU and direction: the mean over traces of |error of the kind's sum|. */
struct ModelKindSummary {
    std::string gpu, direction, kind;  ///< direction: "forward" or "backward"
    std::size_t traces = 0, nodes = 0;
    double measured_ms = 0, predicted_ms = 0;
    std::size_t compared = 0;  ///< traces where the kind's measured sum is > 0: those the mean is over
    double mean_abs_error = 0;
};

/** @brief Everything `perfcast validate neusight-models` reports. */
struct ModelValidation {
    LabelScan scan;
    std::vector<ModelComparison> rows;
    std::vector<ModelGpuSummary> gpus;
    std::vector<ModelKindSummary> kinds;
    /// "target: why" -> (nodes, measured ms, each node once)
    std::map<std::string, std::pair<std::size_t, double>> unmapped;
    double no_kernel_ms = 0;  ///< measured no-kernel nodes over every configuration (block x layers)
};

/** @brief Compares every configuration of a scan and summarises per GPU and per kind. */
inline ModelValidation validate_models(LabelScan scan, const Predictor& model, const ModelNetworkSource& source = {}) {
    ModelValidation v;
    v.scan = std::move(scan);
    for (const LabelEntry& e : v.scan.entries) v.rows.push_back(compare_model(model, e, source));
    std::map<std::pair<std::string, Pass>, ModelGpuSummary> gpus;
    std::map<std::tuple<std::string, std::string, std::string>, ModelKindSummary> kinds;
    for (const ModelComparison& c : v.rows) {
        ModelGpuSummary& g = gpus[{c.entry->gpu, c.entry->label.pass}];
        g.gpu = c.entry->gpu;
        g.pass = c.entry->label.pass;
        g.published = neusight_published_for(g.gpu);
        if (c.has_trace) {
            ++g.configurations;
            g.mean_abs_error += std::fabs(c.error());
            g.roofline_mean_abs_error += std::fabs(c.roofline_error());
            v.no_kernel_ms += c.trace_no_kernel_ms;
        }
        if (c.zoo_ms) {
            ++g.zoo_configurations;
            g.zoo_mean_abs_error += std::fabs(*c.zoo_error());
        }
        for (const auto& [dir, sums] : {std::pair<std::string, const std::map<std::string, KindSum>*>{"forward", &c.forward},
                                        {"backward", &c.backward}})
            for (const auto& [k, s] : *sums) {
                ModelKindSummary& ks = kinds[{c.entry->gpu, dir, k}];
                ks.gpu = c.entry->gpu;
                ks.direction = dir;
                ks.kind = k;
                ++ks.traces;
                ks.nodes += s.nodes;
                ks.measured_ms += s.measured_ms;
                ks.predicted_ms += s.predicted_ms;
                if (s.measured_ms > 0) {
                    ++ks.compared;
                    ks.mean_abs_error += std::fabs(s.error());
                }
            }
        if (c.entry->trace)
            for (const TraceNode& n : c.entry->trace->nodes)
                if (n.status == TraceNodeStatus::unmapped) {
                    auto& u = v.unmapped[n.target + ": " + n.note];
                    ++u.first;
                    u.second += n.fw_ms + (c.entry->label.pass == Pass::training ? n.bw_ms : 0.0);
                }
    }
    for (auto& [k, g] : gpus) {
        if (g.configurations) {
            g.mean_abs_error /= static_cast<double>(g.configurations);
            g.roofline_mean_abs_error /= static_cast<double>(g.configurations);
        }
        if (g.zoo_configurations) g.zoo_mean_abs_error /= static_cast<double>(g.zoo_configurations);
        v.gpus.push_back(g);
    }
    for (auto& [k, s] : kinds) {
        if (s.compared) s.mean_abs_error /= static_cast<double>(s.compared);
        v.kinds.push_back(s);
    }
    return v;
}

}  // namespace perfcast
