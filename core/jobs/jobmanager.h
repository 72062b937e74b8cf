#pragma once

#include "core/jobs/job.h"
#include "core/util/result.h"

#include <QList>
#include <QObject>

#include <functional>

namespace gpuwb {

class JobHistory;
struct JobRecord;
class Target;

// Starts jobs on targets and keeps this session's jobs. Owns the targets (as QObject
// children) and the jobs it started; records every job in the history (which it does not
// own) when it starts and again when it ends. Remote jobs outlive it: destroying the manager
// stops following them and leaves them Running in the history. Lives on the UI thread.
class JobManager : public QObject
{
    Q_OBJECT
public:
    // `history` may be null: jobs then run unrecorded.
    JobManager(JobHistory *history, QString logDirectory, QObject *parent = nullptr);
    ~JobManager() override;

    void addTarget(Target *target);
    Target *target(const QString &id) const;
    QList<Target *> targets() const;

    // A new job with a time-sortable id and its log at <logDirectory>/<id>.log, recorded in
    // the history and started. An unknown target is an Error; failing to start is not: the
    // job then ends with a FailedToStart result.
    Result<Job *> start(const JobSpec &spec);

    // Re-attaches to the remote jobs an earlier session (or another gpuwb process) left
    // Running or Stopping in the history, on targets registered here: each becomes a
    // RemoteJob::attach over its target's connection, adopted like a started job (jobStarted,
    // recorded when it ends). Jobs on unregistered targets stay as they are. Returns the jobs.
    QList<Job *> reattach();
    // The same for one job of the history; an Error when it is unknown, local, or its target
    // is not registered. A job that already ended is adopted and finishes at once.
    Result<Job *> reattach(const QString &jobId);

    // How jobs of one kind of target are re-attached: a job for `record` on `target`, or null
    // when the target is not of that kind. Each target area registers one at static
    // initialisation (remote/ does for RemoteTarget), so that jobs/ does not depend on it.
    using Reattacher = std::function<Job *(Target *target, const JobRecord &record,
                                           QObject *parent)>;
    static void registerReattacher(Reattacher reattacher);

    QList<Job *> jobs() const { return m_jobs; }
    Job *job(const QString &id) const;
    JobHistory *history() const { return m_history; }
    QString logDirectory() const { return m_logDirectory; }

signals:
    void jobStarted(gpuwb::Job *job);
    void jobFinished(gpuwb::Job *job, const gpuwb::JobResult &result);

private:
    QString newJobId();
    void record(Job *job, const JobResult *result);
    void adopt(Job *job);

    JobHistory *m_history;
    QString m_logDirectory;
    QList<Target *> m_targets;
    QList<Job *> m_jobs;
    QString m_lastId;
};

} // namespace gpuwb
