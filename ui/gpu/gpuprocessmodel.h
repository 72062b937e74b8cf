#pragma once

#include "core/gpu/gpusample.h"

#include <QAbstractTableModel>
#include <QStringList>

namespace gpuwb {

// The processes on one GPU: pid, name, used memory and the workbench job each belongs to.
// Takes each tick's list whole (principle 4); when the same processes are still there only
// their cells change, so a selection in the view survives the tick. Lives on the UI thread.
class GpuProcessModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { PidColumn, NameColumn, MemoryColumn, JobColumn, ColumnCount };
    // The raw number (pid, bytes) for sorting; DisplayRole is text.
    static constexpr int SortRole = Qt::UserRole + 1;

    explicit GpuProcessModel(QObject *parent = nullptr);

    // jobNames[i] names the job of processes[i] (empty: none of the user's jobs); missing
    // entries count as empty.
    void setProcesses(const QList<GpuProcess> &processes, const QStringList &jobNames = {});
    const QList<GpuProcess> &processes() const { return m_processes; }
    const QStringList &jobNames() const { return m_jobNames; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    QList<GpuProcess> m_processes;
    QStringList m_jobNames; // as long as m_processes
};

} // namespace gpuwb
