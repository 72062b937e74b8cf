#pragma once

#include "ui/jobs/outputbuffer.h"
#include "ui/jobs/termpalette.h"

#include <QAbstractScrollArea>
#include <QFont>
#include <QTimer>

namespace gpuwb {

// A terminal-like view of one job's output. It owns an OutputBuffer and paints only the rows
// that are visible, so the cost of a batch is the cost of storing it, whatever the window
// shows; repaints are coalesced to at most one per frame interval however many batches
// arrive. It follows the tail unless the user scrolled up, selects by characters (drag) or
// lines (double-click, then drag), copies, searches and clears. Lives on the UI thread.
class OutputView : public QAbstractScrollArea
{
    Q_OBJECT
public:
    explicit OutputView(QWidget *parent = nullptr);

    OutputBuffer &buffer() { return m_buffer; }
    const OutputBuffer &buffer() const { return m_buffer; }

    void append(const OutputBatch &batch);
    void appendLine(const OutputLine &line);
    void setLogPath(const QString &path);
    void clear();

    bool isFollowingTail() const { return m_follow; }
    void setFollowTail(bool follow);
    int firstVisibleRow() const;
    int visibleRowCount() const;
    // Where the character at (row, column) is painted, in viewport coordinates.
    QRect cellRect(qsizetype row, int column) const;

    bool hasSelection() const;
    QString selectedText() const;
    // Selects from (row, column) to (row, column), rows as OutputBuffer::row() numbers.
    void setSelection(qsizetype fromRow, int fromColumn, qsizetype toRow, int toColumn);
    void selectAll();
    void copy() const;
    void copyAll() const;

    // Matches are highlighted as soon as the text is set; findNext/findPrevious move the
    // current match (wrapping around) and scroll to it. They return false when nothing matches.
    void setSearchText(const QString &text, Qt::CaseSensitivity cs = Qt::CaseInsensitive);
    QString searchText() const { return m_search; }
    bool findNext();
    bool findPrevious();
    qsizetype countMatches() const;
    // The current match: row (OutputBuffer::row() numbering) and column, or row -1.
    std::pair<qsizetype, int> currentMatch() const;

    // Takes in all queued output and applies a scheduled repaint now (tests, benchmarks);
    // normally timers do it.
    void flushUpdates();
    bool hasScheduledUpdate() const { return m_updateTimer.isActive() || !m_queue.isEmpty(); }
    quint64 paintCount() const { return m_paintCount; }
    static constexpr int UpdateIntervalMs = 25;
    // The most time one turn of the event loop spends storing queued output.
    static constexpr int DrainBudgetMs = 6;

signals:
    void followTailChanged(bool following);

protected:
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void changeEvent(QEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void mouseDoubleClickEvent(QMouseEvent *event) override;
    void contextMenuEvent(QContextMenuEvent *event) override;
    void scrollContentsBy(int dx, int dy) override;

private:
    struct Pos // a place in the text: a stable row number (rowBase() + row) and a column
    {
        qint64 row = -1;
        int column = 0;
        auto operator<=>(const Pos &) const = default;
    };

    void scheduleUpdate();
    void drain(qint64 budgetNs);
    void syncScrollBars();
    void updateMetrics();
    void setFollow(bool follow);
    Pos posAt(const QPoint &point) const;
    qsizetype rowOf(qint64 stableRow) const; // -1 when dropped
    std::pair<Pos, Pos> orderedSelection() const;
    void paintRow(QPainter &p, qsizetype row, int y, int firstColumn, int lastColumn);
    void scrollToMatch();
    bool find(bool forward);

    OutputBuffer m_buffer;
    TermPalette m_palette;
    QFont m_font;
    QFont m_boldFont;
    QFont m_italicFont;
    int m_lineHeight = 16;
    int m_ascent = 12;
    double m_charWidth = 8.0;
    static constexpr int Margin = 8; // left gutter: the stderr marker lives here

    // Batches wait here and are stored a slice at a time, so that a flood of output never
    // holds the event loop for long; a backlog beyond the buffer's capacity is skipped whole.
    QList<OutputBatch> m_queue;
    qsizetype m_frontDone = 0;  // lines of m_queue.front() already stored
    qint64 m_queuedLines = 0;   // lines in m_queue not yet stored
    QTimer m_drainTimer;
    QTimer m_updateTimer;
    bool m_follow = true;
    bool m_internalScroll = false;
    qint64 m_lastRowBase = 0;
    quint64 m_paintCount = 0;

    Pos m_anchor;
    Pos m_cursor;
    bool m_selecting = false;
    bool m_lineMode = false;

    QString m_search;
    Qt::CaseSensitivity m_searchCase = Qt::CaseInsensitive;
    Pos m_match; // start of the current match
};

} // namespace gpuwb
