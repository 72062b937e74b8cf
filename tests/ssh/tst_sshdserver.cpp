// Proves the real-sshd fixture with the real OpenSSH client: every other ssh test builds on it.

#include "helpers/sshdserver.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <memory>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::StringLiterals;
using gpuwb::test::SshAgent;
using gpuwb::test::SshdServer;

namespace {

struct SshRun
{
    int exitCode = -1;
    QString out;
    QString err;
};

// Options every client run gets: the fixture's config and known_hosts (OpenSSH takes "~" from
// the passwd entry, not from HOME, so these are named explicitly) and no stray agent.
QStringList baseArgs(const SshdServer &server)
{
    return {u"-F"_s, server.clientConfigPath(),
            u"-o"_s, u"UserKnownHostsFile="_s + server.clientSshDir() + u"/known_hosts"_s,
            u"-o"_s, u"GlobalKnownHostsFile=/dev/null"_s,
            u"-o"_s, u"ConnectTimeout=30"_s};
}

QProcessEnvironment clientEnv(const SshdServer &server)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"HOME"_s, server.clientHome());
    env.remove(u"SSH_AUTH_SOCK"_s);
    env.remove(u"DISPLAY"_s);
    env.insert(u"SSH_ASKPASS_REQUIRE"_s, u"never"_s);
    return env;
}

SshRun runSsh(const QStringList &args, const QProcessEnvironment &env)
{
    QProcess p;
    p.setProcessEnvironment(env);
    p.setStandardInputFile(QProcess::nullDevice());
    p.start(u"ssh"_s, args);
    SshRun r;
    if (!p.waitForFinished(60000)) {
        p.kill();
        p.waitForFinished();
        r.err = u"ssh timed out"_s;
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromLocal8Bit(p.readAllStandardOutput());
    r.err = QString::fromLocal8Bit(p.readAllStandardError());
    return r;
}

// An askpass script that answers with $GPUWB_TEST_SECRET, so no secret is written to disk.
QString writeAskpass(const QTemporaryDir &dir)
{
    const QString path = dir.filePath(u"askpass"_s);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return {};
    f.write("#!/bin/sh\nprintf '%s\\n' \"$GPUWB_TEST_SECRET\"\n");
    f.close();
    f.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    return path;
}

QString fingerprintOf(const QString &pubKeyPath)
{
    QProcess p;
    p.start(u"ssh-keygen"_s, {u"-l"_s, u"-E"_s, u"sha256"_s, u"-f"_s, pubKeyPath});
    p.waitForFinished(30000);
    const QList<QByteArray> f = p.readAllStandardOutput().simplified().split(' ');
    return f.size() > 1 ? QString::fromLatin1(f[1]) : QString();
}

QList<qint64> descendantsOf(qint64 root)
{
    QHash<qint64, QList<qint64>> children;
    for (const QString &e : QDir(u"/proc"_s).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        bool ok = false;
        const qint64 pid = e.toLongLong(&ok);
        QFile f(u"/proc/%1/stat"_s.arg(e));
        if (!ok || !f.open(QIODevice::ReadOnly))
            continue;
        const QByteArray stat = f.readAll();
        const QList<QByteArray> fields = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
        if (fields.size() > 1)
            children[fields[1].toLongLong()].append(pid);
    }
    QList<qint64> result;
    QList<qint64> queue{root};
    while (!queue.isEmpty()) {
        for (qint64 c : children.value(queue.takeFirst())) {
            result.append(c);
            queue.append(c);
        }
    }
    return result;
}

// Alive = present in /proc and not a zombie waiting for its reaper.
bool isAlive(qint64 pid)
{
    QFile f(u"/proc/%1/stat"_s.arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return false;
    const QByteArray stat = f.readAll();
    const QByteArray state = stat.mid(stat.lastIndexOf(')') + 2, 1);
    return state != "Z" && state != "X";
}

} // namespace

class TestSshdServer : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void keyLoginWithPlainKey();
    void secretKeyThroughAgent();
    void passwordLogin_data();
    void passwordLogin();
    void keyboardInteractiveLogin();
    void keyAuthCanBeTurnedOff();
    void newHostKeyIsDetected();
    void killSessionsEndsSessionsButNotTheListener();
    void stopLeavesNoProcess();
    void proxyJumpThroughSecondServer();
    void remoteScratchDirBelongsToUser();
    void extraConfigOverridesDefaults();

private:
    QTemporaryDir m_tmp;
};

void TestSshdServer::initTestCase()
{
    if (::geteuid() != 0)
        QSKIP("the sshd fixture needs root (run through scripts/in-root)");
    QVERIFY(m_tmp.isValid());
}

void TestSshdServer::keyLoginWithPlainKey()
{
    SshdServer server;
    QString error;
    QElapsedTimer timer;
    timer.start();
    QVERIFY2(server.start(&error), qPrintable(error));
    qInfo("start() took %lld ms", qlonglong(timer.elapsed()));
    QVERIFY(server.port() > 0);
    QVERIFY(server.pid() > 0);
    QVERIFY(server.hostKeyFingerprint().startsWith(u"SHA256:"_s));

    // Keys are private to the test runner and the known_hosts starts empty.
    for (const QString &key : {server.plainKeyPath(), server.secretKeyPath()}) {
        struct stat st{};
        QCOMPARE(::stat(QFile::encodeName(key).constData(), &st), 0);
        QCOMPARE(st.st_mode & 0777, mode_t(0600));
        QCOMPARE(st.st_uid, uid_t(0));
    }
    const QString knownHosts = server.clientSshDir() + u"/known_hosts"_s;
    QCOMPARE(QFileInfo(knownHosts).size(), 0);

    QStringList args = baseArgs(server);
    args << u"-o"_s << u"BatchMode=yes"_s << u"-o"_s << u"StrictHostKeyChecking=accept-new"_s
         << server.alias() << u"id"_s << u"-un"_s;
    const SshRun r = runSsh(args, clientEnv(server));
    QVERIFY2(r.exitCode == 0, qPrintable(r.err + server.log()));
    QCOMPARE(r.out, SshdServer::userName() + u'\n');
    QTRY_VERIFY_WITH_TIMEOUT(server.log().contains(u"Accepted publickey for gpuwbtest"_s), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(
        server.log().contains(fingerprintOf(server.plainKeyPath() + u".pub"_s)), 10000);

    // The key OpenSSH recorded is the one the fixture describes.
    QFile kh(knownHosts);
    QVERIFY(kh.open(QIODevice::ReadOnly));
    QCOMPARE(kh.readAll().trimmed(), server.knownHostsLine());
    const QString lineFile = m_tmp.filePath(u"line.pub"_s);
    QFile lf(lineFile);
    QVERIFY(lf.open(QIODevice::WriteOnly));
    lf.write(server.knownHostsLine().mid(server.knownHostsLine().indexOf(' ') + 1) + '\n');
    lf.close();
    QCOMPARE(fingerprintOf(lineFile), server.hostKeyFingerprint());
}

void TestSshdServer::secretKeyThroughAgent()
{
    SshdServer server;
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));

    // Without the agent the passphrase-protected key cannot be used in batch mode.
    const QStringList common{u"-F"_s, u"/dev/null"_s, u"-p"_s, QString::number(server.port()),
                             u"-l"_s, SshdServer::userName(),
                             u"-o"_s, u"UserKnownHostsFile=/dev/null"_s,
                             u"-o"_s, u"StrictHostKeyChecking=no"_s,
                             u"-o"_s, u"BatchMode=yes"_s,
                             u"-o"_s, u"PreferredAuthentications=publickey"_s};
    QStringList noAgent = common;
    noAgent << u"-i"_s << server.secretKeyPath() << server.host() << u"true"_s;
    QVERIFY(runSsh(noAgent, clientEnv(server)).exitCode != 0);

    auto agent = std::make_unique<SshAgent>();
    QVERIFY2(agent->start(&error), qPrintable(error));
    QVERIFY(agent->pid() > 0);
    QVERIFY(!agent->add(server.secretKeyPath(), u"wrong passphrase"_s, &error));
    QVERIFY2(agent->add(server.secretKeyPath(), SshdServer::keyPassphrase(), &error),
             qPrintable(error));

    QProcessEnvironment env = clientEnv(server);
    env.insert(u"SSH_AUTH_SOCK"_s, agent->socketPath());
    QStringList args = common;
    args << server.host() << u"id"_s << u"-un"_s;
    const SshRun r = runSsh(args, env);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err + server.log()));
    QCOMPARE(r.out, SshdServer::userName() + u'\n');
    QTRY_VERIFY_WITH_TIMEOUT(
        server.log().contains(fingerprintOf(server.secretKeyPath() + u".pub"_s)), 10000);

    const qint64 agentPid = agent->pid();
    agent.reset(); // the destructor stops the agent
    QTRY_VERIFY_WITH_TIMEOUT(!isAlive(agentPid), 20000);
}

void TestSshdServer::passwordLogin_data()
{
    QTest::addColumn<bool>("withPam");
    QTest::newRow("without PAM") << false;
    QTest::newRow("with PAM") << true;
}

void TestSshdServer::passwordLogin()
{
    QFETCH(bool, withPam);
    SshdServer::Options options;
    options.publicKeyAuth = false;
    options.kbdInteractiveAuth = withPam; // PAM is on exactly when kbd-interactive is
    SshdServer server(options);
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));

    QTemporaryDir dir;
    QProcessEnvironment env = clientEnv(server);
    env.insert(u"SSH_ASKPASS"_s, writeAskpass(dir));
    env.insert(u"SSH_ASKPASS_REQUIRE"_s, u"force"_s);
    QStringList args = baseArgs(server);
    args << u"-o"_s << u"StrictHostKeyChecking=accept-new"_s
         << u"-o"_s << u"PreferredAuthentications=password"_s
         << u"-o"_s << u"NumberOfPasswordPrompts=1"_s << server.alias() << u"id"_s << u"-un"_s;

    env.insert(u"GPUWB_TEST_SECRET"_s, u"not the password $(touch /tmp/x) 'q"_s);
    QVERIFY(runSsh(args, env).exitCode != 0);

    env.insert(u"GPUWB_TEST_SECRET"_s, SshdServer::password());
    const SshRun r = runSsh(args, env);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err + server.log()));
    QCOMPARE(r.out, SshdServer::userName() + u'\n');
    QTRY_VERIFY_WITH_TIMEOUT(server.log().contains(u"Accepted password for gpuwbtest"_s), 10000);
}

void TestSshdServer::keyboardInteractiveLogin()
{
    SshdServer::Options options;
    options.publicKeyAuth = false;
    options.passwordAuth = false;
    options.kbdInteractiveAuth = true;
    SshdServer server(options);
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));

    QTemporaryDir dir;
    QProcessEnvironment env = clientEnv(server);
    env.insert(u"SSH_ASKPASS"_s, writeAskpass(dir));
    env.insert(u"SSH_ASKPASS_REQUIRE"_s, u"force"_s);
    QStringList args = baseArgs(server);
    args << u"-o"_s << u"StrictHostKeyChecking=accept-new"_s
         << u"-o"_s << u"PreferredAuthentications=keyboard-interactive"_s
         << u"-o"_s << u"NumberOfPasswordPrompts=1"_s << server.alias() << u"id"_s << u"-un"_s;

    env.insert(u"GPUWB_TEST_SECRET"_s, u"wrong\npassword"_s);
    QVERIFY(runSsh(args, env).exitCode != 0);

    env.insert(u"GPUWB_TEST_SECRET"_s, SshdServer::password());
    const SshRun r = runSsh(args, env);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err + server.log()));
    QCOMPARE(r.out, SshdServer::userName() + u'\n');
    QTRY_VERIFY_WITH_TIMEOUT(
        server.log().contains(u"Accepted keyboard-interactive/pam for gpuwbtest"_s), 10000);

    // Password authentication proper is off: the client gets no password method.
    QStringList pwArgs = args;
    pwArgs.replace(pwArgs.indexOf(u"PreferredAuthentications=keyboard-interactive"_s),
                   u"PreferredAuthentications=password"_s);
    QVERIFY(runSsh(pwArgs, env).exitCode != 0);
}

void TestSshdServer::keyAuthCanBeTurnedOff()
{
    SshdServer::Options options;
    options.publicKeyAuth = false;
    SshdServer server(options);
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    QStringList args = baseArgs(server);
    args << u"-o"_s << u"BatchMode=yes"_s << u"-o"_s << u"StrictHostKeyChecking=accept-new"_s
         << server.alias() << u"true"_s;
    const SshRun r = runSsh(args, clientEnv(server));
    QVERIFY(r.exitCode != 0);
    QVERIFY2(r.err.contains(u"Permission denied"_s), qPrintable(r.err));
}

void TestSshdServer::newHostKeyIsDetected()
{
    SshdServer server;
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    QStringList args = baseArgs(server);
    args << u"-o"_s << u"BatchMode=yes"_s << u"-o"_s << u"StrictHostKeyChecking=accept-new"_s
         << server.alias() << u"true"_s;
    SshRun r = runSsh(args, clientEnv(server));
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));

    server.appendClientConfig(u"Host gpuwb-extra\n    HostName 127.0.0.1"_s);
    const int port = server.port();
    const QString oldFingerprint = server.hostKeyFingerprint();
    const QByteArray oldLine = server.knownHostsLine();
    const qint64 oldPid = server.pid();
    QVERIFY2(server.restartWithNewHostKey(&error), qPrintable(error));
    QCOMPARE(server.port(), port);
    QVERIFY(server.hostKeyFingerprint() != oldFingerprint);
    QVERIFY(server.knownHostsLine() != oldLine);
    QVERIFY(!isAlive(oldPid));

    r = runSsh(args, clientEnv(server));
    QVERIFY(r.exitCode != 0);
    QVERIFY2(r.err.contains(u"REMOTE HOST IDENTIFICATION HAS CHANGED"_s), qPrintable(r.err));
    QVERIFY2(r.err.contains(server.hostKeyFingerprint()), qPrintable(r.err));

    // The client config kept the appended block, and the new knownHostsLine() is what a
    // known_hosts file needs for a strict check to pass.
    QFile config(server.clientConfigPath());
    QVERIFY(config.open(QIODevice::ReadOnly));
    QVERIFY(config.readAll().contains("Host gpuwb-extra"));
    QFile kh(server.clientSshDir() + u"/known_hosts"_s);
    QVERIFY(kh.open(QIODevice::WriteOnly | QIODevice::Truncate));
    kh.write(server.knownHostsLine() + '\n');
    kh.close();
    QStringList strict = baseArgs(server);
    strict << u"-o"_s << u"BatchMode=yes"_s << u"-o"_s << u"StrictHostKeyChecking=yes"_s
           << server.alias() << u"true"_s;
    r = runSsh(strict, clientEnv(server));
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
}

void TestSshdServer::killSessionsEndsSessionsButNotTheListener()
{
    SshdServer server;
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    const qint64 listener = server.pid();

    QProcess session;
    session.setProcessEnvironment(clientEnv(server));
    session.setStandardInputFile(QProcess::nullDevice());
    QStringList args = baseArgs(server);
    args << u"-o"_s << u"BatchMode=yes"_s << u"-o"_s << u"StrictHostKeyChecking=accept-new"_s
         << server.alias() << u"echo started; sleep 60"_s;
    session.start(u"ssh"_s, args);
    // QTRY evaluates its condition more than once: keep what was read.
    QByteArray output;
    QTRY_VERIFY_WITH_TIMEOUT((output += session.readAllStandardOutput()).contains("started")
                                 || session.state() == QProcess::NotRunning,
                             60000);
    QCOMPARE(session.state(), QProcess::Running);
    const QList<qint64> sessionPids = descendantsOf(listener);
    QVERIFY(!sessionPids.isEmpty());

    server.killSessions();
    QVERIFY(session.waitForFinished(30000));
    QVERIFY(session.exitCode() != 0);
    for (qint64 pid : sessionPids)
        QTRY_VERIFY_WITH_TIMEOUT(!isAlive(pid), 20000);

    QCOMPARE(server.pid(), listener);
    QVERIFY(isAlive(listener));
    QStringList again = baseArgs(server);
    again << u"-o"_s << u"BatchMode=yes"_s << server.alias() << u"id"_s << u"-un"_s;
    const SshRun r = runSsh(again, clientEnv(server));
    QVERIFY2(r.exitCode == 0, qPrintable(r.err + server.log()));
    QCOMPARE(r.out, SshdServer::userName() + u'\n');
}

void TestSshdServer::stopLeavesNoProcess()
{
    SshdServer server;
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    const qint64 listener = server.pid();

    QProcess session;
    session.setProcessEnvironment(clientEnv(server));
    session.setStandardInputFile(QProcess::nullDevice());
    QStringList args = baseArgs(server);
    args << u"-o"_s << u"BatchMode=yes"_s << u"-o"_s << u"StrictHostKeyChecking=accept-new"_s
         << server.alias() << u"echo started; sleep 60"_s;
    session.start(u"ssh"_s, args);
    // QTRY evaluates its condition more than once: keep what was read.
    QByteArray output;
    QTRY_VERIFY_WITH_TIMEOUT((output += session.readAllStandardOutput()).contains("started")
                                 || session.state() == QProcess::NotRunning,
                             60000);
    QCOMPARE(session.state(), QProcess::Running);
    const QList<qint64> tree = descendantsOf(listener);
    QVERIFY(tree.size() >= 2); // the session's sshd processes and the remote shell

    server.stop();
    QCOMPARE(server.pid(), 0);
    QVERIFY(!isAlive(listener));
    for (qint64 pid : tree)
        QTRY_VERIFY_WITH_TIMEOUT(!isAlive(pid), 20000);
    QVERIFY(session.waitForFinished(30000));
    QVERIFY(session.exitCode() != 0);

    // Stopping twice is harmless, and a stopped server starts again.
    const int port = server.port();
    server.stop();
    QVERIFY2(server.start(&error), qPrintable(error));
    QVERIFY(server.pid() > 0);
    QCOMPARE(server.port(), port);
}

void TestSshdServer::proxyJumpThroughSecondServer()
{
    SshdServer jump;
    SshdServer target;
    QString error;
    QVERIFY2(jump.start(&error), qPrintable(error));
    QVERIFY2(target.start(&error), qPrintable(error));
    QVERIFY(jump.port() != target.port());
    QVERIFY(jump.clientHome() != target.clientHome());

    // The jump's own ssh reads the same -F config, so known hosts are set there for both hops.
    jump.appendClientConfig(u"Host gpuwb-target\n"
                            "    HostName 127.0.0.1\n"
                            "    Port %1\n"
                            "    User gpuwbtest\n"
                            "    IdentityFile %2\n"
                            "Host *\n"
                            "    UserKnownHostsFile %3/known_hosts\n"
                            "    StrictHostKeyChecking accept-new\n"
                            "    BatchMode yes\n"_s.arg(target.port())
                                .arg(target.plainKeyPath(), jump.clientSshDir()));
    const SshRun r = runSsh({u"-F"_s, jump.clientConfigPath(), u"-J"_s, jump.alias(),
                             u"gpuwb-target"_s, u"echo"_s, u"via-jump"_s},
                            clientEnv(jump));
    QVERIFY2(r.exitCode == 0, qPrintable(r.err + jump.log() + target.log()));
    QCOMPARE(r.out, u"via-jump\n"_s);
    QTRY_VERIFY_WITH_TIMEOUT(jump.log().contains(u"Accepted publickey for gpuwbtest"_s), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(target.log().contains(u"Accepted publickey for gpuwbtest"_s), 10000);
}

void TestSshdServer::remoteScratchDirBelongsToUser()
{
    QString dir;
    {
        SshdServer server;
        QString error;
        QVERIFY2(server.start(&error), qPrintable(error));
        dir = server.makeRemoteScratchDir();
        QVERIFY(!dir.isEmpty());
        QVERIFY(dir.startsWith(server.userHome() + u'/'));
        QVERIFY(dir != server.makeRemoteScratchDir());
        struct stat st{};
        QCOMPARE(::stat(QFile::encodeName(dir).constData(), &st), 0);
        const passwd *pw = ::getpwnam("gpuwbtest");
        QVERIFY(pw);
        QCOMPARE(st.st_uid, pw->pw_uid);
        QCOMPARE(st.st_gid, pw->pw_gid);

        // The user can write there over ssh; a read-only subdirectory does not stop removal.
        QStringList args = baseArgs(server);
        args << u"-o"_s << u"BatchMode=yes"_s << u"-o"_s << u"StrictHostKeyChecking=accept-new"_s
             << server.alias()
             << u"cd '%1' && mkdir -p 'a b/c' && touch 'a b/c/f' && chmod 500 'a b/c' && ls"_s
                    .arg(dir);
        const SshRun r = runSsh(args, clientEnv(server));
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(r.out, u"a b\n"_s);
    }
    QVERIFY(!QFileInfo::exists(dir));
}

void TestSshdServer::extraConfigOverridesDefaults()
{
    SshdServer::Options options;
    // Overrides a fixture default (PubkeyAuthentication yes) and adds a Match block.
    options.extraConfig = u"PubkeyAuthentication no\nMatch Address 10.0.0.1\n"
                          "    PasswordAuthentication no\n"_s;
    SshdServer server(options);
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    QStringList args = baseArgs(server);
    args << u"-o"_s << u"BatchMode=yes"_s << u"-o"_s << u"StrictHostKeyChecking=accept-new"_s
         << server.alias() << u"true"_s;
    const SshRun r = runSsh(args, clientEnv(server));
    QVERIFY(r.exitCode != 0);
    QVERIFY2(r.err.contains(u"Permission denied"_s), qPrintable(r.err));
}

QTEST_GUILESS_MAIN(TestSshdServer)
#include "tst_sshdserver.moc"
