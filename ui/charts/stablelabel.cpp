#include "ui/charts/stablelabel.h"

#include <QEvent>
#include <QLabel>

namespace gpuwb {

StableLabel::StableLabel(QWidget *parent) : QWidget(parent), m_label(new QLabel(this))
{
    setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
}

QSize StableLabel::sizeHint() const
{
    return {m_label->fontMetrics().averageCharWidth() * 20, m_label->fontMetrics().height()};
}

QSize StableLabel::minimumSizeHint() const
{
    return {0, m_label->fontMetrics().height()};
}

void StableLabel::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    m_label->setGeometry(rect());
}

void StableLabel::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::FontChange || event->type() == QEvent::StyleChange)
        updateGeometry(); // a new line height: the one relayout that is needed
}

} // namespace gpuwb
