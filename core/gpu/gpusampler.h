#pragma once

#include "core/gpu/gpusample.h"
#include "core/gpu/gpusource.h"

#include <QObject>

#include <memory>

class QThread;

namespace gpuwb {

class GpuSamplerWorker;

// Samples a GpuSource on a timer, on a QThread of its own that it owns (principle 5): the
// source is opened, used and destroyed there only. The sampler object itself lives on the
// thread that made it (the UI thread) and emits there. A slow sample never piles up: the next
// one is scheduled only after the previous returned, so at most one is in flight.
class GpuSampler : public QObject
{
    Q_OBJECT
public:
    GpuSampler(std::unique_ptr<GpuSource> source, int intervalMs = 1000,
               QObject *parent = nullptr);
    ~GpuSampler() override;

    int intervalMs() const { return m_intervalMs; }
    bool isRunning() const { return m_running; }

    // Opens the source (on the worker thread) and starts sampling; emits opened() or
    // failed(). Calling it again after stop() resumes sampling.
    void start();
    // Stops sampling; a sample in flight still arrives.
    void stop();

signals:
    void opened(const QString &description);
    // Opening failed (sampling stops) or one sample failed (sampling goes on).
    void failed(const gpuwb::Error &error);
    void sampled(const gpuwb::GpuSnapshot &snapshot);

private:
    int m_intervalMs;
    bool m_running = false;
    QThread *m_thread = nullptr;
    GpuSamplerWorker *m_worker = nullptr; // lives on m_thread
};

} // namespace gpuwb
