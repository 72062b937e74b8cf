#include "core/fs/location.h"
#include "core/ssh/sftpfilesystem.h"
#include "core/ssh/sshconnections.h"
#include "core/ssh/sshprompter.h"
#include "helpers/sshtest.h"

#include <QFile>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace gpuwb;

namespace {

// Accepts nothing and answers nothing: every host here is known and uses id_plain.
class RefusingPrompter : public SshPrompter
{
public:
    bool acceptHostKey(const SshHostKeyInfo &) override { return false; }
    std::optional<SshSecret> askSecret(const SshSecretRequest &) override { return {}; }
};

} // namespace

class TestSshConnections : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<test::SshdServer> m_server;

    SshConnection::Options options() const
    {
        SshConnection::Options o;
        o.paths = SshPaths::defaults();
        o.prompter = std::make_shared<RefusingPrompter>();
        o.connectTimeoutSeconds = 20;
        return o;
    }
    // A second alias for the same server, with a name a shell would not like.
    static QString otherAlias() { return u"other$(id)"_s; }

    // Runs a request that waits until the connection ends; `out` gets how it ended.
    static void hold(SshConnection *c, QObject *context, std::optional<Result<int>> *out)
    {
        c->run<int>(
            context, [](SshSessionContext &) { return SshStep::Wait; },
            [] { return Result<int>(0); }, [out](Result<int> r) { *out = std::move(r); });
    }

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void init()
    {
        m_server = std::make_unique<test::SshdServer>();
        GPUWB_START_SSHD(*m_server);
        qputenv("HOME", m_server->clientHome().toUtf8());
        qunsetenv("SSH_AUTH_SOCK");
        QFile known(SshPaths::defaults().knownHostsFile);
        QVERIFY(known.open(QIODevice::Append));
        known.write(m_server->knownHostsLine() + '\n');
        known.close();
        m_server->appendClientConfig(
            u"\nHost %1\n  HostName 127.0.0.1\n  Port %2\n  User %3\n  IdentityFile %4\n"_s
                .arg(otherAlias())
                .arg(m_server->port())
                .arg(test::SshdServer::userName(), m_server->plainKeyPath()));
    }
    void cleanup() { m_server.reset(); }

    void oneConnectionAndFileSystemPerAlias()
    {
        SshConnections connections(options());
        QSignalSpy added(&connections, &SshConnections::connectionAdded);
        SshConnection *a = connections.connection(m_server->alias());
        QVERIFY(a);
        QCOMPARE(a->alias(), m_server->alias());
        QCOMPARE(connections.connection(m_server->alias()), a);
        QCOMPARE(added.count(), 1);
        SftpFileSystem *fs = connections.fileSystem(m_server->alias());
        QVERIFY(fs);
        QCOMPARE(connections.fileSystem(m_server->alias()), fs);
        QCOMPARE(fs->connection(), a);
        QCOMPARE(added.count(), 1); // the file system uses the existing connection

        SftpFileSystem *otherFs = connections.fileSystem(otherAlias());
        QVERIFY(otherFs && otherFs != fs);
        SshConnection *b = connections.connection(otherAlias());
        QVERIFY(b && b != a);
        QCOMPARE(otherFs->connection(), b);
        QCOMPARE(added.count(), 2);
        QCOMPARE(added.at(1).at(0).value<SshConnection *>(), b);
        QCOMPARE(connections.connections().size(), 2);
        QVERIFY(connections.connections().contains(a) && connections.connections().contains(b));
        QCOMPARE(connections.options().connectTimeoutSeconds, 20);
    }

    void stateChangesForwardedWithAlias()
    {
        SshConnections connections(options());
        QSignalSpy states(&connections, &SshConnections::stateChanged);
        SftpFileSystem *fs = connections.fileSystem(otherAlias());
        std::optional<Result<Location>> home;
        QObject context;
        fs->home(&context, [&](Result<Location> r) { home = std::move(r); });
        QTRY_VERIFY_WITH_TIMEOUT(home.has_value(), 60'000);
        QVERIFY2(home->ok(), qPrintable(home->errorMessage()));
        QTRY_VERIFY_WITH_TIMEOUT(!states.isEmpty()
                                     && states.last().at(1).value<SshState>()
                                            == SshState::Connected,
                                 20'000);
        for (const QList<QVariant> &args : std::as_const(states))
            QCOMPARE(args.at(0).toString(), otherAlias());
        QCOMPARE(int(states.first().at(1).value<SshState>()), int(SshState::Connecting));
        QVERIFY(states.last().at(2).toString().contains(QString::number(m_server->port())));

        // A failure is forwarded too, with its message.
        m_server->appendClientConfig(u"\nHost nowhere\n  HostName 127.0.0.1\n  Port 1\n"_s);
        states.clear();
        connections.connection(u"nowhere"_s)->connectToHost();
        QTRY_VERIFY_WITH_TIMEOUT(!states.isEmpty()
                                     && states.last().at(1).value<SshState>() == SshState::Failed,
                                 30'000);
        QCOMPARE(states.last().at(0).toString(), u"nowhere"_s);
        QVERIFY(!states.last().at(2).toString().isEmpty());
    }

    void destructionClosesEverything()
    {
        auto connections = std::make_unique<SshConnections>(options());
        QObject context;
        std::optional<Result<int>> first;
        std::optional<Result<int>> second;
        hold(connections->connection(m_server->alias()), &context, &first);
        hold(connections->connection(otherAlias()), &context, &second);
        connections->fileSystem(m_server->alias())->watch(
            Location::remote(m_server->alias(), m_server->userHome()));
        QTRY_VERIFY_WITH_TIMEOUT(connections->connection(m_server->alias())->state()
                                         == SshState::Connected
                                     && connections->connection(otherAlias())->state()
                                            == SshState::Connected,
                                 60'000);
        QVERIFY(!first && !second);
        connections.reset();
        // Pending work learns at once that it was closed, and both sessions said goodbye.
        QTRY_VERIFY_WITH_TIMEOUT(first.has_value() && second.has_value(), 20'000);
        QCOMPARE(first->error().code, ErrorCode::Closed);
        QCOMPARE(second->error().code, ErrorCode::Closed);
        QTRY_COMPARE_WITH_TIMEOUT(m_server->log().count(u"Received disconnect"_s), 2, 20'000);
    }
};

QTEST_GUILESS_MAIN(TestSshConnections)
#include "tst_sshconnections.moc"
