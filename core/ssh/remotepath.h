#pragma once

#include <QByteArray>
#include <QString>

namespace gpuwb {

// SFTP paths are bytes. We show them as QString, decoding UTF-8 and mapping each byte that is
// not valid UTF-8 to the lone surrogate U+DC80+byte (as Python's surrogateescape does), so that
// every remote name, however hostile, round-trips exactly: toRemoteBytes(fromRemoteBytes(b)) == b.
QString fromRemoteBytes(const QByteArray &bytes);
QByteArray toRemoteBytes(const QString &path);

// A name from a folder listing sent by the server is usable only when it is one path
// component: not empty, not "." or "..", without '/' or NUL (principle 14; OpenSSH's sftp
// client refuses the same names, CVE-2019-6111).
bool isSafeRemoteName(const QByteArray &name);

} // namespace gpuwb
