#include "core/gpu/gpusampler.h"

#include "core/gpu/gpusamplerworker.h"
#include "core/util/logging.h"

#include <QElapsedTimer>
#include <QThread>
#include <QTimer>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace gpuwb {

GpuSamplerWorker::GpuSamplerWorker(std::unique_ptr<GpuSource> source, int intervalMs)
    : m_source(std::move(source)), m_intervalMs(std::max(10, intervalMs))
{
}

GpuSamplerWorker::~GpuSamplerWorker() = default;

void GpuSamplerWorker::begin()
{
    if (!m_source)
        return;
    if (!m_timer) {
        m_timer = new QTimer(this);
        m_timer->setSingleShot(true);
        connect(m_timer, &QTimer::timeout, this, &GpuSamplerWorker::tick);
    }
    if (!m_opened) {
        const Status status = m_source->open();
        if (!status) {
            qCInfo(lcGpu) << "GPU source" << m_source->description()
                          << "failed to open:" << status.errorMessage();
            emit failed(status.error());
            return;
        }
        m_opened = true;
        emit opened(m_source->description());
    }
    m_active = true;
    if (!m_timer->isActive())
        m_timer->start(0);
}

void GpuSamplerWorker::pause()
{
    m_active = false;
    if (m_timer)
        m_timer->stop();
}

void GpuSamplerWorker::shutdown()
{
    pause();
    delete m_timer;
    m_timer = nullptr;
    m_source.reset();
    QThread::currentThread()->quit();
}

void GpuSamplerWorker::tick()
{
    if (!m_active || !m_source)
        return;
    QElapsedTimer elapsed;
    elapsed.start();
    Result<GpuSnapshot> snapshot = m_source->sample();
    if (snapshot)
        emit sampled(*snapshot);
    else
        emit failed(snapshot.error());
    // Re-arm after the sample returned: a slow source lowers the rate instead of queueing.
    if (m_active && m_timer)
        m_timer->start(int(std::max<qint64>(0, m_intervalMs - elapsed.elapsed())));
}

GpuSampler::GpuSampler(std::unique_ptr<GpuSource> source, int intervalMs, QObject *parent)
    : QObject(parent), m_intervalMs(intervalMs)
{
    qRegisterMetaType<gpuwb::GpuSnapshot>();
    qRegisterMetaType<gpuwb::Error>();
    m_thread = new QThread(this);
    m_thread->setObjectName(u"gpuwb-gpu-sampler"_s);
    m_worker = new GpuSamplerWorker(std::move(source), intervalMs);
    m_worker->moveToThread(m_thread);
    connect(m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connect(m_worker, &GpuSamplerWorker::opened, this, &GpuSampler::opened);
    connect(m_worker, &GpuSamplerWorker::failed, this, &GpuSampler::failed);
    connect(m_worker, &GpuSamplerWorker::sampled, this, &GpuSampler::sampled);
}

GpuSampler::~GpuSampler()
{
    if (m_thread->isRunning()) {
        // The worker tears down its source and timer on its thread, quits, and is deleted
        // there by the finished() connection: nothing of it is touched from this thread.
        QMetaObject::invokeMethod(m_worker, &GpuSamplerWorker::shutdown, Qt::QueuedConnection);
        m_thread->wait();
    } else {
        delete m_worker; // never ran: nothing of it lives on another thread
    }
}

void GpuSampler::start()
{
    if (!m_thread->isRunning())
        m_thread->start();
    m_running = true;
    QMetaObject::invokeMethod(m_worker, &GpuSamplerWorker::begin, Qt::QueuedConnection);
}

void GpuSampler::stop()
{
    m_running = false;
    QMetaObject::invokeMethod(m_worker, &GpuSamplerWorker::pause, Qt::QueuedConnection);
}

} // namespace gpuwb
