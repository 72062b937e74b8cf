#pragma once

#include "core/util/pathbytes.h"

#include <QByteArray>
#include <QString>

namespace gpuwb {

// SFTP paths are bytes, mapped to and from QString as local ones are (core/util/pathbytes), so
// that every remote name, however hostile, round-trips exactly.
inline QString fromRemoteBytes(const QByteArray &bytes)
{
    return fromPathBytes(bytes);
}
inline QByteArray toRemoteBytes(const QString &path)
{
    return toPathBytes(path);
}

// A name from a folder listing sent by the server is usable only when it is one path
// component: not empty, not "." or "..", without '/' or NUL (principle 14; OpenSSH's sftp
// client refuses the same names, CVE-2019-6111).
bool isSafeRemoteName(const QByteArray &name);

} // namespace gpuwb
