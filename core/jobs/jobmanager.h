#pragma once

#include "core/jobs/job.h"
#include "core/util/result.h"

#include <QList>
#include <QObject>

namespace gpuwb {

class JobHistory;
class Target;

// Starts jobs on targets and keeps this session's jobs. Owns the targets (as QObject
// children) and the jobs it started; records every job in the history (which it does not
// own) when it starts and again when it ends. Lives on the UI thread.
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

    JobHistory *m_history;
    QString m_logDirectory;
    QList<Target *> m_targets;
    QList<Job *> m_jobs;
    QString m_lastId;
};

} // namespace gpuwb
