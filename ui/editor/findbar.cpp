#include "ui/editor/findbar.h"

#include <QCheckBox>
#include <QGridLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QTextBlock>
#include <QTextCursor>
#include <QTextDocument>
#include <QToolButton>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

// QTextCursor::selectedText() marks line breaks with U+2029; people expect plain text.
QString plainSelection(const QTextCursor &cursor)
{
    return cursor.selectedText().replace(QChar::ParagraphSeparator, QLatin1Char('\n'));
}

// "\1".."\9" and "\0" insert captures, "\n" and "\t" a newline and a tab, "\\" a backslash.
QString expandCaptures(const QString &replacement, const QRegularExpressionMatch &match)
{
    QString out;
    out.reserve(replacement.size());
    for (qsizetype i = 0; i < replacement.size(); ++i) {
        const QChar c = replacement.at(i);
        if (c != QLatin1Char('\\') || i + 1 == replacement.size()) {
            out += c;
            continue;
        }
        const QChar next = replacement.at(++i);
        if (next.isDigit())
            out += match.captured(next.digitValue());
        else if (next == QLatin1Char('n'))
            out += QLatin1Char('\n');
        else if (next == QLatin1Char('t'))
            out += QLatin1Char('\t');
        else
            out += next;
    }
    return out;
}

} // namespace

FindBar::FindBar(QWidget *parent) : QWidget(parent)
{
    setObjectName(u"findBar"_s);
    m_find = new QLineEdit(this);
    m_find->setObjectName(u"findEdit"_s);
    m_find->setPlaceholderText(tr("Find"));
    m_find->setClearButtonEnabled(true);
    m_replace = new QLineEdit(this);
    m_replace->setObjectName(u"replaceEdit"_s);
    m_replace->setPlaceholderText(tr("Replace with"));
    m_case = new QCheckBox(tr("Match case"), this);
    m_words = new QCheckBox(tr("Whole words"), this);
    m_regex = new QCheckBox(tr("Regular expression"), this);
    m_status = new QLabel(this);
    m_status->setObjectName(u"findStatus"_s);

    auto *previous = new QPushButton(tr("Previous"), this);
    auto *next = new QPushButton(tr("Next"), this);
    auto *replace = new QPushButton(tr("Replace"), this);
    auto *replaceAllButton = new QPushButton(tr("Replace All"), this);
    auto *closeButton = new QToolButton(this);
    closeButton->setText(u"\u2715"_s);
    closeButton->setToolTip(tr("Close (Esc)"));
    closeButton->setAutoRaise(true);

    auto *layout = new QGridLayout(this);
    layout->setContentsMargins(4, 2, 4, 2);
    layout->addWidget(m_find, 0, 0);
    layout->addWidget(previous, 0, 1);
    layout->addWidget(next, 0, 2);
    layout->addWidget(m_case, 0, 3);
    layout->addWidget(m_words, 0, 4);
    layout->addWidget(m_regex, 0, 5);
    layout->addWidget(m_status, 0, 6);
    layout->addWidget(closeButton, 0, 7);
    m_replaceRow = new QWidget(this);
    auto *row = new QHBoxLayout(m_replaceRow);
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(m_replace, 1);
    row->addWidget(replace);
    row->addWidget(replaceAllButton);
    row->addStretch(1);
    layout->addWidget(m_replaceRow, 1, 0, 1, 8);
    layout->setColumnStretch(0, 1);
    layout->setColumnStretch(6, 1);

    connect(previous, &QPushButton::clicked, this, &FindBar::findPrevious);
    connect(next, &QPushButton::clicked, this, &FindBar::findNext);
    connect(replace, &QPushButton::clicked, this, &FindBar::replaceCurrent);
    connect(replaceAllButton, &QPushButton::clicked, this, &FindBar::replaceAll);
    connect(closeButton, &QToolButton::clicked, this, &FindBar::close);
    connect(m_find, &QLineEdit::returnPressed, this, &FindBar::findNext);
    connect(m_replace, &QLineEdit::returnPressed, this, &FindBar::replaceCurrent);
    // Incremental search: the match grows from where it started while typing.
    connect(m_find, &QLineEdit::textEdited, this, [this] { find(true, true); });

    m_replaceRow->hide();
    hide();
}

void FindBar::setEditor(QPlainTextEdit *editor)
{
    m_editor = editor;
    setStatus({});
}

void FindBar::openFind()
{
    if (m_editor) {
        const QTextCursor cursor = m_editor->textCursor();
        if (cursor.hasSelection() && !cursor.selectedText().contains(QChar::ParagraphSeparator))
            m_find->setText(cursor.selectedText());
    }
    show();
    m_find->setFocus();
    m_find->selectAll();
}

void FindBar::openReplace()
{
    m_replaceRow->show();
    openFind();
}

void FindBar::close()
{
    hide();
    m_replaceRow->hide();
    setStatus({});
    if (m_editor)
        m_editor->setFocus();
    emit closed();
}

void FindBar::setFindText(const QString &text) { m_find->setText(text); }
QString FindBar::findText() const { return m_find->text(); }
void FindBar::setReplaceText(const QString &text) { m_replace->setText(text); }
void FindBar::setCaseSensitive(bool on) { m_case->setChecked(on); }
void FindBar::setWholeWords(bool on) { m_words->setChecked(on); }
void FindBar::setRegularExpression(bool on) { m_regex->setChecked(on); }
QString FindBar::statusText() const { return m_status->text(); }

void FindBar::setStatus(const QString &text)
{
    m_status->setText(text);
}

void FindBar::keyPressEvent(QKeyEvent *event)
{
    if (event->key() == Qt::Key_Escape) {
        close();
        event->accept();
        return;
    }
    if ((event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter)
        && (event->modifiers() & Qt::ShiftModifier)) {
        findPrevious();
        event->accept();
        return;
    }
    QWidget::keyPressEvent(event);
}

bool FindBar::buildRegex(QRegularExpression *re) const
{
    QString pattern = m_find->text();
    if (!m_regex->isChecked())
        pattern = QRegularExpression::escape(pattern);
    if (m_words->isChecked())
        pattern = u"\\b(?:"_s + pattern + u")\\b"_s;
    re->setPattern(pattern);
    re->setPatternOptions(m_case->isChecked() ? QRegularExpression::NoPatternOption
                                              : QRegularExpression::CaseInsensitiveOption);
    return re->isValid();
}

QTextCursor FindBar::findFrom(const QTextCursor &from, bool forward, bool stepOverEmpty) const
{
    QRegularExpression re;
    if (!buildRegex(&re))
        return {};
    QTextDocument::FindFlags flags;
    if (m_case->isChecked())
        flags |= QTextDocument::FindCaseSensitively;
    if (!forward)
        flags |= QTextDocument::FindBackward;
    QTextCursor found = m_editor->document()->find(re, from, flags);
    // An empty match where we stand would be found again and again: step over it.
    if (stepOverEmpty && !found.isNull() && !found.hasSelection() && !from.hasSelection()
        && found.position() == from.position()) {
        QTextCursor stepped = from;
        if (!stepped.movePosition(forward ? QTextCursor::NextCharacter
                                          : QTextCursor::PreviousCharacter))
            return {};
        found = m_editor->document()->find(re, stepped, flags);
    }
    return found;
}

bool FindBar::find(bool forward, bool fromSelectionStart)
{
    if (!m_editor)
        return false;
    if (m_find->text().isEmpty()) {
        setStatus({});
        return false;
    }
    QRegularExpression re;
    if (!buildRegex(&re)) {
        setStatus(tr("Invalid regular expression: %1").arg(re.errorString()));
        return false;
    }
    QTextCursor from = m_editor->textCursor();
    if (fromSelectionStart)
        from.setPosition(from.selectionStart());

    QTextCursor found = findFrom(from, forward);
    bool wrapped = false;
    if (found.isNull()) {
        QTextCursor edge(m_editor->document());
        if (!forward)
            edge.movePosition(QTextCursor::End);
        found = findFrom(edge, forward);
        wrapped = true;
    }
    if (found.isNull()) {
        setStatus(tr("No matches for \u201c%1\u201d").arg(m_find->text()));
        return false;
    }
    m_editor->setTextCursor(found);
    m_editor->ensureCursorVisible();
    setStatus(wrapped ? tr("Search wrapped around") : QString());
    return true;
}

bool FindBar::findNext()
{
    return find(true, false);
}

bool FindBar::findPrevious()
{
    return find(false, false);
}

bool FindBar::editorWritable()
{
    if (!m_editor)
        return false;
    if (m_editor->isReadOnly()) {
        setStatus(tr("This file is read-only; nothing was replaced."));
        return false;
    }
    return true;
}

QString FindBar::replacementFor(const QString &matched) const
{
    if (!m_regex->isChecked())
        return m_replace->text();
    QRegularExpression re;
    buildRegex(&re);
    const auto match = re.match(matched, 0, QRegularExpression::NormalMatch,
                                QRegularExpression::AnchorAtOffsetMatchOption);
    return expandCaptures(m_replace->text(), match);
}

bool FindBar::replaceCurrent()
{
    if (!editorWritable() || m_find->text().isEmpty())
        return false;
    QTextCursor cursor = m_editor->textCursor();
    if (cursor.hasSelection()) {
        // Only replace when the selection is exactly a match, never arbitrary selected text.
        QTextCursor start = cursor;
        start.setPosition(cursor.selectionStart());
        const QTextCursor match = findFrom(start, true);
        if (!match.isNull() && match.selectionStart() == cursor.selectionStart()
            && match.selectionEnd() == cursor.selectionEnd()) {
            cursor.insertText(replacementFor(plainSelection(cursor)));
            m_editor->setTextCursor(cursor);
        }
    }
    return findNext();
}

int FindBar::replaceAll()
{
    if (!editorWritable() || m_find->text().isEmpty())
        return 0;
    QRegularExpression re;
    if (!buildRegex(&re)) {
        setStatus(tr("Invalid regular expression: %1").arg(re.errorString()));
        return 0;
    }
    QTextDocument *doc = m_editor->document();
    QTextCursor block(doc);
    block.beginEditBlock(); // one undo step for all replacements
    int count = 0;
    QTextCursor from(doc);
    while (true) {
        // Empty matches are stepped over below, after they were replaced.
        QTextCursor match = findFrom(from, true, false);
        if (match.isNull())
            break;
        const bool empty = !match.hasSelection();
        match.insertText(replacementFor(plainSelection(match)));
        ++count;
        from = match;
        if (empty && !from.movePosition(QTextCursor::NextCharacter))
            break;
    }
    block.endEditBlock();
    setStatus(count == 0 ? tr("No matches for \u201c%1\u201d").arg(m_find->text())
                         : tr("Replaced %n occurrence(s)", nullptr, count));
    return count;
}

} // namespace gpuwb
