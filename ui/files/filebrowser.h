#pragma once

#include "core/fs/filesystem.h"

#include <QPointer>
#include <QWidget>

#include <functional>
#include <optional>

class QAction;
class QLabel;
class QTreeView;

namespace gpuwb {

class FileTreeModel;

// The project's files as a tree (a FileTreeModel in a QTreeView) with the actions people use on
// them: new file, new folder, rename, delete (after a confirmation that names what goes),
// copy path and refresh, from a context menu and shortcuts. Activating a file asks for it to be
// opened (openRequested). Every file operation runs through the FileSystem asynchronously;
// failures appear in a message line at the bottom of the widget, never in a blocking box. The
// name prompt and the delete confirmation are hooks so that tests (and other front ends) can
// answer them. Lives on the UI thread; does not own the FileSystem.
class FileBrowser : public QWidget
{
    Q_OBJECT
public:
    // Asks for a name; std::nullopt when the person cancels.
    using NamePrompt = std::function<std::optional<QString>(
        const QString &title, const QString &label, const QString &initial)>;
    // Asks whether `locations` may be deleted; `question` says what will be deleted.
    using RemoveConfirmation =
        std::function<bool(const QString &question, const QList<Location> &locations)>;

    explicit FileBrowser(QWidget *parent = nullptr);
    ~FileBrowser() override;

    void setRoot(FileSystem *fileSystem, const Location &root);
    Location root() const;
    FileTreeModel *model() const { return m_model; }
    QTreeView *view() const { return m_view; }

    // Replace the dialogs (QInputDialog, QMessageBox) that ask people.
    void setNamePrompt(NamePrompt prompt);
    void setRemoveConfirmation(RemoveConfirmation confirmation);

    Location currentLocation() const;
    // Selected rows, without those inside a selected folder.
    QList<Location> selectedLocations() const;
    // Where new files go: the selected current folder, the folder of the selected current file,
    // or the root when nothing is selected.
    Location targetDirectory() const;
    // The message line's text; empty when it is hidden.
    QString message() const;

    QAction *newFileAction() const { return m_newFile; }
    QAction *newFolderAction() const { return m_newFolder; }
    QAction *renameAction() const { return m_rename; }
    QAction *removeAction() const { return m_remove; }
    QAction *copyPathAction() const { return m_copyPath; }
    QAction *refreshAction() const { return m_refresh; }

    void newFile();
    void newFolder();
    void renameCurrent();
    void removeSelected();
    void refresh();
    // Expands the folders above `location` (listing them as needed), then selects it.
    void reveal(const Location &location);
    void showMessage(const QString &text);
    void clearMessage();

signals:
    void openRequested(const gpuwb::Location &file);
    void created(const gpuwb::Location &location);
    void renamed(const gpuwb::Location &from, const gpuwb::Location &to);
    void removed(const gpuwb::Location &location);

private:
    void createEntry(bool directory);
    void continueReveal();
    void showContextMenu(const QPoint &pos);
    void updateActions();
    QString describeForRemoval(const QList<Location> &locations) const;

    FileTreeModel *m_model = nullptr;
    QTreeView *m_view = nullptr;
    QWidget *m_messageBar = nullptr;
    QLabel *m_messageLabel = nullptr;
    QAction *m_newFile = nullptr;
    QAction *m_newFolder = nullptr;
    QAction *m_rename = nullptr;
    QAction *m_remove = nullptr;
    QAction *m_copyPath = nullptr;
    QAction *m_refresh = nullptr;
    NamePrompt m_namePrompt;
    RemoveConfirmation m_removeConfirmation;
    Location m_revealTarget;
};

} // namespace gpuwb
