#include "ui/remote/transfersview.h"

#include "core/ssh/transferqueue.h"
#include "ui/remote/transferlistmodel.h"

#include <QAction>
#include <QApplication>
#include <QHeaderView>
#include <QPainter>
#include <QStyledItemDelegate>
#include <QToolBar>
#include <QTreeView>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

// Draws the progress column as a progress bar with the model's text on it.
class ProgressDelegate : public QStyledItemDelegate
{
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter *painter, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override
    {
        const QVariant percent = index.data(TransferListModel::ProgressRole);
        if (!percent.isValid()) {
            QStyledItemDelegate::paint(painter, option, index);
            return;
        }
        QStyleOptionProgressBar bar;
        bar.rect = option.rect.adjusted(2, 2, -2, -2);
        bar.minimum = 0;
        bar.maximum = percent.toInt() < 0 ? 0 : 100; // 0..0: busy, size not known yet
        bar.progress = qMax(0, percent.toInt());
        bar.text = index.data(Qt::DisplayRole).toString();
        bar.textVisible = true;
        bar.state = option.state | QStyle::State_Horizontal;
        bar.palette = option.palette;
        const QWidget *widget = option.widget;
        QStyle *style = widget ? widget->style() : QApplication::style();
        if (option.state & QStyle::State_Selected)
            painter->fillRect(option.rect, option.palette.highlight());
        style->drawControl(QStyle::CE_ProgressBar, &bar, painter, widget);
    }
};

} // namespace

TransfersView::TransfersView(TransferQueue *queue, QWidget *parent)
    : QWidget(parent)
    , m_queue(queue)
    , m_model(new TransferListModel(queue, this))
    , m_view(new QTreeView(this))
{
    m_view->setModel(m_model);
    m_view->setItemDelegateForColumn(TransferListModel::ProgressColumn,
                                     new ProgressDelegate(m_view));
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setUniformRowHeights(true);
    m_view->setAllColumnsShowFocus(true);
    m_view->header()->setStretchLastSection(true);
    m_view->header()->setSectionResizeMode(TransferListModel::PathsColumn,
                                           QHeaderView::Interactive);
    m_view->setColumnWidth(TransferListModel::DirectionColumn, 80);
    m_view->setColumnWidth(TransferListModel::PathsColumn, 380);
    m_view->setColumnWidth(TransferListModel::ProgressColumn, 160);
    m_view->setColumnWidth(TransferListModel::SpeedColumn, 90);

    auto *bar = new QToolBar(this);
    bar->setIconSize(QSize(16, 16));
    bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_cancel = bar->addAction(style()->standardIcon(QStyle::SP_DialogCancelButton), tr("Cancel"),
                              this, &TransfersView::cancelSelected);
    m_cancel->setToolTip(tr("Stop the selected transfers; files already copied stay"));
    m_clearFinished = bar->addAction(style()->standardIcon(QStyle::SP_DialogResetButton),
                                     tr("Clear Finished"), this, &TransfersView::clearFinished);
    m_clearFinished->setToolTip(
        tr("Remove finished, failed and cancelled transfers from the list"));

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(bar);
    layout->addWidget(m_view, 1);

    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &TransfersView::updateActions);
    connect(m_model, &QAbstractItemModel::dataChanged, this, &TransfersView::updateActions);
    connect(m_model, &QAbstractItemModel::rowsInserted, this, &TransfersView::updateActions);
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, &TransfersView::updateActions);
    updateActions();
}

void TransfersView::cancelSelected()
{
    QList<Transfer *> chosen;
    for (const QModelIndex &index : m_view->selectionModel()->selectedRows()) {
        Transfer *transfer = m_model->transfer(index);
        if (transfer && !transfer->isFinished() && !chosen.contains(transfer))
            chosen << transfer;
    }
    for (Transfer *transfer : std::as_const(chosen))
        transfer->cancel();
}

void TransfersView::clearFinished()
{
    if (m_queue)
        m_queue->clearFinished();
}

void TransfersView::updateActions()
{
    bool anySelectedRunning = false;
    for (const QModelIndex &index : m_view->selectionModel()->selectedRows()) {
        const Transfer *transfer = m_model->transfer(index);
        anySelectedRunning = anySelectedRunning || (transfer && !transfer->isFinished());
    }
    bool anyFinished = false;
    for (int row = 0; row < m_model->rowCount(); ++row) {
        const Transfer *transfer = m_model->transfer(m_model->index(row, 0));
        anyFinished = anyFinished || (transfer && transfer->isFinished());
    }
    m_cancel->setEnabled(anySelectedRunning);
    m_clearFinished->setEnabled(anyFinished);
}

} // namespace gpuwb
