// gpuwb-nvml-probe: lists the GPUs NVML sees and one reading of each. Plain C++17 so that it
// runs on GPU machines that have no Qt. Exit code 0 with GPUs, 1 without, 2 when NVML fails.

#include "nvmlloader.h"

#include <cstdio>
#include <string>

namespace {

template<typename T>
std::string show(const std::optional<T> &value, const char *unit, double scale = 1.0)
{
    if (!value)
        return "n/a";
    char text[64];
    std::snprintf(text, sizeof text, "%.6g%s", double(*value) / scale, unit);
    return text;
}

} // namespace

int main(int argc, char **argv)
{
    gpuwb::NvmlLoader nvml;
    if (!nvml.open(argc > 1 ? argv[1] : std::string())) {
        std::printf("%s\n", nvml.error().c_str());
        return 2;
    }
    std::printf("NVML library: %s\n", nvml.libraryPath().c_str());
    std::printf("Driver: %s  NVML: %s\n", nvml.driverVersion().c_str(), nvml.nvmlVersion().c_str());
    const auto count = nvml.deviceCount();
    if (!count) {
        std::printf("%s\n", nvml.error().c_str());
        return 2;
    }
    if (*count == 0) {
        std::printf("No NVIDIA GPU found.\n");
        return 1;
    }
    for (unsigned int i = 0; i < *count; ++i) {
        const gpuwb::NvmlDeviceReading r = nvml.readDevice(i);
        if (!r.error.empty()) {
            std::printf("GPU %u: %s\n", i, r.error.c_str());
            continue;
        }
        std::printf("GPU %u: %s  %s\n", i, r.name.value_or("(no name)").c_str(),
                    r.uuid.value_or("(no uuid)").c_str());
        std::printf("  utilisation %s (memory %s)\n", show(r.utilizationGpuPercent, " %").c_str(),
                    show(r.utilizationMemoryPercent, " %").c_str());
        // Used as nvidia-smi counts it (v2); "reserved n/a" means the v1 fallback, whose used
        // includes the driver's reserved memory.
        std::printf("  memory %s / %s (reserved %s)\n",
                    show(r.memoryUsedBytes, " MiB", 1048576.0).c_str(),
                    show(r.memoryTotalBytes, " MiB", 1048576.0).c_str(),
                    show(r.memoryReservedBytes, " MiB", 1048576.0).c_str());
        std::printf("  temperature %s  fan %s\n", show(r.temperatureCelsius, " C").c_str(),
                    show(r.fanSpeedPercent, " %").c_str());
        std::printf("  power %s / %s\n", show(r.powerMilliwatts, " W", 1000.0).c_str(),
                    show(r.powerLimitMilliwatts, " W", 1000.0).c_str());
        std::printf("  clocks SM %s  memory %s\n", show(r.smClockMhz, " MHz").c_str(),
                    show(r.memoryClockMhz, " MHz").c_str());
        if (!r.processes) {
            std::printf("  processes: n/a\n");
        } else {
            std::printf("  processes: %zu\n", r.processes->size());
            for (const auto &p : *r.processes)
                std::printf("    pid %u  %s\n", p.pid,
                            show(p.usedMemoryBytes, " MiB", 1048576.0).c_str());
        }
    }
    return 0;
}
