#pragma once

#include "core/ssh/transfer.h"

#include <QAbstractItemModel>
#include <QHash>
#include <QPointer>

namespace gpuwb {

class TransferQueue;

// The transfers of a TransferQueue as a tree: one row per transfer (direction, what goes
// where, progress, speed, state) with one child row per file that failed. Rows follow the
// queue's added/removed signals and each transfer's progress; the model keeps its own copy of
// the file errors so that its rows always match what it announced. UI thread.
class TransferListModel : public QAbstractItemModel
{
    Q_OBJECT
public:
    enum Column { DirectionColumn, PathsColumn, ProgressColumn, SpeedColumn, StateColumn,
                  ColumnCount };
    enum Role {
        ProgressRole = Qt::UserRole + 1, // 0..100, or -1 while the size is not known
        TransferRole,                    // QVariant of Transfer* (transfer rows only)
    };

    explicit TransferListModel(TransferQueue *queue, QObject *parent = nullptr);

    Transfer *transfer(const QModelIndex &index) const; // the transfer of a row or its child
    QModelIndex indexOf(Transfer *transfer, int column = 0) const;
    // "Queued", "Running", "Done", "Cancelled", "Failed: ..." for people.
    static QString stateText(const Transfer *transfer);

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;

private:
    void add(Transfer *transfer);
    void remove(Transfer *transfer);
    void changed(Transfer *transfer);
    void addError(Transfer *transfer, const TransferFileError &error);
    QVariant transferData(const Transfer *transfer, int column, int role) const;

    QPointer<TransferQueue> m_queue;
    QList<Transfer *> m_rows;
    QHash<Transfer *, QList<TransferFileError>> m_errors;
};

} // namespace gpuwb
