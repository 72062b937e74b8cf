#include "ui/jobs/outputview.h"

#include <QApplication>
#include <QClipboard>
#include <QContextMenuEvent>
#include <QElapsedTimer>
#include <QFontDatabase>
#include <QKeyEvent>
#include <QMenu>
#include <QPainter>
#include <QScrollBar>

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

namespace gpuwb {

OutputView::OutputView(QWidget *parent) : QAbstractScrollArea(parent)
{
    setFocusPolicy(Qt::StrongFocus);
    viewport()->setCursor(Qt::IBeamCursor);
    viewport()->setAutoFillBackground(false);
    setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    updateMetrics();
    m_palette.setPalette(palette());

    m_drainTimer.setSingleShot(true);
    m_drainTimer.setInterval(0);
    connect(&m_drainTimer, &QTimer::timeout, this,
            [this] { drain(qint64(DrainBudgetMs) * 1'000'000); });
    m_updateTimer.setSingleShot(true);
    m_updateTimer.setInterval(UpdateIntervalMs);
    connect(&m_updateTimer, &QTimer::timeout, this, &OutputView::syncScrollBars);
    connect(verticalScrollBar(), &QScrollBar::valueChanged, this, [this](int value) {
        if (!m_internalScroll)
            setFollow(value >= verticalScrollBar()->maximum());
    });
}

void OutputView::append(const OutputBatch &batch)
{
    m_queue.append(batch); // shares the lines; no copy
    m_queuedLines += batch.lines.size();
    if (!m_drainTimer.isActive())
        m_drainTimer.start();
}

void OutputView::appendLine(const OutputLine &line)
{
    drain(-1); // keep the order
    m_buffer.appendLine(line);
    scheduleUpdate();
}

void OutputView::drain(qint64 budgetNs)
{
    QElapsedTimer clock;
    clock.start();
    const qsizetype capacity = m_buffer.capacity();
    while (!m_queue.isEmpty()) {
        // Whole batches that later ones would push out of the buffer anyway are skipped.
        while (m_queue.size() > 1
               && m_queuedLines - (m_queue.front().lines.size() - m_frontDone) >= capacity) {
            const OutputBatch &front = m_queue.front();
            m_buffer.discardAsEarlier(front.lines.size() - m_frontDone
                                      + (m_frontDone == 0 ? front.droppedLines : 0));
            m_queuedLines -= front.lines.size() - m_frontDone;
            m_frontDone = 0;
            m_queue.removeFirst();
        }
        const OutputBatch &batch = m_queue.front();
        if (m_frontDone == 0)
            m_buffer.addLeftOut(batch.droppedLines);
        const qsizetype n = batch.lines.size();
        while (m_frontDone < n) {
            const qsizetype to = std::min(n, m_frontDone + 1024);
            m_buffer.appendLines(batch.lines, m_frontDone, to);
            m_queuedLines -= to - m_frontDone;
            m_frontDone = to;
            if (budgetNs >= 0 && clock.nsecsElapsed() > budgetNs && m_frontDone < n) {
                m_drainTimer.start(); // the rest in the next turn
                scheduleUpdate();
                return;
            }
        }
        m_buffer.setPending(batch.pending);
        m_frontDone = 0;
        m_queue.removeFirst();
        if (budgetNs >= 0 && clock.nsecsElapsed() > budgetNs && !m_queue.isEmpty()) {
            m_drainTimer.start();
            break;
        }
    }
    scheduleUpdate();
}

void OutputView::setLogPath(const QString &path)
{
    drain(-1);
    m_buffer.setLogPath(path);
    scheduleUpdate();
}

void OutputView::clear()
{
    m_queue.clear();
    m_queuedLines = 0;
    m_frontDone = 0;
    m_drainTimer.stop();
    m_buffer.clear();
    m_anchor = m_cursor = m_match = Pos();
    m_lastRowBase = m_buffer.rowBase();
    setFollow(true);
    scheduleUpdate();
}

void OutputView::setFollowTail(bool follow)
{
    setFollow(follow);
    if (follow)
        scheduleUpdate();
}

void OutputView::setFollow(bool follow)
{
    if (m_follow == follow)
        return;
    m_follow = follow;
    emit followTailChanged(follow);
}

int OutputView::firstVisibleRow() const
{
    return verticalScrollBar()->value();
}

int OutputView::visibleRowCount() const
{
    return std::max(1, viewport()->height() / m_lineHeight);
}

QRect OutputView::cellRect(qsizetype row, int column) const
{
    const double x = Margin - horizontalScrollBar()->value() + column * m_charWidth;
    const int y = int(row - firstVisibleRow()) * m_lineHeight;
    return QRect(int(std::lround(x)), y, int(std::lround(m_charWidth)), m_lineHeight);
}

void OutputView::scheduleUpdate()
{
    // One repaint per interval, however many batches arrive: the cost of a batch is then
    // only the cost of storing it.
    if (!m_updateTimer.isActive())
        m_updateTimer.start();
}

void OutputView::flushUpdates()
{
    drain(-1);
    m_drainTimer.stop();
    m_updateTimer.stop();
    syncScrollBars();
}

void OutputView::syncScrollBars()
{
    const qint64 rowBase = m_buffer.rowBase();
    const qint64 shift = rowBase - m_lastRowBase;
    m_lastRowBase = rowBase;

    const int page = visibleRowCount();
    const int rows = int(std::min<qsizetype>(m_buffer.rowCount(), INT_MAX));
    QScrollBar *vs = verticalScrollBar();
    m_internalScroll = true;
    const int oldValue = vs->value();
    vs->setRange(0, std::max(0, rows - page));
    vs->setPageStep(page);
    vs->setSingleStep(1);
    if (m_follow)
        vs->setValue(vs->maximum());
    else if (shift != 0)
        // Old lines left the top: keep the same text in front of a reader who scrolled up.
        vs->setValue(int(std::max<qint64>(0, oldValue - shift)));

    QScrollBar *hs = horizontalScrollBar();
    const double width = double(m_buffer.maxRowLength()) * m_charWidth + 2 * Margin;
    hs->setRange(0, std::max(0, int(std::min(width, 1e9)) - viewport()->width()));
    hs->setPageStep(viewport()->width());
    hs->setSingleStep(int(m_charWidth * 4));
    m_internalScroll = false;
    viewport()->update();
}

void OutputView::updateMetrics()
{
    m_font = font();
    m_font.setStyleHint(QFont::TypeWriter);
    m_boldFont = m_font;
    m_boldFont.setBold(true);
    m_italicFont = m_font;
    m_italicFont.setItalic(true);
    const QFontMetricsF fm(m_font);
    m_lineHeight = std::max(1, int(std::ceil(fm.height())));
    m_ascent = int(std::ceil(fm.ascent()));
    m_charWidth = std::max(1.0, fm.horizontalAdvance(u'M'));
}

void OutputView::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::FontChange) {
        updateMetrics();
        syncScrollBars();
    } else if (event->type() == QEvent::PaletteChange || event->type() == QEvent::StyleChange) {
        m_palette.setPalette(palette());
        viewport()->update();
    }
    QAbstractScrollArea::changeEvent(event);
}

void OutputView::resizeEvent(QResizeEvent *event)
{
    QAbstractScrollArea::resizeEvent(event);
    syncScrollBars();
}

void OutputView::scrollContentsBy(int, int)
{
    viewport()->update();
}

qsizetype OutputView::rowOf(qint64 stableRow) const
{
    const qint64 row = stableRow - m_buffer.rowBase();
    return row < 0 ? -1 : qsizetype(row);
}

OutputView::Pos OutputView::posAt(const QPoint &point) const
{
    const qsizetype rows = m_buffer.rowCount();
    if (rows == 0)
        return {};
    const qsizetype row = std::clamp<qsizetype>(
        firstVisibleRow() + (point.y() < 0 ? -1 : point.y() / m_lineHeight), 0, rows - 1);
    const double x = point.x() - Margin + horizontalScrollBar()->value();
    const int length = int(m_buffer.row(row).text.size());
    const int column = std::clamp(int(std::lround(x / m_charWidth)), 0, length);
    return {m_buffer.rowBase() + row, column};
}

std::pair<OutputView::Pos, OutputView::Pos> OutputView::orderedSelection() const
{
    return m_anchor <= m_cursor ? std::pair{m_anchor, m_cursor} : std::pair{m_cursor, m_anchor};
}

bool OutputView::hasSelection() const
{
    return m_anchor.row >= 0 && m_anchor != m_cursor;
}

QString OutputView::selectedText() const
{
    if (!hasSelection())
        return {};
    auto [from, to] = orderedSelection();
    const qsizetype rows = m_buffer.rowCount();
    qsizetype first = rowOf(from.row);
    int firstColumn = from.column;
    if (first < 0) { // the start was dropped: take what is left
        first = 0;
        firstColumn = 0;
    }
    const qsizetype last = std::min(rowOf(to.row), rows - 1);
    if (rowOf(to.row) < 0 || first > last)
        return {};
    QString out;
    for (qsizetype r = first; r <= last; ++r) {
        const QString &text = m_buffer.row(r).text;
        const int start = r == first ? std::min(firstColumn, int(text.size())) : 0;
        const int end = r == last && r == rowOf(to.row) ? std::min(to.column, int(text.size()))
                                                        : int(text.size());
        if (r > first)
            out += u'\n';
        out += QStringView(text).mid(start, std::max(0, end - start));
    }
    return out;
}

void OutputView::setSelection(qsizetype fromRow, int fromColumn, qsizetype toRow, int toColumn)
{
    m_anchor = {m_buffer.rowBase() + fromRow, fromColumn};
    m_cursor = {m_buffer.rowBase() + toRow, toColumn};
    viewport()->update();
}

void OutputView::selectAll()
{
    const qsizetype rows = m_buffer.rowCount();
    if (rows == 0)
        return;
    setSelection(0, 0, rows - 1, int(m_buffer.row(rows - 1).text.size()));
}

void OutputView::copy() const
{
    if (hasSelection())
        QGuiApplication::clipboard()->setText(selectedText());
}

void OutputView::copyAll() const
{
    QGuiApplication::clipboard()->setText(m_buffer.text());
}

void OutputView::setSearchText(const QString &text, Qt::CaseSensitivity cs)
{
    m_search = text;
    m_searchCase = cs;
    m_match = Pos();
    viewport()->update();
}

bool OutputView::findNext()
{
    return find(true);
}

bool OutputView::findPrevious()
{
    return find(false);
}

bool OutputView::find(bool forward)
{
    const qsizetype rows = m_buffer.rowCount();
    if (m_search.isEmpty() || rows == 0)
        return false;
    qsizetype row = rowOf(m_match.row);
    int column = m_match.column;
    if (m_match.row < 0 || row < 0 || row >= rows) {
        // No current match: start from what the reader sees.
        row = forward ? std::min<qsizetype>(firstVisibleRow(), rows - 1)
                      : std::min<qsizetype>(firstVisibleRow() + visibleRowCount() - 1, rows - 1);
        column = forward ? -1 : int(m_buffer.row(row).text.size()) + 1;
    }
    // Every row once, starting at the current one, plus the current row again for matches
    // on the other side of the current one (wrap-around).
    for (qsizetype i = 0; i <= rows; ++i) {
        const qsizetype r = forward ? (row + i) % rows : ((row - i) % rows + rows) % rows;
        const QString &text = m_buffer.row(r).text;
        qsizetype at = -1;
        if (forward) {
            const qsizetype from = i == 0 ? column + 1 : 0;
            if (from <= text.size())
                at = text.indexOf(m_search, from, m_searchCase);
        } else {
            const qsizetype from = i == 0 ? column - 1 : text.size();
            if (from >= 0)
                at = text.lastIndexOf(m_search, from, m_searchCase);
        }
        if (at >= 0) {
            m_match = {m_buffer.rowBase() + r, int(at)};
            scrollToMatch();
            return true;
        }
    }
    return false;
}

qsizetype OutputView::countMatches() const
{
    if (m_search.isEmpty())
        return 0;
    qsizetype count = 0;
    const qsizetype rows = m_buffer.rowCount();
    for (qsizetype r = 0; r < rows; ++r)
        count += m_buffer.row(r).text.count(m_search, m_searchCase);
    return count;
}

std::pair<qsizetype, int> OutputView::currentMatch() const
{
    const qsizetype row = rowOf(m_match.row);
    if (m_match.row < 0 || row < 0 || row >= m_buffer.rowCount())
        return {-1, 0};
    return {row, m_match.column};
}

void OutputView::scrollToMatch()
{
    syncScrollBars();
    const qsizetype row = rowOf(m_match.row);
    QScrollBar *vs = verticalScrollBar();
    const int first = firstVisibleRow();
    if (row < first || row >= first + visibleRowCount()) {
        setFollow(false);
        m_internalScroll = true;
        vs->setValue(int(std::max<qsizetype>(0, row - visibleRowCount() / 2)));
        m_internalScroll = false;
        setFollow(vs->value() >= vs->maximum());
    }
    QScrollBar *hs = horizontalScrollBar();
    const int x = int(m_match.column * m_charWidth);
    const int w = int(m_search.size() * m_charWidth);
    const int width = viewport()->width() - 2 * Margin;
    if (x < hs->value() || x + w > hs->value() + width)
        hs->setValue(std::max(0, x - width / 3));
    viewport()->update();
}

void OutputView::paintEvent(QPaintEvent *)
{
    ++m_paintCount;
    QPainter p(viewport());
    p.fillRect(viewport()->rect(), m_palette.background());
    const qsizetype rows = m_buffer.rowCount();
    const int first = firstVisibleRow();
    const int count = viewport()->height() / m_lineHeight + 1;
    const int scrollX = horizontalScrollBar()->value();
    const int firstColumn = std::max(0, int((scrollX - Margin) / m_charWidth));
    const int lastColumn = firstColumn + int(viewport()->width() / m_charWidth) + 2;
    for (int i = 0; i < count && first + i < rows; ++i)
        paintRow(p, first + i, i * m_lineHeight, firstColumn, lastColumn);
}

void OutputView::paintRow(QPainter &p, qsizetype row, int y, int firstColumn, int lastColumn)
{
    const OutputLine &line = m_buffer.row(row);
    const QString &text = line.text;
    const double x0 = Margin - horizontalScrollBar()->value();
    const int end = std::min<int>(int(text.size()), lastColumn);
    auto xOf = [&](int column) { return x0 + column * m_charWidth; };

    if (line.stream == OutputStream::Stderr) // a marker that survives any colour scheme
        p.fillRect(QRectF(1, y, 3, m_lineHeight),
                   m_palette.resolve({}, OutputStream::Stderr).foreground);

    // Search matches behind the text; the current one stronger.
    if (!m_search.isEmpty()) {
        const bool dark = m_palette.isDark();
        const QColor hit = dark ? QColor(0x80, 0x6a, 0x00) : QColor(0xff, 0xe0, 0x6b);
        const QColor current = dark ? QColor(0xc0, 0x50, 0x00) : QColor(0xff, 0x9e, 0x3d);
        const qsizetype from = std::max<qsizetype>(0, firstColumn - m_search.size());
        for (qsizetype at = text.indexOf(m_search, from, m_searchCase); at >= 0 && at < end;
             at = text.indexOf(m_search, at + 1, m_searchCase)) {
            const bool isCurrent = rowOf(m_match.row) == row && m_match.column == at;
            p.fillRect(QRectF(xOf(int(at)), y, m_search.size() * m_charWidth, m_lineHeight),
                       isCurrent ? current : hit);
        }
    }

    // Runs of text: the spans, and default-style gaps between them, clipped to the columns
    // that can be seen, so a very long line costs no more than a short one.
    auto drawRun = [&](int start, int length, const TextStyle &style) {
        const int a = std::max(start, firstColumn);
        const int b = std::min(start + length, end);
        if (a >= b)
            return;
        const TermPalette::Colors c = m_palette.resolve(style, line.stream);
        if (c.background.isValid())
            p.fillRect(QRectF(xOf(a), y, (b - a) * m_charWidth, m_lineHeight), c.background);
        QString piece = text.mid(a, b - a);
        piece.replace(u'\t', u' ');
        const bool italic = style.italic || line.stream == OutputStream::System;
        QFont font = style.bold ? m_boldFont : (italic ? m_italicFont : m_font);
        if (style.bold && italic)
            font.setItalic(true);
        if (style.underline)
            font.setUnderline(true);
        p.setFont(font);
        p.setPen(c.foreground);
        p.drawText(QPointF(xOf(a), y + m_ascent), piece);
    };
    int at = 0;
    for (const TextSpan &span : line.spans) {
        if (span.start >= end)
            break;
        if (span.start > at)
            drawRun(at, span.start - at, TextStyle{});
        drawRun(span.start, span.length, span.style);
        at = std::max(at, span.start + span.length);
    }
    if (at < end)
        drawRun(at, end - at, TextStyle{});

    // The selection over the text, translucent, so that styled text stays readable.
    if (hasSelection()) {
        auto [from, to] = orderedSelection();
        const qint64 stable = m_buffer.rowBase() + row;
        if (stable >= from.row && stable <= to.row) {
            const int a = stable == from.row ? from.column : 0;
            const double b = stable == to.row ? xOf(to.column)
                                              : xOf(int(text.size())) + m_charWidth / 2;
            QColor sel = palette().color(QPalette::Highlight);
            sel.setAlpha(110);
            p.fillRect(QRectF(xOf(a), y, std::max(0.0, b - xOf(a)), m_lineHeight), sel);
        }
    }
}

void OutputView::keyPressEvent(QKeyEvent *event)
{
    if (event == QKeySequence::Copy) {
        copy();
        return;
    }
    if (event == QKeySequence::SelectAll) {
        selectAll();
        return;
    }
    if (event == QKeySequence::MoveToEndOfDocument || event->key() == Qt::Key_End) {
        setFollowTail(true);
        flushUpdates();
        return;
    }
    if (event == QKeySequence::MoveToStartOfDocument || event->key() == Qt::Key_Home) {
        verticalScrollBar()->setValue(0);
        return;
    }
    if (event == QKeySequence::FindNext) {
        findNext();
        return;
    }
    if (event == QKeySequence::FindPrevious) {
        findPrevious();
        return;
    }
    QAbstractScrollArea::keyPressEvent(event);
}

void OutputView::mousePressEvent(QMouseEvent *event)
{
    if (event->button() != Qt::LeftButton) {
        QAbstractScrollArea::mousePressEvent(event);
        return;
    }
    const Pos pos = posAt(event->position().toPoint());
    if (!(event->modifiers() & Qt::ShiftModifier) || m_anchor.row < 0)
        m_anchor = pos;
    m_cursor = pos;
    m_selecting = true;
    m_lineMode = false;
    viewport()->update();
}

void OutputView::mouseMoveEvent(QMouseEvent *event)
{
    if (!m_selecting)
        return;
    const QPoint point = event->position().toPoint();
    // Dragging past an edge scrolls, so a selection can be longer than the window.
    if (point.y() < 0)
        verticalScrollBar()->setValue(firstVisibleRow() - 1);
    else if (point.y() > viewport()->height())
        verticalScrollBar()->setValue(firstVisibleRow() + 1);
    Pos pos = posAt(point);
    if (m_lineMode && pos.row >= 0) {
        // Whole lines: from the start of the first to the end of the last.
        const qsizetype anchorRow = rowOf(m_anchor.row);
        auto lengthOf = [&](qint64 stable) {
            const qsizetype r = rowOf(stable);
            return r >= 0 && r < m_buffer.rowCount() ? int(m_buffer.row(r).text.size()) : 0;
        };
        if (pos.row >= m_anchor.row) {
            m_anchor.column = 0;
            pos.column = lengthOf(pos.row);
        } else {
            m_anchor.column = anchorRow >= 0 ? lengthOf(m_anchor.row) : 0;
            pos.column = 0;
        }
    }
    m_cursor = pos;
    viewport()->update();
}

void OutputView::mouseReleaseEvent(QMouseEvent *event)
{
    if (event->button() == Qt::LeftButton) {
        m_selecting = false;
        if (hasSelection() && QGuiApplication::clipboard()->supportsSelection())
            QGuiApplication::clipboard()->setText(selectedText(), QClipboard::Selection);
        event->accept();
        return;
    }
    QAbstractScrollArea::mouseReleaseEvent(event);
}

void OutputView::mouseDoubleClickEvent(QMouseEvent *event)
{
    if (event->button() != Qt::LeftButton)
        return;
    const Pos pos = posAt(event->position().toPoint());
    if (pos.row < 0)
        return;
    const qsizetype row = rowOf(pos.row);
    m_anchor = {pos.row, 0};
    m_cursor = {pos.row, int(m_buffer.row(row).text.size())};
    m_selecting = true;
    m_lineMode = true;
    viewport()->update();
}

void OutputView::contextMenuEvent(QContextMenuEvent *event)
{
    QMenu menu(this);
    QAction *copyAction = menu.addAction(tr("&Copy"), this, &OutputView::copy);
    copyAction->setEnabled(hasSelection());
    menu.addAction(tr("Copy &All"), this, &OutputView::copyAll);
    menu.addAction(tr("Select All"), this, &OutputView::selectAll);
    menu.addSeparator();
    menu.addAction(tr("C&lear"), this, &OutputView::clear);
    menu.exec(event->globalPos());
}

} // namespace gpuwb
