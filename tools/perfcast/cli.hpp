// Small pieces the perfcast command-line program shares between its commands:
// argument parsing and plain-text tables.
#pragma once

#include <algorithm>    // max
#include <cstdint>      // int64_t
#include <cstdio>       // snprintf
#include <iostream>     // ostream
#include <map>          // map
#include <set>          // set
#include <string>       // string, stoll
#include <vector>       // vector

#include <perfcast/core/error.hpp>  // perfcast::error

namespace perfcast::cli {

/** @brief Positional arguments and --options of one command; unknown options are refused. */
class Args {
public:
    Args(int argc, char** argv, int first, std::set<std::string> flags, std::set<std::string> options)
        : m_flags(std::move(flags)), m_options(std::move(options)) {
        for (int i = first; i < argc; ++i) {
            std::string a = argv[i];
            if (a.rfind("--", 0) == 0) {
                std::string value;
                const auto eq = a.find('=');
                if (eq != std::string::npos) {
                    value = a.substr(eq + 1);
                    a = a.substr(0, eq);
                }
                const std::string key = a.substr(2);
                if (m_flags.count(key)) {
                    m_values[key].push_back("1");
                } else if (m_options.count(key)) {
                    if (eq == std::string::npos) {
                        if (i + 1 >= argc) throw error(a, "needs a value");
                        value = argv[++i];
                    }
                    m_values[key].push_back(value);
                } else {
                    throw error(a, "unknown option");
                }
            } else {
                m_positional.push_back(a);
            }
        }
    }
    const std::vector<std::string>& positional() const { return m_positional; }
    bool flag(const std::string& k) const { return m_values.count(k) > 0; }
    bool has(const std::string& k) const { return m_values.count(k) > 0; }
    std::string get(const std::string& k, const std::string& fallback) const {
        auto it = m_values.find(k);
        return it == m_values.end() ? fallback : it->second.back();
    }
    std::vector<std::string> all(const std::string& k) const {
        auto it = m_values.find(k);
        return it == m_values.end() ? std::vector<std::string>{} : it->second;
    }
    std::int64_t integer(const std::string& k, std::int64_t fallback) const {
        if (!has(k)) return fallback;
        const std::string v = get(k, "");
        try {
            std::size_t used = 0;
            const long long x = std::stoll(v, &used);
            if (used != v.size()) throw std::invalid_argument(v);
            return x;
        } catch (const std::exception&) {
            throw error("--" + k, "expected an integer (got \"" + v + "\")");
        }
    }

private:
    std::set<std::string> m_flags, m_options;
    std::map<std::string, std::vector<std::string>> m_values;
    std::vector<std::string> m_positional;
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
