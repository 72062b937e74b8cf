#include "ui/jobs/jobfiltermodel.h"

#include "core/jobs/jobresult.h"
#include "ui/jobs/joblistmodel.h"

namespace gpuwb {

namespace {

JobFilterModel::StateFilter groupOf(JobState state)
{
    switch (state) {
    case JobState::Pending:
    case JobState::Running:
    case JobState::Stopping: return JobFilterModel::StateFilter::Active;
    case JobState::Succeeded: return JobFilterModel::StateFilter::Succeeded;
    case JobState::Failed:
    case JobState::FailedToStart:
    case JobState::Lost: return JobFilterModel::StateFilter::Failed;
    case JobState::Stopped: return JobFilterModel::StateFilter::Stopped;
    }
    return JobFilterModel::StateFilter::All;
}

} // namespace

JobFilterModel::JobFilterModel(QObject *parent) : QSortFilterProxyModel(parent)
{
    // A running job's state changes under the filter: rows come and go as it ends.
    setDynamicSortFilter(true);
}

void JobFilterModel::setTargetFilter(const QString &targetId)
{
    if (m_targetId == targetId)
        return;
    m_targetId = targetId;
    invalidateRowsFilter();
}

void JobFilterModel::setStateFilter(StateFilter filter)
{
    if (m_state == filter)
        return;
    m_state = filter;
    invalidateRowsFilter();
}

bool JobFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    const QModelIndex index = sourceModel()->index(sourceRow, 0, sourceParent);
    if (!m_targetId.isEmpty()
        && index.data(JobListModel::TargetIdRole).toString() != m_targetId)
        return false;
    if (m_state != StateFilter::All
        && groupOf(JobState(index.data(JobListModel::StateRole).toInt())) != m_state)
        return false;
    return true;
}

} // namespace gpuwb
