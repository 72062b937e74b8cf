#include "core/ssh/sshconnection.h"
#include "core/ssh/sshprompter.h"
#include "helpers/sshtest.h"

#include <QDir>
#include <QFile>
#include <QMutex>
#include <QSettings>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QThread>

#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include <atomic>

using namespace Qt::StringLiterals;
using namespace gpuwb;

namespace {

// Answers from a script and records what it was asked; thread-safe.
class ScriptedPrompter : public SshPrompter
{
public:
    bool acceptHostKey(const SshHostKeyInfo &key) override
    {
        if (keyDelayMs > 0)
            QThread::msleep(keyDelayMs); // a person reading the fingerprint
        QMutexLocker lock(&m_mutex);
        hostKeys << key;
        return acceptKeys;
    }
    std::optional<SshSecret> askSecret(const SshSecretRequest &request) override
    {
        QMutexLocker lock(&m_mutex);
        requests << request;
        if (answers.isEmpty())
            return std::nullopt;
        return answers.takeFirst();
    }
    QMutex m_mutex;
    bool acceptKeys = true;
    std::atomic<int> keyDelayMs = 0;
    QList<SshHostKeyInfo> hostKeys;
    QList<SshSecretRequest> requests;
    QList<std::optional<SshSecret>> answers;
};

// Sits in askSecret, as a person at a dialog would, until the test has started closing and
// about a second more, then answers with the right password; counts the questions.
class SlowPrompter : public SshPrompter
{
public:
    bool acceptHostKey(const SshHostKeyInfo &) override { return true; }
    std::optional<SshSecret> askSecret(const SshSecretRequest &) override
    {
        ++asked;
        inside = true;
        for (int i = 0; i < 3000 && !release; ++i)
            QThread::msleep(10);
        QThread::msleep(1000);
        release = false;
        inside = false;
        return SshSecret{test::SshdServer::password(), false};
    }
    std::atomic<int> asked = 0;
    std::atomic<bool> inside = false;
    std::atomic<bool> release = false;
};

// Runs `sleep 100` on a channel, reading in Wait steps until the channel ends.
struct SleepRun
{
    ssh_channel channel = nullptr;
    ~SleepRun()
    {
        if (channel)
            ssh_channel_free(channel);
    }
};

} // namespace

class TestSshConnection : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<test::SshdServer> m_server;
    std::shared_ptr<ScriptedPrompter> m_prompter;

    SshConnection::Options options()
    {
        SshConnection::Options o;
        o.paths = SshPaths::defaults();
        o.prompter = m_prompter;
        o.connectTimeoutSeconds = 20;
        return o;
    }
    template<typename T>
    static Result<T> callAndWait(SshConnection &c,
                                 std::function<Result<T>(SshSessionContext &)> work)
    {
        std::optional<Result<T>> out;
        QObject context;
        c.call<T>(&context, std::move(work), [&](Result<T> r) { out = std::move(r); });
        if (!QTest::qWaitFor([&] { return out.has_value(); }, 60'000))
            return Error{ErrorCode::Timeout, u"no answer"_s};
        return std::move(*out);
    }
    static Result<QString> whoami(SshConnection &c)
    {
        return callAndWait<QString>(c, [](SshSessionContext &ctx) -> Result<QString> {
            ssh_channel ch = ssh_channel_new(ctx.session());
            if (!ch || ssh_channel_open_session(ch) != SSH_OK
                || ssh_channel_request_exec(ch, "id -un") != SSH_OK) {
                if (ch)
                    ssh_channel_free(ch);
                return Error{ErrorCode::ExecFailed, QString::fromUtf8(ssh_get_error(ctx.session()))};
            }
            QByteArray out;
            char buf[256];
            int n;
            while ((n = ssh_channel_read(ch, buf, sizeof buf, 0)) > 0)
                out.append(buf, n);
            ssh_channel_free(ch);
            return QString::fromUtf8(out).trimmed();
        });
    }

private slots:
    void init()
    {
        m_server = std::make_unique<test::SshdServer>();
        GPUWB_START_SSHD(*m_server);
        qputenv("HOME", m_server->clientHome().toUtf8());
        m_prompter = std::make_shared<ScriptedPrompter>();
    }
    void cleanup() { m_server.reset(); }

    void connectsAcceptingUnknownHostKey()
    {
        SshConnection c(m_server->alias(), options());
        QSignalSpy states(&c, &SshConnection::stateChanged);
        Result<QString> who = whoami(c);
        QVERIFY2(who.ok(), qPrintable(who.errorMessage()));
        QCOMPARE(who.value(), test::SshdServer::userName());
        QTRY_COMPARE_WITH_TIMEOUT(int(c.state()), int(SshState::Connected), 20'000);
        QVERIFY(c.stateMessage().contains(u":%1"_s.arg(m_server->port())));
        QCOMPARE(m_prompter->hostKeys.size(), 1);
        QCOMPARE(m_prompter->hostKeys.first().fingerprint, m_server->hostKeyFingerprint());
        QCOMPARE(m_prompter->hostKeys.first().host, u"[127.0.0.1]:%1"_s.arg(m_server->port()));
        QVERIFY(m_prompter->requests.isEmpty()); // id_plain needs nothing
        QFile known(SshPaths::defaults().knownHostsFile);
        QVERIFY(known.open(QIODevice::ReadOnly));
        QVERIFY(known.readAll().contains(u"[127.0.0.1]:%1"_s.arg(m_server->port()).toUtf8()));
        QVERIFY(states.count() >= 2);
        // SFTP is opened once and kept.
        Result<bool> sftpSame = callAndWait<bool>(c, [](SshSessionContext &ctx) -> Result<bool> {
            Result<sftp_session_struct *> a = ctx.sftp();
            if (!a)
                return a.error();
            return a.value() == ctx.sftp().value();
        });
        QVERIFY2(sftpSame.ok() && sftpSame.value(), qPrintable(sftpSame.errorMessage()));
    }

    void unknownHostKeyRejected()
    {
        m_prompter->acceptKeys = false;
        SshConnection c(m_server->alias(), options());
        Result<QString> who = whoami(c);
        QVERIFY(!who.ok());
        QCOMPARE(who.error().code, ErrorCode::HostKeyUnknown);
        QVERIFY(who.errorMessage().contains(m_server->hostKeyFingerprint()));
        QTRY_COMPARE_WITH_TIMEOUT(int(c.state()), int(SshState::Failed), 20'000);
        auto noPrompter = options();
        noPrompter.prompter.reset();
        SshConnection d(m_server->alias(), noPrompter);
        QCOMPARE(whoami(d).error().code, ErrorCode::HostKeyUnknown);
    }

    void changedHostKeyRefused()
    {
        QFile known(SshPaths::defaults().knownHostsFile);
        QVERIFY(known.open(QIODevice::Append));
        known.write(m_server->knownHostsLine() + '\n');
        known.close();
        QString error;
        QVERIFY2(m_server->restartWithNewHostKey(&error), qPrintable(error));
        SshConnection c(m_server->alias(), options());
        Result<QString> who = whoami(c);
        QVERIFY(!who.ok());
        QCOMPARE(who.error().code, ErrorCode::HostKeyChanged);
        QVERIFY(who.errorMessage().contains(m_server->hostKeyFingerprint()));
        QVERIFY(who.errorMessage().contains(u"ssh-keygen -R"_s));
        QVERIFY(who.errorMessage().contains(SshPaths::defaults().knownHostsFile));
        QVERIFY(m_prompter->hostKeys.isEmpty());
        QVERIFY(m_prompter->requests.isEmpty()); // refused before any authentication
    }

    void refusedPort()
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress(u"127.0.0.1"_s)));
        const int port = probe.serverPort();
        probe.close();
        m_server->appendClientConfig(
            u"\nHost refused\n  HostName 127.0.0.1\n  Port %1\n"_s.arg(port));
        SshConnection c(u"refused"_s, options());
        Result<QString> who = whoami(c);
        QCOMPARE(who.error().code, ErrorCode::Refused);
        QVERIFY(who.errorMessage().contains(QString::number(port)));
    }

    void silentServerTimesOut()
    {
        QTcpServer silent;
        QVERIFY(silent.listen(QHostAddress(u"127.0.0.1"_s)));
        QList<QTcpSocket *> held;
        connect(&silent, &QTcpServer::newConnection, this, [&] {
            while (QTcpSocket *s = silent.nextPendingConnection())
                held << s;
        });
        m_server->appendClientConfig(
            u"\nHost silent\n  HostName 127.0.0.1\n  Port %1\n"_s.arg(silent.serverPort()));
        auto o = options();
        o.connectTimeoutSeconds = 2;
        SshConnection c(u"silent"_s, o);
        Result<QString> who = whoami(c);
        QCOMPARE(who.error().code, ErrorCode::Timeout);
        qDeleteAll(held);
    }

    void lostConnectionFailsRunAndReconnects()
    {
        SshConnection c(m_server->alias(), options());
        QVERIFY(whoami(c).ok());
        QList<SshState> seen;
        connect(&c, &SshConnection::stateChanged, this,
                [&](SshState s, const QString &) { seen << s; });
        // Owned by the request alone: its channel must go before the session does.
        auto run = std::make_shared<SleepRun>();
        std::optional<Result<int>> out;
        QObject context;
        c.run<int>(
            &context,
            [run = run](SshSessionContext &ctx) {
                if (!run->channel) {
                    run->channel = ssh_channel_new(ctx.session());
                    ssh_channel_open_session(run->channel);
                    ssh_channel_request_exec(run->channel, "sleep 100");
                    return SshStep::Wait;
                }
                char buf[64];
                const int n = ssh_channel_read_nonblocking(run->channel, buf, sizeof buf, 0);
                // A read error is the connection's to report: the request just waits.
                if (n >= 0 && ssh_channel_is_eof(run->channel))
                    return SshStep::Done;
                return SshStep::Wait;
            },
            [] { return Result<int>(0); }, [&](Result<int> r) { out = std::move(r); });
        run.reset();
        QTest::qWait(1000);
        QVERIFY(!out.has_value());
        m_server->killSessions();
        QTRY_VERIFY_WITH_TIMEOUT(out.has_value(), 30'000);
        QVERIFY(!out->ok());
        QCOMPARE(out->error().code, ErrorCode::ConnectionLost);
        QTRY_VERIFY_WITH_TIMEOUT(seen.contains(SshState::Reconnecting), 30'000);
        QTRY_COMPARE_WITH_TIMEOUT(int(c.state()), int(SshState::Connected), 60'000);
        Result<QString> again = whoami(c);
        QVERIFY2(again.ok(), qPrintable(again.errorMessage()));
        QCOMPARE(m_prompter->hostKeys.size(), 1); // asked once, never on reconnect
    }

    void disconnectFailsPendingWithClosed()
    {
        SshConnection c(m_server->alias(), options());
        QVERIFY(whoami(c).ok());
        std::optional<Result<int>> out;
        QObject context;
        c.run<int>(
            &context, [](SshSessionContext &) { return SshStep::Wait; },
            [] { return Result<int>(1); }, [&](Result<int> r) { out = std::move(r); });
        QTest::qWait(200);
        c.disconnectFromHost();
        QTRY_VERIFY_WITH_TIMEOUT(out.has_value(), 20'000);
        QCOMPARE(out->error().code, ErrorCode::Closed);
        QTRY_COMPARE_WITH_TIMEOUT(int(c.state()), int(SshState::Disconnected), 20'000);
        // The destructor fails what is queued and joins promptly.
        std::optional<Result<int>> late;
        {
            SshConnection d(m_server->alias(), options());
            d.run<int>(
                &context, [](SshSessionContext &) { return SshStep::Wait; },
                [] { return Result<int>(1); }, [&](Result<int> r) { late = std::move(r); });
            QTRY_COMPARE_WITH_TIMEOUT(int(d.state()), int(SshState::Connected), 20'000);
        }
        QTRY_VERIFY_WITH_TIMEOUT(late.has_value(), 20'000);
        QCOMPARE(late->error().code, ErrorCode::Closed);
    }

    // Closing while the prompter is inside a question: disconnectFromHost() returns at once,
    // the destructor once the prompter returns; its answer is dropped and nothing is sent.
    void closeWhilePrompting()
    {
        m_server->appendClientConfig(u"\nHost pwonly\n  HostName 127.0.0.1\n  Port %1\n  User %2\n"
                                     "  IdentityFile %3/no-such-key\n"_s.arg(m_server->port())
                                         .arg(test::SshdServer::userName(),
                                              m_server->clientSshDir()));
        auto slow = std::make_shared<SlowPrompter>();
        auto o = options();
        o.prompter = slow;
        QObject context;
        std::optional<Result<bool>> out;
        {
            SshConnection c(u"pwonly"_s, o);
            c.call<bool>(
                &context, [](SshSessionContext &) -> Result<bool> { return true; },
                [&](Result<bool> r) { out = std::move(r); });
            QTRY_VERIFY_WITH_TIMEOUT(slow->inside, 30'000);
            slow->release = true;
            c.disconnectFromHost(); // only posts the close
            QTRY_VERIFY_WITH_TIMEOUT(out.has_value(), 30'000);
            QCOMPARE(out->error().code, ErrorCode::Closed);
            QTRY_COMPARE_WITH_TIMEOUT(int(c.state()), int(SshState::Disconnected), 20'000);
        }
        QCOMPARE(slow->asked.load(), 1);

        // The destructor while the question is up.
        out.reset();
        {
            auto c = std::make_unique<SshConnection>(u"pwonly"_s, o);
            c->call<bool>(
                &context, [](SshSessionContext &) -> Result<bool> { return true; },
                [&](Result<bool> r) { out = std::move(r); });
            QTRY_VERIFY_WITH_TIMEOUT(slow->inside, 30'000);
            slow->release = true;
            c.reset();
        }
        QVERIFY(!slow->inside);
        QTRY_VERIFY_WITH_TIMEOUT(out.has_value(), 20'000);
        QCOMPARE(out->error().code, ErrorCode::Closed);
        QCOMPARE(slow->asked.load(), 2);
        // The right password each time, never sent.
        QTest::qWait(200);
        QVERIFY(!m_server->log().contains(u"Accepted password"_s));
    }

    // A step that meets the read error and finishes with its own error: every other pending
    // request still gets "connection-lost", and the connection reconnects.
    void stepDoneAfterReadErrorStillFailsOthers()
    {
        SshConnection c(m_server->alias(), options());
        QVERIFY(whoami(c).ok());
        auto run = std::make_shared<SleepRun>();
        std::optional<Result<int>> reader;
        std::optional<Result<int>> waiter;
        auto readError = std::make_shared<QString>();
        QObject context;
        c.run<int>(
            &context,
            [run, readError](SshSessionContext &ctx) {
                if (!run->channel) {
                    run->channel = ssh_channel_new(ctx.session());
                    ssh_channel_open_session(run->channel);
                    ssh_channel_request_exec(run->channel, "sleep 100");
                    return SshStep::Wait;
                }
                char buf[64];
                const int n = ssh_channel_read_nonblocking(run->channel, buf, sizeof buf, 0);
                if (n == SSH_ERROR || ssh_channel_is_closed(run->channel)) {
                    *readError = QString::fromUtf8(ssh_get_error(ctx.session()));
                    return SshStep::Done;
                }
                return SshStep::Wait;
            },
            [readError]() -> Result<int> { return Error{ErrorCode::IoError, *readError}; },
            [&](Result<int> r) { reader = std::move(r); });
        c.run<int>(
            &context, [](SshSessionContext &) { return SshStep::Wait; },
            [] { return Result<int>(1); }, [&](Result<int> r) { waiter = std::move(r); });
        run.reset();
        QTest::qWait(500);
        QVERIFY(!reader && !waiter);
        m_server->killSessions();
        QTRY_VERIFY_WITH_TIMEOUT(reader.has_value() && waiter.has_value(), 30'000);
        QVERIFY(!reader->ok());
        // Its own error when the step met it first, else the connection's.
        QVERIFY2(reader->error().code == ErrorCode::IoError
                     || reader->error().code == ErrorCode::ConnectionLost,
                 qPrintable(errorCodeName(reader->error().code)));
        QCOMPARE(waiter->error().code, ErrorCode::ConnectionLost);
        QTRY_COMPARE_WITH_TIMEOUT(int(c.state()), int(SshState::Connected), 60'000);
        QVERIFY(whoami(c).ok());
    }

    // OpenSSH takes any alias; libssh only host-name characters. An alias with '_' or shell
    // characters still connects through its HostName, and one without says what to add.
    void aliasesLibsshRefuses()
    {
        const QString odd = u"gpu_box $(touch x);'\"`"_s;
        m_server->appendClientConfig(u"\nHost gpu_box\n  HostName 127.0.0.1\n  Port %1\n  User %2\n"
                                     "  IdentityFile %3\n"_s.arg(m_server->port())
                                         .arg(test::SshdServer::userName(),
                                              m_server->plainKeyPath()));
        {
            SshConnection c(u"gpu_box"_s, options());
            Result<QString> who = whoami(c);
            QVERIFY2(who.ok(), qPrintable(who.errorMessage()));
            QCOMPARE(who.value(), test::SshdServer::userName());
        }
        SshConnection c(odd, options());
        Result<QString> who = whoami(c);
        QVERIFY(!who.ok());
        QCOMPARE(who.error().code, ErrorCode::BadHostName);
        QVERIFY2(who.errorMessage().contains(u"HostName"_s), qPrintable(who.errorMessage()));
        QVERIFY(!QFile::exists(u"x"_s));
    }

    void proxyJump()
    {
        test::SshdServer jump;
        QString error;
        QVERIFY2(jump.start(&error), qPrintable(error));
        // Both host keys known up front; the jump host reached only through its alias.
        QFile known(SshPaths::defaults().knownHostsFile);
        QVERIFY(known.open(QIODevice::Append));
        known.write(m_server->knownHostsLine() + '\n');
        known.close();
        const QString jumpBlock = u"\nHost jumpbox\n  HostName 127.0.0.1\n  Port %1\n  User %2\n"
                                  "  IdentityFile %3\n"_s.arg(jump.port())
                                      .arg(test::SshdServer::userName(), jump.plainKeyPath());
        m_server->appendClientConfig(
            jumpBlock
            + u"Host behind\n  HostName 127.0.0.1\n  Port %1\n  User %2\n  IdentityFile %3\n"
              "  ProxyJump jumpbox\n"_s.arg(m_server->port())
                  .arg(test::SshdServer::userName(), m_server->plainKeyPath()));
        // First with the jump host's key unknown and nobody to accept it.
        m_prompter->acceptKeys = false;
        {
            SshConnection c(u"behind"_s, options());
            Result<QString> who = whoami(c);
            QVERIFY(!who.ok());
            QCOMPARE(who.error().code, ErrorCode::HostKeyUnknown);
            QVERIFY2(who.errorMessage().contains(u"jump host \"jumpbox\""_s),
                     qPrintable(who.errorMessage()));
            QVERIFY(who.errorMessage().contains(jump.hostKeyFingerprint()));
        }
        QVERIFY(known.open(QIODevice::Append));
        known.write(jump.knownHostsLine() + '\n');
        known.close();
        SshConnection c(u"behind"_s, options());
        Result<QString> who = whoami(c);
        QVERIFY2(who.ok(), qPrintable(who.errorMessage()));
        QTRY_VERIFY_WITH_TIMEOUT(jump.log().contains(u"Accepted publickey"_s), 10000);

        // Behind the jump host nothing listens: the jump host's refusal is reported as such.
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost));
        const quint16 closedPort = probe.serverPort();
        probe.close();
        m_server->appendClientConfig(u"Host nowhere\n  HostName 127.0.0.1\n  Port %1\n"
                                     "  ProxyJump jumpbox\n"_s.arg(closedPort));
        SshConnection nowhere(u"nowhere"_s, options());
        Result<QString> none = whoami(nowhere);
        QVERIFY(!none.ok());
        QCOMPARE(none.error().code, ErrorCode::JumpForwardFailed);
        QVERIFY2(none.errorMessage().contains(u"127.0.0.1:%1"_s.arg(closedPort)),
                 qPrintable(none.errorMessage()));
    }

    // Issue 10, item 15: libssh 0.11's own ProxyJump threads all stop when any session of the
    // process disconnects. Closing other hosts (direct or behind the same jump host) leaves a
    // connection behind a jump host working, mid-command included.
    void proxyJumpSurvivesOtherDisconnects()
    {
        test::SshdServer jump;
        QString error;
        QVERIFY2(jump.start(&error), qPrintable(error));
        QFile known(SshPaths::defaults().knownHostsFile);
        QVERIFY(known.open(QIODevice::Append));
        known.write(m_server->knownHostsLine() + '\n' + jump.knownHostsLine() + '\n');
        known.close();
        const QString target = u"  HostName 127.0.0.1\n  Port %1\n  User %2\n  IdentityFile %3\n"
                               "  ProxyJump jumpbox\n"_s.arg(m_server->port())
                                   .arg(test::SshdServer::userName(), m_server->plainKeyPath());
        m_server->appendClientConfig(
            u"\nHost jumpbox\n  HostName 127.0.0.1\n  Port %1\n  User %2\n  IdentityFile %3\n"_s
                .arg(jump.port())
                .arg(test::SshdServer::userName(), jump.plainKeyPath())
            + u"Host behind\n"_s + target + u"Host behind2\n"_s + target);

        auto behind = std::make_unique<SshConnection>(u"behind"_s, options());
        QVERIFY(whoami(*behind).ok());
        QList<SshState> seen;
        connect(behind.get(), &SshConnection::stateChanged, this,
                [&](SshState s, const QString &) { seen << s; });
        // A command that runs while the others come and go.
        std::optional<Result<QString>> slow;
        QObject context;
        behind->call<QString>(
            &context,
            [](SshSessionContext &ctx) -> Result<QString> {
                ssh_channel ch = ssh_channel_new(ctx.session());
                if (!ch || ssh_channel_open_session(ch) != SSH_OK
                    || ssh_channel_request_exec(ch, "sleep 3; echo still-here") != SSH_OK) {
                    if (ch)
                        ssh_channel_free(ch);
                    return Error{ErrorCode::ExecFailed, QString::fromUtf8(ssh_get_error(ctx.session()))};
                }
                QByteArray out;
                char buf[256];
                int n;
                while ((n = ssh_channel_read(ch, buf, sizeof buf, 0)) > 0)
                    out.append(buf, n);
                ssh_channel_free(ch);
                return QString::fromUtf8(out).trimmed();
            },
            [&](Result<QString> r) { slow = std::move(r); });
        QTest::qWait(300);
        {
            SshConnection direct(m_server->alias(), options());
            QVERIFY(whoami(direct).ok());
        } // disconnected here
        {
            SshConnection sibling(u"behind2"_s, options());
            QVERIFY(whoami(sibling).ok());
        }
        QTRY_VERIFY_WITH_TIMEOUT(slow.has_value(), 30'000);
        QVERIFY2(slow->ok(), qPrintable(slow->errorMessage()));
        QCOMPARE(slow->value(), u"still-here"_s);
        Result<QString> after = whoami(*behind);
        QVERIFY2(after.ok(), qPrintable(after.errorMessage()));
        QCOMPARE(after.value(), test::SshdServer::userName());
        QVERIFY2(!seen.contains(SshState::Reconnecting), "the connection behind the jump broke");
        QCOMPARE(int(behind->state()), int(SshState::Connected));
        // Closing it ends the connection to the jump host; nothing is left open there. (The
        // target's own log line for the tunnelled session did not always appear under -j2
        // load, so that side is not counted here: an open question, see the closing note.)
        const auto closed = [](const test::SshdServer &server) {
            const QString log = server.log();
            return log.count(u"Closing connection to"_s) + log.count(u"Connection closed by"_s)
                   + log.count(u"Connection reset by"_s);
        };
        QTest::qWait(500);
        const int jumpClosed = closed(jump);
        behind.reset();
        QTRY_VERIFY_WITH_TIMEOUT(closed(jump) > jumpClosed, 20'000);
    }

    // Issue 10, item 16: the question about a jump host's unknown key may take longer than
    // ConnectTimeout (a person reads the fingerprint), and a jump host that wants a password
    // is asked for one, as OpenSSH's -J does.
    void jumpHostQuestionsOutlastConnectTimeout()
    {
        test::SshdServer jump;
        QString error;
        QVERIFY2(jump.start(&error), qPrintable(error));
        QFile known(SshPaths::defaults().knownHostsFile);
        QVERIFY(known.open(QIODevice::Append));
        known.write(m_server->knownHostsLine() + '\n');
        known.close();
        m_server->appendClientConfig(
            u"\nHost jumpbox\n  HostName 127.0.0.1\n  Port %1\n  User %2\n"
            "  ConnectTimeout 1\n  PubkeyAuthentication no\n"
            "Host behind\n  HostName 127.0.0.1\n  Port %3\n  User %2\n  IdentityFile %4\n"
            "  ConnectTimeout 1\n  ProxyJump jumpbox\n"_s.arg(jump.port())
                .arg(test::SshdServer::userName())
                .arg(m_server->port())
                .arg(m_server->plainKeyPath()));
        m_prompter->keyDelayMs = 2500;
        m_prompter->answers << SshSecret{test::SshdServer::password(), false};
        SshConnection c(u"behind"_s, options());
        Result<QString> who = whoami(c);
        QVERIFY2(who.ok(), qPrintable(who.errorMessage()));
        QCOMPARE(m_prompter->hostKeys.size(), 1);
        QCOMPARE(m_prompter->hostKeys.first().fingerprint, jump.hostKeyFingerprint());
        QCOMPARE(m_prompter->requests.size(), 1);
        QVERIFY(QFile(SshPaths::defaults().knownHostsFile).open(QIODevice::ReadOnly));
        QFile check(SshPaths::defaults().knownHostsFile);
        QVERIFY(check.open(QIODevice::ReadOnly));
        QVERIFY(check.readAll().contains("[127.0.0.1]:" + QByteArray::number(jump.port())));
        QVERIFY(jump.log().contains(u"Accepted password"_s));
    }

    // Issue 10, item 11: a key marked @revoked is refused before authentication, even when
    // an ordinary line for the same key is there too, for the target and for a jump host.
    void revokedHostKeyRefused()
    {
        const QByteArray line = m_server->knownHostsLine(); // "[127.0.0.1]:PORT TYPE KEY"
        const QList<QByteArray> fields = line.split(' ');
        QVERIFY(fields.size() >= 3);
        QFile known(SshPaths::defaults().knownHostsFile);
        QVERIFY(known.open(QIODevice::WriteOnly | QIODevice::Truncate));
        known.write(line + '\n');
        known.write("@revoked * " + fields.at(1) + ' ' + fields.at(2) + '\n');
        known.close();
        {
            SshConnection c(m_server->alias(), options());
            Result<QString> who = whoami(c);
            QVERIFY(!who.ok());
            QCOMPARE(who.error().code, ErrorCode::HostKeyRevoked);
            QVERIFY(who.errorMessage().contains(m_server->hostKeyFingerprint()));
            QVERIFY(m_prompter->hostKeys.isEmpty());
            QVERIFY(m_prompter->requests.isEmpty());
        }
        QVERIFY(!m_server->log().contains(u"Accepted publickey"_s)); // no login was tried

        // Through a jump host whose key is revoked.
        test::SshdServer jump;
        QString error;
        QVERIFY2(jump.start(&error), qPrintable(error));
        const QList<QByteArray> jumpFields = jump.knownHostsLine().split(' ');
        QVERIFY(known.open(QIODevice::WriteOnly | QIODevice::Truncate));
        known.write(line + '\n' + jump.knownHostsLine() + '\n');
        known.write("@revoked [127.0.0.1]:" + QByteArray::number(jump.port()) + ' '
                    + jumpFields.at(1) + ' ' + jumpFields.at(2) + '\n');
        known.close();
        m_server->appendClientConfig(
            u"Host jumpbox\n  HostName 127.0.0.1\n  Port %1\n  User %2\n  IdentityFile %3\n"
            "Host behind\n  HostName 127.0.0.1\n  Port %4\n  User %2\n  IdentityFile %5\n"
            "  ProxyJump jumpbox\n"_s.arg(jump.port())
                .arg(test::SshdServer::userName(), jump.plainKeyPath())
                .arg(m_server->port())
                .arg(m_server->plainKeyPath()));
        SshConnection c(u"behind"_s, options());
        Result<QString> who = whoami(c);
        QVERIFY(!who.ok());
        QVERIFY2(who.errorMessage().contains(u"@revoked"_s), qPrintable(who.errorMessage()));
        QVERIFY(!jump.log().contains(u"Accepted publickey"_s));
    }

    // A @cert-authority line is not silently trusted: the key stays unknown and says why.
    void certificateAuthorityIsStated()
    {
        QFile known(SshPaths::defaults().knownHostsFile);
        QVERIFY(known.open(QIODevice::WriteOnly | QIODevice::Truncate));
        known.write("@cert-authority *.example.org,[127.0.0.1]:* ssh-ed25519 "
                    "AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ\n");
        known.close();
        m_prompter->acceptKeys = false;
        SshConnection c(m_server->alias(), options());
        Result<QString> who = whoami(c);
        QVERIFY(!who.ok());
        QCOMPARE(who.error().code, ErrorCode::HostKeyUnknown);
        QVERIFY2(who.errorMessage().contains(u"cannot check host certificates"_s),
                 qPrintable(who.errorMessage()));
    }

    // Issue 10, item 12: ~/.ssh/config's StrictHostKeyChecking, UserKnownHostsFile and
    // HashKnownHosts are followed as OpenSSH follows them.
    void configHostKeySettingsAreFollowed()
    {
        const QString block = u"Host %1\n  HostName 127.0.0.1\n  Port %2\n  User %3\n"
                              "  IdentityFile %4\n"_s;
        auto host = [&](const QString &alias, const QString &extra) {
            return block.arg(alias).arg(m_server->port())
                       .arg(test::SshdServer::userName(), m_server->plainKeyPath())
                   + extra;
        };
        const QString sshDir = m_server->clientSshDir();
        QFile custom(sshDir + u"/custom_known"_s);
        QVERIFY(custom.open(QIODevice::WriteOnly));
        custom.write(m_server->knownHostsLine() + '\n');
        custom.close();
        m_server->appendClientConfig(
            host(u"strict"_s, u"  StrictHostKeyChecking yes\n"_s)
            + host(u"acceptnew"_s, u"  StrictHostKeyChecking accept-new\n  UserKnownHostsFile "
                                   "~/.ssh/hashed_known ~/.ssh/unused\n  HashKnownHosts yes\n"_s)
            + host(u"custom"_s, u"  UserKnownHostsFile %1/custom_known\n"_s.arg(sshDir)));
        const QString defaultFile = SshPaths::defaults().knownHostsFile;
        QFile::remove(defaultFile);

        // yes: an unknown key is refused without a question.
        {
            SshConnection c(u"strict"_s, options());
            Result<QString> who = whoami(c);
            QVERIFY(!who.ok());
            QCOMPARE(who.error().code, ErrorCode::HostKeyUnknown);
            QVERIFY2(who.errorMessage().contains(u"StrictHostKeyChecking yes"_s),
                     qPrintable(who.errorMessage()));
            QVERIFY(m_prompter->hostKeys.isEmpty());
        }
        // accept-new into the first UserKnownHostsFile, hashed; read back on the next login.
        for (int round = 0; round < 2; ++round) {
            SshConnection c(u"acceptnew"_s, options());
            Result<QString> who = whoami(c);
            QVERIFY2(who.ok(), qPrintable(who.errorMessage()));
        }
        QVERIFY(m_prompter->hostKeys.isEmpty());
        QFile hashed(sshDir + u"/hashed_known"_s);
        QVERIFY(hashed.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = hashed.readAll().trimmed().split('\n');
        QCOMPARE(lines.size(), 1);
        QVERIFY2(lines.first().startsWith("|1|"), lines.first().constData());
        QVERIFY(!lines.first().contains("127.0.0.1"));
        QVERIFY(!QFile::exists(sshDir + u"/unused"_s));
        QVERIFY(!QFile::exists(defaultFile));
        // A key known only in the configured file connects without a question.
        SshConnection c(u"custom"_s, options());
        Result<QString> who = whoami(c);
        QVERIFY2(who.ok(), qPrintable(who.errorMessage()));
        QVERIFY(m_prompter->hostKeys.isEmpty());
        QVERIFY(!QFile::exists(defaultFile));
    }

    // Issue 10, item 16: an app-added host of the same name as a ~/.ssh/config host does not
    // silently override it: the config's wins, as the hosts list shows.
    void configHostWinsOverAppHost()
    {
        QFile known(SshPaths::defaults().knownHostsFile);
        QVERIFY(known.open(QIODevice::WriteOnly | QIODevice::Truncate));
        known.write(m_server->knownHostsLine() + '\n');
        known.close();
        QSettings settings;
        settings.beginGroup(u"hosts/"_s + m_server->alias());
        settings.setValue(u"hostName"_s, u"127.0.0.1"_s);
        settings.setValue(u"port"_s, 9); // nothing listens there
        settings.endGroup();
        settings.sync();
        SshConnection c(m_server->alias(), options());
        Result<QString> who = whoami(c);
        settings.remove(u"hosts/"_s + m_server->alias());
        QVERIFY2(who.ok(), qPrintable(who.errorMessage()));
        QCOMPARE(who.value(), test::SshdServer::userName());
    }
};

QTEST_GUILESS_MAIN(TestSshConnection)
#include "tst_sshconnection.moc"
