#pragma once

#include "core/gpu/gpusample.h"

#include <QHash>
#include <QList>
#include <QString>

namespace gpuwb {

// What the GPU alerts watch for; off by default.
struct GpuAlertSettings
{
    bool enabled = false;
    int idleMinutes = 10;                  // a job's GPU at 0-5 % for this long
    double temperatureLimitCelsius = 85.0; // a job's GPU hotter than this
    friend bool operator==(const GpuAlertSettings &, const GpuAlertSettings &) = default;
};

struct GpuAlert
{
    enum class Kind { Idle, Hot };
    Kind kind = Kind::Idle;
    QString hostId;
    QString gpuUuid;
    int gpuIndex = 0;
    QString jobName;
    QString title;   // "GPU 0 on gpu-box is idle"
    QString message; // what happened and what to look at
};

// Decides when a GPU that runs one of the user's jobs deserves a notification: it sat at
// 0-5 % utilisation for the idle time, or it passed the temperature limit. Once per episode:
// an idle episode ends when the GPU works again (or the job leaves it), a hot one when it is
// 3 °C under the limit again. Pure logic with the time passed in (no timers, no widgets), so
// it is tested with synthetic time; owned by the GPU panel on the UI thread.
class GpuAlertMonitor
{
public:
    static constexpr double kIdlePercent = 5.0;
    static constexpr double kCoolingMarginCelsius = 3.0;

    void setSettings(const GpuAlertSettings &settings);
    const GpuAlertSettings &settings() const { return m_settings; }

    // One snapshot of a host at nowMs; jobOnGpu maps the uuid of each GPU running one of the
    // user's jobs to that job's name. Returns the alerts that start now.
    QList<GpuAlert> update(const QString &hostId, const GpuSnapshot &snapshot,
                           const QHash<QString, QString> &jobOnGpu, qint64 nowMs);

private:
    struct State
    {
        qint64 idleSinceMs = -1;
        bool idleAlerted = false;
        bool hotAlerted = false;
    };
    GpuAlertSettings m_settings;
    QHash<QString, State> m_states; // host id + '\n' + uuid
};

} // namespace gpuwb
