// The command-line parser's strict options (tools/perfcast/cli.hpp), the input size limit and the
// atomic writes (detail/files.hpp), and JSON errors that name the place (detail/json.hpp).
#include <doctest/doctest.h>

#include <csignal>     // signal, SIGXFSZ
#include <filesystem>  // temp_directory_path, directory_iterator
#include <fstream>     // ofstream, ifstream
#include <iterator>    // istreambuf_iterator
#include <string>      // string
#include <vector>      // vector

#if defined(__linux__)
#include <sys/resource.h>  // setrlimit, RLIMIT_FSIZE: a file size limit stands in for a full disk
#endif

#include <perfcast/core/error.hpp>              // error, detail::excerpt
#include <perfcast/runtime/dataset.hpp>         // parse_dataset
#include <perfcast/runtime/detail/files.hpp>    // read_file, write_file
#include <perfcast/runtime/io/network_json.hpp>  // parse_network
#include <perfcast/runtime/mlp/config.hpp>       // MlpConfig

#include "../tools/perfcast/cli.hpp"  // Option, Args, Command

namespace {

using namespace perfcast;
using namespace perfcast::cli;

int no_run(const Args&) { return 0; }

const Command& test_command() {
    static const Command c{
        .name = "test",
        .summary = "a command to parse",
        .options = {integers_option({.name = "hidden", .value = "N,N,...", .help = "widths", .fallback = "64,64"}, 1, 4096),
                    integer_option({.name = "epochs", .value = "N", .help = "epochs", .fallback = "100"}, 1, 100'000),
                    integer_option({.name = "patience", .value = "N", .help = "patience"}, 0, 100'000),
                    integer_option({.name = "ensemble", .value = "N", .help = "members"}, 1, 64),
                    number_option({.name = "holdout", .value = "X", .help = "share", .fallback = "0.2"}, {0, 1, false, true}),
                    numbers_option({.name = "fractions", .value = "X,X,...", .help = "shares"}, {0, 1, true, false}),
                    word_option({.name = "format", .value = "table|json", .help = "format", .fallback = "table"}),
                    {.name = "out", .value = "FILE", .help = "output"},
                    {.name = "devices", .value = "FILE.json", .help = "devices", .repeat = true},
                    {.name = "quick", .help = "a flag"}},
        .run = no_run,
    };
    return c;
}

/** @brief Args of `perfcast test WORDS...`. */
Args parse(std::vector<std::string> words) {
    words.insert(words.begin(), {"perfcast", "test"});
    std::vector<char*> argv;
    for (std::string& w : words) argv.push_back(w.data());
    return Args(test_command(), static_cast<int>(argv.size()), argv.data(), 2);
}

/** @brief The message of the perfcast::error parsing WORDS throws ("" when none). */
std::string refusal(std::vector<std::string> words) {
    try {
        parse(std::move(words));
    } catch (const error& e) {
        return e.what();
    }
    return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/** @brief A fresh empty folder under the system's temporary folder. */
std::filesystem::path scratch(const std::string& name) {
    const auto d = std::filesystem::temp_directory_path() / ("perfcast_test_cli_args_" + name);
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    return d;
}

std::string network_error(const std::string& text) {
    try {
        parse_network(text, "net.json");
    } catch (const error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("cli options: numeric values are parsed whole, range-checked and read back") {
    const Args a = parse({"--hidden", "128,64", "--epochs", "7", "--holdout", "0.5", "--fractions", "0.1,1"});
    CHECK(a.integers("hidden") == std::vector<std::int64_t>{128, 64});
    CHECK(a.integer("epochs") == 7);
    CHECK(a.number("holdout") == 0.5);
    CHECK(a.numbers("fractions") == std::vector<double>{0.1, 1.0});
    const Args d = parse({});
    CHECK(d.integers("hidden") == std::vector<std::int64_t>{64, 64});  // the defaults read the same way
    CHECK(d.integer("epochs") == 100);
    CHECK(d.numbers("fractions").empty());
    CHECK_THROWS_AS(d.integer("holdout"), std::logic_error);  // a reader of the wrong kind is a bug
}

TEST_CASE("cli options: the issue's misread values are refused naming the option and the bound") {
    const std::string widths = "--hidden: expected an integer 1 to 4096";
    CHECK(contains(refusal({"--hidden", "1e3"}), widths + " (got \"1e3\")"));
    CHECK(contains(refusal({"--hidden", "64x64"}), widths + " (got \"64x64\")"));
    CHECK(contains(refusal({"--hidden", "-4"}), widths + " (got \"-4\")"));
    CHECK(contains(refusal({"--hidden", "4294967296"}), widths));
    CHECK(contains(refusal({"--hidden", "64,,64"}), "--hidden: empty value"));
    CHECK(contains(refusal({"--hidden", "64,"}), "--hidden: empty value"));
    CHECK(contains(refusal({"--hidden", " 64"}), widths));
    CHECK(contains(refusal({"--hidden", "+64"}), widths));
    CHECK(contains(refusal({"--ensemble", "9223372036854775807"}), "--ensemble: expected an integer 1 to 64"));
    CHECK(contains(refusal({"--ensemble", "99999999999999999999999"}), "--ensemble: expected an integer 1 to 64"));
    CHECK(contains(refusal({"--epochs", "-1"}), "--epochs: expected an integer 1 to 100000 (got \"-1\")"));
    CHECK(contains(refusal({"--patience", "-1"}), "--patience: expected an integer 0 to 100000"));
    CHECK(contains(refusal({"--epochs", "2.5"}), "--epochs"));
    CHECK(contains(refusal({"--fractions", "nan"}), "--fractions: expected a number in (0, 1] (got \"nan\")"));
    CHECK(contains(refusal({"--fractions", "0.5,inf"}), "--fractions"));
    CHECK(contains(refusal({"--fractions", "0"}), "in (0, 1]"));
    CHECK(contains(refusal({"--holdout", "1"}), "--holdout: expected a number in [0, 1)"));
    CHECK(contains(refusal({"--holdout", "1e999"}), "--holdout"));
    CHECK(contains(refusal({"--format", "csv"}), "--format: expected table|json (got \"csv\")"));
    CHECK(refusal({"--patience", "0", "--holdout", "0", "--fractions", "1"}).empty());  // the bounds themselves
}

TEST_CASE("cli options: an empty value names the option; a long value is cut in the message") {
    CHECK(contains(refusal({"--devices", ""}), "--devices: empty value"));
    CHECK(contains(refusal({"--out", ""}), "--out: empty value"));
    CHECK(contains(refusal({"--out="}), "--out: empty value"));
    CHECK(contains(refusal({"--epochs", ""}), "--epochs: empty value"));
    const std::string huge(1'000'000, '7');
    const std::string m = refusal({"--epochs", huge});
    CHECK(contains(m, "--epochs"));
    CHECK(m.size() < 200);
    CHECK(contains(m, "...\""));
    CHECK(refusal({"--" + huge}).size() < 200);  // an unknown option, echoed cut
}

TEST_CASE("cli options: every value is checked in Args' constructor, whatever the order; --help still wins") {
    CHECK(contains(refusal({"--out", "x.json", "--epochs", "0"}), "--epochs"));
    CHECK(contains(refusal({"--epochs", "0", "--out", "x.json"}), "--epochs"));
    CHECK(contains(refusal({"--devices", "a.json", "--devices", ""}), "--devices: empty value"));
    CHECK(parse({"--epochs", "0", "--help"}).help());
}

TEST_CASE("cli options: the help shows each option's bounds") {
    const std::string h = command_help(test_command());
    CHECK(contains(h, "(default: 64,64; 1 to 4096)"));
    CHECK(contains(h, "(1 to 64)"));
    CHECK(contains(h, "(default: 0.2; in [0, 1))"));
    CHECK(contains(h, "(in (0, 1])"));
}

TEST_CASE("read_file: a size limit, named with the file; a device is read only up to it") {
    const auto d = scratch("read");
    const auto f = d / "big.csv";
    std::ofstream(f) << std::string(5000, 'x');
    CHECK(detail::read_file(f.string()).size() == 5000);
    try {
        detail::read_file(f.string(), 1024);
        FAIL("a file over the limit was read");
    } catch (const error& e) {
        CHECK(e.where().file == f.string());
        CHECK(contains(e.message(), "file too large"));
        CHECK(contains(e.message(), "1 KiB"));
    }
    CHECK_THROWS_WITH_AS(detail::read_file(d.string()), doctest::Contains("is a folder"), error);
    CHECK_THROWS_WITH_AS(detail::read_file((d / "missing").string()), doctest::Contains("cannot open file"), error);
#if defined(__linux__)
    CHECK_THROWS_WITH_AS(detail::read_file("/dev/zero", 1 << 16), doctest::Contains("/dev/zero: file too large"), error);
#endif
    std::filesystem::remove_all(d);
}

TEST_CASE("write_file: replaces the file whole, and a failed write leaves the old one and no temporary") {
    const auto d = scratch("write");
    const auto f = d / "out.json";
    detail::write_file(f.string(), "first\n");
    CHECK(slurp(f) == "first\n");
    detail::write_file(f.string(), "second\n");
    CHECK(slurp(f) == "second\n");
    CHECK_THROWS_WITH_AS(detail::write_file((d / "no" / "such" / "x.json").string(), "x", "--out"),
                         doctest::Contains("--out: cannot open the file for writing"), error);
    CHECK_THROWS_WITH_AS(detail::write_file(d.string(), "x"), doctest::Contains("is a folder"), error);
    CHECK_THROWS_WITH_AS(detail::write_file("", "x", "--out"), doctest::Contains("--out: empty file name"), error);
#if defined(__linux__)
    // a file size limit makes the write fail as a full disk would
    rlimit old{};
    REQUIRE(getrlimit(RLIMIT_FSIZE, &old) == 0);
    rlimit small = old;
    small.rlim_cur = 4096;
    const auto previous = std::signal(SIGXFSZ, SIG_IGN);
    REQUIRE(setrlimit(RLIMIT_FSIZE, &small) == 0);
    std::string message;
    try {
        detail::write_file(f.string(), std::string(100'000, 'y'));
    } catch (const error& e) {
        message = e.what();
    }
    setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, previous);
    CHECK(contains(message, f.string() + ": writing the file failed"));
    CHECK(slurp(f) == "second\n");
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(d)) ++files;
    CHECK(files == 1);  // the temporary is gone
#endif
    std::filesystem::remove_all(d);
}

TEST_CASE("JSON errors name the file, the line and the path: numbers out of range, wrong types, no layers") {
    const std::string head = "{\"format\": \"perfcast-network\", \"version\": 1, \"name\": \"n\",\n";
    const std::string dense = "{\"kind\": \"dense\", \"in_features\": 4, \"out_features\": 2}";
    CHECK(network_error(head + "\"batch\": 2, \"layers\": [" + dense + "]}").empty());  // the twin that parses
    CHECK(contains(network_error(head + "\"batch\": 1e999,\n\"layers\": [" + dense + "]}"), "net.json:2: batch: number out of range"));
    CHECK(contains(network_error(head + "\"batch\": 18446744073709551616,\n\"layers\": [" + dense + "]}"),
                   "net.json:2: batch: expected an integer"));
    CHECK(contains(network_error(head + "\"batch\": 2.5,\n\"layers\": [" + dense + "]}"), "net.json:2: batch: expected an integer"));
    CHECK(contains(network_error(head + "\"batch\": \"2\",\n\"layers\": [" + dense + "]}"),
                   "net.json:2: batch: expected an integer, got a string"));
    CHECK(contains(network_error(head + "\"layers\": []}"), "net.json:2: layers: a network needs at least one layer"));
    CHECK(contains(network_error(head + "\"layers\": [\n{\"kind\": \"dense\", \"in_features\": 4.5, \"out_features\": 2}]}"),
                   "net.json:3: layers[0].in_features: expected an integer"));
    const std::string deep = "{\"a\":\n" + std::string(200'000, '[') + std::string(200'000, ']') + ", \"format\": 5}";
    CHECK(contains(network_error(deep), "net.json:2: invalid JSON: nested more than 256 levels deep"));
    CHECK(network_error("{\"a\": \"" + std::string(1000, '[') + "\", " + head.substr(1) + "\"layers\": [" + dense + "]}")
              .find("nested") == std::string::npos);  // brackets inside a string do not count
    const std::string key(100'000, 'k');
    const std::string m = network_error(head + "\"" + key + "\": 1, \"layers\": [" + dense + "]}");
    CHECK(contains(m, "unknown field"));
    CHECK(m.size() < 200);
}

TEST_CASE("an MLP config's widths are bounded before anything is allocated") {
    const auto refusal_of = [](const std::string& text) {
        try {
            const detail::json_document doc("mlp.json", text);
            MlpConfig::read(doc.root());
        } catch (const error& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    CHECK(refusal_of("{\"hidden\": [64, 4096]}").empty());
    CHECK(contains(refusal_of("{\"hidden\": [64,\n 4294967296]}"), "mlp.json:2: hidden[1]: at most 16384 units a layer"));
    CHECK(contains(refusal_of("{\"hidden\": [64, 1e999]}"), "mlp.json:1: hidden[1]: number out of range"));
    CHECK(contains(refusal_of("{\"hidden\": [64, -1]}"), "hidden[1]: expected a non-negative integer"));
    std::string deep = "{\"hidden\": [1";
    for (int i = 0; i < 64; ++i) deep += ", 1";
    CHECK(contains(refusal_of(deep + "]}"), "hidden: at most 64 hidden layers"));
}

TEST_CASE("dataset numbers are read whole; a long cell is cut in the message") {
    const std::string head =
        "kind,pass,dtype,device,batch,in_features,out_features,in_channels,out_channels,height,width,kernel_h,kernel_w,"
        "time_us,samples,spread,error,source\n";
    const auto refusal_of = [&](const std::string& time) {
        DeviceRegistry reg;
        try {
            parse_dataset(head + "dense,inference,fp32,t4,8,128,64,,,,,,," + time + ",30,,,s\n", "d.csv", reg);
        } catch (const error& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    CHECK(refusal_of("12.5").empty());
    for (const std::string bad : {"0x1p3", " 12.5", "12.5 ", "+12.5", "1e999", "nan", "inf", "12.5us"})
        CHECK_MESSAGE(contains(refusal_of(bad), "d.csv:2:14: time_us: expected a number"), bad);
    const std::string m = refusal_of(std::string(10'000'000, '9') + "x");
    CHECK(contains(m, "time_us: expected a number"));
    CHECK(m.size() < 200);
    // a column named by the input is the field: cut too
    DeviceRegistry reg;
    std::string column_message;
    try {
        parse_dataset("kind,pass,dtype,device,batch,time_us," + std::string(10'000'000, 'c') + "\n", "d.csv", reg);
    } catch (const error& e) {
        column_message = e.what();
    }
    CHECK(contains(column_message, "d.csv:1"));
    CHECK(column_message.size() < 400);
}

TEST_CASE("a device's compute capability is two whole integers") {
    const auto refusal_of = [](const std::string& cc) {
        DeviceRegistry reg;
        try {
            reg.parse("{\"id\": \"mine\", \"name\": \"Mine\", \"kind\": \"gpu\", \"compute_capability\": \"" + cc +
                          "\", \"units\": 40, \"lanes_per_unit\": 64, \"fp32_tflops\": 8, \"bandwidth_gbs\": 320, "
                          "\"memory_gb\": 16, \"l2_mb\": 4}",
                      "dev.json");
        } catch (const error& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    CHECK(refusal_of("7.5").empty());
    for (const std::string bad : {"7.5abc", "7.", ".5", "99999999999.5", "-1.5", "7. 5"})
        CHECK_MESSAGE(contains(refusal_of(bad), "dev.json:1: compute_capability: expected \"major.minor\""), bad);
}

TEST_CASE("excerpt: values in messages are cut to 60 characters") {
    CHECK(detail::excerpt("short") == "short");
    CHECK(detail::excerpt(std::string(100, 'a')) == std::string(60, 'a') + "...");
}
