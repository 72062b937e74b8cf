#pragma once

#include <KSyntaxHighlighting/Theme>

#include <QPlainTextEdit>

namespace KSyntaxHighlighting {
class SyntaxHighlighter;
}

namespace gpuwb {

// A plain-text code editor: syntax highlighting through a KSyntaxHighlighting highlighter on
// its document (principle 10), a line-number gutter, the current line highlighted, a monospace
// font and tab stops every 4 spaces. The colours follow the widget palette, so switching the
// application between light and dark re-themes the highlighting. It knows nothing about files:
// EditorDocument fills and saves it. UI thread only.
class CodeEditor : public QPlainTextEdit
{
    Q_OBJECT
public:
    static constexpr int kTabWidthSpaces = 4;

    explicit CodeEditor(QWidget *parent = nullptr);
    ~CodeEditor() override;

    // Picks the highlighting definition from a file name ("kernel.cu", "CMakeLists.txt").
    void setFileName(const QString &fileName);
    // Highlighting off keeps huge files responsive; on again restores the file's definition.
    void setHighlightingEnabled(bool enabled);
    bool highlightingEnabled() const { return m_highlightingEnabled; }
    // The name of the definition in use ("CUDA", "Python"), empty when none applies.
    QString definitionName() const;
    KSyntaxHighlighting::Theme theme() const { return m_theme; }

    // Moves the cursor to the start of a line (1-based, clamped to the document) and shows it.
    void goToLine(int line);
    // 1-based line of the cursor.
    int currentLine() const;
    int lineCount() const;

    // For the gutter.
    int lineNumberAreaWidth() const;
    void paintLineNumberArea(QPaintEvent *event);

protected:
    void changeEvent(QEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    void applyTheme();
    void applyDefinition();
    void updateGutterWidth();
    void updateGutter(const QRect &rect, int dy);
    void highlightCurrentLine();

    KSyntaxHighlighting::SyntaxHighlighter *m_highlighter = nullptr;
    QWidget *m_gutter = nullptr;
    KSyntaxHighlighting::Theme m_theme;
    QString m_fileName;
    bool m_highlightingEnabled = true;
};

} // namespace gpuwb
