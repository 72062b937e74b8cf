#pragma once

// Plain C++17, no Qt: this also builds the gpuwb-nvml-probe program on GPU machines that have
// only a compiler (see CMakeLists.txt next to this file).

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gpuwb {

struct NvmlProcessReading
{
    unsigned int pid = 0;
    std::optional<unsigned long long> usedMemoryBytes; // absent under WDDM and MIG
};

// One reading of one device. A metric whose NVML call fails (not supported, no permission,
// missing symbol) is simply absent.
struct NvmlDeviceReading
{
    unsigned int index = 0;
    std::string error; // non-empty when the device handle itself could not be had
    std::optional<std::string> name;
    std::optional<std::string> uuid;
    std::optional<unsigned int> utilizationGpuPercent;
    std::optional<unsigned int> utilizationMemoryPercent;
    // Used as nvidia-smi's memory.used counts it: without the driver's reserved memory when
    // nvmlDeviceGetMemoryInfo_v2 answers; with it included on the v1 fallback.
    std::optional<unsigned long long> memoryUsedBytes;
    std::optional<unsigned long long> memoryTotalBytes;
    // The driver's reserved memory; absent on the v1 fallback (memoryUsedBytes includes it).
    std::optional<unsigned long long> memoryReservedBytes;
    std::optional<unsigned int> temperatureCelsius;
    std::optional<unsigned int> powerMilliwatts;
    std::optional<unsigned int> powerLimitMilliwatts;
    std::optional<unsigned int> smClockMhz;
    std::optional<unsigned int> memoryClockMhz;
    std::optional<unsigned int> fanSpeedPercent;
    std::optional<std::vector<NvmlProcessReading>> processes; // absent when the query failed
};

// Opens the NVIDIA management library with dlopen at run time (principle 6), so that the
// workbench builds and starts on machines without a driver. Resolves versioned symbols with
// fallbacks to older names. Owns the library handle and the NVML initialisation; not thread
// safe: use it from one thread only (the GPU sampler's, principle 5).
class NvmlLoader
{
public:
    NvmlLoader();
    ~NvmlLoader();
    NvmlLoader(const NvmlLoader &) = delete;
    NvmlLoader &operator=(const NvmlLoader &) = delete;

    // Loads and initialises NVML. libraryPath empty: $GPUWB_NVML_LIBRARY if set, else
    // libnvidia-ml.so.1, then libnvidia-ml.so. On failure returns false and error() says
    // what happened and what to do.
    bool open(const std::string &libraryPath = {});
    bool isOpen() const;
    void close();
    const std::string &error() const;
    // The library that was opened (or tried last).
    const std::string &libraryPath() const;

    std::string driverVersion() const; // empty when unknown
    std::string nvmlVersion() const;   // empty when unknown
    // Number of devices, or nullopt with error() set.
    std::optional<unsigned int> deviceCount();
    NvmlDeviceReading readDevice(unsigned int index) const;
    std::vector<NvmlDeviceReading> readAll();

    static constexpr const char *kLibraryName = "libnvidia-ml.so.1";
    static constexpr const char *kFallbackLibraryName = "libnvidia-ml.so";
    static constexpr const char *kLibraryEnvironmentVariable = "GPUWB_NVML_LIBRARY";

private:
    struct Api;
    std::unique_ptr<Api> m_api;
    void *m_handle = nullptr;
    bool m_initialised = false;
    std::string m_error;
    std::string m_libraryPath;
};

} // namespace gpuwb
