/**
 * @file mlp/random.hpp
 * @brief The MLP's random numbers: splitmix64 seeding, xoshiro256** with portable uniform,
 *        bounded and normal draws, a Fisher-Yates shuffle and the seed streams of training,
 *        identical on every platform (no standard distributions).
 */
#pragma once

#include <array>    // array: the generator's state
#include <cmath>    // sqrt, log, sin, cos
#include <cstddef>  // size_t
#include <cstdint>  // uint64_t
#include <numbers>  // pi
#include <utility>  // swap
#include <vector>   // vector

namespace perfcast::detail::mlp {

/** @brief Advances @p state and returns the next splitmix64 output. */
inline std::uint64_t splitmix64(std::uint64_t& state) noexcept {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/** @brief An independent seed for sub-stream @p stream of @p seed. */
inline std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream) noexcept {
    std::uint64_t state = seed ^ (0xD1B54A32D192ED03ULL * (stream + 1));
    return splitmix64(state);
}

/** @brief xoshiro256** (Blackman & Vigna) with a portable uniform, bounded and normal draw. */
class Xoshiro256 {
public:
    /** @brief Seeds the four words from splitmix64(@p seed). */
    explicit Xoshiro256(std::uint64_t seed) noexcept {
        for (auto& word : m_s) word = splitmix64(seed);
    }

    /** @brief Next 64 random bits. */
    std::uint64_t next() noexcept {
        const std::uint64_t result = rotl(m_s[1] * 5, 7) * 9;
        const std::uint64_t t = m_s[1] << 17;
        m_s[2] ^= m_s[0];
        m_s[3] ^= m_s[1];
        m_s[1] ^= m_s[2];
        m_s[0] ^= m_s[3];
        m_s[2] ^= t;
        m_s[3] = rotl(m_s[3], 45);
        return result;
    }

    /** @brief Uniform in [0, 1) with 53 random bits. */
    double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

    /** @brief Uniform integer in [0, n), unbiased (rejection); n must be > 0. */
    std::uint64_t below(std::uint64_t n) noexcept {
        const std::uint64_t threshold = (0 - n) % n;  // 2^64 mod n
        for (;;) {
            const std::uint64_t r = next();
            if (r >= threshold) return r % n;
        }
    }

    /** @brief Standard normal via Box–Muller (pairs are cached). */
    double normal() noexcept {
        if (m_has_spare) {
            m_has_spare = false;
            return m_spare;
        }
        const double u1 = 1.0 - uniform();  // (0, 1]: log is finite
        const double u2 = uniform();
        const double radius = std::sqrt(-2.0 * std::log(u1));
        const double angle = 2.0 * std::numbers::pi * u2;
        m_spare = radius * std::sin(angle);
        m_has_spare = true;
        return radius * std::cos(angle);
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }

    std::array<std::uint64_t, 4> m_s{};
    double m_spare = 0.0;
    bool m_has_spare = false;
};

/** @brief Fisher–Yates shuffle driven by @p rng. */
inline void shuffle(std::vector<std::size_t>& v, Xoshiro256& rng) noexcept {
    for (std::size_t i = v.size(); i > 1; --i) {
        const auto j = static_cast<std::size_t>(rng.below(static_cast<std::uint64_t>(i)));
        std::swap(v[i - 1], v[j]);
    }
}

/** @brief Seed streams used by training. */
inline constexpr std::uint64_t k_stream_init = 1;
inline constexpr std::uint64_t k_stream_split = 2;
inline constexpr std::uint64_t k_stream_shuffle = 3;

}  // namespace perfcast::detail::mlp
