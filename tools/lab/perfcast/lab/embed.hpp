/**
 * @file embed.hpp
 * @brief `perfcast embed`: writes a trained model file out as a C++ header of constexpr data,
 *        so the model predicts in constant expressions (constexpr_model.hpp) and ships inside
 *        the single header with no file to load at run time.
 *
 * The header holds, per layer kind, the feature names and scaler statistics, every layer's
 * weights and biases as `inline constexpr double[]` arrays (shortest round-trip decimal, so
 * each value is bit-exact), the activation, output affine map and target transform; then the
 * passes, precisions and devices the model was trained on, the reference queries with the
 * trainer's predictions, and one `perfcast::models::<name>::model` of type embedded::Model: the
 * predictor's view() (the form every prediction reads a learned model in) written out as C++.
 * Output is deterministic: the same model file gives the same header byte for byte.
 */
#pragma once

#include <charconv>     // to_chars: shortest round-trip decimal
#include <cmath>        // isfinite
#include <cstddef>      // size_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <type_traits>  // is_same_v, remove_cvref_t
#include <variant>      // visit
#include <vector>       // vector

#include <perfcast/core/constexpr_model.hpp>  // embedded::Model, KindModel, DenseLayer, Reference
#include <perfcast/core/devices.hpp>          // Device
#include <perfcast/core/error.hpp>            // error
#include <perfcast/core/feature_set.hpp>      // to_string(FeatureSet)
#include <perfcast/core/layers.hpp>           // Layer, the parameter structs
#include <perfcast/core/mlp_kinds.hpp>        // to_string(MlpActivation), to_string(TargetKind)
#include <perfcast/runtime/detail/files.hpp>  // write_file
#include <perfcast/runtime/predictor.hpp>     // Predictor::view

namespace perfcast {

namespace embedded {

// ============================================================================
// Declarations
// ============================================================================

/** @brief Is @p s usable as the C++ name of an embedded model (an identifier, not a keyword)? */
bool is_identifier(std::string_view s);

/** @brief A C++ identifier made from @p s ("neusight-fp32" gives "neusight_fp32"). */
std::string identifier_from(std::string_view s);

}  // namespace embedded

/**
 * @brief The header that embeds @p p as `perfcast::models::<name>::model`.
 * @param name   a C++ identifier (embedded::is_identifier)
 * @param source the model file's path, named in the banner (empty: not named)
 * @throws perfcast::error for a bad name or a model that cannot be embedded
 */
std::string embed_model_header(const Predictor& p, std::string_view name, std::string_view source = {});

/** @brief Writes embed_model_header() to @p path. @throws perfcast::error naming the file */
void write_model_header(const Predictor& p, const std::string& path, std::string_view name,
                        std::string_view source = {});

// ============================================================================
// Implementation
// ============================================================================

namespace embedded {

namespace detail {

/** @brief The shortest decimal that reads back as exactly @p v, as a double literal. */
inline std::string literal(double v) {
    if (!std::isfinite(v)) throw error("embed", "cannot embed a non-finite number");
    char buf[64];
    const auto res = std::to_chars(buf, buf + sizeof buf, v);
    std::string s(buf, res.ptr);
    if (s.find_first_of(".e") == std::string::npos) s += ".0";
    return s;
}

/** @brief A C++ string literal of @p s. */
inline std::string quoted(std::string_view s) {
    std::string out = "\"";
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (ch == '"' || ch == '\\') {
            out += '\\';
            out += ch;
        } else if (c < 0x20 || c == 0x7f) {
            const char oct[] = {'\\', static_cast<char>('0' + ((c >> 6) & 7)), static_cast<char>('0' + ((c >> 3) & 7)),
                                static_cast<char>('0' + (c & 7)), '\0'};
            out += oct;
        } else {
            out += ch;
        }
    }
    return out + "\"";
}

/** @brief `{a, b, ...}` wrapped at about 110 columns, each line indented by four spaces. */
inline void write_list(std::string& out, const std::vector<std::string>& items) {
    out += "{\n    ";
    std::size_t col = 4;
    for (std::size_t i = 0; i < items.size(); ++i) {
        std::string item = items[i] + (i + 1 < items.size() ? "," : "");
        if (col > 4 && col + 1 + item.size() > 110) {
            out += "\n    ";
            col = 4;
        } else if (col > 4) {
            out += ' ';
            ++col;
        }
        out += item;
        col += item.size();
    }
    out += "}";
}

inline std::vector<std::string> literals(std::span<const double> v) {
    std::vector<std::string> out;
    out.reserve(v.size());
    for (const double x : v) out.push_back(literal(x));
    return out;
}

inline std::string hw(const Hw& v) { return "{" + std::to_string(v.h) + ", " + std::to_string(v.w) + "}"; }
inline std::string boolean(bool b) { return b ? "true" : "false"; }

/** @brief A layer as a C++ expression of its parameter struct, every field named. */
/** @brief A Shape as a C++ expression. */
inline std::string shape_expression(const Shape& s) {
    std::string dims;
    for (std::size_t i = 0; i < s.dims.size(); ++i) dims += (i ? ", " : "") + std::to_string(s.dims[i]);
    return "perfcast::Shape{" + std::to_string(s.rank) + ", {" + dims + "}}";
}

inline std::string layer_expression(const Layer& l) {
    return std::visit(
        [](const auto& p) -> std::string {
            using params_t = std::remove_cvref_t<decltype(p)>;
            using std::to_string;
            if constexpr (std::is_same_v<params_t, DenseParams>) {
                return "perfcast::DenseParams{.batch = " + to_string(p.batch) + ", .in_features = " +
                       to_string(p.in_features) + ", .out_features = " + to_string(p.out_features) +
                       ", .bias = " + boolean(p.bias) + ", .seq = " + to_string(p.seq) + "}";
            } else if constexpr (std::is_same_v<params_t, Conv2DParams>) {
                return "perfcast::Conv2DParams{.batch = " + to_string(p.batch) + ", .in_channels = " +
                       to_string(p.in_channels) + ", .height = " + to_string(p.height) + ", .width = " +
                       to_string(p.width) + ", .out_channels = " + to_string(p.out_channels) +
                       ",\n        .kernel = " + hw(p.kernel) + ", .stride = " + hw(p.stride) + ", .padding = " +
                       hw(p.padding) + ", .dilation = " + hw(p.dilation) + ", .groups = " + to_string(p.groups) +
                       ", .bias = " + boolean(p.bias) + "}";
            } else if constexpr (std::is_same_v<params_t, Pool2DParams>) {
                return "perfcast::Pool2DParams{.batch = " + to_string(p.batch) + ", .channels = " +
                       to_string(p.channels) + ", .height = " + to_string(p.height) + ", .width = " +
                       to_string(p.width) + ", .mode = perfcast::PoolMode::" + std::string(perfcast::to_string(p.mode)) +
                       ",\n        .kernel = " + hw(p.kernel) + ", .stride = " + hw(p.stride) + ", .padding = " +
                       hw(p.padding) + ", .ceil_mode = " + boolean(p.ceil_mode) + ", .global = " +
                       boolean(p.global) + ", .count_include_pad = " + boolean(p.count_include_pad) + "}";
            } else if constexpr (std::is_same_v<params_t, BatchMatMulParams>) {
                return "perfcast::BatchMatMulParams{.batch = " + to_string(p.batch) + ", .m = " + to_string(p.m) +
                       ", .k = " + to_string(p.k) + ", .n = " + to_string(p.n) + "}";
            } else if constexpr (std::is_same_v<params_t, LayerNormParams>) {
                return "perfcast::LayerNormParams{.batch = " + to_string(p.batch) + ", .features = " +
                       to_string(p.features) + ", .affine = " + boolean(p.affine) + "}";
            } else if constexpr (std::is_same_v<params_t, SoftmaxParams>) {
                return "perfcast::SoftmaxParams{.batch = " + to_string(p.batch) + ", .features = " +
                       to_string(p.features) + "}";
            } else if constexpr (std::is_same_v<params_t, BatchNorm2DParams>) {
                return "perfcast::BatchNorm2DParams{.batch = " + to_string(p.batch) + ", .channels = " +
                       to_string(p.channels) + ", .height = " + to_string(p.height) + ", .width = " +
                       to_string(p.width) + ", .affine = " + boolean(p.affine) + "}";
            } else if constexpr (std::is_same_v<params_t, ActivationParams>) {
                return "perfcast::ActivationParams{.shape = " + shape_expression(p.shape) +
                       ", .kind = perfcast::ActivationKind::" + std::string(perfcast::to_string(p.kind)) + "}";
            } else if constexpr (std::is_same_v<params_t, AddParams>) {
                return "perfcast::AddParams{.shape = " + shape_expression(p.shape) + ", .inputs = " + to_string(p.inputs) + "}";
            } else if constexpr (std::is_same_v<params_t, ElementwiseParams>) {
                return "perfcast::ElementwiseParams{.shape = " + shape_expression(p.shape) +
                       ", .op = perfcast::ElementwiseOp::" + std::string(perfcast::to_string(p.op)) +
                       ", .scalar = " + boolean(p.scalar) + "}";
            } else {
                throw error("embed", "reference queries of " + std::string(perfcast::to_string(kind_of<params_t>)) +
                                         " layers cannot be embedded (only the learned kinds)");
            }
        },
        l);
}

/** @brief A device as a C++ expression, every field named. */
inline std::string device_expression(const Device& d) {
    std::string aliases;
    for (std::size_t i = 0; i < d.aliases.size(); ++i) aliases += (i ? ", " : "") + quoted(d.aliases[i]);
    using std::to_string;
    return "perfcast::Device{.id = " + quoted(d.id) + ", .name = " + quoted(d.name) + ",\n        .aliases = {" +
           aliases + "},\n        .kind = perfcast::DeviceKind::" + std::string(perfcast::to_string(d.kind)) +
           ", .architecture = " + quoted(d.architecture) + ", .cc_major = " + to_string(d.cc_major) +
           ", .cc_minor = " + to_string(d.cc_minor) + ",\n        .units = " + to_string(d.units) +
           ", .lanes_per_unit = " + to_string(d.lanes_per_unit) + ", .simd_width = " + to_string(d.simd_width) +
           ", .fma_units = " + to_string(d.fma_units) + ", .boost_mhz = " + literal(d.boost_mhz) +
           ",\n        .fp32_tflops = " + literal(d.fp32_tflops) + ", .tf32_tflops = " + literal(d.tf32_tflops) +
           ", .fp16_tflops = " + literal(d.fp16_tflops) + ", .bf16_tflops = " + literal(d.bf16_tflops) +
           ",\n        .bandwidth_gbs = " + literal(d.bandwidth_gbs) + ", .l2_mb = " + literal(d.l2_mb) +
           ", .memory_gb = " + literal(d.memory_gb) + ",\n        .source = " + quoted(d.source) +
           ", .kernel_floor_us = " + literal(d.kernel_floor_us) + "}";
}

}  // namespace detail

inline bool is_identifier(std::string_view s) {
    static constexpr std::string_view keywords[] = {
        "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break", "case", "catch",
        "char", "char8_t", "char16_t", "char32_t", "class", "compl", "concept", "const", "consteval", "constexpr",
        "constinit", "const_cast", "continue", "co_await", "co_return", "co_yield", "decltype", "default", "delete",
        "do", "double", "dynamic_cast", "else", "enum", "explicit", "export", "extern", "false", "float", "for",
        "friend", "goto", "if", "inline", "int", "long", "mutable", "namespace", "new", "noexcept", "not", "not_eq",
        "nullptr", "operator", "or", "or_eq", "private", "protected", "public", "register", "reinterpret_cast",
        "requires", "return", "short", "signed", "sizeof", "static", "static_assert", "static_cast", "struct",
        "switch", "template", "this", "thread_local", "throw", "true", "try", "typedef", "typeid", "typename",
        "union", "unsigned", "using", "virtual", "void", "volatile", "wchar_t", "while", "xor", "xor_eq",
        // names the header itself declares next to the model
        "detail", "model"};
    if (s.empty()) return false;
    auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
    if (!alpha(s[0])) return false;
    for (const char c : s)
        if (!alpha(c) && !(c >= '0' && c <= '9')) return false;
    for (const std::string_view k : keywords)
        if (s == k) return false;
    // reserved for the implementation: __x, _X
    return !(s.size() >= 2 && s[0] == '_' && (s[1] == '_' || (s[1] >= 'A' && s[1] <= 'Z')));
}

inline std::string identifier_from(std::string_view s) {
    std::string out;
    for (const char c : s) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        out += ok ? c : '_';
    }
    if (out.empty() || (out[0] >= '0' && out[0] <= '9')) out = "model_" + out;
    if (!is_identifier(out)) out += "_model";
    return out;
}

}  // namespace embedded

inline std::string embed_model_header(const Predictor& p, std::string_view name, std::string_view source) {
    using namespace embedded::detail;
    if (!embedded::is_identifier(name))
        throw error("--name", "\"" + detail::excerpt(name) + "\" is not a C++ identifier (letters, digits, _)");
    if (p.models().empty()) throw error("embed", "the model has no layer-kind models");
    const embedded::Model& m = p.view();
    const std::string ns = "perfcast::models::" + std::string(name);
    const std::string digest = p.digest();

    std::string out;
    out += "// generated by `perfcast embed`";
    if (!source.empty()) out += " from " + std::string(source);
    out += "; do not edit.\n";
    out += "// Regenerate: perfcast embed --model " + (source.empty() ? std::string("MODEL.json") : std::string(source)) +
           " --out <this file> --name " + std::string(name) + "\n";
    out += "/**\n * @file\n * @brief The predictor " + quoted(m.name) + " as constexpr data: `" + ns + "::model`.\n *\n";
    for (std::size_t ki = 0; ki < m.kinds.size(); ++ki) {
        const embedded::KindModel& k = m.kinds[ki];
        if (ki > 0 && m.kinds[ki - 1].same_ensemble(k)) continue;  // an ensemble's later members
        std::size_t members = 1;
        while (ki + members < m.kinds.size() && m.kinds[ki + members].same_ensemble(k)) ++members;
        std::string shape = std::to_string(k.layers.empty() ? 0 : k.layers.front().inputs);
        for (const embedded::DenseLayer& l : k.layers) shape += "-" + std::to_string(l.outputs);
        std::string answers(to_string(k.kind));
        for (LayerKind o : k.serves) answers += ", " + std::string(to_string(o));
        out += " * - " + answers + ": " + std::string(to_string(k.features)) + " features, " +
               shape + " " + std::string(to_string(k.activation)) +
               (members > 1 ? " (an ensemble of " + std::to_string(members) + ")" : std::string()) + ", " +
               std::string(to_string(k.transform)) + " target" +
               (!k.relative_to_roofline ? ""
                : k.portable()         ? ", relative to the device's kernel floor (else " + literal(k.latency_us) +
                                     " us) + the roofline at the SIMT rate"
                : k.kernel_floor       ? ", relative to the device's kernel floor + the roofline"
                                       : ", relative to the roofline") +
               ",\n *   at least the physical bound (" + literal(k.min_compute_fraction) + " x FLOPs / peak; bytes / bandwidth)\n";
    }
    out += " *\n * Trained on";
    for (std::size_t i = 0; i < m.passes.size(); ++i) out += (i ? ", " : " ") + std::string(to_string(m.passes[i]));
    out += ";";
    for (std::size_t i = 0; i < m.dtypes.size(); ++i) out += (i ? ", " : " ") + std::string(to_string(m.dtypes[i]));
    out += ";";
    for (std::size_t i = 0; i < m.devices.size(); ++i) out += (i ? ", " : " ") + std::string(m.devices[i]);
    out += "\n * (data " + std::string(m.data_hash) + ", feature schema " + std::to_string(m.feature_schema_version) +
           ";\n * model file " + digest + ").\n */\n";
    out += "#pragma once\n\n#include <string_view>  // string_view\n\n";
    out += "#include <perfcast/core/constexpr_model.hpp>  // embedded::Model, KindModel, DenseLayer, Reference\n\n";
    out += "namespace " + ns + " {\n\nnamespace detail {\n";

    auto array = [&](std::string_view type, const std::string& var, const std::vector<std::string>& items,
                     const std::string& comment) {
        out += "\n";
        if (!comment.empty()) out += "// " + comment + "\n";
        out += "inline constexpr " + std::string(type) + " " + var + "[] = ";
        write_list(out, items);
        out += ";\n";
    };
    // A span initialiser: the array's name, or an empty span where there is nothing (no zero-size arrays).
    auto span_of = [](const std::string& var, std::size_t n) { return n == 0 ? std::string("{}") : var; };

    std::vector<std::string> kinds;
    for (std::size_t ki = 0; ki < m.kinds.size(); ++ki) {
        const embedded::KindModel& k = m.kinds[ki];
        std::size_t member = 0;  // an ensemble's later members: conv2d_1_..., conv2d_2_...
        while (member < ki && m.kinds[ki - member - 1].same_ensemble(k)) ++member;
        const std::string kn = (k.portable() ? "portable_" : "") + std::string(to_string(k.kind)) +
                               (member ? "_" + std::to_string(member) : std::string());
        std::vector<std::string> names;
        for (const std::string_view n : k.feature_names) names.push_back(quoted(n));
        array("std::string_view", kn + "_feature_names", names, kn + ": the features, in order");
        array("double", kn + "_mean", literals(k.mean), "the scaler: (x - mean) / stddev");
        array("double", kn + "_stddev", literals(k.stddev), "");
        const bool ranged = !k.feature_min.empty();
        if (ranged) {
            array("double", kn + "_feature_min", literals(k.feature_min),
                  "the training rows' range of each feature: queries are clamped into it");
            array("double", kn + "_feature_max", literals(k.feature_max), "");
        }
        std::vector<std::string> layers;
        for (std::size_t i = 0; i < k.layers.size(); ++i) {
            const embedded::DenseLayer& l = k.layers[i];
            const std::string w = kn + "_w" + std::to_string(i), b = kn + "_b" + std::to_string(i);
            array("double", w, literals(l.weights),
                  "layer " + std::to_string(i) + ": " + std::to_string(l.inputs) + " x " + std::to_string(l.outputs) +
                      " weights, row-major, and biases");
            array("double", b, literals(l.bias), "");
            layers.push_back("{" + std::to_string(l.inputs) + ", " + std::to_string(l.outputs) + ", " + w + ", " + b +
                             "}");
        }
        array("perfcast::embedded::DenseLayer", kn + "_layers", layers, "");
        std::vector<std::string> serves;
        for (LayerKind o : k.serves) serves.push_back("perfcast::LayerKind::" + std::string(to_string(o)));
        if (!serves.empty()) array("perfcast::LayerKind", kn + "_serves", serves, "the further kinds it answers");
        std::vector<std::string> trained;
        for (std::string_view id : k.devices) trained.push_back(quoted(id));
        if (!trained.empty()) array("std::string_view", kn + "_devices", trained, "the devices of its training rows");
        kinds.push_back("{perfcast::LayerKind::" + std::string(to_string(k.kind)) + ", perfcast::FeatureSet::" + std::string(to_string(k.features)) +
                        ", " + boolean(k.relative_to_roofline) + ", " + kn + "_feature_names, " + kn + "_mean, " + kn +
                        "_stddev,\n     " + kn + "_layers, perfcast::MlpActivation::" +
                        std::string(to_string(k.activation)) + ", " + literal(k.output_offset) + ", " +
                        literal(k.output_scale) + ",\n     perfcast::TargetKind::" + std::string(to_string(k.transform)) +
                        ", " + literal(k.transform_c) + ", " + literal(k.min_compute_fraction) +
                        (ranged ? ", " + kn + "_feature_min, " + kn + "_feature_max" : std::string(", {}, {}")) +
                        ", " + span_of(kn + "_serves", serves.size()) + ", " + literal(k.latency_us) + ", " +
                        span_of(kn + "_devices", trained.size()) + ", " + boolean(k.kernel_floor) + "}");
    }
    out += "\n// the models: per layer kind, then the portable tier (an ensemble's members one after another)\ninline constexpr perfcast::embedded::KindModel kinds[] = {\n";
    for (const std::string& k : kinds) out += "    " + k + ",\n";
    out += "};\n";

    std::vector<std::string> passes, dtypes, devs, refs;
    for (const Pass x : m.passes) passes.push_back("perfcast::Pass::" + std::string(to_string(x)));
    for (const DType x : m.dtypes) dtypes.push_back("perfcast::DType::" + std::string(to_string(x)));
    for (const std::string_view x : m.devices) devs.push_back(quoted(x));
    if (!passes.empty()) array("perfcast::Pass", "passes", passes, "what the model was trained on");
    if (!dtypes.empty()) array("perfcast::DType", "dtypes", dtypes, "");
    if (!devs.empty()) array("std::string_view", "devices", devs, "");
    std::vector<std::string> floors;
    for (const double x : m.kernel_floors_us) floors.push_back(literal(x));
    if (!floors.empty()) array("double", "kernel_floors_us", floors, "each training device's kernel floor, microseconds");
    if (!m.references.empty()) {
        out += "\n// queries the trainer answered, and its predictions (embedded::verify re-runs them)\n";
        out += "inline constexpr perfcast::embedded::Reference references[] = {\n";
        for (const embedded::Reference& r : m.references)
            out += "    {" + layer_expression(r.layer) + ",\n     " + device_expression(r.device) +
                   ",\n     perfcast::Pass::" + std::string(to_string(r.pass)) + ", perfcast::DType::" +
                   std::string(to_string(r.dtype)) + ", " + literal(r.predicted_us) + "},\n";
        out += "};\n";
    }
    out += "\n}  // namespace detail\n\n";
    std::string overhead;  // the call overhead per kind, in LayerKind's order
    if (m.overhead.fitted()) {
        std::string us, per_mb, rows, level, level_rows;
        bool leveled = false;
        for (std::size_t i = 0; i < layer_kind_count; ++i) {
            us += (i ? ", " : "") + literal(m.overhead.us[i]);
            per_mb += (i ? ", " : "") + literal(m.overhead.us_per_mb[i]);
            rows += (i ? ", " : "") + std::to_string(m.overhead.rows[i]);
            level += (i ? ", " : "") + literal(m.overhead.level[i]);
            level_rows += (i ? ", " : "") + std::to_string(m.overhead.level_rows[i]);
            leveled = leveled || m.overhead.level_rows[i] > 0;
        }
        overhead = ",\n    perfcast::CallOverhead{.us = {" + us + "},\n                           .us_per_mb = {" + per_mb +
                   "},\n                           .rows = {" + rows + "}" +
                   (leveled ? ",\n                           .level = {" + level +
                                  "},\n                           .level_rows = {" + level_rows + "}"
                            : std::string()) +
                   "}, " + quoted(m.overhead_device);
    }
    out += "/** @brief The predictor " + quoted(m.name) + ", for embedded::predict_us() and perfcast::predict_us<>(). */\n";
    out += "inline constexpr perfcast::embedded::Model model{" + quoted(m.name) + ", " +
           std::to_string(m.feature_schema_version) + ", detail::kinds, " +
           span_of("detail::passes", passes.size()) + ", " + span_of("detail::dtypes", dtypes.size()) + ",\n    " +
           span_of("detail::devices", devs.size()) + ", " + span_of("detail::references", m.references.size()) + ", " +
           quoted(m.data_hash) +
           (m.memory.fitted() ? ",\n    perfcast::MemoryFit{.latency_us = " + literal(m.memory.latency_us) +
                                    ", .efficiency = " + literal(m.memory.efficiency) +
                                    ", .rows = " + std::to_string(m.memory.rows) + "}"
            : m.overhead.fitted() || !floors.empty() ? std::string(",\n    perfcast::MemoryFit{}")
                                                     : std::string()) +
           (!overhead.empty() || floors.empty() ? overhead : std::string(", perfcast::CallOverhead{}, \"\"")) +
           (floors.empty() ? std::string() : ",\n    " + span_of("detail::kernel_floors_us", floors.size())) + "};\n\n";
    out += "/** @brief The digest of the model file it was made from (Predictor::digest(), model_digest()). */\n";
    out += "inline constexpr std::string_view digest = " + quoted(std::string_view(digest)) + ";\n\n";
    out += "}  // namespace " + ns + "\n";
    return out;
}

inline void write_model_header(const Predictor& p, const std::string& path, std::string_view name,
                               std::string_view source) {
    detail::write_file(path, embed_model_header(p, name, source));
}

}  // namespace perfcast
