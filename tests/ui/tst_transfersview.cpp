// TransfersView and its TransferListModel over a real TransferQueue: real transfers against the
// sshd fixture, and transfers that fail fast against a port where nothing listens.

#include "core/ssh/sshconnections.h"
#include "core/ssh/transferqueue.h"
#include "helpers/sshtest.h"
#include "ui/remote/transferlistmodel.h"
#include "ui/remote/transfersview.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QDir>
#include <QFile>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>

#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace gpuwb;
using gpuwb::test::SshdServer;

namespace {

constexpr int LongWaitMs = 60000;

bool writeFile(const QString &path, const QByteArray &data)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(data) == data.size();
}

} // namespace

class TestTransfersView : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_local;
    std::unique_ptr<SshdServer> m_server;
    QString m_serverError;
    std::unique_ptr<SshConnections> m_connections;
    std::unique_ptr<TransferQueue> m_queue;
    std::unique_ptr<TransfersView> m_view;
    std::unique_ptr<QAbstractItemModelTester> m_tester;

    TransferListModel *model() const { return m_view->model(); }
    QString state(Transfer *t) const
    {
        return model()->indexOf(t, TransferListModel::StateColumn).data().toString();
    }

    void select(const QList<Transfer *> &transfers)
    {
        auto *selection = m_view->view()->selectionModel();
        selection->clear();
        for (Transfer *t : transfers)
            selection->select(model()->indexOf(t),
                              QItemSelectionModel::Select | QItemSelectionModel::Rows);
    }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_local.isValid());
        m_server = std::make_unique<SshdServer>();
        if (!m_server->start(&m_serverError))
            m_server.reset();
        const QString home = m_server ? m_server->clientHome() : m_local.path() + u"/home"_s;
        QDir().mkpath(home + u"/.ssh"_s);
        qputenv("HOME", home.toUtf8());
        if (m_server) {
            QFile known(m_server->clientSshDir() + u"/known_hosts"_s);
            QVERIFY(known.open(QIODevice::WriteOnly));
            known.write(m_server->knownHostsLine() + '\n');
        }
        // A host where nothing listens, so that a transfer fails without a server.
        QFile config(home + u"/.ssh/config"_s);
        QVERIFY(config.open(QIODevice::Append));
        config.write("\nHost refused\n    HostName 127.0.0.1\n    Port 1\n    User nobody\n");
    }

    void init()
    {
        SshConnection::Options options;
        options.paths = SshPaths::defaults();
        options.autoReconnect = false;
        options.connectTimeoutSeconds = 20;
        m_connections = std::make_unique<SshConnections>(options);
        m_queue = std::make_unique<TransferQueue>(m_connections.get());
        m_view = std::make_unique<TransfersView>(m_queue.get());
        m_tester = std::make_unique<QAbstractItemModelTester>(
            m_view->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        m_view->resize(900, 300);
        m_view->show();
    }

    void cleanup()
    {
        m_tester.reset();
        m_view.reset();
        m_queue.reset();
        m_connections.reset();
    }

    void failedTransferShowsWhyAndClears()
    {
        auto a = m_queue->enqueue(Location::remote(u"refused"_s, u"/etc/hostname"_s),
                                  Location::local(m_local.path() + u"/got"_s));
        QVERIFY(a.ok());
        auto b = m_queue->enqueue(Location::local(m_local.path()),
                                  Location::remote(u"refused"_s, u"/tmp/x"_s));
        QVERIFY(b.ok());
        QCOMPARE(model()->rowCount(), 2);
        QCOMPARE(model()->transfer(model()->index(0, 0)), *a);
        QCOMPARE(model()->index(0, TransferListModel::DirectionColumn).data().toString(),
                 u"Download"_s);
        QCOMPARE(model()->index(1, TransferListModel::DirectionColumn).data().toString(),
                 u"Upload"_s);
        QVERIFY(model()->index(0, TransferListModel::PathsColumn).data().toString().contains(
            u"refused:/etc/hostname"_s));
        QVERIFY(!m_view->clearFinishedAction()->isEnabled());

        QTRY_VERIFY_WITH_TIMEOUT((*a)->isFinished() && (*b)->isFinished(), LongWaitMs);
        QVERIFY(state(*a).startsWith(u"Failed: "_s));
        QVERIFY(state(*a).size() > u"Failed: "_s.size());
        QVERIFY(model()->index(0, 0).data(Qt::ToolTipRole).toString().contains(u"Failed"_s));
        QCOMPARE(model()->index(0, 0).data(TransferListModel::ProgressRole).toInt(), -1);

        // Cancel does nothing to finished transfers; Clear finished empties the list.
        select({*a});
        QVERIFY(!m_view->cancelAction()->isEnabled());
        QVERIFY(m_view->clearFinishedAction()->isEnabled());
        m_view->clearFinishedAction()->trigger();
        QCOMPARE(model()->rowCount(), 0);
        QVERIFY(!m_view->clearFinishedAction()->isEnabled());
    }

    void realTransfersProgressCancelAndReportFiles()
    {
        if (!m_server) {
            if (::geteuid() != 0)
                QSKIP("the sshd fixture needs root (run through scripts/in-root)");
            QFAIL(qPrintable(u"sshd fixture: "_s + m_serverError));
        }
        const QString scratch = m_server->makeRemoteScratchDir();
        const QString alias = m_server->alias();

        // A folder with a good file and a dangling link: one child row for the link.
        const QString tree = m_local.path() + u"/tree"_s;
        QVERIFY(QDir().mkpath(tree));
        QByteArray data(300 * 1024, 'g');
        QVERIFY(writeFile(tree + u"/good \"$(x)\".bin"_s, data));
        QVERIFY(QFile::link(tree + u"/missing-target"_s, tree + u"/dangling"_s));
        auto up = m_queue->enqueue(Location::local(tree),
                                   Location::remote(alias, scratch + u"/tree"_s));
        QVERIFY(up.ok());
        QTRY_VERIFY_WITH_TIMEOUT((*up)->isFinished(), LongWaitMs);
        QVERIFY2((*up)->status().ok(), qPrintable((*up)->status().errorMessage()));
        QFile copied(scratch + u"/tree/good \"$(x)\".bin"_s);
        QVERIFY(copied.open(QIODevice::ReadOnly));
        QCOMPARE(copied.readAll(), data);
        const QModelIndex row = model()->indexOf(*up);
        QCOMPARE(row.data(TransferListModel::ProgressRole).toInt(), 100);
        QCOMPARE(model()->rowCount(row), int((*up)->fileErrors().size()));
        if (!(*up)->fileErrors().isEmpty()) {
            QVERIFY(state(*up).contains(u"failed"_s));
            QVERIFY(model()->index(0, TransferListModel::StateColumn, row).data().isValid());
            QCOMPARE(model()->transfer(model()->index(0, 0, row)), *up);
        } else {
            QCOMPARE(state(*up), u"Done"_s);
        }

        // One at a time: the second waits, and Cancel on both ends both.
        m_queue->setMaxConcurrent(1);
        QByteArray big(32 * 1024 * 1024, 'b');
        QVERIFY(writeFile(m_local.path() + u"/big.bin"_s, big));
        auto first = m_queue->enqueue(Location::local(m_local.path() + u"/big.bin"_s),
                                      Location::remote(alias, scratch + u"/big1.bin"_s));
        auto second = m_queue->enqueue(Location::local(m_local.path() + u"/big.bin"_s),
                                       Location::remote(alias, scratch + u"/big2.bin"_s));
        QVERIFY(first.ok() && second.ok());
        QCOMPARE(state(*second), u"Queued"_s);
        select({*first, *second});
        QVERIFY(m_view->cancelAction()->isEnabled());
        m_view->cancelAction()->trigger();
        QTRY_VERIFY_WITH_TIMEOUT((*first)->isFinished() && (*second)->isFinished(), LongWaitMs);
        QCOMPARE(state(*second), u"Cancelled"_s);
        QVERIFY(!QFile::exists(scratch + u"/big2.bin"_s));

        m_view->clearFinished();
        QCOMPARE(model()->rowCount(), 0);
    }
};

QTEST_MAIN(TestTransfersView)
#include "tst_transfersview.moc"
