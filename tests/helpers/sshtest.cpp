#include "helpers/sshtest.h"

#include <QFile>

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>

namespace gpuwb::test {

bool useClientHome(const SshdServer &server)
{
    qputenv("HOME", server.clientHome().toUtf8());
    qunsetenv("SSH_AUTH_SOCK");
    QFile known(server.clientSshDir() + QStringLiteral("/known_hosts"));
    if (!known.open(QIODevice::Append))
        return false;
    return known.write(server.knownHostsLine() + '\n') > 0;
}

QByteArray readOnDisk(const QByteArray &path)
{
    const int fd = ::open(path.constData(), O_RDONLY);
    if (fd < 0)
        return "<missing>";
    QByteArray data;
    char buffer[65536];
    ssize_t n;
    while ((n = ::read(fd, buffer, sizeof buffer)) > 0)
        data.append(buffer, n);
    ::close(fd);
    return data;
}

bool writeOnDisk(const QByteArray &path, const QByteArray &data, mode_t mode, bool asTestUser)
{
    const int fd = ::open(path.constData(), O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0)
        return false;
    const bool ok = ::write(fd, data.constData(), size_t(data.size())) == data.size();
    ::close(fd);
    ::chmod(path.constData(), mode);
    if (asTestUser) {
        const passwd *pw = ::getpwnam("gpuwbtest");
        if (!pw || ::chown(path.constData(), pw->pw_uid, pw->pw_gid) != 0)
            return false;
    }
    return ok;
}

} // namespace gpuwb::test
