/**
 * @file mlp/field_path.hpp
 * @brief Field names for error messages: "path.key" and "path[i]".
 */
#pragma once

#include <cstddef>      // size_t
#include <string>       // string, to_string
#include <string_view>  // string_view

namespace perfcast::detail::mlp {

/** @brief "path.key", or "key" when path is empty. */
inline std::string join_path(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
}

/** @brief "path[i]". */
inline std::string index_path(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

}  // namespace perfcast::detail::mlp
