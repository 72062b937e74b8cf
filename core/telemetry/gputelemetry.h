#pragma once

#include "core/gpu/gpuhistory.h"
#include "core/gpu/gpusample.h"
#include "core/util/result.h"

#include <QHash>
#include <QObject>
#include <QStringList>

#include <functional>
#include <memory>

namespace gpuwb {

class GpuSource;
class SshConnection;
class SshConnections;

// How the telemetry of one host is doing, for the one calm line the GPU panel shows per host.
enum class GpuHostStatus {
    Starting,     // opening NVML / asking the host which fields nvidia-smi knows
    Live,         // samples arrive
    NoDriver,     // no NVIDIA driver or no GPU there (a calm message, never an error storm)
    Interrupted,  // the connection dropped; samples resume by themselves after it reconnects
    Failed,       // something else went wrong; the message says what to do
};

// The GPUs of every host the workbench reaches, live: NVML (or a replay) for this machine and,
// for each connected SSH host, one long-lived `nvidia-smi --query-gpu=... -lms N` (fields
// chosen from the host's `--help-query-gpu`, asked once per host) plus its compute apps.
// A host is monitored while its SshConnection is connected; when the connection drops the host
// turns Interrupted and resumes by itself after the reconnect. Keeps one GpuHistory per host
// (enough for the longest chart window at the current interval). Lives on the UI thread; all
// sampling and SSH work happens on other threads (the sampler's, the connections' own).
// Host ids: "local" and "ssh:<alias>" (the same ids as targets).
class GpuTelemetry : public QObject
{
    Q_OBJECT
public:
    static constexpr int kDefaultIntervalMs = 1000;
    static constexpr int kMinimumIntervalMs = 200;
    static constexpr int kLongestWindowMinutes = 60;

    // connections may be null (no remote hosts). The local source is made by
    // makeLocalGpuSource() unless setLocalSourceFactory() was called before start().
    explicit GpuTelemetry(SshConnections *connections, QObject *parent = nullptr);
    ~GpuTelemetry() override;

    void setLocalSourceFactory(std::function<std::unique_ptr<GpuSource>()> factory);
    // Starts local sampling and follows the connections (present and future).
    void start();

    int intervalMs() const { return m_intervalMs; }
    // Clamped to kMinimumIntervalMs; applies to every host (remote streams are restarted with
    // the new -lms value). Histories keep their samples.
    void setIntervalMs(int intervalMs);

    QStringList hostIds() const;                 // "local" first, then hosts in order seen
    GpuHostStatus status(const QString &hostId) const;
    QString statusMessage(const QString &hostId) const;
    const GpuHistory *history(const QString &hostId) const; // null for unknown hosts
    GpuSnapshot latest(const QString &hostId) const;

signals:
    void hostAdded(const QString &hostId);
    void hostRemoved(const QString &hostId);
    void statusChanged(const QString &hostId, gpuwb::GpuHostStatus status,
                       const QString &message);
    // After the snapshot was appended to the host's history.
    void sampled(const QString &hostId, const gpuwb::GpuSnapshot &snapshot);

private:
    struct Host;
    void startLocalSampler();
    void addRemote(SshConnection *connection);
    void setHostStatus(const QString &hostId, GpuHostStatus status, const QString &message);
    void appendSample(const QString &hostId, const GpuSnapshot &snapshot);

    SshConnections *m_connections;
    int m_intervalMs = kDefaultIntervalMs;
    std::function<std::unique_ptr<GpuSource>()> m_localFactory;
    QStringList m_order;
    QHash<QString, std::shared_ptr<Host>> m_hosts;
};

} // namespace gpuwb
