#include "core/fs/localfilesystem.h"

#include "core/fs/localfileops.h"
#include "core/util/check.h"
#include "core/util/logging.h"

#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QMutex>
#include <QThreadPool>

#include <memory>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

// Whether the context object of one operation is still alive. The worker thread checks and
// posts under the mutex, while the context's destroyed() clears it under the same mutex; an
// event posted before that is dropped by ~QObject, so `done` never runs on a dead context.
struct ContextGuard
{
    QMutex mutex;
    QObject *context = nullptr;
    QMetaObject::Connection destroyedConnection;
};

template<typename R, typename Work>
void runAndDeliver(QThreadPool *pool, QObject *context, Work work, std::function<void(R)> done)
{
    GPUWB_CHECK(context, return);
    auto guard = std::make_shared<ContextGuard>();
    guard->context = context;
    guard->destroyedConnection = QObject::connect(
        context, &QObject::destroyed, context,
        [guard] {
            QMutexLocker lock(&guard->mutex);
            guard->context = nullptr;
        },
        Qt::DirectConnection);

    pool->start([guard, work = std::move(work), done = std::move(done)]() mutable {
        R result = work();
        QMutexLocker lock(&guard->mutex);
        if (!guard->context)
            return;
        QMetaObject::invokeMethod(
            guard->context,
            [guard, result = std::move(result), done = std::move(done)]() mutable {
                // Runs on the context's thread, so the context is alive here.
                QObject::disconnect(guard->destroyedConnection);
                if (done)
                    done(std::move(result));
            },
            Qt::QueuedConnection);
    });
}

} // namespace

LocalFileSystem::LocalFileSystem(QObject *parent)
    : FileSystem(parent)
    , m_pool(new QThreadPool(this))
    , m_watcher(new QFileSystemWatcher(this))
{
    // Disks serve a few requests in parallel well; more only queue inside the kernel.
    m_pool->setMaxThreadCount(4);
    m_pool->setObjectName(u"LocalFileSystem"_s);
    connect(m_watcher, &QFileSystemWatcher::directoryChanged, this,
            &LocalFileSystem::onDirectoryChanged);
    connect(m_watcher, &QFileSystemWatcher::fileChanged, this, &LocalFileSystem::onFileChanged);
}

LocalFileSystem::~LocalFileSystem()
{
    m_pool->waitForDone();
}

void LocalFileSystem::waitForIdle()
{
    m_pool->waitForDone();
}

void LocalFileSystem::list(const Location &dir, QObject *context, ListDone done)
{
    runAndDeliver<Result<QList<FileInfo>>>(
        m_pool, context, [dir] { return LocalFileOps::list(dir); }, std::move(done));
}

void LocalFileSystem::stat(const Location &location, QObject *context, InfoDone done)
{
    runAndDeliver<Result<FileInfo>>(m_pool, context,
                                    [location] { return LocalFileOps::stat(location); },
                                    std::move(done));
}

void LocalFileSystem::readFile(const Location &file, qint64 maxBytes, QObject *context,
                               ReadDone done)
{
    runAndDeliver<Result<QByteArray>>(
        m_pool, context, [file, maxBytes] { return LocalFileOps::readFile(file, maxBytes); },
        std::move(done));
}

void LocalFileSystem::writeFile(const Location &file, const QByteArray &data, QObject *context,
                                Done done)
{
    runAndDeliver<Status>(m_pool, context,
                          [file, data] { return LocalFileOps::writeFile(file, data); },
                          std::move(done));
}

void LocalFileSystem::makeDirectory(const Location &dir, QObject *context, Done done)
{
    runAndDeliver<Status>(m_pool, context, [dir] { return LocalFileOps::makeDirectory(dir); },
                          std::move(done));
}

void LocalFileSystem::createFile(const Location &file, QObject *context, Done done)
{
    runAndDeliver<Status>(m_pool, context, [file] { return LocalFileOps::createFile(file); },
                          std::move(done));
}

void LocalFileSystem::rename(const Location &from, const Location &to, QObject *context,
                             Done done)
{
    runAndDeliver<Status>(m_pool, context,
                          [from, to] { return LocalFileOps::rename(from, to); },
                          std::move(done));
}

void LocalFileSystem::remove(const Location &location, QObject *context, Done done)
{
    runAndDeliver<Status>(m_pool, context,
                          [location] { return LocalFileOps::remove(location); },
                          std::move(done));
}

// --- watching ------------------------------------------------------------------------------

bool LocalFileSystem::hold(const QString &path)
{
    int &count = m_held[path];
    if (count++ > 0)
        return true;
    if (m_watcher->addPath(path))
        return true;
    m_held.remove(path);
    return false;
}

void LocalFileSystem::release(const QString &path)
{
    auto it = m_held.find(path);
    if (it == m_held.end())
        return;
    if (--*it > 0)
        return;
    m_held.erase(it);
    m_watcher->removePath(path);
}

void LocalFileSystem::watch(const Location &location)
{
    if (!location.isLocal()) {
        qCWarning(lcFs) << "cannot watch a remote location locally:" << location.toString();
        return;
    }
    const QString path = location.path();
    if (m_requested[path]++ > 0)
        return;
    if (hold(path))
        return;
    // Not there (yet): wait for it to appear in its folder, as after a rename-replace.
    const QString parent = location.parent().path();
    if (parent != path && hold(parent))
        m_lostFiles.insert(path);
    else
        qCDebug(lcFs) << "cannot watch" << path;
}

void LocalFileSystem::unwatch(const Location &location)
{
    const QString path = location.path();
    auto it = m_requested.find(path);
    if (it == m_requested.end())
        return;
    if (--*it > 0)
        return;
    m_requested.erase(it);
    if (m_lostFiles.remove(path))
        release(location.parent().path());
    else
        release(path);
}

void LocalFileSystem::onDirectoryChanged(const QString &path)
{
    if (!m_watcher->directories().contains(path))
        m_held.remove(path); // the directory itself went away; the watcher dropped it
    if (m_requested.contains(path))
        emit changed(Location::local(path));

    const QSet<QString> lost = m_lostFiles;
    for (const QString &file : lost) {
        if (Location::local(file).parent().path() != path || !hold(file))
            continue;
        m_lostFiles.remove(file);
        release(path);
        emit changed(Location::local(file));
    }
}

void LocalFileSystem::onFileChanged(const QString &path)
{
    if (!m_requested.contains(path))
        return;
    if (!m_watcher->files().contains(path)) {
        // The watcher drops a file that was removed or renamed over. Editors save by writing
        // a new file and renaming it over the old one: the path usually exists again already.
        m_held.remove(path);
        if (!hold(path)) {
            const QString parent = Location::local(path).parent().path();
            if (hold(parent))
                m_lostFiles.insert(path);
        }
    }
    emit changed(Location::local(path));
}

} // namespace gpuwb
