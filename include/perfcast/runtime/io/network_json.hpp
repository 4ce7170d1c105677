/**
 * @file io/network_json.hpp
 * @brief Networks to and from JSON (schema "perfcast-network", version 1; docs/reference.md documents it).
 *
 * A layer gives its per-sample sizes; the batch is the network's, so one file serves
 * every batch size, unless a layer gives a "batch" of its own (attention's batch*heads products, a
 * position embedding shared by the whole batch). Every refusal names the file, the line and the field.
 */
#pragma once

#include <cstdint>      // int64_t
#include <set>          // set
#include <string>       // string
#include <string_view>  // string_view
#include <utility>      // move, pair
#include <vector>       // vector

#include "../detail/json.hpp"      // json; json_value, json_document, read_file: reading
#include "../../core/error.hpp"    // error
#include "../../core/layers.hpp"   // Layer, the parameter structs, check
#include "../../core/network.hpp"  // Network

namespace perfcast {

inline constexpr std::string_view network_format = "perfcast-network";
inline constexpr int network_format_version = 1;

namespace detail {

/** @brief A height/width pair at optional member @p key: one integer or [h, w]. */
inline Hw read_hw(const json_value& o, std::string_view key, Hw fallback) {
    const auto v = o.find(key);
    if (!v) return fallback;
    if (v->is_array()) {
        if (v->size() != 2) v->fail("expected an integer or [height, width]");
        return Hw{(*v)[0].integer(), (*v)[1].integer()};
    }
    return Hw{v->integer()};
}

/** @brief The per-sample shape [d1, ...] (1 to 3 dimensions) at member @p key, preceded by the batch. */
inline Shape read_shape(const json_value& o, std::string_view key, std::int64_t batch) {
    if (!o.has(key)) o.fail(key, "missing (per-sample dimensions such as [C, H, W] are required)");
    const json_value v = o[key];
    if (!v.is_array() || v.size() == 0 || v.size() > 3)
        v.fail("expected 1 to 3 per-sample dimensions, such as [C, H, W] or [features]");
    Shape s;
    s.rank = static_cast<int>(v.size()) + 1;
    s.dims[0] = batch;
    for (std::size_t i = 0; i < v.size(); ++i) s.dims[i + 1] = v[i].integer();
    return s;
}

/** @brief A whole shape [d0, ...] (1 to 4 dimensions, the batch dimension included) at member @p key. */
inline Shape read_whole_shape(const json_value& o, std::string_view key) {
    const json_value v = o[key];
    if (!v.is_array() || v.size() == 0 || v.size() > 4)
        v.fail("expected 1 to 4 dimensions, the first one the batch's (1 where it broadcasts)");
    Shape s;
    s.rank = static_cast<int>(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) s.dims[i] = v[i].integer();
    return s;
}

/**
 * @brief Rows and features of a layer normalised over its last dimension (softmax, layer norm):
 * "shape" gives the per-sample dimensions (rows are the batch times every one but the last), else
 * "features" with one row per sample.
 */
inline std::pair<std::int64_t, std::int64_t> rows_and_features(const json_value& o, std::int64_t batch) {
    if (!o.has("shape")) return {batch, o.integer("features")};
    if (o.has("features")) o.fail("features", "give \"shape\" or \"features\", not both");
    const Shape s = read_shape(o, "shape", batch);
    std::int64_t rows = 1;
    for (int i = 0; i + 1 < s.rank; ++i) rows = size_product(rows, s[i]);  // refused by size_in_range
    return {rows, s[s.rank - 1]};
}

inline Layer layer_from_json(const json_value& o, const std::string& kind, std::int64_t batch) {
    if (kind == "dense")
        return DenseParams{batch, o.integer("in_features"), o.integer("out_features"), o.boolean("bias", true),
                           o.integer("seq", 1), o.boolean("tied", false)};
    if (kind == "conv2d") {
        Conv2DParams p;
        p.batch = batch;
        p.in_channels = o.integer("in_channels");
        p.height = o.integer("height");
        p.width = o.integer("width");
        p.out_channels = o.integer("out_channels");
        p.kernel = read_hw(o, "kernel", Hw{1});
        p.stride = read_hw(o, "stride", Hw{1});
        p.padding = read_hw(o, "padding", Hw{0});
        p.dilation = read_hw(o, "dilation", Hw{1});
        p.groups = o.integer("groups", 1);
        p.bias = o.boolean("bias", true);
        return p;
    }
    if (kind == "pool2d") {
        Pool2DParams p;
        p.batch = batch;
        p.channels = o.integer("channels");
        p.height = o.integer("height");
        p.width = o.integer("width");
        const std::string mode = o.string("mode", "max");
        if (mode != "max" && mode != "avg") o.fail("mode", "expected \"max\" or \"avg\" (got \"" + detail::excerpt(mode) + "\")");
        p.mode = mode == "max" ? PoolMode::max : PoolMode::avg;
        p.global = o.boolean("global", false);
        p.kernel = read_hw(o, "kernel", p.global ? Hw{1} : Hw{2});
        p.stride = read_hw(o, "stride", p.global ? Hw{1} : Hw{0});
        p.padding = read_hw(o, "padding", Hw{0});
        p.ceil_mode = o.boolean("ceil_mode", false);
        p.count_include_pad = o.boolean("count_include_pad", true);
        return p;
    }
    if (kind == "batchnorm2d")
        return BatchNorm2DParams{batch, o.integer("channels"), o.integer("height"), o.integer("width"),
                                 o.boolean("affine", true)};
    if (kind == "activation") {
        const std::string a = o.string("activation", "relu");
        if (const auto k = parse_activation_kind(a)) return ActivationParams{read_shape(o, "shape", batch), *k};
        o.fail("activation",
               "unknown activation \"" + detail::excerpt(a) + "\" (relu, relu6, tanh, sigmoid, gelu, silu, hardswish, gelu_tanh)");
    }
    if (kind == "add") return AddParams{read_shape(o, "shape", batch), o.integer("inputs", 2)};
    if (kind == "concat")
        return ConcatParams{batch, o.integer("channels"), o.integer("height"), o.integer("width"), o.integer("inputs", 2)};
    if (kind == "flatten") return FlattenParams{read_shape(o, "shape", batch)};
    if (kind == "softmax") {
        const auto [rows, features] = rows_and_features(o, batch);
        return SoftmaxParams{rows, features};
    }
    if (kind == "dropout") return DropoutParams{read_shape(o, "shape", batch), o.number("p", 0.5)};
    if (kind == "bmm") {
        const std::int64_t heads = o.integer("heads", 1);
        if (heads < 1) o.fail("heads", "heads (products per sample) must be >= 1 (got " + std::to_string(heads) + ")");
        if (const Violation v = in_range(heads, "heads")) o.fail("heads", v.describe());
        return BatchMatMulParams{size_product(batch, heads), o.integer("m"), o.integer("k"), o.integer("n"),
                                 o.boolean("transpose_a", false), o.boolean("transpose_b", false)};
    }
    if (kind == "layernorm") {
        const auto [rows, features] = rows_and_features(o, batch);
        return LayerNormParams{rows, features, o.boolean("affine", true)};
    }
    if (kind == "elementwise") {
        const std::string op = o.string("op");
        const auto parsed = parse_elementwise_op(op);
        if (!parsed) o.fail("op", "unknown element-wise operation \"" + detail::excerpt(op) + "\" (add, sub, mul, div, pow, where)");
        const bool parameter = o.boolean("parameter", false);
        if (parameter && !o.has("other"))
            o.fail("parameter", "only a broadcast operand (other) can be a parameter of the layer");
        return ElementwiseParams{read_shape(o, "shape", batch), *parsed, o.boolean("scalar", false),
                                 o.has("other") ? read_whole_shape(o, "other") : Shape{}, parameter};
    }
    if (kind == "embedding")
        return EmbeddingParams{batch, o.integer("seq", 1), o.integer("vocab"), o.integer("features"),
                               o.boolean("tied", false)};
    if (kind == "copy") return CopyParams{read_shape(o, "shape", batch)};
    o.fail("kind", "unknown layer kind \"" + detail::excerpt(kind) + "\" (" + kind_names(all_layer_kinds) + ")");
}

inline json per_sample(const Shape& s) {
    json a = json::array();
    for (int i = 1; i < s.rank; ++i) a.push_back(s[i]);
    return a;
}

inline json hw_json(Hw v) { return v.h == v.w ? json(v.h) : json::array({v.h, v.w}); }

}  // namespace detail

/**
 * @brief One layer in the network schema (per-sample sizes). A layer whose batch differs from the
 * network's @p network_batch (attention's batch*heads products, a position embedding shared by the
 * batch) carries its own "batch"; without a network batch (0) every layer carries it.
 */
inline nlohmann::json layer_to_json(const NamedLayer& nl, std::int64_t network_batch = 0) {
    using detail::json;
    json j;
    j["name"] = nl.name;
    j["kind"] = std::string(to_string(kind(nl.layer)));
    if (batch_of(nl.layer) != network_batch) j["batch"] = batch_of(nl.layer);
    std::visit(
        [&](const auto& p) {
            using params_t = std::remove_cvref_t<decltype(p)>;
            if constexpr (std::is_same_v<params_t, DenseParams>) {
                j["in_features"] = p.in_features;
                j["out_features"] = p.out_features;
                j["bias"] = p.bias;
                if (p.seq != 1) j["seq"] = p.seq;
                if (p.tied) j["tied"] = true;
            } else if constexpr (std::is_same_v<params_t, Conv2DParams>) {
                j["in_channels"] = p.in_channels;
                j["height"] = p.height;
                j["width"] = p.width;
                j["out_channels"] = p.out_channels;
                j["kernel"] = detail::hw_json(p.kernel);
                j["stride"] = detail::hw_json(p.stride);
                j["padding"] = detail::hw_json(p.padding);
                j["dilation"] = detail::hw_json(p.dilation);
                j["groups"] = p.groups;
                j["bias"] = p.bias;
            } else if constexpr (std::is_same_v<params_t, Pool2DParams>) {
                j["channels"] = p.channels;
                j["height"] = p.height;
                j["width"] = p.width;
                j["mode"] = std::string(to_string(p.mode));
                if (p.global) {
                    j["global"] = true;
                } else {
                    j["kernel"] = detail::hw_json(p.kernel);
                    if (!(p.stride == Hw{0})) j["stride"] = detail::hw_json(p.stride);
                    j["padding"] = detail::hw_json(p.padding);
                    if (p.ceil_mode) j["ceil_mode"] = true;
                    if (!p.count_include_pad) j["count_include_pad"] = false;
                }
            } else if constexpr (std::is_same_v<params_t, BatchNorm2DParams>) {
                j["channels"] = p.channels;
                j["height"] = p.height;
                j["width"] = p.width;
                if (!p.affine) j["affine"] = false;
            } else if constexpr (std::is_same_v<params_t, ActivationParams>) {
                j["activation"] = std::string(to_string(p.kind));
                j["shape"] = detail::per_sample(p.shape);
            } else if constexpr (std::is_same_v<params_t, AddParams>) {
                j["shape"] = detail::per_sample(p.shape);
                j["inputs"] = p.inputs;
            } else if constexpr (std::is_same_v<params_t, ConcatParams>) {
                j["channels"] = p.channels;
                j["height"] = p.height;
                j["width"] = p.width;
                j["inputs"] = p.inputs;
            } else if constexpr (std::is_same_v<params_t, FlattenParams>) {
                j["shape"] = detail::per_sample(p.input);
            } else if constexpr (std::is_same_v<params_t, SoftmaxParams>) {
                j["features"] = p.features;
            } else if constexpr (std::is_same_v<params_t, DropoutParams>) {
                j["shape"] = detail::per_sample(p.shape);
                j["p"] = p.p;
            } else if constexpr (std::is_same_v<params_t, BatchMatMulParams>) {
                j["m"] = p.m;
                j["k"] = p.k;
                j["n"] = p.n;
                if (p.transpose_a) j["transpose_a"] = true;
                if (p.transpose_b) j["transpose_b"] = true;
            } else if constexpr (std::is_same_v<params_t, LayerNormParams>) {
                j["features"] = p.features;
                if (!p.affine) j["affine"] = false;
            } else if constexpr (std::is_same_v<params_t, ElementwiseParams>) {
                j["shape"] = detail::per_sample(p.shape);
                j["op"] = std::string(to_string(p.op));
                j["scalar"] = p.scalar;
                if (p.other.rank > 0) {
                    json a = json::array();
                    for (int i = 0; i < p.other.rank; ++i) a.push_back(p.other[i]);
                    j["other"] = a;
                    if (p.parameter) j["parameter"] = true;
                }
            } else if constexpr (std::is_same_v<params_t, EmbeddingParams>) {
                j["seq"] = p.seq;
                j["vocab"] = p.vocab;
                j["features"] = p.features;
                if (p.tied) j["tied"] = true;
            } else if constexpr (std::is_same_v<params_t, CopyParams>) {
                j["shape"] = detail::per_sample(p.shape);
            }
        },
        nl.layer);
    return j;
}

/** @brief A network in the "perfcast-network" schema. */
inline nlohmann::json network_to_json(const Network& n) {
    nlohmann::json j;
    j["format"] = std::string(network_format);
    j["version"] = network_format_version;
    j["name"] = n.name;
    j["batch"] = n.batch;
    j["layers"] = nlohmann::json::array();
    for (const auto& l : n.layers) j["layers"].push_back(layer_to_json(l, n.batch));
    return j;
}

namespace detail {

/**
 * @brief One layer of the network schema at @p o in a network of batch @p batch, refused with the
 * field of the first broken rule; unnamed, it is "layer<index>".
 */
inline NamedLayer read_layer(const json_value& o, std::int64_t batch, std::size_t index) {
    NamedLayer nl;
    nl.name = o.string("name", "layer" + std::to_string(index));
    const std::string kind_name = o.string("kind");
    // a layer may run at a batch of its own (attention's batch*heads, an embedding shared by the batch)
    const std::int64_t own = o.integer("batch", batch);
    if (own < 1) o.fail("batch", "batch must be >= 1 (got " + std::to_string(own) + ")");
    if (const Violation v = in_range(own, "batch")) o.fail("batch", v.describe());
    nl.layer = layer_from_json(o, kind_name, own);
    o.no_other_keys();
    if (const Violation v = check(nl.layer)) {
        // the batch is the network's; shapes are per sample
        const std::string field(v.field);
        const std::string key = field.substr(0, field.find('.'));
        const std::string message = std::string(to_string(kind(nl.layer))) + " \"" + detail::excerpt(nl.name) + "\": " + v.describe();
        if (o.has(key)) o.fail(key, message);
        o.fail(field + ": " + message);  // a count (work_in_range), or a size formed from others
    }
    return nl;
}

}  // namespace detail

/**
 * @brief Parses a network from JSON text. `file` names the source in errors.
 * @throws perfcast::error naming file, line and field of the first problem
 */
inline Network parse_network(const std::string& text, const std::string& file = "<network>") {
    using namespace detail;
    const json_document doc(file, text);
    const json_value top = doc.root();
    const std::string format = top.string("format");
    if (format != network_format)
        top.fail("format", "expected \"" + std::string(network_format) + "\" (got \"" + detail::excerpt(format) + "\")");
    const std::int64_t version = top.integer("version");
    if (version != network_format_version)
        top.fail("version", "unsupported version " + std::to_string(version) + " (this perfcast reads " +
                                std::to_string(network_format_version) + ")");
    Network n;
    n.name = top.string("name");
    n.batch = top.integer("batch", 1);
    if (n.batch < 1) top.fail("batch", "batch must be >= 1 (got " + std::to_string(n.batch) + ")");
    if (const Violation v = in_range(n.batch, "batch")) top.fail("batch", v.describe());
    top.string("description", "");
    const std::vector<json_value> layers = top.array("layers");
    if (layers.empty()) top.fail("layers", "a network needs at least one layer (got none)");
    std::set<std::string> names;
    for (std::size_t i = 0; i < layers.size(); ++i) {
        NamedLayer nl = read_layer(layers[i], n.batch, i);
        if (!names.insert(nl.name).second) layers[i].fail("name", "duplicate layer name \"" + detail::excerpt(nl.name) + "\"");
        n.layers.push_back(std::move(nl));
    }
    top.no_other_keys();
    return n;
}

/** @brief Loads a network file. @throws perfcast::error naming file, line and field */
inline Network load_network(const std::string& path) { return parse_network(detail::read_file(path), path); }

}  // namespace perfcast
