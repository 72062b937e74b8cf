#include "ui/editor/codeeditor.h"

#include "ui/editor/syntaxrepository.h"

#include <KSyntaxHighlighting/Definition>
#include <KSyntaxHighlighting/SyntaxHighlighter>

#include <QFontDatabase>
#include <QPainter>
#include <QTextBlock>

namespace gpuwb {

namespace {

// The gutter left of the text: it only forwards painting and sizing to the editor, which
// knows the block geometry.
class LineNumberArea : public QWidget
{
public:
    explicit LineNumberArea(CodeEditor *editor) : QWidget(editor), m_editor(editor) {}
    QSize sizeHint() const override { return {m_editor->lineNumberAreaWidth(), 0}; }

protected:
    void paintEvent(QPaintEvent *event) override { m_editor->paintLineNumberArea(event); }

private:
    CodeEditor *m_editor;
};

} // namespace

CodeEditor::CodeEditor(QWidget *parent)
    : QPlainTextEdit(parent),
      m_highlighter(new KSyntaxHighlighting::SyntaxHighlighter(document())),
      m_gutter(new LineNumberArea(this))
{
    setObjectName(QStringLiteral("codeEditor"));
    setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    setLineWrapMode(QPlainTextEdit::NoWrap);
    setTabStopDistance(fontMetrics().horizontalAdvance(QLatin1Char(' ')) * kTabWidthSpaces);

    connect(this, &QPlainTextEdit::blockCountChanged, this, &CodeEditor::updateGutterWidth);
    connect(this, &QPlainTextEdit::updateRequest, this, &CodeEditor::updateGutter);
    connect(this, &QPlainTextEdit::cursorPositionChanged, this,
            &CodeEditor::highlightCurrentLine);

    applyTheme();
    updateGutterWidth();
    highlightCurrentLine();
}

CodeEditor::~CodeEditor() = default;

void CodeEditor::setFileName(const QString &fileName)
{
    m_fileName = fileName;
    applyDefinition();
}

void CodeEditor::setHighlightingEnabled(bool enabled)
{
    if (m_highlightingEnabled == enabled)
        return;
    m_highlightingEnabled = enabled;
    applyDefinition();
}

QString CodeEditor::definitionName() const
{
    const auto def = m_highlighter->definition();
    return def.isValid() ? def.name() : QString();
}

void CodeEditor::applyDefinition()
{
    m_highlighter->setDefinition(m_highlightingEnabled
                                     ? SyntaxRepository::definitionForFileName(m_fileName)
                                     : KSyntaxHighlighting::Definition());
}

void CodeEditor::applyTheme()
{
    // Chosen from our palette, which we never set ourselves, so a palette change from the
    // application (light <-> dark) always reaches us and cannot loop.
    m_theme = SyntaxRepository::themeForPalette(palette());
    m_highlighter->setTheme(m_theme);
    m_highlighter->rehighlight();
    highlightCurrentLine();
    m_gutter->update();
}

void CodeEditor::changeEvent(QEvent *event)
{
    QPlainTextEdit::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        applyTheme();
    else if (event->type() == QEvent::FontChange)
        setTabStopDistance(fontMetrics().horizontalAdvance(QLatin1Char(' ')) * kTabWidthSpaces);
}

void CodeEditor::goToLine(int line)
{
    const QTextBlock block = document()->findBlockByNumber(std::clamp(line, 1, lineCount()) - 1);
    QTextCursor cursor(block);
    setTextCursor(cursor);
    centerCursor();
}

int CodeEditor::currentLine() const
{
    return textCursor().blockNumber() + 1;
}

int CodeEditor::lineCount() const
{
    return document()->blockCount();
}

int CodeEditor::lineNumberAreaWidth() const
{
    int digits = 1;
    for (int n = std::max(1, blockCount()); n >= 10; n /= 10)
        ++digits;
    digits = std::max(digits, 3); // no jumping width while a short file grows
    return 8 + fontMetrics().horizontalAdvance(QLatin1Char('9')) * digits;
}

void CodeEditor::updateGutterWidth()
{
    setViewportMargins(lineNumberAreaWidth(), 0, 0, 0);
}

void CodeEditor::updateGutter(const QRect &rect, int dy)
{
    if (dy != 0)
        m_gutter->scroll(0, dy);
    else
        m_gutter->update(0, rect.y(), m_gutter->width(), rect.height());
    if (rect.contains(viewport()->rect()))
        updateGutterWidth();
}

void CodeEditor::resizeEvent(QResizeEvent *event)
{
    QPlainTextEdit::resizeEvent(event);
    const QRect cr = contentsRect();
    m_gutter->setGeometry(QRect(cr.left(), cr.top(), lineNumberAreaWidth(), cr.height()));
}

void CodeEditor::paintLineNumberArea(QPaintEvent *event)
{
    QPainter painter(m_gutter);
    painter.fillRect(event->rect(),
                     QColor(m_theme.editorColor(KSyntaxHighlighting::Theme::IconBorder)));

    const int current = textCursor().blockNumber();
    const QColor normal(m_theme.editorColor(KSyntaxHighlighting::Theme::LineNumbers));
    const QColor highlighted(m_theme.editorColor(KSyntaxHighlighting::Theme::CurrentLineNumber));
    const int width = m_gutter->width() - 4;
    const int lineHeight = fontMetrics().height();

    QTextBlock block = firstVisibleBlock();
    int top = qRound(blockBoundingGeometry(block).translated(contentOffset()).top());
    while (block.isValid() && top <= event->rect().bottom()) {
        const int bottom = top + qRound(blockBoundingRect(block).height());
        if (block.isVisible() && bottom >= event->rect().top()) {
            painter.setPen(block.blockNumber() == current ? highlighted : normal);
            painter.drawText(0, top, width, lineHeight, Qt::AlignRight,
                             QString::number(block.blockNumber() + 1));
        }
        block = block.next();
        top = bottom;
    }
}

void CodeEditor::highlightCurrentLine()
{
    QList<QTextEdit::ExtraSelection> selections;
    QTextEdit::ExtraSelection line;
    line.format.setBackground(QColor(m_theme.editorColor(KSyntaxHighlighting::Theme::CurrentLine)));
    line.format.setProperty(QTextFormat::FullWidthSelection, true);
    line.cursor = textCursor();
    line.cursor.clearSelection();
    selections.append(line);
    setExtraSelections(selections);
    m_gutter->update();
}

} // namespace gpuwb
