// gpuwb-kernels-test: checks the CPU references on their own, then, when a CUDA device is present,
// every kernel against its reference. Plain C++ with no Qt and no test framework, so that it runs
// on a bare GPU machine. Exit status: 0 all passed, 1 a check failed, 2 bad usage, 77 (the
// automake/CTest "skipped" code) no CUDA device, after every check that could run passed.

#include "gpuwb/kernels.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace gpuwb::kernels;

namespace {

constexpr int kSkipped = 77;

class Checks
{
public:
    void check(bool ok, const std::string &name, const std::string &detail = {})
    {
        if (ok) {
            ++m_passed;
            std::printf("PASS %s\n", name.c_str());
        } else {
            ++m_failed;
            std::printf("FAIL %s%s%s\n", name.c_str(), detail.empty() ? "" : ": ", detail.c_str());
        }
    }
    int passed() const { return m_passed; }
    int failed() const { return m_failed; }

private:
    int m_passed = 0;
    int m_failed = 0;
};

std::string str(double v)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

std::vector<float> randomFloats(std::size_t n, unsigned seed)
{
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    std::vector<float> v(n);
    for (float &f : v)
        f = dist(rng);
    return v;
}

bool sameBits(const std::vector<float> &a, const std::vector<float> &b)
{
    return a.size() == b.size()
           && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

// Sizes that hit the edges of both the grid-stride loops and the copy kernel's float4 tail.
const std::size_t kSizes[] = {0, 1, 2, 3, 5, 7, 1000003, std::size_t(1) << 24};
constexpr std::size_t kExactSumSize = (std::size_t(1) << 24) + 3; // past float's exact integers

void testCpuReferences(Checks &c)
{
    {
        std::vector<float> x{1, 2, 3}, y{10, 20, 30};
        saxpyCpu(2.0f, x.data(), y.data(), 3);
        c.check(y == std::vector<float>{12, 24, 36}, "cpu saxpy known values");
    }
    {
        saxpyCpu(2.0f, nullptr, nullptr, 0);
        copyCpu(nullptr, nullptr, 0);
        c.check(sumCpu(nullptr, 0) == 0.0, "cpu n=0 with null pointers is a no-op");
    }
    {
        float x = 4, y = 1;
        saxpyCpu(-1.5f, &x, &y, 1);
        c.check(y == -5.0f, "cpu saxpy n=1", str(y));
        float one = 1.5f;
        c.check(sumCpu(&one, 1) == 1.5, "cpu sum n=1");
        float out = 0;
        copyCpu(&one, &out, 1);
        c.check(out == 1.5f, "cpu copy n=1");
    }
    {
        // Odd size, and a sentinel past the end that must stay untouched.
        const std::size_t n = 1001;
        std::vector<float> x(n), y(n + 1, 1.0f);
        for (std::size_t i = 0; i < n; ++i)
            x[i] = float(i);
        y[n] = -7.0f;
        saxpyCpu(3.0f, x.data(), y.data(), n);
        bool exact = true;
        for (std::size_t i = 0; i < n; ++i)
            exact = exact && y[i] == 3.0f * float(i) + 1.0f;
        c.check(exact, "cpu saxpy odd n=1001 exact");
        c.check(y[n] == -7.0f, "cpu saxpy leaves y[n] alone");
        c.check(sumCpu(x.data(), n) == 500500.0, "cpu sum 0..1000 = 500500");
        std::vector<float> copy(n + 1, -7.0f);
        copyCpu(x.data(), copy.data(), n);
        c.check(std::equal(x.begin(), x.end(), copy.begin()) && copy[n] == -7.0f,
                "cpu copy odd n=1001, y[n] untouched");
    }
    {
        std::vector<float> x{1.5f, -2.0f}, y{3.0f, 4.0f};
        saxpyCpu(0.0f, x.data(), y.data(), 2);
        c.check(y == std::vector<float>{3.0f, 4.0f}, "cpu saxpy a=0 leaves y");
    }
    {
        // A float accumulator loses the 1 here; the double one must not.
        const float x[] = {1e8f, 1.0f, -1e8f};
        c.check(sumCpu(x, 3) == 1.0, "cpu sum keeps 1 between +-1e8", str(sumCpu(x, 3)));
        const float withNan[] = {1.0f, std::nanf(""), 2.0f};
        c.check(std::isnan(sumCpu(withNan, 3)), "cpu sum propagates NaN");
    }
    {
        const std::size_t n = kExactSumSize;
        std::vector<float> ones(n, 1.0f);
        c.check(sumCpu(ones.data(), n) == double(n), "cpu sum of 2^24+3 ones is exact",
                str(sumCpu(ones.data(), n)));
        std::vector<float> y(n);
        for (std::size_t i = 0; i < n; ++i)
            y[i] = float(i % 1000);
        saxpyCpu(0.5f, ones.data(), y.data(), n);
        bool exact = true;
        for (std::size_t i = 0; i < n && exact; ++i)
            exact = y[i] == float(i % 1000) + 0.5f;
        c.check(exact, "cpu saxpy large n=2^24+3 exact");
        std::vector<float> copy(n);
        copyCpu(y.data(), copy.data(), n);
        c.check(sameBits(y, copy), "cpu copy large n=2^24+3");
    }
}

// |gpu - cpu| per element, against a bound of a few float ulps of the operands: nvcc contracts
// a * x + y into one fma, the CPU build may round twice.
void testSaxpy(Checks &c, int device, std::size_t n)
{
    const float a = 2.5f;
    const std::vector<float> x = randomFloats(n, 1 + unsigned(n));
    const std::vector<float> y0 = randomFloats(n, 2 + unsigned(n));
    std::vector<float> gpu = y0, cpu = y0;
    const std::string name = "gpu saxpy n=" + std::to_string(n);
    if (KernelStatus s = saxpyGpu(a, x.data(), gpu.data(), n, device); !s) {
        c.check(false, name, s.message);
        return;
    }
    saxpyCpu(a, x.data(), cpu.data(), n);
    double maxError = 0;
    bool within = true;
    for (std::size_t i = 0; i < n; ++i) {
        const double err = std::fabs(double(gpu[i]) - double(cpu[i]));
        const double tol = 1e-6 * (std::fabs(a * x[i]) + std::fabs(y0[i])) + 1e-30;
        maxError = std::max(maxError, err);
        within = within && err <= tol;
    }
    c.check(within, name + " (max error " + str(maxError) + ")", "outside tolerance");
}

void testSum(Checks &c, int device, std::size_t n)
{
    const std::vector<float> x = randomFloats(n, 3 + unsigned(n));
    const std::string name = "gpu sum n=" + std::to_string(n);
    double gpu = -1;
    if (KernelStatus s = sumGpu(x.data(), n, &gpu, device); !s) {
        c.check(false, name, s.message);
        return;
    }
    const double cpu = sumCpu(x.data(), n);
    double magnitude = 0;
    for (float f : x)
        magnitude += std::fabs(f);
    // Both accumulate in double, in different orders.
    const double err = std::fabs(gpu - cpu);
    c.check(err <= 1e-12 * magnitude + 1e-300, name + " (error " + str(err) + ")",
            "gpu " + str(gpu) + " cpu " + str(cpu));
}

void testCopy(Checks &c, int device, std::size_t n)
{
    std::vector<float> src = randomFloats(n, 4 + unsigned(n)), gpu(n, 0.0f), cpu(n, 0.0f);
    const std::string name = "gpu copy n=" + std::to_string(n);
    if (KernelStatus s = copyGpu(src.data(), gpu.data(), n, device); !s) {
        c.check(false, name, s.message);
        return;
    }
    copyCpu(src.data(), cpu.data(), n);
    c.check(sameBits(gpu, cpu), name + " bit-exact");
}

void testGpu(Checks &c, const DeviceQuery &query, int device)
{
    const DeviceInfo &info = query.devices[std::size_t(device)];
    std::printf("device %d: %s, compute %d.%d, %d SMs, %.1f GiB\n", info.index, info.name.c_str(),
                info.computeMajor, info.computeMinor, info.multiprocessorCount,
                double(info.totalMemoryBytes) / (1 << 30));
    c.check(!info.name.empty() && info.computeMajor > 0 && info.multiprocessorCount > 0
                && info.totalMemoryBytes > 0,
            "device query fields are filled");

    for (std::size_t n : kSizes)
        testSaxpy(c, device, n);
    for (std::size_t n : kSizes)
        testSum(c, device, n);
    for (std::size_t n : kSizes)
        testCopy(c, device, n);

    {
        std::vector<float> ones(kExactSumSize, 1.0f);
        double gpu = -1;
        KernelStatus s = sumGpu(ones.data(), ones.size(), &gpu, device);
        c.check(s && gpu == double(ones.size()), "gpu sum of 2^24+3 ones is exact",
                s ? str(gpu) : s.message);
    }
    {
        float x = 1, y = 1;
        double r = 0;
        const int missing = int(query.devices.size());
        KernelStatus s = saxpyGpu(1.0f, &x, &y, 1, missing);
        c.check(s.code == KernelError::InvalidArgument, "gpu bad device index is refused",
                s.message);
        s = saxpyGpu(1.0f, nullptr, &y, 1, device);
        c.check(s.code == KernelError::InvalidArgument, "gpu null input is refused", s.message);
        s = sumGpu(&x, 1, nullptr, device);
        c.check(s.code == KernelError::InvalidArgument, "gpu null result is refused", s.message);
        s = sumGpu(&x, 1, &r, device);
        c.check(s && r == 1.0, "gpu works again after refused calls", s.message);
    }
    {
        // A quarter of memory at most, so that small cards pass too.
        const std::size_t bytes = std::min<std::size_t>(std::size_t(256) << 20,
                                                        info.totalMemoryBytes / 4);
        BandwidthResult bw;
        KernelStatus s = measureBandwidth(bytes, 20, &bw, device);
        c.check(s && bw.copyKernelGBps > 0 && bw.memcpyGBps > 0,
                "gpu bandwidth probe runs and verifies its copy", s.message);
        if (s)
            std::printf("bandwidth: copy kernel %.1f GB/s, cudaMemcpy device-to-device %.1f GB/s"
                        " (theoretical peak %.0f GB/s; %zu MiB x %d)\n",
                        bw.copyKernelGBps, bw.memcpyGBps, info.peakBandwidthGBps(),
                        bw.bufferBytes >> 20, bw.iterations);
    }
}

// Without a device every GPU function must fail the same clear way, not crash.
void testNoDevice(Checks &c, const DeviceQuery &query)
{
    const KernelStatus &s = query.status;
    const bool known = s.code == KernelError::NoDevice || s.code == KernelError::NotBuilt;
    c.check(known && !s.message.empty(), "no device: query reports NoDevice or NotBuilt",
            s.message);
    if (s.code == KernelError::NoDevice)
        c.check(s.message.rfind("no CUDA device: ", 0) == 0,
                "no device: message starts with \"no CUDA device: \"", s.message);
    float x = 1, y = 1;
    double r = 0;
    BandwidthResult bw;
    c.check(saxpyGpu(1.0f, &x, &y, 1).code == s.code && y == 1.0f,
            "no device: saxpy fails the same way and leaves y");
    c.check(sumGpu(&x, 1, &r).code == s.code, "no device: sum fails the same way");
    c.check(copyGpu(&x, &y, 1).code == s.code, "no device: copy fails the same way");
    c.check(measureBandwidth(1 << 20, 1, &bw).code == s.code,
            "no device: bandwidth fails the same way");
}

int usage(int status)
{
    std::fprintf(status ? stderr : stdout,
                 "usage: gpuwb-kernels-test [--cpu-only] [--device N]\n"
                 "  Checks the CPU references, then each CUDA kernel against them.\n"
                 "  --cpu-only  check only the CPU references (no CUDA calls)\n"
                 "  --device N  the CUDA device to test (default 0)\n"
                 "Exit status: 0 passed, 1 failed, 2 usage, 77 skipped (no CUDA device).\n");
    return status;
}

} // namespace

int main(int argc, char **argv)
{
    std::setvbuf(stdout, nullptr, _IOLBF, 0); // lines arrive in order when piped into a log
    bool cpuOnly = false;
    int device = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--cpu-only") {
            cpuOnly = true;
        } else if (arg == "--device" && i + 1 < argc) {
            char *end = nullptr;
            const long v = std::strtol(argv[++i], &end, 10);
            if (*end != '\0' || end == argv[i] || v < 0 || v > 1024)
                return usage(2);
            device = int(v);
        } else if (arg == "--help" || arg == "-h") {
            return usage(0);
        } else {
            return usage(2);
        }
    }

    Checks c;
    testCpuReferences(c);
    int status = 0;
    if (!cpuOnly) {
        const DeviceQuery query = queryDevices();
        if (query.status) {
            if (device >= int(query.devices.size())) {
                std::fprintf(stderr, "gpuwb-kernels-test: there is no CUDA device %d (found %zu)\n",
                             device, query.devices.size());
                return 2;
            }
            testGpu(c, query, device);
        } else {
            testNoDevice(c, query);
            std::printf("SKIP: no CUDA device (%s)\n", query.status.message.c_str());
            status = kSkipped;
        }
    }
    std::printf("%d passed, %d failed\n", c.passed(), c.failed());
    return c.failed() > 0 ? 1 : status;
}
