#pragma once

#include "core/ssh/sshconnection.h"
#include "core/util/result.h"

#include <QDialog>
#include <QPointer>

class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QSpinBox;

namespace gpuwb {

class HostStore;

// Hosts…: the hosts of a HostStore in a list. Hosts from ~/.ssh/config are shown read-only with
// the file that names them and the keywords libssh ignores; hosts added here can be added,
// edited and removed (alias, HostName, User, Port, identity file, ProxyJump), with a message
// saying what is wrong when a field is. "Test connection" connects a temporary SshConnection
// to the selected (saved) host and shows how it went, without blocking. UI thread.
class HostsDialog : public QDialog
{
    Q_OBJECT
public:
    HostsDialog(HostStore *store, SshConnection::Options testOptions, QWidget *parent = nullptr);
    ~HostsDialog() override;

    // Shows `alias` in the form; false when there is no such host.
    bool selectHost(const QString &alias);
    QString selectedAlias() const;
    // Clears the form for a new app host.
    void newHost();
    // Validates the form and saves it as an app host (renaming it replaces the old alias).
    Status saveHost();
    Status removeHost();
    // Connects to the selected host in the background; testResult() and testFinished() tell.
    void testConnection();
    QString testResult() const;
    // The validation or save message shown under the form; empty when fine.
    QString message() const;

    QListWidget *hostList() const { return m_list; }
    QLineEdit *aliasEdit() const { return m_alias; }
    QLineEdit *hostNameEdit() const { return m_hostName; }
    QLineEdit *userEdit() const { return m_user; }
    QSpinBox *portBox() const { return m_port; }
    QLineEdit *identityFileEdit() const { return m_identity; }
    QLineEdit *proxyJumpEdit() const { return m_proxyJump; }
    QPushButton *saveButton() const { return m_save; }
    QPushButton *removeButton() const { return m_remove; }
    QPushButton *testButton() const { return m_test; }

    // Why the form's values cannot make a host, for people; empty when they can.
    static QString validate(const SshHost &host);

signals:
    // A test connection reached Connected (ok) or failed; `message` says which and why.
    void testFinished(bool ok, const QString &message);

private:
    void reloadList();
    void showHost(const SshHost &host);
    SshHost formHost() const;
    void setFormEditable(bool editable);
    void setMessage(const QString &text);
    void finishTest(bool ok, const QString &message);

    HostStore *m_store;
    SshConnection::Options m_testOptions;
    QListWidget *m_list = nullptr;
    QLineEdit *m_alias = nullptr;
    QLineEdit *m_hostName = nullptr;
    QLineEdit *m_user = nullptr;
    QSpinBox *m_port = nullptr;
    QLineEdit *m_identity = nullptr;
    QLineEdit *m_proxyJump = nullptr;
    QLabel *m_source = nullptr;
    QLabel *m_message = nullptr;
    QLabel *m_testLabel = nullptr;
    QPushButton *m_add = nullptr;
    QPushButton *m_save = nullptr;
    QPushButton *m_remove = nullptr;
    QPushButton *m_test = nullptr;
    QString m_editingAlias; // the app host the form edits; empty for a new one
    bool m_editingConfigHost = false;
    QPointer<SshConnection> m_testConnection;
};

} // namespace gpuwb
