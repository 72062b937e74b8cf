#pragma once

#include "core/telemetry/gpuattribution.h"
#include "core/telemetry/gputelemetry.h"
#include "ui/gpu/gpualertmonitor.h"

#include <QPointer>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QSpinBox;
class QToolButton;
class QVBoxLayout;

namespace gpuwb {

class GpuHostSection;
class JobManager;

// The GPU panel, like nvtop inside the workbench: one GpuHostSection per host of a
// GpuTelemetry ("This machine" first, then each SSH host), each a grid of GPU cards with live
// charts over the chosen window (1, 5, 15 or 60 minutes), process tables naming the user's
// jobs, and Export CSV…. Its settings row sets the sampling interval and the alerts (off by
// default); all are kept in QSettings. Does not own the telemetry or the jobs. A widget on the
// UI thread; per tick it re-slices only the sections that can be seen.
class GpuPanel : public QWidget
{
    Q_OBJECT
public:
    static const QList<int> &windowChoices(); // minutes: 1, 5, 15, 60

    explicit GpuPanel(QWidget *parent = nullptr);
    ~GpuPanel() override;

    // Shows the hosts of `telemetry` and applies the kept sampling interval to it.
    void setTelemetry(GpuTelemetry *telemetry);
    GpuTelemetry *telemetry() const { return m_telemetry; }
    // The jobs whose processes the tables name (running jobs of this session).
    void setJobManager(JobManager *jobs);
    QList<JobIdentity> jobIdentities() const;
    static QList<JobIdentity> jobIdentities(const JobManager *jobs);

    int windowMinutes() const { return m_windowMinutes; }
    void setWindowMinutes(int minutes); // one of windowChoices(); others are ignored
    int intervalMs() const;
    void setIntervalMs(int intervalMs); // clamped to GpuTelemetry::kMinimumIntervalMs
    GpuAlertSettings alertSettings() const { return m_alerts.settings(); }
    void setAlertSettings(const GpuAlertSettings &settings);

    QList<GpuHostSection *> sections() const { return m_sections; }
    GpuHostSection *section(const QString &hostId) const;
    QString messageText() const; // the last export result or alert, when shown

signals:
    // A GPU running one of the user's jobs idled or ran hot (alerts on), once per episode.
    void alertRaised(const gpuwb::GpuAlert &alert);

private:
    void addHost(const QString &hostId);
    void removeHost(const QString &hostId);
    void onSampled(const QString &hostId, const GpuSnapshot &snapshot);
    void onStatusChanged(const QString &hostId, GpuHostStatus status, const QString &message);
    void showMessage(const QString &text);
    void saveAlertSettings();
    void loadSettings();

    QPointer<GpuTelemetry> m_telemetry;
    QPointer<JobManager> m_jobs;
    int m_windowMinutes = 5;
    GpuAlertMonitor m_alerts;
    QList<GpuHostSection *> m_sections;

    QComboBox *m_window;
    QToolButton *m_settingsButton;
    QWidget *m_settings;
    QDoubleSpinBox *m_interval;
    QCheckBox *m_alertsOn;
    QSpinBox *m_idleMinutes;
    QSpinBox *m_temperatureLimit;
    QLabel *m_message;
    QLabel *m_empty;
    QWidget *m_sectionsPage;
    QVBoxLayout *m_sectionsLayout;
};

} // namespace gpuwb
