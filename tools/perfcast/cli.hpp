// Small pieces the perfcast command-line program shares between its commands: the declaration of a
// command (its arguments and options, written once), the parser and the help text made from it,
// plain-text tables and number formatting.
#pragma once

#include <algorithm>     // max, find
#include <charconv>      // to_chars, from_chars
#include <cmath>         // isfinite
#include <cstdint>       // int64_t
#include <cstdio>        // snprintf
#include <iostream>      // ostream
#include <map>           // map
#include <optional>      // optional
#include <sstream>       // istringstream
#include <stdexcept>     // invalid_argument, logic_error
#include <string>        // string, stoll, stod
#include <system_error>  // errc
#include <utility>       // move
#include <vector>        // vector

#include <perfcast/core/error.hpp>  // perfcast::error

namespace perfcast::cli {

class Args;

/** @brief What an option's value is: the parser checks it (Args' constructor) before the command runs. */
enum class ValueKind {
    text,      ///< any non-empty text (a file, a name, a word the handler checks)
    integer,   ///< a whole decimal integer within the option's bounds
    number,    ///< a finite decimal number within the option's bounds
    integers,  ///< a comma-separated list of integers, each within the bounds
    numbers,   ///< a comma-separated list of finite numbers, each within the bounds
    word,      ///< one of the words of the placeholder: table|json takes table or json
};

/**
 * @brief The values a numeric option accepts: from min to max, each end included unless said
 * otherwise. Integer bounds are whole numbers below 2^53, so a double holds them exactly.
 */
struct Bounds {
    double min = 0;
    double max = 0;
    bool min_excluded = false;
    bool max_excluded = false;

    bool contains(double v) const {
        return (min_excluded ? v > min : v >= min) && (max_excluded ? v < max : v <= max);
    }
};

/**
 * @brief One --option of a command. The parser, the usage line, the help text and the handler's
 * reads all go through this declaration: a numeric option declares its kind and bounds here, the
 * parser refuses a value outside them, the help shows them, and the handler's integer() or
 * number() reads it already checked.
 */
struct Option {
    std::string name{};      ///< without the leading "--"
    std::string value{};     ///< placeholder such as N, FILE.json or table|json; empty: a flag, which takes no value
    std::string help{};      ///< one line
    std::string fallback{};  ///< the value when the option is not given, shown as the default; empty: none
    bool repeat = false;     ///< may be given more than once (the handler reads every value)
    bool required = false;   ///< the parser refuses a command line without it
    ValueKind kind = ValueKind::text;
    Bounds bounds{};         ///< the accepted values of a numeric kind

    bool flag() const { return value.empty(); }
    bool numeric() const { return kind != ValueKind::text && kind != ValueKind::word; }
    bool integral() const { return kind == ValueKind::integer || kind == ValueKind::integers; }
    bool list() const { return kind == ValueKind::integers || kind == ValueKind::numbers; }
};

/** @brief A copy of @p o that takes only the words of its placeholder (table|json: table or json). */
inline Option word_option(Option o) {
    o.kind = ValueKind::word;
    return o;
}

/** @brief A copy of @p o that takes an integer within [min, max]. */
inline Option integer_option(Option o, std::int64_t min, std::int64_t max) {
    o.kind = ValueKind::integer;
    o.bounds = {static_cast<double>(min), static_cast<double>(max), false, false};
    return o;
}

/** @brief A copy of @p o that takes a comma-separated list of integers, each within [min, max]. */
inline Option integers_option(Option o, std::int64_t min, std::int64_t max) {
    o.kind = ValueKind::integers;
    o.bounds = {static_cast<double>(min), static_cast<double>(max), false, false};
    return o;
}

/** @brief A copy of @p o that takes a finite number within @p b. */
inline Option number_option(Option o, Bounds b) {
    o.kind = ValueKind::number;
    o.bounds = b;
    return o;
}

/** @brief A copy of @p o that takes a comma-separated list of finite numbers, each within @p b. */
inline Option numbers_option(Option o, Bounds b) {
    o.kind = ValueKind::numbers;
    o.bounds = b;
    return o;
}

/** @brief The bounds as the help and the errors say them: "1 to 4096", "in (0, 1]". */
inline std::string bounds_text(const Option& o) {
    const auto text = [&](double v) {
        if (o.integral() || (v == static_cast<double>(static_cast<std::int64_t>(v)) && v > -1e15 && v < 1e15))
            return std::to_string(static_cast<std::int64_t>(v));
        std::ostringstream out;
        out << v;
        return out.str();
    };
    const Bounds& b = o.bounds;
    if (o.integral() && !b.min_excluded && !b.max_excluded) return text(b.min) + " to " + text(b.max);
    return std::string("in ") + (b.min_excluded ? "(" : "[") + text(b.min) + ", " + text(b.max) +
           (b.max_excluded ? ")" : "]");
}

/** @brief @p value in quotes for a message, cut short when long (a 10 MB value is not echoed whole). */
inline std::string quoted(const std::string& value) { return "\"" + detail::excerpt(value) + "\""; }

/** @brief "a,b,c" -> {"a", "b", "c"}; "" -> {}; "a," -> {"a", ""} (an empty last item is kept, to be refused). */
inline std::vector<std::string> split_list(const std::string& s) {
    std::vector<std::string> out;
    if (s.empty()) return out;
    std::size_t start = 0;
    for (;;) {
        const std::size_t comma = s.find(',', start);
        out.push_back(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (comma == std::string::npos) return out;
        start = comma + 1;
    }
}

/**
 * @brief Parses one element of a numeric option strictly: the whole text, decimal, no sign
 * other than '-', no wrap-around, finite, within the option's bounds.
 * @throws perfcast::error naming the option, the value and the bound
 */
inline double parse_option_number(const Option& o, const std::string& v) {
    const std::string what = o.integral() ? "an integer" : "a number";
    const std::string range = bounds_text(o);
    const error refused("--" + o.name, "expected " + what + " " + range + " (got " + quoted(v) + ")");
    if (v.empty()) throw error("--" + o.name, "empty value (expected " + what + " " + range + ")");
    const char* const first = v.data();
    const char* const last = v.data() + v.size();
    double x = 0;
    if (o.integral()) {
        std::int64_t i = 0;
        const auto r = std::from_chars(first, last, i);
        if (r.ec == std::errc::result_out_of_range) throw refused;
        if (r.ec != std::errc() || r.ptr != last) throw refused;
        x = static_cast<double>(i);
    } else {
        const auto r = std::from_chars(first, last, x, std::chars_format::general);
        if (r.ec != std::errc() || r.ptr != last || !std::isfinite(x)) throw refused;
    }
    if (!o.bounds.contains(x)) throw refused;
    return x;
}

/** @brief One positional argument of a command, in order. */
struct Positional {
    std::string name{};     ///< placeholder such as NAME|FILE.json; for a word, the accepted words: show|export
    std::string help{};     ///< one line
    bool word = false;      ///< only the words of name, separated by '|', are accepted
    bool repeat = false;    ///< takes the rest of the positional arguments (at least one unless optional)
    bool optional = false;  ///< may be left out
};

/** @brief A command of the program: what it takes, written once, and the function that runs it. */
struct Command {
    std::string name{};
    std::string summary{};  ///< one line for `perfcast --help`
    std::vector<Positional> positionals{};
    std::vector<Option> options{};
    std::string notes{};    ///< more lines for `perfcast NAME --help`, after the options; may be empty
    int (*run)(const Args&) = nullptr;
};

/** @brief A copy of `o` the command cannot do without (and so with no default). */
inline Option required(Option o) {
    o.required = true;
    o.fallback.clear();
    return o;
}

/** @brief A copy of `o` with another help line (the same option, used for another purpose). */
inline Option with_help(Option o, std::string help) {
    o.help = std::move(help);
    return o;
}

/** @brief "--name VALUE" (with "..." when it repeats), as in the usage line and the help. */
inline std::string option_synopsis(const Option& o) {
    return "--" + o.name + (o.flag() ? std::string() : " " + o.value) + (o.repeat ? "..." : "");
}

/** @brief "NAME", "FILE.csv..." or "[FILE.csv...]", as in the usage line. */
inline std::string positional_synopsis(const Positional& p) {
    const std::string w = p.name + (p.repeat ? "..." : "");
    return p.optional ? "[" + w + "]" : w;
}

/** @brief The words after "perfcast NAME" in the usage line: positionals, then options. */
inline std::vector<std::string> usage_words(const Command& c) {
    std::vector<std::string> words;
    for (const Positional& p : c.positionals) words.push_back(positional_synopsis(p));
    for (const Option& o : c.options) words.push_back(o.required ? option_synopsis(o) : "[" + option_synopsis(o) + "]");
    return words;
}

/** @brief The usage line without the optional options, "[...]" in their place: for error messages. */
inline std::string short_usage(const Command& c) {
    std::string out = "perfcast " + c.name;
    for (const Positional& p : c.positionals) out += " " + positional_synopsis(p);
    bool optional = false;
    for (const Option& o : c.options) {
        if (o.required) out += " " + option_synopsis(o);
        optional = optional || !o.required;
    }
    return optional ? out + " [...]" : out;
}

/** @brief The usage line wrapped at `width` columns, continuation lines aligned after "perfcast NAME ". */
inline std::string wrapped_usage(const Command& c, std::size_t indent, std::size_t width = 110) {
    const std::string head = std::string(indent, ' ') + "perfcast " + c.name;
    const std::string continuation(head.size() + 1, ' ');
    std::string out = head, line = head;
    for (const std::string& w : usage_words(c)) {
        if (line.size() + 1 + w.size() > width && line.size() > continuation.size()) {
            out += "\n" + continuation + w;
            line = continuation + w;
        } else {
            out += " " + w;
            line += " " + w;
        }
    }
    return out + "\n";
}

/** @brief `perfcast NAME --help`: the usage line, then every argument and option with its help. */
inline std::string command_help(const Command& c) {
    constexpr std::size_t column = 30;  // longer synopses put their help on the next line
    std::string out = "perfcast " + c.name + ": " + c.summary + "\n\nusage:\n" + wrapped_usage(c, 2);
    auto entry = [&](const std::string& left, const std::string& help) {
        out += "  " + left;
        if (left.size() + 2 > column) out += "\n" + std::string(column + 2, ' ');
        else out += std::string(column - left.size(), ' ');
        out += help + "\n";
    };
    if (!c.positionals.empty()) {
        out += "\narguments:\n";
        for (const Positional& p : c.positionals) entry(p.name + (p.repeat ? "..." : ""), p.help);
    }
    out += "\noptions:\n";
    for (const Option& o : c.options) {
        std::string more;
        if (o.required) more = "required";
        if (!o.fallback.empty()) more = "default: " + o.fallback;
        if (o.numeric()) more += (more.empty() ? "" : "; ") + bounds_text(o);
        if (o.repeat) more += (more.empty() ? "" : "; ") + std::string("repeatable");
        entry(option_synopsis(o), more.empty() ? o.help : o.help + " (" + more + ")");
    }
    entry("-h, --help", "prints this help");
    if (!c.notes.empty()) out += "\n" + c.notes;
    return out;
}

/**
 * @brief The positional arguments and --options of one command line, checked against the
 * command's declaration: unknown options, missing or empty values, numeric values that do not
 * parse or lie outside the option's bounds, missing required options, and the positional
 * arguments' number and words are refused, all before the command runs (so no command writes
 * output and then fails on a later argument). --help (or -h) anywhere asks for help instead.
 */
class Args {
public:
    Args(const Command& command, int argc, char** argv, int first) : m_command(command) {
        for (int i = 0; i < argc; ++i) m_command_line.emplace_back(argv[i]);
        std::optional<error> refused;  // the first bad option; --help later on the line still wins
        for (int i = first; i < argc; ++i) {
            std::string a = argv[i];
            if (a == "--help" || a == "-h") {
                m_help = true;
            } else if (a.rfind("--", 0) == 0) {
                std::string value{};
                const auto eq = a.find('=');
                if (eq != std::string::npos) {
                    value = a.substr(eq + 1);
                    a = a.substr(0, eq);
                }
                const Option* o = find(a.substr(2));
                if (!o) {
                    if (!refused) refused = error(detail::excerpt(a), "unknown option");
                } else if (o->flag()) {
                    m_values[o->name].push_back("1");
                } else {
                    if (eq == std::string::npos) {
                        if (i + 1 >= argc) {
                            if (!refused) refused = error(detail::excerpt(a), "needs a value");
                            continue;
                        }
                        value = argv[++i];
                    }
                    m_values[o->name].push_back(value);
                }
            } else {
                m_positional.push_back(a);
            }
        }
        if (m_help) return;
        if (refused) throw *refused;
        for (const auto& [name, values] : m_values) {
            const Option& o = declared(name);
            if (o.flag()) continue;
            for (const std::string& v : values) check_value(o, v);
        }
        check_positionals();
        for (const Option& o : m_command.options)
            if (o.required && !has(o.name)) throw error("--" + o.name, "required: " + o.help);
    }

    /** @brief --help or -h was given: print command_help() and do nothing else. */
    bool help() const { return m_help; }
    const Command& command() const { return m_command; }
    /** @brief The whole command line as given, program name first. */
    const std::vector<std::string>& command_line() const { return m_command_line; }
    const std::vector<std::string>& positional() const { return m_positional; }

    /** @brief The option was given (a default does not count). */
    bool has(const std::string& k) const { return m_values.count(declared(k).name) > 0; }
    bool flag(const std::string& k) const { return has(k); }
    /** @brief The option's last value, or its declared default ("" when it has none). */
    std::string get(const std::string& k) const {
        const Option& o = declared(k);
        auto it = m_values.find(o.name);
        return it == m_values.end() ? o.fallback : it->second.back();
    }
    /** @brief Every value given, in order (none when not given). */
    std::vector<std::string> all(const std::string& k) const {
        auto it = m_values.find(declared(k).name);
        return it == m_values.end() ? std::vector<std::string>{} : it->second;
    }
    /** @brief get() of an integer option, already checked against its bounds. */
    std::int64_t integer(const std::string& k) const {
        const Option& o = numeric(k, ValueKind::integer);
        return static_cast<std::int64_t>(parse_option_number(o, get(k)));
    }
    /** @brief get() of a number option, already checked against its bounds. */
    double number(const std::string& k) const { return parse_option_number(numeric(k, ValueKind::number), get(k)); }
    /** @brief get() of an integer-list option, each element checked against its bounds (none when empty). */
    std::vector<std::int64_t> integers(const std::string& k) const {
        const Option& o = numeric(k, ValueKind::integers);
        std::vector<std::int64_t> out;
        for (const std::string& v : split_list(get(k))) out.push_back(static_cast<std::int64_t>(parse_option_number(o, v)));
        return out;
    }
    /** @brief get() of a number-list option, each element checked against its bounds (none when empty). */
    std::vector<double> numbers(const std::string& k) const {
        const Option& o = numeric(k, ValueKind::numbers);
        std::vector<double> out;
        for (const std::string& v : split_list(get(k))) out.push_back(parse_option_number(o, v));
        return out;
    }

private:
    const Option* find(const std::string& k) const {
        for (const Option& o : m_command.options)
            if (o.name == k) return &o;
        return nullptr;
    }
    /** @brief A handler reading an option its command does not declare is a bug in the program. */
    const Option& declared(const std::string& k) const {
        if (const Option* o = find(k)) return *o;
        throw std::logic_error("perfcast " + m_command.name + " reads --" + k + ", which it does not declare");
    }
    /** @brief A reader of the wrong kind (integer() of a text option) is a bug in the program. */
    const Option& numeric(const std::string& k, ValueKind kind) const {
        const Option& o = declared(k);
        if (o.kind != kind)
            throw std::logic_error("perfcast " + m_command.name + " reads --" + k + " as another kind than it declares");
        return o;
    }
    /** @brief Refuses an empty value, and a numeric value (each element of a list) outside the option's kind and bounds. */
    static void check_value(const Option& o, const std::string& v) {
        if (v.empty()) throw error("--" + o.name, "empty value (expected " + o.value + ")");
        if (o.kind == ValueKind::word) {
            std::istringstream words(o.value);
            for (std::string w; std::getline(words, w, '|');)
                if (w == v) return;
            throw error("--" + o.name, "expected " + o.value + " (got " + quoted(v) + ")");
        }
        if (!o.numeric()) return;
        if (!o.list()) {
            parse_option_number(o, v);
            return;
        }
        for (const std::string& element : split_list(v)) parse_option_number(o, element);
    }
    void check_positionals() const {
        const error usage(m_command.name, "usage: " + short_usage(m_command));
        std::size_t i = 0;
        for (const Positional& p : m_command.positionals) {
            if (i >= m_positional.size()) {
                if (!p.optional) throw usage;
                continue;
            }
            if (p.word) {
                bool known = false;
                std::istringstream words(p.name);
                for (std::string w; std::getline(words, w, '|');) known = known || w == m_positional[i];
                if (!known) throw usage;
            }
            i = p.repeat ? m_positional.size() : i + 1;
        }
        if (i != m_positional.size())
            throw error(m_command.name, "unexpected argument " + quoted(m_positional[i]) + " (usage: " + short_usage(m_command) + ")");
    }

    const Command& m_command;
    std::vector<std::string> m_command_line;
    std::map<std::string, std::vector<std::string>> m_values;
    std::vector<std::string> m_positional;
    bool m_help = false;
};

/** @brief A plain-text table with right-aligned numeric columns. */
class Table {
public:
    explicit Table(std::vector<std::string> header) : m_header(std::move(header)) {}
    void row(std::vector<std::string> r) { m_rows.push_back(std::move(r)); }
    void print(std::ostream& os) const {
        std::vector<std::size_t> w(m_header.size());
        for (std::size_t i = 0; i < w.size(); ++i) w[i] = m_header[i].size();
        for (const auto& r : m_rows)
            for (std::size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], r[i].size());
        auto line = [&](const std::vector<std::string>& r) {
            for (std::size_t i = 0; i < w.size(); ++i) {
                const std::string& c = i < r.size() ? r[i] : std::string();
                const std::string pad(w[i] - c.size(), ' ');
                os << (i ? "  " : "") << (i == 0 ? c + pad : pad + c);
            }
            os << '\n';
        };
        line(m_header);
        std::size_t total = 0;
        for (std::size_t x : w) total += x + 2;
        os << std::string(total > 2 ? total - 2 : 0, '-') << '\n';
        for (const auto& r : m_rows) line(r);
    }

private:
    std::vector<std::string> m_header;
    std::vector<std::vector<std::string>> m_rows;
};

inline std::string fixed(double v, int digits) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

/** @brief The shortest text that reads back as `v` ("0.001"), for defaults in the help. */
inline std::string shortest(double v) {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return r.ec == std::errc() ? std::string(buf, r.ptr) : fixed(v, 6);
}

/** @brief 1234567 -> "1,234,567". */
inline std::string grouped(std::int64_t v) {
    std::string s = std::to_string(v < 0 ? -v : v), out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (i && (s.size() - i) % 3 == 0) out += ',';
        out += s[i];
    }
    return v < 0 ? "-" + out : out;
}

/** @brief FLOP counts with an SI prefix: "7.55 G". */
inline std::string si(double v) {
    const char* units[] = {"", "K", "M", "G", "T", "P"};
    int u = 0;
    while (v >= 1000.0 && u < 5) {
        v /= 1000.0;
        ++u;
    }
    return fixed(v, v < 10 ? 2 : (v < 100 ? 1 : 0)) + (u ? std::string(" ") + units[u] : std::string());
}

}  // namespace perfcast::cli
