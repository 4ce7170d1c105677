// perfcast: the command-line program. Dispatches to its commands (tools/perfcast/NAME.cpp), each of
// which declares its arguments and options once (cli.hpp): the parser and the help come from that.
#include <cerrno>    // errno
#include <cstdio>    // fflush, ferror, stdout
#include <cstdlib>   // EXIT_SUCCESS, EXIT_FAILURE
#include <cstring>   // strerror
#include <iostream>  // cout, cerr
#include <string>    // string
#include <vector>    // vector

#include <perfcast/core/error.hpp>  // perfcast::error
#include <perfcast/core/zoo.hpp>    // zoo::names

#include "cli.hpp"       // Command, Args, command_help, wrapped_usage
#include "commands.hpp"  // the commands

namespace {

using namespace perfcast::cli;

/** @brief Every command, in the order `perfcast --help` lists them. */
const std::vector<const Command*>& commands() {
    static const std::vector<const Command*> all{
        &devices_command(), &network_command(), &predict_command(),  &import_command(),
        &train_command(),   &eval_command(),    &study_command(),    &validate_command(),
        &calibrate_command(), &embed_command(), &report_command()};
    return all;
}

/** @brief `perfcast --help`: every command's summary and usage line. */
std::string usage() {
    std::string out =
        "perfcast: predict how long deep-learning layers and networks take on a GPU\n\n"
        "usage: perfcast COMMAND [ARGUMENTS] [OPTIONS]   (perfcast COMMAND --help: the command's options)\n\n"
        "commands:\n";
    for (const Command* c : commands()) out += "  " + c->name + ": " + c->summary + "\n" + wrapped_usage(*c, 4);
    out += "\nNAME is a zoo network:";
    for (std::size_t i = 0; i < perfcast::zoo::names.size(); ++i)
        out += (i ? ", " : " ") + std::string(perfcast::zoo::names[i]);
    out +=
        ".\n"
        "DEVICE is a name or alias from `perfcast devices` (h100, a100, t4, \"NVIDIA H100 80GB HBM3\", ...).\n"
        "Commands that take --model use the default model (models/neusight-fp32.json, or $PERFCAST_MODEL)\n"
        "without it; `perfcast predict --help` says what it predicts with.\n";
    return out;
}

/** @brief The command line's exit status, its errors printed to standard error. */
int dispatch(int argc, char** argv) {
    try {
        if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h" ||
            (std::string(argv[1]) == "help" && argc == 2)) {
            std::cout << usage();
            return argc < 2 ? EXIT_FAILURE : EXIT_SUCCESS;
        }
        // `perfcast help COMMAND` is `perfcast COMMAND --help`
        const bool help = std::string(argv[1]) == "help";
        const std::string name = argv[help ? 2 : 1];
        for (const Command* c : commands()) {
            if (c->name != name) continue;
            if (help) {
                std::cout << command_help(*c);
                return EXIT_SUCCESS;
            }
            const Args args(*c, argc, argv, 2);
            if (args.help()) {
                std::cout << command_help(*c);
                return EXIT_SUCCESS;
            }
            return c->run(args);
        }
        std::cerr << "perfcast: unknown command " << quoted(name) << "\n\n" << usage();
        return EXIT_FAILURE;
    } catch (const perfcast::error& e) {
        std::cerr << "perfcast: " << e.what() << '\n';
        return EXIT_FAILURE;
    } catch (const std::exception& e) {
        std::cerr << "perfcast: " << e.what() << '\n';
        return EXIT_FAILURE;
    }
}

}  // namespace

int main(int argc, char** argv) {
    const int status = dispatch(argc, argv);
    // an output that could not be written (a full disk, a closed pipe) is a failure, not a success
    errno = 0;
    std::cout.flush();
    const bool failed = !std::cout || std::fflush(stdout) != 0 || std::ferror(stdout) != 0;
    if (failed) {
        const int saved = errno;
        std::cerr << "perfcast: writing the standard output failed"
                  << (saved != 0 ? std::string(": ") + std::strerror(saved) : std::string()) << '\n';
        return status == EXIT_SUCCESS ? EXIT_FAILURE : status;
    }
    return status;
}
