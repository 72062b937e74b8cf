#include "ui/gpu/gpucard.h"

#include "ui/charts/gpuchart.h"
#include "ui/charts/stablelabel.h"
#include "ui/gpu/gpuprocessmodel.h"
#include "ui/gpu/gputext.h"

#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

#include <cmath>
#include <limits>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

} // namespace

GpuCard::GpuCard(const QString &uuid, QWidget *parent)
    : QFrame(parent), m_uuid(uuid), m_heading(new QLabel(this)), m_more(new QToolButton(this)),
      m_metrics((new StableLabel(this))->label()), // its text changes every tick
      m_utilization(new GpuChart(tr("Utilisation"), u"%"_s, this)),
      m_memory(new GpuChart(tr("Memory"), u"MiB"_s, this)), m_extra(new QWidget(this)),
      m_temperature(new GpuChart(tr("Temperature"), u"°C"_s, m_extra)),
      m_power(new GpuChart(tr("Power"), u"W"_s, m_extra)),
      m_smClock(new GpuChart(tr("SM clock"), u"MHz"_s, m_extra)),
      m_memoryClock(new GpuChart(tr("Memory clock"), u"MHz"_s, m_extra)),
      m_processes(new GpuProcessModel(this)), m_processView(new QTableView(this))
{
    setObjectName(u"gpuCard"_s);
    setFrameShape(QFrame::StyledPanel);
    QFont headingFont = m_heading->font();
    headingFont.setBold(true);
    m_heading->setFont(headingFont);
    m_heading->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // Texts that change every tick must not ask for a new layout every tick.
    m_heading->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_metrics->setObjectName(u"gpuMetrics"_s);
    m_metrics->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_metrics->setForegroundRole(QPalette::PlaceholderText);

    m_more->setObjectName(u"moreButton"_s);
    m_more->setCheckable(true);
    m_more->setAutoRaise(true);
    m_more->setText(tr("More"));
    m_more->setToolTip(tr("Charts of temperature, power and clocks"));
    connect(m_more, &QToolButton::toggled, this, &GpuCard::setExpanded);

    m_utilization->setObjectName(u"utilizationChart"_s);
    m_memory->setObjectName(u"memoryChart"_s);
    m_temperature->setObjectName(u"temperatureChart"_s);
    m_power->setObjectName(u"powerChart"_s);
    m_smClock->setObjectName(u"smClockChart"_s);
    m_memoryClock->setObjectName(u"memoryClockChart"_s);
    m_utilization->setYRange(0, 100);
    m_memory->setAutoYRange(1024);
    m_temperature->setYRange(0, 100);
    m_power->setAutoYRange(100);
    m_power->setValueDecimals(1);
    m_smClock->setAutoYRange(1000);
    m_memoryClock->setAutoYRange(1000);

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
    m_processView->setMinimumHeight(90);
    m_processView->setMaximumHeight(140);
    m_processView->hide(); // shown while the GPU has processes

    auto *top = new QHBoxLayout;
    top->addWidget(m_heading, 1);
    top->addWidget(m_more);
    auto *charts = new QHBoxLayout;
    charts->setSpacing(6);
    charts->addWidget(m_utilization);
    charts->addWidget(m_memory);
    auto *extra = new QGridLayout(m_extra);
    extra->setContentsMargins(0, 0, 0, 0);
    extra->setSpacing(6);
    extra->addWidget(m_temperature, 0, 0);
    extra->addWidget(m_power, 0, 1);
    extra->addWidget(m_smClock, 1, 0);
    extra->addWidget(m_memoryClock, 1, 1);
    m_extra->hide();
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addLayout(top);
    layout->addWidget(m_metrics->parentWidget());
    layout->addLayout(charts, 1);
    layout->addWidget(m_extra, 2);
    layout->addWidget(m_processView);
}

GpuCard::~GpuCard() = default;

void GpuCard::setExpanded(bool expanded)
{
    if (m_expanded == expanded)
        return;
    m_expanded = expanded;
    {
        const QSignalBlocker blocker(m_more);
        m_more->setChecked(expanded);
    }
    m_more->setText(expanded ? tr("Less") : tr("More"));
    m_extra->setVisible(expanded);
    if (expanded && m_history) {
        // The new charts were not kept up to date while hidden: fill them now.
        const GpuSnapshot latest = m_history->latest();
        for (const GpuSample &gpu : latest.gpus) {
            if (gpu.uuid != m_uuid)
                continue;
            setSeries(m_temperature, GpuMetric::TemperatureCelsius);
            if (gpu.powerLimitMilliwatts)
                m_power->setAutoYRange(*gpu.powerLimitMilliwatts / 1000.0);
            setSeries(m_power, GpuMetric::PowerWatts);
            setSeries(m_smClock, GpuMetric::SmClockMhz);
            setSeries(m_memoryClock, GpuMetric::MemoryClockMhz);
            break;
        }
    }
    emit expandedChanged(expanded);
}

// The thinned points of one chart in absolute time: a list of buckets, each keeping the lowest
// and highest point that fell in it.
struct GpuCard::Slice
{
    struct Point
    {
        qint64 ms = 0;
        double y = 0;
    };
    struct Bucket
    {
        qint64 id = 0;
        Point low;
        Point high;
    };

    const GpuHistory *history = nullptr;
    qint64 windowMs = -1;
    qint64 bucketMs = 1;
    qint64 coveredUntilMs = std::numeric_limits<qint64>::min(); // newest snapshot seen
    QList<Bucket> buckets;

    void reset(const GpuHistory *h, qint64 window)
    {
        history = h;
        windowMs = window;
        bucketMs = std::max<qint64>(1, window / (kMaxChartPoints / 2));
        coveredUntilMs = std::numeric_limits<qint64>::min();
        buckets.clear();
    }

    void add(qint64 ms, double y)
    {
        const qint64 id = ms >= 0 ? ms / bucketMs : (ms - bucketMs + 1) / bucketMs;
        if (!buckets.isEmpty() && buckets.last().id == id) {
            Bucket &b = buckets.last();
            if (y < b.low.y)
                b.low = {ms, y};
            if (y >= b.high.y)
                b.high = {ms, y};
            return;
        }
        buckets.append(Bucket{id, {ms, y}, {ms, y}});
    }

    // Relative points (x in seconds before newestMs) no older than the window.
    QList<QPointF> points(qint64 newestMs) const
    {
        const qint64 oldest = newestMs - windowMs;
        QList<QPointF> out;
        out.reserve(buckets.size() * 2);
        auto emitPoint = [&](const Point &p) {
            if (p.ms >= oldest && p.ms <= newestMs)
                out.append(QPointF(double(p.ms - newestMs) / 1000.0, p.y));
        };
        for (const Bucket &b : buckets) {
            if (b.low.ms == b.high.ms) {
                emitPoint(b.low);
            } else if (b.low.ms < b.high.ms) {
                emitPoint(b.low);
                emitPoint(b.high);
            } else {
                emitPoint(b.high);
                emitPoint(b.low);
            }
        }
        return out;
    }

    void dropOlderThan(qint64 oldestMs)
    {
        qsizetype n = 0;
        while (n < buckets.size() && (buckets.at(n).id + 1) * bucketMs <= oldestMs)
            ++n;
        if (n > 0)
            buckets.remove(0, n);
    }
};

QList<QPointF> GpuCard::thin(const QList<QPointF> &points, qint64 windowMs, qint64 newestMs)
{
    Slice slice;
    slice.reset(nullptr, windowMs);
    for (const QPointF &p : points)
        slice.add(newestMs + std::llround(p.x() * 1000.0), p.y());
    return slice.points(newestMs);
}

void GpuCard::setSeries(GpuChart *chart, GpuMetric metric, const QString &valueText)
{
    const int at = int(metric);
    if (at < 0 || at >= int(std::size(m_slices)))
        return;
    std::unique_ptr<Slice> &slot = m_slices[at];
    if (!slot)
        slot = std::make_unique<Slice>();
    Slice &slice = *slot;
    const qint64 newest = m_newestMs;
    if (slice.history != m_history || slice.windowMs != m_windowMs
        || newest < slice.coveredUntilMs || newest - slice.coveredUntilMs > m_windowMs) {
        // First slice, a new window, or time jumped: slice the whole window once.
        slice.reset(m_history, m_windowMs);
        const QList<QPointF> all = m_history->series(m_uuid, metric, m_windowMs);
        for (const QPointF &p : all)
            slice.add(newest + std::llround(p.x() * 1000.0), p.y());
    } else if (newest > slice.coveredUntilMs) {
        // Only the snapshots since the last tick (usually one).
        const QList<QPointF> tail =
            m_history->series(m_uuid, metric, newest - slice.coveredUntilMs - 1);
        for (const QPointF &p : tail)
            slice.add(newest + std::llround(p.x() * 1000.0), p.y());
        slice.dropOlderThan(newest - m_windowMs);
    }
    slice.coveredUntilMs = newest;
    chart->setWindowSeconds(double(m_windowMs) / 1000.0);
    chart->setSeries(slice.points(newest), valueText);
}

void GpuCard::setTextIfChanged(QLabel *label, const QString &text)
{
    if (label->text() != text)
        label->setText(text);
}

void GpuCard::refresh(const GpuSample &latest, const GpuHistory &history, qint64 windowMs,
                      const QStringList &jobNames)
{
    m_history = &history;
    m_windowMs = windowMs;
    m_newestMs = history.latest().timestampMs;

    setTextIfChanged(m_heading, u"GPU %1 · %2"_s.arg(latest.index).arg(
                                    latest.name.isEmpty() ? tr("NVIDIA GPU") : latest.name));
    m_heading->setToolTip(latest.uuid);
    setTextIfChanged(m_metrics, GpuText::metricsLine(latest));

    setSeries(m_utilization, GpuMetric::UtilizationGpuPercent);
    if (latest.memoryTotalBytes)
        m_memory->setYRange(0, double(*latest.memoryTotalBytes) / kMiB);
    QString memoryText;
    if (latest.memoryUsedBytes && latest.memoryTotalBytes) {
        memoryText = u"%1 / %2 MiB"_s.arg(double(*latest.memoryUsedBytes) / kMiB, 0, 'f', 0)
                         .arg(double(*latest.memoryTotalBytes) / kMiB, 0, 'f', 0);
    }
    setSeries(m_memory, GpuMetric::MemoryUsedMiB, memoryText);
    if (m_expanded) {
        setSeries(m_temperature, GpuMetric::TemperatureCelsius);
        if (latest.powerLimitMilliwatts)
            m_power->setAutoYRange(*latest.powerLimitMilliwatts / 1000.0); // draw can pass it
        setSeries(m_power, GpuMetric::PowerWatts);
        setSeries(m_smClock, GpuMetric::SmClockMhz);
        setSeries(m_memoryClock, GpuMetric::MemoryClockMhz);
    }
    m_processes->setProcesses(latest.processes, jobNames);
    const bool anyProcess = !latest.processes.isEmpty();
    if (m_processView->isVisibleTo(this) != anyProcess)
        m_processView->setVisible(anyProcess);
}

QString GpuCard::heading() const
{
    return m_heading->text();
}

QString GpuCard::metricsText() const
{
    return m_metrics->text();
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
    case GpuMetric::MemoryClockMhz:
        return m_memoryClock;
    default:
        return nullptr;
    }
}

QList<GpuChart *> GpuCard::charts() const
{
    return {m_utilization, m_memory, m_temperature, m_power, m_smClock, m_memoryClock};
}

QList<GpuChart *> GpuCard::visibleCharts() const
{
    if (m_expanded)
        return charts();
    return {m_utilization, m_memory};
}

} // namespace gpuwb
