#include "ui/gpu/gpuprocessmodel.h"

using namespace Qt::StringLiterals;

namespace gpuwb {

GpuProcessModel::GpuProcessModel(QObject *parent) : QAbstractTableModel(parent) {}

void GpuProcessModel::setProcesses(const QList<GpuProcess> &processes,
                                   const QStringList &jobNames)
{
    QStringList names = jobNames.mid(0, processes.size());
    while (names.size() < processes.size())
        names.append(QString());
    bool samePids = processes.size() == m_processes.size();
    for (qsizetype i = 0; samePids && i < processes.size(); ++i)
        samePids = processes[i].pid == m_processes[i].pid;
    if (!samePids) {
        beginResetModel();
        m_processes = processes;
        m_jobNames = names;
        endResetModel();
        return;
    }
    if (processes == m_processes && names == m_jobNames)
        return;
    m_processes = processes;
    m_jobNames = names;
    emit dataChanged(index(0, 0), index(int(m_processes.size()) - 1, ColumnCount - 1));
}

int GpuProcessModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_processes.size());
}

int GpuProcessModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant GpuProcessModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const GpuProcess &p = m_processes.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case PidColumn:
            return QString::number(p.pid);
        case NameColumn:
            return p.name.isEmpty() ? u"?"_s : p.name;
        case MemoryColumn:
            return p.usedMemoryBytes
                ? u"%1 MiB"_s.arg(double(*p.usedMemoryBytes) / (1024.0 * 1024.0), 0, 'f', 0)
                : u"n/a"_s;
        case JobColumn:
            return m_jobNames.at(index.row());
        }
        break;
    case SortRole:
        switch (index.column()) {
        case PidColumn:
            return p.pid;
        case NameColumn:
            return p.name;
        case MemoryColumn:
            return p.usedMemoryBytes ? QVariant(*p.usedMemoryBytes) : QVariant(qint64(-1));
        case JobColumn:
            return m_jobNames.at(index.row());
        }
        break;
    case Qt::ToolTipRole:
        if (index.column() == NameColumn)
            return p.name;
        if (index.column() == JobColumn)
            return m_jobNames.at(index.row());
        break;
    case Qt::TextAlignmentRole:
        if (index.column() == PidColumn || index.column() == MemoryColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        break;
    }
    return {};
}

QVariant GpuProcessModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case PidColumn:
        return u"PID"_s;
    case NameColumn:
        return u"Process"_s;
    case MemoryColumn:
        return u"GPU memory"_s;
    case JobColumn:
        return u"Job"_s;
    }
    return {};
}

} // namespace gpuwb
