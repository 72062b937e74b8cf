#include "ui/gpu/gpualertmonitor.h"

#include "ui/gpu/gputext.h"

#include <QCoreApplication>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("GpuAlertMonitor", text);
}

} // namespace

void GpuAlertMonitor::setSettings(const GpuAlertSettings &settings)
{
    if (settings == m_settings)
        return;
    m_settings = settings;
    // New rules start new episodes.
    m_states.clear();
}

QList<GpuAlert> GpuAlertMonitor::update(const QString &hostId, const GpuSnapshot &snapshot,
                                        const QHash<QString, QString> &jobOnGpu, qint64 nowMs)
{
    QList<GpuAlert> alerts;
    if (!m_settings.enabled)
        return alerts;
    const qint64 idleMs = qint64(std::max(1, m_settings.idleMinutes)) * 60 * 1000;
    const QString host = GpuText::hostLabel(hostId);
    for (const GpuSample &gpu : snapshot.gpus) {
        const QString key = hostId + u'\n' + gpu.uuid;
        const auto job = jobOnGpu.constFind(gpu.uuid);
        if (job == jobOnGpu.cend()) {
            // Not one of the user's GPUs (any more): whatever happens next is a new episode.
            m_states.remove(key);
            continue;
        }
        State &state = m_states[key];
        auto alert = [&](GpuAlert::Kind kind, const QString &title, const QString &message) {
            alerts.append(GpuAlert{kind, hostId, gpu.uuid, gpu.index, *job, title, message});
        };

        if (gpu.utilizationGpuPercent && *gpu.utilizationGpuPercent <= kIdlePercent) {
            if (state.idleSinceMs < 0 || nowMs < state.idleSinceMs)
                state.idleSinceMs = nowMs;
            if (!state.idleAlerted && nowMs - state.idleSinceMs >= idleMs) {
                state.idleAlerted = true;
                alert(GpuAlert::Kind::Idle,
                      tr("GPU %1 on %2 is idle").arg(gpu.index).arg(host),
                      tr("Job %1 has left GPU %2 at %3 % or less for %4 minutes: it may be "
                         "waiting for input or data. Look at its output, or stop it to free "
                         "the GPU.")
                          .arg(*job)
                          .arg(gpu.index)
                          .arg(kIdlePercent)
                          .arg(m_settings.idleMinutes));
            }
        } else if (gpu.utilizationGpuPercent) {
            state.idleSinceMs = -1;
            state.idleAlerted = false;
        }

        if (gpu.temperatureCelsius) {
            const double t = *gpu.temperatureCelsius;
            if (!state.hotAlerted && t > m_settings.temperatureLimitCelsius) {
                state.hotAlerted = true;
                alert(GpuAlert::Kind::Hot,
                      tr("GPU %1 on %2 is at %3 °C").arg(gpu.index).arg(host).arg(t, 0, 'f', 0),
                      tr("GPU %1, running job %2, passed the limit of %3 °C. Check the "
                         "cooling of %4, or lower the job's load.")
                          .arg(gpu.index)
                          .arg(*job)
                          .arg(m_settings.temperatureLimitCelsius, 0, 'f', 0)
                          .arg(host));
            } else if (state.hotAlerted
                       && t <= m_settings.temperatureLimitCelsius - kCoolingMarginCelsius) {
                state.hotAlerted = false;
            }
        }
    }
    return alerts;
}

} // namespace gpuwb
