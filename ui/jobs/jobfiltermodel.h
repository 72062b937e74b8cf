#pragma once

#include <QSortFilterProxyModel>

namespace gpuwb {

// The job list as the filters above it let through: one target (or all) and one kind of state
// (or all). Sits over a JobListModel and keeps its order (newest first). UI thread.
class JobFilterModel : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    // Groups of states a person filters by; a job is in exactly one.
    enum class StateFilter {
        All,
        Active,    // pending, running, stopping
        Succeeded,
        Failed,    // failed, failed to start, lost
        Stopped,
    };

    explicit JobFilterModel(QObject *parent = nullptr);

    // Empty: every target.
    void setTargetFilter(const QString &targetId);
    QString targetFilter() const { return m_targetId; }
    void setStateFilter(StateFilter filter);
    StateFilter stateFilter() const { return m_state; }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    QString m_targetId;
    StateFilter m_state = StateFilter::All;
};

} // namespace gpuwb
