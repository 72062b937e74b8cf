#include "ui/portforwarddialog.h"

#include "core/remote/portforward.h"
#include "core/ssh/sshconnections.h"

#include <QComboBox>
#include <QDesktopServices>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QUrl>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace gpuwb {

PortForwardDialog::PortForwardDialog(SshConnections *connections, const QStringList &aliases,
                                     const QString &alias, QWidget *parent)
    : QDialog(parent), m_connections(connections)
{
    setObjectName(u"PortForwardDialog"_s);
    setWindowTitle(tr("Forward Port"));
    m_host = new QComboBox(this);
    m_host->setEditable(true);
    m_host->addItems(aliases);
    if (!alias.isEmpty()) {
        if (m_host->findText(alias) < 0)
            m_host->addItem(alias);
        m_host->setCurrentText(alias);
    }
    m_remotePort = new QSpinBox(this);
    m_remotePort->setRange(1, 65535);
    m_remotePort->setValue(6006);
    m_remotePort->setToolTip(tr("The port the service listens on at the host: 6006 for "
                                "TensorBoard, 8888 for Jupyter"));
    m_start = new QPushButton(tr("&Start"), this);
    m_stop = new QPushButton(tr("S&top"), this);
    m_open = new QPushButton(QIcon::fromTheme(u"internet-web-browser"_s), tr("Open in &Browser"),
                             this);
    m_status = new QLabel(tr("Not forwarding."), this);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error = new QLabel(this);
    m_error->setWordWrap(true);
    m_error->setTextFormat(Qt::PlainText);
    m_error->hide();

    auto *form = new QFormLayout;
    form->addRow(tr("Host:"), m_host);
    form->addRow(tr("Remote port:"), m_remotePort);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_start);
    buttons->addWidget(m_stop);
    buttons->addStretch(1);
    buttons->addWidget(m_open);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_status);
    layout->addWidget(m_error);
    layout->addLayout(buttons);
    auto *hint = new QLabel(tr("Closing this window stops forwarding."), this);
    hint->setEnabled(false);
    layout->addWidget(hint);

    connect(m_start, &QPushButton::clicked, this, &PortForwardDialog::startForward);
    connect(m_stop, &QPushButton::clicked, this, &PortForwardDialog::stopForward);
    connect(m_open, &QPushButton::clicked, this,
            [this] { QDesktopServices::openUrl(QUrl(url())); });
    updateStatus();
}

PortForwardDialog::~PortForwardDialog()
{
    stopForward();
}

QString PortForwardDialog::url() const
{
    // The listener is on 127.0.0.1 only; "localhost" may resolve to ::1 first, where another
    // user's listener could answer (issue 10, item 16).
    return m_forward ? u"http://127.0.0.1:%1/"_s.arg(m_forward->localPort()) : QString();
}

void PortForwardDialog::startForward()
{
    stopForward();
    const QString alias = m_host->currentText().trimmed();
    m_error->hide();
    if (alias.isEmpty() || alias.contains(u' ') || alias.contains(u'/')) {
        m_error->setText(tr("Choose a host from the list (an alias of ~/.ssh/config or of "
                            "Remote › Hosts…)."));
        m_error->show();
        return;
    }
    SshConnection *connection = m_connections->connection(alias);
    auto *forward = new PortForward(connection, quint16(m_remotePort->value()), 0,
                                    u"localhost"_s, this);
    const Status started = forward->start();
    if (!started.ok()) {
        delete forward;
        m_error->setText(started.errorMessage());
        m_error->show();
        updateStatus();
        return;
    }
    m_forward = forward;
    m_forwardAlias = alias;
    connect(forward, &PortForward::connectionCountChanged, this, &PortForwardDialog::updateStatus);
    connect(forward, &PortForward::error, this, [this](const QString &message) {
        m_error->setText(message);
        m_error->show();
    });
    updateStatus();
}

void PortForwardDialog::stopForward()
{
    if (!m_forward)
        return;
    PortForward *forward = m_forward;
    m_forward = nullptr;
    forward->stop();
    forward->deleteLater();
    updateStatus();
}

void PortForwardDialog::updateStatus()
{
    if (m_forward) {
        m_status->setText(tr("127.0.0.1:%1 \u2192 %2:%3  (%n connection(s))", nullptr,
                             m_forward->activeConnections())
                              .arg(m_forward->localPort())
                              .arg(m_forwardAlias)
                              .arg(m_forward->remotePort()));
    } else {
        m_status->setText(tr("Not forwarding."));
    }
    m_start->setEnabled(!m_forward);
    m_stop->setEnabled(m_forward != nullptr);
    m_open->setEnabled(m_forward != nullptr);
    m_host->setEnabled(!m_forward);
    m_remotePort->setEnabled(!m_forward);
}

} // namespace gpuwb
