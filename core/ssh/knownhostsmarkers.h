#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

namespace gpuwb {

// The marked lines of a known_hosts file that libssh 0.11 skips (every line starting with '@'):
// `@revoked PATTERNS KEYTYPE BASE64` and `@cert-authority PATTERNS KEYTYPE BASE64`, matched
// against a host as OpenSSH does (comma-separated patterns with * and ?, negation with !,
// hashed |1|SALT|HMAC names, "[host]:port" for other ports). Pure; any thread.
class KnownHostsMarkers
{
public:
    static KnownHostsMarkers parse(const QByteArray &contents);
    static KnownHostsMarkers read(const QString &path); // a missing file has no markers

    // Whether `keyBase64` (the server key's blob, as known_hosts writes it) is revoked for
    // `hostName` (knownHostsName(): "host" or "[host]:port").
    bool isRevoked(const QString &hostName, const QByteArray &keyBase64) const;
    // Whether a certificate authority is named for the host (its certificates are not
    // checked by the workbench: libssh 0.11 verifies no host certificates).
    bool hasCertificateAuthority(const QString &hostName) const;

    // One host pattern list against a name (exposed for tests).
    static bool matchesHost(const QByteArray &patterns, const QString &hostName);

private:
    struct Line
    {
        bool revoked = false; // else @cert-authority
        QByteArray patterns;
        QByteArray key;
    };
    QList<Line> m_lines;
};

} // namespace gpuwb
