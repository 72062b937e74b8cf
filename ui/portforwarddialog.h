#pragma once

#include <QDialog>

class QComboBox;
class QLabel;
class QPushButton;
class QSpinBox;

namespace gpuwb {

class PortForward;
class SshConnections;

// Remote › Forward Port…: asks for a host and a remote port (6006 for TensorBoard, 8888 for
// Jupyter), forwards a free local port to it and shows "localhost:N → host:P" with Open in
// Browser and Stop. The forward lives as long as this window: closing it stops forwarding.
// UI thread.
class PortForwardDialog : public QDialog
{
    Q_OBJECT
public:
    PortForwardDialog(SshConnections *connections, const QStringList &aliases,
                      const QString &alias, QWidget *parent = nullptr);
    ~PortForwardDialog() override;

    QComboBox *hostBox() const { return m_host; }
    QSpinBox *remotePortBox() const { return m_remotePort; }
    QPushButton *startButton() const { return m_start; }
    QPushButton *stopButton() const { return m_stop; }
    QPushButton *openButton() const { return m_open; }
    QLabel *statusLabel() const { return m_status; }
    PortForward *forward() const { return m_forward; }

    void startForward();
    void stopForward();
    QString url() const;

private:
    void updateStatus();

    SshConnections *m_connections;
    PortForward *m_forward = nullptr;
    QString m_forwardAlias;
    QComboBox *m_host;
    QSpinBox *m_remotePort;
    QPushButton *m_start;
    QPushButton *m_stop;
    QPushButton *m_open;
    QLabel *m_status;
    QLabel *m_error;
};

} // namespace gpuwb
