/**
 * @file bench/harness/driver.hpp
 * @brief What the CPU and GPU harnesses share: the command line, the configuration list,
 *        one Google Benchmark per configuration registered at run time, and a reporter that
 *        appends each finished row to the dataset file and shows progress.
 *
 * A backend measures phases; the driver turns them into rows:
 *  - inference row: the forward phase's median;
 *  - training row:  forward + backward_data + backward_weights medians summed (only conv2d and
 *    dense measure backward_weights apart; the other kinds, pooling, bmm, the element-wise ones,
 *    have no weights, or compute their scale and shift gradients in the backward_data call, as
 *    batch and layer norm do); spread = summed IQRs / summed medians; samples = the fewest timed
 *    samples of its phases; a phase that runs no kernel (PhaseResult::no_kernel: an add of a scalar's
 *    gradient, which autograd hands on) adds nothing; a phase that fails makes the row a failure row.
 */
#pragma once

#include <signal.h>       // sigaction
#include <sys/utsname.h>  // uname
#include <unistd.h>       // isatty

#include <algorithm>  // min, max
#include <atomic>     // atomic
#include <chrono>     // system_clock, steady_clock
#include <cstdio>     // fprintf, snprintf
#include <cstdlib>    // _Exit, strtod
#include <ctime>      // gmtime_r, strftime
#include <fstream>    // ifstream
#include <iostream>   // cerr
#include <map>        // map
#include <memory>     // unique_ptr
#include <optional>   // optional
#include <sstream>    // ostringstream
#include <stdexcept>  // invalid_argument, runtime_error
#include <string>     // string
#include <vector>     // vector

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wconversion"
#endif
#include <benchmark/benchmark.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#include "sampler.hpp"  // SamplerOptions, sample, shard, short_name
#include "sink.hpp"     // DatasetSink
#include "timing.hpp"   // TimingOptions, Stats, measure

namespace perfcast::harness {

inline constexpr std::string_view harness_version = "0.1.0";

/** @brief Set by SIGINT/SIGTERM: the sweep finishes the row in hand (or drops it) and stops. */
inline std::atomic<bool> g_stop{false};

// ---------------------------------------------------------------------------------------
// what a backend measures
// ---------------------------------------------------------------------------------------

/** @brief A failure after which the backend cannot go on (a broken CUDA context): the sweep stops
 *  without writing the job's rows, and a rerun resumes. */
struct fatal_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/** @brief One configuration in one precision, and the passes still to measure. */
struct Job {
    std::size_t index = 0;  ///< position in the configuration list
    Layer layer;
    DType dtype = DType::fp32;
    std::vector<Pass> passes;
    std::string name;
};

/** @brief One phase's outcome: a measurement, or why there is none. */
struct PhaseResult {
    bool ok = false;
    bool no_kernel = false;  ///< ok, and the phase runs no kernel (autograd hands the gradient on): adds nothing
    Stats stats;
    std::string impl;   ///< the implementation or algorithm that ran (for the source column)
    std::string error;  ///< when !ok
};

/** @brief The phases a job needs: inference uses fwd_inference, training the other three. */
struct Measured {
    PhaseResult fwd_inference, fwd_training, bwd_data, bwd_weights;
};

/** @brief A command-line option a backend adds. */
struct OptionSpec {
    std::string name;  ///< without the leading dashes
    bool takes_value = true;
    std::string help;
};

class Backend {
public:
    virtual ~Backend() = default;
    virtual std::string harness_name() const = 0;           ///< "perfcast-harness-cpu"
    virtual std::vector<OptionSpec> options() const { return {}; }
    virtual void set_option(const std::string& name, const std::string& value) = 0;
    /** @brief Opens the device (after the options are set); throws when it cannot. */
    virtual void init() = 0;
    virtual std::string default_device_id() const = 0;
    virtual std::map<std::string, std::string> provenance() const = 0;
    virtual bool supports(DType) const = 0;
    /** @brief Why this backend does not measure a kind (empty: it does); `--kinds` refuses such a kind with it. */
    virtual std::string refuses(LayerKind) const { return {}; }
    /** @brief Measures the phases `passes` need; errors go into the PhaseResults, `interrupted` propagates. */
    virtual Measured run(const Job& job, const TimingOptions& timing, const std::atomic<bool>* stop) = 0;
};

// ---------------------------------------------------------------------------------------
// small helpers
// ---------------------------------------------------------------------------------------

inline std::string one_line(std::string s) {
    for (char& c : s)
        if (c == '\n' || c == '\r') c = ' ';
    return s;
}

inline std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
        if (c == sep) {
            out.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    out.push_back(cur);
    return out;
}

inline std::string utc_now() {
    const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

inline std::string load_average() {
    std::ifstream in("/proc/loadavg");
    std::string a, b, c;
    if (!(in >> a >> b >> c)) return "unknown";
    return a + " " + b + " " + c + " (1, 5, 15 min)";
}

inline std::string os_description() {
    utsname u{};
    if (uname(&u) != 0) return "unknown";
    return std::string(u.sysname) + " " + u.release + " " + u.machine;
}

inline std::string format_duration(double seconds) {
    if (!(seconds >= 0) || seconds > 1e7) return "?";
    const auto s = static_cast<long long>(seconds + 0.5);
    char buf[32];
    if (s >= 3600) std::snprintf(buf, sizeof buf, "%lldh%02lldm", s / 3600, (s / 60) % 60);
    else std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
    return buf;
}

inline double parse_number(const std::string& flag, const std::string& v) {
    char* end = nullptr;
    const double d = std::strtod(v.c_str(), &end);
    if (v.empty() || end != v.c_str() + v.size()) throw std::invalid_argument("--" + flag + ": expected a number (got \"" + v + "\")");
    return d;
}

inline std::int64_t parse_integer(const std::string& flag, const std::string& v) {
    const double d = parse_number(flag, v);
    if (d != static_cast<double>(static_cast<std::int64_t>(d)) || d < 0)
        throw std::invalid_argument("--" + flag + ": expected a non-negative integer (got \"" + v + "\")");
    return static_cast<std::int64_t>(d);
}

// ---------------------------------------------------------------------------------------
// rows from phases
// ---------------------------------------------------------------------------------------

inline bool has_weights(const Layer& l) { return kind(l) == LayerKind::conv2d || kind(l) == LayerKind::dense; }

/** @brief The rows of one job, one per pass in job.passes. */
inline std::vector<Sample> make_rows(const Job& job, const Measured& m, const std::string& device,
                                     const std::string& source_prefix) {
    std::vector<Sample> rows;
    for (Pass pass : job.passes) {
        Sample s;
        s.layer = job.layer;
        s.pass = pass;
        s.dtype = job.dtype;
        s.device = device;
        std::vector<std::pair<const char*, const PhaseResult*>> phases;
        if (pass == Pass::inference) {
            phases = {{"fwd", &m.fwd_inference}};
        } else {
            phases = {{"fwd", &m.fwd_training}, {"bwd_data", &m.bwd_data}};
            if (has_weights(job.layer)) phases.push_back({"bwd_weights", &m.bwd_weights});
        }
        std::string source = source_prefix;
        double median = 0, iqr = 0;
        int samples = 0;
        for (const auto& [name, r] : phases) {
            if (r->ok && r->no_kernel) {
                source += std::string(" ") + name + "=" + r->impl;
                continue;
            }
            if (!r->ok) {
                s.error = one_line(std::string(name) + ": " + (r->error.empty() ? "not measured" : r->error));
                break;
            }
            median += r->stats.median_us;
            iqr += r->stats.q3_us - r->stats.q1_us;
            samples = samples == 0 ? r->stats.samples : std::min(samples, r->stats.samples);
            source += std::string(" ") + name + "=" + r->impl;
        }
        if (s.error.empty()) {
            s.time_us = median;
            s.spread = median > 0 ? iqr / median : 0;
            s.samples = samples;
        }
        s.source = one_line(source);
        rows.push_back(std::move(s));
    }
    return rows;
}

// ---------------------------------------------------------------------------------------
// options
// ---------------------------------------------------------------------------------------

struct Options {
    std::string out;
    std::vector<Pass> passes{Pass::inference, Pass::training};
    std::vector<DType> dtypes{DType::fp32};
    SamplerOptions sampler;
    TimingOptions timing;
    std::size_t shard_index = 0, shard_count = 1;
    std::string device;  ///< empty: the backend's
    bool list = false;
    bool quiet = false;
    long long crash_after = -1;  ///< testing aid: die mid-row after this many rows
};

inline void print_usage(const std::string& prog, const Backend& b) {
    std::cout
        << "usage: " << prog << " --out FILE.csv [options] [--benchmark_* flags]\n"
        << "Measures layer timings and appends them to a perfcast dataset (resumable: rerun the same\n"
           "command after an interruption and it continues where it stopped).\n\n"
           "what to measure:\n"
           "  --kinds LIST         conv2d,dense,pool2d (the default), batchnorm2d,activation,add,concat,softmax,\n"
           "                       bmm,layernorm,elementwise; memory = the memory-bound kinds the backend measures\n"
           "                       (batchnorm2d, activation, add, concat, softmax, layernorm, elementwise)\n"
           "  --weights LIST       relative share of each kind (default 0.6,0.25,0.15, 0.2 for the others)\n"
           "  --passes LIST        inference,training (default both)\n"
           "  --dtype LIST         fp32,tf32,fp16,bf16 as the backend supports (default fp32)\n"
           "  --count N            configurations (default 1000); --count 12 extends --count 6\n"
           "  --seed S             sampler seed (default 1)\n"
           "  --sampling MODE      grid | random | mixed (default mixed)\n"
           "  --grid-fraction F    mixed: share of grid draws (default 0.5)\n"
           "  --max-flops X        forward FLOPs cap (default 2e9)\n"
           "  --min-flops X        forward FLOPs floor (default 0)\n"
           "  --max-bytes X        tensors + gradients cap in bytes (default 1073741824)\n"
           "  --max-batch N, --max-image N, --max-channels N, --max-features N, --max-kernel N\n"
           "                       upper ends of the random ranges (64, 256, 2048, 16384, 11)\n"
           "  --group-fraction F   share of grouped/depthwise random conv draws (default 0)\n"
           "  --shard i/n          measure every n-th configuration starting at i (one --out per shard)\n"
           "timing:\n"
           "  --budget-ms X        timed-sample budget per phase (default 100)\n"
           "  --warmup-ms X        warm-up per phase (default 10)\n"
           "  --max-spread F       stop once IQR/median <= F (default 0.02)\n"
           "  --min-samples N      (default 5)   --max-samples N (default 2000)\n"
           "  --min-sample-us X    batch executions so one sample lasts this long (default 100)\n"
           "output:\n"
           "  --out FILE           dataset CSV (created, or resumed)\n"
           "  --device ID          device id for the device column (default: detected)\n"
           "  --list               print the configurations and exit\n"
           "  --quiet              no progress lines\n"
           "  --crash-after N      testing aid: die mid-write after N rows, as a crash would\n";
    const auto extra = b.options();
    if (!extra.empty()) {
        std::cout << "backend:\n";
        for (const auto& o : extra) {
            std::string flag = "--" + o.name + (o.takes_value ? " X" : "");
            flag.resize(std::max<std::size_t>(flag.size() + 1, 21), ' ');
            std::cout << "  " << flag << o.help << "\n";
        }
    }
    std::cout << "Google Benchmark's flags pass through (--benchmark_filter=REGEX, --benchmark_out=FILE.json, ...).\n";
}

/** @brief Parses what Google Benchmark left in argv. @throws std::invalid_argument */
inline Options parse_options(int argc, char** argv, Backend& backend) {
    Options o;
    const auto extra = backend.options();
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg.rfind("--", 0) != 0) throw std::invalid_argument("unexpected argument \"" + arg + "\"");
        std::string name = arg.substr(2), value;
        bool has_value = false;
        if (const auto eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
            has_value = true;
        }
        auto take = [&]() -> std::string {
            if (has_value) return value;
            if (i + 1 >= argc) throw std::invalid_argument("--" + name + " needs a value");
            return argv[++i];
        };
        if (name == "list") { o.list = true; continue; }
        if (name == "quiet") { o.quiet = true; continue; }
        bool backend_flag = false;
        for (const auto& e : extra)
            if (e.name == name) {
                backend.set_option(name, e.takes_value ? take() : std::string("1"));
                backend_flag = true;
            }
        if (backend_flag) continue;

        const std::string v = take();
        auto& s = o.sampler;
        auto& t = o.timing;
        if (name == "out") o.out = v;
        else if (name == "device") o.device = v;
        else if (name == "kinds") {
            s.kinds.clear();
            for (const auto& k : split(v, ',')) {
                const auto parsed = k == "conv" ? std::optional(LayerKind::conv2d)
                                    : k == "linear" ? std::optional(LayerKind::dense)
                                    : k == "pool" ? std::optional(LayerKind::pool2d)
                                    : k == "memory" ? std::nullopt
                                                    : parse_layer_kind(k);
                if (k == "memory") {  // every memory-bound kind the harness samples and this backend measures
                    for (LayerKind m : {LayerKind::batchnorm2d, LayerKind::activation, LayerKind::add, LayerKind::concat,
                                        LayerKind::softmax, LayerKind::layernorm, LayerKind::elementwise})
                        if (backend.refuses(m).empty()) s.kinds.push_back(m);
                } else if (!parsed || !sampled(*parsed)) {
                    throw std::invalid_argument("--kinds: unknown or unsampled kind \"" + k +
                                                "\" (conv2d, dense, pool2d, batchnorm2d, activation, add, concat, "
                                                "softmax, bmm, layernorm, elementwise, or memory for the memory-bound "
                                                "ones)");
                } else if (const std::string why = backend.refuses(*parsed); !why.empty()) {
                    throw std::invalid_argument("--kinds: " + backend.harness_name() + " does not measure " + k + ": " +
                                                why);
                } else {
                    s.kinds.push_back(*parsed);
                }
            }
            // default weights follow the kinds unless --weights says otherwise
            s.weights.clear();
            for (LayerKind k : s.kinds) s.weights.push_back(default_weight(k));
        } else if (name == "weights") {
            s.weights.clear();
            for (const auto& w : split(v, ',')) s.weights.push_back(parse_number(name, w));
        } else if (name == "passes") {
            o.passes.clear();
            for (const auto& p : split(v, ',')) {
                const auto pass = parse_pass(p);
                if (!pass) throw std::invalid_argument("--passes: expected inference or training (got \"" + p + "\")");
                o.passes.push_back(*pass);
            }
        } else if (name == "dtype") {
            o.dtypes.clear();
            for (const auto& d : split(v, ',')) {
                const auto t_ = parse_dtype(d);
                if (!t_) throw std::invalid_argument("--dtype: expected fp32, tf32, fp16 or bf16 (got \"" + d + "\")");
                if (!backend.supports(*t_)) throw std::invalid_argument("--dtype: this backend does not measure " + d);
                o.dtypes.push_back(*t_);
            }
        } else if (name == "count") s.count = static_cast<std::size_t>(parse_integer(name, v));
        else if (name == "seed") s.seed = static_cast<std::uint64_t>(parse_integer(name, v));
        else if (name == "sampling") {
            if (v == "grid") s.sampling = Sampling::grid;
            else if (v == "random") s.sampling = Sampling::random;
            else if (v == "mixed") s.sampling = Sampling::mixed;
            else throw std::invalid_argument("--sampling: expected grid, random or mixed");
        } else if (name == "grid-fraction") s.grid_fraction = parse_number(name, v);
        else if (name == "max-flops") s.max_flops = parse_number(name, v);
        else if (name == "min-flops") s.min_flops = parse_number(name, v);
        else if (name == "max-bytes") s.max_bytes = parse_number(name, v);
        else if (name == "max-batch") s.batch.hi = parse_integer(name, v);
        else if (name == "max-image") s.image.hi = parse_integer(name, v);
        else if (name == "max-channels") s.in_channels.hi = s.out_channels.hi = parse_integer(name, v);
        else if (name == "max-features") s.features.hi = parse_integer(name, v);
        else if (name == "max-kernel") s.kernel.hi = parse_integer(name, v);
        else if (name == "group-fraction") s.group_fraction = parse_number(name, v);
        else if (name == "shard") {
            const auto parts = split(v, '/');
            if (parts.size() != 2) throw std::invalid_argument("--shard: expected i/n");
            o.shard_index = static_cast<std::size_t>(parse_integer(name, parts[0]));
            o.shard_count = static_cast<std::size_t>(parse_integer(name, parts[1]));
            if (o.shard_count == 0 || o.shard_index >= o.shard_count)
                throw std::invalid_argument("--shard: expected i/n with 0 <= i < n");
        } else if (name == "budget-ms") t.budget_ms = parse_number(name, v);
        else if (name == "warmup-ms") t.warmup_ms = parse_number(name, v);
        else if (name == "max-spread") t.max_spread = parse_number(name, v);
        else if (name == "min-samples") t.min_samples = static_cast<int>(parse_integer(name, v));
        else if (name == "max-samples") t.max_samples = static_cast<int>(parse_integer(name, v));
        else if (name == "min-sample-us") t.min_sample_us = parse_number(name, v);
        else if (name == "crash-after") o.crash_after = parse_integer(name, v);
        else throw std::invalid_argument("unknown option --" + name + " (see --help)");
    }
    if (o.out.empty() && !o.list) throw std::invalid_argument("--out FILE.csv is required");
    if (o.timing.min_samples < 1 || o.timing.max_samples < o.timing.min_samples)
        throw std::invalid_argument("--min-samples/--max-samples: need 1 <= min <= max");
    if (!o.dtypes.empty()) o.sampler.dtype = o.dtypes.front();
    validate(o.sampler);
    return o;
}

// ---------------------------------------------------------------------------------------
// the reporter: rows to the file, progress to stderr
// ---------------------------------------------------------------------------------------

/** @brief What the benchmark of job i produced (filled by the benchmark, read by the reporter). */
struct Outcome {
    std::vector<Sample> rows;
};

class DatasetReporter : public benchmark::BenchmarkReporter {
public:
    DatasetReporter(DatasetSink& sink, std::vector<std::optional<Outcome>>& outcomes,
                    std::map<std::string, std::size_t> index_of, std::size_t total_rows, std::size_t done_rows,
                    const Options& o)
        : m_sink(sink), m_outcomes(outcomes), m_index(std::move(index_of)), m_total(total_rows),
          m_done_before(done_rows), m_opts(o), m_tty(::isatty(2) != 0), m_start(clock::now()), m_last_print(m_start) {}

    bool ReportContext(const Context& c) override {
        if (!m_opts.quiet)
            std::fprintf(stderr, "%zu rows to measure (%zu of %zu already in %s); %d CPUs at %.0f MHz\n",
                         m_total - m_done_before, m_done_before, m_total, m_sink.path().c_str(), c.cpu_info.num_cpus,
                         c.cpu_info.cycles_per_second / 1e6);
        return true;
    }

    void ReportRuns(const std::vector<Run>& runs) override {
        for (const Run& run : runs) {
            const auto it = m_index.find(run.run_name.function_name);
            if (it == m_index.end() || !m_outcomes[it->second]) continue;
            for (const Sample& s : m_outcomes[it->second]->rows) {
                if (m_opts.crash_after >= 0 && static_cast<long long>(m_written) >= m_opts.crash_after) crash(s);
                if (m_sink.append(s)) ++m_written;
                if (!s.measured()) ++m_failed;
                m_last = run.run_name.function_name + " " + std::string(to_string(s.pass)) + ": " +
                         (s.measured() ? fmt_us(s.time_us) + " (spread " + fmt_pct(s.spread) + ")" : "error: " + s.error);
            }
            m_outcomes[it->second].reset();
            progress(false);
        }
    }

    void Finalize() override { progress(true); }

    std::size_t written() const noexcept { return m_written; }
    std::size_t failed() const noexcept { return m_failed; }
    double seconds() const { return std::chrono::duration<double>(clock::now() - m_start).count(); }

private:
    using clock = std::chrono::steady_clock;

    static std::string fmt_us(double us) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.1f us", us);
        return buf;
    }
    static std::string fmt_pct(double f) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.1f%%", f * 100);
        return buf;
    }

    [[noreturn]] void crash(const Sample& s) {
        const std::string line = format_row(s);
        // half a row, no newline: what a process killed inside write() can leave behind
        std::FILE* f = std::fopen(m_sink.path().c_str(), "ab");
        if (f) {
            std::fwrite(line.data(), 1, line.size() / 2, f);
            std::fclose(f);
        }
        std::fprintf(stderr, "--crash-after %lld: exiting abruptly mid-row\n", m_opts.crash_after);
        std::_Exit(3);
    }

    void progress(bool final) {
        if (m_opts.quiet) return;
        const auto now = clock::now();
        const double since = std::chrono::duration<double>(now - m_last_print).count();
        if (!final && !m_tty && since < 10.0) return;
        m_last_print = now;
        const double secs = std::chrono::duration<double>(now - m_start).count();
        const std::size_t done = m_done_before + m_written;
        const double rate = secs > 0 ? static_cast<double>(m_written) / secs : 0;
        const double eta = rate > 0 ? static_cast<double>(m_total > done ? m_total - done : 0) / rate : -1;
        char head[160];
        std::snprintf(head, sizeof head, "[%zu/%zu rows %.1f%%] %.1f rows/min, %zu failed, elapsed %s, ETA %s",
                      done, m_total, m_total ? 100.0 * static_cast<double>(done) / static_cast<double>(m_total) : 100.0,
                      rate * 60, m_failed, format_duration(secs).c_str(), format_duration(eta).c_str());
        if (m_tty && !final) {
            std::string line = std::string(head) + " | " + m_last;
            if (line.size() > 160) line.resize(160);
            std::fprintf(stderr, "\r\033[K%s", line.c_str());
        } else {
            std::fprintf(stderr, "%s%s | %s\n", m_tty ? "\r\033[K" : "", head, m_last.c_str());
        }
        std::fflush(stderr);
    }

    DatasetSink& m_sink;
    std::vector<std::optional<Outcome>>& m_outcomes;
    std::map<std::string, std::size_t> m_index;
    std::size_t m_total, m_done_before;
    const Options& m_opts;
    bool m_tty;
    clock::time_point m_start, m_last_print;
    std::size_t m_written = 0, m_failed = 0;
    std::string m_last;
};

// ---------------------------------------------------------------------------------------
// main
// ---------------------------------------------------------------------------------------

inline void on_signal(int) { g_stop.store(true); }

inline void install_signal_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART | SA_RESETHAND;  // a second Ctrl-C kills at once
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

inline std::string sampler_description(const Options& o) {
    const auto& s = o.sampler;
    std::ostringstream os;
    os << to_string(s.sampling);
    if (s.sampling == Sampling::mixed) os << " (grid fraction " << s.grid_fraction << ")";
    os << "; seed " << s.seed << "; count " << s.count << "; kinds";
    for (std::size_t i = 0; i < s.kinds.size(); ++i) os << (i ? "," : " ") << to_string(s.kinds[i]) << ":" << s.weights[i];
    os << "; max_flops " << s.max_flops << "; min_flops " << s.min_flops << "; max_bytes " << s.max_bytes
       << "; random ranges batch 1.." << s.batch.hi << " image " << s.image.lo << ".." << s.image.hi << " channels 1.."
       << s.in_channels.hi << " features 1.." << s.features.hi << " kernel odd " << s.kernel.lo << ".." << s.kernel.hi
       << "; group_fraction " << s.group_fraction << "; shard " << o.shard_index << "/" << o.shard_count;
    return os.str();
}

inline std::string timing_description(const TimingOptions& t) {
    std::ostringstream os;
    os << "budget_ms " << t.budget_ms << " per phase; warmup_ms " << t.warmup_ms << "; max_spread " << t.max_spread
       << "; min_samples " << t.min_samples << "; max_samples " << t.max_samples << "; min_sample_us "
       << t.min_sample_us;
    return os.str();
}

/**
 * @brief The whole program: flags, configurations, resume, benchmarks, rows. Returns the
 * exit status (0 done, 1 error, 2 bad usage, 130 interrupted).
 */
inline int run_harness(int argc, char** argv, Backend& backend) {
    std::string command;
    for (int i = 0; i < argc; ++i) command += (i ? " " : "") + std::string(argv[i]);
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            print_usage(argv[0], backend);
            return 0;
        }
    }
    benchmark::Initialize(&argc, argv);  // takes the --benchmark_* flags out of argv

    Options opts;
    try {
        opts = parse_options(argc, argv, backend);
    } catch (const std::exception& e) {
        std::cerr << backend.harness_name() << ": " << e.what() << "\n";
        return 2;
    }

    const std::vector<Config> configs = shard(sample(opts.sampler), opts.shard_index, opts.shard_count);
    if (configs.size() < opts.sampler.count / opts.shard_count)
        std::cerr << "note: the caps left only " << configs.size() << " distinct configurations\n";
    if (opts.list) {
        for (const Config& c : configs)
            std::cout << c.index << " " << short_name(c.layer) << (c.from_grid ? " grid" : " random") << " flops "
                      << forward_flops(c.layer) << " bytes " << footprint_bytes(c.layer, opts.sampler.dtype) << "\n";
        return 0;
    }

    try {
        backend.init();
    } catch (const std::exception& e) {
        std::cerr << backend.harness_name() << ": cannot start: " << e.what() << "\n";
        return 1;
    }
    const std::string device = opts.device.empty() ? backend.default_device_id() : opts.device;

    std::map<std::string, std::string> prov = backend.provenance();
    prov["harness"] = backend.harness_name();
    prov["harness_version"] = std::string(harness_version);
    prov["command"] = one_line(command);
    prov["date_utc"] = utc_now();
    prov["load_average_start"] = load_average();
    prov["os"] = os_description();
    prov["device"] = device;
    prov["sampling"] = sampler_description(opts);
    prov["timing"] = timing_description(opts.timing);
    prov["statistic"] =
        "time_us = median over timed samples of one execution (a sample may average a batch of back-to-back "
        "executions); spread = (q3 - q1) / median; inference = forward; training = forward + backward_data + "
        "backward_weights medians summed (the kinds without weights: forward + backward_data), its spread = summed IQRs / summed "
        "medians, its samples = the fewest of its phases";

    std::unique_ptr<DatasetSink> sink;
    try {
        sink = std::make_unique<DatasetSink>(opts.out, prov);
    } catch (const std::exception& e) {
        std::cerr << backend.harness_name() << ": " << e.what() << "\n";
        return 1;
    }
    const auto& info = sink->info();
    if (info.truncated_bytes)
        std::cerr << "resume: cut off a partial last line (" << info.truncated_bytes << " bytes) in " << opts.out << "\n";
    if (!info.created) {
        sink->note("resumed_" + std::to_string(info.resumes + 1),
                   utc_now() + "; rows before " + std::to_string(info.existing_rows) + "; partial bytes cut " +
                       std::to_string(info.truncated_bytes) + "; load average " + load_average() + "; command " +
                       one_line(command));
    }

    // jobs: configuration x precision, with the passes not yet in the file
    std::vector<Job> jobs;
    std::size_t total_rows = 0, done_rows = 0;
    for (const Config& c : configs)
        for (DType t : opts.dtypes) {
            Job j;
            j.index = c.index;
            j.layer = c.layer;
            j.dtype = t;
            for (Pass p : opts.passes) {
                Sample probe;
                probe.layer = c.layer;
                probe.pass = p;
                probe.dtype = t;
                probe.device = device;
                ++total_rows;
                if (sink->done(sample_key(probe))) ++done_rows;
                else j.passes.push_back(p);
            }
            if (j.passes.empty()) continue;
            j.name = std::to_string(c.index) + "/" + short_name(c.layer) + "/" + std::string(to_string(t));
            jobs.push_back(std::move(j));
        }

    install_signal_handlers();
    std::string fatal;
    std::vector<std::optional<Outcome>> outcomes(jobs.size());
    std::map<std::string, std::size_t> index_of;
    const std::string source_prefix = backend.harness_name() + "/" + std::string(harness_version);
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        index_of[jobs[i].name] = i;
        benchmark::RegisterBenchmark(jobs[i].name.c_str(),
                                     [&, i](benchmark::State& st) {
                                         const Job& job = jobs[i];
                                         if (g_stop.load()) {
                                             st.SkipWithError("interrupted");
                                             for (auto _ : st) {
                                             }
                                             return;
                                         }
                                         Measured m;
                                         bool stopped = false;
                                         for (auto _ : st) {
                                             try {
                                                 m = backend.run(job, opts.timing, &g_stop);
                                             } catch (const interrupted&) {
                                                 stopped = true;
                                             } catch (const fatal_error& e) {
                                                 fatal = e.what();
                                                 g_stop.store(true);
                                                 stopped = true;
                                             } catch (const std::exception& e) {
                                                 m.fwd_inference.error = m.fwd_training.error = one_line(e.what());
                                             }
                                             const PhaseResult& f = m.fwd_inference.ok ? m.fwd_inference : m.fwd_training;
                                             st.SetIterationTime(f.ok ? f.stats.median_us * 1e-6 : 0.0);
                                         }
                                         if (stopped) {
                                             st.SkipWithError("interrupted");
                                             return;
                                         }
                                         Outcome out;
                                         out.rows = make_rows(job, m, device, source_prefix);
                                         for (const Sample& s : out.rows) {
                                             const std::string p(to_string(s.pass));
                                             if (s.measured()) {
                                                 st.counters[p + "_us"] = s.time_us;
                                                 st.counters[p + "_spread"] = s.spread;
                                             }
                                         }
                                         if (!out.rows.empty() && !out.rows.back().measured() &&
                                             !out.rows.front().measured())
                                             st.SkipWithError(out.rows.front().error.c_str());
                                         outcomes[i] = std::move(out);
                                     })
            ->Iterations(1)
            ->UseManualTime()
            ->Unit(benchmark::kMicrosecond);
    }

    DatasetReporter reporter(*sink, outcomes, std::move(index_of), total_rows, done_rows, opts);
    if (!jobs.empty()) benchmark::RunSpecifiedBenchmarks(&reporter);
    else if (!opts.quiet) std::cerr << "all " << total_rows << " rows are already in " << opts.out << "\n";
    benchmark::Shutdown();
    sink->sync();

    if (!opts.quiet)
        std::cerr << "wrote " << reporter.written() << " rows (" << reporter.failed() << " failed) in "
                  << format_duration(reporter.seconds()) << " to " << opts.out << "; " << sink->rows()
                  << " rows in the file\n";
    if (!fatal.empty()) {
        std::cerr << "stopped by a fatal error: " << fatal << "\nrun the same command again to resume\n";
        return 1;
    }
    if (g_stop.load()) {
        std::cerr << "interrupted: run the same command again to resume\n";
        return 130;
    }
    return 0;
}

}  // namespace perfcast::harness
