#pragma once

#include <QByteArray>
#include <QString>

namespace gpuwb {

// File names are bytes, local and remote. We show them as QString, decoding UTF-8 and mapping
// each byte that is not valid UTF-8 to the lone surrogate U+DC80+byte (as Python's
// surrogateescape does), so that every name, however odd, round-trips exactly:
// toPathBytes(fromPathBytes(b)) == b. For valid UTF-8 this is what QFile::encodeName and
// decodeName do in Qt 6 on Unix.
QString fromPathBytes(const QByteArray &bytes);
QByteArray toPathBytes(const QString &path);

} // namespace gpuwb
