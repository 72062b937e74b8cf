#include "core/gpu/gpureport.h"

#include <QStringList>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

template<typename T>
QString show(const std::optional<T> &value, const QString &unit, double scale = 1.0,
             int decimals = 0)
{
    if (!value)
        return u"n/a"_s;
    return QString::number(double(*value) / scale, 'f', decimals) + unit;
}

QString line(const QString &label, const QString &value)
{
    return u"  %1 %2\n"_s.arg(label.leftJustified(12), value);
}

} // namespace

QString formatGpuReport(const GpuSnapshot &snapshot, const QString &sourceDescription)
{
    QString out;
    out += u"GPU source: %1\n"_s.arg(sourceDescription);
    if (!snapshot.driverVersion.isEmpty())
        out += u"Driver: %1\n"_s.arg(snapshot.driverVersion);
    if (snapshot.gpus.isEmpty()) {
        out += u"No NVIDIA GPU found.\n"_s;
        return out;
    }
    for (const GpuSample &gpu : snapshot.gpus) {
        out += u"\nGPU %1: %2\n"_s.arg(gpu.index).arg(gpu.name.isEmpty() ? u"(unnamed)"_s
                                                                         : gpu.name);
        out += line(u"ID"_s, gpu.uuid);
        out += line(u"Utilisation"_s, u"%1 (memory %2)"_s.arg(
                                          show(gpu.utilizationGpuPercent, u" %"_s),
                                          show(gpu.utilizationMemoryPercent, u" %"_s)));
        out += line(u"Memory"_s, u"%1 / %2"_s.arg(show(gpu.memoryUsedBytes, QString(), kMiB),
                                                  show(gpu.memoryTotalBytes, u" MiB"_s, kMiB)));
        out += line(u"Temperature"_s, show(gpu.temperatureCelsius, u" °C"_s));
        out += line(u"Power"_s, u"%1 / %2"_s.arg(show(gpu.powerMilliwatts, u" W"_s, 1000.0, 1),
                                                 show(gpu.powerLimitMilliwatts, u" W"_s, 1000.0,
                                                      1)));
        out += line(u"Clocks"_s, u"SM %1, memory %2"_s.arg(show(gpu.smClockMhz, u" MHz"_s),
                                                           show(gpu.memoryClockMhz, u" MHz"_s)));
        out += line(u"Fan"_s, show(gpu.fanSpeedPercent, u" %"_s));
        if (gpu.processes.isEmpty()) {
            out += line(u"Processes"_s, u"none"_s);
            continue;
        }
        out += line(u"Processes"_s, QString::number(gpu.processes.size()));
        for (const GpuProcess &p : gpu.processes) {
            out += u"    %1  %2  %3\n"_s.arg(QString::number(p.pid).rightJustified(8),
                                             show(p.usedMemoryBytes, u" MiB"_s, kMiB)
                                                 .rightJustified(10),
                                             p.name.isEmpty() ? u"?"_s : p.name);
        }
    }
    return out;
}

} // namespace gpuwb
