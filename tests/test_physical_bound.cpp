// Every committed model, asked about every row of every committed dataset, predicts no less than the
// row's physical bound (FLOPs at the device's peak, a convolution at a quarter of them for Winograd; on
// a GPU the bytes at its memory bandwidth): the learned model never claims what the hardware cannot do.
#include <doctest/doctest.h>

#include <perfcast/runtime/dataset.hpp>
#include <perfcast/runtime/predictor.hpp>

#include <filesystem>  // path, recursive_directory_iterator
#include <fstream>     // ifstream
#include <string>      // string, getline
#include <vector>      // vector

using namespace perfcast;

namespace {

std::filesystem::path repo_root() { return std::filesystem::path(__FILE__).parent_path().parent_path(); }

/** @brief The perfcast datasets under data/ (CSV files whose first line names the format). */
std::vector<std::filesystem::path> dataset_files() {
    std::vector<std::filesystem::path> out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(repo_root() / "data")) {
        if (!e.is_regular_file() || e.path().extension() != ".csv") continue;
        std::ifstream in(e.path());
        std::string first;
        std::getline(in, first);
        if (first == "# format: perfcast-dataset") out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

TEST_CASE("no committed model predicts any row of any committed dataset below its physical bound") {
    const auto files = dataset_files();
    REQUIRE(files.size() >= 10);  // the NeuSight operators, their test sets and the CPU sweeps
    std::vector<Predictor> models;
    for (const auto& e : std::filesystem::directory_iterator(repo_root() / "models"))
        if (e.path().extension() == ".json") models.push_back(Predictor::load(e.path().string()));
    REQUIRE(models.size() >= 4);
    DeviceRegistry reg;
    std::size_t checked = 0, below = 0;
    std::string first;
    for (const auto& f : files) {
        const Dataset ds = load_dataset(f.string(), reg);
        for (const Sample& s : ds.rows) {
            const Target t = s.target(reg.get(s.device));
            const double bound = physical_bound_us(s.layer, t);
            for (const Predictor& p : models) {
                if (!p.covers(kind(s.layer))) continue;
                const double us = p.predict_us(s.layer, t);
                ++checked;
                if (!(us >= bound * (1 - 1e-12))) {
                    if (below++ == 0)
                        first = p.name() + " on " + s.source + ": " + std::to_string(us) + " us < bound " +
                                std::to_string(bound) + " us";
                }
            }
        }
    }
    CHECK(checked > 500000);
    CHECK_MESSAGE(below == 0, first);
}
