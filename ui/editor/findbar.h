#pragma once

#include <QPointer>
#include <QWidget>

class QCheckBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QRegularExpression;
class QTextCursor;

namespace gpuwb {

// The find / replace bar under the editor tabs. It searches the editor it was given (the
// current tab's), optionally case sensitive, whole words only or as a regular expression, and
// wraps around at the ends. Escape closes it and gives the focus back to the editor. It owns
// only its own widgets; the editor is borrowed and may go away at any time. UI thread only.
class FindBar : public QWidget
{
    Q_OBJECT
public:
    explicit FindBar(QWidget *parent = nullptr);

    void setEditor(QPlainTextEdit *editor);
    QPlainTextEdit *editor() const { return m_editor; }

    // Show the bar with the find field focused (seeded from a one-line selection); the
    // replace row is shown by openReplace() only.
    void openFind();
    void openReplace();
    void close();

    void setFindText(const QString &text);
    QString findText() const;
    void setReplaceText(const QString &text);
    void setCaseSensitive(bool on);
    void setWholeWords(bool on);
    void setRegularExpression(bool on);

    // Select the next / previous match, wrapping around; false when there is none.
    bool findNext();
    bool findPrevious();
    // Replace the selected match (if the selection is one) and select the next match.
    bool replaceCurrent();
    // Replace every match in one undo step; returns how many were replaced.
    int replaceAll();

    // What the last operation found, for people ("No matches", "Wrapped around", ...).
    QString statusText() const;

signals:
    void closed();

protected:
    void keyPressEvent(QKeyEvent *event) override;

private:
    bool find(bool forward, bool fromSelectionStart);
    QTextCursor findFrom(const QTextCursor &from, bool forward, bool stepOverEmpty = true) const;
    bool buildRegex(QRegularExpression *re) const;
    QString replacementFor(const QString &matched) const;
    void setStatus(const QString &text);
    bool editorWritable();

    QPointer<QPlainTextEdit> m_editor;
    QLineEdit *m_find = nullptr;
    QLineEdit *m_replace = nullptr;
    QCheckBox *m_case = nullptr;
    QCheckBox *m_words = nullptr;
    QCheckBox *m_regex = nullptr;
    QWidget *m_replaceRow = nullptr;
    QLabel *m_status = nullptr;
};

} // namespace gpuwb
