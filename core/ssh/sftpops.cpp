#include "core/ssh/sftpops.h"

#include "core/ssh/remotepath.h"

#include <QHash>
#include <QLocale>
#include <QRandomGenerator>

#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include <fcntl.h>
#include <sys/stat.h>

#include <memory>

using namespace Qt::StringLiterals;

namespace gpuwb::SftpOps {

namespace {

struct AttributesDeleter
{
    void operator()(sftp_attributes a) const { sftp_attributes_free(a); }
};
using Attributes = std::unique_ptr<sftp_attributes_struct, AttributesDeleter>;

// Per sftp session: its features and who we are on the server, asked once. Only the owner
// thread of a session touches it, so a thread-local cache needs no lock.
struct SessionInfo
{
    Features features;
    bool haveIdentity = false;
    quint32 uid = 0;
    quint32 gid = 0;
};

SessionInfo &sessionInfo(Sftp sftp)
{
    thread_local QHash<Sftp, SessionInfo> cache;
    auto it = cache.find(sftp);
    if (it != cache.end())
        return *it;
    if (cache.size() > 16) // sessions come and go on reconnect; never let this grow
        cache.clear();
    SessionInfo info;
    info.features.posixRename = sftp_extension_supported(sftp, "posix-rename@openssh.com", "1");
    info.features.fsync = sftp_extension_supported(sftp, "fsync@openssh.com", "1");
    if (sftp_extension_supported(sftp, "limits@openssh.com", "1")) {
        if (sftp_limits_t limits = sftp_limits(sftp)) {
            if (limits->max_read_length > 0)
                info.features.maxReadLength = limits->max_read_length;
            if (limits->max_write_length > 0)
                info.features.maxWriteLength = limits->max_write_length;
            sftp_limits_free(limits);
        }
    }
    // Our uid and gid on the server, from the home directory we land in, for `writable`.
    if (Attributes home{sftp_stat(sftp, ".")}) {
        if (home->flags & SSH_FILEXFER_ATTR_UIDGID) {
            info.haveIdentity = true;
            info.uid = home->uid;
            info.gid = home->gid;
        }
    }
    return *cache.insert(sftp, info);
}

bool connectionLost(Sftp sftp)
{
    return !ssh_is_connected(sftp->session) || !ssh_channel_is_open(sftp->channel)
           || ssh_channel_is_eof(sftp->channel);
}

QByteArray bytesOf(const Location &location)
{
    return toRemoteBytes(location.path());
}

ErrorCode codeFor(int status)
{
    switch (status) {
    case SSH_FX_NO_SUCH_FILE:
    case SSH_FX_NO_SUCH_PATH: return ErrorCode::NotFound;
    case SSH_FX_PERMISSION_DENIED:
    case SSH_FX_WRITE_PROTECT: return ErrorCode::PermissionDenied;
    case SSH_FX_FILE_ALREADY_EXISTS: return ErrorCode::Exists;
    case SSH_FX_OP_UNSUPPORTED: return ErrorCode::Unsupported;
    case SSH_FX_NO_CONNECTION:
    case SSH_FX_CONNECTION_LOST: return ErrorCode::ConnectionLost;
    default: return ErrorCode::IoError;
    }
}

QString adviceFor(ErrorCode code, const QString &path)
{
    if (code == ErrorCode::NotFound)
        return u"check that it exists; it may have been moved or deleted"_s;
    if (code == ErrorCode::PermissionDenied)
        return u"check the permissions of %1 and of the folders above it on the host"_s.arg(path);
    if (code == ErrorCode::Exists)
        return u"choose another name, or remove the existing one first"_s;
    if (code == ErrorCode::Unsupported)
        return u"the host's SFTP server cannot do this; do it in a terminal on the host"_s;
    if (code == ErrorCode::ConnectionLost)
        return u"the connection to the host was lost; try again once it is back"_s;
    return u"try again, and check the host's disk if it keeps failing"_s;
}

QString describe(ErrorCode code)
{
    if (code == ErrorCode::NotFound)
        return u"No such file or folder"_s;
    if (code == ErrorCode::PermissionDenied)
        return u"Permission denied"_s;
    if (code == ErrorCode::Exists)
        return u"It already exists"_s;
    if (code == ErrorCode::Unsupported)
        return u"Not supported by the server"_s;
    if (code == ErrorCode::ConnectionLost)
        return u"Connection lost"_s;
    return u"The server failed"_s;
}

Error makeError(ErrorCode code, const QString &doing, const Location &location,
                const QString &detail = {})
{
    const QString path = location.displayName();
    QString message = u"%1 %2 %3"_s.arg(describe(code), doing, path);
    if (!detail.isEmpty())
        message += u" (%1)"_s.arg(detail);
    return Error{code, message + u": "_s + adviceFor(code, path)};
}

bool exists(Sftp sftp, const QByteArray &path)
{
    Attributes a{sftp_lstat(sftp, path.constData())};
    return bool(a);
}

// Writes all of `data` to an open file with several writes in flight.
Status writeAll(Sftp sftp, sftp_file file, const QByteArray &data, const Location &location)
{
    const qint64 chunk = qint64(features(sftp).maxWriteLength);
    constexpr int InFlight = 16;
    sftp_aio pending[InFlight] = {};
    int head = 0;
    int count = 0;
    qint64 offset = 0;
    bool failed = false;
    while (!failed && (offset < data.size() || count > 0)) {
        while (!failed && count < InFlight && offset < data.size()) {
            const qint64 len = qMin(chunk, data.size() - offset);
            sftp_aio aio = nullptr;
            const ssize_t n = sftp_aio_begin_write(file, data.constData() + offset, size_t(len),
                                                   &aio);
            if (n <= 0) {
                failed = true;
                break;
            }
            pending[(head + count) % InFlight] = aio;
            ++count;
            offset += n;
        }
        if (count == 0)
            break;
        if (sftp_aio_wait_write(&pending[head]) < 0)
            failed = true;
        pending[head] = nullptr;
        head = (head + 1) % InFlight;
        --count;
    }
    if (failed) {
        const Error error = lastError(sftp, u"writing"_s, location);
        // Collect the answers still due so that libssh frees them.
        while (count > 0) {
            if (!connectionLost(sftp))
                (void)sftp_aio_wait_write(&pending[head]);
            else
                sftp_aio_free(pending[head]);
            head = (head + 1) % InFlight;
            --count;
        }
        return error;
    }
    return {};
}

} // namespace

Features features(Sftp sftp)
{
    return sessionInfo(sftp).features;
}

Error lastError(Sftp sftp, const QString &doing, const Location &location)
{
    if (connectionLost(sftp))
        return makeError(ErrorCode::ConnectionLost, doing, location);
    const int status = sftp_get_error(sftp);
    const ErrorCode code = codeFor(status);
    QString detail;
    if (code == ErrorCode::IoError) {
        // The server's own words are the best hint for a generic failure.
        detail = QString::fromUtf8(ssh_get_error(sftp->session));
    }
    return makeError(code, doing, location, detail);
}

FileInfo infoFromAttributes(Sftp sftp, const sftp_attributes_struct *a, const Location &location)
{
    FileInfo info;
    info.location = location;
    info.name = location.fileName();
    info.isDirectory = isDirectoryType(a);
    info.isSymlink = isSymlinkType(a);
    info.size = info.isDirectory ? 0 : qint64(a->size);
    if (a->flags & SSH_FILEXFER_ATTR_ACMODTIME) {
        const qint64 seconds = sftp->version >= 4 ? qint64(a->mtime64) : qint64(a->mtime);
        info.modified = QDateTime::fromSecsSinceEpoch(seconds);
    }
    if (a->flags & SSH_FILEXFER_ATTR_PERMISSIONS) {
        info.permissions = a->permissions & 07777;
        // Writable as the server would decide for our uid and primary gid; supplementary
        // groups and ACLs are not visible over SFTP, so this is an approximation.
        const SessionInfo &me = sessionInfo(sftp);
        if (!me.haveIdentity || !(a->flags & SSH_FILEXFER_ATTR_UIDGID))
            info.writable = a->permissions & 0222;
        else if (me.uid == 0)
            info.writable = true;
        else if (a->uid == me.uid)
            info.writable = a->permissions & 0200;
        else if (a->gid == me.gid)
            info.writable = a->permissions & 0020;
        else
            info.writable = a->permissions & 0002;
    }
    return info;
}

Result<QList<FileInfo>> readDirectory(Sftp sftp, const Location &dir)
{
    const QByteArray path = bytesOf(dir);
    sftp_dir handle = sftp_opendir(sftp, path.constData());
    if (!handle)
        return lastError(sftp, u"listing"_s, dir);
    QList<FileInfo> entries;
    QList<qsizetype> links;
    while (sftp_attributes a = sftp_readdir(sftp, handle)) {
        Attributes entry{a};
        const QByteArray name(entry->name ? entry->name : "");
        if (name.isEmpty() || name == "." || name == "..")
            continue;
        if (!isSafeRemoteName(name)) // from the server: never a path (principle 14)
            continue;
        FileInfo info = infoFromAttributes(sftp, entry.get(),
                                           dir.child(fromRemoteBytes(name)));
        if (info.isSymlink)
            links.append(entries.size());
        entries.append(std::move(info));
    }
    const bool complete = sftp_dir_eof(handle);
    Error error;
    if (!complete)
        error = lastError(sftp, u"listing"_s, dir);
    sftp_closedir(handle);
    if (!complete)
        return error;
    // The server lists with lstat; only links need a second look to see what they point to.
    for (qsizetype index : links) {
        FileInfo &info = entries[index];
        if (Attributes target{sftp_stat(sftp, bytesOf(info.location).constData())}) {
            FileInfo resolved = infoFromAttributes(sftp, target.get(), info.location);
            resolved.isSymlink = true;
            info = resolved;
        }
    }
    return entries;
}

Result<FileInfo> statPath(Sftp sftp, const Location &location)
{
    const QByteArray path = bytesOf(location);
    Attributes link{sftp_lstat(sftp, path.constData())};
    if (!link)
        return lastError(sftp, u"looking at"_s, location);
    FileInfo info = infoFromAttributes(sftp, link.get(), location);
    if (info.isSymlink) {
        // A dangling link is still shown, as what it is: a link to nothing.
        if (Attributes target{sftp_stat(sftp, path.constData())}) {
            info = infoFromAttributes(sftp, target.get(), location);
            info.isSymlink = true;
        }
    }
    return info;
}

Result<QByteArray> readFile(Sftp sftp, const Location &file, qint64 maxBytes)
{
    const QByteArray path = bytesOf(file);
    auto tooLarge = [&](qint64 size) {
        const QLocale locale = QLocale::c();
        return Result<QByteArray>::failure(
            ErrorCode::TooLarge,
            u"%1 is %2, more than the %3 that can be opened here: open it with another tool"_s.arg(
                file.displayName(), locale.formattedDataSize(size),
                locale.formattedDataSize(maxBytes)));
    };
    Attributes st{sftp_stat(sftp, path.constData())};
    if (!st)
        return lastError(sftp, u"reading"_s, file);
    if (isDirectoryType(st.get()))
        return Error{ErrorCode::IsDirectory, u"%1 is a folder: choose a file"_s.arg(file.displayName())};
    if ((st->flags & SSH_FILEXFER_ATTR_SIZE) && qint64(st->size) > maxBytes)
        return tooLarge(qint64(st->size));
    sftp_file handle = sftp_open(sftp, path.constData(), O_RDONLY, 0);
    if (!handle)
        return lastError(sftp, u"reading"_s, file);
    // Read up to one byte past the limit: the file may have grown since the stat.
    const qint64 chunk = qint64(features(sftp).maxReadLength);
    QByteArray data;
    qint64 used = 0;
    for (;;) {
        if (used > maxBytes) {
            sftp_close(handle);
            return tooLarge(used);
        }
        const qint64 want = qMin(chunk, maxBytes + 1 - used);
        if (data.size() < used + want)
            data.resize(used + want);
        const ssize_t n = sftp_read(handle, data.data() + used, size_t(want));
        if (n < 0) {
            const Error error = lastError(sftp, u"reading"_s, file);
            sftp_close(handle);
            return error;
        }
        if (n == 0)
            break;
        used += n;
    }
    sftp_close(handle);
    data.resize(used);
    return data;
}

void releaseFileOfLostSession(sftp_file_struct *file)
{
    if (!file)
        return;
    // What sftp_close frees after its request, in the layout libssh/sftp.h makes public:
    // the handle string, the strdup'ed name and the calloc'ed struct.
    ssh_string_free(file->handle);
    ::free(file->name);
    ::free(file);
}

QByteArray temporaryPathBeside(const QByteArray &target)
{
    const qsizetype slash = target.lastIndexOf('/');
    const QByteArray dir = target.left(slash + 1);
    QByteArray name = target.mid(slash + 1);
    // Keep the name short enough for NAME_MAX even when the original is long.
    if (name.size() > 180)
        name.truncate(180);
    const QByteArray suffix = QByteArray::number(QRandomGenerator::global()->generate64(), 36);
    return dir + '.' + name + ".gpuwb-" + suffix + ".part";
}

Status replace(Sftp sftp, const QByteArray &temporary, const QByteArray &target,
               const Location &location)
{
    // libssh's sftp_rename uses posix-rename@openssh.com when the server offers it, which
    // replaces the target atomically. A plain SFTP rename refuses an existing target, so
    // without the extension the target has to go first (not atomic, but nothing else works).
    if (!features(sftp).posixRename && exists(sftp, target)
        && sftp_unlink(sftp, target.constData()) < 0) {
        return lastError(sftp, u"replacing"_s, location);
    }
    if (sftp_rename(sftp, temporary.constData(), target.constData()) < 0)
        return lastError(sftp, u"replacing"_s, location);
    return {};
}

Status atomicWrite(Sftp sftp, const Location &file, const QByteArray &data, quint32 newFileMode)
{
    QByteArray target = bytesOf(file);
    Location shown = file;
    quint32 mode = newFileMode;
    Attributes link{sftp_lstat(sftp, target.constData())};
    if (link && isSymlinkType(link.get())) {
        // Write what the link points to, so that the link stays a link.
        if (char *real = sftp_canonicalize_path(sftp, target.constData())) {
            target = QByteArray(real);
            ssh_string_free_char(real);
        }
        link.reset(sftp_lstat(sftp, target.constData()));
    }
    if (link) {
        if (isDirectoryType(link.get()))
            return Error{ErrorCode::IsDirectory,
                         u"%1 is a folder: choose a file"_s.arg(file.displayName())};
        if (link->flags & SSH_FILEXFER_ATTR_PERMISSIONS)
            mode = link->permissions & 07777;
        // Like the local side, refuse to replace a file we may not write: ask the server.
        sftp_file probe = sftp_open(sftp, target.constData(), O_WRONLY, 0);
        if (!probe)
            return lastError(sftp, u"writing"_s, shown);
        sftp_close(probe);
    }
    const QByteArray temporary = temporaryPathBeside(target);
    sftp_file handle = sftp_open(sftp, temporary.constData(), O_WRONLY | O_CREAT | O_EXCL,
                                 0600);
    if (!handle)
        return lastError(sftp, u"writing"_s, shown);
    auto abandon = [&](const Error &error) {
        if (handle)
            sftp_close(handle);
        if (!connectionLost(sftp))
            sftp_unlink(sftp, temporary.constData());
        return Status(error);
    };
    if (Status written = writeAll(sftp, handle, data, shown); !written)
        return abandon(written.error());
    if (features(sftp).fsync && sftp_fsync(handle) < 0)
        return abandon(lastError(sftp, u"writing"_s, shown));
    const int closed = sftp_close(handle);
    handle = nullptr;
    if (closed < 0)
        return abandon(lastError(sftp, u"writing"_s, shown));
    if (sftp_chmod(sftp, temporary.constData(), mode) < 0)
        return abandon(lastError(sftp, u"writing"_s, shown));
    if (Status replaced = replace(sftp, temporary, target, shown); !replaced)
        return abandon(replaced.error());
    return {};
}

Status makeDirectory(Sftp sftp, const Location &dir, quint32 mode)
{
    const QByteArray path = bytesOf(dir);
    if (sftp_mkdir(sftp, path.constData(), mode) < 0) {
        // SFTP v3 says only "failure" for an existing name; look to say what it was.
        if (sftp_get_error(sftp) == SSH_FX_FAILURE && !connectionLost(sftp) && exists(sftp, path))
            return makeError(ErrorCode::Exists, u"creating the folder"_s, dir);
        return lastError(sftp, u"creating the folder"_s, dir);
    }
    return {};
}

Status createFile(Sftp sftp, const Location &file, quint32 mode)
{
    const QByteArray path = bytesOf(file);
    sftp_file handle = sftp_open(sftp, path.constData(), O_WRONLY | O_CREAT | O_EXCL, mode);
    if (!handle) {
        if (sftp_get_error(sftp) == SSH_FX_FAILURE && !connectionLost(sftp) && exists(sftp, path))
            return makeError(ErrorCode::Exists, u"creating"_s, file);
        return lastError(sftp, u"creating"_s, file);
    }
    if (sftp_close(handle) < 0)
        return lastError(sftp, u"creating"_s, file);
    return {};
}

Status rename(Sftp sftp, const Location &from, const Location &to)
{
    const QByteArray source = bytesOf(from);
    const QByteArray target = bytesOf(to);
    const QString doing = u"renaming %1 to"_s.arg(from.displayName());
    // posix-rename would replace the target silently; check first, accepting the race (the
    // local side does the same on file systems without RENAME_NOREPLACE).
    if (exists(sftp, target))
        return makeError(ErrorCode::Exists, doing, to);
    if (sftp_rename(sftp, source.constData(), target.constData()) < 0)
        return lastError(sftp, doing, to);
    return {};
}

namespace {

Status removeTree(Sftp sftp, const QByteArray &path, const Location &shown)
{
    sftp_dir handle = sftp_opendir(sftp, path.constData());
    if (!handle)
        return lastError(sftp, u"removing"_s, shown);
    // Collect first: whether readdir still returns every entry while the directory is being
    // emptied is up to the server.
    QList<std::pair<QByteArray, bool>> children;
    while (sftp_attributes a = sftp_readdir(sftp, handle)) {
        Attributes entry{a};
        const QByteArray name(entry->name ? entry->name : "");
        if (name.isEmpty() || name == "." || name == "..")
            continue;
        if (!isSafeRemoteName(name)) {
            sftp_closedir(handle);
            return Error{ErrorCode::BadName,
                         u"The host listed a name that is not a file name inside %1; nothing "
                         "there was removed."_s.arg(shown.displayName())};
        }
        children.append({name, isDirectoryType(entry.get()) && !isSymlinkType(entry.get())});
    }
    const bool complete = sftp_dir_eof(handle);
    sftp_closedir(handle);
    if (!complete)
        return lastError(sftp, u"removing"_s, shown);
    for (const auto &[name, isDir] : children) {
        const QByteArray child = path.endsWith('/') ? path + name : path + '/' + name;
        const Location childShown = shown.child(fromRemoteBytes(name));
        if (isDir) {
            if (Status s = removeTree(sftp, child, childShown); !s)
                return s;
        } else if (sftp_unlink(sftp, child.constData()) < 0
                   && sftp_get_error(sftp) != SSH_FX_NO_SUCH_FILE) {
            return lastError(sftp, u"removing"_s, childShown);
        }
    }
    if (sftp_rmdir(sftp, path.constData()) < 0)
        return lastError(sftp, u"removing"_s, shown);
    return {};
}

} // namespace

Status remove(Sftp sftp, const Location &location)
{
    const QByteArray path = bytesOf(location);
    Attributes st{sftp_lstat(sftp, path.constData())};
    if (!st)
        return lastError(sftp, u"removing"_s, location);
    if (isDirectoryType(st.get()) && !isSymlinkType(st.get()))
        return removeTree(sftp, path, location);
    if (sftp_unlink(sftp, path.constData()) < 0)
        return lastError(sftp, u"removing"_s, location);
    return {};
}

Result<QString> homeDirectory(Sftp sftp, const QString &host)
{
    char *path = sftp_canonicalize_path(sftp, ".");
    if (!path)
        return lastError(sftp, u"finding the home folder on"_s, Location::remote(host, u"~"_s));
    const QByteArray here(path);
    ssh_string_free_char(path);
    if (here != "/" || !sftp_extension_supported(sftp, "home-directory", "1"))
        return fromRemoteBytes(here);
    // "/" is where sshd leaves a session when it could not enter the home: ask which it is.
    char *named = sftp_home_directory(sftp, nullptr); // nullptr: the user logged in
    if (!named)
        return fromRemoteBytes(here); // the server cannot say: "/" stays the answer
    const QByteArray home(named);
    ssh_string_free_char(named);
    if (home.isEmpty() || home == "/")
        return fromRemoteBytes(here);
    sftp_attributes st = sftp_stat(sftp, home.constData());
    const bool found = st != nullptr;
    const bool isFolder = found && isDirectoryType(st);
    sftp_attributes_free(st);
    if (isFolder)
        return fromRemoteBytes(home); // a home that is there but was not entered
    if (!found && sftp_get_error(sftp) != SSH_FX_NO_SUCH_FILE)
        return lastError(sftp, u"finding the home folder on"_s, Location::remote(host, u"~"_s));
    return Error{ErrorCode::NoHome,
                 u"Your home folder %1 on %2 does not exist, so there is no ~ to put the project "
                 "or the job in; nothing was sent. Ask the host's administrator to create it "
                 "(or log in as a user who has one)."_s
                     .arg(fromRemoteBytes(home), host)};
}

bool isDirectoryType(const sftp_attributes_struct *a)
{
    if (a->flags & SSH_FILEXFER_ATTR_PERMISSIONS)
        return S_ISDIR(a->permissions);
    return a->type == SSH_FILEXFER_TYPE_DIRECTORY;
}

bool isSymlinkType(const sftp_attributes_struct *a)
{
    if (a->flags & SSH_FILEXFER_ATTR_PERMISSIONS)
        return S_ISLNK(a->permissions);
    return a->type == SSH_FILEXFER_TYPE_SYMLINK;
}

bool isRegularType(const sftp_attributes_struct *a)
{
    if (a->flags & SSH_FILEXFER_ATTR_PERMISSIONS)
        return S_ISREG(a->permissions);
    return a->type == SSH_FILEXFER_TYPE_REGULAR;
}

} // namespace gpuwb::SftpOps
