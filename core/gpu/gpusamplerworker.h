#pragma once

#include "core/gpu/gpusample.h"
#include "core/gpu/gpusource.h"

#include <QObject>

#include <memory>

class QTimer;

namespace gpuwb {

// GpuSampler's half on the sampling thread: owns the source and a single-shot timer that is
// re-armed only after each sample returns. Private to GpuSampler; here for moc.
class GpuSamplerWorker : public QObject
{
    Q_OBJECT
public:
    GpuSamplerWorker(std::unique_ptr<GpuSource> source, int intervalMs);
    ~GpuSamplerWorker() override;

    void begin();    // open if needed, then sample on the timer
    void pause();    // stop the timer
    void shutdown(); // destroy the source and the timer here, then quit the thread

signals:
    void opened(const QString &description);
    void failed(const gpuwb::Error &error);
    void sampled(const gpuwb::GpuSnapshot &snapshot);

private:
    void tick();

    std::unique_ptr<GpuSource> m_source;
    int m_intervalMs;
    QTimer *m_timer = nullptr;
    bool m_opened = false;
    bool m_active = false;
};

} // namespace gpuwb
