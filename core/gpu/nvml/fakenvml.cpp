// A stand-in for libnvidia-ml.so used by the tests (there is no GPU on build machines). It
// exports only some names, the older ones on purpose, so that the loader's fallbacks run:
// nvmlInit (not _v2), nvmlDeviceGetHandleByIndex (not _v2), no nvmlDeviceGetFanSpeed.
// Environment: GPUWB_FAKE_NVML_DEVICES (default 2, at most 3), GPUWB_FAKE_NVML_INIT_FAIL=1.
//
// Project rule: a stand-in for absent hardware replays output recorded from real tools and
// invents no values. Every value below is copied from a capture in tests/fixtures/nvidia-smi/
// (see the .source file next to each) and converted to NVML's units only: MiB -> bytes,
// W -> mW. "Line N" is the line in that file, header = line 1. A field the capture shows as
// [N/A] is answered with the code NVML gives for it (3, Not Supported), not a made-up number.

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

// NVML return codes, as in nvml.h.
constexpr int kSuccess = 0;
constexpr int kUninitialized = 1;
constexpr int kInvalidArgument = 2;
constexpr int kNotSupported = 3;
constexpr int kInsufficientSize = 7;
constexpr int kDriverNotLoaded = 9;

constexpr unsigned long long kMiB = 1ULL << 20;
constexpr unsigned long long kValueNotAvailable = ~0ULL; // NVML_VALUE_NOT_AVAILABLE
constexpr unsigned int kNoInstance = 0xFFFFFFFF;         // GI/CI id outside MIG ("N/A")

struct RecordedProcess
{
    unsigned int pid;
    unsigned long long usedBytes; // kValueNotAvailable where the capture says [N/A]
    unsigned int gpuInstanceId, computeInstanceId;
};

struct RecordedDevice
{
    const char *name;
    const char *uuid;
    bool hasUtilization; // false where utilization.gpu/.memory are [N/A]
    unsigned int utilizationGpu, utilizationMemory;
    unsigned long long memoryTotal, memoryUsed, memoryFree;
    unsigned int temperature;
    unsigned int powerMw, enforcedLimitMw;
    unsigned int clockGraphics, clockSm, clockMemory, clockVideo;
    const RecordedProcess *processes;
    unsigned int processCount;
};

// computeapps-h100-590.48.01.csv lines 2-4 (pid, used_gpu_memory); GI/CI from
// table-h100-590.48.01.txt's Processes box, where they read N/A (no MIG).
constexpr RecordedProcess kH100Processes[] = {
    {11327, 2566 * kMiB, kNoInstance, kNoInstance},
    {11328, 1542 * kMiB, kNoInstance, kNoInstance},
    {11345, 15690 * kMiB, kNoInstance, kNoInstance},
};

// computeapps-h100-mig-590.48.01.csv lines 2-4; GI 2 / CI 0 from the Processes box of
// table-h100-mig-590.48.01.txt.
constexpr RecordedProcess kH100MigProcesses[] = {
    {21180, 2296 * kMiB, 2, 0},
    {21181, 1272 * kMiB, 2, 0},
    {21198, 7484 * kMiB, 2, 0},
};

// computeapps-rtx2080super-win-591.86.csv lines 2-13: Windows/WDDM, where every
// used_gpu_memory is [N/A] (NVML_VALUE_NOT_AVAILABLE). Not in MIG mode.
constexpr RecordedProcess kRtx2080SuperWinProcesses[] = {
    {12444, kValueNotAvailable, kNoInstance, kNoInstance},
    {15076, kValueNotAvailable, kNoInstance, kNoInstance},
    {2056, kValueNotAvailable, kNoInstance, kNoInstance},
    {12332, kValueNotAvailable, kNoInstance, kNoInstance},
    {20372, kValueNotAvailable, kNoInstance, kNoInstance},
    {4680, kValueNotAvailable, kNoInstance, kNoInstance},
    {14160, kValueNotAvailable, kNoInstance, kNoInstance},
    {14184, kValueNotAvailable, kNoInstance, kNoInstance},
    {16280, kValueNotAvailable, kNoInstance, kNoInstance},
    {24804, kValueNotAvailable, kNoInstance, kNoInstance},
    {25704, kValueNotAvailable, kNoInstance, kNoInstance},
    {26660, kValueNotAvailable, kNoInstance, kNoInstance},
};

// Driver version of devices 0 and 1: driver_version of querygpu-h100-590.48.01.csv line 2.
// (Device 2 was recorded under other drivers; a host reports one version, so this one.)
constexpr const char *kDriverVersion = "590.48.01";

constexpr RecordedDevice kDevices[] = {
    // 0: querygpu-h100-590.48.01.csv line 2 (H100 under gpu-burn load, UUID masked by the
    // capture tool), processes from computeapps-h100-590.48.01.csv.
    {"NVIDIA H100 80GB HBM3", "GPU-00000000-0000-0000-0000-000000000000", true, 100, 11,
     81559 * kMiB, 19818 * kMiB, 61263 * kMiB, 59, 631950, 700000, 1980, 1980, 2619, 1545,
     kH100Processes, 3},
    // 1: querygpu-h100-mig-590.48.01.csv line 2 (same H100 in MIG mode): utilization.gpu and
    // utilization.memory are [N/A] there, so the fake answers Not Supported for them.
    {"NVIDIA H100 80GB HBM3", "GPU-00000000-0000-0000-0000-000000000000", false, 0, 0,
     81559 * kMiB, 11125 * kMiB, 69956 * kMiB, 53, 433780, 700000, 1980, 1980, 2619, 1545,
     kH100MigProcesses, 3},
    // 2: querygpu-rtx2080super-win-466.63.csv line 2 (Windows, UUID not masked), with the
    // processes of the same card (bus 00000000:0C:00.0) from
    // computeapps-rtx2080super-win-591.86.csv, a later driver on that machine.
    {"NVIDIA GeForce RTX 2080 SUPER", "GPU-1937b558-347d-0f30-105b-893b98985668", true, 0, 10,
     8192 * kMiB, 856 * kMiB, 7336 * kMiB, 35, 31120, 250000, 300, 300, 405, 540,
     kRtx2080SuperWinProcesses, 12},
};
constexpr unsigned int kRecordedCount = sizeof kDevices / sizeof kDevices[0];

bool g_initialised = false;
// One process query per device after each nvmlInit answers Insufficient Size; see below.
bool g_processListGrew[kRecordedCount] = {};

unsigned int deviceCount()
{
    const char *text = std::getenv("GPUWB_FAKE_NVML_DEVICES");
    const int n = text ? std::atoi(text) : 2;
    if (n < 0)
        return 0;
    return unsigned(n) > kRecordedCount ? kRecordedCount : unsigned(n);
}

const RecordedDevice *device(void *handle)
{
    return static_cast<const RecordedDevice *>(handle);
}

unsigned int indexOf(const RecordedDevice *d)
{
    return unsigned(d - kDevices);
}

int copy(char *out, unsigned int length, const char *text)
{
    if (!out || std::strlen(text) + 1 > length)
        return kInsufficientSize;
    std::snprintf(out, length, "%s", text);
    return kSuccess;
}

struct Utilization
{
    unsigned int gpu, memory;
};
struct Memory
{
    unsigned long long total, free, used;
};
struct ProcessInfo
{
    unsigned int pid;
    unsigned long long usedGpuMemory;
    unsigned int gpuInstanceId, computeInstanceId;
};

} // namespace

extern "C" {

__attribute__((visibility("default"))) int nvmlInit()
{
    if (const char *fail = std::getenv("GPUWB_FAKE_NVML_INIT_FAIL"); fail && *fail == '1')
        return kDriverNotLoaded;
    g_initialised = true;
    for (bool &grew : g_processListGrew)
        grew = false;
    return kSuccess;
}

__attribute__((visibility("default"))) int nvmlShutdown()
{
    g_initialised = false;
    return kSuccess;
}

__attribute__((visibility("default"))) const char *nvmlErrorString(int code)
{
    switch (code) {
    case kSuccess: return "Success";
    case kUninitialized: return "Uninitialized";
    case kInvalidArgument: return "Invalid Argument";
    case kNotSupported: return "Not Supported";
    case kInsufficientSize: return "Insufficient Size";
    case kDriverNotLoaded: return "Driver Not Loaded";
    default: return "Unknown Error";
    }
}

__attribute__((visibility("default"))) int nvmlSystemGetDriverVersion(char *out, unsigned int n)
{
    return copy(out, n, kDriverVersion);
}

__attribute__((visibility("default"))) int nvmlDeviceGetCount_v2(unsigned int *count)
{
    if (!g_initialised)
        return kUninitialized;
    *count = deviceCount();
    return kSuccess;
}

__attribute__((visibility("default"))) int nvmlDeviceGetHandleByIndex(unsigned int i, void **out)
{
    if (!g_initialised)
        return kUninitialized;
    if (i >= deviceCount())
        return kInvalidArgument;
    *out = const_cast<RecordedDevice *>(&kDevices[i]);
    return kSuccess;
}

__attribute__((visibility("default"))) int nvmlDeviceGetName(void *d, char *out, unsigned int n)
{
    return copy(out, n, device(d)->name);
}

__attribute__((visibility("default"))) int nvmlDeviceGetUUID(void *d, char *out, unsigned int n)
{
    return copy(out, n, device(d)->uuid);
}

__attribute__((visibility("default"))) int nvmlDeviceGetUtilizationRates(void *d, Utilization *u)
{
    if (!device(d)->hasUtilization)
        return kNotSupported;
    u->gpu = device(d)->utilizationGpu;
    u->memory = device(d)->utilizationMemory;
    return kSuccess;
}

__attribute__((visibility("default"))) int nvmlDeviceGetMemoryInfo(void *d, Memory *m)
{
    m->total = device(d)->memoryTotal;
    m->used = device(d)->memoryUsed;
    m->free = device(d)->memoryFree;
    return kSuccess;
}

// Sensor 0 is NVML_TEMPERATURE_GPU, the only one nvmlDeviceGetTemperature knows.
__attribute__((visibility("default"))) int nvmlDeviceGetTemperature(void *d, int sensor,
                                                                    unsigned int *t)
{
    if (sensor != 0)
        return kInvalidArgument;
    *t = device(d)->temperature;
    return kSuccess;
}

__attribute__((visibility("default"))) int nvmlDeviceGetPowerUsage(void *d, unsigned int *mw)
{
    *mw = device(d)->powerMw;
    return kSuccess;
}

__attribute__((visibility("default"))) int nvmlDeviceGetEnforcedPowerLimit(void *d,
                                                                          unsigned int *mw)
{
    *mw = device(d)->enforcedLimitMw;
    return kSuccess;
}

// Clock types as in nvml.h: 0 graphics, 1 SM, 2 memory, 3 video.
__attribute__((visibility("default"))) int nvmlDeviceGetClockInfo(void *d, int type,
                                                                  unsigned int *c)
{
    switch (type) {
    case 0: *c = device(d)->clockGraphics; return kSuccess;
    case 1: *c = device(d)->clockSm; return kSuccess;
    case 2: *c = device(d)->clockMemory; return kSuccess;
    case 3: *c = device(d)->clockVideo; return kSuccess;
    default: return kInvalidArgument;
    }
}

// Answers as NVML does: a buffer smaller than the list (a zero-size query included) gets
// Insufficient Size and the needed count. The recorded lists are short enough to fit the
// loader's first buffer, so to keep its retry exercised the first query on each device after
// nvmlInit also answers Insufficient Size with the recorded count, as NVML does when processes
// start between a caller's sizing and its read. That is an injected return code, not a value.
__attribute__((visibility("default"))) int nvmlDeviceGetComputeRunningProcesses_v3(
    void *d, unsigned int *count, ProcessInfo *infos)
{
    const RecordedDevice *dev = device(d);
    const unsigned int n = dev->processCount;
    bool &grew = g_processListGrew[indexOf(dev)];
    if (*count < n || (n > 0 && !grew)) {
        grew = true;
        *count = n;
        return kInsufficientSize;
    }
    if (n > 0 && !infos)
        return kInvalidArgument;
    for (unsigned int i = 0; i < n; ++i) {
        infos[i].pid = dev->processes[i].pid;
        infos[i].usedGpuMemory = dev->processes[i].usedBytes;
        infos[i].gpuInstanceId = dev->processes[i].gpuInstanceId;
        infos[i].computeInstanceId = dev->processes[i].computeInstanceId;
    }
    *count = n;
    return kSuccess;
}

} // extern "C"
