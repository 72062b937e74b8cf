#include "ui/charts/gpuchart.h"

#include <QChart>
#include <QChartView>
#include <QEvent>
#include <QGraphicsItem>
#include <QGraphicsScene>
#include <QLabel>
#include <QLineSeries>
#include <QValueAxis>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

namespace gpuwb {

struct GpuChart::Private
{
    QString title;
    QString unit;
    QString valueText;
    QLabel *titleLabel = nullptr; // outside the chart: a new value must not relayout it
    QChartView *view = nullptr;
    QChart *chart = nullptr;
    QLineSeries *series = nullptr;
    QValueAxis *xAxis = nullptr;
    QValueAxis *yAxis = nullptr;
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
    d->chart = new QChart;
    d->chart->legend()->hide();
    d->chart->setAnimationOptions(QChart::NoAnimation);
    d->chart->setMargins(QMargins(2, 0, 2, 0));
    d->chart->setBackgroundVisible(false);
    setFrameShape(QFrame::StyledPanel);
    setAutoFillBackground(true);
    setBackgroundRole(QPalette::Base);
    d->titleLabel = new QLabel(this);
    d->titleLabel->setAlignment(Qt::AlignCenter);
    QFont titleFont = d->titleLabel->font();
    titleFont.setBold(true);
    d->titleLabel->setFont(titleFont);

    d->series = new QLineSeries;
    d->chart->addSeries(d->series);
    d->xAxis = new QValueAxis;
    d->xAxis->setLabelFormat(u"%.0fs"_s);
    d->xAxis->setTickCount(4);
    d->yAxis = new QValueAxis;
    d->yAxis->setLabelFormat(u"%.0f"_s);
    d->yAxis->setTickCount(3);
    d->chart->addAxis(d->xAxis, Qt::AlignBottom);
    d->chart->addAxis(d->yAxis, Qt::AlignLeft);
    d->series->attachAxis(d->xAxis);
    d->series->attachAxis(d->yAxis);
    // Many points per tick: OpenGL would be faster but is not there under offscreen/Xvfb.
    d->series->setPointsVisible(false);

    d->view = new QChartView(d->chart, this);
    d->view->setRenderHint(QPainter::Antialiasing);
    d->view->setFrameShape(QFrame::NoFrame);
    d->view->setMinimumSize(180, 120);
    d->view->setBackgroundRole(QPalette::Base);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 4, 2, 2);
    layout->setSpacing(0);
    layout->addWidget(d->titleLabel);
    layout->addWidget(d->view, 1);

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
    if (d->xAxis->min() != -d->windowSeconds || d->xAxis->max() != 0.0) {
        d->xAxis->setRange(-d->windowSeconds, 0.0);
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
    d->series->replace(points);
    cacheItems();
    if (d->autoY)
        updateYRange();
    updateTitle();
}

QString GpuChart::title() const
{
    return d->title;
}

QString GpuChart::titleText() const
{
    return d->titleLabel->text();
}

QList<QPointF> GpuChart::points() const
{
    return d->points;
}

double GpuChart::yMin() const
{
    return d->yAxis->min();
}

double GpuChart::yMax() const
{
    return d->yAxis->max();
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
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::StyleChange)
        applyPalette();
}

void GpuChart::applyPalette()
{
    if (!d->view)
        return; // a palette event while the constructor is still building
    const QPalette p = palette();
    d->view->setBackgroundBrush(p.base());
    QColor grid = p.color(QPalette::Text);
    grid.setAlphaF(0.15f);
    for (QValueAxis *axis : {d->xAxis, d->yAxis}) {
        axis->setLabelsBrush(p.text());
        axis->setLinePen(QPen(p.color(QPalette::Mid), 1));
        axis->setGridLinePen(QPen(grid, 1));
        QFont small = font();
        small.setPointSizeF(std::max(6.0, font().pointSizeF() * 0.8));
        axis->setLabelsFont(small);
    }
    QPen line(p.color(QPalette::Highlight), 2);
    line.setCosmetic(true);
    d->series->setPen(line);
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
    d->titleLabel->setText(u"%1 · %2"_s.arg(d->title, value));
}

void GpuChart::cacheItems()
{
    // Axes, grid and labels stay the same from tick to tick: caching each item as a pixmap
    // makes a tick's repaint a blit of them plus the new line (it cut the paint time of a tick
    // by more than half in the panel's tick-cost test). The chart makes some items lazily (at
    // its first layout), so every tick looks for new ones; a few dozen items, no cost.
    const QList<QGraphicsItem *> items = d->chart->scene()->items();
    for (QGraphicsItem *item : items)
        if (item->cacheMode() == QGraphicsItem::NoCache)
            item->setCacheMode(QGraphicsItem::DeviceCoordinateCache);
}

void GpuChart::updateYRange()
{
    if (!d->autoY) {
        if (d->yAxis->min() != d->yMin || d->yAxis->max() != d->yMax) {
            d->yAxis->setRange(d->yMin, d->yMax);
        }
        return;
    }
    double top = d->autoMinimumMax;
    for (const QPointF &pt : std::as_const(d->points))
        top = std::max(top, pt.y());
    // Headroom so the line does not run along the top edge; round to a tidy number.
    top *= 1.1;
    const double step = std::pow(10.0, std::floor(std::log10(top)));
    top = std::ceil(top / step) * step;
    if (d->yAxis->min() != 0.0 || d->yAxis->max() != top) { // a new range relayouts the chart
        d->yAxis->setRange(0.0, top);
    }
}

} // namespace gpuwb
