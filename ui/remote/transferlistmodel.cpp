#include "ui/remote/transferlistmodel.h"

#include "core/ssh/transferqueue.h"

#include <QLocale>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace gpuwb {

TransferListModel::TransferListModel(TransferQueue *queue, QObject *parent)
    : QAbstractItemModel(parent)
    , m_queue(queue)
{
    if (!queue)
        return;
    for (Transfer *transfer : queue->transfers())
        add(transfer);
    connect(queue, &TransferQueue::added, this, &TransferListModel::add);
    connect(queue, &TransferQueue::removed, this, &TransferListModel::remove);
}

Transfer *TransferListModel::transfer(const QModelIndex &index) const
{
    if (!index.isValid() || index.model() != this)
        return nullptr;
    if (index.internalPointer())
        return static_cast<Transfer *>(index.internalPointer());
    return m_rows.value(index.row());
}

QModelIndex TransferListModel::indexOf(Transfer *transfer, int column) const
{
    const qsizetype row = m_rows.indexOf(transfer);
    return row < 0 ? QModelIndex() : createIndex(int(row), column, nullptr);
}

QString TransferListModel::stateText(const Transfer *transfer)
{
    if (transfer->isFinished()) {
        const Status status = transfer->status();
        if (status.ok()) {
            const auto errors = transfer->fileErrors().size();
            return errors == 0 ? tr("Done") : tr("Done, %n file(s) failed", nullptr, int(errors));
        }
        if (status.error().code == ErrorCode::Cancelled)
            return tr("Cancelled");
        return tr("Failed: %1").arg(status.errorMessage());
    }
    return transfer->isRunning() ? tr("Running") : tr("Queued");
}

QModelIndex TransferListModel::index(int row, int column, const QModelIndex &parent) const
{
    if (!hasIndex(row, column, parent))
        return {};
    if (!parent.isValid())
        return createIndex(row, column, nullptr);
    // Error rows point at their transfer, which stays put while rows around it come and go.
    return createIndex(row, column, m_rows.at(parent.row()));
}

QModelIndex TransferListModel::parent(const QModelIndex &child) const
{
    if (!child.isValid() || !child.internalPointer())
        return {};
    return indexOf(static_cast<Transfer *>(child.internalPointer()));
}

int TransferListModel::rowCount(const QModelIndex &parent) const
{
    if (!parent.isValid())
        return int(m_rows.size());
    if (parent.internalPointer() || parent.column() != 0)
        return 0;
    return int(m_errors.value(m_rows.value(parent.row())).size());
}

int TransferListModel::columnCount(const QModelIndex &) const
{
    return ColumnCount;
}

QVariant TransferListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    Transfer *owner = transfer(index);
    if (!owner)
        return {};
    if (!index.internalPointer())
        return transferData(owner, index.column(), role);
    const TransferFileError error = m_errors.value(owner).value(index.row());
    switch (role) {
    case Qt::DisplayRole:
        if (index.column() == PathsColumn)
            return error.path;
        if (index.column() == StateColumn)
            return error.message;
        return {};
    case Qt::ToolTipRole: return error.path + u": "_s + error.message;
    }
    return {};
}

QVariant TransferListModel::transferData(const Transfer *transfer, int column, int role) const
{
    const TransferProgress progress = transfer->progress();
    const bool upload = transfer->direction() == Transfer::Direction::Upload;
    int percent = -1;
    if (progress.bytesTotal > 0)
        percent = int(std::clamp<qint64>(progress.bytesDone * 100 / progress.bytesTotal, 0, 100));
    else if (transfer->isFinished() && transfer->status().ok())
        percent = 100;
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case DirectionColumn: return upload ? tr("Upload") : tr("Download");
        case PathsColumn:
            return transfer->source().displayName() + u" → "_s
                   + transfer->destination().displayName();
        case ProgressColumn:
            if (progress.bytesTotal <= 0)
                return percent < 0 ? QString() : u"100%"_s;
            return tr("%1 of %2").arg(QLocale().formattedDataSize(progress.bytesDone),
                                      QLocale().formattedDataSize(progress.bytesTotal));
        case SpeedColumn:
            if (!transfer->isRunning() || progress.bytesPerSecond <= 0)
                return QString();
            return tr("%1/s").arg(QLocale().formattedDataSize(qint64(progress.bytesPerSecond)));
        case StateColumn: return stateText(transfer);
        }
        return {};
    case Qt::ToolTipRole: {
        QStringList lines{transfer->source().displayName() + u" → "_s
                          + transfer->destination().displayName()};
        if (!progress.currentFile.isEmpty() && transfer->isRunning())
            lines << tr("Now: %1").arg(progress.currentFile);
        if (progress.filesTotal > 1)
            lines << tr("%1 of %2 files").arg(progress.filesDone).arg(progress.filesTotal);
        lines << stateText(transfer);
        for (const TransferFileError &error : m_errors.value(const_cast<Transfer *>(transfer)))
            lines << error.path + u": "_s + error.message;
        return lines.join(u'\n');
    }
    case ProgressRole: return percent;
    case TransferRole: return QVariant::fromValue(const_cast<Transfer *>(transfer));
    }
    return {};
}

QVariant TransferListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case DirectionColumn: return tr("Direction");
    case PathsColumn: return tr("Source → destination");
    case ProgressColumn: return tr("Progress");
    case SpeedColumn: return tr("Speed");
    case StateColumn: return tr("State");
    }
    return {};
}

Qt::ItemFlags TransferListModel::flags(const QModelIndex &index) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return Qt::NoItemFlags;
    Qt::ItemFlags result = Qt::ItemIsEnabled | Qt::ItemIsSelectable;
    if (index.internalPointer())
        result |= Qt::ItemNeverHasChildren;
    return result;
}

void TransferListModel::add(Transfer *transfer)
{
    if (!transfer || m_rows.contains(transfer))
        return;
    const int row = int(m_rows.size());
    beginInsertRows({}, row, row);
    m_rows.append(transfer);
    m_errors.insert(transfer, transfer->fileErrors());
    endInsertRows();
    connect(transfer, &Transfer::progressed, this, [this, transfer] { changed(transfer); });
    connect(transfer, &Transfer::finished, this, [this, transfer] { changed(transfer); });
    connect(transfer, &Transfer::fileFailed, this,
            [this, transfer](const TransferFileError &error) { addError(transfer, error); });
    // A transfer deleted without removed() (its queue going first) leaves no dangling row.
    connect(transfer, &QObject::destroyed, this, [this, transfer] { remove(transfer); });
}

void TransferListModel::remove(Transfer *transfer)
{
    const qsizetype row = m_rows.indexOf(transfer);
    if (row < 0)
        return;
    disconnect(transfer, nullptr, this, nullptr);
    beginRemoveRows({}, int(row), int(row));
    m_rows.removeAt(row);
    m_errors.remove(transfer);
    endRemoveRows();
}

void TransferListModel::changed(Transfer *transfer)
{
    const QModelIndex first = indexOf(transfer, 0);
    if (first.isValid())
        emit dataChanged(first, first.siblingAtColumn(ColumnCount - 1));
}

void TransferListModel::addError(Transfer *transfer, const TransferFileError &error)
{
    const QModelIndex parent = indexOf(transfer);
    if (!parent.isValid())
        return;
    auto &errors = m_errors[transfer];
    const int row = int(errors.size());
    beginInsertRows(parent, row, row);
    errors.append(error);
    endInsertRows();
    changed(transfer);
}

} // namespace gpuwb
