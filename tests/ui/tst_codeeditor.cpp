// CodeEditor, FindBar and SyntaxRepository: highlighting definitions, palette-driven themes,
// the gutter, go to line, and find / replace on hostile text.

#include "ui/editor/codeeditor.h"
#include "ui/editor/findbar.h"
#include "ui/editor/syntaxrepository.h"

#include <KSyntaxHighlighting/Definition>
#include <KSyntaxHighlighting/Repository>
#include <KSyntaxHighlighting/Theme>

#include <QApplication>
#include <QFontInfo>
#include <QLineEdit>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;
using namespace gpuwb;

namespace {

QPalette lightPalette()
{
    QPalette p;
    p.setColor(QPalette::Window, QColor(0xef, 0xf0, 0xf1));
    p.setColor(QPalette::Base, QColor(0xfc, 0xfc, 0xfc));
    p.setColor(QPalette::Text, QColor(0x23, 0x26, 0x29));
    p.setColor(QPalette::WindowText, QColor(0x23, 0x26, 0x29));
    return p;
}

QPalette darkPalette()
{
    QPalette p;
    p.setColor(QPalette::Window, QColor(0x20, 0x23, 0x26));
    p.setColor(QPalette::Base, QColor(0x14, 0x16, 0x18));
    p.setColor(QPalette::Text, QColor(0xfc, 0xfc, 0xfc));
    p.setColor(QPalette::WindowText, QColor(0xfc, 0xfc, 0xfc));
    return p;
}

bool themeIsDark(const KSyntaxHighlighting::Theme &theme)
{
    return QColor(theme.editorColor(KSyntaxHighlighting::Theme::BackgroundColor)).lightness()
           < 128;
}

QString numberedLines(int count)
{
    QStringList lines;
    for (int i = 1; i <= count; ++i)
        lines << u"line %1"_s.arg(i);
    return lines.join(QLatin1Char('\n'));
}

} // namespace

class tst_CodeEditor : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanup();
    void definitionForEachLanguage_data();
    void definitionForEachLanguage();
    void editorPicksDefinitionFromFileName();
    void oneRepositoryForTheApp();
    void themeFollowsWidgetPalette();
    void themeFollowsApplicationPalette();
    void monospaceFontAndTabWidth();
    void gutterReservesRoomForLineNumbers();
    void goToLineClamps();
    void findNextWrapsAround();
    void findPreviousWrapsAround();
    void findHonoursCaseAndWholeWords();
    void findSeedsFromSelectionAndEscCloses();
    void replaceCurrentOnlyReplacesAMatch();
    void replaceAllHostileTextInOneUndoStep();
    void replaceAllRegexWithCaptures();
    void replaceAllEmptyMatchesTerminates();
    void invalidRegexIsReported();
    void readOnlyEditorIsNotReplaced();

private:
    QPalette m_originalPalette;
};

void tst_CodeEditor::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    m_originalPalette = QApplication::palette();
}

void tst_CodeEditor::cleanup()
{
    QApplication::setPalette(m_originalPalette);
}

void tst_CodeEditor::definitionForEachLanguage_data()
{
    QTest::addColumn<QString>("fileName");
    QTest::addColumn<QString>("definition");
    // KF6 has no CUDA definition yet; a CUDA one would be preferred when there is one.
    QTest::newRow("cu") << u"saxpy.cu"_s << u"CUDA|ISO C++"_s;
    QTest::newRow("cuh") << u"kernels.cuh"_s << u"CUDA|ISO C++"_s;
    QTest::newRow("cpp") << u"main.cpp"_s << u"C++"_s;
    QTest::newRow("hpp") << u"vec.hpp"_s << u"C++"_s;
    QTest::newRow("py") << u"train.py"_s << u"Python"_s;
    QTest::newRow("CMakeLists") << u"CMakeLists.txt"_s << u"CMake"_s;
    QTest::newRow("cmake") << u"Helpers.cmake"_s << u"CMake"_s;
    QTest::newRow("sh") << u"run.sh"_s << u"Bash"_s;
    QTest::newRow("yaml") << u"ci.yaml"_s << u"YAML"_s;
    QTest::newRow("yml") << u"ci.yml"_s << u"YAML"_s;
    QTest::newRow("json") << u"compile_commands.json"_s << u"JSON"_s;
    QTest::newRow("md") << u"README.md"_s << u"Markdown"_s;
    QTest::newRow("toml") << u"gpuwb.toml"_s << u"TOML"_s;
    QTest::newRow("path with spaces") << u"/tmp/we ird $(x)/a \"b\".py"_s << u"Python"_s;
}

void tst_CodeEditor::definitionForEachLanguage()
{
    QFETCH(QString, fileName);
    QFETCH(QString, definition);
    const auto def = SyntaxRepository::definitionForFileName(fileName);
    QVERIFY2(def.isValid(), qPrintable(fileName));
    QVERIFY2(definition.split(u'|').contains(def.name()), qPrintable(def.name()));
}

void tst_CodeEditor::editorPicksDefinitionFromFileName()
{
    CodeEditor editor;
    QVERIFY(editor.definitionName().isEmpty());
    editor.setFileName(u"saxpy.cu"_s);
    const QString cuda = SyntaxRepository::definitionForFileName(u"saxpy.cu"_s).name();
    QVERIFY(!cuda.isEmpty());
    QCOMPARE(editor.definitionName(), cuda);
    editor.setHighlightingEnabled(false);
    QVERIFY(editor.definitionName().isEmpty());
    editor.setHighlightingEnabled(true);
    QCOMPARE(editor.definitionName(), cuda);
    editor.setFileName(u"no-such-language.zzz-unknown"_s);
    QVERIFY(editor.definitionName().isEmpty());
}

void tst_CodeEditor::oneRepositoryForTheApp()
{
    QCOMPARE(&SyntaxRepository::repository(), &SyntaxRepository::repository());
    QVERIFY(!SyntaxRepository::repository().definitions().isEmpty());
}

void tst_CodeEditor::themeFollowsWidgetPalette()
{
    CodeEditor editor;
    editor.setFileName(u"a.py"_s);
    editor.setPlainText(u"def f(x):\n    return x  # comment\n"_s);
    editor.setPalette(lightPalette());
    QVERIFY(editor.theme().isValid());
    QVERIFY2(!themeIsDark(editor.theme()), qPrintable(editor.theme().name()));
    editor.setPalette(darkPalette());
    QVERIFY2(themeIsDark(editor.theme()), qPrintable(editor.theme().name()));
    editor.setPalette(lightPalette());
    QVERIFY2(!themeIsDark(editor.theme()), qPrintable(editor.theme().name()));
}

void tst_CodeEditor::themeFollowsApplicationPalette()
{
    QApplication::setPalette(lightPalette());
    QWidget window;
    auto *editor = new CodeEditor(&window);
    window.show(); // a window that is not shown does not take the application palette
    QVERIFY(!themeIsDark(editor->theme()));
    // The application palette reaches widgets through the event loop.
    QApplication::setPalette(darkPalette());
    QTRY_VERIFY(themeIsDark(editor->theme()));
    QApplication::setPalette(lightPalette());
    QTRY_VERIFY(!themeIsDark(editor->theme()));
}

void tst_CodeEditor::monospaceFontAndTabWidth()
{
    CodeEditor editor;
    QVERIFY(QFontInfo(editor.font()).fixedPitch());
    const qreal space = editor.fontMetrics().horizontalAdvance(QLatin1Char(' '));
    QCOMPARE(editor.tabStopDistance(), space * CodeEditor::kTabWidthSpaces);
}

void tst_CodeEditor::gutterReservesRoomForLineNumbers()
{
    CodeEditor editor;
    editor.resize(400, 300);
    editor.setPlainText(numberedLines(5));
    const int small = editor.lineNumberAreaWidth();
    QVERIFY(small > 0);
    QVERIFY(editor.viewport()->geometry().left() >= small);
    editor.setPlainText(numberedLines(123456));
    QVERIFY(editor.lineNumberAreaWidth() > small);
    QVERIFY(editor.viewport()->geometry().left() >= editor.lineNumberAreaWidth());
}

void tst_CodeEditor::goToLineClamps()
{
    CodeEditor editor;
    editor.setPlainText(numberedLines(100));
    editor.goToLine(42);
    QCOMPARE(editor.currentLine(), 42);
    QCOMPARE(editor.textCursor().positionInBlock(), 0);
    editor.goToLine(0);
    QCOMPARE(editor.currentLine(), 1);
    editor.goToLine(-5);
    QCOMPARE(editor.currentLine(), 1);
    editor.goToLine(100000);
    QCOMPARE(editor.currentLine(), 100);
    QCOMPARE(editor.lineCount(), 100);
}

void tst_CodeEditor::findNextWrapsAround()
{
    CodeEditor editor;
    editor.setPlainText(u"alpha beta\ngamma alpha\ndelta"_s);
    FindBar bar;
    bar.setEditor(&editor);
    bar.setFindText(u"alpha"_s);
    QVERIFY(bar.findNext());
    QCOMPARE(editor.textCursor().selectionStart(), 0);
    QVERIFY(bar.findNext());
    QCOMPARE(editor.textCursor().selectionStart(), 17);
    QVERIFY(bar.statusText().isEmpty());
    QVERIFY(bar.findNext()); // wraps to the first
    QCOMPARE(editor.textCursor().selectionStart(), 0);
    QVERIFY(bar.statusText().contains(u"wrapped"_s));
    bar.setFindText(u"omega"_s);
    QVERIFY(!bar.findNext());
    QVERIFY(bar.statusText().contains(u"No matches"_s));
    QCOMPARE(editor.textCursor().selectionStart(), 0); // selection kept
}

void tst_CodeEditor::findPreviousWrapsAround()
{
    CodeEditor editor;
    editor.setPlainText(u"x = 1\ny = x\nz = x"_s);
    FindBar bar;
    bar.setEditor(&editor);
    bar.setFindText(u"x"_s);
    QVERIFY(bar.findPrevious()); // from the start: wraps to the last
    QCOMPARE(editor.textCursor().selectionStart(), 16);
    QVERIFY(bar.findPrevious());
    QCOMPARE(editor.textCursor().selectionStart(), 10);
    QVERIFY(bar.findPrevious());
    QCOMPARE(editor.textCursor().selectionStart(), 0);
}

void tst_CodeEditor::findHonoursCaseAndWholeWords()
{
    CodeEditor editor;
    editor.setPlainText(u"Sum summary sum"_s);
    FindBar bar;
    bar.setEditor(&editor);
    bar.setFindText(u"sum"_s);
    bar.setCaseSensitive(true);
    QVERIFY(bar.findNext());
    QCOMPARE(editor.textCursor().selectionStart(), 4);
    bar.setWholeWords(true);
    QVERIFY(bar.findNext());
    QCOMPARE(editor.textCursor().selectionStart(), 12);
    bar.setCaseSensitive(false);
    QVERIFY(bar.findNext()); // wraps; "Sum" is a whole word, "summary" is not
    QCOMPARE(editor.textCursor().selectionStart(), 0);
    QVERIFY(bar.findNext());
    QCOMPARE(editor.textCursor().selectionStart(), 12);
}

void tst_CodeEditor::findSeedsFromSelectionAndEscCloses()
{
    QWidget window;
    auto *layout = new QVBoxLayout(&window);
    auto *editor = new CodeEditor(&window);
    auto *bar = new FindBar(&window);
    layout->addWidget(editor);
    layout->addWidget(bar);
    window.show();
    editor->setPlainText(u"float saxpy(float a)"_s);
    QTextCursor cursor = editor->textCursor();
    cursor.setPosition(6);
    cursor.setPosition(11, QTextCursor::KeepAnchor);
    editor->setTextCursor(cursor);
    bar->setEditor(editor);
    QVERIFY(!bar->isVisible());
    bar->openFind();
    QVERIFY(bar->isVisible());
    QCOMPARE(bar->findText(), u"saxpy"_s);
    QSignalSpy closed(bar, &FindBar::closed);
    QTest::keyClick(bar->findChild<QLineEdit *>(u"findEdit"_s), Qt::Key_Escape);
    QVERIFY(!bar->isVisible());
    QCOMPARE(closed.count(), 1);
}

void tst_CodeEditor::replaceCurrentOnlyReplacesAMatch()
{
    CodeEditor editor;
    editor.setPlainText(u"cat dog cat"_s);
    FindBar bar;
    bar.setEditor(&editor);
    bar.setFindText(u"cat"_s);
    bar.setReplaceText(u"cow"_s);
    // The selection "dog" is not a match: nothing is replaced, the next match is selected.
    QTextCursor cursor = editor.textCursor();
    cursor.setPosition(4);
    cursor.setPosition(7, QTextCursor::KeepAnchor);
    editor.setTextCursor(cursor);
    QVERIFY(bar.replaceCurrent());
    QCOMPARE(editor.toPlainText(), u"cat dog cat"_s);
    QCOMPARE(editor.textCursor().selectionStart(), 8);
    QVERIFY(bar.replaceCurrent());
    QCOMPARE(editor.toPlainText(), u"cat dog cow"_s);
    QCOMPARE(editor.textCursor().selectionStart(), 0); // wrapped to the next one
    QVERIFY(!bar.replaceCurrent()); // replaced the last one; none left
    QCOMPARE(editor.toPlainText(), u"cow dog cow"_s);
}

void tst_CodeEditor::replaceAllHostileTextInOneUndoStep()
{
    const QString original =
        u"echo \"$(rm -rf ~)\" 'a\\b' $(rm -rf ~)\n\u00e9t\u00e9 $(rm -rf ~)\n"_s;
    CodeEditor editor;
    editor.setPlainText(original);
    FindBar bar;
    bar.setEditor(&editor);
    bar.setFindText(u"$(rm -rf ~)"_s); // regex metacharacters, searched literally
    bar.setReplaceText(u"\\1 \"q\" $HOME"_s);
    QCOMPARE(bar.replaceAll(), 3);
    QCOMPARE(editor.toPlainText(),
             u"echo \"\\1 \"q\" $HOME\" 'a\\b' \\1 \"q\" $HOME\n\u00e9t\u00e9 \\1 \"q\" $HOME\n"_s);
    QVERIFY(bar.statusText().contains(u"3"_s));
    editor.undo();
    QCOMPARE(editor.toPlainText(), original);
}

void tst_CodeEditor::replaceAllRegexWithCaptures()
{
    CodeEditor editor;
    editor.setPlainText(u"int n = 10;\nfloat x = 2.5;\nINT m = 3;"_s);
    FindBar bar;
    bar.setEditor(&editor);
    bar.setRegularExpression(true);
    bar.setCaseSensitive(true);
    bar.setFindText(u"(\\w+) (\\w+) = ([0-9.]+)"_s);
    bar.setReplaceText(u"\\2: \\1 <- \\3\\\\"_s);
    QCOMPARE(bar.replaceAll(), 3);
    QCOMPARE(editor.toPlainText(), u"n: int <- 10\\;\nx: float <- 2.5\\;\nm: INT <- 3\\;"_s);
}

void tst_CodeEditor::replaceAllEmptyMatchesTerminates()
{
    CodeEditor editor;
    editor.setPlainText(u"a\n\nb"_s);
    FindBar bar;
    bar.setEditor(&editor);
    bar.setRegularExpression(true);
    bar.setFindText(u"^"_s);
    bar.setReplaceText(u"// "_s);
    QCOMPARE(bar.replaceAll(), 3);
    QCOMPARE(editor.toPlainText(), u"// a\n// \n// b"_s);
    bar.setFindText(u"x*"_s);
    bar.setReplaceText(u""_s);
    bar.replaceAll(); // matches only empty strings: must end
    QCOMPARE(editor.toPlainText(), u"// a\n// \n// b"_s);
}

void tst_CodeEditor::invalidRegexIsReported()
{
    CodeEditor editor;
    editor.setPlainText(u"(unbalanced"_s);
    FindBar bar;
    bar.setEditor(&editor);
    bar.setRegularExpression(true);
    bar.setFindText(u"(unbalanced"_s);
    QVERIFY(!bar.findNext());
    QVERIFY(bar.statusText().contains(u"Invalid regular expression"_s));
    QCOMPARE(bar.replaceAll(), 0);
    QCOMPARE(editor.toPlainText(), u"(unbalanced"_s);
}

void tst_CodeEditor::readOnlyEditorIsNotReplaced()
{
    CodeEditor editor;
    editor.setPlainText(u"keep keep"_s);
    editor.setReadOnly(true);
    FindBar bar;
    bar.setEditor(&editor);
    bar.setFindText(u"keep"_s);
    bar.setReplaceText(u"lose"_s);
    QCOMPARE(bar.replaceAll(), 0);
    QVERIFY(!bar.replaceCurrent());
    QCOMPARE(editor.toPlainText(), u"keep keep"_s);
    QVERIFY(bar.statusText().contains(u"read-only"_s));
    QVERIFY(bar.findNext()); // finding still works
}

QTEST_MAIN(tst_CodeEditor)
#include "tst_codeeditor.moc"
