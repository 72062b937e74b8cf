#include "core/remote/remotejob.h"

#include "core/jobs/jobmanager.h"
#include "core/remote/remotejobreader.h"
#include "core/remote/remotetarget.h"
#include "core/ssh/sshconnections.h"
#include "core/remote/remotejobscript.h"
#include "core/remote/remotelaunch.h"
#include "core/ssh/sftpops.h"
#include "core/ssh/sshconnection.h"
#include "core/sync/projectsync.h"
#include "core/util/check.h"
#include "core/util/logging.h"

#include <QDir>
#include <QFileInfo>
#include <QLocale>
#include <QMetaMethod>
#include <QTimer>

#include <csignal>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

constexpr int StopGraceMs = 3000;
constexpr int MaxRetryMs = 10'000;
constexpr int PidPollMs = 200;
constexpr int MaxPidTries = 50;

QString signalName(int sig)
{
    switch (sig) {
    case SIGHUP: return u"SIGHUP"_s;
    case SIGINT: return u"SIGINT"_s;
    case SIGQUIT: return u"SIGQUIT"_s;
    case SIGABRT: return u"SIGABRT"_s;
    case SIGKILL: return u"SIGKILL"_s;
    case SIGSEGV: return u"SIGSEGV"_s;
    case SIGPIPE: return u"SIGPIPE"_s;
    case SIGTERM: return u"SIGTERM"_s;
    case SIGUSR1: return u"SIGUSR1"_s;
    case SIGUSR2: return u"SIGUSR2"_s;
    default: return u"signal %1"_s.arg(sig);
    }
}

QString hostOf(const JobSpec &spec)
{
    return spec.targetId.startsWith(u"ssh:"_s) ? spec.targetId.mid(4) : spec.targetId;
}

// RemoteTarget's jobs re-attach as RemoteJobs; registered wherever this file is linked,
// which is wherever a RemoteTarget can be made (RemoteTarget::createJob needs it).
const bool s_reattacherRegistered = [] {
    JobManager::registerReattacher([](Target *target, const JobRecord &record,
                                      QObject *parent) -> Job * {
        auto *remote = qobject_cast<RemoteTarget *>(target);
        if (!remote || !remote->connections())
            return nullptr;
        return RemoteJob::attach(remote->connections()->connection(remote->alias()), record,
                                 parent);
    });
    return true;
}();

// "3.0 GB", "210 MB": the units people read in a warning.
QString sizeText(qint64 bytes)
{
    return QLocale::c().formattedDataSize(bytes, 1, QLocale::DataSizeTraditionalFormat);
}

// The large-folder threshold, lowered by GPUWB_SYNC_LARGE_FOLDER_BYTES (tests use it).
SyncOptions syncOptions()
{
    SyncOptions options;
    bool ok = false;
    const qint64 bytes = qEnvironmentVariable("GPUWB_SYNC_LARGE_FOLDER_BYTES").toLongLong(&ok);
    if (ok && bytes > 0)
        options.largeFolderBytes = bytes;
    return options;
}

} // namespace

RemoteJob::RemoteJob(SshConnection *connection, QString id, JobSpec spec, QString logPath,
                     QObject *parent)
    : Job(std::move(id), std::move(spec), std::move(logPath), parent)
    , m_connection(connection)
    , m_tail(std::make_shared<RemoteJobTail>())
{
    m_killTimer = new QTimer(this);
    m_killTimer->setSingleShot(true);
    connect(m_killTimer, &QTimer::timeout, this, [this] { sendSignal(true); });
}

RemoteJob::~RemoteJob()
{
    // The job itself keeps running on the host: only following it ends here.
    m_tail->cancel = true;
}

QString RemoteJob::remoteJobDir(const QString &jobId)
{
    return u".gpuwb/jobs/"_s + jobId;
}

QString RemoteJob::where() const
{
    return m_connection ? m_connection->alias() : hostOf(spec());
}

RemoteJob *RemoteJob::attach(SshConnection *connection, const JobRecord &record, QObject *parent)
{
    auto *job = new RemoteJob(connection, record.id, record.spec, record.logPath, parent);
    job->m_startCalled = true;
    job->m_startedAt = record.started;
    if (isFinal(record.state)) {
        JobResult result;
        result.state = record.state;
        result.exitCode = record.exitCode;
        result.message = record.message;
        result.started = record.started;
        result.finished = record.finished;
        result.logPath = record.logPath;
        QTimer::singleShot(0, job, [job, result] { job->finish(result); });
        return job;
    }
    job->m_launched = true;
    job->m_stopRequested = record.state == JobState::Stopping;
    job->setState(job->m_stopRequested ? JobState::Stopping : JobState::Running);
    QTimer::singleShot(0, job, [job] {
        if (!job->m_connection) {
            job->failToStart(u"There is no connection to %1 to follow this job. Add the host "
                             "again."_s.arg(job->where()));
            return;
        }
        job->resolvePaths([job] {
            job->m_tail->truncateLocalLog = false;
            job->startReader();
            job->readProcessGroup();
            if (job->m_stopRequested)
                job->m_killTimer->start(StopGraceMs);
        });
    });
    return job;
}

void RemoteJob::start()
{
    GPUWB_CHECK(!m_startCalled, return);
    m_startCalled = true;
    m_startedAt = QDateTime::currentDateTimeUtc();
    systemLine(u"$ "_s + spec().command);
    if (!m_connection) {
        failToStart(u"There is no connection to %1. Add the host in the hosts list (or to "
                    "~/.ssh/config) and run again."_s.arg(where()));
        return;
    }
    if (spec().command.trimmed().isEmpty()) {
        failToStart(u"There is no command to run. Set command in the run configuration "
                    "(gpuwb.toml), e.g. command = \"./run.sh\"."_s);
        return;
    }
    resolvePaths([this] {
        const QString project = RemoteJobScript::projectFolder(spec(), m_paths.home);
        if (project.isEmpty()) {
            launch();
            return;
        }
        systemLine(u"syncing %1 to %2:%3"_s.arg(spec().projectDirectory, where(), project));
        m_sync = new ProjectSync(m_connection, spec().projectDirectory,
                                 Location::remote(m_connection->alias(), project), syncOptions(),
                                 this);
        connect(m_sync, &ProjectSync::progressed, this, [this](const SyncProgress &p) {
            emit syncProgress(p.bytesDone, p.bytesTotal);
        });
        connect(m_sync, &ProjectSync::finished, this, [this](const Status &status) {
            m_sync->deleteLater();
            m_sync = nullptr;
            if (m_done)
                return;
            if (m_stopRequested) {
                JobResult r;
                r.state = JobState::Stopped;
                r.message = u"stopped before it started"_s;
                finish(r);
            } else if (!status) {
                failToStart(u"Syncing the project to %1 failed: %2"_s.arg(where(),
                                                                          status.errorMessage()));
            } else {
                launch();
            }
        });
        // Plan first: a first sync of large folders waits for a yes (onPlanned).
        connect(m_sync, &ProjectSync::planned, this, &RemoteJob::onPlanned);
        m_sync->plan();
    });
}

void RemoteJob::onPlanned(const Result<SyncPlan> &plan)
{
    if (m_done || !m_sync)
        return;
    if (m_stopRequested) {
        dropSync();
        JobResult r;
        r.state = JobState::Stopped;
        r.message = u"stopped before it started"_s;
        finish(r);
        return;
    }
    if (!plan) {
        dropSync();
        failToStart(u"Syncing the project to %1 failed: %2"_s.arg(where(), plan.errorMessage()));
        return;
    }
    if (plan->firstSync && !plan->largeFolders.isEmpty()) {
        if (isSignalConnected(QMetaMethod::fromSignal(&RemoteJob::syncConfirmationNeeded))) {
            m_planToConfirm = *plan;
            systemLine(u"first sync: waiting for a confirmation to send large folders (%1)"_s
                           .arg(largeFoldersText(*plan)));
            emit syncConfirmationNeeded(*plan);
            return;
        }
        // Nobody to ask (the CLI): go on, but say what is being sent and how to skip it.
        OutputBatch batch;
        OutputLine line;
        line.stream = OutputStream::Stderr;
        line.text = u"gpuwb: warning: the first sync to %1 sends %2 files, %3; large folders: "
                    "%4. Add them to .gpuwbignore in the project folder to skip them."_s
                        .arg(where(), QString::number(plan->uploads.size()),
                             sizeText(plan->bytesToSend), largeFoldersText(*plan));
        batch.lines.append(line);
        batch.pending = m_pending;
        emit output(batch);
    }
    m_sync->run(*plan);
}

void RemoteJob::confirmSync(bool proceed)
{
    if (!m_planToConfirm || m_done || !m_sync)
        return;
    const SyncPlan plan = std::move(*m_planToConfirm);
    m_planToConfirm.reset();
    if (proceed) {
        systemLine(u"sending the large folders as confirmed"_s);
        m_sync->run(plan);
        return;
    }
    dropSync();
    QStringList lines;
    for (const SyncPlan::LargeFolder &folder : plan.largeFolders)
        lines.append(folder.path + u'/');
    failToStart(u"Not synced: the first sync to %1 would send %2 (large folders: %3). Add "
                "them to .gpuwbignore in the project folder, one per line (%4), and run "
                "again."_s.arg(where(), sizeText(plan.bytesToSend),
                               largeFoldersText(plan), lines.join(u", "_s)));
}

QString RemoteJob::largeFoldersText(const SyncPlan &plan)
{
    QStringList parts;
    for (const SyncPlan::LargeFolder &folder : plan.largeFolders)
        parts.append(u"%1/ (%2)"_s.arg(folder.path, sizeText(folder.bytes)));
    return parts.join(u", "_s);
}

void RemoteJob::dropSync()
{
    if (!m_sync)
        return;
    m_sync->disconnect(this);
    m_sync->deleteLater();
    m_sync = nullptr;
}

void RemoteJob::resolvePaths(std::function<void()> then)
{
    const QString host = m_connection->alias();
    m_connection->call<QString>(
        this,
        [host](SshSessionContext &ctx) -> Result<QString> {
            Result<SftpOps::Sftp> sftp = RemoteLaunch::sftpOf(ctx);
            if (!sftp)
                return sftp.error();
            return SftpOps::homeDirectory(*sftp, host);
        },
        [this, then](Result<QString> home) mutable {
            if (m_done)
                return;
            if (!home) {
                if (!m_launched) {
                    failToStart(u"Could not reach %1: %2"_s.arg(where(), home.errorMessage()));
                    return;
                }
                retryLater([this, then] { resolvePaths(then); });
                return;
            }
            m_paths.home = *home;
            m_paths.jobDir = QDir::cleanPath(*home + u'/' + remoteJobDir(id()));
            m_paths.workDir = RemoteJobScript::workingFolder(spec(), *home);
            RemoteJobTail &t = *m_tail;
            t.host = m_connection->alias();
            t.remoteLog = m_paths.jobDir + u"/log"_s;
            t.remoteStatus = m_paths.jobDir + u"/status"_s;
            t.workDir = m_paths.workDir;
            t.jobDir = m_paths.jobDir;
            t.artifactGlobs = spec().artifacts;
            t.localLog = logPath();
            m_retryMs = 0;
            then();
        });
}

void RemoteJob::launch()
{
    if (m_stopRequested) {
        JobResult r;
        r.state = JobState::Stopped;
        r.message = u"stopped before it started"_s;
        finish(r);
        return;
    }
    auto script = RemoteJobScript::wrapperScript(spec(), m_paths.jobDir, m_paths.workDir);
    if (!script) {
        failToStart(script.errorMessage());
        return;
    }
    // The local log folder is made here, before the first byte arrives.
    QDir().mkpath(QFileInfo(logPath()).absolutePath());
    RemoteLaunch::Launch l{m_connection->alias(), m_paths.jobDir, m_paths.workDir, *script};
    m_connection->call<bool>(
        this,
        [l](SshSessionContext &ctx) -> Result<bool> {
            if (Status s = RemoteLaunch::launch(ctx, l); !s)
                return s.error();
            return true;
        },
        [this](Result<bool> launched) {
            if (m_done)
                return;
            if (!launched) {
                failToStart(u"Could not start the job on %1: %2"_s.arg(where(),
                                                                       launched.errorMessage()));
                return;
            }
            qCDebug(lcJobs) << "launched remote job" << id() << "in" << m_paths.jobDir;
            m_launched = true;
            m_tail->truncateLocalLog = true;
            setState(JobState::Running);
            startReader();
            readProcessGroup();
            if (m_stopRequested) {
                m_stopRequested = false;
                stop();
            }
        });
}

void RemoteJob::startReader()
{
    if (m_done || !m_connection)
        return;
    RemoteJobReader::start(
        m_connection, this, m_tail,
        [this](const OutputBatch &batch) {
            if (m_done)
                return;
            if (m_outage && batch.bytes > 0) {
                m_outage = false;
                m_retryMs = 0;
            }
            m_pending = batch.pending;
            emit output(batch);
        },
        [this](Result<RemoteJobEnd> end) { onReaderEnd(end); });
}

void RemoteJob::readProcessGroup()
{
    if (m_done || !m_connection || m_readingGroup || processGroup() > 0)
        return;
    m_readingGroup = true;
    const QString host = m_connection->alias();
    const QString pidFile = m_paths.jobDir + u"/pid"_s;
    m_connection->call<qint64>(
        this,
        [host, pidFile](SshSessionContext &ctx) -> Result<qint64> {
            Result<SftpOps::Sftp> sftp = RemoteLaunch::sftpOf(ctx);
            if (!sftp)
                return sftp.error();
            auto text = SftpOps::readFile(*sftp, Location::remote(host, pidFile), 64);
            if (!text)
                return text.error();
            return RemoteJobScript::parsePid(*text);
        },
        [this](Result<qint64> group) {
            m_readingGroup = false;
            if (m_done)
                return;
            if (group && *group > 0) {
                setProcessGroup(*group);
                return;
            }
            // The wrapper writes `pid` first thing; until then (or while the connection is
            // down) ask again a little later. A job that ends first never needs it.
            if (++m_groupTries < MaxPidTries)
                QTimer::singleShot(PidPollMs, this, [this] { readProcessGroup(); });
        });
}

void RemoteJob::onReaderEnd(const Result<RemoteJobEnd> &end)
{
    if (m_done)
        return;
    if (end && !end->lostReason.isEmpty()) {
        JobResult r;
        r.state = end->neverStarted ? JobState::FailedToStart : JobState::Lost;
        r.message = end->lostReason;
        systemLine(r.message);
        finish(r);
        return;
    }
    if (end) {
        finishFromStatus(*end);
        return;
    }
    const Error &e = end.error();
    if (e.code == ErrorCode::Cancelled)
        return;
    // Errors about the files themselves (a missing or unreadable log, a failing disk) are
    // not retried; a lost, closed or refused connection or a timeout is, while the job lives
    // on the host.
    if (!isRetryable(e.code)) {
        JobResult r;
        r.state = JobState::Failed;
        r.message = u"Could not follow the job's output: %1 The job may still be running on %2 "
                    "(in ~/%3)."_s.arg(e.message, where(), remoteJobDir(id()));
        systemLine(r.message);
        finish(r);
        return;
    }
    if (!m_outage) {
        m_outage = true;
        systemLine(u"lost the connection to %1; reconnecting (the job keeps running there)"_s
                       .arg(where()));
    }
    retryLater([this] { startReader(); });
}

void RemoteJob::retryLater(std::function<void()> what)
{
    m_retryMs = m_retryMs == 0 ? 300 : std::min(m_retryMs * 2, MaxRetryMs);
    QTimer::singleShot(m_retryMs, this, [this, what = std::move(what)] {
        if (!m_done)
            what();
    });
}

void RemoteJob::stop()
{
    if (!m_startCalled || m_done || state() == JobState::Stopping)
        return;
    if (!m_launched) {
        // Syncing or launching: it stops (or never starts) when that step ends.
        m_stopRequested = true;
        if (m_planToConfirm) {
            // Waiting for a yes: nothing runs, so the stop ends it now.
            m_planToConfirm.reset();
            dropSync();
            JobResult r;
            r.state = JobState::Stopped;
            r.message = u"stopped before it started"_s;
            finish(r);
            return;
        }
        if (m_sync)
            m_sync->cancel();
        return;
    }
    m_stopRequested = true;
    setState(JobState::Stopping);
    systemLine(u"stopping: sent SIGTERM to the job's process group"_s);
    m_pidTries = 0;
    sendSignal(false);
    m_killTimer->start(StopGraceMs);
}

void RemoteJob::sendSignal(bool kill)
{
    if (m_done || !m_connection)
        return;
    if (kill && !m_killSent) {
        m_killSent = true;
        systemLine(u"still running %1 s after SIGTERM: sent SIGKILL"_s.arg(StopGraceMs / 1000));
    }
    const QString host = m_connection->alias();
    const QString jobDir = m_paths.jobDir;
    m_connection->call<bool>(
        this,
        [host, jobDir, kill](SshSessionContext &ctx) -> Result<bool> {
            if (Status s = RemoteLaunch::signalJob(ctx, host, jobDir, kill); !s)
                return s.error();
            return true;
        },
        [this, kill](Result<bool> sent) {
            if (m_done)
                return;
            if (sent) {
                if (kill && m_endAfterKill) {
                    const RemoteJobEnd end = *m_endAfterKill;
                    m_endAfterKill.reset();
                    finishFromStatus(end);
                }
                return;
            }
            if (sent.error().code == ErrorCode::NoPid && ++m_pidTries < MaxPidTries) {
                QTimer::singleShot(PidPollMs, this, [this, kill] { sendSignal(kill); });
                return;
            }
            if (sent.error().code == ErrorCode::NoPid)
                return; // never started running: the reader ends it when `status` comes
            retryLater([this, kill] { sendSignal(kill); });
        });
}

void RemoteJob::systemLine(const QString &text)
{
    OutputBatch batch;
    OutputLine line;
    line.text = text;
    line.stream = OutputStream::System;
    batch.lines.append(line);
    batch.pending = m_pending;
    emit output(batch);
}

void RemoteJob::failToStart(const QString &message)
{
    qCDebug(lcJobs) << "remote job" << id() << "failed to start:" << message;
    systemLine(message);
    JobResult r;
    r.state = JobState::FailedToStart;
    r.message = message;
    finish(r);
}

void RemoteJob::finishFromStatus(const RemoteJobEnd &end)
{
    if (m_stopRequested && !m_killSent) {
        // The job's shell obeyed SIGTERM, but members of its group may not have: the stop
        // ends only when the group is gone, with SIGKILL for what is left after the grace.
        m_endAfterKill = std::make_shared<RemoteJobEnd>(end);
        if (!m_killTimer->isActive())
            sendSignal(true);
        return;
    }
    JobResult r;
    r.exitCode = end.status.signal > 0 ? -1 : end.status.exitCode;
    r.signal = end.status.signal;
    r.outputBytes = end.bytesRead;
    if (m_stopRequested)
        r.state = JobState::Stopped;
    else if (r.signal == 0 && r.exitCode == 0)
        r.state = JobState::Succeeded;
    else
        r.state = JobState::Failed;
    const QString on = u" on %1"_s.arg(where());
    if (r.state == JobState::Stopped)
        r.message = m_killSent ? u"stopped%1 (killed with SIGKILL: it did not end within %2 s of "
                                 "SIGTERM)"_s.arg(on).arg(StopGraceMs / 1000)
                               : u"stopped%1"_s.arg(on);
    else if (r.signal > 0)
        r.message = u"killed by %1%2"_s.arg(signalName(r.signal), on);
    else
        r.message = u"exited with code %1%2"_s.arg(r.exitCode).arg(on);
    systemLine(r.message);
    m_artifacts = end.artifacts;
    emit artifactsListed(m_artifacts);
    finish(r);
}

void RemoteJob::finish(JobResult result)
{
    if (m_done)
        return;
    m_done = true;
    m_tail->cancel = true;
    m_killTimer->stop();
    if (!result.started.isValid())
        result.started = m_startedAt;
    if (!result.finished.isValid())
        result.finished = QDateTime::currentDateTimeUtc();
    if (result.logPath.isEmpty())
        result.logPath = logPath();
    setState(result.state);
    emit finished(result);
}

} // namespace gpuwb
