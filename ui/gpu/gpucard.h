#pragma once

#include "core/gpu/gpuhistory.h"

#include <QFrame>

class QLabel;
class QTableView;

namespace gpuwb {

class GpuChart;
class GpuProcessModel;

// One GPU in the GPU panel: its name, live charts of utilisation, memory, temperature, power
// and SM clock over the chosen window, and its process table. Re-sliced from the panel's
// GpuHistory on each tick; a widget on the UI thread.
class GpuCard : public QFrame
{
    Q_OBJECT
public:
    explicit GpuCard(const QString &uuid, QWidget *parent = nullptr);

    QString uuid() const { return m_uuid; }
    // Shows `latest` and the history of this GPU over the last windowMs.
    void refresh(const GpuSample &latest, const GpuHistory &history, qint64 windowMs);

    QString heading() const;
    GpuChart *chart(GpuMetric metric) const; // null for metrics without a chart
    QList<GpuChart *> charts() const;
    GpuProcessModel *processModel() const { return m_processes; }

private:
    QString m_uuid;
    QLabel *m_heading;
    QLabel *m_details;
    GpuChart *m_utilization;
    GpuChart *m_memory;
    GpuChart *m_temperature;
    GpuChart *m_power;
    GpuChart *m_smClock;
    GpuProcessModel *m_processes;
    QTableView *m_processView;
};

} // namespace gpuwb
