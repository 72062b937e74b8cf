#pragma once

#include <QList>
#include <QMetaType>
#include <QString>

#include <optional>

namespace gpuwb {

struct GpuProcess
{
    qint64 pid = 0;
    QString name;
    std::optional<qint64> usedMemoryBytes; // absent where the driver does not say (WDDM, MIG)
    // The process's group and session on its host, when the source could read them (local
    // /proc, or the remote monitor's /proc/PID/stat); they match processes to jobs.
    std::optional<qint64> processGroup;
    std::optional<qint64> session;
    friend bool operator==(const GpuProcess &, const GpuProcess &) = default;
};

// One reading of one GPU. Every metric is optional, because drivers, GPUs and modes (MIG,
// vGPU, Windows) leave different ones out; each carries its unit in its name (principle 6).
struct GpuSample
{
    int index = 0;
    QString uuid; // stable key across samples
    QString name;
    std::optional<double> utilizationGpuPercent;
    std::optional<double> utilizationMemoryPercent;
    std::optional<qint64> memoryUsedBytes;
    std::optional<qint64> memoryTotalBytes;
    std::optional<double> temperatureCelsius;
    std::optional<double> powerMilliwatts;
    std::optional<double> powerLimitMilliwatts;
    std::optional<int> smClockMhz;
    std::optional<int> memoryClockMhz;
    std::optional<int> fanSpeedPercent;
    QList<GpuProcess> processes;
    friend bool operator==(const GpuSample &, const GpuSample &) = default;
};

// All GPUs of one host at one moment.
struct GpuSnapshot
{
    qint64 timestampMs = 0; // milliseconds since the epoch, when the sample was taken
    QString driverVersion;
    QList<GpuSample> gpus;
};

} // namespace gpuwb

Q_DECLARE_METATYPE(gpuwb::GpuSnapshot)
