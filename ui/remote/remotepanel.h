#pragma once

#include "core/fs/location.h"
#include "core/ssh/sshconnection.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;

namespace gpuwb {

class FileBrowser;
class HostStore;
class SftpFileSystem;
class SshConnections;

// The "Remote files" dock's content: a host picker (the HostStore's hosts), the connection
// state of the picked host (Disconnected, Connecting, Connected, Reconnecting, Failed, with
// the reason) with Connect/Disconnect, a path field, and a FileBrowser over the host's
// SftpFileSystem, rooted at the remote home or the typed path. Connecting never blocks: the
// tree fills in when the home directory arrives. UI thread; borrows the store and connections.
class RemotePanel : public QWidget
{
    Q_OBJECT
public:
    RemotePanel(HostStore *hosts, SshConnections *connections, QWidget *parent = nullptr);

    FileBrowser *browser() const { return m_browser; }
    QComboBox *hostBox() const { return m_hostBox; }
    QLabel *stateLabel() const { return m_stateLabel; }
    QPushButton *connectButton() const { return m_connectButton; }
    QLineEdit *pathEdit() const { return m_pathEdit; }

    QString currentAlias() const;
    // The state of the picked host's connection (Disconnected when none was made yet).
    SshState state() const;
    // The file system of the picked host, nullptr before it is first connected.
    SftpFileSystem *fileSystem() const;

    // Picks `alias`, connects and shows its home folder.
    void openHost(const QString &alias);
    // Picks the host of `location`, connects and shows `location` (a folder).
    void openLocation(const Location &location);
    void connectCurrent();
    void disconnectCurrent();

signals:
    // The picked host's state or message changed (also when another host is picked).
    void stateChanged(gpuwb::SshState state, const QString &message);

private:
    void reloadHosts();
    void onHostPicked();
    void showState();
    // Every host in the combo box carries its own connection state (icon and tooltip).
    void showHostState(const QString &alias);
    SshState stateOf(const QString &alias, QString *message = nullptr) const;
    void openTypedPath();
    void setRoot(const QString &alias, const Location &root);

    HostStore *m_hosts;
    SshConnections *m_connections;
    QComboBox *m_hostBox = nullptr;
    QLabel *m_stateIcon = nullptr;
    QLabel *m_stateLabel = nullptr;
    QPushButton *m_connectButton = nullptr;
    QLineEdit *m_pathEdit = nullptr;
    FileBrowser *m_browser = nullptr;
    // Bumped whenever what the tree should show changes, so late home() answers are dropped.
    quint64 m_request = 0;
};

} // namespace gpuwb
