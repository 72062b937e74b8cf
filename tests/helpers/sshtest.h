#pragma once

#include "helpers/sshdserver.h"

#include <QByteArray>
#include <QTest>

#include <sys/types.h>
#include <unistd.h>

// Starts an SshdServer inside a Qt Test function. A fixture that fails to start fails the test:
// only where it cannot work at all (not root, so no sshd for another user) is the test skipped.
#define GPUWB_START_SSHD(server)                                                              \
    do {                                                                                      \
        QString gpuwbSshdWhy_;                                                                \
        if (!(server).start(&gpuwbSshdWhy_)) {                                                \
            if (::geteuid() != 0)                                                             \
                QSKIP("the sshd fixture needs root (run through scripts/in-root)");           \
            QFAIL(qPrintable(QStringLiteral("sshd fixture: ") + gpuwbSshdWhy_));             \
        }                                                                                     \
    } while (false)

namespace gpuwb::test {

// Points the code under test at the fixture's client side: HOME (so ~/.ssh is the fixture's),
// no ssh-agent, and the server's host key already in known_hosts.
bool useClientHome(const SshdServer &server);

// Files on this machine by their bytes (names in tests need not be UTF-8).
QByteArray readOnDisk(const QByteArray &path); // "<missing>" when it cannot be opened
// Writes `data` with `mode`, owned by the test user when asTestUser.
bool writeOnDisk(const QByteArray &path, const QByteArray &data, mode_t mode, bool asTestUser);

// A small, nearly full file system for "disk full on the host": a tmpfs of `bytes` mounted on
// `path` (made if missing), owned by the test user. Mounting needs root in a mount namespace of
// its own (scripts/in-root gives the tests one), so nothing outlives the run; the destructor
// unmounts it. mount() returns false with the reason when it cannot.
class SmallFileSystem
{
public:
    ~SmallFileSystem();
    bool mount(const QByteArray &path, qint64 bytes, QString *why);
    const QByteArray &path() const { return m_path; }

private:
    QByteArray m_path;
};

// Installs tests/helpers/nvidia-smi-standin as the test user's `nvidia-smi` (server.
// makeUserBinDir(), so it restarts sshd), replaying the nvidia-smi fixture `recording` and
// answering --help-query-gpu with the fixture `help`; both are copied next to it. Returns the
// folder (its standin.log lists every invocation) or empty on failure.
QString installNvidiaSmiStandIn(SshdServer &server, const QString &recording,
                                const QString &help);
// The processes below `root` (an sshd listener) that are not sshd itself, as "PID ARGS":
// what a remote command left behind.
QStringList processesBelow(qint64 root);

} // namespace gpuwb::test
