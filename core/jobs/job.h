#pragma once

#include "core/jobs/jobresult.h"
#include "core/jobs/jobspec.h"
#include "core/jobs/outputevent.h"

#include <QObject>

namespace gpuwb {

// One run of a JobSpec on a target. Lives on the thread that created it (the UI thread in the
// app); implementations do their I/O elsewhere and never block it. Output arrives in batches
// through output(); exactly one finished() ends every job, failure to start included
// (principle 2). The full output is written to logPath() as it arrives.
class Job : public QObject
{
    Q_OBJECT
public:
    Job(QString id, JobSpec spec, QString logPath, QObject *parent = nullptr)
        : QObject(parent), m_id(std::move(id)), m_spec(std::move(spec)), m_logPath(std::move(logPath))
    {}

    QString id() const { return m_id; }
    const JobSpec &spec() const { return m_spec; }
    QString logPath() const { return m_logPath; }
    JobState state() const { return m_state; }
    // The process group (= session) the job's processes run in on their host, 0 while not
    // known; GPU processes are matched to jobs by it.
    qint64 processGroup() const { return m_processGroup; }

    virtual void start() = 0;
    // Ends the whole process tree: a polite signal first, then a hard one after a grace period.
    virtual void stop() = 0;

signals:
    void stateChanged(gpuwb::JobState state);
    void output(const gpuwb::OutputBatch &batch);
    void finished(const gpuwb::JobResult &result);

protected:
    void setProcessGroup(qint64 group) { m_processGroup = group; }
    void setState(JobState state)
    {
        if (m_state == state)
            return;
        m_state = state;
        emit stateChanged(state);
    }

private:
    QString m_id;
    JobSpec m_spec;
    QString m_logPath;
    JobState m_state = JobState::Pending;
    qint64 m_processGroup = 0;
};

} // namespace gpuwb
