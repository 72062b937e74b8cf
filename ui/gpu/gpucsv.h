#pragma once

#include "core/gpu/gpusample.h"
#include "core/util/result.h"

#include <QByteArray>
#include <QList>
#include <QString>

namespace gpuwb {

// Snapshots as CSV for a spreadsheet: one row per GPU per snapshot, a header of metric names
// with their units, ISO-8601 UTC timestamps, empty cells where a metric is missing, text
// quoted as RFC 4180 says. Pure functions; write() does file I/O and is meant for a worker
// thread (the GPU panel runs it with QtConcurrent).
class GpuCsv
{
public:
    static QByteArray header();
    static QByteArray toCsv(const QList<GpuSnapshot> &snapshots);
    // "gpus-gpu-box-20250101-120000.csv"
    static QString suggestedFileName(const QString &hostId, qint64 timestampMs);
    // Writes atomically (QSaveFile); the value is the number of rows written.
    static Result<int> write(const QString &path, const QList<GpuSnapshot> &snapshots);
};

} // namespace gpuwb
