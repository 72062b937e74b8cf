#include "nvmlloader.h"

#include <dlfcn.h>

#include <cstdlib>
#include <initializer_list>

namespace gpuwb {

namespace {

// The few NVML declarations we use, written from the documented C API (no NVIDIA headers
// are available at build time). All functions use the C calling convention.
using nvmlReturn_t = int;
using nvmlDevice_t = struct nvmlDevice_st *;
constexpr nvmlReturn_t NVML_SUCCESS = 0;
constexpr nvmlReturn_t NVML_ERROR_INSUFFICIENT_SIZE = 7;
constexpr unsigned int NVML_TEMPERATURE_GPU = 0;
constexpr unsigned int NVML_CLOCK_SM = 1;
constexpr unsigned int NVML_CLOCK_MEM = 2;
constexpr unsigned long long NVML_VALUE_NOT_AVAILABLE = ~0ULL;
constexpr unsigned int kStringBufferSize = 96; // NVML_DEVICE_NAME_V2_BUFFER_SIZE and UUID

struct nvmlUtilization_t
{
    unsigned int gpu;
    unsigned int memory;
};

struct nvmlMemory_t
{
    unsigned long long total;
    unsigned long long free;
    unsigned long long used; // v1 counts the driver's reserved memory as used
};

// nvmlMemory_v2_t: `used` leaves the reserved memory out, as nvidia-smi's memory.used does
// (recorded on an H200: v1 used 615 MiB at idle, v2 used 0 and reserved 615 MiB).
struct nvmlMemoryV2_t
{
    unsigned int version;
    unsigned long long total;
    unsigned long long reserved;
    unsigned long long free;
    unsigned long long used;
};
// NVML_STRUCT_VERSION(Memory, 2): the struct's size with the version in the top byte.
constexpr unsigned int kMemoryV2Version = unsigned(sizeof(nvmlMemoryV2_t)) | (2u << 24);

// nvmlProcessInfo_v1_t: what the un-versioned query fills.
struct nvmlProcessInfoV1_t
{
    unsigned int pid;
    unsigned long long usedGpuMemory;
};

// The _v2 and _v3 queries fill this larger layout.
struct nvmlProcessInfoV2_t
{
    unsigned int pid;
    unsigned long long usedGpuMemory;
    unsigned int gpuInstanceId;
    unsigned int computeInstanceId;
};

using InitFn = nvmlReturn_t (*)();
using ShutdownFn = nvmlReturn_t (*)();
using ErrorStringFn = const char *(*)(nvmlReturn_t);
using SystemStringFn = nvmlReturn_t (*)(char *, unsigned int);
using CountFn = nvmlReturn_t (*)(unsigned int *);
using HandleFn = nvmlReturn_t (*)(unsigned int, nvmlDevice_t *);
using DeviceStringFn = nvmlReturn_t (*)(nvmlDevice_t, char *, unsigned int);
using UtilizationFn = nvmlReturn_t (*)(nvmlDevice_t, nvmlUtilization_t *);
using MemoryFn = nvmlReturn_t (*)(nvmlDevice_t, nvmlMemory_t *);
using MemoryV2Fn = nvmlReturn_t (*)(nvmlDevice_t, nvmlMemoryV2_t *);
using TemperatureFn = nvmlReturn_t (*)(nvmlDevice_t, unsigned int, unsigned int *);
using DeviceUIntFn = nvmlReturn_t (*)(nvmlDevice_t, unsigned int *);
using ClockFn = nvmlReturn_t (*)(nvmlDevice_t, unsigned int, unsigned int *);
using ProcessesFn = nvmlReturn_t (*)(nvmlDevice_t, unsigned int *, void *);

std::string fromBuffer(const char *buffer, unsigned int size)
{
    unsigned int length = 0;
    while (length < size && buffer[length] != '\0')
        ++length;
    return std::string(buffer, length);
}

} // namespace

struct NvmlLoader::Api
{
    InitFn init = nullptr;
    ShutdownFn shutdown = nullptr;
    ErrorStringFn errorString = nullptr;
    SystemStringFn driverVersion = nullptr;
    SystemStringFn nvmlVersion = nullptr;
    CountFn deviceCount = nullptr;
    HandleFn handleByIndex = nullptr;
    DeviceStringFn name = nullptr;
    DeviceStringFn uuid = nullptr;
    UtilizationFn utilization = nullptr;
    MemoryFn memory = nullptr;
    MemoryV2Fn memoryV2 = nullptr;
    TemperatureFn temperature = nullptr;
    DeviceUIntFn powerUsage = nullptr;
    DeviceUIntFn powerLimit = nullptr;
    ClockFn clock = nullptr;
    DeviceUIntFn fanSpeed = nullptr;
    ProcessesFn processes = nullptr;
    bool processesHaveInstanceIds = false; // the _v2/_v3 layout

    std::string describe(nvmlReturn_t code) const
    {
        const char *text = errorString ? errorString(code) : nullptr;
        return (text ? std::string(text) : std::string("unknown error")) + " (NVML error "
            + std::to_string(code) + ")";
    }
};

namespace {

// The first of the names that the library exports, or null.
template<typename Fn>
Fn resolve(void *handle, std::initializer_list<const char *> names, const char **found = nullptr)
{
    for (const char *name : names) {
        if (void *symbol = dlsym(handle, name)) {
            if (found)
                *found = name;
            return reinterpret_cast<Fn>(symbol);
        }
    }
    return nullptr;
}

} // namespace

NvmlLoader::NvmlLoader() = default;

NvmlLoader::~NvmlLoader()
{
    close();
}

bool NvmlLoader::open(const std::string &libraryPath)
{
    close();
    std::vector<std::string> candidates;
    if (!libraryPath.empty()) {
        candidates.push_back(libraryPath);
    } else if (const char *env = std::getenv(kLibraryEnvironmentVariable); env && *env) {
        candidates.push_back(env);
    } else {
        candidates.push_back(kLibraryName);
        candidates.push_back(kFallbackLibraryName);
    }

    std::string dlError;
    for (const std::string &candidate : candidates) {
        m_libraryPath = candidate;
        m_handle = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (m_handle)
            break;
        // Keep the first reason: it is about the library people know by name.
        if (const char *text = dlerror(); text && dlError.empty())
            dlError = text;
    }
    if (!m_handle) {
        m_libraryPath = candidates.front();
        m_error = "NVIDIA driver library " + m_libraryPath
            + " not found: install the NVIDIA driver, or add a remote GPU host";
        if (!dlError.empty())
            m_error += " (" + dlError + ")";
        return false;
    }

    auto api = std::make_unique<Api>();
    api->init = resolve<InitFn>(m_handle, {"nvmlInit_v2", "nvmlInit"});
    api->shutdown = resolve<ShutdownFn>(m_handle, {"nvmlShutdown"});
    api->errorString = resolve<ErrorStringFn>(m_handle, {"nvmlErrorString"});
    api->driverVersion = resolve<SystemStringFn>(m_handle, {"nvmlSystemGetDriverVersion"});
    api->nvmlVersion = resolve<SystemStringFn>(m_handle, {"nvmlSystemGetNVMLVersion"});
    api->deviceCount = resolve<CountFn>(m_handle, {"nvmlDeviceGetCount_v2", "nvmlDeviceGetCount"});
    api->handleByIndex = resolve<HandleFn>(
        m_handle, {"nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetHandleByIndex"});
    api->name = resolve<DeviceStringFn>(m_handle, {"nvmlDeviceGetName"});
    api->uuid = resolve<DeviceStringFn>(m_handle, {"nvmlDeviceGetUUID"});
    api->utilization = resolve<UtilizationFn>(m_handle, {"nvmlDeviceGetUtilizationRates"});
    api->memory = resolve<MemoryFn>(m_handle, {"nvmlDeviceGetMemoryInfo"});
    api->memoryV2 = resolve<MemoryV2Fn>(m_handle, {"nvmlDeviceGetMemoryInfo_v2"});
    api->temperature = resolve<TemperatureFn>(m_handle, {"nvmlDeviceGetTemperature"});
    api->powerUsage = resolve<DeviceUIntFn>(m_handle, {"nvmlDeviceGetPowerUsage"});
    api->powerLimit = resolve<DeviceUIntFn>(
        m_handle, {"nvmlDeviceGetEnforcedPowerLimit", "nvmlDeviceGetPowerManagementLimit"});
    api->clock = resolve<ClockFn>(m_handle, {"nvmlDeviceGetClockInfo"});
    api->fanSpeed = resolve<DeviceUIntFn>(m_handle, {"nvmlDeviceGetFanSpeed"});
    const char *processesName = nullptr;
    api->processes = resolve<ProcessesFn>(m_handle,
        {"nvmlDeviceGetComputeRunningProcesses_v3", "nvmlDeviceGetComputeRunningProcesses_v2",
         "nvmlDeviceGetComputeRunningProcesses"},
        &processesName);
    api->processesHaveInstanceIds =
        processesName && std::string(processesName) != "nvmlDeviceGetComputeRunningProcesses";

    if (!api->init || !api->shutdown || !api->deviceCount || !api->handleByIndex) {
        m_error = "The NVIDIA driver library " + m_libraryPath
            + " lacks the functions nvmlInit, nvmlShutdown, nvmlDeviceGetCount and "
              "nvmlDeviceGetHandleByIndex: update the NVIDIA driver";
        dlclose(m_handle);
        m_handle = nullptr;
        return false;
    }
    const nvmlReturn_t rc = api->init();
    if (rc != NVML_SUCCESS) {
        m_error = "The NVIDIA driver library " + m_libraryPath
            + " could not start: " + api->describe(rc)
            + ". Check that the NVIDIA driver is loaded (nvidia-smi should work), or add a "
              "remote GPU host";
        dlclose(m_handle);
        m_handle = nullptr;
        return false;
    }
    m_api = std::move(api);
    m_initialised = true;
    m_error.clear();
    return true;
}

bool NvmlLoader::isOpen() const
{
    return m_initialised;
}

void NvmlLoader::close()
{
    if (m_initialised && m_api && m_api->shutdown)
        m_api->shutdown();
    m_initialised = false;
    m_api.reset();
    if (m_handle)
        dlclose(m_handle);
    m_handle = nullptr;
}

const std::string &NvmlLoader::error() const
{
    return m_error;
}

const std::string &NvmlLoader::libraryPath() const
{
    return m_libraryPath;
}

std::string NvmlLoader::driverVersion() const
{
    if (!m_initialised || !m_api->driverVersion)
        return {};
    char buffer[kStringBufferSize] = {};
    if (m_api->driverVersion(buffer, sizeof buffer) != NVML_SUCCESS)
        return {};
    return fromBuffer(buffer, sizeof buffer);
}

std::string NvmlLoader::nvmlVersion() const
{
    if (!m_initialised || !m_api->nvmlVersion)
        return {};
    char buffer[kStringBufferSize] = {};
    if (m_api->nvmlVersion(buffer, sizeof buffer) != NVML_SUCCESS)
        return {};
    return fromBuffer(buffer, sizeof buffer);
}

std::optional<unsigned int> NvmlLoader::deviceCount()
{
    if (!m_initialised) {
        if (m_error.empty())
            m_error = "NVML is not open";
        return std::nullopt;
    }
    unsigned int count = 0;
    const nvmlReturn_t rc = m_api->deviceCount(&count);
    if (rc != NVML_SUCCESS) {
        m_error = "NVML could not count the GPUs: " + m_api->describe(rc);
        return std::nullopt;
    }
    return count;
}

NvmlDeviceReading NvmlLoader::readDevice(unsigned int index) const
{
    NvmlDeviceReading reading;
    reading.index = index;
    if (!m_initialised) {
        reading.error = "NVML is not open";
        return reading;
    }
    const Api &api = *m_api;
    nvmlDevice_t device = nullptr;
    const nvmlReturn_t rc = api.handleByIndex(index, &device);
    if (rc != NVML_SUCCESS) {
        reading.error =
            "NVML could not open GPU " + std::to_string(index) + ": " + api.describe(rc);
        return reading;
    }

    char buffer[kStringBufferSize] = {};
    if (api.name && api.name(device, buffer, sizeof buffer) == NVML_SUCCESS)
        reading.name = fromBuffer(buffer, sizeof buffer);
    char uuidBuffer[kStringBufferSize] = {};
    if (api.uuid && api.uuid(device, uuidBuffer, sizeof uuidBuffer) == NVML_SUCCESS)
        reading.uuid = fromBuffer(uuidBuffer, sizeof uuidBuffer);
    if (nvmlUtilization_t u{}; api.utilization && api.utilization(device, &u) == NVML_SUCCESS) {
        reading.utilizationGpuPercent = u.gpu;
        reading.utilizationMemoryPercent = u.memory;
    }
    // v2 first: its `used` is what nvidia-smi shows. v1 (drivers before 510, or a v2 call
    // that fails) overstates it by the reserved memory, but is the best there is then.
    nvmlMemoryV2_t m2{};
    m2.version = kMemoryV2Version;
    if (api.memoryV2 && api.memoryV2(device, &m2) == NVML_SUCCESS) {
        reading.memoryUsedBytes = m2.used;
        reading.memoryTotalBytes = m2.total;
        reading.memoryReservedBytes = m2.reserved;
    } else if (nvmlMemory_t m{}; api.memory && api.memory(device, &m) == NVML_SUCCESS) {
        reading.memoryUsedBytes = m.used;
        reading.memoryTotalBytes = m.total;
    }
    unsigned int value = 0;
    if (api.temperature && api.temperature(device, NVML_TEMPERATURE_GPU, &value) == NVML_SUCCESS)
        reading.temperatureCelsius = value;
    if (api.powerUsage && api.powerUsage(device, &value) == NVML_SUCCESS)
        reading.powerMilliwatts = value;
    if (api.powerLimit && api.powerLimit(device, &value) == NVML_SUCCESS)
        reading.powerLimitMilliwatts = value;
    if (api.clock && api.clock(device, NVML_CLOCK_SM, &value) == NVML_SUCCESS)
        reading.smClockMhz = value;
    if (api.clock && api.clock(device, NVML_CLOCK_MEM, &value) == NVML_SUCCESS)
        reading.memoryClockMhz = value;
    if (api.fanSpeed && api.fanSpeed(device, &value) == NVML_SUCCESS)
        reading.fanSpeedPercent = value;

    if (api.processes) {
        // Ask with room to spare; the count may grow between calls, so retry a few times.
        unsigned int capacity = 64;
        for (int attempt = 0; attempt < 4; ++attempt) {
            unsigned int count = capacity;
            std::vector<NvmlProcessReading> processes;
            nvmlReturn_t prc;
            if (api.processesHaveInstanceIds) {
                std::vector<nvmlProcessInfoV2_t> infos(capacity);
                prc = api.processes(device, &count, infos.data());
                for (unsigned int i = 0; prc == NVML_SUCCESS && i < count && i < capacity; ++i) {
                    NvmlProcessReading p{infos[i].pid, std::nullopt};
                    if (infos[i].usedGpuMemory != NVML_VALUE_NOT_AVAILABLE)
                        p.usedMemoryBytes = infos[i].usedGpuMemory;
                    processes.push_back(p);
                }
            } else {
                std::vector<nvmlProcessInfoV1_t> infos(capacity);
                prc = api.processes(device, &count, infos.data());
                for (unsigned int i = 0; prc == NVML_SUCCESS && i < count && i < capacity; ++i) {
                    NvmlProcessReading p{infos[i].pid, std::nullopt};
                    if (infos[i].usedGpuMemory != NVML_VALUE_NOT_AVAILABLE)
                        p.usedMemoryBytes = infos[i].usedGpuMemory;
                    processes.push_back(p);
                }
            }
            if (prc == NVML_SUCCESS) {
                reading.processes = std::move(processes);
                break;
            }
            if (prc != NVML_ERROR_INSUFFICIENT_SIZE)
                break;
            capacity = (count > capacity ? count : capacity) * 2;
        }
    }
    return reading;
}

std::vector<NvmlDeviceReading> NvmlLoader::readAll()
{
    std::vector<NvmlDeviceReading> readings;
    const std::optional<unsigned int> count = deviceCount();
    if (!count)
        return readings;
    for (unsigned int i = 0; i < *count; ++i)
        readings.push_back(readDevice(i));
    return readings;
}

} // namespace gpuwb
