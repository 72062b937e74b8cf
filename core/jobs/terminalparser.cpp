#include "core/jobs/terminalparser.h"

#include <algorithm>

namespace gpuwb {

namespace {

constexpr char32_t ReplacementChar = 0xFFFD;
// Longest escape sequence we keep reading; anything longer is hostile or broken, and showing
// the rest as text beats swallowing all further output.
constexpr int MaxCsiLength = 4096;
constexpr int MaxStringLength = 64 * 1024;
constexpr int MaxParamValue = 99999;

quint64 packColor(const TermColor &c)
{
    return (quint64(c.kind) << 24) | (c.value & 0xFFFFFF);
}

TermColor unpackColor(quint64 bits)
{
    TermColor c;
    c.kind = TermColor::Kind((bits >> 24) & 0x3);
    c.value = quint32(bits & 0xFFFFFF);
    return c;
}

quint64 packStyle(const TextStyle &s)
{
    return packColor(s.foreground) | (packColor(s.background) << 26) | (quint64(s.bold) << 52)
           | (quint64(s.faint) << 53) | (quint64(s.italic) << 54) | (quint64(s.underline) << 55)
           | (quint64(s.inverse) << 56);
}

TextStyle unpackStyle(quint64 key)
{
    TextStyle s;
    s.foreground = unpackColor(key & 0x3FFFFFF);
    s.background = unpackColor((key >> 26) & 0x3FFFFFF);
    s.bold = (key >> 52) & 1;
    s.faint = (key >> 53) & 1;
    s.italic = (key >> 54) & 1;
    s.underline = (key >> 55) & 1;
    s.inverse = (key >> 56) & 1;
    return s;
}

} // namespace

TerminalParser::TerminalParser(OutputStream stream) : m_stream(stream) {}

void TerminalParser::feed(QByteArrayView bytes, QList<OutputLine> *finished)
{
    const char *p = bytes.data();
    const char *const end = p + bytes.size();
    while (p < end) {
        if (m_state == State::Ground && m_utf8Needed == 0) {
            // Fast path: a run of printable ASCII, appended at once.
            const char *q = p;
            while (q < end && uchar(*q) >= 0x20 && uchar(*q) < 0x7F)
                ++q;
            if (q > p) {
                const qsizetype n = q - p;
                if (m_column == m_line.size() && m_cellStyles.empty() && m_styleKey == 0
                    && m_column + n <= MaxLineLength) {
                    m_line.append(QLatin1StringView(p, n));
                    m_column += int(n);
                } else {
                    writeText(QString::fromLatin1(p, n), finished);
                }
                p = q;
                continue;
            }
        }
        feedByte(uchar(*p++), finished);
    }
}

std::optional<OutputLine> TerminalParser::pending() const
{
    if (m_line.isEmpty())
        return std::nullopt;
    return makeLine();
}

void TerminalParser::flush(QList<OutputLine> *finished)
{
    dropIncompleteUtf8(finished);
    m_state = State::Ground;
    if (!m_line.isEmpty())
        endLine(finished);
    m_column = 0;
}

void TerminalParser::dropIncompleteUtf8(QList<OutputLine> *finished)
{
    if (m_utf8Needed == 0)
        return;
    m_utf8Needed = 0;
    putChar(ReplacementChar, finished);
}

void TerminalParser::feedByte(uchar b, QList<OutputLine> *finished)
{
    // Inside an OSC/DCS string every byte but its terminators is payload, UTF-8 included.
    if (m_state == State::String) {
        if (b == 0x07 || b == 0x18 || b == 0x1A) {
            m_state = State::Ground;
        } else if (b == 0x1B) {
            m_state = State::StringEscape;
        } else if (++m_sequenceLength > MaxStringLength) {
            m_state = State::Ground;
        }
        return;
    }
    if (m_state == State::StringEscape) {
        if (b == '\\') {
            m_state = State::Ground;
            return;
        }
        // An ESC inside a string ends it and starts a new sequence.
        m_state = State::Escape;
    }

    if (m_utf8Needed > 0) {
        if ((b & 0xC0) == 0x80) {
            m_codePoint = (m_codePoint << 6) | (b & 0x3F);
            if (--m_utf8Needed == 0) {
                const char32_t cp = m_codePoint;
                const bool valid = cp >= m_utf8Min && cp <= 0x10FFFF
                                   && !(cp >= 0xD800 && cp <= 0xDFFF);
                putChar(valid ? cp : ReplacementChar, finished);
            }
            return;
        }
        // The sequence broke off: one replacement for it, then this byte on its own.
        dropIncompleteUtf8(finished);
    }

    if (b >= 0x80) {
        if (m_state != State::Ground)
            m_state = State::Ground; // not part of any sequence we know: show it as text
        if (b >= 0xC2 && b <= 0xDF) {
            m_utf8Needed = 1;
            m_codePoint = b & 0x1F;
            m_utf8Min = 0x80;
        } else if (b >= 0xE0 && b <= 0xEF) {
            m_utf8Needed = 2;
            m_codePoint = b & 0x0F;
            m_utf8Min = 0x800;
        } else if (b >= 0xF0 && b <= 0xF4) {
            m_utf8Needed = 3;
            m_codePoint = b & 0x07;
            m_utf8Min = 0x10000;
        } else {
            putChar(ReplacementChar, finished);
        }
        return;
    }

    if (b < 0x20 || b == 0x7F) {
        executeControl(b, finished);
        return;
    }

    switch (m_state) {
    case State::Ground:
        putChar(b, finished);
        return;
    case State::Escape:
        if (b == '[') {
            resetCsi();
            m_state = State::Csi;
        } else if (b == ']' || b == 'P' || b == 'X' || b == '^' || b == '_') {
            m_sequenceLength = 0;
            m_state = State::String;
        } else if (b >= 0x20 && b <= 0x2F) {
            m_state = State::EscapeIntermediate;
        } else {
            m_state = State::Ground; // a two-byte sequence (charset, keypad mode, ...): dropped
        }
        return;
    case State::EscapeIntermediate:
        if (b >= 0x30)
            m_state = State::Ground;
        return;
    case State::Csi:
        if (++m_sequenceLength > MaxCsiLength) {
            m_state = State::Ground;
            return;
        }
        if (b >= '0' && b <= '9') {
            if (!m_paramStarted) {
                addParam(0);
                m_paramStarted = true;
            }
            if (m_paramCount > 0 && m_paramCount <= MaxParams) {
                int &v = m_params[m_paramCount - 1];
                v = std::min(v * 10 + (b - '0'), MaxParamValue);
            }
            m_afterSeparator = false;
        } else if (b == ';' || b == ':') {
            if (!m_paramStarted)
                addParam(-1);
            m_paramStarted = false;
            m_afterSeparator = true;
            m_nextIsSub = (b == ':');
        } else if (b >= 0x3C && b <= 0x3F) {
            m_csiPrivate = true;
        } else if (b >= 0x20 && b <= 0x2F) {
            m_csiIntermediate = true;
        } else if (b >= 0x40 && b <= 0x7E) {
            if (m_afterSeparator)
                addParam(-1);
            m_state = State::Ground;
            dispatchCsi(b);
        }
        return;
    case State::String:
    case State::StringEscape:
        return; // handled above
    }
}

void TerminalParser::executeControl(uchar b, QList<OutputLine> *finished)
{
    switch (b) {
    case 0x1B:
        m_state = State::Escape;
        return;
    case 0x18: // CAN and SUB abort a sequence
    case 0x1A:
        m_state = State::Ground;
        return;
    case '\n':
    case 0x0B: // vertical tab and form feed act as line feeds, as in terminals
    case 0x0C:
        endLine(finished);
        return;
    case '\r':
        m_column = 0;
        return;
    case '\b':
        if (m_column > 0) {
            --m_column;
            if (m_column > 0 && m_column < m_line.size() && m_line.at(m_column).isLowSurrogate()
                && m_line.at(m_column - 1).isHighSurrogate())
                --m_column;
        }
        return;
    case '\t':
        if (m_state == State::Ground) {
            const QChar tab(u'\t');
            writeText(QStringView(&tab, 1), finished);
        }
        return;
    default:
        return; // BEL, NUL, DEL and the other controls have no visible effect
    }
}

void TerminalParser::putChar(char32_t cp, QList<OutputLine> *finished)
{
    if (cp >= 0x80 && cp <= 0x9F)
        return; // C1 controls, encoded as UTF-8: never text
    if (cp < 0x10000) {
        const QChar c(char16_t(cp & 0xFFFF));
        writeText(QStringView(&c, 1), finished);
    } else {
        const char16_t pair[2] = {QChar::highSurrogate(cp), QChar::lowSurrogate(cp)};
        writeText(QStringView(pair, 2), finished);
    }
}

void TerminalParser::writeText(QStringView text, QList<OutputLine> *finished)
{
    while (!text.isEmpty()) {
        if (m_column >= MaxLineLength)
            endLine(finished); // an overlong line wraps onto a new one
        qsizetype room = MaxLineLength - m_column;
        QStringView part = text.first(std::min(room, text.size()));
        if (part.size() < text.size() && part.back().isHighSurrogate()) {
            if (part.size() == 1) { // keep a surrogate pair together on the next line
                endLine(finished);
                continue;
            }
            part.chop(1);
        }
        if (m_column > m_line.size()) {
            // The cursor was moved past the end: the gap is blank.
            if (!m_cellStyles.empty())
                m_cellStyles.resize(m_column, 0);
            m_line.append(QString(m_column - m_line.size(), u' '));
        }
        const qsizetype oldSize = m_line.size();
        if (m_column == oldSize)
            m_line.append(part);
        else
            m_line.replace(m_column, std::min(part.size(), oldSize - m_column), part.data(),
                           part.size());
        if (m_styleKey != 0 || !m_cellStyles.empty()) {
            m_cellStyles.resize(m_line.size(), 0);
            std::fill_n(m_cellStyles.begin() + m_column, part.size(), m_styleKey);
        }
        m_column += int(part.size());
        text = text.sliced(part.size());
    }
}

void TerminalParser::endLine(QList<OutputLine> *finished)
{
    finished->append(makeLine());
    m_line = QString();
    m_cellStyles.clear();
    m_column = 0;
}

OutputLine TerminalParser::makeLine() const
{
    OutputLine line;
    line.text = m_line;
    line.stream = m_stream;
    const int n = int(m_cellStyles.size());
    for (int i = 0; i < n;) {
        const quint64 key = m_cellStyles[i];
        int j = i + 1;
        while (j < n && m_cellStyles[j] == key)
            ++j;
        if (key != 0)
            line.spans.append(TextSpan{i, j - i, unpackStyle(key)});
        i = j;
    }
    return line;
}

void TerminalParser::resetCsi()
{
    m_paramCount = 0;
    m_paramStarted = false;
    m_afterSeparator = false;
    m_nextIsSub = false;
    m_csiPrivate = false;
    m_csiIntermediate = false;
    m_sequenceLength = 0;
}

void TerminalParser::addParam(int value)
{
    if (m_paramCount < MaxParams) {
        m_params[m_paramCount] = value;
        m_paramIsSub[m_paramCount] = m_nextIsSub;
    }
    ++m_paramCount; // counts past MaxParams so that digits of dropped parameters go nowhere
    m_nextIsSub = false;
}

void TerminalParser::dispatchCsi(uchar final)
{
    if (m_csiPrivate || m_csiIntermediate)
        return; // private modes (cursor visibility, ...) do not change the text
    const int count = std::min(m_paramCount, MaxParams);
    const auto param = [&](int i, int fallback) {
        return (i < count && m_params[i] > 0) ? m_params[i] : fallback;
    };
    switch (final) {
    case 'm':
        applySgr();
        return;
    case 'K':
        eraseInLine(count > 0 && m_params[0] > 0 ? m_params[0] : 0);
        return;
    case 'C':
        m_column = std::min(m_column + param(0, 1), int(MaxLineLength));
        return;
    case 'D':
        m_column = std::max(m_column - param(0, 1), 0);
        return;
    case 'G':
        m_column = std::clamp(param(0, 1) - 1, 0, int(MaxLineLength));
        return;
    default:
        return; // cursor movement across lines, scrolling, modes: dropped
    }
}

void TerminalParser::eraseInLine(int mode)
{
    const qsizetype size = m_line.size();
    if (mode == 0) {
        if (m_column < size) {
            m_line.truncate(m_column);
            if (!m_cellStyles.empty())
                m_cellStyles.resize(m_column);
        }
    } else if (mode == 1) {
        const qsizetype n = std::min<qsizetype>(m_column + 1, size);
        for (qsizetype i = 0; i < n; ++i)
            m_line[i] = u' ';
        if (!m_cellStyles.empty())
            std::fill_n(m_cellStyles.begin(), n, 0);
    } else if (mode == 2) {
        m_line = QString();
        m_cellStyles.clear();
    }
    if (!m_cellStyles.empty()
        && std::all_of(m_cellStyles.begin(), m_cellStyles.end(), [](quint64 k) { return k == 0; }))
        m_cellStyles.clear();
}

void TerminalParser::applySgr()
{
    const int count = std::min(m_paramCount, MaxParams);
    if (count == 0) {
        m_style = TextStyle();
        m_styleKey = 0;
        return;
    }
    // An extended colour (38/48): "38;5;n", "38;2;r;g;b" or the ':' forms, "38:2::r:g:b"
    // included. Returns the index of the last parameter it used.
    const auto extendedColor = [&](int i, TermColor *color) -> int {
        int subs[6];
        int subCount = 0;
        int j = i + 1;
        while (j < count && m_paramIsSub[j] && subCount < 6)
            subs[subCount++] = m_params[j++];
        const bool colonForm = subCount > 0;
        if (!colonForm) {
            for (j = i + 1; j < count && subCount < 5; ++j)
                subs[subCount++] = m_params[j];
        }
        if (subCount == 0)
            return colonForm ? j - 1 : count; // malformed: ignore the rest
        const auto clampByte = [](int v) { return quint32(std::clamp(v, 0, 255)); };
        if (subs[0] == 5) {
            if (subCount < 2)
                return colonForm ? j - 1 : count;
            if (subs[1] >= 0 && subs[1] <= 255)
                *color = TermColor{TermColor::Indexed, quint32(subs[1])};
            return colonForm ? j - 1 : i + 2;
        }
        if (subs[0] == 2) {
            int first = 1;
            if (colonForm && subCount >= 5)
                first = 2; // skip the colour space id
            if (subCount < first + 3)
                return colonForm ? j - 1 : count;
            *color = TermColor{TermColor::Rgb, (clampByte(subs[first]) << 16)
                                                   | (clampByte(subs[first + 1]) << 8)
                                                   | clampByte(subs[first + 2])};
            return colonForm ? j - 1 : i + 4;
        }
        return colonForm ? j - 1 : count; // unknown colour kind: the rest cannot be trusted
    };

    for (int i = 0; i < count; ++i) {
        if (m_paramIsSub[i] && i > 0)
            continue; // sub-parameters of something we do not use
        const int p = std::max(m_params[i], 0);
        const bool hasSubs = i + 1 < count && m_paramIsSub[i + 1];
        if (p == 0) {
            m_style = TextStyle();
        } else if (p == 1) {
            m_style.bold = true;
        } else if (p == 2) {
            m_style.faint = true;
        } else if (p == 3) {
            m_style.italic = true;
        } else if (p == 4) {
            m_style.underline = !(hasSubs && m_params[i + 1] == 0);
        } else if (p == 7) {
            m_style.inverse = true;
        } else if (p == 21) {
            m_style.underline = true; // double underline: shown as a plain one
        } else if (p == 22) {
            m_style.bold = false;
            m_style.faint = false;
        } else if (p == 23) {
            m_style.italic = false;
        } else if (p == 24) {
            m_style.underline = false;
        } else if (p == 27) {
            m_style.inverse = false;
        } else if (p >= 30 && p <= 37) {
            m_style.foreground = TermColor{TermColor::Indexed, quint32(p - 30)};
        } else if (p == 38) {
            i = extendedColor(i, &m_style.foreground);
        } else if (p == 39) {
            m_style.foreground = TermColor();
        } else if (p >= 40 && p <= 47) {
            m_style.background = TermColor{TermColor::Indexed, quint32(p - 40)};
        } else if (p == 48) {
            i = extendedColor(i, &m_style.background);
        } else if (p == 49) {
            m_style.background = TermColor();
        } else if (p >= 90 && p <= 97) {
            m_style.foreground = TermColor{TermColor::Indexed, quint32(p - 90 + 8)};
        } else if (p >= 100 && p <= 107) {
            m_style.background = TermColor{TermColor::Indexed, quint32(p - 100 + 8)};
        }
        // 5, 6 (blink), 8 (conceal), 9 (strike), 25, 28, 29 and the rest: no visible change here.
    }
    m_styleKey = packStyle(m_style);
}

} // namespace gpuwb
