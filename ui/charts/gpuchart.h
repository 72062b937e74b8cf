#pragma once

#include <QList>
#include <QPointF>
#include <QFrame>

#include <memory>

namespace gpuwb {

// A small live chart of one GPU metric: a line over the last N seconds (x <= 0, seconds
// before the newest sample), a fixed or automatic y range, and a title with the current value
// and unit. Painted with QPainter: axes, grid and labels are cached as one pixmap, a tick
// paints that pixmap, the title and the line, inside the window's one repaint (QtCharts' scene
// repainted the window once per chart; see ./bench telemetry). A widget on the UI thread;
// setSeries() replaces all points at once (principle 9). Colours follow the palette.
class GpuChart : public QFrame
{
    Q_OBJECT
public:
    GpuChart(const QString &title, const QString &unit, QWidget *parent = nullptr);
    ~GpuChart() override;

    // A fixed y range (0-100 %, 0-total MiB, ...).
    void setYRange(double min, double max);
    // 0 to a little above the largest value, at least minimumMax (for metrics without a
    // natural maximum, such as the SM clock).
    void setAutoYRange(double minimumMax);
    // The x axis shows the last `seconds` seconds.
    void setWindowSeconds(double seconds);
    // Decimals of the value in the title (default 0).
    void setValueDecimals(int decimals);

    // Replaces the points; the title shows valueText, or the last point's y with the unit
    // when valueText is empty, or "n/a" when there are no points.
    void setSeries(const QList<QPointF> &points, const QString &valueText = {});

    QString title() const;
    QString titleText() const; // as shown: "Utilisation · 87 %"
    QList<QPointF> points() const;
    double yMin() const;
    double yMax() const;
    double windowSeconds() const;
    // How many times setSeries() ran: the panel's tests count the work per tick with it.
    int seriesUpdates() const;

protected:
    void changeEvent(QEvent *event) override;

private:
    void applyPalette();
    void updateTitle();
    void updateYRange();

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace gpuwb
