/**
 * @file io/neusight.hpp
 * @brief Imports NeuSight's measured operator latencies (conv2d and linear CSVs) into
 *        perfcast's dataset schema.
 *
 * NeuSight (ASPLOS'25) measured with PyTorch 2.1.0, CUDA 12.1, cuDNN 8.9.2, FP32 with TF32
 * off, forward only; `Latency` is in milliseconds, the mean of the fastest 5 of 25
 * synchronised CUDA-event timings. conv rows: Conv2d(Input_Channel, Output_Channel,
 * Kernel_Szie, stride=Stride, padding=Padding, bias=False) on (B, C, Input_Size, Input_Size).
 * linear rows: Linear(N, K) on (B, M, N), a (B*M) x N by N x K GEMM with bias.
 */
#pragma once

#include <map>     // map
#include <string>  // string
#include <vector>  // vector

#include <perfcast/runtime/dataset.hpp>      // Dataset, Sample, detail::split_csv, detail::row_reader
#include <perfcast/core/error.hpp>        // error
#include <perfcast/runtime/io/device_json.hpp>     // DeviceRegistry

namespace perfcast {

/**
 * @brief Parses one NeuSight CSV (conv or linear, told apart by its columns).
 * @throws perfcast::error naming file, line and column (an unknown `Device` included)
 */
inline Dataset parse_neusight(const std::string& text, const std::string& file, const DeviceRegistry& registry) {
    Dataset ds;
    ds.provenance["source"] = "NeuSight (sitar-lab/NeuSight, MIT licence), " + file;
    ds.provenance["measured_with"] = "PyTorch 2.1.0, CUDA 12.1, cuDNN 8.9.2, FP32 with TF32 off, forward only";
    ds.provenance["time_statistic"] = "mean of the fastest 5 of 25 CUDA-event timings";
    std::istringstream in(text);
    std::string line;
    std::size_t line_no = 0;
    std::map<std::string, std::size_t> columns;
    bool conv = false;
    // the file's last two path components ("conv/Tesla_T4.csv") name each row's source
    const auto cut = file.find_last_of('/');
    const auto cut2 = cut == std::string::npos || cut == 0 ? std::string::npos : file.find_last_of('/', cut - 1);
    const std::string short_name = cut2 == std::string::npos ? file : file.substr(cut2 + 1);
    while (std::getline(in, line)) {
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        const std::vector<std::string> cells = detail::split_csv(line);
        if (columns.empty()) {
            for (std::size_t i = 0; i < cells.size(); ++i) columns[cells[i]] = i;
            conv = columns.count("Kernel_Szie") > 0;
            const std::vector<std::string> need =
                conv ? std::vector<std::string>{"Latency", "Device", "B", "Input_Channel", "Output_Channel",
                                                "Kernel_Szie", "Input_Size", "Stride", "Padding"}
                     : std::vector<std::string>{"Latency", "Device", "B", "M", "N", "K"};
            for (const auto& c : need)
                if (!columns.count(c))
                    throw error(source_location{file, line_no, 0}, c,
                                "NeuSight column missing (is this a NeuSight conv or linear CSV?)");
            continue;
        }
        const detail::row_reader r(file, line_no, cells, columns);
        if (cells.size() != columns.size())
            r.fail("", "expected " + std::to_string(columns.size()) + " cells, got " + std::to_string(cells.size()));
        Sample s;
        const Device* dev = registry.find(r.cell("Device"));
        if (!dev)
            r.fail("Device", "unknown device \"" + std::string(r.cell("Device")) +
                                 "\": add it to the device database or load it with --devices FILE.json");
        s.device = std::string(dev->id);
        if (conv) {
            Conv2DParams p;
            p.batch = r.integer("B");
            p.in_channels = r.integer("Input_Channel");
            p.out_channels = r.integer("Output_Channel");
            p.kernel = Hw{r.integer("Kernel_Szie")};
            p.height = p.width = r.integer("Input_Size");
            p.stride = Hw{r.integer("Stride")};
            p.padding = Hw{r.integer("Padding")};
            p.bias = false;
            s.layer = p;
        } else {
            s.layer = DenseParams{r.integer("B"), r.integer("N"), r.integer("K"), true, r.integer("M")};
        }
        if (const Violation v = check(s.layer)) r.fail("", v.describe());
        const double ms = r.number("Latency");
        if (!(ms > 0)) r.fail("Latency", "must be > 0");
        s.time_us = ms * 1000.0;
        s.samples = 5;
        s.source = "neusight:" + short_name + ":" + std::to_string(line_no);
        ds.rows.push_back(std::move(s));
    }
    if (columns.empty()) throw error(source_location{file, 0, 0}, "", "empty file");
    return ds;
}

inline Dataset import_neusight(const std::vector<std::string>& paths, const DeviceRegistry& registry) {
    Dataset all;
    for (const auto& p : paths) {
        Dataset d = parse_neusight(detail::read_file(p), p, registry);
        if (all.provenance.empty()) all.provenance = d.provenance;
        else all.provenance["source"] += "; " + p;
        for (auto& r : d.rows) all.rows.push_back(std::move(r));
    }
    return all;
}

}  // namespace perfcast
