#pragma once

#include "core/fs/filesystem.h"

#include <QHash>
#include <QSet>

class QFileSystemWatcher;
class QThreadPool;

namespace gpuwb {

// The files of this computer behind the FileSystem interface. Every operation runs on a
// thread pool this object owns and calls `done` queued on the thread of its context object,
// or not at all once that object is gone. Watching uses a QFileSystemWatcher that lives on
// this object's thread (normally the UI thread), which also emits changed(). Destroying this
// object waits for operations already running on its pool.
class LocalFileSystem : public FileSystem
{
    Q_OBJECT
public:
    explicit LocalFileSystem(QObject *parent = nullptr);
    ~LocalFileSystem() override;

    void list(const Location &dir, QObject *context, ListDone done) override;
    void stat(const Location &location, QObject *context, InfoDone done) override;
    void readFile(const Location &file, qint64 maxBytes, QObject *context, ReadDone done) override;
    void writeFile(const Location &file, const QByteArray &data, QObject *context,
                   Done done) override;
    void makeDirectory(const Location &dir, QObject *context, Done done) override;
    void createFile(const Location &file, QObject *context, Done done) override;
    void rename(const Location &from, const Location &to, QObject *context, Done done) override;
    void remove(const Location &location, QObject *context, Done done) override;

    // Watches are counted: a location is watched until unwatch() was called as often as
    // watch(). A watched file that is replaced by a rename (as editors and writeFile() save)
    // stays watched.
    void watch(const Location &location) override;
    void unwatch(const Location &location) override;

    // Blocks until no operation is running on the pool; for tests and shutdown only.
    void waitForIdle();

private:
    void onDirectoryChanged(const QString &path);
    void onFileChanged(const QString &path);
    // The watcher holds a path while anything needs it; these count the reasons.
    bool hold(const QString &path);
    void release(const QString &path);

    QThreadPool *m_pool = nullptr;
    QFileSystemWatcher *m_watcher = nullptr;
    // Paths callers asked to watch, with their counts.
    QHash<QString, int> m_requested;
    // Paths the watcher holds, with how many reasons there are (requests and lost files).
    QHash<QString, int> m_held;
    // Watched files whose watch lapsed because they were removed or renamed over; their parent
    // directory is held until they come back or are unwatched.
    QSet<QString> m_lostFiles;
};

} // namespace gpuwb
