#include "core/remote/portforward.h"
#include "core/ssh/sshconnection.h"
#include "helpers/sshtest.h"

#include <QRandomGenerator>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <memory>

using namespace Qt::StringLiterals;
using namespace gpuwb;

namespace {

// The "remote service" of the tests: sshd runs on this machine, so a server on 127.0.0.1 of
// the test process is what the remote end of a direct-tcpip channel reaches. It echoes every
// byte back; `greeting` is sent to each new connection first; with closeAfterGreeting the
// service hangs up right after saying it.
class EchoService : public QObject
{
public:
    explicit EchoService(QByteArray greeting = {}, bool closeAfterGreeting = false)
        : m_greeting(std::move(greeting)), m_closeAfterGreeting(closeAfterGreeting)
    {
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                ++accepted;
                connect(socket, &QTcpSocket::readyRead, socket,
                        [socket] { socket->write(socket->readAll()); });
                connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
                    ++closed;
                    socket->deleteLater();
                });
                if (!m_greeting.isEmpty())
                    socket->write(m_greeting);
                if (m_closeAfterGreeting)
                    socket->disconnectFromHost();
            }
        });
    }
    bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    quint16 port() const { return m_server.serverPort(); }

    int accepted = 0;
    int closed = 0;

private:
    QTcpServer m_server;
    QByteArray m_greeting;
    bool m_closeAfterGreeting;
};

// A local client of the forwarded port that collects everything it receives.
struct Client
{
    std::unique_ptr<QTcpSocket> socket = std::make_unique<QTcpSocket>();
    QByteArray received;

    bool connectTo(quint16 port)
    {
        QObject::connect(socket.get(), &QTcpSocket::readyRead, socket.get(),
                         [this] { received.append(socket->readAll()); });
        socket->connectToHost(QHostAddress::LocalHost, port);
        return socket->waitForConnected(20'000);
    }
};

QByteArray randomBytes(qsizetype size, quint32 seed)
{
    QByteArray data(size, Qt::Uninitialized);
    QRandomGenerator generator(seed);
    for (qsizetype i = 0; i < size; ++i)
        data[i] = char(generator.bounded(256));
    return data;
}

} // namespace

class TestPortForward : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<test::SshdServer> m_server;
    std::unique_ptr<SshConnection> m_connection;

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        m_server = std::make_unique<test::SshdServer>();
        GPUWB_START_SSHD(*m_server);
        QVERIFY(test::useClientHome(*m_server));
        SshConnection::Options options;
        options.connectTimeoutSeconds = 30;
        m_connection = std::make_unique<SshConnection>(m_server->alias(), options);
        m_connection->connectToHost();
        QTRY_VERIFY_WITH_TIMEOUT(m_connection->state() == SshState::Connected, 60'000);
    }

    void cleanupTestCase()
    {
        m_connection.reset();
        m_server.reset();
    }

    void bytesRoundTripBothWays()
    {
        EchoService service("hello from the remote\n");
        QVERIFY(service.listen());
        PortForward forward(m_connection.get(), service.port());
        const Status started = forward.start();
        QVERIFY2(started.ok(), qPrintable(started.errorMessage()));
        QVERIFY(forward.localPort() != 0);
        QCOMPARE(forward.remotePort(), service.port());
        QSignalSpy errors(&forward, &PortForward::error);

        Client client;
        QVERIFY(client.connectTo(forward.localPort()));
        // Remote -> local: the service speaks first.
        QTRY_COMPARE_WITH_TIMEOUT(client.received, "hello from the remote\n"_ba, 30'000);
        QCOMPARE(forward.activeConnections(), 1);
        // Local -> remote -> local, with bytes a text protocol would choke on.
        const QByteArray hostile("\0\r\n$(rm -rf ~)'\"\xff\xfe end"_ba);
        client.received.clear();
        client.socket->write(hostile);
        QTRY_COMPARE_WITH_TIMEOUT(client.received, hostile, 30'000);

        // Closing the local side closes the remote one.
        client.socket->disconnectFromHost();
        QTRY_COMPARE_WITH_TIMEOUT(service.closed, 1, 30'000);
        QTRY_COMPARE_WITH_TIMEOUT(forward.activeConnections(), 0, 30'000);
        QCOMPARE(errors.count(), 0);
    }

    void oneMebibyteEchoes()
    {
        EchoService service;
        QVERIFY(service.listen());
        PortForward forward(m_connection.get(), service.port());
        QVERIFY(forward.start().ok());
        Client client;
        QVERIFY(client.connectTo(forward.localPort()));
        const QByteArray payload = randomBytes(1 << 20, 42);
        client.socket->write(payload);
        QTRY_VERIFY_WITH_TIMEOUT(client.received.size() >= payload.size(), 60'000);
        QCOMPARE(client.received.size(), payload.size());
        QVERIFY(client.received == payload);
    }

    void concurrentConnectionsStayApart()
    {
        EchoService service;
        QVERIFY(service.listen());
        PortForward forward(m_connection.get(), service.port());
        QVERIFY(forward.start().ok());
        QSignalSpy counts(&forward, &PortForward::connectionCountChanged);
        constexpr int n = 5;
        std::vector<std::unique_ptr<Client>> clients;
        QList<QByteArray> payloads;
        for (int i = 0; i < n; ++i) {
            clients.push_back(std::make_unique<Client>());
            QVERIFY(clients.back()->connectTo(forward.localPort()));
            payloads << randomBytes(200'000 + i * 1000, quint32(i + 1));
        }
        for (int i = 0; i < n; ++i)
            clients[i]->socket->write(payloads[i]);
        for (int i = 0; i < n; ++i) {
            QTRY_VERIFY_WITH_TIMEOUT(clients[i]->received.size() >= payloads[i].size(), 60'000);
            QVERIFY2(clients[i]->received == payloads[i], qPrintable(QString::number(i)));
        }
        QCOMPARE(forward.activeConnections(), n);
        QCOMPARE(service.accepted, n);
        clients.clear();
        QTRY_COMPARE_WITH_TIMEOUT(forward.activeConnections(), 0, 30'000);
        QTRY_COMPARE_WITH_TIMEOUT(service.closed, n, 30'000);
        QVERIFY(!counts.isEmpty());
        QCOMPARE(counts.last().at(0).toInt(), 0);
    }

    void remoteHangUpEndsTheLocalConnection()
    {
        EchoService service("bye\n", true);
        QVERIFY(service.listen());
        PortForward forward(m_connection.get(), service.port());
        QVERIFY(forward.start().ok());
        Client client;
        QVERIFY(client.connectTo(forward.localPort()));
        QTRY_COMPARE_WITH_TIMEOUT(client.socket->state(), QAbstractSocket::UnconnectedState,
                                  30'000);
        QCOMPARE(client.received, "bye\n"_ba);
        QTRY_COMPARE_WITH_TIMEOUT(forward.activeConnections(), 0, 30'000);
    }

    void nothingListeningReportsAnError_data()
    {
        QTest::addColumn<QString>("remoteHost");
        QTest::newRow("closed port") << u"localhost"_s;
        QTest::newRow("hostile host name") << u"no-such-host.invalid;$(touch /tmp/x)'"_s;
    }

    void nothingListeningReportsAnError()
    {
        QFETCH(QString, remoteHost);
        // A port that was free a moment ago: bound, then released.
        quint16 closedPort = 0;
        {
            QTcpServer probe;
            QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
            closedPort = probe.serverPort();
        }
        PortForward forward(m_connection.get(), closedPort, 0, remoteHost);
        QVERIFY(forward.start().ok());
        QSignalSpy errors(&forward, &PortForward::error);
        Client client;
        QVERIFY(client.connectTo(forward.localPort()));
        QTRY_VERIFY_WITH_TIMEOUT(!errors.isEmpty(), 30'000);
        const QString message = errors.first().at(0).toString();
        QVERIFY2(message.contains(QString::number(closedPort)), qPrintable(message));
        QTRY_COMPARE_WITH_TIMEOUT(client.socket->state(), QAbstractSocket::UnconnectedState,
                                  30'000);
        QCOMPARE(forward.activeConnections(), 0);
        // The SSH connection itself is fine and forwards again.
        QVERIFY(m_connection->state() == SshState::Connected);
    }

    void stopClosesListenerAndConnections()
    {
        EchoService service;
        QVERIFY(service.listen());
        PortForward forward(m_connection.get(), service.port());
        QVERIFY(forward.start().ok());
        const quint16 port = forward.localPort();
        Client client;
        QVERIFY(client.connectTo(port));
        client.socket->write("ping");
        QTRY_COMPARE_WITH_TIMEOUT(client.received, "ping"_ba, 30'000);
        forward.stop();
        QCOMPARE(forward.activeConnections(), 0);
        QTRY_COMPARE_WITH_TIMEOUT(client.socket->state(), QAbstractSocket::UnconnectedState,
                                  30'000);
        QTRY_COMPARE_WITH_TIMEOUT(service.closed, 1, 30'000);
        QTcpSocket late;
        late.connectToHost(QHostAddress::LocalHost, port);
        QVERIFY(!late.waitForConnected(5'000));
    }

    void badInputsFailToStart()
    {
        PortForward noConnection(nullptr, 6006);
        QVERIFY(!noConnection.start().ok());
        PortForward noPort(m_connection.get(), 0);
        QVERIFY(!noPort.start().ok());
        // A local port already taken cannot be listened on, and says so.
        QTcpServer taken;
        QVERIFY(taken.listen(QHostAddress::LocalHost, 0));
        PortForward clash(m_connection.get(), 6006, taken.serverPort());
        const Status status = clash.start();
        QVERIFY(!status.ok());
        QVERIFY(status.errorMessage().contains(QString::number(taken.serverPort())));
    }
};

QTEST_GUILESS_MAIN(TestPortForward)
#include "tst_portforward.moc"
