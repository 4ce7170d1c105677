/**
 * @file mlp/scaler.hpp
 * @brief FeatureScaler: standardises each feature column (mean 0, std 1), fitted on the
 *        training rows only.
 */
#pragma once

#include <array>    // array: tensor shapes
#include <cmath>    // sqrt, abs, isfinite
#include <cstddef>  // size_t
#include <span>     // span: rows to fit, single-row input and output
#include <string>   // string, to_string
#include <utility>  // move
#include <vector>   // vector

#include "../detail/json.hpp"     // nlohmann::json, json_value: reading
#include "../detail/xtensor.hpp"  // xt::xtensor
#include "../../core/error.hpp"   // error
#include "equality.hpp"           // same_tensor
#include "field_path.hpp"         // index_path
#include "json_write.hpp"         // flat_array

namespace perfcast {

/**
 * @brief Per-column standardisation: x' = (x - mean) / std.
 *
 * std is the population standard deviation of the fitted rows. Columns whose
 * standard deviation is zero (or only rounding noise, below 1e-12 * |mean|) get
 * std = 1, so they map to a constant instead of dividing by zero.
 */
class FeatureScaler {
public:
    /** @brief An unfitted scaler (size() == 0). */
    FeatureScaler() = default;

    /** @brief A scaler with given statistics; every stddev must be finite and > 0. */
    FeatureScaler(xt::xtensor<double, 1> mean, xt::xtensor<double, 1> stddev);

    /** @brief Fits mean and std on all rows of @p X (at least one row). */
    void fit(const xt::xtensor<double, 2>& X);

    /** @brief Fits mean and std on the listed rows of @p X only (at least one row). */
    void fit(const xt::xtensor<double, 2>& X, std::span<const std::size_t> rows);

    /** @brief Returns the standardised copy of @p X; throws if the column count differs. */
    xt::xtensor<double, 2> transform(const xt::xtensor<double, 2>& X) const;

    /**
     * @brief Standardises one row into @p out without allocating.
     * @throws perfcast::error if in.size() != size() or out is shorter than size().
     */
    void transform_row(std::span<const double> in, std::span<double> out) const;

    /** @brief Number of columns (0 when unfitted). */
    std::size_t size() const noexcept { return m_mean.size(); }
    /** @brief Whether fit() ran or statistics were given. */
    bool fitted() const noexcept { return m_mean.size() != 0; }
    /** @brief Column means. */
    const xt::xtensor<double, 1>& mean() const noexcept { return m_mean; }
    /** @brief Column standard deviations (after the zero-variance floor). */
    const xt::xtensor<double, 1>& stddev() const noexcept { return m_std; }

    /** @brief {"mean": [...], "std": [...]}. */
    nlohmann::json to_json() const;
    /** @brief Reads to_json()'s output; errors name fields under @p path. */
    static FeatureScaler from_json(const nlohmann::json& j, const std::string& path = "scaler");
    /** @brief Reads to_json()'s output through perfcast's JSON reader (errors name file, line and path). */
    static FeatureScaler read(const detail::json_value& v);

    /** @brief Bitwise equality of the statistics. */
    friend bool operator==(const FeatureScaler& a, const FeatureScaler& b) noexcept;

private:
    xt::xtensor<double, 1> m_mean;
    xt::xtensor<double, 1> m_std;
};

/** @brief nlohmann::json hooks (found by ADL), so `json j = s;` and `j.get<FeatureScaler>()` work. */
void to_json(nlohmann::json& j, const FeatureScaler& v);
/** @brief See to_json(nlohmann::json&, const FeatureScaler&). */
void from_json(const nlohmann::json& j, FeatureScaler& v);

// ============================================================================
// Implementation
// ============================================================================

inline FeatureScaler::FeatureScaler(xt::xtensor<double, 1> mean, xt::xtensor<double, 1> stddev)
    : m_mean(std::move(mean)), m_std(std::move(stddev)) {
    if (m_mean.size() != m_std.size())
        throw error("scaler.std", "expected " + std::to_string(m_mean.size()) + " values (one per mean), got " +
                                      std::to_string(m_std.size()));
    for (std::size_t i = 0; i < m_mean.size(); ++i) {
        if (!std::isfinite(m_mean(i))) throw error(detail::mlp::index_path("scaler.mean", i), "not finite");
        if (!(std::isfinite(m_std(i)) && m_std(i) > 0.0))
            throw error(detail::mlp::index_path("scaler.std", i), "expected a finite number > 0");
    }
}

inline void FeatureScaler::fit(const xt::xtensor<double, 2>& X) {
    std::vector<std::size_t> rows(X.shape()[0]);
    for (std::size_t r = 0; r < rows.size(); ++r) rows[r] = r;
    fit(X, rows);
}

inline void FeatureScaler::fit(const xt::xtensor<double, 2>& X, std::span<const std::size_t> rows) {
    const std::size_t n_rows = X.shape()[0];
    const std::size_t cols = X.shape()[1];
    if (rows.empty()) throw error("X", "cannot fit a scaler on zero rows");
    for (const std::size_t r : rows)
        if (r >= n_rows) throw error("rows", "row " + std::to_string(r) + " out of range");
    xt::xtensor<double, 1> mean(std::array<std::size_t, 1>{cols}, 0.0);
    xt::xtensor<double, 1> sd(std::array<std::size_t, 1>{cols}, 0.0);
    const double n = static_cast<double>(rows.size());
    const double* data = X.data();
    // Two passes: the mean, then the mean squared deviation (stable for large offsets).
    for (const std::size_t r : rows)
        for (std::size_t c = 0; c < cols; ++c) mean(c) += data[r * cols + c];
    for (std::size_t c = 0; c < cols; ++c) mean(c) /= n;
    for (const std::size_t r : rows)
        for (std::size_t c = 0; c < cols; ++c) {
            const double d = data[r * cols + c] - mean(c);
            sd(c) += d * d;
        }
    for (std::size_t c = 0; c < cols; ++c) {
        if (!std::isfinite(mean(c)) || !std::isfinite(sd(c)))
            throw error("X", "column " + std::to_string(c) + " has values that are not finite (or overflow)");
        const double s = std::sqrt(sd(c) / n);
        sd(c) = (s > 0.0 && s > 1e-12 * std::abs(mean(c))) ? s : 1.0;
    }
    m_mean = std::move(mean);
    m_std = std::move(sd);
}

inline xt::xtensor<double, 2> FeatureScaler::transform(const xt::xtensor<double, 2>& X) const {
    const std::size_t rows = X.shape()[0];
    const std::size_t cols = X.shape()[1];
    if (cols != size())
        throw error("X", "expected " + std::to_string(size()) + " columns, got " + std::to_string(cols));
    xt::xtensor<double, 2> out(X.shape());
    const double* in = X.data();
    double* o = out.data();
    const double* mean = m_mean.data();
    const double* sd = m_std.data();
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t c = 0; c < cols; ++c) o[r * cols + c] = (in[r * cols + c] - mean[c]) / sd[c];
    return out;
}

inline void FeatureScaler::transform_row(std::span<const double> in, std::span<double> out) const {
    const std::size_t n = size();
    if (in.size() != n)
        throw error("x", "expected " + std::to_string(n) + " features, got " + std::to_string(in.size()));
    if (out.size() < n) throw error("scratch", "too small");
    const double* mean = m_mean.data();
    const double* sd = m_std.data();
    for (std::size_t c = 0; c < n; ++c) out[c] = (in[c] - mean[c]) / sd[c];
}

inline nlohmann::json FeatureScaler::to_json() const {
    return {{"mean", detail::mlp::flat_array(m_mean)}, {"std", detail::mlp::flat_array(m_std)}};
}

inline FeatureScaler FeatureScaler::from_json(const nlohmann::json& j, const std::string& path) {
    return read(detail::json_value(j, path));
}

inline FeatureScaler FeatureScaler::read(const detail::json_value& v) {
    const detail::json_value mean_value = v["mean"];
    const std::size_t n = mean_value.size();
    xt::xtensor<double, 1> mean(std::array<std::size_t, 1>{n}, 0.0);
    xt::xtensor<double, 1> sd(std::array<std::size_t, 1>{n}, 0.0);
    mean_value.numbers(std::span<double>(mean.data(), n));
    const detail::json_value std_value = v["std"];
    std_value.numbers(std::span<double>(sd.data(), n));
    for (std::size_t i = 0; i < n; ++i)
        if (!(sd(i) > 0.0)) std_value[i].fail("expected > 0");
    v.no_other_keys();
    return FeatureScaler(std::move(mean), std::move(sd));
}

inline bool operator==(const FeatureScaler& a, const FeatureScaler& b) noexcept {
    return detail::mlp::same_tensor(a.m_mean, b.m_mean) && detail::mlp::same_tensor(a.m_std, b.m_std);
}

inline void to_json(nlohmann::json& j, const FeatureScaler& v) { j = v.to_json(); }
inline void from_json(const nlohmann::json& j, FeatureScaler& v) { v = FeatureScaler::from_json(j); }

}  // namespace perfcast
