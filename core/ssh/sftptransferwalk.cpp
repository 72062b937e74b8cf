#include "core/ssh/sftptransferjob.h"

#include "core/fs/localfileops.h"
#include "core/ssh/remotepath.h"
#include "core/ssh/sftpops.h"
#include "core/util/logging.h"

#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>

// SftpTransferJob's first phase: walking the source tree (local for an upload, remote for a
// download) into the list of folders and files to transfer. The rest is in sftptransferjob.cpp.

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

// Folders listed per step before other requests on the connection get their turn.
constexpr int WalkDirectoriesPerStep = 32;

} // namespace

SshStep SftpTransferJob::walkStep(sftp_session sftp)
{
    for (int n = 0; n < WalkDirectoriesPerStep && !m_toWalk.isEmpty(); ++n) {
        const QByteArray relative = m_toWalk.takeFirst();
        const bool ok = m_upload ? walkLocal(relative) : walkRemote(sftp, relative);
        if (!ok)
            return SshStep::Done; // finished with the error
    }
    if (!m_toWalk.isEmpty())
        return SshStep::Again;
    for (const Item &item : std::as_const(m_items)) {
        if (!item.isDirectory) {
            m_progress.bytesTotal += item.size;
            ++m_progress.filesTotal;
        }
    }
    report(true);
    m_next = 0;
    m_phase = Phase::Folders;
    return SshStep::Again;
}

bool SftpTransferJob::walkLocal(const QByteArray &relative)
{
    const QByteArray path = sourcePath(relative);
    struct stat st;
    if (relative.isEmpty()) {
        if (::stat(path.constData(), &st) != 0) {
            finish(LocalFileOps::errnoError(errno, u"copying"_s, m_source));
            return false;
        }
        m_items.append(Item{{}, S_ISDIR(st.st_mode), S_ISDIR(st.st_mode) ? 0 : qint64(st.st_size),
                            quint32(st.st_mode & 07777)});
        if (!S_ISDIR(st.st_mode))
            return true;
    }
    DIR *dir = ::opendir(path.constData());
    if (!dir) {
        const int error = errno;
        if (relative.isEmpty()) {
            finish(LocalFileOps::errnoError(error, u"copying"_s, m_source));
            return false;
        }
        fileError(relative, LocalFileOps::errnoError(error, u"listing"_s,
                                                     sourceLocation(relative)).message);
        return true;
    }
    while (const dirent *entry = ::readdir(dir)) {
        const QByteArray name(entry->d_name);
        if (name == "." || name == "..")
            continue;
        const QByteArray child = relative.isEmpty() ? name : relative + '/' + name;
        if (::fstatat(::dirfd(dir), name.constData(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
            fileError(child, LocalFileOps::errnoError(errno, u"reading"_s,
                                                      sourceLocation(child)).message);
            continue;
        }
        if (S_ISLNK(st.st_mode)) {
            // Links are followed to files; a link to a folder could loop, so it is skipped.
            if (::fstatat(::dirfd(dir), name.constData(), &st, 0) != 0) {
                fileError(child, LocalFileOps::errnoError(errno, u"reading"_s,
                                                          sourceLocation(child)).message);
                continue;
            }
            if (S_ISDIR(st.st_mode)) {
                fileError(child, u"%1 is a link to a folder and was not copied: copy the folder "
                                 "it points to instead"_s.arg(sourceLocation(child).displayName()));
                continue;
            }
        }
        if (S_ISDIR(st.st_mode)) {
            m_items.append(Item{child, true, 0, quint32(st.st_mode & 07777)});
            m_toWalk.append(child);
        } else if (S_ISREG(st.st_mode)) {
            m_items.append(Item{child, false, qint64(st.st_size), quint32(st.st_mode & 07777)});
        } else {
            fileError(child, u"%1 is not a regular file (a device, pipe or socket) and was not "
                             "copied"_s.arg(sourceLocation(child).displayName()));
        }
    }
    ::closedir(dir);
    return true;
}

bool SftpTransferJob::walkRemote(sftp_session sftp, const QByteArray &relative)
{
    const QByteArray path = sourcePath(relative);
    if (relative.isEmpty()) {
        sftp_attributes st = sftp_stat(sftp, path.constData());
        if (!st) {
            finish(SftpOps::lastError(sftp, u"copying"_s, m_source));
            return false;
        }
        const bool isDir = SftpOps::isDirectoryType(st);
        m_items.append(Item{{}, isDir, isDir ? 0 : qint64(st->size), st->permissions & 07777});
        sftp_attributes_free(st);
        if (!isDir)
            return true;
    }
    sftp_dir dir = sftp_opendir(sftp, path.constData());
    if (!dir) {
        const Error error = SftpOps::lastError(sftp, u"listing"_s, sourceLocation(relative));
        if (relative.isEmpty() || error.code == ErrorCode::ConnectionLost) {
            finish(error);
            return false;
        }
        fileError(relative, error.message);
        return true;
    }
    while (sftp_attributes a = sftp_readdir(sftp, dir)) {
        const QByteArray name(a->name ? a->name : "");
        const bool isDir = SftpOps::isDirectoryType(a);
        const bool isLink = SftpOps::isSymlinkType(a);
        const bool isRegular = SftpOps::isRegularType(a);
        const qint64 size = qint64(a->size);
        const quint32 mode = a->permissions & 07777;
        sftp_attributes_free(a);
        if (name.isEmpty() || name == "." || name == "..")
            continue;
        // Names come from the server: one joined to the destination must stay one name
        // (OpenSSH's CVE-2019-6111 class: "../../.bashrc" written outside the folder).
        if (!isSafeRemoteName(name)) {
            fileError(relative, u"The host listed a name that is not a file name in %1 (%2); "
                                "it was not copied."_s.arg(sourceLocation(relative).displayName(),
                                                          QString::fromLatin1(name.toPercentEncoding())));
            continue;
        }
        const QByteArray child = relative.isEmpty() ? name : relative + '/' + name;
        if (isLink) {
            sftp_attributes target = sftp_stat(sftp, sourcePath(child).constData());
            if (!target) {
                fileError(child, SftpOps::lastError(sftp, u"reading"_s,
                                                    sourceLocation(child)).message);
                continue;
            }
            const bool targetDir = SftpOps::isDirectoryType(target);
            const bool targetRegular = SftpOps::isRegularType(target);
            const Item item{child, false, qint64(target->size), target->permissions & 07777};
            sftp_attributes_free(target);
            if (targetDir) {
                fileError(child, u"%1 is a link to a folder and was not copied: copy the folder "
                                 "it points to instead"_s.arg(sourceLocation(child).displayName()));
            } else if (targetRegular) {
                m_items.append(item);
            } else {
                fileError(child, u"%1 is not a regular file and was not copied"_s.arg(
                                     sourceLocation(child).displayName()));
            }
            continue;
        }
        if (isDir) {
            m_items.append(Item{child, true, 0, mode});
            m_toWalk.append(child);
        } else if (isRegular) {
            m_items.append(Item{child, false, size, mode});
        } else {
            fileError(child, u"%1 is not a regular file and was not copied"_s.arg(
                                 sourceLocation(child).displayName()));
        }
    }
    const bool complete = sftp_dir_eof(dir);
    Error error;
    if (!complete)
        error = SftpOps::lastError(sftp, u"listing"_s, sourceLocation(relative));
    sftp_closedir(dir);
    if (!complete) {
        if (error.code == ErrorCode::ConnectionLost) {
            finish(error);
            return false;
        }
        fileError(relative, error.message);
    }
    return true;
}

} // namespace gpuwb
