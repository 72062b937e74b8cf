#include "core/sync/tarwriter.h"

#include <QString>

#include <cstring>

namespace gpuwb {

namespace {

constexpr qint64 MaxUstarSize = 077777777777LL; // 11 octal digits

void putOctal(char *field, int width, quint64 value)
{
    // width - 1 digits, zero padded, then NUL.
    std::memset(field, '0', size_t(width - 1));
    field[width - 1] = '\0';
    for (int i = width - 2; i >= 0 && value; --i) {
        field[i] = char('0' + (value & 7));
        value >>= 3;
    }
}

// One pax record "LEN key=value\n", LEN counting the whole record including its own digits.
QByteArray paxRecord(const QByteArray &key, const QByteArray &value)
{
    const qsizetype body = 1 + key.size() + 1 + value.size() + 1; // ' ' key '=' value '\n'
    qsizetype length = body + 1;
    while (QByteArray::number(length).size() + body != length)
        length = QByteArray::number(length).size() + body;
    return QByteArray::number(length) + ' ' + key + '=' + value + '\n';
}

// Splits a name over ustar's prefix (155) and name (100) fields at a '/', when it fits.
bool splitUstar(const QByteArray &name, QByteArray *prefix, QByteArray *rest)
{
    if (name.size() <= 100) {
        prefix->clear();
        *rest = name;
        return true;
    }
    for (qsizetype i = name.size() - 1; i > 0; --i) {
        if (name[i] != '/')
            continue;
        if (i > 155)
            continue;
        if (name.size() - i - 1 > 100)
            return false;
        if (name.size() - i - 1 == 0)
            continue;
        *prefix = name.left(i);
        *rest = name.mid(i + 1);
        return true;
    }
    return false;
}

QByteArray block(const QByteArray &prefix, const QByteArray &name, char type, qint64 size,
                 qint64 mtime, quint32 mode)
{
    QByteArray h(TarWriter::BlockSize, '\0');
    char *p = h.data();
    std::memcpy(p, name.constData(), size_t(qMin<qsizetype>(name.size(), 100)));
    putOctal(p + 100, 8, mode & 07777);
    putOctal(p + 108, 8, 0);
    putOctal(p + 116, 8, 0);
    putOctal(p + 124, 12, quint64(size <= MaxUstarSize ? size : 0));
    putOctal(p + 136, 12, quint64(qBound<qint64>(0, mtime, MaxUstarSize)));
    std::memset(p + 148, ' ', 8);
    p[156] = type;
    std::memcpy(p + 257, "ustar", 6);
    std::memcpy(p + 263, "00", 2);
    std::memcpy(p + 345, prefix.constData(), size_t(qMin<qsizetype>(prefix.size(), 155)));
    quint32 sum = 0;
    for (int i = 0; i < TarWriter::BlockSize; ++i)
        sum += uchar(p[i]);
    putOctal(p + 148, 7, sum); // six digits, NUL, and the space already there
    return h;
}

} // namespace

QByteArray TarWriter::header(const QByteArray &name, char type, qint64 size, qint64 mtime,
                             quint32 mode)
{
    QByteArray prefix;
    QByteArray rest;
    QByteArray pax;
    if (!splitUstar(name, &prefix, &rest)) {
        // Names are bytes; a name that is not UTF-8 says so, so that tar does not convert it.
        if (QString::fromUtf8(name).toUtf8() != name)
            pax += paxRecord("hdrcharset", "BINARY");
        pax += paxRecord("path", name);
        prefix.clear();
        rest = name.right(qMin<qsizetype>(name.size(), 99));
    }
    if (size > MaxUstarSize)
        pax += paxRecord("size", QByteArray::number(size));
    QByteArray out;
    if (!pax.isEmpty()) {
        out += block({}, QByteArray("././@PaxHeader"), 'x', pax.size(), mtime, 0644);
        out += pax;
        out += padding(pax.size());
    }
    out += block(prefix, rest, type, size, mtime, mode);
    return out;
}

QByteArray TarWriter::fileHeader(const QByteArray &name, qint64 size, qint64 mtime, quint32 mode)
{
    return header(name, '0', size, mtime, mode);
}

QByteArray TarWriter::directoryHeader(const QByteArray &name, qint64 mtime, quint32 mode)
{
    return header(name + '/', '5', 0, mtime, mode);
}

QByteArray TarWriter::padding(qint64 size)
{
    const qint64 rest = size % BlockSize;
    return rest ? QByteArray(int(BlockSize - rest), '\0') : QByteArray();
}

QByteArray TarWriter::end()
{
    return QByteArray(2 * BlockSize, '\0');
}

} // namespace gpuwb
