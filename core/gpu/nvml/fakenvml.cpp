// A stand-in for libnvidia-ml.so used by the tests (there is no GPU on build machines). It
// exports only some names, the older ones on purpose, so that the loader's fallbacks run:
// nvmlInit (not _v2), nvmlDeviceGetHandleByIndex (not _v2), no nvmlDeviceGetFanSpeed.
// Environment: GPUWB_FAKE_NVML_DEVICES (default 2), GPUWB_FAKE_NVML_INIT_FAIL=1.

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

struct FakeDevice
{
    unsigned int index;
};

FakeDevice g_devices[8] = {{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}};
bool g_initialised = false;

unsigned int deviceCount()
{
    const char *text = std::getenv("GPUWB_FAKE_NVML_DEVICES");
    unsigned int n = text ? unsigned(std::atoi(text)) : 2;
    return n > 8 ? 8 : n;
}

const FakeDevice *device(void *handle)
{
    return static_cast<const FakeDevice *>(handle);
}

void copy(char *out, unsigned int length, const char *text)
{
    std::snprintf(out, length, "%s", text);
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
        return 9; // NVML_ERROR_DRIVER_NOT_LOADED
    g_initialised = true;
    return 0;
}

__attribute__((visibility("default"))) int nvmlShutdown()
{
    g_initialised = false;
    return 0;
}

__attribute__((visibility("default"))) const char *nvmlErrorString(int code)
{
    switch (code) {
    case 0: return "Success";
    case 3: return "Not Supported";
    case 7: return "Insufficient Size";
    case 9: return "Driver Not Loaded";
    default: return "Unknown Error";
    }
}

__attribute__((visibility("default"))) int nvmlSystemGetDriverVersion(char *out, unsigned int n)
{
    copy(out, n, "999.12.34");
    return 0;
}

__attribute__((visibility("default"))) int nvmlDeviceGetCount_v2(unsigned int *count)
{
    if (!g_initialised)
        return 1;
    *count = deviceCount();
    return 0;
}

__attribute__((visibility("default"))) int nvmlDeviceGetHandleByIndex(unsigned int i, void **out)
{
    if (!g_initialised)
        return 1;
    if (i >= deviceCount())
        return 2;
    *out = &g_devices[i];
    return 0;
}

__attribute__((visibility("default"))) int nvmlDeviceGetName(void *d, char *out, unsigned int n)
{
    char text[64];
    std::snprintf(text, sizeof text, "Fake GPU %u", device(d)->index);
    copy(out, n, text);
    return 0;
}

__attribute__((visibility("default"))) int nvmlDeviceGetUUID(void *d, char *out, unsigned int n)
{
    char text[64];
    std::snprintf(text, sizeof text, "GPU-fake-%04u", device(d)->index);
    copy(out, n, text);
    return 0;
}

__attribute__((visibility("default"))) int nvmlDeviceGetUtilizationRates(void *d, Utilization *u)
{
    u->gpu = 40 + device(d)->index;
    u->memory = 10;
    return 0;
}

__attribute__((visibility("default"))) int nvmlDeviceGetMemoryInfo(void *d, Memory *m)
{
    m->total = 16ULL << 30;
    m->used = (1ULL << 30) * (device(d)->index + 1);
    m->free = m->total - m->used;
    return 0;
}

// Device 1 has no temperature sensor, as some boards report.
__attribute__((visibility("default"))) int nvmlDeviceGetTemperature(void *d, int, unsigned int *t)
{
    if (device(d)->index == 1)
        return 3;
    *t = 55;
    return 0;
}

__attribute__((visibility("default"))) int nvmlDeviceGetPowerUsage(void *, unsigned int *mw)
{
    *mw = 123456;
    return 0;
}

__attribute__((visibility("default"))) int nvmlDeviceGetEnforcedPowerLimit(void *, unsigned int *mw)
{
    *mw = 300000;
    return 0;
}

__attribute__((visibility("default"))) int nvmlDeviceGetClockInfo(void *, int type, unsigned int *c)
{
    *c = type == 1 ? 1410 : 1215;
    return 0;
}

// Device 0 runs 70 processes (more than the loader's first guess of room) with the last one's
// memory unknown; the others none.
__attribute__((visibility("default"))) int nvmlDeviceGetComputeRunningProcesses_v3(
    void *d, unsigned int *count, ProcessInfo *infos)
{
    const unsigned int n = device(d)->index == 0 ? 70 : 0;
    if (*count < n) {
        *count = n;
        return 7;
    }
    for (unsigned int i = 0; i < n; ++i) {
        infos[i].pid = 1000 + i;
        infos[i].usedGpuMemory = i + 1 == n ? ~0ULL : (i + 1) * (1ULL << 20);
        infos[i].gpuInstanceId = 0xFFFFFFFF;
        infos[i].computeInstanceId = 0xFFFFFFFF;
    }
    *count = n;
    return 0;
}

} // extern "C"
