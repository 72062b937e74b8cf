// HostsDialog against a real HostStore (a temporary ~/.ssh/config and test-mode settings) and
// its "Test connection" against the real sshd fixture.

#include "core/ssh/hoststore.h"
#include "helpers/sshtest.h"
#include "ui/remote/hostsdialog.h"

#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace gpuwb;
using gpuwb::test::SshdServer;

namespace {

bool writeFile(const QString &path, const QByteArray &data)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(data) == data.size();
}

QStringList listedAliases(const HostsDialog &dialog)
{
    QStringList aliases;
    for (int row = 0; row < dialog.hostList()->count(); ++row)
        aliases << dialog.hostList()->item(row)->data(Qt::UserRole).toString();
    return aliases;
}

bool anyLabelContains(const QWidget &widget, const QString &text)
{
    const auto labels = widget.findChildren<QLabel *>();
    return std::any_of(labels.cbegin(), labels.cend(),
                       [&](const QLabel *label) { return label->text().contains(text); });
}

} // namespace

class TestHostsDialog : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_home;
    std::unique_ptr<HostStore> m_store;

    void fill(HostsDialog &dialog, const QString &alias, const QString &hostName,
              const QString &user, int port, const QString &identity, const QString &jump)
    {
        dialog.aliasEdit()->setText(alias);
        dialog.hostNameEdit()->setText(hostName);
        dialog.userEdit()->setText(user);
        dialog.portBox()->setValue(port);
        dialog.identityFileEdit()->setText(identity);
        dialog.proxyJumpEdit()->setText(jump);
    }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(u"gpuwb-test"_s);
        QCoreApplication::setApplicationName(u"tst_hostsdialog"_s);
        QVERIFY(m_home.isValid());
        qputenv("HOME", m_home.path().toUtf8());
        qputenv("XDG_CONFIG_HOME", (m_home.path() + u"/config"_s).toUtf8());
        QVERIFY(QDir(m_home.path()).mkpath(u".ssh"_s));
        QVERIFY(writeFile(m_home.path() + u"/.ssh/config"_s,
                          "Host cfg-host\n"
                          "    HostName cfg.example.org\n"
                          "    User alice\n"
                          "    Port 2200\n"
                          "    LocalForward 8080 localhost:80\n"
                          "Host *.wild\n"
                          "    User nobody\n"));
    }

    void init()
    {
        QSettings().clear();
        m_store = std::make_unique<HostStore>();
    }

    void cleanup() { m_store.reset(); }

    void configHostsAreShownReadOnly()
    {
        HostsDialog dialog(m_store.get(), {});
        QCOMPARE(listedAliases(dialog), QStringList{u"cfg-host"_s}); // no pattern hosts
        QVERIFY(dialog.selectHost(u"cfg-host"_s));
        QCOMPARE(dialog.hostNameEdit()->text(), u"cfg.example.org"_s);
        QCOMPARE(dialog.userEdit()->text(), u"alice"_s);
        QCOMPARE(dialog.portBox()->value(), 2200);
        QVERIFY(dialog.aliasEdit()->isReadOnly());
        QVERIFY(dialog.hostNameEdit()->isReadOnly());
        QVERIFY(!dialog.saveButton()->isEnabled());
        QVERIFY(!dialog.removeButton()->isEnabled());
        QVERIFY(anyLabelContains(dialog, m_home.path() + u"/.ssh/config"_s));
        QVERIFY(anyLabelContains(dialog, u"LocalForward"_s));
        QVERIFY(!dialog.saveHost().ok());
        QVERIFY(!dialog.removeHost().ok());
        QVERIFY(m_store->host(u"cfg-host"_s).has_value());
        QVERIFY(!dialog.selectHost(u"no-such-host"_s));
    }

    void addsEditsAndRemovesAppHosts()
    {
        HostsDialog dialog(m_store.get(), {});
        dialog.newHost();
        QVERIFY(!dialog.aliasEdit()->isReadOnly());
        fill(dialog, u"gpu-box"_s, u"10.0.0.7"_s, u"bob"_s, 2222, u"~/.ssh/id_gpu"_s,
             u"bastion"_s);
        const Status saved = dialog.saveHost();
        QVERIFY2(saved.ok(), qPrintable(saved.errorMessage()));
        QVERIFY(dialog.message().isEmpty());
        auto host = m_store->host(u"gpu-box"_s);
        QVERIFY(host);
        QCOMPARE(host->origin, SshHost::Origin::App);
        QCOMPARE(host->hostName, u"10.0.0.7"_s);
        QCOMPARE(host->user, u"bob"_s);
        QCOMPARE(host->port, 2222);
        QCOMPARE(host->proxyJump, u"bastion"_s);
        QCOMPARE(host->identityFiles.size(), 1);
        QVERIFY(host->identityFiles.first().endsWith(u"id_gpu"_s));
        QCOMPARE(listedAliases(dialog), (QStringList{u"cfg-host"_s, u"gpu-box"_s}));
        QVERIFY(dialog.removeButton()->isEnabled());

        // Edit, then rename: the old alias goes.
        dialog.portBox()->setValue(2323);
        QVERIFY(dialog.saveHost().ok());
        QCOMPARE(m_store->host(u"gpu-box"_s)->port, 2323);
        dialog.aliasEdit()->setText(u"gpu-box-2"_s);
        QVERIFY(dialog.saveHost().ok());
        QVERIFY(!m_store->host(u"gpu-box"_s));
        QCOMPARE(m_store->host(u"gpu-box-2"_s)->port, 2323);
        QCOMPARE(listedAliases(dialog), (QStringList{u"cfg-host"_s, u"gpu-box-2"_s}));

        // It survives a new store (kept in settings, not in ~/.ssh/config).
        HostStore again;
        QVERIFY(again.host(u"gpu-box-2"_s));
        QFile config(m_home.path() + u"/.ssh/config"_s);
        QVERIFY(config.open(QIODevice::ReadOnly));
        QVERIFY(!config.readAll().contains("gpu-box"));

        QVERIFY(dialog.selectHost(u"gpu-box-2"_s));
        QVERIFY(dialog.removeHost().ok());
        QVERIFY(!m_store->host(u"gpu-box-2"_s));
        QCOMPARE(listedAliases(dialog), QStringList{u"cfg-host"_s});
    }

    void rejectsBadFields_data()
    {
        QTest::addColumn<QString>("alias");
        QTest::addColumn<QString>("hostName");
        QTest::addColumn<QString>("user");
        QTest::addColumn<QString>("jump");
        QTest::newRow("empty alias") << u""_s << u"h"_s << u""_s << u""_s;
        QTest::newRow("alias with space") << u"my box"_s << u"h"_s << u""_s << u""_s;
        QTest::newRow("alias with slash") << u"a/b"_s << u"h"_s << u""_s << u""_s;
        QTest::newRow("pattern alias") << u"gpu*"_s << u"h"_s << u""_s << u""_s;
        QTest::newRow("config alias") << u"cfg-host"_s << u"h"_s << u""_s << u""_s;
        QTest::newRow("shell in host") << u"x"_s << u"$(rm -rf ~) h"_s << u""_s << u""_s;
        QTest::newRow("newline in host") << u"x"_s << u"a\nb"_s << u""_s << u""_s;
        QTest::newRow("user with @") << u"x"_s << u"h"_s << u"a@b"_s << u""_s;
        QTest::newRow("jump with space") << u"x"_s << u"h"_s << u""_s << u"a b"_s;
    }

    void rejectsBadFields()
    {
        QFETCH(QString, alias);
        QFETCH(QString, hostName);
        QFETCH(QString, user);
        QFETCH(QString, jump);
        HostsDialog dialog(m_store.get(), {});
        dialog.newHost();
        fill(dialog, alias, hostName, user, 22, {}, jump);
        QVERIFY(!dialog.saveHost().ok());
        QVERIFY(!dialog.message().isEmpty());
        QCOMPARE(listedAliases(dialog), QStringList{u"cfg-host"_s});
        // The config host is untouched.
        QCOMPARE(m_store->host(u"cfg-host"_s)->hostName, u"cfg.example.org"_s);
    }

    void testConnectionReportsBothOutcomes()
    {
        SshdServer server;
        GPUWB_START_SSHD(server);
        QFile known(server.clientSshDir() + u"/known_hosts"_s);
        QVERIFY(known.open(QIODevice::WriteOnly));
        known.write(server.knownHostsLine() + '\n');
        known.close();

        const QByteArray oldHome = qgetenv("HOME");
        qputenv("HOME", server.clientHome().toUtf8());
        SshPaths paths = SshPaths::defaults();
        HostStore store(paths);
        SshConnection::Options options;
        options.paths = paths;
        options.connectTimeoutSeconds = 20;
        {
            HostsDialog dialog(&store, options);
            QVERIFY(dialog.selectHost(server.alias()));
            QSignalSpy finished(&dialog, &HostsDialog::testFinished);
            dialog.testConnection();
            QVERIFY(!dialog.testButton()->isEnabled()); // it runs in the background
            QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
            QVERIFY2(finished.at(0).at(0).toBool(), qPrintable(dialog.testResult()));
            QVERIFY(dialog.testResult().contains(SshdServer::userName()));
            QVERIFY(dialog.testButton()->isEnabled());

            // An app host on a port where nothing listens: it fails, saying why.
            dialog.newHost();
            fill(dialog, u"nowhere"_s, u"127.0.0.1"_s, SshdServer::userName(), 1, {}, {});
            dialog.testConnection();
            QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 2, 60000);
            QVERIFY(!finished.at(1).at(0).toBool());
            QVERIFY(!finished.at(1).at(1).toString().isEmpty());
            QVERIFY(store.host(u"nowhere"_s)); // testing saved it first
        }
        qputenv("HOME", oldHome);
    }
};

QTEST_MAIN(TestHostsDialog)
#include "tst_hostsdialog.moc"
