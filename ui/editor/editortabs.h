#pragma once

#include "core/fs/location.h"

#include <QHash>
#include <QSet>
#include <QWidget>

#include <functional>
#include <optional>

class QAction;
class QLabel;
class QTabWidget;

namespace gpuwb {

class CodeEditor;
class EditorDocument;
class FileSystem;
class FindBar;

// The editor area: one tab per open file (an EditorDocument) and the find bar under them.
// It opens files through a FileSystem, so local and remote files behave the same; it keeps a
// file open once, watches open files for changes on disk, asks before closing unsaved work,
// and offers its commands as QActions for the main window's menus. The FileSystems are
// borrowed. Prompts are replaceable functions so that tests never enter a modal loop.
// UI thread only.
class EditorTabs : public QWidget
{
    Q_OBJECT
public:
    enum class CloseChoice { Save, Discard, Cancel };
    // Asked for each document with unsaved changes that is about to close.
    using ClosePrompt = std::function<CloseChoice(const Location &location)>;
    // Asked for a line to go to (1-based); std::nullopt when cancelled.
    using LinePrompt = std::function<std::optional<int>(int currentLine, int lineCount)>;

    explicit EditorTabs(QWidget *parent = nullptr);
    ~EditorTabs() override;

    // Opens the file in a new tab (loading in the background) or focuses its existing tab.
    // A file that cannot be shown (binary, too large, unreadable) gets no tab: status() and
    // openFailed() say why.
    void openFile(FileSystem *fs, const Location &location);

    int count() const;
    int currentIndex() const;
    void setCurrentIndex(int index);
    int indexOf(const Location &location) const;
    EditorDocument *document(int index) const;
    EditorDocument *currentDocument() const;
    CodeEditor *currentEditor() const;
    Location currentLocation() const;
    QString tabTitle(int index) const;
    QString tabToolTip(int index) const;
    QTabWidget *tabWidget() const { return m_tabs; }
    FindBar *findBar() const { return m_findBar; }

    bool hasUnsavedChanges() const;
    // Saves the document at `index` (-1: the current one). Asynchronous: status() reports.
    void save(int index = -1);
    // Saves every document with unsaved changes.
    void saveAll();
    // Saves every document with unsaved changes at or below `folder`, then calls `done` once:
    // ok when every one of them was written, else the first failure's message (the edits stay
    // in the editor). Calls `done` at once when there is nothing to save.
    void saveModifiedInside(const Location &folder,
                            std::function<void(bool ok, const QString &message)> done);
    // A file or folder was renamed from `from` to `to` in `fs`: open documents at or below
    // `from` follow it, so that Save writes to the new place and not back to the old one.
    void relocate(FileSystem *fs, const Location &from, const Location &to);
    // Closes a tab, asking first when it has unsaved changes. Returns true when the tab is
    // gone now; after "Save" it closes once the save succeeded (false is returned).
    bool closeTab(int index);
    // For quitting: asks about every unsaved document, then closes everything. Returns true
    // when all tabs are closed now; false when the user cancelled (nothing closed), or when
    // saves are still running: closeAllFinished() follows then.
    bool closeAll();
    // Asks for a line (the line prompt) and moves the current editor there.
    void goToLine();

    void setClosePrompt(ClosePrompt prompt);
    void setLinePrompt(LinePrompt prompt);

    // Also in QWidget::actions(), with their shortcuts active in this window.
    QAction *saveAction() const { return m_saveAction; }
    QAction *saveAllAction() const { return m_saveAllAction; }
    QAction *closeTabAction() const { return m_closeTabAction; }
    QAction *findAction() const { return m_findAction; }
    QAction *replaceAction() const { return m_replaceAction; }
    QAction *findNextAction() const { return m_findNextAction; }
    QAction *findPreviousAction() const { return m_findPreviousAction; }
    QAction *goToLineAction() const { return m_goToLineAction; }

signals:
    void currentLocationChanged(const gpuwb::Location &location);
    void dirtyChanged(bool anyDirty);
    void status(const QString &message);
    void openFailed(const gpuwb::Location &location, const QString &message);
    // After closeAll() returned false with saves running: whether every tab is closed now.
    void closeAllFinished(bool allClosed);

private:
    void createActions();
    void updateTitle(EditorDocument *doc);
    void updateActions();
    void updateDirty();
    void onCurrentChanged();
    void onSaveFinished(EditorDocument *doc, bool ok);
    void removeDocument(EditorDocument *doc);
    void watch(FileSystem *fs, const Location &location);
    void unwatch(FileSystem *fs, const Location &location);
    void onDiskChanged(FileSystem *fs, const Location &location);
    CloseChoice defaultClosePrompt(const Location &location);
    std::optional<int> defaultLinePrompt(int currentLine, int lineCount);

    QTabWidget *m_tabs = nullptr;
    QLabel *m_emptyHint = nullptr;
    FindBar *m_findBar = nullptr;
    ClosePrompt m_closePrompt;
    LinePrompt m_linePrompt;
    // How often we asked each FileSystem to watch a location; it is told once per location.
    QHash<FileSystem *, QHash<Location, int>> m_watches;
    QSet<EditorDocument *> m_closeAfterSave;
    QSet<EditorDocument *> m_closeAllPending;
    bool m_closeAllFailed = false;
    bool m_anyDirty = false;

    QAction *m_saveAction = nullptr;
    QAction *m_saveAllAction = nullptr;
    QAction *m_closeTabAction = nullptr;
    QAction *m_findAction = nullptr;
    QAction *m_replaceAction = nullptr;
    QAction *m_findNextAction = nullptr;
    QAction *m_findPreviousAction = nullptr;
    QAction *m_goToLineAction = nullptr;
};

} // namespace gpuwb
