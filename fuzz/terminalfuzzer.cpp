// libFuzzer entry for job output as the workbench reads it (local pipes and remote logs alike):
// TerminalParser (core/jobs/terminalparser.cpp) turns bytes into lines, interpreting UTF-8,
// SGR colours and styles (ESC[...m, 38/48 in ';' and ':' forms), ESC[K, cursor columns,
// '\r', '\b' and dropping every other escape sequence; TermPalette::resolve
// (ui/jobs/termpalette.cpp, QtGui only) then turns each styled run into the colours the
// output view paints.
//
// Input: byte 0 configures, the rest is the output.
//   bits 0-1 the stream (Stdout, Stderr, System)
//   bits 2-7 seed the sizes of the pieces fed to a second parser (1..64 bytes each)
// The parser fed at once and the one fed in pieces must produce the same lines and the same
// pending line (UTF-8 and escape sequences are decoded across piece boundaries). Crashes,
// sanitizer reports, a difference, or a broken line invariant (checked below) are findings.

#include "core/jobs/terminalparser.h"
#include "ui/jobs/termpalette.h"

#include <QByteArray>
#include <QPalette>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

using namespace gpuwb;

namespace {

bool sameLines(const QList<OutputLine> &a, const QList<OutputLine> &b)
{
    if (a.size() != b.size())
        return false;
    for (qsizetype i = 0; i < a.size(); ++i) {
        if (a.at(i).text != b.at(i).text || a.at(i).spans != b.at(i).spans
            || a.at(i).stream != b.at(i).stream)
            return false;
    }
    return true;
}

void checkColor(const TermColor &c)
{
    switch (c.kind) {
    case TermColor::Default:
        if (c.value != 0)
            std::abort();
        break;
    case TermColor::Indexed:
        if (c.value > 255)
            std::abort(); // the palette has 256 entries
        break;
    case TermColor::Rgb:
        if (c.value > 0xFFFFFF)
            std::abort();
        break;
    default:
        std::abort(); // not a kind the views know
    }
}

// What a view relies on: bounded lines, and styled runs that are inside the text, in order,
// not overlapping, not empty and never of the default style.
void checkLine(const OutputLine &line, OutputStream stream)
{
    if (line.stream != stream || line.text.size() > TerminalParser::MaxLineLength)
        std::abort();
    int end = 0;
    for (const TextSpan &s : line.spans) {
        if (s.start < end || s.length <= 0 || s.start + s.length > line.text.size())
            std::abort();
        if (s.style == TextStyle())
            std::abort();
        checkColor(s.style.foreground);
        checkColor(s.style.background);
        end = s.start + s.length;
    }
}

void paint(TermPalette &palette, const OutputLine &line)
{
    (void)palette.resolve(TextStyle(), line.stream);
    for (const TextSpan &s : line.spans) {
        const TermPalette::Colors c = palette.resolve(s.style, line.stream);
        if (!c.foreground.isValid())
            std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size == 0)
        return 0;
    static TermPalette light{QPalette(QColor(0xF0, 0xF0, 0xF0))};
    static TermPalette dark{QPalette(QColor(0x20, 0x20, 0x20))};

    const std::uint8_t config = data[0];
    const OutputStream stream = OutputStream(std::min(config & 3, 2));
    const QByteArrayView bytes(reinterpret_cast<const char *>(data + 1), qsizetype(size - 1));

    TerminalParser whole(stream);
    QList<OutputLine> wholeLines;
    whole.feed(bytes, &wholeLines);

    TerminalParser pieces(stream);
    QList<OutputLine> pieceLines;
    std::uint32_t state = (std::uint32_t(config) << 8) ^ std::uint32_t(size) ^ 0x85EBCA6Bu;
    for (qsizetype at = 0; at < bytes.size();) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        const qsizetype piece = qsizetype(1 + (state >> (config >> 2) % 24) % 64);
        pieces.feed(bytes.mid(at, piece), &pieceLines);
        at += piece;
    }

    const std::optional<OutputLine> wholePending = whole.pending();
    const std::optional<OutputLine> piecePending = pieces.pending();
    if (wholePending.has_value() != piecePending.has_value())
        std::abort();
    if (wholePending) {
        if (!sameLines({*wholePending}, {*piecePending}))
            std::abort();
        checkLine(*wholePending, stream);
    }

    whole.flush(&wholeLines);
    pieces.flush(&pieceLines);
    if (!sameLines(wholeLines, pieceLines))
        std::abort(); // the result depends on how the output arrived
    if (whole.pending() || pieces.pending())
        std::abort(); // flush ends the pending line
    for (const OutputLine &line : std::as_const(wholeLines)) {
        checkLine(line, stream);
        paint(light, line);
        paint(dark, line);
    }
    return 0;
}
