#include "core/fs/location.h"

#include <QDir>
#include <QSet>
#include <QTest>
#include <QVariant>

using namespace Qt::StringLiterals;
using namespace gpuwb;

class TestLocation : public QObject
{
    Q_OBJECT

private slots:
    void localPathsAreCleanAndAbsolute_data()
    {
        QTest::addColumn<QString>("input");
        QTest::addColumn<QString>("path");
        QTest::newRow("plain") << u"/home/me/project"_s << u"/home/me/project"_s;
        QTest::newRow("trailing slash") << u"/home/me/"_s << u"/home/me"_s;
        QTest::newRow("root") << u"/"_s << u"/"_s;
        QTest::newRow("double slashes") << u"/a//b///c"_s << u"/a/b/c"_s;
        QTest::newRow("dots") << u"/a/./b/../c"_s << u"/a/c"_s;
        QTest::newRow("colon inside") << u"/tmp/a:b"_s << u"/tmp/a:b"_s;
        QTest::newRow("spaces and quotes") << u"/tmp/it's \"x\" $(y)"_s
                                           << u"/tmp/it's \"x\" $(y)"_s;
        QTest::newRow("newline") << u"/tmp/line\nbreak"_s << u"/tmp/line\nbreak"_s;
    }
    void localPathsAreCleanAndAbsolute()
    {
        QFETCH(QString, input);
        QFETCH(QString, path);
        const Location l = Location::local(input);
        QVERIFY(l.isValid());
        QVERIFY(l.isLocal());
        QCOMPARE(l.host(), QString());
        QCOMPARE(l.path(), path);
        QCOMPARE(l.toString(), path);
        QCOMPARE(Location::fromString(input), l);
    }

    void relativeLocalPathsResolveAgainstTheWorkingDirectory()
    {
        const Location l = Location::local(u"some/file.txt"_s);
        QCOMPARE(l.path(), QDir::cleanPath(QDir::currentPath() + u"/some/file.txt"_s));
    }

    void defaultIsInvalid()
    {
        const Location l;
        QVERIFY(!l.isValid());
        QVERIFY(l.isLocal());
        QCOMPARE(l.toString(), QString());
    }

    void remoteParsing_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("host");
        QTest::addColumn<QString>("path");
        QTest::newRow("host:/path") << u"gpu1:/home/me/x"_s << u"gpu1"_s << u"/home/me/x"_s;
        QTest::newRow("user@host") << u"me@gpu1.example.org:/data"_s << u"me@gpu1.example.org"_s
                                   << u"/data"_s;
        QTest::newRow("relative path") << u"gpu1:jobs/x"_s << u"gpu1"_s << u"/jobs/x"_s;
        QTest::newRow("empty path") << u"gpu1:"_s << u"gpu1"_s << u"/"_s;
        QTest::newRow("trailing slash") << u"gpu1:/a/b/"_s << u"gpu1"_s << u"/a/b"_s;
        QTest::newRow("colon in path") << u"gpu1:/a:b"_s << u"gpu1"_s << u"/a:b"_s;
        QTest::newRow("hostile path") << u"gpu1:/x/$(rm -rf ~)/'q'"_s << u"gpu1"_s
                                      << u"/x/$(rm -rf ~)/'q'"_s;
    }
    void remoteParsing()
    {
        QFETCH(QString, text);
        QFETCH(QString, host);
        QFETCH(QString, path);
        const Location l = Location::fromString(text);
        QVERIFY(!l.isLocal());
        QCOMPARE(l.host(), host);
        QCOMPARE(l.path(), path);
        QCOMPARE(l.toString(), host + u':' + path);
        QCOMPARE(l.displayName(), l.toString());
        QCOMPARE(Location::fromString(l.toString()), l);
        QCOMPARE(Location::remote(host, path), l);
    }

    void windowsDriveLettersAreNotHosts()
    {
        QVERIFY(Location::fromString(u"C:/Users"_s).isLocal());
    }

    void fileNameAndParent()
    {
        const Location l = Location::fromString(u"gpu1:/a/b/c.txt"_s);
        QCOMPARE(l.fileName(), u"c.txt"_s);
        QCOMPARE(l.parent(), Location::remote(u"gpu1"_s, u"/a/b"_s));
        QCOMPARE(l.parent().parent().parent(), Location::remote(u"gpu1"_s, u"/"_s));
        // The root is its own parent, so walking up always ends.
        QCOMPARE(Location::local(u"/"_s).parent(), Location::local(u"/"_s));
        QCOMPARE(Location::local(u"/a"_s).parent(), Location::local(u"/"_s));
        QCOMPARE(Location::local(u"/"_s).fileName(), u"/"_s);
        QCOMPARE(Location().parent(), Location());
    }

    void child()
    {
        const Location dir = Location::local(u"/a/b"_s);
        QCOMPARE(dir.child(u"c"_s), Location::local(u"/a/b/c"_s));
        QCOMPARE(dir.child(u"c"_s).parent(), dir);
        QCOMPARE(Location::local(u"/"_s).child(u"etc"_s), Location::local(u"/etc"_s));
        QCOMPARE(dir.child(u"x/y"_s), Location::local(u"/a/b/x/y"_s));
        QCOMPARE(dir.child(u"with space 'q' \n"_s).fileName(), u"with space 'q' \n"_s);
        const Location remote = Location::remote(u"h"_s, u"/r"_s);
        QCOMPARE(remote.child(u"f"_s), Location::remote(u"h"_s, u"/r/f"_s));
        QVERIFY(!remote.child(u"f"_s).isLocal());
    }

    void isInsideAndRelativeTo()
    {
        const Location base = Location::local(u"/p/proj"_s);
        const Location file = Location::local(u"/p/proj/src/main.cu"_s);
        QVERIFY(file.isInside(base));
        QVERIFY(base.isInside(base));
        QCOMPARE(file.relativeTo(base), u"src/main.cu"_s);
        QCOMPARE(base.relativeTo(base), u"."_s);

        // A sibling whose name starts with the same text is not inside.
        const Location sibling = Location::local(u"/p/project2/x"_s);
        QVERIFY(!sibling.isInside(base));
        QCOMPARE(sibling.relativeTo(base), QString());
        QVERIFY(!base.isInside(file));

        QVERIFY(file.isInside(Location::local(u"/"_s)));
        QCOMPARE(file.relativeTo(Location::local(u"/"_s)), u"p/proj/src/main.cu"_s);

        // Same path on another host, or local against remote, is never inside.
        const Location remoteBase = Location::remote(u"gpu1"_s, u"/p/proj"_s);
        const Location remoteFile = Location::remote(u"gpu1"_s, u"/p/proj/a"_s);
        QVERIFY(!file.isInside(remoteBase));
        QVERIFY(!remoteFile.isInside(base));
        QVERIFY(!remoteFile.isInside(Location::remote(u"gpu2"_s, u"/p/proj"_s)));
        QCOMPARE(remoteFile.relativeTo(remoteBase), u"a"_s);
        QCOMPARE(remoteFile.relativeTo(base), QString());
    }

    void equalityHashAndVariant()
    {
        const Location a = Location::local(u"/x"_s);
        const Location b = Location::remote(u"gpu"_s, u"/x"_s);
        QVERIFY(a != b);
        QSet<Location> set{a, b, Location::local(u"/x/"_s)};
        QCOMPARE(set.size(), 2);
        QVERIFY(set.contains(Location::fromString(u"gpu:/x"_s)));

        const QVariant v = QVariant::fromValue(b);
        QCOMPARE(v.value<Location>(), b);
    }
};

QTEST_GUILESS_MAIN(TestLocation)
#include "tst_location.moc"
