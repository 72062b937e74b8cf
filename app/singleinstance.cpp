#include "app/singleinstance.h"

#include <QCryptographicHash>
#include <QDir>
#include <QLocalServer>
#include <QLocalSocket>

#include <unistd.h>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

constexpr int HandOverMs = 2000;

} // namespace

SingleInstance::SingleInstance(const QString &dataDirectory, QObject *parent) : QObject(parent)
{
    const QByteArray folder = QDir(dataDirectory).absolutePath().toUtf8();
    m_name = u"gpuwb-%1-%2"_s.arg(::getuid()).arg(QString::fromLatin1(
                 QCryptographicHash::hash(folder, QCryptographicHash::Sha256).toHex().left(12)));
}

bool SingleInstance::handOver(const QString &project)
{
    QLocalSocket socket;
    socket.connectToServer(m_name);
    if (!socket.waitForConnected(HandOverMs))
        return false;
    socket.write(project.toUtf8() + '\n');
    if (!socket.waitForBytesWritten(HandOverMs))
        return false;
    // The first instance answers once it has taken the project.
    return socket.waitForReadyRead(HandOverMs) && socket.readLine().trimmed() == "ok";
}

bool SingleInstance::listen()
{
    m_server = new QLocalServer(this);
    m_server->setSocketOptions(QLocalServer::UserAccessOption);
    if (!m_server->listen(m_name)) {
        // A socket left by a crashed instance (nobody answered handOver): take its place.
        QLocalServer::removeServer(m_name);
        if (!m_server->listen(m_name))
            return false;
    }
    connect(m_server, &QLocalServer::newConnection, this, [this] {
        while (QLocalSocket *socket = m_server->nextPendingConnection()) {
            connect(socket, &QLocalSocket::disconnected, socket, &QObject::deleteLater);
            connect(socket, &QLocalSocket::readyRead, socket, [this, socket] {
                if (!socket->canReadLine())
                    return;
                const QString project = QString::fromUtf8(socket->readLine().trimmed());
                socket->write("ok\n");
                socket->flush();
                emit activated(project);
            });
        }
    });
    return true;
}

} // namespace gpuwb
