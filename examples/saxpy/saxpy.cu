// saxpy: y = a * x + y over SAXPY_N floats (default 4194304), on the GPU when this was built with
// nvcc and a CUDA device answers, on the CPU otherwise, then checked against a separate CPU
// computation. The same file builds with a plain C++ compiler (c++ -x c++): everything CUDA is
// inside #ifdef __CUDACC__.
//
// Prints a few progress lines (a \r progress bar while computing) and ends with
// "saxpy: OK (...)" and exit status 0, or "saxpy: FAILED ..." and exit status 1.

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#ifdef __CUDACC__
#include <cuda_runtime.h>
#endif

namespace {

constexpr std::size_t kDefaultN = std::size_t(1) << 22; // 4194304: 16 MiB per vector
constexpr int kChunks = 20;                             // progress bar steps
constexpr float kA = 2.0f;

void progress(const char *where, int done, int total)
{
    char bar[kChunks + 1];
    const int filled = done * kChunks / total;
    for (int i = 0; i < kChunks; ++i)
        bar[i] = i < filled ? '#' : '.';
    bar[kChunks] = '\0';
    std::printf("\rsaxpy: computing on the %s [%s] %3d%%", where, bar, done * 100 / total);
    if (done == total)
        std::printf("\n");
    std::fflush(stdout);
}

// Deterministic inputs, different in every element and exactly representable.
float xAt(std::size_t i) { return float(i % 1024) / 1024.0f; }
float yAt(std::size_t i) { return float((i * 7) % 1000) / 1000.0f - 0.5f; }

void saxpyCpuRange(float a, const float *x, float *y, std::size_t begin, std::size_t end)
{
    for (std::size_t i = begin; i < end; ++i)
        y[i] = a * x[i] + y[i];
}

void runOnCpu(float a, const std::vector<float> &x, std::vector<float> &y)
{
    const std::size_t n = y.size();
    for (int c = 0; c < kChunks; ++c) {
        saxpyCpuRange(a, x.data(), y.data(), n * c / kChunks, n * (c + 1) / kChunks);
        progress("CPU", c + 1, kChunks);
    }
}

#ifdef __CUDACC__
__global__ void saxpyKernel(float a, const float *x, float *y, std::size_t n)
{
    const std::size_t stride = std::size_t(gridDim.x) * blockDim.x;
    for (std::size_t i = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
        y[i] = a * x[i] + y[i];
}

// Returns an empty string on success, else what went wrong (the caller falls back to the CPU).
std::string runOnGpu(float a, const std::vector<float> &x, std::vector<float> &y)
{
    const std::size_t n = y.size();
    const std::size_t bytes = n * sizeof(float);
    float *dx = nullptr;
    float *dy = nullptr;
    std::string error;
    auto failed = [&](cudaError_t e, const char *what) {
        if (e == cudaSuccess)
            return false;
        error = std::string(what) + ": " + cudaGetErrorString(e);
        return true;
    };
    if (!failed(cudaMalloc(&dx, bytes), "cudaMalloc") && !failed(cudaMalloc(&dy, bytes), "cudaMalloc")
        && !failed(cudaMemcpy(dx, x.data(), bytes, cudaMemcpyHostToDevice), "copy to the GPU")
        && !failed(cudaMemcpy(dy, y.data(), bytes, cudaMemcpyHostToDevice), "copy to the GPU")) {
        // One launch per chunk, only so that the progress bar means something.
        for (int c = 0; c < kChunks && error.empty(); ++c) {
            const std::size_t begin = n * c / kChunks;
            const std::size_t count = n * (c + 1) / kChunks - begin;
            if (count > 0) {
                const unsigned blocks = unsigned(std::min<std::size_t>((count + 255) / 256, 4096));
                saxpyKernel<<<blocks, 256>>>(a, dx + begin, dy + begin, count);
                if (failed(cudaGetLastError(), "kernel launch")
                    || failed(cudaDeviceSynchronize(), "kernel"))
                    break;
            }
            progress("GPU", c + 1, kChunks);
        }
        if (error.empty())
            failed(cudaMemcpy(y.data(), dy, bytes, cudaMemcpyDeviceToHost), "copy from the GPU");
    }
    cudaFree(dx);
    cudaFree(dy);
    return error;
}

// Empty string when device 0 is usable; else why not.
std::string probeGpu()
{
    int count = 0;
    const cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) {
        int driver = 0;
        cudaDriverGetVersion(&driver);
        // cudart calls a missing driver "insufficient"; say which it is.
        if (e == cudaErrorInsufficientDriver && driver == 0)
            return "no NVIDIA driver found";
        return cudaGetErrorString(e);
    }
    if (count == 0)
        return "the driver reports no GPUs";
    cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, 0) == cudaSuccess)
        std::printf("saxpy: using GPU 0: %s (compute capability %d.%d)\n", prop.name, prop.major,
                    prop.minor);
    return {};
}
#endif

bool parseSize(const char *text, std::size_t *n)
{
    if (!text || !*text)
        return false;
    for (const char *p = text; *p; ++p)
        if (*p < '0' || *p > '9')
            return false;
    errno = 0;
    char *end = nullptr;
    const unsigned long long v = std::strtoull(text, &end, 10);
    if (errno != 0 || v == 0 || v > (1ull << 34)) // 64 GiB per vector is past any sane run
        return false;
    *n = std::size_t(v);
    return true;
}

} // namespace

int main()
{
    std::size_t n = kDefaultN;
    if (const char *env = std::getenv("SAXPY_N"); env && *env && !parseSize(env, &n)) {
        std::printf("saxpy: FAILED: SAXPY_N=\"%s\" is not a whole number from 1 to 17179869184\n",
                    env);
        return 1;
    }
    std::printf("saxpy: n=%zu (%.1f MiB per vector), a=%.1f\n", n,
                double(n) * sizeof(float) / (1 << 20), double(kA));

    std::vector<float> x, y;
    try {
        x.resize(n);
        y.resize(n);
        for (std::size_t i = 0; i < n; ++i) {
            x[i] = xAt(i);
            y[i] = yAt(i);
        }
    } catch (const std::bad_alloc &) {
        std::printf("saxpy: FAILED: not enough memory for n=%zu; set a smaller SAXPY_N\n", n);
        return 1;
    }

    const auto start = std::chrono::steady_clock::now();
    const char *where = "CPU";
#ifdef __CUDACC__
    if (const std::string why = probeGpu(); why.empty()) {
        if (const std::string error = runOnGpu(kA, x, y); error.empty()) {
            where = "GPU";
        } else {
            std::printf("\nsaxpy: GPU run failed (%s); falling back to the CPU\n", error.c_str());
            for (std::size_t i = 0; i < n; ++i)
                y[i] = yAt(i); // the GPU may have failed after part of the copy back
            runOnCpu(kA, x, y);
        }
    } else {
        std::printf("saxpy: no usable CUDA device (%s); falling back to the CPU\n", why.c_str());
        runOnCpu(kA, x, y);
    }
#else
    std::printf("saxpy: built without CUDA (plain C++ compiler); computing on the CPU\n");
    runOnCpu(kA, x, y);
#endif
    const double ms = std::chrono::duration<double, std::milli>(
                          std::chrono::steady_clock::now() - start).count();

    // The check recomputes every element in double, independent of the path above; a GPU's fused
    // multiply-add and the CPU's two roundings both stay within a couple of float ulps.
    std::printf("saxpy: checking against a CPU computation\n");
    double maxError = 0;
    std::size_t bad = 0, firstBad = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double expected = double(kA) * xAt(i) + yAt(i);
        const double err = std::fabs(double(y[i]) - expected);
        const double tol = 4.0 * 1.2e-7 * (std::fabs(double(kA) * xAt(i)) + std::fabs(yAt(i)))
                           + 1e-30;
        if (!(err <= tol) && bad++ == 0) // !(<=) also catches NaN
            firstBad = i;
        if (err > maxError || std::isnan(err))
            maxError = err;
    }
    if (bad > 0) {
        std::printf("saxpy: FAILED (n=%zu, %zu wrong elements, first at %zu: got %.9g, expected "
                    "%.9g, max error=%.3g)\n",
                    n, bad, firstBad, double(y[firstBad]),
                    double(kA) * xAt(firstBad) + yAt(firstBad), maxError);
        return 1;
    }
    std::printf("saxpy: OK (n=%zu, max error=%.3g, %.1f ms on the %s)\n", n, maxError, ms, where);
    return 0;
}
