/**
 * @file mlp/target_transform.hpp
 * @brief TargetTransform: maps times to the space the network learns in (identity,
 *        sqrt(c*t) or log(t)) and back.
 */
#pragma once

#include <cmath>   // sqrt, log, exp, abs, isfinite
#include <string>  // string, to_string

#include "../detail/json.hpp"    // nlohmann::json, json_value: reading
#include "../../core/error.hpp"  // error
#include "../../core/detail/math_policy.hpp"  // std_math
#include "../../core/mlp_kinds.hpp"           // inverse_target
#include "options.hpp"           // TargetKind, to_string, parse_target_kind

namespace perfcast {

/**
 * @brief The map from a time t to the value z the network learns, and back.
 *
 * - identity: z = t,           t = z
 * - sqrt:     z = sqrt(c * t), t = z * |z| / c   (c > 0; sign kept so the inverse is
 *                                                 monotonic for negative network outputs)
 * - log:      z = log(t),      t = exp(z)         (t > 0)
 *
 * inverse(forward(t)) equals t to within a few ulp (exactly for identity).
 */
class TargetTransform {
public:
    /** @brief The identity transform. */
    TargetTransform() = default;

    /**
     * @brief A transform of @p kind; @p c is the sqrt constant (ignored otherwise).
     * @throws perfcast::error if kind is sqrt and c is not finite and > 0.
     */
    explicit TargetTransform(TargetKind kind, double c = 1.0);

    /** @brief The kind. */
    TargetKind kind() const noexcept { return m_kind; }
    /** @brief The sqrt constant c (1 for the other kinds). */
    double constant() const noexcept { return m_c; }

    /** @brief Whether @p t is finite and inside the transform's domain. */
    bool accepts(double t) const noexcept;

    /** @brief z = T(t). @throws perfcast::error (field "target") outside the domain. */
    double forward(double t) const;

    /** @brief t = T^-1(z); defined for every z. */
    double inverse(double z) const noexcept;

    /** @brief dT^-1/dz at @p z (used by the relative loss). */
    double inverse_derivative(double z) const noexcept;

    /** @brief {"kind": "sqrt", "c": 1000.0}. */
    nlohmann::json to_json() const;
    /** @brief Reads to_json()'s output; errors name fields under @p path. */
    static TargetTransform from_json(const nlohmann::json& j, const std::string& path = "target_transform");
    /** @brief Reads to_json()'s output through perfcast's JSON reader (errors name file, line and path). */
    static TargetTransform read(const detail::json_value& v);

    /** @brief Same kind and same constant. */
    friend bool operator==(const TargetTransform& a, const TargetTransform& b) noexcept = default;

private:
    TargetKind m_kind = TargetKind::identity;
    double m_c = 1.0;
};

/** @brief nlohmann::json hooks (found by ADL), so `json j = t;` and `j.get<TargetTransform>()` work. */
void to_json(nlohmann::json& j, const TargetTransform& v);
/** @brief See to_json(nlohmann::json&, const TargetTransform&). */
void from_json(const nlohmann::json& j, TargetTransform& v);

// ============================================================================
// Implementation
// ============================================================================

inline TargetTransform::TargetTransform(TargetKind kind, double c) : m_kind(kind), m_c(1.0) {
    if (kind == TargetKind::sqrt) {
        if (!(std::isfinite(c) && c > 0.0))
            throw error("target_transform.c", "expected a finite number > 0, got " + std::to_string(c));
        m_c = c;
    }
}

inline bool TargetTransform::accepts(double t) const noexcept {
    if (!std::isfinite(t)) return false;
    switch (m_kind) {
        case TargetKind::identity: return true;
        case TargetKind::sqrt: return t >= 0.0;
        case TargetKind::log: return t > 0.0;
    }
    return false;
}

inline double TargetTransform::forward(double t) const {
    if (!accepts(t)) {
        const char* need = m_kind == TargetKind::log    ? "a finite t > 0"
                           : m_kind == TargetKind::sqrt ? "a finite t >= 0"
                                                        : "a finite t";
        throw error("target",
                    std::string(to_string(m_kind)) + " transform needs " + need + ", got " + std::to_string(t));
    }
    switch (m_kind) {
        case TargetKind::identity: return t;
        case TargetKind::sqrt: return std::sqrt(m_c * t);
        case TargetKind::log: return std::log(t);
    }
    return t;
}

inline double TargetTransform::inverse(double z) const noexcept {
    return perfcast::detail::inverse_target<perfcast::detail::std_math>(m_kind, m_c, z);
}

inline double TargetTransform::inverse_derivative(double z) const noexcept {
    switch (m_kind) {
        case TargetKind::identity: return 1.0;
        case TargetKind::sqrt: return 2.0 * std::abs(z) / m_c;
        case TargetKind::log: return std::exp(z);
    }
    return 1.0;
}

inline nlohmann::json TargetTransform::to_json() const {
    nlohmann::json j{{"kind", std::string(perfcast::to_string(m_kind))}};
    if (m_kind == TargetKind::sqrt) j["c"] = m_c;
    return j;
}

inline TargetTransform TargetTransform::from_json(const nlohmann::json& j, const std::string& path) {
    return read(detail::json_value(j, path));
}

inline TargetTransform TargetTransform::read(const detail::json_value& v) {
    const detail::json_value kind_value = v["kind"];
    const TargetKind kind = kind_value.located([&] { return parse_target_kind(kind_value.string()); });
    if (kind != TargetKind::sqrt) {
        if (v.has("c")) v.fail("c", "only the sqrt transform takes a constant");
        v.no_other_keys();
        return TargetTransform(kind);
    }
    const double c = v.number("c");
    if (!(c > 0.0)) v.fail("c", "expected a finite number > 0");
    v.no_other_keys();
    return TargetTransform(kind, c);
}

inline void to_json(nlohmann::json& j, const TargetTransform& v) { j = v.to_json(); }
inline void from_json(const nlohmann::json& j, TargetTransform& v) { v = TargetTransform::from_json(j); }

}  // namespace perfcast
