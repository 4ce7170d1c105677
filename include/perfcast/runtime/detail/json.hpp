/**
 * @file detail/json.hpp
 * @brief The one place perfcast includes nlohmann/json, and a locator that finds the
 *        line of a value by its path, so errors in JSON files name file, line and field.
 */
#pragma once

#include <cstddef>      // size_t
#include <fstream>      // ifstream
#include <sstream>      // ostringstream
#include <string>       // string
#include <string_view>  // string_view
#include <variant>      // variant
#include <vector>       // vector

#include <nlohmann/json.hpp>  // json

#include "../../core/error.hpp"  // error, source_location

namespace perfcast::detail {

using json = nlohmann::json;

/** @brief One step of a JSON path: an object key or an array index. */
using json_step = std::variant<std::string, std::size_t>;

/**
 * @brief Finds the 1-based line where the value at `path` starts in `text` (0 when not found).
 * A small scanner of its own: nlohmann's parser does not report positions of values.
 */
class json_locator {
public:
    explicit json_locator(std::string_view text) : m_text(text) {}

    std::size_t line_of(const std::vector<json_step>& path) {
        m_pos = 0;
        m_line = 1;
        return find(path, 0);
    }

private:
    void ws() {
        while (m_pos < m_text.size()) {
            const char c = m_text[m_pos];
            if (c == '\n') ++m_line;
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
            ++m_pos;
        }
    }
    std::string string() {
        std::string out;
        ++m_pos;  // opening quote
        while (m_pos < m_text.size() && m_text[m_pos] != '"') {
            if (m_text[m_pos] == '\\' && m_pos + 1 < m_text.size()) ++m_pos;
            out += m_text[m_pos++];
        }
        ++m_pos;  // closing quote
        return out;
    }
    void skip() {
        ws();
        if (m_pos >= m_text.size()) return;
        const char c = m_text[m_pos];
        if (c == '"') {
            string();
        } else if (c == '{' || c == '[') {
            const char close = c == '{' ? '}' : ']';
            ++m_pos;
            ws();
            if (m_pos < m_text.size() && m_text[m_pos] == close) {
                ++m_pos;
                return;
            }
            for (;;) {
                if (c == '{') {
                    ws();
                    string();
                    ws();
                    ++m_pos;  // ':'
                }
                skip();
                ws();
                if (m_pos >= m_text.size()) return;
                if (m_text[m_pos++] == close) return;
            }
        } else {
            while (m_pos < m_text.size() && m_text[m_pos] != ',' && m_text[m_pos] != '}' && m_text[m_pos] != ']' &&
                   m_text[m_pos] != '\n')
                ++m_pos;
        }
    }
    std::size_t find(const std::vector<json_step>& path, std::size_t depth) {
        ws();
        if (depth == path.size()) return m_line;
        if (m_pos >= m_text.size()) return 0;
        const char c = m_text[m_pos];
        if (c == '{' && std::holds_alternative<std::string>(path[depth])) {
            ++m_pos;
            for (;;) {
                ws();
                if (m_pos >= m_text.size() || m_text[m_pos] != '"') return 0;
                const std::string key = string();
                ws();
                ++m_pos;  // ':'
                if (key == std::get<std::string>(path[depth])) return find(path, depth + 1);
                skip();
                ws();
                if (m_pos >= m_text.size() || m_text[m_pos++] != ',') return 0;
            }
        }
        if (c == '[' && std::holds_alternative<std::size_t>(path[depth])) {
            ++m_pos;
            for (std::size_t i = 0;; ++i) {
                if (i == std::get<std::size_t>(path[depth])) return find(path, depth + 1);
                skip();
                ws();
                if (m_pos >= m_text.size() || m_text[m_pos++] != ',') return 0;
            }
        }
        return 0;
    }

    std::string_view m_text;
    std::size_t m_pos = 0;
    std::size_t m_line = 1;
};

/** @brief "layers[3].kernel" from a path. */
inline std::string path_string(const std::vector<json_step>& path) {
    std::string out;
    for (const auto& s : path) {
        if (const auto* k = std::get_if<std::string>(&s)) {
            if (!out.empty()) out += '.';
            out += *k;
        } else {
            out += "[" + std::to_string(std::get<std::size_t>(s)) + "]";
        }
    }
    return out;
}

/** @brief Reads a whole file; perfcast::error naming it when it cannot be read. */
inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw error(source_location{path, 0, 0}, "", "cannot open file");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/** @brief Parses JSON text; a syntax error names the file and line. */
inline json parse_json(const std::string& text, const std::string& file) {
    try {
        return json::parse(text);
    } catch (const json::parse_error& e) {
        std::size_t line = 1;
        for (std::size_t i = 0; i < e.byte && i < text.size(); ++i)
            if (text[i] == '\n') ++line;
        throw error(source_location{file, line, 0}, "", std::string("invalid JSON: ") + e.what());
    }
}

/**
 * @brief Reading context for a JSON document: knows the file and text, so an error about
 * a value at a path names file, line and field.
 */
class json_reader {
public:
    json_reader(std::string file, std::string text) : m_file(std::move(file)), m_text(std::move(text)) {}

    [[noreturn]] void fail(const std::vector<json_step>& path, const std::string& message) const {
        json_locator loc(m_text);
        throw error(source_location{m_file, m_text.empty() ? 0 : loc.line_of(path), 0}, path_string(path), message);
    }
    const std::string& file() const noexcept { return m_file; }
    const std::string& text() const noexcept { return m_text; }

private:
    std::string m_file;
    std::string m_text;
};

}  // namespace perfcast::detail
