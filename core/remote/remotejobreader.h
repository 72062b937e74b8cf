#pragma once

#include "core/fs/location.h"
#include "core/jobs/outputevent.h"
#include "core/jobs/terminalparser.h"
#include "core/remote/remotejobscript.h"
#include "core/util/result.h"

#include <QFile>
#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>

#include <atomic>
#include <functional>
#include <memory>

namespace gpuwb {

class SshConnection;

// The output side of one remote job, shared by the RemoteJob (UI thread) and the reader
// requests that run one after another on the connection's owner thread. The job fills the
// first block before starting a reader and touches the rest only while no reader runs;
// a reader hands over (queued to the job) before it ends, which orders the two.
struct RemoteJobTail
{
    QString host;
    QString remoteLog;    // absolute remote paths
    QString remoteStatus;
    QString workDir;
    QString jobDir;       // the job's folder, for the liveness check
    QStringList artifactGlobs;
    QString localLog;
    bool truncateLocalLog = false; // a new job; otherwise resume at the local log's size

    std::atomic<bool> cancel = false;
    std::atomic<bool> batchInFlight = false;

    // Owner thread only, while a reader runs; kept across readers so that a reconnect
    // resumes where the last one stopped.
    bool localOpened = false;
    QFile local;
    bool localFailed = false;
    qint64 offset = 0;
    TerminalParser parser{OutputStream::Stdout};
    QList<OutputLine> lines;
    qint64 batchBytes = 0;
    qint64 bytesRead = 0;
};

struct RemoteJobEnd
{
    // Set when the job ended without a status: its folder vanished, its processes are gone,
    // the host rebooted (lost), or the wrapper never wrote its pid (neverStarted).
    QString lostReason;
    bool neverStarted = false;
    RemoteJobScript::Status status;
    QList<Location> artifacts;
    qint64 bytesRead = 0;
};

// Reads a remote job's `log` by byte offset through one SFTP handle kept open while the
// connection lasts: fast while output flows (~100 ms), backing off to 1 s when idle. Bytes go
// to the local log as read and, parsed into lines (split only at line ends), to `onBatch`
// at most every ~50 ms, never dropping lines: while a batch waits on the job's thread and
// many lines are queued, reading pauses (the remote log keeps everything). When `status`
// appears it reads the log to its end, lists the artifacts and calls `onEnd`; a lost
// connection ends the reader with that Error (the caller starts another one, which resumes
// at the same offset). While nothing comes, a liveness check (one exec, every 5 s backing off
// to 60 s) tells a job that still runs apart from one whose folder vanished, whose processes
// died without a status (OOM kill, full disk), whose host rebooted, or whose wrapper never
// wrote its pid within 30 s: those end the reader with RemoteJobEnd::lostReason. Callbacks run
// on context's thread.
class RemoteJobReader
{
public:
    static constexpr int MaxBatchLines = 20000;

    static void start(SshConnection *connection, QObject *context,
                      std::shared_ptr<RemoteJobTail> tail,
                      std::function<void(const OutputBatch &)> onBatch,
                      std::function<void(Result<RemoteJobEnd>)> onEnd);
};

} // namespace gpuwb
