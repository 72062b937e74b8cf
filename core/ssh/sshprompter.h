#pragma once

#include <QString>

#include <optional>

namespace gpuwb {

struct SshHostKeyInfo
{
    QString host;         // as in known_hosts: "name" or "[name]:port"
    QString keyType;      // "ssh-ed25519", ...
    QString fingerprint;  // "SHA256:..." as OpenSSH prints it
};

struct SshSecretRequest
{
    enum class Kind { Passphrase, Password, KeyboardInteractive };
    Kind kind = Kind::Password;
    QString host;         // alias
    QString user;
    QString keyFile;      // for Passphrase
    QString name;         // keyboard-interactive: name and instruction from the server
    QString instruction;
    QString prompt;       // the server's prompt, or ours ("Password:")
    bool echo = false;    // keyboard-interactive prompts that may be shown
    int attempt = 1;      // 1..3
    // Whether the answer may be kept (for reconnects, and in the keychain when asked): false
    // for keyboard-interactive prompts that are not passwords (one-time codes, tokens), which
    // are asked every time and never offered "Remember".
    bool rememberable = true;
    QString previousError; // why the last try failed, empty on the first
};

// Whether a keyboard-interactive prompt asks for a password (an answer that may be given again
// on a reconnect, or kept in the keychain), not a one-time code or a second factor.
bool isPasswordPrompt(const QString &prompt);

struct SshSecret
{
    QString text;
    bool remember = false; // store it in the system keychain
};

// Asks the person at the keyboard. Called on a connection's owner thread, which waits for the
// answer: a GUI implementation shows a dialog on the UI thread, a terminal one reads /dev/tty,
// tests answer from a script. Implementations must be thread-safe. A changed host key is
// never asked about: the connection refuses it.
class SshPrompter
{
public:
    virtual ~SshPrompter() = default;
    // True when the user accepts an unknown host key (it is then written to known_hosts).
    virtual bool acceptHostKey(const SshHostKeyInfo &key) = 0;
    // The secret, or nullopt when the user cancelled.
    virtual std::optional<SshSecret> askSecret(const SshSecretRequest &request) = 0;
};

} // namespace gpuwb
