#pragma once

#include "core/jobs/outputevent.h"
#include "core/util/result.h"

#include <QList>
#include <QString>

namespace gpuwb {

// The end of a job's log, parsed for a view: at most maxBytes from the end of the file and at
// most maxLines lines, with the lines before them counted (not parsed) so the view can say how
// many earlier lines are in the log. Reads the disk: call it off the UI thread. The log has
// stdout and stderr interleaved by line and no stream marks, so every line reads as stdout.
struct LogTail
{
    QList<OutputLine> lines;
    qint64 earlierLines = 0; // lines in the log before `lines`
    qint64 fileSize = 0;
};

// completeUpTo >= 0 reads the log as if it ended there, without its unfinished last line: the
// earlier output of a job that is being followed again (its reader resumes at that offset and
// sends the unfinished line again, complete).
Result<LogTail> readLogTail(const QString &path, qint64 maxBytes = 16 * 1024 * 1024,
                            qsizetype maxLines = 100'000, qint64 completeUpTo = -1);

// The same as an OutputBatch for OutputView::append().
OutputBatch toBatch(const LogTail &tail);

} // namespace gpuwb
