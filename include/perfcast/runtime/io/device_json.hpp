/**
 * @file io/device_json.hpp
 * @brief Devices to and from JSON (schema "perfcast-devices", version 1), and the
 *        DeviceRegistry: the built-in database plus the devices a user loads.
 */
#pragma once

#include <deque>        // deque (stable storage for loaded names)
#include <string>       // string
#include <string_view>  // string_view
#include <vector>       // vector

#include "../detail/json.hpp"  // json, json_reader
#include "../../core/devices.hpp"      // Device, devices::builtin, find_device
#include "../../core/error.hpp"        // error
#include "network_json.hpp"    // detail::object_reader

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
        throw error("device", "unknown device \"" + std::string(query) + "\"; known: " + known);
    }

    /** @brief Adds the devices of a "perfcast-devices" document (or one device object). */
    void parse(const std::string& text, const std::string& file) {
        using namespace detail;
        const json j = parse_json(text, file);
        const json_reader r(file, text);
        if (j.is_object() && j.contains("devices")) {
            object_reader top(r, j, {});
            const std::string format = top.string("format");
            if (format != devices_format)
                r.fail(top.at("format"), "expected \"" + std::string(devices_format) + "\" (got \"" + format + "\")");
            if (top.integer("version") != devices_format_version) r.fail(top.at("version"), "unsupported version");
            const json& list = j.at("devices");
            if (!list.is_array()) r.fail(top.at("devices"), "expected an array");
            for (std::size_t i = 0; i < list.size(); ++i) add_one(r, list[i], {std::string("devices"), i});
        } else {
            add_one(r, j, {});
        }
    }
    void load(const std::string& path) { parse(detail::read_file(path), path); }

private:
    std::string_view keep(std::string s) { return m_strings.emplace_back(std::move(s)); }

    void add_one(const detail::json_reader& r, const detail::json& j, std::vector<detail::json_step> path) {
        detail::object_reader o(r, j, path);
        Device d;
        d.id = keep(o.string("id"));
        d.name = keep(o.string("name", std::string(d.id)));
        if (j.contains("aliases")) {
            const auto& a = j.at("aliases");
            if (!a.is_array() || a.size() > d.aliases.size())
                r.fail(o.at("aliases"), "expected an array of at most 4 strings");
            for (std::size_t i = 0; i < a.size(); ++i) {
                if (!a[i].is_string()) r.fail(o.at("aliases"), "expected strings");
                d.aliases[i] = keep(a[i].get<std::string>());
            }
        }
        o.used("aliases");
        const std::string kind = o.string("kind", "gpu");
        if (kind != "gpu" && kind != "cpu") r.fail(o.at("kind"), "expected \"gpu\" or \"cpu\"");
        d.kind = kind == "gpu" ? DeviceKind::gpu : DeviceKind::cpu;
        d.architecture = keep(o.string("architecture", ""));
        const std::string cc = o.string("compute_capability", "0.0");
        const auto dot = cc.find('.');
        if (dot == std::string::npos) r.fail(o.at("compute_capability"), "expected \"major.minor\"");
        try {
            d.cc_major = std::stoi(cc.substr(0, dot));
            d.cc_minor = std::stoi(cc.substr(dot + 1));
        } catch (const std::exception&) {
            r.fail(o.at("compute_capability"), "expected \"major.minor\"");
        }
        d.units = static_cast<int>(o.integer("units"));
        d.lanes_per_unit = static_cast<int>(o.integer("lanes_per_unit"));
        d.simd_width = static_cast<int>(o.integer("simd_width", 0));
        d.fma_units = static_cast<int>(o.integer("fma_units", 0));
        d.boost_mhz = o.number("boost_mhz", 0);
        d.fp32_tflops = o.number("fp32_tflops", 0);
        d.tf32_tflops = o.number("tf32_tflops", 0);
        d.fp16_tflops = o.number("fp16_tflops", 0);
        d.bf16_tflops = o.number("bf16_tflops", 0);
        d.bandwidth_gbs = o.number("bandwidth_gbs", 0);
        d.l2_mb = o.number("l2_mb", 0);
        d.memory_gb = o.number("memory_gb", 0);
        d.source = keep(o.string("source", "loaded from " + r.file()));
        o.no_other_keys();
        if (d.units < 1) r.fail(o.at("units"), "must be >= 1");
        if (d.lanes_per_unit < 1) r.fail(o.at("lanes_per_unit"), "must be >= 1");
        if (!(d.fp32_tflops > 0)) r.fail(o.at("fp32_tflops"), "must be > 0");
        if (!(d.bandwidth_gbs > 0)) r.fail(o.at("bandwidth_gbs"), "must be > 0");
        m_devices.push_back(d);
    }

    std::deque<std::string> m_strings;
    std::vector<Device> m_devices;
};

}  // namespace perfcast
