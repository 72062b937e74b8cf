#pragma once

#include <QList>
#include <QMetaType>
#include <QString>

#include <optional>

namespace gpuwb {

enum class OutputStream : quint8 { Stdout, Stderr, System };

// Colour as the program asked for it: default, one of the 256 indexed colours, or RGB.
struct TermColor
{
    enum Kind : quint8 { Default, Indexed, Rgb } kind = Default;
    quint32 value = 0; // palette index for Indexed, 0xRRGGBB for Rgb
    friend bool operator==(const TermColor &, const TermColor &) = default;
};

struct TextStyle
{
    TermColor foreground;
    TermColor background;
    bool bold = false;
    bool faint = false;
    bool italic = false;
    bool underline = false;
    bool inverse = false;
    friend bool operator==(const TextStyle &, const TextStyle &) = default;
};

struct TextSpan
{
    int start = 0;
    int length = 0;
    TextStyle style;
    friend bool operator==(const TextSpan &, const TextSpan &) = default;
};

// One line of job output with escape sequences already interpreted: plain text plus the
// styled runs in it (runs with the default style are left out).
struct OutputLine
{
    QString text;
    QList<TextSpan> spans;
    OutputStream stream = OutputStream::Stdout;
};

// What a job hands to its views at each tick (principle 2: typed events, never string maps).
// `lines` are finished lines in order. `pending` holds, per stream, the unfinished last line
// (a carriage-return progress bar), which replaces the previous pending line of that stream.
// LocalJob sends the full set in every batch: a stream with no entry has no unfinished line.
// When a tick produced more lines than a view keeps, the oldest are left out and counted in
// `droppedLines`; they are still in the job's log on disk.
struct OutputBatch
{
    QList<OutputLine> lines;
    QList<OutputLine> pending;
    qint64 droppedLines = 0;
    qint64 bytes = 0;
};

} // namespace gpuwb

Q_DECLARE_METATYPE(gpuwb::OutputBatch)
