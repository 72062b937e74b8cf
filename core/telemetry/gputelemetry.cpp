#include "core/telemetry/gputelemetry.h"

#include "core/gpu/gpusampler.h"
#include "core/gpu/gpusource.h"
#include "core/gpu/localgpusource.h"
#include "core/ssh/sshconnections.h"
#include "core/telemetry/remotegpumonitor.h"
#include "core/util/logging.h"

#include <algorithm>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

const QString kLocalId = u"local"_s;

// Enough snapshots for the longest chart window at this interval, and a margin.
int historyCapacity(int intervalMs)
{
    const qint64 window = qint64(GpuTelemetry::kLongestWindowMinutes) * 60 * 1000;
    return int(window / std::max(1, intervalMs) + 60);
}

bool isNoDriver(const Error &error)
{
    return error.code == ErrorCode::GpuNvmlUnavailable || error.code == ErrorCode::GpuNoDevices;
}

} // namespace

struct GpuTelemetry::Host
{
    QString id;
    GpuHostStatus status = GpuHostStatus::Starting;
    QString message;
    GpuHistory history;
    std::unique_ptr<GpuSampler> sampler; // local only
    bool opened = false;                  // local: the source opened
    RemoteGpuMonitor *monitor = nullptr;  // remote only; a child of the telemetry
};

GpuTelemetry::GpuTelemetry(SshConnections *connections, QObject *parent)
    : QObject(parent), m_connections(connections)
{
    qRegisterMetaType<gpuwb::GpuSnapshot>();
    qRegisterMetaType<gpuwb::GpuHostStatus>();
}

GpuTelemetry::~GpuTelemetry()
{
    // Monitors close their channels; samplers join their threads.
    for (const std::shared_ptr<Host> &host : std::as_const(m_hosts)) {
        if (host->monitor) {
            host->monitor->disconnect(this);
            delete host->monitor;
            host->monitor = nullptr;
        }
        host->sampler.reset();
    }
}

void GpuTelemetry::setLocalSourceFactory(std::function<std::unique_ptr<GpuSource>()> factory)
{
    m_localFactory = std::move(factory);
}

void GpuTelemetry::start()
{
    if (m_hosts.contains(kLocalId))
        return;
    auto local = std::make_shared<Host>();
    local->id = kLocalId;
    local->history.setCapacity(historyCapacity(m_intervalMs));
    m_hosts.insert(kLocalId, local);
    m_order.prepend(kLocalId);
    emit hostAdded(kLocalId);
    startLocalSampler();

    if (!m_connections)
        return;
    connect(m_connections, &SshConnections::connectionAdded, this,
            [this](SshConnection *connection) { addRemote(connection); });
    for (SshConnection *connection : m_connections->connections())
        addRemote(connection);
}

void GpuTelemetry::startLocalSampler()
{
    Host *host = m_hosts.value(kLocalId).get();
    if (!host)
        return;
    host->sampler.reset();
    std::unique_ptr<GpuSource> source = m_localFactory ? m_localFactory() : makeLocalGpuSource();
    if (!source) {
        setHostStatus(kLocalId, GpuHostStatus::Failed,
                      u"No GPU source for this machine. Restart the workbench."_s);
        return;
    }
    host->opened = false;
    host->sampler = std::make_unique<GpuSampler>(std::move(source), m_intervalMs);
    GpuSampler *sampler = host->sampler.get();
    connect(sampler, &GpuSampler::opened, this, [this, sampler](const QString &) {
        Host *h = m_hosts.value(kLocalId).get();
        if (h && h->sampler.get() == sampler)
            h->opened = true;
    });
    connect(sampler, &GpuSampler::failed, this, [this, sampler](const Error &error) {
        Host *h = m_hosts.value(kLocalId).get();
        if (!h || h->sampler.get() != sampler)
            return;
        if (!h->opened && isNoDriver(error)) {
            setHostStatus(kLocalId, GpuHostStatus::NoDriver,
                          u"No NVIDIA driver on this machine: %1 GPU telemetry is off for "
                          "this machine."_s.arg(error.message));
        } else {
            setHostStatus(kLocalId, GpuHostStatus::Failed, error.message);
        }
    });
    connect(sampler, &GpuSampler::sampled, this, [this, sampler](const GpuSnapshot &snapshot) {
        Host *h = m_hosts.value(kLocalId).get();
        if (h && h->sampler.get() == sampler)
            appendSample(kLocalId, snapshot);
    });
    setHostStatus(kLocalId, GpuHostStatus::Starting, u"Opening the GPU driver…"_s);
    sampler->start();
}

void GpuTelemetry::addRemote(SshConnection *connection)
{
    if (!connection)
        return;
    const QString id = u"ssh:"_s + connection->alias();
    if (m_hosts.contains(id))
        return;
    auto host = std::make_shared<Host>();
    host->id = id;
    host->history.setCapacity(historyCapacity(m_intervalMs));
    host->monitor = new RemoteGpuMonitor(connection, m_intervalMs, this);
    host->status = host->monitor->status();
    host->message = host->monitor->statusMessage();
    m_hosts.insert(id, host);
    m_order.append(id);
    connect(host->monitor, &RemoteGpuMonitor::statusChanged, this,
            [this, id](GpuHostStatus status, const QString &message) {
                setHostStatus(id, status, message);
            });
    connect(host->monitor, &RemoteGpuMonitor::sampled, this,
            [this, id](const GpuSnapshot &snapshot) { appendSample(id, snapshot); });
    emit hostAdded(id);
    host->monitor->start();
}

void GpuTelemetry::setHostStatus(const QString &hostId, GpuHostStatus status,
                                 const QString &message)
{
    Host *host = m_hosts.value(hostId).get();
    if (!host || (host->status == status && host->message == message))
        return;
    host->status = status;
    host->message = message;
    emit statusChanged(hostId, status, message);
}

void GpuTelemetry::appendSample(const QString &hostId, const GpuSnapshot &snapshot)
{
    Host *host = m_hosts.value(hostId).get();
    if (!host)
        return;
    host->history.append(snapshot);
    if (host->status != GpuHostStatus::Live)
        setHostStatus(hostId, GpuHostStatus::Live, {});
    emit sampled(hostId, snapshot);
}

void GpuTelemetry::setIntervalMs(int intervalMs)
{
    intervalMs = std::max(intervalMs, kMinimumIntervalMs);
    if (intervalMs == m_intervalMs)
        return;
    m_intervalMs = intervalMs;
    for (const std::shared_ptr<Host> &host : std::as_const(m_hosts)) {
        host->history.setCapacity(std::max(host->history.size(), historyCapacity(intervalMs)));
        if (host->monitor)
            host->monitor->setIntervalMs(intervalMs);
    }
    if (Host *local = m_hosts.value(kLocalId).get(); local && local->sampler)
        startLocalSampler(); // GpuSampler's interval is fixed: a new one at the new rate
}

QStringList GpuTelemetry::hostIds() const { return m_order; }

GpuHostStatus GpuTelemetry::status(const QString &hostId) const
{
    const Host *host = m_hosts.value(hostId).get();
    return host ? host->status : GpuHostStatus::Failed;
}

QString GpuTelemetry::statusMessage(const QString &hostId) const
{
    const Host *host = m_hosts.value(hostId).get();
    return host ? host->message : QString();
}

const GpuHistory *GpuTelemetry::history(const QString &hostId) const
{
    const Host *host = m_hosts.value(hostId).get();
    return host ? &host->history : nullptr;
}

GpuSnapshot GpuTelemetry::latest(const QString &hostId) const
{
    const Host *host = m_hosts.value(hostId).get();
    return host ? host->history.latest() : GpuSnapshot{};
}

} // namespace gpuwb
