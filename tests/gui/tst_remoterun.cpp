// Running on an SSH host from a real window under Xvfb against the real sshd fixture: the
// target selector lists Auto, this machine and the fixture's host and keeps the choice per
// project; Run with the host chosen syncs the project, streams the output into the job panel
// and ends Succeeded; the job list filters by that host; Forward Port… reaches a service
// through the host. A first sync of a large folder asks first: Cancel ends the job
// FailedToStart naming the folder, Sync anyway runs it.

#include "core/jobs/jobmanager.h"
#include "core/remote/portforward.h"
#include "core/ssh/sshconnections.h"
#include "helpers/sshtest.h"
#include "ui/jobs/artifactsview.h"
#include "ui/jobs/imageviewer.h"
#include "ui/jobs/jobfiltermodel.h"
#include "ui/jobs/joblistmodel.h"
#include "ui/jobs/jobpanel.h"
#include "ui/jobs/outputview.h"
#include "ui/mainwindow.h"
#include "ui/portforwarddialog.h"
#include "ui/targetselector.h"

#include <QAction>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableView>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace gpuwb;
using gpuwb::test::SshdServer;

namespace {

constexpr int LongWaitMs = 90000;

bool viewHas(const OutputView *view, const QString &text)
{
    if (!view)
        return false;
    const OutputBuffer &b = view->buffer();
    for (qsizetype r = 0; r < b.rowCount(); ++r)
        if (b.row(r).text == text)
            return true;
    return false;
}

} // namespace

class TestRemoteRun : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void autoNeverPicksAnUnchosenHost();
    void targetSelectorListsHostsAndKeepsTheChoice();
    void runOnTheHostShowsOutputAndSucceeds();
    void forwardPortDialogReachesAService();
    void largeFirstSyncAsksInTheWindow();

private:
    QString makeProject(const QString &name, const QByteArray &toml);
    QTemporaryDir m_data;
    std::unique_ptr<SshdServer> m_server;
};

void TestRemoteRun::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_data.isValid());
    qputenv("GPUWB_DATA_DIR", (m_data.path() + u"/data"_s).toUtf8());
    m_server = std::make_unique<SshdServer>();
    GPUWB_START_SSHD(*m_server);
    QVERIFY(test::useClientHome(*m_server));
}

QString TestRemoteRun::makeProject(const QString &name, const QByteArray &toml)
{
    const QString dir = m_data.filePath(name);
    if (!QDir().mkpath(dir))
        return {};
    QFile file(dir + u"/gpuwb.toml"_s);
    if (!file.open(QIODevice::WriteOnly) || file.write(toml) != toml.size())
        return {};
    QFile source(dir + u"/input 'data'.txt"_s);
    if (!source.open(QIODevice::WriteOnly) || source.write("payload\n") != 8)
        return {};
    return dir;
}

// Issue 10, item 8: with no local GPU and no host picked before, Auto does not send the
// project to the first host of ~/.ssh/config (here github.com, listed first); it asks.
void TestRemoteRun::autoNeverPicksAnUnchosenHost()
{
    {
        QSettings settings;
        settings.remove(u"targets"_s);
    }
    QFile config(m_server->clientConfigPath());
    QVERIFY(config.open(QIODevice::ReadOnly));
    const QByteArray original = config.readAll();
    config.close();
    QVERIFY(config.open(QIODevice::WriteOnly | QIODevice::Truncate));
    // Looks like github.com, leads nowhere: tests talk to 127.0.0.1 only.
    config.write("Host github.com\n    HostName 127.0.0.1\n    Port 9\n    User git\n\n"
                 + original);
    config.close();
    const QString dir = makeProject(u"auto project"_s, "command = 'true'\n");
    {
        MainWindow window;
        window.openProject(dir);
        QCOMPARE(window.targetSelector()->choice(), u"auto"_s);
        QString why;
        QCOMPARE(window.targetSelector()->resolve(&why), QString());
        QVERIFY2(why.contains(u"no host has been chosen"_s), qPrintable(why));
        auto *box = window.findChild<QComboBox *>(u"TargetBox"_s);
        QVERIFY(box);
        QCOMPARE(box->itemText(0), u"Auto (this machine)"_s);

        // Once the user picks the test host for another project, Auto keeps to that one.
        const QString other = makeProject(u"picked project"_s, "command = 'true'\n");
        window.openProject(other);
        QVERIFY(window.targetSelector()->choose(u"ssh:"_s + m_server->alias()));
        window.openProject(dir);
        QCOMPARE(window.targetSelector()->resolve(&why), u"ssh:"_s + m_server->alias());
    }
    QVERIFY(config.open(QIODevice::WriteOnly | QIODevice::Truncate));
    config.write(original);
    config.close();
}

void TestRemoteRun::targetSelectorListsHostsAndKeepsTheChoice()
{
    const QString alias = m_server->alias();
    const QString first = makeProject(u"choice one"_s, "command = 'true'\n");
    const QString second = makeProject(u"choice two"_s, "command = 'true'\n");
    QVERIFY(!first.isEmpty() && !second.isEmpty());
    {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        auto *box = window.findChild<QComboBox *>(u"TargetBox"_s);
        QVERIFY(box);
        QCOMPARE(box->itemData(0).toString(), u"auto"_s);
        QCOMPARE(box->itemData(1).toString(), u"local"_s);
        QVERIFY(box->findData(u"ssh:"_s + alias) >= 2);
        // Every host is a target of the job manager.
        QVERIFY(window.jobManager()->target(u"ssh:"_s + alias));

        window.openProject(first);
        QVERIFY(window.targetSelector()->choose(u"ssh:"_s + alias));
        QString why;
        QCOMPARE(window.targetSelector()->resolve(&why), u"ssh:"_s + alias);
        window.openProject(second);
        QCOMPARE(window.targetSelector()->choice(), u"auto"_s);
        QVERIFY(!window.targetSelector()->resolve(&why).isEmpty());
    }
    // A new window (a restart) remembers the first project's choice.
    MainWindow window;
    window.openProject(first);
    QCOMPARE(window.targetSelector()->choice(), u"ssh:"_s + alias);
}

void TestRemoteRun::runOnTheHostShowsOutputAndSucceeds()
{
    const QString alias = m_server->alias();
    const QString dir = makeProject(
        u"remote project"_s,
        "name = 'remote demo'\n"
        R"(command = "for i in 1 2 3; do echo \"remote line $i\"; done; cat \"input 'data'.txt\"; cp source.png plot.png")"
        "\nartifacts = [\"plot.png\"]\n");
    QVERIFY(!dir.isEmpty());
    QImage image(24, 16, QImage::Format_RGB32);
    image.fill(Qt::blue);
    QVERIFY(image.save(dir + u"/source.png"_s));

    MainWindow window;
    window.resize(1400, 900);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.openProject(dir);
    QVERIFY(window.targetSelector()->choose(u"ssh:"_s + alias));

    JobPanel *panel = window.jobPanel();
    QTRY_VERIFY(panel->runAction()->isEnabled());
    panel->runAction()->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(!window.jobManager()->jobs().isEmpty(), LongWaitMs);
    Job *job = window.jobManager()->jobs().last();
    QCOMPARE(job->spec().targetId, u"ssh:"_s + alias);
    QCOMPARE(panel->currentJobId(), job->id());
    QTRY_VERIFY_WITH_TIMEOUT(isFinal(job->state()), LongWaitMs);
    QVERIFY2(job->state() == JobState::Succeeded,
             qPrintable(toString(job->state()) + u": "_s + panel->message()));
    OutputView *view = panel->viewFor(job->id());
    QTRY_VERIFY_WITH_TIMEOUT(viewHas(view, u"remote line 3"_s), LongWaitMs);
    QVERIFY(viewHas(view, u"remote line 1"_s));
    QVERIFY(viewHas(view, u"payload"_s)); // the project's file was synced
    QVERIFY(!panel->isSyncing(job->id()));

    // The artifact is listed; Open downloads it into artifacts/<job id>/ and shows it.
    QTRY_VERIFY_WITH_TIMEOUT(!panel->artifacts(job->id()).isEmpty(), LongWaitMs);
    QCOMPARE(panel->artifacts(job->id()).first().fileName(), u"plot.png"_s);
    QTRY_VERIFY(panel->artifactsView()->isVisible());
    panel->artifactsView()->openButton()->click();
    const QString downloaded = dir + u"/artifacts/"_s + job->id() + u"/plot.png"_s;
    QTRY_VERIFY_WITH_TIMEOUT(QFileInfo::exists(downloaded), LongWaitMs);
    ImageViewer *viewer = nullptr;
    QTRY_VERIFY_WITH_TIMEOUT((viewer = window.findChild<ImageViewer *>()), LongWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(viewer->hasImage(), LongWaitMs);
    QCOMPARE(viewer->path(), downloaded);

    // The list filters by the host.
    QComboBox *targets = panel->targetFilterBox();
    const int host = targets->findData(u"ssh:"_s + alias);
    QVERIFY(host > 0);
    targets->setCurrentIndex(host);
    emit targets->activated(host);
    QAbstractItemModel *shown = panel->jobList()->model();
    QVERIFY(shown->rowCount() >= 1);
    for (int row = 0; row < shown->rowCount(); ++row)
        QCOMPARE(shown->index(row, 0).data(JobListModel::TargetIdRole).toString(),
                 u"ssh:"_s + alias);
    const int local = targets->findData(u"local"_s);
    targets->setCurrentIndex(local);
    emit targets->activated(local);
    for (int row = 0; row < shown->rowCount(); ++row)
        QVERIFY(shown->index(row, 0).data(JobListModel::JobIdRole).toString() != job->id());
    // Forward Port… is offered for the remote job.
    panel->selectJob(job->id());
    QVERIFY(panel->forwardPortAction()->isEnabled());
}

void TestRemoteRun::forwardPortDialogReachesAService()
{
    // The "service on the host": sshd runs here, so 127.0.0.1 of this process is its localhost.
    QTcpServer service;
    QVERIFY(service.listen(QHostAddress::LocalHost, 0));
    QObject::connect(&service, &QTcpServer::newConnection, &service, [&service] {
        while (QTcpSocket *socket = service.nextPendingConnection())
            socket->write("HTTP/1.0 200 OK\r\n\r\nhello\n");
    });

    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.showPortForward(m_server->alias());
    PortForwardDialog *dialog = nullptr;
    QTRY_VERIFY((dialog = window.findChild<PortForwardDialog *>()));
    QCOMPARE(dialog->hostBox()->currentText(), m_server->alias());
    dialog->remotePortBox()->setValue(service.serverPort());
    dialog->startButton()->click();
    QVERIFY(dialog->forward());
    QVERIFY2(dialog->statusLabel()->text().contains(
                 u"127.0.0.1:%1"_s.arg(dialog->forward()->localPort())),
             qPrintable(dialog->statusLabel()->text()));
    QVERIFY(dialog->statusLabel()->text().contains(
        u"%1:%2"_s.arg(m_server->alias()).arg(service.serverPort())));
    QVERIFY(dialog->openButton()->isEnabled());
    QCOMPARE(dialog->url(), u"http://127.0.0.1:%1/"_s.arg(dialog->forward()->localPort()));

    QTcpSocket client;
    client.connectToHost(QHostAddress::LocalHost, dialog->forward()->localPort());
    QVERIFY(client.waitForConnected(20'000));
    QByteArray got;
    QObject::connect(&client, &QTcpSocket::readyRead, &client,
                     [&] { got.append(client.readAll()); });
    QTRY_VERIFY_WITH_TIMEOUT(got.contains("hello"), LongWaitMs);
    dialog->stopButton()->click();
    QVERIFY(!dialog->forward());
    QVERIFY(dialog->startButton()->isEnabled());
    QTRY_COMPARE_WITH_TIMEOUT(client.state(), QAbstractSocket::UnconnectedState, LongWaitMs);
}

void TestRemoteRun::largeFirstSyncAsksInTheWindow()
{
    const QString scratch = m_server->makeRemoteScratchDir();
    QVERIFY(!scratch.isEmpty());
    qputenv("GPUWB_SYNC_LARGE_FOLDER_BYTES", "10000");
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    for (const bool proceed : {false, true}) {
        const QString name = proceed ? u"big yes"_s : u"big no"_s;
        const QString dir = makeProject(
            name, "command = 'test -s checkpoints/model.pt && echo synced'\nremote_dir = '"
                      + (scratch + u'/' + name).toUtf8() + "'\n");
        QVERIFY(!dir.isEmpty());
        QVERIFY(QDir(dir).mkpath(u"checkpoints"_s));
        QFile big(dir + u"/checkpoints/model.pt"_s);
        QVERIFY(big.open(QIODevice::WriteOnly));
        QCOMPARE(big.write(QByteArray(64 * 1024, 'x')), qint64(64 * 1024));
        big.close();
        window.openProject(dir);
        QVERIFY(window.targetSelector()->choose(u"ssh:"_s + m_server->alias()));
        JobPanel *panel = window.jobPanel();
        const qsizetype before = window.jobManager()->jobs().size();
        QTRY_VERIFY(panel->runAction()->isEnabled());
        panel->runAction()->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(window.jobManager()->jobs().size() > before, LongWaitMs);
        Job *job = window.jobManager()->jobs().last();
        QMessageBox *box = nullptr;
        QTRY_VERIFY_WITH_TIMEOUT((box = window.findChild<QMessageBox *>(u"LargeSyncQuestion"_s)),
                                 LongWaitMs);
        QVERIFY(box->isVisible());
        QVERIFY2(box->text().contains(name), qPrintable(box->text()));
        QVERIFY2(box->informativeText().contains(u"checkpoints/ ("_s),
                 qPrintable(box->informativeText()));
        QVERIFY(!isFinal(job->state())); // it waits for the answer
        QAbstractButton *answer = nullptr;
        for (QAbstractButton *button : box->buttons())
            if (proceed ? box->buttonRole(button) == QMessageBox::AcceptRole
                        : box->standardButton(button) == QMessageBox::Cancel)
                answer = button;
        QVERIFY(answer);
        answer->click();
        QTRY_VERIFY_WITH_TIMEOUT(isFinal(job->state()), LongWaitMs);
        if (proceed) {
            QVERIFY2(job->state() == JobState::Succeeded, qPrintable(panel->message()));
            QTRY_VERIFY_WITH_TIMEOUT(viewHas(panel->viewFor(job->id()), u"synced"_s),
                                     LongWaitMs);
        } else {
            QCOMPARE(int(job->state()), int(JobState::FailedToStart));
            QVERIFY(!QFileInfo::exists(scratch + u'/' + name + u"/checkpoints/model.pt"_s));
        }
        QTRY_VERIFY(!window.findChild<QMessageBox *>(u"LargeSyncQuestion"_s));
    }
    qunsetenv("GPUWB_SYNC_LARGE_FOLDER_BYTES");
}

QTEST_MAIN(TestRemoteRun)
#include "tst_remoterun.moc"
