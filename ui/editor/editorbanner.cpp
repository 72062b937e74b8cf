#include "ui/editor/editorbanner.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QPushButton>

namespace gpuwb {

EditorBanner::EditorBanner(Kind kind, const QString &objectName, QWidget *parent)
    : QFrame(parent), m_kind(kind), m_label(new QLabel(this)), m_layout(new QHBoxLayout(this))
{
    setObjectName(objectName);
    setFrameShape(QFrame::StyledPanel);
    m_label->setWordWrap(true);
    m_label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_layout->setContentsMargins(8, 4, 8, 4);
    m_layout->addWidget(m_label, 1);
}

void EditorBanner::setText(const QString &text)
{
    m_label->setText(text);
}

QString EditorBanner::text() const
{
    return m_label->text();
}

QPushButton *EditorBanner::addButton(const QString &text, const QString &objectName)
{
    auto *button = new QPushButton(text, this);
    button->setObjectName(objectName);
    m_layout->addWidget(button);
    return button;
}

void EditorBanner::paintEvent(QPaintEvent *event)
{
    // A tint of the kind's colour over the current window colour, so that the banner stays
    // readable in light and dark palettes and follows a switch between them.
    QColor tint;
    switch (m_kind) {
    case Kind::Info: tint = QColor(0x3d, 0xae, 0xe9); break;
    case Kind::Warning: tint = QColor(0xf6, 0x74, 0x00); break;
    case Kind::Error: tint = QColor(0xda, 0x44, 0x53); break;
    }
    const QColor window = palette().color(QPalette::Window);
    const auto mix = [](int a, int b) { return (a * 3 + b) / 4; };
    QPainter painter(this);
    const QColor fill(mix(window.red(), tint.red()), mix(window.green(), tint.green()),
                      mix(window.blue(), tint.blue()));
    painter.fillRect(rect(), fill);
    painter.end();
    QFrame::paintEvent(event);
}

} // namespace gpuwb
