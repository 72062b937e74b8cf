#include "core/telemetry/remotegpuchannel.h"

#include "core/util/logging.h"
#include "core/util/shellquote.h"

#include <libssh/callbacks.h>
#include <libssh/libssh.h>

#include <QDateTime>
#include <QRandomGenerator>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace P = NvidiaSmiParser;

namespace {

constexpr int kChunk = 32 * 1024;
constexpr qsizetype kErrorTail = 2048;

QString seconds(int ms)
{
    return QString::number(double(ms) / 1000.0, 'f', 3);
}

// The rows come from a query without free text, so nothing a co-tenant names its process can
// add or change a row (issue 10, item 13); names come from a second query, by pid.
QStringList appsFields()
{
    return {u"gpu_uuid"_s, u"pid"_s, u"used_gpu_memory"_s};
}

// Reads its nonce from the first input line, then prints each interval "@@apps NONCE", the
// compute-apps rows, per process "@@stat NONCE PID" and its /proc/PID/stat, "@@names NONCE"
// and the "pid, process_name" lines, then "@@end NONCE": the nonce (random per channel, never
// on a command line) keeps a process name or comm from ending a block. Only POSIX sh, tr,
// head and sleep; a write to the closed channel ends it (SIGPIPE, or the `|| exit` where
// SIGPIPE is ignored).
const char *const kAppsScript = R"sh(fields=$1; pause=$2; IFS= read -r tag || exit 0
while :; do
  out=$(nvidia-smi --query-compute-apps="$fields" --format=csv,noheader,nounits 2>&1)
  names=$(nvidia-smi --query-compute-apps=pid,process_name --format=csv,noheader,nounits 2>/dev/null)
  printf '@@apps %s\n%s\n' "$tag" "$out" || exit 0
  printf '%s\n' "$out" | while IFS=, read -r uuid pid rest; do
    pid=$(printf '%s' "$pid" | tr -d ' ')
    case $pid in ''|*[!0-9]*) continue ;; esac
    printf '@@stat %s %s\n' "$tag" "$pid" || exit 0
    head -c 4096 "/proc/$pid/stat" 2>/dev/null
    printf '\n' || exit 0
  done
  printf '@@names %s\n%s\n' "$tag" "$names" || exit 0
  printf '@@end %s\n' "$tag" || exit 0
  sleep "$pause" || exit 0
done)sh";

// Only notes that something came: the bytes stay in the channel's buffer (0 consumed) and
// are read by the next step.
int noteData(ssh_session, ssh_channel, void *, uint32_t, int, void *userdata)
{
    *static_cast<bool *>(userdata) = true;
    return 0;
}

void noteEvent(ssh_session, ssh_channel, void *userdata)
{
    *static_cast<bool *>(userdata) = true;
}

void noteExit(ssh_session, ssh_channel, int, void *userdata)
{
    *static_cast<bool *>(userdata) = true;
}

} // namespace

RemoteGpuChannel::RemoteGpuChannel(Setup setup)
    : m_callbacks(std::make_unique<ssh_channel_callbacks_struct>()), m_setup(std::move(setup)),
      m_stream(m_setup.fields, kMaxLineBytes),
      m_appsTag(QByteArray::number(QRandomGenerator::system()->generate64(), 36))
{
    *m_callbacks = {};
    m_callbacks->userdata = &m_news;
    m_callbacks->channel_data_function = noteData;
    m_callbacks->channel_eof_function = noteEvent;
    m_callbacks->channel_close_function = noteEvent;
    m_callbacks->channel_exit_status_function = noteExit;
    ssh_callbacks_init(m_callbacks.get());
}

RemoteGpuChannel::~RemoteGpuChannel()
{
    close(&m_gpu);
    close(&m_apps);
}

QString RemoteGpuChannel::queryGpuCommand(const QStringList &fields, int intervalMs)
{
    // exec: the channel's process is nvidia-smi itself, which dies on its next write once
    // the channel is closed; no shell stays behind.
    return u"exec "_s
        + shellJoin({u"nvidia-smi"_s, u"--query-gpu="_s + fields.join(u','),
                     u"--format=csv,noheader,nounits"_s, u"-lms"_s,
                     QString::number(intervalMs)});
}

QString RemoteGpuChannel::computeAppsCommand(int intervalMs)
{
    return shellJoin({u"sh"_s, u"-c"_s, QString::fromUtf8(kAppsScript), u"gpuwb-gpu-apps"_s,
                      appsFields().join(u','), seconds(intervalMs)});
}

bool RemoteGpuChannel::open(ssh_session session, Channel *channel, const QString &command)
{
    channel->channel = ssh_channel_new(session);
    if (!channel->channel)
        return false;
    if (ssh_channel_open_session(channel->channel) != SSH_OK
        || ssh_channel_request_exec(channel->channel,
                                    remoteShellLine(command.toUtf8()).constData()) != SSH_OK) {
        ssh_channel_free(channel->channel);
        channel->channel = nullptr;
        return false;
    }
    ssh_set_channel_callbacks(channel->channel, m_callbacks.get());
    return true;
}

void RemoteGpuChannel::close(Channel *channel)
{
    if (!channel->channel)
        return;
    ssh_remove_channel_callbacks(channel->channel, m_callbacks.get());
    if (ssh_channel_is_open(channel->channel)) {
        ssh_session session = ssh_channel_get_session(channel->channel);
        ssh_set_blocking(session, 0);
        ssh_channel_close(channel->channel);
        ssh_set_blocking(session, 1);
    }
    ssh_channel_free(channel->channel);
    channel->channel = nullptr;
}

SshStep RemoteGpuChannel::finish(const Error &error)
{
    if (!m_error)
        m_error = error;
    close(&m_gpu);
    close(&m_apps);
    return SshStep::Done;
}

Status RemoteGpuChannel::result() const
{
    if (m_error)
        return *m_error;
    return {};
}

bool RemoteGpuChannel::drain(Channel *channel, QByteArray *out, bool *progressed)
{
    if (!channel->channel || channel->eof)
        return true;
    char buffer[kChunk];
    for (int round = 0; round < 8; ++round) {
        const int n = ssh_channel_read_nonblocking(channel->channel, buffer, kChunk, 0);
        if (n == SSH_ERROR)
            return false;
        if (n <= 0)
            break;
        out->append(buffer, n);
        *progressed = true;
    }
    for (int round = 0; round < 8; ++round) {
        const int n = ssh_channel_read_nonblocking(channel->channel, buffer, kChunk, 1);
        if (n <= 0)
            break;
        channel->errorTail.append(buffer, n);
        if (channel->errorTail.size() > kErrorTail)
            channel->errorTail = channel->errorTail.right(kErrorTail);
        *progressed = true;
    }
    if (ssh_channel_is_eof(channel->channel) || ssh_channel_is_closed(channel->channel))
        channel->eof = true;
    return true;
}

SshStep RemoteGpuChannel::step(SshSessionContext &context, bool stop)
{
    if (stop || context.closing())
        return finish(Error{ErrorCode::Closed, u"The GPU readings were stopped."_s});
    ssh_session session = context.session();
    if (!m_opened) {
        m_opened = true;
        const QString gpuCommand = queryGpuCommand(m_setup.fields, m_setup.intervalMs);
        qCDebug(lcGpu) << "starting on" << m_setup.alias << gpuCommand;
        if (!open(session, &m_gpu, gpuCommand)
            || !open(session, &m_apps, computeAppsCommand(m_setup.intervalMs))
            // The tag goes on standard input, never on a command line that `ps` shows to
            // the host's other users.
            || ssh_channel_write(m_apps.channel, (m_appsTag + '\n').constData(),
                                 uint32_t(m_appsTag.size() + 1))
                   != m_appsTag.size() + 1) {
            const ErrorCode code = ssh_is_connected(session) ? ErrorCode::GpuSmiChannel
                                                           : ErrorCode::ConnectionLost;
            return finish(Error{code, u"Could not start nvidia-smi on %1: %2. Reconnect to try "
                                      "again."_s.arg(m_setup.alias,
                                                    QString::fromUtf8(ssh_get_error(session)))});
        }
    }
    // Data for our channels sets m_news (libssh's callbacks, whoever read the packet); between
    // samples the stream is idle and lets the connection's thread sleep.
    if (!m_news && ++m_quietSteps < kQuietStepsBetweenReads)
        return SshStep::Idle;
    m_news = false; // what comes while this step reads is news for the next
    m_quietSteps = 0;
    bool progressed = false;
    QByteArray gpuBytes;
    QByteArray appsBytes;
    const bool gpuOk = drain(&m_gpu, &gpuBytes, &progressed);
    const bool appsOk = drain(&m_apps, &appsBytes, &progressed);
    if (!appsBytes.isEmpty())
        onAppsBytes(appsBytes);
    if (!gpuBytes.isEmpty())
        onGpuBytes(gpuBytes);
    if (!gpuOk || !appsOk) {
        const ErrorCode code = ssh_is_connected(session) ? ErrorCode::GpuSmiChannel
                                                       : ErrorCode::ConnectionLost;
        return finish(Error{code, u"Reading nvidia-smi on %1 failed: %2"_s.arg(
                                      m_setup.alias, QString::fromUtf8(ssh_get_error(session)))});
    }
    if (std::optional<Error> fatal = m_stream.fatalError())
        return finish(*fatal);
    for (const Error &problem : m_stream.takeProblems())
        qCInfo(lcGpu) << m_setup.alias << problem.message;
    if (m_gpu.eof) {
        onGpuBytes("\n"); // the last row, if it had no newline
        m_stream.finish();
        if (std::optional<Error> fatal = m_stream.fatalError())
            return finish(*fatal);
        uint32_t code = 0;
        char *signal = nullptr;
        int core = 0;
        int exitCode = -1;
        if (ssh_channel_get_exit_state(m_gpu.channel, &code, &signal, &core) == SSH_OK)
            exitCode = signal ? 128 : int(code);
        ssh_string_free_char(signal);
        const QString why = QString::fromUtf8(m_gpu.errorTail).trimmed();
        if (exitCode == 127)
            return finish(Error{ErrorCode::GpuSmiNotFound, u"nvidia-smi was not found."_s});
        if (why.contains(u"couldn't communicate"_s) || why.contains(u"No devices were found"_s))
            return finish(Error{ErrorCode::GpuSmiFailed, why});
        return finish(Error{ErrorCode::GpuSmiExited,
                            u"nvidia-smi on %1 ended (exit status %2)%3. Reconnect or change the "
                            "interval to start it again."_s.arg(
                                m_setup.alias, QString::number(exitCode),
                                why.isEmpty() ? QString() : u": "_s + why.left(300))});
    }
    if (m_apps.eof)
        close(&m_apps); // the processes stay as last seen; the readings go on
    if (!ssh_is_connected(session))
        return SshStep::Wait; // the connection fails this request itself
    if (progressed)
        m_news = true; // there may be more than one step reads
    return progressed ? SshStep::Again : SshStep::Idle;
}

void RemoteGpuChannel::onGpuBytes(QByteArrayView bytes)
{
    for (GpuSnapshot snapshot : m_stream.feed(bytes)) {
        // The host's clock and time zone may differ: stamp with this machine's time of arrival.
        snapshot.timestampMs = QDateTime::currentMSecsSinceEpoch();
        P::attachProcesses(&snapshot, m_latestApps);
        if (m_setup.onSnapshot)
            m_setup.onSnapshot(snapshot);
    }
}

void RemoteGpuChannel::onAppsBytes(QByteArrayView bytes)
{
    while (!bytes.isEmpty()) {
        const qsizetype end = bytes.indexOf('\n');
        const QByteArrayView part = end < 0 ? bytes : bytes.first(end);
        if (!m_appsDiscarding) {
            if (m_appsLine.size() + part.size() > kMaxLineBytes) {
                m_appsLine.clear();
                m_appsDiscarding = true;
            } else {
                m_appsLine.append(part);
            }
        }
        if (end < 0)
            break;
        if (!m_appsDiscarding)
            onAppsLine(m_appsLine);
        m_appsLine.clear();
        m_appsDiscarding = false;
        bytes = bytes.sliced(end + 1);
    }
}

void RemoteGpuChannel::endStat()
{
    if (m_statPid > 0) {
        if (std::optional<P::ProcStat> stat = P::parseProcStat(m_statText);
            stat && stat->pid == m_statPid) {
            m_stats.insert(m_statPid, *stat);
        }
    }
    m_statPid = 0;
    m_statText.clear();
}

// "PID, NAME" from the name query. A name may hold a line break (nvidia-smi prints it as it
// is): a line that does not start with a pid continues the last name. A pid named twice
// (a name that forged a second line) gets no name at all.
void RemoteGpuChannel::takeNameLine(const QByteArray &line)
{
    const qsizetype comma = line.indexOf(", ");
    bool isPid = comma > 0;
    for (qsizetype i = 0; isPid && i < comma; ++i)
        isPid = line.at(i) >= '0' && line.at(i) <= '9';
    if (!isPid) {
        if (m_lastNamePid > 0 && m_names.contains(m_lastNamePid)
            && m_names[m_lastNamePid].size() < 1024)
            m_names[m_lastNamePid] += u' ' + QString::fromUtf8(line);
        return;
    }
    const qint64 pid = line.left(comma).toLongLong();
    m_lastNamePid = pid;
    if (m_names.contains(pid) || m_ambiguousNames.contains(pid)) {
        m_ambiguousNames.insert(pid);
        m_names.remove(pid);
        m_lastNamePid = 0;
        return;
    }
    if (m_names.size() < kMaxAppRows)
        m_names.insert(pid, QString::fromUtf8(line.mid(comma + 2)));
}

void RemoteGpuChannel::onAppsLine(const QByteArray &line)
{
    if (line == "@@apps " + m_appsTag) {
        m_inBlock = true;
        m_inNames = false;
        m_names.clear();
        m_ambiguousNames.clear();
        m_lastNamePid = 0;
        m_appRows.clear();
        m_appRowCount = 0;
        m_stats.clear();
        m_statPid = 0;
        m_statText.clear();
        return;
    }
    if (!m_inBlock)
        return;
    if (line == "@@names " + m_appsTag) {
        endStat();
        m_inNames = true;
        return;
    }
    if (m_inNames && line != "@@end " + m_appsTag) {
        takeNameLine(line);
        return;
    }
    const QByteArray statMarker = "@@stat " + m_appsTag + ' ';
    if (line.startsWith(statMarker)) {
        endStat();
        bool ok = false;
        m_statPid = line.mid(statMarker.size()).trimmed().toLongLong(&ok);
        if (!ok)
            m_statPid = 0;
        return;
    }
    if (line == "@@end " + m_appsTag) {
        endStat();
        m_inBlock = false;
        m_inNames = false;
        Result<QList<P::ComputeApp>> apps = P::parseComputeApps(m_appRows, appsFields());
        if (!apps) {
            // No processes prints nothing, which the parser calls empty output.
            m_latestApps.clear();
            return;
        }
        QList<P::ComputeApp> list = std::move(apps.value());
        for (P::ComputeApp &app : list) {
            const auto it = m_stats.constFind(app.process.pid);
            if (it != m_stats.constEnd()) {
                app.process.processGroup = it->processGroup;
                app.process.session = it->session;
            }
            if (!m_ambiguousNames.contains(app.process.pid))
                app.process.name = m_names.value(app.process.pid);
        }
        m_latestApps = std::move(list);
        return;
    }
    if (m_statPid > 0) {
        // A comm may hold a newline: the stat text runs until the next marker.
        if (m_statText.size() < 8192)
            m_statText += (m_statText.isEmpty() ? QByteArray() : QByteArray("\n")) + line;
        return;
    }
    if (m_appRowCount < kMaxAppRows && !line.trimmed().isEmpty()) {
        m_appRows += line + '\n';
        ++m_appRowCount;
    }
}

} // namespace gpuwb
