#pragma once

#include "core/fs/location.h"
#include "core/util/result.h"

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QObject>
#include <QPointer>

#include <functional>

namespace gpuwb {

struct FileInfo
{
    Location location;
    QString name;
    bool isDirectory = false;
    bool isSymlink = false;
    qint64 size = 0;
    QDateTime modified;
    bool writable = true;
    // POSIX permission bits (st_mode & 07777); 0 when the file system does not say.
    quint32 permissions = 0;
};

// Where files live (principle 1). Every operation is asynchronous: it returns at once and
// calls `done` later on the thread of `context`, and not at all when `context` is gone. A
// local implementation works on a thread pool; a remote one on its SSH session's thread. So
// the UI never waits on a disk or a network.
class FileSystem : public QObject
{
    Q_OBJECT
public:
    using ListDone = std::function<void(Result<QList<FileInfo>>)>;
    using InfoDone = std::function<void(Result<FileInfo>)>;
    using ReadDone = std::function<void(Result<QByteArray>)>;
    using Done = std::function<void(Status)>;

    using QObject::QObject;

    // Entries of a directory, without "." and "..", in no particular order.
    virtual void list(const Location &dir, QObject *context, ListDone done) = 0;
    virtual void stat(const Location &location, QObject *context, InfoDone done) = 0;
    // Fails with code "too-large" when the file is larger than maxBytes.
    virtual void readFile(const Location &file, qint64 maxBytes, QObject *context, ReadDone done) = 0;
    // Replaces the file atomically (write to a temporary file, then rename), so that a failure
    // half-way never loses the previous contents.
    virtual void writeFile(const Location &file, const QByteArray &data, QObject *context, Done done) = 0;
    virtual void makeDirectory(const Location &dir, QObject *context, Done done) = 0;
    // Creates an empty file; fails with code "exists" when there is one already.
    virtual void createFile(const Location &file, QObject *context, Done done) = 0;
    virtual void rename(const Location &from, const Location &to, QObject *context, Done done) = 0;
    // Removes a file, or a directory with everything in it.
    virtual void remove(const Location &location, QObject *context, Done done) = 0;

    // Start or stop reporting changes in a directory or a file through changed().
    virtual void watch(const Location &location) = 0;
    virtual void unwatch(const Location &location) = 0;

signals:
    // Something in the watched directory, or the watched file itself, changed.
    void changed(const gpuwb::Location &location);
};

} // namespace gpuwb
