// Runs a fuzz target once on each file given (or each file of each folder given, in name order), as
// libFuzzer does with files on its command line, for compilers without libFuzzer: this is how the
// seed corpora and every input that once crashed run as regression tests in the ordinary builds.
#include <algorithm>   // sort
#include <cstdint>     // uint8_t
#include <cstdio>      // printf, fprintf
#include <filesystem>  // directory_iterator, is_directory
#include <fstream>     // ifstream
#include <iterator>    // istreambuf_iterator
#include <string>      // string
#include <vector>      // vector

#include "fuzz.hpp"  // LLVMFuzzerTestOneInput

int main(int argc, char** argv) {
    namespace fs = std::filesystem;
    std::vector<fs::path> files;
    for (int i = 1; i < argc; ++i) {
        const fs::path p = argv[i];
        if (fs::is_directory(p)) {
            std::vector<fs::path> in;
            for (const auto& e : fs::directory_iterator(p))
                if (e.is_regular_file()) in.push_back(e.path());
            std::sort(in.begin(), in.end());
            files.insert(files.end(), in.begin(), in.end());
        } else {
            files.push_back(p);
        }
    }
    if (files.empty()) {
        std::fprintf(stderr, "usage: %s FILE|FOLDER... (no input files found)\n", argv[0]);
        return 2;
    }
    for (const fs::path& f : files) {
        std::ifstream in(f, std::ios::binary);
        if (!in) {
            std::fprintf(stderr, "%s: cannot read\n", f.c_str());
            return 2;
        }
        const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::printf("%s (%zu bytes)\n", f.c_str(), bytes.size());
        std::fflush(stdout);  // the last name printed is the input that crashed
        LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    }
    std::printf("%zu inputs ran\n", files.size());
    return 0;
}
