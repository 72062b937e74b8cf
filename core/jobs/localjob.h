#pragma once

#include "core/jobs/job.h"

#include <QThread>

#include <atomic>
#include <memory>

namespace gpuwb {

class LocalJobWorker;

// A job on this machine: `/bin/sh -c command` in the spec's working directory, with the spec's
// environment added, in a session and process group of its own so that stop() ends the whole
// tree. The job object lives on the thread that made it (the UI thread); the process, the log
// file and the output parsing live on a thread the job owns, so a program that prints as fast
// as it can never stalls its creator. Destroying a running job ends its tree and waits briefly.
class LocalJob : public Job
{
    Q_OBJECT
public:
    LocalJob(QString id, JobSpec spec, QString logPath, QObject *parent = nullptr);
    ~LocalJob() override;

    void start() override;
    void stop() override;

private:
    void onDone(const JobResult &result);

    QThread m_thread;
    std::shared_ptr<std::atomic<bool>> m_batchInFlight = std::make_shared<std::atomic<bool>>(false);
    // The child's pid (= its process group), set on the worker thread when it has started.
    std::shared_ptr<std::atomic<qint64>> m_startedGroup = std::make_shared<std::atomic<qint64>>(0);
    LocalJobWorker *m_worker = nullptr;
    bool m_startCalled = false;
    bool m_done = false;
};

} // namespace gpuwb
