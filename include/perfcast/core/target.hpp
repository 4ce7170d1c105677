/**
 * @file target.hpp
 * @brief perfcast::Target: what a prediction is for, the device, the pass and the precision,
 *        as one value instead of three arguments.
 */
#pragma once

#include "devices.hpp"  // Device
#include "types.hpp"    // Pass, DType

namespace perfcast {

/**
 * @brief A device, a pass and a precision: the question every time function answers for a layer.
 * It refers to its device, which must outlive it (the built-in `devices::*` and a DeviceRegistry's
 * entries do).
 */
class Target {
public:
    constexpr Target(const Device& device, Pass pass = Pass::inference, DType dtype = DType::fp32) noexcept
        : m_device(&device), m_pass(pass), m_dtype(dtype) {}

    constexpr const Device& device() const noexcept { return *m_device; }
    constexpr Pass pass() const noexcept { return m_pass; }
    constexpr DType dtype() const noexcept { return m_dtype; }

    /** @brief The same device and precision in another pass (an optimizer's update runs as a forward). */
    constexpr Target with(Pass pass) const noexcept { return Target(*m_device, pass, m_dtype); }
    /** @brief The same device and pass in another precision. */
    constexpr Target with(DType dtype) const noexcept { return Target(*m_device, m_pass, dtype); }

private:
    const Device* m_device;
    Pass m_pass;
    DType m_dtype;
};

}  // namespace perfcast
