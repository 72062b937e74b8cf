#include "core/fs/localfileops.h"

#include "core/util/pathbytes.h"

#include <QFile>
#include <QLocale>
#include <QSaveFile>

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <vector>

using namespace Qt::StringLiterals;

namespace gpuwb::LocalFileOps {

namespace {

ErrorCode codeFor(int error)
{
    switch (error) {
    case EACCES:
    case EPERM: return ErrorCode::PermissionDenied;
    case ENOENT: return ErrorCode::NotFound;
    case EEXIST:
    case ENOTEMPTY: return ErrorCode::Exists;
    case ENOSPC:
    case EDQUOT: return ErrorCode::NoSpace;
    case EROFS: return ErrorCode::ReadOnly;
    case EISDIR: return ErrorCode::IsDirectory;
    case ENOTDIR: return ErrorCode::NotDirectory;
    case ENAMETOOLONG: return ErrorCode::NameTooLong;
    case EXDEV: return ErrorCode::CrossDevice;
    case ELOOP: return ErrorCode::SymlinkLoop;
    default: return ErrorCode::IoError;
    }
}

QString adviceFor(int error, const QString &path)
{
    switch (error) {
    case EACCES:
    case EPERM: return u"check the permissions of %1 and of the folders above it"_s.arg(path);
    case ENOENT: return u"check that it exists; it may have been moved or deleted"_s;
    case EEXIST:
    case ENOTEMPTY: return u"choose another name, or remove the existing one first"_s;
    case ENOSPC:
    case EDQUOT: return u"free some disk space and try again"_s;
    case EROFS: return u"the disk is mounted read-only; save somewhere else"_s;
    case EISDIR: return u"it is a folder; choose a file"_s;
    case ENOTDIR: return u"a part of the path is a file, not a folder; check the path"_s;
    case ENAMETOOLONG: return u"choose a shorter name"_s;
    case EXDEV: return u"it would cross to another disk; copy it and remove the original"_s;
    case ELOOP: return u"it is a symbolic link that points to itself; fix or remove the link"_s;
    default: return u"try again, and check the disk if it keeps failing"_s;
    }
}

Error notLocal(const Location &location)
{
    return Error{ErrorCode::NotLocal,
                 u"%1 is on host %2, not on this computer: open it through that host"_s.arg(
                     location.displayName(), location.host())};
}

// By bytes, so that a name that is not UTF-8 (kept as U+DC80+byte) is found again.
QByteArray nativePath(const Location &location)
{
    return toPathBytes(location.path());
}

QDateTime modifiedTime(const struct stat &st)
{
    return QDateTime::fromMSecsSinceEpoch(qint64(st.st_mtim.tv_sec) * 1000
                                          + st.st_mtim.tv_nsec / 1000000);
}

// `dirFd` and `name` as for fstatat(); `location` is what the entry is called for people.
std::optional<FileInfo> infoAt(int dirFd, const char *name, const Location &location, int *error)
{
    struct stat linkStat;
    if (::fstatat(dirFd, name, &linkStat, AT_SYMLINK_NOFOLLOW) != 0) {
        *error = errno;
        return std::nullopt;
    }
    struct stat st = linkStat;
    const bool isSymlink = S_ISLNK(linkStat.st_mode);
    // A dangling symlink is still shown, as what it is: a link to nothing.
    if (isSymlink && ::fstatat(dirFd, name, &st, 0) != 0)
        st = linkStat;
    FileInfo info;
    info.location = location;
    info.name = location.fileName();
    info.isDirectory = S_ISDIR(st.st_mode);
    info.isSymlink = isSymlink;
    info.size = info.isDirectory ? 0 : qint64(st.st_size);
    info.modified = modifiedTime(st);
    info.writable = ::faccessat(dirFd, name, W_OK, AT_EACCESS) == 0;
    info.permissions = quint32(st.st_mode & 07777);
    return info;
}

// Removes the directory `name` in `parentFd` and everything below it without following
// symlinks. Returns 0 or the errno of the first failure.
int removeTreeAt(int parentFd, const char *name)
{
    const int fd = ::openat(parentFd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno;
    DIR *dir = ::fdopendir(fd);
    if (!dir) {
        const int error = errno;
        ::close(fd);
        return error;
    }
    // Collect first: whether readdir() still returns every entry while the directory is being
    // emptied is unspecified.
    std::vector<QByteArray> names;
    while (const dirent *entry = ::readdir(dir)) {
        const QByteArray entryName(entry->d_name);
        if (entryName != "." && entryName != "..")
            names.push_back(entryName);
    }
    int error = 0;
    for (const QByteArray &entryName : names) {
        struct stat st;
        if (::fstatat(fd, entryName.constData(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT)
                continue;
            error = errno;
            break;
        }
        if (S_ISDIR(st.st_mode))
            error = removeTreeAt(fd, entryName.constData());
        else if (::unlinkat(fd, entryName.constData(), 0) != 0 && errno != ENOENT)
            error = errno;
        if (error)
            break;
    }
    ::closedir(dir);
    if (!error && ::unlinkat(parentFd, name, AT_REMOVEDIR) != 0)
        error = errno;
    return error;
}

} // namespace

int removeAbandonedTemporaries(const QByteArray &dir, qint64 quietSeconds)
{
    DIR *d = ::opendir(dir.isEmpty() ? "." : dir.constData());
    if (!d)
        return 0;
    const int dirFd = ::dirfd(d);
    const time_t quietSince = ::time(nullptr) - time_t(quietSeconds);
    int removed = 0;
    while (const dirent *e = ::readdir(d)) {
        const QByteArrayView name(e->d_name);
        if (!name.startsWith('.') || !name.contains(".gpuwb-") || !name.endsWith(".part"))
            continue;
        const int fd = ::openat(dirFd, e->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            continue;
        struct stat st {};
        struct stat now {};
        // Unlinked under the lock, and only while the name still is that file.
        if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == ::geteuid()
            && st.st_mtime < quietSince && ::flock(fd, LOCK_EX | LOCK_NB) == 0
            && ::fstatat(dirFd, e->d_name, &now, AT_SYMLINK_NOFOLLOW) == 0
            && now.st_dev == st.st_dev && now.st_ino == st.st_ino
            && ::unlinkat(dirFd, e->d_name, 0) == 0)
            ++removed;
        ::close(fd);
    }
    ::closedir(d);
    return removed;
}

Error errnoError(int error, const QString &doing, const Location &location)
{
    const QString path = location.displayName();
    const QString what = qt_error_string(error);
    return Error{codeFor(error),
                 u"%1 %2 %3: %4"_s.arg(what, doing, path, adviceFor(error, path))};
}

Result<QList<FileInfo>> list(const Location &dir)
{
    if (!dir.isLocal())
        return notLocal(dir);
    const int fd = ::open(nativePath(dir).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return errnoError(errno, u"listing"_s, dir);
    DIR *handle = ::fdopendir(fd);
    if (!handle) {
        const int error = errno;
        ::close(fd);
        return errnoError(error, u"listing"_s, dir);
    }
    QList<FileInfo> entries;
    errno = 0;
    while (const dirent *entry = ::readdir(handle)) {
        const char *name = entry->d_name;
        if (qstrcmp(name, ".") == 0 || qstrcmp(name, "..") == 0)
            continue;
        int error = 0;
        // An entry removed since readdir() saw it is simply not listed.
        if (auto info = infoAt(fd, name, dir.child(fromPathBytes(QByteArray(name))), &error))
            entries.append(*info);
        errno = 0;
    }
    const int readError = errno;
    ::closedir(handle);
    if (readError)
        return errnoError(readError, u"listing"_s, dir);
    return entries;
}

Result<FileInfo> stat(const Location &location)
{
    if (!location.isLocal())
        return notLocal(location);
    int error = 0;
    if (auto info = infoAt(AT_FDCWD, nativePath(location).constData(), location, &error))
        return *info;
    return errnoError(error, u"looking at"_s, location);
}

Result<QByteArray> readFile(const Location &file, qint64 maxBytes)
{
    if (!file.isLocal())
        return notLocal(file);
    const int fd = ::open(nativePath(file).constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errnoError(errno, u"reading"_s, file);
    auto tooLarge = [&](qint64 size) {
        const QLocale locale = QLocale::c();
        return Result<QByteArray>::failure(
            ErrorCode::TooLarge,
            u"%1 is %2, more than the %3 that can be opened here: open it with another tool"_s.arg(
                file.displayName(), locale.formattedDataSize(size),
                locale.formattedDataSize(maxBytes)));
    };
    struct stat st;
    if (::fstat(fd, &st) != 0) {
        const int error = errno;
        ::close(fd);
        return errnoError(error, u"reading"_s, file);
    }
    if (S_ISDIR(st.st_mode)) {
        ::close(fd);
        return errnoError(EISDIR, u"reading"_s, file);
    }
    if (st.st_size > maxBytes) {
        ::close(fd);
        return tooLarge(st.st_size);
    }
    // Read up to one byte past the limit: files in /proc and pipes report size 0 and the file
    // may grow while it is read.
    QByteArray data;
    data.resize(qMax<qint64>(st.st_size, 4096));
    qint64 used = 0;
    for (;;) {
        if (used > maxBytes) {
            ::close(fd);
            return tooLarge(used);
        }
        if (used == data.size())
            data.resize(qMin<qint64>(data.size() * 2, maxBytes + 1));
        const ssize_t n = ::read(fd, data.data() + used, size_t(data.size() - used));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            const int error = errno;
            ::close(fd);
            return errnoError(error, u"reading"_s, file);
        }
        if (n == 0)
            break;
        used += n;
    }
    ::close(fd);
    data.resize(used);
    return data;
}

Status writeFile(const Location &file, const QByteArray &data)
{
    if (!file.isLocal())
        return notLocal(file);
    // QSaveFile writes a temporary file next to the target and renames it over the target on
    // commit(), copying the target's permissions, so a failure half-way keeps the old contents.
    QSaveFile out(file.path());
    errno = 0;
    if (!out.open(QIODevice::WriteOnly)) {
        // QSaveFile refuses an existing read-only file without a system call failing.
        const int error = errno ? errno : EACCES;
        return errnoError(error, u"writing"_s, file);
    }
    errno = 0;
    if (out.write(data) != data.size()) {
        const int error = errno ? errno : EIO;
        out.cancelWriting();
        return errnoError(error, u"writing"_s, file);
    }
    errno = 0;
    if (!out.commit())
        return errnoError(errno ? errno : EIO, u"writing"_s, file);
    return {};
}

Status makeDirectory(const Location &dir)
{
    if (!dir.isLocal())
        return notLocal(dir);
    if (::mkdir(nativePath(dir).constData(), 0777) != 0)
        return errnoError(errno, u"creating the folder"_s, dir);
    return {};
}

Status createFile(const Location &file)
{
    if (!file.isLocal())
        return notLocal(file);
    const int fd = ::open(nativePath(file).constData(),
                          O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0)
        return errnoError(errno, u"creating"_s, file);
    ::close(fd);
    return {};
}

Status rename(const Location &from, const Location &to)
{
    if (!from.isLocal())
        return notLocal(from);
    if (!to.isLocal())
        return notLocal(to);
    const QByteArray source = nativePath(from);
    const QByteArray target = nativePath(to);
    const QString doing = u"renaming %1 to"_s.arg(from.displayName());
    if (::renameat2(AT_FDCWD, source.constData(), AT_FDCWD, target.constData(),
                    RENAME_NOREPLACE) == 0) {
        return {};
    }
    if (errno != EINVAL && errno != ENOSYS)
        return errnoError(errno, doing, to);
    // The file system cannot refuse to replace atomically; check first, accepting the race.
    struct stat st;
    if (::lstat(target.constData(), &st) == 0)
        return errnoError(EEXIST, doing, to);
    if (::rename(source.constData(), target.constData()) != 0)
        return errnoError(errno, doing, to);
    return {};
}

Status remove(const Location &location)
{
    if (!location.isLocal())
        return notLocal(location);
    const QByteArray path = nativePath(location);
    struct stat st;
    if (::lstat(path.constData(), &st) != 0)
        return errnoError(errno, u"removing"_s, location);
    if (S_ISDIR(st.st_mode)) {
        if (const int error = removeTreeAt(AT_FDCWD, path.constData()))
            return errnoError(error, u"removing"_s, location);
        return {};
    }
    if (::unlink(path.constData()) != 0)
        return errnoError(errno, u"removing"_s, location);
    return {};
}

} // namespace gpuwb::LocalFileOps
