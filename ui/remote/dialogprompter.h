#pragma once

#include "core/ssh/sshprompter.h"

#include <QPointer>
#include <QWidget>

namespace gpuwb {

// Asks through dialogs on the UI thread: called on a connection's owner thread, it posts the
// question to the UI thread and waits for the answer there. The dialogs name the host and, for
// an unknown host key, show its SHA256 fingerprint; secret dialogs offer "Remember in the
// system keychain". When the window is gone every question is answered "no".
class DialogPrompter : public SshPrompter
{
public:
    explicit DialogPrompter(QWidget *parent);
    bool acceptHostKey(const SshHostKeyInfo &key) override;
    std::optional<SshSecret> askSecret(const SshSecretRequest &request) override;

private:
    QPointer<QWidget> m_parent;
};

} // namespace gpuwb
