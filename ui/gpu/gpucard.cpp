#include "ui/gpu/gpucard.h"

#include "ui/charts/gpuchart.h"
#include "ui/gpu/gpuprocessmodel.h"

#include <QGridLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

} // namespace

GpuCard::GpuCard(const QString &uuid, QWidget *parent)
    : QFrame(parent), m_uuid(uuid), m_heading(new QLabel(this)), m_details(new QLabel(this)),
      m_utilization(new GpuChart(tr("Utilisation"), u"%"_s, this)),
      m_memory(new GpuChart(tr("Memory"), u"MiB"_s, this)),
      m_temperature(new GpuChart(tr("Temperature"), u"°C"_s, this)),
      m_power(new GpuChart(tr("Power"), u"W"_s, this)),
      m_smClock(new GpuChart(tr("SM clock"), u"MHz"_s, this)),
      m_processes(new GpuProcessModel(this)), m_processView(new QTableView(this))
{
    setObjectName(u"gpuCard"_s);
    setFrameShape(QFrame::StyledPanel);
    QFont headingFont = m_heading->font();
    headingFont.setBold(true);
    headingFont.setPointSizeF(headingFont.pointSizeF() * 1.15);
    m_heading->setFont(headingFont);
    m_heading->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_details->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_details->setForegroundRole(QPalette::PlaceholderText);

    m_utilization->setObjectName(u"utilizationChart"_s);
    m_memory->setObjectName(u"memoryChart"_s);
    m_temperature->setObjectName(u"temperatureChart"_s);
    m_power->setObjectName(u"powerChart"_s);
    m_smClock->setObjectName(u"smClockChart"_s);
    m_utilization->setYRange(0, 100);
    m_memory->setAutoYRange(1024);
    m_temperature->setYRange(0, 100);
    m_power->setAutoYRange(100);
    m_power->setValueDecimals(1);
    m_smClock->setAutoYRange(1000);

    auto *proxy = new QSortFilterProxyModel(this);
    proxy->setSourceModel(m_processes);
    proxy->setSortRole(GpuProcessModel::SortRole);
    m_processView->setObjectName(u"processView"_s);
    m_processView->setModel(proxy);
    m_processView->setSortingEnabled(true);
    m_processView->sortByColumn(GpuProcessModel::MemoryColumn, Qt::DescendingOrder);
    m_processView->verticalHeader()->hide();
    m_processView->horizontalHeader()->setSectionResizeMode(GpuProcessModel::NameColumn,
                                                            QHeaderView::Stretch);
    m_processView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_processView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_processView->setMinimumSize(180, 120);

    auto *grid = new QGridLayout;
    grid->setSpacing(6);
    grid->addWidget(m_utilization, 0, 0);
    grid->addWidget(m_memory, 0, 1);
    grid->addWidget(m_temperature, 0, 2);
    grid->addWidget(m_power, 1, 0);
    grid->addWidget(m_smClock, 1, 1);
    grid->addWidget(m_processView, 1, 2);
    grid->setRowStretch(0, 1);
    grid->setRowStretch(1, 1);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_heading);
    layout->addWidget(m_details);
    layout->addLayout(grid);
}

void GpuCard::refresh(const GpuSample &latest, const GpuHistory &history, qint64 windowMs)
{
    m_heading->setText(u"GPU %1 · %2"_s.arg(latest.index).arg(
        latest.name.isEmpty() ? tr("NVIDIA GPU") : latest.name));
    QStringList details{latest.uuid};
    if (latest.powerLimitMilliwatts)
        details << tr("power limit %1 W").arg(*latest.powerLimitMilliwatts / 1000.0, 0, 'f', 0);
    if (latest.memoryClockMhz)
        details << tr("memory clock %1 MHz").arg(*latest.memoryClockMhz);
    if (latest.fanSpeedPercent)
        details << tr("fan %1 %").arg(*latest.fanSpeedPercent);
    m_details->setText(details.join(u"  ·  "_s));

    const double windowSeconds = double(windowMs) / 1000.0;
    for (GpuChart *c : charts())
        c->setWindowSeconds(windowSeconds);

    m_utilization->setSeries(
        history.series(m_uuid, GpuMetric::UtilizationGpuPercent, windowMs));
    if (latest.memoryTotalBytes)
        m_memory->setYRange(0, double(*latest.memoryTotalBytes) / kMiB);
    const QList<QPointF> memory = history.series(m_uuid, GpuMetric::MemoryUsedMiB, windowMs);
    QString memoryText;
    if (latest.memoryUsedBytes && latest.memoryTotalBytes) {
        memoryText = u"%1 / %2 MiB"_s.arg(double(*latest.memoryUsedBytes) / kMiB, 0, 'f', 0)
                         .arg(double(*latest.memoryTotalBytes) / kMiB, 0, 'f', 0);
    }
    m_memory->setSeries(memory, memoryText);
    m_temperature->setSeries(history.series(m_uuid, GpuMetric::TemperatureCelsius, windowMs));
    if (latest.powerLimitMilliwatts)
        m_power->setAutoYRange(*latest.powerLimitMilliwatts / 1000.0); // draw can pass the limit
    m_power->setSeries(history.series(m_uuid, GpuMetric::PowerWatts, windowMs));
    m_smClock->setSeries(history.series(m_uuid, GpuMetric::SmClockMhz, windowMs));
    m_processes->setProcesses(latest.processes);
}

QString GpuCard::heading() const
{
    return m_heading->text();
}

GpuChart *GpuCard::chart(GpuMetric metric) const
{
    switch (metric) {
    case GpuMetric::UtilizationGpuPercent:
        return m_utilization;
    case GpuMetric::MemoryUsedMiB:
        return m_memory;
    case GpuMetric::TemperatureCelsius:
        return m_temperature;
    case GpuMetric::PowerWatts:
        return m_power;
    case GpuMetric::SmClockMhz:
        return m_smClock;
    default:
        return nullptr;
    }
}

QList<GpuChart *> GpuCard::charts() const
{
    return {m_utilization, m_memory, m_temperature, m_power, m_smClock};
}

} // namespace gpuwb
