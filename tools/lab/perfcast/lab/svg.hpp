/**
 * @file svg.hpp
 * @brief The report's plotting primitives (perfcast::svg): linear and log10 scales with tick labels,
 *        and a Chart that draws lines, points, areas, bars and a legend as inline SVG. Every string
 *        put in a page goes through svg::escape().
 */
#pragma once

#include <algorithm>    // min, max, sort
#include <cmath>        // log10, pow, floor, ceil, isfinite, fabs
#include <cstdio>       // snprintf
#include <functional>   // function
#include <sstream>      // ostringstream
#include <string>       // string
#include <string_view>  // string_view
#include <utility>      // move, pair
#include <vector>       // vector

#include <perfcast/core/error.hpp>  // error

namespace perfcast {

// ============================================================================
// svg: scales, ticks and charts
// ============================================================================

namespace svg {

/** @brief Escapes a string for HTML text and attribute values (& < > " '). */
inline std::string escape(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 8);
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

/** @brief A pixel coordinate as SVG text (one decimal). */
inline std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

/** @brief Formats a tick value as its label. */
using Formatter = std::function<std::string(double)>;

/** @brief "%g" with `digits` significant digits. */
inline std::string general(double v, int digits = 3) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    return buf;
}

/** @brief A time in microseconds as "50 µs", "2 ms", "1.5 s". */
inline std::string time_us_label(double us) {
    const std::string mu = "\xC2\xB5";
    if (!(us > 0)) return "0";
    if (us < 1e3) return general(us) + " " + mu + "s";
    if (us < 1e6) return general(us / 1e3) + " ms";
    return general(us / 1e6) + " s";
}

/** @brief A count as "500", "4.1k", "2M". */
inline std::string count_label(double v) {
    const double a = std::fabs(v);
    if (a >= 1e6) return general(v / 1e6, 3) + "M";
    if (a >= 1e3) return general(v / 1e3, 3) + "k";
    return general(v, 3);
}

/** @brief A share (0.25) as a percentage ("25%"). */
inline std::string percent_label(double v) { return general(100.0 * v, 3) + "%"; }

/** @brief One tick: its value, label (empty: unlabelled minor tick) and weight. */
struct Tick {
    double value = 0;
    std::string label;
    bool major = true;
};

/** @brief Maps a data interval onto a pixel interval, linearly or by log10. */
class Scale {
public:
    Scale() = default;

    /** @brief A linear scale; a degenerate domain is widened. */
    static Scale linear(double d0, double d1, double r0, double r1) {
        if (!(std::isfinite(d0) && std::isfinite(d1))) throw error("scale", "the domain must be finite");
        if (d0 == d1) {
            const double pad = d0 == 0 ? 1.0 : std::fabs(d0) * 0.1;
            d0 -= pad;
            d1 += pad;
        }
        return Scale(false, d0, d1, r0, r1);
    }

    /** @brief A log10 scale over a positive domain; a degenerate domain is widened. */
    static Scale log(double d0, double d1, double r0, double r1) {
        if (!(d0 > 0 && d1 > 0 && std::isfinite(d0) && std::isfinite(d1)))
            throw error("scale", "a log scale needs a finite positive domain");
        if (d0 == d1) {
            d0 /= 2;
            d1 *= 2;
        }
        return Scale(true, d0, d1, r0, r1);
    }

    bool is_log() const noexcept { return m_log; }
    double domain_lo() const noexcept { return std::min(m_d0, m_d1); }
    double domain_hi() const noexcept { return std::max(m_d0, m_d1); }
    double range_lo() const noexcept { return std::min(m_r0, m_r1); }
    double range_hi() const noexcept { return std::max(m_r0, m_r1); }

    /** @brief Can this value be placed (finite, and positive on a log scale)? */
    bool accepts(double v) const noexcept { return std::isfinite(v) && (!m_log || v > 0); }

    /** @brief The pixel position of a value (outside the range for values outside the domain). */
    double operator()(double v) const noexcept {
        const double t = m_log ? (std::log10(v) - std::log10(m_d0)) / (std::log10(m_d1) - std::log10(m_d0))
                               : (v - m_d0) / (m_d1 - m_d0);
        return m_r0 + t * (m_r1 - m_r0);
    }

    /**
     * @brief Ticks inside the domain. Log: every decade (labelled every k-th so that about
     * `target` are labelled), unlabelled 2..9 minor ticks, and labelled 2x and 5x ticks when
     * fewer than two decades fall in the domain. Linear: 1-2-5 steps, about `target` ticks.
     */
    std::vector<Tick> ticks(const Formatter& fmt, std::size_t target = 6) const {
        std::vector<Tick> out;
        const double lo = domain_lo(), hi = domain_hi();
        const auto inside = [&](double v) { return v >= lo * (1 - 1e-9) - 1e-300 && v <= hi * (1 + 1e-9) + 1e-300; };
        if (m_log) {
            const int e0 = static_cast<int>(std::floor(std::log10(lo) + 1e-9));
            const int e1 = static_cast<int>(std::ceil(std::log10(hi) - 1e-9));
            std::vector<int> decades;
            for (int e = e0; e <= e1; ++e)
                if (inside(std::pow(10.0, e))) decades.push_back(e);
            const std::size_t step = std::max<std::size_t>(1, (decades.size() + target - 1) / std::max<std::size_t>(target, 1));
            for (std::size_t i = 0; i < decades.size(); ++i) {
                const double v = std::pow(10.0, decades[i]);
                out.push_back({v, i % step == 0 ? fmt(v) : std::string(), i % step == 0});
            }
            const bool few = decades.size() <= 2;
            if (decades.size() <= 6 || few)
                for (int e = e0 - 1; e <= e1; ++e)
                    for (int k = 2; k <= 9; ++k) {
                        const double v = k * std::pow(10.0, e);
                        if (!inside(v)) continue;
                        const bool labelled = few && (k == 2 || k == 5);
                        out.push_back({v, labelled ? fmt(v) : std::string(), labelled});
                    }
            std::sort(out.begin(), out.end(), [](const Tick& a, const Tick& b) { return a.value < b.value; });
            return out;
        }
        const double span = hi - lo;
        const double raw = span / static_cast<double>(std::max<std::size_t>(target, 1));
        const double mag = std::pow(10.0, std::floor(std::log10(raw)));
        const double r = raw / mag;
        const double step = (r < 1.5 ? 1.0 : r < 3.0 ? 2.0 : r < 7.0 ? 5.0 : 10.0) * mag;
        for (double k = std::ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k += 1) {
            double v = k * step;
            if (std::fabs(v) < step * 1e-9) v = 0;
            out.push_back({v, fmt(v), true});
        }
        return out;
    }

private:
    Scale(bool log_scale, double d0, double d1, double r0, double r1)
        : m_log(log_scale), m_d0(d0), m_d1(d1), m_r0(r0), m_r1(r1) {}
    bool m_log = false;
    double m_d0 = 0, m_d1 = 1, m_r0 = 0, m_r1 = 1;
};

/** @brief A point in data coordinates. */
struct Point {
    double x = 0, y = 0;
};

/** @brief How a mark is drawn. */
struct Style {
    std::string color = "#1f6fb4";  ///< stroke of lines, fill of points, bars and areas
    double width = 1.6;             ///< line width
    std::string dash;               ///< stroke-dasharray, empty for solid
    double opacity = 1.0;
    double radius = 2.5;  ///< points
};

/** @brief One legend entry and the mark it shows. */
struct LegendEntry {
    enum class Mark { line, dot, box };
    std::string label;
    Style style;
    Mark mark = Mark::line;
};

enum class Axis { linear, log };

/**
 * @brief A 2-D chart: axes with ticks and labels, a title, a legend above the plot, and
 * marks in data coordinates, clipped to the plot area. Marks with a coordinate the axis
 * cannot place (non-finite, or <= 0 on a log axis) are left out; lines break there.
 */
class Chart {
public:
    /** @param id unique in the page (names the clip path) */
    Chart(std::string id, double width, double height) : m_id(std::move(id)), m_w(width), m_h(height) {}

    Chart& title(std::string t) { m_title = std::move(t); return *this; }
    Chart& x_label(std::string t) { m_xlabel = std::move(t); return *this; }
    Chart& y_label(std::string t) { m_ylabel = std::move(t); return *this; }

    /** @brief The x axis: scale kind, domain and tick formatter. */
    Chart& x_axis(Axis a, double lo, double hi, Formatter f = {}) {
        m_x = {a, lo, hi, f ? std::move(f) : Formatter([](double v) { return general(v, 6); }), {}};
        return *this;
    }
    Chart& y_axis(Axis a, double lo, double hi, Formatter f = {}) {
        m_y = {a, lo, hi, f ? std::move(f) : Formatter([](double v) { return general(v, 6); }), {}};
        return *this;
    }
    /** @brief Ticks at exactly these x values (labelled with the x formatter). */
    Chart& x_ticks(std::vector<double> values) { m_x.explicit_ticks = std::move(values); return *this; }
    /** @brief A categorical x axis: domain [0, n], category i centred at i + 0.5. */
    Chart& x_categories(std::vector<std::string> names) {
        m_categories = std::move(names);
        m_x = {Axis::linear, 0.0, static_cast<double>(std::max<std::size_t>(m_categories.size(), 1)),
               [](double v) { return general(v, 6); }, {}};
        return *this;
    }

    Chart& line(std::vector<Point> pts, Style s) { m_marks.push_back({Mark::line, std::move(pts), std::move(s), {}}); return *this; }
    Chart& points(std::vector<Point> pts, Style s) { m_marks.push_back({Mark::points, std::move(pts), std::move(s), {}}); return *this; }
    /** @brief A filled polygon (e.g. a band: the upper edge left to right, then the lower edge back). */
    Chart& area(std::vector<Point> polygon, Style s) { m_marks.push_back({Mark::area, std::move(polygon), std::move(s), {}}); return *this; }
    /** @brief A bar from (x0, y0) to (x1, y1). */
    Chart& rect(double x0, double x1, double y0, double y1, Style s) {
        m_marks.push_back({Mark::rect, {{x0, y0}, {x1, y1}}, std::move(s), {}});
        return *this;
    }
    /** @brief A horizontal line across the plot at y. */
    Chart& hline(double y, Style s) { m_marks.push_back({Mark::hline, {{0, y}}, std::move(s), {}}); return *this; }
    /** @brief A vertical line across the plot at x. */
    Chart& vline(double x, Style s) { m_marks.push_back({Mark::vline, {{x, 0}}, std::move(s), {}}); return *this; }
    /** @brief Text centred at a data point, its baseline `dy` px below it (negative: above). */
    Chart& text(double x, double y, std::string t, Style s, double dy = -4) {
        m_marks.push_back({Mark::text, {{x, y}, {dy, 0}}, std::move(s), std::move(t)});  // pts[1].x holds dy
        return *this;
    }
    Chart& legend(std::vector<LegendEntry> entries) { m_legend = std::move(entries); return *this; }

    double width() const noexcept { return m_w; }
    double height() const noexcept { return m_h; }

    /** @brief The scales of the plot area render() uses (for tests and overlays). */
    std::pair<Scale, Scale> scales() const {
        const Layout l = layout();
        return {make_scale(m_x, l.x0, l.x1), make_scale(m_y, l.y1, l.y0)};
    }

    /** @brief The chart as an <svg> element. */
    std::string render() const {
        const Layout l = layout();
        const Scale sx = make_scale(m_x, l.x0, l.x1), sy = make_scale(m_y, l.y1, l.y0);
        std::ostringstream o;
        o << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"" << num(m_w) << "\" height=\""
          << num(m_h) << "\" viewBox=\"0 0 " << num(m_w) << ' ' << num(m_h) << "\" role=\"img\" aria-label=\""
          << escape(m_title) << "\">";
        if (!m_title.empty()) o << "<title>" << escape(m_title) << "</title>";
        o << "<defs><clipPath id=\"" << escape(m_id) << "-clip\"><rect x=\"" << num(l.x0) << "\" y=\"" << num(l.y0)
          << "\" width=\"" << num(l.x1 - l.x0) << "\" height=\"" << num(l.y1 - l.y0) << "\"/></clipPath></defs>";
        o << "<rect x=\"" << num(l.x0) << "\" y=\"" << num(l.y0) << "\" width=\"" << num(l.x1 - l.x0) << "\" height=\""
          << num(l.y1 - l.y0) << "\" fill=\"#ffffff\" stroke=\"none\"/>";
        // grid and ticks
        const std::vector<Tick> xt = x_ticks_of(sx), yt = sy.ticks(m_y.fmt, y_target());
        o << "<g class=\"grid\" stroke-width=\"1\">";
        for (const Tick& t : xt) {
            if (!m_categories.empty()) break;
            const double px = sx(t.value);
            o << "<line x1=\"" << num(px) << "\" y1=\"" << num(l.y0) << "\" x2=\"" << num(px) << "\" y2=\"" << num(l.y1)
              << "\" stroke=\"" << (t.major ? "#e3e3e3" : "#f1f1f1") << "\"/>";
        }
        for (const Tick& t : yt) {
            const double py = sy(t.value);
            o << "<line x1=\"" << num(l.x0) << "\" y1=\"" << num(py) << "\" x2=\"" << num(l.x1) << "\" y2=\"" << num(py)
              << "\" stroke=\"" << (t.major ? "#e3e3e3" : "#f1f1f1") << "\"/>";
        }
        o << "</g>";
        // marks, clipped to the plot area
        o << "<g clip-path=\"url(#" << escape(m_id) << "-clip)\">";
        for (const MarkData& m : m_marks) render_mark(o, m, sx, sy, l);
        o << "</g>";
        // frame and axes
        o << "<rect x=\"" << num(l.x0) << "\" y=\"" << num(l.y0) << "\" width=\"" << num(l.x1 - l.x0) << "\" height=\""
          << num(l.y1 - l.y0) << "\" fill=\"none\" stroke=\"#9a9a9a\"/>";
        o << "<g font-size=\"11\" fill=\"#333\">";
        if (m_categories.empty()) {
            double last_end = -1e9;
            for (const Tick& t : xt) {
                const double px = sx(t.value);
                o << "<line x1=\"" << num(px) << "\" y1=\"" << num(l.y1) << "\" x2=\"" << num(px) << "\" y2=\""
                  << num(l.y1 + (t.major ? 5 : 3)) << "\" stroke=\"#666\"/>";
                if (t.label.empty()) continue;
                const double half = text_width(t.label, 11) / 2;
                if (px - half < last_end + 6) continue;  // would overlap the previous label
                last_end = px + half;
                o << "<text x=\"" << num(px) << "\" y=\"" << num(l.y1 + 17) << "\" text-anchor=\"middle\">"
                  << escape(t.label) << "</text>";
            }
        } else {
            for (std::size_t i = 0; i < m_categories.size(); ++i) {
                const double px = sx(static_cast<double>(i) + 0.5);
                const std::vector<std::string> lines = wrap(m_categories[i], l.category_width);
                o << "<text x=\"" << num(px) << "\" y=\"" << num(l.y1 + 17) << "\" text-anchor=\"middle\">";
                for (std::size_t k = 0; k < lines.size(); ++k)
                    o << "<tspan x=\"" << num(px) << "\" dy=\"" << (k ? "13" : "0") << "\">" << escape(lines[k]) << "</tspan>";
                o << "</text>";
            }
        }
        for (const Tick& t : yt) {
            const double py = sy(t.value);
            o << "<line x1=\"" << num(l.x0 - (t.major ? 5 : 3)) << "\" y1=\"" << num(py) << "\" x2=\"" << num(l.x0)
              << "\" y2=\"" << num(py) << "\" stroke=\"#666\"/>";
        }
        double last_y = -1e9;
        for (const Tick& t : yt) {
            if (t.label.empty()) continue;
            const double py = sy(t.value);
            if (std::fabs(py - last_y) < 13) continue;
            last_y = py;
            o << "<text x=\"" << num(l.x0 - 7) << "\" y=\"" << num(py + 4) << "\" text-anchor=\"end\">" << escape(t.label)
              << "</text>";
        }
        o << "</g>";
        if (!m_xlabel.empty())
            o << "<text x=\"" << num((l.x0 + l.x1) / 2) << "\" y=\"" << num(m_h - 6) << "\" font-size=\"12\" fill=\"#222\" "
              << "text-anchor=\"middle\">" << escape(m_xlabel) << "</text>";
        if (!m_ylabel.empty()) {
            const double cx = 14, cy = (l.y0 + l.y1) / 2;
            o << "<text x=\"" << num(cx) << "\" y=\"" << num(cy) << "\" font-size=\"12\" fill=\"#222\" text-anchor=\"middle\" "
              << "transform=\"rotate(-90 " << num(cx) << ' ' << num(cy) << ")\">" << escape(m_ylabel) << "</text>";
        }
        if (!m_title.empty()) {
            const double room = m_w - l.x0 - 6, need = text_width(m_title, 13.5);
            const double size = need > room ? std::max(8.0, 13.0 * room / need) : 13.0;
            o << "<text x=\"" << num(l.x0) << "\" y=\"16\" font-size=\"" << num(size) << "\" font-weight=\"bold\" fill=\"#111\">"
              << escape(m_title) << "</text>";
        }
        render_legend(o, l);
        o << "</svg>";
        return o.str();
    }

    /** @brief Estimated width of text in a sans-serif font (for layout only). */
    static double text_width(std::string_view s, double font_size) {
        std::size_t glyphs = 0;
        for (unsigned char c : s)
            if ((c & 0xC0) != 0x80) ++glyphs;  // count UTF-8 lead bytes only
        return 0.58 * font_size * static_cast<double>(glyphs);
    }

private:
    enum class Mark { line, points, area, rect, hline, vline, text };
    struct MarkData {
        Mark kind;
        std::vector<Point> pts;
        Style style;
        std::string text;
    };
    struct AxisSpec {
        Axis kind = Axis::linear;
        double lo = 0, hi = 1;
        Formatter fmt;
        std::vector<double> explicit_ticks;
    };
    struct Layout {
        double x0, x1, y0, y1;
        double legend_top;
        double category_width;  ///< room for one category label
    };

    /** @brief About one labelled y tick per 45 px of chart height. */
    std::size_t y_target() const {
        return static_cast<std::size_t>(std::max(3.0, std::min(8.0, std::floor((m_h - 60) / 45))));
    }

    static Scale make_scale(const AxisSpec& a, double r0, double r1) {
        return a.kind == Axis::log ? Scale::log(a.lo, a.hi, r0, r1) : Scale::linear(a.lo, a.hi, r0, r1);
    }

    std::vector<Tick> x_ticks_of(const Scale& sx) const {
        if (m_x.explicit_ticks.empty()) return sx.ticks(m_x.fmt, 7);
        std::vector<Tick> t;
        for (double v : m_x.explicit_ticks)
            if (sx.accepts(v) && v >= sx.domain_lo() * (1 - 1e-9) && v <= sx.domain_hi() * (1 + 1e-9))
                t.push_back({v, m_x.fmt(v), true});
        return t;
    }

    std::vector<std::size_t> legend_rows(double avail) const {
        std::vector<std::size_t> rows;  // entries per row
        double used = 0;
        for (const LegendEntry& e : m_legend) {
            const double w = 26 + text_width(e.label, 11) + 14;
            if (rows.empty() || used + w > avail) {
                rows.push_back(0);
                used = 0;
            }
            ++rows.back();
            used += w;
        }
        return rows;
    }

    Layout layout() const {
        // left margin: room for the widest y tick label and the y axis label
        double widest = 0;
        const Scale probe = make_scale(m_y, 0, 1);
        for (const Tick& t : probe.ticks(m_y.fmt, y_target())) widest = std::max(widest, text_width(t.label, 11));
        Layout l{};
        l.x0 = (m_ylabel.empty() ? 8 : 26) + widest + 10;
        l.x1 = m_w - 14;
        double top = m_title.empty() ? 8 : 26;
        l.legend_top = top;
        top += 16.0 * static_cast<double>(legend_rows(l.x1 - l.x0).size());
        l.y0 = top + (m_legend.empty() ? 0 : 4);
        double bottom = 24 + (m_xlabel.empty() ? 0 : 16);
        if (!m_categories.empty()) {
            const double slot = (l.x1 - l.x0) / static_cast<double>(m_categories.size());
            l.category_width = slot - 8;
            std::size_t lines = 1;
            for (const auto& c : m_categories) lines = std::max(lines, wrap(c, l.category_width).size());
            bottom += 13.0 * static_cast<double>(lines - 1);
        }
        l.y1 = m_h - bottom;
        if (l.y1 < l.y0 + 20) l.y1 = l.y0 + 20;
        return l;
    }

    /** @brief A label broken at spaces into lines of at most `width` px (at most 3 lines; the last may end in "..."). */
    static std::vector<std::string> wrap(const std::string& text, double width) {
        std::vector<std::string> lines;
        std::istringstream words(text);
        std::string word;
        while (words >> word) {
            if (!lines.empty() && text_width(lines.back() + " " + word, 11) <= width) lines.back() += " " + word;
            else lines.push_back(word);
        }
        if (lines.empty()) lines.push_back(std::string());
        if (lines.size() > 3) {
            lines.resize(3);
            lines.back() += "...";
        }
        return lines;
    }

    static double clamp_px(double v) { return std::max(-1e5, std::min(1e5, v)); }

    static std::string style_attrs(const Style& s, bool stroke) {
        std::string a = stroke ? " fill=\"none\" stroke=\"" + escape(s.color) + "\" stroke-width=\"" + num(s.width) + "\""
                               : " fill=\"" + escape(s.color) + "\"";
        if (stroke && !s.dash.empty()) a += " stroke-dasharray=\"" + escape(s.dash) + "\"";
        if (s.opacity < 1) a += " opacity=\"" + general(s.opacity, 3) + "\"";
        return a;
    }

    void render_mark(std::ostringstream& o, const MarkData& m, const Scale& sx, const Scale& sy, const Layout& l) const {
        const auto ok = [&](const Point& p) { return sx.accepts(p.x) && sy.accepts(p.y); };
        const auto px = [&](const Point& p) { return num(clamp_px(sx(p.x))) + "," + num(clamp_px(sy(p.y))); };
        switch (m.kind) {
            case Mark::line: {
                std::string pts;
                auto flush = [&] {
                    if (pts.find(' ') != std::string::npos) o << "<polyline points=\"" << pts << "\"" << style_attrs(m.style, true) << " stroke-linejoin=\"round\"/>";
                    pts.clear();
                };
                for (const Point& p : m.pts) {
                    if (!ok(p)) {
                        flush();
                        continue;
                    }
                    if (!pts.empty()) pts += ' ';
                    pts += px(p);
                }
                flush();
                break;
            }
            case Mark::points: {
                o << "<g" << style_attrs(m.style, false) << ">";
                for (const Point& p : m.pts)
                    if (ok(p))
                        o << "<circle cx=\"" << num(clamp_px(sx(p.x))) << "\" cy=\"" << num(clamp_px(sy(p.y))) << "\" r=\""
                          << num(m.style.radius) << "\"/>";
                o << "</g>";
                break;
            }
            case Mark::area: {
                std::string pts;
                for (const Point& p : m.pts)
                    if (ok(p)) pts += (pts.empty() ? "" : " ") + px(p);
                if (!pts.empty()) o << "<polygon points=\"" << pts << "\"" << style_attrs(m.style, false) << "/>";
                break;
            }
            case Mark::rect: {
                if (!ok(m.pts[0]) || !ok(m.pts[1])) break;
                const double ax = clamp_px(sx(m.pts[0].x)), bx = clamp_px(sx(m.pts[1].x));
                const double ay = clamp_px(sy(m.pts[0].y)), by = clamp_px(sy(m.pts[1].y));
                o << "<rect x=\"" << num(std::min(ax, bx)) << "\" y=\"" << num(std::min(ay, by)) << "\" width=\""
                  << num(std::fabs(bx - ax)) << "\" height=\"" << num(std::fabs(by - ay)) << "\""
                  << style_attrs(m.style, false) << "/>";
                break;
            }
            case Mark::hline: {
                if (!sy.accepts(m.pts[0].y)) break;
                const double py = clamp_px(sy(m.pts[0].y));
                o << "<line x1=\"" << num(l.x0) << "\" y1=\"" << num(py) << "\" x2=\"" << num(l.x1) << "\" y2=\"" << num(py)
                  << "\"" << style_attrs(m.style, true) << "/>";
                break;
            }
            case Mark::vline: {
                if (!sx.accepts(m.pts[0].x)) break;
                const double pxv = clamp_px(sx(m.pts[0].x));
                o << "<line x1=\"" << num(pxv) << "\" y1=\"" << num(l.y0) << "\" x2=\"" << num(pxv) << "\" y2=\"" << num(l.y1)
                  << "\"" << style_attrs(m.style, true) << "/>";
                break;
            }
            case Mark::text: {
                if (!ok(m.pts[0])) break;
                o << "<text x=\"" << num(clamp_px(sx(m.pts[0].x))) << "\" y=\"" << num(clamp_px(sy(m.pts[0].y)) + m.pts[1].x)
                  << "\" font-size=\"10\" text-anchor=\"middle\" fill=\"" << escape(m.style.color) << "\">" << escape(m.text)
                  << "</text>";
                break;
            }
        }
    }

    void render_legend(std::ostringstream& o, const Layout& l) const {
        if (m_legend.empty()) return;
        const std::vector<std::size_t> rows = legend_rows(l.x1 - l.x0);
        std::size_t k = 0;
        o << "<g font-size=\"11\" fill=\"#333\">";
        for (std::size_t r = 0; r < rows.size(); ++r) {
            double x = l.x0;
            const double y = l.legend_top + 16.0 * static_cast<double>(r) + 6;
            for (std::size_t i = 0; i < rows[r]; ++i, ++k) {
                const LegendEntry& e = m_legend[k];
                switch (e.mark) {
                    case LegendEntry::Mark::line:
                        o << "<line x1=\"" << num(x) << "\" y1=\"" << num(y) << "\" x2=\"" << num(x + 20) << "\" y2=\"" << num(y)
                          << "\"" << style_attrs(e.style, true) << "/>";
                        break;
                    case LegendEntry::Mark::dot:
                        o << "<circle cx=\"" << num(x + 10) << "\" cy=\"" << num(y) << "\" r=\"" << num(std::max(3.0, e.style.radius))
                          << "\"" << style_attrs(e.style, false) << "/>";
                        break;
                    case LegendEntry::Mark::box:
                        o << "<rect x=\"" << num(x + 3) << "\" y=\"" << num(y - 5) << "\" width=\"14\" height=\"10\""
                          << style_attrs(e.style, false) << "/>";
                        break;
                }
                o << "<text x=\"" << num(x + 26) << "\" y=\"" << num(y + 4) << "\">" << escape(e.label) << "</text>";
                x += 26 + text_width(e.label, 11) + 14;
            }
        }
        o << "</g>";
    }

    std::string m_id;
    double m_w, m_h;
    std::string m_title, m_xlabel, m_ylabel;
    AxisSpec m_x, m_y;
    std::vector<std::string> m_categories;
    std::vector<MarkData> m_marks;
    std::vector<LegendEntry> m_legend;
};

}  // namespace svg

}  // namespace perfcast
