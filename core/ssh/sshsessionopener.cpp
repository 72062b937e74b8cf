#include "core/ssh/sshsessionopener.h"

#include "core/ssh/hoststore.h"
#include "core/ssh/knownhostsmarkers.h"
#include "core/ssh/sshconfigfile.h"
#include "core/ssh/sshjumptunnel.h"
#include "core/ssh/sshprompter.h"
#include "core/util/logging.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QMessageAuthenticationCode>
#include <QMutex>
#include <QRandomGenerator>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>

#include <poll.h>

#include <list>
#include <optional>

using namespace Qt::StringLiterals;

namespace gpuwb {

QString knownHostsName(const QString &host, int port)
{
    return port == 22 ? host : u"[%1]:%2"_s.arg(host).arg(port);
}

QString serverKeyFingerprint(ssh_session session, QString *keyType)
{
    ssh_key key = nullptr;
    if (ssh_get_server_publickey(session, &key) != SSH_OK)
        return {};
    if (keyType)
        *keyType = QString::fromLatin1(ssh_key_type_to_char(ssh_key_type(key)));
    unsigned char *hash = nullptr;
    size_t len = 0;
    QString result;
    if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &len) == 0) {
        char *fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, len);
        if (fp) {
            result = QString::fromLatin1(fp);
            ssh_string_free_char(fp);
        }
        ssh_clean_pubkey_hash(&hash);
    }
    ssh_key_free(key);
    while (result.endsWith(u'='))
        result.chop(1);
    return result;
}

namespace {

QString changedKeyMessage(const QString &who, const QString &hostName, const QString &fp,
                          const QString &keyType, const QString &knownHosts)
{
    return u"WARNING: the host key of %1 (%2) has CHANGED. Someone could be eavesdropping on "
           "you right now (a man-in-the-middle attack), or the host key has just been changed. "
           "The %3 key the server sent has fingerprint %4. The stored key is in %5. If you know "
           "the change is legitimate, remove the old entry with: ssh-keygen -R '%2' -f '%5' "
           "and connect again. The connection was refused before any authentication."_s
        .arg(who, hostName, keyType.isEmpty() ? u"new"_s : keyType, fp, knownHosts);
}

// The server key's blob in base64, as known_hosts lines hold it.
QByteArray serverKeyBase64(ssh_session session)
{
    ssh_key key = nullptr;
    if (ssh_get_server_publickey(session, &key) != SSH_OK)
        return {};
    char *b64 = nullptr;
    QByteArray result;
    if (ssh_pki_export_pubkey_base64(key, &b64) == SSH_OK && b64) {
        result = QByteArray(b64);
        ssh_string_free_char(b64);
    }
    ssh_key_free(key);
    return result;
}

// libssh skips every marked known_hosts line; a key marked @revoked for the host is refused
// here, before any authentication, as OpenSSH does (issue 10, item 11).
std::optional<Error> revokedKey(ssh_session session, const QString &who, const QString &name,
                                const QString &fp, const QString &keyType,
                                const QString &knownHosts)
{
    const QByteArray key = serverKeyBase64(session);
    if (key.isEmpty())
        return std::nullopt;
    // The system-wide files count too: libssh trusts their plain lines.
    QString file;
    for (const QString &candidate : {knownHosts, u"/etc/ssh/ssh_known_hosts"_s,
                                     u"/etc/ssh/ssh_known_hosts2"_s}) {
        if (KnownHostsMarkers::read(candidate).isRevoked(name, key)) {
            file = candidate;
            break;
        }
    }
    if (file.isEmpty())
        return std::nullopt;
    return Error{ErrorCode::HostKeyRevoked,
                 u"The host key of %1 (%2, %3 key %4) is marked @revoked in %5: it must never be "
                 "accepted. The connection was refused before any authentication. Ask the "
                 "host's administrator for its current key."_s
                     .arg(who, name, keyType.isEmpty() ? u"its"_s : keyType, fp, file)};
}

// Adds the session's server key to `file` as OpenSSH would: "NAME TYPE KEY", with NAME hashed
// (|1|SALT|HMAC-SHA1) when HashKnownHosts is yes. libssh reads both forms.
Status appendKnownHost(ssh_session session, const QString &name, const QString &file,
                       bool hashed)
{
    char *entry = nullptr;
    if (ssh_session_export_known_hosts_entry(session, &entry) != SSH_OK || !entry)
        return Error{ErrorCode::KnownHostsWrite,
                     u"Could not add the host key to %1: %2"_s.arg(
                         file, QString::fromUtf8(ssh_get_error(session)))};
    QByteArray line = QByteArray(entry).trimmed();
    ssh_string_free_char(entry);
    if (hashed) {
        const qsizetype space = line.indexOf(' ');
        QByteArray salt(20, Qt::Uninitialized); // 20 bytes, as OpenSSH's hashed names
        for (char &c : salt)
            c = char(QRandomGenerator::system()->bounded(256));
        const QByteArray mac = QMessageAuthenticationCode::hash(name.toUtf8(), salt,
                                                                QCryptographicHash::Sha1);
        line = "|1|" + salt.toBase64() + '|' + mac.toBase64() + line.mid(space);
    }
    QDir().mkpath(QFileInfo(file).absolutePath());
    QFile out(file);
    if (!out.open(QIODevice::Append, QFileDevice::ReadOwner | QFileDevice::WriteOwner)
        || out.write(line + '\n') != line.size() + 1 || !out.flush())
        return Error{ErrorCode::KnownHostsWrite,
                     u"Could not add the host key to %1: %2. Check that the file and its folder "
                     "are writable."_s.arg(file, out.errorString())};
    return {};
}

// What StrictHostKeyChecking says about a key that is not known: ask, take it, or refuse.
enum class UnknownKey { Ask, Accept, Refuse };
UnknownKey unknownKeyDecision(const QString &strict)
{
    if (strict == u"yes"_s)
        return UnknownKey::Refuse;
    if (strict == u"accept-new"_s || strict == u"no"_s || strict == u"off"_s)
        return UnknownKey::Accept;
    return UnknownKey::Ask;
}

QString strictRefusal(const QString &who, const QString &name, const QString &file)
{
    return u"The host key of %1 (%2) is not in %3, and ~/.ssh/config says StrictHostKeyChecking "
           "yes, so it is not asked about: add the host's key to that file first (check its "
           "fingerprint with the host's administrator), or change the setting."_s
        .arg(who, name, file);
}

// A @cert-authority line vouches for the host, but host certificates are not checked here
// (libssh 0.11 has no verification of them): the key is treated as unknown, and says so.
QString certificateNote(const QString &name, const QString &knownHosts)
{
    if (!KnownHostsMarkers::read(knownHosts).hasCertificateAuthority(name))
        return {};
    return u" (%1 names a certificate authority for %2, but GPU Workbench cannot check host "
           "certificates: the host's own key must be accepted, or added to the file)"_s
        .arg(knownHosts, name);
}

} // namespace

SshSessionOpener::SshSessionOpener(const QString &alias, const SshConnection::Options &options,
                                   QHash<QString, QString> &memory, int wakeFd,
                                   std::function<bool()> closing)
    : m_alias(alias), m_who(u"\"%1\""_s.arg(alias)), m_options(options), m_memory(memory),
      m_wakeFd(wakeFd), m_closing(std::move(closing))
{}

SshSessionOpener::~SshSessionOpener()
{
    if (m_session)
        ssh_free(m_session);
}

Result<SshSessionOpener::Opened> SshSessionOpener::open(SshPrompter *prompter)
{
    if (Status s = prepare(); !s)
        return s.error();
    return finish(prompter);
}

Status SshSessionOpener::prepare()
{
    const SshPaths &paths = m_options.paths;
    Result<SshConfigFile> config = SshConfigFile::read(paths);
    if (!config)
        return config.error();
    const SshHostSettings settings = config->settingsFor(m_alias, paths);
    // A Host of ~/.ssh/config wins over an app-added host of the same name, here as in the
    // hosts list (HostStore), which says so (issue 10, item 16).
    std::optional<SshHost> appHost = appHostFromSettings(m_alias);
    if (appHost) {
        for (const auto &[configAlias, file] : config->aliases()) {
            if (configAlias == m_alias) {
                qCInfo(lcSsh) << "the host" << m_alias << "of" << file
                              << "wins over the app-added host of the same name";
                appHost.reset();
                break;
            }
        }
    }

    if (m_session)
        ssh_free(m_session);
    m_session = ssh_new();
    if (!m_session)
        return Error{ErrorCode::Internal, u"libssh could not create a session."_s};
    ssh_session session = m_session;
    const QByteArray alias = m_alias.toUtf8();
    const QByteArray dir = QFile::encodeName(paths.sshDir);
    m_knownHosts = settings.userKnownHostsFile.isEmpty() ? paths.knownHostsFile
                                                         : settings.userKnownHostsFile;
    m_strictChecking = settings.strictHostKeyChecking;
    m_hashKnownHosts = settings.hashKnownHosts;
    const QByteArray known = QFile::encodeName(m_knownHosts);
    long timeout = m_options.connectTimeoutSeconds;
    // libssh takes only host-name characters here (no '_', '$', spaces...), while OpenSSH
    // allows any alias: for the others our own reading of the config stands in below.
    const bool aliasUsable =
        ssh_options_set(session, SSH_OPTIONS_HOST, alias.constData()) == SSH_OK;
    ssh_options_set(session, SSH_OPTIONS_SSH_DIR, dir.constData());
    ssh_options_set(session, SSH_OPTIONS_KNOWNHOSTS, known.constData());
    ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &timeout);
    // Our traffic is chains of small requests, each sent after the answer to the one before;
    // with Nagle's algorithm one can wait for the peer's delayed ACK (~40 ms). OpenSSH sets
    // TCP_NODELAY on interactive sessions for the same reason.
    int noDelay = 1;
    ssh_options_set(session, SSH_OPTIONS_NODELAY, &noDelay);
    if (!aliasUsable)
        qCInfo(lcSsh) << "libssh refuses the alias" << m_alias
                      << "as a host name; the config is read by us alone";
    if (aliasUsable && QFile::exists(paths.configFile)) {
        const QByteArray file = QFile::encodeName(paths.configFile);
        if (ssh_options_parse_config(session, file.constData()) != SSH_OK)
            return Error{ErrorCode::ConfigMalformed,
                         u"libssh could not read %1: %2"_s.arg(
                             paths.configFile, QString::fromUtf8(ssh_get_error(session)))};
    }
    bool processConfig = false; // never fall back to the real user's ~/.ssh/config
    ssh_options_set(session, SSH_OPTIONS_PROCESS_CONFIG, &processConfig);
    // Jump hosts are ours to forward (SshJumpTunnel), never libssh's own threads: one
    // disconnect anywhere in the process stops all of those (issue 10, item 15).
    ssh_options_set(session, SSH_OPTIONS_PROXYJUMP, "none");
    // The first UserKnownHostsFile (as OpenSSH writes to the first); libssh may have taken
    // another one from the list.
    ssh_options_set(session, SSH_OPTIONS_KNOWNHOSTS, known.constData());

    // What libssh missed (relative Include paths it reads from the working directory).
    {
        char *h = nullptr;
        const bool hostSet = ssh_options_get(session, SSH_OPTIONS_HOST, &h) == SSH_OK && h
                             && QString::fromUtf8(h) != m_alias;
        ssh_string_free_char(h);
        if (!hostSet && !settings.hostName.isEmpty()) {
            const QByteArray v = settings.hostName.toUtf8();
            if (ssh_options_set(session, SSH_OPTIONS_HOST, v.constData()) != SSH_OK)
                return Error{ErrorCode::BadHostName,
                             u"The HostName \"%1\" of \"%2\" in %3 is not a valid host name. "
                             "Correct it in that file."_s.arg(settings.hostName, m_alias,
                                                             paths.configFile)};
        }
        char *u = nullptr;
        const bool userSet = ssh_options_get(session, SSH_OPTIONS_USER, &u) == SSH_OK && u;
        ssh_string_free_char(u);
        if (!userSet && !settings.user.isEmpty()) {
            const QByteArray v = settings.user.toUtf8();
            ssh_options_set(session, SSH_OPTIONS_USER, v.constData());
        }
        unsigned int p = 22;
        ssh_options_get_port(session, &p);
        if (p == 22 && settings.port > 0) {
            unsigned int v = unsigned(settings.port);
            ssh_options_set(session, SSH_OPTIONS_PORT, &v);
        }
    }
    QString proxyJump = settings.proxyJump;
    m_identityFiles = settings.identityFiles;
    if (appHost) {
        const QByteArray h = appHost->hostName.toUtf8();
        ssh_options_set(session, SSH_OPTIONS_HOST, h.constData());
        unsigned int port = unsigned(appHost->port);
        ssh_options_set(session, SSH_OPTIONS_PORT, &port);
        if (!appHost->user.isEmpty()) {
            const QByteArray u = appHost->user.toUtf8();
            ssh_options_set(session, SSH_OPTIONS_USER, u.constData());
        }
        for (const QString &id : appHost->identityFiles)
            m_identityFiles << SshConfigFile::expandPath(id, paths);
        if (!appHost->proxyJump.isEmpty())
            proxyJump = appHost->proxyJump;
    }
    // A hop's user and port as the ProxyJump spec gives them ("user@jump:2222").
    if (!m_hopUser.isEmpty()) {
        const QByteArray u = m_hopUser.toUtf8();
        ssh_options_set(session, SSH_OPTIONS_USER, u.constData());
    }
    if (m_hopPort > 0) {
        unsigned int v = unsigned(m_hopPort);
        ssh_options_set(session, SSH_OPTIONS_PORT, &v);
    }
    m_connectTimeout = settings.connectTimeout > 0 ? settings.connectTimeout
                                                   : m_options.connectTimeoutSeconds;
    timeout = m_connectTimeout; // also bounds each reply during login
    ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &timeout);

    char *value = nullptr;
    if (ssh_options_get(session, SSH_OPTIONS_HOST, &value) == SSH_OK) {
        m_hostName = QString::fromUtf8(value);
        ssh_string_free_char(value);
    }
    if (m_hostName.isEmpty())
        return Error{ErrorCode::BadHostName,
                     u"\"%1\" is not a host name that can be connected to (only letters, digits, "
                     "'-' and '.' are), and %2 gives it no HostName. Add a Host block for it "
                     "with \"HostName ADDRESS\", or use the address itself."_s.arg(
                         m_alias, paths.configFile)};
    value = nullptr;
    if (ssh_options_get(session, SSH_OPTIONS_USER, &value) == SSH_OK) {
        m_user = QString::fromUtf8(value);
        ssh_string_free_char(value);
    }
    unsigned int port = 22;
    ssh_options_get_port(session, &port);
    m_port = int(port);
    // As OpenSSH's -J: a later hop is reached through the ones before it, whatever its own
    // ProxyJump says; the first hop (and the target) follow their own.
    m_hops = m_ignoreOwnJumps ? QList<SshJumpHop>{} : SshConfigFile::parseProxyJump(proxyJump);
    m_keepaliveSeconds = settings.serverAliveInterval >= 0 ? settings.serverAliveInterval
                                                           : m_options.keepaliveSeconds;
    m_keepaliveCountMax = settings.serverAliveCountMax > 0 ? settings.serverAliveCountMax
                                                           : m_options.keepaliveCountMax;
    return {};
}

Result<std::shared_ptr<SshJumpTunnel>> SshSessionOpener::openJumps(SshPrompter *prompter)
{
    // Depth counts nested first hops (a jump host with a ProxyJump of its own); a loop in the
    // configuration ends here instead of recursing for ever.
    constexpr int kMaxDepth = 8;
    if (m_depth + m_hops.size() > kMaxDepth)
        return Error{ErrorCode::ConfigMalformed,
                     u"The ProxyJump chain to \"%1\" is longer than %2 hops (is there a loop in "
                     "%3?). Shorten it."_s.arg(m_alias)
                         .arg(kMaxDepth)
                         .arg(m_options.paths.configFile)};
    // Every hop is prepared first: the channel to each one needs its address and port.
    std::vector<std::unique_ptr<SshSessionOpener>> openers;
    for (qsizetype i = 0; i < m_hops.size(); ++i) {
        const SshJumpHop &hop = m_hops.at(i);
        auto opener = std::make_unique<SshSessionOpener>(hop.host, m_options, m_memory, m_wakeFd,
                                                         m_closing);
        opener->m_who = u"the jump host \"%1\""_s.arg(hop.host);
        opener->m_hopUser = hop.user;
        opener->m_hopPort = hop.port;
        opener->m_ignoreOwnJumps = i > 0;
        opener->m_depth = m_depth + int(i) + 1;
        if (Status s = opener->prepare(); !s)
            return s.error();
        openers.push_back(std::move(opener));
    }
    std::shared_ptr<SshJumpTunnel> tunnel;
    for (size_t i = 0; i < openers.size(); ++i) {
        SshSessionOpener &opener = *openers[i];
        if (tunnel)
            opener.m_fd = tunnel->takeSocket();
        Result<Opened> hop = opener.finish(prompter);
        if (!hop)
            return hop.error();
        const bool last = i + 1 == openers.size();
        const QString nextHost = last ? m_hostName : openers[i + 1]->m_hostName;
        const int nextPort = last ? m_port : openers[i + 1]->m_port;
        Result<std::unique_ptr<SshJumpTunnel>> next = SshJumpTunnel::open(
            hop->session, opener.m_alias, tunnel ? tunnel : hop->tunnel, nextHost, nextPort,
            opener.m_connectTimeout, m_wakeFd, m_closing);
        if (!next)
            return next.error();
        tunnel = std::move(next).value();
    }
    return tunnel;
}

Result<SshSessionOpener::Opened> SshSessionOpener::finish(SshPrompter *prompter)
{
    std::shared_ptr<SshJumpTunnel> tunnel;
    if (!m_hops.isEmpty()) {
        Result<std::shared_ptr<SshJumpTunnel>> jumps = openJumps(prompter);
        if (!jumps)
            return jumps.error();
        tunnel = *jumps;
        m_fd = tunnel->takeSocket();
    }
    // Freed (with the socket it was given) before the tunnel below it closes.
    auto guard = qScopeGuard([&] {
        if (m_session) {
            ssh_free(m_session);
            m_session = nullptr;
        }
    });
    if (m_fd >= 0) {
        // The tunnel closes the socket once the session is freed (see SshJumpTunnel).
        socket_t fd = m_fd;
        m_fd = -1;
        ssh_options_set(m_session, SSH_OPTIONS_FD, &fd);
    }
    if (Status s = connectSocket(m_session); !s)
        return s.error();
    if (Status s = checkHostKey(m_session, prompter); !s)
        return s.error();
    if (Status s = authenticate(m_session, prompter); !s)
        return s.error();

    Opened opened;
    opened.session = m_session;
    m_session = nullptr;
    opened.tunnel = std::move(tunnel);
    opened.description = u"%1@%2:%3"_s.arg(m_user, m_hostName).arg(m_port);
    opened.keepaliveSeconds = m_keepaliveSeconds;
    opened.keepaliveCountMax = m_keepaliveCountMax;
    return opened;
}

Status SshSessionOpener::connectSocket(ssh_session session)
{
    const QString where = u"%1 (%2:%3)"_s.arg(m_who, m_hostName).arg(m_port);
    QDeadlineTimer deadline{std::chrono::seconds(m_connectTimeout)};
    ssh_set_blocking(session, 0);
    auto restore = qScopeGuard([&] { ssh_set_blocking(session, 1); });
    for (;;) {
        const int rc = ssh_connect(session);
        if (rc == SSH_OK)
            return {};
        if (rc == SSH_ERROR) {
            const QString why = QString::fromUtf8(ssh_get_error(session));
            if (why.contains(u"refused"_s, Qt::CaseInsensitive))
                return Error{ErrorCode::Refused,
                             u"Connection to %1 was refused: nothing listens on port %2 there. "
                             "Check the port (Port in ~/.ssh/config) and that sshd runs."_s.arg(
                                 where).arg(m_port)};
            if (why.contains(u"timeout"_s, Qt::CaseInsensitive)
                || why.contains(u"timed out"_s, Qt::CaseInsensitive))
                break;
            // libssh says "Failed to resolve hostname NAME (...)" when DNS has no answer.
            const bool unresolved = why.contains(u"resolve"_s, Qt::CaseInsensitive);
            return Error{unresolved ? ErrorCode::UnknownHost : ErrorCode::ConnectFailed,
                         u"Could not connect to %1: %2"_s.arg(where, why)};
        }
        if (m_closing())
            return Error{ErrorCode::Closed, u"The connection to %1 was closed."_s.arg(m_alias)};
        if (deadline.hasExpired())
            break;
        pollfd fds[2];
        int n = 0;
        fds[n++] = {m_wakeFd, POLLIN, 0};
        const int fd = ssh_get_fd(session);
        if (fd >= 0)
            fds[n++] = {fd, POLLIN, 0};
        // Capped so that a finished TCP connect (which shows as writable) is seen soon.
        ::poll(fds, nfds_t(n), int(std::min<qint64>(50, deadline.remainingTime())));
    }
    return Error{ErrorCode::Timeout,
                 u"Connecting to %1 timed out after %2 s: the server did not answer. Check that "
                 "the host is up and reachable, or raise ConnectTimeout."_s.arg(where)
                     .arg(m_connectTimeout)};
}

Status SshSessionOpener::checkHostKey(ssh_session session, SshPrompter *prompter)
{
    const QString name = knownHostsName(m_hostName, m_port);
    QString keyType;
    const QString fp = serverKeyFingerprint(session, &keyType);
    const QString knownHosts = m_knownHosts;
    if (std::optional<Error> revoked = revokedKey(session, m_who, name, fp,
                                                  keyType, knownHosts))
        return *revoked;
    switch (ssh_session_is_known_server(session)) {
    case SSH_KNOWN_HOSTS_OK:
        return {};
    case SSH_KNOWN_HOSTS_CHANGED:
    case SSH_KNOWN_HOSTS_OTHER:
        return Error{ErrorCode::HostKeyChanged,
                     changedKeyMessage(m_who, name, fp, keyType, knownHosts)};
    case SSH_KNOWN_HOSTS_NOT_FOUND:
    case SSH_KNOWN_HOSTS_UNKNOWN: {
        const UnknownKey decision = unknownKeyDecision(m_strictChecking);
        if (decision == UnknownKey::Refuse)
            return Error{ErrorCode::HostKeyUnknown,
                         strictRefusal(m_who, name, knownHosts)};
        if (decision == UnknownKey::Accept)
            return appendKnownHost(session, name, knownHosts, m_hashKnownHosts);
        if (!prompter)
            return Error{ErrorCode::HostKeyUnknown,
                         u"The host key of %1 (%2, %3 key %4) is not in %5, and there is no one "
                         "to ask. Connect once interactively to check and accept it%6."_s.arg(
                             m_who, name, keyType, fp, knownHosts,
                                      certificateNote(name, knownHosts))};
        const bool accepted = prompter->acceptHostKey({name, keyType, fp});
        // Closed while the question was up: nothing is written and nothing more is sent.
        if (m_closing())
            return Error{ErrorCode::Closed, u"The connection to %1 was closed."_s.arg(m_alias)};
        if (!accepted)
            return Error{ErrorCode::HostKeyUnknown,
                         u"The host key of %1 (%2, %3 key %4) was not accepted, so the "
                         "connection was not made%5."_s.arg(m_who, name, keyType, fp,
                                                           certificateNote(name, knownHosts))};
        return appendKnownHost(session, name, knownHosts, m_hashKnownHosts);
    }
    case SSH_KNOWN_HOSTS_ERROR:
        break;
    }
    return Error{ErrorCode::HostKeyError,
                 u"Could not check the host key of %1 against %2: %3"_s.arg(
                     m_who, knownHosts, QString::fromUtf8(ssh_get_error(session)))};
}

} // namespace gpuwb
