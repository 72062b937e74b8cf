#include "ui/charts/gpuchart.h"

#include <QEvent>
#include <QPainter>
#include <QPaintEvent>
#include <QPixmap>
#include <QStaticText>
#include <QLineF>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

constexpr int kXTicks = 4; // -window, -2/3, -1/3 and 0
constexpr int kYTicks = 3; // min, middle, max

// The plot below the title: grid, axis labels and the line. What does not change from tick to
// tick (everything but the line) is drawn once into a pixmap and reused until the size, the
// ranges or the palette change.
class ChartPlot : public QWidget
{
public:
    explicit ChartPlot(QWidget *parent) : QWidget(parent)
    {
        setAttribute(Qt::WA_OpaquePaintEvent); // the pixmap covers every pixel
        setMinimumSize(180, 110);
    }

    QList<QPointF> points;
    QString title; // drawn above the plot, centred, bold
    double xMin = -60.0;
    double yMin = 0.0;
    double yMax = 100.0;

    void invalidate()
    {
        m_background = QPixmap();
        update();
    }

protected:
    void paintEvent(QPaintEvent *) override
    {
        const qreal dpr = devicePixelRatioF();
        if (m_background.isNull() || m_background.size() != size() * dpr
            || m_background.devicePixelRatio() != dpr) {
            paintBackground(dpr);
        }
        QPainter painter(this);
        painter.drawPixmap(0, 0, m_background);
        if (m_titleText.text() != title) {
            m_titleText.setText(title);
            m_titleText.setTextFormat(Qt::PlainText);
            m_titleText.prepare(QTransform(), titleFont());
        }
        painter.setFont(titleFont());
        painter.setPen(palette().color(QPalette::Text));
        const QSizeF titleSize = m_titleText.size();
        painter.drawStaticText(QPointF((width() - titleSize.width()) / 2.0, 1), m_titleText);
        if (points.isEmpty())
            return;
        const QRectF area = m_plot;
        const double xSpan = std::max(1e-9, -xMin);
        const double ySpan = std::max(1e-9, yMax - yMin);
        auto map = [&](const QPointF &p) {
            return QPointF(area.left() + (p.x() - xMin) / xSpan * area.width(),
                           area.bottom() - (p.y() - yMin) / ySpan * area.height());
        };
        painter.setClipRect(area.adjusted(-1, -2, 1, 2));
        painter.setRenderHint(QPainter::Antialiasing);
        QPen pen(palette().color(QPalette::Highlight), 2);
        pen.setCosmetic(true);
        painter.setPen(pen);
        if (points.size() == 1) {
            painter.drawPoint(map(points.first()));
            return;
        }
        // Separate segments, not one polyline: a 2 px polyline is stroked as one outline,
        // which for a min/max-thinned line that zigzags took 3.4 ms per chart against 0.25 ms.
        m_segments.resize(points.size() - 1);
        QPointF from = map(points.first());
        for (qsizetype i = 1; i < points.size(); ++i) {
            const QPointF to = map(points.at(i));
            m_segments[i - 1] = QLineF(from, to);
            from = to;
        }
        painter.drawLines(m_segments);
    }

private:
    QFont titleFont() const
    {
        QFont bold = font();
        bold.setBold(true);
        return bold;
    }

    static QString label(double value, const QString &suffix)
    {
        const double rounded = std::round(value);
        return QString::number(rounded == 0.0 ? 0.0 : rounded, 'f', 0) + suffix;
    }

    void paintBackground(qreal dpr)
    {
        m_background = QPixmap(size() * dpr);
        m_background.setDevicePixelRatio(dpr);
        const QPalette p = palette();
        m_background.fill(p.color(QPalette::Base));
        QPainter painter(&m_background);
        QFont small = font();
        small.setPointSizeF(std::max(6.0, font().pointSizeF() * 0.8));
        painter.setFont(small);
        const QFontMetrics metrics(small);

        QStringList yLabels;
        int yLabelWidth = 0;
        for (int i = 0; i < kYTicks; ++i) {
            yLabels.append(label(yMin + (yMax - yMin) * i / (kYTicks - 1), QString()));
            yLabelWidth = std::max(yLabelWidth, metrics.horizontalAdvance(yLabels.last()));
        }
        const int textHeight = metrics.height();
        const int titleHeight = QFontMetrics(titleFont()).height() + 2;
        const QString widest = label(xMin, u"s"_s);
        m_plot = QRectF(yLabelWidth + 8, titleHeight + textHeight / 2.0 + 2,
                        width() - yLabelWidth - 8 - metrics.horizontalAdvance(widest) / 2.0 - 4,
                        height() - titleHeight - textHeight * 1.5 - 6);
        if (m_plot.width() < 10 || m_plot.height() < 10)
            return;

        QColor grid = p.color(QPalette::Text);
        grid.setAlphaF(0.15f);
        painter.setPen(QPen(grid, 1));
        for (int i = 0; i < kXTicks; ++i) {
            const double x = m_plot.left() + m_plot.width() * i / (kXTicks - 1);
            painter.drawLine(QPointF(x, m_plot.top()), QPointF(x, m_plot.bottom()));
        }
        for (int i = 0; i < kYTicks; ++i) {
            const double y = m_plot.bottom() - m_plot.height() * i / (kYTicks - 1);
            painter.drawLine(QPointF(m_plot.left(), y), QPointF(m_plot.right(), y));
        }
        painter.setPen(QPen(p.color(QPalette::Mid), 1));
        painter.drawLine(m_plot.bottomLeft(), m_plot.bottomRight());
        painter.drawLine(m_plot.bottomLeft(), m_plot.topLeft());

        painter.setPen(p.color(QPalette::Text));
        for (int i = 0; i < kYTicks; ++i) {
            const double y = m_plot.bottom() - m_plot.height() * i / (kYTicks - 1);
            const QRectF box(0, y - textHeight / 2.0, yLabelWidth + 4, textHeight);
            painter.drawText(box, Qt::AlignRight | Qt::AlignVCenter, yLabels.at(i));
        }
        for (int i = 0; i < kXTicks; ++i) {
            const double value = xMin - xMin * i / (kXTicks - 1);
            const QString text = label(value, u"s"_s);
            const double x = m_plot.left() + m_plot.width() * i / (kXTicks - 1);
            const double w = metrics.horizontalAdvance(text) + 2;
            painter.drawText(QRectF(x - w / 2, m_plot.bottom() + 3, w, textHeight),
                             Qt::AlignCenter, text);
        }
    }

    QPixmap m_background;
    QRectF m_plot;
    QList<QLineF> m_segments; // kept between paints: no allocation per tick
    QStaticText m_titleText;  // laid out once per new text
};

} // namespace

struct GpuChart::Private
{
    QString title;
    QString unit;
    QString valueText;
    QString titleText; // painted by the plot: a new value neither relayouts nor lays out
    ChartPlot *plot = nullptr;
    QList<QPointF> points;
    bool autoY = false;
    double autoMinimumMax = 1.0;
    double yMin = 0.0;
    double yMax = 100.0;
    double windowSeconds = 60.0;
    int decimals = 0;
    int seriesUpdates = 0;
};

GpuChart::GpuChart(const QString &title, const QString &unit, QWidget *parent)
    : QFrame(parent), d(std::make_unique<Private>())
{
    d->title = title;
    d->unit = unit;
    setFrameShape(QFrame::StyledPanel);
    setAutoFillBackground(true);
    setBackgroundRole(QPalette::Base);
    d->plot = new ChartPlot(this);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 4, 2, 2);
    layout->setSpacing(0);
    layout->addWidget(d->plot, 1);

    setWindowSeconds(60.0);
    updateYRange();
    updateTitle();
    applyPalette();
}

GpuChart::~GpuChart() = default;

void GpuChart::setYRange(double min, double max)
{
    d->autoY = false;
    d->yMin = min;
    d->yMax = max > min ? max : min + 1.0;
    updateYRange();
}

void GpuChart::setAutoYRange(double minimumMax)
{
    d->autoY = true;
    d->autoMinimumMax = std::max(minimumMax, 1e-9);
    updateYRange();
}

void GpuChart::setWindowSeconds(double seconds)
{
    d->windowSeconds = std::max(1.0, seconds);
    if (d->plot->xMin != -d->windowSeconds) {
        d->plot->xMin = -d->windowSeconds;
        d->plot->invalidate();
    }
}

void GpuChart::setValueDecimals(int decimals)
{
    d->decimals = std::clamp(decimals, 0, 6);
    updateTitle();
}

void GpuChart::setSeries(const QList<QPointF> &points, const QString &valueText)
{
    ++d->seriesUpdates;
    d->points = points;
    d->valueText = valueText;
    d->plot->points = points;
    if (d->autoY)
        updateYRange();
    d->plot->update();
    updateTitle();
}

QString GpuChart::title() const
{
    return d->title;
}

QString GpuChart::titleText() const
{
    return d->titleText;
}

QList<QPointF> GpuChart::points() const
{
    return d->points;
}

double GpuChart::yMin() const
{
    return d->plot->yMin;
}

double GpuChart::yMax() const
{
    return d->plot->yMax;
}

double GpuChart::windowSeconds() const
{
    return d->windowSeconds;
}

int GpuChart::seriesUpdates() const
{
    return d->seriesUpdates;
}

void GpuChart::changeEvent(QEvent *event)
{
    QFrame::changeEvent(event);
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::StyleChange
        || event->type() == QEvent::FontChange)
        applyPalette();
}

void GpuChart::applyPalette()
{
    if (d->plot)
        d->plot->invalidate(); // the cached grid and labels have the old colours
}

void GpuChart::updateTitle()
{
    QString value = d->valueText;
    if (value.isEmpty()) {
        value = d->points.isEmpty()
            ? u"n/a"_s
            : QString::number(d->points.last().y(), 'f', d->decimals)
                + (d->unit.isEmpty() ? QString() : u" "_s + d->unit);
    }
    const QString text = u"%1 · %2"_s.arg(d->title, value);
    if (d->titleText != text) {
        d->titleText = text;
        d->plot->title = text;
        d->plot->update();
    }
}

void GpuChart::updateYRange()
{
    double low = d->yMin;
    double high = d->yMax;
    if (d->autoY) {
        double top = d->autoMinimumMax;
        for (const QPointF &pt : std::as_const(d->points))
            top = std::max(top, pt.y());
        // Headroom so the line does not run along the top edge; round to a tidy number.
        top *= 1.1;
        const double step = std::pow(10.0, std::floor(std::log10(top)));
        low = 0.0;
        high = std::ceil(top / step) * step;
    }
    if (d->plot->yMin != low || d->plot->yMax != high) { // new labels: a new background
        d->plot->yMin = low;
        d->plot->yMax = high;
        d->plot->invalidate();
    }
}

} // namespace gpuwb
