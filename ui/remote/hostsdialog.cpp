#include "ui/remote/hostsdialog.h"

#include "core/ssh/hoststore.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

bool hasSpace(const QString &text)
{
    return std::any_of(text.cbegin(), text.cend(), [](QChar c) { return c.isSpace(); });
}

QString listText(const SshHost &host)
{
    QString target = host.hostName;
    if (!host.user.isEmpty())
        target = host.user + u'@' + target;
    if (host.port != 22)
        target += u':' + QString::number(host.port);
    return host.alias + u"  ("_s + target + u')';
}

} // namespace

HostsDialog::HostsDialog(HostStore *store, SshConnection::Options testOptions, QWidget *parent)
    : QDialog(parent)
    , m_store(store)
    , m_testOptions(std::move(testOptions))
{
    setWindowTitle(tr("SSH Hosts"));
    setObjectName(u"HostsDialog"_s);
    // A test says once how it went; it does not keep trying.
    m_testOptions.autoReconnect = false;

    m_list = new QListWidget(this);
    m_list->setMinimumWidth(220);
    m_alias = new QLineEdit(this);
    m_hostName = new QLineEdit(this);
    m_hostName->setPlaceholderText(tr("the alias"));
    m_user = new QLineEdit(this);
    m_user->setPlaceholderText(tr("your local user name"));
    m_port = new QSpinBox(this);
    m_port->setRange(1, 65535);
    m_port->setValue(22);
    m_identity = new QLineEdit(this);
    m_identity->setPlaceholderText(tr("~/.ssh/id_ed25519, or empty for the defaults"));
    m_proxyJump = new QLineEdit(this);
    m_proxyJump->setPlaceholderText(tr("e.g. bastion or user@jump:2222"));
    m_source = new QLabel(this);
    m_source->setWordWrap(true);
    m_source->setTextFormat(Qt::PlainText);
    m_message = new QLabel(this);
    m_message->setObjectName(u"message"_s);
    m_message->setWordWrap(true);
    m_message->setTextFormat(Qt::PlainText);
    m_message->setForegroundRole(QPalette::Highlight);
    m_testLabel = new QLabel(this);
    m_testLabel->setObjectName(u"testResult"_s);
    m_testLabel->setWordWrap(true);
    m_testLabel->setTextFormat(Qt::PlainText);
    m_testLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *form = new QFormLayout;
    form->addRow(tr("&Alias:"), m_alias);
    form->addRow(tr("&HostName:"), m_hostName);
    form->addRow(tr("&User:"), m_user);
    form->addRow(tr("&Port:"), m_port);
    form->addRow(tr("&Identity file:"), m_identity);
    form->addRow(tr("Proxy&Jump:"), m_proxyJump);

    m_add = new QPushButton(tr("&New Host"), this);
    m_save = new QPushButton(tr("&Save"), this);
    m_remove = new QPushButton(tr("&Remove"), this);
    m_test = new QPushButton(tr("&Test Connection"), this);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_add);
    buttons->addWidget(m_save);
    buttons->addWidget(m_remove);
    buttons->addStretch(1);
    buttons->addWidget(m_test);

    auto *right = new QVBoxLayout;
    right->addWidget(m_source);
    right->addLayout(form);
    right->addWidget(m_message);
    right->addLayout(buttons);
    right->addWidget(m_testLabel);
    right->addStretch(1);

    auto *close = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(close, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *top = new QHBoxLayout;
    top->addWidget(m_list);
    top->addLayout(right, 1);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top, 1);
    layout->addWidget(close);

    connect(m_add, &QPushButton::clicked, this, &HostsDialog::newHost);
    connect(m_save, &QPushButton::clicked, this, [this] { (void)saveHost(); });
    connect(m_remove, &QPushButton::clicked, this, [this] { (void)removeHost(); });
    connect(m_test, &QPushButton::clicked, this, &HostsDialog::testConnection);
    connect(m_list, &QListWidget::currentItemChanged, this, [this](QListWidgetItem *item) {
        if (!item || !m_store)
            return;
        if (const auto host = m_store->host(item->data(Qt::UserRole).toString()))
            showHost(*host);
    });
    if (m_store)
        connect(m_store, &HostStore::changed, this, &HostsDialog::reloadList);
    reloadList();
    if (m_list->count() > 0)
        m_list->setCurrentRow(0);
    else
        newHost();
    resize(760, 420);
}

HostsDialog::~HostsDialog()
{
    if (m_testConnection)
        m_testConnection->disconnectFromHost();
}

void HostsDialog::reloadList()
{
    const QString keep = m_list->currentItem()
                             ? m_list->currentItem()->data(Qt::UserRole).toString()
                             : QString();
    QSignalBlocker blocker(m_list);
    m_list->clear();
    if (!m_store)
        return;
    for (const SshHost &host : m_store->hosts()) {
        auto *item = new QListWidgetItem(listText(host), m_list);
        item->setData(Qt::UserRole, host.alias);
        if (host.origin == SshHost::Origin::SshConfig) {
            item->setToolTip(tr("From %1 (edit that file to change it)").arg(host.sourceFile));
            item->setForeground(palette().brush(QPalette::PlaceholderText));
        } else {
            item->setToolTip(tr("Added in GPU Workbench"));
        }
        if (host.alias == keep)
            m_list->setCurrentItem(item);
    }
    if (!m_store->configError().isEmpty())
        setMessage(m_store->configError());
    else if (!m_store->shadowedAppHosts().isEmpty())
        setMessage(tr("Hosts added here with the same name as a Host in ~/.ssh/config are not "
                      "used; the config file's wins: %1. Remove them here or rename them.")
                       .arg(m_store->shadowedAppHosts().join(u", "_s)));
}

bool HostsDialog::selectHost(const QString &alias)
{
    for (int row = 0; row < m_list->count(); ++row) {
        if (m_list->item(row)->data(Qt::UserRole).toString() == alias) {
            m_list->setCurrentRow(row);
            if (const auto host = m_store->host(alias))
                showHost(*host);
            return true;
        }
    }
    return false;
}

QString HostsDialog::selectedAlias() const
{
    return m_editingAlias.isEmpty() ? m_alias->text().trimmed() : m_editingAlias;
}

void HostsDialog::showHost(const SshHost &host)
{
    m_editingConfigHost = host.origin == SshHost::Origin::SshConfig;
    m_editingAlias = host.alias;
    m_alias->setText(host.alias);
    m_hostName->setText(host.hostName);
    m_user->setText(host.user);
    m_port->setValue(host.port);
    m_identity->setText(host.identityFiles.join(u", "_s));
    m_proxyJump->setText(host.proxyJump);
    if (m_editingConfigHost) {
        QString source = tr("From %1 — read-only here; edit that file to change it.")
                             .arg(host.sourceFile);
        if (!host.unsupportedKeywords.isEmpty()) {
            source += u'\n'
                      + tr("Ignored by GPU Workbench's SSH (libssh): %1")
                            .arg(host.unsupportedKeywords.join(u", "_s));
        }
        m_source->setText(source);
    } else {
        m_source->setText(tr("Added in GPU Workbench."));
    }
    setFormEditable(!m_editingConfigHost);
    setMessage({});
}

void HostsDialog::newHost()
{
    m_editingAlias.clear();
    m_editingConfigHost = false;
    {
        QSignalBlocker blocker(m_list);
        m_list->clearSelection();
        m_list->setCurrentItem(nullptr);
    }
    for (QLineEdit *edit : {m_alias, m_hostName, m_user, m_identity, m_proxyJump})
        edit->clear();
    m_port->setValue(22);
    m_source->setText(tr("A new host, kept by GPU Workbench (not in ~/.ssh/config)."));
    setFormEditable(true);
    setMessage({});
    m_alias->setFocus();
}

void HostsDialog::setFormEditable(bool editable)
{
    for (QLineEdit *edit : {m_alias, m_hostName, m_user, m_identity, m_proxyJump})
        edit->setReadOnly(!editable);
    m_port->setReadOnly(!editable);
    m_save->setEnabled(editable);
    m_remove->setEnabled(editable && !m_editingAlias.isEmpty());
}

void HostsDialog::setMessage(const QString &text)
{
    m_message->setText(text);
    m_message->setVisible(!text.isEmpty());
}

QString HostsDialog::message() const
{
    return m_message->text();
}

SshHost HostsDialog::formHost() const
{
    SshHost host;
    host.origin = SshHost::Origin::App;
    host.alias = m_alias->text().trimmed();
    host.hostName = m_hostName->text().trimmed();
    if (host.hostName.isEmpty())
        host.hostName = host.alias;
    host.user = m_user->text().trimmed();
    host.port = m_port->value();
    for (const QString &file : m_identity->text().split(u',', Qt::SkipEmptyParts)) {
        if (!file.trimmed().isEmpty())
            host.identityFiles << file.trimmed();
    }
    host.proxyJump = m_proxyJump->text().trimmed();
    return host;
}

QString HostsDialog::validate(const SshHost &host)
{
    if (host.alias.isEmpty())
        return tr("Give the host an alias: the short name you will pick it by.");
    if (hasSpace(host.alias) || host.alias.contains(u'/') || host.alias.contains(u':'))
        return tr("The alias “%1” cannot have spaces, “/” or “:”; choose another.")
            .arg(host.alias);
    if (host.alias.contains(u'*') || host.alias.contains(u'?') || host.alias.startsWith(u'!'))
        return tr("The alias “%1” looks like a pattern; a host needs a plain name.")
            .arg(host.alias);
    if (hasSpace(host.hostName) || host.hostName.contains(u'/'))
        return tr("The HostName “%1” is not a host name or address; write e.g. "
                  "gpu1.example.org or 192.0.2.7.")
            .arg(host.hostName);
    if (hasSpace(host.user) || host.user.contains(u'@') || host.user.contains(u':'))
        return tr("The user “%1” cannot have spaces, “@” or “:”.").arg(host.user);
    if (hasSpace(host.proxyJump))
        return tr("ProxyJump takes one or more [user@]host[:port] separated by commas, "
                  "without spaces.");
    if (host.port < 1 || host.port > 65535)
        return tr("The port must be between 1 and 65535.");
    return {};
}

Status HostsDialog::saveHost()
{
    if (!m_store || m_editingConfigHost)
        return Status::failure(ErrorCode::ReadOnly, tr("Hosts from ~/.ssh/config are edited there."));
    const SshHost host = formHost();
    if (const QString problem = validate(host); !problem.isEmpty()) {
        setMessage(problem);
        return Status::failure(ErrorCode::Invalid, problem);
    }
    const QString previous = m_editingAlias;
    Status saved = m_store->saveAppHost(host);
    if (!saved.ok()) {
        setMessage(saved.errorMessage());
        return saved;
    }
    if (!previous.isEmpty() && previous != host.alias)
        (void)m_store->removeAppHost(previous);
    m_editingAlias = host.alias;
    reloadList();
    selectHost(host.alias);
    setMessage({});
    return saved;
}

Status HostsDialog::removeHost()
{
    if (!m_store || m_editingConfigHost || m_editingAlias.isEmpty())
        return Status::failure(ErrorCode::ReadOnly, tr("Only hosts added here can be removed here."));
    Status removed = m_store->removeAppHost(m_editingAlias);
    if (!removed.ok()) {
        setMessage(removed.errorMessage());
        return removed;
    }
    reloadList();
    if (m_list->count() > 0) {
        m_list->setCurrentRow(0);
        if (const auto host = m_store->host(m_list->item(0)->data(Qt::UserRole).toString()))
            showHost(*host);
    } else {
        newHost();
    }
    return removed;
}

void HostsDialog::testConnection()
{
    if (m_testConnection)
        return;
    // What is tested is what was saved: save edits to an app host first.
    if (!m_editingConfigHost) {
        const auto saved = m_editingAlias.isEmpty() || !m_store ? std::nullopt
                                                                : m_store->host(m_editingAlias);
        if ((!saved || formHost() != *saved) && !saveHost().ok())
            return;
    }
    const QString alias = selectedAlias();
    if (alias.isEmpty())
        return;
    m_test->setEnabled(false);
    m_testLabel->setText(tr("Connecting to %1…").arg(alias));
    auto *connection = new SshConnection(alias, m_testOptions, this);
    m_testConnection = connection;
    connect(connection, &SshConnection::stateChanged, this,
            [this, connection](SshState state, const QString &message) {
                if (connection != m_testConnection)
                    return;
                switch (state) {
                case SshState::Connected:
                    finishTest(true, tr("Connected as %1.").arg(message));
                    break;
                case SshState::Failed:
                case SshState::Reconnecting:
                case SshState::Disconnected:
                    finishTest(false, message.isEmpty() ? tr("The connection closed.") : message);
                    break;
                case SshState::Connecting:
                    m_testLabel->setText(tr("Connecting to %1…").arg(connection->alias()));
                    break;
                }
            });
    connection->connectToHost();
}

void HostsDialog::finishTest(bool ok, const QString &message)
{
    m_testLabel->setText((ok ? tr("✔ ") : tr("✘ ")) + message);
    m_test->setEnabled(true);
    if (SshConnection *connection = m_testConnection) {
        m_testConnection.clear();
        connection->disconnectFromHost();
        connection->deleteLater();
    }
    emit testFinished(ok, message);
}

QString HostsDialog::testResult() const
{
    return m_testLabel->text();
}

} // namespace gpuwb
