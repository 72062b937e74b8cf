#include "ui/jobs/termpalette.h"

#include <algorithm>
#include <cmath>

namespace gpuwb {

namespace {

// The 16 base colours, tuned so that each reads on its kind of background without help.
constexpr QRgb kLightBase[16] = {
    0x000000, 0xb3261e, 0x2e7d32, 0x8a6d00, 0x1f5fbf, 0x8e3a9e, 0x00838f, 0x5f6368,
    0x4a4a4a, 0xd93025, 0x188038, 0xa06800, 0x1a73e8, 0xa142f4, 0x00897b, 0x202124,
};
constexpr QRgb kDarkBase[16] = {
    0x5c5c5c, 0xff6b6b, 0x7bd88f, 0xe5c07b, 0x6cb6ff, 0xd49fff, 0x56d4dd, 0xc8c8c8,
    0x8a8a8a, 0xff8f8f, 0x9ff0a8, 0xffd98a, 0x9cccff, 0xe6bfff, 0x8ef0f5, 0xffffff,
};

double channel(double c)
{
    c /= 255.0;
    return c <= 0.03928 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
}

double luminance(const QColor &c)
{
    return 0.2126 * channel(c.red()) + 0.7152 * channel(c.green()) + 0.0722 * channel(c.blue());
}

QColor blend(const QColor &a, const QColor &b, double t)
{
    return QColor::fromRgbF(float(a.redF() * (1 - t) + b.redF() * t),
                            float(a.greenF() * (1 - t) + b.greenF() * t),
                            float(a.blueF() * (1 - t) + b.blueF() * t));
}

} // namespace

TermPalette::TermPalette(const QPalette &palette)
{
    setPalette(palette);
}

void TermPalette::setPalette(const QPalette &palette)
{
    m_base = palette.color(QPalette::Base);
    m_text = palette.color(QPalette::Text);
    m_dark = luminance(m_base) < luminance(m_text);
    m_stderrText = readable(QColor(m_dark ? 0xff8a80 : 0xb3261e), m_base, 4.5);
    m_systemText = blend(m_text, m_base, 0.4);
    m_cache.clear();
}

QColor TermPalette::rawColor(const TermColor &color) const
{
    switch (color.kind) {
    case TermColor::Default:
        return m_text;
    case TermColor::Rgb:
        return QColor(QRgb(color.value & 0xffffff));
    case TermColor::Indexed:
        break;
    }
    const quint32 i = color.value & 0xff;
    if (i < 16)
        return QColor(m_dark ? kDarkBase[i] : kLightBase[i]);
    if (i < 232) {
        // The 6x6x6 colour cube.
        static constexpr int steps[6] = {0, 95, 135, 175, 215, 255};
        const quint32 c = i - 16;
        return QColor(steps[c / 36], steps[(c / 6) % 6], steps[c % 6]);
    }
    const int gray = 8 + int(i - 232) * 10;
    return QColor(gray, gray, gray);
}

double TermPalette::contrast(const QColor &a, const QColor &b)
{
    const double la = luminance(a), lb = luminance(b);
    return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

QColor TermPalette::readable(const QColor &fg, const QColor &bg, double minimum)
{
    if (contrast(fg, bg) >= minimum)
        return fg;
    // Move towards white on dark backgrounds and towards black on light ones, in small steps,
    // keeping the hue as long as possible.
    const QColor target = luminance(bg) < 0.18 ? QColor(Qt::white) : QColor(Qt::black);
    QColor c = fg;
    for (int step = 1; step <= 10 && contrast(c, bg) < minimum; ++step)
        c = blend(fg, target, step / 10.0);
    return c;
}

TermPalette::Colors TermPalette::resolve(const TextStyle &style, OutputStream stream)
{
    QColor fg;
    if (style.foreground.kind != TermColor::Default)
        fg = rawColor(style.foreground);
    else if (stream == OutputStream::Stderr)
        fg = m_stderrText;
    else if (stream == OutputStream::System)
        fg = m_systemText;
    else
        fg = m_text;
    if (style.bold && style.foreground.kind == TermColor::Indexed && style.foreground.value < 8)
        fg = rawColor(TermColor{TermColor::Indexed, style.foreground.value + 8});

    QColor bg;
    if (style.background.kind != TermColor::Default)
        bg = rawColor(style.background);
    if (style.inverse) {
        const QColor oldBg = bg.isValid() ? bg : m_base;
        bg = fg;
        fg = oldBg;
    }
    const QColor against = bg.isValid() ? bg : m_base;
    const quint64 key = (quint64(fg.rgb() & 0xffffff) << 32) | (against.rgb() & 0xffffff);
    auto it = m_cache.constFind(key);
    if (it == m_cache.cend())
        it = m_cache.insert(key, readable(fg, against));
    fg = *it;
    if (style.faint)
        fg = blend(fg, against, 0.35);
    return {fg, bg};
}

} // namespace gpuwb
