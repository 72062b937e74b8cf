#include "core/ssh/hoststore.h"

#include <QDir>
#include <QFile>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace gpuwb;

class TestHostStore : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_home;
    SshPaths m_paths;

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(u"gpuwb-test"_s);
        QCoreApplication::setApplicationName(u"tst_hoststore"_s);
    }
    void init()
    {
        QSettings().clear();
        qputenv("HOME", m_home.path().toUtf8());
        m_paths = SshPaths::defaults();
        QDir().mkpath(m_paths.sshDir);
        QFile f(m_paths.configFile);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write("Host cfg\n  HostName 127.0.0.1\n  Port 2201\n");
    }
    void cleanupTestCase() { QSettings().clear(); }

    void mergesConfigAndAppHosts()
    {
        HostStore store(m_paths);
        QSignalSpy changed(&store, &HostStore::changed);
        QCOMPARE(store.hosts().size(), 1);
        SshHost app;
        app.alias = u"lab"_s;
        app.hostName = u"127.0.0.1"_s;
        app.user = u"me"_s;
        app.port = 2222;
        app.proxyJump = u"cfg"_s;
        QVERIFY(store.saveAppHost(app).ok());
        QVERIFY(changed.count() >= 1);
        QCOMPARE(store.hosts().size(), 2);
        QCOMPARE(store.hosts().at(0).alias, u"cfg"_s);
        QCOMPARE(store.hosts().at(1).alias, u"lab"_s);
        QCOMPARE(store.host(u"lab"_s)->origin, SshHost::Origin::App);
        const std::optional<SshHost> fromSettings = appHostFromSettings(u"lab"_s);
        QVERIFY(fromSettings);
        QCOMPARE(fromSettings->port, 2222);
        QCOMPARE(fromSettings->user, u"me"_s);
        QCOMPARE(fromSettings->proxyJump, u"cfg"_s);
        // Nothing secret in the settings, and a second store sees it too.
        QSettings s;
        for (const QString &key : s.allKeys())
            QVERIFY2(!key.contains(u"pass"_s, Qt::CaseInsensitive), qPrintable(key));
        HostStore other(m_paths);
        QCOMPARE(other.hosts().size(), 2);
        QVERIFY(store.removeAppHost(u"lab"_s).ok());
        QVERIFY(!appHostFromSettings(u"lab"_s));
        QCOMPARE(store.hosts().size(), 1);
        QVERIFY(!store.removeAppHost(u"lab"_s).ok());
    }

    // Issue 10, item 16: an app host that a config Host of the same name shadows is not in
    // the list and is reported, so nobody wonders which one a connection used.
    void configHostShadowsAppHost()
    {
        {
            QSettings settings;
            settings.setValue(u"hosts/cfg/hostName"_s, u"10.0.0.9"_s);
        }
        HostStore store(m_paths);
        QCOMPARE(store.hosts().size(), 1);
        QCOMPARE(store.host(u"cfg"_s)->origin, SshHost::Origin::SshConfig);
        QCOMPARE(store.shadowedAppHosts(), QStringList{u"cfg"_s});
        QSettings().remove(u"hosts/cfg"_s);
        store.reload();
        QVERIFY(store.shadowedAppHosts().isEmpty());
    }

    void rejectsBadAliases_data()
    {
        QTest::addColumn<QString>("alias");
        QTest::newRow("empty") << QString();
        QTest::newRow("space") << u"a b"_s;
        QTest::newRow("slash") << u"a/b"_s;
        QTest::newRow("newline") << u"a\nb"_s;
        QTest::newRow("pattern") << u"a*"_s;
        QTest::newRow("config") << u"cfg"_s;
        QTest::newRow("option") << u"-oProxyCommand=x"_s;
    }
    void rejectsBadAliases()
    {
        QFETCH(QString, alias);
        HostStore store(m_paths);
        SshHost h;
        h.alias = alias;
        h.hostName = u"x"_s;
        Status s = store.saveAppHost(h);
        QVERIFY(!s.ok());
        QVERIFY(!s.errorMessage().isEmpty());
        QCOMPARE(store.hosts().size(), 1);
    }

    void reportsConfigError()
    {
        QFile f(m_paths.configFile);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write("Host x\n  Port nope\n");
        f.close();
        HostStore store(m_paths);
        QVERIFY(store.configError().contains(u"line 2"_s));
        QVERIFY(store.hosts().isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestHostStore)
#include "tst_hoststore.moc"
