/**
 * @file detail/json.hpp
 * @brief The one place perfcast includes nlohmann/json, and the one way it reads JSON.
 *
 * Every reader of a JSON file or value goes through json_value: a value together with its
 * path in the document ("layers[3].kernel") and the document it came from (file name and
 * text, to find the value's line). Reading a member, an element, an integer, a finite
 * number, a boolean or a string checks the type and the range; every refusal is a
 * perfcast::error carrying the file, the line of the value and the path as the field, and
 * no nlohmann exception gets out.
 *
 *     const json_document doc(file, read_file(file));  // refuses bad syntax: file and line
 *     const json_value top = doc.root();
 *     const std::string name = top.string("name");                      // required
 *     const auto batch = top.integer<std::int64_t>("batch", 1);         // optional, with a default
 *     for (const json_value& layer : top.array("layers")) {
 *         const auto width = layer.integer<std::size_t>("width");       // a negative width is refused
 *         if (width > 4096) layer.fail("width", "at most 4096");        // your own rule, placed the same way
 *         layer.no_other_keys();                                        // refuses a typo such as "widht"
 *     }
 *
 * A value built from an nlohmann::json with no document (json_value(j, "model")) reads the
 * same way; its errors name the path after the given prefix, with no file or line.
 */
#pragma once

#include <cmath>        // isfinite
#include <cstddef>      // size_t
#include <cstdint>      // int64_t, uint64_t
#include <functional>   // less<>: heterogeneous lookup of the keys read
#include <limits>       // numeric_limits: the range an integer must fit
#include <optional>     // optional: an optional member
#include <set>          // set: the keys read, for no_other_keys()
#include <span>         // span: numbers() writes into one
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <type_traits>  // is_integral_v, is_signed_v, type_identity_t
#include <utility>      // move, forward, in_range
#include <variant>      // variant
#include <vector>       // vector

#include <nlohmann/json.hpp>  // json

#include "../../core/error.hpp"  // error, source_location, excerpt
#include "files.hpp"              // read_file: the readers of JSON files read them through it

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

/** @brief `prefix` followed by the path: "layers[3].kernel" (steps after a prefix join with '.' or '['). */
inline std::string path_string(const std::vector<json_step>& path, std::string prefix = "") {
    std::string out = std::move(prefix);
    for (const auto& s : path) {
        if (const auto* k = std::get_if<std::string>(&s)) {
            if (!out.empty()) out += '.';
            out += excerpt(*k);
        } else {
            out += "[" + std::to_string(std::get<std::size_t>(s)) + "]";
        }
    }
    return out;
}

/**
 * @brief The path of the value nlohmann's parser was reading when it stopped: parses @p text
 * again, following keys and indices through the parser's callback.
 */
inline std::vector<json_step> path_where_parsing_stops(const std::string& text) {
    struct frame {
        bool array;
        std::size_t index;  // elements completed so far: the index of the one being read
        std::string key;    // the member being read
    };
    std::vector<frame> open;
    const json::parser_callback_t follow = [&](int, json::parse_event_t event, json& parsed) {
        switch (event) {
            case json::parse_event_t::object_start: open.push_back({false, 0, {}}); break;
            case json::parse_event_t::array_start: open.push_back({true, 0, {}}); break;
            case json::parse_event_t::key: open.back().key = parsed.get<std::string>(); break;
            case json::parse_event_t::object_end:
            case json::parse_event_t::array_end:
                open.pop_back();
                if (!open.empty() && open.back().array) ++open.back().index;
                break;
            case json::parse_event_t::value:
                if (!open.empty() && open.back().array) ++open.back().index;
                break;
        }
        return true;
    };
    try {
        [[maybe_unused]] const json parsed = json::parse(text, follow);
    } catch (const json::exception&) {
        // expected: it stops where the first parse stopped
    }
    std::vector<json_step> path;
    for (const frame& f : open) {
        if (f.array) path.emplace_back(f.index);
        else path.emplace_back(f.key);
    }
    return path;
}

/** @brief The deepest nesting perfcast reads: its files nest a few levels; the line finder recurses. */
inline constexpr std::size_t max_json_depth = 256;

/**
 * @brief Refuses text whose arrays and objects nest deeper than max_json_depth, naming the file and
 * the line where it does: a document of 200,000 '[' would exhaust the stack of any recursive reader.
 */
inline void check_json_depth(std::string_view text, const std::string& file) {
    std::size_t depth = 0, line = 1;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\n') ++line;
        if (in_string) {
            if (c == '\\') ++i;
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_json_depth)
                throw error(source_location{file, line, 0}, "",
                            "invalid JSON: nested more than " + std::to_string(max_json_depth) + " levels deep");
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
}

/**
 * @brief Parses JSON text. A syntax error names the file and line; a number too large for a
 * double (1e999) names the file, the line and the path of the number; nesting deeper than
 * max_json_depth is refused.
 */
inline json parse_json(const std::string& text, const std::string& file) {
    check_json_depth(text, file);
    try {
        return json::parse(text);
    } catch (const json::parse_error& e) {
        std::size_t line = 1;
        for (std::size_t i = 0; i < e.byte && i < text.size(); ++i)
            if (text[i] == '\n') ++line;
        throw error(source_location{file, line, 0}, "", std::string("invalid JSON: ") + e.what());
    } catch (const json::out_of_range&) {  // the only one the parser throws: a number that overflows
        const std::vector<json_step> path = path_where_parsing_stops(text);
        throw error(source_location{file, json_locator(text).line_of(path), 0}, path_string(path),
                    "number out of range (larger than a double can hold)");
    } catch (const json::exception& e) {
        throw error(source_location{file, 0, 0}, "", std::string("invalid JSON: ") + e.what());
    }
}

/**
 * @brief The document values come from: its file name and its text, to find a value's line.
 * fail() throws at a path.
 */
class json_source {
public:
    json_source(std::string file, std::string text) : m_file(std::move(file)), m_text(std::move(text)) {}

    /** @brief The line of the value at @p path, or of the nearest value around it (a missing member's object). */
    std::size_t line_of(const std::vector<json_step>& path) const {
        if (m_text.empty()) return 0;
        json_locator locator(m_text);
        for (std::vector<json_step> p = path;; p.pop_back()) {
            const std::size_t line = locator.line_of(p);
            if (line != 0 || p.empty()) return line;
        }
    }
    [[noreturn]] void fail(const std::vector<json_step>& path, const std::string& message) const {
        throw error(source_location{m_file, line_of(path), 0}, path_string(path), message);
    }
    const std::string& file() const noexcept { return m_file; }
    const std::string& text() const noexcept { return m_text; }

private:
    std::string m_file;
    std::string m_text;
};


/** @brief "an object", "a string", "the integer 3", ...: what a value is, for messages. */
inline std::string json_kind(const json& j) {
    switch (j.type()) {
        case json::value_t::null: return "null";
        case json::value_t::object: return "an object";
        case json::value_t::array: return "an array";
        case json::value_t::string: return "a string";
        case json::value_t::boolean: return j.get<bool>() ? "true" : "false";
        case json::value_t::number_integer:
        case json::value_t::number_unsigned: return "the integer " + j.dump();
        case json::value_t::number_float: return "the number " + j.dump();
        default: return j.type_name();
    }
}

/**
 * @brief A JSON value with its path and the document it came from: the project's one way to
 * read JSON (see the file comment).
 *
 * Reading a member marks its key as read, so that no_other_keys() can refuse the rest. A
 * json_value refers to its nlohmann::json and its document: both must outlive it.
 */
class json_value {
public:
    /** @brief A value with no document: errors name the path after @p prefix, with no file or line. */
    explicit json_value(const json& value, std::string prefix = "") : m_json(&value), m_prefix(std::move(prefix)) {}
    explicit json_value(json&&, std::string = "") = delete;  // would dangle
    /** @brief The value at @p path of @p source's document. */
    json_value(const json& value, const json_source& source, std::vector<json_step> path = {})
        : m_json(&value), m_source(&source), m_path(std::move(path)) {}

    /// @name What the value is
    /// @{
    const json& raw() const noexcept { return *m_json; }
    const std::vector<json_step>& path() const noexcept { return m_path; }
    /** @brief The path as errors name it: "models.conv2d.ensemble[2].mlp.layers[0].bias". */
    std::string field() const { return path_string(m_path, m_prefix); }
    bool is_null() const noexcept { return m_json->is_null(); }
    bool is_object() const noexcept { return m_json->is_object(); }
    bool is_array() const noexcept { return m_json->is_array(); }
    /// @}

    /// @name Failing at this value (or at one of its members)
    /// @{
    /** @brief Throws perfcast::error with the file, the line of this value and its path. */
    [[noreturn]] void fail(const std::string& message) const {
        if (m_source == nullptr) throw error(field(), message);
        throw error(source_location{m_source->file(), m_source->line_of(m_path), 0}, field(), message);
    }
    /** @brief Fails at member @p key, present or not (a missing one takes this object's line). */
    [[noreturn]] void fail(std::string_view key, const std::string& message) const { child(key).fail(message); }
    /**
     * @brief Runs @p f; a perfcast::error it throws that names no file (a parser of names, a
     * constructor's check) is re-thrown at this value, with its message.
     */
    template <class F>
    decltype(auto) located(F&& f) const {
        try {
            return std::forward<F>(f)();
        } catch (const error& e) {
            if (!e.where().file.empty()) throw;
            fail(e.message());
        }
    }
    /// @}

    /// @name Objects
    /// @{
    /** @brief This value, refused unless it is an object. */
    const json_value& object() const {
        if (!is_object()) expected("an object");
        return *this;
    }
    /** @brief Whether this is an object with member @p key (does not mark it read). */
    bool has(std::string_view key) const { return is_object() && m_json->find(key) != m_json->end(); }
    /** @brief Required member @p key. */
    json_value operator[](std::string_view key) const { return required(key, ""); }
    /** @brief Optional member @p key: nothing when absent. */
    std::optional<json_value> find(std::string_view key) const {
        object();
        m_read.emplace(key);
        const auto it = m_json->find(key);
        if (it == m_json->end()) return std::nullopt;
        return child(key, *it);
    }
    /** @brief Required integer member, which must fit @p Int. */
    template <class Int = std::int64_t>
    Int integer(std::string_view key) const {
        return required(key, "an integer").template integer<Int>();
    }
    /** @brief Optional integer member, @p fallback when absent. */
    template <class Int = std::int64_t>
    Int integer(std::string_view key, std::type_identity_t<Int> fallback) const {
        const auto v = find(key);
        return v ? v->template integer<Int>() : fallback;
    }
    /** @brief Required finite number member. */
    double number(std::string_view key) const { return required(key, "a number").number(); }
    /** @brief Optional finite number member, @p fallback when absent. */
    double number(std::string_view key, double fallback) const {
        const auto v = find(key);
        return v ? v->number() : fallback;
    }
    /** @brief Required member that is a finite number, or null for NaN. */
    double number_or_nan(std::string_view key) const { return required(key, "a number or null").number_or_nan(); }
    /** @brief Required boolean member. */
    bool boolean(std::string_view key) const { return required(key, "true or false").boolean(); }
    /** @brief Optional boolean member, @p fallback when absent. */
    bool boolean(std::string_view key, bool fallback) const {
        const auto v = find(key);
        return v ? v->boolean() : fallback;
    }
    /** @brief Required string member. */
    std::string string(std::string_view key) const { return required(key, "a string").string(); }
    /** @brief Optional string member, @p fallback when absent. */
    std::string string(std::string_view key, std::string fallback) const {
        const auto v = find(key);
        return v ? v->string() : std::move(fallback);
    }
    /** @brief The elements of required array member @p key. */
    std::vector<json_value> array(std::string_view key) const { return required(key, "an array").array(); }
    /** @brief Every member in the document's order, as (key, value), all marked read: for objects keyed by data. */
    std::vector<std::pair<std::string, json_value>> members() const {
        object();
        std::vector<std::pair<std::string, json_value>> out;
        for (auto it = m_json->begin(); it != m_json->end(); ++it) {
            m_read.emplace(it.key());
            out.emplace_back(it.key(), child(it.key(), it.value()));
        }
        return out;
    }
    /** @brief Refuses the first member no read asked for ("unknown field"): catches typos. */
    void no_other_keys() const {
        object();
        for (auto it = m_json->begin(); it != m_json->end(); ++it)
            if (m_read.find(it.key()) == m_read.end()) fail(it.key(), "unknown field");
    }
    /// @}

    /// @name Arrays
    /// @{
    /** @brief The number of elements, refused unless this is an array. */
    std::size_t size() const {
        if (!is_array()) expected("an array");
        return m_json->size();
    }
    /** @brief Element @p i, which must exist. */
    json_value operator[](std::size_t i) const {
        if (i >= size())
            fail("expected at least " + std::to_string(i + 1) + " elements, got " + std::to_string(size()));
        auto p = m_path;
        p.emplace_back(i);
        return json_value(*this, (*m_json)[i], std::move(p));
    }
    /** @brief The elements, refused unless this is an array. */
    std::vector<json_value> array() const {
        std::vector<json_value> out;
        out.reserve(size());
        for (std::size_t i = 0; i < m_json->size(); ++i) out.push_back((*this)[i]);
        return out;
    }
    /** @brief An array of exactly out.size() finite numbers, into @p out. */
    void numbers(std::span<double> out) const {
        const std::size_t n = size();
        if (n != out.size()) fail("expected " + std::to_string(out.size()) + " values, got " + std::to_string(n));
        for (std::size_t i = 0; i < n; ++i) {
            const json& e = (*m_json)[i];
            if (e.is_number()) {
                const double d = e.get<double>();
                if (std::isfinite(d)) {
                    out[i] = d;
                    continue;
                }
            }
            out[i] = (*this)[i].number();  // refuses it, naming the element
        }
    }
    /// @}

    /// @name Scalars
    /// @{
    /** @brief An integer that fits @p Int: a fraction, or a value out of its range, is refused (no wrap). */
    template <class Int = std::int64_t>
    Int integer() const {
        static_assert(std::is_integral_v<Int> && !std::is_same_v<Int, bool>, "integer<Int>: Int is an integer type");
        if (m_json->is_number_unsigned()) {
            const auto v = m_json->get<std::uint64_t>();
            if (std::in_range<Int>(v)) return static_cast<Int>(v);
        } else if (m_json->is_number_integer()) {
            const auto v = m_json->get<std::int64_t>();
            if (std::in_range<Int>(v)) return static_cast<Int>(v);
            if (v < 0 && !std::is_signed_v<Int>) fail("expected a non-negative integer, got " + m_json->dump());
        } else {
            expected("an integer");
        }
        fail("expected an integer from " + std::to_string(std::numeric_limits<Int>::min()) + " to " +
             std::to_string(std::numeric_limits<Int>::max()) + ", got " + m_json->dump());
    }
    /** @brief A finite number (an integer reads as a double). */
    double number() const {
        if (!m_json->is_number()) expected("a number");
        const double v = m_json->get<double>();
        if (!std::isfinite(v)) fail("expected a finite number, got " + std::to_string(v));
        return v;
    }
    /** @brief A finite number, or null read as NaN (how perfcast writes a NaN). */
    double number_or_nan() const { return is_null() ? std::numeric_limits<double>::quiet_NaN() : number(); }
    /** @brief true or false. */
    bool boolean() const {
        if (!m_json->is_boolean()) expected("true or false");
        return m_json->get<bool>();
    }
    /** @brief A string. */
    std::string string() const {
        if (!m_json->is_string()) expected("a string");
        return m_json->get<std::string>();
    }
    /// @}

private:
    json_value(const json_value& parent, const json& value, std::vector<json_step> path)
        : m_json(&value), m_source(parent.m_source), m_path(std::move(path)), m_prefix(parent.m_prefix) {}

    /** @brief Member @p key (value @p value), or, to fail at a missing member, this value at its path. */
    json_value child(std::string_view key, const json& value) const {
        auto p = m_path;
        p.emplace_back(std::string(key));
        return json_value(*this, value, std::move(p));
    }
    json_value child(std::string_view key) const { return child(key, *m_json); }

    /** @brief Member @p key, refused when absent ("missing", naming the @p kind required if given). */
    json_value required(std::string_view key, std::string_view kind) const {
        if (auto v = find(key)) return *v;
        fail(key, kind.empty() ? std::string("missing") : "missing (" + std::string(kind) + " is required)");
    }

    [[noreturn]] void expected(const std::string& what) const { fail("expected " + what + ", got " + json_kind(*m_json)); }

    const json* m_json;
    const json_source* m_source = nullptr;
    std::vector<json_step> m_path;
    std::string m_prefix;
    mutable std::set<std::string, std::less<>> m_read;
};

/**
 * @brief A parsed JSON document: its source (file and text) and its root value. Its values
 * point into it, so it is neither copied nor moved.
 */
class json_document {
public:
    /** @brief Parses @p text; refuses bad syntax naming @p file and the line (parse_json()). */
    json_document(std::string file, std::string text)
        : m_source(std::move(file), std::move(text)), m_root(parse_json(m_source.text(), m_source.file())) {}
    json_document(const json_document&) = delete;
    json_document& operator=(const json_document&) = delete;

    /** @brief The root value, to read from. */
    json_value root() const { return json_value(m_root, m_source); }
    /** @brief The file name and text. */
    const json_source& source() const noexcept { return m_source; }

private:
    json_source m_source;
    json m_root;
};

}  // namespace perfcast::detail
