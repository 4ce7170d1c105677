/**
 * @file io/device_json.hpp
 * @brief Devices to and from JSON (schema "perfcast-devices", version 1), and the
 *        DeviceRegistry: the built-in database plus the devices a user loads.
 */
#pragma once

#include <charconv>     // from_chars: the compute capability
#include <deque>        // deque (stable storage for loaded names)
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <utility>      // move
#include <vector>       // vector

#include "../detail/json.hpp"      // json; json_value, json_document, read_file: reading
#include "../../core/devices.hpp"  // Device, devices::builtin, find_device
#include "../../core/error.hpp"    // error

namespace perfcast {

inline constexpr std::string_view devices_format = "perfcast-devices";
inline constexpr int devices_format_version = 1;

/** @brief A device as a JSON object (every field, the source included). */
inline nlohmann::json device_to_json(const Device& d) {
    nlohmann::json j;
    j["id"] = std::string(d.id);
    j["name"] = std::string(d.name);
    j["aliases"] = nlohmann::json::array();
    for (std::string_view a : d.aliases)
        if (!a.empty()) j["aliases"].push_back(std::string(a));
    j["kind"] = std::string(to_string(d.kind));
    j["architecture"] = std::string(d.architecture);
    if (d.kind == DeviceKind::gpu) j["compute_capability"] = std::to_string(d.cc_major) + "." + std::to_string(d.cc_minor);
    j["units"] = d.units;
    j["lanes_per_unit"] = d.lanes_per_unit;
    if (d.kind == DeviceKind::cpu) {
        j["simd_width"] = d.simd_width;
        j["fma_units"] = d.fma_units;
    }
    j["boost_mhz"] = d.boost_mhz;
    j["fp32_tflops"] = d.fp32_tflops;
    j["tf32_tflops"] = d.tf32_tflops;
    j["fp16_tflops"] = d.fp16_tflops;
    j["bf16_tflops"] = d.bf16_tflops;
    j["bandwidth_gbs"] = d.bandwidth_gbs;
    j["l2_mb"] = d.l2_mb;
    j["memory_gb"] = d.memory_gb;
    j["source"] = std::string(d.source);
    if (d.kernel_floor_us > 0) j["kernel_floor_us"] = d.kernel_floor_us;
    return j;
}

/** @brief Devices in the "perfcast-devices" schema. */
template <typename Range>
nlohmann::json devices_to_json(const Range& devices) {
    nlohmann::json j;
    j["format"] = std::string(devices_format);
    j["version"] = devices_format_version;
    j["devices"] = nlohmann::json::array();
    for (const auto& d : devices) {
        if constexpr (std::is_pointer_v<std::remove_cvref_t<decltype(d)>>) j["devices"].push_back(device_to_json(*d));
        else j["devices"].push_back(device_to_json(d));
    }
    return j;
}

/**
 * @brief The built-in devices plus any loaded from JSON. Looked up by case-insensitive
 * name, id or alias; loaded devices are searched first, so a file can refine a built-in one.
 */
class DeviceRegistry {
public:
    DeviceRegistry() {
        for (const Device* d : devices::builtin) m_devices.push_back(*d);
    }
    DeviceRegistry(const DeviceRegistry&) = delete;
    DeviceRegistry& operator=(const DeviceRegistry&) = delete;

    const std::vector<Device>& all() const noexcept { return m_devices; }

    /** @brief The device a name refers to, or nullptr. */
    const Device* find(std::string_view query) const noexcept {
        for (auto it = m_devices.rbegin(); it != m_devices.rend(); ++it)
            if (detail::names(*it, query)) return &*it;
        return nullptr;
    }

    /** @brief The device a name refers to. @throws perfcast::error listing the known ids */
    const Device& get(std::string_view query) const {
        if (const Device* d = find(query)) return *d;
        std::string known;
        for (const Device& d : m_devices) known += (known.empty() ? "" : ", ") + std::string(d.id);
        throw error("device", "unknown device \"" + detail::excerpt(query) + "\"; known: " + known);
    }

    /** @brief Adds the devices of a "perfcast-devices" document (or one device object). */
    void parse(const std::string& text, const std::string& file) {
        const detail::json_document doc(file, text);
        const detail::json_value root = doc.root();
        if (root.has("devices")) {
            // Other top-level members are left alone, as they always were (a note, a date...).
            const std::string format = root.string("format");
            if (format != devices_format)
                root.fail("format", "expected \"" + std::string(devices_format) + "\" (got \"" + detail::excerpt(format) + "\")");
            if (root.integer("version") != devices_format_version) root.fail("version", "unsupported version");
            for (const detail::json_value& d : root.array("devices")) add_one(d, file);
        } else {
            add_one(root, file);
        }
    }
    void load(const std::string& path) { parse(detail::read_file(path), path); }

private:
    std::string_view keep(std::string s) { return m_strings.emplace_back(std::move(s)); }

    void add_one(const detail::json_value& o, const std::string& file) {
        Device d;
        d.id = keep(o.string("id"));
        d.name = keep(o.string("name", std::string(d.id)));
        if (const auto aliases = o.find("aliases")) {
            const std::vector<detail::json_value> list = aliases->array();
            if (list.size() > d.aliases.size())
                aliases->fail("expected an array of at most " + std::to_string(d.aliases.size()) + " strings");
            for (std::size_t i = 0; i < list.size(); ++i) d.aliases[i] = keep(list[i].string());
        }
        const std::string kind = o.string("kind", "gpu");
        if (kind != "gpu" && kind != "cpu") o.fail("kind", "expected \"gpu\" or \"cpu\"");
        d.kind = kind == "gpu" ? DeviceKind::gpu : DeviceKind::cpu;
        d.architecture = keep(o.string("architecture", ""));
        const std::string cc = o.string("compute_capability", "0.0");
        const auto dot = cc.find('.');
        if (dot == std::string::npos) o.fail("compute_capability", "expected \"major.minor\"");
        const auto whole_int = [&](std::string_view part) {
            int v = 0;
            const auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
            if (ec != std::errc() || p != part.data() + part.size() || v < 0 || v > 99)
                o.fail("compute_capability", "expected \"major.minor\", two integers from 0 to 99 (got \"" +
                                                 detail::excerpt(cc) + "\")");
            return v;
        };
        d.cc_major = whole_int(std::string_view(cc).substr(0, dot));
        d.cc_minor = whole_int(std::string_view(cc).substr(dot + 1));
        d.units = o.integer<int>("units");
        d.lanes_per_unit = o.integer<int>("lanes_per_unit");
        d.simd_width = o.integer<int>("simd_width", 0);
        d.fma_units = o.integer<int>("fma_units", 0);
        d.boost_mhz = o.number("boost_mhz", 0);
        d.fp32_tflops = o.number("fp32_tflops", 0);
        d.tf32_tflops = o.number("tf32_tflops", 0);
        d.fp16_tflops = o.number("fp16_tflops", 0);
        d.bf16_tflops = o.number("bf16_tflops", 0);
        d.bandwidth_gbs = o.number("bandwidth_gbs", 0);
        d.l2_mb = o.number("l2_mb", 0);
        d.memory_gb = o.number("memory_gb", 0);
        d.source = keep(o.string("source", "loaded from " + file));
        d.kernel_floor_us = o.number("kernel_floor_us", 0);
        o.no_other_keys();
        if (d.units < 1) o.fail("units", "must be >= 1");
        if (d.lanes_per_unit < 1) o.fail("lanes_per_unit", "must be >= 1");
        if (!(d.fp32_tflops > 0)) o.fail("fp32_tflops", "must be > 0");
        if (!(d.bandwidth_gbs > 0)) o.fail("bandwidth_gbs", "must be > 0");
        if (!(d.kernel_floor_us >= 0 && d.kernel_floor_us <= 1e6))
            o.fail("kernel_floor_us", "expected microseconds in [0, 1e6] (0: unknown)");
        m_devices.push_back(d);
    }

    std::deque<std::string> m_strings;
    std::vector<Device> m_devices;
};

}  // namespace perfcast
