#include "ui/jobs/logtail.h"

#include "core/jobs/terminalparser.h"

#include <QFile>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

// Where the complete lines of the first `upTo` bytes end (0 when there is no newline).
qint64 completeLinesEnd(QFile &file, qint64 upTo)
{
    qint64 end = upTo;
    while (end > 0) {
        const qint64 from = std::max<qint64>(0, end - (1 << 16));
        if (!file.seek(from))
            return 0;
        const QByteArray chunk = file.read(end - from);
        const qsizetype newline = chunk.lastIndexOf('\n');
        if (newline >= 0)
            return from + newline + 1;
        end = from;
    }
    return 0;
}

} // namespace

Result<LogTail> readLogTail(const QString &path, qint64 maxBytes, qsizetype maxLines,
                            qint64 completeUpTo)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return Result<LogTail>::failure(
            ErrorCode::LogUnreadable,
            u"Could not read the log %1: %2. It may have been deleted or moved."_s.arg(
                path, file.errorString()));
    }
    LogTail tail;
    tail.fileSize = file.size();
    if (completeUpTo >= 0) {
        tail.fileSize = completeLinesEnd(file, std::min(completeUpTo, tail.fileSize));
        file.seek(0);
    }
    qint64 start = std::max<qint64>(0, tail.fileSize - maxBytes);

    // Count the lines before the part we parse, a chunk at a time, so memory stays small
    // however large the log is.
    if (start > 0) {
        QByteArray chunk;
        qint64 at = 0;
        while (at < start) {
            chunk = file.read(std::min<qint64>(1 << 20, start - at));
            if (chunk.isEmpty())
                break;
            tail.earlierLines += chunk.count('\n');
            at += chunk.size();
        }
        // Begin at a line start: the partial line before it counts as an earlier line.
        const QByteArray rest = file.read(tail.fileSize - start);
        const qsizetype newline = rest.indexOf('\n');
        QByteArrayView body = rest;
        if (newline >= 0) {
            body = body.sliced(newline + 1);
            ++tail.earlierLines;
        }
        TerminalParser parser(OutputStream::Stdout);
        parser.feed(body, &tail.lines);
        parser.flush(&tail.lines);
    } else {
        const QByteArray all = file.read(tail.fileSize);
        TerminalParser parser(OutputStream::Stdout);
        parser.feed(all, &tail.lines);
        parser.flush(&tail.lines);
    }
    if (tail.lines.size() > maxLines) {
        const qsizetype extra = tail.lines.size() - maxLines;
        tail.earlierLines += extra;
        tail.lines.remove(0, extra);
    }
    return tail;
}

OutputBatch toBatch(const LogTail &tail)
{
    OutputBatch batch;
    batch.lines = tail.lines;
    batch.droppedLines = tail.earlierLines;
    batch.bytes = tail.fileSize;
    return batch;
}

} // namespace gpuwb
