/**
 * @file bench/harness/check_main.cpp
 * @brief perfcast-harness-check: validates a dataset the harness wrote and summarises it.
 *
 *     perfcast-harness-check FILE.csv [--rows N] [--devices DEVICES.json] [--require KEY]...
 *
 * Loads the file with perfcast::load_dataset (every row checked: columns, kinds, shape rules,
 * known device), refuses duplicate rows (the same configuration, pass, precision and device
 * twice), optionally checks the row count and provenance keys, and prints rows by kind and
 * pass, failures, the distribution of the relative spread, and the measuring rate.
 * Exit status 0 when valid, 1 otherwise.
 */
#include <algorithm>      // sort
#include <cstdio>         // printf
#include <iostream>       // cerr
#include <map>            // map
#include <string>         // string
#include <unordered_set>  // unordered_set
#include <vector>         // vector

#include <perfcast/runtime/dataset.hpp>

#include "sink.hpp"    // sample_key
#include "timing.hpp"  // quantile_sorted

int main(int argc, char** argv) {
    using namespace perfcast;
    std::string path, devices;
    long long want_rows = -1;
    std::vector<std::string> require;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--rows" && i + 1 < argc) want_rows = std::stoll(argv[++i]);
        else if (a == "--devices" && i + 1 < argc) devices = argv[++i];
        else if (a == "--require" && i + 1 < argc) require.emplace_back(argv[++i]);
        else if (a == "--help" || a == "-h") {
            std::cout << "usage: perfcast-harness-check FILE.csv [--rows N] [--devices DEVICES.json] [--require KEY]...\n";
            return 0;
        } else if (path.empty() && a.rfind("--", 0) != 0) path = a;
        else {
            std::cerr << "perfcast-harness-check: unexpected argument " << a << "\n";
            return 2;
        }
    }
    if (path.empty()) {
        std::cerr << "usage: perfcast-harness-check FILE.csv [--rows N] [--devices DEVICES.json] [--require KEY]...\n";
        return 2;
    }
    try {
        DeviceRegistry registry;
        if (!devices.empty()) registry.load(devices);
        const Dataset ds = load_dataset(path, registry);
        bool ok = true;

        std::unordered_set<std::string> keys;
        std::size_t duplicates = 0;
        for (const Sample& s : ds.rows)
            if (!keys.insert(harness::sample_key(s)).second) ++duplicates;
        if (duplicates) {
            std::cerr << path << ": " << duplicates << " duplicate rows\n";
            ok = false;
        }
        if (want_rows >= 0 && static_cast<long long>(ds.rows.size()) != want_rows) {
            std::cerr << path << ": " << ds.rows.size() << " rows, expected " << want_rows << "\n";
            ok = false;
        }
        for (const auto& k : require)
            if (!ds.provenance.count(k)) {
                std::cerr << path << ": provenance key \"" << k << "\" missing\n";
                ok = false;
            }

        std::map<std::string, std::size_t> by;
        std::vector<double> spreads;
        std::size_t failed = 0;
        for (const Sample& s : ds.rows) {
            ++by[std::string(to_string(kind(s.layer))) + " " + std::string(to_string(s.pass))];
            if (!s.measured()) ++failed;
            else if (s.spread >= 0) spreads.push_back(s.spread);
        }
        std::printf("%s: %zu rows (%zu measured, %zu failed), %zu distinct\n", path.c_str(), ds.rows.size(),
                    ds.measured_count(), failed, keys.size());
        for (const auto& [k, n] : by) std::printf("  %-20s %zu\n", k.c_str(), n);
        if (!spreads.empty()) {
            std::sort(spreads.begin(), spreads.end());
            std::size_t within = 0;
            for (double s : spreads) within += s <= 0.02 ? 1 : 0;
            std::printf("  spread (IQR/median): median %.4f, p10 %.4f, p25 %.4f, p75 %.4f, p90 %.4f, max %.4f; "
                        "<= 0.02 in %.1f%% of rows\n",
                        harness::quantile_sorted(spreads, 0.5), harness::quantile_sorted(spreads, 0.1),
                        harness::quantile_sorted(spreads, 0.25), harness::quantile_sorted(spreads, 0.75),
                        harness::quantile_sorted(spreads, 0.9), spreads.back(),
                        100.0 * static_cast<double>(within) / static_cast<double>(spreads.size()));
        }
        std::map<std::string, std::size_t> errors;
        for (const Sample& s : ds.rows)
            if (!s.measured()) ++errors[s.error.substr(0, 100)];
        for (const auto& [e, n] : errors) std::printf("  failure x%zu: %s\n", n, e.c_str());
        return ok ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << e.what() << "\n";
        return 1;
    }
}
