#pragma once

#include "core/fs/filesystem.h"

#include <QHash>
#include <QPointer>

class QTimer;
struct sftp_session_struct;

namespace gpuwb {

class SshConnection;

// The files of one SSH host over SFTP: every FileSystem operation posted to the connection's
// owner thread, results delivered on the caller's thread. Locations carry the host alias.
// writeFile() writes a temporary file next to the target, gives it the target's permissions
// and renames it over the target (posix-rename), so a reader never sees half a file. watch()
// polls (no agent runs on the remote): a watched directory's listing or a watched file's
// size and time are compared every pollInterval while connected. UI thread.
class SftpFileSystem : public FileSystem
{
    Q_OBJECT
public:
    explicit SftpFileSystem(SshConnection *connection, QObject *parent = nullptr);
    ~SftpFileSystem() override;

    SshConnection *connection() const { return m_connection; }
    void setPollInterval(int milliseconds);

    // The remote user's home directory, for opening a host where `ssh` would land.
    void home(QObject *context, std::function<void(Result<Location>)> done);

    void list(const Location &dir, QObject *context, ListDone done) override;
    void stat(const Location &location, QObject *context, InfoDone done) override;
    void readFile(const Location &file, qint64 maxBytes, QObject *context, ReadDone done) override;
    void writeFile(const Location &file, const QByteArray &data, QObject *context, Done done) override;
    void makeDirectory(const Location &dir, QObject *context, Done done) override;
    void createFile(const Location &file, QObject *context, Done done) override;
    void rename(const Location &from, const Location &to, QObject *context, Done done) override;
    void remove(const Location &location, QObject *context, Done done) override;
    void watch(const Location &location) override;
    void unwatch(const Location &location) override;

private:
    void poll();
    // Delivers an error and returns true when `location` is not on this file system's host.
    template<typename T>
    bool wrongHost(const Location &location, QObject *context,
                   std::function<void(Result<T>)> &done);
    template<typename T>
    void post(QObject *context, std::function<Result<T>(sftp_session_struct *)> work,
              std::function<void(Result<T>)> done);

    QPointer<SshConnection> m_connection;
    bool m_pollInFlight = false;
    QTimer *m_pollTimer = nullptr;
    QHash<Location, int> m_watchCount;
    QHash<Location, QByteArray> m_lastSeen; // a digest of the last listing or stat
};

} // namespace gpuwb
