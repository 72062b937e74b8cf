#include "core/util/shellquote.h"

#include <QProcess>
#include <QRandomGenerator>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace gpuwb;

namespace {

// What a real /bin/sh makes of `printf '%s\0' <command line>`: the arguments it received.
QList<QByteArray> throughShell(const QString &quotedArguments)
{
    QProcess sh;
    sh.start(u"/bin/sh"_s, {u"-c"_s, u"printf '%s\\0' "_s + quotedArguments});
    if (!sh.waitForFinished(30000) || sh.exitCode() != 0)
        return {QByteArray("<shell failed: ") + sh.readAllStandardError() + '>'};
    QList<QByteArray> out = sh.readAllStandardOutput().split('\0');
    out.removeLast(); // after the last terminator
    return out;
}

const QStringList Hostile{
    u"plain"_s,        u"with space"_s,     u"it's"_s,         u"''"_s,
    u"'"_s,            u"\"double\""_s,     u"$(touch pwned)"_s, u"`id`"_s,
    u"$HOME"_s,        u"${HOME}"_s,        u"back\\slash"_s,   u"trailing\\"_s,
    u"new\nline"_s,    u"tab\there"_s,      u"*"_s,            u"?"_s,
    u"[a-z]"_s,        u"~"_s,              u"~root"_s,        u"=x"_s,
    u"a=b"_s,          u"!"_s,              u"!!"_s,           u"#hash"_s,
    u"a#b"_s,          u"; rm -rf /"_s,     u"a|b"_s,          u"a&b"_s,
    u"a>b"_s,          u"<in"_s,            u"(sub)"_s,        u"{a,b}"_s,
    u"-n"_s,           u"--"_s,             u"ünïcödé"_s,      u"😀 emoji"_s,
    u"\r"_s,           u"\u00a0nbsp"_s,     u"%s%n"_s,         u"\\'\\\""_s};

} // namespace

class TestShellQuote : public QObject
{
    Q_OBJECT
private slots:
    void eachStringRoundTrips_data()
    {
        QTest::addColumn<QString>("value");
        QTest::newRow("empty") << QString();
        for (const QString &s : Hostile)
            QTest::newRow(qPrintable(QString::fromLatin1(s.toUtf8().toPercentEncoding()))) << s;
        QTest::newRow("long") << QString(20000, u'\'') + u"x y"_s; // argv strings stop at 128 KiB
    }

    void eachStringRoundTrips()
    {
        QFETCH(QString, value);
        const QList<QByteArray> got = throughShell(shellQuote(value));
        QCOMPARE(got.size(), 1);
        QCOMPARE(got.first(), value.toUtf8());
    }

    void joinRoundTrips()
    {
        QStringList args = Hostile;
        args.insert(3, QString());
        const QList<QByteArray> got = throughShell(shellJoin(args));
        QCOMPARE(got.size(), args.size());
        for (qsizetype i = 0; i < args.size(); ++i)
            QCOMPARE(got[i], args[i].toUtf8());
    }

    void randomStringsRoundTrip()
    {
        QRandomGenerator rng(4242);
        const QString alphabet = u"ab '\"\\$`!#&|;<>()[]{}*?~=%\n\t-é😀"_s;
        QStringList args;
        for (int i = 0; i < 300; ++i) {
            QString s;
            const int n = rng.bounded(12);
            for (int j = 0; j < n; ++j) {
                const int k = rng.bounded(int(alphabet.size()));
                if (alphabet.at(k).isLowSurrogate())
                    continue;
                s += alphabet.at(k);
                if (alphabet.at(k).isHighSurrogate())
                    s += alphabet.at(k + 1);
            }
            args.append(s);
        }
        const QList<QByteArray> got = throughShell(shellJoin(args));
        QCOMPARE(got.size(), args.size());
        for (qsizetype i = 0; i < args.size(); ++i)
            QCOMPARE(got[i], args[i].toUtf8());
    }

    void safeStringsStayReadable()
    {
        QCOMPARE(shellQuote(u"abc"_s), u"abc"_s);
        QCOMPARE(shellQuote(u"./build/saxpy"_s), u"./build/saxpy"_s);
        QCOMPARE(shellQuote(u"-DCMAKE_BUILD_TYPE=Release"_s), u"-DCMAKE_BUILD_TYPE=Release"_s);
        QCOMPARE(shellQuote(QString()), u"''"_s);
        QCOMPARE(shellQuote(u"a b"_s), u"'a b'"_s);
    }
};

QTEST_GUILESS_MAIN(TestShellQuote)
#include "tst_shellquote.moc"
