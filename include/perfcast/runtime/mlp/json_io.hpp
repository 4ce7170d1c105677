/**
 * @file mlp/json_io.hpp
 * @brief JSON for the MLP types: reading fields with their paths, writing tensors and
 *        non-finite numbers, the one-layer-per-line text of a saved model, and loading a
 *        file so that an error names its line.
 */
#pragma once

#include <algorithm>         // find, all_of
#include <cmath>             // isfinite
#include <cstddef>           // size_t
#include <cstdint>           // uint64_t, int64_t
#include <initializer_list>  // initializer_list: known field names
#include <limits>            // numeric_limits
#include <string>            // string, to_string
#include <string_view>       // string_view: keys
#include <utility>           // move
#include <vector>            // vector

#include "../detail/json.hpp"    // nlohmann::json, json_step, read_file, parse_json, json_locator
#include "../../core/error.hpp"  // error, source_location
#include "field_path.hpp"        // join_path, index_path

namespace perfcast::detail::mlp {

/** @brief The JSON type name for messages. */
inline std::string json_type(const nlohmann::json& j) { return j.type_name(); }

/** @brief Throws unless @p j is an object. */
inline void expect_object(const nlohmann::json& j, const std::string& path) {
    if (!j.is_object()) throw error(path, "expected an object, got " + json_type(j));
}

/** @brief The member @p key of object @p j; throws "path.key: missing" if absent. */
inline const nlohmann::json& member(const nlohmann::json& j, std::string_view key, const std::string& path) {
    const auto it = j.find(key);
    if (it == j.end()) throw error(join_path(path, key), "missing");
    return *it;
}

/** @brief Throws naming the first member of @p j not in @p known. */
inline void reject_unknown(const nlohmann::json& j, std::initializer_list<std::string_view> known,
                           const std::string& path) {
    for (auto it = j.begin(); it != j.end(); ++it) {
        if (std::find(known.begin(), known.end(), std::string_view(it.key())) == known.end())
            throw error(join_path(path, it.key()), "unknown field");
    }
}

/** @brief A number; null reads as NaN when @p allow_null. */
inline double read_number(const nlohmann::json& j, const std::string& path, bool allow_null = false) {
    if (allow_null && j.is_null()) return std::numeric_limits<double>::quiet_NaN();
    if (!j.is_number()) throw error(path, "expected a number, got " + json_type(j));
    return j.get<double>();
}

/** @brief A finite number. */
inline double read_finite(const nlohmann::json& j, const std::string& path) {
    const double v = read_number(j, path);
    if (!std::isfinite(v)) throw error(path, "expected a finite number");
    return v;
}

/** @brief A non-negative integer. */
inline std::uint64_t read_unsigned(const nlohmann::json& j, const std::string& path) {
    if (j.is_number_unsigned()) return j.get<std::uint64_t>();
    if (j.is_number_integer()) {  // a signed integer (e.g. built from an int in C++)
        const std::int64_t v = j.get<std::int64_t>();
        if (v < 0) throw error(path, "expected a non-negative integer, got " + j.dump());
        return static_cast<std::uint64_t>(v);
    }
    throw error(path, "expected a non-negative integer, got " + json_type(j));
}

/** @brief A size_t. */
inline std::size_t read_size(const nlohmann::json& j, const std::string& path) {
    const std::uint64_t v = read_unsigned(j, path);
    if constexpr (sizeof(std::size_t) < sizeof(std::uint64_t)) {
        if (v > std::numeric_limits<std::size_t>::max()) throw error(path, "value too large");
    }
    return static_cast<std::size_t>(v);
}

/** @brief A string. */
inline std::string read_string(const nlohmann::json& j, const std::string& path) {
    if (!j.is_string()) throw error(path, "expected a string, got " + json_type(j));
    return j.get<std::string>();
}

/** @brief An array of finite numbers of exactly @p expected elements (@p shape_text describes it). */
inline void read_finite_array(const nlohmann::json& j, const std::string& path, std::size_t expected,
                              const std::string& shape_text, double* out) {
    if (!j.is_array()) throw error(path, "expected an array of " + shape_text + " numbers, got " + json_type(j));
    if (j.size() != expected) throw error(path, "expected " + shape_text + " values, got " + std::to_string(j.size()));
    for (std::size_t i = 0; i < expected; ++i) out[i] = read_finite(j[i], index_path(path, i));
}

/** @brief Writes a tensor's values as a flat JSON array. */
template <class Tensor>
nlohmann::json flat_array(const Tensor& t) {
    nlohmann::json a = nlohmann::json::array();
    a.get_ref<nlohmann::json::array_t&>().reserve(t.size());
    for (const double v : t) a.push_back(v);
    return a;
}

/** @brief A JSON number, or null for NaN/infinity (JSON has no non-finite numbers). */
inline nlohmann::json number_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

/** @brief Whether every member of container @p j is a scalar or an array of scalars. */
inline bool is_flat(const nlohmann::json& j) {
    const auto scalar = [](const nlohmann::json& e) { return e.is_primitive(); };
    return std::all_of(j.begin(), j.end(), [&](const nlohmann::json& v) {
        return v.is_primitive() || (v.is_array() && std::all_of(v.begin(), v.end(), scalar));
    });
}

/**
 * @brief Appends @p j to @p out: containers that are flat (is_flat()) on one line,
 * others with one member per line, indented by two spaces per level.
 */
inline void write_json(const nlohmann::json& j, std::size_t depth, std::string& out) {
    if (!j.is_structured() || j.empty() || is_flat(j)) {
        out += j.dump();
        return;
    }
    const bool object = j.is_object();
    const std::string pad(2 * (depth + 1), ' ');
    out += object ? "{\n" : "[\n";
    for (auto it = j.begin(); it != j.end(); ++it) {
        if (it != j.begin()) out += ",\n";
        out += pad;
        if (object) out += nlohmann::json(it.key()).dump() + ": ";
        write_json(*it, depth + 1, out);
    }
    out += "\n" + std::string(2 * depth, ' ') + (object ? "}" : "]");
}

/** @brief The steps of a field path such as "mlp.layers[2].weights[5]". */
inline std::vector<perfcast::detail::json_step> field_steps(std::string_view field) {
    std::vector<perfcast::detail::json_step> steps;
    std::string key;
    auto flush = [&] {
        if (!key.empty()) steps.emplace_back(std::move(key));
        key.clear();
    };
    for (std::size_t i = 0; i < field.size(); ++i) {
        const char c = field[i];
        if (c == '.') {
            flush();
        } else if (c == '[') {
            flush();
            std::size_t index = 0;
            for (++i; i < field.size() && field[i] >= '0' && field[i] <= '9'; ++i)
                index = index * 10 + static_cast<std::size_t>(field[i] - '0');
            steps.emplace_back(index);  // i is at ']'
        } else {
            key += c;
        }
    }
    flush();
    return steps;
}

/**
 * @brief Reads and parses @p file and hands the JSON to @p parse; a perfcast::error
 * from @p parse gets the file and the line of its field.
 */
template <class Parse>
auto load_json_file(const std::string& file, Parse&& parse) {
    const std::string text = perfcast::detail::read_file(file);
    const nlohmann::json j = perfcast::detail::parse_json(text, file);
    try {
        return parse(j);
    } catch (const error& e) {
        if (!e.where().file.empty()) throw;
        perfcast::detail::json_locator locator(text);
        throw e.at(source_location{file, locator.line_of(field_steps(e.field())), 0});
    }
}

}  // namespace perfcast::detail::mlp
