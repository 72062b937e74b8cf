#include "core/ssh/remotepath.h"

#include <QRandomGenerator>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace gpuwb;

namespace {

QString escaped(uchar byte)
{
    return QString(QChar(char16_t(0xDC00 + byte)));
}

} // namespace

class TestRemotePath : public QObject
{
    Q_OBJECT
private slots:
    void everySingleByte()
    {
        for (int b = 0; b < 256; ++b) {
            const QByteArray bytes(1, char(b));
            const QString text = fromRemoteBytes(bytes);
            QCOMPARE(text.size(), 1);
            if (b < 0x80)
                QCOMPARE(text.at(0).unicode(), char16_t(b));
            else
                QCOMPARE(text, escaped(uchar(b)));
            QCOMPARE(toRemoteBytes(text), bytes);
        }
    }

    void everyByteInsideAName()
    {
        for (int b = 1; b < 256; ++b) {
            const QByteArray bytes = QByteArray("a ") + char(b) + QByteArray("b.txt");
            QCOMPARE(toRemoteBytes(fromRemoteBytes(bytes)), bytes);
        }
    }

    void validUtf8_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("text");
        QTest::newRow("ascii") << QByteArray("/home/me/a b.txt") << u"/home/me/a b.txt"_s;
        QTest::newRow("2-byte") << QByteArray("\xc3\xbc") << u"ü"_s;
        QTest::newRow("smallest 2-byte") << QByteArray("\xc2\x80") << QString(QChar(0x80));
        QTest::newRow("3-byte") << QByteArray("\xe2\x82\xac") << u"€"_s;
        QTest::newRow("smallest 3-byte") << QByteArray("\xe0\xa0\x80") << QString(QChar(0x800));
        QTest::newRow("before surrogates") << QByteArray("\xed\x9f\xbf")
                                           << QString(QChar(0xD7FF));
        QTest::newRow("after surrogates") << QByteArray("\xee\x80\x80")
                                          << QString(QChar(0xE000));
        QTest::newRow("U+FFFF") << QByteArray("\xef\xbf\xbf") << QString(QChar(0xFFFF));
        QTest::newRow("4-byte emoji") << QByteArray("\xf0\x9f\x98\x80") << u"😀"_s;
        QTest::newRow("U+10080 (low half DC80)")
            << QByteArray("\xf0\x90\x82\x80") << QString::fromUcs4(U"\U00010080", 1);
        QTest::newRow("U+10FFFF") << QByteArray("\xf4\x8f\xbf\xbf")
                                  << QString::fromUcs4(U"\U0010FFFF", 1);
        QTest::newRow("mixed") << QByteArray("d\xc3\xa9j\xc3\xa0 vu \xe2\x9c\x93")
                               << u"déjà vu ✓"_s;
    }

    void validUtf8()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, text);
        QCOMPARE(fromRemoteBytes(bytes), text);
        QCOMPARE(toRemoteBytes(text), bytes);
        QCOMPARE(QString::fromUtf8(bytes), text); // agrees with Qt where the input is valid
    }

    void invalidUtf8_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("text");
        const QString e80 = escaped(0x80);
        QTest::newRow("lone continuation") << QByteArray("a\x80z") << u"a"_s + e80 + u"z"_s;
        QTest::newRow("0xff 0xfe") << QByteArray("\xff\xfe") << escaped(0xff) + escaped(0xfe);
        QTest::newRow("overlong slash C0 AF")
            << QByteArray("\xc0\xaf") << escaped(0xc0) + escaped(0xaf);
        QTest::newRow("overlong NUL C0 80")
            << QByteArray("\xc0\x80") << escaped(0xc0) + escaped(0x80);
        QTest::newRow("overlong C1 BF") << QByteArray("\xc1\xbf") << escaped(0xc1) + escaped(0xbf);
        QTest::newRow("overlong 3-byte slash")
            << QByteArray("\xe0\x80\xaf") << escaped(0xe0) + escaped(0x80) + escaped(0xaf);
        QTest::newRow("overlong 4-byte")
            << QByteArray("\xf0\x80\x80\xaf")
            << escaped(0xf0) + escaped(0x80) + escaped(0x80) + escaped(0xaf);
        QTest::newRow("encoded surrogate D800")
            << QByteArray("\xed\xa0\x80") << escaped(0xed) + escaped(0xa0) + escaped(0x80);
        QTest::newRow("encoded surrogate DCFF")
            << QByteArray("\xed\xb3\xbf") << escaped(0xed) + escaped(0xb3) + escaped(0xbf);
        QTest::newRow("beyond U+10FFFF")
            << QByteArray("\xf4\x90\x80\x80")
            << escaped(0xf4) + escaped(0x90) + escaped(0x80) + escaped(0x80);
        QTest::newRow("F5 lead") << QByteArray("\xf5\x80") << escaped(0xf5) + escaped(0x80);
        QTest::newRow("truncated 2-byte at end") << QByteArray("x\xc3") << u"x"_s + escaped(0xc3);
        QTest::newRow("truncated 3-byte then ascii")
            << QByteArray("\xe2\x82z") << escaped(0xe2) + escaped(0x82) + u"z"_s;
        QTest::newRow("truncated 4-byte then valid")
            << QByteArray("\xf0\x9f\x98\xc3\xbc") << escaped(0xf0) + escaped(0x9f) + escaped(0x98)
                                                          + u"ü"_s;
        QTest::newRow("latin-1 name") << QByteArray("caf\xe9.txt")
                                      << u"caf"_s + escaped(0xe9) + u".txt"_s;
    }

    void invalidUtf8()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, text);
        QCOMPARE(fromRemoteBytes(bytes), text);
        QCOMPARE(toRemoteBytes(text), bytes);
    }

    // An escaped byte right after a valid 4-byte character must not pair with its high half.
    void escapeAfterSupplementary()
    {
        const QByteArray bytes("\xf0\x9f\x98\x80\x80");
        const QString text = fromRemoteBytes(bytes);
        QCOMPARE(text, u"😀"_s + escaped(0x80));
        QCOMPARE(toRemoteBytes(text), bytes);
    }

    void loneSurrogatesFromPeopleBecomeReplacement()
    {
        QCOMPARE(toRemoteBytes(QString(QChar(0xD800))), QByteArray("\xef\xbf\xbd"));
        QCOMPARE(toRemoteBytes(QString(QChar(0xDC10))), QByteArray("\xef\xbf\xbd"));
    }

    void randomBytesRoundTrip()
    {
        QRandomGenerator random(20240611);
        for (int round = 0; round < 20000; ++round) {
            QByteArray bytes(int(random.bounded(1, 40)), Qt::Uninitialized);
            // Bias toward bytes >= 0x80 so that multi-byte sequences, valid or not, are common.
            for (char &c : bytes)
                c = char(random.bounded(4) == 0 ? random.bounded(0x80)
                                                : random.bounded(0x80, 0x100));
            const QString text = fromRemoteBytes(bytes);
            if (toRemoteBytes(text) != bytes)
                QFAIL(qPrintable(u"round trip lost "_s + QString::fromLatin1(bytes.toHex(' '))));
            // Whatever the bytes, the text must be a well-formed QString apart from escapes.
            QCOMPARE(fromRemoteBytes(toRemoteBytes(text)), text);
        }
    }

    void randomUnicodeRoundTrip()
    {
        QRandomGenerator random(7);
        for (int round = 0; round < 5000; ++round) {
            QString text;
            for (int k = 0; k < 12; ++k) {
                char32_t c = random.bounded(1, 0x110000);
                if (c >= 0xD800 && c <= 0xDFFF)
                    c = 'x';
                text.append(QString::fromUcs4(&c, 1));
            }
            QCOMPARE(fromRemoteBytes(toRemoteBytes(text)), text);
            QCOMPARE(toRemoteBytes(text), text.toUtf8());
        }
    }
};

QTEST_GUILESS_MAIN(TestRemotePath)
#include "tst_remotepath.moc"
