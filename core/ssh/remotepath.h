#pragma once

#include <QByteArray>
#include <QString>

namespace gpuwb {

// SFTP paths are bytes. We show them as QString, decoding UTF-8 and mapping each byte that is
// not valid UTF-8 to the lone surrogate U+DC80+byte (as Python's surrogateescape does), so that
// every remote name, however hostile, round-trips exactly: toRemoteBytes(fromRemoteBytes(b)) == b.
QString fromRemoteBytes(const QByteArray &bytes);
QByteArray toRemoteBytes(const QString &path);

} // namespace gpuwb
