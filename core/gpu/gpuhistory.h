#pragma once

#include "core/gpu/gpusample.h"

#include <QList>
#include <QPointF>
#include <QString>

#include <optional>
#include <vector>

namespace gpuwb {

// What a chart plots, each in the unit its name says.
enum class GpuMetric {
    UtilizationGpuPercent,
    UtilizationMemoryPercent,
    MemoryUsedMiB,
    TemperatureCelsius,
    PowerWatts,
    SmClockMhz,
    MemoryClockMhz,
    FanSpeedPercent,
};

// A ring buffer of the latest snapshots (principle 9): the charts re-slice it per tick and
// when the time window changes. A value type with no thread of its own; the GPU panel owns
// one on the UI thread.
class GpuHistory
{
public:
    // 15 minutes at 1 Hz and a margin.
    static constexpr int kDefaultCapacity = 15 * 60 + 60;

    explicit GpuHistory(int capacity = kDefaultCapacity);

    void append(const GpuSnapshot &snapshot);
    void clear();
    int capacity() const { return m_capacity; }
    // Changes the capacity, keeping the newest snapshots that fit.
    void setCapacity(int capacity);
    int size() const { return int(m_count); }
    bool isEmpty() const { return m_count == 0; }
    // The newest snapshot; an empty one when there is none.
    GpuSnapshot latest() const;
    // The snapshots no older than windowMs before the newest, oldest first (CSV export).
    QList<GpuSnapshot> snapshots(qint64 windowMs) const;

    // Points of one GPU (by uuid) no older than windowMs before the newest snapshot: x in
    // seconds relative to the newest snapshot (<= 0), oldest first; snapshots where the GPU
    // or the metric is missing are skipped.
    QList<QPointF> series(const QString &uuid, GpuMetric metric, qint64 windowMs) const;

    static std::optional<double> value(const GpuSample &sample, GpuMetric metric);

private:
    const GpuSnapshot &at(qsizetype i) const; // 0 = oldest
    // The oldest snapshot no older than windowMs before the newest; the history is not empty.
    qsizetype firstInWindow(qint64 windowMs) const;

    int m_capacity;
    std::vector<GpuSnapshot> m_ring;
    qsizetype m_head = 0; // where the next snapshot goes
    qsizetype m_count = 0;
};

} // namespace gpuwb
