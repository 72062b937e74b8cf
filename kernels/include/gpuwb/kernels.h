#pragma once

// GPU Workbench kernels: a device query, a memory-bandwidth probe, saxpy and a sum reduction, each
// with a CPU reference. Plain C++17 with no CUDA or Qt types, so that programs built with any C++
// compiler can call it; when the library was configured without nvcc every GPU function returns
// KernelError::NotBuilt. GPU functions take and return host memory (they copy to and from the
// device themselves), never throw, and are safe to call from any one thread at a time per device.

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace gpuwb::kernels {

enum class KernelError {
    None,            // success
    NotBuilt,        // the library was built without CUDA (nvcc was not found)
    NoDevice,        // no usable CUDA device or driver
    InvalidArgument, // bad device index, null pointer with a non-zero size, size overflow
    Cuda,            // a CUDA call failed on a device that exists
    Mismatch,        // a self-check on the device found wrong data
};

// The outcome of a GPU call: ok(), or a code and a message for people that says what happened.
struct KernelStatus {
    KernelError code = KernelError::None;
    std::string message;

    bool ok() const { return code == KernelError::None; }
    explicit operator bool() const { return ok(); }

    static KernelStatus success() { return {}; }
    static KernelStatus failure(KernelError code, std::string message)
    {
        return KernelStatus{code, std::move(message)};
    }
};

struct DeviceInfo {
    int index = 0;
    std::string name;
    std::string pciBusId;             // "0000:01:00.0"; empty when unknown
    int computeMajor = 0;
    int computeMinor = 0;
    int multiprocessorCount = 0;
    std::uint64_t totalMemoryBytes = 0;
    int smClockKhz = 0;               // peak; 0 when the runtime does not report it
    int memoryClockKhz = 0;           // peak; 0 when the runtime does not report it
    int memoryBusWidthBits = 0;

    // Theoretical DRAM bandwidth from the memory clock and bus width (double data rate), in
    // GB/s (1e9 bytes); 0 when either is unknown.
    double peakBandwidthGBps() const
    {
        return 2.0 * memoryClockKhz * 1e3 * (memoryBusWidthBits / 8.0) / 1e9;
    }
};

struct DeviceQuery {
    KernelStatus status;              // NoDevice when there is no driver or no GPU
    int runtimeVersion = 0;           // e.g. 13000 for CUDA 13.0; 0 when not built with CUDA
    int driverVersion = 0;            // the newest CUDA version the driver supports; 0: no driver
    std::vector<DeviceInfo> devices;
};

struct BandwidthResult {
    std::size_t bufferBytes = 0;
    int iterations = 0;
    // Bytes read plus bytes written per second, in GB/s (1e9 bytes), so a copy of N bytes counts
    // 2N: the convention bandwidthTest and vendors' peak numbers use.
    double copyKernelGBps = 0;        // our grid-stride copy kernel, timed with CUDA events
    double memcpyGBps = 0;            // cudaMemcpy device to device, for comparison
};

// True when this library was compiled with nvcc (the GPU functions can work at all).
bool cudaBuilt();

// Lists the CUDA devices. status is NoDevice with "no CUDA device: <CUDA's reason>" when there
// are none, and devices is then empty.
DeviceQuery queryDevices();

// y[i] = a * x[i] + y[i] on device `device`, in place on the host array y.
KernelStatus saxpyGpu(float a, const float *x, float *y, std::size_t n, int device = 0);

// *result = the sum of x[0..n), accumulated in double precision on device `device`.
KernelStatus sumGpu(const float *x, std::size_t n, double *result, int device = 0);

// dst[i] = src[i] through the probe's copy kernel on device `device` (host to device, kernel copy
// on the device, device to host), so that the kernel the bandwidth probe times is also checked.
KernelStatus copyGpu(const float *src, float *dst, std::size_t n, int device = 0);

// Times `iterations` device-to-device copies of a `bytes` buffer (rounded down to whole floats)
// after one warm-up, then checks the copied data. bytes of 256 MiB and 20 iterations give a
// steady number on current GPUs in well under a second.
KernelStatus measureBandwidth(std::size_t bytes, int iterations, BandwidthResult *result,
                              int device = 0);

// CPU references: the same arithmetic in plain loops, what the GPU results are checked against.
// Null pointers are allowed when n is 0.
void saxpyCpu(float a, const float *x, float *y, std::size_t n);
double sumCpu(const float *x, std::size_t n);     // double accumulator, in index order
void copyCpu(const float *src, float *dst, std::size_t n);

} // namespace gpuwb::kernels
