/**
 * @file bench/harness/cpu_onednn.cpp
 * @brief perfcast-harness-cpu: layer timings on a CPU with oneDNN (conv2d, dense, pool2d and
 *        the memory-bound kinds: batchnorm2d, activation, add, concat, softmax).
 *
 * Primitives (oneDNN 2.x API):
 *  - conv2d: convolution_forward (convolution_direct), convolution_backward_data,
 *            convolution_backward_weights (with the bias gradient when the layer has a bias);
 *  - dense:  inner_product_forward, inner_product_backward_data, inner_product_backward_weights;
 *  - pool2d: pooling_forward, pooling_backward (max pooling's backward reads the workspace
 *            its forward_training wrote);
 *  - batchnorm2d: batch_normalization_forward (inference: the stored statistics; training:
 *            the batch's statistics) and batch_normalization_backward (diff_src with the scale
 *            and shift gradients in one primitive, recorded as bwd_data);
 *  - activation: eltwise_forward and eltwise_backward (relu, clip 0..6, tanh, logistic,
 *            gelu_erf, swish, hardswish);
 *  - add:    binary_add of two tensors; its backward, the gradient accumulation where the
 *            branches fork, is the same add, so one measurement serves fwd and bwd_data;
 *  - concat: concat along the channels (the parts split the channels evenly, the last takes
 *            the remainder); backward: the reorders that copy each part's gradient out of the
 *            result's;
 *  - softmax: softmax_forward and softmax_backward over the features.
 * bmm, layernorm and elementwise are not measured here: `--kinds` refuses them (Backend::refuses;
 * perfcast-harness-torch measures them).
 * Layouts: conv2d and dense let oneDNN choose (format_tag::any, the layout a oneDNN-native
 * framework runs in); pool2d runs on channels-last (nhwc) tensors; the memory-bound kinds on
 * plain row-major tensors (nchw, or batch x features), the layout PyTorch's own CPU kernels use. conv2d and dense measure
 * the forward once per configuration (forward_training when a training row is due, else
 * forward_inference: oneDNN runs the same kernel for both) and both rows use it; pool2d
 * measures forward_inference and forward_training separately. Every tensor is filled with
 * uniform values in [-1, 1) before timing.
 */
#include <omp.h>     // omp_set_num_threads
#include <time.h>    // clock_gettime
#include <unistd.h>  // sysconf

#include <chrono>         // steady_clock
#include <cstring>        // memcpy
#include <fstream>        // ifstream
#include <iostream>       // cerr
#include <new>            // bad_alloc
#include <thread>         // hardware_concurrency
#include <unordered_map>  // unordered_map

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#endif
#include <oneapi/dnnl/dnnl.hpp>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#include "driver.hpp"

namespace perfcast::harness {
namespace {

using dnnl::memory;
using dims = memory::dims;
using tag = memory::format_tag;
using dt = memory::data_type;

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

std::string cpu_flags_of_interest() {
    std::ifstream in("/proc/cpuinfo");
    std::string line, out;
    while (std::getline(in, line))
        if (line.rfind("flags", 0) == 0) {
            std::istringstream words(line.substr(line.find(':') + 1));
            std::string w;
            while (words >> w)
                for (const char* f : {"avx2", "fma", "avx512f", "avx512_bf16", "avx512_fp16", "avx512_vnni", "amx_tile",
                                      "amx_bf16", "amx_int8"})
                    if (w == f) out += (out.empty() ? "" : " ") + w;
            break;
        }
    return out.empty() ? "none of avx2/avx512/amx" : out;
}

std::string isa_name(dnnl::cpu_isa isa) {
    switch (isa) {
        case dnnl::cpu_isa::sse41: return "sse41";
        case dnnl::cpu_isa::avx: return "avx";
        case dnnl::cpu_isa::avx2: return "avx2";
        case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
        case dnnl::cpu_isa::avx512_core: return "avx512_core";
        case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
        case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
        case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
        default: return "isa " + std::to_string(static_cast<int>(isa));
    }
}

std::uint16_t to_bf16(float f) {
    std::uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    u += 0x7fffu + ((u >> 16) & 1u);  // round to nearest even
    return static_cast<std::uint16_t>(u >> 16);
}

/** @brief A primitive with its arguments, ready to execute, and the primitives that run after it in
 *  the same phase (concat's backward: one reorder per part). */
struct Exec {
    dnnl::primitive prim;
    std::unordered_map<int, memory> args;
    std::string impl;
    std::vector<std::pair<dnnl::primitive, std::unordered_map<int, memory>>> more{};
    std::vector<memory> keep{};  ///< buffers that views in the arguments point into
    void execute(dnnl::stream& s) {
        prim.execute(s, args);
        for (auto& [p, a] : more) p.execute(s, a);
    }
};

class OnednnBackend final : public Backend {
public:
    std::string harness_name() const override { return "perfcast-harness-cpu"; }

    std::vector<OptionSpec> options() const override {
        return {{"threads", true, "threads oneDNN uses (default: online CPUs)"},
                {"clock", true,
                 "wall (steady_clock) or thread (CPU time of the calling thread: excludes time the OS gave "
                 "to other processes; needs --threads 1) (default wall)"}};
    }
    void set_option(const std::string& name, const std::string& value) override {
        if (name == "threads") {
            m_threads = static_cast<int>(parse_integer(name, value));
            if (m_threads < 1) throw std::invalid_argument("--threads: need >= 1");
        } else if (name == "clock") {
            if (value != "wall" && value != "thread") throw std::invalid_argument("--clock: expected wall or thread");
            m_thread_clock = value == "thread";
        }
    }

    void init() override {
        if (m_threads <= 0) m_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
        if (m_thread_clock && m_threads != 1)
            throw std::invalid_argument("--clock thread needs --threads 1 (other threads' time would be missed)");
        omp_set_num_threads(m_threads);
        m_engine = dnnl::engine(dnnl::engine::kind::cpu, 0);
        m_stream = dnnl::stream(m_engine);
    }

    std::string default_device_id() const override {
        // The registry knows the development VM's CPU; anything else needs --device.
        const std::string model = cpu_model();
        if (model.find("Xeon") != std::string::npos && sysconf(_SC_NPROCESSORS_ONLN) == 2 &&
            cpu_flags_of_interest().find("amx_tile") != std::string::npos)
            return "xeon_spr_2c";
        return "cpu";
    }

    bool supports(DType t) const override { return t == DType::fp32 || t == DType::bf16; }
    std::string refuses(LayerKind k) const override {
        if (k == LayerKind::bmm || k == LayerKind::layernorm || k == LayerKind::elementwise)
            return "this harness has no oneDNN primitive set up for it yet (perfcast-harness-torch measures it)";
        return {};
    }

    std::map<std::string, std::string> provenance() const override {
        const dnnl_version_t* v = dnnl_version();
        std::map<std::string, std::string> p;
        p["backend"] = "oneDNN (CPU engine)";
        p["cpu_model"] = cpu_model();
        p["cpu_flags"] = cpu_flags_of_interest();
        p["cpu_cores_online"] = std::to_string(sysconf(_SC_NPROCESSORS_ONLN));
        p["threads"] = std::to_string(m_threads) + " (OpenMP, omp_set_num_threads)";
        p["onednn_version"] = std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                              std::to_string(v->patch) + " (hash " + (v->hash ? v->hash : "?") + "; cpu runtime " +
                              (v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : std::to_string(v->cpu_runtime)) + ")";
        p["onednn_isa"] = isa_name(dnnl::get_effective_cpu_isa());
        p["layouts"] =
            "conv2d and dense: format_tag::any (oneDNN's choice), convolution_direct; pool2d: nhwc; bias in f32; "
            "batchnorm2d, activation, add, concat, softmax: plain (nchw, or batch x features)";
        p["forward_sharing"] =
            "conv2d/dense: one forward measurement per configuration (forward_training when a training row is due, "
            "else forward_inference) serves both rows; pool2d, batchnorm2d: forward_inference and forward_training "
            "measured apart; activation, concat, softmax: forward_training serves both rows; add: one binary add "
            "serves the forward of both rows and the backward (the gradient accumulation at the fork)";
        p["clock"] = m_thread_clock
                         ? "CLOCK_THREAD_CPUTIME_ID (CPU time of the one thread that runs oneDNN: time the OS gave "
                           "to other processes is left out) around k back-to-back executions and stream.wait()"
                         : "std::chrono::steady_clock around k back-to-back executions and stream.wait()";
        return p;
    }

    Measured run(const Job& job, const TimingOptions& timing, const std::atomic<bool>* stop) override {
        m_rng = SplitMix64(0x5eed0000ULL + job.index);
        m_dt = job.dtype == DType::bf16 ? dt::bf16 : dt::f32;
        bool inf = false, train = false;
        for (Pass p : job.passes) (p == Pass::inference ? inf : train) = true;
        Measured m;
        if (const auto* c = std::get_if<Conv2DParams>(&job.layer)) conv(*c, inf, train, timing, stop, m);
        else if (const auto* d = std::get_if<DenseParams>(&job.layer)) dense(*d, inf, train, timing, stop, m);
        else if (const auto* p = std::get_if<Pool2DParams>(&job.layer)) pool(*p, inf, train, timing, stop, m);
        else if (const auto* b = std::get_if<BatchNorm2DParams>(&job.layer)) batchnorm(*b, inf, train, timing, stop, m);
        else if (const auto* a = std::get_if<ActivationParams>(&job.layer)) activation(*a, inf, train, timing, stop, m);
        else if (const auto* s = std::get_if<AddParams>(&job.layer)) add(*s, inf, train, timing, stop, m);
        else if (const auto* c2 = std::get_if<ConcatParams>(&job.layer)) concat(*c2, inf, train, timing, stop, m);
        else if (const auto* x = std::get_if<SoftmaxParams>(&job.layer)) softmax(*x, inf, train, timing, stop, m);
        else m.fwd_inference.error = m.fwd_training.error = "kind " + std::string(to_string(kind(job.layer))) +
                                                             " not measured by this harness";
        return m;
    }

private:
    memory make(const memory::desc& md) {
        memory mem(md, m_engine);
        const std::size_t bytes = md.get_size();
        if (bytes == 0) return mem;
        auto* p = static_cast<unsigned char*>(mem.get_data_handle());
        const dt type = md.data_type();
        if (type == dt::f32) {
            auto* f = reinterpret_cast<float*>(p);
            for (std::size_t i = 0; i < bytes / 4; ++i) f[i] = static_cast<float>(m_rng.uniform() * 2 - 1);
        } else if (type == dt::bf16) {
            auto* h = reinterpret_cast<std::uint16_t*>(p);
            for (std::size_t i = 0; i < bytes / 2; ++i) h[i] = to_bf16(static_cast<float>(m_rng.uniform() * 2 - 1));
        } else {
            std::memset(p, 0, bytes);
        }
        return mem;
    }

    PhaseResult time(Exec& e, const TimingOptions& timing, const std::atomic<bool>* stop) {
        PhaseResult r;
        r.impl = e.impl;
        try {
            auto run = [&](int k) {
                if (m_thread_clock) {
                    const double t0 = thread_seconds();
                    for (int i = 0; i < k; ++i) e.execute(m_stream);
                    m_stream.wait();
                    return thread_seconds() - t0;
                }
                const auto t0 = std::chrono::steady_clock::now();
                for (int i = 0; i < k; ++i) e.execute(m_stream);
                m_stream.wait();
                return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            };
            r.stats = measure(run, timing, stop);
            r.ok = true;
        } catch (const interrupted&) {
            throw;
        } catch (const dnnl::error& ex) {
            r.error = std::string("oneDNN: ") + ex.what();
        } catch (const std::bad_alloc&) {
            r.error = "out of memory";
        }
        return r;
    }

    /** @brief Builds a phase and times it; a failure to build is that phase's error. */
    template <typename Build>
    PhaseResult phase(Build&& build, const TimingOptions& timing, const std::atomic<bool>* stop) {
        try {
            Exec e = build();
            return time(e, timing, stop);
        } catch (const interrupted&) {
            throw;
        } catch (const dnnl::error& ex) {
            PhaseResult r;
            r.error = std::string(ex.status == dnnl_unimplemented ? "unsupported by oneDNN: " : "oneDNN: ") + ex.what();
            return r;
        } catch (const std::bad_alloc&) {
            PhaseResult r;
            r.error = "out of memory";
            return r;
        }
    }

    static void copy_forward(Measured& m, const PhaseResult& f, bool inf, bool train) {
        if (inf) m.fwd_inference = f;
        if (train) m.fwd_training = f;
    }

    void conv(const Conv2DParams& p, bool inf, bool train, const TimingOptions& timing, const std::atomic<bool>* stop,
              Measured& m) {
        const Shape o = output_shape(p);
        const dims src{p.batch, p.in_channels, p.height, p.width}, dst{p.batch, p.out_channels, o[2], o[3]};
        const dims wei = p.groups > 1 ? dims{p.groups, p.out_channels / p.groups, p.in_channels / p.groups, p.kernel.h,
                                             p.kernel.w}
                                      : dims{p.out_channels, p.in_channels, p.kernel.h, p.kernel.w};
        const dims bias{p.out_channels}, strides{p.stride.h, p.stride.w},
            dil{p.dilation.h - 1, p.dilation.w - 1}, pad{p.padding.h, p.padding.w};
        auto any = [&](const dims& d) { return memory::desc(d, m_dt, tag::any); };
        const memory::desc bias_md = p.bias ? memory::desc(bias, dt::f32, tag::a) : memory::desc();
        const auto alg = dnnl::algorithm::convolution_direct;
        using fwd_t = dnnl::convolution_forward;

        fwd_t::primitive_desc fwd_pd;
        PhaseResult f = phase(
            [&] {
                const auto prop = train ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
                fwd_pd = fwd_t::primitive_desc(
                    fwd_t::desc(prop, alg, any(src), any(wei), bias_md, any(dst), strides, dil, pad, pad), m_engine);
                Exec e{fwd_t(fwd_pd), {}, fwd_pd.impl_info_str()};
                e.args[DNNL_ARG_SRC] = make(fwd_pd.src_desc());
                e.args[DNNL_ARG_WEIGHTS] = make(fwd_pd.weights_desc());
                if (p.bias) e.args[DNNL_ARG_BIAS] = make(fwd_pd.bias_desc());
                e.args[DNNL_ARG_DST] = make(fwd_pd.dst_desc());
                return e;
            },
            timing, stop);
        copy_forward(m, f, inf, train);
        if (!train || !f.ok) return;

        m.bwd_data = phase(
            [&] {
                using bd_t = dnnl::convolution_backward_data;
                bd_t::primitive_desc pd(bd_t::desc(alg, any(src), any(wei), any(dst), strides, dil, pad, pad), m_engine,
                                        fwd_pd);
                Exec e{bd_t(pd), {}, pd.impl_info_str()};
                e.args[DNNL_ARG_DIFF_DST] = make(pd.diff_dst_desc());
                e.args[DNNL_ARG_WEIGHTS] = make(pd.weights_desc());
                e.args[DNNL_ARG_DIFF_SRC] = make(pd.diff_src_desc());
                return e;
            },
            timing, stop);
        m.bwd_weights = phase(
            [&] {
                using bw_t = dnnl::convolution_backward_weights;
                bw_t::primitive_desc pd(
                    bw_t::desc(alg, any(src), any(wei), bias_md, any(dst), strides, dil, pad, pad), m_engine, fwd_pd);
                Exec e{bw_t(pd), {}, pd.impl_info_str()};
                e.args[DNNL_ARG_SRC] = make(pd.src_desc());
                e.args[DNNL_ARG_DIFF_DST] = make(pd.diff_dst_desc());
                e.args[DNNL_ARG_DIFF_WEIGHTS] = make(pd.diff_weights_desc());
                if (p.bias) e.args[DNNL_ARG_DIFF_BIAS] = make(pd.diff_bias_desc());
                return e;
            },
            timing, stop);
    }

    void dense(const DenseParams& p, bool inf, bool train, const TimingOptions& timing, const std::atomic<bool>* stop,
               Measured& m) {
        const std::int64_t rows = p.batch * p.seq;
        const dims src{rows, p.in_features}, wei{p.out_features, p.in_features}, dst{rows, p.out_features},
            bias{p.out_features};
        auto any = [&](const dims& d) { return memory::desc(d, m_dt, tag::any); };
        const memory::desc bias_md = p.bias ? memory::desc(bias, dt::f32, tag::a) : memory::desc();
        using fwd_t = dnnl::inner_product_forward;

        fwd_t::primitive_desc fwd_pd;
        PhaseResult f = phase(
            [&] {
                const auto prop = train ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
                fwd_pd = fwd_t::primitive_desc(fwd_t::desc(prop, any(src), any(wei), bias_md, any(dst)), m_engine);
                Exec e{fwd_t(fwd_pd), {}, fwd_pd.impl_info_str()};
                e.args[DNNL_ARG_SRC] = make(fwd_pd.src_desc());
                e.args[DNNL_ARG_WEIGHTS] = make(fwd_pd.weights_desc());
                if (p.bias) e.args[DNNL_ARG_BIAS] = make(fwd_pd.bias_desc());
                e.args[DNNL_ARG_DST] = make(fwd_pd.dst_desc());
                return e;
            },
            timing, stop);
        copy_forward(m, f, inf, train);
        if (!train || !f.ok) return;

        m.bwd_data = phase(
            [&] {
                using bd_t = dnnl::inner_product_backward_data;
                bd_t::primitive_desc pd(bd_t::desc(any(src), any(wei), any(dst)), m_engine, fwd_pd);
                Exec e{bd_t(pd), {}, pd.impl_info_str()};
                e.args[DNNL_ARG_DIFF_DST] = make(pd.diff_dst_desc());
                e.args[DNNL_ARG_WEIGHTS] = make(pd.weights_desc());
                e.args[DNNL_ARG_DIFF_SRC] = make(pd.diff_src_desc());
                return e;
            },
            timing, stop);
        m.bwd_weights = phase(
            [&] {
                using bw_t = dnnl::inner_product_backward_weights;
                bw_t::primitive_desc pd(p.bias ? bw_t::desc(any(src), any(wei), bias_md, any(dst))
                                               : bw_t::desc(any(src), any(wei), any(dst)),
                                        m_engine, fwd_pd);
                Exec e{bw_t(pd), {}, pd.impl_info_str()};
                e.args[DNNL_ARG_SRC] = make(pd.src_desc());
                e.args[DNNL_ARG_DIFF_DST] = make(pd.diff_dst_desc());
                e.args[DNNL_ARG_DIFF_WEIGHTS] = make(pd.diff_weights_desc());
                if (p.bias) e.args[DNNL_ARG_DIFF_BIAS] = make(pd.diff_bias_desc());
                return e;
            },
            timing, stop);
    }

    void pool(const Pool2DParams& p, bool inf, bool train, const TimingOptions& timing, const std::atomic<bool>* stop,
              Measured& m) {
        const Shape o = output_shape(p);
        const Hw k = effective_kernel(p), s = effective_stride(p);
        const Hw pad = p.global ? Hw{0} : p.padding;
        const dims src{p.batch, p.channels, p.height, p.width}, dst{p.batch, p.channels, o[2], o[3]};
        const dims strides{s.h, s.w}, kernel{k.h, k.w}, pl{pad.h, pad.w};
        // floor mode: symmetric padding; PyTorch's ceil_mode grows the right padding to keep the last window
        const dims pr = p.ceil_mode ? dims{(o[2] - 1) * s.h + k.h - p.height - pad.h, (o[3] - 1) * s.w + k.w - p.width - pad.w}
                                    : dims{pad.h, pad.w};
        const auto alg = p.mode == PoolMode::max ? dnnl::algorithm::pooling_max
                         : p.count_include_pad  ? dnnl::algorithm::pooling_avg_include_padding
                                                : dnnl::algorithm::pooling_avg_exclude_padding;
        const memory::desc src_md(src, m_dt, tag::nhwc), dst_md(dst, m_dt, tag::nhwc);
        using fwd_t = dnnl::pooling_forward;
        auto forward = [&](dnnl::prop_kind prop, fwd_t::primitive_desc* pd_out) {
            return [&, prop, pd_out] {
                *pd_out = fwd_t::primitive_desc(fwd_t::desc(prop, alg, src_md, dst_md, strides, kernel, pl, pr), m_engine);
                Exec e{fwd_t(*pd_out), {}, pd_out->impl_info_str()};
                e.args[DNNL_ARG_SRC] = make(pd_out->src_desc());
                e.args[DNNL_ARG_DST] = make(pd_out->dst_desc());
                if (prop == dnnl::prop_kind::forward_training && p.mode == PoolMode::max)
                    e.args[DNNL_ARG_WORKSPACE] = make(pd_out->workspace_desc());
                return e;
            };
        };
        fwd_t::primitive_desc inf_pd, train_pd;
        if (inf) m.fwd_inference = phase(forward(dnnl::prop_kind::forward_inference, &inf_pd), timing, stop);
        if (!train) return;
        // forward_training is kept to hand its workspace (max pooling's argmax) to the backward pass
        Exec fwd_exec;
        m.fwd_training = phase(
            [&] {
                fwd_exec = forward(dnnl::prop_kind::forward_training, &train_pd)();
                return fwd_exec;
            },
            timing, stop);
        if (!m.fwd_training.ok) return;
        m.bwd_data = phase(
            [&] {
                using bd_t = dnnl::pooling_backward;
                bd_t::primitive_desc pd(bd_t::desc(alg, src_md, dst_md, strides, kernel, pl, pr), m_engine, train_pd);
                Exec e{bd_t(pd), {}, pd.impl_info_str()};
                e.args[DNNL_ARG_DIFF_DST] = make(pd.diff_dst_desc());
                e.args[DNNL_ARG_DIFF_SRC] = make(pd.diff_src_desc());
                if (p.mode == PoolMode::max) e.args[DNNL_ARG_WORKSPACE] = fwd_exec.args.at(DNNL_ARG_WORKSPACE);
                return e;
            },
            timing, stop);
    }

    /** @brief Plain row-major layout of a tensor of rank 1 to 4. */
    static memory::desc plain(const dims& d, dt type) {
        static constexpr std::array<tag, 5> tags{tag::undef, tag::a, tag::ab, tag::abc, tag::abcd};
        return memory::desc(d, type, tags.at(d.size()));
    }
    static dims dims_of(const Shape& sh) {
        dims d;
        for (int i = 0; i < sh.rank; ++i) d.push_back(sh[i]);
        return d;
    }

    void batchnorm(const BatchNorm2DParams& p, bool inf, bool train, const TimingOptions& timing,
                   const std::atomic<bool>* stop, Measured& m) {
        using fwd_t = dnnl::batch_normalization_forward;
        using flags = dnnl::normalization_flags;
        const memory::desc md = plain({p.batch, p.channels, p.height, p.width}, m_dt);
        const flags affine = p.affine ? flags::use_scale | flags::use_shift : flags::none;
        constexpr float eps = 1e-5f;
        auto forward = [&](dnnl::prop_kind prop, fwd_t::primitive_desc* pd) {
            return [&, prop, pd] {
                const bool global = prop == dnnl::prop_kind::forward_inference;
                *pd = fwd_t::primitive_desc(fwd_t::desc(prop, md, eps, global ? affine | flags::use_global_stats : affine),
                                            m_engine);
                Exec e{fwd_t(*pd), {}, pd->impl_info_str()};
                e.args[DNNL_ARG_SRC] = make(pd->src_desc());
                e.args[DNNL_ARG_DST] = make(pd->dst_desc());
                e.args[DNNL_ARG_MEAN] = make(pd->mean_desc());
                e.args[DNNL_ARG_VARIANCE] = make(pd->variance_desc());
                if (global) e.args[DNNL_ARG_VARIANCE] = positive(pd->variance_desc());
                if (p.affine) {
                    e.args[DNNL_ARG_SCALE] = make(memory::desc({p.channels}, dt::f32, tag::a));
                    e.args[DNNL_ARG_SHIFT] = make(memory::desc({p.channels}, dt::f32, tag::a));
                }
                return e;
            };
        };
        fwd_t::primitive_desc inf_pd, train_pd;
        if (inf) m.fwd_inference = phase(forward(dnnl::prop_kind::forward_inference, &inf_pd), timing, stop);
        if (!train) return;
        Exec fwd_exec;
        m.fwd_training = phase(
            [&] {
                fwd_exec = forward(dnnl::prop_kind::forward_training, &train_pd)();
                return fwd_exec;
            },
            timing, stop);
        if (!m.fwd_training.ok) return;
        m.bwd_data = phase(
            [&] {
                using bwd_t = dnnl::batch_normalization_backward;
                bwd_t::primitive_desc pd(bwd_t::desc(p.affine ? dnnl::prop_kind::backward : dnnl::prop_kind::backward_data,
                                                     md, md, eps, affine),
                                         m_engine, train_pd);
                Exec e{bwd_t(pd), {}, pd.impl_info_str()};
                for (int arg : {DNNL_ARG_SRC, DNNL_ARG_MEAN, DNNL_ARG_VARIANCE}) e.args[arg] = fwd_exec.args.at(arg);
                e.args[DNNL_ARG_DIFF_DST] = make(pd.diff_dst_desc());
                e.args[DNNL_ARG_DIFF_SRC] = make(pd.diff_src_desc());
                if (p.affine) {
                    e.args[DNNL_ARG_SCALE] = fwd_exec.args.at(DNNL_ARG_SCALE);
                    e.args[DNNL_ARG_SHIFT] = fwd_exec.args.at(DNNL_ARG_SHIFT);
                    e.args[DNNL_ARG_DIFF_SCALE] = make(memory::desc({p.channels}, dt::f32, tag::a));
                    e.args[DNNL_ARG_DIFF_SHIFT] = make(memory::desc({p.channels}, dt::f32, tag::a));
                }
                return e;
            },
            timing, stop);
    }

    static dnnl::algorithm eltwise_algorithm(ActivationKind k, float& alpha, float& beta) {
        alpha = 0;
        beta = 0;
        switch (k) {
            case ActivationKind::relu: return dnnl::algorithm::eltwise_relu;
            case ActivationKind::relu6: beta = 6; return dnnl::algorithm::eltwise_clip;
            case ActivationKind::tanh: return dnnl::algorithm::eltwise_tanh;
            case ActivationKind::sigmoid: return dnnl::algorithm::eltwise_logistic;
            case ActivationKind::gelu: return dnnl::algorithm::eltwise_gelu_erf;
            case ActivationKind::silu: alpha = 1; return dnnl::algorithm::eltwise_swish;
            case ActivationKind::hardswish: return dnnl::algorithm::eltwise_hardswish;
            case ActivationKind::gelu_tanh: return dnnl::algorithm::eltwise_gelu_tanh;
        }
        return dnnl::algorithm::eltwise_relu;
    }

    void activation(const ActivationParams& p, bool inf, bool train, const TimingOptions& timing,
                    const std::atomic<bool>* stop, Measured& m) {
        using fwd_t = dnnl::eltwise_forward;
        const memory::desc md = plain(dims_of(p.shape), m_dt);
        float alpha = 0, beta = 0;
        const auto alg = eltwise_algorithm(p.kind, alpha, beta);
        fwd_t::primitive_desc fwd_pd;
        Exec fwd_exec;
        PhaseResult f = phase(
            [&] {
                const auto prop = train ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
                fwd_pd = fwd_t::primitive_desc(fwd_t::desc(prop, alg, md, alpha, beta), m_engine);
                fwd_exec = Exec{fwd_t(fwd_pd), {}, fwd_pd.impl_info_str()};
                fwd_exec.args[DNNL_ARG_SRC] = make(fwd_pd.src_desc());
                fwd_exec.args[DNNL_ARG_DST] = make(fwd_pd.dst_desc());
                return fwd_exec;
            },
            timing, stop);
        copy_forward(m, f, inf, train);
        if (!train || !f.ok) return;
        m.bwd_data = phase(
            [&] {
                using bwd_t = dnnl::eltwise_backward;
                bwd_t::primitive_desc pd(bwd_t::desc(alg, md, md, alpha, beta), m_engine, fwd_pd);
                Exec e{bwd_t(pd), {}, pd.impl_info_str()};
                e.args[DNNL_ARG_SRC] = fwd_exec.args.at(DNNL_ARG_SRC);
                e.args[DNNL_ARG_DIFF_DST] = make(pd.diff_dst_desc());
                e.args[DNNL_ARG_DIFF_SRC] = make(pd.diff_src_desc());
                return e;
            },
            timing, stop);
    }

    void add(const AddParams& p, bool inf, bool train, const TimingOptions& timing, const std::atomic<bool>* stop,
             Measured& m) {
        const memory::desc md = plain(dims_of(p.shape), m_dt);
        PhaseResult f = phase(
            [&] {
                if (p.inputs != 2) {  // n-ary sums: the sum primitive
                    std::vector<float> scales(static_cast<std::size_t>(p.inputs), 1.0f);
                    std::vector<memory::desc> srcs(static_cast<std::size_t>(p.inputs), md);
                    dnnl::sum::primitive_desc pd(md, scales, srcs, m_engine);
                    Exec e{dnnl::sum(pd), {}, pd.impl_info_str()};
                    for (int i = 0; i < static_cast<int>(p.inputs); ++i) e.args[DNNL_ARG_MULTIPLE_SRC + i] = make(md);
                    e.args[DNNL_ARG_DST] = make(pd.dst_desc());
                    return e;
                }
                dnnl::binary::primitive_desc pd(dnnl::binary::desc(dnnl::algorithm::binary_add, md, md, md), m_engine);
                Exec e{dnnl::binary(pd), {}, pd.impl_info_str()};
                e.args[DNNL_ARG_SRC_0] = make(md);
                e.args[DNNL_ARG_SRC_1] = make(md);
                e.args[DNNL_ARG_DST] = make(md);
                return e;
            },
            timing, stop);
        copy_forward(m, f, inf, train);
        if (train) m.bwd_data = f;
    }

    void concat(const ConcatParams& p, bool inf, bool train, const TimingOptions& timing, const std::atomic<bool>* stop,
                Measured& m) {
        const memory::desc dst_md = plain({p.batch, p.channels, p.height, p.width}, m_dt);
        std::vector<memory::desc> parts;
        std::vector<std::int64_t> offsets;
        for (std::int64_t i = 0, start = 0; i < p.inputs; ++i) {
            const std::int64_t c = i + 1 < p.inputs ? p.channels / p.inputs : p.channels - start;
            parts.push_back(plain({p.batch, c, p.height, p.width}, m_dt));
            offsets.push_back(start);
            start += c;
        }
        PhaseResult f = phase(
            [&] {
                dnnl::concat::primitive_desc pd(dst_md, 1, parts, m_engine);
                Exec e{dnnl::concat(pd), {}, pd.impl_info_str()};
                for (std::size_t i = 0; i < parts.size(); ++i)
                    e.args[DNNL_ARG_MULTIPLE_SRC + static_cast<int>(i)] = make(parts[i]);
                e.args[DNNL_ARG_DST] = make(pd.dst_desc());
                return e;
            },
            timing, stop);
        copy_forward(m, f, inf, train);
        if (!train || !f.ok) return;
        m.bwd_data = phase(
            [&] {
                const memory diff_dst = make(dst_md);
                Exec e;
                for (std::size_t i = 0; i < parts.size(); ++i) {
                    const memory::desc sub = dst_md.submemory_desc(parts[i].dims(), {0, offsets[i], 0, 0});
                    dnnl::reorder::primitive_desc pd(m_engine, sub, m_engine, parts[i]);
                    std::unordered_map<int, memory> args{{DNNL_ARG_FROM, memory(sub, m_engine, diff_dst.get_data_handle())},
                                                         {DNNL_ARG_TO, make(parts[i])}};
                    if (i == 0) e = Exec{dnnl::reorder(pd), std::move(args), pd.impl_info_str()};
                    else e.more.emplace_back(dnnl::reorder(pd), std::move(args));
                }
                e.keep.push_back(diff_dst);
                return e;
            },
            timing, stop);
    }

    void softmax(const SoftmaxParams& p, bool inf, bool train, const TimingOptions& timing, const std::atomic<bool>* stop,
                 Measured& m) {
        using fwd_t = dnnl::softmax_forward;
        const memory::desc md = plain({p.batch, p.features}, m_dt);
        fwd_t::primitive_desc fwd_pd;
        Exec fwd_exec;
        PhaseResult f = phase(
            [&] {
                const auto prop = train ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
                fwd_pd = fwd_t::primitive_desc(fwd_t::desc(prop, md, 1), m_engine);
                fwd_exec = Exec{fwd_t(fwd_pd), {}, fwd_pd.impl_info_str()};
                fwd_exec.args[DNNL_ARG_SRC] = make(fwd_pd.src_desc());
                fwd_exec.args[DNNL_ARG_DST] = make(fwd_pd.dst_desc());
                return fwd_exec;
            },
            timing, stop);
        copy_forward(m, f, inf, train);
        if (!train || !f.ok) return;
        m.bwd_data = phase(
            [&] {
                using bwd_t = dnnl::softmax_backward;
                bwd_t::primitive_desc pd(bwd_t::desc(md, md, 1), m_engine, fwd_pd);
                Exec e{bwd_t(pd), {}, pd.impl_info_str()};
                e.args[DNNL_ARG_DST] = fwd_exec.args.at(DNNL_ARG_DST);
                e.args[DNNL_ARG_DIFF_DST] = make(pd.diff_dst_desc());
                e.args[DNNL_ARG_DIFF_SRC] = make(pd.diff_src_desc());
                return e;
            },
            timing, stop);
    }

    /** @brief A tensor of values in [0.5, 1.5): variances must be positive. */
    memory positive(const memory::desc& md) {
        memory mem(md, m_engine);
        auto* f = static_cast<float*>(mem.get_data_handle());
        for (std::size_t i = 0; i < md.get_size() / sizeof(float); ++i) f[i] = static_cast<float>(m_rng.uniform() + 0.5);
        return mem;
    }

    static double thread_seconds() {
        timespec ts{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
    }

    int m_threads = 0;
    bool m_thread_clock = false;
    dnnl::engine m_engine;
    dnnl::stream m_stream;
    SplitMix64 m_rng{0};
    dt m_dt = dt::f32;
};

}  // namespace
}  // namespace perfcast::harness

int main(int argc, char** argv) {
    perfcast::harness::OnednnBackend backend;
    try {
        return perfcast::harness::run_harness(argc, argv, backend);
    } catch (const std::exception& e) {
        std::cerr << "perfcast-harness-cpu: " << e.what() << "\n";
        return 1;
    }
}
