#include "core/jobs/terminalparser.h"

#include <QRandomGenerator>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace gpuwb;

namespace {

QList<OutputLine> parseAll(const QByteArray &bytes, std::optional<OutputLine> *pending = nullptr,
                           int chunk = 0)
{
    TerminalParser parser(OutputStream::Stdout);
    QList<OutputLine> lines;
    if (chunk <= 0) {
        parser.feed(bytes, &lines);
    } else {
        for (qsizetype i = 0; i < bytes.size(); i += chunk)
            parser.feed(QByteArrayView(bytes).sliced(i, std::min<qsizetype>(chunk, bytes.size() - i)),
                        &lines);
    }
    if (pending)
        *pending = parser.pending();
    parser.flush(&lines);
    return lines;
}

QStringList texts(const QList<OutputLine> &lines)
{
    QStringList out;
    for (const OutputLine &l : lines)
        out.append(l.text);
    return out;
}

// Spans are ordered, disjoint, inside the text and never carry the default style.
bool spansValid(const OutputLine &line)
{
    int end = 0;
    for (const TextSpan &s : line.spans) {
        if (s.start < end || s.length <= 0 || s.start + s.length > line.text.size()
            || s.style == TextStyle())
            return false;
        end = s.start + s.length;
    }
    return true;
}

TermColor indexed(quint32 i)
{
    return TermColor{TermColor::Indexed, i};
}

} // namespace

class TestTerminalParser : public QObject
{
    Q_OBJECT
private slots:
    void plainLines()
    {
        std::optional<OutputLine> pending;
        const auto lines = parseAll("one\ntwo\r\nthree"_ba, &pending);
        QCOMPARE(texts(lines), (QStringList{u"one"_s, u"two"_s, u"three"_s}));
        QVERIFY(pending);
        QCOMPARE(pending->text, u"three"_s);
        for (const OutputLine &l : lines) {
            QCOMPARE(l.stream, OutputStream::Stdout);
            QVERIFY(l.spans.isEmpty());
        }
    }

    void streamIsKept()
    {
        TerminalParser parser(OutputStream::Stderr);
        QList<OutputLine> lines;
        parser.feed("x\n", &lines);
        QCOMPARE(lines.size(), 1);
        QCOMPARE(lines[0].stream, OutputStream::Stderr);
    }

    void emptyLinesAreLines()
    {
        QCOMPARE(texts(parseAll("\n\n\r\n"_ba)), (QStringList{QString(), QString(), QString()}));
        std::optional<OutputLine> pending;
        QVERIFY(parseAll(QByteArray(), &pending).isEmpty());
        QVERIFY(!pending);
    }

    void utf8AcrossChunks()
    {
        const QString text = u"é € 😀 日本 ok"_s;
        const QByteArray bytes = text.toUtf8() + '\n';
        for (int chunk = 1; chunk <= 5; ++chunk)
            QCOMPARE(texts(parseAll(bytes, nullptr, chunk)), QStringList{text});
    }

    void invalidUtf8_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("expected");
        const QString r(QChar(0xFFFD));
        QTest::newRow("lone ff") << "a\xff" "b"_ba << u"a"_s + r + u"b"_s;
        QTest::newRow("stray continuation") << "\x80\xbf"_ba << r + r;
        QTest::newRow("overlong slash") << "\xc0\xaf"_ba << r + r;
        QTest::newRow("overlong 3 byte") << "\xe0\x80\xaf"_ba << r;
        QTest::newRow("surrogate") << "\xed\xa0\x80"_ba << r;
        QTest::newRow("above 10FFFF") << "\xf4\x90\x80\x80"_ba << r;
        QTest::newRow("truncated then ascii") << "\xe2\x82" "A"_ba << r + u"A"_s;
        QTest::newRow("truncated at end") << "ok\xe2\x82"_ba << u"ok"_s + r;
        QTest::newRow("truncated then escape") << "\xe2\x1b[31mX"_ba << r + u"X"_s;
        QTest::newRow("c1 control as utf8") << "a\xc2\x9b" "b"_ba << u"ab"_s;
    }

    void invalidUtf8()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, expected);
        for (int chunk : {0, 1, 2}) {
            const auto lines = parseAll(bytes, nullptr, chunk);
            QCOMPARE(lines.size(), 1);
            QCOMPARE(lines[0].text, expected);
        }
    }

    void sgrBasicColours()
    {
        const auto lines = parseAll("\x1b[31mred\x1b[0m plain \x1b[1;42mbold\x1b[m\n"_ba);
        QCOMPARE(lines.size(), 1);
        const OutputLine &l = lines[0];
        QCOMPARE(l.text, u"red plain bold"_s);
        QCOMPARE(l.spans.size(), 2);
        QCOMPARE(l.spans[0].start, 0);
        QCOMPARE(l.spans[0].length, 3);
        QCOMPARE(l.spans[0].style.foreground, indexed(1));
        QCOMPARE(l.spans[1].start, 10);
        QCOMPARE(l.spans[1].length, 4);
        QVERIFY(l.spans[1].style.bold);
        QCOMPARE(l.spans[1].style.background, indexed(2));
        QCOMPARE(l.spans[1].style.foreground, TermColor());
    }

    void sgrCodes_data()
    {
        QTest::addColumn<QByteArray>("sgr");
        QTest::addColumn<TextStyle>("expected");
        const auto style = [](auto f) {
            TextStyle s;
            f(s);
            return s;
        };
        QTest::newRow("bold") << "1"_ba << style([](TextStyle &s) { s.bold = true; });
        QTest::newRow("faint") << "2"_ba << style([](TextStyle &s) { s.faint = true; });
        QTest::newRow("italic") << "3"_ba << style([](TextStyle &s) { s.italic = true; });
        QTest::newRow("underline") << "4"_ba << style([](TextStyle &s) { s.underline = true; });
        QTest::newRow("inverse") << "7"_ba << style([](TextStyle &s) { s.inverse = true; });
        QTest::newRow("22 clears bold and faint") << "1;2;22;3"_ba
                                                  << style([](TextStyle &s) { s.italic = true; });
        QTest::newRow("23 24 27") << "3;4;7;23;24;27;1"_ba
                                  << style([](TextStyle &s) { s.bold = true; });
        QTest::newRow("fg 37") << "37"_ba << style([](TextStyle &s) { s.foreground = indexed(7); });
        QTest::newRow("bright fg") << "91"_ba << style([](TextStyle &s) { s.foreground = indexed(9); });
        QTest::newRow("bright bg") << "107"_ba
                                   << style([](TextStyle &s) { s.background = indexed(15); });
        QTest::newRow("bg 40") << "40"_ba << style([](TextStyle &s) { s.background = indexed(0); });
        QTest::newRow("256 fg") << "38;5;208"_ba
                                << style([](TextStyle &s) { s.foreground = indexed(208); });
        QTest::newRow("256 bg") << "48;5;17"_ba
                                << style([](TextStyle &s) { s.background = indexed(17); });
        QTest::newRow("rgb fg") << "38;2;1;2;3"_ba << style([](TextStyle &s) {
            s.foreground = TermColor{TermColor::Rgb, 0x010203};
        });
        QTest::newRow("rgb bg then bold") << "48;2;255;128;0;1"_ba << style([](TextStyle &s) {
            s.background = TermColor{TermColor::Rgb, 0xFF8000};
            s.bold = true;
        });
        QTest::newRow("colon rgb with colour space") << "38:2::10:20:30"_ba << style([](TextStyle &s) {
            s.foreground = TermColor{TermColor::Rgb, 0x0A141E};
        });
        QTest::newRow("colon indexed") << "38:5:99"_ba
                                       << style([](TextStyle &s) { s.foreground = indexed(99); });
        QTest::newRow("39 49 reset colours") << "31;41;39;49;4"_ba
                                             << style([](TextStyle &s) { s.underline = true; });
        QTest::newRow("0 resets") << "1;31;0;3"_ba << style([](TextStyle &s) { s.italic = true; });
        QTest::newRow("empty params reset") << "1;;3"_ba
                                            << style([](TextStyle &s) { s.italic = true; });
        QTest::newRow("256 out of range ignored") << "38;5;300;1"_ba
                                                  << style([](TextStyle &s) { s.bold = true; });
    }

    void sgrCodes()
    {
        QFETCH(QByteArray, sgr);
        QFETCH(TextStyle, expected);
        const auto lines = parseAll("\x1b[" + sgr + "mX\n");
        QCOMPARE(lines.size(), 1);
        QCOMPARE(lines[0].text, u"X"_s);
        QCOMPARE(lines[0].spans.size(), 1);
        QCOMPARE(lines[0].spans[0].style, expected);
    }

    void truncatedExtendedColourIsHarmless()
    {
        for (const QByteArray &sgr : {"38"_ba, "38;5"_ba, "38;2;1;2"_ba, "48;2"_ba, "38;9;1"_ba,
                                      "38:2"_ba, "38:5"_ba}) {
            const auto lines = parseAll("\x1b[" + sgr + "mX\n");
            QCOMPARE(lines.size(), 1);
            QCOMPARE(lines[0].text, u"X"_s);
            QVERIFY(spansValid(lines[0]));
        }
    }

    void styleOutlivesLines()
    {
        const auto lines = parseAll("\x1b[32mab\ncd\x1b[0m\nef\n"_ba);
        QCOMPARE(lines.size(), 3);
        QCOMPARE(lines[0].spans.size(), 1);
        QCOMPARE(lines[1].spans.size(), 1);
        QCOMPARE(lines[1].spans[0].style.foreground, indexed(2));
        QVERIFY(lines[2].spans.isEmpty());
    }

    void carriageReturnProgressIsOneLine()
    {
        TerminalParser parser(OutputStream::Stdout);
        QList<OutputLine> lines;
        for (int i = 0; i <= 100; i += 10) {
            parser.feed(QByteArray("\rprogress " + QByteArray::number(i) + "%"), &lines);
            QVERIFY(lines.isEmpty());
            QVERIFY(parser.pending());
        }
        QCOMPARE(parser.pending()->text, u"progress 100%"_s);
        parser.feed("\n", &lines);
        QCOMPARE(texts(lines), QStringList{u"progress 100%"_s});
        QVERIFY(!parser.pending());
    }

    void carriageReturnOverwrites()
    {
        QCOMPARE(texts(parseAll("abcdef\rXY\n"_ba)), QStringList{u"XYcdef"_s});
        QCOMPARE(texts(parseAll("abcdef\rXY\x1b[K\n"_ba)), QStringList{u"XY"_s});
        QCOMPARE(texts(parseAll("abcdef\rXY\x1b[0K\n"_ba)), QStringList{u"XY"_s});
        QCOMPARE(texts(parseAll("abcdef\x1b[2K\rXY\n"_ba)), QStringList{u"XY"_s});
        QCOMPARE(texts(parseAll("abcdef\x1b[3D\x1b[1K\n"_ba)), QStringList{u"    ef"_s});
    }

    void crLfAndCrCr()
    {
        QCOMPARE(texts(parseAll("a\r\r\nb\r\n"_ba)), (QStringList{u"a"_s, u"b"_s}));
    }

    void styledOverwriteKeepsStylesPerCharacter()
    {
        const auto lines = parseAll("aaaa\r\x1b[31mbb\x1b[0m\n"_ba);
        QCOMPARE(lines.size(), 1);
        QCOMPARE(lines[0].text, u"bbaa"_s);
        QCOMPARE(lines[0].spans.size(), 1);
        QCOMPARE(lines[0].spans[0].start, 0);
        QCOMPARE(lines[0].spans[0].length, 2);
    }

    void backspace()
    {
        QCOMPARE(texts(parseAll("abc\b\bX\n"_ba)), QStringList{u"aXc"_s});
        QCOMPARE(texts(parseAll("\b\b\bA\n"_ba)), QStringList{u"A"_s});
        QCOMPARE(texts(parseAll("a😀\b\bb\n"_ba)), QStringList{u"b😀"_s});
    }

    void cursorMovesPadWithBlanks()
    {
        QCOMPARE(texts(parseAll("a\x1b[3Cb\n"_ba)), QStringList{u"a   b"_s});
        QCOMPARE(texts(parseAll("abc\x1b[2GX\n"_ba)), QStringList{u"aXc"_s});
        QCOMPARE(texts(parseAll("\x1b[99999Cz\n"_ba)).size(), 2); // wraps, never grows past the cap
    }

    void tabIsKept()
    {
        QCOMPARE(texts(parseAll("a\tb\n"_ba)), QStringList{u"a\tb"_s});
    }

    void otherSequencesAreDropped()
    {
        const QByteArray input = "\x1b[2J\x1b[H\x1b[?25l\x1b]0;window title\x07text"
                                 "\x1b]8;;http://example.com\x1b\\link\x1b]8;;\x1b\\"
                                 "\x1b(B\x1b=\x1bPdevice\x1b\\\x1b[5A\x1b[>4;2m"
                                 "\x07\x01" "end\x7f\n"_ba;
        const auto lines = parseAll(input);
        QCOMPARE(texts(lines), QStringList{u"textlinkend"_s});
        QVERIFY(lines[0].spans.isEmpty());
    }

    void everySplitPointGivesTheSameResult()
    {
        const QByteArray input =
            "\x1b[1;38;2;10;20;30mhé\x1b[0m llo\r\x1b[Kwörld 😀\x1b]0;t\xc3\xa9tle\x1b\\x\n"
            "50%\r100%\x1b[31m!\x1b[m\r\n\xff\xe2\x82\x1b[4mu\x1b[24m\n"_ba;
        const QList<OutputLine> whole = parseAll(input);
        for (qsizetype split = 1; split < input.size(); ++split) {
            TerminalParser parser(OutputStream::Stdout);
            QList<OutputLine> lines;
            parser.feed(QByteArrayView(input).first(split), &lines);
            parser.feed(QByteArrayView(input).sliced(split), &lines);
            parser.flush(&lines);
            QCOMPARE(texts(lines), texts(whole));
            for (qsizetype i = 0; i < lines.size(); ++i)
                QCOMPARE(lines[i].spans, whole[i].spans);
        }
        QCOMPARE(texts(parseAll(input, nullptr, 1)), texts(whole));
    }

    void overlongLineIsSplit()
    {
        const int max = TerminalParser::MaxLineLength;
        TerminalParser parser(OutputStream::Stdout);
        QList<OutputLine> lines;
        const QByteArray chunk(1000, 'a');
        for (int i = 0; i < 300; ++i) {
            parser.feed(chunk, &lines);
            QVERIFY(!parser.pending() || parser.pending()->text.size() <= max);
        }
        parser.flush(&lines);
        qsizetype total = 0;
        for (const OutputLine &l : lines) {
            QVERIFY(l.text.size() <= max);
            total += l.text.size();
        }
        QCOMPARE(total, 300 * 1000);
        QCOMPARE(lines.first().text.size(), max);
    }

    void overlongLineKeepsSurrogatePairsWhole()
    {
        QByteArray input;
        for (int i = 0; i < 40000; ++i)
            input += "\xf0\x9f\x98\x80"; // U+1F600, two UTF-16 units each
        input += '\n';
        for (const OutputLine &l : parseAll(input)) {
            QVERIFY(l.text.size() <= TerminalParser::MaxLineLength);
            QVERIFY(!l.text.isEmpty() && !l.text.back().isHighSurrogate());
            QVERIFY(!l.text.front().isLowSurrogate());
        }
    }

    void hugeParameterListsAreBounded()
    {
        QByteArray input = "\x1b[";
        for (int i = 0; i < 1000; ++i)
            input += "31;";
        input += "99999999999999999999mX\n";
        const auto lines = parseAll(input);
        QVERIFY(!lines.isEmpty());
        QCOMPARE(lines.last().text.right(1), u"X"_s);
    }

    void unterminatedStringsDoNotSwallowEverything()
    {
        QByteArray input = "\x1b]0;";
        input += QByteArray(200 * 1024, 'x');
        input += "\nhello\n";
        const QStringList lines = texts(parseAll(input));
        QVERIFY(!lines.isEmpty());
        QCOMPARE(lines.last(), u"hello"_s);
        for (const QString &l : lines)
            QVERIFY(l.size() <= TerminalParser::MaxLineLength);
    }

    void unterminatedCsiDoesNotSwallowEverything()
    {
        QByteArray input = "\x1b[";
        input += QByteArray(100 * 1024, '1');
        input += "\nhello\n";
        QCOMPARE(texts(parseAll(input)).last(), u"hello"_s);
    }

    void randomBytesNeverBreakIt()
    {
        QRandomGenerator rng(20240611);
        const QByteArray alphabet = "\x1b[];:?0123456789mKCDGH\r\n\b\t\x07\\\xc3\xa9\xe2\x82\xac"
                                    "\xff\x80\xf0\x9f abc"_ba;
        for (int round = 0; round < 20; ++round) {
            QByteArray input(64 * 1024, '\0');
            for (char &c : input)
                c = (round % 2) ? char(rng.bounded(256))
                                : alphabet.at(rng.bounded(int(alphabet.size())));
            TerminalParser parser(OutputStream::Stdout);
            QList<OutputLine> lines;
            qsizetype pos = 0;
            while (pos < input.size()) {
                const qsizetype n = std::min<qsizetype>(1 + rng.bounded(700), input.size() - pos);
                parser.feed(QByteArrayView(input).sliced(pos, n), &lines);
                pos += n;
                if (auto p = parser.pending())
                    QVERIFY(spansValid(*p));
            }
            parser.flush(&lines);
            for (const OutputLine &l : lines) {
                QVERIFY(l.text.size() <= TerminalParser::MaxLineLength);
                QVERIFY(spansValid(l));
                for (QChar c : l.text)
                    QVERIFY(c.unicode() >= 0x20 || c == u'\t');
            }
        }
    }

    void manyDistinctColoursStayBounded()
    {
        // A progress bar that never ends its line and changes colour on every redraw.
        TerminalParser parser(OutputStream::Stdout);
        QList<OutputLine> lines;
        for (int i = 0; i < 100000; ++i) {
            const QByteArray redraw = "\r\x1b[38;2;" + QByteArray::number(i % 256) + ";"
                                      + QByteArray::number(i / 256 % 256) + ";7m#";
            parser.feed(redraw, &lines);
        }
        QVERIFY(lines.isEmpty());
        QCOMPARE(parser.pending()->text, u"#"_s);
        QCOMPARE(parser.pending()->spans.size(), 1);
    }
};

QTEST_GUILESS_MAIN(TestTerminalParser)
#include "tst_terminalparser.moc"
