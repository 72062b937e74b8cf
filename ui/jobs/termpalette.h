#pragma once

#include "core/jobs/outputevent.h"

#include <QColor>
#include <QHash>
#include <QPalette>

namespace gpuwb {

// Turns the colours a program asked for (16 ANSI, 256 indexed, RGB) into colours that stay
// readable on the widget's palette: the 16 base colours have a light-background and a
// dark-background set, and any foreground too close to its background is pushed away from it.
// A cache owned by one view; UI thread only.
class TermPalette
{
public:
    explicit TermPalette(const QPalette &palette = QPalette());
    void setPalette(const QPalette &palette);

    struct Colors
    {
        QColor foreground;
        QColor background; // invalid: the view's own background
    };
    // The colours of a run of text in `style` on a line of `stream`.
    Colors resolve(const TextStyle &style, OutputStream stream);

    QColor background() const { return m_base; }
    QColor text() const { return m_text; }
    bool isDark() const { return m_dark; }

    // The colour of an indexed or RGB colour, before any contrast adjustment.
    QColor rawColor(const TermColor &color) const;
    // Contrast ratio of two colours (WCAG), 1 to 21.
    static double contrast(const QColor &a, const QColor &b);
    // `fg`, lightened or darkened until it reads on `bg`.
    static QColor readable(const QColor &fg, const QColor &bg, double minimum = 3.0);

private:
    QColor m_base;
    QColor m_text;
    QColor m_stderrText;
    QColor m_systemText;
    bool m_dark = false;
    QHash<quint64, QColor> m_cache; // (fg rgb, bg rgb) -> readable fg
};

} // namespace gpuwb
