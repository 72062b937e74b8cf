#include "core/ssh/knownhostsmarkers.h"

#include "core/util/wildcard.h"

#include <QFile>
#include <QMessageAuthenticationCode>

namespace gpuwb {

namespace {

// "|1|BASE64SALT|BASE64HMAC": HMAC-SHA1 of the name keyed with the salt.
bool hashedMatch(const QByteArray &entry, const QByteArray &name)
{
    const QList<QByteArray> parts = entry.split('|');
    if (parts.size() != 4 || !parts.at(0).isEmpty() || parts.at(1) != "1")
        return false;
    const QByteArray salt = QByteArray::fromBase64(parts.at(2));
    const QByteArray want = QByteArray::fromBase64(parts.at(3));
    return !salt.isEmpty()
        && QMessageAuthenticationCode::hash(name, salt, QCryptographicHash::Sha1) == want;
}

} // namespace

bool KnownHostsMarkers::matchesHost(const QByteArray &patterns, const QString &hostName)
{
    const QByteArray name = hostName.toLower().toUtf8();
    bool matched = false;
    for (const QByteArray &raw : patterns.split(',')) {
        if (raw.isEmpty())
            continue;
        if (raw.startsWith('|')) {
            matched |= hashedMatch(raw, name);
            continue;
        }
        const bool negated = raw.startsWith('!');
        const QByteArray pattern = (negated ? raw.mid(1) : raw).toLower();
        if (wildcardMatch(name, pattern)) {
            if (negated)
                return false; // a negated match wins over every other
            matched = true;
        }
    }
    return matched;
}

KnownHostsMarkers KnownHostsMarkers::parse(const QByteArray &contents)
{
    KnownHostsMarkers markers;
    for (QByteArray line : contents.split('\n')) {
        line = line.trimmed();
        if (!line.startsWith('@'))
            continue;
        const QList<QByteArray> fields = line.simplified().split(' ');
        if (fields.size() < 4)
            continue;
        Line l;
        if (fields.at(0) == "@revoked")
            l.revoked = true;
        else if (fields.at(0) != "@cert-authority")
            continue;
        l.patterns = fields.at(1);
        l.key = fields.at(3);
        markers.m_lines.append(l);
    }
    return markers;
}

KnownHostsMarkers KnownHostsMarkers::read(const QString &path)
{
    QFile file(path);
    // known_hosts files hold a few hundred lines; one past 16 MiB is not read.
    if (!file.open(QIODevice::ReadOnly) || file.size() > (16 << 20))
        return {};
    return parse(file.readAll());
}

bool KnownHostsMarkers::isRevoked(const QString &hostName, const QByteArray &keyBase64) const
{
    for (const Line &l : m_lines) {
        if (l.revoked && l.key == keyBase64 && matchesHost(l.patterns, hostName))
            return true;
    }
    return false;
}

bool KnownHostsMarkers::hasCertificateAuthority(const QString &hostName) const
{
    for (const Line &l : m_lines) {
        if (!l.revoked && matchesHost(l.patterns, hostName))
            return true;
    }
    return false;
}

} // namespace gpuwb
