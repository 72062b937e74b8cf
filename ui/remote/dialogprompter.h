#pragma once

#include "core/ssh/sshprompter.h"

#include <QPointer>
#include <QWidget>

#include <memory>

namespace gpuwb {

// Asks through dialogs on the UI thread: called on a connection's owner thread, it posts the
// question to the UI thread and waits for the answer there. The dialogs name the host and, for
// an unknown host key, show its SHA256 fingerprint; secret dialogs offer "Remember in the
// system keychain". When the window is gone every question is answered "no".
//
// The dialogs are window-modal and opened with open(), so the UI thread keeps running its
// event loop while one is up. Their object names ("SshHostKeyDialog", "SshSecretDialog") let
// tests find them. Made on the UI thread; ask*() from any other thread.
class DialogPrompter : public SshPrompter
{
public:
    explicit DialogPrompter(QWidget *parent);
    ~DialogPrompter() override;

    bool acceptHostKey(const SshHostKeyInfo &key) override;
    std::optional<SshSecret> askSecret(const SshSecretRequest &request) override;

    // Answers every waiting and future question "no", so that connection threads blocked in a
    // question can be joined. Call before destroying the connections; any thread.
    void shutdown();

    struct Shared; // the relay to the UI thread and the flag shutdown() sets

private:
    QPointer<QWidget> m_parent;
    std::shared_ptr<Shared> m_shared;
};

} // namespace gpuwb
