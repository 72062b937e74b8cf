// OutputBuffer and OutputView: capping, rendering, selection and copy, search, tail-follow.

#include "ui/jobs/outputbuffer.h"
#include "ui/jobs/outputview.h"

#include <QApplication>
#include <QClipboard>
#include <QDir>
#include <QImage>
#include <QRegularExpression>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace gpuwb;

namespace {

OutputLine plain(const QString &text, OutputStream stream = OutputStream::Stdout)
{
    OutputLine line;
    line.text = text;
    line.stream = stream;
    return line;
}

OutputBatch numbered(int from, int count, OutputStream stream = OutputStream::Stdout)
{
    OutputBatch batch;
    for (int i = from; i < from + count; ++i)
        batch.lines.append(plain(u"line %1"_s.arg(i), stream));
    return batch;
}

TextSpan span(int start, int length, TermColor fg, TermColor bg = {}, bool bold = false)
{
    TextSpan s;
    s.start = start;
    s.length = length;
    s.style.foreground = fg;
    s.style.background = bg;
    s.style.bold = bold;
    return s;
}

} // namespace

class TestOutputView : public QObject
{
    Q_OBJECT
private slots:
    void bufferKeepsTheTail();
    void bufferBatchLargerThanCapacity();
    void bufferBatchWithDroppedLines();
    void bufferPendingLines();
    void bufferClear();
    void rendersStylesAndStreams();
    void selectionAndCopy();
    void mouseSelection();
    void hostileTextCopiesUnchanged();
    void searchFindsMatches();
    void followsTheTail();
    void keepsPlaceWhileLinesDrop();
    void coalescesRepaints();
    void longLine();
};

void TestOutputView::bufferKeepsTheTail()
{
    OutputBuffer buffer(10);
    buffer.setLogPath(u"/tmp/x/job.log"_s);
    for (int i = 0; i < 25; i += 5)
        buffer.append(numbered(i, 5));
    QCOMPARE(buffer.lineCount(), 10);
    QCOMPARE(buffer.droppedLines(), 15);
    QCOMPARE(buffer.totalLines(), 25);
    QCOMPARE(buffer.line(0).text, u"line 15"_s);
    QCOMPARE(buffer.line(9).text, u"line 24"_s);
    QCOMPARE(buffer.rowCount(), 11);
    QVERIFY(buffer.isNoticeRow(0));
    QCOMPARE(buffer.row(0).stream, OutputStream::System);
    QCOMPARE(buffer.row(0).text, u"\u2026 15 earlier lines are in the log: /tmp/x/job.log"_s);
    QCOMPARE(buffer.row(1).text, u"line 15"_s);
    QCOMPARE(buffer.rowBase(), 14);

    // 12,345 dropped lines read with digit groups.
    OutputBuffer big(5);
    big.setLogPath(u"/l"_s);
    big.append(numbered(0, 12'350));
    QCOMPARE(big.droppedLines(), 12'345);
    // Digit groups as the locale writes them ("12,345" in English and in the C locale).
    static const QRegularExpression grouped(
        u"^\u2026 12\\D?345 earlier lines are in the log: /l$"_s);
    QVERIFY2(grouped.match(big.row(0).text).hasMatch(), qPrintable(big.row(0).text));
    QCOMPARE(big.line(0).text, u"line 12345"_s);
}

void TestOutputView::bufferBatchLargerThanCapacity()
{
    OutputBuffer buffer(100);
    buffer.append(numbered(0, 30));
    buffer.append(numbered(30, 1000));
    QCOMPARE(buffer.lineCount(), 100);
    QCOMPARE(buffer.droppedLines(), 930);
    QCOMPARE(buffer.line(0).text, u"line 930"_s);
    QCOMPARE(buffer.line(99).text, u"line 1029"_s);
    // Appending one by one after wrapping keeps the order.
    for (int i = 1030; i < 1100; ++i)
        buffer.appendLine(plain(u"line %1"_s.arg(i)));
    for (int i = 0; i < 100; ++i)
        QCOMPARE(buffer.line(i).text, u"line %1"_s.arg(1000 + i));
}

void TestOutputView::bufferBatchWithDroppedLines()
{
    OutputBuffer buffer(100);
    buffer.setLogPath(u"/logs/j.log"_s);
    buffer.append(numbered(0, 10));
    OutputBatch batch = numbered(510, 5);
    batch.droppedLines = 500; // the job skipped lines 10..509 to keep up
    buffer.append(batch);
    // A system line marks the gap where it is; what was kept stays.
    QCOMPARE(buffer.lineCount(), 16);
    QCOMPARE(buffer.skippedLines(), 500);
    QCOMPARE(buffer.droppedLines(), 0);
    QCOMPARE(buffer.line(9).text, u"line 9"_s);
    QCOMPARE(buffer.line(10).stream, OutputStream::System);
    QCOMPARE(buffer.line(10).text,
             u"\u2026 500 lines left out here to keep up; they are in the log: /logs/j.log"_s);
    QCOMPARE(buffer.line(11).text, u"line 510"_s);

    // Into an empty buffer (a log's tail), left-out lines are the earlier lines.
    OutputBuffer tail(100);
    tail.setLogPath(u"/logs/k.log"_s);
    OutputBatch fromLog = numbered(7000, 3);
    fromLog.droppedLines = 7000;
    tail.append(fromLog);
    QCOMPARE(tail.rowCount(), 4);
    QCOMPARE(tail.droppedLines(), 7000);
    QVERIFY(tail.row(0).text.contains(u"7,000 earlier lines are in the log: /logs/k.log"_s)
            || tail.row(0).text.contains(u"earlier lines are in the log: /logs/k.log"_s));
    QCOMPARE(tail.row(1).text, u"line 7000"_s);
}

void TestOutputView::bufferPendingLines()
{
    OutputBuffer buffer;
    OutputBatch batch = numbered(0, 2);
    batch.pending.append(plain(u"progress 10%"_s));
    buffer.append(batch);
    QCOMPARE(buffer.rowCount(), 3);
    QCOMPARE(buffer.row(2).text, u"progress 10%"_s);

    OutputBatch next;
    next.pending.append(plain(u"progress 50%"_s));
    next.pending.append(plain(u"warn: pending"_s, OutputStream::Stderr));
    buffer.append(next);
    QCOMPARE(buffer.rowCount(), 4);
    QCOMPARE(buffer.row(2).text, u"progress 50%"_s);
    QCOMPARE(buffer.row(3).stream, OutputStream::Stderr);

    OutputBatch done;
    done.lines.append(plain(u"progress 100%"_s));
    buffer.append(done);
    QCOMPARE(buffer.rowCount(), 3);
    QCOMPARE(buffer.row(2).text, u"progress 100%"_s);
    QCOMPARE(buffer.text(), u"line 0\nline 1\nprogress 100%"_s);
}

void TestOutputView::bufferClear()
{
    OutputBuffer buffer(3);
    buffer.append(numbered(0, 10));
    const quint64 generation = buffer.generation();
    buffer.clear();
    QVERIFY(buffer.generation() != generation);
    QCOMPARE(buffer.rowCount(), 0);
    QCOMPARE(buffer.droppedLines(), 0);
    QCOMPARE(buffer.maxRowLength(), 0);
    buffer.append(numbered(0, 2));
    QCOMPARE(buffer.text(), u"line 0\nline 1"_s);
}

void TestOutputView::rendersStylesAndStreams()
{
    OutputView view;
    view.resize(640, 300);
    view.setLogPath(u"/home/user/.local/share/gpuwb/logs/0001.log"_s);
    OutputBatch batch;
    OutputLine colours = plain(u"red green yellow blue magenta cyan"_s);
    colours.spans = {span(0, 3, {TermColor::Indexed, 1}), span(4, 5, {TermColor::Indexed, 2}),
                     span(10, 6, {TermColor::Indexed, 3}), span(17, 4, {TermColor::Indexed, 4}),
                     span(22, 7, {TermColor::Indexed, 5}), span(30, 4, {TermColor::Indexed, 6})};
    batch.lines.append(colours);
    OutputLine rich = plain(u"256: orange  rgb: teal  inverse  bold"_s);
    TextSpan inverse;
    inverse.start = 24;
    inverse.length = 7;
    inverse.style.inverse = true;
    rich.spans = {span(5, 6, {TermColor::Indexed, 208}), span(18, 4, {TermColor::Rgb, 0x008080}),
                  inverse, span(33, 4, {}, {}, true)};
    batch.lines.append(rich);
    OutputLine onBlack = plain(u"black on default, white on blue"_s);
    onBlack.spans = {span(0, 5, {TermColor::Indexed, 0}),
                     span(18, 13, {TermColor::Indexed, 15}, {TermColor::Indexed, 4})};
    batch.lines.append(onBlack);
    batch.lines.append(plain(u"error: something went wrong on stderr"_s, OutputStream::Stderr));
    batch.lines.append(plain(u"[gpuwb] job started: ./run.sh"_s, OutputStream::System));
    batch.lines.append(plain(u"tab\tseparated\tcolumns"_s));
    batch.pending.append(plain(u"progress [#####     ] 50%"_s));
    view.append(batch);
    view.setSearchText(u"wrong"_s);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.flushUpdates();

    const QImage image = view.viewport()->grab().toImage().convertToFormat(QImage::Format_RGB32);
    const QString dir = qEnvironmentVariable("GPUWB_BUILD_DIR", QDir::tempPath());
    QVERIFY(image.save(dir + u"/tst_outputview.png"_s));

    // The stderr marker in the left margin has the stderr colour, not the background.
    const QColor background = view.palette().color(QPalette::Base);
    const QRect stderrRow = view.cellRect(3, 0);
    const QColor marker = image.pixelColor(2, stderrRow.center().y());
    QVERIFY2(marker != background, qPrintable(marker.name()));
    QVERIFY(marker.red() > marker.green() && marker.red() > marker.blue());
    // The search match is highlighted behind the text.
    const QRect match = view.cellRect(3, 22); // "wrong"
    QVERIFY(image.pixelColor(match.left() + 1, match.top() + 1) != background);
    // The red span paints reddish pixels.
    int reddish = 0;
    const QRect red = view.cellRect(0, 0).united(view.cellRect(0, 2));
    for (int y = red.top(); y <= red.bottom(); ++y)
        for (int x = red.left(); x <= red.right(); ++x) {
            const QColor c = image.pixelColor(x, y);
            reddish += c.red() > c.green() + 60 ? 1 : 0;
        }
    QVERIFY(reddish > 5);

    // A dark palette: the same text, still readable (black text is lifted off the background).
    QPalette dark;
    dark.setColor(QPalette::Base, QColor(0x1e, 0x1e, 0x1e));
    dark.setColor(QPalette::Text, QColor(0xdd, 0xdd, 0xdd));
    dark.setColor(QPalette::Window, QColor(0x2a, 0x2a, 0x2a));
    dark.setColor(QPalette::WindowText, QColor(0xdd, 0xdd, 0xdd));
    view.setPalette(dark);
    view.flushUpdates();
    const QImage darkImage =
        view.viewport()->grab().toImage().convertToFormat(QImage::Format_RGB32);
    QVERIFY(darkImage.save(dir + u"/tst_outputview-dark.png"_s));
    QCOMPARE(darkImage.pixelColor(view.cellRect(6, 0).topLeft() + QPoint(0, 0)),
             QColor(0x1e, 0x1e, 0x1e));
    int light = 0; // pixels of "black" (index 0) that are lighter than the background
    const QRect black = view.cellRect(2, 0).united(view.cellRect(2, 4));
    for (int y = black.top(); y <= black.bottom(); ++y)
        for (int x = black.left(); x <= black.right(); ++x)
            light += darkImage.pixelColor(x, y).lightness() > 0x60 ? 1 : 0;
    QVERIFY(light > 5);
}

void TestOutputView::selectionAndCopy()
{
    OutputView view;
    view.append(numbered(0, 5));
    view.flushUpdates();
    QVERIFY(!view.hasSelection());
    view.setSelection(1, 5, 3, 4);
    QCOMPARE(view.selectedText(), u"1\nline 2\nline"_s);
    view.copy();
    QCOMPARE(QGuiApplication::clipboard()->text(), u"1\nline 2\nline"_s);
    // Backwards selections read the same.
    view.setSelection(3, 4, 1, 5);
    QCOMPARE(view.selectedText(), u"1\nline 2\nline"_s);
    view.copyAll();
    QCOMPARE(QGuiApplication::clipboard()->text(), u"line 0\nline 1\nline 2\nline 3\nline 4"_s);
    view.selectAll();
    QCOMPARE(view.selectedText(), u"line 0\nline 1\nline 2\nline 3\nline 4"_s);

    // Ctrl+C copies the selection.
    view.setSelection(0, 0, 0, 4);
    QGuiApplication::clipboard()->clear();
    QTest::keySequence(&view, QKeySequence::Copy);
    QCOMPARE(QGuiApplication::clipboard()->text(), u"line"_s);
}

void TestOutputView::mouseSelection()
{
    OutputView view;
    view.resize(500, 300);
    view.append(numbered(0, 5));
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.flushUpdates();
    QWidget *vp = view.viewport();
    // Drag from "line 1" column 2 to "line 2" column 4: characters.
    const QPoint from = view.cellRect(1, 2).topLeft() + QPoint(0, 3);
    const QPoint to = view.cellRect(2, 4).topLeft() + QPoint(0, 3);
    QTest::mousePress(vp, Qt::LeftButton, {}, from);
    QTest::mouseMove(vp, to);
    QTest::mouseRelease(vp, Qt::LeftButton, {}, to);
    QCOMPARE(view.selectedText(), u"ne 1\nline"_s);

    // Double-click selects the whole line.
    const QPoint onLine3 = view.cellRect(3, 2).center();
    QTest::mouseDClick(vp, Qt::LeftButton, {}, onLine3);
    QCOMPARE(view.selectedText(), u"line 3"_s);
}

void TestOutputView::hostileTextCopiesUnchanged()
{
    OutputView view;
    const QString hostile = u"echo \"$(rm -rf /)\" 'quoted' `x` \\ %1 \u00e9\ufffd\U0001F600"_s;
    view.appendLine(plain(hostile));
    view.appendLine(plain(QString(), OutputStream::Stderr));
    view.appendLine(plain(u"<b>not html</b> &amp;"_s));
    view.flushUpdates();
    view.selectAll();
    QCOMPARE(view.selectedText(), hostile + u"\n\n<b>not html</b> &amp;"_s);
}

void TestOutputView::searchFindsMatches()
{
    OutputView view;
    view.resize(400, 200);
    OutputBatch batch = numbered(0, 1000);
    batch.lines[10].text = u"first NEEDLE here, and a needle there"_s;
    batch.lines[500].text = u"middle needle"_s;
    batch.lines[990].text = u"last Needle"_s;
    view.append(batch);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.flushUpdates();

    view.setSearchText(u"needle"_s);
    QCOMPARE(view.countMatches(), 4);
    view.verticalScrollBar()->setValue(0);
    QVERIFY(view.findNext());
    QCOMPARE(view.currentMatch(), std::make_pair(qsizetype(10), 6));
    QVERIFY(view.findNext());
    QCOMPARE(view.currentMatch(), std::make_pair(qsizetype(10), 25));
    QVERIFY(view.findNext());
    QCOMPARE(view.currentMatch(), std::make_pair(qsizetype(500), 7));
    // The match is scrolled into view, and the view stops following the tail.
    QVERIFY(view.firstVisibleRow() <= 500 && 500 < view.firstVisibleRow() + view.visibleRowCount());
    QVERIFY(!view.isFollowingTail());
    QVERIFY(view.findNext());
    QCOMPARE(view.currentMatch().first, 990);
    QVERIFY(view.findNext()); // wraps around
    QCOMPARE(view.currentMatch(), std::make_pair(qsizetype(10), 6));
    QVERIFY(view.findPrevious()); // and back
    QCOMPARE(view.currentMatch().first, 990);
    QVERIFY(view.findPrevious());
    QCOMPARE(view.currentMatch().first, 500);

    view.setSearchText(u"needle"_s, Qt::CaseSensitive);
    QCOMPARE(view.countMatches(), 2);
    view.setSearchText(u"absent"_s);
    QVERIFY(!view.findNext());
    QCOMPARE(view.currentMatch().first, -1);
    QCOMPARE(view.countMatches(), 0);
}

void TestOutputView::followsTheTail()
{
    OutputView view;
    view.resize(400, 200);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.append(numbered(0, 1000));
    QTRY_VERIFY(!view.hasScheduledUpdate()); // the timer applies it
    QVERIFY(view.isFollowingTail());
    QCOMPARE(view.firstVisibleRow() + view.visibleRowCount(), 1000);

    // Scrolling up stops following; new output leaves the reader where they were.
    QSignalSpy spy(&view, &OutputView::followTailChanged);
    view.verticalScrollBar()->setValue(100);
    QVERIFY(!view.isFollowingTail());
    QCOMPARE(spy.count(), 1);
    view.append(numbered(1000, 500));
    view.flushUpdates();
    QCOMPARE(view.firstVisibleRow(), 100);

    // Scrolling back to the bottom follows again.
    view.verticalScrollBar()->setValue(view.verticalScrollBar()->maximum());
    QVERIFY(view.isFollowingTail());
    view.append(numbered(1500, 10));
    view.flushUpdates();
    QCOMPARE(view.firstVisibleRow() + view.visibleRowCount(), 1510);

    // End key follows again after scrolling up.
    view.verticalScrollBar()->setValue(0);
    QVERIFY(!view.isFollowingTail());
    QTest::keyClick(&view, Qt::Key_End, Qt::ControlModifier);
    QVERIFY(view.isFollowingTail());

    view.clear();
    view.flushUpdates();
    QCOMPARE(view.buffer().rowCount(), 0);
    QVERIFY(view.isFollowingTail());
}

void TestOutputView::keepsPlaceWhileLinesDrop()
{
    OutputView view;
    view.buffer() = OutputBuffer(200);
    view.resize(400, 200);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.append(numbered(0, 200));
    view.flushUpdates();
    view.verticalScrollBar()->setValue(50);
    view.setSelection(50, 0, 50, 6);
    QCOMPARE(view.selectedText(), u"line 50"_s.left(6));
    view.append(numbered(200, 20)); // 20 old lines leave; a notice row appears
    view.flushUpdates();
    QCOMPARE(view.buffer().row(view.firstVisibleRow()).text, u"line 50"_s);
    QCOMPARE(view.selectedText(), u"line 5"_s);
}

void TestOutputView::coalescesRepaints()
{
    OutputView view;
    view.resize(400, 200);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QTRY_VERIFY(!view.hasScheduledUpdate());
    QCoreApplication::processEvents();
    const quint64 before = view.paintCount();
    for (int i = 0; i < 1000; ++i)
        view.append(numbered(i * 10, 10));
    QTRY_VERIFY(!view.hasScheduledUpdate());
    QCoreApplication::processEvents();
    QVERIFY2(view.paintCount() - before <= 3,
             qPrintable(QString::number(view.paintCount() - before)));
    QVERIFY(view.paintCount() > before);
    QCOMPARE(view.buffer().lineCount(), 10'000);
}

void TestOutputView::longLine()
{
    OutputView view;
    view.resize(400, 200);
    const QString longText = QString(60'000, u'x') + u"END"_s;
    view.appendLine(plain(longText));
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.flushUpdates();
    QVERIFY(view.horizontalScrollBar()->maximum() > 100'000);
    view.setSearchText(u"END"_s);
    QVERIFY(view.findNext());
    // The match is scrolled into view horizontally.
    const QRect cell = view.cellRect(0, 60'000);
    QVERIFY(cell.left() >= 0 && cell.left() < view.viewport()->width());
    QVERIFY(!view.viewport()->grab().isNull());
}

QTEST_MAIN(TestOutputView)
#include "tst_outputview.moc"
