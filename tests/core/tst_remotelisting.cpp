// The remote listing is hostile input (issue 10, item 1): RemoteTree::parseFindOutput reads
// only what lies between its start and end markers, checks every field, and turns anything it
// cannot read with certainty into an error, never into a guess.
#include "core/ssh/remotepath.h"
#include "core/sync/remotetree.h"
#include "core/util/shellquote.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace gpuwb;

namespace {

const QByteArray Nonce = "k3x9q";

QByteArray record(const char *text)
{
    return QByteArray(text) + '\0';
}

QByteArray listing(const QByteArray &records, const QByteArray &status = "0")
{
    return "gpuwb-list " + Nonce + '\n' + records + "gpuwb-end " + Nonce + ' ' + status + '\n';
}

} // namespace

class TestRemoteListing : public QObject
{
    Q_OBJECT
private slots:
    void readsRecordsAfterABanner()
    {
        // A banner that ends without a newline, then the records (one name with a newline
        // and spaces, one not UTF-8).
        const QByteArray out = "Welcome!\nQuota:93%used"
            + listing(record("d 4096 1700000000.25 755 a")
                      + record("f 13 1700000001.0 644 a/r s.bin")
                      + record("f 2 5 600 a/new\nline") + record("l 7 5 777 link")
                      + record("a/r s.bin")
                      + record("p 0 5 644 fifo") + record("f 1 5 644 caf\xe9"));
        auto parsed = RemoteTree::parseFindOutput(out, Nonce, IgnoreRules());
        QVERIFY(parsed.has_value());
        QVERIFY2(parsed->ok(), qPrintable(parsed->errorMessage()));
        const RemoteTree &tree = parsed->value();
        QCOMPARE(tree.items.size(), 6);
        QCOMPARE(tree.items.value(u"a"_s).kind, RemoteTree::Kind::Directory);
        QVERIFY(tree.items.value(u"a"_s).isDirectory);
        QCOMPARE(tree.items.value(u"a/r s.bin"_s).size, 13);
        QCOMPARE(tree.items.value(u"a/r s.bin"_s).mtime, 1700000001);
        QCOMPARE(tree.items.value(u"a/r s.bin"_s).mode, 0644u);
        QCOMPARE(tree.items.value(u"a/new\nline"_s).mode, 0600u);
        QCOMPARE(tree.items.value(u"link"_s).kind, RemoteTree::Kind::Symlink);
        QCOMPARE(tree.items.value(u"link"_s).linkTarget, QByteArray("a/r s.bin"));
        QCOMPARE(tree.items.value(u"fifo"_s).kind, RemoteTree::Kind::Other);
        QVERIFY(tree.items.contains(fromRemoteBytes("caf\xe9")));
        // Only a link has a target (found by fuzz/remotelistingfuzzer.cpp: every other entry
        // took the bytes up to the next NUL, the next record, as one).
        for (auto it = tree.items.cbegin(); it != tree.items.cend(); ++it) {
            if (it->kind != RemoteTree::Kind::Symlink)
                QVERIFY2(it->linkTarget.isEmpty(), qPrintable(it.key()));
        }
    }

    void rejectsWhatItCannotRead_data()
    {
        QTest::addColumn<QByteArray>("out");
        QTest::newRow("type") << listing(QByteArray("W 1 2 644 a\0", 12));
        QTest::newRow("two-char type") << listing(QByteArray("dd 1 2 644 a\0", 13));
        QTest::newRow("size") << listing(QByteArray("f 1x 2 644 a\0", 13));
        QTest::newRow("negative size") << listing(QByteArray("f -1 2 644 a\0", 13));
        QTest::newRow("mtime") << listing(QByteArray("f 1 2.5.1 644 a\0", 16));
        QTest::newRow("mode") << listing(QByteArray("f 1 2 648 a\0", 12));
        QTest::newRow("fields") << listing(QByteArray("f 1 2\0", 6));
        QTest::newRow("dotdot") << listing(QByteArray("f 1 2 644 ../x\0", 15));
        QTest::newRow("absolute") << listing(QByteArray("f 1 2 644 /etc/passwd\0", 22));
        QTest::newRow("empty part") << listing(QByteArray("f 1 2 644 a//b\0", 15));
        QTest::newRow("dot") << listing(QByteArray("d 1 2 755 .\0", 12));
        QTest::newRow("truncated") << QByteArray("gpuwb-list " + Nonce + "\n"
                                                 + QByteArray("f 1 2 644 a\0", 12) + "f 1 2");
        QTest::newRow("no end") << QByteArray("gpuwb-list " + Nonce + "\n"
                                              + QByteArray("f 1 2 644 a\0", 12));
        QTest::newRow("bad status") << listing(QByteArray("f 1 2 644 a\0", 12), "zero");
        QTest::newRow("link without target") << listing(QByteArray("l 1 2 777 a\0\0", 13));
    }
    void rejectsWhatItCannotRead()
    {
        QFETCH(QByteArray, out);
        auto parsed = RemoteTree::parseFindOutput(out, Nonce, IgnoreRules());
        QVERIFY(parsed.has_value());
        QVERIFY(!parsed->ok());
        QCOMPARE(parsed->error().code, ErrorCode::ListingUnreadable);
        QVERIFY(parsed->errorMessage().contains(u"Nothing was changed"_s));
    }

    // Issue 10, item 16: the listing is read as it arrives. Any split of the output gives
    // what the whole gives; an entry that never ends is refused once it passes the limit,
    // without waiting for (or holding) the rest; nothing after the end line is read.
    void readsAsItArrives()
    {
        QByteArray records;
        for (int i = 0; i < 300; ++i)
            records += record(QByteArray("f " + QByteArray::number(i) + " 5 644 d/file "
                                         + QByteArray::number(i)).constData());
        const QByteArray out = "banner gpuwb-list x\n" + listing(records) + "trailing junk";
        for (qsizetype step : {qsizetype(1), qsizetype(7), qsizetype(4096), out.size()}) {
            FindOutputReader reader(Nonce, m_noRules);
            bool more = true;
            qsizetype fed = 0;
            for (qsizetype at = 0; at < out.size() && more; at += step) {
                const QByteArrayView piece =
                    QByteArrayView(out).sliced(at, qMin(step, out.size() - at));
                more = reader.feed(piece);
                fed = at + piece.size();
            }
            QVERIFY(!more); // it stopped at the end line
            if (step == 1)
                QCOMPARE(fed, out.size() - qsizetype(strlen("trailing junk")));
            auto parsed = reader.finish();
            QVERIFY(parsed.has_value());
            QVERIFY2(parsed->ok(), qPrintable(parsed->errorMessage()));
            QCOMPARE(parsed->value().items.size(), 300);
            QCOMPARE(parsed->value().items.value(u"d/file 299"_s).size, 299);
        }

        FindOutputReader endless(Nonce, m_noRules);
        QVERIFY(endless.feed("gpuwb-list " + Nonce + "\nf 1 5 644 "));
        const QByteArray chunk(16 * 1024, 'a');
        int chunks = 0;
        while (endless.feed(chunk) && chunks < 1000)
            ++chunks;
        QVERIFY(chunks <= FindOutputReader::kMaxRecordBytes / chunk.size() + 1);
        auto refused = endless.finish();
        QVERIFY(refused.has_value() && !refused->ok());
        QCOMPARE(refused->error().code, ErrorCode::ListingUnreadable);
        QVERIFY2(refused->errorMessage().contains(u"longer than"_s),
                 qPrintable(refused->errorMessage()));

        // The limit is the same whether an over-long entry arrives whole or in pieces.
        const QByteArray longName(FindOutputReader::kMaxRecordBytes, 'a');
        const QByteArray tooLong = listing("f 1 5 644 " + longName + '\0');
        auto whole = RemoteTree::parseFindOutput(tooLong, Nonce, IgnoreRules());
        QVERIFY(whole.has_value() && !whole->ok());
        QVERIFY2(whole->errorMessage().contains(u"longer than"_s), qPrintable(whole->errorMessage()));
        FindOutputReader pieces(Nonce, m_noRules);
        for (qsizetype at = 0; at < tooLong.size() && pieces.feed(tooLong.mid(at, 4000)); at += 4000) {
        }
        auto piecewise = pieces.finish();
        QVERIFY(piecewise.has_value() && !piecewise->ok());
        QCOMPARE(piecewise->errorMessage(), whole->errorMessage());
    }

    void otherMarkersAreNotOurs()
    {
        // A file named like the end marker, or a listing with another nonce, ends nothing.
        QVERIFY(!RemoteTree::parseFindOutput(listing("").replace(Nonce, "other"), Nonce,
                                             IgnoreRules())
                     .has_value());
        const QByteArray out = listing(QByteArray("f 1 2 644 gpuwb-end ", 20) + Nonce
                                       + QByteArray(" 0\0", 3));
        auto parsed = RemoteTree::parseFindOutput(out, Nonce, IgnoreRules());
        QVERIFY(parsed.has_value() && parsed->ok());
        QCOMPARE(parsed->value().items.size(), 1);
    }

    void findFailureFallsBack()
    {
        // No start line (no /bin/sh answer) or find's own failure: list another way.
        QVERIFY(!RemoteTree::parseFindOutput("find: unknown predicate", Nonce, IgnoreRules())
                     .has_value());
        QVERIFY(!RemoteTree::parseFindOutput(listing("", "1"), Nonce, IgnoreRules())
                     .has_value());
    }

    void ignoredAndLeftoversApart()
    {
        IgnoreRules rules;
        rules.addPattern(u"outputs/"_s);
        const QByteArray out = listing(QByteArray("d 1 2 755 outputs\0", 18)
                                       + QByteArray("f 1 2 644 outputs/r\0", 20)
                                       + QByteArray("d 1 2 700 .gpuwb-staging-x\0", 27)
                                       + QByteArray("f 1 2 644 .gpuwb-staging-x/f\0", 29)
                                       + QByteArray("f 1 2 644 m.py\0", 15));
        auto parsed = RemoteTree::parseFindOutput(out, Nonce, rules);
        QVERIFY(parsed.has_value() && parsed->ok());
        QCOMPARE(parsed->value().items.keys(), QStringList{u"m.py"_s});
        QCOMPARE(parsed->value().leftovers, QStringList{u".gpuwb-staging-x"_s});
    }

    // The real script through a real /bin/sh, on a tree with hostile names.
    void scriptReadsARealTree()
    {
        QTemporaryDir dir;
        const QByteArray root = QFile::encodeName(dir.path());
        QVERIFY(::mkdir((root + "/sub dir").constData(), 0750) == 0);
        for (const QByteArray &name : {QByteArray("sub dir/a\nb"), QByteArray("x'$(id)"),
                                      QByteArray("caf\xe9"), QByteArray("gpuwb-end k3x9q 0")}) {
            const int fd = ::open((root + '/' + name).constData(), O_WRONLY | O_CREAT, 0644);
            QVERIFY(fd >= 0);
            QCOMPARE(::write(fd, "12345", 5), ssize_t(5));
            ::close(fd);
        }
        QVERIFY(::symlink("sub dir/a\nb", (root + "/to a\nb").constData()) == 0);
        QProcess sh;
        sh.start(u"/bin/sh"_s, {u"-c"_s, QString::fromUtf8(
                                              "printf 'banner without newline'; eval \"$1\""),
                                u"sh"_s,
                                QString::fromLocal8Bit(RemoteTree::findScript(root, Nonce))});
        QVERIFY(sh.waitForFinished(30000));
        auto parsed = RemoteTree::parseFindOutput(sh.readAllStandardOutput(), Nonce,
                                                  IgnoreRules());
        QVERIFY(parsed.has_value());
        QVERIFY2(parsed->ok(), qPrintable(parsed->errorMessage()));
        QCOMPARE(parsed->value().items.size(), 6);
        QCOMPARE(parsed->value().items.value(u"to a\nb"_s).linkTarget, QByteArray("sub dir/a\nb"));
        QCOMPARE(parsed->value().items.value(u"sub dir"_s).mode, 0750u);
        QCOMPARE(parsed->value().items.value(u"sub dir/a\nb"_s).size, 5);
        QVERIFY(parsed->value().items.contains(fromRemoteBytes("caf\xe9")));
        QVERIFY(parsed->value().items.contains(u"gpuwb-end k3x9q 0"_s));
    }

    // Every remote command line survives sh, bash, tcsh and fish as the login shell.
    void shellLineSurvivesEveryLoginShell_data()
    {
        QTest::addColumn<QString>("shell");
        for (const char *s : {"/bin/sh", "/bin/bash", "/usr/bin/tcsh", "/usr/bin/fish"})
            QTest::newRow(s) << QString::fromLatin1(s);
    }
    void shellLineSurvivesEveryLoginShell()
    {
        QFETCH(QString, shell);
        if (::access(QFile::encodeName(shell).constData(), X_OK) != 0)
            QSKIP("login shell not installed (scripts/bootstrap installs tcsh and fish)");
        const QList<QByteArray> scripts = {
            "echo plain; exit 4",
            "printf '%s|' \"it's\" '!!' 'a\\b' \"$#\"; exit 5",
            "for i in 1 2; do\n  echo \"$i\"\ndone\ncat <<'EOF'\n$HOME `x`\nEOF\nexit 6",
            "printf 'caf\xe9 \\001\\n'; echo ~; exit 0",
        };
        for (const QByteArray &script : scripts) {
            // tcsh and fish read rc files from HOME; keep theirs quiet and ours out of it.
            QTemporaryDir home;
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            env.insert(u"HOME"_s, home.path());
            env.insert(u"XDG_CONFIG_HOME"_s, home.path());
            // The reference: the script's bytes run by /bin/sh from a file.
            QFile file(home.filePath(u"script.sh"_s));
            QVERIFY(file.open(QIODevice::WriteOnly) && file.write(script) == script.size());
            file.close();
            QProcess ref;
            ref.setProcessEnvironment(env);
            ref.start(u"/bin/sh"_s, {file.fileName()});
            QVERIFY(ref.waitForFinished(30000));
            QProcess login;
            login.setProcessEnvironment(env);
            const QByteArray line = remoteShellLine(script);
            login.start(shell, {u"-c"_s, QString::fromLatin1(line)});
            QVERIFY(login.waitForFinished(30000));
            const QByteArray want = ref.readAllStandardOutput();
            QVERIFY(!want.isEmpty());
            QCOMPARE(login.readAllStandardOutput(), want);
            QCOMPARE(login.exitCode(), ref.exitCode());
        }
    }

private:
    const IgnoreRules m_noRules; // the readers keep a reference to their rules
};

QTEST_GUILESS_MAIN(TestRemoteListing)
#include "tst_remotelisting.moc"
