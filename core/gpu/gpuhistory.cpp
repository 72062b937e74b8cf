#include "core/gpu/gpuhistory.h"

#include "core/util/check.h"

#include <algorithm>

namespace gpuwb {

GpuHistory::GpuHistory(int capacity) : m_capacity(std::max(1, capacity))
{
    GPUWB_CHECK(capacity > 0, );
    m_ring.resize(size_t(m_capacity));
}

void GpuHistory::append(const GpuSnapshot &snapshot)
{
    m_ring[size_t(m_head)] = snapshot;
    m_head = (m_head + 1) % m_capacity;
    m_count = std::min<qsizetype>(m_count + 1, m_capacity);
}

void GpuHistory::setCapacity(int capacity)
{
    GPUWB_CHECK(capacity > 0, );
    capacity = std::max(1, capacity);
    if (capacity == m_capacity)
        return;
    const qsizetype keep = std::min<qsizetype>(m_count, capacity);
    std::vector<GpuSnapshot> ring(static_cast<size_t>(capacity));
    for (qsizetype i = 0; i < keep; ++i)
        ring[size_t(i)] = std::move(m_ring[size_t((m_head - keep + i + m_capacity) % m_capacity)]);
    m_ring = std::move(ring);
    m_capacity = capacity;
    m_count = keep;
    m_head = keep % capacity;
}

void GpuHistory::clear()
{
    for (GpuSnapshot &s : m_ring)
        s = GpuSnapshot{};
    m_head = 0;
    m_count = 0;
}

const GpuSnapshot &GpuHistory::at(qsizetype i) const
{
    const qsizetype oldest = (m_head - m_count + m_capacity) % m_capacity;
    return m_ring[size_t((oldest + i) % m_capacity)];
}

GpuSnapshot GpuHistory::latest() const
{
    return m_count == 0 ? GpuSnapshot{} : at(m_count - 1);
}

qsizetype GpuHistory::firstInWindow(qint64 windowMs) const
{
    // Walk back from the newest to where the window starts.
    const qint64 newest = at(m_count - 1).timestampMs;
    qsizetype first = m_count;
    while (first > 0) {
        const qint64 age = newest - at(first - 1).timestampMs;
        if (age > windowMs || age < 0)
            break;
        --first;
    }
    return first;
}

QList<GpuSnapshot> GpuHistory::snapshots(qint64 windowMs) const
{
    QList<GpuSnapshot> result;
    if (m_count == 0)
        return result;
    const qsizetype first = firstInWindow(windowMs);
    result.reserve(m_count - first);
    for (qsizetype i = first; i < m_count; ++i)
        result.append(at(i));
    return result;
}

QList<QPointF> GpuHistory::series(const QString &uuid, GpuMetric metric, qint64 windowMs) const
{
    QList<QPointF> points;
    if (m_count == 0)
        return points;
    const qint64 newest = at(m_count - 1).timestampMs;
    const qsizetype first = firstInWindow(windowMs); // then collect oldest first
    points.reserve(m_count - first);
    for (qsizetype i = first; i < m_count; ++i) {
        const GpuSnapshot &snapshot = at(i);
        for (const GpuSample &gpu : snapshot.gpus) {
            if (gpu.uuid != uuid)
                continue;
            if (const std::optional<double> v = value(gpu, metric))
                points.append(QPointF(double(snapshot.timestampMs - newest) / 1000.0, *v));
            break;
        }
    }
    return points;
}

std::optional<double> GpuHistory::value(const GpuSample &s, GpuMetric metric)
{
    switch (metric) {
    case GpuMetric::UtilizationGpuPercent:
        return s.utilizationGpuPercent;
    case GpuMetric::UtilizationMemoryPercent:
        return s.utilizationMemoryPercent;
    case GpuMetric::MemoryUsedMiB:
        if (s.memoryUsedBytes)
            return double(*s.memoryUsedBytes) / (1024.0 * 1024.0);
        return std::nullopt;
    case GpuMetric::TemperatureCelsius:
        return s.temperatureCelsius;
    case GpuMetric::PowerWatts:
        if (s.powerMilliwatts)
            return *s.powerMilliwatts / 1000.0;
        return std::nullopt;
    case GpuMetric::SmClockMhz:
        if (s.smClockMhz)
            return double(*s.smClockMhz);
        return std::nullopt;
    case GpuMetric::MemoryClockMhz:
        if (s.memoryClockMhz)
            return double(*s.memoryClockMhz);
        return std::nullopt;
    case GpuMetric::FanSpeedPercent:
        if (s.fanSpeedPercent)
            return double(*s.fanSpeedPercent);
        return std::nullopt;
    }
    return std::nullopt;
}

} // namespace gpuwb
