// Authentication of SshSessionOpener, in OpenSSH's order: ssh-agent, identity files (with
// their passphrases), keyboard-interactive, password; each secret at most three times.
#include "core/ssh/secretstore.h"
#include "core/ssh/sshprompter.h"
#include "core/ssh/sshsessionopener.h"
#include "core/util/logging.h"

#include <QFile>

#include <libssh/libssh.h>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

constexpr int kMaxTries = 3;

struct AuthRun
{
    ssh_session session;
    SshPrompter *prompter;
    SecretStore *secrets;
    QHash<QString, QString> &memory;
    QString alias;
    QString user;
    QString target; // user@host:port
    std::function<bool()> closing;
    QStringList tried;
    bool cancelled = false;
    bool closed = false;   // the connection was closed while a question was up
    bool timedOut = false; // the server stopped answering during login

    // Secrets known without asking: this connection's memory, then the keychain.
    QString known(const QString &key)
    {
        if (m_skipKnown.contains(key))
            return {};
        if (const auto it = memory.constFind(key); it != memory.constEnd())
            return *it;
        if (secrets) {
            Result<QString> r = secrets->read(key);
            if (r)
                return r.value();
        }
        return {};
    }
    void forget(const QString &key)
    {
        memory.remove(key);
        m_skipKnown.insert(key);
    }
    void remember(const QString &key, const SshSecret &secret)
    {
        memory.insert(key, secret.text);
        if (secret.remember && secrets) {
            Status s = secrets->write(key, secret.text);
            if (!s)
                qCWarning(lcSsh).noquote() << "The secret" << key << "was not remembered:"
                                           << s.error().message;
        }
    }
    std::optional<SshSecret> ask(SshSecretRequest request)
    {
        if (!prompter)
            return std::nullopt;
        if (closing()) {
            closed = true;
            return std::nullopt;
        }
        request.host = alias;
        request.user = user;
        std::optional<SshSecret> answer = prompter->askSecret(request);
        // Closed while the question was up: the answer is dropped and nothing more is sent.
        if (closing()) {
            closed = true;
            return std::nullopt;
        }
        if (!answer)
            cancelled = true;
        return answer;
    }
    // An answer that libssh could not get in the connect timeout (blocking mode returns
    // SSH_AUTH_AGAIN then): the login stops instead of asking again on a stuck session.
    bool stuck(int rc)
    {
        if (rc == SSH_AUTH_AGAIN)
            timedOut = true;
        return timedOut;
    }

    QSet<QString> m_skipKnown;
};

enum class Outcome { Success, Partial, Failed, Cancelled, Closed, TimedOut };

Outcome unansweredOutcome(const AuthRun &run)
{
    return run.closed ? Outcome::Closed : run.cancelled ? Outcome::Cancelled : Outcome::Failed;
}

Outcome tryKey(AuthRun &run, const QString &path)
{
    const QByteArray file = QFile::encodeName(path);
    ssh_key pub = nullptr;
    const QByteArray pubFile = QFile::encodeName(path + u".pub"_s);
    if (ssh_pki_import_pubkey_file(pubFile.constData(), &pub) == SSH_OK) {
        // Ask for no passphrase of a key the server would not take anyway.
        const int rc = ssh_userauth_try_publickey(run.session, nullptr, pub);
        ssh_key_free(pub);
        if (run.stuck(rc))
            return Outcome::TimedOut;
        if (rc != SSH_AUTH_SUCCESS) {
            run.tried << u"key %1 (not accepted by the server)"_s.arg(path);
            return Outcome::Failed;
        }
    }
    ssh_key key = nullptr;
    if (ssh_pki_import_privkey_file(file.constData(), nullptr, nullptr, nullptr, &key) != SSH_OK) {
        const QString secretKey = u"passphrase/"_s + path;
        QString previous;
        int attempt = 0;
        QString candidate = run.known(secretKey);
        bool fromMemory = !candidate.isEmpty();
        std::optional<SshSecret> asked;
        while (!key) {
            if (!fromMemory) {
                if (attempt >= kMaxTries)
                    break;
                ++attempt;
                SshSecretRequest request;
                request.kind = SshSecretRequest::Kind::Passphrase;
                request.keyFile = path;
                request.prompt = u"Enter passphrase for key '%1':"_s.arg(path);
                request.attempt = attempt;
                request.previousError = previous;
                asked = run.ask(request);
                if (!asked) {
                    if (run.cancelled || run.closed)
                        return unansweredOutcome(run);
                    run.tried << u"key %1 (needs a passphrase)"_s.arg(path);
                    return Outcome::Failed;
                }
                candidate = asked->text;
            }
            const QByteArray pass = candidate.toUtf8();
            if (ssh_pki_import_privkey_file(file.constData(), pass.constData(), nullptr, nullptr,
                                            &key) == SSH_OK) {
                if (asked)
                    run.remember(secretKey, *asked);
                else
                    run.memory.insert(secretKey, candidate);
                break;
            }
            if (fromMemory)
                run.forget(secretKey);
            fromMemory = false;
            previous = u"Wrong passphrase."_s;
        }
        if (!key) {
            run.tried << u"key %1 (%2 wrong passphrases)"_s.arg(path).arg(attempt);
            return Outcome::Failed;
        }
    }
    const int rc = ssh_userauth_publickey(run.session, nullptr, key);
    ssh_key_free(key);
    if (run.stuck(rc))
        return Outcome::TimedOut;
    if (rc == SSH_AUTH_SUCCESS)
        return Outcome::Success;
    if (rc == SSH_AUTH_PARTIAL)
        return Outcome::Partial;
    run.tried << u"key %1 (not accepted by the server)"_s.arg(path);
    return Outcome::Failed;
}

} // namespace

// One-time codes, tokens and second factors (Duo, "Verification code") are asked every time
// (issue 10, item 16).
bool isPasswordPrompt(const QString &prompt)
{
    const QString p = prompt.toLower();
    if (!p.contains(u"password"_s))
        return false;
    for (const char16_t *word : {u"code", u"token", u"otp", u"one-time", u"one time",
                                 u"verification", u"2fa", u"duo", u"passcode", u"pin"}) {
        if (p.contains(QStringView(word)))
            return false;
    }
    return true;
}

namespace {

Outcome tryKeyboardInteractive(AuthRun &run)
{
    // Password answers that worked are held for reconnects by prompt (and in the keychain when
    // the user asked); any other answer is asked for again.
    const QString memPrefix = u"kbd/%1/"_s.arg(run.target);
    int denied = 0;
    for (int attempt = 1; attempt <= kMaxTries; ++attempt) {
        int rc = ssh_userauth_kbdint(run.session, nullptr, nullptr);
        QStringList used; // the memory keys answered in this round
        QList<std::pair<QString, SshSecret>> typedPasswords; // kept once they worked
        while (rc == SSH_AUTH_INFO) {
            const QString name = QString::fromUtf8(ssh_userauth_kbdint_getname(run.session));
            const QString instruction =
                QString::fromUtf8(ssh_userauth_kbdint_getinstruction(run.session));
            const int n = ssh_userauth_kbdint_getnprompts(run.session);
            for (int i = 0; i < n; ++i) {
                char echo = 0;
                const QString prompt = QString::fromUtf8(
                    ssh_userauth_kbdint_getprompt(run.session, unsigned(i), &echo));
                const QString memKey = memPrefix + prompt;
                const bool reusable = isPasswordPrompt(prompt);
                QString answer = denied == 0 && reusable ? run.known(memKey) : QString();
                std::optional<SshSecret> typed;
                if (answer.isEmpty()) {
                    SshSecretRequest request;
                    request.kind = SshSecretRequest::Kind::KeyboardInteractive;
                    request.name = name;
                    request.instruction = instruction;
                    request.prompt = prompt;
                    request.echo = echo != 0;
                    request.attempt = attempt;
                    request.rememberable = reusable;
                    if (denied > 0)
                        request.previousError = u"Permission denied, please try again."_s;
                    std::optional<SshSecret> secret = run.ask(request);
                    if (!secret) {
                        if (run.cancelled || run.closed)
                            return unansweredOutcome(run);
                        run.tried << u"keyboard-interactive (not answered)"_s;
                        return Outcome::Failed;
                    }
                    answer = secret->text;
                    typed = secret;
                }
                if (reusable) {
                    if (typed)
                        typedPasswords.append({memKey, *typed});
                    used << memKey;
                }
                const QByteArray a = answer.toUtf8();
                ssh_userauth_kbdint_setanswer(run.session, unsigned(i), a.constData());
            }
            rc = ssh_userauth_kbdint(run.session, nullptr, nullptr);
        }
        if (run.stuck(rc))
            return Outcome::TimedOut;
        if (rc == SSH_AUTH_SUCCESS || rc == SSH_AUTH_PARTIAL) {
            for (const auto &[key, secret] : std::as_const(typedPasswords))
                run.remember(key, secret);
            return rc == SSH_AUTH_SUCCESS ? Outcome::Success : Outcome::Partial;
        }
        if (rc == SSH_AUTH_ERROR)
            break;
        // Denied: what memory or the keychain held (or what was typed) was wrong.
        for (const QString &key : std::as_const(used))
            run.forget(key);
        ++denied;
        if (!run.prompter)
            break;
    }
    run.tried << (denied > 0 ? u"keyboard-interactive (%1 wrong answers)"_s.arg(denied)
                             : u"keyboard-interactive (failed)"_s);
    return Outcome::Failed;
}

Outcome tryPassword(AuthRun &run)
{
    const QString secretKey = u"password/"_s + run.target;
    QString candidate = run.known(secretKey);
    bool fromMemory = !candidate.isEmpty();
    int attempt = 0;
    QString previous;
    while (true) {
        std::optional<SshSecret> asked;
        if (!fromMemory) {
            if (attempt >= kMaxTries)
                break;
            ++attempt;
            SshSecretRequest request;
            request.kind = SshSecretRequest::Kind::Password;
            request.prompt = u"%1's password:"_s.arg(run.target);
            request.attempt = attempt;
            request.previousError = previous;
            asked = run.ask(request);
            if (!asked) {
                if (run.cancelled || run.closed)
                    return unansweredOutcome(run);
                break;
            }
            candidate = asked->text;
        }
        const QByteArray pass = candidate.toUtf8();
        const int rc = ssh_userauth_password(run.session, nullptr, pass.constData());
        if (run.stuck(rc))
            return Outcome::TimedOut;
        if (rc == SSH_AUTH_SUCCESS || rc == SSH_AUTH_PARTIAL) {
            if (asked)
                run.remember(secretKey, *asked);
            return rc == SSH_AUTH_SUCCESS ? Outcome::Success : Outcome::Partial;
        }
        if (rc == SSH_AUTH_ERROR)
            break;
        if (fromMemory)
            run.forget(secretKey);
        fromMemory = false;
        previous = u"Permission denied, please try again."_s;
    }
    run.tried << (attempt > 0 ? u"password (%1 wrong tries)"_s.arg(attempt)
                              : u"password (none to try)"_s);
    return Outcome::Failed;
}

} // namespace

Status SshSessionOpener::authenticate(ssh_session session, SshPrompter *prompter)
{
    AuthRun run{session, prompter, m_options.secrets.get(), m_memory, m_alias, m_user,
                u"%1@%2:%3"_s.arg(m_user, m_hostName).arg(m_port), m_closing, {}, false, false,
                false, {}};
    const Error timedOut{ErrorCode::Timeout,
                         u"%1 stopped answering while logging in (no reply within %2 s). Check "
                         "that the server is not overloaded, or raise ConnectTimeout."_s
                             .arg(m_alias)
                             .arg(m_connectTimeout)};
    int rc = ssh_userauth_none(session, nullptr);
    if (rc == SSH_AUTH_SUCCESS)
        return {};
    if (rc == SSH_AUTH_AGAIN)
        return timedOut;
    if (rc == SSH_AUTH_ERROR)
        return Error{ErrorCode::ConnectionLost,
                     u"The connection to %1 broke during login: %2"_s.arg(
                         m_alias, QString::fromUtf8(ssh_get_error(session)))};

    QStringList identities = m_identityFiles;
    if (identities.isEmpty()) {
        for (const char *name : {"id_ed25519", "id_ecdsa", "id_rsa"}) {
            const QString path = m_options.paths.sshDir + u'/' + QLatin1StringView(name);
            if (QFile::exists(path))
                identities << path;
        }
    }

    bool agentTried = false;
    bool kbdTried = false;
    bool passwordTried = false;
    qsizetype nextKey = 0;
    // Partial success (several methods required) starts the list of methods over.
    for (;;) {
        if (m_closing())
            return Error{ErrorCode::Closed, u"The connection to %1 was closed."_s.arg(m_alias)};
        const int methods = ssh_userauth_list(session, nullptr);
        Outcome outcome = Outcome::Failed;
        if ((methods & SSH_AUTH_METHOD_PUBLICKEY) && !agentTried) {
            agentTried = true;
            if (!qEnvironmentVariableIsEmpty("SSH_AUTH_SOCK")) {
                rc = ssh_userauth_agent(session, nullptr);
                outcome = rc == SSH_AUTH_SUCCESS   ? Outcome::Success
                          : rc == SSH_AUTH_PARTIAL ? Outcome::Partial
                          : run.stuck(rc)          ? Outcome::TimedOut
                                                   : Outcome::Failed;
                if (outcome == Outcome::Failed)
                    run.tried << u"ssh-agent (no key accepted)"_s;
            } else {
                continue;
            }
        } else if ((methods & SSH_AUTH_METHOD_PUBLICKEY) && nextKey < identities.size()) {
            const QString path = identities.at(nextKey++);
            if (!QFile::exists(path))
                continue;
            outcome = tryKey(run, path);
        } else if ((methods & SSH_AUTH_METHOD_INTERACTIVE) && !kbdTried) {
            kbdTried = true;
            outcome = tryKeyboardInteractive(run);
        } else if ((methods & SSH_AUTH_METHOD_PASSWORD) && !passwordTried) {
            passwordTried = true;
            outcome = tryPassword(run);
        } else {
            break;
        }
        if (outcome == Outcome::Success)
            return {};
        if (outcome == Outcome::Cancelled)
            return Error{ErrorCode::Cancelled,
                         u"Logging in to %1 was cancelled."_s.arg(m_alias)};
        if (outcome == Outcome::Closed)
            return Error{ErrorCode::Closed, u"The connection to %1 was closed."_s.arg(m_alias)};
        if (outcome == Outcome::TimedOut)
            return timedOut;
        if (outcome == Outcome::Partial) {
            agentTried = kbdTried = passwordTried = false;
            nextKey = 0;
        }
        if (ssh_get_status(session) & (SSH_CLOSED | SSH_CLOSED_ERROR))
            return Error{ErrorCode::ConnectionLost,
                         u"%1 closed the connection during login: %2"_s.arg(
                             m_alias, QString::fromUtf8(ssh_get_error(session)))};
    }
    const QString tried = run.tried.isEmpty() ? u"no method the server offers"_s
                                              : run.tried.join(u"; "_s);
    return Error{ErrorCode::AuthFailed,
                 u"Permission denied for %1. Tried: %2. Check the user name and password, or "
                 "add your public key to ~/.ssh/authorized_keys on the server."_s.arg(run.target,
                                                                                     tried)};
}

} // namespace gpuwb
