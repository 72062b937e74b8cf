#include "ui/gpu/gputext.h"

#include <QCoreApplication>
#include <QStringList>

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

namespace gpuwb::GpuText {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("GpuText", text);
}

QString number(double value, int decimals)
{
    return QString::number(value, 'f', decimals);
}

} // namespace

QString hostLabel(const QString &hostId)
{
    if (hostId == u"local"_s)
        return tr("This machine");
    if (hostId.startsWith(u"ssh:"_s))
        return hostId.mid(4);
    return hostId;
}

QString gib(qint64 bytes)
{
    const double value = double(bytes) / (1024.0 * 1024.0 * 1024.0);
    const double rounded = std::round(value * 10.0) / 10.0;
    if (rounded == std::floor(rounded))
        return number(rounded, 0);
    return number(rounded, 1);
}

QString statusText(GpuHostStatus status, const QString &message)
{
    switch (status) {
    case GpuHostStatus::Starting:
        return message.isEmpty() ? tr("Looking for GPUs…") : message;
    case GpuHostStatus::Live:
        return message;
    case GpuHostStatus::NoDriver:
        // One calm line: a host without a GPU is normal, not an error.
        return message.isEmpty() ? tr("No NVIDIA GPU here.") : message;
    case GpuHostStatus::Interrupted:
        return message.isEmpty() ? tr("Connection lost; the readings resume when it is back.")
                                 : message;
    case GpuHostStatus::Failed:
        return message.isEmpty() ? tr("GPU readings failed.") : message;
    }
    return message;
}

QString summary(const QString &hostId, GpuHostStatus status, const GpuSnapshot &latest)
{
    const QString label = hostLabel(hostId);
    switch (status) {
    case GpuHostStatus::Starting:
        return tr("%1: looking for GPUs…").arg(label);
    case GpuHostStatus::NoDriver:
        return tr("%1: no NVIDIA GPU").arg(label);
    case GpuHostStatus::Interrupted:
        return tr("%1: GPU readings paused (reconnecting)").arg(label);
    case GpuHostStatus::Failed:
        return tr("%1: GPU readings failed").arg(label);
    case GpuHostStatus::Live:
        break;
    }
    if (latest.gpus.isEmpty())
        return tr("%1: no NVIDIA GPU").arg(label);
    const int count = int(latest.gpus.size());
    QStringList parts{count == 1 ? tr("1 GPU") : tr("%1 GPUs").arg(count)};
    double utilSum = 0;
    int utilCount = 0;
    std::optional<double> hottest;
    qint64 used = 0;
    qint64 total = 0;
    bool anyMemory = false;
    for (const GpuSample &gpu : latest.gpus) {
        if (gpu.utilizationGpuPercent) {
            utilSum += *gpu.utilizationGpuPercent;
            ++utilCount;
        }
        if (gpu.temperatureCelsius)
            hottest = std::max(hottest.value_or(-1000.0), *gpu.temperatureCelsius);
        if (gpu.memoryUsedBytes && gpu.memoryTotalBytes) {
            used += *gpu.memoryUsedBytes;
            total += *gpu.memoryTotalBytes;
            anyMemory = true;
        }
    }
    if (utilCount > 0)
        parts << number(utilSum / utilCount, 0) + u"%"_s;
    if (hottest)
        parts << number(*hottest, 0) + u" °C"_s;
    if (anyMemory)
        parts << u"%1/%2 GiB"_s.arg(gib(used), gib(total));
    return label + u": "_s + parts.join(u" · "_s);
}

QString metricsLine(const GpuSample &gpu)
{
    QStringList parts;
    if (gpu.utilizationGpuPercent)
        parts << number(*gpu.utilizationGpuPercent, 0) + u" %"_s;
    if (gpu.memoryUsedBytes && gpu.memoryTotalBytes)
        parts << u"%1/%2 GiB"_s.arg(gib(*gpu.memoryUsedBytes), gib(*gpu.memoryTotalBytes));
    if (gpu.temperatureCelsius)
        parts << number(*gpu.temperatureCelsius, 0) + u" °C"_s;
    if (gpu.powerMilliwatts) {
        QString power = number(*gpu.powerMilliwatts / 1000.0, 0);
        if (gpu.powerLimitMilliwatts)
            power += u"/"_s + number(*gpu.powerLimitMilliwatts / 1000.0, 0);
        parts << power + u" W"_s;
    }
    if (gpu.smClockMhz)
        parts << tr("SM %1 MHz").arg(*gpu.smClockMhz);
    if (gpu.memoryClockMhz)
        parts << tr("mem %1 MHz").arg(*gpu.memoryClockMhz);
    if (gpu.fanSpeedPercent)
        parts << tr("fan %1 %").arg(*gpu.fanSpeedPercent);
    return parts.join(u" · "_s);
}

} // namespace gpuwb::GpuText
