#include "core/ssh/sshconnection.h"

#include "core/ssh/sshconnectionworker.h"

using namespace Qt::StringLiterals;

namespace gpuwb {

QString toString(SshState state)
{
    switch (state) {
    case SshState::Disconnected:
        return u"disconnected"_s;
    case SshState::Connecting:
        return u"connecting"_s;
    case SshState::Connected:
        return u"connected"_s;
    case SshState::Reconnecting:
        return u"reconnecting"_s;
    case SshState::Failed:
        return u"failed"_s;
    }
    return {};
}

SshConnection::SshConnection(const QString &alias, Options options, QObject *parent)
    : QObject(parent), m_alias(alias), m_options(std::move(options))
{
    qRegisterMetaType<gpuwb::SshState>();
    m_worker = new SshConnectionWorker(this, m_alias, m_options);
}

SshConnection::~SshConnection()
{
    delete m_worker; // fails what is pending with "closed" and joins the owner thread
}

void SshConnection::connectToHost()
{
    m_worker->requestConnect();
}

void SshConnection::disconnectFromHost()
{
    m_worker->requestDisconnect();
}

void SshConnection::enqueue(SshRequest request)
{
    m_worker->enqueue(std::move(request));
}

void SshConnection::setState(SshState state, const QString &message)
{
    if (state == m_state && message == m_stateMessage)
        return;
    m_state = state;
    m_stateMessage = message;
    emit stateChanged(state, message);
}

} // namespace gpuwb
