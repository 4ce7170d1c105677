// perfcast embed: a model file as a C++ header of constexpr data, for predictions at compile time.
#include <cstdlib>     // EXIT_SUCCESS
#include <filesystem>  // path
#include <iostream>    // cerr
#include <string>      // string

#include <perfcast/lab/embed.hpp>          // write_model_header, embedded::identifier_from
#include <perfcast/runtime/predictor.hpp>  // Predictor

#include "commands.hpp"
#include "common.hpp"

namespace perfcast::cli {
namespace {

int run(const Args& a) {
    const std::string model = a.get("model"), out = a.get("out");
    const std::string from_out = embedded::identifier_from(std::filesystem::path(out).stem().string());
    const std::string name = a.has("name") ? a.get("name") : from_out;
    write_model_header(Predictor::load(model), out, name, model);
    std::cerr << "perfcast: wrote " << out << " (perfcast::models::" << name << "::model)\n";
    return EXIT_SUCCESS;
}

}  // namespace

const Command& embed_command() {
    static const Command c{
        .name = "embed",
        .summary = "writes a model as a C++ header of constexpr data (perfcast::models::NAME::model)",
        .options = {{.name = "model", .value = "MODEL.json", .help = "the model to embed", .required = true},
                    {.name = "out", .value = "HEADER.hpp", .help = "the header file to write", .required = true},
                    {.name = "name", .value = "NAME", .help = "the C++ name (default: the --out file's name)"}},
        .run = run,
    };
    return c;
}

}  // namespace perfcast::cli
