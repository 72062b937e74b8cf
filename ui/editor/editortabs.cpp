#include "ui/editor/editortabs.h"

#include "core/fs/filesystem.h"
#include "core/util/check.h"
#include "ui/editor/codeeditor.h"
#include "ui/editor/editordocument.h"
#include "ui/editor/findbar.h"

#include <QAction>
#include <QInputDialog>
#include <QMessageBox>
#include <QTabBar>
#include <QLabel>
#include <QPointer>
#include <QTabWidget>
#include <QVBoxLayout>

#include <array>
#include <memory>

using namespace Qt::StringLiterals;

namespace gpuwb {

EditorTabs::EditorTabs(QWidget *parent)
    : QWidget(parent), m_tabs(new QTabWidget(this)), m_findBar(new FindBar(this))
{
    setObjectName(u"editorTabs"_s);
    m_tabs->setObjectName(u"editorTabWidget"_s);
    m_tabs->setTabsClosable(true);
    m_tabs->setMovable(true);
    m_tabs->setDocumentMode(true);
    m_tabs->tabBar()->setElideMode(Qt::ElideMiddle);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    // With no file open, say how to open one instead of showing an empty frame.
    m_emptyHint = new QLabel(tr("Open a file from the Files panel (double-click), or a project "
                                "with File › Open Folder (Ctrl+O).\nPress F5 to run the project."),
                             this);
    m_emptyHint->setAlignment(Qt::AlignCenter);
    m_emptyHint->setWordWrap(true);
    m_emptyHint->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(m_emptyHint, 1);
    layout->addWidget(m_tabs, 1);
    layout->addWidget(m_findBar);
    m_tabs->hide();

    m_closePrompt = [this](const Location &location) { return defaultClosePrompt(location); };
    m_linePrompt = [this](int current, int count) { return defaultLinePrompt(current, count); };

    connect(m_tabs, &QTabWidget::currentChanged, this, &EditorTabs::onCurrentChanged);
    connect(m_tabs, &QTabWidget::currentChanged, this, [this] {
        const bool empty = m_tabs->count() == 0;
        m_emptyHint->setVisible(empty);
        m_tabs->setVisible(!empty);
    });
    connect(m_tabs, &QTabWidget::tabCloseRequested, this, [this](int index) { closeTab(index); });
    createActions();
    updateActions();
}

EditorTabs::~EditorTabs()
{
    // Leave the borrowed FileSystems without watches of ours.
    for (auto it = m_watches.cbegin(); it != m_watches.cend(); ++it) {
        for (auto loc = it.value().cbegin(); loc != it.value().cend(); ++loc)
            it.key()->unwatch(loc.key());
    }
}

void EditorTabs::createActions()
{
    const auto make = [this](const QString &text, const QKeySequence &key, auto slot) {
        auto *action = new QAction(text, this);
        action->setShortcut(key);
        connect(action, &QAction::triggered, this, slot);
        addAction(action);
        return action;
    };
    m_saveAction = make(tr("&Save"), QKeySequence::Save, [this] { save(); });
    m_saveAllAction = make(tr("Save A&ll"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S),
                           [this] { saveAll(); });
    m_closeTabAction = make(tr("&Close File"), QKeySequence::Close,
                            [this] { closeTab(currentIndex()); });
    m_findAction = make(tr("&Find\u2026"), QKeySequence::Find, [this] {
        m_findBar->setEditor(currentEditor());
        m_findBar->openFind();
    });
    m_replaceAction = make(tr("&Replace\u2026"), QKeySequence::Replace, [this] {
        m_findBar->setEditor(currentEditor());
        m_findBar->openReplace();
    });
    m_findNextAction = make(tr("Find &Next"), QKeySequence::FindNext,
                            [this] { m_findBar->findNext(); });
    m_findPreviousAction = make(tr("Find &Previous"), QKeySequence::FindPrevious,
                                [this] { m_findBar->findPrevious(); });
    m_goToLineAction = make(tr("&Go to Line\u2026"), QKeySequence(Qt::CTRL | Qt::Key_G),
                            [this] { goToLine(); });
}

void EditorTabs::setClosePrompt(ClosePrompt prompt)
{
    m_closePrompt = std::move(prompt);
}

void EditorTabs::setLinePrompt(LinePrompt prompt)
{
    m_linePrompt = std::move(prompt);
}

int EditorTabs::count() const { return m_tabs->count(); }
int EditorTabs::currentIndex() const { return m_tabs->currentIndex(); }
void EditorTabs::setCurrentIndex(int index) { m_tabs->setCurrentIndex(index); }
QString EditorTabs::tabTitle(int index) const { return m_tabs->tabText(index); }
QString EditorTabs::tabToolTip(int index) const { return m_tabs->tabToolTip(index); }

EditorDocument *EditorTabs::document(int index) const
{
    return qobject_cast<EditorDocument *>(m_tabs->widget(index));
}

EditorDocument *EditorTabs::currentDocument() const
{
    return document(m_tabs->currentIndex());
}

CodeEditor *EditorTabs::currentEditor() const
{
    EditorDocument *doc = currentDocument();
    return doc ? doc->editor() : nullptr;
}

Location EditorTabs::currentLocation() const
{
    EditorDocument *doc = currentDocument();
    return doc ? doc->location() : Location();
}

int EditorTabs::indexOf(const Location &location) const
{
    for (int i = 0; i < m_tabs->count(); ++i) {
        if (document(i) && document(i)->location() == location)
            return i;
    }
    return -1;
}

bool EditorTabs::hasUnsavedChanges() const
{
    for (int i = 0; i < m_tabs->count(); ++i) {
        if (document(i) && document(i)->isModified())
            return true;
    }
    return false;
}

void EditorTabs::openFile(FileSystem *fs, const Location &location)
{
    GPUWB_CHECK(fs && location.isValid(), return);
    const int existing = indexOf(location);
    if (existing >= 0) {
        m_tabs->setCurrentIndex(existing);
        return;
    }

    auto *doc = new EditorDocument(fs, location);
    connect(doc, &EditorDocument::loaded, this, [this, doc] {
        updateTitle(doc);
        updateActions();
    });
    connect(doc, &EditorDocument::loadFailed, this, [this, doc](const QString &message) {
        const Location where = doc->location();
        removeDocument(doc);
        emit status(message);
        emit openFailed(where, message);
    });
    connect(doc, &EditorDocument::modificationChanged, this, [this, doc] {
        updateTitle(doc);
        updateDirty();
        updateActions();
    });
    connect(doc, &EditorDocument::saveFinished, this,
            [this, doc](bool ok, const QString &) { onSaveFinished(doc, ok); });
    connect(doc, &EditorDocument::status, this, &EditorTabs::status);

    // Watch before reading, so that no change between the read and the watch goes unseen.
    // Keeping the watch across saves that rename over the file is the FileSystem's job.
    watch(fs, location);
    const int index = m_tabs->addTab(doc, location.fileName());
    updateTitle(doc);
    m_tabs->setCurrentIndex(index);
    doc->load();
}

void EditorTabs::updateTitle(EditorDocument *doc)
{
    const int index = m_tabs->indexOf(doc);
    if (index < 0)
        return;
    QString title = doc->location().fileName();
    if (doc->state() == EditorDocument::State::Loading)
        title = tr("%1 (Loading\u2026)").arg(title);
    if (doc->isModified())
        title = u"\u25cf "_s + title;
    m_tabs->setTabText(index, title);
    QString tip = doc->location().displayName();
    if (doc->isReadOnlyFile())
        tip += u"\n"_s + doc->readOnlyReason();
    m_tabs->setTabToolTip(index, tip);
}

void EditorTabs::updateDirty()
{
    const bool any = hasUnsavedChanges();
    if (any == m_anyDirty)
        return;
    m_anyDirty = any;
    emit dirtyChanged(any);
}

void EditorTabs::updateActions()
{
    EditorDocument *doc = currentDocument();
    const bool ready = doc && doc->state() == EditorDocument::State::Ready;
    m_saveAction->setEnabled(ready && !doc->isReadOnlyFile());
    m_saveAllAction->setEnabled(hasUnsavedChanges());
    m_closeTabAction->setEnabled(doc != nullptr);
    m_findAction->setEnabled(doc != nullptr);
    m_replaceAction->setEnabled(ready && !doc->isReadOnlyFile());
    m_findNextAction->setEnabled(doc != nullptr);
    m_findPreviousAction->setEnabled(doc != nullptr);
    m_goToLineAction->setEnabled(ready);
}

void EditorTabs::onCurrentChanged()
{
    m_findBar->setEditor(currentEditor());
    if (!currentEditor())
        m_findBar->hide();
    updateActions();
    emit currentLocationChanged(currentLocation());
}

void EditorTabs::save(int index)
{
    EditorDocument *doc = index < 0 ? currentDocument() : document(index);
    if (doc)
        doc->save();
}

void EditorTabs::saveAll()
{
    for (int i = 0; i < m_tabs->count(); ++i) {
        if (document(i) && document(i)->isModified())
            document(i)->save();
    }
}

void EditorTabs::saveModifiedInside(const Location &folder,
                                    std::function<void(bool ok, const QString &message)> done)
{
    QList<EditorDocument *> modified;
    for (int i = 0; i < m_tabs->count(); ++i) {
        EditorDocument *doc = document(i);
        if (doc && doc->isModified() && doc->location().isInside(folder))
            modified << doc;
    }
    if (modified.isEmpty()) {
        done(true, {});
        return;
    }
    struct Waiting
    {
        int left = 0;
        QString firstFailure;
        std::function<void(bool, const QString &)> done;
    };
    auto waiting = std::make_shared<Waiting>();
    waiting->left = int(modified.size());
    waiting->done = std::move(done);
    for (EditorDocument *doc : modified) {
        // One answer per document: its save finishing, or the document going away first.
        auto connections = std::make_shared<std::array<QMetaObject::Connection, 2>>();
        auto finish = [waiting, connections](bool ok, const QString &message) {
            for (const QMetaObject::Connection &c : *connections)
                QObject::disconnect(c);
            if (!ok && waiting->firstFailure.isEmpty())
                waiting->firstFailure = message;
            if (--waiting->left == 0)
                waiting->done(waiting->firstFailure.isEmpty(), waiting->firstFailure);
        };
        const QString name = doc->location().displayName();
        (*connections)[0] = connect(doc, &EditorDocument::saveFinished, this,
                                    [finish, doc](bool ok, const QString &message) {
                                        // Edits made while it was writing: the save that
                                        // follows at once holds them; wait for that one.
                                        if (ok && doc->isSaving())
                                            return;
                                        finish(ok, message);
                                    });
        (*connections)[1] = connect(doc, &QObject::destroyed, this, [finish, name] {
            finish(false, tr("\u201c%1\u201d was closed before it was saved.").arg(name));
        });
        doc->save();
    }
}

bool EditorTabs::closeTab(int index)
{
    EditorDocument *doc = document(index);
    if (!doc)
        return false;
    if (doc->isModified()) {
        m_tabs->setCurrentIndex(index);
        switch (m_closePrompt(doc->location())) {
        case CloseChoice::Cancel:
            return false;
        case CloseChoice::Save:
            m_closeAfterSave.insert(doc);
            doc->save();
            return m_tabs->indexOf(doc) < 0;
        case CloseChoice::Discard:
            break;
        }
    }
    removeDocument(doc);
    return true;
}

bool EditorTabs::closeAll()
{
    // Ask about everything first, so that Cancel leaves every tab as it was. The prompt runs
    // a nested event loop in which tabs can go away (a load failing): work on a snapshot of
    // guarded pointers, never on indices.
    QList<QPointer<EditorDocument>> open;
    for (int i = 0; i < m_tabs->count(); ++i)
        if (EditorDocument *doc = document(i))
            open.append(doc);
    QList<QPointer<EditorDocument>> toSave;
    QList<QPointer<EditorDocument>> toClose;
    for (const QPointer<EditorDocument> &doc : std::as_const(open)) {
        if (!doc)
            continue;
        if (!doc->isModified()) {
            toClose.append(doc);
            continue;
        }
        m_tabs->setCurrentWidget(doc);
        const CloseChoice choice = m_closePrompt(doc->location());
        if (!doc)
            continue;
        switch (choice) {
        case CloseChoice::Cancel:
            return false;
        case CloseChoice::Save:
            toSave.append(doc);
            break;
        case CloseChoice::Discard:
            toClose.append(doc);
            break;
        }
    }
    for (const QPointer<EditorDocument> &doc : std::as_const(toClose))
        if (doc)
            removeDocument(doc);
    m_closeAllFailed = false;
    for (const QPointer<EditorDocument> &doc : std::as_const(toSave)) {
        if (!doc)
            continue;
        m_closeAfterSave.insert(doc);
        m_closeAllPending.insert(doc);
    }
    for (const QPointer<EditorDocument> &doc : std::as_const(toSave))
        if (doc)
            doc->save();
    return m_closeAllPending.isEmpty() && m_tabs->count() == 0;
}

void EditorTabs::onSaveFinished(EditorDocument *doc, bool ok)
{
    updateTitle(doc);
    updateDirty();
    updateActions();
    if (!m_closeAfterSave.contains(doc) || doc->isSaving())
        return; // not closing, or a newer save of it is still running
    m_closeAfterSave.remove(doc);
    const bool closes = ok && !doc->isModified();
    const bool forCloseAll = m_closeAllPending.remove(doc);
    if (closes)
        removeDocument(doc);
    if (forCloseAll) {
        m_closeAllFailed = m_closeAllFailed || !closes;
        if (m_closeAllPending.isEmpty())
            emit closeAllFinished(!m_closeAllFailed && m_tabs->count() == 0);
    }
}

void EditorTabs::removeDocument(EditorDocument *doc)
{
    const int index = m_tabs->indexOf(doc);
    if (index < 0)
        return;
    // Its late callbacks must not reach us any more; it may be inside one of its signals.
    disconnect(doc, nullptr, this, nullptr);
    m_closeAfterSave.remove(doc);
    m_closeAllPending.remove(doc);
    if (FileSystem *fs = doc->fileSystem()) {
        unwatch(fs, doc->location());
    }
    if (m_findBar->editor() == doc->editor())
        m_findBar->setEditor(nullptr);
    m_tabs->removeTab(index);
    doc->hide();
    doc->deleteLater();
    updateDirty();
    updateActions();
}

void EditorTabs::relocate(FileSystem *fs, const Location &from, const Location &to)
{
    for (int i = 0; i < m_tabs->count(); ++i) {
        EditorDocument *doc = document(i);
        if (!doc || doc->fileSystem() != fs || !doc->location().isInside(from))
            continue;
        const QString relative = doc->location().relativeTo(from);
        const Location moved = relative == u"." ? to : to.child(relative);
        unwatch(fs, doc->location());
        doc->setLocation(moved);
        watch(fs, moved);
        updateTitle(doc);
        if (i == m_tabs->currentIndex())
            emit currentLocationChanged(moved);
    }
}

void EditorTabs::watch(FileSystem *fs, const Location &location)
{
    if (!m_watches.contains(fs)) {
        connect(fs, &FileSystem::changed, this,
                [this, fs](const Location &changed) { onDiskChanged(fs, changed); });
        connect(fs, &QObject::destroyed, this, [this, fs] { m_watches.remove(fs); });
    }
    int &count = m_watches[fs][location];
    if (count++ == 0)
        fs->watch(location);
}

void EditorTabs::unwatch(FileSystem *fs, const Location &location)
{
    auto it = m_watches.find(fs);
    if (it == m_watches.end())
        return;
    auto loc = it->find(location);
    if (loc == it->end())
        return;
    if (--loc.value() == 0) {
        it->erase(loc);
        fs->unwatch(location);
    }
}

void EditorTabs::onDiskChanged(FileSystem *fs, const Location &location)
{
    for (int i = 0; i < m_tabs->count(); ++i) {
        EditorDocument *doc = document(i);
        if (!doc || doc->fileSystem() != fs)
            continue;
        // Its folder changing (someone else watches it) costs a stat; the file itself a read.
        const bool direct = doc->location() == location;
        if (direct || doc->location().parent() == location)
            doc->diskChanged(direct);
    }
}

void EditorTabs::goToLine()
{
    CodeEditor *editor = currentEditor();
    EditorDocument *doc = currentDocument();
    if (!editor || doc->state() != EditorDocument::State::Ready)
        return;
    const std::optional<int> line = m_linePrompt(editor->currentLine(), editor->lineCount());
    if (!line)
        return;
    editor->goToLine(*line);
    editor->setFocus();
}

EditorTabs::CloseChoice EditorTabs::defaultClosePrompt(const Location &location)
{
    QMessageBox box(QMessageBox::Warning, tr("Unsaved Changes"),
                    tr("\u201c%1\u201d has unsaved changes. Save them before closing?")
                        .arg(location.fileName()),
                    QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, this);
    box.setInformativeText(location.displayName());
    box.setDefaultButton(QMessageBox::Save);
    switch (box.exec()) {
    case QMessageBox::Save: return CloseChoice::Save;
    case QMessageBox::Discard: return CloseChoice::Discard;
    default: return CloseChoice::Cancel;
    }
}

std::optional<int> EditorTabs::defaultLinePrompt(int currentLine, int lineCount)
{
    bool ok = false;
    const int line = QInputDialog::getInt(this, tr("Go to Line"),
                                          tr("Line (1\u2013%1):").arg(lineCount), currentLine, 1,
                                          lineCount, 1, &ok);
    return ok ? std::optional<int>(line) : std::nullopt;
}

} // namespace gpuwb
