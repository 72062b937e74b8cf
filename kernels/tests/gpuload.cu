// gpuwb-gpu-load SECONDS MIB: keeps device 0 busy for SECONDS with MIB of device memory held
// the whole time (allocated once, so memory.used stays put while it runs), for the telemetry
// agreement test. Prints "ready <pid>" once the memory is allocated and the first kernel ran.
// Exit status 0, or 1 when CUDA failed.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>

namespace {

__global__ void spin(float *data, size_t n, int rounds)
{
    const size_t stride = size_t(gridDim.x) * blockDim.x;
    for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
        float v = data[i];
        for (int k = 0; k < rounds; ++k)
            v = v * 0.999999f + 0.5f;
        data[i] = v;
    }
}

} // namespace

int main(int argc, char **argv)
{
    const double seconds = argc > 1 ? std::atof(argv[1]) : 10.0;
    const size_t mib = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1024;
    const size_t n = mib * 1024 * 1024 / sizeof(float);
    float *data = nullptr;
    cudaError_t e = cudaMalloc(&data, n * sizeof(float));
    if (e != cudaSuccess) {
        std::printf("cudaMalloc of %zu MiB failed: %s\n", mib, cudaGetErrorString(e));
        return 1;
    }
    cudaMemset(data, 0, n * sizeof(float));
    spin<<<4096, 256>>>(data, n, 16);
    e = cudaDeviceSynchronize();
    if (e != cudaSuccess) {
        std::printf("the first kernel failed: %s\n", cudaGetErrorString(e));
        return 1;
    }
    std::printf("ready %d\n", int(getpid()));
    std::fflush(stdout);
    const auto start = std::chrono::steady_clock::now();
    long launches = 0;
    while (e == cudaSuccess
           && std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()
               < seconds) {
        spin<<<4096, 256>>>(data, n, 256);
        e = cudaDeviceSynchronize();
        ++launches;
    }
    std::printf("done: %ld launches, %s\n", launches, cudaGetErrorString(e));
    cudaFree(data);
    return e == cudaSuccess ? 0 : 1;
}
