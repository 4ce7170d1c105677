// Tests of devices.hpp and io/device_json.hpp: the built-in database, lookup, JSON.
#include <doctest/doctest.h>

#include <perfcast/core/devices.hpp>
#include <perfcast/runtime/io/device_json.hpp>

#include <set>     // set
#include <string>  // string

using namespace perfcast;

TEST_CASE("lookup ignores case, spaces and punctuation, and knows driver names") {
    CHECK(find_device("h100") == &devices::h100_sxm);
    CHECK(find_device("H100 SXM") == &devices::h100_sxm);
    CHECK(find_device("NVIDIA H100 80GB HBM3") == &devices::h100_sxm);
    CHECK(find_device("h100_pcie") == &devices::h100_pcie);
    CHECK(find_device("Tesla T4") == &devices::t4);
    CHECK(find_device("Tesla P100-PCIE-16GB") == &devices::p100_pcie_16gb);
    CHECK(find_device("Tesla V100-PCIE-32GB") == &devices::v100_pcie_32gb);
    CHECK(find_device("NVIDIA A100-SXM4-40GB") == &devices::a100_sxm4_40gb);
    CHECK(find_device("NVIDIA L4") == &devices::l4);
    CHECK(find_device("gtx1080") == &devices::gtx_1080);
    CHECK(find_device("no such gpu") == nullptr);
}

TEST_CASE("every built-in device is complete, unique and sourced") {
    std::set<std::string> ids;
    for (const Device* d : devices::builtin) {
        CAPTURE(d->id);
        CHECK(ids.insert(std::string(d->id)).second);
        CHECK(!d->source.empty());
        CHECK(d->units > 0);
        CHECK(d->fp32_tflops > 0);
        CHECK(d->bandwidth_gbs > 0);
        CHECK(d->memory_gb > 0);
        // the FP32 peak is the cores' FMA rate: units x lanes x 2 x clock, within rounding of the datasheet
        const double computed = static_cast<double>(d->cores()) * 2.0 * d->boost_mhz * 1e6 / 1e12;
        CHECK(computed == doctest::Approx(d->fp32_tflops).epsilon(0.08));
    }
    CHECK(ids.size() == devices::builtin.size());
}

TEST_CASE("peak_flops falls back to FP32 where a device has no faster unit") {
    CHECK(devices::h100_sxm.peak_flops(DType::bf16) == doctest::Approx(989e12));
    CHECK(devices::v100_sxm2.peak_flops(DType::tf32) == devices::v100_sxm2.peak_flops(DType::fp32));
    CHECK(devices::p4.peak_flops(DType::fp16) == devices::p4.peak_flops(DType::fp32));
    CHECK(devices::t4.peak_flops(DType::fp16) > devices::t4.peak_flops(DType::fp32));
}

TEST_CASE("devices round-trip through JSON, and loaded devices are found") {
    DeviceRegistry reg;
    const auto j = devices_to_json(reg.all());
    DeviceRegistry again;
    again.parse(j.dump(1), "devices.json");
    REQUIRE(again.all().size() == 2 * reg.all().size());
    for (std::size_t i = 0; i < reg.all().size(); ++i) {
        const Device& a = reg.all()[i];
        const Device& b = again.all()[reg.all().size() + i];
        CHECK(a.id == b.id);
        CHECK(a.name == b.name);
        CHECK(a.aliases == b.aliases);
        CHECK(a.units == b.units);
        CHECK(a.fp32_tflops == b.fp32_tflops);
        CHECK(a.bf16_tflops == b.bf16_tflops);
        CHECK(a.bandwidth_gbs == b.bandwidth_gbs);
        CHECK(a.source == b.source);
        CHECK(a.cc_major == b.cc_major);
        CHECK(a.cc_minor == b.cc_minor);
    }
    DeviceRegistry custom;
    custom.parse(R"({"id": "my_gpu", "name": "My GPU", "aliases": ["mine"], "units": 10, "lanes_per_unit": 64,
                     "fp32_tflops": 2.5, "bandwidth_gbs": 300})",
                 "mine.json");
    REQUIRE(custom.find("MINE") != nullptr);
    CHECK(custom.get("my gpu").fp32_tflops == 2.5);
    CHECK(custom.get("my gpu").kernel_floor_us == 0);  // unknown unless given
    // a machine's kernel floor travels with its device, and a file refines a built-in device with it
    Device floored = devices::h100_sxm;
    floored.kernel_floor_us = 12.5;
    CHECK(device_to_json(floored)["kernel_floor_us"] == 12.5);
    CHECK(!device_to_json(devices::h100_sxm).contains("kernel_floor_us"));
    custom.parse(device_to_json(floored).dump(), "floored.json");
    CHECK(custom.get("h100").kernel_floor_us == 12.5);
    CHECK_THROWS_WITH_AS(custom.parse(R"({"id": "g", "units": 1, "lanes_per_unit": 64, "fp32_tflops": 1,
                                          "bandwidth_gbs": 1, "kernel_floor_us": -3})",
                                      "g.json"),
                         doctest::Contains("kernel_floor_us"), error);
}

TEST_CASE("bad device JSON names file, line and field") {
    DeviceRegistry reg;
    try {
        reg.parse("{\"id\": \"x\",\n \"units\": 10,\n \"lanes_per_unit\": 64,\n \"fp32_tflops\": \"fast\",\n"
                  " \"bandwidth_gbs\": 1}",
                  "bad.json");
        FAIL("expected perfcast::error");
    } catch (const error& e) {
        CHECK(e.where().file == "bad.json");
        CHECK(e.where().line == 4);
        CHECK(e.field() == "fp32_tflops");
    }
    CHECK_THROWS_AS(reg.parse(R"({"id": "x", "units": 0, "lanes_per_unit": 1, "fp32_tflops": 1, "bandwidth_gbs": 1})",
                              "zero.json"),
                    error);
    CHECK_THROWS_AS(reg.get("nonexistent"), error);
}

TEST_CASE("device JSON refuses wrong types, unknown keys and numbers out of range, naming the path") {
    DeviceRegistry reg;
    auto error_of = [&](const std::string& text) -> error {
        try {
            reg.parse(text, "dev.json");
        } catch (const error& e) {
            return e;
        }
        FAIL("expected perfcast::error");
        return error("");
    };
    const std::string head = "{\"id\": \"x\", \"lanes_per_unit\": 64, \"fp32_tflops\": 1, \"bandwidth_gbs\": 1,\n";
    // a wrong type, inside an array
    error e = error_of(head + " \"units\": 10, \"aliases\": [\"a\", 3]}");
    CHECK(e.field() == "aliases[1]");
    CHECK(e.where().line == 2);
    CHECK(e.message() == "expected a string, got the integer 3");
    // an unknown key
    e = error_of(head + " \"units\": 10,\n \"fp32_tflop\": 2}");
    CHECK(e.field() == "fp32_tflop");
    CHECK(e.where().file == "dev.json");
    CHECK(e.where().line == 3);
    CHECK(e.message() == "unknown field");
    // numbers out of range: an int field does not wrap (4294967297 used to read as 1), 1e999 overflows
    e = error_of(head + " \"units\": 4294967297}");
    CHECK(e.field() == "units");
    CHECK(e.message() == "expected an integer from -2147483648 to 2147483647, got 4294967297");
    e = error_of(head + " \"units\": 10, \"memory_gb\": 1e999}");
    CHECK(e.field() == "memory_gb");
    CHECK(e.where().line == 2);
    // inside a "perfcast-devices" document, the path starts at the list
    e = error_of("{\"format\": \"perfcast-devices\", \"version\": 1, \"devices\": [\n" + head +
                 " \"units\": 10},\n" + head + " \"units\": 10, \"simd_width\": \"wide\"}]}");
    CHECK(e.field() == "devices[1].simd_width");
    CHECK(e.where().line == 5);
    CHECK(e.message() == "expected an integer, got a string");
}
