/**
 * @file bench/harness/cpu_torch.cpp
 * @brief perfcast-harness-torch: layer timings through PyTorch's own kernels (ATen, libtorch)
 *        on a CPU: the data that predicts networks as PyTorch runs them.
 *
 * A network in PyTorch does not run the kernels a library harness times in ideal conditions:
 * its tensors are NCHW, its convolutions convert them to oneDNN's blocked layout and back on
 * every call, its dense layers are BLAS GEMMs, its pooling, batch norm and element-wise ops are
 * ATen's own loops, and every output is freshly allocated. This backend times exactly the ATen
 * operators a torchvision model calls, one phase at a time:
 *  - conv2d: at::convolution; backward: at::convolution_backward with output mask
 *            (input) for bwd_data and (weight, bias) for bwd_weights;
 *  - dense:  at::addmm(bias, x, w^T) (at::mm without bias), as nn.Linear on 2-D input;
 *            bwd_data at::mm(dy, w); bwd_weights at::mm(dy^T, x) and dy.sum(0) for the bias;
 *  - pool2d: at::max_pool2d_with_indices / at::avg_pool2d / at::adaptive_avg_pool2d (global) /
 *            at::adaptive_max_pool2d (global max) and their backward operators;
 *  - batchnorm2d: at::batch_norm (inference: running statistics); training at::native_batch_norm
 *            and at::native_batch_norm_backward (input, scale and shift gradients: bwd_data);
 *  - activation: in place for relu and relu6 (torchvision's inplace=True: at::relu_,
 *            at::hardtanh_), out of place for the others; backward at::threshold_backward,
 *            at::hardtanh_backward, at::tanh_backward, at::sigmoid_backward, at::gelu_backward,
 *            at::silu_backward, at::hardswish_backward;
 *  - add:    in place (ResNet's `out += identity`: Tensor::add_); its backward, the gradient
 *            accumulation where the branches fork, is the same add, so one measurement serves
 *            the forward and bwd_data;
 *  - concat: at::cat along the channels (the parts split the channels evenly, the last takes the
 *            remainder); backward: each part's gradient made contiguous out of the result's;
 *  - softmax: at::_softmax over the features; backward at::_softmax_backward_data.
 *  - bmm:    at::bmm of (batch, m, k) by (batch, k, n); backward (bwd_data): both operands'
 *            gradients, at::bmm(dC, B^T) and at::bmm(A^T, dC), as autograd runs them;
 *  - layernorm: at::native_layer_norm (eps 1e-5) in both passes (what nn.LayerNorm runs; it saves
 *            the rows' mean and inverse deviation either way); backward
 *            at::native_layer_norm_backward (input, scale and shift gradients: bwd_data);
 *  - elementwise: out of place, as x * y or x * 0.5 in a model: at::sub/mul/div/pow of two tensors,
 *            at::add/sub/mul/div/pow with a scalar (1, 1, 0.5, 2, and 3 for pow: ATen's pow has fast
 *            paths for small integer exponents, and x ** 3 is what tanh-approximated GELUs run);
 *            pow's operands are positive. Backward, as autograd's formulas: nothing for a scalar
 *            add or sub (the gradient is handed on; the row's source says so), dy*s and dy/s,
 *            dy*s*x**(s-1); for two tensors -dy (sub), dy*b and dy*a (mul), dy/b and -dy*a/(b*b)
 *            (div), dy*b*a**(b-1) and dy*a**b*log(a) (pow).
 * Tensors are contiguous NCHW (or batch x features), filled with uniform values in [-1, 1);
 * with --cold-weights MB, conv2d and dense take their weights from that many MB of copies in turn
 * (bwd_weights reads no weights), and adds over flat vectors (batch-1 matrices: the parameter
 * tensors of the optimizer's update) their operands, so that, as in a network, the weights a call
 * reads are not in the caches the previous calls warmed;
 * the forward of conv2d, dense, activation, concat, softmax, bmm, layernorm and elementwise is measured
 * once and serves both passes (ATen runs the same kernel), pool2d's and batch norm's are measured per pass.
 */
#include <dlfcn.h>   // dlsym
#include <time.h>    // clock_gettime
#include <unistd.h>  // sysconf

#include <algorithm>  // min
#include <chrono>   // steady_clock
#include <cmath>    // ceil
#include <cstdlib>  // getenv
#include <fstream>  // ifstream
#include <iostream>  // cerr
#include <new>       // bad_alloc
#include <thread>    // hardware_concurrency

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#endif
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#include "driver.hpp"

namespace perfcast::harness {
namespace {

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("model name", 0) == 0) {
            const auto colon = line.find(':');
            if (colon != std::string::npos) return one_line(line.substr(line.find_first_not_of(" \t", colon + 1)));
        }
    return "unknown";
}

bool has_amx() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("flags", 0) == 0) return line.find(" amx_tile") != std::string::npos;
    return false;
}

using Op = std::function<at::Tensor()>;

/**
 * @brief Copies of a weight tensor used in turn, so that each call reads weights that are not in the
 * caches, as in a network, where every other layer runs between two uses of a layer's weights. With
 * `bytes` 0 (the default) there is one copy, reused: the weights stay in the caches between calls.
 */
class Rotating {
public:
    Rotating(const at::Tensor& w, double bytes) {
        const double one = static_cast<double>(w.numel()) * static_cast<double>(w.element_size());
        const auto n = bytes > 0 && one > 0 ? static_cast<std::int64_t>(std::min(4096.0, std::ceil(bytes / one))) : 1;
        std::vector<std::int64_t> sizes{n};
        for (std::int64_t d : w.sizes()) sizes.push_back(d);
        m_copies = at::empty(sizes, w.options());
        m_copies.copy_(w.unsqueeze(0).expand(sizes));
        m_count = n;
    }
    /** @brief The next copy (contiguous: a slice of the first dimension). */
    at::Tensor next() {
        const std::int64_t i = m_next;
        m_next = (m_next + 1) % m_count;
        return m_copies.select(0, i);
    }
    std::int64_t count() const noexcept { return m_count; }

private:
    at::Tensor m_copies;
    std::int64_t m_count = 1;
    std::int64_t m_next = 0;
};

class TorchBackend final : public Backend {
public:
    std::string harness_name() const override { return "perfcast-harness-torch"; }

    std::vector<OptionSpec> options() const override {
        return {{"threads", true, "intra-op threads (at::set_num_threads; default: online CPUs)"},
                {"clock", true,
                 "wall (steady_clock) or thread (CPU time of the calling thread, which runs every kernel with one "
                 "thread: excludes time the OS gave to other processes; needs --threads 1) (default wall)"},
                {"cold-weights", true,
                 "MB: conv2d and dense use copies of their weights in turn, at least this many MB of them (more "
                 "than the last-level cache), so each call reads its weights from memory as in a network; so do "
                 "adds over flat vectors (batch-1 matrices: parameter tensors, the optimizer's update) "
                 "(default 0: one copy, cache-warm)"}};
    }
    void set_option(const std::string& name, const std::string& value) override {
        if (name == "threads") {
            m_threads = static_cast<int>(parse_integer(name, value));
            if (m_threads < 1) throw std::invalid_argument("--threads: need >= 1");
        } else if (name == "clock") {
            if (value != "wall" && value != "thread") throw std::invalid_argument("--clock: expected wall or thread");
            m_thread_clock = value == "thread";
        } else if (name == "cold-weights") {
            m_cold_bytes = parse_number(name, value) * 1024.0 * 1024.0;
            if (!(m_cold_bytes >= 0)) throw std::invalid_argument("--cold-weights: need >= 0 MB");
        }
    }

    void init() override {
        if (m_threads <= 0) m_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
        if (m_thread_clock && m_threads != 1)
            throw std::invalid_argument("--clock thread needs --threads 1 (other threads' time would be missed)");
        at::set_num_threads(m_threads);
        at::set_num_interop_threads(1);
        // ATen's thread setting does not reach the BLAS behind at::addmm / at::mm (OpenBLAS keeps its own
        // thread pool, sized by OPENBLAS_NUM_THREADS when it loads): size it here, or dense layers run on
        // threads the thread clock does not see
        using set_threads_fn = void (*)(int);
        for (const char* name : {"openblas_set_num_threads", "goto_set_num_threads", "MKL_Set_Num_Threads"})
            if (void* f = dlsym(RTLD_DEFAULT, name)) {
                reinterpret_cast<set_threads_fn>(f)(m_threads);
                m_blas_threads = std::string(name) + "(" + std::to_string(m_threads) + ")";
                break;
            }
        if (m_blas_threads.empty() && m_thread_clock)
            throw std::invalid_argument("--clock thread: cannot set the BLAS library's threads (no "
                                        "openblas_set_num_threads); its threads would escape the thread clock");
    }

    std::string default_device_id() const override {
        if (cpu_model().find("Xeon") != std::string::npos && sysconf(_SC_NPROCESSORS_ONLN) == 2 && has_amx())
            return "xeon_spr_2c";
        return "cpu";
    }

    bool supports(DType t) const override { return t == DType::fp32 || t == DType::bf16; }

    std::map<std::string, std::string> provenance() const override {
        std::map<std::string, std::string> p;
        p["backend"] = "PyTorch ATen operators (libtorch, CPU)";
        p["cpu_model"] = cpu_model();
        p["cpu_cores_online"] = std::to_string(sysconf(_SC_NPROCESSORS_ONLN));
        p["threads"] = std::to_string(m_threads) + " intra-op (at::set_num_threads), 1 inter-op; BLAS: " +
                       (m_blas_threads.empty() ? std::string("threads not set (no known BLAS thread call)") : m_blas_threads);
        std::string config = at::show_config();
        std::string build;
        std::istringstream lines(config);
        for (std::string l; std::getline(lines, l);)
            if (l.find("MKL-DNN") != std::string::npos || l.find("oneDNN") != std::string::npos ||
                l.find("CPU capability") != std::string::npos || l.find("OpenMP") != std::string::npos ||
                l.find("BLAS_INFO") != std::string::npos)
                build += (build.empty() ? "" : "; ") + one_line(l.substr(0, 200));
        p["torch_build"] = build.empty() ? "unknown" : build;
        p["layouts"] = "contiguous NCHW (batch x features for dense, softmax and rank-2 element-wise shapes), as "
                       "torchvision models run";
        p["operators"] = "conv2d at::convolution/convolution_backward; dense at::addmm, at::mm; pool2d "
                         "max_pool2d_with_indices, avg_pool2d, adaptive pools; batchnorm2d batch_norm, "
                         "native_batch_norm(_backward); activation relu_/hardtanh_ in place, others out of place; "
                         "add in place (add_); concat at::cat, backward contiguous parts; softmax _softmax(_backward_data); "
                         "bmm at::bmm (backward: two bmm); layernorm native_layer_norm(_backward), eps 1e-5; "
                         "elementwise sub/mul/div/pow out of place, scalars 1 (add, sub), 0.5 (mul), 2 (div), 3 (pow), "
                         "backward as autograd's formulas";
        p["forward_sharing"] = "conv2d, dense, activation, concat, softmax, bmm, layernorm, elementwise: one forward "
                               "measurement per configuration "
                               "serves both rows; pool2d, batchnorm2d: inference and training forwards measured apart; "
                               "add: one add_ serves the forward of both rows and the backward";
        p["weights"] = m_cold_bytes > 0
                           ? "cold: conv2d and dense use " + std::to_string(static_cast<long long>(m_cold_bytes / 1048576)) +
                                 " MB of copies of their weights in turn (at most 4096 copies), so a call reads weights "
                                 "the previous calls did not leave in the caches; adds over flat vectors (batch-1 "
                                 "matrices: parameter tensors) rotate their operands the same way"
                           : "warm: one copy of each weight tensor, reused by every call";
        // PyTorch's CPU tensors come from malloc: glibc's defaults map blocks of 32 MiB and more afresh on
        // every call (a page fault per 4 KiB page, part of the time measured), a tuned or preloaded one not
        const char* tunables = std::getenv("GLIBC_TUNABLES");
        const char* preload = std::getenv("LD_PRELOAD");
        p["malloc"] = std::string(tunables && *tunables ? std::string("GLIBC_TUNABLES=") + tunables : "glibc's defaults") +
                      (preload && *preload ? std::string("; LD_PRELOAD=") + preload : std::string());
        p["clock"] = m_thread_clock ? "CLOCK_THREAD_CPUTIME_ID (CPU time of the one thread that runs every ATen kernel: "
                                      "time the OS gave to other processes is left out) around k back-to-back calls"
                                    : "std::chrono::steady_clock around k back-to-back calls";
        return p;
    }

    Measured run(const Job& job, const TimingOptions& timing, const std::atomic<bool>* stop) override {
        at::manual_seed(static_cast<std::uint64_t>(0x5eed0000ULL + job.index));
        m_type = job.dtype == DType::bf16 ? at::kBFloat16 : at::kFloat;
        bool inf = false, train = false;
        for (Pass p : job.passes) (p == Pass::inference ? inf : train) = true;
        Measured m;
        try {
            std::visit([&](const auto& p) { measure_layer(p, inf, train, timing, stop, m); }, job.layer);
        } catch (const interrupted&) {
            throw;
        } catch (const std::exception& e) {  // building the inputs failed (out of memory)
            m.fwd_inference.error = m.fwd_training.error = one_line(std::string("setup: ") + e.what());
        }
        return m;
    }

private:
    at::Tensor uniform(at::IntArrayRef sizes) const {
        return at::rand(sizes, at::TensorOptions().dtype(m_type)).mul_(2).sub_(1);
    }

    PhaseResult time(const std::string& impl, const Op& op, const TimingOptions& timing,
                     const std::atomic<bool>* stop) {
        PhaseResult r;
        r.impl = impl;
        try {
            auto run = [&](int k) {
                if (m_thread_clock) {
                    const double t0 = thread_seconds();
                    for (int i = 0; i < k; ++i) (void)op();
                    return thread_seconds() - t0;
                }
                const auto t0 = std::chrono::steady_clock::now();
                for (int i = 0; i < k; ++i) (void)op();
                return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            };
            r.stats = measure(run, timing, stop);
            r.ok = true;
        } catch (const interrupted&) {
            throw;
        } catch (const c10::Error& e) {
            r.error = one_line(std::string("ATen: ") + e.what_without_backtrace());
        } catch (const std::bad_alloc&) {
            r.error = "out of memory";
        }
        return r;
    }

    static void copy_forward(Measured& m, const PhaseResult& f, bool inf, bool train) {
        if (inf) m.fwd_inference = f;
        if (train) m.fwd_training = f;
    }

    static std::vector<std::int64_t> dims_of(const Shape& s) {
        std::vector<std::int64_t> d;
        for (int i = 0; i < s.rank; ++i) d.push_back(s[i]);
        return d;
    }

    void measure_layer(const Conv2DParams& p, bool inf, bool train, const TimingOptions& timing,
                       const std::atomic<bool>* stop, Measured& m) {
        const at::Tensor x = uniform({p.batch, p.in_channels, p.height, p.width});
        Rotating w(uniform({p.out_channels, p.in_channels / p.groups, p.kernel.h, p.kernel.w}), m_cold_bytes);
        const at::Tensor b = p.bias ? uniform({p.out_channels}) : at::Tensor();
        const std::vector<std::int64_t> st{p.stride.h, p.stride.w}, pad{p.padding.h, p.padding.w},
            dil{p.dilation.h, p.dilation.w}, out_pad{0, 0};
        const std::int64_t g = p.groups;
        const PhaseResult f = time(
            "aten::convolution", [&] { return at::convolution(x, w.next(), b, st, pad, dil, false, out_pad, g); }, timing,
            stop);
        copy_forward(m, f, inf, train);
        if (!train || !f.ok) return;
        const Shape o = output_shape(p);
        const at::Tensor dy = uniform({o[0], o[1], o[2], o[3]});
        const std::vector<std::int64_t> bias_sizes{p.out_channels};
        const at::OptionalIntArrayRef bs = p.bias ? at::OptionalIntArrayRef(bias_sizes) : c10::nullopt;
        m.bwd_data = time(
            "aten::convolution_backward(input)",
            [&] {
                return std::get<0>(
                    at::convolution_backward(dy, x, w.next(), bs, st, pad, dil, false, out_pad, g, {true, false, false}));
            },
            timing, stop);
        m.bwd_weights = time(
            "aten::convolution_backward(weight" + std::string(p.bias ? ",bias)" : ")"),
            [&] {
                return std::get<1>(
                    at::convolution_backward(dy, x, w.next(), bs, st, pad, dil, false, out_pad, g, {false, true, p.bias}));
            },
            timing, stop);
    }

    void measure_layer(const DenseParams& p, bool inf, bool train, const TimingOptions& timing,
                       const std::atomic<bool>* stop, Measured& m) {
        const std::int64_t rows = p.batch * p.seq;
        const at::Tensor x = uniform({rows, p.in_features});
        Rotating w(uniform({p.out_features, p.in_features}), m_cold_bytes);
        const at::Tensor b = p.bias ? uniform({p.out_features}) : at::Tensor();
        const PhaseResult f = time(
            p.bias ? "aten::addmm" : "aten::mm",
            [&] { return p.bias ? at::addmm(b, x, w.next().t()) : at::mm(x, w.next().t()); }, timing, stop);
        copy_forward(m, f, inf, train);
        if (!train || !f.ok) return;
        const at::Tensor dy = uniform({rows, p.out_features});
        m.bwd_data = time("aten::mm", [&] { return at::mm(dy, w.next()); }, timing, stop);
        m.bwd_weights = time(
            p.bias ? "aten::mm+aten::sum" : "aten::mm",
            [&] {
                at::Tensor dw = at::mm(dy.t(), x);
                if (p.bias) (void)dy.sum(0);
                return dw;
            },
            timing, stop);
    }

    void measure_layer(const Pool2DParams& p, bool inf, bool train, const TimingOptions& timing,
                       const std::atomic<bool>* stop, Measured& m) {
        const at::Tensor x = uniform({p.batch, p.channels, p.height, p.width});
        const Hw k = effective_kernel(p), s = effective_stride(p);
        const std::vector<std::int64_t> ks{k.h, k.w}, st{s.h, s.w}, pad{p.padding.h, p.padding.w}, dil{1, 1};
        const bool max = p.mode == PoolMode::max;
        Op fwd;
        std::string name;
        if (p.global) {
            name = max ? "aten::adaptive_max_pool2d" : "aten::adaptive_avg_pool2d";
            fwd = [&, max] { return max ? std::get<0>(at::adaptive_max_pool2d(x, {1, 1})) : at::adaptive_avg_pool2d(x, {1, 1}); };
        } else {
            name = max ? "aten::max_pool2d_with_indices" : "aten::avg_pool2d";
            fwd = [&, max] {
                return max ? std::get<0>(at::max_pool2d_with_indices(x, ks, st, pad, dil, p.ceil_mode))
                           : at::avg_pool2d(x, ks, st, pad, p.ceil_mode, p.count_include_pad);
            };
        }
        if (inf) m.fwd_inference = time(name, fwd, timing, stop);
        if (!train) return;
        m.fwd_training = time(name, fwd, timing, stop);
        if (!m.fwd_training.ok) return;
        const Shape o = output_shape(p);
        const at::Tensor dy = uniform({o[0], o[1], o[2], o[3]});
        if (p.global && max) {
            const at::Tensor idx = std::get<1>(at::adaptive_max_pool2d(x, {1, 1}));
            m.bwd_data = time("aten::adaptive_max_pool2d_backward", [&] { return at::adaptive_max_pool2d_backward(dy, x, idx); },
                              timing, stop);
        } else if (p.global) {
            m.bwd_data = time("aten::_adaptive_avg_pool2d_backward", [&] { return at::_adaptive_avg_pool2d_backward(dy, x); },
                              timing, stop);
        } else if (max) {
            const at::Tensor idx = std::get<1>(at::max_pool2d_with_indices(x, ks, st, pad, dil, p.ceil_mode));
            m.bwd_data = time(
                "aten::max_pool2d_with_indices_backward",
                [&] { return at::max_pool2d_with_indices_backward(dy, x, ks, st, pad, dil, p.ceil_mode, idx); }, timing, stop);
        } else {
            m.bwd_data = time(
                "aten::avg_pool2d_backward",
                [&] { return at::avg_pool2d_backward(dy, x, ks, st, pad, p.ceil_mode, p.count_include_pad, c10::nullopt); },
                timing, stop);
        }
    }

    void measure_layer(const BatchNorm2DParams& p, bool inf, bool train, const TimingOptions& timing,
                       const std::atomic<bool>* stop, Measured& m) {
        const at::Tensor x = uniform({p.batch, p.channels, p.height, p.width});
        const at::TensorOptions f32 = at::TensorOptions().dtype(at::kFloat);
        const at::Tensor w = p.affine ? at::rand({p.channels}, f32) : at::Tensor();
        const at::Tensor b = p.affine ? at::rand({p.channels}, f32) : at::Tensor();
        const at::Tensor mean = at::zeros({p.channels}, f32), var = at::ones({p.channels}, f32);
        constexpr double eps = 1e-5, momentum = 0.1;
        if (inf)
            m.fwd_inference = time(
                "aten::batch_norm", [&] { return at::batch_norm(x, w, b, mean, var, false, momentum, eps, true); }, timing, stop);
        if (!train) return;
        m.fwd_training = time(
            "aten::native_batch_norm",
            [&] { return std::get<0>(at::native_batch_norm(x, w, b, mean, var, true, momentum, eps)); }, timing, stop);
        if (!m.fwd_training.ok) return;
        const auto saved = at::native_batch_norm(x, w, b, mean, var, true, momentum, eps);
        const at::Tensor dy = uniform({p.batch, p.channels, p.height, p.width});
        m.bwd_data = time(
            "aten::native_batch_norm_backward",
            [&] {
                return std::get<0>(at::native_batch_norm_backward(dy, x, w, mean, var, std::get<1>(saved), std::get<2>(saved),
                                                                  true, eps, {true, p.affine, p.affine}));
            },
            timing, stop);
    }

    void measure_layer(const ActivationParams& p, bool inf, bool train, const TimingOptions& timing,
                       const std::atomic<bool>* stop, Measured& m) {
        const std::vector<std::int64_t> d = dims_of(p.shape);
        at::Tensor x = uniform(d);
        Op fwd;
        std::string name;
        switch (p.kind) {
            case ActivationKind::relu: name = "aten::relu_"; fwd = [&] { return at::relu_(x); }; break;
            case ActivationKind::relu6: name = "aten::hardtanh_"; fwd = [&] { return at::hardtanh_(x, 0, 6); }; break;
            case ActivationKind::tanh: name = "aten::tanh"; fwd = [&] { return at::tanh(x); }; break;
            case ActivationKind::sigmoid: name = "aten::sigmoid"; fwd = [&] { return at::sigmoid(x); }; break;
            case ActivationKind::gelu: name = "aten::gelu"; fwd = [&] { return at::gelu(x); }; break;
            case ActivationKind::silu: name = "aten::silu"; fwd = [&] { return at::silu(x); }; break;
            case ActivationKind::hardswish: name = "aten::hardswish"; fwd = [&] { return at::hardswish(x); }; break;
            case ActivationKind::gelu_tanh: name = "aten::gelu(tanh)"; fwd = [&] { return at::gelu(x, "tanh"); }; break;
        }
        const PhaseResult f = time(name, fwd, timing, stop);
        copy_forward(m, f, inf, train);
        if (!train || !f.ok) return;
        const at::Tensor y = uniform(d), dy = uniform(d);
        Op bwd;
        switch (p.kind) {
            case ActivationKind::relu: name = "aten::threshold_backward"; bwd = [&] { return at::threshold_backward(dy, y, 0); }; break;
            case ActivationKind::relu6: name = "aten::hardtanh_backward"; bwd = [&] { return at::hardtanh_backward(dy, y, 0, 6); }; break;
            case ActivationKind::tanh: name = "aten::tanh_backward"; bwd = [&] { return at::tanh_backward(dy, y); }; break;
            case ActivationKind::sigmoid: name = "aten::sigmoid_backward"; bwd = [&] { return at::sigmoid_backward(dy, y); }; break;
            case ActivationKind::gelu: name = "aten::gelu_backward"; bwd = [&] { return at::gelu_backward(dy, y); }; break;
            case ActivationKind::silu: name = "aten::silu_backward"; bwd = [&] { return at::silu_backward(dy, y); }; break;
            case ActivationKind::hardswish: name = "aten::hardswish_backward"; bwd = [&] { return at::hardswish_backward(dy, y); }; break;
            case ActivationKind::gelu_tanh: name = "aten::gelu_backward(tanh)"; bwd = [&] { return at::gelu_backward(dy, y, "tanh"); }; break;
        }
        m.bwd_data = time(name, bwd, timing, stop);
    }

    /** @brief A flat vector (a batch-1 matrix): what the sampler draws for parameter tensors. */
    static bool parameter_like(const Shape& s) noexcept { return s.rank == 2 && s[0] == 1; }

    void measure_layer(const AddParams& p, bool inf, bool train, const TimingOptions& timing,
                       const std::atomic<bool>* stop, Measured& m) {
        const std::vector<std::int64_t> d = dims_of(p.shape);
        // parameter tensors (the optimizer's update adds into them) are read cold with --cold-weights,
        // like weights; activations stay in the caches the layer before warmed
        const double cold = parameter_like(p.shape) ? m_cold_bytes : 0.0;
        Rotating acc(uniform(d), cold);
        std::vector<Rotating> others;
        for (std::int64_t i = 1; i < p.inputs; ++i) others.emplace_back(uniform(d), cold);
        const PhaseResult f = time(
            "aten::add_",
            [&] {
                at::Tensor a = acc.next();
                for (Rotating& o : others) a.add_(o.next());
                return a;
            },
            timing, stop);
        copy_forward(m, f, inf, train);
        if (train) m.bwd_data = f;
    }

    void measure_layer(const ConcatParams& p, bool inf, bool train, const TimingOptions& timing,
                       const std::atomic<bool>* stop, Measured& m) {
        std::vector<at::Tensor> parts;
        std::vector<std::pair<std::int64_t, std::int64_t>> ranges;
        for (std::int64_t i = 0, start = 0; i < p.inputs; ++i) {
            const std::int64_t c = i + 1 < p.inputs ? p.channels / p.inputs : p.channels - start;
            parts.push_back(uniform({p.batch, c, p.height, p.width}));
            ranges.emplace_back(start, c);
            start += c;
        }
        const PhaseResult f = time("aten::cat", [&] { return at::cat(parts, 1); }, timing, stop);
        copy_forward(m, f, inf, train);
        if (!train || !f.ok) return;
        const at::Tensor dy = uniform({p.batch, p.channels, p.height, p.width});
        m.bwd_data = time(
            "aten::narrow+contiguous",
            [&] {
                at::Tensor last;
                for (const auto& [start, c] : ranges) last = dy.narrow(1, start, c).contiguous();
                return last;
            },
            timing, stop);
    }

    void measure_layer(const SoftmaxParams& p, bool inf, bool train, const TimingOptions& timing,
                       const std::atomic<bool>* stop, Measured& m) {
        const at::Tensor x = uniform({p.batch, p.features});
        const PhaseResult f = time("aten::_softmax", [&] { return at::_softmax(x, 1, false); }, timing, stop);
        copy_forward(m, f, inf, train);
        if (!train || !f.ok) return;
        const at::Tensor y = at::_softmax(x, 1, false), dy = uniform({p.batch, p.features});
        m.bwd_data = time(
            "aten::_softmax_backward_data", [&] { return at::_softmax_backward_data(dy, y, 1, x.scalar_type()); }, timing, stop);
    }

    void measure_layer(const BatchMatMulParams& p, bool inf, bool train, const TimingOptions& timing,
                       const std::atomic<bool>* stop, Measured& m) {
        const at::Tensor a = uniform({p.batch, p.m, p.k}), b = uniform({p.batch, p.k, p.n});
        const PhaseResult f = time("aten::bmm", [&] { return at::bmm(a, b); }, timing, stop);
        copy_forward(m, f, inf, train);
        if (!train || !f.ok) return;
        const at::Tensor dc = uniform({p.batch, p.m, p.n});
        m.bwd_data = time(
            "aten::bmm(dC*B^T)+aten::bmm(A^T*dC)",
            [&] {
                (void)at::bmm(dc, b.transpose(1, 2));  // dA, then dB returned
                return at::bmm(a.transpose(1, 2), dc);
            },
            timing, stop);
    }

    void measure_layer(const LayerNormParams& p, bool inf, bool train, const TimingOptions& timing,
                       const std::atomic<bool>* stop, Measured& m) {
        const at::Tensor x = uniform({p.batch, p.features});
        const at::Tensor w = p.affine ? uniform({p.features}) : at::Tensor();
        const at::Tensor b = p.affine ? uniform({p.features}) : at::Tensor();
        const std::vector<std::int64_t> shape{p.features};
        constexpr double eps = 1e-5;
        const PhaseResult f = time(
            "aten::native_layer_norm", [&] { return std::get<0>(at::native_layer_norm(x, shape, w, b, eps)); }, timing,
            stop);
        copy_forward(m, f, inf, train);
        if (!train || !f.ok) return;
        const auto saved = at::native_layer_norm(x, shape, w, b, eps);
        const at::Tensor dy = uniform({p.batch, p.features});
        m.bwd_data = time(
            "aten::native_layer_norm_backward",
            [&] {
                return std::get<0>(at::native_layer_norm_backward(dy, x, shape, std::get<1>(saved), std::get<2>(saved), w,
                                                                  b, {true, p.affine, p.affine}));
            },
            timing, stop);
    }

    void measure_layer(const ElementwiseParams& p, bool inf, bool train, const TimingOptions& timing,
                       const std::atomic<bool>* stop, Measured& m) {
        const std::vector<std::int64_t> d = dims_of(p.shape);
        const std::vector<std::int64_t> od = p.other.rank > 0 ? dims_of(p.other) : d;  // a broadcast operand's dims
        const bool pow = p.op == ElementwiseOp::pow;
        const bool broadcast = p.other.rank > 0 && !(p.other == p.shape);
        // a broadcast operand's gradient is reduced to its shape, as autograd does
        const auto reduced = [&](const at::Tensor& g) { return broadcast ? g.sum_to_size(od) : g; };
        // pow of a negative base is NaN for most exponents: positive operands keep it on its ordinary path
        const at::Tensor a = pow ? uniform(d).abs_().add_(0.5) : uniform(d);
        const at::Tensor b = p.scalar ? at::Tensor()
                             : p.op == ElementwiseOp::where ? uniform(od).gt(0.0)  // the boolean mask
                             : pow ? uniform(od).abs_().add_(0.5)
                                   : uniform(od);
        const double s = p.op == ElementwiseOp::mul ? 0.5 : p.op == ElementwiseOp::div ? 2.0 : pow ? 3.0 : 1.0;
        const std::string name = "aten::" + std::string(to_string(p.op)) + (p.scalar ? "(scalar)" : "");
        Op fwd;
        switch (p.op) {
            case ElementwiseOp::add: fwd = [&] { return p.scalar ? at::add(a, s) : at::add(a, b); }; break;
            case ElementwiseOp::sub: fwd = [&] { return p.scalar ? at::sub(a, s) : at::sub(a, b); }; break;
            case ElementwiseOp::mul: fwd = [&] { return p.scalar ? at::mul(a, s) : at::mul(a, b); }; break;
            case ElementwiseOp::div: fwd = [&] { return p.scalar ? at::div(a, s) : at::div(a, b); }; break;
            case ElementwiseOp::pow: fwd = [&] { return p.scalar ? at::pow(a, s) : at::pow(a, b); }; break;
            case ElementwiseOp::where: fwd = [&] { return at::where(b, a, at::Scalar(s)); }; break;
        }
        const PhaseResult f = time(name, fwd, timing, stop);
        copy_forward(m, f, inf, train);
        if (!train || !f.ok) return;
        const at::Tensor dy = uniform(d);
        if (p.scalar && (p.op == ElementwiseOp::add || p.op == ElementwiseOp::sub)) {
            m.bwd_data.ok = m.bwd_data.no_kernel = true;  // autograd hands dy on: no kernel runs
            m.bwd_data.impl = "none(gradient_passes_through)";
            return;
        }
        Op bwd;
        std::string bname;
        switch (p.op) {
            case ElementwiseOp::add:  // with a tensor only when it broadcasts: its gradient is dy reduced
                bname = "aten::sum_to_size";
                bwd = [&] { return reduced(dy); };
                break;
            case ElementwiseOp::sub:
                bname = broadcast ? "aten::neg+sum_to_size" : "aten::neg";
                bwd = [&] { return reduced(at::neg(dy)); };
                break;
            case ElementwiseOp::mul:
                bname = p.scalar ? "aten::mul" : "aten::mul x2";
                bwd = [&] {
                    if (p.scalar) return at::mul(dy, s);
                    (void)at::mul(dy, b);  // dA, then dB returned
                    return reduced(at::mul(dy, a));
                };
                break;
            case ElementwiseOp::div:
                bname = p.scalar ? "aten::div" : "aten::div+(-dy*a/(b*b))";
                bwd = [&] {
                    if (p.scalar) return at::div(dy, s);
                    (void)at::div(dy, b);  // dA, then dB returned
                    return reduced(at::div(at::mul(at::neg(dy), a), at::mul(b, b)));
                };
                break;
            case ElementwiseOp::pow:
                bname = p.scalar ? "dy*s*x**(s-1)" : "dy*b*a**(b-1)+dy*a**b*log(a)";
                bwd = [&] {
                    if (p.scalar) return at::mul(dy, at::mul(at::pow(a, s - 1.0), s));
                    (void)at::mul(dy, at::mul(b, at::pow(a, at::sub(b, 1))));  // dA, then dB returned
                    return reduced(at::mul(dy, at::mul(at::pow(a, b), at::log(a))));
                };
                break;
            case ElementwiseOp::where:
                bname = "aten::where(mask,dy,0)";
                bwd = [&] { return at::where(b, dy, at::Scalar(0.0)); };
                break;
        }
        m.bwd_data = time(bname, bwd, timing, stop);
    }

    template <typename P>
    void measure_layer(const P&, bool, bool, const TimingOptions&, const std::atomic<bool>*, Measured& m) {
        m.fwd_inference.error = m.fwd_training.error = "kind not measured by this harness";
    }

    static double thread_seconds() {
        timespec ts{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
    }

    int m_threads = 0;
    bool m_thread_clock = false;
    double m_cold_bytes = 0;  ///< --cold-weights, bytes
    std::string m_blas_threads;  ///< the BLAS thread call made, for the provenance
    at::ScalarType m_type = at::kFloat;
};

}  // namespace
}  // namespace perfcast::harness

int main(int argc, char** argv) {
    perfcast::harness::TorchBackend backend;
    try {
        return perfcast::harness::run_harness(argc, argv, backend);
    } catch (const std::exception& e) {
        std::cerr << "perfcast-harness-torch: " << e.what() << "\n";
        return 1;
    }
}
