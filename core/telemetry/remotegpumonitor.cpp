#include "core/telemetry/remotegpumonitor.h"

#include "core/gpu/nvidiasmiparser.h"
#include "core/ssh/remotecommand.h"
#include "core/ssh/sshconnection.h"
#include "core/telemetry/remotegpuchannel.h"
#include "core/util/logging.h"
#include "core/util/shellquote.h"

#include <libssh/libssh.h>

#include <QDateTime>
#include <QHash>
#include <QMutex>

#include <atomic>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace P = NvidiaSmiParser;

namespace {

struct ProbeResult
{
    bool found = false;
    QStringList fields;
    QString problem; // why the fields are unknown
};

// What the probes learnt, per host alias, for the application's lifetime (only hosts that
// have nvidia-smi: a host without is asked again after a reconnect).
QMutex g_probeMutex;
QHash<QString, QStringList> g_probeCache;

constexpr ErrorCode kNotFoundCode = ErrorCode::GpuSmiNotFound;

QString noDriverMessage(const QString &alias, const QString &why)
{
    return u"No NVIDIA driver on %1: %2 GPU telemetry is off for this host."_s.arg(alias, why);
}

bool isNoDriver(const Error &error)
{
    return error.code == kNotFoundCode || error.code == ErrorCode::GpuSmiFailed
        || error.code == ErrorCode::GpuNoDevices;
}

} // namespace

// The monitor's handle on the stream running on the owner thread.
struct RemoteGpuStream
{
    std::atomic<bool> stop = false;
};

RemoteGpuMonitor::RemoteGpuMonitor(SshConnection *connection, int intervalMs, QObject *parent)
    : QObject(parent)
    , m_connection(connection)
    , m_hostId(u"ssh:"_s + (connection ? connection->alias() : QString()))
    , m_intervalMs(std::max(intervalMs, GpuTelemetry::kMinimumIntervalMs))
{
    qRegisterMetaType<gpuwb::GpuSnapshot>();
    if (m_connection) {
        connect(m_connection, &SshConnection::stateChanged, this,
                [this] { onConnectionState(); });
    }
}

RemoteGpuMonitor::~RemoteGpuMonitor() { stop(); }

QString RemoteGpuMonitor::alias() const { return m_hostId.mid(4); }

void RemoteGpuMonitor::clearProbeCache()
{
    QMutexLocker lock(&g_probeMutex);
    g_probeCache.clear();
}

void RemoteGpuMonitor::start()
{
    if (m_started)
        return;
    m_started = true;
    m_noDriverReported = false;
    if (m_connection && m_connection->state() == SshState::Connected)
        beginProbe();
    else
        setStatus(GpuHostStatus::Starting,
                  u"Waiting for the connection to %1; GPU readings start once it is up."_s.arg(
                      alias()));
}

void RemoteGpuMonitor::stop()
{
    m_started = false;
    closeStream();
}

void RemoteGpuMonitor::setIntervalMs(int intervalMs)
{
    intervalMs = std::max(intervalMs, GpuTelemetry::kMinimumIntervalMs);
    if (intervalMs == m_intervalMs)
        return;
    m_intervalMs = intervalMs;
    if (!m_started)
        return;
    closeStream();
    m_noDriverReported = false; // an interval change is one of the two moments to ask again
    if (m_connection && m_connection->state() == SshState::Connected)
        beginProbe();
}

void RemoteGpuMonitor::onConnectionState()
{
    if (!m_started || !m_connection)
        return;
    if (m_connection->state() == SshState::Connected) {
        if (!m_stream && !m_probing) {
            m_noDriverReported = false; // a reconnect: ask again
            beginProbe();
        }
        return;
    }
    if (m_connection->state() == SshState::Connecting && !m_stream && !m_probing)
        return; // a first connect: still Starting
    closeStream();
    setStatus(GpuHostStatus::Interrupted,
                  u"The connection to %1 is down (%2); GPU readings resume after it "
                  "reconnects."_s.arg(alias(), toString(m_connection->state())));
}

void RemoteGpuMonitor::beginProbe()
{
    if (!m_connection || m_probing)
        return;
    {
        QMutexLocker lock(&g_probeMutex);
        const auto it = g_probeCache.constFind(alias());
        if (it != g_probeCache.constEnd()) {
            m_fields = *it;
            beginStream();
            return;
        }
    }
    m_probing = true;
    const quint64 generation = ++m_generation;
    setStatus(GpuHostStatus::Starting,
              u"Asking %1 which GPU readings its nvidia-smi offers…"_s.arg(alias()));
    // `command -v` tells "not installed" apart from a failing nvidia-smi, without a shell error.
    const QString command = u"command -v nvidia-smi >/dev/null 2>&1 || exit 127; exec "_s
        + shellJoin({u"nvidia-smi"_s, u"--help-query-gpu"_s});
    m_connection->call<ProbeResult>(
        this,
        [command](SshSessionContext &context) -> Result<ProbeResult> {
            Result<RemoteCommand> run = RemoteCommand::run(context.session(), command.toUtf8(),
                                                           1024 * 1024);
            if (!run)
                return run.error();
            ProbeResult probe;
            probe.found = run->exitCode != 127;
            if (!probe.found)
                return probe;
            probe.fields = P::chooseQueryGpuFields(P::parseHelpQueryGpu(run->output));
            if (probe.fields.isEmpty()) {
                probe.problem =
                    QString::fromUtf8(run->errorOutput + run->output).trimmed().left(300);
                if (probe.problem.isEmpty())
                    probe.problem = u"nvidia-smi --help-query-gpu listed no usable field."_s;
            }
            return probe;
        },
        [this, generation](Result<ProbeResult> result) {
            if (generation != m_generation)
                return;
            m_probing = false;
            if (!m_started)
                return;
            if (!result) {
                onStreamEnded(result.error(), generation);
                return;
            }
            if (!result->found) {
                onStreamEnded(Error{kNotFoundCode, u"nvidia-smi was not found."_s}, generation);
                return;
            }
            if (result->fields.isEmpty()) {
                onStreamEnded(Error{ErrorCode::GpuSmiFailed,
                                    u"nvidia-smi did not list its fields (%1)."_s.arg(
                                        result->problem)},
                              generation);
                return;
            }
            {
                QMutexLocker lock(&g_probeMutex);
                g_probeCache.insert(alias(), result->fields);
            }
            m_fields = result->fields;
            beginStream();
        });
}

void RemoteGpuMonitor::beginStream()
{
    if (!m_connection || !m_started)
        return;
    closeStream();
    const quint64 generation = ++m_generation;
    m_stream = std::make_shared<RemoteGpuStream>();
    if (m_status != GpuHostStatus::Live)
        setStatus(GpuHostStatus::Starting, u"Starting GPU readings on %1…"_s.arg(alias()));

    RemoteGpuChannel::Setup setup;
    setup.alias = alias();
    setup.fields = m_fields;
    setup.intervalMs = m_intervalMs;
    QPointer<RemoteGpuMonitor> self(this);
    setup.onSnapshot = [self, generation](const GpuSnapshot &snapshot) {
        if (!self)
            return;
        QMetaObject::invokeMethod(
            self.data(),
            [self, generation, snapshot] {
                if (!self || generation != self->m_generation || !self->m_started)
                    return;
                if (self->m_status != GpuHostStatus::Live)
                    self->setStatus(GpuHostStatus::Live, {});
                emit self->sampled(snapshot);
            },
            Qt::QueuedConnection);
    };
    std::shared_ptr<RemoteGpuStream> stream = m_stream;
    auto channel = std::make_shared<RemoteGpuChannel>(std::move(setup));
    m_connection->run<void>(
        this,
        [channel, stream](SshSessionContext &context) {
            return channel->step(context, stream->stop.load());
        },
        [channel] { return channel->result(); },
        [this, generation](Status status) {
            if (generation != m_generation)
                return;
            m_stream.reset();
            if (!m_started)
                return;
            onStreamEnded(status ? Error{ErrorCode::GpuSmiEnded,
                                         u"nvidia-smi on %1 stopped by itself. Change the "
                                         "interval or reconnect to start it again."_s.arg(
                                             alias())}
                                 : status.error(),
                          generation);
        });
}

void RemoteGpuMonitor::closeStream()
{
    ++m_generation; // whatever is still in flight is stale now
    m_probing = false;
    if (!m_stream)
        return;
    m_stream->stop = true;
    m_stream.reset();
    // Wake the owner thread so that the channels close now rather than at its next tick.
    if (m_connection && m_connection->state() == SshState::Connected)
        m_connection->enqueue(SshRequest{[](SshSessionContext &) { return SshStep::Done; }, {}});
}

void RemoteGpuMonitor::onStreamEnded(const Error &error, quint64 generation)
{
    if (generation != m_generation || !m_started)
        return;
    m_stream.reset();
    if (isNoDriver(error)) {
        if (m_noDriverReported)
            return;
        m_noDriverReported = true;
        // One calm line; no retry until a reconnect or an interval change.
        const QString why = error.code == kNotFoundCode ? u"nvidia-smi was not found."_s
                                                          : error.message;
        setStatus(GpuHostStatus::NoDriver, noDriverMessage(alias(), why));
        return;
    }
    if (!m_connection || m_connection->state() != SshState::Connected
        || error.code == ErrorCode::ConnectionLost || error.code == ErrorCode::Closed) {
        setStatus(GpuHostStatus::Interrupted,
                  u"The connection to %1 was lost; GPU readings resume after it "
                  "reconnects."_s.arg(alias()));
        return;
    }
    setStatus(GpuHostStatus::Failed, error.message);
}

void RemoteGpuMonitor::setStatus(GpuHostStatus status, const QString &message)
{
    if (status == m_status && message == m_message)
        return;
    m_status = status;
    m_message = message;
    emit statusChanged(status, message);
}

} // namespace gpuwb
