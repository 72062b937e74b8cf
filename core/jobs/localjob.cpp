#include "core/jobs/localjob.h"

#include "core/jobs/localjobworker.h"
#include "core/util/check.h"

#include <QProcess>

namespace gpuwb {

LocalJob::LocalJob(QString id, JobSpec spec, QString logPath, QObject *parent)
    : Job(std::move(id), std::move(spec), std::move(logPath), parent)
{
    m_thread.setObjectName(QStringLiteral("job ") + this->id());
    m_worker = new LocalJobWorker(this->spec(), this->logPath(), m_batchInFlight);
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    // The child starts a session of its own (setsid), so its pid is its process group. The
    // worker's QProcess is read on the worker's thread, where it lives, before the queued
    // notice below is posted: connected first, this direct slot runs first.
    connect(m_worker, &LocalJobWorker::started, m_worker,
            [worker = m_worker, group = m_startedGroup] {
                if (const auto *process = worker->findChild<QProcess *>())
                    group->store(process->processId());
            }, Qt::DirectConnection);
    connect(m_worker, &LocalJobWorker::started, this, [this] {
        if (const qint64 group = m_startedGroup->load(); group > 0)
            setProcessGroup(group);
        if (state() == JobState::Pending)
            setState(JobState::Running);
    });
    connect(m_worker, &LocalJobWorker::batchReady, this,
            [this](const OutputBatch &batch) {
                m_batchInFlight->store(false);
                emit output(batch);
            });
    connect(m_worker, &LocalJobWorker::done, this, &LocalJob::onDone);
}

LocalJob::~LocalJob()
{
    if (!m_startCalled) {
        delete m_worker;
        return;
    }
    if (m_thread.isRunning()) {
        if (!m_done) {
            // Ends the tree and waits for it briefly; the worker never waits on this thread.
            QMetaObject::invokeMethod(m_worker, &LocalJobWorker::shutdown,
                                      Qt::BlockingQueuedConnection);
        }
        m_thread.quit();
        m_thread.wait();
    }
}

void LocalJob::start()
{
    GPUWB_CHECK(!m_startCalled, return);
    m_startCalled = true;
    m_thread.start();
    QMetaObject::invokeMethod(m_worker, &LocalJobWorker::start, Qt::QueuedConnection);
}

void LocalJob::stop()
{
    if (!m_startCalled || m_done || state() == JobState::Stopping)
        return;
    setState(JobState::Stopping);
    QMetaObject::invokeMethod(m_worker, &LocalJobWorker::stop, Qt::QueuedConnection);
}

void LocalJob::onDone(const JobResult &result)
{
    if (m_done)
        return;
    m_done = true;
    setState(result.state);
    m_thread.quit();
    emit finished(result);
}

} // namespace gpuwb
