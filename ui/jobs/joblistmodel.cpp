#include "ui/jobs/joblistmodel.h"

#include "core/jobs/jobmanager.h"
#include "core/targets/target.h"
#include "core/util/check.h"

#include <QLocale>
#include <QSet>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

QString stateText(JobState state)
{
    switch (state) {
    case JobState::Pending: return JobListModel::tr("Pending");
    case JobState::Running: return JobListModel::tr("Running");
    case JobState::Stopping: return JobListModel::tr("Stopping\u2026");
    case JobState::Succeeded: return JobListModel::tr("Succeeded");
    case JobState::Failed: return JobListModel::tr("Failed");
    case JobState::Stopped: return JobListModel::tr("Stopped");
    case JobState::FailedToStart: return JobListModel::tr("Failed to start");
    case JobState::Lost: return JobListModel::tr("Lost");
    }
    return {};
}

} // namespace

JobListModel::JobListModel(JobManager *manager, QObject *parent)
    : QAbstractTableModel(parent), m_manager(manager)
{
    m_ticker.setInterval(1000);
    connect(&m_ticker, &QTimer::timeout, this, &JobListModel::tick);
    GPUWB_CHECK(manager, return);
    if (JobHistory *history = manager->history()) {
        const QList<JobRecord> records = history->recent();
        for (const JobRecord &record : records)
            m_entries.append(Entry{record, nullptr});
    }
    // Jobs that started before this model: oldest first, so each lands on top of the older.
    const QList<Job *> jobs = manager->jobs();
    for (Job *job : jobs)
        addJob(job);
    connect(manager, &JobManager::jobStarted, this, &JobListModel::addJob);
    connect(manager, &JobManager::jobFinished, this,
            [this](Job *job, const JobResult &) { jobChanged(job); });
}

int JobListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_entries.size());
}

int JobListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

JobState JobListModel::stateOf(const Entry &entry) const
{
    return entry.job ? entry.job->state() : entry.record.state;
}

QVariant JobListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Entry &entry = m_entries.at(index.row());
    const JobRecord &record = entry.record;
    const JobState state = stateOf(entry);
    switch (role) {
    case JobIdRole: return record.id;
    case LogPathRole: return record.logPath;
    case StateRole: return int(state);
    case IsLiveRole: return !entry.job.isNull();
    case TargetIdRole: return record.spec.targetId;
    case Qt::ToolTipRole: {
        if (index.column() == GpuColumn) {
            QStringList lines;
            for (const JobGpuUse &use : m_gpuUses.value(record.id)) {
                QStringList pids;
                for (const qint64 pid : use.pids)
                    pids << QString::number(pid);
                lines << tr("GPU %1 · %2 · PID %3")
                             .arg(use.gpuIndex)
                             .arg(use.gpuName, pids.join(u", "_s));
            }
            return lines.join(u'\n');
        }
        QString tip = record.spec.command;
        if (!record.spec.workingDirectory.isEmpty())
            tip += u"\n"_s + tr("in %1").arg(record.spec.workingDirectory);
        if (!record.message.isEmpty())
            tip += u"\n"_s + record.message;
        return tip;
    }
    case Qt::TextAlignmentRole:
        if (index.column() == DurationColumn || index.column() == ExitCodeColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case Qt::DisplayRole:
        break;
    default:
        return {};
    }

    switch (index.column()) {
    case NameColumn:
        return record.spec.name.isEmpty() ? record.spec.command : record.spec.name;
    case StateColumn:
        return stateText(state);
    case TargetColumn:
        if (m_manager)
            if (Target *target = m_manager->target(record.spec.targetId))
                return target->displayName();
        return record.spec.targetId;
    case StartedColumn:
        return record.started.isValid()
            ? QLocale().toString(record.started.toLocalTime(), QLocale::ShortFormat)
            : QString();
    case DurationColumn: {
        if (!record.started.isValid())
            return QString();
        const QDateTime end = isFinal(state) ? record.finished : QDateTime::currentDateTimeUtc();
        if (!end.isValid())
            return QString();
        return formatDuration(record.started.msecsTo(end));
    }
    case ExitCodeColumn:
        return isFinal(state) && record.exitCode >= 0 ? QString::number(record.exitCode)
                                                      : QString();
    case GpuColumn:
        return formatGpuUses(m_gpuUses.value(record.id));
    }
    return {};
}

QVariant JobListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case NameColumn: return tr("Job");
    case StateColumn: return tr("State");
    case TargetColumn: return tr("Target");
    case StartedColumn: return tr("Started");
    case DurationColumn: return tr("Duration");
    case ExitCodeColumn: return tr("Exit");
    case GpuColumn: return tr("GPU");
    }
    return {};
}

void JobListModel::reloadHistory(int limit)
{
    beginResetModel();
    QList<Entry> live;
    for (const Entry &entry : std::as_const(m_entries))
        if (entry.job)
            live.append(entry);
    m_entries.clear();
    if (m_manager && m_manager->history()) {
        const QList<JobRecord> records = m_manager->history()->recent(limit);
        for (const JobRecord &record : records)
            m_entries.append(Entry{record, nullptr});
    }
    // Live jobs keep their up-to-date record; those the history does not list go on top.
    for (auto it = live.crbegin(); it != live.crend(); ++it) {
        const int row = rowOf(it->record.id);
        if (row >= 0)
            m_entries[row] = *it;
        else
            m_entries.prepend(*it);
    }
    endResetModel();
}

int JobListModel::rowOf(const QString &jobId) const
{
    for (int row = 0; row < m_entries.size(); ++row)
        if (m_entries.at(row).record.id == jobId)
            return row;
    return -1;
}

QStringList JobListModel::targetIds() const
{
    QStringList ids;
    for (const Entry &entry : m_entries)
        if (!ids.contains(entry.record.spec.targetId))
            ids.append(entry.record.spec.targetId);
    return ids;
}

Job *JobListModel::jobAt(int row) const
{
    GPUWB_CHECK(row >= 0 && row < m_entries.size(), return nullptr);
    return m_entries.at(row).job;
}

JobRecord JobListModel::recordAt(int row) const
{
    GPUWB_CHECK(row >= 0 && row < m_entries.size(), return {});
    JobRecord record = m_entries.at(row).record;
    record.state = stateOf(m_entries.at(row));
    return record;
}

void JobListModel::addJob(Job *job)
{
    GPUWB_CHECK(job, return);
    const int existing = rowOf(job->id());
    if (existing >= 0) {
        Entry &entry = m_entries[existing];
        if (entry.job == job)
            return;
        entry.job = job;
        watch(job);
        jobChanged(job);
        return;
    }
    JobRecord record;
    record.id = job->id();
    record.spec = job->spec();
    record.state = job->state();
    record.logPath = job->logPath();
    if (job->state() != JobState::Pending)
        record.started = QDateTime::currentDateTimeUtc();
    beginInsertRows({}, 0, 0);
    m_entries.prepend(Entry{record, job});
    endInsertRows();
    watch(job);
}

void JobListModel::watch(Job *job)
{
    connect(job, &Job::stateChanged, this, [this, job](JobState) { jobChanged(job); });
    connect(job, &Job::finished, this, [this, job](const JobResult &result) {
        const int row = rowOf(job->id());
        GPUWB_CHECK(row >= 0, return);
        m_entries[row].record.apply(result);
        emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
    });
    if (!isFinal(job->state()) && !m_ticker.isActive())
        m_ticker.start();
}

void JobListModel::jobChanged(Job *job)
{
    GPUWB_CHECK(job, return);
    const int row = rowOf(job->id());
    if (row < 0)
        return;
    JobRecord &record = m_entries[row].record;
    record.state = job->state();
    if (!record.started.isValid() && job->state() != JobState::Pending)
        record.started = QDateTime::currentDateTimeUtc();
    if (isFinal(record.state) && !record.finished.isValid())
        record.finished = QDateTime::currentDateTimeUtc();
    if (!isFinal(record.state) && !m_ticker.isActive())
        m_ticker.start();
    emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
}

void JobListModel::tick()
{
    // Only the durations of running jobs change with time.
    bool anyRunning = false;
    for (int row = 0; row < m_entries.size(); ++row) {
        const Entry &entry = m_entries.at(row);
        if (entry.job && !isFinal(entry.job->state())) {
            anyRunning = true;
            const QModelIndex cell = index(row, DurationColumn);
            emit dataChanged(cell, cell, {Qt::DisplayRole});
        }
    }
    if (!anyRunning)
        m_ticker.stop();
}

void JobListModel::setGpuUses(const QList<JobGpuUse> &uses)
{
    QHash<QString, QList<JobGpuUse>> next;
    for (const JobGpuUse &use : uses)
        next[use.jobId].append(use);
    for (QList<JobGpuUse> &list : next)
        std::sort(list.begin(), list.end(), [](const JobGpuUse &a, const JobGpuUse &b) {
            return a.gpuIndex < b.gpuIndex;
        });
    if (next == m_gpuUses)
        return;
    QSet<QString> touched;
    for (auto it = next.cbegin(); it != next.cend(); ++it)
        if (m_gpuUses.value(it.key()) != it.value())
            touched.insert(it.key());
    for (auto it = m_gpuUses.cbegin(); it != m_gpuUses.cend(); ++it)
        if (!next.contains(it.key()))
            touched.insert(it.key());
    m_gpuUses = std::move(next);
    for (const QString &jobId : std::as_const(touched)) {
        const int row = rowOf(jobId);
        if (row < 0)
            continue;
        const QModelIndex cell = index(row, GpuColumn);
        emit dataChanged(cell, cell, {Qt::DisplayRole, Qt::ToolTipRole});
    }
}

QString JobListModel::formatGpuUses(const QList<JobGpuUse> &uses)
{
    QStringList parts;
    for (const JobGpuUse &use : uses) {
        QString part = tr("GPU %1").arg(use.gpuIndex);
        if (use.memoryBytes > 0) {
            part += u" · "_s
                + tr("%1 GiB").arg(double(use.memoryBytes) / (1024.0 * 1024.0 * 1024.0), 0, 'f',
                                   1);
        }
        parts << part;
    }
    return parts.join(u", "_s);
}

QString JobListModel::formatDuration(qint64 ms)
{
    if (ms < 0)
        ms = 0;
    if (ms < 10'000)
        return tr("%1 s").arg(QLocale().toString(ms / 1000.0, 'f', 1));
    const qint64 s = ms / 1000;
    if (s < 60)
        return tr("%1 s").arg(s);
    if (s < 3600)
        return tr("%1 min %2 s").arg(s / 60).arg(s % 60, 2, 10, QChar(u'0'));
    return tr("%1 h %2 min").arg(s / 3600).arg((s / 60) % 60, 2, 10, QChar(u'0'));
}

} // namespace gpuwb
