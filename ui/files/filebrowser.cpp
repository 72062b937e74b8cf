#include "ui/files/filebrowser.h"

#include "ui/files/filetreemodel.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QStyle>
#include <QToolButton>
#include <QTreeView>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

std::optional<QString> askWithDialog(QWidget *parent, const QString &title, const QString &label,
                                     const QString &initial)
{
    bool ok = false;
    const QString text =
        QInputDialog::getText(parent, title, label, QLineEdit::Normal, initial, &ok);
    if (!ok)
        return std::nullopt;
    return text;
}

bool confirmWithDialog(QWidget *parent, const QString &question)
{
    QMessageBox box(QMessageBox::Warning, FileBrowser::tr("Delete"), question,
                    QMessageBox::Cancel, parent);
    QPushButton *remove = box.addButton(FileBrowser::tr("Delete"), QMessageBox::DestructiveRole);
    box.setDefaultButton(QMessageBox::Cancel);
    box.exec();
    return box.clickedButton() == remove;
}

QString quoted(const QString &name)
{
    QString shown = name;
    shown.replace(u'\n', QChar(0x2424));
    return u"“"_s + shown + u"”"_s;
}

} // namespace

FileBrowser::FileBrowser(QWidget *parent)
    : QWidget(parent)
    , m_model(new FileTreeModel(this))
    , m_view(new QTreeView(this))
{
    m_view->setModel(m_model);
    m_view->setHeaderHidden(true);
    m_view->setColumnHidden(FileTreeModel::SizeColumn, true);
    m_view->setColumnHidden(FileTreeModel::ModifiedColumn, true);
    m_view->setColumnHidden(FileTreeModel::PermissionsColumn, true);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setUniformRowHeights(true);
    m_view->setContextMenuPolicy(Qt::CustomContextMenu);
    m_view->setDragEnabled(true);
    m_view->setAcceptDrops(true);
    m_view->setDropIndicatorShown(true);
    m_view->setDragDropMode(QAbstractItemView::DragDrop);
    m_view->setDefaultDropAction(Qt::CopyAction);

    m_messageLabel = new QLabel(this);
    m_messageLabel->setWordWrap(true);
    m_messageLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *close = new QToolButton(this);
    close->setAutoRaise(true);
    close->setIcon(style()->standardIcon(QStyle::SP_TitleBarCloseButton));
    close->setToolTip(tr("Dismiss"));
    m_messageBar = new QWidget(this);
    auto *barLayout = new QHBoxLayout(m_messageBar);
    barLayout->setContentsMargins(4, 2, 2, 2);
    barLayout->addWidget(m_messageLabel, 1);
    barLayout->addWidget(close, 0, Qt::AlignTop);
    m_messageBar->setBackgroundRole(QPalette::ToolTipBase);
    m_messageBar->setAutoFillBackground(true);
    m_messageBar->hide();
    connect(close, &QToolButton::clicked, this, &FileBrowser::clearMessage);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(m_view, 1);
    layout->addWidget(m_messageBar);

    auto makeAction = [this](const QString &text, QStyle::StandardPixmap icon,
                             auto slot) {
        auto *action = new QAction(style()->standardIcon(icon), text, this);
        action->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        connect(action, &QAction::triggered, this, slot);
        addAction(action);
        return action;
    };
    m_newFile = makeAction(tr("New File…"), QStyle::SP_FileIcon, &FileBrowser::newFile);
    m_newFolder = makeAction(tr("New Folder…"), QStyle::SP_FileDialogNewFolder,
                             &FileBrowser::newFolder);
    m_rename = makeAction(tr("Rename…"), QStyle::SP_FileLinkIcon, &FileBrowser::renameCurrent);
    m_rename->setShortcut(Qt::Key_F2);
    m_remove = makeAction(tr("Delete…"), QStyle::SP_TrashIcon, &FileBrowser::removeSelected);
    m_remove->setShortcut(QKeySequence::Delete);
    m_copyPath = makeAction(tr("Copy Path"), QStyle::SP_DialogSaveButton, [this] {
        QStringList paths;
        for (const Location &location : selectedLocations())
            paths << location.displayName();
        if (!paths.isEmpty())
            QApplication::clipboard()->setText(paths.join(u'\n'));
    });
    m_refresh = makeAction(tr("Refresh"), QStyle::SP_BrowserReload, &FileBrowser::refresh);
    m_send = makeAction(QString(), QStyle::SP_ArrowRight, [this] {
        const QList<Location> sources = selectedLocations();
        const Location target = m_sendTarget ? m_sendTarget() : Location();
        if (sources.isEmpty())
            return;
        if (!target.isValid()) {
            showMessage(tr("There is no folder to copy to: open one in the other pane first."));
            return;
        }
        emit transferRequested(sources, target);
    });
    m_send->setVisible(false);
    // No shortcut: F5 (QKeySequence::Refresh on X11) is the workbench's Run.

    connect(m_view, &QTreeView::activated, this, [this](const QModelIndex &index) {
        if (index.isValid() && !m_model->isDirectory(index))
            emit openRequested(m_model->location(index));
    });
    connect(m_view, &QWidget::customContextMenuRequested, this, &FileBrowser::showContextMenu);
    connect(m_model, &FileTreeModel::errorOccurred, this,
            [this](const Error &error) { showMessage(error.message); });
    connect(m_model, &FileTreeModel::renamed, this, &FileBrowser::renamed);
    connect(m_model, &FileTreeModel::transferRequested, this, &FileBrowser::transferRequested);
    connect(m_model, &FileTreeModel::directoryLoaded, this, &FileBrowser::continueReveal);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &FileBrowser::updateActions);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentChanged, this,
            &FileBrowser::updateActions);
    updateActions();
}

FileBrowser::~FileBrowser() = default;

void FileBrowser::setRoot(FileSystem *fileSystem, const Location &root)
{
    m_revealTarget = {};
    clearMessage();
    m_model->setRoot(fileSystem, root);
    updateActions();
}

Location FileBrowser::root() const
{
    return m_model->root();
}

void FileBrowser::setDetailsVisible(bool visible)
{
    m_view->setHeaderHidden(!visible);
    for (int column : {FileTreeModel::SizeColumn, FileTreeModel::ModifiedColumn,
                       FileTreeModel::PermissionsColumn})
        m_view->setColumnHidden(column, !visible);
    if (visible) {
        // Fixed widths: sizing to contents would measure every row of a big folder.
        m_view->header()->setStretchLastSection(true);
        m_view->setColumnWidth(FileTreeModel::NameColumn, 200);
        m_view->setColumnWidth(FileTreeModel::SizeColumn, 80);
        m_view->setColumnWidth(FileTreeModel::ModifiedColumn, 130);
        m_view->setColumnWidth(FileTreeModel::PermissionsColumn, 90);
    }
}

void FileBrowser::setSendAction(const QString &text, std::function<Location()> target)
{
    m_send->setText(text);
    m_sendTarget = std::move(target);
    m_send->setVisible(!text.isEmpty());
    updateActions();
}

void FileBrowser::setNamePrompt(NamePrompt prompt)
{
    m_namePrompt = std::move(prompt);
}

void FileBrowser::setRemoveConfirmation(RemoveConfirmation confirmation)
{
    m_removeConfirmation = std::move(confirmation);
}

Location FileBrowser::currentLocation() const
{
    return m_model->location(m_view->currentIndex());
}

QList<Location> FileBrowser::selectedLocations() const
{
    QList<Location> all;
    for (const QModelIndex &index : m_view->selectionModel()->selectedRows())
        all << m_model->location(index);
    if (all.isEmpty() && m_view->currentIndex().isValid())
        all << currentLocation();
    QList<Location> result;
    for (const Location &location : std::as_const(all)) {
        const bool covered = std::any_of(all.cbegin(), all.cend(), [&](const Location &other) {
            return other != location && location.isInside(other);
        });
        if (!covered)
            result << location;
    }
    return result;
}

Location FileBrowser::targetDirectory() const
{
    // The view makes its first row current when it gets focus; only a row people selected
    // counts, otherwise new things go in the root.
    const QModelIndex current = m_view->currentIndex();
    if (!current.isValid() || !m_view->selectionModel()->isSelected(current))
        return root();
    const Location location = m_model->location(current);
    return m_model->isDirectory(current) ? location : location.parent();
}

QString FileBrowser::message() const
{
    return m_messageBar->isHidden() ? QString() : m_messageLabel->text();
}

void FileBrowser::showMessage(const QString &text)
{
    m_messageLabel->setText(text);
    m_messageBar->setVisible(!text.isEmpty());
}

void FileBrowser::clearMessage()
{
    m_messageLabel->clear();
    m_messageBar->hide();
}

void FileBrowser::newFile()
{
    createEntry(false);
}

void FileBrowser::newFolder()
{
    createEntry(true);
}

void FileBrowser::createEntry(bool directory)
{
    FileSystem *fs = m_model->fileSystem();
    const Location dir = targetDirectory();
    if (!fs || !dir.isValid())
        return;
    const QString title = directory ? tr("New Folder") : tr("New File");
    const QString label = directory ? tr("Name of the new folder in %1:").arg(dir.displayName())
                                    : tr("Name of the new file in %1:").arg(dir.displayName());
    const auto name = m_namePrompt ? m_namePrompt(title, label, QString())
                                   : askWithDialog(this, title, label, QString());
    if (!name)
        return;
    if (const QString problem = FileTreeModel::nameProblem(*name); !problem.isEmpty()) {
        showMessage(problem);
        return;
    }
    const Location target = dir.child(*name);
    auto done = [this, target, directory](Status status) {
        if (!status.ok()) {
            showMessage(status.errorMessage());
            return;
        }
        clearMessage();
        m_model->refresh(target.parent());
        reveal(target);
        emit created(target);
        if (!directory)
            emit openRequested(target);
    };
    if (directory)
        fs->makeDirectory(target, this, done);
    else
        fs->createFile(target, this, done);
}

void FileBrowser::renameCurrent()
{
    FileSystem *fs = m_model->fileSystem();
    const Location from = currentLocation();
    if (!fs || !from.isValid())
        return;
    const QString title = tr("Rename");
    const QString label = tr("New name for %1:").arg(quoted(from.fileName()));
    const auto name = m_namePrompt ? m_namePrompt(title, label, from.fileName())
                                   : askWithDialog(this, title, label, from.fileName());
    if (!name || *name == from.fileName())
        return;
    if (const QString problem = FileTreeModel::nameProblem(*name); !problem.isEmpty()) {
        showMessage(problem);
        return;
    }
    const Location to = from.parent().child(*name);
    fs->rename(from, to, this, [this, from, to](Status status) {
        m_model->refresh(from.parent());
        if (!status.ok()) {
            showMessage(status.errorMessage());
            return;
        }
        clearMessage();
        reveal(to);
        emit renamed(from, to);
    });
}

QString FileBrowser::describeForRemoval(const QList<Location> &locations) const
{
    auto isDir = [this](const Location &location) {
        return m_model->isDirectory(m_model->index(location));
    };
    if (locations.size() == 1) {
        const Location &only = locations.first();
        if (isDir(only)) {
            return tr("Delete the folder %1 and everything in it?\n\n%2\n\nThis cannot be undone.")
                .arg(quoted(only.fileName()), only.displayName());
        }
        return tr("Delete the file %1?\n\n%2\n\nThis cannot be undone.")
            .arg(quoted(only.fileName()), only.displayName());
    }
    QStringList lines;
    for (const Location &location : locations) {
        lines << (isDir(location) ? tr("• %1 (folder, with everything in it)")
                                  : tr("• %1"))
                     .arg(quoted(location.fileName()));
    }
    return tr("Delete these %1 items?\n\n%2\n\nThis cannot be undone.")
        .arg(locations.size())
        .arg(lines.join(u'\n'));
}

void FileBrowser::removeSelected()
{
    FileSystem *fs = m_model->fileSystem();
    const QList<Location> locations = selectedLocations();
    if (!fs || locations.isEmpty())
        return;
    // Never delete the project folder itself from here.
    if (locations.contains(root()))
        return;
    const QString question = describeForRemoval(locations);
    const bool confirmed = m_removeConfirmation ? m_removeConfirmation(question, locations)
                                                : confirmWithDialog(this, question);
    if (!confirmed)
        return;
    clearMessage();
    for (const Location &location : locations) {
        fs->remove(location, this, [this, location](Status status) {
            m_model->refresh(location.parent());
            if (!status.ok()) {
                showMessage(status.errorMessage());
                return;
            }
            emit removed(location);
        });
    }
}

void FileBrowser::refresh()
{
    clearMessage();
    const Location dir = targetDirectory();
    m_model->refresh(dir.isValid() ? dir : root());
    if (dir != root())
        m_model->refresh(root());
}

void FileBrowser::reveal(const Location &location)
{
    m_revealTarget = location;
    continueReveal();
}

void FileBrowser::continueReveal()
{
    const Location root = m_model->root();
    if (!m_revealTarget.isValid() || !root.isValid() || m_revealTarget == root
        || !m_revealTarget.isInside(root)) {
        m_revealTarget = {};
        return;
    }
    QList<Location> folders;
    for (Location dir = m_revealTarget.parent(); dir != root; dir = dir.parent())
        folders.prepend(dir);
    for (const Location &dir : std::as_const(folders)) {
        const QModelIndex index = m_model->index(dir);
        if (!index.isValid())
            return; // its folder is being listed; directoryLoaded() brings us back
        m_view->expand(index);
        if (!m_model->isLoaded(dir)) {
            if (m_model->canFetchMore(index))
                m_model->fetchMore(index);
            return;
        }
    }
    const QModelIndex target = m_model->index(m_revealTarget);
    if (!target.isValid())
        return; // not listed yet: wait for the next listing
    m_view->setCurrentIndex(target);
    m_view->scrollTo(target);
    m_revealTarget = {};
}

void FileBrowser::showContextMenu(const QPoint &pos)
{
    const QModelIndex index = m_view->indexAt(pos);
    if (!index.isValid())
        m_view->clearSelection();
    else if (!m_view->selectionModel()->isSelected(index))
        m_view->setCurrentIndex(index);
    updateActions();
    auto *menu = new QMenu(this);
    menu->setAttribute(Qt::WA_DeleteOnClose);
    menu->addAction(m_newFile);
    menu->addAction(m_newFolder);
    menu->addSeparator();
    menu->addAction(m_rename);
    menu->addAction(m_remove);
    menu->addAction(m_copyPath);
    if (m_send->isVisible()) {
        menu->addSeparator();
        menu->addAction(m_send);
    }
    menu->addSeparator();
    menu->addAction(m_refresh);
    menu->popup(m_view->viewport()->mapToGlobal(pos));
}

void FileBrowser::updateActions()
{
    const bool hasRoot = root().isValid();
    const bool hasSelection = hasRoot && !selectedLocations().isEmpty();
    m_newFile->setEnabled(hasRoot);
    m_newFolder->setEnabled(hasRoot);
    m_refresh->setEnabled(hasRoot);
    m_rename->setEnabled(hasRoot && m_view->currentIndex().isValid());
    m_remove->setEnabled(hasSelection);
    m_copyPath->setEnabled(hasSelection);
    m_send->setEnabled(hasSelection && m_sendTarget);
}

} // namespace gpuwb
