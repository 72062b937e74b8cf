#pragma once

#include "core/ssh/sshprompter.h"

#include <QMutex>
#include <QString>

#include <atomic>

namespace gpuwb {

// The SshPrompter of the command line: asks on the controlling terminal (/dev/tty), like ssh,
// so that prompts work while stdout and stderr are redirected; secrets are read with echo off.
// Without a terminal it answers "no" and keeps a note (refusal()) saying how to fix that, for
// the command to print instead of a bare failure. Called on connection owner threads, one
// prompt at a time; interrupt() may be called from any thread (the Ctrl-C handler's event).
class TerminalPrompter : public SshPrompter
{
public:
    // `alias` names the host in hints ("run `ssh ALIAS` once").
    explicit TerminalPrompter(QString alias);
    ~TerminalPrompter() override;

    bool acceptHostKey(const SshHostKeyInfo &key) override;
    std::optional<SshSecret> askSecret(const SshSecretRequest &request) override;

    // Ends a prompt that is waiting (it answers "no" / cancelled) and every later one.
    void interrupt();
    // Why the last question went unanswered without a terminal, or empty.
    QString refusal() const;

    // Bytes made safe to print on a terminal in one line, like GNU `ls -b`: valid printable
    // UTF-8 is kept; \\, \a \b \t \n \v \f \r and \ooo (octal) for every other control
    // character (C0, DEL, C1), line/paragraph separators and every byte that is not UTF-8.
    static QByteArray printable(const QByteArray &bytes);
    static QByteArray printable(const QString &text);

private:
    enum class Read { Line, NoTerminal, Interrupted };
    Read readLine(int tty, bool echo, QByteArray *line);
    void setRefusal(const QString &text);

    QString m_alias;
    QMutex m_promptMutex; // one prompt at a time
    mutable QMutex m_refusalMutex;
    QString m_refusal;
    std::atomic_bool m_interrupted = false;
    int m_wakePipe[2] = {-1, -1};
};

} // namespace gpuwb
