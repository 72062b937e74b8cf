// gpuwb-devicequery: prints what gpuwb::kernels::queryDevices() sees, one block per device, in a
// stable "key: value" layout that people read and targets can log. Exit status: 0 when at least
// one device was listed, 1 when there is none (the reason goes to stderr), 2 bad usage.

#include "gpuwb/kernels.h"

#include <cstdio>
#include <string>

using namespace gpuwb::kernels;

namespace {

std::string version(int v)
{
    if (v <= 0)
        return "none";
    return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10);
}

} // namespace

int main(int argc, char **argv)
{
    if (argc > 1) {
        const std::string arg = argv[1];
        const bool help = arg == "--help" || arg == "-h";
        std::fprintf(help ? stdout : stderr,
                     "usage: gpuwb-devicequery\n  Lists the CUDA devices this machine has.\n");
        return help ? 0 : 2;
    }
    const DeviceQuery query = queryDevices();
    if (cudaBuilt())
        std::printf("CUDA runtime: %s\nCUDA driver: %s\n", version(query.runtimeVersion).c_str(),
                    version(query.driverVersion).c_str());
    else
        std::printf("CUDA runtime: not built in\nCUDA driver: unknown\n");
    if (!query.status) {
        std::printf("devices: 0\n");
        std::fprintf(stderr, "gpuwb-devicequery: %s\n", query.status.message.c_str());
        return 1;
    }
    std::printf("devices: %zu\n", query.devices.size());
    for (const DeviceInfo &d : query.devices) {
        std::printf("\ndevice %d: %s\n", d.index, d.name.c_str());
        std::printf("  compute capability: %d.%d\n", d.computeMajor, d.computeMinor);
        std::printf("  multiprocessors: %d\n", d.multiprocessorCount);
        std::printf("  memory: %.2f GiB (%llu bytes)\n", double(d.totalMemoryBytes) / (1 << 30),
                    static_cast<unsigned long long>(d.totalMemoryBytes));
        std::printf("  SM clock: %d MHz\n", d.smClockKhz / 1000);
        std::printf("  memory clock: %d MHz\n", d.memoryClockKhz / 1000);
        std::printf("  memory bus: %d bits\n", d.memoryBusWidthBits);
        std::printf("  peak memory bandwidth: %.0f GB/s\n", d.peakBandwidthGBps());
        if (!d.pciBusId.empty())
            std::printf("  PCI bus: %s\n", d.pciBusId.c_str());
    }
    return 0;
}
