#include "core/sync/ignorerules.h"

#include <QTest>

using namespace Qt::StringLiterals;
using namespace gpuwb;

// gitignore semantics, one row per case: the ignore files (base folder -> text), extra root
// patterns, the path asked about, whether it is a folder, and git's answer.
class TestIgnoreRules : public QObject
{
    Q_OBJECT
private slots:
    void table_data();
    void table();
    void gitAlwaysIgnored();
    void copyIsIndependent();
};

void TestIgnoreRules::table_data()
{
    QTest::addColumn<QString>("base");
    QTest::addColumn<QByteArray>("file");
    QTest::addColumn<QStringList>("extra");
    QTest::addColumn<QString>("path");
    QTest::addColumn<bool>("isDirectory");
    QTest::addColumn<bool>("ignored");

    const QStringList none;
    auto row = [&](const char *name, const QString &base, const QByteArray &file,
                   const QStringList &extra, const QString &path, bool dir, bool ignored) {
        QTest::newRow(name) << base << file << extra << path << dir << ignored;
    };
    row("name anywhere", {}, "*.o\n", none, u"a/b/c.o"_s, false, true);
    row("name no match", {}, "*.o\n", none, u"a/b/c.oo"_s, false, false);
    row("star not slash", {}, "a*c\n", none, u"ab/c"_s, false, false);
    row("anchored leading", {}, "/build\n", none, u"build"_s, true, true);
    row("anchored not deep", {}, "/build\n", none, u"src/build"_s, true, false);
    row("unanchored deep", {}, "build\n", none, u"src/build"_s, true, true);
    row("middle slash anchors", {}, "doc/*.txt\n", none, u"x/doc/a.txt"_s, false, false);
    row("middle slash match", {}, "doc/*.txt\n", none, u"doc/a.txt"_s, false, true);
    row("middle star no dir", {}, "doc/*.txt\n", none, u"doc/sub/a.txt"_s, false, false);
    row("dir only on file", {}, "out/\n", none, u"out"_s, false, false);
    row("dir only on dir", {}, "out/\n", none, u"out"_s, true, true);
    row("inside ignored dir", {}, "out/\n", none, u"out/x/y.bin"_s, false, true);
    row("negation", {}, "*.log\n!keep.log\n", none, u"keep.log"_s, false, false);
    row("negation order", {}, "!keep.log\n*.log\n", none, u"keep.log"_s, false, true);
    row("no reinclude in ignored dir", {}, "logs/\n!logs/keep.log\n", none,
        u"logs/keep.log"_s, false, true);
    row("leading doublestar", {}, "**/cache\n", none, u"a/b/cache"_s, true, true);
    row("leading doublestar top", {}, "**/cache\n", none, u"cache"_s, false, true);
    row("trailing doublestar", {}, "data/**\n", none, u"data/a/b"_s, false, true);
    row("trailing doublestar not itself", {}, "data/**\n", none, u"data"_s, true, false);
    row("middle doublestar zero", {}, "a/**/z\n", none, u"a/z"_s, false, true);
    row("middle doublestar many", {}, "a/**/z\n", none, u"a/b/c/z"_s, false, true);
    row("doublestar not component", {}, "a**z\n", none, u"a/b/z"_s, false, false);
    row("question", {}, "?.c\n", none, u"a.c"_s, false, true);
    row("question no slash", {}, "a?b\n", none, u"a/b"_s, false, false);
    row("class", {}, "[abc].txt\n", none, u"b.txt"_s, false, true);
    row("class range", {}, "file[0-9]\n", none, u"file7"_s, false, true);
    row("class negated", {}, "file[!0-9]\n", none, u"file7"_s, false, false);
    row("class negated match", {}, "file[!0-9]\n", none, u"filex"_s, false, true);
    row("comment", {}, "# *.c\n", none, u"# *.c"_s, false, false);
    row("escaped hash", {}, "\\#lit\n", none, u"#lit"_s, false, true);
    row("escaped bang", {}, "\\!lit\n", none, u"!lit"_s, false, true);
    row("escaped star", {}, "a\\*\n", none, u"ab"_s, false, false);
    row("escaped star literal", {}, "a\\*\n", none, u"a*"_s, false, true);
    row("trailing space trimmed", {}, "tmp   \n", none, u"tmp"_s, false, true);
    row("crlf", {}, "bin\r\n", none, u"bin"_s, false, true);
    row("subdir gitignore applies below", u"sub"_s, "*.tmp\n", none, u"sub/x/a.tmp"_s,
        false, true);
    row("subdir gitignore not outside", u"sub"_s, "*.tmp\n", none, u"other/a.tmp"_s, false,
        false);
    row("subdir anchored relative", u"sub"_s, "/gen\n", none, u"sub/gen"_s, true, true);
    row("subdir anchored not root", u"sub"_s, "/gen\n", none, u"gen"_s, true, false);
    row("subdir prefix is not parent", u"sub"_s, "*.tmp\n", none, u"subway/a.tmp"_s, false,
        false);
    row("extra overrides file", {}, "data/\n", {u"!data/"_s}, u"data/x.csv"_s, false, false);
    row("extra adds", {}, "", {u"checkpoints/"_s}, u"checkpoints/ep1.pt"_s, false, true);
    row("hostile name literal", {}, "$(rm -rf ~)\n", none, u"$(rm -rf ~)"_s, false, true);
    row("space in name", {}, "my file.txt\n", none, u"d/my file.txt"_s, false, true);
    row("non-utf8 name escaped", {}, "*.bin\n", none,
        u"a"_s + QChar(0xDCFF) + u".bin"_s, false, true);
    row("empty rules", {}, "", none, u"anything"_s, false, false);
}

void TestIgnoreRules::table()
{
    QFETCH(QString, base);
    QFETCH(QByteArray, file);
    QFETCH(QStringList, extra);
    QFETCH(QString, path);
    QFETCH(bool, isDirectory);
    QFETCH(bool, ignored);
    IgnoreRules rules;
    rules.addPatterns(base, file);
    for (const QString &p : extra)
        rules.addPattern(p);
    QCOMPARE(rules.isIgnored(path, isDirectory), ignored);
}

void TestIgnoreRules::gitAlwaysIgnored()
{
    IgnoreRules rules;
    rules.addPatterns({}, "!.git\n");
    QVERIFY(rules.isIgnored(u".git"_s, true));
    QVERIFY(rules.isIgnored(u".git/config"_s, false));
    QVERIFY(rules.isIgnored(u"sub/.git/HEAD"_s, false));
    QVERIFY(!rules.isIgnored(u".gitignore"_s, false));
}

void TestIgnoreRules::copyIsIndependent()
{
    IgnoreRules a;
    a.addPattern(u"*.x"_s);
    IgnoreRules b = a;
    b.addPattern(u"*.y"_s);
    QVERIFY(a.isIgnored(u"f.x"_s, false));
    QVERIFY(!a.isIgnored(u"f.y"_s, false));
    QVERIFY(b.isIgnored(u"f.y"_s, false));
}

QTEST_GUILESS_MAIN(TestIgnoreRules)
#include "tst_ignorerules.moc"
