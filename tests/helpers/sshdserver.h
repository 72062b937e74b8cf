#pragma once

#include <QByteArray>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <memory>

namespace gpuwb::test {

// A real OpenSSH sshd on 127.0.0.1 for tests and benchmarks, started in the foreground
// (`sshd -D -e -f CONFIG`) so that its PID is ours, and stopped by that PID. It serves the
// unprivileged user "gpuwbtest" (created when missing, home /home/gpuwbtest, so not the local
// side's home) and writes everything else into its own temporary directory:
//   - a host key (ed25519) and an sshd_config with the chosen port, AuthorizedKeysFile there;
//   - a client home (clientHome()) with .ssh/: id_plain (no passphrase, authorized),
//     id_secret (passphrase "correct horse", authorized), an empty known_hosts and a config
//     with "Host gpuwb-test" pointing at this server (User, Port, HostName 127.0.0.1,
//     IdentityFile <absolute path of id_plain>); no UserKnownHostsFile, so the default applies.
// Tests set HOME to clientHome() so the code under test finds ~/.ssh there. (libssh itself takes
// ~ from the passwd entry, not HOME: pass the paths, SSH_OPTIONS_SSH_DIR, explicitly.)
// sshd logs (LogLevel VERBOSE) to a file, read by log(); it never blocks on a pipe. sshd dies with
// the thread that started it (PR_SET_PDEATHSIG), so a crashed test leaves none behind: use the
// object from one thread, normally the test's main thread. Needs root (scripts/in-root).
class SshdServer
{
public:
    // Hosts as they are (issue 10): the account the server serves, each a user of its own so
    // that tests running at once never share a home or an rc file.
    enum class Account {
        Plain,      // gpuwbtest, login shell /bin/sh (dash), nothing printed
        BashBanner, // gpuwbbash, bash; ~/.bashrc (read by bash for sshd's commands) prints a
                    // banner without a final newline on stdout, one on stderr, sets umask 077
        Tcsh,       // gpuwbtcsh, tcsh; ~/.tcshrc prints a banner
        Fish,       // gpuwbfish, fish; ~/.config/fish/config.fish prints a banner
        NoHome,     // gpuwbnohome, sh; its home /home/gpuwbnohome does not exist (sshd lets
                    // it in, in "/"); makeRemoteScratchDir() must not be used with it
    };
    struct Options
    {
        Account account = Account::Plain;
        bool passwordAuth = true;      // PasswordAuthentication
        // KbdInteractiveAuthentication, and UsePAM with it (Linux sshd offers keyboard-
        // interactive only through PAM): one prompt "Password: " (echo off), the user's
        // password. A wrong answer costs PAM's ~2 s failure delay. Without it, UsePAM no.
        bool kbdInteractiveAuth = false;
        bool publicKeyAuth = true;
        // Added to sshd_config: lines before the first "Match" go first (sshd keeps the first
        // value of a keyword, so they override the fixture's), the Match blocks go last.
        QString extraConfig;
    };

    static QString userName() { return QStringLiteral("gpuwbtest"); } // Account::Plain's
    static QString userFor(Account account);
    static QString loginShellFor(Account account);
    QString user() const { return userFor(m_options.account); } // the account served
    static QString password() { return QStringLiteral("gpuwb test pass"); }
    static QString keyPassphrase() { return QStringLiteral("correct horse"); }

    SshdServer();
    explicit SshdServer(Options options);
    ~SshdServer(); // stops sshd (and the sessions it serves) by PID

    // Creates the user, keys and config and starts sshd, waiting until the port accepts.
    // Returns false with a reason when something is missing (e.g. not root). After stop(),
    // start() brings the server back on the same port with the same keys.
    bool start(QString *error);
    // Stops sshd and starts it again on the same port with a freshly generated host key.
    bool restartWithNewHostKey(QString *error);
    void stop();
    // SIGKILLs the sshd processes serving connections (children of the listener), leaving
    // the listener running: what a crashed server side looks like to a client.
    void killSessions();

    QString host() const { return QStringLiteral("127.0.0.1"); }
    int port() const { return m_port; }
    qint64 pid() const;
    QString alias() const { return QStringLiteral("gpuwb-test"); } // the Host in the client config
    QString userHome() const { return QStringLiteral("/home/") + user(); }
    // A fresh directory owned by the test user below its home, removed by the destructor.
    QString makeRemoteScratchDir();
    // A scratch directory put first in the PATH of every session (sshd_config SetEnv PATH),
    // for stand-ins of remote tools (tests/helpers/nvidia-smi-standin). Restarts a running
    // sshd so that the setting applies; call it before the client connects. Empty on failure.
    QString makeUserBinDir();

    QString clientHome() const;      // the HOME to give the code under test
    QString clientSshDir() const;    // clientHome()/.ssh
    QString plainKeyPath() const;    // id_plain
    QString secretKeyPath() const;   // id_secret (passphrase keyPassphrase())
    // The host key's SHA256 fingerprint as OpenSSH prints it ("SHA256:...").
    QString hostKeyFingerprint() const;
    // A known_hosts line for this server's current key ("[127.0.0.1]:PORT ssh-ed25519 ...",
    // no comment, no newline).
    QByteArray knownHostsLine() const;
    // Appends text to the client config (e.g. another Host block); call it after start().
    void appendClientConfig(const QString &text);
    // What sshd logged so far (its -e output).
    QString log() const;

    QString clientConfigPath() const; // clientHome()/.ssh/config
    QString sshdConfigPath() const;

private:
    QString serverDir() const;
    QString hostKeyPath() const;
    QString logPath() const;
    bool prepare(QString *error);
    bool generateHostKey(QString *error);
    bool writeSshdConfig(QString *error);
    bool writeClientConfig(QString *error);
    // One attempt at launching sshd on m_port; *portTaken tells a bind collision apart.
    bool launch(QString *error, bool *portTaken);
    void stopProcesses(bool keepListener);

    Options m_options;
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<QProcess> m_sshd;
    QStringList m_scratchDirs;
    int m_port = 0;
    bool m_prepared = false;
    int m_clientConfigPort = 0; // the port the client config was written for
    QString m_hostFingerprint;
    QString m_userBinDir; // first in the sessions' PATH when set
    QByteArray m_hostPublicKey; // "ssh-ed25519 BASE64"
};

// An ssh-agent started in the foreground (`ssh-agent -D -a SOCKET`) and stopped by PID. The
// passphrase for add() reaches ssh-add through the environment and an askpass script, never disk.
class SshAgent
{
public:
    SshAgent();
    ~SshAgent();
    bool start(QString *error);
    // ssh-add for a key; `passphrase` answered through SSH_ASKPASS when not empty.
    bool add(const QString &keyPath, const QString &passphrase, QString *error);
    QString socketPath() const; // for SSH_AUTH_SOCK
    qint64 pid() const;

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<QProcess> m_agent;
    int m_adds = 0;
};

} // namespace gpuwb::test
