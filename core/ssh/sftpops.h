#pragma once

#include "core/fs/filesystem.h"

#include <QByteArray>
#include <QList>

struct sftp_session_struct;
struct sftp_attributes_struct;
struct sftp_file_struct;

namespace gpuwb::SftpOps {

// The blocking SFTP operations behind SftpFileSystem (and `gpuwb ls/cp`), one function each.
// They run only on a connection's owner thread, inside SshConnection::call or run work, with
// the session's sftp handle. Paths reach libssh only as toRemoteBytes(location.path()), never
// through a shell; errors carry the same codes as LocalFileOps ("not-found", "exists",
// "permission-denied", "too-large", ...) plus "connection-lost" and "unsupported".

using Sftp = sftp_session_struct *;

struct Features
{
    bool posixRename = false; // posix-rename@openssh.com: rename replaces atomically
    bool fsync = false;       // fsync@openssh.com
    quint64 maxReadLength = 32768;
    quint64 maxWriteLength = 32768;
};
// What the server supports, asked once per sftp session (cached on the owner thread).
Features features(Sftp sftp);

Result<QList<FileInfo>> readDirectory(Sftp sftp, const Location &dir);
// lstat, then stat for a symlink (so a link to a folder is a folder); a dangling link is shown
// as a link.
Result<FileInfo> statPath(Sftp sftp, const Location &location);
Result<QByteArray> readFile(Sftp sftp, const Location &file, qint64 maxBytes);
// Writes a temporary file beside `file`, fsyncs it when the server can, gives it the
// original's permissions (0644 for a new file) and renames it over the original.
Status atomicWrite(Sftp sftp, const Location &file, const QByteArray &data,
                   quint32 newFileMode = 0644);
Status makeDirectory(Sftp sftp, const Location &dir, quint32 mode = 0777);
Status createFile(Sftp sftp, const Location &file, quint32 mode = 0666);
// Never replaces an existing target: fails with code "exists" instead.
Status rename(Sftp sftp, const Location &from, const Location &to);
// A file, a symlink (not what it points to), or a directory with everything in it.
Status remove(Sftp sftp, const Location &location);
// The remote user's home directory (where `ssh` lands): the server's idea of ".". sshd leaves
// a session whose home it cannot enter in "/"; when "." is "/" and the server names the home
// (OpenSSH's home-directory extension) and that folder is missing, the answer is the error
// `no-home`, never "/" (issue 10: a missing remote home).
Result<QString> homeDirectory(Sftp sftp, const QString &host);
// Renames `temporary` over `target`, replacing it (atomically when the server has
// posix-rename; otherwise by removing the target first).
Status replace(Sftp sftp, const QByteArray &temporary, const QByteArray &target,
               const Location &location);

// Frees an open remote file of a session that is gone, without the CLOSE request that
// sftp_close would send and wait for (on a dead or half-dead channel that can fail, or wait
// for an answer that never comes). The server drops its handle when the channel ends.
void releaseFileOfLostSession(sftp_file_struct *file);
// A name for a temporary file beside `target`: hidden, recognisable, unlikely to collide.
QByteArray temporaryPathBeside(const QByteArray &target);
// The error for the last failed call on `sftp`: code from the SFTP status (or the lost
// connection) and a message saying what happened and what to do.
Error lastError(Sftp sftp, const QString &doing, const Location &location);
// What an entry is, from its permission bits (or the type field where a server sends no
// permissions).
bool isDirectoryType(const sftp_attributes_struct *attributes);
bool isSymlinkType(const sftp_attributes_struct *attributes);
bool isRegularType(const sftp_attributes_struct *attributes);
// A FileInfo from SFTP attributes (size, mode, mtime, link flag) for `location`.
FileInfo infoFromAttributes(Sftp sftp, const sftp_attributes_struct *attributes,
                            const Location &location);

} // namespace gpuwb::SftpOps
