/**
 * @file io/network_json.hpp
 * @brief Networks to and from JSON (schema "perfcast-network", version 1; docs/reference.md documents it).
 *
 * A layer gives its per-sample sizes; the batch is the network's, so one file serves
 * every batch size. Every refusal names the file, the line and the field.
 */
#pragma once

#include <cstdint>      // int64_t
#include <set>          // set
#include <string>       // string
#include <string_view>  // string_view
#include <vector>       // vector

#include "../detail/json.hpp"  // json, json_reader, read_file
#include "../../core/error.hpp"        // error
#include "../../core/layers.hpp"       // Layer, the parameter structs, validate
#include "../../core/network.hpp"      // Network

namespace perfcast {

inline constexpr std::string_view network_format = "perfcast-network";
inline constexpr int network_format_version = 1;

namespace detail {

/** @brief Reads the fields of one JSON object, refusing wrong types and unknown keys. */
class object_reader {
public:
    object_reader(const json_reader& r, const json& obj, std::vector<json_step> path)
        : m_r(r), m_obj(obj), m_path(std::move(path)) {
        if (!m_obj.is_object()) m_r.fail(m_path, "expected an object");
    }

    std::vector<json_step> at(const std::string& key) const {
        auto p = m_path;
        p.emplace_back(key);
        return p;
    }
    bool has(const std::string& key) const { return m_obj.contains(key); }
    /** @brief Marks a key read elsewhere, so no_other_keys() accepts it. */
    void used(const std::string& key) { m_used.insert(key); }

    std::int64_t integer(const std::string& key) {
        m_used.insert(key);
        if (!m_obj.contains(key)) m_r.fail(at(key), "missing (an integer is required)");
        return as_integer(m_obj.at(key), at(key));
    }
    std::int64_t integer(const std::string& key, std::int64_t fallback) {
        return m_obj.contains(key) ? integer(key) : (m_used.insert(key), fallback);
    }
    double number(const std::string& key, double fallback) {
        m_used.insert(key);
        if (!m_obj.contains(key)) return fallback;
        const json& v = m_obj.at(key);
        if (!v.is_number()) m_r.fail(at(key), "expected a number");
        return v.get<double>();
    }
    bool boolean(const std::string& key, bool fallback) {
        m_used.insert(key);
        if (!m_obj.contains(key)) return fallback;
        const json& v = m_obj.at(key);
        if (!v.is_boolean()) m_r.fail(at(key), "expected true or false");
        return v.get<bool>();
    }
    std::string string(const std::string& key) {
        m_used.insert(key);
        if (!m_obj.contains(key)) m_r.fail(at(key), "missing (a string is required)");
        const json& v = m_obj.at(key);
        if (!v.is_string()) m_r.fail(at(key), "expected a string");
        return v.get<std::string>();
    }
    std::string string(const std::string& key, const std::string& fallback) {
        return m_obj.contains(key) ? string(key) : (m_used.insert(key), fallback);
    }
    /** @brief A height/width pair: one integer or [h, w]. */
    Hw hw(const std::string& key, Hw fallback) {
        m_used.insert(key);
        if (!m_obj.contains(key)) return fallback;
        const json& v = m_obj.at(key);
        if (v.is_array()) {
            if (v.size() != 2) m_r.fail(at(key), "expected an integer or [height, width]");
            auto p = at(key);
            p.emplace_back(std::size_t{0});
            const std::int64_t h = as_integer(v[0], p);
            p.back() = std::size_t{1};
            return Hw{h, as_integer(v[1], p)};
        }
        return Hw{as_integer(v, at(key))};
    }
    /** @brief A per-sample shape [d1, ...] (1 to 3 dimensions) preceded by the batch. */
    Shape shape(const std::string& key, std::int64_t batch) {
        m_used.insert(key);
        if (!m_obj.contains(key)) m_r.fail(at(key), "missing (per-sample dimensions such as [C, H, W] are required)");
        const json& v = m_obj.at(key);
        if (!v.is_array() || v.empty() || v.size() > 3)
            m_r.fail(at(key), "expected 1 to 3 per-sample dimensions, such as [C, H, W] or [features]");
        Shape s;
        s.rank = static_cast<int>(v.size()) + 1;
        s.dims[0] = batch;
        for (std::size_t i = 0; i < v.size(); ++i) {
            auto p = at(key);
            p.emplace_back(i);
            s.dims[i + 1] = as_integer(v[i], p);
        }
        return s;
    }
    /** @brief Refuses keys this reader did not ask for (catches typos such as "kernal"). */
    void no_other_keys() const {
        for (auto it = m_obj.begin(); it != m_obj.end(); ++it)
            if (!m_used.count(it.key())) m_r.fail(at(it.key()), "unknown field");
    }

private:
    std::int64_t as_integer(const json& v, const std::vector<json_step>& p) const {
        if (!v.is_number_integer()) m_r.fail(p, "expected an integer");
        return v.get<std::int64_t>();
    }

    const json_reader& m_r;
    const json& m_obj;
    std::vector<json_step> m_path;
    std::set<std::string> m_used;
};

inline Layer layer_from_json(object_reader& o, const std::string& kind, std::int64_t batch,
                             const json_reader& r, const std::vector<json_step>& kind_path) {
    if (kind == "dense")
        return DenseParams{batch, o.integer("in_features"), o.integer("out_features"), o.boolean("bias", true),
                           o.integer("seq", 1)};
    if (kind == "conv2d") {
        Conv2DParams p;
        p.batch = batch;
        p.in_channels = o.integer("in_channels");
        p.height = o.integer("height");
        p.width = o.integer("width");
        p.out_channels = o.integer("out_channels");
        p.kernel = o.hw("kernel", Hw{1});
        p.stride = o.hw("stride", Hw{1});
        p.padding = o.hw("padding", Hw{0});
        p.dilation = o.hw("dilation", Hw{1});
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
        if (mode != "max" && mode != "avg") r.fail(o.at("mode"), "expected \"max\" or \"avg\" (got \"" + mode + "\")");
        p.mode = mode == "max" ? PoolMode::max : PoolMode::avg;
        p.global = o.boolean("global", false);
        p.kernel = o.hw("kernel", p.global ? Hw{1} : Hw{2});
        p.stride = o.hw("stride", p.global ? Hw{1} : Hw{0});
        p.padding = o.hw("padding", Hw{0});
        p.ceil_mode = o.boolean("ceil_mode", false);
        p.count_include_pad = o.boolean("count_include_pad", true);
        return p;
    }
    if (kind == "batchnorm2d")
        return BatchNorm2DParams{batch, o.integer("channels"), o.integer("height"), o.integer("width"),
                                 o.boolean("affine", true)};
    if (kind == "activation") {
        const std::string a = o.string("activation", "relu");
        if (const auto k = parse_activation_kind(a)) return ActivationParams{o.shape("shape", batch), *k};
        r.fail(o.at("activation"), "unknown activation \"" + a + "\" (relu, relu6, tanh, sigmoid, gelu, silu, hardswish)");
    }
    if (kind == "add") return AddParams{o.shape("shape", batch), o.integer("inputs", 2)};
    if (kind == "concat")
        return ConcatParams{batch, o.integer("channels"), o.integer("height"), o.integer("width"), o.integer("inputs", 2)};
    if (kind == "flatten") return FlattenParams{o.shape("shape", batch)};
    if (kind == "softmax") return SoftmaxParams{batch, o.integer("features")};
    if (kind == "dropout") return DropoutParams{o.shape("shape", batch), o.number("p", 0.5)};
    r.fail(kind_path, "unknown layer kind \"" + kind +
                          "\" (dense, conv2d, pool2d, batchnorm2d, activation, add, concat, flatten, softmax, dropout)");
}

inline json per_sample(const Shape& s) {
    json a = json::array();
    for (int i = 1; i < s.rank; ++i) a.push_back(s[i]);
    return a;
}

inline json hw_json(Hw v) { return v.h == v.w ? json(v.h) : json::array({v.h, v.w}); }

}  // namespace detail

/** @brief One layer in the network schema (per-sample sizes, no batch). */
inline nlohmann::json layer_to_json(const NamedLayer& nl) {
    using detail::json;
    json j;
    j["name"] = nl.name;
    j["kind"] = std::string(to_string(kind(nl.layer)));
    std::visit(
        [&](const auto& p) {
            using params_t = std::remove_cvref_t<decltype(p)>;
            if constexpr (std::is_same_v<params_t, DenseParams>) {
                j["in_features"] = p.in_features;
                j["out_features"] = p.out_features;
                j["bias"] = p.bias;
                if (p.seq != 1) j["seq"] = p.seq;
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
    for (const auto& l : n.layers) j["layers"].push_back(layer_to_json(l));
    return j;
}

/**
 * @brief Parses a network from JSON text. `file` names the source in errors.
 * @throws perfcast::error naming file, line and field of the first problem
 */
inline Network parse_network(const std::string& text, const std::string& file = "<network>") {
    using namespace detail;
    const json j = parse_json(text, file);
    const json_reader r(file, text);
    object_reader top(r, j, {});
    const std::string format = top.string("format");
    if (format != network_format)
        r.fail(top.at("format"), "expected \"" + std::string(network_format) + "\" (got \"" + format + "\")");
    const std::int64_t version = top.integer("version");
    if (version != network_format_version)
        r.fail(top.at("version"), "unsupported version " + std::to_string(version) + " (this perfcast reads " +
                                      std::to_string(network_format_version) + ")");
    Network n;
    n.name = top.string("name");
    n.batch = top.integer("batch", 1);
    if (n.batch < 1) r.fail(top.at("batch"), "batch must be >= 1 (got " + std::to_string(n.batch) + ")");
    top.string("description", "");
    if (!j.contains("layers") || !j.at("layers").is_array()) r.fail(top.at("layers"), "expected an array of layers");
    (void)top.has("layers");
    const json& layers = j.at("layers");
    std::set<std::string> names;
    for (std::size_t i = 0; i < layers.size(); ++i) {
        std::vector<json_step> path{std::string("layers"), i};
        object_reader o(r, layers[i], path);
        NamedLayer nl;
        nl.name = o.string("name", "layer" + std::to_string(i));
        const std::string kind_name = o.string("kind");
        nl.layer = layer_from_json(o, kind_name, n.batch, r, o.at("kind"));
        o.no_other_keys();
        if (const Violation v = check(nl.layer)) {
            const std::string field(v.field);
            // the batch is the network's; shapes are per sample
            r.fail(o.has(field.substr(0, field.find('.'))) ? o.at(field.substr(0, field.find('.'))) : path,
                   std::string(to_string(kind(nl.layer))) + " \"" + nl.name + "\": " + v.describe());
        }
        if (!names.insert(nl.name).second) r.fail(o.at("name"), "duplicate layer name \"" + nl.name + "\"");
        n.layers.push_back(std::move(nl));
    }
    // mark "layers" used and refuse unknown top-level keys
    for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string& k = it.key();
        if (k != "format" && k != "version" && k != "name" && k != "batch" && k != "layers" && k != "description")
            r.fail(top.at(k), "unknown field");
    }
    return n;
}

/** @brief Loads a network file. @throws perfcast::error naming file, line and field */
inline Network load_network(const std::string& path) { return parse_network(detail::read_file(path), path); }

}  // namespace perfcast
