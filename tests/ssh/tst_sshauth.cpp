#include "core/ssh/keychainsecretstore.h"
#include "core/ssh/sshconnection.h"
#include "core/ssh/sshprompter.h"
#include "helpers/sshtest.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QMutex>
#include <QProcess>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QStandardPaths>
#include <QTest>

#include <libssh/libssh.h>

#include <csignal>
#include <functional>

using namespace Qt::StringLiterals;
using namespace gpuwb;

namespace {

class ScriptedPrompter : public SshPrompter
{
public:
    bool acceptHostKey(const SshHostKeyInfo &) override { return false; }
    std::optional<SshSecret> askSecret(const SshSecretRequest &request) override
    {
        QMutexLocker lock(&m_mutex);
        requests << request;
        if (onAsk)
            onAsk(request);
        if (answers.isEmpty())
            return std::nullopt;
        return answers.takeFirst();
    }
    QMutex m_mutex;
    QList<SshSecretRequest> requests;
    QList<std::optional<SshSecret>> answers;
    std::function<void(const SshSecretRequest &)> onAsk; // on the owner thread
};

// The processes below `root` (the sshd sessions forked by the fixture's listener).
QList<qint64> descendantsOf(qint64 root)
{
    QHash<qint64, qint64> parent;
    const QStringList entries = QDir(u"/proc"_s).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &entry : entries) {
        bool ok = false;
        const qint64 pid = entry.toLongLong(&ok);
        QFile stat(u"/proc/%1/stat"_s.arg(entry));
        if (!ok || !stat.open(QIODevice::ReadOnly))
            continue;
        const QByteArray line = stat.readAll();
        // "pid (comm) state ppid ...": comm may hold spaces, so read after the last ')'.
        const QList<QByteArray> rest = line.mid(line.lastIndexOf(')') + 2).split(' ');
        if (rest.size() > 1)
            parent.insert(pid, rest.at(1).toLongLong());
    }
    QList<qint64> out;
    for (auto it = parent.cbegin(); it != parent.cend(); ++it) {
        for (qint64 p = it.value(); p > 1; p = parent.value(p, 0)) {
            if (p == root) {
                out << it.key();
                break;
            }
        }
    }
    return out;
}

// Files under the roots that contain `secret`.
QStringList filesContaining(const QStringList &roots, const QByteArray &secret)
{
    QStringList found;
    for (const QString &root : roots) {
        QDirIterator it(root, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            QFile f(it.next());
            if (f.size() < 1'000'000 && f.open(QIODevice::ReadOnly)
                && f.readAll().contains(secret))
                found << f.fileName();
        }
    }
    return found;
}

} // namespace

class TestSshAuth : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<test::SshdServer> m_server;
    std::shared_ptr<ScriptedPrompter> m_prompter;

    SshConnection::Options options()
    {
        SshConnection::Options o;
        o.prompter = m_prompter;
        o.connectTimeoutSeconds = 20;
        return o;
    }
    static Result<bool> login(SshConnection &c)
    {
        std::optional<Result<bool>> out;
        QObject context;
        c.call<bool>(
            &context,
            [](SshSessionContext &ctx) -> Result<bool> { return ctx.session() != nullptr; },
            [&](Result<bool> r) { out = std::move(r); });
        if (!QTest::qWaitFor([&] { return out.has_value(); }, 60'000))
            return Error{ErrorCode::Timeout, u"no answer"_s};
        return std::move(*out);
    }
    // Replaces the default server with one started with `o`, set up like init() does.
    bool restartServer(const test::SshdServer::Options &o)
    {
        m_server = std::make_unique<test::SshdServer>(o);
        QString error;
        if (!m_server->start(&error)) {
            qWarning() << "sshd did not start:" << error;
            return false;
        }
        qputenv("HOME", m_server->clientHome().toUtf8());
        QFile known(SshPaths::defaults().knownHostsFile);
        if (!known.open(QIODevice::Append))
            return false;
        known.write(m_server->knownHostsLine() + '\n');
        return true;
    }
    void addHostWithoutIdentity(const QString &alias)
    {
        m_server->appendClientConfig(u"\nHost %1\n  HostName 127.0.0.1\n  Port %2\n  User %3\n"_s
                                         .arg(alias)
                                         .arg(m_server->port())
                                         .arg(test::SshdServer::userName()));
    }
    void addHost(const QString &alias, const QString &identity)
    {
        m_server->appendClientConfig(u"\nHost %1\n  HostName 127.0.0.1\n  Port %2\n  User %3\n"
                                     "  IdentityFile %4\n"_s.arg(alias).arg(m_server->port())
                                         .arg(test::SshdServer::userName(), identity));
    }

private slots:
    void init()
    {
        QStandardPaths::setTestModeEnabled(true);
        m_server = std::make_unique<test::SshdServer>();
        GPUWB_START_SSHD(*m_server);
        qputenv("HOME", m_server->clientHome().toUtf8());
        qunsetenv("SSH_AUTH_SOCK");
        QFile known(SshPaths::defaults().knownHostsFile);
        QVERIFY(known.open(QIODevice::Append));
        known.write(m_server->knownHostsLine() + '\n');
        m_prompter = std::make_shared<ScriptedPrompter>();
    }
    void cleanup() { m_server.reset(); }

    void passphraseAskedWithRetry()
    {
        addHost(u"secretkey"_s, m_server->secretKeyPath());
        m_prompter->answers = {SshSecret{u"wrong $(x) \"'"_s, false},
                               SshSecret{test::SshdServer::keyPassphrase(), false}};
        SshConnection c(u"secretkey"_s, options());
        Result<bool> r = login(c);
        QVERIFY2(r.ok(), qPrintable(r.errorMessage()));
        QCOMPARE(m_prompter->requests.size(), 2);
        QCOMPARE(m_prompter->requests.at(0).kind, SshSecretRequest::Kind::Passphrase);
        QCOMPARE(m_prompter->requests.at(0).keyFile, m_server->secretKeyPath());
        QCOMPARE(m_prompter->requests.at(1).attempt, 2);
        QVERIFY(!m_prompter->requests.at(1).previousError.isEmpty());
        // A reconnect reuses the passphrase held in memory: nothing more is asked.
        m_server->killSessions();
        QTRY_COMPARE_WITH_TIMEOUT(int(c.state()), int(SshState::Reconnecting), 30'000);
        QTRY_COMPARE_WITH_TIMEOUT(int(c.state()), int(SshState::Connected), 60'000);
        QCOMPARE(m_prompter->requests.size(), 2);
    }

    void wrongPasswordThrice()
    {
        // A key the server does not know, then the password: the refusal lists both.
        const QString otherKey = m_server->clientSshDir() + u"/id_other"_s;
        QProcess keygen;
        keygen.start(u"ssh-keygen"_s, {u"-q"_s, u"-t"_s, u"ed25519"_s, u"-N"_s, QString(),
                                       u"-C"_s, QString(), u"-f"_s, otherKey});
        QVERIFY(keygen.waitForFinished(30'000));
        QCOMPARE(keygen.exitCode(), 0);
        addHost(u"pwonly"_s, otherKey);
        for (int i = 0; i < 3; ++i)
            m_prompter->answers << SshSecret{u"nope %1 `id`"_s.arg(i), false};
        SshConnection c(u"pwonly"_s, options());
        Result<bool> r = login(c);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, ErrorCode::AuthFailed);
        const QString message = r.errorMessage();
        const qsizetype key = message.indexOf(u"key %1 (not accepted"_s.arg(otherKey));
        const qsizetype password = message.indexOf(u"password (3 wrong tries)"_s);
        QVERIFY2(key >= 0 && password > key, qPrintable(message));
        QCOMPARE(m_prompter->requests.size(), 3);
        QCOMPARE(m_prompter->requests.at(0).kind, SshSecretRequest::Kind::Password);
        QCOMPARE(m_prompter->requests.at(2).attempt, 3);
        QVERIFY(!m_prompter->requests.at(2).previousError.isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(int(c.state()), int(SshState::Failed), 20'000);
        QCOMPARE(c.stateMessage(), message);
    }

    // The server stops answering after the password went out: the login ends with "timeout"
    // after the connect timeout instead of waiting or asking again.
    void serverSilentDuringLoginTimesOut()
    {
        addHost(u"pwonly"_s, m_server->clientSshDir() + u"/no-such-key"_s);
        const qint64 root = m_server->pid();
        QVERIFY(root > 0);
        m_prompter->onAsk = [root](const SshSecretRequest &) {
            for (qint64 pid : descendantsOf(root))
                ::kill(pid_t(pid), SIGSTOP); // the fixture's sessions; it kills them at the end
        };
        m_prompter->answers << SshSecret{test::SshdServer::password(), false};
        auto o = options();
        o.connectTimeoutSeconds = 3;
        SshConnection c(u"pwonly"_s, o);
        Result<bool> r = login(c);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, ErrorCode::Timeout);
        QVERIFY2(r.errorMessage().contains(u"ConnectTimeout"_s), qPrintable(r.errorMessage()));
        QCOMPARE(m_prompter->requests.size(), 1);
        QTRY_COMPARE_WITH_TIMEOUT(int(c.state()), int(SshState::Failed), 20'000);
    }

    // PAM through keyboard-interactive, the only method offered. (Each wrong answer costs
    // PAM's ~2 s delay, so every case lives in this one test.)
    void keyboardInteractive()
    {
        test::SshdServer::Options o;
        o.kbdInteractiveAuth = true;
        o.passwordAuth = false;
        o.publicKeyAuth = false;
        QVERIFY(restartServer(o));
        const QString alias = m_server->alias();
        m_prompter->answers = {SshSecret{u"wrong'; $(id) `id`"_s, false},
                               SshSecret{u"\nwrong\x01\u00e9"_s, false},
                               SshSecret{test::SshdServer::password(), false}};
        {
            SshConnection c(alias, options());
            Result<bool> r = login(c);
            QVERIFY2(r.ok(), qPrintable(r.errorMessage()));
        }
        QCOMPARE(m_prompter->requests.size(), 3);
        for (int i = 0; i < 3; ++i) {
            const SshSecretRequest &request = m_prompter->requests.at(i);
            QCOMPARE(request.kind, SshSecretRequest::Kind::KeyboardInteractive);
            QCOMPARE(request.prompt, u"Password: "_s);
            QCOMPARE(request.echo, false);
            QVERIFY(request.rememberable); // a password: "Remember" is offered
            QCOMPARE(request.attempt, i + 1);
            QCOMPARE(request.host, alias);
            QCOMPARE(request.user, test::SshdServer::userName());
            QCOMPARE(request.previousError.isEmpty(), i == 0);
        }
        QTRY_VERIFY_WITH_TIMEOUT(
            m_server->log().contains(u"Accepted keyboard-interactive"_s), 10000);

        m_prompter->requests.clear();
        m_prompter->answers = {SshSecret{u"a"_s, false}, SshSecret{u"b"_s, false},
                               SshSecret{u"c"_s, false}, SshSecret{u"never asked"_s, false}};
        SshConnection c(alias, options());
        Result<bool> r = login(c);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, ErrorCode::AuthFailed);
        QVERIFY2(r.errorMessage().contains(u"keyboard-interactive (3 wrong answers)"_s),
                 qPrintable(r.errorMessage()));
        QCOMPARE(m_prompter->requests.size(), 3);
        QTRY_COMPARE_WITH_TIMEOUT(int(c.state()), int(SshState::Failed), 20'000);
    }

    // Issue 10, item 16: only password prompts are kept for reconnects or offered "Remember";
    // one-time codes and second factors are asked every time.
    void passwordPromptsOnly_data()
    {
        QTest::addColumn<QString>("prompt");
        QTest::addColumn<bool>("password");
        QTest::newRow("password") << u"Password: "_s << true;
        QTest::newRow("user's password") << u"gpuwbtest@gpu1's password:"_s << true;
        QTest::newRow("otp") << u"Verification code: "_s << false;
        QTest::newRow("duo") << u"Duo two-factor login (passcode): "_s << false;
        QTest::newRow("token") << u"Enter your one-time password (token): "_s << false;
        QTest::newRow("pin") << u"Password + PIN: "_s << false;
        QTest::newRow("plain question") << u"Continue? "_s << false;
    }
    void passwordPromptsOnly()
    {
        QFETCH(QString, prompt);
        QFETCH(bool, password);
        QCOMPARE(isPasswordPrompt(prompt), password);
    }

    // ssh-agent holds the key (added with its passphrase): no question, no key file needed.
    void agentLogsInWithoutPrompt()
    {
        test::SshAgent agent;
        QString error;
        QVERIFY2(agent.start(&error), qPrintable(error));
        QVERIFY2(agent.add(m_server->secretKeyPath(), test::SshdServer::keyPassphrase(), &error),
                 qPrintable(error));
        qputenv("SSH_AUTH_SOCK", QFile::encodeName(agent.socketPath()));
        auto unset = qScopeGuard([] { qunsetenv("SSH_AUTH_SOCK"); });
        addHostWithoutIdentity(u"viaagent"_s);
        SshConnection c(u"viaagent"_s, options());
        Result<bool> r = login(c);
        QVERIFY2(r.ok(), qPrintable(r.errorMessage()));
        QVERIFY(m_prompter->requests.isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(m_server->log().contains(u"Accepted publickey"_s), 10000);
    }

    // Without the agent the passphrase is asked; "remember" without a keychain service still
    // logs in, says that nothing was stored, and writes the passphrase nowhere.
    void passphraseRememberWithoutKeychain()
    {
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
        addHost(u"secretkey"_s, m_server->secretKeyPath());
        m_prompter->answers = {SshSecret{u"not it"_s, true},
                               SshSecret{test::SshdServer::keyPassphrase(), true}};
        auto o = options();
        o.secrets = std::make_shared<KeychainSecretStore>(u"gpuwb-test"_s);
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"was not remembered.*not stored"_s));
        SshConnection c(u"secretkey"_s, o);
        Result<bool> r = login(c);
        QVERIFY2(r.ok(), qPrintable(r.errorMessage()));
        QCOMPARE(m_prompter->requests.size(), 2);
        QCOMPARE(m_prompter->requests.at(0).kind, SshSecretRequest::Kind::Passphrase);
        QCOMPARE(m_prompter->requests.at(0).keyFile, m_server->secretKeyPath());
        QCOMPARE(m_prompter->requests.at(1).attempt, 2);
        QCOMPARE(m_prompter->requests.at(1).previousError, u"Wrong passphrase."_s);
        const QStringList leaked = filesContaining(
            {m_server->clientHome(),
             QStandardPaths::writableLocation(QStandardPaths::ConfigLocation),
             QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation)},
            test::SshdServer::keyPassphrase().toUtf8());
        QVERIFY2(leaked.isEmpty(), qPrintable(leaked.join(u", "_s)));
    }

    void rightPassword()
    {
        addHost(u"pwonly"_s, m_server->clientSshDir() + u"/no-such-key"_s);
        m_prompter->answers << SshSecret{u"bad"_s, false}
                            << SshSecret{test::SshdServer::password(), false};
        SshConnection c(u"pwonly"_s, options());
        Result<bool> r = login(c);
        QVERIFY2(r.ok(), qPrintable(r.errorMessage()));
        QCOMPARE(m_prompter->requests.at(0).kind, SshSecretRequest::Kind::Password);
    }

    void cancelledPrompt()
    {
        addHost(u"pwonly"_s, m_server->clientSshDir() + u"/no-such-key"_s);
        SshConnection c(u"pwonly"_s, options()); // no answers: the prompt is cancelled
        Result<bool> r = login(c);
        QCOMPARE(r.error().code, ErrorCode::Cancelled);
        QCOMPARE(m_prompter->requests.size(), 1);
    }

    void keychainWithoutServiceStoresNothing()
    {
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
        KeychainSecretStore store(u"gpuwb-test"_s);
        const QString secret = u"s3cret-%1"_s.arg(QCoreApplication::applicationPid());
        Status s = store.write(u"password/u@h:22"_s, secret);
        QVERIFY(!s.ok());
        QCOMPARE(s.error().code, ErrorCode::NoKeychain);
        QVERIFY(s.errorMessage().contains(u"not stored"_s));
        QVERIFY(!store.read(u"password/u@h:22"_s).ok());
        const QStringList roots = {
            m_server->clientHome(),
            QStandardPaths::writableLocation(QStandardPaths::ConfigLocation),
            QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation)};
        for (const QString &root : roots) {
            QDirIterator it(root, QDir::Files, QDirIterator::Subdirectories);
            while (it.hasNext()) {
                QFile f(it.next());
                if (f.size() < 1'000'000 && f.open(QIODevice::ReadOnly))
                    QVERIFY2(!f.readAll().contains(secret.toUtf8()), qPrintable(f.fileName()));
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestSshAuth)
#include "tst_sshauth.moc"
