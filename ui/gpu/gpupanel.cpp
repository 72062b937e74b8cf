#include "ui/gpu/gpupanel.h"

#include "core/jobs/job.h"
#include "core/jobs/jobmanager.h"
#include "ui/gpu/gpuhostsection.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QScrollArea>
#include <QSettings>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

const QString kWindowKey = u"gpuPanel/windowMinutes"_s;
const QString kIntervalKey = u"gpuPanel/intervalMs"_s;
const QString kAlertsKey = u"gpuPanel/alerts"_s;
const QString kIdleKey = u"gpuPanel/alertIdleMinutes"_s;
const QString kHotKey = u"gpuPanel/alertTemperatureCelsius"_s;

} // namespace

const QList<int> &GpuPanel::windowChoices()
{
    static const QList<int> choices{1, 5, 15, GpuTelemetry::kLongestWindowMinutes};
    return choices;
}

GpuPanel::GpuPanel(QWidget *parent)
    : QWidget(parent), m_window(new QComboBox(this)), m_settingsButton(new QToolButton(this)),
      m_settings(new QWidget(this)), m_interval(new QDoubleSpinBox(m_settings)),
      m_alertsOn(new QCheckBox(tr("Alert me when a GPU running my job idles for"), m_settings)),
      m_idleMinutes(new QSpinBox(m_settings)), m_temperatureLimit(new QSpinBox(m_settings)),
      m_message(new QLabel(this)), m_empty(new QLabel(this)), m_sectionsPage(new QWidget(this)),
      m_sectionsLayout(new QVBoxLayout(m_sectionsPage))
{
    setObjectName(u"gpuPanel"_s);
    m_window->setObjectName(u"windowSelector"_s);
    m_window->addItem(tr("Last minute"), 1);
    m_window->addItem(tr("Last 5 minutes"), 5);
    m_window->addItem(tr("Last 15 minutes"), 15);
    m_window->addItem(tr("Last hour"), 60);
    connect(m_window, &QComboBox::currentIndexChanged, this,
            [this](int index) { setWindowMinutes(m_window->itemData(index).toInt()); });

    m_settingsButton->setObjectName(u"settingsButton"_s);
    m_settingsButton->setText(tr("Settings"));
    m_settingsButton->setCheckable(true);
    m_settingsButton->setAutoRaise(true);
    m_settingsButton->setToolTip(tr("Sampling interval and alerts"));
    connect(m_settingsButton, &QToolButton::toggled, m_settings, &QWidget::setVisible);

    m_interval->setObjectName(u"intervalSpin"_s);
    m_interval->setRange(GpuTelemetry::kMinimumIntervalMs / 1000.0, 60.0);
    m_interval->setDecimals(1);
    m_interval->setSingleStep(0.1);
    m_interval->setSuffix(tr(" s"));
    m_interval->setValue(GpuTelemetry::kDefaultIntervalMs / 1000.0);
    connect(m_interval, &QDoubleSpinBox::valueChanged, this,
            [this](double seconds) { setIntervalMs(int(std::lround(seconds * 1000.0))); });
    m_alertsOn->setObjectName(u"alertsCheck"_s);
    m_idleMinutes->setObjectName(u"idleMinutesSpin"_s);
    m_idleMinutes->setRange(1, 24 * 60);
    m_idleMinutes->setSuffix(tr(" min"));
    m_temperatureLimit->setObjectName(u"temperatureLimitSpin"_s);
    m_temperatureLimit->setRange(40, 120);
    m_temperatureLimit->setSuffix(tr(" °C"));
    connect(m_alertsOn, &QCheckBox::toggled, this, &GpuPanel::saveAlertSettings);
    connect(m_idleMinutes, &QSpinBox::valueChanged, this, &GpuPanel::saveAlertSettings);
    connect(m_temperatureLimit, &QSpinBox::valueChanged, this, &GpuPanel::saveAlertSettings);
    auto *settings = new QHBoxLayout(m_settings);
    settings->setContentsMargins(0, 0, 0, 0);
    settings->addWidget(new QLabel(tr("Sample every"), m_settings));
    settings->addWidget(m_interval);
    settings->addSpacing(12);
    settings->addWidget(m_alertsOn);
    settings->addWidget(m_idleMinutes);
    settings->addWidget(new QLabel(tr("or passes"), m_settings));
    settings->addWidget(m_temperatureLimit);
    settings->addStretch();
    m_settings->hide();

    m_message->setObjectName(u"gpuPanelMessage"_s);
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->hide();
    m_empty->setObjectName(u"gpuMessage"_s);
    m_empty->setWordWrap(true);
    m_empty->setAlignment(Qt::AlignCenter);
    m_empty->setMargin(24);
    m_empty->setText(tr("Waiting for the first GPU reading…"));

    m_sectionsLayout->setContentsMargins(0, 0, 0, 0);
    m_sectionsLayout->addStretch();
    auto *scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidget(m_sectionsPage);

    auto *top = new QHBoxLayout;
    auto *title = new QLabel(tr("GPUs"), this);
    QFont bold = title->font();
    bold.setBold(true);
    title->setFont(bold);
    top->addWidget(title);
    top->addStretch();
    top->addWidget(m_window);
    top->addWidget(m_settingsButton);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_settings);
    layout->addWidget(m_message);
    layout->addWidget(m_empty);
    layout->addWidget(scroll, 1);
    loadSettings();
}

GpuPanel::~GpuPanel() = default;

void GpuPanel::loadSettings()
{
    const QSettings settings;
    int minutes = settings.value(kWindowKey, 5).toInt();
    if (!windowChoices().contains(minutes))
        minutes = 5;
    m_windowMinutes = minutes;
    m_window->setCurrentIndex(m_window->findData(minutes));
    const int interval = std::max(
        GpuTelemetry::kMinimumIntervalMs,
        settings.value(kIntervalKey, GpuTelemetry::kDefaultIntervalMs).toInt());
    {
        const QSignalBlocker blocker(m_interval);
        m_interval->setValue(interval / 1000.0);
    }
    GpuAlertSettings alerts;
    alerts.enabled = settings.value(kAlertsKey, false).toBool();
    alerts.idleMinutes = std::clamp(settings.value(kIdleKey, alerts.idleMinutes).toInt(), 1,
                                    24 * 60);
    alerts.temperatureLimitCelsius =
        std::clamp(settings.value(kHotKey, alerts.temperatureLimitCelsius).toDouble(), 40.0,
                   120.0);
    const QSignalBlocker b1(m_alertsOn);
    const QSignalBlocker b2(m_idleMinutes);
    const QSignalBlocker b3(m_temperatureLimit);
    m_alertsOn->setChecked(alerts.enabled);
    m_idleMinutes->setValue(alerts.idleMinutes);
    m_temperatureLimit->setValue(int(alerts.temperatureLimitCelsius));
    m_alerts.setSettings(alerts);
}

void GpuPanel::setTelemetry(GpuTelemetry *telemetry)
{
    if (m_telemetry == telemetry)
        return;
    if (m_telemetry)
        disconnect(m_telemetry, nullptr, this, nullptr);
    for (GpuHostSection *section : std::as_const(m_sections))
        delete section;
    m_sections.clear();
    m_telemetry = telemetry;
    if (!telemetry)
        return;
    telemetry->setIntervalMs(intervalMs());
    connect(telemetry, &GpuTelemetry::hostAdded, this, &GpuPanel::addHost);
    connect(telemetry, &GpuTelemetry::hostRemoved, this, &GpuPanel::removeHost);
    connect(telemetry, &GpuTelemetry::statusChanged, this, &GpuPanel::onStatusChanged);
    connect(telemetry, &GpuTelemetry::sampled, this, &GpuPanel::onSampled);
    connect(telemetry, &QObject::destroyed, this, [this] { setTelemetry(nullptr); });
    const QStringList hosts = telemetry->hostIds();
    for (const QString &host : hosts)
        addHost(host);
}

void GpuPanel::setJobManager(JobManager *jobs)
{
    m_jobs = jobs;
}

QList<JobIdentity> GpuPanel::jobIdentities(const JobManager *jobs)
{
    QList<JobIdentity> identities;
    if (!jobs)
        return identities;
    const QList<Job *> all = jobs->jobs();
    for (const Job *job : all) {
        if (isFinal(job->state()) || job->processGroup() <= 0)
            continue;
        identities.append(JobIdentity{job->id(),
                                      job->spec().name.isEmpty() ? job->spec().command
                                                                 : job->spec().name,
                                      job->spec().targetId, job->processGroup()});
    }
    return identities;
}

QList<JobIdentity> GpuPanel::jobIdentities() const
{
    return jobIdentities(m_jobs);
}

GpuHostSection *GpuPanel::section(const QString &hostId) const
{
    for (GpuHostSection *section : m_sections)
        if (section->hostId() == hostId)
            return section;
    return nullptr;
}

void GpuPanel::addHost(const QString &hostId)
{
    if (!m_telemetry || section(hostId))
        return;
    auto *section = new GpuHostSection(hostId, m_sectionsPage);
    section->setWindowMs(qint64(m_windowMinutes) * 60 * 1000);
    section->setStatus(m_telemetry->status(hostId), m_telemetry->statusMessage(hostId));
    connect(section, &GpuHostSection::exportFinished, this,
            [this](bool, const QString &message) { showMessage(message); });
    // "This machine" first, then hosts in the order the telemetry lists them.
    const QStringList order = m_telemetry->hostIds();
    int at = 0;
    for (GpuHostSection *other : std::as_const(m_sections))
        if (order.indexOf(other->hostId()) < order.indexOf(hostId))
            ++at;
    m_sections.insert(at, section);
    m_sectionsLayout->insertWidget(at, section);
    m_empty->hide();
    section->setHistory(m_telemetry->history(hostId));
}

void GpuPanel::removeHost(const QString &hostId)
{
    GpuHostSection *gone = section(hostId);
    if (!gone)
        return;
    m_sections.removeOne(gone);
    delete gone;
}

void GpuPanel::onStatusChanged(const QString &hostId, GpuHostStatus status,
                               const QString &message)
{
    if (!section(hostId))
        addHost(hostId);
    if (GpuHostSection *s = section(hostId))
        s->setStatus(status, message);
}

void GpuPanel::onSampled(const QString &hostId, const GpuSnapshot &snapshot)
{
    if (!m_telemetry)
        return;
    GpuHostSection *s = section(hostId);
    if (!s) {
        addHost(hostId);
        s = section(hostId);
        if (!s)
            return;
    }
    const QList<JobIdentity> jobs = jobIdentities();
    s->setJobs(jobs);
    s->setHistory(m_telemetry->history(hostId));
    s->refresh();

    if (!m_alerts.settings().enabled || jobs.isEmpty())
        return;
    QHash<QString, QString> jobOnGpu;
    for (const GpuSample &gpu : snapshot.gpus) {
        for (const GpuProcess &process : gpu.processes) {
            const QString jobId = GpuAttribution::jobOf(hostId, process, jobs);
            if (jobId.isEmpty())
                continue;
            for (const JobIdentity &job : jobs)
                if (job.jobId == jobId)
                    jobOnGpu.insert(gpu.uuid, job.jobName);
        }
    }
    const QList<GpuAlert> alerts = m_alerts.update(hostId, snapshot, jobOnGpu,
                                                   snapshot.timestampMs);
    for (const GpuAlert &alert : alerts) {
        showMessage(alert.title + u": "_s + alert.message);
        emit alertRaised(alert);
    }
}

void GpuPanel::setWindowMinutes(int minutes)
{
    if (!windowChoices().contains(minutes) || m_windowMinutes == minutes)
        return;
    m_windowMinutes = minutes;
    {
        const QSignalBlocker blocker(m_window);
        m_window->setCurrentIndex(m_window->findData(minutes));
    }
    QSettings().setValue(kWindowKey, minutes);
    for (GpuHostSection *section : std::as_const(m_sections))
        section->setWindowMs(qint64(minutes) * 60 * 1000);
}

int GpuPanel::intervalMs() const
{
    return std::max(GpuTelemetry::kMinimumIntervalMs, int(std::lround(m_interval->value() * 1000)));
}

void GpuPanel::setIntervalMs(int intervalMs)
{
    intervalMs = std::max(intervalMs, GpuTelemetry::kMinimumIntervalMs);
    if (std::lround(m_interval->value() * 1000) != intervalMs) {
        const QSignalBlocker blocker(m_interval);
        m_interval->setValue(intervalMs / 1000.0);
    }
    QSettings().setValue(kIntervalKey, intervalMs);
    if (m_telemetry && m_telemetry->intervalMs() != intervalMs)
        m_telemetry->setIntervalMs(intervalMs);
}

void GpuPanel::setAlertSettings(const GpuAlertSettings &settings)
{
    {
        const QSignalBlocker b1(m_alertsOn);
        const QSignalBlocker b2(m_idleMinutes);
        const QSignalBlocker b3(m_temperatureLimit);
        m_alertsOn->setChecked(settings.enabled);
        m_idleMinutes->setValue(settings.idleMinutes);
        m_temperatureLimit->setValue(int(std::lround(settings.temperatureLimitCelsius)));
    }
    saveAlertSettings();
}

void GpuPanel::saveAlertSettings()
{
    GpuAlertSettings settings;
    settings.enabled = m_alertsOn->isChecked();
    settings.idleMinutes = m_idleMinutes->value();
    settings.temperatureLimitCelsius = m_temperatureLimit->value();
    m_alerts.setSettings(settings);
    QSettings store;
    store.setValue(kAlertsKey, settings.enabled);
    store.setValue(kIdleKey, settings.idleMinutes);
    store.setValue(kHotKey, settings.temperatureLimitCelsius);
}

QString GpuPanel::messageText() const
{
    return m_message->isVisibleTo(this) ? m_message->text() : QString();
}

void GpuPanel::showMessage(const QString &text)
{
    m_message->setText(text);
    m_message->setVisible(!text.isEmpty());
}

} // namespace gpuwb
