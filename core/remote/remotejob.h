#pragma once

#include "core/fs/location.h"
#include "core/jobs/job.h"
#include "core/jobs/jobhistory.h"
#include "core/sync/syncplan.h"

#include <QDateTime>
#include <QPointer>
#include <QStringList>

#include <functional>
#include <memory>
#include <optional>

class QTimer;

namespace gpuwb {

class ProjectSync;
class SshConnection;
struct RemoteJobEnd;
struct RemoteJobTail;

// A job on an SSH host that outlives the connection, the app and the laptop's sleep.
//
// On the remote, each job has a folder ~/.gpuwb/jobs/<job id>/ holding:
//   run.sh   the wrapper we write (over SFTP): cd to the working folder, export the
//            environment, run the setup line, then the command, all output to `log`;
//   log      stdout and stderr, appended as the job writes;
//   pid      the process group id of the job (the wrapper is a group leader);
//   status   written atomically when the job ends: "exit N" or "signal N".
// The wrapper is started detached (its own session/process group, stdin from /dev/null, no
// output on the channel) with nohup, so closing the SSH connection never touches it. Only sshd,
// a POSIX shell and coreutils are assumed on the remote.
//
// Output is read from `log` by byte offset and appended to logPath() locally; after a lost
// connection the job reconnects and resumes at the offset it has, so no byte is lost or
// repeated. stop() sends TERM to the process group, then KILL after a grace period. A job
// found running in the history when the app starts is re-attached with attach(): it resumes
// reading at the size of the local log. Lives on the UI thread.
//
// Before a first sync that would send a large top-level folder (.git, checkpoints/, data sets)
// the job asks first: it emits syncConfirmationNeeded() and waits, still Pending, for
// confirmSync(). With nothing connected to that signal (the CLI) it syncs anyway and says so in
// a stderr line. The threshold is SyncOptions::largeFolderBytes, or the environment variable
// GPUWB_SYNC_LARGE_FOLDER_BYTES (bytes) when set, e.g. for tests.
class RemoteJob : public Job
{
    Q_OBJECT
public:
    RemoteJob(SshConnection *connection, QString id, JobSpec spec, QString logPath,
              QObject *parent = nullptr);
    ~RemoteJob() override;

    // Re-attaches to a job an earlier session started (its record from the history); emits
    // the output that the local log does not have yet, then goes on like a started job, or
    // finishes at once with the recorded final status when the job ended meanwhile.
    static RemoteJob *attach(SshConnection *connection, const JobRecord &record,
                             QObject *parent = nullptr);

    // The remote folder of a job, relative to the remote home: ".gpuwb/jobs/<id>".
    static QString remoteJobDir(const QString &jobId);

    void start() override; // sync (when spec.projectDirectory is set), then launch
    void stop() override;

    // Files matching the spec's artifact globs, listed when the job ends (below the working
    // folder); empty before that.
    QList<Location> artifacts() const { return m_artifacts; }

    // The answer to syncConfirmationNeeded(): sync and run, or end FailedToStart with a message
    // naming what to add to .gpuwbignore. Ignored when no confirmation is awaited.
    void confirmSync(bool proceed);
    // "checkpoints/ (3.0 GB), .git/ (210 MB)": the plan's large folders, for messages.
    static QString largeFoldersText(const SyncPlan &plan);

signals:
    // Sync progress before launch (bytes), for the job panel.
    void syncProgress(qint64 bytesDone, qint64 bytesTotal);
    void artifactsListed(const QList<gpuwb::Location> &artifacts);
    // A first sync would send large folders: answer with confirmSync() (later is fine).
    void syncConfirmationNeeded(const gpuwb::SyncPlan &plan);

private:
    struct Paths
    {
        QString home, jobDir, workDir;
    };
    void resolvePaths(std::function<void()> then);
    void launch();
    void onPlanned(const Result<SyncPlan> &plan);
    void dropSync();
    void startReader();
    // Reads the process group from the job's `pid` file into Job::processGroup().
    void readProcessGroup();
    void onReaderEnd(const Result<RemoteJobEnd> &end);
    void retryLater(std::function<void()> what);
    void sendSignal(bool kill);
    void systemLine(const QString &text);
    void failToStart(const QString &message);
    void finishFromStatus(const RemoteJobEnd &end);
    void finish(JobResult result);
    QString where() const;

    QPointer<SshConnection> m_connection;
    QList<Location> m_artifacts;
    std::shared_ptr<RemoteJobTail> m_tail;
    Paths m_paths;
    ProjectSync *m_sync = nullptr;
    QTimer *m_killTimer = nullptr;
    QDateTime m_startedAt;
    std::optional<SyncPlan> m_planToConfirm; // a plan waiting for confirmSync()
    QList<OutputLine> m_pending; // the last unfinished line the reader reported
    // A stopped job's end, held until what is left of its process group has been killed.
    std::shared_ptr<RemoteJobEnd> m_endAfterKill;
    int m_retryMs = 0;
    int m_pidTries = 0;
    int m_groupTries = 0;
    bool m_readingGroup = false;
    bool m_startCalled = false;
    bool m_launched = false;
    bool m_stopRequested = false;
    bool m_killSent = false;
    bool m_outage = false;
    bool m_done = false;
};

} // namespace gpuwb
