#include "ui/gpu/gpucsv.h"

#include "ui/gpu/gputext.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QSaveFile>
#include <QTimeZone>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

QByteArray number(std::optional<double> value)
{
    if (!value)
        return {};
    // Up to two decimals, no trailing zeros, never the locale's separator.
    QByteArray text = QByteArray::number(*value, 'f', 2);
    while (text.endsWith('0'))
        text.chop(1);
    if (text.endsWith('.'))
        text.chop(1);
    if (text == "-0")
        text = "0";
    return text;
}

std::optional<double> scaled(std::optional<qint64> value, double by)
{
    return value ? std::optional<double>(double(*value) / by) : std::nullopt;
}

std::optional<double> scaled(std::optional<double> value, double by)
{
    return value ? std::optional<double>(*value / by) : std::nullopt;
}

std::optional<double> asDouble(std::optional<int> value)
{
    return value ? std::optional<double>(*value) : std::nullopt;
}

QByteArray text(const QString &value)
{
    QByteArray utf8 = value.toUtf8();
    // A leading = + - @ would be a formula in a spreadsheet: make it plain text.
    if (!utf8.isEmpty() && QByteArrayView("=+-@").contains(utf8.front()))
        utf8.prepend('\'');
    if (utf8.contains(',') || utf8.contains('"') || utf8.contains('\n') || utf8.contains('\r')) {
        utf8.replace("\"", "\"\"");
        return '"' + utf8 + '"';
    }
    return utf8;
}

} // namespace

QByteArray GpuCsv::header()
{
    return "timestamp,gpu_index,gpu_uuid,gpu_name,utilization_gpu [%],utilization_memory [%],"
           "memory_used [MiB],memory_total [MiB],temperature [°C],power_draw [W],"
           "power_limit [W],clock_sm [MHz],clock_memory [MHz],fan_speed [%]\n";
}

QByteArray GpuCsv::toCsv(const QList<GpuSnapshot> &snapshots)
{
    QByteArray out = header();
    for (const GpuSnapshot &snapshot : snapshots) {
        const QByteArray time = QDateTime::fromMSecsSinceEpoch(snapshot.timestampMs,
                                                               QTimeZone::UTC)
                                    .toString(Qt::ISODateWithMs)
                                    .toLatin1();
        for (const GpuSample &gpu : snapshot.gpus) {
            const QByteArrayList cells{
                time,
                QByteArray::number(gpu.index),
                text(gpu.uuid),
                text(gpu.name),
                number(gpu.utilizationGpuPercent),
                number(gpu.utilizationMemoryPercent),
                number(scaled(gpu.memoryUsedBytes, kMiB)),
                number(scaled(gpu.memoryTotalBytes, kMiB)),
                number(gpu.temperatureCelsius),
                number(scaled(gpu.powerMilliwatts, 1000.0)),
                number(scaled(gpu.powerLimitMilliwatts, 1000.0)),
                number(asDouble(gpu.smClockMhz)),
                number(asDouble(gpu.memoryClockMhz)),
                number(asDouble(gpu.fanSpeedPercent)),
            };
            out += cells.join(',');
            out += '\n';
        }
    }
    return out;
}

QString GpuCsv::suggestedFileName(const QString &hostId, qint64 timestampMs)
{
    QString host = GpuText::hostLabel(hostId);
    if (hostId == u"local"_s)
        host = u"local"_s;
    // Only what is safe in a file name anywhere.
    for (QChar &c : host)
        if (!c.isLetterOrNumber() && c != u'-' && c != u'_' && c != u'.')
            c = u'_';
    const QString time = QDateTime::fromMSecsSinceEpoch(timestampMs)
                             .toString(u"yyyyMMdd-HHmmss"_s);
    return u"gpus-%1-%2.csv"_s.arg(host, time);
}

Result<int> GpuCsv::write(const QString &path, const QList<GpuSnapshot> &snapshots)
{
    auto tr = [](const char *s) { return QCoreApplication::translate("GpuCsv", s); };
    int rows = 0;
    for (const GpuSnapshot &s : snapshots)
        rows += int(s.gpus.size());
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        return Error{ErrorCode::GpuCsvOpen,
                     tr("Could not write %1: %2. Choose a folder you can write to.")
                         .arg(path, file.errorString())};
    }
    file.write(toCsv(snapshots));
    if (!file.commit()) {
        return Error{ErrorCode::GpuCsvWrite,
                     tr("Could not save %1: %2. Check the free space and try again.")
                         .arg(path, file.errorString())};
    }
    return rows;
}

} // namespace gpuwb
