#include "ui/editor/editordocument.h"

#include "core/util/logging.h"
#include "ui/editor/codeeditor.h"
#include "ui/editor/editorbanner.h"

#include <QPushButton>
#include <QScrollBar>
#include <QStringDecoder>
#include <QTextBlock>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

const QByteArray kUtf8Bom = QByteArrayLiteral("\xEF\xBB\xBF");

// The document's text exactly: QTextDocument::toPlainText() would turn no-break spaces into
// plain spaces, which must never happen to a file on save.
QString documentText(const QTextDocument *doc)
{
    QString text = doc->toRawText();
    text.replace(QChar::ParagraphSeparator, QLatin1Char('\n'));
    text.replace(QChar::LineSeparator, QLatin1Char('\n'));
    return text;
}

QString mib(qint64 bytes)
{
    return QString::number(double(bytes) / (1024.0 * 1024.0), 'f', 1);
}

} // namespace

EditorDocument::EditorDocument(FileSystem *fs, const Location &location, QWidget *parent)
    : QWidget(parent), m_fs(fs), m_location(location), m_editor(new CodeEditor(this))
{
    setObjectName(u"editorDocument"_s);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    m_banners = new QVBoxLayout;
    m_banners->setSpacing(0);
    layout->addLayout(m_banners);
    layout->addWidget(m_editor, 1);

    m_editor->setFileName(location.fileName());
    m_editor->setReadOnly(true);
    m_editor->setPlaceholderText(tr("Loading\u2026"));
    setFocusProxy(m_editor);
    connect(m_editor->document(), &QTextDocument::modificationChanged, this,
            &EditorDocument::modificationChanged);
}

EditorDocument::~EditorDocument() = default;

bool EditorDocument::isModified() const
{
    return m_state == State::Ready && m_editor->document()->isModified();
}

bool EditorDocument::decodeText(const QByteArray &bytes, QString *text, QString *why)
{
    if (bytes.left(kBinaryProbeBytes).contains('\0')) {
        *why = tr("it contains NUL bytes, so it looks like a binary file");
        return false;
    }
    QStringDecoder decoder(QStringDecoder::Utf8); // skips a leading byte order mark
    QString decoded = decoder(bytes);
    if (decoder.hasError()) {
        *why = tr("it is not valid UTF-8 text");
        return false;
    }
    decoded.replace(u"\r\n"_s, u"\n"_s);
    *text = std::move(decoded);
    return true;
}

void EditorDocument::load()
{
    m_state = State::Loading;
    m_editor->setReadOnly(true);
    if (!m_fs) {
        m_state = State::Failed;
        emit loadFailed(tr("Could not open \u201c%1\u201d: its file system is no longer "
                           "available. Reconnect and open it again.")
                            .arg(m_location.displayName()));
        return;
    }
    m_fs->readFile(m_location, kReadLimitBytes, this, [this](Result<QByteArray> result) {
        QString message;
        QString text;
        QString why;
        if (!result.ok()) {
            if (result.error().code == ErrorCode::TooLarge)
                message = tr("\u201c%1\u201d is larger than %2 MiB; GPU Workbench does not open "
                             "files this large. Use a pager or a dedicated viewer instead.")
                              .arg(m_location.displayName(), mib(kReadLimitBytes));
            else
                message = tr("Could not open \u201c%1\u201d: %2")
                              .arg(m_location.displayName(), result.errorMessage());
        } else if (!decodeText(result.value(), &text, &why)) {
            message = tr("\u201c%1\u201d was not opened: %2. The editor only opens UTF-8 "
                         "text files; the file was left untouched.")
                          .arg(m_location.displayName(), why);
        }
        if (!message.isEmpty()) {
            qCInfo(lcUi) << "editor refused" << m_location.displayName() << message;
            m_state = State::Failed;
            emit loadFailed(message);
            return;
        }
        applyContent(result.value(), true);
        m_state = State::Ready;
        refreshDiskInfo();
        emit loaded();
        runPendingCheck();
    });
}

void EditorDocument::applyContent(const QByteArray &bytes, bool initial)
{
    QString text;
    QString why;
    if (!decodeText(bytes, &text, &why))
        return; // callers check before
    m_diskBytes = bytes;
    m_bom = bytes.startsWith(kUtf8Bom);
    const qsizetype firstNewline = bytes.indexOf('\n');
    m_crlf = firstNewline > 0 && bytes.at(firstNewline - 1) == '\r';

    const bool tooLarge = bytes.size() > kReadOnlyAboveBytes;
    if (tooLarge) {
        m_readOnlyReason = tr("This file is %1 MiB, more than the %2 MiB the editor edits; it is "
                              "open read-only and without highlighting. Use another editor to "
                              "change it.")
                               .arg(mib(bytes.size()), mib(kReadOnlyAboveBytes));
        showBanner(u"readOnlyBanner"_s, int(EditorBanner::Kind::Info), m_readOnlyReason);
    } else {
        m_readOnlyReason.clear();
        removeBanner(u"readOnlyBanner"_s);
    }
    m_editor->setHighlightingEnabled(bytes.size() <= kHighlightUpToBytes);
    m_editor->setPlaceholderText({});

    QTextDocument *doc = m_editor->document();
    if (initial || tooLarge) {
        m_editor->setPlainText(text);
    } else if (text != documentText(doc)) {
        // A reload keeps the cursor and the scroll position, and can be undone.
        const int position = m_editor->textCursor().position();
        const int scroll = m_editor->verticalScrollBar()->value();
        QTextCursor cursor(doc);
        cursor.select(QTextCursor::Document);
        cursor.insertText(text);
        cursor.setPosition(std::min(position, doc->characterCount() - 1));
        m_editor->setTextCursor(cursor);
        m_editor->verticalScrollBar()->setValue(scroll);
    }
    doc->setModified(false);
    m_editor->setReadOnly(tooLarge);
}

QByteArray EditorDocument::encodedText() const
{
    QString text = documentText(m_editor->document());
    if (m_crlf)
        text.replace(QLatin1Char('\n'), u"\r\n"_s);
    QByteArray bytes = text.toUtf8();
    if (m_bom)
        bytes.prepend(kUtf8Bom);
    return bytes;
}

void EditorDocument::save()
{
    QString refusal;
    if (m_state != State::Ready)
        refusal = tr("\u201c%1\u201d is not loaded yet; try again in a moment.")
                      .arg(m_location.displayName());
    else if (isReadOnlyFile())
        refusal = tr("\u201c%1\u201d is open read-only: %2")
                      .arg(m_location.displayName(), m_readOnlyReason);
    else if (!m_fs)
        refusal = tr("Could not save \u201c%1\u201d: its file system is no longer available. "
                     "Your changes are still in the editor.")
                      .arg(m_location.displayName());
    if (!refusal.isEmpty()) {
        emit status(refusal);
        emit saveFinished(false, refusal);
        return;
    }
    if (m_saving) {
        // Two writes in flight could land in either order; the second waits for the first.
        m_saveAgain = true;
        return;
    }

    if (m_diskBytes.isNull()) { // new or deleted on disk: nothing there to overwrite
        write();
        return;
    }
    // A change on disk that the watcher has not reported yet must not be overwritten
    // silently: read what is there first, and save only over what was loaded.
    m_saving = true;
    m_fs->readFile(m_location, kReadLimitBytes, this, [this](Result<QByteArray> result) {
        m_saving = false;
        if (!result.ok() || result.value() == m_diskBytes) {
            write();
            return;
        }
        m_saveAgain = false;
        const QString message =
            tr("Not saved: \u201c%1\u201d changed on disk since it was loaded. Choose Reload or "
               "Keep mine above, then save again.")
                .arg(m_location.displayName());
        finishCheck(std::move(result));
        emit status(message);
        emit saveFinished(false, message);
    });
}

void EditorDocument::write()
{
    const QByteArray bytes = encodedText();
    const QString text = documentText(m_editor->document());
    m_saving = true;
    m_fs->writeFile(m_location, bytes, this, [this, bytes, text](Status result) {
        m_saving = false;
        QString message;
        if (result.ok()) {
            m_diskBytes = bytes;
            if (documentText(m_editor->document()) == text)
                m_editor->document()->setModified(false);
            removeBanner(u"saveErrorBanner"_s);
            removeBanner(u"diskChangedBanner"_s);
            removeBanner(u"diskDeletedBanner"_s);
            refreshDiskInfo();
            message = tr("Saved \u201c%1\u201d.").arg(m_location.displayName());
        } else {
            message = tr("Could not save \u201c%1\u201d: %2. Your changes are still in the "
                         "editor; fix the problem and save again.")
                          .arg(m_location.displayName(), result.errorMessage());
            showBanner(u"saveErrorBanner"_s, int(EditorBanner::Kind::Error), message);
        }
        emit status(message);
        if (m_saveAgain) {
            m_saveAgain = false;
            save();
        }
        emit saveFinished(result.ok(), message);
        runPendingCheck();
    });
}

void EditorDocument::refreshDiskInfo()
{
    if (!m_fs)
        return;
    m_fs->stat(m_location, this, [this](Result<FileInfo> info) {
        if (info.ok()) {
            m_diskSize = info->size;
            m_diskModified = info->modified;
        }
    });
}

void EditorDocument::diskChanged(bool direct)
{
    if (m_state == State::Failed)
        return;
    m_checkPending = true;
    m_pendingDirect = m_pendingDirect || direct;
    runPendingCheck();
}

void EditorDocument::runPendingCheck()
{
    if (!m_checkPending || m_state != State::Ready || m_saving || m_checking || !m_fs)
        return;
    const bool direct = m_pendingDirect;
    m_checkPending = false;
    m_pendingDirect = false;
    startCheck(direct);
}

void EditorDocument::startCheck(bool direct)
{
    m_checking = true;
    const auto read = [this] {
        m_fs->readFile(m_location, kReadLimitBytes, this,
                       [this](Result<QByteArray> result) { finishCheck(std::move(result)); });
    };
    if (direct) {
        read();
        return;
    }
    // Something else in the directory changed: a stat is enough to tell it was not us.
    m_fs->stat(m_location, this, [this, read](Result<FileInfo> info) {
        if (!m_fs) {
            m_checking = false;
            return;
        }
        if (info.ok() && info->size == m_diskSize && info->modified == m_diskModified) {
            m_checking = false;
            runPendingCheck();
            return;
        }
        read();
    });
}

void EditorDocument::finishCheck(Result<QByteArray> result)
{
    m_checking = false;
    if (!result.ok()) {
        // Gone, or unreadable now. The text stays; saving writes it back.
        if (!m_diskBytes.isNull() || m_diskSize >= 0) {
            showBanner(u"diskDeletedBanner"_s, int(EditorBanner::Kind::Warning),
                       tr("\u201c%1\u201d can no longer be read on disk (%2). Your text is "
                          "still here; save to write it back.")
                           .arg(m_location.displayName(), result.errorMessage()));
        }
        m_diskBytes = QByteArray();
        m_diskSize = -1;
        m_diskModified = {};
        runPendingCheck();
        return;
    }
    removeBanner(u"diskDeletedBanner"_s);
    const QByteArray bytes = std::move(result).value();
    if (bytes == m_diskBytes) {
        refreshDiskInfo();
        runPendingCheck();
        return;
    }
    QString text;
    QString why;
    if (!decodeText(bytes, &text, &why)) {
        showBanner(u"notTextBanner"_s, int(EditorBanner::Kind::Warning),
                   tr("\u201c%1\u201d changed on disk and is no longer text (%2). The editor "
                      "keeps the previous text; saving would overwrite the file.")
                       .arg(m_location.displayName(), why));
        m_diskBytes = bytes;
    } else if (!isModified()) {
        removeBanner(u"notTextBanner"_s);
        applyContent(bytes, false);
        emit status(tr("Reloaded \u201c%1\u201d: it changed on disk.")
                        .arg(m_location.displayName()));
    } else {
        removeBanner(u"notTextBanner"_s);
        m_changedBytes = bytes;
        showDiskChangedBanner();
    }
    refreshDiskInfo();
    runPendingCheck();
}

void EditorDocument::showDiskChangedBanner()
{
    const bool existed = banner(u"diskChangedBanner"_s) != nullptr;
    showBanner(u"diskChangedBanner"_s, int(EditorBanner::Kind::Warning),
               tr("\u201c%1\u201d changed on disk, and you have unsaved changes.")
                   .arg(m_location.displayName()));
    if (existed)
        return;
    EditorBanner *b = banner(u"diskChangedBanner"_s);
    QPushButton *reload = b->addButton(tr("Reload"), u"reloadButton"_s);
    reload->setToolTip(tr("Replace your text with the file on disk (undo brings it back)"));
    QPushButton *keep = b->addButton(tr("Keep mine"), u"keepMineButton"_s);
    keep->setToolTip(tr("Keep your text; saving will overwrite the file on disk"));
    connect(reload, &QPushButton::clicked, this, [this] {
        removeBanner(u"diskChangedBanner"_s);
        reloadFromDisk();
    });
    connect(keep, &QPushButton::clicked, this, [this] {
        removeBanner(u"diskChangedBanner"_s);
        // The disk content is acknowledged: the same change raises no banner again.
        m_diskBytes = m_changedBytes;
    });
}

void EditorDocument::reloadFromDisk()
{
    if (!m_fs || m_state != State::Ready)
        return;
    m_checking = true;
    m_fs->readFile(m_location, kReadLimitBytes, this, [this](Result<QByteArray> result) {
        m_checking = false;
        QString text;
        QString why;
        if (!result.ok()) {
            emit status(tr("Could not reload \u201c%1\u201d: %2")
                            .arg(m_location.displayName(), result.errorMessage()));
        } else if (!decodeText(result.value(), &text, &why)) {
            emit status(tr("Did not reload \u201c%1\u201d: %2.")
                            .arg(m_location.displayName(), why));
        } else {
            applyContent(result.value(), false);
            refreshDiskInfo();
        }
        runPendingCheck();
    });
}

EditorBanner *EditorDocument::banner(const QString &objectName) const
{
    return findChild<EditorBanner *>(objectName, Qt::FindDirectChildrenOnly);
}

void EditorDocument::showBanner(const QString &name, int kind, const QString &text)
{
    EditorBanner *b = banner(name);
    if (!b) {
        b = new EditorBanner(EditorBanner::Kind(kind), name, this);
        m_banners->addWidget(b);
    }
    b->setText(text);
}

void EditorDocument::removeBanner(const QString &name)
{
    EditorBanner *b = banner(name);
    if (!b)
        return;
    // Possibly called from one of its buttons: delete later, and unnamed so it is not found.
    b->setObjectName({});
    b->hide();
    b->deleteLater();
}

void EditorDocument::setLocation(const Location &location)
{
    m_location = location;
    m_editor->setFileName(location.fileName());
    // What was seen on disk may have been reported as deleted in between; check again.
    diskChanged(true);
}

} // namespace gpuwb
