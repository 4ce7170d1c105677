/**
 * @file detail/names.hpp
 * @brief Forgiving name comparison for devices and networks: case, spaces and punctuation ignored.
 */
#pragma once

#include <cstddef>      // size_t
#include <string_view>  // string_view

namespace perfcast::detail {

constexpr char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
constexpr bool alnum(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/** @brief Equal after lower-casing and dropping everything but letters and digits. */
constexpr bool same_name(std::string_view a, std::string_view b) noexcept {
    std::size_t i = 0, j = 0;
    for (;;) {
        while (i < a.size() && !alnum(a[i])) ++i;
        while (j < b.size() && !alnum(b[j])) ++j;
        if (i == a.size() || j == b.size()) return i == a.size() && j == b.size();
        if (lower(a[i]) != lower(b[j])) return false;
        ++i;
        ++j;
    }
}

}  // namespace perfcast::detail
