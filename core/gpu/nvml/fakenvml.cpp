// A stand-in for libnvidia-ml.so used by the tests (there is no GPU on build machines). It
// exports only some names, the older ones on purpose, so that the loader's fallbacks run:
// nvmlInit (not _v2), nvmlDeviceGetHandleByIndex (not _v2), no nvmlDeviceGetFanSpeed.
// Environment: GPUWB_FAKE_NVML_DEVICES (default 2, at most 4), GPUWB_FAKE_NVML_INIT_FAIL=1,
// GPUWB_FAKE_NVML_EXTRA_PID=N (a live process a test started, appended to device 0's list with
// its memory Not Available: an injected pid, like the injected return codes, not a value),
// GPUWB_FAKE_NVML_MEMORY_V2=absent (nvmlDeviceGetMemoryInfo_v2 answers Function Not Found, as
// a library newer than its kernel driver does). Built a second time with
// GPUWB_FAKE_NVML_WITHOUT_MEMORY_V2 defined, the library lacks that symbol altogether.
//
// Memory, both calls from one set of numbers: v2 answers total, reserved, free and used with
// used + free + reserved = total; v1 (what NVML keeps for old callers) answers total, free and
// used = total - free, i.e. the reserved memory counted as used, as the H200 recording shows
// (tests/fixtures/h200/nvml-semantics.txt).
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
constexpr int kFunctionNotFound = 13;
constexpr int kArgumentVersionMismatch = 25;

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
    // memoryUsed as nvidia-smi's memory.used and NVML v2's used: without memoryReserved.
    unsigned long long memoryTotal, memoryUsed, memoryFree, memoryReserved;
    bool hasMemoryV2; // false: the recording's driver predates nvmlDeviceGetMemoryInfo_v2
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

// nvml-semantics.txt "raw NVML (load)" of tests/fixtures/h200: pid 1016, the device-check's
// gpuwb-load; processes_v3 gave gi=ci=4294967295.
constexpr RecordedProcess kH200Processes[] = {
    {1016, 4838129664ULL, kNoInstance, kNoInstance},
};

// Driver version of devices 0 and 1: driver_version of querygpu-h100-590.48.01.csv line 2.
// (Devices 2 and 3 were recorded under other drivers; a host reports one version, so this.)
constexpr const char *kDriverVersion = "590.48.01";

constexpr RecordedDevice kDevices[] = {
    // 0: querygpu-h100-590.48.01.csv line 2 (H100 under gpu-burn load, UUID masked by the
    // capture tool), processes from computeapps-h100-590.48.01.csv.
    // memory.reserved there reads 479 MiB; nvidia-smi rounds each figure to a MiB, so the
    // fake takes reserved = total - used - free (478 MiB) to keep v2's sum exact.
    {"NVIDIA H100 80GB HBM3", "GPU-00000000-0000-0000-0000-000000000000", true, 100, 11,
     81559 * kMiB, 19818 * kMiB, 61263 * kMiB, 478 * kMiB, true, 59, 631950, 700000, 1980,
     1980, 2619, 1545, kH100Processes, 3},
    // 1: querygpu-h100-mig-590.48.01.csv line 2 (same H100 in MIG mode): utilization.gpu and
    // utilization.memory are [N/A] there, so the fake answers Not Supported for them.
    // memory.reserved 479 MiB there too; 478 for the exact sum, as above.
    {"NVIDIA H100 80GB HBM3", "GPU-00000000-0000-0000-0000-000000000000", false, 0, 0,
     81559 * kMiB, 11125 * kMiB, 69956 * kMiB, 478 * kMiB, true, 53, 433780, 700000, 1980,
     1980, 2619, 1545, kH100MigProcesses, 3},
    // 2: querygpu-rtx2080super-win-466.63.csv line 2 (Windows, UUID not masked), with the
    // processes of the same card (bus 00000000:0C:00.0) from
    // computeapps-rtx2080super-win-591.86.csv, a later driver on that machine. Driver 466
    // had no memory.reserved field and no nvmlDeviceGetMemoryInfo_v2: v1 only, and its used
    // is total - free exactly as recorded, so the reserved share is 0 here.
    {"NVIDIA GeForce RTX 2080 SUPER", "GPU-1937b558-347d-0f30-105b-893b98985668", true, 0, 10,
     8192 * kMiB, 856 * kMiB, 7336 * kMiB, 0, false, 35, 31120, 250000, 300, 300, 405, 540,
     kRtx2080SuperWinProcesses, 12},
    // 3: tests/fixtures/h200/nvml-semantics.txt, "raw NVML (load)", byte for byte: memory_v2
    // total=150754820096 reserved=644939776 free=145262510080 used=4847370240 (memory_v1
    // used=5492310016 = total - free), power 488972 mW, limit 700000, 53 C, utilisation
    // 100/21, clocks graphics/sm/memory/video 1980/1980/3201/1545 MHz, fan Not Supported.
    // Name and UUID from nvml-probe.txt (same machine, same run).
    {"NVIDIA H200", "GPU-f7e4e3c0-eb27-e41e-ac44-9bd58c875404", true, 100, 21,
     150754820096ULL, 4847370240ULL, 145262510080ULL, 644939776ULL, true, 53, 488972, 700000,
     1980, 1980, 3201, 1545, kH200Processes, 1},
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
struct MemoryV2
{
    unsigned int version;
    unsigned long long total, reserved, free, used;
};
constexpr unsigned int kMemoryV2Version = unsigned(sizeof(MemoryV2)) | (2u << 24);
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
    case kFunctionNotFound: return "Function Not Found";
    case kArgumentVersionMismatch: return "Argument Version Mismatch";
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

// v1: the reserved memory counts as used (used = total - free).
__attribute__((visibility("default"))) int nvmlDeviceGetMemoryInfo(void *d, Memory *m)
{
    if (!m)
        return kInvalidArgument;
    m->total = device(d)->memoryTotal;
    m->free = device(d)->memoryFree;
    m->used = device(d)->memoryUsed + device(d)->memoryReserved;
    return kSuccess;
}

#ifndef GPUWB_FAKE_NVML_WITHOUT_MEMORY_V2
// v2: checks the caller's version field as NVML does, and answers Function Not Found where
// the recorded driver had no such call, or when GPUWB_FAKE_NVML_MEMORY_V2=absent.
__attribute__((visibility("default"))) int nvmlDeviceGetMemoryInfo_v2(void *d, MemoryV2 *m)
{
    if (const char *v2 = std::getenv("GPUWB_FAKE_NVML_MEMORY_V2");
        (v2 && std::strcmp(v2, "absent") == 0) || !device(d)->hasMemoryV2)
        return kFunctionNotFound;
    if (!m)
        return kInvalidArgument;
    if (m->version != kMemoryV2Version)
        return kArgumentVersionMismatch;
    m->total = device(d)->memoryTotal;
    m->reserved = device(d)->memoryReserved;
    m->free = device(d)->memoryFree;
    m->used = device(d)->memoryUsed;
    return kSuccess;
}
#endif

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
    const char *extraText = indexOf(dev) == 0 ? std::getenv("GPUWB_FAKE_NVML_EXTRA_PID") : nullptr;
    const unsigned int extraPid = extraText ? unsigned(std::strtoul(extraText, nullptr, 10)) : 0;
    const unsigned int n = dev->processCount + (extraPid > 0 ? 1 : 0);
    bool &grew = g_processListGrew[indexOf(dev)];
    if (*count < n || (n > 0 && !grew)) {
        grew = true;
        *count = n;
        return kInsufficientSize;
    }
    if (n > 0 && !infos)
        return kInvalidArgument;
    if (extraPid > 0)
        infos[n - 1] = ProcessInfo{extraPid, kValueNotAvailable, kNoInstance, kNoInstance};
    for (unsigned int i = 0; i < dev->processCount; ++i) {
        infos[i].pid = dev->processes[i].pid;
        infos[i].usedGpuMemory = dev->processes[i].usedBytes;
        infos[i].gpuInstanceId = dev->processes[i].gpuInstanceId;
        infos[i].computeInstanceId = dev->processes[i].computeInstanceId;
    }
    *count = n;
    return kSuccess;
}

} // extern "C"
