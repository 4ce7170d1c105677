/**
 * @file devices.hpp
 * @brief The built-in device database: constexpr descriptions of GPUs and CPUs, with
 *        their sources, and lookup by case-insensitive name or alias.
 *
 * Figures are dense peaks (no sparsity) at the boost clock. A precision a device has no
 * faster unit for (TF32 before Ampere, FP16/BF16 where the table has none) is stored as
 * 0 and runs at the FP32 rate: peak_flops() falls back so.
 */
#pragma once

#include <array>        // array
#include <cstddef>      // size_t
#include <cstdint>      // int64_t
#include <optional>     // optional
#include <string>       // string
#include <string_view>  // string_view

#include "detail/names.hpp"  // same_name
#include "types.hpp"         // DType

namespace perfcast {

enum class DeviceKind { gpu, cpu };

constexpr std::string_view to_string(DeviceKind k) noexcept { return k == DeviceKind::gpu ? "gpu" : "cpu"; }

/**
 * @brief What perfcast knows of a device. GPUs: `units` are SMs and `lanes_per_unit` FP32
 * cores per SM. CPUs: `units` are cores and `lanes_per_unit` FP32 lanes per core per
 * cycle counting FMA units (simd_width x fma_units).
 */
struct Device {
    std::string_view id;    ///< short, unique: "h100_sxm"
    std::string_view name;  ///< "H100 SXM5 80GB"
    std::array<std::string_view, 4> aliases{};
    DeviceKind kind = DeviceKind::gpu;
    std::string_view architecture;  ///< "Hopper"; for CPUs the micro-architecture
    int cc_major = 0;               ///< CUDA compute capability (0 for CPUs)
    int cc_minor = 0;
    int units = 0;           ///< SMs or cores
    int lanes_per_unit = 0;  ///< FP32 cores per SM, or FP32 lanes per core
    int simd_width = 0;      ///< CPUs: FP32 lanes per vector register (16 for AVX-512)
    int fma_units = 0;       ///< CPUs: vector FMA units per core
    double boost_mhz = 0;
    double fp32_tflops = 0;
    double tf32_tflops = 0;  ///< 0: no TF32 unit, runs at the FP32 rate
    double fp16_tflops = 0;  ///< 0: no faster FP16 unit
    double bf16_tflops = 0;  ///< 0: no faster BF16 unit
    double bandwidth_gbs = 0;
    double l2_mb = 0;        ///< GPUs: L2; CPUs: last-level cache
    double memory_gb = 0;
    std::string_view source;
    /// the fixed cost of one kernel on the machine that runs it, microseconds, as the training data's
    /// harness times a call (host, driver and framework included; kernel_floors() measures it from a
    /// machine's memory-bound rows): not the GPU's property, so 0 in the built-in entries, which means
    /// unknown (a learned model then takes the floor its data had for the GPU, else their median)
    double kernel_floor_us = 0;

    /** @brief Peak FLOP/s of a precision, falling back to FP32 where there is no faster unit. */
    constexpr double peak_flops(DType t) const noexcept {
        double tf = fp32_tflops;
        switch (t) {
            case DType::fp32: break;
            case DType::tf32: tf = tf32_tflops > 0 ? tf32_tflops : fp32_tflops; break;
            case DType::fp16: tf = fp16_tflops > 0 ? fp16_tflops : fp32_tflops; break;
            case DType::bf16: tf = bf16_tflops > 0 ? bf16_tflops : fp32_tflops; break;
        }
        return tf * 1e12;
    }
    /**
     * @brief Do this GPU's SM partitions issue FP32 to two pipes, the second shared with INT32 (GA10x and
     * Ada, compute capability 8.6 to 8.9; Blackwell, 10.0 and up, taken the same until measured)? There
     * the datasheet's FP32 peak counts both, and SIMT kernels (FP32 GEMMs and convolutions without tensor
     * cores) rarely fill the second one; from Pascal to GA100 one pipe per partition carries all FP32 work
     * and the peak is the rate such kernels approach. An assumption, not a measurement: none of the
     * training GPUs is one of them. Hopper (9.x) is not: its partitions have 32 FP32 lanes of their own,
     * and an H200 ran FP32 GEMMs at 78% of the full peak (docs/accuracy.md, "An H200, measured here").
     */
    constexpr bool dual_issue_fp32() const noexcept {
        return kind == DeviceKind::gpu && ((cc_major == 8 && cc_minor >= 6) || cc_major >= 10);
    }
    /**
     * @brief The FLOP/s SIMT GEMM kernels are measured against: the FP32 peak of one pipe per partition
     * (half the datasheet's on dual-issue GPUs, see dual_issue_fp32()); other precisions run on tensor
     * cores and keep their peak. Never above peak_flops(t), so a time at this rate is never below the bound.
     */
    constexpr double simt_flops(DType t) const noexcept {
        return t == DType::fp32 && dual_issue_fp32() ? 0.5 * peak_flops(t) : peak_flops(t);
    }
    /**
     * @brief Is @p o the same chip in the same configuration: a GPU of the same architecture and compute
     * capability, with as many SMs of as many FP32 lanes at the same boost clock and the same peaks? Its
     * memory may differ (size, bandwidth: the A100 PCIe 40GB and 80GB, the H100 SXM and the H200), and
     * its host. Such a GPU runs the same kernels at the same rates, bar the memory system.
     */
    constexpr bool same_chip(const Device& o) const noexcept {
        return units == o.units && lanes_per_unit == o.lanes_per_unit && boost_mhz == o.boost_mhz &&
               fp32_tflops == o.fp32_tflops && tf32_tflops == o.tf32_tflops && fp16_tflops == o.fp16_tflops &&
               bf16_tflops == o.bf16_tflops && cc_major == o.cc_major && cc_minor == o.cc_minor &&
               kind == DeviceKind::gpu && o.kind == DeviceKind::gpu && architecture == o.architecture;
    }
    /** @brief Memory bandwidth in bytes per second. */
    constexpr double bandwidth_bytes_per_s() const noexcept { return bandwidth_gbs * 1e9; }
    /** @brief FP32 cores (GPU) or FP32 lanes (CPU) in all. */
    constexpr std::int64_t cores() const noexcept { return std::int64_t{units} * lanes_per_unit; }
};

namespace devices {

inline constexpr std::string_view spec_table = "shared/reference/gpu-specs.md";

// clang-format off
inline constexpr Device h100_sxm{"h100_sxm", "H100 SXM5 80GB", {"h100", "h100 sxm", "nvidia h100 80gb hbm3", "h100 sxm5"},
    DeviceKind::gpu, "Hopper", 9, 0, 132, 128, 0, 0, 1980, 67, 495, 989, 989, 3350, 50, 80,
    "NVIDIA H100 Tensor Core GPU datasheet; gpu-specs.md"};
inline constexpr Device h100_pcie{"h100_pcie", "H100 PCIe 80GB", {"h100 pcie", "nvidia h100 pcie"},
    DeviceKind::gpu, "Hopper", 9, 0, 114, 128, 0, 0, 1755, 51, 378, 756, 756, 2000, 50, 80,
    "NVIDIA H100 Tensor Core GPU datasheet; gpu-specs.md"};
inline constexpr Device h200_sxm{"h200_sxm", "H200 SXM 141GB", {"h200", "h200 sxm", "nvidia h200"},
    DeviceKind::gpu, "Hopper", 9, 0, 132, 128, 0, 0, 1980, 67, 495, 989, 989, 4800, 50, 141,
    "NVIDIA H200 Tensor Core GPU datasheet; gpu-specs.md (PyTorch reports 60 MB L2)"};
inline constexpr Device a100_sxm4_80gb{"a100_sxm4_80gb", "A100 SXM4 80GB", {"a100", "a100 sxm4 80gb", "nvidia a100-sxm4-80gb", "a100 80gb sxm"},
    DeviceKind::gpu, "Ampere", 8, 0, 108, 64, 0, 0, 1410, 19.5, 156, 312, 312, 2039, 40, 80,
    "NVIDIA A100 Tensor Core GPU datasheet; gpu-specs.md"};
inline constexpr Device a100_pcie_40gb{"a100_pcie_40gb", "A100 PCIe 40GB", {"a100 pcie 40gb", "nvidia a100-pcie-40gb"},
    DeviceKind::gpu, "Ampere", 8, 0, 108, 64, 0, 0, 1410, 19.5, 156, 312, 312, 1555, 40, 40,
    "NVIDIA A100 Tensor Core GPU datasheet; gpu-specs.md"};
inline constexpr Device a100_pcie_80gb{"a100_pcie_80gb", "A100 PCIe 80GB", {"a100 pcie 80gb", "nvidia a100 80gb pcie"},
    DeviceKind::gpu, "Ampere", 8, 0, 108, 64, 0, 0, 1410, 19.5, 156, 312, 312, 1935, 40, 80,
    "NVIDIA A100 Tensor Core GPU datasheet; gpu-specs.md"};
inline constexpr Device a100_sxm4_40gb{"a100_sxm4_40gb", "A100 SXM4 40GB", {"a100 sxm4 40gb", "nvidia a100-sxm4-40gb"},
    DeviceKind::gpu, "Ampere", 8, 0, 108, 64, 0, 0, 1410, 19.5, 156, 312, 312, 1555, 40, 40,
    "NVIDIA A100 Tensor Core GPU datasheet; gpu-specs.md"};
inline constexpr Device l4{"l4", "L4", {"nvidia l4"},
    DeviceKind::gpu, "Ada", 8, 9, 58, 128, 0, 0, 2040, 30.3, 60, 121, 121, 300, 48, 24,
    "NVIDIA L4 Tensor Core GPU datasheet; gpu-specs.md"};
inline constexpr Device rtx_4090{"rtx_4090", "GeForce RTX 4090", {"rtx 4090", "4090", "nvidia geforce rtx 4090"},
    DeviceKind::gpu, "Ada", 8, 9, 128, 128, 0, 0, 2520, 82.6, 82.6, 165, 165, 1008, 72, 24,
    "NVIDIA Ada Lovelace architecture whitepaper; gpu-specs.md (FP16/BF16 with FP32 accumulate)"};
inline constexpr Device rtx_3090{"rtx_3090", "GeForce RTX 3090", {"rtx 3090", "3090", "nvidia geforce rtx 3090"},
    DeviceKind::gpu, "Ampere", 8, 6, 82, 128, 0, 0, 1695, 35.6, 35.6, 71, 71, 936, 6, 24,
    "NVIDIA Ampere GA102 whitepaper; gpu-specs.md (FP16/BF16 with FP32 accumulate)"};
inline constexpr Device t4{"t4", "Tesla T4", {"nvidia t4", "tesla t4"},
    DeviceKind::gpu, "Turing", 7, 5, 40, 64, 0, 0, 1590, 8.1, 0, 65, 0, 320, 4, 16,
    "NVIDIA T4 datasheet; NeuSight device_configs (8141 GFLOP/s); gpu-specs.md"};
inline constexpr Device rtx_2080_ti{"rtx_2080_ti", "GeForce RTX 2080 Ti", {"rtx 2080 ti", "2080 ti", "nvidia geforce rtx 2080 ti"},
    DeviceKind::gpu, "Turing", 7, 5, 68, 64, 0, 0, 1545, 13.4, 0, 54, 0, 616, 5.5, 11,
    "NVIDIA Turing architecture whitepaper; gpu-specs.md (FP16 with FP32 accumulate)"};
inline constexpr Device v100_sxm2{"v100_sxm2", "Tesla V100 SXM2", {"v100", "v100 sxm2", "tesla v100-sxm2-16gb", "tesla v100-sxm2-32gb"},
    DeviceKind::gpu, "Volta", 7, 0, 80, 64, 0, 0, 1530, 15.7, 0, 125, 0, 900, 6, 16,
    "NVIDIA V100 datasheet; gpu-specs.md (16 or 32 GB)"};
inline constexpr Device v100_pcie_32gb{"v100_pcie_32gb", "Tesla V100 PCIe 32GB", {"v100 pcie", "tesla v100-pcie-32gb", "v100 pcie 32gb"},
    DeviceKind::gpu, "Volta", 7, 0, 80, 64, 0, 0, 1370, 14.0, 0, 112, 0, 900, 6, 32,
    "NVIDIA V100 datasheet; NeuSight device_configs (14029 GFLOP/s); gpu-specs.md"};
inline constexpr Device titan_v{"titan_v", "Titan V", {"nvidia titan v"},
    DeviceKind::gpu, "Volta", 7, 0, 80, 64, 0, 0, 1455, 14.9, 0, 110, 0, 653, 4.5, 12,
    "NVIDIA Titan V specifications; gpu-specs.md"};
inline constexpr Device p100_pcie_16gb{"p100_pcie_16gb", "Tesla P100 PCIe 16GB", {"p100", "tesla p100-pcie-16gb", "p100 pcie"},
    DeviceKind::gpu, "Pascal", 6, 0, 56, 64, 0, 0, 1380, 9.5, 0, 19, 0, 732, 4, 16,
    "NVIDIA P100 datasheet; NeuSight device_configs (9519 GFLOP/s); gpu-specs.md (FP16 without tensor cores)"};
inline constexpr Device p4{"p4", "Tesla P4", {"tesla p4", "nvidia p4"},
    DeviceKind::gpu, "Pascal", 6, 1, 20, 128, 0, 0, 1113, 5.7, 0, 0, 0, 192, 2, 8,
    "NVIDIA P4 datasheet; NeuSight device_configs (5699 GFLOP/s); GP104: 20 SMs of 128 cores (NeuSight and gpu-specs.md list 40 x 64, the same 2,560 cores)"};
inline constexpr Device gtx_1080{"gtx_1080", "GeForce GTX 1080", {"gtx 1080", "1080", "nvidia geforce gtx 1080"},
    DeviceKind::gpu, "Pascal", 6, 1, 20, 128, 0, 0, 1733, 8.9, 0, 0, 0, 320, 2, 8,
    "NVIDIA GeForce GTX 1080 whitepaper; gpu-specs.md (the seed thesis' GPU)"};
inline constexpr Device gtx_1070{"gtx_1070", "GeForce GTX 1070", {"gtx 1070", "1070", "nvidia geforce gtx 1070"},
    DeviceKind::gpu, "Pascal", 6, 1, 15, 128, 0, 0, 1683, 6.5, 0, 0, 0, 256, 2, 8,
    "NVIDIA GeForce GTX 1070 specifications; gpu-specs.md (the seed thesis' GPU)"};
inline constexpr Device quadro_p4000{"quadro_p4000", "Quadro P4000", {"p4000", "nvidia quadro p4000"},
    DeviceKind::gpu, "Pascal", 6, 1, 14, 128, 0, 0, 1480, 5.3, 0, 0, 0, 243, 2, 8,
    "NVIDIA Quadro P4000 datasheet; gpu-specs.md"};
inline constexpr Device quadro_p2000{"quadro_p2000", "Quadro P2000", {"p2000", "nvidia quadro p2000"},
    DeviceKind::gpu, "Pascal", 6, 1, 8, 128, 0, 0, 1480, 3.0, 0, 0, 0, 140, 1.25, 5,
    "NVIDIA Quadro P2000 datasheet; gpu-specs.md (L2 1.25 MB unconfirmed)"};
inline constexpr Device quadro_p1000{"quadro_p1000", "Quadro P1000", {"p1000", "nvidia quadro p1000"},
    DeviceKind::gpu, "Pascal", 6, 1, 5, 128, 0, 0, 1480, 1.9, 0, 0, 0, 82, 1, 4,
    "NVIDIA Quadro P1000 datasheet; gpu-specs.md (L2 1 MB unconfirmed)"};

/// The development machine's CPU: 2 cores of an Intel Xeon (Sapphire Rapids, AVX-512, AMX)
/// as the virtual machine reports it. Peak = 2 cores x 16 lanes x 2 FMA units x 2 x 2.6 GHz.
/// The clock is the base clock the hypervisor reports; the bandwidth is an estimate of one
/// VM's share, to be replaced by the harness' measurement.
inline constexpr Device xeon_spr_2c{"xeon_spr_2c", "Intel Xeon (Sapphire Rapids), 2 cores",
    {"dev cpu", "cpu", "intel xeon processor"},
    DeviceKind::cpu, "Sapphire Rapids", 0, 0, 2, 32, 16, 2, 2600, 0.3328, 0, 0, 0.3328, 20, 105, 24,
    "lscpu on the development VM (2 vCPUs, AVX-512, 2.6 GHz reported); bandwidth estimated"};

/// A later development machine's CPU: 2 cores of an AMD EPYC of family 25 model 1 (Zen 3,
/// Milan: AVX2, two 256-bit FMA pipes per core) as the virtual machine reports it.
/// Peak = 2 cores x 8 lanes x 2 FMA units x 2 x 2.45 GHz (the clock BogoMIPS implies).
/// The bandwidth is an estimate of one VM's share, as for xeon_spr_2c.
inline constexpr Device epyc_milan_2c{"epyc_milan_2c", "AMD EPYC (Zen 3, Milan), 2 cores",
    {"amd epyc"},
    DeviceKind::cpu, "Zen 3", 0, 0, 2, 16, 8, 2, 2450, 0.1568, 0, 0, 0, 20, 32, 23,
    "lscpu on the development VM (2 vCPUs, family 25 model 1, AVX2, 32 MB L3, BogoMIPS 4890.8); bandwidth estimated"};
// clang-format on

/** @brief Every built-in device. */
inline constexpr std::array<const Device*, 24> builtin{
    &h100_sxm,  &h100_pcie,   &h200_sxm,  &a100_sxm4_80gb, &a100_pcie_40gb, &a100_pcie_80gb, &a100_sxm4_40gb, &l4,
    &rtx_4090,  &rtx_3090,    &t4,        &rtx_2080_ti,    &v100_sxm2,      &v100_pcie_32gb, &titan_v,        &p100_pcie_16gb,
    &p4,        &gtx_1080,    &gtx_1070,  &quadro_p4000,   &quadro_p2000,   &quadro_p1000,   &xeon_spr_2c,
    &epyc_milan_2c};

}  // namespace devices

namespace detail {

constexpr bool names(const Device& d, std::string_view query) noexcept {
    if (same_name(d.id, query) || same_name(d.name, query)) return true;
    for (const std::string_view& a : d.aliases)
        if (!a.empty() && same_name(a, query)) return true;
    return false;
}

}  // namespace detail

/**
 * @brief The built-in device a name or alias refers to ("h100", "H100 SXM",
 * "NVIDIA H100 80GB HBM3"), case, spaces and punctuation ignored; nullptr when none.
 */
constexpr const Device* find_device(std::string_view query) noexcept {
    for (const Device* d : devices::builtin)
        if (detail::names(*d, query)) return d;
    return nullptr;
}

}  // namespace perfcast
