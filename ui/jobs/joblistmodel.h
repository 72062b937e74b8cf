#pragma once

#include "core/jobs/jobhistory.h"
#include "core/telemetry/gpuattribution.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QPointer>
#include <QTimer>

namespace gpuwb {

class Job;
class JobManager;

// The jobs a person can look at: this session's jobs, live, and the earlier ones from the
// history, newest first. Live rows follow their Job's signals (a running job's duration ticks
// once a second); rows are inserted and changed, never reset, except by reloadHistory().
// Lives on the UI thread, like the JobManager it watches.
class JobListModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { NameColumn, StateColumn, TargetColumn, StartedColumn, DurationColumn,
                  ExitCodeColumn, GpuColumn, ColumnCount };
    enum Role {
        JobIdRole = Qt::UserRole + 1, // QString
        LogPathRole,                  // QString
        StateRole,                    // int (JobState)
        IsLiveRole,                   // bool: a Job of this session backs the row
        TargetIdRole,                 // QString: "local", "ssh:<alias>"
    };

    explicit JobListModel(JobManager *manager, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    // Reads the history again (a reset); live jobs stay.
    void reloadHistory(int limit = 500);

    int rowOf(const QString &jobId) const; // -1 when not listed
    // The target ids of the listed jobs, each once, in the order first met (newest first).
    QStringList targetIds() const;
    Job *jobAt(int row) const;             // nullptr for history rows
    JobRecord recordAt(int row) const;

    static QString formatDuration(qint64 ms);

    // The GPUs the running jobs use now (GpuAttribution::match over every host), shown in the
    // GPU column ("GPU 0 · 3.1 GiB"); jobs not listed use none. Only changed cells update.
    void setGpuUses(const QList<JobGpuUse> &uses);
    static QString formatGpuUses(const QList<JobGpuUse> &uses);

private:
    struct Entry
    {
        JobRecord record;
        QPointer<Job> job;
    };

    void addJob(Job *job);
    void watch(Job *job);
    void jobChanged(Job *job);
    void tick();
    JobState stateOf(const Entry &entry) const;

    JobManager *m_manager;
    QList<Entry> m_entries; // newest first
    QHash<QString, QList<JobGpuUse>> m_gpuUses; // job id -> its GPUs now
    QTimer m_ticker;
};

} // namespace gpuwb
