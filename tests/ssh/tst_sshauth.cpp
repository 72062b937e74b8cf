#include "core/ssh/keychainsecretstore.h"
#include "core/ssh/sshconnection.h"
#include "core/ssh/sshprompter.h"
#include "helpers/sshdserver.h"

#include <QDirIterator>
#include <QFile>
#include <QMutex>
#include <QStandardPaths>
#include <QTest>

#include <libssh/libssh.h>

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
        if (answers.isEmpty())
            return std::nullopt;
        return answers.takeFirst();
    }
    QMutex m_mutex;
    QList<SshSecretRequest> requests;
    QList<std::optional<SshSecret>> answers;
};

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
            &context, [](SshSessionContext &ctx) -> Result<bool> { return ctx.session() != nullptr; },
            [&](Result<bool> r) { out = std::move(r); });
        if (!QTest::qWaitFor([&] { return out.has_value(); }, 60'000))
            return Error{u"test-timeout"_s, u"no answer"_s};
        return std::move(*out);
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
        QString error;
        if (!m_server->start(&error))
            QSKIP(qPrintable(u"no sshd: "_s + error));
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
        addHost(u"pwonly"_s, m_server->clientSshDir() + u"/no-such-key"_s);
        for (int i = 0; i < 3; ++i)
            m_prompter->answers << SshSecret{u"nope %1 `id`"_s.arg(i), false};
        SshConnection c(u"pwonly"_s, options());
        Result<bool> r = login(c);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, u"auth-failed"_s);
        QVERIFY2(r.errorMessage().contains(u"password (3 wrong tries)"_s),
                 qPrintable(r.errorMessage()));
        QCOMPARE(m_prompter->requests.size(), 3);
        QCOMPARE(m_prompter->requests.at(2).attempt, 3);
        QTRY_COMPARE_WITH_TIMEOUT(int(c.state()), int(SshState::Failed), 20'000);
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
        QCOMPARE(r.error().code, u"cancelled"_s);
        QCOMPARE(m_prompter->requests.size(), 1);
    }

    void keychainWithoutServiceStoresNothing()
    {
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
        KeychainSecretStore store(u"gpuwb-test"_s);
        const QString secret = u"s3cret-%1"_s.arg(QCoreApplication::applicationPid());
        Status s = store.write(u"password/u@h:22"_s, secret);
        QVERIFY(!s.ok());
        QCOMPARE(s.error().code, u"no-keychain"_s);
        QVERIFY(s.errorMessage().contains(u"not stored"_s));
        QVERIFY(!store.read(u"password/u@h:22"_s).ok());
        const QStringList roots = {m_server->clientHome(),
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
