#pragma once

#include <QWidget>

class QAction;
class QTreeView;

namespace gpuwb {

class TransferListModel;
class TransferQueue;

// The "Transfers" dock's content: the transfers of a TransferQueue (a TransferListModel in a
// tree view, progress drawn as a bar, failed files as child rows and in the tooltip) with
// Cancel for the selected transfers and Clear finished. UI thread; borrows the queue.
class TransfersView : public QWidget
{
    Q_OBJECT
public:
    explicit TransfersView(TransferQueue *queue, QWidget *parent = nullptr);

    TransferListModel *model() const { return m_model; }
    QTreeView *view() const { return m_view; }
    QAction *cancelAction() const { return m_cancel; }
    QAction *clearFinishedAction() const { return m_clearFinished; }

    // Cancels the selected transfers that have not finished.
    void cancelSelected();
    void clearFinished();

private:
    void updateActions();

    TransferQueue *m_queue = nullptr;
    TransferListModel *m_model = nullptr;
    QTreeView *m_view = nullptr;
    QAction *m_cancel = nullptr;
    QAction *m_clearFinished = nullptr;
};

} // namespace gpuwb
