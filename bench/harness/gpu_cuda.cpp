/**
 * @file bench/harness/gpu_cuda.cpp
 * @brief perfcast-harness-gpu: layer timings on an NVIDIA GPU with cuDNN 9, cuBLAS and the CUDA
 *        runtime (conv2d, dense, bmm, pool2d and the memory-bound kinds: batchnorm2d, activation, add,
 *        concat, softmax). Host code only: built by the C++ compiler, no nvcc.
 *
 * What runs (as PyTorch runs these layers, one call per kernel):
 *  - conv2d:  cudnnConvolutionForward (+ cudnnAddTensor for the bias),
 *             cudnnConvolutionBackwardData, cudnnConvolutionBackwardFilter
 *             (+ cudnnConvolutionBackwardBias). The algorithm of each phase is chosen once per
 *             configuration with cudnnFind*AlgorithmEx (fastest successful result of the
 *             precision's math type) and recorded with its workspace in the source column.
 *  - dense:   forward as one cublasLt matmul with the bias fused as an epilogue
 *             (CUBLASLT_EPILOGUE_BIAS, as torch.nn.Linear does); backward data and weights as
 *             cublasGemmEx, the bias gradient as a GEMM with a ones vector.
 *  - pool2d:  cudnnPoolingForward, cudnnPoolingBackward.
 *  - batchnorm2d (CUDNN_BATCHNORM_SPATIAL, eps 1e-5, momentum 0.1; per-channel parameters and
 *             statistics in fp32): inference = cudnnBatchNormalizationForwardInference (running
 *             statistics, positive variances); training forward =
 *             cudnnBatchNormalizationForwardTraining (updates the running statistics, saves the
 *             batch mean and inverse variance); backward = cudnnBatchNormalizationBackward (the
 *             data gradient with the scale and shift gradients in one call, recorded as
 *             bwd_data). The inference and training forwards are measured apart. Without
 *             affine parameters cuDNN still takes a scale (ones) and a shift (zeros).
 *  - activation: cudnnActivationForward, cudnnActivationBackward (relu: RELU, relu6:
 *             CLIPPED_RELU with coef 6, tanh: TANH, sigmoid: SIGMOID, silu: SWISH with beta 1).
 *             gelu and hardswish have no mode in cuDNN's legacy activation API: their rows are
 *             failure rows ("unsupported by cuDNN legacy activation API"), never a stand-in.
 *  - add:     cudnnOpTensor(CUDNN_OP_TENSOR_ADD) of two tensors (more inputs: one cudnnAddTensor
 *             per further input, accumulating into the result); its backward, the gradient
 *             accumulation where the branches fork, is the same add, so one measurement serves
 *             the forward and bwd_data.
 *  - concat:  one cudaMemcpy2DAsync (device to device) per part into its channel slice of the
 *             result (the parts split the channels evenly, the last takes the remainder; NCHW:
 *             N rows of c_i*H*W elements, NHWC: N*H*W rows of c_i elements); backward: the
 *             reverse copies of each part's gradient out of the result's.
 *  - softmax: cudnnSoftmaxForward, cudnnSoftmaxBackward (CUDNN_SOFTMAX_ACCURATE,
 *             CUDNN_SOFTMAX_MODE_INSTANCE over batch x features described as N x F x 1 x 1).
 *  - bmm:     cublasGemmStridedBatchedEx of row-major (batch, m, k) by (batch, k, n); backward
 *             (bwd_data): both operands' gradients, dA = dC B^T and dB = A^T dC, two strided
 *             batched GEMMs, as PyTorch's bmm backward runs them.
 * layernorm and elementwise are not measured: they would need CUDA kernels of their own (cuDNN's
 * legacy API has no layer norm, cudnnOpTensor no div or pow) and this file is host code; `--kinds`
 * refuses them (Backend::refuses).
 * Activation and add tensors of rank 1 to 4 are described as N x C x H x W with trailing
 * dimensions of 1 (batch x features: N x F x 1 x 1); element-wise, the layout does not matter.
 * Precisions: fp32 (FMA only: CUDNN_FMA_MATH, CUBLAS_COMPUTE_32F with CUBLAS_DEFAULT_MATH, so
 * no TF32), tf32 (CUDNN_DEFAULT_MATH, CUBLAS_COMPUTE_32F_FAST_TF32), fp16 and bf16 (tensor-op
 * math, fp32 accumulation). The memory-bound kinds have no math mode: tf32 runs them exactly as
 * fp32 (fp32 tensors), fp16/bf16 compute in fp32. Layout: NCHW for fp32/tf32, NHWC for
 * fp16/bf16 (--layout overrides), for conv2d, pool2d, batchnorm2d and concat alike.
 * Inference and training run the same forward kernels here (batchnorm2d aside), so one forward
 * measurement per configuration serves both rows.
 * Timing: CUDA events around k back-to-back launches on one stream (k chosen so a sample lasts
 * >= --min-sample-us); with --flush-l2 every launch is preceded by a memset of twice the L2
 * and timed alone.
 */
#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <array>     // array
#include <cctype>    // isalnum, tolower
#include <cstring>   // memcpy
#include <iostream>  // cerr
#include <variant>   // get_if, holds_alternative
#include <vector>    // vector

#include "driver.hpp"

namespace perfcast::harness {
namespace {

// ---------------------------------------------------------------------------------------
// errors
// ---------------------------------------------------------------------------------------

/** @brief A failure that affects one configuration (unsupported, out of memory). */
struct gpu_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/** @brief A failure after which the CUDA context cannot be trusted: the sweep stops (rerun to resume). */
struct gpu_fatal : fatal_error {
    using fatal_error::fatal_error;
};

void cuda_check(cudaError_t e, const char* what) {
    if (e == cudaSuccess) return;
    const std::string msg = std::string(what) + ": " + cudaGetErrorString(e);
    if (e == cudaErrorMemoryAllocation) {
        (void)cudaGetLastError();  // not sticky: clear it
        throw gpu_error("out of memory (" + msg + ")");
    }
    throw gpu_fatal(msg);
}

/** @brief cuda_check for a copy: arguments the runtime refuses (a pitch or extent it does not take) are
 *  reported before anything runs and leave the context intact, so they fail the configuration only. */
void cuda_check_copy(cudaError_t e, const char* what) {
    if (e == cudaErrorInvalidValue || e == cudaErrorInvalidPitchValue) {
        (void)cudaGetLastError();  // not sticky: clear it
        throw gpu_error(std::string("unsupported by ") + what + " (" + cudaGetErrorString(e) + ")");
    }
    cuda_check(e, what);
}

void cudnn_check(cudnnStatus_t s, const char* what) {
    if (s == CUDNN_STATUS_SUCCESS) return;
    const int code = static_cast<int>(s);
    const std::string msg = std::string(what) + ": " + cudnnGetErrorString(s);
    if (code >= 3000 && code < 4000) throw gpu_error("unsupported by cuDNN (" + msg + ")");
    if (code == 4003 || code == 4004) throw gpu_error("out of memory (" + msg + ")");
    if (code >= 5000) {
        // the kernel may have failed: the context decides whether it is fatal
        const cudaError_t e = cudaDeviceSynchronize();
        if (e != cudaSuccess && e != cudaErrorMemoryAllocation) throw gpu_fatal(msg + "; " + cudaGetErrorString(e));
    }
    throw gpu_error("cuDNN (" + msg + ")");
}

void cublas_check(cublasStatus_t s, const char* what) {
    if (s == CUBLAS_STATUS_SUCCESS) return;
    const std::string msg = std::string(what) + ": " + cublasGetStatusString(s);
    if (s == CUBLAS_STATUS_ALLOC_FAILED) throw gpu_error("out of memory (" + msg + ")");
    if (s == CUBLAS_STATUS_NOT_SUPPORTED || s == CUBLAS_STATUS_ARCH_MISMATCH)
        throw gpu_error("unsupported by cuBLAS (" + msg + ")");
    if (s == CUBLAS_STATUS_EXECUTION_FAILED) {
        const cudaError_t e = cudaDeviceSynchronize();
        if (e != cudaSuccess && e != cudaErrorMemoryAllocation) throw gpu_fatal(msg + "; " + cudaGetErrorString(e));
    }
    throw gpu_error("cuBLAS (" + msg + ")");
}

// ---------------------------------------------------------------------------------------
// resources
// ---------------------------------------------------------------------------------------

/** @brief Device memory from plain cudaMalloc, freed on scope exit. */
class DevBuf {
public:
    DevBuf() = default;
    explicit DevBuf(std::size_t bytes) : m_bytes(bytes) {
        if (bytes) cuda_check(cudaMalloc(&m_p, bytes), "cudaMalloc");
    }
    DevBuf(DevBuf&& o) noexcept : m_p(o.m_p), m_bytes(o.m_bytes) { o.m_p = nullptr; o.m_bytes = 0; }
    DevBuf& operator=(DevBuf&& o) noexcept {
        if (this != &o) {
            reset();
            m_p = o.m_p;
            m_bytes = o.m_bytes;
            o.m_p = nullptr;
            o.m_bytes = 0;
        }
        return *this;
    }
    DevBuf(const DevBuf&) = delete;
    DevBuf& operator=(const DevBuf&) = delete;
    ~DevBuf() { reset(); }
    void reset() {
        if (m_p) cudaFree(m_p);
        m_p = nullptr;
        m_bytes = 0;
    }
    void* get() const noexcept { return m_p; }
    std::size_t bytes() const noexcept { return m_bytes; }

private:
    void* m_p = nullptr;
    std::size_t m_bytes = 0;
};

/** @brief A cuDNN/cuBLASLt descriptor with its destroy function. */
template <typename T, auto Destroy>
class Handle {
public:
    Handle() = default;
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    ~Handle() {
        if (m_h) Destroy(m_h);
    }
    T* out() noexcept { return &m_h; }
    operator T() const noexcept { return m_h; }  // NOLINT: used where the raw descriptor is expected

private:
    T m_h{};
};

using TensorDesc = Handle<cudnnTensorDescriptor_t, cudnnDestroyTensorDescriptor>;
using FilterDesc = Handle<cudnnFilterDescriptor_t, cudnnDestroyFilterDescriptor>;
using ConvDesc = Handle<cudnnConvolutionDescriptor_t, cudnnDestroyConvolutionDescriptor>;
using PoolDesc = Handle<cudnnPoolingDescriptor_t, cudnnDestroyPoolingDescriptor>;
using ActivationDesc = Handle<cudnnActivationDescriptor_t, cudnnDestroyActivationDescriptor>;
using OpTensorDesc = Handle<cudnnOpTensorDescriptor_t, cudnnDestroyOpTensorDescriptor>;
using LtMatmulDesc = Handle<cublasLtMatmulDesc_t, cublasLtMatmulDescDestroy>;
using LtLayout = Handle<cublasLtMatrixLayout_t, cublasLtMatrixLayoutDestroy>;
using LtPreference = Handle<cublasLtMatmulPreference_t, cublasLtMatmulPreferenceDestroy>;

int to_int(std::int64_t v) {
    if (v > 2147483647 || v < 0) throw gpu_error("a dimension does not fit cuDNN's int (" + std::to_string(v) + ")");
    return static_cast<int>(v);
}

std::size_t elems_bytes(std::int64_t elems, DType t) {
    return static_cast<std::size_t>(elems) * static_cast<std::size_t>(dtype_bytes(t));
}

/** @brief A tensor of rank 1 to 4 as cuDNN's N x C x H x W, trailing dimensions 1 (batch x features: N x F x 1 x 1). */
std::array<std::int64_t, 4> nchw_of(const Shape& s) {
    if (s.rank < 1 || s.rank > 4) throw gpu_error("unsupported: a tensor of rank " + std::to_string(s.rank));
    std::array<std::int64_t, 4> d{1, 1, 1, 1};
    for (int i = 0; i < s.rank; ++i) d[static_cast<std::size_t>(i)] = s[i];
    return d;
}

std::uint16_t to_half_bits(float f) {
    std::uint32_t x;
    std::memcpy(&x, &f, sizeof x);
    const std::uint32_t sign = (x >> 16) & 0x8000u;
    const int exp = static_cast<int>((x >> 23) & 0xff) - 127 + 15;
    std::uint32_t mant = x & 0x7fffffu;
    if (exp <= 0) return static_cast<std::uint16_t>(sign);  // tiny: flush to zero (values here are in [-1, 1))
    if (exp >= 31) return static_cast<std::uint16_t>(sign | 0x7c00u);
    mant += 0x1000u;  // round half up on the 13 dropped bits
    if (mant & 0x800000u) return static_cast<std::uint16_t>(sign | (static_cast<std::uint32_t>(exp + 1) << 10));
    return static_cast<std::uint16_t>(sign | (static_cast<std::uint32_t>(exp) << 10) | (mant >> 13));
}

std::uint16_t to_bf16_bits(float f) {
    std::uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return static_cast<std::uint16_t>(u >> 16);
}

const char* fwd_algo_name(cudnnConvolutionFwdAlgo_t a) {
    switch (a) {
        case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM: return "IMPLICIT_GEMM";
        case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM: return "IMPLICIT_PRECOMP_GEMM";
        case CUDNN_CONVOLUTION_FWD_ALGO_GEMM: return "GEMM";
        case CUDNN_CONVOLUTION_FWD_ALGO_DIRECT: return "DIRECT";
        case CUDNN_CONVOLUTION_FWD_ALGO_FFT: return "FFT";
        case CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING: return "FFT_TILING";
        case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD: return "WINOGRAD";
        case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED: return "WINOGRAD_NONFUSED";
        default: return "?";
    }
}
const char* bwd_data_algo_name(cudnnConvolutionBwdDataAlgo_t a) {
    switch (a) {
        case CUDNN_CONVOLUTION_BWD_DATA_ALGO_0: return "ALGO_0";
        case CUDNN_CONVOLUTION_BWD_DATA_ALGO_1: return "ALGO_1";
        case CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT: return "FFT";
        case CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING: return "FFT_TILING";
        case CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD: return "WINOGRAD";
        case CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED: return "WINOGRAD_NONFUSED";
        default: return "?";
    }
}
const char* bwd_filter_algo_name(cudnnConvolutionBwdFilterAlgo_t a) {
    switch (a) {
        case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0: return "ALGO_0";
        case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1: return "ALGO_1";
        case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT: return "FFT";
        case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3: return "ALGO_3";
        case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD: return "WINOGRAD";
        case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED: return "WINOGRAD_NONFUSED";
        case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT_TILING: return "FFT_TILING";
        default: return "?";
    }
}
const char* math_name(cudnnMathType_t m) {
    switch (m) {
        case CUDNN_DEFAULT_MATH: return "default";
        case CUDNN_TENSOR_OP_MATH: return "tensor_op";
        case CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION: return "tensor_op_conv";
        case CUDNN_FMA_MATH: return "fma";
        default: return "?";
    }
}

/** @brief What a precision means to cuDNN and cuBLAS. */
struct Precision {
    cudnnDataType_t cudnn_data;
    cudnnDataType_t cudnn_compute;
    cudnnMathType_t cudnn_math;
    cudaDataType_t cuda_data;
    cublasComputeType_t cublas_compute;
};

Precision precision(DType t) {
    switch (t) {
        case DType::fp32:
            return {CUDNN_DATA_FLOAT, CUDNN_DATA_FLOAT, CUDNN_FMA_MATH, CUDA_R_32F, CUBLAS_COMPUTE_32F};
        case DType::tf32:
            return {CUDNN_DATA_FLOAT, CUDNN_DATA_FLOAT, CUDNN_DEFAULT_MATH, CUDA_R_32F, CUBLAS_COMPUTE_32F_FAST_TF32};
        case DType::fp16:
            return {CUDNN_DATA_HALF, CUDNN_DATA_FLOAT, CUDNN_TENSOR_OP_MATH, CUDA_R_16F, CUBLAS_COMPUTE_32F};
        case DType::bf16:
            return {CUDNN_DATA_BFLOAT16, CUDNN_DATA_FLOAT, CUDNN_TENSOR_OP_MATH, CUDA_R_16BF, CUBLAS_COMPUTE_32F};
    }
    return {CUDNN_DATA_FLOAT, CUDNN_DATA_FLOAT, CUDNN_FMA_MATH, CUDA_R_32F, CUBLAS_COMPUTE_32F};
}

/** @brief fp32 rows must not run TF32: accept only FMA (or default, under an FMA descriptor) results. */
bool math_allowed(DType t, cudnnMathType_t m) {
    return t != DType::fp32 || m == CUDNN_FMA_MATH || m == CUDNN_DEFAULT_MATH;
}

// ---------------------------------------------------------------------------------------
// the backend
// ---------------------------------------------------------------------------------------

class CudaBackend final : public Backend {
public:
    ~CudaBackend() override {
        m_workspace.reset();
        m_flush.reset();
        if (m_lt) cublasLtDestroy(m_lt);
        if (m_cublas) cublasDestroy(m_cublas);
        if (m_cudnn) cudnnDestroy(m_cudnn);
        if (m_start) cudaEventDestroy(m_start);
        if (m_stop) cudaEventDestroy(m_stop);
        if (m_stream) cudaStreamDestroy(m_stream);
    }

    std::string harness_name() const override { return "perfcast-harness-gpu"; }

    std::vector<OptionSpec> options() const override {
        return {{"gpu", true, "CUDA device ordinal (default 0)"},
                {"layout", true, "nchw | nhwc | auto (auto: NCHW for fp32/tf32, NHWC for fp16/bf16)"},
                {"flush-l2", false, "clear the L2 before every timed launch (each launch timed alone)"},
                {"workspace-mb", true, "cuDNN Find / cuBLASLt workspace limit in MiB (default 1024)"}};
    }
    void set_option(const std::string& name, const std::string& value) override {
        if (name == "gpu") m_ordinal = static_cast<int>(parse_integer(name, value));
        else if (name == "layout") {
            if (value != "nchw" && value != "nhwc" && value != "auto")
                throw std::invalid_argument("--layout: expected nchw, nhwc or auto");
            m_layout = value;
        } else if (name == "flush-l2") m_flush_l2 = true;
        else if (name == "workspace-mb") m_workspace_mb = parse_number(name, value);
    }

    void init() override {
        int count = 0;
        cuda_check(cudaGetDeviceCount(&count), "cudaGetDeviceCount");
        if (m_ordinal < 0 || m_ordinal >= count)
            throw std::runtime_error("no CUDA device " + std::to_string(m_ordinal) + " (" + std::to_string(count) +
                                     " found)");
        cuda_check(cudaSetDevice(m_ordinal), "cudaSetDevice");
        cuda_check(cudaGetDeviceProperties(&m_prop, m_ordinal), "cudaGetDeviceProperties");
        cuda_check(cudaStreamCreateWithFlags(&m_stream, cudaStreamNonBlocking), "cudaStreamCreate");
        cuda_check(cudaEventCreate(&m_start), "cudaEventCreate");
        cuda_check(cudaEventCreate(&m_stop), "cudaEventCreate");
        cudnn_check(cudnnCreate(&m_cudnn), "cudnnCreate");
        cudnn_check(cudnnSetStream(m_cudnn, m_stream), "cudnnSetStream");
        cublas_check(cublasCreate(&m_cublas), "cublasCreate");
        cublas_check(cublasSetStream(m_cublas, m_stream), "cublasSetStream");
        // No TF32 behind our back: the precision comes from the compute type of each call.
        cublas_check(cublasSetMathMode(m_cublas, CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
        cublas_check(cublasLtCreate(&m_lt), "cublasLtCreate");

        std::size_t free_b = 0, total_b = 0;
        cuda_check(cudaMemGetInfo(&free_b, &total_b), "cudaMemGetInfo");
        std::size_t ws = static_cast<std::size_t>(m_workspace_mb * 1024 * 1024);
        ws = std::min(ws, free_b / 4);
        while (ws >= (1u << 20)) {  // shrink until it fits
            try {
                m_workspace = DevBuf(ws);
                break;
            } catch (const gpu_error&) {
                ws /= 2;
            }
        }
        if (m_flush_l2) {
            m_flush = DevBuf(static_cast<std::size_t>(std::max(m_prop.l2CacheSize, 1 << 20)) * 2);
        }
        // random values in [-1, 1) for every precision, copied in tiles
        SplitMix64 g(0x6a09e667f3bcc908ULL);
        m_pattern_f32.resize(1 << 20);
        m_pattern_f16.resize(1 << 20);
        m_pattern_bf16.resize(1 << 20);
        for (std::size_t i = 0; i < m_pattern_f32.size(); ++i) {
            const auto v = static_cast<float>(g.uniform() * 2 - 1);
            m_pattern_f32[i] = v;
            m_pattern_f16[i] = to_half_bits(v);
            m_pattern_bf16[i] = to_bf16_bits(v);
        }
    }

    std::string default_device_id() const override {
        if (const Device* d = find_device(m_prop.name)) return std::string(d->id);
        std::string slug = "gpu_";
        for (char c : std::string(m_prop.name))
            slug += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : '_';
        std::cerr << "note: \"" << m_prop.name << "\" is not among perfcast's devices; rows use the id \"" << slug
                  << "\" (pass --device ID, and add the device to a devices JSON to load the dataset)\n";
        return slug;
    }

    bool supports(DType) const override { return true; }
    std::string refuses(LayerKind k) const override {
        if (k == LayerKind::layernorm || k == LayerKind::elementwise)
            return "cuDNN's legacy API has no layer norm, cudnnOpTensor no div or pow, and this host-only harness "
                   "compiles no CUDA kernels of its own";
        return {};
    }

    std::map<std::string, std::string> provenance() const override {
        std::map<std::string, std::string> p;
        int driver = 0, runtime = 0, clock_khz = 0, mem_clock_khz = 0, bus = 0, ecc = 0;
        cudaDriverGetVersion(&driver);
        cudaRuntimeGetVersion(&runtime);
        cudaDeviceGetAttribute(&clock_khz, cudaDevAttrClockRate, m_ordinal);
        cudaDeviceGetAttribute(&mem_clock_khz, cudaDevAttrMemoryClockRate, m_ordinal);
        cudaDeviceGetAttribute(&bus, cudaDevAttrGlobalMemoryBusWidth, m_ordinal);
        cudaDeviceGetAttribute(&ecc, cudaDevAttrEccEnabled, m_ordinal);
        char pci[32] = {};
        cudaDeviceGetPCIBusId(pci, sizeof pci, m_ordinal);
        int cublas_v = 0;
        cublasGetVersion(m_cublas, &cublas_v);
        auto ver = [](int v) {  // 12040 -> 12.4
            return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
        };
        p["backend"] =
            "CUDA runtime + cuDNN legacy API (convolution with Find*AlgorithmEx; pooling, batch normalization, "
            "activation, op tensor, softmax) + cuBLAS/cuBLASLt + cudaMemcpy2DAsync (concat)";
        p["gpu_name"] = m_prop.name;
        p["gpu_compute_capability"] = std::to_string(m_prop.major) + "." + std::to_string(m_prop.minor);
        p["gpu_sms"] = std::to_string(m_prop.multiProcessorCount);
        p["gpu_memory_mib"] = std::to_string(m_prop.totalGlobalMem >> 20);
        p["gpu_l2_bytes"] = std::to_string(m_prop.l2CacheSize);
        p["gpu_pci_bus"] = pci;
        p["gpu_ecc"] = ecc ? "on" : "off";
        p["gpu_clocks"] = "max SM " + std::to_string(clock_khz / 1000) + " MHz, memory " +
                          std::to_string(mem_clock_khz / 1000) + " MHz, bus " + std::to_string(bus) +
                          " bit (peak values; the harness does not lock clocks: nvidia-smi -lgc does)";
        p["cuda_driver"] = ver(driver);
        p["cuda_runtime"] = ver(runtime);
        p["cudnn_version"] = std::to_string(cudnnGetVersion()) + " (headers " + std::to_string(CUDNN_VERSION) + ")";
        p["cublas_version"] = std::to_string(cublas_v) + " (cublasLt " + std::to_string(cublasLtGetVersion()) + ")";
        p["gpu_ordinal"] = std::to_string(m_ordinal);
        p["layouts"] = (m_layout == "auto" ? std::string("NCHW for fp32/tf32, NHWC for fp16/bf16") : m_layout) +
                       " (conv2d, pool2d, batchnorm2d, concat); activation, add: contiguous tensors of rank 1-4 as "
                       "N x C x H x W with trailing 1s; softmax: batch x features as N x F x 1 x 1";
        p["l2_flush"] = m_flush_l2 ? "before every timed launch (launches timed one by one)" : "off (warm L2)";
        p["workspace_bytes"] = std::to_string(m_workspace.bytes());
        p["math"] = "fp32: CUDNN_FMA_MATH, CUBLAS_COMPUTE_32F + CUBLAS_DEFAULT_MATH (no TF32); tf32: "
                    "CUDNN_DEFAULT_MATH, CUBLAS_COMPUTE_32F_FAST_TF32; fp16/bf16: CUDNN_TENSOR_OP_MATH, "
                    "CUBLAS_COMPUTE_32F (fp32 accumulation); batchnorm2d, activation, add, concat, softmax: no math "
                    "mode (tf32 runs them as fp32), fp32 compute, batch norm parameters and statistics in fp32";
        p["memory_bound_kinds"] =
            "batchnorm2d: cudnnBatchNormalizationForwardInference / ForwardTraining / Backward (SPATIAL, eps 1e-5, "
            "momentum 0.1; the backward computes the data, scale and shift gradients in one call, recorded as "
            "backward_data); activation: cudnnActivationForward / Backward (relu RELU, relu6 CLIPPED_RELU 6, tanh, "
            "sigmoid, silu SWISH beta 1; gelu and hardswish: failure rows, no legacy cuDNN mode); add: cudnnOpTensor "
            "ADD (+ cudnnAddTensor per input beyond two); concat: one cudaMemcpy2DAsync per part, backward the "
            "reverse copies; softmax: cudnnSoftmaxForward / Backward (ACCURATE, MODE_INSTANCE)";
        p["forward_sharing"] =
            "one forward measurement per configuration serves the inference and training rows (the same kernels run "
            "in both), except batchnorm2d: ForwardInference and ForwardTraining measured apart; add: the forward "
            "measurement also serves backward_data (the gradient accumulation at the fork is the same add)";
        p["clock"] = "CUDA events around k back-to-back launches on one stream";
        return p;
    }

    Measured run(const Job& job, const TimingOptions& timing, const std::atomic<bool>* stop) override {
        Measured m;
        bool inf = false, train = false;
        for (Pass p : job.passes) {
            if (p == Pass::inference) inf = true;
            else train = true;
        }
        // batchnorm2d measures its inference and training forwards apart; every other kind runs the same
        // forward kernels in both passes, so its one forward measurement (fwd_inference) serves both rows
        const bool own_training_forward = std::holds_alternative<BatchNorm2DParams>(job.layer);
        const DType t = job.dtype;
        try {
            if (const auto* c = std::get_if<Conv2DParams>(&job.layer)) conv(*c, t, train, timing, stop, m);
            else if (const auto* d = std::get_if<DenseParams>(&job.layer)) dense(*d, t, train, timing, stop, m);
            else if (const auto* p = std::get_if<Pool2DParams>(&job.layer)) pool(*p, t, train, timing, stop, m);
            else if (const auto* b = std::get_if<BatchNorm2DParams>(&job.layer))
                batchnorm(*b, t, inf, train, timing, stop, m);
            else if (const auto* a = std::get_if<ActivationParams>(&job.layer)) activation(*a, t, train, timing, stop, m);
            else if (const auto* s = std::get_if<AddParams>(&job.layer)) add(*s, t, train, timing, stop, m);
            else if (const auto* c2 = std::get_if<ConcatParams>(&job.layer)) concat(*c2, t, train, timing, stop, m);
            else if (const auto* x = std::get_if<SoftmaxParams>(&job.layer)) softmax(*x, t, train, timing, stop, m);
            else if (const auto* g = std::get_if<BatchMatMulParams>(&job.layer)) bmm(*g, t, train, timing, stop, m);
            else m.fwd_inference.error = m.fwd_training.error = "kind " + std::string(to_string(kind(job.layer))) +
                                                                 " not measured by this harness";
        } catch (const gpu_error& e) {  // setup (allocation, descriptors) failed: the phases not done fail
            for (PhaseResult* r : {&m.fwd_inference, &m.fwd_training, &m.bwd_data, &m.bwd_weights})
                if (!r->ok && r->error.empty()) r->error = e.what();
        }
        if (!own_training_forward) m.fwd_training = m.fwd_inference;  // the same kernels run in both passes
        cuda_check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
        return m;
    }

private:
    bool nhwc(DType t) const {
        if (m_layout == "nhwc") return true;
        if (m_layout == "nchw") return false;
        return t == DType::fp16 || t == DType::bf16;
    }

    void fill(const DevBuf& b, DType t) {
        const void* src = t == DType::fp16   ? static_cast<const void*>(m_pattern_f16.data())
                          : t == DType::bf16 ? static_cast<const void*>(m_pattern_bf16.data())
                                             : static_cast<const void*>(m_pattern_f32.data());
        const std::size_t tile = m_pattern_f32.size() * static_cast<std::size_t>(dtype_bytes(t));
        auto* dst = static_cast<unsigned char*>(b.get());
        for (std::size_t off = 0; off < b.bytes(); off += tile)
            cuda_check(cudaMemcpyAsync(dst + off, src, std::min(tile, b.bytes() - off), cudaMemcpyHostToDevice, m_stream),
                       "cudaMemcpyAsync");
        cuda_check(cudaStreamSynchronize(m_stream), "cudaStreamSynchronize");
    }

    DevBuf tensor(std::int64_t elems, DType t) {
        DevBuf b(elems_bytes(elems, t));
        fill(b, t);
        return b;
    }

    /** @brief Times `launch` (one execution, asynchronous on m_stream) under the timing options. */
    template <typename Launch>
    PhaseResult time(Launch&& launch, std::string impl, const TimingOptions& timing, const std::atomic<bool>* stop) {
        PhaseResult r;
        r.impl = std::move(impl);
        try {
            auto run = [&](int k) -> double {
                float ms = 0;
                if (m_flush_l2) {
                    double total = 0;
                    for (int i = 0; i < k; ++i) {
                        cuda_check(cudaMemsetAsync(m_flush.get(), i & 0xff, m_flush.bytes(), m_stream), "cudaMemsetAsync");
                        cuda_check(cudaEventRecord(m_start, m_stream), "cudaEventRecord");
                        launch();
                        cuda_check(cudaEventRecord(m_stop, m_stream), "cudaEventRecord");
                        cuda_check(cudaEventSynchronize(m_stop), "cudaEventSynchronize");
                        cuda_check(cudaEventElapsedTime(&ms, m_start, m_stop), "cudaEventElapsedTime");
                        total += ms * 1e-3;
                    }
                    return total;
                }
                cuda_check(cudaEventRecord(m_start, m_stream), "cudaEventRecord");
                for (int i = 0; i < k; ++i) launch();
                cuda_check(cudaEventRecord(m_stop, m_stream), "cudaEventRecord");
                cuda_check(cudaEventSynchronize(m_stop), "cudaEventSynchronize");
                cuda_check(cudaEventElapsedTime(&ms, m_start, m_stop), "cudaEventElapsedTime");
                return ms * 1e-3;
            };
            r.stats = measure(run, timing, stop);
            r.ok = true;
        } catch (const gpu_error& e) {
            r.error = e.what();
        }
        return r;
    }

    template <typename Body>
    PhaseResult guarded(Body&& body) {
        try {
            return body();
        } catch (const gpu_error& e) {
            PhaseResult r;
            r.error = e.what();
            return r;
        }
    }

    void set_tensor(TensorDesc& d, DType t, std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w) {
        cudnn_check(cudnnCreateTensorDescriptor(d.out()), "cudnnCreateTensorDescriptor");
        cudnn_check(cudnnSetTensor4dDescriptor(d, nhwc(t) ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW,
                                               precision(t).cudnn_data, to_int(n), to_int(c), to_int(h), to_int(w)),
                    "cudnnSetTensor4dDescriptor");
    }

    // ---- conv2d -------------------------------------------------------------------------

    void conv(const Conv2DParams& p, DType t, bool train, const TimingOptions& timing, const std::atomic<bool>* stop,
              Measured& m) {
        const Precision pr = precision(t);
        const Shape o = output_shape(p);
        TensorDesc x_d, y_d, b_d;
        FilterDesc w_d;
        ConvDesc c_d;
        set_tensor(x_d, t, p.batch, p.in_channels, p.height, p.width);
        set_tensor(y_d, t, p.batch, p.out_channels, o[2], o[3]);
        set_tensor(b_d, t, 1, p.out_channels, 1, 1);
        cudnn_check(cudnnCreateFilterDescriptor(w_d.out()), "cudnnCreateFilterDescriptor");
        cudnn_check(cudnnSetFilter4dDescriptor(w_d, pr.cudnn_data, nhwc(t) ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW,
                                               to_int(p.out_channels), to_int(p.in_channels / p.groups),
                                               to_int(p.kernel.h), to_int(p.kernel.w)),
                    "cudnnSetFilter4dDescriptor");
        cudnn_check(cudnnCreateConvolutionDescriptor(c_d.out()), "cudnnCreateConvolutionDescriptor");
        cudnn_check(cudnnSetConvolution2dDescriptor(c_d, to_int(p.padding.h), to_int(p.padding.w), to_int(p.stride.h),
                                                    to_int(p.stride.w), to_int(p.dilation.h), to_int(p.dilation.w),
                                                    CUDNN_CROSS_CORRELATION, pr.cudnn_compute),
                    "cudnnSetConvolution2dDescriptor");
        cudnn_check(cudnnSetConvolutionGroupCount(c_d, to_int(p.groups)), "cudnnSetConvolutionGroupCount");
        cudnn_check(cudnnSetConvolutionMathType(c_d, pr.cudnn_math), "cudnnSetConvolutionMathType");
        int on = 0, oc = 0, oh = 0, ow = 0;
        cudnn_check(cudnnGetConvolution2dForwardOutputDim(c_d, x_d, w_d, &on, &oc, &oh, &ow),
                    "cudnnGetConvolution2dForwardOutputDim");
        if (oh != o[2] || ow != o[3] || oc != p.out_channels)
            throw gpu_error("cuDNN's output shape differs from perfcast's");

        const std::int64_t w_elems = p.out_channels * (p.in_channels / p.groups) * p.kernel.h * p.kernel.w;
        DevBuf x = tensor(input_shape(p).elements(), t), w = tensor(w_elems, t), y = tensor(o.elements(), t);
        DevBuf b = p.bias ? tensor(p.out_channels, t) : DevBuf();
        const float one = 1.0f, zero = 0.0f;

        m.fwd_inference = guarded([&] {
            cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
            int n = 0;
            cudnn_check(cudnnFindConvolutionForwardAlgorithmEx(m_cudnn, x_d, x.get(), w_d, w.get(), c_d, y_d, y.get(),
                                                               CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &n, perf,
                                                               m_workspace.get(), m_workspace.bytes()),
                        "cudnnFindConvolutionForwardAlgorithmEx");
            const cudnnConvolutionFwdAlgoPerf_t* best = nullptr;
            for (int i = 0; i < n && !best; ++i)
                if (perf[i].status == CUDNN_STATUS_SUCCESS && math_allowed(t, perf[i].mathType)) best = &perf[i];
            if (!best) throw gpu_error("unsupported by cuDNN (no forward algorithm succeeded)");
            if (t != DType::fp32) cudnn_check(cudnnSetConvolutionMathType(c_d, best->mathType), "cudnnSetConvolutionMathType");
            const auto algo = best->algo;
            const std::size_t ws = best->memory;
            std::string impl = std::string(fwd_algo_name(algo)) + "/" + math_name(best->mathType) + "/ws" + std::to_string(ws);
            if (p.bias) impl += "+addTensor";
            return time(
                [&] {
                    cudnn_check(cudnnConvolutionForward(m_cudnn, &one, x_d, x.get(), w_d, w.get(), c_d, algo,
                                                        m_workspace.get(), ws, &zero, y_d, y.get()),
                                "cudnnConvolutionForward");
                    if (p.bias) cudnn_check(cudnnAddTensor(m_cudnn, &one, b_d, b.get(), &one, y_d, y.get()), "cudnnAddTensor");
                },
                impl, timing, stop);
        });
        if (!train || !m.fwd_inference.ok) return;

        DevBuf dy = tensor(o.elements(), t);
        m.bwd_data = guarded([&] {
            DevBuf dx(elems_bytes(input_shape(p).elements(), t));
            cudnnConvolutionBwdDataAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
            int n = 0;
            cudnn_check(cudnnSetConvolutionMathType(c_d, pr.cudnn_math), "cudnnSetConvolutionMathType");
            cudnn_check(cudnnFindConvolutionBackwardDataAlgorithmEx(m_cudnn, w_d, w.get(), y_d, dy.get(), c_d, x_d,
                                                                    dx.get(), CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &n,
                                                                    perf, m_workspace.get(), m_workspace.bytes()),
                        "cudnnFindConvolutionBackwardDataAlgorithmEx");
            const cudnnConvolutionBwdDataAlgoPerf_t* best = nullptr;
            for (int i = 0; i < n && !best; ++i)
                if (perf[i].status == CUDNN_STATUS_SUCCESS && math_allowed(t, perf[i].mathType)) best = &perf[i];
            if (!best) throw gpu_error("unsupported by cuDNN (no backward-data algorithm succeeded)");
            if (t != DType::fp32) cudnn_check(cudnnSetConvolutionMathType(c_d, best->mathType), "cudnnSetConvolutionMathType");
            const auto algo = best->algo;
            const std::size_t ws = best->memory;
            return time(
                [&] {
                    cudnn_check(cudnnConvolutionBackwardData(m_cudnn, &one, w_d, w.get(), y_d, dy.get(), c_d, algo,
                                                             m_workspace.get(), ws, &zero, x_d, dx.get()),
                                "cudnnConvolutionBackwardData");
                },
                std::string(bwd_data_algo_name(algo)) + "/" + math_name(best->mathType) + "/ws" + std::to_string(ws),
                timing, stop);
        });
        m.bwd_weights = guarded([&] {
            DevBuf dw(elems_bytes(w_elems, t));
            DevBuf db = p.bias ? DevBuf(elems_bytes(p.out_channels, t)) : DevBuf();
            cudnnConvolutionBwdFilterAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
            int n = 0;
            cudnn_check(cudnnSetConvolutionMathType(c_d, pr.cudnn_math), "cudnnSetConvolutionMathType");
            cudnn_check(cudnnFindConvolutionBackwardFilterAlgorithmEx(m_cudnn, x_d, x.get(), y_d, dy.get(), c_d, w_d,
                                                                      dw.get(), CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT,
                                                                      &n, perf, m_workspace.get(), m_workspace.bytes()),
                        "cudnnFindConvolutionBackwardFilterAlgorithmEx");
            const cudnnConvolutionBwdFilterAlgoPerf_t* best = nullptr;
            for (int i = 0; i < n && !best; ++i)
                if (perf[i].status == CUDNN_STATUS_SUCCESS && math_allowed(t, perf[i].mathType)) best = &perf[i];
            if (!best) throw gpu_error("unsupported by cuDNN (no backward-filter algorithm succeeded)");
            if (t != DType::fp32) cudnn_check(cudnnSetConvolutionMathType(c_d, best->mathType), "cudnnSetConvolutionMathType");
            const auto algo = best->algo;
            const std::size_t ws = best->memory;
            std::string impl =
                std::string(bwd_filter_algo_name(algo)) + "/" + math_name(best->mathType) + "/ws" + std::to_string(ws);
            if (p.bias) impl += "+backwardBias";
            return time(
                [&] {
                    cudnn_check(cudnnConvolutionBackwardFilter(m_cudnn, &one, x_d, x.get(), y_d, dy.get(), c_d, algo,
                                                               m_workspace.get(), ws, &zero, w_d, dw.get()),
                                "cudnnConvolutionBackwardFilter");
                    if (p.bias)
                        cudnn_check(cudnnConvolutionBackwardBias(m_cudnn, &one, y_d, dy.get(), &zero, b_d, db.get()),
                                    "cudnnConvolutionBackwardBias");
                },
                impl, timing, stop);
        });
    }

    // ---- dense --------------------------------------------------------------------------

    void dense(const DenseParams& p, DType t, bool train, const TimingOptions& timing, const std::atomic<bool>* stop,
               Measured& m) {
        const Precision pr = precision(t);
        const std::int64_t M = p.batch * p.seq, K = p.in_features, N = p.out_features;
        // Row-major tensors as PyTorch stores them: X [M,K], W [N,K], Y [M,N]. In cuBLAS'
        // column-major view they are X^T (K x M), W^T (K x N) and Y^T (N x M).
        DevBuf x = tensor(M * K, t), w = tensor(N * K, t), y = tensor(M * N, t);
        DevBuf b = p.bias ? tensor(N, t) : DevBuf();
        const float one = 1.0f, zero = 0.0f;

        m.fwd_inference = guarded([&] {
            // Y^T (N x M) = op_T(W^T stored K x N) * X^T (K x M) + bias (per row of Y^T)
            LtMatmulDesc op;
            cublas_check(cublasLtMatmulDescCreate(op.out(), pr.cublas_compute, CUDA_R_32F), "cublasLtMatmulDescCreate");
            const cublasOperation_t ta = CUBLAS_OP_T, tb = CUBLAS_OP_N;
            cublas_check(cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof ta), "TRANSA");
            cublas_check(cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof tb), "TRANSB");
            if (p.bias) {
                const cublasLtEpilogue_t epi = CUBLASLT_EPILOGUE_BIAS;
                const void* bias_ptr = b.get();
                cublas_check(cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_EPILOGUE, &epi, sizeof epi), "EPILOGUE");
                cublas_check(cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias_ptr,
                                                            sizeof bias_ptr),
                             "BIAS_POINTER");
            }
            LtLayout a_l, b_l, c_l;
            cublas_check(cublasLtMatrixLayoutCreate(a_l.out(), pr.cuda_data, static_cast<std::uint64_t>(K),
                                                    static_cast<std::uint64_t>(N), K),
                         "cublasLtMatrixLayoutCreate");
            cublas_check(cublasLtMatrixLayoutCreate(b_l.out(), pr.cuda_data, static_cast<std::uint64_t>(K),
                                                    static_cast<std::uint64_t>(M), K),
                         "cublasLtMatrixLayoutCreate");
            cublas_check(cublasLtMatrixLayoutCreate(c_l.out(), pr.cuda_data, static_cast<std::uint64_t>(N),
                                                    static_cast<std::uint64_t>(M), N),
                         "cublasLtMatrixLayoutCreate");
            LtPreference pref;
            cublas_check(cublasLtMatmulPreferenceCreate(pref.out()), "cublasLtMatmulPreferenceCreate");
            const std::size_t ws_limit = std::min<std::size_t>(m_workspace.bytes(), std::size_t{32} << 20);
            cublas_check(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws_limit,
                                                              sizeof ws_limit),
                         "MAX_WORKSPACE_BYTES");
            cublasLtMatmulHeuristicResult_t heur{};
            int found = 0;
            if (cublasLtMatmulAlgoGetHeuristic(m_lt, op, a_l, b_l, c_l, c_l, pref, 1, &heur, &found) !=
                    CUBLAS_STATUS_SUCCESS ||
                found == 0)
                return dense_forward_gemm(p, t, x, w, b, y, timing, stop);  // no Lt algorithm: plain GEMMs
            int algo_id = -1;
            cublasLtMatmulAlgoConfigGetAttribute(&heur.algo, CUBLASLT_ALGO_CONFIG_ID, &algo_id, sizeof algo_id, nullptr);
            const std::string impl = "cublasLt/algo" + std::to_string(algo_id) + "/ws" + std::to_string(heur.workspaceSize) +
                                     (p.bias ? "/bias_epilogue" : "");
            return time(
                [&] {
                    cublas_check(cublasLtMatmul(m_lt, op, &one, w.get(), a_l, x.get(), b_l, &zero, y.get(), c_l, y.get(),
                                                c_l, &heur.algo, m_workspace.get(), heur.workspaceSize, m_stream),
                                 "cublasLtMatmul");
                },
                impl, timing, stop);
        });
        if (!train || !m.fwd_inference.ok) return;

        DevBuf dy = tensor(M * N, t);
        m.bwd_data = guarded([&] {
            DevBuf dx(elems_bytes(M * K, t));
            // dX^T (K x M) = W^T (K x N, stored) * dY^T (N x M, stored)
            return time(
                [&] {
                    cublas_check(cublasGemmEx(m_cublas, CUBLAS_OP_N, CUBLAS_OP_N, to_int(K), to_int(M), to_int(N), &one,
                                              w.get(), pr.cuda_data, to_int(K), dy.get(), pr.cuda_data, to_int(N), &zero,
                                              dx.get(), pr.cuda_data, to_int(K), pr.cublas_compute, CUBLAS_GEMM_DEFAULT),
                                 "cublasGemmEx (backward data)");
                },
                "cublasGemmEx", timing, stop);
        });
        m.bwd_weights = guarded([&] {
            DevBuf dw(elems_bytes(N * K, t));
            DevBuf db = p.bias ? DevBuf(elems_bytes(N, t)) : DevBuf();
            DevBuf ones = p.bias ? ones_vector(M, t) : DevBuf();  // for the bias gradient
            return time(
                [&] {
                    // dW^T (K x N) = X^T (K x M, stored) * op_T(dY^T stored N x M)
                    cublas_check(cublasGemmEx(m_cublas, CUBLAS_OP_N, CUBLAS_OP_T, to_int(K), to_int(N), to_int(M), &one,
                                              x.get(), pr.cuda_data, to_int(K), dy.get(), pr.cuda_data, to_int(N), &zero,
                                              dw.get(), pr.cuda_data, to_int(K), pr.cublas_compute, CUBLAS_GEMM_DEFAULT),
                                 "cublasGemmEx (backward weights)");
                    if (p.bias)  // db (N x 1) = dY^T (N x M, stored) * ones (M x 1)
                        cublas_check(cublasGemmEx(m_cublas, CUBLAS_OP_N, CUBLAS_OP_N, to_int(N), 1, to_int(M), &one,
                                                  dy.get(), pr.cuda_data, to_int(N), ones.get(), pr.cuda_data, to_int(M),
                                                  &zero, db.get(), pr.cuda_data, to_int(N), pr.cublas_compute,
                                                  CUBLAS_GEMM_DEFAULT),
                                     "cublasGemmEx (bias gradient)");
                },
                p.bias ? "cublasGemmEx+bias_gemv" : "cublasGemmEx", timing, stop);
        });
    }

    // ---- bmm ----------------------------------------------------------------------------

    void bmm(const BatchMatMulParams& p, DType t, bool train, const TimingOptions& timing, const std::atomic<bool>* stop,
             Measured& m) {
        const Precision pr = precision(t);
        const std::int64_t B = p.batch, M = p.m, K = p.k, N = p.n;
        // Row-major A [B,M,K], Bm [B,K,N], C [B,M,N]; in cuBLAS' column-major view each batch entry is
        // A^T (K x M), Bm^T (N x K) and C^T (N x M), so C^T = Bm^T A^T.
        DevBuf a = tensor(B * M * K, t), b = tensor(B * K * N, t), c = tensor(B * M * N, t);
        const float one = 1.0f, zero = 0.0f;
        m.fwd_inference = guarded([&] {
            return time(
                [&] {
                    cublas_check(cublasGemmStridedBatchedEx(m_cublas, CUBLAS_OP_N, CUBLAS_OP_N, to_int(N), to_int(M),
                                                            to_int(K), &one, b.get(), pr.cuda_data, to_int(N), K * N,
                                                            a.get(), pr.cuda_data, to_int(K), M * K, &zero, c.get(),
                                                            pr.cuda_data, to_int(N), M * N, to_int(B), pr.cublas_compute,
                                                            CUBLAS_GEMM_DEFAULT),
                                 "cublasGemmStridedBatchedEx (forward)");
                },
                "cublasGemmStridedBatchedEx", timing, stop);
        });
        if (!train || !m.fwd_inference.ok) return;
        DevBuf dc = tensor(B * M * N, t);
        m.bwd_data = guarded([&] {
            DevBuf da(elems_bytes(B * M * K, t)), db(elems_bytes(B * K * N, t));
            return time(
                [&] {
                    // dA = dC Bm^T: dA^T (K x M) = op_T(Bm^T stored N x K) dC^T (N x M)
                    cublas_check(cublasGemmStridedBatchedEx(m_cublas, CUBLAS_OP_T, CUBLAS_OP_N, to_int(K), to_int(M),
                                                            to_int(N), &one, b.get(), pr.cuda_data, to_int(N), K * N,
                                                            dc.get(), pr.cuda_data, to_int(N), M * N, &zero, da.get(),
                                                            pr.cuda_data, to_int(K), M * K, to_int(B), pr.cublas_compute,
                                                            CUBLAS_GEMM_DEFAULT),
                                 "cublasGemmStridedBatchedEx (backward, first operand)");
                    // dB = A^T dC: dB^T (N x K) = dC^T (N x M) op_T(A^T stored K x M)
                    cublas_check(cublasGemmStridedBatchedEx(m_cublas, CUBLAS_OP_N, CUBLAS_OP_T, to_int(N), to_int(K),
                                                            to_int(M), &one, dc.get(), pr.cuda_data, to_int(N), M * N,
                                                            a.get(), pr.cuda_data, to_int(K), M * K, &zero, db.get(),
                                                            pr.cuda_data, to_int(N), K * N, to_int(B), pr.cublas_compute,
                                                            CUBLAS_GEMM_DEFAULT),
                                 "cublasGemmStridedBatchedEx (backward, second operand)");
                },
                "cublasGemmStridedBatchedEx x2", timing, stop);
        });
    }

    /** @brief The forward without cuBLASLt: Y^T = op_T(W^T) X^T, then Y^T += bias (N x 1) * ones (1 x M). */
    PhaseResult dense_forward_gemm(const DenseParams& p, DType t, const DevBuf& x, const DevBuf& w, const DevBuf& b,
                                   const DevBuf& y, const TimingOptions& timing, const std::atomic<bool>* stop) {
        const Precision pr = precision(t);
        const std::int64_t M = p.batch * p.seq, K = p.in_features, N = p.out_features;
        const float one = 1.0f, zero = 0.0f;
        DevBuf ones = p.bias ? ones_vector(M, t) : DevBuf();
        return time(
            [&] {
                cublas_check(cublasGemmEx(m_cublas, CUBLAS_OP_T, CUBLAS_OP_N, to_int(N), to_int(M), to_int(K), &one,
                                          w.get(), pr.cuda_data, to_int(K), x.get(), pr.cuda_data, to_int(K), &zero,
                                          y.get(), pr.cuda_data, to_int(N), pr.cublas_compute, CUBLAS_GEMM_DEFAULT),
                             "cublasGemmEx (forward)");
                if (p.bias)
                    cublas_check(cublasGemmEx(m_cublas, CUBLAS_OP_N, CUBLAS_OP_N, to_int(N), to_int(M), 1, &one, b.get(),
                                              pr.cuda_data, to_int(N), ones.get(), pr.cuda_data, 1, &one, y.get(),
                                              pr.cuda_data, to_int(N), pr.cublas_compute, CUBLAS_GEMM_DEFAULT),
                                 "cublasGemmEx (bias)");
            },
            p.bias ? "cublasGemmEx+bias_gemm" : "cublasGemmEx", timing, stop);
    }

    /** @brief n ones of precision t on the device. */
    DevBuf ones_vector(std::int64_t n, DType t) {
        DevBuf ones(elems_bytes(n, t));
        std::vector<std::uint32_t> host(static_cast<std::size_t>(n));
        const std::uint32_t bits = t == DType::fp16 ? 0x3c003c00u : t == DType::bf16 ? 0x3f803f80u : 0x3f800000u;
        std::fill(host.begin(), host.end(), bits);  // two 16-bit ones per word, or one fp32 one
        cuda_check(cudaMemcpy(ones.get(), host.data(), ones.bytes(), cudaMemcpyHostToDevice), "cudaMemcpy");
        return ones;
    }

    // ---- pool2d -------------------------------------------------------------------------

    void pool(const Pool2DParams& p, DType t, bool train, const TimingOptions& timing, const std::atomic<bool>* stop,
              Measured& m) {
        if (p.ceil_mode) throw gpu_error("unsupported: cuDNN pooling has no ceil mode");
        const Shape o = output_shape(p);
        const Hw k = effective_kernel(p), s = effective_stride(p);
        const Hw pad = p.global ? Hw{0} : p.padding;
        TensorDesc x_d, y_d;
        set_tensor(x_d, t, p.batch, p.channels, p.height, p.width);
        set_tensor(y_d, t, p.batch, p.channels, o[2], o[3]);
        PoolDesc pd;
        const cudnnPoolingMode_t mode = p.mode == PoolMode::max ? CUDNN_POOLING_MAX
                                        : p.count_include_pad  ? CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING
                                                               : CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING;
        cudnn_check(cudnnCreatePoolingDescriptor(pd.out()), "cudnnCreatePoolingDescriptor");
        cudnn_check(cudnnSetPooling2dDescriptor(pd, mode, CUDNN_NOT_PROPAGATE_NAN, to_int(k.h), to_int(k.w), to_int(pad.h),
                                                to_int(pad.w), to_int(s.h), to_int(s.w)),
                    "cudnnSetPooling2dDescriptor");
        int on = 0, oc = 0, oh = 0, ow = 0;
        cudnn_check(cudnnGetPooling2dForwardOutputDim(pd, x_d, &on, &oc, &oh, &ow), "cudnnGetPooling2dForwardOutputDim");
        if (oh != o[2] || ow != o[3]) throw gpu_error("cuDNN's pooling output shape differs from perfcast's");
        DevBuf x = tensor(input_shape(p).elements(), t), y = tensor(o.elements(), t);
        const float one = 1.0f, zero = 0.0f;
        m.fwd_inference = guarded([&] {
            return time(
                [&] {
                    cudnn_check(cudnnPoolingForward(m_cudnn, pd, &one, x_d, x.get(), &zero, y_d, y.get()),
                                "cudnnPoolingForward");
                },
                "cudnnPoolingForward", timing, stop);
        });
        if (!train || !m.fwd_inference.ok) return;
        m.bwd_data = guarded([&] {
            DevBuf dy = tensor(o.elements(), t);
            DevBuf dx(elems_bytes(input_shape(p).elements(), t));
            return time(
                [&] {
                    cudnn_check(cudnnPoolingBackward(m_cudnn, pd, &one, y_d, y.get(), y_d, dy.get(), x_d, x.get(), &zero,
                                                     x_d, dx.get()),
                                "cudnnPoolingBackward");
                },
                "cudnnPoolingBackward", timing, stop);
        });
    }

    // ---- batchnorm2d --------------------------------------------------------------------

    /** @brief n fp32 values in [0.5, 1.5) on the device: batch norm's running variances must be positive. */
    DevBuf positive_floats(std::int64_t n) {
        DevBuf b(elems_bytes(n, DType::fp32));
        std::vector<float> host(static_cast<std::size_t>(n));
        for (std::size_t i = 0; i < host.size(); ++i) host[i] = m_pattern_f32[i % m_pattern_f32.size()] * 0.5f + 1.0f;
        cuda_check(cudaMemcpy(b.get(), host.data(), b.bytes(), cudaMemcpyHostToDevice), "cudaMemcpy");
        return b;
    }

    void batchnorm(const BatchNorm2DParams& p, DType t, bool inf, bool train, const TimingOptions& timing,
                   const std::atomic<bool>* stop, Measured& m) {
        constexpr cudnnBatchNormMode_t mode = CUDNN_BATCHNORM_SPATIAL;
        constexpr double eps = 1e-5, momentum = 0.1;  // PyTorch's defaults
        TensorDesc x_d, bn_d;
        set_tensor(x_d, t, p.batch, p.channels, p.height, p.width);
        cudnn_check(cudnnCreateTensorDescriptor(bn_d.out()), "cudnnCreateTensorDescriptor");
        cudnn_check(cudnnDeriveBNTensorDescriptor(bn_d, x_d, mode), "cudnnDeriveBNTensorDescriptor");
        const std::int64_t n = input_shape(p).elements(), c = p.channels;
        DevBuf x = tensor(n, t);
        DevBuf y(elems_bytes(n, t));
        // 1 x C x 1 x 1 parameters and statistics: fp32 for fp32, fp16 and bf16 data (the derived descriptor's type)
        DevBuf scale = p.affine ? tensor(c, DType::fp32) : ones_vector(c, DType::fp32);
        DevBuf shift = tensor(c, DType::fp32);
        if (!p.affine) cuda_check(cudaMemset(shift.get(), 0, shift.bytes()), "cudaMemset");
        DevBuf running_mean = tensor(c, DType::fp32);
        DevBuf running_var = positive_floats(c);
        const float one = 1.0f, zero = 0.0f;
        const std::string tag = p.affine ? "/spatial" : "/spatial/unit_scale";

        if (inf)
            m.fwd_inference = guarded([&] {
                return time(
                    [&] {
                        cudnn_check(cudnnBatchNormalizationForwardInference(
                                        m_cudnn, mode, &one, &zero, x_d, x.get(), x_d, y.get(), bn_d, scale.get(),
                                        shift.get(), running_mean.get(), running_var.get(), eps),
                                    "cudnnBatchNormalizationForwardInference");
                    },
                    "cudnnBatchNormalizationForwardInference" + tag, timing, stop);
            });
        if (!train) return;

        DevBuf save_mean(elems_bytes(c, DType::fp32)), save_inv_var(elems_bytes(c, DType::fp32));
        m.fwd_training = guarded([&] {
            return time(
                [&] {
                    cudnn_check(cudnnBatchNormalizationForwardTraining(
                                    m_cudnn, mode, &one, &zero, x_d, x.get(), x_d, y.get(), bn_d, scale.get(),
                                    shift.get(), momentum, running_mean.get(), running_var.get(), eps, save_mean.get(),
                                    save_inv_var.get()),
                                "cudnnBatchNormalizationForwardTraining");
                },
                "cudnnBatchNormalizationForwardTraining" + tag, timing, stop);
        });
        if (!m.fwd_training.ok) return;
        // the backward reads the batch mean and inverse variance the timed training forwards saved
        m.bwd_data = guarded([&] {
            DevBuf dy = tensor(n, t);
            DevBuf dx(elems_bytes(n, t));
            DevBuf dscale(elems_bytes(c, DType::fp32)), dshift(elems_bytes(c, DType::fp32));
            return time(
                [&] {
                    cudnn_check(cudnnBatchNormalizationBackward(m_cudnn, mode, &one, &zero, &one, &zero, x_d, x.get(),
                                                                x_d, dy.get(), x_d, dx.get(), bn_d, scale.get(),
                                                                dscale.get(), dshift.get(), eps, save_mean.get(),
                                                                save_inv_var.get()),
                                "cudnnBatchNormalizationBackward");
                },
                "cudnnBatchNormalizationBackward" + tag + "+dscale_dshift", timing, stop);
        });
    }

    // ---- activation ---------------------------------------------------------------------

    /** @brief Sets `d` to the activation and returns its name; throws for the activations without a legacy mode. */
    static std::string set_activation(ActivationDesc& d, ActivationKind k) {
        cudnnActivationMode_t mode = CUDNN_ACTIVATION_RELU;
        double coef = 0;  // the ceiling of CLIPPED_RELU, unused by the other modes
        std::string name;
        switch (k) {
            case ActivationKind::relu: mode = CUDNN_ACTIVATION_RELU; name = "RELU"; break;
            case ActivationKind::relu6: mode = CUDNN_ACTIVATION_CLIPPED_RELU; coef = 6; name = "CLIPPED_RELU(6)"; break;
            case ActivationKind::tanh: mode = CUDNN_ACTIVATION_TANH; name = "TANH"; break;
            case ActivationKind::sigmoid: mode = CUDNN_ACTIVATION_SIGMOID; name = "SIGMOID"; break;
            case ActivationKind::silu:
#if CUDNN_VERSION >= 8200  // CUDNN_ACTIVATION_SWISH and its beta came with cuDNN 8.2
                mode = CUDNN_ACTIVATION_SWISH;
                name = "SWISH(beta 1)";
                break;
#else
                throw gpu_error("unsupported by cuDNN (no CUDNN_ACTIVATION_SWISH before cuDNN 8.2)");
#endif
            case ActivationKind::gelu:
            case ActivationKind::gelu_tanh:
            case ActivationKind::hardswish:
                throw gpu_error("unsupported by cuDNN legacy activation API (cudnnActivationMode_t has no " +
                                std::string(to_string(k)) + " mode)");
        }
        cudnn_check(cudnnCreateActivationDescriptor(d.out()), "cudnnCreateActivationDescriptor");
        cudnn_check(cudnnSetActivationDescriptor(d, mode, CUDNN_NOT_PROPAGATE_NAN, coef), "cudnnSetActivationDescriptor");
#if CUDNN_VERSION >= 8200
        if (mode == CUDNN_ACTIVATION_SWISH)
            cudnn_check(cudnnSetActivationDescriptorSwishBeta(d, 1.0), "cudnnSetActivationDescriptorSwishBeta");
#endif
        return name;
    }

    void activation(const ActivationParams& p, DType t, bool train, const TimingOptions& timing,
                    const std::atomic<bool>* stop, Measured& m) {
        ActivationDesc a_d;
        const std::string name = set_activation(a_d, p.kind);  // before any allocation: gelu/hardswish fail here
        const auto d = nchw_of(p.shape);
        TensorDesc x_d;
        set_tensor(x_d, t, d[0], d[1], d[2], d[3]);
        const std::int64_t n = p.shape.elements();
        DevBuf x = tensor(n, t);
        DevBuf y(elems_bytes(n, t));
        const float one = 1.0f, zero = 0.0f;
        m.fwd_inference = guarded([&] {
            return time(
                [&] {
                    cudnn_check(cudnnActivationForward(m_cudnn, a_d, &one, x_d, x.get(), &zero, x_d, y.get()),
                                "cudnnActivationForward");
                },
                "cudnnActivationForward/" + name, timing, stop);
        });
        if (!train || !m.fwd_inference.ok) return;
        m.bwd_data = guarded([&] {
            DevBuf dy = tensor(n, t);
            DevBuf dx(elems_bytes(n, t));
            return time(
                [&] {
                    cudnn_check(cudnnActivationBackward(m_cudnn, a_d, &one, x_d, y.get(), x_d, dy.get(), x_d, x.get(),
                                                        &zero, x_d, dx.get()),
                                "cudnnActivationBackward");
                },
                "cudnnActivationBackward/" + name, timing, stop);
        });
    }

    // ---- add ----------------------------------------------------------------------------

    void add(const AddParams& p, DType t, bool train, const TimingOptions& timing, const std::atomic<bool>* stop,
             Measured& m) {
        if (p.inputs < 2) throw gpu_error("unsupported: an add of fewer than two tensors");
        const auto d = nchw_of(p.shape);
        TensorDesc x_d;
        set_tensor(x_d, t, d[0], d[1], d[2], d[3]);
        OpTensorDesc op;
        cudnn_check(cudnnCreateOpTensorDescriptor(op.out()), "cudnnCreateOpTensorDescriptor");
        cudnn_check(cudnnSetOpTensorDescriptor(op, CUDNN_OP_TENSOR_ADD, precision(t).cudnn_compute, CUDNN_NOT_PROPAGATE_NAN),
                    "cudnnSetOpTensorDescriptor");
        const std::int64_t n = p.shape.elements();
        std::vector<DevBuf> in;
        for (std::int64_t i = 0; i < p.inputs; ++i) in.push_back(tensor(n, t));
        DevBuf y(elems_bytes(n, t));
        const float one = 1.0f, zero = 0.0f;
        std::string impl = "cudnnOpTensor(ADD)";
        if (p.inputs > 2) impl += "+" + std::to_string(p.inputs - 2) + "xcudnnAddTensor";
        m.fwd_inference = guarded([&] {
            return time(
                [&] {
                    // y = in0 + in1 (beta 0: y is only written), then y += in_i for the further inputs
                    cudnn_check(cudnnOpTensor(m_cudnn, op, &one, x_d, in[0].get(), &one, x_d, in[1].get(), &zero, x_d,
                                              y.get()),
                                "cudnnOpTensor");
                    for (std::size_t i = 2; i < in.size(); ++i)
                        cudnn_check(cudnnAddTensor(m_cudnn, &one, x_d, in[i].get(), &one, x_d, y.get()), "cudnnAddTensor");
                },
                impl, timing, stop);
        });
        // the backward, the gradient accumulation where the branches fork, is the same add
        if (train) m.bwd_data = m.fwd_inference;
    }

    // ---- concat -------------------------------------------------------------------------

    void concat(const ConcatParams& p, DType t, bool train, const TimingOptions& timing, const std::atomic<bool>* stop,
                Measured& m) {
        if (p.inputs < 1 || p.channels < p.inputs)
            throw gpu_error("unsupported: a concat of " + std::to_string(p.inputs) + " parts into " +
                            std::to_string(p.channels) + " channels");
        const bool cl = nhwc(t);
        // One 2-D copy per part. NCHW: N rows of c_i*H*W elements, the result's rows C*H*W apart;
        // NHWC: N*H*W rows of c_i elements, the result's rows C apart. `unit`: bytes of one channel in a row.
        const std::size_t e = static_cast<std::size_t>(dtype_bytes(t));
        const std::size_t plane = static_cast<std::size_t>(p.height) * static_cast<std::size_t>(p.width);
        const std::size_t rows = cl ? static_cast<std::size_t>(p.batch) * plane : static_cast<std::size_t>(p.batch);
        const std::size_t unit = cl ? e : plane * e;
        const std::size_t pitch = static_cast<std::size_t>(p.channels) * unit;
        if (pitch > m_prop.memPitch)
            throw gpu_error("unsupported: a row of the result (" + std::to_string(pitch) +
                            " bytes) exceeds cudaMemcpy2D's pitch limit (" + std::to_string(m_prop.memPitch) + ")");
        std::vector<std::size_t> width, offset;  // bytes of each part's row, and its offset in the result's row
        for (std::int64_t i = 0, start = 0; i < p.inputs; ++i) {
            const std::int64_t c = i + 1 < p.inputs ? p.channels / p.inputs : p.channels - start;
            width.push_back(static_cast<std::size_t>(c) * unit);
            offset.push_back(static_cast<std::size_t>(start) * unit);
            start += c;
        }
        std::vector<DevBuf> parts;
        for (std::size_t w : width) parts.push_back(tensor(static_cast<std::int64_t>(w / e * rows), t));
        const std::int64_t total = static_cast<std::int64_t>(rows * pitch / e);
        DevBuf y(elems_bytes(total, t));
        const std::string impl =
            std::to_string(p.inputs) + "xcudaMemcpy2DAsync/" + (cl ? "nhwc" : "nchw") + "/rows" + std::to_string(rows);
        m.fwd_inference = guarded([&] {
            return time(
                [&] {
                    auto* dst = static_cast<unsigned char*>(y.get());
                    for (std::size_t i = 0; i < parts.size(); ++i)
                        cuda_check_copy(cudaMemcpy2DAsync(dst + offset[i], pitch, parts[i].get(), width[i], width[i], rows,
                                                          cudaMemcpyDeviceToDevice, m_stream),
                                        "cudaMemcpy2DAsync");
                },
                impl, timing, stop);
        });
        if (!train || !m.fwd_inference.ok) return;
        m.bwd_data = guarded([&] {
            DevBuf dy = tensor(total, t);
            std::vector<DevBuf> dparts;
            for (std::size_t w : width) dparts.emplace_back(w * rows);
            return time(
                [&] {
                    const auto* src = static_cast<const unsigned char*>(dy.get());
                    for (std::size_t i = 0; i < dparts.size(); ++i)
                        cuda_check_copy(cudaMemcpy2DAsync(dparts[i].get(), width[i], src + offset[i], pitch, width[i], rows,
                                                          cudaMemcpyDeviceToDevice, m_stream),
                                        "cudaMemcpy2DAsync");
                },
                impl, timing, stop);
        });
    }

    // ---- softmax ------------------------------------------------------------------------

    void softmax(const SoftmaxParams& p, DType t, bool train, const TimingOptions& timing, const std::atomic<bool>* stop,
                 Measured& m) {
        constexpr cudnnSoftmaxAlgorithm_t algo = CUDNN_SOFTMAX_ACCURATE;
        constexpr cudnnSoftmaxMode_t mode = CUDNN_SOFTMAX_MODE_INSTANCE;  // over C x H x W = the features
        TensorDesc x_d;
        set_tensor(x_d, t, p.batch, p.features, 1, 1);
        const std::int64_t n = p.batch * p.features;
        DevBuf x = tensor(n, t);
        DevBuf y(elems_bytes(n, t));
        const float one = 1.0f, zero = 0.0f;
        m.fwd_inference = guarded([&] {
            return time(
                [&] {
                    cudnn_check(cudnnSoftmaxForward(m_cudnn, algo, mode, &one, x_d, x.get(), &zero, x_d, y.get()),
                                "cudnnSoftmaxForward");
                },
                "cudnnSoftmaxForward/ACCURATE/INSTANCE", timing, stop);
        });
        if (!train || !m.fwd_inference.ok) return;
        m.bwd_data = guarded([&] {
            DevBuf dy = tensor(n, t);
            DevBuf dx(elems_bytes(n, t));
            return time(
                [&] {
                    cudnn_check(cudnnSoftmaxBackward(m_cudnn, algo, mode, &one, x_d, y.get(), x_d, dy.get(), &zero, x_d,
                                                     dx.get()),
                                "cudnnSoftmaxBackward");
                },
                "cudnnSoftmaxBackward/ACCURATE/INSTANCE", timing, stop);
        });
    }

    int m_ordinal = 0;
    std::string m_layout = "auto";
    bool m_flush_l2 = false;
    double m_workspace_mb = 1024;
    cudaDeviceProp m_prop{};
    cudaStream_t m_stream = nullptr;
    cudaEvent_t m_start = nullptr, m_stop = nullptr;
    cudnnHandle_t m_cudnn = nullptr;
    cublasHandle_t m_cublas = nullptr;
    cublasLtHandle_t m_lt = nullptr;
    DevBuf m_workspace, m_flush;
    std::vector<float> m_pattern_f32;
    std::vector<std::uint16_t> m_pattern_f16, m_pattern_bf16;
};

}  // namespace
}  // namespace perfcast::harness

int main(int argc, char** argv) {
    perfcast::harness::CudaBackend backend;
    try {
        return perfcast::harness::run_harness(argc, argv, backend);
    } catch (const std::exception& e) {
        std::cerr << "perfcast-harness-gpu: " << e.what() << "\n";
        return 1;
    }
}
