#pragma once

#include "core/jobs/outputevent.h"

#include <QByteArrayView>
#include <QList>
#include <QString>

#include <optional>
#include <vector>

namespace gpuwb {

// Turns the raw bytes of one output stream into OutputLines, incrementally: UTF-8 is decoded
// across chunk boundaries (invalid bytes become U+FFFD), SGR colour and style sequences become
// TextSpans, '\r' returns to column 0 so a redrawn progress bar stays one line (see pending()),
// ESC[K erases, backspace moves back; every other escape sequence is consumed and dropped. A
// line longer than MaxLineLength is split, so memory stays bounded whatever the input. A plain
// value with no thread affinity: it is used by one thread at a time (a job's worker).
class TerminalParser
{
public:
    static constexpr int MaxLineLength = 64 * 1024;

    explicit TerminalParser(OutputStream stream);

    // Parses `bytes` and appends every line they finish to `finished`.
    void feed(QByteArrayView bytes, QList<OutputLine> *finished);
    // The unfinished current line, if it holds any text.
    std::optional<OutputLine> pending() const;
    // Ends the input: finishes an incomplete UTF-8 sequence and the pending line.
    void flush(QList<OutputLine> *finished);

    OutputStream stream() const { return m_stream; }

private:
    enum class State : quint8 { Ground, Escape, EscapeIntermediate, Csi, String, StringEscape };

    void feedByte(uchar byte, QList<OutputLine> *finished);
    void putChar(char32_t cp, QList<OutputLine> *finished);
    void writeText(QStringView text, QList<OutputLine> *finished);
    void endLine(QList<OutputLine> *finished);
    void dropIncompleteUtf8(QList<OutputLine> *finished);
    void executeControl(uchar byte, QList<OutputLine> *finished);
    void dispatchCsi(uchar final);
    void applySgr();
    void eraseInLine(int mode);
    OutputLine makeLine() const;
    void resetCsi();
    void addParam(int value);

    OutputStream m_stream;

    // The current line: text, the cursor in it, and a packed style per QChar (empty while the
    // whole line has the default style, which is by far the common case). Packing the style
    // into 64 bits keeps memory bounded by the line length, whatever colours a program uses.
    QString m_line;
    std::vector<quint64> m_cellStyles;
    int m_column = 0;

    // Terminal state that outlives lines.
    TextStyle m_style;
    quint64 m_styleKey = 0; // m_style packed; 0 is the default style

    // Escape sequence state.
    State m_state = State::Ground;
    static constexpr int MaxParams = 32;
    int m_params[MaxParams] = {};
    bool m_paramIsSub[MaxParams] = {}; // joined to the previous one by ':'
    int m_paramCount = 0;
    bool m_paramStarted = false;   // digits of the last parameter are being read
    bool m_afterSeparator = false; // the last byte was ';' or ':'
    bool m_nextIsSub = false;      // the next parameter follows a ':'
    bool m_csiPrivate = false;    // a '<', '=', '>' or '?' prefix: not for us
    bool m_csiIntermediate = false;
    int m_sequenceLength = 0;

    // UTF-8 decoder state.
    char32_t m_codePoint = 0;
    int m_utf8Needed = 0;
    char32_t m_utf8Min = 0;
};

} // namespace gpuwb
