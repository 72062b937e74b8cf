#include "ui/remote/remotepanel.h"

#include "core/ssh/hoststore.h"
#include "core/ssh/sftpfilesystem.h"
#include "core/ssh/sshconnections.h"
#include "ui/files/filebrowser.h"
#include "ui/files/filetreemodel.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPainter>
#include <QPixmap>
#include <QPushButton>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

QColor stateColor(SshState state)
{
    switch (state) {
    case SshState::Connected: return QColor(0x2e, 0x9d, 0x3a);
    case SshState::Connecting:
    case SshState::Reconnecting: return QColor(0xd8, 0x9b, 0x12);
    case SshState::Failed: return QColor(0xc6, 0x28, 0x28);
    case SshState::Disconnected: break;
    }
    return QColor(0x80, 0x80, 0x80);
}

QIcon stateIcon(SshState state)
{
    QPixmap dot(12, 12);
    dot.fill(Qt::transparent);
    QPainter painter(&dot);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setPen(Qt::NoPen);
    painter.setBrush(stateColor(state));
    painter.drawEllipse(QRectF(1.5, 1.5, 9, 9));
    return QIcon(dot);
}

QString stateName(SshState state)
{
    switch (state) {
    case SshState::Disconnected: return RemotePanel::tr("Disconnected");
    case SshState::Connecting: return RemotePanel::tr("Connecting");
    case SshState::Connected: return RemotePanel::tr("Connected");
    case SshState::Reconnecting: return RemotePanel::tr("Reconnecting");
    case SshState::Failed: return RemotePanel::tr("Failed");
    }
    return {};
}

} // namespace

RemotePanel::RemotePanel(HostStore *hosts, SshConnections *connections, QWidget *parent)
    : QWidget(parent)
    , m_hosts(hosts)
    , m_connections(connections)
{
    m_hostBox = new QComboBox(this);
    m_hostBox->setObjectName(u"hostBox"_s);
    m_hostBox->setToolTip(
        tr("The SSH hosts of ~/.ssh/config and those added with Remote › Hosts…"));
    m_hostBox->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_hostBox->setMinimumContentsLength(12);
    m_connectButton = new QPushButton(tr("Connect"), this);
    m_connectButton->setObjectName(u"connectButton"_s);
    m_stateIcon = new QLabel(u"●"_s, this);
    m_stateLabel = new QLabel(this);
    m_stateLabel->setObjectName(u"stateLabel"_s);
    m_stateLabel->setWordWrap(true);
    m_stateLabel->setTextFormat(Qt::PlainText);
    m_stateLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_pathEdit = new QLineEdit(this);
    m_pathEdit->setObjectName(u"pathEdit"_s);
    m_pathEdit->setPlaceholderText(tr("Remote folder: /path, or ~ for home; Enter opens it"));
    m_pathEdit->setClearButtonEnabled(true);
    m_browser = new FileBrowser(this);
    m_browser->setDetailsVisible(true);

    auto *hostRow = new QHBoxLayout;
    hostRow->addWidget(m_hostBox, 1);
    hostRow->addWidget(m_connectButton);
    auto *stateRow = new QHBoxLayout;
    stateRow->addWidget(m_stateIcon, 0, Qt::AlignTop);
    stateRow->addWidget(m_stateLabel, 1);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 0);
    layout->setSpacing(4);
    layout->addLayout(hostRow);
    layout->addLayout(stateRow);
    layout->addWidget(m_pathEdit);
    layout->addWidget(m_browser, 1);

    connect(m_hostBox, &QComboBox::currentIndexChanged, this, &RemotePanel::onHostPicked);
    connect(m_connectButton, &QPushButton::clicked, this, [this] {
        const SshState s = state();
        if (s == SshState::Disconnected || s == SshState::Failed)
            connectCurrent();
        else
            disconnectCurrent();
    });
    connect(m_pathEdit, &QLineEdit::returnPressed, this, &RemotePanel::openTypedPath);
    if (m_connections) {
        connect(m_connections, &SshConnections::stateChanged, this,
                [this](const QString &alias) {
                    showHostState(alias);
                    if (alias == currentAlias())
                        showState();
                });
    }
    if (m_hosts)
        connect(m_hosts, &HostStore::changed, this, &RemotePanel::reloadHosts);
    reloadHosts();
    showState();
}

QString RemotePanel::currentAlias() const
{
    return m_hostBox->currentData().toString();
}

SshState RemotePanel::state() const
{
    return stateOf(currentAlias());
}

SshState RemotePanel::stateOf(const QString &alias, QString *message) const
{
    if (!m_connections || alias.isEmpty())
        return SshState::Disconnected;
    for (const SshConnection *connection : m_connections->connections()) {
        if (connection->alias() == alias) {
            if (message)
                *message = connection->stateMessage();
            return connection->state();
        }
    }
    return SshState::Disconnected;
}

void RemotePanel::showHostState(const QString &alias)
{
    const int index = m_hostBox->findData(alias);
    if (index < 0)
        return;
    QString message;
    const SshState s = stateOf(alias, &message);
    m_hostBox->setItemIcon(index, stateIcon(s));
    m_hostBox->setItemData(index, message.isEmpty() ? stateName(s)
                                                    : stateName(s) + u" — "_s + message,
                           Qt::ToolTipRole);
}

SftpFileSystem *RemotePanel::fileSystem() const
{
    const QString alias = currentAlias();
    if (!m_connections || alias.isEmpty())
        return nullptr;
    for (const SshConnection *connection : m_connections->connections()) {
        if (connection->alias() == alias)
            return m_connections->fileSystem(alias);
    }
    return nullptr;
}

void RemotePanel::reloadHosts()
{
    const QString keep = currentAlias();
    QSignalBlocker blocker(m_hostBox);
    m_hostBox->clear();
    if (m_hosts) {
        for (const SshHost &host : m_hosts->hosts())
            m_hostBox->addItem(host.alias, host.alias);
    }
    // A host opened by name that no list has (ssh would still resolve it) stays pickable.
    if (!keep.isEmpty() && m_hostBox->findData(keep) < 0)
        m_hostBox->addItem(keep, keep);
    for (int i = 0; i < m_hostBox->count(); ++i)
        showHostState(m_hostBox->itemData(i).toString());
    const int index = m_hostBox->findData(keep);
    m_hostBox->setCurrentIndex(index >= 0 ? index : 0);
    blocker.unblock();
    if (currentAlias() != keep)
        onHostPicked();
}

void RemotePanel::onHostPicked()
{
    ++m_request;
    m_pathEdit->clear();
    SftpFileSystem *fs = fileSystem();
    // Show the host's files right away when it is connected already; otherwise wait for Connect.
    if (fs && state() == SshState::Connected)
        connectCurrent();
    else
        m_browser->setRoot(nullptr, {});
    showState();
}

void RemotePanel::showState()
{
    const QString alias = currentAlias();
    const SshState s = state();
    QString message;
    if (m_connections && !alias.isEmpty()) {
        for (const SshConnection *connection : m_connections->connections()) {
            if (connection->alias() == alias)
                message = connection->stateMessage();
        }
    }
    QString text = alias.isEmpty() ? tr("No SSH hosts yet: add one with Remote › Hosts…")
                                   : stateName(s);
    if (!alias.isEmpty() && !message.isEmpty())
        text += u" — "_s + message;
    m_stateLabel->setText(text);
    m_stateLabel->setToolTip(text);
    QPalette palette = m_stateIcon->palette();
    palette.setColor(QPalette::WindowText, stateColor(s));
    m_stateIcon->setPalette(palette);
    const bool active = s == SshState::Connecting || s == SshState::Connected
                        || s == SshState::Reconnecting;
    m_connectButton->setText(active ? tr("Disconnect") : tr("Connect"));
    m_connectButton->setEnabled(!alias.isEmpty());
    emit stateChanged(s, message);
}

void RemotePanel::openHost(const QString &alias)
{
    if (alias.isEmpty())
        return;
    int index = m_hostBox->findData(alias);
    if (index < 0) {
        m_hostBox->addItem(alias, alias);
        index = m_hostBox->count() - 1;
        showHostState(alias);
    }
    {
        QSignalBlocker blocker(m_hostBox);
        m_hostBox->setCurrentIndex(index);
    }
    m_pathEdit->clear();
    connectCurrent();
}

void RemotePanel::openLocation(const Location &location)
{
    if (location.isLocal() || !location.isValid())
        return;
    openHost(location.host());
    m_pathEdit->setText(location.path());
    openTypedPath();
}

void RemotePanel::connectCurrent()
{
    const QString alias = currentAlias();
    if (!m_connections || alias.isEmpty())
        return;
    SshConnection *connection = m_connections->connection(alias);
    connection->connectToHost();
    showState();
    if (m_pathEdit->text().trimmed().startsWith(u'/')) {
        openTypedPath();
        return;
    }
    const quint64 request = ++m_request;
    m_connections->fileSystem(alias)->home(this, [this, alias, request](Result<Location> home) {
        if (request != m_request)
            return;
        if (!home.ok()) {
            m_browser->showMessage(home.errorMessage());
            return;
        }
        m_pathEdit->setText(home->path());
        setRoot(alias, *home);
    });
}

void RemotePanel::disconnectCurrent()
{
    const QString alias = currentAlias();
    if (!m_connections || alias.isEmpty())
        return;
    ++m_request;
    m_connections->connection(alias)->disconnectFromHost();
    showState();
}

void RemotePanel::openTypedPath()
{
    const QString alias = currentAlias();
    QString path = m_pathEdit->text().trimmed();
    if (!m_connections || alias.isEmpty())
        return;
    if (path.isEmpty() || path == u"~" || path.startsWith(u"~/")) {
        const QString rest = path.size() > 2 ? path.mid(2) : QString();
        const quint64 request = ++m_request;
        m_connections->connection(alias)->connectToHost();
        m_connections->fileSystem(alias)->home(this, [this, alias, rest,
                                                      request](Result<Location> home) {
            if (request != m_request)
                return;
            if (!home.ok()) {
                m_browser->showMessage(home.errorMessage());
                return;
            }
            Location root = *home;
            for (const QString &part : rest.split(u'/', Qt::SkipEmptyParts))
                root = root.child(part);
            m_pathEdit->setText(root.path());
            setRoot(alias, root);
        });
        return;
    }
    if (!path.startsWith(u'/')) {
        m_browser->showMessage(tr("“%1” is not a remote folder: write a path that starts with "
                                  "“/”, or “~” for the home folder.")
                                   .arg(path));
        return;
    }
    while (path.size() > 1 && path.endsWith(u'/'))
        path.chop(1);
    ++m_request;
    m_connections->connection(alias)->connectToHost();
    setRoot(alias, Location::remote(alias, path));
}

void RemotePanel::setRoot(const QString &alias, const Location &root)
{
    SftpFileSystem *fs = m_connections->fileSystem(alias);
    if (m_browser->root() != root || m_browser->model()->fileSystem() != fs)
        m_browser->setRoot(fs, root);
    showState();
}

} // namespace gpuwb
