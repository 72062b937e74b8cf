#pragma once

#include <QByteArray>

namespace gpuwb {

// Writes the headers of a POSIX tar stream (ustar, with a pax extended header for a name that
// does not fit the ustar fields or a size past 8 GiB), byte for byte: names are raw bytes, so
// any name a file system allows reaches `tar -x` unchanged and never a shell. Pure; any thread.
class TarWriter
{
public:
    static constexpr int BlockSize = 512;

    // The header block(s) for a regular file of `size` bytes; its data follows, padded by
    // padding(size).
    static QByteArray fileHeader(const QByteArray &name, qint64 size, qint64 mtime,
                                 quint32 mode);
    // The header block(s) for a folder (the name gets its trailing '/').
    static QByteArray directoryHeader(const QByteArray &name, qint64 mtime, quint32 mode);
    // Zero bytes that bring `size` bytes of data to a whole block.
    static QByteArray padding(qint64 size);
    // The end of the archive: two zero blocks.
    static QByteArray end();

private:
    static QByteArray header(const QByteArray &name, char type, qint64 size, qint64 mtime,
                             quint32 mode);
};

} // namespace gpuwb
