// The CUDA side of gpuwb/kernels.h. All kernels live in this one translation unit: with five
// target architectures every .cu costs five device compilations, and the box that builds this
// has two cores.

#include "gpuwb/kernels.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <string>
#include <vector>

namespace gpuwb::kernels {
namespace {

constexpr int kThreads = 256;  // every launch below uses exactly this block size
constexpr int kWarp = 32;
constexpr int kBlocksPerSm = 8; // enough resident blocks to saturate memory on current parts

__global__ void saxpyKernel(float a, const float *__restrict__ x, float *__restrict__ y,
                            std::size_t n)
{
    const std::size_t stride = std::size_t(gridDim.x) * blockDim.x;
    for (std::size_t i = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
        y[i] = a * x[i] + y[i];
}

// One partial sum per block, accumulated in double so that the result does not depend on the
// grid shape more than rounding the partials; the host adds the (at most a few thousand)
// partials.
__global__ void sumKernel(const float *__restrict__ x, std::size_t n, double *__restrict__ partials)
{
    double acc = 0.0;
    const std::size_t stride = std::size_t(gridDim.x) * blockDim.x;
    for (std::size_t i = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
        acc += static_cast<double>(x[i]);

    for (int offset = kWarp / 2; offset > 0; offset /= 2)
        acc += __shfl_down_sync(0xffffffffu, acc, offset);

    __shared__ double warpSums[kThreads / kWarp];
    const int lane = threadIdx.x % kWarp;
    const int warp = threadIdx.x / kWarp;
    if (lane == 0)
        warpSums[warp] = acc;
    __syncthreads();
    if (warp == 0) {
        acc = lane < kThreads / kWarp ? warpSums[lane] : 0.0;
        for (int offset = kWarp / 2; offset > 0; offset /= 2)
            acc += __shfl_down_sync(0xffffffffu, acc, offset);
        if (lane == 0)
            partials[blockIdx.x] = acc;
    }
}

// 16-byte loads and stores for the bulk, single floats for the tail. Both pointers come from
// cudaMalloc, which aligns to at least 256 bytes, so the float4 view is aligned.
__global__ void copyKernel(const float *__restrict__ src, float *__restrict__ dst, std::size_t n)
{
    const std::size_t stride = std::size_t(gridDim.x) * blockDim.x;
    const std::size_t first = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    const std::size_t vectors = n / 4;
    const float4 *src4 = reinterpret_cast<const float4 *>(src);
    float4 *dst4 = reinterpret_cast<float4 *>(dst);
    for (std::size_t i = first; i < vectors; i += stride)
        dst4[i] = src4[i];
    for (std::size_t i = vectors * 4 + first; i < n; i += stride)
        dst[i] = src[i];
}

std::string describe(cudaError_t error)
{
    return std::string(cudaGetErrorString(error)) + " (" + cudaGetErrorName(error) + ")";
}

KernelStatus cudaFailure(const std::string &what, cudaError_t error)
{
    cudaGetLastError(); // clear a non-sticky error so that the next call starts clean
    std::string message = what + " failed: " + describe(error);
    if (error == cudaErrorMemoryAllocation)
        message += "; try a smaller size or free GPU memory";
    return KernelStatus::failure(KernelError::Cuda, message);
}

std::string cudaVersion(int v)
{
    return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10);
}

KernelStatus noDevice(cudaError_t error)
{
    cudaGetLastError();
    std::string message = "no CUDA device: " + describe(error);
    if (error == cudaErrorInsufficientDriver) {
        // cudart says "insufficient" also when there is no driver at all; tell the two apart.
        int runtime = 0, driver = 0;
        cudaRuntimeGetVersion(&runtime);
        cudaDriverGetVersion(&driver);
        if (driver == 0)
            message += "; no NVIDIA driver was found (libcuda.so.1)";
        else
            message += "; the driver supports CUDA " + cudaVersion(driver)
                       + " but this program needs " + cudaVersion(runtime)
                       + ": update the NVIDIA driver";
    }
    return KernelStatus::failure(KernelError::NoDevice, message);
}

KernelStatus selectDevice(int device)
{
    int count = 0;
    const cudaError_t error = cudaGetDeviceCount(&count);
    if (error != cudaSuccess)
        return noDevice(error);
    if (count == 0)
        return KernelStatus::failure(KernelError::NoDevice,
                                     "no CUDA device: the driver reports no GPUs");
    if (device < 0 || device >= count)
        return KernelStatus::failure(
            KernelError::InvalidArgument,
            "CUDA device " + std::to_string(device) + " does not exist: this machine has "
                + std::to_string(count) + " (0 to " + std::to_string(count - 1) + ")");
    if (const cudaError_t e = cudaSetDevice(device); e != cudaSuccess)
        return cudaFailure("cudaSetDevice(" + std::to_string(device) + ")", e);
    return KernelStatus::success();
}

KernelStatus checkBuffers(std::size_t n, std::initializer_list<const void *> pointers)
{
    if (n > std::numeric_limits<std::size_t>::max() / sizeof(float))
        return KernelStatus::failure(KernelError::InvalidArgument,
                                     "size " + std::to_string(n) + " overflows a byte count");
    if (n > 0)
        for (const void *p : pointers)
            if (!p)
                return KernelStatus::failure(KernelError::InvalidArgument,
                                             "null buffer for " + std::to_string(n) + " elements");
    return KernelStatus::success();
}

// Grid-stride launches need no more blocks than fill the device; fewer for small inputs.
unsigned gridFor(std::size_t work, int device)
{
    int sms = 0;
    if (cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device) != cudaSuccess
        || sms <= 0)
        sms = 16;
    const std::size_t needed = (work + kThreads - 1) / kThreads;
    return unsigned(std::clamp<std::size_t>(needed, 1, std::size_t(sms) * kBlocksPerSm));
}

// Owns one cudaMalloc allocation; freed on every return path.
class DeviceBuffer
{
public:
    DeviceBuffer() = default;
    DeviceBuffer(const DeviceBuffer &) = delete;
    DeviceBuffer &operator=(const DeviceBuffer &) = delete;
    ~DeviceBuffer()
    {
        if (m_ptr)
            cudaFree(m_ptr);
    }

    KernelStatus allocate(std::size_t bytes)
    {
        if (bytes == 0)
            return KernelStatus::success();
        if (const cudaError_t e = cudaMalloc(&m_ptr, bytes); e != cudaSuccess) {
            m_ptr = nullptr;
            return cudaFailure("cudaMalloc of " + std::to_string(bytes >> 20) + " MiB", e);
        }
        return KernelStatus::success();
    }
    template <typename T>
    T *as() const { return static_cast<T *>(m_ptr); }

private:
    void *m_ptr = nullptr;
};

class Event
{
public:
    Event() = default;
    Event(const Event &) = delete;
    Event &operator=(const Event &) = delete;
    ~Event()
    {
        if (m_event)
            cudaEventDestroy(m_event);
    }
    cudaError_t create() { return cudaEventCreate(&m_event); }
    cudaEvent_t get() const { return m_event; }

private:
    cudaEvent_t m_event = nullptr;
};

KernelStatus upload(void *dst, const void *src, std::size_t bytes)
{
    if (bytes == 0)
        return KernelStatus::success();
    if (const cudaError_t e = cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice); e != cudaSuccess)
        return cudaFailure("copy to the GPU", e);
    return KernelStatus::success();
}

// Also where a failed kernel's error surfaces, since the copy waits for it.
KernelStatus download(void *dst, const void *src, std::size_t bytes, const char *kernel)
{
    if (const cudaError_t e = cudaGetLastError(); e != cudaSuccess)
        return cudaFailure(std::string("launching ") + kernel, e);
    if (bytes == 0)
        return KernelStatus::success();
    if (const cudaError_t e = cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost); e != cudaSuccess)
        return cudaFailure(std::string(kernel) + " or the copy back from the GPU", e);
    return KernelStatus::success();
}

// Times `iterations` calls of `work` between two events, in milliseconds.
template <typename Work>
KernelStatus timeIt(int iterations, Work work, float *milliseconds)
{
    Event start, stop;
    if (const cudaError_t e = start.create(); e != cudaSuccess)
        return cudaFailure("cudaEventCreate", e);
    if (const cudaError_t e = stop.create(); e != cudaSuccess)
        return cudaFailure("cudaEventCreate", e);
    cudaEventRecord(start.get());
    for (int i = 0; i < iterations; ++i)
        work();
    cudaEventRecord(stop.get());
    if (const cudaError_t e = cudaEventSynchronize(stop.get()); e != cudaSuccess)
        return cudaFailure("timed loop", e);
    if (const cudaError_t e = cudaGetLastError(); e != cudaSuccess)
        return cudaFailure("timed loop", e);
    if (const cudaError_t e = cudaEventElapsedTime(milliseconds, start.get(), stop.get());
        e != cudaSuccess)
        return cudaFailure("cudaEventElapsedTime", e);
    return KernelStatus::success();
}

double gbps(std::size_t bytesMoved, int iterations, float milliseconds)
{
    return milliseconds > 0 ? double(bytesMoved) * iterations / (milliseconds * 1e-3) / 1e9 : 0.0;
}

} // namespace

bool cudaBuilt()
{
    return true;
}

DeviceQuery queryDevices()
{
    DeviceQuery query;
    cudaRuntimeGetVersion(&query.runtimeVersion);
    cudaDriverGetVersion(&query.driverVersion);
    int count = 0;
    if (const cudaError_t e = cudaGetDeviceCount(&count); e != cudaSuccess) {
        query.status = noDevice(e);
        return query;
    }
    if (count == 0) {
        query.status = KernelStatus::failure(KernelError::NoDevice,
                                             "no CUDA device: the driver reports no GPUs");
        return query;
    }
    for (int i = 0; i < count; ++i) {
        cudaDeviceProp prop;
        if (const cudaError_t e = cudaGetDeviceProperties(&prop, i); e != cudaSuccess) {
            query.status = cudaFailure("cudaGetDeviceProperties(" + std::to_string(i) + ")", e);
            return query;
        }
        DeviceInfo info;
        info.index = i;
        info.name = prop.name;
        info.computeMajor = prop.major;
        info.computeMinor = prop.minor;
        info.multiprocessorCount = prop.multiProcessorCount;
        info.totalMemoryBytes = prop.totalGlobalMem;
        // Clocks through attributes: CUDA 13 removed the clock fields from cudaDeviceProp.
        cudaDeviceGetAttribute(&info.smClockKhz, cudaDevAttrClockRate, i);
        cudaDeviceGetAttribute(&info.memoryClockKhz, cudaDevAttrMemoryClockRate, i);
        cudaDeviceGetAttribute(&info.memoryBusWidthBits, cudaDevAttrGlobalMemoryBusWidth, i);
        char bus[32] = {};
        if (cudaDeviceGetPCIBusId(bus, sizeof bus, i) == cudaSuccess)
            info.pciBusId = bus;
        cudaGetLastError(); // an attribute this GPU lacks is not an error for the query
        query.devices.push_back(std::move(info));
    }
    return query;
}

KernelStatus saxpyGpu(float a, const float *x, float *y, std::size_t n, int device)
{
    if (KernelStatus s = selectDevice(device); !s)
        return s;
    if (KernelStatus s = checkBuffers(n, {x, y}); !s)
        return s;
    if (n == 0)
        return KernelStatus::success();
    const std::size_t bytes = n * sizeof(float);
    DeviceBuffer dx, dy;
    if (KernelStatus s = dx.allocate(bytes); !s)
        return s;
    if (KernelStatus s = dy.allocate(bytes); !s)
        return s;
    if (KernelStatus s = upload(dx.as<void>(), x, bytes); !s)
        return s;
    if (KernelStatus s = upload(dy.as<void>(), y, bytes); !s)
        return s;
    saxpyKernel<<<gridFor(n, device), kThreads>>>(a, dx.as<float>(), dy.as<float>(), n);
    return download(y, dy.as<void>(), bytes, "saxpy kernel");
}

KernelStatus sumGpu(const float *x, std::size_t n, double *result, int device)
{
    if (KernelStatus s = selectDevice(device); !s)
        return s;
    if (!result)
        return KernelStatus::failure(KernelError::InvalidArgument, "null result pointer");
    if (KernelStatus s = checkBuffers(n, {x}); !s)
        return s;
    *result = 0.0;
    if (n == 0)
        return KernelStatus::success();
    const std::size_t bytes = n * sizeof(float);
    const unsigned blocks = gridFor(n, device);
    DeviceBuffer dx, dpartials;
    if (KernelStatus s = dx.allocate(bytes); !s)
        return s;
    if (KernelStatus s = dpartials.allocate(blocks * sizeof(double)); !s)
        return s;
    if (KernelStatus s = upload(dx.as<void>(), x, bytes); !s)
        return s;
    sumKernel<<<blocks, kThreads>>>(dx.as<float>(), n, dpartials.as<double>());
    std::vector<double> partials(blocks);
    if (KernelStatus s = download(partials.data(), dpartials.as<void>(),
                                  blocks * sizeof(double), "sum kernel");
        !s)
        return s;
    double total = 0.0;
    for (double p : partials)
        total += p;
    *result = total;
    return KernelStatus::success();
}

KernelStatus copyGpu(const float *src, float *dst, std::size_t n, int device)
{
    if (KernelStatus s = selectDevice(device); !s)
        return s;
    if (KernelStatus s = checkBuffers(n, {src, dst}); !s)
        return s;
    if (n == 0)
        return KernelStatus::success();
    const std::size_t bytes = n * sizeof(float);
    DeviceBuffer dsrc, ddst;
    if (KernelStatus s = dsrc.allocate(bytes); !s)
        return s;
    if (KernelStatus s = ddst.allocate(bytes); !s)
        return s;
    if (KernelStatus s = upload(dsrc.as<void>(), src, bytes); !s)
        return s;
    copyKernel<<<gridFor(n / 4 + n % 4, device), kThreads>>>(dsrc.as<float>(), ddst.as<float>(), n);
    return download(dst, ddst.as<void>(), bytes, "copy kernel");
}

KernelStatus measureBandwidth(std::size_t bytes, int iterations, BandwidthResult *result,
                              int device)
{
    if (KernelStatus s = selectDevice(device); !s)
        return s;
    const std::size_t n = bytes / sizeof(float);
    if (!result || iterations <= 0 || n == 0)
        return KernelStatus::failure(KernelError::InvalidArgument,
                                     "the bandwidth probe needs a result, at least one iteration "
                                     "and at least 4 bytes");
    bytes = n * sizeof(float);
    *result = BandwidthResult{};
    result->bufferBytes = bytes;
    result->iterations = iterations;

    DeviceBuffer dsrc, ddst;
    if (KernelStatus s = dsrc.allocate(bytes); !s)
        return s;
    if (KernelStatus s = ddst.allocate(bytes); !s)
        return s;
    std::vector<float> pattern(n);
    for (std::size_t i = 0; i < n; ++i)
        pattern[i] = float(i % 16777216u) + 0.5f; // distinct within 2^24, never zero
    if (KernelStatus s = upload(dsrc.as<void>(), pattern.data(), bytes); !s)
        return s;

    float ms = 0;
    auto memcpyOnce = [&] {
        cudaMemcpyAsync(ddst.as<void>(), dsrc.as<void>(), bytes, cudaMemcpyDeviceToDevice);
    };
    memcpyOnce(); // warm-up: first-touch and clock ramp
    if (KernelStatus s = timeIt(iterations, memcpyOnce, &ms); !s)
        return s;
    result->memcpyGBps = gbps(2 * bytes, iterations, ms);

    // Clear the destination so the check below sees what the kernel wrote, not cudaMemcpy.
    if (const cudaError_t e = cudaMemset(ddst.as<void>(), 0, bytes); e != cudaSuccess)
        return cudaFailure("cudaMemset", e);
    const unsigned blocks = gridFor(n / 4 + n % 4, device);
    auto kernelOnce = [&] {
        copyKernel<<<blocks, kThreads>>>(dsrc.as<float>(), ddst.as<float>(), n);
    };
    kernelOnce();
    if (KernelStatus s = timeIt(iterations, kernelOnce, &ms); !s)
        return s;
    result->copyKernelGBps = gbps(2 * bytes, iterations, ms);

    std::vector<float> copied(n);
    if (KernelStatus s = download(copied.data(), ddst.as<void>(), bytes, "copy kernel"); !s)
        return s;
    if (std::memcmp(copied.data(), pattern.data(), bytes) != 0) {
        const auto where = std::mismatch(copied.begin(), copied.end(), pattern.begin());
        return KernelStatus::failure(
            KernelError::Mismatch,
            "the copy kernel wrote wrong data at element "
                + std::to_string(where.first - copied.begin()) + " of " + std::to_string(n));
    }
    return KernelStatus::success();
}

} // namespace gpuwb::kernels
