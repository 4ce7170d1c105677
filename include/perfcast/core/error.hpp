/**
 * @file error.hpp
 * @brief perfcast::error: the one exception type the library throws.
 *
 * Every refusal names what was wrong: the field, and where the input came from
 * (file and line) when it was parsed from a file.
 */
#pragma once

#include <cstddef>      // size_t
#include <stdexcept>    // runtime_error
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <utility>      // move

namespace perfcast {

namespace detail {
/**
 * @brief @p value cut to @p max characters with "..." after, for quoting input in messages: a
 * 10 MB cell or key is not echoed whole.
 */
inline std::string excerpt(std::string_view value, std::size_t max = 60) {
    if (value.size() <= max) return std::string(value);
    return std::string(value.substr(0, max)) + "...";
}
}  // namespace detail

/** @brief Where a value came from: a file and a 1-based line (0 when unknown). */
struct source_location {
    std::string file;
    std::size_t line = 0;
    std::size_t column = 0;  ///< 1-based column (CSV) or 0 when unknown
};

/**
 * @brief The exception perfcast throws for bad input or misuse.
 *
 * what() reads "file:line: field: message" with the parts that are known.
 */
class error : public std::runtime_error {
public:
    explicit error(const std::string& message) : std::runtime_error(message), m_message(message) {}

    error(std::string field, const std::string& message)
        : std::runtime_error(compose({}, field, message)), m_field(std::move(field)), m_message(message) {}

    error(source_location where, std::string field, const std::string& message)
        : std::runtime_error(compose(where, field, message)),
          m_where(std::move(where)),
          m_field(std::move(field)),
          m_message(message) {}

    /** @brief The field (or column) that was wrong, empty when not about one field. */
    const std::string& field() const noexcept { return m_field; }
    /** @brief The file and line the bad value came from, when known. */
    const source_location& where() const noexcept { return m_where; }
    /** @brief The message without the location prefix. */
    const std::string& message() const noexcept { return m_message; }

    /** @brief The same error, located in a file (keeps the field and message). */
    error at(source_location where) const { return error(std::move(where), m_field, m_message); }

private:
    static std::string compose(const source_location& where, const std::string& field,
                               const std::string& message) {
        std::string out;
        if (!where.file.empty()) {
            out += where.file;
            if (where.line != 0) {
                out += ':';
                out += std::to_string(where.line);
            }
            if (where.column != 0) {
                out += ':';
                out += std::to_string(where.column);
            }
            out += ": ";
        }
        if (!field.empty()) out += detail::excerpt(field, 200) + ": ";  // a field named by the input (a CSV column) may be long
        out += message;
        return out;
    }

    source_location m_where;
    std::string m_field;
    std::string m_message;
};

}  // namespace perfcast
