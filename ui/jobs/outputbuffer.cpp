#include "ui/jobs/outputbuffer.h"

#include "core/util/check.h"

#include <QLocale>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

QString groupedNumber(qint64 n)
{
    // The C locale prints no digit groups; people read "12,345" more easily than "12345".
    QLocale locale = QLocale::system();
    if (locale.language() == QLocale::C)
        locale = QLocale(QLocale::English, QLocale::UnitedStates);
    return locale.toString(n);
}

} // namespace

OutputBuffer::OutputBuffer(qsizetype capacity) : m_capacity(std::max<qsizetype>(1, capacity))
{
    m_notice.stream = OutputStream::System;
}

void OutputBuffer::append(const OutputBatch &batch)
{
    addLeftOut(batch.droppedLines);
    const qsizetype n = batch.lines.size();
    const qsizetype skip = std::max<qsizetype>(0, n - m_capacity);
    if (skip > 0)
        discardAsEarlier(skip);
    appendLines(batch.lines, skip, n);
    setPending(batch.pending);
}

void OutputBuffer::appendLines(const QList<OutputLine> &lines, qsizetype from, qsizetype to)
{
    for (qsizetype i = from; i < to; ++i)
        push(lines.at(i));
    updateNotice();
    ++m_generation;
}

void OutputBuffer::addLeftOut(qint64 lines)
{
    if (lines <= 0)
        return;
    m_skipped += lines;
    if (m_size == 0 && m_dropped == 0) {
        // Nothing before them: they are simply the earlier lines (a log's tail, say).
        m_dropped += lines;
    } else {
        // The job left lines out between what we hold and what follows to keep up: say so
        // where they are missing, so the reader never takes the two sides as adjacent.
        OutputLine marker;
        marker.stream = OutputStream::System;
        marker.text = u"\u2026 %1 lines left out here to keep up; they are in the log%2"_s.arg(
            groupedNumber(lines), m_logPath.isEmpty() ? QString() : u": "_s + m_logPath);
        push(std::move(marker));
    }
    updateNotice();
    ++m_generation;
}

void OutputBuffer::setPending(const QList<OutputLine> &pending)
{
    for (auto &p : m_pending)
        p.reset();
    for (const OutputLine &p : pending) {
        const int s = static_cast<int>(p.stream);
        GPUWB_CHECK(s >= 0 && s < int(m_pending.size()), continue);
        m_pending[s] = p;
        m_maxLength = std::max(m_maxLength, p.text.size());
    }
    ++m_generation;
}

void OutputBuffer::discardAsEarlier(qint64 lines)
{
    m_dropped += m_size + std::max<qint64>(0, lines);
    m_ring.clear();
    m_head = 0;
    m_size = 0;
    updateNotice();
    ++m_generation;
}

void OutputBuffer::appendLine(OutputLine line)
{
    push(std::move(line));
    updateNotice();
    ++m_generation;
}

void OutputBuffer::push(OutputLine line)
{
    m_maxLength = std::max(m_maxLength, line.text.size());
    if (qsizetype(m_ring.size()) < m_capacity) {
        // Still growing: the ring is a plain vector in order.
        m_ring.push_back(std::move(line));
        ++m_size;
    } else {
        m_ring[m_head] = std::move(line);
        if (++m_head == m_capacity)
            m_head = 0;
        ++m_dropped;
    }
}

void OutputBuffer::clear()
{
    m_ring.clear();
    m_ring.shrink_to_fit();
    m_head = 0;
    m_size = 0;
    m_dropped = 0;
    m_skipped = 0;
    for (auto &p : m_pending)
        p.reset();
    m_maxLength = 0;
    updateNotice();
    ++m_generation;
}

void OutputBuffer::setLogPath(const QString &path)
{
    m_logPath = path;
    updateNotice();
    ++m_generation;
}

const OutputLine &OutputBuffer::line(qsizetype i) const
{
    static const OutputLine empty;
    GPUWB_CHECK(i >= 0 && i < m_size, return empty);
    qsizetype at = m_head + i;
    if (at >= m_capacity)
        at -= m_capacity;
    return m_ring[at];
}

qsizetype OutputBuffer::rowCount() const
{
    qsizetype rows = m_size + (hasNotice() ? 1 : 0);
    for (const auto &p : m_pending)
        rows += p.has_value() ? 1 : 0;
    return rows;
}

const OutputLine &OutputBuffer::row(qsizetype row) const
{
    static const OutputLine empty;
    if (hasNotice()) {
        if (row == 0) {
            if (m_noticeDirty)
                makeNotice();
            return m_notice;
        }
        --row;
    }
    if (row < m_size)
        return line(row);
    row -= m_size;
    for (const auto &p : m_pending) {
        if (!p)
            continue;
        if (row == 0)
            return *p;
        --row;
    }
    GPUWB_CHECK(false, return empty);
    return empty;
}

QString OutputBuffer::text() const
{
    QString out;
    const qsizetype rows = rowCount();
    for (qsizetype r = 0; r < rows; ++r) {
        if (r > 0)
            out += u'\n';
        out += row(r).text;
    }
    return out;
}

void OutputBuffer::makeNotice() const
{
    m_noticeDirty = false;
    const QString count = groupedNumber(m_dropped);
    const QString lines = m_dropped == 1 ? u"earlier line is"_s : u"earlier lines are"_s;
    m_notice.text = m_logPath.isEmpty()
        ? u"\u2026 %1 %2 not shown (only the last %3 are kept here)"_s.arg(
              count, lines, groupedNumber(m_capacity))
        : u"\u2026 %1 %2 in the log: %3"_s.arg(count, lines, m_logPath);
}

} // namespace gpuwb
