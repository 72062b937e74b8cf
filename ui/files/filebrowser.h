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
// opened (openRequested). Rows can be dragged out, and Locations from another host (or local
// files onto a remote tree) dropped onto a folder: that asks for a copy (transferRequested).
// Every file operation runs through the FileSystem asynchronously;
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

    // Shows the header with the size, modified and permissions columns (a remote pane does;
    // the project tree shows names only).
    void setDetailsVisible(bool visible);
    // Offers "text" in the context menu for the selection: it asks to copy the selected
    // entries into the folder `target` returns (transferRequested); an empty text removes it.
    void setSendAction(const QString &text, std::function<Location()> target);

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
    QAction *sendAction() const { return m_send; }

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
    // Entries were dropped here from elsewhere, or sent with the send action: copy them into
    // `targetDir`. The browser copies nothing itself.
    void transferRequested(const QList<gpuwb::Location> &sources,
                           const gpuwb::Location &targetDir);

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
    QAction *m_send = nullptr;
    std::function<Location()> m_sendTarget;
    NamePrompt m_namePrompt;
    RemoveConfirmation m_removeConfirmation;
    Location m_revealTarget;
};

} // namespace gpuwb
