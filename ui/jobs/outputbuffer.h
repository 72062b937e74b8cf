#pragma once

#include "core/jobs/outputevent.h"

#include <QString>

#include <array>
#include <optional>
#include <vector>

namespace gpuwb {

// The view's model of one job's output: a capped ring of finished lines plus the unfinished
// (pending) line of each stream. The complete output stays in the job's log on disk; lines
// that fall out of the ring are only counted, and a notice row at the top says where they are.
// A plain value owned by one OutputView; used on the UI thread only.
//
// Rows are what a view shows, top to bottom: the notice (when lines were dropped), the kept
// finished lines, then the pending lines (stdout's, then stderr's, then system's). Every row
// has a stable number, rowBase() + row, that only grows, so that a view can keep a selection
// or a scroll position on the same text while old lines are dropped.
class OutputBuffer
{
public:
    static constexpr qsizetype DefaultCapacity = 100'000;

    explicit OutputBuffer(qsizetype capacity = DefaultCapacity);

    // O(lines in batch). Where a batch says the job left lines out, a system line says so
    // (or, into an empty buffer, they count as earlier lines).
    void append(const OutputBatch &batch);
    void appendLine(OutputLine line);
    // The parts of append(), for a caller that spreads one large batch over several turns of
    // the event loop: lines [from, to) of a batch, the batch's left-out count, its pending lines.
    void appendLines(const QList<OutputLine> &lines, qsizetype from, qsizetype to);
    void addLeftOut(qint64 lines);
    void setPending(const QList<OutputLine> &pending);
    // `lines` lines came before what will follow and are not kept: with them, everything kept
    // so far becomes "earlier lines in the log". Same result as appending them, in O(kept).
    void discardAsEarlier(qint64 lines);
    void clear();

    void setLogPath(const QString &path);
    QString logPath() const { return m_logPath; }

    qsizetype capacity() const { return m_capacity; }
    qsizetype lineCount() const { return m_size; }         // finished lines kept
    const OutputLine &line(qsizetype i) const;              // 0 = oldest kept
    qint64 droppedLines() const { return m_dropped; }       // lines that left the top
    qint64 skippedLines() const { return m_skipped; }       // lines the job left out
    qint64 totalLines() const { return m_dropped + m_size; } // rows that were ever finished
    const std::optional<OutputLine> &pending(OutputStream s) const
    {
        return m_pending[static_cast<int>(s)];
    }

    qsizetype rowCount() const;
    const OutputLine &row(qsizetype row) const;
    bool isNoticeRow(qsizetype row) const { return row == 0 && hasNotice(); }
    bool hasNotice() const { return m_dropped > 0; }
    qint64 rowBase() const { return m_dropped - (hasNotice() ? 1 : 0); }
    // The longest row seen, in characters (for a horizontal scroll range); never shrinks
    // until clear(), so that it stays O(1).
    qsizetype maxRowLength() const { return m_maxLength; }
    // Bumped by every change, so that a view can tell whether it has to repaint.
    quint64 generation() const { return m_generation; }

    QString text() const; // every row, '\n'-separated

private:
    void push(OutputLine line);
    void updateNotice() { m_noticeDirty = true; }
    void makeNotice() const;

    qsizetype m_capacity;
    std::vector<OutputLine> m_ring;
    qsizetype m_head = 0; // index in m_ring of the oldest kept line
    qsizetype m_size = 0;
    qint64 m_dropped = 0;
    qint64 m_skipped = 0;
    std::array<std::optional<OutputLine>, 3> m_pending;
    mutable OutputLine m_notice; // made when asked for: formatting per line would be slow
    mutable bool m_noticeDirty = false;
    QString m_logPath;
    qsizetype m_maxLength = 0;
    quint64 m_generation = 0;
};

} // namespace gpuwb
