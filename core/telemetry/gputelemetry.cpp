#include "core/telemetry/gputelemetry.h"

#include "core/gpu/gpusource.h"

namespace gpuwb {

// Skeleton: the owner replaces it.
struct GpuTelemetry::Host
{
};

GpuTelemetry::GpuTelemetry(SshConnections *connections, QObject *parent)
    : QObject(parent), m_connections(connections)
{
}

GpuTelemetry::~GpuTelemetry() = default;

void GpuTelemetry::setLocalSourceFactory(std::function<std::unique_ptr<GpuSource>()> factory)
{
    m_localFactory = std::move(factory);
}

void GpuTelemetry::start() {}

void GpuTelemetry::setIntervalMs(int intervalMs)
{
    m_intervalMs = std::max(intervalMs, kMinimumIntervalMs);
}

QStringList GpuTelemetry::hostIds() const { return m_order; }

GpuHostStatus GpuTelemetry::status(const QString &) const { return GpuHostStatus::Starting; }

QString GpuTelemetry::statusMessage(const QString &) const { return {}; }

const GpuHistory *GpuTelemetry::history(const QString &) const { return nullptr; }

GpuSnapshot GpuTelemetry::latest(const QString &) const { return {}; }

} // namespace gpuwb
