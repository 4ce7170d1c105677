/**
 * @file sha256.hpp
 * @brief SHA-256 (FIPS 180-4), small and header-only: the digest a model file carries of its own
 *        contents (predictor.hpp). A cryptographic hash rather than a checksum such as FNV-1a: a
 *        deliberate edit cannot be made to keep the digest by adjusting another number.
 */
#pragma once

#include <array>        // array
#include <cstddef>      // size_t
#include <cstdint>      // uint8_t, uint32_t, uint64_t
#include <string>       // string
#include <string_view>  // string_view

namespace perfcast::detail {

/** @brief Incremental SHA-256: update() with bytes, then hex() once. */
class sha256 {
public:
    sha256& update(std::string_view bytes) noexcept {
        for (const char c : bytes) {
            m_block[m_fill++] = static_cast<std::uint8_t>(c);
            if (m_fill == 64) {
                compress();
                m_fill = 0;
            }
        }
        m_length += bytes.size();
        return *this;
    }

    /** @brief The digest of everything given to update(), as 64 lower-case hex digits; ends the hash. */
    std::string hex() noexcept {
        const std::uint64_t bits = m_length * 8;
        update(std::string_view("\x80", 1));
        while (m_fill != 56) update(std::string_view("\0", 1));
        char length[8];
        for (int i = 0; i < 8; ++i) length[i] = static_cast<char>((bits >> (56 - 8 * i)) & 0xff);
        update(std::string_view(length, 8));
        static constexpr char digits[] = "0123456789abcdef";
        std::string out;
        for (const std::uint32_t word : m_state)
            for (int shift = 28; shift >= 0; shift -= 4) out += digits[(word >> shift) & 15];
        return out;
    }

private:
    static constexpr std::uint32_t rotr(std::uint32_t x, int n) noexcept { return (x >> n) | (x << (32 - n)); }

    void compress() noexcept {
        static constexpr std::array<std::uint32_t, 64> k{
            0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
            0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
            0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
            0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
            0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
            0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
            0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
            0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
        std::array<std::uint32_t, 64> w{};
        for (std::size_t i = 0; i < 16; ++i)
            w[i] = static_cast<std::uint32_t>(m_block[4 * i]) << 24 | static_cast<std::uint32_t>(m_block[4 * i + 1]) << 16 |
                   static_cast<std::uint32_t>(m_block[4 * i + 2]) << 8 | static_cast<std::uint32_t>(m_block[4 * i + 3]);
        for (std::size_t i = 16; i < 64; ++i) {
            const std::uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
            const std::uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        std::array<std::uint32_t, 8> v = m_state;
        for (std::size_t i = 0; i < 64; ++i) {
            const std::uint32_t s1 = rotr(v[4], 6) ^ rotr(v[4], 11) ^ rotr(v[4], 25);
            const std::uint32_t ch = (v[4] & v[5]) ^ (~v[4] & v[6]);
            const std::uint32_t t1 = v[7] + s1 + ch + k[i] + w[i];
            const std::uint32_t s0 = rotr(v[0], 2) ^ rotr(v[0], 13) ^ rotr(v[0], 22);
            const std::uint32_t maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
            const std::uint32_t t2 = s0 + maj;
            v = {t1 + t2, v[0], v[1], v[2], v[3] + t1, v[4], v[5], v[6]};
        }
        for (std::size_t i = 0; i < 8; ++i) m_state[i] += v[i];
    }

    std::array<std::uint32_t, 8> m_state{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                         0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    std::array<std::uint8_t, 64> m_block{};
    std::size_t m_fill = 0;
    std::uint64_t m_length = 0;
};

}  // namespace perfcast::detail
