#pragma once

#include "core/gpu/gpusample.h"
#include "core/telemetry/gputelemetry.h"

#include <QObject>
#include <QPointer>
#include <QStringList>

#include <memory>

namespace gpuwb {

class SshConnection;
struct RemoteGpuStream;

// The GPUs of one SSH host, live: asks the host once which fields its nvidia-smi knows
// (`command -v nvidia-smi`, `nvidia-smi --help-query-gpu`, cached per host alias for the
// application's lifetime), then keeps one exec channel running
// `nvidia-smi --query-gpu=... --format=csv,noheader,nounits -lms N` and a second one with a
// small sh loop that prints the compute apps and each one's /proc/PID/stat per interval.
// All channel work is pumped in SshConnection::run() steps on the connection's owner thread;
// snapshots and status arrive on the thread that made the monitor (the UI thread).
// Follows the connection: Interrupted while it is down, restarted once it is Connected
// again. A host without NVIDIA driver is reported once (NoDriver) and not asked again until
// a reconnect or an interval change. Stopping or destroying closes both channels; the remote
// commands are exec'd or exit on a broken stdout, so none outlives its channel.
class RemoteGpuMonitor : public QObject
{
    Q_OBJECT
public:
    RemoteGpuMonitor(SshConnection *connection, int intervalMs, QObject *parent = nullptr);
    ~RemoteGpuMonitor() override;

    QString hostId() const { return m_hostId; } // "ssh:<alias>"
    QString alias() const;
    int intervalMs() const { return m_intervalMs; }
    GpuHostStatus status() const { return m_status; }
    QString statusMessage() const { return m_message; }
    // The --query-gpu fields of the running stream (empty before the probe answered).
    QStringList fields() const { return m_fields; }

    // Starts monitoring: now when the connection is connected, else once it is (start()
    // never opens a connection by itself).
    void start();
    // Closes the channels; no more samples or status changes.
    void stop();
    // Restarts the stream with the new -lms value (also retries a NoDriver host).
    void setIntervalMs(int intervalMs);

    // Forgets what the probe cache knows about every host (tests).
    static void clearProbeCache();

signals:
    void statusChanged(gpuwb::GpuHostStatus status, const QString &message);
    void sampled(const gpuwb::GpuSnapshot &snapshot);

private:
    void onConnectionState();
    void beginProbe();
    void beginStream();
    void closeStream();
    void setStatus(GpuHostStatus status, const QString &message);
    void onStreamEnded(const Error &error, quint64 generation);

    QPointer<SshConnection> m_connection;
    QString m_hostId;
    int m_intervalMs;
    bool m_started = false;
    bool m_probing = false;
    bool m_noDriverReported = false;
    quint64 m_generation = 0; // bumped per stream; stale callbacks are dropped
    GpuHostStatus m_status = GpuHostStatus::Starting;
    QString m_message;
    QStringList m_fields;
    std::shared_ptr<RemoteGpuStream> m_stream;
};

} // namespace gpuwb
