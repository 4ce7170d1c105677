/**
 * @file mlp/json_write.hpp
 * @brief Writing the MLP types' JSON: tensors as flat arrays, NaN as null, and the text of a
 *        saved model with one layer (one epoch) per line. Reading goes through
 *        detail/json.hpp's json_value, as all of perfcast's JSON does.
 */
#pragma once

#include <algorithm>  // all_of
#include <cmath>      // isfinite
#include <cstddef>    // size_t
#include <string>     // string

#include "../detail/json.hpp"  // nlohmann::json

namespace perfcast::detail::mlp {

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

}  // namespace perfcast::detail::mlp
