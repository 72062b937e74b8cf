#pragma once

#include "core/fs/filesystem.h"
#include "core/fs/location.h"

#include <QPointer>
#include <QWidget>

class QVBoxLayout;

namespace gpuwb {

class CodeEditor;
class EditorBanner;

// One open file: the page of an editor tab. It owns the CodeEditor and the banners above it,
// and the state of the file: loading (read-only until the text is in), the bytes last read
// from or written to disk, saving, and reacting to changes on disk without ever losing the
// user's edits. Files are read and written only through the FileSystem, so a remote file
// behaves like a local one; the FileSystem is borrowed and may go away. UI thread only.
class EditorDocument : public QWidget
{
    Q_OBJECT
public:
    // Above this size a file opens read-only and unhighlighted, so that editing stays smooth.
    static constexpr qint64 kReadOnlyAboveBytes = 5 * 1024 * 1024;
    // Above this size highlighting is off: it runs over the whole text on the UI thread.
    static constexpr qint64 kHighlightUpToBytes = 2 * 1024 * 1024;
    // Above this size a file is not opened at all.
    static constexpr qint64 kReadLimitBytes = 50 * 1024 * 1024;
    // Binary detection looks for NUL bytes this far into the file.
    static constexpr qint64 kBinaryProbeBytes = 8 * 1024;

    enum class State { Loading, Ready, Failed };

    EditorDocument(FileSystem *fs, const Location &location, QWidget *parent = nullptr);
    ~EditorDocument() override;

    // Reads the file; emits loaded() or loadFailed() later.
    void load();
    // Writes the text; emits saveFinished() later. Does nothing while loading or read-only.
    void save();

    Location location() const { return m_location; }
    // The file was renamed or moved (by the workbench): follow it, keeping the text and its
    // unsaved changes.
    void setLocation(const Location &location);
    FileSystem *fileSystem() const { return m_fs; }
    CodeEditor *editor() const { return m_editor; }
    State state() const { return m_state; }
    bool isModified() const;
    bool isSaving() const { return m_saving; }
    // True for files too large to edit; readOnlyReason() says why, for people.
    bool isReadOnlyFile() const { return !m_readOnlyReason.isEmpty(); }
    QString readOnlyReason() const { return m_readOnlyReason; }
    // The banner with this object name ("diskChangedBanner", "saveErrorBanner",
    // "readOnlyBanner", "diskDeletedBanner"), or nullptr when it is not shown.
    EditorBanner *banner(const QString &objectName) const;

    // The FileSystem reported a change: of the file itself (`direct`) or of its directory.
    // The document finds out whether its content really changed and reloads or asks.
    void diskChanged(bool direct);

    // Text <-> bytes as they are stored: UTF-8, keeping a byte order mark and CRLF endings.
    // Returns false (and a message) for binary data or data that is not UTF-8.
    static bool decodeText(const QByteArray &bytes, QString *text, QString *why);

signals:
    void loaded();
    // The file cannot be shown (binary, too large, unreadable); the tab should go.
    void loadFailed(const QString &message);
    void modificationChanged(bool modified);
    void saveFinished(bool ok, const QString &message);
    void status(const QString &message);

private:
    void applyContent(const QByteArray &bytes, bool initial);
    QByteArray encodedText() const;
    void startCheck(bool direct);
    void finishCheck(Result<QByteArray> result);
    void write();
    void refreshDiskInfo();
    void reloadFromDisk();
    void showDiskChangedBanner();
    void showBanner(const QString &name, int kind, const QString &text);
    void removeBanner(const QString &name);
    void runPendingCheck();

    QPointer<FileSystem> m_fs;
    Location m_location;
    CodeEditor *m_editor = nullptr;
    QVBoxLayout *m_banners = nullptr;
    State m_state = State::Loading;
    QString m_readOnlyReason;

    // What the file on disk holds as far as we know: what we read or wrote last, or what the
    // user acknowledged with "Keep mine". Our own saves match it, so they raise no banner.
    QByteArray m_diskBytes;
    // The latest disk content while the "changed on disk" banner asks what to do.
    QByteArray m_changedBytes;
    qint64 m_diskSize = -1;
    QDateTime m_diskModified;
    bool m_crlf = false;
    bool m_bom = false;

    bool m_saving = false;
    bool m_saveAgain = false;
    bool m_checking = false;
    bool m_checkPending = false;
    bool m_pendingDirect = false;
};

} // namespace gpuwb
