#include "core/ssh/sshconfigfile.h"
#include "core/ssh/sshconfigreader.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace gpuwb;

class TestSshConfigReader : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_home;
    SshPaths m_paths;

    void write(const QString &relative, const QByteArray &text)
    {
        const QString path = m_paths.sshDir + u'/' + relative;
        QDir().mkpath(QFileInfo(path).path());
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(text);
    }
    static const SshHost *find(const QList<SshHost> &hosts, const QString &alias)
    {
        for (const SshHost &h : hosts)
            if (h.alias == alias)
                return &h;
        return nullptr;
    }

private slots:
    void init()
    {
        QVERIFY(m_home.isValid());
        qputenv("HOME", m_home.path().toUtf8());
        m_paths = SshPaths::defaults();
        QCOMPARE(m_paths.sshDir, m_home.path() + u"/.ssh"_s);
        QDir(m_paths.sshDir).removeRecursively();
        QDir().mkpath(m_paths.sshDir);
    }

    void missingFileGivesNoHosts()
    {
        Result<QList<SshHost>> hosts = SshConfigReader::readHosts(m_paths);
        QVERIFY(hosts.ok());
        QVERIFY(hosts->isEmpty());
    }

    void hostsWithIncludeGlobAndSettings()
    {
        write(u"config"_s,
              "# comment\n"
              "Host alpha beta\n"
              "    HostName alpha.example\n"
              "    User alice\n"
              "    Port 2222\n"
              "    IdentityFile ~/.ssh/id_alpha\n"
              "    LocalForward 8080 localhost:80\n"
              "    ForwardAgent yes\n"
              "Host *.wild ?x !neg\n"
              "    User nobody\n"
              "Include conf.d/*.conf\n"
              "Match host alpha\n"
              "    ControlPersist 10m\n"
              "Host jumped\n"
              "    HostName=10.0.0.5\n"
              "    ProxyJump \"bob@bastion:2200\"\n"
              "    DynamicForward 1080\n");
        write(u"conf.d/a.conf"_s, "Host gamma\n  Port 2200\n  ServerAliveInterval 5\n");
        write(u"conf.d/b.conf"_s, "Host delta\n  User dave\n");
        write(u"conf.d/ignored.txt"_s, "Host epsilon\n");
        Result<QList<SshHost>> hosts = SshConfigReader::readHosts(m_paths);
        QVERIFY2(hosts.ok(), qPrintable(hosts.errorMessage()));
        QStringList aliases;
        for (const SshHost &h : hosts.value())
            aliases << h.alias;
        QCOMPARE(aliases, (QStringList{u"alpha"_s, u"beta"_s, u"gamma"_s, u"delta"_s,
                                       u"jumped"_s}));
        const SshHost *alpha = find(*hosts, u"alpha"_s);
        QCOMPARE(alpha->hostName, u"alpha.example"_s);
        QCOMPARE(alpha->user, u"alice"_s);
        QCOMPARE(alpha->port, 2222);
        QCOMPARE(alpha->identityFiles, QStringList{m_paths.sshDir + u"/id_alpha"_s});
        QCOMPARE(alpha->origin, SshHost::Origin::SshConfig);
        QCOMPARE(alpha->sourceFile, m_paths.configFile);
        QVERIFY(alpha->unsupportedKeywords.contains(u"LocalForward"_s));
        QVERIFY(alpha->unsupportedKeywords.contains(u"ForwardAgent"_s));
        const SshHost *gamma = find(*hosts, u"gamma"_s);
        QCOMPARE(gamma->port, 2200);
        QCOMPARE(gamma->hostName, u"gamma"_s);
        QCOMPARE(gamma->sourceFile, m_paths.sshDir + u"/conf.d/a.conf"_s);
        QVERIFY(gamma->unsupportedKeywords.isEmpty()); // ServerAlive* are ours
        QCOMPARE(find(*hosts, u"delta"_s)->user, u"dave"_s);
        const SshHost *jumped = find(*hosts, u"jumped"_s);
        QCOMPARE(jumped->hostName, u"10.0.0.5"_s);
        QCOMPARE(jumped->proxyJump, u"bob@bastion:2200"_s);
        QCOMPARE(jumped->unsupportedKeywords, QStringList{u"DynamicForward"_s});
    }

    void resolveUnnamedAlias()
    {
        write(u"config"_s, "Host *\n  User everyone\n  Port 2022\n");
        const SshHost h = SshConfigReader::resolve(u"some.host"_s, m_paths);
        QCOMPARE(h.hostName, u"some.host"_s);
        QCOMPARE(h.user, u"everyone"_s);
        QCOMPARE(h.port, 2022);
    }

    void malformedLines_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<int>("line");
        QTest::newRow("no value") << QByteArray("Host a\n  Port\n") << 2;
        QTest::newRow("bad port") << QByteArray("Host a\n\n  Port $(reboot)\n") << 3;
        QTest::newRow("quote") << QByteArray("Host a\n  User \"unterminated\n") << 2;
        QTest::newRow("garbage") << QByteArray("Host a\n  \xff\xfe bad\n") << 2;
    }
    void malformedLines()
    {
        QFETCH(QByteArray, text);
        QFETCH(int, line);
        write(u"config"_s, text);
        Result<QList<SshHost>> hosts = SshConfigReader::readHosts(m_paths);
        QVERIFY(!hosts.ok());
        QVERIFY2(hosts.errorMessage().contains(m_paths.configFile), qPrintable(hosts.errorMessage()));
        QVERIFY2(hosts.errorMessage().contains(u"line %1"_s.arg(line)),
                 qPrintable(hosts.errorMessage()));
    }

    void includeLoopIsBounded()
    {
        write(u"config"_s, "Host a\nInclude config\n");
        Result<QList<SshHost>> hosts = SshConfigReader::readHosts(m_paths);
        QVERIFY(!hosts.ok());
        QVERIFY(hosts.errorMessage().contains(u"Include"_s));
    }

    void hostileAliasesAreData()
    {
        write(u"config"_s, "Host 'q' $(touch_x) `y`\n  HostName 127.0.0.1\n");
        Result<QList<SshHost>> hosts = SshConfigReader::readHosts(m_paths);
        QVERIFY(hosts.ok());
        QCOMPARE(hosts->size(), 3);
        QCOMPARE(hosts->at(1).alias, u"$(touch_x)"_s);
        QCOMPARE(hosts->at(1).hostName, u"127.0.0.1"_s);
    }

    // OpenSSH's Host patterns know * and ? only: "gpu[1]" is a name, and its block applies to
    // it (found by fuzz/sshconfigfuzzer.cpp: it was read as a regular-expression class).
    void hostPatternsKnowOnlyStarAndQuestion_data()
    {
        QTest::addColumn<QStringList>("patterns");
        QTest::addColumn<QString>("alias");
        QTest::addColumn<bool>("matches");
        QTest::newRow("bracket is a name") << QStringList{u"gpu[1]"_s} << u"gpu[1]"_s << true;
        QTest::newRow("bracket is no class") << QStringList{u"gpu[1]"_s} << u"gpu1"_s << false;
        QTest::newRow("unclosed bracket") << QStringList{u"gpu[*"_s} << u"gpu[7"_s << true;
        QTest::newRow("case") << QStringList{u"GPU-*"_s} << u"gpu-box"_s << true;
        QTest::newRow("question") << QStringList{u"node??"_s} << u"node1"_s << false;
        QTest::newRow("negation wins") << QStringList{u"*"_s, u"!login*"_s} << u"login1"_s
                                       << false;
        QTest::newRow("dot is a dot") << QStringList{u"a.b"_s} << u"axb"_s << false;
    }

    void hostPatternsKnowOnlyStarAndQuestion()
    {
        QFETCH(QStringList, patterns);
        QFETCH(QString, alias);
        QFETCH(bool, matches);
        QCOMPARE(SshConfigFile::hostMatches(patterns, alias), matches);
    }

    void bracketAliasGetsItsSettings()
    {
        write(u"config"_s, "Host gpu[1]\n  User alice\n  Port 2200\n");
        Result<QList<SshHost>> hosts = SshConfigReader::readHosts(m_paths);
        QVERIFY(hosts.ok());
        const SshHost *h = find(*hosts, u"gpu[1]"_s);
        QVERIFY(h);
        QCOMPARE(h->user, u"alice"_s);
        QCOMPARE(h->port, 2200);
    }
};

QTEST_GUILESS_MAIN(TestSshConfigReader)
#include "tst_sshconfigreader.moc"
