#pragma once

#include "core/fs/filesystem.h"

#include <QByteArray>
#include <QList>

namespace gpuwb::LocalFileOps {

// The blocking file operations behind LocalFileSystem, one function each. They work on any
// thread and touch no shared state, so LocalFileSystem runs them on its thread pool. They use
// the POSIX API directly so that names that are not valid UTF-8 can still be listed and removed,
// and so that errors can say precisely what went wrong (errno) and what to do about it.

Result<QList<FileInfo>> list(const Location &dir);
Result<FileInfo> stat(const Location &location);
Result<QByteArray> readFile(const Location &file, qint64 maxBytes);
Status writeFile(const Location &file, const QByteArray &data);
Status makeDirectory(const Location &dir);
Status createFile(const Location &file);
// Never replaces an existing target: fails with code "exists" instead.
Status rename(const Location &from, const Location &to);
// A file, a symlink (not what it points to), or a directory with everything in it.
Status remove(const Location &location);

// Removes from `dir` the temporaries of our interrupted downloads and saves
// (".NAME.gpuwb-XXXX.part"): regular files of this user, untouched for `quietSeconds`, that no
// one holds a lock on (a download in progress holds one, see SftpTransferJob). Returns how
// many went. Never follows links, never enters folders.
int removeAbandonedTemporaries(const QByteArray &dir, qint64 quietSeconds = 60);

// The error for a failed system call: code from errno ("permission-denied", "not-found", ...)
// and a message such as "Permission denied writing /x: check the file's permissions".
Error errnoError(int error, const QString &doing, const Location &location);

} // namespace gpuwb::LocalFileOps
