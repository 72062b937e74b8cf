// libFuzzer entry for the known_hosts markers libssh skips (core/ssh/knownhostsmarkers.cpp):
// KnownHostsMarkers::read of a file (written to a temporary folder of this process), then
// isRevoked and hasCertificateAuthority for host names and keys taken from the file itself
// (each entry of each marker line's pattern list, with and without "!", and its key), which
// also drives matchesHost through plain, wildcard, negated and hashed (|1|...) patterns.
//
// Input: the known_hosts file, given to parse() and also written and read back with read().
// Checks: read() and parse() of the same bytes answer alike; a @revoked line whose pattern
// list is plain names (printable ASCII, no wildcard, negation or hash) revokes its key for
// each of those names, and a @cert-authority line of plain names names an authority for each.
// Crashes, sanitizer reports, timeouts and broken checks are the findings.

#include "core/ssh/knownhostsmarkers.h"

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QTemporaryDir>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

using namespace gpuwb;
using namespace Qt::StringLiterals;

namespace {

constexpr int kMaxQueries = 64;

bool isPlainName(const QByteArray &entry)
{
    if (entry.isEmpty())
        return false;
    for (const char c : entry) {
        if (c <= 0x20 || c >= 0x7F || c == '*' || c == '?' || c == '!' || c == '|' || c == ',')
            return false;
    }
    return true;
}

struct Marker
{
    bool revoked = false;
    QList<QByteArray> entries;
    QByteArray key;
};

// The marker lines as the file spells them (the same splitting as KnownHostsMarkers::parse).
QList<Marker> markersOf(const QByteArray &contents)
{
    QList<Marker> markers;
    for (QByteArray line : contents.split('\n')) {
        line = line.trimmed();
        if (!line.startsWith('@'))
            continue;
        const QList<QByteArray> fields = line.simplified().split(' ');
        if (fields.size() < 4 || (fields.at(0) != "@revoked" && fields.at(0) != "@cert-authority"))
            continue;
        markers.append({fields.at(0) == "@revoked", fields.at(1).split(','), fields.at(3)});
    }
    return markers;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    static QTemporaryDir home(QDir::tempPath() + u"/gpuwb-fuzz-knownhosts-XXXXXX"_s);
    if (!home.isValid())
        std::abort();
    const QByteArray contents(reinterpret_cast<const char *>(data), qsizetype(size));
    const KnownHostsMarkers fromBytes = KnownHostsMarkers::parse(contents);
    const QString path = home.filePath(u"known_hosts"_s);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(contents) != contents.size())
        std::abort();
    f.close();
    const KnownHostsMarkers fromFile = KnownHostsMarkers::read(path);

    int queries = 0;
    const QList<Marker> markers = markersOf(contents);
    for (const Marker &m : markers) {
        bool plain = true;
        for (const QByteArray &entry : m.entries)
            plain = plain && isPlainName(entry);
        for (const QByteArray &entry : m.entries) {
            if (++queries > kMaxQueries)
                return 0;
            const QString name = QString::fromUtf8(entry.startsWith('!') ? entry.mid(1) : entry);
            const bool revoked = fromFile.isRevoked(name, m.key);
            const bool authority = fromFile.hasCertificateAuthority(name);
            if (revoked != fromBytes.isRevoked(name, m.key)
                || authority != fromBytes.hasCertificateAuthority(name))
                std::abort(); // the file and its bytes answer alike
            if (plain && m.revoked && !revoked)
                std::abort(); // a key revoked for this very name is not
            if (plain && !m.revoked && !authority)
                std::abort();
        }
    }
    return 0;
}
