#include "helpers/sshtest.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <pwd.h>
#include <sys/mount.h>
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

SmallFileSystem::~SmallFileSystem()
{
    if (!m_path.isEmpty())
        ::umount2(m_path.constData(), MNT_DETACH);
}

bool SmallFileSystem::mount(const QByteArray &path, qint64 bytes, QString *why)
{
    // Only inside the build root, whose mount namespace is private to the run: a mount on the
    // host itself could outlive a crashed test.
    if (!QFileInfo::exists(QStringLiteral("/.gpuwb-stamp"))) {
        *why = QStringLiteral("mounts only inside scripts/in-root's mount namespace");
        return false;
    }
    const passwd *pw = ::getpwnam("gpuwbtest");
    if (!pw) {
        *why = QStringLiteral("no test user");
        return false;
    }
    ::mkdir(path.constData(), 0755);
    const QByteArray options = "size=" + QByteArray::number(bytes) + ",mode=0755,uid="
        + QByteArray::number(pw->pw_uid) + ",gid=" + QByteArray::number(pw->pw_gid);
    if (::mount("gpuwb-small", path.constData(), "tmpfs", MS_NOSUID | MS_NODEV,
                options.constData())
        != 0) {
        *why = QStringLiteral("cannot mount a tmpfs on %1: %2 (needs root in a mount namespace "
                              "of its own: run through scripts/in-root)")
                   .arg(QFile::decodeName(path), QString::fromLocal8Bit(::strerror(errno)));
        return false;
    }
    m_path = path;
    return true;
}

QString installNvidiaSmiStandIn(SshdServer &server, const QString &recording,
                                const QString &help)
{
    const QString bin = server.makeUserBinDir();
    if (bin.isEmpty())
        return {};
    const QString fixtures =
        qEnvironmentVariable("GPUWB_FIXTURES") + QStringLiteral("/nvidia-smi/");
    const QString source = qEnvironmentVariable("GPUWB_SOURCE_DIR")
        + QStringLiteral("/tests/helpers/nvidia-smi-standin");
    const QString target = bin + QStringLiteral("/nvidia-smi");
    const auto write = [](const QString &path, const QByteArray &text) {
        QFile f(path);
        return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(text) == text.size();
    };
    if (!QFile::copy(source, target)
        || !QFile::setPermissions(target, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner
                                              | QFile::ReadGroup | QFile::ExeGroup
                                              | QFile::ReadOther | QFile::ExeOther)
        || !QFile::copy(fixtures + recording, bin + QStringLiteral("/recording.csv"))
        || !QFile::copy(fixtures + help, bin + QStringLiteral("/help.txt"))
        || !write(bin + QStringLiteral("/standin-fixture"),
                  (bin + QStringLiteral("/recording.csv\n")).toUtf8())
        || !write(bin + QStringLiteral("/standin-help"),
                  (bin + QStringLiteral("/help.txt\n")).toUtf8())) {
        return {};
    }
    return bin;
}

QStringList processesBelow(qint64 root)
{
    QHash<qint64, qint64> parent;
    QHash<qint64, QString> args;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs);
    for (const QString &entry : entries) {
        bool ok = false;
        const qint64 pid = entry.toLongLong(&ok);
        if (!ok)
            continue;
        QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
        if (!stat.open(QIODevice::ReadOnly))
            continue;
        const QByteArray text = stat.readAll();
        const QList<QByteArray> rest = text.mid(text.lastIndexOf(')') + 2).split(' ');
        if (rest.size() < 2)
            continue;
        parent.insert(pid, rest.at(1).toLongLong());
        QFile cmd(QStringLiteral("/proc/%1/cmdline").arg(pid));
        if (cmd.open(QIODevice::ReadOnly))
            args.insert(pid, QString::fromUtf8(cmd.readAll().replace('\0', ' ')).trimmed());
    }
    QStringList out;
    for (auto it = parent.constBegin(); it != parent.constEnd(); ++it) {
        qint64 p = it.value();
        for (int depth = 0; depth < 64 && p > 1 && p != root; ++depth)
            p = parent.value(p, 0);
        const QString a = args.value(it.key());
        if (p == root && !a.isEmpty() && !a.startsWith(QStringLiteral("sshd"))
            && !a.startsWith(QStringLiteral("/usr/sbin/sshd"))) {
            out.append(QStringLiteral("%1 %2").arg(it.key()).arg(a));
        }
    }
    return out;
}

} // namespace gpuwb::test
