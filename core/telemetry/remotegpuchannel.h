#pragma once

#include "core/gpu/nvidiasmiparser.h"
#include "core/ssh/sshconnection.h"

#include <QHash>
#include <QSet>
#include <QStringList>

#include <functional>
#include <memory>

struct ssh_channel_struct;
struct ssh_channel_callbacks_struct;

namespace gpuwb {

// The owner-thread side of a RemoteGpuMonitor's stream: two exec channels, one running
// `exec nvidia-smi --query-gpu=... -lms N` and one a sh loop printing the compute apps and
// their /proc/PID/stat each interval, pumped without blocking in SshConnection::run() steps.
// Snapshots (with the latest processes attached) go to onSnapshot from the owner thread.
// Lives and dies on the connection's owner thread; closing it closes both channels, and the
// remote commands die on their next write to the closed channel.
class RemoteGpuChannel
{
public:
    struct Setup
    {
        QString alias;
        QStringList fields;
        int intervalMs = 1000;
        std::function<void(const GpuSnapshot &)> onSnapshot; // owner thread
    };

    static constexpr qsizetype kMaxLineBytes = 16 * 1024;
    static constexpr int kMaxAppRows = 4096;

    explicit RemoteGpuChannel(Setup setup);
    ~RemoteGpuChannel();

    SshStep step(SshSessionContext &context, bool stop);
    Status result() const;

    // The remote command lines (for tests and logs).
    static QString queryGpuCommand(const QStringList &fields, int intervalMs);
    // The loop reads its block tag (letters and digits) from the first line of its input.
    static QString computeAppsCommand(int intervalMs);

private:
    struct Channel
    {
        ssh_channel_struct *channel = nullptr;
        bool eof = false;
        QByteArray errorTail; // last bytes of its stderr
    };

    bool open(ssh_session_struct *session, Channel *channel, const QString &command);
    // Reads what is there; false on a channel error.
    bool drain(Channel *channel, QByteArray *out, bool *progressed);
    void close(Channel *channel);
    SshStep finish(const Error &error);
    void onGpuBytes(QByteArrayView bytes);
    void onAppsBytes(QByteArrayView bytes);
    void onAppsLine(const QByteArray &line);
    void takeNameLine(const QByteArray &line);
    void endStat();

    // libssh tells (on the owner thread, while it reads packets for any request) that data,
    // an EOF or a close came for our channels; a step without that news reads nothing. The
    // connection calls a waiting step every ~50 ms: reading 4 empty buffers each time was most
    // of a stream's CPU (./bench telemetry).
    static constexpr int kQuietStepsBetweenReads = 3; // a read anyway every few idle steps
    std::unique_ptr<ssh_channel_callbacks_struct> m_callbacks;
    bool m_news = true;
    int m_quietSteps = 0;

    Setup m_setup;
    Channel m_gpu;
    Channel m_apps;
    bool m_opened = false;
    std::optional<Error> m_error;
    NvidiaSmiParser::QueryGpuStream m_stream;

    // The compute-apps block being read and the latest complete one.
    QByteArray m_appsTag; // random per channel: the block markers' nonce, sent on stdin
    QByteArray m_appsLine;
    bool m_appsDiscarding = false;
    bool m_inBlock = false;
    QByteArray m_appRows;
    int m_appRowCount = 0;
    qint64 m_statPid = 0;
    QByteArray m_statText;
    QHash<qint64, NvidiaSmiParser::ProcStat> m_stats;
    bool m_inNames = false;
    QHash<qint64, QString> m_names; // pid -> process name, from the name query
    QSet<qint64> m_ambiguousNames;
    qint64 m_lastNamePid = 0;
    QList<NvidiaSmiParser::ComputeApp> m_latestApps;
};

} // namespace gpuwb
