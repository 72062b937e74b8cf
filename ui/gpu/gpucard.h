#pragma once

#include "core/gpu/gpuhistory.h"

#include <QFrame>
#include <QStringList>

#include <memory>

class QLabel;
class QTableView;
class QToolButton;

namespace gpuwb {

class GpuChart;
class GpuProcessModel;

// One GPU in the GPU panel. Compact: its name, a line of numbers (utilisation, memory,
// temperature, power and limit, clocks, fan), live charts of utilisation and memory, and its
// processes with the jobs they belong to. Expanded ("More"): charts of temperature, power,
// SM and memory clock too. Each refresh gives each VISIBLE chart exactly one setSeries()
// sliced from the host's GpuHistory (principle 9); the charts of a compact card are not
// touched. A widget on the UI thread.
class GpuCard : public QFrame
{
    Q_OBJECT
public:
    // Longer windows are thinned to this many points (a min and a max per time bucket, the
    // buckets fixed in absolute time so the line does not shimmer from tick to tick).
    static constexpr int kMaxChartPoints = 300;

    explicit GpuCard(const QString &uuid, QWidget *parent = nullptr);
    ~GpuCard() override;

    QString uuid() const { return m_uuid; }
    bool isExpanded() const { return m_expanded; }
    void setExpanded(bool expanded);

    // Shows `latest` and the history of this GPU over the last windowMs; jobNames name the
    // job of each of latest.processes (empty: not one of the user's).
    void refresh(const GpuSample &latest, const GpuHistory &history, qint64 windowMs,
                 const QStringList &jobNames = {});

    QString heading() const;
    QString metricsText() const;
    GpuChart *chart(GpuMetric metric) const; // null for metrics without a chart
    QList<GpuChart *> charts() const;        // all of them
    QList<GpuChart *> visibleCharts() const; // those a refresh updates
    GpuProcessModel *processModel() const { return m_processes; }

    // Thins points (x = seconds before the newest sample, taken at newestMs since the epoch)
    // over a window of windowMs to about kMaxChartPoints: the smallest and largest value of
    // each time bucket; buckets with one or two points keep them as they are.
    static QList<QPointF> thin(const QList<QPointF> &points, qint64 windowMs, qint64 newestMs);

signals:
    void expandedChanged(bool expanded);

private:
    struct Slice;
    void setSeries(GpuChart *chart, GpuMetric metric, const QString &valueText = {});
    static void setTextIfChanged(QLabel *label, const QString &text);

    QString m_uuid;
    bool m_expanded = false;
    QLabel *m_heading;
    QToolButton *m_more;
    QLabel *m_metrics;
    GpuChart *m_utilization;
    GpuChart *m_memory;
    QWidget *m_extra;
    GpuChart *m_temperature;
    GpuChart *m_power;
    GpuChart *m_smClock;
    GpuChart *m_memoryClock;
    GpuProcessModel *m_processes;
    QTableView *m_processView;

    // What the last refresh sliced from, so expanding fills the new charts at once.
    const GpuHistory *m_history = nullptr;
    qint64 m_windowMs = 0;
    qint64 m_newestMs = 0;
    // Per chart, the thinned points sliced so far: a tick slices only the snapshots that are
    // new since the last one, so a 60-minute window costs what a 1-minute one does.
    std::unique_ptr<Slice> m_slices[8]; // by GpuMetric
};

} // namespace gpuwb
