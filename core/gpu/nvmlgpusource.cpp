#include "core/gpu/nvmlgpusource.h"

#include "core/gpu/nvml/nvmlloader.h"

#include <QDateTime>
#include <QFile>

#include <unistd.h>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

// The short command name of a process, as `ps` shows it; empty when it is gone or hidden.
QString processName(qint64 pid)
{
    QFile comm(u"/proc/%1/comm"_s.arg(pid));
    if (!comm.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(comm.readAll()).trimmed();
}

// The process group and session of a local process, absent when the call fails: the process
// has ended, or it lives in another pid namespace (a container's), where NVML's pid means
// something else or nothing here.
std::optional<qint64> processGroupOf(qint64 pid)
{
    const pid_t group = ::getpgid(pid_t(pid));
    return group > 0 ? std::optional<qint64>(group) : std::nullopt;
}

std::optional<qint64> sessionOf(qint64 pid)
{
    const pid_t session = ::getsid(pid_t(pid));
    return session > 0 ? std::optional<qint64>(session) : std::nullopt;
}

template<typename T, typename U>
std::optional<T> convert(const std::optional<U> &v)
{
    return v ? std::optional<T>(T(*v)) : std::nullopt;
}

} // namespace

NvmlGpuSource::NvmlGpuSource(QString libraryPath)
    : m_libraryPath(std::move(libraryPath)), m_nvml(std::make_unique<NvmlLoader>())
{
}

NvmlGpuSource::~NvmlGpuSource() = default;

QString NvmlGpuSource::description() const
{
    if (m_driverVersion.isEmpty())
        return u"NVML"_s;
    return u"NVML, driver %1"_s.arg(m_driverVersion);
}

Status NvmlGpuSource::open()
{
    if (!m_nvml->open(m_libraryPath.toStdString()))
        return Error{ErrorCode::GpuNvmlUnavailable, QString::fromStdString(m_nvml->error())};
    m_driverVersion = QString::fromStdString(m_nvml->driverVersion());
    const std::optional<unsigned int> count = m_nvml->deviceCount();
    if (!count)
        return Error{ErrorCode::GpuNvmlFailed, QString::fromStdString(m_nvml->error())};
    if (*count == 0) {
        return Error{ErrorCode::GpuNoDevices,
                     u"The NVIDIA driver is installed but reports no GPU. Check that the GPU is "
                     "seated and visible (nvidia-smi), or add a remote GPU host."_s};
    }
    return {};
}

Result<GpuSnapshot> NvmlGpuSource::sample()
{
    if (!m_nvml->isOpen())
        return Error{ErrorCode::GpuNvmlNotOpen, u"NVML is not open."_s};
    GpuSnapshot snapshot;
    snapshot.timestampMs = QDateTime::currentMSecsSinceEpoch();
    snapshot.driverVersion = m_driverVersion;
    const std::optional<unsigned int> count = m_nvml->deviceCount();
    if (!count)
        return Error{ErrorCode::GpuNvmlFailed, QString::fromStdString(m_nvml->error())};
    for (unsigned int i = 0; i < *count; ++i) {
        const NvmlDeviceReading r = m_nvml->readDevice(i);
        if (!r.error.empty())
            continue; // a lost GPU leaves its card; the others go on
        GpuSample s;
        s.index = int(i);
        s.uuid = r.uuid ? QString::fromStdString(*r.uuid) : u"gpu%1"_s.arg(i);
        s.name = QString::fromStdString(r.name.value_or(std::string()));
        s.utilizationGpuPercent = convert<double>(r.utilizationGpuPercent);
        s.utilizationMemoryPercent = convert<double>(r.utilizationMemoryPercent);
        s.memoryUsedBytes = convert<qint64>(r.memoryUsedBytes);
        s.memoryTotalBytes = convert<qint64>(r.memoryTotalBytes);
        s.temperatureCelsius = convert<double>(r.temperatureCelsius);
        s.powerMilliwatts = convert<double>(r.powerMilliwatts);
        s.powerLimitMilliwatts = convert<double>(r.powerLimitMilliwatts);
        s.smClockMhz = convert<int>(r.smClockMhz);
        s.memoryClockMhz = convert<int>(r.memoryClockMhz);
        s.fanSpeedPercent = convert<int>(r.fanSpeedPercent);
        if (r.processes) {
            for (const NvmlProcessReading &p : *r.processes) {
                const qint64 pid = qint64(p.pid);
                // pid 0 would ask about ourselves: NVML gives 0 for processes it cannot name.
                s.processes.append(GpuProcess{pid, processName(pid),
                                              convert<qint64>(p.usedMemoryBytes),
                                              pid > 0 ? processGroupOf(pid) : std::nullopt,
                                              pid > 0 ? sessionOf(pid) : std::nullopt});
            }
        }
        snapshot.gpus.append(s);
    }
    return snapshot;
}

} // namespace gpuwb
