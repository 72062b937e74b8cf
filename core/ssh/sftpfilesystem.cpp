#include "core/ssh/sftpfilesystem.h"

#include "core/ssh/sftpops.h"
#include "core/ssh/sshconnection.h"

#include <QCryptographicHash>
#include <QTimer>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

constexpr int DefaultPollMilliseconds = 3000;

Error notOnHost(const Location &location, const QString &alias)
{
    return Error{ErrorCode::WrongHost,
                 u"%1 is not on host %2: open it through its own host"_s.arg(
                     location.displayName(), alias)};
}

// What a poll compares: for a folder its sorted listing, for a file its size, time and mode.
QByteArray digestOf(SftpOps::Sftp sftp, const Location &location, bool *lost)
{
    auto info = SftpOps::statPath(sftp, location);
    if (!info) {
        *lost = info.error().code == ErrorCode::ConnectionLost;
        return "missing:" + errorCodeName(info.error().code).toUtf8();
    }
    QCryptographicHash hash(QCryptographicHash::Sha1);
    auto add = [&hash](const FileInfo &i) {
        hash.addData(i.name.toUtf8());
        hash.addData(QByteArrayView("\0", 1));
        hash.addData(QByteArray::number(i.size) + ' '
                     + QByteArray::number(i.modified.toSecsSinceEpoch()) + ' '
                     + QByteArray::number(i.permissions) + (i.isDirectory ? "d" : "f") + '\n');
    };
    add(*info);
    if (info->isDirectory) {
        auto entries = SftpOps::readDirectory(sftp, location);
        if (!entries) {
            *lost = entries.error().code == ErrorCode::ConnectionLost;
            return "unlistable:" + errorCodeName(entries.error().code).toUtf8();
        }
        QList<FileInfo> sorted = std::move(entries).value();
        std::sort(sorted.begin(), sorted.end(),
                  [](const FileInfo &a, const FileInfo &b) { return a.name < b.name; });
        for (const FileInfo &entry : sorted)
            add(entry);
    }
    return hash.result();
}

} // namespace

SftpFileSystem::SftpFileSystem(SshConnection *connection, QObject *parent)
    : FileSystem(parent), m_connection(connection), m_pollTimer(new QTimer(this))
{
    m_pollTimer->setInterval(DefaultPollMilliseconds);
    connect(m_pollTimer, &QTimer::timeout, this, &SftpFileSystem::poll);
}

SftpFileSystem::~SftpFileSystem() = default;

void SftpFileSystem::setPollInterval(int milliseconds)
{
    m_pollTimer->setInterval(qMax(10, milliseconds));
}

template<typename T>
bool SftpFileSystem::wrongHost(const Location &location, QObject *context,
                               std::function<void(Result<T>)> &done)
{
    if (!m_connection || location.host() == m_connection->alias())
        return false;
    detail::deliver<T>(context, std::move(done),
                       Result<T>(notOnHost(location, m_connection->alias())));
    return true;
}

template<typename T>
void SftpFileSystem::post(QObject *context, std::function<Result<T>(sftp_session_struct *)> work,
                          std::function<void(Result<T>)> done)
{
    if (!m_connection) {
        detail::deliver<T>(context, std::move(done),
                           Result<T>::failure(ErrorCode::Closed,
                                              u"The connection is closed: open the host again"_s));
        return;
    }
    m_connection->call<T>(
        context,
        [work = std::move(work)](SshSessionContext &session) -> Result<T> {
            auto sftp = session.sftp();
            if (!sftp)
                return sftp.error();
            return work(*sftp);
        },
        std::move(done));
}

void SftpFileSystem::home(QObject *context, std::function<void(Result<Location>)> done)
{
    const QString alias = m_connection ? m_connection->alias() : QString();
    post<Location>(
        context,
        [alias](SftpOps::Sftp sftp) -> Result<Location> {
            auto home = SftpOps::homeDirectory(sftp, alias);
            if (!home)
                return home.error();
            return Location::remote(alias, *home);
        },
        std::move(done));
}


void SftpFileSystem::list(const Location &dir, QObject *context, ListDone done)
{
    if (wrongHost<QList<FileInfo>>(dir, context, done))
        return;
    post<QList<FileInfo>>(
        context, [dir](SftpOps::Sftp sftp) { return SftpOps::readDirectory(sftp, dir); },
        std::move(done));
}

void SftpFileSystem::stat(const Location &location, QObject *context, InfoDone done)
{
    if (wrongHost<FileInfo>(location, context, done))
        return;
    post<FileInfo>(
        context, [location](SftpOps::Sftp sftp) { return SftpOps::statPath(sftp, location); },
        std::move(done));
}

void SftpFileSystem::readFile(const Location &file, qint64 maxBytes, QObject *context,
                              ReadDone done)
{
    if (wrongHost<QByteArray>(file, context, done))
        return;
    post<QByteArray>(
        context,
        [file, maxBytes](SftpOps::Sftp sftp) { return SftpOps::readFile(sftp, file, maxBytes); },
        std::move(done));
}

void SftpFileSystem::writeFile(const Location &file, const QByteArray &data, QObject *context,
                               Done done)
{
    if (wrongHost<void>(file, context, done))
        return;
    post<void>(
        context,
        [file, data](SftpOps::Sftp sftp) { return SftpOps::atomicWrite(sftp, file, data); },
        std::move(done));
}

void SftpFileSystem::makeDirectory(const Location &dir, QObject *context, Done done)
{
    if (wrongHost<void>(dir, context, done))
        return;
    post<void>(
        context, [dir](SftpOps::Sftp sftp) { return SftpOps::makeDirectory(sftp, dir); },
        std::move(done));
}

void SftpFileSystem::createFile(const Location &file, QObject *context, Done done)
{
    if (wrongHost<void>(file, context, done))
        return;
    post<void>(
        context, [file](SftpOps::Sftp sftp) { return SftpOps::createFile(sftp, file); },
        std::move(done));
}

void SftpFileSystem::rename(const Location &from, const Location &to, QObject *context,
                            Done done)
{
    if (wrongHost<void>(from, context, done))
        return;
    if (wrongHost<void>(to, context, done))
        return;
    post<void>(
        context, [from, to](SftpOps::Sftp sftp) { return SftpOps::rename(sftp, from, to); },
        std::move(done));
}

void SftpFileSystem::remove(const Location &location, QObject *context, Done done)
{
    if (wrongHost<void>(location, context, done))
        return;
    post<void>(
        context, [location](SftpOps::Sftp sftp) { return SftpOps::remove(sftp, location); },
        std::move(done));
}

void SftpFileSystem::watch(const Location &location)
{
    if (++m_watchCount[location] == 1) {
        m_lastSeen.remove(location);
        // Take the first look now, so that a change before the first tick is noticed.
        poll();
    }
    if (!m_pollTimer->isActive())
        m_pollTimer->start();
}

void SftpFileSystem::unwatch(const Location &location)
{
    auto it = m_watchCount.find(location);
    if (it == m_watchCount.end())
        return;
    if (--*it <= 0) {
        m_watchCount.erase(it);
        m_lastSeen.remove(location);
    }
    if (m_watchCount.isEmpty())
        m_pollTimer->stop();
}

void SftpFileSystem::poll()
{
    // Polling never connects by itself and never piles up behind a slow server.
    if (!m_connection || m_connection->state() != SshState::Connected || m_pollInFlight
        || m_watchCount.isEmpty()) {
        return;
    }
    m_pollInFlight = true;
    const QList<Location> watched = m_watchCount.keys();
    using Digests = QHash<Location, QByteArray>;
    m_connection->call<Digests>(
        this,
        [watched](SshSessionContext &session) -> Result<Digests> {
            auto sftp = session.sftp();
            if (!sftp)
                return sftp.error();
            Digests digests;
            for (const Location &location : watched) {
                if (session.closing())
                    break;
                bool lost = false;
                const QByteArray digest = digestOf(*sftp, location, &lost);
                if (lost)
                    break; // a lost connection is not a change
                digests.insert(location, digest);
            }
            return digests;
        },
        [this](Result<Digests> result) {
            m_pollInFlight = false;
            if (!result)
                return;
            for (auto it = result->cbegin(); it != result->cend(); ++it) {
                if (!m_watchCount.contains(it.key()))
                    continue;
                auto seen = m_lastSeen.find(it.key());
                if (seen == m_lastSeen.end()) {
                    m_lastSeen.insert(it.key(), it.value());
                } else if (*seen != it.value()) {
                    *seen = it.value();
                    emit changed(it.key());
                }
            }
        });
}

} // namespace gpuwb
